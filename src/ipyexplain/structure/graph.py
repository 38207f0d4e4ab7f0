"""ModelGraph: a PyTorch model's structure as plain data (nodes, edges, nesting).

What a node is
--------------
- ``"input"``: one argument of the model's ``forward`` (a tensor, or a structure of tensors).
- ``"output"``: one tensor of what ``forward`` returned (``output``, ``output[0]``, ``output['logits']``).
- ``"module"``: one call of a leaf module (a module without submodules, e.g. ``Conv2d``), or of a
  module the tracer treats as atomic (``MultiheadAttention``).
- ``"function"``: one call of a tensor function or method outside any leaf module (``add`` of a
  residual join, ``cat`` of a fusion, ``flatten``, ``matmul``).
- ``"container"``: one call of a module with submodules (a ``Sequential``, a residual block, an
  encoder layer); the nodes recorded during that call have it as their ``parent``.

A module called twice (a shared, reused module) gives two nodes with the same ``path`` and
``call`` 0 and 1; their ids differ (``"encoder"``, ``"encoder#2"``). Edges carry the shape and
dtype of the tensor flowing along them and always join non-container nodes: a container is a
box around its contents, not a node that data flows through.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

NodeKind = Literal["input", "output", "module", "function", "container"]
TraceMethod = Literal["fx", "hooks"]


@dataclass(frozen=True)
class TensorInfo:
    """Shape and dtype of one tensor."""

    shape: tuple[int, ...]
    dtype: str

    def __str__(self) -> str:
        return "×".join(str(d) for d in self.shape) if self.shape else "scalar"


@dataclass(frozen=True)
class GraphNode:
    """One node of a :class:`ModelGraph` (see the module docstring for the kinds)."""

    id: str
    kind: NodeKind
    name: str  # short display name: the last part of a module path, an op name, an argument name
    type: str  # module class name, function name, or "Tensor" for inputs and outputs
    path: str = ""  # module path (``layer1.0.conv1``) of module and container nodes; "" otherwise
    parent: str | None = None  # id of the enclosing container node
    params: int = 0  # parameters of the module (all of them, for a container); 0 for the others
    inputs: tuple[TensorInfo, ...] = ()
    outputs: tuple[TensorInfo, ...] = ()
    call: int = 0  # 0 for a module's first call, 1 for its second (shared modules)

    @property
    def key(self) -> str:
        """What a user selects: the module path for modules and containers, the id otherwise."""
        return self.path or self.id


@dataclass(frozen=True)
class GraphEdge:
    """Data flowing from ``source`` to ``target`` (node ids); ``tensor`` is what flows, if known."""

    source: str
    target: str
    tensor: TensorInfo | None = None


@dataclass(frozen=True)
class ModelGraph:
    """A traced model: nodes in execution order (containers before their contents) and edges.

    Build one with :meth:`from_model`; show one with :class:`ipyexplain.NetworkDiagram`.
    """

    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    model_type: str = ""
    method: TraceMethod = "fx"
    total_params: int = 0
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        ids = [n.id for n in self.nodes]
        if len(set(ids)) != len(ids):
            raise ValueError("ModelGraph node ids must be unique")
        known = set(ids)
        for n in self.nodes:
            if n.parent is not None and n.parent not in known:
                raise ValueError(f"node {n.id!r} has an unknown parent {n.parent!r}")
        for e in self.edges:
            if e.source not in known or e.target not in known:
                raise ValueError(f"edge {e.source!r} -> {e.target!r} joins an unknown node")

    @classmethod
    def from_model(cls, model: object, example_input: object = None, *, method: str = "auto") -> ModelGraph:
        """Trace ``model`` (a ``torch.nn.Module``) on ``example_input``.

        Parameters
        ----------
        model : torch.nn.Module
        example_input : tensor, tuple or dict
            What ``model(...)`` is called with: one tensor, a tuple of positional arguments, or a
            dict of keyword arguments (``{"image": img, "tabular": tab}``).
        method : {"auto", "fx", "hooks"}
            ``"fx"``: ``torch.fx`` symbolic tracing; ``"hooks"``: a real forward pass recorded with
            module hooks and ``__torch_function__`` (works with data-dependent control flow).
            ``"auto"`` tries fx and falls back to hooks, saying why in :attr:`notes`.
        """
        from .trace import trace_model

        return trace_model(model, example_input, method=method)

    # ----------------------------------------------------------------- queries
    @cached_property
    def _by_id(self) -> dict[str, GraphNode]:
        return {n.id: n for n in self.nodes}

    @cached_property
    def _children(self) -> dict[str | None, list[GraphNode]]:
        out: dict[str | None, list[GraphNode]] = {}
        for n in self.nodes:
            out.setdefault(n.parent, []).append(n)
        return out

    def __len__(self) -> int:
        return len(self.nodes)

    def __iter__(self) -> Iterator[GraphNode]:
        return iter(self.nodes)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._by_id

    def node(self, node_id: str) -> GraphNode:
        try:
            return self._by_id[node_id]
        except KeyError:
            raise KeyError(f"no node {node_id!r} in this graph") from None

    def children(self, node_id: str | None = None) -> list[GraphNode]:
        """Direct contents of container ``node_id``; the top level when ``None``."""
        return list(self._children.get(node_id, []))

    def descendants(self, node_id: str) -> list[GraphNode]:
        out: list[GraphNode] = []
        stack = list(reversed(self._children.get(node_id, [])))
        while stack:
            n = stack.pop()
            out.append(n)
            stack.extend(reversed(self._children.get(n.id, [])))
        return out

    def ancestors(self, node_id: str) -> list[GraphNode]:
        """Enclosing containers of ``node_id``, innermost first."""
        out = []
        parent = self.node(node_id).parent
        while parent is not None:
            node = self._by_id[parent]
            out.append(node)
            parent = node.parent
        return out

    @cached_property
    def _depths(self) -> dict[str, int]:
        depths: dict[str, int] = {}
        for n in self.nodes:  # containers come before their contents
            depths[n.id] = 0 if n.parent is None else depths.get(n.parent, self._depth_slow(n.parent)) + 1
        return depths

    def _depth_slow(self, node_id: str) -> int:
        return len(self.ancestors(node_id))

    def depth(self, node_id: str) -> int:
        """0 for top-level nodes, 1 inside one container, ..."""
        self.node(node_id)
        return self._depths[node_id]

    def find(self, key: str) -> list[GraphNode]:
        """Nodes for a module path (every call of it) or a node id."""
        hits = [n for n in self.nodes if n.path == key]
        return hits or ([self._by_id[key]] if key in self._by_id else [])

    def of_kind(self, *kinds: NodeKind) -> list[GraphNode]:
        return [n for n in self.nodes if n.kind in kinds]

    @property
    def inputs(self) -> list[GraphNode]:
        return self.of_kind("input")

    @property
    def outputs(self) -> list[GraphNode]:
        return self.of_kind("output")

    @property
    def shared_modules(self) -> list[str]:
        """Module paths called more than once (shared, reused modules)."""
        return sorted({n.path for n in self.nodes if n.call > 0})

    def predecessors(self, node_id: str) -> list[str]:
        return [e.source for e in self.edges if e.target == node_id]

    def successors(self, node_id: str) -> list[str]:
        return [e.target for e in self.edges if e.source == node_id]

    def max_depth(self) -> int:
        return max(self._depths.values(), default=0)

    def visible_count(self, depth: int) -> int:
        """How many boxes are drawn when containers nested less than ``depth`` deep are expanded."""
        return sum(1 for d in self._depths.values() if d <= depth)

    def summary(self) -> str:
        kinds = {k: len(self.of_kind(k)) for k in ("module", "function", "container")}
        return (
            f"{self.model_type or 'model'}: {len(self.nodes)} nodes ({kinds['module']} module calls, "
            f"{kinds['function']} functions, {kinds['container']} containers), {len(self.edges)} edges, "
            f"{self.total_params:,} parameters, traced with {'torch.fx' if self.method == 'fx' else 'hooks'}"
        )

    def __repr__(self) -> str:
        return f"<ModelGraph {self.summary()}>"
