"""TokenView: text coloured token by token by its attribution, wrapping like text, live while a Job computes.

Each row is one sequence. A token's background is the diverging colormap at its score (red raises
the explained output, blue lowers it), stronger the larger |score|; hover shows the exact score.
Sub-word tokens stay readable: WordPiece continuations (``##ing``) and SentencePiece / BPE word
starts (``▁play``, ``Ġplay``) are joined into words with their markers removed, a thin divider
showing where the word was split. Tokens are always inserted as text, never HTML.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shap
import traitlets as t

from .. import colormaps
from .._jobs import Job
from .._traits import Matrix
from .._transport import array_serialization
from ._attribution_common import checked_clip, info_of, robust_limit, row_labels, unit_of
from ._base import bundle, check_keywords
from ._live import LiveView

_OPTIONS = {"tokens", "rows", "row_labels", "title", "value_label", "cmap", "scale", "clip_percentile", "hide",
            "max_rows"}
_DRAWN = ("rows", "row_labels", "scale", "clip_percentile", "hide", "max_rows")
_UNSET: Any = object()
DEFAULT_HIDE = ("[PAD]", "<pad>", "<|endoftext|>")


def _rows_of(explanation: Any, tokens: Any) -> tuple[list[np.ndarray], list[list[str]]]:
    """(scores per row, tokens per row) from an Explanation (rectangular or shap's ragged text layout)."""
    values = explanation.values if isinstance(explanation, shap.Explanation) else explanation
    data = explanation.data if isinstance(explanation, shap.Explanation) and tokens is None else tokens
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    if isinstance(values, np.ndarray) and values.dtype != object:
        if values.ndim == 1:
            values = values[None]
        if values.ndim != 2:
            raise ValueError(f"token scores must be (rows, tokens); got shape {values.shape} (a multi-output "
                             "explanation: pick one output first, e.g. explanation[..., k])")
        rows = [np.asarray(v, dtype=np.float32) for v in values]
    else:
        rows = [np.asarray(v, dtype=np.float32).reshape(-1) for v in values]
    if data is None:
        raise ValueError("no tokens: pass an Explanation whose data holds the token strings, or tokens=")
    if isinstance(data, np.ndarray) and data.dtype != object and data.dtype.kind not in "US":
        raise TypeError(f"tokens must be strings; got an array of dtype {data.dtype}")
    texts = [[str(s) for s in row] for row in ([data] if len(data) and isinstance(data[0], str) else data)]
    if len(texts) != len(rows):
        raise ValueError(f"{len(texts)} rows of tokens for {len(rows)} rows of scores")
    for i, (v, toks) in enumerate(zip(rows, texts, strict=True)):
        if len(v) != len(toks):
            raise ValueError(f"row {i}: {len(toks)} tokens for {len(v)} scores")
    return rows, texts


class TokenView(LiveView):
    """Tokens coloured by their attribution, inline and wrapping, one row per sequence.

    Parameters
    ----------
    explanation : shap.Explanation or array, optional
        Scores ``(rows, tokens)`` (or shap's ragged text layout) with the token strings in ``data``.
    job : Job, optional
        A job whose results are such explanations (e.g. ``ipyexplain.backends.torch_attr.job`` on
        token ids); drawn live, with progress and Cancel.
    tokens : sequence of sequences of str, optional
        The token strings, when the explanation does not carry them.
    rows : sequence of int, optional
        Which rows to show (default: the first ``max_rows``).
    row_labels : sequence of str, optional
        A label per row shown (default: index and class explained).
    cmap : str
        A diverging colormap (``"rdbu"``).
    scale : {"shared", "row"}
        One colour limit for all rows (default), or one per row.
    clip_percentile : float
        The colour limit is this percentile of |score|.
    hide : sequence of str
        Tokens left out of the drawing (padding), default ``[PAD]``, ``<pad>``, ``<|endoftext|>``.
    """

    _esm = bundle("tokens")

    title = t.Unicode("").tag(sync=True)
    value_label = t.Unicode("attribution").tag(sync=True)
    cmap = t.Unicode("rdbu").tag(sync=True)
    rows: Any = t.Any(None)
    row_labels: Any = t.Any(None)
    scale = t.Enum(("shared", "row"), default_value="shared")
    clip_percentile = t.Float(99.0)
    hide: Any = t.Any(DEFAULT_HIDE)
    max_rows = t.Int(20)

    _tokens = t.List(t.List(t.Unicode())).tag(sync=True)
    _values = Matrix(None, allow_none=True).tag(sync=True, **array_serialization)
    _offsets = Matrix(None, allow_none=True).tag(sync=True, **array_serialization)
    _limits = Matrix(None, allow_none=True).tag(sync=True, **array_serialization)
    _labels = t.List(t.Unicode()).tag(sync=True)
    _n_rows = t.Int(0).tag(sync=True)
    _partial_flag = t.Bool(False).tag(sync=True)
    _frame = t.Int(0).tag(sync=True)

    def __init__(self, explanation: Any = None, *, job: Job[Any] | None = None, **kwargs: Any) -> None:
        check_keywords(type(self).__name__, {**kwargs, "job": job}, _OPTIONS | {"job"})
        self._scores: list[np.ndarray] = []
        self._texts: list[list[str]] = []
        self._source: Any = None
        self._tokens_given: Any = None
        super().__init__()
        self.update(explanation if explanation is not None else _UNSET, **kwargs)
        if job is not None:
            self.bind(job)

    def update(self, explanation: Any = _UNSET, **kwargs: Any) -> None:
        """Replace the scores and/or options; redraws once."""
        check_keywords("TokenView.update", kwargs, _OPTIONS)
        tokens = kwargs.pop("tokens", _UNSET)
        with self._lock, self.hold_sync():
            if tokens is not _UNSET:
                self._tokens_given = tokens
            for name, value in kwargs.items():
                setattr(self, name, value)
            if explanation is not _UNSET:
                self._take(explanation)
            self._redraw()

    @property
    def explanation(self) -> Any:
        return self._source

    @t.validate("cmap")
    def _validate_cmap(self, proposal: dict[str, Any]) -> str:
        return colormaps.checked(proposal["value"], "diverging")

    @t.validate("clip_percentile")
    def _validate_clip(self, proposal: dict[str, Any]) -> float:
        return checked_clip(proposal["value"])

    def _take(self, explanation: Any) -> None:
        self._scores, self._texts = _rows_of(explanation, self._tokens_given)
        self._source = explanation

    def _show(self, key: Any, result: Any) -> None:
        self._take(result)
        self._redraw()

    def _unit_of(self, result: Any) -> str | None:
        return unit_of(result)

    @t.observe(*_DRAWN)
    def _on_option(self, change: dict[str, Any]) -> None:
        if self._scores:
            with self._lock:
                self._redraw()

    def _redraw(self) -> None:
        if not self._scores:
            return
        n = len(self._scores)
        shown = list(range(min(n, self.max_rows))) if self.rows is None else [int(i) for i in np.atleast_1d(self.rows)]
        bad = [i for i in shown if not 0 <= i < n]
        if bad:
            raise ValueError(f"rows {bad} out of range for {n} rows")
        hidden = set(self.hide or ())
        tokens, values, offsets = [], [], [0]
        for i in shown:
            keep = [j for j, tok in enumerate(self._texts[i]) if tok not in hidden]
            tokens.append([self._texts[i][j] for j in keep])
            values.append(self._scores[i][keep])
            offsets.append(offsets[-1] + len(keep))
        flat = np.concatenate(values) if values else np.zeros(0, dtype=np.float32)
        with self.hold_sync():
            self._tokens = tokens
            self._values = flat.astype(np.float32)
            self._offsets = np.asarray(offsets, dtype=np.int32)
            self._limits = self._limits_of(values)
            self._labels = self._labels_of(shown)
            self._n_rows = n
            info = info_of(self._source)
            self._partial_flag = self._partial or bool(info is not None and info.partial)
            self._frame += 1

    def _limits_of(self, values: list[np.ndarray]) -> np.ndarray:
        if self.scale == "row":
            return np.array([robust_limit(v, self.clip_percentile) for v in values], dtype=np.float32)
        whole = robust_limit(np.concatenate(values), self.clip_percentile) if values else 1.0
        return np.full(len(values), whole, dtype=np.float32)

    def _labels_of(self, shown: Sequence[int]) -> list[str]:
        return row_labels(list(shown), info_of(self._source), self.row_labels, "row_labels")
