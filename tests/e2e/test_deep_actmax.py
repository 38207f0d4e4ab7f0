"""ActMaxView in Voila: the image evolves through several drawn states, the objective rises, cancel stops."""

from __future__ import annotations

import re
import time

import pytest
from deep_page import LiveOnPage, luminance
from playwright.sync_api import Page, expect
from servers import VoilaServers
from ui import PageLog, open_voila, screenshot

pytestmark = pytest.mark.e2e


class ActMaxOnPage(LiveOnPage):
    selector = ".ipx-actmax"

    def image_digest(self) -> str:
        return str(self.root.locator("canvas.ipx-actmax-image").evaluate(
            """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                      let h = 0; for (let i = 0; i < d.length; i++) h = (h * 31 + d[i]) >>> 0; return h; }"""))


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_actmax_draws_intermediate_images_objective_and_cancels(page: Page, page_log: PageLog,
                                                                 voila: VoilaServers, theme: str):
    open_voila(page, voila, "deep_actmax.ipynb", theme, selector=".ipx-actmax")
    page.get_by_role("button", name="start optimising").click()
    view = ActMaxOnPage.nth(page, 0)
    stopped = ActMaxOnPage.nth(page, 1)
    images: set[str] = set()
    cancelled = False
    deadline = time.monotonic() + 60
    while view.job_status() != "done" and time.monotonic() < deadline:
        images.add(view.image_digest())
        if not cancelled and stopped.job_status() == "running" and stopped.frame() >= 3:
            stopped.root.locator(".ipx-cancel").click()
            cancelled = True
        page.wait_for_timeout(80)
    assert view.job_status() == "done", view.job_text()
    assert len(images) >= 3, f"only {len(images)} distinct images drawn"
    caption = view.root.locator(".ipx-actmax-figure").nth(1).inner_text()
    first, last = re.search(r"from (-?[\d.e-]+) at step 1", caption), re.search(r"objective: (-?[\d.e-]+)", caption)
    assert first and last and float(last.group(1)) > float(first.group(1)), caption
    expect(view.root.locator(".ipx-actmax-figure").first).to_contain_text("class 2 · step 120 of 120")
    assert view.root.locator(".ipx-actmax-line").get_attribute("d")
    assert view.root.locator(".ipx-actmax-strip canvas").count() >= 3

    assert cancelled
    expect(page.get_by_text("second run: cancelled")).to_be_visible(timeout=20_000)
    expect(stopped.root.locator(".ipx-job-text")).to_have_text(
        re.compile(r"partial — cancelled after \d+ of 2,000 steps"))
    if theme == "dark":
        tick = view.root.locator(".ipx-actmax-tick").first.evaluate("el => getComputedStyle(el).fill")
        assert luminance(tick) > 0.4
    screenshot(page, f"deep-actmax-{theme}")
    assert not page_log.errors(), page_log.summary()
