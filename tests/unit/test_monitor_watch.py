"""TrainingMonitor.watch(): per-layer gradient/weight norms equal torch's, bounded columns, learning rates
from the optimizer, frozen layers named, a NetworkDiagram coloured by gradient norm."""

from __future__ import annotations

import numpy as np
import pytest

from ipyexplain.monitor import TrainingMonitor

torch = pytest.importorskip("torch")


def model_and_data():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 8), torch.nn.ReLU(),
                              torch.nn.Linear(8, 1))
    X = torch.randn(64, 6)
    return net, X, X[:, :1] * 3 - X[:, 1:2]


def step(net, opt, X, y, set_to_none=True):
    opt.zero_grad(set_to_none=set_to_none)
    loss = torch.nn.functional.mse_loss(net(X), y)
    loss.backward()
    grads = [float(torch.sqrt(sum(((p.grad ** 2).sum() for p in m.parameters(recurse=False) if p.grad is not None),
                                  torch.zeros(()))))
             for m in net if list(m.parameters(recurse=False))]
    opt.step()
    return loss, grads


def test_norms_equal_torchs_and_the_lr_schedule_is_logged():
    net, X, y = model_and_data()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, 5, 0.5)
    mon = TrainingMonitor()
    watch = mon.watch(net, optimizer=opt)
    expected_grads, expected_weights = [], []
    for i in range(12):
        loss, grads = step(net, opt, X, y)
        opt.zero_grad(set_to_none=True)  # .grad is gone before log(): the hooks kept the norms
        expected_grads.append(grads)
        expected_weights.append([float(torch.sqrt(sum((p ** 2).sum() for p in m.parameters(recurse=False))))
                                 for m in net if list(m.parameters(recurse=False))])
        mon.log(i, loss=loss)
        sched.step()
    mon.flush()
    grad, weight, labels = watch.matrices()
    assert watch.layers == ["0", "2", "4"] and labels[:3] == ["0", "1", "2"]
    np.testing.assert_allclose(grad.T, expected_grads, rtol=1e-5)
    np.testing.assert_allclose(weight.T, expected_weights, rtol=1e-5)
    assert mon.history["lr"][1].tolist() == [0.1] * 5 + [0.05] * 5 + [0.025] * 2
    assert watch.grad_map is not None and watch.grad_map.row_labels == ["0", "2", "4"]
    np.testing.assert_allclose(watch.grad_map.values, np.log10(grad))
    assert watch.note.value == "3 layers · 12 columns"
    mon.close()


def test_columns_stay_bounded_every_and_frozen_layers():
    net, X, y = model_and_data()
    for p in net[2].parameters():
        p.requires_grad_(False)
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=0.01)
    mon = TrainingMonitor()
    watch = mon.watch(net, every=2, max_columns=16)
    for i in range(100):
        loss, _ = step(net, opt, X, y)
        mon.log(i, loss=loss)
        mon.log(i, val_loss=loss * 1.1)  # a second log() of the same step records no second column
    mon.flush()
    grad, _, labels = watch.matrices()
    assert grad.shape[1] <= 16 and watch._span == 4
    assert labels[0] == "0–6"  # every other step, four records a column: steps 0, 2, 4, 6
    assert np.all(np.isnan(grad[1])) and np.all(grad[[0, 2]] > 0)
    assert "no gradient now (frozen or unused): 2" in watch.note.value
    assert "of 4 logged steps each" in watch.note.value
    watch.remove()
    assert not watch._handles


def test_diagram_overlay_and_bad_input():
    from ipyexplain.views.network import NetworkDiagram

    net, X, y = model_and_data()
    diagram = NetworkDiagram(net, X[:2])
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    mon = TrainingMonitor()
    mon.watch(net, diagram=diagram)
    loss, grads = step(net, opt, X, y)
    mon.log(0, loss=loss)
    mon.flush()
    assert diagram.overlay == pytest.approx({"0": grads[0], "2": grads[1], "4": grads[2]}, rel=1e-5)
    assert diagram.overlay_label == "gradient norm" and diagram.overlay_scale == "log"
    with pytest.raises(TypeError, match=r"watch\(\) needs a torch.nn.Module; got str"):
        mon.watch("net")
    with pytest.raises(ValueError, match="every must be a positive integer"):
        mon.watch(net, every=0)
    with pytest.raises(TypeError, match="optimizer must be a torch optimizer"):
        mon.watch(net, optimizer="sgd")
    with pytest.raises(ValueError, match="has no parameters to watch"):
        mon.watch(torch.nn.ReLU())
    mon.close()
