"""Attributions -> ``shap.Explanation``, with what shap has no field for in :class:`AttributionInfo`.

Layouts (DESIGN.md: the Explanation is the one exchange type):

- images ``(N, C, H, W)`` -> ``values`` and ``data`` as ``(N, H, W, C)`` (Grad-CAM: ``C == 1``);
- token ids ``(N, T)`` -> ``values`` ``(N, T)`` (summed over the embedding; saliency: its L2 norm),
  ``data`` the token strings ``(N, T)``, ``feature_names`` the tokens of a single sentence;
- tabular ``(N, F)`` -> ``values`` ``(N, F)`` with ``feature_names``;
- several inputs -> one Explanation *per input* (:func:`parts_of`), and the returned Explanation
  gives each input's **share** of the total |attribution| per sample (``N x inputs``, rows sum to 1;
  ``feature_names`` the input names), which ImportanceBars draws. The signed sum per input is in
  ``AttributionInfo.totals``.
- split over sub-networks (``submodels=``) -> likewise each sub-network's share (``N x parts``), one
  Explanation per sub-network in ``parts``, and their sum, the model's attribution, in ``combined``.

Values not computed yet (a stream part-way) are NaN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shap

from ..explanation import STATS_ATTRIBUTE, ExplanationStats
from ._torch_inputs import Setup
from ._torch_methods import Accum
from ._torch_submodels import Split
from ._torch_submodels import parts as split_parts

INFO_ATTRIBUTE = "ipyexplain_attribution"
COMPLETE_METHODS = {"integrated_gradients", "deeplift", "gradient_shap"}


@dataclass(frozen=True)
class AttributionInfo:
    """Side information of a Captum attribution (``explanation.ipyexplain_attribution``).

    Attributes
    ----------
    method : str
        The canonical method name (``"integrated_gradients"``, ``"grad_cam"``, ...).
    kind : str
        ``"image"``, ``"tokens"``, ``"tabular"``, ``"array"``, ``"multi"`` for several inputs, or
        ``"submodels"`` for an attribution split over sub-networks.
    input_names : tuple of str
    targets : ndarray or None
        The class index each sample's attribution explains (-1: not decided yet); None for a
        single-output model.
    target_names : list of str or None
        Class names, when given.
    layer : str or None
        The layer Grad-CAM explains, or the embedding token ids go through.
    delta : ndarray or None
        Integrated gradients' convergence delta per sample: sum of attributions minus
        (f(input) - f(baseline)), of the estimate so far.
    computed : ndarray of bool
        Which samples' values are final.
    done, total : int
        Progress in ``unit`` (``"steps"``, ``"samples"``, ``"windows"``, ...).
    partial : bool
        True while streaming (or when cancelled).
    parts : dict or None
        Several inputs: one Explanation per input name; split over sub-networks (``submodels=``): one
        per sub-network.
    totals : ndarray or None
        Several inputs: signed sum of each input's attributions, ``N x inputs``; split over
        sub-networks: of each sub-network's part, ``N x parts``.
    combined : shap.Explanation or None
        Split over sub-networks: the whole model's attribution, the sum of the parts.
    submodels : tuple of str or None
        Split over sub-networks: the parts' names (and ``"other paths"`` when some path bypasses them).
    layers : dict or None
        Grad-CAM: the layer each image input is explained at (``layer`` is the first one's).
    """

    method: str
    kind: str
    input_names: tuple[str, ...]
    targets: np.ndarray | None
    target_names: list[str] | None
    layer: str | None
    delta: np.ndarray | None
    computed: np.ndarray
    done: int
    total: int
    unit: str
    partial: bool
    parts: dict[str, shap.Explanation] | None = None
    totals: np.ndarray | None = None
    combined: shap.Explanation | None = None
    submodels: tuple[str, ...] | None = None
    layers: dict[str, str] | None = None


def info_of(explanation: Any) -> AttributionInfo | None:
    found = getattr(explanation, INFO_ATTRIBUTE, None)
    return found if isinstance(found, AttributionInfo) else None


def parts_of(explanation: Any) -> dict[str, shap.Explanation]:
    """The per-input Explanations of a multi-input attribution (``{name: explanation}``); a single-input
    attribution is its own only part."""
    info = info_of(explanation)
    if info is not None and info.parts is not None:
        return dict(info.parts)
    name = info.input_names[0] if info is not None else "inputs"
    return {name: explanation}


def token_strings(ids: np.ndarray, tokens: Any = None, vocab: Any = None, tokenizer: Any = None) -> np.ndarray:
    """Token strings ``(N, T)`` for token ids: given ``tokens``, else from a vocabulary or tokenizer, else the ids."""
    n, t = ids.shape
    if tokens is not None:
        rows = [tokens] if tokens and isinstance(tokens[0], str) else list(tokens)
        if len(rows) != n or any(len(r) != t for r in rows):
            raise ValueError(f"tokens must give {t} strings for each of the {n} sequences")
        return np.array([[str(s) for s in r] for r in rows], dtype=object)
    if tokenizer is not None:
        return np.array([tokenizer.convert_ids_to_tokens([int(i) for i in row]) for row in ids], dtype=object)
    if vocab is not None:
        lookup = vocab if isinstance(vocab, Mapping) else dict(enumerate(vocab))
        if lookup and isinstance(next(iter(lookup)), str):  # token -> id: invert
            lookup = {v: k for k, v in lookup.items()}
        return np.array([[str(lookup.get(int(i), f"[{int(i)}]")) for i in row] for row in ids], dtype=object)
    return np.array([[str(int(i)) for i in row] for row in ids], dtype=object)


def _layout(values: np.ndarray, kind: str, copy: bool) -> np.ndarray:
    """``values`` in the Explanation's layout: a copy for a partial result (the accumulator goes on changing
    after it is yielded), a view of the final one (nothing changes it any more)."""
    if kind == "image" and values.ndim == 4:
        view = values.transpose(0, 2, 3, 1)
        return np.array(view, order="C", copy=True) if copy else view
    return values.copy() if copy else values


def _data(setup: Setup, i: int) -> np.ndarray:
    """Input ``i`` as numpy in the Explanation's layout, made once (it does not change while streaming)."""
    cached = setup.cache.get(("data", i))
    if cached is None:
        x = setup.inputs[i].detach().cpu().numpy().astype(np.float32, copy=False)
        cached = setup.cache[("data", i)] = _layout(x, setup.kinds[i], copy=False)  # the inputs never change
    return cached


