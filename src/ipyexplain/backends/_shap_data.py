"""Data helpers of the SHAP backend: background rows, mixed-type tables, numpy's global RNG.

- :func:`background_rows`: the background (reference) rows model-agnostic explainers integrate over;
- :class:`Codec`: a table with string/categorical columns as a float matrix shap can mask, and back
  into rows of the original kind and dtypes (a DataFrame for a pipeline) before the model sees them;
- :class:`GlobalRNG`: shap's sampling explainers draw from numpy's *global* RNG (``np.random.seed``
  in their constructor); a private state swapped in around each batch keeps a streamed run equal to
  one direct call on the same seed, whatever else draws from ``np.random`` between two batches.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..adapters import Table, as_table

DEFAULT_BACKGROUND = 100


def background_rows(background: Any, table: Table, seed: int | None) -> Table:
    """``background`` (None: a seeded sample of ~100 rows of X; an int: that many; or rows) as a Table."""
    if background is None or (isinstance(background, (int, np.integer)) and not isinstance(background, bool)):
        k = DEFAULT_BACKGROUND if background is None else int(background)
        if k < 1:
            raise ValueError(f"background must be a positive number of rows or the rows themselves; got {k}")
        if k >= table.n_rows:
            return table
        index = np.sort(np.random.default_rng(seed).choice(table.n_rows, size=k, replace=False))
        return Table(table.take(index), table.feature_names)
    rows = as_table(background, name="background")
    if rows.n_features != table.n_features:
        raise ValueError(f"background has {rows.n_features} columns but X has {table.n_features}")
    if rows.is_frame and table.is_frame and list(rows.rows.columns) != list(table.rows.columns):
        raise ValueError(
            f"background's columns {list(map(str, rows.rows.columns))} differ from X's {table.feature_names}"
        )
    return Table(rows.rows, table.feature_names)


def is_numeric(table: Table) -> bool:
    if table.is_frame:
        return all(getattr(kind, "kind", "O") in "biuf" for kind in table.rows.dtypes)
    return bool(table.rows.dtype.kind in "biuf")


class Codec:
    """Rows of any column types <-> a float matrix (numbers as they are, other columns as codes).

    Codes index the values seen in X and the background together, so every masked row decodes to
    values the model has been given before. :meth:`decode` rebuilds the original kind of rows: a
    DataFrame with the original column names and dtypes (categoricals keep their categories), or an
    object array.
    """

    def __init__(self, table: Table, background: Table) -> None:
        self.frame = table.is_frame
        self.columns = list(table.rows.columns) if self.frame else None
        self.dtypes: list[Any] = []
        self.levels: list[np.ndarray | None] = []
        self.encoded = np.empty((table.n_rows, table.n_features))
        self.background = np.empty((background.n_rows, table.n_features))
        for j in range(table.n_features):
            x, b = table.column(j), background.column(j)
            dtype = table.rows.dtypes.iloc[j] if self.frame else table.rows.dtype
            self.dtypes.append(dtype)
            if getattr(dtype, "kind", "O") in "biuf" and x.dtype.kind in "biuf" and b.dtype.kind in "biuf":
                self.levels.append(None)
                self.encoded[:, j], self.background[:, j] = x, b
                continue
            import pandas as pd

            codes, levels = pd.factorize(np.concatenate([np.asarray(x, dtype=object), np.asarray(b, dtype=object)]),
                                         use_na_sentinel=False)
            self.levels.append(np.asarray(levels, dtype=object))
            self.encoded[:, j], self.background[:, j] = codes[: len(x)], codes[len(x):]
        self.mixed = any(level is not None for level in self.levels)

    def decode(self, codes: np.ndarray) -> Any:
        codes = np.asarray(codes)
        columns = [col if levels is None else levels[np.rint(col).astype(np.intp)]
                   for col, levels in zip(codes.T, self.levels, strict=True)]
        if self.frame:
            import pandas as pd

            data = {name: pd.Series(col).astype(dtype)
                    for name, dtype, col in zip(self.columns or [], self.dtypes, columns, strict=True)}
            return pd.DataFrame(data, columns=self.columns)
        if self.mixed:
            return np.array(columns, dtype=object).T
        return codes.astype(self.dtypes[0], copy=False)

    def display(self, table: Table) -> np.ndarray | None:
        """The original values, for ``Explanation.display_data`` (None when all columns are numbers)."""
        if not self.mixed:
            return None
        return table.rows.to_numpy(dtype=object) if self.frame else np.asarray(table.rows, dtype=object)


class GlobalRNG:
    """A private copy of numpy's global RNG state, swapped in for shap's sampling explainers."""

    def __init__(self, seed: int | None = None, *, capture: bool = False) -> None:
        saved = np.random.get_state()
        if not capture:
            np.random.seed(seed)
        self.state = np.random.get_state()
        np.random.set_state(saved)

    @contextmanager
    def active(self) -> Iterator[None]:
        saved = np.random.get_state()
        np.random.set_state(self.state)
        try:
            yield
        finally:
            self.state = np.random.get_state()
            np.random.set_state(saved)
