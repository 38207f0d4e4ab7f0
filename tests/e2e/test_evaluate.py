"""evaluate() in a real browser: the threshold slider moves the ROC and PR points to the right rates and
recounts the confusion matrix (Voila); kernel-set thresholds and the dark theme in JupyterLab."""

from __future__ import annotations

import re

import numpy as np
import pytest
from charts_page import ChartOnPage, luminance
from playwright.sync_api import Page, expect
from servers import LabServer, VoilaServers
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix
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

pytestmark = pytest.mark.e2e
XSS = "<img src=x onerror=alert(1)>"


def churn_scores() -> tuple[np.ndarray, np.ndarray]:
    """evaluate_known.ipynb's binary data: (is churn, P(churn)) of the held-out rows."""
    X, y = make_classification(1500, 6, n_informative=4, flip_y=0.03, class_sep=1.2, random_state=0)
    labels = np.where(y == 1, "churn " + XSS, "stays")
    model = LogisticRegression().fit(X[:1000], labels[:1000])
    churn = list(model.classes_).index("churn " + XSS)
    return (labels[1000:] == "churn " + XSS).astype(int), model.predict_proba(X[1000:])[:, churn]


def set_slider(page: Page, root, value: float) -> None:
    readout = root.locator(".ipx-threshold .widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(f"{value:.2f}")
    page.keyboard.press("Enter")


def cell_texts(root) -> dict[str, str]:
    return {k: root.locator(f".ipx-cm-{k}").inner_text() for k in ("tn", "fp", "fn", "tp")}


def expected_texts(y: np.ndarray, p: np.ndarray, t: float) -> dict[str, str]:
    tn, fp, fn, tp = confusion_matrix(y, (p >= t).astype(int)).ravel()
    pct = lambda a, b: f"{100 * a / (a + b):.1f}%"  # noqa: E731
    return {"tn": f"TN {tn:,} · {pct(tn, fp)}", "fp": f"FP {fp:,} · {pct(fp, tn)}",
            "fn": f"FN {fn:,} · {pct(fn, tp)}", "tp": f"TP {tp:,} · {pct(tp, fn)}"}


def test_voila_threshold_slider_moves_points_and_recounts(page: Page, page_log: PageLog, voila: VoilaServers):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_voila(page, voila, "evaluate_known.ipynb", selector=".ipx-roc svg.svg-figure")
    root = page.locator(".ipx-evaluation").first
    roc, pr = ChartOnPage.find(page, "roc", scope=root), ChartOnPage.find(page, "pr", scope=root)
    y, p = churn_scores()
    expect(root.locator(".ipx-cm-tp")).to_have_text(expected_texts(y, p, 0.5)["tp"])
    assert root.locator("img").count() == 0 and XSS in root.locator(".ipx-eval-summary").inner_text()
    before = roc.dots(-1)[0]
    for t in (0.3, 0.72):
        set_slider(page, root, t)
        expect(page.get_by_text(re.compile(rf"^kernel: threshold={t:.2f} "))).to_be_visible(timeout=10_000)
        expected = expected_texts(y, p, t)
        expect(root.locator(".ipx-cm-tp")).to_have_text(expected["tp"])
        assert cell_texts(root) == expected
        tn, fp, fn, tp = confusion_matrix(y, (p >= t).astype(int)).ravel()
        page.wait_for_function("([el, x]) => Math.abs(el.__data__.x - x) < 1e-6",
                               arg=[roc.root.locator("path.dot").last.element_handle(), fp / (fp + tn)])
        point = roc.dots(-1)[0]
        assert (point.x, point.y) == pytest.approx((fp / (fp + tn), tp / (tp + fn)), abs=1e-6)
        # Drawn where the axes say: pixel position from the fixed unit scales.
        assert point.px == pytest.approx(roc.to_px(point.x), abs=1.5)
        assert point.py == pytest.approx(roc.to_px(point.y, vertical=True), abs=1.5)
        pr_point = pr.dots(-1)[0]
        assert (pr_point.x, pr_point.y) == pytest.approx((tp / (tp + fn), tp / (tp + fp)), abs=1e-6)
    assert point.px < before.px and point.py > before.py, "a higher threshold moves the ROC point down-left"
    assert "threshold 0.72" in root.locator(".ipx-eval-rates").inner_text()

    # Hover readout along the curve: threshold and rates, in the browser.
    tooltip = roc.hover_dot(-2, 40)
    expect(tooltip).to_contain_text("threshold")
    expect(tooltip).to_contain_text("False positive rate")
    screenshot(root, "evaluate-voila-binary")
    iris = page.locator(".ipx-evaluation").nth(1)
    iris.scroll_into_view_if_needed()
    expect(iris.locator(".ipx-eval-legend")).to_have_count(3)
    screenshot(iris, "evaluate-voila-multiclass")
    screenshot(page.locator(".ipx-evaluation").nth(2), "evaluate-voila-regression")
    assert not dialogs, dialogs
    assert not page_log.errors(), page_log.summary()


def test_lab_dark_kernel_threshold_and_legible_theme(page: Page, page_log: PageLog, lab: LabServer):
    open_lab(page, lab)
    open_lab_notebook(page, "evaluate_known.ipynb")
    lab_set_theme(page, DARK_THEME)
    lab_run_all(page)
    root = page.locator(".jp-NotebookPanel .ipx-evaluation").first
    y, p = churn_scores()
    lab_execute(page, "binary.threshold = 0.61")
    expect(root.locator(".ipx-cm-fn")).to_have_text(expected_texts(y, p, 0.61)["fn"])
    assert cell_texts(root) == expected_texts(y, p, 0.61)
    assert lab_execute(page, "print(binary.slider.value)").strip() == "0.61"
    roc = ChartOnPage.find(page, "roc", scope=root)
    assert luminance(roc.background()) < 0.3, roc.background()
    assert luminance(roc.tick_color()) > 0.5, roc.tick_color()
    assert luminance(root.locator(".ipx-eval-summary").evaluate("e => getComputedStyle(e).color")) > 0.5
    root.locator(".ipx-roc").scroll_into_view_if_needed()
    screenshot(page, "evaluate-lab-dark")
    assert not page_log.errors(), page_log.summary()
