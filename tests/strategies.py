"""Hypothesis strategies built from the op registry: random well-typed DLIR modules.

Nothing here names an op's semantics: attributes are drawn from their declared kinds, and
an op is kept only when its own shape rule accepts the drawn attributes. Backends and the
checker are tested against the same registry the generator reads.
"""

from __future__ import annotations

from hypothesis import strategies as st

from papercc.ir.registry import OPS, REQUIRED, Attr, OpDef, SameAs, ShapeError
from papercc.ir.syntax import (
    Assign,
    Call,
    Definition,
    Literal,
    Module,
    Name,
    Param,
    Return,
    TensorTypeExpr,
    TupleExpr,
)
from papercc.ir.types import TensorType

# Ops whose inputs are not float feature maps of the chain (ids, queries) are left to
# dedicated tests; everything else is fair game.
SKIP = {"embedding"}


def attr_strategy(attr: Attr, rank: int) -> st.SearchStrategy:
    lo = int(attr.min) if attr.min is not None else 1
    if attr.kind == "int":
        return st.integers(lo, max(lo, 8) if attr.name not in ("out", "units", "hidden") else 12)
    if attr.kind == "float":
        return st.floats(attr.min or 0.0, 0.9, allow_nan=False).map(lambda v: round(v, 3))
    if attr.kind == "bool":
        return st.booleans()
    if attr.kind == "str":
        return (
            st.sampled_from(attr.choices)
            if attr.choices
            else st.text("abc", min_size=1, max_size=3)
        )
    per_dim = st.integers(lo, max(lo, 3))
    tuples = st.tuples(*([per_dim] * rank)) if rank > 0 else per_dim
    if attr.kind == "padding":
        return st.one_of(st.integers(0, 1), st.sampled_from(attr.choices or ("valid",)), tuples)
    return st.one_of(per_dim, tuples)


def to_expr(value):
    if isinstance(value, tuple):
        return TupleExpr(tuple(to_expr(v) for v in value))
    return Literal(value)


def _single_element_groups(op: str, x: TensorType, attrs: dict) -> bool:
    shape = x.shape or ()
    if op == "layernorm":
        return shape[-1] == 1
    per_group = (shape[1] // attrs["groups"]) if isinstance(attrs["groups"], int) else 0
    spatial = 1
    for d in shape[2:]:
        spatial *= d if isinstance(d, int) else 1
    return per_group * spatial == 1


@st.composite
def op_application(draw, x: TensorType, ops: list[OpDef]):
    """One op that accepts x, with attributes its shape rule accepts (None if none found)."""
    for _ in range(12):
        op = draw(st.sampled_from(ops))
        rank = op.spatial_rank or max((x.rank or 2) - 2, 1)
        attrs, given = {}, {}
        for a in op.attrs:
            explicit = a.default is REQUIRED or draw(st.booleans())
            if explicit:
                attrs[a.name] = given[a.name] = draw(attr_strategy(a, rank))
            else:
                attrs[a.name] = a.default
        for a in op.attrs:
            if isinstance(attrs[a.name], SameAs):
                attrs[a.name] = attrs[attrs[a.name].name]
        from papercc.ir.check import attr_problem

        if any(attr_problem(a, attrs[a.name]) for a in op.attrs):
            continue
        n_inputs = len(op.inputs)
        try:
            outs = op.infer([x] * n_inputs, attrs)
            op.weights([x] * n_inputs, attrs)
        except (ShapeError, TypeError, ValueError, ZeroDivisionError):
            continue
        if op.name in ("groupnorm", "layernorm") and _single_element_groups(op.name, x, attrs):
            continue  # var = 0: the output is beta up to rounding/sqrt(eps), ill-conditioned
        if (
            len(outs) != 1
            or outs[0].shape is None
            or any(isinstance(d, int) and d <= 0 for d in outs[0].shape)
        ):
            continue
        return op, n_inputs, given, outs[0]
    return None


@st.composite
def chain_models(draw, max_layers: int = 8) -> Module:
    """A model `m` that applies random registry ops in a chain to one input."""
    rank = draw(st.sampled_from([2, 3, 4, 5]))
    if rank == 2:
        shape = ("N", draw(st.integers(1, 16)))
    else:
        shape = ("N", draw(st.integers(1, 8)), *[draw(st.integers(6, 20)) for _ in range(rank - 2)])
    x = TensorType("f32", shape)
    ops = [op for name, op in OPS.items() if name not in SKIP]
    body, current = [], "x"
    for i in range(draw(st.integers(1, max_layers))):
        found = draw(op_application(x, ops))
        if found is None:
            break
        op, n_inputs, given, x = found
        call = Call(
            op.name,
            tuple(Name(current) for _ in range(n_inputs)),
            tuple((k, to_expr(v)) for k, v in given.items()),
        )
        name = f"v{i}"
        body.append(Assign((name,), call))
        current = name
    body.append(Return((Name(current),)))
    param = Param("x", TensorTypeExpr("f32", shape))
    return Module((Definition("model", "m", (param,), None, tuple(body)),))
