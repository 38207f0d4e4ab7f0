"""Files written by ``ipyexplain.save_html`` opened from disk (file://) in Chromium with the network cut:
every request that is not for a file is aborted and recorded, and none may be attempted. Each view must
draw what its data says, browser-side interaction must work, and user strings must stay text."""

from __future__ import annotations

import itertools
import math
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import ipywidgets as W
import numpy as np
import pytest
import shap
from bars_page import BarsOnPage
from charts_page import ChartOnPage, luminance
from conftest import VIEWPORT
from heatmap_page import HeatmapOnPage
from network_page import NetworkOnPage
from playwright.sync_api import Browser, Page, Route, expect
from ui import PageLog, screenshot

import ipyexplain
from ipyexplain._jobs import Job, Partial
from ipyexplain.colormaps import color_of

sys.path.insert(0, str(Path(__file__).resolve().parent / "notebooks"))
from network_models import XSS as MODULE_XSS  # a module of the test CNN named with HTML

pytestmark = pytest.mark.e2e

XSS = "<img src=x onerror=window.__pwned=1>"
NAMES = ["age", "income", XSS, "tenure", "balance"]
SCALES = np.array([3.0, 2.0, 1.5, 1.0, 0.5])
# Signed, so the diverging map with symmetric limits -4..4 (as in test_heatmap.py).
KNOWN = np.array([[-2.0, -1.0, 0.0, 1.0, 2.0], [0.5, -0.5, 1.5, -1.5, 3.0], [-3.0, 0.25, -0.25, 4.0, -4.0]])
LOCAL = ("file:", "data:", "blob:", "about:")


def _stream(gate: threading.Event, n: int = 4) -> Iterator[Partial[shap.Explanation]]:
    for i in range(n):
        yield Partial(shap.Explanation(values=np.ones((2, 3)) * (i + 1), feature_names=["a", "b", "c"]), i + 1, n)
        gate.wait(10)


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """The files, written once: each view kind, a Tab of them, bqplot panels, a mid-run snapshot."""
    import torch
    from network_models import CNN
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    out = tmp_path_factory.mktemp("html-export")
    rng = np.random.default_rng(0)
    exp = shap.Explanation(values=rng.normal(size=(60, 5)) * SCALES, feature_names=NAMES)
    heat = ipyexplain.Heatmap(KNOWN, col_labels=["a", "b", XSS, "d", "e"], title="Known values")
    bars = ipyexplain.ImportanceBars(exp, title="Global importance", value_label="SHAP value")
    torch.manual_seed(0)
    net = ipyexplain.show_structure(CNN(), torch.randn(1, 1, 28, 28), depth=0, height=460)
    mon = ipyexplain.TrainingMonitor(title="Training")
    for step in range(120):
        mon.log(step, loss=2 * math.exp(-step / 40) + 0.1, val_loss=2.2 * math.exp(-step / 40) + 0.15)
    X, y = make_classification(600, 5, random_state=0)
    ev = ipyexplain.evaluate(LogisticRegression().fit(X[:400], y[:400]), X[400:], y[400:], title="Held-out rows")
    tab = W.Tab([heat, bars])
    tab.titles = ("Heatmap", "Bars")

    gate = threading.Event()
    live = ipyexplain.ImportanceBars(title="Streaming")
    job = Job(_stream(gate), max_rate=1000)
    live.bind(job)
    job.start()
    while job.progress.done < 2:
        job.wait(0.01)
    files = {
        "heatmap": ipyexplain.save_html(heat, out / "heatmap.html", title="Heatmap <export>"),
        "bars": ipyexplain.save_html(bars, out / "bars.html"),
        "network": ipyexplain.save_html(net, out / "network.html", theme="dark"),
        "monitor": ipyexplain.save_html(mon, out / "monitor.html"),
        "evaluate-dark": ipyexplain.save_html(ev, out / "evaluate-dark.html", theme="dark"),
        "tab": ipyexplain.save_html(tab, out / "tab.html"),
        "snapshot": ipyexplain.save_html(live, out / "snapshot.html"),
        "pooled": ipyexplain.save_html(ipyexplain.Heatmap(rng.normal(size=(1500, 1500)), height=300),
                                       out / "pooled.html"),
    }
    gate.set()
    job.wait(10)
    yield files


