"""What every ipyexplain view shares: strict keyword handling, its bundle, and ``show()``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anywidget

STATIC = Path(__file__).resolve().parent.parent / "static"


def bundle(name: str) -> str:
    """The view's built ES module, read once.

    Read as text rather than passed as a path so anywidget never starts a file watcher. A missing
    bundle (a source checkout that was never built) becomes a module that *shows* the problem
    in the widget instead of a blank output.
    """
    path = STATIC / f"{name}.js"
    if path.exists():
        return path.read_text(encoding="utf-8")
    message = f"ipyexplain: the frontend bundle {path.name} is missing; build it with `npm run build`."
    return (
        "export default { render({ el }) { const d = document.createElement('div');"
        " d.textContent = " + json.dumps(message) + "; d.style.color = 'crimson'; el.appendChild(d); } };"
    )


def check_keywords(cls_name: str, given: dict[str, Any], allowed: set[str]) -> None:
    """Unknown keyword -> ``TypeError`` naming the valid ones (traitlets would silently accept it)."""
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise TypeError(
            f"{cls_name}() got unexpected keyword argument(s) {', '.join(map(repr, unknown))}; "
            f"valid keywords are: {', '.join(sorted(allowed))}"
        )


class View(anywidget.AnyWidget):
    """Base of the ipyexplain views."""

    def show(self, where: str = "inline", *, title: str | None = None) -> Any:
        """Display this view ``"inline"`` (below the cell) or in the JupyterLab ``"sidebar"``.

        Returns the sidebar panel (a ``sidecar.Sidecar``, whose ``close()`` removes it) or ``None``.
        """
        from ..display import show

        return show(self, where=where, title=title)
