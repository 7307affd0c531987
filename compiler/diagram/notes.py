"""Size notes of a figure: what tensor size a note states, and which box it is about.

Why: box diagrams write a tensor's size beside the box that makes it or on the arrow that
carries it (`28×28×64`, `64@14×14`, `(64, 28, 28)`, `1000`). The size is often the only
place a figure states a layer's output channels or a stride, so lowering reads it before
leaving a hole. Readers put every such note in `Diagram.notes`; `attach` ties the ones
they could not place to a box by geometry, `output_sizes` says what each box outputs.

Which number is the channel count (`parse_size`):
- `C@H×W` (LeNet's style): the number before `@`;
- a parenthesised shape `(C, H, W)` (PyTorch's order; a leading `None`/`N`/`?` batch
  entry is dropped); `(H, W, C)` when its first two are a square pair and the last is not;
- `H×W×C` otherwise (`28×28×64`, `28 x 28 x 64`): of three numbers, a square pair and an
  odd one, the odd one is the channels (`64×28×28` -> 64); with no square pair, the last
  (papers write height × width × channels);
- two numbers (`56x56`): a spatial size, channels not stated;
- one number (`1000`): a vector of that many units (stored as channels, no spatial size).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from papercc.compiler.diagram.graph import BBox, Diagram, DiagramNote

__all__ = ["NoteSize", "attach", "output_sizes", "parse_size", "straight_way"]

# how far a note may be from its box or arrow, in heights of the note's text
NEAR = 2.5


@dataclass(frozen=True)
class NoteSize:
    """A size a note states: spatial (H, W) (empty for a vector) and channels (or units)."""

    spatial: tuple[int, ...]
    channels: int | None
    text: str

    def __str__(self) -> str:
        return self.text


_X = r"\s*[x×X\u00d7*·]\s*"
_NUM = r"(\d{1,5})"
_AT = re.compile(rf"^{_NUM}\s*@\s*{_NUM}(?:{_X}{_NUM})?$")
_PAREN = re.compile(
    r"^[\(\[]\s*((?:(?:none|n|\?|b)\s*,\s*)?\d{1,5}(?:\s*,\s*\d{1,5}){0,3})\s*,?\s*[\)\]]$",
    re.I,
)
_CROSS = re.compile(rf"^{_NUM}(?:{_X}{_NUM}){{1,2}}$")
_ONE = re.compile(rf"^{_NUM}$")


def parse_size(text: str) -> NoteSize | None:
    """The size a note's text states, or None when it states none (see the module doc)."""
    t = " ".join(text.split()).strip().rstrip(".,;")
    if not t:
        return None
    m = _AT.match(t)
    if m:
        dims = tuple(int(g) for g in m.groups()[1:] if g is not None)
        return _size(dims if len(dims) == 2 else dims * 2, int(m.group(1)), t)
    m = _PAREN.match(t)
    if m:
        parts = [p.strip() for p in m.group(1).split(",")]
        nums = tuple(int(p) for p in parts if p.isdigit())
        if len(nums) == 3:
            c, h, w = nums
            if c == h and w != c:  # (H, W, C): Keras' order
                return _size((c, h), w, t)
            return _size((h, w), c, t)
        if len(nums) == 2:
            return _size(nums, None, t)
        if len(nums) == 1:
            return _size((), nums[0], t)
        return None
    m = _CROSS.match(t)
    if m:
        nums = tuple(int(g) for g in re.findall(r"\d+", t))
        if len(nums) == 2:
            return _size(nums, None, t)
        a, b, c = nums
        if b == c and a != b:  # 64×28×28: channels first
            return _size((b, c), a, t)
        return _size((a, b), c, t)
    m = _ONE.match(t)
    if m:
        return _size((), int(m.group(1)), t)
    return None


def _size(spatial: tuple[int, ...], channels: int | None, text: str) -> NoteSize | None:
    if any(d <= 0 for d in spatial) or (channels is not None and channels <= 0):
        return None
    return NoteSize(tuple(spatial), channels, text)


# ---------------------------------------------------------------- geometry


def _rect_gap(a: BBox, b: BBox) -> float:
    dx = max(b[0] - a[2], a[0] - b[2], 0.0)
    dy = max(b[1] - a[3], a[1] - b[3], 0.0)
    return math.hypot(dx, dy)


