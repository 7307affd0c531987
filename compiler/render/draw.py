"""Draw a model as a 2D-box diagram (PNG/JPEG, SVG, PDF) and say exactly what was drawn.

`render(graph, style, fmt)` chooses the boxes (`boxes`), measures their labels in
the font of the output format, lays them out (`layout`) and draws them with one
backend: PIL (supersampled, optionally blurred/noised, JPEG-compressed) for raster, text
for SVG, PyMuPDF drawing commands and real text for PDF (so the vector figure reader can
read it). The `Rendered.truth` lists every box (label, the layers and attributes it
stands for, bbox in output units) and the directed edges between boxes, with a
`papercc.compiler.diagram.graph.Diagram` of the same, for scoring figure readers.
"""

from __future__ import annotations

import io
import json
import math
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from xml.sax.saxutils import escape, quoteattr

from papercc.compiler.diagram.graph import Diagram, DiagramEdge, DiagramNode
from papercc.compiler.render.boxes import Box, Boxes, diagram_boxes, wrap_label
from papercc.compiler.render.layout import Layout, layout
from papercc.compiler.render.style import PASTELS, Style
from papercc.ir.graph import Graph
from papercc.ir.registry import DRAWING_GROUPS, OPS
from papercc.ir.values import HOLE

__all__ = ["FORMATS", "Rendered", "render", "truth_json"]

FORMATS = ("png", "jpeg", "svg", "pdf")
_MAX_PIXELS = 12_000_000  # raster output larger than this is drawn at a smaller scale
_LINE = 1.25  # line height / font size
_NOTE = 0.8  # size of edge notes / font size
_BASE14 = {"sans": "helv", "serif": "tiro", "mono": "cour", "default": "helv"}
_BASE14_BOLD = {"sans": "hebo", "serif": "tibo", "mono": "cobo", "default": "hebo"}
_SVG_FAMILY = {
    "sans": "DejaVu Sans, Helvetica, Arial, sans-serif",
    "serif": "DejaVu Serif, Times New Roman, serif",
    "mono": "DejaVu Sans Mono, Courier New, monospace",
    "default": "Helvetica, Arial, sans-serif",
}
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Rendered:
    """The file's bytes and the ground truth of what it shows (see module doc)."""

    data: bytes
    truth: dict

    @property
    def diagram(self) -> Diagram:
        return self.truth["diagram"]


def printable(text: str) -> str:
    """Text safe to draw in every format: control characters and lone surrogates -> "?"."""
    return _UNPRINTABLE.sub("?", text)


# ---------------------------------------------------------------- measuring


@lru_cache(maxsize=32)
def _pil_font(path: str | None, size: float):
    from PIL import ImageFont

    if path is None:
        return ImageFont.load_default(size=max(1, size))
    return ImageFont.truetype(path, max(1, size))


def _corner_radius(bbox: tuple[float, float, float, float], style: Style) -> float:
    """A rounded box's corner radius (points): a quarter of its shorter side, at most
    its padding, so the arcs stay clear of the label's first and last lines."""
    return min(0.25 * min(bbox[2] - bbox[0], bbox[3] - bbox[1]), style.pad)


def raster_font_file(style: Style, texts: list[str]) -> str | None:
    """The style's TrueType file; PIL's built-in font (None) has no glyph for "×" or
    "⊕", so labels that need one use DejaVu Sans, as the PDF path does for base-14 fonts
    (a paper's figure never shows a missing-glyph box)."""
    from papercc.compiler.render.style import FONT_FILES

    path = style.font_file()
    if path is None and any(ord(ch) > 126 for t in texts for ch in t):
        return FONT_FILES["sans"]
    return path


def pil_measure(style: Style, fontfile: str | None):
    """Text width in points at the style's font size, measured with PIL's font."""
    font = _pil_font(fontfile, 100)
    return lambda text: font.getlength(text) * style.font_size / 100


@lru_cache(maxsize=8)
def _fitz_font(name: str | None, fontfile: str | None):
    import pymupdf

    return pymupdf.Font(fontfile=fontfile) if fontfile else pymupdf.Font(name)


