import numpy as np
import pytest

from ipyexplain._pooling import block_edges, pool, target_shape
from ipyexplain._transport import MAX_MESSAGE_BYTES


def test_block_edges_cover_every_cell_in_near_equal_blocks():
    edges = block_edges(10, 3)
    np.testing.assert_array_equal(edges, [0, 3, 6])
    sizes = np.diff(np.append(block_edges(10_000, 700), 10_000))
    assert sizes.sum() == 10_000 and sizes.min() >= 14 and sizes.max() <= 15


def test_mean_pooling_equals_block_means():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(100, 60)).astype(np.float32)
    out = pool(a, 10, 6, "mean")
    expected = a.reshape(10, 10, 6, 10).mean(axis=(1, 3))
    np.testing.assert_allclose(out, expected, rtol=1e-5)


def test_uneven_blocks_use_the_shared_edges():
    a = np.arange(7 * 5, dtype=np.float64).reshape(7, 5)
    out = pool(a, 3, 2, "mean")
    r = np.append(block_edges(7, 3), 7)
    c = np.append(block_edges(5, 2), 5)
    for i in range(3):
        for j in range(2):
            assert out[i, j] == pytest.approx(a[r[i]:r[i + 1], c[j]:c[j + 1]].mean())


def test_maxabs_keeps_the_sign_of_the_strongest_cell():
    a = np.zeros((20, 20))
    a[3, 4] = -9.0
    a[1, 1] = 5.0
    a[15, 15] = 2.0
    out = pool(a, 2, 2, "maxabs")
    assert out[0, 0] == -9.0 and out[1, 1] == 2.0 and out[0, 1] == 0.0


def test_non_finite_cells_are_ignored_and_all_missing_blocks_stay_nan():
    a = np.ones((4, 4))
    a[0, 0] = np.nan
    a[0, 1] = np.inf
    a[2:, 2:] = np.nan
    for mode in ("mean", "maxabs"):
        out = pool(a, 2, 2, mode)
        assert out[0, 0] == 1.0
        assert np.isnan(out[1, 1])


def test_target_shape_respects_display_and_message_budget():
    assert target_shape(100, 50, 1000, 1000) == (100, 50)
    assert target_shape(10_000, 10_000, 800, 600) == (800, 600)
    r, c = target_shape(10_000, 10_000, 10_000, 10_000)
    assert r * c * 4 <= MAX_MESSAGE_BYTES


def test_unknown_mode():
    with pytest.raises(ValueError, match="pooling must be one of"):
        pool(np.ones((4, 4)), 2, 2, "median")  # type: ignore[arg-type]
