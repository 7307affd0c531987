"""Connect nodes through connector strokes: which node feeds which.

Why: a figure's connectors are drawn as separate pieces (elbows, dashes,
fan-outs from one point, T-junctions onto another line, curved skips with the
arrowhead half-way). Treating every piece as a directed edge between
"terminals" (a node, or a free junction point) and then following paths that
pass only through junctions gives node-to-node edges for all of those cases.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations, pairwise

from .vector_geometry import (
    ARROW_MAX,
    Arrowhead,
    BBox,
    Grid,
    Pt,
    Stroke,
    bbox_of,
    border_dist,
    dist,
    polyline_length,
    rect_dist,
    seg_dist,
)

CONF_ARROW = 1.0  # direction read from an arrowhead
CONF_PROPAGATED = 0.8  # direction implied by neighbouring pieces at a junction
CONF_FLOW = 0.6  # direction from the figure's dominant flow
CONF_GUESS = 0.3  # piece perpendicular to the flow: reading order


@dataclass(frozen=True)
class Tolerances:
    attach: float  # how far a line end may stop short of a node
    junction: float  # how close two line ends must be to meet


@dataclass
class _Piece:
    points: list[Pt]
    head_start: bool = False
    head_end: bool = False
    mid_dir: int = 0  # +1 start->end, -1 end->start, from an arrowhead mid-line
    head_vec: Pt = (0.0, 0.0)  # where the arrowhead points (for the figure's flow)
    color: tuple | None = None


@dataclass
class _Edge:
    a: int  # terminal ids: nodes are 0..n-1, junctions n..
    b: int
    vec: Pt  # from a's end to b's end
    dir: int  # +1 a->b, -1 b->a, 0 unknown
    conf: float
    color: tuple | None = None


@dataclass(frozen=True)
class GraphResult:
    edges: tuple[tuple[int, int, float], ...]
    direction: str
    flow: Pt
    decorated: frozenset[int]  # nodes with line work drawn inside (e.g. a cross)
    merges: tuple[Pt, ...] = ()  # free points where lines join: extra nodes n, n+1, ...
    colors: tuple[tuple | None, ...] = ()  # colour of each edge's first line


def _angle(tip: Pt, a: Pt, b: Pt) -> float:
    ua = _unit((a[0] - tip[0], a[1] - tip[1]))
    ub = _unit((b[0] - tip[0], b[1] - tip[1]))
    return math.degrees(math.acos(max(-1.0, min(1.0, ua[0] * ub[0] + ua[1] * ub[1]))))


def _open_arrowheads(pieces: list[_Piece]) -> tuple[list[_Piece], list[Arrowhead]]:
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
        axis = _unit((tip[0] - mid[0], tip[1] - mid[1]))
        size = max(dist(a, tip), dist(b, tip))
        shaft = False
        for n_ in grid.near(tip, max(2.0, 0.5 * size)):
            k, e, q = ends[n_]
            if k in idx or dist(q, tip) > max(2.0, 0.5 * size):
                continue
            pts = pieces[k].points if e else pieces[k].points[::-1]
            u = _unit((pts[-1][0] - _point_before(pts)[0], pts[-1][1] - _point_before(pts)[1]))
            if u[0] * axis[0] + u[1] * axis[1] >= 0.8:
                shaft = True
                break
        if shaft:
            used.update(idx)
            heads.append(Arrowhead((a, tip, b), tip, size, pieces[idx[0]].color))
    return [p for i, p in enumerate(pieces) if i not in used], heads


def _attach_arrowheads(strokes: list[Stroke], heads: list[Arrowhead]) -> list[_Piece]:
    """Give each arrowhead to its line; move the line's end to the tip."""
    pieces = [_Piece(list(s.points), color=s.color) for s in strokes]
    pieces, vees = _open_arrowheads(pieces)
    heads = list(heads) + vees
    lengths = [polyline_length(p.points) for p in pieces]
    boxes = [bbox_of(p.points) for p in pieces]

    def near(i: int, c: Pt, r: float) -> bool:
        return rect_dist(c, boxes[i]) <= r

    grid = Grid()
    for i, bb in enumerate(boxes):
        grid.add(i, bb)

    # stubs: line bits lying within an arrowhead (drawing artefacts)
    stub = set()
    for h in heads:
        hb = bbox_of(h.corners)
        hb = (hb[0] - 0.5, hb[1] - 0.5, hb[2] + 0.5, hb[3] + 0.5)
        for i in sorted(grid.near(h.centre, h.size + 1.0)):
            p = pieces[i]
            if lengths[i] > h.size or not _contains(hb, boxes[i]):
                continue
            if all(rect_dist(q, hb) == 0 for q in p.points):
                stub.add(i)
    keep = [i for i in range(len(pieces)) if i not in stub]
    pieces = [pieces[i] for i in keep]
    lengths = [lengths[i] for i in keep]
    boxes = [boxes[i] for i in keep]
    grid = Grid()
    for i, bb in enumerate(boxes):
        grid.add(i, bb)
    cands = []
    for hi, h in enumerate(heads):
        c = h.centre
        axis = _unit((h.tip[0] - c[0], h.tip[1] - c[1]))
        reach = max(1.5 * h.size, 2.0)
        for i in sorted(grid.near(c, reach)):
            p = pieces[i]
            if not near(i, c, reach):
                continue
            last = len(p.points) - 2
            for k, (a, b) in enumerate(pairwise(p.points)):
                d, t = seg_dist(c, a, b)
                if d > reach:
                    continue
                u = _unit((b[0] - a[0], b[1] - a[1]))
                aligned = abs(u[0] * axis[0] + u[1] * axis[1]) >= 0.7
                d_start = dist(p.points[0], c) if k == 0 else math.inf
                d_end = dist(p.points[-1], c) if k == last else math.inf
                if min(d_start, d_end) <= reach:
                    slot = "end" if d_end <= d_start else "start"
                else:
                    slot = "mid"
                key = (not aligned, round(d / max(h.size, 0.5), 1), -lengths[i])
                cands.append((key, hi, i, k, slot))
    cands.sort(key=lambda x: x[0])
    done_heads: set[int] = set()
    taken: set[tuple[int, str]] = set()
    for _, hi, i, k, slot in cands:
        if hi in done_heads or (i, slot) in taken:
            continue
        done_heads.add(hi)
        taken.add((i, slot))
        h, p = heads[hi], pieces[i]
        c = h.centre
        if p.color is None:
            p.color = h.color
        if slot != "mid":
            at_end = slot == "end"
            pts = p.points if at_end else p.points[::-1]
            end, prev = pts[-1], _point_before(pts)
            ux, uy = _unit((end[0] - prev[0], end[1] - prev[1]))
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
            p.head_vec = _unit((hx, hy))
    return pieces


