"""TrainingMonitor: decimation keeps every bucket's extremes and NaN gaps, incremental equals from-scratch,
smoothing equals TensorBoard's, panels per family, throttled bounded messages, zoom, log scale, errors."""

from __future__ import annotations

import itertools
import threading
import time

import ipywidgets as w
import numpy as np
import pytest

from ipyexplain.monitor import TrainingMonitor
from ipyexplain.monitor._families import default_family
from ipyexplain.monitor._series import Decimator, Series, Smoother, window_indices

XSS = "<img src=x onerror=alert(1)>"


def random_walk(n: int, seed: int = 0, nan_every: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.cumsum(rng.standard_normal(n))
    if nan_every:
        y[::nan_every] = np.nan
    return np.arange(n, dtype=np.float64), y


def brute_force(x, y, origin, width):
    """Per bucket: index of the first min, first max and first non-finite value."""
    ids = ((x - origin) // width).astype(np.int64)
    out = {}
    for b in np.unique(ids):
        members = np.flatnonzero(ids == b)
        vals = y[members]
        finite = np.isfinite(vals)
        picks = set()
        if finite.any():
            picks.add(int(members[np.flatnonzero(finite)[np.argmin(vals[finite])]]))
            picks.add(int(members[np.flatnonzero(finite)[np.argmax(vals[finite])]]))
        if (~finite).any():
            picks.add(int(members[np.flatnonzero(~finite)[0]]))
        out[int(b)] = picks
    return out


def recorded_messages(monkeypatch):
    """Every widget message sent (state keys and binary buffer bytes), whatever the comm."""
    sent = []

    def record(self, msg, buffers=None):
        if msg.get("method") == "update":
            sent.append((type(self).__name__, sorted(msg["state"]), sum(memoryview(b).nbytes for b in buffers or [])))

    monkeypatch.setattr(w.Widget, "_send", record)
    return sent


# ------------------------------------------------------------------------------ decimation
def test_decimation_keeps_each_buckets_min_max_and_first_nan():
    x, y = random_walk(20_000, nan_every=997)
    dec = Decimator(64)
    dec.update(x, y)
    idx = set(dec.indices(x.size).tolist())
    expected = brute_force(x, y, dec.origin, dec.width)
    assert len(expected) <= 64
    assert idx == set().union(*expected.values())
    assert len(idx) <= 2 * 64 + len(expected)


def test_incremental_updates_equal_one_update_and_widths_only_double():
    x, y = random_walk(30_000, seed=1, nan_every=1234)
    full = Decimator(100)
    full.update(x, y)
    inc = Decimator(100)
    rng = np.random.default_rng(2)
    cuts = np.sort(rng.choice(np.arange(2, x.size), size=60, replace=False))
    widths = []
    for end in [*cuts, x.size]:
        inc.update(x[:end], y[:end])
        widths.append(inc.width)
    assert inc.width == full.width
    np.testing.assert_array_equal(inc.indices(x.size), full.indices(x.size))
    ratios = [b / a for a, b in itertools.pairwise(widths) if a and b]
    assert all(r >= 1 and np.log2(r) == int(np.log2(r)) for r in ratios)


def test_short_series_are_sent_whole_and_windows_decimate_afresh():
    x, y = random_walk(150)
    dec = Decimator(100)
    dec.update(x, y)
    np.testing.assert_array_equal(dec.indices(150), np.arange(150))
    x, y = random_walk(50_000, seed=3)
    idx = window_indices(x, y, 10_000, 20_000, 100)
    assert idx.min() == 9_999 and idx.max() == 20_001  # one point beyond each edge
    assert idx.size <= 2 * 102
    inside = slice(10_000, 20_001)
    assert np.nanmax(y[inside]) == np.nanmax(y[idx[1:-1]]) and np.nanmin(y[inside]) == np.nanmin(y[idx[1:-1]])
    small = window_indices(x, y, 100, 180, 100)
    np.testing.assert_array_equal(small, np.arange(99, 182))


def test_smoothing_equals_tensorboards_ema_incrementally():
    _x, y = random_walk(3_000, seed=4, nan_every=101)

    def tensorboard(values, weight):
        last, n, out = 0.0, 0, []
        for v in values:
            if not np.isfinite(v):
                out.append(v)
                continue
            last = last * weight + (1 - weight) * v
            n += 1
            out.append(last / (1 - weight**n))
        return np.array(out)

    smoother = Smoother(0.9)
    for end in (1, 7, 500, 501, 2_000, 3_000):
        got = smoother.update(y[:end])
    np.testing.assert_allclose(got, tensorboard(y, 0.9), rtol=1e-10, equal_nan=True)
    np.testing.assert_allclose(Smoother(0.0).update(y), y, equal_nan=True)


def test_series_append_grows_and_refuses_decreasing_steps():
    s = Series("loss", capacity=2)
    for i in range(10):
        s.append(i, float("nan") if i == 4 else i * 0.5)
    assert s.n == 10 and s.n_bad == 1 and s.first_bad_step == 4
    with pytest.raises(ValueError, match=r"step 3 of 'loss' is before its last logged step 9"):
        s.append(3, 1.0)


# ------------------------------------------------------------------------------ the widget
def test_panels_by_family_colours_legend_and_nan_flags():
    mon = TrainingMonitor(smoothing=0.0)
    for step in range(50):
        mon.log(step, loss=1 / (step + 1), val_loss=float("nan") if step == 30 else 1.2 / (step + 1),
                lr=0.1, acc=step / 50, **{XSS: 0.5})
    mon.flush()
    assert list(mon.panels) == ["Loss", "Learning rate", "Metrics"]
    assert [w.widget for w in mon.panels.values()] != []
    assert [p.title for p in sorted(mon.panels.values(), key=lambda p: mon._families.rank(p.title))] == \
        ["Loss", "Metrics", "Learning rate"]
    loss = mon.panels["Loss"]
    assert set(loss.lines) == {"loss", "val_loss"}
    assert loss.lines["loss"].color == loss.lines["val_loss"].color  # train/validation twins share a colour
    assert loss.lines["val_loss"].raw.line_style == "dashed" and loss.lines["loss"].raw.line_style == "solid"
    assert loss.lines["loss"].key.value == "━━ loss 0.02"
    assert loss.warning.value == "⚠ val_loss: 1 NaN/inf value since step 30, drawn as gaps"
    assert np.isnan(loss.lines["val_loss"].raw.y[30]) and len(loss.lines["val_loss"].raw.y) == 50
    assert XSS in mon.panels["Metrics"].lines and isinstance(mon.panels["Metrics"].lines[XSS].key, w.Label)
    assert "step 49 · 5 metrics · 250 values logged" in mon.status.value
    assert [default_family(n) for n in ("train/loss", "lr_0", "learning_rate", "val_acc", "nll", "f1")] == \
        ["Loss", "Learning rate", "Learning rate", "Metrics", "Loss", "Metrics"]


def test_100k_steps_are_drawn_bounded_with_few_small_messages(monkeypatch):
    sent = recorded_messages(monkeypatch)
    mon = TrainingMonitor(buckets=400, max_rate=10)
    x, y = random_walk(100_000, seed=5)
    started = time.perf_counter()
    for i in range(x.size):
        mon.log(i, loss=y[i], val_loss=y[i] + 1)
    per_log = (time.perf_counter() - started) / x.size
    mon.flush()
    assert per_log < 60e-6, f"log() costs {per_log * 1e6:.1f} µs"
    for lines in mon.panels["Loss"].lines.values():
        assert len(lines.raw.x) <= 800 and len(lines.smooth.x) <= 800
        assert np.nanmax(lines.raw.y) == pytest.approx(np.nanmax(y) + (lines.raw.labels[0] == "val_loss"))
    line_messages = [m for m in sent if m[0] == "Lines"]
    assert max(b for _, _, b in line_messages) < 20_000  # float64 x + float32 y of <= 800 points
    # ~10 draws a second while logging; per draw at most one message per mark (4 lines, a head and a tail each).
    draws = mon._throttle.flushes + 1
    assert draws <= 10 * max(per_log * x.size, 0.1) + 3
    assert len([m for m in line_messages if "x" in m[1]]) <= 8 * draws
    mon.close()


def drawn(split):
    """The line a SplitLine shows: its head, then its tail without the point they share."""
    hx, tx = np.asarray(split.head.x), np.asarray(split.tail.x)
    hy, ty = np.asarray(split.head.y, dtype=float), np.asarray(split.tail.y, dtype=float)
    if hx.size and tx.size:
        assert tx[0] == hx[-1] and ty[0] == hy[-1]  # they join at the head's last point (never NaN)
        tx, ty = tx[1:], ty[1:]
    return np.r_[hx, tx], np.r_[hy, ty]


@pytest.mark.parametrize("smoothing", [0.0, 0.8])
def test_appends_send_the_new_points_not_the_line(monkeypatch, smoothing):
    """Between draws only the tail of each line travels; head + tail always equal the whole decimated line."""
    from ipyexplain.views._chart_split import CHUNK, UNSTABLE

    sent = recorded_messages(monkeypatch)
    mon = TrainingMonitor(buckets=200, smoothing=smoothing, max_rate=1e-3)  # the thread stays out: draws are ours
    x, y = random_walk(40_000, seed=9, nan_every=4_999)
    per_draw, whole, bound = [], [], []
    ref = Decimator(200)  # fed the same cuts as the monitor's (the decimation itself is tested above)
    for end in range(50, x.size + 1, 50):
        for i in range(end - 50, end):
            mon.log(i, loss=y[i])
        sent.clear()
        mon._draw()
        lines = mon.panels["Loss"].lines["loss"]
        ref.update(x[:end], y[:end])
        idx = ref.indices(end)
        keep = idx[: np.flatnonzero(np.isfinite(y[idx]))[-1] + 1]  # lines never end on NaN
        gx, gy = drawn(lines.raw)
        np.testing.assert_array_equal(gx, x[keep])
        np.testing.assert_allclose(gy, y[keep].astype(np.float32), equal_nan=True)
        if smoothing:
            sx, sy = drawn(lines.smooth)
            assert sx.size == lines.smooth.x.size and np.array_equal(sx, lines.smooth.x)
            assert np.isfinite(sy[-1]) and np.array_equal(sy, lines.smooth.y.astype(np.float32), equal_nan=True)
        per_draw.append(sum(b for kind, keys, b in sent if kind == "Lines" and "x" in keys))
        whole.append(12 * (lines.raw.x.size + lines.smooth.x.size))  # what resending both lines would cost
        # An ordinary update: a tail of at most max(CHUNK, a quarter of the line) + UNSTABLE + 1 points per line.
        bound.append(sum(12 * (max(CHUNK, n // 4) + UNSTABLE + 1) for n in (lines.raw.x.size, lines.smooth.x.size)
                         if n))
    per_draw, whole, bound = np.array(per_draw), np.array(whole), np.array(bound)
    assert np.mean(per_draw <= bound) > 0.85  # head resends are rare (bucket doublings, full tails)
    assert np.median(per_draw / whole) < 0.25  # a typical update: a small part of the line
    assert per_draw.sum() < whole.sum() / 4
    mon.flush()  # settles: each line whole in its head
    assert mon.panels["Loss"].lines["loss"].raw.tail.x.size == 1  # the head's last point: never an empty line
    assert mon.panels["Loss"].lines["loss"].raw.head.x.size == mon.panels["Loss"].lines["loss"].raw.x.size
    mon.close()


def test_smoothing_log_scale_and_zoom_redraw():
    mon = TrainingMonitor(smoothing=0.0)
    for step in range(2_000):
        mon.log(step, loss=np.sin(step / 50) + 0.5, lr=0.01)
    mon.flush()
    loss = mon.panels["Loss"].lines["loss"]
    assert not loss.smooth.visible and loss.raw.opacities == [1.0]
    mon.slider.value = 0.9
    mon.flush()
    assert loss.smooth.visible and loss.raw.opacities == [0.3] and 0 < len(loss.smooth.y) <= 1_600
    assert not mon.panels["Learning rate"].lines["lr"].smooth.visible  # learning rates are never smoothed
    panel = mon.panels["Loss"]
    panel.toggle.value = True
    mon.flush()
    assert loss.raw.scales["y"] is panel.ys_log and panel.y_axis.scale is panel.ys_log
    drawn_x = np.asarray(loss.raw.x)
    assert np.all(np.isnan(loss.raw.y[np.sin(drawn_x / 50) + 0.5 <= 0]))
    assert np.all(loss.raw.y[~np.isnan(loss.raw.y)] > 0)
    assert "values ≤ 0 not drawn on the log scale" in panel.warning.value
    panel.toggle.value = False
    mon.zoom((500, 600))
    mon.flush()
    assert loss.raw.x.min() == 499 and loss.raw.x.max() == 601 and "steps 500–600 (zoomed)" in mon.status.value
    mon.zoom(None)
    mon.flush()
    assert loss.raw.x.max() == 1_999
    assert len(panel.hover.x) > 0 and panel.hover.names[0].startswith("loss · smoothed")
    hist = mon.history
    assert hist["loss"][0].size == 2_000


def test_background_thread_logs_reach_the_charts():
    mon = TrainingMonitor(max_rate=50)
    done = threading.Event()

    def loop():
        for step in range(300):
            mon.log(step, loss=1.0 / (1 + step))
            time.sleep(0.001)
        done.set()

    threading.Thread(target=loop, daemon=True).start()
    assert done.wait(10)
    deadline = time.monotonic() + 5
    drawn = lambda: len(mon.panels["Loss"].lines["loss"].raw.x) if "Loss" in mon.panels else 0  # noqa: E731
    while time.monotonic() < deadline and drawn() < 300:
        time.sleep(0.02)  # the drawing thread catches up without any flush() call
    assert len(mon.panels["Loss"].lines["loss"].raw.x) == 300
    assert mon._throttle.flushes >= 2
    mon.close()


def test_bad_input_is_named():
    mon = TrainingMonitor()
    with pytest.raises(TypeError, match="needs at least one metric"):
        mon.log(0)
    with pytest.raises(TypeError, match=r"metric 'loss' must be a single number; got ndarray of shape \(3,\)"):
        mon.log(0, loss=np.ones(3))
    with pytest.raises(TypeError, match="metric 'name' must be a single number"):
        mon.log(0, name="text")
    with pytest.raises(ValueError, match="step must be a finite number"):
        mon.log(float("nan"), loss=1.0)
    mon.log(5, loss=1.0)
    with pytest.raises(ValueError, match="step 4 of 'loss' is before its last logged step 5"):
        mon.log(4, loss=1.0)
    mon.log(loss=0.5)  # no step: one more than the last
    assert mon.history["loss"][0].tolist() == [5.0, 6.0]
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) 'smooth'; valid keywords are"):
        TrainingMonitor(smooth=0.5)
    with pytest.raises(ValueError, match=r"smoothing must be in \[0, 1\)"):
        TrainingMonitor(smoothing=1.0)
    with pytest.raises(ValueError, match="metric 'loss' is in two panels"):
        TrainingMonitor(panels={"a": ["loss"], "b": ["loss"]})
    with pytest.raises(TypeError, match="must be a list of metric names"):
        TrainingMonitor(panels={"a": "loss"})
    with pytest.raises(ValueError, match="zoom window must be"):
        mon.zoom((5, 1))
    mon.close()


def test_user_panels_and_torch_scalars():
    torch = pytest.importorskip("torch")
    mon = TrainingMonitor(panels={"Accuracy": ["acc", "val_acc"]}, log_y=["Loss"])
    value = torch.tensor(0.25, requires_grad=True) * 2
    mon.log(0, loss=value, acc=torch.tensor([0.5]), val_acc=np.float32(0.4))
    mon.flush()
    assert list(mon.panels) == ["Loss", "Accuracy"] and mon.panels["Loss"].log
    assert mon.history["loss"][1].tolist() == [0.5]
    mon.close()


def test_the_drawing_thread_retires_when_idle_and_restarts(monkeypatch):
    from ipyexplain.monitor import _throttle

    monkeypatch.setattr(_throttle, "IDLE_EXIT_S", 0.05)
    mon = TrainingMonitor(max_rate=100)
    mon.log(0, loss=1.0)
    deadline = time.monotonic() + 3
    while mon._throttle._thread is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert mon._throttle._thread is None and len(mon.panels["Loss"].lines["loss"].raw.x) == 1
    mon.log(1, loss=0.5)
    deadline = time.monotonic() + 3
    while len(mon.panels["Loss"].lines["loss"].raw.x) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(mon.panels["Loss"].lines["loss"].raw.x) == 2
    mon.close()


def test_nan_steps_are_marked_constant_metrics_get_a_range_and_axes_are_labelled():
    mon = TrainingMonitor(smoothing=0.0, buckets=100)
    for step in range(5_000):
        bad = step in (1_234, 4_000)
        mon.log(step, loss=float("inf") if step == 4_000 else float("nan") if bad else 1 / (1 + step),
                val_loss=1.1 / (1 + step), lr=0.05)
    mon.flush()
    loss = mon.panels["Loss"]
    # A one-step gap among 5,000 steps is narrower than a pixel: each NaN/inf step also gets a marker.
    assert loss.nan_marks is not None and loss.nan_marks in loss.figure.marks
    assert list(loss.nan_marks.x) == [1_234, 4_000] and list(loss.nan_marks.names) == ["loss", "loss"]
    assert loss.nan_marks.scales["x"] is mon.xs and np.all(np.asarray(loss.nan_marks.y) < 0.1)  # along the bottom
    assert loss.warning.value == "⚠ loss: 2 NaN/inf values since step 1,234, drawn as gaps"
    assert mon.panels["Learning rate"].nan_marks is None
    # A constant learning rate: a range around it (d3 would label every tick 0.05).
    lr = mon.panels["Learning rate"]
    assert (lr.ys_linear.min, lr.ys_linear.max) == pytest.approx((0.045, 0.055))
    assert (loss.ys_linear.min, loss.ys_linear.max) == (None, None)
    assert [p.y_axis.label for p in mon.panels.values()] == ["loss", "learning rate"]
    # Validation drawn dashed; behind a smoothed line its raw line is faint and solid.
    val = loss.lines["val_loss"]
    assert val.raw.line_style == "dashed" and val.raw.tail.line_style == "dashed"
    mon.slider.value = 0.5
    mon.flush()
    assert val.raw.line_style == "solid" and val.raw.opacities == [0.3] and val.smooth.line_style == "dashed"
    for step in range(5_000, 5_100):
        mon.log(step, lr=0.05 * 0.999 ** (step - 4_999), loss=0.1, val_loss=0.1)
    mon.flush()
    assert (lr.ys_linear.min, lr.ys_linear.max) == (None, None)  # no longer constant: d3's range
    mon.close()


def test_split_lines_never_end_on_nan_nor_empty_once_drawn():
    from ipyexplain.views._chart_split import SplitLine

    added = []
    line = SplitLine(added.extend, colors=["red"])
    line.send(np.zeros(0), np.zeros(0))
    assert not added and line.marks == []  # no mark is ever made empty (bqplot cannot draw one)
    y = np.full(400, np.nan)
    y[[350, 399]] = 1.0, 2.0  # NaN for 350 points: the head must still end on a finite point
    line.send(np.arange(400.0), y)
    assert added == [line.head, line.tail] and line.head.colors == ["red"]  # made with their first points
    assert np.isfinite(line.head.y[-1]) and np.isfinite(line.tail.y[-1]) and line.tail.x[0] == line.head.x[-1]
    assert line.visible
    line.send(np.arange(10.0), np.full(10, np.nan))  # nothing finite (e.g. all <= 0 on a log scale): hidden
    assert not line.visible and not line.head.visible and len(line.head.x) > 0  # keeps its last data
    line.send(np.arange(3.0), np.ones(3))
    assert line.visible and list(line.head.x) == [0, 1, 2] and list(line.tail.x) == [2]


def test_y_titles_clear_long_tick_labels_and_panels_line_up():
    mon = TrainingMonitor(smoothing=0.0)
    for step in range(50):
        mon.log(step, loss=2.0 / (1 + step), lr=2.5e-4)
    mon.flush()
    loss, lr = mon.panels["Loss"], mon.panels["Learning rate"]
    # lr's ticks read 0.000225 ... 0.000275: its title moves out past them, and the loss panel's with it.
    assert lr.label_room > loss.label_room
    assert loss.y_axis.label_offset == lr.y_axis.label_offset == f"{lr.label_room}px"
    assert loss.figure.fig_margin["left"] == lr.figure.fig_margin["left"] == lr.label_room + 14
    wide = lr.label_room
    mon.log(50, lr=0.1)  # no longer tiny: short labels, less room
    mon.flush()
    assert lr.label_room < wide and loss.y_axis.label_offset == f"{max(lr.label_room, loss.label_room)}px"
    mon.close()
