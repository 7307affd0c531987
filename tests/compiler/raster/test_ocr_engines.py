"""OCR of sideways labels, size notes reported in `Diagram.notes`, OCR on by default
for raster figures in PDFs. The figures are drawn here with PyMuPDF."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pymupdf
import pytest

from papercc.compiler.raster.diagram import extract_raster_diagram
from papercc.compiler.raster.ocr import Ocr
from papercc.compiler.raster.ppocr import available, split_lines

LABELS = ("conv 3x3, 64", "max pool /2", "fc 4096")


def _page_image(page, dpi: int = 216) -> np.ndarray:
    pix = page.get_pixmap(dpi=dpi)
    img = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, pix.n)
    return cv2.cvtColor(np.ascontiguousarray(img[:, :, :3]), cv2.COLOR_RGB2BGR)


def _arrow(page, a: tuple[float, float], b: tuple[float, float]) -> None:
    page.draw_line(a, b, color=(0, 0, 0), width=1)
    (x, y), horizontal = b, a[1] == b[1]
    tip = (
        [(x - 6, y - 4), (x, y), (x - 6, y + 4)]
        if horizontal
        else [(x - 4, y - 6), (x, y), (x + 4, y - 6)]
    )
    page.draw_polyline(tip, color=(0, 0, 0), fill=(0, 0, 0), closePath=True)


def sideways_flow(rotate: int) -> np.ndarray:
    """Three tall boxes left to right, their labels written sideways."""
    doc = pymupdf.open()
    page = doc.new_page(width=260, height=200)
    for j, text in enumerate(LABELS):
        x0 = 30 + 80 * j
        page.draw_rect(pymupdf.Rect(x0, 40, x0 + 34, 160), color=(0, 0, 0), width=1)
        tl = pymupdf.get_text_length(text, fontsize=10)
        if rotate == 90:
            page.insert_text((x0 + 21, 100 + tl / 2), text, fontsize=10, rotate=90)
        else:
            page.insert_text((x0 + 13, 100 - tl / 2), text, fontsize=10, rotate=270)
        if j:
            _arrow(page, (x0 - 46, 100), (x0 - 1, 100))
    img = _page_image(page)
    doc.close()
    return img


@pytest.mark.parametrize("rotate", [90, 270])
def test_sideways_labels_are_read(rotate: int) -> None:
    with Ocr() as ocr:
        d = extract_raster_diagram(sideways_flow(rotate), ocr=ocr)
        again = extract_raster_diagram(sideways_flow(rotate), ocr=ocr)
    texts = [" ".join(n.text.split()) for n in d.nodes]
    assert sorted(texts) == sorted(LABELS)
    assert len(d.edges) == 2
    assert d == again  # deterministic


def vertical_flow_with_notes() -> tuple[np.ndarray, list[str]]:
    """Three boxes top to bottom; a size note left of the first box, one right of the
    second arrow."""
    doc = pymupdf.open()
    page = doc.new_page(width=300, height=260)
    for j, text in enumerate(LABELS):
        y0 = 30 + 80 * j
        page.draw_rect(pymupdf.Rect(110, y0, 210, y0 + 30), color=(0, 0, 0), width=1)
        tl = pymupdf.get_text_length(text, fontsize=10)
        page.insert_text((160 - tl / 2, y0 + 19), text, fontsize=10)
        if j:
            _arrow(page, (160, y0 - 50), (160, y0 - 1))
    page.insert_text((20, 49), "28x28x64", fontsize=10)
    page.insert_text((170, 175), "14x14x64", fontsize=10)
    img = _page_image(page)
    doc.close()
    return img, ["28x28x64", "14x14x64"]


def test_size_notes_are_reported_in_diagram_notes() -> None:
    img, notes = vertical_flow_with_notes()
    with Ocr() as ocr:
        d = extract_raster_diagram(img, ocr=ocr)
    assert sorted(" ".join(n.text.split()) for n in d.nodes) == sorted(LABELS)
    got = {t.text.replace("×", "x"): t for t in d.notes}
    assert sorted(got) == sorted(notes)
    left = got["28x28x64"]
    first = min(d.nodes, key=lambda n: n.bbox[1])
    assert left.bbox[2] <= first.bbox[0] and left.edge is None
    on_arrow = got["14x14x64"]
    by_text = {" ".join(n.text.split()): n.id for n in d.nodes}
    assert on_arrow.edge == (by_text["max pool /2"], by_text["fc 4096"])


def test_lines_of_a_crop_are_split_top_to_bottom() -> None:
    crop = np.full((60, 80), 255, np.uint8)
    crop[5:20, 5:70] = 0
    crop[25:27, 5:10] = 0  # a dot, part of the next line
    crop[30:45, 5:50] = 0
    lines = split_lines(crop)
    assert [line.shape[1] for line in lines] == [65 + 8, 45 + 8]


@pytest.mark.skipif(not available(), reason="rapidocr-onnxruntime is not installed")
def test_ppocr_reads_a_sideways_crop_in_reading_order() -> None:
    img = sideways_flow(90)
    with Ocr(engine="ppocr") as ocr:
        d = extract_raster_diagram(img, ocr=ocr)
    assert "maxpool/2" in {n.text.replace(" ", "") for n in d.nodes}


def raster_figure_pdf(path: Path) -> None:
    """A page with a caption and an embedded PNG of a three-box flow."""
    img, _ = vertical_flow_with_notes()
    ok, png = cv2.imencode(".png", img)
    assert ok
    doc = pymupdf.open()
    page = doc.new_page(width=400, height=500)
    page.insert_image(pymupdf.Rect(50, 60, 350, 320), stream=png.tobytes())
    page.insert_text((50, 340), "Figure 1: The network.", fontsize=10)
    doc.save(path)
    doc.close()


def test_raster_figures_in_pdfs_are_read_by_default(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from papercc.compiler.cli.main import main

    pdf = tmp_path / "paper.pdf"
    raster_figure_pdf(pdf)
    runner = CliRunner()
    out = tmp_path / "m.dlir"
    r = runner.invoke(main, ["compile", str(pdf), "--page", "1", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "conv2d" in out.read_text()
    r = runner.invoke(main, ["compile", str(pdf), "--page", "1", "--no-ocr", "-o", str(out)])
    assert r.exit_code != 0 and "no figure" in r.output
    r = runner.invoke(main, ["compile", str(pdf), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "conv2d" in out.read_text()
