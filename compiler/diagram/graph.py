"""The graph a figure parser finds: labelled boxes joined by directed edges.

Raster (OpenCV + OCR) and vector (PDF drawing commands) parsers both produce a
`Diagram`; lowering to DLIR reads only this, so the two parsers are interchangeable.
Coordinates are in the source's own units (pixels for images, PDF points for pages),
origin top-left, y down.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BBox = tuple[float, float, float, float]  # x0, y0, x1, y1


@dataclass(frozen=True)
class DiagramNode:
    """One box (or circle, or free label acting as a node) and the text read inside it."""

    id: int
    text: str
    bbox: BBox
    shape: str = "rect"  # "rect" | "rounded" | "circle" | "ellipse" | "text" | "other"
    confidence: float = 1.0  # 1.0 for vector text; OCR confidence in [0, 1] for raster


@dataclass(frozen=True)
class DiagramEdge:
    """A directed connection, src feeds dst."""

    src: int
    dst: int
    confidence: float = 1.0


@dataclass(frozen=True)
class DiagramNote:
    """Text of the figure that is no layer: a tensor-size note (`28×28×64`, `56x56`,
    `64@14×14`, `1000`) beside a box or on an arrow.

    Readers report every such block with its bbox; `edge` is set when the reader knows
    the connector the note is written on (the note then states the edge source's
    output), `node` when it knows the box the note belongs to. Unattached notes are
    attached by geometry when the diagram is lowered (`diagram.notes.attach`).
    """

    text: str
    bbox: BBox
    node: int | None = None
    edge: tuple[int, int] | None = None
    confidence: float = 1.0


@dataclass(frozen=True)
class Diagram:
    """Boxes and arrows of one figure, with where it came from (for provenance)."""

    nodes: tuple[DiagramNode, ...]
    edges: tuple[DiagramEdge, ...]
    source: dict = field(default_factory=dict, compare=False)  # file, page, figure, bbox
    direction: str = "?"  # dominant flow: "down" | "up" | "right" | "left" | "?"
    notes: tuple[DiagramNote, ...] = ()  # size notes and other annotations (no layers)

    def node(self, node_id: int) -> DiagramNode:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def successors(self, node_id: int) -> list[int]:
        return [e.dst for e in self.edges if e.src == node_id]

    def predecessors(self, node_id: int) -> list[int]:
        return [e.src for e in self.edges if e.dst == node_id]
