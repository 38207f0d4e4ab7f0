"""ipyexplain: see what a model does, live, in Jupyter."""

from ._jobs import Job
from ._version import __version__
from .compare import compare
from .deep import AttributionPanel, attribute, faithfulness, maximize_activation, show_attention
from .display import save_html, show, to_html
from .evaluation import evaluate
from .explain import lime, permutation_importance, shap_values
from .monitor import LayerWatch, TrainingMonitor, distributions
from .structure import ModelGraph, ModelRunError
from .views.actmax import ActMaxView
from .views.attention import AttentionView
from .views.bars import ImportanceBars
from .views.faithfulness import FaithfulnessView
from .views.heatmap import Heatmap
from .views.image_overlay import ImageOverlay
from .views.network import NetworkDiagram, show_structure
from .views.tokens import TokenView

__all__ = [
    "ActMaxView",
    "AttentionView",
    "AttributionPanel",
    "FaithfulnessView",
    "Heatmap",
    "ImageOverlay",
    "ImportanceBars",
    "Job",
    "LayerWatch",
    "ModelGraph",
    "ModelRunError",
    "NetworkDiagram",
    "TokenView",
    "TrainingMonitor",
    "__version__",
    "attribute",
    "compare",
    "distributions",
    "evaluate",
    "faithfulness",
    "lime",
    "maximize_activation",
    "permutation_importance",
    "save_html",
    "shap_values",
    "show",
    "show_attention",
    "show_structure",
    "to_html",
]
