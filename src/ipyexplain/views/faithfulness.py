"""FaithfulnessView: the attribution (a Heatmap, or an ImageOverlay for images) beside its deletion and
insertion curves against random orders, a bqplot line chart drawn live as the job adds points, with
each curve's area under the curve in the legend, progress and a Cancel button.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import bqplot as bq
import ipywidgets as w
import numpy as np

from .._jobs import Job
from . import charts as c

CURVES = [  # (field, legend, colour, dashed)
    ("deletion", "deletion", c.color(3), False),
    ("insertion", "insertion", c.color(0), False),
    ("random_deletion", "deletion, random order", c.color(3), True),
    ("random_insertion", "insertion, random order", c.color(0), True),
]


def _attribution_view(attribution: Any, feature_names: Any, title: str) -> Any:
    """A TokenView for token attributions (token strings in ``data``), a Heatmap of samples x features, or an
    ImageOverlay for image attributions (None if none fits)."""
    values = getattr(attribution, "values", attribution)
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    a = np.asarray(values)
    data = getattr(attribution, "data", None)
    if a.ndim == 2 and data is not None and np.asarray(data).dtype == object and np.asarray(data).shape == a.shape:
        from .tokens import TokenView

        return TokenView(attribution, title=title)
    if a.ndim == 2:
        from .heatmap import Heatmap

        names = feature_names if feature_names is not None else getattr(attribution, "feature_names", None)
        return Heatmap(a, col_labels=[str(n) for n in names] if names is not None else None,
                       row_labels=[f"#{i}" for i in range(a.shape[0])], title=title, value_label="attribution",
                       height=max(160, min(420, 24 * a.shape[0] + 60)))
    if a.ndim in (3, 4):
        from .image_overlay import ImageOverlay

        return ImageOverlay(attribution, title=title, cell_size=120, samples=list(range(min(4, a.shape[0]))))
    return None


class FaithfulnessView(w.VBox):
    """Deletion / insertion curves (with AUC) beside the attribution they test; live from a faithfulness Job.

    Parameters
    ----------
    attribution : shap.Explanation or array, optional
        What is tested, drawn on the left (a Heatmap, or an ImageOverlay for images).
    job : Job, optional
        ``ipyexplain.backends.faithfulness.job(...)``; its curves grow as it runs.
    title : str
    feature_names : sequence of str, optional
        Column labels of a tabular attribution.
    """

    def __init__(self, attribution: Any = None, *, job: Job[Any] | None = None, title: str = "",
                 feature_names: Any = None) -> None:
        self._lock = threading.RLock()
        self.result: Any = None
        self.job: Job[Any] | None = None
        self.xs, self.ys = bq.LinearScale(min=0.0, max=1.0), bq.LinearScale(min=0.0, max=1.0)
        self.lines = {
            name: bq.Lines(x=np.zeros(0), y=np.zeros(0), scales={"x": self.xs, "y": self.ys}, colors=[color],
                           stroke_width=2.2 if not dashed else 1.5, line_style="dashed" if dashed else "solid",
                           labels=[label], display_legend=True)
            for name, label, color, dashed in CURVES
        }
        self.figure = c.figure(title or "Deletion and insertion", list(self.lines.values()),
                               [c.unit_axis(self.xs, "fraction of features removed / inserted"),
                                c.axis(self.ys, "output for the explained class", vertical=True, tick_format=".2f")],
                               height=320, legend=True)
        self.figure.add_class("ipx-faithfulness-chart")
        self.auc = c.text_label("", cls="ipx-faithfulness-auc", wrap=True)
        self.status = c.text_label("", cls="ipx-faithfulness-status")
        self.cancel_button = w.Button(description="Cancel", layout=w.Layout(width="80px", display="none"))
        self.cancel_button.add_class("ipx-faithfulness-cancel")
        self.cancel_button.on_click(lambda _: self.cancel())
        self.attribution_view = None if attribution is None else _attribution_view(attribution, feature_names,
                                                                                    "attribution tested")
        chart = w.VBox([self.figure, self.auc], layout=w.Layout(flex="1 1 320px", min_width="300px"))
        row = [v for v in (self.attribution_view, chart) if v is not None]
        if self.attribution_view is not None:
            self.attribution_view.layout.flex = "1 1 320px"
        super().__init__([c.style(), w.HBox(row, layout=w.Layout(flex_flow="row wrap", grid_gap="12px")),
                          w.HBox([self.status, self.cancel_button], layout=w.Layout(align_items="center"))])
        self.add_class("ipx-faithfulness")
        if job is not None:
            self.bind(job)

    def bind(self, job: Job[Any]) -> None:
        """Draw ``job``'s curves as they grow, with its progress and a Cancel button."""
        if not isinstance(job, Job):
            raise TypeError(f"job must be an ipyexplain Job; got {type(job).__name__}")
        self.job = job
        job.observe(self._on_job)
        self._on_job(job)

    def cancel(self) -> None:
        if self.job is not None and self.job.status in ("pending", "running"):
            self.job.cancel()

    def show_result(self, result: Any) -> None:
        """Draw a FaithfulnessResult (complete or partial)."""
        with self._lock, self.hold_sync():
            self.result = result
            unit = getattr(result, "unit", "features")
            self.figure.axes[0].label = f"fraction of {unit} removed / inserted"
            ok = np.isfinite(result.deletion)
            top = 0.0
            for name, line in self.lines.items():
                y = getattr(result, name)
                line.x, line.y = result.fractions[ok], y[ok]
                top = max(top, float(np.nanmax(y)) if ok.any() else 0.0)
            self.ys.max = max(1.0, top * 1.05) if result.output_label != "probability" else 1.0
            low = min(float(np.nanmin(getattr(result, n))) for n, *_ in CURVES) if ok.any() else 0.0
            self.ys.min = min(0.0, low)
            aucs = result.aucs
            self.auc.value = (f"AUC — deletion {c.fmt(aucs['deletion'])} (random {c.fmt(aucs['random_deletion'])}, "
                              f"lower is better) · insertion {c.fmt(aucs['insertion'])} (random "
                              f"{c.fmt(aucs['random_insertion'])}, higher is better)")

    def _on_job(self, job: Job[Any]) -> None:
        if job is not self.job:
            return
        with self._lock, self.hold_sync():
            if job.status != "error":
                with contextlib.suppress(RuntimeError):  # no result yet
                    self.show_result(job.result)
            p = job.progress
            done = f"{p.done} / {p.total} steps" if p.total else f"{p.done} steps"
            self.status.value = {
                "pending": "waiting for the job to start", "running": f"computing: {done} · {p.elapsed:.1f} s",
                "done": f"done: {p.done} steps in {p.elapsed:.1f} s", "cancelled": f"partial — cancelled after {done}",
                "error": f"failed: {type(job.error).__name__}: {job.error}",
            }.get(job.status, "")
            self.cancel_button.layout.display = "" if job.status in ("pending", "running") else "none"
