"""Model-level helpers shared by the torch backends: structured outputs, eval mode, one lock per model,
finding layers by name."""

from __future__ import annotations

import contextlib
import difflib
import sys
import threading
import warnings
import weakref
from collections.abc import Iterator
from typing import Any


def require_torch() -> Any:
    try:
        import captum  # noqa: F401
        import torch
    except ImportError as exc:  # pragma: no cover - the dev environment has both
        raise ImportError(
            "attributions need torch and captum: pip install 'ipyexplain[torch]'"
        ) from exc
    return torch


def _wrapper(torch: Any, model: Any) -> Any:
    class Logits(torch.nn.Module):
        """Returns ``model(...).logits`` (Hugging Face) or the first element of a tuple output."""

        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *args: Any) -> Any:
            return output_tensor(self.inner(*args))

    return Logits(model)


def output_tensor(out: Any) -> Any:
    """The prediction tensor inside a model's output (a tensor, ``.logits``, or a tuple's first item)."""
    torch = require_torch()
    if isinstance(out, torch.Tensor):
        return out
    logits = getattr(out, "logits", None)
    if isinstance(logits, torch.Tensor):
        return logits
    if isinstance(out, (tuple, list)) and out and isinstance(out[0], torch.Tensor):
        return out[0]
    raise TypeError(
        f"the model returned {type(out).__name__}; expected a tensor of shape (N,) or (N, classes), "
        "an output with .logits, or a tuple whose first item is that tensor"
    )


def _caller_level() -> int:
    """``stacklevel`` for a warning that points at the user's code (the first frame outside ipyexplain)."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and (frame.f_globals.get("__name__", "").startswith("ipyexplain")
                                 or frame.f_code.co_filename.endswith("contextlib.py")):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def warn_training(model: Any) -> None:
    warnings.warn(
        f"{type(model).__name__} is in training mode: switched to eval mode for the attribution "
        "(dropout and batch-norm updates would make it noisy); its mode is restored afterwards",
        UserWarning,
        stacklevel=_caller_level(),
    )


@contextlib.contextmanager
def eval_mode(model: Any, *, warn: bool = False) -> Iterator[None]:
    """Run in eval mode (dropout off, batch-norm statistics fixed); restore training mode after."""
    was_training = bool(model.training)
    if was_training and warn:
        warn_training(model)
    model.eval()
    try:
        yield
    finally:
        if was_training:
            model.train()


_LOCKS: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def model_lock(model: Any) -> threading.Lock:
    """One lock per model: Captum methods put hooks on a model's modules while they run (DeepLIFT,
    Grad-CAM, layer methods), so two jobs on one model must not run a piece of work at the same time."""
    with _LOCKS_GUARD:
        lock = _LOCKS.get(model)
        if lock is None:
            lock = _LOCKS[model] = threading.Lock()
        return lock


def locked(model: Any, steps: Iterator[Any]) -> Iterator[Any]:
    """Advance ``steps`` one piece at a time while holding the model's lock (released between pieces, so
    jobs on one model interleave piece by piece, and never while a consumer holds a yielded value)."""
    lock = model_lock(model)
    while True:
        with lock:
            try:
                value = next(steps)
            except StopIteration:
                return
        yield value


def find_layer(model: Any, layer: Any, *, purpose: str) -> tuple[Any, str]:
    """``layer`` (a dotted name from ``model.named_modules()`` or a submodule) -> (module, name)."""
    torch = require_torch()
    named = dict(model.named_modules())
    if isinstance(layer, torch.nn.Module):
        for name, module in named.items():
            if module is layer:
                return module, name or type(model).__name__
        raise ValueError(f"layer {type(layer).__name__} is not a submodule of {type(model).__name__}")
    if not isinstance(layer, str):
        raise TypeError(f"layer must be a module name (str) or a submodule; got {type(layer).__name__}")
    if layer in named and layer:
        return named[layer], layer
    names = [n for n in named if n]
    close = difflib.get_close_matches(layer, names, n=5, cutoff=0.5)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    shown = names if len(names) <= 40 else [*names[:40], f"... ({len(names) - 40} more)"]
    raise ValueError(
        f"layer {layer!r} ({purpose}) is not in {type(model).__name__}.{hint} Valid layers: {', '.join(shown)}"
    )


def default_layer(model: Any, kind: type, what: str, purpose: str, *, last: bool) -> tuple[Any, str]:
    found = [(name, m) for name, m in model.named_modules() if isinstance(m, kind) and name]
    if not found:
        raise ValueError(f"{purpose} needs a layer= and {type(model).__name__} has no {what} to default to")
    name, module = found[-1] if last else found[0]
    return module, name
