"""Layered layout of a box diagram: boxes in layers by depth, edges as elbowed polylines.

A small Sugiyama-style layout that suits network figures: each box goes in the layer of
its longest path from an input; an edge that spans several layers gets a chain of dummy
points, which is how skip connections come to run in a lane beside the boxes (ResNet) and
how a short branch reaches a concat (Inception). Across the flow, each layer is placed by
weighted isotonic regression (pool adjacent violators): boxes want to sit at the mean of
their predecessors, boxes on the longest path hold their place, dummies give way and are
pushed to the side. Computed for a downward flow in (cross u, flow v), then turned.
"""

from __future__ import annotations

from dataclasses import dataclass

from papercc.compiler.render.style import Style

__all__ = ["Layout", "Placed", "layout"]

Point = tuple[float, float]


@dataclass(frozen=True)
class Placed:
    id: int
    bbox: tuple[float, float, float, float]  # x0, y0, x1, y1 (final orientation)
    layer: int


@dataclass(frozen=True)
class Layout:
    boxes: tuple[Placed, ...]
    edges: tuple[tuple[int, int, tuple[Point, ...]], ...]  # src, dst, polyline (to dst)
    width: float
    height: float


@dataclass
class _Item:
    """A box or a dummy point of a long edge in one layer."""

    key: int  # box id, or -1 - n for dummies
    cross: float  # size across the flow
    flow: float  # size along the flow
    order: int  # tie-break: graph order
    weight: float
    preds: list[int]  # keys in the previous layer
    u: float = 0.0
    offset: float = 0.0  # a lane's first dummy: wanted distance from its source


def _layers(ids: list[int], preds: dict[int, list[int]], succs: dict[int, list[int]]):
    layer: dict[int, int] = {}
    for b in ids:  # ids are in topological order
        layer[b] = max((layer[p] + 1 for p in preds[b]), default=0)
    for b in reversed(ids):  # late sources (side inputs) sit just above their first use
        if not preds[b] and succs[b] and layer[b] == 0 and b != ids[0]:
            layer[b] = max(0, min(layer[s] for s in succs[b]) - 1)
    return layer


def _backbone(ids, preds, succs, layer) -> set[int]:
    """Boxes of one longest path: they keep their place across the flow."""
    if not ids:
        return set()
    end = max(ids, key=lambda b: (layer[b], -ids.index(b)))
    path = {end}
    while preds[end]:
        end = max(preds[end], key=lambda p: layer[p])
        path.add(end)
    return path


def _lane_slots(edges, layer, backbone) -> dict[int, int]:
    """Side lanes of long edges leaving the longest path: shorter spans run nearer the
    boxes, a span enclosing others runs outside them, so lanes never cross."""
    spans = sorted(
        (layer[d] - layer[s], layer[s], layer[d], n)
        for n, (s, d) in enumerate(edges)
        if layer[d] - layer[s] > 1 and s in backbone
    )
    slots: dict[int, int] = {}
    done: list[tuple[int, int, int]] = []
    for _, a, b, n in spans:
        slot = 1 + max((sl for a2, b2, sl in done if a < b2 and a2 < b), default=-1)
        slots[n] = slot
        done.append((a, b, slot))
    return slots


