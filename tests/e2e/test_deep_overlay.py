"""ImageOverlay in Voila: the overlay is where the attribution is, controls, hover, streaming, cancel, dark theme."""

from __future__ import annotations

import hashlib
import re
import time

import pytest
from deep_page import OverlayOnPage, luminance
from playwright.sync_api import Page, expect
from servers import VoilaServers
from ui import PageLog, open_voila, screenshot

pytestmark = pytest.mark.e2e

CANVAS = ".ipx-overlay canvas.ipx-overlay-cell"
SQUARE = (range(3, 7), range(9, 13))  # rows, cols where deep_overlay.ipynb's model looks


def grey(row: int) -> tuple[int, int, int]:
    g = round(row / 15 * 255)
    return (g, g, g)


def digest(pixels: list[list[tuple[int, int, int]]]) -> str:
    return hashlib.sha1(repr(pixels).encode()).hexdigest()


def test_overlay_is_where_the_attribution_is_and_follows_the_controls(page: Page, page_log: PageLog,
                                                                      voila: VoilaServers):
    open_voila(page, voila, "deep_overlay.ipynb", selector=CANVAS)
    view = OverlayOnPage.nth(page, 0)
    page.wait_for_function("el => el.querySelector('.ipx-job')?.dataset.status === 'done'",
                           arg=view.root.element_handle(), timeout=30_000)
    expect(view.root.locator(".ipx-overlay-label")).to_have_text(["saliency", "integrated gradients"])
    expect(view.root.locator(".ipx-overlay-rowlabel")).to_have_text(["#0 · class 0", "#1 · class 0"])
    for panel in (0, 1):
        pixels = view.pixels(panel, 0)
        assert len(pixels) == 16 and len(pixels[0]) == 16
        for r in range(16):
            for c in range(16):
                inside = r in SQUARE[0] and c in SQUARE[1]
                if inside:  # red (raises the explained logit) over the grey image
                    red, _, blue = pixels[r][c]
                    assert red > blue + 25 and pixels[r][c] != grey(r), (panel, r, c, pixels[r][c])
                else:  # no attribution: the image itself
                    assert pixels[r][c] == grey(r), (panel, r, c, pixels[r][c])

    # Opacity 0: the image alone; absolute mode: the square is brighter than the image under it.
    view.set_opacity(0)
    page.wait_for_function("el => el.querySelector('input.ipx-opacity').value === '0'", arg=view.root.element_handle())
    page.wait_for_timeout(150)
    assert all(view.pixels(0, 0)[r][c] == grey(r) for r in range(16) for c in range(16))
    view.set_opacity(1)
    view.set_mode("|Absolute|")
    expect(view.root).to_have_attribute("data-mode", "absolute")
    page.wait_for_timeout(150)
    pixels = view.pixels(0, 0)
    for r in SQUARE[0]:
        for c in SQUARE[1]:
            assert luminance(pixels[r][c]) > luminance(grey(r)) + 0.2, (r, c, pixels[r][c])
    assert pixels[10][2] == grey(10)

    # Hover: the pixel's value and its attribution.
    view.hover(0, 1, 10, 4)
    tip = view.tooltip()
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("x 10, y 4")
    expect(tip).to_contain_text("value")
    expect(tip).to_contain_text(f"{4 / 15:.4g}"[:5])
    expect(tip).to_contain_text("attribution")
    screenshot(view.root, "deep-overlay-known")
    assert not page_log.errors(), page_log.summary()


def test_overlay_streams_sharpening_states_and_cancel_keeps_the_partial_result(page: Page, page_log: PageLog,
                                                                               voila: VoilaServers):
    open_voila(page, voila, "deep_overlay.ipynb", selector=CANVAS)
    page.get_by_role("button", name="start live jobs").click()
    live = OverlayOnPage.nth(page, 1, drawn=True)
    occluded = OverlayOnPage.nth(page, 2, drawn=True)
    states: set[str] = set()
    cancelled = False
    deadline = time.monotonic() + 40
    while live.job_status() != "done" and time.monotonic() < deadline:
        if live.job_status() == "running":
            states.add(digest(live.pixels(0, 0)))
        if not cancelled and occluded.job_status() == "running" and occluded.frame() >= 4:
            occluded.root.locator(".ipx-cancel").click()
            cancelled = True
        page.wait_for_timeout(60)
    assert live.job_status() == "done", live.job_text()
    assert len(states) >= 3, f"only {len(states)} distinct streamed states"
    final = live.pixels(0, 0)
    assert final[4][10] != grey(4) and final[0][0] == grey(0) and final[11][3] == grey(11)
    assert re.fullmatch(r"done: \d+ steps in \d+\.\d s", live.job_text()), live.job_text()

    assert cancelled
    expect(page.get_by_text("occlusion: cancelled")).to_be_visible(timeout=20_000)
    expect(occluded.root.locator(".ipx-job-text")).to_have_text(
        re.compile(r"partial — cancelled after \d+ of 225 windows"))
    expect(occluded.root.locator(".ipx-badge")).to_have_text("partial — cancelled")
    assert "maps computed so far" in occluded.status() or "cancelled" in occluded.job_text()
    screenshot(page, "deep-overlay-stream")
    assert not page_log.errors(), page_log.summary()


def test_overlay_dark_theme_on_the_digits_cnn(page: Page, page_log: PageLog, voila: VoilaServers):
    open_voila(page, voila, "notebooks/attributions_images.ipynb", "dark", selector=CANVAS, timeout_ms=150_000)
    view = OverlayOnPage.nth(page, 0)
    page.wait_for_function("el => el.querySelector('.ipx-job')?.dataset.status === 'done'",
                           arg=view.root.element_handle(), timeout=90_000)
    assert luminance(view.root.evaluate("el => getComputedStyle(el).backgroundColor")) < 0.25
    label = view.root.locator(".ipx-overlay-label").first.evaluate("el => getComputedStyle(el).color")
    assert luminance(label) > 0.6, label
    assert view.root.locator(".ipx-overlay-label").count() >= 3
    screenshot(view.root, "deep-overlay-digits-dark")
    # the CNN + MLP ensemble split over its sub-networks: shares beside the whole model's map and each one's
    ensemble = page.locator(".ipx-overlay", has=page.locator(".ipx-title", has_text="whole model and each sub-network"))
    ensemble.scroll_into_view_if_needed()
    page.wait_for_function("el => el.querySelector('.ipx-job')?.dataset.status === 'done'",
                           arg=ensemble.element_handle(), timeout=90_000)
    expect(ensemble.locator(".ipx-overlay-label")).to_have_text(["whole model", "cnn", "mlp"])
    shares = page.locator(".ipx-bars", has=page.locator(".ipx-title", has_text="per sub-network"))
    page.wait_for_function("el => el.querySelectorAll('g.ipx-bar').length === 2", arg=shares.element_handle(),
                           timeout=30_000)
    screenshot(page.locator(".widget-hbox", has=ensemble).last, "deep-ensemble-digits-dark")
    assert not page_log.errors(), page_log.summary()
