import numpy as np
import pytest
from ipywidgets.widgets.widget import _remove_buffers

from ipyexplain._transport import array_from_wire, array_to_wire


def roundtrip(a):
    wire = array_to_wire(a)
    # What ipywidgets does on the way out: memoryviews become separate binary frames.
    state, paths, buffers = _remove_buffers({"x": wire})
    assert paths == [["x", "buffer"]]
    assert "buffer" not in state["x"]
    return wire, array_from_wire({**state["x"], "buffer": bytes(buffers[0])})


@pytest.mark.parametrize(
    ("dtype", "wire_dtype"),
    [("float64", "float32"), ("float32", "float32"), ("float16", "float32"), ("int64", "int32"),
     ("int32", "int32"), ("int16", "int16"), ("uint8", "uint8"), ("uint64", "int32"), ("bool", "uint8")],
)
def test_dtypes_are_converted_to_their_browser_twin(dtype, wire_dtype):
    a = (np.arange(12).reshape(3, 4) % 2).astype(dtype)
    wire, back = roundtrip(a)
    assert wire["dtype"] == wire_dtype
    assert wire["shape"] == [3, 4]
    np.testing.assert_array_equal(back, a.astype(wire_dtype))


def test_buffer_is_binary_not_a_json_list():
    wire = array_to_wire(np.ones((2, 2)))
    assert isinstance(wire["buffer"], memoryview)
    assert wire["buffer"].nbytes == 16


def test_nan_and_inf_survive():
    a = np.array([[np.nan, np.inf], [-np.inf, 1.5]])
    _, back = roundtrip(a)
    assert np.isnan(back[0, 0]) and back[0, 1] == np.inf and back[1, 0] == -np.inf and back[1, 1] == 1.5


@pytest.mark.parametrize("make", [
    lambda a: np.asfortranarray(a),
    lambda a: a[:, ::2],
    lambda a: a.T,
    lambda a: a[::-1],
    lambda a: a.astype(">f8"),
])
def test_non_contiguous_fortran_and_big_endian_arrays(make):
    base = np.arange(48, dtype=np.float64).reshape(6, 8)
    a = make(base)
    _, back = roundtrip(a)
    np.testing.assert_array_equal(back, a.astype(np.float32))


def test_int64_out_of_int32_range_is_a_clear_error():
    with pytest.raises(ValueError, match="outside the int32 range"):
        array_to_wire(np.array([2**40], dtype=np.int64))


@pytest.mark.parametrize("bad", [np.array(["a"]), np.array([1 + 2j]), np.array([object()], dtype=object)])
def test_non_numeric_dtype_is_refused(bad):
    with pytest.raises(TypeError, match="dtype"):
        array_to_wire(bad)


def test_none_passes_through_and_empty_arrays_work():
    assert array_to_wire(None) is None
    assert array_from_wire(None) is None
    _, back = roundtrip(np.zeros((0, 3)))
    assert back.shape == (0, 3)
