"""The one-call entry points: a widget bound to a running job; bad input raises and shows in the widget."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_regression
from sklearn.linear_model import Ridge

import ipyexplain
from ipyexplain.adapters import PredictError


@pytest.fixture(scope="module")
def data():
    X, y = make_regression(300, 5, n_informative=3, random_state=0)
    return Ridge().fit(X, y), X, y


def test_permutation_entry_point_draws_the_final_result(data):
    model, X, y = data
    bars = ipyexplain.permutation_importance(model, X, y, n_repeats=3, random_state=0, top_k=3, title="T")
    assert bars.job.wait(30) and bars.job.status == "done"
    expected = ipyexplain.backends.permutation.compute(model, X, y, n_repeats=3, random_state=0)
    np.testing.assert_allclose(bars.job.result.values, expected.values)
    assert bars.title == "T" and bars.top_k == 3 and bars._job_status == "done"
    assert bars._names[:3] == [f"x{i}" for i in np.argsort(-np.abs(expected.values))[:3]]


def test_shap_and_lime_entry_points(data):
    model, X, _ = data
    sv = ipyexplain.shap_values(model, X[:50])
    assert sv.job.wait(30) and sv.job.status == "done" and sv.job.result.values.shape == (50, 5)
    lime = ipyexplain.lime(model, X, X[0], num_samples=500, random_state=0)
    assert lime.job.wait(30) and lime.mode == "local" and lime.job.result.values.shape == (5,)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda m, X, y: ipyexplain.permutation_importance(m, X, y[:-1]), ValueError,
         "y has 299 entries but X has 300 rows"),
        (lambda m, X, y: ipyexplain.permutation_importance(m, X, y, feature_names=["a"]), ValueError,
         "feature_names has 1 names"),
        (lambda m, X, y: ipyexplain.permutation_importance(m, X[:0], y[:0]), ValueError, "X is empty"),
        (lambda m, X, y: ipyexplain.shap_values(m, np.where(X > 1, np.nan, X)), PredictError, "X has NaN"),
    ],
)
def test_bad_input_raises_in_the_cell_and_shows_in_the_widget(data, call, error, message, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda w: shown.append(w))
    model, X, y = data
    with pytest.raises(error, match=message):
        call(model, X, y)
    (bars,) = shown
    assert bars._job_status == "error" and message.split(" ")[0] in bars._error
