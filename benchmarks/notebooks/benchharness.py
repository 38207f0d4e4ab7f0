"""Kernel side of benchmarks/heatmap_latency.py: the control widget the browser drives.

Voila runs no code after the notebook has executed, so the benchmark drives the kernel through this
widget: the browser sets ``command``; the observer below makes fresh random data, stamps the kernel
clock (``time.time() * 1000``, the same epoch-ms clock as the browser's
``performance.timeOrigin + performance.now()``) *just before* assigning it to the contender, and
reports the stamps back on ``result`` *after* the assignment (so the stamp never travels ahead of the
data and cannot delay it). The browser -> kernel trip is therefore outside the measured interval.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import anywidget
import numpy as np
import traitlets as t

VMIN, VMAX = -4.0, 4.0  # fixed colour limits for every contender: no autoscale redraws

_ESM = """
export default {
  render({ model, el }) {
    el.className = "bench-control";
    el.textContent = "benchmark control: " + model.get("contender");
    window.__benchControl = model;
  }
};
"""


def matrix(n: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """A fresh n x n float32 matrix of standard normal values."""
    rng = rng or np.random.default_rng()
    return rng.standard_normal((n, n), dtype=np.float32)


def now_ms() -> float:
    return time.time() * 1000.0


class Control(anywidget.AnyWidget):
    """Runs the browser's commands against one contender.

    ``assign(a)`` is the one line a user would write (``h.values = a``, ``mark.color = a``, ...).
    ``reshape(a)``, if given, is used instead when the shape changes (bqplot needs x and y too).
    ``extra()`` returns contender state worth recording after an assignment (e.g. frame counters).
    """

    _esm = _ESM
    contender = t.Unicode().tag(sync=True)
    command = t.Dict().tag(sync=True)  # browser -> kernel
    result = t.Dict().tag(sync=True)  # kernel -> browser

    def __init__(
        self,
        contender: str,
        assign: Callable[[np.ndarray], None],
        *,
        reshape: Callable[[np.ndarray], None] | None = None,
        extra: Callable[[], dict[str, Any]] | None = None,
        shape: tuple[int, int] = (0, 0),
    ) -> None:
        super().__init__(contender=contender)
        self._assign = assign
        self._reshape = reshape or assign
        self._extra = extra or dict
        self._shape = shape
        self._rng = np.random.default_rng(12345)
        self._stream: threading.Thread | None = None
        self.observe(self._on_command, "command")

    def _set(self, a: np.ndarray) -> None:
        (self._assign if a.shape == self._shape else self._reshape)(a)
        self._shape = a.shape

    def _on_command(self, change: dict[str, Any]) -> None:
        cmd = change["new"]
        try:
            if cmd.get("op") == "update":
                self._update(cmd)
            elif cmd.get("op") == "stream":
                self._start_stream(cmd)
        except Exception:  # show it in the browser: the driver reads `result`
            self.result = {"seq": cmd.get("seq"), "error": traceback.format_exc()}

    def _update(self, cmd: dict[str, Any]) -> None:
        a = matrix(int(cmd["size"]), self._rng)  # generated before the clock starts
        reshaped = a.shape != self._shape
        t0 = now_ms()
        self._set(a)
        t1 = now_ms()
        self.result = {"seq": cmd["seq"], "t0": t0, "t1": t1, "reshaped": reshaped, **self._extra()}

    def _start_stream(self, cmd: dict[str, Any]) -> None:
        n, size, seq = int(cmd["n"]), int(cmd["size"]), cmd["seq"]
        period_s = 1.0 / float(cmd["rate"]) if cmd.get("rate") else 0.0  # 0: as fast as it can
        frames = [matrix(size, self._rng) for _ in range(n)]  # generated before the first push
        if frames[0].shape != self._shape:
            self._set(frames[0])

        def push_all() -> None:
            pushes: list[list[float]] = []
            extras: list[dict[str, Any]] = []
            start = time.perf_counter()
            try:
                for i, a in enumerate(frames):
                    if period_s:
                        time.sleep(max(0.0, start + i * period_s - time.perf_counter()))
                    t0 = now_ms()
                    self._set(a)
                    pushes.append([t0, now_ms()])
                    extras.append(self._extra())
                self.result = {"seq": seq, "pushes": pushes, "extras": extras}
            except Exception:
                self.result = {"seq": seq, "error": traceback.format_exc()}

        self._stream = threading.Thread(target=push_all, name="bench-stream", daemon=True)
        self._stream.start()
