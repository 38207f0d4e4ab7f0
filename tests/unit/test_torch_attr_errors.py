"""Bad input to the Captum attributions: clear errors in the caller's thread, naming the problem."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("captum")

from torch import nn  # noqa: E402

from ipyexplain.backends import torch_attr as ta  # noqa: E402


@pytest.fixture(scope="module")
def cnn():
    torch.manual_seed(0)
    model = nn.Sequential()
    model.add_module("features", nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU()))
    model.add_module("pool", nn.AdaptiveAvgPool2d(1))
    model.add_module("flat", nn.Flatten())
    model.add_module("classifier", nn.Linear(4, 3))
    return model.eval()


def test_unknown_method_lists_the_valid_ones(cnn):
    with pytest.raises(ValueError, match=r"unknown method 'lrp'.*saliency, integrated_gradients, smoothgrad"):
        ta.stream(cnn, torch.randn(2, 1, 8, 8), method="lrp")


def test_unknown_option_lists_the_valid_ones(cnn):
    with pytest.raises(TypeError, match=r"'n_step'.*valid options: .*n_steps"):
        ta.stream(cnn, torch.randn(2, 1, 8, 8), method="ig", n_step=3)


def test_wrong_rank_channels_and_missing_batch_dimension(cnn):
    with pytest.raises(ValueError, match=r"3 channels .* expects 1: images of shape \(N, 1, H, W\)"):
        ta.stream(cnn, torch.randn(2, 3, 8, 8), method="saliency")
    with pytest.raises(ValueError, match=r"without a batch dimension; pass inputs\[None\]"):
        ta.stream(cnn, torch.randn(1, 8, 8), method="saliency")
    with pytest.raises(ValueError, match=r"expecting a batch of images \(N, 1, H, W\)"):
        ta.stream(cnn, torch.randn(2, 64), method="saliency")
    with pytest.raises(ValueError, match=r"expected a batch"):
        ta.stream(nn.Linear(3, 2), torch.randn(3), method="saliency")
    with pytest.raises(ValueError, match=r"cannot run on the inputs .*\(2, 5\).*Linear expecting \(N, 3\)"):
        ta.stream(nn.Linear(3, 2), torch.randn(2, 5), method="saliency")


def test_dtype_errors(cnn):
    with pytest.raises(TypeError, match=r"dtype torch.bool; expected float values or integer token ids"):
        ta.stream(cnn, torch.zeros(2, 1, 8, 8, dtype=torch.bool), method="saliency")
    with pytest.raises(TypeError, match=r"must be a torch.Tensor or numpy array; got list"):
        ta.stream(cnn, [[1, 2, 3]], method="saliency")
    with pytest.raises(ValueError, match=r"has no nn.Embedding"):  # integer ids into a model without an embedding
        ta.stream(nn.Linear(3, 2), torch.ones(2, 3, dtype=torch.long), method="saliency")


def test_layer_not_in_model_lists_close_names(cnn):
    with pytest.raises(ValueError, match=r"layer 'feature.0'.*Did you mean 'features.0'.*Valid layers: features, "):
        ta.stream(cnn, torch.randn(2, 1, 8, 8), method="grad_cam", layer="feature.0")
    with pytest.raises(ValueError, match=r"layer= applies to grad_cam and to token-id inputs"):
        ta.stream(cnn, torch.randn(2, 1, 8, 8), method="saliency", layer="features.0")
    with pytest.raises(ValueError, match=r"grad_cam: layer 'classifier' gives attributions of shape \(2, 1\)"):
        ta.compute(cnn, torch.randn(2, 1, 8, 8), method="grad_cam", layer="classifier", target=0)


def test_target_out_of_range_and_bad_targets(cnn):
    x = torch.randn(2, 1, 8, 8)
    with pytest.raises(ValueError, match=r"target 3 is out of range: the model has 3 outputs \(valid targets 0..2\)"):
        ta.stream(cnn, x, method="saliency", target=3)
    with pytest.raises(ValueError, match=r"target has 3 entries for 2 samples"):
        ta.stream(cnn, x, method="saliency", target=[0, 1, 2])
    with pytest.raises(ValueError, match=r"single output; target must be None"):
        ta.stream(nn.Linear(3, 1), torch.randn(2, 3), method="saliency", target=2)
    with pytest.raises(ValueError, match=r"target must be a class index"):
        ta.stream(cnn, x, method="saliency", target="best")


def test_not_a_torch_model():
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(TypeError, match=r"model must be a torch.nn.Module.*got LogisticRegression"):
        ta.stream(LogisticRegression(), np.zeros((2, 3)), method="saliency")


def test_inputs_on_another_device_than_the_model(cnn):
    meta = nn.Linear(3, 2).to("meta")
    with pytest.raises(ValueError, match=r"inputs is on cpu but the model's parameters are on meta"):
        ta.stream(meta, torch.randn(2, 3), method="saliency")


class NoGrad(nn.Module):
    """A model whose output does not depend differentiably on its input."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        with torch.no_grad():
            return self.fc(x)


