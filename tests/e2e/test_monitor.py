"""TrainingMonitor in a real browser: the charts update while a loop keeps the kernel busy (Voila: a button
handler; JupyterLab: a running cell) and from a background thread; hover, log scale, wheel zoom with
kernel-side re-decimation, 100,000 logged steps drawn bounded, dark theme legible."""

from __future__ import annotations

import re
import time

import pytest
from charts_page import ChartOnPage, luminance
from playwright.sync_api import Page, expect
from servers import LabServer, VoilaServers
from ui import DARK_THEME, PageLog, _lab_js, lab_execute, lab_run_all, lab_set_theme, open_lab, open_voila, screenshot

pytestmark = pytest.mark.e2e
XSS = "<img src=x onerror=alert(1)>"


def watch_live(page: Page, scope, timeout_s: float = 30) -> list[tuple[int, float]]:
    """The drawn loss line's states (points, last step) seen while the loop runs, sampled in the page on every
    animation frame (so a slow test process cannot miss any), until the loop reports done."""
    running = page.locator(".widget-label").filter(has_text=re.compile("^loop: running$"))
    expect(running).to_be_visible(timeout=15_000)
    scope.locator(".ipx-monitor-loss").first.wait_for(state="attached")
    scope.locator(".ipx-monitor-loss").first.evaluate("""(fig) => {
        const label = Array.from(document.querySelectorAll('.widget-label'))
          .find((l) => l.textContent.startsWith('loop: '));
        window.__states = [];
        const tick = () => {
          // The raw loss line: its head (mark 1) and its tail (mark 2), which starts at the head's last point. A
          // resent head arrives before its new tail (they are two widgets): for a moment they overlap (never a
          // gap), so the line drawn is the head and the tail's points beyond it.
          const marks = Array.from(fig.querySelectorAll('svg.svg-figure > g > g')[0].children)
            .filter((g) => !g.classList.contains('g_legend'));
          const part = (g) => { const p = g && g.querySelector('path.line');
                                return p && p.__data__ ? p.__data__.values : []; };
          const head = part(marks[1]), tail = part(marks[2]);
          const end = head.length ? head[head.length - 1].x : -Infinity;
          const values = head.concat(tail.filter((v) => v.x > end));
          const state = [values.length, values.length ? values[values.length - 1].x : null];
          const last = window.__states[window.__states.length - 1];
          if (label.textContent === 'loop: running' && (!last || last[0] !== state[0] || last[1] !== state[1])) {
            window.__states.push(state);
          }
          if (!label.textContent.includes('done')) requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
    }""")
    done = page.locator(".widget-label").filter(has_text=re.compile("^loop: done"))
    expect(done).to_be_visible(timeout=timeout_s * 1000)
    return [(int(n), float(x)) for n, x in page.evaluate("() => window.__states") if n]