def _pdf_font(style: Style, texts: list[str]) -> tuple[str, str | None]:
    """Base-14 font of the style, or the DejaVu file if a label needs other glyphs."""
    from papercc.compiler.render.style import FONT_FILES

    base = (_BASE14_BOLD if style.bold else _BASE14)[style.font]
    font = _fitz_font(base, None)
    if all(font.has_glyph(ord(ch)) for t in texts for ch in t):
        return base, None
    path = style.font_file() or FONT_FILES["sans"]
    return ("dejavu", path) if path else (base, None)


# ---------------------------------------------------------------- scene


@dataclass(frozen=True)
class _Drawn:
    box: Box
    lines: tuple[str, ...]
    text: str
    bbox: tuple[float, float, float, float]
    fill: tuple[int, int, int]


def _fill(style: Style, kind: str) -> tuple[int, int, int]:
    if style.fill == "white":
        return (255, 255, 255)
    if style.fill == "grey":
        return (232, 232, 232)
    if style.fill == "pastel":
        return PASTELS[style.palette]
    # the op's drawing group (registry order), model inputs after the groups
    group = DRAWING_GROUPS.index(OPS[kind].drawing.group) if kind in OPS else len(DRAWING_GROUPS)
    return PASTELS[(style.palette + group) % len(PASTELS)]


def _texts(boxes: Boxes, style: Style, names: bool) -> dict[int, list[str]]:
    out = {}
    for b in boxes.boxes:
        lines = wrap_label(printable(b.label.text), style.wrap)
        if names and b.layers:
            lines = [printable(b.layers[0])] + lines
        out[b.id] = lines
    return out


def _sizes(boxes: Boxes, lines: dict[int, list[str]], measure, style: Style):
    fs = style.font_size
    sizes = {}
    for b in boxes.boxes:
        if b.shape == "circle":
            d = max(fs * 1.6, measure(lines[b.id][0]) + fs * 0.8)
            sizes[b.id] = (d, d)
            continue
        w = max(measure(t) for t in lines[b.id]) + 2 * style.pad
        h = len(lines[b.id]) * fs * _LINE + style.pad * 1.2
        sizes[b.id] = (max(w, fs * 2.5), h)
    if style.uniform_width:
        boxed = [i for i in sizes if boxes.boxes[i].shape != "circle"]
        if boxed:
            if style.flow_vertical:
                wide = max(sizes[i][0] for i in boxed)
                sizes.update({i: (wide, sizes[i][1]) for i in boxed})
            else:
                tall = max(sizes[i][1] for i in boxed)
                sizes.update({i: (sizes[i][0], tall) for i in boxed})
    return sizes


def scene(graph: Graph, style: Style, measure_for, names: bool):
    """What a render draws, before any format: the boxes and edges, each box's text and
    place (`_Drawn`), and the layout. `measure_for(texts)` gives the text measure."""
    boxes = diagram_boxes(graph, style)
    lines = _texts(boxes, style, names)
    measure = measure_for([t for ls in lines.values() for t in ls])
    sizes = _sizes(boxes, lines, measure, style)
    fan_in: dict[int, int] = {}
    for _, d in boxes.edges:
        fan_in[d] = fan_in.get(d, 0) + 1
    spanning = frozenset(
        b.id
        for b in boxes.boxes
        if b.kind in OPS and OPS[b.kind].drawing.spans and fan_in.get(b.id, 0) > 2
    )
    lay = layout([b.id for b in boxes.boxes], sizes, list(boxes.edges), style, spanning)
    drawn = [
        _Drawn(b, tuple(lines[b.id]), " ".join(lines[b.id]), p.bbox, _fill(style, b.kind))
        for b, p in zip(boxes.boxes, lay.boxes, strict=True)
    ]
    return boxes, drawn, lay


@dataclass(frozen=True)
class _Group:
    name: str
    bbox: tuple[float, float, float, float]
    boxes: tuple[int, ...]


