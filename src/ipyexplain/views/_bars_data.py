"""ImportanceBars, kernel side: accept what users hand the view, reduce it to the bars that are drawn.

Reduction policy
----------------
*Global mode.* 1-D values are importances as given (their ``lower_bounds``/``upper_bounds`` are the
whiskers; with only ``error_std``, a normal interval at ``confidence``). 2-D values (rows x features,
e.g. SHAP values) become the mean |value| per feature over the finite rows, with a Student-t
interval of that mean from its standard error across rows (lower end clipped at 0, since a mean of
magnitudes cannot be negative). Features are sorted (by magnitude by default), the first ``top_k``
are drawn and the rest are folded into one "N other features" bar holding their **sum** (like
``shap.plots.bar``; ``other="mean"`` draws their mean instead, ``other="none"`` drops them). For 2-D
input the folded bar's interval is exact: the per-row sum (or mean) of |value| over the folded
features, then the mean and standard error of that across rows.

*Local mode.* One row's signed contributions, sorted by magnitude, as a waterfall from the base
value (the expected model output) to the model output ``base + sum(values)``. The rest are always
**summed** into the folded bar so the waterfall still ends at the output.

NaN/inf values are drawn as "missing" and counted; they are left out of means and sums.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shap
from scipy import stats

from ..explanation import ExplanationStats, as_explanation, stats_of

OTHER_MODES = ("sum", "mean", "none")
SORT_MODES = ("magnitude", "value", "none")


@dataclass
class Drawn:
    """What the browser draws, top bar first (the folded bar, if any, last)."""

    names: list[str]
    values: np.ndarray  # global importance or local contribution; NaN = missing
    lower: np.ndarray | None = None  # interval per bar (NaN where unknown); None when no bar has one
    upper: np.ndarray | None = None
    features: list[str] = field(default_factory=list)  # local: each feature's value as text
    other: int = 0  # how many features the last bar folds together (0: no folded bar)
    n_features: int = 0
    nonfinite: int = 0
    base: float | None = None  # local: E[f(X)]
    output: float | None = None  # local: f(x)
    ci_label: str = ""
    rows: int = 0  # 2-D input: how many rows went into the means
    row: int | None = None


# ------------------------------------------------------------------------------- coercion
def _is_module(value: Any, prefix: str) -> bool:
    return type(value).__module__.startswith(prefix)


def to_explanation(value: Any, feature_names: Any = None, name: str = "explanation") -> shap.Explanation:
    """Accept a shap.Explanation, a ``{name: importance}`` dict, a pandas Series/DataFrame, a torch
    tensor or an array (1-D importances or 2-D rows x features); return a validated Explanation."""
    names: list[str] | None = None
    if isinstance(value, shap.Explanation):
        explanation = as_explanation(value, name)
        _check_dims(np.asarray(explanation.values).shape, name)
        if explanation.feature_names is None and feature_names is not None:
            n = np.asarray(explanation.values).shape[-1]
            names = _names(feature_names, n, np.asarray(explanation.values).shape)
            explanation = shap.Explanation(
                values=explanation.values, base_values=explanation.base_values, data=explanation.data,
                display_data=explanation.display_data, feature_names=names,
                error_std=explanation.error_std, lower_bounds=explanation.lower_bounds,
                upper_bounds=explanation.upper_bounds,
            )
            stats_found = stats_of(value)
            if stats_found is not None:
                explanation.ipyexplain_stats = stats_found
        return explanation
    if isinstance(value, dict):
        if not value:
            raise ValueError(f"{name} is an empty dict; expected {{feature name: importance}}")
        names = [str(k) for k in value]
        try:
            array = np.array([float(v) for v in value.values()], dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name}: every value of the dict must be a number (one importance per feature)") from None
    elif _is_module(value, "pandas") and hasattr(value, "index"):
        names = [str(c) for c in (value.columns if hasattr(value, "columns") else value.index)]
        array = value.to_numpy()
    elif _is_module(value, "torch"):
        array = value.detach().cpu().numpy()
    else:
        array = np.asarray(value)
    if array.dtype.kind == "O":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be numeric; got an object array whose entries are not numbers") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric (importances or attributions); got dtype {array.dtype}")
    _check_dims(array.shape, name)
    if array.size == 0:
        raise ValueError(f"{name} is empty: shape {array.shape}")
    given = feature_names if feature_names is not None else names
    names = _names(given, array.shape[-1], array.shape) if given is not None else None
    return shap.Explanation(values=array.astype(np.float64), feature_names=names)


def _check_dims(shape: tuple[int, ...], name: str) -> None:
    if len(shape) == 3:
        raise ValueError(
            f"{name} has several outputs (values shape {shape}); ImportanceBars draws one output: "
            f"select it first, e.g. explanation[:, :, 1]"
        )
    if len(shape) not in (1, 2):
        raise ValueError(
            f"{name} must be 1-D (one importance per feature) or 2-D (rows x features); got shape {shape}"
        )
    if 0 in shape:
        raise ValueError(f"{name} is empty: shape {shape}")


def _names(names: Any, n: int, shape: tuple[int, ...]) -> list[str]:
    if isinstance(names, str):
        raise TypeError("feature_names must be a sequence of names, not a single string")
    out = [str(x) for x in names]
    if len(out) != n:
        raise ValueError(f"feature_names has {len(out)} names but the values have {n} features (shape {shape})")
    return out


def feature_names_of(explanation: shap.Explanation) -> list[str]:
    values = np.asarray(explanation.values)
    names = explanation.feature_names
    if names is None:
        return [f"feature {i}" for i in range(values.shape[-1])]
    if len(names) != values.shape[-1]:
        raise ValueError(f"{len(names)} feature names for values of shape {values.shape}")
    return [str(x) for x in names]


# ------------------------------------------------------------------------------- ordering
def sort_order(values: np.ndarray, sort: str) -> np.ndarray:
    """Indices of the features, most important first; missing (NaN) ones last, ties stable."""
    if sort == "none":
        return np.arange(values.size)
    key = -np.abs(values) if sort == "magnitude" else -values
    key = np.where(np.isfinite(key), key, np.inf)
    return np.argsort(key, kind="stable")


def _t_crit(confidence: float, n: np.ndarray | int) -> np.ndarray:
    df = np.maximum(np.asarray(n, dtype=np.float64) - 1, 1)
    return np.asarray(stats.t.ppf(0.5 + confidence / 2, df))


def _mean_ci(samples: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean over axis 0 of finite entries, its Student-t interval (NaN with < 2 rows), and counts."""
    finite = np.isfinite(samples)
    n = finite.sum(axis=0)
    clean = np.where(finite, samples, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, clean.sum(axis=0) / np.maximum(n, 1), np.nan)
        dev = np.where(finite, samples - mean, 0.0)
        var = (dev**2).sum(axis=0) / np.maximum(n - 1, 1)
        half = np.where(n > 1, _t_crit(confidence, n) * np.sqrt(var / np.maximum(n, 1)), np.nan)
    return mean, mean - half, mean + half, n


