import numpy as np
import pandas as pd
import pytest
import shap
import torch

from ipyexplain import Heatmap


def test_signed_data_gets_a_diverging_map_with_symmetric_limits():
    h = Heatmap(np.array([[-1.0, 3.0], [0.5, 2.0]]))
    assert h._cmap == "rdbu"
    assert h._limits == [-3.0, 3.0]
    assert h._shape == [2, 2]


def test_positive_data_gets_a_sequential_map_from_min_to_max():
    h = Heatmap(np.array([[1.0, 3.0], [2.0, 5.0]]))
    assert h._cmap == "viridis"
    assert h._limits == [1.0, 5.0]


def test_user_limits_and_cmap_override_the_defaults():
    h = Heatmap(np.array([[1.0, 3.0]]), vmin=0, vmax=10, cmap="magma")
    assert h._limits == [0.0, 10.0] and h._cmap == "magma"
    h.cmap = None
    assert h._cmap == "viridis"


def test_constant_data_still_has_an_open_colour_interval():
    h = Heatmap(np.full((3, 3), 2.0))
    lo, hi = h._limits
    assert lo < 2.0 < hi


def test_nan_and_inf_are_counted_and_kept():
    a = np.array([[np.nan, 1.0], [np.inf, -2.0]])
    h = Heatmap(a)
    assert h._nonfinite == 2
    assert h._limits == [-2.0, 2.0]
    assert np.isnan(h._overview[0, 0])


def test_all_nan_matrix_draws_as_missing():
    h = Heatmap(np.full((2, 2), np.nan))
    assert h._nonfinite == 4 and h._limits[0] < h._limits[1]


def test_dataframe_brings_its_labels():
    df = pd.DataFrame([[1, 2], [3, 4]], index=["a", "b"], columns=["x", "<img src=x onerror=alert(1)>"])
    h = Heatmap(df)
    assert h.row_labels == ["a", "b"]
    assert h.col_labels == ["x", "<img src=x onerror=alert(1)>"]
    assert Heatmap(pd.DataFrame(np.ones((3, 2)))).row_labels == []  # default index: indices drawn


def test_torch_tensor_and_shap_explanation():
    t = torch.arange(6, dtype=torch.float32, requires_grad=True).reshape(2, 3)
    assert Heatmap(t)._shape == [2, 3]
    exp = shap.Explanation(values=np.ones((4, 3)), feature_names=["f0", "f1", "f2"])
    assert Heatmap(exp).col_labels == ["f0", "f1", "f2"]
    with pytest.raises(ValueError, match="several outputs"):
        Heatmap(shap.Explanation(values=np.ones((4, 3, 2))))


@pytest.mark.parametrize(
    ("bad", "error", "match"),
    [
        (np.zeros(3), ValueError, r"2-D.*shape \(3,\)"),
        (np.zeros((2, 2, 2)), ValueError, r"2-D.*shape \(2, 2, 2\)"),
        (np.zeros((0, 4)), ValueError, r"empty: shape \(0, 4\)"),
        (np.array([["a", "b"]]), TypeError, "numeric"),
        (np.array([[object(), 1]], dtype=object), TypeError, "numeric"),
    ],
)
def test_bad_values_are_clear_errors(bad, error, match):
    with pytest.raises(error, match=match):
        Heatmap(bad)


def test_label_length_mismatch_names_the_argument():
    with pytest.raises(ValueError, match="row_labels has 1 entries but the matrix has 2 rows"):
        Heatmap(np.ones((2, 2)), row_labels=["a"])
    with pytest.raises(ValueError, match="col_labels has 3 entries but the matrix has 2 columns"):
        Heatmap(np.ones((2, 2)), col_labels=["a", "b", "c"])


def test_unknown_keyword_lists_the_valid_ones():
    with pytest.raises(TypeError, match=r"'colour'.*valid keywords are: cmap"):
        Heatmap(np.ones((2, 2)), colour="red")
    with pytest.raises(ValueError, match="cmap must be one of"):
        Heatmap(np.ones((2, 2)), cmap="jet")


