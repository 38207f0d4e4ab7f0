"""LIME backend: against known linear models, against the `lime` package, streaming, text, images, errors."""

import re
import threading
import time

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from lime.lime_base import LimeBase
from lime.lime_tabular import LimeTabularExplainer
from lime.lime_text import LimeTextExplainer
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_breast_cancer, load_iris, make_friedman1
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from ipyexplain.backends import _lime_core, _lime_image, _lime_tabular
from ipyexplain.backends import lime as L
from ipyexplain.explanation import stats_of

COEF = np.array([3.0, -2.0, 1.0, -0.5, 0.25])
STD = np.array([1.0, 2.0, 0.5, 3.0, 1.5])


@pytest.fixture(scope="module")
def linear():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 5)) * STD + 10
    return X, LinearRegression().fit(X, X @ COEF)


@pytest.fixture(scope="module")
def cancer():
    data = load_breast_cancer()
    model = RandomForestClassifier(n_estimators=50, random_state=0).fit(data.data, data.target)
    return data.data, list(data.feature_names), model


def top(values, k):
    return set(np.argsort(-np.abs(values), kind="stable")[:k].tolist())


def ranks(values):
    return scipy.stats.rankdata(-np.abs(values))


# ------------------------------------------------------------------------------ the surrogate itself
def test_surrogate_from_moments_equals_sklearn_ridge_and_lime_selection():
    rng = np.random.default_rng(1)
    Z = rng.normal(size=(3000, 8))
    y = Z @ rng.normal(size=8) + 0.5 * np.sin(3 * Z[:, 0]) + rng.normal(scale=0.1, size=3000)
    w = rng.random(3000)
    moments = _lime_core.WeightedMoments(8)
    for part in np.array_split(np.arange(3000), 7):  # streamed in uneven batches
        moments.add(Z[part], y[part], w[part])
    fit = _lime_core.fit_surrogate(moments, Z[0], None, "none", 1.0)
    ridge = Ridge(alpha=1.0).fit(Z, y, sample_weight=w)
    np.testing.assert_allclose(fit.coef, ridge.coef_, rtol=1e-8, atol=1e-10)
    assert fit.intercept == pytest.approx(ridge.intercept_, rel=1e-8)
    assert fit.score == pytest.approx(ridge.score(Z, y, sample_weight=w), rel=1e-8)

    base = LimeBase(kernel_fn=None, random_state=0)
    for k in (3, 6):
        forward = _lime_core.fit_surrogate(moments, Z[0], k, "auto", 1.0).selected
        assert list(forward) == list(base.feature_selection(Z, y, w, k, "forward_selection"))
    highest = _lime_core.fit_surrogate(moments, Z[0], 7, "auto", 1.0).selected
    assert list(highest) == list(base.feature_selection(Z, y, w, 7, "highest_weights"))


def test_truncated_normal_matches_scipy():
    rng = np.random.default_rng(2)
    for lo, hi in [(-1.0, 1.0), (0.5, 3.0), (4.0, 6.0), (-9.0, -8.0)]:
        x = _lime_tabular.truncated_normal(rng, np.full(50_000, lo), np.full(50_000, hi))
        ref = scipy.stats.truncnorm(lo, hi)
        assert lo <= x.min() and x.max() <= hi
        assert x.mean() == pytest.approx(ref.mean(), abs=0.01)
        assert x.std() == pytest.approx(ref.std(), rel=0.03)


# ------------------------------------------------------------------------------ tabular: known models
def test_linear_model_without_discretisation_gives_coef_times_std(linear):
    X, model = linear
    result = L.compute(model, X, X[3], discretize_continuous=False, random_state=0)
    np.testing.assert_allclose(result.values, COEF * X.std(axis=0), rtol=0.01)
    assert L.details_of(result).score == pytest.approx(1.0, abs=1e-6)
    assert stats_of(result).score == L.details_of(result).score
    assert result.output_names == ["output"]
    assert list(result.feature_names) == [f"x{j}" for j in range(5)]
    np.testing.assert_array_equal(result.data, X[3])


