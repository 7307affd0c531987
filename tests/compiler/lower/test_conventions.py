"""What a figure implies before a hole, then the conventions, each said; and honest
failure: a figure whose boxes are not understood is no model."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import papercc
from papercc.compiler.cli.main import main
from papercc.compiler.diagram.graph import Diagram, DiagramEdge, DiagramNode, DiagramNote
from papercc.compiler.lower.diagram import lower_diagram
from papercc.ir.syntax import Assign, Call, Hole, Literal, TupleExpr

# ---------------------------------------------------------------- helpers


def chain(texts, notes=(), direction="down", source=None) -> Diagram:
    """Boxes 50x20 along the flow, 40 apart; notes as (text, box, side) with side one of
    right/left/above/below (beside that box) or arrow (on the arrow out of that box)."""
    nodes, placed = [], []
    for i, t in enumerate(texts):
        x0, y0 = (100.0, 100.0 + 60 * i) if direction == "down" else (100.0 + 90 * i, 100.0)
        nodes.append(DiagramNode(i, t, (x0, y0, x0 + 50, y0 + 20)))
    for text, box, side in notes:
        x0, y0, x1, y1 = nodes[box].bbox
        w, h = 7.0 * len(text), 8.0
        at = {
            "right": (x1 + 4, y0 + 6),
            "left": (x0 - 4 - w, y0 + 6),
            "above": (x0, y0 - 4 - h),
            "below": (x0, y1 + 4),
            "arrow": (x0 + 29, y1 + 16) if direction == "down" else (x1 + 8, y0 - 2 - h),
        }[side]
        placed.append(DiagramNote(text, (at[0], at[1], at[0] + w, at[1] + h)))
    edges = tuple(DiagramEdge(i, i + 1) for i in range(len(texts) - 1))
    return Diagram(tuple(nodes), edges, source or {}, direction, tuple(placed))


def layer_calls(lo) -> list[Call]:
    return [s.value for s in lo.module.models[0].body if isinstance(s, Assign)]


def kw(call: Call) -> dict:
    def lit(v):
        if isinstance(v, Literal):
            return v.value
        if isinstance(v, Hole):
            return "?"
        if isinstance(v, TupleExpr):
            return tuple(lit(i) for i in v.items)
        return v

    return {k: lit(v) for k, v in call.kwargs}


def said(lo) -> list[str]:
    return [f.message for f in lo.findings if f.code == "assumed"]


# ---------------------------------------------------------------- the input


def test_input_channels_from_the_note_at_the_input():
    lo = lower_diagram(chain(["Image 28×28", "conv 3x3, 8"], [("28×28×1", 0, "right")]), name="m")
    param = lo.module.models[0].params[0]
    assert param.type.dims == ("N", 1, 28, 28)
    assert "box 0 'Image 28×28': input channels 1: from the size note 28×28×1" in said(lo)
    assert "# input image_28_28: channels 1: from the size note 28×28×1" in papercc.format(
        lo.module
    )


def test_an_image_input_has_3_channels_by_convention_but_not_when_strict():
    lo = lower_diagram(chain(["Image 28×28", "conv 3x3, 8"]), name="m")
    assert lo.module.models[0].params[0].type.dims == ("N", 3, 28, 28)
    assert "box 0 'Image 28×28': input channels 3: an image input (convention)" in said(lo)
    strict = lower_diagram(chain(["Image 28×28", "conv 3x3, 8"]), name="m", strict=True)
    assert strict.module.models[0].params[0].type.dims == ("N", None, 28, 28)
    assert said(strict) == []


def test_the_input_size_from_a_note_on_its_arrow():
    lo = lower_diagram(chain(["input", "conv 3x3, 8"], [("(1, 32, 32)", 0, "arrow")]), name="m")
    assert lo.module.models[0].params[0].type.dims == ("N", 1, 32, 32)


# ---------------------------------------------------------------- layers


@pytest.mark.parametrize("side", ["right", "left", "below", "arrow"])
def test_conv_channels_from_its_output_note_on_any_side(side):
    d = chain(["Image 28×28", "conv 3x3", "BatchNorm", "ReLU"], [("28×28×64", 1, side)])
    lo = lower_diagram(d, name="m")
    conv, bn, _ = layer_calls(lo)
    assert kw(conv)["out"] == 64
    assert "box 1 'conv 3x3': channels 64: from the size note 28×28×64" in said(lo)
    assert "# channels 64: from the size note 28×28×64" in papercc.format(lo.module)
    assert ("assumed", Literal("channels 64: from the size note 28×28×64")) in conv.src
    # the batchnorm's channels follow: they came out unknown while the conv's were a hole
    node = {n.name: n for n in lo.graphs["m"].nodes}["bn1"]
    assert node.outputs[0].type.shape[1] == 64 and node.params == 128
    assert lo.holes == 0


def test_a_note_between_two_boxes_states_the_first_ones_output():
    d = chain(["Image 28×28", "conv 3x3, 8", "fc 10"], [("28×28×1", 1, "above")])
    assert d.notes[0].bbox[1] > d.nodes[0].bbox[3]  # in the gap, on the arrow 0 -> 1
    lo = lower_diagram(d, name="m")
    assert lo.module.models[0].params[0].type.dims == ("N", 1, 28, 28)


def test_horizontal_flow_notes_above_and_below():
    d = chain(["Image 28×28", "conv 3x3", "max pool"], [("28×28×16", 1, "above")], "right")
    d = Diagram(
        d.nodes,
        d.edges,
        {},
        "right",
        (
            *d.notes,
            *chain(
                ["Image 28×28", "conv 3x3", "max pool"], [("14×14×16", 2, "below")], "right"
            ).notes,
        ),
    )
    lo = lower_diagram(d, name="m")
    conv, pool = layer_calls(lo)
    assert kw(conv)["out"] == 16
    assert kw(pool)["stride"] == 2 and kw(pool)["kernel"] == 2


def test_stride_from_two_consecutive_sizes():
    d = chain(
        ["Image 28×28", "conv 3x3", "conv 3x3"],
        [("28×28×1", 0, "right"), ("28×28×32", 1, "right"), ("14×14×64", 2, "right")],
    )
    lo = lower_diagram(d, name="m")
    first, second = layer_calls(lo)
    assert "stride" not in kw(first) and kw(second)["stride"] == 2
    assert "box 2 'conv 3x3': stride 2: from the sizes 28x28 -> 14x14 (size notes)" in said(lo)


def test_a_pool_stride_from_the_sizes_wins_over_the_convention():
    d = chain(
        ["Image 28×28", "max pool 3x3", "fc 10"], [("28×28×1", 0, "right"), ("14×14×1", 1, "right")]
    )
    pool, *_ = layer_calls(lo := lower_diagram(d, name="m"))
    assert kw(pool)["stride"] == 2 and kw(pool)["kernel"] == 3
    assert not any("pooling stride = window" in m for m in said(lo))


def test_max_pool_by_two_is_a_window_of_two():
    pool, *_ = layer_calls(lo := lower_diagram(chain(["input", "max pool /2", "fc 9"]), name="m"))
    assert kw(pool)["kernel"] == 2 and kw(pool)["stride"] == 2
    assert "box 1 'max pool /2': kernel 2: pooling window = stride (convention)" in said(lo)
    strict = lower_diagram(chain(["input", "max pool /2", "fc 9"]), name="m", strict=True)
    pool, *_ = layer_calls(strict)
    assert kw(pool)["kernel"] == "?"


def test_what_the_label_writes_wins_over_the_note():
    d = chain(["Image 28×28", "conv 3x3, 32"], [("28×28×64", 1, "right")])
    (conv,) = layer_calls(lower_diagram(d, name="m"))
    assert kw(conv)["out"] == 32


def test_dense_units_from_a_vector_note():
    d = chain(["Input (784)", "fc", "fc"], [("512", 1, "right"), ("10", 2, "right")])
    lo = lower_diagram(d, name="m")
    assert [kw(c)["units"] for c in layer_calls(lo)] == [512, 10]
    assert lo.holes == 0


def test_a_hole_stays_where_nothing_implies_a_value():
    lo = lower_diagram(chain(["input", "conv 3x3"]), name="m")
    (conv,) = layer_calls(lo)
    assert kw(conv)["out"] == "?" and lo.holes == 1


# ---------------------------------------------------------------- honest failure


def test_a_chain_of_garbage_labels_is_no_model():
    src = {"file": "f.pdf", "page": 2, "figure": 3}
    d = chain(["CS NS cS", "LO rm LD", "aN Wi", "rR LT"], source=src)
    lo = lower_diagram(d, name="m")
    assert lo.module.models == () and lo.layers == 0
    bad = [f for f in lo.findings if f.code == "not-understood"]
    assert [f.node for f in bad] == [1, 2, 3]
    assert bad[0].message == "box 1 'LO rm LD': not understood as a layer"
    (drop,) = [f for f in lo.findings if f.code == "not-a-model"]
    assert drop.severity == "warning"
    assert drop.message.startswith("figure part of 4 boxes ('LO rm LD', 'aN Wi', 'rR LT')")
    assert drop.message.endswith(
        "is not a model: 0 of 3 boxes and arrow labels read as layers; dropped"
    )


@pytest.mark.parametrize(
    "texts",
    [
        ["Load data", "Preprocess", "Train model", "Evaluate"],  # a pipeline flowchart
        ["Raw images", "Augmentation", "Training", "Inference", "Results"],
        ["0.85", "0.91", "0.78", "1000"],  # a bar chart's bars
        ["input", "ReLU", "Softmax"],  # layers, but none with weights
    ],
)
def test_flowcharts_and_charts_are_no_model(texts):
    lo = lower_diagram(chain(texts), name="m")
    assert lo.module.models == ()
    assert any(f.code == "not-a-model" for f in lo.findings)


def test_one_box_not_understood_in_a_model_is_reported():
    lo = lower_diagram(chain(["input", "conv 3x3, 8", "frobnicate", "fc 10"]), name="m")
    assert [c.callee for c in layer_calls(lo)] == ["conv2d", "identity", "flatten", "dense"]
    (bad,) = [f for f in lo.findings if f.code == "not-understood"]
    assert bad.severity == "warning" and bad.node == 2
    assert bad.message == "box 2 'frobnicate': not understood as a layer; written as identity"


# ---------------------------------------------------------------- the command line


def _png(tmp_path, labels, name="fig.png"):
    import cv2
    from synth_figures import SNode, Style, render

    nodes = [SNode(t, i, 0, "rect") for i, t in enumerate(labels)]
    fig = render("x", nodes, [(i, i + 1) for i in range(len(nodes) - 1)], Style())
    path = tmp_path / name
    cv2.imwrite(str(path), fig.image)
    return path


def test_cli_a_pipeline_flowchart_is_no_model(tmp_path):
    png = _png(tmp_path, ["Load data", "Preprocess", "Train model", "Evaluate"])
    out = tmp_path / "m.dlir"
    res = CliRunner().invoke(main, ["compile", str(png), "-o", str(out)])
    assert res.exit_code == 4, res.output
    assert "no model: the boxes of the figure(s) are not understood as layers" in res.output
    assert "is not a model" in res.output and "[no-model]" in res.output
    assert not out.exists()


def test_cli_says_what_it_assumed_and_strict_keeps_holes(tmp_path):
    png = _png(tmp_path, ["Image 32x32", "conv 3x3, 16", "2x2 max pool", "FC 10"])
    out = tmp_path / "m.dlir"
    res = CliRunner().invoke(main, ["compile", str(png), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "note: box 2 '2x2 max pool': stride 2: pooling stride = window (convention)" in (
        res.output
    )
    assert "compiled: no holes; 4 value(s) assumed (see the comments in the DLIR)" in res.output
    assert (
        "note: padding 'same' on 1 layer(s) whose padding the figure does not mark (convention: "
        "box diagrams keep sizes unless a stride is drawn)  [assumed]" in res.output
    )
    assert "# stride 2: pooling stride = window (convention)" in out.read_text()
    res = CliRunner().invoke(main, ["compile", str(png), "-o", str(out), "--strict"])
    assert res.exit_code == 0, res.output
    assert "compiled: 3 hole(s) left" in res.output and "[assumed]" not in res.output
    assert "'padding' of conv1 (conv2d) is a hole" in res.output  # no default padding either


def test_padding_from_two_consecutive_sizes():
    d = chain(
        ["input", "conv 3x3, 64", "conv 3x3, 64", "fc 2"],
        [("572x572x1", 0, "right"), ("570x570x64", 1, "right"), ("570x570x64", 2, "right")],
    )
    lo = lower_diagram(d, name="m")
    first, second, *_ = layer_calls(lo)
    assert kw(first)["padding"] == "valid" and kw(second)["padding"] == "same"
    assert (
        "box 1 'conv 3x3, 64': padding valid: from the sizes 572x572 -> 570x570 (size notes)"
        in (said(lo))
    )
    assert lo.module.models[0].params[0].type.dims == ("N", 1, 572, 572)


def test_a_note_after_layers_that_keep_channels_tells_the_conv_before_them():
    d = chain(["Image 28×28", "conv 3x3", "BatchNorm", "ReLU", "fc 10"], [("28×28×64", 3, "right")])
    lo = lower_diagram(d, name="m")
    conv, *_ = layer_calls(lo)
    assert kw(conv)["out"] == 64
    assert (
        "box 1 'conv 3x3': channels 64: from the size note 28×28×64 (the layers after it keep "
        "the channels)" in said(lo)
    )
    d = chain(["Image 28×28", "conv 3x3", "conv 1x1", "fc 10"], [("28×28×64", 2, "right")])
    conv, *_ = layer_calls(lower_diagram(d, name="m"))
    assert kw(conv)["out"] == "?"  # a conv between changes the channels


def test_conventions_that_contradict_the_figure_are_left_out():
    from paths import PAPERS

    from papercc.compiler.lower.figure import figures_from_pdf

    path = PAPERS / "inception_v4_1602.07261.pdf"
    if not path.exists():
        pytest.skip("paper not available")
    (fig,) = figures_from_pdf(path, page=3, figure=3, raster=False)
    lo = lower_diagram(fig.diagram, name="stem")
    assert lo.ok  # the figure's "MaxPool (stride=2 V)" with a 2x2 window would not fit
    (why,) = [f.message for f in lo.findings if "contradict" in f.message]
    assert why == (
        "the conventions for unstated values (kernel 2: pooling window = stride (convention)) "
        "contradict the figure's shapes: left out, the values stay holes"
    )
    pool = [c for c in layer_calls(lo) if c.callee == "maxpool2d"][-1]
    assert kw(pool)["kernel"] == "?" and kw(pool)["stride"] == 2


def test_strict_is_for_a_figure_compile(tmp_path):
    pdf = tmp_path / "p.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    res = CliRunner().invoke(main, ["compile", str(pdf), "--strict"])
    assert res.exit_code == 2
    assert "--strict applies to a figure compile (an image, or --page/--figure)" in res.output


def test_a_note_that_does_not_fit_the_input_is_not_its_size():
    d = chain(["Image 28×28", "conv 3x3, 8"], [("14×14×64", 0, "left")])
    lo = lower_diagram(d, name="m")
    assert lo.module.models[0].params[0].type.dims == ("N", 3, 28, 28)  # the convention


def test_a_pool_of_unstated_type_takes_its_stride_from_the_sizes():
    d = chain(
        ["Image 28×28", "conv 3x3, 8", "pool 3x3", "fc 10"],
        [("28×28×8", 1, "right"), ("14×14×8", 2, "right")],
    )
    lo = lower_diagram(d, name="m")
    _, pool, *_ = layer_calls(lo)
    assert pool.callee == "maxpool2d" and kw(pool)["stride"] == 2 and kw(pool)["kernel"] == 3
    assert "box 2 'pool 3x3': stride 2: from the sizes 28x28 -> 14x14 (size notes)" in said(lo)


def test_golden_a_noted_chain_says_every_value_it_takes():
    d = chain(
        ["Image 28×28", "conv 3x3", "ReLU", "max pool", "conv 3x3", "fc"],
        [
            ("28×28×1", 0, "left"),
            ("28×28×32", 2, "right"),
            ("14×14×32", 3, "arrow"),
            ("7×7×64", 4, "below"),
            ("10", 5, "right"),
        ],
    )
    lo = lower_diagram(d, name="lenet_like")
    text = papercc.format(lo.module)
    body = [_without_src(line) for line in text.splitlines()]
    assert body == [
        "# lowered from a figure diagram by papercc; holes (?) are what the figure does not say",
        "# padding 'same' where the figure marks none",
        "# input image_28_28: channels 1: from the size note 28×28×1",
        "model lenet_like(image_28_28: f32[N, 1, 28, 28]) {",
        '  x = conv2d(image_28_28, 32, kernel=3, padding="same")  # channels 32: from the size '
        "note 28×28×32 (the layers after it keep the channels)",
        "  x = relu(x)",
        '  x = maxpool2d(x, kernel=2, stride=2, padding="valid")  # stride 2: from the sizes '
        "28x28 -> 14x14 (size notes); kernel 2: pooling window = stride (convention); "
        "padding valid: a pool pads nothing (convention)",
        '  x = conv2d(x, 64, kernel=3, stride=2, padding="same")  # channels 64: from the size '
        "note 7×7×64; stride 2: from the sizes 14x14 -> 7x7 (size notes)",
        "  x = flatten(x)  # flatten before fc: not drawn",
        "  x = dense(x, 10)  # units 10: from the size note 10",
        "  return x",
        "}",
    ]
    assert lo.holes == 0 and lo.ok
    assert sum(f.code == "assumed" for f in lo.findings) == 9  # 8 values and the padding


def _without_src(line: str) -> str:
    """A DLIR line without its `@src(...)` (which holds nested parentheses)."""
    at = line.find(" @src(")
    if at < 0:
        return line
    depth, i = 0, at + 5
    while i < len(line):
        depth += {"(": 1, ")": -1}.get(line[i], 0)
        if depth == 0:
            break
        i += 1
    return line[:at] + line[i + 1 :]


def test_a_conv_feeding_a_sum_takes_the_sums_channels():
    """A residual branch's last conv without channels: every input of a sum has the
    sum's channels, which its size note (or another input's) states."""
    from papercc.compiler.diagram.graph import Diagram, DiagramEdge, DiagramNode, DiagramNote
    from papercc.compiler.lower.diagram import lower_diagram
    from papercc.ir.printer import print_module

    texts = ["Input 32x32x3", "conv 3x3, 16", "conv 3x3", "+", "fc 10"]
    nodes = tuple(
        DiagramNode(i, t, (0.0, 60.0 * i, 80.0, 60.0 * i + 20.0), "circle" if t == "+" else "rect")
        for i, t in enumerate(texts)
    )
    edges = tuple(DiagramEdge(a, b) for a, b in [(0, 1), (1, 2), (2, 3), (1, 3), (3, 4)])
    note = DiagramNote("32×32×16", (90.0, 185.0, 130.0, 195.0), node=3)
    lowered = lower_diagram(Diagram(nodes, edges, {}, "down", (note,)), name="net")
    text = print_module(lowered.module)
    assert text.count("conv2d(x, 16") + text.count("16, kernel=3") >= 2, text
    assert "32×32×16 at the sum it feeds" in text
