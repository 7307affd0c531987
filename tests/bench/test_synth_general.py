"""The generalisation benchmark (bench/synth_general.py, bench/bench_general.py): figures are
reproducible, their truth checks, held-out values stay out of `tune` and are in every
`heldout` figure, every factor value can be drawn, and the scorer rejects wrong answers."""

from __future__ import annotations

import random

import bench_general as bg
import pymupdf
import synth_general as sg

import papercc

MODEL = """model m(image: f32[N, 3, 8, 8]) {
  v0 = conv2d(image, 4, kernel=3, padding=1)
  v1 = relu(v0)
  v2 = conv2d(v1, 4, kernel=3, padding=1)
  v3 = add(v2, v1)
  v4 = flatten(v3)
  v5 = dense(v4, 10)
  return v5
}
"""


def _graph(text: str):
    result = papercc.check(text)
    assert result.ok, result.diagnostics
    return next(iter(result.graphs.values()))


def _truth(text: str) -> dict:
    return sg.graph_truth(_graph(text))


def test_same_seed_same_bytes() -> None:
    a = sg.make_figure(1, 3, "tune", "png")  # small figures (a JPEG-degraded one)
    b = sg.make_figure(1, 3, "tune", "png")
    assert a.data == b.data and a.data[:4] == b"\x89PNG"
    assert a.style == b.style and a.dlir == b.dlir
    assert sg.make_figure(3, 3, "heldout", "vectorpdf").data == (
        sg.make_figure(3, 3, "heldout", "vectorpdf").data
    )
    assert sg.make_figure(3, 3, "tune", "png").data != a.data


def test_truth_models_check_and_match_their_graphs() -> None:
    for seed in range(6):
        text, graph = sg.truth_model(seed)
        result = papercc.check(text)
        assert result.ok, result.diagnostics
        assert 3 <= len(graph.nodes) <= 40
        assert graph.params is not None and graph.params <= sg.MAX_PARAMS
        truth = sg.graph_truth(graph)
        assert bg.compare(truth, next(iter(result.graphs.values())))[:2] == (True, True)


def test_a_pdf_figure_is_a_page_with_its_caption_and_the_labels_as_text() -> None:
    fig = sg.make_figure(0, 0, "tune", "vectorpdf")
    with pymupdf.open("pdf", fig.data) as doc:
        text = doc[0].get_text()
        assert "Figure 1:" in text and doc[0].get_drawings()
    fig = sg.make_figure(0, 0, "tune", "rasterpdf")
    with pymupdf.open("pdf", fig.data) as doc:
        assert doc[0].get_images() and "Figure 1:" in doc[0].get_text()


def test_held_out_values_never_in_tune_and_in_every_heldout_style() -> None:
    rng = random.Random(7)
    for _ in range(300):
        style = sg.draw_style(rng, "tune")
        assert sg.held_out_used(style) == []
        style = sg.draw_style(rng, "heldout")
        assert sg.held_out_used(style), style
    for i in range(3):  # what a figure records is what it drew
        assert sg.make_figure(i, 0, "heldout", "vectorpdf").held_out
        assert not sg.make_figure(i, 0, "tune", "vectorpdf").held_out


def test_every_factor_value_can_be_drawn() -> None:
    rng = random.Random(3)
    seen: dict[str, set] = {k: set() for k in sg.FACTORS}
    for i in range(600):
        style = sg.draw_style(rng, ("tune", "heldout")[i % 2])
        for k in sg.FACTORS:
            seen[k].add(style[k])
    for k, values in sg.FACTORS.items():
        assert seen[k] == set(values), k
    for kind in sg.HELD_OUT:
        assert kind in sg.FACTORS and set(sg.HELD_OUT[kind]) <= set(sg.FACTORS[kind])


def test_negatives_are_drawn() -> None:
    for i, kind in enumerate(sg.NEGATIVE_KINDS):
        for fmt in ("png", "vectorpdf"):
            neg = sg.make_negative(i, 0, fmt)
            assert neg.kind == kind and len(neg.data) > 1000


def test_the_scorer_accepts_the_truth_and_rejects_a_changed_op_edge_or_attribute() -> None:
    truth = _truth(MODEL)
    assert bg.compare(truth, _graph(MODEL))[:2] == (True, True)
    same = MODEL.replace("kernel=3, padding=1)\n  v1", 'kernel=3, padding="same")\n  v1')
    assert bg.compare(truth, _graph(same))[:2] == (True, True)
    wrong_op = MODEL.replace("relu(v0)", "sigmoid(v0)")
    assert bg.compare(truth, _graph(wrong_op))[0] is False
    wrong_edge = MODEL.replace("add(v2, v1)", "add(v2, v0)")
    assert bg.compare(truth, _graph(wrong_edge))[0] is False
    wrong_attr = MODEL.replace(
        "v2 = conv2d(v1, 4, kernel=3, padding=1)", "v2 = conv2d(v1, 4, kernel=5, padding=2)"
    )
    assert bg.compare(truth, _graph(wrong_attr))[:2] == (True, False)


def test_a_plausible_wrong_model_is_scored_dishonest() -> None:
    fig = sg.make_figure(0, 0, "tune", "png")
    good = bg.Compiled(0, [_graph(fig.dlir)], text=fig.dlir)
    r = bg.score(fig, good)
    assert r.exact_graph and r.exact_model and r.exports and r.honest
    wrong = fig.dlir.replace("relu(", "sigmoid(", 1)
    assert wrong != fig.dlir
    r = bg.score(fig, bg.Compiled(0, [_graph(wrong)], text=wrong))
    assert not r.exact_graph and not r.honest
    r = bg.score(fig, bg.Compiled(0, [_graph(wrong)], holes=2, text=wrong))
    assert not r.exact_graph and r.honest
    r = bg.score(fig, bg.Compiled(bg.EXIT_NO_MODEL))
    assert not r.exact_graph and r.honest


def test_the_generator_is_independent_of_papercc_s_renderer_and_readers() -> None:
    import ast

    tree = ast.parse(open(sg.__file__, encoding="utf-8").read())
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert "papercc" in names  # the checker, for the truth
    assert not [n for n in names if n.startswith(("papercc.compiler", "bench_figures"))]