def _groups(drawn: list[_Drawn], lay: Layout, style: Style) -> list[_Group]:
    """Dashed frames around boxes whose layer names share the first `style.groups` parts
    ("layer1.0", "inception3a"), where a frame would hold no other box."""
    if style.groups == 0:
        return []
    members: dict[str, list[_Drawn]] = {}
    for d in drawn:
        parts = d.box.layers[0].split(".") if d.box.layers else []
        if len(parts) > style.groups:
            members.setdefault(".".join(parts[: style.groups]), []).append(d)
    m = min(style.layer_gap * 0.3, style.branch_gap * 0.4, style.margin)
    out: list[_Group] = []
    for name, ds in members.items():
        if len(ds) < 2 or len(ds) == len(drawn):
            continue
        x0 = max(0.0, min(d.bbox[0] for d in ds) - m)
        y0 = max(0.0, min(d.bbox[1] for d in ds) - m)
        x1 = min(lay.width, max(d.bbox[2] for d in ds) + m)
        y1 = min(lay.height, max(d.bbox[3] for d in ds) + m)
        box = (x0, y0, x1, y1)
        ids = {d.box.id for d in ds}
        if any(d.box.id not in ids and _meets(d.bbox, box) for d in drawn):
            continue
        if any(_meets(g.bbox, box) for g in out):
            continue
        out.append(_Group(name, box, tuple(sorted(ids))))
    return out


def _meets(a, b) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _dashed(pts: list[tuple[float, float]], on: float, off: float):
    """Dash segments along a closed polyline, restarting at each corner (PIL draws no
    dashed lines)."""
    segs = []
    loop = [*pts, pts[0]]
    for (x0, y0), (x1, y1) in zip(loop, loop[1:], strict=False):
        length = math.hypot(x1 - x0, y1 - y0) or 1.0
        t = 0.0
        while t < length:
            a, b = t / length, min(t + on, length) / length
            segs.append(
                ((x0 + (x1 - x0) * a, y0 + (y1 - y0) * a), (x0 + (x1 - x0) * b, y0 + (y1 - y0) * b))
            )
            t += on + off
    return segs


@dataclass(frozen=True)
class _Note:
    """Text beside an edge (a tensor size); not a box."""

    text: str
    bbox: tuple[float, float, float, float]
    edge: tuple[int, int]


def shape_text(shape: tuple) -> str | None:
    """ "56×56×64" (HxWxC, as papers write sizes) or "1000"; None when not all known."""
    dims = shape[1:]
    if not dims or not all(isinstance(d, int) and not isinstance(d, bool) for d in dims):
        return None
    if len(dims) >= 2:
        dims = (*dims[1:], dims[0])
    return "×".join(str(d) for d in dims)


def _notes(drawn: list[_Drawn], lay: Layout, style: Style, measure) -> list[_Note]:
    """A size note beside the longest flow-wise segment of each box's first out-edge,
    where it touches no box and no other note."""
    if not style.edge_shapes:
        return []
    fs = style.font_size * _NOTE
    by_id = {d.box.id: d for d in drawn}
    taken = [d.bbox for d in drawn]
    out: list[_Note] = []
    seen: set[int] = set()
    for s, d, pts in lay.edges:
        text = shape_text(by_id[s].box.out_shape)
        if s in seen or text is None:
            continue
        w, h = measure(text) * _NOTE, fs * 1.2
        best = None
        for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
            along = abs(y1 - y0) if style.flow_vertical else abs(x1 - x0)
            if along > h + 4 and (best is None or along > best[0]):
                best = (along, (x0 + x1) / 2, (y0 + y1) / 2)
        if best is None:
            continue
        _, mx, my = best
        if style.flow_vertical:
            box = (mx + 3, my - h / 2, mx + 3 + w, my + h / 2)
        else:
            box = (mx - w / 2, my - h - 2, mx + w / 2, my - 2)
        if box[0] < 0 or box[1] < 0 or box[2] > lay.width or box[3] > lay.height:
            continue
        if any(_meets(box, t) for t in taken):
            continue
        taken.append(box)
        out.append(_Note(text, box, (s, d)))
        seen.add(s)
    return out


# ---------------------------------------------------------------- arrowheads


