"""The A/B comparison view: the verdict in words, a metrics table with paired intervals and p-values, the
McNemar table (a Heatmap), the bootstrap distribution of the difference, and the rows where the
models disagree. Explanations side by side and the compression section live in ``_chart_compare_extras``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import bqplot as bq
import ipywidgets as w
import numpy as np

from ..compare.result import Comparison
from . import charts as c
from .heatmap import Heatmap


def _num(name: str, v: float) -> str:
    return f"{100 * v:.1f}%" if name == "accuracy" else c.fmt(v, 4)


def _diff(name: str, v: float) -> str:
    if name == "accuracy":
        return f"{100 * v:+.1f} pts"
    return ("+" if v > 0 else "") + c.fmt(v, 3)


def _p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.2g}"


def grid(rows: Sequence[Sequence[str]], *, cls: str, header: bool = True) -> w.GridBox:
    """A table of Labels (text, never HTML); the first row bold when ``header``."""
    cells = []
    for r, row in enumerate(rows):
        for j, text in enumerate(row):
            label = c.text_label(text, cls=f"{cls}-cell", bold=header and r == 0, wrap=True)
            label.add_class(f"{cls}-c{j}")
            cells.append(label)
    columns = len(rows[0]) if rows else 1
    box = w.GridBox(cells, layout=w.Layout(grid_template_columns=f"repeat({columns}, auto)", grid_gap="2px 18px",
                                           justify_content="flex-start", align_items="center"))
    box.add_class(cls)
    return box


class ModelComparison(w.VBox):
    """What :func:`ipyexplain.compare` shows. ``result`` holds every number; ``sentence`` the verdict.

    ``explanations`` (an ExplanationsSideBySide: ``.result`` its RankAgreement once both jobs are done) and
    ``compression`` (a CompressionReport) are set by :func:`~ipyexplain.compare.compare` when computed.
    """

    explanations: Any = None
    compression: Any = None

    def __init__(self, result: Comparison, *, title: str = "") -> None:
        super().__init__()
        self.result = result
        a, b = result.names
        level = f"{round(100 * result.confidence)}% CI of {b} - {a}"
        self.headline = c.text_label(result.sentence, cls="ipx-compare-sentence", bold=True, wrap=True)
        rows = [["metric", a, b, f"{b} - {a}", level, "p", "test"]]
        for m in result.metrics.values():
            rows.append([m.label + (" ★" if m.name == result.primary else ""), _num(m.name, m.a), _num(m.name, m.b),
                         _diff(m.name, m.diff), f"[{_diff(m.name, m.interval.low)}, {_diff(m.name, m.interval.high)}]",
                         _p(m.p_value), m.test])
        self.table = grid(rows, cls="ipx-compare-metrics")
        n_differ = result.extra.get("n_differ", 0)
        if result.task == "classification":
            agree = (f"The models predict the same class on {100 * result.agreement:.1f}% of the {result.n:,} rows "
                     f"(Cohen's κ = {result.kappa:.3f}); they disagree on {n_differ:,}.")
        else:
            tol = result.extra.get("agreement_tolerance", 0.0)
            agree = (f"Predictions are within {c.fmt(tol)} (a tenth of the targets' standard deviation) on "
                     f"{100 * result.agreement:.1f}% of the {result.n:,} rows; {n_differ:,} differ by more.")
        self.agreement = c.text_label(agree, cls="ipx-compare-agreement", wrap=True)
        panels: list[w.Widget] = [self._bootstrap_panel()]
        if result.mcnemar is not None:
            mc = result.mcnemar
            self.contingency = Heatmap(
                np.array([[mc.both_right, mc.a_only], [mc.b_only, mc.both_wrong]], dtype=float),
                row_labels=["right", "wrong"], col_labels=["right", "wrong"],
                title=f"Paired correctness · rows: {a}, columns: {b}", value_label="rows", cmap="cividis",
                height=240)
            counts = grid([["", f"{b} right", f"{b} wrong"],
                           [f"{a} right", f"{mc.both_right:,}", f"{mc.a_only:,} (only {a} right)"],
                           [f"{a} wrong", f"{mc.b_only:,} (only {b} right)", f"{mc.both_wrong:,}"]],
                          cls="ipx-compare-mcnemar")
            note = c.text_label(f"{mc.method} on the {mc.discordant:,} discordant rows: p = {_p(mc.p_value)}",
                                cls="ipx-compare-mcnemar-note", wrap=True)
            panels.insert(0, w.VBox([w.Box([self.contingency], layout=w.Layout(width="420px")), counts, note],
                                    layout=w.Layout(width="440px")))
        listed = len(result.disagreements)
        what = "largest probability gap" if result.task == "classification" else "largest prediction gap"
        self.rows_note = c.text_label(
            f"Rows where they disagree ({n_differ:,}; the {listed} with the {what}):" if listed
            else "No row where they disagree.", cls="ipx-compare-rows-note", bold=True)
        self.rows_table = grid([["row", "truth", a, b]] * bool(listed) + [
            [str(int(i)), t, pa, pb] for i, t, pa, pb in zip(result.disagreements, result.truth, result.pred_a,
                                                            result.pred_b, strict=True)], cls="ipx-compare-rows")
        head = [c.style(), *([c.text_label(title, bold=True)] if title else [])]
        self.sections = w.VBox([])
        self.children = [*head, self.headline, self.table, self.agreement,
                         w.HBox(panels, layout=w.Layout(flex_flow="row wrap", align_items="flex-start")),
                         self.rows_note, self.rows_table, self.sections]
        self.add_class("ipx-comparison")

    @property
    def sentence(self) -> str:
        return self.result.sentence

    def add_section(self, widget: w.Widget) -> None:
        self.sections.children = [*self.sections.children, widget]

    def _bootstrap_panel(self) -> w.VBox:
        m = self.result.metrics[self.result.primary]
        keys = []
        level = f"━━ {round(100 * m.interval.confidence)}% CI"
        for text, colour in ((f"━━ observed {_diff(m.name, m.diff)}", c.color(1)), (level, c.color(3)),
                             ("┅┅ no difference", c.MUTED)):
            key = c.text_label(text, cls="ipx-compare-key")
            key.style.text_color = colour
            keys.append(key)
        return w.VBox([self._bootstrap_chart(), w.HBox(keys, layout=w.Layout(grid_gap="0 16px", margin="0 0 0 60px"))])

    def _bootstrap_chart(self) -> bq.Figure:
        m = self.result.metrics[self.result.primary]
        reps = m.interval.replicates[np.isfinite(m.interval.replicates)]
        scale = 100.0 if m.name == "accuracy" else 1.0
        reps = reps * scale
        bins: Any = 40
        if m.name == "accuracy" and reps.size:  # differences are multiples of 100 / n points: align the bins
            step = 100.0 / self.result.n
            width = step * max(1, int(np.ceil((reps.max() - reps.min()) / step / 40)))
            bins = np.arange(reps.min() - width / 2, reps.max() + width, width)
        counts, edges = np.histogram(reps, bins=bins) if reps.size else (np.zeros(1), np.array([0.0, 1.0]))
        xs, ys = bq.LinearScale(), bq.LinearScale(min=0.0)
        bars = bq.Bars(x=(edges[:-1] + edges[1:]) / 2, y=counts, scales={"x": xs, "y": ys}, colors=[c.color(0)],
                       padding=0.0, opacities=[0.75],
                       tooltip=bq.Tooltip(fields=["x", "y"], labels=["difference", "resamples"], formats=[".3g", ""]))
        top = float(counts.max()) * 1.05 or 1.0
        marks: list[bq.Mark] = [bars]
        for value, colour, style in ((0.0, c.MUTED, "dashed"), (m.interval.low * scale, c.color(3), "solid"),
                                     (m.interval.high * scale, c.color(3), "solid"), (m.diff * scale, c.color(1),
                                                                                      "solid")):
            marks.append(bq.Lines(x=np.array([value, value]), y=np.array([0.0, top]), scales={"x": xs, "y": ys},
                                  colors=[colour], line_style=style, stroke_width=2 if colour != c.MUTED else 1))
        unit = " (points)" if m.name == "accuracy" else ""
        a, b = self.result.names
        fig = c.figure(f"Bootstrap of {b} - {a}: {m.label}", marks,
                       [c.axis(xs, f"{m.label} difference{unit}",
                               tick_values=c.nice_ticks(min(float(edges[0]), 0.0), max(float(edges[-1]), 0.0), 7)),
                        c.axis(ys, "resamples", vertical=True, tick_values=c.nice_ticks(0.0, top))],
                       height=260, width="440px")
        fig.add_class("ipx-compare-bootstrap")
        return fig


def section(title: str, *children: w.Widget, cls: str) -> w.VBox:
    box = w.VBox([c.text_label(title, bold=True), *children], layout=w.Layout(margin="12px 0 0 0"))
    box.add_class(cls)
    return box

