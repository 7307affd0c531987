"""Raster figure (PNG/JPEG pixels) -> `Diagram`: boxes, their OCR'd text, and arrows.

The stages live in their own modules: `prep` (masks), `boxes` (boxes and
circles), `text` (text crops, free labels), `ocr` (batched Tesseract calls),
`labels` (which free text blocks are labels, size notes or line ink),
`lines` (connector masks) and `arrows` (connectors, arrowheads, edges).
This module only wires them together.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from papercc.compiler.diagram.flow import orient_by_content
from papercc.compiler.diagram.graph import Diagram, DiagramEdge, DiagramNode
from papercc.compiler.raster.arrows import (
    ArrowSettings,
    build_edges,
    doubtful_heads,
    find_touches,
    flow_direction,
    layout_direction,
)
from papercc.compiler.raster.boxes import BoxSettings, IBox, find_boxes
from papercc.compiler.raster.image import ImageError, as_bgr, load_image
from papercc.compiler.raster.labels import (
    LabelSettings,
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
    LineSettings,
    dashes,
    lines_through_notes,
    mask_of_blocks,
    mask_of_boxes,
    max_thickness,
    off_text,
    straight_runs,
    with_faint_ends,
)
from papercc.compiler.raster.ocr import OcrText, read_crops
from papercc.compiler.raster.prep import PrepSettings, line_art, prepare
from papercc.compiler.raster.text import (
    TextSettings,
    block_crop,
    box_text_crop,
    glyph_height,
    near_boxes,
    plus_glyph,
    split_text,
)
from papercc.compiler.raster.words import (
    WordSettings,
    circle_sign,
    clean_label,
    is_size_note,
    wordy,
)

__all__ = ["ImageError", "RasterSettings", "extract_raster_diagram", "load_image"]


@dataclass(frozen=True)
class RasterSettings:
    """Every tunable of the raster reader: one settings object per stage (the OCR
    module's own settings aside). The defaults are the tuned values; a benchmark may
    vary any of them, e.g. `replace(s, boxes=replace(s.boxes, frame_cover=0.3))`."""

    prep: PrepSettings = PrepSettings()  # binarisation; which images are line art
    boxes: BoxSettings = BoxSettings()  # box finding
    text: TextSettings = TextSettings()  # text crops, glyph height, free text blocks
    words: WordSettings = WordSettings()  # OCR text as labels
    labels: LabelSettings = LabelSettings()  # free text blocks: labels, notes, line ink
    lines: LineSettings = LineSettings()  # connector masks
    arrows: ArrowSettings = ArrowSettings()  # contacts, arrowheads, flow, edges


def extract_raster_diagram(
    image: np.ndarray, source: dict | None = None, settings: RasterSettings = RasterSettings()
) -> Diagram:
    """Parse a 2D-box diagram from a BGR or gray image; an empty Diagram if none is found."""
    bgr = as_bgr(image)
    src = dict(source or {})
    if min(bgr.shape[:2]) < settings.prep.min_side:
        return Diagram((), (), src)
    prep = prepare(bgr, settings.prep)
    if not line_art(prep, settings.prep):
        return Diagram((), (), src)  # blank, or a photo / noise rather than line art
    st_t, st_l, st_a = settings.text, settings.lines, settings.arrows
    boxes = find_boxes(prep, settings.boxes)
    box_mask = mask_of_boxes(prep.ink.shape, boxes, st_l.box_pad_px)
    residual = cv2.bitwise_and(prep.ink, cv2.bitwise_not(box_mask))
    char_h = glyph_height(prep, boxes, residual, st_t)
    near = near_boxes(box_mask, st_t)
    text_mask, blocks = split_text(residual, near, char_h, prep.stroke, st_t)

    crops: list[np.ndarray] = []
    owners: list[int] = []  # index into boxes (>= 0) or into blocks (-1 - i)
    for i, b in enumerate(boxes):
        if b.symbol:
            continue
        crop = box_text_crop(prep, b, st_t)
        if crop is not None:
            crops.append(crop)
            owners.append(i)
    for j, blk in enumerate(blocks):
        crops.append(block_crop(prep, text_mask, blk, st_t))
        owners.append(-1 - j)
    texts = dict(zip(owners, read_crops(crops), strict=False))
    for owner, crop in zip(owners, crops, strict=True):
        if plus_glyph(crop, st_t):  # a lone "+" reads as "4", "t", "=" or "a"
            texts[owner] = OcrText("+", 1.0)

    nodes_xy: list[IBox] = []
    kinds: list[tuple[str, str, float]] = []  # shape, text, confidence
    for i, b in enumerate(boxes):
        t = texts.get(i, OcrText("", 0.0))
        if b.symbol:
            t = OcrText(b.symbol, 1.0)
        nodes_xy.append(b.bbox)
        text = clean_label(t.text, settings.words)
        kinds.append((b.shape, circle_sign(text) if b.shape == "circle" else text, t.confidence))
    labels_kept, junk, notes = [], [], []
    line_w = max_thickness(prep.stroke, st_l)  # the thickest a connector is
    min_len = st_l.min_line_glyphs * char_h
    runs = straight_runs(prep.faint, min_len, line_w, text_mask, st_l)
    runs = cv2.bitwise_and(runs, cv2.bitwise_not(box_mask))
    bare = cv2.bitwise_and(off_text(prep.faint, text_mask, st_l), cv2.bitwise_not(box_mask))
    box_rects = [b.bbox for b in boxes]
    st_b = settings.labels
    for j, blk in enumerate(blocks):
        t = texts.get(-1 - j, OcrText("", 0.0))
        text = clean_label(t.text, settings.words)
        if (
            not wordy(text, settings.words)
            or specks(blk, char_h, st_b)
            or arrow_tip(blk, text, box_rects, (runs, bare), char_h, st_b)
            or line_piece(blk, runs, prep.stroke, char_h, st_b)
        ):
            junk.append(blk)  # stray strokes (dotted lines, hatching) that looked like glyphs
            continue
        if is_size_note(text) or size_note_cut(text, st_b):
            notes.append((blk, text, t.confidence))  # a node only if a connector ends at it
            continue
        labels_kept.append(blk)
        nodes_xy.append(blk)
        kinds.append(("text", text, t.confidence))

    keep = cv2.bitwise_not(
        cv2.bitwise_or(box_mask, mask_of_blocks(text_mask.shape, labels_kept, st_l.label_pad_px))
    )
    conn = with_faint_ends(
        cv2.bitwise_and(residual, keep),
        off_text(
            cv2.bitwise_and(prep.faint, keep),
            cv2.bitwise_and(text_mask, cv2.bitwise_not(mask_of_blocks(text_mask.shape, junk, 0))),
            st_l,
        ),
        min_len=min_len,
        max_thick=line_w,
    )
    conn = cv2.bitwise_and(conn, cv2.bitwise_not(text_mask))
    conn = cv2.bitwise_or(conn, cv2.bitwise_and(runs, keep))
    conn = cv2.bitwise_or(conn, dashes(text_mask, junk, char_h, st_l))
    conn = cv2.bitwise_and(cv2.morphologyEx(conn, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)), keep)
    s = int(np.ceil(prep.stroke))
    box_margin = st_a.box_margin_px + s
    text_margin = max(box_margin, int(st_a.text_margin_glyphs * char_h))
    note_rects = mask_of_blocks(text_mask.shape, [n[0] for n in notes], 0)
    ended = ended_at(
        cv2.bitwise_and(conn, cv2.bitwise_not(note_rects)),
        [n for n in notes if not crossed(runs, n[0])],
        text_margin,
        prep.stroke,
        char_h,
        st_b,
        st_a,
    )
    note_ids = frozenset(range(len(nodes_xy), len(nodes_xy) + len(ended)))
    for blk, text, conf in ended:
        nodes_xy.append(blk)
        kinds.append(("text", text, conf))
    if ended:  # a note that is a node is cut out like a label
        conn = cv2.bitwise_and(
            conn, cv2.bitwise_not(mask_of_blocks(text_mask.shape, [n[0] for n in ended], 0))
        )
    conn = lines_through_notes(conn, [n[0] for n in notes if n not in ended], char_h, st_l)
    margins = [box_margin if k[0] != "text" else text_margin for k in kinds]
    touches, labels = find_touches(conn, nodes_xy, margins, prep.stroke, char_h, st_a)
    centers = [((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0) for b in nodes_xy]
    direction = flow_direction(touches, centers, st_a)
    if direction == "?":
        if doubtful_heads(touches, st_a):
            touches = [replace(t, head=False) for t in touches]
        direction = layout_direction(centers, touches)
    touches = [
        t
        for t in touches
        if kinds[t.node][0] != "text"
        or ends_at_label(labels, t, nodes_xy[t.node], margins[t.node], char_h, direction, st_b)
    ]
    tol = max(st_a.walk_tol_px, st_a.walk_tol_glyphs * char_h)
    wiring = build_edges(touches, labels, nodes_xy, margins, centers, direction, tol, st_a)
    for jbox, _target in wiring.junctions:
        nodes_xy.append(jbox)
        kinds.append(("other", "+", st_a.junction_node_confidence))

    nodes = tuple(
        DiagramNode(i, text, tuple(float(v) for v in bb), shape, round(conf, 3))
        for i, (bb, (shape, text, conf)) in enumerate(zip(nodes_xy, kinds, strict=False))
    )
    dedges = tuple(DiagramEdge(e.src, e.dst, e.confidence) for e in wiring.edges)
    diagram = orient_by_content(Diagram(nodes, dedges, src, direction if nodes else "?"))
    return without(diagram, annotations(diagram, note_ids))
