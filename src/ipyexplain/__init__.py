"""ipyexplain: see what a model does, live, in Jupyter."""

from ._jobs import Job
from ._version import __version__
from .display import show
from .explain import lime, permutation_importance, shap_values
from .views.bars import ImportanceBars
from .views.heatmap import Heatmap

__all__ = ["Heatmap", "ImportanceBars", "Job", "__version__", "lime", "permutation_importance", "shap_values", "show"]
