"""The numbers evaluate() shows, computed once: curves and scores per class, calibration, confusion."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import metrics as m
from ._inputs import Classification, Regression


@dataclass(frozen=True)
class ClassReport:
    """One class against the rest (the positive class of a binary classifier)."""

    index: int
    name: str
    roc: m.Curve
    auc: float  # NaN when y has no row (or only rows) of this class
    pr: m.Curve
    ap: float
    calibration: m.Calibration
    n_pos: int
    n: int

    @property
    def prevalence(self) -> float:
        return self.n_pos / self.n

    @property
    def defined(self) -> bool:
        return 0 < self.n_pos < self.n


@dataclass(frozen=True)
class ClassificationReport:
    data: Classification
    per_class: list[ClassReport]  # binary: just the positive class
    accuracy: float
    brier: float  # binary: of the positive class; multiclass: summed over classes (scikit-learn's)
    log_loss: float
    confusion: np.ndarray  # k x k, rows actual, columns predicted (argmax)
    macro_auc: float = float("nan")  # multiclass one-vs-rest, mean over classes present in y
    macro_ap: float = float("nan")
    n_bins: int = 10
    _y01: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def binary(self) -> bool:
        return self.data.binary

    def report_of(self, class_index: int) -> ClassReport:
        for r in self.per_class:
            if r.index == class_index:
                return r
        raise ValueError(f"class index {class_index} has no one-vs-rest report; "
                         f"valid: {[r.index for r in self.per_class]}")

    def counts(self, class_index: int, threshold: float) -> m.Counts:
        """Confusion counts of ``class_index`` against the rest when ``proba >= threshold`` predicts it."""
        y01 = self._y01.get(class_index)
        if y01 is None:
            y01 = self._y01[class_index] = (self.data.y_index == class_index).astype(np.int8)
        return m.counts_at(y01, self.data.proba[:, class_index], threshold)


def class_index_of(data: Classification, label: Any) -> int:
    """The index of a class given by its label or display name; ValueError naming the classes otherwise."""
    for i, cls in enumerate(data.classes):
        if str(cls) == str(label) or data.class_names[i] == str(label):
            return i
    raise ValueError(f"positive={label!r} is not one of the classes: {', '.join(map(str, data.classes))}")


def classification_report(data: Classification, *, n_bins: int = 10, positive: Any = None) -> ClassificationReport:
    """Every number of a classifier's evaluation. ``positive``: the positive class of a binary classifier
    (default: the second of the sorted labels, as scikit-learn)."""
    if n_bins < 2:
        raise ValueError(f"n_bins must be at least 2; got {n_bins}")
    k = len(data.classes)
    pos = 1 if positive is None else class_index_of(data, positive)
    indices = [pos] if data.binary else list(range(k))
    per_class = []
    y01s = {}
    for c in indices:
        y01 = (data.y_index == c).astype(np.int8)
        y01s[c] = y01
        score = data.proba[:, c]
        n_pos = int(y01.sum())
        per_class.append(ClassReport(
            c, data.class_names[c], m.roc_curve(y01, score), m.roc_auc(y01, score), m.pr_curve(y01, score),
            m.average_precision(y01, score), m.calibration(y01, score, n_bins), n_pos, int(y01.size),
        ))
    predicted = np.argmax(data.proba, axis=1)
    confusion = m.confusion_matrix(data.y_index, predicted, k)
    brier = per_class[0].calibration.brier if data.binary else m.multiclass_brier(data.y_index, data.proba)
    macro_auc = macro_ap = float("nan")
    if not data.binary:
        defined = [r for r in per_class if r.defined]
        macro_auc = float(np.mean([r.auc for r in defined])) if defined else float("nan")
        macro_ap = float(np.mean([r.ap for r in defined])) if defined else float("nan")
    return ClassificationReport(
        data, per_class, float(np.mean(predicted == data.y_index)), brier, m.log_loss(data.y_index, data.proba),
        confusion, macro_auc, macro_ap, n_bins, y01s,
    )


@dataclass(frozen=True)
class RegressionReport:
    data: Regression
    scores: m.RegressionScores

    @property
    def residuals(self) -> np.ndarray:
        return self.data.y - self.data.pred


def regression_report(data: Regression) -> RegressionReport:
    return RegressionReport(data, m.regression_scores(data.y, data.pred))
