"""One weights file for every backend: safetensors keyed `<layer name>.<weight name>`,
tensors in PyTorch/ONNX layout (conv OIHW, dense [out, in], batchnorm running stats)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from papercc.ir.diagnostics import Diagnostic, DiagnosticError
from papercc.ir.graph import Graph
from papercc.ir.span import Span


def weight_specs(graph: Graph):
    """(key, node, spec) for every weight of the graph, in layer order."""
    for node in graph.nodes:
        for spec in node.weights:
            yield f"{node.name}.{spec.name}", node, spec


def init_weights(graph: Graph, seed: int = 0) -> dict[str, np.ndarray]:
    """Random float32 weights with the right shapes and sensible scales.

    Scales keep activations O(1) through deep nets (fan-in scaling), and batchnorm gets
    non-trivial statistics so a backend that ignores them is caught by `verify`."""
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for key, node, spec in weight_specs(graph):
        shape = spec.shape
        if any(not isinstance(d, int) for d in shape):
            raise DiagnosticError(
                [
                    Diagnostic(
                        node.span,
                        "error",
                        "hole",
                        f"weight {key} has an unknown shape {shape}; fill the holes first",
                    )
                ]
            )
        name = spec.name
        if name == "running_var":
            value = rng.uniform(0.5, 1.5, shape)
        elif name == "running_mean":
            value = rng.normal(0.0, 0.1, shape)
        elif node.op in ("batchnorm", "layernorm", "groupnorm") and name == "weight":
            value = rng.uniform(0.8, 1.2, shape)
        elif "bias" in name:
            value = rng.normal(0.0, 0.05, shape)
        elif node.op == "prelu":
            value = rng.uniform(0.1, 0.3, shape)
        elif node.op == "embedding":
            value = rng.normal(0.0, 1.0, shape)
        else:
            fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
            if node.op.startswith("conv_transpose"):
                fan_in = int(shape[0] * np.prod(shape[2:]))
            value = rng.normal(0.0, np.sqrt(2.0 / max(fan_in, 1)), shape)
        out[key] = np.ascontiguousarray(value, dtype=np.float32)
    return out


def save_weights(path: str | Path, tensors: dict[str, np.ndarray], metadata: dict | None = None):
    from safetensors.numpy import save

    from papercc.fileio import write_atomic

    # an empty metadata dict makes a header safetensors' own loader rejects: pass None
    meta = {k: str(v) for k, v in (metadata or {}).items()} or None
    data = save(tensors, metadata=meta)
    write_atomic(path, data)


def load_weights(path: str | Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    try:
        return load_file(str(path))
    except Exception as exc:  # noqa: BLE001 - safetensors raises several kinds
        raise DiagnosticError(
            [Diagnostic(Span(str(path), 0, 0, 0, 0), "error", "io", f"cannot read weights: {exc}")]
        ) from None


def check_weights(graph: Graph, tensors: dict[str, np.ndarray], path: str = "<weights>") -> None:
    """Every weight present with its shape; extra keys are an error too (a different model)."""
    problems = []
    expected = {key: spec for key, _, spec in weight_specs(graph)}
    where = Span(str(path), 0, 0, 0, 0)
    for key, spec in expected.items():
        if key not in tensors:
            problems.append(f"missing weight {key}")
        elif tuple(tensors[key].shape) != tuple(spec.shape):
            problems.append(
                f"weight {key} has shape {tuple(tensors[key].shape)}, expected {spec.shape}"
            )
    for key in tensors:
        if key not in expected:
            problems.append(f"unexpected weight {key}")
    if problems:
        raise DiagnosticError([Diagnostic(where, "error", "io", p) for p in problems[:20]])
