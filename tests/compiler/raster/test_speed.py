"""The fast (OpenCV) formulations of the raster reader's pixel stages give exactly what
their plain numpy definitions give: speed-ups must never change a reading."""

from __future__ import annotations

import numpy as np
import pytest

from papercc.compiler.raster import prep as P


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

    st = P.PrepSettings()
    diff = np.abs(bgr.astype(np.int16) - np.array(bg, np.int16)).max(axis=2)
    fg = np.where(diff > st.fg_delta, 255, 0).astype(np.uint8)
    fg = cv2.morphologyEx(fg, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    bg_gray = int(round(0.114 * bg[0] + 0.587 * bg[1] + 0.299 * bg[2]))
    g = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).astype(np.int16)
    # vivid colour fills are taken out of ink by their own rule (test_prep.py)
    fills = P.colour_fills(bgr, g.astype(np.uint8), bg_gray, st)
    not_fill = np.ones(g.shape, bool) if fills is None else fills == 0
    if bg_gray < 128:
        g = 255 - g
        bg_gray = 255 - bg_gray
    ink = np.where((g < bg_gray - st.ink_delta) & not_fill, 255, 0).astype(np.uint8)
    faint = np.where((g < bg_gray - st.faint_delta) & not_fill, 255, 0).astype(np.uint8)
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

    from papercc.compiler.raster.image import pil_to_bgr

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


def _masks() -> list[np.ndarray]:
    """Sparse ink-like masks: random strokes, blobs and specks."""
    import cv2

    rng = np.random.default_rng(11)
    out = []
    for _ in range(12):
        h, w = (int(v) for v in rng.integers(40, 200, 2))
        m = np.zeros((h, w), np.uint8)
        for _ in range(int(rng.integers(3, 30))):
            x0, x1 = (int(v) for v in rng.integers(0, w, 2))
            y0, y1 = (int(v) for v in rng.integers(0, h, 2))
            kind = rng.integers(0, 3)
            if kind == 0:
                cv2.line(m, (x0, y0), (x1, y1), 255, int(rng.integers(1, 4)))
            elif kind == 1:
                cv2.rectangle(m, (x0, y0), (x0 + 6, y0 + 9), 255, -1)
            else:
                cv2.circle(m, (x0, y0), int(rng.integers(1, 5)), 255, -1)
        out.append(m)
    return out


