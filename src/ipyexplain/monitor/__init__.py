"""Training: live curves fed from any loop (:class:`TrainingMonitor`), per-layer gradient/weight norms of a
torch model (:class:`LayerWatch`), and parameter/activation/output distributions (:func:`distributions`)."""

from __future__ import annotations

from ._dist_widget import Distributions, distributions
from ._watch import LayerWatch
from .training import TrainingMonitor

__all__ = ["Distributions", "LayerWatch", "TrainingMonitor", "distributions"]
