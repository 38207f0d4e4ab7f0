"""numpy <-> wire: the one way arrays cross to the browser.

An array travels as ``{"dtype", "shape", "buffer"}`` where ``buffer`` is a memoryview; ipywidgets
lifts memoryviews out of the JSON state and sends them as binary websocket frames, so numbers are
never serialised as JSON lists. The TypeScript twin is ``js/src/lib/wire.ts``.
"""

from __future__ import annotations

from typing import Any, TypedDict

import numpy as np

#: Kernel -> browser messages stay under this size; views with more data reduce it in the kernel.
MAX_MESSAGE_BYTES = 8 * 1024 * 1024

# dtypes with a JavaScript typed-array twin; everything else is converted or refused.
_WIRE_DTYPES = {"float32", "float64", "int8", "int16", "int32", "uint8", "uint16", "uint32"}
_INT32 = np.iinfo(np.int32)


class WireArray(TypedDict):
    dtype: str
    shape: list[int]
    buffer: memoryview


def _wire_dtype(a: np.ndarray) -> np.ndarray:
    """Convert to the narrowest dtype the browser reads natively (float64 -> float32 halves the bytes)."""
    kind = a.dtype.kind
    if kind == "b":
        return a.astype(np.uint8)
    if kind == "f":
        return a.astype(np.float32, copy=False)
    if kind in "iu":
        if a.dtype.itemsize < 8:
            return a
        if a.size and (a.min() < _INT32.min or a.max() > _INT32.max):
            raise ValueError(
                f"array of dtype {a.dtype} has values outside the int32 range "
                f"[{_INT32.min}, {_INT32.max}] (min {a.min()}, max {a.max()}); convert it to float first"
            )
        return a.astype(np.int32)
    raise TypeError(f"cannot send an array of dtype {a.dtype} to the browser; expected bool, integer or float")


def array_to_wire(value: Any, widget: Any = None) -> WireArray | None:
    """Trait serializer: numpy array (or array-like) -> wire dict. ``None`` passes through."""
    if value is None:
        return None
    a = _wire_dtype(np.asarray(value))
    # The browser reads little-endian, C-ordered bytes: fix byte order and memory layout once here.
    a = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))
    buffer = memoryview(a.reshape(-1)).cast("B")  # type: ignore[arg-type]  # ndarray is a buffer
    return WireArray(dtype=str(a.dtype), shape=list(a.shape), buffer=buffer)


def array_from_wire(value: Any, widget: Any = None) -> np.ndarray | None:
    """Trait deserializer: wire dict (buffer as bytes/memoryview) -> numpy array."""
    if value is None:
        return None
    dtype = np.dtype(value["dtype"]).newbyteorder("<")
    if dtype.name not in _WIRE_DTYPES:
        raise TypeError(f"unknown wire dtype {value['dtype']!r}; expected one of {sorted(_WIRE_DTYPES)}")
    flat = np.frombuffer(value["buffer"], dtype=dtype)
    return flat.reshape(value["shape"])


#: Trait metadata for an array-valued synced trait: ``Any().tag(sync=True, **array_serialization)``.
array_serialization = {"to_json": array_to_wire, "from_json": array_from_wire}
