"""Do the two models rely on the same features? Rank agreement of their global importances."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class RankAgreement:
    spearman: float  # Spearman's rho of the importances
    kendall: float  # Kendall's tau-b
    top_k: int
    shared: int  # features in both models' top k
    features: list[str]
    importance_a: np.ndarray
    importance_b: np.ndarray

    @property
    def sentence(self) -> str:
        strength = ("strongly" if self.spearman >= 0.8 else "moderately" if self.spearman >= 0.5
                    else "weakly" if self.spearman >= 0.2 else "hardly")
        return (f"Feature importance ranks agree {strength}: Spearman ρ = {self.spearman:.2f}, Kendall τ = "  # noqa: RUF001
                f"{self.kendall:.2f}; {self.shared} of the top {self.top_k} features are shared.")


def rank_agreement(importance_a: np.ndarray, importance_b: np.ndarray, features: list[str],
                   top_k: int = 10) -> RankAgreement:
    """Spearman and Kendall (tau-b) correlation of two importance vectors, and their top-k overlap."""
    a, b = np.asarray(importance_a, dtype=np.float64), np.asarray(importance_b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or a.size != len(features):
        raise ValueError(f"importances must be two vectors with one value per feature ({len(features)}); "
                         f"got shapes {a.shape} and {b.shape}")
    if a.size < 2:
        raise ValueError("rank agreement needs at least two features")
    k = min(top_k, a.size) if a.size > 2 * top_k else max(1, min(top_k, a.size // 2))  # a top k that can differ
    top_a = set(np.argsort(-a, kind="stable")[:k])
    top_b = set(np.argsort(-b, kind="stable")[:k])
    rho = float(stats.spearmanr(a, b).statistic)
    tau = float(stats.kendalltau(a, b).statistic)
    return RankAgreement(rho, tau, k, len(top_a & top_b), list(features), a, b)


def mean_abs(values: np.ndarray) -> np.ndarray:
    """Global importance of an attribution matrix (rows x features): mean |value| per feature."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2:
        raise ValueError(f"attributions must be rows x features; got shape {v.shape}")
    return np.nanmean(np.abs(v), axis=0)
