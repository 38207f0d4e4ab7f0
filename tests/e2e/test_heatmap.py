"""The Heatmap in a real browser: Voila (light, dark), JupyterLab inline and sidebar, big matrices."""

from __future__ import annotations

import numpy as np
import pytest
from heatmap_page import HeatmapOnPage
from playwright.sync_api import Page, expect
from servers import LabServer, VoilaServers
from ui import (
    DARK_THEME,
    PageLog,
    lab_execute,
    lab_run_all,
    lab_set_theme,
    lab_sidecar_contains,
    lab_sidecar_locator,
    open_lab,
    open_lab_notebook,
    open_voila,
    screenshot,
)

from ipyexplain.colormaps import color_of, missing_rgb

pytestmark = pytest.mark.e2e

CANVAS = ".ipx-heatmap canvas"
XSS = "<img src=x onerror=alert(1)>"
# heatmap_known.ipynb's matrix: signed, so the diverging map with limits -4..4.
KNOWN = np.array(
    [[-2.0, -1.0, 0.0, 1.0, 2.0], [0.5, np.nan, -0.5, 1.5, -1.5], [3.0, -3.0, 0.25, -0.25, 4.0],
     [1.0, 1.0, 1.0, 1.0, -4.0]]
)


def assert_cells_drawn(hm: HeatmapOnPage, values: np.ndarray, cmap: str, vmin: float, vmax: float) -> None:
    for (r, c), v in np.ndenumerate(values):
        assert hm.cell_pixel(r, c) == color_of(float(v), cmap, vmin, vmax), f"cell ({r}, {c}) = {v}"


