"""`papercc compile`: a figure (PNG/JPEG) or figures of a PDF -> DLIR.

Exit codes: 0 a model compiled (holes allowed: they are listed), 1 no diagram found or the
lowered model does not check, 2 unreadable or corrupt input, or options that do not fit
it. The output file is written atomically and only when a model compiled.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

import papercc
from papercc.compiler.cli.main import EXIT_DIAGNOSTICS, EXIT_OK, EXIT_USAGE, main, use_color
from papercc.compiler.lower.figure import (
    FigureInput,
    InputError,
    UsageError,
    figures_from_image,
    figures_from_pdf,
    lower_figures,
)
from papercc.compiler.lower.layers import identifier
from papercc.ir.check import check_module
from papercc.ir.diagnostics import render

_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}
_MAX_LISTED = 12  # holes and warnings listed one per line; the rest are counted


def _fail(message: str, code: int) -> None:
    click.echo(f"papercc: error: {message}", err=True)
    sys.exit(code)


def _read(path: Path, page: int | None, figure: int | None, debug: bool) -> list[FigureInput]:
    suffix = path.suffix.lower()
    if suffix in _IMAGE_SUFFIXES:
        if page is not None or figure is not None:
            raise UsageError("--page and --figure apply to PDF input only")
        return figures_from_image(path)
    if suffix == ".pdf":
        return figures_from_pdf(
            path, page=page, figure=figure, raster=page is not None, images=debug
        )
    raise UsageError(f"unsupported input type '{path.suffix or path.name}' (want .pdf, .png, .jpg)")


def _write_debug(directory: str, path: Path, figures: list[FigureInput]) -> None:
    from papercc.compiler.diagram.debug import annotate, blank_canvas, write_debug

    for k, f in enumerate(figures):
        if f.image is not None:
            img = annotate(f.image, f.diagram, f.scale, f.origin)
        else:
            canvas, origin = blank_canvas(f.diagram)
            img = annotate(canvas, f.diagram, 3.0, origin)
        stem = path.stem + (f"_p{f.page}" if f.page else "") + f"_{f.name}"
        if len(figures) > 1 and f.number is None:
            stem += f"_{k + 1}"
        for p in write_debug(directory, stem, img, f.diagram):
            click.echo(f"debug: wrote {p}", err=True)


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write DLIR here.")
@click.option(
    "--debug",
    "debug_dir",
    type=click.Path(file_okay=False),
    help="Write annotated images of what was read into this directory.",
)
@click.option("--page", type=click.IntRange(min=1), help="PDF page (1-based) to read.")
@click.option("--figure", type=click.IntRange(min=0), help="Only the figure with this number.")
@click.option("--name", help="Name of the model (default: figure<N>).")
@click.option("--pages", help="Whole paper: pages to read, e.g. 3-5,8 (default: all).")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False),
    help="Whole paper: write an "
    "HTML (or .md) report with page crops beside the extracted layers.",
)
@click.option("--jobs", "-j", default=2, show_default=True, help="Whole paper: pages in parallel.")
@click.option("--ocr", is_flag=True, help="Whole paper: also read raster figures (slower).")
@click.option("--figures-only", is_flag=True, help="A PDF: only its figures (no tables, no merge).")
def compile(  # noqa: A001 - the command's name
    input_path: str,
    output: str | None,
    debug_dir: str | None,
    page: int | None,
    figure: int | None,
    name: str | None,
    pages: str | None,
    report_path: str | None,
    jobs: int,
    ocr: bool,
    figures_only: bool,
) -> None:
    """Compile a paper (PDF), a page of it, or a figure (PNG/JPEG) into DLIR.

    A PDF without --page/--figure is compiled whole: architecture tables and model figures
    of every page (or --pages), classified, lowered and merged; exit 4 if no model is found.

    Box text becomes layers, arrows the data flow; what the figure does not say is left
    as a `?` hole and listed. Without -o the DLIR goes to stdout and the report to stderr.
    A PDF without --page: the vector figures of every page (no OCR); with --page, regions
    without vector drawings are rendered and read as images too.

    Exit: 0 compiled (holes allowed), 1 no diagram found or the model does not check,
    2 unreadable input or options that do not fit it.
    """
    path = Path(input_path)
    if output is not None and Path(output).resolve() == path.resolve():
        _fail("the output would overwrite the input; choose another -o", EXIT_USAGE)
    whole_paper = (
        path.suffix.lower() == ".pdf" and page is None and figure is None and not figures_only
    )
    if whole_paper and debug_dir is None:
        from papercc.compiler.cli.paper import run_paper_compile

        sys.exit(run_paper_compile(path, output, pages, report_path, jobs, ocr))
    if pages or report_path or ocr:
        _fail("--pages, --report and --ocr apply to a whole-paper compile", EXIT_USAGE)
    report = (lambda s: click.echo(s, err=True)) if output is None else click.echo
    try:
        figures = _read(path, page, figure, debug_dir is not None)
    except InputError as exc:
        _fail(str(exc), EXIT_USAGE)
    except UsageError as exc:
        _fail(str(exc), EXIT_USAGE)
    if debug_dir is not None:
        try:
            _write_debug(debug_dir, path, figures)
        except OSError as exc:
            _fail(f"cannot write debug output to {debug_dir}: {exc.strerror or exc}", EXIT_USAGE)
    for f in figures:
        where = f"page {f.page}, " if f.page else ""
        d = f.diagram
        boxes = sum(1 for n in d.nodes if n.shape != "junction")
        joins = len(d.nodes) - boxes
        report(
            f"{f.name} ({where}{d.source.get('parser', '?')}): {boxes} boxes, "
            f"{joins} junctions, {len(d.edges)} arrows, flow {d.direction}"
        )
    if not any(f.diagram.edges for f in figures):
        what = "no figure" if not figures else "no box diagram (no arrows found)"
        _fail(f"{path}: {what}; nothing to compile", EXIT_DIAGNOSTICS)
    if name is None and path.suffix.lower() in _IMAGE_SUFFIXES:
        name = identifier(path.stem, "figure")  # one figure: the model is named by its file
    lowered = lower_figures(figures, name=name)
    text = papercc.format(lowered.module)
    shown = output or "<stdout>"
    result = check_module(papercc.parse(text, filename=shown), holes="warning")
    for g in result.graphs.values():
        report(
            f"model {g.name}: {len(g.nodes)} layers, inputs "
            + ", ".join(f"{v.name}: {v.type}" for v in g.inputs)
        )
    for b in lowered.stubs:
        report(f"block {b}: body not in the figure(s), a stub (identity)")
    counts: dict[str, int] = {}
    for f in lowered.findings:
        if f.severity == "warning":
            counts[f.message] = counts.get(f.message, 0) + 1
    for message, n in counts.items():
        report(f"warning: {message}" + (f" (x{n})" if n > 1 else ""))
    holes = [d for d in result.diagnostics if d.code == "hole"]
    for d in holes[:_MAX_LISTED]:
        report(f"hole: {d.location()}: {d.message}")
    if len(holes) > _MAX_LISTED:
        report(f"... and {len(holes) - _MAX_LISTED} more holes")
    errors = [d for d in result.diagnostics if d.severity == "error"]
    if output is not None:
        try:
            Path(output).parent.mkdir(parents=True, exist_ok=True)
            from papercc.fileio import write_atomic

            write_atomic(output, text)
        except OSError as exc:
            _fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_USAGE)
    else:
        click.echo(text, nl=False)
    if errors:
        color = use_color(sys.stderr)
        click.echo(render(errors, {shown: text}, color=color), err=True, color=color)
        report(f"compiled with {len(errors)} error(s): the figure was read but does not check")
        sys.exit(EXIT_DIAGNOSTICS)
    state = f"{len(holes)} hole(s) left (`papercc check --allow-holes`)" if holes else "no holes"
    report(f"compiled: {state}" + (f"; wrote {output}" if output else ""))
    sys.exit(EXIT_OK)
