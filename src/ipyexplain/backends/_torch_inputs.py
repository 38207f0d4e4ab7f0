"""Checking a torch model and its inputs before any attribution work (the boundary of ``torch_attr``).

Everything here runs in the caller's thread when ``stream()`` is called, so bad input raises in the
caller's cell with a message that names the problem: a model that is not a ``torch.nn.Module``,
inputs of the wrong rank, channels or dtype, inputs on another device than the model, a layer name
that does not exist (with the close matches), a target index out of range, a model whose output
does not depend differentiably on its input (for gradient methods).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._torch_check import OutputCheck, checked_forward, first_module, trial
from ._torch_model import default_layer, find_layer, require_torch

#: Methods, each with the names it is also known by.
METHODS: dict[str, tuple[str, ...]] = {
    "saliency": ("gradient", "vanilla_gradient"),
    "integrated_gradients": ("ig", "integratedgradients"),
    "smoothgrad": ("noise_tunnel", "smooth_grad"),
    "grad_cam": ("gradcam", "grad-cam"),
    "occlusion": (),
    "gradient_shap": ("gradshap", "gradientshap"),
    "deeplift": ("deep_lift",),
}
#: What token-id inputs (through an embedding layer) support.
TOKEN_METHODS = ("integrated_gradients", "saliency", "deeplift", "gradient_shap", "occlusion")


def canonical_method(method: str) -> str:
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, one of {list(METHODS)}; got {type(method).__name__}")
    key = method.strip().lower().replace(" ", "_")
    for name, aliases in METHODS.items():
        if key == name or key in aliases:
            return name
    raise ValueError(f"unknown method {method!r}; valid methods are: {', '.join(METHODS)}")


@dataclass
class Setup:
    """A checked model and inputs, ready for the method streams."""

    model: Any  # the user's module
    forward: Any  # an nn.Module returning a (N,) or (N, K) tensor (the model, or a wrapper taking .logits)
    inputs: tuple[Any, ...]  # tensors, batch first
    names: tuple[str, ...]
    kinds: tuple[str, ...]  # per input: "image" (N,C,H,W), "tabular" (N,F), "tokens" (N,T) ids, "array"
    is_tuple: bool
    baselines: tuple[Any, ...]  # per input: a tensor of shape (1, ...) or (N, ...), or (B, ...) for gradient_shap
    additional_forward_args: Any
    layer: Any  # nn.Module or None
    layer_name: str | None
    check: OutputCheck  # what the model's output told (n_outputs), from a trial or the first real pass
    device: Any
    cache: dict[Any, Any] = field(default_factory=dict)  # derived data made once (e.g. numpy copies of inputs)
    cam_layers: tuple[tuple[int, Any, str], ...] = ()  # Grad-CAM: (image input index, layer, its name) each

    @property
    def n(self) -> int:
        return int(self.inputs[0].shape[0])

    @property
    def n_outputs(self) -> int | None:
        """K classes, 0 for a single-output model ((N,) or (N, 1)); None until a forward pass told."""
        return self.check.n_outputs


def _as_tensor(torch: Any, value: Any, name: str) -> Any:
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, np.ndarray):
        array = value
        if array.dtype.kind == "f":
            return torch.as_tensor(array.astype(np.float32, copy=False))
        if array.dtype.kind in "iu":
            return torch.as_tensor(array.astype(np.int64, copy=False))
        raise TypeError(f"{name} has dtype {array.dtype}; expected floating point values or integer token ids")
    raise TypeError(f"{name} must be a torch.Tensor or numpy array; got {type(value).__name__}")


def _kind(tensor: Any) -> str:
    if not tensor.is_floating_point():
        return "tokens"
    return {4: "image", 2: "tabular"}.get(tensor.dim(), "array")


def _check_channels(model: Any, torch: Any, inputs: tuple[Any, ...], names: tuple[str, ...]) -> None:
    if len(inputs) != 1:
        return
    first = first_module(model, torch)
    x = inputs[0]
    if first is None:
        return
    name, m = first
    if isinstance(m, torch.nn.Conv2d):
        if x.dim() == 3 and x.shape[0] == m.in_channels:
            raise ValueError(
                f"{names[0]} has shape {tuple(x.shape)}: one image without a batch dimension; "
                f"pass {names[0]}[None] (shape (1, {', '.join(map(str, x.shape))}))"
            )
        if x.dim() != 4:
            raise ValueError(
                f"{names[0]} has shape {tuple(x.shape)}; the model's first layer {name!r} is a Conv2d expecting "
                f"a batch of images (N, {m.in_channels}, H, W)"
            )
        if x.shape[1] != m.in_channels:
            raise ValueError(
                f"{names[0]} has {x.shape[1]} channels (shape {tuple(x.shape)}) but the model's first layer "
                f"{name!r} expects {m.in_channels}: images of shape (N, {m.in_channels}, H, W)"
            )


def _named_inputs(torch: Any, inputs: Any,
                  input_names: Sequence[str] | None) -> tuple[tuple[Any, ...], tuple[str, ...], bool]:
    if isinstance(inputs, Mapping):
        names, values, is_tuple = tuple(str(k) for k in inputs), tuple(inputs.values()), True
    elif isinstance(inputs, (tuple, list)):
        values, is_tuple = tuple(inputs), True
        names = tuple(f"input {i}" for i in range(len(values)))
    else:
        values, is_tuple, names = (inputs,), False, ("inputs",)
    if not values:
        raise ValueError("inputs is empty; pass a tensor, or a tuple/dict of tensors for a model with several inputs")
    if input_names is not None:
        if len(input_names) != len(values):
            raise ValueError(f"{len(input_names)} input_names for {len(values)} inputs")
        names = tuple(str(n) for n in input_names)
    tensors = tuple(_as_tensor(torch, v, n) for v, n in zip(values, names, strict=True))
    for tensor, name in zip(tensors, names, strict=True):
        if tensor.dim() < 2:
            raise ValueError(
                f"{name} has shape {tuple(tensor.shape)}; expected a batch: (N, features), (N, T) token ids "
                f"or (N, C, H, W) images (add a batch dimension with {name}[None])"
            )
        if tensor.shape[0] != tensors[0].shape[0]:
            raise ValueError(f"all inputs need the same batch size; {names[0]} has {tensors[0].shape[0]}, "
                             f"{name} has {tensor.shape[0]}")
        if tensor.shape[0] == 0:
            raise ValueError(f"{name} is an empty batch (shape {tuple(tensor.shape)})")
        if tensor.is_complex() or tensor.dtype == torch.bool:
            raise TypeError(f"{name} has dtype {tensor.dtype}; expected float values or integer token ids")
    return tensors, names, is_tuple


def _baselines(torch: Any, baselines: Any, inputs: tuple[Any, ...], names: tuple[str, ...],
               method: str) -> tuple[Any, ...]:
    if baselines is None:
        values: tuple[Any, ...] = (None,) * len(inputs)
    elif len(inputs) > 1 and isinstance(baselines, Mapping):
        values = tuple(baselines.get(n) for n in names)
    elif len(inputs) > 1:
        if not isinstance(baselines, (tuple, list)) or len(baselines) != len(inputs):
            raise ValueError(f"baselines must be a tuple with one entry per input ({len(inputs)})")
        values = tuple(baselines)
    else:
        values = (baselines,)
    out = []
    for x, b, name in zip(inputs, values, names, strict=True):
        if b is None:
            out.append(torch.zeros((1, *x.shape[1:]), dtype=x.dtype, device=x.device))
            continue
        if isinstance(b, (int, float)):
            out.append(torch.full((1, *x.shape[1:]), b, dtype=x.dtype, device=x.device))
            continue
        t = _as_tensor(torch, b, f"baselines for {name}").to(device=x.device, dtype=x.dtype)
        if t.shape == x.shape[1:]:
            t = t[None]
        if t.shape[1:] != x.shape[1:] or (method != "gradient_shap" and t.shape[0] not in (1, x.shape[0])):
            raise ValueError(
                f"baselines for {name} have shape {tuple(t.shape)}; expected {tuple(x.shape[1:])}, "
                f"(1, {', '.join(map(str, x.shape[1:]))}) or one per sample {tuple(x.shape)}"
                + (" (gradient_shap: any number of baseline samples)" if method == "gradient_shap" else "")
            )
        out.append(t)
    return tuple(out)


def prepare(model: Any, inputs: Any, *, method: str, layer: Any = None, baselines: Any = None,
            additional_forward_args: Any = None, input_names: Sequence[str] | None = None,
            deferred: bool = False) -> Setup:
    """Check ``model`` and ``inputs`` (see the module docstring) and run the model once on one sample, or
    (``deferred``) leave the output checks to the attribution's first forward pass (``_torch_check``)."""
    torch = require_torch()
    if not isinstance(model, torch.nn.Module):
        raise TypeError(
            f"model must be a torch.nn.Module for Captum attributions; got {type(model).__name__} "
            "(for scikit-learn or other models use ipyexplain.shap_values, lime or permutation_importance)"
        )
    tensors, names, is_tuple = _named_inputs(torch, inputs, input_names)
    kinds = tuple(_kind(t) for t in tensors)
    param = next(iter(model.parameters()), None)
    device = param.device if param is not None else tensors[0].device
    for tensor, name in zip(tensors, names, strict=True):
        if tensor.device != device:
            raise ValueError(
                f"{name} is on {tensor.device} but the model's parameters are on {device}; "
                f"move them to one device first ({name}.to({str(device)!r}) or model.to(...))"
            )
    _check_channels(model, torch, tensors, names)
    if "tokens" in kinds and len(tensors) > 1 and method != "occlusion":
        raise ValueError("token-id inputs are supported in single-input models (or with method='occlusion'); "
                         f"inputs have kinds {dict(zip(names, kinds, strict=True))}")
    chosen_layer, layer_name = None, None
    check = OutputCheck(model, tensors, names, kinds, method)
    cams: Any = ()
    if method == "grad_cam":
        from ._torch_gradcam import cam_layers

        extra = additional_forward_args
        extra = () if extra is None else extra if isinstance(extra, tuple) else (extra,)
        extra = tuple(a[:1] if isinstance(a, torch.Tensor) and a.dim() and a.shape[0] == tensors[0].shape[0] else a
                      for a in extra)
        cams = cam_layers(model, layer, tensors, names, kinds, extra, check)
        chosen_layer, layer_name = cams[0][1], cams[0][2]
    elif kinds[0] == "tokens" and method != "occlusion":
        if method not in TOKEN_METHODS:
            raise ValueError(f"method {method!r} does not apply to token ids; valid methods for token inputs: "
                             f"{', '.join(TOKEN_METHODS)}")
        chosen_layer, layer_name = (find_layer(model, layer, purpose="the embedding layer") if layer is not None
                                    else default_layer(model, torch.nn.Embedding, "nn.Embedding",
                                                       "attributing token ids", last=False))
    elif layer is not None:
        raise ValueError(f"layer= applies to grad_cam and to token-id inputs (the embedding); method {method!r} "
                         f"on {kinds[0]} inputs attributes to the inputs themselves")
    for tensor, name, kind in zip(tensors, names, kinds, strict=True):
        if kind == "tokens" and chosen_layer is None and method != "occlusion":
            raise TypeError(f"{name} has integer dtype {tensor.dtype}: gradients need float inputs")
    base = _baselines(torch, baselines, tensors, names, method)
    forward = checked_forward(model, check) if deferred else trial(model, tensors, check, additional_forward_args)
    return Setup(model, forward, tensors, names, kinds, is_tuple, base, additional_forward_args, chosen_layer,
                 layer_name, check, device, cam_layers=cams)


