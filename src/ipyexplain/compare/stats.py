"""Paired statistics for "is B better than A on the same rows?".

- :func:`mcnemar`: paired correctness of two classifiers. Exact two-sided binomial test on the
  discordant rows when there are fewer than 25 of them, else the chi-square test with continuity
  correction (statsmodels' ``mcnemar(exact=..., correction=True)``).
- :func:`bootstrap_diff`: the rows are resampled with replacement (the same rows for both models),
  the metric difference B - A recomputed; percentile confidence interval (scipy's
  ``bootstrap(paired=True, method="percentile")``).
- :func:`permutation_test`: under "A and B are exchangeable", each row's two predictions are swapped
  with probability 1/2; two-sided p-value as scipy's ``permutation_test(permutation_type="samples")``
  (exact enumeration when there are at most as many arrangements as ``n_resamples``).

Metrics are vectorised over resamples: ``metric(ia, ib)`` takes index arrays of shape (k, n) that
select, per resample, which row's A-side and B-side values to use, and returns k metric differences.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

_EXACT_BELOW = 25
_CHUNK_ELEMENTS = 4_000_000


@dataclass(frozen=True)
class McNemar:
    a_only: int  # rows A gets right and B wrong
    b_only: int  # rows B gets right and A wrong
    statistic: float
    p_value: float
    exact: bool
    both_right: int = 0
    both_wrong: int = 0

    @property
    def discordant(self) -> int:
        return self.a_only + self.b_only

    @property
    def method(self) -> str:
        return "McNemar's exact test" if self.exact else "McNemar's chi-square test with continuity correction"


def mcnemar(correct_a: np.ndarray, correct_b: np.ndarray, *, exact: bool | None = None) -> McNemar:
    correct_a, correct_b = np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)
    a_only = int(np.count_nonzero(correct_a & ~correct_b))
    b_only = int(np.count_nonzero(~correct_a & correct_b))
    both_right = int(np.count_nonzero(correct_a & correct_b))
    both_wrong = int(correct_a.size) - a_only - b_only - both_right
    n = a_only + b_only
    exact = n < _EXACT_BELOW if exact is None else exact
    if n == 0:
        return McNemar(a_only, b_only, 0.0, 1.0, exact, both_right, both_wrong)
    if exact:
        statistic = float(min(a_only, b_only))
        p = min(1.0, 2.0 * float(stats.binom.cdf(statistic, n, 0.5)))
    else:
        statistic = (abs(a_only - b_only) - 1.0) ** 2 / n
        p = float(stats.chi2.sf(statistic, 1))
    return McNemar(a_only, b_only, statistic, p, exact, both_right, both_wrong)


class PairedMetric:
    """A metric of two models' per-row predictions, evaluated on resampled or swapped rows.

    ``values_a``/``values_b`` hold what the metric needs per row (e.g. 1/0 correct, squared error,
    or (label, score) columns); ``fn(values, y, rows) -> (k,)`` computes the metric of the rows
    ``rows`` (k x n indices into ``values``) for k resamples at once.
    """

    def __init__(self, name: str, values_a: np.ndarray, values_b: np.ndarray, y: np.ndarray,
                 fn: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray], *, higher_is_better: bool) -> None:
        self.name = name
        self.n = int(values_a.shape[0])
        self.stacked = np.concatenate([values_a, values_b], axis=0)  # rows of A, then rows of B
        self.y = np.concatenate([y, y], axis=0)
        self.fn = fn
        self.higher_is_better = higher_is_better

    def of(self, rows: np.ndarray) -> np.ndarray:
        return self.fn(self.stacked, self.y, rows)

    def values(self) -> tuple[float, float]:
        base = np.arange(self.n)[None, :]
        return float(self.of(base)[0]), float(self.of(base + self.n)[0])

    def diff(self, rows_a: np.ndarray, rows_b: np.ndarray) -> np.ndarray:
        return self.of(rows_b) - self.of(rows_a)


def _chunks(k: int, n: int) -> list[int]:
    size = max(1, _CHUNK_ELEMENTS // max(n, 1))
    return [min(size, k - i) for i in range(0, k, size)]


@dataclass(frozen=True)
class Interval:
    estimate: float  # metric(B) - metric(A) on all rows
    low: float
    high: float
    confidence: float
    replicates: np.ndarray = field(repr=False)  # the bootstrap distribution of the difference


def bootstrap_diff(metric: PairedMetric, *, n_resamples: int = 2000, confidence: float = 0.95,
                   rng: np.random.Generator) -> Interval:
    n = metric.n
    a_value, b_value = metric.values()
    reps = []
    for k in _chunks(n_resamples, n):
        rows = rng.integers(0, n, size=(k, n))
        reps.append(metric.diff(rows, rows + n))
    replicates = np.concatenate(reps)
    finite = replicates[np.isfinite(replicates)]
    alpha = (1 - confidence) / 2
    low, high = (np.percentile(finite, [100 * alpha, 100 * (1 - alpha)]) if finite.size else (np.nan, np.nan))
    return Interval(b_value - a_value, float(low), float(high), confidence, replicates)


@dataclass(frozen=True)
class PermutationResult:
    statistic: float
    p_value: float
    n_resamples: int
    exact: bool


def permutation_test(metric: PairedMetric, *, n_resamples: int = 2000, rng: np.random.Generator) -> PermutationResult:
    n = metric.n
    base = np.arange(n)
    observed = float(metric.diff(base[None, :], base[None, :] + n)[0])
    exact = n < 63 and 2**n <= n_resamples
    nulls = []
    if exact:
        flips = np.array(list(itertools.product([False, True], repeat=n)), dtype=bool)
        for start in range(0, flips.shape[0], 4096):
            swap = flips[start:start + 4096]
            nulls.append(metric.diff(np.where(swap, base + n, base), np.where(swap, base, base + n)))
    else:
        for k in _chunks(n_resamples, n):
            swap = rng.random((k, n)) < 0.5
            nulls.append(metric.diff(np.where(swap, base + n, base), np.where(swap, base, base + n)))
    null = np.concatenate(nulls)
    gamma = abs(observed) * 1e-14 + 1e-300  # float ties count as "at least as extreme" (as scipy)
    adjust = 0 if exact else 1
    greater = (np.count_nonzero(null >= observed - gamma) + adjust) / (null.size + adjust)
    less = (np.count_nonzero(null <= observed + gamma) + adjust) / (null.size + adjust)
    return PermutationResult(observed, float(min(1.0, 2 * min(greater, less))), int(null.size), exact)


# -------------------------------------------------------------------------------- metric functions
def mean_of(values: np.ndarray, y: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Per-row quantities averaged (accuracy from 1/0 correctness, MSE, MAE, log loss, Brier)."""
    return values[rows].mean(axis=1)


def root_mean_of(values: np.ndarray, y: np.ndarray, rows: np.ndarray) -> np.ndarray:
    return np.sqrt(values[rows].mean(axis=1))


def r2_of(values: np.ndarray, y: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``values``: squared errors; ``y``: targets."""
    yy = y[rows]
    total = ((yy - yy.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 - values[rows].sum(axis=1) / total


def auc_of(values: np.ndarray, y: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``values``: (n, k) probabilities; ``y``: class index. Binary ROC AUC (k = 2) or the macro one-vs-rest
    mean over classes present, as Mann-Whitney U / (n_pos n_neg) with tied scores ranked on average
    (equal to the trapezoid ROC AUC), vectorised over the k resamples."""
    k = values.shape[1]
    classes = [1] if k == 2 else list(range(k))
    yy = y[rows]
    per_class = []
    for c in classes:
        pos = yy == c
        n_pos = pos.sum(axis=1)
        n_neg = pos.shape[1] - n_pos
        ranks = stats.rankdata(values[rows, c], axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            auc = ((ranks * pos).sum(axis=1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
        per_class.append(np.where((n_pos > 0) & (n_neg > 0), auc, np.nan))
    stacked = np.stack(per_class)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(stacked, axis=0)
