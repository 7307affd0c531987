"""Coverage and conformance, the parts no one target owns: every target covers every op
(natively or by decomposition: a missing emitter fails here, it is never skipped), every op
declares cases, the by-design exclusions are real, the pytorch target conforms, and the
decomposition fallback (backends.emit.lower) names, weighs and binds as documented."""

from __future__ import annotations

import conformance
import numpy as np
import pytest
from agreement import graph
from conformance import BY_DESIGN, TARGETS, check, check_by_design

from papercc.backends import pytorch
from papercc.backends.emit import covered, lower
from papercc.backends.runtime import example_inputs
from papercc.backends.targets import TARGETS as TARGET_MODULES
from papercc.backends.targets import coverage, target_module
from papercc.backends.weights import init_weights
from papercc.ir.diagnostics import DiagnosticError
from papercc.ir.registry import OPS, decompose

# ---------------------------------------------------------------- coverage


@pytest.mark.parametrize("target", sorted(TARGET_MODULES))
def test_target_covers_every_op(target: str) -> None:
    module = target_module(target)  # a target that does not import fails here
    missing = sorted(set(OPS) - covered(module.TABLE))
    assert not missing, f"{target} has neither an emitter nor a decomposition for {missing}"
    assert set(module.TABLE) <= set(OPS), f"{target} emits ops the registry lacks"


def test_coverage_lists_every_target() -> None:
    assert set(coverage()) == set(TARGET_MODULES) == set(TARGETS)


def test_a_missing_emitter_is_not_covered() -> None:
    table = {k: v for k, v in pytorch.TABLE.items() if k != "relu"}
    assert "relu" not in covered(table)
    with pytest.raises(DiagnosticError, match="cannot express op 'relu'"):
        lower(graph("model m(x: f32[N, 3]) {\n  return relu(x)\n}\n"), table, "pytorch")


def test_a_decomposition_covers_an_op_only_with_its_ops() -> None:
    table = {k: v for k, v in pytorch.TABLE.items() if k not in ("hardswish", "hardsigmoid")}
    assert "hardswish" not in covered(table)  # its body needs hardsigmoid, which has none
    assert "hardswish" in covered({**table, "hardsigmoid": None})


# ---------------------------------------------------------------- the cases


@pytest.mark.parametrize("op", sorted(OPS))
def test_cases_are_named_checked_and_use_their_op(op: str) -> None:
    cases = OPS[op].cases
    assert cases, f"{op} declares no conformance case"
    names = [c.name for c in cases]
    assert len(set(names)) == len(names), f"{op}: case names repeat"
    for c in cases:
        assert c.name.isidentifier(), c.name
        g = graph(c.model())
        assert op in {n.op for n in g.nodes}, f"{op}/{c.name} does not use {op}"


def test_by_design_entries_are_real_and_fail_with_a_diagnostic() -> None:
    for (target, op, case), why in BY_DESIGN.items():
        assert target in TARGETS and op in OPS and why, (target, op, case)
        assert case in {c.name for c in OPS[op].cases}, (target, op, case)
        check_by_design(target, op, case)


def test_a_by_design_entry_leaves_the_batch_and_must_really_fail(monkeypatch) -> None:
    monkeypatch.setitem(conformance.BY_DESIGN, ("onnx", "relu", "image"), "a test entry")
    assert [c.name for c in conformance.batch("onnx", "relu").cases] == ["outputs_repeat_input"]
    with pytest.raises(AssertionError, match="remove it from BY_DESIGN"):
        check_by_design("onnx", "relu", "image")  # onnx runs it: the entry would hide a case


@pytest.mark.parametrize("op", sorted(OPS))
def test_pytorch_conforms(op: str) -> None:
    check("pytorch", op)


# ---------------------------------------------------------------- decompositions


def test_decompositions_use_registered_ops_and_not_themselves() -> None:
    for name, op in OPS.items():
        if op.decomposition is None:
            continue
        used = op.decomposition.ops()
        assert used <= set(OPS), f"{name}: unknown ops {sorted(used - set(OPS))}"
        assert name not in used, f"{name} decomposes into itself"
        assert {i for i, _ in op.decomposition.dims} <= set(op.inputs), name
        names = [*op.inputs, *(a.name for a in op.attrs)]
        names += [d for _, dims in op.decomposition.dims for d in dims]
        assert len(set(names)) == len(names), f"{name}: the body's parameters repeat a name"


def test_lower_keeps_a_graph_without_decomposed_layers() -> None:
    g = graph("model m(x: f32[N, 3, 4, 4]) {\n  return hardswish(x)\n}\n")
    assert lower(g, pytorch.TABLE, "pytorch") is g


