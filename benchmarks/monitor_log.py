"""TrainingMonitor: kernel-side cost of ``log()`` and what reaches the browser, against two bqplot peers.

Three ways to draw live training curves of 4 metrics, measured in the same run (kernel side; every
widget message is captured at ``Widget._send`` with its binary buffers, as the comm would send it):

- ``ipyexplain``: ``TrainingMonitor.log(step, **metrics)``; a drawing thread sends min/max-decimated
  lines (at most 2 x buckets points each) at most 10 times a second, each update only the points appended
  since the last (a line is a head mark resent rarely and a tail mark).
- ``bqplot-throttled``: the same throttle (10 updates/s), but each update resends the whole series
  (``line.x, line.y = all steps``), what bqplot offers without decimation.
- ``ipyexplain-whole-lines``: the same monitor with each update resending every decimated line whole (as it
  did before lines were split into head and tail): the bytes the split saves.
- ``bqplot-every-step``: the naive loop: each step appends and reassigns the whole series. Quadratic,
  so it runs 10,000 steps only (the table says so).

Each loop step first does ``--step-us`` microseconds of busy "training" (default 100 µs: 100,000 steps
take ~10 s, so the throttled contenders send ~100 updates, as in a real run). ``log() µs`` is the cost
of the logging call alone (median and 99th percentile); the last column the bandwidth four lines of
the largest line message need at 10 updates a second.

Run: ``.venv/bin/python benchmarks/monitor_log.py [--steps 100000] [--step-us 100]`` (~40 s). Writes
``benchmarks/results/monitor_log.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import bqplot as bq
import ipywidgets as w
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine

from ipyexplain.monitor import TrainingMonitor
from ipyexplain.views import _chart_split

RESULTS = Path(__file__).resolve().parent / "results"
METRICS = ("loss", "val_loss", "acc", "lr")


class Recorder:
    """Every widget update message: its size (JSON state + binary buffers)."""

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.line_sizes: list[int] = []  # messages of bqplot Lines (the curves)

    def __enter__(self) -> Recorder:
        self._orig = w.Widget._send
        recorder = self

        def send(widget: Any, msg: dict[str, Any], buffers: Any = None) -> None:
            if msg.get("method") == "update":
                payload = sum(memoryview(b).nbytes for b in buffers or [])
                size = payload + len(json.dumps(msg.get("state", {}), default=str))
                recorder.sizes.append(size)
                if isinstance(widget, bq.Lines):
                    recorder.line_sizes.append(size)

        w.Widget._send = send  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: Any) -> None:
        w.Widget._send = self._orig  # type: ignore[method-assign]


def work(us: float) -> None:
    """A training step's compute: busy-wait (sleep is far too coarse at this scale)."""
    end = time.perf_counter() + us * 1e-6
    while time.perf_counter() < end:
        pass


