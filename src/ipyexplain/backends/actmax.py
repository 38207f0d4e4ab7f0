"""Activation maximization: optimise an input image so a chosen unit of a torch model fires strongly.

The objective is a class logit (``target=k``), the mean activation of one channel of a layer
(``layer=..., channel=c``), or one neuron (``layer=..., neuron=(c, y, x)`` or an index for a flat
layer). The image is parameterised by pixels or, ``decorrelate=True``, by a 1/f-scaled spectrum with
decorrelated colours (see ``_torch_actmax_param``); regularisers: jitter, L2 decay, total variation
(a frequency penalty) and periodic Gaussian blur. Adam ascends ``objective - penalties``.

``stream`` yields an :class:`ActMaxResult` every ``snapshot_every`` steps: the image so far, the
objective at every step, and a few snapshots of the way there. ``job`` runs it in the background
(``ActMaxView`` draws it live), ``compute`` blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._jobs import Job, Partial
from . import run_to_end, start_job
from ._torch_actmax_param import Parameterisation, jitter, total_variation
from ._torch_model import eval_mode, find_layer, locked, output_tensor, require_torch


@dataclass
class ActMaxResult:
    """The optimisation so far."""

    image: np.ndarray  # (C, H, W) in the model's input space
    objective: np.ndarray  # the objective (without penalties) at every step done
    step: int
    total: int
    description: str  # what is maximised, e.g. "class 3" or "features.3, channel 5"
    snapshots: list[tuple[int, np.ndarray]] = field(default_factory=list)  # (step, (C, H, W)) along the way
    input_range: tuple[float, float] = (0.0, 1.0)

    @property
    def display(self) -> np.ndarray:
        """The image as (H, W, C) in [0, 1], for drawing."""
        lo, hi = self.input_range
        return np.clip((self.image.transpose(1, 2, 0) - lo) / (hi - lo or 1), 0, 1)


def _objective(torch: Any, model: Any, shape: tuple[int, ...], target: Any, layer: Any, channel: Any,
               neuron: Any, transform: Callable[[Any], Any] | None) -> tuple[Callable[[Any], Any], str, Any]:
    """A function image -> objective (a scalar tensor), its description, and the hooked layer (or None)."""
    probe = torch.rand((1, *shape))
    if layer is None:
        if channel is not None or neuron is not None:
            raise ValueError("channel= and neuron= need a layer= (a module name)")
        with torch.no_grad(), eval_mode(model):
            try:
                out = output_tensor(model(transform(probe) if transform else probe))
            except (RuntimeError, ValueError) as exc:
                raise ValueError(f"the model cannot run on an input of shape {(1, *shape)}: {exc}") from exc
        k = int(out.shape[1]) if out.dim() == 2 else 1
        if target is None:
            raise ValueError("give what to maximise: target=<class index>, or layer= with channel= or neuron=")
        if not 0 <= int(target) < k:
            raise ValueError(f"target {target} is out of range: the model has {k} outputs (valid targets 0..{k - 1})")
        t = int(target)
        return (lambda x: output_tensor(model(x))[:, t].mean()), f"class {t}", None
    module, name = find_layer(model, layer, purpose="the layer whose unit is maximised")
    seen: dict[str, Any] = {}
    handle = module.register_forward_hook(lambda m, i, o: seen.__setitem__("out", o))
    try:
        with torch.no_grad(), eval_mode(model):
            model(transform(probe) if transform else probe)
    finally:
        handle.remove()
    act = seen.get("out")
    if not isinstance(act, torch.Tensor):
        raise ValueError(f"layer {name!r} did not produce a tensor during the forward pass")
    if channel is not None:
        if act.dim() < 2 or not 0 <= int(channel) < act.shape[1]:
            raise ValueError(f"channel {channel} is out of range: layer {name!r} has {act.shape[1]} channels "
                             f"(output shape {tuple(act.shape)})")
        c = int(channel)
        return _hooked(torch, model, module, lambda a: a[:, c].mean()), f"{name}, channel {c}", module
    if neuron is not None:
        index = (neuron,) if isinstance(neuron, int) else tuple(int(v) for v in neuron)
        if len(index) != act.dim() - 1 or any(not 0 <= i < s for i, s in zip(index, act.shape[1:], strict=True)):
            raise ValueError(f"neuron {neuron} is not in layer {name!r}'s output of shape {tuple(act.shape[1:])} "
                             "(per sample)")
        return _hooked(torch, model, module, lambda a: a[(slice(None), *index)].mean()), \
            f"{name}, neuron {index if len(index) > 1 else index[0]}", module
    raise ValueError(f"layer {name!r}: give channel= or neuron= (or leave layer out and give target=)")


def _hooked(torch: Any, model: Any, module: Any, pick: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def objective(x: Any) -> Any:
        seen: dict[str, Any] = {}
        handle = module.register_forward_hook(lambda m, i, o: seen.__setitem__("out", o))
        try:
            model(x)
        finally:
            handle.remove()
        return pick(seen["out"])

    return objective


def stream(model: Any, *, input_shape: tuple[int, ...], target: int | None = None, layer: Any = None,
           channel: int | None = None, neuron: Any = None, steps: int = 256, lr: float = 0.05,
           decorrelate: bool = False, jitter_px: int = 2, l2: float = 1e-3, tv: float = 0.0,
           blur_sigma: float = 0.0, blur_every: int = 4, input_range: tuple[float, float] = (0.0, 1.0),
           transform: Callable[[Any], Any] | None = None, snapshot_every: int = 8, n_snapshots: int = 8,
           random_state: int | None = 0) -> Iterator[Partial[ActMaxResult]]:
    """Optimise an image of ``input_shape`` (C, H, W) for the objective; see the module docstring.

    Arguments are checked (and the model run once) now; the optimisation runs as the generator is advanced.
    ``transform`` maps the image to what the model takes (e.g. a normalisation); ``input_range`` is the
    image's range.
    """
    torch = require_torch()
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    if len(input_shape) != 3 or min(int(v) for v in input_shape) < 1:
        raise ValueError(f"input_shape must be (channels, height, width); got {input_shape!r}")
    shape = (int(input_shape[0]), int(input_shape[1]), int(input_shape[2]))
    if int(steps) < 1 or float(lr) <= 0 or int(snapshot_every) < 1:
        raise ValueError(f"steps, lr and snapshot_every must be positive; got {steps}, {lr}, {snapshot_every}")
    lo, hi = (float(v) for v in input_range)
    if not hi > lo:
        raise ValueError(f"input_range must be (low, high) with high > low; got {input_range!r}")
    objective, description, _ = _objective(torch, model, shape, target, layer, channel, neuron, transform)
    return _optimise(torch, model, objective, description, shape, int(steps), float(lr), bool(decorrelate),
                     int(jitter_px), float(l2), float(tv), float(blur_sigma), max(1, int(blur_every)), (lo, hi),
                     transform, int(snapshot_every), int(n_snapshots), random_state)


def _optimise(torch: Any, model: Any, objective: Callable[[Any], Any], description: str, shape: tuple[int, int, int],
              steps: int, lr: float, decorrelate: bool, jitter_px: int, l2: float, tv: float, blur_sigma: float,
              blur_every: int, input_range: tuple[float, float], transform: Callable[[Any], Any] | None,
              snapshot_every: int, n_snapshots: int, seed: int | None) -> Iterator[Partial[ActMaxResult]]:
    generator = torch.Generator().manual_seed(int(seed)) if seed is not None else None
    param = next(iter(model.parameters()), None)
    device = param.device if param is not None else torch.device("cpu")
    image_param = Parameterisation(torch, shape, decorrelate=decorrelate, lo=input_range[0], hi=input_range[1],
                                   generator=generator, device=device)
    optimiser = torch.optim.Adam(image_param.params, lr=lr)
    mid = (input_range[0] + input_range[1]) / 2
    history: list[float] = []
    snapshots: list[tuple[int, np.ndarray]] = []
    keep_every = max(1, steps // max(1, n_snapshots))

    def one_step(step: int) -> int:
        optimiser.zero_grad()
        with torch.enable_grad():
            image = image_param.image()
            x = jitter(torch, image, jitter_px, generator)
            value = objective(transform(x) if transform else x)
            loss = -value + l2 * ((image - mid) ** 2).mean() + (tv * total_variation(image) if tv else 0.0)
            grads = torch.autograd.grad(loss, image_param.params)  # no gradients land on the model's parameters
        for p, g in zip(image_param.params, grads, strict=True):
            p.grad = g
        optimiser.step()
        if blur_sigma and (step + 1) % blur_every == 0:
            image_param.blur(blur_sigma)
        history.append(float(value.detach()))
        return step

    def steps_iter() -> Iterator[int]:
        for step in range(steps):
            yield one_step(step)

    was_training = model.training
    model.eval()
    try:
        for step in locked(model, steps_iter()):
            done = step + 1
            if done % keep_every == 0 or done == 1:
                snapshots.append((done, _image(image_param)))
            if done % snapshot_every == 0 or done == steps or done == 1:
                yield Partial(ActMaxResult(_image(image_param), np.asarray(history, dtype=np.float64), done, steps,
                                           description, list(snapshots), input_range), done, steps)
    finally:
        if was_training:
            model.train()


def _image(param: Parameterisation) -> np.ndarray:
    with param.torch.no_grad():
        return param.image()[0].detach().cpu().numpy().astype(np.float32)


def job(model: Any, **options: Any) -> Job[ActMaxResult]:
    """:func:`stream` running in a background :class:`~ipyexplain._jobs.Job`."""
    return start_job(stream(model, **options), name="activation maximization")


def compute(model: Any, **options: Any) -> ActMaxResult:
    """The blocking form of :func:`stream`: the final image and objective history."""
    return run_to_end(stream(model, **options))
