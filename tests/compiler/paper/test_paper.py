"""Whole-paper compile on the real papers: tables and figures found, classified, lowered,
merged; parameter counts as the papers state; non-model figures not reported."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from paths import PAPERS

import papercc
from papercc.compiler.paper.driver import compile_paper, parse_pages
from papercc.ir.check import check_module

pytestmark = pytest.mark.skipif(not PAPERS.exists(), reason="shared papers not present")


@cache
def compiled(name: str, pages: tuple[int, ...] | None = None):
    # tables and vector figures: these papers' raster figures (read by default) are the
    # OCR tests' and benchmark's business, and reading them costs minutes here
    result = compile_paper(PAPERS / name, list(pages) if pages else None, ocr=False)
    text = papercc.format(result.module)
    checked = check_module(papercc.parse(text), holes="warning")
    assert checked.ok, [d.header() for d in checked.diagnostics if d.severity == "error"][:5]
    return result, checked


def params(checked, name: str) -> int | None:
    return checked.graphs[name].params


def test_vgg_paper() -> None:
    result, checked = compiled("vgg_1409.1556.pdf")
    by_header = {m.header: m.name for m in result.models if m.kind == "table"}
    assert set(by_header) == {"A", "A-LRN", "B", "C", "D", "E"}
    assert params(checked, by_header["D"]) == 138_357_544
    assert not [m for m in result.models if m.kind == "figure"]  # VGG draws no architecture


def test_resnet_paper_models_and_rejected_plots() -> None:
    result, checked = compiled("resnet_1512.03385.pdf")
    by_header = {m.header: m.name for m in result.models if m.kind == "table"}
    expected = {
        "18-layer": 11_689_512,
        "34-layer": 21_797_672,
        "50-layer": 25_557_032,
        "101-layer": 44_549_160,
        "152-layer": 60_192_808,
    }
    assert {h: params(checked, by_header[h]) for h in expected} == expected
    verdicts = {fig.number: v.is_model for fig, v in result.figures}
    # Figures 1, 4, 6 are training curves, 7 a plot of layer responses: not models
    assert verdicts[1] is False and verdicts[4] is False and verdicts[6] is False
    assert verdicts[7] is False
    assert verdicts[3] is True  # the VGG-19 / plain / residual columns
    merged = {m.name: m.merged_with for m in result.models if m.merged_with}
    assert list(merged) == [by_header["34-layer"]]  # the residual column; not VGG-19


def test_googlenet_figure_merges_into_table() -> None:
    result, checked = compiled("googlenet_cvpr2015.pdf")
    (table_model,) = [m for m in result.models if m.kind == "table"]
    assert 6_600_000 <= params(checked, table_model.name) <= 7_000_000
    assert table_model.merged_with is not None  # Figure 3 draws the same network


def test_mobilenet_paper() -> None:
    result, checked = compiled("mobilenet_1704.04861.pdf", (4,))
    tables = [m for m in result.models if m.kind == "table"]
    assert len(tables) == 1  # Figure 3 (a block diagram that find_tables returns) is no table
    assert round(params(checked, tables[0].name) / 1e6, 1) == 4.2


def test_inception_v4_figures_are_models() -> None:
    result, _ = compiled("inception_v4_1602.07261.pdf", (3, 4))
    accepted = {fig.number for fig, v in result.figures if v.is_model}
    assert {3, 4, 5, 6, 7, 8} <= accepted


def test_page_ranges() -> None:
    assert parse_pages("3-5,8", 10) == [3, 4, 5, 8]
    assert parse_pages(None, 3) == [1, 2, 3]
    for bad in ("0", "5-3", "x", "11", "2-12", ","):
        with pytest.raises(ValueError):
            parse_pages(bad, 10)


def test_compile_command_end_to_end(tmp_path: Path) -> None:
    """The README's main job: a paper to DLIR to PyTorch code and ONNX."""
    from click.testing import CliRunner

    from papercc.compiler.cli.main import main

    out, report = tmp_path / "vgg.dlir", tmp_path / "report.html"
    runner = CliRunner()
    r = runner.invoke(
        main,
        [
            "compile",
            str(PAPERS / "vgg_1409.1556.pdf"),
            "-o",
            str(out),
            "--report",
            str(report),
            "--pages",
            "3-4",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "model D" in r.output and "138,357,544" in r.output
    html = report.read_text()
    assert "data:image/png;base64" in html and "conv3-64" not in html.split("<h2>")[0]
    r = runner.invoke(
        main, ["gen", str(out), "--model", "D", "--target", "pytorch", "-o", str(tmp_path / "d.py")]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["export", str(out), "--model", "D", "-o", str(tmp_path / "d.onnx")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["compile", str(PAPERS / "vgg_1409.1556.pdf"), "--pages", "99"])
    assert r.exit_code == 2 and "outside" in r.output
    r = runner.invoke(main, ["compile", str(PAPERS / "vgg_1409.1556.pdf"), "--pages", "1"])
    assert r.exit_code == 4 and "no model found" in r.output


def test_model_chosen_by_table_header(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from papercc.compiler.cli.main import main

    out = tmp_path / "resnet.dlir"
    runner = CliRunner()
    assert (
        runner.invoke(
            main, ["compile", str(PAPERS / "resnet_1512.03385.pdf"), "--pages", "5", "-o", str(out)]
        ).exit_code
        == 0
    )
    r = runner.invoke(main, ["summary", str(out), "--model", "50-layer", "--json"])
    assert r.exit_code == 0 and '"params": 25557032' in r.output
    r = runner.invoke(main, ["summary", str(out), "--model", "net_50_layer", "--json"])
    assert r.exit_code == 0 and '"params": 25557032' in r.output


def test_a_table_read_inside_a_captioned_figure_is_the_figure():
    """A wrapped flow of short layer labels reads like a grid: a "table" without a table
    caption of its own that lies inside a captioned figure with boxes is set aside."""
    from papercc.compiler.diagram.graph import Diagram, DiagramNode
    from papercc.compiler.lower.figure import FigureInput
    from papercc.compiler.paper.driver import tables_outside_figures
    from papercc.compiler.tables.model import ArchTable

    nodes = (DiagramNode(0, "conv 3x3, 64", (100, 100, 160, 120)),)
    fig = FigureInput(Diagram(nodes, (), {"bbox": (70, 90, 540, 470)}), "Figure 1: Net.", 1, 1)
    inside = ArchTable(1, (80, 200, 530, 240), "", "rows", ())
    captioned = ArchTable(1, (80, 250, 530, 300), "Table 2: layers", "rows", ())
    elsewhere = ArchTable(1, (80, 500, 530, 600), "", "rows", ())
    kept, dropped = tables_outside_figures((inside, captioned, elsewhere), (fig,))
    assert kept == (captioned, elsewhere)
    assert dropped == (
        "page 1: a table read inside figure1 is the figure's labels; read as the figure",
    )
