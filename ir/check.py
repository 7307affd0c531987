"""Verification and elaboration: from a syntax `Module` to checked, shape-inferred `Graph`s.

Two passes. The static pass checks every definition on its own (names, arity, attributes,
returns, recursion). The elaboration pass instantiates each model: evaluates scalar
arguments, expands block calls and `repeat` with hierarchical layer names, fills attribute
defaults, runs each op's shape rule and weight rule. Every problem becomes a diagnostic;
nothing here raises on bad input.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass, field

from .diagnostics import Diagnostic, DiagnosticSink
from .graph import Graph, Node, Value
from .registry import OPS, REQUIRED, Attr, OpDef, SameAs, ShapeError, param_count
from .span import Span
from .syntax import (
    Assign,
    BinOp,
    Call,
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
from .types import DTYPES, TensorType, dims_agree
from .values import HOLE, contains_hole, value_text

SCALAR_TYPES = ("int", "float", "bool", "str", "tensor")
MAX_REPEAT = 100_000
MAX_DEPTH = 64


@dataclass
class CheckResult:
    """Graphs of the models that elaborated, and every diagnostic of the run."""

    module: Module
    graphs: dict[str, Graph] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


def _did_you_mean(name: str, candidates) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


# ---------------------------------------------------------------- static pass


class _Static:
    """Checks each definition without instantiating it."""

    def __init__(self, module: Module, sink: DiagnosticSink):
        self.module = module
        self.sink = sink
        self.defs: dict[str, Definition] = {}
        self.calls: dict[str, set[str]] = defaultdict(set)

    def run(self) -> set[str]:
        """Returns the names of definitions that are broken (not to be elaborated)."""
        broken: set[str] = set()
        for d in self.module.definitions:
            if d.name in self.defs:
                first = self.defs[d.name]
                self.sink.error(
                    d.name_span,
                    "duplicate-name",
                    f"{d.kind} '{d.name}' is already defined",
                    [(first.name_span, f"first definition of '{d.name}' is here")],
                )
                broken.add(d.name)
                continue
            if d.name in OPS:
                self.sink.error(
                    d.name_span, "duplicate-name", f"{d.kind} '{d.name}' shadows the op '{d.name}'"
                )
                broken.add(d.name)
            self.defs[d.name] = d
        for d in self.module.definitions:
            before = len(self.sink.items)
            self.definition(d)
            if any(x.severity == "error" for x in self.sink.items[before:]):
                broken.add(d.name)
        return self.recursion(broken)

    def recursion(self, broken: set[str]) -> set[str]:
        """Report call cycles; return `broken` plus cycles plus everything that reaches them."""
        broken = set(broken)
        state: dict[str, int] = {}

        def visit(name: str, path: list[str]) -> None:
            state[name] = 1
            for callee in sorted(self.calls.get(name, ())):
                if state.get(callee) == 1:
                    cycle = (
                        path[path.index(callee) :] + [callee] if callee in path else [name, callee]
                    )
                    d = self.defs[callee]
                    self.sink.error(
                        d.name_span,
                        "recursion",
                        f"block '{callee}' calls itself: {' -> '.join(cycle)}",
                    )
                    broken.update(cycle)
                elif state.get(callee) is None and callee in self.defs:
                    visit(callee, path + [callee])
            state[name] = 2

        for name in self.defs:
            if state.get(name) is None:
                visit(name, [name])
        # anything that reaches a broken definition is broken too
        changed = True
        while changed:
            changed = False
            for name, callees in self.calls.items():
                if name not in broken and callees & broken:
                    broken.add(name)
                    changed = True
        return broken

    def type_expr(self, t, *, tensor_ok: bool) -> None:
        if isinstance(t, TensorTypeExpr):
            if t.dtype not in DTYPES:
                self.sink.error(
                    t.span,
                    "attr-type",
                    f"unknown dtype '{t.dtype}'{_did_you_mean(t.dtype, DTYPES)}",
                )
            if not tensor_ok:
                self.sink.error(t.span, "not-a-tensor", "a tensor type is not allowed here")
        elif isinstance(t, ScalarTypeExpr):
            if t.name not in SCALAR_TYPES:
                self.sink.error(
                    t.span,
                    "attr-type",
                    f"unknown type '{t.name}'{_did_you_mean(t.name, SCALAR_TYPES)}",
                )
        elif isinstance(t, TupleTypeExpr):
            for item in t.items:
                if not isinstance(item, ScalarTypeExpr) or item.name == "tensor":
                    self.sink.error(
                        item.span, "attr-type", "tuple types hold int, float, bool or str"
                    )
                else:
                    self.type_expr(item, tensor_ok=False)

    def definition(self, d: Definition) -> None:
        scope: dict[str, str] = {}  # name -> "tensor" | "scalar"
        for p in d.params:
            if p.name in scope:
                self.sink.error(p.span, "duplicate-name", f"parameter '{p.name}' is declared twice")
            if p.type is not None:
                self.type_expr(p.type, tensor_ok=True)
            if d.kind == "model" and p.is_tensor and not isinstance(p.type, TensorTypeExpr):
                self.sink.error(
                    p.span,
                    "attr-type",
                    f"model input '{p.name}' needs a tensor type, e.g. {p.name}: f32[N, 3, 224, 224]",
                )
            if p.default is not None:
                if p.is_tensor:
                    self.sink.error(
                        p.default.span, "attr-type", "a tensor parameter cannot have a default"
                    )
                else:
                    self.scalar_expr(p.default, {}, d)
            if d.kind == "model" and not p.is_tensor and p.default is None:
                self.sink.error(
                    p.span, "missing-attr", f"model parameter '{p.name}' needs a default"
                )
            scope[p.name] = "tensor" if p.is_tensor else "scalar"
        if d.returns is not None:
            for t in d.returns:
                self.type_expr(t, tensor_ok=True)
        returned = False
        labels: dict[str, Span] = {}
        for st in d.body:
            if returned:
                self.sink.error(st.span, "return", f"statement after the return of '{d.name}'")
                break
            if isinstance(st, Assign):
                self.expr(st.value, scope, d, labels)
                for t, span in zip(
                    st.targets, st.target_spans or [st.span] * len(st.targets), strict=False
                ):
                    if scope.get(t) == "scalar":
                        self.sink.error(
                            span,
                            "duplicate-name",
                            f"'{t}' is a scalar parameter; it cannot be reassigned",
                        )
                    scope[t] = "tensor"
                if len(set(st.targets)) != len(st.targets):
                    self.sink.error(
                        st.span,
                        "duplicate-name",
                        "the same name is assigned twice in one statement",
                    )
            else:
                for v in st.values:
                    self.expr(v, scope, d, labels)
                returned = True
        if not returned:
            self.sink.error(d.name_span, "return", f"{d.kind} '{d.name}' has no return statement")

    def scalar_expr(self, e: Expr, scope: dict[str, str], d: Definition) -> None:
        if isinstance(e, Name):
            kind = scope.get(e.id)
            if kind is None:
                self.undefined(e, scope)
            elif kind == "tensor":
                self.sink.error(
                    e.span, "not-a-tensor", f"'{e.id}' is a tensor; a scalar is expected here"
                )
        elif isinstance(e, BinOp):
            self.scalar_expr(e.left, scope, d)
            self.scalar_expr(e.right, scope, d)
        elif isinstance(e, Neg):
            self.scalar_expr(e.operand, scope, d)
        elif isinstance(e, TupleExpr):
            for item in e.items:
                self.scalar_expr(item, scope, d)
        elif isinstance(e, (Call, Repeat)):
            self.sink.error(
                e.span,
                "not-a-tensor",
                "a tensor expression is not allowed here; a scalar is expected",
            )

    def undefined(self, e: Name, scope) -> None:
        self.sink.error(
            e.span, "undefined-name", f"name '{e.id}' is not defined{_did_you_mean(e.id, scope)}"
        )

    def expr(self, e: Expr, scope, d: Definition, labels: dict[str, Span]) -> None:
        if isinstance(e, Name):
            if e.id not in scope:
                self.undefined(e, scope)
        elif isinstance(e, Repeat):
            self.scalar_expr(e.count, scope, d)
            if e.start is not None:
                self.scalar_expr(e.start, scope, d)
            if isinstance(e.count, Literal) and (
                not isinstance(e.count.value, int)
                or isinstance(e.count.value, bool)
                or e.count.value < 1
            ):
                self.sink.error(
                    e.count.span,
                    "repeat",
                    f"repeat count must be a positive integer, got {value_text(e.count.value)}",
                )
            self.call(e.call, scope, d, labels)
            if not e.call.args:
                self.sink.error(
                    e.call.span, "repeat", "a repeated call needs a tensor as its first argument"
                )
        elif isinstance(e, Call):
            self.call(e, scope, d, labels)
        elif isinstance(e, (BinOp, Neg, TupleExpr)):
            self.scalar_expr(e, scope, d)

    def call(self, c: Call, scope, d: Definition, labels: dict[str, Span]) -> None:
        if c.label is not None:
            if c.label in labels:
                self.sink.error(
                    c.span,
                    "duplicate-name",
                    f"layer label '{c.label}' is used twice in '{d.name}'",
                    [(labels[c.label], "first use is here")],
                )
            labels[c.label] = c.span
        if c.src is not None:
            seen = set()
            for k, v in c.src:
                if k in seen:
                    self.sink.error(c.span, "annotation", f"@src names '{k}' twice")
                seen.add(k)
                if isinstance(v, (Call, Repeat, Name)):
                    self.sink.error(v.span, "annotation", f"@src value of '{k}' must be a constant")
        for a in c.args:
            self.expr(a, scope, d, labels)
        for _, v in c.kwargs:
            self.expr(v, scope, d, labels)
        names = [k for k, _ in c.kwargs]
        for k in set(names):
            if names.count(k) > 1:
                self.sink.error(c.span, "duplicate-name", f"argument '{k}' is given twice")
        if c.callee in OPS:
            self.op_call(c, OPS[c.callee])
        elif c.callee in self.defs:
            target = self.defs[c.callee]
            if target.kind == "model":
                self.sink.error(
                    c.callee_span,
                    "unknown-op",
                    f"'{c.callee}' is a model; only blocks and ops can be called",
                )
                return
            self.calls[d.name].add(c.callee)
            self.block_call(c, target)
        else:
            candidates = list(OPS) + [x.name for x in self.module.blocks]
            self.sink.error(
                c.callee_span,
                "unknown-op",
                f"unknown op or block '{c.callee}'{_did_you_mean(c.callee, candidates)}",
            )

    def op_call(self, c: Call, op: OpDef) -> None:
        n_in = len(op.inputs)
        n_pos = len(c.args)
        amap = op.attr_map
        if op.variadic:
            if n_pos < n_in:
                self.sink.error(
                    c.span, "arity", f"{op.name} takes at least {n_in} tensor inputs, got {n_pos}"
                )
            positional_attrs: list[str] = []
        else:
            lo = n_in - op.optional_inputs
            if n_pos < lo:
                what = "input" if lo == 1 else "inputs"
                self.sink.error(
                    c.span, "arity", f"{op.name} takes {lo} tensor {what}, got {n_pos} arguments"
                )
                return
            extra = n_pos - n_in
            if extra > len(op.attrs):
                self.sink.error(
                    c.span,
                    "arity",
                    f"{op.name} takes at most {n_in + len(op.attrs)} positional arguments, got {n_pos}",
                )
                return
            positional_attrs = [a.name for a in op.attrs[: max(extra, 0)]]
        for k, v in c.kwargs:
            if k not in amap:
                self.sink.error(
                    v.span,
                    "unknown-attr",
                    f"{op.name} has no attribute '{k}'{_did_you_mean(k, amap)}",
                )
            elif k in positional_attrs:
                self.sink.error(
                    v.span, "duplicate-name", f"attribute '{k}' of {op.name} is given twice"
                )
        given = set(positional_attrs) | {k for k, _ in c.kwargs}
        missing = [a.name for a in op.attrs if a.required and a.name not in given]
        if missing:
            self.sink.error(
                c.span,
                "missing-attr",
                f"{op.name} needs {', '.join(repr(m) for m in missing)}"
                + " (write ? if the source does not say)",
            )
        for name, v in list(zip(positional_attrs, c.args[n_in:], strict=False)) + list(c.kwargs):
            value = _constant(v)
            if name in amap and value is not _NOT_CONSTANT:
                msg = attr_problem(amap[name], value)
                if msg:
                    self.sink.error(v.span, "attr-type", f"{op.name}: {msg}")

    def block_call(self, c: Call, target: Definition) -> None:
        params = {p.name: p for p in target.params}
        if len(c.args) > len(target.params):
            self.sink.error(
                c.span,
                "arity",
                f"block '{target.name}' takes {len(target.params)} arguments, got {len(c.args)}",
            )
            return
        given = {p.name for p in target.params[: len(c.args)]}
        for k, v in c.kwargs:
            if k not in params:
                self.sink.error(
                    v.span,
                    "unknown-attr",
                    f"block '{target.name}' has no parameter '{k}'{_did_you_mean(k, params)}",
                )
            elif k in given:
                self.sink.error(
                    v.span, "duplicate-name", f"parameter '{k}' of '{target.name}' is given twice"
                )
            given.add(k)
        missing = [p.name for p in target.params if p.name not in given and p.default is None]
        if missing:
            self.sink.error(
                c.span,
                "missing-attr" if any(not params[m].is_tensor for m in missing) else "arity",
                f"block '{target.name}' needs {', '.join(repr(m) for m in missing)}",
            )


_NOT_CONSTANT = object()


def _constant(e: Expr):
    """The value of a constant expression (literals, holes, tuples of them), else a marker."""
    if isinstance(e, Literal):
        return e.value
    if isinstance(e, Hole):
        return HOLE
    if isinstance(e, TupleExpr):
        items = tuple(_constant(i) for i in e.items)
        return _NOT_CONSTANT if any(i is _NOT_CONSTANT for i in items) else items
    return _NOT_CONSTANT


def attr_problem(attr: Attr, value) -> str | None:
    """Why `value` does not fit `attr`, or None when it does (holes always fit)."""
    if contains_hole(value) and not isinstance(value, tuple):
        return None
    kind = attr.kind

    def is_int(v):
        return v is HOLE or (isinstance(v, int) and not isinstance(v, bool))

    def below(v):
        return attr.min is not None and v is not HOLE and v < attr.min

    ok = True
    if kind == "int":
        ok = is_int(value) and not below(value)
    elif kind == "float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and not below(value)
    elif kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "str":
        ok = isinstance(value, str) and (attr.choices is None or value in attr.choices)
    elif kind in ("ints", "int_or_ints", "padding"):
        if kind == "padding" and isinstance(value, str):
            ok = attr.choices is not None and value in attr.choices
        elif isinstance(value, tuple):
            ok = len(value) > 0 and all(is_int(v) for v in value)
            if ok and attr.name not in ("perm", "shape"):
                ok = not any(below(v) for v in value)
        else:
            ok = is_int(value) and (attr.name in ("perm", "shape") or not below(value))
    if ok:
        return None
    from .registry import ATTR_KINDS

    expect = ATTR_KINDS[kind]
    if attr.choices and kind == "str":
        expect += " (" + ", ".join(f'"{c}"' for c in attr.choices) + ")"
    elif attr.choices and kind == "padding":
        expect = "an integer, a tuple of integers, " + " or ".join(f'"{c}"' for c in attr.choices)
    if attr.min is not None and kind in ("int", "float", "ints", "int_or_ints", "padding"):
        expect += f", at least {attr.min:g}"
    return f"attribute '{attr.name}' must be {expect}, got {value_text(value)}"


# ---------------------------------------------------------------- elaboration


class _Abort(Exception):
    """Stops elaborating one model after an error that makes the rest meaningless."""


def _tensor_type_of(t: TensorTypeExpr) -> TensorType:
    return TensorType(t.dtype, t.dims)


class _Elaborate:
    """Instantiates one model into a Graph."""

    def __init__(
        self, module: Module, defs: dict[str, Definition], sink: DiagnosticSink, holes: str
    ):
        self.module = module
        self.defs = defs
        self.sink = sink
        self.holes = holes
        self.nodes: list[Node] = []
        self.names: set[str] = set()
        self.trace: list[tuple[Span, str]] = []  # block instantiation stack, for notes

    def notes(self):
        return [(span, f"in '{what}', instantiated here") for span, what in reversed(self.trace)]

    def error(self, span: Span, code: str, msg: str) -> None:
        self.sink.error(span, code, msg, self.notes())

    def model(self, d: Definition) -> Graph:
        env: dict[str, object] = {}
        inputs = []
        for p in d.params:
            if p.is_tensor:
                v = Value(p.name, _tensor_type_of(p.type))
                env[p.name] = v
                inputs.append(v)
            else:
                env[p.name] = self.scalar(p.default, env)
        outs = self.body(d, env, "")
        if d.returns is not None:
            self.check_returns(d, outs)
        return Graph(d.name, inputs, outs, self.nodes, d.span)

    def check_returns(self, d: Definition, outs: list[Value]) -> None:
        if len(d.returns) != len(outs):
            self.error(
                d.name_span,
                "type-mismatch",
                f"'{d.name}' declares {len(d.returns)} outputs but returns {len(outs)}",
            )
            return
        for t, v in zip(d.returns, outs, strict=True):
            self.check_type(t, v, "output")

    def check_type(self, t: TensorTypeExpr, v: Value, what: str) -> None:
        declared = _tensor_type_of(t)
        got = v.type
        bad = declared.dtype != got.dtype
        if not bad and got.shape is not None and declared.shape is not None:
            bad = len(got.shape) != len(declared.shape) or not all(
                dims_agree(a, b) for a, b in zip(declared.shape, got.shape, strict=False)
            )
        if bad:
            self.error(t.span, "type-mismatch", f"{what} is declared {declared} but inferred {got}")

    # -- scalars
    def scalar(self, e: Expr, env) -> object:
        if isinstance(e, Literal):
            return e.value
        if isinstance(e, Hole):
            return HOLE
        if isinstance(e, Name):
            v = env.get(e.id, HOLE)
            if isinstance(v, Value):
                self.error(
                    e.span, "not-a-tensor", f"'{e.id}' is a tensor; a scalar is expected here"
                )
                raise _Abort
            return v
        if isinstance(e, TupleExpr):
            return tuple(self.scalar(i, env) for i in e.items)
        if isinstance(e, Neg):
            v = self.scalar(e.operand, env)
            if v is HOLE:
                return HOLE
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                return -v
            self.error(e.span, "attr-type", f"cannot negate {value_text(v)}")
            raise _Abort
        if isinstance(e, BinOp):
            a, b = self.scalar(e.left, env), self.scalar(e.right, env)
            if a is HOLE or b is HOLE:
                return HOLE
            nums = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b))
            if not nums:
                self.error(
                    e.span,
                    "attr-type",
                    f"'{e.op}' needs numbers, got {value_text(a)} and {value_text(b)}",
                )
                raise _Abort
            if e.op in ("/", "//") and b == 0:
                self.error(e.span, "attr-type", "division by zero")
                raise _Abort
            if e.op == "+":
                return a + b
            if e.op == "-":
                return a - b
            if e.op == "*":
                return a * b
            if e.op == "/":
                return a / b
            return a // b
        self.error(
            e.span, "not-a-tensor", "a tensor expression is not allowed here; a scalar is expected"
        )
        raise _Abort

    # -- tensors
    def body(self, d: Definition, env: dict, prefix: str) -> list[Value]:
        counters: dict[str, int] = defaultdict(int)
        reserved = _labels(d)
        for st in d.body:
            if isinstance(st, Assign):
                vals = self.tensor_expr(st.value, env, prefix, counters, reserved)
                if len(vals) != len(st.targets):
                    self.error(
                        st.span,
                        "arity",
                        f"{len(st.targets)} names are assigned but the call gives {len(vals)} outputs",
                    )
                    raise _Abort
                for t, v in zip(st.targets, vals, strict=True):
                    env[t] = v
            elif isinstance(st, Return):
                outs: list[Value] = []
                for e in st.values:
                    outs.extend(self.tensor_expr(e, env, prefix, counters, reserved))
                return outs
        raise _Abort  # the static pass reported the missing return

    def tensor_expr(self, e: Expr, env, prefix, counters, reserved) -> list[Value]:
        if isinstance(e, Name):
            v = env.get(e.id)
            if not isinstance(v, Value):
                self.error(
                    e.span, "not-a-tensor", f"'{e.id}' is a scalar; a tensor is expected here"
                )
                raise _Abort
            return [v]
        if isinstance(e, Call):
            return self.call(e, env, prefix, counters, reserved)
        if isinstance(e, Repeat):
            return self.repeat(e, env, prefix, counters, reserved)
        self.error(e.span, "not-a-tensor", "a scalar is not allowed here; a tensor is expected")
        raise _Abort

    def fresh(self, label: str | None, base: str, prefix: str, counters, reserved) -> str:
        if label is not None:
            name = label
        else:
            while True:
                counters[base] += 1
                name = f"{base}{counters[base]}"
                if name not in reserved:
                    break
        return prefix + name

    def repeat(self, e: Repeat, env, prefix, counters, reserved) -> list[Value]:
        count = self.scalar(e.count, env)
        if count is HOLE:
            self.error(
                e.count.span, "hole", "the repeat count is a hole (`?`); the model cannot be built"
            )
            raise _Abort
        if not isinstance(count, int) or isinstance(count, bool) or count < 1 or count > MAX_REPEAT:
            self.error(
                e.count.span,
                "repeat",
                f"repeat count must be a positive integer up to {MAX_REPEAT}, got {value_text(count)}",
            )
            raise _Abort
        c = e.call
        tensors, scalars = self.bind(c, env, prefix, counters, reserved)
        if not tensors or len(tensors[0]) != 1:
            self.error(c.span, "repeat", "the first argument of a repeated call must be one tensor")
            raise _Abort
        start = 0 if e.start is None else self.scalar(e.start, env)
        if not isinstance(start, int) or isinstance(start, bool) or start < 0:
            self.error(
                e.start.span,
                "repeat",
                f"repeat numbering must start at an integer >= 0, got {value_text(start)}",
            )
            raise _Abort
        group = self.fresh(c.label, self.callee_prefix(c.callee), prefix, counters, reserved)
        x = tensors[0]
        for i in range(start, start + count):
            x = self.instantiate(c, [x, *tensors[1:]], scalars, f"{group}.{i}")
            if len(x) != 1:
                self.error(
                    c.span,
                    "repeat",
                    f"'{c.callee}' gives {len(x)} outputs; a repeated call must give one",
                )
                raise _Abort
        return x

    def callee_prefix(self, callee: str) -> str:
        op = OPS.get(callee)
        return op.layer_prefix() if op is not None else callee

    def call(self, c: Call, env, prefix, counters, reserved) -> list[Value]:
        tensors, scalars = self.bind(c, env, prefix, counters, reserved)
        name = self.fresh(c.label, self.callee_prefix(c.callee), prefix, counters, reserved)
        return self.instantiate(c, tensors, scalars, name)

    def bind(self, c: Call, env, prefix, counters, reserved):
        """Evaluate a call's arguments: tensor slots (each a list of values) and scalars.

        Scalars are keyed by attribute or parameter name, with the span of their text."""
        tensors: list[list[Value]] = []
        scalars: dict[str, tuple[object, Span]] = {}
        op = OPS.get(c.callee)
        if op is not None:
            n_in = len(c.args) if op.variadic else min(len(op.inputs), len(c.args))
            for a in c.args[:n_in]:
                tensors.append(self.tensor_expr(a, env, prefix, counters, reserved))
            for attr, a in zip(op.attrs, c.args[n_in:], strict=False):
                scalars[attr.name] = (self.scalar(a, env), a.span)
            for k, v in c.kwargs:
                scalars[k] = (self.scalar(v, env), v.span)
            return tensors, scalars
        d = self.defs[c.callee]
        given: dict[str, Expr] = dict(zip((p.name for p in d.params), c.args, strict=False))
        given.update(c.kwargs)
        for p in d.params:
            if p.name not in given:
                continue
            if p.is_tensor:
                tensors.append(self.tensor_expr(given[p.name], env, prefix, counters, reserved))
            else:
                scalars[p.name] = (self.scalar(given[p.name], env), given[p.name].span)
        return tensors, scalars

    def instantiate(self, c: Call, tensors, scalars, name: str) -> list[Value]:
        if name in self.names:
            self.error(c.span, "duplicate-name", f"layer name '{name}' is used twice")
            raise _Abort
        if c.callee in OPS:
            return self.op(c, tensors, scalars, name)
        return self.block(c, tensors, scalars, name)

    def op(self, c: Call, tensors, scalars, name) -> list[Value]:
        op = OPS[c.callee]
        inputs: list[Value] = [v for slot in tensors for v in slot]
        if not op.variadic and len(inputs) != len(op.inputs):
            self.error(
                c.span,
                "arity",
                f"{op.name} takes {len(op.inputs)} tensor inputs, got {len(inputs)}",
            )
            raise _Abort
        attrs = self.normalise(op, scalars, c, name)
        types = [v.type for v in inputs]
        try:
            out_types = op.infer(types, attrs)
            weights = tuple(op.weights(types, attrs))
        except ShapeError as exc:
            self.error(c.span, "shape-mismatch", f"{name} ({op.name}): {exc}")
            raise _Abort from None
        src = None
        if c.src is not None:
            src = {k: self.scalar(v, {}) for k, v in c.src}
        node = Node(
            name,
            op.name,
            tuple(inputs),
            attrs,
            (),
            c.span,
            src,
            weights,
            param_count(list(weights)),
        )
        outs = tuple(
            Value(name if len(out_types) == 1 else f"{name}:{i}", t, node, i)
            for i, t in enumerate(out_types)
        )
        node.outputs = outs
        self.nodes.append(node)
        self.names.add(name)
        return list(outs)

    def normalise(self, op: OpDef, raw: dict, c: Call, name: str) -> dict:
        attrs: dict[str, object] = {}
        for attr in op.attrs:
            if attr.name in raw:
                value, span = raw[attr.name]
                if isinstance(value, float) and attr.kind == "int" and value.is_integer():
                    value = int(value)
                if isinstance(value, int) and not isinstance(value, bool) and attr.kind == "float":
                    value = float(value)
                problem = attr_problem(attr, value)
                if problem:
                    self.error(span, "attr-type", f"{op.name}: {problem}")
                    raise _Abort
                if contains_hole(value):
                    self.hole(span, op, attr.name, name, c)
                attrs[attr.name] = value
            elif attr.default is REQUIRED:
                self.error(c.span, "missing-attr", f"{op.name} needs '{attr.name}'")
                raise _Abort
            else:
                attrs[attr.name] = attr.default
        for attr in op.attrs:
            if isinstance(attrs[attr.name], SameAs):
                attrs[attr.name] = attrs[attrs[attr.name].name]
        return attrs

    def hole(self, span: Span, op: OpDef, attr: str, layer: str, c: Call) -> None:
        notes = self.notes()
        if c.src:
            where = ", ".join(
                f"{k}={value_text(v.value) if isinstance(v, Literal) else '?'}" for k, v in c.src
            )
            notes = [(None, f"layer comes from {where}")] + notes
        msg = f"'{attr}' of {layer} ({op.name}) is a hole: the source does not give it"
        if self.holes == "error":
            self.sink.error(span, "hole", msg, notes)
        else:
            self.sink.warning(span, "hole", msg, notes)

    def block(self, c: Call, tensors, scalars, name) -> list[Value]:
        d = self.defs[c.callee]
        if len(self.trace) >= MAX_DEPTH:
            self.error(c.span, "recursion", f"blocks nested more than {MAX_DEPTH} deep")
            raise _Abort
        local: dict[str, object] = {}
        slots = iter(tensors)
        given = {p.name for p in d.params[: len(c.args)]} | {k for k, _ in c.kwargs}
        for p in d.params:
            if p.is_tensor:
                vals = next(slots, None) if p.name in given else None
                if vals is None:
                    self.error(c.span, "arity", f"block '{d.name}' needs tensor '{p.name}'")
                    raise _Abort
                if len(vals) != 1:
                    self.error(
                        c.span, "arity", f"argument '{p.name}' of '{d.name}' must be one tensor"
                    )
                    raise _Abort
                if isinstance(p.type, TensorTypeExpr):
                    self.check_type(p.type, vals[0], f"argument '{p.name}' of '{d.name}'")
                local[p.name] = vals[0]
            else:
                if p.name in scalars:
                    value, span = scalars[p.name]
                elif p.default is None:
                    self.error(c.span, "arity", f"block '{d.name}' needs '{p.name}'")
                    raise _Abort
                else:
                    value, span = self.scalar(p.default, local), c.span
                problem = _param_problem(p, value)
                if problem:
                    self.error(span, "attr-type", f"block '{d.name}': {problem}")
                    raise _Abort
                local[p.name] = value
        self.trace.append((c.span, f"{d.name}' as '{name}"))
        try:
            outs = self.body(d, local, name + ".")
            if d.returns is not None:
                self.check_returns(d, outs)
        finally:
            self.trace.pop()
        return outs


def _param_problem(p: Param, value) -> str | None:
    t = p.type
    if t is None or value is HOLE:
        return None
    if isinstance(t, ScalarTypeExpr):
        fits = {
            "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            "bool": lambda v: isinstance(v, bool),
            "str": lambda v: isinstance(v, str),
        }.get(t.name)
        if fits is not None and not fits(value):
            return f"parameter '{p.name}' is {t.name}, got {value_text(value)}"
    elif isinstance(t, TupleTypeExpr):
        if not isinstance(value, tuple) or len(value) != len(t.items):
            return f"parameter '{p.name}' is a tuple of {len(t.items)}, got {value_text(value)}"
    return None


def _labels(d: Definition) -> set[str]:
    out: set[str] = set()

    def walk(e):
        if isinstance(e, Call):
            if e.label:
                out.add(e.label)
            for a in e.args:
                walk(a)
            for _, v in e.kwargs:
                walk(v)
        elif isinstance(e, Repeat):
            walk(e.call)

    for st in d.body:
        for e in (st.values if isinstance(st, Return) else (st.value,)):
            walk(e)
    return out


# ---------------------------------------------------------------- entry point


def check_module(
    module: Module, holes: str = "error", models: list[str] | None = None
) -> CheckResult:
    """Verify every definition and elaborate every model (or the named ones).

    holes: "error" (papercc check) or "warning" (a frontend's fresh output)."""
    sink = DiagnosticSink()
    static = _Static(module, sink)
    result = CheckResult(module)
    try:
        broken = static.run()
    except RecursionError:
        where = (
            module.definitions[0].span if module.definitions else Span(module.filename, 1, 1, 1, 2)
        )
        sink.error(where, "syntax", "expression nested too deeply to check")
        result.diagnostics = sink.sorted()
        return result
    for d in module.models:
        if models is not None and d.name not in models:
            continue
        if d.name in broken:
            continue
        el = _Elaborate(module, static.defs, sink, holes)
        try:
            result.graphs[d.name] = el.model(d)
        except _Abort:
            pass
        except RecursionError:
            sink.error(
                d.name_span, "recursion", f"model '{d.name}' is nested too deeply to elaborate"
            )
    result.diagnostics = sink.sorted()
    return result
