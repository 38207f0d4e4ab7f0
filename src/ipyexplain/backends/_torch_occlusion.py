"""Occlusion, window by window: the same windows and the same average as ``captum.attr.Occlusion``.

A window of shape ``sliding_window_shapes`` slides over each input (all dimensions after the batch)
with ``strides``; Captum's windows start at ``k * stride`` for ``k < ceil((size - window) / stride) + 1``
(the last may stick out and is cut at the edge). Each window is replaced by the baseline, and the
drop in the target's output is added to every cell it covers; a cell's attribution is the mean drop
over the windows that covered it. ``perturbations_per_eval`` windows go through the model per call.

Streamed: after each call the cells covered so far show their mean (those not covered yet are NaN, so
the map fills in window by window).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from ._torch_inputs import Setup
from ._torch_methods import Accum, Targets, _target_out, _write, chunk_baselines, chunk_extra


def _window_spec(setup: Setup, opts: dict[str, Any]) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """(window shape, strides) per input, checked as Captum checks them."""
    given = opts.get("sliding_window_shapes")
    n = len(setup.inputs)
    windows = (tuple(_default_window(tuple(x.shape[1:])) for x in setup.inputs) if given is None
               else _per_input(given, n, "sliding_window_shapes"))
    strides = opts.get("strides")
    if strides is None:  # Captum's default is 1; ours (without a window either) half the default window
        strides = tuple(tuple(max(1, v // 2) for v in w) for w in windows) if given is None else (1,) * n
    else:
        strides = _per_input(strides, n, "strides")
    spec = []
    for x, w, s, name in zip(setup.inputs, windows, strides, setup.names, strict=True):
        shape = tuple(x.shape[1:])
        w = tuple(int(v) for v in (w if isinstance(w, (tuple, list)) else (w,)))
        s = tuple(int(v) for v in s) if isinstance(s, (tuple, list)) else (int(s),) * len(shape)
        if len(w) != len(shape) or len(s) != len(shape):
            raise ValueError(f"{name}: window {w} and strides {s} need one entry per dimension of {shape}")
        if any(a > b for a, b in zip(w, shape, strict=True)) or min(w) < 1:
            raise ValueError(f"{name}: window {w} does not fit in a sample of shape {shape}")
        if any(st > wi and size != wi for st, wi, size in zip(s, w, shape, strict=True)) or min(s) < 1:
            raise ValueError(f"{name}: a stride {s} longer than the window {w} would skip cells")
        spec.append((w, s))
    return spec


def _per_input(value: Any, n: int, name: str) -> tuple[Any, ...]:
    """One entry per input: a tuple of tuples is already that; anything else applies to a single input."""
    nested = isinstance(value, (tuple, list)) and len(value) > 0 and isinstance(value[0], (tuple, list))
    if nested:
        if len(value) != n:
            raise ValueError(f"{name} needs one entry per input ({n}); got {value!r}")
        return tuple(value)
    if n == 1 or isinstance(value, int):
        return (value,) * n
    raise ValueError(f"{name}: with {n} inputs give a tuple of one entry per input; got {value!r}")


def _default_window(shape: tuple[int, ...]) -> tuple[int, ...]:
    """All channels and about an eighth of each spatial side for images; one cell otherwise."""
    if len(shape) == 3:
        return (shape[0], max(1, math.ceil(shape[1] / 8)), max(1, math.ceil(shape[2] / 8)))
    return (1,) * len(shape)


def _starts(shape: tuple[int, ...], window: tuple[int, ...], strides: tuple[int, ...]) -> list[tuple[int, ...]]:
    counts = [math.ceil((size - w) / s) + 1 for size, w, s in zip(shape, window, strides, strict=True)]
    # Captum numbers windows with the first dimension varying fastest.
    ranges = [[k * s for k in range(c)] for c, s in zip(counts, strides, strict=True)]
    return [tuple(reversed(p)) for p in itertools.product(*reversed(ranges))]


def window_count(setup: Setup, opts: dict[str, Any]) -> int:
    spec = _window_spec(setup, opts)
    return sum(len(_starts(tuple(x.shape[1:]), w, s)) for x, (w, s) in zip(setup.inputs, spec, strict=True))


def occlusion(setup: Setup, targets: Targets, acc: Accum, opts: dict[str, Any]) -> Iterator[None]:
    import torch

    spec = _window_spec(setup, opts)
    per_eval = max(1, int(opts.get("perturbations_per_eval", 16)))
    batch = min(setup.n, int(opts.get("batch_size") or setup.n))
    windows = [_starts(tuple(x.shape[1:]), w, s) for x, (w, s) in zip(setup.inputs, spec, strict=True)]
    acc.total, acc.unit = sum(map(len, windows)) * math.ceil(setup.n / batch), "windows"
    for start in range(0, setup.n, batch):
        sl = slice(start, min(setup.n, start + batch))
        xs, extra = tuple(x[sl] for x in setup.inputs), chunk_extra(setup, sl)
        n = sl.stop - sl.start
        target = targets.chunk(sl, xs, extra)
        base = _target_out(setup.forward, xs, extra, target)
        baselines = chunk_baselines(setup, sl)
        sums = [torch.zeros(x.shape, dtype=torch.float32, device=x.device) for x in xs]
        counts = [torch.zeros(x.shape[1:], dtype=torch.float32, device=x.device) for x in xs]
        for i, (x, (w, _)) in enumerate(zip(xs, spec, strict=True)):
            for first in range(0, len(windows[i]), per_eval):
                group = windows[i][first:first + per_eval]
                masks = torch.zeros((len(group), *x.shape[1:]), dtype=torch.bool, device=x.device)
                for g, corner in enumerate(group):
                    index: tuple[Any, ...] = (g, *(slice(c, c + k) for c, k in zip(corner, w, strict=True)))
                    masks[index] = True
                ablated = _ablate(torch, xs, i, masks, baselines[i])
                e = None if extra is None else tuple(
                    a.repeat(len(group), *([1] * (a.dim() - 1))) if isinstance(a, torch.Tensor) and a.dim()
                    and a.shape[0] == n else a for a in extra)
                t = None if target is None else target.repeat(len(group))
                out = _target_out(setup.forward, ablated, e, t).view(len(group), n)
                drop = (base.view(1, n) - out).float()
                fmask = masks.float()
                sums[i] += torch.einsum("gn,g...->n...", drop, fmask)
                counts[i] += fmask.sum(dim=0)
                with np.errstate(invalid="ignore", divide="ignore"):
                    value = torch.where(counts[i] > 0, sums[i] / counts[i].clamp(min=1), torch.nan)
                _write(acc, i, sl, value)
                acc.done += len(group)
                if i == len(xs) - 1 and first + per_eval >= len(windows[i]):
                    acc.computed[sl] = True
                yield


def _ablate(torch: Any, xs: tuple[Any, ...], i: int, masks: Any, baseline: Any) -> tuple[Any, ...]:
    """Every input repeated once per window (window-major); input ``i`` has the window set to the baseline."""
    g = masks.shape[0]
    out = []
    for j, x in enumerate(xs):
        tiled = x.unsqueeze(0).expand(g, *x.shape)
        if j == i:
            b = baseline.unsqueeze(0).expand(g, *x.shape) if baseline.shape[0] == x.shape[0] else baseline.unsqueeze(0)
            tiled = torch.where(masks.unsqueeze(1), b.expand_as(tiled), tiled)
        out.append(tiled.reshape(g * x.shape[0], *x.shape[1:]))
    return tuple(out)
