"""Decisions lowering takes from context, each a small pure function.

Why apart from the walk in `lower_diagram`: these are the judgement calls (add or concat
at a join, a pool stride the figure does not draw, maps drawn side by side, sizes and block
names in captions). Keeping them pure and together makes each one testable and keeps the
rule that nothing is guessed silently easy to audit: every function says what it assumed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from papercc.compiler.diagram.graph import Diagram, DiagramEdge
from papercc.compiler.diagram.notes import NoteSize
from papercc.compiler.phrases import Layer, Phrase, parse_phrase
from papercc.ir.registry import OPS, SameAs
from papercc.ir.types import TensorType
from papercc.ir.values import HOLE

__all__ = [
    "Assumption",
    "bare_conv",
    "caption_block_names",
    "caption_input_size",
    "decide_merge",
    "in_parallel_branch",
    "implied_values",
    "input_values",
    "is_window_op",
    "keeps_channels",
    "part_is_model",
    "reads_as_layer",
    "show_value",
    "stride_from_sizes",
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


@dataclass(frozen=True)
class Assumption:
    """A value the figure does not write, and why it was taken: what the figure implies
    (a size note, two consecutive sizes, a branch that is merged again), or a framework's
    convention (`convention`: not taken with `strict`)."""

    attr: str
    value: object
    why: str
    convention: bool = False

    def comment(self) -> str:
        """`stride 2: pooling stride = window (convention)`."""
        name = {"out": "channels", "units": "units"}.get(self.attr, self.attr)
        return f"{name} {show_value(self.value)}: {self.why}"


def show_value(value: object) -> str:
    """3 for (3, 3), 2x1 for (2, 1), ? for a hole."""
    if value is HOLE or value is None:
        return "?"
    if isinstance(value, tuple):
        if value and all(v == value[0] for v in value):
            return show_value(value[0])
        return "x".join(show_value(v) for v in value)
    return str(value)


def is_window_op(op: str) -> bool:
    """A pooling window: an op whose stride defaults to its kernel (the registry says so)."""
    attr = OPS[op].attr_map.get("stride") if op in OPS else None
    return attr is not None and isinstance(attr.default, SameAs) and attr.default.name == "kernel"


def _stated(layer: Layer, name: str) -> bool:
    value = layer.get(name)
    return value is not None and value is not HOLE


def _defaulted(layer: Layer, name: str) -> bool:
    """Was the attribute set by a reader's default (`default_padding`), not the text?"""
    return _stated(layer, name) and any(f"default_{name}" in n for n in layer.notes)


# categories of ops whose output has as many channels as their input
_KEEP_CHANNELS = frozenset({"activation", "normalisation", "regularisation", "pooling", "resize"})


def keeps_channels(op: str) -> bool:
    """Does the op pass on its input's channel count (ReLU, batchnorm, a pool)?"""
    return op in OPS and OPS[op].category in _KEEP_CHANNELS


