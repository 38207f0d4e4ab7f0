"""Graph extraction on real torch models: nesting, branches, joins, shared modules, fallbacks, errors."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn as nn

from ipyexplain.structure import ModelGraph, ModelRunError

torch.manual_seed(0)


# ----------------------------------------------------------------------------------- models
class CNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 7 * 7, 32), nn.ReLU(), nn.Linear(32, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


class Block(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                     if stride != 1 or cin != cout else None)

    def forward(self, x):
        identity = x if self.down is None else self.down(x)
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.layer1 = nn.Sequential(Block(16, 16), Block(16, 16))
        self.layer2 = nn.Sequential(Block(16, 32, 2), Block(32, 32))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.layer2(self.layer1(self.stem(x)))), 1))


def transformer() -> nn.Module:
    layer = nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32, batch_first=True)
    return nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)


class Multimodal(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.image = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.tabular = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 8))
        self.head = nn.Sequential(nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 2))

    def forward(self, image, tabular):
        return self.head(torch.cat([self.image(image), self.tabular(tabular)], dim=1))


class Ensemble(nn.Module):
    def __init__(self, n: int = 3) -> None:
        super().__init__()
        self.members = nn.ModuleList(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)) for _ in range(n))

    def forward(self, x):
        return torch.stack([m(x) for m in self.members]).mean(0)


class Siamese(nn.Module):
    """One encoder applied to two inputs (a shared, reused module)."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(4, 4), nn.Tanh())
        self.out = nn.Linear(8, 1)

    def forward(self, a, b):
        return self.out(torch.cat([self.encoder(a), self.encoder(b)], 1))


