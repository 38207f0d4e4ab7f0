"""Distributions of a model's parameters, activations and outputs, and their history over training steps.

- Parameters: each module's own tensors (``weight``, ``bias``, ...), one distribution per tensor.
- Activations: the output of every leaf module (or the ``layers`` asked for) on one batch, captured
  with forward hooks (in eval mode, under ``torch.no_grad()``).
- Outputs: predicted probabilities per class (softmax of logits when the outputs are not
  probabilities) or, with regression targets, the residuals.

- Activation functions called inside ``forward`` (``F.relu(x)``, ``torch.sigmoid``, ``x.tanh()``, ``F.gelu``),
  named after the layer they were applied to (``fc1 → relu``; see :mod:`._act_calls`).

Callouts: a *dead unit* is a unit (a feature of a ``Linear`` output, a channel of a convolution, the
last axis of a sequence model's output) of a ReLU-family activation (ReLU, ReLU6, leaky ReLU, ELU, SELU,
CELU, GELU, SiLU, Mish, Hardswish; module or function) that is never positive on the batch; a value
is *saturated* where a bounded activation is within 1% of its bound (sigmoid/hardsigmoid < 0.01 or
> 0.99, tanh/hardtanh/softsign |a| > 0.99, ReLU6 >= 6), where its gradient all but vanishes; a unit
saturated on every row of the batch is counted as a *saturated unit*.

History (TensorBoard's histogram dashboard as a steps x bins heatmap): each :meth:`History.add` keeps
one histogram on its own bins; :meth:`History.matrix` re-bins them all onto one common grid over the
overall range (linear interpolation of each cumulative histogram), so memory stays bins x steps and
the grid can widen as values spread during training.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_ROWS = 512


@dataclass(frozen=True)
class Summary:
    """Distribution of one tensor: moments, range and a histogram over [min, max]."""

    name: str
    kind: str  # "weight", "bias", "parameter", "activation", "output", "residual"
    module: str  # the module class (Linear, ReLU ...)
    count: int
    mean: float
    std: float
    min: float
    max: float
    near_zero: float  # share of values with |v| < 1e-3
    nonfinite: int
    counts: np.ndarray
    edges: np.ndarray
    dead_units: int | None = None  # ReLU-family activations: units never positive on the batch
    units: int | None = None
    saturated: float | None = None  # bounded activations: share of values within 1% of a bound
    saturated_units: int | None = None  # bounded activations: units saturated on every row of the batch

    def callouts(self) -> list[str]:
        notes = []
        if self.dead_units:
            notes.append(f"{self.name} ({self.module}): {self.dead_units} of {self.units} units dead "
                         f"({100 * self.dead_units / max(self.units or 1, 1):.0f}%, never positive on this batch)")
        if self.saturated is not None and self.saturated >= 0.05:
            stuck = (f", {self.saturated_units} of {self.units} units on every row" if self.saturated_units
                     else "")
            notes.append(f"{self.name} ({self.module}): {100 * self.saturated:.0f}% of values saturated (within 1% of "
                         f"the bounds, where gradients vanish{stuck})")
        if self.nonfinite:
            notes.append(f"{self.name}: {self.nonfinite:,} NaN/inf values")
        return notes


def summarize(values: Any, name: str, kind: str, module: str = "", bins: int = 60,
              value_range: tuple[float, float] | None = None) -> Summary:
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    finite = np.isfinite(v)
    f = v[finite] if not finite.all() else v
    if f.size == 0:
        return Summary(name, kind, module, int(v.size), float("nan"), float("nan"), float("nan"), float("nan"),
                       0.0, int(v.size), np.zeros(bins, dtype=np.int64), np.linspace(0, 1, bins + 1))
    lo, hi = value_range or (float(f.min()), float(f.max()))
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(f, bins=bins, range=(lo, hi))
    return Summary(name, kind, module, int(v.size), float(f.mean()), float(f.std()), float(f.min()), float(f.max()),
                   float(np.mean(np.abs(f) < 1e-3)), int(v.size - f.size), counts, edges)


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - optional extra
        raise ImportError("parameter and activation distributions need PyTorch: pip install 'ipyexplain[torch]'") \
            from exc
    return torch


def parameters(model: Any, bins: int = 60) -> dict[str, Summary]:
    """One summary per parameter tensor, named ``<module path>.<tensor>`` (``fc1.weight``)."""
    out = {}
    for module_name, module in model.named_modules():
        for pname, p in module.named_parameters(recurse=False):
            name = f"{module_name}.{pname}" if module_name else pname
            kind = pname if pname in ("weight", "bias") else "parameter"
            out[name] = summarize(p.detach().float().cpu().numpy(), name, kind, type(module).__name__, bins)
    return out


def leaf_modules(model: Any) -> list[str]:
    return [n for n, m in model.named_modules() if n and not list(m.children())]


def activations(model: Any, x: Any, layers: list[str] | None = None, bins: int = 60) -> dict[str, Summary]:
    """Summaries of the outputs of ``layers`` (default: every leaf module, and every activation function called
    inside ``forward``) on the batch ``x``, in the order they ran."""
    torch = _torch()
    from ._act_calls import ActivationCalls, copy_of

    modules = dict(model.named_modules())
    names = layers if layers is not None else leaf_modules(model)
    unknown = [n for n in names if n not in modules]
    if unknown:
        raise ValueError(f"no layer named {', '.join(map(repr, unknown))}; the layers are: "
                         f"{', '.join(leaf_modules(model))}")
    captured: dict[str, tuple[str, Any]] = {}  # name -> (module class or function name, output copy)
    handles = []
    for name in names:
        def hook(module: Any, inputs: Any, output: Any, key: str = name) -> None:
            out = output[0] if isinstance(output, tuple | list) else output
            if isinstance(out, torch.Tensor) and out.is_floating_point():
                captured[key] = (type(module).__name__, copy_of(out))
        handles.append(modules[name].register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), ActivationCalls(model, captured if layers is None else {}):
            model(x)
    except Exception as exc:
        raise ValueError(f"the {type(model).__name__} failed on X of shape {tuple(x.shape)} "
                         f"({x.dtype}); pass a batch the model accepts. The model said: {exc}") from exc
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return {name: _activation_summary(name, kind, act, bins) for name, (kind, act) in captured.items()}


def _activation_summary(name: str, kind: str, act: Any, bins: int) -> Summary:
    """Histogram and moments of one activation, with dead units / saturation for the families that have them."""
    from ._act_calls import family

    s = summarize(act.numpy(), name, "activation", kind, bins)
    group = family(kind)
    dead = units = saturated_units = None
    saturated = None
    if group in ("relu", "relu6") and act.ndim >= 2:
        positive = _per_unit(act > 0, any_row=True)
        units, dead = int(positive.numel()), int((~positive).sum())
    mask = None
    if group == "sigmoid":
        mask = (act < 0.01) | (act > 0.99)
    elif group == "tanh":
        mask = act.abs() > 0.99
    elif group == "relu6":
        mask = act >= 6.0
    if mask is not None:
        saturated = float(mask.float().mean())
        if act.ndim >= 2:
            always = _per_unit(mask, any_row=False)
            units, saturated_units = int(always.numel()), int(always.sum())
    return Summary(**{**s.__dict__, "dead_units": dead, "units": units, "saturated": saturated,
                      "saturated_units": saturated_units})


def _per_unit(mask: Any, *, any_row: bool) -> Any:
    """Per unit, whether ``mask`` holds on any row (or on every row): features of (rows, features), channels of
    (rows, C, H, W), the last axis of (rows, tokens, features)."""
    if mask.ndim == 2:
        flat = mask
    elif mask.ndim == 3:
        flat = mask.reshape(-1, mask.shape[-1])
    else:
        flat = mask.transpose(0, 1).reshape(mask.shape[1], -1).T
    return flat.any(dim=0) if any_row else flat.all(dim=0)


class History:
    """Histograms of one tensor over training steps, re-binned onto a common grid on demand."""

    def __init__(self, max_steps: int = 200) -> None:
        self.steps: list[float] = []
        self._hists: list[tuple[np.ndarray, np.ndarray]] = []
        self.max_steps = max_steps

    def add(self, step: float, summary: Summary) -> None:
        if self.steps and step <= self.steps[-1]:
            raise ValueError(f"step {step:g} is not after the last recorded step {self.steps[-1]:g}")
        self.steps.append(float(step))
        self._hists.append((summary.counts.astype(np.float64), summary.edges))
        if len(self.steps) > self.max_steps:  # keep every other snapshot of the older half: bounded, spread out
            half = len(self.steps) // 2
            keep = list(range(0, half, 2)) + list(range(half, len(self.steps)))
            self.steps = [self.steps[i] for i in keep]
            self._hists = [self._hists[i] for i in keep]

    def matrix(self, bins: int = 60) -> tuple[np.ndarray, np.ndarray]:
        """(steps x bins share of values per bin, common bin edges)."""
        if not self._hists:
            return np.zeros((0, bins)), np.linspace(0, 1, bins + 1)
        lo = min(float(e[0]) for _, e in self._hists)
        hi = max(float(e[-1]) for _, e in self._hists)
        grid = np.linspace(lo, hi, bins + 1)
        rows = []
        for counts, edges in self._hists:
            cdf = np.r_[0.0, np.cumsum(counts)]
            total = cdf[-1] or 1.0
            rows.append(np.diff(np.interp(grid, edges, cdf)) / total)
        return np.vstack(rows), grid
