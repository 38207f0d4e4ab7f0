"""ImageOverlay: image attributions drawn over their images, as small multiples, live while a Job computes.

Rows are samples of the batch, columns are *panels*: one per method (or per bound job). An
opacity slider and a signed/absolute toggle work in the browser (both maps are sent; see
``_overlay_data`` for the kernel-side reduction). Signed maps use a diverging colormap centred at 0
(red: raises the explained output, blue: lowers it), absolute maps a sequential one; the overlay's
opacity grows with |attribution|, so the image shows through where the attribution is small.
Hover shows the pixel's value and its attribution.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shap
import traitlets as t

from .. import colormaps
from .._jobs import Job
from .._traits import Matrix
from .._transport import array_serialization
from ._attribution_common import checked_clip, info_of, row_labels, unit_of
from ._base import bundle, check_keywords
from ._live import LiveView
from ._overlay_data import SCALES, Panel, panel_of, reduce

_OPTIONS = {"images", "samples", "labels", "sample_labels", "opacity", "mode", "clip_percentile", "scale",
            "image_range", "max_px", "cell_size", "title", "value_label", "cmap", "cmap_absolute", "part"}
_DRAWN = ("samples", "clip_percentile", "scale", "image_range", "max_px", "sample_labels")
_UNSET: Any = object()
WHOLE = "whole model"


def _image_part(value: Any, part: str | None = None) -> Any:
    """A multi-input attribution -> the Explanation of input ``part`` (default: its first image input)."""
    if np.asarray(getattr(value, "values", value)).ndim == 4:
        return value
    info = info_of(value)
    if info is not None and info.parts is not None:
        if part is not None:
            if part not in info.parts:
                raise ValueError(f"part {part!r} is not in this attribution; its parts: {list(info.parts)}")
            return info.parts[part]
        for found in info.parts.values():
            if np.asarray(found.values).ndim == 4:
                return found
        raise ValueError(f"this attribution has no image input (inputs: {list(info.parts)})")
    return value


def _split_panels(value: Any) -> list[tuple[str, Any]] | None:
    """An attribution split over sub-networks -> the whole model's map, then one per part; else None."""
    info = info_of(value)
    if info is None or info.kind != "submodels" or info.parts is None or info.combined is None:
        return None
    return [(WHOLE, info.combined), *info.parts.items()]


def _label_of(value: Any, default: str) -> str:
    info = info_of(value)
    return info.method.replace("_", " ") if info is not None else default


