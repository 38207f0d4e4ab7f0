"""ActMaxView: activation maximization drawn live: the image as it evolves, the objective beside it, and a
film strip of snapshots along the way; progress and Cancel from the bound Job.

The kernel sends the current image as RGB bytes (uint8) and the snapshots pooled to at most
``thumb_px`` a side; the objective history as float32.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets as t

from .._jobs import Job
from .._pooling import pool
from .._traits import Matrix
from .._transport import array_serialization
from ._base import bundle, check_keywords
from ._live import LiveView

_OPTIONS = {"title", "image_size", "thumb_px"}


def _bytes(image: np.ndarray) -> np.ndarray:
    """(H, W, C) in [0, 1] -> uint8 (H, W, 1 or 3)."""
    if image.shape[-1] not in (1, 3):
        image = image[..., :1]
    return np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)


def _thumb(image: np.ndarray, side: int) -> np.ndarray:
    h, w, c = image.shape
    if max(h, w) <= side:
        return image
    th, tw = max(1, round(h * side / max(h, w))), max(1, round(w * side / max(h, w)))
    return np.stack([pool(image[..., k], th, tw) for k in range(c)], axis=-1)


class ActMaxView(LiveView):
    """The image being optimised, its objective over the steps, and snapshots; live from an actmax Job.

    Parameters
    ----------
    result : ActMaxResult, optional
        A finished (or partial) result to draw.
    job : Job, optional
        ``ipyexplain.backends.actmax.job(...)``: drawn as it runs, with progress and Cancel.
    title : str
    image_size : int
        Longest side of the drawn image in CSS pixels.
    thumb_px : int
        Longest side of a snapshot as sent (they are drawn at 64 CSS pixels).
    """

    _esm = bundle("actmax")

    title = t.Unicode("").tag(sync=True)
    image_size = t.Int(224).tag(sync=True)
    thumb_px = t.Int(64)

    _image = Matrix(None, allow_none=True).tag(sync=True, **array_serialization)
    _objective = Matrix(None, allow_none=True).tag(sync=True, **array_serialization)
    _snapshots = Matrix(None, allow_none=True).tag(sync=True, **array_serialization)
    _snapshot_steps = t.List(t.Int()).tag(sync=True)
    _step = t.Int(0).tag(sync=True)
    _steps = t.Int(0).tag(sync=True)
    _description = t.Unicode("").tag(sync=True)
    _frame = t.Int(0).tag(sync=True)

    def __init__(self, result: Any = None, *, job: Job[Any] | None = None, **kwargs: Any) -> None:
        check_keywords(type(self).__name__, {**kwargs, "job": job}, _OPTIONS | {"job"})
        super().__init__()
        for name, value in kwargs.items():
            setattr(self, name, value)
        self.result: Any = None
        if result is not None:
            self._show(None, result)
        if job is not None:
            self.bind(job)

    @t.validate("image_size", "thumb_px")
    def _validate_size(self, proposal: dict[str, Any]) -> int:
        value = int(proposal["value"])
        if value < 16:
            raise ValueError(f"{proposal['trait'].name} must be at least 16 pixels; got {value}")
        return value

    def _show(self, key: Any, result: Any) -> None:
        from ..backends.actmax import ActMaxResult

        if not isinstance(result, ActMaxResult):
            raise TypeError(f"ActMaxView draws an ActMaxResult; got {type(result).__name__}")
        self.result = result
        lo, hi = result.input_range
        snaps = [_bytes(_thumb(np.clip((img.transpose(1, 2, 0) - lo) / (hi - lo or 1), 0, 1), self.thumb_px))
                 for _, img in result.snapshots]
        with self.hold_sync():
            self._image = _bytes(result.display)
            self._objective = result.objective.astype(np.float32)
            self._snapshots = np.stack(snaps) if snaps else None
            self._snapshot_steps = [s for s, _ in result.snapshots]
            self._step, self._steps = result.step, result.total
            self._description = result.description
            self._frame += 1

    def _unit_of(self, result: Any) -> str | None:
        return "steps"
