"""Evaluation numbers computed in numpy, equal to scikit-learn's (tests compare them on the same data).

scikit-learn is not a dependency of ipyexplain, so the curves are computed here with the same
conventions: a row is predicted positive when its score is ``>= threshold``; ROC and PR curves run
over the distinct scores (ROC starts at ``(0, 0)`` with threshold ``inf``, drops collinear points
like ``roc_curve(drop_intermediate=True)``; PR ends at recall 0, precision 1); AUC is the trapezoid
area; AP is ``sum((R_n - R_{n-1}) P_n)``; calibration bins are ``n_bins`` equal-width bins of [0, 1]
and only non-empty bins are returned; the multiclass Brier score is the mean over rows of the sum
of squared differences over classes (scikit-learn's ``scale_by_half="auto"``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Curve:
    """A ROC or PR curve of one class: ``x`` (FPR / recall), ``y`` (TPR / precision), ``thresholds``."""

    x: np.ndarray
    y: np.ndarray
    thresholds: np.ndarray


def _binary_counts(y01: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True/false positives at each distinct score, highest score first (scikit-learn's _binary_clf_curve)."""
    order = np.argsort(score, kind="mergesort")[::-1]
    score, y01 = score[order], y01[order]
    distinct = np.where(np.diff(score))[0]
    ends = np.r_[distinct, y01.size - 1]
    tps = np.cumsum(y01, dtype=np.float64)[ends]
    fps = 1 + ends - tps
    return fps, tps, score[ends]


def roc_curve(y01: np.ndarray, score: np.ndarray) -> Curve:
    """False positive rate, true positive rate and thresholds, collinear points dropped."""
    fps, tps, thresholds = _binary_counts(y01, score)
    if fps.size > 2:  # drop_intermediate: keep the corners of the curve only
        keep = np.where(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])[0]
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    fps, tps = np.r_[0.0, fps], np.r_[0.0, tps]
    thresholds = np.r_[np.inf, thresholds]
    n_neg, n_pos = fps[-1], tps[-1]
    fpr = fps / n_neg if n_neg > 0 else np.full(fps.shape, np.nan)
    tpr = tps / n_pos if n_pos > 0 else np.full(tps.shape, np.nan)
    return Curve(fpr, tpr, thresholds)


def pr_curve(y01: np.ndarray, score: np.ndarray) -> Curve:
    """Recall (x), precision (y) and thresholds, as ``precision_recall_curve`` (ends at recall 0, precision 1)."""
    fps, tps, thresholds = _binary_counts(y01, score)
    predicted = tps + fps
    precision = np.divide(tps, predicted, out=np.zeros_like(tps), where=predicted != 0)
    recall = tps / tps[-1] if tps[-1] > 0 else np.ones_like(tps)
    return Curve(np.r_[recall[::-1], 0.0], np.r_[precision[::-1], 1.0], thresholds[::-1])


def trapezoid_area(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.trapezoid(y, x)) if x.size > 1 else float("nan")


