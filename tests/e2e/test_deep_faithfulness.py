"""Faithfulness in Voila: curves drawn live beside the heatmap, the true attribution beats random order."""

from __future__ import annotations

import re
import time

import pytest
from deep_page import luminance
from playwright.sync_api import Page, expect
from servers import VoilaServers
from ui import PageLog, open_voila, screenshot

pytestmark = pytest.mark.e2e

AUC = re.compile(r"AUC — deletion ([\d.]+) \(random ([\d.]+), lower is better\) · insertion ([\d.]+) \(random ([\d.]+)")


def points(page: Page) -> list[int]:
    """Points in each of the four curves (the marks' paths come first; the legend's glyph paths follow)."""
    counts = page.locator(".ipx-faithfulness-chart path.line").evaluate_all(
        "els => els.map((e) => ((e.getAttribute('d') || '').match(/[ML]/g) || []).length)")
    return counts[:4]


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_curves_grow_live_and_the_exact_attribution_beats_random(page: Page, page_log: PageLog,
                                                                  voila: VoilaServers, theme: str):
    open_voila(page, voila, "deep_faithfulness.ipynb", theme, selector=".ipx-faithfulness .ipx-heatmap canvas")
    root = page.locator(".ipx-faithfulness")
    expect(root.locator(".ipx-heatmap .ipx-title")).to_have_text("attribution tested")
    page.get_by_role("button", name="start curves").click()
    seen: set[int] = set()
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        counts = points(page)
        if counts:
            seen.add(max(counts))
        if "done" in root.locator(".ipx-faithfulness-status").inner_text():
            break
        page.wait_for_timeout(80)
    expect(root.locator(".ipx-faithfulness-status")).to_have_text(re.compile(r"done: 13 steps in \d+\.\d s"))
    assert len([n for n in seen if 0 < n < 13]) >= 3, f"curves drawn with {sorted(seen)} points"
    assert points(page) == [13, 13, 13, 13]
    match = AUC.search(root.locator(".ipx-faithfulness-auc").inner_text())
    assert match, root.locator(".ipx-faithfulness-auc").inner_text()
    deletion, random_deletion, insertion, random_insertion = (float(v) for v in match.groups())
    assert deletion < random_deletion and insertion > random_insertion
    texts = root.locator(".ipx-faithfulness-chart text").all_text_contents()
    for label in ("deletion", "insertion", "deletion, random order", "insertion, random order"):
        assert label in texts, texts
    assert root.locator("b").count() == 0  # an HTML feature name stays text
    if theme == "dark":
        label = root.locator(".ipx-faithfulness-chart .axislabel").first.evaluate("el => getComputedStyle(el).fill")
        assert luminance(label) > 0.5, label
    screenshot(root, f"deep-faithfulness-{theme}")
    assert not page_log.errors(), page_log.summary()
