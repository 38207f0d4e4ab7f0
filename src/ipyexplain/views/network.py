"""The NetworkDiagram view: a PyTorch model's structure, collapsible, with live per-node overlays.

The kernel traces the model into a :class:`~ipyexplain.structure.ModelGraph` and sends it as text
(ids, names, types, shapes). The browser lays it out (ELK, layered, in a Web Worker), draws it as
SVG and owns interaction: pan, zoom, expand/collapse, search, hover. Only what the user changes
comes back: ``selected_node`` and ``expanded``. An overlay is one float32 buffer aligned with the
node list: assigning a new one recolours nodes without laying the graph out again.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import traitlets as t

from .. import colormaps
from .._traits import Matrix
from .._transport import array_serialization
from ..structure.graph import ModelGraph
from ._base import View, bundle, check_keywords
from ._network_data import REDUCERS, SCALES, color_scale, default_expanded, graph_wire, resolve_overlay

_OPTIONS = {
    "depth", "overlay", "overlay_label", "overlay_reduce", "overlay_scale", "cmap", "vmin", "vmax", "title",
    "height", "max_nodes", "method",
}
_UNSET: Any = object()


class NetworkDiagram(View):
    """An interactive diagram of a model's layers and the data flowing between them.

    Parameters
    ----------
    model : torch.nn.Module or ModelGraph
        A module is traced on ``example_input`` (see :meth:`ModelGraph.from_model`).
    example_input : tensor, tuple or dict, optional
        What ``model(...)`` is called with; needed when ``model`` is a module with inputs.
    depth : int
        Containers (``Sequential``, blocks, encoder layers) nested less than this deep start
        expanded; deeper ones start collapsed. Click a container to expand or collapse it.
    max_nodes : int
        When ``depth`` would draw more nodes than this, a smaller depth is used and the widget says so.
    overlay : dict, sequence or "params", optional
        A number per node: a mapping from module path (or node id) to value, a sequence aligned
        with ``graph.nodes``, or ``"params"`` for parameter counts. Nodes are coloured by it.
    overlay_label : str
        What the overlay is, with units; labels the legend.
    overlay_reduce : {"mean", "sum", "max", "none"}
        Value of a container that has none of its own, from the values inside it.
    overlay_scale : {"linear", "log"}
        Colour scale ("params" defaults to "log").
    cmap : str, optional
        One of ``ipyexplain.colormaps.names()``; default diverging for signed values, sequential otherwise.
    vmin, vmax : float, optional
        Colour limits.
    title : str
    height : int
        Height in CSS pixels.
    method : {"auto", "fx", "hooks"}
        How a module is traced.

    Attributes
    ----------
    graph : ModelGraph
    selected_node : str or None
        Module path (or node id, for functions, inputs and outputs) of the node the user last
        clicked; observable.
    expanded : list of str
        Ids of the expanded containers; the browser updates it on clicks.
    """

    _esm = bundle("network")

    graph = t.Instance(ModelGraph, allow_none=True)  # kernel-side; set by the constructor
    depth = t.Int(1).tag(sync=True)
    max_nodes = t.Int(1500).tag(sync=True)
    expanded = t.List(t.Unicode()).tag(sync=True)
    selected_node = t.Unicode(None, allow_none=True).tag(sync=True)
    overlay: Any = t.Any(None)  # kernel-side; see _overlay
    overlay_label = t.Unicode("").tag(sync=True)
    overlay_reduce = t.Enum(REDUCERS, default_value="mean")
    overlay_scale = t.Enum(SCALES, default_value="linear").tag(sync=True)
    cmap = t.Unicode(None, allow_none=True)
    vmin = t.Float(None, allow_none=True)
    vmax = t.Float(None, allow_none=True)
    title = t.Unicode("").tag(sync=True)
    height = t.Int(560).tag(sync=True)

    # Derived state the browser draws from.
    _nodes: Any = t.List().tag(sync=True)
    _edges: Any = t.List().tag(sync=True)
    _info = t.Unicode("").tag(sync=True)
    _notice = t.Unicode("").tag(sync=True)
    _overlay = Matrix(None, allow_none=True).tag(sync=True, **array_serialization)
    _overlay_state = Matrix(None, allow_none=True).tag(sync=True, **array_serialization)
    _overlay_limits = t.List(t.Float()).tag(sync=True)
    _overlay_cmap = t.Unicode("viridis").tag(sync=True)
    _overlay_note = t.Unicode("").tag(sync=True)
    _focus: Any = t.List().tag(sync=True)  # [node id, request number]: centre on it
    _frame = t.Int(0).tag(sync=True)  # the graph's version; overlay updates keep it
    _overlay_frame = t.Int(0).tag(sync=True)
    _sent_at = t.Float(0.0).tag(sync=True)  # epoch ms when what is now sent was assigned (for latency)

    def __init__(self, model: Any, example_input: Any = None, **kwargs: Any) -> None:
        check_keywords(type(self).__name__, kwargs, _OPTIONS)
        method = kwargs.pop("method", "auto")
        graph = model if isinstance(model, ModelGraph) else ModelGraph.from_model(model, example_input, method=method)
        self._model = None if isinstance(model, ModelGraph) else model
        if kwargs.get("overlay") == "params":
            kwargs.setdefault("overlay_scale", "log")
            kwargs.setdefault("overlay_label", "parameters")
        super().__init__()
        with self.hold_sync():
            for name in ("depth", "max_nodes", "title", "height", "overlay_reduce", "overlay_scale", "cmap",
                         "vmin", "vmax", "overlay_label"):
                if name in kwargs:
                    setattr(self, name, kwargs.pop(name))
            self.graph = graph
            if "overlay" in kwargs:
                self.overlay = kwargs.pop("overlay")

    # ----------------------------------------------------------------- public API
    def update(self, graph: Any = _UNSET, example_input: Any = None, **kwargs: Any) -> None:
        """Change the graph (a ModelGraph, or a module to trace) and/or options in one message."""
        check_keywords("NetworkDiagram.update", kwargs, _OPTIONS)
        method = kwargs.pop("method", "auto")
        with self.hold_sync():
            if graph is not _UNSET:
                if not isinstance(graph, ModelGraph):
                    self._model = graph
                    graph = ModelGraph.from_model(graph, example_input, method=method)
                self.graph = graph
            overlay = kwargs.pop("overlay", _UNSET)
            for name, value in kwargs.items():
                setattr(self, name, value)
            if overlay is not _UNSET:
                self.overlay = overlay

    def focus(self, key: str) -> None:
        """Open the containers around node ``key`` (module path or node id) and centre it in view."""
        node = self._node(key)
        self.expanded = sorted(set(self.expanded) | {a.id for a in self._g.ancestors(node.id)})
        self._focus = [node.id, (self._focus[1] + 1) if self._focus else 1]

    def expand(self, *keys: str) -> None:
        """Expand containers (module paths or ids) and the containers around them."""
        ids = set(self.expanded)
        for key in keys:
            node = self._node(key)
            if node.kind != "container":
                raise ValueError(f"{key!r} is a {node.kind} node, not a container; it cannot be expanded")
            ids |= {node.id} | {a.id for a in self._g.ancestors(node.id)}
        self.expanded = sorted(ids)

    def collapse(self, *keys: str) -> None:
        """Collapse containers (module paths or ids); with no argument, collapse everything."""
        drop = {self._node(k).id for k in keys} if keys else set(self.expanded)
        self.expanded = [i for i in self.expanded if i not in drop]

    @property
    def selected_module(self) -> Any:
        """The ``torch.nn.Module`` of the selected node, when a module was traced and one is selected."""
        if self._model is None or not self.selected_node:
            return None
        try:
            return self._model.get_submodule(self.selected_node)
        except AttributeError:
            return None

    @property
    def _g(self) -> ModelGraph:
        assert self.graph is not None, "set in the constructor"
        return self.graph

    def _node(self, key: str) -> Any:
        hits = self._g.find(key)
        if not hits:
            raise KeyError(f"no node or module path {key!r} in the graph of {self._g.model_type}")
        return hits[0]

    # ----------------------------------------------------------------- validation
    @t.validate("height")
    def _validate_height(self, proposal: dict[str, Any]) -> int:
        if proposal["value"] < 120:
            raise ValueError(f"height must be at least 120 pixels; got {proposal['value']}")
        return int(proposal["value"])

    @t.validate("depth", "max_nodes")
    def _validate_counts(self, proposal: dict[str, Any]) -> int:
        name = proposal["trait"].name
        if proposal["value"] < (0 if name == "depth" else 1):
            raise ValueError(f"{name} must be {'>= 0' if name == 'depth' else '>= 1'}; got {proposal['value']}")
        return int(proposal["value"])

    @t.validate("cmap")
    def _validate_cmap(self, proposal: dict[str, Any]) -> str | None:
        name = proposal["value"]
        return None if name is None else colormaps.checked(name)

    @t.validate("overlay")
    def _validate_overlay(self, proposal: dict[str, Any]) -> Any:
        if self.graph is not None:  # a bad overlay is refused before it replaces the current one
            resolve_overlay(self.graph, proposal["value"], self.overlay_reduce)
        return proposal["value"]

    @t.validate("selected_node")
    def _validate_selected(self, proposal: dict[str, Any]) -> str | None:
        key = proposal["value"]
        if not key:
            return None
        if self.graph is not None and not self.graph.find(key):
            raise ValueError(f"selected_node must be a module path or node id of the graph; got {key!r}")
        return str(key)

    @t.validate("expanded")
    def _validate_expanded(self, proposal: dict[str, Any]) -> list[str]:
        if self.graph is None:
            return list(proposal["value"])
        return [i for i in proposal["value"] if i in self.graph and self.graph.node(i).kind == "container"]

    # ----------------------------------------------------------------- derived state
    @t.observe("graph")
    def _on_graph(self, change: dict[str, Any]) -> None:
        graph: ModelGraph = change["new"]
        stamp = time.time() * 1000.0
        with self.hold_sync():
            self._nodes, self._edges = graph_wire(graph)
            notes = " · ".join(graph.notes)
            self._info = (
                f"{graph.model_type} · {len(graph.nodes):,} nodes · {graph.total_params:,} parameters · "
                f"traced with {'torch.fx' if graph.method == 'fx' else 'a recorded forward pass'}"
            ) + (f" ({notes})" if notes else "")
            self.selected_node = None
            self._apply_depth()
            if self.overlay is not None:
                self._send_overlay()
            self._frame += 1
            self._sent_at = stamp

    @t.observe("depth", "max_nodes")
    def _on_depth(self, change: dict[str, Any]) -> None:
        if self.graph is not None:
            self._apply_depth()

    def _apply_depth(self) -> None:
        expanded, _, notice = default_expanded(self._g, self.depth, self.max_nodes)
        self._notice = notice
        self.expanded = expanded

    @t.observe("overlay", "overlay_reduce", "overlay_scale", "cmap", "vmin", "vmax")
    def _on_overlay(self, change: dict[str, Any]) -> None:
        if self.graph is not None:
            self._send_overlay()

    def _send_overlay(self) -> None:
        stamp = time.time() * 1000.0
        resolved = resolve_overlay(self._g, self.overlay, self.overlay_reduce)
        with self.hold_sync():
            if resolved is None:
                self._overlay, self._overlay_state, self._overlay_limits, self._overlay_note = None, None, [], ""
            else:
                values, state, limits, cmap = color_scale(resolved, self.overlay_scale, self.cmap, self.vmin, self.vmax)
                if not self.overlay_label and resolved.label:
                    self.overlay_label = resolved.label
                self._overlay_limits = limits
                self._overlay_cmap = cmap
                missing = int(np.count_nonzero(state == 2))
                notes = [f"{missing} missing (NaN/inf{', ≤ 0 on a log scale' if self.overlay_scale == 'log' else ''})"
                         if missing else "", f"{resolved.unmatched} keys match no node" if resolved.unmatched else ""]
                self._overlay_note = " · ".join(n for n in notes if n)
                self._overlay_state = state
                self._overlay = values
            self._overlay_frame += 1
            self._sent_at = stamp


def show_structure(model: Any, example_input: Any = None, **options: Any) -> NetworkDiagram:
    """Trace ``model`` on ``example_input`` and return its :class:`NetworkDiagram`.

    The diagram's ``graph`` is the :class:`~ipyexplain.structure.ModelGraph`. Options are those of
    :class:`NetworkDiagram` (``depth``, ``overlay``, ``method``, ...). Display it as a cell's value,
    or with ``.show("sidebar")``.
    """
    options.setdefault("title", type(model).__name__ if not isinstance(model, ModelGraph) else model.model_type)
    return NetworkDiagram(model, example_input, **options)
