"""The whole-paper path of `papercc compile paper.pdf`: progress per page, a summary of what
was found, the DLIR written atomically, an optional report.

Exit codes (`problems.EXIT_CODES`): 0 at least one model compiled; 1 models were found but
none compiles without errors; 2 unreadable input or bad options; 4 no model found in the
paper. A paper where nothing describes a model is not an error of the input, hence its
own code. Problems are diagnostics: the paper's (`paper.pdf: page 3: error: ...  [io]`)
and those of the extracted DLIR, at their lines in the output with a note on the page and
table or figure the model came from.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import click

from papercc.compiler.cli.main import console
from papercc.compiler.cli.problems import (
    EXIT_DIAGNOSTICS,
    EXIT_NO_MODEL,
    EXIT_OK,
    EXIT_USAGE,
    problem,
    report,
)
from papercc.compiler.lower.figure import InputError
from papercc.compiler.paper.driver import PaperResult, compile_paper, page_count, parse_pages
from papercc.fileio import write_atomic
from papercc.ir.diagnostics import Diagnostic

__all__ = ["EXIT_NO_MODEL", "run_paper_compile"]


def run_paper_compile(
    path: Path,
    output: str | None,
    pages_spec: str | None,
    report_path: str | None,
    jobs: int,
    ocr: bool,
) -> int:
    import papercc

    try:
        count = page_count(path)
        pages = parse_pages(pages_spec, count)
    except InputError as exc:
        report([exc.diagnostic()])
        return EXIT_USAGE
    except ValueError as exc:  # --pages that do not fit the paper
        report([problem(path, "usage", f"--pages: {exc}")])
        return EXIT_USAGE
    try:
        result = _compile_with_progress(path, pages, jobs, ocr)
    except InputError as exc:
        report([exc.diagnostic()])
        return EXIT_USAGE
    _say_what_was_found(path, pages, result)
    if not result.models:
        report([problem(path, "no-model", "no model found: no architecture table or model figure")])
        return EXIT_NO_MODEL
    text = papercc.format(result.module)
    shown = output or "<stdout>"
    errors = errors_in_output(result, path, shown)
    if output:
        if not _write(output, text):
            return EXIT_USAGE
        click.echo(f"wrote {output}", err=True)
    else:
        sys.stdout.write(text)
    if report_path and not _write_report(report_path, result, path):
        return EXIT_USAGE
    if errors:
        return _report_errors(errors, result, shown, text)
    return EXIT_OK


def _compile_with_progress(path: Path, pages: list[int], jobs: int, ocr: bool) -> PaperResult:
    """compile_paper with a progress bar on a terminal's stderr."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    err = console(stderr=True)
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
        return compile_paper(
            path, pages, jobs=max(1, jobs), ocr=ocr, progress=lambda _: bar.advance(task)
        )


def _say_what_was_found(path: Path, pages: list[int], result: PaperResult) -> None:
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
    from papercc.compiler.paper.report import assumptions

    assumed = sum(len(rows) for rows in assumptions(result.module).values())
    if assumed:
        click.echo(f"  {assumed} value(s) assumed (see the comments / --report)", err=True)


def _write_report(report_path: str, result: PaperResult, path: Path) -> bool:
    from papercc.compiler.paper.report import render_html, render_markdown

    body = (
        render_markdown(result, str(path))
        if report_path.lower().endswith(".md")
        else render_html(result, str(path))
    )
    if not _write(report_path, body):
        return False
    click.echo(f"wrote report {report_path}", err=True)
    return True


def _report_errors(errors: list[Diagnostic], result: PaperResult, shown: str, text: str) -> int:
    """Report the extracted models' errors; exit 1 only when no model checks."""
    report(errors, {shown: text})
    broken = {m.name for m in result.models} - _checked(result)
    none_ok = len(broken) == len(result.models)
    click.echo(
        f"{len(errors)} error(s) in the extracted models, kept in {shown} for you to fix "
        f"(papercc check --allow-holes {shown})"
        + ("; no model compiled without errors" if none_ok else ""),
        err=True,
    )
    return EXIT_DIAGNOSTICS if none_ok else EXIT_OK


def errors_in_output(result: PaperResult, pdf: Path, shown: str) -> list[Diagnostic]:
    """The errors of the extracted module, at their lines in the output (`shown`), each
    with a note on where in the paper its model came from."""
    out = []
    for d in result.diagnostics:
        if d.severity != "error":
            continue
        lines = [d.span.line] + [span.line for span, _ in d.notes if span is not None]
        model = next(
            (
                m
                for line in lines
                for m in result.models
                if (dd := result.module.get(m.name)) is not None
                and dd.span.line <= line <= dd.span.end_line
            ),
            None,
        )
        notes = tuple(
            (span._replace(file=shown) if span is not None else None, text)
            for span, text in d.notes
        )
        if model is not None:
            notes += ((None, f"model {model.name} is from {pdf.name}: {model.place}"),)
        out.append(replace(d, span=d.span._replace(file=shown), notes=notes))
    return out


def _write(path: str, data: str) -> bool:
    try:
        write_atomic(path, data)
    except OSError as exc:
        report([problem(path, "io", f"cannot write: {exc.strerror or exc}")])
        return False
    return True


def _checked(result) -> set[str]:
    """Models that elaborated without errors (from the check compile_paper already ran)."""
    bad_lines = [d.span.line for d in result.diagnostics if d.severity == "error"]
    return {
        d.name
        for d in result.module.models
        if d.name in result.graphs
        and not any(d.span.line <= line <= d.span.end_line for line in bad_lines)
    }
