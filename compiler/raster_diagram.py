"""Raster figure (PNG/JPEG pixels) -> `Diagram`: boxes, their OCR'd text, and arrows.

The stages live in their own modules: `raster_prep` (masks), `raster_boxes` (boxes and
circles), `raster_text` (text crops, free labels), `ocr` (one batched Tesseract call) and
`raster_arrows` (connectors, arrowheads, edges). This module only wires them together.
"""

from __future__ import annotations

import re

import cv2
import numpy as np

from .diagram import Diagram, DiagramEdge, DiagramNode
from .diagram_flow import orient_by_content
from .ocr import OcrText, Tesseract, fix_misread_words, read_crops, start_tesseract
from .raster_arrows import (
    build_edges,
    find_touches,
    flow_direction,
    label_connectors,
    layout_direction,
)
from .raster_boxes import Box, IBox, find_boxes
from .raster_image import ImageError, as_bgr, load_image
from .raster_prep import prepare
from .raster_text import block_crop, box_text_crop, glyph_height, split_text

__all__ = ["ImageError", "extract_raster_diagram", "load_image"]

MAX_INK_SHARE = 0.35  # line art is mostly background ...
MAX_FG_SHARE = 0.7  # ... of one colour; photos and noise have no such background
MIN_SIDE = 16  # smaller images cannot hold a box with a readable label
_WORDY = re.compile(r"[A-Za-z0-9]")


def extract_raster_diagram(image: np.ndarray, source: dict | None = None) -> Diagram:
    """Parse a 2D-box diagram from a BGR or gray image; an empty Diagram if none is found."""
    bgr = as_bgr(image)
    # tesseract loads its model (100-200 ms) while the masks, boxes and crops are made
    ocr = start_tesseract() if min(bgr.shape[:2]) >= MIN_SIDE else None
    try:
        return _extract(bgr, source, ocr)
    finally:
        if ocr is not None:
            ocr.close()


