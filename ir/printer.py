"""The canonical printer: one text per module, a fixed point of parse∘print.

Canonical form: two-space indent, one blank line between definitions, op inputs positional,
the op's leading attributes (as declared by the registry) positional, the rest as keywords in
declaration order; minimal parentheses; comments kept where they were attached.
"""

from __future__ import annotations

import json

from .registry import OPS
from .syntax import (
    Assign,
    BinOp,
    Call,
    Comments,
    Definition,
    Expr,
    Hole,
    Literal,
    Module,
    Name,
    Neg,
    Param,
    Repeat,
    Return,
    ScalarTypeExpr,
    TensorTypeExpr,
    TupleExpr,
    TupleTypeExpr,
)

INDENT = "  "
_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "//": 2}


def print_module(module: Module) -> str:
    parts: list[str] = []
    for d in module.definitions:
        parts.append(print_definition(d, module))
    text = "\n\n".join(parts)
    if module.end_comments:
        tail = "\n".join(module.end_comments)
        text = f"{text}\n\n{tail}" if text else tail
    return text + "\n" if text else ""


def print_definition(d: Definition, module: Module | None = None) -> str:
    blocks = {b.name: b for b in module.blocks} if module is not None else {}
    lines = list(d.comments.leading)
    params = ", ".join(print_param(p) for p in d.params)
    head = f"{d.kind} {d.name}({params})"
    if d.returns is not None:
        if len(d.returns) == 1:
            head += f" -> {print_type(d.returns[0])}"
        else:
            head += " -> (" + ", ".join(print_type(t) for t in d.returns) + ")"
    head += " {"
    if d.comments.trailing:
        head += f"  {d.comments.trailing}"
    lines.append(head)
    for st in d.body:
        lines.extend(print_statement(st, blocks))
    lines.extend(INDENT + c for c in d.end_comments)
    lines.append("}")
    return "\n".join(lines)


def print_statement(st, blocks: dict | None = None) -> list[str]:
    blocks = blocks or {}
    out = [INDENT + c for c in st.comments.leading]
    if isinstance(st, Assign):
        text = f"{', '.join(st.targets)} = {print_expr(st.value, blocks)}"
    elif isinstance(st, Return):
        text = "return " + ", ".join(print_expr(v, blocks) for v in st.values)
    else:  # pragma: no cover
        raise TypeError(st)
    if st.comments.trailing:
        text += f"  {st.comments.trailing}"
    out.append(INDENT + text)
    return out


def print_param(p: Param) -> str:
    text = p.name
    if p.type is not None:
        text += f": {print_type(p.type)}"
    if p.default is not None:
        text += f" = {print_expr(p.default)}"
    return text


def print_type(t) -> str:
    if isinstance(t, TensorTypeExpr):
        dims = "" if t.dims is None else ", ".join("?" if d is None else str(d) for d in t.dims)
        return f"{t.dtype}[{dims}]"
    if isinstance(t, ScalarTypeExpr):
        return t.name
    if isinstance(t, TupleTypeExpr):
        return "(" + ", ".join(print_type(i) for i in t.items) + ")"
    raise TypeError(t)


def print_literal(value) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        text = repr(value)
        if text in ("inf", "-inf", "nan"):
            raise ValueError(f"{text} has no DLIR literal")
        return text
    return str(value)


def print_expr(e: Expr, blocks: dict | None = None, prec: int = 0) -> str:
    if isinstance(e, Literal):
        text = print_literal(e.value)
        # a negative literal under a binary operator keeps its meaning without parentheses
        return text
    if isinstance(e, Hole):
        return "?"
    if isinstance(e, Name):
        return e.id
    if isinstance(e, TupleExpr):
        items = [print_expr(i, blocks) for i in e.items]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(e, BinOp):
        p = _PREC[e.op]
        left = print_expr(e.left, blocks, p)
        right = print_expr(e.right, blocks, p + 1)
        text = f"{left} {e.op} {right}"
        return f"({text})" if p < prec else text
    if isinstance(e, Neg):
        return "-" + print_expr(e.operand, blocks, 3)
    if isinstance(e, Call):
        return print_call(e, blocks or {})
    if isinstance(e, Repeat):
        count = _atom(e.count, blocks)
        start = "" if e.start is None else " from " + _atom(e.start, blocks)
        return f"repeat {count}{start} {print_call(e.call, blocks or {})}"
    raise TypeError(e)


def _atom(e: Expr, blocks) -> str:
    """An expression where the grammar wants an atom (repeat counts): parenthesised if needed."""
    text = print_expr(e, blocks, 3)
    simple = isinstance(e, (Name, Hole)) or (
        isinstance(e, Literal) and not (isinstance(e.value, (int, float)) and e.value < 0)
    )
    return text if simple or text.startswith("(") else f"({text})"


def _call_args(c: Call, blocks: dict) -> list[str]:
    op = OPS.get(c.callee)
    args = [print_expr(a, blocks) for a in c.args]
    if op is None:
        block = blocks.get(c.callee)
        order = [p.name for p in block.params] if block is not None else []
        kw = sorted(c.kwargs, key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
        return args + [f"{k}={print_expr(v, blocks)}" for k, v in kw]
    n_in = len(c.args) if op.variadic else min(len(op.inputs), len(c.args))
    if len(c.args) > n_in + len(op.attrs):  # malformed: print as written, the checker reports it
        return args + [f"{k}={print_expr(v, blocks)}" for k, v in c.kwargs]
    out = args[:n_in]
    given: dict[str, Expr] = {}
    for attr, a in zip(op.attrs, c.args[n_in:], strict=False):
        given[attr.name] = a
    unknown = []
    for k, v in c.kwargs:
        if k in given or k not in op.attr_map:
            unknown.append((k, v))
        else:
            given[k] = v
    positional_done = False
    for i, attr in enumerate(op.attrs):
        if attr.name not in given:
            positional_done = True
            continue
        value = print_expr(given[attr.name], blocks)
        if i < op.positional and not positional_done:
            out.append(value)
        else:
            positional_done = True
            out.append(f"{attr.name}={value}")
    out += [f"{k}={print_expr(v, blocks)}" for k, v in unknown]
    return out


def print_call(c: Call, blocks: dict) -> str:
    text = f"{c.callee}({', '.join(_call_args(c, blocks))})"
    if c.label is not None:
        text += f" as {c.label}"
    if c.src is not None:
        text += " @src(" + ", ".join(f"{k}={print_expr(v, blocks)}" for k, v in c.src) + ")"
    return text


__all__ = ["print_module", "print_definition", "print_expr", "print_type", "Comments"]
