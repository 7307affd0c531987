"""The conformance suite: every case of every op (`OpDef.cases`, declared beside the op in
ir/ops/) runs in every target's real runtime and is compared with PyTorch on the same
weights and input, as ONNX's backend node tests.

Batching: per-model start-up (generate, import, build, trace) costs more than a small case,
so all cases of one op run as ONE generated model per target: each case becomes a block
instance labelled with the case's name, its inputs model inputs `<case>__<param>`, its
outputs model outputs; weights and inputs are drawn once for the op, the PyTorch reference
is run once per op and process and sliced for each target. A batch that fails is re-run
case by case, so a failure names its cases. Each case is judged alone (verify's tolerance,
relative to that case's largest reference value), as the per-backend trap tests did.

`BY_DESIGN` is the one place that says which cases a target cannot run by design, and
why; those cases are left out of its batch and must fail with a diagnostic instead (a
test checks that), so an entry cannot hide a case that would run.

The reference is the pytorch target (PyTorch's own modules and functions); for the pytorch
target itself the suite checks the output shapes against DLIR's inference, and for ops with
a decomposition every target also runs the expansion against the native reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

import papercc
from papercc.backends.emit import lower
from papercc.backends.runtime import example_inputs
from papercc.backends.targets import target_module
from papercc.backends.verify import REL_TOLERANCE, compare, expected_shapes_ok
from papercc.backends.weights import init_weights
from papercc.ir.diagnostics import DiagnosticError
from papercc.ir.graph import Graph
from papercc.ir.printer import print_type
from papercc.ir.registry import OPS, Case

TARGETS = ("pytorch", "keras", "tensorflow", "caffe", "onnx")

# (target, op, case) -> why the target cannot run the case. Each must fail with a diagnostic.
BY_DESIGN: dict[tuple[str, str, str], str] = {}


def excluded(target: str, op: str) -> set[str]:
    return {case for (t, o, case) in BY_DESIGN if t == target and o == op}


@cache
def _case_graph(op: str, case: str) -> Graph:
    (c,) = [c for c in OPS[op].cases if c.name == case]
    (graph,) = papercc.check(c.model()).graphs.values()
    return graph


def module_text(op: str, cases: list[Case]) -> str:
    """One model running the given cases of op side by side."""
    blocks, params, calls = [], [], []
    for c in cases:
        blocks.append(c.model(f"case_{c.name}").replace("model ", "block ", 1))
        (d,) = papercc.parse(c.model()).definitions
        args = []
        for p in d.params:
            params.append(f"{c.name}__{p.name}: {print_type(p.type)}")
            args.append(f"{c.name}__{p.name}")
        calls.append(f"case_{c.name}({', '.join(args)}) as {c.name}")
    body = ",\n    ".join(calls)
    model = f"model {op}_cases({', '.join(params)}) {{\n  return {body}\n}}\n"
    return "\n".join(blocks) + "\n" + model


@dataclass
class Batch:
    """Some cases of one op as one graph, with weights, inputs and PyTorch's outputs."""

    op: str
    cases: list[Case]
    graph: Graph
    weights: dict[str, np.ndarray]
    inputs: list[np.ndarray]
    reference: list[np.ndarray]
    spans: dict[str, slice]  # case -> its outputs

    def subset(self, names: set[str] | list[str]) -> Batch:
        """The batch of the named cases only: same layer names, weights, inputs, reference."""
        keep = [c for c in self.cases if c.name in set(names)]
        (graph,) = papercc.check(module_text(self.op, keep)).graphs.values()
        given = dict(zip((v.name for v in self.graph.inputs), self.inputs, strict=True))
        keys = {f"{n.name}.{w.name}" for n in graph.nodes for w in n.weights}
        reference, spans, at = [], {}, 0
        for c in keep:
            part = self.reference[self.spans[c.name]]
            spans[c.name] = slice(at, at + len(part))
            reference += part
            at += len(part)
        return Batch(
            self.op,
            keep,
            graph,
            {k: v for k, v in self.weights.items() if k in keys},
            [given[v.name] for v in graph.inputs],
            reference,
            spans,
        )