class Offline:
    """A page whose every non-file request is aborted and recorded."""

    def __init__(self, browser: Browser) -> None:
        self.context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
        self.attempts: list[str] = []
        self.context.route(lambda url: not url.startswith(LOCAL), self._abort)
        self.page = self.context.new_page()
        self.page.on("request", lambda r: None if r.url.startswith(LOCAL) else self.attempts.append(r.url))
        self.dialogs: list[str] = []  # an alert() would mean a user string ran as HTML
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.log = PageLog()
        self.log.attach(self.page)

    def _abort(self, route: Route) -> None:
        self.attempts.append(route.request.url)
        route.abort()

    def open(self, path: Path) -> Page:
        self.page.goto(path.as_uri(), wait_until="load")
        self.page.wait_for_function("() => document.body.dataset.ipyexplainExport", timeout=30_000, polling=50)
        state = self.page.evaluate("document.body.dataset.ipyexplainExport")
        errors = self.page.locator(".ipx-export-error").all_inner_texts()
        assert state == "ready", f"{path.name}: {state}; {errors}; {self.log.summary()}"
        return self.page

    def check_clean(self) -> None:
        assert self.attempts == [], f"network requests attempted: {self.attempts}"
        assert self.log.errors() == [], self.log.summary()
        assert self.page.evaluate("window.__pwned") is None and self.dialogs == [], "a user string ran as HTML"


@pytest.fixture
def offline(browser: Browser) -> Iterator[Offline]:
    tab = Offline(browser)
    yield tab
    tab.check_clean()
    tab.context.close()


def test_heatmap_draws_its_values_and_hovers(offline: Offline, exports: dict[str, Path]) -> None:
    page = offline.open(exports["heatmap"])
    expect(page.locator("h1.ipx-export-title")).to_have_text("Heatmap <export>")
    hm = HeatmapOnPage.nth(page)
    for (r, c), v in np.ndenumerate(KNOWN):
        assert hm.cell_pixel(r, c) == color_of(float(v), "rdbu", -4.0, 4.0), f"cell ({r}, {c}) = {v}"
    hm.hover_cell(0, 2)
    expect(hm.tooltip()).to_be_visible()
    expect(hm.tooltip()).to_contain_text(XSS)  # the column label, as text
    assert hm.root.locator("img").count() == 0
    screenshot(page, "export-heatmap-light")
    hm.click_cell(1, 1)  # `selected` has no kernel to reach: nothing may break
    before, raw = hm.window(), hm.root.get_attribute("data-window")
    hm.wheel_at(*hm.cell_center(1, 2), -300)  # zoom in, in the browser
    page.wait_for_function("([el, w]) => el.dataset.window !== w", arg=[hm.root.element_handle(), raw],
                           timeout=5_000)
    r0, r1, c0, c1 = hm.window()
    assert (r1 - r0) * (c1 - c0) < (before[1] - before[0]) * (before[3] - before[2])
    screenshot(page, "export-heatmap-zoomed")


def test_a_pooled_heatmap_zoomed_says_no_kernel_sends_detail(offline: Offline, exports: dict[str, Path]) -> None:
    page = offline.open(exports["pooled"])
    hm = HeatmapOnPage.nth(page)
    assert "shown pooled" in hm.status()
    hm.wheel_at(*hm.cell_center(700, 700), -600)
    expect(hm.root.locator(".ipx-status")).to_contain_text("loading detail", timeout=5_000)
    # No kernel answers in a file: after a few seconds the status says so instead of loading forever.
    expect(hm.root.locator(".ipx-status")).to_contain_text("no detail from the kernel", timeout=8_000)


def test_bars_labels_in_order_and_user_strings_stay_text(offline: Offline, exports: dict[str, Path]) -> None:
    page = offline.open(exports["bars"])
    bars = BarsOnPage.nth(page)
    mean_abs = np.abs(shap.Explanation(values=np.random.default_rng(0).normal(size=(60, 5)) * SCALES).values)
    expected = [NAMES[i] for i in np.argsort(-mean_abs.mean(axis=0), kind="stable")]
    assert [b.label for b in bars.bars()] == expected
    assert page.locator(".ipx-bars img").count() == 0
    bars.hover(bars.bars()[0].key)
    expect(bars.tooltip()).to_contain_text(expected[0])
    bars.click(bars.bars()[1].key)  # selects in the browser; with no kernel to tell, nothing may break
    page.wait_for_function("(el) => el.querySelector('g.ipx-bar[aria-selected=true], g.ipx-bar.ipx-selected')",
                           arg=bars.root.element_handle(), timeout=5_000)
    screenshot(page, "export-bars")


