"""SHAP values, streamed: rows are explained batch by batch, each partial result holds all rows so far.

Three forms, as every backend (``backends/__init__.py``)::

    stream(model, X, *, explainer="auto", output=None, background=None, ...)  # generator of Partial
    job(model, X, ...)                                                         # a started Job
    compute(model, X, ...)                                                     # the final Explanation

Each ``Partial.result`` is a ``shap.Explanation`` of the first ``done`` rows of X: ``values``
(rows x features), ``base_values`` (rows,), ``data``, ``feature_names`` and ``output_names`` (one name:
the output explained and its units, e.g. ``["1 (log-odds)"]``), plus an
:class:`~ipyexplain.explanation.ExplanationStats` (``method="shap:<kind>"``, ``repeats`` = rows done,
``partial``). Arguments are validated when ``stream``/``job``/``compute`` is called, before any work.

Which explainer (``explainer=``)
--------------------------------
- a shap explainer you built (any ``shap.Explainer`` subclass instance): called on row batches
  (``model`` is then optional; give it for class names and for the fallback);
- ``"auto"``: ``TreeExplainer`` for tree models (scikit-learn forests, gradient boosting,
  HistGradientBoosting, XGBoost, LightGBM, also as the only step of a Pipeline), without a
  ``background`` the trees' own training cover (``feature_perturbation="tree_path_dependent"``,
  exact and fast), with one the interventional algorithm; ``LinearExplainer`` for linear models;
  otherwise the model-agnostic ``Permutation`` explainer (``Partition`` above 64 features) on the
  model's predict function with a background. Deep/Gradient explainers only when named. Pipelines
  with preprocessing, DataFrames with string/categorical columns, torch modules and plain callables
  take the model-agnostic path; a pipeline is always given DataFrames with its columns and dtypes;
- a name: ``"tree"``, ``"linear"``, ``"permutation"``, ``"partition"``, ``"exact"``, ``"kernel"``,
  ``"deep"``, ``"gradient"`` (the last two for ``torch.nn.Module`` models). A name that does not fit
  the model raises ``TypeError``.

Which output (``output=``)
--------------------------
One output is explained. Classifiers: a class label (or index); default the positive class of a
binary classifier; a multi-class model without ``output=`` raises ``ValueError`` listing its classes.
The units follow the explainer: model-agnostic explainers explain ``predict_proba`` ("probability")
or ``predict`` ("prediction"); ``TreeExplainer`` explains the trees' raw output by default, which is
"log-odds" for gradient boosting (XGBoost, LightGBM, scikit-learn GBMs; "logit" per class for
multi-class) and "probability" for random forests; ``model_output="probability"`` (passed to
``TreeExplainer``) explains probabilities instead. ``LinearExplainer`` explains the decision function
("log-odds" for logistic regression). Explaining class 0 of a binary model whose trees output one
margin negates it (``-log-odds``, or ``1 - probability``).

Fallback
--------
``TreeExplainer`` with a background (interventional) fails its own additivity check on deep trees:
seen with scikit-learn random forests (bootstrap) and HistGradientBoosting on this shap/scikit-learn.
That is shap computing wrong values, not a rounding tolerance, so ``check_additivity=False`` is no
cure. With ``fallback="auto"`` (default) the backend warns (:class:`ShapFallbackWarning`) and
re-explains the rows done so far with ``TreeExplainer(feature_perturbation="tree_path_dependent")``
(exact and additive; it integrates over the trees' training cover instead of ``background``), or,
where the raw output is not what is explained, with the Permutation explainer on the model.
``fallback="permutation"`` always uses the Permutation explainer (keeps ``background``);
``fallback=None`` raises. A tree/linear explainer that ``"auto"`` picked but shap cannot build for
this model (e.g. a multi-class ``GradientBoostingClassifier``) falls back to the model-agnostic
path, also with a warning; DeepExplainer failing its additivity check falls back to Permutation.
The stats' ``method`` names what produced the values (``shap:tree-path-dependent``,
``shap:permutation`` after a fallback), so a view can say so even when nobody saw the warning.

Randomness
----------
shap's sampling explainers (Permutation, Partition, Kernel, Gradient) draw from numpy's global RNG.
Each batch runs with a private RNG state swapped in and the caller's restored afterwards, so a
streamed run gives the same values as one direct shap call with the same ``seed``, and the caller's
``np.random`` sequence is left as it was. (Draws from ``np.random`` in another thread *while* a batch
runs share the state; don't rely on that sequence during a job.)

Precomputed
-----------
``stream(explanation=e)`` (or ``stream(e)``) validates a ``shap.Explanation`` you computed and yields
it as one Partial (``output=`` picks one output of a multi-output explanation).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import shap

from .._jobs import Job, Partial
from ..adapters import PredictError, Table, as_table
from ..explanation import STATS_ATTRIBUTE, ExplanationStats, as_explanation, stats_of
from . import run_to_end, start_job
from ._shap_engine import Engine, ShapFallbackWarning, raised_by_shap
from ._shap_models import EXPLAINERS, MODEL_AGNOSTIC
from ._shap_outputs import index_of
from ._shap_setup import Setup

__all__ = ["EXPLAINERS", "MODEL_AGNOSTIC", "ShapFallbackWarning", "compute", "job", "stream"]

FALLBACKS = ("auto", "permutation", None)
TARGET_SECONDS = 0.5  # adaptive batches grow towards about this much work per partial result
MAX_BATCH = 65536


# ----------------------------------------------------------------------------------------- public API
def stream(
    model: Any = None,
    X: Any = None,
    *,
    explainer: Any = "auto",
    explanation: shap.Explanation | None = None,
    feature_names: Sequence[str] | None = None,
    output: Any = None,
    background: Any = None,
    batch_size: int | None = None,
    model_output: str | None = None,
    max_evals: int | None = None,
    seed: int | None = 0,
    fallback: str | None = "auto",
) -> Iterator[Partial[shap.Explanation]]:
    """SHAP values of ``model`` on the rows of ``X``, as partial results that grow batch by batch.

    Parameters
    ----------
    model : estimator, Pipeline, XGBoost/LightGBM model, torch.nn.Module, callable, or shap.Explanation
        The model (see :mod:`ipyexplain.adapters`); optional when ``explainer`` is a built shap explainer.
        A ``shap.Explanation`` here is the same as ``explanation=``.
    X : array, DataFrame or tensor (rows x features)
        The rows to explain.
    explainer : str or shap.Explainer
        ``"auto"`` or one of :data:`EXPLAINERS`, or an explainer you built (see the module docstring).
    explanation : shap.Explanation, optional
        An explanation you computed: validated and yielded as one partial result (no model, no X).
    feature_names : sequence of str, optional
        Names for X's columns (default: a DataFrame's columns, else ``x0, x1, ...``).
    output : class label, output name or index, optional
        The output to explain (default: the positive class of a binary classifier, the only output).
    background : int, rows, or shap masker, optional
        Rows the explainers integrate over. Default: a seeded sample of 100 rows of X (none for
        ``TreeExplainer``, which then uses the trees' training cover); an int: that many sampled rows.
    batch_size : int, optional
        Rows per partial result. Default: adaptive, a few rows first, then growing towards ~0.5 s
        of work per batch.
    model_output : str, optional
        ``TreeExplainer``'s ``model_output`` ("raw", "probability", or a model method name).
    max_evals : int, optional
        Model evaluations per row for Permutation/Partition/Exact (``max_evals``), Kernel and Gradient
        (``nsamples``); default shap's.
    seed : int or None
        Seeds the background sample and shap's sampling explainers (same seed, same values).
    fallback : "auto", "permutation" or None
        What to do where shap itself fails (module docstring); ``None`` raises.

    Raises
    ------
    TypeError, ValueError
        Bad arguments, named: unknown explainer (the valid ones listed), explainer that does not fit
        the model, empty X, feature names that do not match, ambiguous output (the classes listed).
    ipyexplain.adapters.PredictError
        The model cannot predict on X (with the columns holding NaN, if any).
    """
    if fallback not in FALLBACKS:
        raise ValueError(f"fallback must be one of {FALLBACKS}; got {fallback!r}")
    if batch_size is not None and (not isinstance(batch_size, (int, np.integer)) or batch_size < 1):
        raise ValueError(f"batch_size must be a positive int or None; got {batch_size!r}")
    if isinstance(model, shap.Explanation):
        if explanation is not None:
            raise TypeError("pass the precomputed explanation once: as model or as explanation=, not both")
        model, explanation = None, model
    if explanation is not None:
        if model is not None or X is not None:
            raise TypeError("pass either a model and X to explain, or a precomputed explanation=, not both")
        return iter([_precomputed(explanation, output)])
    table = as_table(X, feature_names)
    setup = Setup(model, table, explainer, output, background, model_output, max_evals, seed, fallback)
    return _run(setup.engine, table, batch_size)


def job(model: Any = None, X: Any = None, **options: Any) -> Job[shap.Explanation]:
    """:func:`stream` running in a started background :class:`~ipyexplain._jobs.Job` (same arguments)."""
    return start_job(stream(model, X, **options), name="shap")


def compute(model: Any = None, X: Any = None, **options: Any) -> shap.Explanation:
    """The blocking form of :func:`stream` (same arguments): the Explanation of all rows."""
    return run_to_end(stream(model, X, **options))


# ----------------------------------------------------------------------------------------- streaming
def _run(engine: Engine, table: Table, batch_size: int | None) -> Iterator[Partial[shap.Explanation]]:
    n, f = table.n_rows, table.n_features
    values, base = np.empty((n, f)), np.empty(n)
    done, size = 0, int(batch_size or engine.first_batch)
    try:
        while done < n:
            stop = min(n, done + size)
            started = time.perf_counter()
            try:
                v, b = engine.explain(done, stop)
                start = done
            except Exception as exc:
                replacement = engine.replace(exc)
                if replacement is None:
                    raise _explain_error(exc, engine, table, done, stop) from exc
                engine.close()
                engine, start = replacement, 0
                values, base = np.empty((n, f)), np.empty(n)  # partial results already handed out stay as they were
                v, b = engine.explain(0, stop)
            values[start:stop], base[start:stop] = v, b
            done = stop
            yield Partial(_explanation(engine, table, values, base, done), done, n)
            if not batch_size:
                elapsed = max(time.perf_counter() - started, 1e-4)
                size = int(np.clip(size * TARGET_SECONDS / elapsed, max(1, size // 2), min(4 * size, MAX_BATCH)))
    finally:
        engine.close()


def _explanation(engine: Engine, table: Table, values: np.ndarray, base: np.ndarray, done: int) -> shap.Explanation:
    display = engine.display
    result = shap.Explanation(
        values=values[:done],
        base_values=base[:done],
        data=engine.data[:done],
        display_data=None if display is None else display[:done],
        feature_names=list(table.feature_names),
        output_names=[engine.pick.output_name],
    )
    setattr(result, STATS_ATTRIBUTE, ExplanationStats(f"shap:{engine.kind}", done, partial=done < table.n_rows))
    return result


def _explain_error(exc: Exception, engine: Engine, table: Table, start: int, stop: int) -> Exception:
    if isinstance(exc, PredictError) or not raised_by_shap(exc):
        return exc  # already says what is wrong (ours, or the model's own)
    hint = ""
    nan_cols = table.nan_columns()
    if nan_cols:
        hint = f"; X has NaN in {', '.join(nan_cols[:5])}{' …' if len(nan_cols) > 5 else ''}"
    return RuntimeError(f"shap's {engine.kind} explainer failed on rows {start}–{stop - 1} of X: "
                        f"{type(exc).__name__}: {exc}{hint}")


def _precomputed(value: Any, output: Any) -> Partial[shap.Explanation]:
    given = as_explanation(value)
    values = np.asarray(given.values)
    result = given
    if output is not None:
        names = given.output_names
        names = [names] if isinstance(names, str) else list(names) if names is not None else []
        k = values.shape[-1]
        if values.ndim < 2 or (len(names) != k and values.ndim < 3):
            raise ValueError(f"output={output!r} given, but the explanation has one output (values {values.shape})")
        index = index_of(output, [str(n) for n in names] or [str(i) for i in range(k)],
                         what="the explanation's outputs")
        base = None if given.base_values is None else np.asarray(given.base_values)
        if base is not None and base.ndim >= 1 and base.shape[-1] == k and base.ndim == values.ndim - 1:
            base = base[..., index]
        result = shap.Explanation(values[..., index], base_values=base, data=given.data,
                                  display_data=given.display_data, feature_names=given.feature_names,
                                  output_names=[str(names[index])] if names else [str(index)])
    else:
        result = copy.copy(given)  # the user's object is not touched
    rows = int(values.shape[0]) if values.ndim >= 2 else 1
    before = stats_of(given)
    setattr(result, STATS_ATTRIBUTE, ExplanationStats(before.method if before else "shap:precomputed", rows,
                                                      before.confidence if before else None, partial=False))
    return Partial(result, rows, rows)