def _pav(targets: list[float], weights: list[float]) -> list[float]:
    """Weighted isotonic (non-decreasing) fit of targets."""
    blocks: list[list[float]] = []  # [weighted sum, weight, count]
    for t, w in zip(targets, weights, strict=True):
        blocks.append([t * w, w, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, w2, n = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += w2
            blocks[-1][2] += n
    out: list[float] = []
    for s, w, n in blocks:
        out.extend([s / w] * int(n))
    return out


def _place(items: list[_Item], gap: float, dummy_gap: float) -> None:
    """Positions across the flow: nearest to wishes, in order, never overlapping."""
    offsets, c = [], 0.0
    for i, it in enumerate(items):
        if i:
            prev = items[i - 1]
            g = dummy_gap if prev.key < 0 or it.key < 0 else gap
            c += (prev.cross + it.cross) / 2 + g
        offsets.append(c)
    fit = _pav(
        [it.u - o for it, o in zip(items, offsets, strict=True)], [it.weight for it in items]
    )
    for it, f, o in zip(items, fit, offsets, strict=True):
        it.u = f + o


def layout(
    ids: list[int],
    sizes: dict[int, tuple[float, float]],
    edges: list[tuple[int, int]],
    style: Style,
    spanning: frozenset[int] = frozenset(),
) -> Layout:
    """Place boxes (`sizes`: id -> (width, height) as drawn) and route `edges`.

    Boxes in `spanning` (filter concatenations) widen to span the boxes feeding them."""
    vertical = style.flow_vertical
    preds: dict[int, list[int]] = {b: [] for b in ids}
    succs: dict[int, list[int]] = {b: [] for b in ids}
    for s, d in edges:
        preds[d].append(s)
        succs[s].append(d)
    layer = _layers(ids, preds, succs)
    backbone = _backbone(ids, preds, succs, layer)
    rows, items = _rows(ids, sizes, layer, backbone, vertical)
    dummy_gap = max(style.branch_gap / 2, 4 * style.line_width)
    side = 1 if style.skip_side == "right" else -1
    chains = _chains(edges, layer, backbone, rows, items, style, dummy_gap, side)
    for row in rows:
        _place_row(row, items, backbone, spanning, style, dummy_gap, side)
    # along the flow
    thick = [max((it.flow for it in row), default=0.0) for row in rows]
    top, v = [], 0.0
    for t in thick:
        top.append(v)
        v += t + style.layer_gap
    flow_len = max(0.0, v - style.layer_gap)
    lo = min((it.u - it.cross / 2 for it in items.values()), default=0.0)
    hi = max((it.u + it.cross / 2 for it in items.values()), default=0.0)
    m = style.margin + style.head_size

    def to_xy(u: float, vv: float) -> Point:
        u = u - lo + m
        vv = vv + m
        if style.direction == "down":
            return (u, vv)
        if style.direction == "up":
            return (u, flow_len + 2 * m - vv)
        return (vv, u)

    placed = []
    for b in ids:
        it = items[b]
        k = layer[b]
        c = top[k] + thick[k] / 2
        p0 = to_xy(it.u - it.cross / 2, c - it.flow / 2)
        p1 = to_xy(it.u + it.cross / 2, c + it.flow / 2)
        placed.append(
            Placed(
                b, (min(p0[0], p1[0]), min(p0[1], p1[1]), max(p0[0], p1[0]), max(p0[1], p1[1])), k
            )
        )
    routes = _route(chains, items, layer, rows, top, thick, style, spanning)
    cross_len = hi - lo + 2 * m
    width, height = (cross_len, flow_len + 2 * m) if vertical else (flow_len + 2 * m, cross_len)
    out_edges = tuple(
        (s, d, tuple(to_xy(u, vv) for u, vv in pts))
        for (s, d), pts in zip(edges, routes, strict=True)
    )
    return Layout(tuple(placed), out_edges, width, height)


def _rows(ids, sizes, layer, backbone, vertical: bool):
    """One item per box in the row of its layer (sizes turned to cross and flow); boxes
    on the longest path weigh more. Returns the rows and the items by key."""
    order = {b: i for i, b in enumerate(ids)}
    n_layers = max(layer.values(), default=-1) + 1
    rows: list[list[_Item]] = [[] for _ in range(n_layers)]
    items: dict[int, _Item] = {}
    for b in ids:
        w, h = sizes[b]
        cross, flow = (w, h) if vertical else (h, w)
        it = _Item(b, cross, flow, order[b], 20.0 if b in backbone else 1.0, [])
        items[b] = it
        rows[layer[b]].append(it)
    return rows, items


def _chains(edges, layer, backbone, rows, items, style: Style, dummy_gap: float, side: int):
    """Per edge, the keys from its source to its target: an edge spanning several layers
    gets a dummy in each layer between (added to rows and items); the first dummy of a
    side lane off the longest path wants to sit beside the boxes it passes."""
    chains: list[list[int]] = []
    next_dummy = -1
    lane = style.line_width * 2
    slots = _lane_slots(edges, layer, backbone)
    for n, (s, d) in enumerate(edges):
        chain = [s]
        for k in range(layer[s] + 1, layer[d]):
            dummy = _Item(next_dummy, lane, 0.0, items[s].order, 0.01, [chain[-1]])
            if k == layer[s] + 1 and n in slots:
                spanned = [it.cross for kk in range(k, layer[d]) for it in rows[kk] if it.key >= 0]
                reach = max([items[s].cross, *spanned]) / 2 + dummy_gap
                dummy.offset = side * (reach + slots[n] * (lane + dummy_gap))
            items[next_dummy] = dummy
            rows[k].append(dummy)
            chain.append(next_dummy)
            next_dummy -= 1
        chain.append(d)
        items[d].preds.append(chain[-2])
        chains.append(chain)
    return chains


def _place_row(row, items, backbone, spanning, style: Style, dummy_gap: float, side: int):
    """Positions across the flow for one row, its predecessors placed: each item wants
    the mean of its predecessors (the longest path runs straight, a spanning box spans
    its inputs), then the row is ordered and placed without overlaps."""
    for it in row:
        spine = [p for p in it.preds if p in backbone] if it.key in backbone else []
        if spine:  # the longest path runs straight
            it.u = items[spine[0]].u
        elif it.preds:
            us = [items[p].u for p in it.preds]
            it.u = sum(us) / len(us) + it.offset
        if it.key in spanning and len(it.preds) > 1:
            ps = [items[p] for p in it.preds]
            half = [_half(p, items, style) for p in ps]
            lo_u = min(p.u - h for p, h in zip(ps, half, strict=True))
            hi_u = max(p.u + h for p, h in zip(ps, half, strict=True))
            it.cross = max(it.cross, hi_u - lo_u)
            it.u = (lo_u + hi_u) / 2
    fan: dict[int, int] = {}
    for it in row:
        if it.key >= 0 and len(it.preds) == 1:
            fan[it.preds[0]] = fan.get(it.preds[0], 0) + 1
    for it in row:  # a wide fan-out (Inception) spreads evenly under its source
        if it.key >= 0 and len(it.preds) == 1 and fan[it.preds[0]] > 2:
            it.weight = 1.0
    row.sort(key=lambda it: (round(it.u, 3), side * (it.key < 0), it.order))
    _place(row, style.branch_gap, dummy_gap)


def _half(it: _Item, items: dict[int, _Item], style: Style) -> float:
    """Half the cross size a box or a lane takes (a straight lane: its source box's)."""
    src = it
    while src.key < 0 and src.preds:
        src = items[src.preds[0]]
    if it.key >= 0 or abs(src.u - it.u) < 1.0:
        return src.cross / 2
    return style.pad + style.line_width


def _blocked(row: list[_Item], it: _Item, u_to: float) -> bool:
    """Is a box of `row` between `it` and cross position u_to?"""
    lo, hi = sorted((it.u, u_to))
    return any(
        o is not it and o.key >= 0 and o.u + o.cross / 2 > lo and o.u - o.cross / 2 < hi
        for o in row
    )


@dataclass(frozen=True)
class _Bands:
    """Where the layers lie along the flow: layer k from top[k] to top[k] + thick[k]."""

    top: list[float]
    thick: list[float]
    gap: float  # between two layers

    def centre(self, k: int) -> float:
        return self.top[k] + self.thick[k] / 2

    def end(self, k: int) -> float:
        return self.top[k] + self.thick[k]

    def mid_gap(self, k: int) -> float:  # between layer k and k + 1
        return self.end(k) + self.gap / 2


def _route(chains, items, layer, rows, top, thick, style, spanning) -> list[list[Point]]:
    """Polylines in (u, v) for each edge chain, with elbows in the gaps between layers."""
    bands = _Bands(top, thick, style.layer_gap)
    incoming, port, side = _entries(chains, items, layer, rows, style, spanning)
    entered: set[tuple[int, int]] = {  # (box, side) where some edge comes in from the side
        (chain[-1], 1 if items[chain[-2]].u > items[chain[-1]].u else -1)
        for chain in chains
        if _side_entry(chain, items, layer, rows)
    } | {(chains[n][-1], sign) for n, (sign, _) in side.items()}
    out: list[list[Point]] = []
    for n, chain in enumerate(chains):
        pts = _leave(chain, items, layer, rows, bands, entered)
        d, kd = items[chain[-1]], layer[chain[-1]]
        c_d = bands.centre(kd)
        last = pts[-1]
        if len(chain) > 2 and _side_entry(chain, items, layer, rows):
            edge = d.u + (d.cross / 2 if last[0] > d.u else -d.cross / 2)
            pts += [(last[0], c_d), (edge, c_d)]
        elif n in side:
            sign, off = side[n]
            u_side = d.u + sign * d.cross / 2
            v_in = c_d + off
            if (last[0] - d.u) * sign > d.cross / 2 + 1 and not _blocked(rows[kd], d, last[0]):
                pts += [(last[0], v_in), (u_side, v_in)]
            else:
                g = bands.mid_gap(kd - 1)
                u_out = d.u + sign * (d.cross / 2 + max(style.branch_gap / 2, 3 * style.head_size))
                pts += [(last[0], g), (u_out, g), (u_out, v_in), (u_side, v_in)]
        else:
            u_in = port.get(n, d.u)
            if abs(last[0] - d.u) < d.cross / 2 - 2 and (
                len(incoming.get(chain[-1], ())) == 1 or d.key in spanning
            ):
                u_in = last[0]  # straight in where the line already meets the box
            if last[0] != u_in:
                g = bands.mid_gap(kd - 1)
                pts += [(last[0], g), (u_in, g)]
            pts.append((u_in, c_d - d.flow / 2))
        out.append(_simplify(pts))
    return out


def _entries(chains, items, layer, rows, style: Style, spanning):
    """How edges enter their target: the edges coming in on the entry side of each box
    (sorted across the flow), the port of each such edge, spread in order under a box
    with several; and, for a box too narrow for ports side by side (a "+" circle), the
    edges that come in from a side instead (edge -> side -1 | 1, offset along the flow)."""
    incoming: dict[int, list[tuple[float, int]]] = {}
    for n, chain in enumerate(chains):
        if len(chain) == 2 or not _side_entry(chain, items, layer, rows):
            incoming.setdefault(chain[-1], []).append((items[chain[-2]].u, n))
    port: dict[int, float] = {}
    side: dict[int, tuple[int, float]] = {}
    for d, lst in incoming.items():
        it = items[d]
        lst.sort()
        tight = it.cross * 0.6 / max(1, len(lst) - 1) < 2.5 * style.head_size + 2
        if len(lst) > 1 and tight and it.key not in spanning:
            # one edge in from the top, the others from the sides
            keep = min(lst, key=lambda e: abs(e[0] - it.u))
            rest = [e for e in lst if e is not keep]
            for sign in (-1, 1):
                group = [n for u, n in rest if (u < it.u if sign < 0 else u >= it.u)]
                for i, n in enumerate(group):
                    off = (i - (len(group) - 1) / 2) * it.flow * 0.5 / max(1, len(group) - 1)
                    side[n] = (sign, off)
            lst[:] = [keep]
        span = it.cross * (0.6 if len(lst) > 1 else 0.0)
        if it.key >= 0 and len(lst) > 1 and it.cross > 0:
            spread = [it.u - span / 2 + span * i / (len(lst) - 1) for i in range(len(lst))]
            for (_, n), u in zip(
                lst, _ports([u for u, _ in lst], it, style) or spread, strict=True
            ):
                port[n] = u
        else:
            for _, n in lst:
                port[n] = it.u
    return incoming, port, side


def _leave(chain, items, layer, rows, bands: _Bands, entered) -> list[Point]:
    """The start of an edge's polyline: out of its source (from the side, into its lane,
    where nothing blocks the way and no edge enters there), then down the lane of its
    dummies, stepping across in the gaps between layers."""
    s = items[chain[0]]
    ks = layer[chain[0]]
    c_s = bands.centre(ks)
    pts: list[Point] = []
    dummies = chain[1:-1]
    first = items[dummies[0]] if dummies else None
    if (
        first is not None
        and not _blocked(rows[ks], s, first.u)
        and abs(first.u - s.u) > s.cross / 2
        and (chain[0], 1 if first.u > s.u else -1) not in entered
    ):
        edge = s.u + (s.cross / 2 if first.u > s.u else -s.cross / 2)
        pts += [(edge, c_s), (first.u, c_s)]  # leave from the side, into the lane
    else:
        pts.append((s.u, c_s + s.flow / 2))
    k = ks
    for key in dummies:
        it = items[key]
        if pts[-1][0] != it.u:
            g = bands.mid_gap(k)
            pts += [(pts[-1][0], g), (it.u, g)]
        k += 1
        pts.append((it.u, bands.end(k)))
    return pts


def _ports(us: list[float], it: _Item, style: Style) -> list[float] | None:
    """Entry points under sources that sit over the box (straight lines), nudged apart;
    None when they do not fit (then the caller spreads them evenly)."""
    lo, hi = it.u - it.cross * 0.4, it.u + it.cross * 0.4
    gap = 2.5 * style.head_size + 2
    out: list[float] = []
    for u in us:  # sorted
        p = min(max(u, lo), hi)
        if out and p < out[-1] + gap:
            p = out[-1] + gap
        out.append(p)
    return out if out[-1] <= hi + 1e-6 else None


def _side_entry(chain, items, layer, rows) -> bool:
    """A long edge whose lane passes beside the target enters it from the side."""
    if len(chain) <= 2:
        return False
    d, lane = items[chain[-1]], items[chain[-2]]
    return abs(lane.u - d.u) > d.cross / 2 and not _blocked(rows[layer[chain[-1]]], d, lane.u)


def _simplify(pts: list[Point]) -> list[Point]:
    """Drop repeated and collinear points."""
    out: list[Point] = []
    for p in pts:
        if out and abs(out[-1][0] - p[0]) < 1e-6 and abs(out[-1][1] - p[1]) < 1e-6:
            continue
        if len(out) >= 2:
            a, b = out[-2], out[-1]
            if (abs(a[0] - b[0]) < 1e-6 and abs(b[0] - p[0]) < 1e-6) or (
                abs(a[1] - b[1]) < 1e-6 and abs(b[1] - p[1]) < 1e-6
            ):
                out[-1] = p
                continue
        out.append(p)
    return out
