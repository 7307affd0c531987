"""The DLIR syntax tree: what the parser builds, the printer prints and frontends construct.

Nodes are frozen dataclasses; spans never take part in equality, so a module parsed from
its printed form equals the original. Frontends build modules with these constructors
(spans optional) and print them; they never write DLIR text by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .span import Span

_NOWHERE = Span.unknown()


def _span() -> Span:
    return field(default=_NOWHERE, compare=False, repr=False)


# ---------------------------------------------------------------- types


@dataclass(frozen=True, slots=True)
class TensorTypeExpr:
    """`f32[N, 3, 224, 224]`; a dim is an int, a symbol (str) or None for `?`.

    `dims is None` means the rank is unknown (written `f32[]` is rank 0, not unknown)."""

    dtype: str
    dims: tuple[int | str | None, ...] | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class ScalarTypeExpr:
    """`int`, `float`, `bool`, `str` or `tensor`."""

    name: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class TupleTypeExpr:
    """`(int, int)`."""

    items: tuple[TypeExpr, ...]
    span: Span = _span()


TypeExpr = TensorTypeExpr | ScalarTypeExpr | TupleTypeExpr


# ---------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Literal:
    """An int, float, bool or str constant."""

    value: int | float | bool | str
    span: Span = _span()

    def __eq__(self, other: object) -> bool:  # 1 == 1.0 == True in Python; not here
        return (
            isinstance(other, Literal)
            and type(self.value) is type(other.value)
            and self.value == other.value
        )

    def __hash__(self) -> int:
        return hash((type(self.value), self.value))


@dataclass(frozen=True, slots=True)
class Hole:
    """`?`: a value the source did not give."""

    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Name:
    id: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class TupleExpr:
    items: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class BinOp:
    """Scalar arithmetic on block parameters: `out * 4`, `width // 2`."""

    op: str  # "+", "-", "*", "/", "//"
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Neg:
    operand: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Call:
    """`conv2d(x, 64, kernel=3) as conv1 @src(page=3)`: an op or block application."""

    callee: str
    args: tuple[Expr, ...] = ()
    kwargs: tuple[tuple[str, Expr], ...] = ()
    label: str | None = None
    src: tuple[tuple[str, Expr], ...] | None = None
    span: Span = _span()
    callee_span: Span = _span()


@dataclass(frozen=True, slots=True)
class Repeat:
    """`repeat 3 block(x, ...)`: apply the call `count` times, threading the first input.

    Instances are named `<label>.<i>` for i from `start` (0 unless `repeat N from K`)."""

    count: Expr
    call: Call
    span: Span = _span()
    start: Expr | None = None


Expr = Literal | Hole | Name | TupleExpr | BinOp | Neg | Call | Repeat


# ---------------------------------------------------------------- statements and definitions


@dataclass(frozen=True, slots=True)
class Comments:
    """Comments attached to a statement or definition, kept by the printer."""

    leading: tuple[str, ...] = ()
    trailing: str | None = None


_NO_COMMENTS = Comments()


@dataclass(frozen=True, slots=True)
class Assign:
    targets: tuple[str, ...]
    value: Expr
    comments: Comments = _NO_COMMENTS
    span: Span = _span()
    target_spans: tuple[Span, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Return:
    values: tuple[Expr, ...]
    comments: Comments = _NO_COMMENTS
    span: Span = _span()


Statement = Assign | Return


@dataclass(frozen=True, slots=True)
class Param:
    """A parameter: a tensor input (no type, `tensor`, or a tensor type) or a typed scalar."""

    name: str
    type: TypeExpr | None = None
    default: Expr | None = None
    span: Span = _span()

    @property
    def is_tensor(self) -> bool:
        return (
            self.type is None
            or isinstance(self.type, TensorTypeExpr)
            or (isinstance(self.type, ScalarTypeExpr) and self.type.name == "tensor")
        )


@dataclass(frozen=True, slots=True)
class Definition:
    """A `block` (reusable, parameterised) or a `model` (a concrete network)."""

    kind: str  # "block" | "model"
    name: str
    params: tuple[Param, ...]
    returns: tuple[TensorTypeExpr, ...] | None
    body: tuple[Statement, ...]
    comments: Comments = _NO_COMMENTS
    end_comments: tuple[str, ...] = ()  # comments between the last statement and `}`
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True, slots=True)
class Module:
    definitions: tuple[Definition, ...]
    end_comments: tuple[str, ...] = ()
    filename: str = field(default="<string>", compare=False)

    def get(self, name: str) -> Definition | None:
        for d in self.definitions:
            if d.name == name:
                return d
        return None

    @property
    def models(self) -> tuple[Definition, ...]:
        return tuple(d for d in self.definitions if d.kind == "model")

    @property
    def blocks(self) -> tuple[Definition, ...]:
        return tuple(d for d in self.definitions if d.kind == "block")
