"""Vector figure parser: synthetic drawings (exact recovery) and real papers."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pymupdf
import pytest
from paths import PAPERS

from papercc.compiler.diagram.graph import Diagram
from papercc.compiler.vector.diagram import (
    VectorDiagramError,
    extract_vector_diagram,
    find_figure_regions,
)

if not PAPERS.is_dir():
    PAPERS = Path("/work/shared/papers")


# ------------------------------------------------------------ drawing helpers


def new_page(w: float = 400, h: float = 400):
    doc = pymupdf.open()
    return doc, doc.new_page(width=w, height=h)


def box(page, x0, y0, x1, y1, text="", radius=None, fill=(0.8, 0.9, 1.0)):
    page.draw_rect(pymupdf.Rect(x0, y0, x1, y1), color=(0, 0, 0), fill=fill, radius=radius)
    lines = text.split("\n") if text else []
    for k, line in enumerate(lines):
        y = (y0 + y1) / 2 + 3 + (k - (len(lines) - 1) / 2) * 9
        page.insert_text((x0 + 3, y), line, fontsize=7)


def _head(page, tip, prev, kind="filled", size=4.0):
    ux, uy = tip[0] - prev[0], tip[1] - prev[1]
    n = math.hypot(ux, uy)
    ux, uy = ux / n, uy / n
    bx, by = tip[0] - ux * size, tip[1] - uy * size
    a = (bx - uy * size * 0.45, by + ux * size * 0.45)
    b = (bx + uy * size * 0.45, by - ux * size * 0.45)
    if kind == "filled":
        sh = page.new_shape()
        sh.draw_polyline([a, tip, b])
        sh.finish(color=(0, 0, 0), fill=(0, 0, 0), closePath=True, width=0.3)
        sh.commit()
    elif kind == "open":
        page.draw_polyline([a, tip, b], color=(0, 0, 0), width=0.6)
    elif kind == "barbed":  # a concave four-point arrowhead
        c = (tip[0] - ux * size * 0.6, tip[1] - uy * size * 0.6)
        sh = page.new_shape()
        sh.draw_polyline([a, tip, b, c])
        sh.finish(color=(0, 0, 0), fill=(0, 0, 0), closePath=True, width=0.3)
        sh.commit()
    return (bx, by)


def arrow(page, pts, head="filled", separate=False, stop_at_base=True):
    """A connector through pts with an arrowhead at the last point."""
    pts = [tuple(p) for p in pts]
    end = pts[-1]
    if head:
        base = _head(page, pts[-1], pts[-2], head)
        if stop_at_base and head != "open":
            end = base
    line = pts[:-1] + [end]
    if separate:
        for a, b in zip(line, line[1:], strict=False):
            page.draw_line(a, b, color=(0, 0, 0), width=0.6)
    else:
        page.draw_polyline(line, color=(0, 0, 0), width=0.6)


def edges_by_text(d: Diagram) -> Counter:
    return Counter((d.node(e.src).text, d.node(e.dst).text) for e in d.edges)


def texts(d: Diagram) -> Counter:
    return Counter(n.text for n in d.nodes)


# ------------------------------------------------------------ synthetic


def test_vertical_chain_filled_heads():
    doc, page = new_page()
    box(page, 100, 20, 180, 40, "Input")
    box(page, 100, 70, 180, 90, "Conv 3x3")
    box(page, 100, 120, 180, 140, "Softmax")
    arrow(page, [(140, 40), (140, 70)])
    arrow(page, [(140, 90), (140, 120)])
    d = extract_vector_diagram(page)
    assert [n.text for n in d.nodes] == ["Input", "Conv 3x3", "Softmax"]
    assert [(e.src, e.dst) for e in d.edges] == [(0, 1), (1, 2)]
    assert d.direction == "down"
    assert all(e.confidence == 1.0 for e in d.edges)
    assert d.source["confidence"] == 1.0


@pytest.mark.parametrize("head", ["open", "barbed", "filled"])
def test_horizontal_chain_each_arrowhead_shape(head):
    doc, page = new_page()
    for k, name in enumerate(["A", "B", "C", "D"]):
        box(page, 20 + 90 * k, 100, 80 + 90 * k, 120, name)
    for k in range(3):
        arrow(page, [(80 + 90 * k, 110), (110 + 90 * k, 110)], head=head)
    d = extract_vector_diagram(page)
    assert [n.text for n in d.nodes] == ["A", "B", "C", "D"]
    assert edges_by_text(d) == Counter({("A", "B"): 1, ("B", "C"): 1, ("C", "D"): 1})
    assert d.direction == "right"


def test_arrows_pointing_against_reading_order():
    doc, page = new_page()
    box(page, 20, 100, 80, 120, "Out")
    box(page, 120, 100, 180, 120, "In")
    arrow(page, [(120, 110), (80, 110)])
    d = extract_vector_diagram(page)
    assert edges_by_text(d) == Counter({("In", "Out"): 1})
    assert d.direction == "left"


def test_upward_fan_out_and_fan_in_at_one_point():
    """Inception style: lines leave one point of a box and meet at one point."""
    doc, page = new_page()
    box(page, 150, 300, 230, 320, "Previous")
    box(page, 150, 40, 230, 60, "Filter concat")
    for k, name in enumerate(["1x1 Conv", "3x3 Conv", "Pool"]):
        x = 60 + 100 * k
        box(page, x, 160, x + 60, 180, name)
        arrow(page, [(190, 300), (x + 30, 180)])
        arrow(page, [(x + 30, 160), (190, 60)])
    d = extract_vector_diagram(page)
    assert d.direction == "up"
    assert texts(d) == Counter(["Previous", "Filter concat", "1x1 Conv", "3x3 Conv", "Pool"])
    expect = Counter()
    for name in ["1x1 Conv", "3x3 Conv", "Pool"]:
        expect[("Previous", name)] += 1
        expect[(name, "Filter concat")] += 1
    assert edges_by_text(d) == expect
    assert d.nodes[0].text == "Previous" and d.nodes[-1].text == "Filter concat"


@pytest.mark.parametrize("separate", [False, True])
def test_elbow_connector(separate):
    doc, page = new_page()
    box(page, 20, 20, 80, 40, "A")
    box(page, 150, 100, 210, 120, "B")
    arrow(page, [(80, 30), (180, 30), (180, 100)], separate=separate)
    d = extract_vector_diagram(page)
    assert edges_by_text(d) == Counter({("A", "B"): 1})


def test_t_junction_bus_fans_out():
    doc, page = new_page()
    box(page, 90, 20, 150, 40, "Stem")
    page.draw_line((120, 40), (120, 80), color=(0, 0, 0), width=0.6)
    page.draw_line((40, 80), (200, 80), color=(0, 0, 0), width=0.6)
    for k, name in enumerate(["L", "M", "R"]):
        x = 40 + 80 * k
        box(page, x - 25, 110, x + 25, 130, name)
        arrow(page, [(x, 80), (x, 110)])
    d = extract_vector_diagram(page)
    assert edges_by_text(d) == Counter({("Stem", "L"): 1, ("Stem", "M"): 1, ("Stem", "R"): 1})
    assert d.direction == "down"


def test_free_label_acts_as_node():
    doc, page = new_page()
    box(page, 20, 20, 80, 40, "Left")
    box(page, 160, 20, 220, 40, "Right")
    page.insert_text((100, 103), "Filter concat", fontsize=7)  # no box around it
    arrow(page, [(50, 40), (115, 95)])
    arrow(page, [(190, 40), (130, 95)])
    box(page, 90, 150, 150, 170, "Next")
    arrow(page, [(120, 106), (120, 150)])
    d = extract_vector_diagram(page)
    label = [n for n in d.nodes if n.text == "Filter concat"]
    assert len(label) == 1 and label[0].shape == "text"
    assert edges_by_text(d) == Counter(
        {("Left", "Filter concat"): 1, ("Right", "Filter concat"): 1, ("Filter concat", "Next"): 1}
    )


def test_annotation_text_and_legend_arrow_are_not_nodes():
    doc, page = new_page()
    box(page, 20, 20, 80, 40, "A")
    box(page, 20, 70, 80, 90, "B")
    arrow(page, [(50, 40), (50, 70)])
    page.insert_text((90, 33), "35x35x384", fontsize=5)  # size note beside a box
    arrow(page, [(200, 200), (220, 200)])  # legend: arrow, then its meaning
    page.insert_text((224, 202), "conv 3x3, ReLU", fontsize=7)
    d = extract_vector_diagram(page)
    assert texts(d) == Counter(["A", "B"])
    assert edges_by_text(d) == Counter({("A", "B"): 1})


def test_lines_without_arrowheads_follow_reading_order():
    doc, page = new_page()
    names = ["3x3 Conv", "BN", "ReLU"]
    for k, name in enumerate(names):
        box(page, 50, 20 + 30 * k, 150, 35 + 30 * k, name)
    for k in range(2):
        page.draw_line((100, 35 + 30 * k), (100, 50 + 30 * k), color=(0, 0, 0))
    d = extract_vector_diagram(page)
    assert [n.text for n in d.nodes] == names
    assert [(e.src, e.dst) for e in d.edges] == [(0, 1), (1, 2)]
    assert d.direction == "down"
    assert all(e.confidence < 1.0 for e in d.edges)


def test_residual_add_circle_and_multiline_text():
    doc, page = new_page()
    box(page, 100, 20, 180, 40, "Input")
    box(page, 100, 70, 180, 95, "3x3 Conv\n(64)")
    page.draw_circle((140, 135), 10, color=(0, 0, 0), fill=(1, 1, 1))
    page.insert_text((137, 138), "+", fontsize=9)
    box(page, 100, 170, 180, 190, "ReLU")
    arrow(page, [(140, 40), (140, 70)])
    arrow(page, [(140, 95), (140, 125)])
    arrow(page, [(100, 30), (70, 30), (70, 135), (130, 135)])  # identity shortcut
    arrow(page, [(140, 145), (140, 170)])
    d = extract_vector_diagram(page)
    add = [n for n in d.nodes if n.text == "+"]
    assert len(add) == 1 and add[0].shape == "circle"
    assert texts(d)["3x3 Conv (64)"] == 1
    assert edges_by_text(d) == Counter(
        {
            ("Input", "3x3 Conv (64)"): 1,
            ("3x3 Conv (64)", "+"): 1,
            ("Input", "+"): 1,
            ("+", "ReLU"): 1,
        }
    )


def test_circle_with_drawn_cross_reads_as_plus():
    doc, page = new_page()
    box(page, 100, 20, 180, 40, "A")
    page.draw_circle((140, 80), 8, color=(0, 0, 0))
    page.draw_line((134, 80), (146, 80), color=(0, 0, 0))
    page.draw_line((140, 74), (140, 86), color=(0, 0, 0))
    arrow(page, [(140, 40), (140, 72)])
    d = extract_vector_diagram(page)
    assert edges_by_text(d) == Counter({("A", "+"): 1})


def test_rounded_and_four_segment_boxes():
    doc, page = new_page()
    box(page, 50, 20, 150, 40, "Rounded", radius=0.3)
    for a, b in [((50, 80), (150, 80)), ((150, 80), (150, 100))]:
        page.draw_line(a, b, color=(0, 0, 0))
    for a, b in [((150, 100), (50, 100)), ((50, 100), (50, 80))]:
        page.draw_line(a, b, color=(0, 0, 0))
    page.insert_text((60, 93), "Segments", fontsize=7)
    arrow(page, [(100, 40), (100, 80)])
    d = extract_vector_diagram(page)
    shapes = {n.text: n.shape for n in d.nodes}
    assert shapes == {"Rounded": "rounded", "Segments": "rect"}
    assert edges_by_text(d) == Counter({("Rounded", "Segments"): 1})


def test_dashed_connector_and_dashed_box_outline():
    doc, page = new_page()
    box(page, 50, 20, 150, 40, "A")
    box(page, 50, 100, 150, 120, "B")
    y = 40.0
    while y < 96:  # a dashed line drawn as separate dashes
        page.draw_line((100, y), (100, min(y + 2, 96)), color=(0, 0, 0))
        y += 3.5
    _head(page, (100, 100), (100, 90))
    x = 50.0
    while x < 150:  # a dashed outline on box B is decoration
        page.draw_line((x, 120), (min(x + 2, 150), 120), color=(0, 0, 0))
        x += 3.5
    d = extract_vector_diagram(page)
    assert edges_by_text(d) == Counter({("A", "B"): 1})


def test_clip_restricts_to_one_figure():
    doc, page = new_page()
    box(page, 20, 20, 80, 40, "A")
    box(page, 20, 70, 80, 90, "B")
    arrow(page, [(50, 40), (50, 70)])
    box(page, 220, 20, 280, 40, "X")
    box(page, 220, 70, 280, 90, "Y")
    arrow(page, [(250, 40), (250, 70)])
    d = extract_vector_diagram(page, clip=(10, 10, 100, 100), source={"page": 1})
    assert texts(d) == Counter(["A", "B"])
    assert d.source["page"] == 1 and d.source["parser"] == "vector"


def test_empty_page_gives_empty_diagram():
    doc, page = new_page()
    d = extract_vector_diagram(page)
    assert d.nodes == () and d.edges == () and d.direction == "?"
    assert find_figure_regions(page) == []


def test_hostile_text_is_just_text():
    doc, page = new_page()
    evil = "__import__('os').system('rm -rf /') {{7*7}} ${x} <script>"
    box(page, 20, 20, 380, 40, evil)
    d = extract_vector_diagram(page)
    assert [n.text for n in d.nodes] == [" ".join(evil.split())]


def test_bad_input_raises_clear_error():
    with pytest.raises(VectorDiagramError):
        extract_vector_diagram("not a page")
    doc, page = new_page()
    with pytest.raises(VectorDiagramError):
        extract_vector_diagram(page, clip=(5, 5, 5, 5))
    with pytest.raises(VectorDiagramError):
        extract_vector_diagram(page, clip="nonsense")


def test_find_figure_regions_synthetic():
    doc, page = new_page(400, 500)
    box(page, 100, 40, 180, 60, "Input")
    box(page, 100, 90, 180, 110, "Conv")
    arrow(page, [(140, 60), (140, 90)])
    page.insert_text((60, 140), "Figure 1. A tiny network.", fontsize=9)
    body = "Figure 2 shows more, and this paragraph is body text. " * 2
    page.insert_textbox(pymupdf.Rect(60, 200, 340, 260), body, fontsize=9)
    regions = find_figure_regions(page)
    assert len(regions) == 1
    rect, caption = regions[0]
    assert caption.startswith("Figure 1.")
    assert rect.contains(pymupdf.Rect(100, 40, 180, 110)) and rect.y1 <= 135
    d = extract_vector_diagram(page, rect)
    assert edges_by_text(d) == Counter({("Input", "Conv"): 1})


# ------------------------------------------------------------ real papers


def _paper(name: str):
    path = PAPERS / name
    if not path.exists():
        pytest.skip(f"{name} not available")
    return pymupdf.open(path)


def _figure(doc, page_no: int, prefix: str) -> Diagram:
    page = doc[page_no - 1]
    for rect, caption in find_figure_regions(page):
        if caption.startswith(prefix):
            return extract_vector_diagram(page, rect, {"page": page_no, "figure": prefix})
    raise AssertionError(f"{prefix} not found on page {page_no}")


INCEPTION = "inception_v4_1602.07261.pdf"


def test_inception_v4_figure4_inception_a_exact():
    d = _figure(_paper(INCEPTION), 4, "Figure 4.")
    assert texts(d) == Counter(
        {
            "Filter concat": 2,
            "Avg Pooling": 1,
            "1x1 Conv (96)": 2,
            "1x1 Conv (64)": 2,
            "3x3 Conv (96)": 3,
        }
    )
    assert edges_by_text(d) == Counter(
        {
            ("Filter concat", "Avg Pooling"): 1,
            ("Filter concat", "1x1 Conv (96)"): 1,
            ("Filter concat", "1x1 Conv (64)"): 2,
            ("Avg Pooling", "1x1 Conv (96)"): 1,
            ("1x1 Conv (64)", "3x3 Conv (96)"): 2,
            ("3x3 Conv (96)", "3x3 Conv (96)"): 1,
            ("1x1 Conv (96)", "Filter concat"): 2,
            ("3x3 Conv (96)", "Filter concat"): 2,
        }
    )
    assert d.direction == "up"
    # the bottom concat feeds, the top one collects
    src = {e.src for e in d.edges}
    dst = {e.dst for e in d.edges}
    assert [n.id for n in d.nodes if n.id not in dst] == [0]
    assert [n.id for n in d.nodes if n.id not in src] == [len(d.nodes) - 1]


def test_inception_v4_figure3_stem_exact():
    d = _figure(_paper(INCEPTION), 3, "Figure 3.")
    assert len(d.nodes) == 17 and len(d.edges) == 19
    assert d.nodes[0].text == "Input (299x299x3)"
    assert edges_by_text(d) == Counter(
        {
            ("Input (299x299x3)", "3x3 Conv (32 stride 2 V)"): 1,
            ("3x3 Conv (32 stride 2 V)", "3x3 Conv (32 V)"): 1,
            ("3x3 Conv (32 V)", "3x3 Conv (64)"): 1,
            ("3x3 Conv (64)", "3x3 MaxPool (stride 2 V)"): 1,
            ("3x3 Conv (64)", "3x3 Conv (96 stride 2 V)"): 1,
            ("3x3 MaxPool (stride 2 V)", "Filter concat"): 1,
            ("3x3 Conv (96 stride 2 V)", "Filter concat"): 1,
            ("Filter concat", "1x1 Conv (64)"): 2,
            ("1x1 Conv (64)", "3x3 Conv (96 V)"): 1,
            ("1x1 Conv (64)", "7x1 Conv (64)"): 1,
            ("7x1 Conv (64)", "1x7 Conv (64)"): 1,
            ("1x7 Conv (64)", "3x3 Conv (96 V)"): 1,
            ("3x3 Conv (96 V)", "Filter concat"): 2,
            ("Filter concat", "3x3 Conv (192 V)"): 1,
            ("Filter concat", "MaxPool (stride=2 V)"): 1,
            ("3x3 Conv (192 V)", "Filter concat"): 1,
            ("MaxPool (stride=2 V)", "Filter concat"): 1,
        }
    )
    assert all(e.confidence == 1.0 for e in d.edges)


@pytest.mark.parametrize(
    "page_no, prefix, n_nodes, n_edges",
    [
        (4, "Figure 5.", 13, 15),  # Inception-B
        (4, "Figure 6.", 13, 17),  # Inception-C
        (4, "Figure 7.", 7, 8),  # Reduction-A
        (4, "Figure 8.", 9, 10),  # Reduction-B
        (5, "Figure 9.", 10, 9),  # whole network: a chain
        (5, "Figure 10.", 10, 12),  # Inception-ResNet-A
        (5, "Figure 11.", 8, 9),  # Inception-ResNet-B
        (5, "Figure 12.", 10, 12),  # Reduction-B of Inception-ResNet-v1
    ],
)
def test_inception_v4_other_figures(page_no, prefix, n_nodes, n_edges):
    d = _figure(_paper(INCEPTION), page_no, prefix)
    assert (len(d.nodes), len(d.edges)) == (n_nodes, n_edges)
    assert d.direction == "up"
    assert all(e.confidence == 1.0 for e in d.edges)


def test_inception_v4_figure6_branches():
    d = _figure(_paper(INCEPTION), 4, "Figure 6.")
    e = edges_by_text(d)
    assert e[("3x1 Conv (512)", "1x3 Conv (256)")] == 1
    assert e[("3x1 Conv (512)", "3x1 Conv (256)")] == 1
    assert e[("1x1 Conv (384)", "1x3 Conv (256)")] == 1
    assert sum(v for (s, t), v in e.items() if t == "Filter concat") == 6


def test_inception_v4_figure9_chain_and_residual_add():
    doc = _paper(INCEPTION)
    d = _figure(doc, 5, "Figure 9.")
    assert [n.text for n in d.nodes] == [
        "Input (299x299x3)",
        "Stem",
        "4 x Inception-A",
        "Reduction-A",
        "7 x Inception-B",
        "Reduction-B",
        "3 x Inception-C",
        "Avarage Pooling",
        "Dropout (keep 0.8)",
        "Softmax",
    ]
    assert [(e.src, e.dst) for e in d.edges] == [(k, k + 1) for k in range(9)]
    d = _figure(doc, 5, "Figure 11.")
    plus = [n for n in d.nodes if n.text == "+"]
    assert len(plus) == 1 and plus[0].shape == "circle"
    assert sorted(d.node(p).text for p in d.predecessors(plus[0].id)) == [
        "1x1 Conv (896 Linear)",
        "Relu activation",
    ]


def _columns(d: Diagram) -> list[list]:
    """Nodes grouped into the figure's vertical columns, each top to bottom."""
    cols: list[list] = []
    for n in sorted(d.nodes, key=lambda n: (n.bbox[0] + n.bbox[2]) / 2):
        cx = (n.bbox[0] + n.bbox[2]) / 2
        if cols and abs(cx - cols[-1][0]) < 25:
            cols[-1][1].append(n)
        else:
            cols.append([cx, [n]])
    return [sorted(c[1], key=lambda n: n.bbox[1]) for c in cols]


