"""Job: the one way to run long work (DESIGN.md §2).

A streaming backend is a generator that yields :class:`Partial` results between batches. A Job
runs it on a background thread so the kernel's main thread stays free, records progress
(done/total, elapsed, ETA), hands the latest partial result to its listeners at most
``max_rate`` times a second (the last one always arrives), and stops between batches when
cancelled. An exception in the backend becomes ``status == "error"``: listeners are told,
it is logged, and ``result`` re-raises it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

T = TypeVar("T")
Status = Literal["pending", "running", "done", "cancelled", "error"]
FINISHED: tuple[Status, ...] = ("done", "cancelled", "error")
log = logging.getLogger("ipyexplain")


@dataclass(frozen=True)
class Partial(Generic[T]):
    """What a streaming backend yields: the result so far and how far it got."""

    result: T
    done: int
    total: int | None = None


@dataclass(frozen=True)
class Progress:
    done: int = 0
    total: int | None = None
    elapsed: float = 0.0  # seconds since the job started

    @property
    def fraction(self) -> float | None:
        return None if not self.total else min(1.0, self.done / self.total)

    @property
    def eta(self) -> float | None:
        """Seconds left, extrapolated from the pace so far; None until there is a pace."""
        fraction = self.fraction
        if fraction is None or fraction <= 0:
            return None
        return self.elapsed * (1 - fraction) / fraction


Listener = Callable[["Job[Any]"], None]


class Job(Generic[T]):
    """Run ``stream`` (an iterator of :class:`Partial`) in a background thread.

    Parameters
    ----------
    stream : iterable of Partial
        Usually a backend's generator; it is advanced only between batches, so cancelling stops
        it there.
    max_rate : float
        At most this many listener updates per second (partial results are coalesced).
    """

    def __init__(self, stream: Iterable[Partial[T]], *, max_rate: float = 20.0, name: str = "job") -> None:
        if max_rate <= 0:
            raise ValueError(f"max_rate must be positive; got {max_rate}")
        self.name = name
        self._stream = iter(stream)
        self._min_interval = 1.0 / max_rate
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._finished = threading.Event()
        self._cancel = threading.Event()
        self._status: Status = "pending"
        self._latest: T | None = None
        self._has_result = False
        self._error: BaseException | None = None
        self._progress = Progress()
        self._started_at = 0.0
        self._last_push = float("-inf")
        self._thread = threading.Thread(target=self._run, name=f"ipyexplain-{name}", daemon=True)

    # ------------------------------------------------------------------ public API
    def observe(self, listener: Listener) -> None:
        """Call ``listener(job)`` on each (throttled) partial result and once when the job ends."""
        self._listeners.append(listener)

    def start(self) -> Job[T]:
        self._started_at = time.monotonic()
        self._status = "running"
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Stop after the current batch; the last partial result stays available."""
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has finished; ``False`` if ``timeout`` passed first."""
        return self._finished.wait(timeout)

    @property
    def status(self) -> Status:
        return self._status

    @property
    def progress(self) -> Progress:
        return self._progress

    @property
    def error(self) -> BaseException | None:
        return self._error

    @property
    def partial(self) -> bool:
        """True while the result is not the complete one (running, cancelled, or failed)."""
        return self._status != "done"

    @property
    def result(self) -> T:
        """The latest result (complete once ``status == "done"``); re-raises the backend's error."""
        if self._error is not None:
            raise self._error
        if not self._has_result:
            raise RuntimeError(f"{self.name} has no result yet (status: {self._status})")
        return self._latest  # type: ignore[return-value]

    # ------------------------------------------------------------------ worker thread
    def _run(self) -> None:
        try:
            # Check before each batch, so a cancel never waits for one more batch of work.
            while not self._cancel.is_set():
                try:
                    part = next(self._stream)
                except StopIteration:
                    self._status = "done"
                    break
                with self._lock:
                    self._latest, self._has_result = part.result, True
                    self._progress = Progress(part.done, part.total, time.monotonic() - self._started_at)
                self._push(final=False)
            else:
                self._status = "cancelled"
        except Exception as exc:  # shown in the widget and re-raised on .result, never swallowed
            self._error = exc
            self._status = "error"
            log.error("%s failed: %s", self.name, exc, exc_info=exc)
        finally:
            close = getattr(self._stream, "close", None)
            if close is not None:
                close()  # a generator backend gets GeneratorExit and can release what it holds
            self._progress = Progress(self._progress.done, self._progress.total, time.monotonic() - self._started_at)
            self._push(final=True)
            self._finished.set()

    def _push(self, *, final: bool) -> None:
        now = time.monotonic()
        if not final and now - self._last_push < self._min_interval:
            return  # coalesced: a later push (or the final one) carries this result
        self._last_push = now
        for listener in list(self._listeners):
            try:
                listener(self)
            except Exception as exc:  # a broken view must not kill the computation
                log.error("%s: a listener failed: %s", self.name, exc, exc_info=exc)
