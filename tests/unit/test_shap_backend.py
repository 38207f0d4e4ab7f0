"""SHAP backend: same numbers as shap itself, streamed; fallbacks where shap fails; errors that name the problem."""

import time
import warnings

import numpy as np
import pandas as pd
import pytest
import shap
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_diabetes, make_classification
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ipyexplain.adapters import PredictError
from ipyexplain.backends import shap_
from ipyexplain.explanation import stats_of


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X, y


@pytest.fixture(scope="module")
def forest(diabetes):
    X, y = diabetes
    return RandomForestRegressor(n_estimators=20, random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def binary():
    X, y = make_classification(300, 6, n_informative=4, random_state=0)
    return X, y


def additivity(result):
    return result.base_values + result.values.sum(axis=1)


# ----------------------------------------------------------------------------- same values as shap
def test_tree_equals_shap_and_is_additive(diabetes):
    X, y = diabetes
    model = GradientBoostingRegressor(n_estimators=30, random_state=0).fit(X, y)
    direct = shap.TreeExplainer(model)(X)
    ours = shap_.compute(model, X, explainer="tree", batch_size=100)
    np.testing.assert_allclose(ours.values, direct.values, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.base_values, direct.base_values, rtol=1e-12)
    np.testing.assert_allclose(additivity(ours), model.predict(X), atol=1e-8)
    assert ours.output_names == ["output (prediction)"] and ours.feature_names == [f"x{j}" for j in range(10)]
    assert stats_of(ours).method == "shap:tree" and stats_of(ours).repeats == len(X) and not stats_of(ours).partial
    assert stats_of(shap_.compute(model, X)).method == "shap:tree"  # what "auto" picks


def test_linear_equals_shap_and_is_additive_in_log_odds(binary):
    X, y = binary
    model = LogisticRegression().fit(X, y)
    direct = shap.LinearExplainer(model, X[:50])(X)
    ours = shap_.compute(model, X, background=X[:50])
    assert stats_of(ours).method == "shap:linear" and ours.output_names == ["1 (log-odds)"]
    np.testing.assert_allclose(ours.values, direct.values, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours.base_values, direct.base_values, rtol=1e-12)
    np.testing.assert_allclose(additivity(ours), model.decision_function(X), atol=1e-10)
    class0 = shap_.compute(model, X, background=X[:50], output=0)  # the other class: the negated log-odds
    np.testing.assert_allclose(class0.values, -ours.values)
    assert class0.output_names == ["0 (log-odds)"]


def test_permutation_equals_shap_with_the_same_seed_whatever_runs_between_batches(diabetes):
    X, y = diabetes
    model = GradientBoostingRegressor(n_estimators=10, max_depth=2, random_state=0).fit(X, y)
    X, background = X[:12], X[100:130]
    direct = shap.PermutationExplainer(model.predict, background, seed=3)(X, max_evals=84, silent=True)
    parts = []
    for part in shap_.stream(model, X, explainer="permutation", background=background, seed=3, max_evals=84,
                             batch_size=5):
        parts.append(part)
        np.random.seed(99), np.random.rand(7)  # the user's own draws from the global RNG do not leak in
    assert [p.done for p in parts] == [5, 10, 12]
    np.testing.assert_allclose(parts[-1].result.values, direct.values, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(parts[-1].result.base_values, direct.base_values, rtol=1e-12)
    np.testing.assert_allclose(additivity(parts[-1].result), model.predict(X), atol=1e-8)  # exact for permutation


# ----------------------------------------------------------------------------- streaming
def test_stream_grows_and_its_last_partial_equals_compute(diabetes, forest):
    X, _ = diabetes
    parts = list(shap_.stream(forest, X))
    done = [p.done for p in parts]
    assert len(parts) >= 3 and done == sorted(done) and done[0] == 16 and done[-1] == len(X)
    assert all(p.total == len(X) for p in parts)
    final = shap_.compute(forest, X)
    for part in parts:
        e = part.result
        assert e.values.shape == (part.done, X.shape[1]) and e.base_values.shape == (part.done,)
        assert e.data.shape == (part.done, X.shape[1])
        np.testing.assert_array_equal(e.values, final.values[: part.done])  # earlier rows never change
        assert stats_of(e).repeats == part.done and stats_of(e).partial == (part.done < len(X))
    np.testing.assert_array_equal(parts[-1].result.values, final.values)


def test_cancel_through_the_job_leaves_a_partial_result(binary):
    X, y = binary
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)  # preprocessing: model-agnostic

    job = shap_.job(model, X, batch_size=2, max_evals=13)
    deadline = time.monotonic() + 20
    while job.progress.done < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    job.cancel()
    assert job.wait(20)
    assert job.status == "cancelled" and job.partial
    result = job.result
    assert 2 <= result.values.shape[0] < len(X) and stats_of(result).partial
    assert stats_of(result).method == "shap:permutation" and result.output_names == ["1 (probability)"]


# ----------------------------------------------------------------------------- what the user brings
def test_a_built_explainer_is_used_as_it_is(diabetes, binary):
    X, y = diabetes
    model = GradientBoostingRegressor(n_estimators=10, random_state=0).fit(X, y)
    built = shap.Explainer(model, X[:50])  # shap's own choice: interventional TreeExplainer
    ours = shap_.compute(model, X, explainer=built)
    np.testing.assert_allclose(ours.values, built(X).values, rtol=1e-12, atol=1e-12)
    assert stats_of(ours).method == "shap:tree"
    alone = shap_.compute(None, X, explainer=built, feature_names=[f"f{j}" for j in range(10)])  # model optional
    np.testing.assert_allclose(alone.values, ours.values)
    assert alone.feature_names[0] == "f0"

    Xb, yb = binary
    clf = RandomForestClassifier(n_estimators=5, random_state=0).fit(Xb, yb)
    tree = shap.TreeExplainer(clf)  # two outputs, one per class
    with pytest.raises(ValueError, match="output="):
        shap_.compute(None, Xb, explainer=tree)
    picked = shap_.compute(None, Xb, explainer=tree, output=1)
    np.testing.assert_allclose(additivity(picked), clf.predict_proba(Xb)[:, 1], atol=1e-6)
    assert picked.output_names == ["1 (probability)"]
    with_model = shap_.compute(clf, Xb, explainer=tree)  # with the model: its positive class by default
    np.testing.assert_array_equal(with_model.values, picked.values)


def test_a_precomputed_explanation_streams_as_one_partial(diabetes, forest):
    X, _ = diabetes
    mine = shap.TreeExplainer(forest)(X[:40])
    parts = list(shap_.stream(explanation=mine))
    assert len(parts) == 1 and parts[0].done == parts[0].total == 40
    assert parts[0].result.values is mine.values and stats_of(parts[0].result).method == "shap:precomputed"
    assert stats_of(mine) is None  # the user's object is not modified
    assert shap_.compute(mine).values is mine.values  # also as the first argument
    multi = shap.Explanation(np.ones((4, 3, 2)), base_values=np.zeros((4, 2)), output_names=["a", "b"])
    picked = shap_.compute(explanation=multi, output="b")
    assert picked.values.shape == (4, 3) and picked.output_names == ["b"]
    with pytest.raises(TypeError, match=r"shap\.Explanation"):
        shap_.compute(explanation=np.ones((3, 2)))
    with pytest.raises(TypeError, match="not both"):
        shap_.compute(forest, X, explanation=mine)


# ----------------------------------------------------------------------------- fallbacks
def test_random_forest_with_a_background_falls_back_with_a_warning(diabetes, forest):
    X, _ = diabetes
    # The failure, reproduced: shap's interventional TreeExplainer is wrong on bootstrapped deep trees.
    with pytest.raises(Exception, match="Additivity check failed"):
        shap.Explainer(forest, X[:100])(X[:50])
    with pytest.warns(shap_.ShapFallbackWarning, match="tree_path_dependent"):
        result = shap_.compute(forest, X, background=X[:100])
    assert stats_of(result).method == "shap:tree-path-dependent" and result.values.shape == X.shape
    np.testing.assert_allclose(additivity(result), forest.predict(X), atol=1e-6)
    with pytest.warns(shap_.ShapFallbackWarning):  # the user's own shap.Explainer falls back the same way
        built = shap_.compute(forest, X, explainer=shap.Explainer(forest, X[:100]))
    np.testing.assert_allclose(additivity(built), forest.predict(X), atol=1e-6)
    with pytest.raises(RuntimeError, match="Additivity"):
        shap_.compute(forest, X, background=X[:100], fallback=None)


def test_hist_gradient_boosting_with_a_background_falls_back_too(binary):
    X, y = binary
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    with pytest.warns(shap_.ShapFallbackWarning, match="HistGradientBoostingClassifier"):
        result = shap_.compute(model, X, background=X[:50])
    assert result.output_names == ["1 (log-odds)"]
    np.testing.assert_allclose(additivity(result), model.decision_function(X), atol=1e-6)


class _FailingTree(shap.TreeExplainer):
    def __call__(self, *args, **kwargs):
        raise shap.utils._exceptions.ExplainerError("Additivity check failed in TreeExplainer! (forced)")


def test_a_forced_tree_failure_falls_back_to_permutation(diabetes):
    X, y = diabetes
    model = GradientBoostingRegressor(n_estimators=10, max_depth=2, random_state=0).fit(X, y)
    X = X[:10]
    with pytest.warns(shap_.ShapFallbackWarning, match="Permutation"):
        parts = list(shap_.stream(model, X, explainer=_FailingTree(model), background=20, fallback="permutation",
                                  max_evals=21, batch_size=4))
    assert [p.done for p in parts] == [4, 8, 10]
    result = parts[-1].result
    assert stats_of(result).method == "shap:permutation"
    np.testing.assert_allclose(additivity(result), model.predict(X), atol=1e-8)


def test_auto_falls_back_to_model_agnostic_where_shap_has_no_tree_support():
    X, y = make_classification(120, 4, n_informative=3, n_redundant=0, n_classes=3, random_state=0)
    model = GradientBoostingClassifier(n_estimators=5, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"3 classes \[0, 1, 2\]"):
        shap_.compute(model, X)
    with pytest.warns(shap_.ShapFallbackWarning, match="binary"):
        result = shap_.compute(model, X[:5], output=2, max_evals=9, background=20)
    assert stats_of(result).method == "shap:permutation" and result.output_names == ["2 (probability)"]
    np.testing.assert_allclose(additivity(result), model.predict_proba(X[:5])[:, 2], atol=1e-8)


# ----------------------------------------------------------------------------- model kinds
def test_xgboost_and_lightgbm_classifiers(binary):
    xgboost = pytest.importorskip("xgboost")
    lightgbm = pytest.importorskip("lightgbm")
    X, y = binary
    xgb = xgboost.XGBClassifier(n_estimators=15, max_depth=3).fit(X, y)
    lgb = lightgbm.LGBMClassifier(n_estimators=15, verbose=-1).fit(X, y)
    for model, margin in ((xgb, xgb.predict(X, output_margin=True)), (lgb, lgb.predict(X, raw_score=True))):
        result = shap_.compute(model, X)
        assert result.output_names == ["1 (log-odds)"] and stats_of(result).method == "shap:tree"
        np.testing.assert_allclose(additivity(result), margin, atol=1e-4)
        proba = shap_.compute(model, X, model_output="probability", background=50)
        assert proba.output_names == ["1 (probability)"]
        np.testing.assert_allclose(additivity(proba), model.predict_proba(X)[:, 1], atol=1e-4)
    Xm, ym = make_classification(200, 5, n_informative=4, n_redundant=0, n_classes=3, random_state=1)
    multi = xgboost.XGBClassifier(n_estimators=10, max_depth=3).fit(Xm, ym)
    with pytest.raises(ValueError, match="output="):
        shap_.compute(multi, Xm)
    result = shap_.compute(multi, Xm, output=2)
    assert result.values.shape == Xm.shape and result.output_names == ["2 (logit)"]
    np.testing.assert_allclose(additivity(result), multi.predict(Xm, output_margin=True)[:, 2], atol=1e-4)


@pytest.mark.parametrize("name", ["deep", "gradient"])
def test_torch_mlp_with_deep_and_gradient(binary, name):
    torch = pytest.importorskip("torch")
    X, _ = binary
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    rows = torch.tensor(X[:60], dtype=torch.float32)
    with pytest.raises(ValueError, match=r"2 outputs \['output 0', 'output 1'\]"):
        shap_.compute(net, rows, explainer=name)
    result = shap_.compute(net, rows, explainer=name, output=1, background=40)
    assert result.values.shape == (60, 6) and stats_of(result).method == f"shap:{name}"
    assert net.training  # the module's mode is restored
    with torch.no_grad():
        out = net(rows)[:, 1].numpy()
    # Deep SHAP is additive by construction; expected gradients only in expectation.
    np.testing.assert_allclose(additivity(result), out, atol=1e-4 if name == "deep" else 0.5)
    if name == "gradient":
        assert np.corrcoef(additivity(result), out)[0, 1] > 0.9


def test_dataframe_with_strings_and_categories_through_a_pipeline():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"age": rng.integers(18, 80, 120), "city": rng.choice(["a", "b", "c"], 120),
                       "kind": pd.Categorical(rng.choice(["x", "y"], 120)), "v": rng.normal(size=120)})
    y = (df.age > 40) ^ (df.city == "a")
    seen = []

    def check(frame):
        seen.append(frame)
        return frame

    from sklearn.preprocessing import FunctionTransformer

    model = make_pipeline(FunctionTransformer(check),
                          make_column_transformer((OneHotEncoder(), ["city", "kind"]), remainder=StandardScaler()),
                          LogisticRegression()).fit(df, y)
    seen.clear()
    result = shap_.compute(model, df.iloc[:6], max_evals=9, background=20)
    assert stats_of(result).method == "shap:permutation" and result.output_names == ["True (probability)"]
    assert result.feature_names == ["age", "city", "kind", "v"]
    assert list(result.display_data[0]) == list(df.iloc[0]) and result.data.dtype == np.float64
    np.testing.assert_allclose(additivity(result), model.predict_proba(df.iloc[:6])[:, 1], atol=1e-8)
    assert all(isinstance(f, pd.DataFrame) for f in seen)  # the pipeline was given frames, with their dtypes
    assert all(f["kind"].dtype == df["kind"].dtype and f["age"].dtype == df["age"].dtype for f in seen)