# ------------------------------------------------------------------------------- global
def reduce_global(
    explanation: shap.Explanation, *, top_k: int, other: str = "sum", sort: str = "magnitude",
    confidence: float = 0.95, item: str = "feature",
) -> Drawn:
    values = np.asarray(explanation.values, dtype=np.float64)
    names = feature_names_of(explanation)
    nonfinite = int(values.size - np.count_nonzero(np.isfinite(values)))
    ci_label = ""
    lower: np.ndarray | None
    upper: np.ndarray | None
    if values.ndim == 2:
        magnitude = np.abs(values)
        importance, lower, upper, _ = _mean_ci(magnitude, confidence)
        lower = np.maximum(lower, 0.0)
        ci_label = f"{confidence:.0%} CI of the mean over {values.shape[0]:,} rows" if values.shape[0] > 1 else ""
    else:
        importance = values
        lower, upper, ci_label = _given_interval(explanation, importance, confidence)
    order = sort_order(importance, sort)
    top, rest = order[:top_k], order[top_k:]
    drawn = Drawn(
        names=[names[i] for i in top],
        values=importance[top],
        lower=None if lower is None else lower[top],
        upper=None if upper is None else upper[top],
        n_features=len(names),
        nonfinite=nonfinite,
        ci_label=ci_label,
        rows=values.shape[0] if values.ndim == 2 else 0,
    )
    if rest.size and other != "none":
        value, lo, hi = _folded(explanation, values, importance, rest, other, confidence)
        drawn.names.append(f"{rest.size:,} other {item}{'s' if rest.size > 1 else ''}")
        drawn.values = np.append(drawn.values, value)
        if drawn.lower is not None and drawn.upper is not None:
            drawn.lower, drawn.upper = np.append(drawn.lower, lo), np.append(drawn.upper, hi)
        drawn.other = int(rest.size)
    return drawn


def _given_interval(
    explanation: shap.Explanation, values: np.ndarray, confidence: float
) -> tuple[np.ndarray | None, np.ndarray | None, str]:
    side = stats_of(explanation)
    lo, hi, se = explanation.lower_bounds, explanation.upper_bounds, explanation.error_std
    if lo is not None and hi is not None:
        level = f"{side.confidence:.0%} CI" if side and side.confidence else "interval"
        more = f" from {side.repeats:,} repeat{'s' if side.repeats != 1 else ''}" if side else ""
        return _vector(lo, values), _vector(hi, values), level + more
    if se is not None:
        half = stats.norm.ppf(0.5 + confidence / 2) * _vector(se, values)
        return values - half, values + half, f"{confidence:.0%} CI (normal, from the standard errors)"
    return None, None, ""


def _vector(x: Any, like: np.ndarray) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.shape != like.shape:
        raise ValueError(f"interval/standard error of shape {a.shape} for values of shape {like.shape}")
    return a


