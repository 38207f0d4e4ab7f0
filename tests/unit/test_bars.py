import threading
import time

import numpy as np
import pandas as pd
import pytest
import shap
from scipy import stats

from ipyexplain._jobs import Job, Partial
from ipyexplain.explanation import global_importance
from ipyexplain.views.bars import ImportanceBars

NAMES = ["a", "b", "c", "d", "e"]


def sample_values(rows=40, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(rows, 5)) * np.array([0.5, 3.0, 1.0, 2.0, 0.1])


def t_interval(x, confidence=0.95):
    x = np.asarray(x, dtype=np.float64)
    half = stats.t.ppf(0.5 + confidence / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return x.mean() - half, x.mean() + half


# ------------------------------------------------------------------------ validation
def test_unknown_keyword_names_the_valid_ones():
    with pytest.raises(TypeError, match=r"'topk'.*valid keywords are: .*top_k"):
        ImportanceBars({"a": 1.0}, topk=3)
    bars = ImportanceBars({"a": 1.0})
    with pytest.raises(TypeError, match=r"ImportanceBars\.update.*'colour'"):
        bars.update(colour="red")


@pytest.mark.parametrize(
    ("bad", "kwargs", "error", "match"),
    [
        (shap.Explanation(values=np.ones((4, 3, 2))), {}, ValueError, r"several outputs.*explanation\[:, :, 1\]"),
        (np.ones((2, 2, 2, 2)), {}, ValueError, r"1-D .* or 2-D .*shape \(2, 2, 2, 2\)"),
        (np.float64(3.0), {}, ValueError, r"shape \(\)"),
        (np.zeros((0, 4)), {}, ValueError, r"empty: shape \(0, 4\)"),
        (np.array([]), {}, ValueError, "empty"),
        ({}, {}, ValueError, "empty dict"),
        ({"a": "high"}, {}, TypeError, "must be a number"),
        (np.array(["x", "y"]), {}, TypeError, "numeric"),
        (np.ones(3), {"feature_names": ["a", "b"]}, ValueError, r"2 names but the values have 3 features"),
        (np.ones((5, 3)), {"feature_names": ["a"]}, ValueError, r"1 names but the values have 3 features"),
        (np.ones(3), {"feature_names": "abc"}, TypeError, "not a single string"),
        (shap.Explanation(values=np.ones((2, 3)), feature_names=["a", "b"]), {}, ValueError, "2 feature names"),
        ({"a": 1.0}, {"top_k": 0}, ValueError, "top_k must be at least 1"),
        ({"a": 1.0}, {"confidence": 95}, ValueError, "confidence must be between 0 and 1"),
        ({"a": 1.0}, {"cmap": "viridis"}, ValueError, r"diverging colormap.*'rdbu'"),
        ({"a": 1.0}, {"height": 10}, ValueError, "at least 80 pixels"),
        ({"a": 1.0}, {"mode": "waterfall"}, Exception, "global"),
    ],
)
def test_bad_input_is_a_clear_error(bad, kwargs, error, match):
    with pytest.raises(error, match=match):
        ImportanceBars(bad, **kwargs)


def test_local_mode_needs_a_base_value_and_a_row_in_range():
    with pytest.raises(ValueError, match="needs the base value"):
        ImportanceBars(np.ones((3, 2)), mode="local")
    exp = shap.Explanation(values=np.ones((3, 2)), base_values=np.zeros(3))
    with pytest.raises(IndexError, match="row 3 is out of range: the explanation has 3 rows"):
        ImportanceBars(exp, mode="local", row=3)


def test_a_failed_update_keeps_the_previous_state():
    bars = ImportanceBars({"a": 1.0, "b": 2.0}, top_k=5)
    frame = bars._frame
    with pytest.raises(ValueError, match="needs the base value"):
        bars.update(mode="local", top_k=1)
    assert bars.mode == "global" and bars.top_k == 5 and bars._frame == frame
    with pytest.raises(ValueError, match="needs the base value"):
        bars.mode = "local"  # a direct assignment is undone too
    assert bars.mode == "global" and bars._names == ["b", "a"]
    with pytest.raises(ValueError, match="several outputs"):
        bars.explanation = shap.Explanation(values=np.ones((2, 2, 2)))
    assert bars._names == ["b", "a"]
    bars.explanation = {"z": 5.0}  # assigning redraws
    assert bars._names == ["z"] and bars._frame > frame and isinstance(bars.explanation, shap.Explanation)


# ------------------------------------------------------------------------ global mode
def test_dict_input_is_sorted_by_magnitude_and_sent_as_binary_float32():
    bars = ImportanceBars({"small": 0.1, "neg": -3.0, "big": 2.0, "<img src=x onerror=alert(1)>": 0.5})
    assert bars._names == ["neg", "big", "<img src=x onerror=alert(1)>", "small"]
    np.testing.assert_allclose(bars._values, [-3.0, 2.0, 0.5, 0.1])
    state = bars.get_state()["_values"]
    assert state["dtype"] == "float32" and state["shape"] == [4]
    assert isinstance(state["buffer"], memoryview)
    assert np.frombuffer(state["buffer"], "<f4").tolist() == pytest.approx([-3.0, 2.0, 0.5, 0.1])
    assert bars._lower is None and bars._other == 0 and bars._axis_label == "importance"


def test_sort_modes():
    values = {"a": -3.0, "b": 2.0, "c": 0.5}
    assert ImportanceBars(values, sort="value")._names == ["b", "c", "a"]
    assert ImportanceBars(values, sort="none")._names == ["a", "b", "c"]


def test_top_k_folds_the_rest_into_their_sum_mean_or_nothing():
    imp = np.array([5.0, 1.0, 4.0, 2.0, 3.0])
    se = np.array([0.5, 0.1, 0.4, 0.2, 0.3])
    exp = shap.Explanation(values=imp, feature_names=NAMES, error_std=se)
    bars = ImportanceBars(exp, top_k=2)
    assert bars._names == ["a", "c", "3 other features"] and bars._other == 3 and bars._n_features == 5
    z = stats.norm.ppf(0.975)
    np.testing.assert_allclose(bars._values, [5.0, 4.0, 6.0], rtol=1e-6)
    half_rest = z * np.sqrt(0.1**2 + 0.2**2 + 0.3**2)
    np.testing.assert_allclose(bars._lower, [5 - z * 0.5, 4 - z * 0.4, 6 - half_rest], rtol=1e-6)
    np.testing.assert_allclose(bars._upper, [5 + z * 0.5, 4 + z * 0.4, 6 + half_rest], rtol=1e-6)
    assert bars._fold == "sum" and "normal" in bars._ci_label

    bars.other = "mean"
    np.testing.assert_allclose(bars._values, [5.0, 4.0, 2.0], rtol=1e-6)
    np.testing.assert_allclose(bars._upper[-1], 2.0 + half_rest / 3, rtol=1e-6)
    bars.other = "none"
    assert bars._names == ["a", "c"] and bars._other == 0 and bars._fold == ""
    bars.update(top_k=4, other="sum")
    assert bars._names == ["a", "c", "e", "d", "1 other feature"]


def test_given_bounds_and_stats_are_drawn_as_they_are():
    samples = np.array([[1.0, 0.2, 0.5], [1.2, 0.1, 0.7], [0.9, 0.3, 0.6]])
    exp = global_importance(samples, ["x", "y", "z"], method="permutation", partial=True)
    bars = ImportanceBars(exp)
    assert bars._names == ["x", "z", "y"]
    np.testing.assert_allclose(bars._lower, exp.lower_bounds[[0, 2, 1]], rtol=1e-6)
    np.testing.assert_allclose(bars._upper, exp.upper_bounds[[0, 2, 1]], rtol=1e-6)
    assert bars._ci_label == "95% CI from 3 repeats"
    assert bars._axis_label == "permutation importance" and bars._unit == "repeats" and bars._partial
    assert ImportanceBars(exp, value_label="drop in accuracy")._axis_label == "drop in accuracy"


def test_a_stream_part_way_through_a_repeat_draws_pending_features_last():
    samples = np.array([[1.0, np.nan, 0.2], [1.2, np.nan, np.nan]])  # y: not computed yet
    exp = global_importance(samples, ["x", "y", "z"], method="permutation", partial=True)
    bars = ImportanceBars(exp)
    assert bars._names == ["x", "z", "y"] and bars._partial and bars._nonfinite == 1
    assert bars._values[:2].tolist() == pytest.approx([1.1, 0.2]) and np.isnan(bars._values[2])
    assert bars._score is None


def test_2d_values_become_mean_abs_with_a_t_interval_across_rows():
    values = sample_values()
    exp = shap.Explanation(values=values, feature_names=NAMES)
    bars = ImportanceBars(exp, top_k=3, value_label="SHAP value")
    mean_abs = np.abs(values).mean(axis=0)
    order = np.argsort(-mean_abs)
    assert bars._names == [NAMES[i] for i in order[:3]] + ["2 other features"]
    np.testing.assert_allclose(bars._values[:3], mean_abs[order[:3]], rtol=1e-6)
    for k, i in enumerate(order[:3]):
        lo, hi = t_interval(np.abs(values[:, i]))
        assert bars._lower[k] == pytest.approx(max(lo, 0.0)) and bars._upper[k] == pytest.approx(hi)
    # The folded bar: per-row sum of |value| over the folded features, then its mean and interval.
    per_row = np.abs(values[:, order[3:]]).sum(axis=1)
    assert bars._values[-1] == pytest.approx(per_row.mean())
    assert (bars._lower[-1], bars._upper[-1]) == pytest.approx(t_interval(per_row))
    assert bars._axis_label == "mean |SHAP value|" and bars._rows == 40
    assert bars._ci_label == "95% CI of the mean over 40 rows"
    bars.confidence = 0.5
    lo, hi = t_interval(np.abs(values[:, order[0]]), 0.5)
    assert bars._upper[0] == pytest.approx(hi)


def test_nan_is_drawn_as_missing_last_and_counted():
    bars = ImportanceBars({"a": 1.0, "b": np.nan, "c": -2.0})
    assert bars._names == ["c", "a", "b"] and np.isnan(bars._values[-1]) and bars._nonfinite == 1
    values = sample_values()
    values[3, 1] = np.nan
    values[7, 1] = np.inf
    values[:, 4] = np.nan
    bars = ImportanceBars(values, feature_names=NAMES, top_k=5)
    assert bars._nonfinite == 2 + 40
    assert bars._values[list(bars._names).index("b")] == pytest.approx(
        np.abs(np.delete(values[:, 1], [3, 7])).mean()
    )
    assert bars._names[-1] == "e" and np.isnan(bars._values[-1])


def test_arrays_get_default_or_given_names_and_pandas_brings_its_own():
    assert ImportanceBars(np.array([1.0, 3.0]))._names == ["feature 1", "feature 0"]
    bars = ImportanceBars(np.array([1.0, 3.0]), feature_names=["x", "y"])
    assert bars._names == ["y", "x"]
    bars.feature_names = ["p", "q"]  # plain arrays take new names
    assert bars._names == ["q", "p"]
    with pytest.raises(ValueError, match="3 names"):
        bars.feature_names = ["p", "q", "r"]
    assert bars._names == ["q", "p"] and bars.feature_names == ["p", "q"]
    assert ImportanceBars(pd.Series({"u": 1.0, "v": 2.0}))._names == ["v", "u"]
    df = pd.DataFrame(sample_values(), columns=NAMES)
    assert ImportanceBars(df)._names[0] == "b"


# ------------------------------------------------------------------------ local mode
def test_local_waterfall_numbers():
    values = sample_values()
    data = pd.DataFrame(np.arange(200).reshape(40, 5) + 0.5, columns=NAMES)
    exp = shap.Explanation(values=values, base_values=np.linspace(0, 1, 40), data=data.to_numpy(),
                           display_data=data, feature_names=NAMES)
    bars = ImportanceBars(exp, mode="local", row=7, top_k=2)
    row = values[7]
    order = np.argsort(-np.abs(row))
    assert bars._names == [NAMES[i] for i in order[:2]] + ["3 other features"]
    np.testing.assert_allclose(bars._values, [row[order[0]], row[order[1]], row[order[2:]].sum()], rtol=1e-6)
    assert bars._base == pytest.approx(7 / 39)
    assert bars._output == pytest.approx(7 / 39 + row.sum())
    assert bars._features == [f"{35 + i + 0.5:.4g}" for i in order[:2]] + [""]
    assert bars._row == 7 and bars._fold == "sum" and bars._lower is None
    assert bars._axis_label == "SHAP value" or bars._axis_label == "contribution to the output"
    bars.row = -1
    assert bars._row == 39 and bars._base == pytest.approx(1.0)


def test_local_single_prediction_and_nan_contribution():
    exp = shap.Explanation(values=np.array([0.5, np.nan, -2.0]), base_values=1.0,
                           data=np.array([42, 3.14159, "red"], dtype=object), feature_names=["age", "pi", "colour"])
    bars = ImportanceBars(exp, mode="local", value_label="log-odds")
    assert bars._names == ["colour", "age", "pi"] and bars._features == ["red", "42", "3.142"]
    assert bars._nonfinite == 1 and np.isnan(bars._values[-1])
    assert bars._output == pytest.approx(1.0 + 0.5 - 2.0)
    assert bars._axis_label == "log-odds"
    with pytest.raises(IndexError, match="one prediction"):
        bars.row = 2


# ------------------------------------------------------------------------ selection
def test_selected_feature_from_the_browser_and_reset_when_gone():
    bars = ImportanceBars({"a": 1.0, "b": 2.0})
    seen = []
    bars.observe(lambda c: seen.append(c["new"]), "selected_feature")
    bars.set_state({"selected_feature": "a"})
    assert bars.selected_feature == "a"
    bars.set_state({"selected_feature": ""})  # the browser's "nothing"
    assert bars.selected_feature is None
    bars.selected_feature = "b"
    bars.update({"c": 1.0})
    assert bars.selected_feature is None and seen == ["a", None, "b", None]


# ------------------------------------------------------------------------ job binding
def streaming(samples, names, delay=0.0, fail_at=None, gate=None):
    n = len(samples)
    for k in range(1, n + 1):
        if k == fail_at:
            raise ValueError("the model server returned 503")
        if gate is not None and k == 3:
            gate.set()
        time.sleep(delay)
        yield Partial(global_importance(samples[:k], names, method="permutation", partial=k < n), done=k, total=n)


def test_bound_job_ends_on_the_final_result_with_progress():
    samples = np.abs(sample_values(rows=25, seed=3))
    job = Job(streaming(samples, NAMES, delay=0.005), max_rate=50)
    bars = ImportanceBars(job=job, top_k=3)
    assert bars.job is job and bars._job_status == "pending" and bars._names == []
    frames = []
    bars.observe(lambda c: frames.append(list(bars._values)), "_frame")
    job.start()
    assert job.wait(10)
    final = global_importance(samples, NAMES, method="permutation")
    expected = ImportanceBars(final, top_k=3)
    assert bars._names == expected._names
    np.testing.assert_allclose(bars._values, expected._values)
    np.testing.assert_allclose(bars._upper, expected._upper)
    assert bars._job_status == "done" and not bars._partial
    assert (bars._done, bars._total, bars._eta) == (25, 25, 0.0) and bars._elapsed > 0
    assert bars._unit == "repeats" and bars._error == ""
    assert 2 <= len(frames) <= 26  # throttled partial results, each redrawn


class RecordingComm:
    """Stands in for the kernel's comm: records each message a widget sends."""

    kernel = object()
    comm_id = "test"

    def __init__(self):
        self.messages = []

    def send(self, data=None, buffers=None, **kwargs):
        self.messages.append((data, buffers))

    def on_msg(self, callback):
        pass

    def on_close(self, callback):
        pass

    def close(self, *args, **kwargs):
        pass


def test_each_job_update_is_one_message_with_binary_buffers():
    job = Job(streaming(np.ones((3, 5)), NAMES), max_rate=1000)
    bars = ImportanceBars(job=job)
    comm = RecordingComm()
    bars.comm = comm
    job.start().wait(5)
    updates = [(data["state"], buffers) for data, buffers in comm.messages if data.get("method") == "update"]
    assert 1 <= len(updates) <= 4  # one message per push (<= 3 partials + the final one)
    for state, buffers in updates:
        assert {"_values", "_elapsed", "_frame"} <= set(state)  # result and progress together
        assert buffers and all(isinstance(b, memoryview) for b in buffers)  # numbers never as JSON lists
    assert "_done" in updates[0][0] and updates[-1][0]["_job_status"] == "done"
    bars.comm = None


def test_cancel_from_the_widget_message_keeps_the_last_partial():
    gate = threading.Event()
    samples = np.abs(sample_values(rows=400, seed=4))
    job = Job(streaming(samples, NAMES, delay=0.01, gate=gate), max_rate=100)
    bars = ImportanceBars(job=job, progress_unit="permutations")
    job.start()
    assert gate.wait(5)
    bars._handle_custom_msg({"event": "cancel"}, [])  # what the Cancel button sends
    assert job.wait(5)
    assert job.status == "cancelled" and bars._job_status == "cancelled"
    assert bars._partial and 3 <= bars._done < 400 and bars._total == 400
    assert bars._unit == "permutations"
    expected = ImportanceBars(global_importance(samples[: bars._done], NAMES, method="p"))
    np.testing.assert_allclose(bars._values, expected._values)


def test_a_failing_job_shows_its_message_and_keeps_what_it_had():
    job = Job(streaming(np.abs(sample_values(rows=10)), NAMES, fail_at=4), max_rate=1000)
    bars = ImportanceBars(job=job)
    job.start().wait(5)
    assert bars._job_status == "error" and bars._error == "ValueError: the model server returned 503"
    assert bars._done == 3 and len(bars._names) == 5 and bars._partial


def test_rebinding_ignores_the_old_job_and_bind_none_lets_go():
    gate = threading.Event()
    old = Job(streaming(np.abs(sample_values(rows=300)), NAMES, delay=0.01, gate=gate)).start()
    bars = ImportanceBars(job=old)
    assert gate.wait(5)
    finished = Job(streaming(np.ones((2, 5)), NAMES)).start()
    finished.wait(5)
    bars.bind(finished)  # already done: drawn at once
    assert bars._job_status == "done" and bars._done == 2
    np.testing.assert_allclose(bars._values, np.ones(5))
    time.sleep(0.1)
    assert bars._done == 2  # the old job's pushes no longer land here
    old.cancel()
    bars.bind(None)
    assert bars.job is None and bars._job_status == "" and len(bars._names) == 5
    with pytest.raises(TypeError, match="Job"):
        bars.bind("job")
    assert old.wait(5)


def test_cancel_without_a_running_job_does_nothing():
    bars = ImportanceBars({"a": 1.0})
    bars.cancel()
    bars._handle_custom_msg({"event": "other"}, [])
    assert bars._job_status == ""


def test_item_label_words_the_folded_bar_and_is_validated():
    layers = {f"layer{i}": float(i) for i in range(6)}
    bars = ImportanceBars(layers, top_k=3, item_label="layer")
    assert bars._names[-1] == "3 other layers" and bars.item_label == "layer"
    bars.update(top_k=4)
    assert bars._names[-1] == "2 other layers"
    bars.item_label = "block"  # redraws with the new word
    assert bars._names[-1] == "2 other blocks"
    local = ImportanceBars(shap.Explanation(values=np.arange(6.0)[None], base_values=np.zeros(1)), mode="local",
                           top_k=2, item_label="input")
    assert local._names[-1] == "4 other inputs"
    with pytest.raises(ValueError, match="item_label must name what a bar stands for"):
        ImportanceBars(layers, item_label=" ")
    assert ImportanceBars(layers, top_k=3)._names[-1] == "3 other features"