@cache
def suite(op: str) -> Batch:
    """Every case of op, with the PyTorch reference (computed once per process)."""
    cases = list(OPS[op].cases)
    (graph,) = papercc.check(module_text(op, cases)).graphs.values()
    weights, inputs = init_weights(graph, 0), example_inputs(graph, 0)
    reference = target_module("pytorch").run(graph, weights, inputs)
    spans, at = {}, 0
    for c in cases:
        n = len(_case_graph(op, c.name).outputs)
        spans[c.name] = slice(at, at + n)
        at += n
    assert at == len(graph.outputs) == len(reference)
    return Batch(op, cases, graph, weights, inputs, reference, spans)


def batch(target: str, op: str) -> Batch:
    """The cases of op that target runs."""
    full = suite(op)
    skip = excluded(target, op)
    return full if not skip else full.subset([c.name for c in full.cases if c.name not in skip])


def _judge(b: Batch, got: list[np.ndarray], what: str) -> list[str]:
    problems = []
    for c in b.cases:
        ref, out = b.reference[b.spans[c.name]], got[b.spans[c.name]]
        max_abs, max_rel, same_shape = compare(ref, out)
        if not same_shape:
            shapes = [o.shape for o in out], [r.shape for r in ref]
            problems.append(f"{what} {b.op}/{c.name}: shapes {shapes[0]} != PyTorch's {shapes[1]}")
        elif not (max_rel <= REL_TOLERANCE or max_abs <= 1e-6):
            problems.append(
                f"{what} {b.op}/{c.name}: max abs {max_abs:g}, rel {max_rel:g} ({c.why})"
            )
    return problems


def _run(target: str, b: Batch, graph: Graph | None = None) -> list[np.ndarray]:
    return target_module(target).run(graph or b.graph, b.weights, b.inputs)


def _attribute(target: str, b: Batch, graph_of, what: str) -> list[str]:
    """Re-run a failed batch case by case: which cases fail, and how."""
    problems = []
    for c in b.cases:
        one = b.subset([c.name])
        try:
            got = _run(target, one, graph_of(one))
        except Exception as exc:  # noqa: BLE001 - a failing case is a result to report
            problems.append(f"{what} {b.op}/{c.name}: {type(exc).__name__}: {exc}".strip())
            continue
        problems += _judge(one, got, what)
    return problems


def check(target: str, op: str) -> None:
    """Run op's cases in target (natively, then through the decomposition if the op has
    one) and fail with every case that disagrees with PyTorch."""
    b = batch(target, op)
    problems = []
    if target == "pytorch":
        problems += [
            f"pytorch {op}/{c.name}: output shapes differ from DLIR's inference"
            for c in b.cases
            if not expected_shapes_ok(_case_graph(op, c.name), b.reference[b.spans[c.name]])
        ]
    else:
        problems += _checked_run(target, b, lambda one: one.graph, target)
    if OPS[op].decomposition is not None:
        table = {k: v for k, v in target_module(target).TABLE.items() if k != op}

        def expanded(one: Batch) -> Graph:
            return lower(one.graph, table, target)

        problems += _checked_run(target, b, expanded, f"{target} (decomposed)")
    assert not problems, "\n".join(problems)


def _checked_run(target: str, b: Batch, graph_of, what: str) -> list[str]:
    try:
        got = _run(target, b, graph_of(b))
    except Exception:  # noqa: BLE001 - attribute the failure to cases below
        return _attribute(target, b, graph_of, what) or [f"{what} {b.op}: the batch fails"]
    return _judge(b, got, what)


def check_by_design(target: str, op: str, case: str) -> None:
    """A case declared impossible for a target fails there with a diagnostic."""
    one = suite(op).subset([case])
    try:
        _run(target, one)
    except DiagnosticError:
        return
    raise AssertionError(
        f"{target} runs {op}/{case}, declared impossible ({BY_DESIGN[(target, op, case)]}): "
        "remove it from BY_DESIGN"
    )


def params(target: str) -> list:
    """pytest parameters: one per op (ids are op names)."""
    import pytest

    return [pytest.param(op, id=op) for op in OPS]
