"""A/B comparison of two models on the same rows: paired statistics, disagreements, explanations side by side,
and what compression (distillation, dynamic quantization) cost."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from ..evaluation._inputs import keywords_checked
from .compression import CompressionReport, compression_report
from .importance import RankAgreement, rank_agreement
from .result import Comparison, MetricComparison, comparison

__all__ = [
    "Comparison", "CompressionReport", "MetricComparison", "RankAgreement", "compare", "comparison",
    "compression_report", "rank_agreement",
]


def _is_torch(model: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(model, torch.nn.Module)


@keywords_checked
def compare(
    model_a: Any, model_b: Any, X: Any, y: Any, *, metric: str | Callable[..., float] | None = None,
    higher_is_better: bool = True, names: Sequence[str] = ("A", "B"),
    task: str = "auto", logits: bool | None = None, class_names: Sequence[Any] | None = None,
    n_resamples: int = 2000, confidence: float = 0.95, random_state: int | None = 0, explain: bool = True,
    explain_rows: int = 200, explain_output: Any = None, explain_with: Any = "auto", compression: bool | None = None,
    batch_size: int = 256,
    title: str = "",
) -> Any:
    """Is B better than A, or just different? Both models on the same rows, with paired statistics.

    Parameters
    ----------
    model_a, model_b : estimator, torch.nn.Module or callable
        Anything :func:`ipyexplain.evaluate` accepts; both must solve the same task with the same classes.
    X, y : array-like
        The rows both models predict, and the truth.
    metric : str or callable, optional
        The metric the verdict is about: ``"accuracy"`` (default), ``"auc"``, ``"log_loss"``, ``"brier"``
        for classifiers; ``"rmse"`` (default), ``"mae"``, ``"r2"`` for regressors. Every metric is in the table.
        Or any ``f(y_true, y_score) -> float`` in scikit-learn's style (``y_score``: the positive class's
        probability for a binary classifier, the probabilities for a multiclass one, the predictions of a
        regressor), e.g. ``lambda y, p: f1_score(y, p >= 0.3)``: the same paired bootstrap and permutation
        test, one resample at a time.
    higher_is_better : bool
        For a callable ``metric``: whether a larger value is better (worded "better"/"worse").
    names : (str, str)
        What to call the models in the text ("original", "quantized").
    logits : bool, optional
        The models return logits (softmax/sigmoid gives probabilities). Default: True for torch modules.
    n_resamples : int
        Bootstrap resamples and permutations (ROC AUC: at most 500 unless it is ``metric``).
    confidence : float
        Level of the confidence intervals; a p-value below ``1 - confidence`` is called significant.
    random_state : int or None
        Seeds the bootstrap, the permutations and the SHAP sample.
    explain : bool
        Also explain both models with SHAP on the same ``explain_rows`` sampled rows (background Jobs; the
        bars fill in live) and report the rank agreement of their feature importances; the rows where they
        disagree are among the rows explained, and a picker shows both models' waterfalls for each of
        them. ``explain_with`` is
        the shap explainer: ``"auto"`` (each model's fast exact explainer where there is one: trees, linear
        models) or e.g. ``"permutation"`` for the same model-agnostic explainer (same units) for both.
        ``explain_output`` picks the class explained (default: the positive class, or the first class).
    compression : bool, optional
        Add size, latency per batch of ``batch_size`` rows and per-layer output differences. Default: when both
        models are torch modules.

    Returns
    -------
    ModelComparison
        The view; ``.result`` is the :class:`Comparison` (``.sentence``, ``.metrics``, ``.mcnemar``...),
        ``.explanations`` and ``.compression`` the optional sections' results.

    The verdict for accuracy uses McNemar's test (exact binomial below 25 discordant rows), for the other
    metrics a paired permutation test; intervals are paired percentile bootstrap intervals of B - A.
    """
    from ..views._chart_compare import ModelComparison
    from ..views._chart_compare_extras import ExplanationsSideBySide, compression_section

    both_torch = _is_torch(model_a) and _is_torch(model_b)
    result = comparison(model_a, model_b, X, y, metric=metric, higher_is_better=higher_is_better, names=names,
                        task=task,
                        logits=both_torch if logits is None else logits, class_names=class_names,
                        n_resamples=n_resamples, confidence=confidence, random_state=random_state)
    view = ModelComparison(result, title=title)
    view.explanations = None
    view.compression = None
    if compression or (compression is None and both_torch):
        report = compression_report(model_a, model_b, X, y if result.task == "classification" else None,
                                    names=result.names, batch_size=batch_size)
        view.compression = report
        view.add_section(compression_section(report))
    if explain:
        output = explain_output
        if output is None and result.task == "classification":
            data = result.extra["data"][0]
            output = data.classes[1] if data.binary else data.classes[0]
        a, b = result.names
        labels = [f"row {int(i)}: truth {t} · {a} {pa} · {b} {pb}" for i, t, pa, pb in
                  zip(result.disagreements, result.truth, result.pred_a, result.pred_b, strict=True)]
        side = ExplanationsSideBySide(model_a, model_b, X, result.names, output=output, rows=explain_rows,
                                      seed=0 if random_state is None else int(random_state), explainer=explain_with,
                                      focus=[int(i) for i in result.disagreements], focus_labels=labels)
        view.explanations = side
        view.add_section(side.widget)
    return view
