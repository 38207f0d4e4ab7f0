"""Shared pieces of the bqplot chart panels (training curves, ROC/PR, calibration, distributions).

Every chart is a bqplot ``Figure``: its axes, legend and tooltips draw user strings (metric names,
class labels) with d3 ``.text()``, never as HTML, and its colours come from JupyterLab's CSS
variables, so dark Lab and dark Voila work. Marks use :data:`PALETTE`, colour-blind safe hues of
middle lightness that stay legible on light and on dark backgrounds.

Sizes are bounded before anything is sent: a curve keeps at most a few thousand points
(:func:`thin_curve`), a scatter at most :data:`MAX_SCATTER` points (:func:`sample_rows`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import bqplot as bq
import ipywidgets as w
import numpy as np

#: Okabe–Ito-like hues, lightened where the original is too dark on a dark background.
PALETTE = ["#3b82c4", "#e69f00", "#2aa876", "#d55e00", "#b07cc6", "#56b4e9", "#c9a400", "#cc79a7", "#a0785a",
           "#7f8f2a"]  # ten: the digits' classes each get their own hue
MUTED = "#8c8c8c"  # reference lines (diagonals, baselines)
MAX_SCATTER = 2000
FIG_MARGIN = {"top": 36, "bottom": 48, "left": 62, "right": 16}


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def figure(
    title: str, marks: Sequence[bq.Mark], axes: Sequence[bq.Axis], *, height: int = 280, width: str = "100%",
    legend: bool = False, margin: dict[str, int] | None = None, interaction: Any = None,
) -> bq.Figure:
    """A bqplot figure sized for a panel: fills its container's width, fixed height, tight margins."""
    fig = bq.Figure(
        marks=list(marks), axes=list(axes), title=title, fig_margin=dict(margin or FIG_MARGIN),
        legend_location="top-right", animation_duration=0, padding_y=0.0, interaction=interaction,
        layout=w.Layout(width=width, height=f"{height}px", min_width="220px"),
        title_style={"font-size": "13px"}, legend_text={"font-size": "11px"}, display_toolbar=False,
    )
    fig.add_class("ipx-chart")
    if legend:
        fig.legend_style = {"stroke-width": 0, "fill-opacity": 0.0}
    return fig


UNIT_TICKS = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]


def axis(scale: bq.Scale, label: str, *, vertical: bool = False, tick_format: str | None = None,
         grid: bool = True, tick_values: Sequence[float] | np.ndarray | None = None) -> bq.Axis:
    extra: dict[str, Any] = {} if tick_values is None else {"tick_values": np.asarray(tick_values, dtype=float)}
    return bq.Axis(
        scale=scale, label=label, orientation="vertical" if vertical else "horizontal",
        tick_format=tick_format, grid_lines="dashed" if grid else "none", label_offset="42px" if vertical else "32px",
        grid_color="rgba(128,128,128,0.35)", **extra,
    )


