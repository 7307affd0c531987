"""Raster diagram parser: synthetic figures with known graphs, bad inputs, real papers."""

from __future__ import annotations

import io
import shutil
import struct
import time
import zlib
from functools import partial
from pathlib import Path

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")

import synth_figures as S  # noqa: E402
from PIL import Image  # noqa: E402

from papercc.compiler.raster.diagram import (  # noqa: E402
    ImageError,
    extract_raster_diagram,
    load_image,
)
from papercc.compiler.raster.ocr import Ocr  # noqa: E402

# the module's figures are read with one set of OCR engines, as one run reads its figures
extract_raster_diagram = partial(extract_raster_diagram, ocr=Ocr())

PAPERS = Path("/work/shared/papers")
needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="no tesseract")


def _match(fig: S.SynthFigure, d) -> dict[int, int]:
    """Truth index -> predicted node id: the predicted node centred in the drawn box."""
    m = {}
    for i, (x0, y0, x1, y1) in enumerate(fig.bboxes):
        for n in d.nodes:
            cx, cy = (n.bbox[0] + n.bbox[2]) / 2, (n.bbox[1] + n.bbox[3]) / 2
            if x0 - 3 <= cx <= x1 + 3 and y0 - 3 <= cy <= y1 + 3:
                m[i] = n.id
    return m


def score(fig: S.SynthFigure, d) -> tuple[int, int, int, bool]:
    """(nodes read right, edges found, false edges, exact graph)."""
    m = _match(fig, d)
    inv = {v: k for k, v in m.items()}
    nodes_ok = sum(1 for i, lab in enumerate(fig.labels) if i in m and d.node(m[i]).text == lab)
    pred = {(inv.get(e.src, -1), inv.get(e.dst, -1)) for e in d.edges}
    exact = nodes_ok == len(fig.labels) == len(d.nodes) and pred == set(fig.edges)
    return nodes_ok, len(pred & fig.edges), len(pred - fig.edges), exact


CORE = [
    ("chain", S.Style(head="filled")),
    ("chain", S.Style(direction="right", head="hollow", font=S.FONTS[-1], fill=(225, 232, 245))),
    ("residual", S.Style(head="vee", line=2, plus_lines=True)),
    ("residual", S.Style(direction="right", head="filled", plus_lines=False)),
    ("inception", S.Style(head="filled", fill=(230, 230, 230), border=False)),
    ("inception", S.Style(direction="right", head="none", font=S.FONTS[1])),
]


@needs_tesseract
@pytest.mark.parametrize("family,style", CORE, ids=[f"{f}-{i}" for i, (f, _) in enumerate(CORE)])
def test_synthetic_exact(family: str, style: S.Style) -> None:
    fig = S.figure(family, style)
    d = extract_raster_diagram(fig.image, {"file": fig.name})
    nodes_ok, edges_ok, false_edges, exact = score(fig, d)
    assert exact, (fig.name, nodes_ok, edges_ok, false_edges, [n.text for n in d.nodes])
    assert d.direction == fig.direction
    assert d.source == {"file": fig.name}


@needs_tesseract
def test_shapes_and_symbols() -> None:
    fig = S.figure("residual", S.Style(plus_lines=True))
    d = extract_raster_diagram(fig.image)
    plus = [n for n in d.nodes if n.text == "+"]
    assert len(plus) == 1 and plus[0].shape == "circle"
    rounded = extract_raster_diagram(S.rounded_variant().image)
    assert {n.shape for n in rounded.nodes if n.shape != "text"} == {"rounded"}
    assert all(0.0 <= n.confidence <= 1.0 for n in d.nodes)


@needs_tesseract
def test_gray_input_and_free_label() -> None:
    fig = S.figure("chain", S.Style())
    gray = cv2.cvtColor(fig.image, cv2.COLOR_BGR2GRAY)
    d = extract_raster_diagram(gray)
    assert [n.text for n in d.nodes if n.shape == "text"] == ["input"]
    assert score(fig, d)[3]


