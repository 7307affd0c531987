"""Model summaries (layers, output shapes, parameter counts), as data, JSON and a rich table."""

from __future__ import annotations

from papercc.ir.graph import Graph
from papercc.ir.registry import param_count


def _non_trainable(graph: Graph) -> int | None:
    total = 0
    for node in graph.nodes:
        for w in node.weights:
            if not w.trainable:
                n = w.numel
                if n is None:
                    return None
                total += n
    return total


def summary_data(graph: Graph) -> dict:
    """The `summary --json` form of one model (see DESIGN.md)."""
    layers = []
    for node in graph.nodes:
        outs = [str(v.type) for v in node.outputs]
        layers.append(
            {
                "name": node.name,
                "op": node.op,
                "output": outs[0] if len(outs) == 1 else outs,
                "params": param_count(list(node.weights)),
            }
        )
    return {
        "name": graph.name,
        "inputs": [{"name": v.name, "type": str(v.type)} for v in graph.inputs],
        "outputs": [{"name": v.name, "type": str(v.type)} for v in graph.outputs],
        "params": graph.params,
        "non_trainable": _non_trainable(graph),
        "layers": layers,
    }


def _fmt(n: int | None) -> str:
    return "?" if n is None else f"{n:,}"


def summary_table(graph: Graph):
    """A rich Table in the manner of Keras' model.summary() and torchinfo."""
    from rich.table import Table

    data = summary_data(graph)
    table = Table(title=f"model {graph.name}", title_justify="left", show_lines=False)
    table.add_column("Layer", overflow="fold")
    table.add_column("Op")
    table.add_column("Output shape", overflow="fold")
    table.add_column("Params", justify="right")
    for v in data["inputs"]:
        table.add_row(v["name"], "input", v["type"], "0")
    for layer in data["layers"]:
        out = layer["output"] if isinstance(layer["output"], str) else ", ".join(layer["output"])
        table.add_row(layer["name"], layer["op"], out, _fmt(layer["params"]))
    table.caption = (
        f"Total params: {_fmt(data['params'])}   Trainable: {_fmt(data['params'])}   "
        f"Non-trainable (running statistics): {_fmt(data['non_trainable'])}   "
        f"Outputs: {', '.join(o['type'] for o in data['outputs'])}"
    )
    table.caption_justify = "left"
    return table
