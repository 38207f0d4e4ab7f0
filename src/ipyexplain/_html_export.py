"""Save any view, entry-point widget or ipywidgets layout as one self-contained HTML file that opens offline.

The page holds the widgets' state as it is now (a snapshot, binary buffers as base64) and every line of
JavaScript needed to draw it: @jupyter-widgets/html-manager (the standard manager for widgets outside a
kernel) plus the AMD bundles of bqplot/bqscales/anywidget, resolved by a small AMD loader that never
fetches. Browser-side interaction keeps working (hover, zoom, search, expand/collapse, bqplot tooltips);
controls whose effect needs the Python kernel are saved disabled. See ``_html_page`` for the page itself.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

import ipywidgets as w
from ipywidgets.embed import dependency_state
from ipywidgets.widgets.widget import _instances

from . import _html_page
from ._version import __version__
from .views._base import check_keywords

OPTIONS = frozenset({"title", "theme"})
ACTIVE = ("running", "pending")
KERNEL_ONLY = "needs the Python kernel: not available in a saved file"


def to_html(widget: Any, **options: Any) -> str:
    """The HTML of :func:`save_html`, as a string (same arguments, without ``path``)."""
    check_keywords("to_html", options, set(OPTIONS))
    title, theme = _options(options)
    if not isinstance(widget, w.DOMWidget):
        raise TypeError(
            "widget must be a displayable ipywidgets widget: an ipyexplain view (Heatmap, ImportanceBars, "
            "NetworkDiagram, ...), what an entry point returns (permutation_importance, evaluate, compare, "
            "TrainingMonitor, ...), a bqplot Figure or a layout of them (ipywidgets.VBox, HBox, Tab, ...); "
            f"got {type(widget).__name__}"
        )
    # Every trait, defaults included: JS models need not share the Python defaults (anywidget has none).
    state = dependency_state([widget], drop_defaults=False)
    widgets = {mid: _instances[mid] for mid in state if mid in _instances}
    esm = _share_esm(state)
    modules = {m for s in state.values() for m in (s["model_module"], s["state"].get("_view_module"))
               if isinstance(m, str) and m} - _html_page.BUILTIN_MODULES
    disabled = _disable_kernel_controls(state, widgets)
    running = _running_jobs(widgets.values())
    for model in state.values():  # a frozen "about 5 s left" would be a promise the file cannot keep
        if model["state"].get("_job_status") in ACTIVE and "_eta" in model["state"]:
            model["state"]["_eta"] = None
    now = _dt.datetime.now().astimezone()
    stamp = now.strftime("%Y-%m-%d %H:%M %Z").strip()
    notes = _pooled_notes(state)
    if running:
        notes.append(
            f"Snapshot taken at {stamp} while {running} job{'s were' if running > 1 else ' was'} still running: "
            "the views show the partial results of that moment, and their progress stays where it was."
        )
    footer = f"Saved with ipyexplain {__version__} on {stamp}: a snapshot of the widgets. Hover, zoom and " \
             "the other browser-side interactions work in this file"
    footer += "; controls that need the Python kernel are disabled." if disabled else "."
    data = {
        "state": {"version_major": 2, "version_minor": 0, "state": state},
        "views": [widget.get_view_spec()],
        "esm": esm,
    }
    icons = any(s["state"].get("icon") for s in state.values())
    default_title = title or str(getattr(widget, "title", "") or "") or f"ipyexplain: {type(widget).__name__}"
    return _html_page.page(title=default_title, heading=title, theme=theme, notes=notes, footer=footer, data=data,
                           n_views=1, modules=modules, icons=icons)


def save_html(widget: Any, path: str | Path, **options: Any) -> Path:
    """Save ``widget`` as one self-contained HTML file that opens offline (Chrome/Edge 80+, Firefox 113+, Safari 16.4+).

    Parameters
    ----------
    widget : ipywidgets widget
        Any ipyexplain view, what an entry point returns (``permutation_importance``, ``evaluate``,
        ``compare``, ``TrainingMonitor``, ...), a bqplot ``Figure``, or an ipywidgets layout of them.
    path : str or Path
        Where to write the file (UTF-8); its folder must exist.
    title : str, optional
        A heading above the widget and the page's title.
    theme : {"light", "dark"}
        JupyterLab's light or dark palette for the page and every view in it.

    Returns
    -------
    Path
        The file written.

    Notes
    -----
    The file holds the widgets' state as it is now: a job still running is saved as a snapshot (the page says
    so). Browser-side interaction (hover, zoom, search, expand/collapse) keeps working; anything that needs the
    Python kernel does not (such controls are disabled). The page loads nothing from the network. Typical
    sizes: 0.85 MB for one view, 1.2-1.4 MB with bqplot charts, 1.5 MB with a network diagram, plus the data
    (binary arrays as base64: 4/3 of their bytes).
    """
    check_keywords("save_html", options, set(OPTIONS))
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str or pathlib.Path; got {type(path).__name__}")
    text = to_html(widget, **options)
    target = Path(path)
    target.write_text(text, encoding="utf-8")
    return target


def _options(options: dict[str, Any]) -> tuple[str | None, str]:
    title = options.get("title")
    theme = options.get("theme", "light")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None; got {type(title).__name__}")
    if theme not in _html_page.THEMES:
        raise ValueError(f"theme must be one of {_html_page.THEMES}; got {theme!r}")
    return title, theme


def _share_esm(state: dict[str, Any]) -> list[str]:
    """Each distinct anywidget module once (a page of five bar charts would hold bars.js five times)."""
    table: list[str] = []
    index: dict[str, int] = {}
    for model in state.values():
        source = model["state"].get("_esm")
        if model["model_module"] != "anywidget" or not isinstance(source, str):
            continue
        if source.lstrip().startswith(("http://", "https://", "//")):
            raise ValueError(f"an anywidget loads its module from {source.strip()[:80]!r}: it cannot work offline")
        if source not in index:
            index[source] = len(table)
            table.append(source)
        model["state"]["_esm"] = {"ipyexplain_esm": index[source]}
    return table


def _disable_kernel_controls(state: dict[str, Any], widgets: dict[str, Any]) -> int:
    """Disable ipywidgets controls (threshold sliders, pickers, buttons): their effect runs in the kernel.

    Controls tied together by ``jslink`` work in the browser and stay enabled.
    """
    linked = {
        ref[0].removeprefix("IPY_MODEL_")
        for s in state.values() if s["model_name"] in ("LinkModel", "DirectionalLinkModel")
        for ref in (s["state"].get("source"), s["state"].get("target")) if isinstance(ref, list) and ref
    }
    count = 0
    for mid, model in state.items():
        widget = widgets.get(mid)
        if model["model_module"] != "@jupyter-widgets/controls" or widget is None or mid in linked:
            continue
        if "disabled" in getattr(widget, "keys", ()) and not widget.disabled:
            model["state"]["disabled"] = True
            if "tooltip" in widget.keys and not widget.tooltip:
                model["state"]["tooltip"] = KERNEL_ONLY
            count += 1
    return count


def _pooled_notes(state: dict[str, Any]) -> list[str]:
    """A matrix bigger than the screen travels pooled; zooming in a file cannot fetch the detail."""
    notes = []
    for model in state.values():
        full, shown = model["state"].get("_shape"), (model["state"].get("_overview") or {}).get("shape")
        if isinstance(full, list) and isinstance(shown, list) and len(full) == len(shown) == 2 and full != shown:
            notes.append(
                f"The {full[0]:,} × {full[1]:,} heatmap is saved pooled to {shown[0]:,} × {shown[1]:,}: zooming in "
                "enlarges that picture (the detail of every cell needs the Python kernel)."
            )
    return notes


def _running_jobs(widgets: Any) -> int:
    """How many jobs were still running when the file was saved (they appear as a frozen snapshot)."""
    from ._jobs import Job

    jobs: dict[int, Any] = {}
    flagged = 0
    for widget in widgets:
        many = getattr(widget, "jobs", None)
        many = list(many.values()) if isinstance(many, dict) else list(many) if isinstance(many, (list, tuple)) else []
        found = [j for j in (getattr(widget, "job", None), *many) if isinstance(j, Job)]
        for job in found:
            jobs[id(job)] = job
        if not found and getattr(widget, "_job_status", "") in ACTIVE:
            flagged += 1
    return flagged + sum(1 for job in jobs.values() if job.status in ACTIVE)
