"""compare(): the verdict, metrics equal to scikit-learn's, disagreement rows, explanations side by side with
their rank agreement, the compression report of a dynamically quantized torch model, and named errors."""

from __future__ import annotations

import warnings

import ipywidgets as w
import numpy as np
import pytest
from scipy import stats
from sklearn import metrics as skm
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge

from ipyexplain.compare import compare, comparison, compression_report
from ipyexplain.compare.importance import mean_abs
from ipyexplain.views import charts

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def pair():
    X, y = make_classification(1600, 6, n_informative=4, random_state=0)
    labels = np.where(y == 1, XSS, "stays")
    a = LogisticRegression().fit(X[:800], labels[:800])
    b = RandomForestClassifier(40, max_depth=6, random_state=0, n_jobs=1).fit(X[:800], labels[:800])
    return a, b, X[800:], labels[800:]


def walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def test_metrics_equal_sklearn_and_the_verdict_uses_mcnemar(pair):
    a, b, X, y = pair
    r = comparison(a, b, X, y, names=("logistic", "forest"), n_resamples=500)
    pa, pb = a.predict_proba(X), b.predict_proba(X)
    acc = r.metrics["accuracy"]
    assert (acc.a, acc.b) == (pytest.approx(skm.accuracy_score(y, a.predict(X))),
                              pytest.approx(skm.accuracy_score(y, b.predict(X))))
    assert r.metrics["auc"].a == pytest.approx(skm.roc_auc_score(y, pa[:, 1]))
    assert r.metrics["log_loss"].b == pytest.approx(skm.log_loss(y, pb), rel=1e-9)
    assert r.metrics["brier"].a == pytest.approx(skm.brier_score_loss(y, pa[:, 1], pos_label="stays"))
    assert acc.p_value == r.mcnemar.p_value and acc.test.startswith("McNemar")
    assert acc.interval.low <= acc.diff <= acc.interval.high
    assert r.agreement == pytest.approx(np.mean(a.predict(X) == b.predict(X)))
    assert r.kappa == pytest.approx(skm.cohen_kappa_score(a.predict(X), b.predict(X)))
    assert r.sentence.startswith("forest is more accurate than logistic by ") or r.sentence.startswith("No significant")
    first = int(r.disagreements[0])
    assert a.predict(X)[first] != b.predict(X)[first] and r.truth[0] == y[first]
    assert r.pred_a[0] == f"{a.predict(X)[first]} ({pa[first].max():.2f})"


def test_regression_comparison_equals_sklearn():
    X, y = make_regression(500, 5, noise=20, random_state=1)
    a, b = LinearRegression().fit(X[:250], y[:250]), Ridge(alpha=300).fit(X[:250], y[:250])
    r = comparison(a, b, X[250:], y[250:], n_resamples=300, metric="r2")
    pa, pb = a.predict(X[250:]), b.predict(X[250:])
    assert r.metrics["rmse"].b == pytest.approx(skm.root_mean_squared_error(y[250:], pb))
    assert r.metrics["mae"].a == pytest.approx(skm.mean_absolute_error(y[250:], pa))
    assert r.metrics["r2"].b == pytest.approx(skm.r2_score(y[250:], pb))
    assert r.primary == "r2" and "R²" in r.sentence and r.mcnemar is None and np.isnan(r.kappa)


