"""The fast (OpenCV) formulations of the raster reader's pixel stages give exactly what
their plain numpy definitions give: speed-ups must never change a reading."""

from __future__ import annotations

import numpy as np
import pytest

from papercc.compiler import raster_prep as P


def _images() -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    out = []
    for k in range(24):
        h, w = (int(v) for v in rng.integers(16, 160, 2))
        base = rng.integers(0, 256, 3)
        noise = rng.normal(0, rng.uniform(1, 90), (h, w, 3))
        im = np.clip(base + noise, 0, 255).astype(np.uint8)
        if k % 3 == 0:  # a drawing: a dark box outline and a line on a plain background
            im[:] = base.astype(np.uint8)
            im[10:14, 5 : w - 5] = 255 - base
            im[5 : h - 5, 8:10] = 0
        out += [im, 255 - im]
    return out


def _ref_background(bgr: np.ndarray) -> tuple[int, int, int]:
    step = max(1, int(np.sqrt(bgr.shape[0] * bgr.shape[1] / 250_000)))
    sample = bgr[::step, ::step].reshape(-1, 3)
    q = (sample >> 4).astype(np.int32)
    keys = (q[:, 0] << 8) | (q[:, 1] << 4) | q[:, 2]
    top = int(np.bincount(keys, minlength=4096).argmax())
    b, g, r = (int(round(v)) for v in sample[keys == top].mean(axis=0))
    return (b, g, r)


def _ref_masks(bgr: np.ndarray, bg: tuple[int, int, int]):
    import cv2

    diff = np.abs(bgr.astype(np.int16) - np.array(bg, np.int16)).max(axis=2)
    fg = np.where(diff > P.FG_DELTA, 255, 0).astype(np.uint8)
    fg = cv2.morphologyEx(fg, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    bg_gray = int(round(0.114 * bg[0] + 0.587 * bg[1] + 0.299 * bg[2]))
    g = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).astype(np.int16)
    if bg_gray < 128:
        g = 255 - g
        bg_gray = 255 - bg_gray
    ink = np.where(g < bg_gray - P.INK_DELTA, 255, 0).astype(np.uint8)
    faint = np.where(g < bg_gray - P.FAINT_DELTA, 255, 0).astype(np.uint8)
    return fg, ink, faint


def _ref_stroke(ink: np.ndarray) -> float:
    def runs(mask):
        m = (mask > 0).astype(np.int8)
        pad = np.zeros((m.shape[0], 1), np.int8)
        d = np.diff(np.hstack([pad, m, pad]), axis=1)
        return np.flatnonzero(d.ravel() == -1) - np.flatnonzero(d.ravel() == 1)

    r = np.concatenate([runs(ink), runs(ink.T)])
    r = r[r <= 12]
    return 1.0 if r.size == 0 else float(max(1, int(np.bincount(r).argmax())))


@pytest.mark.parametrize("k", range(48))
def test_prepare_matches_numpy_definition(k: int) -> None:
    bgr = _images()[k]
    prep = P.prepare(bgr)
    assert prep.background == _ref_background(bgr)
    fg, ink, faint = _ref_masks(bgr, prep.background)
    for got, want in ((prep.fg, fg), (prep.ink, ink), (prep.faint, faint)):
        assert got.dtype == np.uint8 and got.shape == want.shape
        assert np.array_equal(got, want)
    assert prep.stroke == _ref_stroke(prep.ink)


@pytest.mark.parametrize("mode", ["RGB", "L", "P", "RGBA", "LA", "1", "CMYK", "I;16", "F"])
def test_pil_to_bgr_matches_pil_convert(mode: str) -> None:
    from PIL import Image

    from papercc.compiler.raster_image import pil_to_bgr

    rgb = np.random.default_rng(3).integers(0, 256, (9, 13, 3), dtype=np.uint8)
    im = Image.fromarray(rgb, "RGB").convert(mode)
    got = pil_to_bgr(im)
    assert got.shape == (9, 13, 3) and got.dtype == np.uint8 and got.flags.c_contiguous
    if mode in ("I;16", "F"):
        return  # stretched to 0..255, not converted
    ref = im
    if mode in ("RGBA", "LA"):
        ref = Image.alpha_composite(Image.new("RGBA", im.size, (255,) * 4), im.convert("RGBA"))
    want = np.asarray(ref.convert("RGB"))[:, :, ::-1]
    assert np.array_equal(got, want)


def _strip() -> np.ndarray:
    import cv2

    strip = np.full((60, 220), 255, np.uint8)
    cv2.putText(strip, "conv 3x3", (8, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    return strip


@pytest.mark.skipif(__import__("shutil").which("tesseract") is None, reason="no tesseract")
def test_started_tesseract_reads_like_a_fresh_one() -> None:
    from papercc.compiler import ocr

    crops = [_strip(), _strip()[:, :120]]
    fresh = ocr.read_crops(crops)
    with ocr.start_tesseract() as t:
        early = ocr.read_crops(crops, started=t)
        assert t.used
    assert early == fresh and "conv" in fresh[0].text
    unused = ocr.start_tesseract()
    unused.close()  # never fed: killed and reaped
    assert unused._proc.returncode is not None
    with pytest.raises(ocr.OcrError):
        t.read(_strip())  # one image per process
