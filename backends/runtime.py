"""Running generated code in its real runtime, for `papercc verify` and the tests."""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from papercc.ir.graph import Graph
from papercc.ir.registry import OPS


def import_generated(source: str, name: str):
    """Import generated Python from a temp file (as a user would), not with exec of a string."""
    with tempfile.TemporaryDirectory(prefix="papercc-gen-") as tmp:
        path = Path(tmp) / f"{name}.py"
        path.write_text(source, encoding="utf-8")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        finally:
            sys.modules.pop(name, None)
    return module


@contextmanager
def weights_file(weights: dict[str, np.ndarray]) -> Iterator[str]:
    from papercc.backends.weights import save_weights

    fd, path = tempfile.mkstemp(suffix=".safetensors", prefix="papercc-w-")
    os.close(fd)
    try:
        save_weights(path, weights)
        yield path
    finally:
        os.unlink(path)


def example_inputs(
    graph: Graph, seed: int = 0, batch: int = 2, symbols: int = 5
) -> list[np.ndarray]:
    """Random inputs of the model's input types; symbolic dims get small sizes."""
    rng = np.random.default_rng(seed)
    out = []
    for v in graph.inputs:
        shape = []
        for axis, d in enumerate(v.type.shape or ()):
            shape.append(d if isinstance(d, int) else (batch if axis == 0 else symbols))
        if v.type.dtype.startswith(("i", "u")):
            limit = _id_limit(graph, v)
            out.append(rng.integers(0, limit, size=shape).astype(np.int64))
        else:
            out.append(rng.standard_normal(shape).astype(np.float32))
    return out


def _id_limit(graph: Graph, value) -> int:
    """The smallest table of the layers that index rows by this input (ids must fit)."""
    limits = [
        n.attrs[OPS[n.op].ids_below]
        for n in graph.nodes
        if OPS[n.op].ids_below and value in n.inputs
    ]
    return min(limits) if limits else 2
