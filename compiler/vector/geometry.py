"""Turn PDF drawing commands into the primitives of a box diagram.

Why: a vector figure carries exact geometry, so boxes, connector strokes and
arrowheads can be told apart by shape alone (no OCR, no rasterising).
`page.get_drawings()` yields paths of line/curve/rect/quad items; here every
path is split into subpaths, curves are flattened, and each subpath is
classified: a closed shape is a box, a (triangle-like, small) arrowhead or a
dot of a dotted line; an open stroke is a connector piece.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations, pairwise

Pt = tuple[float, float]
BBox = tuple[float, float, float, float]

ARROW_MAX = 12.0  # pt: an arrowhead is never larger than this
DOT_MAX = 2.5  # pt: closed blobs smaller than this are dots of a dotted line
_DASH_MAX = 8.0  # pt: the longest dash of a dashed outline drawn dash by dash
_DASH_GAP = 6.0  # pt: the widest gap between two dashes of one outline
_BEZIER_STEPS = 8
_EPS = 0.05


@dataclass(frozen=True)
class Box:
    """A closed outline big enough to be a node."""

    bbox: BBox
    shape: str  # "rect" | "rounded" | "circle" | "ellipse" | "other"
    filled: bool
    fill: tuple | None = None  # RGB of a visible fill, for legends that key boxes by colour


@dataclass(frozen=True)
class Stroke:
    """An open polyline: a connector or a piece of one."""

    points: tuple[Pt, ...]
    width: float
    color: tuple | None = None  # RGB of the stroke, for legends that key arrows by colour


@dataclass(frozen=True)
class Arrowhead:
    """A small triangle-like shape; `tip` is a first guess, refined by its line."""

    corners: tuple[Pt, Pt, Pt]
    tip: Pt
    size: float
    color: tuple | None = None

    @property
    def centre(self) -> Pt:
        xs, ys = zip(*self.corners, strict=True)
        return (sum(xs) / 3.0, sum(ys) / 3.0)


@dataclass(frozen=True)
class Primitives:
    boxes: tuple[Box, ...]
    strokes: tuple[Stroke, ...]
    arrowheads: tuple[Arrowhead, ...]


# ---------------------------------------------------------------- geometry


def dist(a: Pt, b: Pt) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def seg_dist(p: Pt, a: Pt, b: Pt) -> tuple[float, float]:
    """Distance from p to segment ab and the parameter t in [0, 1] of the foot."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    ll = dx * dx + dy * dy
    t = 0.0 if ll == 0 else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / ll))
    return dist(p, (a[0] + t * dx, a[1] + t * dy)), t


def rect_dist(p: Pt, r: BBox) -> float:
    """Distance from p to rectangle r (0 inside)."""
    dx = max(r[0] - p[0], 0.0, p[0] - r[2])
    dy = max(r[1] - p[1], 0.0, p[1] - r[3])
    return math.hypot(dx, dy)


def border_dist(p: Pt, r: BBox) -> float:
    """Distance from p to the outline of rectangle r."""
    if r[0] <= p[0] <= r[2] and r[1] <= p[1] <= r[3]:
        return min(p[0] - r[0], r[2] - p[0], p[1] - r[1], r[3] - p[1])
    return rect_dist(p, r)


def bbox_of(points) -> BBox:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def polyline_length(points) -> float:
    return sum(dist(a, b) for a, b in pairwise(points))


def _area(points) -> float:
    s = 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True):
        s += x0 * y1 - x1 * y0
    return abs(s) / 2.0


def _hull(points) -> list[Pt]:
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[Pt] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Pt] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def _best_triangle(hull: list[Pt]) -> tuple[float, tuple[Pt, Pt, Pt] | None]:
    """Largest triangle on hull vertices (hulls here are small)."""
    if len(hull) > 18:
        step = len(hull) / 18.0
        hull = [hull[int(i * step)] for i in range(18)]
    best, tri = 0.0, None
    for a, b, c in combinations(hull, 3):
        ar = abs((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])) / 2.0
        if ar > best:
            best, tri = ar, (a, b, c)
    return best, tri


def _bezier(p0: Pt, p1: Pt, p2: Pt, p3: Pt) -> list[Pt]:
    out = []
    for i in range(1, _BEZIER_STEPS + 1):
        t = i / _BEZIER_STEPS
        u = 1 - t
        out.append(
            (
                u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
                u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
            )
        )
    return out


# ---------------------------------------------------------------- paths


