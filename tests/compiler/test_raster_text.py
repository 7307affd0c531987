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
