"""Decisions lowering takes from context, each a small pure function.

Why apart from the walk in `lower_diagram`: these are the judgement calls (add or concat
at a join, a pool stride the figure does not draw, maps drawn side by side, sizes and block
names in captions). Keeping them pure and together makes each one testable and keeps the
rule that nothing is guessed silently easy to audit: every function says what it assumed.
"""

from __future__ import annotations

import re

from papercc.compiler.diagram.graph import Diagram, DiagramEdge
from papercc.compiler.phrases import Layer, Phrase, parse_phrase
from papercc.ir.registry import OPS
from papercc.ir.types import TensorType
from papercc.ir.values import HOLE

__all__ = [
    "bare_conv",
    "caption_block_names",
    "caption_input_size",
    "decide_merge",
    "in_parallel_branch",
    "pool_stride",
    "side_by_side_edges",
    "worth_comment",
]


def caption_block_names(caption: str) -> tuple[str, ...]:
    """Block names a caption mentions ("... the Inception-A block ..." -> inception_a).

    The hook for linking figures of one paper: a figure whose caption names a block
    defines it; lower it with `as_block=` and pass it to the figures that use it."""
    words = caption.replace("“", " ").replace("”", " ").split()
    found: list[str] = []
    i = 0
    while i < len(words):
        for span in (3, 2, 1):
            chunk = " ".join(words[i : i + span]).strip(".,;:()\"'")
            if not chunk or not chunk[0].isalpha():
                continue
            p = parse_phrase(chunk)
            if p.recognised and len(p.layers) == 1 and p.layers[0].op == "block":
                name = str(p.layers[0].get("name"))
                if name not in found:
                    found.append(name)
                i += span - 1
                break
        i += 1
    return tuple(found)


_CAPTION_SIZE = re.compile(
    r"(?<![\w.])(\d{1,4})\s*[x×\u00d7*]\s*(\d{1,4})(?:\s*[x×\u00d7*]\s*\d{1,4})?\s+(\w+)",
    re.IGNORECASE,
)
# words after "H x W" that make it the size of the data a figure takes (not a kernel)
_SIZE_WORDS = frozenset(
    "grid grids input inputs image images resolution pixel pixels feature features map maps "
    "to crop crops patch patches tile tiles rgb color colour gray grey".split()
)


def caption_input_size(caption: str) -> tuple[int, int] | None:
    """The input's spatial size a caption states: "35 × 35 grid modules" -> (35, 35);
    "35 × 35 to 17 × 17 reduction" -> (35, 35). Kernel sizes ("3 × 3 convolutions") are not
    sizes of the input and are skipped."""
    for m in _CAPTION_SIZE.finditer(caption or ""):
        if m.group(3).lower() in _SIZE_WORDS:
            h, w = int(m.group(1)), int(m.group(2))
            if h > 0 and w > 0:
                return h, w
    return None


def in_parallel_branch(n: int, preds: dict, succs: dict, crops: set = frozenset()) -> bool:
    """n sits on one of several short paths from one fork to one join (an Inception
    branch): its output size must match its siblings' at the join. A sibling through a
    crop arrow ("copy and crop") is cropped to fit, so it does not count."""

    def fork_above(k: int, free: bool = False) -> int | None:
        while len(preds[k]) == 1:
            p = preds[k][0]
            if free and (p, k) in crops:
                return None
            if len(succs[p]) > 1:
                return p
            k = p
        return None

    def join_below(k: int) -> int | None:
        while len(succs[k]) == 1:
            s = succs[k][0]
            if len(preds[s]) > 1:
                return s
            k = s
        return None

    fork, join = fork_above(n), join_below(n)
    if fork is None or join is None:
        return False
    mine = n
    while len(succs[mine]) == 1 and succs[mine][0] != join:
        mine = succs[mine][0]
    for q in preds[join]:
        if q == mine:
            continue
        if q == fork and (q, join) not in crops:
            return True
        if len(succs[q]) == 1 and (q, join) not in crops and fork_above(q, True) == fork:
            return True
    return False


def pool_stride(layer: Layer, in_branch: bool):
    """A pool whose kernel is drawn but not its stride: 1 in a branch that is merged again
    (sizes must agree), else a hole. The registry default (stride = kernel) is never
    taken silently. None when nothing is to be added."""
    if "stride" not in OPS[layer.op].attr_map or "pool" not in layer.op:
        return None
    if layer.get("stride") is not None or not isinstance(layer.get("kernel"), tuple):
        return None
    if in_branch:
        return (("stride", 1),), "stride not drawn: 1 (a parallel branch keeps its size)"
    return (("stride", HOLE),), "stride not drawn"