def test_auto_choices():
    X, y = make_classification(80, 70, n_informative=5, random_state=0)
    ridge = Ridge().fit(X, y)
    assert stats_of(shap_.compute(ridge, X[:3])).method == "shap:linear"
    wide = shap_.compute(ridge.predict, X[:2], max_evals=200, background=10)  # a callable, many features
    assert stats_of(wide).method == "shap:partition"
    np.testing.assert_allclose(additivity(wide), ridge.predict(X[:2]), atol=1e-8)
    passthrough = make_pipeline("passthrough", GradientBoostingRegressor(n_estimators=5).fit(X[:, :5], y))
    assert stats_of(shap_.compute(passthrough, X[:5, :5])).method == "shap:tree"  # nothing transforms X


def test_kernel_and_a_shap_masker_as_background(diabetes):
    X, y = diabetes
    model = GradientBoostingRegressor(n_estimators=10, max_depth=2, random_state=0).fit(X, y)
    kernel = shap_.compute(model, X[:4], explainer="kernel", background=20, max_evals=300)
    assert stats_of(kernel).method == "shap:kernel" and kernel.values.shape == (4, 10)
    np.testing.assert_allclose(additivity(kernel), model.predict(X[:4]), atol=1e-6)
    masked = shap_.compute(model, X[:4], explainer="permutation", background=shap.maskers.Independent(X[:30]),
                           max_evals=42)
    np.testing.assert_allclose(additivity(masked), model.predict(X[:4]), atol=1e-8)