def roc_auc(y01: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve; NaN when ``y01`` has one class only."""
    if y01.min() == y01.max():
        return float("nan")
    curve = roc_curve(y01, score)
    return trapezoid_area(curve.x, curve.y)


def average_precision(y01: np.ndarray, score: np.ndarray) -> float:
    """Average precision; NaN without positives (scikit-learn warns and returns 0 there: we say "undefined")."""
    if y01.max() == 0:
        return float("nan")
    curve = pr_curve(y01, score)
    return float(-np.sum(np.diff(curve.x) * curve.y[:-1]))


@dataclass(frozen=True)
class Counts:
    """The binary confusion matrix at a threshold and the rates derived from it."""

    threshold: float
    tp: int
    fp: int
    fn: int
    tn: int

    @staticmethod
    def _ratio(a: float, b: float) -> float:
        return a / b if b else float("nan")

    @property
    def tpr(self) -> float:  # recall, sensitivity
        return self._ratio(self.tp, self.tp + self.fn)

    @property
    def fpr(self) -> float:
        return self._ratio(self.fp, self.fp + self.tn)

    @property
    def tnr(self) -> float:  # specificity
        return self._ratio(self.tn, self.fp + self.tn)

    @property
    def fnr(self) -> float:
        return self._ratio(self.fn, self.tp + self.fn)

    @property
    def precision(self) -> float:
        return self._ratio(self.tp, self.tp + self.fp)

    @property
    def npv(self) -> float:
        return self._ratio(self.tn, self.tn + self.fn)

    @property
    def accuracy(self) -> float:
        return self._ratio(self.tp + self.tn, self.tp + self.fp + self.fn + self.tn)

    @property
    def f1(self) -> float:
        return self._ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    def matrix(self) -> np.ndarray:
        """Rows: actual (negative, positive); columns: predicted (negative, positive), as confusion_matrix."""
        return np.array([[self.tn, self.fp], [self.fn, self.tp]], dtype=np.int64)


def counts_at(y01: np.ndarray, score: np.ndarray, threshold: float) -> Counts:
    predicted = score >= threshold
    tp = int(np.count_nonzero(predicted & (y01 == 1)))
    fp = int(np.count_nonzero(predicted & (y01 == 0)))
    n_pos = int(np.count_nonzero(y01 == 1))
    return Counts(float(threshold), tp, fp, n_pos - tp, y01.size - n_pos - fp)


def confusion_matrix(y_index: np.ndarray, pred_index: np.ndarray, n_classes: int) -> np.ndarray:
    """Rows: actual class, columns: predicted class (class indices 0..n_classes-1)."""
    return np.bincount(y_index * n_classes + pred_index, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


@dataclass(frozen=True)
class Calibration:
    """Reliability diagram of the non-empty bins: mean predicted probability vs observed frequency."""

    prob_pred: np.ndarray
    prob_true: np.ndarray
    counts: np.ndarray
    brier: float
    ece: float  # expected calibration error: count-weighted mean |prob_true - prob_pred|


def calibration(y01: np.ndarray, prob: np.ndarray, n_bins: int = 10) -> Calibration:
    bins = np.linspace(0.0, 1.0, n_bins + 1)
    ids = np.searchsorted(bins[1:-1], prob)
    sums = np.bincount(ids, weights=prob, minlength=n_bins)
    trues = np.bincount(ids, weights=y01.astype(np.float64), minlength=n_bins)
    totals = np.bincount(ids, minlength=n_bins)
    nonzero = totals != 0
    prob_true, prob_pred = trues[nonzero] / totals[nonzero], sums[nonzero] / totals[nonzero]
    counts = totals[nonzero]
    ece = float(np.sum(counts * np.abs(prob_true - prob_pred)) / y01.size)
    return Calibration(prob_pred, prob_true, counts, float(np.mean((prob - y01) ** 2)), ece)


def multiclass_brier(y_index: np.ndarray, proba: np.ndarray) -> float:
    onehot = np.zeros_like(proba)
    onehot[np.arange(y_index.size), y_index] = 1.0
    return float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))


def log_loss(y_index: np.ndarray, proba: np.ndarray) -> float:
    """Mean negative log-likelihood of the true class (probabilities clipped at float64 eps, as scikit-learn)."""
    eps = np.finfo(proba.dtype).eps
    p = np.clip(proba[np.arange(y_index.size), y_index], eps, 1 - eps)
    return float(-np.mean(np.log(p)))


@dataclass(frozen=True)
class RegressionScores:
    r2: float
    mae: float
    rmse: float
    median_ae: float
    max_error: float
    explained_variance: float
    n: int


def regression_scores(y: np.ndarray, pred: np.ndarray) -> RegressionScores:
    residual = y - pred
    ss_res = float(np.sum(residual**2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    var_res = float(np.var(residual))
    var_y = float(np.var(y))
    if ss_tot == 0:  # constant y: scikit-learn's convention (1 for a perfect fit, else 0)
        r2 = 1.0 if ss_res == 0 else 0.0
        ev = 1.0 if var_res == 0 else 0.0
    else:
        r2, ev = 1 - ss_res / ss_tot, 1 - var_res / var_y
    return RegressionScores(
        r2=r2, mae=float(np.mean(np.abs(residual))), rmse=float(np.sqrt(np.mean(residual**2))),
        median_ae=float(np.median(np.abs(residual))), max_error=float(np.max(np.abs(residual))),
        explained_variance=ev, n=int(y.size),
    )