def _centre(b: BBox) -> tuple[float, float]:
    return (b[0] + b[2]) / 2, (b[1] + b[3]) / 2


def _exit(box: BBox, fx: float, fy: float, tx: float, ty: float) -> float:
    """Parameter t along (fx,fy)->(tx,ty) where the line leaves `box` (0 if it starts out)."""
    dx, dy = tx - fx, ty - fy
    ts = []
    for d, lo, hi, f in ((dx, box[0], box[2], fx), (dy, box[1], box[3], fy)):
        if d > 0:
            ts.append((hi - f) / d)
        elif d < 0:
            ts.append((lo - f) / d)
    return max(0.0, min(ts)) if ts else 0.0


def _edge_distance(src: BBox, dst: BBox, note: BBox) -> float | None:
    """Distance from the note to the straight run between two boxes (outside both), or
    None when the note is not beside that run (its centre projects outside it)."""
    (sx, sy), (tx, ty) = _centre(src), _centre(dst)
    length = math.hypot(tx - sx, ty - sy)
    if length == 0:
        return None
    t0 = _exit(src, sx, sy, tx, ty)
    t1 = 1.0 - _exit(dst, tx, ty, sx, sy)
    if t1 <= t0:
        return None
    nx, ny = _centre(note)
    t = ((nx - sx) * (tx - sx) + (ny - sy) * (ty - sy)) / length**2
    if not t0 < t < t1:
        return None
    px, py = sx + t * (tx - sx), sy + t * (ty - sy)
    # the note's own extent across the run does not count
    ux, uy = -(ty - sy) / length, (tx - sx) / length
    half = abs(ux) * (note[2] - note[0]) / 2 + abs(uy) * (note[3] - note[1]) / 2
    return max(0.0, abs((nx - px) * ux + (ny - py) * uy) - half)


def _facing(a: BBox, b: BBox) -> bool:
    """One box above the other with overlapping columns, or side by side with
    overlapping rows."""
    return min(a[2], b[2]) > max(a[0], b[0]) or min(a[3], b[3]) > max(a[1], b[1])


def straight_way(a: BBox, b: BBox, others: list[BBox]) -> bool:
    """A straight connector can join boxes a and b: they face each other and no other
    box lies across the way (a skip runs around the boxes it skips, an elbow joins boxes
    that do not face each other; notes beside those boxes are not on such a line)."""
    if not _facing(a, b):
        return False
    ca, cb = _centre(a), _centre(b)
    i = 1 if abs(cb[1] - ca[1]) >= abs(cb[0] - ca[0]) else 0
    lo, hi = min(ca[i], cb[i]), max(ca[i], cb[i])
    return not any(_facing(a, o) and _facing(o, b) and lo < _centre(o)[i] < hi for o in others)


def attach(diagram: Diagram) -> Diagram:
    """The diagram with each unattached size note tied to a box or an arrow.

    A note beside the straight run of an arrow (between the two boxes it joins) is on
    that arrow: it states the source box's output. A note beside a box on any side states
    that box's output (the input box's: the input). Of several candidates the nearest
    wins; a note farther than NEAR heights of its text from any is left unattached, as is
    a note that states no size. Notes a reader attached are kept as they are."""
    boxes = [n for n in diagram.nodes if n.shape != "junction"]
    by_id = {n.id: n for n in diagram.nodes}
    straight = [  # the arrows a note can sit on: a straight run between facing boxes
        (e, by_id[e.src].bbox, by_id[e.dst].bbox)
        for e in diagram.edges
        if e.src in by_id
        and e.dst in by_id
        and e.src != e.dst
        and straight_way(
            by_id[e.src].bbox,
            by_id[e.dst].bbox,
            [b.bbox for b in boxes if b.id not in (e.src, e.dst)],
        )
    ]
    out: list[DiagramNote] = []
    for note in diagram.notes:
        if note.node is not None or note.edge is not None or parse_size(note.text) is None:
            out.append(note)
            continue
        height = max(note.bbox[3] - note.bbox[1], 1.0)
        best: tuple[float, int, int | None, tuple[int, int] | None] | None = None
        for e, src, dst in straight:
            d = _edge_distance(src, dst, note.bbox)
            if d is not None and d <= NEAR * height:
                cand = (d, 0, e.src, (e.src, e.dst))
                best = cand if best is None or cand[:2] < best[:2] else best
        for n in boxes:
            if _contains(n.bbox, note.bbox):
                continue  # text inside a box is the box's label, not a note beside it
            d = _rect_gap(n.bbox, note.bbox)
            if d <= NEAR * height:
                cand = (d, 1, n.id, None)
                best = cand if best is None or cand[:2] < best[:2] else best
        if best is None:
            out.append(note)
            continue
        out.append(replace(note, node=best[2], edge=best[3]))
    placed = _own_side_upstream(diagram, out)
    return diagram if placed == list(diagram.notes) else replace(diagram, notes=tuple(placed))


