"""One phrase `Layer` -> one DLIR `Call`, with provenance, labels and honest holes.

Why separate: the rules for turning a phrase's attributes into syntax (holes for what
the text leaves open, tuples collapsed when square, registry attributes only) are the
same for figures and tables, and they must never invent a value.
"""

from __future__ import annotations

import keyword
import math
import re

from papercc.compiler.diagram.graph import Diagram, DiagramNode
from papercc.compiler.phrases import Layer
from papercc.ir.registry import OPS
from papercc.ir.syntax import Call, Expr, Hole, Literal, TupleExpr
from papercc.ir.values import HOLE

_NAME = re.compile(r"^[A-Za-z][A-Za-z_]*[_-]?\d+[a-z]?$")  # conv1, fc7, C3, res2a, pool_5
_LABEL_PREFIX = re.compile(r"^\s*([A-Za-z][A-Za-z_]*[_-]?\d+[a-z]?)\s*:\s*(\S.*)$")
_DLIR_KEYWORDS = frozenset({"block", "model", "return", "repeat", "as", "true", "false"})
# A default padding the phrase reader applies to every padded op, that some ops do not
# take: dropped without a note (the transposed conv's output size comes from its stride).
_DEFAULTED = {"same": ("conv_transpose1d", "conv_transpose2d", "conv_transpose3d")}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def split_label(text: str) -> tuple[str | None, str]:
    """`"conv1: 3x3 conv, 64"` -> ("conv1", "3x3 conv, 64"); a bare `"conv1"` is a label too."""
    m = _LABEL_PREFIX.match(text)
    if m:
        return identifier(m.group(1)), m.group(2)
    stripped = text.strip()
    if _NAME.match(stripped):
        return identifier(stripped), stripped
    return None, text


def identifier(text: str, fallback: str = "x") -> str:
    """A DLIR name made from text: letters, digits and underscores, never a keyword or op."""
    s = re.sub(r"[^A-Za-z0-9_]+", "_", text.strip()).strip("_").lower()
    if not s:
        return fallback
    if s[0].isdigit():
        s = f"{fallback}_{s}"
    if s in _DLIR_KEYWORDS or keyword.iskeyword(s):
        s += "_"
    return s[:48]


def comment_text(text: str, limit: int = 120) -> str:
    """Paper text made safe for a one-line comment."""
    s = " ".join(_CONTROL.sub(" ", text).split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


def value_expr(value: object) -> Expr:
    """A phrase attribute value as syntax; the HOLE sentinel becomes `?`."""
    if value is HOLE or value is None:
        return Hole()
    if isinstance(value, tuple):
        if value and all(v == value[0] and type(v) is type(value[0]) for v in value):
            return value_expr(value[0])  # (3, 3) -> 3: the op broadcasts it
        return TupleExpr(tuple(value_expr(v) for v in value))
    if isinstance(value, bool | int | float | str):
        return Literal(value)
    return Literal(str(value))


def provenance(diagram: Diagram, node: DiagramNode) -> tuple[tuple[str, Expr], ...]:
    """`@src(file=..., page=..., figure=..., box=..., bbox=(...), text=...)` of one box."""
    src = diagram.source or {}
    out: list[tuple[str, Expr]] = []
    if src.get("file"):
        out.append(("file", Literal(str(src["file"]))))
    if isinstance(src.get("page"), int) and not isinstance(src.get("page"), bool):
        out.append(("page", Literal(src["page"])))
    if src.get("figure") not in (None, ""):
        fig = src["figure"]
        ok = isinstance(fig, int) and not isinstance(fig, bool)
        out.append(("figure", Literal(fig if ok else comment_text(str(fig), 60))))
    out.append(("box", Literal(node.id)))
    if len(node.bbox) == 4 and all(math.isfinite(float(v)) for v in node.bbox):
        out.append(("bbox", TupleExpr(tuple(Literal(round(float(v), 1)) for v in node.bbox))))
    if node.text:
        out.append(("text", Literal(comment_text(node.text, 200))))
    return tuple(out)


def layer_call(
    layer: Layer,
    inputs: tuple[Expr, ...],
    *,
    label: str | None = None,
    src: tuple[tuple[str, Expr], ...] | None = None,
    extra: tuple[tuple[str, object], ...] = (),
) -> tuple[Call, list[str]]:
    """The call of one registry-op layer, and notes on attributes that had to be left out.

    Attributes the text gives are written; required ones it leaves open become `?`."""
    opdef = OPS[layer.op]
    known = opdef.attr_map
    values = dict(layer.attrs)
    values.update(dict(extra))
    notes = []
    kwargs: list[tuple[str, Expr]] = []
    for attr in opdef.attrs:
        value = values.get(attr.name)
        if isinstance(value, str) and attr.choices is not None and value not in attr.choices:
            if layer.op not in _DEFAULTED.get(value, ()):
                notes.append(f"{attr.name}={value!r} not possible for {layer.op}: left out")
            values.pop(attr.name)
        if attr.name in values:
            kwargs.append((attr.name, value_expr(values[attr.name])))
        elif attr.name in layer.holes or attr.required:
            kwargs.append((attr.name, Hole()))
    for name in values:
        if name not in known:
            notes.append(f"{name}={values[name]!r} ignored: {layer.op} has no such attribute")
    call = Call(layer.op, args=inputs, kwargs=tuple(kwargs), label=label, src=src)
    return call, notes