def _part(setup: Setup, array: np.ndarray, i: int, tokens: np.ndarray | None, feature_names: Sequence[str] | None,
          base: np.ndarray | None, partial: bool) -> shap.Explanation:
    """The Explanation of input ``i``'s attribution ``array`` (model layout)."""
    kind = setup.kinds[i]
    x = setup.inputs[i]
    values = _layout(array, kind, copy=partial)
    if kind == "tokens":
        data: Any = tokens
        names = list(tokens[0]) if tokens is not None and len(tokens) == 1 else None
    else:
        data = _data(setup, i)
        names = None
        if kind == "tabular":
            names = list(feature_names) if feature_names is not None else [f"feature {j}" for j in range(x.shape[1])]
            if len(names) != x.shape[1]:
                raise ValueError(f"{len(names)} feature_names for {x.shape[1]} features of {setup.names[i]}")
    return shap.Explanation(values=values, base_values=base, data=data, feature_names=names)


def _shares(arrays: Sequence[np.ndarray], computed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each array's share of the total |attribution| per sample (rows sum to 1) and its signed sum, both
    ``N x len(arrays)``. An array with nothing attributed (all NaN: Grad-CAM explains the image only) has
    no share; samples not ``computed`` have none yet."""
    totals = np.stack([np.nansum(v.reshape(v.shape[0], -1), axis=1) for v in arrays], axis=1)
    flat = [np.abs(v.reshape(v.shape[0], -1)) for v in arrays]
    mass = np.stack([np.nansum(v, axis=1) for v in flat], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = mass / mass.sum(axis=1, keepdims=True)
    unattributed = np.stack([np.isnan(v).all(axis=1) for v in flat], axis=1)
    shares[unattributed] = np.nan
    totals[unattributed] = np.nan
    shares[~computed] = np.nan
    return shares, totals


def _info_args(setup: Setup, acc: Accum, method: str, partial: bool, target_names: list[str] | None) -> dict[str, Any]:
    return dict(
        method=method, input_names=setup.names, targets=None if acc.targets is None else acc.targets.copy(),
        target_names=target_names, layer=setup.layer_name,
        delta=None if acc.delta is None else acc.delta.copy(), computed=acc.computed.copy(), done=acc.done,
        total=acc.total, unit=acc.unit, partial=partial,
        layers={setup.names[i]: name for i, _, name in setup.cam_layers} or None,
    )


def _finish(explanation: shap.Explanation, info: AttributionInfo, parts: Sequence[shap.Explanation], method: str,
            done: int, partial: bool) -> shap.Explanation:
    for part in parts:
        setattr(part, INFO_ATTRIBUTE, info)
    setattr(explanation, INFO_ATTRIBUTE, info)
    setattr(explanation, STATS_ATTRIBUTE, ExplanationStats(method, done, None, partial))
    return explanation


def build(setup: Setup, acc: Accum, *, method: str, partial: bool, tokens: np.ndarray | None,
          feature_names: Any, target_names: list[str] | None) -> shap.Explanation:
    """The Explanation of the attribution so far (see the module docstring)."""
    base = acc.base.copy() if acc.base is not None and method in COMPLETE_METHODS else None
    multi = len(setup.inputs) > 1
    if multi and isinstance(feature_names, Mapping):
        names_of = [feature_names.get(n) for n in setup.names]
    else:
        names_of = [feature_names if not multi else None] * len(setup.inputs)
    parts = [_part(setup, acc.array(i), i, tokens, names_of[i], base, partial) for i in range(len(setup.inputs))]
    info_args = _info_args(setup, acc, method, partial, target_names)
    if not multi:
        info = AttributionInfo(kind=setup.kinds[0], **info_args)
        return _finish(parts[0], info, [], method, acc.done, partial)
    shares, totals = _shares([acc.array(i) for i in range(len(setup.inputs))], acc.computed)
    explanation = shap.Explanation(values=shares, base_values=None, data=None, feature_names=list(setup.names))
    info = AttributionInfo(kind="multi", parts=dict(zip(setup.names, parts, strict=True)), totals=totals, **info_args)
    return _finish(explanation, info, parts, method, acc.done, partial)


def build_split(setup: Setup, accs: Sequence[Accum], split: Split, *, method: str, partial: bool,
                feature_names: Any, target_names: list[str] | None) -> shap.Explanation:
    """An attribution split over sub-networks (``_torch_submodels``): the returned Explanation gives each
    part's share of |attribution| per sample (``N x parts``); ``info.parts`` one Explanation per part,
    ``info.combined`` their sum (the whole model's attribution), ``info.totals`` each part's signed sum."""
    labels = split.labels
    first = accs[-1] if split.rest else accs[0]  # the run done first
    base = first.base.copy() if first.base is not None and method in COMPLETE_METHODS else None
    arrays = split_parts(split, [a.array(0) for a in accs])
    computed = np.logical_and.reduce([a.computed for a in accs])
    parts = [_part(setup, v, 0, None, feature_names, None, partial) for v in arrays]
    combined = _part(setup, np.sum(arrays, axis=0), 0, None, feature_names, base, False)
    shares, totals = _shares(arrays, computed)
    info_args = _info_args(setup, first, method, partial, target_names)
    gain = next((a.extra["gain"] for a in accs if "gain" in a.extra), None)
    if gain is not None:  # IG: the parts' sums add up to f(x) - f(baseline), up to the quadrature error
        info_args["delta"] = totals.sum(axis=1) - gain
        info_args["delta"][~computed] = np.nan
    info_args.update(computed=computed, done=sum(a.done for a in accs), total=sum(a.total for a in accs))
    explanation = shap.Explanation(values=shares, base_values=None, data=None, feature_names=list(labels))
    info = AttributionInfo(kind="submodels", parts=dict(zip(labels, parts, strict=True)), totals=totals,
                           combined=combined, submodels=tuple(labels), **info_args)
    return _finish(explanation, info, [*parts, combined], method, info.done, partial)