@dataclass
class _Sub:
    points: list[Pt]
    curves: bool = False
    rect_item: bool = False
    closed: bool = False


def _pt(p) -> Pt:
    return (float(p.x), float(p.y))


def _subpaths(items) -> list[_Sub]:
    """Split a path's items into connected subpaths of flattened points."""
    subs: list[_Sub] = []
    cur: _Sub | None = None
    for it in items:
        kind = it[0]
        if kind == "re":
            r = it[1]
            pts = [(r.x0, r.y0), (r.x1, r.y0), (r.x1, r.y1), (r.x0, r.y1)]
            subs.append(_Sub([(float(x), float(y)) for x, y in pts], rect_item=True, closed=True))
            cur = None
        elif kind == "qu":
            q = it[1]
            pts = [_pt(q.ul), _pt(q.ur), _pt(q.lr), _pt(q.ll)]
            subs.append(_Sub(pts, closed=True))
            cur = None
        elif kind in ("l", "c"):
            start = _pt(it[1])
            if cur is None or dist(cur.points[-1], start) > _EPS:
                cur = _Sub([start])
                subs.append(cur)
            if kind == "l":
                cur.points.append(_pt(it[2]))
            else:
                cur.points.extend(_bezier(start, _pt(it[2]), _pt(it[3]), _pt(it[4])))
                cur.curves = True
    for s in subs:
        if not s.closed and len(s.points) > 2 and dist(s.points[0], s.points[-1]) < 0.3:
            s.closed = True
        if s.closed and len(s.points) > 1 and dist(s.points[0], s.points[-1]) < _EPS:
            s.points.pop()
    return subs


def _rgb(c) -> tuple | None:
    return None if c is None else tuple(round(float(v), 3) for v in c[:3])


def _near_white(c) -> bool:
    return c is not None and len(c) >= 3 and min(c[:3]) > 0.95


def _visible(d: dict) -> tuple[bool, bool]:
    """(filled, stroked) as they would show on a white page."""
    t = d.get("type", "")
    filled = "f" in t and d.get("fill") is not None and d.get("fill_opacity") != 0
    stroked = "s" in t and d.get("color") is not None and d.get("stroke_opacity") != 0
    if filled and not stroked and _near_white(d.get("fill")):
        filled = False  # white on white: invisible (often a background)
    return filled, stroked


def _inside(bb: BBox, clip: BBox | None, slack: float = 2.0) -> bool:
    if clip is None:
        return True
    cx, cy = (bb[0] + bb[2]) / 2, (bb[1] + bb[3]) / 2
    return clip[0] - slack <= cx <= clip[2] + slack and clip[1] - slack <= cy <= clip[3] + slack


def _classify_closed(sub: _Sub, filled: bool, stroked: bool, width: float, out: dict) -> None:
    pts = sub.points
    if len(pts) < 3:
        return
    bb = bbox_of(pts)
    bw, bh = bb[2] - bb[0], bb[3] - bb[1]
    size = max(bw, bh)
    if size < 0.3:
        return
    area = _area(pts)
    if not sub.rect_item and size <= ARROW_MAX and (filled or stroked):
        tri_area, tri = _best_triangle(_hull(pts))
        if tri is not None and tri_area > 0 and area / tri_area < 1.25 and area > 0.05:
            out["arrows"].append(_make_arrowhead(tri, size, out["fill"] or out["color"]))
            return
    if size < DOT_MAX:
        if filled:
            out["dots"].append(((bb[0] + bb[2]) / 2, (bb[1] + bb[3]) / 2))
        return
    if not filled and not stroked:
        return
    if min(bw, bh) < 0.05 or (area < 0.05 * bw * bh and not sub.rect_item):
        if stroked:  # a degenerate closed path is a line
            out["strokes"].append(Stroke(tuple(pts), width, out["color"]))
        return
    ratio = area / (bw * bh) if bw * bh > 0 else 0.0
    if sub.rect_item or (len(_hull(pts)) == 4 and ratio > 0.95):
        shape = "rect"
    elif sub.curves and 0.70 <= ratio <= 0.82:
        shape = "circle" if 0.8 <= bw / bh <= 1.25 else "ellipse"
    elif sub.curves and ratio > 0.82:
        shape = "rounded"
    elif ratio > 0.97:
        shape = "rect"
    else:
        shape = "other"
    out["boxes"].append(Box(bb, shape, filled, out["fill"] if filled else None))