def luminance(rgb: tuple[int, int, int]) -> float:
    return (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255


def label_pixels_brightness(hm: HeatmapOnPage) -> tuple[float, float]:
    """(min, max) luminance of the row-label strip left of the plot: text vs background."""
    p = hm.plot()
    lums = [luminance(hm.pixel(x, y)) for x in range(2, int(p.x) - 6, 2) for y in range(int(p.y), int(p.y + p.h), 3)]
    return min(lums), max(lums)


def test_voila_draws_known_values_hover_click_and_kernel_update(page: Page, page_log: PageLog, voila: VoilaServers):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_voila(page, voila, "heatmap_known.ipynb", selector=CANVAS)
    hm = HeatmapOnPage.nth(page)
    expect(hm.root.locator(".ipx-title")).to_have_text("Known values")

    # Every cell has exactly the colour the shared colormap gives its value; NaN is "missing".
    assert_cells_drawn(hm, KNOWN, "rdbu", -4.0, 4.0)
    assert hm.cell_pixel(1, 1) == missing_rgb()
    assert "1 missing" in hm.status()

    # Hover: row label, column label (HTML shown as text) and the exact value.
    hm.hover_cell(2, 2)
    tip = hm.tooltip()
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("carol")
    expect(tip).to_contain_text(XSS)
    expect(tip).to_contain_text("0.25")
    assert hm.root.locator("img").count() == 0

    # Click -> `selected` in the kernel (shown by a Label bridge the kernel updates).
    hm.click_cell(2, 3)
    expect(page.get_by_text("selected=(2, 3)")).to_be_visible()

    # The kernel assigns new values: the view redraws in place.
    frame = hm.frame()
    page.get_by_role("button", name="negate in kernel").click()
    hm.wait_frame(frame + 1)
    assert_cells_drawn(hm, -KNOWN, "rdbu", -4.0, 4.0)
    screenshot(hm.root, "heatmap-voila-light")
    assert not dialogs, f"user text executed as HTML: {dialogs}"
    assert not page_log.errors(), page_log.summary()


def test_voila_dark_theme_is_legible(page: Page, page_log: PageLog, voila: VoilaServers):
    open_voila(page, voila, "heatmap_known.ipynb", "dark", selector=CANVAS)
    hm = HeatmapOnPage.nth(page)
    background = hm.root.evaluate("el => getComputedStyle(el).backgroundColor")
    rgb = tuple(int(v) for v in background[background.index("(") + 1 : background.index(")")].split(",")[:3])
    assert luminance(rgb) < 0.25, background  # type: ignore[arg-type]
    darkest, brightest = label_pixels_brightness(hm)
    assert brightest - darkest > 0.5, "row labels must stand out from the dark background"
    assert_cells_drawn(hm, KNOWN, "rdbu", -4.0, 4.0)
    screenshot(hm.root, "heatmap-voila-dark")
    assert not page_log.errors(), page_log.summary()


def test_voila_sidebar_request_falls_back_inline_with_a_warning(page: Page, page_log: PageLog, voila: VoilaServers):
    open_voila(page, voila, "heatmap_sidebar.ipynb", selector=CANVAS)
    hm = HeatmapOnPage.nth(page)
    assert hm.cell_pixel(4, 5) == color_of(29.0, "viridis", 0.0, 29.0)
    expect(page.get_by_text("Voila has no sidebar")).to_be_visible()
    assert not page_log.errors(), page_log.summary()


def test_voila_10k_matrix_is_pooled_and_zoom_fetches_full_detail(page: Page, voila: VoilaServers):
    open_voila(page, voila, "heatmap_big.ipynb", selector=CANVAS, timeout_ms=120_000)
    hm = HeatmapOnPage.nth(page)
    assert "10,000 × 10,000" in hm.status() and "shown pooled to" in hm.status()
    p = hm.plot()
    # Pooled by the mean, the -1/+1 checkerboard is flat: the centre of the diverging map.
    mid = hm.pixel(p.x + p.w / 2, p.y + p.h / 2)
    assert mid == color_of(0.0, "rdbu", -1.0, 1.0)

    cx, cy = p.x + p.w / 2, p.y + p.h / 2
    hm.drag(cx, cy, cx + 8, cy + 8)
    expect(hm.root.locator(".ipx-status")).to_contain_text("detail: every cell", timeout=20_000)
    r0, r1, c0, c1 = hm.window()
    assert 20 < r1 - r0 < 400 and 20 < c1 - c0 < 400
    for r, c in [(int(r0) + 1, int(c0) + 1), (int(r0) + 1, int(c0) + 2), (int(r0) + 4, int(c0) + 7)]:
        expected = color_of(1.0 if (r + c) % 2 else -1.0, "rdbu", -1.0, 1.0)
        assert hm.cell_pixel(r, c) == expected, (r, c)
    hm.hover_cell(int(r0) + 1, int(c0) + 1)
    expect(hm.tooltip()).to_contain_text(f"{int(r0) + 1}")
    expect(hm.tooltip()).not_to_contain_text("cells (")  # an exact cell, not a pooled block
    screenshot(hm.root, "heatmap-voila-10k-zoomed")

    hm.root.locator(".ipx-reset").click()
    expect(hm.root.locator(".ipx-status")).not_to_contain_text("zoom:")


def test_lab_inline_kernel_assignment_selection_and_dark_theme(page: Page, page_log: PageLog, lab: LabServer):
    open_lab(page, lab)
    open_lab_notebook(page, "heatmap_known.ipynb")
    lab_run_all(page)
    hm = HeatmapOnPage.nth(page, scope=page.locator(".jp-NotebookPanel"))
    assert_cells_drawn(hm, KNOWN, "rdbu", -4.0, 4.0)

    hm.click_cell(3, 4)
    assert lab_execute(page, "print(h.selected)").strip() == "(3, 4)"

    frame = hm.frame()
    lab_execute(page, "h.values = values * 0.5")
    hm.wait_frame(frame + 1)
    assert_cells_drawn(hm, KNOWN * 0.5, "rdbu", -2.0, 2.0)
    screenshot(page.locator(".jp-NotebookPanel").first, "heatmap-lab-light")

    lab_set_theme(page, DARK_THEME)
    page.wait_for_timeout(600)  # the theme's stylesheet, then our redraw
    darkest, brightest = label_pixels_brightness(hm)
    assert darkest < 0.3 and brightest - darkest > 0.5
    screenshot(page.locator(".jp-NotebookPanel").first, "heatmap-lab-dark")
    assert not page_log.errors(), page_log.summary()

    # A failure while drawing shows a readable message in the widget, not a blank or frozen view.
    lab_execute(page, "h._cmap = 'no-such-map'")
    expect(hm.root.locator(".ipx-error")).to_contain_text('could not draw: unknown colormap "no-such-map"')
    lab_execute(page, "h.cmap = 'puor'")
    expect(hm.root.locator(".ipx-error")).to_be_empty()


def test_lab_sidebar_shows_a_legible_heatmap(page: Page, page_log: PageLog, lab: LabServer):
    open_lab(page, lab)
    open_lab_notebook(page, "heatmap_sidebar.ipynb")
    lab_run_all(page)
    assert lab_sidecar_contains(page, CANVAS, title="ipyexplain heatmap")
    panel = lab_sidecar_locator(page, "ipyexplain heatmap")
    hm = HeatmapOnPage.nth(page, scope=panel)
    assert hm.cell_pixel(0, 0) == color_of(0.0, "viridis", 0.0, 29.0)
    assert hm.cell_pixel(4, 5) == color_of(29.0, "viridis", 0.0, 29.0)
    panel_box, canvas_box = panel.bounding_box(), hm.canvas.bounding_box()
    assert panel_box and canvas_box and canvas_box["width"] <= panel_box["width"] + 1
    assert page.locator(".jp-Notebook .ipx-heatmap").count() == 0  # not also inline
    expect(page.locator(".jp-Notebook").get_by_text("warnings: []")).to_be_visible()
    screenshot(panel, "heatmap-lab-sidebar")
    assert not page_log.errors(), page_log.summary()


def test_lab_rapid_updates_drop_stale_frames_and_end_on_the_latest(page: Page, page_log: PageLog, lab: LabServer):
    open_lab(page, lab)
    open_lab_notebook(page, "heatmap_known.ipynb")
    lab_run_all(page)
    hm = HeatmapOnPage.nth(page, scope=page.locator(".jp-NotebookPanel"))
    hm.root.evaluate("el => { el.__draws = 0; el.addEventListener('ipyexplain:drawn', () => el.__draws++); }")
    start = hm.frame()
    # 150 assignments of a 256 x 256 matrix as fast as the kernel can make them.
    lab_execute(
        page,
        "rng = np.random.default_rng(5)\n"
        "for k in range(150):\n"
        "    h.update(rng.normal(size=(256, 256)) + k, row_labels=None, col_labels=None)\n"
        "last = rng.normal(size=(256, 256))\n"
        "h.values = last",
    )
    hm.wait_frame(start + 151)
    draws = hm.root.evaluate("el => el.__draws")
    assert 1 <= draws < 151, f"{draws} draws for 151 updates: stale frames were queued, not dropped"
    # What is on screen is the last matrix the kernel sent.
    values = np.array(lab_execute(page, "print(' '.join(map(str, last[[0, 100, 255], [0, 50, 255]])))").split(), float)
    lo, hi = (float(v) for v in lab_execute(page, "print(*h._limits)").split())
    for (r, c), v in zip([(0, 0), (100, 50), (255, 255)], values, strict=True):
        assert hm.cell_pixel(r, c) == color_of(float(np.float32(v)), "rdbu", lo, hi)
    assert not page_log.errors(), page_log.summary()


def test_demo_notebook_renders_every_heatmap_in_voila(page: Page, page_log: PageLog, voila: VoilaServers):
    open_voila(page, voila, "notebooks/demo.ipynb", selector=CANVAS, timeout_ms=120_000)
    # Three heatmaps: attributions, the 10k x 10k, and the "sidebar" one (inline in Voila).
    expect(page.locator(".ipx-heatmap[data-frame]")).to_have_count(3, timeout=60_000)
    statuses = page.locator(".ipx-heatmap .ipx-status").all_inner_texts()
    assert statuses[0].startswith("60 × 8") and "10,000 × 10,000" in statuses[1] and statuses[2].startswith("8 × 8")
    screenshot(page, "demo-voila")
    assert not page_log.errors(), page_log.summary()
