"""Sections of the comparison view that take their own time: SHAP explanations of both models side by side
(computed by background Jobs, the bars sharpening live) with their rank agreement and, for a row where the
models disagree, both models' waterfalls; and the compression report of two torch models (size, latency,
agreement, per-layer output differences)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import ipywidgets as w
import numpy as np

from .._jobs import Job
from ..compare.compression import CompressionReport
from ..compare.importance import mean_abs, rank_agreement
from . import charts as c
from ._chart_compare import grid, section
from .bars import ImportanceBars
from .heatmap import Heatmap


class ExplanationsSideBySide:
    """SHAP bars of A and B (the same rows for both) and the rank agreement of their mean |SHAP|.

    ``explainer="auto"`` gives each model its fast exact explainer where there is one (trees, linear
    models; their units can differ: the bars' axes say which); ``"permutation"`` explains both the
    same model-agnostic way (same units, slower)."""

    def __init__(self, model_a: Any, model_b: Any, X: Any, names: tuple[str, str], *, output: Any = None,
                 rows: int = 200, seed: int = 0, top_k: int = 10, explainer: Any = "auto",
                 focus: Sequence[int] = (), focus_labels: Sequence[str] = ()) -> None:
        from ..adapters import as_table
        from ..backends import shap_

        table = as_table(X)
        # The rows where the models disagree are explained first (their waterfalls), then a seeded sample.
        self.focus = [int(i) for i in focus][:rows]
        rest = np.setdiff1d(np.arange(table.n_rows), self.focus)
        extra = np.random.default_rng(seed).choice(rest, size=min(rows - len(self.focus), rest.size), replace=False)
        take = np.r_[np.asarray(self.focus, dtype=np.int64), np.sort(extra)]
        sample = table.take(take)
        self._lock = threading.Lock()
        self._focus_labels = list(focus_labels)[: len(self.focus)]
        self.row_picker: w.Dropdown | None = None
        self.local: list[ImportanceBars] = []
        self._local_box = w.VBox([])
        self.top_k = top_k
        self.agreement = c.text_label("Rank agreement: computing the explanations…", cls="ipx-compare-ranks",
                                      wrap=True)
        self.result: Any = None
        self.bars: list[ImportanceBars] = []
        self.jobs: list[Job[Any]] = []
        self._names = names
        self._rows = int(sample.shape[0])
        for name, model in zip(names, (model_a, model_b), strict=True):
            bars = ImportanceBars(title=f"{name} · mean |SHAP| over {sample.shape[0]} rows", value_label="SHAP value",
                                  progress_unit="rows", top_k=top_k)
            bars.layout = w.Layout(width="50%", min_width="320px")
            job = shap_.job(model, sample, explainer=explainer, output=output, seed=seed)
            bars.bind(job)
            job.observe(self._on_job)
            self.bars.append(bars)
            self.jobs.append(job)
        self._on_job(self.jobs[0])
        self.widget = section("Explanations side by side", w.HBox(self.bars, layout=w.Layout(width="100%")),
                              self.agreement, self._local_box, cls="ipx-compare-explanations")

    def _on_job(self, job: Job[Any]) -> None:
        if len(self.jobs) < 2 or any(j.status != "done" for j in self.jobs):
            failed = [j for j in self.jobs if j.status == "error"]
            if failed:
                error = failed[0].error
                self.agreement.value = f"Rank agreement unavailable: {type(error).__name__}: {error}"
            return
        with self._lock:
            if self.result is not None:
                return
            self._finish()

    def _finish(self) -> None:
        ea, eb = (j.result for j in self.jobs)
        for bars, name, ex in zip(self.bars, self._names, (ea, eb), strict=True):
            units = list(ex.output_names or [])
            if units:  # e.g. "1 (log-odds)": say what each side explains, the explainers may differ
                bars.title = f"{name} · mean |SHAP| over {self._rows} rows · {units[0]}"
        self.result = rank_agreement(mean_abs(ea.values), mean_abs(eb.values), list(ea.feature_names), self.top_k)
        self.agreement.value = self.result.sentence
        if self.focus:
            self._show_local(ea, eb)

    def _show_local(self, ea: Any, eb: Any) -> None:
        """Waterfalls of one disagreement row, A and B side by side, with a picker of those rows."""
        labels = self._focus_labels or [f"row {i}" for i in self.focus]
        self.row_picker = w.Dropdown(options=[(text, pos) for pos, text in enumerate(labels)], value=0,
                                     description="Row", layout=w.Layout(width="auto", min_width="420px"),
                                     style={"description_width": "40px"})
        self.row_picker.add_class("ipx-compare-row-picker")
        for name, ex in zip(self._names, (ea, eb), strict=True):
            bars = ImportanceBars(ex, mode="local", row=0, top_k=8, title=f"{name} on this row",
                                  value_label="SHAP value")
            bars.layout = w.Layout(width="50%", min_width="320px")
            self.local.append(bars)

        def pick(change: dict[str, Any]) -> None:
            for bars in self.local:
                bars.update(row=int(change["new"]), title=bars.title)

        self.row_picker.observe(pick, "value")
        self._local_box.children = [
            c.text_label("Why they disagree: pick a row where their predictions differ", bold=True),
            self.row_picker, w.HBox(self.local, layout=w.Layout(width="100%"))]

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for both explanations; once done, ``result`` (the rank agreement) is set when this returns."""
        done = all(j.wait(timeout) for j in self.jobs)
        if done:
            self._on_job(self.jobs[0])  # the jobs' own callback may not have run yet: finish here (once)
        return done


def compression_section(report: CompressionReport) -> w.VBox:
    a, b = report.names
    kb = lambda v: f"{v / 1024:,.1f} KiB"  # noqa: E731
    rows = [["", a, b, "ratio"],
            ["size (state_dict)", kb(report.size_bytes[0]), kb(report.size_bytes[1]), f"{report.size_ratio:.2f}×"],
            [f"latency per batch of {report.batch_size} (median; middle half)",
             *(f"{m:.2f} ms ({q[0]:.2f}–{q[1]:.2f})" for m, q in zip(report.latency_ms, report.latency_quartiles_ms,
                                                                        strict=True)),
             f"{report.speedup:.2f}×"]]
    if report.accuracy is not None:
        rows.append(["accuracy", f"{100 * report.accuracy[0]:.1f}%", f"{100 * report.accuracy[1]:.1f}%",
                     f"{100 * (report.accuracy[1] - report.accuracy[0]):+.1f} pts"])
    rows.append(["same predicted class", "", f"{100 * report.agreement:.1f}%" if np.isfinite(report.agreement)
                 else "–", ""])
    rows.append(["output difference (max / mean |B - A|)", "", f"{c.fmt(report.output_max_abs)} / "
                 f"{c.fmt(report.output_mean_abs)}", ""])
    children: list[w.Widget] = [c.text_label(report.sentence, cls="ipx-compression-sentence", wrap=True),
                                grid(rows, cls="ipx-compression-table")]
    if report.layers:
        layers = {f"{d.name} ({d.kind_b})" if d.kind_a == d.kind_b else f"{d.name} ({d.kind_a} → {d.kind_b})":
                  d.relative for d in report.layers}
        bars = ImportanceBars(layers, title="Per-layer output difference, in network order",
                              value_label="relative difference ‖B - A‖ / ‖A‖", sort="none",
                              top_k=min(len(layers), 30), item_label="layer")
        bars.layout = w.Layout(width="100%", max_width="760px")
        children.append(bars)
    rows_a, cols_b = report.cka_layers
    if report.cka is not None and report.cka.size and len(report.layers) < max(len(rows_a), len(cols_b)):
        # Layers that cannot be subtracted (other widths, other architecture): how similar they are instead.
        children.append(c.text_label(
            f"{'No layer' if not report.layers else 'Not every layer'} has the same name and output shape in both "
            "models: every layer of one is compared with every layer of the other by linear CKA (1: the same "
            "representation up to rotation and scale).", cls="ipx-compression-cka-note", wrap=True))
        cka = Heatmap(report.cka, row_labels=list(rows_a), col_labels=list(cols_b), cmap="viridis", vmin=0.0,
                      vmax=1.0, value_label="linear CKA", title=f"Layer similarity · rows: {a}, columns: {b}",
                      height=min(520, max(240, 34 * len(rows_a) + 150)))
        cka.layout = w.Layout(width="100%", max_width="640px")
        children.append(cka)
    return section(f"Compression: {b} against {a}", *children, cls="ipx-compare-compression")
