"""A drawing thread: ``request()`` is cheap and callable from any thread; ``flush`` runs on the thread at
most ``max_rate`` times a second, and the last request always gets its flush.

Why a thread: a training loop that logs from the kernel's main thread keeps the kernel busy, but
comm messages sent from any thread still reach the browser (ipykernel's IOPub thread sends them),
so the charts update while the loop runs. Drawing on a separate thread keeps ``log()`` at a few
microseconds whatever the drawing costs. The thread ends after 30 s without requests (a new one starts
with the next), so idle monitors hold no thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger("ipyexplain")
IDLE_EXIT_S = 30.0  # a drawing thread with nothing to draw for this long ends


class Throttle:
    def __init__(self, flush: Callable[[], None], max_rate: float, name: str = "monitor") -> None:
        if not max_rate > 0:
            raise ValueError(f"max_rate must be positive (updates per second); got {max_rate}")
        self._flush = flush
        self.interval = 1.0 / max_rate
        self._wake = threading.Event()
        self._closed = False
        self._last = float("-inf")
        self._name = name
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.flushes = 0

    def request(self) -> None:
        self._wake.set()  # first: a thread deciding to retire sees it (both look under _start_lock)
        if self._thread is None:
            self._start()

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None and not self._closed:
                thread = threading.Thread(target=self._loop, name=f"ipyexplain-{self._name}", daemon=True)
                thread.start()
                self._thread = thread

    def _loop(self) -> None:
        while True:
            if not self._wake.wait(IDLE_EXIT_S):
                with self._start_lock:  # idle: retire (the next request starts a new thread)
                    if not self._wake.is_set():
                        self._thread = None
                        return
            if self._closed:
                return
            wait = self._last + self.interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._wake.clear()  # requests from now on get the next flush
            self._last = time.monotonic()
            try:
                self._flush()
                self.flushes += 1
            except Exception as exc:  # a failed draw must not stop the training loop
                log.error("%s: drawing failed: %s", self._name, exc, exc_info=exc)

    def close(self) -> None:
        self._closed = True
        self._wake.set()
