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


# How a weight is initialised by `papercc weights init` (random but well-scaled, so that
# `verify` compares backends on realistic values); each weight rule declares one per weight.
INITIALISERS = {
    "fan_in": "normal, std sqrt(2 / fan-in), fan-in = product of all dims but the first",
    "fan_in_transposed": "normal, std sqrt(2 / fan-in), fan-in = dim 0 times the kernel dims",
    "bias": "normal, std 0.05",
    "scale": "uniform in [0.8, 1.2] (a normalisation's scale)",
    "slope": "uniform in [0.1, 0.3] (a learned negative slope)",
    "unit_normal": "normal, std 1 (embedding vectors)",
    "running_mean": "normal, std 0.1 (non-trivial statistics, so ignoring them shows)",
    "running_var": "uniform in [0.5, 1.5]",
}


@dataclass(frozen=True)
class WeightSpec:
    """One weight tensor of a layer, in PyTorch/ONNX layout (conv OIHW, dense [out, in]),
    with its initialiser (a key of `INITIALISERS`)."""

    name: str
    shape: tuple
    trainable: bool = True
    init: str = "fan_in"

    def __post_init__(self) -> None:
        if self.init not in INITIALISERS:
            raise ValueError(f"weight {self.name}: unknown initialiser {self.init!r}")

    @property
    def numel(self) -> int | None:
        n = 1
        for d in self.shape:
            if not isinstance(d, int):
                return None
            n *= d
        return n


# The colour groups of drawn boxes (`Drawing.group`), in the renderer's palette order.
DRAWING_GROUPS = ("convolution", "pooling", "mixing", "normalisation", "merge", "plain", "expand")


@dataclass(frozen=True)
class Drawing:
    """How papers write and draw the op in a box diagram. The renderer (`papercc render`,
    and the figure benchmark's generator) reads it; the figure reader reads the forms back.

    forms: the op's label in each of the renderer's phrasings (resnet, caffe, vgg, compact,
      verbose), or one form for all. `{}` is the value of the attribute named after `|`
      ("fc {}|units"); a part in brackets is left out, and the attribute not stated, when
      it has its default value ("LRN[ {}]|size"). The first form is the op's short label.
      Convolution and pooling ops give the word only (sizes are written around it).
      No forms: papers have no common word for the op; it is drawn with its name, and the
      figure reader does not read it back.
    group: the colour group of its boxes (one of `DRAWING_GROUPS`).
    inline: drawn inside the box of the layer before it, as papers draw conv + BN + ReLU.
    symbol: a sign for the op ("+" for a sum); a style that draws merges as circles draws
      "+" ops as a circle, and draws no other layer inside a box with a symbol.
    spans: drawn wide, across the branches it joins when it joins more than two
      (Inception's "filter concat").
    undrawn: how readily papers leave the layer out of their diagrams: 0 never, 1 most
      readily (flatten), 2 next (dropout); the renderer's random styles omit up to a level.
    """

    forms: tuple[str, ...] = ()
    group: str = "plain"
    inline: bool = False
    symbol: str = ""
    spans: bool = False
    undrawn: int = 0

    def __post_init__(self) -> None:
        if self.group not in DRAWING_GROUPS:
            raise ValueError(f"unknown drawing group {self.group!r}")
        if len(self.forms) not in (0, 1, 5):
            raise ValueError("a drawing has no form, one, or one per phrasing (5)")

    def form(self, phrasing: int) -> str:
        """The form for phrasing number `phrasing` (0-4)."""
        return self.forms[phrasing if len(self.forms) > 1 else 0]


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
    drawing: Drawing = Drawing()  # how papers write and draw it (the renderer reads this)
    ids_below: str = ""  # integer inputs index rows: each id is below this attr (embedding: num)
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
