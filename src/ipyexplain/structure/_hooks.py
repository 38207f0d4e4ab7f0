"""Tracing a real forward pass: module hooks for the nesting, ``__torch_function__`` for the ops.

Works on any model that runs (data-dependent branches and loops, dynamic shapes): it records
what this one forward pass did. Each module gets a pre- and a post-hook: a module with
submodules opens a scope (a container), a leaf module becomes one op whose inputs are the tensors
it was called with. A ``TorchFunctionMode`` sees every torch function and tensor method called
outside leaf modules; those that return tensors become function ops. Data flow is followed by
tensor identity (every tensor seen is kept alive until the trace ends, so ids are not reused).

When the model raises, the stack of module calls still open says where: the error names that
module's path and type and the shapes it was given.
"""

from __future__ import annotations

from typing import Any

from ._builder import Op, Scope, op_name, output_leaves, tensor_info, tensors_in
from ._fx import is_leaf
from ._inputs import BoundInputs, ModelRunError
from .graph import TensorInfo


def _function_names(func: Any) -> tuple[str, str]:
    raw = getattr(func, "__name__", None) or str(func)
    if raw == "__get__":  # a property such as Tensor.T or Tensor.mT
        raw = getattr(getattr(func, "__self__", None), "__name__", raw)
    owner = getattr(func, "__objclass__", None) or getattr(func, "__self__", None)
    if isinstance(owner, type):
        return op_name(raw), f"{'Tensor' if owner.__name__ == 'TensorBase' else owner.__name__}.{raw}"
    module = getattr(func, "__module__", None) or ""
    module = {"torch._C._nn": "torch.nn.functional", "torch._C._VariableFunctions": "torch",
              "torch._tensor": "Tensor"}.get(module, module)
    return op_name(raw), f"{module}.{raw}" if module else raw


class _Recorder:
    def __init__(self, model: Any) -> None:
        self.model = model
        self.ops: list[Op] = []
        self.producer: dict[int, tuple[int, Any]] = {}  # id(tensor) -> (op index, the tensor, kept alive)
        self.scopes: list[Scope] = []
        self.calls: dict[str, int] = {}
        self.frames: list[tuple[str, str, tuple[TensorInfo, ...]]] = []  # open module calls, for errors
        self.leaf_depth = 0
        self.leaf_sources: list[tuple[list[tuple[int, TensorInfo | None]], tuple[TensorInfo, ...]]] = []
        self.busy = False

    # ------------------------------------------------------------------ recording
    def sources_of(self, value: Any) -> tuple[list[tuple[int, TensorInfo | None]], tuple[TensorInfo, ...]]:
        tensors = tensors_in(value)
        infos = tuple(tensor_info(t) for t in tensors)
        return [(self.producer[id(t)][0], info) for t, info in zip(tensors, infos, strict=True)
                if id(t) in self.producer], infos

    def produce(self, op: Op, value: Any) -> None:
        index = len(self.ops)
        self.ops.append(op)
        for t in tensors_in(value):
            self.producer[id(t)] = (index, t)

    def record_function(self, func: Any, args: Any, kwargs: Any, out: Any) -> None:
        outs = tensors_in(out)
        if not outs:
            return  # sizes, dtypes, flags
        sources, infos = self.sources_of((args, kwargs))
        name, qualified = _function_names(func)
        self.produce(Op("function", name, qualified, scopes=tuple(self.scopes), sources=sources, inputs=infos,
                        outputs=tuple(tensor_info(t) for t in outs)), out)

    # ------------------------------------------------------------------ module hooks
    def pre(self, path: str, module: Any, args: Any, kwargs: Any) -> None:
        self.busy = True
        try:
            sources, infos = self.sources_of((args, kwargs))
            self.frames.append((path, type(module).__name__, infos))
            if self.leaf_depth > 0:
                self.leaf_depth += 1  # a submodule of an atomic module: part of that one op
            elif is_leaf(module):
                self.leaf_depth = 1
                self.leaf_sources.append((sources, infos))
            else:
                call = self.calls.get(path, 0)
                self.calls[path] = call + 1
                self.scopes.append(Scope(path if call == 0 else f"{path}@{call}", path, type(module).__name__))
        finally:
            self.busy = False

    def post(self, path: str, module: Any, output: Any) -> None:
        self.busy = True
        try:
            self.frames.pop()
            if self.leaf_depth > 1:
                self.leaf_depth -= 1
            elif self.leaf_depth == 1:
                self.leaf_depth = 0
                sources, infos = self.leaf_sources.pop()
                call = self.calls.get(path, 0)
                self.calls[path] = call + 1
                op = Op("module", path.rsplit(".", 1)[-1], type(module).__name__, scopes=tuple(self.scopes),
                        path=path, call=call, sources=sources, inputs=infos,
                        outputs=tuple(tensor_info(t) for t in tensors_in(output)))
                self.produce(op, output)
            else:
                self.scopes.pop()
        finally:
            self.busy = False


