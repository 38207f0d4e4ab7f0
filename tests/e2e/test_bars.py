"""ImportanceBars in a real browser: Voila (light, dark) and JupyterLab; known values, a waterfall,
live Jobs (streaming, cancelled, failing), selection and keyboard, HTML in names."""

from __future__ import annotations

import itertools
import re
import time

import numpy as np
import pytest
from bars_page import Bar, BarsOnPage
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
from ipyexplain.explanation import global_importance

pytestmark = pytest.mark.e2e

SVG = ".ipx-bars svg"
XSS = "<img src=x onerror=alert(1)>"
OTHER = "\u0000other"
POS, NEG = color_of(0.7, "rdbu", -1, 1), color_of(-0.7, "rdbu", -1, 1)

# bars_known.ipynb's data.
NAMES = ["age", "income", XSS, "tenure",
         "number of products held with the bank over the last twelve months, counted per customer account",
         "balance", "region", "credit score"]
SCALES = np.array([3.0, 2.0, 1.5, 1.0, 0.8, 0.5, 0.3, 0.1])
# bars_stream.ipynb's data.
STREAM_NAMES = ["age", "income", "tenure", "balance", "region", "credit score"]


def known_values() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    values = rng.normal(size=(60, 8)) * SCALES
    values[5, 3] = np.nan
    return values, rng.integers(18, 90, size=(60, 8))


def expected_global(values: np.ndarray, top_k: int) -> list[tuple[str, float]]:
    """What the kernel should draw: mean |value| by feature, sorted, the rest summed per row."""
    mean_abs = np.nanmean(np.abs(values), axis=0)
    order = np.argsort(-mean_abs, kind="stable")
    rest = order[top_k:]
    folded = np.nansum(np.abs(values[:, rest]), axis=1).mean()
    return [(NAMES[i], float(mean_abs[i])) for i in order[:top_k]] + [(OTHER, float(folded))]


def fmt(v: float) -> str:
    """lib/text.ts formatNumber for ordinary magnitudes: 3 significant digits, no trailing zeros."""
    return f"{float(f'{v:.3g}'):g}"


def assert_bars(drawn: list[Bar], expected: list[tuple[str, float]]) -> None:
    assert [b.key for b in drawn] == [k for k, _ in expected]
    for bar, (_, value) in zip(drawn, expected, strict=True):
        assert bar.value == pytest.approx(value, rel=1e-6), bar.key
    ys = [b.y for b in drawn]
    assert ys == sorted(ys) and len(set(ys)) == len(ys), "bars are drawn top to bottom in rank order"


