"""Kernel-side reduction for ImageOverlay: image attributions -> what the browser draws.

Each *panel* (a column: one method, or one job) holds attributions ``(N, H, W, C)`` and, optionally,
the images ``(N, H, W, C)`` under them. The browser gets, for the samples shown, per panel:

- the **signed** map (attribution summed over channels) and the **absolute** map (sum of |a| over
  channels), both pooled (block means) to at most ``max_px`` per side and within the message budget,
  so the signed/absolute toggle needs no round trip;
- a colour limit per panel (or per image, or shared): the ``clip_percentile`` of |map| over the pixels
  computed so far, so a few extreme pixels do not wash the rest out;
- the images, pooled the same way, with their display range: 1 or 2 channels are drawn in gray from the
  first (hover gives every value), 3 as RGB, 4 as RGB without alpha, more from the first three (false colour).

NaN (not computed yet, e.g. a stream part-way) stays NaN: no overlay is drawn there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shap

from .._pooling import pool
from ._attribution_common import robust_limit

#: Budget for one update (signed + absolute maps + images), well under the 8 MiB message limit.
BUDGET_BYTES = 6 * 1024 * 1024
MAX_CHANNELS = 16  # more than this on an axis: it is a side of the image, not channels
SCALES = ("panel", "image", "shared")


@dataclass
class Panel:
    label: str
    values: np.ndarray  # (N, H, W, C)
    images: np.ndarray | None  # (N, H, W, C)
    sample_labels: list[str] | None = None


@dataclass
class Reduced:
    signed: np.ndarray  # (panels, samples, h, w) float32
    absolute: np.ndarray
    images: np.ndarray | None  # (samples, h, w, c) float32
    image_range: np.ndarray  # (samples, 2)
    limits_signed: np.ndarray  # (panels, samples)
    limits_absolute: np.ndarray
    computed: np.ndarray  # (panels, samples) uint8: any pixel computed
    pooled: int  # input pixels per drawn pixel, per side (1: exact)


def to_nhwc(array: Any, name: str) -> np.ndarray:
    """Images or attributions as (N, H, W, C): accepts (N, H, W), (N, H, W, C) and Captum's (N, C, H, W)."""
    if hasattr(array, "detach"):
        array = array.detach().cpu().numpy()
    a = np.asarray(array)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric; got dtype {a.dtype}")
    if a.ndim == 2:
        a = a[None]
    if a.ndim == 3:
        return a[..., None]
    if a.ndim == 4:
        if a.shape[-1] in (1, 3, 4):
            return a
        if a.shape[1] in (1, 3, 4):
            return np.moveaxis(a, 1, -1)
        # Other channel counts (2-channel images, multispectral stacks): the channel axis is the short one.
        if a.shape[-1] <= MAX_CHANNELS and a.shape[-1] < min(a.shape[1:3]):
            return a
        if a.shape[1] <= MAX_CHANNELS and a.shape[1] < min(a.shape[2:]):
            return np.moveaxis(a, 1, -1)
        raise ValueError(f"{name} has shape {a.shape}: which axis holds the channels? Give (N, H, W, C) "
                         f"with C at most {MAX_CHANNELS} and smaller than H and W (or Captum's (N, C, H, W))")
    if a.ndim == 5:
        raise ValueError(f"{name} has shape {a.shape}: one attribution per output; pick one output first, "
                         "e.g. explanation[..., k]")
    raise ValueError(f"{name} has shape {a.shape}; expected images (N, H, W), (N, H, W, C) or (N, C, H, W)")


def panel_of(value: Any, label: str, images: Any = None) -> Panel:
    """A Panel from a shap.Explanation (values + data) or an array of attributions (with ``images``)."""
    if isinstance(value, shap.Explanation):
        values = to_nhwc(value.values, f"{label}: explanation.values")
        data = value.data if images is None else images
    else:
        values = to_nhwc(value, f"{label}: attributions")
        data = images
    values = values.astype(np.float32, copy=False)
    pics = None
    if data is not None:
        pics = to_nhwc(data, f"{label}: images").astype(np.float32, copy=False)
        if pics.shape[:3] != values.shape[:3]:
            raise ValueError(f"{label}: images of shape {pics.shape} do not match attributions of shape "
                             f"{values.shape} (N, H, W must agree)")
    return Panel(label, values, pics)


