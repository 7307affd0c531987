"""Box detection of the raster figure reader (compiler/raster/boxes.py) on small drawn
images: faint borders, filled boxes with lines and heads stuck to them, glyph counters
inside labels, group frames, "+" circles with thick rings."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

import papercc
from papercc.compiler.raster.boxes import Box, dedupe_boxes, find_boxes
from papercc.compiler.raster.prep import prepare


def _canvas(h: int = 260, w: int = 320) -> np.ndarray:
    return np.full((h, w, 3), 255, np.uint8)


def _degrade(img: np.ndarray, blur: float, noise: float, seed: int = 0) -> np.ndarray:
    out = cv2.GaussianBlur(img, (0, 0), blur) if blur else img
    rng = np.random.default_rng(seed)
    out = out.astype(np.float32) + rng.normal(0, noise, out.shape).astype(np.float32)
    return np.clip(out, 0, 255).astype(np.uint8)


def _text(img: np.ndarray, s: str, x: int, y: int, scale: float = 0.6, thick: int = 1) -> None:
    cv2.putText(img, s, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (30, 30, 30), thick, cv2.LINE_AA)


def _rounded(img, x0, y0, x1, y1, r, colour, thick, fill=None) -> None:
    if fill is not None:
        cv2.rectangle(img, (x0 + r, y0), (x1 - r, y1), fill, -1)
        cv2.rectangle(img, (x0, y0 + r), (x1, y1 - r), fill, -1)
        for cx, cy in ((x0 + r, y0 + r), (x1 - r, y0 + r), (x0 + r, y1 - r), (x1 - r, y1 - r)):
            cv2.circle(img, (cx, cy), r, fill, -1, cv2.LINE_AA)
    for a, b in (((x0 + r, y0), (x1 - r, y0)), ((x0 + r, y1), (x1 - r, y1))):
        cv2.line(img, a, b, colour, thick, cv2.LINE_AA)
    for a, b in (((x0, y0 + r), (x0, y1 - r)), ((x1, y0 + r), (x1, y1 - r))):
        cv2.line(img, a, b, colour, thick, cv2.LINE_AA)
    for (cx, cy), ang in (
        ((x0 + r, y0 + r), 180),
        ((x1 - r, y0 + r), 270),
        ((x1 - r, y1 - r), 0),
        ((x0 + r, y1 - r), 90),
    ):
        cv2.ellipse(img, (cx, cy), (r, r), ang, 0, 90, colour, thick, cv2.LINE_AA)


def _head(img, tip: tuple[int, int], size: int, down: bool = True, colour=(40, 40, 40)) -> None:
    x, y = tip
    d = -1 if down else 1
    pts = np.array([(x, y), (x - size // 2, y + d * size), (x + size // 2, y + d * size)])
    cv2.fillPoly(img, [pts.astype(np.int32)], colour, cv2.LINE_AA)


def _near(b: Box, want: tuple[int, int, int, int], tol: int = 4) -> bool:
    return all(abs(int(a) - w) <= tol for a, w in zip(b.bbox, want, strict=True))


def test_faint_blurred_border_around_white_box_is_found() -> None:
    """A thin light-grey border, blurred and noisy, breaks up in the ink mask; the faint
    and foreground masks still close it around the box's interior."""
    img = _canvas()
    _rounded(img, 60, 100, 260, 150, 8, (150, 150, 150), 1)
    _text(img, "conv 3x3", 110, 132)
    cv2.line(img, (160, 20), (160, 100), (60, 60, 60), 2)
    cv2.line(img, (160, 150), (160, 240), (60, 60, 60), 2)
    boxes = find_boxes(prepare(_degrade(img, 0.8, 5.0)))
    assert len(boxes) == 1
    assert _near(boxes[0], (60, 100, 261, 151))


