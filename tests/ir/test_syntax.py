"""Parser and canonical printer: golden pairs, fixed point, comments, equality, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from paths import GOLDEN

import papercc
from papercc.ir.syntax import Call, Hole, Literal, Repeat, TensorTypeExpr, TupleExpr

GOLDEN = GOLDEN / "fmt"
PAIRS = sorted(GOLDEN.glob("*.in.dlir"))


@pytest.mark.parametrize("src", PAIRS, ids=[p.name for p in PAIRS])
def test_golden_format(src: Path) -> None:
    expected = src.with_name(src.name.replace(".in.", ".out.")).read_text()
    got = papercc.format(papercc.parse(src.read_text(), filename=str(src)))
    assert got == expected
    assert papercc.format(papercc.parse(got)) == got  # idempotent
    assert papercc.parse(got) == papercc.parse(expected)


def test_formatting_keeps_the_checked_meaning() -> None:
    src = (GOLDEN / "messy.in.dlir").read_text()
    a = papercc.check(papercc.parse(src)).graphs["tiny"]
    b = papercc.check(papercc.parse(papercc.format(papercc.parse(src)))).graphs["tiny"]
    assert [(n.name, n.op, n.attrs, str(n.outputs[0].type)) for n in a.nodes] == [
        (n.name, n.op, n.attrs, str(n.outputs[0].type)) for n in b.nodes
    ]
    assert [n.name for n in a.nodes][:3] == ["stage1.0.conv1", "stage1.0.bn1", "stage1.0.relu1"]
    assert a.node("conv_a").src == {"page": 3, "figure": 2, "box": 5, "text": "3x3 conv, 8"}


def test_syntax_tree_shapes() -> None:
    m = papercc.parse(
        "model m(x: f32[N, ?, 7, B]) { y = conv2d(x, ?, kernel=(1, 7)) as c @src(page=1)\n"
        " return repeat 3 relu(y) }"
    )
    (d,) = m.definitions
    assert d.params[0].type == TensorTypeExpr("f32", ("N", None, 7, "B"))
    call = d.body[0].value
    assert isinstance(call, Call) and call.label == "c" and call.src == (("page", Literal(1)),)
    assert isinstance(call.args[1], Hole)
    assert call.kwargs == (("kernel", TupleExpr((Literal(1), Literal(7)))),)
    assert isinstance(d.body[1].values[0], Repeat)
    # spans point into the text
    assert (call.span.line, call.span.col) == (1, 35)


def test_literals_keep_their_types() -> None:
    assert Literal(1) != Literal(1.0) and Literal(1) != Literal(True)
    m = papercc.parse("model m(x: f32[N, 4]) { return dropout(x, rate=1.0) }")
    assert m.definitions[0].body[0].values[0].kwargs[0][1] == Literal(1.0)
    assert "rate=1.0" not in papercc.format(m) and "dropout(x, 1.0)" in papercc.format(m)


@pytest.mark.parametrize(
    "text",
    [
        'model m(x: f32[N, 4]) { return dropout(x, 0.25) }  # "quoted" \\ and unicode: ×',
        'model m(x: f32[N, 4]) { y = identity(x) @src(text="a\\"b\\\\c\\n\\u00d7") return y }',
        'block b(x, k: (int, int) = (1, 7), s: str = "same", f: float = -0.5, t: bool = true) { return x }',
        "model m(a: f32[N, 8], b: f32[N, 8]) -> (f32[N, 8], f32[N, 8]) { return add(a, b), mul(a, b) }",
        "block b(x, n: int) { return dense(x, -(n - 1) * 2 + n // 3 - (n - (1 - n))) }",
        "block b(x, n: int) { return repeat (n - 1) from (n * 2) relu(x) as stage.0.a }",
    ],
)
def test_fixed_point(text: str) -> None:
    once = papercc.format(papercc.parse(text))
    assert papercc.format(papercc.parse(once)) == once
    assert papercc.parse(once) == papercc.parse(text)


def test_strings_never_escape_their_quotes() -> None:
    hostile = 'x") }\nmodel evil(x: f32[N]) { return x } # '
    m = papercc.parse(
        f'model m(x: f32[N, 4]) {{ y = identity(x) @src(text={__import__("json").dumps(hostile)}) return y }}'
    )
    text = papercc.format(m)
    again = papercc.parse(text)
    assert [d.name for d in again.definitions] == ["m"]
    assert again == m


def test_empty_module_and_comment_only() -> None:
    assert papercc.format(papercc.parse("")) == ""
    assert papercc.format(papercc.parse("# just a note\n")) == "# just a note\n"


def test_deep_nesting_is_a_diagnostic_not_a_crash() -> None:
    text = "model m(x: f32[N, 4]) { return " + "relu(" * 3000 + "x" + ")" * 3000 + " }"
    try:
        m = papercc.parse(text)
    except papercc.DiagnosticError as exc:
        assert exc.diagnostics[0].code == "syntax"
        assert "nested" in exc.diagnostics[0].message
    else:
        papercc.check_module(m)  # may report, must not raise anything else


def test_dotted_labels_and_repeat_numbering() -> None:
    text = """
block unit(x) {
  return batchnorm(conv2d(x, 8, kernel=1, bias=false) as downsample.0) as downsample.1
}

model m(image: f32[N, 8, 4, 4]) {
  x = unit(image) as layer2.0
  return repeat 2 from 1 unit(x) as layer2
}
"""
    graph = papercc.check(papercc.parse(text)).graphs["m"]
    assert [n.name for n in graph.nodes] == [
        "layer2.0.downsample.0",
        "layer2.0.downsample.1",
        "layer2.1.downsample.0",
        "layer2.1.downsample.1",
        "layer2.2.downsample.0",
        "layer2.2.downsample.1",
    ]
    bad = "model m(x: f32[N, 4]) { return repeat 2 from (0 - 1) relu(x) }"
    result = papercc.check_module(papercc.parse(bad))
    assert [d.code for d in result.diagnostics] == ["repeat"]
