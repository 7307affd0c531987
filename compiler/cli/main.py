"""The `papercc` command line (click + rich).

Exit codes: `problems.EXIT_CODES` (`papercc codes`). No traceback reaches the user for bad
input: every problem is a diagnostic with a location and a code (see `problems`).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

import papercc
from papercc.compiler.cli.problems import (
    EXIT_CODES,
    EXIT_DIAGNOSTICS,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_NO_MODEL,
    EXIT_OK,
    EXIT_USAGE,
    exit_codes_text,
    exit_for,
    fail,
    problem,
    report,
    use_color,
    write_output,
)
from papercc.ir.check import CheckResult, check_module
from papercc.ir.diagnostics import CODES, Diagnostic, DiagnosticError
from papercc.ir.syntax import Module

__all__ = [
    "EXIT_DIAGNOSTICS",
    "EXIT_INTERNAL",
    "EXIT_NO_MODEL",
    "EXIT_OK",
    "EXIT_USAGE",
    "Loaded",
    "console",
    "load_checked",
    "main",
    "pick_graphs",
    "report",
    "use_color",
]


def console(stderr: bool = False):
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    return Console(
        file=stream,
        no_color=not use_color(stream),
        force_terminal=use_color(stream),
        highlight=False,
        soft_wrap=False,
        width=None if use_color(stream) else 200,
    )


class Loaded:
    """Files read and parsed in one run, their texts (for carets) and diagnostics."""

    def __init__(self) -> None:
        self.modules: list[tuple[str, Module]] = []
        self.sources: dict[str, str] = {}
        self.diagnostics: list[Diagnostic] = []

    def load(self, path: str) -> Module | None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
            self.diagnostics.append(problem(path, "io", f"cannot read: {reason}"))
            return None
        self.sources[path] = text
        try:
            module = papercc.parse(text, filename=path)
        except DiagnosticError as exc:
            self.diagnostics.extend(exc.diagnostics)
            return None
        self.modules.append((path, module))
        return module


def load_checked(
    path: str, holes: str = "error", model: str | None = None
) -> tuple[CheckResult, Loaded]:
    """Load one file and check it; exits with the right code (after reporting) on failure."""
    loaded = Loaded()
    module = loaded.load(path)
    if module is None:
        fail(loaded.diagnostics, loaded.sources)
    if model is not None and module.get(model) is None:
        model = resolve_model(module, model, path)
    result = check_module(module, holes=holes, models=[model] if model else None)
    if not result.ok:
        fail(result.diagnostics, loaded.sources)
    report([d for d in result.diagnostics if d.severity != "error"], loaded.sources)
    return result, loaded


def resolve_model(module: Module, wanted: str, path: str) -> str:
    """A model by its DLIR name, or by the table header it was compiled from ("50-layer":
    compiled tables name each model after its configuration's header)."""
    from papercc.compiler.lower.table import model_name

    candidate = model_name(wanted, set())
    if module.get(candidate) is not None and module.get(candidate).kind == "model":
        return candidate
    names = ", ".join(m.name for m in module.models) or "none"
    fail([problem(path, "usage", f"no model '{wanted}' here (models: {names})")])


def pick_graphs(result: CheckResult, model: str | None, path: str):
    if not result.graphs:
        fail([problem(path, "no-model", "defines no model (only blocks)")])
    if model is not None:
        if model not in result.graphs:
            from papercc.compiler.lower.table import model_name

            model = model_name(model, set())
        return [result.graphs[model]]
    return list(result.graphs.values())


class _Group(click.Group):
    """Turns any unexpected exception into a one-line internal error, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except DiagnosticError as exc:
            fail(exc.diagnostics, exc.sources or _sources_of(exc.diagnostics))
        except KeyboardInterrupt:
            click.echo("papercc: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            sys.exit(EXIT_OK)
        except OSError as exc:  # a file the command reads or writes; never papercc's bug
            if exc.filename is None or os.environ.get("PAPERCC_DEBUG"):
                raise
            fail([problem(exc.filename, "io", exc.strerror or str(exc))])
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            if os.environ.get("PAPERCC_DEBUG"):
                raise
            click.echo(
                f"papercc: internal error: {type(exc).__name__}: {exc}\n"
                "(this is a bug in papercc; set PAPERCC_DEBUG=1 for the traceback)",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)


def _sources_of(diagnostics: list[Diagnostic]) -> dict[str, str]:
    """The texts of the DLIR files the diagnostics point into, for their carets."""
    out = {}
    for file in {d.span.file for d in diagnostics if d.span.line > 0}:
        try:
            out[file] = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            pass
    return out


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=exit_codes_text() + "\n\n`papercc codes` lists the codes of diagnostics.",
)
@click.version_option(papercc.__version__, "-V", "--version", prog_name="papercc")
def main() -> None:
    """papercc: compile deep-learning papers and DLIR models.

    DLIR is a typed text language for neural networks. papercc checks its types and
    tensor shapes, prints it in canonical form, summarises models, and (see the other
    commands) generates framework code from it.
    """


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--allow-holes", is_flag=True, help="Report `?` holes as warnings instead of errors.")
def check(files: tuple[str, ...], allow_holes: bool) -> None:
    """Parse, verify and infer shapes of DLIR FILES; report every problem found."""
    loaded = Loaded()
    for path in files:
        loaded.load(path)
    for _, module in loaded.modules:
        result = check_module(module, holes="warning" if allow_holes else "error")
        loaded.diagnostics.extend(result.diagnostics)
    report(loaded.diagnostics, loaded.sources)
    errors = [d for d in loaded.diagnostics if d.severity == "error"]
    bad_files = len({d.span.file for d in errors})
    if errors:
        click.echo(
            f"Found {len(errors)} error{'s' * (len(errors) != 1)} in {bad_files} "
            f"file{'s' * (bad_files != 1)} (checked {len(files)} file{'s' * (len(files) != 1)})",
            err=True,
        )
        sys.exit(exit_for(errors))
    click.echo(f"Success: no issues found in {len(files)} file{'s' * (len(files) != 1)}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-i", "--in-place", is_flag=True, help="Rewrite the files (atomically).")
@click.option(
    "--check", "check_only", is_flag=True, help="Exit 1 if a file is not in canonical form."
)
def fmt(files: tuple[str, ...], in_place: bool, check_only: bool) -> None:
    """Print DLIR FILES in canonical form (comments are kept).

    With --check, a file not in canonical form is an error located at its first line
    that differs."""
    if in_place and check_only:
        raise click.UsageError("-i and --check cannot be used together")
    if len(files) > 1 and not (in_place or check_only):
        raise click.UsageError("several files need -i or --check")
    loaded = Loaded()
    for path in files:
        module = loaded.load(path)
        if module is None:
            continue
        text = papercc.format(module)
        if check_only:
            if text != loaded.sources[path]:
                loaded.diagnostics.append(_not_canonical(path, loaded.sources[path], text))
        elif in_place:
            if text != loaded.sources[path]:
                write_output(path, text)
                click.echo(f"reformatted {path}", err=True)
        else:
            click.echo(text, nl=False)
    report(loaded.diagnostics, loaded.sources)
    sys.exit(exit_for(loaded.diagnostics))


def _not_canonical(path: str, text: str, canonical: str) -> Diagnostic:
    """The first line where `text` differs from its canonical form."""
    from papercc.ir.span import Span

    have, want = text.splitlines(), canonical.splitlines()
    line = next(
        (i for i, (a, b) in enumerate(zip(have, want, strict=False)) if a != b),
        min(len(have), len(want)),
    )
    line = min(line + 1, max(len(have), 1))
    width = len(have[line - 1]) if have else 0
    span = Span(path, line, 1, line, width + 1)
    message = "would reformat: not in canonical form from this line on (`papercc fmt -i`)"
    return problem(path, "not-canonical", message, span=span)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--model", help="Summarise only this model of the module.")
@click.option("--allow-holes", is_flag=True, help="Summarise even with `?` holes left.")
def summary(file: str, as_json: bool, model: str | None, allow_holes: bool) -> None:
    """Layers, output shapes and trainable parameter counts of the models in FILE."""
    from papercc.compiler.cli.summary import summary_data, summary_table

    result, _ = load_checked(file, holes="warning" if allow_holes else "error", model=model)
    graphs = pick_graphs(result, model, file)
    if as_json:
        click.echo(json.dumps({"models": [summary_data(g) for g in graphs]}, indent=2))
        return
    out = console()
    for g in graphs:
        out.print(summary_table(g))


@main.command()
@click.option("--markdown", is_flag=True, help="Print the full op reference (spec/ops.md).")
def ops(markdown: bool) -> None:
    """List the ops of the registry."""
    from papercc.compiler.cli.opdoc import ops_markdown
    from papercc.ir.registry import OPS

    if markdown:
        click.echo(ops_markdown(), nl=False)
        return
    for op in OPS.values():
        click.echo(f"{op.name:20} {op.doc}")


@main.command()
def codes() -> None:
    """List the diagnostic codes with what each means, then the exit codes."""
    for code, doc in CODES.items():
        click.echo(f"{code:16} {doc}")
    click.echo("\nexit codes:")
    for code, meaning in EXIT_CODES:
        click.echo(f"{code:<16} {meaning}")


if __name__ == "__main__":  # pragma: no cover
    main()


def _register_commands() -> None:
    """Commands defined in other modules attach themselves to `main` on import."""
    from papercc.compiler.cli import compile, generate, render  # noqa: F401


_register_commands()