def _make_arrowhead(tri, size: float, color=None) -> Arrowhead:
    a, b, c = tri
    # tip: the vertex opposite the shortest side (arrowheads are isosceles)
    sides = [(dist(b, c), a), (dist(a, c), b), (dist(a, b), c)]
    tip = min(sides)[1]
    return Arrowhead((a, b, c), tip, size, color)


def _rects_from_segments(strokes: list[Stroke], tol: float = 0.8) -> tuple[list[Box], list[Stroke]]:
    """Find rectangles drawn as four separate axis-aligned line segments."""
    hs, vs = [], []
    for i, s in enumerate(strokes):
        if len(s.points) != 2:
            continue
        (x0, y0), (x1, y1) = s.points
        if abs(y0 - y1) < 0.1 and abs(x0 - x1) > 1:
            hs.append((min(x0, x1), max(x0, x1), y0, i))
        elif abs(x0 - x1) < 0.1 and abs(y0 - y1) > 1:
            vs.append((min(y0, y1), max(y0, y1), x0, i))
    if len(hs) < 2 or len(vs) < 2:
        return [], strokes
    used: set[int] = set()
    boxes = []
    hs.sort(key=lambda h: h[2])
    for a, top in enumerate(hs):
        if top[3] in used:
            continue
        for bot in hs[a + 1 :]:
            if bot[3] in used or abs(bot[0] - top[0]) > tol or abs(bot[1] - top[1]) > tol:
                continue
            y0, y1 = top[2], bot[2]
            if y1 - y0 < 1:
                continue
            sides = {}
            for v in vs:
                if v[3] in used or abs(v[0] - y0) > tol or abs(v[1] - y1) > tol:
                    continue
                if abs(v[2] - top[0]) <= tol:
                    sides.setdefault("l", v[3])
                elif abs(v[2] - top[1]) <= tol:
                    sides.setdefault("r", v[3])
            if len(sides) == 2:
                used.update((top[3], bot[3], sides["l"], sides["r"]))
                boxes.append(Box((top[0], y0, top[1], y1), "rect", False))
                break
    return boxes, [s for i, s in enumerate(strokes) if i not in used]


def _dash_runs(strokes: list[Stroke]) -> list[tuple[str, float, float, float, list[int]]]:
    """Collinear runs of short axis-aligned dashes (at least four): (axis, position,
    start, end, stroke indices); axis "h" runs along x at y = position."""
    lines: dict[tuple[str, int], list[tuple[float, float, int]]] = {}
    for i, s in enumerate(strokes):
        if len(s.points) != 2:
            continue
        (x0, y0), (x1, y1) = s.points
        if abs(y0 - y1) < 0.1 and 0.2 < abs(x0 - x1) <= _DASH_MAX:
            lines.setdefault(("h", round(y0 * 4)), []).append((min(x0, x1), max(x0, x1), i))
        elif abs(x0 - x1) < 0.1 and 0.2 < abs(y0 - y1) <= _DASH_MAX:
            lines.setdefault(("v", round(x0 * 4)), []).append((min(y0, y1), max(y0, y1), i))
    runs = []
    for (axis, pos), dashes in lines.items():
        dashes.sort()
        cur = [dashes[0]]
        for d in dashes[1:]:
            if d[0] - cur[-1][1] <= _DASH_GAP:
                cur.append(d)
                continue
            if len(cur) >= 4:
                runs.append((axis, pos / 4, cur[0][0], max(c[1] for c in cur), [c[2] for c in cur]))
            cur = [d]
        if len(cur) >= 4:
            runs.append((axis, pos / 4, cur[0][0], max(c[1] for c in cur), [c[2] for c in cur]))
    return runs


