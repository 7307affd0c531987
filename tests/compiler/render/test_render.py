"""`papercc render`: zoo renders in every format, label round trips through the phrase
reader, ground-truth edges, determinism, hostile names, layout sanity, the CLI."""

from __future__ import annotations

import io
import json
import random
import xml.etree.ElementTree as ET
from dataclasses import replace
from functools import cache
from pathlib import Path

import pymupdf
import pytest
from click.testing import CliRunner
from paths import ZOO
from PIL import Image

import papercc
from papercc.compiler.cli.main import main
from papercc.compiler.phrases import parse_phrase
from papercc.compiler.render.boxes import wrap_label
from papercc.compiler.render.draw import render, truth_json
from papercc.compiler.render.labels import PHRASINGS, box_label, input_phrase
from papercc.compiler.render.style import (
    CHOICES,
    Style,
    distinct_styles,
    horizontal,
    random_style,
    style_named,
    vertical,
)

ZOO = sorted((ZOO).glob("*.dlir"))
SMALL = [p for p in ZOO if p.stem in ("lenet5", "alexnet", "vgg16", "lstm_captioner", "unet")]
BIG = ("densenet121", "inception_v3")
ZOO_MARKED = [pytest.param(p, marks=pytest.mark.slow) if p.stem in BIG else p for p in ZOO]


@cache
def _graph(path: Path):
    return next(iter(papercc.check(papercc.load(path)).graphs.values()))


def graph(path: Path):
    """A fresh graph (tests that rename nodes must not touch the cached one)."""
    return next(iter(papercc.check(papercc.load(path)).graphs.values()))


def _rank(op: str) -> int:
    return int(op[-2]) if op[-1:] == "d" and op[-2:-1] in "123" else 2


def _read_back(text: str, rank: int = 2) -> list:
    p = parse_phrase(text, rank=rank)
    assert p.recognised, (text, p.notes)
    return [(layer.op, layer.attrs) for layer in p.layers]


# ---------------------------------------------------------------- labels

LAYERS = [
    ("conv2d", dict(out=64, kernel=3, stride=2, padding=1)),
    ("conv2d", dict(out=64, kernel=7, stride=2, padding=3)),
    ("conv2d", dict(out=192, kernel=(1, 7), stride=1, padding=(0, 3))),
    ("conv2d", dict(out=64, kernel=3, stride=1, dilation=2, groups=2)),
    ("conv2d", dict(out=64, kernel=3, stride=(1, 2))),
    ("conv1d", dict(out=64, kernel=3, stride=2)),
    ("conv3d", dict(out=32, kernel=3, stride=1)),
    ("depthwise_conv2d", dict(kernel=3, stride=2)),
    ("conv_transpose2d", dict(out=64, kernel=2, stride=2)),
    ("conv_transpose2d", dict(out=64, kernel=4, stride=2, padding=1)),
    ("maxpool2d", dict(kernel=3, stride=2, padding=1)),
    ("maxpool2d", dict(kernel=2, stride=2)),
    ("avgpool2d", dict(kernel=2, stride=2)),
    ("avgpool2d", dict(kernel=3, stride=1, padding=1)),
    ("maxpool1d", dict(kernel=2, stride=2)),
    ("maxpool3d", dict(kernel=2, stride=2)),
    ("globalavgpool", {}),
    ("globalmaxpool", {}),
    ("adaptive_avgpool2d", dict(output=6)),
    ("adaptive_maxpool2d", dict(output=(7, 7))),
    ("dense", dict(units=1000)),
    ("dense", dict(units=10)),
    ("dropout", dict(rate=0.5)),
    ("dropout", dict(rate=0.2)),
    ("groupnorm", dict(groups=32)),
    ("lrn", dict(size=5)),
    ("lrn", dict(size=3)),
    ("leaky_relu", dict(alpha=0.1)),
    ("embedding", dict(num=1000, dim=512)),
    ("attention", dict(heads=8)),
    ("lstm", dict(hidden=512, layers=2, bidirectional=True)),
    ("gru", dict(hidden=256)),
    ("upsample", dict(scale=2, mode="nearest")),
    ("upsample", dict(scale=2, mode="bilinear")),
    ("zeropad2d", dict(padding=1)),
] + [
    (op, {})
    for op in (
        "flatten batchnorm layernorm relu relu6 prelu elu selu gelu sigmoid tanh softmax "
        "log_softmax silu hardswish hardsigmoid concat add mul identity reshape center_crop"
    ).split()
]


