"""The Heatmap view: samples x features attributions, confusion matrices, attention and correlations.

Pooling policy (why a 10,000 x 10,000 matrix stays interactive)
----------------------------------------------------------------
The full matrix stays in the kernel. The browser reports the size of its plot area in device
pixels. An axis longer than twice that size is pooled to it: nearly equal blocks of cells
become one cell each (``pooling="mean"``, or ``"maxabs"`` to keep the sign and size of the
strongest cell so isolated spikes stay visible). The message also stays under 8 MiB. When the
user zooms into a pooled matrix the browser asks for the visible window, and the kernel sends
that window at full detail, or pooled again if it is still larger than the screen. Hovering a
pooled cell says how many cells it stands for. Colour limits always come from the full matrix.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import traitlets as t

from .. import colormaps
from .._matrix import as_labelled_matrix, validated_labels
from .._pooling import POOL_MODES, pool, target_shape
from .._traits import Matrix
from .._transport import array_serialization
from ._base import View, bundle, check_keywords

_DEFAULT_DISPLAY_PX = 1024  # until the browser reports its plot size
_OPTIONS = {"row_labels", "col_labels", "title", "value_label", "cmap", "vmin", "vmax", "pooling", "height"}
_UNSET: Any = object()


def _window(request: list[float], shape: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """Clip a browser zoom request ``[r0, r1, c0, c1]`` to whole cells inside the matrix."""
    if len(request) != 4:
        return None
    r0, r1, c0, c1 = request
    rows, cols = shape
    r0, c0 = max(0, int(np.floor(r0))), max(0, int(np.floor(c0)))
    r1, c1 = min(rows, int(np.ceil(r1))), min(cols, int(np.ceil(c1)))
    if r1 <= r0 or c1 <= c0 or (r0, r1, c0, c1) == (0, rows, 0, cols):
        return None
    return r0, r1, c0, c1


class Heatmap(View):
    """A canvas-drawn heatmap of a 2-D matrix, live-updatable, zoomable, with hover and selection.

    Parameters
    ----------
    values : array-like, pandas.DataFrame, torch.Tensor or shap.Explanation
        A non-empty 2-D numeric matrix. A DataFrame brings its index and columns as labels; an
        Explanation brings its feature names as column labels. NaN and inf are drawn in a
        "missing" colour and counted in the status line.
    row_labels, col_labels : sequence of str, optional
        One label per row / column (shown as text, never HTML).
    title : str
        Shown above the plot.
    value_label : str
        What the values are, with units; labels the colour bar.
    cmap : str, optional
        One of ``ipyexplain.colormaps.names()``. Default: diverging ``"rdbu"`` centred at 0 when
        the data has both signs, sequential ``"viridis"`` otherwise.
    vmin, vmax : float, optional
        Colour limits. Default: symmetric ``±max|x|`` for signed data, ``[min, max]`` otherwise.
    pooling : {"mean", "maxabs"}
        How blocks of a matrix larger than the screen become one cell (see the module docstring).
    height : int
        Height of the plot in CSS pixels; the width follows the container.

    Attributes
    ----------
    selected : tuple[int, int] or None
        ``(row, col)`` of the cell the user last clicked, in full-matrix coordinates; observable.
    """

    _esm = bundle("heatmap")

    values: Any = Matrix()  # the full matrix, kernel-side only
    row_labels = t.List(t.Unicode()).tag(sync=True)
    col_labels = t.List(t.Unicode()).tag(sync=True)
    title = t.Unicode("").tag(sync=True)
    value_label = t.Unicode("").tag(sync=True)
    cmap = t.Unicode(None, allow_none=True)
    vmin = t.Float(None, allow_none=True)
    vmax = t.Float(None, allow_none=True)
    pooling = t.Enum(POOL_MODES, default_value="mean").tag(sync=True)
    height = t.Int(400).tag(sync=True)
    selected: Any = t.Tuple(None, allow_none=True).tag(sync=True)

    # Derived state the browser draws from.
    _shape = t.List(t.Int()).tag(sync=True)
    _overview = Matrix(None, allow_none=True).tag(sync=True, **array_serialization)
    _detail = Matrix(None, allow_none=True).tag(sync=True, **array_serialization)
    _detail_window = t.List(t.Int()).tag(sync=True)
    _limits = t.List(t.Float()).tag(sync=True)
    _cmap = t.Unicode("viridis").tag(sync=True)
    _nonfinite = t.Int(0).tag(sync=True)
    _frame = t.Int(0).tag(sync=True)
    _sent_at = t.Float(0.0).tag(sync=True)  # epoch ms when the data now sent was assigned (for latency)
    # Reported by the browser.
    _display_px = t.List(t.Int()).tag(sync=True)
    _view_request = t.List(t.Float()).tag(sync=True)

    def __init__(self, values: Any, **kwargs: Any) -> None:
        check_keywords(type(self).__name__, kwargs, _OPTIONS)
        # Labels travelling with the next `values` (from update() or from a DataFrame's axes).
        self._labels_for_next: tuple[Any, Any] | None = None
        self._data_range = (0.0, 0.0)
        self._assigned_at: float | None = None
        super().__init__()
        self.update(values, **kwargs)

    # ----------------------------------------------------------------- public API
    def update(self, values: Any = _UNSET, **kwargs: Any) -> None:
        """Change the matrix and/or options in one message.

        Labels not given are kept (they must still fit the new shape); zoom is kept when the shape is.
        """
        check_keywords("Heatmap.update", kwargs, _OPTIONS)
        with self.hold_sync():
            matrix = None if values is _UNSET else as_labelled_matrix(values)
            shape = matrix.values.shape if matrix is not None else self.values.shape
            own_rows, own_cols = (matrix.row_labels, matrix.col_labels) if matrix is not None else (None, None)
            rows = kwargs.pop("row_labels", _UNSET if own_rows is None else own_rows)
            cols = kwargs.pop("col_labels", _UNSET if own_cols is None else own_cols)
            self._labels_for_next = (
                validated_labels(rows, shape[0], "row_labels", "rows") if rows is not _UNSET else _UNSET,
                validated_labels(cols, shape[1], "col_labels", "columns") if cols is not _UNSET else _UNSET,
            )
            try:
                for name, value in kwargs.items():
                    setattr(self, name, value)
                if matrix is not None:
                    self.values = matrix.values
                else:
                    self._apply_labels()
            finally:
                self._labels_for_next = None

    # ----------------------------------------------------------------- validation
    @t.validate("values")
    def _validate_values(self, proposal: dict[str, Any]) -> np.ndarray:
        self._assigned_at = time.time() * 1000.0  # latency is measured from the assignment, not the push
        matrix = as_labelled_matrix(proposal["value"])
        rows, cols = matrix.values.shape
        given_rows, given_cols = self._labels_for_next or (_UNSET, _UNSET)
        # Labels not given: the matrix's own (a DataFrame's axes), else the current ones if they fit.
        self._labels_for_next = (
            given_rows if given_rows is not _UNSET
            else matrix.row_labels if matrix.row_labels is not None else self._kept(self.row_labels, rows),
            given_cols if given_cols is not _UNSET
            else matrix.col_labels if matrix.col_labels is not None else self._kept(self.col_labels, cols),
        )
        return matrix.values

    @staticmethod
    def _kept(labels: list[str], n: int) -> list[str] | None:
        if labels and len(labels) != n:
            raise ValueError(
                f"the new values have {n} entries along an axis labelled with {len(labels)} labels; "
                "pass matching labels with heatmap.update(values, row_labels=..., col_labels=...)"
            )
        return labels or None

    @t.validate("cmap")
    def _validate_cmap(self, proposal: dict[str, Any]) -> str | None:
        name = proposal["value"]
        return None if name is None else colormaps.checked(name)

    @t.validate("height")
    def _validate_height(self, proposal: dict[str, Any]) -> int:
        if proposal["value"] < 80:
            raise ValueError(f"height must be at least 80 pixels; got {proposal['value']}")
        return int(proposal["value"])

    @t.validate("selected")
    def _validate_selected(self, proposal: dict[str, Any]) -> tuple[int, int] | None:
        cell = proposal["value"]
        if cell is None or len(cell) == 0:  # the browser sends [] for "nothing selected"
            return None
        row, col = (int(i) for i in cell)
        return row, col

    # ----------------------------------------------------------------- derived state
    def _apply_labels(self) -> None:
        rows, cols = self._labels_for_next or (_UNSET, _UNSET)
        self._labels_for_next = None
        if rows is not _UNSET:
            self.row_labels = rows or []
        if cols is not _UNSET:
            self.col_labels = cols or []

    @t.observe("values")
    def _on_values(self, change: dict[str, Any]) -> None:
        values: np.ndarray = change["new"]
        old = change["old"]
        with self.hold_sync():
            self._apply_labels()
            if isinstance(old, np.ndarray) and old.shape != values.shape:
                self._view_request = []  # the old zoom window means nothing in a new shape
                self.selected = None
            self._shape = list(values.shape)
            finite = np.isfinite(values)
            n_finite = int(np.count_nonzero(finite))
            self._nonfinite = values.size - n_finite
            self._data_range = (
                (float(values.min()), float(values.max())) if n_finite == values.size
                else (float(values[finite].min()), float(values[finite].max())) if n_finite
                else (0.0, 0.0)
            )
            self._resolve_colors()
            self._send_overview()
            self._send_detail()

    @t.observe("cmap", "vmin", "vmax")
    def _on_color_options(self, change: dict[str, Any]) -> None:
        if self.values is not None:
            self._resolve_colors()

    @t.observe("pooling", "_display_px")
    def _on_resolution(self, change: dict[str, Any]) -> None:
        self._assigned_at = None  # a re-pool, not an assignment: stamp it now
        if self.values is not None:
            with self.hold_sync():
                self._send_overview()
                self._send_detail()

    @t.observe("_view_request")
    def _on_view_request(self, change: dict[str, Any]) -> None:
        if self.values is not None:
            self._send_detail()

    def _resolve_colors(self) -> None:
        lo, hi = self._data_range
        signed = lo < 0 < hi
        bound = max(abs(lo), abs(hi))
        vmin = self.vmin if self.vmin is not None else (-bound if signed else lo)
        vmax = self.vmax if self.vmax is not None else (bound if signed else hi)
        if vmin >= vmax:  # constant data (or inverted user limits): open an interval around it
            pad = abs(vmin) * 0.5 or 1.0
            vmin, vmax = (vmin - pad, vmin + pad) if self.vmin is None or self.vmax is None else (vmax, vmin)
        self._limits = [float(vmin), float(vmax)]
        self._cmap = self.cmap or colormaps.default(signed or (vmin < 0 < vmax))

    def _display_target(self) -> tuple[int, int]:
        if len(self._display_px) == 2 and min(self._display_px) > 0:
            return self._display_px[1], self._display_px[0]
        return _DEFAULT_DISPLAY_PX, _DEFAULT_DISPLAY_PX

    def _pooled(self, block: np.ndarray) -> np.ndarray:
        """``block`` at screen resolution: axes over twice the display size are pooled to it."""
        rows, cols = block.shape
        max_rows, max_cols = self._display_target()
        out = target_shape(
            rows, cols, rows if rows <= 2 * max_rows else max_rows, cols if cols <= 2 * max_cols else max_cols
        )
        return pool(block, *out, mode=self.pooling)

    def _send_overview(self) -> None:
        started = self._assigned_at or time.time() * 1000.0
        self._assigned_at = None
        self._overview = self._pooled(self.values)
        self._frame += 1
        self._sent_at = started

    def _send_detail(self) -> None:
        window = _window(self._view_request, self.values.shape)
        with self.hold_sync():  # tile and window must arrive together
            if window is None or self._overview.shape == self.values.shape:
                self._detail, self._detail_window = None, []
                return
            r0, r1, c0, c1 = window
            self._detail = self._pooled(self.values[r0:r1, c0:c1])
            self._detail_window = [r0, r1, c0, c1]
