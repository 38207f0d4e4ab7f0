"""torch.fx symbolic tracing -> ops for the graph builder.

The tracer goes into every module that has submodules and stops at leaf modules (and at modules
it cannot see into, such as ``MultiheadAttention``). ``nn_module_stack``, which fx records on each
node, gives the containers an op ran inside. The traced graph is then run once on the example
input (an ``fx.Interpreter``) for the shapes and dtypes of every tensor.
"""

from __future__ import annotations

from typing import Any

from ._builder import Op, Scope, op_name, tensor_info, tensors_in
from ._inputs import BoundInputs
from .graph import TensorInfo


class FxUnsupported(Exception):
    """fx could not trace or replay this model; the caller falls back to tracing a real forward pass."""


def _atomic_types() -> tuple[type, ...]:
    import torch.nn as nn

    # Their forward has control flow on shapes and flags that a symbolic trace cannot follow.
    return (nn.MultiheadAttention,)


def is_leaf(module: Any) -> bool:
    return isinstance(module, _atomic_types()) or next(module.children(), None) is None


def _tracer_class() -> Any:
    import torch.fx as fx

    class LeafTracer(fx.Tracer):
        def is_leaf_module(self, m: Any, module_qualified_name: str) -> bool:
            return is_leaf(m)

    return LeafTracer


def _qualified(target: Any, op: str) -> tuple[str, str]:
    """(display name, qualified name) of a call_function / call_method target."""
    if op == "call_method":
        return op_name(str(target)), f"Tensor.{target}"
    raw = getattr(target, "__name__", str(target))
    module = getattr(target, "__module__", None) or ""
    module = {"_operator": "operator", "torch._C._nn": "torch.nn.functional",
              "torch._C._VariableFunctions": "torch"}.get(module, module)
    return op_name(raw), f"{module}.{raw}" if module else raw


def trace_fx(model: Any, bound: BoundInputs) -> tuple[list[Op], Any]:
    """Ops of ``model`` on ``bound`` and the model's output, or ``FxUnsupported`` saying why not."""
    import torch.fx as fx

    tracer = _tracer_class()()
    try:
        graph = tracer.trace(model, concrete_args=dict(bound.defaults) or None)
        module = fx.GraphModule(tracer.root, graph)
    except Exception as exc:
        raise FxUnsupported(f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}") from exc
    placeholders = [n for n in graph.nodes if n.op == "placeholder"]
    values = list(bound.given.values()) + list(bound.defaults.values())
    if len(placeholders) != len(values):
        raise FxUnsupported(f"{len(placeholders)} traced inputs for {len(values)} arguments")
    names = list(bound.given) + list(bound.defaults)
    order = {name: i for i, name in enumerate(names)}
    # fx orders placeholders like forward's parameters; given and defaulted ones may interleave.
    ordered = _parameter_order(model, names)
    run_args = [values[order[name]] for name in ordered]

    recorded: dict[Any, Any] = {}

    class Recorder(fx.Interpreter):
        def run_node(self, n: Any) -> Any:
            value = super().run_node(n)
            recorded[n] = value
            return value

    try:
        output = Recorder(module).run(*run_args)
    except Exception as exc:
        raise FxUnsupported(f"replaying the traced graph failed: {type(exc).__name__}: {exc}") from exc
    return _ops(graph, recorded, ordered, set(bound.given)), output


def _parameter_order(model: Any, names: list[str]) -> list[str]:
    import inspect

    try:
        params = list(inspect.signature(model.forward).parameters)
    except (TypeError, ValueError):
        return names
    return [p for p in params if p in names] + [n for n in names if n not in params]


def _scopes(node: Any, drop_last_if: str | None = None) -> tuple[Scope, ...]:
    stack = list((node.meta.get("nn_module_stack") or {}).items())
    scopes = [Scope(key, path, getattr(cls, "__name__", str(cls))) for key, (path, cls) in stack]
    if drop_last_if is not None and scopes and scopes[-1].path == drop_last_if:
        scopes.pop()  # a leaf module's own entry
    return tuple(scopes)


