"""The colormaps of ``colormaps.json`` (shared with ``js/src/lib/colormap.ts``), evaluated in Python.

The browser draws; Python needs the same numbers to resolve defaults, to validate ``cmap`` names,
and for tests that check a drawn pixel has the colour its value maps to.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

LUT_SIZE = 256


@cache
def _spec() -> dict[str, Any]:
    return json.loads((Path(__file__).parent / "colormaps.json").read_text())


def names() -> list[str]:
    return sorted(_spec()["maps"])


def kind(name: str) -> str:
    return str(_spec()["maps"][name]["kind"])


def checked(name: Any, kind_of: str | None = None) -> str:
    """``name`` if it is a colormap (of kind ``kind_of``: "diverging"/"sequential"), else a ValueError
    that lists the valid names: what every view's ``cmap`` validator says."""
    valid = [n for n in names() if kind_of is None or kind(n) == kind_of]
    if name not in valid:
        what = f"a {kind_of} colormap, one of" if kind_of else "one of"
        raise ValueError(f"cmap must be {what} {valid}; got {name!r}")
    return str(name)


def default(signed: bool) -> str:
    return str(_spec()["default"]["diverging" if signed else "sequential"])


def _hex_to_rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def missing_rgb() -> tuple[int, int, int]:
    return _hex_to_rgb(_spec()["missing"])


def lut(name: str) -> np.ndarray:
    """(256, 3) uint8 table; the same arithmetic as ``buildLut`` in colormap.ts."""
    stops = np.array([_hex_to_rgb(c) for c in _spec()["maps"][name]["colors"]], dtype=np.float64)
    pos = np.arange(LUT_SIZE) / (LUT_SIZE - 1) * (len(stops) - 1)
    lo = np.minimum(np.floor(pos).astype(int), len(stops) - 2)
    frac = (pos - lo)[:, None]
    return np.floor(stops[lo] + (stops[lo + 1] - stops[lo]) * frac + 0.5).astype(np.uint8)


def lut_index(value: float, vmin: float, vmax: float) -> int:
    """Table entry of ``value``; the same arithmetic as ``lutIndex`` in colormap.ts."""
    t = (value - vmin) / (vmax - vmin)
    return int(min(LUT_SIZE - 1, max(0, np.floor(t * LUT_SIZE))))


def color_of(value: float, name: str, vmin: float, vmax: float) -> tuple[int, int, int]:
    """The RGB a view draws for ``value``; non-finite values get the "missing" colour."""
    if not np.isfinite(value):
        return missing_rgb()
    r, g, b = lut(name)[lut_index(value, vmin, vmax)]
    return int(r), int(g), int(b)
