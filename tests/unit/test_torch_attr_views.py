"""ipyexplain.deep.attribute: the right view for the input, bound to running jobs; bad input raises at once."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("captum")

from torch import nn  # noqa: E402

from ipyexplain.deep import AttributionPanel, attribute  # noqa: E402
from ipyexplain.views.bars import ImportanceBars  # noqa: E402
from ipyexplain.views.image_overlay import ImageOverlay  # noqa: E402
from ipyexplain.views.tokens import TokenView  # noqa: E402


def cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(3, 2)).eval()


def test_images_give_an_overlay_with_one_column_per_method_run_one_after_another():
    x = torch.rand(2, 1, 8, 8)
    view = attribute(cnn(), x, method=["saliency", "ig", "grad_cam"], target=1, n_steps=8, samples=[0, 1])
    assert isinstance(view, ImageOverlay)
    jobs = list(view.jobs.values())
    for job in jobs:
        assert job.wait(20)
    assert [j.status for j in jobs] == ["done"] * 3
    assert view._panel_labels == ["saliency", "integrated gradients", "grad cam"]
    assert view._signed.shape == (3, 2, 8, 8) and view._job_status == "done"
    assert "saliency" in view.title


def test_tokens_tabular_and_multi_input_views():
    torch.manual_seed(0)
    text = nn.Sequential(nn.Embedding(5, 3), nn.Flatten(), nn.Linear(6, 2)).eval()
    view = attribute(text, torch.tensor([[1, 2]]), target=0, vocab=list("abcde"), n_steps=4)
    assert isinstance(view, TokenView) and view.job.wait(10)
    assert view._tokens == [["b", "c"]]

    mlp = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).eval()
    bars = attribute(mlp, torch.rand(1, 3), target=1, feature_names=["a", "b", "c"])
    assert isinstance(bars, ImportanceBars) and bars.mode == "local" and bars.job.wait(10)

    class Multi(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)
            self.tab = nn.Linear(3, 2)

        def forward(self, img, tab):
            return self.conv(img).mean((2, 3)) + self.tab(tab)

    panel = attribute(Multi().eval(), {"image": torch.rand(2, 1, 6, 6), "tabular": torch.rand(2, 3)}, target=0,
                      feature_names={"tabular": ["x", "y", "z"]})
    assert isinstance(panel, AttributionPanel) and panel.job.wait(10)
    assert isinstance(panel.maps["image"], ImageOverlay) and isinstance(panel.maps["tabular"], ImportanceBars)
    assert panel.shares.explanation.feature_names == ["image", "tabular"]
    np.testing.assert_allclose(np.asarray(panel.shares.explanation.values).sum(1), 1.0, atol=1e-6)
    assert panel.maps["tabular"].explanation.feature_names == ["x", "y", "z"]


def test_bad_input_raises_in_the_callers_cell_before_any_job():
    with pytest.raises(ValueError, match="unknown method"):
        attribute(cnn(), torch.rand(1, 1, 8, 8), method=["ig", "nope"])
    with pytest.raises(ValueError, match="out of range"):
        attribute(cnn(), torch.rand(1, 1, 8, 8), target=7)


def test_an_ensemble_split_over_sub_networks_gives_shares_beside_whole_and_part_maps():
    torch.manual_seed(0)

    class Ensemble(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.small = cnn()
            self.wide = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                      nn.Linear(6, 2))

        def forward(self, x):
            return (self.small(x) + self.wide(x)) / 2

    model, x = Ensemble().eval(), torch.rand(2, 1, 8, 8)
    panel = attribute(model, x, method="ig", target=1, n_steps=8, submodels="auto")
    assert isinstance(panel, AttributionPanel) and panel.job.wait(20) and panel.job.status == "done"
    overlay = panel.maps["inputs"]
    assert isinstance(overlay, ImageOverlay) and overlay._job_status == "done"
    assert overlay._panel_labels == ["whole model", "small", "wide"] and overlay._signed.shape == (3, 2, 8, 8)
    # the whole model's map is the sum of the sub-networks' (signed maps: summed over channels)
    np.testing.assert_allclose(overlay._signed[0], overlay._signed[1] + overlay._signed[2], rtol=1e-4, atol=1e-6)
    assert panel.shares.explanation.feature_names == ["small", "wide"]
    assert "per sub-network" in panel.shares.title
    with pytest.raises(ValueError, match="submodels=: give one method at a time"):
        attribute(model, x, method=["ig", "deeplift"], target=1, submodels="auto")

    class Vote(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = nn.Linear(3, 2), nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))

        def forward(self, v):
            return self.a(v) + self.b(v)

    panel = attribute(Vote().eval(), torch.rand(4, 3), method="deeplift", target=0, submodels="auto",
                      feature_names=["p", "q", "r"])
    assert panel.job.wait(20)
    assert list(panel.maps) == ["whole model", "a", "b"]
    assert all(isinstance(v, ImportanceBars) for v in panel.maps.values())
    assert panel.maps["b"].explanation.feature_names == ["p", "q", "r"]
    whole, a, b = (np.asarray(panel.maps[k].explanation.values) for k in ("whole model", "a", "b"))
    np.testing.assert_allclose(whole, a + b, rtol=1e-5, atol=1e-6)
