"""Model + data (or ready-made scores) -> validated labels and probabilities, or targets and predictions."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from ..adapters import _to_numpy, as_predictor, as_table, as_targets, predict_checked

TASKS = ("auto", "classification", "regression")
F = TypeVar("F", bound=Callable[..., Any])


def keywords_checked(fn: F) -> F:
    """An unknown keyword -> ``TypeError`` naming the valid ones (Python's own message names only the bad one)."""
    valid = [n for n, p in inspect.signature(fn).parameters.items()
             if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        unknown = sorted(set(kwargs) - set(valid))
        if unknown:
            raise TypeError(f"{fn.__name__}() got unexpected keyword argument(s) {', '.join(map(repr, unknown))}; "
                            f"valid keywords are: {', '.join(valid)}")
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
_MAX_AUTO_CLASSES = 50


@dataclass(frozen=True)
class Classification:
    y_index: np.ndarray  # (n,) index of each row's true class into `classes`
    proba: np.ndarray  # (n, k) probability of each class, k >= 2
    classes: list[Any]
    class_names: list[str]

    @property
    def binary(self) -> bool:
        return len(self.classes) == 2


@dataclass(frozen=True)
class Regression:
    y: np.ndarray
    pred: np.ndarray


def _sklearn_kind(model: Any) -> str | None:
    """"classifier" / "regressor" for scikit-learn estimators (and pipelines), else None."""
    try:
        from sklearn.base import is_classifier, is_regressor
    except ImportError:  # scikit-learn is optional
        return None
    if not hasattr(model, "get_params"):
        return None
    try:
        return "classifier" if is_classifier(model) else "regressor" if is_regressor(model) else None
    except Exception:  # an object that only looks like an estimator
        return None


def _is_sklearn_classifier(model: Any) -> bool:
    return _sklearn_kind(model) == "classifier"


def _array(values: Any, name: str) -> np.ndarray:
    out = _to_numpy(values)
    return out.to_numpy() if hasattr(out, "to_numpy") else np.asarray(out)


def _scores_of(model: Any, X: Any, y_score: Any) -> tuple[np.ndarray, list[Any], bool]:
    """(scores, the model's classes if it knows them, whether the model is a classifier)."""
    if y_score is not None:
        if model is not None or X is not None:
            raise TypeError("pass either model and X, or y_score (the model's scores), not both")
        scores = _array(y_score, "y_score")
        if scores.dtype.kind not in "biuf":
            raise TypeError(f"y_score must be numeric; got dtype {scores.dtype}")
        return scores.astype(np.float64), [], False
    if model is None or X is None:
        raise TypeError("evaluate() needs model and X (or y_score=, the scores to evaluate)")
    if _is_sklearn_classifier(model) and not hasattr(model, "predict_proba"):
        raise ValueError(f"the {type(model).__name__} has no predict_proba (e.g. SVC(probability=False)); "
                         "refit it with probabilities or pass y_score=")
    table = as_table(X)
    predictor = as_predictor(model)
    predictor.output = None  # every column: probabilities of all classes
    scores = np.asarray(predict_checked(predictor, table), dtype=np.float64)
    return scores, list(predictor.classes), predictor.kind == "classifier"


def _check_finite(values: np.ndarray, name: str) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        rows = np.unique(np.nonzero(bad)[0])
        listed = ", ".join(map(str, rows[:5])) + (" …" if rows.size > 5 else "")
        raise ValueError(f"{name} has {int(bad.sum())} NaN/inf value(s) (rows {listed}); drop or impute them first")


def _guess_classification(y: np.ndarray, scores: np.ndarray) -> bool:
    if scores.ndim == 2 and scores.shape[1] > 1:
        return True
    if y.dtype.kind in "bOUS":
        return True
    if y.dtype.kind in "iu":
        return np.unique(y).size <= _MAX_AUTO_CLASSES
    return bool(np.all(y == np.round(y))) and np.unique(y).size <= 2


def prepare(
    model: Any, X: Any, y: Any, *, y_score: Any = None, task: str = "auto", logits: bool = False,
    class_names: Sequence[Any] | None = None,
) -> Classification | Regression:
    """Validate everything evaluate() is given; raise ValueError/TypeError naming what is wrong."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}; got {task!r}")
    scores, model_classes, is_classifier = _scores_of(model, X, y_score)
    if scores.ndim == 2 and scores.shape[1] == 1:
        scores = scores[:, 0]
    if scores.ndim not in (1, 2):
        raise ValueError(f"the scores must be 1-D or 2-D (rows x classes); got shape {scores.shape}")
    targets = as_targets(y, scores.shape[0])
    if targets.dtype.kind == "f":
        _check_finite(targets, "y")
    _check_finite(scores, "the model's scores" if y_score is None else "y_score")
    if task == "auto":
        if y_score is None and _sklearn_kind(model) == "regressor":
            task = "regression"
        else:
            task = "classification" if is_classifier or _guess_classification(targets, scores) else "regression"
    if task == "regression":
        if scores.ndim != 1:
            raise ValueError(f"regression needs one prediction per row; the model returns {scores.shape[1]} "
                             "outputs per row (for a classifier pass task='classification')")
        if targets.dtype.kind not in "biuf":
            raise TypeError(f"regression needs numeric y; got dtype {targets.dtype}")
        return Regression(targets.astype(np.float64), scores)
    return _classification(targets, scores, model_classes, logits, class_names)


def _classes(y: np.ndarray, scores: np.ndarray, model_classes: list[Any]) -> list[Any]:
    if model_classes:
        return model_classes
    present = list(np.unique(y))
    k = 2 if scores.ndim == 1 else scores.shape[1]
    if scores.ndim == 2 and y.dtype.kind in "iu" and min(present) >= 0 and max(present) < k:
        return list(range(k))  # integer labels index the score columns (a torch classifier)
    if (scores.ndim == 1 and len(present) <= 2) or len(present) == k:
        return present
    raise ValueError(f"y has {len(present)} distinct labels but the scores have {k} column(s); "
                     "pass integer labels 0..k-1 (one per score column) or scores with one column per label")


def _classification(y: np.ndarray, scores: np.ndarray, model_classes: list[Any], logits: bool,
                    class_names: Sequence[Any] | None) -> Classification:
    classes = _classes(y, scores, model_classes)
    if len(np.unique(y)) < 2:
        only = _key(y[0]) if y.size else None  # 1, not np.int64(1)
        raise ValueError(f"y has a single class ({only!r}): ROC and precision-recall curves are undefined "
                         "without both positives and negatives; evaluate on data with at least two classes")
    if scores.ndim == 1 and len(classes) != 2:
        raise ValueError(f"one score per row is a binary classifier, but y has {len(classes)} classes")
    lookup = {_key(c): i for i, c in enumerate(classes)}
    index = np.array([lookup.get(_key(v), -1) for v in y], dtype=np.int64)
    if (index < 0).any():
        unknown = sorted({str(v) for v in y[index < 0]})[:5]
        raise ValueError(f"y has labels the model does not predict: {', '.join(unknown)}; its classes are "
                         f"{', '.join(map(str, classes))}")
    proba = _probabilities(scores, logits)
    names = [str(c) for c in classes] if class_names is None else [str(c) for c in class_names]
    if len(names) != len(classes):
        raise ValueError(f"class_names has {len(names)} names for {len(classes)} classes")
    return Classification(index, proba, classes, names)


def _key(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _probabilities(scores: np.ndarray, logits: bool) -> np.ndarray:
    if logits:
        if scores.ndim == 1:
            p = 1.0 / (1.0 + np.exp(-scores))
            return np.column_stack([1 - p, p])
        shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)
    lo, hi = float(scores.min()), float(scores.max())
    if lo < 0 or hi > 1:
        raise ValueError(f"the scores are not probabilities: they range over [{lo:.3g}, {hi:.3g}], outside [0, 1]; "
                         "pass logits=True if the model returns logits (softmax/sigmoid is applied then)")
    return np.column_stack([1 - scores, scores]) if scores.ndim == 1 else scores
