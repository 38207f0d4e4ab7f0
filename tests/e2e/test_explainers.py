"""The one-call explainers in a real browser: bars that sharpen while real backends compute.

Voila: ``permutation_importance`` on a random forest streams to its final result; ``lime`` draws one
row's weights; a model that fails mid-run shows its message. JupyterLab: a trivial cell stays fast
while a job runs, Cancel reaches the kernel, and ``shap_values`` converges to shap's own numbers.
"""

from __future__ import annotations

import json
import re
import statistics
import time

import pytest
from bars_page import BarsOnPage
from playwright.sync_api import Page, expect
from servers import LabServer, VoilaServers
from ui import PageLog, lab_execute, lab_run_all, open_lab, open_lab_notebook, open_voila, screenshot

pytestmark = pytest.mark.e2e
XSS = "<img src=x onerror=alert(1)>"


def kernel_final(page: Page, kind: str, timeout_ms: float = 60_000) -> dict[str, float]:
    """The result the kernel computed, mirrored into a Label by the notebook when the job is done."""
    label = page.get_by_text(re.compile(f"^{kind}: done "))
    expect(label).to_be_visible(timeout=timeout_ms)
    return json.loads(label.inner_text().split(" ", 2)[2])


def test_voila_permutation_streams_to_the_kernels_result_lime_and_a_failing_model(
    page: Page, page_log: PageLog, voila: VoilaServers
):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_voila(page, voila, "explain_live.ipynb", selector="button")

    page.get_by_role("button", name="permutation").click()
    bars = BarsOnPage.nth(page, 0, settled=False)
    states, texts = set(), set()
    deadline = time.monotonic() + 60
    while bars.job_status() != "done" and time.monotonic() < deadline:
        if bars.job_status() == "running":
            states.add(bars.snapshot())
            texts.add(bars.job_text())
        page.wait_for_timeout(60)
    assert bars.job_status() == "done", bars.job_text()
    assert len(states) >= 3, f"only {len(states)} distinct live states while the job ran"
    assert any(re.fullmatch(r"\d+ / 64 permutations · \d+\.\d s · about \d+ s left", t) for t in texts), texts

    final = kernel_final(page, "permutation")
    bars.wait_settled()
    drawn = bars.bars()
    top = sorted(final, key=lambda k: -abs(final[k]))[: len(drawn)]
    assert [b.key for b in drawn] == top
    assert [b.value for b in drawn] == pytest.approx([final[k] for k in top], rel=1e-5, abs=1e-9)
    assert all(b.has_interval for b in drawn if b.key in final)
    assert bars.axis_label() == "decrease in accuracy"
    expect(bars.root.locator(".ipx-legend")).to_contain_text("95% CI from 8 repeats")
    assert XSS in [b.label for b in drawn]  # a feature name with HTML is drawn as text

    # LIME: one row's weights, named by lime's conditions on the feature values.
    page.get_by_role("button", name="lime").click()
    lime = BarsOnPage.nth(page, 1, settled=False)
    weights = kernel_final(page, "lime")
    lime.wait_settled()
    drawn = lime.bars()
    strongest = max(weights, key=lambda k: abs(weights[k]))
    assert drawn[0].key == strongest and drawn[0].value == pytest.approx(weights[strongest], rel=1e-5)
    for b in drawn:  # signed colours: what raises the prediction differs from what lowers it
        assert b.sign == ("neg" if b.value < 0 else "pos"), b
    assert len({b.rgb for b in drawn if b.sign == "pos"} & {b.rgb for b in drawn if b.sign == "neg"}) == 0
    conditions = [b.label for b in drawn if not b.other]  # lime's conditions replace "name = value"
    assert all(re.search(r"(<=|>) -?\d+\.\d\d", c) for c in conditions), conditions

    # A model that raises mid-run: its message in the widget, the partial result kept.
    page.get_by_role("button", name="flaky").click()
    flaky = BarsOnPage.nth(page, 2, settled=False)
    expect(page.get_by_text("flaky: error", exact=True)).to_be_visible(timeout=30_000)
    expect(flaky.root.locator(".ipx-error")).to_contain_text("prediction service timed out after 30 s")
    screenshot(page, "explainers-voila")
    assert not dialogs, dialogs
    assert not page_log.errors(), page_log.summary()


def test_lab_kernel_stays_free_cancel_reaches_the_kernel_and_shap_converges(
    page: Page, page_log: PageLog, lab: LabServer
):
    open_lab(page, lab)
    open_lab_notebook(page, "explain_live.ipynb")
    lab_run_all(page)
    lab_execute(page, "bars = ipyexplain.permutation_importance(model, X_test, y_test, n_repeats=40, random_state=0)"
                      "\nbox.children = [bars]")
    panel = page.locator(".jp-NotebookPanel")
    bars = BarsOnPage.nth(page, 0, scope=panel, settled=False)

    # While the job works on its thread, a trivial cell answers quickly (kernel round trip).
    latencies = []
    for _ in range(7):
        started = time.perf_counter()
        assert lab_execute(page, "1 + 1").strip() == "2"
        latencies.append(time.perf_counter() - started)
        page.wait_for_timeout(100)
    assert lab_execute(page, "print(bars.job.status)").strip() == "running"
    assert statistics.median(latencies) < 0.1, latencies

    bars.root.locator(".ipx-cancel").click()
    expect(bars.root.locator(".ipx-job-text")).to_contain_text("partial — cancelled after", timeout=15_000)
    status, done = lab_execute(page, "bars.job.wait(10); print(bars.job.status, bars.job.progress.done)").split()
    assert status == "cancelled" and 0 < int(done) < 320

    # SHAP: rows explained in batches; the drawn mean |SHAP| ends equal to shap's own TreeExplainer numbers.
    lab_execute(page, "sv = ipyexplain.shap_values(model, X_test[:600], feature_names=names)\nbox.children = [sv]")
    shap_bars = BarsOnPage.nth(page, 0, scope=panel, settled=False)
    expect(shap_bars.root.locator(".ipx-job-text")).to_contain_text("done", timeout=60_000)
    shap_bars.wait_settled()
    expected = json.loads(lab_execute(
        page,
        "import shap, json\n"
        "raw = shap.TreeExplainer(model)(X_test[:600]).values[:, :, 1]\n"
        "print(json.dumps(dict(zip(names, np.abs(raw).mean(axis=0).tolist()))))",
    ))
    drawn = [b for b in shap_bars.bars() if b.key in expected]
    assert [b.key for b in drawn] == sorted(expected, key=lambda k: -expected[k])[: len(drawn)]
    assert [b.value for b in drawn] == pytest.approx([expected[b.key] for b in drawn], rel=1e-4)
    screenshot(panel.first, "explainers-lab-shap")
    assert not page_log.errors(), page_log.summary()
