"""Raster connectors: hairlines, notes over lines, head symmetry, headless skips."""

from __future__ import annotations

import shutil
from functools import partial

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")

from papercc.compiler.raster.arrows import Touch, is_head, roles  # noqa: E402
from papercc.compiler.raster.diagram import extract_raster_diagram  # noqa: E402
from papercc.compiler.raster.labels import specks  # noqa: E402
from papercc.compiler.raster.lines import lines_through_notes, with_faint_ends  # noqa: E402
from papercc.compiler.raster.ocr import Ocr  # noqa: E402

# the module's figures are read with one set of OCR engines, as one run reads its figures
extract_raster_diagram = partial(extract_raster_diagram, ocr=Ocr())

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="no tesseract")


def test_faint_hairline_is_a_connector_on_its_own() -> None:
    """A long thin faint stroke is a line even with no dark pixel; a faint speck is not."""
    strong = np.zeros((60, 200), np.uint8)
    faint = np.zeros_like(strong)
    faint[30:32, 10:190] = 255  # a blurred hairline
    faint[5:9, 5:9] = 255  # noise
    faint[45:55, 100:110] = 255  # a glyph halo
    out = with_faint_ends(strong, faint, min_len=40, max_thick=4)
    assert out[30:32, 10:190].all()
    assert not out[5:9, 5:9].any() and not out[45:55, 100:110].any()


def _boxes_and_line(grey: int, blur: float) -> np.ndarray:
    img = np.full((140, 520, 3), 255, np.uint8)
    for x0, text in ((20, "conv 3x3"), (300, "relu")):
        cv2.rectangle(img, (x0, 40), (x0 + 200, 90), (0, 0, 0), 2)
        cv2.putText(img, text, (x0 + 40, 74), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2)
    cv2.line(img, (221, 65), (299, 65), (grey, grey, grey), 1)
    if blur:
        img = cv2.GaussianBlur(img, (0, 0), blur)
    return img


@needs_tesseract
def test_grey_blurred_hairline_joins_two_boxes() -> None:
    """A 0.5 pt grey line, blurred: no pixel is ink-dark, yet it is the only connector."""
    img = _boxes_and_line(150, 0.8)
    x = 260
    assert 255 - int(img[60:70, x].min()) < 70  # nothing here is dark enough to be ink
    d = extract_raster_diagram(img)
    boxes = sorted((n for n in d.nodes if n.shape != "text"), key=lambda n: n.bbox[0])
    assert len(boxes) == 2
    assert [(e.src, e.dst) for e in d.edges] == [(boxes[0].id, boxes[1].id)]


def test_lines_through_note_keep_the_line_drop_the_glyphs() -> None:
    """A size note written over a fork line: the line survives, glyph ink goes."""
    conn = np.zeros((80, 300), np.uint8)
    conn[40:42, 0:300] = 255  # the fork line, crossing the note
    conn[33:48, 120:123] = 255  # glyph strokes glued to the line
    conn[33:36, 130:140] = 255
    out = lines_through_notes(conn, [(115, 32, 180, 49)], char_h=12.0)
    assert out[40:42, :].all()
    assert not out[33:39, 120:123].any() and not out[33:36, 130:140].any()


def test_specks_are_no_labels() -> None:
    assert specks((10, 10, 14, 13), char_h=13.0)
    assert not specks((10, 10, 40, 22), char_h=13.0)


def _labels_with(box: tuple[int, int, int, int], draw) -> np.ndarray:
    img = np.zeros((200, 200), np.uint8)
    draw(img)
    return (img > 0).astype(np.int32)


