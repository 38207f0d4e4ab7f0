"""compare(): both models on the same rows -> metrics with paired confidence intervals and tests, the
rows where they disagree, and the verdict in words."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..evaluation._inputs import Classification, Regression, prepare
from ..views.charts import fmt
from . import stats as st

CLASSIFICATION_METRICS = ("accuracy", "auc", "log_loss", "brier")
REGRESSION_METRICS = ("rmse", "mae", "r2")
LABELS = {"accuracy": "accuracy", "auc": "ROC AUC", "log_loss": "log loss", "brier": "Brier score",
          "rmse": "RMSE", "mae": "MAE", "r2": "R²"}


@dataclass(frozen=True)
class MetricComparison:
    name: str
    a: float
    b: float
    interval: st.Interval
    p_value: float
    test: str  # how p_value was computed, in words
    higher_is_better: bool

    @property
    def label(self) -> str:
        return LABELS.get(self.name, self.name)

    @property
    def diff(self) -> float:
        return self.b - self.a


@dataclass(frozen=True)
class Comparison:
    """Everything :func:`compare` found; ``sentence`` says it in words."""

    names: tuple[str, str]
    task: str  # "classification" or "regression"
    n: int
    metrics: dict[str, MetricComparison]
    primary: str
    sentence: str
    agreement: float  # share of rows with the same prediction (classification) / |pred_a - pred_b| <= tol
    kappa: float  # Cohen's kappa between the two models' predicted classes (NaN for regression)
    mcnemar: st.McNemar | None
    disagreements: np.ndarray  # row indices, most different first
    truth: list[str]  # per disagreement row: the true label / target
    pred_a: list[str]
    pred_b: list[str]
    confidence: float
    extra: dict[str, Any] = field(default_factory=dict)


def _p(p: float) -> str:
    return "p<0.001" if p < 0.001 else f"p={p:.2g}"


def sentence(names: tuple[str, str], m: MetricComparison, alpha: float, mcnemar: st.McNemar | None = None) -> str:
    """The verdict on ``m`` in words: direction, size, confidence interval, p-value and test."""
    a, b = names
    d, lo, hi = m.diff, m.interval.low, m.interval.high
    level = f"{round(100 * m.interval.confidence)}% CI"
    how = m.test + (f", {mcnemar.discordant} discordant rows" if mcnemar is not None and m.name == "accuracy" else "")
    points = m.name == "accuracy"
    scale = 100.0 if points else 1.0
    num = (lambda v: f"{v * scale:.1f}") if points else (lambda v: fmt(v))
    unit = " points" if points else ""
    if m.p_value >= alpha or d == 0 or not np.isfinite(d):
        return (f"No significant difference in {m.label} between {b} and {a}: {b} - {a} = "
                f"{'+' if d > 0 else ''}{num(d)}{unit}, {level} [{num(lo)}, {num(hi)}], {_p(m.p_value)} ({how}).")
    # The interval of the difference in the direction stated.
    mag_lo, mag_hi = (lo, hi) if d > 0 else (-hi, -lo)
    if points:
        verdict = f"{b} is {'more' if d > 0 else 'less'} accurate than {a} by {num(abs(d))} points"
    else:
        better = (d > 0) == m.higher_is_better
        verdict = (f"{b} has a {'higher' if d > 0 else 'lower'} {m.label} than {a} by {num(abs(d))} "
                   f"({'better' if better else 'worse'})")
    return f"{verdict}, {level} [{num(mag_lo)}, {num(mag_hi)}], {_p(m.p_value)} ({how})."


def _kappa(pa: np.ndarray, pb: np.ndarray, k: int) -> float:
    observed = float(np.mean(pa == pb))
    expected = float(np.sum(np.bincount(pa, minlength=k) * np.bincount(pb, minlength=k))) / pa.size**2
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0


def _classification_metrics(a: Classification, b: Classification) -> dict[str, st.PairedMetric]:
    y = a.y_index
    rows = np.arange(y.size)
    eps = np.finfo(np.float64).eps
    loss = lambda p: -np.log(np.clip(p[rows, y], eps, 1 - eps))  # noqa: E731
    onehot = np.eye(a.proba.shape[1])[y]
    brier = lambda p: ((p - onehot) ** 2).sum(axis=1) / (2.0 if a.binary else 1.0)  # noqa: E731
    correct = lambda p: (np.argmax(p, axis=1) == y).astype(np.float64)  # noqa: E731
    return {
        "accuracy": st.PairedMetric("accuracy", correct(a.proba), correct(b.proba), y, st.mean_of,
                                    higher_is_better=True),
        "auc": st.PairedMetric("auc", a.proba, b.proba, y, st.auc_of, higher_is_better=True),
        "log_loss": st.PairedMetric("log_loss", loss(a.proba), loss(b.proba), y, st.mean_of,
                                    higher_is_better=False),
        "brier": st.PairedMetric("brier", brier(a.proba), brier(b.proba), y, st.mean_of, higher_is_better=False),
    }


def _regression_metrics(a: Regression, b: Regression) -> dict[str, st.PairedMetric]:
    ea, eb = (a.y - a.pred) ** 2, (b.y - b.pred) ** 2
    return {
        "rmse": st.PairedMetric("rmse", ea, eb, a.y, st.root_mean_of, higher_is_better=False),
        "mae": st.PairedMetric("mae", np.sqrt(ea), np.sqrt(eb), a.y, st.mean_of, higher_is_better=False),
        "r2": st.PairedMetric("r2", ea, eb, a.y, st.r2_of, higher_is_better=True),
    }


def _custom_metric(fn: Callable[[np.ndarray, np.ndarray], float], a: Any, b: Any,
                   higher_is_better: bool) -> st.PairedMetric:
    """A user's ``fn(y_true, y_score) -> float``, scikit-learn style: the true labels (targets) and the positive
    class's probability (binary), the probabilities (multiclass) or the predictions (regression); evaluated on
    each resample in a loop (slower than the built-in metrics, which are vectorised)."""
    if isinstance(a, Classification):
        truth = np.asarray(a.classes, dtype=object)[a.y_index]
        if all(isinstance(c, int | np.integer) for c in a.classes):
            truth = truth.astype(np.int64)
        elif all(isinstance(c, str) for c in a.classes):
            truth = truth.astype(str)
        score_a, score_b = (a.proba[:, 1], b.proba[:, 1]) if a.binary else (a.proba, b.proba)
    else:
        truth, score_a, score_b = a.y, a.pred, b.pred

    def of(values: np.ndarray, y: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return np.array([float(fn(truth[r % truth.shape[0]], values[r])) for r in rows])

    name = str(getattr(fn, "__name__", "metric")).replace("_score", "").replace("_", " ")
    return st.PairedMetric(name, score_a, score_b, np.zeros(truth.shape[0]), of, higher_is_better=higher_is_better)


def _check_pair(a: Any, b: Any, names: tuple[str, str]) -> None:
    if type(a) is not type(b):
        raise ValueError(f"the models disagree on the task: {names[0]} looks like a "
                         f"{'classifier' if isinstance(a, Classification) else 'regressor'}, {names[1]} like a "
                         f"{'classifier' if isinstance(b, Classification) else 'regressor'}; pass task=")
    if isinstance(a, Classification) and isinstance(b, Classification) and (
            a.proba.shape[1] != b.proba.shape[1] or [str(c) for c in a.classes] != [str(c) for c in b.classes]):
        raise ValueError(f"the models disagree on the output shape: {names[0]} scores classes "
                         f"{a.class_names} ({a.proba.shape[1]} columns), {names[1]} scores {b.class_names} "
                         f"({b.proba.shape[1]} columns)")


def comparison(
    model_a: Any, model_b: Any, X: Any, y: Any, *, metric: str | Callable[..., float] | None = None,
    higher_is_better: bool = True, names: Sequence[str] = ("A", "B"),
    task: str = "auto", logits: bool = False, class_names: Sequence[Any] | None = None, n_resamples: int = 2000,
    confidence: float = 0.95, random_state: int | None = 0, max_rows_listed: int = 12, scores: Any = None,
) -> Comparison:
    """The numbers behind :func:`ipyexplain.compare` (same arguments); no widget."""
    if len(names) != 2 or any(not isinstance(n, str) for n in names):
        raise TypeError(f"names must be two strings, e.g. ('original', 'quantized'); got {names!r}")
    pair = (names[0], names[1])
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, e.g. 0.95; got {confidence}")
    if n_resamples < 100:
        raise ValueError(f"n_resamples must be at least 100; got {n_resamples}")
    if scores is None:
        a = prepare(model_a, X, y, task=task, logits=logits, class_names=class_names)
        b = prepare(model_b, X, y, task=task, logits=logits, class_names=class_names)
    else:  # precomputed (a_scores, b_scores)
        a = prepare(None, None, y, y_score=scores[0], task=task, logits=logits, class_names=class_names)
        b = prepare(None, None, y, y_score=scores[1], task=task, logits=logits, class_names=class_names)
    _check_pair(a, b, pair)
    rng = np.random.default_rng(random_state)
    alpha = 1 - confidence
    classification = isinstance(a, Classification)
    paired = (_classification_metrics(a, b) if classification  # type: ignore[arg-type]
              else _regression_metrics(a, b))  # type: ignore[arg-type]
    if callable(metric):
        custom = _custom_metric(metric, a, b, higher_is_better)
        paired = {custom.name: custom, **{k: v for k, v in paired.items() if k != custom.name}}
        metric = custom.name
    primary = metric or ("accuracy" if classification else "rmse")
    if primary not in paired:
        kind = "classification" if classification else "regression"
        raise ValueError(f"metric must be one of {tuple(paired)} for {kind}; got {metric!r}")
    mc = None
    if classification:
        assert isinstance(a, Classification) and isinstance(b, Classification)
        pa, pb = np.argmax(a.proba, axis=1), np.argmax(b.proba, axis=1)
        mc = st.mcnemar(pa == a.y_index, pb == a.y_index)
    results = {}
    for name, pm in paired.items():
        reps = n_resamples if name == primary or name != "auc" else min(n_resamples, 500)
        interval = st.bootstrap_diff(pm, n_resamples=reps, confidence=confidence, rng=rng)
        if name == "accuracy" and mc is not None:
            p, test = mc.p_value, mc.method
        else:
            perm = st.permutation_test(pm, n_resamples=reps, rng=rng)
            p, test = perm.p_value, ("exact paired permutation test" if perm.exact
                                     else f"paired permutation test, {perm.n_resamples:,} resamples")
        va, vb = pm.values()
        results[name] = MetricComparison(name, va, vb, interval, p, test, pm.higher_is_better)
    if classification:
        assert isinstance(a, Classification) and isinstance(b, Classification)
        gap = np.abs(a.proba - b.proba).max(axis=1)
        differ = np.flatnonzero(pa != pb)
        order = differ[np.argsort(-gap[differ], kind="stable")][:max_rows_listed]
        names_ = a.class_names
        truth = [names_[i] for i in a.y_index[order]]
        show = lambda p, r: f"{names_[int(np.argmax(p[r]))]} ({p[r].max():.2f})"  # noqa: E731
        pred_a, pred_b = [show(a.proba, r) for r in order], [show(b.proba, r) for r in order]
        agreement, kappa = float(np.mean(pa == pb)), _kappa(pa, pb, a.proba.shape[1])
    else:
        assert isinstance(a, Regression) and isinstance(b, Regression)
        gap = np.abs(a.pred - b.pred)
        tol = 0.1 * float(np.std(a.y)) or 1e-12
        differ = np.flatnonzero(gap > tol)
        order = differ[np.argsort(-gap[differ], kind="stable")][:max_rows_listed]
        truth = [fmt(float(v), 4) for v in a.y[order]]
        pred_a, pred_b = [fmt(float(v), 4) for v in a.pred[order]], [fmt(float(v), 4) for v in b.pred[order]]
        agreement, kappa = float(np.mean(gap <= tol)), float("nan")
        results_extra = {"agreement_tolerance": tol}
    text = sentence(pair, results[primary], alpha, mc)
    extra: dict[str, Any] = {"n_differ": int(differ.size), "data": (a, b)}
    if not classification:
        extra.update(results_extra)
    return Comparison(pair, "classification" if classification else "regression", int(gap.size), results, primary,
                      text, agreement, kappa, mc, order, truth, pred_a, pred_b, confidence, extra)
