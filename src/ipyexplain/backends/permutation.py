"""Permutation importance, streamed repeat by repeat, with confidence intervals.

The importance of a feature is how much the model's score drops when that feature's column is
shuffled. Each *repeat* shuffles every feature (or feature group) once; after each repeat the
stream yields the mean drop per feature with a Student-t confidence interval over the repeats so
far, so a bar chart sharpens while it runs. ``tol`` stops early once every interval's half-width
is below it.

Same numbers as scikit-learn: with the same ``random_state``, scorer and ``n_repeats`` the means
equal :func:`sklearn.inspection.permutation_importance`'s. Like scikit-learn we draw one seed
and every column replays the same shuffle sequence (each repeat shuffles the previous repeat's
index array in place, so the permutation applied to the original column is the composition of
all shuffles so far). Faster than scikit-learn: the permuted copies of X for many features are
stacked and predicted in one call (see ``_scoring``), instead of one call per feature and repeat.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import shap

from .._jobs import Job, Partial
from ..adapters import Table, as_predictor, as_table, as_targets, predict_checked
from ..explanation import global_importance
from . import run_to_end, start_job
from ._scoring import StackedScorer

# Cells per stacked prediction call (~16 MiB of float64). Stacking pays where a model's per-call overhead
# matters (small X, thread-pool start-up); on large X one copy per call is as fast and saves memory.
_STACK_CELLS = 1 << 21


def stream(
    model: Any,
    X: Any,
    y: Any,
    *,
    scoring: Any = None,
    n_repeats: int = 5,
    random_state: Any = None,
    groups: Mapping[str, Sequence[Any]] | None = None,
    tol: float | None = None,
    min_repeats: int = 3,
    confidence: float = 0.95,
    max_samples: float | int = 1.0,
    sample_weight: Any = None,
    feature_names: Sequence[str] | None = None,
    output: Any = None,
) -> Iterator[Partial[shap.Explanation]]:
    """The permutation importances, yielded as each chunk of features is permuted (module docstring).

    Arguments are validated (and the model tried on a few rows) when this is called; the work
    happens as the returned generator is advanced.

    Parameters
    ----------
    model
        Anything :func:`ipyexplain.adapters.as_predictor` accepts.
    X, y
        Data to score on (a held-out set) and its targets.
    scoring : str, callable or None
        A scikit-learn scorer name (``"accuracy"``, ``"r2"``, ``"roc_auc"``, ``"neg_log_loss"``…) or a
        callable ``scorer(estimator, X, y)``. Default: accuracy for classifiers, R² otherwise.
    n_repeats : int
        Shuffles per feature (an upper bound when ``tol`` is given).
    random_state : int, RandomState or None
        Seed, as scikit-learn's.
    groups : mapping of name -> columns, optional
        Columns (names or indices) permuted together, reported as one feature named by the key;
        columns in no group stay single features.
    tol : float, optional
        Stop once every feature's confidence half-width is below ``tol`` (after ``min_repeats``).
    confidence : float
        Level of the interval in ``lower_bounds``/``upper_bounds``.
    max_samples : int or float
        Rows drawn (without replacement, once) to score on, as scikit-learn's.
    """
    from sklearn.utils import check_random_state

    table = as_table(X, feature_names)
    targets = as_targets(y, table.n_rows)
    if int(n_repeats) < 1:
        raise ValueError(f"n_repeats must be at least 1; got {n_repeats}")
    if tol is not None and tol <= 0:
        raise ValueError(f"tol must be positive; got {tol}")
    weights = None if sample_weight is None else as_targets(sample_weight, table.n_rows, name="sample_weight")
    columns, names = _feature_columns(table, groups)
    predictor = as_predictor(model, output=output)
    predict_checked(predictor, table, table.take(slice(0, min(8, table.n_rows))))  # fail early with a clear message

    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max + 1)
    rng = np.random.RandomState(seed)
    rows, targets, weights = _subsample(table, targets, weights, max_samples, rng)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1; got {confidence}")
    scorer = StackedScorer(predictor, scoring, weights)
    # Everything above is checked now, in the caller's thread: bad input raises here, not in a job.
    max_copies = min(len(columns), max(1, _STACK_CELLS // max(1, len(targets) * table.n_features)))
    return _repeats(scorer, rows, targets, rng, columns, names, int(n_repeats), tol, min_repeats, confidence,
                    max_copies)


def _repeats(scorer: StackedScorer, rows: Any, targets: np.ndarray, rng: np.random.RandomState,
             columns: list[np.ndarray], names: list[str], n_repeats: int, tol: float | None, min_repeats: int,
             confidence: float, max_copies: int) -> Iterator[Partial[shap.Explanation]]:
    baseline = scorer.baseline(rows, targets)
    label = f"decrease in {scorer.name}"
    shuffle = np.arange(len(targets))
    permutation = np.arange(len(targets))
    n_features, total = len(columns), n_repeats * len(columns)
    drops = np.full((n_repeats, n_features), np.nan)
    sizer = _ChunkSizer(max_copies)
    copies = _PermutedCopies(rows, max_copies, _input_dtype(scorer.model))
    for repeat in range(n_repeats):
        rng.shuffle(shuffle)
        permutation = permutation[shuffle]  # composition of all shuffles so far, as scikit-learn's in-place updates
        start = 0
        while start < n_features:
            batch = columns[start:start + sizer.next()]
            began = time.perf_counter()
            stacked = copies.permute(batch, permutation)
            drops[repeat, start:start + len(batch)] = baseline - scorer.scores(stacked, len(batch), targets)
            sizer.measured(len(batch), time.perf_counter() - began)
            start += len(batch)
            done = repeat + 1 if start == n_features else repeat
            converged = (tol is not None and start == n_features and done >= max(2, min_repeats)
                         and _half_width(drops[:done], confidence) < tol)
            finished = converged or (done == n_repeats)
            explanation = global_importance(drops[:repeat + 1], names, method="permutation", confidence=confidence,
                                            partial=not finished, base_value=baseline)
            explanation.output_names = label
            # Progress counts permutations (feature x repeat); an early stop makes the total what was done.
            yield Partial(explanation, repeat * n_features + start, repeat * n_features + start if converged else total)
            if converged:
                return


def job(model: Any, X: Any, y: Any, **options: Any) -> Job[shap.Explanation]:
    """:func:`stream` running in a background :class:`~ipyexplain._jobs.Job`."""
    return start_job(stream(model, X, y, **options), name="permutation importance")


def compute(model: Any, X: Any, y: Any, **options: Any) -> shap.Explanation:
    """The blocking form of :func:`stream`: the final importances."""
    return run_to_end(stream(model, X, y, **options))


# ---------------------------------------------------------------------------------------- helpers
def _feature_columns(table: Table, groups: Mapping[str, Sequence[Any]] | None) -> tuple[list[np.ndarray], list[str]]:
    """Column indices permuted together, and the name of each such feature."""
    if not groups:
        return [np.array([j]) for j in range(table.n_features)], list(table.feature_names)
    position = {name: j for j, name in enumerate(table.feature_names)}
    grouped: dict[int, str] = {}
    members: dict[str, list[int]] = {}
    for group, cols in groups.items():
        if isinstance(cols, (str, int, np.integer)):
            cols = [cols]
        indices = []
        for col in cols:
            j = position.get(str(col)) if isinstance(col, str) else int(col)
            if j is None or not 0 <= j < table.n_features:
                raise ValueError(f"group {group!r}: no column {col!r} in X (columns: {table.feature_names})")
            if j in grouped:
                raise ValueError(f"column {table.feature_names[j]!r} is in two groups: {grouped[j]!r} and {group!r}")
            grouped[j] = str(group)
            indices.append(j)
        if not indices:
            raise ValueError(f"group {group!r} has no columns")
        members[str(group)] = indices
    columns: list[np.ndarray] = []
    names: list[str] = []
    for j, name in enumerate(table.feature_names):
        if j not in grouped:
            columns.append(np.array([j]))
            names.append(name)
        elif members.get(grouped[j], [None])[0] == j:  # a group takes the place of its first column
            columns.append(np.array(members[grouped[j]]))
            names.append(grouped[j])
    return columns, names


def _subsample(table: Table, y: np.ndarray, weights: np.ndarray | None, max_samples: float | int,
               rng: np.random.RandomState) -> tuple[Any, np.ndarray, np.ndarray | None]:
    n = table.n_rows
    count = int(max_samples * n) if isinstance(max_samples, float) else int(max_samples)
    if not 1 <= count <= n:
        raise ValueError(f"max_samples must select between 1 and {n} rows; got {max_samples}")
    if count == n:
        return table.rows, y, weights
    from sklearn.utils.random import sample_without_replacement

    # As scikit-learn's _generate_indices(bootstrap=False), from the same generator as the shuffles.
    index = sample_without_replacement(n, count, random_state=rng)
    return table.take(index), y[index], None if weights is None else weights[index]


class _ChunkSizer:
    """How many permuted copies to predict per call: few at first, so the first bars come quickly,
    then enough for about ``target`` seconds per call (fewer, larger calls amortise the model's
    per-call overhead), never more than fit the memory cap."""

    def __init__(self, max_copies: int, target: float = 0.25) -> None:
        self.max_copies = max_copies
        self.target = target
        self.per_copy: float | None = None

    def next(self) -> int:
        if self.per_copy is None:
            return 1
        return int(min(self.max_copies, max(1, self.target / max(self.per_copy, 1e-9))))

    def measured(self, copies: int, seconds: float) -> None:
        pace = seconds / copies
        self.per_copy = pace if self.per_copy is None else 0.5 * self.per_copy + 0.5 * pace


class _PermutedCopies:
    """Copies of ``rows`` stacked row-wise, copy ``i`` with some columns permuted.

    Allocated once and reused: switching copy ``i`` to other columns restores the columns it
    permuted before, so a repeat costs O(rows x permuted columns), not a fresh copy of X per feature.
    """

    def __init__(self, rows: Any, copies: int, dtype: Any = None) -> None:
        self.rows = rows
        self.n = int(rows.shape[0])
        self.frame = hasattr(rows, "iloc")
        if self.frame:
            import pandas as pd

            self.stacked = pd.concat([rows] * copies, ignore_index=True)
        else:
            # Column-major: permuting a column is a contiguous write, not a strided one (measured: 0.3 vs
            # 4 ms per column of 100k rows, as much as a fast model's predict). Row-major would make a
            # RandomForest's predict ~1% faster: a wash there, a loss on cheap models.
            self.array = np.asfortranarray(rows, dtype=dtype)
            self.stacked = np.asfortranarray(np.tile(self.array, (copies, 1)))
        self.permuted: list[np.ndarray] = [np.empty(0, dtype=int)] * copies

    def _write(self, i: int, cols: np.ndarray, rows: np.ndarray | None) -> None:
        """Copy ``i``'s columns ``cols`` from X, in the order ``rows`` (``None``: original order)."""
        block = slice(i * self.n, (i + 1) * self.n)
        if self.frame:
            for j in cols:
                column = self.rows.iloc[:, int(j)] if rows is None else self.rows.iloc[rows, int(j)]
                self.stacked.iloc[block, int(j)] = column.to_numpy()
        else:
            self.stacked[block, cols] = self.array[:, cols] if rows is None else self.array[np.ix_(rows, cols)]

    def permute(self, features: list[np.ndarray], permutation: np.ndarray) -> Any:
        """Copy ``i`` gets ``features[i]`` permuted (all else original); the stacked rows in use."""
        for i, cols in enumerate(features):
            if len(self.permuted[i]) and not np.array_equal(self.permuted[i], cols):
                self._write(i, self.permuted[i], None)  # restore what this copy permuted before
            self._write(i, cols, permutation)
            self.permuted[i] = cols
        used = len(features) * self.n
        if used == len(self.stacked):
            return self.stacked
        return self.stacked.iloc[:used] if self.frame else self.stacked[:used]


def _input_dtype(model: Any) -> Any:
    """float32 for scikit-learn's trees and forests, which cast every input to float32: the copies are
    cast once, not on each predict (the same numbers either way); ``None`` (keep X's dtype) otherwise."""
    from sklearn.ensemble._forest import BaseForest
    from sklearn.tree import BaseDecisionTree

    return np.float32 if isinstance(model, (BaseForest, BaseDecisionTree)) else None


def _half_width(drops: np.ndarray, confidence: float) -> float:
    from scipy import stats

    n = drops.shape[0]
    stderr = drops.std(axis=0, ddof=1) / np.sqrt(n)
    return float(np.max(stats.t.ppf(0.5 + confidence / 2, df=n - 1) * stderr))
