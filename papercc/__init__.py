"""papercc: a compiler for deep-learning research papers.

The Python API: `parse` and `load` give a syntax `Module`; `check` verifies it and infers
shapes, giving `Graph`s; `format` prints the canonical text. Every failure is raised as one
`DiagnosticError` carrying all diagnostics of the run.
"""

from __future__ import annotations

from pathlib import Path

from papercc.ir.check import CheckResult, check_module
from papercc.ir.diagnostics import Diagnostic, DiagnosticError
from papercc.ir.graph import Graph, Node, Value
from papercc.ir.parser import parse as _parse
from papercc.ir.printer import print_module
from papercc.ir.registry import OPS
from papercc.ir.syntax import Module
from papercc.ir.values import HOLE

__version__ = "0.1.0"


def parse(text: str, filename: str = "<string>") -> Module:
    """Parse DLIR text; raises DiagnosticError on a syntax error."""
    return _parse(text, filename)


def load(path: str | Path) -> Module:
    """Read and parse a .dlir file; raises DiagnosticError (code `io`) if it cannot be read."""
    from papercc.ir.span import Span

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise DiagnosticError(
            [
                Diagnostic(
                    Span(str(path), 0, 0, 0, 0), "error", "io", f"cannot read {path}: {reason}"
                )
            ]
        ) from None
    return _parse(text, str(path))


def check(
    module: Module | str, holes: str = "error", models: list[str] | None = None
) -> CheckResult:
    """Verify and elaborate; raise DiagnosticError if any error was found.

    `holes="warning"` accepts `?` holes (reported as warnings) instead of failing."""
    if isinstance(module, str):
        module = parse(module)
    result = check_module(module, holes=holes, models=models)
    if not result.ok:
        raise DiagnosticError(result.diagnostics)
    return result


def format(module: Module) -> str:  # noqa: A001 - the natural name for the canonical printer
    """The canonical text of a module."""
    return print_module(module)


__all__ = [
    "parse",
    "load",
    "check",
    "check_module",
    "format",
    "print_module",
    "CheckResult",
    "Diagnostic",
    "DiagnosticError",
    "Graph",
    "Node",
    "Value",
    "Module",
    "OPS",
    "HOLE",
    "__version__",
]
