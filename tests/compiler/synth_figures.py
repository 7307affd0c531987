"""Synthetic 2D-box figures with known graphs, for testing the raster diagram parser.

Tests only: the project renderer does not exist yet, so this draws boxes (plain, rounded,
filled, circles), labels in the fonts found on this machine, and arrows (straight, elbow,
routed skips; filled, hollow, V or no heads) with PIL, supersampled for anti-aliasing.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_FILES = sorted(
    glob.glob("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    + glob.glob("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
    + glob.glob("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
)
FONTS = (None, *FONT_FILES)  # None = PIL's built-in default font


@dataclass(frozen=True)
class SNode:
    """A node to draw: its label, its rank along the flow and its column across it."""

    label: str
    rank: int
    col: float
    shape: str = "rect"  # rect | rounded | circle | text


@dataclass(frozen=True)
class Style:
    direction: str = "down"  # down | right
    head: str = "filled"  # filled | hollow | vee | none
    font: str | None = None
    size: int = 15
    line: int = 1
    fill: tuple[int, int, int] | None = None  # box background (RGB)
    border: bool = True
    supersample: int = 2
    plus_lines: bool = True  # draw a circle's "+" as strokes touching the ring


@dataclass(frozen=True)
class SynthFigure:
    name: str
    image: np.ndarray = field(repr=False)  # BGR uint8
    labels: tuple[str, ...]
    shapes: tuple[str, ...]
    edges: frozenset[tuple[int, int]]
    direction: str
    bboxes: tuple[tuple[float, float, float, float], ...] = ()  # per label, image pixels


def _font(style: Style, k: int) -> ImageFont.ImageFont:
    if style.font is None:
        return ImageFont.load_default(size=style.size * k)
    return ImageFont.truetype(style.font, style.size * k)


def render(name: str, nodes: list[SNode], edges: list[tuple[int, int]], style: Style):
    """Lay nodes out on a rank/column grid, route edges, draw, and downsample."""
    k = style.supersample
    font = _font(style, k)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    sizes = []
    for n in nodes:
        x0, y0, x1, y1 = probe.textbbox((0, 0), n.label, font=font)
        tw, th = x1 - x0, y1 - y0
        if n.shape == "circle":
            d = int(style.size * k * 1.6)
            sizes.append((d, d))
        elif n.shape == "text":
            sizes.append((tw + 4 * k, th + 4 * k))
        else:
            sizes.append((tw + 2 * style.size * k, th + style.size * k))
    down = style.direction == "down"
    main_of = [(h if down else w) for w, h in sizes]
    cross_of = [(w if down else h) for w, h in sizes]
    gap_main = int(style.size * k * 2.6)
    gap_cross = int(style.size * k * 2.2)
    rank_len = max(main_of) + gap_main
    col_len = max(cross_of) + gap_cross
    margin = int(style.size * k * 2.5)
    ncols = max(n.col for n in nodes) + 1
    nranks = max(n.rank for n in nodes) + 1
    skip_room = int(style.size * k * 3)
    cross_total = int(margin * 2 + ncols * col_len + skip_room)
    main_total = int(margin * 2 + nranks * rank_len)
    W, H = (cross_total, main_total) if down else (main_total, cross_total)
    img = Image.new("RGB", (W, H), (255, 255, 255))
    d = ImageDraw.Draw(img)

    def to_xy(m: float, c: float) -> tuple[float, float]:
        return (c, m) if down else (m, c)

    boxes = []  # in flow coordinates: (m0, c0, m1, c1)
    for i, n in enumerate(nodes):
        mc = margin + n.rank * rank_len + rank_len / 2
        cc = margin + (n.col + 0.5) * col_len
        boxes.append(
            (mc - main_of[i] / 2, cc - cross_of[i] / 2, mc + main_of[i] / 2, cc + cross_of[i] / 2)
        )
    lw = style.line * k
    skip_lane: dict[float, int] = {}
    for s, t in edges:
        _route(d, s, t, nodes, boxes, to_xy, style, lw, k, skip_lane, col_len)
    for i, n in enumerate(nodes):
        _draw_node(d, n, boxes[i], to_xy, style, font, lw, k)
    if k > 1:
        img = img.resize((W // k, H // k), Image.LANCZOS)
    bgr = np.ascontiguousarray(np.asarray(img)[:, :, ::-1])
    return SynthFigure(
        name,
        bgr,
        tuple(n.label for n in nodes),
        tuple(n.shape for n in nodes),
        frozenset(edges),
        style.direction,
        tuple(tuple(v / k for v in _rect_xy(b, to_xy)) for b in boxes),
    )


def _rect_xy(box, to_xy):
    m0, c0, m1, c1 = box
    xa, ya = to_xy(m0, c0)
    xb, yb = to_xy(m1, c1)
    return (min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb))


def _draw_node(d, n, box, to_xy, style, font, lw, k):
    x0, y0, x1, y1 = _rect_xy(box, to_xy)
    outline = (0, 0, 0) if style.border else None
    fill = style.fill or (255, 255, 255)
    if n.shape == "circle":
        d.ellipse((x0, y0, x1, y1), fill=(255, 255, 255), outline=(0, 0, 0), width=lw)
        if style.plus_lines and n.label == "+":
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            d.line((x0, cy, x1, cy), fill=(0, 0, 0), width=lw)
            d.line((cx, y0, cx, y1), fill=(0, 0, 0), width=lw)
            return
    elif n.shape == "rounded":
        r = min(x1 - x0, y1 - y0) * 0.3
        d.rounded_rectangle((x0, y0, x1, y1), r, fill=fill, outline=outline, width=lw)
    elif n.shape == "rect":
        d.rectangle((x0, y0, x1, y1), fill=fill, outline=outline, width=lw)
    else:
        d.rectangle((x0, y0, x1, y1), fill=(255, 255, 255))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    d.text((cx, cy), n.label, fill=(0, 0, 0), font=font, anchor="mm")


def _entry_exit(box):
    m0, c0, m1, c1 = box
    return (m1, (c0 + c1) / 2), (m0, (c0 + c1) / 2)


def _route(d, s, t, nodes, boxes, to_xy, style, lw, k, skip_lane, col_len):
    (sm, sc), _ = _entry_exit(boxes[s])
    _, (tm, tc) = _entry_exit(boxes[t])
    ns, nt = nodes[s], nodes[t]
    between = [
        b
        for i, b in enumerate(boxes)
        if nodes[i].col == ns.col and ns.rank < nodes[i].rank < nt.rank
    ]
    if ns.col == nt.col and not between:
        pts = [(sm, sc), (tm, tc)]
    elif ns.col == nt.col:
        lane_n = skip_lane.get(ns.col, 0)
        skip_lane[ns.col] = lane_n + 1
        right = max(b[3] for b in (*between, boxes[s], boxes[t]))
        lane = right + style.size * k * (1.2 + 0.8 * lane_n)
        smid = (boxes[s][0] + boxes[s][2]) / 2
        tmid = (boxes[t][0] + boxes[t][2]) / 2
        pts = [(smid, boxes[s][3]), (smid, lane), (tmid, lane), (tmid, boxes[t][3])]
    else:
        mid = tm - (tm - sm) / 2 if nt.rank - ns.rank == 1 else tm - style.size * k * 1.2
        pts = [(sm, sc), (mid, sc), (mid, tc), (tm, tc)]
    xy = [to_xy(m, c) for m, c in pts]
    _polyline_with_head(d, xy, style.head, lw, k, style.size)


def _polyline_with_head(d, xy, head, lw, k, size):
    (ax, ay), (bx, by) = xy[-2], xy[-1]
    v = np.array([bx - ax, by - ay], float)
    v /= max(np.linalg.norm(v), 1e-9)
    n = np.array([-v[1], v[0]])
    hl = max(size * k * 0.55, 4 * lw + 4)  # head length
    hw = hl * 0.45
    tip = np.array([bx, by])
    base = tip - v * hl
    pts = list(xy)
    if head in ("filled", "hollow"):
        pts[-1] = tuple(base)
    d.line(pts, fill=(0, 0, 0), width=lw, joint="curve")
    left, right = base + n * hw, base - n * hw
    if head == "filled":
        d.polygon([tuple(tip), tuple(left), tuple(right)], fill=(0, 0, 0))
    elif head == "hollow":
        d.polygon([tuple(tip), tuple(left), tuple(right)], fill=(255, 255, 255), outline=(0, 0, 0))
        d.line([tuple(tip), tuple(left), tuple(right), tuple(tip)], fill=(0, 0, 0), width=lw)
    elif head == "vee":
        d.line([tuple(left), tuple(tip), tuple(right)], fill=(0, 0, 0), width=lw, joint="curve")


# --- the figure families -------------------------------------------------------------


def chain(style: Style) -> tuple[list[SNode], list[tuple[int, int]]]:
    labels = ["conv 7x7, 64, /2", "max pool /2", "conv 3x3, 128", "avg pool", "FC 1000"]
    nodes = [SNode("input", 0, 0, "text")] + [
        SNode(t, i + 1, 0, "rect") for i, t in enumerate(labels)
    ]
    return nodes, [(i, i + 1) for i in range(len(nodes) - 1)]


def residual(style: Style) -> tuple[list[SNode], list[tuple[int, int]]]:
    nodes = [
        SNode("conv 1x1, 256", 0, 0),
        SNode("conv 3x3, 64", 1, 0),
        SNode("conv 3x3, 64", 2, 0),
        SNode("+", 3, 0, "circle"),
        SNode("relu", 4, 0),
    ]
    return nodes, [(0, 1), (1, 2), (2, 3), (3, 4), (0, 3)]


def inception(style: Style) -> tuple[list[SNode], list[tuple[int, int]]]:
    nodes = [
        SNode("Previous layer", 0, 1.5),
        SNode("1x1 conv, 64", 1, 0),
        SNode("1x1 conv, 96", 1, 1),
        SNode("3x3 conv, 128", 2, 1),
        SNode("1x1 conv, 16", 1, 2),
        SNode("5x5 conv, 32", 2, 2),
        SNode("max pool 3x3", 1, 3),
        SNode("1x1 conv, 32", 2, 3),
        SNode("Filter concat", 3, 1.5),
    ]
    edges = [(0, 1), (0, 2), (2, 3), (0, 4), (4, 5), (0, 6), (6, 7)]
    edges += [(1, 8), (3, 8), (5, 8), (7, 8)]
    return nodes, edges


FAMILIES = {"chain": chain, "residual": residual, "inception": inception}


def figure(family: str, style: Style) -> SynthFigure:
    nodes, edges = FAMILIES[family](style)
    return render(f"{family}-{_style_name(style)}", nodes, edges, style)


def _style_name(style: Style) -> str:
    font = "default" if style.font is None else style.font.rsplit("/", 1)[-1][:-4]
    fill = "fill" if style.fill else "plain"
    return f"{style.direction}-{style.head}-{font}-{style.size}-{fill}"


def standard_set() -> list[SynthFigure]:
    """A fixed spread of families x styles used by the tests and the accuracy report."""
    heads = ("filled", "hollow", "vee", "none")
    figs = []
    i = 0
    for family in FAMILIES:
        for direction in ("down", "right"):
            for head in heads:
                font = FONTS[i % len(FONTS)]
                fill = (225, 232, 245) if i % 3 == 1 else ((230, 230, 230) if i % 3 == 2 else None)
                style = Style(
                    direction=direction,
                    head=head,
                    font=font,
                    size=14 + (i % 3) * 2,
                    line=1 + (i % 2),
                    fill=fill,
                    border=(i % 4 != 2),
                    plus_lines=(i % 2 == 0),
                )
                figs.append(figure(family, style))
                i += 1
    return figs


def rounded_variant() -> SynthFigure:
    nodes, edges = chain(Style())
    nodes = [n if n.shape == "text" else SNode(n.label, n.rank, n.col, "rounded") for n in nodes]
    return render("chain-rounded", nodes, edges, Style(fill=(255, 236, 200)))


def draw_chain_figure(page, labels: list[str]) -> None:
    """On a PyMuPDF page: a vertical chain of boxes joined by arrows, and a caption
    ("Figure 1: ..."), the smallest figure a paper may hold."""
    import pymupdf

    y, prev = 40, None
    for text in labels:
        r = pymupdf.Rect(120, y, 300, y + 28)
        page.draw_rect(r)
        page.insert_textbox(r + (2, 6, -2, 0), text, fontsize=8, align=1)
        if prev is not None:
            page.draw_line((210, prev.y1), (210, r.y0 - 1))
            page.draw_polyline(
                [(206, r.y0 - 6), (214, r.y0 - 6), (210, r.y0)], fill=(0, 0, 0), closePath=True
            )
        prev, y = r, y + 50
    page.insert_text((60, y + 20), "Figure 1: The architecture of our network.", fontsize=9)