@pytest.mark.parametrize("phrasing", PHRASINGS)
@pytest.mark.parametrize("lower", [False, True])
def test_every_phrasing_reads_back(phrasing, lower):
    for op, attrs in LAYERS:
        label = box_label([(op, attrs)], phrasing, lower=lower)
        assert label.readable
        assert _read_back(label.text, _rank(op)) == list(label.layers), (phrasing, op, label.text)


@pytest.mark.parametrize("phrasing", PHRASINGS)
@pytest.mark.parametrize("joiner", [", ", " + "])
def test_merged_labels_read_back(phrasing, joiner):
    groups = [
        [("conv2d", dict(out=64, kernel=3, stride=2)), ("batchnorm", {}), ("relu", {})],
        [("conv2d", dict(out=32, kernel=1)), ("relu6", {})],
        [("dense", dict(units=10)), ("softmax", {})],
        [("depthwise_conv2d", dict(kernel=3, stride=1)), ("batchnorm", {}), ("hardswish", {})],
    ]
    for layers in groups:
        label = box_label(layers, phrasing, joiner)
        assert _read_back(label.text) == list(label.layers), label.text


@pytest.mark.parametrize("phrasing", PHRASINGS)
def test_input_labels_read_back(phrasing):
    for shape in [("N", 3, 224, 224), ("N", 1, 28, 28), ("N", 784), ("N", "T")]:
        text, stated = input_phrase(shape, phrasing)
        assert _read_back(text) == [("input", tuple(sorted(stated.items())))], text


def test_examples_from_papers():
    conv = [("conv2d", dict(out=64, kernel=3, stride=2))]
    texts = {p: box_label(conv, p).text for p in PHRASINGS}
    assert texts["resnet"] == "3x3 conv, 64, /2"
    assert texts["caffe"] == "Conv 3x3, 64, stride 2"
    assert texts["vgg"] == "conv3-64/2"
    assert texts["compact"] == "Conv 3×3/2 (64)"
    assert texts["verbose"] == "Convolution 3x3 /2 64"
    relu = box_label([("conv2d", dict(out=64, kernel=3)), ("relu", {})], "caffe", " + ")
    assert relu.text == "Conv 3x3, 64 + ReLU"


def test_holes_are_question_marks():
    from papercc.ir.values import HOLE

    label = box_label([("conv2d", dict(out=HOLE, kernel=3, stride=HOLE))], "resnet")
    assert "?" in label.text
    assert dict(label.layers[0][1]) == {"kernel": (3, 3)}


def test_wrap_label_gives_the_text_back():
    for text in ["Conv 3x3, 64, stride 2, pad 3 + BatchNorm + ReLU", "Fully connected 1000", "+"]:
        for width in (0, 6, 10, 14, 30):
            lines = wrap_label(text, width)
            assert " ".join(lines) == text


# ---------------------------------------------------------------- styles


def test_random_styles_are_reproducible_and_varied():
    a = [random_style(random.Random(s)) for s in range(200)]
    b = [random_style(random.Random(s)) for s in range(200)]
    assert a == b
    for name, values in CHOICES.items():
        assert {getattr(s, name) for s in a} == set(values), name
    assert distinct_styles() > 1_000_000
    assert style_named("random", 3) == a[3]
    assert style_named("vertical") == vertical() and style_named("horizontal") == horizontal()


