"""Captum attributions of a torch model, streamed: saliency, integrated gradients, SmoothGrad, Grad-CAM,
occlusion, gradient SHAP and DeepLIFT, on images, token ids, tabular tensors and multi-input models.

``stream(model, inputs, method=..., target=...)`` checks everything in the caller's thread, then yields
:class:`~ipyexplain._jobs.Partial` results whose ``result`` is a ``shap.Explanation`` that sharpens
(integrated gradients over quadrature steps, SmoothGrad and gradient SHAP over noise samples) or fills in
(occlusion window by window, the other methods sample by sample); see ``_torch_methods``. The final
numbers are Captum's on the same inputs (the unit tests call Captum directly to check).
Layouts of the Explanation, and the side information in ``explanation.ipyexplain_attribution``
(targets, IG's convergence delta, per-input parts and shares): see ``_torch_result``. An ensemble's
attribution split over its sub-networks (``submodels=``): see ``_torch_submodels``.

``job(...)`` runs the stream in a background :class:`~ipyexplain._jobs.Job`; ``compute(...)`` blocks and
returns the final Explanation.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import shap

from .._jobs import Job, Partial
from . import run_to_end, start_job
from ._torch_gradcam import grad_cam
from ._torch_inputs import METHODS, ParsedTarget, Setup, canonical_method, prepare
from ._torch_methods import Accum, Targets, deeplift, integrated_gradients, saliency
from ._torch_model import eval_mode, locked, warn_training
from ._torch_noise import gradient_shap, smoothgrad
from ._torch_occlusion import occlusion, window_count
from ._torch_result import AttributionInfo, build, build_split, info_of, parts_of, token_strings
from ._torch_submodels import Split, check_method, find_split
from ._torch_submodels import runs as sub_runs

__all__ = ["METHODS", "AttributionInfo", "AttributionStream", "compute", "info_of", "job", "parts_of", "stream"]

COMMON_OPTIONS = {"target", "layer", "baselines", "additional_forward_args", "input_names", "feature_names", "tokens",
           "vocab", "tokenizer", "class_names", "batch_size", "submodels"}
#: Options of each method (besides the common ones), with Captum's names where Captum has them.
OPTIONS: dict[str, set[str]] = {
    "saliency": {"abs"},
    "integrated_gradients": {"n_steps", "ig_method", "step_chunks", "internal_batch_size"},
    "smoothgrad": {"nt_samples", "nt_type", "stdevs", "sample_chunk", "random_state", "abs"},
    "grad_cam": {"relu", "interpolate"},
    "occlusion": {"sliding_window_shapes", "strides", "perturbations_per_eval"},
    "gradient_shap": {"n_samples", "stdevs", "sample_chunk", "random_state"},
    "deeplift": set(),
}
_RUNNERS: dict[str, Callable[..., Iterator[None]]] = {
    "saliency": saliency, "integrated_gradients": integrated_gradients, "smoothgrad": smoothgrad,
    "grad_cam": grad_cam, "occlusion": occlusion, "gradient_shap": gradient_shap, "deeplift": deeplift,
}


def stream(model: Any, inputs: Any, *, method: str = "integrated_gradients", target: Any = None,
           min_interval: float = 0.05, **options: Any) -> AttributionStream:
    """Attributions of ``model``'s ``target`` output to ``inputs``, yielded as they sharpen or fill in.

    Parameters
    ----------
    model : torch.nn.Module
        Returns ``(N, classes)`` scores or ``(N,)``; a Hugging Face style output's ``.logits`` is used.
        A model in training mode is switched to eval for the attribution (with a warning) and restored.
    inputs : tensor, numpy array, tuple/list or dict of them
        ``(N, C, H, W)`` images, ``(N, F)`` features, ``(N, T)`` integer token ids (through the
        embedding ``layer``), or one of each per model input (a dict names them).
    method : str
        One of ``saliency``, ``integrated_gradients`` (``ig``), ``smoothgrad``, ``grad_cam``,
        ``occlusion``, ``gradient_shap``, ``deeplift``.
    target : int, sequence of int, "predicted" or None
        The output explained: one class for all samples, one per sample, or (default) each sample's
        predicted class; None for a single-output model.
    layer : str, nn.Module, dict or list, optional
        Grad-CAM's layer (default: the last ``Conv2d``) or, for token ids, the embedding layer
        (default: the first ``nn.Embedding``). A dotted name from ``model.named_modules()``. Grad-CAM
        on several image inputs: ``{input name: layer}`` or one layer per image input, one map each
        (default: the last ``Conv2d`` of each input's own branch); see ``_torch_gradcam``.
    baselines : scalar, tensor or one per input, optional
        The reference input (default zeros; for token ids, the id 0). Gradient SHAP draws from them.
    additional_forward_args : optional
        Passed to the model after the inputs (e.g. an attention mask), as in Captum.
    input_names, feature_names, tokens, vocab, tokenizer, class_names : optional
        Labels: input names (multi-input), tabular feature names (a dict per input name for several
        inputs), the token strings (or a vocabulary / HF tokenizer to look them up), class names.
    submodels : "auto" or list of str / nn.Module, optional
        Split the attribution over the sub-networks of an ensemble that share the input (``"auto"``: the
        outermost modules that take the input tensor itself): the result gives each sub-network's share
        (``N x parts``), one Explanation per part (``parts_of``) and their sum, the model's attribution
        (``info_of(e).combined``). The parts add up to the whole for methods linear in the gradient
        (integrated gradients, gradient SHAP, DeepLIFT, saliency and SmoothGrad with ``abs=False``);
        one run per part. See ``_torch_submodels``.
    batch_size : int, optional
        Samples per model call (default: sized to ~0.2 s per call, first call one sample).
    min_interval : float
        Seconds between two partial results at least (pieces finished sooner are folded into the next
        one, so building Explanations costs little however fast the pieces are); 0 yields every piece.
        ``inf`` (what :func:`compute` passes) yields only the final result, and checks the model's output
        on the attribution's own first forward pass instead of a one-sample trial pass now: errors about
        the output (a target out of range, no gradients) then raise when the stream is consumed.
    n_steps, ig_method, step_chunks, internal_batch_size
        Integrated gradients: quadrature points (50), Captum's approximation method
        (``"gausslegendre"``), how many sharpening stages (5), rows per model call (1024).
    nt_samples, nt_type, stdevs, sample_chunk, random_state
        SmoothGrad: noisy samples (16), ``smoothgrad``/``smoothgrad_sq``/``vargrad``, noise level
        (default 15% of each input's range), samples per stage, seed.
    n_samples, stdevs, sample_chunk, random_state
        Gradient SHAP (20 samples, no noise by default).
    relu, interpolate
        Grad-CAM: ReLU on the map (True, as in the paper), upsampling mode (``"bilinear"``).
    sliding_window_shapes, strides, perturbations_per_eval
        Occlusion: window (default: all channels x an eighth of each side for images, one cell
        otherwise), strides (default half the default window; 1 with a given window, as Captum),
        windows per model call (16).
    """
    name = canonical_method(method)
    allowed = COMMON_OPTIONS | OPTIONS[name]
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise TypeError(f"unknown option(s) {', '.join(map(repr, unknown))} for method {name!r}; "
                        f"valid options: {', '.join(sorted(allowed))}")
    model_was_training = bool(getattr(model, "training", False))
    # compute() runs here in the caller's thread: the model's output is checked on the attribution's own
    # first forward pass. A stream for a background job checks it now, on one sample (``_torch_check``).
    deferred = min_interval == float("inf")
    if model_was_training and deferred:
        warn_training(model)
    with eval_mode(model, warn=True) if hasattr(model, "eval") and not deferred else contextlib.nullcontext():
        setup = prepare(model, inputs, method=name, layer=options.get("layer"), baselines=options.get("baselines"),
                        additional_forward_args=options.get("additional_forward_args"),
                        input_names=options.get("input_names"), deferred=deferred)
        targets = Targets(setup, ParsedTarget(target, setup.n, setup.device))
    batch_size = options.get("batch_size")
    if batch_size is not None and int(batch_size) < 1:
        raise ValueError(f"batch_size must be at least 1; got {batch_size}")
    if name == "occlusion":
        window_count(setup, options)  # checks windows and strides now
    tokens = None
    if setup.kinds[0] == "tokens":
        tokens = token_strings(setup.inputs[0].cpu().numpy(), options.get("tokens"), options.get("vocab"),
                               options.get("tokenizer"))
    class_names = options.get("class_names")
    if class_names is not None:
        class_names = [str(c) for c in class_names]
        check_names = _class_names_check(len(class_names))
        if setup.n_outputs is None:
            setup.check.listeners.append(check_names)
        else:
            check_names(setup.n_outputs)
    if min_interval < 0:
        raise ValueError(f"min_interval must be >= 0 seconds; got {min_interval}")
    split = None
    if options.get("submodels") is not None:
        check_method(name, options)
        with eval_mode(model):
            split = find_split(setup, options["submodels"])
        if name in ("smoothgrad", "gradient_shap") and options.get("random_state") is None:
            import torch  # the same noise in every sub-network's run, so the parts add up

            options = {**options, "random_state": int(torch.randint(0, 2**31 - 1, ()).item())}
    return AttributionStream(setup, _run(setup, name, targets, options, tokens, class_names, model_was_training,
                                         float(min_interval), split), split)


def _class_names_check(count: int) -> Callable[[int], None]:
    def check(k: int) -> None:
        if k and count != k:
            raise ValueError(f"{count} class_names for a model with {k} outputs")

    return check


class AttributionStream(Iterator[Partial[shap.Explanation]]):
    """The stream :func:`stream` returns: an iterator of partial results that also tells what it attributes
    (``names``, ``kinds`` of the inputs, ``n`` samples), so a caller can pick the view before any work."""

    def __init__(self, setup: Setup, parts: Iterator[Partial[shap.Explanation]], split: Split | None = None) -> None:
        self._parts = parts
        self.names: tuple[str, ...] = setup.names
        self.kinds: tuple[str, ...] = setup.kinds
        self.n = setup.n
        #: The parts of an attribution split over sub-networks (``submodels=``), else None.
        self.submodels: tuple[str, ...] | None = split.labels if split is not None else None

    @property
    def multi(self) -> bool:
        return len(self.kinds) > 1

    def __next__(self) -> Partial[shap.Explanation]:
        return next(self._parts)

    def close(self) -> None:
        close = getattr(self._parts, "close", None)
        if close is not None:
            close()


def _shapes(setup: Setup, method: str) -> list[tuple[int, ...]]:
    shapes = []
    for x, kind in zip(setup.inputs, setup.kinds, strict=True):
        if method == "grad_cam" and kind == "image":
            shapes.append((x.shape[0], 1, *x.shape[2:]))
        else:
            shapes.append(tuple(x.shape) if kind != "tokens" else tuple(x.shape[:2]))
    return shapes


def _run(setup: Setup, method: str, targets: Targets, options: dict[str, Any], tokens: np.ndarray | None,
         class_names: list[str] | None, was_training: bool, min_interval: float,
         split: Split | None) -> Iterator[Partial[shap.Explanation]]:
    shapes = _shapes(setup, method)
    accs = [Accum(shapes=shapes, computed=np.zeros(setup.n, dtype=bool), targets=targets.known, total=setup.n)
            for _ in (split.labels if split is not None else [None])]
    opts = {k: v for k, v in options.items() if k in OPTIONS[method] or k == "batch_size"}
    opts["blocking"] = min_interval == float("inf")
    model = setup.model
    model.eval()
    last = float("-inf")
    runs = list(enumerate([setup]) if split is None else sub_runs(setup, split))
    try:
        for count, (i, run) in enumerate(runs):
            acc = accs[i]
            for _ in locked(model, _RUNNERS[method](run, targets, acc, opts)):
                for later, _ in runs[count + 1:]:  # every run does the same work
                    accs[later].total, accs[later].unit = acc.total, acc.unit
                finished = count == len(runs) - 1 and bool(acc.computed.all()) and acc.done >= acc.total
                if not finished and time.monotonic() - last < min_interval:
                    continue  # folded into the next partial result
                for a in accs:
                    a.targets = targets.known
                if split is None:
                    result = build(setup, acc, method=method, partial=not finished, tokens=tokens,
                                   feature_names=options.get("feature_names"), target_names=class_names)
                else:
                    result = build_split(setup, accs, split, method=method, partial=not finished,
                                         feature_names=options.get("feature_names"), target_names=class_names)
                yield Partial(result, sum(a.done for a in accs), sum(a.total for a in accs))
                last = time.monotonic()
    finally:
        if was_training:
            model.train()


def job(model: Any, inputs: Any, **options: Any) -> Job[shap.Explanation]:
    """:func:`stream` running in a background :class:`~ipyexplain._jobs.Job`."""
    method = canonical_method(options.get("method", "integrated_gradients"))
    return start_job(stream(model, inputs, **options), name=f"{method.replace('_', ' ')} attribution")


def compute(model: Any, inputs: Any, **options: Any) -> shap.Explanation:
    """The blocking form of :func:`stream`: the final attribution (no partial results are built)."""
    return run_to_end(stream(model, inputs, min_interval=float("inf"), **options))


def method_names() -> Sequence[str]:
    return list(METHODS)
