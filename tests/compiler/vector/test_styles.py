"""Vector figures in styles beyond the renderer's: sideways labels, size notes on any
side and on arrows, box-colour legends, repeat frames (`×N`)."""

from __future__ import annotations

import math
from collections import Counter

import pymupdf
import pytest

from papercc.compiler.diagram.graph import Diagram
from papercc.compiler.diagram.repeats import repeat_count
from papercc.compiler.vector.diagram import extract_vector_diagram


def new_page(w: float = 400, h: float = 400):
    doc = pymupdf.open()
    return doc, doc.new_page(width=w, height=h)


def rect(page, r, fill=(0.85, 0.9, 1.0), dashes=None):
    page.draw_rect(pymupdf.Rect(*r), color=(0, 0, 0), fill=fill, dashes=dashes, width=0.6)


def arrow(page, a, b, size=4.0):
    """A line from a to b with a filled triangle at b."""
    ux, uy = b[0] - a[0], b[1] - a[1]
    n = math.hypot(ux, uy)
    ux, uy = ux / n, uy / n
    base = (b[0] - ux * size, b[1] - uy * size)
    page.draw_line(a, base, color=(0, 0, 0), width=0.6)
    left = (base[0] - uy * size * 0.45, base[1] + ux * size * 0.45)
    right = (base[0] + uy * size * 0.45, base[1] - ux * size * 0.45)
    sh = page.new_shape()
    sh.draw_polyline([left, b, right])
    sh.finish(color=(0, 0, 0), fill=(0, 0, 0), closePath=True, width=0.3)
    sh.commit()


def sideways_box(page, r, text, rotate):
    """A tall box with its label written along it (rotate 90: bottom to top)."""
    rect(page, r)
    x0, y0, x1, y1 = r
    tw = pymupdf.get_text_length(text, fontsize=7)
    cx = (x0 + x1) / 2
    if rotate == 90:
        page.insert_text((cx + 2.5, (y0 + y1) / 2 + tw / 2), text, fontsize=7, rotate=90)
    elif rotate == 270:
        page.insert_text((cx - 2.5, (y0 + y1) / 2 - tw / 2), text, fontsize=7, rotate=270)
    else:
        raise ValueError(rotate)


def edges_by_text(d: Diagram) -> Counter:
    return Counter((d.node(e.src).text, d.node(e.dst).text) for e in d.edges)


# ------------------------------------------------------------ labels in any orientation

NAMES = ["Input 28x28", "conv 3x3 64", "max pool /2", "fc 10"]


@pytest.mark.parametrize("rotate", [90, 270])
def test_sideways_labels_read_in_order(rotate):
    doc, page = new_page()
    for k, name in enumerate(NAMES):
        x = 30 + 70 * k
        sideways_box(page, (x, 100, x + 22, 220), name, rotate)
        if k:
            arrow(page, (x - 48, 160), (x, 160))
    d = extract_vector_diagram(page)
    assert [n.text for n in d.nodes] == NAMES
    assert [(e.src, e.dst) for e in d.edges] == [(0, 1), (1, 2), (2, 3)]
    assert d.direction == "right"
    assert d.notes == ()


def test_sideways_label_on_two_lines_reads_lines_in_order():
    doc, page = new_page()
    rect(page, (100, 100, 130, 220))
    # rotate 90 reads bottom to top; its next line lies to the right
    page.insert_text((112, 200), "conv 3x3", fontsize=7, rotate=90)
    page.insert_text((121, 200), "stride 2", fontsize=7, rotate=90)
    d = extract_vector_diagram(page)
    assert [n.text for n in d.nodes] == ["conv 3x3 stride 2"]


def test_upside_down_label_reads_in_order():
    doc, page = new_page()
    rect(page, (100, 100, 200, 120))
    page.insert_text((180, 107), "max pool /2", fontsize=7, rotate=180)
    d = extract_vector_diagram(page)
    assert [n.text for n in d.nodes] == ["max pool /2"]


