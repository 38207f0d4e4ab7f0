"""LIME, our own implementation, streaming: local surrogate explanations of one prediction.

Three modes with one call shape, ``(model, X, instance, **options)``:

- **tabular** (:func:`stream_tabular`): ``X`` is the training data (numpy, DataFrame, tensor) whose
  statistics drive the sampling, ``instance`` one row. The sampling is lime's ``LimeTabularExplainer``
  (quartile discretisation by default, categorical features from their training frequencies, see
  :mod:`._lime_tabular`); ``display_data`` holds lime's conditions (``"0.30 < petal width <= 1.30"``,
  ``"color=red"``).
- **text** (:func:`stream_text`): ``instance`` a string (or a list of tokens), ``X`` unused (``None``);
  one feature per distinct word (``feature_names`` and ``data``: the words).
- **image** (:func:`stream_image`): ``instance`` (H, W) or (H, W, C), ``X`` unused; one feature per
  superpixel; ``display_data`` is the (H, W) superpixel map (:func:`pixel_values` paints the values on it).

:func:`stream` picks the mode from the arguments (or ``mode=``). Every mode draws ``num_samples``
perturbations in chunks of ``batch_size``. The first model call gets one chunk; later calls take as many
chunks as fit in ``batch_seconds`` at the pace measured so far (so a fast model needs two or three
calls, a slow one streams chunk by chunk); each chunk has its own random stream (seed, chunk), so
the result does not depend on that grouping. After each call the weighted ridge surrogate is refitted
on all samples so far from accumulated weighted moments (O(d³), not O(samples)) and a
:class:`~ipyexplain._jobs.Partial` is yielded. The surrogate follows lime: exponential kernel
``sqrt(exp(-d²/w²))``, ``Ridge(alpha=1)`` with intercept, ``num_features`` chosen by
``feature_selection`` ("auto": forward selection for up to 6 features, else the highest
``|coef × instance|`` of a ridge on all features; "none", or ``num_features=None``: all features).
Unselected features get value 0.

Result: a ``shap.Explanation`` for the one instance: ``values`` (d,) the surrogate's weights,
``base_values`` its intercept, ``data`` the instance, ``output_names`` ``[the explained output]``;
``ipyexplain_stats`` (:class:`~ipyexplain.explanation.ExplanationStats`: ``repeats`` = samples so far,
``partial``, ``score`` = weighted R² of the surrogate) and ``ipyexplain_lime``
(:class:`LimeDetails`: intercept, local and model prediction, selected features, segment map, word offsets).

The explained output: ``output=`` (class label, output name or index); by default the positive class of
a binary classifier (or of any model returning two columns), the predicted class of a multiclass one
(the largest output at the instance), the first output of a regressor.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import shap

from .. import adapters
from .._jobs import Job, Partial
from . import run_to_end, start_job
from ._lime_core import (
    DETAILS_ATTRIBUTE,
    Kernel,
    LimeDetails,
    Settings,
    details_of,
    exponential_kernel,
    iterate,
)
from ._lime_image import ImagePerturber
from ._lime_tabular import TabularPerturber
from ._lime_text import Splitter, TextPerturber

__all__ = [
    "DETAILS_ATTRIBUTE", "LimeDetails", "compute", "details_of", "job", "pixel_values", "stream",
    "stream_image", "stream_tabular", "stream_text",
]
MODES = ("tabular", "text", "image")
Stream = Iterator[Partial[shap.Explanation]]


def _settings(output: Any, output_names: Sequence[str] | None, num_samples: int, batch_size: int,
              num_features: int | None, feature_selection: str, kernel_width: float, kernel: Kernel | None,
              alpha: float, random_state: Any, batch_seconds: float | None) -> Settings:
    s = Settings(output, output_names, num_samples, batch_size, num_features, feature_selection,
                 float(kernel_width), kernel or exponential_kernel, float(alpha), random_state, batch_seconds)
    s.validate()
    return s


def stream_tabular(
    model: Any, X: Any, instance: Any, *, feature_names: Sequence[str] | None = None,
    categorical_features: Sequence[int | str] | None = None,
    categorical_names: Mapping[int | str, Sequence[str]] | None = None,
    discretize_continuous: bool = True, discretizer: str = "quartile", sample_around_instance: bool = False,
    output: Any = None, output_names: Sequence[str] | None = None, num_samples: int = 5000,
    batch_size: int = 500, num_features: int | None = 10, feature_selection: str = "auto",
    kernel_width: float | None = None, kernel: Kernel | None = None, alpha: float = 1.0, random_state: Any = None,
    batch_seconds: float | None = 0.25,
) -> Stream:
    """Tabular LIME as a stream of partial Explanations (see the module docstring).

    Parameters
    ----------
    model : estimator, pipeline, torch module or callable
        Anything :func:`ipyexplain.adapters.as_predictor` accepts; it is called on rows like ``X``.
    X : array, DataFrame or tensor (rows x features)
        Training data: means, standard deviations, quantiles and category frequencies.
    instance : 1-D array, list, pandas Series or one-row DataFrame
        The row to explain (a Series is matched to the columns by name).
    categorical_features, categorical_names
        As lime's (indices or names; names of category values by code). Non-numeric and boolean
        columns are categorical anyway.
    discretize_continuous, discretizer, sample_around_instance
        As lime's; ``discretizer`` is "quartile" or "decile".
    kernel_width : float, optional
        Default ``0.75 * sqrt(n_features)``, as lime.
    num_samples, batch_size
        Samples in all, drawn in chunks of ``batch_size`` (the first model call gets one chunk).
    batch_seconds : float or None
        A model call takes as many chunks as fit in this many seconds at the measured pace (so a
        fast model needs few calls); ``None``: one chunk per call. The samples are the same either way.
    num_features, feature_selection, kernel, alpha
        The surrogate, as lime's (``num_features=None``: all features); ``alpha`` of the ridge.
    output, output_names
        Which output to explain (see the module docstring); names for a callable's outputs.
    random_state : int, numpy Generator or None
        Seeds the sampling; the same seed gives the same result.
    """
    if X is None:
        raise TypeError("tabular LIME needs the training data X (its statistics drive the sampling); got None")
    table = adapters.as_table(X, feature_names)
    perturber = TabularPerturber(table, instance, categorical_features=categorical_features,
                                 categorical_names=categorical_names, discretize_continuous=discretize_continuous,
                                 discretizer=discretizer, sample_around_instance=sample_around_instance)
    width = np.sqrt(table.n_features) * 0.75 if kernel_width is None else kernel_width
    settings = _settings(output, output_names, num_samples, batch_size, num_features, feature_selection,
                         width, kernel, alpha, random_state, batch_seconds)
    return iterate(perturber, adapters.as_predictor(model), settings)


def stream_text(
    model: Any, X: Any, instance: Any, *, split_expression: Splitter = r"\W+", bow: bool = True,
    mask_string: str | None = None, output: Any = None, output_names: Sequence[str] | None = None,
    num_samples: int = 5000, batch_size: int = 500, num_features: int | None = 10, feature_selection: str = "auto",
    kernel_width: float = 25.0, kernel: Kernel | None = None, alpha: float = 1.0, random_state: Any = None,
    batch_seconds: float | None = 0.25,
) -> Stream:
    """Text LIME as a stream of partial Explanations; ``X`` is unused (pass ``None``).

    ``instance`` is a string, split by the regular expression ``split_expression`` (or a callable
    ``str -> tokens``), or a list of tokens. The model receives a ``list[str]`` of perturbed texts
    (a list of token lists for a token-list instance); a scikit-learn text pipeline works as is.
    """
    perturber = TextPerturber(instance, split_expression=split_expression, bow=bow, mask_string=mask_string)
    settings = _settings(output, output_names, num_samples, batch_size, num_features, feature_selection,
                         kernel_width, kernel, alpha, random_state, batch_seconds)
    return iterate(perturber, adapters.as_predictor(model), settings)


def stream_image(
    model: Any, X: Any, instance: Any, *, segmentation: str | np.ndarray | Callable[[np.ndarray], Any] = "auto",
    n_segments: int = 50, compactness: float = 10.0, hide_color: Any = None, layout: str = "HWC",
    output: Any = None, output_names: Sequence[str] | None = None, num_samples: int = 1000, batch_size: int = 100,
    num_features: int | None = None, feature_selection: str = "auto", kernel_width: float = 0.25,
    kernel: Kernel | None = None, alpha: float = 1.0, random_state: Any = None,
    batch_seconds: float | None = 0.25,
) -> Stream:
    """Image LIME as a stream of partial Explanations; ``X`` is unused (pass ``None``).

    ``segmentation``: "auto" (SLIC if scikit-image is installed, else a grid), "slic", "grid", a
    callable ``image -> (H, W) labels`` or an (H, W) label array; ``n_segments``/``compactness`` go to
    SLIC (and size the grid). ``hide_color``: what an off superpixel shows (default its mean colour).
    The model gets batches (N, H, W, C); with ``layout="CHW"`` the instance is (C, H, W) and the
    batches (N, C, H, W).
    """
    perturber = ImagePerturber(instance, segmentation=segmentation, n_segments=n_segments,
                               compactness=compactness, hide_color=hide_color, layout=layout)
    settings = _settings(output, output_names, num_samples, batch_size, num_features, feature_selection,
                         kernel_width, kernel, alpha, random_state, batch_seconds)
    return iterate(perturber, adapters.as_predictor(model), settings)


_STREAMS: dict[str, Callable[..., Stream]] = {"tabular": stream_tabular, "text": stream_text, "image": stream_image}


def _mode_of(X: Any, instance: Any) -> str:
    if isinstance(instance, str):
        return "text"
    if X is None and isinstance(instance, (list, tuple)) and instance and all(isinstance(t, str) for t in instance):
        return "text"
    if X is None and not hasattr(instance, "iloc") and np.ndim(instance) >= 2:
        return "image"
    return "tabular"


def stream(model: Any, X: Any = None, instance: Any = None, *, mode: str | None = None, **options: Any) -> Stream:
    """LIME as a generator of :class:`~ipyexplain._jobs.Partial` (one per batch of samples).

    ``mode`` is "tabular", "text" or "image"; by default a string (or, with ``X=None``, a list of
    strings) is text, a 2-D or 3-D array with ``X=None`` an image, anything else a table row. ``options`` are those of
    :func:`stream_tabular`, :func:`stream_text` or :func:`stream_image`. Arguments are validated
    here, before the first batch.
    """
    if instance is None:
        raise TypeError("instance is required: the row, text or image to explain")
    if mode is None:
        mode = _mode_of(X, instance)
    if mode not in _STREAMS:
        raise ValueError(f"mode must be one of {MODES}; got {mode!r}")
    function = _STREAMS[mode]
    valid = [p.name for p in inspect.signature(function).parameters.values() if p.kind is p.KEYWORD_ONLY]
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise TypeError(f"unknown option(s) for {mode} LIME: {', '.join(unknown)}; valid: {', '.join(valid)}")
    return function(model, X, instance, **options)


def job(model: Any, X: Any = None, instance: Any = None, *, mode: str | None = None,
        **options: Any) -> Job[shap.Explanation]:
    """:func:`stream` running in a background :class:`~ipyexplain._jobs.Job` (cancellable between batches)."""
    return start_job(stream(model, X, instance, mode=mode, **options), name="lime")


def compute(model: Any, X: Any = None, instance: Any = None, *, mode: str | None = None,
            **options: Any) -> shap.Explanation:
    """The final Explanation of :func:`stream` (blocking)."""
    return run_to_end(stream(model, X, instance, mode=mode, **options))


def pixel_values(explanation: Any) -> np.ndarray:
    """The (H, W) map of an image explanation: each pixel gets its superpixel's value."""
    details = details_of(explanation)
    segments = details.segments if details is not None else None
    if segments is None:
        raise ValueError("not an image LIME explanation: it has no superpixel map")
    return np.asarray(explanation.values)[segments]
