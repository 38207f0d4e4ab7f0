"""A PyTorch model's structure as a graph: ``ModelGraph.from_model(model, example_input)``.

``torch.fx`` symbolic tracing when it works; a real forward pass recorded with module hooks and
``__torch_function__`` when it does not (data-dependent control flow, dynamic shapes). The module
tree gives the nesting. torch is imported only when a model is traced.
"""

from ._inputs import ModelRunError
from .graph import GraphEdge, GraphNode, ModelGraph, NodeKind, TensorInfo

__all__ = ["GraphEdge", "GraphNode", "ModelGraph", "ModelRunError", "NodeKind", "TensorInfo"]
