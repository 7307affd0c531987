"""Group frames marked `×N`: the boxes inside the frame are drawn once and meant N times.

Why: papers draw a repeated stage once, inside a frame (often dashed), and write `×3`
beside it (ResNet-style stages, Transformer encoders, "N × Mixer layer"). Readers report
the mark as a `DiagramNote` whose text is the mark and whose bbox is the frame (node and
edge None); `expand_repeats` unrolls the framed boxes into N copies in a chain, so that
lowering sees the network as meant.

A frame is unrolled only when its boxes are one piece a tensor passes through: one box
outside feeds it (once or more, e.g. also a residual add inside), and one box inside
feeds what follows. Otherwise it is left drawn once, and the reason is said.
"""

from __future__ import annotations

import re
from dataclasses import replace

from papercc.compiler.diagram.graph import Diagram, DiagramEdge, DiagramNode, DiagramNote

__all__ = ["expand_repeats", "repeat_count"]

_REPEAT = re.compile(r"^\s*(?:[×xX]\s*(\d{1,3})|(\d{1,3})\s*[×xX])\s*$")
MAX_REPEAT = 64  # a larger mark is more likely a size misread than a repeat


def repeat_count(text: str) -> int | None:
    """N of a repeat mark (`×3`, `x3`, `3×`), else None."""
    m = _REPEAT.match(text)
    if not m:
        return None
    n = int(m.group(1) or m.group(2))
    return n if n >= 1 else None


def _inside(node: DiagramNode, frame) -> bool:
    cx, cy = (node.bbox[0] + node.bbox[2]) / 2, (node.bbox[1] + node.bbox[3]) / 2
    return frame[0] <= cx <= frame[2] and frame[1] <= cy <= frame[3]


def expand_repeats(diagram: Diagram) -> tuple[Diagram, list[str]]:
    """The diagram with every `×N` group frame unrolled, and what was said about each."""
    said: list[str] = []
    for note in diagram.notes:
        n = repeat_count(note.text) if note.node is None and note.edge is None else None
        if n is None or n == 1:
            continue
        if n > MAX_REPEAT:
            said.append(f"group frame marked '{note.text}': more than {MAX_REPEAT}; drawn once")
            continue
        diagram, message = _unroll(diagram, note, n)
        said.append(message)
    return diagram, said


def _unroll(diagram: Diagram, note: DiagramNote, n: int) -> tuple[Diagram, str]:
    members = [x.id for x in diagram.nodes if _inside(x, note.bbox)]
    inside = set(members)
    ins = [e for e in diagram.edges if e.dst in inside and e.src not in inside]
    outs = [e for e in diagram.edges if e.src in inside and e.dst not in inside]
    feeders = {e.src for e in ins}
    exits = {e.src for e in outs}
    what = f"group frame marked '{note.text}' around {len(members)} box(es)"
    if not members:
        return diagram, f"{what}: holds no box; ignored"
    if len(feeders) != 1 or len(exits) != 1:
        return diagram, f"{what}: not one way in and one way out; drawn once"
    (exit_id,) = exits
    internal = [e for e in diagram.edges if e.src in inside and e.dst in inside]
    dx, dy = _step(diagram.direction, note.bbox)
    next_id = max(x.id for x in diagram.nodes) + 1
    by_id = {x.id: x for x in diagram.nodes}
    nodes, edges = list(diagram.nodes), [e for e in diagram.edges if e not in outs]
    last = exit_id
    for copy in range(1, n):
        ids = {m: next_id + i for i, m in enumerate(members)}
        next_id += len(members)
        for m in members:
            x0, y0, x1, y1 = by_id[m].bbox
            moved = (x0 + copy * dx, y0 + copy * dy, x1 + copy * dx, y1 + copy * dy)
            nodes.append(replace(by_id[m], id=ids[m], bbox=moved))
        edges += [DiagramEdge(ids[e.src], ids[e.dst], e.confidence) for e in internal]
        edges += [DiagramEdge(last, ids[e.dst], e.confidence) for e in ins]
        last = ids[exit_id]
    edges += [DiagramEdge(last, e.dst, e.confidence) for e in outs]
    kept = tuple(x for x in diagram.notes if x is not note)
    unrolled = replace(diagram, nodes=tuple(nodes), edges=tuple(edges), notes=kept)
    return unrolled, f"{what}: repeated {n} times"


def _step(direction: str, frame) -> tuple[float, float]:
    """Where a copy is placed: one frame further along the flow (copies are never drawn;
    their place only keeps the reading order)."""
    w, h = frame[2] - frame[0], frame[3] - frame[1]
    return {
        "right": (w, 0.0),
        "left": (-w, 0.0),
        "up": (0.0, -h),
    }.get(direction, (0.0, h))