def test_assigning_new_values_redraws_and_keeps_labels_of_the_same_shape():
    h = Heatmap(np.ones((2, 2)), row_labels=["a", "b"])
    frame = h._frame
    h.values = np.zeros((2, 2)) - 1
    assert h._frame == frame + 1
    assert h.row_labels == ["a", "b"]
    assert h._limits == [-1.5, -0.5]
    with pytest.raises(ValueError, match=r"heatmap\.update"):
        h.values = np.ones((3, 2))
    h.update(np.ones((3, 2)), row_labels=["x", "y", "z"], title="new")
    assert h.row_labels == ["x", "y", "z"] and h.title == "new" and h._shape == [3, 2]


def test_update_failure_leaves_the_widget_as_it_was():
    h = Heatmap(np.ones((2, 2)), row_labels=["a", "b"])
    with pytest.raises(ValueError):
        h.update(np.ones((3, 3)), row_labels=["only one"])
    assert h._shape == [2, 2] and h.row_labels == ["a", "b"]
    h.values = np.zeros((2, 2))  # still works afterwards
    assert h._frame >= 2


def test_selected_is_observable_and_normalised():
    h = Heatmap(np.ones((3, 3)))
    seen = []
    h.observe(lambda c: seen.append(c["new"]), "selected")
    h.selected = [1, 2]
    assert seen == [(1, 2)]
    h.values = np.ones((4, 4))  # a new shape clears the selection
    assert h.selected is None


def test_small_matrices_are_sent_whole_and_never_detailed():
    a = np.random.default_rng(1).normal(size=(300, 40))
    h = Heatmap(a)
    np.testing.assert_allclose(h._overview, a.astype(np.float32))
    h._view_request = [10, 20, 5, 10]
    assert h._detail is None


def test_big_matrix_is_pooled_to_the_display_and_zoom_fetches_full_detail():
    a = np.random.default_rng(2).normal(size=(5000, 3000)).astype(np.float32)
    h = Heatmap(a)
    h._display_px = [600, 400]
    assert h._overview.shape == (400, 600)
    assert h._overview.nbytes < 8 * 2**20
    h._view_request = [1000.4, 1100.0, 2000.0, 2050.7]
    assert h._detail_window == [1000, 1100, 2000, 2051]
    np.testing.assert_array_equal(h._detail, a[1000:1100, 2000:2051])
    h._view_request = [0, 5000, 0, 3000]  # back to the full view: nothing to detail
    assert h._detail is None


def test_maxabs_pooling_keeps_a_single_spike_visible():
    a = np.zeros((4000, 4000), dtype=np.float32)
    a[1234, 2345] = -7.0
    h = Heatmap(a, pooling="maxabs")
    h._display_px = [500, 500]
    assert h._overview.min() == -7.0
    h.pooling = "mean"
    assert h._overview.min() > -1.0


def test_assigning_keeps_the_zoom_window_for_the_same_shape():
    a = np.random.default_rng(3).normal(size=(4000, 4000)).astype(np.float32)
    h = Heatmap(a)
    h._display_px = [500, 500]
    h._view_request = [0, 100, 0, 100]
    h.values = a * 2
    np.testing.assert_array_equal(h._detail, a[:100, :100] * 2)


def test_update_keeps_labels_not_given_and_takes_a_dataframes_own():
    h = Heatmap(np.ones((2, 2)), row_labels=["a", "b"], col_labels=["x", "y"])
    h.update(np.zeros((2, 2)), title="same shape")
    assert h.row_labels == ["a", "b"] and h.col_labels == ["x", "y"]
    h.update(np.zeros((2, 2)), row_labels=None)  # explicit None clears
    assert h.row_labels == [] and h.col_labels == ["x", "y"]
    h.update(pd.DataFrame([[1.0]], index=["r"], columns=["c"]))
    assert h.row_labels == ["r"] and h.col_labels == ["c"]
