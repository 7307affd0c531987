"""The figure benchmark's machinery (bench/bench_figures.py, bench/synth_models.py): models
are valid and reproducible, scoring is right on known answers, a small vector run works."""

from __future__ import annotations

import io
from dataclasses import replace

import bench_figures as bf  # noqa: E402
import pytest
from synth_models import MAX_LAYERS, MIN_LAYERS, synth_model  # noqa: E402

import papercc
from papercc.compiler.diagram.graph import Diagram, DiagramEdge, DiagramNode


def _truth(index: int = 0):
    _, _, graph, style = bf.figure_case(index, 0)
    return bf.render(graph, style, "svg").truth


def _diagram(truth, edges=None, nodes=None) -> Diagram:
    d = truth["diagram"]
    return Diagram(
        tuple(d.nodes if nodes is None else nodes),
        tuple(d.edges if edges is None else edges),
        d.source,
        d.direction,
    )


def test_models_are_valid_reproducible_and_varied():
    kinds = set()
    for seed in range(40):
        m = synth_model(seed)
        assert m == synth_model(seed)
        graph = next(iter(papercc.check(m.text).graphs.values()))
        assert MIN_LAYERS <= len(graph.nodes) == m.layers <= MAX_LAYERS
        kinds.update(m.kinds)
    assert kinds == {"chain", "branches", "residual"}
    assert synth_model(1).text != synth_model(2).text


def test_the_truth_itself_scores_perfectly():
    for index in range(5):
        truth = _truth(index)
        s = bf.score_diagram(truth, truth["diagram"])
        assert s.exact and s.nodes_ok == s.nodes and s.edges_ok == s.edges, s
        assert s.false_edges == 0 and s.extra_nodes == 0


def test_a_dropped_edge_and_a_false_edge_are_counted():
    truth = _truth(1)
    edges = truth["diagram"].edges
    s = bf.score_diagram(truth, _diagram(truth, edges=edges[1:]))
    assert (s.edges_ok, s.false_edges, s.exact) == (s.edges - 1, 0, False)
    assert s.missed_edges == ((edges[0].src, edges[0].dst),)
    flipped = (DiagramEdge(edges[0].dst, edges[0].src), *edges[1:])
    s = bf.score_diagram(truth, _diagram(truth, edges=flipped))
    assert (s.edges_ok, s.false_edges, s.exact) == (s.edges - 1, 1, False)
    s = bf.score_diagram(truth, _diagram(truth, edges=(*edges, DiagramEdge(0, 0))))
    assert (s.edges_ok, s.false_edges) == (s.edges, 1)


def test_a_misread_or_missing_node_is_counted():
    truth = _truth(2)
    nodes = list(truth["diagram"].nodes)
    k = next(i for i, b in enumerate(truth["boxes"]) if b["layers"][0]["op"] == "conv2d")
    nodes[k] = replace(nodes[k], text=nodes[k].text.replace("3", "8").replace("1", "7") + " 9")
    s = bf.score_diagram(truth, _diagram(truth, nodes=nodes))
    assert s.nodes_ok == s.nodes - 1 and s.edges_ok == s.edges and not s.exact
    gone = [n for i, n in enumerate(truth["diagram"].nodes) if i != k]
    s = bf.score_diagram(truth, _diagram(truth, nodes=gone))
    assert s.nodes_ok == s.nodes - 1 and s.edges_ok < s.edges
    assert s.bad_nodes[0][1] == "<missing>"


def test_junctions_are_bridged_and_free_text_is_an_extra_node():
    truth = _truth(3)
    d = truth["diagram"]
    e0 = d.edges[0]
    j = DiagramNode(999, "", (0, 0, 1, 1), "junction")
    note = DiagramNode(998, "56x56x64", (-50, -50, -40, -45), "text")
    edges = (DiagramEdge(e0.src, 999), DiagramEdge(999, e0.dst), *d.edges[1:])
    s = bf.score_diagram(truth, _diagram(truth, nodes=(*d.nodes, j, note), edges=edges))
    assert s.exact and s.extra_nodes == 1


def test_end_to_end_compares_layers_with_what_labels_state():
    truth = _truth(4)
    ok, why = bf.end_to_end(truth, truth["diagram"])
    assert ok, why
    edges = truth["diagram"].edges
    ok, _ = bf.end_to_end(truth, _diagram(truth, edges=edges[: len(edges) // 2]))
    assert not ok


@pytest.mark.parametrize("fmt", ["pdf"])
def test_small_vector_run_and_report(fmt):
    results = [r for i in range(5) for r in bf.run_one(i, 0, (fmt,))]
    assert len(results) == 5 and not any(r.error for r in results)
    for r in results:
        assert 0 <= r.score.nodes_ok <= r.score.nodes and 0 <= r.score.edges_ok <= r.score.edges
        assert 0 < r.seconds < 5
    summary = bf.summarise(results)
    agg = summary["formats"][fmt]
    assert agg["figures"] == 5 and 0.0 <= agg["exact"] <= 1.0
    assert set(summary["dimensions"][fmt]) >= {"head", "direction", "fill", "phrasing"}
    out = io.StringIO()
    bf.print_table(summary, file=out)
    assert "vector reader" in out.getvalue()


def test_a_run_can_vary_a_raster_threshold():
    tuned = bf.raster_settings([])
    varied = bf.raster_settings(["boxes.frame_cover=0.3", "arrows.min_connector_px = 7"])
    assert varied.boxes.frame_cover == 0.3 and varied.arrows.min_connector_px == 7
    assert varied.text == tuned.text and tuned.boxes.frame_cover != 0.3
    with pytest.raises(ValueError, match="BoxSettings has no field 'nope'"):
        bf.raster_settings(["boxes.nope=1"])
    with pytest.raises(ValueError, match="no raster stage 'ocr'"):
        bf.raster_settings(["ocr.x=1"])
