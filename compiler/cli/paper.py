"""The whole-paper path of `papercc compile paper.pdf`: progress per page, a summary of what
was found, the DLIR written atomically, an optional report.

Exit codes: 0 at least one model compiled; 4 no model found in the paper; 2 unreadable
input or bad options. A paper where nothing describes a model is not an error of the
input, hence its own code.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from papercc.compiler.cli.main import EXIT_DIAGNOSTICS, EXIT_OK, EXIT_USAGE, console
from papercc.compiler.lower.figure import InputError
from papercc.compiler.paper.driver import compile_paper, page_count, parse_pages
from papercc.fileio import write_atomic

EXIT_NO_MODEL = 4


def run_paper_compile(
    path: Path,
    output: str | None,
    pages_spec: str | None,
    report: str | None,
    jobs: int,
    ocr: bool,
) -> int:
    import papercc

    try:
        count = page_count(path)
        pages = parse_pages(pages_spec, count)
    except InputError as exc:
        click.echo(f"papercc: error: {exc}", err=True)
        return EXIT_USAGE
    except ValueError as exc:
        click.echo(f"papercc: error: {exc}", err=True)
        return EXIT_USAGE
    err = console(stderr=True)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]reading pages"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task("pages", total=len(pages))
        try:
            result = compile_paper(
                path, pages, jobs=max(1, jobs), ocr=ocr, progress=lambda _: bar.advance(task)
            )
        except InputError as exc:
            click.echo(f"papercc: error: {exc}", err=True)
            return EXIT_USAGE
    figs = len(result.figures)
    model_figs = sum(1 for _, v in result.figures if v.is_model)
    click.echo(
        f"{path.name}: {len(pages)} pages in {result.seconds:.2f} s; "
        f"{len(result.tables)} architecture tables, {model_figs} of {figs} figures are model "
        "diagrams",
        err=True,
    )
    for m in result.models:
        params = "?" if m.params is None else f"{m.params:,}"
        merged = f", merged with {m.merged_with}" if m.merged_with else ""
        header = f" ({m.header})" if m.header and m.header != m.name else ""
        click.echo(
            f"  model {m.name}{header}: {m.kind} on page {m.page}{merged}; params {params}; "
            f"holes {m.holes}",
            err=True,
        )
    if not result.models:
        click.echo(f"papercc: no model found in {path}", err=True)
        return EXIT_NO_MODEL
    text = papercc.format(result.module)
    errors = [d for d in result.diagnostics if d.severity == "error"]
    if errors:
        shown = output or "<stdout>"
        click.echo(
            f"warning: {len(errors)} error(s) in the extracted models; they are kept in "
            f"{shown} for you to fix (papercc check --allow-holes {shown}):",
            err=True,
        )
        for d in errors[:8]:
            click.echo(f"  line {d.span.line}: {d.message}", err=True)
        broken = {m.name for m in result.models if m.name not in _checked(result)}
        if len(broken) == len(result.models):
            click.echo("papercc: no model compiled without errors", err=True)
    if output:
        write_atomic(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        sys.stdout.write(text)
    if report:
        from papercc.compiler.paper.report import render_html, render_markdown

        body = (
            render_markdown(result, str(path))
            if report.lower().endswith(".md")
            else render_html(result, str(path))
        )
        write_atomic(report, body)
        click.echo(f"wrote report {report}", err=True)
    if errors and len({m.name for m in result.models} - _checked(result)) == len(result.models):
        return EXIT_DIAGNOSTICS
    return EXIT_OK


def _checked(result) -> set[str]:
    """Models that elaborated without errors (from the check compile_paper already ran)."""
    bad_lines = [d.span.line for d in result.diagnostics if d.severity == "error"]
    return {
        d.name
        for d in result.module.models
        if d.name in result.graphs
        and not any(d.span.line <= line <= d.span.end_line for line in bad_lines)
    }