def test_sideways_size_note_is_a_note_not_a_node():
    doc, page = new_page()
    for k, name in enumerate(["A", "B"]):
        x = 60 + 100 * k
        rect(page, (x, 100, x + 40, 160))
        page.insert_text((x + 15, 133), name, fontsize=7)
    arrow(page, (100, 130), (160, 130))
    page.insert_text((58, 215), "28x28x64", fontsize=6, rotate=90)  # below A, sideways
    d = extract_vector_diagram(page)
    assert edges_by_text(d) == Counter({("A", "B"): 1})
    assert [n.text for n in d.notes] == ["28x28x64"]
    assert d.notes[0].node is None and d.notes[0].edge is None


# ------------------------------------------------------------ size notes on any side


@pytest.mark.parametrize("side", ["left", "right", "above", "below"])
@pytest.mark.parametrize("note", ["28×28×64", "64@28×28", "(64, 28, 28)", "1000"])
def test_size_note_on_any_side_is_a_note(side, note):
    """A note beside a box, on the side no arrow leaves from (above the first box,
    below the last, left or right of either)."""
    doc, page = new_page()
    first, last = (150, 60, 230, 80), (150, 160, 230, 180)
    rect(page, first)
    page.insert_text((155, 73), "Input", fontsize=7)
    rect(page, last)
    page.insert_text((155, 173), "conv 3x3", fontsize=7)
    arrow(page, (190, 80), (190, 160))
    tw = pymupdf.get_text_length(note, fontsize=6)
    x, y = {
        "left": (145 - 1.5 * tw, 173),
        "right": (235, 173),
        "above": (190 - tw / 2, 56),
        "below": (190 - tw / 2, 189),
    }[side]
    page.insert_text((x, y), note, fontsize=6)
    d = extract_vector_diagram(page)
    assert [n.text for n in d.nodes] == ["Input", "conv 3x3"]
    assert edges_by_text(d) == Counter({("Input", "conv 3x3"): 1})
    assert len(d.notes) == 1
    n = d.notes[0]
    assert n.text == note and n.node is None and n.edge is None  # beside a box, not on an arrow
    bb = n.bbox
    where = {
        "left": bb[2] <= last[0],
        "right": bb[0] >= last[2],
        "above": bb[3] <= first[1],
        "below": bb[1] >= last[3],
    }
    assert where[side]


@pytest.mark.parametrize("flow", ["down", "right"])
def test_note_on_an_arrow_names_its_edge(flow):
    doc, page = new_page()
    if flow == "down":
        rect(page, (150, 60, 230, 80))
        rect(page, (150, 160, 230, 180))
        arrow(page, (190, 80), (190, 160))
        page.insert_text((194, 123), "56x56x64", fontsize=6)
        a, b = (155, 73), (155, 173)
    else:
        rect(page, (40, 100, 100, 120))
        rect(page, (200, 100, 260, 120))
        arrow(page, (100, 110), (200, 110))
        page.insert_text((130, 106), "56x56x64", fontsize=6)
        a, b = (45, 113), (205, 113)
    page.insert_text(a, "conv", fontsize=7)
    page.insert_text(b, "pool", fontsize=7)
    d = extract_vector_diagram(page)
    assert edges_by_text(d) == Counter({("conv", "pool"): 1})
    assert len(d.notes) == 1
    n = d.notes[0]
    assert n.text == "56x56x64"
    assert n.edge is not None
    assert (d.node(n.edge[0]).text, d.node(n.edge[1]).text) == ("conv", "pool")


def test_notes_on_every_arrow_of_a_chain_keep_the_chain():
    doc, page = new_page(500, 300)
    names = ["Input", "conv", "pool", "fc"]
    sizes = ["28x28x1", "28x28x32", "14x14x32"]
    for k, name in enumerate(names):
        x = 20 + 120 * k
        rect(page, (x, 100, x + 60, 120))
        page.insert_text((x + 5, 113), name, fontsize=7)
        if k:
            arrow(page, (x - 60, 110), (x, 110))
            page.insert_text((x - 55, 105), sizes[k - 1], fontsize=6)
    d = extract_vector_diagram(page)
    assert [n.text for n in d.nodes] == names
    assert [(e.src, e.dst) for e in d.edges] == [(0, 1), (1, 2), (2, 3)]
    assert [(n.text, n.edge) for n in d.notes] == [(s, (k, k + 1)) for k, s in enumerate(sizes)]


