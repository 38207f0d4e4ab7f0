"""AttributionPanel: an attribution in parts (several inputs, or an ensemble split over its
sub-networks), each part's share of |attribution| as bars beside the maps.

- several inputs: one map per input (an ImageOverlay per image input, ImportanceBars per tabular one);
- split over sub-networks (``submodels=``): images give one ImageOverlay whose columns are the whole
  model's map and each sub-network's; features give ImportanceBars for the whole model and for each
  sub-network.

The share bars carry the job's progress and Cancel; every map follows the same job.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np

from .._jobs import Job
from .bars import ImportanceBars
from .image_overlay import WHOLE, ImageOverlay


class AttributionPanel(widgets.HBox):
    """An attribution in parts: each part's share of |attribution| (bars) beside the maps.

    Parameters
    ----------
    job : Job
        A running attribution (``ipyexplain.backends.torch_attr.job``) of several inputs or with ``submodels=``.
    input_names, kinds : sequence of str
        The model's inputs and their kinds (``"image"``, ``"tabular"``...), as the stream tells them.
    title : str
        Heading of the share bars.
    submodels : sequence of str, optional
        The parts of an attribution split over sub-networks (the stream's ``submodels``).
    image_options : dict, optional
        Options of the ImageOverlay(s) (``samples``, ``scale``, ``cell_size``...).
    """

    def __init__(self, job: Job[Any], input_names: Sequence[str], kinds: Sequence[str], title: str,
                 submodels: Sequence[str] | None = None, image_options: dict[str, Any] | None = None) -> None:
        image_options = dict(image_options or {})
        self.job = job
        what = "sub-network" if submodels else "input"
        heading = f"share of |attribution| per {what}"
        self.shares = ImportanceBars(title=f"{title} · {heading}" if title else heading,
                                     value_label="share of attribution", progress_unit="steps", sort="none",
                                     item_label=what)
        self.shares.bind(job)
        self.maps: dict[str, Any] = {}
        self._parts = list(submodels) if submodels else None
        if submodels:
            if kinds[0] == "image":
                name = "" if input_names[0] == "inputs" else f"{input_names[0]} · "
                self.maps[str(input_names[0])] = ImageOverlay(
                    job=job, title=f"{name}{WHOLE} and each sub-network", **image_options)
            else:
                for label in [WHOLE, *submodels]:
                    self.maps[label] = ImportanceBars(title=str(label), value_label="attribution", top_k=12)
        else:
            for name, kind in zip(input_names, kinds, strict=True):
                self.maps[str(name)] = (ImageOverlay(job=job, title=str(name), part=str(name), **image_options)
                                        if kind == "image"
                                        else ImportanceBars(title=str(name), value_label="attribution", top_k=12))
        job.observe(self._on_job)
        self._on_job(job)
        self.shares.layout.width = "34%"
        right = widgets.VBox(list(self.maps.values()), layout=widgets.Layout(width="66%"))
        super().__init__([self.shares, right])

    def _on_job(self, job: Job[Any]) -> None:
        from ..backends._torch_result import info_of, parts_of

        try:
            result = job.result
        except Exception:
            return
        parts = parts_of(result)
        info = info_of(result)
        if self._parts is not None and info is not None and info.combined is not None:
            parts = {WHOLE: info.combined, **parts}
        for name, part in parts.items():
            view = self.maps.get(name)
            if isinstance(view, ImportanceBars) and np.asarray(part.values).ndim == 2:
                view.update(part)