def test_bad_styles_are_value_errors():
    for kwargs in ({"direction": "diagonal"}, {"font_size": -1}, {"scale": float("nan")},
                   {"jpeg_quality": 0}, {"phrasing": "klingon"}):  # fmt: skip
        with pytest.raises(ValueError):
            Style(**kwargs)
    with pytest.raises(ValueError):
        style_named("fancy")
    with pytest.raises(ValueError):
        render(_graph(SMALL[0]), vertical(), "gif")


# ---------------------------------------------------------------- rendering


def _check_png(r, fmt="png"):
    img = Image.open(io.BytesIO(r.data))
    img.load()
    assert img.format == ("PNG" if fmt == "png" else "JPEG")
    w, h = img.size
    assert 50 <= w <= 30000 and 50 <= h <= 60000
    assert abs(w - r.truth["size"][0]) <= 2 and abs(h - r.truth["size"][1]) <= 2
    for box in r.truth["boxes"]:
        x0, y0, x1, y1 = box["bbox"]
        assert 0 <= x0 < x1 <= w + 1 and 0 <= y0 < y1 <= h + 1


def _check_svg(r):
    root = ET.fromstring(r.data)
    texts = [
        t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("class") != "note"
    ]
    assert texts == [line for b in r.truth["boxes"] for line in b["lines"]]


def _check_pdf(r):
    with pymupdf.open("pdf", r.data) as doc:
        text = doc[0].get_text()
        words = set(text.split())
        assert len(doc[0].get_drawings()) >= len(r.truth["boxes"])
    for box in r.truth["boxes"]:
        if box["shape"] == "circle" and r.truth["style"]["plus"] == "strokes":
            continue
        for word in box["text"].split():
            assert word in words, (word, box["text"])


@pytest.mark.parametrize("path", ZOO_MARKED, ids=lambda p: p.stem)
def test_zoo_renders_svg_and_pdf(path):
    g = _graph(path)
    for style in (vertical(), horizontal(), style_named("random", len(path.stem))):
        _check_svg(render(g, style, "svg"))
        _check_pdf(render(g, style, "pdf"))


@pytest.mark.parametrize("path", ZOO, ids=lambda p: p.stem)
def test_zoo_renders_png(path):
    g = _graph(path)
    _check_png(render(g, replace(vertical(), scale=1.0), "png"))


@pytest.mark.parametrize("path", SMALL, ids=lambda p: p.stem)
def test_small_models_render_raster_in_random_styles(path):
    g = _graph(path)
    for seed in range(2):
        style = style_named("random", seed)
        style = replace(style, scale=min(style.scale, 1.5))
        _check_png(render(g, style, "png"))
        _check_png(render(g, style, "jpeg"), "jpeg")


def _flow_edges(g, truth) -> set[tuple[int, int]]:
    """Box edges computed straight from the graph: producer's box -> consumer's box,
    passing through layers that are not drawn."""
    box_of = {}
    for box in truth["boxes"]:
        for layer in box["layers"]:
            box_of[layer["name"]] = box["id"]
    inputs = {v.name for v in g.inputs}

    def source(value):
        if value.producer is None:
            return box_of.get(value.name) if value.name in inputs else None
        node = value.producer
        if node.name in box_of:
            return box_of[node.name]
        return source(node.inputs[0])  # an omitted layer passes its input on

    edges = set()
    for node in g.nodes:
        if node.name not in box_of:
            continue
        for value in node.inputs:
            src = source(value)
            if src is not None and src != box_of[node.name]:
                edges.add((src, box_of[node.name]))
    return edges


@pytest.mark.parametrize("path", ZOO, ids=lambda p: p.stem)
def test_truth_edges_are_the_data_flow(path):
    g = _graph(path)
    styles = [vertical(), replace(vertical(), merge=False, show_input=False),
              replace(horizontal(), omit=("flatten", "dropout"))]  # fmt: skip
    for style in styles:
        truth = render(g, style, "svg").truth
        edges = {tuple(e) for e in truth["edges"]}
        assert edges == _flow_edges(g, truth)
        diagram = truth["diagram"]
        assert {(e.src, e.dst) for e in diagram.edges} == edges
        assert [n.text for n in diagram.nodes] == [b["text"] for b in truth["boxes"]]
        drawn = [layer["name"] for b in truth["boxes"] for layer in b["layers"]]
        assert len(drawn) == len(set(drawn))
        json.loads(truth_json(truth))


