"""Raster figure (PNG/JPEG pixels) -> `Diagram`: boxes, their OCR'd text, and arrows.

The stages live in their own modules: `prep` (masks), `boxes` (boxes and
circles), `text` (text crops, free labels), `ocr` (batched Tesseract calls),
`labels` (which free text blocks are labels, size notes or line ink),
`lines` (connector masks) and `arrows` (connectors, arrowheads, edges).
This module only wires them together.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from papercc.compiler.diagram.flow import orient_by_content
from papercc.compiler.diagram.graph import Diagram, DiagramEdge, DiagramNode
from papercc.compiler.raster.arrows import (
    build_edges,
    doubtful_heads,
    find_touches,
    flow_direction,
    layout_direction,
)
from papercc.compiler.raster.boxes import IBox, find_boxes
from papercc.compiler.raster.image import ImageError, as_bgr, load_image
from papercc.compiler.raster.labels import (
    annotations,
    arrow_tip,
    crossed,
    ended_at,
    ends_at_label,
    line_piece,
    size_note_cut,
    specks,
    without,
)
from papercc.compiler.raster.lines import (
    dashes,
    lines_through_notes,
    mask_of_blocks,
    mask_of_boxes,
    off_text,
    straight_runs,
    with_faint_ends,
)
from papercc.compiler.raster.ocr import OcrText, read_crops
from papercc.compiler.raster.prep import prepare
from papercc.compiler.raster.text import (
    block_crop,
    box_text_crop,
    glyph_height,
    plus_glyph,
    split_text,
)
from papercc.compiler.raster.words import circle_sign, is_size_note
from papercc.compiler.raster.words import clean_label as _clean
from papercc.compiler.raster.words import wordy as _wordy

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
    box_mask = mask_of_boxes(prep.ink.shape, boxes, pad=2)
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
    runs = straight_runs(prep.faint, 1.5 * char_h, line_w, text_mask)
    runs = cv2.bitwise_and(runs, cv2.bitwise_not(box_mask))
    bare = cv2.bitwise_and(off_text(prep.faint, text_mask), cv2.bitwise_not(box_mask))
    box_rects = [b.bbox for b in boxes]
    for j, blk in enumerate(blocks):
        t = texts.get(-1 - j, OcrText("", 0.0))
        text = _clean(t.text)
        if (
            not _wordy(text)
            or specks(blk, char_h)
            or arrow_tip(blk, text, box_rects, (runs, bare), char_h)
            or line_piece(blk, runs, prep.stroke, char_h)
        ):
            junk.append(blk)  # stray strokes (dotted lines, hatching) that looked like glyphs
            continue
        if is_size_note(text) or size_note_cut(text):
            notes.append((blk, text, t.confidence))  # a node only if a connector ends at it
            continue
        labels_kept.append(blk)
        nodes_xy.append(blk)
        kinds.append(("text", text, t.confidence))

    keep = cv2.bitwise_not(
        cv2.bitwise_or(box_mask, mask_of_blocks(text_mask.shape, labels_kept, 2))
    )
    conn = with_faint_ends(
        cv2.bitwise_and(residual, keep),
        off_text(
            cv2.bitwise_and(prep.faint, keep),
            cv2.bitwise_and(text_mask, cv2.bitwise_not(mask_of_blocks(text_mask.shape, junk, 0))),
        ),
        min_len=1.5 * char_h,  # boxes stacked close are ~2 glyphs apart; specks are smaller
        max_thick=line_w,
    )
    conn = cv2.bitwise_and(conn, cv2.bitwise_not(text_mask))
    conn = cv2.bitwise_or(conn, cv2.bitwise_and(runs, keep))
    conn = cv2.bitwise_or(conn, dashes(text_mask, junk, char_h))
    conn = cv2.bitwise_and(cv2.morphologyEx(conn, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)), keep)
    s = int(np.ceil(prep.stroke))
    text_margin = max(4 + s, int(2 * char_h))
    note_rects = mask_of_blocks(text_mask.shape, [n[0] for n in notes], 0)
    ended = ended_at(
        cv2.bitwise_and(conn, cv2.bitwise_not(note_rects)),
        [n for n in notes if not crossed(runs, n[0])],
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
            conn, cv2.bitwise_not(mask_of_blocks(text_mask.shape, [n[0] for n in ended], 0))
        )
    conn = lines_through_notes(conn, [n[0] for n in notes if n not in ended], char_h)
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
        or ends_at_label(labels, t, nodes_xy[t.node], margins[t.node], char_h, direction)
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
    return without(diagram, annotations(diagram, note_ids))
