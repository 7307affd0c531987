"""Diagnostics in the style of mypy and rustc, with error codes registered once.

Passes never raise on bad input: they append `Diagnostic`s to a `DiagnosticSink`.
At the API boundary the collected list is raised as one `DiagnosticError`.

A diagnostic is located in DLIR text by its span (`file:line:col`), or in a paper or
figure, which have no lines, by a `Place` (`file: page N, figure M`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .span import Span

# Every code papercc can report, with a one-line description. `papercc codes` lists them.
CODES: dict[str, str] = {
    "syntax": "the text does not follow the DLIR grammar",
    "undefined-name": "a name is used that no parameter, assignment or definition introduces",
    "duplicate-name": "a definition, parameter or layer label is declared twice in one scope",
    "unknown-op": "a call names neither a registry op nor a block of the module",
    "arity": "a call has the wrong number of tensor inputs or arguments",
    "unknown-attr": "a call passes an attribute the op or block does not declare",
    "missing-attr": "a call omits a required attribute",
    "attr-type": "an attribute value has the wrong type or is out of range",
    "not-a-tensor": "a scalar is used where a tensor is required, or the reverse",
    "shape-mismatch": "inferred tensor shapes contradict each other or the op's constraints",
    "type-mismatch": "a declared tensor type contradicts the inferred one",
    "hole": "an attribute is a `?` hole: the source did not say its value",
    "recursion": "a block calls itself, directly or indirectly",
    "repeat": "a `repeat` count is not a positive integer, or the block cannot be chained",
    "return": "a definition has no return, or statements after its return",
    "annotation": "an `@` annotation is unknown or malformed",
    "no-model": "a module, paper or figure has no model to use",
    "unsupported-op": "a backend cannot express an op, or not with the sizes the model leaves open",
    "io": "a file cannot be read or written, or is not the format it claims",
    "usage": "the options do not fit the input (a model, page or figure it does not have)",
    "unavailable": "a target's framework is not installed here",
    "not-canonical": "a file is not in canonical form (`papercc fmt --check`)",
    "assumed": "reading a figure or table, papercc assumed what the source does not say "
    "(an op, a pool type, a pass-through) or skipped what it could not read",
    "stub": "a block the source names has no body in it: compiled as a stub (identity)",
    "random-weights": "no weights file given: random weights are used",
    "verify": "a target's outputs differ from PyTorch's, or it does not run",
}

SEVERITIES = ("error", "warning", "note")


@dataclass(frozen=True, slots=True)
class Place:
    """Where in a paper or a figure file (which have no lines): a page, and on it a
    figure or a table; `number` None is one without a number ("figure ?")."""

    page: int | None = None
    kind: str = ""  # "figure" | "table" | "" (the page itself)
    number: int | None = None

    def __str__(self) -> str:
        parts = [f"page {self.page}"] if self.page is not None else []
        if self.kind:
            parts.append(f"{self.kind} {'?' if self.number is None else self.number}")
        return ", ".join(parts)

    def sort_key(self) -> tuple:
        return (
            -1 if self.page is None else self.page,
            self.kind,
            -1 if self.number is None else self.number,
        )


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding: where, how bad, which code, what, and optional notes with locations."""

    span: Span
    severity: str
    code: str
    message: str
    notes: tuple[tuple[Span | None, str], ...] = ()
    place: Place | None = None  # in a paper or figure: page, figure, table

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unregistered diagnostic code {self.code!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"bad severity {self.severity!r}")

    def sort_key(self) -> tuple:
        place = self.place.sort_key() if self.place is not None else ()
        return (*self.span.sort_key(), place, self.code, self.message)

    def header(self) -> str:
        return f"{self.location()}: {self.severity}: {self.message}  [{self.code}]"

    def location(self) -> str:
        s = self.span
        if s.line > 0:
            return f"{s.file}:{s.line}:{s.col}"
        where = str(self.place) if self.place is not None else ""
        return f"{s.file}: {where}" if where else s.file


@dataclass(slots=True)
class DiagnosticSink:
    """Collects diagnostics of one run; duplicates (same place, code, text) are kept once."""

    items: list[Diagnostic] = field(default_factory=list)
    _seen: set = field(default_factory=set)

    def add(self, diag: Diagnostic) -> None:
        key = (diag.span, diag.place, diag.severity, diag.code, diag.message)
        if key not in self._seen:
            self._seen.add(key)
            self.items.append(diag)

    def error(self, span: Span, code: str, message: str, notes=()) -> None:
        self.add(Diagnostic(span, "error", code, message, tuple(notes)))

    def warning(self, span: Span, code: str, message: str, notes=()) -> None:
        self.add(Diagnostic(span, "warning", code, message, tuple(notes)))

    def extend(self, diags: Iterable[Diagnostic]) -> None:
        for d in diags:
            self.add(d)

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=Diagnostic.sort_key)


class DiagnosticError(Exception):
    """The one exception type of papercc's API: it carries every diagnostic of the run."""

    def __init__(self, diagnostics: Iterable[Diagnostic], sources: dict[str, str] | None = None):
        self.diagnostics = sorted(diagnostics, key=Diagnostic.sort_key)
        self.sources = dict(sources or {})
        first = self.diagnostics[0].header() if self.diagnostics else "no diagnostics"
        more = len(self.diagnostics) - 1
        super().__init__(first + (f" (and {more} more)" if more > 0 else ""))

    def render(self, color: bool = False) -> str:
        return render(self.diagnostics, self.sources, color=color)


_COLORS = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "note": "\x1b[1;36m"}
_RESET = "\x1b[0m"


def _excerpt(span: Span, sources: dict[str, str]) -> list[str]:
    text = sources.get(span.file)
    if text is None or span.line <= 0:
        return []
    lines = text.splitlines()
    if span.line > len(lines):
        return []
    line = lines[span.line - 1].replace("\t", " ")
    start = max(span.col - 1, 0)
    end = span.end_col - 1 if span.end_line == span.line else len(line)
    width = max(end - start, 1)
    return [f"    {line}", "    " + " " * start + "^" + "~" * (width - 1)]


def render(diags: Iterable[Diagnostic], sources: dict[str, str], color: bool = False) -> str:
    """mypy/rustc-style text: header, source line, caret under the span, then notes."""
    out: list[str] = []
    for d in sorted(diags, key=Diagnostic.sort_key):
        header = d.header()
        if color:
            header = (
                f"\x1b[1m{d.location()}:{_RESET} "
                f"{_COLORS[d.severity]}{d.severity}:{_RESET} {d.message}  \x1b[2m[{d.code}]{_RESET}"
            )
        out.append(header)
        out.extend(_excerpt(d.span, sources))
        for span, note in d.notes:
            where = f"{span.file}:{span.line}:{span.col}: " if span and span.line > 0 else ""
            out.append(f"{where}note: {note}")
    return "\n".join(out)