def test_split_text_matches_per_component_rule() -> None:
    import cv2

    from papercc.compiler.raster.text import split_text

    for m in _masks():
        near = np.zeros_like(m)
        near[: m.shape[0] // 3, : m.shape[1] // 2] = 255
        char_h, stroke = 12.0, 2.0
        n, labels, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
        want = np.zeros(n, bool)
        for i in range(1, n):  # the rule, one component at a time
            x, y, w, h, _ = stats[i]
            if max(w, h) > 2.2 * char_h or h < 0.25 * char_h and w < 0.25 * char_h:
                continue
            if h > 1.6 * char_h:
                continue
            if np.any(near[y : y + h, x : x + w][labels[y : y + h, x : x + w] == i]):
                continue
            thin = min(w, h) <= 2 * stroke + 1 and max(w, h) >= 6 * (min(w, h) + 1)
            want[i] = not (thin and max(w, h) > 0.9 * char_h)
        text, blocks = split_text(m, near, char_h, stroke)
        want_text = np.where(want[labels], 255, 0).astype(np.uint8)
        assert np.array_equal(text, want_text)
        # blocks: the full-image dilation's components, each cut to its text pixels
        k = cv2.getStructuringElement(cv2.MORPH_RECT, (24, 10))
        g, _, gs, _ = cv2.connectedComponentsWithStats(cv2.dilate(want_text, k), connectivity=8)
        want_blocks = []
        for i in range(1, g):
            x, y, w, h, _ = gs[i]
            ys, xs = np.nonzero(want_text[y : y + h, x : x + w])
            if ys.size:
                want_blocks.append((x + xs.min(), y + ys.min(), x + xs.max() + 1, y + ys.max() + 1))
        assert blocks == [tuple(int(v) for v in b) for b in want_blocks]


def test_components_without_stats_label_like_with_stats() -> None:
    import cv2

    for m in _masks():
        n, labels = cv2.connectedComponents(m, connectivity=8)
        n2, labels2, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
        assert n == n2 and np.array_equal(labels, labels2)
        area = np.bincount(labels[m > 0], minlength=n)
        assert np.array_equal(area[1:], stats[1:, 4])


def test_row_widths_and_gaps_match_their_definitions() -> None:
    from papercc.compiler.raster.arrows import gaps, row_widths

    rng = np.random.default_rng(5)
    for shape in ((0, 5), (4, 0), (7, 9), (20, 3), (1, 1)):
        rows = rng.random(shape) < 0.3
        widths, edge, mids = [], [], []
        for r in rows:
            nz = np.flatnonzero(r)
            widths.append(int(nz[-1] - nz[0] + 1) if nz.size else 0)
            edge.append(bool(nz.size and (r[0] or r[-1])))
            mids.append((nz[-1] + nz[0]) / 2.0 if nz.size else 0.0)
        assert row_widths(rows) == (widths, edge, mids)
    xs, ys = rng.integers(0, 50, 40), rng.integers(0, 50, 40)
    box = (10, 12, 30, 25)
    want = [
        max(box[0] - x, x - box[2], 0) + max(box[1] - y, y - box[3], 0)
        for x, y in zip(xs, ys, strict=True)
    ]
    assert gaps(box, xs, ys).tolist() == want


@pytest.mark.parametrize("k", range(6))
def test_symbol_circles_do_not_depend_on_the_canvas_offset(k: int) -> None:
    import cv2

    from papercc.compiler.raster import boxes as B

    rng = np.random.default_rng(k)
    img = np.full((220, 300, 3), 255, np.uint8)
    for _ in range(3):  # circles with a plus or a cross, and some letters with holes
        cx, cy, r = int(rng.integers(30, 270)), int(rng.integers(30, 190)), int(rng.integers(9, 20))
        cv2.circle(img, (cx, cy), r, (0, 0, 0), 2)
        if rng.random() < 0.5:
            cv2.line(img, (cx - r, cy), (cx + r, cy), (0, 0, 0), 2)
            cv2.line(img, (cx, cy - r), (cx, cy + r), (0, 0, 0), 2)
        else:
            d = int(r * 0.7)
            cv2.line(img, (cx - d, cy - d), (cx + d, cy + d), (0, 0, 0), 2)
            cv2.line(img, (cx - d, cy + d), (cx + d, cy - d), (0, 0, 0), 2)
    cv2.putText(img, "0o8", (5, 215), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2)
    prep = P.prepare(img)
    contours, hier = cv2.findContours(prep.ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    empty = [c for c, h in zip(contours, hier[0], strict=True) if h[3] >= 0]
    got = B.symbol_circles(prep, prep.ink, empty)
    # reference: the same search on an uncropped canvas, shifted back
    pad = 40
    big = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    bprep = P.prepare(big)
    bc, bh = cv2.findContours(bprep.ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    ref = B.symbol_circles(
        bprep, bprep.ink, [c for c, h in zip(bc, bh[0], strict=True) if h[3] >= 0]
    )

    def shift(b):
        return (tuple(int(v) - pad for v in b.bbox), tuple(int(v) - pad for v in b.inner), b.symbol)

    assert [shift(b) for b in ref] == [
        (tuple(map(int, b.bbox)), tuple(map(int, b.inner)), b.symbol) for b in got
    ]


@pytest.mark.parametrize("dy", range(4))
def test_split_text_blocks_in_full_image_order(dy: int) -> None:
    """OpenCV labels 8-connected components on a 2x2 block grid: two labels whose first
    pixels lie in rows 2r+1 and 2r come in column order. Working in a crop must keep
    that order (the crop's offset must be even)."""
    import cv2

    from papercc.compiler.raster.text import split_text

    char_h = 10.0
    m = np.zeros((120, 200), np.uint8)
    y = 40 + dy
    cv2.rectangle(m, (10, y + 1), (16, y + 9), 255, -1)  # starts one row lower, left
    cv2.rectangle(m, (120, y), (126, y + 8), 255, -1)  # starts one row higher, right
    text, blocks = split_text(m, np.zeros_like(m), char_h, 1.0)
    k = cv2.getStructuringElement(cv2.MORPH_RECT, (20, 8))
    _, _, gs, _ = cv2.connectedComponentsWithStats(cv2.dilate(text, k), connectivity=8)
    want = [10 if x < 60 else 120 for x in gs[1:, 0]]  # the full image's label order
    assert [b[0] for b in blocks] == want
