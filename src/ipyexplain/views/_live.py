"""A view bound to Jobs: progress, status, errors and Cancel mirrored into traits the browser draws.

Used by the deep-model views (image overlay, tokens, activation maximization). Each bound job is
drawn through the subclass's ``_show(key, result)``; a view may hold several jobs at once (small
multiples across methods, one job per column), and the progress shown is their sum.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np
import traitlets as t

from .._jobs import Job
from ._base import View

log = logging.getLogger("ipyexplain")


class LiveView(View):
    """Base of views that draw a Job's partial results (``bind``), with a progress bar and Cancel."""

    _job_status = t.Unicode("").tag(sync=True)  # "" (no job), pending, running, done, cancelled, error
    _done = t.Int(0).tag(sync=True)
    _total = t.Int(0).tag(sync=True)  # 0: unknown
    _elapsed = t.Float(0.0).tag(sync=True)
    _eta = t.Float(None, allow_none=True).tag(sync=True)
    _error = t.Unicode("").tag(sync=True)
    _unit = t.Unicode("steps").tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        self._lock = threading.RLock()
        self._jobs: dict[Any, Job[Any]] = {}
        super().__init__(**kwargs)
        self.on_msg(self._on_browser_msg)

    # ----------------------------------------------------------------- public API
    @property
    def jobs(self) -> dict[Any, Job[Any]]:
        """The bound jobs, by the key each draws into."""
        return dict(self._jobs)

    @property
    def job(self) -> Job[Any] | None:
        """The bound job (the first, when several are bound)."""
        return next(iter(self._jobs.values()), None)

    def bind(self, job: Job[Any] | None, key: Any = None) -> None:
        """Draw ``job``'s partial results as they come (into ``key``: e.g. a method's column), with its
        progress and a Cancel button. ``bind(None)`` lets go of every job (the drawing stays)."""
        if job is None:
            self._jobs.clear()
            with self.hold_sync():
                self._job_status, self._error, self._done, self._total, self._eta = "", "", 0, 0, None
            return
        if not isinstance(job, Job):
            raise TypeError(f"job must be an ipyexplain Job; got {type(job).__name__}")
        self._jobs[key] = job
        def listener(j: Job[Any], k: Any = key) -> None:
            self._on_job(j, k)

        job.observe(listener)
        self._on_job(job, key)

    def cancel(self) -> None:
        """Cancel every bound job that is still running (what the widget's Cancel button does)."""
        for job in self._jobs.values():
            if job.status in ("pending", "running"):
                job.cancel()

    def fail(self, exc: BaseException) -> None:
        """Show ``exc`` in the widget (e.g. bad input found before a job could start)."""
        with self.hold_sync():
            self._job_status, self._error = "error", f"{type(exc).__name__}: {exc}"

    # ----------------------------------------------------------------- subclass hooks
    def _show(self, key: Any, result: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _unit_of(self, result: Any) -> str | None:
        return None

    # ----------------------------------------------------------------- internals
    def _on_job(self, job: Job[Any], key: Any) -> None:
        """The job's listener (runs on its worker thread): latest result, progress and status."""
        if self._jobs.get(key) is not job:
            return  # a job this view was bound to before
        with self._lock, self.hold_sync():
            result = None
            if job.status != "error":
                try:
                    result = job.result
                except Exception:  # no result yet
                    result = None
            self._summarise()
            if result is not None:
                try:
                    self._show(key, result)
                    unit = self._unit_of(result)
                    if len(self._jobs) > 1:
                        self._unit = f"steps of {len(self._jobs)} jobs"
                    elif unit:
                        self._unit = unit
                except Exception as exc:  # shown in the widget; the job itself goes on
                    self._error = f"the job's result cannot be drawn: {type(exc).__name__}: {exc}"
                    log.error("%s: %s", type(self).__name__, self._error)

    def _summarise(self) -> None:
        jobs = list(self._jobs.values())
        statuses = [j.status for j in jobs]
        for status in ("error", "running", "pending", "cancelled", "done"):
            if status in statuses:
                self._job_status = status
                break
        progress = [j.progress for j in jobs]
        self._done = int(sum(p.done for p in progress))
        self._total = 0 if any(not p.total for p in progress) else int(sum(p.total or 0 for p in progress))
        # Several jobs run one after another (deep.attribute chains them): their times add up.
        self._elapsed = float(sum(p.elapsed for p in progress))
        etas = [p.eta for p in progress if p.eta is not None]
        eta = max(etas) if etas else None
        self._eta = None if eta is None or not np.isfinite(eta) else float(eta)
        errors = [f"{type(j.error).__name__}: {j.error}" for j in jobs if j.error is not None]
        self._error = "; ".join(errors)

    @property
    def _partial(self) -> bool:
        return any(j.partial for j in self._jobs.values())

    def _on_browser_msg(self, widget: Any, content: Any, buffers: Any) -> None:
        if isinstance(content, dict) and content.get("event") == "cancel":
            self.cancel()
