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


# A box holds a line of text: its interior is taller than this many x-heights (glyph
# counters, and gaps closed between touching glyphs, are not)
MIN_SIDE_GLYPHS = 1.5
FRAME_COVER = 0.2  # boxes covering this share of a box around them make it a group frame


@dataclass(frozen=True)
class Box:
    """A detected box: outer extent (for arrows), interior (for text), its shape."""

    bbox: IBox
    inner: IBox
    shape: str  # rect | rounded | circle | ellipse
    symbol: str = ""  # "+" or "x" drawn as strokes across a circle (no text to read)
    filled: bool = False


def find_boxes(prep: Prepared) -> tuple[Box, ...]:
    h, w = prep.ink.shape
    if min(h, w) < 8:
        return ()
    # Holes of the ink mask: dark borders around any fill. A light, thin or blurred
    # border breaks up in the ink mask; around a white fill it still closes in the faint
    # mask (lighter ink) or the foreground mask (any colour; thicker, so glyphs of a
    # tight label may touch the border there, which the faint mask keeps apart).
    # Boxes cut out of blobs and the faint and foreground holes only add boxes the ink
    # holes and whole solid blobs miss: where both see a box, those outlines are sharper.
    glyph = _glyph_height(prep.ink)
    min_side = int(MIN_SIDE_GLYPHS * glyph)
    whole, cut = _solid_boxes(prep, min_side, glyph)
    cands = _hole_boxes(prep, prep.ink, min_side, glyph) + whole
    for more in (
        cut,
        _hole_boxes(prep, prep.faint, min_side, glyph),
        _hole_boxes(prep, prep.fg, min_side, glyph),
    ):
        cands += [b for b in more if all(_iou(b.bbox, c.bbox) < 0.5 for c in cands)]
    # a "box" filling most of the image is a frame, a photo or a gradient, not a node
    cands = [b for b in cands if _area(b.bbox) <= 0.5 * h * w]
    return _dedupe(cands, tol=int(np.ceil(prep.stroke)) + 3, fg=prep.fg)


def _shape_of(contour: np.ndarray, w: int, h: int) -> str | None:
    """Classify a region by how it fills its bounding rectangle; None if not box-like."""
    area = cv2.contourArea(contour)
    hull = cv2.contourArea(cv2.convexHull(contour))
    if hull <= 0 or area / hull < 0.94:
        return None
    fill = area / float(max(1, w * h))
    if fill >= 0.93:
        return "rounded" if _corners_cut(contour, w, h) else "rect"
    square = 0.8 <= w / float(h) <= 1.25
    # a circle fills pi/4 = 0.785 (less for small pixel-traced contours, more for a blurred
    # blob flattened where lines meet it): a near-square region that full is a circle if
    # it leaves even the rectangle's corners 0.12 of a side deep empty (a rounded box's
    # corner arcs would need a radius of 0.41 sides to do that)
    if fill >= 0.82:
        if square and fill < 0.86 and _corners_cut(contour, w, h, 0.12, 4):
            return "circle"
        return "rounded"
    if fill >= 0.65:
        return "circle" if square else "ellipse"
    return None


def _corners_cut(contour: np.ndarray, w: int, h: int, depth: float = 0.1, need: int = 3) -> bool:
    """Rounded corners leave the rectangle's corners (`depth` of a side deep) outside."""
    x, y = contour[:, 0, 0].min(), contour[:, 0, 1].min()
    m = np.zeros((h, w), np.uint8)
    cv2.drawContours(m, [contour - [x, y]], -1, 255, thickness=cv2.FILLED)
    d = max(2, int(round(depth * min(w, h))))
    if d * 2 >= min(w, h):
        return False
    corners = [m[d - 1, d - 1], m[d - 1, w - d], m[h - d, d - 1], m[h - d, w - d]]
    return sum(int(c == 0) for c in corners) >= need


def _glyph_height(ink: np.ndarray) -> float:
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
    sel = (h >= 4) & (h <= 80) & (w >= 2) & (w <= 2 * h)
    return float(np.median(h[sel])) if np.any(sel) else 0.0


def _hole_boxes(
    prep: Prepared, ink: np.ndarray, min_side: int = 0, glyph: float = 0.0
) -> list[Box]:
    """Boxes whose interior is a hole of the line mask `ink` (holding text or a symbol).

    Holes smaller than `min_side` are counters of glyphs or gaps between touching glyphs;
    only empty ones at least a third of an x-height (`glyph`) wide and tall may be the
    quarters of a circle split by a "+" (the circle is two x-heights or more across).
    """
    s = prep.stroke
    min_side = max(8, int(3 * s), min_side)
    min_piece = max(3, int(glyph / 3))
    min_content = max(8, int(2 * s * s))
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
        has_content = np.count_nonzero(inside) >= min_content or _thin_sign(inside, glyph)
        if not has_content:
            if w * h < img_area / 8:
                empty.append(c)
            continue
        if w < min_side or h < min_side:
            continue
        shape = _shape_of(c, w, h)
        if shape is None:
            continue
        inner = (x + 1, y + 1, x + w - 1, y + h - 1)
        if shape in ("circle", "ellipse"):
            outer = _grow_round(ink, (x, y, x + w, y + h), s)
        else:
            outer = _grow_to_border(ink, (x, y, x + w, y + h))
        out.append(Box(outer, inner, shape))
    out.extend(_symbol_circles(prep, ink, empty))
    return out


