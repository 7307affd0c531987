"""The emit loop every backend shares, and the layout facts backends all need.

A backend is a table `{op name: emit function}` plus a context object that collects what
the functions produce. A target's `generate` first calls `lower(graph, TABLE, TARGET)`,
builds its context from the graph that returns, then calls `emit_graph`, which walks the
graph in order and calls one function per node.

`lower` reports, before anything is generated, every layer with a hole, a weight of unknown
shape, or an op the target covers neither natively nor by decomposition (a diagnostic
naming op, target and source location). Then it replaces each layer whose op the table
lacks by the layers of the op's decomposition (`OpDef.decomposition`, a DLIR body over
other ops, elaborated on the layer's input types and attributes, expanded again where the
target lacks an op of the body), named `<layer>.<inner layer>`, with the layer's span and
provenance, and the same weight keys. A graph without such layers is returned as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache

from papercc.ir.check import check_module
from papercc.ir.diagnostics import Diagnostic, DiagnosticError
from papercc.ir.graph import Graph, Node, Value
from papercc.ir.ops.rules import as_tuple, resolve_padding
from papercc.ir.parser import parse
from papercc.ir.registry import OPS, Decomposition
from papercc.ir.syntax import (
    Definition,
    Literal,
    Module,
    Param,
    ScalarTypeExpr,
    TensorTypeExpr,
    TupleExpr,
    TupleTypeExpr,
)
from papercc.ir.types import dims_agree
from papercc.ir.values import contains_hole

EmitFn = Callable[[object, Node], None]
Decompositions = Mapping[str, Decomposition]


def registry_decompositions() -> dict[str, Decomposition]:
    return {name: op.decomposition for name, op in OPS.items() if op.decomposition is not None}


@cache
def _body_ops(decomposition: Decomposition) -> frozenset[str]:
    return decomposition.ops()


def covered(table: Mapping[str, EmitFn], decompositions: Decompositions | None = None) -> set[str]:
    """The ops a target can emit: its table's, and every op with a decomposition whose ops
    it covers (recursively)."""
    decomps = registry_decompositions() if decompositions is None else decompositions
    done = set(table)
    grew = True
    while grew:
        grew = False
        for name, d in decomps.items():
            if name not in done and _body_ops(d) <= done:
                done.add(name)
                grew = True
    return done


def cannot_emit(node: Node, message: str) -> DiagnosticError:
    """The error a target raises for a layer it cannot express: at the layer, code
    `unsupported-op`, with the target's own message."""
    return DiagnosticError([Diagnostic(node.span, "error", "unsupported-op", message)])


def unsupported(graph: Graph, table: Mapping[str, EmitFn] | set, target: str) -> list[Diagnostic]:
    return [
        Diagnostic(
            node.span,
            "error",
            "unsupported-op",
            f"the {target} backend cannot express op '{node.op}' (layer {node.name})",
        )
        for node in graph.nodes
        if node.op not in table
    ]


def holes(graph: Graph, target: str) -> list[Diagnostic]:
    return [
        Diagnostic(
            node.span,
            "error",
            "hole",
            f"layer {node.name} ({node.op}) still has a `?` hole; {target} code needs every value",
        )
        for node in graph.nodes
        if any(contains_hole(v) for v in node.attrs.values())
    ]


def unknown_weights(graph: Graph, target: str) -> list[Diagnostic]:
    return [
        Diagnostic(
            node.span,
            "error",
            "hole",
            f"layer {node.name} ({node.op}) has weights of unknown shape "
            f"({', '.join(f'{w.name}{list(w.shape)}' for w in node.weights if w.numel is None)}); "
            f"{target} code needs the input's sizes",
        )
        for node in graph.nodes
        if any(w.numel is None for w in node.weights)
    ]


def emit_graph(graph: Graph, table: Mapping[str, EmitFn], ctx: object, target: str) -> None:
    """Call the table's function for each node, in order. Raises DiagnosticError first if
    any op is missing or any attribute is still a hole (a graph from `lower` has none)."""
    problems = (
        holes(graph, target) + unknown_weights(graph, target) + unsupported(graph, table, target)
    )
    if problems:
        raise DiagnosticError(problems)
    for node in graph.nodes:
        table[node.op](ctx, node)


def lower(
    graph: Graph,
    table: Mapping[str, EmitFn],
    target: str,
    decompositions: Decompositions | None = None,
) -> Graph:
    """The graph a target emits: layers of ops it lacks replaced by their decompositions
    (see the module doc). Raises DiagnosticError for holes, unknown weight shapes and ops
    the target does not cover. `decompositions` defaults to the registry's."""
    decomps = registry_decompositions() if decompositions is None else decompositions
    problems = (
        holes(graph, target)
        + unknown_weights(graph, target)
        + unsupported(graph, covered(table, decomps), target)
    )
    if problems:
        raise DiagnosticError(problems)
    if all(node.op in table for node in graph.nodes):
        return graph
    values: dict[int, Value] = {id(v): v for v in graph.inputs}
    nodes: list[Node] = []
    for node in graph.nodes:
        inputs = tuple(values[id(v)] for v in node.inputs)
        if node.op in table:
            outs = _copy(node, node.name, inputs, nodes)
        else:
            outs = _expand(node, inputs, table, decomps, target, nodes)
        for old, new in zip(node.outputs, outs, strict=True):
            values[id(old)] = new
    outputs = [values[id(v)] for v in graph.outputs]
    return Graph(graph.name, list(graph.inputs), outputs, nodes, graph.span)