def nice_ticks(lo: float, hi: float, count: int = 6) -> np.ndarray:
    """About ``count`` round tick values (a 1, 2, 5 x power-of-ten step) within [lo, hi]: d3 puts one every 20 on
    a 300-pixel axis over 40..320, and bqplot's ``num_ticks`` divides the range evenly (28, 89, 151...)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return np.array([lo], dtype=float)
    raw = (hi - lo) / max(count - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = min((m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0)), key=lambda v: abs(math.log(v / raw)))
    ticks = np.arange(math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9) + 1) * step
    return np.round(ticks, 12)


def unit_axis(scale: bq.Scale, label: str, *, vertical: bool = False) -> bq.Axis:
    """An axis of a [0, 1] quantity, ticks every 0.2."""
    return axis(scale, label, vertical=vertical, tick_format=".1f", tick_values=UNIT_TICKS)


def unit_scales() -> tuple[bq.LinearScale, bq.LinearScale]:
    """x and y scales over [0, 1] (rates, probabilities), a little margin so points on the edge stay whole."""
    return bq.LinearScale(min=-0.02, max=1.02), bq.LinearScale(min=-0.02, max=1.02)


def diagonal(xs: bq.Scale, ys: bq.Scale, *, x: Sequence[float] = (0.0, 1.0), y: Sequence[float] = (0.0, 1.0),
             label: str = "") -> bq.Lines:
    """A dashed grey reference line (chance, perfect calibration, a baseline)."""
    return bq.Lines(x=np.asarray(x, dtype=float), y=np.asarray(y, dtype=float), scales={"x": xs, "y": ys},
                    colors=[MUTED], line_style="dashed", stroke_width=1, labels=[label] if label else [],
                    display_legend=False)


def thin_curve(x: np.ndarray, y: np.ndarray, max_points: int = 1500) -> np.ndarray:
    """Indices of at most about ``max_points`` points of a curve that keep its shape.

    Points are kept where the path length since the last kept point (in axis units, both axes
    scaled to their range) reaches ``1 / max_points`` of the whole; ends are always kept.
    """
    n = x.size
    if n <= max_points:
        return np.arange(n)
    span_x = float(np.nanmax(x) - np.nanmin(x)) or 1.0
    span_y = float(np.nanmax(y) - np.nanmin(y)) or 1.0
    step = np.hypot(np.diff(x) / span_x, np.diff(y) / span_y)
    length = np.r_[0.0, np.cumsum(np.nan_to_num(step))]
    total = length[-1] or 1.0
    slots = np.floor(length / total * (max_points - 1)).astype(np.int64)
    keep = np.r_[True, np.diff(slots) > 0]
    keep[-1] = True
    return np.flatnonzero(keep)


def sample_rows(n: int, limit: int = MAX_SCATTER, seed: int = 0) -> np.ndarray:
    """At most ``limit`` row indices, the same ones on every call (sorted)."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


def fmt(v: float, digits: int = 3) -> str:
    """A number for a label: ``digits`` significant digits, ``–`` for NaN, ``∞`` for infinity."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) < 1e-3:
        return f"{v:.{digits - 1}e}"
    return f"{v:.{digits}g}"


# bqplot's dark palette draws titles and axis labels in orange; ours follow the JupyterLab theme's text colours.
# A bqplot interaction (PanZoom) covers the marks and would swallow their hover tooltips: in the monitor it
# only takes the mouse while the "zoom / pan" toggle is pressed (a class the browser sets, no kernel needed).
STYLE = """<style>
.ipx-chart { --bq-content-font-color: var(--jp-ui-font-color1, #333);
  --bq-axislabel-fill: var(--jp-ui-font-color1, #333); --bq-mainheading-fill: var(--jp-ui-font-color0, #111); }
.ipx-chart .mainheading { font-weight: 600; }
.ipx-wrap { white-space: normal !important; overflow-wrap: anywhere; height: auto !important; line-height: 1.4;
  max-width: 100%; }
.ipx-monitor-chart path.line, .ipx-monitor-chart path.area { pointer-events: none; }
.ipx-monitor-chart svg.svg-figure rect[style*="cursor: move"] { pointer-events: none; }
.ipx-monitor:has(.ipx-zoom-toggle.mod-active) .ipx-monitor-chart svg.svg-figure rect[style*="cursor: move"] {
  pointer-events: all; }
</style>"""


def style() -> w.HTML:
    """An invisible widget carrying the charts' stylesheet (a constant: no user text in it)."""
    return w.HTML(STYLE, layout=w.Layout(display="none"))


def text_label(value: str = "", *, cls: str = "", bold: bool = False, wrap: bool = False) -> w.Label:
    """A Label: its value is shown as text (never parsed as HTML); ``wrap``: long text wraps (needs :func:`style`)."""
    label = w.Label(value=value, layout=w.Layout(width="auto"))
    if wrap:
        label.add_class("ipx-wrap")
    if bold:
        label.style.font_weight = "bold"
    if cls:
        label.add_class(cls)
    return label


def hover_points(xs: bq.Scale, ys: bq.Scale, fields: Sequence[str], labels: Sequence[str],
                 formats: Sequence[str] | None = None) -> bq.Scatter:
    """Transparent markers whose tooltip is the hover readout (the browser shows it, no kernel round trip)."""
    tooltip = bq.Tooltip(fields=list(fields), labels=list(labels), formats=list(formats or [""] * len(fields)))
    return bq.Scatter(
        x=np.zeros(0), y=np.zeros(0), scales={"x": xs, "y": ys}, default_size=40, colors=[MUTED],
        opacities=[0.0], tooltip=tooltip, stroke=None, enable_hover=True,
        hovered_style={"opacity": 1.0, "fill": MUTED}, unhovered_style={},
    )
