"""The TensorFlow backend's emit context: variables, call lines and a layout tag per value.

DLIR is NCHW ("channels first"); TF's CPU convolutions and pools want NHWC ("channels
last"). Every value of rank >= 3 carries the layout its generated tensor is in; an emit
function asks for the layout it needs with `ctx.get(value, layout)`, which inserts (and
remembers) a transpose only when the value is in the other one. Rank-2 and smaller values
are always "cf" (there is no channel axis to move).
"""

from __future__ import annotations

from papercc.backends.codegen import Names, comment, py_ident
from papercc.backends.codegen import py_literal as lit
from papercc.ir.diagnostics import Diagnostic, DiagnosticError
from papercc.ir.graph import Graph, Node, Value
from papercc.ir.span import Span

CF, CL = "cf", "cl"  # channels first (DLIR's meaning), channels last (NHWC)

# attributes of tf.Module a weight attribute must never shadow
_MODULE_ATTRS = {
    "name",
    "name_scope",
    "variables",
    "trainable_variables",
    "non_trainable_variables",
    "submodules",
    "with_name_scope",
    "WEIGHT_KEYS",
}


def rank_of(value: Value, where: Span | None = None) -> int:
    """The value's rank; a diagnostic (at the layer that makes it, or `where`) if unknown."""
    shape = value.type.shape
    if shape is None:
        span = value.producer.span if value.producer is not None else where or Span.unknown()
        raise DiagnosticError(
            [
                Diagnostic(
                    span,
                    "error",
                    "unsupported-op",
                    f"value {value.name} has no known rank; the tensorflow backend needs one",
                )
            ]
        )
    return len(shape)


def to_last(rank: int) -> tuple[int, ...]:
    return (0, *range(2, rank), 1)


def to_first(rank: int) -> tuple[int, ...]:
    return (0, rank - 1, *range(1, rank - 1))


def axis_in(layout: str, axis: int, rank: int) -> int:
    """Where DLIR's `axis` lives in a tensor of the given layout."""
    axis %= rank
    if layout == CF or rank < 3:
        return axis
    return 0 if axis == 0 else (rank - 1 if axis == 1 else axis - 1)


def spatial_axes(layout: str, rank: int) -> tuple[int, ...]:
    return tuple(axis_in(layout, a, rank) for a in range(2, rank))


class TfContext:
    """What the emit functions write into: variables (in `__init__`), call lines, helpers."""

    def __init__(self, graph: Graph, reserved: set[str] | None = None):
        self.graph = graph
        self.vars = Names(reserved={"x", "tensors", "model", "path", *(reserved or ())})
        self.attrs = Names(reserved=_MODULE_ATTRS)
        self.init: list[str] = []
        self.call: list[str] = []
        # DLIR weight key -> (attribute, reshape before transposing or None, perm or None)
        self.weight_keys: dict[str, tuple] = {}
        self.helpers: set[str] = set()
        self._names: dict[tuple[int, str], str] = {}
        self._layout: dict[int, str] = {}
        self._rank: dict[int, int] = {}
        for v in graph.inputs:
            self._bind(v, self.fresh(v.name), CF)

    # ------------------------------------------------------------------ values and layouts

    def fresh(self, raw: str) -> str:
        """A new identifier for every call (`Names` alone gives one name per raw string)."""
        candidate, i = raw, 1
        while candidate in self.vars.memo:
            i += 1
            candidate = f"{raw}_{i}"
        return self.vars(candidate)

    def _bind(self, value: Value, name: str, layout: str) -> None:
        rank = rank_of(value, self.graph.span)
        self._rank[id(value)] = rank
        self._layout[id(value)] = layout if rank >= 3 else CF
        self._names[(id(value), self._layout[id(value)])] = name

    def layout(self, value: Value) -> str:
        return self._layout[id(value)]

    def get(self, value: Value, layout: str | None = None) -> str:
        """The variable holding `value` in `layout` (its current one if None)."""
        have = self._layout[id(value)]
        rank = self._rank[id(value)]
        if layout is None or rank < 3:
            layout = have
        key = (id(value), layout)
        if key not in self._names:
            src = self._names[(id(value), have)]
            perm = to_last(rank) if layout == CL else to_first(rank)
            name = self.fresh(f"{value.name}_{layout}")
            self.call.append(f"{name} = tf.transpose({src}, {lit(perm)})")
            self._names[key] = name
        return self._names[key]

    def common_layout(self, values) -> str:
        """One layout for several inputs of an elementwise op or concat: the layout most of
        them are already in (channels last on a tie, the layout convolutions want)."""
        layouts = [self.layout(v) for v in values]
        return CF if layouts.count(CF) > layouts.count(CL) else CL

    def out(self, node: Node, expr: str, layout: str = CF) -> None:
        names = [self.fresh(v.name) for v in node.outputs]
        self.call.append(f"{', '.join(names)} = {expr}")
        for v, name in zip(node.outputs, names, strict=True):
            self._bind(v, name, layout)

    def alias(self, node: Node, value: Value) -> None:
        """The node's single output is `value` itself (identity, dropout at inference)."""
        out = node.outputs[0]
        self._rank[id(out)] = self._rank[id(value)]
        self._layout[id(out)] = self._layout[id(value)]
        for (vid, layout), name in list(self._names.items()):
            if vid == id(value):
                self._names[(id(out), layout)] = name

    def tmp(self, raw: str, expr: str) -> str:
        name = self.fresh(raw)
        self.call.append(f"{name} = {expr}")
        return name

    def line(self, text: str) -> None:
        self.call.append(text)

    def note(self, node: Node) -> None:
        """A comment naming the layer and its provenance (untrusted text, one safe line)."""
        where = ""
        if node.src:
            where = " @src(" + ", ".join(f"{k}={v!r}" for k, v in node.src.items()) + ")"
        self.call.append(comment(f"{node.name}: {node.op}{where}"))

    # ------------------------------------------------------------------ weights

    def weight(
        self,
        node: Node,
        name: str,
        shape: tuple[int, ...],
        *,
        trainable: bool = True,
        reshape: tuple[int, ...] | None = None,
        perm: tuple[int, ...] | None = None,
    ) -> str:
        """A tf.Variable for DLIR weight `<layer>.<name>`, stored in TF layout `shape`."""
        raw = py_ident(f"{node.name}_{name}")
        # a leading "__" would be name-mangled inside the class body; load_weights uses getattr
        attr = self.attrs(raw if not raw.startswith("_") else "w" + raw)
        self.init.append(
            f"self.{attr} = tf.Variable(tf.zeros({lit(tuple(shape))}), "
            f"trainable={lit(trainable)}, name={lit(attr)})"
        )
        self.weight_keys[f"{node.name}.{name}"] = (attr, reshape, perm)
        return f"self.{attr}"

    def has_weight(self, node: Node, name: str) -> bool:
        return any(spec.name == name for spec in node.weights)

    def spec_shape(self, node: Node, name: str) -> tuple[int, ...]:
        for spec in node.weights:
            if spec.name == name:
                return tuple(spec.shape)
        raise KeyError(name)
