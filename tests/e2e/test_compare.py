"""compare() in a real browser: the verdict sentence, the metrics table and the explanations side by side
(Voila), and the same view legible in dark JupyterLab."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from charts_page import ChartOnPage, luminance
from playwright.sync_api import Page, expect
from servers import LabServer, VoilaServers
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from ui import DARK_THEME, PageLog, lab_run_all, lab_set_theme, open_lab, open_lab_notebook, open_voila, screenshot

from ipyexplain.compare import comparison

pytestmark = pytest.mark.e2e
SPEARMAN = "Spearman \u03c1"
XSS = "<img src=x onerror=alert(1)>"


def expected_sentence() -> str:
    """compare_ab.ipynb's verdict, computed here the same way (same data, same seeds)."""
    X, y = make_classification(3000, 8, n_informative=5, random_state=0)
    labels = np.where(y == 1, XSS, "stays")
    a = LogisticRegression().fit(X[:2000], labels[:2000])
    b = RandomForestClassifier(100, random_state=0, n_jobs=1).fit(X[:2000], labels[:2000])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return comparison(a, b, X[2000:], labels[2000:], names=("logistic", "forest")).sentence


def test_voila_shows_the_verdict_table_and_explanations(page: Page, page_log: PageLog, voila: VoilaServers):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_voila(page, voila, "compare_ab.ipynb", selector=".ipx-comparison")
    root = page.locator(".ipx-comparison")
    sentence = expected_sentence()
    assert sentence.startswith("forest is more accurate than logistic by 4.2 points, 95% CI [")
    expect(root.locator(".ipx-compare-sentence")).to_have_text(sentence)
    metrics = root.locator(".ipx-compare-metrics-c0")
    expect(metrics).to_have_text(["metric", "accuracy ★", "ROC AUC", "log loss", "Brier score"])
    expect(root.locator(".ipx-compare-metrics-c6").nth(1)).to_contain_text("McNemar")
    expect(root.locator(".ipx-compare-agreement")).to_contain_text("The models predict the same class on 94.0%")
    expect(root.locator(".ipx-compare-rows-c1").nth(1)).to_have_text(XSS)  # a class label drawn as text
    assert root.locator("img").count() == 0 and not dialogs
    boot = ChartOnPage.find(page, "compare-bootstrap", scope=root)
    assert boot.title().startswith("Bootstrap of forest - logistic")
    expect(root.locator(".ipx-compare-ranks")).to_contain_text(SPEARMAN, timeout=60_000)
    expect(root.locator(".ipx-compare-explanations .ipx-bars svg")).to_have_count(4)  # global A, B; one row's A, B
    picker = root.locator(".ipx-compare-row-picker select")
    assert picker.locator("option").first.inner_text().replace("\xa0", " ").startswith(f"row 846: truth {XSS}")
    picker.select_option(index=2)
    expect(root.locator(".ipx-compare-explanations .ipx-bars").nth(3)).to_contain_text("forest on this row")
    page.set_viewport_size({"width": 1200, "height": 2200})
    page.wait_for_timeout(500)
    screenshot(page, "compare-voila-light")
    assert not page_log.errors(), page_log.summary()


def test_lab_dark_comparison_is_legible(page: Page, page_log: PageLog, lab: LabServer):
    open_lab(page, lab)
    open_lab_notebook(page, "compare_ab.ipynb")
    lab_set_theme(page, DARK_THEME)
    lab_run_all(page)
    root = page.locator(".jp-NotebookPanel .ipx-comparison")
    headline = root.locator(".ipx-compare-sentence")
    expect(headline).to_contain_text("forest is more accurate than logistic by 4.2 points")
    assert luminance(headline.evaluate("e => getComputedStyle(e).color")) > 0.6
    boot = ChartOnPage.find(page, "compare-bootstrap", scope=root)
    assert luminance(boot.tick_color()) > 0.5 and luminance(boot.background()) < 0.3
    expect(root.locator(".ipx-compare-ranks")).to_contain_text(SPEARMAN, timeout=60_000)
    headline.scroll_into_view_if_needed()
    screenshot(page, "compare-lab-dark")
    assert not page_log.errors(), page_log.summary()
