"""What compression cost: an original torch model against its distilled or dynamically quantized version.

Size is the bytes of ``torch.save(model.state_dict())`` (what a checkpoint takes). Latency is the median
of ``repeats`` timed forward passes of one batch of ``batch_size`` rows, in eval mode under
``torch.no_grad()``, the two models timed alternately after a warm-up (so drift hits both alike).
Per-layer output differences: forward hooks capture the output of every module present under the
same name in both models (``quantize_dynamic`` keeps the names: ``fc1`` stays ``fc1``), on one batch;
the relative difference is ``||out_b - out_a|| / ||out_a||``. Layers of different widths (a distilled
student) cannot be subtracted: every layer of one model is compared with every layer of the other by
linear CKA (centred kernel alignment, Kornblith et al. 2019: 1 when two layers' outputs on the batch are
the same up to rotation and scale, near 0 when unrelated), the layers x layers matrix of
:attr:`CompressionReport.cka`. Outputs are computed in batches of 4,096
rows, as :func:`ipyexplain.compare.compare` and :func:`ipyexplain.evaluate` predict (dynamic
quantization scales activations per batch, so a row's output can depend on its batch: the same
batching keeps the report's accuracy and agreement equal to the comparison's).
"""

from __future__ import annotations

import io
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..views.charts import fmt

_PREDICT_BATCH = 4096  # the torch adapter's batch (adapters.as_predictor)


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - optional extra
        raise ImportError("comparing torch models needs PyTorch: pip install 'ipyexplain[torch]'") from exc
    return torch


@dataclass(frozen=True)
class LayerDiff:
    name: str
    kind_a: str  # module class in each model (Linear vs DynamicQuantizedLinear)
    kind_b: str
    relative: float  # ||b - a|| / ||a||
    max_abs: float


@dataclass(frozen=True)
class CompressionReport:
    names: tuple[str, str]
    size_bytes: tuple[int, int]
    latency_ms: tuple[float, float]  # median per batch
    latency_quartiles_ms: tuple[tuple[float, float], tuple[float, float]]  # 25th and 75th percentiles
    batch_size: int
    threads: int
    agreement: float  # share of rows with the same predicted class (argmax); NaN for one output
    output_max_abs: float
    output_mean_abs: float
    accuracy: tuple[float, float] | None
    layers: list[LayerDiff]
    cka: np.ndarray | None = None  # linear CKA, leaf layers of A (rows) x leaf layers of B (columns)
    cka_layers: tuple[list[str], list[str]] = field(default_factory=lambda: ([], []))  # their names (kinds)

    @property
    def size_ratio(self) -> float:
        return self.size_bytes[0] / self.size_bytes[1]

    @property
    def speedup(self) -> float:
        return self.latency_ms[0] / self.latency_ms[1]

    @property
    def sentence(self) -> str:
        a, b = self.names
        mb = lambda v: f"{v / 1e6:.2f} MB" if v >= 1e5 else f"{v / 1e3:.1f} kB"  # noqa: E731
        ratio = self.size_ratio
        size = (f"{ratio:.1f}× smaller" if ratio >= 1 else f"{1 / ratio:.1f}× larger")
        speed = (f"{self.speedup:.1f}× faster" if self.speedup >= 1 else f"{1 / self.speedup:.1f}× slower")
        text = (f"{b} is {size} than {a} ({mb(self.size_bytes[1])} vs {mb(self.size_bytes[0])}) and {speed} per "
                f"batch of {self.batch_size} rows ({self.latency_ms[1]:.2f} ms vs {self.latency_ms[0]:.2f} ms, "
                f"{self.threads} thread{'s' * (self.threads != 1)})")
        if np.isfinite(self.agreement):
            text += f"; the two predict the same class on {100 * self.agreement:.1f}% of rows"
        if self.accuracy is not None:
            text += f"; accuracy {fmt(self.accuracy[1])} vs {fmt(self.accuracy[0])}"
        return text + "."


def _tensor(X: Any, module: Any) -> Any:
    torch = _torch()
    if isinstance(X, torch.Tensor):
        return X.detach()
    array = X.to_numpy(dtype=np.float32) if hasattr(X, "iloc") else np.asarray(X, dtype=np.float32)
    return torch.as_tensor(array)


def _size(model: Any) -> int:
    torch = _torch()
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getbuffer().nbytes


def _outputs(model: Any, x: Any, batch_size: int) -> np.ndarray:
    torch = _torch()
    parts = []
    with torch.no_grad():
        for i in range(0, x.shape[0], batch_size):
            out = model(x[i:i + batch_size])
            out = out[0] if isinstance(out, tuple | list) else out
            parts.append(out.detach().float().reshape(out.shape[0], -1).cpu().numpy())
    return np.concatenate(parts).astype(np.float64)


def _latency(models: Sequence[Any], batch: Any, repeats: int) -> list[np.ndarray]:
    torch = _torch()
    times: list[list[float]] = [[] for _ in models]
    with torch.no_grad():
        for model in models:  # warm-up: allocator, kernels, packed weights
            for _ in range(2):
                model(batch)
        for _ in range(repeats):
            for i, model in enumerate(models):
                started = time.perf_counter()
                model(batch)
                times[i].append((time.perf_counter() - started) * 1000.0)
    return [np.asarray(t) for t in times]


def _kind(module: Any) -> str:
    """``Linear``, or ``dynamic quantized Linear`` for torch.ao's modules (which keep the float class name)."""
    path = type(module).__module__
    if "quantized" not in path:
        return type(module).__name__
    return f"{'dynamic ' if '.dynamic' in path else ''}quantized {type(module).__name__}"


