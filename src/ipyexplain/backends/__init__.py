"""Backends compute explanations and know nothing of widgets (DESIGN.md §2).

Every backend has the same three forms, ``(model, X, ...)`` first:

- ``stream(model, X, ...)``: a generator of :class:`~ipyexplain._jobs.Partial` whose ``result`` is a
  ``shap.Explanation`` that sharpens batch by batch (cancel happens between two ``yield``);
- ``job(model, X, ...)``: that stream running in a started :class:`~ipyexplain._jobs.Job`;
- ``compute(model, X, ...)``: the blocking form, returning the final Explanation.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from .._jobs import Job, Partial

T = TypeVar("T")


def run_to_end(stream: Iterable[Partial[T]]) -> T:
    """The blocking form of a stream: its last result."""
    last: Partial[T] | None = None
    for part in stream:
        last = part
    if last is None:
        raise RuntimeError("the backend produced no result")
    return last.result


def start_job(stream: Iterable[Partial[T]], name: str) -> Job[T]:
    """The streaming form: ``stream`` running on a background thread."""
    return Job(stream, name=name).start()