def test_resnet_figure3_three_chains():
    d = _figure(_paper("resnet_1512.03385.pdf"), 4, "Figure 3.")
    assert d.direction == "down"
    vgg, plain, residual = _columns(d)
    for col in (vgg, plain):  # plain chains: every node feeds the next one
        ids = [n.id for n in col]
        assert [(e.src, e.dst) for e in d.edges if e.src in ids] == [
            (a, b) for a, b in zip(ids, ids[1:], strict=False)
        ]
    assert [n.text for n in vgg][:4] == ["image", "3x3 conv, 64", "3x3 conv, 64", "pool, /2"]
    assert len(vgg) == 25 and sum(n.shape == "rect" for n in vgg) == 19
    assert len(plain) == 37  # image, 34 weight layers, pool and avg pool labels
    assert sum(n.shape == "rect" for n in plain) == 34
    assert [n.text for n in plain][-3:] == ["3x3 conv, 512", "avg pool", "fc 1000"]
    # residual: same 34 boxes plus 16 junctions where the shortcuts join
    assert sum(n.shape == "rect" for n in residual) == 34
    joins = [n for n in residual if n.shape == "junction"]
    assert len(joins) == 16
    for j in joins:
        assert len(d.predecessors(j.id)) == 2
    assert len([e for e in d.edges if e.src in {n.id for n in residual}]) == 36 + 32
    assert all(e.confidence == 1.0 for e in d.edges)


