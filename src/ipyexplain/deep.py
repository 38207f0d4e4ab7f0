"""One-call entry points for deep models: start the work in the background, return the view it draws into.

- :func:`faithfulness`: deletion / insertion curves of any attribution against random orders, live.
- :func:`maximize_activation`: an input optimised for a class, channel or neuron, drawn as it evolves.
- :func:`show_attention`: every layer and head of a transformer's attention as an AttentionView.
- :func:`attribute`: Captum attributions (``backends.torch_attr``) drawn live as an
  :class:`~ipyexplain.views.image_overlay.ImageOverlay` (images), a
  :class:`~ipyexplain.views.tokens.TokenView` (token ids), :class:`~ipyexplain.ImportanceBars`
  (tabular), or an :class:`AttributionPanel` (several inputs, or ``submodels=`` for an ensemble:
  each input's / sub-network's share as bars beside the maps). Several methods at once give small
  multiples, computed one after another.

Bad input raises here, in the caller's cell. ``view.job`` is the running Job (``view.jobs`` all of
them); ``view.job.result`` the ``shap.Explanation``. The blocking forms without a widget are the
backends' ``compute`` functions.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets

from ._jobs import FINISHED, Job
from .views.attribution_panel import AttributionPanel
from .views.bars import ImportanceBars
from .views.image_overlay import ImageOverlay
from .views.tokens import TokenView

_IMAGE_VIEW = {"samples", "opacity", "mode", "cell_size", "clip_percentile", "scale", "sample_labels", "max_px"}
_TOKEN_VIEW = {"rows", "row_labels", "hide", "scale", "clip_percentile", "max_rows"}
_BARS_VIEW = {"top_k", "sort", "height"}


def _chain(streams: list[tuple[str, Any]]) -> list[tuple[str, Job[Any]]]:
    """Jobs over ``streams``, each started when the one before has finished (one model, one at a time:
    attribution hooks of one method must not see another method's forward passes)."""
    jobs = [(label, Job(stream, name=f"{label} attribution")) for label, stream in streams]
    for (_, job), (_, following) in itertools.pairwise(jobs):
        def start_next(j: Job[Any], nxt: Job[Any] = following) -> None:
            if j.status in FINISHED and nxt.status == "pending":
                nxt.start()

        job.observe(start_next)
    if jobs:
        jobs[0][1].start()
    return jobs


def attribute(model: Any, inputs: Any, *, method: str | Sequence[str] = "integrated_gradients", target: Any = None,
              title: str | None = None, **options: Any) -> Any:
    """Captum attributions of ``model`` on ``inputs``, computed in the background and drawn as they come.

    Parameters
    ----------
    model, inputs, target
        As :func:`ipyexplain.backends.torch_attr.stream`: a torch module; images ``(N, C, H, W)``,
        token ids ``(N, T)`` (through the embedding), features ``(N, F)``, or a tuple/dict of inputs.
    method : str or sequence of str
        ``saliency``, ``integrated_gradients``, ``smoothgrad``, ``grad_cam``, ``occlusion``,
        ``gradient_shap``, ``deeplift``; several give one column each (computed one after another).
    title : str, optional
        The view's title.
    **options
        Backend options (``layer``, ``baselines``, ``n_steps``, ``tokens``, ``vocab``, ``class_names``,
        ``submodels``, ...; see the backend) and view options (images: ``samples``, ``opacity``, ``mode``,
        ``cell_size``, ``scale``; tokens: ``rows``, ``hide``; tabular: ``top_k``).

    Returns
    -------
    ImageOverlay, TokenView, ImportanceBars or AttributionPanel
        Bound to the running job(s): ``view.job``, ``view.jobs``.
    """
    from .backends import torch_attr

    methods = [method] if isinstance(method, str) else list(method)
    if not methods:
        raise ValueError("method: give at least one method")
    view_keys = _IMAGE_VIEW | _TOKEN_VIEW | _BARS_VIEW
    view_opts = {k: options.pop(k) for k in list(options) if k in view_keys}
    names = [torch_attr.canonical_method(m) for m in methods]
    # With several methods, each gets the options it knows; an option no method knows is a mistake.
    known = set().union(*(torch_attr.OPTIONS[n] for n in names)) | torch_attr.COMMON_OPTIONS | {"min_interval"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"unknown option(s) {', '.join(map(repr, unknown))} for {', '.join(names)}; valid options: "
                        f"{', '.join(sorted(known | view_keys))}")
    streams = []
    for name in names:  # every stream checks its input now, before any work starts
        mine = {k: v for k, v in options.items()
                if len(names) == 1 or k in torch_attr.OPTIONS[name] | torch_attr.COMMON_OPTIONS | {"min_interval"}}
        streams.append((name.replace("_", " "), torch_attr.stream(model, inputs, method=name, target=target,
                                                                   **mine)))
    probe = streams[0][1]
    heading = title if title is not None else f"{', '.join(label for label, _ in streams)} · {type(model).__name__}"
    if probe.multi or probe.submodels:
        if len(streams) > 1:
            what = "a model with several inputs" if probe.multi else "submodels="
            raise ValueError(f"{what}: give one method at a time (each gives bars and maps)")
        return AttributionPanel(_chain(streams)[0][1], probe.names, probe.kinds, heading, probe.submodels,
                                image_options={k: v for k, v in view_opts.items() if k in _IMAGE_VIEW})
    kind = probe.kinds[0]
    if kind == "image":
        view: Any = ImageOverlay(title=heading, **{k: v for k, v in view_opts.items() if k in _IMAGE_VIEW})
    elif kind == "tokens":
        if len(streams) > 1:
            raise ValueError("token inputs: give one method at a time (one TokenView each)")
        view = TokenView(title=heading, **{k: v for k, v in view_opts.items() if k in _TOKEN_VIEW})
    else:
        bars = []
        for label, job in _chain(streams):
            b = ImportanceBars(title=label if len(streams) > 1 else heading, mode="local" if probe.n == 1 else "global",
                               value_label="attribution", progress_unit="steps",
                               **{k: v for k, v in view_opts.items() if k in _BARS_VIEW})
            b.bind(job)
            bars.append(b)
        return bars[0] if len(bars) == 1 else widgets.HBox(bars)
    for label, job in _chain(streams):
        view.bind(job, label)
    return view


def show_attention(model: Any, inputs: Any, *, tokens: Any = None, vocab: Any = None, tokenizer: Any = None,
                   title: str | None = None, layer: int = 0, head: int = 0, **forward_kwargs: Any) -> Any:
    """A transformer's attention on ``inputs``: every layer and head, drawn as an AttentionView.

    Works for Hugging Face models (``output_attentions=True``) and models built from
    ``torch.nn.MultiheadAttention`` (``nn.TransformerEncoder``...); see
    :func:`ipyexplain.backends.attention.attention`. ``forward_kwargs`` go to the model.
    """
    from .backends.attention import attention
    from .views.attention import AttentionView

    maps = attention(model, inputs, tokens=tokens, vocab=vocab, tokenizer=tokenizer, **forward_kwargs)
    heading = title if title is not None else f"Attention · {type(model).__name__}"
    return AttentionView(maps, title=heading, layer=layer, head=head)


def maximize_activation(model: Any, *, input_shape: tuple[int, ...], title: str | None = None, image_size: int = 224,
                        **options: Any) -> Any:
    """Optimise an input for a class logit, channel or neuron of ``model`` and show it evolving live.

    Options: see :func:`ipyexplain.backends.actmax.stream` (``target``, ``layer``, ``channel``,
    ``neuron``, ``steps``, ``lr``, ``decorrelate``, ``jitter_px``, ``l2``, ``tv``, ``blur_sigma``,
    ``input_range``, ``transform``...). Returns an ActMaxView bound to the running job.
    """
    from .backends import actmax
    from .views.actmax import ActMaxView

    stream = actmax.stream(model, input_shape=input_shape, **options)  # checks the objective now
    view = ActMaxView(title=title if title is not None else f"Activation maximization · {type(model).__name__}",
                      image_size=image_size)
    view.bind(Job(stream, name="activation maximization").start())
    return view


def faithfulness(model: Any, X: Any, attribution: Any, *, title: str | None = None, feature_names: Any = None,
                 **options: Any) -> Any:
    """Deletion and insertion curves of ``attribution`` against random orders, drawn live beside it.

    ``attribution`` may come from this project or from shap (any ``shap.Explanation``), or be an array.
    Options: see :func:`ipyexplain.backends.faithfulness.stream` (``target``, ``steps``, ``n_random``,
    ``baseline``, ``order``...). Returns a FaithfulnessView bound to the running job.
    """
    from .backends import faithfulness as backend
    from .views.faithfulness import FaithfulnessView

    stream = backend.stream(model, X, attribution, **options)  # checks shapes and targets now
    view = FaithfulnessView(attribution, title=title if title is not None else "Deletion and insertion",
                            feature_names=feature_names)
    view.bind(Job(stream, name="faithfulness").start())
    return view
