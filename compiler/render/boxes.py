"""Which boxes a rendered diagram draws for a graph, and the edges between them.

Papers draw conv + BN + ReLU as one box, leave out flatten, draw an addition as a "+" in
a circle. `diagram_boxes` makes those choices (from the `Style`) and keeps, for each box,
the layers it stands for, so the render's ground truth can say what every box means.
Edges between boxes are the graph's data flow with omitted layers passed through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from papercc.compiler.render.labels import Label, box_label, input_phrase
from papercc.compiler.render.style import Style
from papercc.ir.graph import Graph, Node, Value
from papercc.ir.registry import OPS

__all__ = ["Box", "Boxes", "diagram_boxes", "window", "wrap_label"]

# Layers papers write into the label of the box before them.


def _inline(op: str) -> bool:
    """Is the op drawn inside the box of the layer before it (BN, activations)?"""
    return OPS[op].drawing.inline


def _circle(op: str) -> bool:
    """Is the op drawn as a "+" circle when the style draws merges as circles?"""
    return OPS[op].drawing.symbol == "+"


_MAX_MERGED = 3


@dataclass(frozen=True)
class Box:
    """One drawn box: the graph layers (or model input) it stands for and its label."""

    id: int
    layers: tuple[str, ...]  # graph node names, in flow order; () for an input box
    ops: tuple[tuple[str, dict], ...]  # (op, attrs) per layer; ("input", {"shape": ...})
    label: Label
    shape: str  # "rect" | "rounded" | "circle"
    kind: str  # op of the box's first layer (colours), "input" for inputs
    input_name: str | None = None
    out_shape: tuple = ()  # type of what leaves the box (for shape notes on edges)


@dataclass(frozen=True)
class Boxes:
    boxes: tuple[Box, ...]
    edges: tuple[tuple[int, int], ...]  # (src box id, dst box id), data flow


def _greedy(tokens: list[str], seps: list[str], width: int) -> list[str]:
    lines, line = [], tokens[0]
    for sep, tok in zip(seps, tokens[1:], strict=True):
        if len(line) + len(sep) + len(tok) <= width:
            line += sep + tok
        else:
            lines.append(line + sep.rstrip() if sep == ", " else line)
            line = "+ " + tok if sep == " + " else tok
    return [*lines, line]


def wrap_label(text: str, width: int) -> list[str]:
    """Break a label into lines of at most `width` chars, at ", " or " + " first, then at
    spaces (0: one line). Joining the lines with single spaces gives the text back."""
    if width <= 0 or len(text) <= width:
        return [text]
    parts = re.split(r"(, | \+ )", text)
    lines = _greedy(parts[0::2], parts[1::2], width)
    out: list[str] = []
    for line in lines:
        if len(line) <= width or " " not in line:
            out.append(line)
        else:
            words = line.split(" ")
            out.extend(_greedy(words, [" "] * (len(words) - 1), width))
    return out


def window(graph: Graph, first: int, count: int) -> Graph:
    """The part of a graph a block figure shows: `count` layers from index `first`, fed by
    the values that enter it from outside (drawn as input boxes)."""
    if first < 0 or count < 1 or first >= len(graph.nodes):
        raise ValueError(f"window {first}:{first + count} is outside the {len(graph.nodes)} layers")
    nodes = graph.nodes[first : first + count]
    inside = {id(n) for n in nodes}
    inputs: dict[int, Value] = {}
    for node in nodes:
        for v in node.inputs:
            if v.producer is None or id(v.producer) not in inside:
                inputs.setdefault(id(v), v)
    name = f"{graph.name}[{first}:{first + len(nodes)}]"
    return Graph(name, list(inputs.values()), list(nodes[-1].outputs), list(nodes), graph.span)


def _consumers(graph: Graph) -> dict[int, int]:
    count: dict[int, int] = {}
    for node in graph.nodes:
        for v in node.inputs:
            count[id(v)] = count.get(id(v), 0) + 1
    for v in graph.outputs:
        count[id(v)] = count.get(id(v), 0) + 2  # an output is never merged past
    return count


class _Builder:
    def __init__(self, graph: Graph, style: Style) -> None:
        self.graph, self.style = graph, style
        self.consumers = _consumers(graph)
        self.layers: list[list[Node]] = []  # per box: its nodes
        self.inputs: list[Value | None] = []  # per box: the model input it draws
        self.box_of_node: dict[int, int] = {}
        self.alias: dict[int, int | None] = {}  # omitted node -> box its data comes from

    def value_box(self, value: Value) -> int | None:
        for i, v in enumerate(self.inputs):
            if v is value:
                return i
        if value.producer is None:
            return None
        key = id(value.producer)
        return self.alias[key] if key in self.alias else self.box_of_node.get(key)

    def can_merge(self, node: Node) -> int | None:
        if not self.style.merge or not _inline(node.op) or len(node.inputs) != 1:
            return None
        value = node.inputs[0]
        prev = value.producer
        if prev is None or len(prev.outputs) != 1 or self.consumers.get(id(value), 0) != 1:
            return None
        if id(prev) in self.alias:
            return None
        box = self.box_of_node.get(id(prev))
        if box is None or self.layers[box][-1] is not prev or len(self.layers[box]) >= _MAX_MERGED:
            return None
        head = self.layers[box][0].op
        if OPS[head].drawing.symbol and self.style.add_circle or _inline(head):
            return None
        return box

    def build(self) -> None:
        if self.style.show_input:
            for value in self.graph.inputs:
                self.layers.append([])
                self.inputs.append(value)
        for node in self.graph.nodes:
            if node.op in self.style.omit and len(node.inputs) == 1:
                self.alias[id(node)] = self.value_box(node.inputs[0])
                continue
            box = self.can_merge(node)
            if box is None:
                box = len(self.layers)
                self.layers.append([])
                self.inputs.append(None)
            self.layers[box].append(node)
            self.box_of_node[id(node)] = box

    def edges(self) -> list[tuple[int, int]]:
        seen: dict[tuple[int, int], None] = {}
        for box, nodes in enumerate(self.layers):
            for node in nodes:
                for value in node.inputs:
                    src = self.value_box(value)
                    if src is not None and src != box:
                        seen[(src, box)] = None
        return list(seen)


def diagram_boxes(graph: Graph, style: Style) -> Boxes:
    """The boxes and edges `style` draws for `graph`."""
    b = _Builder(graph, style)
    b.build()
    boxes = []
    for i, nodes in enumerate(b.layers):
        value = b.inputs[i]
        if value is not None:
            shape = tuple(value.type.shape) if style.input_shape else ()
            text, stated = input_phrase(shape, style.phrasing)
            if style.lower:
                text = text.lower()
            label = Label(text, (("input", tuple(sorted(stated.items()))),))
            boxes.append(
                Box(
                    i,
                    (),
                    (("input", {"shape": tuple(value.type.shape)}),),
                    label,
                    "rounded" if style.shape == "rounded" else "rect",
                    "input",
                    value.name,
                    tuple(value.type.shape),
                )
            )
            continue
        ops = tuple((n.op, dict(n.attrs)) for n in nodes)
        label = box_label(list(ops), style.phrasing, style.joiner, style.lower)
        head = nodes[0].op
        circle = _circle(head) and style.add_circle and len(nodes) == 1
        if circle:
            label = Label("+", label.layers, label.readable)
        shape = "circle" if circle else style.shape
        out = tuple(nodes[-1].outputs[0].type.shape) if nodes[-1].outputs else ()
        boxes.append(Box(i, tuple(n.name for n in nodes), ops, label, shape, head, None, out))
    return Boxes(tuple(boxes), tuple(b.edges()))