def test_widget_shows_the_sentence_table_rows_and_rank_agreement(pair):
    a, b, X, y = pair
    view = compare(a, b, X, y, names=("logistic", "forest"), n_resamples=300, explain_rows=60)
    assert view.headline.value == view.result.sentence == view.sentence
    cells = [x.value for x in walk(view.table) if isinstance(x, w.Label)]
    assert cells[:7] == ["metric", "logistic", "forest", "forest - logistic", "95% CI of forest - logistic", "p",
                         "test"]
    assert cells[7] == "accuracy ★" and cells[8] == f"{100 * view.result.metrics['accuracy'].a:.1f}%"
    labels = [x.value for x in walk(view) if isinstance(x, w.Label)]
    assert any(XSS in v for v in labels)
    assert not [x for x in walk(view) if isinstance(x, w.HTML) and x.value != charts.STYLE]
    assert view.contingency.values.sum() == len(y)
    mc = view.result.mcnemar
    counts = [x.value for x in walk(view) if isinstance(x, w.Label) and "ipx-compare-mcnemar-cell" in x._dom_classes]
    assert counts == ["", "forest right", "forest wrong", "logistic right", f"{mc.both_right:,}",
                      f"{mc.a_only:,} (only logistic right)", "logistic wrong", f"{mc.b_only:,} (only forest right)",
                      f"{mc.both_wrong:,}"]
    assert view.explanations.wait(60)
    assert view.explanations.result is not None  # set by the time wait() returns
    ea, eb = (j.result for j in view.explanations.jobs)
    ranks = view.explanations.result
    assert ranks.spearman == pytest.approx(stats.spearmanr(mean_abs(ea.values), mean_abs(eb.values)).statistic)
    assert view.explanations.agreement.value == ranks.sentence
    # The rows where they disagree come with both models' waterfalls; the picker switches rows.
    side = view.explanations
    rows = view.result.disagreements
    assert side.row_picker is not None and len(side.row_picker.options) == len(rows)
    assert side.row_picker.options[0][0].startswith(f"row {rows[0]}: truth ")
    np.testing.assert_allclose(ea.data[: len(rows)], np.asarray(X)[rows])
    assert side.local[1]._output == pytest.approx(b.predict_proba(X[rows[:1]])[0, 1], abs=1e-6)  # tree SHAP adds up
    side.row_picker.value = 2
    assert side.local[0]._row == side.local[1]._row == 2
    assert side.local[1]._output == pytest.approx(b.predict_proba(X[rows[2:3]])[0, 1], abs=1e-6)
    assert view.compression is None


