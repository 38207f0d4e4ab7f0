"""Other jobs on the machine: how busy they kept the CPUs, and measuring a disturbed block again.

Benchmarks here run on small shared machines (2 cores); a neighbour's test suite can double a
latency. Every block records the load from outside the benchmark's process tree, and short blocks
measured while it was high are measured again.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import psutil

T = TypeVar("T")


class ForeignLoad:
    """CPU used by processes outside this benchmark's process tree (other jobs on the machine).

    Samples every second: system busy CPU time minus the CPU time of this process and its
    descendants (Voila, kernels, Chromium). A process that exits loses at most its last second.
    """

    def __init__(self) -> None:
        self.me = psutil.Process()
        self.seen: dict[tuple[int, float], float] = {}
        self.samples: list[tuple[float, float, float]] = []  # (monotonic, system busy s, own tree s)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="foreign-load", daemon=True)
        self._thread.start()

    def _own(self) -> float:
        for p in [self.me, *self.me.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                t = p.cpu_times()
                self.seen[(p.pid, p.create_time())] = t.user + t.system
        return sum(self.seen.values())

    def sample(self) -> float:
        """Take a sample now (also called at the start and end of every block); returns its time."""
        with self._lock:
            cpu = psutil.cpu_times()
            busy = cpu.user + cpu.system + cpu.nice + getattr(cpu, "irq", 0) + getattr(cpu, "softirq", 0)
            now = time.monotonic()
            self.samples.append((now, busy, self._own()))
            return now

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(1.0)

    def cores_between(self, t0: float, t1: float) -> float | None:
        """Average number of cores kept busy by foreign processes between two monotonic times."""
        inside = [s for s in self.samples if t0 <= s[0] <= t1]
        if len(inside) < 2:
            return None
        (a, busy_a, own_a), (b, busy_b, own_b) = inside[0], inside[-1]
        return max(0.0, ((busy_b - busy_a) - (own_b - own_a)) / (b - a))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@dataclass(frozen=True)
class Measured(Generic[T]):
    """The attempt that was kept."""

    value: T
    wall_s: float
    foreign_cores: float | None


def quietest(
    measure: Callable[[], T],
    load: ForeignLoad,
    *,
    max_foreign: float,
    retry_under_s: float,
    after: Callable[[T, float, float | None], None] | None = None,
    on_retry: Callable[[int, float | None], None] | None = None,
) -> Measured[T]:
    """Run ``measure()`` and keep the attempt that other jobs disturbed least.

    Another attempt is made (at most two more) only if the block took under ``retry_under_s`` (the
    time budget) and other jobs kept more than ``max_foreign`` cores busy during it. ``after(value,
    wall_s, foreign)`` runs after every attempt, ``on_retry(attempt, foreign)`` before each new one.
    """
    best: Measured[T] | None = None
    for attempt in range(3):
        t0 = load.sample()
        value = measure()
        wall = time.monotonic() - t0
        foreign = load.cores_between(t0, load.sample())
        if after is not None:
            after(value, wall, foreign)
        if best is None or (foreign or 0) < (best.foreign_cores or 0):
            best = Measured(value, wall, foreign)
        disturbed = wall < retry_under_s and foreign is not None and foreign > max_foreign
        if not (disturbed and attempt < 2):
            break
        if on_retry is not None:
            on_retry(attempt, foreign)
    assert best is not None
    return best
