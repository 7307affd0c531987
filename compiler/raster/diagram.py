"""Raster figure (PNG/JPEG pixels) -> `Diagram`: boxes, their OCR'd text, and arrows.

The stages live in their own modules: `prep` (masks), `boxes` (boxes and
circles), `text` (text crops, free labels), `ocr` (batched Tesseract calls; PP-OCR,
`ppocr`, for what Tesseract doubts),
`labels` (which free text blocks are labels, size notes or line ink),
`lines` (connector masks) and `arrows` (connectors, arrowheads, edges).
This module only wires them together, in named steps. Each stage's tunables are fields
of its settings object (`BoxSettings`, ...); `RasterSettings` bundles them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from papercc.compiler.diagram.flow import orient_by_content
from papercc.compiler.diagram.graph import Diagram, DiagramEdge, DiagramNode
from papercc.compiler.raster.arrows import (
    ArrowSettings,
    Wiring,
    build_edges,
    doubtful_heads,
    find_touches,
    flow_direction,
    layout_direction,
)
from papercc.compiler.raster.boxes import Box, BoxSettings, IBox, find_boxes
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
    size_notes,
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
from papercc.compiler.raster.ocr import Ocr, OcrText
from papercc.compiler.raster.prep import Prepared, PrepSettings, line_art, prepare
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
    image: np.ndarray,
    source: dict | None = None,
    settings: RasterSettings = RasterSettings(),
    ocr: Ocr | None = None,
) -> Diagram:
    """Parse a 2D-box diagram from a BGR or gray image; an empty Diagram if none is found.
    Every size note found (on any side of a box, on an arrow, written sideways) is in
    its `notes`, with the edge it is written on where the connectors tell one.

    ocr: the run's OCR engines (see `Ocr`); without it this call loads its own and
    frees them at the end, which costs about as much as reading the figure."""
    bgr = as_bgr(image)
    src = dict(source or {})
    if min(bgr.shape[:2]) < settings.prep.min_side:
        return Diagram((), (), src)
    prep = prepare(bgr, settings.prep)
    if not line_art(prep, settings.prep):
        return Diagram((), (), src)  # blank, or a photo / noise rather than line art
    fig = _layout(prep, settings)
    texts = _read_texts(fig, settings.text, ocr or Ocr())
    nodes = _box_nodes(fig.boxes, texts, settings.words)
    runs = _straight_lines(fig, settings.lines)
    labels, junk, notes = _sort_blocks(fig, texts, runs, nodes, settings)
    conn = _connectors(fig, runs, labels, junk, settings.lines)
    conn, note_ids, passed = _note_nodes(fig, conn, runs, notes, nodes, settings)
    direction, wiring = _wire(fig, conn, nodes, settings)
    for jbox, _target in wiring.junctions:
        nodes.add(jbox, "other", "+", settings.arrows.junction_node_confidence)
    dnodes = tuple(
        DiagramNode(i, text, tuple(float(v) for v in bb), shape, round(conf, 3))
        for i, (bb, (shape, text, conf)) in enumerate(zip(nodes.xy, nodes.kinds, strict=False))
    )
    dedges = tuple(DiagramEdge(e.src, e.dst, e.confidence) for e in wiring.edges)
    diagram = orient_by_content(Diagram(dnodes, dedges, src, direction if dnodes else "?"))
    drop = annotations(diagram, note_ids)
    kept = without(diagram, drop)
    return replace(kept, notes=size_notes(diagram, drop, kept, passed, fig.char_h, settings.labels))


@dataclass(frozen=True)
class _Figure:
    """What one figure's masks show before OCR: boxes, glyph size and free text."""

    prep: Prepared
    boxes: tuple[Box, ...]
    box_mask: np.ndarray  # the boxes, padded
    residual: np.ndarray  # ink outside the boxes: connectors and free text
    char_h: float  # typical glyph height in pixels
    text_mask: np.ndarray  # glyph-like pixels of the residual
    blocks: list[IBox]  # free text blocks


@dataclass
class _Nodes:
    """The diagram's nodes as they are found: extent, and (shape, text, confidence)."""

    xy: list[IBox] = field(default_factory=list)
    kinds: list[tuple[str, str, float]] = field(default_factory=list)

    def add(self, bbox: IBox, shape: str, text: str, confidence: float) -> None:
        self.xy.append(bbox)
        self.kinds.append((shape, text, confidence))


