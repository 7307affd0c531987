"""Lowering figure diagrams to DLIR, and `papercc compile` on figures and PDFs."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from click.testing import CliRunner
from paths import PAPERS

import papercc
from papercc.compiler.cli.main import main
from papercc.compiler.diagram.graph import Diagram, DiagramEdge, DiagramNode
from papercc.compiler.lower.diagram import caption_block_names, lower_diagram
from papercc.compiler.lower.graph import topological
from papercc.ir.syntax import Assign, Call, Definition, Module, Repeat, Return

# ---------------------------------------------------------------- helpers


def diagram(texts, edges, shapes=None, source=None, direction="down", conf=None, cols=None):
    """Boxes stacked along the flow (ids in the given order), in columns `cols` (default 0)."""
    shapes, cols = shapes or {}, cols or {}
    nodes = tuple(
        DiagramNode(
            i,
            t,
            (10.0 + 60 * cols.get(i, 0), 10.0 + 30 * i, 60.0 + 60 * cols.get(i, 0), 30.0 + 30 * i),
            shapes.get(i, "rect"),
        )
        for i, t in enumerate(texts)
    )
    conf = conf or {}
    es = tuple(DiagramEdge(a, b, conf.get((a, b), 1.0)) for a, b in edges)
    return Diagram(nodes, es, source if source is not None else {}, direction)


def _strip(expr):
    if isinstance(expr, Call):
        return Call(expr.callee, tuple(_strip(a) for a in expr.args), expr.kwargs, expr.label)
    if isinstance(expr, Repeat):
        return Repeat(expr.count, _strip(expr.call))
    return expr


def bare(module: Module) -> str:
    """The module's text without provenance and comments: what the tests compare."""
    defs = []
    for d in module.definitions:
        body = tuple(
            Assign(s.targets, _strip(s.value)) if isinstance(s, Assign) else Return(s.values)
            for s in d.body
        )
        defs.append(Definition(d.kind, d.name, d.params, d.returns, body))
    return papercc.format(Module(tuple(defs)))


def calls(definition: Definition) -> list[Call]:
    out = []

    def walk(e):
        if isinstance(e, Repeat):
            walk(e.call)
        elif isinstance(e, Call):
            for a in e.args:
                walk(a)
            out.append(e)

    for s in definition.body:
        if isinstance(s, Assign):
            walk(s.value)
    return out


def kw(call: Call) -> dict:
    return {k: _lit(v) for k, v in call.kwargs}


def _lit(v):
    from papercc.ir.syntax import Hole, Literal, TupleExpr

    if isinstance(v, Literal):
        return v.value
    if isinstance(v, Hole):
        return "?"
    if isinstance(v, TupleExpr):
        return tuple(_lit(i) for i in v.items)
    return v


def graph_of(lowered, name=None):
    assert lowered.graphs, [d.header() for d in lowered.diagnostics]
    return lowered.graphs[name] if name else next(iter(lowered.graphs.values()))


# ---------------------------------------------------------------- synthetic diagrams


def test_chain_lowered_exactly():
    d = diagram(
        ["Input (32x32x3)", "3x3 conv, 64", "max pool 2x2, /2", "fc 10", "softmax"],
        [(0, 1), (1, 2), (2, 3), (3, 4)],
    )
    lo = lower_diagram(d, name="net")
    assert bare(lo.module) == (
        "model net(input: f32[N, 3, 32, 32]) {\n"
        '  x = conv2d(input, 64, kernel=3, padding="same")\n'
        '  x = maxpool2d(x, kernel=2, stride=2, padding="same")\n'
        "  x = flatten(x)\n"
        "  x = dense(x, 10)\n"
        "  x = softmax(x)\n"
        "  return x\n"
        "}\n"
    )
    assert lo.ok and lo.holes == 0 and lo.layers == 5
    g = graph_of(lo)
    assert str(g.outputs[0].type) == "f32[N, 10]"
    # round trip: printed text parses back to the same module
    text = papercc.format(lo.module)
    assert papercc.format(papercc.parse(text)) == text