@pytest.mark.parametrize("path", ZOO, ids=lambda p: p.stem)
def test_truth_labels_read_back(path):
    """Every box label the renderer draws reads back to what the truth says it states."""
    g = _graph(path)
    for style in (vertical(), horizontal(), style_named("random", 7)):
        for box in render(g, style, "svg").truth["boxes"]:
            if not box["readable"] or box["shape"] == "circle":
                continue
            rank = _rank(box["layers"][0]["op"])
            got = parse_phrase(box["text"], rank=rank)
            want = [
                (layer["op"], {k: tuple(v) if isinstance(v, list) else v
                               for k, v in layer["stated"].items()})
                for layer in box["layers"]
            ]  # fmt: skip
            assert [(x.op, x.attr_dict) for x in got.layers] == want, box["text"]


def _overlaps(a, b) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


@pytest.mark.parametrize("path", ZOO, ids=lambda p: p.stem)
def test_boxes_never_overlap_and_edges_touch_their_boxes(path):
    g = _graph(path)
    for style in (vertical(), horizontal(), replace(vertical(), direction="up", skip_side="left")):
        truth = render(g, style, "svg").truth
        boxes = [b["bbox"] for b in truth["boxes"]]
        order = sorted(range(len(boxes)), key=lambda i: boxes[i][1])
        for n, i in enumerate(order):  # sweep along y
            for j in order[n + 1 :]:
                if boxes[j][1] >= boxes[i][3]:
                    break
                assert not _overlaps(boxes[i], boxes[j]), (i, j)


def test_edge_polylines_start_and_end_at_their_boxes():
    from papercc.compiler.render.draw import pil_measure, scene

    for path in SMALL + [p for p in ZOO if p.stem in ("resnet18", "googlenet")]:
        for style in (vertical(), horizontal()):
            boxes, drawn, lay = scene(
                _graph(path), style, lambda t, s=style: pil_measure(s, s.font_file()), False
            )
            bbox = {d.box.id: d.bbox for d in drawn}
            for s, d, pts in lay.edges:
                for box_id, (x, y) in ((s, pts[0]), (d, pts[-1])):
                    x0, y0, x1, y1 = bbox[box_id]
                    assert x0 - 1 <= x <= x1 + 1 and y0 - 1 <= y <= y1 + 1, (path.stem, s, d)


def test_deterministic_for_a_seed():
    g = _graph(SMALL[0])
    for fmt in ("png", "jpeg", "svg", "pdf"):
        a = render(g, style_named("random", 11), fmt)
        b = render(g, style_named("random", 11), fmt)
        assert a.data == b.data and truth_json(a.truth) == truth_json(b.truth)
    assert render(g, style_named("random", 12), "svg").data != a.data or True


HOSTILE = ['<script>alert("x")</script>', "a&b;c", "]]>", "\x00\x1b[31m", "名前 ✓ \U0001f600", "'"]


def test_hostile_names_do_not_break_svg_or_pdf():
    g = graph(next(p for p in ZOO if p.stem == "lenet5"))
    for i, node in enumerate(g.nodes):
        node.name = HOSTILE[i % len(HOSTILE)] + f"名{i}"
    for style in (
        vertical(),
        replace(horizontal(), font="serif"),
        replace(vertical(), font="mono"),
    ):
        svg = render(g, style, "svg", show_names=True)
        root = ET.fromstring(svg.data)  # escaped, no control characters
        assert any(
            "<script>" in (t.text or "") for t in root.iter("{http://www.w3.org/2000/svg}text")
        )
        pdf = render(g, style, "pdf", show_names=True)
        with pymupdf.open("pdf", pdf.data) as doc:
            text = doc[0].get_text()
        assert "<script>alert" in text and "]]>" in text
        for box in pdf.truth["boxes"][1:]:
            name = box["lines"][0]
            assert name[name.index("名") :] in text
        png = render(g, style, "png", show_names=True)
        Image.open(io.BytesIO(png.data)).load()
        json.loads(truth_json(pdf.truth))


