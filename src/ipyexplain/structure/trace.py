"""Tracing a model: torch.fx when it can, a recorded real forward pass when it cannot."""

from __future__ import annotations

from typing import Any

from ._builder import build_graph
from ._fx import FxUnsupported, trace_fx
from ._hooks import run_located, trace_hooks
from ._inputs import bind_inputs, check_model, import_torch
from .graph import ModelGraph

METHODS = ("auto", "fx", "hooks")


class _eval_no_grad:
    """Run the model in eval mode without autograd, and put its training flags back afterwards.

    Tracing must not change the model: no batch-norm statistics updated, no dropout drawn.
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self.flags: list[tuple[Any, bool]] = []

    def __enter__(self) -> None:
        torch = import_torch()
        self.flags = [(m, m.training) for m in self.model.modules()]
        self.model.eval()
        self.grad = torch.no_grad()
        self.grad.__enter__()

    def __exit__(self, *exc: Any) -> None:
        self.grad.__exit__(*exc)
        for module, flag in self.flags:
            module.training = flag


def trace_model(model: Any, example_input: Any = None, *, method: str = "auto") -> ModelGraph:
    """The :class:`ModelGraph` of ``model`` on ``example_input`` (see ``ModelGraph.from_model``)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    model = check_model(model)
    bound = bind_inputs(model, example_input)
    notes: list[str] = []
    with _eval_no_grad(model):
        if method in ("auto", "fx"):
            try:
                ops, _ = trace_fx(model, bound)
                return build_graph(model, ops, "fx", notes)
            except FxUnsupported as exc:
                if method == "fx":
                    # The model's own error reads better than fx's replay of it.
                    run_located(model, bound)
                    raise ValueError(f"torch.fx cannot trace {type(model).__name__}: {exc}") from exc
                notes.append(
                    f"torch.fx could not trace {type(model).__name__} ({exc}); "
                    "the graph was recorded from a real forward pass instead"
                )
        ops, _ = trace_hooks(model, bound)
        return build_graph(model, ops, "hooks", notes)