def test_filled_box_with_heads_and_thick_lines_stuck_to_it() -> None:
    """Pastel boxes with a faint border, joined by thick blurred lines whose heads touch
    them: every box is found, with its own extent (no line, no head)."""
    img = _canvas(420)
    fill = (214, 240, 240)
    for y0 in (40, 170, 300):
        _rounded(img, 60, y0, 260, y0 + 60, 10, (170, 170, 170), 1, fill=fill)
        _text(img, "relu", 135, y0 + 38, 0.8, 2)
    for y_from, y_to in ((100, 170), (230, 300)):
        cv2.line(img, (160, y_from), (160, y_to - 10), (40, 40, 40), 5)
        _head(img, (160, y_to), 18, down=False)
    boxes = find_boxes(prepare(_degrade(img, 0.8, 5.0)))
    assert len(boxes) == 3, boxes
    for b, y0 in zip(boxes, (40, 170, 300), strict=True):
        assert _near(b, (60, y0, 261, y0 + 61), tol=3), b
        assert b.filled


def test_counters_of_label_glyphs_are_no_boxes() -> None:
    """An "0" with a dot in it (a closed counter with content) inside a label, and a bold
    "o" standing free: neither is a box; the box around the label stays."""
    img = _canvas()
    cv2.rectangle(img, (40, 60), (280, 120), (30, 30, 30), 2)
    _text(img, "FC-4", 70, 100, 0.7, 2)
    cv2.ellipse(img, (185, 92), (9, 14), 0, 0, 360, (30, 30, 30), 3)
    cv2.circle(img, (185, 92), 2, (30, 30, 30), -1)
    _text(img, "96", 205, 100, 0.7, 2)
    cv2.circle(img, (160, 200), 12, (30, 30, 30), 9)  # a bold "o" in free text
    cv2.ellipse(img, (60, 200), (6, 9), 0, 0, 360, (30, 30, 30), 2)  # a free "0" ...
    cv2.circle(img, (60, 200), 2, (30, 30, 30), -1)  # ... with its dot
    _text(img, "x8", 70, 208)
    boxes = find_boxes(prepare(img))
    assert len(boxes) == 1
    assert _near(boxes[0], (39, 59, 282, 122))


def test_group_frame_is_dropped_and_its_boxes_kept() -> None:
    img = _canvas(300)
    cv2.rectangle(img, (30, 20), (290, 280), (120, 120, 120), 1)
    for y0 in (50, 170):
        cv2.rectangle(img, (80, y0), (240, y0 + 60), (30, 30, 30), 2)
        _text(img, "conv", 130, y0 + 38)
    cv2.line(img, (160, 110), (160, 170), (30, 30, 30), 2)
    boxes = find_boxes(prepare(img))
    assert [b.bbox[1] for b in boxes] == [49, 169] or len(boxes) == 2
    assert all(b.bbox[2] - b.bbox[0] < 200 for b in boxes)


def test_dedupe_fragment_sharing_sides_merges_into_its_box() -> None:
    """A piece of a box's interior (cut off where its label touches the border in a thick
    mask) shares the box's sides: it is not a node inside a group frame."""
    outer = Box((0, 0, 120, 30), (2, 2, 118, 28), "rect")
    piece = Box((0, 0, 40, 30), (1, 1, 39, 29), "rect")
    assert dedupe_boxes([piece, outer], 4) == (outer,)
    # a node inside a frame, with margins all round: the frame goes
    frame = Box((0, 0, 200, 120), (1, 1, 199, 119), "rect")
    node = Box((40, 30, 160, 90), (42, 32, 158, 88), "rect")
    assert dedupe_boxes([frame, node], 4) == (node,)
    # a small box inside a box (a glyph's counter): the glyph goes
    glyph = Box((50, 8, 60, 22), (51, 9, 59, 21), "ellipse")
    assert dedupe_boxes([glyph, outer], 4) == (outer,)