# ------------------------------------------------------------ box-colour legends

ORANGE, BLUE, GREEN = (1.0, 0.6, 0.2), (0.3, 0.5, 0.9), (0.4, 0.8, 0.4)


def test_box_colour_legend_names_empty_and_size_only_boxes():
    doc, page = new_page()
    chain = [(ORANGE, ""), (BLUE, ""), (ORANGE, "128"), (GREEN, "conv 1x1")]
    for k, (fill, text) in enumerate(chain):
        y = 40 + 50 * k
        rect(page, (100, y, 180, y + 20), fill=fill)
        if text:
            page.insert_text((130, y + 13), text, fontsize=7)
        if k:
            arrow(page, (140, y - 30), (140, y))
    for k, (fill, text) in enumerate([(ORANGE, "conv 3x3"), (BLUE, "max pool")]):
        y = 60 + 16 * k
        rect(page, (280, y, 288, y + 8), fill=fill)
        page.insert_text((292, y + 7), text, fontsize=7)
    d = extract_vector_diagram(page)
    assert [n.text for n in d.nodes] == ["conv 3x3", "max pool", "conv 3x3 128", "conv 1x1"]
    assert [(e.src, e.dst) for e in d.edges] == [(0, 1), (1, 2), (2, 3)]
    assert d.notes == ()  # the legend's text is no note
    kinds = {e["text"]: e.get("kind") for e in d.source["legend"]}
    assert kinds == {"conv 3x3": "box", "max pool": "box"}


def test_empty_coloured_boxes_no_line_touches_stay_no_layers():
    """Bars of a chart with a colour legend, or boxes with no connector: no layers."""
    doc, page = new_page()
    for k, fill in enumerate([ORANGE, BLUE]):
        rect(page, (100, 40 + 30 * k, 180, 60 + 30 * k), fill=fill)
    for k, (fill, text) in enumerate([(ORANGE, "conv"), (BLUE, "relu")]):
        rect(page, (280, 60 + 16 * k, 290, 70 + 16 * k), fill=fill)
        page.insert_text((294, 68 + 16 * k), text, fontsize=7)
    d = extract_vector_diagram(page)
    assert d.nodes == ()


def test_a_named_box_keeps_its_own_text():
    doc, page = new_page()
    rect(page, (100, 40, 180, 60), fill=ORANGE)
    page.insert_text((105, 53), "Batch norm", fontsize=7)
    rect(page, (100, 90, 180, 110), fill=ORANGE)
    arrow(page, (140, 60), (140, 90))
    rect(page, (280, 60, 290, 70), fill=ORANGE)
    page.insert_text((294, 68), "conv 3x3", fontsize=7)
    d = extract_vector_diagram(page)
    assert [n.text for n in d.nodes] == ["Batch norm", "conv 3x3"]


# ------------------------------------------------------------ repeat frames


@pytest.mark.parametrize(
    ("text", "n"), [("×3", 3), ("x4", 4), ("X 2", 2), ("5×", 5), ("28x28", None), ("x", None)]
)
def test_repeat_count(text, n):
    assert repeat_count(text) == n


@pytest.mark.parametrize("where", ["inside", "outside"])
def test_dashed_frame_with_repeat_mark_is_a_note_on_the_frame(where):
    doc, page = new_page()
    names = ["Input", "conv 3x3", "relu", "fc"]
    for k, name in enumerate(names):
        y = 40 + 50 * k
        rect(page, (150, y, 230, y + 20))
        page.insert_text((155, y + 13), name, fontsize=7)
        if k:
            arrow(page, (190, y - 30), (190, y))
    frame = (130, 80, 250, 170)
    rect(page, frame, fill=None, dashes="[3 2] 0")
    if where == "inside":
        page.insert_text((235, 166), "×3", fontsize=7)
    else:
        page.insert_text((253, 168), "×3", fontsize=7)
    d = extract_vector_diagram(page)
    assert [n.text for n in d.nodes] == names
    assert [(e.src, e.dst) for e in d.edges] == [(0, 1), (1, 2), (2, 3)]
    assert [(n.text, n.bbox, n.node, n.edge) for n in d.notes] == [("×3", frame, None, None)]


