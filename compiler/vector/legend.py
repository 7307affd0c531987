"""Legends that name operations by colour: of arrows (U-Net: blue = "conv 3x3,
ReLU") or of boxes (orange = "Conv", blue = "Pool").

Why: some figures draw every operation as the same arrow in a different colour
and explain the colours in a legend. A legend entry is a short coloured arrow
that touches no box, with a row of text right after it; edges whose lines have
that colour take the entry's text as their label. Others colour their boxes: an
entry is then a small filled swatch (square or rect, no text inside, no line
touching it) with a row of text right after it; a box filled with that colour
whose own text is empty or only numbers and sizes gets the entry's meaning
(`box_label`). Entries are not layers, and their text is no size note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from papercc.compiler.vector.geometry import (
    Arrowhead,
    BBox,
    Box,
    Grid,
    Stroke,
    bbox_of,
    polyline_length,
    rect_dist,
)
from papercc.compiler.vector.text import Word

_MAX_LEN = 25.0  # pt: legend arrows are short
_COLOR_TOL = 0.06  # per RGB channel
_SWATCH_MAX = 16.0  # pt: a box legend's swatch is small...
_SWATCH_MIN = 2.5  # pt: ...but no dot
_SIZES_ONLY = re.compile(r"^[\d\s×xX*@,;:()\[\]/.+-]*$")  # `64`, `28×28×64`, `(64, 28, 28)`


@dataclass(frozen=True)
class LegendEntry:
    color: tuple
    text: str
    bbox: BBox  # the marker (arrow or swatch)
    kind: str = "arrow"  # "arrow": names edges by line colour | "box": names boxes by fill
    words: tuple[Word, ...] = ()  # the entry's text


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
        row = _row_after(bb, words)
        if row and not any(_same(e.color, s.color) for e in out):
            out.append(LegendEntry(s.color, " ".join(w.text for w in row), bb, "arrow", row))
    return out


def find_box_legend(
    boxes: list[Box], has_text: list[bool], used: set[int], words: list[Word]
) -> tuple[list[LegendEntry], set[int]]:
    """Box-colour legend entries and the indices of their swatches: small filled boxes
    with no text inside and no line touching them (`used`: boxes a connector ends at),
    each followed by a row of text (up to the next swatch, for legends in one row).
    A colour is explained once: the first entry of a colour wins."""

    def swatch(i: int, b: Box) -> bool:
        w, h = b.bbox[2] - b.bbox[0], b.bbox[3] - b.bbox[1]
        if b.fill is None or has_text[i] or i in used:
            return False
        return _SWATCH_MIN <= min(w, h) and max(w, h) <= _SWATCH_MAX and max(w, h) <= 3 * min(w, h)

    cands = [i for i, b in enumerate(boxes) if swatch(i, b)]
    out: list[LegendEntry] = []
    swatches: set[int] = set()
    for i in cands:
        r, fill = boxes[i].bbox, boxes[i].fill
        stop = min(
            (
                boxes[j].bbox[0]
                for j in cands
                if boxes[j].bbox[0] > r[2] and boxes[j].bbox[1] < r[3] and boxes[j].bbox[3] > r[1]
            ),
            default=None,
        )
        row = _row_after(r, words, stop)
        if not row or any(_same(e.color, fill) for e in out):
            continue
        out.append(LegendEntry(fill, " ".join(w.text for w in row), r, "box", row))
        swatches.add(i)
    return out, swatches


def box_label(fill, own_text: str, legend: list[LegendEntry]) -> str | None:
    """The text of a box filled like a box-legend entry, if its own text does not
    name a layer (empty, or only numbers and sizes): the entry's text, then its own."""
    if fill is None or not _SIZES_ONLY.match(own_text):
        return None
    for kind in ("box", "arrow"):  # a swatch, else a short line of that colour
        for e in legend:
            if e.kind == kind and _same(fill, e.color):
                return f"{e.text} {own_text}".strip()
    return None


def _row_after(bb: BBox, words: list[Word], stop: float | None = None) -> tuple[Word, ...]:
    """The words of the text row that starts just right of bb (and ends before x=stop)."""
    mid = (bb[1] + bb[3]) / 2
    near = [
        w
        for w in words
        if bb[2] - 1 <= w.bbox[0] <= bb[2] + 10 and bb[1] - 4 <= w.centre[1] <= bb[3] + 4
    ]
    if not near:
        return ()
    # the row level with the swatch: in a tight column of entries the rows above and
    # below are within reach too
    first = min(near, key=lambda w: (round(abs(w.centre[1] - mid), 1), w.bbox[0]))
    row = [first]
    h = first.height
    for w in sorted(words, key=lambda w: w.bbox[0]):
        if w.bbox[0] <= row[-1].bbox[0] or abs(w.centre[1] - first.centre[1]) > 0.5 * h:
            continue
        if w.bbox[0] - row[-1].bbox[2] > 1.5 * h or (stop is not None and w.bbox[2] > stop):
            break
        row.append(w)
    return tuple(row)


def label_for(color, legend: list[LegendEntry]) -> str:
    for e in legend:
        if e.kind == "arrow" and _same(color, e.color):
            return e.text
    return ""


def hex_color(c: tuple) -> str:
    return "#" + "".join(f"{max(0, min(255, round(v * 255))):02x}" for v in c)
