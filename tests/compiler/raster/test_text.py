"""Text crops of raster boxes (`text`)."""

from __future__ import annotations

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")


def _ink_with_glyphs() -> np.ndarray:
    ink = np.zeros((26, 120), np.uint8)
    for x in (10, 25, 40, 55):  # four x-height glyphs in one row
        ink[8:20, x : x + 8] = 255
    return ink


def test_descender_touching_the_border_is_kept() -> None:
    """A 'p' whose descender reaches the box border is a glyph, not border."""
    from papercc.compiler.raster.text import drop_edge_components

    ink = _ink_with_glyphs()
    ink[8:26, 67:75] = 255  # a "p": in the glyphs' rows, down to the bottom edge
    out = drop_edge_components(ink, keep_cut_glyphs=True)
    assert out[24, 70] == 255
    assert drop_edge_components(ink)[24, 70] == 0  # without the rule: dropped


def test_border_and_corner_pieces_are_still_dropped() -> None:
    from papercc.compiler.raster.text import drop_edge_components

    ink = _ink_with_glyphs()
    ink[23:26, 5:115] = 255  # a sliver of the bottom border
    ink[0:6, 0:6] = 255  # a rounded corner: touches two sides
    ink[0:3, 90:94] = 255  # the tip of an arrow poking in from above, out of the text rows
    out = drop_edge_components(ink, keep_cut_glyphs=True)
    assert out[24, 60] == 0 and out[2, 2] == 0 and out[1, 91] == 0
    assert out[12, 12] == 255


def test_corner_arcs_of_a_thin_rounded_border_are_no_text() -> None:
    """A thin rounded border found as a plain rectangle leaves its corner arcs inside
    the inner rectangle; they are border, not glyphs ("/", "(", "J")."""
    from PIL import Image, ImageDraw

    from papercc.compiler.raster.boxes import Box
    from papercc.compiler.raster.prep import prepare
    from papercc.compiler.raster.text import box_text_crop

    k = 3  # drawn 3x and reduced, as renderers anti-alias: a hairline turns to grey dots
    im = Image.new("RGB", (240 * k, 100 * k), "white")
    d = ImageDraw.Draw(im)
    d.rounded_rectangle((20 * k, 20 * k, 220 * k, 80 * k), 22 * k, outline=(60,) * 3, width=2)
    d.rectangle((95 * k, 42 * k, 145 * k, 58 * k), fill=(0, 0, 0))  # the "text" mid-box
    img = np.asarray(im.reduce(k))[:, :, ::-1].copy()
    prep = prepare(img)
    box = Box((20, 20, 221, 81), (21, 21, 220, 80), "rect")
    crop = box_text_crop(prep, box)
    assert crop is not None
    assert crop.shape[1] <= 50 + 2 * 3 + 2  # the block and the crop's padding only


@pytest.mark.parametrize("blur", [0.0, 0.7])
@pytest.mark.parametrize("scale", [0.5, 0.8, 1.5])
def test_plus_glyph_tells_a_plus_from_its_misreads(scale: float, blur: float) -> None:
    """Tesseract reads a lone '+' as '4', 't', '=' or 'a'; the shape settles it."""
    from papercc.compiler.raster.text import plus_glyph

    def glyph(text: str) -> np.ndarray:
        img = np.full((80, 80), 255, np.uint8)
        cv2.putText(img, text, (20, 55), cv2.FONT_HERSHEY_SIMPLEX, scale, 0, 1, cv2.LINE_AA)
        if blur:
            img = cv2.GaussianBlur(img, (0, 0), blur)
        ys, xs = np.nonzero(img < 128)
        return img[ys.min() - 3 : ys.max() + 4, xs.min() - 3 : xs.max() + 4]

    assert plus_glyph(glyph("+"))
    for other in ("4", "t", "=", "a", "x", "1", "T", "-", "I", "*"):
        assert not plus_glyph(glyph(other)), other