_UPSTREAM = {"down": "above", "up": "below", "right": "left", "left": "right"}


def _side_of(box: BBox, note: BBox) -> str:
    """Which side of the box the note lies on (by the larger of the two gaps)."""
    dx = max(box[0] - note[2], note[0] - box[2], 0.0)
    dy = max(box[1] - note[3], note[1] - box[3], 0.0)
    if dy >= dx:
        return "above" if note[3] <= (box[1] + box[3]) / 2 else "below"
    return "left" if note[2] <= (box[0] + box[2]) / 2 else "right"


def _own_side_upstream(diagram: Diagram, notes: list[DiagramNote]) -> list[DiagramNote]:
    """A figure that writes each size just before its own box (above it in a downward
    flow) puts it on the arrow coming in, where it reads as the previous box's output.
    The input box settles which: it has no arrow coming in, so a note on that side of it
    can only be its own. When such notes exist and none says otherwise (a note after a
    box with no arrow going out), every note on that side of its nearest box is that
    box's."""
    upstream = _UPSTREAM.get(diagram.direction)
    if upstream is None:
        return notes
    has_in = {e.dst for e in diagram.edges}
    has_out = {e.src for e in diagram.edges}
    boxes = [n for n in diagram.nodes if n.shape != "junction"]
    nearest: dict[int, tuple[int, str]] = {}
    votes = {"own": 0, "after": 0}
    for k, note in enumerate(notes):
        if parse_size(note.text) is None:
            continue
        height = max(note.bbox[3] - note.bbox[1], 1.0)
        near = [
            (_rect_gap(b.bbox, note.bbox), b) for b in boxes if not _contains(b.bbox, note.bbox)
        ]
        near = [(d, b) for d, b in near if d <= NEAR * height]
        if not near:
            continue
        near.sort(key=lambda db: db[0])
        gap, box = near[0]
        side = _side_of(box.bbox, note.bbox)
        others = [d for d, b in near[1:]] or [math.inf]
        if gap * 2 <= others[0]:  # clearly by this box, not midway on an arrow
            nearest[k] = (box.id, side)
        if box.id not in has_in and side == upstream:
            votes["own"] += 1
        if box.id not in has_out and side == _DOWNSTREAM[upstream]:
            votes["after"] += 1
    if votes["own"] == 0 or votes["after"] > 0:
        return notes
    return [
        (
            replace(note, node=nearest[k][0], edge=None)
            if k in nearest and nearest[k][1] == upstream
            else note
        )
        for k, note in enumerate(notes)
    ]


_DOWNSTREAM = {"above": "below", "below": "above", "left": "right", "right": "left"}


def _contains(outer: BBox, inner: BBox) -> bool:
    cx, cy = _centre(inner)
    return outer[0] <= cx <= outer[2] and outer[1] <= cy <= outer[3]


def output_sizes(diagram: Diagram) -> dict[int, NoteSize]:
    """What each box outputs by its attached notes (an arrow's note: its source's output).
    Of several notes of one box, the one that states most (spatial size and channels)."""
    sizes: dict[int, NoteSize] = {}
    for note in diagram.notes:
        box = note.node if note.node is not None else (note.edge[0] if note.edge else None)
        size = parse_size(note.text)
        if box is None or size is None:
            continue
        old = sizes.get(box)
        if old is None or _stated(size) > _stated(old):
            sizes[box] = size
    return sizes


def _stated(size: NoteSize) -> int:
    return len(size.spatial) + (size.channels is not None)