_Note = tuple[IBox, str, float]  # a size note: its block, text and OCR confidence


def _layout(prep: Prepared, settings: RasterSettings) -> _Figure:
    """Boxes, then the glyph height and the free text blocks among the other ink."""
    st_t = settings.text
    boxes = find_boxes(prep, settings.boxes)
    box_mask = mask_of_boxes(prep.ink.shape, boxes, settings.lines.box_pad_px)
    residual = cv2.bitwise_and(prep.ink, cv2.bitwise_not(box_mask))
    char_h = glyph_height(prep, boxes, residual, st_t)
    near = near_boxes(box_mask, st_t)
    text_mask, blocks = split_text(residual, near, char_h, prep.stroke, st_t)
    return _Figure(prep, boxes, box_mask, residual, char_h, text_mask, blocks)


def _read_texts(fig: _Figure, settings: TextSettings, ocr: Ocr) -> dict[int, OcrText]:
    """OCR of the boxes' text and of the free text blocks, by owner: a box's index
    (>= 0) or -1 - a block's index; a lone "+" is told by its shape."""
    prep = fig.prep
    crops: list[np.ndarray] = []
    owners: list[int] = []
    for i, b in enumerate(fig.boxes):
        if b.symbol:
            continue
        crop = box_text_crop(prep, b, settings)
        if crop is not None:
            crops.append(crop)
            owners.append(i)
    for j, blk in enumerate(fig.blocks):
        crops.append(block_crop(prep, fig.text_mask, blk, settings))
        owners.append(-1 - j)
    texts = dict(zip(owners, ocr.read_crops(crops), strict=False))
    for owner, crop in zip(owners, crops, strict=True):
        if plus_glyph(crop, settings):  # a lone "+" reads as "4", "t", "=" or "a"
            texts[owner] = OcrText("+", 1.0)
    return texts


def _box_nodes(boxes: tuple[Box, ...], texts: dict[int, OcrText], settings: WordSettings) -> _Nodes:
    """One node per box, with its cleaned text (a circle's sign, a symbol as drawn)."""
    nodes = _Nodes()
    for i, b in enumerate(boxes):
        t = texts.get(i, OcrText("", 0.0))
        if b.symbol:
            t = OcrText(b.symbol, 1.0)
        text = clean_label(t.text, settings)
        nodes.add(b.bbox, b.shape, circle_sign(text) if b.shape == "circle" else text, t.confidence)
    return nodes


def _straight_lines(fig: _Figure, settings: LineSettings) -> np.ndarray:
    """Thin straight runs of faint ink outside the boxes: hairline connectors."""
    prep = fig.prep
    min_len = settings.min_line_glyphs * fig.char_h
    line_w = max_thickness(prep.stroke, settings)
    runs = straight_runs(prep.faint, min_len, line_w, fig.text_mask, settings)
    return cv2.bitwise_and(runs, cv2.bitwise_not(fig.box_mask))


def _sort_blocks(
    fig: _Figure,
    texts: dict[int, OcrText],
    runs: np.ndarray,
    nodes: _Nodes,
    settings: RasterSettings,
) -> tuple[list[IBox], list[IBox], list[_Note]]:
    """The free text blocks sorted into labels (added to `nodes`), junk (line ink that
    looked like glyphs) and size notes (nodes only if a connector ends at them)."""
    st_b, prep, char_h = settings.labels, fig.prep, fig.char_h
    bare = cv2.bitwise_and(
        off_text(prep.faint, fig.text_mask, settings.lines), cv2.bitwise_not(fig.box_mask)
    )
    box_rects = [b.bbox for b in fig.boxes]
    labels, junk, notes = [], [], []
    for j, blk in enumerate(fig.blocks):
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
        labels.append(blk)
        nodes.add(blk, "text", text, t.confidence)
    return labels, junk, notes


