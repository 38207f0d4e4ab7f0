"""AttentionView in Voila: selectors and thumbnails change the drawn matrix, hover lights up attended tokens."""

from __future__ import annotations

import pytest
from deep_page import AttentionOnPage, luminance
from playwright.sync_api import Page, expect
from servers import VoilaServers
from ui import PageLog, open_voila, screenshot

pytestmark = pytest.mark.e2e

XSS = "<img src=x onerror=alert(1)>"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_attention_selectors_thumbnails_and_hover(page: Page, page_log: PageLog, voila: VoilaServers, theme: str):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_voila(page, voila, "deep_attention.ipynb", theme, selector=".ipx-attention canvas.ipx-attn-matrix")
    bert = AttentionOnPage.nth(page, 0)
    expect(bert.root.locator("select.ipx-attn-layer option")).to_have_count(3)
    expect(bert.root.locator("select.ipx-attn-head option")).to_have_text(
        ["mean of heads", "head 0", "head 1", "head 2", "head 3"])
    first = bert.matrix_digest()
    bert.select("head", "2")
    assert bert.root.get_attribute("data-head") == "2" and bert.matrix_digest() != first
    second = bert.matrix_digest()
    bert.select("layer", "1")
    assert bert.root.get_attribute("data-layer") == "1" and bert.matrix_digest() != second
    expect(bert.root.locator(".ipx-status")).to_contain_text("layer 1 · head 2 · 7 × 7 tokens · 3 layers × 4 heads")

    # A click on a thumbnail of the head overview selects that layer and head.
    grid = bert.root.locator("canvas.ipx-attn-grid")
    box = grid.bounding_box()
    assert box is not None
    frame = bert.frame()
    thumb = (box["width"] - 26) / 4
    grid.click(position={"x": 26 + 3 * thumb + thumb / 2 - 2, "y": 16 + 2 * thumb + thumb / 2 - 2})
    bert.wait_frame(frame + 1)
    assert (bert.root.get_attribute("data-layer"), bert.root.get_attribute("data-head")) == ("2", "3")
    expect(bert.root.locator("select.ipx-attn-head")).to_have_value("3")

    # Hover a query row: the tokens it attends to light up, in proportion to the weights drawn.
    bert.hover_cell(3, 1)
    tip = bert.root.locator(".ipx-tooltip")
    expect(tip).to_contain_text(f"query{XSS}")
    weights = bert.strip_weights()
    assert [t for t, _ in weights] == ["[CLS]", "w5", "w9", XSS, "w12", "w7", "[SEP]"]
    values = [float(w) for _, w in weights]
    assert abs(sum(values) - 1) < 1e-3
    strongest = max(range(7), key=lambda i: values[i])
    alphas = bert.root.locator(".ipx-attn-token").evaluate_all(
        "els => els.map((e) => Number((getComputedStyle(e).backgroundColor.match(/[\\d.]+\\)$/) || ['1)'])[0]"
        ".slice(0, -1)))")
    assert max(range(7), key=lambda i: alphas[i]) == strongest
    assert bert.root.locator("img").count() == 0 and not dialogs

    encoder = AttentionOnPage.nth(page, 1)
    expect(encoder.root.locator("select.ipx-attn-layer option")).to_have_text(
        ["0: layers.0.self_attn", "1: layers.1.self_attn"])
    before = encoder.matrix_digest()
    encoder.select("head", "1")
    assert encoder.matrix_digest() != before
    if theme == "dark":
        assert luminance(bert.root.evaluate("el => getComputedStyle(el).backgroundColor")) < 0.25
    screenshot(page, f"deep-attention-{theme}")
    assert not page_log.errors(), page_log.summary()
