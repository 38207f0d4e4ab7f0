"""Grad-CAM on a model with several image inputs: one map per image input, each Captum's LayerGradCam at
that input's layer, upsampled to that input's size."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
captum_attr = pytest.importorskip("captum.attr")

from torch import nn  # noqa: E402

from ipyexplain.backends import torch_attr as ta  # noqa: E402

TOL = dict(rtol=1e-4, atol=1e-6)


class TwoImages(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scan = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 4, 3, padding=1), nn.ReLU())
        self.xray = nn.Sequential(nn.Conv2d(3, 5, 3, stride=2), nn.ReLU())
        self.tab = nn.Linear(3, 4)
        self.head = nn.Linear(13, 3)

    def forward(self, scan, xray, tab):
        return self.head(torch.cat([self.scan(scan).mean((2, 3)), self.xray(xray).mean((2, 3)), self.tab(tab)], 1))


@pytest.fixture(scope="module")
def two():
    torch.manual_seed(0)
    inputs = {"scan": torch.randn(3, 1, 8, 8), "xray": torch.randn(3, 3, 12, 10), "tab": torch.randn(3, 3)}
    return TwoImages().eval(), inputs


def cam(model, layer, inputs, size, target):
    out = captum_attr.LayerGradCam(model, layer).attribute(tuple(inputs.values()), target=target,
                                                           relu_attributions=True)
    return captum_attr.LayerAttribution.interpolate(out, size, interpolate_mode="bilinear").permute(0, 2, 3, 1)


@pytest.mark.parametrize("deferred", [True, False])
def test_one_map_per_image_input_at_the_last_conv_of_its_branch(two, deferred):
    model, inputs = two
    target = torch.tensor([0, 2, 1])
    if deferred:
        e = ta.compute(model, inputs, method="grad_cam", target=target)
    else:
        e = [p.result for p in ta.stream(model, inputs, method="grad_cam", target=target)][-1]
    info = ta.info_of(e)
    assert info.layers == {"scan": "scan.2", "xray": "xray.0"} and info.layer == "scan.2"
    parts = ta.parts_of(e)
    assert parts["scan"].values.shape == (3, 8, 8, 1) and parts["xray"].values.shape == (3, 12, 10, 1)
    np.testing.assert_allclose(parts["scan"].values, cam(model, model.scan[2], inputs, (8, 8), target).detach(), **TOL)
    np.testing.assert_allclose(parts["xray"].values, cam(model, model.xray[0], inputs, (12, 10), target).detach(),
                               **TOL)
    assert np.isnan(parts["tab"].values).all()  # Grad-CAM explains images only: no share for the features
    assert np.isnan(e.values[:, 2]).all()
    np.testing.assert_allclose(e.values[:, :2].sum(1), 1.0, atol=1e-6)


def test_layers_given_per_image_input(two):
    model, inputs = two
    e = ta.compute(model, inputs, method="grad_cam", target=1, layer={"xray": "xray.0"})
    parts = ta.parts_of(e)
    assert ta.info_of(e).layers == {"xray": "xray.0"}
    assert np.isnan(parts["scan"].values).all() and np.isnan(e.values[:, 0]).all()
    np.testing.assert_allclose(parts["xray"].values, cam(model, model.xray[0], inputs, (12, 10), 1).detach(), **TOL)
    e = ta.compute(model, inputs, method="grad_cam", target=1, layer=["scan.0", model.xray[0]])
    assert ta.info_of(e).layers == {"scan": "scan.0", "xray": "xray.0"}
    np.testing.assert_allclose(ta.parts_of(e)["scan"].values, cam(model, model.scan[0], inputs, (8, 8), 1).detach(),
                               **TOL)
    # one layer, as for a single image: the first image input's
    one = ta.compute(model, inputs, method="grad_cam", target=1, layer="scan.0")
    assert ta.info_of(one).layers == {"scan": "scan.0"}


def test_bad_layers_for_several_images(two):
    model, inputs = two
    with pytest.raises(ValueError, match=r"maps image inputs \['scan', 'xray'\] to layers; got keys \['tab'\]"):
        ta.stream(model, inputs, method="grad_cam", layer={"tab": "tab"})
    with pytest.raises(ValueError, match=r"lists 1 layers for 2 image inputs"):
        ta.stream(model, inputs, method="grad_cam", layer=["scan.0"])
    with pytest.raises(ValueError, match=r"layer 'xray.9' \(the layer Grad-CAM explains for xray\)"):
        ta.stream(model, inputs, method="grad_cam", layer={"xray": "xray.9"})

    class Fused(nn.Module):  # both images through one conv: no layer belongs to either alone
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(2, 3, 3)
            self.fc = nn.Linear(3, 2)

        def forward(self, a, b):
            return self.fc(self.conv(torch.cat([a, b], 1)).mean((2, 3)))

    with pytest.raises(ValueError, match=r"no Conv2d layer depends on image input\(s\) \['a', 'b'\] alone.*\['conv'\]"):
        ta.stream(Fused(), {"a": torch.randn(2, 1, 6, 6), "b": torch.randn(2, 1, 6, 6)}, method="grad_cam")


def test_the_panel_draws_each_image_input_in_its_own_overlay(two):
    from ipyexplain.deep import AttributionPanel, attribute
    from ipyexplain.views.image_overlay import ImageOverlay

    model, inputs = two
    panel = attribute(model, inputs, method="grad_cam", target=0)
    assert isinstance(panel, AttributionPanel) and panel.job.wait(20) and panel.job.status == "done"
    scan, xray = panel.maps["scan"], panel.maps["xray"]
    assert isinstance(scan, ImageOverlay) and isinstance(xray, ImageOverlay)
    assert scan._signed.shape == (1, 3, 8, 8) and xray._signed.shape == (1, 3, 12, 10)
    parts = ta.parts_of(panel.job.result)
    np.testing.assert_allclose(xray._signed[0], parts["xray"].values[..., 0], rtol=1e-5, atol=1e-6)
    assert np.isnan(np.asarray(panel.shares.explanation.values)[:, 2]).all()
