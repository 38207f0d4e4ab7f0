"""One panel of the training monitor: a bqplot figure of a metric family (loss, metrics, learning rate).

Each metric is a faint raw line and, when smoothing is on, a smoothed line over it (validation
metrics dashed; the faint raw line stays solid, a dash pattern on a noisy line reads as noise). Each
line is a :class:`~._chart_split.SplitLine`: an update sends the appended points, not the line. The x
scale (steps) is shared by all panels, so zooming one (mouse wheel, drag to pan: bqplot's ``PanZoom``,
active while the monitor's "zoom / pan" toggle is pressed) zooms all. Transparent markers along the
lines are the hover readout (step, value; shown by the browser, so it works while the kernel is busy).
NaN/inf values are gaps in the line *and* marked: an orange triangle at the bottom of the plot at each
such step (one per decimation bucket), named in the warning line under the panel. A toggle switches
the y axis to a log scale; values <= 0 are then left out (counted in the warning line). A constant
metric (a fixed learning rate) gets a y range around its value rather than ticks that all read the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import bqplot as bq
import ipywidgets as w
import numpy as np

from . import charts as c
from ._chart_split import SplitLine

_HOVER_PER_LINE = 150
WARN = "#d55e00"  # the warning colour (text and NaN markers), legible on light and dark
_Y_LABELS = {"Loss": "loss", "Metrics": "value", "Learning rate": "learning rate"}


@dataclass
class _Lines:
    raw: SplitLine
    smooth: SplitLine
    key: w.Label
    color: str
    dashed: bool


class MetricPanel:
    """A figure, a text legend with the latest values, a log-scale toggle and a warning line."""

    def __init__(self, title: str, xs: bq.LinearScale, *, height: int, log: bool,
                 on_log: Callable[[MetricPanel], None], smooth: bool = True) -> None:
        self.title = title
        self.smooth = smooth
        self.xs = xs
        self.log = log
        self.ys_linear, self.ys_log = bq.LinearScale(), bq.LogScale()
        self.y_axis = c.axis(self.ys, _Y_LABELS.get(title, title), vertical=True, tick_format="~g")
        self.label_room = 44  # see _fit_labels
        self.y_axis.label_offset = "44px"
        x_axis = c.axis(xs, "step", tick_format="~s")
        self.hover = c.hover_points(xs, self.ys, ["name", "x", "y"], ["", "step", "value"], ["", ",~g", ".5~g"])
        self.hover.names_unique = False
        self.hover.display_names = False
        self.figure = c.figure(title, [self.hover], [x_axis, self.y_axis], height=height,
                               margin={"top": 30, "bottom": 44, "left": 58, "right": 16},
                               interaction=bq.interacts.PanZoom(scales={"x": [xs]}))
        self.nan_marks: bq.Scatter | None = None  # created at the first NaN (appended: marks are never reordered)
        self._nan_steps: dict[str, np.ndarray] = {}
        self.figure.padding_y = 0.05
        slug = "".join(ch if ch.isalnum() else "-" for ch in title.lower()).strip("-") or "panel"
        self.figure.add_class(f"ipx-monitor-{slug}")
        self.figure.add_class("ipx-monitor-chart")
        self.toggle = w.ToggleButton(value=log, description="log y", tooltip="logarithmic y axis",
                                     layout=w.Layout(width="64px", height="24px"))
        self.toggle.add_class("ipx-log-toggle")
        self.toggle.observe(self._on_toggle, "value")
        self._on_log = on_log
        self.legend = w.HBox([], layout=w.Layout(flex_flow="row wrap", flex="1 1 auto", grid_gap="0 16px"))
        self.warning = c.text_label(cls="ipx-monitor-warning", wrap=True)
        self.warning.style.text_color = WARN
        self.widget = w.VBox([w.HBox([self.legend, self.toggle], layout=w.Layout(align_items="center")),
                              self.figure, self.warning], layout=w.Layout(min_width="320px"))
        self.widget.add_class("ipx-monitor-panel")
        self.lines: dict[str, _Lines] = {}

    @property
    def ys(self) -> bq.Scale:
        return self.ys_log if self.log else self.ys_linear

    def add(self, name: str, color: str, dashed: bool) -> None:
        style = "dashed" if dashed else "solid"
        common: dict[str, Any] = {"scales": {"x": self.xs, "y": self.ys}, "colors": [color], "line_style": style}
        # Their marks are appended at their first points, never reordered (bqplot rebuilds reordered mark views);
        # the hover markers stay first and still get the mouse: lines ignore pointer events (charts.STYLE).
        raw = SplitLine(self._add_marks, stroke_width=1.2, opacities=[0.3], labels=[name], **common)
        smooth = SplitLine(self._add_marks, shown=False, stroke_width=2.2, labels=[f"{name} (smoothed)"], **common)
        key = c.text_label(f"{'┅┅' if dashed else '━━'} {name}", cls="ipx-monitor-key")
        key.style.text_color = color
        self.lines[name] = _Lines(raw, smooth, key, color, dashed)
        self.legend.children = [*self.legend.children, key]

    def _add_marks(self, marks: list[bq.Mark]) -> None:
        self.figure.marks = [*self.figure.marks, *marks]

    def draw(self, name: str, x: np.ndarray, y: np.ndarray, sx: np.ndarray | None, sy: np.ndarray | None,
             settle: bool = False) -> None:
        """Send one metric's decimated raw (and smoothed) points (values <= 0 left out on a log scale): what
        was appended, or the whole line when it changed; ``settle``: the whole line into the heads."""
        lines = self.lines[name]
        self._nan_steps[name] = x[~np.isfinite(y)]
        if self.log:
            y = _positive(y)
            if sy is not None:
                sy = _positive(sy)
        smoothed = sx is not None and sy is not None
        # Faint raw line behind a smoothed one: solid (dashes on noise read as noise); alone: the split's style.
        lines.raw.set(opacities=[0.3 if smoothed else 1.0],
                      line_style="dashed" if lines.dashed and not smoothed else "solid")
        lines.raw.send(x, y, settle=settle)
        if sx is not None and sy is not None:
            lines.smooth.show(True)
            lines.smooth.send(sx, sy, settle=settle)
        else:
            lines.smooth.show(False)

    def draw_nan_marks(self) -> None:
        """An orange triangle at the bottom of the plot at each step where a metric was NaN/inf (tooltip: which)."""
        names = [n for n, steps in self._nan_steps.items() for _ in range(steps.size)]
        if not names and self.nan_marks is None:
            return
        x = np.concatenate([s for s in self._nan_steps.values() if s.size]) if names else np.zeros(0)
        if self.nan_marks is None:
            ys = bq.LinearScale(min=0.0, max=1.0)
            tooltip = bq.Tooltip(fields=["name", "x"], labels=["NaN/inf", "step"], formats=["", ",~g"])
            self.nan_marks = bq.Scatter(x=np.zeros(0), y=np.zeros(0), scales={"x": self.xs, "y": ys},
                                        marker="triangle-up", colors=[WARN], default_size=36, stroke=None,
                                        tooltip=tooltip, names_unique=False, display_names=False)
            self.figure.marks = [*self.figure.marks, self.nan_marks]
        if len(self.nan_marks.x) == x.size and np.array_equal(self.nan_marks.x, x) and \
                list(self.nan_marks.names) == names:
            return
        with self.nan_marks.hold_sync():
            self.nan_marks.x, self.nan_marks.y, self.nan_marks.names = x, np.full(x.size, 0.025), names

    def drawn_values(self) -> list[np.ndarray]:
        return [np.asarray(m.y, dtype=float) for lines in self.lines.values() for m in (lines.raw, lines.smooth)
                if m.visible and len(m.y)]

    def set_range(self, values: list[np.ndarray]) -> None:
        """The y range from the kernel where d3 would guess badly: log scales (below) and constant metrics."""
        if self.log:
            self._set_log_ticks(values)
            return
        if self.y_axis.tick_values is not None:
            self.y_axis.tick_values = None
        finite = np.concatenate([v[np.isfinite(v)] for v in values]) if values else np.zeros(0)
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
        flat = finite.size > 0 and hi - lo <= 1e-9 * max(abs(lo), abs(hi), 1e-300)
        pad = (abs(hi) * 0.1 or 1.0) if flat else None
        bounds = (lo - pad, hi + pad) if pad is not None else (None, None)
        if (self.ys_linear.min, self.ys_linear.max) != bounds:
            with self.ys_linear.hold_sync():
                self.ys_linear.min, self.ys_linear.max = bounds
        if finite.size:
            self._fit_labels(_linear_tick_labels(*((lo, hi) if pad is None else (lo - pad, hi + pad))))

    def _fit_labels(self, labels: list[str]) -> None:
        """How far left of the y axis its title goes to clear the widest tick label (0.000275): ``label_room``."""
        width = max((len(t) for t in labels), default=4)
        self.label_room = int(18 + 6.5 * max(width, 4))

    def place_y_title(self, offset: int) -> None:
        """The y axis title ``offset`` pixels left of the axis (the monitor gives every panel the same, so the
        plot areas of stacked panels line up)."""
        if self.y_axis.label_offset != f"{offset}px":
            with self.figure.hold_sync():
                self.y_axis.label_offset = f"{offset}px"
                self.figure.fig_margin = {**self.figure.fig_margin, "left": offset + 14}

    def _set_log_ticks(self, values: list[np.ndarray]) -> None:
        """The log axis' range and readable ticks: 1, 2, 5 x powers of ten within the data (d3 would label every
        1..9). The range is set from the kernel, so the scale never has to guess a domain from data it
        cannot take the log of (values <= 0)."""
        positive = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in values]) if values else np.zeros(0)
        if positive.size == 0:
            return
        lo, hi = float(positive.min()), float(positive.max())
        if hi <= lo:
            lo, hi = lo / 2, hi * 2
        pad = (hi / lo) ** 0.04
        with self.ys_log.hold_sync():
            self.ys_log.min, self.ys_log.max = lo / pad, hi * pad
        decades = range(int(np.floor(np.log10(lo))) - 1, int(np.ceil(np.log10(hi))) + 1)
        for mantissas in ((1.0,), (1.0, 3.0), (1.0, 2.0, 5.0), tuple(range(1, 10))):
            ticks = [m * 10.0**k for k in decades for m in mantissas if lo <= m * 10.0**k <= hi]
            if len(ticks) >= 3:
                break
        if len(ticks) < 2:
            ticks = [lo, hi]
        self.y_axis.tick_values = np.asarray(ticks, dtype=float)
        self._fit_labels([_label(t) for t in ticks])

    def draw_hover(self, points: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray | None]]) -> None:
        """Hover markers: up to ``_HOVER_PER_LINE`` logged points per metric, named with the smoothed value."""
        xs, ys, names = [], [], []
        for name, (x, y, smooth) in points.items():
            pick = np.unique(np.linspace(0, x.size - 1, min(x.size, _HOVER_PER_LINE)).astype(np.int64)) \
                if x.size else np.zeros(0, dtype=np.int64)
            yv = y[pick]
            keep = np.isfinite(yv) & ((yv > 0) if self.log else True)
            pick = pick[keep]
            xs.append(x[pick])
            ys.append(y[pick])
            if smooth is None:
                names += [name] * pick.size
            else:
                names += [f"{name} · smoothed {c.fmt(float(s), 4)}" for s in smooth[pick]]
        with self.hover.hold_sync():
            self.hover.x = np.concatenate(xs) if xs else np.zeros(0)
            self.hover.y = np.concatenate(ys) if ys else np.zeros(0)
            self.hover.names = names

    def set_latest(self, name: str, step: float, value: float) -> None:
        lines = self.lines[name]
        dash = lines.key.value.split(" ", 1)[0]
        lines.key.value = f"{dash} {name} {c.fmt(value, 4)}"

    def _on_toggle(self, change: dict[str, object]) -> None:
        self.log = bool(change["new"])
        self.set_range(self.drawn_values())  # a domain before any mark uses the scale
        scales = {"x": self.xs, "y": self.ys}
        with self.figure.hold_sync():
            for lines in self.lines.values():
                lines.raw.set(scales=scales)
                lines.smooth.set(scales=scales)
            self.hover.scales = scales
            self.y_axis.scale = self.ys
        self._on_log(self)


def _positive(y: np.ndarray) -> np.ndarray:
    bad = y <= 0
    return np.where(bad, np.nan, y) if bad.any() else y


def _label(value: float) -> str:
    """A tick value as d3's ``~g`` writes it (plain decimals down to 1e-6)."""
    return str(np.format_float_positional(value, precision=6, unique=True, fractional=False, trim="-"))


def _linear_tick_labels(lo: float, hi: float, count: int = 10) -> list[str]:
    """The labels d3 would put on a linear axis over [lo, hi] (about ``count`` ticks at a 1, 2, 5 step)."""
    if not hi > lo:
        return [_label(lo)]
    raw = (hi - lo) / count
    power = 10.0 ** np.floor(np.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    decimals = max(0, -int(np.floor(np.log10(step))))
    ticks = np.arange(np.ceil(lo / step), np.floor(hi / step) + 1) * step
    return [f"{t:.{decimals}f}".replace("-0", "0") if abs(t) < step / 2 else f"{t:.{decimals}f}" for t in ticks]
