"""The page ``save_html`` writes: theme, styles, the inlined JavaScript, safely escaped.

Everything the page runs is inline: our boot script and AMD loader (``static/export/export_page.js``),
@jupyter-widgets/html-manager (``static/export/html_manager.js``, vendored at build time), and the
AMD bundles of the third-party widget libraries the state uses (bqplot, bqscales, anywidget), read from
the Jupyter ``nbextensions`` folders of this environment so they match the installed Python packages.
The libraries and the widget state are stored gzipped as base64 (a third of their size; the boot script
unpacks them with the browser's DecompressionStream). A Content-Security-Policy forbids every network
load, so a missed dependency fails visibly instead of quietly reaching for a CDN.
"""

from __future__ import annotations

import base64
import functools
import gzip
import html
import json
import math
import re
import sys
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .views._base import STATIC

EXPORT_ASSETS = STATIC / "export"
#: JupyterLab's light and dark theme variables (a JSON file next to colormaps.json, so the wheel ships it).
THEMES_FILE = Path(__file__).resolve().parent / "html_themes.json"
THEMES = ("light", "dark")

#: No network: scripts and styles only inline (plus anywidget's blob: module imports and our layout worker),
#: images, fonts and fetches only from data:/blob: URLs. html-manager compiles JSON schemas (ajv): eval.
CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval' blob:; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; worker-src blob:; connect-src data: blob:; "
    "base-uri 'none'; form-action 'none'"
)

PAGE_CSS = """
html, body { margin: 0; background: var(--jp-layout-color0); color: var(--jp-ui-font-color1);
  font-family: var(--jp-ui-font-family); font-size: var(--jp-ui-font-size1); }
.ipx-export { box-sizing: border-box; padding: 16px 20px; }
.ipx-export-title { margin: 0 0 12px; font-size: 18px; font-weight: 600; color: var(--jp-ui-font-color0); }
.ipx-export-note { margin: 0 0 12px; padding: 6px 10px; border-left: 3px solid var(--jp-warn-color1);
  background: var(--jp-layout-color2); color: var(--jp-ui-font-color1); }
.ipx-export-footer { margin: 16px 0 0; font-size: 11px; color: var(--jp-ui-font-color2); }
.ipx-export-error { margin: 4px 0; white-space: pre-wrap; color: var(--jp-error-color1); }
/* A saved page has no kernel: a view's Cancel button could do nothing. */
.ipx-cancel { display: none !important; }
"""

_SCRIPT_BREAK = re.compile(r"<(/script|!--)", re.IGNORECASE)
_SOURCE_MAP = re.compile(r"^//# sourceMappingURL=.*$", re.MULTILINE)
PACKED = "application/x-ipyexplain-gzip"
BUILTIN_MODULES = frozenset({"@jupyter-widgets/base", "@jupyter-widgets/controls", "@jupyter-widgets/output"})


class ExportError(RuntimeError):
    """The page cannot be made self-contained (a bundle is missing)."""


def _asset(name: str) -> str:
    path = EXPORT_ASSETS / name
    if not path.exists():
        raise ExportError(f"{path} is missing: build the frontend with `npm ci && npm run build`")
    return path.read_text(encoding="utf-8")


def pack(text: str, level: int = 6) -> str:
    """gzip, then base64: what the boot script unpacks. Deterministic (no timestamp in the header)."""
    return base64.b64encode(gzip.compress(text.encode("utf-8"), compresslevel=level, mtime=0)).decode("ascii")


@functools.lru_cache(maxsize=16)
def _packed_file(path: Path, mtime_ns: int) -> str:
    """A library file packed once per process (and again if the file changes): 2.4 MB takes ~0.1 s."""
    return pack(_SOURCE_MAP.sub("", path.read_text(encoding="utf-8")), level=9)


def packed_file(path: Path) -> str:
    if not path.is_file():
        raise ExportError(f"{path} is missing: build the frontend with `npm ci && npm run build`")
    return _packed_file(path, path.stat().st_mtime_ns)


def packed_script(payload: str, **attributes: str) -> str:
    """A non-running script element holding a packed part (base64 cannot contain ``<``, ``>`` or ``&``)."""
    attrs = "".join(f' {k.replace("_", "-")}="{html.escape(v)}"' for k, v in attributes.items())
    return f'<script type="{PACKED}"{attrs}>{payload}</script>'