def _connectors(
    fig: _Figure, runs: np.ndarray, labels: list[IBox], junk: list[IBox], settings: LineSettings
) -> np.ndarray:
    """The connector mask: ink off boxes, labels and glyphs, with the faint ends of
    lines, hairlines and the gaps of dashed lines closed."""
    prep, text_mask, char_h = fig.prep, fig.text_mask, fig.char_h
    shape = text_mask.shape
    keep = cv2.bitwise_not(
        cv2.bitwise_or(fig.box_mask, mask_of_blocks(shape, labels, settings.label_pad_px))
    )
    conn = with_faint_ends(
        cv2.bitwise_and(fig.residual, keep),
        off_text(
            cv2.bitwise_and(prep.faint, keep),
            cv2.bitwise_and(text_mask, cv2.bitwise_not(mask_of_blocks(shape, junk, 0))),
            settings,
        ),
        min_len=settings.min_line_glyphs * char_h,
        max_thick=max_thickness(prep.stroke, settings),
    )
    conn = cv2.bitwise_and(conn, cv2.bitwise_not(text_mask))
    conn = cv2.bitwise_or(conn, cv2.bitwise_and(runs, keep))
    conn = cv2.bitwise_or(conn, dashes(text_mask, junk, char_h, settings))
    return cv2.bitwise_and(cv2.morphologyEx(conn, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)), keep)


def _margins(fig: _Figure, settings: ArrowSettings) -> tuple[int, int]:
    """How far from a box, and from a free label, a connector touches it (pixels)."""
    box_margin = settings.box_margin_px + int(np.ceil(fig.prep.stroke))
    return box_margin, max(box_margin, int(settings.text_margin_glyphs * fig.char_h))


def _note_nodes(
    fig: _Figure,
    conn: np.ndarray,
    runs: np.ndarray,
    notes: list[_Note],
    nodes: _Nodes,
    settings: RasterSettings,
) -> tuple[np.ndarray, frozenset[int], list[_Note]]:
    """The size notes a connector ends at become nodes (their ids are returned), cut
    out of the connector mask like labels; through the others (returned too), only
    lines go on."""
    shape = fig.text_mask.shape
    _, text_margin = _margins(fig, settings.arrows)
    note_rects = mask_of_blocks(shape, [n[0] for n in notes], 0)
    ended = ended_at(
        cv2.bitwise_and(conn, cv2.bitwise_not(note_rects)),
        [n for n in notes if not crossed(runs, n[0])],
        text_margin,
        fig.prep.stroke,
        fig.char_h,
        settings.labels,
        settings.arrows,
    )
    note_ids = frozenset(range(len(nodes.xy), len(nodes.xy) + len(ended)))
    for blk, text, conf in ended:
        nodes.add(blk, "text", text, conf)
    if ended:  # a note that is a node is cut out like a label
        conn = cv2.bitwise_and(
            conn, cv2.bitwise_not(mask_of_blocks(shape, [n[0] for n in ended], 0))
        )
    passed = [n for n in notes if n not in ended]
    conn = lines_through_notes(conn, [n[0] for n in passed], fig.char_h, settings.lines)
    return conn, note_ids, passed


def _wire(
    fig: _Figure, conn: np.ndarray, nodes: _Nodes, settings: RasterSettings
) -> tuple[str, Wiring]:
    """The flow direction, and the edges (with junctions) the connectors make."""
    st_a, char_h = settings.arrows, fig.char_h
    box_margin, text_margin = _margins(fig, st_a)
    xy, kinds = nodes.xy, nodes.kinds
    margins = [box_margin if k[0] != "text" else text_margin for k in kinds]
    touches, labels = find_touches(conn, xy, margins, fig.prep.stroke, char_h, st_a)
    centers = [((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0) for b in xy]
    direction = flow_direction(touches, centers, st_a)
    if direction == "?":
        if doubtful_heads(touches, st_a):
            touches = [replace(t, head=False) for t in touches]
        direction = layout_direction(centers, touches)
    touches = [
        t
        for t in touches
        if kinds[t.node][0] != "text"
        or ends_at_label(labels, t, xy[t.node], margins[t.node], char_h, direction, settings.labels)
    ]
    tol = max(st_a.walk_tol_px, st_a.walk_tol_glyphs * char_h)
    return direction, build_edges(touches, labels, xy, margins, centers, direction, tol, st_a)