def dashed_outline(page, r, on=3.0, off=2.0):
    """A rectangle drawn dash by dash, as separate lines."""
    x0, y0, x1, y1 = r
    for a, b in [
        ((x0, y0), (x1, y0)),
        ((x1, y0), (x1, y1)),
        ((x1, y1), (x0, y1)),
        ((x0, y1), (x0, y0)),
    ]:
        length, t = math.hypot(b[0] - a[0], b[1] - a[1]), 0.0
        while t < length:
            e = min(t + on, length)
            p = (a[0] + (b[0] - a[0]) * t / length, a[1] + (b[1] - a[1]) * t / length)
            q = (a[0] + (b[0] - a[0]) * e / length, a[1] + (b[1] - a[1]) * e / length)
            page.draw_line(p, q, color=(0, 0, 0), width=0.6)
            t += on + off


def test_frame_drawn_dash_by_dash_is_a_frame_not_connectors():
    doc, page = new_page()
    names = ["Input", "conv 3x3", "relu", "fc"]
    for k, name in enumerate(names):
        y = 40 + 50 * k
        rect(page, (150, y, 230, y + 20))
        page.insert_text((155, y + 13), name, fontsize=7)
        if k:
            arrow(page, (190, y - 30), (190, y))
    dashed_outline(page, (130, 80, 250, 170))
    page.insert_text((235, 166), "x2", fontsize=7)
    d = extract_vector_diagram(page)
    assert [n.text for n in d.nodes] == names
    assert [(e.src, e.dst) for e in d.edges] == [(0, 1), (1, 2), (2, 3)]
    assert [n.text for n in d.notes] == ["×2"]
    frame = d.notes[0].bbox
    assert (
        frame[0] == 130 and frame[1] == 80 and abs(frame[2] - 250) < 3 and abs(frame[3] - 170) < 3
    )


# ------------------------------------------------------------ module figures


def test_module_figure_with_free_previous_layer_and_filter_concat():
    """An Inception-style module whose input and output are free text, the lines
    fanning out of one point under "Previous layer" and into one under "Filter concat"."""
    doc, page = new_page()
    page.insert_text((160, 320), "Previous layer", fontsize=7)
    page.insert_text((165, 40), "Filter concat", fontsize=7)
    branches = ["1x1 Conv", "3x3 Conv", "Pool"]
    for k, name in enumerate(branches):
        x = 60 + 100 * k
        rect(page, (x, 160, x + 60, 180))
        page.insert_text((x + 5, 173), name, fontsize=7)
        arrow(page, (190, 310), (x + 30, 180))
        arrow(page, (x + 30, 160), (190, 45))
    d = extract_vector_diagram(page)
    expect = Counter()
    for name in branches:
        expect[("Previous layer", name)] += 1
        expect[(name, "Filter concat")] += 1
    assert edges_by_text(d) == expect
    assert d.notes == ()
    assert {n.shape for n in d.nodes if "layer" in n.text or "concat" in n.text} == {"text"}


def test_box_legend_in_one_row_and_short_line_entries():
    """Entries side by side (swatch, text, swatch, text) and entries drawn as a short
    coloured line both explain box colours."""
    doc, page = new_page()
    chain = [(ORANGE, ""), (BLUE, "64"), (GREEN, "")]
    for k, (fill, text) in enumerate(chain):
        y = 40 + 50 * k
        rect(page, (100, y, 180, y + 20), fill=fill)
        if text:
            page.insert_text((135, y + 13), text, fontsize=7)
        if k:
            arrow(page, (140, y - 30), (140, y))
    x = 40
    for fill, text in [(ORANGE, "conv 3x3"), (BLUE, "max pool")]:
        rect(page, (x, 300, x + 8, 308), fill=fill)
        page.insert_text((x + 11, 307), text, fontsize=7)
        x += 11 + pymupdf.get_text_length(text, fontsize=7) + 4
    page.draw_line((250, 304), (265, 304), color=GREEN, width=2)
    page.insert_text((268, 307), "softmax", fontsize=7)
    d = extract_vector_diagram(page)
    assert [n.text for n in d.nodes] == ["conv 3x3", "max pool 64", "softmax"]
    assert [(e.src, e.dst) for e in d.edges] == [(0, 1), (1, 2)]
    assert d.notes == ()


