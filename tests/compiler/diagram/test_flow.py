"""Arrow-free diagrams are oriented by what their boxes say; arrowheads always win."""

from __future__ import annotations

from papercc.compiler.diagram.flow import orient_by_content
from papercc.compiler.diagram.graph import Diagram, DiagramEdge, DiagramNode


def chain(texts: list[str], confidence: float) -> Diagram:
    nodes = tuple(DiagramNode(i, t, (0, 40 * i, 100, 40 * i + 20)) for i, t in enumerate(texts))
    edges = tuple(DiagramEdge(i, i + 1, confidence) for i in range(len(texts) - 1))
    return Diagram(nodes, edges, {}, "down")


def test_reversed_headless_chain_is_flipped() -> None:
    # drawn bottom-up without arrowheads: the reader guessed top-down
    d = chain(["softmax", "fc 10", "3x3 conv, 64", "Input 32x32x3"], confidence=0.6)
    out = orient_by_content(d)
    assert [(e.src, e.dst) for e in out.edges] == [(1, 0), (2, 1), (3, 2)]
    assert out.direction == "up" and out.source["flow_from_text"] is True


def test_correct_chain_and_arrowheads_are_kept() -> None:
    d = chain(["Input 32x32x3", "3x3 conv, 64", "fc 10", "softmax"], confidence=0.6)
    assert orient_by_content(d) == d
    d = chain(["softmax", "fc 10", "Input 32x32x3"], confidence=1.0)  # arrowheads say so
    assert orient_by_content(d) == d


def test_no_evidence_no_change() -> None:
    d = chain(["3x3 conv, 64", "relu", "3x3 conv, 64"], confidence=0.6)
    assert orient_by_content(d) == d


def _edges(d: Diagram) -> set[tuple[int, int]]:
    return {(e.src, e.dst) for e in d.edges}


def test_a_connector_read_backwards_between_two_columns_is_turned() -> None:
    # column one: input -> conv -> relu(2); column two: conv(3) -> fc -> softmax; the
    # headless link from relu to the top of column two was read from 3 to 2
    texts = ["Input 28x28x1", "conv 3x3, 8", "relu", "conv 3x3, 16", "fc 10", "softmax"]
    nodes = tuple(DiagramNode(i, t, (0, 40 * i, 100, 40 * i + 20)) for i, t in enumerate(texts))
    edges = tuple(DiagramEdge(a, b, 0.6) for a, b in [(0, 1), (1, 2), (3, 2), (3, 4), (4, 5)])
    out = orient_by_content(Diagram(nodes, edges, {}, "down"))
    assert _edges(out) == {(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)}


def test_a_row_read_backwards_into_a_merge_is_turned() -> None:
    # a snaking flow: the second row runs right to left and was read left to right,
    # from the network's classifier into the box the first row feeds
    texts = ["Input 28x28x1", "conv 3x3, 8", "relu", "softmax", "fc 10", "conv 3x3, 16"]
    nodes = tuple(DiagramNode(i, t, (40 * i, 0, 40 * i + 20, 20)) for i, t in enumerate(texts))
    edges = tuple(DiagramEdge(a, b, 0.6) for a, b in [(0, 1), (1, 2), (2, 5), (3, 4), (4, 5)])
    out = orient_by_content(Diagram(nodes, edges, {}, "right"))
    assert _edges(out) == {(0, 1), (1, 2), (2, 5), (5, 4), (4, 3)}


def test_a_loose_branch_that_reads_as_no_output_is_kept() -> None:
    # an auxiliary branch ending loose is as common as a reversed row: no evidence, kept
    texts = ["Input 28x28x1", "conv 3x3, 8", "relu", "conv 1x1, 4", "fc 10"]
    nodes = tuple(DiagramNode(i, t, (0, 40 * i, 100, 40 * i + 20)) for i, t in enumerate(texts))
    edges = tuple(DiagramEdge(a, b, 0.6) for a, b in [(0, 1), (1, 2), (2, 4), (1, 3)])
    d = Diagram(nodes, edges, {}, "down")
    assert orient_by_content(d) == d


def test_arrow_free_blocks_are_crossed_from_the_input() -> None:
    # input -> conv -> [conv -> conv] + skip -> add -> fc, every line read upwards
    texts = ["Input 32x32x3", "conv 3x3, 8", "conv 3x3, 8", "conv 3x3, 8", "+", "fc 10"]
    nodes = tuple(DiagramNode(i, t, (0, 40 * i, 100, 40 * i + 20)) for i, t in enumerate(texts))
    true = [(0, 1), (1, 2), (2, 3), (3, 4), (1, 4), (4, 5)]
    edges = tuple(DiagramEdge(b, a, 0.6) for a, b in true)
    out = orient_by_content(Diagram(nodes, edges, {}, "up"))
    assert _edges(out) == set(true)
    assert out.direction == "down"
    # parallel ways of different lengths (an inception-like module) and an auxiliary
    # head off the way, read in mixed directions
    texts = ["Input", "conv 1x1, 8", "conv 3x3, 8", "conv 1x1, 8", "concat", "fc 10", "softmax"]
    texts += ["conv 1x1, 4"]
    nodes = tuple(DiagramNode(i, t, (0, 40 * i, 100, 40 * i + 20)) for i, t in enumerate(texts))
    true = [(0, 1), (1, 2), (2, 4), (0, 3), (3, 4), (4, 5), (5, 6), (1, 7)]
    mixed = [(a, b) if k % 2 else (b, a) for k, (a, b) in enumerate(true)]
    out = orient_by_content(
        Diagram(nodes, tuple(DiagramEdge(a, b, 0.6) for a, b in mixed), {}, "down")
    )
    assert _edges(out) == set(true)
