"""Raster figure (PNG/JPEG pixels) -> `Diagram`: boxes, their OCR'd text, and arrows.

The stages live in their own modules: `raster_prep` (masks), `raster_boxes` (boxes and
circles), `raster_text` (text crops, free labels), `ocr` (one batched Tesseract call) and
`raster_arrows` (connectors, arrowheads, edges). This module only wires them together.
"""

from __future__ import annotations

import re
from dataclasses import replace

import cv2
import numpy as np

from .diagram import Diagram, DiagramEdge, DiagramNode
from .diagram_flow import orient_by_content
from .ocr import OcrText, read_crops
from .raster_arrows import (
    build_edges,
    doubtful_heads,
    find_touches,
    flow_direction,
    layout_direction,
)
from .raster_boxes import Box, IBox, find_boxes, grown
from .raster_image import ImageError, as_bgr, load_image
from .raster_prep import prepare
from .raster_text import block_crop, box_text_crop, glyph_height, plus_glyph, split_text
from .raster_words import circle_sign, is_size_note
from .raster_words import clean_label as _clean
from .raster_words import wordy as _wordy

__all__ = ["ImageError", "extract_raster_diagram", "load_image"]

MAX_INK_SHARE = 0.35  # line art is mostly background ...
MAX_FG_SHARE = 0.7  # ... of one colour; photos and noise have no such background
MIN_SIDE = 16  # smaller images cannot hold a box with a readable label