@needs_tesseract
@pytest.mark.slow
def test_synthetic_set_accuracy() -> None:
    figs = S.standard_set() + [S.rounded_variant()]
    tot_n = ok_n = tot_e = ok_e = false_e = exact = 0
    t0 = time.perf_counter()
    for fig in figs:
        n, e, f, x = score(fig, extract_raster_diagram(fig.image))
        ok_n, ok_e, false_e, exact = ok_n + n, ok_e + e, false_e + f, exact + x
        tot_n, tot_e = tot_n + len(fig.labels), tot_e + len(fig.edges)
    per_fig = (time.perf_counter() - t0) / len(figs)
    assert ok_n / tot_n >= 0.97
    assert ok_e / tot_e >= 0.95 and false_e <= 5
    assert exact >= len(figs) - 3
    assert per_fig < 1.5  # ~0.15-0.4 s on the shared 2-core box


def _degraded(fig: S.SynthFigure, how: str) -> S.SynthFigure:
    if how == "jpeg70":
        ok, buf = cv2.imencode(".jpg", fig.image, [cv2.IMWRITE_JPEG_QUALITY, 70])
        return S.SynthFigure(
            fig.name,
            cv2.imdecode(buf, 1),
            fig.labels,
            fig.shapes,
            fig.edges,
            fig.direction,
            fig.bboxes,
        )
    f = {"x0.75": 0.75, "x1.5": 1.5}[how]
    img = cv2.resize(fig.image, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    boxes = tuple(tuple(v * f for v in b) for b in fig.bboxes)
    return S.SynthFigure(fig.name, img, fig.labels, fig.shapes, fig.edges, fig.direction, boxes)


@needs_tesseract
@pytest.mark.slow
@pytest.mark.parametrize("how", ["jpeg70", "x0.75", "x1.5"])
def test_synthetic_set_degraded(how: str) -> None:
    figs = [_degraded(f, how) for f in S.standard_set()]
    ok_n = ok_e = false_e = 0
    for fig in figs:
        n, e, f, _ = score(fig, extract_raster_diagram(fig.image))
        ok_n, ok_e, false_e = ok_n + n, ok_e + e, false_e + f
    assert ok_n / sum(len(f.labels) for f in figs) >= 0.95
    assert ok_e / sum(len(f.edges) for f in figs) >= 0.95 and false_e <= 5


# --- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,image",
    [
        ("blank", np.full((200, 300, 3), 255, np.uint8)),
        ("black", np.zeros((200, 300, 3), np.uint8)),
        ("noise", np.random.default_rng(0).integers(0, 256, (200, 300, 3), dtype=np.uint8)),
        ("gradient", np.tile(np.linspace(0, 255, 300).astype(np.uint8), (200, 1))),
        ("binary-noise", np.random.default_rng(1).random((120, 160)) > 0.5),
        ("1x1", np.zeros((1, 1, 3), np.uint8)),
        ("thin", np.zeros((3, 500), np.uint8)),
        ("float", np.random.default_rng(2).random((60, 60))),
        ("uint16", np.random.default_rng(3).integers(0, 65535, (60, 60)).astype(np.uint16)),
        ("bgra", np.full((50, 50, 4), 255, np.uint8)),
    ],
)
def test_no_diagram_gives_empty(name: str, image: np.ndarray) -> None:
    d = extract_raster_diagram(image)
    assert d.nodes == () and d.edges == (), name


@pytest.mark.parametrize(
    "image",
    [np.zeros((0, 0, 3), np.uint8), np.zeros((4, 4, 5), np.uint8), "not an array", np.zeros(3)],
)
def test_unusable_arrays_raise_image_error(image) -> None:
    with pytest.raises(ImageError):
        extract_raster_diagram(image)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return struct.pack(">I", len(data)) + kind + data + crc


def _png_header(w: int, h: int) -> bytes:
    ihdr = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    idat = _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
    return b"\x89PNG\r\n\x1a\n" + ihdr + idat + _png_chunk(b"IEND", b"")


