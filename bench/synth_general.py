"""An independent generator of 2-D box-and-arrow figures for the generalisation benchmark.

Why: `bench/bench_figures.py` draws with papercc's own renderer (`compiler/render/`), which
the readers were tuned on for months. This module draws with PyMuPDF shapes and text
directly (no `papercc.compiler` import), with every visual factor drawn independently
from its own list and recorded per figure, so that accuracy can be reported per factor
value and on values that tuning never sees (`HELD_OUT`).

A figure is built in three steps: a model (`synth_models.synth_model`, re-drawn until it
is small enough to export), a style (`draw_style`: one value per factor), a display list
in figure coordinates (`layout`), painted onto a PDF page (`paint`) alone or inside a
page with a caption and body text, and rasterised for PNG (`make_figure`). The truth is
the DLIR text (complete attributes), its graph (ops, attributes, edges) and the boxes.

Labels may leave out what conventions imply (stride = window for pooling, `/2` = kernel
2 stride 2, 3 channels for an image input, `same` padding, a conv's channels when its
size note gives them); the truth then holds the conventional value.

Deterministic: the same (seed, split, format) gives byte-identical PNG bytes.
"""

from __future__ import annotations

import io
import math
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pymupdf as fitz

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth_models import synth_model  # noqa: E402

import papercc  # noqa: E402

__all__ = [
    "FACTORS",
    "HELD_OUT",
    "Figure",
    "Negative",
    "draw_style",
    "make_figure",
    "make_negative",
    "truth_model",
]

# Frozen before any tuning (2026-12-07): values the `tune` split never draws and every
# `heldout` figure draws at least one of. Nobody tunes on figures drawn with these.
HELD_OUT: dict[str, tuple[str, ...]] = {
    "font": ("cobo", "DejaVuSerifCondensed"),
    "fill": ("earth",),
    "note_place": ("left",),
    "orient": ("rot270",),
    "arrow": ("open",),
}

_TTF_DIR = Path("/usr/share/fonts/truetype/dejavu")
_TTF = {
    "DejaVuSans": "DejaVuSans.ttf",
    "DejaVuSans-Bold": "DejaVuSans-Bold.ttf",
    "DejaVuSerif": "DejaVuSerif.ttf",
    "DejaVuSansCondensed": "DejaVuSansCondensed.ttf",
    "DejaVuSerifCondensed": "DejaVuSerifCondensed.ttf",
    "DejaVuSansMono": "DejaVuSansMono.ttf",
}
_BASE14 = ("helv", "hebo", "tiro", "tibo", "cour", "cobo")

# Each factor's values; repeats weight a value (the set of values is what is reachable).
FACTORS: dict[str, tuple] = {
    "flow": ("down", "down", "down", "right", "right", "right", "up", "left"),
    "wrap": ("snake", "restart"),  # used when the chain is long; else "none"
    "orient": ("horizontal", "horizontal", "rot90", "rot270"),
    "phrasing": ("caffe", "resnet", "vgg", "verbose", "keras", "terse"),
    "lines": (1, 1, 2),
    "note_place": ("none", "right", "left", "above", "below", "arrow"),
    "note_format": ("hwc_times", "hwc_x", "c_at_hw", "hwc_spaced", "chw_tuple"),
    "note_which": ("all", "changes"),
    "omit": ("none", "implied", "implied"),
    "font": _BASE14 + tuple(_TTF),
    "fontsize": (7, 8, 9, 10, 11),
    "shape": ("rect", "rect", "rounded"),
    "add_style": ("circle_text", "circle_lines", "box"),
    "fill": ("none", "none", "grey", "pastel", "vivid", "earth"),
    "legend": ("no", "yes"),  # only with a fill by op type
    "border": (0.5, 1.0, 1.5, 2.0),
    "arrow": ("filled", "filled", "open", "none", "small"),
    "line_width": (0.5, 1.0, 1.5),
    "draw_flatten": ("yes", "no"),
    "input_label": ("input", "image_hw", "input_hwc"),
    "dpi": (100, 150, 200, 300),
    "degrade": ("none", "none", "jpeg", "blur", "noise"),
}
# factors whose value is only visible in some figures (recorded as what was drawn)
FORMATS = ("png", "rasterpdf", "vectorpdf")
MAX_PARAMS = 20_000_000  # truth models stay exportable
MAX_PIXELS = 2400  # the longest side of a PNG (the DPI is lowered for big figures)


# ---------------------------------------------------------------- models


def truth_model(seed: int):
    """(DLIR text, checked graph) of a random model with at most MAX_PARAMS parameters."""
    k = 0
    while True:
        m = synth_model(seed * 7919 + k)
        r = papercc.check(m.text)
        g = next(iter(r.graphs.values()))
        if r.ok and g.params is not None and g.params <= MAX_PARAMS:
            return m.text.replace(f"synth{m.seed}", "net"), g
        k += 1


def graph_truth(g) -> dict:
    """The graph as JSON: nodes (name, op, attrs, output shape) and edges src -> dst
    ("input" for the model's input)."""
    nodes = []
    edges = []
    for n in g.nodes:
        shape = [d if isinstance(d, int) else str(d) for d in n.outputs[0].type.shape]
        ins = [d if isinstance(d, int) else str(d) for d in n.inputs[0].type.shape]
        nodes.append({"name": n.name, "op": n.op, "attrs": _jsonable(n.attrs), "shape": shape,
                      "in_shape": ins})  # fmt: skip
        for v in n.inputs:
            edges.append([v.producer.name if v.producer is not None else "input", n.name])
    ishape = [d if isinstance(d, int) else str(d) for d in g.inputs[0].type.shape]
    return {"nodes": nodes, "edges": edges, "input": ishape, "params": g.params}


def _jsonable(attrs: dict) -> dict:
    out = {}
    for k, v in attrs.items():
        out[k] = list(v) if isinstance(v, tuple) else v
    return out


# ---------------------------------------------------------------- style


def draw_style(rng: random.Random, split: str) -> dict:
    """One value per factor. tune: never a held-out value; heldout: at least one factor
    takes a held-out value (others free); "any": all values."""
    forced: set[str] = set()
    if split == "heldout":
        names = sorted(HELD_OUT)
        forced = set(rng.sample(names, rng.randint(1, 2)))
    style = {}
    for name, values in FACTORS.items():
        held = HELD_OUT.get(name, ())
        if name in forced:
            choices = held
        elif split == "tune":
            choices = tuple(v for v in values if v not in held)
        else:
            choices = values
        style[name] = rng.choice(choices)
    style["forced"] = sorted(forced)
    return style