def _layer_outputs(model: Any, batch: Any) -> dict[str, tuple[str, Any]]:
    """Layer name -> (its kind, its output on ``batch``), in the order they ran. A layer is a module none of whose
    submodules ran (``quantize_dynamic``'s Linear keeps its packed weights in a submodule that never runs)."""
    torch = _torch()
    captured: dict[str, tuple[str, Any]] = {}
    handles = []
    for name, module in model.named_modules():
        if not name:
            continue

        def hook(module: Any, inputs: Any, output: Any, key: str = name) -> None:
            out = output[0] if isinstance(output, tuple | list) else output
            if isinstance(out, torch.Tensor) and out.is_floating_point():
                captured[key] = (_kind(module), out.detach().to("cpu", torch.float64, copy=True))
        handles.append(module.register_forward_hook(hook))
    try:
        with torch.no_grad():
            model(batch)
    finally:
        for handle in handles:
            handle.remove()
    return {n: v for n, v in captured.items() if not any(m.startswith(n + ".") for m in captured)}


def linear_cka(x: Any, y: Any) -> float:
    """Linear CKA of two layers' outputs on the same rows (rows x anything): ``<Kc, Lc> / (|Kc| |Lc|)`` with
    ``K = X X^T`` centred (the Gram form: any widths)."""
    torch = _torch()
    a, b = x.reshape(x.shape[0], -1), y.reshape(y.shape[0], -1)
    a, b = a - a.mean(dim=0, keepdim=True), b - b.mean(dim=0, keepdim=True)
    k, m = a @ a.T, b @ b.T
    norm = float(torch.linalg.matrix_norm(k) * torch.linalg.matrix_norm(m))
    return float((k * m).sum()) / norm if norm > 0 else float("nan")


def _layer_diffs(a: Any, b: Any, batch: Any) -> tuple[list[LayerDiff], np.ndarray, tuple[list[str], list[str]]]:
    """Same-named, same-shaped layers' output differences; the linear CKA of every pair of layers."""
    torch = _torch()
    outs_a, outs_b = _layer_outputs(a, batch), _layer_outputs(b, batch)
    diffs = []
    for name, (kind_a, oa) in outs_a.items():
        if name not in outs_b or outs_b[name][1].shape != oa.shape:
            continue
        kind_b, ob = outs_b[name]
        delta = ob - oa
        norm = float(torch.linalg.vector_norm(oa))
        rel = float(torch.linalg.vector_norm(delta)) / norm if norm > 0 else float("nan")
        diffs.append(LayerDiff(name, kind_a, kind_b, rel, float(delta.abs().max()) if delta.numel() else 0.0))
    cka = np.array([[linear_cka(oa, ob) for _, ob in outs_b.values()] for _, oa in outs_a.values()])
    labels = tuple([f"{n} ({k})" for n, (k, _) in outs.items()] for outs in (outs_a, outs_b))
    return diffs, cka.reshape(len(outs_a), len(outs_b)), (labels[0], labels[1])


def compression_report(original: Any, compressed: Any, X: Any, y: Any = None, *,
                       names: Sequence[str] = ("original", "compressed"), batch_size: int = 256,
                       repeats: int = 30) -> CompressionReport:
    """Size, latency per batch, agreement (and accuracy with ``y``), per-layer output differences."""
    torch = _torch()
    for which, model in (("original", original), ("compressed", compressed)):
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"compression_report() needs torch.nn.Module models; the {which} is a "
                            f"{type(model).__name__}")
    if batch_size < 1 or repeats < 3:
        raise ValueError(f"batch_size must be >= 1 and repeats >= 3; got {batch_size} and {repeats}")
    x = _tensor(X, original)
    if x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(f"X must have rows (shape (rows, ...)); got shape {tuple(x.shape)}")
    modes = (original.training, compressed.training)
    original.eval()
    compressed.eval()
    try:
        out_a, out_b = _outputs(original, x, _PREDICT_BATCH), _outputs(compressed, x, _PREDICT_BATCH)
        if out_a.shape != out_b.shape:
            raise ValueError(f"the models disagree on the output shape: {names[0]} gives {out_a.shape[1:]}, "
                             f"{names[1]} gives {out_b.shape[1:]} per row")
        batch = x[:batch_size]
        ta, tb = _latency([original, compressed], batch, repeats)
        layers, cka, cka_layers = _layer_diffs(original, compressed, x[: min(512, x.shape[0])])
    finally:
        original.train(modes[0])
        compressed.train(modes[1])
    multi = out_a.shape[1] > 1
    pa, pb = out_a.argmax(axis=1), out_b.argmax(axis=1)
    accuracy = None
    if y is not None and multi:
        yy = np.asarray(y.detach().cpu().numpy() if hasattr(y, "detach") else y)
        if yy.shape[0] != pa.shape[0]:
            raise ValueError(f"y has {yy.shape[0]} entries but X has {pa.shape[0]} rows")
        accuracy = (float(np.mean(pa == yy)), float(np.mean(pb == yy)))
    delta = np.abs(out_b - out_a)
    quartiles = lambda t: (float(np.percentile(t, 25)), float(np.percentile(t, 75)))  # noqa: E731
    return CompressionReport(
        (str(names[0]), str(names[1])), (_size(original), _size(compressed)),
        (float(np.median(ta)), float(np.median(tb))), (quartiles(ta), quartiles(tb)), int(batch.shape[0]),
        int(torch.get_num_threads()), float(np.mean(pa == pb)) if multi else float("nan"), float(delta.max()),
        float(delta.mean()), accuracy, layers, cka, cka_layers,
    )