def _folded(
    explanation: shap.Explanation, values: np.ndarray, importance: np.ndarray, rest: np.ndarray, other: str,
    confidence: float,
) -> tuple[float, float, float]:
    """Value and interval of the "N other features" bar."""
    if values.ndim == 2:
        block = np.abs(values[:, rest])
        finite = np.isfinite(block)
        per_row = np.where(finite, block, 0.0).sum(axis=1)
        if other == "mean":
            per_row = per_row / np.maximum(finite.sum(axis=1), 1)
        per_row = np.where(finite.any(axis=1), per_row, np.nan)
        mean, lo, hi, _ = _mean_ci(per_row[:, None], confidence)
        return float(mean[0]), float(max(lo[0], 0.0)), float(hi[0])
    part = importance[rest]
    finite = np.isfinite(part)
    total = float(part[finite].sum()) if finite.any() else float("nan")
    count = max(int(finite.sum()), 1)
    value = total / count if other == "mean" else total
    se = explanation.error_std
    if se is None:
        return value, float("nan"), float("nan")
    se_rest = np.asarray(se, dtype=np.float64)[rest][finite]
    half = float(np.sqrt((se_rest**2).sum())) * float(stats.norm.ppf(0.5 + confidence / 2))
    if other == "mean":
        half /= count
    return value, value - half, value + half


# ------------------------------------------------------------------------------- local
def reduce_local(explanation: shap.Explanation, *, row: int | None, top_k: int, item: str = "feature") -> Drawn:
    values = np.asarray(explanation.values, dtype=np.float64)
    names = feature_names_of(explanation)
    base_values = None if explanation.base_values is None else np.asarray(explanation.base_values, np.float64)
    shown = explanation.display_data if explanation.display_data is not None else explanation.data
    if values.ndim == 2:
        n_rows = values.shape[0]
        index = 0 if row is None else int(row)
        if not -n_rows <= index < n_rows:
            raise IndexError(f"row {row} is out of range: the explanation has {n_rows} rows")
        index %= n_rows
        contributions = values[index]
        base = _row_base(base_values, index, n_rows)
        data = _row_data(shown, index, n_rows, len(names))
    else:
        if row not in (None, 0):
            raise IndexError(f"row {row} is out of range: this explanation is one prediction (1-D values)")
        index, contributions = 0, values
        base = None if base_values is None else _scalar_base(base_values)
        data = _row_data(shown, None, 1, len(names))
    if base is None:
        raise ValueError(
            "mode='local' needs the base value (the expected model output) the contributions start from: "
            "pass a shap.Explanation with base_values"
        )
    finite = np.isfinite(contributions)
    order = sort_order(contributions, "magnitude")
    top, rest = order[:top_k], order[top_k:]
    drawn = Drawn(
        names=[names[i] for i in top],
        values=contributions[top],
        features=[data[i] for i in top],
        n_features=len(names),
        nonfinite=int(contributions.size - np.count_nonzero(finite)),
        base=float(base),
        output=float(base + contributions[finite].sum()),
        row=index,
    )
    if rest.size:
        part = contributions[rest]
        drawn.names.append(f"{rest.size:,} other {item}{'s' if rest.size > 1 else ''}")
        drawn.values = np.append(drawn.values, part[np.isfinite(part)].sum())
        drawn.features.append("")
        drawn.other = int(rest.size)
    return drawn


def _scalar_base(base: np.ndarray) -> float:
    if base.size != 1:
        raise ValueError(f"base_values of a single prediction must be one number; got shape {base.shape}")
    return float(base.reshape(-1)[0])


def _row_base(base: np.ndarray | None, index: int, n_rows: int) -> float | None:
    if base is None:
        return None
    if base.size == 1:
        return float(base.reshape(-1)[0])
    if base.shape[0] != n_rows or base.size != n_rows:
        raise ValueError(f"base_values must be one number per row ({n_rows}); got shape {base.shape}")
    return float(base.reshape(-1)[index])


def _row_data(shown: Any, index: int | None, n_rows: int, n_features: int) -> list[str]:
    if shown is None:
        return [""] * n_features
    row = shown.iloc[index] if hasattr(shown, "iloc") and index is not None else shown
    array = np.asarray(row, dtype=object)
    if index is not None and not hasattr(shown, "iloc"):
        if array.ndim != 2 or array.shape[0] != n_rows:
            return [""] * n_features
        array = array[index]
    array = array.reshape(-1)
    if array.size != n_features:
        return [""] * n_features
    return [format_feature_value(x) for x in array]


def format_feature_value(x: Any) -> str:
    """A feature's value as short text: 4 significant digits for floats, others as they print."""
    if x is None:
        return ""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        if not np.isfinite(x):
            return "NaN" if np.isnan(x) else ("inf" if x > 0 else "-inf")
        return f"{float(x):.4g}"
    return str(x)


def axis_label(explanation: shap.Explanation, mode: str, value_label: str) -> str:
    """The unit on the value axis: ``mean |SHAP value|`` for 2-D input, the method name, ..."""
    if mode == "local":
        return value_label or "contribution to the output"
    if np.ndim(explanation.values) == 2:
        return f"mean |{value_label or 'value'}|"
    if value_label:
        return value_label
    # A backend whose values are not model outputs names them in output_names ("decrease in accuracy").
    named = explanation.output_names
    if isinstance(named, str) and named:
        return named
    side: ExplanationStats | None = stats_of(explanation)
    return f"{side.method} importance" if side else "importance"
