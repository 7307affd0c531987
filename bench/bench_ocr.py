"""OCR engine benchmark (on demand, not a test): Tesseract (the strip reader of
`raster.ocr`, upright only, as before), PP-OCR alone (`raster.ppocr`, rapidocr-onnxruntime's
models on onnxruntime) and "auto" (the default `Ocr`: Tesseract, tall crops also read
turned, PP-OCR for the readings that are no label) on box labels.

Why: labels written sideways (rotated 90°) came out of Tesseract as garbage on figures
the raster reader was never tuned on; this measures, per engine and per crop
orientation, how many labels each reads exactly, and how long a figure's labels take.

Crops: the raster reader's own text crops (`text.box_text_crop`) of the boxes of figures
rendered by `bench_figures` (PNG), matched to the renderer's truth boxes; each read
upright and turned 90° and 270°. Scores per label: exact text (whitespace normalised),
exact without spaces, and "parses" (the text parses to the truth box's ops and stated
attributes, as `bench_figures` scores nodes). Whole figures: boxes in a row with
labels written sideways (PyMuPDF `insert_text(rotate=90)`), read by
`extract_raster_diagram` with each engine. Real figures: `--pdf FILE:PAGE` prints each
engine's reading of every box of the page's raster figures, side by side (no truth).

Usage: python bench/bench_ocr.py [--n 20] [--seed 7] [--rotated 6] [--pdf F.pdf:6 ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from bench_figures import figure_case, match_nodes, node_ok  # noqa: E402

from papercc.compiler.diagram.graph import Diagram, DiagramNode  # noqa: E402
from papercc.compiler.raster.boxes import find_boxes  # noqa: E402
from papercc.compiler.raster.diagram import extract_raster_diagram  # noqa: E402
from papercc.compiler.raster.ocr import Ocr  # noqa: E402
from papercc.compiler.raster.prep import prepare  # noqa: E402
from papercc.compiler.raster.text import box_text_crop  # noqa: E402
from papercc.compiler.render.draw import render  # noqa: E402

ENGINES = ("tesseract", "ppocr", "auto")
TURNS = {0: 0, 90: 1, 270: 3}


def norm(text: str) -> str:
    return " ".join(text.split())


def label_crops(n: int, seed: int) -> list[tuple[list[np.ndarray], list[dict]]]:
    """Per figure: the box text crops and their truth boxes."""
    out = []
    for i in range(n):
        _, _, graph, style = figure_case(i, seed)
        r = render(graph, style, "png")
        bgr = cv2.imdecode(np.frombuffer(r.data, np.uint8), cv2.IMREAD_COLOR)
        prep = prepare(bgr)
        boxes = find_boxes(prep)
        nodes = tuple(
            DiagramNode(k, "", tuple(float(v) for v in b.bbox), b.shape, 1.0)
            for k, b in enumerate(boxes)
        )
        match = match_nodes(r.truth, Diagram(nodes, ()))
        crops, truth = [], []
        for tb in r.truth["boxes"]:
            k = match.get(tb["id"])
            if k is None or boxes[k].symbol or tb["shape"] == "circle":
                continue
            crop = box_text_crop(prep, boxes[k])
            if crop is not None:
                crops.append(crop)
                truth.append(tb)
        out.append((crops, truth))
    return out


def score_crops(figs, ocr: dict[str, Ocr]) -> dict:
    rows = {}
    for eng in ENGINES:
        for angle, k in TURNS.items():
            exact = nospace = parses = total = 0
            secs = 0.0
            for crops, truth in figs:
                turned = [np.ascontiguousarray(np.rot90(c, k)) for c in crops]
                t0 = time.perf_counter()
                read = ocr[eng].read_crops(turned)
                secs += time.perf_counter() - t0
                for tb, rd in zip(truth, read, strict=True):
                    total += 1
                    exact += norm(rd.text) == norm(tb["text"])
                    nospace += rd.text.replace(" ", "") == tb["text"].replace(" ", "")
                    parses += node_ok(tb, SimpleNamespace(text=rd.text, shape="rect"))
            rows[(eng, angle)] = dict(
                labels=total,
                exact=exact / max(1, total),
                nospace=nospace / max(1, total),
                parses=parses / max(1, total),
                s_per_fig=secs / max(1, len(figs)),
            )
    return rows


LABELS = (
    "conv 3x3, 64",
    "max pool /2",
    "conv 5x5, 128",
    "relu",
    "fc 4096",
    "batchnorm",
    "avg pool 2x2",
    "softmax",
    "dropout 0.5",
    "conv 1x1, 256",
    "fc 10",
    "flatten",
)


def rotated_figure(seed: int, rotate: int = 90, n: int = 5) -> tuple[np.ndarray, list[str]]:
    """A horizontal flow of `n` tall boxes whose labels are written sideways (PyMuPDF
    `rotate`: 90 reads bottom to top, 270 top to bottom), as a 216 dpi image."""
    import pymupdf

    rng = np.random.default_rng(seed)
    labels = [LABELS[int(j)] for j in rng.choice(len(LABELS), n, replace=False)]
    doc = pymupdf.open()
    page = doc.new_page(width=60 + 70 * n, height=200)
    for j, text in enumerate(labels):
        x0 = 30 + 70 * j
        rect = pymupdf.Rect(x0, 40, x0 + 34, 160)
        page.draw_rect(rect, color=(0, 0, 0), width=1)
        tl = pymupdf.get_text_length(text, fontsize=10)
        if rotate == 90:
            page.insert_text((x0 + 21, 100 + tl / 2), text, fontsize=10, rotate=90)
        else:
            page.insert_text((x0 + 13, 100 - tl / 2), text, fontsize=10, rotate=270)
        if j:
            page.draw_line((x0 - 36, 100), (x0 - 1, 100), color=(0, 0, 0), width=1)
            page.draw_polyline(
                [(x0 - 6, 96), (x0 - 1, 100), (x0 - 6, 104)], color=(0, 0, 0), fill=(0, 0, 0)
            )
    pix = page.get_pixmap(dpi=216)
    img = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, pix.n)
    doc.close()
    return cv2.cvtColor(img[:, :, :3], cv2.COLOR_RGB2BGR), labels


def score_rotated(count: int, ocr: dict[str, Ocr]) -> dict:
    rows = {}
    for eng in ENGINES:
        for rot in (90, 270):
            exact = total = 0
            secs = 0.0
            for s in range(count):
                img, labels = rotated_figure(s, rot)
                t0 = time.perf_counter()
                d = extract_raster_diagram(img, ocr=ocr[eng])
                secs += time.perf_counter() - t0
                got = sorted(norm(x.text) for x in d.nodes)
                total += len(labels)
                exact += sum(min(got.count(t), 1) for t in set(labels))
            rows[(eng, rot)] = dict(
                labels=total, exact=exact / max(1, total), s_per_fig=secs / max(1, count)
            )
    return rows


def real_figures(spec: str, ocr: dict[str, Ocr]) -> None:
    import pymupdf

    from papercc.compiler.lower.figure import figures_from_pdf

    path, page = spec.rsplit(":", 1)
    for eng in ENGINES:
        t0 = time.perf_counter()
        figs = figures_from_pdf(path, page=int(page), raster=True, ocr=ocr[eng])
        secs = time.perf_counter() - t0
        texts = [norm(n.text) for f in figs for n in f.diagram.nodes if n.text.strip()]
        print(f"{Path(path).name} p{page} {eng}: {len(figs)} figure(s), {secs:.2f} s")
        print("   ", " | ".join(texts)[:1500])
    del pymupdf


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=20, help="rendered figures for label crops")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rotated", type=int, default=6, help="whole figures per rotation")
    ap.add_argument("--pdf", action="append", default=[], metavar="FILE:PAGE")
    args = ap.parse_args(argv)
    ocr = {e: Ocr(engine=e) for e in ENGINES}
    try:
        figs = label_crops(args.n, args.seed)
        rows = score_crops(figs, ocr)
        print("| engine | crop | labels | exact | exact (no spaces) | parses | s / figure |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for (eng, angle), r in rows.items():
            print(
                f"| {eng} | {angle}° | {r['labels']} | {r['exact']:.1%} | {r['nospace']:.1%} "
                f"| {r['parses']:.1%} | {r['s_per_fig']:.3f} |"
            )
        if args.rotated:
            print("\n| reader engine | labels written | labels | exact | s / figure |")
            print("| --- | --- | --- | --- | --- |")
            for (eng, rot), r in score_rotated(args.rotated, ocr).items():
                print(
                    f"| {eng} | rotate={rot} | {r['labels']} | {r['exact']:.1%} "
                    f"| {r['s_per_fig']:.3f} |"
                )
        for spec in args.pdf:
            real_figures(spec, ocr)
    finally:
        for o in ocr.values():
            o.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
