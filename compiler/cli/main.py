"""The `papercc` command line (click + rich).

Exit codes: 0 ok, 1 diagnostics (errors in the input), 2 usage or I/O error, 3 internal
error. No traceback reaches the user for bad input: every failure is a diagnostic.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

import papercc
from papercc.ir.check import CheckResult, check_module
from papercc.ir.diagnostics import CODES, Diagnostic, DiagnosticError, render
from papercc.ir.span import Span
from papercc.ir.syntax import Module

EXIT_OK, EXIT_DIAGNOSTICS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def use_color(stream) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


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


def report(diagnostics: list[Diagnostic], sources: dict[str, str]) -> None:
    if diagnostics:
        color = use_color(sys.stderr)
        click.echo(render(diagnostics, sources, color=color), err=True, color=color)


class Loaded:
    """Files read and parsed in one run, their texts (for carets) and diagnostics."""

    def __init__(self) -> None:
        self.modules: list[tuple[str, Module]] = []
        self.sources: dict[str, str] = {}
        self.diagnostics: list[Diagnostic] = []
        self.io_error = False

    def load(self, path: str) -> Module | None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
            self.diagnostics.append(
                Diagnostic(Span(path, 0, 0, 0, 0), "error", "io", f"cannot read {path}: {reason}")
            )
            self.io_error = True
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
        report(loaded.diagnostics, loaded.sources)
        sys.exit(EXIT_USAGE if loaded.io_error else EXIT_DIAGNOSTICS)
    if model is not None and module.get(model) is None:
        model = resolve_model(module, model, path)
    result = check_module(module, holes=holes, models=[model] if model else None)
    if not result.ok:
        report(result.diagnostics, loaded.sources)
        sys.exit(EXIT_DIAGNOSTICS)
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
    click.echo(f"papercc: error: no model '{wanted}' in {path} (models: {names})", err=True)
    sys.exit(EXIT_USAGE)


def pick_graphs(result: CheckResult, model: str | None, path: str):
    if not result.graphs:
        click.echo(f"papercc: error: {path} defines no model", err=True)
        sys.exit(EXIT_DIAGNOSTICS)
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
            color = use_color(sys.stderr)
            click.echo(exc.render(color=color), err=True, color=color)
            sys.exit(EXIT_DIAGNOSTICS)
        except KeyboardInterrupt:
            click.echo("papercc: interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            sys.exit(EXIT_OK)
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            if os.environ.get("PAPERCC_DEBUG"):
                raise
            click.echo(
                f"papercc: internal error: {type(exc).__name__}: {exc}\n"
                "(this is a bug in papercc; set PAPERCC_DEBUG=1 for the traceback)",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
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
        only_io = all(d.code == "io" for d in errors)
        sys.exit(EXIT_USAGE if only_io else EXIT_DIAGNOSTICS)
    click.echo(f"Success: no issues found in {len(files)} file{'s' * (len(files) != 1)}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-i", "--in-place", is_flag=True, help="Rewrite the files (atomically).")
@click.option(
    "--check", "check_only", is_flag=True, help="Exit 1 if a file is not in canonical form."
)
def fmt(files: tuple[str, ...], in_place: bool, check_only: bool) -> None:
    """Print DLIR FILES in canonical form (comments are kept)."""
    from papercc.fileio import write_atomic

    if in_place and check_only:
        raise click.UsageError("-i and --check cannot be used together")
    if len(files) > 1 and not (in_place or check_only):
        raise click.UsageError("several files need -i or --check")
    loaded = Loaded()
    changed = []
    for path in files:
        module = loaded.load(path)
        if module is None:
            continue
        text = papercc.format(module)
        if check_only:
            if text != loaded.sources[path]:
                changed.append(path)
                click.echo(f"would reformat {path}", err=True)
        elif in_place:
            if text != loaded.sources[path]:
                try:
                    write_atomic(path, text)
                except OSError as exc:
                    click.echo(f"papercc: error: cannot write {path}: {exc.strerror}", err=True)
                    sys.exit(EXIT_USAGE)
                changed.append(path)
                click.echo(f"reformatted {path}", err=True)
        else:
            click.echo(text, nl=False)
    report(loaded.diagnostics, loaded.sources)
    if loaded.diagnostics:
        sys.exit(EXIT_USAGE if loaded.io_error else EXIT_DIAGNOSTICS)
    if check_only and changed:
        sys.exit(EXIT_DIAGNOSTICS)


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
    """List the diagnostic codes with what each means."""
    for code, doc in CODES.items():
        click.echo(f"{code:16} {doc}")


if __name__ == "__main__":  # pragma: no cover
    main()


def _register_commands() -> None:
    """Commands defined in other modules attach themselves to `main` on import."""
    from papercc.compiler.cli import compile, generate, render  # noqa: F401


_register_commands()