def _png_bytes() -> bytes:
    buf = io.BytesIO()
    rgb = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("empty.png", b"", "empty file"),
        ("trunc.png", _png_bytes()[:300], "truncated"),
        ("notes.png", b"hello, this is text\n", "not an image"),
        ("bomb.png", _png_header(100_000, 100_000), "too large"),
        ("big.png", _png_header(8000, 8000), "too large"),
        ("zero.png", _png_header(0, 10), "image"),
    ],
)
def test_bad_files_raise_image_error(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(ImageError, match=message):
        load_image(p)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="cannot read"):
        load_image(tmp_path / "missing.png")
    with pytest.raises(ImageError, match="not a file"):
        load_image(tmp_path)


def test_load_image_modes(tmp_path: Path) -> None:
    rgba = np.zeros((10, 12, 4), np.uint8)
    rgba[..., 0] = 255  # red, fully transparent -> white
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    a = load_image(tmp_path / "a.png")
    assert a.shape == (10, 12, 3) and a.dtype == np.uint8 and int(a.min()) == 255
    Image.fromarray(np.full((5, 6), 7, np.uint8), "L").save(tmp_path / "g.jpg")
    g = load_image(tmp_path / "g.jpg")
    assert g.shape == (5, 6, 3)


# --- real papers, rendered as if they were raster figures ---------------------------


def _render(pdf: str, page: int, clip: tuple[float, float, float, float], dpi: int) -> np.ndarray:
    fitz = pytest.importorskip("pymupdf")
    path = PAPERS / pdf
    if not path.exists():
        pytest.skip(f"{path} not available")
    with fitz.open(path) as doc:
        pix = doc[page - 1].get_pixmap(dpi=dpi, clip=fitz.Rect(*clip))
        a = np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w, pix.n)
        return np.ascontiguousarray(a[:, :, 2::-1])


INCEPTION_V4_P4 = [  # figure, clip (pt), boxes, edges, inputs of the top concat, outputs of the bottom one
    ("fig4", (55, 80, 320, 232), 10, 12, 4, 4),
    ("fig5", (58, 278, 306, 478), 13, 15, 4, 4),
    ("fig6", (38, 515, 306, 715), 13, 17, 6, 4),
    ("fig7", (307, 82, 557, 285), 7, 8, 3, 3),
    ("fig8", (307, 384, 557, 640), 9, 10, 3, 3),
]


@needs_tesseract
@pytest.mark.slow
@pytest.mark.parametrize("name,clip,boxes,edges,top_in,bottom_out", INCEPTION_V4_P4)
def test_inception_v4_p4_rendered(name, clip, boxes, edges, top_in, bottom_out) -> None:
    d = extract_raster_diagram(_render("inception_v4_1602.07261.pdf", 4, clip, 200))
    nodes = [n for n in d.nodes if n.shape != "text"]
    assert len(nodes) == boxes and all(n.text for n in nodes)
    assert d.direction == "up" and len(d.edges) == edges
    mid = {n.id: (n.bbox[1] + n.bbox[3]) / 2 for n in d.nodes}
    assert all(mid[e.dst] < mid[e.src] for e in d.edges)  # every arrow points up
    concats = sorted((n for n in nodes if n.text == "Filter concat"), key=lambda n: mid[n.id])
    assert len(concats) == 2
    assert len(d.predecessors(concats[0].id)) == top_in
    assert len(d.successors(concats[1].id)) == bottom_out
    assert "Avg Pooling" in {n.text for n in nodes} or "MaxPool" in " ".join(n.text for n in nodes)


@needs_tesseract
@pytest.mark.slow
def test_resnet_fig3_rendered() -> None:
    img = _render("resnet_1512.03385.pdf", 4, (25, 35, 300, 620), 150)
    d = extract_raster_diagram(img)
    assert d.direction == "down"
    edges = {(e.src, e.dst) for e in d.edges}
    # the VGG-19 and plain-34 columns are single chains: every box feeds the one below
    for lo, hi in ((90, 215), (235, 365)):
        col = sorted(
            (n for n in d.nodes if lo <= (n.bbox[0] + n.bbox[2]) / 2 <= hi and n.bbox[1] > 110),
            key=lambda n: n.bbox[1],
        )
        assert len(col) in (25, 37)
        assert all((a.id, b.id) in edges for a, b in zip(col, col[1:], strict=False))
    assert sum(n.text == "3x3 conv, 64" for n in d.nodes) == 14
    assert sum(n.text == "+" for n in d.nodes) >= 8  # sums where shortcut arrows land


