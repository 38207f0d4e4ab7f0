"""The attribution methods as streams: each updates an :class:`Accum` piece by piece and yields.

How each method streams (and why the final numbers equal Captum's):

- **integrated gradients** (and layer IG through an embedding): the path integral's quadrature
  points (Captum's own ``approximation_parameters``) are split into interleaved subsets; after each
  subset the estimate so far is the weighted sum over the points done, rescaled by the weight done,
  so the map *sharpens* from a coarse quadrature to the full one. Captum itself sums over steps in
  chunks (``internal_batch_size``); we call the same ``IntegratedGradients._attribute`` per subset,
  so the final sum is Captum's up to float summation order.
- **smoothgrad**: the noisy samples are drawn exactly as ``NoiseTunnel`` draws them (per partition of
  ``sample_chunk`` samples, the same ``torch.normal`` call), and the running mean over partitions
  sharpens as noise averages out.
- **gradient SHAP**: Captum's ``GradientShap`` per partition of samples; the running mean sharpens.
- **saliency, DeepLIFT, Grad-CAM** (``_torch_gradcam``): a batch fills chunk by chunk, each sized to
  ~0.2 s (the first from the trial pass's time; see :class:`Sizer`).
- **occlusion**: see ``_torch_occlusion`` (fills window by window).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._torch_inputs import ParsedTarget, Setup
from ._torch_model import output_tensor

# Captum's DeepLift says this on every call; it is how DeepLift works, not something to act on.
warnings.filterwarnings("ignore", message="Setting forward, backward hooks and attributes on non-linear")


@dataclass
class Accum:
    """The attribution so far, per input in the model's layout (N, ...); NaN where not computed yet.

    ``values[i]`` is made on first use (:meth:`array`): a method whose first result covers the whole
    batch hands over its array as it is (no NaN fill, no copy, as a blocking call of a short method
    would otherwise pay for both)."""

    shapes: list[tuple[int, ...]]
    computed: np.ndarray  # bool per sample: its values are final
    targets: np.ndarray | None  # class index per sample (-1: not decided yet), None: single output
    delta: np.ndarray | None = None  # IG convergence delta per sample (of the estimate so far)
    base: np.ndarray | None = None  # model output at the baseline (IG), per sample
    done: int = 0
    total: int = 1
    unit: str = "samples"
    extra: dict[str, Any] = field(default_factory=dict)
    values: list[np.ndarray | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.values = [None] * len(self.shapes)

    def array(self, i: int) -> np.ndarray:
        """Input ``i``'s values (NaN where nothing was written)."""
        found = self.values[i]
        if found is None:
            found = self.values[i] = np.full(self.shapes[i], np.nan, dtype=np.float32)
        return found


class Targets:
    """The target of each sample: fixed, or the predicted class, decided chunk by chunk.

    Settled against the model's number of outputs as soon as a forward pass tells it (at once after a
    trial pass; else from the attribution's first pass, see ``_torch_check``)."""

    def __init__(self, setup: Setup, parsed: ParsedTarget) -> None:
        self.setup = setup
        self.parsed = parsed
        self.resolved: Any = None
        self.known: np.ndarray | None = None
        self.settled = False
        self._handed_out = False  # explicit indices went to a method before the outputs were known
        if setup.n_outputs is not None:
            self._settle(setup.n_outputs)
        else:
            setup.check.listeners.append(self._settle)

    def _settle(self, k: int) -> None:
        resolved = self.parsed.settle(k)
        if resolved is None and self.parsed.indices is not None and self._handed_out:
            # target 0 of a single (N,) output was already given to Captum: the output goes on as (N, 1)
            self.setup.check.column = True
            resolved = self.parsed.indices
        self.resolved, self.settled = resolved, True
        if k == 0:
            self.known = None
        elif isinstance(resolved, str):
            self.known = np.full(self.setup.n, -1, dtype=np.int64)
        else:
            self.known = resolved.detach().cpu().numpy().astype(np.int64)

    def _predict(self, inputs: tuple[Any, ...], extra: Any) -> Any:
        import torch

        with torch.no_grad():
            return output_tensor(self.setup.forward(*inputs, *(extra or ())))

    def chunk(self, sl: slice, inputs: tuple[Any, ...], extra: Any) -> Any:
        out = None
        if not self.settled:
            if not self.parsed.auto:
                self._handed_out = True
                return self.parsed.indices[sl]
            out = self._predict(inputs, extra)  # its (checked) output settles the targets
        if self.resolved is None:
            return None
        if isinstance(self.resolved, str):  # "predicted"
            chosen = (out if out is not None else self._predict(inputs, extra)).argmax(dim=1)
            assert self.known is not None
            self.known[sl] = chosen.cpu().numpy()
            return chosen
        return self.resolved[sl]


def chunk_extra(setup: Setup, sl: slice) -> tuple[Any, ...] | None:
    """``additional_forward_args`` for samples ``sl``: batch-first tensors sliced, the rest as is."""
    import torch

    extra = setup.additional_forward_args
    if extra is None:
        return None
    extra = extra if isinstance(extra, tuple) else (extra,)
    n = setup.n
    return tuple(a[sl] if isinstance(a, torch.Tensor) and a.dim() and a.shape[0] == n else a for a in extra)


