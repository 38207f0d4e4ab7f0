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