def test_network_labels_and_a_click_expands_a_container_dark(offline: Offline, exports: dict[str, Path]) -> None:
    page = offline.open(exports["network"])
    net = NetworkOnPage.nth(page)
    assert {"features", "classifier"} <= set(net.drawn_ids())
    assert "Sequential" in " ".join(net.texts("features"))
    before = net.visible_count()
    assert XSS not in net.all_texts()
    net.click(net.node("classifier"))
    after = net.wait_visible_count(f"n > {before}")
    assert after > before and "classifier.1" in net.drawn_ids()
    assert "Linear" in net.all_texts()
    assert MODULE_XSS in net.all_texts()  # a module named with HTML, drawn as text
    assert luminance(page.evaluate("getComputedStyle(document.body).backgroundColor")) < 0.15
    screenshot(page, "export-network-dark")


def test_training_monitor_lines_are_drawn(offline: Offline, exports: dict[str, Path]) -> None:
    page = offline.open(exports["monitor"])
    loss = ChartOnPage.find(page, "monitor-loss")
    page.wait_for_function("(el) => el.querySelectorAll('path.line').length >= 2",
                           arg=loss.root.element_handle(), timeout=10_000)
    points = loss.line_points(1)  # the raw loss (mark 0 is its smoothed twin)
    assert [x for x, _ in points] == list(range(120))
    expected = [2 * math.exp(-step / 40) + 0.1 for step in range(120)]
    assert np.allclose([y for _, y in points], expected, rtol=1e-6)
    assert luminance(loss.background()) > 0.85
    # Smoothing and the log toggle run in the kernel: saved disabled, the zoom toggle's icon inlined.
    assert page.locator("button.ipx-log-toggle").is_disabled()
    icon = page.locator("i.fa-search").first
    assert icon.evaluate("(e) => document.fonts.check('900 12px \"Font Awesome 5 Free\"')")
    screenshot(page, "export-monitor")


def test_evaluate_dark_has_curves_and_a_dark_page(offline: Offline, exports: dict[str, Path]) -> None:
    page = offline.open(exports["evaluate-dark"])
    roc = ChartOnPage.find(page, "roc")
    page.wait_for_function("(el) => el.querySelectorAll('path.line').length >= 1",
                           arg=roc.root.element_handle(), timeout=10_000)
    curve = max((roc.line_points(i) for i in range(3)), key=len)  # the curve, not the chance diagonal
    assert len(curve) > 10 and curve[0] == (0.0, 0.0) and curve[-1] == (1.0, 1.0)
    assert all(x1 >= x0 and y1 >= y0 for (x0, y0), (x1, y1) in itertools.pairwise(curve))
    assert luminance(page.evaluate("getComputedStyle(document.body).backgroundColor")) < 0.15
    assert luminance(roc.background()) < 0.2
    assert luminance(roc.tick_color()) > 0.5  # light text on the dark background
    screenshot(page, "export-evaluate-dark")


def test_tab_layout_switches_between_views(offline: Offline, exports: dict[str, Path]) -> None:
    page = offline.open(exports["tab"])
    HeatmapOnPage.nth(page)
    page.get_by_role("tab", name="Bars").click()
    bars = BarsOnPage.nth(page)
    assert len(bars.bars()) == 5
    screenshot(page, "export-tab")


def test_a_running_job_is_a_snapshot_without_cancel(offline: Offline, exports: dict[str, Path]) -> None:
    page = offline.open(exports["snapshot"])
    expect(page.locator(".ipx-export-note")).to_contain_text("while 1 job was still running")
    bars = BarsOnPage.nth(page)
    assert bars.job_status() == "running" and len(bars.bars()) == 3
    assert page.locator(".ipx-cancel").count() == 1
    expect(page.locator(".ipx-cancel")).to_be_hidden()
    screenshot(page, "export-snapshot")