def chunk_baselines(setup: Setup, sl: slice) -> tuple[Any, ...]:
    return tuple(b if b.shape[0] == 1 else b[sl] for b in setup.baselines)


class Sizer:
    """Samples per call, ~``target`` seconds' worth. The first call's size comes from the trial pass (a
    forward pass of one sample, ~1/3 of a forward and backward pass), so a batch done in a fraction of a
    second goes in one call as Captum would make it; without a trial, one sample first (the first result
    appears at once)."""

    def __init__(self, setup: Setup, opts: dict[str, Any], target: float = 0.2) -> None:
        self.n, self.cap, self.target = setup.n, int(opts.get("batch_size") or 64), target
        self.blocking = bool(opts.get("blocking"))  # nobody watches: full chunks from the start
        trial = setup.check.trial_seconds
        self.per: float | None = None if trial is None else 3 * trial
        self.start = 0

    def __iter__(self) -> Iterator[slice]:
        while self.start < self.n:
            size = 1 if self.per is None else int(max(1, min(self.cap, self.target / max(self.per, 1e-9))))
            if self.blocking or (self.per is None and self.cap >= self.n and self.n <= 4):
                size = self.cap  # blocking, or a handful of samples: one call, as Captum would
            sl = slice(self.start, min(self.n, self.start + size))
            began = time.perf_counter()
            yield sl
            pace = (time.perf_counter() - began) / (sl.stop - sl.start)
            self.per = pace if self.per is None else 0.5 * (self.per + pace)
            self.start = sl.stop


def _np(t: Any) -> np.ndarray:
    return t.detach().to("cpu").float().numpy()


def _write(acc: Accum, index: int, sl: slice, values: Any) -> None:
    """Store ``values`` (a tensor no one changes afterwards) as samples ``sl`` of input ``index``."""
    array = _np(values)
    shape = acc.shapes[index]
    if acc.values[index] is None and sl.start == 0 and sl.stop == shape[0] and array.shape == shape \
            and array.flags.writeable and array.flags.c_contiguous:
        acc.values[index] = array
        return
    acc.array(index)[sl] = array


def _samples(setup: Setup, sl: slice, grad: bool = True) -> tuple[Any, ...]:
    """Inputs of samples ``sl``; float ones as fresh leaves that require grad (as Captum would make them),
    unless ``grad`` is False (Grad-CAM's gradients stop at its layer: earlier layers need no graph)."""
    if not grad:
        return tuple(x[sl] for x in setup.inputs)
    return tuple(x[sl].detach().requires_grad_() if x.is_floating_point() else x[sl] for x in setup.inputs)


def _target_out(forward: Any, inputs: tuple[Any, ...], extra: Any, target: Any) -> Any:
    import torch

    with torch.no_grad():
        out = output_tensor(forward(*inputs, *(extra or ())))
    if out.dim() == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if target is None or out.dim() == 1:
        return out
    return out.gather(1, target.view(-1, 1)).squeeze(1)


# ------------------------------------------------------------------------------- fill by samples
def saliency(setup: Setup, targets: Targets, acc: Accum, opts: dict[str, Any]) -> Iterator[None]:
    from captum.attr import LayerGradientXActivation, Saliency

    layer = setup.layer
    for sl in Sizer(setup, opts):
        xs, extra = _samples(setup, sl), chunk_extra(setup, sl)
        target = targets.chunk(sl, xs, extra)
        if layer is not None:  # token ids: the gradient at the embedding output, its L2 norm per token
            grads = LayerGradientXActivation(setup.forward, layer, multiply_by_inputs=False).attribute(
                xs[0], target=target, additional_forward_args=extra)
            _write(acc, 0, sl, grads.norm(dim=-1))
        else:
            out = Saliency(setup.forward).attribute(xs if setup.is_tuple else xs[0], target=target,
                                                    abs=opts.get("abs", True), additional_forward_args=extra)
            for i, a in enumerate(out if setup.is_tuple else (out,)):
                _write(acc, i, sl, a)
        acc.computed[sl] = True
        acc.done = sl.stop
        yield


def deeplift(setup: Setup, targets: Targets, acc: Accum, opts: dict[str, Any]) -> Iterator[None]:
    from captum.attr import DeepLift, LayerDeepLift

    layer = setup.layer
    for sl in Sizer(setup, opts):
        xs, extra = _samples(setup, sl), chunk_extra(setup, sl)
        target = targets.chunk(sl, xs, extra)
        bs = chunk_baselines(setup, sl)
        if layer is not None:
            out = LayerDeepLift(setup.forward, layer).attribute(xs[0], baselines=bs[0], target=target,
                                                               additional_forward_args=extra)
            _write(acc, 0, sl, out.sum(dim=-1))
        else:
            out = DeepLift(setup.forward).attribute(xs if setup.is_tuple else xs[0],
                                                    baselines=bs if setup.is_tuple else bs[0], target=target,
                                                    additional_forward_args=extra)
            for i, a in enumerate(out if setup.is_tuple else (out,)):
                _write(acc, i, sl, a)
        acc.computed[sl] = True
        acc.done = sl.stop
        yield