def held_out_used(style: dict) -> list[str]:
    """The factors whose recorded (drawn) value is held out."""
    return sorted(k for k, vals in HELD_OUT.items() if style.get(k) in vals)


# ---------------------------------------------------------------- labels


def _x(rng: random.Random) -> str:
    return rng.choice(("×", "x", "×"))


def _size(h: int, w: int, c: int | None, fmt: str) -> str:
    if c is None:
        return {"hwc_spaced": f"{h} × {w}", "hwc_x": f"{h}x{w}"}.get(fmt, f"{h}×{w}")
    return {
        "hwc_times": f"{h}×{w}×{c}",
        "hwc_x": f"{h}x{w}x{c}",
        "c_at_hw": f"{c}@{h}×{w}",
        "hwc_spaced": f"{h} × {w} × {c}",
        "chw_tuple": f"({c}, {h}, {w})",
    }[fmt]


def size_note(shape: list, fmt: str) -> str:
    """A size note for an output shape [N, C, H, W] or [N, F]."""
    if len(shape) == 2:
        return str(shape[1])
    _, c, h, w = shape
    return _size(h, w, c, fmt)


def conv_label(a: dict, style: str, x: str, with_channels: bool) -> list[str]:
    k, c, s = a["kernel"], a["out"], a["stride"]
    k = k[0] if isinstance(k, (list, tuple)) else k
    s = s[0] if isinstance(s, (list, tuple)) else s
    kk = f"{k}{x}{k}"
    st = {"caffe": f" /{s}", "resnet": f", /{s}", "vgg": f", s{s}", "verbose": f" /{s}",
          "keras": f", stride {s}", "terse": f" s{s}"}[style] if s != 1 else ""  # fmt: skip
    if style == "caffe":
        return [f"Conv {kk}{st}", f"{c}"] if with_channels else [f"Conv {kk}{st}"]
    if style == "resnet":
        return [f"{kk} conv", f"{c}{st}"] if with_channels else [f"{kk} conv{st}"]
    if style == "vgg":
        # without channels, "conv3" would be a layer's name (conv1, conv2, ...): no
        # paper writes a kernel that way, so the kernel is written out
        return [f"conv{k}-{c}{st}"] if with_channels else [f"conv {kk}{st}"]
    if style == "verbose":
        return [f"Convolution {kk}{st}", f"{c}"] if with_channels else [f"Convolution {kk}{st}"]
    if style == "keras":
        return [f"Conv2D({c}, {kk}{st})"] if with_channels else [f"Conv2D({kk}{st})"]
    return [f"{kk} Conv{st}", f"{c} filters"] if with_channels else [f"{kk} Conv{st}"]


def pool_label(op: str, a: dict, style: str, x: str, omit: bool, rng: random.Random) -> list[str]:
    k, s = a["kernel"], a["stride"]
    k = k[0] if isinstance(k, (list, tuple)) else k
    s = s[0] if isinstance(s, (list, tuple)) else s
    mx = op == "maxpool2d"
    name = {
        "caffe": "MaxPool" if mx else "AvgPool",
        "resnet": "max pool" if mx else "avg pool",
        "vgg": "maxpool" if mx else "avgpool",
        "verbose": "Max pooling" if mx else "Average pooling",
        "keras": "MaxPooling2D" if mx else "AveragePooling2D",
        "terse": "Max Pool" if mx else "Avg Pool",
    }[style]
    kk = f"{k}{x}{k}"
    if omit and s == k and rng.random() < 0.5:
        return [f"{kk} {name}"] if style != "keras" else [f"{name}({kk})"]
    if omit and s == k and rng.random() < 0.5:
        return [f"{name} /{s}"]
    if style == "keras":
        return [f"{name}({kk}, strides={s})"]
    if style in ("resnet", "verbose"):
        return [f"{kk} {name}", f"stride {s}"]
    return [f"{name} {kk}", f"s{s}"] if style != "caffe" else [f"{name} {kk} /{s}"]


def dense_label(a: dict, style: str) -> list[str]:
    u = a["units"] if "units" in a else a.get("out")
    return {
        "caffe": [f"FC {u}"],
        "resnet": [f"fc {u}"],
        "vgg": [f"FC-{u}"],
        "verbose": ["Fully connected", f"{u}"],
        "keras": [f"Dense({u})"],
        "terse": [f"Linear({u})"],
    }[style]


def simple_label(op: str, a: dict, style: str, rng: random.Random) -> list[str]:
    if op == "batchnorm":
        return [rng.choice(("BatchNorm", "BN", "Batch Norm", "batch normalization"))]
    if op == "relu":
        return [rng.choice(("ReLU", "relu", "ReLU", "ReLU activation"))]
    if op == "softmax":
        return [rng.choice(("Softmax", "softmax", "Soft-max"))]
    if op == "dropout":
        r = a["rate"]
        return [rng.choice((f"Dropout {r}", f"Dropout ({r})", f"dropout p={r}"))]
    if op == "flatten":
        return [rng.choice(("Flatten", "flatten"))]
    if op == "globalavgpool":
        return [rng.choice(("Global Avg Pool", "global average pooling", "GAP", "GlobalAvgPool"))]
    if op == "concat":
        return [rng.choice(("Concat", "Concatenate", "Filter concat", "concat"))]
    if op == "add":
        return [rng.choice(("Add", "add", "+"))]
    return [op]


def input_label(kind: str, c: int, h: int, w: int, x: str, state_c: bool) -> list[str]:
    if kind == "input":
        return ["Input"]
    if kind == "image_hw":
        return [f"Image {h}{x}{w}" + (f"{x}{c}" if state_c else "")]
    return [f"Input {h}{x}{w}{x}{c}"] if state_c else [f"Input {h}{x}{w}"]


# ---------------------------------------------------------------- display list


@dataclass
class Item:
    kind: str  # rect | circle | line | poly | text
    pts: tuple = ()
    text: str = ""
    font: str = "helv"
    size: float = 9.0
    rotate: int = 0
    color: tuple = (0, 0, 0)
    fill: tuple | None = None
    width: float = 1.0
    radius: float = 0.0
    dashes: str | None = None


