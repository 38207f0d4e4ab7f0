"""Attention weights from Hugging Face models and nn.MultiheadAttention, and the AttentionView's state."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from ipyexplain.backends.attention import attention  # noqa: E402
from ipyexplain.deep import show_attention  # noqa: E402
from ipyexplain.views.attention import AttentionView  # noqa: E402


def tiny_bert():
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    cfg = transformers.BertConfig(vocab_size=30, hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
                                  intermediate_size=32, max_position_embeddings=16, num_labels=2)
    return transformers.BertForSequenceClassification(cfg).eval()


def test_hugging_face_attentions_equal_the_models_own_and_the_kernel_is_restored():
    model = tiny_bert()
    ids = torch.randint(0, 30, (2, 6))
    mask = torch.ones_like(ids)
    mask[1, 4:] = 0
    maps = attention(model, ids, attention_mask=mask, vocab=[f"w{i}" for i in range(30)])
    assert maps.shape == (2, 2, 4, 6, 6) and maps.source == "huggingface"
    assert model.config._attn_implementation == "sdpa"  # switched to eager for the call only
    model.set_attn_implementation("eager")
    ref = model(ids, attention_mask=mask, output_attentions=True).attentions
    for layer in range(2):
        np.testing.assert_allclose(maps.weights[:, layer], ref[layer].detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(maps.weights.sum(-1), 1.0, atol=1e-5)
    assert np.allclose(maps.weights[1, :, :, :, 4:], 0)  # masked keys get no attention
    assert maps.tokens[0] == [f"w{i}" for i in ids[0].tolist()]


def test_transformer_encoder_weights_per_head_equal_multihead_attention():
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, dropout=0.0)
    encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False).eval()
    x = torch.randn(1, 5, 8)
    maps = attention(encoder, x, tokens=list("abcde"))
    assert maps.shape == (1, 2, 2, 5, 5) and maps.layer_names == ["layers.0.self_attn", "layers.1.self_attn"]
    first = encoder.layers[0]
    _, ref = first.self_attn(x, x, x, need_weights=True, average_attn_weights=False)
    np.testing.assert_allclose(maps.weights[0, 0], ref[0].detach().numpy(), atol=1e-6)
    assert torch.backends.mha.get_fastpath_enabled()  # turned back on


def test_view_selection_sends_the_selected_matrix_and_validates():
    weights = np.random.default_rng(0).dirichlet(np.ones(5), size=(1, 3, 2, 5)).astype(np.float32)
    view = AttentionView(weights, tokens=list("abcde"), title="t", thumb_px=3)
    assert view._thumbs.shape == (3, 2, 3, 3) and view._matrix.shape == (5, 5)
    np.testing.assert_allclose(view._matrix, weights[0, 0, 0])
    frame = view._frame
    view.layer, view.head = 2, 1
    np.testing.assert_allclose(view._matrix, weights[0, 2, 1])
    view.head = -1
    np.testing.assert_allclose(view._matrix, weights[0, 2].mean(0))
    assert view._frame > frame and view._tokens == list("abcde")
    with pytest.raises(ValueError, match=r"layer must be in 0..2; got 3"):
        view.layer = 3
    with pytest.raises(ValueError, match="tokens must give 5 strings"):
        AttentionView(weights, tokens=list("abc"))
    with pytest.raises(ValueError, match="cmap must be a sequential colormap"):
        AttentionView(weights, cmap="rdbu")


def test_show_attention_and_errors():
    view = show_attention(tiny_bert(), torch.randint(0, 30, (1, 4)), head=-1)
    assert isinstance(view, AttentionView) and view._layer_names == ["layer 0", "layer 1"] and view.head == -1
    with pytest.raises(ValueError, match=r"has no torch\.nn\.MultiheadAttention"):
        attention(nn.Linear(3, 2), torch.randn(2, 3))
    with pytest.raises(TypeError, match=r"must be a torch\.nn\.Module"):
        attention(lambda x: x, torch.randn(2, 3))
