"""The ImportanceBars view: global feature importances with confidence intervals, or one prediction's
waterfall, live while a Job computes them.

The kernel reduces the explanation to the bars that are drawn (sorted, top-k, the rest folded into
one bar; see ``_bars_data`` for the policy) and sends only those: numbers as binary buffers, names
as a list of strings. The browser animates bars to their new lengths and slots on every update.
"""

from __future__ import annotations

import logging
from typing import Any

import shap
import traitlets as t

from .. import colormaps
from .._jobs import Job
from .._traits import Matrix
from .._transport import array_serialization
from ..explanation import stats_of
from ._bars_data import OTHER_MODES, SORT_MODES, Drawn, axis_label, reduce_global, reduce_local, to_explanation
from ._base import bundle, check_keywords
from ._live import LiveView

log = logging.getLogger("ipyexplain")

_OPTIONS = {
    "feature_names", "mode", "row", "top_k", "other", "sort", "confidence", "title", "value_label",
    "progress_unit", "cmap", "height", "item_label",
}
# Changing one of these redraws from the explanation.
_REDUCTION = ("mode", "row", "top_k", "other", "sort", "confidence", "value_label", "feature_names", "item_label")
_UNSET: Any = object()


class ImportanceBars(LiveView):
    """Horizontal bars of feature importance (global) or one prediction's waterfall (local).

    Parameters
    ----------
    explanation : shap.Explanation, dict, array-like, pandas.Series or DataFrame, optional
        1-D values are importances per feature (their ``lower_bounds``/``upper_bounds`` are drawn as
        whiskers); 2-D values are attributions, rows x features (global mode draws mean |value| per
        feature with a confidence interval across rows). A dict maps feature name -> importance.
        A multi-output (3-D) Explanation must be sliced to one output first. May be left out when
        ``job`` is given.
    job : ipyexplain._jobs.Job, optional
        A job whose result is an Explanation: the view draws each partial result, shows progress
        and a Cancel button (see :meth:`bind`).
    feature_names : sequence of str, optional
        Names for plain arrays (an Explanation's or dict's own names win). Default ``feature i``.
    mode : {"global", "local"}
        ``"local"`` draws row ``row`` as a waterfall from the base value to the model output.
    row : int, optional
        The prediction drawn in local mode (default 0; negative counts from the end).
    top_k : int
        How many features get their own bar; the rest are folded into one bar.
    other : {"sum", "mean", "none"}
        Global mode: the folded bar holds the sum (default, like ``shap.plots.bar``) or the mean of
        the rest, or is left out. Local mode always sums, so the waterfall ends at the output.
    sort : {"magnitude", "value", "none"}
        Global mode order: by |importance| (default), by signed importance, or as given.
    confidence : float
        Level of the intervals computed here (2-D input, or 1-D input with only ``error_std``).
    title : str
        Shown above the plot.
    value_label : str
        What one value is, e.g. ``"SHAP value"`` or ``"drop in accuracy"``; the axis then reads
        ``mean |SHAP value|`` for 2-D input.
    progress_unit : str
        The unit of a job's progress ("12 / 30 repeats"); default "repeats" when results carry
        ipyexplain statistics, else "steps".
    cmap : str
        A diverging colormap for the signs (``"rdbu"``: red raises, blue lowers; or ``"puor"``).
    height : int, optional
        Height of the plot in CSS pixels; default: enough for every bar.
    item_label : str
        What one bar stands for, singular: ``"feature"`` (default), ``"layer"``, ``"sub-network"``...
        It words the footer ("top 5 of 40 layers"), the folded bar and the tooltips.

    Attributes
    ----------
    selected_feature : str or None
        The feature the user last clicked (or chose with Enter/Space); observable.
    job : Job or None
        The bound job.
    """

    _esm = bundle("bars")

    explanation: Any = Matrix(None, allow_none=True)  # a shap.Explanation, kernel side only
    feature_names: Any = t.Any(None)
    mode = t.Enum(("global", "local"), default_value="global").tag(sync=True)
    row = t.Int(None, allow_none=True).tag(sync=True)
    top_k = t.Int(10)
    other = t.Enum(OTHER_MODES, default_value="sum")
    sort = t.Enum(SORT_MODES, default_value="magnitude")
    confidence = t.Float(0.95)
    title = t.Unicode("").tag(sync=True)
    value_label = t.Unicode("")
    progress_unit = t.Unicode("")
    cmap = t.Unicode("rdbu").tag(sync=True)
    height = t.Int(None, allow_none=True).tag(sync=True)
    item_label = t.Unicode("feature").tag(sync=True)
    selected_feature = t.Unicode(None, allow_none=True).tag(sync=True)

    # Derived state the browser draws from (top bar first; the folded bar, if any, last).
    _names = t.List(t.Unicode()).tag(sync=True)
    _values = Matrix(None, allow_none=True).tag(sync=True, **array_serialization)
    _lower = Matrix(None, allow_none=True).tag(sync=True, **array_serialization)
    _upper = Matrix(None, allow_none=True).tag(sync=True, **array_serialization)
    _features = t.List(t.Unicode()).tag(sync=True)
    _other = t.Int(0).tag(sync=True)
    _fold = t.Unicode("sum").tag(sync=True)  # what the folded bar holds: "sum", "mean" ("": dropped)
    _rows = t.Int(0).tag(sync=True)  # 2-D input: how many rows the means are over
    _row = t.Int(0).tag(sync=True)  # local: the row drawn (non-negative)
    _n_features = t.Int(0).tag(sync=True)
    _nonfinite = t.Int(0).tag(sync=True)
    _base = t.Float(None, allow_none=True).tag(sync=True)
    _output = t.Float(None, allow_none=True).tag(sync=True)
    _axis_label = t.Unicode("").tag(sync=True)
    _ci_label = t.Unicode("").tag(sync=True)
    _partial = t.Bool(False).tag(sync=True)
    _score = t.Float(None, allow_none=True).tag(sync=True)  # a surrogate's goodness of fit (LIME R²)
    _frame = t.Int(0).tag(sync=True)
    # The bound job's status, progress and error are LiveView's traits.

    def __init__(self, explanation: Any = None, *, job: Job[Any] | None = None, **kwargs: Any) -> None:
        check_keywords(type(self).__name__, {**kwargs, "job": job}, _OPTIONS | {"job"})
        self._quiet = False  # options being assigned together by update(): redraw once at the end
        self._source: Any = None
        super().__init__()
        self.update(explanation if explanation is not None else _UNSET, **kwargs)
        if job is not None:
            self.bind(job)

    # ----------------------------------------------------------------- public API
    def update(self, explanation: Any = _UNSET, **kwargs: Any) -> None:
        """Change the explanation and/or options; the view redraws once, animating to the new bars.

        Everything is validated before the view changes: on an error it keeps its state.
        """
        check_keywords("ImportanceBars.update", kwargs, _OPTIONS)
        with self._lock, self.hold_sync():
            old = {name: getattr(self, name) for name in kwargs}
            old_explanation, old_source = self.explanation, self._source
            self._quiet = True
            try:
                for name, value in kwargs.items():
                    setattr(self, name, value)
                if explanation is not _UNSET:
                    self.explanation = explanation
                elif "feature_names" in kwargs and self._source is not None:
                    self.explanation = self._source  # plain arrays take the new names
                drawn = None if self.explanation is None else self._reduce(self.explanation)
            except Exception:
                for name, value in old.items():
                    self.set_trait(name, value)
                self.set_trait("explanation", old_explanation)
                self._source = old_source
                raise
            finally:
                self._quiet = False
            self._publish(self.explanation, drawn)

    def bind(self, job: Job[Any] | None, key: Any = None) -> None:
        """Draw ``job``'s partial results as they come, with its progress and a Cancel button.

        Each (throttled) partial result replaces ``explanation``; progress, status and any error
        are shown in the widget. Binding another job lets go of the previous one; ``bind(None)``
        lets go of the job (the drawing stays).
        """
        if job is not None:
            self._jobs.clear()  # one explanation is drawn: the newest job's
        super().bind(job, key)

    # ----------------------------------------------------------------- validation
    @t.validate("explanation")
    def _validate_explanation(self, proposal: dict[str, Any]) -> shap.Explanation | None:
        value = proposal["value"]
        coerced = None if value is None else to_explanation(value, self.feature_names)
        self._source = value  # what the user gave: plain arrays take new feature_names later
        return coerced

    @t.validate("top_k")
    def _validate_top_k(self, proposal: dict[str, Any]) -> int:
        if proposal["value"] < 1:
            raise ValueError(f"top_k must be at least 1; got {proposal['value']}")
        return int(proposal["value"])

    @t.validate("confidence")
    def _validate_confidence(self, proposal: dict[str, Any]) -> float:
        if not 0 < proposal["value"] < 1:
            raise ValueError(f"confidence must be between 0 and 1, e.g. 0.95; got {proposal['value']}")
        return float(proposal["value"])

    @t.validate("cmap")
    def _validate_cmap(self, proposal: dict[str, Any]) -> str:
        return colormaps.checked(proposal["value"], "diverging")

    @t.validate("height")
    def _validate_height(self, proposal: dict[str, Any]) -> int | None:
        value = proposal["value"]
        if value is not None and value < 80:
            raise ValueError(f"height must be at least 80 pixels; got {value}")
        return value

    @t.validate("item_label")
    def _validate_item_label(self, proposal: dict[str, Any]) -> str:
        if not str(proposal["value"]).strip():
            raise ValueError("item_label must name what a bar stands for, e.g. 'layer'; got an empty string")
        return str(proposal["value"])

    @t.validate("selected_feature")
    def _validate_selected(self, proposal: dict[str, Any]) -> str | None:
        return proposal["value"] or None  # the browser sends "" for "nothing selected"

    # ----------------------------------------------------------------- derived state
    def _reduce(self, explanation: shap.Explanation) -> Drawn:
        if self.mode == "local":
            return reduce_local(explanation, row=self.row, top_k=self.top_k, item=self.item_label)
        return reduce_global(
            explanation, top_k=self.top_k, other=self.other, sort=self.sort, confidence=self.confidence,
            item=self.item_label,
        )

    @t.observe("explanation", *_REDUCTION)
    def _on_change(self, change: dict[str, Any]) -> None:
        """A single option (or the explanation) assigned directly: redraw, or undo it and raise."""
        if self._quiet:
            return
        with self._lock:
            old_explanation, old_source = self.explanation, self._source
            self._quiet = True
            try:
                if change["name"] == "feature_names" and self._source is not None:
                    self.explanation = self._source
                drawn = None if self.explanation is None else self._reduce(self.explanation)
            except Exception:
                self.set_trait(change["name"], change["old"])  # keep a state that can be drawn
                self.set_trait("explanation", old_explanation if change["name"] != "explanation" else change["old"])
                self._source = old_source
                raise
            finally:
                self._quiet = False
            self._publish(self.explanation, drawn)

    def _publish(self, explanation: shap.Explanation | None, drawn: Drawn | None) -> None:
        with self.hold_sync():
            if explanation is None or drawn is None:
                self._names, self._values, self._lower, self._upper, self._features = [], None, None, None, []
                self._other = self._n_features = self._nonfinite = 0
                self._frame += 1
                return
            side = stats_of(explanation)
            self._names = drawn.names
            self._values = drawn.values
            self._lower, self._upper = drawn.lower, drawn.upper
            self._features = drawn.features
            self._other, self._n_features, self._nonfinite = drawn.other, drawn.n_features, drawn.nonfinite
            self._fold = "sum" if self.mode == "local" else ("" if self.other == "none" else self.other)
            self._rows, self._row = drawn.rows, drawn.row or 0
            self._base, self._output = drawn.base, drawn.output
            self._axis_label = axis_label(explanation, self.mode, self.value_label)
            self._ci_label = drawn.ci_label
            self._partial = self._is_partial()
            self._score = getattr(side, "score", None)
            self._unit = self.progress_unit or ("repeats" if side else "steps")
            if self.selected_feature is not None and self.selected_feature not in (explanation.feature_names or []):
                self.selected_feature = None
            self._frame += 1

    @t.observe("progress_unit")
    def _on_unit(self, change: dict[str, Any]) -> None:
        side = stats_of(self.explanation) if self.explanation is not None else None
        self._unit = change["new"] or ("repeats" if side else "steps")

    # ----------------------------------------------------------------- job
    def _show(self, key: Any, result: Any) -> None:
        """A job's latest result (on its worker thread, under the view's lock): draw it."""
        self.update(result)

    def _summarise(self) -> None:
        super()._summarise()
        self._partial = self._is_partial()  # a cancelled or failed job leaves its last partial result

    def _is_partial(self) -> bool:
        side = stats_of(self.explanation) if self.explanation is not None else None
        return bool(side and side.partial) or (self.job is not None and self.job.partial)
