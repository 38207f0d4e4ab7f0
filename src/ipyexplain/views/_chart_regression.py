"""The regression evaluation panels: predicted vs actual, residuals vs predicted, residual histogram."""

from __future__ import annotations

import bqplot as bq
import ipywidgets as w
import numpy as np

from ..evaluation.report import RegressionReport
from . import charts as c


def _padded(lo: float, hi: float) -> tuple[float, float]:
    pad = (hi - lo) * 0.04 or abs(lo) * 0.1 or 1.0
    return lo - pad, hi + pad


class RegressorEvaluation(w.VBox):
    """Predicted vs actual (with the identity line), residuals vs predicted, and the residual histogram.

    Scatter panels draw at most ``charts.MAX_SCATTER`` rows (the same sample each time); the scores
    and the histogram use every row.
    """

    def __init__(self, report: RegressionReport, *, title: str = "") -> None:
        super().__init__()
        self.report = report
        y, pred = report.data.y, report.data.pred
        res = report.residuals
        rows = c.sample_rows(y.size)
        s = report.scores
        shown = "" if rows.size == y.size else f" · scatter shows {rows.size:,} of {y.size:,} rows"
        self.summary = c.text_label(
            f"n = {s.n:,} · R² {c.fmt(s.r2)} · MAE {c.fmt(s.mae)} · RMSE {c.fmt(s.rmse)} · "
            f"median AE {c.fmt(s.median_ae)} · max error {c.fmt(s.max_error)} · "
            f"explained variance {c.fmt(s.explained_variance)}{shown}", cls="ipx-eval-summary", wrap=True)
        lo, hi = _padded(float(min(y.min(), pred.min())), float(max(y.max(), pred.max())))
        xs, ys = bq.LinearScale(min=lo, max=hi), bq.LinearScale(min=lo, max=hi)
        names = [f"row {i}" for i in rows]
        tip = bq.Tooltip(fields=["name", "x", "y"], labels=["", "actual", "predicted"], formats=["", ".4g", ".4g"])
        self.scatter = bq.Scatter(x=y[rows], y=pred[rows], scales={"x": xs, "y": ys}, colors=[c.color(0)],
                                  default_size=14, default_opacities=[0.55], stroke=None, names=names,
                                  display_names=False, tooltip=tip)
        fit = c.figure("Predicted vs actual", [c.diagonal(xs, ys, x=(lo, hi), y=(lo, hi)), self.scatter],
                       [c.axis(xs, "Actual", tick_values=c.nice_ticks(lo, hi)),
                        c.axis(ys, "Predicted", vertical=True, tick_values=c.nice_ticks(lo, hi))],
                       height=320)
        rx = bq.LinearScale()
        rlo, rhi = _padded(float(res.min()), float(res.max()))
        ry = bq.LinearScale(min=rlo, max=rhi)
        tip2 = bq.Tooltip(fields=["name", "x", "y"], labels=["", "predicted", "residual"], formats=["", ".4g", ".4g"])
        self.residuals = bq.Scatter(x=pred[rows], y=res[rows], scales={"x": rx, "y": ry}, colors=[c.color(1)],
                                    default_size=14, default_opacities=[0.55], stroke=None, names=names,
                                    display_names=False, tooltip=tip2)
        zero = bq.Lines(x=np.array([pred.min(), pred.max()]), y=np.zeros(2), scales={"x": rx, "y": ry},
                        colors=[c.MUTED], line_style="dashed", stroke_width=1)
        resid = c.figure("Residuals (actual minus predicted)", [zero, self.residuals],
                         [c.axis(rx, "Predicted", tick_values=c.nice_ticks(float(pred.min()), float(pred.max()))),
                          c.axis(ry, "Residual", vertical=True, tick_values=c.nice_ticks(rlo, rhi))],
                         height=320)
        counts, edges = np.histogram(res, bins=min(40, max(5, int(np.sqrt(res.size)))))
        hx, hy = bq.LinearScale(), bq.LinearScale(min=0.0)
        self.bars = bq.Bars(x=(edges[:-1] + edges[1:]) / 2, y=counts, scales={"x": hx, "y": hy},
                            colors=[c.color(2)], padding=0.05, stroke=None,
                            tooltip=bq.Tooltip(fields=["x", "y"], labels=["residual", "rows"], formats=[".4g", ""]))
        hist = c.figure(f"Residual distribution · mean {c.fmt(float(res.mean()))} · sd {c.fmt(float(res.std()))}",
                        [self.bars],
                        [c.axis(hx, "Residual", tick_values=c.nice_ticks(float(edges[0]), float(edges[-1]))),
                         c.axis(hy, "Rows", vertical=True, tick_values=c.nice_ticks(0.0, float(counts.max())))],
                        height=320)
        for fig, kind in ((fit, "fit"), (resid, "residuals"), (hist, "residual-hist")):
            fig.add_class(f"ipx-{kind}")
        head = [c.style(), *([c.text_label(title, bold=True)] if title else [])]
        panels = w.Box([fit, resid, hist], layout=w.Layout(
            display="grid", grid_template_columns="repeat(auto-fit, minmax(300px, 1fr))", width="100%"))
        self.children = [*head, self.summary, panels]
        self.add_class("ipx-evaluation")