def side_by_side_edges(diagram: Diagram, ids: set[int]) -> list[DiagramEdge]:
    """Empty boxes drawn touching a box that carries on: one map concatenated with another.

    U-Net draws the copied encoder map right beside the up-sampled one; nothing flows out
    of the copy, so it joins the box it touches (an arrow copy -> neighbour is added)."""
    out_deg = {n: 0 for n in ids}
    for e in diagram.edges:
        if e.src in out_deg:
            out_deg[e.src] += 1
    nodes = [diagram.node(n) for n in sorted(ids)]
    extra = []
    for s in nodes:
        if s.text or s.shape in ("junction", "text") or out_deg[s.id]:
            continue
        for t in nodes:
            if t is s or t.text or not out_deg[t.id] or not _touching(s.bbox, t.bbox):
                continue
            extra.append(DiagramEdge(s.id, t.id, 0.9))
            break
    return extra


def _touching(a, b, gap: float = 2.0) -> bool:
    """Side by side: edges within `gap`, overlapping by half of the smaller extent across."""
    for lo, hi, olo, ohi in ((0, 2, 1, 3), (1, 3, 0, 2)):
        if abs(a[hi] - b[lo]) <= gap or abs(b[hi] - a[lo]) <= gap:
            overlap = min(a[ohi], b[ohi]) - max(a[olo], b[olo])
            small = min(a[ohi] - a[olo], b[ohi] - b[olo])
            if small > 0 and overlap >= 0.5 * small:
                return True
    return False


_KERNEL = re.compile(r"\d+\s*[x×]\s*\d+")


def bare_conv(phrase: Phrase) -> bool:
    """A box read without any op word that still states a kernel size ("3x3, 64"): box
    diagrams write convs this way (ResNet's bottleneck figure). A bare number is not one."""
    return (
        not phrase.recognised
        and all(layer.op == "unknown" for layer in phrase.layers)
        and bool(_KERNEL.search(phrase.normalised or phrase.text))
        and not any(ch.isalpha() and ch not in "xX" for ch in (phrase.normalised or phrase.text))
    )


def worth_comment(note: str) -> bool:
    """Phrase notes worth a comment (the padding default is said once per model; the
    conv read from a bare size is said by the lowering)."""
    return "default_padding" not in note and "default_op" not in note


def decide_merge(op: str | None, types: list[TensorType | None]):
    """add or concat for a merge, and 1x1 projections {input index: (out, stride)}.

    op: what the box says ("add", "concat", "mul") or None for a junction / no text."""
    known = all(t is not None and t.rank is not None and t.rank >= 3 for t in types)
    if not known and op is None:
        ranks = {t.rank for t in types if t is not None and t.rank is not None}
        if len(ranks) == 1 and 2 in ranks:  # vectors: features of different sizes join
            units = {t.dim(1) for t in types if isinstance(t.dim(1), int)}
            if len(units) > 1:
                return "concat", {}, "concat: feature sizes differ"
    if not known:
        if op:
            return op, {}, None
        return "add", {}, "add assumed: the shapes here are not known"
    chans = [t.dim(1) for t in types]
    spatial = [tuple(t.shape[2:]) for t in types]
    ints = all(isinstance(d, int) for s in spatial for d in s)
    same_spatial = ints and len(set(spatial)) == 1
    chans_known = all(isinstance(c, int) for c in chans)
    if op == "concat" or op == "mul":
        return op, {}, None
    known_chans = {c for c in chans if isinstance(c, int)}
    if op is None and (not ints or same_spatial):
        if len(known_chans) > 1:  # an add of these is impossible
            return (
                "concat",
                {},
                "concat: channel counts differ ("
                + ", ".join("?" if c is None else str(c) for c in chans)
                + ")",
            )
        if chans_known and same_spatial:
            return "add", {}, "add: the inputs have the same shape"
        if chans_known:
            return "add", {}, "add: channel counts agree"
        return "add", {}, "add assumed: channel counts not known"
    if not ints:
        return "add", {}, None if op else "add assumed"
    # add (drawn, or a junction) of different shapes: project to the smallest map
    t = min(
        range(len(types)),
        key=lambda i: (_prod(spatial[i]), -(chans[i] if isinstance(chans[i], int) else 0)),
    )
    projections = {}
    for i in range(len(types)):
        same_c = chans[i] == chans[t] or None in (chans[i], chans[t])  # `?` agrees
        if i == t or (spatial[i] == spatial[t] and same_c):
            continue
        stride = tuple(
            a // b if b and a % b == 0 else 1 for a, b in zip(spatial[i], spatial[t], strict=True)
        )
        out = chans[t] if isinstance(chans[t], int) else None
        projections[i] = (out, stride)
    note = None if op else "add: a junction of different shapes (residual with projection)"
    return "add", projections, note


def _prod(dims) -> int:
    p = 1
    for d in dims:
        p *= d
    return p
