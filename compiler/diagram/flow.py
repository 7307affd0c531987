"""Orient a diagram drawn without arrowheads by what its boxes say.

Why: with no arrowheads a reader can only guess the flow from the layout (top-down, left to
right), and a figure drawn bottom-up then comes out reversed. Layer text settles it: a
network starts at its input ("Input 224x224x3", "image") and ends at its classifier
(softmax, fc, "output"). When the arrow-free graph's sources read as outputs and its sinks
as inputs, every edge is reversed. Arrowheads, where any were read, always win.
"""

from __future__ import annotations

from dataclasses import replace

from papercc.compiler.diagram.graph import Diagram, DiagramEdge

ARROWHEAD_CONFIDENCE = 0.99  # readers give 1.0 to an edge whose direction an arrowhead set
_FLIP = {"down": "up", "up": "down", "right": "left", "left": "right"}
_OUTPUT_OPS = frozenset({"softmax", "log_softmax", "dense", "output", "sigmoid"})


def _role(text: str) -> int:
    """+1 for an input box, -1 for an output box, 0 otherwise."""
    from papercc.compiler.phrases import parse_phrase

    if not text.strip():
        return 0
    phrase = parse_phrase(text)
    ops = [layer.op for layer in phrase.layers]
    if not phrase.recognised or not ops:
        return 0
    if ops[0] == "input":
        return 1
    if ops[-1] in _OUTPUT_OPS:
        return -1
    return 0


def orient_by_content(diagram: Diagram) -> Diagram:
    if not diagram.edges or any(e.confidence >= ARROWHEAD_CONFIDENCE for e in diagram.edges):
        return diagram
    has_in = {e.dst for e in diagram.edges}
    has_out = {e.src for e in diagram.edges}
    text = {n.id: n.text for n in diagram.nodes}
    sources = has_out - has_in
    sinks = has_in - has_out
    score = sum(_role(text.get(n, "")) for n in sources) - sum(
        _role(text.get(n, "")) for n in sinks
    )
    if score >= 0:
        return diagram
    edges = tuple(
        sorted(
            (DiagramEdge(e.dst, e.src, e.confidence) for e in diagram.edges),
            key=lambda e: (e.src, e.dst),
        )
    )
    src = dict(diagram.source)
    src["flow_from_text"] = True
    return replace(diagram, edges=edges, source=src, direction=_FLIP.get(diagram.direction, "?"))
