"""ipyexplain: see what a model does, live, in Jupyter."""

from ._jobs import Job
from ._version import __version__
from .compare import compare
from .deep import attribute, show_attention
from .display import show
from .evaluation import evaluate
from .explain import lime, permutation_importance, shap_values
from .monitor import TrainingMonitor
from .structure import ModelGraph, ModelRunError
from .views.bars import ImportanceBars
from .views.heatmap import Heatmap
from .views.network import NetworkDiagram, show_structure

__all__ = [
    "Heatmap", "ImportanceBars", "Job", "ModelGraph", "ModelRunError", "NetworkDiagram", "TrainingMonitor",
    "__version__", "attribute", "compare", "evaluate", "lime", "permutation_importance", "shap_values", "show",
    "show_attention", "show_structure",
]