@needs_tesseract
def test_lenet_embedded_raster_does_not_crash() -> None:
    fitz = pytest.importorskip("pymupdf")
    path = PAPERS / "lenet5_procieee1998.pdf"
    if not path.exists():
        pytest.skip("paper not available")
    with fitz.open(path) as doc:
        xref = doc[5].get_images(full=True)[0][0]
        pix = fitz.Pixmap(doc, xref)
        a = np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w, pix.n)
    d = extract_raster_diagram(np.ascontiguousarray(a[:, :, 0]))
    assert isinstance(d.nodes, tuple)


@needs_tesseract
def test_random_clutter_never_crashes() -> None:
    rng = np.random.default_rng(7)
    for _ in range(25):
        h, w = (int(v) for v in rng.integers(16, 220, 2))
        img = np.full((h, w, 3), 255, np.uint8)
        for _ in range(int(rng.integers(0, 12))):
            p1 = tuple(int(v) for v in rng.integers(0, max(w, h), 2))
            p2 = tuple(int(v) for v in rng.integers(0, max(w, h), 2))
            col = tuple(int(v) for v in rng.integers(0, 256, 3))
            kind = int(rng.integers(0, 4))
            if kind == 0:
                cv2.rectangle(img, p1, p2, col, int(rng.choice([-1, 1, 2])))
            elif kind == 1:
                cv2.arrowedLine(img, p1, p2, col, 1)
            elif kind == 2:
                cv2.circle(img, p1, int(rng.integers(1, 40)), col, 1)
            else:
                cv2.putText(img, "conv 3x3", p1, cv2.FONT_HERSHEY_SIMPLEX, 0.5, col, 1)
        d = extract_raster_diagram(img)
        ids = {n.id for n in d.nodes}
        assert len(ids) == len(d.nodes)
        assert all(e.src in ids and e.dst in ids and e.src != e.dst for e in d.edges)


