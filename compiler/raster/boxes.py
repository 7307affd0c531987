"""Finding the boxes of a raster 2D-box diagram: outlined, filled, rounded, circles.

Three detectors, because no single mask shows every box: holes of the ink mask (outlined
boxes; the hole is the interior), solid blobs of the foreground mask after an opening
that erases thin lines (filled boxes), and clusters of empty holes that together form a
circle (the "circle with a plus" of an add, whose strokes split the interior into four).
A convexity test rejects the regions that arrows enclose between boxes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from papercc.compiler.diagram.grouping import groups
from papercc.compiler.raster.prep import Prepared

IBox = tuple[int, int, int, int]  # x0, y0, x1, y1 (x1, y1 exclusive)


def grown(box: IBox, m: int, shape: tuple[int, ...]) -> IBox:
    """`box` widened by `m` pixels on every side, clipped to an image of `shape`: the
    window around a node in which connectors touch it."""
    h, w = shape[:2]
    return (max(0, box[0] - m), max(0, box[1] - m), min(w, box[2] + m), min(h, box[3] + m))


@dataclass(frozen=True)
class BoxSettings:
    """The tunables of box finding. Units: pixels (px), x-heights of the labels' glyphs
    (glyphs), stroke widths (strokes), fractions; "a + b strokes" is a px + b strokes."""

    # the whole image
    min_image_side: int = 8  # px; a smaller image holds no box
    max_image_share: float = 0.5  # fraction of the image; a larger "box" is a frame or photo
    same_box_iou: float = 0.5  # intersection over union; a later detector's box this
    # close to an earlier one is the same box
    # glyph size (the x-height the other sizes scale with)
    glyph_min_h: int = 4  # px; shorter ink components are specks, not glyphs
    glyph_max_h: int = 80  # px; taller ones are lines or boxes
    glyph_min_w: int = 2  # px; narrower ones are hairlines
    glyph_max_aspect: int = 2  # width / height; wider ones are lines or words
    # a box holds a line of text: its interior is taller than this (glyph counters, and
    # gaps closed between touching glyphs, are not)
    min_side_glyphs: float = 1.5  # glyphs
    # shape of a region, by how it fills its bounding rectangle
    min_convexity: float = 0.94  # area / convex hull area; less is no box (arrows between)
    rect_fill: float = 0.93  # fraction of the rectangle; this full is a rectangle
    round_fill: float = 0.82  # fraction; this full is rounded (or a circle, see below)
    circle_max_fill: float = 0.86  # fraction; a circle fills pi/4, less than this
    ellipse_fill: float = 0.65  # fraction; this full is a circle or ellipse, less is none
    square_aspect: tuple[float, float] = (0.8, 1.25)  # width / height of a near-square
    # a rounded box leaves `corner_depth` of a side deep empty at `corners` corners; a
    # circle leaves `circle_corner_depth` (a rounded box's corner arcs would need a radius
    # of 0.41 sides to do that) at all `circle_corners`
    corner_depth: float = 0.1  # fraction of the shorter side
    corners: int = 3  # corners of four
    circle_corner_depth: float = 0.12  # fraction of the shorter side
    circle_corners: int = 4  # corners of four
    corner_min_depth: int = 2  # px; the corner probe lies at least this deep
    # holes of a line mask (outlined boxes)
    hole_min_side: int = 8  # px; smaller holes are glyph counters
    hole_min_side_strokes: int = 3  # strokes; ... and so are holes narrower than this
    quarter_min_px: int = 3  # px; an empty hole smaller than this is no quarter of a circle
    quarter_glyph_div: int = 3  # an empty quarter is at least glyphs / this wide and tall
    min_content_px: int = 8  # px of ink; fewer inside a hole are noise, not content
    min_content_strokes2: int = 2  # stroke-wide squares of ink; fewer are noise
    thin_sign_min_px: int = 8  # px of ink in one stroke figure: a hairline sign
    thin_sign_min_span: float = 5.0  # px; ... reaching this far across
    thin_sign_span_glyphs: float = 0.5  # glyphs; ... and this far
    empty_hole_share: float = 0.125  # fraction of the image; larger empty holes are no quarters
    border_max_px: int = 12  # px; a box's border is at most this thick
    ring_extra_px: int = 1  # px beyond a stroke; a circle's ring is about one stroke wide
    # circles split by a "+" or "x" into empty quarters
    quarter_min_convexity: float = 0.85  # area / convex hull area of a quarter hole
    join_narrow_px: int = 2  # px beyond a stroke: the narrow dilation joining the quarters
    join_wide_strokes: int = 2  # strokes; the wide dilation is this many strokes ...
    join_wide_px: int = 3  # ... and px (also joins open arrowheads' holes at a circle)
    min_span_strokes: int = 2  # strokes; the quarters together span this many strokes ...
    min_span_px: int = 4  # ... and px at least
    symbol_aspect: tuple[float, float] = (0.75, 1.33)  # width / height of a symbol circle
    plus_min_off_axis: float = 30  # degrees; all quarters this far off the axes: a "+"
    cross_max_off_axis: float = 15  # degrees; all quarters this close to the axes: an "x"
    # solid (filled) boxes
    open_strokes: int = 2  # strokes; the opening that erases thin lines is this wide ...
    open_px: int = 3  # ... plus this many px
    solid_min_side: int = 12  # px; a smaller solid blob is no box
    solid_min_side_kernels: int = 2  # opening widths; ... nor one smaller than this
    filled_max_ink: float = 0.5  # fraction of the interior; darker is a glyph or a mark
    filled_min_contrast: int = 60  # grey levels from the fill's median: text inside
    cut_depth_glyphs: float = 0.5  # glyphs; a box's core lies deeper than this in its blob
    # merging the detections of one box
    contain_tol: int = 3  # px; a box this far outside another still lies inside it
    same_box_area: float = 0.6  # fraction of the outer box's area: the same box
    dedupe_tol_px: int = 3  # px beyond a stroke: sides this close are shared
    strip_max_fg: float = 0.8  # fraction; a strip this much foreground is fill, not a line
    frame_cover: float = 0.2  # fraction; boxes covering this much of a box make it a frame


@dataclass(frozen=True)
class Box:
    """A detected box: outer extent (for arrows), interior (for text), its shape."""

    bbox: IBox
    inner: IBox
    shape: str  # rect | rounded | circle | ellipse
    symbol: str = ""  # "+" or "x" drawn as strokes across a circle (no text to read)
    filled: bool = False


def find_boxes(prep: Prepared, settings: BoxSettings = BoxSettings()) -> tuple[Box, ...]:
    """The boxes of a figure, sorted top to bottom, left to right."""
    h, w = prep.ink.shape
    if min(h, w) < settings.min_image_side:
        return ()
    # Holes of the ink mask: dark borders around any fill. A light, thin or blurred
    # border breaks up in the ink mask; around a white fill it still closes in the faint
    # mask (lighter ink) or the foreground mask (any colour; thicker, so glyphs of a
    # tight label may touch the border there, which the faint mask keeps apart).
    # Boxes cut out of blobs and the faint and foreground holes only add boxes the ink
    # holes and whole solid blobs miss: where both see a box, those outlines are sharper.
    glyph = _glyph_height(prep.ink, settings)
    min_side = int(settings.min_side_glyphs * glyph)
    whole, cut = _solid_boxes(prep, min_side, glyph, settings)
    cands = _hole_boxes(prep, prep.ink, min_side, glyph, settings) + whole
    for more in (
        cut,
        _hole_boxes(prep, prep.faint, min_side, glyph, settings),
        _hole_boxes(prep, prep.fg, min_side, glyph, settings),
    ):
        cands += [
            b for b in more if all(_iou(b.bbox, c.bbox) < settings.same_box_iou for c in cands)
        ]
    # a "box" filling most of the image is a frame, a photo or a gradient, not a node
    cands = [b for b in cands if _area(b.bbox) <= settings.max_image_share * h * w]
    tol = int(np.ceil(prep.stroke)) + settings.dedupe_tol_px
    return dedupe_boxes(cands, tol, prep.fg, settings)


def _shape_of(contour: np.ndarray, w: int, h: int, settings: BoxSettings) -> str | None:
    """Classify a region by how it fills its bounding rectangle; None if not box-like."""
    area = cv2.contourArea(contour)
    hull = cv2.contourArea(cv2.convexHull(contour))
    if hull <= 0 or area / hull < settings.min_convexity:
        return None
    fill = area / float(max(1, w * h))
    st = settings
    if fill >= st.rect_fill:
        cut = _corners_cut(contour, w, h, st.corner_depth, st.corners, st.corner_min_depth)
        return "rounded" if cut else "rect"
    lo, hi = st.square_aspect
    square = lo <= w / float(h) <= hi
    # a circle fills pi/4 = 0.785 (less for small pixel-traced contours, more for a blurred
    # blob flattened where lines meet it): a near-square region that full is a circle if
    # it leaves even the rectangle's corners deep empty
    if fill >= st.round_fill:
        depth, need = st.circle_corner_depth, st.circle_corners
        if (
            square
            and fill < st.circle_max_fill
            and _corners_cut(contour, w, h, depth, need, st.corner_min_depth)
        ):
            return "circle"
        return "rounded"
    if fill >= st.ellipse_fill:
        return "circle" if square else "ellipse"
    return None


def _corners_cut(
    contour: np.ndarray, w: int, h: int, depth: float, need: int, min_depth: int
) -> bool:
    """Rounded corners leave the rectangle's corners (`depth` of a side deep, at least
    `min_depth` pixels) outside, at `need` corners or more."""
    x, y = contour[:, 0, 0].min(), contour[:, 0, 1].min()
    m = np.zeros((h, w), np.uint8)
    cv2.drawContours(m, [contour - [x, y]], -1, 255, thickness=cv2.FILLED)
    d = max(min_depth, int(round(depth * min(w, h))))
    if d * 2 >= min(w, h):
        return False
    corners = [m[d - 1, d - 1], m[d - 1, w - d], m[h - d, d - 1], m[h - d, w - d]]
    return sum(int(c == 0) for c in corners) >= need


def _glyph_height(ink: np.ndarray, settings: BoxSettings) -> float:
    """The median height of glyph-like ink components (0 if there are none).

    Most small ink components of a diagram are glyphs (arrowheads are few), so the
    median is about the x-height of its labels.
    """
    # the outer outlines of all components (glyphs sit in the holes of their boxes)
    contours, hier = cv2.findContours(ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hier is None:
        return 0.0
    rects = np.array(
        [cv2.boundingRect(c) for c, hrow in zip(contours, hier[0], strict=True) if hrow[3] < 0]
    ).reshape(-1, 4)
    w, h = rects[:, 2], rects[:, 3]
    sel = (h >= settings.glyph_min_h) & (h <= settings.glyph_max_h)
    sel &= (w >= settings.glyph_min_w) & (w <= settings.glyph_max_aspect * h)
    return float(np.median(h[sel])) if np.any(sel) else 0.0


def _hole_boxes(
    prep: Prepared, ink: np.ndarray, min_side: int, glyph: float, settings: BoxSettings
) -> list[Box]:
    """Boxes whose interior is a hole of the line mask `ink` (holding text or a symbol).

    Holes smaller than `min_side` are counters of glyphs or gaps between touching glyphs;
    only empty ones at least a third of an x-height (`glyph`) wide and tall may be the
    quarters of a circle split by a "+" (the circle is two x-heights or more across).
    """
    s = prep.stroke
    min_side = max(settings.hole_min_side, int(settings.hole_min_side_strokes * s), min_side)
    min_piece = max(settings.quarter_min_px, int(glyph / settings.quarter_glyph_div))
    min_content = max(settings.min_content_px, int(settings.min_content_strokes2 * s * s))
    contours, hier = cv2.findContours(ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hier is None:
        return []
    out: list[Box] = []
    empty: list[np.ndarray] = []
    img_area = ink.shape[0] * ink.shape[1]
    for c, hrow in zip(contours, hier[0], strict=False):
        if hrow[3] < 0:
            continue
        x, y, w, h = cv2.boundingRect(c)
        if w < min_piece or h < min_piece:
            continue
        interior = _interior_mask(c, x, y, w, h)
        # a few stray pixels (noise, JPEG ringing) are no content: text or a symbol is
        # at least a couple of stroke-wide squares of ink, or a thin sign (a hairline
        # "+" in a box with thick borders) at least half a glyph across
        inside = cv2.bitwise_and(ink[y : y + h, x : x + w], interior)
        has_content = np.count_nonzero(inside) >= min_content or _thin_sign(inside, glyph, settings)
        if not has_content:
            if w * h < img_area * settings.empty_hole_share:
                empty.append(c)
            continue
        if w < min_side or h < min_side:
            continue
        shape = _shape_of(c, w, h, settings)
        if shape is None:
            continue
        inner = (x + 1, y + 1, x + w - 1, y + h - 1)
        if shape in ("circle", "ellipse"):
            outer = _grow_round(ink, (x, y, x + w, y + h), s, settings)
        else:
            outer = _grow_to_border(ink, (x, y, x + w, y + h), settings.border_max_px)
        out.append(Box(outer, inner, shape))
    out.extend(symbol_circles(prep, ink, empty, settings))
    return out


def _sparse_strip(
    fg: np.ndarray | None, outer: IBox, inner: IBox, tol: int, settings: BoxSettings
) -> bool:
    """On the side where `outer` reaches beyond `inner` by more than `tol`, less than
    `strip_max_fg` of the strip between them is foreground (a box's fill is all
    foreground; lines and heads, widened by the foreground mask's closing, are not)."""
    if fg is None:
        return True
    x0, y0, x1, y1 = outer
    strips = []
    if inner[0] - x0 > tol:
        strips.append(fg[y0:y1, x0 : inner[0]])
    if x1 - inner[2] > tol:
        strips.append(fg[y0:y1, inner[2] : x1])
    if inner[1] - y0 > tol:
        strips.append(fg[y0 : inner[1], x0:x1])
    if y1 - inner[3] > tol:
        strips.append(fg[inner[3] : y1, x0:x1])
    most = settings.strip_max_fg
    return bool(strips) and all(st.size and np.count_nonzero(st) < most * st.size for st in strips)


def _thin_sign(inside: np.ndarray, glyph: float, settings: BoxSettings) -> bool:
    """One connected stroke figure of eight pixels or more, half a glyph across."""
    if np.count_nonzero(inside) < settings.thin_sign_min_px:
        return False
    n, _, stats, _ = cv2.connectedComponentsWithStats(inside, connectivity=8)
    span = np.maximum(stats[1:, 2], stats[1:, 3])
    reach = max(settings.thin_sign_min_span, settings.thin_sign_span_glyphs * glyph)
    big = (stats[1:, 4] >= settings.thin_sign_min_px) & (span >= reach)
    return bool(big.any())


def _interior_mask(c: np.ndarray, x: int, y: int, w: int, h: int) -> np.ndarray:
    """The hole's pixels minus a one-pixel rim (the rim is the ring's own ink)."""
    m = np.zeros((h, w), np.uint8)
    cv2.drawContours(m, [c - [x, y]], -1, 255, thickness=cv2.FILLED)
    cv2.drawContours(m, [c - [x, y]], -1, 0, thickness=2)
    return m


def _grow_to_border(ink: np.ndarray, box: IBox, limit: int) -> IBox:
    """Extend an interior rectangle outwards across its border stroke, side by side.

    Each side is probed at three places and the thinnest crossing wins, so an arrow
    that meets the middle of a side does not count as border.
    """
    x0, y0, x1, y1 = box
    h, w = ink.shape
    xs = [x0 + (x1 - x0) * f // 4 for f in (1, 2, 3)]
    ys = [y0 + (y1 - y0) * f // 4 for f in (1, 2, 3)]
    left = min(_ink_run(ink[y, x0 - 1 :: -1], limit) if x0 > 0 else 0 for y in ys)
    right = min(_ink_run(ink[y, x1:], limit) for y in ys)
    top = min(_ink_run(ink[y0 - 1 :: -1, x], limit) if y0 > 0 else 0 for x in xs)
    bottom = min(_ink_run(ink[y1:, x], limit) for x in xs)
    return (x0 - left, y0 - top, min(w, x1 + right), min(h, y1 + bottom))


def _ink_run(line: np.ndarray, limit: int) -> int:
    """How many pixels from the start of a 1-D mask are ink, counting up to `limit`."""
    n = 0
    while n < min(limit, line.size) and line[n]:
        n += 1
    return n


def _grow_round(ink: np.ndarray, box: IBox, stroke: float, settings: BoxSettings) -> IBox:
    """Circles: the ring is about one stroke wide all round."""
    return grown(box, int(np.ceil(stroke)) + settings.ring_extra_px, ink.shape)


def symbol_circles(
    prep: Prepared,
    ink: np.ndarray,
    empty: list[np.ndarray],
    settings: BoxSettings = BoxSettings(),
) -> list[Box]:
    """Circles whose interior is split by a plus or cross into empty convex holes:
    `empty` are the contours of the empty holes of the line mask `ink`; each circle
    found has its sign ("+" or "x") as `symbol`."""
    if len(empty) < 2:
        return []
    keep = []
    for c in empty:
        x, y, w, h = cv2.boundingRect(c)
        area = cv2.contourArea(c)
        hull = cv2.contourArea(cv2.convexHull(c))
        if (
            hull > 0
            and area / hull >= settings.quarter_min_convexity
            and w >= settings.quarter_min_px
            and h >= settings.quarter_min_px
        ):
            keep.append(c)
    if len(keep) < 2:
        return []
    # The pieces are grouped by a dilation across the strokes between them. The symbol's
    # strokes may be thinner than the typical stroke (thick borders), and a wide dilation
    # also joins the holes of open arrowheads at the circle: try a narrow one too.
    s = int(np.ceil(prep.stroke))
    ks = sorted(
        {s + settings.join_narrow_px, settings.join_wide_strokes * s + settings.join_wide_px}
    )
    # the quarters together span a couple of strokes at least (the dilation adds k - 1)
    min_span = settings.min_span_strokes * s + settings.min_span_px
    out: list[Box] = []
    for group in _near_groups([cv2.boundingRect(c) for c in keep], ks[-1]):
        if len(group) < 2:
            continue
        rects = np.array([cv2.boundingRect(keep[g]) for g in group])
        x0 = max(0, int(rects[:, 0].min()) - ks[-1])
        y0 = max(0, int(rects[:, 1].min()) - ks[-1])
        x1 = int((rects[:, 0] + rects[:, 2]).max()) + ks[-1]
        y1 = int((rects[:, 1] + rects[:, 3]).max()) + ks[-1]
        if min(x1 - x0, y1 - y0) - 2 * ks[-1] < min_span:
            continue
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cs = [keep[g] - [x0, y0] for g in group]
        cv2.drawContours(mask, cs, -1, 255, thickness=cv2.FILLED)
        cv2.drawContours(mask, cs, -1, 0, thickness=1)  # the rim is the separating stroke
        for k in ks:
            out.extend(_group_symbol_pieces(prep, ink, mask, k, min_span, (x0, y0), settings))
    return out


def _near_groups(rects: list[tuple[int, int, int, int]], gap: int) -> list[list[int]]:
    """Indices of rectangles (x, y, w, h) grouped by chains of gaps under `gap`."""
    r = np.array(rects, np.int64).reshape(-1, 4)
    x0, y0, x1, y1 = r[:, 0] - gap, r[:, 1] - gap, r[:, 0] + r[:, 2] + gap, r[:, 1] + r[:, 3] + gap

    def near() -> Iterator[tuple[int, int]]:
        for a in range(len(r)):
            hits = np.flatnonzero((x0 < x1[a]) & (x0[a] < x1) & (y0 < y1[a]) & (y0[a] < y1))
            for b in hits[hits > a]:
                yield int(b), a

    return groups(len(r), near())


def _group_symbol_pieces(
    prep: Prepared,
    ink: np.ndarray,
    mask: np.ndarray,
    k: int,
    min_span: int,
    origin: tuple[int, int],
    settings: BoxSettings,
) -> list[Box]:
    merged = cv2.dilate(mask, np.ones((k, k), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(merged, connectivity=8)
    out: list[Box] = []
    ox, oy = origin
    lo, hi = settings.symbol_aspect
    for i in range(1, n):
        x, y, w, h, _ = stats[i]
        if min(w, h) - (k - 1) < min_span or not lo <= w / float(h) <= hi:
            continue
        sub = (labels[y : y + h, x : x + w] == i).astype(np.uint8) * 255
        pieces = cv2.bitwise_and(mask[y : y + h, x : x + w], sub)
        np_, _, pstats, pcent = cv2.connectedComponentsWithStats(pieces, connectivity=4)
        if np_ - 1 not in (2, 4):
            continue
        # the outline the pieces fill together (the dilation that grouped them squares
        # off a small circle when the stroke is thick)
        hull = cv2.convexHull(cv2.findNonZero(pieces))
        _, _, hw, hh = cv2.boundingRect(hull)
        if _shape_of(hull, hw, hh, settings) not in ("circle", "ellipse", "rounded"):
            continue
        symbol = _quadrant_symbol(pcent[1:], w, h, settings) if np_ - 1 == 4 else ""
        if not symbol:
            continue
        x, y = x + ox, y + oy
        core = (x + k // 2, y + k // 2, x + w - k // 2, y + h - k // 2)
        outer = _grow_round(ink, core, prep.stroke, settings)
        out.append(Box(outer, (x, y, x + w, y + h), "circle", symbol=symbol))
    return out


def _quadrant_symbol(cents: np.ndarray, w: int, h: int, settings: BoxSettings) -> str:
    """Four holes in the diagonal quadrants -> "+"; on the axes -> "x"."""
    d = cents - np.array([w / 2.0, h / 2.0])
    ang = np.degrees(np.arctan2(d[:, 1], d[:, 0])) % 90.0
    off_axis = np.minimum(ang, 90.0 - ang)  # 0 on an axis, 45 on a diagonal
    if np.all(off_axis > settings.plus_min_off_axis):
        return "+"
    if np.all(off_axis < settings.cross_max_off_axis):
        return "x"
    return ""


def _solid_boxes(
    prep: Prepared, min_side: int, glyph: float, settings: BoxSettings
) -> tuple[list[Box], list[Box]]:
    """Filled boxes: blobs of the foreground mask after an opening that erases thin lines.

    Thicker or blurred lines and arrowheads survive the opening; stuck to a box, they
    make its blob fail the shape test (and join boxes to each other). In such blobs each
    box is found as a core of pixels deeper inside the foreground than half an x-height
    (`glyph`): lines, arrowheads and glyph strokes are thinner than that, a box holding a
    line of text is thicker. The core grown back by that depth gives the box's extent,
    and the foreground clipped to the extent gives its shape.

    Returns the boxes of whole blobs and the boxes cut out of blobs.
    """
    k = settings.open_strokes * int(np.ceil(prep.stroke)) + settings.open_px
    opened = cv2.morphologyEx(prep.fg, cv2.MORPH_OPEN, np.ones((k, k), np.uint8))
    # every blob's outline, also of blobs inside another's hole (boxes in a group frame)
    contours, hier = cv2.findContours(opened, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    min_side = max(settings.solid_min_side, settings.solid_min_side_kernels * k, min_side)
    found: list[tuple[tuple[int, int, int, int], str]] = []
    failed = []
    for c, hrow in zip(contours, hier[0] if hier is not None else (), strict=False):
        if hrow[3] >= 0:
            continue
        x, y, w, h = cv2.boundingRect(c)
        if w < min_side or h < min_side:
            continue
        shape = _shape_of(c, w, h, settings)
        if shape is None:
            failed.append(c)
        else:
            found.append(((x, y, w, h), shape))
    cut = _cut_boxes(opened, failed, k, glyph, settings) if failed else []
    return (
        _filled_boxes(prep, found, k, min_side, settings),
        _filled_boxes(prep, cut, k, min_side, settings),
    )


def _filled_boxes(
    prep: Prepared,
    found: list[tuple[tuple[int, int, int, int], str]],
    k: int,
    min_side: int,
    settings: BoxSettings,
) -> list[Box]:
    """The solid regions that are boxes holding text or a symbol."""
    out: list[Box] = []
    for (x, y, w, h), shape in found:
        if w < min_side or h < min_side:
            continue
        region = prep.gray[y + k : y + h - k, x + k : x + w - k]
        if region.size == 0:
            continue
        # dark as ink inside (a thick border may be half of a small box): a bold glyph,
        # an arrowhead or a thick mark
        dark = np.count_nonzero(prep.ink[y + k : y + h - k, x + k : x + w - k])
        if dark > settings.filled_max_ink * region.size:
            continue
        med = float(np.median(region))
        if not np.any(np.abs(region.astype(np.int16) - med) > settings.filled_min_contrast):
            continue  # no text or symbol inside: a bar, a legend swatch, a thick line
        inner = _inside_border(prep.ink, (x, y, x + w, y + h), settings.border_max_px)
        out.append(Box((x, y, x + w, y + h), inner, shape, filled=True))
    return out


def _inside_border(ink: np.ndarray, box: IBox, limit: int) -> IBox:
    """The box without its border: the run of ink from each side inwards (none for a
    borderless fill; at least one pixel), the thinnest of three probes along the side
    so a glyph touching the border there does not count. A label's glyph that touches
    a thick border then stays in the text crop, cut, instead of going with the border."""
    x0, y0, x1, y1 = box
    xs = [x0 + (x1 - x0) * f // 4 for f in (1, 2, 3)]
    ys = [y0 + (y1 - y0) * f // 4 for f in (1, 2, 3)]
    left = max(1, min(_ink_run(ink[y, x0:x1], limit) for y in ys))
    right = max(1, min(_ink_run(ink[y, x0:x1][::-1], limit) for y in ys))
    top = max(1, min(_ink_run(ink[y0:y1, x], limit) for x in xs))
    bottom = max(1, min(_ink_run(ink[y0:y1, x][::-1], limit) for x in xs))
    return (x0 + left, y0 + top, x1 - right, y1 - bottom)


def _cut_boxes(
    opened: np.ndarray, blobs: list[np.ndarray], k: int, glyph: float, settings: BoxSettings
) -> list[tuple[tuple[int, int, int, int], str]]:
    """The boxes in blobs of lines and boxes stuck together (see `_solid_boxes`)."""
    rects = np.array([cv2.boundingRect(c) for c in blobs]).reshape(-1, 4)
    ox, oy = int(rects[:, 0].min()), int(rects[:, 1].min())
    ex, ey = int((rects[:, 0] + rects[:, 2]).max()), int((rects[:, 1] + rects[:, 3]).max())
    mask = np.zeros((ey - oy, ex - ox), np.uint8)
    cv2.drawContours(mask, [c - [ox, oy] for c in blobs], -1, 255, thickness=cv2.FILLED)
    mask &= opened[oy:ey, ox:ex]
    depth = max(k // 2 + 1, int(settings.cut_depth_glyphs * glyph))
    dist = cv2.distanceTransform(mask, cv2.DIST_L2, 3)
    core = (dist > depth).astype(np.uint8)
    cores, _ = cv2.findContours(core, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    line_h = np.ones((1, 2 * depth + 1), np.uint8)
    line_v = np.ones((2 * depth + 1, 1), np.uint8)
    hgt, wid = mask.shape
    out = []
    for cc in cores:
        cx, cy, cw, ch = cv2.boundingRect(cc)
        g = depth + 1
        x0, y0 = max(0, cx - g), max(0, cy - g)
        x1, y1 = min(wid, cx + cw + g), min(hgt, cy + ch + g)
        # the stubs of the lines that reach in from above or below (beside) the core
        # are narrower than the box along (across) its side
        clip = cv2.morphologyEx(mask[y0:y1, x0:x1], cv2.MORPH_OPEN, line_h)
        got = _blob_shape(cv2.morphologyEx(clip, cv2.MORPH_OPEN, line_v), settings)
        if got is not None:
            (bx, by, w, h), shape = got
            out.append(((ox + x0 + bx, oy + y0 + by, w, h), shape))
    return out


def _blob_shape(
    blob: np.ndarray, settings: BoxSettings
) -> tuple[tuple[int, int, int, int], str] | None:
    """The bounding rectangle (in the blob's frame) and shape of a mask's largest part."""
    cs, _ = cv2.findContours(blob, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not cs:
        return None
    c = max(cs, key=cv2.contourArea)
    x, y, w, h = cv2.boundingRect(c)
    shape = _shape_of(c, w, h, settings)
    return None if shape is None else ((x, y, w, h), shape)


def _area(b: IBox) -> int:
    return max(0, b[2] - b[0]) * max(0, b[3] - b[1])


def _iou(a: IBox, b: IBox) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / float(_area(a) + _area(b) - inter)


def _contains(outer: IBox, inner: IBox, tol: int) -> bool:
    return (
        inner[0] >= outer[0] - tol
        and inner[1] >= outer[1] - tol
        and inner[2] <= outer[2] + tol
        and inner[3] <= outer[3] + tol
    )


def _shared_sides(outer: IBox, inner: IBox, tol: int) -> int:
    """How many sides of `inner` lie on the matching side of `outer` (within tol)."""
    return sum(abs(a - b) <= tol for a, b in zip(outer, inner, strict=True))


def dedupe_boxes(
    cands: list[Box],
    tol: int,
    fg: np.ndarray | None = None,
    settings: BoxSettings = BoxSettings(),
) -> tuple[Box, ...]:
    """Merge the detections of one box; drop frames that group other boxes. Sides of
    two boxes within `tol` pixels of each other are shared.

    The blob of a filled box grows where an arrowhead or a line sticks to one side; a
    border found around the box's hole (sharing its other three sides) is then its
    outline, when the strip between them is mostly background in `fg` (a head and a
    line's end), not fill (the hole's border cut off part of the box, where its label
    touches it). The result is sorted top to bottom, left to right."""
    cands = sorted(cands, key=lambda b: -_area(b.bbox))
    kept: list[Box] = []
    for b in cands:
        dup = None
        part = False
        for i, k in enumerate(kept):
            if not _contains(k.bbox, b.bbox, settings.contain_tol):
                continue
            if _area(b.bbox) >= settings.same_box_area * _area(k.bbox):
                dup = i
                break
            if _shared_sides(k.bbox, b.bbox, tol) >= 2:
                # a piece of the box's interior, cut off where its label touches the
                # border in a thicker mask: not a node inside a frame (frames have margins)
                dup, part = i, True
                break
        if dup is not None:
            k = kept[dup]
            inner = b.inner if _area(b.inner) < _area(k.inner) and not part else k.inner
            bbox, shape = k.bbox, k.shape
            if (
                k.filled
                and not b.filled
                and not part
                and _shared_sides(k.bbox, b.bbox, tol) == 3
                and _sparse_strip(fg, k.bbox, b.bbox, tol, settings)
            ):
                bbox, shape = b.bbox, b.shape
            kept[dup] = Box(bbox, inner, shape, k.symbol or b.symbol, k.filled or b.filled)
        else:
            kept.append(b)
    # A box inside another is either a node inside a group frame (the frame goes) or a
    # glyph of the outer box's label: the closed counter of an "o", "0" or "B" (with a
    # dot, a slash or noise inside it), or a bold letter that survived as a solid blob
    # (the glyph goes). Nodes fill a good share of the frame around them; glyphs cover
    # a small share of their box.
    drop: set[int] = set()
    for i, k in enumerate(kept):
        inside = [
            j
            for j, o in enumerate(kept)
            if j != i and _contains(k.bbox, o.bbox, settings.contain_tol)
        ]
        if not inside:
            continue
        covered = sum(_area(kept[j].bbox) for j in inside)
        if covered >= settings.frame_cover * _area(k.bbox):
            drop.add(i)
        else:
            drop.update(inside)
    boxes = [_ints(k) for i, k in enumerate(kept) if i not in drop]
    return tuple(sorted(boxes, key=lambda b: (b.bbox[1], b.bbox[0])))


def _ints(b: Box) -> Box:
    bb = tuple(int(v) for v in b.bbox)
    inner = tuple(int(v) for v in b.inner)
    return Box(bb, inner, b.shape, b.symbol, b.filled)  # type: ignore[arg-type]
