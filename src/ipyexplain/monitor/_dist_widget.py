"""``distributions(model, X)``: the distributions view bound to a model and a batch, with ``record(step)``."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from ..adapters import _to_numpy, as_predictor, as_table, predict_checked
from ..evaluation._inputs import keywords_checked
from ..views._chart_distributions import DistributionsView
from .distributions import MAX_ROWS, Summary, activations, leaf_modules, parameters, summarize


def _is_torch(model: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(model, torch.nn.Module)


def _batch(model: Any, X: Any) -> Any:
    import torch

    if isinstance(X, torch.Tensor):
        x = X.detach()
    else:
        array = _to_numpy(X)
        array = array.to_numpy() if hasattr(array, "to_numpy") else np.asarray(array)
        x = torch.as_tensor(array)
        if x.is_floating_point():
            first = next(model.parameters(), None)
            x = x.to(first.dtype if first is not None and first.is_floating_point() else torch.float32)
    if x.ndim == 0 or x.shape[0] == 0:
        raise ValueError(f"X must be a batch of rows (shape (rows, ...)); got shape {tuple(x.shape)}")
    return x[:MAX_ROWS]


def output_summaries(model: Any, X: Any, y: Any, *, logits: bool | None, bins: int) -> dict[str, Summary]:
    """Predicted probability per class (softmax of logits if needed), or predictions and residuals."""
    names: list[str] = []
    if _is_torch(model):
        import torch

        batch = _batch(model, X)
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                raw = model(batch)
        finally:
            model.train(was_training)
        raw = raw[0] if isinstance(raw, tuple | list) else raw
        out = raw.detach().double().cpu().numpy().reshape(raw.shape[0], -1)
        if y is not None:
            y = np.asarray(_to_numpy(y))
            rows = len(X)
            if y.shape[0] != rows:
                raise ValueError(f"y has {y.shape[0]} entries but X has {rows} rows")
            y = y[: out.shape[0]]  # the rows the outputs were computed on (at most MAX_ROWS)
    else:
        predictor = as_predictor(model)
        predictor.output = None
        out = np.asarray(predict_checked(predictor, as_table(X)), dtype=np.float64)
        names = list(predictor.output_names or [])
    summaries: dict[str, Summary] = {}
    if out.ndim == 2 and out.shape[1] > 1:
        outside = out.min() < 0 or out.max() > 1
        if logits or (logits is None and outside):
            shifted = np.exp(out - out.max(axis=1, keepdims=True))
            out = shifted / shifted.sum(axis=1, keepdims=True)
        for j in range(out.shape[1]):
            label = names[j] if j < len(names) else f"class {j}"
            summaries[f"P({label})"] = summarize(out[:, j], f"P({label})", "output", "probability", bins, (0.0, 1.0))
        return summaries
    pred = out.reshape(-1)
    if logits:
        pred = 1.0 / (1.0 + np.exp(-pred))
    summaries["prediction"] = summarize(pred, "prediction", "output", "", bins)
    if y is not None:
        target = np.asarray(_to_numpy(y), dtype=np.float64).reshape(-1)
        if target.shape[0] != pred.shape[0]:
            raise ValueError(f"y has {target.shape[0]} entries but X has {pred.shape[0]} rows")
        summaries["residual"] = summarize(target - pred, "residual (y - prediction)", "residual", "", bins)
    return summaries


class Distributions(DistributionsView):
    """Parameter, activation and output distributions of ``model`` on a batch; :meth:`record` during training."""

    def __init__(self, model: Any, X: Any = None, y: Any = None, *, layers: list[str] | None = None, bins: int = 60,
                 logits: bool | None = None, title: str = "") -> None:
        if not isinstance(bins, int) or bins < 2:
            raise ValueError(f"bins must be an integer >= 2; got {bins!r}")
        self.model, self.X, self.y, self.layers, self.logits = model, X, y, layers, logits
        self._bins = bins
        if not _is_torch(model) and X is None:
            raise TypeError("distributions() needs a torch.nn.Module (parameters, activations) or a model and X "
                            "(output distributions)")
        if layers is not None and _is_torch(model):
            unknown = [n for n in layers if n not in dict(model.named_modules())]
            if unknown:
                raise ValueError(f"no layer named {', '.join(map(repr, unknown))}; the layers are: "
                                 f"{', '.join(leaf_modules(model))}")
        super().__init__(self.compute(), title=title, bins=bins)

    def compute(self) -> dict[str, dict[str, Summary]]:
        out: dict[str, dict[str, Summary]] = {}
        if _is_torch(self.model):
            out["parameters"] = parameters(self.model, self._bins)
            if self.X is not None:
                out["activations"] = activations(self.model, _batch(self.model, self.X), self.layers, self._bins)
        if self.X is not None:
            out["outputs"] = output_summaries(self.model, self.X, self.y, logits=self.logits, bins=self._bins)
        return out

    def refresh(self) -> None:
        """Recompute every distribution now (e.g. after more training) and redraw."""
        self.update(self.compute())

    def record(self, step: float) -> None:
        """Recompute and keep this step's parameter, activation and output histograms for the steps x bins
        heatmap."""
        self.refresh()
        self.add_history(step)


@keywords_checked
def distributions(model: Any, X: Any = None, y: Any = None, *, layers: list[str] | None = None, bins: int = 60,
                  logits: bool | None = None, title: str = "") -> Distributions:
    """Distributions of a model's parameters, activations (forward hooks on the batch ``X``, at most 512 rows)
    and outputs (probabilities per class; with regression targets ``y``, residuals), with a layer picker,
    dead-unit and saturation callouts, and, after ``record(step)`` calls during training, each one's
    history as a steps x bins heatmap.

    ``model`` is a torch module (everything) or any model :func:`ipyexplain.evaluate` accepts (outputs
    only). ``layers`` limits the activations to those module names; ``logits`` says whether outputs are
    logits (default: when several columns fall outside [0, 1]).
    """
    return Distributions(model, X, y, layers=layers, bins=bins, logits=logits, title=title)