def _extract(bgr: np.ndarray, source: dict | None, ocr: Tesseract | None) -> Diagram:
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
    texts = dict(zip(owners, read_crops(crops, started=ocr), strict=False))

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
    for j, blk in enumerate(blocks):
        t = texts.get(-1 - j, OcrText("", 0.0))
        text = _clean(t.text)
        if not _wordy(text):
            junk.append(blk)  # stray strokes (dotted lines, hatching) that looked like glyphs
            continue
        if is_size_note(text):
            notes.append((blk, text, t.confidence))  # a node only if a connector ends at it
            continue
        labels_kept.append(blk)
        nodes_xy.append(blk)
        kinds.append(("text", text, t.confidence))

    keep = cv2.bitwise_not(cv2.bitwise_or(box_mask, _block_mask(text_mask.shape, labels_kept, 2)))
    keep = cv2.bitwise_and(
        keep, cv2.bitwise_not(_block_mask(text_mask.shape, [n[0] for n in notes], 0))
    )
    conn = _with_faint_ends(cv2.bitwise_and(residual, keep), cv2.bitwise_and(prep.faint, keep))
    conn = cv2.bitwise_and(conn, cv2.bitwise_not(text_mask))
    conn = cv2.bitwise_or(conn, _dashes(text_mask, junk, char_h))
    conn = cv2.bitwise_and(cv2.morphologyEx(conn, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)), keep)
    s = int(np.ceil(prep.stroke))
    text_margin = max(4 + s, int(2 * char_h))
    comps = label_connectors(conn)
    for blk, text, conf in _ended_at(conn, notes, text_margin, prep.stroke, char_h, comps):
        nodes_xy.append(blk)
        kinds.append(("text", text, conf))
    margins = [4 + s if k[0] != "text" else text_margin for k in kinds]
    touches, labels = find_touches(conn, nodes_xy, margins, prep.stroke, char_h, comps)
    centers = [((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0) for b in nodes_xy]
    direction = flow_direction(touches, centers)
    if direction == "?":
        direction = layout_direction(centers, touches)
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
    return orient_by_content(Diagram(nodes, dedges, src, direction if nodes else "?"))


# a small times sign between digits often reads as H, K, h or «
_SIZE_NOTE = re.compile(r"\(?[0-9lIO]+(?:\s*[xX×*HhKk«»\s]\s*[0-9lIO]+)*\)?")


def is_size_note(text: str) -> bool:
    """Only a tensor size ("56×56×64", "28 x 28", "1000"): papers write these beside
    arrows as annotations; they name no layer."""
    t = text.strip()
    return bool(_SIZE_NOTE.fullmatch(t)) and any(c.isdigit() for c in t)


def _ended_at(
    conn: np.ndarray, notes: list, margin: int, stroke: float, char_h: float, comps=None
) -> list:
    """The size notes a connector ends at (an input size drawn as the graph's source);
    the others sit beside a line that passes them by and are annotations, not nodes."""
    if not notes:
        return []
    boxes = [blk for blk, _, _ in notes]
    touches, labels = find_touches(conn, boxes, [margin] * len(boxes), stroke, char_h, comps)
    along = {t.node for t in touches if _runs_along(labels, t, boxes[t.node], margin, char_h)}
    hit = {t.node for t in touches if _comes_from_afar(labels, t, boxes[t.node], margin)} - along
    return [n for i, n in enumerate(notes) if i in hit]


def _comes_from_afar(labels: np.ndarray, t, box: IBox, margin: int) -> bool:
    """The contact leaves the note's window: a connector, not a glyph fragment of the
    note that was left out of its text block."""
    h, w = labels.shape
    x0, y0 = max(0, box[0] - margin), max(0, box[1] - margin)
    x1, y1 = min(w, box[2] + margin), min(h, box[3] + margin)
    win = labels[y0:y1, x0:x1] == t.component
    return bool(win[0].any() or win[-1].any() or win[:, 0].any() or win[:, -1].any())


def _runs_along(labels: np.ndarray, t, box: IBox, margin: int, char_h: float) -> bool:
    """The contact is a line running parallel to the note's facing side (a line the
    note is written beside): long along the side and thin across it, unlike a line
    that points at the note and ends there."""
    h, w = labels.shape
    x0, y0 = max(0, box[0] - margin), max(0, box[1] - margin)
    x1, y1 = min(w, box[2] + margin), min(h, box[3] + margin)
    ys, xs = np.nonzero(labels[y0:y1, x0:x1] == t.component)
    if xs.size == 0:
        return False
    along, side_len = (
        (ys, box[3] - box[1]) if t.side in ("left", "right") else (xs, box[2] - box[0])
    )
    span = int(along.max() - along.min()) + 1
    thickness = xs.size / len(np.unique(along))
    return span >= 3 * thickness and span >= min(0.8 * side_len, 2 * char_h)


_PLUS_LOOKALIKES = frozenset({"4", "+4", "4+", "t", "+t", "++", "+."})


def circle_sign(text: str) -> str:
    """A circle holds one operator sign; Tesseract reads a lone '+' as '4' or 't', or
    doubles it ('+4'). Other text is kept as read."""
    return "+" if text.replace(" ", "") in _PLUS_LOOKALIKES else text


def _wordy(text: str) -> bool:
    """Mostly letters and digits: OCR of line fragments is mostly punctuation."""
    chars = [c for c in text if not c.isspace()]
    good = sum(1 for c in chars if _WORDY.match(c))
    return good >= 1 and good >= 0.6 * len(chars)


_OPERATORS = {"+", "-", "*", "/", "×", "x", "X", "⊕", "⊗", "&", "=", "(", ")"}
_SIZE_TOKEN = re.compile(r"^([0-9lIO|]+)([xX×])([0-9lIO|]+)(,?)$")


def _clean(text: str) -> str:
    """Collapse whitespace; in size tokens like `3x3` read l, I, | as 1 and O as 0."""
    words = []
    for w in fix_misread_words(text.split()):
        if not _WORDY.search(w) and w not in _OPERATORS:
            continue  # "~~.", "‘" and the like: specks and stroke ends, not words
        m = _SIZE_TOKEN.match(w)
        if m and (any(ch.isdigit() for ch in m.group(1) + m.group(3)) or len(w) <= 6):
            fix = str.maketrans("lI|O", "1110")
            w = m.group(1).translate(fix) + m.group(2) + m.group(3).translate(fix) + m.group(4)
        words.append(w)
    return " ".join(words)


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


def _with_faint_ends(strong: np.ndarray, faint: np.ndarray) -> np.ndarray:
    """Hysteresis: faint ink joins a connector when it touches the connector's ink, so
    thin anti-aliased lines do not break up where they meet another line."""
    n, labels = cv2.connectedComponents(faint, connectivity=8)
    hit = np.zeros(n, bool)
    hit[labels[strong > 0]] = True
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
