"""evaluate(): every number equals scikit-learn's; the threshold is linked across panels; bad input is named."""

from __future__ import annotations

import ipywidgets as w
import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.preprocessing import label_binarize

from ipyexplain.evaluation import evaluate, report
from ipyexplain.evaluation import metrics as m
from ipyexplain.views import charts

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def binary():
    X, y = make_classification(600, 5, n_informative=3, flip_y=0.1, random_state=0)
    model = LogisticRegression().fit(X[:300], y[:300])
    return model, X[300:], y[300:], model.predict_proba(X[300:])[:, 1]


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=500, C=0.05).fit(X, y)
    return model, X, y, model.predict_proba(X)


def walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


# ---------------------------------------------------------------------------- numbers
@pytest.mark.parametrize("rounding", [None, 1])  # rounded scores: many ties
def test_binary_curves_and_scores_equal_sklearn(binary, rounding):
    _, _, y, p = binary
    p = p if rounding is None else np.round(p, rounding)
    fpr, tpr, thr = skm.roc_curve(y, p)
    curve = m.roc_curve(y, p)
    np.testing.assert_allclose(curve.x, fpr)
    np.testing.assert_allclose(curve.y, tpr)
    np.testing.assert_array_equal(curve.thresholds, thr)
    precision, recall, pthr = skm.precision_recall_curve(y, p)
    pr = m.pr_curve(y, p)
    np.testing.assert_allclose(pr.y, precision)
    np.testing.assert_allclose(pr.x, recall)
    np.testing.assert_array_equal(pr.thresholds, pthr)
    assert m.roc_auc(y, p) == pytest.approx(skm.roc_auc_score(y, p), abs=1e-12)
    assert m.average_precision(y, p) == pytest.approx(skm.average_precision_score(y, p), abs=1e-12)
    cal = m.calibration(y, p, 10)
    true, pred = calibration_curve(y, p, n_bins=10)
    np.testing.assert_allclose(cal.prob_true, true)
    np.testing.assert_allclose(cal.prob_pred, pred)
    assert cal.brier == pytest.approx(skm.brier_score_loss(y, p), abs=1e-12)
    for t in (0.0, 0.1, 0.3, 0.5, 0.77, 1.0):
        k = m.counts_at(y, p, t)
        np.testing.assert_array_equal(k.matrix(), skm.confusion_matrix(y, (p >= t).astype(int), labels=[0, 1]))
        predicted = (p >= t).astype(int)
        assert k.accuracy == pytest.approx(skm.accuracy_score(y, predicted))
        if predicted.any():
            assert k.precision == pytest.approx(skm.precision_score(y, predicted))
            assert k.f1 == pytest.approx(skm.f1_score(y, predicted))
        assert k.tpr == pytest.approx(skm.recall_score(y, predicted))


def test_report_of_a_model_equals_sklearn(binary):
    model, X, y, p = binary
    r = report(model, X, y)
    c = r.per_class[0]
    assert (c.index, c.name) == (1, "1")
    assert c.auc == pytest.approx(skm.roc_auc_score(y, p), abs=1e-12)
    assert c.ap == pytest.approx(skm.average_precision_score(y, p), abs=1e-12)
    assert r.brier == pytest.approx(skm.brier_score_loss(y, p), abs=1e-12)
    assert r.log_loss == pytest.approx(skm.log_loss(y, model.predict_proba(X)), rel=1e-9)
    assert r.accuracy == pytest.approx(skm.accuracy_score(y, model.predict(X)))
    np.testing.assert_array_equal(r.confusion, skm.confusion_matrix(y, model.predict(X)))
    # The other class as positive: sklearn's pos_label=0 numbers.
    r0 = report(model, X, y, positive=0)
    assert r0.per_class[0].ap == pytest.approx(skm.average_precision_score(y, 1 - p, pos_label=0), abs=1e-12)
    assert r0.brier == pytest.approx(skm.brier_score_loss(y, 1 - p, pos_label=0), abs=1e-12)


def test_multiclass_one_vs_rest_equals_sklearn(iris):
    model, X, y, proba = iris
    r = report(model, X, y)
    onehot = label_binarize(y, classes=[0, 1, 2])
    for c in r.per_class:
        assert c.auc == pytest.approx(skm.roc_auc_score(onehot[:, c.index], proba[:, c.index]), abs=1e-12)
        assert c.ap == pytest.approx(skm.average_precision_score(onehot[:, c.index], proba[:, c.index]), abs=1e-12)
    assert r.macro_auc == pytest.approx(skm.roc_auc_score(y, proba, multi_class="ovr", average="macro"), abs=1e-12)
    assert r.macro_ap == pytest.approx(skm.average_precision_score(onehot, proba, average="macro"), abs=1e-12)
    assert r.brier == pytest.approx(skm.brier_score_loss(y, proba), abs=1e-12)
    assert r.log_loss == pytest.approx(skm.log_loss(y, proba), rel=1e-9)
    np.testing.assert_array_equal(r.confusion, skm.confusion_matrix(y, model.predict(X)))
    k = r.counts(2, 0.4)
    np.testing.assert_array_equal(k.matrix(), skm.confusion_matrix(onehot[:, 2], (proba[:, 2] >= 0.4).astype(int)))


