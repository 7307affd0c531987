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