def _point_before(pts: list[Pt]) -> Pt:
    """A point on the line a little before its end, for the end's direction."""
    end = pts[-1]
    for q in reversed(pts[:-1]):
        if dist(q, end) > 0.5:
            return q
    return pts[0]


def _unit(v: Pt) -> Pt:
    n = math.hypot(*v)
    return (0.0, 0.0) if n == 0 else (v[0] / n, v[1] / n)


def _contains(outer: BBox, inner: BBox) -> bool:
    return (
        outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and inner[2] <= outer[2]
        and inner[3] <= outer[3]
    )


def _is_outline(p: _Piece, boxes: list[BBox], tol: float) -> int | None:
    """Index of the box this piece merely decorates (on its border or inside it)."""
    pb = bbox_of(p.points)
    for i, r in enumerate(boxes):
        if not _contains((r[0] - tol, r[1] - tol, r[2] + tol, r[3] + tol), pb):
            continue
        if all(border_dist(q, r) <= tol for q in p.points):
            return i
        inner = (r[0] + tol, r[1] + tol, r[2] - tol, r[3] - tol)
        if inner[0] < inner[2] and inner[1] < inner[3]:
            if all(rect_dist(q, inner) == 0 for q in p.points):
                return i
    return None


def _nearest_node(
    p: Pt, boxes: list[BBox], labels: list[BBox], idx: Grid, tol: Tolerances, use_labels=False
):
    """The node a line end belongs to: a box within reach, else (if asked) a free label."""
    nb = len(boxes)
    best, best_d = None, None
    for i in sorted(idx.near(p, 1.5 * tol.attach)):
        if i >= nb and not use_labels:
            continue
        r = boxes[i] if i < nb else labels[i - nb]
        d = rect_dist(p, r)
        reach = tol.attach if i < nb else 1.5 * tol.attach
        if d > reach:
            continue
        # boxes before labels; then nearer; then the smaller (nested boxes)
        key = (i >= nb, d, _area(r))
        if best_d is None or key < best_d:
            best, best_d = i, key
    return best