def test_glyph_glued_beside_a_shaft_is_no_head() -> None:
    """Leaving a box, a shaft with a note's glyph stuck to one side widens like a head;
    an arrowhead is centred on its shaft, the glyph is not."""
    box = (50, 20, 150, 60)

    def glued(img):
        img[60:160, 99:102] = 1  # shaft down from the box
        img[75:90, 102:115] = 1  # a glyph touching the shaft on its right

    def head(img):
        img[60:160, 99:102] = 1
        for k in range(12):  # a filled head, tip at the box
            img[60 + k, 100 - k // 2 : 101 + k // 2 + 1] = 1

    assert not is_head(_labels_with(box, glued), 1, box, "bottom", (100.0, 70.0), 3.0, 12.0)
    assert is_head(_labels_with(box, head), 1, box, "bottom", (100.0, 70.0), 3.0, 12.0)


def test_shaft_running_into_something_wide_is_no_head() -> None:
    """A long narrow run before the line widens is a shaft; a head widens from its tip."""
    box = (50, 20, 150, 60)

    def shaft_then_blob(img):
        img[60:160, 99:102] = 1
        img[80:90, 94:107] = 1  # a symmetric blob far from the box (a crossing, a node)

    labels = _labels_with(box, shaft_then_blob)
    assert not is_head(labels, 1, box, "bottom", (100.0, 70.0), 3.0, 12.0)


def test_headless_skip_below_a_row_enters_the_later_node() -> None:
    """Left-to-right, no heads: a line leaves node 3's right side, enters node 4's left
    side and branches below the row into node 6's bottom. Node 6 is a destination."""
    centers = [(100.0 * i, 50.0) for i in range(8)]
    ts = [
        Touch(1, 3, "right", (350.0, 50.0), False),
        Touch(1, 4, "left", (390.0, 50.0), False),
        Touch(1, 6, "bottom", (600.0, 80.0), False),
    ]
    heads, tails, _ = roles(ts, centers, "right")
    assert {t.node for t in heads} == {4, 6}
    assert {t.node for t in tails} == {3}


def test_bus_close_under_a_row_of_branches_makes_no_sums() -> None:
    """Up-flow: one line rises from a node to a bus drawn just under a row of boxes and
    branches into each. The bus lies inside the boxes' entry bands, so each entry reaches
    the others along it; siblings on one bus are plain branches, not '+' junctions."""
    from papercc.compiler.raster.arrows import build_edges

    labels = np.zeros((200, 400), np.int32)
    nodes = [(20, 40, 100, 80), (160, 40, 240, 80), (300, 40, 380, 80), (160, 140, 240, 170)]
    labels[83:85, 58:343] = 1  # the bus, 3 px under the row
    for x in (60, 200, 340):
        labels[80:85, x - 1 : x + 2] = 1  # short risers into each box
    labels[85:140, 199:202] = 1  # the trunk from the node below
    ts = [Touch(1, i, "bottom", (60.0 + 140 * i, 82.0), True, (60 + 140 * i, 80)) for i in range(3)]
    ts.append(Touch(1, 3, "top", (200.0, 138.0), False, (200, 139)))
    centers = [((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0) for b in nodes]
    w = build_edges(ts, labels, nodes, [6] * 4, centers, "up", tol=10.0)
    assert w.junctions == ()
    assert sorted((e.src, e.dst) for e in w.edges) == [(3, 0), (3, 1), (3, 2)]


def test_label_touches_glyph_fragment_and_passing_line() -> None:
    """Free label 'x7x1' whose first glyph was cut off (it touched a box) and a line the
    label is written beside: neither ends at the label. A short arrow does."""
    from papercc.compiler.raster.labels import ends_at_label

    labels = np.zeros((120, 300), np.int32)
    label = (120, 40, 170, 52)
    labels[40:52, 112:119] = 1  # the lost first glyph, just left of the block
    labels[56:58, 60:240] = 2  # a line running under the label, with the flow (right)
    labels[30:40, 144:146] = 3  # a short arrow into the label's top
    frag = Touch(1, 0, "left", (115.0, 46.0), False)
    passing = Touch(2, 0, "bottom", (145.0, 57.0), False)
    arrow = Touch(3, 0, "top", (145.0, 35.0), True)
    assert not ends_at_label(labels, frag, label, 24, 12.0, "right")
    assert not ends_at_label(labels, passing, label, 24, 12.0, "right")
    assert ends_at_label(labels, arrow, label, 24, 12.0, "right")
    # across the flow, the same line along the bottom is a fork leaving the label
    assert ends_at_label(labels, passing, label, 24, 12.0, "down")


def test_corner_contact_of_a_headless_line_stays_a_source() -> None:
    """A headless line touching a later node at a corner passes it by; only a square
    mid-side contact makes the later node a destination."""
    centers = [(100.0 * i, 50.0) for i in range(8)]
    nodes = [(100 * i - 40, 30, 100 * i + 40, 70) for i in range(8)]
    mid = Touch(1, 6, "bottom", (600.0, 80.0), False, (600, 71))
    corner = Touch(1, 6, "bottom", (638.0, 80.0), False, (638, 71))
    base = [Touch(1, 3, "right", (350.0, 50.0), False), Touch(1, 4, "left", (390.0, 50.0), False)]
    heads, _, _ = roles(base + [mid], centers, "right", nodes)
    assert 6 in {t.node for t in heads}
    heads, _, _ = roles(base + [corner], centers, "right", nodes)
    assert 6 not in {t.node for t in heads}


def test_size_note_with_lost_leading_number() -> None:
    from papercc.compiler.raster.labels import size_note_cut

    assert size_note_cut("x32x16") and size_note_cut("×7×1")
    assert not size_note_cut("xception") and not size_note_cut("x") and not size_note_cut("32")
    assert size_note_cut("x x") and not size_note_cut("x y")
    assert size_note_cut("xl") and not size_note_cut("xylo")
    for fragment in ("96x96x", "6x x", "x 4", "x1 x", "x64x256"):  # glyphs lost to lines
        assert size_note_cut(fragment), fragment
    for label in ("conv 3x3", "3x3 conv, 64", "fc 1000", "x"):
        assert not size_note_cut(label), label


def test_size_note_is_a_node_only_as_an_input() -> None:
    """A note kept as a node must be a source feeding a node nothing else feeds (an
    input size drawn as text); beside another node's input arrow it is an annotation."""
    from papercc.compiler.diagram.graph import Diagram, DiagramEdge, DiagramNode
    from papercc.compiler.raster.labels import annotations, without

    def diagram(edges):
        nodes = tuple(DiagramNode(i, t, (0, i, 1, i + 1)) for i, t in enumerate("ab"))
        nodes += (DiagramNode(2, "224x224x3", (0, 9, 1, 10), "text"),)
        return Diagram(nodes, tuple(DiagramEdge(s, d) for s, d in edges))

    notes = frozenset({2})
    assert annotations(diagram([(2, 0), (0, 1)]), notes) == set()  # the input
    assert annotations(diagram([(0, 1), (2, 1)]), notes) == {2}  # beside 0 -> 1
    assert annotations(diagram([(0, 1), (1, 2)]), notes) == {2}  # an edge into it
    assert annotations(diagram([(0, 1)]), notes) == {2}  # no edge at all
    kept = without(diagram([(0, 1), (2, 1)]), {0})
    assert [n.text for n in kept.nodes] == ["b", "224x224x3"]
    assert [(e.src, e.dst) for e in kept.edges] == [(1, 0)]


@needs_tesseract
def test_short_grey_hairline_between_close_boxes() -> None:
    """Boxes stacked a couple of glyph heights apart, joined by a pale grey line with
    no ink-dark pixel: the line is shorter than three glyphs, still a connector."""
    img = np.full((240, 300, 3), 255, np.uint8)
    for y0, text in ((20, "conv 3x3"), (134, "relu")):
        cv2.rectangle(img, (40, y0), (260, y0 + 80), (0, 0, 0), 2)
        cv2.putText(img, text, (80, y0 + 52), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2)
    cv2.line(img, (150, 101), (150, 133), (190, 190, 190), 1)
    img = cv2.GaussianBlur(img, (0, 0), 0.6)
    assert 255 - int(img[105:130, 148:153].min()) < 70  # no ink-dark pixel on the line
    d = extract_raster_diagram(img)
    boxes = sorted((n for n in d.nodes if n.shape != "text"), key=lambda n: n.bbox[1])
    assert len(boxes) == 2
    assert [(e.src, e.dst) for e in d.edges] == [(boxes[0].id, boxes[1].id)]


def test_line_clipping_a_note_window_corner_does_not_face_it() -> None:
    """A connector that ends at a size note points at it; one whose nearest pixel lies
    beyond the note's extent only clips the corner of its window."""
    from papercc.compiler.raster.labels import faces

    note = (100, 50, 160, 62)
    at = Touch(1, 0, "top", (130.0, 30.0), False, (128, 48))
    corner = Touch(1, 0, "top", (175.0, 30.0), False, (172, 30))
    side = Touch(2, 0, "left", (80.0, 56.0), False, (98, 57))
    assert faces(at, note, 2) and faces(side, note, 2)
    assert not faces(corner, note, 2)


def test_flow_follows_most_heads_not_a_wide_bus() -> None:
    """Up-flow chain of five boxes; a bus under a wide row joins four boxes with one head
    at the far left. Each head votes once: the bus's long leftward pairs do not win."""
    from papercc.compiler.raster.arrows import flow_direction

    centers = [(400.0, 500.0 - 60 * i) for i in range(5)] + [
        (100.0 + 200 * i, 700.0) for i in range(4)
    ]
    ts = []
    for c in range(4):  # connector c from node c (below) up into node c + 1
        ts.append(Touch(c, c, "top", (400.0, 480.0 - 60 * c), False))
        ts.append(Touch(c, c + 1, "bottom", (400.0, 460.0 - 60 * c), True))
    ts.append(Touch(9, 5, "bottom", (100.0, 720.0), True))
    ts += [Touch(9, 5 + i, "bottom", (100.0 + 200 * i, 720.0), False) for i in (1, 2, 3)]
    assert flow_direction(ts, centers) == "up"


def test_heads_on_few_of_many_connectors_are_doubtful() -> None:
    from papercc.compiler.raster.arrows import doubtful_heads

    def wires(n: int, headed: int) -> list[Touch]:
        out = []
        for c in range(n):
            out.append(Touch(c, c, "bottom", (0.0, 0.0), False))
            out.append(Touch(c, c + 1, "top", (0.0, 0.0), c < headed))
        return out

    assert doubtful_heads(wires(12, 2))  # two "heads" on twelve bare lines: misreads
    assert not doubtful_heads(wires(12, 6))  # half the lines headed: a headed figure
    assert not doubtful_heads(wires(4, 1))  # too few lines to tell
    assert not doubtful_heads(wires(12, 0))


def test_arrow_tip_read_as_a_letter_is_line_ink() -> None:
    """An open head's faint outline broke into a glyph-sized piece read as 'a', wedged
    between a box's bottom and the end of a line rising to it."""
    from papercc.compiler.raster.labels import arrow_tip

    runs = np.zeros((200, 200), np.uint8)
    runs[88:150, 99:101] = 255  # the line, from below, ending short of the box
    box = (40, 40, 160, 77)
    tip = (96, 80, 104, 86)
    assert arrow_tip(tip, "a", [box], (runs, runs), char_h=13.0)
    assert not arrow_tip(tip, "conv", [box], (runs, runs), char_h=13.0)  # a word, not a tip
    assert not arrow_tip(tip, "+", [box], (runs, runs), char_h=13.0)  # a sum sign at a merge
    none = np.zeros_like(runs)
    assert not arrow_tip(tip, "a", [box], (none, none), char_h=13.0)  # no line
    assert not arrow_tip((96, 110, 104, 116), "a", [box], (runs, runs), char_h=13.0)  # far off


def test_thin_block_in_line_with_a_line_is_a_piece_of_it() -> None:
    from papercc.compiler.raster.labels import line_piece

    runs = np.zeros((200, 200), np.uint8)
    runs[20:80, 100:102] = 255  # a vertical line, broken at 80..88
    assert line_piece((100, 82, 102, 90), runs, stroke=1.0, char_h=12.0)  # read as "I"
    assert not line_piece((96, 82, 106, 90), runs, stroke=1.0, char_h=12.0)  # a glyph
    assert not line_piece((140, 82, 142, 90), runs, stroke=1.0, char_h=12.0)  # elsewhere


def test_note_written_across_a_line_is_crossed() -> None:
    from papercc.compiler.raster.labels import crossed
    from papercc.compiler.raster.lines import straight_runs

    faint = np.zeros((80, 300), np.uint8)
    faint[40:42, 0:300] = 255  # a fork line under the note
    faint[33:47, 130:133] = 255  # glyph strokes
    runs = straight_runs(faint, 18.0, 4.0)
    assert not runs[33:39, 130:133].any()  # glyph strokes are no runs
    assert crossed(runs, (120, 32, 190, 48))
    filled = faint.copy()
    filled[10:30, 200:240] = 255  # a light fill is faint too, but no line
    assert not straight_runs(filled, 18.0, 4.0)[12:28, 205:235].any()
    ends = np.zeros_like(faint)
    ends[40:42, 190:300] = 255  # a line ending at the note's right side
    assert not crossed(straight_runs(ends, 18.0, 4.0), (120, 32, 190, 48))


def test_lines_fanning_out_from_one_point_on_a_box_are_no_head() -> None:
    """Three lines leave one point of a box's top (Inception's bottom 'Filter concat'):
    the V they make widens until it leaves the probe window, unlike a head, which closes
    to its shaft; nor is the V one line grazing the box."""
    from papercc.compiler.raster.arrows import grazes

    box = (60, 120, 180, 160)
    img = np.zeros((200, 200), np.uint8)
    cv2.line(img, (120, 119), (120, 10), 1, 2)
    cv2.line(img, (120, 119), (10, 60), 1, 2)
    cv2.line(img, (120, 119), (199, 90), 1, 2)
    labels = img.astype(np.int32)
    assert not is_head(labels, 1, box, "top", (120.0, 116.0), 1.0, 12.0)
    win = labels[115:165, 55:185] == 1
    ys, xs = np.nonzero(win)
    k = int(np.argmax(ys))
    assert not grazes(win, xs, ys, k)


def test_bare_end_beyond_every_head_is_a_missed_head() -> None:
    """Down-flow: a line leaves node 0's bottom, has a head into node 1's top and forks
    off into the right side of node 3 (its small head unread). Node 3 lies beyond every
    head of the line and is met mid-side: a destination, not a second source."""
    nodes = [(100, 60 * i, 200, 60 * i + 30) for i in range(4)]
    centers = [((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0) for b in nodes]
    ts = [
        Touch(1, 0, "bottom", (150.0, 32.0), False, (150, 31)),
        Touch(1, 1, "top", (150.0, 58.0), True, (150, 59)),
        Touch(1, 3, "right", (203.0, 195.0), False, (202, 195)),
    ]
    heads, tails, _ = roles(ts, centers, "down", nodes)
    assert {t.node for t in heads} == {1, 3} and {t.node for t in tails} == {0}
    # a bare end upstream of the head stays a source
    ts[2] = Touch(1, 3, "right", (203.0, 195.0), False, (202, 195))
    up = [Touch(1, 2, "bottom", (150.0, 152.0), False, (150, 151)), ts[1]]
    heads, tails, _ = roles(up + [ts[0]], centers, "down", nodes)
    assert {t.node for t in heads} == {1}
