"""Size notes: the size each format states, and the box a note beside a box or on an
arrow is about."""

from __future__ import annotations

import pytest

from papercc.compiler.diagram.graph import Diagram, DiagramEdge, DiagramNode, DiagramNote
from papercc.compiler.diagram.notes import attach, output_sizes, parse_size


@pytest.mark.parametrize(
    ("text", "spatial", "channels"),
    [
        ("28×28×64", (28, 28), 64),
        ("28x28x64", (28, 28), 64),
        ("28 × 28 × 64", (28, 28), 64),
        ("28 X 28 X 1", (28, 28), 1),
        ("64@28×28", (28, 28), 64),
        ("6 @ 28x28", (28, 28), 6),
        ("16@10", (10, 10), 16),
        ("(64, 28, 28)", (28, 28), 64),
        ("(None, 28, 28, 64)", (28, 28), 64),  # Keras' (H, W, C) with a batch entry
        ("(28, 28, 64)", (28, 28), 64),
        ("64×28×28", (28, 28), 64),  # a square pair and an odd one: the odd one
        ("224x224x3", (224, 224), 3),
        ("32x16x8", (32, 16), 8),  # no square pair: the last, as papers write H×W×C
        ("56x56", (56, 56), None),
        ("1000", (), 1000),
        ("(4096,)", (), 4096),
    ],
)
def test_every_format_states_its_size(text, spatial, channels):
    size = parse_size(text)
    assert size is not None and (size.spatial, size.channels) == (spatial, channels)


@pytest.mark.parametrize("text", ["", "conv 3x3", "ReLU", "x", "0x5", "28×28×0", "a@b"])
def test_text_that_is_no_size(text):
    assert parse_size(text) is None


def _chain(direction: str) -> Diagram:
    """Three 40x20 boxes joined by arrows, down or right, 40 units apart."""
    nodes = []
    for i, t in enumerate(["Image 28x28", "conv 3x3", "max pool"]):
        if direction == "down":
            nodes.append(DiagramNode(i, t, (100.0, 100.0 + 60 * i, 140.0, 120.0 + 60 * i)))
        else:
            nodes.append(DiagramNode(i, t, (100.0 + 80 * i, 100.0, 140.0 + 80 * i, 120.0)))
    return Diagram(tuple(nodes), (DiagramEdge(0, 1), DiagramEdge(1, 2)), {}, direction)


def _with(d: Diagram, *notes: DiagramNote) -> Diagram:
    return Diagram(d.nodes, d.edges, d.source, d.direction, tuple(notes))


# note bboxes (text height 8) on each side of box 1 of a vertical chain (box at
# x 100-140, y 160-180) and of a horizontal chain (box at x 180-220, y 100-120)
SIDES = {
    ("down", "right"): (145.0, 166.0, 175.0, 174.0),
    ("down", "left"): (65.0, 166.0, 95.0, 174.0),
    ("right", "above"): (185.0, 88.0, 215.0, 96.0),
    ("right", "below"): (185.0, 124.0, 215.0, 132.0),
}


@pytest.mark.parametrize(
    "side", [("down", "right"), ("down", "left"), ("right", "above"), ("right", "below")]
)
def test_a_note_beside_a_box_on_any_side_states_its_output(side):
    d = attach(_with(_chain(side[0]), DiagramNote("14×14×64", SIDES[side])))
    (note,) = d.notes
    assert note.node == 1 and note.edge is None
    size = output_sizes(d)[1]
    assert size.spatial == (14, 14) and size.channels == 64


def test_a_note_on_an_arrow_states_the_source_output():
    # vertical chain: the arrow 0 -> 1 runs at x=120 from y=120 to y=160
    d = attach(_with(_chain("down"), DiagramNote("28×28×1", (124.0, 136.0, 154.0, 144.0))))
    (note,) = d.notes
    assert note.edge == (0, 1) and note.node == 0
    assert output_sizes(d)[0].channels == 1
    # horizontal chain: the arrow 1 -> 2 runs at y=110 from x=220 to x=260, note above
    d = attach(_with(_chain("right"), DiagramNote("64@14x14", (226.0, 96.0, 254.0, 104.0))))
    assert d.notes[0].edge == (1, 2) and output_sizes(d)[1].channels == 64


def test_a_note_beside_the_input_box_states_the_input():
    d = attach(_with(_chain("down"), DiagramNote("28×28×1", (60.0, 106.0, 95.0, 114.0))))
    assert d.notes[0].node == 0 and output_sizes(d)[0].channels == 1


def test_far_notes_and_attached_notes_are_left_as_they_are():
    far = DiagramNote("14×14×64", (400.0, 400.0, 430.0, 408.0))
    known = DiagramNote("7x7x8", (145.0, 166.0, 175.0, 174.0), node=2)
    words = DiagramNote("Figure 1", (145.0, 226.0, 175.0, 234.0))
    d = attach(_with(_chain("down"), far, known, words))
    assert d.notes == (far, known, words)
    assert set(output_sizes(d)) == {2}


def test_notes_written_before_their_own_box_belong_to_it():
    """Each size written just above its box in a downward flow: the input box, with no
    arrow coming in, shows the notes are the boxes' own, not the arrows' coming in."""
    from papercc.compiler.diagram.graph import Diagram, DiagramEdge, DiagramNode, DiagramNote
    from papercc.compiler.diagram.notes import attach

    nodes = tuple(
        DiagramNode(i, t, (0.0, 60.0 * i, 80.0, 60.0 * i + 20.0))
        for i, t in enumerate(["Input", "conv 3x3", "relu"])
    )
    edges = (DiagramEdge(0, 1), DiagramEdge(1, 2))
    notes = tuple(
        DiagramNote(text, (42.0, 60.0 * i - 9.0, 70.0, 60.0 * i - 2.0))
        for i, text in enumerate(["28×28×1", "28×28×16", "28×28×16"])
    )
    out = attach(Diagram(nodes, edges, {}, "down", notes))
    assert [(n.node, n.edge) for n in out.notes] == [(0, None), (1, None), (2, None)]
    # midway on the arrows, the same notes state what the arrow carries
    mid = tuple(
        DiagramNote(text, (42.0, 60.0 * i - 24.0, 70.0, 60.0 * i - 17.0))
        for i, text in enumerate(["28×28×1", "28×28×16", "28×28×16"])
    )
    out = attach(Diagram(nodes, edges, {}, "down", mid))
    assert [n.node for n in out.notes][1:] == [0, 1]
