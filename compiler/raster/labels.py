"""Free text blocks of a raster figure: which are labels, size notes, or line ink.

A block OCR read may be a layer label, a tensor-size note beside an arrow, or a piece
of a line or an arrowhead that looked like a glyph. These tests decide, from the
block's text and the ink around it, and which notes a connector really ends at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from papercc.compiler.diagram.graph import Diagram, DiagramEdge, DiagramNode, DiagramNote
from papercc.compiler.raster.arrows import ArrowSettings, find_touches
from papercc.compiler.raster.boxes import IBox, grown
from papercc.compiler.raster.words import circle_sign

_ARROWS = ArrowSettings()


@dataclass(frozen=True)
class LabelSettings:
    """The tunables of telling labels, size notes and line ink apart among free text
    blocks. Units: pixels (px), glyph heights of the figure (glyphs), stroke widths
    (strokes), characters, fractions."""

    # a connector that ends at a size note
    face_px: int = 1  # px beyond a stroke: the contact lies in front of the note's side
    # a glyph of a label cut off from its block
    cut_glyph_height: float = 0.6  # fraction of the label's height the piece spans
    cut_glyph_px: int = 3  # px; the piece stays this close to the label's rows
    # a line running along a label's side
    along_elongation: float = 3  # its length / thickness at least
    along_side: float = 0.8  # fraction of the side it runs along ...
    along_glyphs: float = 2  # glyphs; ... or this long at least
    # a size note that lost glyphs to a line
    cut_min_signs: int = 2  # times signs left without digits, at least
    # a crossing or a corner of lines read as a letter
    speck_glyphs: float = 0.5  # glyphs; a smaller block holds no word
    # an arrowhead broken into glyph-sized pieces between a box and a line's end
    tip_max_chars: int = 2  # characters read (spaces aside) at most
    tip_max_glyphs: float = 2  # glyphs; the block is this large at most
    tip_gap_glyphs: float = 0.8  # glyphs; the block lies this close to the box ...
    tip_overlap_px: int = 2  # px; ... or overlaps it by this much at most
    tip_reach_glyphs: float = 1.0  # glyphs; the line is looked for this far beyond it
    tip_side_px: int = 2  # px; and this far to either side (an arm of a vee head) ...
    tip_side_glyphs: float = 0.3  # glyphs; ... or this far
    tip_faint_px: float = 3  # px; faint ink this long along the approach is the line ...
    tip_faint_glyphs: float = 0.5  # glyphs; ... or this long
    # a piece of a line cut off by a note's halo
    piece_thin_strokes: float = 2  # strokes (+ piece_thin_px); a block this thin ...
    piece_thin_px: int = 1  # px
    piece_reach_px: int = 2  # px; ... with a line's end this close in line with it ...
    piece_reach_glyphs: float = 0.6  # glyphs; ... or this close
    # a size note written on an arrow
    note_reach_glyphs: float = 2.0  # glyphs beyond half its extent across the arrow's course


def annotations(diagram: Diagram, note_ids: frozenset[int]) -> set[int]:
    """The size notes that are no nodes after all: a note is a node only as an input
    drawn as text ("224×224×3" with an arrow into the first layer), so it has edges
    out only, into nodes nothing else feeds. A note with an edge in, without edges, or
    feeding a node that a layer feeds too sits beside that node's input arrow."""
    feeds: dict[int, set[int]] = {}
    for e in diagram.edges:
        feeds.setdefault(e.dst, set()).add(e.src)
    drop = set()
    for n in note_ids:
        outs = [e.dst for e in diagram.edges if e.src == n]
        if n in feeds or not outs or any(feeds[d] - note_ids for d in outs):
            drop.add(n)
    return drop


def without(diagram: Diagram, drop: set[int]) -> Diagram:
    """The diagram without the nodes `drop` and their edges; ids renumbered in order."""
    if not drop:
        return diagram
    new = {n.id: i for i, n in enumerate(k for k in diagram.nodes if k.id not in drop)}
    nodes = tuple(
        DiagramNode(new[n.id], n.text, n.bbox, n.shape, n.confidence)
        for n in diagram.nodes
        if n.id in new
    )
    edges = tuple(
        DiagramEdge(new[e.src], new[e.dst], e.confidence)
        for e in diagram.edges
        if e.src in new and e.dst in new
    )
    return Diagram(nodes, edges, diagram.source, diagram.direction)