def test_googlenet_figure3_whole_network():
    d = _figure(_paper("googlenet_cvpr2015.pdf"), 6, "Figure 3:")
    assert len(d.nodes) == 98 and len(d.edges) == 124
    assert d.direction == "up"
    t = texts(d)
    assert t["DepthConcat"] == 9
    assert t["input"] == 1 and t["softmax0"] == t["softmax1"] == t["softmax2"] == 1
    assert d.nodes[0].text == "input"


def test_unet_figure1_boxes_and_arrows():
    d = _figure(_paper("unet_1505.04597.pdf"), 2, "Fig. 1.")
    rects = [n for n in d.nodes if n.shape == "rect"]
    assert len(rects) == 32  # 15 on the way down, 17 on the way up
    assert len(d.edges) == 31  # 19 conv, 4 pool, 4 up-conv, 4 copy-and-crop arrows
    assert all(n.text == "" for n in rects)  # channel counts are written outside
    ins = [n for n in rects if not d.predecessors(n.id)]
    outs = [n for n in rects if not d.successors(n.id)]
    assert len(ins) == 1 and len(outs) == 5  # input tile; output map + 4 copied maps


def test_mobilenet_figure3_two_stacks_without_arrowheads():
    d = _figure(_paper("mobilenet_1704.04861.pdf"), 4, "Figure 3.")
    assert edges_by_text(d) == Counter(
        {
            ("3x3 Conv", "BN"): 1,
            ("3x3 Depthwise Conv", "BN"): 1,
            ("BN", "ReLU"): 3,
            ("ReLU", "1x1 Conv"): 1,
            ("1x1 Conv", "BN"): 1,
        }
    )
    assert d.direction == "down"


