"""What the NetworkDiagram sends: the graph as text (ids, names, shapes), overlays as numbers.

Graph structure travels as JSON lists of strings; every per-node number (the overlay) travels as
one float32 buffer aligned with the node list, through ``_transport.array_serialization``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import colormaps
from ..structure.graph import ModelGraph, TensorInfo

REDUCERS = ("none", "sum", "mean", "max")
SCALES = ("linear", "log")


def compact_count(n: int) -> str:
    """12 -> "12", 9_472 -> "9.5k", 2_100_000 -> "2.1M"."""
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= size:
            value = n / size
            return f"{value:.0f}{suffix}" if value >= 100 else f"{value:.1f}{suffix}"
    return str(n)


def _shapes(infos: tuple[TensorInfo, ...]) -> str:
    text = ", ".join(str(i) for i in infos[:4])
    return text + (f", … (+{len(infos) - 4})" if len(infos) > 4 else "")


def graph_wire(graph: ModelGraph) -> tuple[list[list[str]], list[list[str]]]:
    """``(nodes, edges)`` as lists of strings.

    A node is ``[id, parent, kind, name, type, key, output shapes, input shapes, params (compact),
    params (exact), dtype]``; an edge is ``[source, target, shape]``.
    """
    outs, ins = _container_io(graph)
    nodes = [
        [
            n.id, n.parent or "", n.kind, n.name, n.type, n.key,
            _shapes(n.outputs) if n.kind != "container" else _shapes(tuple(outs.get(n.id, {}))),
            _shapes(n.inputs) if n.kind != "container" else _shapes(tuple(ins.get(n.id, {}))),
            compact_count(n.params) if n.params else "", f"{n.params:,}" if n.params else "",
            ", ".join(sorted({o.dtype for o in n.outputs})),
        ]
        for n in graph.nodes
    ]
    edges = [[e.source, e.target, str(e.tensor) if e.tensor is not None else ""] for e in graph.edges]
    return nodes, edges


def _container_io(graph: ModelGraph) -> tuple[dict[str, dict[TensorInfo, None]], dict[str, dict[TensorInfo, None]]]:
    """Tensors leaving and entering each container (edges that cross its border), in order, distinct."""
    outs: dict[str, dict[TensorInfo, None]] = {}
    ins: dict[str, dict[TensorInfo, None]] = {}
    lineage = {n.id: {a.id for a in graph.ancestors(n.id)} for n in graph.nodes}
    for e in graph.edges:
        if e.tensor is None:
            continue
        src, dst = lineage[e.source], lineage[e.target]
        for c in src - dst:
            outs.setdefault(c, {})[e.tensor] = None
        for c in dst - src:
            ins.setdefault(c, {})[e.tensor] = None
    return outs, ins


def default_expanded(graph: ModelGraph, depth: int, max_nodes: int) -> tuple[list[str], int, str]:
    """Containers to open so that those nested less than ``depth`` deep show their contents.

    Returns ``(expanded ids, depth used, notice)``. When that would draw more than ``max_nodes``
    boxes the depth is lowered until it fits, and the notice says so.
    """
    used = max(0, depth)
    while used > 0 and graph.visible_count(used) > max_nodes:
        used -= 1
    notice = ""
    if used < depth and graph.visible_count(depth) > max_nodes:
        notice = (
            f"{graph.visible_count(depth):,} nodes are too many to draw at depth {depth} "
            f"(max_nodes={max_nodes:,}): collapsed to depth {used}. Click a block to open it."
        )
    elif graph.visible_count(used) > max_nodes:
        notice = f"{graph.visible_count(used):,} nodes at the top level: more than max_nodes={max_nodes:,}."
    expanded = [n.id for n in graph.of_kind("container") if graph.depth(n.id) < used]
    return expanded, used, notice


@dataclass(frozen=True)
class Overlay:
    values: np.ndarray  # float64, one per node, NaN where none
    given: np.ndarray  # bool, one per node: a value was given (or reduced) for it, finite or not
    unmatched: int  # keys that matched no node
    label: str


def _as_float(value: Any, key: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"overlay value for {key!r} must be a real number; got {type(value).__name__}") from None


def resolve_overlay(graph: ModelGraph, overlay: Any, reduce: str) -> Overlay | None:
    """Per-node values from ``overlay``: ``"params"``, a mapping (module path or node id -> number)
    or a sequence aligned with ``graph.nodes``. Containers without a value of their own get the
    ``reduce`` (sum, mean or max) of the values inside them, unless ``reduce="none"``."""
    if overlay is None:
        return None
    n = len(graph.nodes)
    values = np.full(n, np.nan)
    index = {node.id: i for i, node in enumerate(graph.nodes)}
    by_key: dict[str, list[int]] = {}
    for i, node in enumerate(graph.nodes):
        by_key.setdefault(node.key, []).append(i)
        if node.key != node.id:
            by_key.setdefault(node.id, []).append(i)
    given = np.zeros(n, dtype=bool)
    unmatched = 0
    if isinstance(overlay, str):
        if overlay != "params":
            raise ValueError(f"overlay as a string must be 'params'; got {overlay!r} (or pass a dict path -> value)")
        for i, node in enumerate(graph.nodes):
            if node.params > 0:
                values[i] = node.params
        return Overlay(values, values > 0, 0, "parameters")
    if isinstance(overlay, Mapping) or hasattr(overlay, "items"):
        items = list(overlay.items())
        for key, value in items:
            hits = by_key.get(str(key))
            if hits is None:
                unmatched += 1
                continue
            values[hits] = _as_float(value, str(key))
            given[hits] = True
        if items and unmatched == len(items):
            sample = ", ".join(repr(str(k)) for k, _ in items[:3])
            known = ", ".join(repr(k) for k in list(by_key)[:4])
            raise ValueError(f"no overlay key matches a node of the graph (got {sample}, …; keys are module "
                             f"paths or node ids such as {known})")
    else:
        array = np.asarray(overlay, dtype=np.float64)
        if array.shape != (n,):
            raise ValueError(
                f"overlay as an array must have one value per graph node, shape ({n},); got shape {array.shape}; "
                "or pass a dict mapping module paths to values"
            )
        values = array.copy()
        given[:] = True
    if reduce != "none":
        _fill_containers(graph, values, given, index, reduce)
    return Overlay(values, given, unmatched, "")


def _fill_containers(graph: ModelGraph, values: np.ndarray, given: np.ndarray, index: dict[str, int],
                     reduce: str) -> None:
    inner: dict[str, list[float]] = {}
    for i, node in enumerate(graph.nodes):
        if node.kind == "container" or not math.isfinite(values[i]):
            continue
        for anc in graph.ancestors(node.id):
            inner.setdefault(anc.id, []).append(float(values[i]))
    for cid, vals in inner.items():
        i = index[cid]
        if not given[i]:
            given[i] = True
            a = np.asarray(vals)
            values[i] = a.sum() if reduce == "sum" else a.mean() if reduce == "mean" else a.max()


def color_scale(overlay: Overlay, scale: str, cmap: str | None, vmin: float | None,
                vmax: float | None) -> tuple[np.ndarray, np.ndarray, list[float], str]:
    """``(values, state, [vmin, vmax], colormap)`` for the browser.

    ``state`` is 0 for a node without a value (drawn plain), 1 for a coloured one, 2 for a value
    that is NaN or infinite, or not positive on a log scale (drawn in the "missing" colour).
    """
    shown = overlay.values.copy()
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(shown) | ((shown <= 0) if scale == "log" else False)
    state = np.where(overlay.given, np.where(bad, 2, 1), 0).astype(np.uint8)
    shown[state != 1] = np.nan
    finite = shown[state == 1]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (1.0, 10.0)
    signed = scale == "linear" and lo < 0 < hi
    if signed:
        bound = max(abs(lo), abs(hi))
        lo, hi = -bound, bound
    lo = float(vmin) if vmin is not None else lo
    hi = float(vmax) if vmax is not None else hi
    if scale == "log" and lo <= 0:
        raise ValueError(f"a log overlay scale needs vmin > 0; got {lo}")
    if lo >= hi:
        pad = abs(lo) * 0.5 or 1.0
        lo, hi = (lo / 10, lo * 10) if scale == "log" else (lo - pad, lo + pad)
    name = cmap or colormaps.default(signed or (lo < 0 < hi))
    return shown, state, [lo, hi], name
