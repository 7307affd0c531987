"""Text crops of raster boxes (`raster_text`)."""

from __future__ import annotations

import numpy as np


def _ink_with_glyphs() -> np.ndarray:
    ink = np.zeros((26, 120), np.uint8)
    for x in (10, 25, 40, 55):  # four x-height glyphs in one row
        ink[8:20, x : x + 8] = 255
    return ink


def test_descender_touching_the_border_is_kept() -> None:
    """A 'p' whose descender reaches the box border is a glyph, not border."""
    from papercc.compiler.raster_text import _drop_edge_components

    ink = _ink_with_glyphs()
    ink[8:26, 67:75] = 255  # a "p": in the glyphs' rows, down to the bottom edge
    out = _drop_edge_components(ink, keep_cut_glyphs=True)
    assert out[24, 70] == 255
    assert _drop_edge_components(ink)[24, 70] == 0  # without the rule: dropped


def test_border_and_corner_pieces_are_still_dropped() -> None:
    from papercc.compiler.raster_text import _drop_edge_components

    ink = _ink_with_glyphs()
    ink[23:26, 5:115] = 255  # a sliver of the bottom border
    ink[0:6, 0:6] = 255  # a rounded corner: touches two sides
    ink[0:3, 90:94] = 255  # the tip of an arrow poking in from above, out of the text rows
    out = _drop_edge_components(ink, keep_cut_glyphs=True)
    assert out[24, 60] == 0 and out[2, 2] == 0 and out[1, 91] == 0
    assert out[12, 12] == 255


def test_corner_arcs_of_a_thin_rounded_border_are_no_text() -> None:
    """A thin rounded border found as a plain rectangle leaves its corner arcs inside
    the inner rectangle; they are border, not glyphs ("/", "(", "J")."""
    from PIL import Image, ImageDraw

    from papercc.compiler.raster_boxes import Box
    from papercc.compiler.raster_prep import prepare
    from papercc.compiler.raster_text import box_text_crop

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
