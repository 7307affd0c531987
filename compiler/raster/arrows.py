"""Connectors of a raster diagram: which nodes each line touches, and which way it points.

Boxes and text are masked out first, so each connected component of what is left is one
connector tree (a straight or elbowed arrow, a routed skip, a fork or a merge). Where a
component meets a node we look at the width profile of the line going away from the
node: an arrowhead (filled, hollow or a V) is a short run of rows that are much wider
than the shaft and then narrow back to it; a fork or an elbow is wide too but runs off
the probe window. Ends with heads are destinations, the others sources. Components with
no head at all are oriented by the side of the node they leave and the layout's flow.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import cv2
import numpy as np

from papercc.compiler.raster.boxes import IBox, grown
from papercc.compiler.raster.paths import SIGN, InkGraph, component_pixels


@dataclass(frozen=True)
class Touch:
    component: int
    node: int
    side: str  # top | bottom | left | right
    point: tuple[float, float]
    head: bool
    pixel: tuple[int, int] = (0, 0)  # a pixel of the component next to the node (x, y)


@dataclass(frozen=True)
class Edge:
    src: int
    dst: int
    confidence: float


@dataclass(frozen=True)
class ArrowSettings:
    """The tunables of connector reading. Units: pixels (px), glyph heights of the
    figure (glyphs), stroke widths (strokes), row counts (rows), fractions; "a + b
    strokes" is a px + b strokes. A row is one line of pixels across a connector, read
    from the node outwards."""

    # contacts between connectors and nodes
    min_connector_px: int = 4  # px of ink; a component with fewer is a speck ...
    min_connector_strokes: float = 3  # strokes (px per stroke width); ... or with fewer
    box_margin_px: int = 4  # px beyond a stroke: connectors touch a box within this
    text_margin_glyphs: float = 2  # glyphs; connectors touch a free label within this
    corner_px: int = 6  # px; two pieces of a line meeting at a node's corner within this
    pass_by_px: tuple[int, int] = (2, 3)  # px short of the contact window's two ends: a
    # line reaching both runs along the node's side
    # a straight line grazing the contact window (it runs past, it does not end here)
    graze_min_px: int = 6  # px of ink in the window at least
    graze_elongation: float = 4  # the line's length / width (singular values) at least
    graze_max_off_px: float = 2.5  # px; every pixel this close to the line's axis
    graze_min_len: float = 4  # px; the line is this long in the window at least
    graze_mid: tuple[float, float] = (0.2, 0.8)  # fraction along the line: the node's
    # nearest point lies between these
    # the arrowhead probe
    probe_half_px: int = 8  # px; the probe reaches this far to each side of the contact ...
    probe_half_glyphs: float = 2.0  # glyphs; ... or this far
    probe_depth_px: int = 16  # px; the probe reads this many rows from the node ...
    probe_depth_glyphs: float = 4.0  # glyphs; ... or this many
    width_slack_px: int = 1  # px; rows this close in width are as wide
    tip_gap_px: int = 3  # px (+ tip_gap_strokes); a head's tip starts this close to the node
    tip_gap_strokes: float = 2  # strokes
    head_wide_shafts: float = 2.4  # shaft widths; a head is this wide at least ...
    head_wide_px: int = 3  # px beyond the shaft; ... and this much wider
    head_min_rows: int = 2  # rows from the tip to the head's widest row at least
    head_tip_share: float = 0.65  # fraction of the head's width; its first rows are narrower
    head_lead_px: int = 4  # rows; a shaft at the node longer than this (and ...
    head_lead_shafts: float = 2  # ... this many shaft widths) is no tip
    head_gradual: float = 0.5  # fraction of the width: the row before the widest is as wide
    small_head_rows: int = 4  # rows; a small head's widest row is among the first this many
    small_head_start: int = 2  # rows; ... within this many rows of the node
    shaft_rows: int = 3  # rows of steady shaft after a small or truncated head
    small_head_ratio: float = 2  # a small head is this many shaft widths wide
    truncated_far_row: int = 3  # rows; a truncated head's shaft is measured from this row
    truncated_max_rows: int = 6  # rows; a truncated head is this long at most, ...
    truncated_max_strokes: float = 2  # strokes; ... or this (+ truncated_max_extra)
    truncated_max_extra: int = 4  # rows
    truncated_min_rows: int = 2  # rows; a truncated head is this long at least
    truncated_start: float = 0.6  # fraction of its width at its first row at least
    truncated_shafts: float = 2  # shaft widths (or truncated_wide_px wider) at least
    truncated_wide_px: int = 2  # px beyond the shaft
    # a head is centred on its line (a glyph beside the line is not)
    sym_wide_px: int = 3  # px wider than the narrowest row: where the line widens
    sym_rows: int = 5  # rows; the first this many wide rows are compared
    sym_max_off_px: float = 1.5  # px; their middle lies this close to the line's middle ...
    sym_max_off: float = 0.2  # fraction of their width; ... or this close
    # the flow
    lone_head_min_connectors: int = 6  # with this many connectors, one head alone is
    # doubtful ...
    headed_min_share: float = 0.2  # ... and so are heads on at most this share of them
    mid_side: float = 0.2  # fraction of a side from either corner: off its middle part
    walk_tol_px: float = 3.0  # px; a path may back up against the flow by this much ...
    walk_tol_glyphs: float = 1.0  # glyphs; ... or this much
    onward_tol_px: float = 3.0  # px; the same, for ink leaving a destination onwards
    junction_half_px: int = 3  # px; half the width of a junction's box across the line
    # confidences of edges (0..1)
    headed_confidence: float = 1.0  # direction read from arrowheads
    flow_confidence: float = 0.6  # direction from the figure's flow
    junction_confidence: float = 1.0  # a junction into its target
    junction_node_confidence: float = 0.5  # the "+" node a junction becomes


FLOW_SIDES = {  # direction -> (side a source leaves by, side a destination is entered by)
    "down": ("bottom", "top"),
    "up": ("top", "bottom"),
    "right": ("right", "left"),
    "left": ("left", "right"),
}
ENTERED_FROM = {side: d for d, (_, side) in FLOW_SIDES.items()}  # head's side -> flow


def find_touches(
    conn: np.ndarray,
    nodes: list[IBox],
    margins: list[int],
    stroke: float,
    char_h: float,
    settings: ArrowSettings = ArrowSettings(),
) -> tuple[list[Touch], np.ndarray]:
    """All (connector component, node) contacts with the head/tail verdict of each, and
    the connectors' label image (components of `conn`, joined at nodes' corners)."""
    n, labels = cv2.connectedComponents(conn, connectivity=8)  # no stats: 2-4x faster
    min_area = max(settings.min_connector_px, int(settings.min_connector_strokes * stroke))
    big = np.bincount(labels[conn > 0], minlength=n) >= min_area  # pixel count
    big[0] = False
    touches: list[Touch] = []
    for idx, (box, m) in enumerate(zip(nodes, margins, strict=False)):
        x0, y0, x1, y1 = grown(box, m, conn.shape)
        win = labels[y0:y1, x0:x1]
        for comp in np.unique(win[win > 0]):  # the window is mostly node and background
            if not big[comp]:
                continue
            ys, xs = np.nonzero(win == comp)
            px, py = float(xs.mean() + x0), float(ys.mean() + y0)
            side = _side(box, px, py)
            if _passes_by(box, side, m, xs + x0, ys + y0, settings.pass_by_px):
                continue
            k = int(np.argmin(gaps(box, xs + x0, ys + y0)))
            if grazes(win == comp, xs, ys, k, settings):
                continue
            head = is_head(labels, int(comp), box, side, (px, py), stroke, char_h, settings)
            pixel = (int(xs[k] + x0), int(ys[k] + y0))
            touches.append(Touch(int(comp), idx, side, (px, py), head, pixel))
    return _join_at_corners(touches, labels, nodes, margins, settings.corner_px)


def _join_at_corners(
    touches: list[Touch],
    labels: np.ndarray,
    nodes: list[IBox],
    margins: list[int],
    corner_px: int,
) -> tuple[list[Touch], np.ndarray]:
    """A line that runs past a node's corner is cut in two by the node's mask; the two
    pieces meet at the same corner. Join them and forget the contact."""
    groups: dict[tuple[int, int], list[Touch]] = {}
    for t in touches:
        corner = _corner(nodes[t.node], t.pixel, min(margins[t.node], corner_px))
        if corner >= 0:
            groups.setdefault((t.node, corner), []).append(t)
    rename: dict[int, int] = {}
    drop: set[int] = set()
    for ts in groups.values():
        comps = sorted({t.component for t in ts})
        if len(comps) != 2:
            continue
        keep, gone = comps
        rename[gone] = keep
        drop.update(id(t) for t in ts)
    if not rename:
        return touches, labels
    labels = labels.copy()
    for gone, keep in rename.items():
        labels[labels == gone] = keep
    out = []
    for t in touches:
        if id(t) in drop:
            continue
        c = rename.get(t.component, t.component)
        out.append(Touch(c, t.node, t.side, t.point, t.head, t.pixel))
    return out, labels


def _corner(box: IBox, p: tuple[int, int], m: int) -> int:
    """Which corner (0-3) the pixel sits at, outside the node; -1 if none."""
    x, y = p
    for i, (cx, cy) in enumerate(
        ((box[0], box[1]), (box[2], box[1]), (box[0], box[3]), (box[2], box[3]))
    ):
        if abs(x - cx) <= m and abs(y - cy) <= m:
            return i
    return -1


def grazes(
    inwin: np.ndarray,
    xs: np.ndarray,
    ys: np.ndarray,
    k: int,
    settings: ArrowSettings = ArrowSettings(),
) -> bool:
    """A single straight line crossing the contact window whose point nearest the node
    lies mid-way along it: it runs past a corner or side, it does not end here.

    `inwin` is the component's mask in the window, `xs`, `ys` its pixels (window
    coordinates) and `k` the index of the pixel nearest the node."""
    if xs.size < settings.graze_min_px or _ring_crossings(inwin) != 2:
        return False
    if any(_runs(edge) > 1 for edge in (inwin[0], inwin[-1], inwin[:, 0], inwin[:, -1])):
        return False  # two strokes leave by one edge: lines meeting here (a fork), not one
    pts = np.stack([xs, ys], axis=1).astype(np.float64)
    c = pts - pts.mean(axis=0)
    _, sv, vt = np.linalg.svd(c, full_matrices=False)
    if (
        sv[0] < settings.graze_elongation * max(sv[1], 1e-9)
        or float(np.abs(c @ vt[1]).max()) > settings.graze_max_off_px
    ):
        return False  # not one thin straight line (a bend, a fork, an arrowhead)
    t = c @ vt[0]
    lo, hi = float(t.min()), float(t.max())
    if hi - lo < settings.graze_min_len:
        return False
    f = (float(t[k]) - lo) / (hi - lo)
    first, last = settings.graze_mid
    return first < f < last


def _ring_crossings(inwin: np.ndarray) -> int:
    """How many separate runs of the component cross the window's border."""
    top, bottom = inwin[0, :], inwin[-1, ::-1]
    right, left = inwin[1:-1, -1], inwin[-2:0:-1, 0]
    ring = np.concatenate([top, right, bottom, left]).astype(np.int8)
    if ring.size == 0 or ring.all():
        return 0 if ring.size == 0 else 1
    return int(np.count_nonzero(np.diff(np.concatenate([ring, ring[:1]])) == 1))


