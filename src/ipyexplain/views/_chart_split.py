"""A growing line drawn as two bqplot marks, so that appends send only what changed.

bqplot has no append: assigning ``Lines.x/y`` sends the whole array. A live training curve is therefore
split into a *head* (everything that no longer changes, sent once) and a *tail* (the last few points and
whatever was appended since, sent on each update). The tail starts at the head's last point, so the two
join into one line. When the tail grows past :data:`CHUNK` points (or a quarter of the line, for long lines
fed fast: the head resend is then amortised over more updates), or the head is no longer a prefix of
the line (the decimation widened its buckets, the smoothing weight or the y scale changed, the view was
zoomed), the head is resent and the tail starts afresh. Short lines (at most :data:`SMALL` points) are sent
whole, in the head. An ordinary update thus sends at most ``CHUNK + UNSTABLE + 1`` points (a quarter of the
line plus four for long lines); a head resend, now and then, at most the whole decimated line.

Neither mark ever ends on NaN/inf nor is emptied once drawn: bqplot places a line's (hidden) label at its
last point and throws when there is none or it has no position. A NaN inside either mark is a gap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import bqplot as bq
import numpy as np

SMALL = 128  # lines up to this many points are always sent whole (1.5 kB)
CHUNK = 64  # the tail is folded into the head past this many points
UNSTABLE = 3  # the last points of a decimated line (its open bucket: min, max, first NaN) may still change


def finite_end(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Without trailing NaN/inf (an inner NaN stays: it is the gap)."""
    finite = np.flatnonzero(np.isfinite(y))
    end = int(finite[-1]) + 1 if finite.size else 0
    return (x, y) if end == y.size else (x[:end], y[:end])


class SplitLine:
    """Two Lines marks (``head``, ``tail``) drawn as one line; ``x``/``y`` are the whole line as last sent.

    The marks are made with the line's first points and handed to ``add_marks`` (which puts them in the
    figure): a Lines mark made empty can be drawn empty, and bqplot throws placing the label of an empty line
    when its scales change. For the same reason a line with no finite point left keeps its last data and is
    hidden. :meth:`show` says whether the line should be seen; ``traits`` (colours, style, scales...) are
    applied to both marks, now and when they are made.
    """

    def __init__(self, add_marks: Callable[[list[bq.Lines]], None], *, shown: bool = True, **traits: Any) -> None:
        self._add_marks = add_marks
        self._traits = dict(traits)
        self.head: bq.Lines | None = None
        self.tail: bq.Lines | None = None
        self.x = np.zeros(0)
        self.y = np.zeros(0)
        self._hx = np.zeros(0)
        self._hy = np.zeros(0)
        self._shown = shown
        self._has_data = False
        self.head_resends = 0

    @property
    def marks(self) -> list[bq.Lines]:
        return [] if self.head is None or self.tail is None else [self.head, self.tail]

    @property
    def visible(self) -> bool:
        return self._shown and self._has_data

    def show(self, shown: bool) -> None:
        self._shown = shown
        self.set(visible=self.visible)

    def send(self, x: np.ndarray, y: np.ndarray, *, settle: bool = False) -> None:
        """Draw the line ``(x, y)``, sending as little as possible; ``settle`` puts it all in the head."""
        x, y = finite_end(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
        self.x, self.y = x, y
        n, k = x.size, self._hx.size
        if n == 0:
            self._has_data = False
            self.set(visible=False)
            return
        self._has_data = True
        extends = (self.head is not None and not settle and n > SMALL and 0 < k <= n and n - k <= max(CHUNK, n // 4)
                   and np.array_equal(x[:k], self._hx) and np.array_equal(y[:k], self._hy, equal_nan=True))
        if not extends:
            k = n if settle or n <= SMALL else max(n - UNSTABLE, 1)
            finite = np.flatnonzero(np.isfinite(y[:k]))  # the head ends on a finite point (the line's last is one)
            k = int(finite[-1]) + 1 if finite.size else int(np.flatnonzero(np.isfinite(y))[0]) + 1
            self._hx, self._hy = x[:k].copy(), y[:k].copy()
            self.head_resends += 1
        # The tail starts at the head's last point (all in the head: just that point).
        tx, ty = x[k - 1:], y[k - 1:]
        if self.head is None or self.tail is None:
            traits = {**self._traits, "visible": self.visible}
            self.head = bq.Lines(x=self._hx, y=self._hy.astype(np.float32), **traits)
            self.tail = bq.Lines(x=tx, y=ty.astype(np.float32), **traits)
            self._add_marks([self.head, self.tail])
            return
        if not extends:
            with self.head.hold_sync():
                self.head.x, self.head.y = self._hx, self._hy.astype(np.float32)
        if tx.size != len(self.tail.x) or not np.array_equal(tx, self.tail.x) \
                or not np.array_equal(ty.astype(np.float32), self.tail.y, equal_nan=True):
            with self.tail.hold_sync():
                self.tail.x, self.tail.y = tx, ty.astype(np.float32)
        self.set(visible=self.visible)

    def set(self, **traits: Any) -> None:
        """Set the same traits (style, scales, visibility) on both marks, sending only what changed."""
        self._traits.update(traits)
        for mark in self.marks:
            changed = {k: v for k, v in traits.items() if getattr(mark, k) != v}
            if changed:
                with mark.hold_sync():
                    for key, value in changed.items():
                        setattr(mark, key, value)

    def __getattr__(self, name: str) -> Any:  # style traits as set: line_style, opacities, scales, labels...
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._traits[name]
        except KeyError:
            raise AttributeError(name) from None
