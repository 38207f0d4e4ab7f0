"""A multi-input attribution in Voila: each input's share as bars beside the per-input map and bars."""

from __future__ import annotations

import pytest
from bars_page import BarsOnPage
from deep_page import OverlayOnPage
from playwright.sync_api import Page, expect
from servers import VoilaServers
from ui import PageLog, open_voila, screenshot

pytestmark = pytest.mark.e2e


def test_multi_input_shares_beside_the_maps(page: Page, page_log: PageLog, voila: VoilaServers):
    open_voila(page, voila, "deep_multi.ipynb", selector=".ipx-overlay canvas.ipx-overlay-cell")
    shares = BarsOnPage.nth(page, 0)
    expect(shares.root.locator(".ipx-title")).to_contain_text("share of |attribution| per input")
    page.wait_for_function("() => document.querySelectorAll('.ipx-bars g.ipx-bar').length >= 6", timeout=30_000)
    shares.wait_settled()
    keys = sorted(b.key for b in shares.bars())
    assert keys == ["patient", "scan"]
    assert sum(b.value for b in shares.bars()) == pytest.approx(1.0, abs=0.02)  # mean shares add up to 1
    overlay = OverlayOnPage.nth(page, 0)
    expect(overlay.root.locator(".ipx-overlay-label")).to_have_text(["integrated gradients"])
    patient = BarsOnPage.nth(page, 1)
    patient.wait_settled()
    assert sorted(b.key for b in patient.bars()) == sorted(["age", "weight", "<b>dose</b>", "score"])
    assert page.locator(".ipx-bars b").count() == 0
    screenshot(page, "deep-multi")
    assert not page_log.errors(), page_log.summary()


LEFT = (range(3, 7), range(1, 5))  # rows, cols the ensemble's "left" sub-network looks at
RIGHT = (range(9, 13), range(9, 13))  # and its "right" one, with 3/2 of its weight


def test_ensemble_split_over_sub_networks_shares_and_maps(page: Page, page_log: PageLog, voila: VoilaServers):
    open_voila(page, voila, "deep_ensemble.ipynb", selector=".ipx-overlay canvas.ipx-overlay-cell")
    overlay = OverlayOnPage.nth(page, 0)
    page.wait_for_function("el => el.querySelector('.ipx-job')?.dataset.status === 'done'",
                           arg=overlay.root.element_handle(), timeout=30_000)
    expect(overlay.root.locator(".ipx-overlay-label")).to_have_text(["whole model", "left", "right"])
    expect(overlay.root.locator(".ipx-status")).to_contain_text("2 of 2 images × 3 parts")
    shares = BarsOnPage.nth(page, 0)
    expect(shares.root.locator(".ipx-title")).to_contain_text("share of |attribution| per sub-network")
    shares.wait_settled()
    # integrated gradients of x * w on a ramp image: |left| = 2 * 4.8 / 2, |right| = 3 * 11.2 / 2 -> 2/9, 7/9
    values = {b.key: b.value for b in shares.bars()}
    assert values == {"left": pytest.approx(2 / 9, abs=0.01), "right": pytest.approx(7 / 9, abs=0.01)}

    def grey(row: int) -> tuple[int, int, int]:
        g = round(row / 15 * 255)
        return (g, g, g)

    whole, left, right = (overlay.pixels(panel, 0) for panel in range(3))
    for r in range(16):
        for c in range(16):
            in_left, in_right = r in LEFT[0] and c in LEFT[1], r in RIGHT[0] and c in RIGHT[1]
            # one colour scale for all columns: the whole model's map is each part's where that part looks
            assert left[r][c] == (whole[r][c] if in_left else grey(r)), ("left", r, c)
            assert right[r][c] == (whole[r][c] if in_right else grey(r)), ("right", r, c)
            if in_left or in_right:  # red (raises the explained logit) over the grey image
                red, _, blue = whole[r][c]
                assert red > blue and whole[r][c] != grey(r), (r, c, whole[r][c])
            else:
                assert whole[r][c] == grey(r), ("whole", r, c)
    overlay.hover(2, 0, 10, 10)
    expect(overlay.tooltip()).to_contain_text("part")
    expect(overlay.tooltip()).to_contain_text("right")
    screenshot(page, "deep-ensemble")
    assert not page_log.errors(), page_log.summary()


def test_grad_cam_draws_a_map_for_each_image_input(page: Page, page_log: PageLog, voila: VoilaServers):
    open_voila(page, voila, "deep_gradcam_two.ipynb", selector=".ipx-overlay canvas.ipx-overlay-cell")
    squares = {"scan": (range(2, 6), range(3, 7), 16, 16), "xray": (range(7, 11), range(12, 18), 12, 20)}
    for index, name in enumerate(squares):
        view = OverlayOnPage.nth(page, index)
        page.wait_for_function("el => el.querySelector('.ipx-job')?.dataset.status === 'done'",
                               arg=view.root.element_handle(), timeout=30_000)
        expect(view.root.locator(".ipx-title")).to_have_text(name)
        expect(view.root.locator(".ipx-overlay-label")).to_have_text(["grad cam"])
        rows, cols, height, width = squares[name]
        pixels = view.pixels(0, 0)
        assert (len(pixels), len(pixels[0])) == (height, width)
        for r in range(height):
            for c in range(width):
                if r in rows and c in cols:  # the white square under a red overlay
                    red, green, blue = pixels[r][c]
                    assert red > blue + 25 and (red, green, blue) != (255, 255, 255), (name, r, c, pixels[r][c])
                else:  # the black image, nothing over it
                    assert pixels[r][c] == (0, 0, 0), (name, r, c, pixels[r][c])
    shares = BarsOnPage.nth(page, 0)
    shares.wait_settled()
    assert sorted(b.key for b in shares.bars()) == ["scan", "xray"]
    screenshot(page, "deep-gradcam-two-images")
    assert not page_log.errors(), page_log.summary()
