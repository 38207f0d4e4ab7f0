"""LIME for tables: the sampling of lime's ``LimeTabularExplainer``, vectorised.

With ``discretize_continuous`` (the default) every continuous feature is cut at its training
quartiles (or deciles); a sample draws a bin per feature from the training bin frequencies, then a
value inside the bin from a normal truncated to the bin, with the bin's mean and standard deviation
(lime's ``undiscretize``). The interpretable representation is binary: "same bin (category) as the
instance". Without discretisation continuous values are drawn from N(mean, std) of the training data
(around the instance with ``sample_around_instance``) and represented standardised.

Categorical features (given by index or name, or any non-numeric or boolean column of a DataFrame or
object array) are drawn from their training frequencies. They are label-encoded internally and decoded
back, so the model receives rows of the same kind as ``X``: a DataFrame with the original columns and
dtypes (integer columns rounded), or an array.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import log_ndtr, ndtri_exp

from .. import adapters
from ._lime_core import outputs_on

DISCRETIZERS = {"quartile": (25, 50, 75), "decile": (10, 20, 30, 40, 50, 60, 70, 80, 90)}


@dataclass
class _Column:
    name: str
    categorical: bool
    dtype: Any
    categories: np.ndarray | None = None  # code -> original value
    labels: Sequence[str] | None = None  # user's names of the category values (lime's categorical_names)


def truncated_normal(rng: np.random.Generator, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Standard normal draws truncated to [a, b], elementwise (a < b).

    Rejection first (LIME's bins hold most of their normal's mass, so a few rounds accept nearly all),
    then the inverse CDF in log space, mirrored into the accurate tail, for what is left; both exact.
    ~10x faster than ``scipy.stats.truncnorm.rvs`` on arrays of bounds.
    """
    x = rng.standard_normal(a.shape)
    todo = np.flatnonzero((x < a) | (x > b))
    for _ in range(3):
        if not len(todo):
            return x
        redraw = rng.standard_normal(len(todo))
        x.flat[todo] = redraw
        todo = todo[(redraw < a.flat[todo]) | (redraw > b.flat[todo])]
    if len(todo):
        lo_t, hi_t = a.flat[todo], b.flat[todo]
        flip = lo_t > 0  # sample the mirrored interval, so the interval lies where log_ndtr is accurate
        lo, hi = np.where(flip, -hi_t, lo_t), np.where(flip, -lo_t, hi_t)
        log_lo, log_hi = log_ndtr(lo), log_ndtr(hi)
        u = rng.random(len(todo))
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            t = ndtri_exp(log_hi + np.log(u + (1 - u) * np.exp(log_lo - log_hi)))
        t = np.clip(np.nan_to_num(t, nan=0.0), lo, hi)
        x.flat[todo] = np.where(flip, -t, t)
    return x


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, pd.NA raises or is ambiguous
    except (TypeError, ValueError):
        return True


def _label(value: Any) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


