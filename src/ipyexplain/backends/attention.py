"""Attention weights of a transformer, every layer and head, for the AttentionView.

Two sources:

- **Hugging Face models** (anything whose forward takes ``output_attentions=True`` and returns
  ``.attentions``): called once with ``output_attentions=True``. Models set to an attention kernel that
  does not return weights (``sdpa``, flash) are switched to ``"eager"`` for the call and back.
- **torch.nn.MultiheadAttention** anywhere in a model (``nn.TransformerEncoder``, custom blocks):
  each such module is asked for its per-head weights (``need_weights=True,
  average_attn_weights=False``) through forward hooks, with PyTorch's fused fast path turned off for
  the call (it skips the module and returns no weights).

The result, :class:`AttentionMaps`, holds ``weights`` of shape ``(N, layers, heads, queries, keys)``
(float32), the token strings, and the layers' names.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._torch_model import eval_mode, model_lock, require_torch
from ._torch_result import token_strings


@dataclass
class AttentionMaps:
    """Attention weights ``(N, layers, heads, queries, keys)`` with the tokens of each sample."""

    weights: np.ndarray
    tokens: list[list[str]]  # per sample, the query tokens (also the keys for self-attention)
    key_tokens: list[list[str]]
    layer_names: list[str]
    source: str  # "huggingface" or "nn.MultiheadAttention"

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.weights.shape)


def _hf_attentions(torch: Any, model: Any, ids: Any, extra: dict[str, Any]) -> list[Any] | None:
    """``model(ids, output_attentions=True).attentions``, or None when the model does not take the flag."""
    config = getattr(model, "config", None)
    if config is None:
        return None
    original = getattr(config, "_attn_implementation", None)
    switch = original not in (None, "eager") and hasattr(model, "set_attn_implementation")
    if switch:
        model.set_attn_implementation("eager")
    try:
        with torch.no_grad():
            out = model(ids, output_attentions=True, **extra)
    except TypeError:
        return None
    finally:
        if switch:
            model.set_attn_implementation(original)
    attentions = getattr(out, "attentions", None)
    if not attentions:
        raise ValueError(f"{type(model).__name__} returned no attentions with output_attentions=True "
                         f"(attention implementation {original!r}); load it with attn_implementation='eager'")
    return list(attentions)


@contextlib.contextmanager
def _fast_path_off(torch: Any) -> Iterator[None]:
    mha = getattr(torch.backends, "mha", None)
    if mha is None or not hasattr(mha, "set_fastpath_enabled"):
        yield
        return
    before = mha.get_fastpath_enabled()
    mha.set_fastpath_enabled(False)
    try:
        yield
    finally:
        mha.set_fastpath_enabled(before)


def _mha_attentions(torch: Any, model: Any, inputs: tuple[Any, ...],
                    extra: dict[str, Any]) -> tuple[list[Any], list[str]]:
    modules = [(name, m) for name, m in model.named_modules() if isinstance(m, torch.nn.MultiheadAttention)]
    if not modules:
        raise ValueError(f"{type(model).__name__} has no torch.nn.MultiheadAttention and does not return "
                         "Hugging Face style attentions (output_attentions=True)")
    captured: dict[str, Any] = {}
    handles = []

    def pre(module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        kwargs = dict(kwargs)
        kwargs["need_weights"] = True
        kwargs["average_attn_weights"] = False
        return args, kwargs

    for name, module in modules:
        handles.append(module.register_forward_pre_hook(pre, with_kwargs=True))
        handles.append(module.register_forward_hook(
            lambda m, a, out, name=name: captured.__setitem__(name, out[1] if isinstance(out, tuple) else None)))
    try:
        with torch.no_grad(), _fast_path_off(torch):
            model(*inputs, **extra)
    finally:
        for h in handles:
            h.remove()
    layers, names = [], []
    for name, _ in modules:
        w = captured.get(name)
        if w is None:
            continue
        if w.dim() == 3:  # (heads, L, S) for an unbatched call -> add the batch
            w = w.unsqueeze(0)
        layers.append(w)
        names.append(name)
    if not layers:
        raise ValueError("no MultiheadAttention module ran during the forward pass")
    return layers, names


def attention(model: Any, inputs: Any, *, tokens: Any = None, vocab: Any = None, tokenizer: Any = None,
              key_tokens: Any = None, **forward_kwargs: Any) -> AttentionMaps:
    """Attention weights of ``model`` on ``inputs`` (see the module docstring).

    Parameters
    ----------
    model : torch.nn.Module
        A Hugging Face transformer, or a model with ``nn.MultiheadAttention`` layers.
    inputs : tensor or tuple of tensors
        Token ids ``(N, T)`` for a Hugging Face model; for other models, whatever their forward takes
        (e.g. embeddings ``(N, T, E)`` for a ``batch_first`` ``nn.TransformerEncoder``).
    tokens, vocab, tokenizer : optional
        The token strings (per sample), or how to look them up from token ids; default: positions.
    key_tokens : optional
        Key tokens when they differ from the queries (cross-attention).
    **forward_kwargs
        Passed to the model (e.g. ``attention_mask``, ``src_key_padding_mask``).
    """
    torch = require_torch()
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    args = inputs if isinstance(inputs, tuple) else (inputs,)
    first = args[0]
    if not isinstance(first, torch.Tensor):
        raise TypeError(f"inputs must be a torch.Tensor (or a tuple of them); got {type(first).__name__}")
    if first.dim() < 2:
        raise ValueError(f"inputs has shape {tuple(first.shape)}; expected a batch: (N, T) token ids or "
                         "(N, T, E) embeddings (add a batch dimension with inputs[None])")
    with model_lock(model), eval_mode(model):
        layers = _hf_attentions(torch, model, first, forward_kwargs) if len(args) == 1 and \
            not first.is_floating_point() else None
        if layers is not None:
            names, source = [f"layer {i}" for i in range(len(layers))], "huggingface"
        else:
            layers, names = _mha_attentions(torch, model, args, forward_kwargs)
            source = "nn.MultiheadAttention"
    shapes = {tuple(w.shape[:2]) + tuple(w.shape[3:]) for w in layers}
    weights = torch.stack([w.detach().float().cpu() for w in layers], dim=1).numpy() if len(
        {tuple(w.shape) for w in layers}) == 1 else None
    if weights is None:
        raise ValueError(f"the attention layers have different shapes {sorted(shapes)}; pass one layer's model")
    n, _, _, queries, keys = weights.shape
    query_tokens = _strings(first, n, queries, tokens, vocab, tokenizer, "tokens")
    keys_given = key_tokens if key_tokens is not None else (tokens if queries == keys else None)
    key_strings = query_tokens if key_tokens is None and queries == keys else _strings(
        first, n, keys, keys_given, vocab, tokenizer, "key_tokens")
    return AttentionMaps(weights.astype(np.float32), query_tokens, key_strings, names, source)


def _strings(first: Any, n: int, length: int, tokens: Any, vocab: Any, tokenizer: Any, what: str) -> list[list[str]]:
    if tokens is not None:
        rows = [tokens] if tokens and isinstance(tokens[0], str) else list(tokens)
        if len(rows) == 1 and n > 1:
            rows = rows * n
        if len(rows) != n or any(len(r) != length for r in rows):
            raise ValueError(f"{what} must give {length} strings for each of the {n} samples")
        return [[str(s) for s in r] for r in rows]
    if not first.is_floating_point() and first.dim() == 2 and first.shape[1] == length:
        return [list(r) for r in token_strings(first.cpu().numpy(), None, vocab, tokenizer)]
    return [[str(i) for i in range(length)] for _ in range(n)]
