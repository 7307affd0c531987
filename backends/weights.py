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
        out[key] = np.ascontiguousarray(INIT_SAMPLERS[spec.init](rng, shape), dtype=np.float32)
    return out


def _fan_in(rng, shape, fan_in: int):
    return rng.normal(0.0, np.sqrt(2.0 / max(fan_in, 1)), shape)


# one sampler per initialiser the weight rules declare (papercc.ir.registry.INITIALISERS)
INIT_SAMPLERS = {
    "fan_in": lambda rng, s: _fan_in(rng, s, int(np.prod(s[1:])) if len(s) > 1 else 1),
    "fan_in_transposed": lambda rng, s: _fan_in(rng, s, int(s[0] * np.prod(s[2:]))),
    "bias": lambda rng, s: rng.normal(0.0, 0.05, s),
    "scale": lambda rng, s: rng.uniform(0.8, 1.2, s),
    "slope": lambda rng, s: rng.uniform(0.1, 0.3, s),
    "unit_normal": lambda rng, s: rng.normal(0.0, 1.0, s),
    "running_mean": lambda rng, s: rng.normal(0.0, 0.1, s),
    "running_var": lambda rng, s: rng.uniform(0.5, 1.5, s),
}


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