def test_regression_scores_equal_sklearn():
    X, y = make_regression(300, 4, noise=15, random_state=0)
    model = LinearRegression().fit(X[:150], y[:150])
    pred = model.predict(X[150:])
    s = report(model, X[150:], y[150:]).scores
    yt = y[150:]
    assert s.r2 == pytest.approx(skm.r2_score(yt, pred))
    assert s.mae == pytest.approx(skm.mean_absolute_error(yt, pred))
    assert s.rmse == pytest.approx(skm.root_mean_squared_error(yt, pred))
    assert s.median_ae == pytest.approx(skm.median_absolute_error(yt, pred))
    assert s.max_error == pytest.approx(skm.max_error(yt, pred))
    assert s.explained_variance == pytest.approx(skm.explained_variance_score(yt, pred))


def test_torch_logits_and_ready_scores():
    torch = pytest.importorskip("torch")
    X, y = make_classification(400, 6, n_informative=4, n_classes=3, n_clusters_per_class=1, random_state=1)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    with pytest.raises(ValueError, match="pass logits=True"):
        report(net, X.astype(np.float32), y)
    r = report(net, X.astype(np.float32), y, logits=True)
    with torch.no_grad():
        proba = torch.softmax(net(torch.as_tensor(X, dtype=torch.float32)), 1).double().numpy()
    assert r.macro_auc == pytest.approx(skm.roc_auc_score(y, proba, multi_class="ovr"), abs=1e-6)
    ready = report(y_score=proba, y=y)
    assert ready.macro_auc == pytest.approx(r.macro_auc, abs=1e-6)


# ---------------------------------------------------------------------------- the widget
def test_threshold_moves_points_and_recounts(binary):
    model, X, y, p = binary
    view = evaluate(model, X, y, threshold=0.5)
    for t in (0.5, 0.25, 0.8):
        view.threshold = t
        k = view.counts
        tn, fp, fn, tp = skm.confusion_matrix(y, (p >= t).astype(int)).ravel()
        assert (k.tn, k.fp, k.fn, k.tp) == (tn, fp, fn, tp)
        assert view.cells["tp"].value == f"TP {tp:,} · {100 * tp / (tp + fn):.1f}%"
        assert view.cells["fp"].value == f"FP {fp:,} · {100 * fp / (fp + tn):.1f}%"
        assert list(view.roc.point.x) == pytest.approx([fp / (fp + tn)])
        assert list(view.roc.point.y) == pytest.approx([tp / (tp + fn)])
        assert list(view.pr.point.x) == pytest.approx([tp / (tp + fn)])
        assert list(view.pr.point.y) == pytest.approx([tp / (tp + fp)])
        np.testing.assert_allclose(view.confusion.values, [[tn / (tn + fp), fp / (tn + fp)],
                                                           [fn / (fn + tp), tp / (fn + tp)]])
    view.slider.value = 0.3  # the slider is linked to the threshold
    assert view.threshold == 0.3
    view.roc._clicked(None, {"data": {"index": 5}})  # clicking a hover marker picks its threshold
    assert view.threshold == pytest.approx(min(1.0, float(view.roc._hover_thresholds[5])), abs=1e-4)
    with pytest.raises(Exception, match=r"threshold must be a probability in \[0, 1\]"):
        view.threshold = 1.5
    assert "ROC AUC" in view.summary.value and "Brier" in view.summary.value


def test_multiclass_picker_and_html_labels_stay_text(iris):
    model, X, y, _ = iris
    view = evaluate(model, X, y, class_names=["setosa", XSS, "virginica"], positive=XSS)
    assert view.class_index == 1 and view.picker.value == 1
    assert view.row_heads[1].value == f"actual {XSS}"
    view.class_index = 2
    assert view.confusion.row_labels == ["not virginica", "virginica"]
    assert view.roc.figure.title.startswith("ROC · AUC")
    assert view.roc.lines[2].opacities == [1.0] and view.roc.lines[0].opacities == [0.25]
    html = [x for x in walk(view) if isinstance(x, w.HTML | w.HTMLMath) and x.value != charts.STYLE]
    assert not html, "user strings must never be HTML"
    assert any(XSS in x.value for x in walk(view) if isinstance(x, w.Label))