def test_inception_like_branches_concat():
    d = diagram(
        [
            "Previous layer",
            "1x1 conv, 64",
            "1x1 conv, 96",
            "3x3 conv, 128",
            "max pool 3x3",
            "1x1 conv, 32",
            "Filter concat",
        ],
        [(0, 1), (0, 2), (2, 3), (0, 4), (4, 5), (1, 6), (3, 6), (5, 6)],
        cols={1: 0, 2: 1, 3: 1, 4: 2, 5: 2},
    )
    lo = lower_diagram(d, name="inc", input_shape=(192, 28, 28))
    assert bare(lo.module) == (
        "model inc(x: f32[N, 192, 28, 28]) {\n"
        '  x1 = conv2d(x, 64, kernel=1, padding="same")\n'
        '  x2 = conv2d(x, 96, kernel=1, padding="same")\n'
        '  x2 = conv2d(x2, 128, kernel=3, padding="same")\n'
        '  x4 = maxpool2d(x, kernel=3, stride=1, padding="same")\n'
        '  x4 = conv2d(x4, 32, kernel=1, padding="same")\n'
        "  x6 = concat(x1, x2, x4)\n"
        "  return x6\n"
        "}\n"
    )
    assert str(graph_of(lo).outputs[0].type) == "f32[N, 224, 28, 28]"
    assert any("read as the input" in f.message for f in lo.findings)


def test_residual_add_at_a_junction():
    d = diagram(
        ["Input (56x56x64)", "3x3 conv, 64", "3x3 conv, 64", "", "relu"],
        [(0, 1), (1, 2), (2, 3), (0, 3), (3, 4)],
        shapes={3: "junction"},
    )
    lo = lower_diagram(d, name="res")
    assert bare(lo.module) == (
        "model res(input: f32[N, 64, 56, 56]) {\n"
        '  x = conv2d(input, 64, kernel=3, padding="same")\n'
        '  x = conv2d(x, 64, kernel=3, padding="same")\n'
        "  x3 = add(input, x)\n"
        "  x3 = relu(x3)\n"
        "  return x3\n"
        "}\n"
    )
    assert lo.ok and lo.holes == 0


def test_junction_of_different_sizes_is_add_with_reported_projection():
    d = diagram(
        ["Input (56x56x64)", "3x3 conv, 128, /2", "3x3 conv, 128", ""],
        [(0, 1), (1, 2), (2, 3), (0, 3)],
        shapes={3: "junction"},
    )
    lo = lower_diagram(d, name="down")
    text = bare(lo.module)
    assert "input_proj = conv2d(input, 128, kernel=1, stride=2)" in text
    assert "x3 = add(input_proj, x)" in text
    assert any("projection" in f.message and f.severity == "warning" for f in lo.findings)
    assert "projection shortcut: not drawn" in papercc.format(lo.module)  # said in the DLIR
    assert str(graph_of(lo).outputs[0].type) == "f32[N, 128, 28, 28]"


def test_junction_with_different_channels_same_size_is_concat():
    d = diagram(
        ["Input (28x28x64)", "3x3 conv, 32", ""],
        [(0, 1), (1, 2), (0, 2)],
        shapes={2: "junction"},
    )
    lo = lower_diagram(d, name="dense")  # an op name: the model gets another
    assert "x2 = concat(input, x)" in bare(lo.module)
    assert str(graph_of(lo).outputs[0].type) == "f32[N, 96, 28, 28]"


def test_merged_phrase_is_a_chain_and_conv_before_bn_has_no_bias():
    d = diagram(["input", "Conv 3x3 (64) + BN + ReLU"], [(0, 1)])
    lo = lower_diagram(d, name="cbr")
    assert bare(lo.module) == (
        "model cbr(input: f32[N, ?, ?, ?]) {\n"
        '  x = conv2d(input, 64, kernel=3, padding="same", bias=false)\n'
        "  x = batchnorm(x)\n"
        "  x = relu(x)\n"
        "  return x\n"
        "}\n"
    )