def _copy(node: Node, name: str, inputs: tuple[Value, ...], into: list[Node]) -> tuple[Value, ...]:
    new = Node(
        name, node.op, inputs, node.attrs, (), node.span, node.src, node.weights, node.params
    )
    new.outputs = tuple(
        Value(name if len(node.outputs) == 1 else f"{name}:{v.index}", v.type, new, v.index)
        for v in node.outputs
    )
    into.append(new)
    return new.outputs


def _type_expr(value):
    if isinstance(value, tuple):
        return TupleTypeExpr(tuple(_type_expr(v) for v in value))
    kind = {bool: "bool", int: "int", float: "float", str: "str"}[type(value)]
    return ScalarTypeExpr(kind)


def _literal(value):
    if isinstance(value, tuple):
        return TupleExpr(tuple(_literal(v) for v in value))
    return Literal(value)


def _body_graph(node: Node, d: Decomposition) -> Graph:
    """The decomposition elaborated as a model on the layer's input types and attributes."""
    op = node.opdef
    if len(node.inputs) > len(op.inputs):
        raise _misfit(node, "a variadic op's decomposition takes its declared inputs only")
    params = [
        Param(name, TensorTypeExpr(v.type.dtype, v.type.shape))
        for name, v in zip(op.inputs, node.inputs, strict=False)
    ]
    params += [Param(k, _type_expr(v), _literal(v)) for k, v in node.attrs.items()]
    for input_name, names in d.dims:
        where = op.inputs.index(input_name)
        shape = node.inputs[where].type.shape if where < len(node.inputs) else None
        if shape is None or len(shape) != len(names):
            raise _misfit(node, f"input {input_name} must have the dims ({', '.join(names)})")
        params += [
            Param(n, ScalarTypeExpr("int"), Literal(size))
            for n, size in zip(names, shape, strict=True)
            if isinstance(size, int)
        ]
    (body,) = parse(f"model m() {{\n{d.body}\n}}\n", f"<decomposition of {op.name}>").definitions
    module = Module((Definition("model", "decomposition", tuple(params), None, body.body),))
    result = check_module(module)
    if not result.ok:
        errors = [x.message for x in result.diagnostics if x.severity == "error"]
        raise _misfit(node, "; ".join(errors))
    return result.graphs["decomposition"]


def _expand(node, inputs, table, decomps, target, into: list[Node]) -> tuple[Value, ...]:
    """Append the layers of node's decomposition to `into`; return its output values."""
    inner = _body_graph(node, decomps[node.op])
    values: dict[int, Value] = {id(v): x for v, x in zip(inner.inputs, inputs, strict=True)}
    keys = {}
    for n in inner.nodes:
        args = tuple(values[id(v)] for v in n.inputs)
        name = f"{node.name}.{n.name}"
        # the layer under its full name, at the decomposed layer's span and provenance
        layer = Node(name, n.op, args, n.attrs, n.outputs, node.span, node.src, n.weights, n.params)
        keys.update({f"{name}.{w.name}": tuple(w.shape) for w in n.weights})
        if n.op in table:
            outs = _copy(layer, name, args, into)
        else:
            outs = _expand(layer, args, table, decomps, target, into)
        for old, new in zip(n.outputs, outs, strict=True):
            values[id(old)] = new
    own = {f"{node.name}.{w.name}": tuple(w.shape) for w in node.weights}
    if keys != own:
        raise _misfit(node, f"its layers' weights {sorted(keys)} are not the op's {sorted(own)}")
    outs = tuple(values[id(v)] for v in inner.outputs)
    if len(outs) != len(node.outputs) or not all(
        _same_type(o.type, v.type) for o, v in zip(outs, node.outputs, strict=False)
    ):
        got = ", ".join(str(o.type) for o in outs)
        want = ", ".join(str(v.type) for v in node.outputs)
        raise _misfit(node, f"it gives {got} where the op gives {want}")
    return outs


def _same_type(a, b) -> bool:
    if a.dtype != b.dtype or a.rank != b.rank:
        return False
    return all(dims_agree(x, y) for x, y in zip(a.shape or (), b.shape or (), strict=True))


def _misfit(node: Node, why: str) -> DiagnosticError:
    return cannot_emit(
        node, f"layer {node.name} ({node.op}): its decomposition does not apply: {why}"
    )


def spatial_rank(node: Node) -> int:
    shape = node.inputs[0].type.shape
    return len(shape) - 2


def explicit_pads(node: Node) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(begins, ends) per spatial dim of a conv/pool, "same" resolved from the input shape.

    Raises DiagnosticError when "same" padding needs an input size that is not known."""
    rank = spatial_rank(node)
    a = node.attrs
    sizes = node.inputs[0].type.shape[2:]
    kernel = as_tuple(a["kernel"], rank, "kernel")
    stride = as_tuple(a.get("stride", 1), rank, "stride")
    dilation = as_tuple(a.get("dilation", 1), rank, "dilation")
    begins, ends = resolve_padding(a.get("padding", 0), rank, sizes, kernel, stride, dilation)
    if any(b is None for b in begins + ends):
        raise cannot_emit(
            node, f'layer {node.name}: padding "same" with stride > 1 needs a known input size'
        )
    return tuple(begins), tuple(ends)


def tuple_attr(node: Node, name: str) -> tuple[int, ...]:
    return tuple(as_tuple(node.attrs[name], spatial_rank(node), name))


def coverage_of(tables: Mapping[str, Mapping[str, EmitFn]]) -> dict[str, set[str]]:
    return {target: set(table) for target, table in tables.items()}
