"""Which output of the model the SHAP backend explains, in which units, and shap's returns cut down to it.

shap returns values of shape (rows, features[, outputs]) and base values in several shapes (one
expected value, one per output, one per row), depending on the explainer. The engines
(:mod:`._shap_setup`) hand them to an :class:`OutputPick`, which keeps the one output explained and
names it with its units (``"1 (log-odds)"``); :func:`tree_units` says what a TreeExplainer's values
are in, which depends on the model and on ``model_output``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..adapters import Predictor


def index_of(output: Any, names: list[str], *, what: str) -> int:
    for i, name in enumerate(names):
        if name == str(output):
            return i
    if isinstance(output, (int, np.integer)) and not isinstance(output, bool) and -len(names) <= output < len(names):
        return int(output) % len(names)
    raise ValueError(f"output={output!r} is not one of {what}: {names}")


@dataclasses.dataclass
class OutputPick:
    """Which column of a multi-output result is explained, and how to name it."""

    target: int | None  # index among the model's outputs (classes)
    names: list[str]  # the model's output names (class labels as strings)
    units: str | None
    binary: bool = False  # a binary classifier: a single margin is the positive class's
    output_spec: Any = None  # an unresolved output= (explainer given without a model)

    @property
    def output_name(self) -> str:
        name = self.names[self.target] if self.target is not None and self.target < len(self.names) else "output"
        return f"{name} ({self.units})" if self.units else name

    def __call__(self, values: Any, base: Any, rows: int, f: int) -> tuple[np.ndarray, np.ndarray]:
        """``values`` (rows, f[, k]) and per-row ``base`` (rows[, k]) -> the chosen output's (rows, f), (rows,)."""
        values = np.asarray(values, dtype=np.float64)
        base = np.asarray(base, dtype=np.float64).reshape(rows, -1)
        if values.ndim == 3:
            k = values.shape[2]
            index = 0 if k == 1 else self._resolve(k)
            values, base = values[:, :, index], base[:, index if base.shape[1] == k else 0]
        else:
            base = base[:, 0]
            if self.binary and self.target == 0:  # one margin for a binary model: the negative class is its negation
                values = -values
                base = 1.0 - base if self.units == "probability" else -base
        if values.shape != (rows, f):
            raise ValueError(f"the explainer returned values of shape {values.shape} for {rows} rows x {f} features")
        return values, base

    def _resolve(self, k: int) -> int:
        if self.target is None:
            if self.output_spec is None:
                raise ValueError(f"the explainer returned {k} outputs; pass output= one of "
                                 f"{self.names or list(range(k))} (an index or name)")
            self.names = self.names or [str(i) for i in range(k)]
            self.target = index_of(self.output_spec, self.names, what="the explainer's outputs")
        if self.target >= k:
            raise ValueError(f"output {self.target} is explained, but the explainer returned {k} outputs")
        return self.target


def per_row(expected: Any, rows: int) -> np.ndarray:
    """An explainer's expected value (scalar, or one per output) repeated for each row."""
    expected = np.asarray(expected, dtype=np.float64).reshape(-1)
    return np.broadcast_to(expected, (rows, expected.size))


def from_explanation(result: Any) -> tuple[Any, Any]:
    if isinstance(result, list):  # several inputs: tabular data has one
        result = result[0]
    return result.values, result.base_values


def tree_units(explainer: Any, predictor: Predictor | None) -> str:
    ensemble = explainer.model
    model_output = getattr(ensemble, "model_output", "raw")
    if model_output == "log_loss":
        return "log-loss"
    if model_output != "raw":
        return "probability"
    tree_output = getattr(ensemble, "tree_output", None)
    if tree_output == "probability":
        return "probability"
    classes = predictor.classes if predictor is not None else []
    if tree_output == "log_odds" or (predictor is not None and predictor.kind == "classifier"):
        return "log-odds" if len(classes) <= 2 else "logit"
    if tree_output == "raw_value" and getattr(ensemble, "objective", None) in (None, "squared_error", "absolute_error"):
        return "prediction"
    return "raw"