def _head(pts: list[tuple[float, float]], style: Style):
    """(shortened polyline, head polygon or None): the line stops at the head's base."""
    if style.head == "none" or len(pts) < 2:
        return pts, None
    (x0, y0), (x1, y1) = pts[-2], pts[-1]
    length = math.hypot(x1 - x0, y1 - y0) or 1.0
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    h = min(style.head_size, length * 0.8)
    w = h * (0.45 if style.head != "vee" else 0.55)
    bx, by = x1 - ux * h, y1 - uy * h
    left = (bx - uy * w, by + ux * w)
    right = (bx + uy * w, by - ux * w)
    if style.head == "vee":
        return pts, (left, (x1, y1), right)
    return pts[:-1] + [(bx, by)], (left, (x1, y1), right)


# ---------------------------------------------------------------- backends


def _draw_raster(
    drawn, groups, notes, lay: Layout, style: Style, fmt: str, fonts: list[str | None]
) -> tuple[bytes, float]:
    from PIL import Image, ImageDraw

    scale, ss = _raster_scale(lay, style)
    k = scale * ss
    size = (max(1, math.ceil(lay.width * k)), max(1, math.ceil(lay.height * k)))
    img = Image.new("RGB", size, (255, 255, 255))
    d = ImageDraw.Draw(img)
    ink, lw = style.ink, max(1, round(style.line_width * k))
    font = _pil_font(fonts[0], style.font_size * k)

    def sc(p):
        return (p[0] * k, p[1] * k)

    grey = tuple((c + 255) // 2 for c in ink)
    for g in groups:
        x0, y0, x1, y1 = g.bbox
        for a, b in _dashed([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], 4.0, 3.0):
            d.line([sc(a), sc(b)], fill=grey, width=lw)

    for _, _, pts in lay.edges:
        line, head = _head(list(pts), style)
        d.line([sc(p) for p in line], fill=ink, width=lw, joint="curve")
        if head is not None:
            poly = [sc(p) for p in head]
            if style.head == "filled":
                d.polygon(poly, fill=ink, outline=ink)
            elif style.head == "open":
                d.polygon(poly, fill=(255, 255, 255), outline=ink, width=lw)
            else:
                d.line(poly, fill=ink, width=lw, joint="curve")
    for item in drawn:
        _pil_box(d, item, style, k, font)
    if notes:
        small = _pil_font(fonts[-1], style.font_size * _NOTE * k)
        for note in notes:
            x0, y0, x1, y1 = (v * k for v in note.bbox)
            d.text(((x0 + x1) / 2, (y0 + y1) / 2), note.text, fill=style.text_colour, font=small,
                   anchor="mm")  # fmt: skip
    return _encode_raster(img, ss, style, fmt), scale


def _raster_scale(lay: Layout, style: Style) -> tuple[float, int]:
    """Pixels per unit (the style's, smaller for a very large figure), and the
    supersampling factor the drawing is made at (2 while the pixels allow it)."""
    scale = style.scale
    if lay.width * lay.height * scale * scale > _MAX_PIXELS:
        scale = math.sqrt(_MAX_PIXELS / (lay.width * lay.height))
    ss = 2 if lay.width * lay.height * scale * scale <= _MAX_PIXELS / 2 else 1
    return scale, ss


def _pil_box(d, item, style: Style, k: float, font) -> None:
    """One box (rectangle, rounded or circle; a "+" circle drawn as strokes) and its
    centred lines of text, at k pixels per unit."""
    ink, lw = style.ink, max(1, round(style.line_width * k))
    bw = max(1, round(style.border * k)) if style.border > 0 else 0
    x0, y0, x1, y1 = (v * k for v in item.bbox)
    outline = ink if bw else None
    if item.box.shape == "circle":
        d.ellipse((x0, y0, x1, y1), fill=item.fill, outline=outline, width=bw)
        if style.plus == "strokes" and item.text == "+":
            cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2
            d.line((cx - r, cy, cx + r, cy), fill=ink, width=lw)
            d.line((cx, cy - r, cx, cy + r), fill=ink, width=lw)
            return
    elif item.box.shape == "rounded":
        r = _corner_radius(item.bbox, style) * k
        d.rounded_rectangle((x0, y0, x1, y1), r, fill=item.fill, outline=outline, width=bw)
    else:
        d.rectangle((x0, y0, x1, y1), fill=item.fill, outline=outline, width=bw)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    n = len(item.lines)
    step = style.font_size * _LINE * k
    for i, text in enumerate(item.lines):
        y = cy + (i - (n - 1) / 2) * step
        d.text((cx, y), text, fill=style.text_colour, font=font, anchor="mm")


def _encode_raster(img, ss: int, style: Style, fmt: str) -> bytes:
    """The supersampled drawing reduced, blurred and noised as the style says, encoded."""
    from PIL import Image, ImageFilter

    if ss > 1:
        img = img.reduce(ss)  # box filter: the anti-aliasing of the supersampled drawing
    if style.blur > 0:
        img = img.filter(ImageFilter.GaussianBlur(style.blur))
    if style.noise > 0:
        import numpy as np

        rng = np.random.default_rng(int(style.noise * 1000) + img.size[0] * 7919 + img.size[1])
        arr = np.asarray(img, dtype=np.float32)
        arr += rng.standard_normal(arr.shape, dtype=np.float32) * np.float32(style.noise)
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    if fmt == "jpeg":
        img.save(buf, "JPEG", quality=style.jpeg_quality)
    else:
        img.save(buf, "PNG", compress_level=1 if style.noise > 0 else 3)
    return buf.getvalue()


def _image_size(data: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        return img.size


def _rgb(c) -> str:
    return "#{:02x}{:02x}{:02x}".format(*tuple(c))


def _draw_svg(drawn, groups, notes, lay: Layout, style: Style) -> bytes:
    ink = _rgb(style.ink)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{lay.width:.2f}" '
        f'height="{lay.height:.2f}" viewBox="0 0 {lay.width:.2f} {lay.height:.2f}">',
        f'<rect x="0" y="0" width="{lay.width:.2f}" height="{lay.height:.2f}" fill="#ffffff"/>',
        f'<g fill="none" stroke="{ink}" stroke-width="{style.line_width}" '
        'stroke-linejoin="round">',
    ]
    for g in groups:
        x0, y0, x1, y1 = g.bbox
        out.append(
            f'<rect class="group" x="{x0:.2f}" y="{y0:.2f}" width="{x1 - x0:.2f}" '
            f'height="{y1 - y0:.2f}" stroke="{_rgb(tuple((c + 255) // 2 for c in style.ink))}" '
            'stroke-dasharray="4 3"/>'
        )
    for s, t, pts in lay.edges:
        line, head = _head(list(pts), style)
        coords = " ".join(f"{x:.2f},{y:.2f}" for x, y in line)
        out.append(f'<polyline class="edge" data-src="{s}" data-dst="{t}" points="{coords}"/>')
        if head is not None:
            hp = " ".join(f"{x:.2f},{y:.2f}" for x, y in head)
            if style.head == "vee":
                out.append(f'<polyline points="{hp}"/>')
            else:
                fill = ink if style.head == "filled" else "#ffffff"
                out.append(f'<polygon points="{hp}" fill="{fill}"/>')
    out.append("</g>")
    family = quoteattr(_SVG_FAMILY[style.font])
    out.append(
        f'<g font-family={family} font-size="{style.font_size}" fill="{_rgb(style.text_colour)}" '
        + ('font-weight="bold" ' if style.bold else "")
        + 'text-anchor="middle">'
    )
    stroke = (
        f'stroke="{ink}" stroke-width="{style.border}"' if style.border > 0 else 'stroke="none"'
    )
    for item in drawn:
        x0, y0, x1, y1 = item.bbox
        fill = _rgb(item.fill)
        if item.box.shape == "circle":
            out.append(
                f'<circle cx="{(x0 + x1) / 2:.2f}" cy="{(y0 + y1) / 2:.2f}" r="{(x1 - x0) / 2:.2f}" '
                f'fill="{fill}" {stroke} data-box="{item.box.id}"/>'
            )
        else:
            r = _corner_radius(item.bbox, style) if item.box.shape == "rounded" else 0
            out.append(
                f'<rect x="{x0:.2f}" y="{y0:.2f}" width="{x1 - x0:.2f}" height="{y1 - y0:.2f}" '
                f'rx="{r:.2f}" fill="{fill}" {stroke} data-box="{item.box.id}"/>'
            )
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        n = len(item.lines)
        for i, text in enumerate(item.lines):
            y = cy + (i - (n - 1) / 2) * style.font_size * _LINE + style.font_size * 0.35
            out.append(f'<text x="{cx:.2f}" y="{y:.2f}">{escape(text)}</text>')
    for note in notes:
        x0, y0, x1, y1 = note.bbox
        y = (y0 + y1) / 2 + style.font_size * _NOTE * 0.35
        out.append(
            f'<text class="note" x="{(x0 + x1) / 2:.2f}" y="{y:.2f}" '
            f'font-size="{style.font_size * _NOTE:.2f}">{escape(note.text)}</text>'
        )
    out.append("</g>\n</svg>\n")
    return "\n".join(out).encode("utf-8")


def _draw_pdf(
    drawn, groups, notes, lay: Layout, style: Style, font: tuple[str, str | None]
) -> bytes:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=max(lay.width, 1), height=max(lay.height, 1))
    ink = tuple(c / 255 for c in style.ink)
    white = (1.0, 1.0, 1.0)
    shape = page.new_shape()
    for g in groups:
        shape.draw_rect(pymupdf.Rect(*g.bbox))
        grey = tuple((c / 255 + 1) / 2 for c in style.ink)
        shape.finish(color=grey, width=style.line_width, dashes="[4 3] 0")
    for _, _, pts in lay.edges:
        line, head = _head(list(pts), style)
        shape.draw_polyline(line)
        shape.finish(color=ink, width=style.line_width, closePath=False, lineJoin=1)
        if head is not None:
            if style.head == "vee":
                shape.draw_polyline(head)
                shape.finish(color=ink, width=style.line_width, closePath=False, lineJoin=1)
            else:
                shape.draw_polyline(head)
                fill = ink if style.head == "filled" else white
                shape.finish(color=ink, fill=fill, width=style.line_width, closePath=True)
    for item in drawn:
        rect = pymupdf.Rect(*item.bbox)
        fill = tuple(c / 255 for c in item.fill)
        border = ink if style.border > 0 else None
        if item.box.shape == "circle":
            shape.draw_circle(rect.tl + (rect.br - rect.tl) * 0.5, rect.width / 2)
        elif item.box.shape == "rounded":
            side = max(1e-6, min(rect.width, rect.height))
            shape.draw_rect(rect, radius=min(0.5, _corner_radius(item.bbox, style) / side))
        else:
            shape.draw_rect(rect)
        shape.finish(color=border, fill=fill, width=style.border or 1.0)
        if style.plus == "strokes" and item.box.shape == "circle" and item.text == "+":
            c = rect.tl + (rect.br - rect.tl) * 0.5
            r = rect.width / 2
            shape.draw_line((c.x - r, c.y), (c.x + r, c.y))
            shape.draw_line((c.x, c.y - r), (c.x, c.y + r))
            shape.finish(color=ink, width=style.line_width)
    shape.commit()
    name, fontfile = font
    pdf_font = _fitz_font(None if fontfile else name, fontfile)
    writer = pymupdf.TextWriter(page.rect)
    fs = style.font_size
    for item in drawn:
        if style.plus == "strokes" and item.box.shape == "circle" and item.text == "+":
            continue
        x0, y0, x1, y1 = item.bbox
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        n = len(item.lines)
        for i, text in enumerate(item.lines):
            y = cy + (i - (n - 1) / 2) * fs * _LINE + fs * 0.35
            x = cx - pdf_font.text_length(text, fontsize=fs) / 2
            writer.append((x, y), text, font=pdf_font, fontsize=fs)
    for note in notes:
        x0, y0, x1, y1 = note.bbox
        nfs = fs * _NOTE
        x = (x0 + x1) / 2 - pdf_font.text_length(note.text, fontsize=nfs) / 2
        writer.append((x, (y0 + y1) / 2 + nfs * 0.35), note.text, font=pdf_font, fontsize=nfs)
    writer.write_text(page, color=tuple(c / 255 for c in style.text_colour))
    if fontfile:
        doc.subset_fonts()
    data = doc.tobytes(garbage=3, deflate=True, no_new_id=True)
    doc.close()
    return data