def size_notes(
    before: Diagram,
    drop: set[int],
    after: Diagram,
    passed: list,
    char_h: float,
    settings: LabelSettings = LabelSettings(),
) -> tuple[DiagramNote, ...]:
    """Every size note of the figure as a `DiagramNote` of `after` (the diagram without
    the note nodes `drop` of `before`): the dropped note nodes, with the connector they
    were wired into when that tells one edge, and the notes no connector ended at
    (`passed`: (block, text, confidence)), with the one edge whose straight course
    between its boxes runs past them, if exactly one does. On any side of any box; the
    rest are attached by lowering."""
    new = {n.id: i for i, n in enumerate(k for k in before.nodes if k.id not in drop)}
    kept = {(e.src, e.dst) for e in after.edges}
    out = []
    for n in sorted(drop):
        node = before.node(n)
        ins = [e.src for e in before.edges if e.dst == n and e.src not in drop]
        outs = [e.dst for e in before.edges if e.src == n and e.dst not in drop]
        src = ins
        if not ins and len(outs) == 1:
            src = [e.src for e in before.edges if e.dst == outs[0] and e.src not in drop]
        dst = outs
        if not outs and len(ins) == 1:
            dst = [e.dst for e in before.edges if e.src == ins[0] and e.dst not in drop]
        edge = None
        if len(src) == 1 and len(dst) == 1 and src[0] in new and dst[0] in new:
            edge = (new[src[0]], new[dst[0]])
        out.append(
            DiagramNote(node.text, node.bbox, None, edge if edge in kept else None, node.confidence)
        )
    for blk, text, conf in passed:
        bbox = tuple(float(v) for v in blk)
        edge = edge_beside(after, bbox, settings.note_reach_glyphs * char_h)
        out.append(DiagramNote(text, bbox, None, edge, round(conf, 3)))
    return tuple(sorted(out, key=lambda t: (t.bbox[1], t.bbox[0])))