def test_holes_and_provenance():
    src = {"file": "paper.pdf", "page": 3, "figure": 2}
    d = diagram(["image", "conv, /2", "pool"], [(0, 1), (1, 2)], source=src)
    lo = lower_diagram(d)
    model = lo.module.models[0]
    assert model.name == "figure2"
    conv, pool = calls(model)
    assert conv.callee == "conv2d" and kw(conv)["out"] == "?"  # out: not in the figure
    assert kw(conv)["kernel"] == "?" and kw(conv)["stride"] == 2
    assert pool.callee == "maxpool2d"  # unstated pool type: reported, never silent
    src_of = dict(conv.src)
    assert _lit(src_of["file"]) == "paper.pdf" and _lit(src_of["page"]) == 3
    assert _lit(src_of["figure"]) == 2 and _lit(src_of["box"]) == 1
    assert _lit(src_of["text"]) == "conv, /2" and len(_lit(src_of["bbox"])) == 4
    assert any("pool type not stated" in f.message for f in lo.findings)
    holes = [x for x in lo.diagnostics if x.code == "hole"]
    assert lo.holes == len(holes) == 3  # conv out, conv kernel, pool kernel
    assert all(x.severity == "warning" for x in holes)
    assert any("box=1" in note for x in holes for _, note in x.notes)
    assert "pool type not stated: max assumed" in papercc.format(lo.module)


def test_unknown_text_is_identity_with_warning_and_comment():
    d = diagram(["input", "frobnicate the zorbs", "fc 10"], [(0, 1), (1, 2)])
    lo = lower_diagram(d, name="u")
    c = calls(lo.module.models[0])
    assert [x.callee for x in c] == ["identity", "flatten", "dense"]
    assert any(f.severity == "warning" and "not understood" in f.message for f in lo.findings)
    assert "# NOT UNDERSTOOD: frobnicate the zorbs" in papercc.format(lo.module)


def test_named_block_is_a_stub_until_linked():
    d = diagram(["Input (35x35x384)", "4 x Inception-A", "Reduction-A"], [(0, 1), (1, 2)])
    lo = lower_diagram(d, name="net")
    assert lo.block_refs == ("inception_a", "reduction_a") and lo.stubs == lo.block_refs
    text = papercc.format(lo.module)
    assert "x = repeat 4 inception_a(input)" in bare(lo.module)
    assert "block inception_a(x)" in text and "stub" in text
    assert lo.ok
    # linking: the body comes from another figure lowered as a block
    body_fig = diagram(
        ["Filter concat", "1x1 conv, 96", "3x3 conv, 384", "Filter concat"],
        [(0, 1), (0, 2), (1, 3), (2, 3)],
    )
    body = lower_diagram(body_fig, as_block="inception_a").module.get("inception_a")
    assert body is not None and body.kind == "block"
    linked = lower_diagram(d, name="net", blocks={"inception_a": body})
    assert linked.stubs == ("reduction_a",)
    g = graph_of(linked, "net")
    assert str(g.outputs[0].type) == "f32[N, 480, 35, 35]"
    assert caption_block_names("Figure 4. This is the Inception-A block of Figure 9.") == (
        "inception_a",
    )


def test_cycle_broken_at_the_least_trusted_arrow():
    d = diagram(
        ["input", "3x3 conv, 8", "3x3 conv, 8", "fc 2"],
        [(0, 1), (1, 2), (2, 1), (2, 3)],
        conf={(2, 1): 0.3},
    )
    order = topological([0, 1, 2, 3], list(d.edges))
    assert order.order == (0, 1, 2, 3) and [(e.src, e.dst) for e in order.dropped] == [(2, 1)]
    lo = lower_diagram(d, name="c")
    assert lo.ok
    assert any("dropped" in f.message and "2 -> 1" in f.message for f in lo.findings)


def test_disconnected_parts_are_separate_models_and_output_labels_name_values():
    d = diagram(
        ["input", "fc 10", "softmax", "softmax0", "image", "3x3 conv, 4", "stray"],
        [(0, 1), (1, 2), (2, 3), (4, 5)],
        shapes={3: "text"},
    )
    lo = lower_diagram(d, name="fig")
    assert [m.name for m in lo.module.models] == ["fig_1", "fig_2"]
    first = bare(lo.module).split("\n\n")[0]
    assert "return softmax0" in first


def test_lowering_never_writes_text_from_the_figure_as_code():
    d = diagram(['input"); import os #', "conv\n3x3, 8 }", "fc 1 @src(x=1)"], [(0, 1), (1, 2)])
    lo = lower_diagram(d, name="evil")
    text = papercc.format(lo.module)
    assert papercc.format(papercc.parse(text)) == text  # still one valid module