def _font(name: str) -> fitz.Font:
    if name in _TTF:
        return fitz.Font(fontfile=str(_TTF_DIR / _TTF[name]))
    return fitz.Font(name)


_FONTS: dict[str, fitz.Font] = {}


def text_length(text: str, font: str, size: float) -> float:
    f = _FONTS.get(font)
    if f is None:
        f = _FONTS[font] = _font(font)
    return f.text_length(text, size)


_SCHEMES = {
    "grey": None,
    "pastel": {
        "conv": (0.80, 0.88, 1.0), "pool": (1.0, 0.85, 0.75), "dense": (0.85, 1.0, 0.85),
        "norm": (1.0, 1.0, 0.75), "act": (0.95, 0.85, 1.0), "merge": (0.9, 0.9, 0.9),
        "other": (0.85, 0.95, 0.95), "input": (1.0, 1.0, 1.0),
    },
    "vivid": {
        "conv": (0.45, 0.65, 1.0), "pool": (1.0, 0.55, 0.35), "dense": (0.45, 0.85, 0.45),
        "norm": (1.0, 0.9, 0.3), "act": (0.8, 0.55, 1.0), "merge": (0.75, 0.75, 0.75),
        "other": (0.5, 0.85, 0.85), "input": (0.95, 0.95, 0.95),
    },
    "earth": {
        "conv": (0.80, 0.70, 0.55), "pool": (0.65, 0.75, 0.55), "dense": (0.85, 0.60, 0.50),
        "norm": (0.90, 0.85, 0.65), "act": (0.70, 0.65, 0.60), "merge": (0.80, 0.80, 0.75),
        "other": (0.60, 0.70, 0.70), "input": (0.95, 0.93, 0.88),
    },
}  # fmt: skip
_GROUP = {
    "conv2d": "conv", "maxpool2d": "pool", "avgpool2d": "pool", "globalavgpool": "pool",
    "dense": "dense", "batchnorm": "norm", "relu": "act", "softmax": "act",
    "concat": "merge", "add": "merge", "input": "input",
}  # fmt: skip
_LEGEND_NAME = {
    "conv": "Convolution", "pool": "Pooling", "dense": "Fully connected",
    "norm": "Normalization", "act": "Activation", "merge": "Merge", "other": "Other",
}  # fmt: skip


@dataclass
class Box:
    name: str  # graph node name ("input" for the input box)
    op: str
    lines: list[str]
    note: str | None
    circle: bool = False
    rect: tuple = (0, 0, 0, 0)  # x0, y0, x1, y1 in figure coordinates
    rank: int = 0
    lane: float = 0.0
    row: int = 0
    forward: tuple = (0.0, 1.0)  # the flow direction at this box


@dataclass
class Drawing:
    items: list[Item] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0
    cross_ext: float = 0.0  # the largest box extent across the flow
    skip_room: float = 0.0  # room for notes between boxes and shortcut lines


def _drawn_nodes(gt: dict, style: dict) -> tuple[list[dict], list[tuple[str, str]]]:
    """The graph's nodes that get a box, and edges between boxes (undrawn nodes bridged)."""
    skip = set()
    if style["draw_flatten"] == "no":
        skip = {n["name"] for n in gt["nodes"] if n["op"] == "flatten"}
    feeds: dict[str, str] = {}
    for s, d in gt["edges"]:
        if d in skip:
            feeds[d] = s
    edges = []
    for s, d in gt["edges"]:
        if d in skip:
            continue
        while s in feeds:
            s = feeds[s]
        edges.append((s, d))
    return [n for n in gt["nodes"] if n["name"] not in skip], edges


def make_boxes(gt: dict, style: dict, rng: random.Random) -> tuple[list[Box], list]:
    nodes, edges = _drawn_nodes(gt, style)
    x = _x(rng)
    omit = style["omit"] == "implied"
    place = style["note_place"]
    _, cin, h, w = gt["input"]
    boxes: list[Box] = []
    prev_shape = gt["input"]
    # the input box
    want_note = place != "none"
    state_c = not (omit and (cin == 3 or want_note))
    kind = style["input_label"]
    if kind == "input" and not want_note:
        kind = "input_hwc"
    lines = input_label(kind, cin, h, w, x, state_c)
    note = size_note(gt["input"], style["note_format"]) if want_note else None
    boxes.append(Box("input", "input", lines, note))
    for n in nodes:
        op, a, shape = n["op"], n["attrs"], n["shape"]
        changed = shape != prev_shape
        has_note = place != "none" and (style["note_which"] == "all" or changed)
        prev_shape = shape
        note = size_note(shape, style["note_format"]) if has_note else None
        circle = False
        if op == "conv2d":
            lines = conv_label(
                a, style["phrasing"], x, not (omit and has_note and rng.random() < 0.6)
            )
        elif op in ("maxpool2d", "avgpool2d"):
            lines = pool_label(op, a, style["phrasing"], x, omit, rng)
        elif op == "dense":
            lines = dense_label(a, style["phrasing"])
        elif op == "add" and style["add_style"] != "box":
            circle = True
            lines = ["+"] if style["add_style"] == "circle_text" else []
        else:
            lines = simple_label(op, a, style["phrasing"], rng)
        if style["lines"] == 1 and len(lines) > 1:
            lines = [", ".join(lines) if op == "conv2d" else " ".join(lines)]
        boxes.append(Box(n["name"], op, lines, note, circle))
    return boxes, edges


def _ranks(boxes: list[Box], edges: list) -> None:
    by = {b.name: b for b in boxes}
    preds: dict[str, list[str]] = {b.name: [] for b in boxes}
    succs: dict[str, list[str]] = {b.name: [] for b in boxes}
    for s, d in edges:
        preds[d].append(s)
        succs[s].append(d)
    for b in boxes:  # boxes are in topological order
        b.rank = max((by[p].rank + 1 for p in preds[b.name]), default=0)
    skip = {(s, d) for s, d in edges if len(preds[d]) > 1 and by[d].rank - by[s].rank > 1
            and _is_skip(s, d, succs)}  # fmt: skip
    for b in boxes:
        ps = preds[b.name]
        if not ps:
            b.lane = 0.0
        elif len(ps) > 1:
            b.lane = by[[p for p in ps if (p, b.name) not in skip][0]].lane if skip & {
                (p, b.name) for p in ps} else 0.0  # fmt: skip
        else:
            u = ps[0]
            outs = [d for d in succs[u] if (u, d) not in skip]
            k = len(outs)
            i = outs.index(b.name)
            b.lane = by[u].lane + (i - (k - 1) / 2)
    return skip