def test_plus_circle_with_thick_ring_and_open_heads() -> None:
    """A "+" circle drawn with a ring much thicker than its plus strokes, open arrowheads
    touching it: the four quarter holes still make one circle with a "+"."""
    img = _canvas(200, 200)
    for y0 in (10, 150):  # thick-bordered boxes make the typical stroke thick
        cv2.rectangle(img, (40, y0), (160, y0 + 36), (60, 60, 60), 6)
        _text(img, "ab", 85, y0 + 25)
    cv2.circle(img, (100, 100), 19, (60, 60, 60), 6)
    cv2.line(img, (100, 81), (100, 119), (60, 60, 60), 2)
    cv2.line(img, (81, 100), (119, 100), (60, 60, 60), 2)
    head = np.array([(100, 78), (92, 64), (108, 64)], np.int32)
    cv2.polylines(img, [head], True, (60, 60, 60), 2)
    cv2.line(img, (100, 46), (100, 64), (60, 60, 60), 2)
    head = np.array([(78, 100), (64, 92), (64, 108)], np.int32)
    cv2.polylines(img, [head], True, (60, 60, 60), 2)
    circles = [b for b in find_boxes(prepare(img)) if b.shape == "circle"]
    assert len(circles) == 1
    assert circles[0].symbol == "+"
    assert _near(circles[0], (78, 78, 123, 123), tol=4)


def test_blurred_filled_circle_with_lines_through_is_a_circle() -> None:
    img = _canvas(200, 200)
    cv2.circle(img, (100, 100), 22, (240, 240, 214), -1, cv2.LINE_AA)
    cv2.circle(img, (100, 100), 22, (120, 120, 120), 1, cv2.LINE_AA)
    cv2.line(img, (100, 0), (100, 200), (60, 60, 60), 4)
    cv2.line(img, (20, 100), (122, 100), (60, 60, 60), 4)
    _head(img, (100, 77), 14)
    found = find_boxes(prepare(_degrade(img, 0.8, 5.0)))
    circles = [b for b in found if b.shape == "circle"]
    assert len(circles) == 1
    assert _near(circles[0], (78, 78, 123, 123), tol=4)


def test_rendered_faint_rounded_pastel_figure_finds_every_box() -> None:
    """The renderer's hardest box style: rounded pastel boxes by op with a 0.5 pt grey
    border, blurred and noisy, bold labels; every truth box is found."""
    from bench_figures import match_nodes
    from synth_models import synth_model

    from papercc.compiler.diagram.graph import Diagram, DiagramNode
    from papercc.compiler.render.draw import render
    from papercc.compiler.render.style import Style

    graph = next(iter(papercc.check(synth_model(3).text).graphs.values()))
    style = replace(
        Style(),
        shape="rounded",
        fill="by_op",
        border=0.5,
        ink=(80, 80, 80),
        bold=True,
        blur=0.8,
        noise=5.0,
        scale=2.0,
    )
    r = render(graph, style, "png")
    img = cv2.imdecode(np.frombuffer(r.data, np.uint8), cv2.IMREAD_COLOR)
    boxes = find_boxes(prepare(img))
    nodes = tuple(
        DiagramNode(i, "", tuple(float(v) for v in b.bbox), b.shape) for i, b in enumerate(boxes)
    )
    match = match_nodes(r.truth, Diagram(nodes, (), {}, "down"))
    assert len(match) == len(r.truth["boxes"])


def test_small_plus_circle_with_ring_as_thick_as_box_borders() -> None:
    """Box borders and the circle's ring 5 px thick, the plus 1 px, an open head at the
    ring: the quarters span only about 20 px (the narrow grouping must accept them, the
    wide one joins the head's hole)."""
    img = _canvas(220, 420)
    for x0 in (10, 270):
        for y0 in (10, 160):
            cv2.rectangle(img, (x0, y0), (x0 + 140, y0 + 40), (40, 40, 40), 5)
            _text(img, "a", x0 + 60, y0 + 27)
    cv2.circle(img, (100, 100), 13, (40, 40, 40), 5)
    cv2.line(img, (100, 88), (100, 112), (40, 40, 40), 1)
    cv2.line(img, (88, 100), (112, 100), (40, 40, 40), 1)
    head = np.array([(100, 84), (94, 73), (106, 73)], np.int32)  # an open head at the ring
    cv2.polylines(img, [head], True, (40, 40, 40), 1)
    cv2.line(img, (100, 55), (100, 73), (40, 40, 40), 1)
    prep = prepare(img)
    assert prep.stroke >= 5
    circles = [b for b in find_boxes(prep) if b.shape == "circle"]
    assert len(circles) == 1 and circles[0].symbol == "+"


