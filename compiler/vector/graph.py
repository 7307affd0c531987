"""Connect nodes through connector strokes: which node feeds which.

Why: a figure's connectors are drawn as separate pieces (elbows, dashes,
fan-outs from one point, T-junctions onto another line, curved skips with the
arrowhead half-way). Treating every piece as a directed edge between
"terminals" (a node, or a free junction point) and then following paths that
pass only through junctions gives node-to-node edges for all of those cases.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

from papercc.compiler.diagram.grouping import groups
from papercc.compiler.vector.arrows import Piece, attach_arrowheads, contains, point_before, unit
from papercc.compiler.vector.geometry import (
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


def _is_outline(p: Piece, boxes: list[BBox], tol: float) -> int | None:
    """Index of the box this piece merely decorates (on its border or inside it)."""
    pb = bbox_of(p.points)
    for i, r in enumerate(boxes):
        if not contains((r[0] - tol, r[1] - tol, r[2] + tol, r[3] + tol), pb):
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
    """Edges between nodes (boxes first, then labels) implied by the strokes.

    Every piece end gets a terminal (a node, or a junction where free ends meet);
    dangling ends are snapped, cast on or given to free labels; junctions on a line
    join it, or split it as T-junctions; each piece becomes directed edges between
    terminals, and node-to-node edges follow them through plain junctions."""
    n = len(boxes) + len(labels)
    pieces, decorated = _connector_pieces(strokes, heads, boxes, tol)
    lengths = [polyline_length(p.points) for p in pieces]
    pidx = Grid()
    for i, p in enumerate(pieces):
        pidx.add(i, bbox_of(p.points))
    nidx = Grid()
    for i, r in enumerate(list(boxes) + list(labels)):
        nidx.add(i, r)
    body_dist = _body_distance(pieces, lengths, pidx, tol)
    ends, free, t_reach = _end_terminals(pieces, boxes, labels, nidx, body_dist, tol)
    jpos = _cluster_junctions(free, ends, n, tol)
    reach = _snap_dangling(free, ends, jpos, pieces, body_dist, boxes, labels, nidx, tol)
    _cast_dangling(pieces, ends, jpos, boxes, labels, tol)
    _attach_labels(free, ends, jpos, body_dist, boxes, labels, nidx, tol, pieces)
    for (i, e), r in t_reach.items():
        jid = ends[i][e]
        if jid in jpos:
            reach[jid] = max(reach.get(jid, 0.0), r)
    _join_own_junctions(jpos, reach, ends, pieces, lengths, pidx, n, tol)
    splits = _t_splits(jpos, reach, ends, pieces, pidx, tol)
    edges = _piece_edges(pieces, ends, splits)
    flow = _flow(pieces, edges)
    _orient(edges, flow, n)
    merges = _merges(edges, jpos)
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


def _connector_pieces(
    strokes: list[Stroke], heads: list[Arrowhead], boxes: list[BBox], tol: Tolerances
) -> tuple[list[Piece], set[int]]:
    """The pieces that connect (arrowheads attached; specks dropped), and the boxes
    decorated by the others (line work on a box's border or inside it)."""
    decorated: set[int] = set()
    kept = []
    for p in attach_arrowheads(list(strokes), list(heads)):
        if len(p.points) < 2 or polyline_length(p.points) < 0.3:
            continue
        owner = _is_outline(p, boxes, max(1.0, 0.5 * tol.attach))
        if owner is not None:
            decorated.add(owner)
            continue
        kept.append(p)
    return kept, decorated


def _body_distance(pieces: list[Piece], lengths: list[float], pidx: Grid, tol: Tolerances):
    """body_dist(pt, skip, r): the distance from pt to the middle of a piece other than
    `skip` (a T-junction), if within r, else None."""

    def body_dist(pt: Pt, skip: int, r: float) -> float | None:
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

    return body_dist


def _end_terminals(pieces, boxes, labels, nidx, body_dist, tol: Tolerances):
    """The terminal of every piece end: a node, or None for a free end (to be clustered
    into junctions). Returns the ends [[start, end] per piece], the free ends (point,
    piece, which end), and for free ends on another line's body (a T-junction) the
    reach its split must use."""
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
    return ends, free, t_reach


def _cluster_junctions(free, ends, n: int, tol: Tolerances) -> dict[int, Pt]:
    """Free ends within the junction tolerance meet at one junction (ids n, n+1, ...);
    their ends get its id. Returns each junction's position."""

    def close() -> Iterator[tuple[int, int]]:
        order = sorted(range(len(free)), key=lambda k: free[k][0][0])
        for ai, a in enumerate(order):
            pa = free[a][0]
            for b in order[ai + 1 :]:
                pb = free[b][0]
                if pb[0] - pa[0] > tol.junction:
                    break
                if dist(pa, pb) <= tol.junction:
                    yield a, b

    jpos: dict[int, Pt] = {}
    for jid, group in enumerate(groups(len(free), close()), start=n):
        for k in group:
            _, i, e = free[k]
            ends[i][e] = jid
        jpos[jid] = free[group[0]][0]
    return jpos


def _join_own_junctions(jpos, reach, ends, pieces, lengths, pidx, n: int, tol) -> None:
    """A junction lying on a line just next to that line's own junction joins it."""
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


def _t_splits(jpos, reach, ends, pieces, pidx, tol) -> dict[int, list[tuple[float, int, Pt]]]:
    """T-junctions: a junction lying on the body of another piece splits it there.
    Returns, per piece, (arc length, junction, foot point) of each split."""
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
    return splits


def _piece_edges(pieces: list[Piece], ends, splits) -> list[_Edge]:
    """Each piece as edges between the terminals along it (its ends and its splits),
    directed by its arrowheads where it has them."""
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
    return edges


def _merges(edges: list[_Edge], jpos: dict[int, Pt]) -> list[int]:
    """Junctions where several lines join and flow continues (e.g. the add of a residual
    block): each becomes a node of its own."""
    indeg: dict[int, int] = {}
    outdeg: dict[int, int] = {}
    for s, d in {(e.a, e.b) if e.dir > 0 else (e.b, e.a) for e in edges}:  # overlaps count once
        outdeg[s] = outdeg.get(s, 0) + 1
        indeg[d] = indeg.get(d, 0) + 1
    return sorted(j for j in jpos if indeg.get(j, 0) >= 2 and outdeg.get(j, 0) >= 1)


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


def _attach_labels(
    free, ends, jpos, body_dist, boxes, labels, nidx, tol: Tolerances, pieces=()
) -> None:
    """Line ends still meeting nothing may end at a free label ("Filter concat"); so
    may several lines meeting at one point beside a label when all of them point into
    it or all away from it (a module figure's "Previous layer" fanning out)."""
    count: dict[int, int] = {}
    for pair in ends:
        for t in pair:
            if t is not None:
                count[t] = count.get(t, 0) + 1
    members: dict[int, list[tuple[int, int]]] = {}
    for _, i, e in free:
        members.setdefault(ends[i][e], []).append((i, e))
    for _, i, e in free:
        t = ends[i][e]
        if t not in jpos or body_dist(jpos[t], i, tol.junction) is not None:
            continue
        if count.get(t, 0) != 1 and not _one_way(members.get(t, ()), pieces, ends, len(boxes)):
            continue
        node = _nearest_node(jpos[t], [], labels, _shifted(nidx, len(boxes)), tol, True)
        if node is not None:
            node += len(boxes)
            for i2, e2 in members.get(t, [(i, e)]):
                ends[i2][e2] = node
            del jpos[t]


def _one_way(mem: list[tuple[int, int]], pieces, ends, n_boxes: int) -> bool:
    """Lines meeting here fan out to (or in from) at least two different boxes, every
    one with its arrowhead at this end, or every one at its other end."""
    if len(mem) < 2 or not pieces:
        return False
    others = [ends[i][1 - e] for i, e in mem]
    if any(o is None or o >= n_boxes for o in others) or len(set(others)) < 2:
        return False
    heads = [(pieces[i].head_start, pieces[i].head_end) for i, _ in mem]
    here = [h[e] and not h[1 - e] for h, (_, e) in zip(heads, mem, strict=True)]
    there = [h[1 - e] and not h[e] for h, (_, e) in zip(heads, mem, strict=True)]
    return all(here) or all(there)


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
            end, prev = pts[-1], point_before(pts)
            u = unit((end[0] - prev[0], end[1] - prev[1]))
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


def _flow(pieces: list[Piece], edges: list[_Edge]) -> Pt:
    """Dominant flow: where the arrowheads point, else the main axis of the lines."""
    sx = sum(p.head_vec[0] for p in pieces)
    sy = sum(p.head_vec[1] for p in pieces)
    if abs(sx) + abs(sy) > 1e-6:
        return (
            (1.0 if sx > 0 else -1.0, 0.0) if abs(sx) >= abs(sy) else (0.0, 1.0 if sy > 0 else -1.0)
        )
    # each line votes for its main axis: a few long fan-out elbows across a wide figure
    # must not outweigh the many short links of its chains; total length breaks a tie
    vx = sum(1 for e in edges if abs(e.vec[0]) > abs(e.vec[1]))
    vy = sum(1 for e in edges if abs(e.vec[1]) > abs(e.vec[0]))
    if vx != vy:
        return (1.0, 0.0) if vx > vy else (0.0, 1.0)  # reading order: left->right, top->bottom
    ax = sum(abs(e.vec[0]) for e in edges)
    ay = sum(abs(e.vec[1]) for e in edges)
    if ax == 0 and ay == 0:
        return (0.0, 0.0)
    return (1.0, 0.0) if ax > ay else (0.0, 1.0)


def direction_of(edges, centres: dict[int, Pt], fallback: str) -> str:
    """The figure's direction: where its edges lead, node centre to node centre."""
    sx = sy = 0.0
    for u, v, _ in edges:
        ux, uy = unit((centres[v][0] - centres[u][0], centres[v][1] - centres[u][1]))
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
            ux, uy = unit(e.vec)
            c = ux * fx + uy * fy
            if abs(c) >= 0.3:
                e.dir, e.conf = (1 if c > 0 else -1), CONF_FLOW
    propagate()
    for e in edges:
        if e.dir == 0:  # mostly across the flow: any step along it decides, else reading order
            c = e.vec[0] * fx + e.vec[1] * fy
            if abs(c) > 1.0:
                e.dir = 1 if c > 0 else -1
            else:
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
