"""The report lists every value a model takes that the paper does not write."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from papercc.compiler.cli.main import main
from papercc.compiler.paper.driver import compile_paper
from papercc.compiler.paper.report import assumptions, render_html, render_markdown


def _paper(tmp_path: Path, labels: list[str]) -> Path:
    import pymupdf
    from synth_figures import draw_chain_figure

    doc = pymupdf.open()
    draw_chain_figure(doc.new_page(width=420, height=500), labels)
    p = tmp_path / "paper.pdf"
    doc.save(p)
    return p


def test_the_report_lists_what_was_assumed(tmp_path):
    pdf = _paper(tmp_path, ["Image 32x32", "conv 3x3, 16", "max pool 2x2", "FC 10"])
    result = compile_paper(pdf)
    rows = assumptions(result.module)
    (model,) = rows
    assert rows[model] == [
        ("convs and pools", "", "padding 'same' where the figure marks none (convention)"),
        ("image_32x32", "input", "channels 3: an image input (convention)"),
        ("x", "page 1, figure 1, box 2", "stride 2: pooling stride = window (convention)"),
        ("x", "page 1, figure 1, box 2", "padding valid: a pool pads nothing (convention)"),
    ]
    html = render_html(result, str(pdf))
    assert "Values the paper does not write" in html
    assert "stride 2: pooling stride = window (convention)" in html
    md = render_markdown(result, str(pdf))
    assert "- x (page 1, figure 1, box 2): stride 2: pooling stride = window" in md
    res = CliRunner().invoke(main, ["compile", str(pdf), "-o", str(tmp_path / "m.dlir")])
    assert res.exit_code == 0, res.output
    assert "4 value(s) assumed (see the comments / --report)" in res.output
