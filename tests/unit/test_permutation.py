"""Permutation importance: scikit-learn's numbers, streamed, with intervals, groups and early stop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_breast_cancer, load_iris, make_regression
from sklearn.ensemble import GradientBoostingClassifier, RandomForestRegressor
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import make_scorer, mean_absolute_error
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from ipyexplain.adapters import PredictError
from ipyexplain.backends import permutation
from ipyexplain.explanation import stats_of


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(400, 6, n_informative=4, noise=3.0, random_state=0)
    return X, y


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return X[:, :8], y


def assert_same_as_sklearn(model, X, y, **kw):
    ref = permutation_importance(model, X, y, **kw)
    ours = permutation.compute(model, X, y, **kw)
    np.testing.assert_allclose(ours.values, ref.importances_mean, rtol=1e-12, atol=1e-12)
    return ours, ref


MAE = make_scorer(mean_absolute_error, greater_is_better=False)


@pytest.mark.parametrize("scoring", [None, "neg_mean_squared_error", MAE])
def test_regressor_means_equal_sklearn(regression, scoring):
    X, y = regression
    assert_same_as_sklearn(Ridge().fit(X, y), X, y, scoring=scoring, n_repeats=4, random_state=3)


@pytest.mark.parametrize("scoring", ["roc_auc", "neg_log_loss", "accuracy", "average_precision"])
def test_binary_classifier_means_equal_sklearn(cancer, scoring):
    X, y = cancer
    model = GradientBoostingClassifier(n_estimators=15, random_state=0).fit(X, y)
    assert_same_as_sklearn(model, X, y, scoring=scoring, n_repeats=3, random_state=1)


def test_multiclass_forest_xgboost_lightgbm_equal_sklearn():
    import lightgbm
    import xgboost

    X, y = load_iris(return_X_y=True)
    for model in (LogisticRegression(max_iter=1000), xgboost.XGBClassifier(n_estimators=10),
                  lightgbm.LGBMClassifier(n_estimators=10, verbose=-1)):
        model.fit(X, y)
        assert_same_as_sklearn(model, X, y, n_repeats=3, random_state=0)
        assert_same_as_sklearn(model, X, y, scoring="neg_log_loss", n_repeats=2, random_state=5)
    Xr, yr = make_regression(300, 5, random_state=1)
    assert_same_as_sklearn(RandomForestRegressor(20, random_state=0).fit(Xr, yr), Xr, yr, n_repeats=3, random_state=2)


def test_pipeline_on_a_frame_with_a_string_column_keeps_names_and_equals_sklearn():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"size": rng.normal(size=300), "colour": rng.choice(["red", "green", "blue"], 300),
                          "noise": rng.normal(size=300)})
    y = 3 * frame["size"] + (frame["colour"] == "red") * 2.0 + rng.normal(scale=0.1, size=300)
    pipe = make_pipeline(make_column_transformer((OneHotEncoder(), ["colour"]), remainder="passthrough"), Ridge())
    pipe.fit(frame, y)
    ours, _ = assert_same_as_sklearn(pipe, frame, y, n_repeats=3, random_state=0)
    assert ours.feature_names == ["size", "colour", "noise"]
    assert ours.values[0] > ours.values[1] > abs(ours.values[2])


def test_sample_weight_and_callable_scorer_reading_x(regression):
    X, y = regression
    model = Ridge().fit(X, y)
    weights = np.linspace(0.5, 2.0, len(y))
    assert_same_as_sklearn(model, X, y, n_repeats=3, random_state=0, sample_weight=weights)

    def scorer_needing_real_x(estimator, X_, y_):  # reads X's columns: must get the real rows
        return -float(np.mean(np.abs(estimator.predict(X_) - y_))) + 0 * float(X_[:, 0].sum())

    assert_same_as_sklearn(model, X, y, scoring=scorer_needing_real_x, n_repeats=2, random_state=0)


def test_stream_sharpens_per_chunk_and_ends_at_the_final_result(regression):
    X, y = regression
    model = Ridge().fit(X, y)
    parts = list(permutation.stream(model, X, y, n_repeats=5, random_state=0))
    done = [p.done for p in parts]
    assert done == sorted(done) and done[-1] == parts[-1].total == 5 * 6
    assert np.isnan(parts[0].result.values).sum() == 5  # first chunk: one feature computed, the rest pending
    assert all(stats_of(p.result).partial for p in parts[:-1]) and not stats_of(parts[-1].result).partial
    final = permutation.compute(model, X, y, n_repeats=5, random_state=0)
    np.testing.assert_array_equal(parts[-1].result.values, final.values)
    # the interval is a t interval over the repeats and narrows as repeats accumulate
    widths = [np.nanmax(p.result.upper_bounds - p.result.lower_bounds) for p in parts if p.done % 6 == 0][1:]
    assert widths[-1] < widths[0]
    assert final.output_names == "decrease in r2" and final.base_values == pytest.approx(model.score(X, y))


def test_early_stop_when_every_interval_is_narrow(regression):
    X, y = regression
    model = Ridge().fit(X, y)
    result = permutation.compute(model, X, y, n_repeats=50, random_state=0, tol=0.05, min_repeats=3)
    stats = stats_of(result)
    assert 3 <= stats.repeats < 50 and not stats.partial
    assert np.all(result.upper_bounds - result.values < 0.05)


def test_feature_groups_permute_columns_together():
    rng = np.random.default_rng(1)
    a = rng.normal(size=500)
    X = np.column_stack([a, a + rng.normal(scale=0.01, size=500), rng.normal(size=500)])  # two copies of one signal
    y = X[:, 0] + X[:, 1]
    model = Ridge(alpha=1e-6).fit(X, y)
    single = permutation.compute(model, X, y, n_repeats=3, random_state=0)
    grouped = permutation.compute(model, X, y, n_repeats=3, random_state=0, groups={"signal": [0, 1]})
    assert grouped.feature_names == ["signal", "x2"]
    assert grouped.values[0] > single.values[0] + single.values[1]  # together they matter more than apart
    with pytest.raises(ValueError, match="in two groups"):
        permutation.compute(model, X, y, groups={"g1": [0], "g2": [0, 2]})
    with pytest.raises(ValueError, match="no column 'nope'"):
        permutation.compute(model, X, y, groups={"g": ["nope"]})


def test_max_samples_draws_the_same_rows_as_sklearn(cancer):
    X, y = cancer
    model = LogisticRegression(max_iter=3000).fit(X, y)
    ref = permutation_importance(model, X, y, n_repeats=3, random_state=4, max_samples=0.5)
    ours = permutation.compute(model, X, y, n_repeats=3, random_state=4, max_samples=0.5)
    # Our baseline is scored on the same subsample as the permuted copies; scikit-learn's on all of X.
    shift = model.score(X, y) - ours.base_values
    np.testing.assert_allclose(ours.values, ref.importances_mean - shift, atol=1e-12)


def test_torch_module_and_plain_callable():
    torch = pytest.importorskip("torch")
    X, y = make_regression(300, 4, random_state=0)
    coef = np.array([3.0, 0.0, 1.0, -2.0])
    y = X @ coef
    net = torch.nn.Linear(4, 1)
    with torch.no_grad():
        net.weight.copy_(torch.tensor(coef[None, :], dtype=torch.float32))
        net.bias.zero_()
    by_torch = permutation.compute(net, torch.tensor(X, dtype=torch.float32), y, n_repeats=3, random_state=0)
    by_callable = permutation.compute(lambda rows: rows @ coef, X, y, n_repeats=3, random_state=0)
    np.testing.assert_allclose(by_torch.values, by_callable.values, atol=1e-4)
    assert np.argsort(-by_callable.values)[:2].tolist() == [0, 3] and abs(by_callable.values[1]) < 1e-12


def test_cancel_leaves_a_partial_result(regression):
    X, y = regression
    slow_calls = []

    def slow(rows):
        slow_calls.append(len(rows))
        import time

        time.sleep(0.02)
        return rows @ np.ones(6)

    job = permutation.job(slow, X, y, n_repeats=200, random_state=0)
    while job.progress.done < 3:
        job.wait(0.01)
    job.cancel()
    assert job.wait(10)
    assert job.status == "cancelled" and job.partial
    assert stats_of(job.result).partial and job.progress.done < job.progress.total


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m, X, y: permutation.compute(m, X, y[:-1]), "y has 399 entries but X has 400 rows"),
        (lambda m, X, y: permutation.compute(m, X, y, feature_names=["a"]), "feature_names has 1 names"),
        (lambda m, X, y: permutation.compute(m, X[:0], y[:0]), "X is empty"),
        (lambda m, X, y: permutation.compute(m, X, y, scoring="accuracyy"), "unknown scoring 'accuracyy'"),
        (lambda m, X, y: permutation.compute(m, X, y, n_repeats=0), "n_repeats must be at least 1"),
        (lambda m, X, y: permutation.compute(object(), X, y), "cannot explain a builtins.object"),
    ],
)
def test_bad_input_names_the_problem(regression, call, message):
    X, y = regression
    with pytest.raises((ValueError, TypeError), match=message):
        call(Ridge().fit(X, y), X, y)


def test_nan_and_a_failing_model_give_a_predict_error(regression):
    X, y = regression
    Xn = X.copy()
    Xn[3, 2] = np.nan
    with pytest.raises(PredictError, match="X has NaN in x2"):
        permutation.compute(Ridge().fit(X, y), Xn, y)

    def broken(rows):
        raise RuntimeError("the service is down")

    with pytest.raises(PredictError, match="the service is down"):
        permutation.compute(broken, X, y)
