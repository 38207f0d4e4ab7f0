"""NetworkDiagram (kernel side): what it sends, collapsing, overlays, selection, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn as nn

from ipyexplain import colormaps
from ipyexplain._transport import array_to_wire
from ipyexplain.structure import ModelGraph
from ipyexplain.views.network import NetworkDiagram, show_structure

XSS = "<img src=x onerror=alert(1)>"


class Block(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(width, width)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(width, width)

    def forward(self, x):
        return x + self.fc2(self.act(self.fc1(x)))


class Net(nn.Module):
    """Two stages of residual blocks, a shared head called on two inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.stage1 = nn.Sequential(Block(4), Block(4))
        self.stage2 = nn.Sequential(Block(4), Block(4))
        self.head = nn.Linear(4, 2)

    def forward(self, a, b):
        return self.head(self.stage2(self.stage1(a))) + self.head(b)


def deep(stages: int, blocks: int) -> nn.Module:
    return nn.Sequential(*[nn.Sequential(*[Block(2) for _ in range(blocks)]) for _ in range(stages)])


@pytest.fixture(scope="module")
def net() -> NetworkDiagram:
    return show_structure(Net(), (torch.randn(3, 4), torch.randn(3, 4)))


def test_the_graph_goes_to_the_browser_as_strings_with_container_shapes(net: NetworkDiagram):
    assert net.title == "Net" and net.graph.method == "fx"
    rows = {row[0]: row for row in net._nodes}
    assert all(isinstance(v, str) for row in net._nodes for v in row)
    assert all(len(row) == 11 for row in net._nodes)
    assert rows["stage1.0.fc1"] == ["stage1.0.fc1", "stage1.0", "module", "fc1", "Linear", "stage1.0.fc1",
                                    "3×4", "3×4", "20", "20", "float32"]
    # A container says what enters and leaves it (the edges crossing its border).
    assert rows["stage1"][2:8] == ["container", "stage1", "Sequential", "stage1", "3×4", "3×4"]
    assert rows["stage1"][8:10] == ["80", "80"]
    assert ["stage1.0.fc2", "stage1.0/add", "3×4"] in net._edges
    assert net._info == "Net · 28 nodes · 170 parameters · traced with torch.fx"


def test_depth_decides_which_containers_start_open():
    model, x = Net(), (torch.randn(1, 4), torch.randn(1, 4))
    assert NetworkDiagram(model, x, depth=0).expanded == []
    assert NetworkDiagram(model, x, depth=1).expanded == ["stage1", "stage2"]
    d = NetworkDiagram(model, x, depth=2)
    assert sorted(d.expanded) == ["stage1", "stage1.0", "stage1.1", "stage2", "stage2.0", "stage2.1"]
    d.depth = 1
    assert d.expanded == ["stage1", "stage2"] and d._notice == ""


def test_a_graph_too_large_to_draw_expanded_is_collapsed_and_says_so():
    g = ModelGraph.from_model(deep(12, 8), torch.randn(1, 2))
    assert len(g) == 12 + 12 * 8 * 5 + 2  # stages, blocks with fc1/act/fc2/add, input, output
    d = NetworkDiagram(g, depth=3, max_nodes=200)
    assert g.visible_count(1) <= 200 < g.visible_count(2)
    assert d.expanded == [str(i) for i in range(12)]
    assert "494 nodes are too many to draw at depth 3 (max_nodes=200): collapsed to depth 1" in d._notice
    d.max_nodes = 10
    assert d.expanded == [] and "collapsed to depth 0" in d._notice
    d.max_nodes = 1000
    assert len(d.expanded) == 12 + 96 and d._notice == ""


def test_parameter_overlay_is_a_float32_buffer_aligned_with_the_nodes(net: NetworkDiagram):
    d = NetworkDiagram(net.graph, overlay="params")
    assert (d.overlay_scale, d.overlay_label) == ("log", "parameters")
    ids = [row[0] for row in d._nodes]
    values, state = d._overlay, d._overlay_state
    assert values.shape == state.shape == (len(ids),)
    assert values[ids.index("stage1.0.fc1")] == 20 and values[ids.index("stage1")] == 80
    assert state[ids.index("stage1.0.act")] == 0 and math.isnan(values[ids.index("stage1.0.act")])  # no parameters
    assert d._overlay_limits == [10.0, 80.0] and d._overlay_cmap == colormaps.default(False)  # head: 10
    wire = array_to_wire(values)
    assert wire is not None and wire["dtype"] == "float32" and isinstance(wire["buffer"], memoryview)


def test_overlay_by_module_path_covers_every_call_and_fills_containers(net: NetworkDiagram):
    d = NetworkDiagram(net.graph)
    ids = [row[0] for row in d._nodes]
    frame = d._frame
    d.overlay = {"stage1.0.fc1": 1.0, "stage1.0.fc2": 3.0, "head": -2.0, "not.a.layer": 5.0}
    assert d._frame == frame and d._overlay_frame >= 1  # recolour only: the graph is not sent again
    v, s = d._overlay, d._overlay_state
    assert v[ids.index("head")] == v[ids.index("head#2")] == -2.0  # the shared head's both calls
    assert v[ids.index("stage1.0")] == 2.0 and v[ids.index("stage1")] == 2.0  # mean of what is inside
    assert s[ids.index("stage2")] == 0
    assert d._overlay_limits == [-3.0, 3.0] and d._overlay_cmap == colormaps.default(True)  # signed: diverging
    assert d._overlay_note == "1 keys match no node"
    d.update(overlay_reduce="sum", overlay={"stage1.0.fc1": 1.0, "stage1.0.fc2": 3.0})
    assert d._overlay[ids.index("stage1")] == 4.0
    d.update(overlay_reduce="none")
    assert d._overlay_state[ids.index("stage1")] == 0