class ImageOverlay(LiveView):
    """Attributions over images: rows are samples, columns methods (small multiples).

    Parameters
    ----------
    explanation : shap.Explanation, array, or a dict / list of them, optional
        Image attributions ``(N, H, W, C)`` (an Explanation brings its images in ``data``), or
        Captum's ``(N, C, H, W)``; a dict ``{label: explanation}`` gives one column per label.
    job : Job or dict of Jobs, optional
        Jobs whose results are such explanations; each partial result is drawn as it comes, with
        progress and a Cancel button (see :meth:`bind`).
    images : array, optional
        The images under the attributions, when the explanation does not carry them. Any channel count
        (the short axis, first or last): 3 are drawn as RGB, 4 as RGB without alpha, 1 or 2 in gray from
        the first (the hover gives every value), more from the first three.
    samples : sequence of int, optional
        Which samples to show (default: the first 8).
    labels : sequence of str, optional
        Column labels (default: the dict's keys, or the method names).
    sample_labels : sequence of str, optional
        Row labels (default: sample index and the class explained).
    opacity : float
        Overlay opacity at the largest |attribution| (0-1); a slider in the widget.
    mode : {"signed", "absolute"}
        Attribution summed over channels, or the sum of |attribution|; a toggle in the widget.
    clip_percentile : float
        Colour limit: this percentile of |attribution| (per ``scale``); larger values saturate.
    scale : {"panel", "image", "shared"}
        One colour limit per column (default: methods have different units), per image, or for all.
    image_range : (float, float), optional
        Display range of the images (default: [0, 1], [0, 255], or each image's min-max).
    max_px : int
        Longest side of a drawn map; larger images are block-averaged (hover says so).
    cell_size : int
        Longest side of one small multiple in CSS pixels.
    cmap, cmap_absolute : str
        Diverging colormap for signed maps (``"rdbu"``), sequential one for absolute (``"magma"``).
    part : str, optional
        For an attribution of several inputs: the image input drawn (default: the first). An
        attribution split over sub-networks (``submodels=``) is drawn as the whole model's map and one
        column per sub-network.
    """

    _esm = bundle("image_overlay")

    title = t.Unicode("").tag(sync=True)
    value_label = t.Unicode("attribution").tag(sync=True)
    opacity = t.Float(0.7).tag(sync=True)
    mode = t.Enum(("signed", "absolute"), default_value="signed").tag(sync=True)
    cmap = t.Unicode("rdbu").tag(sync=True)
    cmap_absolute = t.Unicode("magma").tag(sync=True)
    cell_size = t.Int(160).tag(sync=True)
    samples: Any = t.Any(None)
    sample_labels: Any = t.Any(None)
    clip_percentile = t.Float(99.5)
    scale = t.Enum(SCALES, default_value="panel")
    image_range: Any = t.Any(None)
    max_px = t.Int(224)
    part: Any = t.Unicode(None, allow_none=True)

    _panel_labels = t.List(t.Unicode()).tag(sync=True)
    _column_noun = t.Unicode("method").tag(sync=True)  # what a column is: a method, or a part of a split
    _row_labels = t.List(t.Unicode()).tag(sync=True)
    _sample_index = t.List(t.Int()).tag(sync=True)
    _signed = Matrix(None, allow_none=True).tag(sync=True, **array_serialization)
    _absolute = Matrix(None, allow_none=True).tag(sync=True, **array_serialization)
    _images = Matrix(None, allow_none=True).tag(sync=True, **array_serialization)
    _image_range = Matrix(None, allow_none=True).tag(sync=True, **array_serialization)
    _limits_signed = Matrix(None, allow_none=True).tag(sync=True, **array_serialization)
    _limits_absolute = Matrix(None, allow_none=True).tag(sync=True, **array_serialization)
    _computed = Matrix(None, allow_none=True).tag(sync=True, **array_serialization)
    _pooled = t.Int(1).tag(sync=True)
    _source_shape = t.List(t.Int()).tag(sync=True)  # [N, H, W, C] of the attributions
    _partial_flag = t.Bool(False).tag(sync=True)
    _frame = t.Int(0).tag(sync=True)

    def __init__(self, explanation: Any = None, *, job: Job[Any] | Mapping[str, Job[Any]] | None = None,
                 **kwargs: Any) -> None:
        check_keywords(type(self).__name__, {**kwargs, "job": job}, _OPTIONS | {"job"})
        self._panels: dict[str, Panel] = {}
        self._order: list[str] = []
        self._sources: dict[str, Any] = {}  # what each panel was made from (an Explanation's side info)
        self._images_given: Any = None
        self._labels_given: list[str] | None = None
        super().__init__()
        self.update(explanation if explanation is not None else _UNSET, **kwargs)
        if isinstance(job, Mapping):
            for label, j in job.items():
                self.bind(j, str(label))
        elif job is not None:
            self.bind(job)

    # ----------------------------------------------------------------- public API
    def update(self, explanation: Any = _UNSET, **kwargs: Any) -> None:
        """Replace the attributions (all panels) and/or options; redraws once."""
        check_keywords("ImageOverlay.update", kwargs, _OPTIONS)
        images = kwargs.pop("images", _UNSET)
        labels = kwargs.pop("labels", _UNSET)
        with self._lock, self.hold_sync():
            if images is not _UNSET:
                self._images_given = images
            if labels is not _UNSET:
                self._labels_given = None if labels is None else [str(v) for v in labels]
            for name, value in kwargs.items():
                setattr(self, name, value)
            if explanation is not _UNSET:
                items = self._items(explanation)
                self._column_noun = "part" if _split_panels(explanation) is not None else "method"
                self._panels = {label: panel_of(_image_part(v, self.part), label, self._images_given)
                                for label, v in items}
                self._sources = dict(items)
                self._order = list(self._panels)
            self._redraw()

    def bind(self, job: Job[Any] | None, key: Any = None) -> None:
        """Draw ``job``'s partial results into the column ``key`` (default: the method's name)."""
        if job is not None and key is None:
            key = job.name.replace(" attribution", "")
        if key is not None and str(key) not in self._order:
            self._order.append(str(key))  # columns in the order jobs were bound, whichever finishes first
        super().bind(job, None if key is None else str(key))

    @property
    def explanations(self) -> dict[str, Any]:
        """The attributions drawn, by column label."""
        return {label: p for label, p in self._panels.items()}

    # ----------------------------------------------------------------- validation
    @t.validate("opacity")
    def _validate_opacity(self, proposal: dict[str, Any]) -> float:
        value = float(proposal["value"])
        if not 0 <= value <= 1:
            raise ValueError(f"opacity must be between 0 and 1; got {value}")
        return value

    @t.validate("cmap")
    def _validate_cmap(self, proposal: dict[str, Any]) -> str:
        return colormaps.checked(proposal["value"], "diverging")

    @t.validate("cmap_absolute")
    def _validate_cmap_absolute(self, proposal: dict[str, Any]) -> str:
        try:
            return colormaps.checked(proposal["value"], "sequential")
        except ValueError as exc:
            raise ValueError(str(exc).replace("cmap", "cmap_absolute", 1)) from None

    @t.validate("clip_percentile")
    def _validate_clip(self, proposal: dict[str, Any]) -> float:
        return checked_clip(proposal["value"])

    @t.validate("cell_size", "max_px")
    def _validate_sizes(self, proposal: dict[str, Any]) -> int:
        value = int(proposal["value"])
        if value < 16:
            raise ValueError(f"{proposal['trait'].name} must be at least 16 pixels; got {value}")
        return value

    # ----------------------------------------------------------------- drawing
    def _items(self, explanation: Any) -> list[tuple[str, Any]]:
        if isinstance(explanation, Mapping):
            items = [(str(k), v) for k, v in explanation.items()]
        elif isinstance(explanation, Sequence) and not isinstance(explanation, (str, np.ndarray)) and explanation \
                and isinstance(explanation[0], shap.Explanation):
            items = [(_label_of(v, f"attribution {i}"), v) for i, v in enumerate(explanation)]
        else:
            items = _split_panels(explanation) or [(_label_of(explanation, "attribution"), explanation)]
        if self._labels_given is not None:
            if len(self._labels_given) != len(items):
                raise ValueError(f"{len(self._labels_given)} labels for {len(items)} panels")
            items = [(label, v) for label, (_, v) in zip(self._labels_given, items, strict=True)]
        return items

    def _show(self, key: Any, result: Any) -> None:
        split = _split_panels(result)
        if split is not None:  # one column for the whole model, one per sub-network
            self._column_noun = "part"
            if key is not None and str(key) in self._order:
                self._order.remove(str(key))
            for label, value in split:
                self._panels[label] = panel_of(value, label, self._images_given)
                self._sources[label] = value
                if label not in self._order:
                    self._order.append(label)
            self._redraw()
            return
        label = str(key) if key is not None else _label_of(result, "attribution")
        self._panels[label] = panel_of(_image_part(result, self.part), label, self._images_given)
        self._sources[label] = result
        self._redraw()

    def _unit_of(self, result: Any) -> str | None:
        return unit_of(result)

    @t.observe(*_DRAWN)
    def _on_option(self, change: dict[str, Any]) -> None:
        if self._panels:
            with self._lock:
                self._redraw()

    def _redraw(self) -> None:
        if not self._panels:
            return
        order = [k for k in self._order if k in self._panels] + [k for k in self._panels if k not in self._order]
        self._panels = {k: self._panels[k] for k in order}
        panels = list(self._panels.values())
        reduced = reduce(panels, samples=self.samples, max_px=self.max_px, clip_percentile=self.clip_percentile,
                         scale=self.scale, image_range=self.image_range)
        n = panels[0].values.shape[0]
        shown = list(range(min(n, 8))) if self.samples is None else [int(i) % n for i in np.atleast_1d(self.samples)]
        with self.hold_sync():
            self._panel_labels = list(self._panels)
            self._row_labels = self._rows(shown)
            self._sample_index = shown
            self._signed, self._absolute = reduced.signed, reduced.absolute
            self._images, self._image_range = reduced.images, reduced.image_range
            self._limits_signed, self._limits_absolute = reduced.limits_signed, reduced.limits_absolute
            self._computed, self._pooled = reduced.computed, reduced.pooled
            self._source_shape = list(panels[0].values.shape)
            self._partial_flag = self._partial or any(
                getattr(info_of(v), "partial", False) for v in self._sources.values())
            self._frame += 1

    def _rows(self, shown: list[int]) -> list[str]:
        info = next((i for i in (info_of(v) for v in self._sources.values()) if i is not None), None)
        return row_labels(shown, info, self.sample_labels, "sample_labels")