def _note_figure(note_at_end: bool) -> np.ndarray:
    """Two boxes joined by a down arrow with a size note written beside it; optionally
    an input size the first box's arrow starts from."""
    img = np.full((360, 420, 3), 255, np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    for y0, text in ((110, "conv 3x3"), (250, "relu")):
        cv2.rectangle(img, (110, y0), (290, y0 + 50), (0, 0, 0), 2)
        cv2.putText(img, text, (140, y0 + 33), font, 0.8, (0, 0, 0), 2, cv2.LINE_AA)
    cv2.arrowedLine(img, (200, 162), (200, 248), (0, 0, 0), 2, cv2.LINE_AA, tipLength=0.2)
    cv2.putText(img, "56x56x64", (210, 212), font, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    if note_at_end:
        cv2.putText(img, "224x224x3", (140, 40), font, 0.7, (0, 0, 0), 2, cv2.LINE_AA)
        cv2.arrowedLine(img, (200, 50), (200, 108), (0, 0, 0), 2, cv2.LINE_AA, tipLength=0.3)
    return img


@needs_tesseract
def test_size_note_beside_arrow_is_no_node() -> None:
    d = extract_raster_diagram(_note_figure(False))
    boxes = [n.id for n in d.nodes if n.shape != "text"]
    assert [n.text for n in d.nodes if n.shape == "text"] == []
    assert [(e.src, e.dst) for e in d.edges] == [(boxes[0], boxes[1])]


@needs_tesseract
def test_size_note_at_arrow_start_stays_a_node() -> None:
    d = extract_raster_diagram(_note_figure(True))
    texts = [n for n in d.nodes if n.shape == "text"]
    assert len(texts) == 1 and "224" in texts[0].text
    assert len(d.edges) == 2


def test_is_size_note() -> None:
    from papercc.compiler.raster.words import is_size_note

    for t in (
        "56×56×64",
        "28x28x128",
        "28 x 28",
        "1000",
        "(7x7x512)",
        "96H96H176",
        "96K9",
        "112x112x3 0",
        "14«14«32",
        "112*112«96",
        ",32×32x192",
        "32*%32x128",
        "B2x32x128",
        "«56x32",
        "gx8x320",
        "A12x112x256",
        "12xK112x192",
        "4x224x25¢",
    ):
        assert is_size_note(t), t
    for t in (
        "conv 3x3",
        "fc 1000",
        "input",
        "x",
        "3x3 conv",
        "H",
        "1K",
        "H96",
        "BxSxZ",
        "conv3x3x3",
        "3x3 convx2x2",
    ):
        assert not is_size_note(t), t


@pytest.mark.parametrize(
    "word, fixed",
    [
        ("383", "3×3"),
        ("585,", "5×5,"),
        ("383/2", "3×3/2"),
        ("convl-32", "conv1-32"),
        ("convl1-16", "conv1-16"),
        ("Convl", "Conv1"),
        ("fe-10", "fc-10"),
        ("FE7", "FC7"),
        ("33/2", "3×3/2"),
        ("77/2", "7×7/2"),
        ("l", "1"),
        ("/l", "/1"),
        ("l,", "1,"),
        # left alone: not a misread, or not unambiguous
        ("1383", "1383"),
        ("(383)", "(383)"),
        ("383x", "383x"),
        ("fee", "fee"),
        ("feature", "feature"),
        ("conv11-96", "conv11-96"),
        ("11/4", "11/4"),
        ("34/2", "34/2"),
        ("ll", "ll"),
        ("convlution", "convlution"),
    ],
)
def test_ocr_misreads_fixed(word: str, fixed: str) -> None:
    from papercc.compiler.raster.words import fix_misreads

    assert fix_misreads(word) == fixed


def test_glyph_fragment_beside_note_is_no_connector() -> None:
    """A stray glyph of a size note left outside its text block must not make the note
    a node; a line reaching in from outside the note's window does."""
    from papercc.compiler.raster.arrows import Touch
    from papercc.compiler.raster.labels import comes_from_afar

    labels = np.zeros((100, 200), np.int32)
    note = (80, 40, 120, 52)
    labels[41:51, 121:128] = 1  # the note's last digit, cut off
    labels[46:48, 0:79] = 2  # a connector ending at the note's left side
    frag = Touch(1, 0, "right", (124.0, 46.0), False)
    line = Touch(2, 0, "left", (60.0, 47.0), False)
    assert not comes_from_afar(labels, frag, note, 20)
    assert comes_from_afar(labels, line, note, 20)


def test_lone_head_among_many_connectors_sets_no_direction() -> None:
    """One 'head' in a figure of headless connectors is a misread fork, not the flow."""
    from papercc.compiler.raster.arrows import Touch, flow_direction

    centers = [(100.0, 50.0 + 60 * i) for i in range(8)]

    def chain(heads: set[int]) -> list[Touch]:
        out = []
        for c in range(7):  # connector c joins node c (above) to node c + 1 (below)
            out.append(Touch(c, c, "bottom", (100.0, 70.0 + 60 * c), False))
            out.append(Touch(c, c + 1, "top", (100.0, 90.0 + 60 * c), c in heads))
        return out

    def reversed_head(c: int) -> list[Touch]:
        ts = chain(set())
        ts[2 * c] = Touch(c, c, "bottom", (100.0, 70.0 + 60 * c), True)
        return ts

    assert flow_direction(reversed_head(3), centers) == "?"
    assert flow_direction(chain({1, 4}), centers) == "down"
    assert flow_direction(chain(set(range(7))), centers) == "down"


def test_ocr_fe_before_number_is_fc() -> None:
    from papercc.compiler.raster.words import fix_misread_words

    assert fix_misread_words(["fe", "10"]) == ["fc", "10"]
    assert fix_misread_words(["FE", "4096,", "relu"]) == ["FC", "4096,", "relu"]
    assert fix_misread_words(["fe", "layer"]) == ["fe", "layer"]
    assert fix_misread_words(["pad", "l"]) == ["pad", "1"]


def test_circle_plus_misreads() -> None:
    from papercc.compiler.raster.words import circle_sign

    for t in ("4", "+4", "4+", "t", "+"):
        assert circle_sign(t) == "+", t
    for t in ("×", "C", "concat", "44", "x"):
        assert circle_sign(t) == t, t