def test_linear_model_with_discretisation_gets_signs_and_ranking(linear):
    X, model = linear
    high = np.percentile(X, 90, axis=0)  # every feature in its top quartile
    result = L.compute(model, X, high, random_state=0)
    assert np.array_equal(np.sign(result.values), np.sign(COEF))
    np.testing.assert_array_equal(ranks(result.values), ranks(COEF * STD))
    assert all(" > " in cond for cond in result.display_data)
    low = L.compute(model, X, np.percentile(X, 10, axis=0), random_state=0)
    assert np.array_equal(np.sign(low.values), -np.sign(COEF))  # "in the bottom quartile" lowers the output
    assert all(" <= " in cond for cond in low.display_data)


def test_logistic_regression_signs_and_ranking():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(2000, 5)) * STD
    y = (X @ (COEF / STD / 2) + rng.logistic(size=2000) > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    result = L.compute(model, X, X[7], discretize_continuous=False, random_state=0)
    assert result.output_names == ["1"]  # binary: the positive class
    fitted = model.coef_[0] * X.std(axis=0)
    assert np.array_equal(np.sign(result.values), np.sign(fitted))
    np.testing.assert_array_equal(ranks(result.values), ranks(fitted))


# ------------------------------------------------------------------------------ tabular: vs the lime package
def test_random_forest_top5_and_conditions_agree_with_lime(cancer):
    X, names, model = cancer
    explainer = LimeTabularExplainer(X, feature_names=names, class_names=["0", "1"], random_state=0)
    for i in (0, 5, 100):
        theirs = explainer.explain_instance(X[i], model.predict_proba, num_features=10, num_samples=5000)
        ours = L.compute(model, X, X[i], feature_names=names, num_samples=5000, random_state=0)
        their_map = theirs.as_map()[1]
        assert len(top(ours.values, 5) & {j for j, _ in their_map[:5]}) >= 4
        for (j, _), (condition, _) in zip(their_map, theirs.as_list(label=1), strict=True):
            assert ours.display_data[j] == condition  # the same quartile conditions, character for character
        assert np.count_nonzero(ours.values) == 10  # num_features=10 of 30, as lime
        assert abs(L.details_of(ours).score - theirs.score) < 0.1


def test_gradient_boosting_regressor_top5_agrees_with_lime():
    X, y = make_friedman1(600, n_features=10, random_state=0)
    model = GradientBoostingRegressor(random_state=0).fit(X, y)
    explainer = LimeTabularExplainer(X, mode="regression", random_state=1)
    for i in (0, 1, 5):
        theirs = explainer.explain_instance(X[i], model.predict, num_features=10, num_samples=5000)
        ours = L.compute(model, X, X[i], random_state=1)
        assert len(top(ours.values, 5) & {j for j, _ in theirs.as_map()[1][:5]}) >= 4


def test_multiclass_explains_the_predicted_class_like_lime():
    iris = load_iris()
    X, names = iris.data, list(iris.feature_names)
    model = LogisticRegression(max_iter=1000).fit(X, iris.target)
    explainer = LimeTabularExplainer(X, feature_names=names, random_state=0)
    for i in (0, 60, 120):
        predicted = int(model.predict(X[i : i + 1])[0])
        ours = L.compute(model, X, X[i], feature_names=names, random_state=0)
        assert ours.output_names == [str(predicted)]
        theirs = explainer.explain_instance(X[i], model.predict_proba, labels=(predicted,), num_features=4)
        assert [c for c, _ in theirs.as_list(label=predicted)[:2]] == [ours.display_data[j] for j in
                                                                        np.argsort(-np.abs(ours.values))[:2]]
    chosen = L.compute(model, X, X[0], output=2, random_state=0)
    assert chosen.output_names == ["2"] and L.details_of(chosen).output_index == 2


def test_categorical_features_by_index_named_like_lime():
    rng = np.random.default_rng(4)
    X = np.column_stack([rng.normal(size=500), rng.integers(0, 3, 500), rng.normal(size=500)])
    model = LinearRegression().fit(X, X[:, 0] + 2 * (X[:, 1] == 2))
    explainer = LimeTabularExplainer(X, mode="regression", feature_names=["a", "kind", "c"], categorical_features=[1],
                                     categorical_names={1: ["low", "mid", "high"]}, random_state=0)
    row = np.array([0.3, 2.0, -0.1])
    theirs = explainer.explain_instance(row, model.predict, num_features=3)
    ours = L.compute(model, X, row, feature_names=["a", "kind", "c"], categorical_features=["kind"],
                     categorical_names={1: ["low", "mid", "high"]}, random_state=0)
    assert sorted(ours.display_data) == sorted(c for c, _ in theirs.as_list())
    assert "kind=high" in list(ours.display_data)
    assert np.argmax(np.abs(ours.values)) == 1


def test_dataframe_with_string_and_category_columns_through_a_pipeline():
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({
        "age": rng.integers(18, 80, 600),
        "colour": pd.Categorical(rng.choice(["red", "green", "blue"], 600)),
        "city": rng.choice(["Oslo", "Lima", "Pune"], 600).astype(object),
        "noise": rng.normal(size=600),
    })
    y = ((frame["colour"] == "red") & (frame["city"] != "Lima")).astype(int)
    encode = make_column_transformer((OneHotEncoder(), ["colour", "city"]), remainder="passthrough")
    model = make_pipeline(encode, RandomForestClassifier(n_estimators=30, random_state=0)).fit(frame, y)
    seen = []
    original_predict = model.predict_proba

    def spy(rows):
        seen.append(rows)
        return original_predict(rows)

    model.predict_proba = spy
    row = frame[(frame["colour"] == "red") & (frame["city"] == "Oslo")].iloc[0]
    result = L.compute(model, frame, row, random_state=0)
    assert all(isinstance(r, pd.DataFrame) and list(r.columns) == list(frame.columns) for r in seen)
    assert all((r.dtypes == frame.dtypes).all() for r in seen)
    assert set(seen[0]["colour"].unique()) <= {"red", "green", "blue"}
    assert "colour=red" in list(result.display_data) and "city=Oslo" in list(result.display_data)
    assert top(result.values, 2) == {1, 2}
    assert list(result.data[:3]) == [row["age"], "red", "Oslo"]


def test_object_rows_series_by_name_and_unscaled_categoricals():
    rng = np.random.default_rng(6)
    X = np.empty((300, 3), dtype=object)
    X[:, 0], X[:, 1], X[:, 2] = rng.normal(size=300), rng.choice(["a", "b"], 300), rng.normal(size=300)

    def model(rows):
        assert rows.dtype == object
        return rows[:, 0].astype(float) + 2 * (rows[:, 1] == "a")

    result = L.compute(model, X, X[0], feature_names=["u", "kind", "v"], discretize_continuous=False, random_state=0)
    assert result.display_data[1] == f"kind={X[0, 1]}" and result.display_data[0] == f"u = {X[0, 0]:.2f}"
    assert result.values[1] == pytest.approx(2.0 if X[0, 1] == "a" else -2.0, rel=0.05)
    frame = pd.DataFrame({"a": rng.normal(size=100), "b": rng.normal(size=100)})
    by_name = L.compute(lambda f: 2 * f["a"].to_numpy(), frame, frame.iloc[0][["b", "a"]], random_state=0)
    assert by_name.data[0] == frame["a"][0] and " a " in f" {by_name.display_data[0]} "  # reordered by name
    assert int(np.argmax(np.abs(by_name.values))) == 0


# ------------------------------------------------------------------------------ streaming
def test_stream_yields_growing_partials_ending_at_the_compute_result(cancer):
    X, _, model = cancer
    parts = list(L.stream(model, X, X[1], num_samples=2000, batch_size=400, batch_seconds=None, random_state=7))
    assert [p.done for p in parts] == [400, 800, 1200, 1600, 2000]
    assert all(p.total == 2000 for p in parts)
    assert [stats_of(p.result).partial for p in parts] == [True] * 4 + [False]
    assert [stats_of(p.result).repeats for p in parts] == [400, 800, 1200, 1600, 2000]
    calls = []

    def counted(rows):
        calls.append(len(rows))
        return model.predict_proba(rows)

    final = L.compute(counted, X, X[1], num_samples=2000, batch_size=400, random_state=7)  # chunks grouped by time
    assert calls[0] == 400 and len(calls) < 5 and sum(calls) == 2000  # a fast model: fewer, larger calls
    np.testing.assert_allclose(parts[-1].result.values, final.values, rtol=1e-9, atol=1e-12)
    assert parts[-1].result.base_values == pytest.approx(final.base_values, rel=1e-9)
    different = L.compute(model, X, X[1], num_samples=2000, batch_size=400, random_state=8)
    assert not np.allclose(different.values, final.values)


def test_cancelled_job_stops_between_batches_with_a_partial_result(linear):
    X, model = linear
    started = threading.Event()

    def slow(rows):
        started.set()
        time.sleep(0.05)
        return model.predict(rows)

    job = L.job(slow, X, X[0], num_samples=5000, batch_size=100, batch_seconds=None, random_state=0)
    assert started.wait(5)
    while job.progress.done == 0:
        time.sleep(0.01)
    job.cancel()
    assert job.wait(5)
    assert job.status == "cancelled"
    stats = stats_of(job.result)
    assert stats.partial and stats.repeats < 5000 and stats.repeats == job.progress.done
    assert job.result.values.shape == (5,)


# ------------------------------------------------------------------------------ text
@pytest.fixture(scope="module")
def sentiment():
    rng = np.random.default_rng(0)
    filler = ["the", "a", "movie", "film", "plot", "actor", "scene", "story", "long", "short"]
    docs, labels = [], []
    for i in range(400):
        words = list(rng.choice(filler, 8))
        words.insert(int(rng.integers(0, 8)), "excellent" if i % 2 else "awful")
        docs.append(" ".join(words))
        labels.append(i % 2)
    return make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(docs, labels)


def test_text_driving_word_gets_the_top_weight_and_agrees_with_lime(sentiment):
    text = "the plot was excellent, but the actor was long"
    ours = L.compute(sentiment, None, text, random_state=0)
    assert ours.feature_names == ["the", "plot", "was", "excellent", "but", "actor", "long"]
    assert ours.feature_names[int(np.argmax(np.abs(ours.values)))] == "excellent"
    assert ours.values[3] > 0 and ours.output_names == ["1"]
    assert L.details_of(ours).positions[0] == (0, 28)  # "the" twice
    theirs = LimeTextExplainer(random_state=0).explain_instance(text, sentiment.predict_proba, num_features=10)
    their_top = [w for w, _ in theirs.as_list()[:3]]
    assert their_top[0] == "excellent"
    assert len({ours.feature_names[j] for j in top(ours.values, 3)} & set(their_top)) >= 2
    negative = L.compute(sentiment, None, "an awful film", random_state=0)
    assert negative.feature_names[int(np.argmax(np.abs(negative.values)))] == "awful"
    assert negative.values[negative.feature_names.index("awful")] < 0


def test_text_tokens_stay_plain_strings_and_the_model_gets_token_lists():
    seen = []

    def model(batch):
        seen.append(batch)
        return np.array([[1.0 - ("<img>" in doc), float("<img>" in doc)] for doc in batch])

    tokens = ["<img>", "src=x", "onerror=alert(1)>", "hello"]
    result = L.compute(model, None, tokens, num_samples=300, random_state=0, output_names=["clean", "html"])
    assert result.feature_names == tokens
    assert all(isinstance(doc, list) for doc in seen[0]) and seen[0][0] == tokens
    assert result.output_names == ["html"]
    assert int(np.argmax(result.values)) == 0 and result.values[0] > 0.9
    split = L.compute(model, None, "<img> hello <img>", split_expression=r"\s+", num_samples=200, random_state=0)
    assert split.feature_names == ["<img>", "hello"]


def test_text_callable_tokenizer_and_bow_false():
    seen = []

    def model(batch):
        seen.extend(batch)
        return np.array([[doc.count("spam") / 2] for doc in batch])

    result = L.compute(model, None, "spam, eggs; spam!", split_expression=lambda s: re.findall(r"\w+", s),
                       bow=False, num_samples=200, random_state=0)
    assert result.feature_names == ["spam", "eggs", "spam"]
    assert "UNKWORDZ, eggs; spam!" in seen
    assert abs(result.values[1]) < 0.1 and result.values[0] > 0.4 and result.values[2] > 0.4  # ridge shrinks a little


# ------------------------------------------------------------------------------ images
def block_image(size=48):
    rng = np.random.default_rng(0)
    image = np.zeros((size, size, 3))
    q = size // 4
    for i in range(4):
        for j in range(4):
            image[i * q : (i + 1) * q, j * q : (j + 1) * q] = rng.random(3)
    return image + rng.normal(scale=0.01, size=image.shape)


def region_brightness(batch):
    return batch[:, :24, :24].mean(axis=(1, 2, 3))  # the top-left quarter


def test_image_superpixels_in_the_bright_region_get_the_top_weights():
    image = block_image()
    result = L.compute(region_brightness, None, image, hide_color=0, random_state=0)
    segments = L.details_of(result).segments
    assert segments.shape == (48, 48) and result.display_data is segments
    assert len(result.values) == segments.max() + 1 >= 8  # SLIC found the blocks
    share = [(segments[:24, :24] == s).sum() / (segments == s).sum() for s in range(len(result.values))]
    inside = np.array(share) > 0.5
    assert result.values[inside].min() > np.abs(result.values[~inside]).max()
    pixels = L.pixel_values(result)
    assert pixels[:24, :24].mean() > 10 * np.abs(pixels[24:, 24:]).mean()


def test_image_grid_fallback_without_scikit_image(monkeypatch):
    monkeypatch.setattr(_lime_image, "slic_available", lambda: False)
    image = block_image()
    result = L.compute(region_brightness, None, image, n_segments=16, hide_color=0, random_state=0)
    segments = L.details_of(result).segments
    np.testing.assert_array_equal(segments, _lime_image.grid_segments(48, 48, 16))
    assert top(result.values, 4) == {0, 1, 4, 5}  # the top-left 2 x 2 cells of the 4 x 4 grid
    gray = L.compute(lambda b: b[:, :24, :24].mean(axis=(1, 2)), None, image.mean(axis=-1), n_segments=16,
                     hide_color=0, random_state=0)
    assert top(gray.values, 4) == {0, 1, 4, 5} and gray.data.shape == (48, 48)
    with pytest.raises(ImportError, match="scikit-image"):
        L.stream(region_brightness, None, image, segmentation="slic")


def test_image_channels_first_torch_module():
    torch = pytest.importorskip("torch")

    class Region(torch.nn.Module):
        def forward(self, x):  # (N, C, H, W)
            return x[:, :, :24, :24].mean(dim=(1, 2, 3))[:, None]

    image = block_image()
    chw = L.compute(Region(), None, np.moveaxis(image, -1, 0).astype(np.float32), layout="CHW",
                    segmentation="grid", n_segments=16, hide_color=0, random_state=0)
    hwc = L.compute(region_brightness, None, image.astype(np.float32), segmentation="grid", n_segments=16,
                    hide_color=0, random_state=0)
    np.testing.assert_allclose(chw.values, hwc.values, rtol=1e-4, atol=1e-6)
    assert chw.data.shape == (48, 48, 3)


# ------------------------------------------------------------------------------ errors
def test_bad_input_is_named(linear):
    X, model = linear
    with pytest.raises(ValueError, match="instance has 3 values but X has 5 features"):
        L.stream(model, X, X[0, :3])
    with pytest.raises(ValueError, match=r"instance has NaN .* in x2"):
        L.stream(model, X, np.array([1.0, 2.0, np.nan, 4.0, 5.0]))
    with pytest.raises(ValueError, match="X is empty"):
        L.stream(model, np.empty((0, 5)), X[0])
    with pytest.raises(TypeError, match="needs the training data X"):
        L.stream(model, None, X[0])
    with pytest.raises(ValueError, match=r"image instance must be \(H, W\) or \(H, W, C\); got shape \(2, 8, 8, 3\)"):
        L.stream(region_brightness, None, np.zeros((2, 8, 8, 3)))
    with pytest.raises(ValueError, match="empty text"):
        L.stream(lambda t: np.zeros(len(t)), None, "   ")
    with pytest.raises(ValueError, match="no words"):
        L.stream(lambda t: np.zeros(len(t)), None, "?! ...")
    with pytest.raises(TypeError, match=r"unknown option.*: hide_colour; valid: .*hide_color"):
        L.stream(region_brightness, None, np.zeros((8, 8)), hide_colour=0)
    with pytest.raises(ValueError, match="num_samples must be a positive integer"):
        L.stream(model, X, X[0], num_samples=0)
    with pytest.raises(ValueError, match="discretizer must be one of"):
        L.stream(model, X, X[0], discretizer="entropy")
    with pytest.raises(ValueError, match="output 'cat' is not one of the model's outputs"):
        L.compute(LogisticRegression().fit(X, X[:, 0] > 10), X, X[0], output="cat", num_samples=10)
    with pytest.raises(ValueError, match="no superpixel map"):
        L.pixel_values(L.compute(model, X, X[0], num_samples=50))