def test_figure_regions_skip_tables():
    page = _paper("mobilenet_1704.04861.pdf")[3]
    regions = find_figure_regions(page)
    assert [c.split(".")[0] for _, c in regions] == ["Figure 3"]
    assert regions[0][0].x1 < 306  # the left column only, not Table 1's rules
    # ResNet p5: Table 1 (caption below it) sits right above Figure 4's plots
    page = _paper("resnet_1512.03385.pdf")[4]
    regions = find_figure_regions(page)
    assert [c.split(".")[0] for _, c in regions] == ["Figure 4"]
    assert regions[0][0].y0 > 230


def test_figure_regions_of_a_page_with_subfigures():
    page = _paper("googlenet_cvpr2015.pdf")[3]
    (rect, caption), *rest = find_figure_regions(page)
    assert not rest and caption.startswith("Figure 2:")
    d = extract_vector_diagram(page, rect)
    assert (len(d.nodes), len(d.edges)) == (15, 19)  # naive (a) and reduced (b) modules


def test_find_figure_regions_caption_above_and_two_columns():
    doc, page = new_page(600, 500)
    page.insert_text((40, 40), "Figure 1: Captioned above.", fontsize=9)
    box(page, 60, 60, 140, 80, "Top")
    box(page, 60, 110, 140, 130, "Bottom")
    arrow(page, [(100, 80), (100, 110)])
    box(page, 360, 60, 440, 80, "Left")
    box(page, 360, 110, 440, 130, "Right")
    arrow(page, [(400, 80), (400, 110)])
    page.insert_text((340, 160), "Fig. 2. Captioned below.", fontsize=9)
    regions = find_figure_regions(page)
    assert [c for _, c in regions] == ["Figure 1: Captioned above.", "Fig. 2. Captioned below."]
    assert regions[0][0].contains(pymupdf.Rect(60, 60, 140, 130)) and regions[0][0].x1 < 300
    assert regions[1][0].x0 > 300
    assert texts(extract_vector_diagram(page, regions[0][0])) == Counter(["Top", "Bottom"])


