"""Adapters: every accepted model becomes a Predictor with the model's own numbers and output names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from ipyexplain.adapters import PredictError, as_predictor, as_table, as_targets, predict_checked


def test_binary_classifier_explains_the_positive_class_by_default():
    X, y = load_breast_cancer(return_X_y=True)
    model = LogisticRegression(max_iter=5000).fit(X, y)
    p = as_predictor(model)
    assert p.kind == "classifier" and p.output_names == ["0", "1"] and p.output_name == "1"
    np.testing.assert_allclose(p(X[:5]), model.predict_proba(X[:5])[:, 1])
    np.testing.assert_allclose(as_predictor(model, output=0)(X[:5]), model.predict_proba(X[:5])[:, 0])


def test_multiclass_output_chosen_by_label_or_index_or_all():
    X, y = load_iris(return_X_y=True)
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    model = LogisticRegression(max_iter=1000).fit(X, labels)
    assert as_predictor(model)(X[:3]).shape == (3, 3)
    np.testing.assert_allclose(as_predictor(model, output="virginica")(X[:3]), model.predict_proba(X[:3])[:, 2])
    np.testing.assert_allclose(as_predictor(model, output=1)(X[:3]), model.predict_proba(X[:3])[:, 1])
    with pytest.raises(ValueError, match="'daisy' is not one of the model's outputs"):
        as_predictor(model, output="daisy")


def test_xgboost_and_lightgbm_sklearn_api():
    import lightgbm
    import xgboost

    X, y = load_breast_cancer(return_X_y=True)
    for model in (xgboost.XGBClassifier(n_estimators=5), lightgbm.LGBMClassifier(n_estimators=5, verbose=-1)):
        model.fit(X, y)
        p = as_predictor(model)
        assert p.kind == "classifier"
        np.testing.assert_allclose(p(X[:4]), model.predict_proba(X[:4])[:, 1])
    reg = xgboost.XGBRegressor(n_estimators=5).fit(X, y.astype(float))
    np.testing.assert_allclose(as_predictor(reg)(X[:4]), reg.predict(X[:4]), rtol=1e-6)


def test_pipeline_gets_the_frame_with_its_string_column():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "kind": ["x", "y", "x", "y"]})
    pipe = make_pipeline(make_column_transformer((OneHotEncoder(), ["kind"]), remainder="passthrough"),
                         LinearRegression()).fit(frame, [1.0, 2.0, 3.0, 5.0])
    table = as_table(frame)
    assert table.is_frame and table.feature_names == ["a", "kind"]
    np.testing.assert_allclose(as_predictor(pipe)(table.take(np.array([1, 3]))), pipe.predict(frame.iloc[[1, 3]]))
    with pytest.raises(TypeError, match="not numeric: kind"):
        table.numeric()


def test_torch_module_batched_in_eval_mode_without_grad_and_restored():
    torch = pytest.importorskip("torch")
    net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Dropout(0.5), torch.nn.Linear(8, 2))
    net.train()
    X = np.random.default_rng(0).normal(size=(50, 3))
    p = as_predictor(net, batch_size=7)
    first, second = p(X), p(X)
    np.testing.assert_array_equal(first, second)  # dropout off: deterministic
    assert first.shape == (50, 2) and net.training  # mode restored
    with torch.no_grad():
        net.eval()
        expected = net(torch.tensor(X, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(first, expected, rtol=1e-5, atol=1e-6)
    table = as_table(torch.tensor(X))
    assert table.feature_names == ["x0", "x1", "x2"] and isinstance(table.rows, np.ndarray)


def test_callable_and_unknown_model():
    p = as_predictor(lambda rows: np.asarray(rows).sum(axis=1))
    assert p.kind == "callable"
    np.testing.assert_allclose(p(np.ones((3, 4))), [4, 4, 4])
    with pytest.raises(TypeError, match="accepted: a scikit-learn estimator"):
        as_predictor("model.pkl")
    with pytest.raises(ValueError, match="not fitted yet"):
        as_predictor(LinearRegression())


def test_data_validation_names_the_problem():
    with pytest.raises(ValueError, match="1-D with shape"):
        as_table(np.ones(3))
    with pytest.raises(ValueError, match="X is empty"):
        as_table(np.ones((0, 3)))
    with pytest.raises(ValueError, match="feature_names has 2 names but X has 3 columns"):
        as_table(np.ones((2, 3)), ["a", "b"])
    with pytest.raises(ValueError, match="y has 2 entries but X has 3 rows"):
        as_targets([1, 2], 3)


def test_model_errors_become_predict_errors_that_mention_nan():
    X = np.ones((4, 2))
    X[1, 1] = np.nan
    model = LinearRegression().fit(np.ones((4, 2)) + np.arange(8).reshape(4, 2), [1, 2, 3, 4])
    with pytest.raises(PredictError, match=r"LinearRegression failed to predict on 4 rows: X has NaN in x1"):
        predict_checked(as_predictor(model), as_table(X))
    with pytest.raises(PredictError, match=r"returned shape \(3,\) for 4 rows"):
        predict_checked(as_predictor(lambda rows: np.ones(3)), as_table(np.ones((4, 2))))


def test_binary_default_is_the_second_class_by_position_even_when_labels_are_numbers():
    X, y = load_breast_cancer(return_X_y=True)
    model = LogisticRegression(max_iter=5000).fit(X, y + 1)  # classes [1, 2]: label 1 is the *first* class
    p = as_predictor(model)
    assert p.output == 1 and p.output_name == "2"
    np.testing.assert_allclose(p(X[:3]), model.predict_proba(X[:3])[:, 1])
    assert as_predictor(model, output=1).output == 0  # an explicit label still means the label
