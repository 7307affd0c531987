"""Every problem the command line reports is a diagnostic with a location and a registered
code (`file:line:col: error: ...  [code]`, `paper.pdf: page N, figure M: ...`), and every
exit code is listed once. Each message is written out in full here."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from paths import ROOT, ZOO

from papercc.compiler.cli.main import main
from papercc.compiler.cli.problems import EXIT_CODES, USAGE_CODES, exit_for
from papercc.ir.diagnostics import CODES, Diagnostic, Place
from papercc.ir.span import Span

LENET = str(ZOO / "lenet5.dlir")
TWO = (
    "model a(x: f32[N, 4]) {\n  return relu(x)\n}\n\nmodel b(x: f32[N, 4]) {\n  return relu(x)\n}\n"
)
BLOCKS = "block b(x) {\n  return relu(x)\n}\n"
CEIL = (
    "model m(x: f32[N, 3, H, W]) {\n"
    "  y = conv2d(x, 8, kernel=3)\n"
    "  return maxpool2d(y, kernel=3, stride=2, ceil_mode=true)\n"
    "}\n"
)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def written(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if re.search(r": (error|warning|note): ", line)]


# ---------------------------------------------------------------- locations


def test_a_place_in_a_paper_or_figure_is_the_location() -> None:
    def at(place):
        return Diagnostic(Span.unknown("p.pdf"), "error", "io", "m", place=place)

    assert at(Place(3, "figure", 2)).header() == "p.pdf: page 3, figure 2: error: m  [io]"
    assert at(Place(4, "table", None)).header() == "p.pdf: page 4, table ?: error: m  [io]"
    assert at(Place(7)).header() == "p.pdf: page 7: error: m  [io]"
    assert at(None).header() == "p.pdf: error: m  [io]"
    pages = [at(Place(10, "figure", 1)), at(Place(9, "figure", 10)), at(Place(9, "figure", 2))]
    assert [str(d.place) for d in sorted(pages, key=Diagnostic.sort_key)] == [
        "page 9, figure 2",
        "page 9, figure 10",
        "page 10, figure 1",
    ]


def test_exit_for_usage_and_io_errors_is_2_else_1() -> None:
    def err(code):
        return Diagnostic(Span.unknown("f"), "error", code, "m")

    assert exit_for([]) == 0
    assert exit_for([Diagnostic(Span.unknown("f"), "warning", "hole", "m")]) == 0
    assert exit_for([err("io"), err("usage")]) == 2
    assert exit_for([err("io"), err("syntax")]) == 1
    assert USAGE_CODES <= set(CODES)


# ---------------------------------------------------------------- exit codes, listed once


def test_exit_codes_are_listed_in_codes_and_help() -> None:
    codes = run("codes").output
    helps = run("--help").output
    for code, meaning in EXIT_CODES:
        assert f"{code:<16} {meaning}" in codes
        assert re.search(rf"^  {code}\s+\S", helps, re.MULTILINE), code
    assert [c for c, _ in EXIT_CODES] == [0, 1, 2, 3, 4, 130]
    compile_help = run("compile", "--help").output
    assert "Exit codes:" in compile_help and "  4    compile found no model" in compile_help


def test_readme_lists_the_exit_codes_of_the_code() -> None:
    readme = (ROOT / "README.md").read_text()
    table = re.findall(r"^\| `(\d+)` \| (.+) \|$", readme, re.MULTILINE)
    assert [(int(c), m) for c, m in table] == list(EXIT_CODES)


# ---------------------------------------------------------------- DLIR commands


def test_unreadable_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.dlir"
    r = run("summary", missing)
    assert r.exit_code == 2
    assert lines(r.stderr) == [f"{missing}: error: cannot read: No such file or directory  [io]"]


def test_no_such_model_and_several_models_and_no_model(tmp_path: Path) -> None:
    r = run("summary", "--model", "nope", LENET)
    assert r.exit_code == 2
    assert lines(r.stderr) == [f"{LENET}: error: no model 'nope' here (models: lenet5)  [usage]"]
    two = written(tmp_path, "two.dlir", TWO)
    r = run("gen", two, "-t", "pytorch")
    assert r.exit_code == 2
    assert lines(r.stderr) == [
        f"{two}: error: several models (a, b); pick one with --model  [usage]"
    ]
    blocks = written(tmp_path, "blocks.dlir", BLOCKS)
    r = run("summary", blocks)
    assert r.exit_code == 1
    assert lines(r.stderr) == [f"{blocks}: error: defines no model (only blocks)  [no-model]"]


def test_fmt_check_locates_the_first_line_not_in_canonical_form(tmp_path: Path) -> None:
    p = written(tmp_path, "ugly.dlir", "model m(x: f32[N, 4]) {\n  return relu( x )\n}\n")
    r = run("fmt", "--check", p)
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        f"{p}:2:1: error: would reformat: not in canonical form from this line on "
        "(`papercc fmt -i`)  [not-canonical]",
        "      return relu( x )",
        "    ^~~~~~~~~~~~~~~~~~",
    ]


@pytest.mark.parametrize(
    "args",
    [
        ("gen", LENET, "-t", "pytorch", "-o"),
        ("export", LENET, "--weights", "{w}", "-o"),
        ("weights", "init", LENET, "-o"),
        ("render", LENET, "-o"),
        ("compile", "{png}", "-o"),
    ],
    ids=["gen", "export", "weights", "render", "compile"],
)
def test_an_output_that_cannot_be_written_is_an_io_error(tmp_path: Path, args) -> None:
    import cv2

    w = tmp_path / "w.safetensors"
    assert run("weights", "init", LENET, "-o", w).exit_code == 0
    png = tmp_path / "f.png"
    cv2.imwrite(str(png), _chain_png())
    (tmp_path / "file").write_text("")
    out = tmp_path / "file" / "out.svg"  # in a folder that is a file (compile makes folders)
    r = run(*[a.format(w=w, png=png) for a in args], out)
    assert r.exit_code == 2, r.output
    reason = (
        f"cannot make its folder {out.parent}: File exists"
        if args[0] == "compile"
        else "cannot write: Not a directory"
    )
    assert lines(r.stderr)[-1] == f"{out}: error: {reason}  [io]"


def test_export_without_weights_warns_at_the_model(tmp_path: Path) -> None:
    r = run("export", LENET, "-o", tmp_path / "l.onnx")
    assert r.exit_code == 0
    line = next(i + 1 for i, t in enumerate(Path(LENET).read_text().splitlines()) if "model" in t)
    assert lines(r.stderr) == [
        f"{LENET}:{line}:1: warning: no --weights given: exporting random weights (seed 0)"
        "  [random-weights]"
    ]


def test_a_weights_file_that_cannot_be_read_is_exit_2(tmp_path: Path) -> None:
    w = tmp_path / "w.safetensors"
    r = run("export", LENET, "-o", tmp_path / "l.onnx", "--weights", w)
    assert r.exit_code == 2
    assert lines(r.stderr) == [
        f"{w}: error: cannot read weights: No such file or directory: {w}  [io]"
    ]


def test_a_target_that_is_not_installed(monkeypatch) -> None:
    import papercc.backends.targets as targets

    def missing(name):
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(targets, "target_module", missing)
    r = run("gen", LENET, "-t", "keras")
    assert r.exit_code == 2
    assert lines(r.stderr) == [
        f"{LENET}: error: target keras is not available: No module named 'keras'  [unavailable]"
    ]


def test_a_target_that_fails_verify_is_a_diagnostic_at_the_model(monkeypatch) -> None:
    import papercc.backends.verify as verify

    def fake(graph, targets, seed=0, source=""):
        return [
            verify.TargetResult("pytorch", True, 0.0, 0.0),
            verify.TargetResult("keras", False, 0.1, 0.01),
            verify.TargetResult("caffe", False, error="RuntimeError: boom"),
        ]

    monkeypatch.setattr(verify, "verify", fake)
    r = run("verify", LENET, "--targets", "keras,caffe")
    assert r.exit_code == 1
    line = next(i + 1 for i, t in enumerate(Path(LENET).read_text().splitlines()) if "model" in t)
    assert lines(r.stderr) == [
        f"{LENET}:{line}:1: error: target caffe: does not run: RuntimeError: boom  [verify]",
        f"{LENET}:{line}:1: error: target keras: outputs differ from PyTorch's: "
        "max abs diff 1.00e-01, max rel diff 1.00e-02 > 0.0001  [verify]",
    ]


def test_tensorflow_sizes_left_open_are_a_diagnostic_not_an_internal_error(tmp_path) -> None:
    p = written(tmp_path, "ceil.dlir", CEIL)
    r = run("gen", p, "-t", "tensorflow")
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        f"{p}:3:10: error: layer maxpool1 (maxpool2d): the tensorflow backend needs its "
        "ceil-mode input sizes as numbers, the model leaves them open (?, ?); give the input "
        "a fixed size  [unsupported-op]",
        "      return maxpool2d(y, kernel=3, stride=2, ceil_mode=true)",
        "             ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~",
    ]
    r = run("gen", p, "-t", "tensorflow", "-o", tmp_path / "m.py")
    assert r.exit_code == 1 and not (tmp_path / "m.py").exists()


def test_tensorflow_unknown_rank_is_a_diagnostic() -> None:
    import papercc
    from papercc.backends.tensorflow import target as tf_target
    from papercc.ir.types import TensorType

    graph = papercc.check(papercc.parse(CEIL.replace("H, W", "32, 32"))).graphs["m"]
    conv = graph.nodes[0]
    conv.outputs[0].type = TensorType(conv.outputs[0].type.dtype, None)
    with pytest.raises(papercc.DiagnosticError) as err:
        tf_target.generate(graph, "ceil.dlir")
    (d,) = err.value.diagnostics
    assert d.header() == (
        "<string>:2:7: error: value conv1 has no known rank; the tensorflow backend needs one"
        "  [unsupported-op]"
    )


def test_an_unforeseen_file_error_is_an_io_diagnostic(monkeypatch) -> None:
    import papercc.compiler.cli.summary as summary

    def broken(graph):
        raise PermissionError(13, "Permission denied", "/var/cache/papercc")

    monkeypatch.setattr(summary, "summary_data", broken)
    r = run("summary", "--json", LENET)
    assert r.exit_code == 2
    assert lines(r.stderr) == ["/var/cache/papercc: error: Permission denied  [io]"]


# ---------------------------------------------------------------- compile: figures


def _chain_png() -> np.ndarray:
    from synth_figures import Style, figure

    return figure("chain", Style()).image


def test_compile_usage_problems(tmp_path: Path) -> None:
    png = tmp_path / "f.png"
    png.write_bytes(b"")
    cases = [
        (("-o", png), "the output would overwrite the input; choose another -o"),
        (("--pages", "1"), "--pages and --report apply to a whole-paper compile"),
        (("--page", "1"), "--page and --figure apply to PDF input only"),
    ]
    for args, message in cases:
        r = run("compile", png, *args)
        assert r.exit_code == 2
        assert lines(r.stderr) == [f"{png}: error: {message}  [usage]"]
    onnx = written(tmp_path, "m.onnx", "")
    r = run("compile", onnx)
    assert r.exit_code == 2
    assert lines(r.stderr) == [
        f"{onnx}: error: unsupported input type '.onnx' (want .pdf, .png, .jpg)  [usage]"
    ]


def test_compile_unreadable_and_empty_figures(tmp_path: Path) -> None:
    import cv2

    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    r = run("compile", empty)
    assert r.exit_code == 2
    assert lines(r.stderr) == [f"{empty}: error: empty file  [io]"]
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((120, 200), 255, np.uint8))
    r = run("compile", blank, "-o", tmp_path / "out.dlir")
    assert r.exit_code == 4 and not (tmp_path / "out.dlir").exists()
    assert lines(r.stderr) == [
        f"{blank}: error: no box diagram (no arrows found); nothing to compile  [no-model]"
    ]


def _paper(tmp_path: Path, labels: list[str]) -> Path:
    """A one-page paper with Figure 1: a vertical chain of boxes joined by arrows."""
    import pymupdf
    from synth_figures import draw_chain_figure

    doc = pymupdf.open()
    draw_chain_figure(doc.new_page(width=420, height=500), labels)
    p = tmp_path / "paper.pdf"
    doc.save(p)
    return p


def test_compile_pdf_page_problems(tmp_path: Path) -> None:
    pdf = _paper(tmp_path, ["Input 32x32x3", "conv 3x3, 16", "FC 10"])
    r = run("compile", pdf, "--page", "9")
    assert r.exit_code == 2
    assert lines(r.stderr) == [
        f"{pdf}: error: page 9 does not exist (the PDF has 1 pages)  [usage]"
    ]
    r = run("compile", pdf, "--page", "1", "--figure", "42")
    assert r.exit_code == 2
    assert lines(r.stderr) == [f"{pdf}: error: no Figure 42 found on page 1  [usage]"]


def test_compile_warnings_name_the_page_and_figure_or_the_output_line(tmp_path: Path) -> None:
    pdf = _paper(tmp_path, ["Input 32x32x3", "conv 3x3, 16", "pool 2x2", "Inception-A", "FC 10"])
    out = tmp_path / "out.dlir"
    r = run("compile", pdf, "--figures-only", "-o", out)
    assert r.exit_code == 0, r.output
    assert lines(r.stderr) == [  # sorted by file (out.dlir < paper.pdf), then place
        f"{out}:2:1: warning: block inception_a: body not in the figure(s), a stub (identity)"
        "  [stub]",
        f"{pdf}: page 1, figure 1: warning: 'pool 2x2': pool type not stated, max assumed"
        "  [assumed]",
        f"{pdf}: page 1, figure 1: warning: block 'inception_a' is drawn as one box; its body "
        "is a stub (identity)  [assumed]",
        f"{pdf}: page 1, figure 1: note: box 2 'pool 2x2': padding valid: a pool pads nothing "
        "(convention)  [assumed]",
        f"{pdf}: page 1, figure 1: note: box 2 'pool 2x2': stride 2: pooling stride = window "
        "(convention)  [assumed]",
        f"{pdf}: page 1, figure 1: note: padding 'same' on 1 layer(s) whose padding the figure "
        "does not mark (convention: box diagrams keep sizes unless a stride is drawn)  [assumed]",
    ]
    assert "compiled: no holes; 3 value(s) assumed (see the comments in the DLIR)" in r.stdout


# ---------------------------------------------------------------- compile: whole papers


def test_whole_paper_problems(tmp_path: Path) -> None:
    bad = written(tmp_path, "bad.pdf", "not a pdf")
    r = run("compile", bad)
    assert r.exit_code == 2
    assert re.fullmatch(
        rf"{re.escape(str(bad))}: error: not a readable PDF \(.*\)  \[io\]", lines(r.stderr)[0]
    )
    pdf = _paper(tmp_path, ["Input 32x32x3", "conv 3x3, 16", "FC 10"])
    r = run("compile", pdf, "--pages", "5")
    assert r.exit_code == 2
    assert lines(r.stderr) == [f"{pdf}: error: --pages: pages 5 are outside 1-1  [usage]"]
    r = run("compile", pdf, "-o", tmp_path / "no" / "out.dlir")
    assert r.exit_code == 2
    assert lines(r.stderr) == [
        f"{tmp_path / 'no' / 'out.dlir'}: error: cannot write: No such file or directory  [io]"
    ]
    import pymupdf

    doc = pymupdf.open()
    doc.new_page().insert_text((50, 50), "Introduction. No figures here.")
    text_only = tmp_path / "text.pdf"
    doc.save(text_only)
    r = run("compile", text_only)
    assert r.exit_code == 4
    assert lines(r.stderr) == [
        f"{text_only}: error: no model found: no architecture table or model figure  [no-model]"
    ]


def test_whole_paper_errors_point_into_the_output_with_the_page_they_came_from() -> None:
    import papercc
    from papercc.compiler.cli.paper import errors_in_output
    from papercc.compiler.lower.context import read_context
    from papercc.compiler.paper.driver import ModelInfo, PaperResult
    from papercc.ir.check import check_module

    text = "model net(x: f32[N, 3]) {\n  return dense(x, units=-2)\n}\n"
    module = papercc.parse(text, "p.pdf")  # compile_paper names spans after the paper
    result = check_module(module, holes="warning")
    paper = PaperResult(
        module,
        [ModelInfo("net", "table", 4, "Table 2: Our network.")],
        [],
        [],
        read_context(""),
        diagnostics=list(result.diagnostics),
    )
    (d,) = errors_in_output(paper, Path("dir/p.pdf"), "out.dlir")
    assert d.location() == "out.dlir:2:25"
    assert d.notes[-1] == (None, "model net is from p.pdf: page 4, table 2")


def test_a_page_that_cannot_be_read_is_located_at_its_page(tmp_path: Path, monkeypatch) -> None:
    import papercc.compiler.lower.figure as figure

    pdf = _paper(tmp_path, ["Input 32x32x3", "conv 3x3, 16", "FC 10"])

    def damaged(page, no, *args):
        raise RuntimeError("syntax error in content stream")

    monkeypatch.setattr(figure, "_page_figures", damaged)
    r = run("compile", pdf, "--figures-only")
    assert r.exit_code == 2
    assert lines(r.stderr) == [
        f"{pdf}: page 1: error: cannot read the page (syntax error in content stream)  [io]"
    ]


# ---------------------------------------------------------------- every code is tested


def test_every_command_line_code_has_a_test_here() -> None:
    mine = {"usage", "unavailable", "not-canonical", "assumed", "stub", "random-weights"}
    mine |= {"verify", "io", "no-model", "unsupported-op"}
    text = Path(__file__).read_text()
    assert mine <= set(CODES)
    assert not [c for c in mine if f"[{c}]" not in text]