def test_voila_updates_while_the_kernel_is_busy_and_from_a_thread(page: Page, page_log: PageLog, voila: VoilaServers):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_voila(page, voila, "monitor_live.ipynb", selector=".ipx-monitor")
    page.get_by_role("button", name="train (blocking)").click()  # runs the loop in the kernel's main thread
    seen = watch_live(page, page)
    assert len(seen) >= 3, f"only {len(seen)} intermediate states drawn while the loop ran: {seen}"
    assert [n for n, _ in seen] == sorted(n for n, _ in seen) and sum(n < 300 for n, _ in seen) >= 3
    loss = ChartOnPage.find(page, "monitor-loss")
    expect(page.locator(".ipx-monitor-status")).to_contain_text("step 299 · 5 metrics · 1,500 values logged")
    page.wait_for_function(
        "(fig) => { const p = Array.from(fig.querySelectorAll('path.line')).slice(0, 2).map((e) => e.__data__);"
        " return p[0] && p[1] && p[0].values.length + Math.max(p[1].values.length - 1, 0) === 300; }",
        arg=loss.root.element_handle())
    points = loss.split_line_points(1)  # marks: hover markers, then per metric raw head, tail, smoothed head, tail
    assert [x for x, _ in points] == list(range(300))
    val = loss.split_line_points(5)  # val_loss raw: NaN at step 150 is a gap, flagged in words
    assert val[150][1] != val[150][1] and val[149][1] == val[149][1]
    expect(page.locator(".ipx-monitor-warning").first).to_have_text(
        "⚠ val_loss: 1 NaN/inf value since step 150, drawn as gaps")
    nan_marks = loss.dots(-1)  # and marked: a triangle at the bottom of the plot at that step, named on hover
    _, height = loss.plot_size()
    assert [(d.x, d.name) for d in nan_marks] == [(150.0, "val_loss")] and nan_marks[0].py > 0.9 * height
    assert nan_marks[0].px == pytest.approx(loss.to_px(150), abs=1.5)
    metrics = page.locator(".ipx-monitor-panel").filter(has=page.locator(".ipx-monitor-metrics"))
    expect(metrics.locator(".ipx-monitor-key").nth(1)).to_contain_text(XSS)
    assert page.locator(".ipx-monitor img").count() == 0

    # Hover readout, drawn by the browser: step and value of the point under the mouse.
    tooltip = loss.hover_dot(0, 20)
    expect(tooltip).to_contain_text("step")
    expect(tooltip).to_contain_text("loss · smoothed")
    screenshot(page.locator(".ipx-monitor"), "monitor-voila-light")

    # Log scale: the axis changes, the drawn values do not.
    before = loss.ticks(vertical=True)
    page.locator(".ipx-monitor-panel").first.locator(".ipx-log-toggle").click()
    page.wait_for_function("([el, n]) => el.querySelectorAll('g.tick').length !== n || true",
                           arg=[loss.root.element_handle(), len(before)])
    expect(loss.root.locator("g.tick text").first).not_to_have_text(str(before[0][0]), timeout=5_000)
    assert loss.split_line_points(1)[:5] == points[:5]

    # Wheel zoom over the loss panel: every panel follows (shared x scale) and the kernel re-decimates.
    page.get_by_role("button", name="zoom / pan").click()
    box = loss.root.locator("rect.plotarea_background").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    for _ in range(4):
        page.mouse.wheel(0, -200)
        page.wait_for_timeout(100)
    expect(page.locator(".ipx-monitor-status")).to_contain_text("(zoomed)", timeout=10_000)
    page.get_by_role("button", name="Reset zoom").click()
    expect(page.locator(".ipx-monitor-status")).to_contain_text("all steps", timeout=10_000)

    # The smoothing slider (kernel side): at 0 the smoothed lines go and the raw lines are drawn opaque.
    readout = page.locator(".ipx-smoothing .widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("0")
    page.keyboard.press("Enter")
    page.wait_for_function(
        """(fig) => { const m = Array.from(fig.querySelectorAll('svg.svg-figure > g > g')[0].children);
             return m[3].style.display === 'none' && m[4].style.display === 'none'
               && getComputedStyle(m[1].querySelector('path.line')).opacity === '1'; }""",
        arg=loss.root.element_handle(), timeout=10_000)
    assert loss.split_line_points(1) == points  # the raw values themselves do not change

    # A loop on a background thread: the kernel is idle, the charts follow the thread.
    page.get_by_role("button", name="train (thread)").click()
    seen = watch_live(page, page)
    assert len(seen) >= 3, seen
    expect(page.locator(".ipx-monitor-status")).to_contain_text("step 599")
    assert not dialogs, dialogs
    assert not page_log.errors(), page_log.summary()


def lab_execute_nowait(page: Page, code: str) -> None:
    """Start ``code`` in the notebook's kernel and return at once (the cell keeps the kernel busy)."""
    page.evaluate(_lab_js("""
        const kernel = requireNotebook(arg.path).sessionContext.session.kernel;
        kernel.requestExecute({ code: arg.code, stop_on_error: true, store_history: false });
    """), {"code": code, "path": None, "ms": 10_000})


def test_lab_same_cell_loop_100k_steps_and_dark_theme(page: Page, page_log: PageLog, lab: LabServer):
    open_lab(page, lab)
    page.evaluate(_lab_js("""
        const nb = await within(app.commands.execute('docmanager:open', { path: 'monitor_live.ipynb' }), 'open');
        await within(nb.sessionContext.ready, 'kernel');"""), {"ms": 60_000})
    lab_set_theme(page, DARK_THEME)
    lab_run_all(page)
    panel = page.locator(".jp-NotebookPanel")
    lab_execute_nowait(page, "train(steps=300, pause=0.01)")  # the loop runs in this cell: the kernel is busy
    seen = watch_live(page, panel)
    assert len(seen) >= 3, f"only {len(seen)} intermediate states while the cell ran: {seen}"
    loss = ChartOnPage.find(page, "monitor-loss", scope=panel)
    assert luminance(loss.background()) < 0.3 and luminance(loss.tick_color()) > 0.5, loss.tick_color()
    title = loss.root.locator("text.mainheading").evaluate("e => getComputedStyle(e).fill")
    assert luminance(title) > 0.6, title  # the theme's text colour, not bqplot's dark-mode orange
    page.set_viewport_size({"width": 1400, "height": 1500})  # the whole monitor inside Lab's notebook area
    page.wait_for_timeout(500)
    panel.locator(".ipx-monitor").scroll_into_view_if_needed()
    screenshot(panel.locator(".ipx-monitor"), "monitor-lab-dark")

    # 100,000 more steps logged in one cell: each line stays at most 2 x buckets points.
    started = time.monotonic()
    lab_execute(page, "for i in range(300, 100_300):\n    mon.log(i, loss=1 / (1 + i ** 0.5), acc=0.5)\nmon.flush()",
                timeout_ms=120_000)
    expect(panel.locator(".ipx-monitor-status")).to_contain_text("step 100,299", timeout=30_000)
    page.wait_for_function("(el) => el.__data__ && el.__data__.values.length > 300",  # flush(): all in the head
                           arg=loss.root.locator("path.line").first.element_handle())
    drawn = loss.split_line_points(1)
    assert 300 < len(drawn) <= 1_600 and drawn[-1][0] == 100_299
    assert time.monotonic() - started < 60
    assert not page_log.errors(), page_log.summary()


def test_voila_dark_distributions_picker_callouts_and_history(page: Page, page_log: PageLog, voila: VoilaServers):
    open_voila(page, voila, "distributions_net.ipynb", theme="dark", selector=".ipx-distributions")
    root = page.locator(".ipx-distributions")
    expect(root.locator(".ipx-dist-callouts")).to_contain_text("1 (ReLU): 5 of 32 units dead")
    expect(root.locator(".ipx-dist-callouts")).to_contain_text("3 (Tanh): ")
    hist = ChartOnPage.find(page, "dist-hist", scope=root)
    assert hist.title() == "0.weight · Linear"
    assert luminance(hist.tick_color()) > 0.5 and luminance(hist.background()) < 0.3
    root.locator(".ipx-dist-kind button", has_text="activations").click()
    root.locator(".ipx-dist-layer select").select_option("3")
    expect(hist.root.locator("text.mainheading")).to_have_text("3 · Tanh")
    expect(root.locator(".ipx-dist-summary")).to_contain_text("saturated")
    expect(root.locator(".ipx-heatmap")).to_have_count(1)  # the chosen layer's history, steps x bins
    page.set_viewport_size({"width": 1200, "height": 1300})
    page.wait_for_timeout(500)
    screenshot(root, "distributions-voila-dark")
    assert not page_log.errors(), page_log.summary()
