"""The SHAP backend's engine: what explains a batch of rows, and the warning when one replaces another.

:mod:`.shap_` drives an :class:`Engine` batch by batch; :mod:`._shap_setup` builds it. When shap fails
(:func:`raised_by_shap`), an engine may offer a replacement (``Engine.replace``), announced with a
:class:`ShapFallbackWarning` attributed to the user's code (:func:`warn`).
"""

from __future__ import annotations

import dataclasses
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ._shap_data import GlobalRNG
from ._shap_outputs import OutputPick


class ShapFallbackWarning(UserWarning):
    """shap failed with the chosen explainer; the backend used another one (the message says which, why)."""


def warn(message: str) -> None:
    """Warn, attributed to the first caller outside ipyexplain (the user's cell, or the Job's thread)."""
    frame, level = sys._getframe(0), 1
    while frame is not None and str(frame.f_globals.get("__name__", "")).startswith("ipyexplain"):
        frame, level = frame.f_back, level + 1  # type: ignore[assignment]
    warnings.warn(message, ShapFallbackWarning, stacklevel=level)


def raised_by_shap(exc: BaseException) -> bool:
    """Whether ``exc`` was raised inside shap (shap cannot do it), not by our checks or the model."""
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last, tb = tb, tb.tb_next
    return last is not None and "/shap/" in last.tb_frame.f_code.co_filename.replace("\\", "/")


def first_sentence_with(text: str, needle: str) -> str:
    for sentence in text.split(". "):
        if needle in sentence:
            return sentence.strip().rstrip(".")
    return text.split(". ")[0].rstrip(".")


@dataclasses.dataclass
class Engine:
    kind: str
    call: Callable[[int, int], tuple[Any, Any]]  # rows [a, b) -> (values, base_values) as shap returns them
    pick: OutputPick
    data: Any
    display: Any = None
    first_batch: int = 16
    rng: GlobalRNG | None = None
    fallbacks: Callable[[Exception], Engine | None] | None = None
    on_close: Callable[[], None] | None = None
    n_features: int = 0

    def explain(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        if self.rng is None:
            values, base = self.call(start, stop)
        else:
            with self.rng.active():
                values, base = self.call(start, stop)
        return self.pick(values, base, stop - start, self.n_features)

    def replace(self, exc: Exception) -> Engine | None:
        return None if self.fallbacks is None else self.fallbacks(exc)

    def close(self) -> None:
        if self.on_close is not None:
            self.on_close()