def test_dynamic_quantization_report():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(12, 256), torch.nn.ReLU(), torch.nn.Linear(256, 3))
    X = torch.randn(600, 12)
    y = (X[:, 0] > 0).long() + (X[:, 1] > 1).long()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = torch.ao.quantization.quantize_dynamic(net, {torch.nn.Linear}, dtype=torch.qint8)
    report = compression_report(net, q, X, y, names=("float32", "int8"), batch_size=128, repeats=5)
    assert report.size_bytes[0] > report.size_bytes[1] and report.size_ratio > 1.5
    with torch.no_grad():  # one batch, as compare() predicts: dynamic quantization scales activations per batch
        out_a, out_b = net(X), q(X)
        hidden_a, hidden_b = net[0](X[:512]), q[0](X[:512])
    assert report.agreement == pytest.approx(float((out_a.argmax(1) == out_b.argmax(1)).float().mean()))
    assert report.accuracy == pytest.approx((float((out_a.argmax(1) == y).float().mean()),
                                             float((out_b.argmax(1) == y).float().mean())))
    assert [d.name for d in report.layers] == ["0", "1", "2"]
    assert report.layers[0].kind_b == "dynamic quantized Linear" and report.layers[1].kind_b == "ReLU"
    expected = float(torch.linalg.vector_norm(hidden_b - hidden_a) / torch.linalg.vector_norm(hidden_a))
    assert report.layers[0].relative == pytest.approx(expected, rel=1e-5) and 0 < expected < 0.1
    assert report.latency_ms[0] > 0 and report.batch_size == 128
    assert report.latency_quartiles_ms[0][0] <= report.latency_ms[0] <= report.latency_quartiles_ms[0][1]
    assert "int8 is " in report.sentence and "smaller than float32" in report.sentence
    view = compare(net, q, X.numpy(), y.numpy(), names=("float32", "int8"), explain=False, n_resamples=200)
    assert view.compression is not None and view.result.metrics["accuracy"].a == pytest.approx(report.accuracy[0])
    assert view.result.metrics["accuracy"].b == pytest.approx(report.accuracy[1])
    assert view.result.agreement == pytest.approx(report.agreement)  # the same batching: the same predictions
    student = torch.nn.Sequential(torch.nn.Linear(12, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    assert compression_report(net, student, X, repeats=3).layers[-1].name == "2"  # only same-named, same-shape
    with pytest.raises(ValueError, match="disagree on the output shape"):
        compression_report(net, torch.nn.Linear(12, 2), X, repeats=3)
    with pytest.raises(TypeError, match="the compressed is a str"):
        compression_report(net, "q", X)


def test_bad_input_is_named(pair):
    a, b, X, y = pair
    X3, y3 = make_classification(300, 6, n_informative=4, n_classes=3, random_state=0)
    c3 = LogisticRegression(max_iter=300).fit(X3, y3)
    with pytest.raises(ValueError, match="disagree on the output shape"):
        comparison(c3, LogisticRegression().fit(X3, y3 == 1), X3, y3 == 1)
    y01 = (y == XSS).astype(int)
    reg = LinearRegression().fit(X, y01)
    with pytest.raises(ValueError, match="disagree on the task"):
        comparison(LogisticRegression().fit(X, y01), reg, X, y01)
    with pytest.raises(ValueError, match=r"metric must be one of \('accuracy', 'auc', 'log_loss', 'brier'\)"):
        comparison(a, b, X, y, metric="rmse")
    with pytest.raises(TypeError, match="names must be two strings"):
        comparison(a, b, X, y, names=("only one",))
    with pytest.raises(ValueError, match="confidence must be between 0 and 1"):
        comparison(a, b, X, y, confidence=95)
    with pytest.raises(ValueError, match="y has 5 entries but X has 800 rows"):
        comparison(a, b, X, y[:5])
    with pytest.raises(ValueError, match="single class"):
        comparison(a, b, X, np.full(len(y), "stays"))
    with pytest.raises(TypeError, match=r"compare\(\) got unexpected keyword argument\(s\) 'explain_row'; valid"):
        compare(a, b, X, y, explain_row=5)


def test_few_discordant_rows_use_mcnemars_exact_test_end_to_end():
    """Two classifiers that disagree on 9 rows: compare() reports statsmodels' exact McNemar p-value in words."""
    from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 400)
    pa = np.where(y == 1, 0.8, 0.2)
    pb = pa.copy()
    flip_b_right = np.flatnonzero(y == 1)[:7]  # A wrong, B right on 7 rows
    flip_a_right = np.flatnonzero(y == 0)[:2]  # A right, B wrong on 2 rows
    pa[flip_b_right] = 0.3
    pb[flip_a_right] = 0.7
    r = comparison(None, None, None, y, scores=(pa, pb), n_resamples=500, names=("old", "new"))
    table = [[r.mcnemar.both_right, r.mcnemar.a_only], [r.mcnemar.b_only, r.mcnemar.both_wrong]]
    ref = sm_mcnemar(table, exact=True)
    assert (r.mcnemar.a_only, r.mcnemar.b_only, r.mcnemar.exact) == (2, 7, True)
    assert r.metrics["accuracy"].p_value == pytest.approx(ref.pvalue, rel=1e-12)
    assert r.sentence == (f"No significant difference in accuracy between new and old: new - old = +1.2 points, "
                          f"95% CI [{100 * r.metrics['accuracy'].interval.low:.1f}, "
                          f"{100 * r.metrics['accuracy'].interval.high:.1f}], p={ref.pvalue:.2g} "
                          "(McNemar's exact test, 9 discordant rows).")
    with pytest.raises(ValueError, match=r"not probabilities.*outside \[0, 1\]"):
        comparison(None, None, None, y, scores=(pa * 3 - 1, pb))


def test_distilled_student_layers_compared_by_linear_cka():
    """Layers of other widths cannot be subtracted: linear CKA of every pair, equal to the feature-space formula,
    1 for the same representation rotated and scaled, shown as a layers x layers Heatmap."""
    torch = pytest.importorskip("torch")
    from ipyexplain.compare.compression import linear_cka
    from ipyexplain.views._chart_compare_extras import compression_section

    torch.manual_seed(0)
    X = torch.randn(300, 12)
    teacher = torch.nn.Sequential(torch.nn.Linear(12, 64), torch.nn.ReLU(), torch.nn.Linear(64, 3))
    student = torch.nn.Sequential(torch.nn.Linear(12, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    rep = compression_report(teacher, student, X, names=("teacher", "student"), repeats=3)
    assert rep.cka_layers == (["0 (Linear)", "1 (ReLU)", "2 (Linear)"], ["0 (Linear)", "1 (Tanh)", "2 (Linear)"])
    with torch.no_grad():
        h_t, h_s = teacher[1](teacher[0](X)).double(), student[1](student[0](X)).double()

    def feature_cka(a, b):  # Kornblith et al.'s feature-space form, for centred features
        a, b = a - a.mean(0), b - b.mean(0)
        return float((b.T @ a).norm() ** 2 / ((a.T @ a).norm() * (b.T @ b).norm()))

    assert rep.cka[1, 1] == pytest.approx(feature_cka(h_t, h_s), rel=1e-9)
    q, _ = torch.linalg.qr(torch.randn(64, 64, dtype=torch.float64))
    assert linear_cka(h_t, 3 * h_t @ q) == pytest.approx(1.0, abs=1e-9)  # rotation and scale do not matter
    assert rep.cka.min() >= 0 and rep.cka.max() <= 1 + 1e-9
    assert [d.name for d in rep.layers] == ["2"]  # only the outputs have the same shape
    box = compression_section(rep)
    maps = [x for x in walk(box) if type(x).__name__ == "Heatmap"]
    assert len(maps) == 1 and maps[0].row_labels == rep.cka_layers[0]
    np.testing.assert_allclose(maps[0].values, rep.cka)
    notes = [x.value for x in walk(box) if isinstance(x, w.Label) and "linear CKA" in x.value]
    assert notes and notes[0].startswith("Not every layer has the same name and output shape")
    # A quantized copy keeps every layer: its diagonal is ~1, no CKA map is shown (the differences say more).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q8 = torch.ao.quantization.quantize_dynamic(teacher, {torch.nn.Linear}, dtype=torch.qint8)
    rq = compression_report(teacher, q8, X, repeats=3)
    assert [d.name for d in rq.layers] == ["0", "1", "2"] and np.diag(rq.cka).min() > 0.99
    assert not [x for x in walk(compression_section(rq)) if type(x).__name__ == "Heatmap"]


def test_any_metric_callable_gets_the_paired_bootstrap_and_permutation_test():
    """metric=f(y_true, y_score): values equal the function on all rows; the permutation p-value equals scipy's
    paired permutation test of the same statistic (exact enumeration on a small sample); wording follows
    higher_is_better."""
    rng = np.random.default_rng(4)
    y = np.r_[0, 1, rng.integers(0, 2, 9)]
    pa = np.clip(np.where(y == 1, 0.7, 0.35) + rng.normal(0, 0.2, 11), 0, 1)
    pb = np.clip(np.where(y == 1, 0.8, 0.25) + rng.normal(0, 0.2, 11), 0, 1)
    labels = np.where(y == 1, "spam", "ham")

    def brier_of_spam(y_true, p):
        return skm.brier_score_loss(y_true == "spam", p)

    r = comparison(None, None, None, labels, scores=(pa, pb), metric=brier_of_spam, higher_is_better=False,
                   n_resamples=2**11)
    m = r.metrics["brier of spam"]
    assert r.primary == "brier of spam" and next(iter(r.metrics)) == "brier of spam"
    assert (m.a, m.b) == (pytest.approx(skm.brier_score_loss(y, pa)), pytest.approx(skm.brier_score_loss(y, pb)))
    ref = stats.permutation_test((pa, pb), lambda u, v: skm.brier_score_loss(y, v) - skm.brier_score_loss(y, u),
                                 permutation_type="samples", n_resamples=2**11)
    assert m.test == "exact paired permutation test" and m.p_value == pytest.approx(ref.pvalue, abs=1e-12)
    assert m.interval.low <= m.diff <= m.interval.high
    assert "brier of spam" in r.sentence and ("(better)" in r.sentence) == (m.diff < 0 and m.p_value < 0.05)
    # Regression: the predictions; multiclass: the probability matrix.
    Xr, yr = make_regression(120, 3, noise=10, random_state=0)
    ra, rb = LinearRegression().fit(Xr, yr), Ridge(alpha=50).fit(Xr, yr)
    rr = comparison(ra, rb, Xr, yr, metric=skm.median_absolute_error, higher_is_better=False, n_resamples=100)
    assert rr.metrics["median absolute error"].a == pytest.approx(skm.median_absolute_error(yr, ra.predict(Xr)))
    X3, y3 = make_classification(200, 5, n_informative=3, n_classes=3, random_state=0)
    m3 = LogisticRegression(max_iter=300).fit(X3, y3)
    r3 = comparison(m3, m3, X3, y3, metric=lambda t, p: skm.roc_auc_score(t, p, multi_class="ovr"), n_resamples=100)
    assert r3.metrics["<lambda>"].a == pytest.approx(skm.roc_auc_score(y3, m3.predict_proba(X3), multi_class="ovr"))
    assert r3.metrics["<lambda>"].diff == 0 and r3.sentence.startswith("No significant difference")
    view = compare(ra, rb, Xr, yr, metric=skm.median_absolute_error, higher_is_better=False, n_resamples=100,
                   explain=False)
    assert view.headline.value == view.result.sentence and "median absolute error" in view.headline.value
    assert [x.value for x in walk(view.table) if isinstance(x, w.Label)][7] == "median absolute error ★"