def values(steps: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    i = np.arange(steps)
    loss = 2 / np.sqrt(1 + i / 50) + 0.1 * rng.standard_normal(steps)
    return {"loss": loss, "val_loss": loss + 0.1, "acc": 1 - loss / 3, "lr": 1e-3 * 0.5 ** (i // 25_000)}


def summary(name: str, steps: int, per_call: list[float], total_s: float, rec: Recorder, final_ms: float) -> dict:
    return {
        "contender": name, "steps": steps, "metrics": len(METRICS),
        "log_us_median": statistics.median(per_call) * 1e6, "log_us_p99": float(np.percentile(per_call, 99)) * 1e6,
        "loop_s": total_s, "messages": len(rec.sizes), "bytes_total": int(sum(rec.sizes)),
        "bytes_max_message": int(max(rec.sizes, default=0)), "final_draw_ms": final_ms,
        "bytes_max_line_message": int(max(rec.line_sizes, default=0)),
        "bytes_lines_total": int(sum(rec.line_sizes)),
        "bytes_median_line_message": float(statistics.median(rec.line_sizes)) if rec.line_sizes else 0.0,
    }


def run_ipyexplain(steps: int, step_us: float, whole_lines: bool = False) -> dict:
    """``whole_lines``: every update resends each decimated line whole (the monitor before its lines were split
    into a head and a tail), measured in the same run for the ratio."""
    v = values(steps)
    saved = _chart_split.SMALL
    _chart_split.SMALL = 10**12 if whole_lines else saved  # lines up to SMALL points are always sent whole
    with Recorder() as rec:
        mon = TrainingMonitor(max_rate=10)
        per_call = []
        started = time.perf_counter()
        for i in range(steps):
            work(step_us)
            t0 = time.perf_counter()
            mon.log(i, loss=v["loss"][i], val_loss=v["val_loss"][i], acc=v["acc"][i], lr=v["lr"][i])
            per_call.append(time.perf_counter() - t0)
        total = time.perf_counter() - started
        t0 = time.perf_counter()
        mon.flush()
        final = (time.perf_counter() - t0) * 1000
        mon.close()
    _chart_split.SMALL = saved
    out = summary("ipyexplain-whole-lines" if whole_lines else "ipyexplain", steps, per_call, total, rec, final)
    out["points_per_line_max"] = max(len(lines.raw.x) for p in mon.panels.values() for lines in p.lines.values())
    return out


def bqplot_lines() -> dict[str, bq.Lines]:
    xs = bq.LinearScale()
    lines = {m: bq.Lines(x=np.zeros(0), y=np.zeros(0), scales={"x": xs, "y": bq.LinearScale()}) for m in METRICS}
    bq.Figure(marks=list(lines.values()), axes=[bq.Axis(scale=xs)])
    return lines


def run_bqplot(steps: int, throttled: bool, step_us: float) -> dict:
    v = values(steps)
    with Recorder() as rec:
        lines = bqplot_lines()
        buf = {m: np.empty(steps) for m in METRICS}
        x = np.arange(steps, dtype=float)
        per_call = []
        last = float("-inf")
        started = time.perf_counter()
        for i in range(steps):
            work(step_us)
            t0 = time.perf_counter()
            for m in METRICS:
                buf[m][i] = v[m][i]
            if not throttled or t0 - last >= 0.1:
                last = t0
                for m, line in lines.items():
                    with line.hold_sync():
                        line.x, line.y = x[: i + 1], buf[m][: i + 1]
            per_call.append(time.perf_counter() - t0)
        total = time.perf_counter() - started
        t0 = time.perf_counter()
        for m, line in lines.items():
            with line.hold_sync():
                line.x, line.y = x, buf[m]
        final = (time.perf_counter() - t0) * 1000
    return summary("bqplot-throttled" if throttled else "bqplot-every-step", steps, per_call, total, rec, final)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--naive-steps", type=int, default=10_000)
    parser.add_argument("--step-us", type=float, default=100.0)
    args = parser.parse_args()
    rows = [run_ipyexplain(args.steps, args.step_us), run_bqplot(args.steps, True, args.step_us),
            run_bqplot(args.naive_steps, False, args.step_us), run_ipyexplain(args.steps, args.step_us, True)]
    head = f"{'contender':24} {'steps':>8} {'log() µs':>9} {'p99 µs':>8} {'loop s':>7} {'messages':>9} " \
           f"{'MB sent':>8} {'lines MB':>8} {'median line msg kB':>18} {'max line msg kB':>15}"
    print(head)
    for r in rows:
        print(f"{r['contender']:24} {r['steps']:>8,} {r['log_us_median']:>9.1f} {r['log_us_p99']:>8.1f} "
              f"{r['loop_s']:>7.2f} {r['messages']:>9,} {r['bytes_total'] / 1e6:>8.2f} "
              f"{r['bytes_lines_total'] / 1e6:>8.2f} {r['bytes_median_line_message'] / 1e3:>18.2f} "
              f"{r['bytes_max_line_message'] / 1e3:>15.1f}")
    ipx, thr, whole = rows[0], rows[1], rows[3]
    print(f"\nA typical line update is {ipx['bytes_median_line_message']:.0f} bytes (the points appended since the "
          f"last) vs {whole['bytes_median_line_message']:.0f} resending the decimated line whole; lines sent "
          f"{whole['bytes_lines_total'] / max(ipx['bytes_lines_total'], 1):.1f}x fewer bytes over the run.")
    print(f"At {args.steps:,} steps one line's update is at most {ipx['bytes_max_line_message'] / 1e3:.0f} kB with "
          f"ipyexplain vs {thr['bytes_max_line_message'] / 1e6:.1f} MB resending the whole series "
          f"({thr['bytes_max_line_message'] / max(ipx['bytes_max_line_message'], 1):.0f}x); in total "
          f"{thr['bytes_total'] / max(ipx['bytes_total'], 1):.1f}x fewer bytes over the run. Lines stay at <= "
          f"{ipx['points_per_line_max']:,} points; the final draw takes {ipx['final_draw_ms']:.0f} ms.")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "monitor_log.json").write_text(json.dumps({"machine": machine(), "date": time.strftime("%Y-%m-%d"),
                                                          "results": rows}, indent=2))


if __name__ == "__main__":
    main()
