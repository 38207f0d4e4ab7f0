"""Where a view is shown: inline below the cell, in the JupyterLab sidebar, or in one HTML file (save_html)."""

from __future__ import annotations

import os
import warnings
from typing import Any

from IPython.display import display

from ._html_export import save_html, to_html

__all__ = ["PLACES", "in_voila", "save_html", "show", "to_html"]

PLACES = ("inline", "sidebar")


def in_voila() -> bool:
    """Voila has no sidebar: a sidecar's content lands inline there, with a console error."""
    return "VOILA_KERNEL_ID" in os.environ or os.environ.get("SERVER_SOFTWARE", "").startswith("voila")


def show(widget: Any, where: str = "inline", *, title: str | None = None) -> Any:
    """Display ``widget`` inline or in the JupyterLab sidebar (``where="sidebar"``).

    The sidebar needs the ``sidecar`` package (``pip install ipyexplain[sidebar]``) and JupyterLab;
    elsewhere (Voila, no sidecar installed) the widget is shown inline with a warning saying why.
    Returns the ``Sidecar`` when one was used, so the caller can close it.
    """
    if where not in PLACES:
        raise ValueError(f"where must be one of {PLACES}; got {where!r}")
    if where == "sidebar":
        reason = _why_no_sidebar()
        if reason is None:
            from sidecar import Sidecar

            panel = Sidecar(title=title or getattr(widget, "title", "") or "ipyexplain")
            with panel:
                display(widget)
            return panel
        warnings.warn(f"showing the widget inline: {reason}", stacklevel=3)
    display(widget)
    return None


def _why_no_sidebar() -> str | None:
    if in_voila():
        return "Voila has no sidebar"
    try:
        import sidecar  # noqa: F401
    except ImportError:
        return "the sidebar needs the sidecar package: pip install 'ipyexplain[sidebar]'"
    return None