def edge_beside(diagram: Diagram, bbox: tuple, reach: float) -> tuple[int, int] | None:
    """The one edge whose straight course between its boxes' centres passes the note
    (within half the note's extent across the course and `reach` pixels), between the
    boxes; None when none or several do."""
    cx, cy = (bbox[0] + bbox[2]) / 2.0, (bbox[1] + bbox[3]) / 2.0
    hits = []
    for e in diagram.edges:
        a, b = diagram.node(e.src).bbox, diagram.node(e.dst).bbox
        ax, ay = (a[0] + a[2]) / 2.0, (a[1] + a[3]) / 2.0
        bx, by = (b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0
        dx, dy = bx - ax, by - ay
        length = float(np.hypot(dx, dy))
        if length <= 0:
            continue
        t = ((cx - ax) * dx + (cy - ay) * dy) / (length * length)
        if not 0.0 < t < 1.0:
            continue
        dist = abs((cx - ax) * dy - (cy - ay) * dx) / length
        across = abs(dy) / length * (bbox[2] - bbox[0]) + abs(dx) / length * (bbox[3] - bbox[1])
        if dist <= across / 2.0 + reach:
            hits.append((e.src, e.dst))
    return hits[0] if len(set(hits)) == 1 else None


def ended_at(
    conn: np.ndarray,
    notes: list,
    margin: int,
    stroke: float,
    char_h: float,
    settings: LabelSettings = LabelSettings(),
    arrows: ArrowSettings = _ARROWS,
) -> list:
    """The size notes a connector ends at (an input size drawn as the graph's source);
    the others sit beside a line that passes them by and are annotations, not nodes.
    `notes` are (block, text, confidence); contacts are found as `arrows` says."""
    if not notes:
        return []
    boxes = [blk for blk, _, _ in notes]
    touches, labels = find_touches(conn, boxes, [margin] * len(boxes), stroke, char_h, arrows)
    along = {
        t.node for t in touches if runs_along(labels, t, boxes[t.node], margin, char_h, settings)
    }
    hit = {
        t.node
        for t in touches
        if comes_from_afar(labels, t, boxes[t.node], margin)
        and faces(t, boxes[t.node], stroke + settings.face_px)
    }
    return [n for i, n in enumerate(notes) if i in hit - along]


def crossed(runs: np.ndarray, blk: IBox) -> bool:
    """A straight line runs right through the note, from side to side under its glyphs:
    the note is written over a connector, which goes on beyond it on both sides."""
    x0, y0, x1, y1 = blk
    win = runs[y0:y1, x0:x1] > 0
    if win.size == 0:
        return False
    return bool(win.all(axis=1).any() or win.all(axis=0).any())


def faces(t, box: IBox, tol: float) -> bool:
    """The contact's nearest pixel lies in front of the note's side (within its extent
    along that side): a line that ends at a note points at it, while a line that only
    clips the corner of the note's window passes it by."""
    x, y = t.pixel
    if t.side in ("top", "bottom"):
        return box[0] - tol <= x <= box[2] + tol
    return box[1] - tol <= y <= box[3] + tol


def ends_at_label(
    labels: np.ndarray,
    t,
    box: IBox,
    margin: int,
    char_h: float,
    direction: str,
    settings: LabelSettings = LabelSettings(),
) -> bool:
    """A connector ends at a free label unless it is a glyph of the label cut off from
    its block (say where the glyph touched a box) or merely runs along the label: a
    line the label is written beside runs with the flow, along a side parallel to it
    (a line across the flow along a label's side is a fork or a merge leaving it)."""
    if cut_off_glyph(labels, t, box, margin, settings):
        return False
    along_flow = ("left", "right") if direction in ("down", "up") else ("top", "bottom")
    return not (t.side in along_flow and runs_along(labels, t, box, margin, char_h, settings))


def contact(labels: np.ndarray, t, box: IBox, margin: int) -> tuple[np.ndarray, tuple]:
    """The touching component's pixels in the label's window (the box grown by
    `margin`), and the window's origin (x, y)."""
    x0, y0, x1, y1 = grown(box, margin, labels.shape)
    return labels[y0:y1, x0:x1] == t.component, (x0, y0)


def cut_off_glyph(
    labels: np.ndarray, t, box: IBox, margin: int, settings: LabelSettings = LabelSettings()
) -> bool:
    """A piece beside the label's first or last letter, in line with its text, as tall
    as its letters and never leaving the label's window: the rest of the word, not a
    line (lines are thin, and arrows into a label come from further away)."""
    if t.side not in ("left", "right") or comes_from_afar(labels, t, box, margin):
        return False
    win, (_, y0) = contact(labels, t, box, margin)
    ys, _ = np.nonzero(win)
    if ys.size == 0:
        return False
    top, bottom = int(ys.min()) + y0, int(ys.max()) + y0 + 1
    tall = bottom - top >= settings.cut_glyph_height * (box[3] - box[1])
    px = settings.cut_glyph_px
    return tall and top >= box[1] - px and bottom <= box[3] + px


def comes_from_afar(labels: np.ndarray, t, box: IBox, margin: int) -> bool:
    """The contact leaves the note's window: a connector, not a glyph fragment of the
    note that was left out of its text block."""
    win, _ = contact(labels, t, box, margin)
    return bool(win[0].any() or win[-1].any() or win[:, 0].any() or win[:, -1].any())


def runs_along(
    labels: np.ndarray,
    t,
    box: IBox,
    margin: int,
    char_h: float,
    settings: LabelSettings = LabelSettings(),
) -> bool:
    """The contact is a line running parallel to the note's facing side (a line the
    note is written beside): long along the side and thin across it, unlike a line
    that points at the note and ends there."""
    ys, xs = np.nonzero(contact(labels, t, box, margin)[0])
    if xs.size == 0:
        return False
    along, side_len = (
        (ys, box[3] - box[1]) if t.side in ("left", "right") else (xs, box[2] - box[0])
    )
    span = int(along.max() - along.min()) + 1
    thickness = xs.size / len(np.unique(along))
    longest = min(settings.along_side * side_len, settings.along_glyphs * char_h)
    return span >= settings.along_elongation * thickness and span >= longest


_DIGIT_LOOKALIKES = str.maketrans("lI|O", "1110")  # in a fragment of digits: "xl" is "×1"
_SIZE_FRAGMENT = re.compile(r"[0-9xX×*\s]*[0-9][0-9xX×*\s]*")


def size_note_cut(text: str, settings: LabelSettings = LabelSettings()) -> bool:
    """A size note that lost glyphs to the lines it touches ("x32x16", "96x96x", "6x x"
    for "56×56×64"): glyphs that touched an arrow went with the line's ink. Only digits
    and times signs, with a times sign, or times signs alone (two or more; a lone "x"
    may name an input): no layer label is written that way."""
    t = text.strip().translate(_DIGIT_LOOKALIKES)
    signs = sum(c in "xX×*" for c in t)
    if not any(c.isdigit() for c in t):  # the digits all went: "x x" is no word either
        return signs >= settings.cut_min_signs and not t.replace(" ", "").strip("xX×*")
    return bool(_SIZE_FRAGMENT.fullmatch(t)) and signs > 0


def specks(blk: IBox, char_h: float, settings: LabelSettings = LabelSettings()) -> bool:
    """A block lower and narrower than half a glyph holds no readable word: it is a
    crossing or a corner of lines (a darker dot where strokes overlap) that OCR read as
    a letter. Treated as line ink, it keeps its connector in one piece."""
    return max(blk[2] - blk[0], blk[3] - blk[1]) < settings.speck_glyphs * char_h


def arrow_tip(
    blk: IBox,
    text: str,
    boxes: list[IBox],
    lines: tuple[np.ndarray, np.ndarray],
    char_h: float,
    settings: LabelSettings = LabelSettings(),
) -> bool:
    """A "label" of a glyph or two wedged between a box's side and the end of a line
    pointing at it is an arrowhead whose faint outline broke into glyph-sized pieces
    (read as "a", "y" or "v"): line ink, so the line reaches the box. `lines` are the
    long straight runs and the faint ink away from text; beyond the block the line
    shows as a straight run, or as faint ink along the approach at least half a glyph
    long (a short arrow between close boxes is not much longer)."""
    st = settings
    runs, bare = lines
    x0, y0, x1, y1 = blk
    if len(text.replace(" ", "")) > st.tip_max_chars or circle_sign(text) == "+":
        return False
    if max(x1 - x0, y1 - y0) > st.tip_max_glyphs * char_h:  # a head may be wider than a glyph
        return False
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    gap, reach = st.tip_gap_glyphs * char_h, int(round(st.tip_reach_glyphs * char_h))
    half = max(st.tip_side_px, int(round(st.tip_side_glyphs * char_h)))
    need = max(st.tip_faint_px, st.tip_faint_glyphs * char_h)
    lap = -st.tip_overlap_px
    h, w = bare.shape
    # across the approach: the block's extent and a little more (one arm of a vee head
    # lies beside its shaft, not in line with it)
    xa, xb = max(0, x0 - half), min(w, x1 + half)
    ya, yb = max(0, y0 - half), min(h, y1 + half)
    for bx0, by0, bx1, by1 in boxes:
        # the far half of the block and beyond it (a head's base may sit on a bus line)
        if bx0 <= cx < bx1 and lap <= y0 - by1 <= gap:  # below the box, line from below
            axis, win = 0, (slice(cy, min(h, y1 + reach)), slice(xa, xb))
        elif bx0 <= cx < bx1 and lap <= by0 - y1 <= gap:  # above it, line from above
            axis, win = 0, (slice(max(0, y0 - reach), cy), slice(xa, xb))
        elif by0 <= cy < by1 and lap <= x0 - bx1 <= gap:  # right of it, line from the right
            axis, win = 1, (slice(ya, yb), slice(cx, min(w, x1 + reach)))
        elif by0 <= cy < by1 and lap <= bx0 - x1 <= gap:  # left of it, line from the left
            axis, win = 1, (slice(ya, yb), slice(max(0, x0 - reach), cx))
        else:
            continue
        if runs[win].any():
            return True
        if bare[win].size and int(np.count_nonzero(bare[win], axis=axis).max()) >= need:
            return True
    return False


def line_piece(
    blk: IBox,
    runs: np.ndarray,
    stroke: float,
    char_h: float,
    settings: LabelSettings = LabelSettings(),
) -> bool:
    """A block one stroke thin in line with a straight line's end is a piece of that
    line cut off by a note's halo or a break in a faint line (read as "I", "l" or "L")."""
    x0, y0, x1, y1 = blk
    thin = settings.piece_thin_strokes * stroke + settings.piece_thin_px
    reach = max(settings.piece_reach_px, int(round(settings.piece_reach_glyphs * char_h)))
    h, w = runs.shape
    if x1 - x0 <= thin:
        a, b = max(0, x0 - 1), min(w, x1 + 1)
        return bool(runs[max(0, y0 - reach) : y0, a:b].any() or runs[y1 : y1 + reach, a:b].any())
    if y1 - y0 <= thin:
        a, b = max(0, y0 - 1), min(h, y1 + 1)
        return bool(runs[a:b, max(0, x0 - reach) : x0].any() or runs[a:b, x1 : x1 + reach].any())
    return False
