"""The code-generation targets, looked up by name. Each target module exposes `TARGET`,
`TABLE` (op -> emit function), `generate(graph, source)` and `run(graph, weights, inputs)`;
`generate` lowers the graph first (`backends.emit.lower`), so ops the table lacks are
emitted through their decompositions.
Framework imports happen inside `run`, so listing coverage needs no framework installed."""

from __future__ import annotations

import importlib

TARGETS = {
    "pytorch": "papercc.backends.pytorch",
    "keras": "papercc.backends.keras.target",
    "tensorflow": "papercc.backends.tensorflow.target",
    "caffe": "papercc.backends.caffe.target",
    "onnx": "papercc.backends.onnx.target",
}


def target_module(name: str):
    return importlib.import_module(TARGETS[name])


def available() -> list[str]:
    out = []
    for name in TARGETS:
        try:
            target_module(name)
        except ImportError:
            continue
        out.append(name)
    return out


def native() -> dict[str, set[str]]:
    """The ops each target has an emit function for."""
    return {name: set(target_module(name).TABLE) for name in available()}


def coverage() -> dict[str, set[str]]:
    """The ops each target can emit: natively, or by the op's decomposition into ops it
    covers (see backends.emit.lower)."""
    from papercc.backends.emit import covered

    return {name: covered(target_module(name).TABLE) for name in available()}