def test_regression_widget_bounds_the_scatter():
    X, y = make_regression(5000, 3, noise=5, random_state=0)
    view = evaluate(LinearRegression().fit(X, y), X, y)
    assert len(view.scatter.x) == 2000 and "scatter shows 2,000 of 5,000 rows" in view.summary.value
    assert sum(view.bars.y) == 5000
    # Round tick values, a handful per axis (d3 crowded 40..320 with a label every 20).
    for axis in (a for x in walk(view) if hasattr(x, "axes") for a in x.axes):
        ticks = np.asarray(axis.tick_values, dtype=float)
        step = np.diff(ticks)
        assert 3 <= ticks.size <= 9 and np.allclose(step, step[0])
        mantissa = step[0] / 10 ** np.floor(np.log10(step[0]))
        assert min(abs(mantissa - m) for m in (1, 2, 2.5, 5)) < 1e-9 and np.allclose(ticks / step[0],
                                                                                       np.round(ticks / step[0]))


# ---------------------------------------------------------------------------- bad input
def test_bad_input_is_named(binary):
    model, X, y, p = binary
    with pytest.raises(ValueError, match=r"y has a single class \(1\): ROC and precision-recall curves are undefined"):
        evaluate(model, X, np.ones_like(y))
    with pytest.raises(ValueError, match=r"not probabilities.*outside \[0, 1\]"):
        evaluate(y_score=p * 3 - 1, y=y)
    with pytest.raises(ValueError, match="y has 10 entries but X has 300 rows"):
        evaluate(model, X, y[:10])
    bad = y.astype(float)
    bad[3] = np.nan
    with pytest.raises(ValueError, match=r"y has 1 NaN/inf value\(s\) \(rows 3\)"):
        evaluate(y_score=p, y=bad)
    nan_scores = p.copy()
    nan_scores[[1, 7]] = np.nan
    with pytest.raises(ValueError, match=r"y_score has 2 NaN/inf value\(s\) \(rows 1, 7\)"):
        evaluate(y_score=nan_scores, y=y)
    with pytest.raises(TypeError, match=r"cannot explain a builtins\.str"):
        evaluate("model", X, y)
    with pytest.raises(ValueError, match="task must be one of"):
        evaluate(model, X, y, task="ranking")
    with pytest.raises(ValueError, match="labels the model does not predict: 7"):
        evaluate(model, X, np.where(y == 1, 7, 0))
    with pytest.raises(ValueError, match="class_names has 3 names for 2 classes"):
        evaluate(model, X, y, class_names=["a", "b", "c"])
    with pytest.raises(ValueError, match=r"threshold must be in \[0, 1\]"):
        evaluate(model, X, y, threshold=2)
    with pytest.raises(TypeError, match="not both"):
        evaluate(model, X, y, y_score=p)
    with pytest.raises(TypeError, match="needs model and X"):
        evaluate(y=y)
    with pytest.raises(ValueError, match="positive='dog' is not one of the classes"):
        evaluate(model, X, y, positive="dog")
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) 'thresh'; valid keywords are: model, X"):
        evaluate(model, X, y, thresh=0.3)
    with pytest.raises(ValueError, match="regression needs one prediction per row"):
        evaluate(y_score=np.column_stack([1 - p, p]), y=y, task="regression")


def test_a_class_missing_from_y_is_called_undefined_not_drawn_as_a_number(iris):
    """Rows of two iris classes against a three-class model: the third class's ROC/PR are undefined (said so),
    the macro averages run over the classes present, and equal scikit-learn's per-class numbers."""
    model, X, y, proba = iris
    rows = y < 2
    view = evaluate(model, X[rows], y[rows], class_names=["setosa", "versicolor", "virginica"])
    r = view.report
    missing = r.report_of(2)
    assert not missing.defined and np.isnan(missing.auc) and np.isnan(missing.ap)
    present = [skm.roc_auc_score(y[rows] == c, proba[rows, c]) for c in (0, 1)]
    assert r.macro_auc == pytest.approx(np.mean(present), abs=1e-12)
    view.class_index = 2
    assert view.roc.figure.title == "ROC · undefined: y has no positives for virginica"
    assert view.pr.figure.title == "Precision–recall · undefined: no virginica in y"
    assert "AUC –" in next(x.value for x in walk(view) if isinstance(x, w.Label) and "virginica" in x.value)
    k = view.counts  # the confusion counts still hold: every row is a negative for virginica
    assert k.tp + k.fn == 0 and k.tn + k.fp == int(rows.sum())
