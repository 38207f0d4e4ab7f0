"""ipyexplain: see what a model does, live, in Jupyter."""

from ._version import __version__
from .display import show
from .views.heatmap import Heatmap

__all__ = ["Heatmap", "__version__", "show"]
