"""Hostile and broken PDFs through the whole-paper path: a clear message and a non-zero
exit, never a traceback, never a partial output file; hostile figure text stays inert."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pymupdf
import pytest
from synth_figures import draw_chain_figure

import papercc
from papercc.backends import pytorch
from papercc.compiler.cli.paper import EXIT_NO_MODEL, run_paper_compile
from papercc.compiler.paper.driver import compile_paper
from papercc.ir.check import check_module


def _pdf_bytes(draw) -> bytes:
    doc = pymupdf.open()
    page = doc.new_page(width=420, height=500)
    draw(page)
    return doc.tobytes()


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out.dlir"


def run(path: Path, out: Path) -> int:
    return run_paper_compile(path, str(out), None, None, 1, False)


def test_not_a_pdf(tmp_path: Path, out: Path, capsys) -> None:
    p = tmp_path / "paper.pdf"
    p.write_text("this is not a pdf")
    assert run(p, out) == 2
    assert "not a readable PDF" in capsys.readouterr().err and not out.exists()


def test_empty_and_truncated(tmp_path: Path, out: Path, capsys) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    assert run(empty, out) == 2
    good = _pdf_bytes(
        lambda page: draw_chain_figure(page, ["Input 224x224x3", "conv 3x3, 64", "FC 10"])
    )
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(good[: len(good) // 3])
    code = run(truncated, out)
    assert code in (2, EXIT_NO_MODEL)  # PyMuPDF may repair a truncated file; either way no crash
    assert "Traceback" not in capsys.readouterr().err


def test_encrypted(tmp_path: Path, out: Path, capsys) -> None:
    doc = pymupdf.open()
    doc.new_page().insert_text((50, 50), "secret")
    p = tmp_path / "enc.pdf"
    doc.save(p, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="pw", owner_pw="pw2")
    assert run(p, out) == 2
    assert "encrypted" in capsys.readouterr().err and not out.exists()


def test_scanned_only_and_blank_pages_find_no_model(tmp_path: Path, out: Path, capsys) -> None:
    doc = pymupdf.open()
    page = doc.new_page()
    pix = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 200, 200), False)
    pix.clear_with(200)
    page.insert_image(pymupdf.Rect(50, 50, 400, 400), pixmap=pix)
    doc.new_page()
    p = tmp_path / "scan.pdf"
    doc.save(p)
    assert run(p, out) == EXIT_NO_MODEL
    assert "no model found" in capsys.readouterr().err and not out.exists()


def test_many_pages(tmp_path: Path) -> None:
    doc = pymupdf.open()
    for i in range(120):
        doc.new_page(width=300, height=300).insert_text((40, 40), f"page {i} text only")
    p = tmp_path / "long.pdf"
    doc.save(p)
    done = []
    result = compile_paper(p, jobs=2, progress=lambda pf: done.append(pf.page))
    assert result.models == [] and result.pages == list(range(1, 121))  # in page order
    assert sorted(done) == result.pages  # one report per page, as each is done


def _pages(tmp_path: Path, n: int) -> Path:
    doc = pymupdf.open()
    for i in range(n):
        doc.new_page(width=300, height=300).insert_text((40, 40), f"page {i} text only")
    p = tmp_path / "pages.pdf"
    doc.save(p)
    return p


def test_a_page_a_worker_cannot_read_stops_the_run_with_its_place(tmp_path, monkeypatch):
    import papercc.compiler.paper.driver as driver
    from papercc.compiler.lower.figure import InputError
    from papercc.ir.diagnostics import Place

    real = driver.analyse_page

    def flaky(path, page, ocr=None):
        if page == 3:
            raise InputError("cannot read the page (boom)", path, Place(3))
        return real(path, page, ocr)

    monkeypatch.setattr(driver, "analyse_page", flaky)  # the forked workers inherit it
    p = _pages(tmp_path, 8)
    with pytest.raises(InputError) as err:
        compile_paper(p, jobs=2)
    assert str(err.value) == f"{p}: page 3: cannot read the page (boom)"


def test_a_worker_that_dies_ends_the_run_instead_of_hanging(tmp_path, monkeypatch):
    import os
    from concurrent.futures.process import BrokenProcessPool

    import papercc.compiler.paper.driver as driver

    monkeypatch.setattr(driver, "analyse_page", lambda path, page, ocr=None: os._exit(1))
    with pytest.raises(BrokenProcessPool):
        compile_paper(_pages(tmp_path, 4), jobs=2)


def test_hostile_figure_text_gives_safe_dlir_and_code(tmp_path: Path, out: Path) -> None:
    hostile = [
        'Input 32x32x3"); import os; os.system("x',
        "conv 3x3, 16",
        "conv 3x3, 16 # } model evil(x: f32[N]) {",
        "max pool 2x2",
        "__import__('os').system('id')",
        "conv 3x3, 32",
        "FC 10",
    ]
    p = tmp_path / "hostile.pdf"
    p.write_bytes(_pdf_bytes(lambda page: draw_chain_figure(page, hostile)))
    code = run(p, out)
    assert code == 0, "a chain of boxes is still a model"
    text = out.read_text()
    module = papercc.parse(text)
    assert [d.name for d in module.models] and all(d.name != "evil" for d in module.definitions)
    result = check_module(module, holes="warning")
    for graph in result.graphs.values():
        if any(n.params is None for n in graph.nodes):
            with pytest.raises(papercc.DiagnosticError):
                pytorch.generate(graph, str(p))  # input sizes unknown: refused, not guessed
            continue
        source = pytorch.generate(graph, str(p))
        tree = ast.parse(source)
        calls = [
            n.func.id
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        ]
        assert "__import__" not in calls and "system" not in source.replace("# ", "").split("(")[0]
    json.dumps(text)  # plain text
