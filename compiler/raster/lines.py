"""Connector masks of a raster figure: which pixels are line ink.

Hairlines are faint, glyphs sit on lines, dashes break them, notes are written across
them; these masks keep the line and drop the rest, so `arrows` sees whole
connectors.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from papercc.compiler.raster.boxes import Box, IBox


@dataclass(frozen=True)
class LineSettings:
    """The tunables of the connector masks. Units: pixels (px), glyph heights of the
    figure (glyphs), stroke widths (strokes)."""

    max_thick_px: int = 2  # px (+ max_thick_strokes): the thickest a connector is
    max_thick_strokes: float = 2  # strokes
    min_line_glyphs: float = 1.5  # glyphs; a connector on its own is this long at least
    # (boxes stacked close are ~2 glyphs apart; specks are smaller)
    box_pad_px: int = 2  # px; boxes are masked out this much beyond their extent
    label_pad_px: int = 2  # px; free labels are masked out this much beyond their glyphs
    min_kernel_px: int = 3  # px; the shortest run (and closing) the masks work with
    note_run_glyphs: float = 1.5  # glyphs; a run through a note this long is a line
    dash_gap_glyphs: float = 0.8  # glyphs; dashes of a line this far apart are joined
    halo_px: int = 5  # px; a glyph's anti-aliased halo reaches this far (kernel width)
    thick_rim_px: int = 5  # px; the rim of a thick area (kernel width) that runs can't reach


def lines_through_notes(
    conn: np.ndarray, rects: list[IBox], char_h: float, settings: LineSettings = LineSettings()
) -> np.ndarray:
    """Inside a size note that is no node keep only straight line runs.

    Papers write tensor sizes beside or right over an arrow ("32×32×1" on a fork line).
    Masking the note's rectangle would cut the arrow in two; keeping all its ink would
    glue the glyphs that touch the line onto it (and make it look like an arrowhead).
    A connector crossing the note is a long horizontal or vertical run; glyph strokes
    are at most glyph-sized, so an opening with a run longer than a glyph keeps the
    line and drops the glyphs.
    """
    if not rects:
        return conn
    k = max(settings.min_kernel_px, int(round(settings.note_run_glyphs * char_h)))
    h, w = conn.shape
    out = conn.copy()
    hk, vk = np.ones((1, k), np.uint8), np.ones((k, 1), np.uint8)
    for x0, y0, x1, y1 in rects:
        a0, b0, a1, b1 = max(0, x0 - k), max(0, y0 - k), min(w, x1 + k), min(h, y1 + k)
        sub = conn[b0:b1, a0:a1]
        lines = cv2.bitwise_or(
            cv2.morphologyEx(sub, cv2.MORPH_OPEN, hk), cv2.morphologyEx(sub, cv2.MORPH_OPEN, vk)
        )
        out[y0:y1, x0:x1] = lines[y0 - b0 : y1 - b0, x0 - a0 : x1 - a0]
    return out


def dashes(
    text_mask: np.ndarray, junk: list[IBox], char_h: float, settings: LineSettings = LineSettings()
) -> np.ndarray:
    """Glyph-sized strokes that read as no text are dashes or dots of a dashed line:
    close the gaps between them so they connect like a solid line."""
    m = cv2.bitwise_and(text_mask, mask_of_blocks(text_mask.shape, junk, 0))
    if not m.any():
        return m
    k = max(settings.min_kernel_px, int(round(settings.dash_gap_glyphs * char_h)) | 1)
    return cv2.morphologyEx(
        m, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    )


def straight_runs(
    faint: np.ndarray,
    min_len: float,
    max_thick: float,
    text: np.ndarray | None = None,
    settings: LineSettings = LineSettings(),
) -> np.ndarray:
    """Faint ink in thin straight horizontal or vertical runs at least `min_len` long:
    the hairline connectors, also where a note written close beside one glues its
    glyphs' halo to it (a glyph has no straight stroke longer than a glyph). Areas
    thicker than `max_thick` (a light fill, a filled head) are no lines; glyphs on a
    line (`text`, with their halo) do not make it thick."""
    k = max(settings.min_kernel_px, int(round(min_len)))
    t = int(max_thick) + 1
    runs = cv2.bitwise_or(
        cv2.morphologyEx(faint, cv2.MORPH_OPEN, np.ones((1, k), np.uint8)),
        cv2.morphologyEx(faint, cv2.MORPH_OPEN, np.ones((k, 1), np.uint8)),
    )
    solid = faint
    if text is not None:
        solid = cv2.bitwise_and(faint, cv2.bitwise_not(_halo(text, settings)))
    thick = cv2.morphologyEx(solid, cv2.MORPH_OPEN, np.ones((t, t), np.uint8))
    r = settings.thick_rim_px
    thick = cv2.dilate(thick, np.ones((r, r), np.uint8))  # with the rim it cannot reach
    return cv2.bitwise_and(runs, cv2.bitwise_not(thick))


def off_text(
    faint: np.ndarray, text_mask: np.ndarray, settings: LineSettings = LineSettings()
) -> np.ndarray:
    """Faint ink away from glyphs: a glyph's anti-aliased halo is faint ink too, and
    through it a note written next to a line would join the line's component."""
    return cv2.bitwise_and(faint, cv2.bitwise_not(_halo(text_mask, settings)))