def _foot(points: list[Pt], pt: Pt) -> tuple[float, float]:
    """(distance, arc length of the nearest point) from pt to a polyline."""
    best = (math.inf, 0.0)
    acc = 0.0
    for a, b in pairwise(points):
        d, t = seg_dist(pt, a, b)
        seg = dist(a, b)
        if d < best[0]:
            best = (d, acc + t * seg)
        acc += seg
    return best


def _node_dist(p: Pt, node: int, boxes: list[BBox], labels: list[BBox]) -> float:
    return rect_dist(p, boxes[node] if node < len(boxes) else labels[node - len(boxes)])


def _area(r: BBox) -> float:
    return (r[2] - r[0]) * (r[3] - r[1])


def connect(
    boxes: list[BBox],
    labels: list[BBox],
    strokes: list[Stroke],
    heads: list[Arrowhead],
    tol: Tolerances,
) -> GraphResult:
    """Edges between nodes (boxes first, then labels) implied by the strokes."""
    n = len(boxes) + len(labels)
    pieces = _attach_arrowheads(list(strokes), list(heads))
    decorated: set[int] = set()
    kept = []
    for p in pieces:
        if len(p.points) < 2 or polyline_length(p.points) < 0.3:
            continue
        owner = _is_outline(p, boxes, max(1.0, 0.5 * tol.attach))
        if owner is not None:
            decorated.add(owner)
            continue
        kept.append(p)
    pieces = kept

    lengths = [polyline_length(p.points) for p in pieces]
    pidx = Grid()
    for i, p in enumerate(pieces):
        pidx.add(i, bbox_of(p.points))
    nidx = Grid()
    for i, r in enumerate(list(boxes) + list(labels)):
        nidx.add(i, r)

    def body_dist(pt: Pt, skip: int, r: float) -> float | None:
        """Distance from pt to the middle of another piece (a T-junction), if within r."""
        margin = max(1.0, tol.junction)
        best = None
        for j in pidx.near(pt, r):
            if j == skip:
                continue
            acc = 0.0
            pts = pieces[j].points
            for a, b in pairwise(pts):
                d, t = seg_dist(pt, a, b)
                seg = dist(a, b)
                s_ = acc + t * seg
                if d <= r and margin <= s_ <= lengths[j] - margin and (best is None or d < best):
                    best = d
                acc += seg
        return best

    def on_body(pt: Pt, skip: int) -> bool:
        return body_dist(pt, skip, tol.junction) is not None

    # terminals of every piece end: a node, or a free point to be clustered
    t_reach: dict[tuple[int, int], float] = {}
    ends: list[list[int | None]] = []
    free: list[tuple[Pt, int, int]] = []  # point, piece index, which end
    for i, p in enumerate(pieces):
        pair: list[int | None] = []
        for e, pt in ((0, p.points[0]), (1, p.points[-1])):
            t = _nearest_node(pt, boxes, labels, nidx, tol)
            db = body_dist(pt, i, tol.attach if t is not None else tol.junction)
            if db is not None and (t is None or db < _node_dist(pt, t, boxes, labels)):
                t = None  # it ends on another line (T-junction), not on the node
                t_reach[(i, e)] = max(db + 1e-6, tol.junction)
            pair.append(t)
            if t is None:
                free.append((pt, i, e))
        ends.append(pair)

    # cluster free ends into junctions
    parent = list(range(len(free)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    order = sorted(range(len(free)), key=lambda k: free[k][0][0])
    for ai, a in enumerate(order):
        pa = free[a][0]
        for b in order[ai + 1 :]:
            pb = free[b][0]
            if pb[0] - pa[0] > tol.junction:
                break
            if dist(pa, pb) <= tol.junction:
                parent[find(a)] = find(b)
    junction_of: dict[int, int] = {}
    jpos: dict[int, Pt] = {}
    for k, (pt, i, e) in enumerate(free):
        root = find(k)
        jid = junction_of.setdefault(root, n + len(junction_of))
        ends[i][e] = jid
        jpos.setdefault(jid, pt)

    reach = _snap_dangling(free, ends, jpos, pieces, body_dist, boxes, labels, nidx, tol)
    _cast_dangling(pieces, ends, jpos, boxes, labels, tol)
    _attach_labels(free, ends, jpos, body_dist, boxes, labels, nidx, tol)
    for (i, e), r in t_reach.items():
        jid = ends[i][e]
        if jid in jpos:
            reach[jid] = max(reach.get(jid, 0.0), r)

    # a free end on a line just next to that line's own junction joins it
    alias: dict[int, int] = {}
    for jid, pt in jpos.items():
        r = reach.get(jid, tol.junction)
        for i in sorted(pidx.near(pt, r)):
            if jid in ends[i]:
                continue
            foot = _foot(pieces[i].points, pt)
            if foot[0] > r:
                continue
            for e, s_end in ((0, foot[1]), (1, lengths[i] - foot[1])):
                t = ends[i][e]
                if t is not None and t >= n and t != jid and s_end <= tol.attach:
                    alias[jid] = t
                    break
            if jid in alias:
                break
    for pair in ends:
        for e in (0, 1):
            t, seen = pair[e], set()
            while t in alias and t not in seen:
                seen.add(t)
                t = alias[t]
            pair[e] = t
    for j in alias:
        jpos.pop(j, None)

    # T-junctions: a free end lying on the body of another piece splits it
    splits: dict[int, list[tuple[float, int, Pt]]] = {}
    for jid, pt in jpos.items():
        r = reach.get(jid, tol.junction)
        for i in sorted(pidx.near(pt, r)):
            p = pieces[i]
            if jid in ends[i]:
                continue
            acc = 0.0
            for a, b in pairwise(p.points):
                d, t = seg_dist(pt, a, b)
                seg = dist(a, b)
                if d <= r:
                    foot = (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))
                    splits.setdefault(i, []).append((acc + t * seg, jid, foot))
                    break
                acc += seg

    edges: list[_Edge] = []
    for i, p in enumerate(pieces):
        if p.head_end and not p.head_start:
            d0, conf = 1, CONF_ARROW
        elif p.head_start and not p.head_end:
            d0, conf = -1, CONF_ARROW
        elif p.mid_dir and not (p.head_start or p.head_end):
            d0, conf = p.mid_dir, CONF_ARROW
        else:
            d0, conf = 0, 0.0
        chain = [(ends[i][0], p.points[0])]
        for _, jid, foot in sorted(splits.get(i, [])):
            chain.append((jid, foot))
        chain.append((ends[i][1], p.points[-1]))
        for (ta, pa), (tb, pb) in pairwise(chain):
            if ta is None or tb is None or ta == tb:
                continue
            edges.append(_Edge(ta, tb, (pb[0] - pa[0], pb[1] - pa[1]), d0, conf, p.color))

    flow = _flow(pieces, edges)
    _orient(edges, flow, n)
    # a free point where several lines join and flow continues is a merge
    # (e.g. the add of a residual block): it becomes a node of its own
    indeg: dict[int, int] = {}
    outdeg: dict[int, int] = {}
    for s, d in {(e.a, e.b) if e.dir > 0 else (e.b, e.a) for e in edges}:  # overlaps count once
        outdeg[s] = outdeg.get(s, 0) + 1
        indeg[d] = indeg.get(d, 0) + 1
    merges = sorted(j for j in jpos if indeg.get(j, 0) >= 2 and outdeg.get(j, 0) >= 1)
    ids = {t: t for t in range(n)}
    ids.update({j: n + k for k, j in enumerate(merges)})
    result, colors = _node_edges(edges, ids)
    return GraphResult(
        tuple(result),
        _direction_name(flow),
        flow,
        frozenset(decorated),
        tuple(jpos[j] for j in merges),
        tuple(colors),
    )


def _snap_dangling(
    free, ends, jpos, pieces, body_dist, boxes, labels, nidx, tol
) -> dict[int, float]:
    """A line end that meets nothing is drawn slightly short: snap it to the
    nearest line, line end or node within a wider reach. Returns, for ends
    snapped onto a line body, the reach the T-junction split must use."""
    members: dict[int, list[tuple[int, int]]] = {}
    for _, i, e in free:
        members.setdefault(ends[i][e], []).append((i, e))
    reach: dict[int, float] = {}
    for jid, mem in members.items():
        if len(mem) != 1 or jid not in jpos:
            continue
        i, e = mem[0]
        pt = jpos[jid]
        if body_dist(pt, i, tol.junction) is not None:
            continue
        cands: list[tuple[float, str, int]] = []
        d = body_dist(pt, i, tol.attach)
        if d is not None:
            cands.append((d, "body", -1))
        for j2, q in jpos.items():
            if j2 != jid and abs(q[0] - pt[0]) <= tol.attach:
                dq = dist(pt, q)
                own = (i, 1 - e) in members.get(j2, ()) or _foot(pieces[i].points, q)[
                    0
                ] <= tol.junction
                if dq <= tol.attach and not own:
                    cands.append((dq, "end", j2))
        wide = Tolerances(2 * tol.attach, tol.junction)
        node = _nearest_node(pt, boxes, labels, nidx, wide)
        if node is not None and node != ends[i][1 - e]:
            r = boxes[node] if node < len(boxes) else labels[node - len(boxes)]
            cands.append((rect_dist(pt, r), "node", node))
        if not cands:
            continue
        d, kind, target = min(cands)
        if kind == "body":
            reach[jid] = d + 1e-6
        elif kind == "end":
            ends[i][e] = target
            del jpos[jid]
        else:
            ends[i][e] = target
            del jpos[jid]
    return reach


def _ray_box(p: Pt, u: Pt, r: BBox, reach: float) -> float | None:
    """Distance along the ray p + t*u (0 <= t <= reach) to rectangle r."""
    t0, t1 = 0.0, reach
    for k in (0, 1):
        lo, hi = r[k], r[k + 2]
        if abs(u[k]) < 1e-9:
            if not lo <= p[k] <= hi:
                return None
            continue
        a, b = (lo - p[k]) / u[k], (hi - p[k]) / u[k]
        t0, t1 = max(t0, min(a, b)), min(t1, max(a, b))
        if t0 > t1:
            return None
    return t0


def _attach_labels(free, ends, jpos, body_dist, boxes, labels, nidx, tol: Tolerances) -> None:
    """Line ends still meeting nothing may end at a free label ("Filter concat")."""
    count: dict[int, int] = {}
    for pair in ends:
        for t in pair:
            if t is not None:
                count[t] = count.get(t, 0) + 1
    for _, i, e in free:
        t = ends[i][e]
        if t in jpos and count.get(t, 0) == 1 and body_dist(jpos[t], i, tol.junction) is None:
            node = _nearest_node(jpos[t], [], labels, _shifted(nidx, len(boxes)), tol, True)
            if node is not None:
                node += len(boxes)
                ends[i][e] = node
                del jpos[t]


class _shifted:
    """A view of a node index with ids shifted down (labels without boxes)."""

    def __init__(self, idx: Grid, k: int) -> None:
        self.idx, self.k = idx, k

    def near(self, p: Pt, r: float) -> set[int]:
        return {i - self.k for i in self.idx.near(p, r) if i >= self.k}


def _cast_dangling(pieces, ends, jpos, boxes, labels, tol: Tolerances) -> None:
    """An arrow drawn short of its boxes at both ends (e.g. long skip arrows
    floating between two columns) points at them: follow each dangling end
    straight on to the first box. Applied only when both ends find a node, so
    a legend arrow next to its text stays unconnected."""
    count: dict[int, int] = {}
    for pair in ends:
        for t in pair:
            if t is not None:
                count[t] = count.get(t, 0) + 1
    if not boxes:
        return
    span = max(
        max(b[2] for b in boxes) - min(b[0] for b in boxes),
        max(b[3] for b in boxes) - min(b[1] for b in boxes),
    )
    reach = max(4 * tol.attach, 0.1 * span)
    n = len(boxes) + len(labels)
    for i, p in enumerate(pieces):
        if not (p.head_end or p.head_start):
            continue
        hits: list[int | None] = []
        for e in (0, 1):
            t = ends[i][e]
            dangling = t is not None and t in jpos and count.get(t, 0) == 1
            if not dangling:
                hits.append(t if t is not None and (t < n or count.get(t, 0) > 1) else None)
                continue
            pts = p.points if e == 1 else p.points[::-1]
            end, prev = pts[-1], _point_before(pts)
            u = _unit((end[0] - prev[0], end[1] - prev[1]))
            best = None
            for k, r in enumerate(list(boxes) + list(labels)):
                d = _ray_box(end, u, r, reach)
                if d is not None and (best is None or d < best[0]):
                    best = (d, k)
            hits.append(best[1] if best else None)
        if all(h is not None for h in hits) and hits[0] != hits[1]:
            for e in (0, 1):
                t = ends[i][e]
                if t in jpos and count.get(t, 0) == 1:
                    ends[i][e] = hits[e]
                    del jpos[t]


def _flow(pieces: list[_Piece], edges: list[_Edge]) -> Pt:
    """Dominant flow: where the arrowheads point, else the main axis of the lines."""
    sx = sum(p.head_vec[0] for p in pieces)
    sy = sum(p.head_vec[1] for p in pieces)
    if abs(sx) + abs(sy) > 1e-6:
        return (
            (1.0 if sx > 0 else -1.0, 0.0) if abs(sx) >= abs(sy) else (0.0, 1.0 if sy > 0 else -1.0)
        )
    ax = sum(abs(e.vec[0]) for e in edges)
    ay = sum(abs(e.vec[1]) for e in edges)
    if ax == 0 and ay == 0:
        return (0.0, 0.0)
    return (1.0, 0.0) if ax > ay else (0.0, 1.0)  # reading order: left->right, top->bottom


def direction_of(edges, centres: dict[int, Pt], fallback: str) -> str:
    """The figure's direction: where its edges lead, node centre to node centre."""
    sx = sy = 0.0
    for u, v, _ in edges:
        ux, uy = _unit((centres[v][0] - centres[u][0], centres[v][1] - centres[u][1]))
        sx, sy = sx + ux, sy + uy
    if abs(sx) + abs(sy) < 1e-6:
        return fallback
    if abs(sx) >= abs(sy):
        return "right" if sx > 0 else "left"
    return "down" if sy > 0 else "up"


def _direction_name(flow: Pt) -> str:
    return {(0.0, 1.0): "down", (0.0, -1.0): "up", (1.0, 0.0): "right", (-1.0, 0.0): "left"}.get(
        (flow[0], flow[1]), "?"
    )


def _orient(edges: list[_Edge], flow: Pt, n: int) -> None:
    """Direct the undirected pieces: junction balance first, then the flow."""

    def propagate() -> None:
        changed = True
        while changed:
            changed = False
            inc: dict[int, list[_Edge]] = {}
            for e in edges:
                inc.setdefault(e.a, []).append(e)
                inc.setdefault(e.b, []).append(e)
            for j, es in inc.items():
                und = [e for e in es if e.dir == 0]
                if j < n or len(und) != 1 or len(es) < 2:
                    continue
                into = [((e.b == j) == (e.dir > 0)) for e in es if e.dir != 0]
                u = und[0]
                if all(into):  # everything else flows in: this one flows out
                    u.dir = 1 if u.a == j else -1
                elif not any(into):
                    u.dir = 1 if u.b == j else -1
                else:
                    continue
                u.conf = CONF_PROPAGATED
                changed = True

    propagate()
    fx, fy = flow
    for e in edges:
        if e.dir == 0:
            ux, uy = _unit(e.vec)
            c = ux * fx + uy * fy
            if abs(c) >= 0.3:
                e.dir, e.conf = (1 if c > 0 else -1), CONF_FLOW
    propagate()
    for e in edges:
        if e.dir == 0:  # across the flow: left->right, top->bottom
            e.dir = 1 if (e.vec[0] + e.vec[1]) >= 0 else -1
            e.conf = CONF_GUESS


def _node_edges(edges: list[_Edge], ids: dict[int, int]):
    """Node-to-node edges: follow directed pieces through plain junctions only.

    `ids` maps the terminals that are nodes to their node ids. Returns the
    edges (src, dst, confidence) and the colour of each edge's first line.
    """
    out: dict[int, list[tuple[int, float, tuple | None]]] = {}
    for e in edges:
        s, d = (e.a, e.b) if e.dir > 0 else (e.b, e.a)
        out.setdefault(s, []).append((d, e.conf, e.color))
    found: dict[tuple[int, int], tuple[float, tuple | None]] = {}
    for u in ids:
        stack = [(u, 1.0, None)]
        seen = {u}
        while stack:
            t, conf, col = stack.pop()
            for v, c, vc in out.get(t, ()):
                c2, col2 = min(conf, c), col if t != u else vc
                if v in ids:
                    if v != u:
                        key = (ids[u], ids[v])
                        if key not in found or found[key][0] < c2:
                            found[key] = (c2, col2)
                elif v not in seen:
                    seen.add(v)
                    stack.append((v, c2, col2))
    keys = sorted(found)
    return [(u, v, found[(u, v)][0]) for u, v in keys], [found[k][1] for k in keys]
