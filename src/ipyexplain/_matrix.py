"""Turn whatever a user hands a matrix view into a validated 2-D float array plus its labels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class LabelledMatrix:
    values: np.ndarray  # 2-D, float32 or float64, may hold NaN/inf
    row_labels: list[str] | None
    col_labels: list[str] | None


def _from_torch(x: Any) -> np.ndarray:
    return x.detach().cpu().numpy()


def as_labelled_matrix(data: Any, name: str = "values") -> LabelledMatrix:
    """Accept numpy, pandas DataFrame, torch tensor, shap.Explanation or nested sequences.

    Raises ``TypeError`` for non-numeric data and ``ValueError`` for anything that is not a
    non-empty 2-D matrix, naming ``name`` and the shape received.
    """
    row_labels = col_labels = None
    module = type(data).__module__
    if module.startswith("shap") and hasattr(data, "values") and hasattr(data, "feature_names"):
        names = data.feature_names
        col_labels = [str(n) for n in names] if names is not None else None
        array = np.asarray(data.values)
        if array.ndim == 3:
            raise ValueError(
                f"{name}: this shap.Explanation has several outputs (values shape {array.shape}); "
                "select one first, e.g. explanation[:, :, 1]"
            )
    elif module.startswith("pandas") and hasattr(data, "columns") and hasattr(data, "index"):
        # A default 0..n-1 index says nothing the axis does not already show: don't ship it.
        if not _is_default_index(data.index):
            row_labels = [str(i) for i in data.index]
        col_labels = [str(c) for c in data.columns]
        array = data.to_numpy()
    elif module.startswith("torch"):
        array = _from_torch(data)
    else:
        array = np.asarray(data)
    return LabelledMatrix(_validated(array, name), row_labels, col_labels)


def _is_default_index(index: Any) -> bool:
    start, step = getattr(index, "start", None), getattr(index, "step", None)
    return type(index).__name__ == "RangeIndex" and start == 0 and step == 1


def _validated(array: np.ndarray, name: str) -> np.ndarray:
    if array.dtype.kind not in "biuf":
        if array.dtype.kind == "O":
            try:
                array = array.astype(np.float64)
            except (TypeError, ValueError):
                raise TypeError(
                    f"{name} must be numeric; got dtype object whose entries are not numbers"
                ) from None
        else:
            raise TypeError(f"{name} must be numeric (bool, integer or float); got dtype {array.dtype}")
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D (rows x columns); got {array.ndim}-D array of shape {array.shape}")
    if 0 in array.shape:
        raise ValueError(f"{name} is empty: shape {array.shape}; a heatmap needs at least one row and column")
    if array.dtype.kind != "f" or array.dtype.itemsize < 4:
        array = array.astype(np.float32)
    return array


def validated_labels(labels: Any, expected: int, name: str, axis: str) -> list[str] | None:
    """``None`` or a sequence of ``expected`` labels, stringified (labels are shown as text)."""
    if labels is None:
        return None
    if isinstance(labels, str):
        raise TypeError(f"{name} must be a sequence of labels, not a single string")
    out = [str(label) for label in labels]
    if len(out) != expected:
        raise ValueError(f"{name} has {len(out)} entries but the matrix has {expected} {axis}")
    return out