def _sparse_strip(fg: np.ndarray | None, outer: IBox, inner: IBox, tol: int) -> bool:
    """On the side where `outer` reaches beyond `inner` by more than `tol`, less than
    0.8 of the strip between them is foreground (a box's fill is all foreground; lines
    and heads, widened by the foreground mask's closing, are not)."""
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
    return bool(strips) and all(st.size and np.count_nonzero(st) < 0.8 * st.size for st in strips)


def _thin_sign(inside: np.ndarray, glyph: float) -> bool:
    """One connected stroke figure of eight pixels or more, half a glyph across."""
    if np.count_nonzero(inside) < 8:
        return False
    n, _, stats, _ = cv2.connectedComponentsWithStats(inside, connectivity=8)
    span = np.maximum(stats[1:, 2], stats[1:, 3])
    big = (stats[1:, 4] >= 8) & (span >= max(5.0, 0.5 * glyph))
    return bool(big.any())


def _interior_mask(c: np.ndarray, x: int, y: int, w: int, h: int) -> np.ndarray:
    """The hole's pixels minus a one-pixel rim (the rim is the ring's own ink)."""
    m = np.zeros((h, w), np.uint8)
    cv2.drawContours(m, [c - [x, y]], -1, 255, thickness=cv2.FILLED)
    cv2.drawContours(m, [c - [x, y]], -1, 0, thickness=2)
    return m


def _grow_to_border(ink: np.ndarray, box: IBox, limit: int = 12) -> IBox:
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


def _grow_round(ink: np.ndarray, box: IBox, stroke: float) -> IBox:
    """Circles: the ring is about one stroke wide all round."""
    return grown(box, int(np.ceil(stroke)) + 1, ink.shape)