class TabularPerturber:
    mode = "tabular"

    def __init__(self, table: adapters.Table, instance: Any, *, categorical_features: Sequence[Any] | None,
                 categorical_names: Mapping[Any, Sequence[str]] | None, discretize_continuous: bool,
                 discretizer: str, sample_around_instance: bool) -> None:
        if discretize_continuous and discretizer not in DISCRETIZERS:
            raise ValueError(f"discretizer must be one of {sorted(DISCRETIZERS)}; got {discretizer!r}")
        self.table = table
        self.feature_names = list(table.feature_names)
        self.n_features = d = table.n_features
        self.discretize = discretize_continuous
        self.around = sample_around_instance
        user_cat = self._indices(categorical_features, "categorical_features")
        names = {j: list(v) for j, v in ((self._index(k, "categorical_names"), v)
                                         for k, v in (categorical_names or {}).items())}
        train = np.empty((table.n_rows, d))
        self.columns: list[_Column] = []
        for j in range(d):
            column, encoded = self._encode_column(j, j in user_cat)
            column.labels = names.get(j)
            self.columns.append(column)
            train[:, j] = encoded
        self.cat = np.array([c.categorical for c in self.columns], dtype=bool)
        self._fit_statistics(train, percentiles=DISCRETIZERS.get(discretizer, ()))
        self._set_instance(instance)

    # ---------------------------------------------------------------- columns and training statistics
    def _index(self, key: Any, what: str) -> int:
        if isinstance(key, str) and key in self.feature_names:
            return self.feature_names.index(key)
        d = self.n_features
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool) and -d <= key < d:
            return int(key) % d
        raise ValueError(f"{what}: {key!r} is neither a feature index (0..{self.n_features - 1}) nor a feature name")

    def _indices(self, keys: Sequence[Any] | None, what: str) -> set[int]:
        return {self._index(k, what) for k in (keys or [])}

    def _encode_column(self, j: int, categorical: bool) -> tuple[_Column, np.ndarray]:
        import pandas as pd

        name = self.feature_names[j]
        if self.table.is_frame:
            series = self.table.rows.iloc[:, j]
            dtype = series.dtype
            numeric = getattr(dtype, "kind", "O") in "iuf"
            values: Any = series.to_numpy(dtype=np.float64, na_value=np.nan) if numeric else series.to_numpy()
        else:
            values = self.table.column(j)
            dtype = values.dtype
            numeric = dtype.kind in "iuf"
            if dtype.kind == "O":
                with contextlib.suppress(TypeError, ValueError):
                    values, numeric = values.astype(np.float64), True
        if numeric and not categorical:
            return _Column(name, False, dtype), np.asarray(values, dtype=np.float64)
        try:
            codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=False)
        except TypeError:  # values that do not sort together
            codes, uniques = pd.factorize(values, use_na_sentinel=False)
        categories = np.empty(len(uniques), dtype=object)
        categories[:] = list(uniques)
        return _Column(name, True, dtype, categories), codes.astype(np.float64)

    def _fit_statistics(self, train: np.ndarray, percentiles: Sequence[float]) -> None:
        d, cont = self.n_features, ~self.cat
        for empty in np.flatnonzero(cont & np.isnan(train).all(axis=0)):
            raise ValueError(f"X column {self.feature_names[empty]!r} has no values (all NaN)")
        self.mean = np.zeros(d)
        self.scale = np.ones(d)
        with np.errstate(invalid="ignore"):
            self.mean[cont] = np.nanmean(train[:, cont], axis=0)
            std = np.nanstd(train[:, cont], axis=0)
        self.scale[cont] = np.where(std > 0, std, 1.0)  # StandardScaler's convention for constant columns
        self.values: list[np.ndarray] = []  # per feature: the codes (bins or categories) that occur
        self.cumfreq: list[np.ndarray] = []
        self.edges: list[np.ndarray] = [np.empty(0)] * d
        n_bins = len(percentiles) + 1
        shape = (d, n_bins)
        self.bin_lo, self.bin_hi, self.bin_mean, self.bin_std = (np.zeros(shape) for _ in range(4))
        for j in range(d):
            col = train[:, j][~np.isnan(train[:, j])]
            if self.discretize and not self.cat[j]:
                edges = np.unique(np.percentile(col, percentiles))
                self.edges[j] = edges
                col = np.searchsorted(edges, col).astype(np.float64)
                self._bin_statistics(j, train[:, j][~np.isnan(train[:, j])], col, edges)
            codes, counts = np.unique(col, return_counts=True)
            self.values.append(codes)
            self.cumfreq.append(np.cumsum(counts) / counts.sum())

    def _bin_statistics(self, j: int, raw: np.ndarray, bins: np.ndarray, edges: np.ndarray) -> None:
        for b in range(len(edges) + 1):
            inside = raw[bins == b]
            self.bin_mean[j, b] = inside.mean() if len(inside) else 0.0
            self.bin_std[j, b] = (inside.std() if len(inside) else 0.0) + 1e-11
        self.bin_lo[j, : len(edges) + 1] = np.concatenate([[raw.min()], edges])
        self.bin_hi[j, : len(edges) + 1] = np.concatenate([edges, [raw.max()]])

    # ---------------------------------------------------------------- the instance
    def _instance_values(self, instance: Any) -> list[Any]:
        d = self.n_features
        if hasattr(instance, "iloc"):  # a pandas Series or a one-row DataFrame
            if instance.ndim == 2:
                if len(instance) != 1:
                    raise ValueError(f"instance must be one row; got a DataFrame with {len(instance)} rows")
                instance = instance.iloc[0]
            labels = [str(k) for k in instance.index]
            if sorted(labels) == sorted(self.feature_names) and len(labels) == d:
                instance = instance.iloc[[labels.index(n) for n in self.feature_names]]
            values = list(instance.to_numpy())
        else:
            if type(instance).__module__.startswith("torch"):
                instance = instance.detach().cpu().numpy()
            array = np.asarray(instance, dtype=object)
            if array.ndim == 2 and array.shape[0] == 1:
                array = array[0]
            if array.ndim != 1:
                raise ValueError(f"instance must be one row of {d} feature values; got shape {array.shape}")
            values = list(array)
        if len(values) != d:
            shown = ", ".join(self.feature_names[:5]) + (" …" if d > 5 else "")
            raise ValueError(f"instance has {len(values)} values but X has {d} features ({shown})")
        missing = [self.feature_names[j] for j, v in enumerate(values) if _is_missing(v)]
        if missing:
            raise ValueError(f"instance has NaN (or a missing value) in {', '.join(missing)}; "
                             "LIME needs a complete row")
        return values

    def _set_instance(self, instance: Any) -> None:
        values = self._instance_values(instance)
        self.x0 = np.zeros(self.n_features)
        self.code0 = np.zeros(self.n_features)  # bin or category of the instance
        conditions = []
        for j, (column, value) in enumerate(zip(self.columns, values, strict=True)):
            if column.categorical:
                assert column.categories is not None
                found = [i for i, c in enumerate(column.categories) if _same(c, value)]
                if not found:  # a category never seen in training: its own code, never drawn
                    column.categories = np.append(column.categories, np.array([value], dtype=object))
                    found = [len(column.categories) - 1]
                self.x0[j] = self.code0[j] = found[0]
                label = column.labels[int(value)] if column.labels is not None and _integral(value) else _label(value)
                conditions.append(f"{column.name}={label}")
                continue
            try:
                self.x0[j] = float(value)
            except (TypeError, ValueError):
                raise TypeError(f"instance value for feature {column.name!r} is {value!r}, not a number") from None
            if not np.isfinite(self.x0[j]):
                raise ValueError(f"instance value for feature {column.name!r} is {value!r}; LIME needs finite values")
            if self.discretize:
                edges = self.edges[j]
                b = int(np.searchsorted(edges, self.x0[j]))
                self.code0[j] = b
                conditions.append(self._bin_name(column.name, edges, b))
            else:
                conditions.append(f"{column.name} = {self.x0[j]:.2f}")
        self.display_data = np.array(conditions, dtype=object)
        numeric = all(not c.categorical for c in self.columns) and not self.table.is_frame
        self.data = self.x0.copy() if numeric else np.array(values, dtype=object)
        if self.discretize:
            self.z0 = np.ones(self.n_features)
        else:
            self.z0 = np.where(self.cat, 1.0, (self.x0 - self.mean) / self.scale)

    @staticmethod
    def _bin_name(name: str, edges: np.ndarray, b: int) -> str:
        if b == 0:
            return "%s <= %.2f" % (name, edges[0])  # noqa: UP031 - lime's exact formatting
        if b == len(edges):
            return "%s > %.2f" % (name, edges[-1])  # noqa: UP031
        return "%.2f < %s <= %.2f" % (edges[b - 1], name, edges[b])  # noqa: UP031

    # ---------------------------------------------------------------- sampling
    def sample(self, rng: np.random.Generator, n: int, first: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        d = self.n_features
        X = np.empty((n, d))
        Z = np.empty((n, d))
        drawn = self.cat | self.discretize  # features drawn as codes from training frequencies
        U = rng.random((n, d))
        for j in np.flatnonzero(drawn):
            idx = np.minimum(np.searchsorted(self.cumfreq[j], U[:, j], side="right"), len(self.values[j]) - 1)
            X[:, j] = self.values[j][idx]
            Z[:, j] = X[:, j] == self.code0[j]
        cont = np.flatnonzero(~self.cat)
        if len(cont) and self.discretize:
            cell = X[:, cont].astype(np.intp) + (cont * self.bin_lo.shape[1])  # flat index into the bin tables
            lo, hi = self.bin_lo.ravel()[cell], self.bin_hi.ravel()[cell]
            mu, sd = self.bin_mean.ravel()[cell], self.bin_std.ravel()[cell]
            a, b = (lo - mu) / sd, (hi - mu) / sd
            inside = a < b  # a bin holding one distinct value: that value
            X[:, cont] = np.where(inside, mu + sd * truncated_normal(rng, np.where(inside, a, -1.0),
                                                                     np.where(inside, b, 1.0)), lo)
        elif len(cont):
            noise = rng.standard_normal((n, len(cont)))
            centre = self.x0[cont] if self.around else self.mean[cont]
            X[:, cont] = noise * self.scale[cont] + centre
            Z[:, cont] = (X[:, cont] - self.mean[cont]) / self.scale[cont]
        if first:
            X[0], Z[0] = self.x0, self.z0
        distances = np.sqrt(((Z - self.z0) ** 2).sum(axis=1))
        return Z, distances, X

    def rows(self, X: np.ndarray) -> Any:
        """Encoded samples -> rows of the kind the model was given (array or DataFrame)."""
        if not self.table.is_frame:
            if not self.cat.any():
                return X
            out = X.copy() if self.table.rows.dtype.kind in "iufb" else X.astype(object)
            for c in np.flatnonzero(self.cat):
                out[:, c] = self.columns[c].categories[X[:, c].astype(np.intp)]  # type: ignore[index]
            return out
        import pandas as pd

        data = {}
        for j, column in enumerate(self.columns):
            if column.categorical:
                assert column.categories is not None
                values: Any = column.categories[X[:, j].astype(np.intp)]
                if isinstance(column.dtype, pd.CategoricalDtype):
                    values = pd.Categorical(values, dtype=column.dtype)
            else:
                values = np.rint(X[:, j]) if getattr(column.dtype, "kind", "f") in "iu" else X[:, j]
            if not isinstance(column.dtype, pd.CategoricalDtype) and column.dtype != object:
                is_numpy = isinstance(column.dtype, np.dtype)
                values = values.astype(column.dtype) if is_numpy else pd.array(values, dtype=column.dtype)
            data[j] = values
        frame = pd.DataFrame(data)
        frame.columns = self.table.rows.columns
        return frame

    def predict(self, predictor: adapters.Predictor, rows: Any) -> np.ndarray:
        return outputs_on(predictor, rows, f"{int(rows.shape[0])} perturbed rows")


def _integral(value: Any) -> bool:
    try:
        return float(value).is_integer()
    except (TypeError, ValueError):
        return False


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # incomparable values simply differ
        return False
