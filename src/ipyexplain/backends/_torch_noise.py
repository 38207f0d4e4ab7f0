"""The sampling methods, sharpening as samples accumulate: SmoothGrad (noise drawn exactly as Captum's
``NoiseTunnel`` draws it) and gradient SHAP (Captum's ``GradientShap`` per partition of samples); see
``_torch_methods`` for the shared machinery."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from ._torch_inputs import Setup
from ._torch_methods import Accum, Targets, _samples, _write, chunk_extra


def smoothgrad(setup: Setup, targets: Targets, acc: Accum, opts: dict[str, Any]) -> Iterator[None]:
    import torch
    from captum.attr import Saliency

    nt_samples = int(opts.get("nt_samples", 16))
    chunk = max(1, min(nt_samples, int(opts.get("sample_chunk") or max(1, nt_samples // 4))))
    nt_type = opts.get("nt_type", "smoothgrad")
    if nt_type not in ("smoothgrad", "smoothgrad_sq", "vargrad"):
        raise ValueError(f"nt_type must be 'smoothgrad', 'smoothgrad_sq' or 'vargrad'; got {nt_type!r}")
    stdevs = _stdevs(setup, opts.get("stdevs"))
    generator = _generator(opts.get("random_state"))
    batch = min(setup.n, opts.get("batch_size") or setup.n)
    parts = [chunk] * (nt_samples // chunk) + ([nt_samples % chunk] if nt_samples % chunk else [])
    acc.total, acc.unit = len(parts) * math.ceil(setup.n / batch), "noise samples"
    sal = Saliency(setup.forward)
    blocking = bool(opts.get("blocking"))
    for start in range(0, setup.n, batch):
        sl = slice(start, min(setup.n, start + batch))
        xs, extra = _samples(setup, sl), chunk_extra(setup, sl)
        target = targets.chunk(sl, xs, extra)
        sums: list[Any] | None = None
        squares: list[Any] | None = None
        seen = 0
        for k in parts:
            noisy = tuple(_noisy(torch, x, s, k, generator).requires_grad_() for x, s in zip(xs, stdevs, strict=True))
            t = None if target is None else target.repeat_interleave(k)
            e = None if extra is None else tuple(
                a.repeat_interleave(k, dim=0) if isinstance(a, torch.Tensor) and a.dim() and a.shape[0] == len(xs[0])
                else a for a in extra)
            out = sal.attribute(noisy if setup.is_tuple else noisy[0], target=t, abs=opts.get("abs", True),
                                additional_forward_args=e)
            out = out if setup.is_tuple else (out,)
            shaped = [a.view(len(xs[0]), k, *a.shape[1:]) for a in out]
            s1 = [a.sum(dim=1) for a in shaped]
            sums = s1 if sums is None else [a + b for a, b in zip(sums, s1, strict=True)]
            if nt_type != "smoothgrad":  # the squares only where they are used
                s2 = [(a * a).sum(dim=1) for a in shaped]
                squares = s2 if squares is None else [a + b for a, b in zip(squares, s2, strict=True)]
            seen += k
            if seen == nt_samples or not blocking:  # blocking: only the final estimate is read
                for i, total in enumerate(sums):
                    mean = total * (1 / seen)
                    if nt_type != "smoothgrad":
                        assert squares is not None
                        mean_sq = squares[i] * (1 / seen)
                        mean = mean_sq if nt_type == "smoothgrad_sq" else mean_sq - mean**2
                    _write(acc, i, sl, mean)
            acc.done += 1
            acc.computed[sl] = seen == nt_samples
            yield


def _stdevs(setup: Setup, stdevs: Any) -> tuple[float, ...]:
    """Noise level per input: given (a float or one per input), else 15% of each input's value range."""
    if stdevs is None:
        return tuple(max(1e-6, 0.15 * float(x.max() - x.min())) for x in setup.inputs)
    values = stdevs if isinstance(stdevs, (tuple, list)) else (stdevs,) * len(setup.inputs)
    if len(values) != len(setup.inputs):
        raise ValueError(f"stdevs has {len(values)} entries for {len(setup.inputs)} inputs")
    return tuple(float(v) for v in values)


def _generator(random_state: Any) -> Any:
    import torch

    if random_state is None:
        return None
    return torch.Generator().manual_seed(int(random_state))