def test_overlay_missing_values_log_scale_and_limits(net: NetworkDiagram):
    d = NetworkDiagram(net.graph, overlay={"head": float("nan"), "stage1.0.fc1": 10.0, "stage1.0.fc2": -1.0},
                       overlay_reduce="none", overlay_scale="log", overlay_label="latency (ms)")
    ids = [row[0] for row in d._nodes]
    s = d._overlay_state
    assert s[ids.index("head")] == 2 and s[ids.index("stage1.0.fc2")] == 2 and s[ids.index("stage1.0.fc1")] == 1
    assert "3 missing (NaN/inf, ≤ 0 on a log scale)" in d._overlay_note
    assert d._overlay_limits[0] < 10.0 < d._overlay_limits[1]
    d.update(overlay_scale="linear", vmin=-5, vmax=20, cmap="magma")
    assert d._overlay_limits == [-5.0, 20.0] and d._overlay_cmap == "magma"
    aligned = np.arange(len(ids), dtype=float)
    d.overlay = aligned
    assert np.array_equal(d._overlay, aligned)
    d.overlay = None
    assert d._overlay is None and d._overlay_limits == []


def test_bad_overlays_say_what_is_expected(net: NetworkDiagram):
    d = NetworkDiagram(net.graph)
    with pytest.raises(ValueError, match="no overlay key matches a node"):
        d.overlay = {"conv1": 1.0}
    with pytest.raises(ValueError, match=r"one value per graph node, shape \(28,\); got shape \(3,\)"):
        d.overlay = [1, 2, 3]
    with pytest.raises(TypeError, match="overlay value for 'head' must be a real number; got str"):
        d.overlay = {"head": "big"}
    with pytest.raises(ValueError, match="overlay as a string must be 'params'"):
        d.overlay = "flops"
    with pytest.raises(ValueError, match="log overlay scale needs vmin > 0"):
        d.update(overlay={"head": 2.0}, overlay_scale="log", vmin=-1)


def test_selection_focus_expand_and_collapse():
    model = Net()
    d = NetworkDiagram(model, (torch.randn(1, 4), torch.randn(1, 4)), depth=0)
    d.selected_node = "stage2.1.fc2"  # what the browser sets on a click
    assert d.selected_module is model.stage2[1].fc2
    d.selected_node = "stage2.1/add"
    assert d.selected_module is None
    with pytest.raises(ValueError, match="selected_node must be a module path or node id"):
        d.selected_node = "stage9"
    d.focus("stage2.1.fc2")
    assert sorted(d.expanded) == ["stage2", "stage2.1"] and d._focus == ["stage2.1.fc2", 1]
    d.focus("stage2.1.fc2")
    assert d._focus == ["stage2.1.fc2", 2]  # asking again centres again
    d.expand("stage1.0")
    assert sorted(d.expanded) == ["stage1", "stage1.0", "stage2", "stage2.1"]
    d.collapse("stage2")
    assert sorted(d.expanded) == ["stage1", "stage1.0", "stage2.1"]
    d.expanded = ["stage1", "no-such", "stage1.0.fc1"]  # the browser's list is checked
    assert d.expanded == ["stage1"]
    d.collapse()
    assert d.expanded == []
    with pytest.raises(ValueError, match="'head' is a module node, not a container"):
        d.expand("head")
    with pytest.raises(KeyError, match="no node or module path 'nope'"):
        d.focus("nope")


def test_update_traces_a_new_model_and_resets_what_no_longer_applies():
    d = NetworkDiagram(Net(), (torch.randn(1, 4), torch.randn(1, 4)), overlay="params")
    d.selected_node = "head"
    frame = d._frame
    d.update(nn.Sequential(nn.Linear(3, 3), nn.ReLU()), torch.randn(1, 3))
    assert d._frame == frame + 1 and d.selected_node is None
    assert [row[0] for row in d._nodes] == ["input:input", "0", "1", "output"]
    assert d._overlay is not None and d._overlay.shape == (4,)


def test_strict_options_and_names_kept_as_text():
    model = nn.Sequential()
    model.add_module(XSS, nn.Linear(2, 2))
    d = show_structure(model, torch.randn(1, 2))
    assert d._nodes[1][:6] == [XSS, "", "module", XSS, "Linear", XSS]
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) 'colour'; valid keywords are: cmap"):
        NetworkDiagram(model, torch.randn(1, 2), colour="red")
    with pytest.raises(ValueError, match="height must be at least 120"):
        NetworkDiagram(model, torch.randn(1, 2), height=50)
    with pytest.raises(ValueError, match="cmap must be one of"):
        NetworkDiagram(model, torch.randn(1, 2), cmap="jet")
    with pytest.raises(TypeError, match=r"model must be a torch\.nn\.Module"):
        show_structure({"not": "a model"})
