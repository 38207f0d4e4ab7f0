"""TrainingMonitor: live training curves fed straight from any loop, with no server and no log directory.

``mon.log(step, loss=..., val_loss=..., lr=...)`` appends to kernel-side series (a few
microseconds) and wakes a drawing thread, which sends decimated lines at most ``max_rate`` times
a second (see :mod:`._series` for the min/max-per-bucket policy). bqplot has no incremental append:
every update replaces a line's points, so what bounds the messages is the decimation (at most
``2 x buckets`` points per line, whatever was logged) and the throttle. Updates reach the browser
while the loop runs in the same cell (the kernel is busy, but comm messages still flow) and when
it runs in a background thread.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import bqplot as bq
import ipywidgets as w
import numpy as np

from ..views import charts as c
from ..views._base import check_keywords
from ..views._chart_monitor import MetricPanel
from ._families import LR, Families, base_name, is_validation
from ._series import Decimator, Series, Smoother, window_indices
from ._throttle import Throttle

_OPTIONS = {"title", "panels", "smoothing", "log_y", "buckets", "max_rate", "height"}
_HOVER_INTERVAL = 0.5  # seconds between hover-marker updates (they cost more to draw than lines)


def _as_value(name: str, value: Any) -> float:
    """A logged value as a float: Python/numpy numbers, 0-d arrays and one-element tensors."""
    if isinstance(value, bool | int | float):
        return float(value)
    try:
        size = getattr(value, "size", None)
        size = size() if callable(size) else size  # torch: .size() is the shape; numel() the count
        if hasattr(value, "numel"):
            size = value.numel()
        if size is not None and size != 1:
            raise TypeError
        if hasattr(value, "detach"):
            value = value.detach()
        return float(value)
    except (TypeError, ValueError):
        shape = getattr(value, "shape", None)
        what = f"{type(value).__name__}" + (f" of shape {tuple(shape)}" if shape is not None else "")
        raise TypeError(f"log(): metric {name!r} must be a single number; got {what} {value!r:.60}") from None


class _Track:
    """Drawing state of one metric: decimation of the raw and the smoothed series."""

    def __init__(self, buckets: int, weight: float) -> None:
        self.raw = Decimator(buckets)
        self.smoother = Smoother(weight)
        self.smooth = Decimator(buckets)

    def restart_smoothing(self, weight: float) -> None:
        self.smoother = Smoother(weight)
        self.smooth.reset()


class TrainingMonitor(w.VBox):
    """Live training curves: one panel per metric family, smoothing, log scale, hover, zoom.

    Parameters
    ----------
    title : str
        Shown above the panels.
    panels : dict of str -> list of str, optional
        Panel title -> the metrics drawn in it. Metrics not listed go by name: losses (``loss``,
        ``val_loss``, ``nll``, ``mse``...) in "Loss", learning rates (``lr``, ``learning_rate``) in
        "Learning rate" on their own axis, everything else in "Metrics".
    smoothing : float
        Weight in [0, 1) of TensorBoard's debiased exponential moving average; 0 draws the raw
        values only. Changeable with the slider. Learning rates are never smoothed (a step
        schedule would look like a decay).
    log_y : sequence of str
        Panel titles that start with a logarithmic y axis (each panel has a toggle).
    buckets : int
        Decimation buckets per line (about the plot width in pixels): at most ``2 x buckets``
        points of each line are sent, however many steps were logged.
    max_rate : float
        At most this many updates per second are sent to the browser (default 10).
    height : int
        Height of each panel's plot in pixels.

    Notes
    -----
    Display the monitor before the loop (``mon.show()`` or ``display(mon)``): a widget that is only
    the value of the cell's last line appears after the cell finishes.
    """

    def __init__(self, **options: Any) -> None:
        check_keywords("TrainingMonitor", options, _OPTIONS)
        smoothing = float(options.get("smoothing", 0.6))
        if not 0.0 <= smoothing < 1.0:
            raise ValueError(f"smoothing must be in [0, 1); got {smoothing}")
        self.buckets = int(options.get("buckets", 800))
        if self.buckets < 8:
            raise ValueError(f"buckets must be at least 8; got {self.buckets}")
        self._height = int(options.get("height", 260))
        if self._height < 120:
            raise ValueError(f"height must be at least 120 pixels; got {self._height}")
        log_y = options.get("log_y", ())
        if isinstance(log_y, str) or not isinstance(log_y, Sequence):
            raise TypeError(f"log_y must be a list of panel titles; got {log_y!r}")
        self._log_y = {str(t) for t in log_y}
        self._families = Families(options.get("panels"))
        super().__init__()
        self._lock = threading.Lock()  # series and dirty set (log() from any thread)
        self._draw_lock = threading.RLock()  # one draw at a time
        self._series: dict[str, Series] = {}
        self._tracks: dict[str, _Track] = {}
        self._panel_of: dict[str, MetricPanel] = {}
        self._panels: dict[str, MetricPanel] = {}
        self._dirty: set[str] = set()
        self._redraw_all = False
        self._window: tuple[float, float] | None = None
        self._last_hover = float("-inf")
        self._hover_due: set[str] = set()
        self._auto_step = -1.0
        self.watcher: Any = None
        self.xs = bq.LinearScale()
        self.xs.observe(self._on_zoom, ["min", "max"])
        self.slider = w.FloatSlider(value=smoothing, min=0.0, max=0.99, step=0.01, description="Smoothing",
                                    readout_format=".2f", continuous_update=False, layout=w.Layout(width="320px"),
                                    style={"description_width": "75px"})
        self.slider.add_class("ipx-smoothing")
        self.slider.observe(self._on_smoothing, "value")
        self.zoom_toggle = w.ToggleButton(description="zoom / pan", icon="search", layout=w.Layout(min_width="120px"),
                                          tooltip="while pressed: mouse wheel zooms, drag pans (all panels); "
                                                  "released: hovering shows values")
        self.zoom_toggle.add_class("ipx-zoom-toggle")
        self.reset_zoom = w.Button(description="Reset zoom", tooltip="show every step again",
                                   layout=w.Layout(min_width="110px"))
        self.reset_zoom.on_click(lambda _: self.zoom(None))
        self.status = c.text_label("no values logged yet", cls="ipx-monitor-status", wrap=True)
        self._grid = w.Box([], layout=w.Layout(display="grid", width="100%", grid_gap="8px 16px",
                                                grid_template_columns="repeat(auto-fit, minmax(420px, 1fr))"))
        self._extra = w.VBox([])
        title = str(options.get("title", ""))
        head = [c.style(), *([c.text_label(title, bold=True)] if title else [])]
        controls = w.HBox([self.slider, self.zoom_toggle, self.reset_zoom],
                          layout=w.Layout(align_items="center", flex_flow="row wrap", grid_gap="4px 12px"))
        self.children = [*head, controls, self.status, self._grid, self._extra]
        self.add_class("ipx-monitor")
        self._throttle = Throttle(self._draw, float(options.get("max_rate", 10.0)), name="TrainingMonitor")

    # ------------------------------------------------------------------ public API
    def log(self, step: float | None = None, /, **metrics: Any) -> None:
        """Record ``metrics`` (name=value) at ``step``; the charts catch up within ``1 / max_rate`` s.

        ``step`` defaults to one more than the last step logged. NaN/inf values are kept, drawn as
        gaps and flagged under their panel. Thread-safe; about 10 µs for four metrics (benchmarks/monitor_log.py).
        """
        if not metrics:
            raise TypeError("log() needs at least one metric, e.g. mon.log(step, loss=0.25)")
        values = {name: _as_value(name, v) for name, v in metrics.items()}
        watcher = self.watcher
        if watcher is not None:
            for name, lr in watcher.learning_rates().items():
                values.setdefault(name, lr)
        with self._lock:
            if step is None:
                at = self._auto_step + 1.0
            else:
                at = float(step) if isinstance(step, int | float) else _as_value("step", step)
                if not math.isfinite(at):
                    raise ValueError(f"log(): step must be a finite number; got {step!r}")
            for name, value in values.items():
                series = self._series.get(name)
                if series is None:
                    series = self._series[name] = Series(name)
                series.append(at, value)
                self._dirty.add(name)
            self._auto_step = max(self._auto_step, at)
        if watcher is not None:
            watcher.on_log(at)
        self._throttle.request()

    def watch(self, model: Any, *, optimizer: Any = None, every: int = 1, max_columns: int = 400,
              diagram: Any = None) -> Any:
        """Also track a torch model: per-layer gradient and weight norms (Heatmaps of layers x steps).

        Gradient norms are collected by hooks as ``backward()`` runs, so the usual loop order
        (``zero_grad``, ``backward``, ``step``, ``log``) needs nothing else. With ``optimizer``, its
        learning rate (per parameter group) is logged as ``lr`` at every ``log()``. Norms are
        recorded every ``every`` logged steps; beyond ``max_columns`` steps, neighbouring columns
        are averaged so the heatmap stays bounded. With ``diagram`` (a NetworkDiagram of the model),
        its nodes are coloured by the latest gradient norms. Returns the
        :class:`~ipyexplain.monitor.LayerWatch`; its ``remove()`` detaches the hooks.
        """
        from ._watch import LayerWatch

        if self.watcher is not None:
            self.watcher.remove()
        self.watcher = LayerWatch(model, optimizer=optimizer, every=every, max_columns=max_columns, diagram=diagram)
        self._extra.children = list(self.watcher.widgets())
        return self.watcher

    def flush(self) -> None:
        """Draw everything logged so far now (blocking), e.g. at the end of a loop; each line is then sent whole
        once (between flushes, updates send the points appended since the last one)."""
        with self._lock:
            self._redraw_all = True
        self._draw(force=True)
        if self.watcher is not None:
            self.watcher.draw(force=True)

    def zoom(self, window: tuple[float, float] | None) -> None:
        """Show steps ``window = (first, last)`` on every panel, or all steps with ``None``."""
        with self.xs.hold_sync():
            if window is None:
                self.xs.min = self.xs.max = None
            else:
                lo, hi = (float(v) for v in window)
                if not hi > lo:
                    raise ValueError(f"zoom window must be (first, last) with last > first; got {window}")
                self.xs.min, self.xs.max = lo, hi

    @property
    def history(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Every logged value: metric name -> (steps, values), copies."""
        with self._lock:
            return {name: (s.x.copy(), s.y.copy()) for name, s in self._series.items()}

    @property
    def smoothing(self) -> float:
        return float(self.slider.value)

    @property
    def panels(self) -> dict[str, MetricPanel]:
        return dict(self._panels)

    def show(self, where: str = "inline", *, title: str | None = None) -> Any:
        """Display the monitor ``"inline"`` or in the JupyterLab ``"sidebar"`` (see ipyexplain.show)."""
        from ..display import show

        return show(self, where=where, title=title or "Training monitor")

    def close(self) -> None:
        throttle = getattr(self, "_throttle", None)  # None: a constructor that refused its arguments
        if throttle is not None:
            throttle.close()
        if getattr(self, "watcher", None) is not None:
            self.watcher.remove()
        super().close()

    # ------------------------------------------------------------------ drawing (the throttle's thread)
    def _on_zoom(self, change: dict[str, Any]) -> None:
        lo, hi = self.xs.min, self.xs.max
        window = (float(lo), float(hi)) if lo is not None and hi is not None and hi > lo else None
        with self._lock:
            self._window = window
            self._redraw_all = True
        self._throttle.request()

    def _on_smoothing(self, change: dict[str, Any]) -> None:
        with self._draw_lock:
            for track in self._tracks.values():
                track.restart_smoothing(float(change["new"]))
        with self._lock:
            self._redraw_all = True
        self._throttle.request()

    def _panel_for(self, name: str) -> MetricPanel:
        title = self._families.of(name)
        panel = self._panels.get(title)
        if panel is None:
            panel = MetricPanel(title, self.xs, height=self._height, log=title in self._log_y,
                                on_log=self._on_log_toggle, smooth=title != LR)
            self._panels[title] = panel
            ordered = sorted(self._panels.values(), key=lambda p: self._families.rank(p.title))
            self._grid.children = [p.widget for p in ordered]
        bases = list(dict.fromkeys(base_name(n) for n in panel.lines))
        base = base_name(name)
        color = c.color(bases.index(base) if base in bases else len(bases))
        panel.add(name, color, dashed=is_validation(name))
        return panel

    def _on_log_toggle(self, panel: MetricPanel) -> None:
        with self._lock:
            self._dirty.update(n for n, p in self._panel_of.items() if p is panel)
            self._hover_due.add(panel.title)
        self._throttle.request()

    def _draw(self, force: bool = False) -> None:
        with self._draw_lock:
            with self._lock:
                names = list(self._series)
                targets = set(names) if self._redraw_all else self._dirty
                self._dirty, self._redraw_all = set(), False
                window = self._window
                snaps = {n: (s.x, s.y) for n, s in self._series.items()}  # views: later appends don't touch them
                bad = {n: (s.n_bad, s.first_bad_step) for n, s in self._series.items()}
                last_step = self._auto_step
            weight = self.smoothing
            for name in names:
                if name not in self._tracks:
                    self._tracks[name] = _Track(self.buckets, weight)
                    self._panel_of[name] = self._panel_for(name)
            redrawn: set[str] = set()
            for name in names:
                if name not in targets:
                    continue
                x, y = snaps[name]
                panel, track = self._panel_of[name], self._tracks[name]
                idx = self._indices(track.raw, x, y, window)
                smooth = sx = sy = None
                if weight > 0 and panel.smooth:
                    smooth = track.smoother.update(y)
                    sidx = self._indices(track.smooth, x, smooth, window)
                    sx, sy = x[sidx], smooth[sidx]
                panel.draw(name, x[idx], y[idx], sx, sy, settle=force)
                redrawn.add(panel.title)
                if y.size:
                    panel.set_latest(name, float(x[-1]), float(y[-1]))
                self._hover_due.add(panel.title)
            for title in redrawn:
                panel = self._panels[title]
                panel.set_range(panel.drawn_values())
                panel.draw_nan_marks()
            if redrawn:
                room = max(p.label_room for p in self._panels.values())
                for panel in self._panels.values():
                    panel.place_y_title(room)
            self._draw_hover(snaps, window, force)
            self._draw_warnings(bad)
            total = sum(s.n for s in self._series.values())
            shown = "all steps" if window is None else f"steps {c.fmt(window[0])}–{c.fmt(window[1])} (zoomed)"
            self.status.value = (f"step {c.fmt(last_step)} · {len(names)} metric{'s' * (len(names) != 1)} · "
                                 f"{total:,} values logged · {shown} · at most {2 * self.buckets:,} points "
                                 "drawn per line")
            if self.watcher is not None:
                self.watcher.draw()

    def _indices(self, dec: Decimator, x: np.ndarray, y: np.ndarray, window: tuple[float, float] | None) -> np.ndarray:
        if window is not None:
            return window_indices(x, y, window[0], window[1], self.buckets)
        dec.update(x, y)
        return dec.indices(x.size)

    def _draw_hover(self, snaps: Mapping[str, tuple[np.ndarray, np.ndarray]],
                    window: tuple[float, float] | None, force: bool = False) -> None:
        """Hover markers at most every _HOVER_INTERVAL s; a skipped update is redone by a later draw."""
        if not self._hover_due:
            return
        if not force and time.monotonic() - self._last_hover < _HOVER_INTERVAL:
            timer = threading.Timer(_HOVER_INTERVAL, self._throttle.request)
            timer.daemon = True
            timer.start()
            return
        self._last_hover = time.monotonic()
        weight = self.smoothing
        for title in self._hover_due:
            panel = self._panels[title]
            points = {}
            for name in panel.lines:
                x, y = snaps[name]
                track = self._tracks[name]
                idx = self._indices(track.raw, x, y, window)
                smooth = track.smoother.values if weight > 0 and panel.smooth else None
                points[name] = (x[idx], y[idx], None if smooth is None or smooth.size != x.size else smooth[idx])
            panel.draw_hover(points)
        self._hover_due = set()

    def _draw_warnings(self, bad: Mapping[str, tuple[int, float | None]]) -> None:
        for panel in self._panels.values():
            notes = []
            for name in panel.lines:
                n_bad, first = bad.get(name, (0, None))
                if n_bad:
                    notes.append(f"{name}: {n_bad:,} NaN/inf value{'s' * (n_bad != 1)} since step "
                                 f"{c.fmt(first or 0.0)}, drawn as gaps")
                if panel.log:
                    y = self._series[name].y
                    hidden = int(np.count_nonzero(y <= 0))
                    if hidden:
                        notes.append(f"{name}: {hidden:,} value{'s' * (hidden != 1)} ≤ 0 not drawn on the log scale")
            text = "⚠ " + "; ".join(notes) if notes else ""
            if panel.warning.value != text:
                panel.warning.value = text
