"""What only a forward pass tells about a model: that it runs on the inputs, its output's shape (so the
number of classes, against which targets are checked), whether it returns a tensor or a structure with
``.logits``, and whether gradients reach the inputs.

Two ways to learn it, with the same checks and the same messages (:class:`OutputCheck`):

- :func:`trial`: one sample through the model before any work. ``stream()`` does this, so bad input
  raises in the caller's cell before a background job starts.
- :func:`checked_forward`: the model wrapped so that the attribution's *own* first forward pass is
  checked (and the gradient check rides on its first pass with gradients). ``compute()`` does this:
  it runs in the caller's thread anyway, and an extra trial pass cost 3-7 % of a short saliency or
  Grad-CAM call (the wrapper overhead target is 5 %). After the first pass the wrapper only
  unwraps ``.logits``.

Shapes of images are checked without a forward pass, from the model's first layer (``_torch_inputs``).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from typing import Any

from ._torch_model import _wrapper, eval_mode, model_lock, output_tensor, require_torch

GRADIENT_METHODS = {"saliency", "integrated_gradients", "smoothgrad", "grad_cam", "gradient_shap", "deeplift"}
_RUN_ERRORS = (RuntimeError, ValueError, IndexError, TypeError)


def first_module(model: Any, torch: Any) -> tuple[str, Any] | None:
    for name, m in model.named_modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Conv1d, torch.nn.Linear, torch.nn.Embedding)):
            return name, m
    return None


def shape_hint(model: Any, torch: Any) -> str:
    first = first_module(model, torch)
    if first is None:
        return ""
    name, m = first
    if isinstance(m, torch.nn.Conv2d):
        return f" Its first layer {name!r} is a Conv2d expecting (N, {m.in_channels}, H, W) float images."
    if isinstance(m, torch.nn.Conv1d):
        return f" Its first layer {name!r} is a Conv1d expecting (N, {m.in_channels}, L)."
    if isinstance(m, torch.nn.Linear):
        return f" Its first layer {name!r} is a Linear expecting (N, {m.in_features}) float features."
    return f" Its first layer {name!r} is an Embedding expecting (N, T) integer token ids below {m.num_embeddings}."


class OutputCheck:
    """The checks of a model's output, and what they learned (``n_outputs``, ``wrapped``).

    ``listeners`` are called with ``n_outputs`` once it is known (targets and class names are checked
    against it there); whatever they raise is raised from the forward pass that learned it.
    """

    def __init__(self, model: Any, tensors: Sequence[Any], names: Sequence[str], kinds: Sequence[str],
                 method: str) -> None:
        self.model = model
        self._described = [(n, tuple(t.shape), t.dtype) for n, t in zip(names, tensors, strict=True)]
        self.needs_grad = method in GRADIENT_METHODS and "tokens" not in kinds
        self.method = method
        self.n_outputs: int | None = None
        self.wrapped = False
        self.column = False  # a single (N,) output handed out as (N, 1) (an explicit target 0 was passed on)
        self.grad_checked = not self.needs_grad
        self.trial_seconds: float | None = None  # how long the one-sample trial pass took
        self.listeners: list[Callable[[int], None]] = []

    @property
    def done(self) -> bool:
        return self.n_outputs is not None and self.grad_checked

    def cannot_run(self, exc: BaseException) -> ValueError:
        torch = require_torch()
        shapes = ", ".join(f"{n} {s} {d}" for n, s, d in self._described)
        return ValueError(f"the model cannot run on the inputs ({shapes}): {exc}.{shape_hint(self.model, torch)}")

    def inspect(self, raw: Any, batch: int, grad_flows: bool) -> Any:
        """Check one forward pass's output (``batch`` samples; ``grad_flows``: inputs required gradients
        and gradients were on); returns the prediction tensor."""
        torch = require_torch()
        self.wrapped = not isinstance(raw, torch.Tensor)
        out = output_tensor(raw)
        if out.dim() > 2 or out.dim() == 0 or out.shape[0] != batch:
            raise ValueError(f"the model's output has shape {tuple(out.shape)} for {batch} sample(s); expected "
                             f"({batch},) or ({batch}, classes): one score per class (or a single score) per sample")
        if grad_flows and not self.grad_checked:
            if not out.requires_grad:
                raise ValueError(
                    f"the model's output does not depend differentiably on its inputs (no gradient reaches them: a "
                    f"torch.no_grad() / .detach() / argmax inside forward?), so {self.method!r} cannot work; "
                    "use method='occlusion', which only needs forward passes"
                )
            self.grad_checked = True
        if self.n_outputs is None:
            self.n_outputs = int(out.shape[1]) if out.dim() == 2 and out.shape[1] > 1 else 0
            for listener in self.listeners:
                listener(self.n_outputs)
        return out


def trial(model: Any, tensors: Sequence[Any], check: OutputCheck, additional_forward_args: Any) -> Any:
    """Run the model on the first sample and check its output; returns the forward function to attribute
    (the model, or a wrapper returning ``.logits``)."""
    torch = require_torch()
    one = tuple(t[:1].detach().requires_grad_(t.is_floating_point()) for t in tensors)
    extra = additional_forward_args
    if extra is not None:
        extra = extra if isinstance(extra, tuple) else (extra,)
        extra = tuple(a[:1] if isinstance(a, torch.Tensor) and a.dim() and a.shape[0] == tensors[0].shape[0] else a
                      for a in extra)
    with model_lock(model), eval_mode(model), torch.enable_grad():
        began = time.perf_counter()
        try:
            raw = model(*one, *(extra or ()))
        except _RUN_ERRORS as exc:
            raise check.cannot_run(exc) from exc
        check.trial_seconds = time.perf_counter() - began
    check.inspect(raw, 1, grad_flows=True)
    return _wrapper(torch, model) if check.wrapped else model


@functools.cache
def _checked_class() -> Any:
    torch = require_torch()
    module: Any = torch.nn.Module

    class Checked(module):
        """The model, its first forward pass checked by an :class:`OutputCheck`; then only ``.logits`` unwrapped."""

        def __init__(self, inner: Any, check: OutputCheck) -> None:
            super().__init__()
            self.inner = inner
            self.check = check

        def forward(self, *args: Any) -> Any:
            check = self.check
            if check.done:
                out = self.inner(*args)
                if check.wrapped:
                    out = output_tensor(out)
                return out[:, None] if check.column and out.dim() == 1 else out
            try:
                raw = self.inner(*args)
            except _RUN_ERRORS as exc:
                raise check.cannot_run(exc) from exc
            first = args[0] if args else None
            batch = int(first.shape[0]) if isinstance(first, torch.Tensor) and first.dim() else 1
            # Gradient methods run their gradient passes with gradients on (inputs, or for Grad-CAM the
            # layer's output, require them); their other passes (targets, IG's end points) run without.
            out = check.inspect(raw, batch, grad_flows=torch.is_grad_enabled())
            return out[:, None] if check.column and out.dim() == 1 else out

    return Checked


def checked_forward(model: Any, check: OutputCheck) -> Any:
    """``model`` wrapped so that its first forward pass (the attribution's own) is checked by ``check``."""
    return _checked_class()(model, check)
