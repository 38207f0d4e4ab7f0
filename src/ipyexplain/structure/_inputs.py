"""Checking what the user passed: a torch module, and inputs that fit its ``forward``."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

ACCEPTED = "a torch.nn.Module (a PyTorch model)"


class ModelRunError(RuntimeError):
    """The model raised while running on the example input; says in which module and on what shapes."""

    def __init__(self, message: str, module_path: str = "", module_type: str = "") -> None:
        super().__init__(message)
        self.module_path = module_path
        self.module_type = module_type


def import_torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is installed wherever the tests run
        raise ImportError(
            "showing a model's structure needs PyTorch: pip install 'ipyexplain[torch]'"
        ) from exc
    return torch


def check_model(model: Any) -> Any:
    """``model`` itself when it is a ``torch.nn.Module``; a ``TypeError`` saying what is accepted otherwise."""
    torch = import_torch()
    if isinstance(model, torch.nn.Module):
        return model
    kind = f"{type(model).__module__}.{type(model).__qualname__}"
    hint = ""
    if hasattr(model, "predict") or hasattr(model, "fit"):
        hint = "; an estimator with predict() has no layers to draw: use ipyexplain's attribution views for it"
    elif isinstance(model, type) and issubclass(model, torch.nn.Module):
        hint = f"; got the class {model.__name__} itself, pass an instance: {model.__name__}(...)"
    raise TypeError(f"model must be {ACCEPTED}; got {kind}{hint}")


@dataclass(frozen=True)
class BoundInputs:
    """``example_input`` matched to the parameters of ``model.forward``."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    given: dict[str, Any]  # parameter name -> value, for every parameter the user gave, in order
    defaults: dict[str, Any]  # parameter name -> default, for the ones not given (fx keeps them constant)


def _describe(value: Any) -> str:
    shape = getattr(value, "shape", None)
    return f"{type(value).__name__} of shape {tuple(shape)}" if shape is not None else type(value).__name__


def bind_inputs(model: Any, example_input: Any) -> BoundInputs:
    """Split ``example_input`` into call arguments and check them against ``forward``'s signature.

    A tensor is the one positional argument, a tuple or list is the positional arguments, a dict
    the keyword arguments. A required input that is missing, or one too many, is a ``ValueError``
    naming it.
    """
    torch = import_torch()
    if example_input is None:
        args: tuple[Any, ...] = ()
        kwargs: dict[str, Any] = {}
    elif isinstance(example_input, torch.Tensor):
        args, kwargs = (example_input,), {}
    elif isinstance(example_input, (tuple, list)):
        args, kwargs = tuple(example_input), {}
    elif isinstance(example_input, dict):
        if not all(isinstance(k, str) for k in example_input):
            raise TypeError("example_input as a dict must map forward()'s parameter names (str) to values")
        args, kwargs = (), dict(example_input)
    else:
        args, kwargs = (example_input,), {}
    owner = f"{type(model).__name__}.forward"
    try:
        signature = inspect.signature(model.forward)
    except (TypeError, ValueError):  # a forward without a Python signature: nothing to check
        given = {f"input{i}": a for i, a in enumerate(args)} | kwargs
        return BoundInputs(args, kwargs, given, {})
    params = signature.parameters
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as exc:
        required = [
            name for name, p in params.items()
            if p.default is inspect.Parameter.empty
            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        ]
        got = [f"{_describe(a)}" for a in args] + [f"{k}={_describe(v)}" for k, v in kwargs.items()]
        missing = [n for n in required[len(args):] if n not in kwargs]
        if missing:
            as_dict = ", ".join(repr(n) + ": ..." for n in required)
            raise ValueError(
                f"{owner}{signature} needs the input {', '.join(map(repr, missing))}, which example_input "
                f"does not give (it gives {len(got)}: {', '.join(got) or 'nothing'}); pass all of them, "
                f"e.g. example_input=({', '.join(required)}) or a dict {{{as_dict}}}"
            ) from None
        raise ValueError(f"example_input does not fit {owner}{signature}: {exc} (got {', '.join(got)})") from None
    given = dict(bound.arguments)
    defaults = {
        name: p.default for name, p in params.items()
        if name not in given and p.default is not inspect.Parameter.empty
    }
    return BoundInputs(args, kwargs, given, defaults)
