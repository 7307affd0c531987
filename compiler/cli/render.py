"""`papercc render`: draw a DLIR model as a 2D-box diagram (PNG, JPEG, SVG or PDF)."""

from __future__ import annotations

from pathlib import Path

import click

from papercc.compiler.cli.main import load_checked, main, pick_graphs
from papercc.compiler.cli.problems import write_output

_SUFFIXES = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".svg": "svg", ".pdf": "pdf"}


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, help="Output file: .png, .jpg, .svg or .pdf.")
@click.option("--model", help="Draw this model of the module (default: the first).")
@click.option(
    "--style",
    "style_name",
    type=click.Choice(["vertical", "horizontal", "random"]),
    default="vertical",
    show_default=True,
    help="Look of the figure; `random` draws one from --seed.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --style random.")
@click.option(
    "--layers",
    "span",
    metavar="START:STOP",
    help="Draw only layers START..STOP-1 (in source order), as a block figure.",
)
@click.option("--names", is_flag=True, help="Write each box's layer name above its label.")
@click.option("--truth", type=click.Path(dir_okay=False), help="Also write what was drawn (JSON).")
def render(
    file: str,
    output: str,
    model: str | None,
    style_name: str,
    seed: int,
    span: str | None,
    names: bool,
    truth: str | None,
) -> None:
    """Draw the model in FILE as a box diagram; the format follows the suffix of -o.

    Holes (`?`) are allowed and drawn as "?" in the labels."""
    from papercc.compiler.render.draw import render as draw
    from papercc.compiler.render.draw import truth_json
    from papercc.compiler.render.style import style_named

    fmt = _SUFFIXES.get(Path(output).suffix.lower())
    if fmt is None:
        raise click.UsageError(
            f"cannot tell the format of {output!r}: use .png, .jpg, .svg or .pdf"
        )
    result, _ = load_checked(file, holes="warning", model=model)
    graph = pick_graphs(result, model, file)[0]
    if span is not None:
        from papercc.compiler.render.boxes import window

        start, sep, stop = span.partition(":")
        try:
            first, last = int(start or 0), int(stop) if stop else len(graph.nodes)
            if not sep:
                raise ValueError(span)
            graph = window(graph, first, last - first)
        except ValueError:
            raise click.UsageError(
                f"--layers {span!r}: want START:STOP within the {len(graph.nodes)} layers"
            ) from None
    rendered = draw(graph, style_named(style_name, seed), fmt, show_names=names)
    for path, data in (
        (output, rendered.data),
        (truth, truth_json(rendered.truth) if truth else None),
    ):
        if path is not None:
            write_output(path, data)
    boxes, edges = len(rendered.truth["boxes"]), len(rendered.truth["edges"])
    click.echo(f"wrote {output} ({graph.name}: {boxes} boxes, {edges} edges)", err=True)
