"""How good is the model: ROC/PR with AUC/AP, a threshold linked to the confusion matrix, calibration with
the Brier score (classifiers); predicted vs actual and residuals (regressors). Numbers equal scikit-learn's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._inputs import Classification, keywords_checked, prepare
from .report import ClassificationReport, RegressionReport, classification_report, regression_report

__all__ = ["ClassificationReport", "RegressionReport", "evaluate", "report"]


@keywords_checked
def report(
    model: Any = None, X: Any = None, y: Any = None, *, y_score: Any = None, task: str = "auto",
    logits: bool = False, class_names: Sequence[Any] | None = None, positive: Any = None, n_bins: int = 10,
) -> ClassificationReport | RegressionReport:
    """The numbers of :func:`evaluate` without the widget (same arguments)."""
    data = prepare(model, X, y, y_score=y_score, task=task, logits=logits, class_names=class_names)
    if isinstance(data, Classification):
        return classification_report(data, n_bins=n_bins, positive=positive if data.binary else None)
    return regression_report(data)


@keywords_checked
def evaluate(
    model: Any = None, X: Any = None, y: Any = None, *, y_score: Any = None, task: str = "auto",
    logits: bool = False, class_names: Sequence[Any] | None = None, positive: Any = None,
    threshold: float = 0.5, n_bins: int = 10, title: str = "",
) -> Any:
    """Evaluate a model on ``X, y`` and return a dashboard widget.

    Parameters
    ----------
    model : estimator, torch.nn.Module or callable, optional
        Anything :func:`ipyexplain.adapters.as_predictor` accepts. A classifier must give
        probabilities (``predict_proba``; a torch module or function returning logits needs
        ``logits=True``). Leave out and pass ``y_score`` to evaluate scores you already have.
    X : array-like, DataFrame or tensor
        The rows to predict.
    y : array-like
        The true labels (classification) or targets (regression), one per row.
    y_score : array-like, optional
        Probabilities (n,) of the positive class, or (n, k) one column per class; or regression
        predictions (n,). Instead of ``model`` and ``X``.
    task : {"auto", "classification", "regression"}
        Auto: a scikit-learn classifier/regressor says; otherwise several score columns, or
        labels that are not floats, mean classification.
    logits : bool
        The scores are logits: sigmoid (one column) or softmax (several) gives probabilities.
    class_names : sequence, optional
        Display names of the classes (shown as text), in the order of the score columns.
    positive : label, optional
        Binary: the positive class (default: the second sorted label, as scikit-learn).
        Multiclass: the class shown one-vs-rest first (default: the first).
    threshold : float
        Initial decision threshold in [0, 1].
    n_bins : int
        Equal-width bins of the calibration curve.

    Returns
    -------
    ClassifierEvaluation or RegressorEvaluation
        An ipywidgets layout; ``.report`` holds every number, ``.threshold`` and ``.counts``
        the operating point (classifiers).

    Raises
    ------
    ValueError
        y/X length mismatch, NaN in y or in the scores, probabilities outside [0, 1], a single
        class in y (ROC undefined), labels the model does not know, unknown ``task``.
    TypeError
        An unknown model type, or both/neither of ``model``+``X`` and ``y_score``.
    """
    from ..views._chart_evaluation import ClassifierEvaluation
    from ..views._chart_regression import RegressorEvaluation

    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1]; got {threshold}")
    result = report(model, X, y, y_score=y_score, task=task, logits=logits, class_names=class_names,
                    positive=positive, n_bins=n_bins)
    if isinstance(result, ClassificationReport):
        return ClassifierEvaluation(result, title=title, threshold=threshold, positive=positive)
    return RegressorEvaluation(result, title=title)
