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
    # Output distributions have a history too: P(class 2) on [0, 1], one row per recorded step.
    d.kind = "outputs"
    d.name = "P(class 2)"
    with torch.no_grad():
        p2 = torch.softmax(net(X), 1)[:, 2].double().numpy()
    row = d.history_map.values[-1]
    assert d.history_map.values.shape == (4, 40) and "P(class 2) over training steps" in d.history_map.title
    np.testing.assert_allclose(row, np.histogram(p2, bins=40, range=(0, 1))[0] / p2.size, atol=1e-12)
    with pytest.raises(Exception, match="no outputs named 'nope'"):
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


class FunctionalNet(torch.nn.Module):
    """Activations as functions inside forward, a GELU module, and an in-place ReLU after a Linear."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(10, 32)
        self.fc2 = torch.nn.Linear(32, 16)
        self.fc3 = torch.nn.Linear(16, 12)
        self.gelu = torch.nn.GELU()
        self.fc4 = torch.nn.Linear(12, 8)
        self.act = torch.nn.ReLU(inplace=True)
        self.out = torch.nn.Linear(8, 3)

    def forward(self, x):
        h = torch.nn.functional.relu(self.fc1(x))
        s = torch.sigmoid(self.fc2(h))
        g = self.gelu(self.fc3(s))
        return self.out(self.act(self.fc4(g)).tanh())


def functional_net():
    torch.manual_seed(0)
    net = FunctionalNet()
    with torch.no_grad():
        net.fc1.bias[:7] = -100.0  # seven units dead behind F.relu
        net.fc2.weight *= 40  # sigmoid saturated
        net.fc2.weight[:4] = 0.0
        net.fc2.bias[:4] = 50.0  # four sigmoid units stuck at 1 on every row
        net.fc3.bias[:3] = -100.0  # three GELU units never positive
        net.fc4.bias[:] = 0.0
    return net, torch.randn(256, 10)


def test_dead_units_and_saturation_behind_functions_gelu_and_in_place_relu():
    net, X = functional_net()
    d = distributions(net, X)
    acts = d.summaries["activations"]
    assert list(acts) == ["fc1", "fc1 → relu", "fc2", "fc2 → sigmoid", "fc3", "gelu", "fc4", "act", "act → tanh",
                          "out"]
    with torch.no_grad():
        h = torch.relu(net.fc1(X))
        s = torch.sigmoid(net.fc2(h))
        g = torch.nn.functional.gelu(net.fc3(s))
        pre4 = net.fc4(g)
    relu = acts["fc1 → relu"]
    assert relu.module == "relu" and relu.units == 32
    assert relu.dead_units == int((h.max(dim=0).values <= 0).sum()) >= 7
    sig = acts["fc2 → sigmoid"]
    assert sig.saturated == pytest.approx(float(((s < 0.01) | (s > 0.99)).float().mean()))
    assert sig.saturated_units == int(((s < 0.01) | (s > 0.99)).all(dim=0).sum()) >= 4
    gelu = acts["gelu"]
    assert gelu.module == "GELU" and gelu.dead_units == int((g.max(dim=0).values <= 0).sum()) >= 3
    # nn.ReLU(inplace=True) overwrote fc4's output in place after its hook ran: the capture is a copy.
    assert float(pre4.min()) < 0 and acts["fc4"].min == pytest.approx(float(pre4.min()))
    assert acts["act → tanh"].saturated is not None and acts["fc4"].dead_units is None
    notes = d.callouts.value
    assert "fc1 → relu (relu): " in notes and "units dead" in notes
    assert "fc2 → sigmoid (sigmoid): " in notes and f"{sig.saturated_units} of 16 units on every row" in notes
    # Asking for named layers: just those modules, no function calls.
    assert list(distributions(net, X, layers=["fc1", "gelu"]).summaries["activations"]) == ["fc1", "gelu"]


def test_conv_channels_and_y_length_is_checked_before_the_row_cap():
    torch.manual_seed(0)
    conv = torch.nn.Sequential(torch.nn.Conv2d(1, 6, 3), torch.nn.ReLU6(), torch.nn.Flatten(),
                               torch.nn.Linear(6 * 6 * 6, 2))
    with torch.no_grad():
        conv[0].bias[:2] = -50.0  # two channels dead
        conv[0].bias[2] = 50.0  # one channel stuck at 6 on every pixel of every row
    X = torch.randn(40, 1, 8, 8)
    relu6 = distributions(conv, X).summaries["activations"]["1"]
    assert (relu6.units, relu6.dead_units, relu6.saturated_units) == (6, 2, 1)
    net, X = planted_net()
    big = torch.randn(700, 10)
    with pytest.raises(ValueError, match="y has 600 entries but X has 700 rows"):
        distributions(net, big, torch.zeros(600))