def test_box_with_thick_border_around_a_hairline_plus_is_a_box() -> None:
    """A sum drawn as a box with 5 px borders around a 1 px '+' nine pixels across: the
    '+' has fewer pixels than two stroke-wide squares, yet it is content, not noise."""
    img = _canvas(200, 300)
    for y0 in (20, 120):
        cv2.rectangle(img, (60, y0), (228, y0 + 38), (80, 80, 80), 5)
    _text(img, "relu", 120, 47, 0.6, 2)
    cv2.line(img, (140, 134), (148, 134), (10, 10, 10), 1)  # the hairline "+"
    cv2.line(img, (144, 130), (144, 138), (10, 10, 10), 1)
    prep = prepare(img)
    assert prep.stroke >= 4
    boxes = find_boxes(prep)
    assert len(boxes) == 2 and any(b.bbox[1] > 100 for b in boxes)


def test_small_filled_box_with_thick_border_and_touching_glyphs() -> None:
    """A pastel box 25 px tall with a 6 px border is half ink; its label's descenders
    touch the border, so its hole is no rectangle. The blob is still a box (its inside
    is not ink-dark), and its text area lies inside the border."""
    img = _canvas(160, 260)
    cv2.rectangle(img, (40, 40), (140, 64), (200, 235, 235), -1)
    cv2.rectangle(img, (40, 40), (140, 64), (20, 20, 20), 6)
    _text(img, "avg pool", 47, 56, 0.5, 1)
    for x in (60, 90):  # descenders touching the border
        cv2.line(img, (x, 57), (x, 62), (30, 30, 30), 2)
    for y in (100, 125, 150):  # more of the figure: thin strokes set the stroke width
        _text(img, "notes beside the box", 20, y, 0.5, 1)
    cv2.line(img, (90, 67), (90, 85), (30, 30, 30), 1)
    prep = prepare(img)
    boxes = find_boxes(prep)
    assert len(boxes) == 1
    (b,) = boxes
    assert b.bbox[1] <= 40 and b.bbox[3] >= 64
    assert b.inner[1] >= b.bbox[1] + 3 and b.inner[3] <= b.bbox[3] - 3


def test_dedupe_keeps_the_hole_outline_of_a_filled_box_with_a_head_stuck_on() -> None:
    """A filled box's blob grows where an arrowhead and a line's corner stick to one
    side; the border found around its hole shares the other three sides and is the
    box's outline. Where the strip between them is fill (the hole's border cut part of
    the box off), the blob's extent stays."""
    fg = np.zeros((80, 760), np.uint8)
    fg[20:51, 543:718] = 255  # the box
    fg[20:51, 530:533] = 255  # a bus line running down beside it
    fg[34:37, 530:543] = 255  # the arrow into its left side
    fg[30:41, 538:543] = 255  # the head
    blob = Box((530, 20, 718, 51), (531, 21, 717, 50), "rounded", filled=True)
    hole = Box((543, 20, 718, 50), (545, 22, 716, 48), "rect")
    (got,) = dedupe_boxes([blob, hole], 4, fg)
    assert got.bbox == hole.bbox and got.shape == "rect" and got.filled
    full = fg.copy()
    full[20:51, 530:543] = 255  # the strip is fill: part of the box
    assert dedupe_boxes([blob, hole], 4, full)[0].bbox == blob.bbox
    # a hole that shares two sides only is no outline of the whole box
    piece = Box((545, 27, 718, 51), (546, 28, 717, 50), "rect")
    assert dedupe_boxes([blob, piece], 4, fg)[0].bbox == blob.bbox
