"""Arrowheads: which line each belongs to, and where the line really ends.

Why: an arrowhead is a separate drawing (filled triangle, barbed shape, or an
open 'V' of two strokes) placed at a line end or half-way along a curve; its
line must be found, the line extended to the tip (lines often stop at the
head's base, short of the box) and its direction recorded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations, pairwise

from papercc.compiler.vector.geometry import (
    ARROW_MAX,
    Arrowhead,
    BBox,
    Grid,
    Pt,
    Stroke,
    bbox_of,
    dist,
    polyline_length,
    rect_dist,
    seg_dist,
)


@dataclass
class Piece:
    points: list[Pt]
    head_start: bool = False
    head_end: bool = False
    mid_dir: int = 0  # +1 start->end, -1 end->start, from an arrowhead mid-line
    head_vec: Pt = (0.0, 0.0)  # where the arrowhead points (for the figure's flow)
    color: tuple | None = None


def _angle(tip: Pt, a: Pt, b: Pt) -> float:
    ua = unit((a[0] - tip[0], a[1] - tip[1]))
    ub = unit((b[0] - tip[0], b[1] - tip[1]))
    return math.degrees(math.acos(max(-1.0, min(1.0, ua[0] * ub[0] + ua[1] * ub[1]))))


def _open_arrowheads(pieces: list[Piece]) -> tuple[list[Piece], list[Arrowhead]]:
    """Open arrowheads: two short strokes meeting in a 'V' at the end of a line.

    The V is one 3-point stroke or two 2-point strokes sharing the tip. It only
    counts when another line ends at the tip along the V's axis, so a short
    elbow connector is not mistaken for an arrowhead.
    """
    cands: list[tuple[Pt, Pt, Pt, tuple[int, ...]]] = []  # arm a, tip, arm b, pieces
    short2: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for i, p in enumerate(pieces):
        pts = p.points
        if len(pts) == 3 and max(dist(pts[0], pts[1]), dist(pts[1], pts[2])) <= ARROW_MAX:
            cands.append((pts[0], pts[1], pts[2], (i,)))
        elif len(pts) == 2 and dist(pts[0], pts[1]) <= ARROW_MAX:
            for e in (0, 1):
                key = (round(pts[e][0] * 2), round(pts[e][1] * 2))
                short2.setdefault(key, []).append((i, e))
    for group in short2.values():
        for (i, e), (j, f) in combinations(group, 2):
            if i != j:
                tip = pieces[i].points[e]
                cands.append((pieces[i].points[1 - e], tip, pieces[j].points[1 - f], (i, j)))
    used: set[int] = set()
    heads: list[Arrowhead] = []
    ends = [
        (k, e, p.points[-1] if e else p.points[0]) for k, p in enumerate(pieces) for e in (0, 1)
    ]
    grid = Grid(12.0)
    for n_, (_, _, q) in enumerate(ends):
        grid.add(n_, (q[0], q[1], q[0], q[1]))
    for a, tip, b, idx in cands:
        if any(i in used for i in idx) or not 15.0 <= _angle(tip, a, b) <= 120.0:
            continue
        mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
        axis = unit((tip[0] - mid[0], tip[1] - mid[1]))
        size = max(dist(a, tip), dist(b, tip))
        shaft = False
        for n_ in grid.near(tip, max(2.0, 0.5 * size)):
            k, e, q = ends[n_]
            if k in idx or dist(q, tip) > max(2.0, 0.5 * size):
                continue
            pts = pieces[k].points if e else pieces[k].points[::-1]
            u = unit((pts[-1][0] - point_before(pts)[0], pts[-1][1] - point_before(pts)[1]))
            if u[0] * axis[0] + u[1] * axis[1] >= 0.8:
                shaft = True
                break
        if shaft:
            used.update(idx)
            heads.append(Arrowhead((a, tip, b), tip, size, pieces[idx[0]].color))
    return [p for i, p in enumerate(pieces) if i not in used], heads


def attach_arrowheads(strokes: list[Stroke], heads: list[Arrowhead]) -> list[Piece]:
    """Give each arrowhead to its line; move the line's end to the tip."""
    pieces = [Piece(list(s.points), color=s.color) for s in strokes]
    pieces, vees = _open_arrowheads(pieces)
    heads = list(heads) + vees
    lengths = [polyline_length(p.points) for p in pieces]
    boxes = [bbox_of(p.points) for p in pieces]
    stub = _stubs(pieces, lengths, boxes, heads)
    keep = [i for i in range(len(pieces)) if i not in stub]
    pieces = [pieces[i] for i in keep]
    lengths = [lengths[i] for i in keep]
    boxes = [boxes[i] for i in keep]
    cands = _head_candidates(pieces, lengths, boxes, heads)
    cands.sort(key=lambda x: x[0])
    done_heads: set[int] = set()
    taken: set[tuple[int, str]] = set()
    for _, hi, i, k, slot in cands:
        if hi in done_heads or (i, slot) in taken:
            continue
        done_heads.add(hi)
        taken.add((i, slot))
        _attach(heads[hi], pieces[i], k, slot)
    return pieces