def test_decomposed_layers_are_named_under_the_layer_with_its_span() -> None:
    g = graph("model m(x: f32[N, 3, 4, 4]) {\n  y = relu(x)\n  return hardswish(y) as act\n}\n")
    table = {k: v for k, v in pytorch.TABLE.items() if k != "hardswish"}
    low = lower(g, table, "pytorch")
    assert [(n.name, n.op) for n in low.nodes] == [
        ("relu1", "relu"),
        ("act.hardsigmoid1", "hardsigmoid"),
        ("act.mul1", "mul"),
    ]
    assert all(n.span == g.nodes[1].span for n in low.nodes[1:])
    assert low.inputs == g.inputs and low.outputs[0].type == g.outputs[0].type
    assert [n.name for n in g.nodes] == ["relu1", "act"]  # the caller's graph is untouched
    assert g.outputs[0].producer is g.nodes[1]


def test_decompositions_expand_again_where_the_target_lacks_an_op() -> None:
    g = graph("model m(x: f32[N, 3, 4, 4]) {\n  return hardswish(x)\n}\n")
    decomps = {
        "hardswish": decompose("return mul(x, hardsigmoid(x))"),
        "hardsigmoid": decompose("return identity(x)"),  # wrong, but shows the recursion
    }
    table = {k: v for k, v in pytorch.TABLE.items() if k not in decomps}
    low = lower(g, table, "pytorch", decomps)
    assert [n.name for n in low.nodes] == ["hardswish1.hardsigmoid1.identity1", "hardswish1.mul1"]


SHUFFLE = decompose(
    "y = reshape(x, (2, C // 2, H, W))\n"
    "y = transpose(y, (0, 2, 1, 3, 4))\n"
    "return reshape(y, (C, H, W))",
    x=("N", "C", "H", "W"),
)


CONV = "model m(x: f32[N, 6, 3, 4]) {\n  return conv2d(x, 6, kernel=1)\n}\n"


def test_a_body_binds_dims_of_its_input() -> None:
    """A channel shuffle (groups 2) as reshape-transpose-reshape over C, H, W bound from the
    input type, put in place of `identity` here: PyTorch runs the expansion."""
    g = graph("model m(x: f32[N, 6, 3, 4]) {\n  return identity(conv2d(x, 6, kernel=1))\n}\n")
    table = {k: v for k, v in pytorch.TABLE.items() if k != "identity"}
    low = lower(g, table, "pytorch", {"identity": SHUFFLE})
    assert [n.op for n in low.nodes] == ["conv2d", "reshape", "transpose", "reshape"]
    assert low.nodes[1].attrs["shape"] == (2, 3, 3, 4)
    weights, inputs = init_weights(g, 0), example_inputs(g, 0)
    (got,) = pytorch.run(low, weights, inputs)
    (conv,) = pytorch.run(graph(CONV), weights, inputs)
    expected = conv.reshape(2, 2, 3, 3, 4).transpose(0, 2, 1, 3, 4).reshape(2, 6, 3, 4)
    np.testing.assert_array_equal(got, expected)


def test_a_body_needing_a_symbolic_dim_is_a_diagnostic() -> None:
    g = graph("model m(x: f32[N, 6, H, W]) {\n  return identity(x)\n}\n")
    table = {k: v for k, v in pytorch.TABLE.items() if k != "identity"}
    with pytest.raises(DiagnosticError, match="layer identity1 \\(identity\\): its decomposition"):
        lower(g, table, "pytorch", {"identity": SHUFFLE})


def test_a_body_of_another_rank_is_a_diagnostic() -> None:
    g = graph("model m(x: f32[N, 6]) {\n  return identity(x)\n}\n")
    table = {k: v for k, v in pytorch.TABLE.items() if k != "identity"}
    with pytest.raises(DiagnosticError, match="must have the dims"):
        lower(g, table, "pytorch", {"identity": SHUFFLE})


def test_a_body_with_other_weights_is_a_diagnostic() -> None:
    g = graph("model m(x: f32[N, 6, 2, 2]) {\n  return identity(x)\n}\n")
    table = {k: v for k, v in pytorch.TABLE.items() if k != "identity"}
    body = decompose("return conv2d(x, C, kernel=1)", x=("N", "C", "H", "W"))
    with pytest.raises(DiagnosticError, match="weights"):
        lower(g, table, "pytorch", {"identity": body})


def test_a_body_of_another_shape_is_a_diagnostic() -> None:
    g = graph("model m(x: f32[N, 6, 2, 2]) {\n  return identity(x)\n}\n")
    table = {k: v for k, v in pytorch.TABLE.items() if k != "identity"}
    with pytest.raises(DiagnosticError, match="where the op gives"):
        lower(g, table, "pytorch", {"identity": decompose("return flatten(x)")})
