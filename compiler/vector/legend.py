"""Legends that name operations by arrow colour (U-Net: blue = "conv 3x3, ReLU").

Why: some figures draw every operation as the same arrow in a different colour
and explain the colours in a legend. A legend entry is a short coloured arrow
that touches no box, with a row of text right after it; edges whose lines have
that colour take the entry's text as their label.
"""

from __future__ import annotations

from dataclasses import dataclass

from papercc.compiler.vector.geometry import (
    Arrowhead,
    BBox,
    Grid,
    Stroke,
    bbox_of,
    polyline_length,
    rect_dist,
)
from papercc.compiler.vector.text import Word

_MAX_LEN = 25.0  # pt: legend arrows are short
_COLOR_TOL = 0.06  # per RGB channel


@dataclass(frozen=True)
class LegendEntry:
    color: tuple
    text: str
    bbox: BBox


def _same(a, b) -> bool:
    return (
        a is not None
        and b is not None
        and max(abs(x - y) for x, y in zip(a, b, strict=True)) <= _COLOR_TOL
    )


def find_legend(
    strokes: list[Stroke],
    heads: list[Arrowhead],
    boxes: list[BBox],
    words: list[Word],
    reach: float,
) -> list[LegendEntry]:
    """Legend entries among the strokes; `reach`: how near a box counts as touching."""
    out: list[LegendEntry] = []
    bidx = Grid()
    for i, r in enumerate(boxes):
        bidx.add(i, r)

    def touches(p) -> bool:
        return any(rect_dist(p, boxes[i]) <= reach for i in bidx.near(p, reach))

    for s in strokes:
        if s.color is None or polyline_length(s.points) > _MAX_LEN:
            continue
        if touches(s.points[0]) or touches(s.points[-1]):
            continue
        bb = bbox_of(s.points)
        for h in heads:
            if _same(h.color, s.color) and rect_dist(h.centre, bb) <= h.size + 1:
                bb = bbox_of(list(h.corners) + [(bb[0], bb[1]), (bb[2], bb[3])])
        if touches((bb[0], bb[1])) or touches((bb[2], bb[3])):
            continue
        text = _row_after(bb, words)
        if text and not any(_same(e.color, s.color) for e in out):
            out.append(LegendEntry(s.color, text, bb))
    return out


def _row_after(bb: BBox, words: list[Word]) -> str:
    """The words of the text row that starts just right of bb."""
    first = None
    for w in words:
        cy = w.centre[1]
        if bb[2] - 1 <= w.bbox[0] <= bb[2] + 10 and bb[1] - 4 <= cy <= bb[3] + 4:
            if first is None or w.bbox[0] < first.bbox[0]:
                first = w
    if first is None:
        return ""
    row = [first]
    h = first.height
    for w in sorted(words, key=lambda w: w.bbox[0]):
        if w.bbox[0] <= row[-1].bbox[0] or abs(w.centre[1] - first.centre[1]) > 0.5 * h:
            continue
        if w.bbox[0] - row[-1].bbox[2] > 1.5 * h:
            break
        row.append(w)
    return " ".join(w.text for w in row)


def label_for(color, legend: list[LegendEntry]) -> str:
    for e in legend:
        if _same(color, e.color):
            return e.text
    return ""


def hex_color(c: tuple) -> str:
    return "#" + "".join(f"{max(0, min(255, round(v * 255))):02x}" for v in c)
