"""Faithfulness: a correct attribution of a known linear model beats random order; images; the live view."""

from __future__ import annotations

import numpy as np
import pytest
import shap
from sklearn.linear_model import LinearRegression, LogisticRegression

from ipyexplain.backends import faithfulness as fa
from ipyexplain.deep import faithfulness
from ipyexplain.views.faithfulness import FaithfulnessView


@pytest.fixture(scope="module")
def linear():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 8))
    w = np.array([3.0, -2.0, 1.5, 0.0, 0.5, -0.25, 0.0, 1.0])
    y = (X @ w + rng.normal(scale=0.5, size=400) > 0).astype(int)
    return X, w, LogisticRegression().fit(X, y)


def test_the_true_attribution_of_a_linear_model_beats_random_order(linear):
    X, _, model = linear
    rows = X[:60]
    exact = (rows - X.mean(0)) * model.coef_[0]  # the exact SHAP values of a linear model
    r = fa.compute(model, rows, exact, target=1, baseline=X.mean(0), steps=8, n_random=4)
    assert r.fractions.tolist() == pytest.approx(np.linspace(0, 1, 9).tolist())
    assert r.auc("deletion") < r.auc("random_deletion") - 0.1
    assert r.auc("insertion") > r.auc("random_insertion") + 0.1
    # Both ends agree whatever the order: nothing removed = the model's output, all removed = the baseline's.
    p = model.predict_proba(rows)[:, 1].mean()
    assert r.deletion[0] == pytest.approx(p) and r.random_deletion[0] == pytest.approx(p)
    assert r.deletion[-1] == pytest.approx(r.insertion[0])
    # A reversed attribution is worse than random.
    bad = fa.compute(model, rows, -exact, target=1, baseline=X.mean(0), steps=8)
    assert bad.auc("deletion") > bad.auc("random_deletion")


def test_a_shap_explanation_from_shap_itself(linear):
    X, _, model = linear
    explanation = shap.LinearExplainer(model, X)(X[:40])
    r = fa.compute(model, X[:40], explanation, target=1, baseline="mean", steps=6)
    assert r.auc("insertion") > r.auc("random_insertion")


def test_regression_and_streaming_points(linear):
    X, w, _ = linear
    reg = LinearRegression().fit(X, X @ w)
    parts = list(fa.stream(reg, X[:20], X[:20] * w, steps=4, n_random=2, target=0))
    assert [p.done for p in parts] == [1, 2, 3, 4, 5] and parts[-1].total == 5
    assert np.isnan(parts[0].result.deletion[1:]).all() and np.isfinite(parts[-1].result.deletion).all()
    assert parts[-1].result.output_label == "output"


def test_images_remove_whole_pixels():
    torch = pytest.importorskip("torch")
    from torch import nn

    weights = torch.zeros(1, 2, 6, 6)
    weights[0, :, 1:3, 1:3] = 1.0

    class Square(nn.Module):
        def forward(self, x):
            s = (x * weights).sum((1, 2, 3))
            return torch.stack([s, -s], 1)

    x = torch.rand(3, 2, 6, 6) + 0.5
    attribution = (x * weights).permute(0, 2, 3, 1).numpy()  # (N, H, W, C), as ipyexplain's Explanations
    r = fa.compute(Square(), x, attribution, target=0, steps=36, n_random=3, probabilities=False)
    # The 4 attributed pixels go first: after 4 of 36 pixels the output is the baseline's (0).
    assert r.deletion[4] == pytest.approx(0.0, abs=1e-5) and r.random_deletion[4] > 0.2
    assert r.auc("deletion") < r.auc("random_deletion")


def test_errors_name_the_problem(linear):
    X, _, model = linear
    with pytest.raises(ValueError, match=r"attribution shape \(5, 3\) does not match X \(5, 8\)"):
        fa.stream(model, X[:5], np.zeros((5, 3)))
    with pytest.raises(ValueError, match="has 4 samples"):
        fa.stream(model, X[:5], np.zeros((4, 8)))
    with pytest.raises(ValueError, match=r"target 5 is out of range: the model has 2 outputs"):
        fa.stream(model, X[:5], np.zeros((5, 8)), target=5)
    with pytest.raises(ValueError, match="baseline must be"):
        fa.stream(model, X[:5], np.zeros((5, 8)), baseline="median")
    with pytest.raises(ValueError, match="steps must be at least 2"):
        fa.stream(model, X[:5], np.zeros((5, 8)), steps=1)


def test_view_draws_the_curves_and_auc_live(linear):
    X, _, model = linear
    rows = X[:30]
    view = faithfulness(model, rows, (rows - X.mean(0)) * model.coef_[0], target=1, baseline="mean", steps=5,
                        feature_names=[f"f{i}" for i in range(8)])
    assert isinstance(view, FaithfulnessView) and view.job.wait(20)
    assert len(view.lines["deletion"].x) == 6 and len(view.lines["random_insertion"].y) == 6
    assert "AUC — deletion" in view.auc.value and view.status.value.startswith("done: 6 steps")
    assert view.attribution_view is not None and view.attribution_view.col_labels[0] == "f0"
    assert view.cancel_button.layout.display == "none"


def test_token_ids_are_removed_by_putting_the_padding_id_in():
    """A bag-of-words model: the output is the sum of each token's weight (padding id 0 weighs 0), so every
    point of the curves is known; integrated gradients through the embedding gives exactly the weights."""
    torch = pytest.importorskip("torch")
    from torch import nn

    from ipyexplain.backends import torch_attr as ta

    class Bag(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(30, 2, padding_idx=0)

        def forward(self, ids):
            return self.emb(ids).sum(1)

    torch.manual_seed(0)
    model = Bag().eval()
    weight = model.emb.weight.detach().numpy()[:, 1]  # each id's contribution to output 1
    ids = torch.randint(1, 30, (6, 10))
    explanation = ta.compute(model, ids, method="ig", target=1, layer="emb", n_steps=8)
    np.testing.assert_allclose(explanation.values, weight[ids.numpy()], rtol=1e-5, atol=1e-6)
    r = fa.compute(model, ids, explanation, target=1, steps=10, n_random=3, probabilities=False)
    assert r.unit == "tokens"
    # the reference: remove (insert) the k highest-scored tokens of each sequence, k = 0..10
    contrib = weight[ids.numpy()]
    ranked = np.sort(contrib, axis=1)[:, ::-1]
    deletion = [ranked[:, k:].sum(1).mean() for k in range(11)]
    insertion = [ranked[:, :k].sum(1).mean() for k in range(11)]
    np.testing.assert_allclose(r.deletion, deletion, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(r.insertion, insertion, rtol=1e-5, atol=1e-6)
    assert r.auc("deletion") < r.auc("random_deletion") and r.auc("insertion") > r.auc("random_insertion")
    # another padding id: the removed tokens become that id's weight
    r5 = fa.compute(model, ids, explanation, target=1, steps=10, n_random=1, probabilities=False, baseline=5)
    assert r5.deletion[-1] == pytest.approx(10 * weight[5], rel=1e-5)
    with pytest.raises(ValueError, match=r"baseline for token ids is the id a removed token becomes"):
        fa.stream(model, ids, explanation, baseline="mean")
    with pytest.raises(ValueError, match=r"one value per token"):
        fa.stream(model, ids, np.zeros((6, 9)))

    view = faithfulness(model, ids, explanation, target=1, steps=4, probabilities=False)
    from ipyexplain.views.tokens import TokenView

    assert isinstance(view.attribution_view, TokenView) and view.job.wait(20)
    assert view.figure.axes[0].label == "fraction of tokens removed / inserted"
