"""What both tracers record (ops in execution order), and how a ModelGraph is built from it.

A tracer (``_fx.py``, ``_hooks.py``) reports each op with the container-module calls it ran inside
(its *scopes*) and which earlier ops produced its tensor inputs. This module turns that into
nodes with stable ids, container nodes for the scopes, parameter counts and edges.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .graph import GraphEdge, GraphNode, ModelGraph, NodeKind, TensorInfo, TraceMethod

# Python's operator and dunder names -> the op names users know (the same in both tracers).
_OP_NAMES = {
    "truediv": "div", "floordiv": "floordiv", "iadd": "add", "isub": "sub", "imul": "mul",
    "itruediv": "div", "radd": "add", "rsub": "sub", "rmul": "mul", "rtruediv": "div",
    "rmatmul": "matmul", "rpow": "pow", "neg": "neg", "getitem": "getitem",
}


def op_name(raw: str) -> str:
    """``__add__`` / ``operator.add`` / ``torch.add`` / ``add_`` -> ``add``; ``__rtruediv__`` -> ``div``.

    In-place and out-of-place forms draw the same: ``x += y`` is recorded by fx as ``add`` and by a
    real forward pass as ``add_``.
    """
    name = raw.strip("_") if raw.startswith("__") and raw.endswith("__") else raw
    if len(name) > 1 and name.endswith("_") and not name.startswith("_"):
        name = name[:-1]
    return _OP_NAMES.get(name, name)


@dataclass(frozen=True)
class Scope:
    """One call of a container module: ``key`` is unique per call (``layer1``, ``layer1@1``)."""

    key: str
    path: str
    type: str

    @property
    def call(self) -> int:
        return int(self.key.rsplit("@", 1)[1]) if "@" in self.key else 0


@dataclass
class Op:
    """One recorded op; ``sources`` are ``(index of the producing op, tensor)`` pairs."""

    kind: NodeKind
    name: str
    type: str
    scopes: tuple[Scope, ...] = ()
    path: str = ""
    call: int = 0
    sources: Sequence[tuple[int, TensorInfo | None]] = field(default_factory=list)
    inputs: tuple[TensorInfo, ...] = ()
    outputs: tuple[TensorInfo, ...] = ()


def tensor_info(t: Any) -> TensorInfo:
    return TensorInfo(tuple(int(d) for d in t.shape), str(t.dtype).removeprefix("torch."))


def tensors_in(value: Any) -> list[Any]:
    """Tensors in a (nested) structure of tuples, lists, dicts and dataclass-like outputs, in order."""
    import torch

    out: list[Any] = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, torch.Tensor):
            out.append(v)
        elif isinstance(v, dict):
            stack.extend(reversed(list(v.values())))
        elif isinstance(v, (list, tuple)):
            stack.extend(reversed(v))
    return out


def output_leaves(value: Any, prefix: str = "output") -> list[tuple[str, Any]]:
    """``(name, tensor)`` for each tensor a forward returned: ``output``, ``output[0]``, ``output['y']``."""
    import torch

    if isinstance(value, torch.Tensor):
        return [(prefix, value)]
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in output_leaves(v, f"{prefix}[{k!r}]")]
    if isinstance(value, (list, tuple)):
        return [leaf for i, v in enumerate(value) for leaf in output_leaves(v, f"{prefix}[{i}]")]
    return []


def _call_id(path: str, call: int) -> str:
    return path if call == 0 else f"{path}#{call + 1}"


class _Params:
    """Parameter counts per module path, each computed once."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.cache: dict[str, int] = {}

    def __call__(self, path: str) -> int:
        if path not in self.cache:
            try:
                module = self.model.get_submodule(path)
            except AttributeError:
                self.cache[path] = 0
            else:
                self.cache[path] = sum(p.numel() for p in module.parameters())
        return self.cache[path]


def build_graph(model: Any, ops: list[Op], method: TraceMethod, notes: Iterable[str] = ()) -> ModelGraph:
    """Nodes (containers first, then ops, in execution order) and de-duplicated edges."""
    ops = prune(ops)
    params = _Params(model)
    nodes: list[GraphNode] = []
    container_ids: dict[str, str] = {}  # scope key -> node id
    used: dict[str, int] = {}
    op_ids: list[str] = []

    def unique(candidate: str) -> str:
        n = used.get(candidate, 0) + 1
        used[candidate] = n
        return candidate if n == 1 else f"{candidate}#{n}"

    for op in ops:
        parent: str | None = None
        for scope in op.scopes:
            if scope.key not in container_ids:
                node_id = unique(_call_id(scope.path, scope.call))
                container_ids[scope.key] = node_id
                nodes.append(GraphNode(
                    id=node_id, kind="container", name=scope.path.rsplit(".", 1)[-1], type=scope.type,
                    path=scope.path, parent=parent, params=params(scope.path), call=scope.call,
                ))
            parent = container_ids[scope.key]
        if op.kind == "module":
            node_id = unique(_call_id(op.path, op.call))
            name = op.path.rsplit(".", 1)[-1]
        elif op.kind == "function":
            node_id = unique(f"{parent}/{op.name}" if parent else op.name)
            name = op.name
        else:
            node_id = unique(f"{op.kind}:{op.name}" if op.kind == "input" else op.name)
            name = op.name
        op_ids.append(node_id)
        nodes.append(GraphNode(
            id=node_id, kind=op.kind, name=name, type=op.type, path=op.path if op.kind == "module" else "",
            parent=parent, params=params(op.path) if op.kind == "module" else 0,
            inputs=op.inputs, outputs=op.outputs, call=op.call,
        ))
    edges: list[GraphEdge] = []
    seen: set[tuple[str, str]] = set()
    for index, op in enumerate(ops):
        for source, tensor in op.sources:
            if not 0 <= source < index:
                raise AssertionError(f"op {index} ({op.name}) reads from op {source}, which is not earlier")
            pair = (op_ids[source], op_ids[index])
            if pair not in seen:
                seen.add(pair)
                edges.append(GraphEdge(pair[0], pair[1], tensor))
    return ModelGraph(
        nodes=tuple(nodes), edges=tuple(edges), model_type=type(model).__name__, method=method,
        total_params=sum(p.numel() for p in model.parameters()), notes=tuple(notes),
    )


def prune(ops: list[Op]) -> list[Op]:
    """Drop function ops whose result nothing used: a constant made and never read, the comparison
    behind an ``if`` (the branch taken is what the trace shows), a norm computed only for a test.
    Repeated until nothing changes, so the chain that fed only such an op goes too."""
    keep_set = set(range(len(ops)))
    while True:
        used = {source for i in keep_set for source, _ in ops[i].sources}
        dead = {i for i in keep_set if ops[i].kind == "function" and i not in used}
        if not dead:
            break
        keep_set -= dead
    keep = sorted(keep_set)
    if len(keep) == len(ops):
        return ops
    new_index = {old: new for new, old in enumerate(keep)}
    out = []
    for i in keep:
        op = ops[i]
        op.sources = [(new_index[s], t) for s, t in op.sources if s in new_index]
        out.append(op)
    return out