def test_model_without_gradients_suggests_occlusion():
    with pytest.raises(ValueError, match=r"does not depend differentiably.*use method='occlusion'"):
        ta.stream(NoGrad(), torch.randn(2, 3), method="ig")
    assert ta.compute(NoGrad(), torch.randn(2, 3), method="occlusion", target=0).values.shape == (2, 3)


def test_training_mode_warns_switches_to_eval_and_restores():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Dropout(0.9), nn.Linear(8, 2))
    model.train()
    x = torch.randn(4, 3)
    with pytest.warns(UserWarning, match=r"training mode: switched to eval"):
        stream = ta.stream(model, x, method="saliency", target=0)
    assert model.training  # restored after the checks
    modes = []
    for _ in stream:
        modes.append(model.training)
    assert modes and not any(modes)  # eval while attributing (dropout off: deterministic)
    assert model.training  # and restored at the end
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = ta.compute(model, x, method="saliency", target=0).values
        b = ta.compute(model, x, method="saliency", target=0).values
    np.testing.assert_array_equal(a, b)


def test_bad_baselines_windows_and_method_for_tokens(cnn):
    x = torch.randn(2, 1, 8, 8)
    with pytest.raises(ValueError, match=r"baselines for inputs have shape \(3, 1, 8, 8\)"):
        ta.stream(cnn, x, method="ig", baselines=torch.zeros(3, 1, 8, 8))
    with pytest.raises(ValueError, match=r"does not fit"):
        ta.stream(cnn, x, method="occlusion", sliding_window_shapes=(1, 9, 9))
    with pytest.raises(ValueError, match=r"would skip cells"):
        ta.stream(cnn, x, method="occlusion", sliding_window_shapes=(1, 2, 2), strides=(1, 3, 3))
    text = nn.Sequential(nn.Embedding(10, 4), nn.Flatten(), nn.Linear(12, 2))
    with pytest.raises(ValueError, match=r"does not apply to token ids; valid methods for token inputs"):
        ta.stream(text, torch.ones(2, 3, dtype=torch.long), method="smoothgrad")
    with pytest.raises(ValueError, match=r"tokens must give 3 strings"):
        ta.stream(text, torch.ones(2, 3, dtype=torch.long), method="ig", tokens=[["a", "b"], ["c", "d"]])


# compute() checks the model's output on the attribution's own first forward pass (no trial pass):
# the same errors, raised from compute, and no pass more than Captum makes.
def _forward_counter(model):
    calls = []
    model.register_forward_pre_hook(lambda module, args: calls.append(args[0].shape[0]))
    return calls


def test_compute_makes_no_forward_pass_more_than_captum(cnn):
    from captum.attr import LayerGradCam, Saliency

    x, target = torch.randn(3, 1, 8, 8), torch.tensor([0, 2, 1])
    model = nn.Sequential(*cnn.children()).eval()
    calls = _forward_counter(model)
    Saliency(model).attribute(x, target=target)
    LayerGradCam(model, model[0]).attribute(x, target=target)
    captum_calls, calls[:] = list(calls), []
    ta.compute(model, x, method="saliency", target=target)
    ta.compute(model, x, method="grad_cam", target=target, layer="0")
    assert calls == captum_calls == [3, 3]
    ta.stream(model, x, method="saliency", target=target)  # a stream checks on one sample before any work
    assert calls[-1] == 1