def _runs(line: np.ndarray) -> int:
    """How many separate runs of True a 1-D mask holds."""
    v = np.concatenate([[0], line.astype(np.int8), [0]])
    return int(np.count_nonzero(np.diff(v) == 1))


def gaps(box: IBox, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """City-block distance of each pixel (`xs`, `ys`) from the box (0 inside)."""
    zero = np.zeros_like(xs)
    gx = np.maximum(np.maximum(box[0] - xs, xs - box[2]), zero)
    gy = np.maximum(np.maximum(box[1] - ys, ys - box[3]), zero)
    return gx + gy


def _side(box: IBox, px: float, py: float) -> str:
    out = {
        "top": box[1] - py,
        "bottom": py - box[3],
        "left": box[0] - px,
        "right": px - box[2],
    }
    return max(out, key=out.get)  # type: ignore[arg-type]


def _passes_by(
    box: IBox, side: str, m: int, xs: np.ndarray, ys: np.ndarray, slack: tuple[int, int]
) -> bool:
    """A line running along a side (not ending at it) spans the whole contact window
    (short of its ends by `slack` pixels at most)."""
    if side in ("top", "bottom"):
        lo, hi, v = box[0] - m, box[2] + m, xs
    else:
        lo, hi, v = box[1] - m, box[3] + m, ys
    return bool(v.min() <= lo + slack[0] and v.max() >= hi - slack[1])


def is_head(
    labels: np.ndarray,
    comp_id: int,
    box: IBox,
    side: str,
    point: tuple[float, float],
    stroke: float,
    char_h: float,
    settings: ArrowSettings = ArrowSettings(),
) -> bool:
    """Whether connector `comp_id` of the label image ends in an arrowhead where it
    meets `side` of the node `box` around `point` (x, y). Scans outwards from the side;
    a head is thin tip -> wide body -> thin shaft, centred on its line."""
    px, py = point
    st = settings
    half = int(max(st.probe_half_px, round(st.probe_half_glyphs * char_h)))
    depth = int(max(st.probe_depth_px, round(st.probe_depth_glyphs * char_h)))
    reach = half + depth + 2
    wx0, wy0, wx1, wy1 = grown(box, reach, labels.shape)
    comp = labels[wy0:wy1, wx0:wx1] == comp_id
    box = (box[0] - wx0, box[1] - wy0, box[2] - wx0, box[3] - wy0)
    px, py = px - wx0, py - wy0
    if side in ("top", "bottom"):
        c = int(round(px))
        a, b = max(0, c - half), min(comp.shape[1], c + half + 1)
        start = box[1] - 1 if side == "top" else box[3]
        step = -1 if side == "top" else 1
        rows = comp[list(_range(start, step, depth, comp.shape[0])), a:b]
    else:
        c = int(round(py))
        a, b = max(0, c - half), min(comp.shape[0], c + half + 1)
        start = box[0] - 1 if side == "left" else box[2]
        step = -1 if side == "left" else 1
        rows = comp[a:b, list(_range(start, step, depth, comp.shape[1]))].T
    widths, edge, mids = row_widths(rows)
    return _head_profile(widths, edge, stroke, st) and _symmetric(widths, edge, mids, st)


def row_widths(rows: np.ndarray) -> tuple[list[int], list[bool], list[float]]:
    """Per row of a boolean array: the extent of its set pixels (first to last; 0 if
    none), whether one of them is at either end of the row, and the extent's middle."""
    if rows.shape[0] == 0 or rows.shape[1] == 0:
        return [0] * rows.shape[0], [False] * rows.shape[0], [0.0] * rows.shape[0]
    any_ = rows.any(axis=1)
    first = rows.argmax(axis=1)
    last = rows.shape[1] - 1 - rows[:, ::-1].argmax(axis=1)
    widths = np.where(any_, last - first + 1, 0)
    edge = any_ & (rows[:, 0] | rows[:, -1])
    mids = np.where(any_, (first + last) / 2.0, 0.0)
    return widths.tolist(), edge.tolist(), mids.tolist()


def _symmetric(
    widths: list[int], edge: list[bool], mids: list[float], settings: ArrowSettings
) -> bool:
    """An arrowhead is centred on its line; a glyph of a label written against the line
    (a size note beside an arrow) widens it on one side only. Read over the run of rows
    the head test read (from the node until the line ends or leaves the window): the
    first rows where the line widens must be centred on its narrow part."""
    i = 0
    while i < len(widths) and widths[i] == 0:
        i += 1
    j = i
    while j < len(widths) and widths[j] > 0 and not edge[j]:
        j += 1
    ws = np.array(widths[i:j], float)
    ms = np.array(mids[i:j], float)
    if ws.size < 2:
        return True
    low = float(ws.min())
    narrow = ws <= low + settings.width_slack_px
    wide = np.flatnonzero(ws >= low + settings.sym_wide_px)[: settings.sym_rows]
    if wide.size == 0:
        return True
    off = abs(float(np.median(ms[wide])) - float(np.median(ms[narrow])))
    return off <= max(settings.sym_max_off_px, settings.sym_max_off * float(np.median(ws[wide])))


def _range(start: int, step: int, depth: int, limit: int) -> range:
    stop = start + step * depth
    stop = max(-1, min(limit, stop))
    return range(start, stop, step)


def _head_profile(
    widths: list[int], edge: list[bool], stroke: float, settings: ArrowSettings
) -> bool:
    """Head: the line is narrow where it meets the node and widens away from it.

    The profile is read from the node outwards until the line ends, leaves the probe
    window or the scan depth is reached. A tail's profile starts at full width (shaft,
    or an arrowhead's base when the connector is short); a head's starts at its tip.
    """
    i = 0
    while i < len(widths) and widths[i] == 0:
        i += 1
    st = settings
    slack = st.width_slack_px
    if i >= len(widths) or i > st.tip_gap_px + st.tip_gap_strokes * stroke:
        return False
    seg = []
    diverging = False  # still widening where it leaves the probe window
    for wd, e in zip(widths[i:], edge[i:], strict=False):
        if wd == 0 or e:
            diverging = e and bool(seg) and wd >= max(seg)
            break
        seg.append(wd)
    if len(seg) < 2:
        return False
    if diverging and seg[-1] >= max(seg) - slack:
        return False  # lines fanning out from one point (a fork), not a head that closes
    shaft = max(1.0, stroke)
    wide = max(st.head_wide_shafts * shaft, shaft + st.head_wide_px)
    peak_at = int(np.argmax(seg))
    peak = seg[peak_at]
    first = float(np.mean(seg[:2]))
    lead = 0  # rows at the start as narrow as the first: a shaft, not a tip
    while lead < len(seg) and seg[lead] <= seg[0] + slack:
        lead += 1
    if (
        peak >= wide
        and peak_at >= st.head_min_rows
        and first <= st.head_tip_share * peak
        and lead <= max(st.head_lead_px, st.head_lead_shafts * shaft)
    ):
        # a head widens gradually from its tip; a short stub ending in a head's base jumps
        if seg[peak_at - 1] > seg[0] and seg[peak_at - 1] >= st.head_gradual * peak:
            return True
    return _truncated_head(seg, stroke, st) or _small_head(seg, wide, st)


def _small_head(seg: list[int], wide: float, settings: ArrowSettings) -> bool:
    """A head only a few pixels long: a short wide run right at the node, then a sharp
    drop to a steady shaft (a tail seen through a short arrow tapers off gradually)."""
    st = settings
    slack = st.width_slack_px
    peak = max(seg[: st.small_head_rows])
    start = seg.index(peak)
    if peak < wide or start > st.small_head_start:
        return False
    end = start
    while end < len(seg) and seg[end] >= peak - slack:
        end += 1
    rest = seg[end:]
    if len(rest) < st.shaft_rows:
        return False
    shaft = min(rest)
    steady = all(wd <= shaft + slack for wd in rest[: st.shaft_rows])
    return st.small_head_ratio * shaft <= peak and steady


def _truncated_head(seg: list[int], stroke: float, settings: ArrowSettings) -> bool:
    """A small head whose tip was lost under the node mask: wide at once, then a shaft."""
    st = settings
    slack = st.width_slack_px
    zone = 0
    far = seg[min(len(seg) - 1, st.truncated_far_row) :]
    shaft = float(np.median(far[-max(st.shaft_rows, len(far) // 2) :])) if far else 0.0
    while zone < len(seg) and seg[zone] > shaft + slack:
        zone += 1
    longest = max(st.truncated_max_rows, st.truncated_max_strokes * stroke + st.truncated_max_extra)
    if zone < st.truncated_min_rows or zone > longest or len(seg) - zone < st.shaft_rows:
        return False
    near = max(seg[:zone])
    tail_ok = all(wd <= shaft + slack for wd in seg[zone : zone + st.shaft_rows])
    return (
        seg[0] >= st.truncated_start * near
        and near >= max(st.truncated_shafts * shaft, shaft + st.truncated_wide_px)
        and tail_ok
    )


def flow_direction(
    touches: list[Touch],
    centers: list[tuple[float, float]],
    settings: ArrowSettings = ArrowSettings(),
) -> str:
    """The direction most arrowheads point: a head on a node's top points down, and so
    on. Each head votes once, so a bus with many ends does not outweigh a long chain (a
    vote per source/destination pair would). Ties fall to the head-oriented pairs; '?'
    without heads, or when they are doubtful."""
    if doubtful_heads(touches, settings):
        return "?"
    votes = Counter(ENTERED_FROM[t.side] for t in touches if t.head)
    ranked = votes.most_common()
    if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
        return ranked[0][0]
    vx = vy = 0.0
    for s, d in _oriented_pairs(touches):
        vx += centers[d][0] - centers[s][0]
        vy += centers[d][1] - centers[s][1]
    if vx == 0 and vy == 0:
        return "?"
    if abs(vy) >= abs(vx):
        return "down" if vy > 0 else "up"
    return "right" if vx > 0 else "left"


def doubtful_heads(touches: list[Touch], settings: ArrowSettings = ArrowSettings()) -> bool:
    """Heads on a small minority of many connectors: forks, crossings or a note's glyph
    that looked like a head are likelier than a figure that draws a few arrowheads and
    leaves most connectors bare. Its flow is then read from the layout and the text."""
    wires = {t.component for t in touches}
    headed = {t.component for t in touches if t.head}
    if not headed or len(wires) < settings.lone_head_min_connectors:
        return False
    return len(headed) <= max(1, settings.headed_min_share * len(wires))


def _oriented_pairs(touches: list[Touch]) -> list[tuple[int, int]]:
    pairs = []
    for comp in {t.component for t in touches}:
        ts = [t for t in touches if t.component == comp]
        heads = {t.node for t in ts if t.head}
        tails = {t.node for t in ts if not t.head}
        pairs += [(s, d) for s in tails for d in heads if s != d]
    return pairs


def layout_direction(centers: list[tuple[float, float]], touches: list[Touch]) -> str:
    """Without arrowheads: the axis the connectors run along (else the nodes spread
    along), read top-down or left-right."""
    vertical = sum(t.side in ("top", "bottom") for t in touches)
    horizontal = len(touches) - vertical
    if vertical != horizontal:
        return "down" if vertical > horizontal else "right"
    if len(centers) < 2:
        return "?"
    xs = np.array([c[0] for c in centers])
    ys = np.array([c[1] for c in centers])
    return "down" if np.ptp(ys) >= np.ptp(xs) else "right"


@dataclass(frozen=True)
class Wiring:
    """Edges between nodes, plus the sum junctions found where arrows meet arrows.

    Junction j gets node id `len(nodes) + j`; it feeds `target` and sits in `bbox`.
    """

    edges: tuple[Edge, ...]
    junctions: tuple[tuple[IBox, int], ...]


def build_edges(
    touches: list[Touch],
    labels: np.ndarray,
    nodes: list[IBox],
    margins: list[int],
    centers: list[tuple[float, float]],
    direction: str,
    tol: float,
    settings: ArrowSettings = ArrowSettings(),
) -> Wiring:
    """Pair sources with destinations inside each connector component.

    With several sources and destinations in one component (skip arrows drawn onto the
    main line, forks, merges), a pair is kept only if a path along the ink leads from
    the source to the destination without backing up the flow by more than `tol` and
    without running through another node's entry. If ink leaves a destination's entry
    towards further destinations, that entry is a junction: a branch point when one
    value arrives there, a sum (ResNet style, "+") when several do.
    """
    edges: dict[tuple[int, int], float] = {}
    jbox: dict[int, IBox] = {}  # target node -> junction box (junction id = -1 - target)
    by_comp: dict[int, list[Touch]] = {}
    for t in touches:
        by_comp.setdefault(t.component, []).append(t)
    busy = {c for c, ts in by_comp.items() if len(ts) > 2 and len({t.node for t in ts}) > 1}
    pixels = component_pixels(labels, busy) if busy and direction in SIGN else {}
    for comp in sorted(by_comp):
        ts = by_comp[comp]
        if len({t.node for t in ts}) < 2:
            continue
        heads, tails, conf = roles(ts, centers, direction, nodes, settings)
        pairs: list[tuple[int, int]] = [
            (s.node, d.node) for s in tails for d in heads if s.node != d.node
        ]
        if comp in pixels:
            g = InkGraph(*pixels[comp], direction)
            pairs = _walk(g, heads, tails, nodes, margins, tol, jbox, settings)
        for key in pairs:
            edges[key] = max(edges.get(key, 0.0), conf)
    edges = _route_through_junctions(edges, jbox, settings.junction_confidence)
    return _finish(edges, jbox, nodes, centers, direction)


def _walk(
    g: InkGraph,
    heads: list[Touch],
    tails: list[Touch],
    nodes: list[IBox],
    margins: list[int],
    tol: float,
    jbox: dict[int, IBox],
    settings: ArrowSettings,
) -> list[tuple[int, int]]:
    """Source/destination pairs joined by ink along the flow; junctions on the way."""
    shape = (10**9, 10**9)
    band = {t.node: _band(nodes[t.node], t.side, margins[t.node], shape) for t in heads}
    entry = {n: g.inside(b) for n, b in band.items()}
    pairs: list[tuple[int, int]] = []
    for s in tails:
        stop = np.zeros(len(g.flow), bool)
        for n, m in entry.items():
            if n != s.node:
                stop |= m
        reached = g.reach([g.at(*s.pixel)], tol, stop)
        found = [d for d in heads if d.node != s.node and (reached & entry[d.node]).any()]
        if not found:  # a flow that wraps: the line runs back against the flow to its heads
            reached = g.reach([g.at(*s.pixel)], math.inf, stop)
            found = [d for d in heads if d.node != s.node and (reached & entry[d.node]).any()]
        pairs += [(s.node, d.node) for d in found]
    onward: dict[int, list[Touch]] = {}
    for h in heads:
        stop = np.zeros(len(g.flow), bool)
        for n, m in entry.items():
            if n != h.node:
                stop |= m
        ahead = g.reach(np.flatnonzero(entry[h.node]).tolist(), settings.onward_tol_px, stop)
        onward[h.node] = [d for d in heads if d.node != h.node and (ahead & entry[d.node]).any()]
    # Entries that reach each other both ways sit on one line drawn across the flow (a
    # bus feeding a row of branches close to their boxes): siblings, fed by whatever
    # feeds one of them, and no junction.
    sib = {
        h.node: {d.node for d in onward[h.node] if h.node in {e.node for e in onward[d.node]}}
        for h in heads
    }
    pairs += [(s, d) for s, n in pairs if s >= 0 for d in sib.get(n, ()) if d != s]
    for h in heads:
        nexts = [d for d in onward[h.node] if d.node not in sib[h.node]]
        if nexts:
            r = settings.junction_half_px
            jbox.setdefault(h.node, _entry_box(nodes[h.node], h, band[h.node], r))
            pairs += [(-1 - h.node, d.node) for d in nexts]
    return pairs


def _route_through_junctions(
    edges: dict[tuple[int, int], float], jbox: dict[int, IBox], confidence: float
) -> dict[tuple[int, int], float]:
    """Edges into a junction's target go into the junction; the junction feeds it."""
    out: dict[tuple[int, int], float] = {}
    for (s, d), c in edges.items():
        if d in jbox and s != -1 - d:
            d = -1 - d
        out[(s, d)] = max(out.get((s, d), 0.0), c)
    for t in jbox:
        out[(-1 - t, t)] = confidence
    return out


def _finish(edges, jbox, nodes, centers, direction) -> Wiring:
    """Collapse single-input junctions (plain branch points), number the rest."""
    for t in list(jbox):
        j = -1 - t
        preds = [(s, c) for (s, d), c in edges.items() if d == j]
        if len(preds) >= 2:
            continue
        succs = [(d, c) for (s, d), c in edges.items() if s == j]
        edges = {k: c for k, c in edges.items() if j not in k}
        for s, c1 in preds:
            for d, c2 in succs:
                if s != d:
                    edges[(s, d)] = max(edges.get((s, d), 0.0), min(c1, c2))
        del jbox[t]
    ids = {-1 - t: len(nodes) + k for k, t in enumerate(sorted(jbox))}
    centers = list(centers) + [
        ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0) for _, b in sorted(jbox.items())
    ]
    edges = {(ids.get(s, s), ids.get(d, d)): c for (s, d), c in edges.items()}
    out = []
    for (s, d), c in edges.items():
        rev = edges.get((d, s))
        if rev is not None and (rev > c or (rev == c and not _forward(centers, d, s, direction))):
            continue
        out.append(Edge(s, d, c))
    junctions = tuple((b, t) for t, b in sorted(jbox.items()))
    return Wiring(tuple(sorted(out, key=lambda e: (e.src, e.dst))), junctions)


def _entry_box(box: IBox, t: Touch, win: IBox, r: int) -> IBox:
    """Where a connector enters a node: `r` pixels to either side of its contact, across
    the entry band `win`."""
    px, py = int(round(t.point[0])), int(round(t.point[1]))
    if t.side == "top":
        return (px - r, win[1], px + r, box[1])
    if t.side == "bottom":
        return (px - r, box[3], px + r, win[3])
    if t.side == "left":
        return (win[0], py - r, box[0], py + r)
    return (box[2], py - r, win[2], py + r)


def _band(box: IBox, side: str, m: int, shape: tuple[int, ...]) -> IBox:
    """The strip outside one side of a node where connectors enter it."""
    x0, y0, x1, y1 = grown(box, m, shape)
    if side == "top":
        return (x0, y0, x1, box[1] + 1)
    if side == "bottom":
        return (x0, box[3] - 1, x1, y1)
    if side == "left":
        return (x0, y0, box[0] + 1, y1)
    return (box[2] - 1, y0, x1, y1)


def roles(
    ts: list[Touch],
    centers: list[tuple[float, float]],
    direction: str,
    nodes: list[IBox] | None = None,
    settings: ArrowSettings = ArrowSettings(),
) -> tuple[list[Touch], list[Touch], float]:
    """The contacts `ts` of one connector split into heads (destinations) and tails
    (sources), with the confidence of that reading; `centers` are the nodes' centres,
    `nodes` their boxes (without them, no contact counts as off its side's middle).

    Heads where an arrowhead was seen or the line enters by the flow's entry side.

    Without any arrowhead, a line ending square in the middle of a node's side across
    the flow (a skip routed below a left-to-right row, into the bottom of a later node)
    enters that node when the node lies further along the flow than the component's
    middle; a contact at a corner is a line passing by, and stays a source."""
    exit_side, entry_side = FLOW_SIDES.get(direction, ("bottom", "top"))
    seen = any(t.head for t in ts)
    heads = [t for t in ts if t.head or (t.side == entry_side)]
    tails = [t for t in ts if t not in heads]
    pos = {t.node: _flow_pos(centers[t.node], direction) for t in ts}
    if heads and tails and seen:
        # a bare end further along the flow than every head, met mid-side but not by
        # its exit side, is a destination whose small head was missed (a skip line
        # forking off an arrow into a later node); sources lie upstream of their heads
        beyond = max(pos[t.node] for t in heads)
        late = _entered_late(tails, pos, beyond, exit_side, nodes, settings.mid_side)
        if len(late) == len(tails):
            late = []  # a connector has a source: a flow that wraps runs back up to its head
        return heads + late, [t for t in tails if t not in late], settings.headed_confidence
    flow_conf = settings.flow_confidence
    if len(ts) > 2 and heads and not tails:
        return heads, [], flow_conf  # branches taken from a node's input: see junctions
    if heads and tails:
        mid = float(np.mean(list(pos.values())))
        late = _entered_late(tails, pos, mid, exit_side, nodes, settings.mid_side)
        return heads + late, [t for t in tails if t not in late], flow_conf
    heads, tails = _orient_by_flow(ts, centers, direction)
    return heads, tails, flow_conf


def _entered_late(
    tails: list[Touch],
    pos: dict[int, float],
    beyond: float,
    exit_side: str,
    nodes: list[IBox] | None,
    corner: float,
) -> list[Touch]:
    """The bare ends that enter their node: further along the flow than `beyond`, met
    mid-side and not by the node's exit side."""
    return [
        t
        for t in tails
        if t.side != exit_side
        and pos[t.node] > beyond
        and (nodes is None or _mid_side(nodes[t.node], t, corner))
    ]


def _mid_side(box: IBox, t: Touch, corner: float) -> bool:
    """The contact lies on the middle part of its side, more than `corner` of the side
    away from either corner."""
    if t.side in ("top", "bottom"):
        lo, hi, v = box[0], box[2], t.pixel[0]
    else:
        lo, hi, v = box[1], box[3], t.pixel[1]
    r = corner * (hi - lo)
    return lo + r <= v <= hi - r


def _forward(centers: list[tuple[float, float]], s: int, d: int, direction: str) -> bool:
    return _flow_pos(centers[d], direction) >= _flow_pos(centers[s], direction)


def _flow_pos(c: tuple[float, float], direction: str) -> float:
    return {"down": c[1], "up": -c[1], "right": c[0], "left": -c[0]}.get(direction, c[1])


def _orient_by_flow(
    ts: list[Touch], centers: list[tuple[float, float]], direction: str
) -> tuple[list[Touch], list[Touch]]:
    """Headless (or all-head) connector: leaving by the exit side means source."""
    exit_side, entry_side = FLOW_SIDES.get(direction, ("bottom", "top"))
    pos = {t.node: _flow_pos(centers[t.node], direction) for t in ts}
    mid = float(np.mean(list(pos.values())))
    heads, tails = [], []
    for t in ts:
        if t.side == exit_side:
            tails.append(t)
        elif t.side == entry_side:
            heads.append(t)
        elif pos[t.node] <= mid:
            tails.append(t)
        else:
            heads.append(t)
    if not heads or not tails:  # all on one kind of side: earliest in the flow feeds the rest
        order = sorted(ts, key=lambda t: pos[t.node])
        return order[1:], order[:1]
    return heads, tails
