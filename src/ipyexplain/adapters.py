"""Whatever the user calls a model and data -> a batched predict function with known output names.

Backends never look at model types: they take a :class:`Predictor` (``predictor(rows) -> outputs``)
and a :class:`Table` (rows the model accepts, plus feature names). Accepted models:

- scikit-learn estimators and pipelines, and the scikit-learn API of XGBoost and LightGBM:
  regressors through ``predict``, classifiers through ``predict_proba`` (one column per class);
- PyTorch modules: batched, under ``torch.no_grad()``, in eval mode (restored afterwards), on the
  module's device and dtype;
- any callable ``f(X) -> array`` (a REST client, a lambda, a function of a DataFrame).

Accepted data: numpy arrays, pandas DataFrames (kept as frames, so a pipeline still sees its column
names and categorical or string columns), torch tensors.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

ACCEPTED_MODELS = (
    "a scikit-learn estimator or Pipeline (regressor or classifier), an XGBoost or LightGBM "
    "scikit-learn-API model, a torch.nn.Module, or a callable f(X) -> array"
)


class PredictError(RuntimeError):
    """The model raised while predicting; the message says on what and why."""


# ---------------------------------------------------------------------------------------- data
@dataclass(frozen=True)
class Table:
    """Rows in the form the model takes (ndarray or DataFrame) and their feature names."""

    rows: Any
    feature_names: list[str]

    @property
    def n_rows(self) -> int:
        return int(self.rows.shape[0])

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    @property
    def is_frame(self) -> bool:
        return hasattr(self.rows, "iloc")

    def take(self, index: Any) -> Any:
        """Rows at ``index`` (an int array or slice), same kind as :attr:`rows`."""
        return self.rows.iloc[index] if self.is_frame else self.rows[index]

    def column(self, j: int) -> np.ndarray:
        return self.rows.iloc[:, j].to_numpy() if self.is_frame else self.rows[:, j]

    def numeric(self) -> np.ndarray:
        """The rows as a float64 matrix; ``TypeError`` naming the non-numeric columns otherwise."""
        if self.is_frame:
            kinds = zip(self.rows.columns, self.rows.dtypes, strict=True)
            bad = [str(c) for c, kind in kinds if getattr(kind, "kind", "O") not in "biuf"]
            if bad:
                raise TypeError(f"these columns are not numeric: {', '.join(bad)}; this method needs numbers")
            return self.rows.to_numpy(dtype=np.float64)
        if self.rows.dtype.kind not in "biuf":
            raise TypeError(f"X has dtype {self.rows.dtype}; this method needs numbers")
        return np.asarray(self.rows, dtype=np.float64)

    def nan_columns(self) -> list[str]:
        """Names of the columns holding a NaN (used to explain a model's failure)."""
        found = []
        for j, name in enumerate(self.feature_names):
            col = self.column(j)
            floats = col.dtype.kind == "f" and bool(np.isnan(col).any())
            objects = col.dtype.kind == "O" and any(isinstance(v, float) and v != v for v in col)
            if floats or objects:
                found.append(name)
        return found


def _to_numpy(X: Any) -> Any:
    module = type(X).__module__
    if module.startswith("torch"):
        return X.detach().cpu().numpy()
    if module.startswith("pandas") and hasattr(X, "iloc"):
        return X
    return np.asarray(X)


def as_table(X: Any, feature_names: Sequence[str] | None = None, *, name: str = "X") -> Table:
    """Validate ``X`` (2-D, non-empty) and give it feature names (its columns', or ``feature_names``)."""
    if X is None:
        raise TypeError(f"{name} is None; pass a numpy array, pandas DataFrame or torch tensor")
    rows = _to_numpy(X)
    if hasattr(rows, "iloc"):
        if rows.ndim != 2:
            raise ValueError(f"{name} must be a 2-D table; got a {rows.ndim}-D {type(X).__name__}")
        own_names = [str(c) for c in rows.columns]
    else:
        if rows.ndim == 1:
            raise ValueError(f"{name} is 1-D with shape {rows.shape}; pass a 2-D array (rows x features), "
                             "e.g. X.reshape(1, -1) for one row")
        if rows.ndim != 2:
            raise ValueError(f"{name} must be 2-D (rows x features); got shape {rows.shape}")
        own_names = [f"x{j}" for j in range(rows.shape[1])]
    if rows.shape[0] == 0 or rows.shape[1] == 0:
        raise ValueError(f"{name} is empty: shape {tuple(rows.shape)}")
    if feature_names is not None:
        names = [str(n) for n in feature_names]
        if len(names) != rows.shape[1]:
            raise ValueError(f"feature_names has {len(names)} names but {name} has {rows.shape[1]} columns")
        own_names = names
    return Table(rows, own_names)


def as_targets(y: Any, n_rows: int, *, name: str = "y") -> np.ndarray:
    """``y`` as a 1-D array with one entry per row of X."""
    if y is None:
        raise TypeError(f"{name} is required (one target per row of X)")
    values = _to_numpy(y)
    values = values.to_numpy() if hasattr(values, "to_numpy") else np.asarray(values)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got shape {values.shape}")
    if len(values) != n_rows:
        raise ValueError(f"{name} has {len(values)} entries but X has {n_rows} rows")
    return values


# ---------------------------------------------------------------------------------------- models
@dataclass
class Predictor:
    """A model as a function of rows: ``predictor.outputs(rows)`` is (n, n_outputs) float64.

    ``output`` picks the column that ``predictor(rows)`` returns (1-D); ``None`` returns them all.
    """

    predict_all: Callable[[Any], np.ndarray]
    output_names: list[str]
    kind: str  # "regressor", "classifier", "torch", "callable"
    model: Any
    output: int | None = None
    batch_size: int | None = None
    classes: list[Any] = field(default_factory=list)

    def outputs(self, rows: Any) -> np.ndarray:
        n = int(rows.shape[0])
        if not self.batch_size or n <= self.batch_size:
            return self._checked(self.predict_all(rows), n)
        take = (lambda s: rows.iloc[s]) if hasattr(rows, "iloc") else (lambda s: rows[s])
        parts = [self._checked(self.predict_all(take(slice(i, i + self.batch_size))), min(self.batch_size, n - i))
                 for i in range(0, n, self.batch_size)]
        return np.concatenate(parts, axis=0)

    def __call__(self, rows: Any) -> np.ndarray:
        out = self.outputs(rows)
        if self.output is None:
            return out[:, 0] if out.shape[1] == 1 else out  # a single output comes back 1-D
        return out[:, self.output]

    @property
    def output_name(self) -> str | None:
        return None if self.output is None else self.output_names[self.output]

    def select(self, output: Any) -> Predictor:
        """The same model explaining one output, named by class label, output name or index."""
        return Predictor(self.predict_all, self.output_names, self.kind, self.model,
                         _output_index(output, self.output_names, self.classes), self.batch_size, self.classes)

    def _checked(self, raw: Any, n: int) -> np.ndarray:
        out = np.asarray(_to_numpy(raw), dtype=np.float64)
        if out.ndim not in (1, 2) or out.shape[0] != n:
            raise PredictError(f"the model returned shape {out.shape} for {n} rows; expected ({n},) or ({n}, outputs)")
        if out.ndim == 1:
            out = out[:, None]
        return out


def _output_index(output: Any, names: list[str], classes: list[Any]) -> int | None:
    if output is None:
        return None
    for labels in (classes, names):
        matches = [i for i, c in enumerate(labels) if c is not None and _same(c, output)]
        if matches:
            return matches[0]
    if isinstance(output, (int, np.integer)) and not isinstance(output, bool) and -len(names) <= output < len(names):
        return int(output) % len(names)
    raise ValueError(f"output {output!r} is not one of the model's outputs: {names}")


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # incomparable labels simply don't match
        return False


def _sklearn_like(model: Any) -> bool:
    return hasattr(model, "predict") and (hasattr(model, "get_params") or hasattr(model, "fit"))


def _is_torch_module(model: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(model, torch.nn.Module)


def as_predictor(model: Any, *, output: Any = None, batch_size: int | None = None) -> Predictor:
    """Wrap ``model`` (see the module docstring) into a :class:`Predictor`.

    ``output`` chooses what ``predictor(rows)`` returns: a class label / index for classifiers
    (default: the positive class of a binary classifier, all classes otherwise), an output
    index for multi-output models. ``TypeError`` lists the accepted model types otherwise.
    """
    if isinstance(model, Predictor):
        return model if output is None else model.select(output)
    if _is_torch_module(model):
        predictor = _torch_predictor(model, batch_size or 4096)
    elif _sklearn_like(model):
        predictor = _sklearn_predictor(model, batch_size)
    elif callable(model):
        predictor = Predictor(model, [], "callable", model, batch_size=batch_size)
    else:
        kind = f"{type(model).__module__}.{type(model).__name__}"
        raise TypeError(f"cannot explain a {kind}; accepted: {ACCEPTED_MODELS}")
    if output is not None:
        return predictor.select(output)
    if predictor.kind == "classifier" and len(predictor.classes) == 2:
        predictor.output = 1  # the positive class (by position, whatever its label), as scikit-learn's binary metrics
    return predictor


def _sklearn_predictor(model: Any, batch_size: int | None) -> Predictor:
    from sklearn.base import is_classifier
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(model)
    except NotFittedError as exc:
        raise ValueError(f"the {type(model).__name__} is not fitted yet; call .fit(X, y) first") from exc
    except TypeError:
        pass  # not a scikit-learn estimator after all; its predict will tell
    if is_classifier(model) and hasattr(model, "predict_proba"):
        classes = list(getattr(model, "classes_", []))
        return Predictor(model.predict_proba, [str(c) for c in classes], "classifier", model,
                         batch_size=batch_size, classes=classes)
    return Predictor(model.predict, [], "regressor", model, batch_size=batch_size)


def _torch_predictor(module: Any, batch_size: int) -> Predictor:
    import torch

    def predict(rows: Any) -> np.ndarray:
        first = next(module.parameters(), None)
        device = first.device if first is not None else torch.device("cpu")
        dtype = first.dtype if first is not None and first.is_floating_point() else torch.float32
        array = rows.to_numpy(dtype=np.float64) if hasattr(rows, "iloc") else np.asarray(rows)
        tensor = torch.as_tensor(array, device=device)
        if tensor.is_floating_point():
            tensor = tensor.to(dtype)
        was_training = module.training
        module.eval()  # dropout off, batch-norm running statistics: deterministic predictions
        try:
            with torch.no_grad():
                out = module(tensor)
        finally:
            module.train(was_training)
        if isinstance(out, (tuple, list)):
            out = out[0]
        return out.detach().float().cpu().numpy()

    return Predictor(predict, [], "torch", module, batch_size=batch_size)


def predict_checked(predictor: Predictor, table: Table, rows: Any | None = None) -> np.ndarray:
    """``predictor(rows)`` with a failure turned into a :class:`PredictError` naming the cause."""
    rows = table.rows if rows is None else rows
    try:
        out = predictor(rows)
    except PredictError:
        raise
    except Exception as exc:
        what = f"{type(predictor.model).__name__} failed to predict on {int(rows.shape[0])} rows"
        nan_cols = table.nan_columns()
        if nan_cols:  # the usual cause: say it first, the model's own words after
            listed = ", ".join(nan_cols[:5]) + (" …" if len(nan_cols) > 5 else "")
            what += f": X has NaN in {listed}, which this model may not accept (impute or drop them)"
        raise PredictError(f"{what}. The model said: {exc}") from exc
    if not predictor.output_names:
        k = 1 if out.ndim == 1 else out.shape[1]
        predictor.output_names = ["output"] if k == 1 else [f"output {i}" for i in range(k)]
    return out
