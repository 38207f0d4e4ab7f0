"""TokenView: token scores as wrapping text; ragged shap text explanations; live from a token attribution job."""

from __future__ import annotations

import numpy as np
import pytest
import shap

from ipyexplain.views.tokens import TokenView

XSS = "<img src=x onerror=alert(1)>"


def test_rectangular_explanation_with_padding_hidden():
    e = shap.Explanation(values=np.array([[0.5, -1.0, 2.0, 0.0], [1.0, 1.0, 0.0, 0.0]]),
                         data=np.array([["the", XSS, "##s", "[PAD]"], ["a", "b", "[PAD]", "[PAD]"]], dtype=object))
    w = TokenView(e, clip_percentile=100)
    assert w._tokens == [["the", XSS, "##s"], ["a", "b"]]
    np.testing.assert_allclose(w._values, [0.5, -1.0, 2.0, 1.0, 1.0])
    assert w._offsets.tolist() == [0, 3, 5]
    np.testing.assert_allclose(w._limits, [2.0, 2.0])  # shared colour limit
    assert w._labels == ["#0", "#1"] and w._n_rows == 2
    w.update(scale="row")
    np.testing.assert_allclose(w._limits, [2.0, 1.0])
    w.hide = ()
    assert w._tokens[1] == ["a", "b", "[PAD]", "[PAD]"]


def test_ragged_shap_text_layout_and_row_selection():
    values = np.empty(3, dtype=object)
    data = np.empty(3, dtype=object)
    for i, n in enumerate((2, 4, 3)):
        values[i] = np.arange(n, dtype=float) - 1
        data[i] = np.array([f"t{i}{j}" for j in range(n)], dtype=object)
    w = TokenView(shap.Explanation(values=values, data=data), rows=[2, 0], row_labels=["third", "first"])
    assert w._tokens == [["t20", "t21", "t22"], ["t00", "t01"]]
    assert w._labels == ["third", "first"] and w._offsets.tolist() == [0, 3, 5]


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="no tokens"):
        TokenView(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="row 0: 2 tokens for 3 scores"):
        TokenView(np.zeros((1, 3)), tokens=[["a", "b"]])
    with pytest.raises(ValueError, match="pick one output first"):
        TokenView(np.zeros((1, 3, 2)), tokens=[["a", "b", "c"]])
    with pytest.raises(ValueError, match=r"rows \[5\] out of range"):
        TokenView(np.zeros((1, 3)), tokens=[["a", "b", "c"]], rows=[5])
    with pytest.raises(ValueError, match="cmap must be a diverging colormap"):
        TokenView(np.zeros((1, 1)), tokens=[["a"]], cmap="magma")
    with pytest.raises(TypeError, match="valid keywords are"):
        TokenView(np.zeros((1, 1)), tokens=[["a"]], colour="red")


def test_live_from_a_layer_integrated_gradients_job():
    torch = pytest.importorskip("torch")
    pytest.importorskip("captum")
    from torch import nn

    from ipyexplain.backends import torch_attr

    torch.manual_seed(0)
    model = nn.Sequential(nn.Embedding(10, 4), nn.Flatten(), nn.Linear(12, 2)).eval()
    ids = torch.tensor([[1, 2, 3], [4, 5, 6]])
    vocab = ["[PAD]", "good", "bad", XSS, "film", "plot", "##s", "x", "y", "z"]
    job = torch_attr.job(model, ids, method="ig", target=1, vocab=vocab, class_names=["neg", "pos"], n_steps=8)
    w = TokenView(job=job, title="IG")
    assert job.wait(10)
    assert w._job_status == "done" and w._unit == "steps" and w._done == w._total
    assert w._tokens == [["good", "bad", XSS], ["film", "plot", "##s"]]
    assert w._labels == ["#0 · pos", "#1 · pos"]
    np.testing.assert_allclose(w._values, job.result.values.reshape(-1), rtol=1e-6)
