"""Group frames marked ×N are unrolled into N copies (diagram/repeats.py)."""

from __future__ import annotations

import pytest

from papercc.compiler.diagram.graph import Diagram, DiagramEdge, DiagramNode, DiagramNote
from papercc.compiler.diagram.repeats import expand_repeats, repeat_count
from papercc.compiler.lower.diagram import lower_diagram
from papercc.ir.printer import print_module


def _chain(texts, notes=(), extra_edges=()):
    nodes = tuple(
        DiagramNode(i, t, (0.0, 40.0 * i, 80.0, 40.0 * i + 20.0)) for i, t in enumerate(texts)
    )
    edges = tuple(DiagramEdge(i, i + 1) for i in range(len(texts) - 1)) + tuple(extra_edges)
    return Diagram(nodes, edges, {}, "down", tuple(notes))


@pytest.mark.parametrize("text,n", [("×3", 3), ("x 4", 4), ("2×", 2), ("3x3", None), ("×", None)])
def test_repeat_count(text, n):
    assert repeat_count(text) == n


def test_a_framed_pair_is_unrolled_into_a_chain():
    frame = DiagramNote("×3", (-5.0, 35.0, 85.0, 105.0))  # around boxes 1 and 2
    d = _chain(["input", "conv 3x3, 16", "relu", "fc 10"], [frame])
    out, said = expand_repeats(d)
    assert said == ["group frame marked '×3' around 2 box(es): repeated 3 times"]
    texts = [out.node(i).text for i in _walk(out, 0)]
    assert texts == ["input"] + ["conv 3x3, 16", "relu"] * 3 + ["fc 10"]
    assert not out.notes


def test_a_residual_block_in_a_frame_keeps_its_skip_in_every_copy():
    # 0 input -> 1 conv -> 2 conv -> 3 add -> 4 fc, with 0 -> 3 (skip): frame around 1..3
    frame = DiagramNote("×2", (-5.0, 35.0, 85.0, 145.0))
    d = _chain(["input", "conv 3x3, 8", "conv 3x3, 8", "+", "fc 10"], [frame], [DiagramEdge(0, 3)])
    out, _ = expand_repeats(d)
    adds = [n.id for n in out.nodes if n.text == "+"]
    assert len(adds) == 2
    second = max(adds)
    # the copy's skip comes from the first copy's add, as its conv does
    assert sorted(out.predecessors(second)) == sorted([min(adds), second - 1])


def test_a_frame_with_two_ways_out_is_drawn_once_and_said():
    frame = DiagramNote("×2", (-5.0, 35.0, 85.0, 105.0))
    d = _chain(["input", "conv 3x3, 8", "relu", "fc 10"], [frame], [DiagramEdge(1, 3)])
    out, said = expand_repeats(d)
    assert out == d
    assert said == [
        "group frame marked '×2' around 2 box(es): not one way in and one way out; drawn once"
    ]


def test_lowering_unrolls_and_says_so():
    frame = DiagramNote("×2", (-5.0, 35.0, 85.0, 105.0))
    d = _chain(["input 3x32x32", "conv 3x3, 16", "relu", "global avg pool", "fc 10"], [frame])
    lowered = lower_diagram(d, name="net")
    text = print_module(lowered.module)
    assert text.count("conv2d(") == 2
    assert any("repeated 2 times" in f.message for f in lowered.findings)


def _walk(d: Diagram, start: int) -> list[int]:
    order, at = [start], start
    while d.successors(at):
        (at,) = d.successors(at)
        order.append(at)
    return order
