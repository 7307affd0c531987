"""How the command line reports problems, and its exit codes, each defined once.

Every problem is a `Diagnostic`: a location (`file:line:col` in DLIR; `file: page N,
figure M` in a paper or figure; the file alone when the whole file is meant), a severity,
a message and a registered code (`papercc codes`). A command collects them, then reports
them together, sorted, in the mypy/rustc form `file:...: error: message  [code]`.
Progress and results (`wrote out.dlir`, the figures read) are not problems and are
printed as plain lines.

`EXIT_CODES` is the one list of exit codes: `papercc --help`, `papercc codes`, the help of
`compile` and the README's table (a test compares it) are made from it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

import click

from papercc.ir.diagnostics import Diagnostic, Place, render
from papercc.ir.span import Span

EXIT_OK, EXIT_DIAGNOSTICS, EXIT_USAGE, EXIT_INTERNAL, EXIT_NO_MODEL = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130  # the shell's code for SIGINT

# (code, meaning): the one list of exit codes
EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "ok; a compile may leave `?` holes (listed as warnings)"),
    (
        EXIT_DIAGNOSTICS,
        "errors in the input: DLIR or a compiled model that does not check, a file not in "
        "canonical form (fmt --check), a target that fails verify",
    ),
    (
        EXIT_USAGE,
        "usage or I/O error: options that do not fit the input, a file that cannot be read "
        "or written or is not the format it claims",
    ),
    (EXIT_INTERNAL, "internal error: a bug in papercc (PAPERCC_DEBUG=1 shows the traceback)"),
    (
        EXIT_NO_MODEL,
        "compile found no model: no architecture table or model figure in the paper, no "
        "box diagram in the figure",
    ),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C)"),
)

# error codes that are the command line's or the file system's fault, not the input's
USAGE_CODES = frozenset({"io", "usage", "unavailable"})


def exit_codes_lines(*codes: int, indent: int = 5) -> list[str]:
    """The exit codes (all, or those given), one per line, meanings wrapped and indented."""
    import textwrap

    out = []
    for code, meaning in EXIT_CODES:
        if not codes or code in codes:
            first, *rest = textwrap.wrap(meaning, 80 - indent)
            out.append(f"{code:<{indent}}{first}")
            out.extend(" " * indent + line for line in rest)
    return out


def exit_codes_text(*codes: int) -> str:
    """The exit codes as help text (`\\b` keeps click from rewrapping the lines)."""
    return "\b\nExit codes:\n" + "\n".join(exit_codes_lines(*codes))


def exit_for(diagnostics: Iterable[Diagnostic]) -> int:
    """0 without errors; 2 when every error is a usage or I/O error; else 1."""
    errors = [d for d in diagnostics if d.severity == "error"]
    if not errors:
        return EXIT_OK
    return EXIT_USAGE if all(d.code in USAGE_CODES for d in errors) else EXIT_DIAGNOSTICS


def use_color(stream) -> bool:
    import os

    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def report(
    diagnostics: Iterable[Diagnostic],
    sources: dict[str, str] | None = None,
    carets: tuple[str, ...] = ("error", "warning", "note"),
) -> None:
    """Print diagnostics to stderr, sorted; with the source line and a caret under the
    span where the text is known and the severity is one of `carets`."""
    diagnostics = sorted(diagnostics, key=Diagnostic.sort_key)
    if diagnostics:
        color = use_color(sys.stderr)
        text = "\n".join(
            render([d], (sources or {}) if d.severity in carets else {}, color=color)
            for d in diagnostics
        )
        click.echo(text, err=True, color=color)


def fail(
    diagnostics: Iterable[Diagnostic],
    sources: dict[str, str] | None = None,
    code: int | None = None,
) -> NoReturn:
    """Report and exit: with `code`, or the one the errors call for (`exit_for`)."""
    diagnostics = list(diagnostics)
    report(diagnostics, sources)
    sys.exit(exit_for(diagnostics) if code is None else code)


def problem(
    file: str | Path,
    code: str,
    message: str,
    place: Place | None = None,
    severity: str = "error",
    span: Span | None = None,
) -> Diagnostic:
    """A diagnostic about a file as a whole, or a place in a paper or figure."""
    return Diagnostic(span or Span.unknown(str(file)), severity, code, message, place=place)


def write_output(path: str | Path, data: str | bytes, make_parents: bool = False) -> None:
    """Write a command's output atomically; an I/O error is reported (exit 2)."""
    from papercc.fileio import write_atomic

    folder = Path(path).parent
    if make_parents:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            fail([problem(path, "io", f"cannot make its folder {folder}: {exc.strerror or exc}")])
    try:
        write_atomic(path, data)
    except OSError as exc:
        fail([problem(path, "io", f"cannot write: {exc.strerror or exc}")])
