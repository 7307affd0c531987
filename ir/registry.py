"""The op registry: every op declared once, read by the checker, shape inference, the spec
generator, backends (coverage) and the hypothesis strategies.

An `OpDef` says: tensor inputs, typed attributes with defaults, how many attributes may be
written positionally, the shape rule, the weight rule (trainable parameters are derived from
it), the number of outputs, a one-line doc and an example; its conformance cases (`Case`:
small models every target runs against PyTorch) and, optionally, its meaning as a DLIR body
over other ops (`Decomposition`), which a target without a native emitter emits instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType

from .types import TensorType
from .values import HOLE


class ShapeError(Exception):
    """A shape rule found a contradiction; the message names both sides."""


class _Required:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<required>"


REQUIRED = _Required()


class SameAs:
    """A default that copies another attribute (pooling stride defaults to the kernel)."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


def same_as(name: str) -> SameAs:
    return SameAs(name)


# Attribute kinds and what each accepts (after evaluation; HOLE is always accepted).
ATTR_KINDS = {
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "str": "a string",
    "ints": "an integer or a tuple of integers",
    "padding": 'an integer, a tuple of integers, "same" or "valid"',
    "int_or_ints": "an integer or a tuple of integers",
}


@dataclass(frozen=True)
class Attr:
    name: str
    kind: str
    default: object = REQUIRED
    doc: str = ""
    choices: tuple[str, ...] | None = None
    min: float | None = None  # inclusive lower bound for numbers (and each tuple item)

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True)
class WeightSpec:
    """One weight tensor of a layer, in PyTorch/ONNX layout (conv OIHW, dense [out, in])."""

    name: str
    shape: tuple
    trainable: bool = True

    @property
    def numel(self) -> int | None:
        n = 1
        for d in self.shape:
            if not isinstance(d, int):
                return None
            n *= d
        return n


@dataclass(frozen=True)
class Case:
    """One conformance case of an op: a small model around it that every target runs in
    its real runtime, compared with PyTorch on the same weights and input (as ONNX's
    backend node tests). Declared beside the op, with the trap it guards in `why`.

    `inputs` is a DLIR parameter list (`"x: f32[N, 4, 10, 11]"`); `body` is DLIR
    statements ending in `return ...`, or one expression (returned). Symbolic dims get
    small sizes when run (batch 2, others 5). A case may use other ops; it belongs to
    the op whose behaviour it pins down. Names are unique per op and valid DLIR names."""

    name: str
    inputs: str
    body: str
    why: str = ""

    def model(self, name: str = "m") -> str:
        """The case as a DLIR module of one model."""
        body = self.body.strip()
        if not re.search(r"\breturn\b", body):
            body = f"return {body}"
        lines = "\n".join("  " + line.strip() for line in body.splitlines())
        return f"model {name}({self.inputs}) {{\n{lines}\n}}\n"


@dataclass(frozen=True)
class Decomposition:
    """An op's meaning as a small DLIR body over other ops (as an ONNX function op).

    A target with no native emitter for the op emits the body instead: the shared emit
    loop (`backends.emit.lower`) replaces each such layer by the layers of its body, so
    every target gets the op for free, and a native emitter is only added where speed or
    readability needs it. The body is elaborated like a model whose parameters are:

    - the op's tensor inputs, by their names in `OpDef.inputs`, typed as at the layer;
    - every attribute, by its name, with the layer's (normalised) value;
    - the dims named in `dims`, bound from the input types: `dims=(("x", ("N", "C", "H",
      "W")),)` binds C, H and W to the sizes of x's dims 1..3 (an input of another rank
      is a diagnostic). Only concrete sizes are bound: a body that uses a symbolic dim
      (the batch N, a sequence length T) fails with a diagnostic naming the layer.

    For example `hardswish` is `return mul(x, hardsigmoid(x))`, and a channel shuffle
    `y = reshape(x, (groups, C // groups, H, W))`, `y = transpose(y, (0, 2, 1, 3, 4))`,
    `return reshape(y, (C, H, W))` with `dims=(("x", ("N", "C", "H", "W")),)`.

    Names: the body's layers are named as in any model (labels, or prefix + number) under
    the layer's own name: `hardswish1` becomes `hardswish1.mul1`, `hardswish1.hardsigmoid1`
    (stable, hierarchical, the same in every target). Weights: the expanded layers'
    weight keys and shapes must equal the op's own (`<layer>.<weight>`), so one weights
    file serves the op and its expansion; an op with weights therefore names them after
    the labelled inner layers (`WeightSpec("proj.weight", ...)` with `... as proj`), and
    the emit loop reports an expansion whose weights differ. Bodies may use ops that are
    themselves decomposed (expanded again where the target lacks them), never themselves.
    """

    body: str
    dims: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def ops(self) -> frozenset[str]:
        """The ops the body calls (what a target must cover to emit it)."""
        from .parser import parse
        from .syntax import Assign, Call, Repeat, Return

        names: set[str] = set()

        def walk(e) -> None:
            if isinstance(e, Repeat):
                walk(e.call)
            elif isinstance(e, Call):
                names.add(e.callee)
                for a in (*e.args, *(v for _, v in e.kwargs)):
                    walk(a)

        (d,) = parse(f"model m() {{\n{self.body}\n}}\n", "<decomposition>").definitions
        for st in d.body:
            for e in st.values if isinstance(st, Return) else (st.value,):
                walk(e)
        assert all(isinstance(st, Assign | Return) for st in d.body)
        return frozenset(names)