# ----------------------------------------------------------------------------- errors
def test_errors_name_the_problem(diabetes, forest, binary):
    X, y = diabetes
    with pytest.raises(ValueError, match="unknown explainer 'trees'; valid: auto, tree, linear, permutation"):
        shap_.compute(forest, X, explainer="trees")
    with pytest.raises(ValueError, match="feature_names has 3 names but X has 10 columns"):
        shap_.compute(forest, X, feature_names=["a", "b", "c"])
    with pytest.raises(ValueError, match="X is empty"):
        shap_.compute(forest, X[:0])
    with pytest.raises(TypeError, match="explainer='tree' does not fit a LogisticRegression"):
        shap_.compute(LogisticRegression().fit(*binary), binary[0], explainer="tree")
    with pytest.raises(TypeError, match=r"explainer='deep' explains a torch\.nn\.Module"):
        shap_.compute(forest, X, explainer="deep")
    scaled = make_pipeline(StandardScaler(), GradientBoostingRegressor(n_estimators=5)).fit(X, y)
    with pytest.raises(TypeError, match="Pipeline transforms X first"):
        shap_.compute(scaled, X, explainer="tree")
    with pytest.raises(ValueError, match="background has 3 columns but X has 10"):
        shap_.compute(forest, X, background=X[:, :3])
    with pytest.raises(ValueError, match="fallback must be one of"):
        shap_.compute(forest, X, fallback="maybe")
    with pytest.raises(TypeError, match="explainer must be one of"):
        shap_.compute(forest, X, explainer=42)
    with pytest.raises(ValueError, match="model_output= is an option of TreeExplainer"):
        shap_.compute(forest, X, explainer="permutation", model_output="probability")
    holes = X.copy()
    holes[5, 2] = np.nan
    boosted = GradientBoostingRegressor(n_estimators=5).fit(X, y)  # takes no NaN
    with pytest.raises(PredictError, match="X has NaN in x2"):
        shap_.job(boosted, holes)  # at the call, before the job starts
    with pytest.raises(ValueError, match="output 'z' is not one of the model's outputs"):
        shap_.compute(LogisticRegression().fit(*binary), binary[0], output="z")


def test_warnings_point_at_the_caller(diabetes, forest):
    X, _ = diabetes
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        shap_.compute(forest, X, background=X[:100])
    fallback = [w for w in caught if issubclass(w.category, shap_.ShapFallbackWarning)]
    assert fallback and fallback[0].filename == __file__
