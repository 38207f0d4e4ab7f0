import numpy as np

from ipyexplain import colormaps


def test_every_map_has_256_entries_from_its_first_to_its_last_stop():
    for name in colormaps.names():
        lut = colormaps.lut(name)
        assert lut.shape == (256, 3)
        spec = colormaps._spec()["maps"][name]["colors"]
        assert tuple(lut[0]) == colormaps._hex_to_rgb(spec[0])
        assert tuple(lut[-1]) == colormaps._hex_to_rgb(spec[-1])


def test_diverging_maps_are_centred_on_their_middle_stop():
    for name in colormaps.names():
        if colormaps.kind(name) == "diverging":
            mid = colormaps.color_of(0.0, name, -1.0, 1.0)
            assert all(c > 230 for c in mid), (name, mid)  # near white at zero


def test_lut_index_clamps_and_missing_colour():
    assert colormaps.lut_index(-5, 0, 1) == 0
    assert colormaps.lut_index(5, 0, 1) == 255
    assert colormaps.lut_index(1.0, 0, 1) == 255
    assert colormaps.color_of(float("nan"), "viridis", 0, 1) == colormaps.missing_rgb()
    assert colormaps.missing_rgb() not in {tuple(map(int, c)) for c in colormaps.lut("viridis")}


def test_defaults():
    assert colormaps.default(True) == "rdbu"
    assert colormaps.default(False) == "viridis"
    assert np.all(np.diff(colormaps.lut("viridis")[:, 2].astype(int)[200:]) <= 0)  # blue fades at the top