def nbextension_dirs() -> list[Path]:
    """Where Jupyter keeps the AMD bundles of widget libraries (``share/jupyter/nbextensions``)."""
    found: list[Path] = []
    try:
        from jupyter_core.paths import jupyter_path

        found += [Path(p) for p in jupyter_path("nbextensions")]
    except ImportError:  # pragma: no cover - jupyter_core comes with any Jupyter install
        pass
    found.append(Path(sys.prefix, "share", "jupyter", "nbextensions"))
    unique: list[Path] = []
    for d in found:
        if d.is_dir() and d not in unique:
            unique.append(d)
    return unique


def module_bundle(module: str) -> Path:
    """The AMD bundle of the widget library ``module`` (e.g. ``bqplot``), from this environment."""
    dirs = nbextension_dirs()
    for d in dirs:
        path = d / module / "index.js"
        if path.is_file():
            return path
    searched = ", ".join(str(d) for d in dirs) or "no nbextensions folder"
    raise ExportError(
        f"cannot save the widget library {module!r} into the page: its JavaScript ({module}/index.js) is not in "
        f"any nbextensions folder of this environment (searched: {searched}); reinstall the package that "
        f"provides it"
    )


def inline_script(source: str, **attributes: str) -> str:
    """A ``<script>`` holding ``source``, which cannot end the element early (``</script``, ``<!--``)."""
    source = _SCRIPT_BREAK.sub(r"<\\\1", _SOURCE_MAP.sub("", source))
    attrs = "".join(f' {k.replace("_", "-")}="{html.escape(v)}"' for k, v in attributes.items())
    return f"<script{attrs}>{source}</script>"


def to_json(data: Any) -> str:
    """The widget state as JSON; NaN/inf become null (JSON has none; the kernel sends them as null too)."""
    try:
        return json.dumps(data, separators=(",", ":"), allow_nan=False, default=_json_default)
    except ValueError:
        return json.dumps(_finite(data), separators=(",", ":"), allow_nan=False, default=_json_default)


def _json_default(value: Any) -> Any:
    if hasattr(value, "item") and hasattr(value, "dtype"):  # numpy scalars
        return value.item()
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"cannot write a {type(value).__name__} into the page's widget state")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


@functools.lru_cache(maxsize=2)
def theme_css(theme: str) -> str:
    """JupyterLab's palette as CSS variables on :root (the names and values are ours, never the user's)."""
    palette = json.loads(THEMES_FILE.read_text(encoding="utf-8"))[theme]
    scheme = "dark" if theme == "dark" else "light"
    lines = "\n".join(f"  {name}: {value};" for name, value in palette.items())
    return f":root {{\n  color-scheme: {scheme};\n{lines}\n}}\n"


def icon_css() -> str:
    """Font Awesome's classes and its solid face as data: the icons of ipywidgets buttons (``icon="search"``)."""
    path = EXPORT_ASSETS / "fa-solid-900.woff2"
    if not path.exists():
        raise ExportError(f"{path} is missing: build the frontend with `npm ci && npm run build`")
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return _asset("fontawesome.css") + (
        '\n@font-face { font-family: "Font Awesome 5 Free"; font-style: normal; font-weight: 900; '
        f'font-display: block; src: url(data:font/woff2;base64,{data}) format("woff2"); }}'
    )


def page(
    *,
    title: str,
    heading: str | None,
    theme: str,
    notes: Iterable[str],
    footer: str,
    data: Any,
    n_views: int,
    modules: Iterable[str],
    icons: bool,
) -> str:
    """The whole HTML document. Every user string is escaped; ``data`` is the export's JSON."""
    light = "true" if theme == "light" else "false"
    theme_name = "JupyterLab Light" if theme == "light" else "JupyterLab Dark"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="ipyexplain">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{theme_css(theme)}{PAGE_CSS}</style>",
        f"<style>{icon_css()}</style>" if icons else "",
        "</head>",
        f'<body class="ipx-export-page" data-jp-theme-light="{light}" data-jp-theme-name="{theme_name}">',
        '<main class="ipx-export">',
        f'<h1 class="ipx-export-title">{html.escape(heading)}</h1>' if heading else "",
        *(f'<p class="ipx-export-note" role="note">{html.escape(n)}</p>' for n in notes),
        *('<div class="widget-subarea ipx-export-view"></div>' for _ in range(n_views)),
        "<noscript>This page draws its widgets with JavaScript; allow scripts to see them.</noscript>",
        f'<p class="ipx-export-footer">{html.escape(footer)}</p>',
        "</main>",
        packed_script(pack(to_json(data)), id="ipyexplain-export-data"),
        packed_script(packed_file(EXPORT_ASSETS / "html_manager.js")),
        *(packed_script(packed_file(module_bundle(m)), data_amd_module=m) for m in sorted(modules)),
        inline_script(_asset("export_page.js")),  # last: it unpacks and runs the parts above
        "</body>",
        "</html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"