def _is_skip(s: str, d: str, succs: dict) -> bool:
    """s -> d is a shortcut: s also reaches d through another path."""
    seen, todo = set(), [x for x in succs[s] if x != d]
    while todo:
        x = todo.pop()
        if x == d:
            return True
        if x not in seen:
            seen.add(x)
            todo.extend(succs[x])
    return False


def layout(text: str, gt: dict, style: dict, rng: random.Random) -> Drawing:
    """Boxes, notes, arrows and an optional legend in figure coordinates (points)."""
    boxes, edges = make_boxes(gt, style, rng)
    skip = _ranks(boxes, edges)
    fs = float(style["fontsize"])
    font = style["font"]
    rot = {"horizontal": 0, "rot90": 90, "rot270": 270}[style["orient"]]
    pad = 5.0
    lh = fs * 1.25
    # box sizes: (w, h)
    for b in boxes:
        if b.circle:
            d = max(fs * 1.6, 12.0)
            b.rect = (0, 0, d, d)
            continue
        length = max([text_length(t, font, fs) for t in b.lines] + [fs * 2])
        along, thick = length + 2 * pad, len(b.lines) * lh + 2 * pad * 0.8
        b.rect = (0, 0, along, thick) if rot == 0 else (0, 0, thick, along)
    flow = style["flow"]
    vertical = flow in ("down", "up")
    # the main extent of a box is along the flow
    main_ext = max((b.rect[3] if vertical else b.rect[2]) for b in boxes)
    cross_ext = max((b.rect[2] if vertical else b.rect[3]) for b in boxes)
    note_len = max([text_length(b.note, font, fs * 0.9) for b in boxes if b.note] + [0.0])
    place = style["note_place"]
    gap_main = 18.0 + fs
    gap_cross = 16.0 + fs
    if place != "none":
        note_main_side = (place in ("above", "below")) if vertical else (place in ("left", "right"))
        note_span = (fs * 1.2 + 6) if vertical else (note_len + 8)
        if place == "arrow":
            gap_main += note_span if not vertical else fs * 1.2 + 4
            gap_cross += note_len if vertical else 0
        elif note_main_side:
            gap_main += note_span
        else:
            gap_cross += (note_len + 8) if vertical else (fs * 1.2 + 6)
    pitch_main = main_ext + gap_main
    if place in (("left", "right") if vertical else ("above", "below")):
        pitch_main = max(pitch_main, main_ext)  # notes sit across the flow
    if place in ("above", "below") and not vertical:
        pitch_main = max(pitch_main, note_len + 10)
    lanes = [b.lane for b in boxes]
    lane_lo, lane_hi = min(lanes), max(lanes)
    pitch_cross = cross_ext + gap_cross
    # rows: wrap long chains at cuts no edge but the last box's crosses
    nranks = max(b.rank for b in boxes) + 1
    limit = max(4, int((900.0 if vertical else 1000.0) // pitch_main))
    wrap = "none"
    rows_of = {r: 0 for r in range(nranks)}
    if nranks > limit + 2:
        wrap = style["wrap"]
        per = rng.randint(max(3, limit - 3), limit)
        by_rank: dict[int, list[Box]] = {}
        for b in boxes:
            by_rank.setdefault(b.rank, []).append(b)
        rank_of = {b.name: b.rank for b in boxes}
        row, start = 0, 0
        for r in range(nranks):
            rows_of[r] = row
            single = len(by_rank.get(r, [])) == 1
            crossing = [(s, d) for s, d in edges if rank_of[s] <= r < rank_of[d]]
            ok = single and all(rank_of[s] == r and rank_of[d] == r + 1 for s, d in crossing)
            if ok and r - start + 1 >= per and r < nranks - 2:
                row, start = row + 1, r + 1
    style["wrap_used"] = wrap
    nrows = max(rows_of.values()) + 1
    row_start = {}
    for r in range(nranks):
        row_start.setdefault(rows_of[r], r)
    row_len = {k: sum(1 for r in rows_of if rows_of[r] == k) for k in range(nrows)}
    row_first = {0: 0}  # where each row starts on the main axis (snake: under the last box)
    for k in range(1, nrows):
        back = wrap == "snake" and (k - 1) % 2 == 1
        row_first[k] = row_first[k - 1] + (row_len[k - 1] - 1) * (-1 if back else 1)
        if wrap != "snake":
            row_first[k] = 0
    side_room = (cross_ext / 2 + 16 + note_len) if skip else 0.0
    row_pitch = (lane_hi - lane_lo) * pitch_cross + cross_ext + gap_cross + side_room + 10
    # logical -> (main, cross) -> (x, y)
    for b in boxes:
        row = rows_of[b.rank]
        pos = b.rank - row_start[row]
        reverse = wrap == "snake" and row % 2 == 1
        pos = row_first[row] + (-pos if reverse else pos)
        main = pos * pitch_main
        cross = row * row_pitch + (b.lane - lane_lo) * pitch_cross
        sign = -1.0 if flow in ("up", "left") else 1.0
        main *= sign
        fwd_main = sign * (-1.0 if reverse else 1.0)
        cx, cy = (cross, main) if vertical else (main, cross)
        b.forward = (0.0, fwd_main) if vertical else (fwd_main, 0.0)
        b.row = row
        w, h = b.rect[2], b.rect[3]
        b.rect = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    drawing = Drawing(boxes=boxes, cross_ext=cross_ext)
    if place == ("left" if vertical else "above"):  # notes on the shortcuts' side
        drawing.skip_room = (note_len + 6) if vertical else (fs * 1.2 + 4)
    _draw(drawing, edges, skip, style, rot, fs, font, lh, wrap, vertical, gap_cross, rng)
    _normalise(drawing, margin=12.0)
    return drawing


def _draw(d: Drawing, edges, skip, style, rot, fs, font, lh, wrap, vertical, gap_cross, rng):
    by = {b.name: b for b in d.boxes}
    lw = float(style["line_width"])
    scheme = _SCHEMES.get(style["fill"])
    fills: dict[str, tuple] = {}
    for b in d.boxes:
        group = _GROUP.get(b.op, "other")
        fill = None
        if style["fill"] == "grey":
            fill = (0.88, 0.88, 0.88)
        elif scheme is not None:
            fill = scheme[group]
            fills.setdefault(group, fill)
        x0, y0, x1, y1 = b.rect
        if b.circle:
            c = ((x0 + x1) / 2, (y0 + y1) / 2)
            r = (x1 - x0) / 2
            d.items.append(Item("circle", (c, r), fill=fill, width=float(style["border"])))
            if not b.lines:  # a plus made of lines
                k = r * 0.6
                d.items.append(Item("line", ((c[0] - k, c[1]), (c[0] + k, c[1])), width=lw))
                d.items.append(Item("line", ((c[0], c[1] - k), (c[0], c[1] + k)), width=lw))
        else:
            radius = 0.25 if style["shape"] == "rounded" else 0.0
            d.items.append(
                Item("rect", b.rect, fill=fill, width=float(style["border"]), radius=radius)
            )
        _label(d, b, rot if not b.circle else 0, fs, font, lh)
    for s, t in edges:
        _edge(d, by[s], by[t], (s, t) in skip, style, lw, gap_cross)
    for b in d.boxes:
        if b.note:
            _note(d, b, style, fs * 0.9, font, edges, by)
    style["legend_used"] = "no"
    if fills and style["legend"] == "yes":
        style["legend_used"] = "yes"
        xs = [b.rect[0] for b in d.boxes]
        ys = [b.rect[1] for b in d.boxes]
        x, y = min(xs), min(ys) - 8 - (len(fills)) * (fs * 1.4)
        for group, fill in sorted(fills.items()):
            if group == "input":
                continue
            d.items.append(Item("rect", (x, y, x + fs, y + fs), fill=fill, width=0.5))
            d.items.append(Item("text", (x + fs + 4, y + fs * 0.85), _LEGEND_NAME[group],
                                font, fs * 0.9))  # fmt: skip
            y += fs * 1.4


def _label(d: Drawing, b: Box, rot: int, fs: float, font: str, lh: float) -> None:
    cx, cy = (b.rect[0] + b.rect[2]) / 2, (b.rect[1] + b.rect[3]) / 2
    n = len(b.lines)
    for i, t in enumerate(b.lines):
        length = text_length(t, font, fs)
        off = (i - (n - 1) / 2) * lh  # along the glyphs' up axis, downwards first
        if rot == 0:
            p = (cx - length / 2, cy + off + 0.35 * fs)
        elif rot == 90:  # reads bottom to top; glyph up = -x
            p = (cx + off + 0.35 * fs, cy + length / 2)
        else:  # 270: reads top to bottom; glyph up = +x
            p = (cx - off - 0.35 * fs, cy - length / 2)
        d.items.append(Item("text", p, t, font, fs, rot))


def _border(b: Box, direction: tuple) -> tuple:
    """The point where a ray from the box's centre in `direction` leaves it."""
    cx, cy = (b.rect[0] + b.rect[2]) / 2, (b.rect[1] + b.rect[3]) / 2
    hw, hh = (b.rect[2] - b.rect[0]) / 2, (b.rect[3] - b.rect[1]) / 2
    dx, dy = direction
    if b.circle:
        r = hw
        n = math.hypot(dx, dy) or 1.0
        return (cx + dx / n * r, cy + dy / n * r)
    t = min(hw / abs(dx) if dx else 1e9, hh / abs(dy) if dy else 1e9)
    return (cx + dx * t, cy + dy * t)


def _centre(b: Box) -> tuple:
    return ((b.rect[0] + b.rect[2]) / 2, (b.rect[1] + b.rect[3]) / 2)


def _edge(d: Drawing, s: Box, t: Box, skip: bool, style: dict, lw: float, gap_cross: float):
    (sx, sy), (tx, ty) = _centre(s), _centre(t)
    fx, fy = s.forward
    side = (1.0, 0.0) if fx == 0 else (0.0, 1.0)  # across the flow: right of it, or below
    if skip:  # on the side away from the next row, so it never meets the row's link
        back = (-side[0], -side[1])
        a = _border(s, back)
        b = _border(t, back)
        off = max(sx - a[0], sy - a[1], tx - b[0], ty - b[1], d.cross_ext / 2) + 10 + d.skip_room
        # leave the source past its centre and enter the target before it, so that a
        # skip never shares a stretch of line with a row's link into the same side
        ls, lt = _skip_shift(s, fx, fy), _skip_shift(t, fx, fy)
        a, b = (a[0] + ls[0], a[1] + ls[1]), (b[0] - lt[0], b[1] - lt[1])
        p1 = (sx + back[0] * off if back[0] else a[0], sy + back[1] * off if back[1] else a[1])
        p2 = (tx + back[0] * off if back[0] else b[0], ty + back[1] * off if back[1] else b[1])
        pts = [(a[0], a[1]), p1, p2, b]
    elif s.row != t.row:
        mates = [o for o in d.boxes if o.rank == t.rank and o.lane != t.lane]
        if style.get("wrap_used") == "snake" and mates:
            # the next row starts with boxes side by side: a straight drop would run
            # through them, so go round them and enter the box from behind
            a = _border(s, side)
            b = _border(t, (-t.forward[0], -t.forward[1]))
            tfx, tfy = t.forward
            rims = [o.rect for o in [t, *mates]]
            if tfy == 0:  # rows: behind is left or right of the stacked boxes
                back = (min(r[0] for r in rims) - 8) if tfx > 0 else (max(r[2] for r in rims) + 8)
                gap = a[1] + (min(r[1] for r in rims) - a[1]) / 2
                pts = [a, (a[0], gap), (back, gap), (back, b[1]), b]
            else:  # columns: behind is above or below the boxes side by side
                back = (min(r[1] for r in rims) - 8) if tfy > 0 else (max(r[3] for r in rims) + 8)
                gap = a[0] + (min(r[0] for r in rims) - a[0]) / 2
                pts = [a, (gap, a[1]), (gap, back), (b[0], back), b]
        elif style.get("wrap_used") == "snake":
            a = _border(s, side)
            b = _border(t, (-side[0], -side[1]))
            pts = [a, b]
        else:  # restart: on out of the row's end, across, back to the next row's start
            # and into it from behind (clear of notes beside the boxes and of boxes
            # side by side at the row's start)
            a = _border(s, (fx, fy))
            b = _border(t, (-fx, -fy))
            p1 = (a[0] + fx * 8, a[1] + fy * 8)
            p4 = (b[0] - fx * 8, b[1] - fy * 8)
            if fx == 0:  # vertical flow: columns side by side
                mid = (_border(s, side)[0] + _border(t, (-side[0], -side[1]))[0]) / 2
                pts = [a, p1, (mid, p1[1]), (mid, p4[1]), p4, b]
            else:
                mid = (_border(s, side)[1] + _border(t, (-side[0], -side[1]))[1]) / 2
                pts = [a, p1, (p1[0], mid), (p4[0], mid), p4, b]
    elif abs(sx - tx) < 0.5 or abs(sy - ty) < 0.5:
        dx, dy = tx - sx, ty - sy
        n = math.hypot(dx, dy) or 1.0
        pts = [_border(s, (dx / n, dy / n)), _border(t, (-dx / n, -dy / n))]
    else:  # elbow: forward, across, forward
        a = _border(s, s.forward)
        b = _border(t, (-t.forward[0], -t.forward[1]))
        if fx == 0:
            my = b[1] - fy * 9
            pts = [a, (a[0], my), (b[0], my), b]
        else:
            mx = b[0] - fx * 9
            pts = [a, (mx, a[1]), (mx, b[1]), b]
    d.items.append(Item("line", tuple(pts), width=lw))
    _head(d, pts[-2], pts[-1], style["arrow"], lw)


def _skip_shift(b: Box, fx: float, fy: float) -> tuple[float, float]:
    """A quarter of the box's extent along the flow."""
    hw, hh = (b.rect[2] - b.rect[0]) / 2, (b.rect[3] - b.rect[1]) / 2
    return (fx * hw * 0.5, fy * hh * 0.5) if not b.circle else (0.0, 0.0)


def _head(d: Drawing, p: tuple, q: tuple, kind: str, lw: float) -> None:
    if kind == "none":
        return
    dx, dy = q[0] - p[0], q[1] - p[1]
    n = math.hypot(dx, dy) or 1.0
    ux, uy = dx / n, dy / n
    size = {"filled": 6.0, "open": 6.5, "small": 3.5}[kind] + lw
    half = size * 0.45
    base = (q[0] - ux * size, q[1] - uy * size)
    left = (base[0] - uy * half, base[1] + ux * half)
    right = (base[0] + uy * half, base[1] - ux * half)
    if kind == "open":
        d.items.append(Item("line", (left, q, right), width=lw))
    else:
        d.items.append(Item("poly", (left, q, right), fill=(0, 0, 0), width=0.3))


def _note(d: Drawing, b: Box, style: dict, fs: float, font: str, edges, by) -> None:
    place = style["note_place"]
    length = text_length(b.note, font, fs)
    x0, y0, x1, y1 = b.rect
    cx, cy = _centre(b)
    horizontal = b.forward[1] == 0
    # beside the box, clear of the arrow line through its centre
    ny = cy - 3 if horizontal else cy + 0.35 * fs
    nx = cx + 3 if not horizontal else cx - length / 2
    if place == "right":
        p = (x1 + 4, ny)
    elif place == "left":
        p = (x0 - 4 - length, ny)
    elif place == "above":
        p = (nx, y0 - 3)
    elif place == "below":
        p = (nx, y1 + fs + 1)
    else:  # beside the outgoing arrow (or after the box when it has none)
        outs = [t for s, t in edges if s == b.name]
        fx, fy = b.forward
        if outs and by[outs[0]].row == b.row:
            t = by[outs[0]]
            a, c = _border(b, b.forward), _border(t, (-t.forward[0], -t.forward[1]))
            m = ((a[0] + c[0]) / 2, (a[1] + c[1]) / 2)
        else:  # after the box, clear of it (a note never overlaps its box)
            a = _border(b, b.forward)
            m = (a[0] + fx * (length / 2 + 4), a[1] + fy * (fs + 4))
        if fx == 0:
            p = (m[0] + 4, m[1] + 0.35 * fs)
        else:
            p = (m[0] - length / 2, m[1] - 3)
    d.items.append(Item("text", p, b.note, font, fs))


def _normalise(d: Drawing, margin: float) -> None:
    """Shift everything so the figure starts at (margin, margin); set its size."""
    xs, ys = [], []
    for it in d.items:
        if it.kind in ("rect",):
            xs += [it.pts[0], it.pts[2]]
            ys += [it.pts[1], it.pts[3]]
        elif it.kind == "circle":
            (cx, cy), r = it.pts
            xs += [cx - r, cx + r]
            ys += [cy - r, cy + r]
        elif it.kind in ("line", "poly"):
            xs += [p[0] for p in it.pts]
            ys += [p[1] for p in it.pts]
        else:
            length = text_length(it.text, it.font, it.size)
            x, y = it.pts
            if it.rotate == 0:
                xs += [x, x + length]
                ys += [y - it.size, y + it.size * 0.3]
            elif it.rotate == 90:
                xs += [x - it.size, x + it.size * 0.3]
                ys += [y - length, y]
            else:
                xs += [x - it.size * 0.3, x + it.size]
                ys += [y, y + length]
    dx, dy = margin - min(xs), margin - min(ys)
    for it in d.items:
        it.pts = _shift(it, dx, dy)
    for b in d.boxes:
        b.rect = (b.rect[0] + dx, b.rect[1] + dy, b.rect[2] + dx, b.rect[3] + dy)
    d.width = max(xs) + dx + margin
    d.height = max(ys) + dy + margin


def _shift(it: Item, dx: float, dy: float) -> tuple:
    if it.kind == "rect":
        x0, y0, x1, y1 = it.pts
        return (x0 + dx, y0 + dy, x1 + dx, y1 + dy)
    if it.kind == "circle":
        (cx, cy), r = it.pts
        return ((cx + dx, cy + dy), r)
    if it.kind == "text":
        return (it.pts[0] + dx, it.pts[1] + dy)
    return tuple((p[0] + dx, p[1] + dy) for p in it.pts)


# ---------------------------------------------------------------- painting


def paint(page, items: list[Item], scale: float = 1.0, origin: tuple = (0.0, 0.0)) -> None:
    """Draw the display list on a PDF page: figure point (x, y) -> origin + scale*(x, y)."""
    ox, oy = origin

    def tp(p):
        return fitz.Point(ox + p[0] * scale, oy + p[1] * scale)

    shape = page.new_shape()
    for it in items:
        if it.kind == "text":
            continue
        w = max(it.width * scale, 0.3)
        if it.kind == "rect":
            x0, y0, x1, y1 = it.pts
            r = fitz.Rect(tp((x0, y0)), tp((x1, y1)))
            shape.draw_rect(r, radius=it.radius or None)
        elif it.kind == "circle":
            c, rad = it.pts
            shape.draw_circle(tp(c), rad * scale)
        elif it.kind == "line":
            shape.draw_polyline([tp(p) for p in it.pts])
        elif it.kind == "poly":
            shape.draw_polyline([tp(p) for p in it.pts] + [tp(it.pts[0])])
        shape.finish(
            color=it.color,
            fill=it.fill,
            width=w,
            closePath=it.kind in ("rect", "circle", "poly"),
            dashes=it.dashes,
        )
    shape.commit()
    for it in items:
        if it.kind != "text":
            continue
        kw = {}
        if it.font in _TTF:
            kw = {"fontname": it.font.replace("-", ""), "fontfile": str(_TTF_DIR / _TTF[it.font])}
        else:
            kw = {"fontname": it.font}
        page.insert_text(tp(it.pts), it.text, fontsize=it.size * scale, rotate=it.rotate,
                         color=it.color, **kw)  # fmt: skip


_BODY = (
    "We evaluate the proposed network on standard image classification benchmarks and "
    "compare it with strong baselines under the same training schedule. All models are "
    "trained with stochastic gradient descent, momentum 0.9 and weight decay, and the "
    "learning rate is divided by ten when the validation error plateaus. Figure 1 shows "
    "the architecture; the layers are described in Section 3. Data augmentation follows "
    "common practice: random crops, horizontal flips and per-channel normalisation."
)


def _body(page, rect: fitz.Rect, rng: random.Random) -> None:
    words = _BODY.split()
    k = rng.randint(0, len(words) - 1)
    text = " ".join(words[k:] + words[:k])
    page.insert_textbox(rect, text, fontsize=9.5, fontname="tiro", align=fitz.TEXT_ALIGN_JUSTIFY)


def _new_doc():
    doc = fitz.open()
    doc.set_metadata({"producer": "synth_general", "creator": "synth_general"})
    return doc


def _pdf_bytes(doc) -> bytes:
    return doc.tobytes(garbage=3, deflate=True, no_new_id=True)


def figure_pdf(d: Drawing) -> bytes:
    """The figure alone on a page of its own size (vector)."""
    doc = _new_doc()
    page = doc.new_page(width=d.width, height=d.height)
    paint(page, d.items)
    return _pdf_bytes(doc)


def rasterise(d: Drawing, dpi: int, degrade: str, rng: random.Random) -> bytes:
    doc = _new_doc()
    page = doc.new_page(width=d.width, height=d.height)
    paint(page, d.items)
    dpi = min(dpi, int(MAX_PIXELS * 72 / max(d.width, d.height)))  # a paper's figure size
    pix = page.get_pixmap(dpi=dpi, alpha=False)
    png = pix.tobytes("png")
    if degrade == "none":
        return png
    from PIL import Image, ImageFilter

    im = Image.open(io.BytesIO(png)).convert("RGB")
    if degrade == "jpeg":
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=rng.choice((40, 60, 75)))
        im = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    elif degrade == "blur":
        im = im.filter(ImageFilter.GaussianBlur(rng.choice((0.6, 0.9, 1.2))))
    elif degrade == "noise":
        a = np.asarray(im).astype(np.int16)
        noise = np.random.default_rng(rng.randrange(2**32)).normal(0, 12, a.shape)
        im = Image.fromarray(np.clip(a + noise, 0, 255).astype(np.uint8))
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def paper_page(d: Drawing, fmt: str, png: bytes | None, rng: random.Random, caption: str) -> bytes:
    """A letter page: a title line, body text, the figure (vector or an embedded PNG),
    its caption "Figure 1: ...", more body text."""
    doc = _new_doc()
    page = doc.new_page(width=612, height=792)
    page.insert_text((72, 60), "3  Network architecture", fontsize=12, fontname="tibo")
    _body(page, fitz.Rect(72, 72, 540, 150), rng)
    avail_w, avail_h = 468.0, 470.0
    scale = min(1.0, avail_w / d.width, avail_h / d.height)
    w, h = d.width * scale, d.height * scale
    x0 = 72 + (avail_w - w) / 2
    rect = fitz.Rect(x0, 160, x0 + w, 160 + h)
    if fmt == "vectorpdf":
        paint(page, d.items, scale, (rect.x0, rect.y0))
    else:
        page.insert_image(rect, stream=png)
    cap = fitz.Rect(72, rect.y1 + 8, 540, rect.y1 + 40)
    page.insert_textbox(cap, caption, fontsize=9, fontname="tiro")
    _body(page, fitz.Rect(72, rect.y1 + 44, 540, 760), rng)
    return _pdf_bytes(doc)


_CAPTIONS = (
    "Figure 1: The architecture of the proposed network.",
    "Figure 1: Overview of our model. Size notes give the output of each layer.",
    "Figure 1: Network architecture used in our experiments.",
    "Figure 1: The convolutional network. Arrows show the flow of data.",
)


@dataclass
class Figure:
    """One synthetic figure: its file bytes, the truth, and the style drawn."""

    index: int
    seed: int
    split: str
    fmt: str
    data: bytes
    suffix: str
    dlir: str
    graph: dict
    style: dict
    boxes: list[dict]
    drawn_ops: list[str]

    @property
    def held_out(self) -> list[str]:
        return held_out_used(self.style)


def make_figure(index: int, base: int, split: str, fmt: str) -> Figure:
    """Figure `index` of a run seeded `base` in `split`, as `fmt` (png|rasterpdf|vectorpdf).
    The model and style do not depend on the format."""
    seed = (base * 1_000_003 + index) * 2 + (1 if split == "heldout" else 0)
    rng = random.Random(f"synth_general:{seed}")
    text, g = truth_model(seed)
    gt = graph_truth(g)
    style = draw_style(rng, split)
    d = layout(text, gt, style, random.Random(f"synth_general:layout:{seed}"))
    drawn = sorted({b.op for b in d.boxes if b.op != "input"})
    if style["legend_used"] == "no":
        style["legend"] = "no"
    style["wrap"] = style.pop("wrap_used")
    if style["fill"] not in ("pastel", "vivid", "earth"):
        style["legend"] = "no"
    if style["note_place"] == "none":
        style["note_format"] = style["note_which"] = "none"
    prng = random.Random(f"synth_general:page:{seed}")
    cap = prng.choice(_CAPTIONS)
    if fmt == "png":
        data, suffix = rasterise(d, style["dpi"], style["degrade"], prng), ".png"
    elif fmt == "rasterpdf":
        png = rasterise(d, style["dpi"], style["degrade"], prng)
        data, suffix = paper_page(d, fmt, png, prng, cap), ".pdf"
    elif fmt == "vectorpdf":
        data, suffix = paper_page(d, fmt, None, prng, cap), ".pdf"
        style = dict(style, dpi="n/a", degrade="n/a")
    else:
        raise ValueError(f"unknown format {fmt!r}")
    boxes = [{"name": b.name, "op": b.op, "lines": b.lines, "note": b.note,
              "rect": [round(v, 1) for v in b.rect]} for b in d.boxes]  # fmt: skip
    return Figure(index, seed, split, fmt, data, suffix, text, gt, style, boxes, drawn)


# ---------------------------------------------------------------- negatives


@dataclass
class Negative:
    index: int
    kind: str  # line_chart | bar_chart | pipeline
    fmt: str  # png | vectorpdf
    data: bytes
    suffix: str


NEGATIVE_KINDS = ("line_chart", "bar_chart", "pipeline")


def _chart(d: Drawing, rng: random.Random, bars: bool) -> None:
    x0, y0, w, h = 50.0, 20.0, 300.0, 200.0
    d.items.append(Item("line", ((x0, y0), (x0, y0 + h), (x0 + w, y0 + h)), width=1.0))
    for i in range(6):
        y = y0 + h - i * h / 5
        d.items.append(Item("line", ((x0 - 4, y), (x0, y)), width=0.8))
        d.items.append(Item("text", (x0 - 26, y + 3), f"{i * 20}", "helv", 8))
    n = rng.randint(5, 10)
    for i in range(n + 1):
        x = x0 + i * w / n
        d.items.append(Item("line", ((x, y0 + h), (x, y0 + h + 4)), width=0.8))
        d.items.append(Item("text", (x - 4, y0 + h + 14), f"{i * 10}", "helv", 8))
    d.items.append(Item("text", (x0 + w / 2 - 15, y0 + h + 28), "Epoch", "helv", 9))
    d.items.append(Item("text", (x0 - 36, y0 + h / 2 + 20), "Accuracy (%)", "helv", 9, 90))
    colours = [(0.1, 0.3, 0.8), (0.85, 0.3, 0.1), (0.2, 0.6, 0.2)]
    names = rng.sample(["Train", "Validation", "Test", "Ours", "Baseline", "ResNet-50"], 3)
    series = rng.randint(1, 3)
    for s in range(series):
        if bars:
            for i in range(n):
                v = rng.uniform(0.2, 0.95) * h
                bx = x0 + i * w / n + 4 + s * (w / n - 8) / series
                bw = (w / n - 8) / series
                d.items.append(Item("rect", (bx, y0 + h - v, bx + bw, y0 + h),
                                    fill=colours[s], color=colours[s], width=0.5))  # fmt: skip
        else:
            v = rng.uniform(0.1, 0.3)
            pts = []
            for i in range(n + 1):
                v = min(0.98, v + rng.uniform(0.0, 0.2))
                pts.append((x0 + i * w / n, y0 + h - v * h))
            d.items.append(Item("line", tuple(pts), color=colours[s], width=1.2))
        ly = y0 + 10 + s * 12
        d.items.append(Item("line", ((x0 + w - 80, ly), (x0 + w - 65, ly)), color=colours[s]))
        d.items.append(Item("text", (x0 + w - 60, ly + 3), names[s], "helv", 8))
    _normalise(d, 10.0)


def _pipeline(d: Drawing, rng: random.Random) -> None:
    steps = ["Load data", "Preprocess", "Augment", "Train", "Evaluate", "Deploy"]
    steps = steps[: rng.randint(3, 6)]
    if rng.random() < 0.5:
        steps.insert(1, rng.choice(["Clean labels", "Tokenize", "Split train/test"]))
    vertical = rng.random() < 0.5
    x = y = 0.0
    prev = None
    for s in steps:
        w = text_length(s, "helv", 9) + 14
        rect = (x - w / 2, y - 11, x + w / 2, y + 11) if vertical else (x, y - 11, x + w, y + 11)
        d.items.append(Item("rect", rect, radius=0.3 if rng.random() < 0.5 else 0.0))
        d.items.append(Item("text", ((rect[0] + rect[2]) / 2 - (w - 14) / 2, y + 3), s, "helv", 9))
        if prev is not None:
            if vertical:
                p, q = (x, prev[3]), (x, rect[1])
            else:
                p, q = (prev[2], y), (rect[0], y)
            d.items.append(Item("line", (p, q)))
            _head(d, p, q, "filled", 1.0)
        prev = rect
        if vertical:
            y += 46
        else:
            x += w + 30
    _normalise(d, 10.0)


def make_negative(index: int, base: int, fmt: str) -> Negative:
    """A figure that is not a model: a line chart, a bar chart or a pipeline flowchart."""
    rng = random.Random(f"synth_general:neg:{base}:{index}")
    kind = NEGATIVE_KINDS[index % len(NEGATIVE_KINDS)]
    d = Drawing()
    if kind == "pipeline":
        _pipeline(d, rng)
    else:
        _chart(d, rng, bars=kind == "bar_chart")
    if fmt in ("png", "rasterpdf"):
        png = rasterise(d, rng.choice((100, 150, 200)), "none", rng)
        if fmt == "png":
            return Negative(index, kind, fmt, png, ".png")
    cap = {
        "line_chart": "Figure 1: Accuracy during training.",
        "bar_chart": "Figure 1: Accuracy of the compared methods.",
        "pipeline": "Figure 1: Our data processing and training pipeline.",
    }[kind]
    if fmt == "rasterpdf":
        return Negative(index, kind, fmt, paper_page(d, fmt, png, rng, cap), ".pdf")
    return Negative(index, kind, fmt, paper_page(d, "vectorpdf", None, rng, cap), ".pdf")
