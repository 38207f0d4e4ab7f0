"""Each sub-network's share of an attribution, for an ensemble whose sub-networks share one input
(``outputs = mean(net_i(x))``, a weighted vote, a stack of them...).

**How.** The attribution is run once per sub-network with the *other* sub-networks' outputs detached
(their values unchanged, no gradient through them). By the chain rule the gradient of the output is
the sum over sub-networks of the gradient along each one's path, so for a method that is linear in
the gradient the per-sub-network attributions add up to the ensemble's attribution, element by
element (completeness of the split, checked by the tests):

- integrated gradients: ``IG_i = (x - x') * integral of d f/d net_i * d net_i/dx``; for a mean of M
  networks ``IG_i`` is Captum's IG of ``net_i`` alone divided by M, and ``sum(IG_i)`` is
  ``(net_i(x) - net_i(x')) / M``: each sub-network's part of the output change;
- gradient SHAP and DeepLIFT (their backward passes are linear in the output gradient), saliency
  with ``abs=False`` and SmoothGrad with ``nt_type="smoothgrad", abs=False``. The sampling methods use
  the same noise in every run (a seed is drawn when none is given) so the parts add up.

Not split: absolute saliency or SmoothGrad (``|a + b| != |a| + |b|``), ``smoothgrad_sq`` / ``vargrad``,
Grad-CAM (a map of one layer of one sub-network) and occlusion (forward passes: the outputs of the
other sub-networks cannot be held fixed by detaching).

If some path from the input to the output bypasses every listed sub-network (a skip connection), its
part is the extra ``"other paths"`` entry (a run with every sub-network detached; it is subtracted from
the sub-networks' runs, which carry it too), so the parts still add up to the whole.

**Which sub-networks.** ``submodels="auto"``: the outermost modules that receive the model's input
tensor itself (found on a one-sample pass); at least two. Or a list of module names / modules.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ._torch_inputs import Setup
from ._torch_model import find_layer, model_lock, require_torch

SPLIT_METHODS = ("integrated_gradients", "gradient_shap", "deeplift", "saliency", "smoothgrad")
OTHER_PATHS = "other paths"


@dataclass(frozen=True)
class Split:
    """The sub-networks an attribution is split over (``rest``: a part for paths bypassing them all)."""

    names: tuple[str, ...]
    modules: tuple[Any, ...]
    rest: bool

    @property
    def labels(self) -> tuple[str, ...]:
        return self.names + ((OTHER_PATHS,) if self.rest else ())


def check_method(method: str, options: dict[str, Any]) -> None:
    """Raise unless ``method`` with ``options`` is linear in the gradient (see the module docstring)."""
    why = None
    if method not in SPLIT_METHODS:
        why = {"grad_cam": "explains one layer, inside one sub-network",
               "occlusion": "uses forward passes only, which cannot hold the other sub-networks fixed"}.get(method, "")
    elif method in ("saliency", "smoothgrad") and options.get("abs", True):
        why = "takes |gradient| (the default abs=True), and |a + b| is not |a| + |b|: pass abs=False"
    elif method == "smoothgrad" and options.get("nt_type", "smoothgrad") != "smoothgrad":
        why = f"with nt_type={options['nt_type']!r} squares the gradients: use nt_type='smoothgrad'"
    if why is not None:
        raise ValueError(
            f"submodels= splits the attribution along each sub-network's path, which adds up to the whole for "
            f"methods linear in the gradient: integrated_gradients, gradient_shap, deeplift, saliency (abs=False), "
            f"smoothgrad (nt_type='smoothgrad', abs=False); {method} {why}".rstrip("; ")
        )


def _detached(output: Any, name: str) -> Any:
    torch = require_torch()
    if isinstance(output, torch.Tensor):
        return output.detach()
    if isinstance(output, (tuple, list)):
        return type(output)(_detached(o, name) if isinstance(o, (torch.Tensor, tuple, list)) else o for o in output)
    if isinstance(output, dict):
        return {k: _detached(v, name) if isinstance(v, torch.Tensor) else v for k, v in output.items()}
    raise TypeError(f"sub-network {name!r} returns {type(output).__name__}; submodels= needs tensors "
                    "(or tuples / dicts of them) to hold its output fixed")


def restricted(forward: Any, split: Split, keep: int | None) -> Any:
    """``forward`` with every sub-network but ``keep`` detached (None: all of them) while it runs."""
    torch = require_torch()
    module: Any = torch.nn.Module

    class Restricted(module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = forward

        def forward(self, *args: Any) -> Any:
            hooks = [m.register_forward_hook(lambda _m, _a, out, n=name: _detached(out, n))
                     for i, (name, m) in enumerate(zip(split.names, split.modules, strict=True)) if i != keep]
            try:
                return self.inner(*args)
            finally:
                for hook in hooks:
                    hook.remove()

    return Restricted()


def find_split(setup: Setup, submodels: Any) -> Split:
    """The sub-networks (``"auto"`` or names/modules), checked on a one-sample pass: each is used, none
    holds another, and whether some path bypasses them all."""
    torch = require_torch()
    model = setup.model
    if len(setup.inputs) != 1 or setup.kinds[0] == "tokens":
        raise ValueError("submodels= splits the attribution of one shared float input (images, features) over "
                         f"sub-networks; these inputs are {dict(zip(setup.names, setup.kinds, strict=True))} "
                         "(several inputs get each input's share without it)")
    one = tuple(t[:1].detach().requires_grad_() for t in setup.inputs)
    extra = _first_extra(setup)
    named = [(n, m) for n, m in model.named_modules() if n]
    seen: dict[str, bool] = {}  # module name -> it received the model's input itself

    def spy(name: str) -> Any:
        def hook(_module: Any, args: Any) -> None:
            direct = any(a is x for a in args for x in one)
            seen[name] = seen.get(name, False) or direct
        return hook

    with model_lock(model), torch.enable_grad():
        hooks = [m.register_forward_pre_hook(spy(n)) for n, m in named]
        try:
            setup.forward(*one, *extra)
        finally:
            for hook in hooks:
                hook.remove()
    if isinstance(submodels, str) and submodels == "auto":
        direct = [n for n in seen if seen[n]]
        outer = [n for n in direct if not any(n.startswith(o + ".") for o in direct if o != n)]
        if len(outer) < 2:
            found = f"only {outer[0]!r} takes" if outer else "no submodule takes"
            raise ValueError(f"submodels='auto' found no ensemble in {type(model).__name__}: {found} the input "
                             "directly (an ensemble's sub-networks each take it); name them: submodels=[...] "
                             f"from {[n for n, _ in named][:40]}")
        chosen = [(n, dict(named)[n]) for n in outer]
    else:
        if isinstance(submodels, (str, torch.nn.Module)) or not isinstance(submodels, Sequence) or len(submodels) < 2:
            raise ValueError(f"submodels must be 'auto' or a list of at least two module names or modules; "
                             f"got {submodels!r}")
        chosen = [(name, module) for module, name in
                  (find_layer(model, s, purpose="a sub-network") for s in submodels)]
        names = [n for n, _ in chosen]
        for n in names:
            if n not in seen:
                raise ValueError(f"sub-network {n!r} is not used when {type(model).__name__} runs on these inputs")
            inside = [o for o in names if o != n and n.startswith(o + ".")]
            if inside or names.count(n) > 1:
                raise ValueError(f"sub-network {n!r} is listed twice or inside {inside[0] if inside else n!r}: "
                                 "its path would count twice")
    split = Split(tuple(n for n, _ in chosen), tuple(m for _, m in chosen), rest=False)
    with model_lock(model), torch.enable_grad():
        out = restricted(setup.forward, split, keep=None)(*one, *extra)
    rest = bool(getattr(out, "requires_grad", False))  # a gradient still reaches the input: a path outside them
    return replace(split, rest=rest)


def _first_extra(setup: Setup) -> tuple[Any, ...]:
    torch = require_torch()
    extra = setup.additional_forward_args
    if extra is None:
        return ()
    extra = extra if isinstance(extra, tuple) else (extra,)
    return tuple(a[:1] if isinstance(a, torch.Tensor) and a.dim() and a.shape[0] == setup.n else a for a in extra)


def runs(setup: Setup, split: Split) -> Iterator[tuple[int, Setup]]:
    """One setup per part (index into ``split.labels``): its forward keeps the gradient of one sub-network
    only. With other paths, their run (every sub-network detached) comes first: a sub-network's part is
    its run minus that one (:func:`parts`)."""
    order = list(range(len(split.labels)))
    if split.rest:
        order = order[-1:] + order[:-1]
    for i in order:
        keep = i if i < len(split.names) else None
        yield i, replace(setup, forward=restricted(setup.forward, split, keep))


def parts(split: Split, runs: Sequence[Any]) -> list[Any]:
    """The parts from the runs' arrays: with other paths, every sub-network's run also carries them."""
    if not split.rest:
        return list(runs)
    rest = runs[-1]
    return [r - rest for r in runs[:-1]] + [rest]
