"""What the SHAP backend recognises in a model: the explainer names, and which of them fits a model.

Used by :mod:`._shap_setup` to choose an explainer for ``explainer="auto"`` and to reject a named
one that does not fit; :data:`EXPLAINERS` and :data:`MODEL_AGNOSTIC` are also :mod:`.shap_`'s.
"""

from __future__ import annotations

import sys
from typing import Any

EXPLAINERS = ("auto", "tree", "linear", "permutation", "partition", "exact", "kernel", "deep", "gradient")
MODEL_AGNOSTIC = ("permutation", "partition", "exact", "kernel")
PARTITION_ABOVE = 64  # "auto" uses the Partition explainer above this many features
TREE_MODULES = ("sklearn.ensemble", "sklearn.tree", "xgboost", "lightgbm", "catboost")


def is_torch_module(model: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(model, torch.nn.Module)


def bare_model(model: Any) -> Any:
    """The estimator itself, out of a Pipeline whose other steps do nothing (else the Pipeline)."""
    steps = getattr(model, "steps", None)
    if type(model).__name__ == "Pipeline" and isinstance(steps, list) and steps and \
            all(step in (None, "passthrough") for _, step in steps[:-1]):
        return bare_model(steps[-1][1])
    return model


def looks_like_trees(model: Any) -> bool:
    return type(model).__module__.startswith(TREE_MODULES)


def linear_ok(model: Any) -> bool:
    if not (hasattr(model, "coef_") and hasattr(model, "intercept_")):
        return False
    link = getattr(model, "_base_loss", None) or getattr(model, "link", None)
    return link is None or "Identity" in type(getattr(link, "link", link)).__name__  # GLMs with a log link are not
