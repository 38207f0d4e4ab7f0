"""Logged metric series: O(1) appends, incremental min/max decimation, incremental EMA smoothing.

Decimation policy (why 100,000 logged steps stay smooth)
------------------------------------------------------
Every value stays in the kernel. What is drawn is at most ``2 x buckets`` points per line: the step
range is cut into buckets of equal width (a power of two times the first step spacing, so a
bucket never has to be split) and each bucket keeps its minimum and its maximum (and its first
NaN/inf, drawn as a gap). A line through those points covers exactly the pixels the full series
would, at a bucket per pixel. Appends are incremental: a flush recomputes only the last, still
open bucket and the buckets after it; when the range outgrows the buckets their width doubles and
they are rebuilt once (amortised O(1) per logged value). A zoomed window is decimated afresh over
the values inside it, so detail appears as the user zooms in.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.signal import lfilter


class Series:
    """One metric: steps and values in growing buffers (amortised O(1) append)."""

    __slots__ = ("_x", "_y", "first_bad_step", "n", "n_bad", "name")

    def __init__(self, name: str, capacity: int = 1024) -> None:
        self.name = name
        self._x = np.empty(capacity, dtype=np.float64)
        self._y = np.empty(capacity, dtype=np.float64)
        self.n = 0
        self.n_bad = 0  # NaN / inf values logged
        self.first_bad_step: float | None = None

    def append(self, step: float, value: float) -> None:
        n = self.n
        if n and step < self._x[n - 1]:
            raise ValueError(
                f"step {step:g} of {self.name!r} is before its last logged step {self._x[n - 1]:g}; "
                "steps must not decrease (start a new TrainingMonitor for a new run)"
            )
        if n == self._x.size:
            self._x = np.concatenate([self._x, np.empty_like(self._x)])
            self._y = np.concatenate([self._y, np.empty_like(self._y)])
        self._x[n] = step
        self._y[n] = value
        if not math.isfinite(value):
            self.n_bad += 1
            if self.first_bad_step is None:
                self.first_bad_step = step
        self.n = n + 1

    @property
    def x(self) -> np.ndarray:
        return self._x[: self.n]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self.n]

    def last(self) -> tuple[float, float] | None:
        return (float(self._x[self.n - 1]), float(self._y[self.n - 1])) if self.n else None


def _segment_first(mask: np.ndarray, seg: np.ndarray, n_seg: int) -> np.ndarray:
    """Per segment, the first index where ``mask`` holds (-1 if none)."""
    out = np.full(n_seg, -1, dtype=np.int64)
    where = np.flatnonzero(mask)
    if where.size:
        segs, first = np.unique(seg[where], return_index=True)
        out[segs] = where[first]
    return out


def bucket_stats(x: np.ndarray, y: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, ...]:
    """For points sorted by non-decreasing bucket ``ids``: (bucket ids, first index, min idx, max idx, bad idx)."""
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    n_seg = starts.size
    seg = np.repeat(np.arange(n_seg), np.diff(np.r_[starts, ids.size]))
    finite = np.isfinite(y)
    lo = np.where(finite, y, np.inf)
    hi = np.where(finite, y, -np.inf)
    seg_min = np.minimum.reduceat(lo, starts)
    seg_max = np.maximum.reduceat(hi, starts)
    imin = _segment_first(lo == seg_min[seg], seg, n_seg)
    imax = _segment_first(hi == seg_max[seg], seg, n_seg)
    bad = _segment_first(~finite, seg, n_seg)
    return ids[starts], starts, imin, imax, bad


def _points(imin: np.ndarray, imax: np.ndarray, bad: np.ndarray) -> np.ndarray:
    idx = np.concatenate([imin, imax, bad[bad >= 0]])
    return np.unique(idx[idx >= 0])


class Decimator:
    """Min/max per bucket over the whole series, maintained incrementally (see the module docstring)."""

    def __init__(self, buckets: int = 800) -> None:
        if buckets < 8:
            raise ValueError(f"buckets must be at least 8; got {buckets}")
        self.buckets = buckets
        self.reset()

    def reset(self) -> None:
        self.width: float | None = None  # bucket width in steps (None: not decided yet)
        self.origin = 0.0
        self.done = 0  # points folded into the buckets so far
        self._ids = self._start = self._min = self._max = self._bad = np.zeros(0, dtype=np.int64)

    def update(self, x: np.ndarray, y: np.ndarray) -> None:
        """Fold in the points appended since the last update (``x``, ``y``: the whole series so far)."""
        n = x.size
        if n == self.done:
            return
        if self.width is None:
            if n < 2 or x[-1] == x[0]:
                self.done = 0  # not decimating yet: points() returns the raw series
                return
            self.origin = float(x[0])
            span = float(x[-1] - x[0])
            self.width = 2.0 ** math.ceil(math.log2(span / (self.buckets - 1)))
            self._rebuild(x, y)
            return
        top = int((x[-1] - self.origin) // self.width)
        if top >= self.buckets:
            self.width *= 2.0 ** math.ceil(math.log2((top + 1) / self.buckets))
            self._rebuild(x, y)
            return
        # Recompute the last (open) bucket and everything after it.
        keep = self._ids.size - 1 if self._ids.size else 0
        start = int(self._start[keep]) if self._ids.size else 0
        self._trim(keep)
        self._fold(x, y, start)

    def _rebuild(self, x: np.ndarray, y: np.ndarray) -> None:
        self._trim(0)
        self._fold(x, y, 0)

    def _trim(self, keep: int) -> None:
        self._ids, self._start = self._ids[:keep], self._start[:keep]
        self._min, self._max, self._bad = self._min[:keep], self._max[:keep], self._bad[:keep]

    def _fold(self, x: np.ndarray, y: np.ndarray, start: int) -> None:
        assert self.width is not None
        ids = ((x[start:] - self.origin) // self.width).astype(np.int64)
        bid, first, imin, imax, bad = bucket_stats(x[start:], y[start:], ids)
        self._ids = np.r_[self._ids, bid]
        self._start = np.r_[self._start, first + start]
        self._min = np.r_[self._min, imin + start]
        self._max = np.r_[self._max, imax + start]
        self._bad = np.r_[self._bad, np.where(bad >= 0, bad + start, -1)]
        self.done = x.size

    def indices(self, n: int) -> np.ndarray:
        """Indices of the points to draw (all of them while the series is short)."""
        if self.width is None or n <= 2 * self.buckets:
            return np.arange(n)
        return _points(self._min, self._max, self._bad)


def window_indices(x: np.ndarray, y: np.ndarray, lo: float, hi: float, buckets: int) -> np.ndarray:
    """Indices to draw for the step window ``[lo, hi]`` (one point beyond each edge, so lines reach it)."""
    i0 = max(int(np.searchsorted(x, lo, "left")) - 1, 0)
    i1 = min(int(np.searchsorted(x, hi, "right")) + 1, x.size)
    if i1 - i0 <= 2 * buckets or hi <= lo:
        return np.arange(i0, i1)
    ids = np.clip(np.floor((x[i0:i1] - lo) / ((hi - lo) / buckets)), -1, buckets).astype(np.int64)
    _, _, imin, imax, bad = bucket_stats(x[i0:i1], y[i0:i1], ids)
    return np.union1d(_points(imin, imax, bad), [0, i1 - i0 - 1]) + i0


class Smoother:
    """TensorBoard's debiased exponential moving average, extended incrementally; NaN/inf stay gaps."""

    def __init__(self, weight: float = 0.0) -> None:
        self.weight = weight
        self.values = np.zeros(0)
        self.reset()

    def reset(self) -> None:
        self._last = 0.0
        self._count = 0
        self.done = 0
        self.values = np.zeros(0)

    def update(self, y: np.ndarray) -> np.ndarray:
        """The smoothed series for ``y`` (the whole series so far), computing only the new part."""
        new = y[self.done:]
        if new.size == 0:
            return self.values
        out = np.array(new, dtype=np.float64)  # non-finite values stay as they are (gaps)
        finite = np.isfinite(new)
        v = new[finite]
        if v.size:
            a = self.weight
            ema, _ = lfilter([1.0 - a], [1.0, -a], v, zi=np.array([a * self._last]))
            counts = self._count + np.arange(1, v.size + 1)
            debias = 1.0 - a ** counts if a > 0 else np.ones(v.size)
            out[finite] = ema / debias
            self._last = float(ema[-1])
            self._count += v.size
        self.values = np.r_[self.values, out] if self.values.size else out
        self.done = y.size
        return self.values
