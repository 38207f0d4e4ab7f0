"""ROC, precision-recall and calibration panels (bqplot), each with a marked operating point.

The curves of every class are drawn (the chosen class in full colour, the others faint); hover
markers along the chosen curve show threshold and rates in the browser; clicking one reports its
threshold (``on_pick``). Curves are thinned to at most ~1,500 points (``charts.thin_curve``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import bqplot as bq
import numpy as np

from ..evaluation import metrics as m
from ..evaluation.report import ClassificationReport, ClassReport
from . import charts as c

_HOVER_POINTS = 120


def _threshold_names(thresholds: np.ndarray) -> list[str]:
    return [c.fmt(float(t)) for t in thresholds]


class CurvePanel:
    """A family of per-class curves on unit axes, an operating point and hover markers."""

    kind = ""
    x_label = ""
    y_label = ""
    interpolation = "linear"

    def __init__(self, report: ClassificationReport, on_pick: Callable[[float], None] | None = None) -> None:
        self.report = report
        self.xs, self.ys = c.unit_scales()
        self._on_pick = on_pick
        self.lines: dict[int, bq.Lines] = {}
        for i, r in enumerate(report.per_class):
            x, y = self.curve_xy(r)
            keep = c.thin_curve(x, y)
            self.lines[r.index] = bq.Lines(
                x=x[keep], y=y[keep], scales={"x": self.xs, "y": self.ys}, colors=[c.color(i)],
                labels=[self.legend_label(r)], display_legend=False, stroke_width=2,
                interpolation=self.interpolation,
            )
        self.reference = self.reference_line(report.per_class[0])
        tooltip_labels = ["threshold", self.x_label, self.y_label]
        self.hover = c.hover_points(self.xs, self.ys, ["name", "x", "y"], tooltip_labels, ["", ".3f", ".3f"])
        self.hover.names_unique = False
        self.hover.display_names = False
        self.hover.on_element_click(self._clicked)
        self.point = bq.Scatter(x=[0.0], y=[0.0], scales={"x": self.xs, "y": self.ys}, colors=[c.color(0)],
                                default_size=90, stroke="white", stroke_width=1.5, display_names=False)
        axes = [c.unit_axis(self.xs, self.x_label), c.unit_axis(self.ys, self.y_label, vertical=True)]
        self.figure = c.figure("", [self.reference, *self.lines.values(), self.hover, self.point], axes,
                               height=300)
        self.figure.add_class(f"ipx-{self.kind}")
        self._hover_thresholds = np.zeros(0)

    # -------------------------------------------------------------- what differs per panel
    def curve_xy(self, r: ClassReport) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def curve_thresholds(self, r: ClassReport) -> np.ndarray:
        raise NotImplementedError

    def legend_label(self, r: ClassReport) -> str:
        raise NotImplementedError

    def reference_line(self, r: ClassReport) -> bq.Lines:
        return c.diagonal(self.xs, self.ys)

    def point_xy(self, counts: m.Counts) -> tuple[float, float]:
        raise NotImplementedError

    def title(self, r: ClassReport) -> str:
        raise NotImplementedError

    # -------------------------------------------------------------- updates
    def select(self, class_index: int) -> None:
        """Emphasise one class's curve; hover markers follow it."""
        r = self.report.report_of(class_index)
        position = [p.index for p in self.report.per_class].index(class_index)
        with self.figure.hold_sync():
            for index, line in self.lines.items():
                chosen = index == class_index
                line.opacities = [1.0 if chosen else 0.25]
                line.stroke_width = 2.5 if chosen else 1.5
            x, y = self.curve_xy(r)
            thresholds = self.curve_thresholds(r)
            keep = c.thin_curve(x, y, _HOVER_POINTS)
            with self.hover.hold_sync():
                self.hover.x, self.hover.y = x[keep], y[keep]
                self.hover.names = _threshold_names(thresholds[keep])
            self._hover_thresholds = thresholds[keep]
            self.point.colors = [c.color(position)]
            self._update_reference(r)
            self.figure.title = self.title(r)

    def _update_reference(self, r: ClassReport) -> None:
        pass

    def show_point(self, counts: m.Counts) -> None:
        x, y = self.point_xy(counts)
        with self.point.hold_sync():
            self.point.x, self.point.y = [x], [y]
            self.point.names = [c.fmt(counts.threshold)]

    def _clicked(self, mark: Any, event: dict[str, Any]) -> None:
        index = int(event.get("data", {}).get("index", -1))
        if self._on_pick is not None and 0 <= index < self._hover_thresholds.size:
            threshold = float(self._hover_thresholds[index])
            self._on_pick(min(threshold, 1.0) if np.isfinite(threshold) else 1.0)