def _symbol_circles(prep: Prepared, ink: np.ndarray, empty: list[np.ndarray]) -> list[Box]:
    """Circles whose interior is split by a plus or cross into empty convex holes."""
    if len(empty) < 2:
        return []
    keep = []
    for c in empty:
        x, y, w, h = cv2.boundingRect(c)
        area = cv2.contourArea(c)
        hull = cv2.contourArea(cv2.convexHull(c))
        if hull > 0 and area / hull >= 0.85 and w >= 3 and h >= 3:
            keep.append(c)
    if len(keep) < 2:
        return []
    # The pieces are grouped by a dilation across the strokes between them. The symbol's
    # strokes may be thinner than the typical stroke (thick borders), and a wide dilation
    # also joins the holes of open arrowheads at the circle: try a narrow one too.
    s = int(np.ceil(prep.stroke))
    ks = sorted({s + 2, 2 * s + 3})
    # the quarters together span a couple of strokes at least (the dilation adds k - 1)
    min_span = 2 * s + 4
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
            out.extend(_group_symbol_pieces(prep, ink, mask, k, min_span, (x0, y0)))
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
) -> list[Box]:
    merged = cv2.dilate(mask, np.ones((k, k), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(merged, connectivity=8)
    out: list[Box] = []
    ox, oy = origin
    for i in range(1, n):
        x, y, w, h, _ = stats[i]
        if min(w, h) - (k - 1) < min_span or not 0.75 <= w / float(h) <= 1.33:
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
        if _shape_of(hull, hw, hh) not in ("circle", "ellipse", "rounded"):
            continue
        symbol = _quadrant_symbol(pcent[1:], w, h) if np_ - 1 == 4 else ""
        if not symbol:
            continue
        x, y = x + ox, y + oy
        core = (x + k // 2, y + k // 2, x + w - k // 2, y + h - k // 2)
        outer = _grow_round(ink, core, prep.stroke)
        out.append(Box(outer, (x, y, x + w, y + h), "circle", symbol=symbol))
    return out


def _quadrant_symbol(cents: np.ndarray, w: int, h: int) -> str:
    """Four holes in the diagonal quadrants -> "+"; on the axes -> "x"."""
    d = cents - np.array([w / 2.0, h / 2.0])
    ang = np.degrees(np.arctan2(d[:, 1], d[:, 0])) % 90.0
    off_axis = np.minimum(ang, 90.0 - ang)  # 0 on an axis, 45 on a diagonal
    if np.all(off_axis > 30):
        return "+"
    if np.all(off_axis < 15):
        return "x"
    return ""


def _solid_boxes(
    prep: Prepared, min_side: int = 0, glyph: float = 0.0
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
    k = 2 * int(np.ceil(prep.stroke)) + 3
    opened = cv2.morphologyEx(prep.fg, cv2.MORPH_OPEN, np.ones((k, k), np.uint8))
    # every blob's outline, also of blobs inside another's hole (boxes in a group frame)
    contours, hier = cv2.findContours(opened, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    min_side = max(12, 2 * k, min_side)
    found: list[tuple[tuple[int, int, int, int], str]] = []
    failed = []
    for c, hrow in zip(contours, hier[0] if hier is not None else (), strict=False):
        if hrow[3] >= 0:
            continue
        x, y, w, h = cv2.boundingRect(c)
        if w < min_side or h < min_side:
            continue
        shape = _shape_of(c, w, h)
        if shape is None:
            failed.append(c)
        else:
            found.append(((x, y, w, h), shape))
    cut = _cut_boxes(opened, failed, k, glyph) if failed else []
    return _filled_boxes(prep, found, k, min_side), _filled_boxes(prep, cut, k, min_side)


def _filled_boxes(
    prep: Prepared, found: list[tuple[tuple[int, int, int, int], str]], k: int, min_side: int
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
        if np.count_nonzero(prep.ink[y + k : y + h - k, x + k : x + w - k]) > 0.5 * region.size:
            continue
        med = float(np.median(region))
        if not np.any(np.abs(region.astype(np.int16) - med) > 60):
            continue  # no text or symbol inside: a bar, a legend swatch, a thick line
        inner = _inside_border(prep.ink, (x, y, x + w, y + h))
        out.append(Box((x, y, x + w, y + h), inner, shape, filled=True))
    return out


def _inside_border(ink: np.ndarray, box: IBox, limit: int = 12) -> IBox:
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
    opened: np.ndarray, blobs: list[np.ndarray], k: int, glyph: float
) -> list[tuple[tuple[int, int, int, int], str]]:
    """The boxes in blobs of lines and boxes stuck together (see `_solid_boxes`)."""
    rects = np.array([cv2.boundingRect(c) for c in blobs]).reshape(-1, 4)
    ox, oy = int(rects[:, 0].min()), int(rects[:, 1].min())
    ex, ey = int((rects[:, 0] + rects[:, 2]).max()), int((rects[:, 1] + rects[:, 3]).max())
    mask = np.zeros((ey - oy, ex - ox), np.uint8)
    cv2.drawContours(mask, [c - [ox, oy] for c in blobs], -1, 255, thickness=cv2.FILLED)
    mask &= opened[oy:ey, ox:ex]
    depth = max(k // 2 + 1, int(0.5 * glyph))
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
        got = _blob_shape(cv2.morphologyEx(clip, cv2.MORPH_OPEN, line_v))
        if got is not None:
            (bx, by, w, h), shape = got
            out.append(((ox + x0 + bx, oy + y0 + by, w, h), shape))
    return out


def _blob_shape(blob: np.ndarray) -> tuple[tuple[int, int, int, int], str] | None:
    """The bounding rectangle (in the blob's frame) and shape of a mask's largest part."""
    cs, _ = cv2.findContours(blob, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not cs:
        return None
    c = max(cs, key=cv2.contourArea)
    x, y, w, h = cv2.boundingRect(c)
    shape = _shape_of(c, w, h)
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


def _contains(outer: IBox, inner: IBox, tol: int = 3) -> bool:
    return (
        inner[0] >= outer[0] - tol
        and inner[1] >= outer[1] - tol
        and inner[2] <= outer[2] + tol
        and inner[3] <= outer[3] + tol
    )


def _shared_sides(outer: IBox, inner: IBox, tol: int) -> int:
    """How many sides of `inner` lie on the matching side of `outer` (within tol)."""
    return sum(abs(a - b) <= tol for a, b in zip(outer, inner, strict=True))


def _dedupe(cands: list[Box], tol: int = 4, fg: np.ndarray | None = None) -> tuple[Box, ...]:
    """Merge the detections of one box; drop frames that group other boxes.

    The blob of a filled box grows where an arrowhead or a line sticks to one side; a
    border found around the box's hole (sharing its other three sides) is then its
    outline, when the strip between them is mostly background in `fg` (a head and a
    line's end), not fill (the hole's border cut off part of the box, where its label
    touches it)."""
    cands = sorted(cands, key=lambda b: -_area(b.bbox))
    kept: list[Box] = []
    for b in cands:
        dup = None
        part = False
        for i, k in enumerate(kept):
            if not _contains(k.bbox, b.bbox):
                continue
            if _area(b.bbox) >= 0.6 * _area(k.bbox):
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
                and _sparse_strip(fg, k.bbox, b.bbox, tol)
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
        inside = [j for j, o in enumerate(kept) if j != i and _contains(k.bbox, o.bbox)]
        if not inside:
            continue
        covered = sum(_area(kept[j].bbox) for j in inside)
        if covered >= FRAME_COVER * _area(k.bbox):
            drop.add(i)
        else:
            drop.update(inside)
    boxes = [_ints(k) for i, k in enumerate(kept) if i not in drop]
    return tuple(sorted(boxes, key=lambda b: (b.bbox[1], b.bbox[0])))


def _ints(b: Box) -> Box:
    bb = tuple(int(v) for v in b.bbox)
    inner = tuple(int(v) for v in b.inner)
    return Box(bb, inner, b.shape, b.symbol, b.filled)  # type: ignore[arg-type]
