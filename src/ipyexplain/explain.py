"""One-call entry points: start an explainer in the background and return the chart it draws into.

Each returns an :class:`~ipyexplain.ImportanceBars` bound to a running job (``bars.job``): the
bars appear at once and sharpen while the kernel computes, with progress and a Cancel button,
and the kernel stays free for the next cell. ``bars.job.wait()`` blocks; ``bars.job.result`` is
the ``shap.Explanation``. For the blocking form without a widget use the backends' ``compute``
(``ipyexplain.backends.permutation.compute(model, X, y)`` and so on).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._jobs import Job
from .views.bars import ImportanceBars

# Options that shape the chart; every other keyword goes to the backend.
_VIEW_OPTIONS = ("top_k", "other", "title", "height", "cmap", "sort")


def _started(bars: ImportanceBars, start: Callable[[], Job[Any]]) -> ImportanceBars:
    """Bind ``bars`` to the job ``start()`` returns. Bad input raises here, in the caller's cell, and
    is also shown in the widget (displayed, since the caller never gets it back)."""
    try:
        bars.bind(start())
    except Exception as exc:
        bars.fail(exc)
        from IPython.display import display

        display(bars)
        raise
    return bars


def _split(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    view = {k: options.pop(k) for k in _VIEW_OPTIONS if k in options}
    return view, options


def permutation_importance(model: Any, X: Any, y: Any, **options: Any) -> ImportanceBars:
    """Permutation importance of each feature, streamed with confidence intervals.

    Backend options (see :func:`ipyexplain.backends.permutation.stream`): ``scoring``,
    ``n_repeats``, ``random_state``, ``groups``, ``tol``, ``confidence``, ``max_samples``,
    ``sample_weight``, ``feature_names``, ``output``. View options: ``top_k``, ``other``,
    ``title``, ``height``, ``cmap``, ``sort``.
    """
    from .backends import permutation

    view, backend = _split(options)
    view.setdefault("title", f"Permutation importance · {type(model).__name__}")
    bars = ImportanceBars(progress_unit="permutations", **view)
    return _started(bars, lambda: permutation.job(model, X, y, **backend))


def shap_values(model: Any, X: Any, **options: Any) -> ImportanceBars:
    """SHAP values of every row of ``X``, explained in batches: the global mean |SHAP| converges live.

    Backend options: see :func:`ipyexplain.backends.shap_.stream` (``explainer``, ``background``,
    ``output``, ``batch_size``, …). View options as :func:`permutation_importance`; ``mode="local"``
    with ``row=i`` draws one prediction's waterfall instead.
    """
    from .backends import shap_

    view, backend = _split(options)
    for key in ("mode", "row"):
        if key in backend:
            view[key] = backend.pop(key)
    view.setdefault("title", f"SHAP values · {type(model).__name__}")
    bars = ImportanceBars(value_label="SHAP value", progress_unit="rows", **view)
    return _started(bars, lambda: shap_.job(model, X, **backend))


def lime(model: Any, X: Any, instance: Any, **options: Any) -> ImportanceBars:
    """LIME weights for one ``instance``: the local surrogate refits as perturbation batches arrive.

    ``X`` is the training data LIME takes its statistics from (tabular), or ``None`` for text and
    images. Backend options: see :func:`ipyexplain.backends.lime.stream`.
    """
    from .backends import lime as lime_backend

    view, backend = _split(options)
    view.setdefault("title", f"LIME · {type(model).__name__}")
    # One prediction: a waterfall from the surrogate's intercept, each weight named by lime's condition.
    bars = ImportanceBars(mode="local", value_label="LIME weight", progress_unit="samples", **view)
    return _started(bars, lambda: lime_backend.job(model, X, instance, **backend))
