"""Text to syntax tree: Lark LALR with the transformer inside the parser (one pass, no tree).

Comments are collected by a lexer callback and attached to the statement or definition that
follows them (or ends on their line), so the printer can keep them.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

import lark
from lark import Transformer
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

from .diagnostics import Diagnostic, DiagnosticError
from .span import Span
from .syntax import (
    Assign,
    BinOp,
    Call,
    Comments,
    Definition,
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

try:  # the compiled lexer/parser front end; plain Lark is the fallback
    import lark_cython

    _PLUGINS = lark_cython.plugins
except ImportError:  # pragma: no cover - exercised only without the optional wheel
    _PLUGINS = None

# Tokens that name a terminal in syntax errors, shown as the user would type them.
_TOKEN_TEXT = {
    "NAME": "a name",
    "INT": "an integer",
    "FLOAT": "a number",
    "STRING": "a string",
    "RPAR": "')'",
    "LPAR": "'('",
    "RBRACE": "'}'",
    "RBRACKET": "']'",
    "LBRACE": "'{'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COMMA": "','",
    "COLON": "':'",
    "EQUAL": "'='",
    "ARROW": "'->'",
    "QMARK": "'?'",
    "AT": "'@'",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "STAR": "'*'",
    "SLASH": "'/'",
    "DSLASH": "'//'",
    "BLOCK": "'block'",
    "MODEL": "'model'",
    "RETURN": "'return'",
    "REPEAT": "'repeat'",
    "AS": "'as'",
    "FROM": "'from'",
    "DOTTED": "a dotted label",
    "TRUE": "'true'",
    "FALSE": "'false'",
    "$END": "end of file",
}


def _tok_span(file: str, tok) -> Span:
    return Span(file, tok.line, tok.column, tok.end_line, tok.end_column)


def _span_of(node) -> Span | None:
    return getattr(node, "span", None)


class _Build(Transformer):
    """Builds syntax nodes bottom-up while the LALR parser reduces."""

    def __init__(self, file: str):
        super().__init__()
        self.file = file

    def _sp(self, tok) -> Span:
        return Span(self.file, tok.line, tok.column, tok.end_line, tok.end_column)

    # -- literals and names
    def int_lit(self, c):
        return Literal(int(c[0].value), self._sp(c[0]))

    def float_lit(self, c):
        value = float(c[0].value)
        if value in (float("inf"), float("-inf")):
            raise _SyntaxFailure(self._sp(c[0]), f"number {c[0].value} is too large")
        return Literal(value, self._sp(c[0]))

    def str_lit(self, c):
        tok = c[0]
        try:
            value = json.loads(tok.value)
        except ValueError:
            raise _SyntaxFailure(self._sp(tok), "invalid escape sequence in string") from None
        return Literal(value, self._sp(tok))

    def true_lit(self, c):
        return Literal(True, self._sp(c[0]))

    def false_lit(self, c):
        return Literal(False, self._sp(c[0]))

    def hole(self, c):
        return Hole(self._sp(c[0]))

    def name(self, c):
        return Name(c[0].value, self._sp(c[0]))

    def tuple(self, c):
        lpar, rpar = c[0], c[-1]
        items = tuple(x for x in c[1:-1] if x is not None)
        return TupleExpr(items, self._sp(lpar).to(self._sp(rpar)))

    def binop(self, c):
        left, op, right = c
        return BinOp(op.value, left, right, left.span.to(right.span))

    def neg(self, c):
        operand = c[1]
        # fold "-3" into a literal so the canonical form of negative numbers is a literal
        if isinstance(operand, Literal) and type(operand.value) in (int, float):
            return Literal(-operand.value, self._sp(c[0]).to(operand.span))
        return Neg(operand, self._sp(c[0]).to(operand.span))

    # -- calls
    def kwarg(self, c):
        return (c[0].value, c[1], self._sp(c[0]))

    def args(self, c):
        return [x for x in c if x is not None]

    def kwargs(self, c):
        return [x for x in c if x is not None]

    def annotation(self, c):
        at, name, kwargs, rpar = c
        if name.value != "src":
            raise _SyntaxFailure(
                self._sp(name), f"unknown annotation '@{name.value}' (only '@src' is defined)"
            )
        items = tuple((k, v) for k, v, _ in (kwargs or []))
        return (items, self._sp(at).to(self._sp(rpar)))

    def call(self, c):
        name, args, rpar, _as, label, annotation = c
        positional, keywords = [], []
        for a in args or []:
            if isinstance(a, tuple):
                keywords.append((a[0], a[1]))
            else:
                if keywords:
                    raise _SyntaxFailure(a.span, "positional argument follows keyword argument")
                positional.append(a)
        end = self._sp(rpar)
        src = None
        if label is not None:
            end = self._sp(label)
        if annotation is not None:
            src, end = annotation[0], annotation[1]
        return Call(
            name.value,
            tuple(positional),
            tuple(keywords),
            label.value if label is not None else None,
            src,
            self._sp(name).to(end),
            self._sp(name),
        )

    def repeat(self, c):
        kw, count, _from, start, call = c
        return Repeat(count, call, self._sp(kw).to(call.span), start)

    # -- types
    def dim_int(self, c):
        return int(c[0].value)

    def dim_sym(self, c):
        return c[0].value

    def dim_unknown(self, c):
        return None

    def dims(self, c):
        return tuple(c)

    def tensor_type(self, c):
        name, dims, rbr = c
        return TensorTypeExpr(
            name.value, dims if dims is not None else (), self._sp(name).to(self._sp(rbr))
        )

    def scalar_type(self, c):
        return ScalarTypeExpr(c[0].value, self._sp(c[0]))

    def tuple_type(self, c):
        items = tuple(c)
        return TupleTypeExpr(items, items[0].span.to(items[-1].span))

    def returns(self, c):
        return tuple(c)

    # -- statements
    def assign(self, c):
        names, value = c[:-1], c[-1]
        first = self._sp(names[0])
        return Assign(
            tuple(n.value for n in names),
            value,
            span=first.to(value.span),
            target_spans=tuple(self._sp(n) for n in names),
        )

    def return_stmt(self, c):
        kw, values = c[0], tuple(c[1:])
        return Return(values, span=self._sp(kw).to(values[-1].span))

    # -- definitions
    def param(self, c):
        name, type_, default = c
        end = default.span if default is not None else (type_.span if type_ is not None else None)
        span = self._sp(name) if end is None else self._sp(name).to(end)
        return Param(name.value, type_, default, span)

    def params(self, c):
        return tuple(x for x in c if x is not None)

    def _definition(self, kind, c):
        kw, name, params, _arrow, returns, *body, rbrace = c
        return Definition(
            kind,
            name.value,
            params or (),
            returns,
            tuple(body),
            span=self._sp(kw).to(self._sp(rbrace)),
            name_span=self._sp(name),
        )

    def block_def(self, c):
        return self._definition("block", c)

    def model_def(self, c):
        return self._definition("model", c)

    def start(self, c):
        return list(c)


class _SyntaxFailure(Exception):
    """Raised inside the transformer for errors the grammar cannot express."""

    def __init__(self, span: Span, message: str):
        super().__init__(message)
        self.span = span
        self.message = message


@lru_cache(maxsize=1)
def _grammar_text() -> str:
    return (resources.files("papercc.grammar") / "dlir.lark").read_text(encoding="utf-8")


class _Parser:
    """One Lark parser per file name (spans need it); cheap to build after the first."""

    def __init__(self, file: str):
        self.comments: list = []
        self.transformer = _Build(file)
        options = dict(
            parser="lalr",
            transformer=self.transformer,
            lexer_callbacks={"COMMENT": self.comments.append},
            maybe_placeholders=True,
            cache=False,
        )
        if _PLUGINS is not None:
            options["_plugins"] = _PLUGINS
        self.lark = lark.Lark(_grammar_text(), **options)


@lru_cache(maxsize=1)
def _serialized_parser():
    """Build the LALR tables once per process; parsers for new files reuse them."""
    return _Parser("<string>")


def _parser_for(file: str) -> _Parser:
    base = _serialized_parser()
    base.comments.clear()
    base.transformer.file = file
    return base


def _expected(tokens) -> str:
    names = sorted({_TOKEN_TEXT.get(t, repr(t.lower())) for t in tokens})
    if len(names) > 6:
        names = names[:6] + ["..."]
    return ", ".join(names)


def _eof_span(file: str, text: str) -> Span:
    """Just after the last non-blank character: where the missing text should go."""
    stripped = text.rstrip()
    line = stripped.count("\n") + 1
    col = len(stripped.rsplit("\n", 1)[-1]) + 1
    return Span(file, line, col, line, col + 1)


def _syntax_diagnostic(file: str, text: str, exc: LarkError) -> Diagnostic:
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        if tok.type == "$END":
            span = _eof_span(file, text)
            what = "end of file"
        else:
            span = _tok_span(file, tok)
            what = repr(tok.value)
        msg = f"unexpected {what}; expected {_expected(exc.expected)}"
    elif isinstance(exc, UnexpectedCharacters):
        span = Span(file, exc.line, exc.column, exc.line, exc.column + 1)
        char = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else "?"
        msg = f"unexpected character {char!r}"
    elif isinstance(exc, UnexpectedEOF):
        span = _eof_span(file, text)
        msg = "unexpected end of file"
    else:  # pragma: no cover - other LarkErrors are grammar bugs
        span = Span(file, 1, 1, 1, 2)
        msg = f"cannot parse: {exc}"
    return Diagnostic(span, "error", "syntax", msg)


def _attach_comments(defs: list[Definition], comments: list, file: str) -> tuple:
    """Give each comment to the node it precedes, or to the node that ends on its line."""
    if not comments:
        return tuple(defs), ()
    pending = sorted(((c.line, c.value.rstrip()) for c in comments), key=lambda c: c[0])
    idx = 0

    def take_before(line: int) -> tuple[str, ...]:
        nonlocal idx
        out = []
        while idx < len(pending) and pending[idx][0] < line:
            out.append(pending[idx][1])
            idx += 1
        return tuple(out)

    def take_on(line: int) -> str | None:
        nonlocal idx
        if idx < len(pending) and pending[idx][0] == line:
            text = pending[idx][1]
            idx += 1
            return text
        return None

    out_defs = []
    for d in defs:
        leading = take_before(d.span.line)
        header_trailing = (
            take_on(d.span.line) if d.body and d.body[0].span.line > d.span.line else None
        )
        body = []
        for st in d.body:
            st_leading = take_before(st.span.line)
            st_trailing = take_on(st.span.end_line)
            if st_leading or st_trailing:
                st = type(st)(**{**_fields(st), "comments": Comments(st_leading, st_trailing)})
            body.append(st)
        end_comments = take_before(d.span.end_line)
        if (leading or header_trailing or end_comments) or body != list(d.body):
            d = Definition(
                d.kind,
                d.name,
                d.params,
                d.returns,
                tuple(body),
                Comments(leading, header_trailing),
                end_comments,
                d.span,
                d.name_span,
            )
        # a comment after '}' on the same line belongs to the end of the definition
        trailing_close = take_on(d.span.end_line)
        if trailing_close is not None:
            d = Definition(
                d.kind,
                d.name,
                d.params,
                d.returns,
                d.body,
                d.comments,
                d.end_comments + (trailing_close,),
                d.span,
                d.name_span,
            )
        out_defs.append(d)
    rest = tuple(text for _, text in pending[idx:])
    return tuple(out_defs), rest


def _fields(node) -> dict:
    return {f: getattr(node, f) for f in node.__dataclass_fields__}


MAX_NESTING = 200
_NESTING_TOKENS = re.compile(r'[()\[\]"#\n]|\\.')


def _nesting_error(text: str, filename: str) -> Diagnostic | None:
    """Bracket nesting beyond MAX_NESTING is refused before the tree walkers recurse."""
    depth = 0
    line, line_start = 1, 0
    in_string = in_comment = False
    for m in _NESTING_TOKENS.finditer(text):
        ch = m.group()
        if ch == "\n":
            line, line_start = line + 1, m.end()
            in_comment = in_string = False
        elif in_comment or (in_string and ch != '"'):
            continue
        elif ch == '"':
            in_string = not in_string
        elif ch == "#":
            in_comment = True
        elif ch in "([":
            depth += 1
            if depth > MAX_NESTING:
                col = m.start() - line_start + 1
                span = Span(filename, line, col, line, col + 1)
                return Diagnostic(
                    span, "error", "syntax", f"brackets nested more than {MAX_NESTING} deep"
                )
        elif ch in ")]":
            depth -= 1
    return None


def parse(text: str, filename: str = "<string>") -> Module:
    """Parse DLIR text into a `Module`; raise `DiagnosticError` with a syntax diagnostic."""
    too_deep = _nesting_error(text, filename)
    if too_deep is not None:
        raise DiagnosticError([too_deep], {filename: text})
    parser = _parser_for(filename)
    try:
        defs = parser.lark.parse(text)
    except _SyntaxFailure as exc:
        raise DiagnosticError(
            [Diagnostic(exc.span, "error", "syntax", exc.message)], {filename: text}
        ) from None
    except LarkError as exc:
        inner = getattr(exc, "orig_exc", None)
        if isinstance(inner, _SyntaxFailure):
            raise DiagnosticError(
                [Diagnostic(inner.span, "error", "syntax", inner.message)], {filename: text}
            ) from None
        raise DiagnosticError([_syntax_diagnostic(filename, text, exc)], {filename: text}) from None
    except RecursionError:
        span = Span(filename, 1, 1, 1, 2)
        raise DiagnosticError(
            [Diagnostic(span, "error", "syntax", "expression nested too deeply")], {filename: text}
        ) from None
    defs, rest = _attach_comments(defs, list(parser.comments), filename)
    return Module(defs, rest, filename)
