"""Properties over random well-typed modules drawn from the op registry."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from ir_mutations import mutate, mutate_tokens
from strategies import chain_models

import papercc
from papercc.ir.check import check_module
from papercc.ir.values import HOLE


def graph_signature(graph):
    return [
        (
            n.name,
            n.op,
            tuple(sorted((k, repr(v)) for k, v in n.attrs.items())),
            tuple(str(v.type) for v in n.outputs),
            n.params,
        )
        for n in graph.nodes
    ]


@given(chain_models())
def test_print_parse_fixed_point(module):
    text = papercc.format(module)
    reparsed = papercc.parse(text)
    assert papercc.format(reparsed) == text
    assert papercc.parse(papercc.format(reparsed)) == reparsed


@given(chain_models())
def test_generated_models_check_and_printing_keeps_meaning(module):
    before = check_module(module)
    assert before.ok, [d.header() for d in before.diagnostics]
    after = check_module(papercc.parse(papercc.format(module)))
    assert after.ok
    assert graph_signature(before.graphs["m"]) == graph_signature(after.graphs["m"])


@given(chain_models())
def test_shape_inference_invariants(module):
    graph = check_module(module).graphs["m"]
    for node in graph.nodes:
        for v in node.outputs:
            assert v.type.shape is not None
            assert v.type.shape[0] == "N", f"{node.name} ({node.op}) lost the batch dim"
            assert all(
                d is None or d == "N" or (isinstance(d, int) and d > 0) for d in v.type.shape
            )
        assert node.params is not None and node.params >= 0
        assert node.params == sum(w.numel for w in node.weights if w.trainable)
        # the shape rule is a function of its inputs: running it again gives the same types
        again = node.opdef.infer([i.type for i in node.inputs], node.attrs)
        assert [str(t) for t in again] == [str(v.type) for v in node.outputs]
        assert HOLE not in node.attrs.values()
    assert graph.params == sum(n.params for n in graph.nodes)


@settings(max_examples=150)
@given(chain_models(), st.integers(0, 2**32 - 1))
def test_mutations_only_raise_diagnostics(module, seed):
    how = mutate if seed % 2 else mutate_tokens
    text = how(papercc.format(module), random.Random(seed))
    try:
        result = check_module(papercc.parse(text))
    except papercc.DiagnosticError as exc:
        assert exc.diagnostics and all(d.code == "syntax" for d in exc.diagnostics)
        return
    for d in result.diagnostics:
        assert d.header()  # every diagnostic renders
