"""The emit loop every backend shares, and the layout facts backends all need.

A backend is a table `{op name: emit function}` plus a context object that collects what
the functions produce. `emit_graph` walks the graph in order and calls one function per
node; an op missing from the table is a diagnostic naming op, target and source location,
reported for every such node before anything is generated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from papercc.ir.diagnostics import Diagnostic, DiagnosticError
from papercc.ir.graph import Graph, Node
from papercc.ir.ops.rules import as_tuple, resolve_padding
from papercc.ir.values import contains_hole

EmitFn = Callable[[object, Node], None]


def unsupported(graph: Graph, table: Mapping[str, EmitFn], target: str) -> list[Diagnostic]:
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
    any op is missing or any attribute is still a hole."""
    problems = (
        holes(graph, target) + unknown_weights(graph, target) + unsupported(graph, table, target)
    )
    if problems:
        raise DiagnosticError(problems)
    for node in graph.nodes:
        table[node.op](ctx, node)


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
        raise DiagnosticError(
            [
                Diagnostic(
                    node.span,
                    "error",
                    "unsupported-op",
                    f'layer {node.name}: padding "same" with stride > 1 needs a known input size',
                )
            ]
        )
    return tuple(begins), tuple(ends)


def tuple_attr(node: Node, name: str) -> tuple[int, ...]:
    return tuple(as_tuple(node.attrs[name], spatial_rank(node), name))


def coverage_of(tables: Mapping[str, Mapping[str, EmitFn]]) -> dict[str, set[str]]:
    return {target: set(table) for target, table in tables.items()}