def _info(value: Any) -> TensorInfo | None:
    import torch

    return tensor_info(value) if isinstance(value, torch.Tensor) else None


def _ops(graph: Any, values: dict[Any, Any], names: list[str], given: set[str]) -> list[Op]:
    """One op per fx node that makes tensors; aliases (``getitem`` of a tuple) point at their source."""
    import torch

    ops: list[Op] = []
    producer: dict[Any, int] = {}  # fx node -> index of the op whose output it is (or aliases)

    def sources(node: Any) -> list[tuple[int, TensorInfo | None]]:
        return [(producer[i], _info(values.get(i))) for i in node.all_input_nodes if i in producer]

    arg_index = 0
    for node in graph.nodes:
        value = values.get(node)
        outs = tuple(tensor_info(t) for t in tensors_in(value))
        if node.op == "placeholder":
            name = names[arg_index] if arg_index < len(names) else str(node.target)
            arg_index += 1
            if outs and name in given:
                producer[node] = len(ops)
                ops.append(Op("input", name, "Tensor", outputs=outs))
        elif node.op == "call_module":
            path = str(node.target)
            scopes = _scopes(node, drop_last_if=path)
            own = list(node.meta.get("nn_module_stack") or {})
            call = int(own[-1].rsplit("@", 1)[1]) if own and "@" in own[-1] else 0
            module = graph.owning_module.get_submodule(path) if graph.owning_module else None
            producer[node] = len(ops)
            ins = tuple(_info(values.get(i)) for i in node.all_input_nodes)
            ops.append(Op(
                "module", path.rsplit(".", 1)[-1], type(module).__name__ if module is not None else "Module",
                scopes=scopes, path=path, call=call, sources=sources(node),
                inputs=tuple(i for i in ins if i is not None), outputs=outs,
            ))
        elif node.op in ("call_function", "call_method"):
            name, qualified = _qualified(node.target, node.op)
            first = node.args[0] if node.args else None
            source_value = values.get(first) if isinstance(first, type(node)) else None
            if name == "getitem" and source_value is not None and not isinstance(source_value, torch.Tensor):
                if first in producer:  # an item of a module's tuple output: the same node
                    producer[node] = producer[first]
                continue
            if not outs:
                continue  # sizes, flags, asserts
            producer[node] = len(ops)
            ins = tuple(_info(values.get(i)) for i in node.all_input_nodes)
            ops.append(Op(
                "function", name, qualified, scopes=_scopes(node), sources=sources(node),
                inputs=tuple(i for i in ins if i is not None), outputs=outs,
            ))
        elif node.op == "output":
            ops.extend(_outputs(node.args[0], values, producer))
    return ops


def _outputs(structure: Any, values: dict[Any, Any], producer: dict[Any, int], prefix: str = "output") -> list[Op]:
    import torch
    import torch.fx as fx

    if isinstance(structure, fx.Node):
        value = values.get(structure)
        if isinstance(value, torch.Tensor):
            info = tensor_info(value)
            src = [(producer[structure], info)] if structure in producer else []
            return [Op("output", prefix, "Tensor", sources=src, inputs=(info,), outputs=(info,))]
        if isinstance(value, (tuple, list, dict)):  # a node returning a structure (a module's tuple)
            leaves = []
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(item, torch.Tensor):
                    info = tensor_info(item)
                    src = [(producer[structure], info)] if structure in producer else []
                    leaves.append(Op("output", f"{prefix}[{key!r}]", "Tensor", sources=src, inputs=(info,),
                                     outputs=(info,)))
            return leaves
        return []
    if isinstance(structure, dict):
        return [op for k, v in structure.items() for op in _outputs(v, values, producer, f"{prefix}[{k!r}]")]
    if isinstance(structure, (list, tuple)):
        return [op for i, v in enumerate(structure) for op in _outputs(v, values, producer, f"{prefix}[{i}]")]
    return []
