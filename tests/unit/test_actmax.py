"""Activation maximization: the objective rises, the view shows intermediate images, cancel stops, clear errors."""

from __future__ import annotations

import threading

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from ipyexplain.backends import actmax  # noqa: E402
from ipyexplain.deep import maximize_activation  # noqa: E402
from ipyexplain.views.actmax import ActMaxView  # noqa: E402


@pytest.fixture(scope="module")
def cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.Conv2d(6, 6, 3, padding=1), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 4)).eval()


@pytest.mark.parametrize("objective", [dict(target=2), dict(layer="2", channel=3), dict(layer="2", neuron=(1, 4, 4)),
                                       dict(target=1, decorrelate=True, tv=0.05),
                                       dict(target=1, blur_sigma=0.7, blur_every=2, l2=0.01)])
def test_objective_rises_and_the_image_stays_in_range(cnn, objective):
    parts = list(actmax.stream(cnn, input_shape=(3, 16, 16), steps=40, lr=0.1, snapshot_every=10, **objective))
    final = parts[-1].result
    assert [p.done for p in parts] == [1, 10, 20, 30, 40] and final.step == final.total == 40
    assert len(final.objective) == 40
    assert final.objective[-5:].mean() > final.objective[:5].mean()
    assert final.image.shape == (3, 16, 16) and final.image.min() >= 0 and final.image.max() <= 1
    assert final.display.shape == (16, 16, 3) and len(final.snapshots) >= 4


def test_model_parameters_get_no_gradients_and_mode_is_restored(cnn):
    cnn.train()
    try:
        actmax.compute(cnn, input_shape=(3, 8, 8), target=0, steps=3)
        assert cnn.training
        assert all(p.grad is None for p in cnn.parameters())
    finally:
        cnn.eval()


def test_view_shows_intermediate_images_and_cancel_stops(cnn):
    view = maximize_activation(cnn, input_shape=(3, 16, 16), target=1, steps=30, snapshot_every=5, lr=0.1)
    assert isinstance(view, ActMaxView) and view.job.wait(30)
    assert view._job_status == "done" and view._step == 30 and view._frame >= 2
    assert view._image.dtype == np.uint8 and view._image.shape == (16, 16, 3)
    assert view._snapshots.shape[0] >= 4 and view._snapshot_steps[0] == 1
    assert view._objective.shape == (30,)

    class Slow(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            __import__("time").sleep(0.02)
            return self.inner(x)

    images: list[bytes] = []
    seen = threading.Event()
    job = actmax.job(Slow(cnn), input_shape=(3, 8, 8), target=0, steps=500, snapshot_every=2)
    live = ActMaxView(job=job)
    live.observe(lambda c: (images.append(bytes(live._image)), seen.set() if len(images) >= 3 else None), "_image")
    assert seen.wait(20)
    live.cancel()
    assert job.wait(10) and job.status == "cancelled"
    assert len(set(images)) >= 3  # several different intermediate images were sent to the widget
    assert 0 < live._step < 500 and live._job_status == "cancelled"


def test_errors_name_the_problem(cnn):
    with pytest.raises(ValueError, match=r"target 9 is out of range: the model has 4 outputs"):
        actmax.stream(cnn, input_shape=(3, 8, 8), target=9)
    with pytest.raises(ValueError, match=r"channel 7 is out of range: layer '2' has 6 channels"):
        actmax.stream(cnn, input_shape=(3, 8, 8), layer="2", channel=7)
    with pytest.raises(ValueError, match=r"layer 'conv9'.*Valid layers"):
        actmax.stream(cnn, input_shape=(3, 8, 8), layer="conv9", channel=0)
    with pytest.raises(ValueError, match=r"neuron \(1, 99, 0\) is not in layer '2'"):
        actmax.stream(cnn, input_shape=(3, 8, 8), layer="2", neuron=(1, 99, 0))
    with pytest.raises(ValueError, match="give what to maximise"):
        actmax.stream(cnn, input_shape=(3, 8, 8))
    with pytest.raises(ValueError, match=r"cannot run on an input of shape \(1, 1, 8, 8\)"):
        actmax.stream(cnn, input_shape=(1, 8, 8), target=0)
    with pytest.raises(ValueError, match=r"input_shape must be \(channels, height, width\)"):
        actmax.stream(cnn, input_shape=(8, 8), target=0)
    with pytest.raises(TypeError, match=r"must be a torch\.nn\.Module"):
        actmax.stream(lambda x: x, input_shape=(3, 8, 8), target=0)