def _noisy(torch: Any, x: Any, stdev: float, k: int, generator: Any) -> Any:
    """As ``NoiseTunnel._add_noise_to_input``: the same shape of draws from the same kind of call."""
    expanded = (x.shape[0] * k, *x.shape[1:])
    std = torch.tensor(stdev, device=x.device).repeat(expanded)
    noise = torch.normal(0, std, generator=generator) if generator is not None else torch.normal(0, std)
    return x.repeat_interleave(k, dim=0) + noise


@contextlib.contextmanager
def seeded(seed: int | None) -> Iterator[None]:
    """Seed torch's and numpy's global generators (Captum draws from them) and restore them after."""
    if seed is None:
        yield
        return
    import torch

    np_state = np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        np.random.seed(seed)
        try:
            yield
        finally:
            np.random.set_state(np_state)


def gradient_shap(setup: Setup, targets: Targets, acc: Accum, opts: dict[str, Any]) -> Iterator[None]:
    """Captum's ``GradientShap`` per partition of samples. Token ids: in the embedding layer's output
    space (see :func:`_embedded`), as Captum's own recipe for text (an interpretable embedding layer)."""
    from captum.attr import GradientShap

    n_samples = int(opts.get("n_samples", 20))
    chunk = max(1, min(n_samples, int(opts.get("sample_chunk") or max(1, n_samples // 4))))
    stdevs = float(opts.get("stdevs") or 0.0)
    seed = opts.get("random_state")
    batch = min(setup.n, opts.get("batch_size") or setup.n)
    parts = [chunk] * (n_samples // chunk) + ([n_samples % chunk] if n_samples % chunk else [])
    acc.total, acc.unit = len(parts) * math.ceil(setup.n / batch), "samples"
    layer = setup.layer
    method = GradientShap(_embedded(setup.forward, layer) if layer is not None else setup.forward)
    calls = 0
    for start in range(0, setup.n, batch):
        sl = slice(start, min(setup.n, start + batch))
        xs, extra = _samples(setup, sl), chunk_extra(setup, sl)
        target = targets.chunk(sl, xs, extra)
        if layer is not None:  # embeddings of the ids and of the baseline sequences; the ids ride along
            inputs: Any = _layer_output(setup, xs[0], extra)
            base_ids = setup.baselines[0]
            baselines: Any = _layer_output(setup, base_ids, _first_extra(extra, len(xs[0]), len(base_ids)))
            extra = (xs[0], *(extra or ()))
        else:
            inputs = xs if setup.is_tuple else xs[0]
            baselines = setup.baselines if setup.is_tuple else setup.baselines[0]
        total: list[Any] | None = None
        seen = 0
        for k in parts:
            with seeded(None if seed is None else int(seed) + calls):
                out = method.attribute(inputs, baselines=baselines, n_samples=k, stdevs=stdevs, target=target,
                                       additional_forward_args=extra)
            calls += 1
            out = out if isinstance(out, tuple) else (out,)
            if layer is not None:
                out = (out[0].sum(dim=-1),)
            total = [a * k for a in out] if total is None else [t + a * k for t, a in zip(total, out, strict=True)]
            seen += k
            if seen == n_samples or not opts.get("blocking"):  # blocking: only the final estimate is read
                for i, a in enumerate(total):
                    _write(acc, i, sl, a * (1 / seen))
            acc.done += 1
            acc.computed[sl] = seen == n_samples
            yield


def _embedded(forward: Any, layer: Any) -> Any:
    """``f(embeddings, ids, *extra)``: the model on ``ids`` with ``layer``'s output replaced by ``embeddings``."""
    import torch

    class FromEmbeddings(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = forward

        def forward(self, embeddings: Any, ids: Any, *extra: Any) -> Any:
            handle = layer.register_forward_hook(lambda _m, _a, _out: embeddings)
            try:
                return self.inner(ids, *extra)
            finally:
                handle.remove()

    return FromEmbeddings()


def _layer_output(setup: Setup, ids: Any, extra: Any) -> Any:
    import torch
    from captum._utils.gradient import _forward_layer_eval

    with torch.no_grad():
        out = _forward_layer_eval(setup.forward, ids, setup.layer, additional_forward_args=extra)
    return (out[0] if isinstance(out, (tuple, list)) else out).detach()


def _first_extra(extra: Any, n: int, b: int) -> Any:
    """The additional arguments for ``b`` baseline sequences: batch-first ones (``n`` rows) from the first
    sample (e.g. its attention mask)."""
    import torch

    if extra is None:
        return None
    return tuple(a[:1].expand(b, *a.shape[1:]) if isinstance(a, torch.Tensor) and a.dim() and a.shape[0] == n else a
                 for a in extra)