# ---------------------------------------------------------------- entry point


def _jsonable(value: object) -> object:
    if value is HOLE:
        return "?"
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def render(graph: Graph, style: Style, fmt: str = "png", show_names: bool = False) -> Rendered:
    """Draw `graph` in `style` as fmt ("png", "jpeg", "svg", "pdf"), with its truth.

    show_names adds each box's first layer name as a line above its label."""
    fmt = {"jpg": "jpeg"}.get(fmt.lower(), fmt.lower())
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    pdf_font: list[tuple[str, str | None]] = []
    raster_font: list[str | None] = []  # box labels' font file, then notes' (PNG/SVG)
    if fmt == "pdf":

        def measure_for(texts):
            pdf_font.append(_pdf_font(style, texts))
            name, fontfile = pdf_font[0]
            f = _fitz_font(None if fontfile else name, fontfile)
            return lambda t: f.text_length(t, fontsize=style.font_size)

    else:

        def measure_for(texts):
            raster_font.append(raster_font_file(style, texts))
            return pil_measure(style, raster_font[0])

    boxes, drawn, lay = scene(graph, style, measure_for, show_names)
    groups = _groups(drawn, lay, style)
    # notes ("56×56×64") are drawn in the box font in PDF, and in raster in a font with "×"
    notes = _notes(drawn, lay, style, measure_for([] if fmt == "pdf" else ["×"]))
    factor = 1.0
    if fmt in ("png", "jpeg"):
        data, factor = _draw_raster(drawn, groups, notes, lay, style, fmt, raster_font)
    elif fmt == "svg":
        data = _draw_svg(drawn, groups, notes, lay, style)
    else:
        data = _draw_pdf(drawn, groups, notes, lay, style, pdf_font[0])
    size = _image_size(data) if fmt in ("png", "jpeg") else None
    truth = _truth(graph, boxes, drawn, groups, notes, lay, style, fmt, factor, size)
    return Rendered(data, truth)


