"""The NetworkDiagram in a real browser: Voila (light, dark) and JupyterLab, on a CNN, a residual net,
a transformer encoder, a two-branch multimodal model and a 6,000-node network."""

from __future__ import annotations

import re

import pytest
from network_page import NetworkOnPage
from playwright.sync_api import Page, expect
from servers import LabServer, VoilaServers
from ui import (
    DARK_THEME,
    PageLog,
    lab_execute,
    lab_run_all,
    lab_set_theme,
    open_lab,
    open_lab_notebook,
    open_voila,
    screenshot,
)

from ipyexplain.colormaps import color_of

pytestmark = pytest.mark.e2e

SVG = ".ipx-network .ipx-net-node"
XSS = "<img src=x onerror=alert(1)>"


def luminance(rgb: tuple[int, int, int]) -> float:
    return (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255


def css_rgb(text: str) -> tuple[int, int, int]:
    r, g, b = (int(float(v)) for v in text[text.index("(") + 1 : text.index(")")].split(",")[:3])
    return r, g, b


def test_voila_cnn_labels_selection_overlay_update_and_names_as_text(
    page: Page, page_log: PageLog, voila: VoilaServers
):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_voila(page, voila, "network_cnn.ipynb", selector=SVG)
    net = NetworkOnPage.nth(page)
    # depth=1: both Sequentials open, every layer drawn with type, name and parameters, output shape.
    assert net.visible_count() == 2 + 2 + 6 + 5
    assert net.texts("features.0") == ["Conv2d", "0 · 80 params", "1×8×28×28"]
    assert net.texts("classifier.1") == ["Linear", "1 · 25.1k params", "1×32"]
    assert net.texts("input:x") == ["x", "1×1×28×28"]
    assert net.texts(f"classifier.{XSS}")[:2] == ["Softmax", XSS]  # the HTML name, as text
    assert net.root.locator("img").count() == 0
    expect(net.root.locator(".ipx-net-legend")).to_contain_text("parameters (log scale)")

    # Click a node: the kernel's selected_node follows.
    net.click(net.node("features.3"))
    expect(page.get_by_text("selected=features.3")).to_be_visible()
    expect(net.node("features.3")).to_have_class(re.compile("ipx-net-selected"))
    # Hover an edge: its tensor shape.
    edge = net.root.locator('.ipx-net-edge[data-source="features.3"] .ipx-net-edge-line')
    edge.hover(force=True)
    expect(net.root.locator(".ipx-tooltip")).to_contain_text("1×16×14×14")

    # The kernel sends a new overlay: nodes recoloured with exactly the colormap's colours, nothing moved.
    before = net.positions()
    frame = net.root.get_attribute("data-overlay-frame")
    page.get_by_role("button", name="overlay in kernel").click()
    page.wait_for_function("([el, f]) => el.dataset.overlayFrame !== f", arg=[net.root.element_handle(), frame])
    assert net.fill("features.3") == color_of(0.9, "rdbu", -0.9, 0.9)
    assert net.fill("classifier.1") == color_of(-0.5, "rdbu", -0.9, 0.9)
    assert net.positions() == before
    expect(net.root.locator(".ipx-net-legend")).to_contain_text("gradient norm")
    screenshot(net.root, "network-voila-cnn-light")
    assert not dialogs, f"user text executed as HTML: {dialogs}"
    assert not page_log.errors(), page_log.summary()


def test_voila_dark_theme_is_legible(page: Page, page_log: PageLog, voila: VoilaServers):
    open_voila(page, voila, "network_resnet.ipynb", "dark", selector=SVG)
    net = NetworkOnPage.nth(page)
    background = css_rgb(net.stage.evaluate("el => getComputedStyle(el).backgroundColor"))
    assert luminance(background) < 0.25
    title = net.node("fc").locator("text").first
    assert luminance(css_rgb(title.evaluate("t => getComputedStyle(t).fill"))) > 0.7
    box = css_rgb(net.node("fc").locator(".ipx-net-box").evaluate("r => getComputedStyle(r).fill"))
    assert luminance(box) < 0.3
    screenshot(net.root, "network-voila-resnet-dark")
    assert not page_log.errors(), page_log.summary()


def test_voila_resnet_expand_collapse_keeps_the_picture_stable_and_search_centres(
    page: Page, page_log: PageLog, voila: VoilaServers
):
    open_voila(page, voila, "network_resnet.ipynb", selector=SVG)
    net = NetworkOnPage.nth(page)
    start = net.visible_count()
    assert start == 9 + 3 + 2 + 2 + 2  # top level, stem's 3 modules, the 2 blocks of each stage
    anchor = net.box("layer1.0")
    # Click a closed block: it opens where it was (7 nodes inside: conv, bn, relu, conv, bn, add, relu).
    net.click(net.node("layer1.0"))
    assert net.wait_visible_count(f"n === {start + 7}") == start + 7
    opened = net.box("layer1.0")
    assert abs(opened.x - anchor.x) < 2 and abs(opened.y - anchor.y) < 2
    assert "layer1.0/add" in net.drawn_ids()
    assert net.texts("layer1.0/add") == ["add"]
    expect(page.get_by_text("selected=layer1.0")).to_be_visible()
    screenshot(net.root, "network-voila-resnet-expanded")
    # Click its header: it closes again.
    net.click(net.frame_head("layer1.0"))
    assert net.wait_visible_count(f"n === {start}") == start
    # Search a node inside a closed block: its containers open, it is centred and selected.
    net.search("layer3.1.conv2")
    net.wait_visible_count(f"n > {start}")
    centre, stage = net.box("layer3.1.conv2").centre, net.stage_box().centre
    assert abs(centre[0] - stage[0]) < 3 and abs(centre[1] - stage[1]) < 3
    expect(page.get_by_text("selected=layer3.1.conv2")).to_be_visible()
    expect(net.root.locator(".ipx-net-matches")).to_have_text("1 of 1")
    assert not page_log.errors(), page_log.summary()


def test_voila_transformer_encoder_from_a_recorded_forward_pass(page: Page, page_log: PageLog, voila: VoilaServers):
    open_voila(page, voila, "network_transformer.ipynb", selector=SVG)
    net = NetworkOnPage.nth(page)
    assert "traced with a recorded forward pass" in net.status()
    assert net.texts("layers.0.self_attn")[:2] == ["MultiheadAttention", "self_attn · 4.2k params"]
    assert net.texts("layers.1.linear1")[2] == "2×10×64"
    assert [n for n in net.drawn_ids() if n.endswith("/add") or n.endswith("/add#2")] == [
        "layers.0/add", "layers.0/add#2", "layers.1/add", "layers.1/add#2"]
    # The residual join: input and attention output both reach the first add.
    sources = net.root.locator('.ipx-net-edge[data-target="layers.0/add"]').evaluate_all(
        "els => els.map((e) => e.dataset.source).sort()")
    assert sources == ["input:src", "layers.0.dropout1"]
    screenshot(net.root, "network-voila-transformer")
    assert not page_log.errors(), page_log.summary()


def test_voila_multimodal_branches_side_by_side_joined_by_cat(page: Page, page_log: PageLog, voila: VoilaServers):
    open_voila(page, voila, "network_multimodal.ipynb", selector=SVG)
    net = NetworkOnPage.nth(page)
    assert net.texts("input:image") == ["image", "2×3×16×16"] and net.texts("input:tabular") == ["tabular", "2×5"]
    image, tabular, cat = net.box("image"), net.box("tabular"), net.box("cat")
    assert image.x + image.w <= tabular.x or tabular.x + tabular.w <= image.x  # side by side
    assert cat.y > max(image.y + image.h, tabular.y + tabular.h)  # joined below both
    sources = net.root.locator('.ipx-net-edge[data-target="cat"]').evaluate_all(
        "els => els.map((e) => e.dataset.source).sort()")
    assert sources == ["image.3", "tabular.2"]
    screenshot(net.root, "network-voila-multimodal")
    assert not page_log.errors(), page_log.summary()


def test_voila_6000_node_network_collapses_and_stays_usable(page: Page, page_log: PageLog, voila: VoilaServers):
    open_voila(page, voila, "network_big.ipynb", selector=SVG, timeout_ms=150_000)
    net = NetworkOnPage.nth(page, timeout_ms=90_000)
    expect(net.root.locator(".ipx-net-notice")).to_contain_text("6,052 nodes are too many to draw at depth 3")
    assert net.visible_count() == 2 + 50 + 50 * 20  # input, output, the stages open, their blocks closed
    expect(net.root.locator(".ipx-net-minimap")).to_be_visible()
    net.search("12.3.fc2")
    assert net.wait_visible_count(f"n === {2 + 50 + 50 * 20 + 5}") == 1057
    assert float(net.root.get_attribute("data-layout-ms") or 1e9) < 2000  # only the changed containers laid out
    screenshot(net.root, "network-voila-big")
    assert not page_log.errors(), page_log.summary()


def test_lab_kernel_sees_clicks_focuses_and_recolours_in_light_and_dark(page: Page, page_log: PageLog, lab: LabServer):
    open_lab(page, lab)
    open_lab_notebook(page, "network_resnet.ipynb")
    lab_run_all(page)
    net = NetworkOnPage.nth(page, scope=page.locator(".jp-NotebookPanel"))
    net.click(net.node("stem.0"))
    assert lab_execute(page, "print(d.selected_node, type(d.selected_module).__name__)").strip() == "stem.0 Conv2d"
    # The kernel focuses a layer inside a closed block: it opens and the layer is centred.
    lab_execute(page, "d.focus('layer2.1.bn2')")
    net.wait_visible_count("n > 18")
    centre, stage = net.box("layer2.1.bn2").centre, net.stage_box().centre
    assert abs(centre[0] - stage[0]) < 3 and abs(centre[1] - stage[1]) < 3
    expanded = lab_execute(page, "print(sorted(d.expanded))").strip()
    assert expanded == "['layer1', 'layer2', 'layer2.1', 'layer3', 'stem']"
    # Overlay from the kernel (activation means from hooks): recoloured, not moved.
    before = net.positions()
    lab_execute(page, "d.update(overlay=acts, overlay_label='activation mean')")
    expect(net.root.locator(".ipx-net-legend")).to_contain_text("activation mean")
    assert net.positions() == before
    assert net.node("layer2.1.bn2").evaluate("g => g.classList.contains('ipx-net-colored')")
    screenshot(net.root, "network-lab-light")
    lab_set_theme(page, DARK_THEME)
    page.wait_for_timeout(600)
    background = css_rgb(net.stage.evaluate("el => getComputedStyle(el).backgroundColor"))
    assert luminance(background) < 0.25
    screenshot(net.root, "network-lab-dark")
    assert not page_log.errors(), page_log.summary()
