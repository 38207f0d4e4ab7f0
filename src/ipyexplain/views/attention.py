"""AttentionView: a transformer's attention as a token x token heatmap, with layer / head selectors,
an overview of every head as thumbnails, and hover that highlights the tokens a query attends to.

The kernel keeps every layer's weights; the browser gets the thumbnails (each head pooled to at most
``thumb_px`` cells a side) once, and the full matrix of the selected layer and head (or the mean over
the layer's heads) whenever the selection changes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets as t

from .. import colormaps
from .._pooling import pool
from .._traits import Matrix
from .._transport import array_serialization
from ._base import View, bundle, check_keywords

_OPTIONS = {"tokens", "key_tokens", "layer_names", "layer", "head", "sample", "title", "cmap", "thumb_px", "scale"}
MEAN = -1  # head index meaning "mean over the layer's heads"


def _maps_of(maps: Any, tokens: Any, key_tokens: Any, layer_names: Any) -> tuple[np.ndarray, list[list[str]],
                                                                                 list[list[str]], list[str]]:
    from ..backends.attention import AttentionMaps

    if isinstance(maps, AttentionMaps):
        weights = maps.weights
        tokens = tokens if tokens is not None else maps.tokens
        key_tokens = key_tokens if key_tokens is not None else maps.key_tokens
        layer_names = layer_names if layer_names is not None else maps.layer_names
    else:
        if hasattr(maps, "detach"):
            maps = maps.detach().cpu().numpy()
        if isinstance(maps, (tuple, list)):  # Hugging Face's .attentions: one (N, heads, T, S) per layer
            maps = np.stack([m.detach().cpu().numpy() if hasattr(m, "detach") else np.asarray(m) for m in maps], 1)
        weights = np.asarray(maps, dtype=np.float32)
        if weights.ndim == 4:
            weights = weights[None]
        if weights.ndim != 5:
            raise ValueError(f"attention weights must be (layers, heads, queries, keys) or (N, layers, heads, "
                             f"queries, keys); got shape {weights.shape}")
    n, layers, _, queries, keys = weights.shape

    def rows(given: Any, length: int, what: str) -> list[list[str]]:
        if given is None:
            return [[str(i) for i in range(length)] for _ in range(n)]
        out = [given] if given and isinstance(given[0], str) else list(given)
        if len(out) == 1 and n > 1:
            out = out * n
        if len(out) != n or any(len(r) != length for r in out):
            raise ValueError(f"{what} must give {length} strings for each of the {n} samples")
        return [[str(s) for s in r] for r in out]

    names = [str(v) for v in layer_names] if layer_names is not None else [f"layer {i}" for i in range(layers)]
    if len(names) != layers:
        raise ValueError(f"{len(names)} layer_names for {layers} layers")
    queries_tok = rows(tokens, queries, "tokens")
    keys_tok = queries_tok if key_tokens is None and queries == keys else rows(key_tokens, keys, "key_tokens")
    return weights.astype(np.float32, copy=False), queries_tok, keys_tok, names


class AttentionView(View):
    """Attention weights: token x token heatmap of one layer and head, selectors, and a head overview.

    Parameters
    ----------
    maps : AttentionMaps, array or sequence of tensors
        From :func:`ipyexplain.backends.attention.attention`, an array ``(N, layers, heads, queries,
        keys)`` (or without ``N``), or a Hugging Face ``outputs.attentions`` tuple.
    tokens, key_tokens : optional
        Token strings per sample (queries; keys when they differ).
    layer_names : sequence of str, optional
    layer, head, sample : int
        The selection (``head=-1``: the mean over the layer's heads); selectors in the widget.
    cmap : str
        A sequential colormap (``"viridis"``).
    scale : {"matrix", "fixed"}
        Colour limit: each matrix's own maximum (default; weak heads stay visible) or 0-1.
    thumb_px : int
        Cells per side of a head's thumbnail at most.
    """

    _esm = bundle("attention")

    layer = t.Int(0).tag(sync=True)
    head = t.Int(0).tag(sync=True)
    sample = t.Int(0).tag(sync=True)
    title = t.Unicode("").tag(sync=True)
    cmap = t.Unicode("viridis").tag(sync=True)
    scale = t.Enum(("matrix", "fixed"), default_value="matrix").tag(sync=True)
    thumb_px = t.Int(32)

    _matrix = Matrix(None, allow_none=True).tag(sync=True, **array_serialization)
    _thumbs = Matrix(None, allow_none=True).tag(sync=True, **array_serialization)
    _tokens = t.List(t.Unicode()).tag(sync=True)
    _key_tokens = t.List(t.Unicode()).tag(sync=True)
    _layer_names = t.List(t.Unicode()).tag(sync=True)
    _n_heads = t.Int(0).tag(sync=True)
    _n_samples = t.Int(0).tag(sync=True)
    _source = t.Unicode("").tag(sync=True)
    _frame = t.Int(0).tag(sync=True)

    def __init__(self, maps: Any, **kwargs: Any) -> None:
        check_keywords(type(self).__name__, kwargs, _OPTIONS)
        tokens, key_tokens, names = kwargs.pop("tokens", None), kwargs.pop("key_tokens", None), kwargs.pop(
            "layer_names", None)
        self._weights, self._queries, self._keys, layer_names = _maps_of(maps, tokens, key_tokens, names)
        super().__init__()
        with self.hold_sync():
            self._source = getattr(maps, "source", "")
            self._layer_names = layer_names
            self._n_heads = int(self._weights.shape[2])
            self._n_samples = int(self._weights.shape[0])
            for name, value in kwargs.items():
                setattr(self, name, value)
            self._send_sample()

    @property
    def weights(self) -> np.ndarray:
        """All weights, (N, layers, heads, queries, keys)."""
        return self._weights

    def matrix(self) -> np.ndarray:
        """The selected matrix (queries x keys)."""
        w = self._weights[self.sample, self.layer]
        return w.mean(axis=0) if self.head == MEAN else w[self.head]

    @t.validate("layer")
    def _validate_layer(self, proposal: dict[str, Any]) -> int:
        return self._index(proposal["value"], self._weights.shape[1], "layer")

    @t.validate("sample")
    def _validate_sample(self, proposal: dict[str, Any]) -> int:
        return self._index(proposal["value"], self._weights.shape[0], "sample")

    @t.validate("head")
    def _validate_head(self, proposal: dict[str, Any]) -> int:
        value = int(proposal["value"])
        if value == MEAN:
            return MEAN
        return self._index(value, self._weights.shape[2], "head (or -1 for the mean over heads)")

    @staticmethod
    def _index(value: Any, n: int, what: str) -> int:
        i = int(value)
        if not 0 <= i < n:
            raise ValueError(f"{what} must be in 0..{n - 1}; got {value}")
        return i

    @t.validate("cmap")
    def _validate_cmap(self, proposal: dict[str, Any]) -> str:
        valid = [n for n in colormaps.names() if colormaps.kind(n) == "sequential"]
        if proposal["value"] not in valid:
            raise ValueError(f"cmap must be a sequential colormap, one of {valid}; got {proposal['value']!r}")
        return str(proposal["value"])

    @t.observe("layer", "head")
    def _on_selection(self, change: dict[str, Any]) -> None:
        if hasattr(self, "_weights"):
            self._send_matrix()

    @t.observe("sample", "thumb_px")
    def _on_sample(self, change: dict[str, Any]) -> None:
        if hasattr(self, "_weights"):
            self._send_sample()

    def _send_matrix(self) -> None:
        with self.hold_sync():
            self._matrix = self.matrix()
            self._frame += 1

    def _send_sample(self) -> None:
        w = self._weights[self.sample]
        layers, heads, queries, keys = w.shape
        tq, tk = min(queries, self.thumb_px), min(keys, self.thumb_px)
        thumbs = np.empty((layers, heads, tq, tk), dtype=np.float32)
        for layer in range(layers):
            for head in range(heads):
                thumbs[layer, head] = pool(w[layer, head], tq, tk)
        with self.hold_sync():
            self._thumbs = thumbs
            self._tokens = self._queries[self.sample]
            self._key_tokens = self._keys[self.sample]
            self._send_matrix()