def _truth(graph, boxes, drawn, groups, notes, lay, style, fmt, factor, size) -> dict:
    def scaled(bbox):
        return tuple(round(v * factor, 2) for v in bbox)

    nodes = tuple(
        DiagramNode(
            item.box.id,
            item.text,
            scaled(item.bbox),
            item.box.shape if item.box.shape in ("rect", "rounded", "circle") else "other",
        )
        for item in drawn
    )
    edges = tuple(DiagramEdge(s, d) for s, d in boxes.edges)
    diagram = Diagram(
        nodes, edges, {"renderer": "papercc.render", "model": graph.name}, style.direction
    )
    box_info = []
    for item in drawn:
        b = item.box
        layers = []
        names = b.layers or (b.input_name,)
        for name, (op, attrs), (_, stated) in zip(names, b.ops, b.label.layers, strict=True):
            layers.append(
                {
                    "name": name,
                    "op": op,
                    "attrs": _jsonable(attrs),
                    "stated": _jsonable(dict(stated)),
                }
            )
        box_info.append(
            {
                "id": b.id,
                "text": item.text,
                "lines": list(item.lines),
                "shape": b.shape,
                "bbox": list(scaled(item.bbox)),
                "layers": layers,
                "readable": b.label.readable,
            }
        )
    return {
        "model": graph.name,
        "format": fmt,
        "units": "px" if fmt in ("png", "jpeg") else "pt",
        "size": list(size) if size else [round(lay.width, 2), round(lay.height, 2)],
        "direction": style.direction,
        "boxes": box_info,
        "edges": [list(e) for e in boxes.edges],
        "notes": [
            {"text": n.text, "bbox": list(scaled(n.bbox)), "edge": list(n.edge)} for n in notes
        ],
        "groups": [
            {"name": g.name, "bbox": list(scaled(g.bbox)), "boxes": list(g.boxes)} for g in groups
        ],
        "style": _jsonable(asdict(style)),
        "diagram": diagram,
    }


def truth_json(truth: dict) -> str:
    """The truth as JSON (the Diagram becomes its nodes' and edges' fields)."""
    plain = {k: v for k, v in truth.items() if k != "diagram"}
    return json.dumps(plain, indent=1, ensure_ascii=False)
