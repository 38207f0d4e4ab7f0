"""What the attribution views (ImageOverlay, TokenView) share: the side information of a Captum
attribution, the robust colour limit, row labels naming the class explained, and the option checks."""

from __future__ import annotations

from typing import Any

import numpy as np


def info_of(value: Any) -> Any:
    """The ``AttributionInfo`` of an Explanation from ``backends.torch_attr``, else None (imported late: the
    views load without torch)."""
    from ..backends._torch_result import info_of as found

    return found(value)


def unit_of(result: Any) -> str | None:
    """What a job's progress counts (``"steps"``, ``"windows"``...), as the attribution says."""
    info = info_of(result)
    return info.unit if info is not None else None


def robust_limit(values: np.ndarray, percentile: float) -> float:
    """The colour limit: ``percentile`` of |values| over the finite ones, so a few extreme values do not wash
    out the rest; the largest when that is 0; 1 when nothing is finite yet."""
    finite = np.abs(values[np.isfinite(values)])
    if finite.size == 0:
        return 1.0
    limit = float(np.percentile(finite, percentile)) if percentile < 100 else float(finite.max())
    return limit if limit > 0 else float(finite.max()) or 1.0


def row_labels(shown: list[int], info: Any, given: Any, what: str) -> list[str]:
    """``given`` labels (one per row shown), else "#i" with the class each row's attribution explains."""
    if given is not None:
        labels = [str(v) for v in given]
        if len(labels) != len(shown):
            raise ValueError(f"{len(labels)} {what} for {len(shown)} rows shown")
        return labels
    out = []
    for i in shown:
        text = f"#{i}"
        if info is not None and info.targets is not None and info.targets[i] >= 0:
            k = int(info.targets[i])
            names = info.target_names
            text += f" · {names[k] if names and k < len(names) else f'class {k}'}"
        out.append(text)
    return out


def checked_clip(value: Any) -> float:
    """``clip_percentile``: between 50 (the median |value| saturates) and 100 (the largest does)."""
    value = float(value)
    if not 50 <= value <= 100:
        raise ValueError(f"clip_percentile must be between 50 and 100; got {value}")
    return value
