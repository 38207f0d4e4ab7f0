"""Faithfulness of an attribution: deletion and insertion curves against a random order, with their AUC.

**Deletion**: remove the most important features first (set them to the baseline) and record the
model's output for the explained class as a fraction of the features goes; a faithful attribution
makes it fall fast (low area under the curve). **Insertion**: start from the baseline and put the most
important features back first; the output should rise fast (high area). Both are compared with the
same curves for random orders (the mean over ``n_random`` orders), which any attribution should beat.

Features are columns for tabular data, pixels for images (all channels of a pixel together; the
importance of a pixel is its attribution summed over channels) and tokens for integer token ids
``(N, T)``: a removed token becomes the ``baseline`` id (default 0, usually the padding id), as
integrated gradients' baseline does for token ids. Works with any model ipyexplain can
call (torch modules, scikit-learn estimators, functions) and any attribution: a ``shap.Explanation``
from this project or from shap itself, or an array. Streamed: each step adds one point to every curve.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._jobs import Job, Partial
from ..adapters import as_predictor
from . import run_to_end, start_job


@dataclass
class FaithfulnessResult:
    """Curves over ``fractions`` (of features removed / inserted), each the mean over the samples."""

    fractions: np.ndarray  # (steps + 1,)
    deletion: np.ndarray  # NaN where not computed yet
    insertion: np.ndarray
    random_deletion: np.ndarray
    random_insertion: np.ndarray
    output_label: str
    done: int
    total: int
    per_sample: dict[str, np.ndarray] = field(default_factory=dict)  # (N, steps + 1) per curve
    unit: str = "features"  # what is removed / inserted: "features", "pixels" or "tokens"

    def auc(self, curve: str) -> float:
        """Area under a curve over [0, 1] (trapezoids), from the points computed so far."""
        y = getattr(self, curve)
        ok = np.isfinite(y)
        if ok.sum() < 2:
            return float("nan")
        return float(np.trapezoid(y[ok], self.fractions[ok]) / (self.fractions[ok][-1] - self.fractions[ok][0]))

    @property
    def aucs(self) -> dict[str, float]:
        return {name: self.auc(name) for name in ("deletion", "insertion", "random_deletion", "random_insertion")}


def _importance(attribution: Any, x: np.ndarray) -> tuple[np.ndarray, str]:
    """Per-unit importance (N, units) and the unit: "features" (tabular) or "pixels" (images)."""
    values = getattr(attribution, "values", attribution)
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    a = np.asarray(values, dtype=np.float64)
    n = x.shape[0]
    if a.shape[0] != n and a.ndim == x.ndim - 1:
        a = a[None]
    if a.shape[0] != n:
        raise ValueError(f"the attribution has {a.shape[0]} samples (shape {a.shape}) but X has {n} (shape {x.shape})")
    if x.ndim == 2:
        what = "token" if x.dtype.kind in "iu" else "feature"
        if a.shape != x.shape:
            raise ValueError(f"attribution shape {a.shape} does not match X {x.shape} (one value per {what})")
        return a, f"{what}s"
    if x.ndim == 4:  # the model's layout (N, C, H, W)
        _, c, h, w = x.shape
        if a.shape == x.shape:
            per_pixel = a.sum(axis=1)
        elif a.shape == (n, h, w, c):
            per_pixel = a.sum(axis=-1)
        elif a.shape == (n, h, w):
            per_pixel = a
        else:
            raise ValueError(f"attribution shape {a.shape} does not match images {x.shape}: expected (N, C, H, W), "
                             "(N, H, W, C) or (N, H, W)")
        return per_pixel.reshape(n, h * w), "pixels"
    raise ValueError(f"X must be tabular (N, features) or images (N, C, H, W); got shape {x.shape}")


def _baseline(baseline: Any, x: np.ndarray) -> np.ndarray:
    if x.dtype.kind in "iu":  # token ids: the id a removed token becomes
        b = np.asarray(baseline)
        if isinstance(baseline, str) or (b.dtype.kind not in "iub" and not np.array_equal(b, np.round(b))):
            raise ValueError(f"baseline for token ids is the id a removed token becomes (e.g. the padding id, "
                             f"default 0); got {baseline!r}")
        try:
            return np.broadcast_to(b.astype(x.dtype), x.shape).copy()
        except ValueError:
            raise ValueError(f"baseline of shape {b.shape} does not broadcast to the token ids {x.shape}") from None
    if isinstance(baseline, str):
        if baseline != "mean":
            raise ValueError(f"baseline must be a number, an array shaped like one sample, or 'mean'; got {baseline!r}")
        return np.broadcast_to(x.mean(axis=0, keepdims=True), x.shape).copy()
    b = np.asarray(baseline, dtype=x.dtype)
    try:
        return np.broadcast_to(b, x.shape).copy()
    except ValueError:
        raise ValueError(f"baseline of shape {b.shape} does not broadcast to X {x.shape}") from None


def stream(model: Any, X: Any, attribution: Any, *, target: Any = None, steps: int = 20, n_random: int = 5,
           baseline: Any = 0.0, order: str = "signed", probabilities: bool = True,
           random_state: int | None = 0) -> Iterator[Partial[FaithfulnessResult]]:
    """Deletion and insertion curves of ``attribution`` for ``model`` on ``X`` (see the module docstring).

    Parameters
    ----------
    model
        A torch module, scikit-learn estimator or function of X (anything ``adapters.as_predictor`` takes).
    X : array or tensor
        ``(N, features)``, images ``(N, C, H, W)`` or integer token ids ``(N, T)`` as the model takes them.
    attribution : shap.Explanation or array
        One value per feature or token, or per pixel and channel in ``(N, C, H, W)``, ``(N, H, W, C)``
        or ``(N, H, W)``.
    target : int, sequence of int or None
        The output explained per sample (default: each sample's top output; a single-output model's one).
    steps : int
        Points per curve after the start (fractions 0, 1/steps, ..., 1).
    n_random : int
        Random orders averaged for the reference curves.
    baseline
        What a removed feature becomes: a number, an array shaped like one sample, or "mean" (X's mean);
        for token ids (integer ``(N, T)`` into a torch model), the id a removed token becomes (default 0:
        the usual padding id).
    order : {"signed", "absolute"}
        Most important first by signed value (evidence for the class) or by |value|.
    probabilities : bool
        For a torch classifier, softmax the outputs first (scikit-learn classifiers give probabilities).
    """
    raw = np.asarray(X.detach().cpu().numpy() if hasattr(X, "detach") else X)
    predictor = as_predictor(model)
    token_ids = raw.dtype.kind in "iu" and raw.ndim == 2 and predictor.kind == "torch"  # through an embedding
    x = raw.astype(np.int64) if token_ids else raw.astype(np.float32)
    importance, unit = _importance(attribution, x)
    if int(steps) < 2 or int(n_random) < 1:
        raise ValueError(f"steps must be at least 2 and n_random at least 1; got {steps}, {n_random}")
    if order not in ("signed", "absolute"):
        raise ValueError(f"order must be 'signed' or 'absolute'; got {order!r}")
    base = _baseline(baseline, x)
    scores = _scores_fn(predictor, probabilities)
    full = scores(x)
    k = full.shape[1]
    if target is None:
        targets = full.argmax(axis=1)
    else:
        targets = np.broadcast_to(np.asarray(target, dtype=np.int64), (x.shape[0],)).copy()
        bad = targets[(targets < 0) | (targets >= k)]
        if bad.size:
            raise ValueError(f"target {int(bad[0])} is out of range: the model has {k} outputs (0..{k - 1})")
    key = np.abs(importance) if order == "absolute" else importance
    ranked = np.argsort(-key, axis=1, kind="stable")
    rng = np.random.default_rng(random_state)
    random_orders = [np.stack([rng.permutation(key.shape[1]) for _ in range(x.shape[0])]) for _ in range(int(n_random))]
    label = "probability" if (probabilities and predictor.kind == "torch" and k > 1) or predictor.kind == "classifier" \
        else "output"
    return _curves(scores, x, base, targets, ranked, random_orders, unit, int(steps), label)


def _scores_fn(predictor: Any, probabilities: bool) -> Any:
    def scores(rows: np.ndarray) -> np.ndarray:
        out = predictor.outputs(rows)
        if probabilities and predictor.kind == "torch" and out.shape[1] > 1:
            out = np.exp(out - out.max(axis=1, keepdims=True))
            out = out / out.sum(axis=1, keepdims=True)
        return out

    return scores


def _masked(x: np.ndarray, base: np.ndarray, order: np.ndarray, count: int, unit: str, insert: bool) -> np.ndarray:
    """X with the first ``count`` units of each row's ``order`` set to the baseline (deletion), or the baseline
    with those units taken from X (insertion)."""
    n = x.shape[0]
    chosen = np.zeros((n, order.shape[1]), dtype=bool)
    np.put_along_axis(chosen, order[:, :count], True, axis=1)
    if unit == "pixels":
        chosen = chosen.reshape(n, 1, *x.shape[2:])
    return np.where(chosen, x, base) if insert else np.where(chosen, base, x)


def _curves(scores: Any, x: np.ndarray, base: np.ndarray, targets: np.ndarray, ranked: np.ndarray,
            random_orders: list[np.ndarray], unit: str, steps: int,
            label: str) -> Iterator[Partial[FaithfulnessResult]]:
    n, units = ranked.shape
    fractions = np.linspace(0, 1, steps + 1)
    curves = {name: np.full((n, steps + 1), np.nan) for name in
              ("deletion", "insertion", "random_deletion", "random_insertion")}
    for i, fraction in enumerate(fractions):
        count = round(fraction * units)
        batch = [_masked(x, base, ranked, count, unit, False), _masked(x, base, ranked, count, unit, True)]
        for order in random_orders:
            batch += [_masked(x, base, order, count, unit, False), _masked(x, base, order, count, unit, True)]
        flat = scores(np.concatenate(batch))
        out = flat[np.arange(len(batch) * n), np.tile(targets, len(batch))].reshape(len(batch), n)
        curves["deletion"][:, i], curves["insertion"][:, i] = out[0], out[1]
        curves["random_deletion"][:, i] = out[2::2].mean(axis=0)
        curves["random_insertion"][:, i] = out[3::2].mean(axis=0)
        means = {name: c.mean(axis=0) for name, c in curves.items()}
        yield Partial(FaithfulnessResult(fractions, means["deletion"], means["insertion"], means["random_deletion"],
                                         means["random_insertion"], label, i + 1, steps + 1,
                                         {name: c.copy() for name, c in curves.items()}, unit), i + 1, steps + 1)


def job(model: Any, X: Any, attribution: Any, **options: Any) -> Job[FaithfulnessResult]:
    """:func:`stream` running in a background :class:`~ipyexplain._jobs.Job`."""
    return start_job(stream(model, X, attribution, **options), name="faithfulness")


def compute(model: Any, X: Any, attribution: Any, **options: Any) -> FaithfulnessResult:
    """The blocking form of :func:`stream`: the complete curves."""
    return run_to_end(stream(model, X, attribution, **options))
