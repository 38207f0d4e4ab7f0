"""Grad-CAM, one map per image input: the layer each image input is explained at, and the stream.

``layer=`` for Grad-CAM is a layer name or module (the first image input's layer), a dict
``{image input name: layer}``, or a list with one layer per image input in order. Without it, a model
with one image input uses its last ``Conv2d``; a model with several finds, on a one-sample pass, the
last ``Conv2d`` whose output depends on that image input alone (its branch). Each map is Captum's
``LayerGradCam`` on that layer, upsampled to its input's size (``LayerAttribution.interpolate``); the
other inputs are not attributed (NaN: no share). The image inputs' shares compare the magnitudes of
maps taken at different layers: a rough guide, not a split of the output as integrated gradients gives.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ._torch_check import OutputCheck
from ._torch_methods import Accum, Sizer, Targets, _samples, _write, chunk_extra
from ._torch_model import default_layer, eval_mode, find_layer, model_lock, require_torch

CamLayers = tuple[tuple[int, Any, str], ...]  # (image input index, layer module, layer name)
_PURPOSE = "the layer Grad-CAM explains"


def cam_layers(model: Any, layer: Any, tensors: Sequence[Any], names: Sequence[str], kinds: Sequence[str],
               extra: tuple[Any, ...], check: OutputCheck) -> CamLayers:
    """The layer each image input is explained at (see the module docstring)."""
    torch = require_torch()
    images = [i for i, k in enumerate(kinds) if k == "image"]
    if not images:
        raise ValueError(f"grad_cam needs an image input (N, C, H, W); inputs have shapes "
                         f"{[tuple(t.shape) for t in tensors]}")
    image_names = [names[i] for i in images]
    if isinstance(layer, Mapping):
        unknown = [str(k) for k in layer if k not in image_names]
        if unknown or not layer:
            raise ValueError(f"layer= for grad_cam maps image inputs {image_names} to layers; got keys {unknown or []}")
        return tuple((names.index(k), *find_layer(model, v, purpose=f"{_PURPOSE} for {k}")) for k, v in layer.items())
    if isinstance(layer, (list, tuple)):
        if len(layer) != len(images):
            raise ValueError(f"layer= lists {len(layer)} layers for {len(images)} image inputs {image_names}; give "
                             "one per image input, or a dict {input name: layer}")
        return tuple((i, *find_layer(model, v, purpose=f"{_PURPOSE} for {names[i]}")) for i, v in zip(images, layer,
                                                                                                      strict=True))
    if layer is not None:
        return ((images[0], *find_layer(model, layer, purpose=_PURPOSE)),)
    if len(images) == 1:
        return ((images[0], *default_layer(model, torch.nn.Conv2d, "Conv2d layer", "grad_cam", last=True)),)
    return _branch_layers(torch, model, tensors, names, images, extra, check)


def _branch_layers(torch: Any, model: Any, tensors: Sequence[Any], names: Sequence[str], images: list[int],
                   extra: tuple[Any, ...], check: OutputCheck) -> CamLayers:
    """Per image input, the last Conv2d (in call order) whose output depends on that input alone."""
    convs = [(n, m) for n, m in model.named_modules() if isinstance(m, torch.nn.Conv2d)]
    calls: list[tuple[str, Any, Any]] = []
    one = tuple(t[:1].detach().requires_grad_(t.is_floating_point()) for t in tensors)
    hooks = [m.register_forward_hook(lambda _m, _a, out, n=n, m=m: calls.append((n, m, out))) for n, m in convs]
    with model_lock(model), eval_mode(model), torch.enable_grad():
        try:
            model(*one, *extra)
        except (RuntimeError, ValueError, IndexError, TypeError) as exc:
            raise check.cannot_run(exc) from exc
        finally:
            for hook in hooks:
                hook.remove()
    chosen: dict[int, tuple[Any, str]] = {}
    for name, module, out in calls:
        if not isinstance(out, torch.Tensor) or not out.requires_grad:
            continue
        grads = torch.autograd.grad(out.sum(), [one[i] for i in images], allow_unused=True, retain_graph=True)
        reached = [i for i, g in zip(images, grads, strict=True) if g is not None]
        if len(reached) == 1:
            chosen[reached[0]] = (module, name)
    missing = [names[i] for i in images if i not in chosen]
    if missing:
        raise ValueError(f"grad_cam: no Conv2d layer depends on image input(s) {missing} alone, to explain each at; "
                         f"give layer={{input name: layer name}} (Conv2d layers: {[n for n, _ in convs][:40]})")
    return tuple((i, *chosen[i]) for i in images)


def grad_cam(setup: Any, targets: Targets, acc: Accum, opts: dict[str, Any]) -> Iterator[None]:
    """Fill sample by sample: every image input's map from its layer, upsampled to the input."""
    from captum.attr import LayerAttribution, LayerGradCam

    cams = [(i, LayerGradCam(setup.forward, module), name) for i, module, name in setup.cam_layers]
    for sl in Sizer(setup, opts):
        xs, extra = _samples(setup, sl, grad=False), chunk_extra(setup, sl)
        target = targets.chunk(sl, xs, extra)
        for i, cam, name in cams:
            out = cam.attribute(xs if setup.is_tuple else xs[0], target=target, additional_forward_args=extra,
                                relu_attributions=opts.get("relu", True))
            if out.dim() != 4:
                raise ValueError(f"grad_cam: layer {name!r} gives attributions of shape {tuple(out.shape)}; "
                                 "choose a convolutional layer with output (N, C, h, w)")
            size = tuple(setup.inputs[i].shape[2:])
            _write(acc, i, sl, LayerAttribution.interpolate(out, size, interpolate_mode=opts.get("interpolate",
                                                                                                  "bilinear")))
        acc.computed[sl] = True
        acc.done = sl.stop
        yield