def decompose(body: str, **dims: tuple[str, ...]) -> Decomposition:
    """`decompose("return mul(x, sigmoid(x))")`; dims by input: `x=("N", "C", "H", "W")`."""
    return Decomposition(body, tuple(dims.items()))


InferFn = Callable[[list[TensorType], dict], list[TensorType]]
WeightsFn = Callable[[list[TensorType], dict], list[WeightSpec]]


def _no_weights(inputs, attrs):
    return []


@dataclass(frozen=True)
class OpDef:
    """One op, declared once; every pass reads it.

    `cases` are its conformance suite (see `Case`): tests/backends run every case in every
    target's real runtime against PyTorch, batched into one model per op and target.

    `decomposition` (see `Decomposition`) is its meaning as a DLIR body over other ops. A
    target covers an op natively (its emit table has the op) or through the decomposition
    (every op of the body covered, recursively); `backends.emit.lower` expands the layers
    of ops a target lacks before the target's emit functions run, so adding an op costs
    one declaration, and native emitters only where speed or readability needs them.
    """

    name: str
    category: str
    doc: str
    inputs: tuple[str, ...]
    attrs: tuple[Attr, ...]
    infer: InferFn
    example: str
    weights: WeightsFn = _no_weights
    variadic: bool = False  # the last input repeats (add, mul, concat): at least len(inputs)
    optional_inputs: int = 0  # how many trailing inputs may be omitted
    positional: int = 0  # how many leading attrs the canonical form writes positionally
    outputs: Callable[[dict], int | None] | int = 1
    prefix: str = ""  # auto layer-name prefix ("conv" -> conv1, conv2, ...)
    spatial_rank: int | None = None  # tuple attrs of "ints" kind broadcast to this length
    notes: tuple[str, ...] = field(default=())
    cases: tuple[Case, ...] = ()  # the conformance suite: every target runs every case
    decomposition: Decomposition | None = None  # the meaning as a body over other ops

    @property
    def attr_map(self) -> dict[str, Attr]:
        return {a.name: a for a in self.attrs}

    def num_outputs(self, attrs: dict) -> int | None:
        return self.outputs(attrs) if callable(self.outputs) else self.outputs

    def layer_prefix(self) -> str:
        return self.prefix or self.name


def param_count(specs: list[WeightSpec]) -> int | None:
    """Trainable parameters of a layer; None when a weight's shape is not known."""
    total = 0
    for s in specs:
        if not s.trainable:
            continue
        n = s.numel
        if n is None:
            return None
        total += n
    return total


def _build() -> MappingProxyType:
    from .ops import ALL_OPS

    table = {}
    for op in ALL_OPS:
        if op.name in table:
            raise RuntimeError(f"op {op.name!r} declared twice")
        table[op.name] = op
    return MappingProxyType(dict(sorted(table.items())))


OPS: MappingProxyType = _build()

__all__ = [
    "OPS",
    "HOLE",
    "OpDef",
    "Attr",
    "Case",
    "Decomposition",
    "decompose",
    "WeightSpec",
    "ShapeError",
    "REQUIRED",
    "same_as",
    "param_count",
]