def _halo(text_mask: np.ndarray, settings: LineSettings) -> np.ndarray:
    """The glyphs with their anti-aliased halo."""
    k = settings.halo_px
    return cv2.dilate(text_mask, np.ones((k, k), np.uint8))


def with_faint_ends(
    strong: np.ndarray, faint: np.ndarray, min_len: float, max_thick: float
) -> np.ndarray:
    """Hysteresis: faint ink joins a connector when it touches the connector's ink, so
    thin anti-aliased lines do not break up where they meet another line.

    A hairline (0.5 pt, grey, blurred) may have no pixel dark enough to be ink at all;
    faint ink that forms a long thin stroke on its own (at least `min_len` long, at most
    `max_thick` thick on average) is such a line: specks, noise and glyph halos are short.
    """
    n, labels, stats, _ = cv2.connectedComponentsWithStats(faint, connectivity=8)
    hit = np.zeros(n, bool)
    hit[labels[strong > 0]] = True
    w, h, area = stats[:, 2], stats[:, 3], stats[:, 4]
    hit |= (np.maximum(w, h) >= min_len) & (area <= max_thick * (w + h))
    hit[0] = False
    return np.where(hit, 255, 0).astype(np.uint8)[labels]  # a uint8 lookup per pixel


def max_thickness(stroke: float, settings: LineSettings = LineSettings()) -> float:
    """The thickest a connector is, in pixels, for a figure of stroke width `stroke`."""
    return settings.max_thick_px + settings.max_thick_strokes * stroke


def mask_of_boxes(shape: tuple[int, int], boxes: tuple[Box, ...], pad: int) -> np.ndarray:
    """The boxes (ellipses for round ones) grown by `pad` pixels, as a 0/255 mask."""
    m = np.zeros(shape, np.uint8)
    for b in boxes:
        x0, y0, x1, y1 = b.bbox
        if b.shape in ("circle", "ellipse"):
            c = ((x0 + x1) // 2, (y0 + y1) // 2)
            ax = ((x1 - x0) // 2 + pad, (y1 - y0) // 2 + pad)
            cv2.ellipse(m, c, ax, 0, 0, 360, 255, -1)
        else:
            cv2.rectangle(m, (x0 - pad, y0 - pad), (x1 - 1 + pad, y1 - 1 + pad), 255, -1)
    return m


def mask_of_blocks(shape: tuple[int, int], blocks: list[IBox], pad: int) -> np.ndarray:
    """The rectangles `blocks` grown by `pad` pixels, as a 0/255 mask."""
    m = np.zeros(shape, np.uint8)
    for x0, y0, x1, y1 in blocks:
        cv2.rectangle(m, (x0 - pad, y0 - pad), (x1 - 1 + pad, y1 - 1 + pad), 255, -1)
    return m