def extract_raster_diagram(image: np.ndarray, source: dict | None = None) -> Diagram:
    """Parse a 2D-box diagram from a BGR or gray image; an empty Diagram if none is found."""
    bgr = as_bgr(image)
    src = dict(source or {})
    if min(bgr.shape[:2]) < MIN_SIDE:
        return Diagram((), (), src)
    prep = prepare(bgr)
    ink_share = float(np.count_nonzero(prep.ink)) / prep.ink.size
    fg_share = float(np.count_nonzero(prep.fg)) / prep.fg.size
    if ink_share == 0.0 or ink_share > MAX_INK_SHARE or fg_share > MAX_FG_SHARE:
        return Diagram((), (), src)  # blank, or a photo / noise rather than line art
    boxes = find_boxes(prep)
    box_mask = _box_mask(prep.ink.shape, boxes, pad=2)
    residual = cv2.bitwise_and(prep.ink, cv2.bitwise_not(box_mask))
    char_h = glyph_height(prep, boxes, residual)
    near = cv2.dilate(box_mask, np.ones((5, 5), np.uint8))
    text_mask, blocks = split_text(residual, near, char_h, prep.stroke)

    crops: list[np.ndarray] = []
    owners: list[int] = []  # index into boxes (>= 0) or into blocks (-1 - i)
    for i, b in enumerate(boxes):
        if b.symbol:
            continue
        crop = box_text_crop(prep, b)
        if crop is not None:
            crops.append(crop)
            owners.append(i)
    for j, blk in enumerate(blocks):
        crops.append(block_crop(prep, text_mask, blk))
        owners.append(-1 - j)
    texts = dict(zip(owners, read_crops(crops), strict=False))
    for owner, crop in zip(owners, crops, strict=True):
        if plus_glyph(crop):  # a lone "+" reads as "4", "t", "=" or "a"
            texts[owner] = OcrText("+", 1.0)

    nodes_xy: list[IBox] = []
    kinds: list[tuple[str, str, float]] = []  # shape, text, confidence
    for i, b in enumerate(boxes):
        t = texts.get(i, OcrText("", 0.0))
        if b.symbol:
            t = OcrText(b.symbol, 1.0)
        nodes_xy.append(b.bbox)
        text = _clean(t.text)
        kinds.append((b.shape, circle_sign(text) if b.shape == "circle" else text, t.confidence))
    labels_kept, junk, notes = [], [], []
    line_w = 2 + 2 * prep.stroke  # the thickest a connector is
    runs = _straight_runs(prep.faint, 1.5 * char_h, line_w, text_mask)
    runs = cv2.bitwise_and(runs, cv2.bitwise_not(box_mask))
    bare = cv2.bitwise_and(_off_text(prep.faint, text_mask), cv2.bitwise_not(box_mask))
    for j, blk in enumerate(blocks):
        t = texts.get(-1 - j, OcrText("", 0.0))
        text = _clean(t.text)
        if (
            not _wordy(text)
            or _specks(blk, char_h)
            or _arrow_tip(blk, text, [b.bbox for b in boxes], (runs, bare), char_h)
            or _line_piece(blk, runs, prep.stroke, char_h)
        ):
            junk.append(blk)  # stray strokes (dotted lines, hatching) that looked like glyphs
            continue
        if is_size_note(text) or _size_note_cut(text):
            notes.append((blk, text, t.confidence))  # a node only if a connector ends at it
            continue
        labels_kept.append(blk)
        nodes_xy.append(blk)
        kinds.append(("text", text, t.confidence))

    keep = cv2.bitwise_not(cv2.bitwise_or(box_mask, _block_mask(text_mask.shape, labels_kept, 2)))
    conn = _with_faint_ends(
        cv2.bitwise_and(residual, keep),
        _off_text(
            cv2.bitwise_and(prep.faint, keep),
            cv2.bitwise_and(text_mask, cv2.bitwise_not(_block_mask(text_mask.shape, junk, 0))),
        ),
        min_len=1.5 * char_h,  # boxes stacked close are ~2 glyphs apart; specks are smaller
        max_thick=line_w,
    )
    conn = cv2.bitwise_and(conn, cv2.bitwise_not(text_mask))
    conn = cv2.bitwise_or(conn, cv2.bitwise_and(runs, keep))
    conn = cv2.bitwise_or(conn, _dashes(text_mask, junk, char_h))
    conn = cv2.bitwise_and(cv2.morphologyEx(conn, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)), keep)
    s = int(np.ceil(prep.stroke))
    text_margin = max(4 + s, int(2 * char_h))
    note_rects = _block_mask(text_mask.shape, [n[0] for n in notes], 0)
    ended = _ended_at(
        cv2.bitwise_and(conn, cv2.bitwise_not(note_rects)),
        [n for n in notes if not _crossed(runs, n[0])],
        text_margin,
        prep.stroke,
        char_h,
    )
    note_ids = frozenset(range(len(nodes_xy), len(nodes_xy) + len(ended)))
    for blk, text, conf in ended:
        nodes_xy.append(blk)
        kinds.append(("text", text, conf))
    if ended:  # a note that is a node is cut out like a label
        conn = cv2.bitwise_and(
            conn, cv2.bitwise_not(_block_mask(text_mask.shape, [n[0] for n in ended], 0))
        )
    conn = _lines_through_notes(conn, [n[0] for n in notes if n not in ended], char_h)
    margins = [4 + s if k[0] != "text" else text_margin for k in kinds]
    touches, labels = find_touches(conn, nodes_xy, margins, prep.stroke, char_h)
    centers = [((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0) for b in nodes_xy]
    direction = flow_direction(touches, centers)
    if direction == "?":
        if doubtful_heads(touches):
            touches = [replace(t, head=False) for t in touches]
        direction = layout_direction(centers, touches)
    touches = [
        t
        for t in touches
        if kinds[t.node][0] != "text"
        or _ends_at_label(labels, t, nodes_xy[t.node], margins[t.node], char_h, direction)
    ]
    wiring = build_edges(
        touches, labels, nodes_xy, margins, centers, direction, tol=max(3.0, char_h)
    )
    for jbox, _target in wiring.junctions:
        nodes_xy.append(jbox)
        kinds.append(("other", "+", 0.5))

    nodes = tuple(
        DiagramNode(i, text, tuple(float(v) for v in bb), shape, round(conf, 3))
        for i, (bb, (shape, text, conf)) in enumerate(zip(nodes_xy, kinds, strict=False))
    )
    dedges = tuple(DiagramEdge(e.src, e.dst, e.confidence) for e in wiring.edges)
    diagram = orient_by_content(Diagram(nodes, dedges, src, direction if nodes else "?"))
    return _without(diagram, _annotations(diagram, note_ids))


def _annotations(diagram: Diagram, note_ids: frozenset[int]) -> set[int]:
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


def _without(diagram: Diagram, drop: set[int]) -> Diagram:
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


def _ended_at(conn: np.ndarray, notes: list, margin: int, stroke: float, char_h: float) -> list:
    """The size notes a connector ends at (an input size drawn as the graph's source);
    the others sit beside a line that passes them by and are annotations, not nodes."""
    if not notes:
        return []
    boxes = [blk for blk, _, _ in notes]
    touches, labels = find_touches(conn, boxes, [margin] * len(boxes), stroke, char_h)
    along = {t.node for t in touches if _runs_along(labels, t, boxes[t.node], margin, char_h)}
    hit = {
        t.node
        for t in touches
        if _comes_from_afar(labels, t, boxes[t.node], margin)
        and _faces(t, boxes[t.node], stroke + 1)
    }
    return [n for i, n in enumerate(notes) if i in hit - along]


def _crossed(runs: np.ndarray, blk: IBox) -> bool:
    """A straight line runs right through the note, from side to side under its glyphs:
    the note is written over a connector, which goes on beyond it on both sides."""
    x0, y0, x1, y1 = blk
    win = runs[y0:y1, x0:x1] > 0
    if win.size == 0:
        return False
    return bool(win.all(axis=1).any() or win.all(axis=0).any())


def _faces(t, box: IBox, tol: float) -> bool:
    """The contact's nearest pixel lies in front of the note's side (within its extent
    along that side): a line that ends at a note points at it, while a line that only
    clips the corner of the note's window passes it by."""
    x, y = t.pixel
    if t.side in ("top", "bottom"):
        return box[0] - tol <= x <= box[2] + tol
    return box[1] - tol <= y <= box[3] + tol


def _ends_at_label(
    labels: np.ndarray, t, box: IBox, margin: int, char_h: float, direction: str
) -> bool:
    """A connector ends at a free label unless it is a glyph of the label cut off from
    its block (say where the glyph touched a box) or merely runs along the label: a
    line the label is written beside runs with the flow, along a side parallel to it
    (a line across the flow along a label's side is a fork or a merge leaving it)."""
    if _cut_off_glyph(labels, t, box, margin):
        return False
    along_flow = ("left", "right") if direction in ("down", "up") else ("top", "bottom")
    return not (t.side in along_flow and _runs_along(labels, t, box, margin, char_h))


def _contact(labels: np.ndarray, t, box: IBox, margin: int) -> tuple[np.ndarray, tuple]:
    """The touching component's pixels in the label's window (the box grown by
    `margin`), and the window's origin (x, y)."""
    x0, y0, x1, y1 = grown(box, margin, labels.shape)
    return labels[y0:y1, x0:x1] == t.component, (x0, y0)


def _cut_off_glyph(labels: np.ndarray, t, box: IBox, margin: int) -> bool:
    """A piece beside the label's first or last letter, in line with its text, as tall
    as its letters and never leaving the label's window: the rest of the word, not a
    line (lines are thin, and arrows into a label come from further away)."""
    if t.side not in ("left", "right") or _comes_from_afar(labels, t, box, margin):
        return False
    win, (_, y0) = _contact(labels, t, box, margin)
    ys, _ = np.nonzero(win)
    if ys.size == 0:
        return False
    top, bottom = int(ys.min()) + y0, int(ys.max()) + y0 + 1
    tall = bottom - top >= 0.6 * (box[3] - box[1])
    return tall and top >= box[1] - 3 and bottom <= box[3] + 3


def _comes_from_afar(labels: np.ndarray, t, box: IBox, margin: int) -> bool:
    """The contact leaves the note's window: a connector, not a glyph fragment of the
    note that was left out of its text block."""
    win, _ = _contact(labels, t, box, margin)
    return bool(win[0].any() or win[-1].any() or win[:, 0].any() or win[:, -1].any())


def _runs_along(labels: np.ndarray, t, box: IBox, margin: int, char_h: float) -> bool:
    """The contact is a line running parallel to the note's facing side (a line the
    note is written beside): long along the side and thin across it, unlike a line
    that points at the note and ends there."""
    ys, xs = np.nonzero(_contact(labels, t, box, margin)[0])
    if xs.size == 0:
        return False
    along, side_len = (
        (ys, box[3] - box[1]) if t.side in ("left", "right") else (xs, box[2] - box[0])
    )
    span = int(along.max() - along.min()) + 1
    thickness = xs.size / len(np.unique(along))
    return span >= 3 * thickness and span >= min(0.8 * side_len, 2 * char_h)


_DIGIT_LOOKALIKES = str.maketrans("lI|O", "1110")  # in a fragment of digits: "xl" is "×1"
_SIZE_FRAGMENT = re.compile(r"[0-9xX×*\s]*[0-9][0-9xX×*\s]*")


def _size_note_cut(text: str) -> bool:
    """A size note that lost glyphs to the lines it touches ("x32x16", "96x96x", "6x x"
    for "56×56×64"): glyphs that touched an arrow went with the line's ink. Only digits
    and times signs, with a times sign, or times signs alone (two or more; a lone "x"
    may name an input): no layer label is written that way."""
    t = text.strip().translate(_DIGIT_LOOKALIKES)
    signs = sum(c in "xX×*" for c in t)
    if not any(c.isdigit() for c in t):  # the digits all went: "x x" is no word either
        return signs >= 2 and not t.replace(" ", "").strip("xX×*")
    return bool(_SIZE_FRAGMENT.fullmatch(t)) and signs > 0


def _specks(blk: IBox, char_h: float) -> bool:
    """A block lower and narrower than half a glyph holds no readable word: it is a
    crossing or a corner of lines (a darker dot where strokes overlap) that OCR read as
    a letter. Treated as line ink, it keeps its connector in one piece."""
    return max(blk[2] - blk[0], blk[3] - blk[1]) < 0.5 * char_h


def _arrow_tip(
    blk: IBox, text: str, boxes: list[IBox], lines: tuple[np.ndarray, np.ndarray], char_h: float
) -> bool:
    """A "label" of a glyph or two wedged between a box's side and the end of a line
    pointing at it is an arrowhead whose faint outline broke into glyph-sized pieces
    (read as "a", "y" or "v"): line ink, so the line reaches the box. `lines` are the
    long straight runs and the faint ink away from text; beyond the block the line
    shows as a straight run, or as faint ink along the approach at least half a glyph
    long (a short arrow between close boxes is not much longer)."""
    runs, bare = lines
    x0, y0, x1, y1 = blk
    if len(text.replace(" ", "")) > 2 or circle_sign(text) == "+":
        return False
    if max(x1 - x0, y1 - y0) > 2 * char_h:  # a head may be wider than a glyph
        return False
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    gap, reach, half = 0.8 * char_h, int(round(char_h)), max(2, int(round(0.3 * char_h)))
    need = max(3, 0.5 * char_h)
    h, w = bare.shape
    # across the approach: the block's extent and a little more (one arm of a vee head
    # lies beside its shaft, not in line with it)
    xa, xb = max(0, x0 - half), min(w, x1 + half)
    ya, yb = max(0, y0 - half), min(h, y1 + half)
    for bx0, by0, bx1, by1 in boxes:
        # the far half of the block and beyond it (a head's base may sit on a bus line)
        if bx0 <= cx < bx1 and -2 <= y0 - by1 <= gap:  # below the box, line from below
            axis, win = 0, (slice(cy, min(h, y1 + reach)), slice(xa, xb))
        elif bx0 <= cx < bx1 and -2 <= by0 - y1 <= gap:  # above it, line from above
            axis, win = 0, (slice(max(0, y0 - reach), cy), slice(xa, xb))
        elif by0 <= cy < by1 and -2 <= x0 - bx1 <= gap:  # right of it, line from the right
            axis, win = 1, (slice(ya, yb), slice(cx, min(w, x1 + reach)))
        elif by0 <= cy < by1 and -2 <= bx0 - x1 <= gap:  # left of it, line from the left
            axis, win = 1, (slice(ya, yb), slice(max(0, x0 - reach), cx))
        else:
            continue
        if runs[win].any():
            return True
        if bare[win].size and int(np.count_nonzero(bare[win], axis=axis).max()) >= need:
            return True
    return False


def _line_piece(blk: IBox, runs: np.ndarray, stroke: float, char_h: float) -> bool:
    """A block one stroke thin in line with a straight line's end is a piece of that
    line cut off by a note's halo or a break in a faint line (read as "I", "l" or "L")."""
    x0, y0, x1, y1 = blk
    thin = 2 * stroke + 1
    reach = max(2, int(round(0.6 * char_h)))
    h, w = runs.shape
    if x1 - x0 <= thin:
        a, b = max(0, x0 - 1), min(w, x1 + 1)
        return bool(runs[max(0, y0 - reach) : y0, a:b].any() or runs[y1 : y1 + reach, a:b].any())
    if y1 - y0 <= thin:
        a, b = max(0, y0 - 1), min(h, y1 + 1)
        return bool(runs[a:b, max(0, x0 - reach) : x0].any() or runs[a:b, x1 : x1 + reach].any())
    return False


def _lines_through_notes(conn: np.ndarray, rects: list[IBox], char_h: float) -> np.ndarray:
    """Inside a size note that is no node keep only straight line runs.

    Papers write tensor sizes beside or right over an arrow ("32×32×1" on a fork line).
    Masking the note's rectangle would cut the arrow in two; keeping all its ink would
    glue the glyphs that touch the line onto it (and make it look like an arrowhead).
    A connector crossing the note is a long horizontal or vertical run; glyph strokes
    are at most glyph-sized, so an opening with a run longer than a glyph keeps the
    line and drops the glyphs.
    """
    if not rects:
        return conn
    k = max(3, int(round(1.5 * char_h)))
    h, w = conn.shape
    out = conn.copy()
    hk, vk = np.ones((1, k), np.uint8), np.ones((k, 1), np.uint8)
    for x0, y0, x1, y1 in rects:
        a0, b0, a1, b1 = max(0, x0 - k), max(0, y0 - k), min(w, x1 + k), min(h, y1 + k)
        sub = conn[b0:b1, a0:a1]
        lines = cv2.bitwise_or(
            cv2.morphologyEx(sub, cv2.MORPH_OPEN, hk), cv2.morphologyEx(sub, cv2.MORPH_OPEN, vk)
        )
        out[y0:y1, x0:x1] = lines[y0 - b0 : y1 - b0, x0 - a0 : x1 - a0]
    return out


def _dashes(text_mask: np.ndarray, junk: list[IBox], char_h: float) -> np.ndarray:
    """Glyph-sized strokes that read as no text are dashes or dots of a dashed line:
    close the gaps between them so they connect like a solid line."""
    m = cv2.bitwise_and(text_mask, _block_mask(text_mask.shape, junk, 0))
    if not m.any():
        return m
    k = max(3, int(round(0.8 * char_h)) | 1)
    return cv2.morphologyEx(
        m, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    )


def _straight_runs(
    faint: np.ndarray, min_len: float, max_thick: float, text: np.ndarray | None = None
) -> np.ndarray:
    """Faint ink in thin straight horizontal or vertical runs at least `min_len` long:
    the hairline connectors, also where a note written close beside one glues its
    glyphs' halo to it (a glyph has no straight stroke longer than a glyph). Areas
    thicker than `max_thick` (a light fill, a filled head) are no lines; glyphs on a
    line (`text`, with their halo) do not make it thick."""
    k = max(3, int(round(min_len)))
    t = int(max_thick) + 1
    runs = cv2.bitwise_or(
        cv2.morphologyEx(faint, cv2.MORPH_OPEN, np.ones((1, k), np.uint8)),
        cv2.morphologyEx(faint, cv2.MORPH_OPEN, np.ones((k, 1), np.uint8)),
    )
    solid = faint
    if text is not None:
        solid = cv2.bitwise_and(faint, cv2.bitwise_not(cv2.dilate(text, np.ones((5, 5), np.uint8))))
    thick = cv2.morphologyEx(solid, cv2.MORPH_OPEN, np.ones((t, t), np.uint8))
    thick = cv2.dilate(thick, np.ones((5, 5), np.uint8))  # with the rim it cannot reach
    return cv2.bitwise_and(runs, cv2.bitwise_not(thick))


def _off_text(faint: np.ndarray, text_mask: np.ndarray) -> np.ndarray:
    """Faint ink away from glyphs: a glyph's anti-aliased halo is faint ink too, and
    through it a note written next to a line would join the line's component."""
    near = cv2.dilate(text_mask, np.ones((5, 5), np.uint8))
    return cv2.bitwise_and(faint, cv2.bitwise_not(near))


def _with_faint_ends(
    strong: np.ndarray, faint: np.ndarray, min_len: float, max_thick: float
) -> np.ndarray:
    """Hysteresis: faint ink joins a connector when it touches the connector's ink, so
    thin anti-aliased lines do not break up where they meet another line.

    A hairline (0.5 pt, grey, blurred) may have no pixel dark enough to be ink at all;
    faint ink that forms a long thin stroke on its own (at least `min_len` long, at most
    `max_thick` thick on average) is such a line: specks, noise and glyph halos are short.
    """
    n, labels, stats, _ = cv2.connectedComponentsWithStats(faint, connectivity=8)
    hit = np.zeros(n, bool)
    hit[labels[strong > 0]] = True
    w, h, area = stats[:, 2], stats[:, 3], stats[:, 4]
    hit |= (np.maximum(w, h) >= min_len) & (area <= max_thick * (w + h))
    hit[0] = False
    return np.where(hit, 255, 0).astype(np.uint8)[labels]  # a uint8 lookup per pixel


def _box_mask(shape: tuple[int, int], boxes: tuple[Box, ...], pad: int) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    for b in boxes:
        x0, y0, x1, y1 = b.bbox
        if b.shape in ("circle", "ellipse"):
            c = ((x0 + x1) // 2, (y0 + y1) // 2)
            ax = ((x1 - x0) // 2 + pad, (y1 - y0) // 2 + pad)
            cv2.ellipse(m, c, ax, 0, 0, 360, 255, -1)
        else:
            cv2.rectangle(m, (x0 - pad, y0 - pad), (x1 - 1 + pad, y1 - 1 + pad), 255, -1)
    return m


def _block_mask(shape: tuple[int, int], blocks: list[IBox], pad: int) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    for x0, y0, x1, y1 in blocks:
        cv2.rectangle(m, (x0 - pad, y0 - pad), (x1 - 1 + pad, y1 - 1 + pad), 255, -1)
    return m
