"""Watch a torch model while it trains: per-layer gradient and weight norms over steps (layers x steps
Heatmaps), optionally colouring a NetworkDiagram's nodes by the latest norms.

A *layer* is a module with parameters of its own (``Linear``, ``Conv2d``, a ``LayerNorm``...); its
norm is the L2 norm over all of its own parameters. Gradient norms are read by
``register_post_accumulate_grad_hook`` as ``backward()`` fills ``.grad``, so they are there whatever
the loop does with ``.grad`` afterwards (``zero_grad(set_to_none=True)``); weight norms are read when
``log()`` records a column. Columns are recorded every ``every`` logged steps; past ``max_columns``
neighbouring columns are averaged pairwise (the heatmap says how many steps a column spans).
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import ipywidgets as w
import numpy as np

from ..views import charts as c
from ..views.heatmap import Heatmap

_DRAW_INTERVAL = 0.5  # seconds between heatmap redraws


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is an optional extra
        raise ImportError("watching a model needs PyTorch: pip install 'ipyexplain[torch]'") from exc
    return torch


class LayerWatch:
    """Per-layer gradient/weight norms of a torch model, recorded at ``TrainingMonitor.log()`` calls."""

    def __init__(self, model: Any, *, optimizer: Any = None, every: int = 1, max_columns: int = 400,
                 diagram: Any = None) -> None:
        torch = _torch()
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"watch() needs a torch.nn.Module; got {type(model).__name__}")
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive integer (record every n-th logged step); got {every!r}")
        if max_columns < 16:
            raise ValueError(f"max_columns must be at least 16; got {max_columns}")
        if optimizer is not None and not hasattr(optimizer, "param_groups"):
            raise TypeError(f"optimizer must be a torch optimizer (with param_groups); got {type(optimizer).__name__}")
        self.model, self.optimizer, self.every, self.max_columns = model, optimizer, every, max_columns
        self.diagram = diagram
        self.layers: list[str] = []
        self._params: list[list[Any]] = []
        for name, module in model.named_modules():
            own = [p for p in module.parameters(recurse=False)]
            if own:
                self.layers.append(name or type(model).__name__)
                self._params.append(own)
        if not self.layers:
            raise ValueError(f"the {type(model).__name__} has no parameters to watch")
        self._grad_sq: dict[int, Any] = {}  # id(param) -> latest squared grad norm (a 0-d tensor, no sync)
        self._handles = []
        for params in self._params:
            for p in params:
                if p.requires_grad:
                    self._handles.append(p.register_post_accumulate_grad_hook(self._on_grad))
        self._lock = threading.Lock()
        self.steps: list[tuple[float, float]] = []  # (first, last) step of each column
        self._grad_cols: list[np.ndarray] = []
        self._weight_cols: list[np.ndarray] = []
        self._span = 1  # logged records averaged into one column
        self._pending: list[tuple[float, np.ndarray, np.ndarray]] = []
        self._n_logs = 0
        self._last_step: float | None = None
        self._dirty = False
        self._last_draw = float("-inf")
        self.grad_map: Heatmap | None = None
        self.weight_map: Heatmap | None = None
        self.note = c.text_label("layer norms: waiting for the first logged step after backward()",
                                 cls="ipx-watch-note")
        self._box = w.HBox([], layout=w.Layout(flex_flow="row wrap", grid_gap="0 16px"))

    # ------------------------------------------------------------------ hooks (autograd's thread)
    def _on_grad(self, param: Any) -> None:
        grad = param.grad
        if grad is not None:
            self._grad_sq[id(param)] = grad.detach().float().pow(2).sum()

    # ------------------------------------------------------------------ called by TrainingMonitor.log
    def learning_rates(self) -> dict[str, float]:
        if self.optimizer is None:
            return {}
        groups = self.optimizer.param_groups
        if len(groups) == 1:
            return {"lr": float(groups[0]["lr"])}
        return {f"lr/group{i}": float(g["lr"]) for i, g in enumerate(groups)}

    def on_log(self, step: float, monitor: Any = None) -> None:
        if step == self._last_step:
            return  # several log() calls for one step record one column
        self._last_step = step
        self._n_logs += 1
        if (self._n_logs - 1) % self.every:
            return
        torch = _torch()
        with torch.no_grad():
            zero = torch.zeros(())
            grads, weights = [], []
            for params in self._params:
                sq = [self._grad_sq.pop(id(p)) for p in params if id(p) in self._grad_sq]
                grads.append(torch.stack([s.cpu() for s in sq]).sum() if sq else zero + float("nan"))
                weights.append(torch.stack([p.detach().float().pow(2).sum().cpu() for p in params]).sum())
            grad = torch.stack(grads).sqrt().double().numpy()
            weight = torch.stack(weights).sqrt().double().numpy()
        with self._lock:
            self._pending.append((step, grad, weight))
            if len(self._pending) == self._span:
                self._push_column()
            self._dirty = True

    def _push_column(self) -> None:
        steps = [s for s, _, _ in self._pending]
        self._grad_cols.append(np.nanmean(np.stack([g for _, g, _ in self._pending]), axis=0)
                               if not np.all(np.isnan([g for _, g, _ in self._pending])) else self._pending[0][1])
        self._weight_cols.append(np.mean(np.stack([v for _, _, v in self._pending]), axis=0))
        self.steps.append((steps[0], steps[-1]))
        self._pending = []
        if len(self.steps) > self.max_columns:  # bounded: merge neighbouring columns
            n = len(self.steps) // 2 * 2
            with np.errstate(all="ignore"):
                self._grad_cols = [np.nanmean(np.stack(self._grad_cols[i:i + 2]), axis=0) for i in range(0, n, 2)] \
                    + self._grad_cols[n:]
            self._weight_cols = [np.mean(np.stack(self._weight_cols[i:i + 2]), axis=0) for i in range(0, n, 2)] \
                + self._weight_cols[n:]
            self.steps = [(self.steps[i][0], self.steps[i + 1][1]) for i in range(0, n, 2)] + self.steps[n:]
            self._span *= 2

    # ------------------------------------------------------------------ drawing (the monitor's draw thread)
    def matrices(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """(gradient norms, weight norms) as layers x columns, and the columns' step labels."""
        with self._lock:
            grad = np.stack(self._grad_cols, axis=1) if self._grad_cols else np.zeros((len(self.layers), 0))
            weight = np.stack(self._weight_cols, axis=1) if self._weight_cols else np.zeros((len(self.layers), 0))
            labels = [c.fmt(a) if a == b else f"{c.fmt(a)}–{c.fmt(b)}" for a, b in self.steps]
        return grad, weight, labels

    def draw(self, force: bool = False) -> None:
        if not self._dirty or (not force and time.monotonic() - self._last_draw < _DRAW_INTERVAL):
            return
        self._dirty = False
        self._last_draw = time.monotonic()
        grad, weight, labels = self.matrices()
        if grad.shape[1] == 0:
            return
        with np.errstate(divide="ignore"):
            lg = np.where(grad > 0, np.log10(grad), np.nan)
            lw = np.where(weight > 0, np.log10(weight), np.nan)
        if self.grad_map is None:
            self.grad_map = Heatmap(lg, row_labels=self.layers, col_labels=labels, cmap="magma", height=_height(self),
                                    title="Gradient norm · rows: layers, columns: logged steps",
                                    value_label="log10 ‖grad‖")
            self.weight_map = Heatmap(lw, row_labels=self.layers, col_labels=labels, cmap="viridis",
                                      height=_height(self), title="Weight norm · rows: layers, columns: logged steps",
                                      value_label="log10 ‖weight‖")
            for hm in (self.grad_map, self.weight_map):
                hm.layout = w.Layout(width="560px")
            self._box.children = [self.grad_map, self.weight_map]
        else:
            self.grad_map.update(lg, col_labels=labels)
            assert self.weight_map is not None
            self.weight_map.update(lw, col_labels=labels)
        latest = grad[:, -1]
        dead = [n for n, g in zip(self.layers, latest, strict=True) if g == 0]
        missing = [n for n, g in zip(self.layers, latest, strict=True) if math.isnan(g)]
        parts = [f"{len(self.layers)} layers · {grad.shape[1]} columns"
                 + (f" of {self._span} logged steps each" if self._span > 1 else "")]
        if dead:
            parts.append(f"zero gradient now: {', '.join(dead[:5])}{' …' if len(dead) > 5 else ''}")
        if missing:
            parts.append(f"no gradient now (frozen or unused): {', '.join(missing[:5])}"
                         f"{' …' if len(missing) > 5 else ''}")
        self.note.value = " · ".join(parts)
        if self.diagram is not None:
            self.diagram.update(overlay={n: float(g) for n, g in zip(self.layers, latest, strict=True)
                                         if np.isfinite(g)},
                                overlay_label="gradient norm", overlay_scale="log")

    def widgets(self) -> list[w.Widget]:
        return [self.note, self._box]

    def remove(self) -> None:
        """Detach the gradient hooks (the recorded norms stay)."""
        for handle in self._handles:
            handle.remove()
        self._handles = []


def _height(watch: LayerWatch) -> int:
    return int(min(520, max(200, 22 * len(watch.layers) + 120)))
