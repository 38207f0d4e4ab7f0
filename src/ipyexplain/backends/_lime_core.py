"""What the three LIME modes share: kernel, streamed weighted-ridge surrogate, feature selection, result.

A mode (tabular, text, image) is a :class:`Perturber`: it draws samples around the instance in an
interpretable representation ``Z`` (one column per feature), their distances to the instance, and the
rows the model is called on. :func:`iterate` does the rest, model call by model call (a call takes one
or more chunks of ``batch_size`` samples; chunk ``k`` has its own random stream, so the result does not
depend on the grouping):

1. predict the batch, pick the explained output (after the first call, from the instance's row);
2. weight the samples with the kernel and merge their weighted moments into :class:`WeightedMoments`
   (means and centred co-moments of ``Z`` and ``y``; merging is exact and numerically stable), so a
   refit costs O(d³) whatever the number of samples so far;
3. select features and fit the ridge surrogate from the moments (:func:`fit_surrogate`), and yield
   a ``shap.Explanation``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import shap

from .. import adapters
from .._jobs import Partial
from ..explanation import STATS_ATTRIBUTE, ExplanationStats

DETAILS_ATTRIBUTE = "ipyexplain_lime"
SELECTIONS = ("auto", "forward_selection", "highest_weights", "none")
Kernel = Callable[[np.ndarray, float], np.ndarray]


def exponential_kernel(distances: np.ndarray, width: float) -> np.ndarray:
    """LIME's default kernel: ``sqrt(exp(-d² / width²))``."""
    return np.sqrt(np.exp(-(distances**2) / width**2))


@dataclass(frozen=True)
class LimeDetails:
    """What a LIME Explanation carries besides shap's fields (attribute ``ipyexplain_lime``).

    ``score`` is the surrogate's weighted R² on the samples so far (as lime's ``exp.score``);
    ``selected`` the feature indices the surrogate uses, in the order they were selected (the
    other features have value 0); ``segments`` the (H, W) superpixel map of an image explanation
    (value ``i`` paints with ``values[i]``); ``positions`` the character offsets of each word of a
    text explanation.
    """

    score: float
    intercept: float
    local_prediction: float  # the surrogate at the instance
    model_prediction: float  # the model at the instance (the explained output)
    output_index: int
    kernel_width: float
    selected: tuple[int, ...]
    mode: str
    segments: np.ndarray | None = None
    positions: tuple[tuple[int, ...], ...] | None = None