def _mode_class() -> Any:
    from torch.overrides import TorchFunctionMode

    class Mode(TorchFunctionMode):
        def __init__(self, recorder: _Recorder) -> None:
            super().__init__()
            self.recorder = recorder

        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            rec = self.recorder
            if not rec.busy and rec.leaf_depth == 0:
                rec.busy = True
                try:
                    rec.record_function(func, args, kwargs, out)
                finally:
                    rec.busy = False
            return out

    return Mode


def run_located(model: Any, bound: BoundInputs, recorder: _Recorder | None = None) -> Any:
    """``model(*args, **kwargs)``; an exception becomes a ``ModelRunError`` naming the module it came from."""
    rec = recorder or _Recorder(model)
    handles = []
    try:
        if recorder is None:  # only locate errors: a stack of open module calls
            for path, module in model.named_modules():
                if module is model:
                    continue
                handles.append(module.register_forward_pre_hook(
                    lambda m, a, k, p=path: rec.frames.append(
                        (p, type(m).__name__, tuple(tensor_info(t) for t in tensors_in((a, k))))),
                    with_kwargs=True))
                handles.append(module.register_forward_hook(lambda m, a, o: rec.frames.pop()))
        return model(*bound.args, **bound.kwargs)
    except Exception as exc:
        raise _located(model, bound, rec, exc) from exc
    finally:
        for h in handles:
            h.remove()


def _located(model: Any, bound: BoundInputs, rec: _Recorder, exc: Exception) -> ModelRunError:
    given = ", ".join(
        f"{name}: {'×'.join(map(str, t.shape))}" for name, v in bound.given.items() for t in tensors_in(v)[:1]
    )
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if rec.frames:
        path, type_name, infos = rec.frames[-1]
        shapes = ", ".join(str(i) for i in infos) or "no tensors"
        return ModelRunError(
            f"{type(model).__name__} failed in module '{path}' ({type_name}), called with {shapes}: "
            f"{type(exc).__name__}: {first} [example input: {given or 'none'}]",
            path, type_name,
        )
    return ModelRunError(
        f"{type(model).__name__}.forward failed (outside any submodule): {type(exc).__name__}: {first} "
        f"[example input: {given or 'none'}]",
        "", type(model).__name__,
    )


def trace_hooks(model: Any, bound: BoundInputs) -> tuple[list[Op], Any]:
    """Ops of one real forward pass of ``model`` on ``bound``, and its output."""
    rec = _Recorder(model)
    for name, value in bound.given.items():
        outs = tuple(tensor_info(t) for t in tensors_in(value))
        if outs:
            rec.produce(Op("input", name, "Tensor", outputs=outs), value)
    handles = []
    try:
        for path, module in model.named_modules():
            if module is model:
                continue
            handles.append(module.register_forward_pre_hook(
                lambda m, a, k, p=path: rec.pre(p, m, a, k), with_kwargs=True))
            handles.append(module.register_forward_hook(lambda m, a, o, p=path: rec.post(p, m, o)))
        with _mode_class()(rec):
            output = run_located(model, bound, rec)
    finally:
        for h in handles:
            h.remove()
    for name, tensor in output_leaves(output):
        info = tensor_info(tensor)
        src = [(rec.producer[id(tensor)][0], info)] if id(tensor) in rec.producer else []
        rec.ops.append(Op("output", name, "Tensor", sources=src, inputs=(info,), outputs=(info,)))
    return rec.ops, output