@pytest.mark.parametrize("method", ["saliency", "ig", "grad_cam", "deeplift", "occlusion", "smoothgrad"])
def test_compute_raises_the_stream_errors(cnn, method):
    x = torch.randn(2, 1, 8, 8)
    layer = {"layer": "features.0"} if method == "grad_cam" else {}
    with pytest.raises(ValueError, match=r"target 3 is out of range: the model has 3 outputs \(valid targets 0..2\)"):
        ta.compute(cnn, x, method=method, target=3, **layer)
    with pytest.raises(ValueError, match=r"target -1 is out of range"):
        ta.compute(cnn, x, method=method, target=[0, -1], **layer)
    with pytest.raises(ValueError, match=r"2 class_names for a model with 3 outputs"):
        ta.compute(cnn, x, method=method, target=0, class_names=["a", "b"], **layer)
    # a failed call leaves no Captum hooks behind: the next one works and equals a stream's result
    assert not any(m._forward_hooks or m._forward_pre_hooks or m._backward_hooks for m in cnn.modules())
    done = ta.compute(cnn, x, method=method, target=[0, 1], random_state=0, **layer) if method == "smoothgrad" \
        else ta.compute(cnn, x, method=method, target=[0, 1], **layer)
    streamed = None
    kwargs = {"random_state": 0} if method == "smoothgrad" else {}
    for part in ta.stream(cnn, x, method=method, target=[0, 1], **layer, **kwargs):
        streamed = part.result
    np.testing.assert_allclose(done.values, streamed.values, rtol=1e-5, atol=1e-6)


def test_compute_errors_of_the_model_itself():
    for method in ("saliency", "ig", "deeplift", "gradient_shap"):
        with pytest.raises(ValueError, match=r"does not depend differentiably.*use method='occlusion'"):
            ta.compute(NoGrad().eval(), torch.randn(2, 3), method=method, target=0)
    with pytest.raises(ValueError, match=r"cannot run on the inputs .*\(2, 5\).*Linear expecting \(N, 3\)"):
        ta.compute(nn.Linear(3, 2), torch.randn(2, 5), method="saliency", target=0)
    with pytest.raises(ValueError, match=r"single output; target must be None \(or 0\); got 2"):
        ta.compute(nn.Linear(3, 1), torch.randn(2, 3), method="ig", target=2)
    with pytest.raises(ValueError, match=r"output has shape \(2, 2, 2\) for 2 sample"):
        ta.compute(nn.Sequential(nn.Linear(3, 4), nn.Unflatten(1, (2, 2))),
                   torch.randn(2, 3), method="saliency")
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 2))
    with pytest.warns(UserWarning, match=r"training mode: switched to eval"):
        ta.compute(model, torch.randn(2, 3), method="saliency", target=0)
    assert model.training


@pytest.mark.parametrize("method", ["saliency", "ig", "deeplift", "occlusion"])
def test_compute_target_zero_of_a_single_output_model(method):
    """target=0 of an (N,) output is handed to Captum before the output is seen: the numbers are those of
    target None (Captum on the model directly)."""
    from captum.attr import DeepLift, IntegratedGradients, Occlusion, Saliency

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1), nn.Flatten(0)).eval()
    x = torch.randn(5, 4)
    ref = {"saliency": lambda: Saliency(model).attribute(x),
           "ig": lambda: IntegratedGradients(model).attribute(x, n_steps=50),
           "deeplift": lambda: DeepLift(model).attribute(x),
           "occlusion": lambda: Occlusion(model).attribute(x, sliding_window_shapes=(1,))}[method]()
    got = ta.compute(model, x, method=method, target=0)
    np.testing.assert_allclose(got.values, ref.detach().numpy(), rtol=1e-4, atol=1e-6)
    assert ta.info_of(got).targets is None