def _shown(n: int, samples: Any) -> list[int]:
    if samples is None:
        return list(range(min(n, 8)))
    chosen = [int(i) for i in np.atleast_1d(samples)]
    bad = [i for i in chosen if not -n <= i < n]
    if bad:
        raise ValueError(f"samples {bad} out of range for {n} images")
    return [i % n for i in chosen]


def reduce(panels: list[Panel], *, samples: Any, max_px: int, clip_percentile: float, scale: str,
           image_range: tuple[float, float] | None) -> Reduced:
    """See the module docstring."""
    n, height, width = panels[0].values.shape[:3]
    for p in panels[1:]:
        if p.values.shape[:3] != (n, height, width):
            raise ValueError(f"panel {p.label!r} has attributions of shape {p.values.shape}; panel "
                             f"{panels[0].label!r} has {panels[0].values.shape}: every panel needs the same images")
    shown = _shown(n, samples)
    source = next((p.images for p in panels if p.images is not None), None)
    channels = 0 if source is None else min(3, source.shape[-1])
    per_pixel = 4 * (2 * len(panels) + channels)
    side = int(min(max_px, max(8, np.sqrt(BUDGET_BYTES / max(1, per_pixel * len(shown))))))
    out_h, out_w = (height, width) if max(height, width) <= side else (
        max(1, round(height * side / max(height, width))), max(1, round(width * side / max(height, width))))
    signed = np.full((len(panels), len(shown), out_h, out_w), np.nan, dtype=np.float32)
    absolute = np.full_like(signed, np.nan)
    computed = np.zeros((len(panels), len(shown)), dtype=np.uint8)
    for m, p in enumerate(panels):
        for s, i in enumerate(shown):
            a = p.values[i]
            missing = np.isnan(a).all(axis=-1)
            sig = np.where(missing, np.nan, np.nansum(a, axis=-1))
            ab = np.where(missing, np.nan, np.nansum(np.abs(a), axis=-1))
            signed[m, s] = pool(sig, out_h, out_w)
            absolute[m, s] = pool(ab, out_h, out_w)
            computed[m, s] = int(not missing.all())
    limits_signed = _limits(signed, scale, clip_percentile)
    limits_absolute = _limits(absolute, scale, clip_percentile)
    images, ranges = None, np.zeros((len(shown), 2), dtype=np.float32)
    if source is not None:
        images = np.empty((len(shown), out_h, out_w, channels), dtype=np.float32)
        for s, i in enumerate(shown):
            pic = source[i][..., :channels]
            for c in range(channels):
                images[s, :, :, c] = pool(pic[..., c], out_h, out_w)
            ranges[s] = image_range if image_range is not None else _display_range(pic)
    return Reduced(signed, absolute, images, ranges, limits_signed, limits_absolute, computed,
                   max(1, round(height / out_h)))


def _limits(maps: np.ndarray, scale: str, percentile: float) -> np.ndarray:
    panels, samples = maps.shape[:2]
    if scale == "shared":
        return np.full((panels, samples), robust_limit(maps, percentile), dtype=np.float32)
    if scale == "image":
        return np.array([[robust_limit(maps[m, s], percentile) for s in range(samples)] for m in range(panels)],
                        dtype=np.float32)
    return np.array([[robust_limit(maps[m], percentile)] * samples for m in range(panels)], dtype=np.float32)


def _display_range(pic: np.ndarray) -> tuple[float, float]:
    finite = pic[np.isfinite(pic)]
    if finite.size == 0:
        return (0.0, 1.0)
    lo, hi = float(finite.min()), float(finite.max())
    if lo >= 0 and hi <= 1:
        return (0.0, 1.0)
    if lo >= 0 and hi <= 255 and hi > 1 and np.allclose(finite, np.round(finite)):
        return (0.0, 255.0)
    return (lo, hi if hi > lo else lo + 1.0)