def luminance(css: str) -> float:
    r, g, b = (int(float(v)) for v in re.findall(r"[\d.]+", css)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def wait_label(page: Page, text: str, timeout_ms: float = 20_000) -> None:
    expect(page.get_by_text(text, exact=True)).to_be_visible(timeout=timeout_ms)


# ------------------------------------------------------------------------------ Voila
def test_voila_global_bars_hover_select_keyboard_and_animated_update(page: Page, page_log: PageLog,
                                                                     voila: VoilaServers):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_voila(page, voila, "bars_known.ipynb", selector=SVG)
    bars = BarsOnPage.nth(page, 0)
    expect(bars.root.locator(".ipx-title-text")).to_have_text("Global importance")
    values, _ = known_values()
    expected = expected_global(values, 5)
    drawn = bars.bars()
    assert_bars(drawn, expected)
    # Labels: names (HTML shown as text), value labels at the bar ends, the long name cut with an ellipsis.
    assert [b.label for b in drawn[:3]] == ["age", "income", XSS]
    assert [b.text for b in drawn] == [fmt(v) for _, v in expected]
    long = next(b for b in drawn if b.key == NAMES[4])
    assert long.label.endswith("\u2026") and NAMES[4].startswith(long.label[:-1])
    assert drawn[-1].label == "3 other features" and drawn[-1].other
    assert bars.root.locator("img").count() == 0
    # Lengths are proportional to the values; every bar has its interval; one colour for magnitudes.
    for b in drawn[1:]:
        assert b.width / drawn[0].width == pytest.approx(b.value / drawn[0].value, rel=0.02)
    assert all(b.has_interval and b.lo < b.value < b.hi for b in drawn)
    assert {b.rgb for b in drawn} == {POS}
    assert bars.axis_label() == "mean |SHAP value|" and "0" in bars.tick_labels()
    assert "top 5 of 8 features (3 others summed)" in bars.status()
    assert "1 missing value (NaN/inf) left out of the means" in bars.status()
    assert bars.layout_problems() == []
    screenshot(bars.root, "bars-voila-light")

    # Hover: the full name and the exact value with its interval.
    bars.hover(NAMES[4])
    expect(bars.tooltip()).to_contain_text(NAMES[4])
    bars.hover("age")
    expect(bars.tooltip()).to_contain_text("95% CI of the mean over 60 rows")
    expect(bars.tooltip()).to_contain_text(f"{np.float32(expected[0][1]):.6g}"[:5])

    # Click selects (the kernel sees it), a second click clears; keyboard moves and selects.
    bars.click("income")
    wait_label(page, "selected=income")
    assert bars.bar("income").selected
    bars.click("income")
    wait_label(page, "selected=None")
    bars.click("age")
    wait_label(page, "selected=age")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    wait_label(page, f"selected={XSS}")
    assert [b.tabindex for b in bars.bars()].count("0") == 1
    screenshot(bars.root, "bars-voila-light-keyboard")  # focus ring and tooltip on the focused bar
    page.keyboard.press("Escape")
    wait_label(page, "selected=None")

    # The kernel assigns new values: bars glide to their new slots (sampled every frame), no jumps:
    # "tenure" moves from the 4th slot to the 5th, "age" is folded into the other features.
    bars.root.evaluate("""root => {
        root.__ys = [];
        const t0 = performance.now();
        const tick = () => {
          const g = root.querySelector('g.ipx-bar[data-key="tenure"]');
          const m = /translate\\(0,([\\d.]+)\\)/.exec(g ? g.getAttribute('transform') : '');
          if (m) root.__ys.push(Number(m[1]));
          if (performance.now() - t0 < 2000) requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
    }""")
    frame = bars.frame()
    page.get_by_role("button", name="reweight in kernel").click()
    bars.wait_frame(frame + 1)
    bars.wait_settled()
    reweighted = values / SCALES * SCALES[::-1]
    assert_bars(bars.bars(), expected_global(reweighted, 5))
    page.wait_for_timeout(2100)
    ys = bars.root.evaluate("root => root.__ys")
    start, end = ys[0], ys[-1]
    between = {round(y, 1) for y in ys if min(start, end) < y < max(start, end)}
    assert end > start and len(between) >= 3, f"tenure moved {start} -> {end} via {sorted(between)}"
    assert not dialogs, f"user text executed as HTML: {dialogs}"
    assert not page_log.errors(), page_log.summary()


def test_voila_local_waterfall_order_signs_and_markers(page: Page, page_log: PageLog, voila: VoilaServers):
    open_voila(page, voila, "bars_known.ipynb", selector=SVG)
    local = BarsOnPage.nth(page, 1)
    values, data = known_values()
    row = values[2]
    order = np.argsort(-np.abs(row), kind="stable")
    expected = [(NAMES[i], float(row[i])) for i in order[:4]] + [(OTHER, float(row[order[4:]].sum()))]
    drawn = local.bars()
    assert_bars(drawn, expected)
    assert [b.feature for b in drawn] == [f" = {data[2, i]}" for i in order[:4]] + [""]
    for b in drawn:
        assert b.rgb == (POS if b.value > 0 else NEG), b.key
        assert b.text == ("+" if b.value > 0 else "\u2212") + fmt(abs(b.value))
    # From the base value at the bottom to the output at the top, each bar starting where the one below ends.
    output = 0.25 + row.sum()
    assert drawn[-1].start == pytest.approx(0.25, abs=1e-6)
    for upper, lower in itertools.pairwise(drawn):
        assert upper.start == pytest.approx(lower.start + lower.value, abs=1e-5)
        upper_start_x = upper.x if upper.value > 0 else upper.x + upper.width
        lower_end_x = lower.x + lower.width if lower.value > 0 else lower.x
        assert upper_start_x == pytest.approx(lower_end_x, abs=1.0)
    assert drawn[0].start + drawn[0].value == pytest.approx(output, abs=1e-5)
    expect(local.root.locator(".ipx-marker-output-label")).to_have_text(f"f(x) = {fmt(output)}")
    expect(local.root.locator(".ipx-marker-base-label")).to_have_text("E[f(X)] = 0.25")
    expect(local.root.locator(".ipx-legend")).to_contain_text("raises the output")
    assert local.axis_label() == "SHAP value" and local.status().startswith("row 2 · top 4 of 8 features")
    local.hover(drawn[0].key)
    expect(local.tooltip()).to_contain_text("running total")
    screenshot(local.root, "bars-voila-local")
    # Nothing cut off or overlapping, down to sidebar width (the third view is 340 px wide).
    narrow = BarsOnPage.nth(page, 2)
    assert narrow.root.evaluate("el => el.clientWidth") <= 340
    assert any(b.label.endswith("\u2026") for b in narrow.bars())
    for view in (BarsOnPage.nth(page, 0), local, narrow):
        assert view.layout_problems() == []
    screenshot(narrow.root, "bars-voila-narrow")
    assert not page_log.errors(), page_log.summary()


def test_voila_dark_theme_is_legible(page: Page, page_log: PageLog, voila: VoilaServers):
    open_voila(page, voila, "bars_known.ipynb", "dark", selector=SVG)
    bars, local = BarsOnPage.nth(page, 0), BarsOnPage.nth(page, 1)
    assert luminance(bars.root.evaluate("el => getComputedStyle(el).backgroundColor")) < 0.25
    for view in (bars, local):
        name_fill = view.root.locator(".ipx-bar-name").first.evaluate("el => getComputedStyle(el).fill")
        tick_fill = view.root.locator(".ipx-tick-label").first.evaluate("el => getComputedStyle(el).fill")
        assert luminance(name_fill) > 0.7 and luminance(tick_fill) > 0.4, (name_fill, tick_fill)
    assert {b.rgb for b in local.bars()} == {POS, NEG}
    screenshot(bars.root, "bars-voila-dark")
    screenshot(local.root, "bars-voila-dark-local")
    assert not page_log.errors(), page_log.summary()


def test_voila_streaming_job_cancel_and_error(page: Page, page_log: PageLog, voila: VoilaServers):
    open_voila(page, voila, "bars_stream.ipynb", selector=SVG)
    full, slow, failing = (BarsOnPage.nth(page, i, settled=False) for i in range(3))
    expect(full.root.locator(".ipx-job-text")).to_have_text("waiting for the job to start")
    page.get_by_role("button", name="start jobs").click()

    states, texts = set(), set()
    cancelled_at = None
    deadline = time.monotonic() + 30
    while full.job_status() != "done" and time.monotonic() < deadline:
        if full.job_status() == "running":
            states.add(full.snapshot())
            texts.add(full.job_text())
        if cancelled_at is None and slow.job_status() == "running" and re.match(r"[3-9] / 30", slow.job_text()):
            slow.root.locator(".ipx-cancel").click()
            cancelled_at = time.monotonic()
        page.wait_for_timeout(80)
    assert full.job_status() == "done", full.job_text()
    assert len(states) >= 3, f"only {len(states)} distinct live states"
    assert any(re.fullmatch(r"\d+ / 30 repeats · \d+\.\d s · about \d+ s left", t) for t in texts), texts
    # The final drawing is the final result.
    rng = np.random.default_rng(1)
    samples = rng.normal(loc=[0.30, 0.22, 0.15, 0.10, 0.05, 0.02], scale=0.06, size=(30, 6))
    final = global_importance(samples, STREAM_NAMES, method="permutation")
    order = np.argsort(-np.abs(final.values), kind="stable")
    full.wait_settled()
    drawn = full.bars()
    assert [b.key for b in drawn] == [STREAM_NAMES[i] for i in order]
    for b, i in zip(drawn, order, strict=True):
        assert (b.value, b.lo, b.hi) == pytest.approx(
            (final.values[i], final.lower_bounds[i], final.upper_bounds[i]), rel=1e-5)
    assert full.job_text().startswith("done: 30 repeats in ")
    expect(full.root.locator(".ipx-partial-badge")).to_be_hidden()
    expect(full.root.locator(".ipx-cancel")).to_be_hidden()
    expect(full.root.locator(".ipx-legend")).to_contain_text("95% CI from 30 repeats")

    # Cancelled: the kernel says so (mirrored label), the view keeps the last partial result, marked.
    assert cancelled_at is not None
    wait_label(page, "slow: cancelled")
    expect(slow.root.locator(".ipx-job-text")).to_have_text(re.compile(r"partial — cancelled after \d+ of 30 repeats"))
    done = int(re.search(r"after (\d+) of", slow.job_text()).group(1))  # type: ignore[union-attr]
    assert 3 <= done < 30 and len(slow.bars()) == 6
    expect(slow.root.locator(".ipx-partial-badge")).to_have_text("partial — cancelled")

    # A failing generator: its message in the widget, the partial result it had still drawn.
    wait_label(page, "failing: error")
    expect(failing.root.locator(".ipx-error")).to_have_text(
        "The job failed: RuntimeError: the model server returned 503 (Service Unavailable)")
    expect(failing.root.locator(".ipx-job-text")).to_have_text("failed after 3 of 30 repeats")
    assert len(failing.bars()) == 6
    screenshot(page, "bars-voila-stream")
    assert not page_log.errors(), page_log.summary()


# ---------------------------------------------------------------------------- JupyterLab
def test_lab_selection_reaches_the_kernel_updates_and_dark_theme(page: Page, page_log: PageLog, lab: LabServer):
    open_lab(page, lab)
    open_lab_notebook(page, "bars_known.ipynb")
    lab_run_all(page)
    panel = page.locator(".jp-NotebookPanel")
    bars = BarsOnPage.nth(page, 0, scope=panel)
    values, _ = known_values()
    assert_bars(bars.bars(), expected_global(values, 5))

    bars.click("tenure")
    assert lab_execute(page, "print(bars.selected_feature)").strip() == "tenure"
    frame = bars.frame()
    lab_execute(page, "bars.update(top_k=2, other='mean')")
    bars.wait_frame(frame + 1)
    bars.wait_settled()
    mean_abs = np.nanmean(np.abs(values), axis=0)
    order = np.argsort(-mean_abs, kind="stable")
    folded = np.nanmean(np.abs(values[:, order[2:]]), axis=1).mean()
    assert_bars(bars.bars(), [(NAMES[order[0]], mean_abs[order[0]]), (NAMES[order[1]], mean_abs[order[1]]),
                              (OTHER, folded)])
    assert "6 others averaged" in bars.status()
    # The selected feature is folded now: still selected in the kernel, no bar is marked.
    assert not any(b.selected for b in bars.bars())
    screenshot(panel.first, "bars-lab-light")

    lab_set_theme(page, DARK_THEME)
    page.wait_for_timeout(600)
    name_fill = bars.root.locator(".ipx-bar-name").first.evaluate("el => getComputedStyle(el).fill")
    assert luminance(name_fill) > 0.7
    screenshot(panel.first, "bars-lab-dark")
    assert not page_log.errors(), page_log.summary()


def test_lab_cancel_button_stops_the_job_in_the_kernel(page: Page, page_log: PageLog, lab: LabServer):
    open_lab(page, lab)
    open_lab_notebook(page, "bars_stream.ipynb")
    lab_run_all(page)
    panel = page.locator(".jp-NotebookPanel")
    full = BarsOnPage.nth(page, 0, scope=panel, settled=False)
    slow = BarsOnPage.nth(page, 1, scope=panel, settled=False)
    panel.get_by_role("button", name="start jobs").click()
    expect(slow.root.locator(".ipx-job-text")).to_have_text(re.compile(r"^[2-9] / 30 repeats"), timeout=20_000)
    slow.root.locator(".ipx-cancel").click()
    expect(slow.root.locator(".ipx-job-text")).to_contain_text("partial — cancelled after", timeout=10_000)
    status, done = lab_execute(page, "slow.wait(5); print(slow.status, slow.progress.done)").split()
    assert status == "cancelled"
    assert slow.job_text() == f"partial — cancelled after {done} of 30 repeats"

    # The full job runs on; what is drawn at the end is the kernel's final result.
    expect(full.root.locator(".ipx-job-text")).to_contain_text("done: 30 repeats", timeout=30_000)
    full.wait_settled()
    kernel = lab_execute(page, "r = job.result\nfor i in np.argsort(-np.abs(r.values)): print(names[i], r.values[i])")
    expected = [(line.rsplit(" ", 1)[0], float(line.rsplit(" ", 1)[1])) for line in kernel.strip().splitlines()]
    drawn = full.bars()
    assert [b.key for b in drawn] == [k for k, _ in expected]
    assert [b.value for b in drawn] == pytest.approx([v for _, v in expected], rel=1e-6)
    screenshot(panel.first, "bars-lab-stream")
    assert not page_log.errors(), page_log.summary()
