"""Finding the boxes of a raster 2D-box diagram: outlined, filled, rounded, circles.

Three detectors, because no single mask shows every box: holes of the ink mask (outlined
boxes; the hole is the interior), solid blobs of the foreground mask after an opening
that erases thin lines (filled boxes), and clusters of empty holes that together form a
circle (the "circle with a plus" of an add, whose strokes split the interior into four).
A convexity test rejects the regions that arrows enclose between boxes.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .raster_prep import Prepared

IBox = tuple[int, int, int, int]  # x0, y0, x1, y1 (x1, y1 exclusive)


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
    cands = _hole_boxes(prep) + _solid_boxes(prep)
    # a "box" filling most of the image is a frame, a photo or a gradient, not a node
    cands = [b for b in cands if _area(b.bbox) <= 0.5 * h * w]
    return _dedupe(cands)


def _shape_of(contour: np.ndarray, w: int, h: int) -> str | None:
    """Classify a region by how it fills its bounding rectangle; None if not box-like."""
    area = cv2.contourArea(contour)
    hull = cv2.contourArea(cv2.convexHull(contour))
    if hull <= 0 or area / hull < 0.94:
        return None
    fill = area / float(max(1, w * h))
    if fill >= 0.93:
        return "rounded" if _corners_cut(contour, w, h) else "rect"
    if fill >= 0.82:
        return "rounded"
    if fill >= 0.65:  # a circle fills pi/4 = 0.785 (less for small pixel-traced contours)
        return "circle" if 0.8 <= w / float(h) <= 1.25 else "ellipse"
    return None


def _corners_cut(contour: np.ndarray, w: int, h: int) -> bool:
    """Rounded corners leave the rectangle's corners outside the region."""
    x, y = contour[:, 0, 0].min(), contour[:, 0, 1].min()
    m = np.zeros((h, w), np.uint8)
    cv2.drawContours(m, [contour - [x, y]], -1, 255, thickness=cv2.FILLED)
    d = max(2, int(round(0.1 * min(w, h))))
    if d * 2 >= min(w, h):
        return False
    corners = [m[d - 1, d - 1], m[d - 1, w - d], m[h - d, d - 1], m[h - d, w - d]]
    return sum(int(c == 0) for c in corners) >= 3


def _hole_boxes(prep: Prepared) -> list[Box]:
    ink = prep.ink
    s = prep.stroke
    min_side = max(8, int(3 * s))
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
        if w < 3 or h < 3:
            continue
        interior = _interior_mask(c, x, y, w, h)
        has_content = bool(np.any(ink[y : y + h, x : x + w][interior > 0]))
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
    out.extend(_symbol_circles(prep, empty))
    return out


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

    def run(line: np.ndarray) -> int:
        n = 0
        while n < min(limit, line.size) and line[n]:
            n += 1
        return n

    left = min(run(ink[y, x0 - 1 :: -1]) if x0 > 0 else 0 for y in ys)
    right = min(run(ink[y, x1:]) for y in ys)
    top = min(run(ink[y0 - 1 :: -1, x]) if y0 > 0 else 0 for x in xs)
    bottom = min(run(ink[y1:, x]) for x in xs)
    return (x0 - left, y0 - top, min(w, x1 + right), min(h, y1 + bottom))


def _grow_round(ink: np.ndarray, box: IBox, stroke: float) -> IBox:
    """Circles: the ring is about one stroke wide all round."""
    g = int(np.ceil(stroke)) + 1
    h, w = ink.shape
    return (max(0, box[0] - g), max(0, box[1] - g), min(w, box[2] + g), min(h, box[3] + g))


