"""Commands that generate code and weights: gen, export, weights init, verify."""

from __future__ import annotations

from pathlib import Path

import click

from papercc.compiler.cli.main import console, load_checked, main, pick_graphs
from papercc.compiler.cli.problems import EXIT_DIAGNOSTICS, fail, problem, report, write_output


def _one_graph(file: str, model: str | None):
    result, _ = load_checked(file, model=model)
    graphs = pick_graphs(result, model, file)
    if len(graphs) > 1:
        names = ", ".join(g.name for g in graphs)
        fail([problem(file, "usage", f"several models ({names}); pick one with --model")])
    return graphs[0]


def _target_names() -> list[str]:
    from papercc.backends.targets import TARGETS

    return [t for t in TARGETS if t != "onnx"]


@main.command()
@click.argument("file", type=click.Path(dir_okay=False), required=False)
@click.option(
    "--target", "-t", type=click.Choice(_target_names()), help="Framework to generate for."
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write here (default: stdout)."
)
@click.option("--model", help="The model to generate, for a module with several.")
@click.option("--list-ops", is_flag=True, help="Show which ops each target supports, and exit.")
@click.option(
    "--weights",
    "weights_path",
    type=click.Path(dir_okay=False),
    help="caffe: also write OUTPUT's .caffemodel with these safetensors weights.",
)
def gen(
    file: str | None,
    target: str | None,
    output: str | None,
    model: str | None,
    list_ops: bool,
    weights_path: str | None,
) -> None:
    """Generate PyTorch, Keras, TensorFlow or Caffe source for a model in FILE.

    Python targets load weights themselves (`load_weights(model, path)` in the generated
    file). Caffe keeps weights in a binary .caffemodel: pass --weights with -o net.prototxt
    to write net.caffemodel beside it.
    """
    from papercc.backends.targets import target_module

    if list_ops:
        _print_coverage()
        return
    if file is None or target is None:
        raise click.UsageError("FILE and --target are required (or use --list-ops)")
    graph = _one_graph(file, model)
    try:
        module = target_module(target)
    except ImportError as exc:
        fail([problem(file, "unavailable", f"target {target} is not available: {exc}")])
    if weights_path and (target != "caffe" or not output):
        raise click.UsageError("--weights goes with --target caffe and -o NET.prototxt")
    text = module.generate(graph, file)
    if output:
        write_output(output, text)
        click.echo(f"wrote {output} ({target}, model {graph.name})", err=True)
    else:
        click.echo(text if isinstance(text, str) else text.decode(), nl=False)
    if weights_path:
        from papercc.backends.weights import check_weights, load_weights

        weights = load_weights(weights_path)
        check_weights(graph, weights, weights_path)
        binary = str(Path(output).with_suffix(".caffemodel"))
        write_output(binary, module.caffemodel_bytes(graph, weights))
        click.echo(f"wrote {binary} (weights of {weights_path})", err=True)


def _print_coverage() -> None:
    from rich.table import Table

    from papercc.backends.targets import coverage
    from papercc.ir.registry import OPS

    cov = coverage()
    table = Table(title="op coverage by target")
    table.add_column("op")
    for t in cov:
        table.add_column(t, justify="center")
    for op in OPS:
        table.add_row(op, *("yes" if op in cov[t] else "-" for t in cov))
    console().print(table)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="model.onnx")
@click.option(
    "--weights", "weights_path", type=click.Path(dir_okay=False), help="safetensors weights."
)
@click.option("--model", help="The model to export, for a module with several.")
def export(file: str, output: str, weights_path: str | None, model: str | None) -> None:
    """Export a model in FILE to ONNX (weights as initializers)."""
    from papercc.backends.onnx import target as onnx_export
    from papercc.backends.weights import check_weights, init_weights, load_weights

    graph = _one_graph(file, model)
    if weights_path:
        weights = load_weights(weights_path)
        check_weights(graph, weights, weights_path)
    else:
        weights = init_weights(graph, 0)
        message = "no --weights given: exporting random weights (seed 0)"
        report([problem(file, "random-weights", message, severity="warning", span=graph.span)])
    data = onnx_export.export_bytes(graph, weights, source=file)
    write_output(output, data)
    click.echo(f"wrote {output} (model {graph.name}, {len(data):,} bytes)", err=True)


@main.group()
def weights() -> None:
    """Make and inspect weights files (safetensors keyed by DLIR layer names)."""


@weights.command("init")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.option("--seed", default=0, show_default=True, help="Random seed.")
@click.option("--model", help="The model, for a module with several.")
def weights_init(file: str, output: str, seed: int, model: str | None) -> None:
    """Write random weights for a model in FILE, in PyTorch/ONNX layouts."""
    from papercc.backends.weights import init_weights, save_weights

    graph = _one_graph(file, model)
    tensors = init_weights(graph, seed)
    try:
        save_weights(output, tensors, {"model": graph.name, "seed": seed, "generator": "papercc"})
    except OSError as exc:
        fail([problem(output, "io", f"cannot write: {exc.strerror or exc}")])
    total = sum(int(t.size) for t in tensors.values())
    click.echo(f"wrote {output}: {len(tensors)} tensors, {total:,} values", err=True)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--targets", default=None, help="Comma-separated targets (default: all available).")
@click.option("--model", help="The model, for a module with several.")
@click.option("--seed", default=0, show_default=True)
def verify(file: str, targets: str | None, model: str | None, seed: int) -> None:
    """Run a model in every target's real runtime with one weights file; compare to PyTorch."""
    from rich.table import Table

    from papercc.backends.targets import TARGETS, available
    from papercc.backends.verify import REL_TOLERANCE
    from papercc.backends.verify import verify as run_verify

    graph = _one_graph(file, model)
    chosen = (
        available() if targets is None else [t.strip() for t in targets.split(",") if t.strip()]
    )
    unknown = [t for t in chosen if t not in TARGETS]
    if unknown:
        raise click.UsageError(f"unknown targets: {', '.join(unknown)}")
    results = run_verify(graph, chosen, seed=seed, source=file)
    table = Table(title=f"verify {graph.name} (tolerance {REL_TOLERANCE:g} relative to PyTorch)")
    for col in ("target", "result", "max abs diff", "max rel diff", "shapes", "seconds"):
        table.add_column(col, justify="right" if "diff" in col or col == "seconds" else "left")
    for r in results:
        table.add_row(
            r.target,
            "ok" if r.ok else f"FAIL{': ' + r.error[:120] if r.error else ''}",
            "-" if r.max_abs is None else f"{r.max_abs:.2e}",
            "-" if r.max_rel is None else f"{r.max_rel:.2e}",
            "ok" if r.shapes_ok else "differ",
            f"{r.seconds:.2f}",
        )
    console().print(table)
    failed = [_verify_problem(file, graph, r) for r in results if not r.ok]
    if failed:
        fail(failed, code=EXIT_DIAGNOSTICS)


def _verify_problem(file: str, graph, r):
    """A target that failed verify, as a diagnostic at the model's definition."""
    if r.error:
        why = f"does not run: {r.error}"
    elif not r.shapes_ok:
        why = "its output shapes differ from the model's (or from PyTorch's)"
    else:
        from papercc.backends.verify import REL_TOLERANCE

        why = (
            f"outputs differ from PyTorch's: max abs diff {r.max_abs:.2e}, "
            f"max rel diff {r.max_rel:.2e} > {REL_TOLERANCE:g}"
        )
    return problem(file, "verify", f"target {r.target}: {why}", span=graph.span)