def test_words_and_titles_are_no_notes_but_sizes_are():
    doc, page = new_page()
    rect(page, (150, 60, 230, 80))
    page.insert_text((155, 73), "conv", fontsize=7)
    rect(page, (150, 160, 230, 180))
    page.insert_text((155, 173), "pool", fontsize=7)
    arrow(page, (190, 80), (190, 160))
    page.insert_text((240, 73), "relu", fontsize=6)
    page.insert_text((150, 220), "(a) Our network", fontsize=7)
    page.insert_text((240, 173), "stride=2", fontsize=6)
    body = "This paragraph explains the figure in 1 long sentence of body text."
    page.insert_text((20, 300), body, fontsize=7)
    d = extract_vector_diagram(page)
    assert [n.text for n in d.notes] == ["stride=2"]


def test_sideways_labels_inside_a_clip():
    doc, page = new_page(600, 400)
    page.insert_text((420, 200), "Body text, not part of the figure.", fontsize=9)
    for k, name in enumerate(NAMES):
        x = 30 + 70 * k
        sideways_box(page, (x, 100, x + 22, 220), name, 90)
        if k:
            arrow(page, (x - 48, 160), (x, 160))
    d = extract_vector_diagram(page, clip=(10, 80, 310, 240))
    assert [n.text for n in d.nodes] == NAMES


def test_sideways_free_input_label_is_a_node_where_a_line_starts():
    doc, page = new_page()
    tw = pymupdf.get_text_length("Image", fontsize=7)
    page.insert_text((37, 160 + tw / 2), "Image", fontsize=7, rotate=90)
    for k, name in enumerate(NAMES[1:]):
        x = 100 + 70 * k
        sideways_box(page, (x, 100, x + 22, 220), name, 90)
        arrow(page, (x - 48 if k else 40, 160), (x, 160))
    page.insert_text((127, 235), "28x28x64", fontsize=6, rotate=90)  # a size, never a node
    d = extract_vector_diagram(page)
    assert [n.text for n in d.nodes] == ["Image"] + NAMES[1:]
    assert [(e.src, e.dst) for e in d.edges] == [(0, 1), (1, 2), (2, 3)]
    assert d.nodes[0].shape == "text"
    assert [n.text for n in d.notes] == ["28x28x64"]


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_wrapped_label_in_a_textbox_reads_in_order_in_any_orientation(rotate):
    doc, page = new_page()
    r = (100, 100, 130, 170) if rotate in (90, 270) else (100, 100, 170, 130)
    rect(page, r)
    text = "conv 3x3 stride 2 relu"
    assert page.insert_textbox(pymupdf.Rect(*r), text, fontsize=7, rotate=rotate) > 0
    d = extract_vector_diagram(page)
    assert [n.text for n in d.nodes] == [text]


def test_frame_around_one_box_with_a_repeat_mark_is_a_group_not_a_layer():
    doc, page = new_page()
    names = ["Input", "residual block", "fc"]
    for k, name in enumerate(names):
        y = 40 + 60 * k
        rect(page, (150, y, 230, y + 20))
        page.insert_text((155, y + 13), name, fontsize=7)
        if k:
            arrow(page, (190, y - 40), (190, y))
    frame = (135, 90, 245, 130)
    rect(page, frame, fill=None, dashes="[3 2] 0")
    page.insert_text((234, 127), "×4", fontsize=7)
    d = extract_vector_diagram(page)
    assert [n.text for n in d.nodes] == names
    assert [(e.src, e.dst) for e in d.edges] == [(0, 1), (1, 2)]
    assert [(n.text, n.bbox) for n in d.notes] == [("×4", frame)]