def test_too_many_drawings_bails_out():
    doc, page = new_page()
    sh = page.new_shape()
    for k in range(7000):
        sh.draw_line((k % 400, 10 + k // 400), (k % 400 + 0.5, 10 + k // 400))
    sh.finish(color=(0, 0, 0))
    sh.commit()
    d = extract_vector_diagram(page)
    assert d.nodes == () and d.source["skipped"]


# ------------------------------------------------------------ random layered graphs


def _random_graph(seed: int):
    import random

    rnd = random.Random(seed)
    layers = [
        [f"N{seed}_{k}_{j}" for j in range(rnd.randint(1, 3))] for k in range(rnd.randint(2, 5))
    ]
    edges = set()
    for a, b in zip(layers, layers[1:], strict=False):
        for t in b:
            edges.add((rnd.choice(a), t))
        for s in a:
            if not any(e[0] == s for e in edges):
                edges.add((s, rnd.choice(b)))
    return rnd, layers, edges


@pytest.mark.parametrize("seed", range(48))
def test_random_layered_diagrams_are_recovered_exactly(seed):
    """Draw a random layered DAG (orientation, routing, arrowheads vary) and read it back."""
    rnd, layers, edges = _random_graph(seed)
    direction = ["down", "up", "right", "left"][seed % 4]
    elbow = seed % 3 == 0
    head = ["filled", "open", "barbed"][seed % 3]
    doc, page = new_page(800, 800)
    w, h, gap, step = 60.0, 20.0, 70.0, 100.0
    if direction in ("right", "left"):
        h = 40.0  # room on the side for several distinct entry points
    pos = {}
    for k, layer in enumerate(layers):
        for j, name in enumerate(layer):
            along = 40 + k * (h + gap) if direction in ("down", "up") else 40 + k * (w + gap)
            if direction in ("up", "left"):
                along = 760 - along - (h if direction == "up" else w)
            across = 40 + j * step
            x0, y0 = (across, along) if direction in ("down", "up") else (along, across)
            pos[name] = (x0, y0, x0 + w, y0 + h)
            box(page, x0, y0, x0 + w, y0 + h, name)
    outs: dict[str, list[str]] = {}
    ins: dict[str, list[str]] = {}
    for s, t in sorted(edges):
        outs.setdefault(s, []).append(t)
        ins.setdefault(t, []).append(s)
    for s, t in sorted(edges):
        a, b = pos[s], pos[t]
        # entry points spread over the target's first third: never on an exit line
        fi = 0.1 + 0.25 * (ins[t].index(s) + 1) / (len(ins[t]) + 1)
        if direction == "down":
            p, q = ((a[0] + a[2]) / 2, a[3]), (b[0] + fi * w, b[1])
        elif direction == "up":
            p, q = ((a[0] + a[2]) / 2, a[1]), (b[0] + fi * w, b[3])
        elif direction == "right":
            p, q = (a[2], (a[1] + a[3]) / 2), (b[0], b[1] + fi * h)
        else:
            p, q = (a[0], (a[1] + a[3]) / 2), (b[2], b[1] + fi * h)
        if elbow:  # each (source, target) turns at its own level: no overlapping runs
            layer = next(lay for lay in layers if s in lay)
            slot = (layer.index(s) + (outs[s].index(t) + 1) / (len(outs[s]) + 1)) / len(layer)
            f = 0.2 + 0.6 * slot
            if direction in ("down", "up"):
                mid = p[1] + (q[1] - p[1]) * f
                pts = [p, (p[0], mid), (q[0], mid), q]
            else:
                mid = p[0] + (q[0] - p[0]) * f
                pts = [p, (mid, p[1]), (mid, q[1]), q]
            pts = [pt for k, pt in enumerate(pts) if k == 0 or pt != pts[k - 1]]
        else:
            pts = [p, q]
        arrow(page, pts, head=head, separate=bool(seed % 2))
    d = extract_vector_diagram(page)
    assert texts(d) == Counter(list(pos)), (seed, direction)
    found = {(d.node(e.src).text, d.node(e.dst).text) for e in d.edges}
    assert found == edges, (seed, direction, elbow, head)
    assert d.direction == direction


def test_unet_legend_names_arrows_by_colour():
    d = _figure(_paper("unet_1505.04597.pdf"), 2, "Fig. 1.")
    assert {e["text"] for e in d.source["legend"]} == {
        "conv 3x3, ReLU",
        "copy and crop",
        "max pool 2x2",
        "up-conv 2x2",
        "conv 1x1",
    }
    labels = Counter(t for _, _, t in d.source["edge_labels"])
    assert labels == Counter(
        {
            "conv 3x3, ReLU": 18,
            "copy and crop": 4,
            "max pool 2x2": 4,
            "up-conv 2x2": 4,
            "conv 1x1": 1,
        }
    )


def test_synthetic_colour_legend():
    doc, page = new_page()
    red, blue = (0.8, 0.0, 0.0), (0.0, 0.0, 0.8)
    box(page, 20, 100, 60, 120, "A")
    box(page, 100, 100, 140, 120, "B")
    box(page, 100, 160, 140, 180, "C")
    for pts, col in [([(60, 110), (96, 110)], red), ([(120, 120), (120, 156)], blue)]:
        page.draw_line(pts[0], pts[1], color=col, width=1.5)
        tip = (pts[1][0] + 4, pts[1][1]) if col == red else (pts[1][0], pts[1][1] + 4)
        sh = page.new_shape()
        if col == red:
            sh.draw_polyline([(tip[0] - 4, tip[1] - 2), tip, (tip[0] - 4, tip[1] + 2)])
        else:
            sh.draw_polyline([(tip[0] - 2, tip[1] - 4), tip, (tip[0] + 2, tip[1] - 4)])
        sh.finish(color=col, fill=col, closePath=True)
        sh.commit()
    for k, (col, text) in enumerate([(red, "conv 3x3"), (blue, "max pool")]):
        y = 250 + 15 * k
        page.draw_line((250, y), (262, y), color=col, width=1.5)
        sh = page.new_shape()
        sh.draw_polyline([(262, y - 2), (266, y), (262, y + 2)])
        sh.finish(color=col, fill=col, closePath=True)
        sh.commit()
        page.insert_text((269, y + 2.5), text, fontsize=7)
    d = extract_vector_diagram(page)
    assert texts(d) == Counter(["A", "B", "C"])
    named = {(d.node(s).text, d.node(t).text): lab for s, t, lab in d.source["edge_labels"]}
    assert named == {("A", "B"): "conv 3x3", ("B", "C"): "max pool"}


@pytest.mark.parametrize("seed", range(24))
def test_random_clutter_never_crashes(seed):
    """Random lines, curves, shapes and text: any Diagram is fine, an exception is not."""
    import random

    rnd = random.Random(seed)
    doc, page = new_page()

    def pt():
        return (rnd.uniform(0, 400), rnd.uniform(0, 400))

    sh = page.new_shape()
    for _ in range(rnd.randint(1, 60)):
        kind = rnd.choice(["line", "rect", "curve", "poly", "circle", "dot"])
        if kind == "line":
            sh.draw_line(pt(), pt())
        elif kind == "rect":
            a, b = pt(), pt()
            sh.draw_rect(pymupdf.Rect(a, b))
        elif kind == "curve":
            sh.draw_bezier(pt(), pt(), pt(), pt())
        elif kind == "poly":
            sh.draw_polyline([pt() for _ in range(rnd.randint(2, 6))])
        elif kind == "circle":
            sh.draw_circle(pt(), rnd.uniform(0.2, 30))
        else:
            p = pt()
            sh.draw_polyline([p, (p[0] + 1, p[1]), (p[0] + 0.5, p[1] + 1)])
        sh.finish(
            color=(0, 0, 0),
            fill=rnd.choice([None, (0, 0, 0), (0.5, 0.7, 0.9)]),
            closePath=rnd.random() < 0.5,
            width=rnd.uniform(0, 2),
        )
    sh.commit()
    for _ in range(rnd.randint(0, 10)):
        page.insert_text(pt(), rnd.choice(["conv", "x", "Figure 1.", "+", "3x3"]), fontsize=7)
    d = extract_vector_diagram(page)
    ids = {n.id for n in d.nodes}
    assert all(e.src in ids and e.dst in ids and e.src != e.dst for e in d.edges)
    assert 0.0 <= d.source["confidence"] <= 1.0
    find_figure_regions(page)


def test_headless_elbow_down_and_across_follows_the_flow():
    """A headless connector that mostly runs across a downward flow (an elbow from a stem
    to a branch at the lower left) still leads down, not by reading order."""
    doc, page = new_page()
    box(page, 200, 20, 260, 40, "Stem")
    box(page, 20, 70, 80, 90, "Left")
    box(page, 200, 70, 260, 90, "Below")
    page.draw_polyline([(230, 40), (230, 55), (50, 55), (50, 70)], color=(0, 0, 0), width=0.8)
    page.draw_line((230, 40), (230, 70), color=(0, 0, 0), width=0.8)
    chain = ["Below"] + [f"L{k}" for k in range(5)]
    for k, name in enumerate(chain[1:]):
        box(page, 200, 120 + 50 * k, 260, 140 + 50 * k, name)
        page.draw_line((230, 90 + 50 * k), (230, 120 + 50 * k), color=(0, 0, 0), width=0.8)
    d = extract_vector_diagram(page)
    want = {("Stem", "Left"): 1, ("Stem", "Below"): 1}
    want.update({(a, b): 1 for a, b in zip(chain, chain[1:], strict=False)})
    assert edges_by_text(d) == Counter(want)
    assert d.direction == "down"


def test_headless_wide_fan_out_keeps_the_downward_flow():
    """Long elbows of a wide fan-out outweigh (in length) the short vertical links of a
    headless figure; the flow still follows the many vertical links, not reading order."""
    doc, page = new_page(w=600)
    box(page, 260, 20, 340, 36, "Stem")
    xs = [40, 200, 400, 560]
    for k, x in enumerate(xs):
        box(page, x - 30, 56, x + 30, 72, f"B{k}")
        page.draw_polyline([(300, 36), (300, 46), (x, 46), (x, 56)], color=(0, 0, 0), width=0.8)
        page.draw_line((x, 72), (x, 90), color=(0, 0, 0), width=0.8)
    box(page, 10, 90, 590, 106, "Concat")
    box(page, 260, 126, 340, 142, "Conv")
    box(page, 260, 162, 340, 178, "FC")
    page.draw_line((300, 106), (300, 126), color=(0, 0, 0), width=0.8)
    page.draw_line((300, 142), (300, 162), color=(0, 0, 0), width=0.8)
    d = extract_vector_diagram(page)
    want = {("Stem", f"B{k}"): 1 for k in range(4)}
    want.update({(f"B{k}", "Concat"): 1 for k in range(4)})
    want.update({("Concat", "Conv"): 1, ("Conv", "FC"): 1})
    assert edges_by_text(d) == Counter(want)
    assert d.direction == "down"
