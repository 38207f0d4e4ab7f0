"""The one exchange type between backends and views: ``shap.Explanation``, plus its side statistics.

Uncertainty travels in shap's own optional fields, so a result stays a plain shap object that shap's
plots and users' code understand:

- ``error_std``: the standard error of each value (e.g. over permutation repeats);
- ``lower_bounds`` / ``upper_bounds``: the confidence interval of each value.

What shap has no field for is an :class:`ExplanationStats` in the attribute ``ipyexplain_stats``:
how many repeats (or samples) were done, the interval's confidence level, the method, whether
the result is partial (a job still running, or cancelled), and for a surrogate method (LIME) its
goodness of fit (``score``, the weighted R²). Slicing an Explanation drops it, like
shap drops anything it does not know; views treat a missing one as "complete, no counts".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shap
from scipy import stats

STATS_ATTRIBUTE = "ipyexplain_stats"


@dataclass(frozen=True)
class ExplanationStats:
    method: str
    repeats: int
    confidence: float | None = None  # level of lower_bounds/upper_bounds, e.g. 0.95
    partial: bool = False
    score: float | None = None  # goodness of fit of a surrogate model (LIME: weighted R²), if any


def global_importance(
    samples: np.ndarray,
    feature_names: list[str],
    *,
    method: str,
    confidence: float = 0.95,
    partial: bool = False,
    base_value: float | None = None,
) -> shap.Explanation:
    """An Explanation of per-feature importances from ``samples`` (repeats x features).

    Values are the means; ``error_std`` the standard errors; the bounds a Student-t confidence
    interval at ``confidence`` (degenerate, equal to the mean, with a single repeat). A NaN cell is
    a repeat not done yet for that feature (a stream part-way through a repeat): each feature's
    statistics use its own count, and a feature with none yet is NaN ("not computed yet").
    """
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[0] == 0:
        raise ValueError(f"samples must be 2-D (repeats x features) with at least one repeat; got {samples.shape}")
    if samples.shape[1] != len(feature_names):
        raise ValueError(f"{len(feature_names)} feature names for {samples.shape[1]} features")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1; got {confidence}")
    counts = np.sum(~np.isnan(samples), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, np.nansum(samples, axis=0) / np.maximum(counts, 1), np.nan)
        deviations = np.where(np.isnan(samples), 0.0, samples - mean)
        std = np.sqrt(np.sum(deviations**2, axis=0) / np.maximum(counts - 1, 1))
        stderr = np.where(counts > 1, std / np.sqrt(np.maximum(counts, 1)), np.where(counts == 1, 0.0, np.nan))
        half = np.where(counts > 1, stats.t.ppf(0.5 + confidence / 2, df=np.maximum(counts - 1, 1)) * stderr, stderr)
    repeats = int(counts.min())
    explanation = shap.Explanation(
        values=mean,
        base_values=base_value,
        feature_names=list(feature_names),
        error_std=stderr,
        lower_bounds=mean - half,
        upper_bounds=mean + half,
    )
    setattr(explanation, STATS_ATTRIBUTE, ExplanationStats(method, repeats, confidence, partial))
    return explanation


def stats_of(explanation: Any) -> ExplanationStats | None:
    """The side statistics of an Explanation, or ``None`` (one made by shap itself, or a slice)."""
    found = getattr(explanation, STATS_ATTRIBUTE, None)
    return found if isinstance(found, ExplanationStats) else None


def as_explanation(value: Any, name: str = "explanation") -> shap.Explanation:
    """Validate a user-supplied ``shap.Explanation`` at the boundary, with errors that name the problem."""
    if not isinstance(value, shap.Explanation):
        raise TypeError(f"{name} must be a shap.Explanation; got {type(value).__name__}")
    values = np.asarray(value.values)
    if values.dtype.kind not in "biuf":
        raise TypeError(f"{name}.values must be numeric; got dtype {values.dtype}")
    if values.size == 0:
        raise ValueError(f"{name}.values is empty: shape {values.shape}")
    names = value.feature_names
    if names is not None and values.ndim >= 1 and len(names) != values.shape[-1 if values.ndim == 1 else 1]:
        raise ValueError(
            f"{name} has {len(names)} feature names but its values have shape {values.shape}"
        )
    return value