def _padding_from_sizes(layer: Layer, got: dict, before, after) -> Assumption | None:
    """`valid` or `same` padding where the text leaves it to a default and the two sizes
    tell which (572 -> 570 with a 3x3 kernel: valid; 28 -> 28: same)."""
    if not _defaulted(layer, "padding") or not before or after is None:
        return None
    kernel, stride = got.get("kernel", layer.get("kernel")), got.get("stride", layer.get("stride"))
    stride = stride if stride is not None else (1,) * len(before)
    values = (kernel, stride, after.spatial)
    if not all(isinstance(v, tuple) and len(v) == len(before) for v in values):
        return None
    if not all(isinstance(v, int) for t in (kernel, stride) for v in t):
        return None
    same = tuple(-(-b // s) for b, s in zip(before, stride, strict=True))
    valid = tuple((b - k) // s + 1 for b, k, s in zip(before, kernel, stride, strict=True))
    sizes = "{} -> {}".format("x".join(map(str, before)), "x".join(map(str, after.spatial)))
    if after.spatial == valid != same and layer.get("padding") != "valid":
        return Assumption("padding", "valid", f"from the sizes {sizes} (size notes)")
    if after.spatial == same != valid and layer.get("padding") != "same":
        return Assumption("padding", "same", f"from the sizes {sizes} (size notes)")
    return None


def stride_from_sizes(before: tuple[int, ...], after: tuple[int, ...]) -> tuple[int, ...] | None:
    """The stride that takes a map of size `before` to `after` (28 -> 14: 2), per spatial
    dim; None when a size does not divide (the sizes then say nothing sure)."""
    if len(before) != len(after) or not before:
        return None
    out = []
    for a, b in zip(before, after, strict=True):
        if b <= 0 or a < b or a % b:
            return None
        out.append(a // b)
    return tuple(out)


def implied_values(
    layer: Layer,
    *,
    before: tuple[int, ...] | None,
    after: NoteSize | None,
    owns_channels: bool,
    owns_stride: bool,
    in_branch: bool,
    strict: bool,
    carried: NoteSize | None = None,
) -> tuple[list[Assumption], tuple[str, ...]]:
    """The values a layer's text leaves unstated that the figure implies, then those a
    convention gives; and the attributes left as holes so that no registry default is
    taken silently. What the label writes always wins: only unstated attributes are filled.

    before: the spatial size of the layer's input as the figure states it (a size note,
    or the input's stated size); after: the size note of the box's output. owns_channels /
    owns_stride: this layer is the one of its box whose channels / stride the note tells.

    In order: output channels (conv) or units (dense) from the output's note; a stride from
    the two sizes (28 -> 14: 2); a parallel branch merged again keeps its size (stride 1);
    then the conventions: pooling stride = window, pooling window = stride (`max pool /2`)."""
    if layer.op not in OPS:
        return [], ()
    attrs = OPS[layer.op].attr_map
    out: list[Assumption] = []
    got: dict[str, object] = {}
    told = after if after is not None and after.channels is not None else carried
    if owns_channels and told is not None and told.channels is not None:
        for name in ("out", "units"):
            if name in attrs and not _stated(layer, name) and attrs[name].required:
                if name == "units" and told.spatial:
                    continue  # a map's channels are not a dense layer's units
                why = f"from the size note {told.text}"
                if told is carried:
                    why += " (the layers after it keep the channels)"
                a = Assumption(name, told.channels, why)
                out.append(a)
                got[name] = a.value
    rank = OPS[layer.op].spatial_rank
    window = is_window_op(layer.op)
    if rank and "stride" in attrs and not _stated(layer, "stride"):
        sizes = stride_from_sizes(before or (), after.spatial if after else ())
        if owns_stride and sizes is not None and len(sizes) == rank:
            if window or any(s != 1 for s in sizes):
                why = "from the sizes {} -> {} (size notes)".format(
                    "x".join(map(str, before or ())), "x".join(map(str, after.spatial))
                )
                out.append(Assumption("stride", sizes, why))
                got["stride"] = sizes
        if window and "stride" not in got and _stated(layer, "kernel"):
            if in_branch:
                why = "a parallel branch keeps its size"
                out.append(Assumption("stride", (1,) * rank, why))
                got["stride"] = (1,) * rank
            elif not strict:
                kernel = layer.get("kernel")
                out.append(
                    Assumption("stride", kernel, "pooling stride = window (convention)", True)
                )
                got["stride"] = kernel
    if window and not _stated(layer, "kernel") and not strict:
        stride = got.get("stride", layer.get("stride"))
        if isinstance(stride, tuple) and all(isinstance(v, int) for v in stride):
            out.append(Assumption("kernel", stride, "pooling window = stride (convention)", True))
            got["kernel"] = stride
    padding = _padding_from_sizes(layer, got, before, after) if owns_stride else None
    if padding is not None:
        out.append(padding)
    elif any(a.convention for a in out) and _defaulted(layer, "padding"):
        if layer.get("padding") != "valid":  # PyTorch's and Keras' pools pad nothing
            out.append(Assumption("padding", "valid", "a pool pads nothing (convention)", True))
    holes: tuple[str, ...] = ()
    stride_open = window and not _stated(layer, "stride") and "stride" not in got
    if stride_open and _stated(layer, "kernel"):
        holes = ("stride",)  # the registry default (stride = kernel) is never taken silently
    if strict and rank and "padding" in attrs and not _stated(layer, "padding"):
        if "padding" not in {a.attr for a in out}:
            holes = (*holes, "padding")  # strict: no padding the text does not mark
    return out, holes


def input_values(
    shape: tuple | None, note: NoteSize | None, rank: int, text: str, strict: bool
) -> tuple[tuple | None, list[Assumption]]:
    """An input's (C, H, W) completed: the size note at the input gives what the label
    leaves out (`Image 28×28` + `28×28×1`: 1 channel), then the convention for an image
    (3 channels) where the input is an image (a spatial size or the word)."""
    out: list[Assumption] = []
    dims = list(shape) if shape is not None else [None] * (rank + 1)
    if len(dims) != rank + 1 or rank == 0 and note is None:
        return shape, out

    def unknown(v):
        return v is None or v is HOLE or not isinstance(v, int)

    fits = note is not None and (
        len(note.spatial) == rank
        and all(unknown(d) or d == n for d, n in zip(dims[1:], note.spatial, strict=True))
    )
    if fits and any(unknown(d) for d in dims[1:]):
        dims[1:] = list(note.spatial)
        out.append(Assumption("size", note.spatial, f"from the size note {note.text}"))
    if unknown(dims[0]):
        if fits and note.channels is not None:
            dims[0] = note.channels
            out.append(Assumption("channels", note.channels, f"from the size note {note.text}"))
        elif (
            rank == 2
            and not strict
            and (not any(unknown(d) for d in dims[1:]) or _IMAGE.search(text))
        ):
            dims[0] = 3
            out.append(Assumption("channels", 3, "an image input (convention)", True))
    if not out:
        return shape, out
    return tuple(None if unknown(d) else d for d in dims), out


# categories of ops that hold weights: a figure part without one is no model
_WEIGHTED = frozenset({"convolution", "linear", "attention", "recurrent", "normalisation"})


def reads_as_layer(phrase: Phrase | None) -> bool:
    """A box's text read as a layer: a registry op, a named block or a pool of unstated
    type (no more than `input`/`output`, and no run of words not understood alone)."""
    if phrase is None:
        return False
    return any(
        layer.op == "block" or layer.op == "pool" or (layer.op in OPS and layer.op not in _IO)
        for layer in phrase.layers
    ) and (phrase.recognised or not all(layer.op == "unknown" for layer in phrase.layers))


_IO = frozenset({"input", "output"})


def part_is_model(phrases: list[Phrase | None]) -> tuple[bool, str]:
    """Is a figure part whose layer boxes read as `phrases` a model? Yes when at least half
    of the boxes read as layers and one of them holds weights (a conv, dense, norm,
    attention or recurrent layer) or is a named block; the reason says what was found.

    Why: a figure of boxes not understood (garbage OCR, `Load data -> Train`, bars of a
    chart) is not a model, however its arrows run; a chain of identities is no result."""
    read = [p for p in phrases if reads_as_layer(p)]
    weighted = any(
        layer.op == "block" or (layer.op in OPS and OPS[layer.op].category in _WEIGHTED)
        for p in read
        for layer in p.layers
    )
    why = f"{len(read)} of {len(phrases)} boxes and arrow labels read as layers"
    if not phrases or 2 * len(read) < len(phrases):
        return False, why
    if not weighted:
        return False, why + ", none with weights"
    return True, why


_IMAGE = re.compile(r"\b(image|images|img|rgb|photo|picture)\b", re.IGNORECASE)


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