class ParsedTarget:
    """``target`` checked as far as it can be without knowing the model's outputs: ``auto`` (None or
    "predicted": the predicted class, or nothing for a single-output model) or ``indices`` (N,)."""

    def __init__(self, target: Any, n: int, device: Any) -> None:
        torch = require_torch()
        self.raw = target
        self.auto = target is None or (isinstance(target, str) and target == "predicted")
        self.scalar_zero = isinstance(target, (int, np.integer)) and not isinstance(target, bool) and int(target) == 0
        self.indices: Any = None
        if isinstance(target, str) and not self.auto:
            raise ValueError(f"target must be a class index, one index per sample, None or 'predicted'; got {target!r}")
        if self.auto:
            return
        values = torch.as_tensor(np.asarray(target)).reshape(-1)
        if values.is_floating_point() and not torch.equal(values, values.round()):
            raise TypeError(f"target must be integer class indices; got {target!r}")
        values = values.long()
        if values.numel() == 1:
            values = values.expand(n).clone()
        if values.numel() != n:
            raise ValueError(f"target has {values.numel()} entries for {n} samples; give one index or one per sample")
        self.indices = values.to(device)

    def settle(self, k: int) -> Any:
        """The targets for a model with ``k`` outputs (0: a single output): None, "predicted" (decided per
        chunk from the model's output) or a LongTensor (N,)."""
        if self.auto:
            return None if k == 0 else "predicted"
        if k == 0:
            if self.scalar_zero:
                return None
            raise ValueError(f"the model has a single output; target must be None (or 0); got {self.raw!r}")
        bad = self.indices[(self.indices < 0) | (self.indices >= k)]
        if bad.numel():
            raise ValueError(f"target {int(bad[0])} is out of range: the model has {k} outputs "
                             f"(valid targets 0..{k - 1})")
        return self.indices


def resolve_targets(setup: Setup, target: Any) -> Any:
    """``target`` checked against the model's outputs (known from the trial pass): see :class:`ParsedTarget`."""
    k = setup.n_outputs
    if k is None:
        raise RuntimeError("resolve_targets needs the model's outputs: prepare(..., deferred=False)")
    return ParsedTarget(target, setup.n, setup.device).settle(k)
