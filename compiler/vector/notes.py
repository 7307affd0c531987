"""Free text that is no layer: size notes, notes on arrows, and `×N` on group frames.

Why: figures write tensor sizes (`28×28×64`, `64@28×28`, `(64, 28, 28)`, `1000`)
beside a box on any side or on the arrow between two boxes, and mark a repeated
group with a frame (often dashed) labelled `×N`. None of that is a layer, and
none of it may become a node or break an edge; the reader reports each such text
block as a `DiagramNote` and lowering decides what it states.

What the vector reader reports (`Diagram.notes`):
- every free label (words outside every box, grouped) that no connector ends at,
  that is no legend entry's text and that can state a size (`is_note`: short, with
  a number: `28×28×64`, `64@28×28`, `(64, 28, 28)`, `1000`, `stride=2`, `output
  size: 56`; not sub-figure titles, body text or words like "relu"), in any
  orientation, with its own bbox;
  `edge=(src, dst)` when it sits on the connector between two nodes (beside the
  straight line from one box to the other, in the gap between them); `node` is
  left to lowering's attachment by geometry;
- a repeat mark `×N` (also written `xN`, `N×`) on or just outside a group frame
  (a box that holds other boxes): `DiagramNote(text="×N", bbox=<the frame>)`,
  node and edge None. The frame's bbox says which boxes repeat (those inside it).
"""

from __future__ import annotations

import math

from papercc.compiler.diagram.graph import DiagramNote
from papercc.compiler.diagram.notes import straight_way
from papercc.compiler.diagram.repeats import repeat_count
from papercc.compiler.vector.geometry import BBox
from papercc.compiler.vector.text import Label

_ON_ARROW = 4.0  # pt: how far beyond its own half-extent a note may be from an arrow
_NOTE_CHARS = 48  # a size note is short...
_NOTE_WORDS = 6  # ...a few words at most (no sentence of body text)
_CLEAR = 2.0  # pt: a note on an arrow keeps at least this far from both boxes along it


def is_note(text: str) -> bool:
    """Text that may state a size or a count: a number in a few words."""
    return (
        any(c.isdigit() for c in text)
        and len(text) <= _NOTE_CHARS
        and len(text.split()) <= _NOTE_WORDS
    )


def _centre(r: BBox) -> tuple[float, float]:
    return ((r[0] + r[2]) / 2, (r[1] + r[3]) / 2)


def _inside(p, r: BBox, slack: float = 0.0) -> bool:
    return r[0] - slack <= p[0] <= r[2] + slack and r[1] - slack <= p[1] <= r[3] + slack


def _frame_of(lb: Label, frames: list[BBox]) -> BBox | None:
    """The smallest frame the label lies in, or just outside of (a corner mark)."""
    c = _centre(lb.bbox)
    reach = max(6.0, 2 * min(lb.bbox[2] - lb.bbox[0], lb.bbox[3] - lb.bbox[1]))
    best = None
    for f in frames:
        if _inside(c, f, reach):
            area = (f[2] - f[0]) * (f[3] - f[1])
            if best is None or area < best[0]:
                best = (area, f)
    return best[1] if best else None


def _span(r: BBox, ux: float, uy: float) -> tuple[float, float]:
    """The extent of r along the direction (ux, uy)."""
    ps = [x * ux + y * uy for x in (r[0], r[2]) for y in (r[1], r[3])]
    return min(ps), max(ps)


def _on_edge(r: BBox, edges, bbox_of: dict[int, BBox]) -> tuple[int, int] | None:
    """The edge whose straight connector the note sits beside, wholly in the gap
    between its two boxes (a note beside a box is not on an arrow)."""
    c = _centre(r)
    best = None
    for u, v in edges:
        a, b = bbox_of[u], bbox_of[v]
        if _inside(c, a) or _inside(c, b):
            continue
        if not straight_way(a, b, [o for k, o in bbox_of.items() if k not in (u, v)]):
            continue  # an elbow, a curve, or a skip around boxes: not the straight line
        pa, pb = _centre(a), _centre(b)
        dx, dy = pb[0] - pa[0], pb[1] - pa[1]
        ll = dx * dx + dy * dy
        if ll == 0:
            continue
        t = ((c[0] - pa[0]) * dx + (c[1] - pa[1]) * dy) / ll
        if not 0.0 < t < 1.0:
            continue
        foot = (pa[0] + t * dx, pa[1] + t * dy)
        if _inside(foot, a, 1.0) or _inside(foot, b, 1.0):
            continue
        n = math.sqrt(ll)
        ux, uy = dx / n, dy / n
        lo, hi = _span(r, ux, uy)
        if lo < _span(a, ux, uy)[1] + _CLEAR or hi > _span(b, ux, uy)[0] - _CLEAR:
            continue  # not clear of both boxes: beside (or on) one of them
        nx, ny = -uy, ux
        half = (abs((r[2] - r[0]) * nx) + abs((r[3] - r[1]) * ny)) / 2
        d = math.hypot(c[0] - foot[0], c[1] - foot[1]) - half
        if d <= _ON_ARROW and (best is None or d < best[0]):
            best = (d, (u, v))
    return best[1] if best else None


def read_notes(
    labels: list[Label],
    frames: list[BBox],
    edges: list[tuple[int, int]],
    bbox_of: dict[int, BBox],
) -> tuple[DiagramNote, ...]:
    """Notes from the free labels that are no node (legend text already left out):
    repeat marks of group frames, then the size notes with the edge they sit on, if
    any."""
    out = []
    for lb in labels:
        n = repeat_count(lb.text)
        frame = _frame_of(lb, frames) if n is not None else None
        if frame is not None:
            out.append(DiagramNote(f"×{n}", tuple(round(v, 2) for v in frame)))
            continue
        if not is_note(lb.text):
            continue
        bb = tuple(round(v, 2) for v in lb.bbox)
        out.append(DiagramNote(lb.text, bb, edge=_on_edge(lb.bbox, edges, bbox_of)))
    out.sort(key=lambda n: (n.bbox[1], n.bbox[0], n.text))
    return tuple(out)
