"""ImageOverlay: kernel-side reduction, options, small multiples and live binding to attribution jobs."""

from __future__ import annotations

import numpy as np
import pytest
import shap

from ipyexplain._transport import array_to_wire
from ipyexplain.views._overlay_data import panel_of, reduce, to_nhwc
from ipyexplain.views.image_overlay import ImageOverlay


def known(n: int = 3, size: int = 16) -> shap.Explanation:
    """Attributions with a bright square at rows 2-5, cols 9-12 of every image, over ramps."""
    values = np.zeros((n, size, size, 3), dtype=np.float32)
    values[:, 2:6, 9:13, :] = 1.0
    values[:, 12:14, 1:3, 0] = -0.5
    images = np.tile(np.linspace(0, 1, size, dtype=np.float32)[None, None, :, None], (n, size, 1, 3))
    return shap.Explanation(values=values, data=images)


def test_signed_and_absolute_maps_sum_over_channels_and_limits_are_robust():
    w = ImageOverlay(known())
    assert w._signed.shape == (1, 3, 16, 16) and w._absolute.shape == (1, 3, 16, 16)
    np.testing.assert_allclose(w._signed[0, 0, 3, 10], 3.0)  # summed over the 3 channels
    np.testing.assert_allclose(w._signed[0, 0, 12, 1], -0.5)
    np.testing.assert_allclose(w._absolute[0, 0, 12, 1], 0.5)
    assert w._images.shape == (3, 16, 16, 3)
    np.testing.assert_allclose(w._image_range, [[0, 1]] * 3)
    assert w._limits_signed.shape == (1, 3) and w._limits_signed[0, 0] == pytest.approx(3.0)
    assert w._panel_labels == ["attribution"] and w._row_labels == ["#0", "#1", "#2"]
    wire = array_to_wire(w._signed)
    assert wire is not None and wire["dtype"] == "float32"


def test_captum_layout_and_shape_errors():
    nchw = np.zeros((2, 3, 8, 10))
    assert to_nhwc(nchw, "x").shape == (2, 8, 10, 3)
    assert to_nhwc(np.zeros((2, 8, 10)), "x").shape == (2, 8, 10, 1)
    assert to_nhwc(np.zeros((2, 5, 8, 10)), "x").shape == (2, 8, 10, 5)  # 5 bands, channels first
    assert to_nhwc(np.zeros((2, 8, 10, 2)), "x").shape == (2, 8, 10, 2)
    with pytest.raises(ValueError, match="which axis holds the channels"):
        to_nhwc(np.zeros((2, 8, 8, 8)), "x")  # any axis could be the channels
    with pytest.raises(ValueError, match="which axis holds the channels"):
        to_nhwc(np.zeros((2, 30, 40, 50)), "x")
    with pytest.raises(ValueError, match="pick one output first"):
        ImageOverlay(np.zeros((2, 8, 8, 3, 4)))
    with pytest.raises(ValueError, match="do not match attributions"):
        ImageOverlay(np.zeros((2, 8, 8, 1)), images=np.zeros((2, 9, 9, 1)))
    with pytest.raises(TypeError, match="valid keywords are"):
        ImageOverlay(known(), opacityy=0.3)
    with pytest.raises(ValueError, match="opacity must be between 0 and 1"):
        ImageOverlay(known(), opacity=2)
    with pytest.raises(ValueError, match="cmap must be a diverging colormap"):
        ImageOverlay(known(), cmap="viridis")
    with pytest.raises(ValueError, match=r"samples \[7\] out of range for 3 images"):
        ImageOverlay(known(), samples=[7])


def test_small_multiples_across_methods_and_batch_selection():
    a, b = known(4), known(4)
    b.values = -b.values * 10
    w = ImageOverlay({"IG": a, "Saliency": b}, samples=[1, 3], scale="panel")
    assert w._panel_labels == ["IG", "Saliency"] and w._sample_index == [1, 3]
    assert w._signed.shape == (2, 2, 16, 16)
    assert w._limits_signed[1, 0] == pytest.approx(10 * w._limits_signed[0, 0])  # per-method colour limits
    w.update(scale="shared")
    assert w._limits_signed[0, 0] == w._limits_signed[1, 0]
    frame = w._frame
    w.samples = [0]
    assert w._signed.shape == (2, 1, 16, 16) and w._frame > frame


def test_big_images_are_pooled_within_the_message_budget():
    big = shap.Explanation(values=np.random.default_rng(0).normal(size=(8, 512, 512, 3)).astype(np.float32),
                           data=np.zeros((8, 512, 512, 3), dtype=np.float32))
    w = ImageOverlay([big, big], max_px=400)
    assert max(w._signed.shape[2:]) <= 400 and w._pooled >= 2
    total = sum(a.nbytes for a in (w._signed, w._absolute, w._images))
    assert total < 8 * 1024 * 1024


def test_nan_is_not_computed_and_percentile_ignores_outliers():
    e = known(2)
    e.values[1] = np.nan
    r = reduce([panel_of(e, "x")], samples=None, max_px=64, clip_percentile=99, scale="panel", image_range=None)
    assert r.computed.tolist() == [[1, 0]] and np.isnan(r.signed[0, 1]).all()
    spiky = np.zeros((1, 100, 100, 1), dtype=np.float32)
    spiky[0, :50] = 1.0
    spiky[0, 0, 0] = 1000.0
    w = ImageOverlay(spiky, clip_percentile=99)
    assert w._limits_signed[0, 0] == pytest.approx(1.0)


def test_binds_to_attribution_jobs_one_column_each():
    torch = pytest.importorskip("torch")
    pytest.importorskip("captum")
    from torch import nn

    from ipyexplain.backends import torch_attr

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                          nn.Linear(2, 3)).eval()
    x = torch.rand(3, 1, 8, 8)
    ig = torch_attr.job(model, x, method="ig", target=1, n_steps=8)
    occ = torch_attr.job(model, x, method="occlusion", target=1, sliding_window_shapes=(1, 2, 2))
    w = ImageOverlay(job={"IG": ig, "occlusion": occ})
    assert ig.wait(10) and occ.wait(10)
    assert w._panel_labels == ["IG", "occlusion"] and w._signed.shape == (2, 3, 8, 8)
    assert w._job_status == "done" and w._total > 0 and w._done == w._total
    assert w._row_labels == ["#0 · class 1", "#1 · class 1", "#2 · class 1"]
    assert w._images.shape == (3, 8, 8, 1)  # the inputs come with the Explanation
    np.testing.assert_allclose(w._signed[0], ig.result.values[..., 0], rtol=1e-5)


def test_two_channel_images_from_a_torch_attribution():
    """A 2-channel model (e.g. a pair of stacked frames): the attribution's Explanation draws, summed over both
    channels, over the first channel in gray; the hover's image values carry both channels."""
    torch = pytest.importorskip("torch")
    from ipyexplain.backends import torch_attr

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),
                                torch.nn.Flatten(), torch.nn.Linear(4, 3)).eval()
    x = torch.rand(3, 2, 12, 12)
    explanation = torch_attr.compute(model, x, method="saliency", target=1)
    assert explanation.values.shape == (3, 12, 12, 2)
    w = ImageOverlay(explanation)
    np.testing.assert_allclose(w._signed[0], explanation.values.sum(axis=-1), rtol=1e-5)
    np.testing.assert_allclose(w._images, x.permute(0, 2, 3, 1).numpy())