# ---------------------------------------------------------------- real vector figures


def _paper_figure(name: str, page: int, number: int):
    from papercc.compiler.lower.figure import figures_from_pdf

    path = PAPERS / name
    if not path.exists():
        pytest.skip(f"{name} not available")
    (fig,) = figures_from_pdf(path, page=page, figure=number, raster=False)
    return fig


def _conv_summary(c: Call):
    return (kw(c).get("kernel"), kw(c)["out"], kw(c).get("stride", 1))


def test_inception_v4_figure4_inception_a():
    fig = _paper_figure("inception_v4_1602.07261.pdf", 4, 4)
    lo = lower_diagram(fig.diagram, name="inception_a", input_shape=(384, 35, 35))
    assert lo.ok and lo.holes == 1  # the avg pool's kernel is not in the figure
    g = graph_of(lo)
    assert str(g.outputs[0].type) == "f32[N, 384, 35, 35]"
    (concat,) = [n for n in g.nodes if n.op == "concat"]
    producers = {id(n.outputs[0]): n for n in g.nodes}

    def branch(v):
        seq = []
        while v.producer is not None:
            n = producers[id(v)]
            k = n.attrs.get("kernel")
            seq.append(
                (n.op, (k, k) if isinstance(k, int) else k, n.attrs.get("out"))
                if n.op == "conv2d"
                else (n.op,)
            )
            v = n.inputs[0]
        return list(reversed(seq))

    branches = sorted(branch(v) for v in concat.inputs)
    assert branches == sorted(
        [
            [("conv2d", (1, 1), 96)],
            [("conv2d", (1, 1), 64), ("conv2d", (3, 3), 96)],
            [("conv2d", (1, 1), 64), ("conv2d", (3, 3), 96), ("conv2d", (3, 3), 96)],
            [("avgpool2d",), ("conv2d", (1, 1), 96)],
        ]
    )


RESNET34 = (
    [((7, 7), 64, 2)]
    + [((3, 3), 64, 1)] * 6
    + [((3, 3), 128, 2)]
    + [((3, 3), 128, 1)] * 7
    + [((3, 3), 256, 2)]
    + [((3, 3), 256, 1)] * 11
    + [((3, 3), 512, 2)]
    + [((3, 3), 512, 1)] * 5
)


def test_resnet_figure3_residual_column_has_34_weighted_layers():
    fig = _paper_figure("resnet_1512.03385.pdf", 4, 3)
    lo = lower_diagram(fig.diagram, name="resnet", input_shape=(3, 224, 224))
    assert lo.ok
    residual = [m for m in lo.module.models if any(c.callee == "add" for c in calls(m))]
    assert len(residual) == 1 and len(lo.module.models) == 3  # VGG-19, plain, residual
    model = residual[0]
    drawn = [c for c in calls(model) if c.src and "text" in dict(c.src)]  # from boxes
    weighted = [c for c in drawn if c.callee in ("conv2d", "dense")]
    assert len(weighted) == 34
    convs = [c for c in weighted if c.callee == "conv2d"]
    assert [
        (
            (kw(c)["kernel"],) * 2 if isinstance(kw(c)["kernel"], int) else kw(c)["kernel"],
            kw(c)["out"],
            kw(c).get("stride", 1),
        )
        for c in convs
    ] == RESNET34
    assert weighted[-1].callee == "dense" and kw(weighted[-1])["units"] == 1000
    adds = [c for c in calls(model) if c.callee == "add"]
    assert len(adds) == 16
    projections = [c for c in calls(model) if c.callee == "conv2d" and "text" not in dict(c.src)]
    assert len(projections) == 3  # where the figure's shortcuts change size (dotted)
    g = graph_of(lo, model.name)
    last_conv = [n for n in g.nodes if n.op == "conv2d"][-1]
    assert str(last_conv.outputs[0].type) == "f32[N, 512, 7, 7]"
    assert str(g.outputs[0].type) == "f32[N, 1000]"