def _symbol_circles(prep: Prepared, empty: list[np.ndarray]) -> list[Box]:
    """Circles whose interior is split by a plus or cross into empty convex holes."""
    if len(empty) < 2:
        return []
    ink = prep.ink
    keep = []
    for c in empty:
        x, y, w, h = cv2.boundingRect(c)
        area = cv2.contourArea(c)
        hull = cv2.contourArea(cv2.convexHull(c))
        if hull > 0 and area / hull >= 0.85 and w >= 3 and h >= 3:
            keep.append(c)
    if len(keep) < 2:
        return []
    k = 2 * int(np.ceil(prep.stroke)) + 3
    # only the holes' bounding box (widened by the dilation) is drawn and labelled: the
    # same components as on the full image, for a fraction of the work (an even offset
    # keeps OpenCV's 2x2 labelling grid, so they also come in the same order)
    bx, by, bw, bh = cv2.boundingRect(np.vstack(keep))
    ox, oy = max(0, bx - k) & ~1, max(0, by - k) & ~1
    ex, ey = min(ink.shape[1], bx + bw + k), min(ink.shape[0], by + bh + k)
    mask = np.zeros((ey - oy, ex - ox), np.uint8)
    cv2.drawContours(mask, keep, -1, 255, thickness=cv2.FILLED, offset=(-ox, -oy))
    cv2.drawContours(mask, keep, -1, 0, thickness=1, offset=(-ox, -oy))  # the separating stroke
    merged = cv2.dilate(mask, np.ones((k, k), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(merged, connectivity=8)
    out: list[Box] = []
    min_side = max(10, int(4 * prep.stroke + 6))
    for i in range(1, n):
        x, y, w, h, _ = stats[i]
        if w < min_side or h < min_side or not 0.75 <= w / float(h) <= 1.33:
            continue
        sub = (labels[y : y + h, x : x + w] == i).astype(np.uint8) * 255
        pieces = cv2.bitwise_and(mask[y : y + h, x : x + w], sub)
        np_, _, pstats, pcent = cv2.connectedComponentsWithStats(pieces, connectivity=4)
        if np_ - 1 not in (2, 4):
            continue
        cs, _ = cv2.findContours(sub, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        if _shape_of(max(cs, key=cv2.contourArea), w, h) not in ("circle", "ellipse", "rounded"):
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


def _solid_boxes(prep: Prepared) -> list[Box]:
    k = 2 * int(np.ceil(prep.stroke)) + 3
    opened = cv2.morphologyEx(prep.fg, cv2.MORPH_OPEN, np.ones((k, k), np.uint8))
    contours, _ = cv2.findContours(opened, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out: list[Box] = []
    for c in contours:
        x, y, w, h = cv2.boundingRect(c)
        if w < 3 * k or h < 2 * k:
            continue
        shape = _shape_of(c, w, h)
        if shape is None:
            continue
        region = prep.gray[y + k : y + h - k, x + k : x + w - k]
        if region.size == 0:
            continue
        med = float(np.median(region))
        if not np.any(np.abs(region.astype(np.int16) - med) > 60):
            continue  # no text or symbol inside: a bar, a legend swatch, a thick line
        inner = (x + 1, y + 1, x + w - 1, y + h - 1)
        out.append(Box((x, y, x + w, y + h), inner, shape, filled=True))
    return out


def _area(b: IBox) -> int:
    return max(0, b[2] - b[0]) * max(0, b[3] - b[1])


def _contains(outer: IBox, inner: IBox, tol: int = 3) -> bool:
    return (
        inner[0] >= outer[0] - tol
        and inner[1] >= outer[1] - tol
        and inner[2] <= outer[2] + tol
        and inner[3] <= outer[3] + tol
    )


def _dedupe(cands: list[Box]) -> tuple[Box, ...]:
    """Merge the detections of one box; drop frames that group other boxes."""
    cands = sorted(cands, key=lambda b: -_area(b.bbox))
    kept: list[Box] = []
    for b in cands:
        dup = None
        for i, k in enumerate(kept):
            if _contains(k.bbox, b.bbox) and _area(b.bbox) >= 0.6 * _area(k.bbox):
                dup = i
                break
        if dup is not None:
            k = kept[dup]
            inner = b.inner if _area(b.inner) < _area(k.inner) else k.inner
            kept[dup] = Box(k.bbox, inner, k.shape, k.symbol or b.symbol, k.filled or b.filled)
        else:
            kept.append(b)
    frames = {
        i
        for i, k in enumerate(kept)
        if any(j != i and _contains(k.bbox, o.bbox) for j, o in enumerate(kept))
    }
    boxes = [_ints(k) for i, k in enumerate(kept) if i not in frames]
    return tuple(sorted(boxes, key=lambda b: (b.bbox[1], b.bbox[0])))


def _ints(b: Box) -> Box:
    bb = tuple(int(v) for v in b.bbox)
    inner = tuple(int(v) for v in b.inner)
    return Box(bb, inner, b.shape, b.symbol, b.filled)  # type: ignore[arg-type]
