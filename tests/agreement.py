"""The one differential check every backend test uses: run a graph in PyTorch and in a
target on the same weights and input; shapes equal DLIR's, values within tolerance. And
the small helpers backend tests share to write a model."""

from __future__ import annotations

import papercc
from papercc.backends.runtime import example_inputs
from papercc.backends.targets import target_module
from papercc.backends.verify import REL_TOLERANCE, compare, expected_shapes_ok
from papercc.backends.weights import init_weights


def assert_agrees(graph, target: str, seed: int = 0) -> None:
    weights = init_weights(graph, seed)
    inputs = example_inputs(graph, seed)
    ref = target_module("pytorch").run(graph, weights, inputs)
    assert expected_shapes_ok(graph, ref), "PyTorch output shape differs from DLIR's inference"
    got = target_module(target).run(graph, weights, inputs)
    max_abs, max_rel, same_shape = compare(ref, got)
    assert (
        same_shape
    ), f"{target} output shapes {[g.shape for g in got]} != {[r.shape for r in ref]}"
    assert expected_shapes_ok(graph, got)
    assert (
        max_rel <= REL_TOLERANCE or max_abs <= 1e-6
    ), f"{target}: max abs {max_abs:g}, rel {max_rel:g}"


def graph(text: str):
    """The one model of a DLIR module, checked."""
    (g,) = papercc.check(text).graphs.values()
    return g


def model(signature: str, body: str) -> str:
    """A module of one model `m` with these parameters and body."""
    return f"model m({signature}) {{\n{body}\n}}\n"