def _dominators(g):
    """Nodes every input-to-output path of the main output passes through, in order."""
    consumers: dict[int, list] = {}
    for n in g.nodes:
        for v in n.inputs:
            consumers.setdefault(id(v), []).append(n)
    target = g.outputs[-1]

    def reaches(skip) -> bool:
        seen, stack = set(), [v for v in g.inputs]
        while stack:
            v = stack.pop()
            if v is target:
                return True
            for n in consumers.get(id(v), []):
                if n is not skip and id(n) not in seen:
                    seen.add(id(n))
                    stack.extend(n.outputs)
        return False

    return [n for n in g.nodes if not reaches(n)]


def test_googlenet_figure3_follows_table1_order():
    fig = _paper_figure("googlenet_cvpr2015.pdf", 6, 3)
    lo = lower_diagram(fig.diagram, name="googlenet")
    assert lo.ok
    g = graph_of(lo)
    assert len(g.outputs) == 3  # softmax0, softmax1 (auxiliary heads), softmax2
    names = {
        "conv2d": "conv",
        "maxpool2d": "maxpool",
        "concat": "inception",
        "avgpool2d": "avgpool",
        "dense": "fc",
        "softmax": "softmax",
    }
    trunk = [names[n.op] for n in _dominators(g) if n.op in names]
    # Table 1: conv 7x7/2, max pool, conv 3x3 (with its 1x1 reduce), max pool,
    # inception 3a 3b, max pool, 4a-4e, max pool, 5a 5b, avg pool, (dropout), linear, softmax
    assert trunk == (
        ["conv", "maxpool", "conv", "conv", "maxpool"]
        + ["inception"] * 2
        + ["maxpool"]
        + ["inception"] * 5
        + ["maxpool"]
        + ["inception"] * 2
        + ["avgpool", "fc", "softmax"]
    )
    concats = [n for n in g.nodes if n.op == "concat"]
    assert len(concats) == 9 and all(len(n.inputs) == 4 for n in concats)
    first = calls(lo.module.models[0])[0]
    assert first.callee == "conv2d" and kw(first)["kernel"] == 7 and kw(first)["stride"] == 2


def test_linking_figures_of_one_paper_gives_blocks_bodies():
    from papercc.compiler.lower.figure import figures_from_pdf, lower_figures

    path = PAPERS / "inception_v4_1602.07261.pdf"
    if not path.exists():
        pytest.skip("paper not available")
    figs = figures_from_pdf(path, page=4, raster=False) + figures_from_pdf(
        path, page=5, figure=9, raster=False
    )
    lo = lower_figures(figs)
    a = lo.module.get("inception_a")
    assert a is not None and a.kind == "block" and len(calls(a)) == 9
    assert "inception_a" not in lo.stubs and "reduction_a" in lo.stubs  # caption has no name
    assert lo.module.get("figure9") is not None


# ---------------------------------------------------------------- the command line


