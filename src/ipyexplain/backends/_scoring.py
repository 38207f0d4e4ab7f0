"""Scoring many permuted copies of X with one prediction call.

scikit-learn scorers call ``estimator.predict`` (or ``predict_proba``/``decision_function``) on X.
To score k permuted copies with one vectorised call, the copies are stacked and predicted once;
each copy is then scored by handing the scorer a :class:`_Replay` estimator whose response
methods return that copy's slice of the stacked predictions. ``X`` passed to the scorer is the
slice's row index, so a scorer that only needs ``len(X)`` still works. Scorer semantics (sign,
``pos_label``, class handling, ``sample_weight``) stay scikit-learn's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..adapters import Predictor

RESPONSE_METHODS = ("predict", "predict_proba", "decision_function", "predict_log_proba")


class _Replay:
    """Stands in for the model inside a scorer: answers from precomputed predictions."""

    def __init__(self, model: Any, responses: dict[str, np.ndarray], classifier: bool, classes: list[Any]) -> None:
        self._model = model
        self._responses = responses
        self._classifier = classifier
        if classes:
            self.classes_ = np.asarray(classes)
        for name in RESPONSE_METHODS:
            if name in responses:
                method = self._answer(name)
                method.__name__ = name  # scorers look the method up again by its __name__
                setattr(self, name, method)

    def _answer(self, name: str) -> Callable[[np.ndarray], np.ndarray]:
        return lambda index: self._responses[name][index]

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def __sklearn_tags__(self) -> Any:
        own = getattr(self._model, "__sklearn_tags__", None)
        if own is not None:
            return own()
        from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags

        kind = "classifier" if self._classifier else "regressor"
        tags = Tags(estimator_type=kind, target_tags=TargetTags(required=True))
        if self._classifier:
            tags.classifier_tags = ClassifierTags()
        else:
            tags.regressor_tags = RegressorTags()
        return tags

    def fit(self, *args: Any, **kwargs: Any) -> _Replay:  # scorers check that an estimator has fit
        return self


class _Recorder(_Replay):
    """Calls the real model and remembers which response methods the scorer asked for."""

    def __init__(self, source: Callable[[str, Any], np.ndarray], model: Any, classifier: bool, classes: list[Any],
                 rows: Any) -> None:
        self.asked: list[str] = []
        self._source = source
        self._rows = rows
        super().__init__(model, {name: np.empty(0) for name in RESPONSE_METHODS}, classifier, classes)

    def _answer(self, name: str) -> Callable[[np.ndarray], np.ndarray]:
        def call(index: np.ndarray) -> np.ndarray:
            if name not in self.asked:
                self.asked.append(name)
            return self._source(name, self._rows)[index]

        return call


class StackedScorer:
    """``score(rows_list, y)`` for many copies of X, predicting all copies in one call."""

    def __init__(self, predictor: Predictor, scoring: Any, sample_weight: np.ndarray | None) -> None:
        self.predictor = predictor
        self.model = predictor.model
        self.sklearn = predictor.kind in ("classifier", "regressor")
        self.classifier = predictor.kind == "classifier" or (not self.sklearn and len(predictor.output_names) > 1)
        self.classes = list(predictor.classes) or (list(range(len(predictor.output_names))) if self.classifier else [])
        self.scorer, self.name = _resolve_scorer(self.model if self.sklearn else None, scoring, self.classifier)
        self.sample_weight = sample_weight
        self.methods: list[str] = []
        self.direct = False  # a scorer that needs the real X: scored copy by copy on the real model

    def _respond(self, method: str, rows: Any) -> np.ndarray:
        if self.sklearn:
            return np.asarray(getattr(self.model, method)(rows))
        outputs = self.predictor.outputs(rows)
        if method == "predict":
            return outputs.argmax(axis=1) if self.classifier else outputs[:, 0]
        if method == "predict_log_proba":
            return np.log(outputs)
        return outputs

    def _call(self, estimator: Any, index: np.ndarray, y: np.ndarray) -> float:
        if self.sample_weight is not None:
            return float(self.scorer(estimator, index, y, sample_weight=self.sample_weight))
        return float(self.scorer(estimator, index, y))

    def baseline(self, rows: Any, y: np.ndarray) -> float:
        """The unpermuted score; also learns which response methods the scorer uses."""
        recorder = _Recorder(self._respond, self.model, self.classifier, self.classes, rows)
        try:
            score = self._call(recorder, np.arange(len(y)), y)
        except (AttributeError, TypeError, IndexError, KeyError):
            if not self.sklearn:
                raise
            self.direct = True  # e.g. a scorer that calls estimator.score(X, y) or reads X's columns
            return self._call(self.model, rows, y)
        self.methods = recorder.asked or ["predict"]
        return score

    def scores(self, stacked: Any, copies: int, y: np.ndarray) -> np.ndarray:
        """Scores of ``copies`` copies of X stacked row-wise in ``stacked`` (each ``len(y)`` rows)."""
        n = len(y)
        if self.direct:
            rows = stacked.iloc if hasattr(stacked, "iloc") else stacked
            return np.array([self._call(self.model, rows[i * n:(i + 1) * n], y) for i in range(copies)])
        responses = {m: self._respond(m, stacked) for m in self.methods}
        fast = _vectorised_scores(self.name, responses, copies, y, self.sample_weight)
        if fast is not None:
            return fast
        replay = _Replay(self.model, responses, self.classifier, self.classes)
        return np.array([self._call(replay, np.arange(i * n, (i + 1) * n), y) for i in range(copies)])


_VECTORISED = ("r2", "neg_mean_squared_error", "neg_mean_absolute_error", "accuracy")


def _vectorised_scores(name: str, responses: dict[str, np.ndarray], copies: int, y: np.ndarray,
                       weights: np.ndarray | None) -> np.ndarray | None:
    """All copies' scores in one numpy pass for the commonest metrics, as scikit-learn defines them.

    ``None`` where this does not apply (other metrics, multi-output, degenerate targets): the
    scorer then runs once per copy. Saves scikit-learn's per-call validation, which dominates on
    fast models.
    """
    if name not in _VECTORISED or set(responses) != {"predict"}:
        return None
    pred = responses["predict"]
    if pred.ndim != 1 or y.ndim != 1:
        return None
    pred = pred.reshape(copies, len(y))
    weights = None if weights is None else np.asarray(weights, dtype=np.float64)
    if name == "accuracy":
        hits = pred == y[None, :]
        return hits.mean(axis=1) if weights is None else hits.astype(np.float64) @ weights / weights.sum()
    if y.dtype.kind not in "biuf" or pred.dtype.kind not in "biuf":
        return None
    # Row means rather than a matrix product against unit weights: no BLAS threads spinning for a sum.
    error = pred - y.astype(np.float64)[None, :]
    if name == "neg_mean_absolute_error":
        np.abs(error, out=error)
        return -_row_mean(error, weights)
    np.square(error, out=error)
    mse = _row_mean(error, weights)
    if name == "neg_mean_squared_error":
        return -mse
    centred = y - np.average(y, weights=weights)
    total = float(_row_mean((centred**2)[None, :], weights)[0])
    return None if total == 0 else 1.0 - mse / total


def _row_mean(a: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    return a.mean(axis=1) if weights is None else a @ weights / weights.sum()


def _resolve_scorer(model: Any, scoring: Any, classifier: bool) -> tuple[Callable[..., float], str]:
    from sklearn.metrics import check_scoring, get_scorer, get_scorer_names

    if scoring is None:
        # What ClassifierMixin.score / RegressorMixin.score compute, but replayable.
        scoring = "accuracy" if classifier else "r2"
    if isinstance(scoring, str):
        if scoring not in get_scorer_names():
            raise ValueError(f"unknown scoring {scoring!r}; use a scikit-learn scorer name (e.g. 'accuracy', 'r2', "
                             "'roc_auc', 'neg_log_loss') or a callable scorer(estimator, X, y)")
        return get_scorer(scoring), scoring
    if callable(scoring):
        if model is not None:
            scoring = check_scoring(model, scoring=scoring)
        func = getattr(scoring, "_score_func", scoring)  # a make_scorer() scorer is named by its metric
        return scoring, str(getattr(func, "__name__", "score"))
    raise TypeError("scoring must be a scorer name, a callable scorer(estimator, X, y) or None; "
                    f"got {type(scoring).__name__}")