# ---------------------------------------------------------------- CLI

HOLES = """model m(x: f32[N, 3, 32, 32]) -> f32[N, 10] {
  y = relu(conv2d(x, ?, kernel=3, padding=1))
  y = maxpool2d(y, kernel=?, stride=2)
  return dense(flatten(y), 10)
}
"""


def test_cli_renders_every_format(tmp_path):
    runner = CliRunner()
    src = str(next(p for p in ZOO if p.stem == "lenet5"))
    for name in ("a.png", "a.jpg", "a.svg", "a.pdf"):
        out = tmp_path / name
        res = runner.invoke(
            main, ["render", src, "-o", str(out), "--style", "random", "--seed", "4"]
        )
        assert res.exit_code == 0, res.output
        assert out.stat().st_size > 100
    truth = tmp_path / "t.json"
    res = runner.invoke(main, ["render", src, "-o", str(tmp_path / "b.svg"), "--truth", str(truth)])
    assert res.exit_code == 0 and json.loads(truth.read_text())["model"] == "lenet5"


def test_cli_errors(tmp_path):
    runner = CliRunner()
    src = str(next(p for p in ZOO if p.stem == "lenet5"))
    assert runner.invoke(main, ["render", src, "-o", str(tmp_path / "a.gif")]).exit_code == 2
    assert runner.invoke(main, ["render", src, "-o", str(tmp_path / "no" / "a.png")]).exit_code == 2
    bad = runner.invoke(main, ["render", src, "--model", "nope", "-o", str(tmp_path / "a.png")])
    assert bad.exit_code == 2
    missing = runner.invoke(main, ["render", str(tmp_path / "none.dlir"), "-o", "x.png"])
    assert missing.exit_code == 2


def test_cli_model_with_holes_draws_question_marks(tmp_path):
    src = tmp_path / "holes.dlir"
    src.write_text(HOLES)
    truth = tmp_path / "t.json"
    res = CliRunner().invoke(
        main, ["render", str(src), "-o", str(tmp_path / "h.svg"), "--truth", str(truth)]
    )
    assert res.exit_code == 0, res.output
    texts = [b["text"] for b in json.loads(truth.read_text())["boxes"]]
    assert any("?" in t and "conv" in t for t in texts) and any(
        "?" in t and "pool" in t for t in texts
    )


def test_window_draws_a_block_with_its_inputs():
    from papercc.compiler.render.boxes import window

    g = window(_graph(next(p for p in ZOO if p.stem == "inception_v3")), 100, 40)
    truth = render(g, horizontal(), "svg").truth
    assert truth["boxes"][0]["layers"][0]["op"] == "input"
    assert {tuple(e) for e in truth["edges"]} == _flow_edges(g, truth)
    with pytest.raises(ValueError):
        window(g, 500, 3)
    res = CliRunner().invoke(main, ["render", str(ZOO[0]), "-o", "x.png", "--layers", "nope"])
    assert res.exit_code == 2


def test_input_without_shape():
    truth = render(_graph(SMALL[0]), replace(vertical(), input_shape=False), "svg").truth
    assert truth["boxes"][0]["text"] == "input"


def _match(truth, diagram) -> dict[int, int]:
    """Parsed node id -> truth box id, by bbox overlap."""
    out = {}
    for n in diagram.nodes:
        for b in truth["boxes"]:
            x0, y0, x1, y1 = b["bbox"]
            cx, cy = (n.bbox[0] + n.bbox[2]) / 2, (n.bbox[1] + n.bbox[3]) / 2
            if x0 <= cx <= x1 and y0 <= cy <= y1:
                out[n.id] = b["id"]
    return out