def _rects_from_dashes(strokes: list[Stroke], boxes: list[Box]) -> tuple[list[Box], list[Stroke]]:
    """Group frames drawn as separate dashes: four runs of dashes that close a
    rectangle around at least two boxes become one box (a frame); its dashes are no
    connectors. A dashed outline around one box stays decoration of that box."""
    runs = _dash_runs(strokes)
    hs = sorted((r for r in runs if r[0] == "h"), key=lambda r: r[1])
    vs = [r for r in runs if r[0] == "v"]
    if len(hs) < 2 or len(vs) < 2:
        return [], strokes
    tol = _DASH_GAP + 1.0
    used: set[int] = set()
    frames = []
    for a, top in enumerate(hs):
        for bot in hs[a + 1 :]:
            if abs(bot[2] - top[2]) > tol or abs(bot[3] - top[3]) > tol or bot[1] - top[1] < 4:
                continue
            x0, x1, y0, y1 = min(top[2], bot[2]), max(top[3], bot[3]), top[1], bot[1]
            left = [v for v in vs if abs(v[1] - x0) <= tol and abs(v[2] - y0) <= tol]
            right = [v for v in vs if abs(v[1] - x1) <= tol and abs(v[2] - y0) <= tol]
            left = [v for v in left if abs(v[3] - y1) <= tol]
            right = [v for v in right if abs(v[3] - y1) <= tol]
            inner = sum(
                1
                for b in boxes
                if x0 < (b.bbox[0] + b.bbox[2]) / 2 < x1 and y0 < (b.bbox[1] + b.bbox[3]) / 2 < y1
            )
            if left and right and inner >= 2:
                for r in (top, bot, left[0], right[0]):
                    used.update(r[4])
                frames.append(Box((x0, y0, x1, y1), "rect", False))
                break
    return frames, [s for i, s in enumerate(strokes) if i not in used]


def read_primitives(drawings: list[dict], clip: BBox | None = None) -> Primitives:
    """Classify the visible drawings whose centre lies in `clip`."""
    out: dict[str, list] = {"boxes": [], "strokes": [], "arrows": [], "dots": []}
    for d in drawings:
        r = d.get("rect")
        if r is not None and not _inside((r.x0, r.y0, r.x1, r.y1), clip):
            continue
        filled, stroked = _visible(d)
        if not (filled or stroked):
            continue
        width = float(d.get("width") or 0.0)
        out["dots"] = []
        out["color"] = _rgb(d.get("color")) if stroked else _rgb(d.get("fill"))
        out["fill"] = _rgb(d.get("fill")) if filled else None
        for sub in _subpaths(d.get("items", ())):
            closed = sub.closed or (filled and len(sub.points) > 2)
            if closed:
                _classify_closed(sub, filled, stroked, width, out)
            elif stroked and len(sub.points) >= 2:
                out["strokes"].append(Stroke(tuple(sub.points), width, out["color"]))
        if len(out["dots"]) >= 3:  # a dotted line drawn as one path of dots
            out["strokes"].append(Stroke(tuple(out["dots"]), width, out["fill"]))
    rects, strokes = _rects_from_segments(out["strokes"])
    frames, strokes = _rects_from_dashes(strokes, out["boxes"] + rects)
    boxes = _dedupe_boxes(out["boxes"] + rects + frames)
    return Primitives(tuple(boxes), tuple(strokes), tuple(out["arrows"]))


def _dedupe_boxes(boxes: list[Box], tol: float = 1.0) -> list[Box]:
    """The same outline is often drawn twice (fill, then stroke)."""
    kept: list[Box] = []
    seen: dict[tuple[int, int], list[int]] = {}
    for b in boxes:
        key = (int(b.bbox[0] // 4), int(b.bbox[1] // 4))
        near = [
            k
            for dx in (-1, 0, 1)
            for dy in (-1, 0, 1)
            for k in seen.get((key[0] + dx, key[1] + dy), ())
        ]
        for i in near:
            k = kept[i]
            if all(abs(u - v) <= tol for u, v in zip(b.bbox, k.bbox, strict=True)):
                if k.shape == "other" and b.shape != "other":
                    kept[i] = Box(k.bbox, b.shape, k.filled or b.filled, k.fill or b.fill)
                elif k.fill is None and b.fill is not None:
                    kept[i] = Box(k.bbox, k.shape, True, b.fill)
                break
        else:
            seen.setdefault(key, []).append(len(kept))
            kept.append(b)
    return kept


class Grid:
    """A uniform-grid spatial index over bounding boxes (figures have hundreds)."""

    def __init__(self, cell: float = 24.0) -> None:
        self.cell = cell
        self._cells: dict[tuple[int, int], list[int]] = {}

    def add(self, idx: int, bb: BBox) -> None:
        c = self.cell
        for gx in range(int(bb[0] // c), int(bb[2] // c) + 1):
            for gy in range(int(bb[1] // c), int(bb[3] // c) + 1):
                self._cells.setdefault((gx, gy), []).append(idx)

    def near(self, p: Pt, r: float) -> set[int]:
        """Indices whose box may lie within r of p."""
        c = self.cell
        out: set[int] = set()
        for gx in range(int((p[0] - r) // c), int((p[0] + r) // c) + 1):
            for gy in range(int((p[1] - r) // c), int((p[1] + r) // c) + 1):
                out.update(self._cells.get((gx, gy), ()))
        return out