def _grid(boxes: list[BBox]) -> Grid:
    grid = Grid()
    for i, bb in enumerate(boxes):
        grid.add(i, bb)
    return grid


def _stubs(pieces: list[Piece], lengths, boxes, heads: list[Arrowhead]) -> set[int]:
    """Line bits lying within an arrowhead (drawing artefacts)."""
    grid = _grid(boxes)
    stub = set()
    for h in heads:
        hb = bbox_of(h.corners)
        hb = (hb[0] - 0.5, hb[1] - 0.5, hb[2] + 0.5, hb[3] + 0.5)
        for i in sorted(grid.near(h.centre, h.size + 1.0)):
            p = pieces[i]
            if lengths[i] > h.size or not contains(hb, boxes[i]):
                continue
            if all(rect_dist(q, hb) == 0 for q in p.points):
                stub.add(i)
    return stub


def _head_candidates(pieces: list[Piece], lengths, boxes, heads: list[Arrowhead]) -> list:
    """Every (key, head, piece, segment, slot) an arrowhead may attach to: a segment
    within reach of its centre, at the piece's "start", "end" or "mid"-way; the key
    prefers segments along the head's axis, then nearer ones, then longer pieces."""
    grid = _grid(boxes)
    cands = []
    for hi, h in enumerate(heads):
        c = h.centre
        axis = unit((h.tip[0] - c[0], h.tip[1] - c[1]))
        reach = max(1.5 * h.size, 2.0)
        for i in sorted(grid.near(c, reach)):
            p = pieces[i]
            if not rect_dist(c, boxes[i]) <= reach:
                continue
            last = len(p.points) - 2
            for k, (a, b) in enumerate(pairwise(p.points)):
                d, t = seg_dist(c, a, b)
                if d > reach:
                    continue
                u = unit((b[0] - a[0], b[1] - a[1]))
                aligned = abs(u[0] * axis[0] + u[1] * axis[1]) >= 0.7
                d_start = dist(p.points[0], c) if k == 0 else math.inf
                d_end = dist(p.points[-1], c) if k == last else math.inf
                if min(d_start, d_end) <= reach:
                    slot = "end" if d_end <= d_start else "start"
                else:
                    slot = "mid"
                key = (not aligned, round(d / max(h.size, 0.5), 1), -lengths[i])
                cands.append((key, hi, i, k, slot))
    return cands


def _attach(h: Arrowhead, p: Piece, k: int, slot: str) -> None:
    """Head h on piece p: at an end, the end moves out to the tip and the piece points
    there; mid-way (on segment k), the piece gets the head's direction."""
    c = h.centre
    if p.color is None:
        p.color = h.color
    if slot != "mid":
        at_end = slot == "end"
        pts = p.points if at_end else p.points[::-1]
        end, prev = pts[-1], point_before(pts)
        ux, uy = unit((end[0] - prev[0], end[1] - prev[1]))
        tip = max(h.corners, key=lambda q: q[0] * ux + q[1] * uy)
        if (tip[0] - end[0]) * ux + (tip[1] - end[1]) * uy > 0:
            pts[-1] = tip
        if at_end:
            p.points, p.head_end, p.head_vec = pts, True, (ux, uy)
        else:
            p.points, p.head_start, p.head_vec = pts[::-1], True, (ux, uy)
    else:
        a, b = p.points[k], p.points[k + 1]
        hx, hy = h.tip[0] - c[0], h.tip[1] - c[1]
        p.mid_dir = 1 if hx * (b[0] - a[0]) + hy * (b[1] - a[1]) >= 0 else -1
        p.head_vec = unit((hx, hy))


def point_before(pts: list[Pt]) -> Pt:
    """A point on the line a little before its end, for the end's direction."""
    end = pts[-1]
    for q in reversed(pts[:-1]):
        if dist(q, end) > 0.5:
            return q
    return pts[0]


def unit(v: Pt) -> Pt:
    n = math.hypot(*v)
    return (0.0, 0.0) if n == 0 else (v[0] / n, v[1] / n)


def contains(outer: BBox, inner: BBox) -> bool:
    return (
        outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and inner[2] <= outer[2]
        and inner[3] <= outer[3]
    )
