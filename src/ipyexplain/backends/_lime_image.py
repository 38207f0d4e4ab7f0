"""LIME for images: lime's ``LimeImageExplainer`` perturbation, vectorised.

The image is cut into superpixels: scikit-image's SLIC when it is installed (lime uses quickshift),
a regular grid otherwise, a callable ``image -> labels``, or a given (H, W) label map. A sample switches
each superpixel off with probability 1/2; an off superpixel shows ``hide_color`` (default: its own
mean colour, as lime). Distance: cosine distance of the on/off vectors (kernel width 0.25).

The model receives a batch (N, H, W, C) (or (N, H, W) for a 2-D image), in the image's dtype; with
``layout="CHW"`` the instance is (C, H, W) and the batch (N, C, H, W), as torch modules expect.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import adapters
from ._lime_core import outputs_on

LAYOUTS = ("HWC", "CHW")


def slic_available() -> bool:
    try:
        import skimage.segmentation  # noqa: F401
    except ImportError:
        return False
    return True


def grid_segments(height: int, width: int, n_segments: int) -> np.ndarray:
    """A regular grid of about ``n_segments`` cells, as square as the image allows."""
    rows = max(1, min(height, round(np.sqrt(n_segments * height / width))))
    cols = max(1, min(width, round(n_segments / rows)))
    r = np.arange(height) * rows // height
    c = np.arange(width) * cols // width
    return r[:, None] * cols + c[None, :]


def slic_segments(image: np.ndarray, n_segments: int, compactness: float) -> np.ndarray:
    from skimage.segmentation import slic

    lo, hi = float(image.min()), float(image.max())
    scaled = (image.astype(np.float64) - lo) / (hi - lo) if hi > lo else np.zeros(image.shape)
    return slic(scaled, n_segments=n_segments, compactness=compactness, start_label=0,
                channel_axis=-1 if image.ndim == 3 else None)


class ImagePerturber:
    mode = "image"

    def __init__(self, instance: Any, *, segmentation: Any, n_segments: int, compactness: float,
                 hide_color: Any, layout: str) -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}; got {layout!r}")
        if type(instance).__module__.startswith("torch"):
            instance = instance.detach().cpu().numpy()
        image = np.asarray(instance)
        if image.ndim == 3 and layout == "CHW":
            image = np.moveaxis(image, 0, -1)
        if image.ndim not in (2, 3):
            raise ValueError(f"an image instance must be (H, W) or {'(C, H, W)' if layout == 'CHW' else '(H, W, C)'}; "
                             f"got shape {image.shape}")
        if image.dtype.kind not in "biuf":
            raise TypeError(f"an image instance must be numeric; got dtype {image.dtype}")
        if image.dtype.kind == "f" and not np.isfinite(image).all():
            raise ValueError("the image instance has NaN or inf pixels")
        if isinstance(n_segments, bool) or not isinstance(n_segments, (int, np.integer)) or n_segments < 1:
            raise ValueError(f"n_segments must be a positive integer; got {n_segments!r}")
        self.image = image
        self.layout = layout
        labels = self._segment(image, segmentation, n_segments, compactness)
        _, inverse = np.unique(labels, return_inverse=True)
        self.segments = inverse.reshape(labels.shape).astype(np.int32)
        self.n_features = int(self.segments.max()) + 1
        self.fudged = self._hidden(image, self.segments, hide_color)
        self.feature_names = [f"segment {i}" for i in range(self.n_features)]
        self.z0 = np.ones(self.n_features)
        self.data = image
        self.display_data = self.segments
        self.positions = None

    @staticmethod
    def _segment(image: np.ndarray, segmentation: Any, n_segments: int, compactness: float) -> np.ndarray:
        shape = image.shape[:2]
        if isinstance(segmentation, np.ndarray) or (hasattr(segmentation, "shape") and not callable(segmentation)):
            labels = np.asarray(segmentation)
        elif callable(segmentation):
            labels = np.asarray(segmentation(image))
        elif segmentation == "auto":  # SLIC; a grid without scikit-image or where SLIC finds a single region
            if slic_available():
                found = slic_segments(image, n_segments, compactness)
                if found.min() < found.max():
                    return found
            return grid_segments(shape[0], shape[1], n_segments)
        elif segmentation == "slic":
            if not slic_available():
                raise ImportError("segmentation='slic' needs scikit-image (pip install scikit-image); "
                                  "or pass segmentation='grid'")
            return slic_segments(image, n_segments, compactness)
        elif segmentation == "grid":
            return grid_segments(shape[0], shape[1], n_segments)
        else:
            raise ValueError("segmentation must be 'auto', 'slic', 'grid', a callable image -> (H, W) labels, "
                             f"or an (H, W) label array; got {segmentation!r}")
        if labels.shape != shape or labels.dtype.kind not in "iub":
            raise ValueError(f"the segmentation must be integer labels of shape {shape}; "
                             f"got {labels.dtype} {labels.shape}")
        return labels

    @staticmethod
    def _hidden(image: np.ndarray, segments: np.ndarray, hide_color: Any) -> np.ndarray:
        """What an off superpixel shows: ``hide_color``, or each superpixel's mean colour."""
        if hide_color is not None:
            fudged = np.empty_like(image)
            fudged[...] = hide_color
            return fudged
        flat = segments.ravel()
        counts = np.bincount(flat)
        pixels = image.reshape(len(flat), -1).astype(np.float64)
        means = np.stack([np.bincount(flat, weights=pixels[:, c]) / counts for c in range(pixels.shape[1])], axis=1)
        return means[segments].reshape(image.shape).astype(image.dtype)

    def sample(self, rng: np.random.Generator, n: int, first: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        on = rng.integers(0, 2, (n, self.n_features)).astype(bool)
        if first:
            on[0] = True
        kept = on.sum(axis=1)
        distances = 1.0 - np.sqrt(kept / self.n_features)  # cosine distance to the all-on vector
        return on.astype(np.float64), distances, on

    def rows(self, on: np.ndarray) -> np.ndarray:
        """The perturbed images: off superpixels replaced by the hidden image."""
        image = self.image
        pixels = image.shape[0] * image.shape[1]
        flat = (pixels, -1) if image.ndim == 3 else (pixels,)
        pixel_on = on[:, self.segments.ravel()]
        batch = np.empty((len(on), *image.reshape(flat).shape), dtype=image.dtype)
        np.copyto(batch, self.fudged.reshape(flat))  # two copies beat np.where's broadcast over channels
        np.copyto(batch, image.reshape(flat), where=pixel_on[..., None] if image.ndim == 3 else pixel_on)
        batch = batch.reshape(len(on), *image.shape)
        if self.layout == "CHW" and batch.ndim == 4:
            batch = np.ascontiguousarray(np.moveaxis(batch, -1, 1))
        return batch

    def predict(self, predictor: adapters.Predictor, rows: Any) -> np.ndarray:
        return outputs_on(predictor, rows, f"a batch of {rows.shape} perturbed images")