class RocPanel(CurvePanel):
    kind = "roc"
    x_label = "False positive rate"
    y_label = "True positive rate"

    def curve_xy(self, r: ClassReport) -> tuple[np.ndarray, np.ndarray]:
        return np.nan_to_num(r.roc.x), np.nan_to_num(r.roc.y)

    def curve_thresholds(self, r: ClassReport) -> np.ndarray:
        return r.roc.thresholds

    def legend_label(self, r: ClassReport) -> str:
        return f"{r.name} (AUC {c.fmt(r.auc)})"

    def point_xy(self, counts: m.Counts) -> tuple[float, float]:
        return float(np.nan_to_num(counts.fpr)), float(np.nan_to_num(counts.tpr))

    def title(self, r: ClassReport) -> str:
        if not r.defined:
            return f"ROC · undefined: y has no {'negatives' if r.n_pos else 'positives'} for {r.name}"
        macro = "" if self.report.binary else f" · macro {c.fmt(self.report.macro_auc)}"
        return f"ROC · AUC {c.fmt(r.auc)}{macro}"


class PrPanel(CurvePanel):
    kind = "pr"
    x_label = "Recall"
    y_label = "Precision"
    interpolation = "step-before"  # precision is constant between recall steps (what AP sums)

    def curve_xy(self, r: ClassReport) -> tuple[np.ndarray, np.ndarray]:
        return r.pr.x, r.pr.y

    def curve_thresholds(self, r: ClassReport) -> np.ndarray:
        return np.r_[r.pr.thresholds, np.inf]

    def legend_label(self, r: ClassReport) -> str:
        return f"{r.name} (AP {c.fmt(r.ap)})"

    def reference_line(self, r: ClassReport) -> bq.Lines:
        return c.diagonal(self.xs, self.ys, y=(r.prevalence, r.prevalence), label="chance")

    def _update_reference(self, r: ClassReport) -> None:
        self.reference.y = np.array([r.prevalence, r.prevalence])

    def point_xy(self, counts: m.Counts) -> tuple[float, float]:
        precision = counts.precision if counts.tp + counts.fp else 1.0  # nothing predicted positive: PR's end
        return float(np.nan_to_num(counts.tpr)), float(precision)

    def title(self, r: ClassReport) -> str:
        if not r.n_pos:
            return f"Precision–recall · undefined: no {r.name} in y"
        macro = "" if self.report.binary else f" · macro {c.fmt(self.report.macro_ap)}"
        return f"Precision–recall · AP {c.fmt(r.ap)}{macro}"


class CalibrationPanel:
    """Reliability diagram of the chosen class: observed frequency against mean predicted probability."""

    def __init__(self, report: ClassificationReport) -> None:
        self.report = report
        self.xs, self.ys = c.unit_scales()
        self.line = bq.Lines(x=np.zeros(0), y=np.zeros(0), scales={"x": self.xs, "y": self.ys},
                             colors=[c.color(0)], marker="circle", marker_size=28, stroke_width=2)
        self.hover = c.hover_points(self.xs, self.ys, ["name", "x", "y"],
                                    ["rows in bin", "mean predicted", "observed"], ["", ".3f", ".3f"])
        self.hover.names_unique = False
        self.hover.display_names = False
        axes = [c.unit_axis(self.xs, "Mean predicted probability"),
                c.unit_axis(self.ys, "Observed frequency", vertical=True)]
        self.figure = c.figure("", [c.diagonal(self.xs, self.ys), self.line, self.hover], axes, height=300)
        self.figure.add_class("ipx-calibration")

    def select(self, class_index: int) -> None:
        r = self.report.report_of(class_index)
        cal = r.calibration
        position = [p.index for p in self.report.per_class].index(class_index)
        with self.figure.hold_sync():
            self.line.x, self.line.y = cal.prob_pred, cal.prob_true
            self.line.colors = [c.color(position)]
            with self.hover.hold_sync():
                self.hover.x, self.hover.y = cal.prob_pred, cal.prob_true
                self.hover.names = [f"{int(n):,}" for n in cal.counts]
            brier = r.calibration.brier if not self.report.binary else self.report.brier
            what = "" if self.report.binary else f" of {r.name}"
            self.figure.title = f"Calibration{what} · Brier {c.fmt(brier)} · ECE {c.fmt(cal.ece)}"