def _png(width: int, height: int, rows: bytes | None = None) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = rows if rows is not None else b"".join(b"\x00" + b"\xff" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture()
def run(tmp_path):
    def go(*args):
        return CliRunner().invoke(main, ["compile", *map(str, args)])

    return go


@pytest.mark.parametrize(
    "name, data, code, words",
    [
        ("blank.png", _png(200, 120), 4, "no box diagram"),
        ("empty.png", b"", 2, "empty"),
        ("truncated.png", _png(200, 120)[:60], 2, "corrupt or truncated"),
        ("huge.png", _png(100000, 100000, rows=b"\x00"), 2, "too large"),
        ("text.png", b"this is not an image\n", 2, "not an image"),
        ("corrupt.pdf", b"%PDF-1.4\n1 0 obj garbage\n%%EOF", 2, "PDF"),
        ("notes.txt", b"conv 3x3\n", 2, "unsupported input"),
    ],
)
def test_cli_bad_inputs_fail_cleanly(tmp_path, run, name, data, code, words):
    path = tmp_path / name
    path.write_bytes(data)
    out = tmp_path / "out.dlir"
    res = run(path, "-o", out)
    assert res.exit_code == code, res.output
    assert words in res.output
    assert "Traceback" not in res.output
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temp file left either


def test_cli_never_overwrites_its_input(tmp_path, run):
    png = tmp_path / "f.png"
    png.write_bytes(_png(40, 40))
    res = run(png, "-o", png)
    assert res.exit_code == 2 and png.read_bytes() == _png(40, 40)


def test_cli_missing_file_and_bad_page(tmp_path, run):
    res = run(tmp_path / "nope.png", "-o", tmp_path / "o.dlir")
    assert res.exit_code == 2 and "cannot read" in res.output
    path = PAPERS / "googlenet_cvpr2015.pdf"
    if path.exists():
        res = run(path, "--page", 999)
        assert res.exit_code == 2 and "does not exist" in res.output
        res = run(path, "--page", 6, "--figure", 42)
        assert res.exit_code == 2 and "no Figure 42" in res.output


def test_cli_compiles_a_synthetic_png_with_debug_output(tmp_path, run):
    import cv2
    from synth_figures import Style, figure

    fig = figure("chain", Style())
    png = tmp_path / "chain.png"
    cv2.imwrite(str(png), fig.image)
    out = tmp_path / "chain.dlir"
    res = run(png, "-o", out, "--debug", tmp_path / "dbg")
    assert res.exit_code == 0, res.output
    assert "6 boxes" in res.output and "hole" in res.output
    text = out.read_text()
    m = papercc.parse(text)
    assert m.models[0].name == "chain"
    assert [c.callee for c in calls(m.models[0])] == [
        "conv2d",
        "maxpool2d",
        "conv2d",
        "avgpool2d",
        "flatten",
        "dense",
    ]
    assert papercc.check_module(m, holes="warning").ok
    dbg = sorted(p.name for p in (tmp_path / "dbg").iterdir())
    assert dbg == ["chain_figure.diagram.json", "chain_figure.png"]
    img = cv2.imread(str(tmp_path / "dbg" / "chain_figure.png"))
    assert img.shape == fig.image.shape and not np.array_equal(img, fig.image)


def test_cli_compiles_a_pdf_figure(tmp_path, run):
    path = PAPERS / "inception_v4_1602.07261.pdf"
    if not path.exists():
        pytest.skip("paper not available")
    out = tmp_path / "a.dlir"
    res = run(path, "--page", 4, "--figure", 4, "-o", out)
    assert res.exit_code == 0, res.output
    assert "1 hole(s) left" in res.output
    m = papercc.load(out)
    assert [d.name for d in m.models] == ["figure4"]
    res = run(path, "--page", 4, "--figure", 4)  # no -o: DLIR on stdout
    assert res.exit_code == 0 and "model figure4(" in res.stdout


def test_pool_stride_not_drawn_is_the_window_and_said():
    d = diagram(["input", "max pool 3x3", "fc 10"], [(0, 1), (1, 2)])
    lo = lower_diagram(d, name="p")
    pool, *_ = calls(lo.module.models[0])
    assert kw(pool)["stride"] == 3 and kw(pool)["padding"] == "valid"
    text = papercc.format(lo.module)
    assert "# stride 3: pooling stride = window (convention)" in text
    assert 'assumed="stride 3: pooling stride = window (convention)' in text
    said = [f.message for f in lo.findings if f.code == "assumed"]
    assert "box 1 'max pool 3x3': stride 3: pooling stride = window (convention)" in said
    assert lo.holes == 0


def test_pool_stride_not_drawn_is_a_hole_when_strict():
    d = diagram(["input", "max pool 3x3", "fc 10"], [(0, 1), (1, 2)])
    lo = lower_diagram(d, name="p", strict=True)
    pool, *_ = calls(lo.module.models[0])
    assert kw(pool)["stride"] == "?"  # never the registry default taken silently
    assert "stride not drawn" in papercc.format(lo.module)
    assert not [f for f in lo.findings if f.code == "assumed"]


def test_unet_figure1_arrows_named_by_the_legend():
    fig = _paper_figure("unet_1505.04597.pdf", 2, 1)
    lo = lower_diagram(fig.diagram, name="unet", input_shape=(1, 572, 572))
    assert lo.ok
    c = calls(lo.module.models[0])
    ops = [x.callee for x in c]
    assert ops.count("conv2d") == 19 and ops.count("relu") == 18  # 18 conv 3x3 + 1 conv 1x1
    assert ops.count("maxpool2d") == 4 and ops.count("conv_transpose2d") == 4
    assert ops.count("center_crop") == 4 and ops.count("concat") == 4
    assert ops[-1] == "conv2d" and kw(c[-1])["kernel"] == 1
    for cat in (x for x in c if x.callee == "concat"):  # the cropped copy, then the up-conv
        assert [a.id.endswith("_crop") for a in cat.args] == [True, False]
    assert all(kw(x)["stride"] == 2 for x in c if x.callee == "conv_transpose2d")


_TEXTS = [
    "input",
    "Input (64x64x3)",
    "3x3 conv, 16",
    "conv2",
    "conv1: 1x1 conv, 8",
    "pool, /2",
    "max pool 3x3",
    "avg pool",
    "fc 10",
    "softmax",
    "softmax1",
    "Filter concat",
    "+",
    "",
    "Conv + BN + ReLU",
    "2 x Inception-B",
    "Stem",
    "dropout",
    "relu",
    "blah 7 zz",
    "output",
    "up-conv 2x2",
    "copy and crop",
    "flatten",
    "Dropout (keep 0.8)",
    "lstm 32",
    "1x7 conv, 4",
]


@pytest.mark.parametrize("seed", range(int(__import__("os").environ.get("LOWER_SEEDS", 25))))
def test_random_diagrams_lower_to_valid_dlir(seed):
    import random

    rng = random.Random(seed)
    n = rng.randint(1, 12)
    texts = [rng.choice(_TEXTS) for _ in range(n)]
    shapes = {i: rng.choice(["rect", "junction", "text", "circle"]) for i in range(n)}
    edges = {(rng.randrange(n), rng.randrange(n)) for _ in range(rng.randint(0, 2 * n))}
    conf = {e: rng.random() for e in edges}
    d = diagram(
        texts,
        sorted(edges),
        shapes=shapes,
        conf=conf,
        cols={i: rng.randint(0, 3) for i in range(n)},
        source=(
            {"edge_labels": [[a, b, rng.choice(_TEXTS)] for a, b in sorted(edges)]}
            if seed % 3 == 0
            else {}
        ),
    )
    lo = lower_diagram(d, name="r")
    text = papercc.format(lo.module)
    again = papercc.parse(text)
    assert papercc.format(again) == text
    papercc.check_module(again, holes="warning")  # diagnostics, never an exception


def test_caption_gives_the_input_size_when_the_figure_does_not():
    from papercc.compiler.lower.diagram import caption_input_size

    assert caption_input_size("The schema for 35 × 35 grid modules.") == (35, 35)
    assert caption_input_size("35 × 35 to 17 × 17 reduction module") == (35, 35)
    assert caption_input_size("a 224x224 RGB image") == (224, 224)
    assert caption_input_size("stacks of 3 × 3 convolutions") is None
    d = diagram(["Previous layer", "3x3 conv, 8"], [(0, 1)])
    lo = lower_diagram(d, name="m", caption="Figure 2. Modules for 17 × 17 grids.")
    assert lo.module.models[0].params[0].type.dims == ("N", None, 17, 17)
    lo = lower_diagram(diagram(["Input (8x8x1)", "fc 2"], [(0, 1)]), caption="on 17 × 17 grids")
    assert lo.module.models[0].params[0].type.dims == ("N", 1, 8, 8)  # the figure wins


def test_long_residual_stack_lowers_fast_and_exactly():
    import time

    texts, edges, shapes, prev = ["Input (32x32x16)"], [], {}, 0
    for _ in range(120):
        i = len(texts)
        texts += ["3x3 conv, 16", "3x3 conv, 16", ""]
        shapes[i + 2] = "junction"
        edges += [(prev, i), (i, i + 1), (i + 1, i + 2), (prev, i + 2)]
        prev = i + 2
    start = time.perf_counter()
    lo = lower_diagram(diagram(texts, edges, shapes=shapes), name="deep")
    assert time.perf_counter() - start < 5.0  # shapes are probed incrementally
    ops = [c.callee for c in calls(lo.module.models[0])]
    assert ops.count("add") == 120 and ops.count("conv2d") == 240 and lo.ok


@pytest.mark.parametrize("seed", range(30))
def test_topological_order_keeps_every_arrow_of_a_dag_and_breaks_cycles(seed):
    import random

    rng = random.Random(seed)
    n = rng.randint(1, 40)
    perm = list(range(n))
    rng.shuffle(perm)  # a hidden order; arrows along it make a DAG
    pairs = {(rng.randrange(n), rng.randrange(n)) for _ in range(2 * n)}
    dag = [DiagramEdge(perm[a], perm[b]) for a, b in pairs if a < b]
    res = topological(list(range(n)), dag)
    pos = {v: k for k, v in enumerate(res.order)}
    assert sorted(res.order) == list(range(n)) and not res.dropped
    assert all(pos[e.src] < pos[e.dst] for e in res.edges)
    cyclic = dag + [DiagramEdge(perm[b], perm[a], 0.1) for a, b in pairs if a < b][:3]
    res = topological(list(range(n)), cyclic)
    pos = {v: k for k, v in enumerate(res.order)}
    assert all(pos[e.src] < pos[e.dst] for e in res.edges)
    assert all(e.confidence == 0.1 for e in res.dropped)


def test_malformed_reader_output_is_tolerated():
    nodes = (
        DiagramNode(0, "input", (0.0, 0.0, 1.0, 1.0)),
        DiagramNode(1, "3x3 conv, 8", (float("nan"), 0.0, float("inf"), 1.0)),
    )
    junk = {"edge_labels": [[0, 1], "x", [0, 1, None], ["a", "b", "conv"], [0, 1, 5]]}
    d = Diagram(nodes, (DiagramEdge(0, 1), DiagramEdge(1, 1), DiagramEdge(0, 7)), junk)
    lo = lower_diagram(d, name="m")
    text = papercc.format(lo.module)
    assert papercc.format(papercc.parse(text)) == text and lo.ok
    assert "bbox" not in text  # a non-finite box is left out of the provenance


def test_cli_reads_a_jpeg(tmp_path, run):
    import cv2
    from synth_figures import Style, figure

    fig = figure("residual", Style())
    jpg = tmp_path / "res-block.jpg"
    cv2.imwrite(str(jpg), fig.image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    res = run(jpg, "-o", tmp_path / "r.dlir")
    assert res.exit_code == 0, res.output
    m = papercc.load(tmp_path / "r.dlir")
    assert m.models[0].name == "res_block"
    assert "add" in [c.callee for c in calls(m.models[0])]


@pytest.mark.slow
def test_cli_pdf_page_without_vector_drawings_is_read_as_raster(tmp_path, run):
    path = PAPERS / "lenet5_procieee1998.pdf"
    if not path.exists():
        pytest.skip("paper not available")
    res = run(path, "--page", 6, "--debug", tmp_path / "dbg", "-o", tmp_path / "l.dlir")
    assert "(page 6, raster)" in res.output and "Traceback" not in res.output
    assert res.exit_code in (0, 1)  # a scanned 1998 figure: read, whether or not it checks
    assert any(p.suffix == ".png" for p in (tmp_path / "dbg").iterdir())


def test_layer_labels_from_box_names():
    d = diagram(["input", "3x3 conv, 8", "conv2: 3x3 conv, 8", "fc7"], [(0, 1), (1, 2), (2, 3)])
    lo = lower_diagram(d, name="m")
    assert [c.label for c in calls(lo.module.models[0])] == [None, "conv2", None, "fc7"]
    assert [n.name for n in graph_of(lo).nodes] == ["conv1", "conv2", "flatten1", "fc7"]


def test_bare_size_and_channels_is_a_conv_with_a_warning():
    d = diagram(
        ["x", "1x1, 64", "3x3, 64", "1x1, 256", "+"], [(0, 1), (1, 2), (2, 3), (3, 4), (0, 4)]
    )
    lo = lower_diagram(d, name="bottleneck", input_shape=(256, 56, 56))
    assert bare(lo.module) == (
        "model bottleneck(x: f32[N, 256, 56, 56]) {\n"
        '  x1 = conv2d(x, 64, kernel=1, padding="same")\n'
        '  x1 = conv2d(x1, 64, kernel=3, padding="same")\n'
        '  x1 = conv2d(x1, 256, kernel=1, padding="same")\n'
        "  x4 = add(x, x1)\n"
        "  return x4\n"
        "}\n"
    )
    assert sum("no op word" in f.message for f in lo.findings) == 3
    lo = lower_diagram(diagram(["input", "64", "fc 2"], [(0, 1), (1, 2)]), name="n")
    assert calls(lo.module.models[0])[0].callee == "identity"  # a bare number is not a conv
