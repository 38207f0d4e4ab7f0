"""Kernel-side reduction of big matrices to screen resolution.

A display cannot show more cells than it has pixels, and kernel -> browser messages stay under
``MAX_MESSAGE_BYTES``; so a matrix bigger than the target is cut into nearly equal blocks and each
block becomes one cell: its mean (``"mean"``) or its value of largest magnitude, sign kept
(``"maxabs"``, which keeps isolated spikes visible). Non-finite cells are ignored; a block with no
finite cell stays NaN.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Literal

import numpy as np

from ._transport import MAX_MESSAGE_BYTES

PoolMode = Literal["mean", "maxabs"]
POOL_MODES: tuple[PoolMode, ...] = ("mean", "maxabs")
_BYTES_PER_CELL = 4  # float32 on the wire


def block_edges(n: int, blocks: int) -> np.ndarray:
    """Start index of each of ``blocks`` nearly equal blocks covering ``range(n)``.

    Integer arithmetic, so the browser (``blockOf`` in js/src/lib/window.ts) finds the same blocks.
    """
    return (np.arange(blocks, dtype=np.int64) * n) // blocks


def target_shape(rows: int, cols: int, max_rows: int, max_cols: int) -> tuple[int, int]:
    """Shape after pooling: at most the display size and at most the message budget."""
    out_r, out_c = min(rows, max_rows), min(cols, max_cols)
    budget = MAX_MESSAGE_BYTES // _BYTES_PER_CELL
    if out_r * out_c > budget:
        scale = (budget / (out_r * out_c)) ** 0.5
        out_r, out_c = max(1, int(out_r * scale)), max(1, int(out_c * scale))
    return out_r, out_c


def pool(values: np.ndarray, out_rows: int, out_cols: int, mode: PoolMode = "mean") -> np.ndarray:
    """Reduce a 2-D array to ``(out_rows, out_cols)`` blocks; returns float32."""
    rows, cols = values.shape
    if (out_rows, out_cols) == (rows, cols):
        return values.astype(np.float32, copy=False)
    r_edges, c_edges = block_edges(rows, out_rows), block_edges(cols, out_cols)
    if mode == "mean":
        return _pool_mean(values, r_edges, c_edges)
    if mode == "maxabs":
        return _pool_maxabs(values, r_edges, c_edges)
    raise ValueError(f"pooling must be one of {POOL_MODES}; got {mode!r}")


def _row_blocks(values: np.ndarray, r_edges: np.ndarray) -> Iterator[np.ndarray]:
    # A loop over row blocks: ~10x faster than ufunc.reduceat along axis 0 on big matrices, and
    # masks of non-finite cells are made one block at a time, never for the whole matrix.
    ends = np.append(r_edges[1:], values.shape[0])
    for start, end in zip(r_edges, ends, strict=True):
        yield values[start:end]


def _pool_mean(values: np.ndarray, r_edges: np.ndarray, c_edges: np.ndarray) -> np.ndarray:
    sums = np.empty((len(r_edges), values.shape[1]), dtype=np.float64)
    counts = np.empty(sums.shape, dtype=np.int64)
    for i, block in enumerate(_row_blocks(values, r_edges)):
        finite = np.isfinite(block)
        if finite.all():
            sums[i] = block.sum(axis=0, dtype=np.float64)  # float64: float32 sums of 10^4 cells lose digits
            counts[i] = block.shape[0]
        else:
            sums[i] = np.where(finite, block, 0).sum(axis=0, dtype=np.float64)
            counts[i] = finite.sum(axis=0)
    sums = np.add.reduceat(sums, c_edges, axis=1)
    counts = np.add.reduceat(counts, c_edges, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sums / counts).astype(np.float32)


def _pool_maxabs(values: np.ndarray, r_edges: np.ndarray, c_edges: np.ndarray) -> np.ndarray:
    hi = np.empty((len(r_edges), values.shape[1]), dtype=values.dtype)
    lo = np.empty_like(hi)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns are expected: they stay NaN
        for i, block in enumerate(_row_blocks(values, r_edges)):
            finite = np.isfinite(block)
            # fmax/fmin skip NaN; inf is masked to NaN first so it cannot win every block.
            clean = block if finite.all() else np.where(finite, block, np.nan)
            hi[i] = np.fmax.reduce(clean, axis=0)
            lo[i] = np.fmin.reduce(clean, axis=0)
    hi = np.fmax.reduceat(hi, c_edges, axis=1)
    lo = np.fmin.reduceat(lo, c_edges, axis=1)
    return np.where(np.abs(lo) > np.abs(hi), lo, hi).astype(np.float32)