class TwoHeads(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Linear(6, 6)
        self.cls = nn.Linear(6, 3)
        self.reg = nn.Linear(6, 1)

    def forward(self, x, extra, mask=None):
        h = x + extra
        if mask is not None:
            h = h * mask
        h = torch.relu(self.body(h))
        return {"logits": self.cls(h), "value": self.reg(h)}, h


class Recurrent(nn.Module):
    """Loops over the sequence length and branches on the data: fx cannot trace it."""

    def __init__(self) -> None:
        super().__init__()
        self.cell = nn.Linear(8, 8)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        h = torch.zeros(x.shape[0], 8)
        for t in range(x.shape[1]):
            h = torch.tanh(self.cell(x[:, t]) + h)
        if h.norm() > 1e6:
            h = h / h.norm()
        return self.head(h)


class SignBranch(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.up = nn.Linear(3, 3)
        self.down = nn.Linear(3, 3)

    def forward(self, x):
        return self.up(x) if x.sum() > 0 else self.down(x)


def edges(g: ModelGraph) -> set[tuple[str, str]]:
    return {(e.source, e.target) for e in g.edges}


# ----------------------------------------------------------------------------------- tests
def test_cnn_is_traced_with_fx_with_shapes_params_and_nesting():
    model = CNN()
    g = ModelGraph.from_model(model, torch.randn(2, 1, 28, 28))
    assert g.method == "fx" and g.notes == ()
    assert [n.id for n in g.of_kind("container")] == ["features", "classifier"]
    conv = g.node("features.3")
    assert (conv.kind, conv.type, conv.parent, conv.name) == ("module", "Conv2d", "features", "3")
    assert conv.params == 8 * 16 * 9 + 16
    assert str(conv.inputs[0]) == "2×8×14×14" and str(conv.outputs[0]) == "2×16×14×14"
    assert conv.outputs[0].dtype == "float32"
    assert g.node("features").params == sum(p.numel() for p in model.features.parameters())
    assert g.total_params == sum(p.numel() for p in model.parameters())
    assert str(g.node("classifier.1").inputs[0]) == "2×784"
    # A chain: input -> every layer in order -> output.
    order = ["input:x", *[f"features.{i}" for i in range(6)], *[f"classifier.{i}" for i in range(4)], "output"]
    assert edges(g) == set(itertools.pairwise(order))
    assert g.node("output").outputs[0].shape == (2, 10)


def test_residual_blocks_join_the_skip_and_the_main_path_in_an_add_inside_the_block():
    g = ModelGraph.from_model(ResNet(), torch.randn(1, 3, 16, 16))
    assert g.node("layer1.0").parent == "layer1" and g.node("layer1.0.conv1").parent == "layer1.0"
    assert g.node("layer2.0.down").parent == "layer2.0" and g.node("layer2.0.down.0").parent == "layer2.0.down"
    assert g.depth("layer2.0.down.0") == 3 and g.max_depth() == 3
    add = g.node("layer1.0/add")
    assert (add.kind, add.parent) == ("function", "layer1.0")
    assert sorted(g.predecessors("layer1.0/add")) == ["layer1.0.bn2", "stem.2"]  # skip from the block input
    assert sorted(g.predecessors("layer2.0/add")) == ["layer2.0.bn2", "layer2.0.down.1"]  # projection shortcut
    # The block's ReLU runs twice: two nodes of one module, told apart by call.
    relus = g.find("layer1.0.relu")
    assert [(n.id, n.call) for n in relus] == [("layer1.0.relu", 0), ("layer1.0.relu#2", 1)]
    assert g.predecessors("layer1.0.relu#2") == ["layer1.0/add"]
    assert g.successors("layer2.1.relu#2") == ["pool"]
    assert [n.id for n in g.children("layer2")] == ["layer2.0", "layer2.1"]
    assert {n.id for n in g.descendants("layer2.0.down")} == {"layer2.0.down.0", "layer2.0.down.1"}
    assert g.visible_count(0) == 8  # x, stem, layer1, layer2, pool, flatten, fc, output
    assert g.visible_count(1) == 8 + 3 + 2 + 2  # and the contents of stem, layer1, layer2


def test_fx_and_the_recorded_forward_pass_give_the_same_graph():
    model, x = ResNet(), torch.randn(1, 3, 16, 16)
    fx, hooks = ModelGraph.from_model(model, x, method="fx"), ModelGraph.from_model(model, x, method="hooks")
    assert (fx.method, hooks.method) == ("fx", "hooks")
    assert [(n.id, n.kind, n.parent, n.outputs) for n in fx.nodes] == [
        (n.id, n.kind, n.parent, n.outputs) for n in hooks.nodes
    ]
    assert edges(fx) == edges(hooks)


def test_transformer_encoder_falls_back_to_a_recorded_pass_and_shows_each_layer():
    g = ModelGraph.from_model(transformer(), torch.randn(2, 5, 16))
    assert g.method == "hooks"
    assert "torch.fx could not trace TransformerEncoder" in g.notes[0]
    assert [n.id for n in g.of_kind("container")] == ["layers.0", "layers.1"]
    attn = g.node("layers.0.self_attn")
    assert (attn.kind, attn.type, attn.parent) == ("module", "MultiheadAttention", "layers.0")
    assert attn.params == 4 * 16 * 16 + 4 * 16  # in/out projections, not looked into
    assert str(g.node("layers.0.linear1").outputs[0]) == "2×5×32"  # the feed-forward width
    # Both residual joins of each layer: attention + input, feed-forward + its input.
    assert sorted(g.predecessors("layers.0/add")) == ["input:src", "layers.0.dropout1"]
    assert sorted(g.predecessors("layers.0/add#2")) == ["layers.0.dropout2", "layers.0.norm1"]
    assert g.predecessors("layers.1.self_attn") == ["layers.0.norm2"]
    assert g.predecessors("output") == ["layers.1.norm2"]


def test_multimodal_fusion_has_two_inputs_two_branches_and_a_cat_joining_them():
    g = ModelGraph.from_model(Multimodal(), (torch.randn(2, 3, 8, 8), torch.randn(2, 5)))
    assert [n.id for n in g.inputs] == ["input:image", "input:tabular"]
    assert g.successors("input:image") == ["image.0"] and g.successors("input:tabular") == ["tabular.0"]
    assert sorted(g.predecessors("cat")) == ["image.3", "tabular.2"]
    assert g.node("cat").parent is None and str(g.node("cat").outputs[0]) == "2×16"
    assert g.successors("cat") == ["head.0"]
    # The same inputs given by name.
    by_name = ModelGraph.from_model(Multimodal(), {"tabular": torch.randn(2, 5), "image": torch.randn(2, 3, 8, 8)})
    assert edges(by_name) == edges(g)


def test_ensemble_members_are_parallel_branches_averaged_at_the_end():
    g = ModelGraph.from_model(Ensemble(3), torch.randn(2, 4))
    assert [n.id for n in g.of_kind("container")] == ["members.0", "members.1", "members.2"]
    assert sorted(g.successors("input:x")) == ["members.0.0", "members.1.0", "members.2.0"]
    assert sorted(g.predecessors("stack")) == ["members.0.2", "members.1.2", "members.2.2"]
    assert g.successors("stack") == ["mean"] and g.successors("mean") == ["output"]
    assert str(g.node("stack").outputs[0]) == "3×2×3"


def test_a_shared_module_called_twice_gives_two_calls_of_one_path():
    g = ModelGraph.from_model(Siamese(), (torch.randn(2, 4), torch.randn(2, 4)))
    calls = g.find("encoder")
    assert [(n.id, n.kind, n.call) for n in calls] == [("encoder", "container", 0), ("encoder#2", "container", 1)]
    assert g.node("encoder.0#2").parent == "encoder#2" and g.node("encoder.0#2").path == "encoder.0"
    assert g.successors("input:a") == ["encoder.0"] and g.successors("input:b") == ["encoder.0#2"]
    assert g.shared_modules == ["encoder", "encoder.0", "encoder.1"]
    assert calls[0].params == calls[1].params == 20
    assert g.total_params == 20 + 9  # parameters counted once


@pytest.mark.parametrize("method", ["fx", "hooks"])
def test_several_inputs_and_outputs_by_name_with_a_default_argument_left_out(method):
    g = ModelGraph.from_model(TwoHeads(), {"x": torch.randn(2, 6), "extra": torch.randn(2, 6)}, method=method)
    assert [n.id for n in g.inputs] == ["input:x", "input:extra"]  # mask not given: no input, no mul
    assert [n.name for n in g.outputs] == ["output[0]['logits']", "output[0]['value']", "output[1]"]
    assert "mul" not in {n.name for n in g.nodes}
    assert sorted(g.predecessors("add")) == ["input:extra", "input:x"]
    assert g.predecessors("output[1]") == ["relu"] and g.predecessors("output[0]['value']") == ["reg"]
    args = (torch.randn(2, 6), torch.randn(2, 6), torch.ones(2, 6))
    with_mask = ModelGraph.from_model(TwoHeads(), args, method=method)
    assert sorted(with_mask.predecessors("mul")) == ["add", "input:mask"]


def test_data_dependent_control_flow_falls_back_and_records_the_path_taken():
    g = ModelGraph.from_model(Recurrent(), torch.randn(2, 3, 8))
    assert g.method == "hooks" and "torch.fx could not trace Recurrent" in g.notes[0]
    assert [(n.id, n.call) for n in g.find("cell")] == [("cell", 0), ("cell#2", 1), ("cell#3", 2)]
    assert g.predecessors("add#2") == ["cell#2", "tanh"]  # the state carried from step 1 to step 2
    assert g.predecessors("head") == ["tanh#3"]
    # The test `h.norm() > 1e6` only steered the branch: it is not part of the data flow drawn.
    assert not {"norm", "gt", "div"} & {n.name for n in g.nodes}
    up = ModelGraph.from_model(SignBranch(), torch.ones(1, 3))
    down = ModelGraph.from_model(SignBranch(), -torch.ones(1, 3))
    assert [n.id for n in up.of_kind("module")] == ["up"] and [n.id for n in down.of_kind("module")] == ["down"]
    with pytest.raises(ValueError, match=r"torch\.fx cannot trace SignBranch"):
        ModelGraph.from_model(SignBranch(), torch.ones(1, 3), method="fx")


def test_tracing_leaves_the_model_as_it_was():
    model = ResNet().train()
    model.layer1.eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    ModelGraph.from_model(model, torch.randn(4, 3, 16, 16), method="hooks")
    ModelGraph.from_model(model, torch.randn(4, 3, 16, 16), method="fx")
    assert model.training and not model.layer1.training and model.layer2.training
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # no batch-norm statistics updated


def test_user_module_names_are_kept_verbatim_as_plain_data():
    model = nn.Sequential()
    model.add_module("<img src=x onerror=alert(1)>", nn.Linear(2, 2))
    g = ModelGraph.from_model(model, torch.randn(1, 2))
    node = g.node("<img src=x onerror=alert(1)>")
    assert node.name == node.path == "<img src=x onerror=alert(1)>"


# ----------------------------------------------------------------------------------- bad input
def test_an_input_of_the_wrong_shape_names_the_module_that_failed_and_what_it_got():
    with pytest.raises(ModelRunError) as info:
        ModelGraph.from_model(ResNet(), torch.randn(1, 1, 16, 16))
    err = info.value
    assert (err.module_path, err.module_type) == ("stem.0", "Conv2d")
    assert "ResNet failed in module 'stem.0' (Conv2d), called with 1×1×16×16" in str(err)
    assert "expected input[1, 1, 16, 16] to have 3 channels" in str(err)
    assert isinstance(err.__cause__, RuntimeError)
    with pytest.raises(ModelRunError, match=r"module 'layers.0.self_attn' \(MultiheadAttention\)"):
        ModelGraph.from_model(transformer(), torch.randn(2, 5, 12))


def test_a_missing_input_is_named():
    with pytest.raises(ValueError, match="needs the input 'tabular', which example_input does not give") as info:
        ModelGraph.from_model(Multimodal(), torch.randn(2, 3, 8, 8))
    assert "example_input=(image, tabular)" in str(info.value)
    with pytest.raises(ValueError, match="needs the input 'x'"):
        ModelGraph.from_model(CNN())
    with pytest.raises(ValueError, match=r"does not fit CNN\.forward"):
        ModelGraph.from_model(CNN(), (torch.randn(1, 1, 28, 28), torch.randn(1)))


def test_a_non_torch_object_is_a_type_error_saying_what_is_accepted():
    class Estimator:
        def predict(self, X):
            return X

    with pytest.raises(TypeError, match=r"model must be a torch.nn.Module \(a PyTorch model\); got .*Estimator"):
        ModelGraph.from_model(Estimator(), None)
    with pytest.raises(TypeError, match=r"got the class CNN itself, pass an instance: CNN\(...\)"):
        ModelGraph.from_model(CNN, torch.randn(1, 1, 28, 28))
    with pytest.raises(ValueError, match="method must be one of"):
        ModelGraph.from_model(CNN(), torch.randn(1, 1, 28, 28), method="onnx")


def test_model_graph_validates_its_own_consistency():
    g = ModelGraph.from_model(CNN(), torch.randn(1, 1, 28, 28))
    with pytest.raises(ValueError, match="unique"):
        ModelGraph(nodes=g.nodes + g.nodes[:1], edges=())
    with pytest.raises(ValueError, match="unknown parent"):
        ModelGraph(nodes=g.nodes[2:], edges=())
    with pytest.raises(KeyError, match="no node 'nope'"):
        g.node("nope")
    assert "CNN: 14 nodes (10 module calls, 0 functions, 2 containers)" in repr(g)
    assert "traced with torch.fx" in g.summary()