class Perturber(Protocol):
    mode: str
    n_features: int
    z0: np.ndarray  # the instance in the interpretable representation
    feature_names: list[str]
    data: Any
    display_data: Any

    def sample(self, rng: np.random.Generator, n: int, first: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(Z, distances, raw)`` for ``n`` samples; with ``first`` the instance itself is row 0.

        ``raw`` is an array with one entry per sample from which :meth:`rows` makes the model's input.
        """

    def rows(self, raw: np.ndarray) -> Any:
        """The model's input for the samples ``raw`` (concatenated from several :meth:`sample` calls)."""

    def predict(self, predictor: adapters.Predictor, rows: Any) -> np.ndarray:
        """All the model's outputs on ``rows``, (n, outputs) float64."""


def outputs_on(predictor: adapters.Predictor, rows: Any, what: str) -> np.ndarray:
    """The model's outputs on perturbed ``rows``; a failure names the model and ``what`` it was given."""
    try:
        return predictor.outputs(rows)
    except adapters.PredictError:
        raise
    except Exception as exc:
        raise adapters.PredictError(f"{type(predictor.model).__name__} failed to predict on {what}: {exc}") from exc


def details_of(explanation: Any) -> LimeDetails | None:
    """The :class:`LimeDetails` of a LIME Explanation, or ``None``."""
    found = getattr(explanation, DETAILS_ATTRIBUTE, None)
    return found if isinstance(found, LimeDetails) else None


# ------------------------------------------------------------------------------ streamed moments
class WeightedMoments:
    """Weighted means and centred co-moments of (Z, y), merged batch by batch (Chan et al.)."""

    def __init__(self, n_features: int) -> None:
        self.n = 0
        self.sw = 0.0
        self.mz = np.zeros(n_features)
        self.my = 0.0
        self.czz = np.zeros((n_features, n_features))
        self.czy = np.zeros(n_features)
        self.cyy = 0.0

    def add(self, Z: np.ndarray, y: np.ndarray, w: np.ndarray) -> None:
        self.n += len(y)
        sw = float(w.sum())
        if sw <= 0:
            return
        mz = w @ Z / sw
        my = float(w @ y / sw)
        root = np.sqrt(w)
        S, t = (Z - mz) * root[:, None], (y - my) * root
        czz, czy, cyy = S.T @ S, S.T @ t, float(t @ t)  # S.T @ S: BLAS syrk, far faster than a general product
        total = self.sw + sw
        dz, dy, f = mz - self.mz, my - self.my, self.sw * sw / total
        self.czz += czz + f * np.outer(dz, dz)
        self.czy += czy + f * dz * dy
        self.cyy += cyy + f * dy * dy
        self.mz += dz * (sw / total)
        self.my += dy * (sw / total)
        self.sw = total


@dataclass(frozen=True)
class Fit:
    coef: np.ndarray  # (d,), 0 outside ``selected``
    intercept: float
    score: float
    selected: tuple[int, ...]


def _ridge(m: WeightedMoments, features: np.ndarray, alpha: float) -> np.ndarray:
    A = m.czz[np.ix_(features, features)] + alpha * np.eye(len(features))
    try:
        return np.linalg.solve(A, m.czy[features])
    except np.linalg.LinAlgError:  # only with alpha == 0 on collinear columns
        return np.linalg.lstsq(A, m.czy[features], rcond=None)[0]


def _forward_selection(m: WeightedMoments, k: int) -> list[int]:
    """lime's forward selection (greedy, unregularised least squares, best weighted R² first), with the
    R² gain of every candidate from the moments at once (Schur complement), not one fit per candidate."""
    C, c = m.czz, m.czy
    diag = np.diag(C).copy()
    chosen: list[int] = []
    for _ in range(k):
        if chosen:
            P = np.linalg.pinv(C[np.ix_(chosen, chosen)])
            M = C[:, chosen] @ P
            resid_var = diag - np.einsum("ij,ij->i", M, C[:, chosen])
            resid_cov = c - M @ c[chosen]
        else:
            resid_var, resid_cov = diag, c
        usable = resid_var > 1e-10 * np.maximum(diag, 1e-300)
        gain = np.where(usable, resid_cov**2 / np.where(usable, resid_var, 1.0), 0.0)
        gain[chosen] = -np.inf
        chosen.append(int(np.argmax(gain)))
    return chosen


def fit_surrogate(m: WeightedMoments, z0: np.ndarray, num_features: int | None, selection: str,
                  alpha: float) -> Fit:
    """Feature selection and the ridge surrogate, as lime's ``explain_instance_with_data``."""
    d = len(z0)
    if num_features is None or num_features >= d or selection == "none":
        selected = list(range(d))
    else:
        method = selection if selection != "auto" else ("forward_selection" if num_features <= 6 else "highest_weights")
        if method == "forward_selection":
            selected = _forward_selection(m, num_features)
        else:  # highest_weights: ridge(0.01) on all features, largest |coef * instance|
            coef_all = _ridge(m, np.arange(d), 0.01)
            selected = [int(i) for i in np.argsort(-np.abs(coef_all * z0), kind="stable")[:num_features]]
    features = np.asarray(selected, dtype=np.intp)
    beta = _ridge(m, features, alpha)
    coef = np.zeros(d)
    coef[features] = beta
    intercept = m.my - float(m.mz[features] @ beta)
    ss_res = m.cyy - 2 * float(beta @ m.czy[features]) + float(beta @ m.czz[np.ix_(features, features)] @ beta)
    if m.cyy > 1e-12 * max(1.0, m.sw * m.my**2):
        score = 1.0 - max(ss_res, 0.0) / m.cyy
    else:  # constant output: sklearn's r2_score convention
        score = 1.0 if ss_res <= 1e-12 else 0.0
    return Fit(coef, intercept, score, tuple(selected))


# ------------------------------------------------------------------------------ output choice
def _choose_output(predictor: adapters.Predictor, first: np.ndarray, output: Any) -> int:
    if output is not None:
        index = predictor.select(output).output
        assert index is not None
        return index
    if first.shape[0] == 1:
        return 0
    if first.shape[0] == 2 and predictor.kind != "regressor":
        return 1  # a binary classifier: the positive class
    if predictor.kind == "regressor":
        return 0
    return int(np.argmax(first))  # multiclass: the class the model predicts for the instance


def resolve_output(predictor: adapters.Predictor, first: np.ndarray, output: Any,
                   output_names: Sequence[str] | None) -> int:
    k = first.shape[0]
    if output_names is not None:
        if len(output_names) != k:
            raise ValueError(f"output_names has {len(output_names)} names but the model returns {k} outputs")
        predictor.output_names = [str(n) for n in output_names]
    elif len(predictor.output_names) != k:
        predictor.output_names = ["output"] if k == 1 else [f"output {i}" for i in range(k)]
    return _choose_output(predictor, first, output)


def checked_outputs(raw: Any, n: int, model: Any) -> np.ndarray:
    out = np.asarray(raw.detach().cpu().numpy() if hasattr(raw, "detach") else raw, dtype=np.float64)
    if out.ndim == 1:
        out = out[:, None]
    if out.ndim != 2 or out.shape[0] != n:
        raise adapters.PredictError(f"{type(model).__name__} returned shape {out.shape} for {n} samples; "
                                    f"expected ({n},) or ({n}, outputs)")
    return out


# ------------------------------------------------------------------------------ the stream
@dataclass
class Settings:
    output: Any = None
    output_names: Sequence[str] | None = None
    num_samples: int = 5000
    batch_size: int = 500
    num_features: int | None = 10
    feature_selection: str = "auto"
    kernel_width: float = 1.0
    kernel: Kernel = exponential_kernel
    alpha: float = 1.0
    random_state: Any = None
    batch_seconds: float | None = 0.25

    def validate(self) -> None:
        for name in ("num_samples", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer; got {value!r}")
        if self.num_features is not None and (isinstance(self.num_features, bool) or
                                              not isinstance(self.num_features, (int, np.integer)) or
                                              self.num_features < 1):
            raise ValueError(f"num_features must be a positive integer or None (all); got {self.num_features!r}")
        if self.feature_selection not in SELECTIONS:
            raise ValueError(f"feature_selection must be one of {SELECTIONS}; got {self.feature_selection!r}")
        if not np.isfinite(self.kernel_width) or self.kernel_width <= 0:
            raise ValueError(f"kernel_width must be a positive number; got {self.kernel_width!r}")
        if not np.isfinite(self.alpha) or self.alpha < 0:
            raise ValueError(f"alpha must be >= 0; got {self.alpha!r}")
        if self.batch_seconds is not None and not self.batch_seconds > 0:
            raise ValueError(f"batch_seconds must be positive or None (fixed batches); got {self.batch_seconds!r}")
        if not callable(self.kernel):
            raise TypeError("kernel must be a callable (distances, width) -> weights; "
                            f"got {type(self.kernel).__name__}")


def chunk_seeds(random_state: Any) -> np.random.SeedSequence:
    """The root of the per-chunk random streams (an int, a numpy Generator/RandomState, or None: fresh)."""
    if isinstance(random_state, np.random.Generator):
        return np.random.SeedSequence(int(random_state.integers(2**63)))
    if isinstance(random_state, np.random.RandomState):
        return np.random.SeedSequence(int(random_state.randint(2**31)))
    if random_state is None or (isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool)):
        return np.random.SeedSequence(None if random_state is None else int(random_state))
    raise TypeError(f"random_state must be an int, a numpy Generator or None; got {type(random_state).__name__}")


def iterate(perturber: Perturber, predictor: adapters.Predictor, s: Settings) -> Iterator[Partial[shap.Explanation]]:
    """The LIME stream: ``s.num_samples`` samples in chunks of ``s.batch_size``, one Partial per model call.

    Chunk ``k`` draws from its own random stream (seed, k), so the samples do not depend on how chunks
    are grouped into model calls: with ``s.batch_seconds`` a call takes as many chunks as fit in that
    time at the pace measured so far (a fast model runs in few calls; a slow one streams chunk by chunk).
    """
    root = chunk_seeds(s.random_state)
    sizes = [min(s.batch_size, s.num_samples - start) for start in range(0, s.num_samples, s.batch_size)]
    moments = WeightedMoments(perturber.n_features)
    index: int | None = None
    model_prediction = 0.0
    done = chunk = 0
    per_sample = None  # seconds per sample of sampling + predicting, measured
    while chunk < len(sizes):
        take = 1
        if s.batch_seconds is not None and per_sample is not None:
            budget = max(1, int(s.batch_seconds / max(per_sample, 1e-12)))
            while chunk + take < len(sizes) and sum(sizes[chunk:chunk + take + 1]) <= budget:
                take += 1
        started = time.perf_counter()
        parts = [perturber.sample(np.random.default_rng(np.random.SeedSequence(root.entropy, spawn_key=(k,))),
                                  sizes[k], k == 0) for k in range(chunk, chunk + take)]
        Z, distances, raw = (np.concatenate(p) if len(parts) > 1 else p[0] for p in zip(*parts, strict=True))
        out = perturber.predict(predictor, perturber.rows(raw))
        n = len(Z)
        per_sample = (time.perf_counter() - started) / n
        if index is None:
            index = resolve_output(predictor, out[0], s.output, s.output_names)
            model_prediction = float(out[0, index])
        y = out[:, index]
        bad = ~np.isfinite(y)
        if bad.any():
            raise adapters.PredictError(f"{type(predictor.model).__name__} returned NaN or inf for {int(bad.sum())} of "
                                        f"{n} perturbed samples")
        weights = np.asarray(s.kernel(distances, s.kernel_width), dtype=np.float64)
        moments.add(Z, y, weights)
        done += n
        chunk += take
        fit = fit_surrogate(moments, perturber.z0, s.num_features, s.feature_selection, s.alpha)
        details = LimeDetails(
            score=fit.score, intercept=fit.intercept,
            local_prediction=fit.intercept + float(fit.coef @ perturber.z0), model_prediction=model_prediction,
            output_index=index, kernel_width=float(s.kernel_width), selected=fit.selected, mode=perturber.mode,
            segments=getattr(perturber, "segments", None), positions=getattr(perturber, "positions", None))
        yield Partial(build(perturber, fit, predictor.output_names[index], details, done, done >= s.num_samples),
                      done, s.num_samples)


def build(perturber: Perturber, fit: Fit, output_name: str, details: LimeDetails, done: int,
          finished: bool) -> shap.Explanation:
    explanation = shap.Explanation(
        values=fit.coef.copy(),
        base_values=fit.intercept,
        data=perturber.data,
        display_data=perturber.display_data,
        feature_names=list(perturber.feature_names),
        output_names=[output_name],
    )
    setattr(explanation, STATS_ATTRIBUTE, ExplanationStats("lime", done, partial=not finished, score=fit.score))
    setattr(explanation, DETAILS_ATTRIBUTE, details)
    return explanation
