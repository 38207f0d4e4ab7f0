"""The distributions view: a histogram of the chosen parameter tensor, activation or output, a table of all
of them with dead-unit and saturation callouts, and (after ``record(step)`` calls) the chosen one's history
as a steps x bins Heatmap."""

from __future__ import annotations

from typing import Any

import bqplot as bq
import ipywidgets as w
import numpy as np
import traitlets as t

from ..monitor.distributions import History, Summary
from . import charts as c
from ._chart_compare import grid
from .heatmap import Heatmap

KINDS = ("parameters", "activations", "outputs")


class DistributionsView(w.VBox):
    """Histograms with a layer picker; ``kind`` and ``name`` choose what is drawn (observable)."""

    kind = t.Unicode("parameters")
    name = t.Unicode("")

    def __init__(self, summaries: dict[str, dict[str, Summary]], *, title: str = "", bins: int = 60) -> None:
        super().__init__()
        self.summaries = summaries
        self.histories: dict[tuple[str, str], History] = {}
        self.bins = bins
        kinds = [k for k in KINDS if summaries.get(k)]
        self.kind_picker = w.ToggleButtons(options=kinds, value=kinds[0], style={"button_width": "110px"})
        self.kind_picker.add_class("ipx-dist-kind")
        self.layer_picker = w.Dropdown(description="Layer", layout=w.Layout(width="360px"),
                                       style={"description_width": "48px"})
        self.layer_picker.add_class("ipx-dist-layer")
        self.summary = c.text_label(cls="ipx-dist-summary", wrap=True)
        self.callouts = c.text_label(cls="ipx-dist-callouts", wrap=True)
        self.callouts.style.text_color = "#d55e00"
        xs, ys = bq.LinearScale(), bq.LinearScale(min=0.0)
        self.bars = bq.Bars(x=np.zeros(1), y=np.zeros(1), scales={"x": xs, "y": ys}, colors=[c.color(0)],
                            padding=0.02, tooltip=bq.Tooltip(fields=["x", "y"], labels=["value", "count"],
                                                             formats=[".4g", ","]))
        self.zero = bq.Lines(x=np.zeros(2), y=np.zeros(2), scales={"x": xs, "y": ys}, colors=[c.MUTED],
                             line_style="dashed", stroke_width=1)
        self.x_axis = c.axis(xs, "value")
        self.figure = c.figure("", [self.bars, self.zero], [self.x_axis, c.axis(ys, "count", vertical=True)],
                               height=280)
        self.figure.add_class("ipx-dist-hist")
        self.table_box = w.Box([], layout=w.Layout(overflow="auto", max_height="300px", flex="1 1 360px",
                                                   margin="24px 0 0 16px"))
        self.history_box = w.VBox([], layout=w.Layout(width="100%"))
        self.history_map: Heatmap | None = None
        head = [c.style(), *([c.text_label(title, bold=True)] if title else [])]
        self.children = [*head, w.HBox([self.kind_picker, self.layer_picker],
                                       layout=w.Layout(flex_flow="row wrap", align_items="center")),
                         self.callouts, self.summary,
                         w.HBox([w.Box([self.figure], layout=w.Layout(width="540px")), self.table_box],
                                layout=w.Layout(flex_flow="row wrap", align_items="flex-start", width="100%")),
                         self.history_box]
        self.add_class("ipx-distributions")
        w.link((self.kind_picker, "value"), (self, "kind"))
        self.layer_picker.observe(lambda ch: setattr(self, "name", ch["new"] or ""), "value")
        self.set_trait("kind", kinds[0])
        self._on_kind({"new": kinds[0]})

    # ------------------------------------------------------------------ updates
    def update(self, summaries: dict[str, dict[str, Summary]]) -> None:
        """New summaries (same names): redraw what is shown."""
        self.summaries = summaries
        with self.hold_sync():
            self._draw_callouts()
            self._draw_table()
            self._draw()

    def add_history(self, step: float) -> None:
        for kind in KINDS:
            for name, s in self.summaries.get(kind, {}).items():
                self.histories.setdefault((kind, name), History()).add(step, s)
        self._draw_history()

    @t.observe("kind")
    def _on_kind(self, change: dict[str, Any]) -> None:
        names = list(self.summaries.get(change["new"], {}))
        self.layer_picker.options = names
        self.layer_picker.layout.display = "" if len(names) > 1 else "none"
        if names:
            self.layer_picker.value = names[0]
            self.name = names[0]
        self._draw_callouts()
        self._draw_table()
        self._draw()

    @t.validate("name")
    def _valid_name(self, proposal: dict[str, Any]) -> str:
        name = proposal["value"]
        names = list(self.summaries.get(self.kind, {}))
        if name and name not in names:
            raise ValueError(f"no {self.kind} named {name!r}; valid: {', '.join(names)}")
        return str(name)

    @t.observe("name")
    def _on_name(self, change: dict[str, Any]) -> None:
        if change["new"] and self.layer_picker.value != change["new"]:
            self.layer_picker.value = change["new"]
        self._draw()

    # ------------------------------------------------------------------ drawing
    def current(self) -> Summary | None:
        return self.summaries.get(self.kind, {}).get(self.name)

    def _draw(self) -> None:
        s = self.current()
        if s is None:
            return
        centres = (s.edges[:-1] + s.edges[1:]) / 2
        top = float(s.counts.max()) if s.counts.size else 1.0
        with self.figure.hold_sync():
            with self.bars.hold_sync():
                self.bars.x, self.bars.y = centres, s.counts
            inside = s.edges[0] <= 0 <= s.edges[-1]
            self.zero.x, self.zero.y = np.zeros(2), np.array([0.0, top if inside else 0.0])
            self.zero.visible = bool(inside)
            self.figure.title = f"{s.name} · {s.module}" if s.module else s.name
            self.x_axis.label = {"outputs": "predicted value", "activations": "activation"}.get(self.kind, "value")
        extra = ""
        if s.dead_units is not None:
            extra += f" · dead units {s.dead_units} of {s.units}"
        if s.saturated is not None:
            extra += f" · saturated {100 * s.saturated:.1f}%"
            if s.saturated_units:
                extra += f" ({s.saturated_units} of {s.units} units on every row)"
        self.summary.value = (f"{s.name}: {s.count:,} values · mean {c.fmt(s.mean)} · std {c.fmt(s.std)} · "
                              f"min {c.fmt(s.min)} · max {c.fmt(s.max)} · |v| < 0.001: {100 * s.near_zero:.1f}%"
                              + (f" · {s.nonfinite:,} NaN/inf" if s.nonfinite else "") + extra)
        self._draw_history()

    def _draw_callouts(self) -> None:
        notes = [n for kind in ("activations", "parameters") for s in self.summaries.get(kind, {}).values()
                 for n in s.callouts()]
        self.callouts.value = ("⚠ " + "; ".join(notes[:6]) + (f"; {len(notes) - 6} more" if len(notes) > 6 else "")
                               if notes else "")

    def _draw_table(self) -> None:
        rows = [["name", "module", "values", "mean", "std", "dead units", "saturated"]]
        for s in self.summaries.get(self.kind, {}).values():
            rows.append([s.name, s.module, f"{s.count:,}", c.fmt(s.mean), c.fmt(s.std),
                         "" if s.dead_units is None else f"{s.dead_units} / {s.units}",
                         "" if s.saturated is None else f"{100 * s.saturated:.1f}%"
                         + (f" · {s.saturated_units} / {s.units} units" if s.saturated_units else "")])
        self.table_box.children = [grid(rows, cls="ipx-dist-table")]

    def _draw_history(self) -> None:
        history = self.histories.get((self.kind, self.name))
        if history is None or len(history.steps) < 2:
            self.history_box.children = []
            return
        matrix, grid_edges = history.matrix(self.bins)
        centres = (grid_edges[:-1] + grid_edges[1:]) / 2
        rows = [c.fmt(s) for s in history.steps]
        cols = [c.fmt(float(v), 3) for v in centres]
        title = f"{self.name} over training steps · rows: step, columns: value bins"
        if self.history_map is None:
            self.history_map = Heatmap(matrix, row_labels=rows, col_labels=cols, title=title, cmap="magma",
                                       value_label="share of values in the bin", height=320)
            self.history_map.layout = w.Layout(width="100%", max_width="900px")
        else:
            self.history_map.update(matrix, row_labels=rows, col_labels=cols, title=title)
        self.history_box.children = [self.history_map]
