"""Activations however the model computes them: activation *modules* (``nn.ReLU``, ``nn.GELU``...) are seen by
forward hooks, activation *functions* called inside ``forward`` (``F.relu(x)``, ``torch.sigmoid(x)``,
``x.tanh()``, ``F.gelu``...) by a ``TorchFunctionMode`` active while the batch runs.

A function call is named after the module whose output it was applied to (``fc1 → relu``), else after the
module whose ``forward`` called it (``block: relu``); a repeated name gets ``#2``, ``#3``. Calls made by an
activation module itself (``nn.ReLU`` calls ``F.relu``) are left to the module's hook. Captured tensors
are copies, so a later in-place operation (``nn.ReLU(inplace=True)`` after a ``Linear``) cannot change
what was captured.
"""

from __future__ import annotations

import contextlib
import weakref
from typing import Any

from torch.overrides import TorchFunctionMode

#: Activation -> what its callouts look for: "relu" (dead units: never positive on the batch), "sigmoid"
#: (saturated below 0.01 / above 0.99), "tanh" (|a| > 0.99), "relu6" (dead, and saturated at >= 6).
FAMILY = {
    "relu": "relu", "relu6": "relu6", "leaky_relu": "relu", "rrelu": "relu", "elu": "relu", "selu": "relu",
    "celu": "relu", "gelu": "relu", "silu": "relu", "mish": "relu", "hardswish": "relu",
    "sigmoid": "sigmoid", "hardsigmoid": "sigmoid", "tanh": "tanh", "hardtanh": "tanh", "softsign": "tanh",
}
MODULES = {
    "ReLU": "relu", "ReLU6": "relu6", "LeakyReLU": "leaky_relu", "RReLU": "rrelu", "ELU": "elu", "SELU": "selu",
    "CELU": "celu", "GELU": "gelu", "SiLU": "silu", "Mish": "mish", "Hardswish": "hardswish", "Sigmoid": "sigmoid",
    "Hardsigmoid": "hardsigmoid", "Tanh": "tanh", "Hardtanh": "hardtanh", "Softsign": "softsign",
}


def family(kind: str) -> str | None:
    """The callout family of a module class name (``ReLU``) or function name (``relu``, ``relu_``)."""
    return FAMILY.get(MODULES.get(kind, kind.rstrip("_")))


def copy_of(tensor: Any) -> Any:
    import torch

    return tensor.detach().to(device="cpu", dtype=torch.float32, copy=True)


class ActivationCalls(TorchFunctionMode):
    """While active (``with``), records ``(name, function, output copy)`` of every activation function call
    made during ``model``'s forward, in call order, into ``captured`` (shared with the module hooks)."""

    def __init__(self, model: Any, captured: dict[str, tuple[str, Any]]) -> None:
        super().__init__()
        self.model, self.captured = model, captured
        self._stack: list[tuple[str, Any]] = []
        self._outputs: dict[int, tuple[Any, str]] = {}  # id(module output) -> (weakref, module name)
        self._handles: list[Any] = []

    def __enter__(self) -> ActivationCalls:
        for name, module in self.model.named_modules():
            def pre(module: Any, inputs: Any, key: str = name) -> None:
                self._stack.append((key, module))

            def post(module: Any, inputs: Any, output: Any, key: str = name) -> None:
                if self._stack:
                    self._stack.pop()
                out = output[0] if isinstance(output, tuple | list) and output else output
                with contextlib.suppress(TypeError):  # not a tensor (no weak references)
                    self._outputs[id(out)] = (weakref.ref(out), key)

            self._handles += [module.register_forward_pre_hook(pre), module.register_forward_hook(post)]
        return super().__enter__()

    def __exit__(self, *exc: Any) -> None:
        super().__exit__(*exc)
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        fn = str(getattr(func, "__name__", ""))
        if family(fn) is None or not self._stack or type(self._stack[-1][1]).__name__ in MODULES:
            return out  # not an activation, outside the model, or an activation module's own call (hooked)
        import torch

        if not isinstance(out, torch.Tensor) or not out.is_floating_point():
            return out
        source = args[0] if args else None
        ref = self._outputs.get(id(source))
        owner = self._stack[-1][0] or type(self.model).__name__
        name = f"{ref[1] or type(self.model).__name__} → {fn.rstrip('_')}" if ref is not None and ref[0]() is source \
            else f"{owner}: {fn.rstrip('_')}"
        unique, k = name, 1
        while unique in self.captured:
            k += 1
            unique = f"{name} #{k}"
        self.captured[unique] = (fn.rstrip("_"), copy_of(out))
        return out
