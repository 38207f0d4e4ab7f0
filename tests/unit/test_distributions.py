"""distributions(): histograms equal numpy's, dead units and saturation found where they were planted,
outputs per class, the steps x bins history re-binned without losing mass, named errors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_regression
from sklearn.linear_model import LinearRegression

from ipyexplain.monitor import distributions
from ipyexplain.monitor.distributions import History, summarize

torch = pytest.importorskip("torch")
XSS = "<img src=x onerror=alert(1)>"


def planted_net():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(10, 32), torch.nn.ReLU(), torch.nn.Linear(32, 16), torch.nn.Tanh(),
                              torch.nn.Linear(16, 3))
    with torch.no_grad():
        net[0].bias[:5] = -100.0  # five ReLU units that never fire
        net[2].weight *= 25  # tanh driven into saturation
    return net, torch.randn(300, 10)


def test_summaries_equal_numpy_and_callouts_find_planted_problems():
    net, X = planted_net()
    d = distributions(net, X, title="planted")
    w0 = net[0].weight.detach().numpy().astype(np.float64)
    s = d.summaries["parameters"]["0.weight"]
    counts, edges = np.histogram(w0, bins=60, range=(w0.min(), w0.max()))
    np.testing.assert_array_equal(s.counts, counts)
    np.testing.assert_allclose(s.edges, edges)
    assert (s.mean, s.std, s.count) == (pytest.approx(w0.mean()), pytest.approx(w0.std()), w0.size)
    with torch.no_grad():
        hidden = torch.relu(net[0](X)).numpy()
        tanh = torch.tanh(net[2](torch.relu(net[0](X)))).numpy()
    relu = d.summaries["activations"]["1"]
    assert relu.units == 32 and relu.dead_units == int(np.sum(hidden.max(axis=0) <= 0)) >= 5
    assert d.summaries["activations"]["3"].saturated == pytest.approx(np.mean(np.abs(tanh) > 0.99), abs=1e-6)
    assert "1 (ReLU): " in d.callouts.value and "units dead" in d.callouts.value
    assert "3 (Tanh): " in d.callouts.value and "saturated" in d.callouts.value
    outputs = d.summaries["outputs"]
    assert list(outputs) == ["P(class 0)", "P(class 1)", "P(class 2)"]  # logits became probabilities
    assert all(o.counts.sum() == 300 and o.edges[0] == 0 and o.edges[-1] == 1 for o in outputs.values())
    assert d.bars.y.tolist() == s.counts.tolist() and d.figure.title == "0.weight · Linear"


def test_picker_record_history_and_heatmap():
    net, X = planted_net()
    d = distributions(net, X, bins=40)
    d.kind = "activations"
    assert d.layer_picker.options == ("0", "1", "2", "3", "4") and d.name == "0"
    d.name = "3"
    assert d.figure.title == "3 · Tanh" and "saturated" in d.summary.value
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    for step in range(4):
        loss = net(X).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        d.record(step * 10)
    assert d.history_map is not None and d.history_map.values.shape == (4, 40)
    assert d.history_map.row_labels == ["0", "10", "20", "30"]
    np.testing.assert_allclose(d.history_map.values.sum(axis=1), 1.0)
    with pytest.raises(Exception, match="no activations named 'nope'"):
        d.name = "nope"


def test_history_rebins_onto_a_widening_grid():
    rng = np.random.default_rng(0)
    h = History(max_steps=8)
    for step in range(20):
        h.add(step, summarize(rng.normal(0, 1 + step / 5, 2000), "w", "weight", bins=30))
    matrix, edges = h.matrix(50)
    assert matrix.shape == (len(h.steps), 50) and len(h.steps) <= 9 and h.steps[-1] == 19
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0)
    assert edges[0] < -5 and edges[-1] > 5
    with pytest.raises(ValueError, match="not after the last recorded step"):
        h.add(3, summarize(np.ones(3), "w", "weight"))


def test_outputs_of_any_model_and_residuals():
    X, y = make_regression(200, 4, noise=5, random_state=0)
    model = LinearRegression().fit(X, y)
    d = distributions(model, X, y)
    assert d.kind_picker.options == ("outputs",)
    residual = d.summaries["outputs"]["residual"]
    np.testing.assert_allclose(residual.mean, np.mean(y - model.predict(X)), atol=1e-9)


def test_bad_input_is_named():
    net, X = planted_net()
    with pytest.raises(ValueError, match="no layer named 'fc9'; the layers are: 0, 1, 2, 3, 4"):
        distributions(net, X, layers=["fc9"])
    with pytest.raises(ValueError, match="bins must be an integer >= 2"):
        distributions(net, X, bins=1)
    with pytest.raises(TypeError, match=r"needs a torch\.nn\.Module"):
        distributions(LinearRegression())
    with pytest.raises(ValueError, match=r"the Sequential failed on X of shape \(5, 3\) \(torch.float32\)"):
        distributions(net, torch.randn(5, 3))