@pytest.mark.parametrize("stem", ["lenet5", "resnet18", "googlenet"])
def test_vector_reader_reads_the_pdf_back(stem):
    """The vector figure reader recovers the drawn boxes, texts and edges of a PDF render."""
    from papercc.compiler.vector.diagram import extract_vector_diagram

    r = render(_graph(next(p for p in ZOO if p.stem == stem)), vertical(), "pdf")
    with pymupdf.open("pdf", r.data) as doc:
        diagram = extract_vector_diagram(doc[0])
    match = _match(r.truth, diagram)
    texts = {b["id"]: b["text"] for b in r.truth["boxes"]}
    assert sorted(match.values()) == sorted(texts)
    assert all(" ".join(n.text.split()) == texts[match[n.id]] for n in diagram.nodes)
    found = {(match[e.src], match[e.dst]) for e in diagram.edges}
    assert found == {tuple(e) for e in r.truth["edges"]}


def test_group_frames_hold_only_their_boxes():
    for stem, depth in (("resnet18", 2), ("googlenet", 1), ("mobilenet_v2", 1)):
        g = _graph(next(p for p in ZOO if p.stem == stem))
        for style in (replace(vertical(), groups=depth), replace(horizontal(), groups=depth)):
            truth = render(g, style, "svg").truth
            assert truth["groups"], stem
            for group in truth["groups"]:
                x0, y0, x1, y1 = group["bbox"]
                for box in truth["boxes"]:
                    bx0, by0, bx1, by1 = box["bbox"]
                    inside = x0 <= bx0 and bx1 <= x1 and y0 <= by0 and by1 <= y1
                    meets = bx0 <= x1 and x0 <= bx1 and by0 <= y1 and y0 <= by1
                    assert inside if box["id"] in group["boxes"] else not meets


def test_bold_fonts_render_everywhere():
    g = _graph(SMALL[0])
    for font in ("sans", "serif", "mono", "default"):
        style = replace(vertical(), font=font, bold=True)
        _check_svg(render(g, style, "svg"))
        _check_pdf(render(g, style, "pdf"))
        _check_png(render(g, style, "png"))


def test_size_notes_sit_beside_edges_clear_of_boxes():
    g = _graph(next(p for p in ZOO if p.stem == "vgg16"))
    for fmt in ("svg", "pdf", "png"):
        truth = render(g, replace(vertical(), edge_shapes=True), fmt).truth
        assert len(truth["notes"]) >= len(truth["boxes"]) - 2
        assert truth["notes"][0]["text"] == "224×224×3"
        for note in truth["notes"]:
            assert not any(_overlaps(note["bbox"], b["bbox"]) for b in truth["boxes"])
    with pymupdf.open("pdf", render(g, replace(vertical(), edge_shapes=True), "pdf").data) as doc:
        assert "112×112×128" in doc[0].get_text()


def test_builtin_font_labels_with_times_sign_are_drawn_in_a_font_that_has_it():
    """PIL's built-in font has no "×": such labels fall back to DejaVu Sans (never a
    missing-glyph box), while ASCII labels keep the built-in font."""
    from papercc.compiler.render.draw import raster_font_file
    from papercc.compiler.render.style import FONT_FILES

    style = replace(vertical(), font="default")
    assert raster_font_file(style, ["conv 3x3, 64"]) is None
    assert raster_font_file(style, ["conv 3×3, 64"]) == FONT_FILES["sans"]
    serif = replace(vertical(), font="serif")
    assert raster_font_file(serif, ["conv 3×3"]) == serif.font_file()


def test_rounded_corners_stay_clear_of_the_label():
    """A rounded box's corner radius is at most its label padding, so the arcs never
    cut into the first or last line of a tall, wrapped label."""
    g = _graph(next(p for p in ZOO if p.stem == "vgg16"))
    style = replace(vertical(), shape="rounded", wrap=14, pad=4.0)
    root = ET.fromstring(render(g, style, "svg").data)
    tall = [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("data-box")]
    radii = [float(r.get("rx")) for r in tall]
    assert tall and max(float(r.get("height")) for r in tall) > 4 * style.pad
    assert radii and max(radii) <= style.pad + 1e-6
