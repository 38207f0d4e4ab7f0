"""ipyexplain: see what a model does, live, in Jupyter."""

from ._jobs import Job
from ._version import __version__
from .display import show
from .explain import lime, permutation_importance, shap_values
from .structure import ModelGraph, ModelRunError
from .views.bars import ImportanceBars
from .views.heatmap import Heatmap
from .views.network import NetworkDiagram, show_structure

__all__ = [
    "Heatmap", "ImportanceBars", "Job", "ModelGraph", "ModelRunError", "NetworkDiagram", "__version__", "lime",
    "permutation_importance", "shap_values", "show", "show_structure",
]
