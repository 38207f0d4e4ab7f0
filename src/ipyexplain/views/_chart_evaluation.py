"""The classifier evaluation dashboard: ROC, PR and calibration panels, a threshold slider linked to
the operating point on both curves and to the confusion matrix (a Heatmap) with counts and rates."""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import numpy as np
import traitlets as t

from ..evaluation import metrics as m
from ..evaluation.report import ClassificationReport, class_index_of
from . import charts as c
from ._chart_curves import CalibrationPanel, PrPanel, RocPanel
from .heatmap import Heatmap


def _pct(v: float) -> str:
    return "–" if np.isnan(v) else f"{100 * v:.1f}%"


class ClassifierEvaluation(w.VBox):
    """ROC / PR / calibration of a classifier with a threshold linked across the panels.

    Attributes
    ----------
    report : ClassificationReport
        Every number shown (curves, AUC, AP, Brier, confusion), computed once.
    threshold : float
        Rows whose probability for the chosen class is ``>= threshold`` are predicted as it; moving
        the slider (or assigning this) moves the ROC and PR points and recounts the confusion matrix.
    class_index : int
        The class evaluated one-vs-rest (the positive class of a binary classifier).
    """

    threshold = t.Float(0.5)
    class_index = t.Int(1)

    def __init__(self, report: ClassificationReport, *, title: str = "", threshold: float = 0.5,
                 positive: Any = None) -> None:
        super().__init__()
        self.report = report
        data = report.data
        self.roc = RocPanel(report, on_pick=self._pick)
        self.pr = PrPanel(report, on_pick=self._pick)
        self.calibration = CalibrationPanel(report)
        self.slider = w.FloatSlider(value=threshold, min=0.0, max=1.0, step=0.01, description="Threshold",
                                    readout_format=".2f", continuous_update=True,
                                    layout=w.Layout(width="360px"), style={"description_width": "70px"})
        self.slider.add_class("ipx-threshold")
        w.link((self.slider, "value"), (self, "threshold"))
        options = [(r.name, r.index) for r in report.per_class]
        self.picker = w.Dropdown(options=options, description="Class", layout=w.Layout(width="260px"),
                                 style={"description_width": "50px"})
        self.picker.layout.display = "none" if report.binary else ""
        self.summary = c.text_label(cls="ipx-eval-summary", wrap=True)
        self.rates = c.text_label(cls="ipx-eval-rates", wrap=True)
        self.cells = {key: c.text_label(cls=f"ipx-cm-{key}") for key in ("tn", "fp", "fn", "tp")}
        self.row_heads = [c.text_label(cls="ipx-cm-head") for _ in range(2)]
        self.col_heads = [c.text_label(cls="ipx-cm-head") for _ in range(2)]
        self.confusion = Heatmap(np.zeros((2, 2)), title="Confusion · rows actual, columns predicted",
                                 value_label="share of actual class",
                                 cmap="viridis", vmin=0.0, vmax=1.0, height=220)
        table = w.GridBox(
            [c.text_label(), *self.col_heads, self.row_heads[0], self.cells["tn"], self.cells["fp"],
             self.row_heads[1], self.cells["fn"], self.cells["tp"]],
            layout=w.Layout(grid_template_columns="auto auto auto", grid_gap="4px 18px", align_items="center"),
        )
        table.add_class("ipx-cm-table")
        bottom: list[w.Widget] = [w.Box([self.confusion], layout=w.Layout(width="400px")),
                                  w.VBox([table, self.rates], layout=w.Layout(padding="24px 8px"))]
        if not report.binary:
            bottom.append(w.Box([Heatmap(
                report.confusion, row_labels=list(data.class_names), col_labels=list(data.class_names),
                title="Confusion of the most probable class · rows actual, columns predicted",
                value_label="rows", cmap="viridis", height=max(240, 34 * len(data.classes) + 140),
            )], layout=w.Layout(width="420px")))
        head = [c.style(), *([c.text_label(title, bold=True)] if title else [])]
        panels = w.Box([self.roc.figure, self.pr.figure, self.calibration.figure],
                       layout=w.Layout(display="grid", grid_template_columns="repeat(auto-fit, minmax(300px, 1fr))",
                                       width="100%"))
        legend: list[w.Widget] = []
        if not report.binary:  # one legend for both curve panels, as text in each class's colour
            for i, r in enumerate(report.per_class):
                key = c.text_label(f"━━ {r.name} · AUC {c.fmt(r.auc)} · AP {c.fmt(r.ap)}", cls="ipx-eval-legend")
                key.style.text_color = c.color(i)
                legend.append(key)
        self.children = [*head, w.HBox([self.picker, self.slider]), self.summary,
                         w.HBox(legend, layout=w.Layout(flex_flow="row wrap", grid_gap="0 24px")), panels,
                         w.HBox(bottom, layout=w.Layout(flex_flow="row wrap", align_items="flex-start"))]
        self.add_class("ipx-evaluation")
        start = report.per_class[0].index
        if positive is not None and not report.binary:
            start = class_index_of(report.data, positive)
        self.picker.value = start
        self.picker.observe(lambda ch: setattr(self, "class_index", ch["new"]), "value")
        self.set_trait("class_index", start)
        self._redraw_class()

    # ------------------------------------------------------------------ public
    @property
    def counts(self) -> m.Counts:
        """The confusion counts (and rates) at the current threshold for the current class."""
        return self.report.counts(self.class_index, self.threshold)

    # ------------------------------------------------------------------ internals
    def _pick(self, threshold: float) -> None:
        self.threshold = round(threshold, 4)

    @t.validate("threshold")
    def _valid_threshold(self, proposal: dict[str, Any]) -> float:
        value = float(proposal["value"])
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"threshold must be a probability in [0, 1]; got {value}")
        return value

    @t.observe("class_index")
    def _on_class(self, change: dict[str, Any]) -> None:
        self.picker.value = change["new"]
        self._redraw_class()

    @t.observe("threshold")
    def _on_threshold(self, change: dict[str, Any]) -> None:
        self._redraw_point()

    def _redraw_class(self) -> None:
        r = self.report.report_of(self.class_index)
        names = self.report.data.class_names
        neg = names[1 - r.index] if self.report.binary else f"not {r.name}"
        for head, name in zip(self.row_heads, (neg, r.name), strict=True):
            head.value = f"actual {name}"
        for head, name in zip(self.col_heads, (neg, r.name), strict=True):
            head.value = f"predicted {name}"
        self.confusion.update(row_labels=[neg, r.name], col_labels=[neg, r.name])
        for panel in (self.roc, self.pr, self.calibration):
            panel.select(self.class_index)
        rep = self.report
        parts = [f"n = {r.n:,}", f"{'positive class' if rep.binary else 'class'} {r.name} "
                 f"(prevalence {c.fmt(r.prevalence)})", f"ROC AUC {c.fmt(r.auc)}", f"AP {c.fmt(r.ap)}"]
        if not rep.binary:
            parts += [f"macro AUC {c.fmt(rep.macro_auc)}", f"macro AP {c.fmt(rep.macro_ap)}"]
        parts += [f"Brier {c.fmt(rep.brier)}", f"log loss {c.fmt(rep.log_loss)}",
                  f"accuracy (most probable class) {c.fmt(rep.accuracy)}"]
        self.summary.value = " · ".join(parts)
        self._redraw_point()

    def _redraw_point(self) -> None:
        k = self.counts
        self.roc.show_point(k)
        self.pr.show_point(k)
        actual = np.array([[k.tn + k.fp], [k.fn + k.tp]], dtype=np.float64)
        shares = np.divide(k.matrix(), actual, out=np.full((2, 2), np.nan), where=actual > 0)
        self.confusion.values = shares
        rates = {"tn": k.tnr, "fp": k.fpr, "fn": k.fnr, "tp": k.tpr}
        names = {"tn": "TN", "fp": "FP", "fn": "FN", "tp": "TP"}
        for key, label in self.cells.items():
            label.value = f"{names[key]} {getattr(k, key):,} · {_pct(rates[key])}"
        self.rates.value = (f"threshold {k.threshold:.2f} · precision {c.fmt(k.precision)} · "
                            f"recall {c.fmt(k.tpr)} · F1 {c.fmt(k.f1)} · accuracy {c.fmt(k.accuracy)} · "
                            f"specificity {c.fmt(k.tnr)} · NPV {c.fmt(k.npv)}")
