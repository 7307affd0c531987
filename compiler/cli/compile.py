"""`papercc compile`: a figure (PNG/JPEG) or figures of a PDF -> DLIR.

Exit codes (`problems.EXIT_CODES`): 0 a model compiled (holes allowed: they are listed),
1 the lowered model does not check, 2 unreadable or corrupt input, or options that do not
fit it, 4 no box diagram found, or none whose boxes read as layers. The output file is written atomically and only when a
model compiled. Problems are diagnostics: `figure.png: warning: ...  [assumed]`,
`paper.pdf: page 3, figure 2: ...`, `out.dlir:12:5: warning: ...  [hole]`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

import papercc
from papercc.compiler.cli.main import main
from papercc.compiler.cli.problems import (
    EXIT_DIAGNOSTICS,
    EXIT_NO_MODEL,
    EXIT_OK,
    EXIT_USAGE,
    exit_codes_text,
    fail,
    problem,
    report,
    write_output,
)
from papercc.compiler.lower.figure import (
    FigureFinding,
    FigureInput,
    InputError,
    UsageError,
    figures_from_image,
    figures_from_pdf,
    lower_figures,
)
from papercc.compiler.lower.layers import identifier
from papercc.compiler.raster.ocr import Ocr
from papercc.ir.check import check_module
from papercc.ir.diagnostics import Diagnostic

_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}
_MAX_LISTED = 12  # holes and warnings listed one per line; the rest are counted


def _read(
    path: Path, page: int | None, figure: int | None, debug: bool, ocr: Ocr | None
) -> list[FigureInput]:
    suffix = path.suffix.lower()
    if suffix in _IMAGE_SUFFIXES:
        if page is not None or figure is not None:
            raise UsageError("--page and --figure apply to PDF input only", path)
        return figures_from_image(path, ocr or Ocr())
    if suffix == ".pdf":
        return figures_from_pdf(
            path, page=page, figure=figure, raster=ocr is not None, images=debug, ocr=ocr
        )
    raise UsageError(
        f"unsupported input type '{path.suffix or path.name}' (want .pdf, .png, .jpg)", path
    )


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


@main.command(epilog=exit_codes_text(EXIT_OK, EXIT_DIAGNOSTICS, EXIT_USAGE, EXIT_NO_MODEL))
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
@click.option(
    "--ocr/--no-ocr",
    default=True,
    show_default=True,
    help="PDF: also read raster figures (embedded images, regions without vector drawings) "
    "with OCR; on by default, so --ocr is accepted and changes nothing.",
)
@click.option("--figures-only", is_flag=True, help="A PDF: only its figures (no tables, no merge).")
@click.option(
    "--strict",
    is_flag=True,
    help="Only what the figure writes: no conventions (pooling stride = window, 3 channels "
    "for an image input, ...); values its size notes imply are still taken. What nothing "
    "states stays a `?` hole. A figure compile (an image, or a PDF with --page/--figure).",
)
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
    strict: bool,
) -> None:
    """Compile a paper (PDF), a page of it, or a figure (PNG/JPEG) into DLIR.

    A PDF without --page/--figure is compiled whole: architecture tables and model figures
    of every page (or --pages), classified, lowered and merged.

    Box text becomes layers, arrows the data flow. What a box does not say is taken from
    what the figure implies (size notes), then from the frameworks' conventions, each value
    said in a comment beside its layer and listed; what nothing implies is a `?` hole.
    A figure whose boxes are mostly not understood is no model (exit 4). Without -o the
    DLIR goes to stdout and the report to stderr. Raster figures of a PDF (embedded
    images, regions without vector drawings) are rendered and read with OCR, unless
    --no-ocr.
    """
    path = Path(input_path)
    if output is not None and Path(output).resolve() == path.resolve():
        fail([problem(path, "usage", "the output would overwrite the input; choose another -o")])
    whole_paper = (
        path.suffix.lower() == ".pdf" and page is None and figure is None and not figures_only
    )
    if strict and whole_paper:
        message = "--strict applies to a figure compile (an image, or --page/--figure)"
        fail([problem(path, "usage", message)])
    if whole_paper and debug_dir is None:
        from papercc.compiler.cli.paper import run_paper_compile

        sys.exit(run_paper_compile(path, output, pages, report_path, jobs, ocr))
    if pages or report_path:
        message = "--pages and --report apply to a whole-paper compile"
        fail([problem(path, "usage", message)])
    info = (lambda s: click.echo(s, err=True)) if output is None else click.echo
    with Ocr() as engines:
        try:
            figures = _read(path, page, figure, debug_dir is not None, engines if ocr else None)
        except InputError as exc:
            fail([exc.diagnostic()])
    if debug_dir is not None:
        try:
            _write_debug(debug_dir, path, figures)
        except OSError as exc:
            fail([problem(debug_dir, "io", f"cannot write debug output: {exc.strerror or exc}")])
    _say_what_was_read(figures, info)
    if not any(f.diagram.edges for f in figures):
        what = "no figure" if not figures else "no box diagram (no arrows found)"
        fail([problem(path, "no-model", f"{what}; nothing to compile")], code=EXIT_NO_MODEL)
    if name is None and path.suffix.lower() in _IMAGE_SUFFIXES:
        name = identifier(path.stem, "figure")  # one figure: the model is named by its file
    sys.exit(_lower_and_write(path, figures, name, output, info, strict))


def _say_what_was_read(figures, info) -> None:
    for f in figures:
        where = f"page {f.page}, " if f.page else ""
        d = f.diagram
        boxes = sum(1 for n in d.nodes if n.shape != "junction")
        joins = len(d.nodes) - boxes
        info(
            f"{f.name} ({where}{d.source.get('parser', '?')}): {boxes} boxes, "
            f"{joins} junctions, {len(d.edges)} arrows, flow {d.direction}"
        )


def _lower_and_write(
    path: Path, figures, name: str | None, output: str | None, info, strict: bool = False
) -> int:
    """Lower the figures to one module, check it, write it and report; the exit code."""
    lowered = lower_figures(figures, name=name, strict=strict)
    if not lowered.module.models:  # every part dropped: its boxes are not understood
        dropped = _lowering_problems(path, lowered, lowered.module)
        message = "no model: the boxes of the figure(s) are not understood as layers"
        fail([*dropped, problem(path, "no-model", message)], code=EXIT_NO_MODEL)
    text = papercc.format(lowered.module)
    shown = output or "<stdout>"
    module = papercc.parse(text, filename=shown)
    result = check_module(module, holes="warning")
    for g in result.graphs.values():
        info(
            f"model {g.name}: {len(g.nodes)} layers, inputs "
            + ", ".join(f"{v.name}: {v.type}" for v in g.inputs)
        )
    problems = _lowering_problems(path, lowered, module)
    holes = [d for d in result.diagnostics if d.code == "hole"]
    problems += holes[:_MAX_LISTED]
    errors = [d for d in result.diagnostics if d.severity == "error"]
    problems += errors
    if output is not None:
        write_output(output, text, make_parents=True)
    else:
        click.echo(text, nl=False)
    report(problems, {shown: text}, carets=("error",))
    if len(holes) > _MAX_LISTED:
        info(f"... and {len(holes) - _MAX_LISTED} more holes")
    if errors:
        info(f"compiled with {len(errors)} error(s): the figure was read but does not check")
        return EXIT_DIAGNOSTICS
    state = f"{len(holes)} hole(s) left (`papercc check --allow-holes`)" if holes else "no holes"
    assumed = sum(1 for f in lowered.findings if f.code == "assumed")
    unread = sum(1 for f in lowered.findings if f.code == "not-understood")
    if assumed > _MAX_LISTED:
        info(f"... and {assumed - _MAX_LISTED} more values assumed")
    if assumed:
        state += f"; {assumed} value(s) assumed (see the comments in the DLIR)"
    if unread:
        state += f"; {unread} box(es) not understood (identity)"
    info(f"compiled: {state}" + (f"; wrote {output}" if output else ""))
    return EXIT_OK


def _lowering_problems(path: Path, lowered, module) -> list[Diagnostic]:
    """What lowering assumed (one warning per figure and message, counted) and the blocks
    left as stubs (at their definition in the output)."""
    counts: dict[tuple, int] = {}
    said = 0
    for f in lowered.findings:
        if f.severity == "warning" or (f.code == "assumed" and said < _MAX_LISTED):
            said += f.severity != "warning"
            place = f.place if isinstance(f, FigureFinding) else None
            key = (place, f.message, f.severity, f.code)
            counts[key] = counts.get(key, 0) + 1
    out = [
        problem(
            path,
            "no-model" if code == "not-a-model" else "assumed",
            message + (f" (x{n})" if n > 1 else ""),
            place,
            severity,
        )
        for (place, message, severity, code), n in counts.items()
    ]
    for b in lowered.stubs:
        d = module.get(b)
        out.append(
            problem(
                path,
                "stub",
                f"block {b}: body not in the figure(s), a stub (identity)",
                severity="warning",
                span=d.span if d is not None else None,
            )
        )
    return out
