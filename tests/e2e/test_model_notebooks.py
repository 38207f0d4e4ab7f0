"""The model-visualization demo notebooks (notebooks/training_monitor, distributions, evaluate, compare) run as a
user runs them, in Voila: every cell succeeds, what each promises is on the page, the compression demo
distils and quantizes in seconds, and the screenshots (README pictures) are written in light and dark."""

from __future__ import annotations

import re

import pytest
from charts_page import ChartOnPage, luminance
from playwright.sync_api import Page, expect
from servers import VoilaServers
from ui import PageLog, open_voila, screenshot

pytestmark = pytest.mark.e2e


def open_demo(page: Page, voila: VoilaServers, name: str, selector: str, theme: str = "light") -> None:
    """Voila sends the page once every cell has run: a whole demo notebook on a shared 2-core machine can take
    longer than Playwright's default 30 s navigation timeout."""
    page.set_default_navigation_timeout(150_000)
    open_voila(page, voila, f"notebooks/{name}.ipynb", theme, selector=selector)


def full_page(page: Page, name: str) -> None:
    height = page.evaluate("() => Math.max(...Array.from(document.querySelectorAll('body, body *'),"
                           " (e) => e.scrollHeight))")  # Voila scrolls inside its own container
    page.set_viewport_size({"width": 1200, "height": min(int(height) + 40, 6000)})
    page.wait_for_timeout(500)
    screenshot(page, name)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_training_monitor_notebook(page: Page, page_log: PageLog, voila: VoilaServers, theme: str):
    open_demo(page, voila, "training_monitor", ".ipx-monitor", theme)
    monitors = page.locator(".ipx-monitor")
    expect(monitors).to_have_count(3, timeout=60_000)
    torch_mon, thread_mon, big = (monitors.nth(i) for i in range(3))
    expect(torch_mon.locator(".ipx-monitor-status")).to_contain_text("step 599 · 5 metrics")
    expect(thread_mon.locator(".ipx-monitor-status")).to_contain_text("step 299", timeout=30_000)
    expect(big.locator(".ipx-monitor-status")).to_contain_text("steps 59,000–61,000 (zoomed)")
    expect(torch_mon.locator(".ipx-heatmap")).to_have_count(2)  # gradient and weight norms, layers x steps
    expect(page.get_by_text(re.compile(r"'loss': 600, 'acc': 600, 'lr': \d+, 'val_loss': 12"))).to_be_visible()
    # The NaN at step 60,000 is a one-step gap inside a 2,000-step window: its marker says where.
    loss = ChartOnPage.find(page, "monitor-loss", scope=big)
    page.wait_for_function("(f) => f.querySelectorAll('path.dot').length > 0", arg=loss.root.element_handle())
    assert [(d.x, d.name) for d in loss.dots(-1)] == [(60_000.0, "loss")]
    expect(big.locator(".ipx-monitor-warning").first).to_have_text(
        "⚠ loss: 1 NaN/inf value since step 60,000, drawn as gaps")
    # The constant learning rate of the partial_fit run: one distinct tick label would mean d3 guessed the range.
    lr = ChartOnPage.find(page, "monitor-learning-rate", scope=thread_mon)
    ticks = lr.ticks(vertical=True)
    assert len({t for t, _ in ticks}) == len(ticks) >= 3, ticks
    assert "learning rate" in lr.root.locator("text.axislabel").all_text_contents()
    if theme == "dark":
        assert luminance(loss.background()) < 0.3 and luminance(loss.tick_color()) > 0.5
    full_page(page, f"demo-training_monitor-{theme}")
    assert not page_log.errors(), page_log.summary()


def test_distributions_notebook(page: Page, page_log: PageLog, voila: VoilaServers):
    open_demo(page, voila, "distributions", ".ipx-distributions")
    expect(page.locator(".ipx-distributions")).to_have_count(2, timeout=60_000)
    root, gated = page.locator(".ipx-distributions").first, page.locator(".ipx-distributions").nth(1)
    expect(root.locator(".ipx-dist-callouts")).to_contain_text(re.compile(r"1 \(ReLU\): \d+ of 96 units dead"))
    hist = ChartOnPage.find(page, "dist-hist", scope=root)
    expect(hist.root.locator("text.mainheading")).to_have_text("3 · Tanh")  # the notebook picked it
    expect(root.locator(".ipx-heatmap")).to_have_count(1)  # its history, steps x bins
    expect(root.locator(".ipx-heatmap")).to_contain_text("3 over training steps")
    # Activation functions called inside forward: found, named after their layer, called out.
    callouts = gated.locator(".ipx-dist-callouts")
    expect(callouts).to_contain_text(re.compile(r"fc1 → gelu \(gelu\): \d+ of 64 units dead"))
    expect(callouts).to_contain_text(re.compile(r"fc2 → sigmoid \(sigmoid\): \d+% of values saturated"))
    expect(ChartOnPage.find(page, "dist-hist", scope=gated).root.locator("text.mainheading")).to_have_text(
        "fc2 → sigmoid · sigmoid")
    full_page(page, "demo-distributions")
    assert not page_log.errors(), page_log.summary()


def test_evaluate_notebook(page: Page, page_log: PageLog, voila: VoilaServers):
    open_demo(page, voila, "evaluate", ".ipx-evaluation")
    expect(page.locator(".ipx-evaluation")).to_have_count(3, timeout=60_000)
    cancer = page.locator(".ipx-evaluation").first
    expect(cancer.locator(".ipx-eval-rates")).to_contain_text("threshold 0.30")  # the notebook set it from code
    expect(page.locator(".ipx-evaluation").nth(1).locator(".ipx-eval-legend")).to_have_count(10)
    expect(page.get_by_text(re.compile("y has a single class"))).to_be_visible()
    full_page(page, "demo-evaluate")
    assert not page_log.errors(), page_log.summary()


def test_compare_notebook_distils_and_quantizes_in_seconds(page: Page, page_log: PageLog, voila: VoilaServers):
    open_demo(page, voila, "compare", ".ipx-comparison")
    expect(page.locator(".ipx-comparison")).to_have_count(3, timeout=90_000)
    first = page.locator(".ipx-comparison").first
    expect(first.locator(".ipx-compare-sentence")).to_contain_text(re.compile(r"boosting|logistic"))
    expect(first.locator(".ipx-compare-ranks")).to_contain_text("Spearman", timeout=60_000)
    took = page.get_by_text(re.compile(r"^trained, distilled and quantized in [\d.]+ s"))
    expect(took).to_be_visible()
    seconds = float(re.findall(r"[\d.]+", took.inner_text())[0])
    assert seconds < 15, f"the compression demo took {seconds} s to train, distil and quantize"
    quantized, student = page.locator(".ipx-comparison").nth(1), page.locator(".ipx-comparison").nth(2)
    expect(quantized.locator(".ipx-compression-sentence")).to_contain_text(re.compile(r"^int8 is [\d.]+× smaller"))
    expect(quantized.locator(".ipx-compression-table")).to_contain_text("latency per batch of 256")
    expect(quantized.locator(".ipx-compare-compression .ipx-bars")).to_have_count(1)  # per-layer differences
    expect(student.locator(".ipx-compression-sentence")).to_contain_text("student is")
    full_page(page, "demo-compare")
    assert not page_log.errors(), page_log.summary()
