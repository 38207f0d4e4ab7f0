"""Captum attributions through ipyexplain equal Captum's own numbers, and they stream."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")
captum_attr = pytest.importorskip("captum.attr")

from torch import nn  # noqa: E402

from ipyexplain.backends import torch_attr as ta  # noqa: E402

TOL = dict(rtol=1e-4, atol=1e-6)


class CNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(4, 6, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.fc = nn.Linear(24, 3)

    def forward(self, x):
        return self.fc(self.pool(self.relu2(self.conv2(self.relu1(self.conv1(x))))).flatten(1))


class Text(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(20, 8)
        self.fc = nn.Linear(8, 2)

    def forward(self, ids):
        return self.fc(torch.tanh(self.emb(ids)).mean(1))


class Multi(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3)
        self.img = nn.Linear(3, 4)
        self.tab = nn.Linear(5, 4)
        self.head = nn.Linear(8, 2)

    def forward(self, img, tab):
        return self.head(torch.cat([self.img(self.conv(img).mean((2, 3))), self.tab(tab)], 1))


@pytest.fixture(scope="module")
def cnn():
    torch.manual_seed(0)
    return CNN().eval(), torch.randn(5, 1, 8, 8)


def nhwc(t):
    return t.detach().permute(0, 2, 3, 1).numpy()


def test_saliency_ig_deeplift_gradcam_equal_captum(cnn):
    model, x = cnn
    e = ta.compute(model, x, method="saliency", target=1)
    np.testing.assert_allclose(e.values, nhwc(captum_attr.Saliency(model).attribute(x, target=1)), **TOL)
    assert e.values.shape == (5, 8, 8, 1) and e.data.shape == (5, 8, 8, 1)

    e = ta.compute(model, x, method="ig", target=1, n_steps=20)
    ref, delta = captum_attr.IntegratedGradients(model).attribute(x, target=1, n_steps=20,
                                                                  return_convergence_delta=True)
    np.testing.assert_allclose(e.values, nhwc(ref), **TOL)
    info = ta.info_of(e)
    np.testing.assert_allclose(info.delta, delta.numpy(), atol=1e-5)
    assert info.method == "integrated_gradients" and not info.partial and info.computed.all()
    # base values: the model's output at the baseline, so values sum to f(x) - f(baseline) (completeness)
    out = model(x)[:, 1].detach().numpy()
    np.testing.assert_allclose(e.values.reshape(5, -1).sum(1) + e.base_values, out, atol=1e-3)

    e = ta.compute(model, x, method="deeplift", target=[0, 1, 2, 0, 1])
    ref = captum_attr.DeepLift(model).attribute(x, target=torch.tensor([0, 1, 2, 0, 1]))
    np.testing.assert_allclose(e.values, nhwc(ref), **TOL)

    e = ta.compute(model, x, method="grad_cam", target=2, layer="conv1")
    cam = captum_attr.LayerGradCam(model, model.conv1).attribute(x, target=2, relu_attributions=True)
    ref = captum_attr.LayerAttribution.interpolate(cam, (8, 8), interpolate_mode="bilinear")
    np.testing.assert_allclose(e.values, nhwc(ref), **TOL)
    assert ta.info_of(e).layer == "conv1"
    assert ta.info_of(ta.compute(model, x[:1], method="gradcam")).layer == "conv2"  # default: the last Conv2d


def test_occlusion_equals_captum_and_fills_window_by_window(cnn):
    model, x = cnn
    parts = list(ta.stream(model, x, method="occlusion", target=0, sliding_window_shapes=(1, 3, 3),
                           strides=(1, 2, 2), perturbations_per_eval=4, min_interval=0))
    ref = captum_attr.Occlusion(model).attribute(x, target=0, sliding_window_shapes=(1, 3, 3), strides=(1, 2, 2))
    np.testing.assert_allclose(parts[-1].result.values, nhwc(ref), **TOL)
    assert parts[-1].total == 16 and [p.done for p in parts] == [4, 8, 12, 16]
    missing = [int(np.isnan(p.result.values).sum()) for p in parts]
    assert missing[0] > missing[1] > missing[2] > missing[3] == 0  # fills in window by window
    assert [ta.info_of(p.result).partial for p in parts] == [True, True, True, False]


def test_ig_sharpens_over_steps(cnn):
    model, x = cnn
    parts = list(ta.stream(model, x, method="ig", target=1, n_steps=32, step_chunks=4, min_interval=0))
    assert len(parts) == 4 and [p.done for p in parts] == [1, 2, 3, 4]
    final = parts[-1].result.values
    errors = [np.abs(p.result.values - final).mean() for p in parts]
    assert errors[-1] == 0 and errors[0] > 0
    assert not np.isnan(parts[0].result.values).any()  # every pixel has an estimate from the first stage
    deltas = [np.abs(ta.info_of(p.result).delta).mean() for p in parts]
    assert deltas[-1] <= deltas[0]


def test_smoothgrad_and_gradient_shap_equal_captum_with_the_same_seed(cnn):
    model, x = cnn
    torch.manual_seed(3)
    ref = captum_attr.NoiseTunnel(captum_attr.Saliency(model)).attribute(
        x, target=1, nt_samples=8, nt_samples_batch_size=2, stdevs=0.3, nt_type="vargrad")
    parts = list(ta.stream(model, x, method="smoothgrad", target=1, nt_samples=8, sample_chunk=2, stdevs=0.3,
                           random_state=3, nt_type="vargrad", min_interval=0))
    np.testing.assert_allclose(parts[-1].result.values, nhwc(ref), **TOL)
    assert len(parts) == 4  # sharpens as noisy samples accumulate

    torch.manual_seed(3)
    ref = captum_attr.NoiseTunnel(captum_attr.Saliency(model)).attribute(x, target=1, nt_samples=5, stdevs=0.2)
    e = ta.compute(model, x, method="smoothgrad", target=1, nt_samples=5, sample_chunk=5, stdevs=0.2, random_state=3)
    np.testing.assert_allclose(e.values, nhwc(ref), **TOL)

    baselines = torch.randn(10, 1, 8, 8)
    torch.manual_seed(4)
    np.random.seed(4)
    ref = captum_attr.GradientShap(model).attribute(x, baselines=baselines, target=1, n_samples=6)
    before = np.random.get_state()[1].copy()
    e = ta.compute(model, x, method="gradient_shap", baselines=baselines, target=1, n_samples=6, sample_chunk=6,
                   random_state=4)
    np.testing.assert_allclose(e.values, nhwc(ref), **TOL)
    assert np.array_equal(np.random.get_state()[1], before)  # the global generators are left as they were


def test_token_ids_through_the_embedding_equal_captum_layer_methods():
    torch.manual_seed(0)
    model, ids = Text().eval(), torch.randint(1, 20, (3, 6))
    vocab = [f"w{i}" for i in range(20)]
    e = ta.compute(model, ids, method="ig", target=1, vocab=vocab)
    ref = captum_attr.LayerIntegratedGradients(model, model.emb).attribute(ids, baselines=torch.zeros_like(ids),
                                                                           target=1)
    np.testing.assert_allclose(e.values, ref.sum(-1).detach().numpy(), **TOL)
    assert e.values.shape == (3, 6) and list(e.data[0]) == [vocab[i] for i in ids[0]]
    assert ta.info_of(e).kind == "tokens" and ta.info_of(e).layer == "emb"

    e = ta.compute(model, ids, method="deeplift", target=1)
    ref = captum_attr.LayerDeepLift(model, model.emb).attribute(ids, baselines=torch.zeros_like(ids), target=1)
    np.testing.assert_allclose(e.values, ref.sum(-1).detach().numpy(), **TOL)

    e = ta.compute(model, ids, method="saliency", target=1)
    ref = captum_attr.LayerGradientXActivation(model, model.emb, multiply_by_inputs=False).attribute(ids, target=1)
    np.testing.assert_allclose(e.values, ref.norm(dim=-1).detach().numpy(), **TOL)

    e = ta.compute(model, ids, method="occlusion", target=1, baselines=0)
    ref = captum_attr.Occlusion(model).attribute(ids, baselines=0, target=1, sliding_window_shapes=(1,))
    np.testing.assert_allclose(e.values, ref.detach().numpy(), **TOL)

    one = ta.compute(model, ids[:1], method="ig", target=0, tokens=["a", "b", "c", "d", "e", "f"])
    assert one.feature_names == ["a", "b", "c", "d", "e", "f"]


@pytest.mark.parametrize("baselines", [None, "distribution"])
def test_gradient_shap_on_token_ids_equals_captum_on_the_embeddings(baselines):
    """Captum's recipe for text: an interpretable embedding layer, GradientShap on the embeddings (its
    LayerGradientShap interpolates the ids themselves, which fails on integers)."""
    import copy

    torch.manual_seed(0)
    model, ids = Text().eval(), torch.randint(1, 20, (3, 6))
    base_ids = torch.zeros(1, 6, dtype=torch.long) if baselines is None else torch.randint(0, 20, (4, 6))
    given = {} if baselines is None else {"baselines": base_ids}
    e = ta.compute(model, ids, method="gradient_shap", target=1, n_samples=8, sample_chunk=8, random_state=3, **given)
    twin = copy.deepcopy(model)
    emb = captum_attr.configure_interpretable_embedding_layer(twin, "emb")
    try:
        torch.manual_seed(3)
        np.random.seed(3)
        ref = captum_attr.GradientShap(twin).attribute(emb.indices_to_embeddings(ids), n_samples=8, stdevs=0.0,
                                                       baselines=emb.indices_to_embeddings(base_ids), target=1)
    finally:
        captum_attr.remove_interpretable_embedding_layer(twin, emb)
    np.testing.assert_allclose(e.values, ref.sum(-1).detach().numpy(), **TOL)
    assert e.values.shape == (3, 6) and ta.info_of(e).layer == "emb"
    # expected gradients: the values add up to about f(ids) - E f(baseline) (exactly, for many samples)
    big = ta.compute(model, ids, method="gradient_shap", target=1, n_samples=400, random_state=0, **given)
    with torch.no_grad():
        gain = model(ids)[:, 1] - model(base_ids)[:, 1].mean()
    np.testing.assert_allclose(big.values.sum(1), gain.numpy(), atol=0.02)


def test_tabular_and_predicted_targets():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)).eval()
    x = torch.randn(6, 4)
    e = ta.compute(model, x, method="ig", feature_names=list("abcd"))
    predicted = model(x).argmax(1)
    ref = captum_attr.IntegratedGradients(model).attribute(x, target=predicted)
    np.testing.assert_allclose(e.values, ref.detach().numpy(), **TOL)
    assert e.feature_names == list("abcd")
    np.testing.assert_array_equal(ta.info_of(e).targets, predicted.numpy())


def test_multi_input_parts_equal_captum_and_shares_follow_the_branch_used():
    torch.manual_seed(0)
    model = Multi().eval()
    img, tab = torch.randn(4, 1, 8, 8), torch.randn(4, 5)
    e = ta.compute(model, {"image": img, "tabular": tab}, method="ig", target=0)
    ref = captum_attr.IntegratedGradients(model).attribute((img, tab), target=0)
    parts = ta.parts_of(e)
    np.testing.assert_allclose(parts["image"].values, nhwc(ref[0]), **TOL)
    np.testing.assert_allclose(parts["tabular"].values, ref[1].detach().numpy(), **TOL)
    assert e.feature_names == ["image", "tabular"] and e.values.shape == (4, 2)
    np.testing.assert_allclose(e.values.sum(1), 1.0, atol=1e-6)

    with torch.no_grad():  # the tabular branch switched off: all attribution goes to the image
        model.tab.weight.zero_()
    e = ta.compute(model, (img, tab), method="saliency", target=0, input_names=["img", "tab"])
    np.testing.assert_allclose(e.values[:, 0], 1.0)
    np.testing.assert_allclose(e.values[:, 1], 0.0)
    # Grad-CAM explains the image only: the tabular input has no share (NaN), not a zero one
    e = ta.compute(model, (img, tab), method="grad_cam", target=0)
    assert np.isnan(e.values[:, 1]).all() and np.allclose(e.values[:, 0], 1.0)


def test_hugging_face_model_from_a_config():
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    cfg = transformers.BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                  intermediate_size=32, max_position_embeddings=16, num_labels=3)
    model = transformers.BertForSequenceClassification(cfg).eval()
    ids = torch.randint(5, 50, (2, 7))
    e = ta.compute(model, ids, method="ig", target=2, n_steps=16)
    ref = captum_attr.LayerIntegratedGradients(lambda i: model(i).logits, model.bert.embeddings.word_embeddings)
    ref = ref.attribute(ids, baselines=torch.zeros_like(ids), target=2, n_steps=16)
    np.testing.assert_allclose(e.values, ref.sum(-1).detach().numpy(), rtol=1e-4, atol=1e-5)
    assert ta.info_of(e).layer == "bert.embeddings.word_embeddings"


def test_partials_are_folded_to_at_most_one_per_min_interval(cnn):
    model, x = cnn
    every = list(ta.stream(model, x, method="occlusion", target=0, sliding_window_shapes=(1, 1, 1),
                           perturbations_per_eval=1, min_interval=0))
    folded = list(ta.stream(model, x, method="occlusion", target=0, sliding_window_shapes=(1, 1, 1),
                            perturbations_per_eval=1, min_interval=60))
    assert len(every) == 64 and len(folded) == 2  # the first piece, then the final result
    assert folded[-1].done == folded[-1].total == 64 and not ta.info_of(folded[-1].result).partial
    np.testing.assert_array_equal(folded[-1].result.values, every[-1].result.values)


def test_job_streams_and_cancels(cnn):
    model, x = cnn
    job = ta.job(model, x, method="occlusion", target=0, sliding_window_shapes=(1, 2, 2), strides=(1, 1, 1),
                 perturbations_per_eval=1)
    job.wait(10)
    assert job.status == "done" and not ta.info_of(job.result).partial

    class Slow(CNN):
        def forward(self, x):
            time.sleep(0.01)
            return super().forward(x)

    slow = Slow().eval()
    job = ta.job(slow, x, method="occlusion", target=0, sliding_window_shapes=(1, 1, 1), perturbations_per_eval=1)
    first = threading.Event()
    job.observe(lambda j: first.set())
    assert first.wait(10)
    job.cancel()
    assert job.wait(10)
    assert job.status == "cancelled"
    info = ta.info_of(job.result)
    assert info.partial and 0 < info.done < info.total == 64  # windows (all 5 images in each call)
    assert np.isnan(job.result.values).any()  # the windows not done yet are "not computed"