# ------------------------------------------------------------------------------- sharpen over steps
def _ig_plan(setup: Setup, opts: dict[str, Any]) -> tuple[list[float], list[float], list[list[int]], int]:
    from captum.attr._utils.approximation_methods import approximation_parameters

    n_steps = int(opts.get("n_steps", 50))
    if n_steps < 1:
        raise ValueError(f"n_steps must be at least 1; got {n_steps}")
    sizes_fn, alphas_fn = approximation_parameters(opts.get("ig_method", "gausslegendre"))
    sizes, alphas = list(sizes_fn(n_steps)), list(alphas_fn(n_steps))
    chunks = max(1, min(n_steps, int(opts.get("step_chunks", 5))))
    subsets = [list(range(j, n_steps, chunks)) for j in range(chunks)]
    per_pass = max(1, int(opts.get("internal_batch_size") or 1024) // math.ceil(n_steps / chunks))
    batch = min(setup.n, opts.get("batch_size") or per_pass)
    return sizes, alphas, subsets, batch


def integrated_gradients(setup: Setup, targets: Targets, acc: Accum, opts: dict[str, Any]) -> Iterator[None]:
    from captum.attr import IntegratedGradients, LayerIntegratedGradients

    sizes, alphas, subsets, batch = _ig_plan(setup, opts)
    total_weight = float(sum(sizes))
    acc.total, acc.unit = len(subsets) * math.ceil(setup.n / batch), "steps"
    acc.delta = np.full(setup.n, np.nan)
    acc.base = np.full(setup.n, np.nan)
    lig = LayerIntegratedGradients(setup.forward, setup.layer) if setup.layer is not None else None
    ig = lig.ig if lig is not None else IntegratedGradients(setup.forward)
    for start in range(0, setup.n, batch):
        sl = slice(start, min(setup.n, start + batch))
        xs, extra = _samples(setup, sl), chunk_extra(setup, sl)
        target = targets.chunk(sl, xs, extra)
        bs = tuple(b.expand(sl.stop - sl.start, *b.shape[1:]) for b in chunk_baselines(setup, sl))
        end_out = _target_out(setup.forward, xs, extra, target)
        start_out = _target_out(setup.forward, bs, extra, target)
        acc.base[sl] = _np(start_out)
        acc.extra.setdefault("gain", np.full(setup.n, np.nan))[sl] = _np(end_out - start_out)
        if lig is not None:
            points, points_base, call_extra = _layer_points(lig, setup, xs, bs, extra)
        else:
            points, points_base, call_extra = xs, bs, extra
        total: list[Any] | None = None
        weight = 0.0
        for subset in subsets:
            part = ig._attribute(points, points_base, target=target, additional_forward_args=call_extra,
                                 n_steps=len(subset), method="gausslegendre",
                                 step_sizes_and_alphas=([sizes[i] for i in subset], [alphas[i] for i in subset]))
            total = list(part) if total is None else [t + p for t, p in zip(total, part, strict=True)]
            weight += sum(sizes[i] for i in subset)
            acc.done += 1
            last = subset is subsets[-1]
            if last or not opts.get("blocking"):  # blocking: only the final estimate is read
                scale = total_weight / weight if weight < total_weight * (1 - 1e-9) else 1.0
                estimate = [t * scale for t in total]
                if lig is not None:
                    estimate = [estimate[0].sum(dim=-1)]
                for i, a in enumerate(estimate):
                    _write(acc, i, sl, a)
                summed = sum(a.reshape(a.shape[0], -1).sum(dim=1) for a in estimate)
                acc.delta[sl] = _np(summed - (end_out - start_out))
            acc.computed[sl] = weight >= total_weight * (1 - 1e-9) or last
            yield


def _layer_points(lig: Any, setup: Setup, xs: tuple[Any, ...], bs: tuple[Any, ...], extra: Any) -> tuple[Any, Any, Any]:
    """What ``LayerIntegratedGradients.attribute`` integrates over: the layer's output for the inputs and
    the baselines; its gradient function replaces the layer's output by the path points."""
    import torch
    from captum._utils.gradient import _forward_layer_eval

    layer_in = _forward_layer_eval(setup.forward, xs, setup.layer, additional_forward_args=extra)
    layer_base = _forward_layer_eval(setup.forward, bs, setup.layer, additional_forward_args=extra)
    layer_in = tuple(layer_in) if isinstance(layer_in, (tuple, list)) else (layer_in,)
    layer_base = tuple(layer_base) if isinstance(layer_base, (tuple, list)) else (layer_base,)
    cumsum = torch.cumsum(torch.IntTensor([0, len(layer_in)]), dim=0)
    lig.ig.gradient_func = lig._make_gradient_func(cumsum, False, None)
    return layer_in, layer_base, (xs + extra) if extra is not None else xs
