"""An ensemble's attribution split over its sub-networks (``submodels=``): each part equals Captum on that
sub-network (scaled by its weight in the ensemble), and the parts add up to the ensemble's attribution."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
captum_attr = pytest.importorskip("captum.attr")

from torch import nn  # noqa: E402

from ipyexplain.backends import torch_attr as ta  # noqa: E402

TOL = dict(rtol=1e-4, atol=1e-6)


def member(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(),
                         nn.Linear(12, 3))


class MeanEnsemble(nn.Module):
    def __init__(self, skip: bool = False) -> None:
        super().__init__()
        self.members = nn.ModuleList([member(s) for s in range(3)])
        self.skip = nn.Linear(64, 3) if skip else None

    def forward(self, x):
        out = torch.stack([m(x) for m in self.members]).mean(0)
        return out if self.skip is None else out + self.skip(x.flatten(1))


@pytest.fixture(scope="module")
def ensemble():
    torch.manual_seed(5)
    return MeanEnsemble().eval(), torch.randn(4, 1, 8, 8)


def nhwc(t):
    return t.detach().permute(0, 2, 3, 1).numpy()


@pytest.mark.parametrize("method,captum,kwargs", [
    ("ig", "IntegratedGradients", {"n_steps": 20}),
    ("deeplift", "DeepLift", {}),
    ("saliency", "Saliency", {"abs": False}),
])
def test_parts_equal_captum_on_each_sub_network_and_add_up(ensemble, method, captum, kwargs):
    model, x = ensemble
    target = torch.tensor([0, 1, 2, 0])
    e = ta.compute(model, x, method=method, target=target, submodels="auto", **kwargs)
    info = ta.info_of(e)
    assert info.kind == "submodels" and info.submodels == ("members.0", "members.1", "members.2")
    parts = ta.parts_of(e)
    for i, m in enumerate(model.members):
        ref = getattr(captum_attr, captum)(m).attribute(x, target=target, **kwargs) / 3  # a mean of 3
        np.testing.assert_allclose(parts[f"members.{i}"].values, nhwc(ref), **TOL)
    whole = getattr(captum_attr, captum)(model).attribute(x, target=target, **kwargs)
    np.testing.assert_allclose(info.combined.values, nhwc(whole), **TOL)  # completeness of the split
    np.testing.assert_allclose(sum(p.values for p in parts.values()), nhwc(whole), **TOL)
    # shares of |attribution| per sample, and each part's signed sum
    assert e.values.shape == (4, 3) and e.feature_names == list(info.submodels)
    np.testing.assert_allclose(e.values.sum(1), 1.0, atol=1e-6)
    np.testing.assert_allclose(info.totals, np.stack([p.values.reshape(4, -1).sum(1) for p in parts.values()], 1),
                               rtol=1e-5, atol=1e-6)


def test_ig_parts_are_each_sub_networks_part_of_the_output_change(ensemble):
    model, x = ensemble
    e = ta.compute(model, x, method="ig", target=1, submodels=["members.0", "members.1", "members.2"], n_steps=64)
    info = ta.info_of(e)
    with torch.no_grad():
        gains = np.stack([((m(x) - m(torch.zeros_like(x)))[:, 1] / 3).numpy() for m in model.members], 1)
    np.testing.assert_allclose(info.totals, gains, atol=2e-3)
    assert np.abs(info.delta).max() < 5e-3  # the parts' sums add up to f(x) - f(baseline)
    np.testing.assert_allclose(info.combined.base_values, model(torch.zeros_like(x))[:, 1].detach().numpy(), atol=1e-6)


def test_sampling_methods_use_the_same_noise_in_every_part(ensemble):
    model, x = ensemble
    for method, kw in (("gradient_shap", {"baselines": torch.zeros(3, 1, 8, 8), "n_samples": 6}),
                       ("smoothgrad", {"abs": False, "nt_samples": 4, "stdevs": 0.3})):
        whole = ta.compute(model, x, method=method, target=0, random_state=3, **kw)
        split = ta.compute(model, x, method=method, target=0, random_state=3, submodels="auto", **kw)
        np.testing.assert_allclose(sum(p.values for p in ta.parts_of(split).values()), whole.values, **TOL)
        torch.manual_seed(0)  # no seed given: one is drawn, the same for every part
        unseeded = ta.compute(model, x, method=method, target=0, submodels="auto", **kw)
        info = ta.info_of(unseeded)
        np.testing.assert_allclose(sum(p.values for p in info.parts.values()), info.combined.values, **TOL)


def test_a_path_around_the_sub_networks_is_its_own_part():
    torch.manual_seed(1)
    model, x = MeanEnsemble(skip=True).eval(), torch.randn(3, 1, 8, 8)
    e = ta.compute(model, x, method="ig", target=2, submodels="auto", n_steps=16)
    info = ta.info_of(e)
    assert info.submodels == ("members.0", "members.1", "members.2", "other paths")
    whole = captum_attr.IntegratedGradients(model).attribute(x, target=2, n_steps=16)
    np.testing.assert_allclose(sum(p.values for p in info.parts.values()), nhwc(whole), **TOL)
    skip_only = captum_attr.IntegratedGradients(lambda v: model.skip(v.flatten(1))).attribute(x, target=2, n_steps=16)
    np.testing.assert_allclose(info.parts["other paths"].values, nhwc(skip_only), **TOL)


def test_tabular_ensemble_streams_one_sub_network_after_another():
    torch.manual_seed(2)

    class Vote(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2))
            self.b = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2))

        def forward(self, x):
            return 0.7 * self.a(x) + 0.3 * self.b(x)

    model, x = Vote().eval(), torch.randn(5, 4)
    states = [p.result for p in ta.stream(model, x, method="ig", target=1, submodels="auto", n_steps=8,
                                          step_chunks=2, feature_names=list("pqrs"), min_interval=0)]
    first_parts = [ta.parts_of(s) for s in states]
    assert len(states) == 4 and [ta.info_of(s).done for s in states] == [1, 2, 3, 4]
    assert ta.info_of(states[0]).total == 4
    # the second sub-network is still empty while the first sharpens; its shares are not there yet
    assert np.isnan(first_parts[1]["b"].values).all() and not np.isnan(first_parts[1]["a"].values).any()
    assert np.isnan(states[1].values).all() and ta.info_of(states[1]).partial
    final = states[-1]
    assert not ta.info_of(final).partial and final.feature_names == ["a", "b"]
    ref_a = captum_attr.IntegratedGradients(model.a).attribute(x, target=1, n_steps=8) * 0.7
    np.testing.assert_allclose(ta.parts_of(final)["a"].values, ref_a.detach().numpy(), **TOL)
    assert ta.parts_of(final)["a"].feature_names == list("pqrs")


def test_bad_submodels(ensemble):
    model, x = ensemble
    with pytest.raises(ValueError, match=r"saliency takes \|gradient\|.*abs=False"):
        ta.stream(model, x, method="saliency", submodels="auto")
    for method in ("grad_cam", "occlusion"):
        with pytest.raises(ValueError, match=rf"linear in the gradient.*; {method} "):
            ta.stream(model, x, method=method, submodels="auto")
    with pytest.raises(ValueError, match=r"nt_type='smoothgrad'"):
        ta.stream(model, x, method="smoothgrad", abs=False, nt_type="vargrad", submodels="auto")
    plain = member(0).eval()
    with pytest.raises(ValueError, match=r"found no ensemble in Sequential: only '0' takes the input"):
        ta.stream(plain, x, method="ig", submodels="auto")
    with pytest.raises(ValueError, match=r"'members.0.0' is listed twice or inside 'members.0'"):
        ta.stream(model, x, method="ig", submodels=["members.0", "members.0.0"])
    with pytest.raises(ValueError, match=r"layer 'members.7' \(a sub-network\) is not in MeanEnsemble"):
        ta.stream(model, x, method="ig", submodels=["members.0", "members.7"])
    with pytest.raises(ValueError, match=r"at least two module names"):
        ta.stream(model, x, method="ig", submodels="members.0")

    class Two(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = nn.Linear(3, 2), nn.Linear(3, 2)

        def forward(self, u, v):
            return self.a(u) + self.b(v)

    with pytest.raises(ValueError, match=r"one shared float input.*several inputs get each input's share"):
        ta.stream(Two(), (torch.randn(2, 3), torch.randn(2, 3)), method="ig", submodels="auto")
