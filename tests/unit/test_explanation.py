import numpy as np
import pytest
import shap
from scipy import stats

from ipyexplain.explanation import ExplanationStats, as_explanation, global_importance, stats_of


def test_global_importance_means_standard_errors_and_t_intervals():
    rng = np.random.default_rng(0)
    samples = rng.normal(loc=[1.0, 0.0, -2.0], scale=[0.1, 0.5, 1.0], size=(30, 3))
    exp = global_importance(samples, ["a", "b", "c"], method="permutation", confidence=0.9)
    np.testing.assert_allclose(exp.values, samples.mean(axis=0))
    se = samples.std(axis=0, ddof=1) / np.sqrt(30)
    np.testing.assert_allclose(exp.error_std, se)
    lo, hi = stats.t.interval(0.9, df=29, loc=samples.mean(axis=0), scale=se)
    np.testing.assert_allclose(exp.lower_bounds, lo)
    np.testing.assert_allclose(exp.upper_bounds, hi)
    assert exp.feature_names == ["a", "b", "c"]
    assert stats_of(exp) == ExplanationStats("permutation", 30, 0.9, False)


def test_a_single_repeat_has_a_degenerate_interval():
    exp = global_importance(np.array([[1.0, 2.0]]), ["a", "b"], method="permutation", partial=True)
    np.testing.assert_array_equal(exp.lower_bounds, exp.values)
    assert stats_of(exp).partial and stats_of(exp).repeats == 1


@pytest.mark.parametrize(
    ("samples", "names", "match"),
    [(np.zeros((0, 2)), ["a", "b"], "at least one repeat"), (np.zeros((3, 2)), ["a"], "1 feature names for 2"),
     (np.zeros(3), ["a"], "2-D")],
)
def test_global_importance_rejects_bad_shapes(samples, names, match):
    with pytest.raises(ValueError, match=match):
        global_importance(samples, names, method="x")


def test_explanations_from_shap_itself_pass_validation_and_have_no_stats():
    exp = shap.Explanation(values=np.ones((4, 3)), feature_names=["a", "b", "c"])
    assert as_explanation(exp) is exp
    assert stats_of(exp) is None
    assert stats_of(global_importance(np.ones((2, 2)), ["a", "b"], method="m")[0:1]) is None  # slices drop it


def test_bad_explanations_name_the_problem():
    with pytest.raises(TypeError, match=r"must be a shap\.Explanation; got ndarray"):
        as_explanation(np.ones(3))
    with pytest.raises(ValueError, match="2 feature names but its values have shape"):
        as_explanation(shap.Explanation(values=np.ones((4, 3)), feature_names=["a", "b"]))
    with pytest.raises(ValueError, match="empty"):
        as_explanation(shap.Explanation(values=np.ones((0, 3))))


def test_uneven_repeat_counts_use_each_features_own_count():
    samples = np.array([[1.0, 2.0, np.nan], [3.0, np.nan, np.nan], [5.0, np.nan, np.nan]])
    expl = global_importance(samples, ["a", "b", "c"], method="permutation")
    assert expl.values[0] == 3.0 and expl.values[1] == 2.0 and np.isnan(expl.values[2])
    half = stats.t.ppf(0.975, df=2) * np.std([1, 3, 5], ddof=1) / np.sqrt(3)
    assert expl.upper_bounds[0] == pytest.approx(3.0 + half)
    assert expl.error_std[1] == 0.0 and expl.upper_bounds[1] == 2.0  # one repeat: no spread yet
    assert np.isnan(expl.error_std[2]) and stats_of(expl).repeats == 0
