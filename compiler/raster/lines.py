"""Connector masks of a raster figure: which pixels are line ink.

Hairlines are faint, glyphs sit on lines, dashes break them, notes are written across
them; these masks keep the line and drop the rest, so `arrows` sees whole
connectors.
"""

from __future__ import annotations

import cv2
import numpy as np

from papercc.compiler.raster.boxes import Box, IBox


def lines_through_notes(conn: np.ndarray, rects: list[IBox], char_h: float) -> np.ndarray:
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
    k = max(3, int(round(1.5 * char_h)))
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


def dashes(text_mask: np.ndarray, junk: list[IBox], char_h: float) -> np.ndarray:
    """Glyph-sized strokes that read as no text are dashes or dots of a dashed line:
    close the gaps between them so they connect like a solid line."""
    m = cv2.bitwise_and(text_mask, mask_of_blocks(text_mask.shape, junk, 0))
    if not m.any():
        return m
    k = max(3, int(round(0.8 * char_h)) | 1)
    return cv2.morphologyEx(
        m, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    )


def straight_runs(
    faint: np.ndarray, min_len: float, max_thick: float, text: np.ndarray | None = None
) -> np.ndarray:
    """Faint ink in thin straight horizontal or vertical runs at least `min_len` long:
    the hairline connectors, also where a note written close beside one glues its
    glyphs' halo to it (a glyph has no straight stroke longer than a glyph). Areas
    thicker than `max_thick` (a light fill, a filled head) are no lines; glyphs on a
    line (`text`, with their halo) do not make it thick."""
    k = max(3, int(round(min_len)))
    t = int(max_thick) + 1
    runs = cv2.bitwise_or(
        cv2.morphologyEx(faint, cv2.MORPH_OPEN, np.ones((1, k), np.uint8)),
        cv2.morphologyEx(faint, cv2.MORPH_OPEN, np.ones((k, 1), np.uint8)),
    )
    solid = faint
    if text is not None:
        solid = cv2.bitwise_and(faint, cv2.bitwise_not(cv2.dilate(text, np.ones((5, 5), np.uint8))))
    thick = cv2.morphologyEx(solid, cv2.MORPH_OPEN, np.ones((t, t), np.uint8))
    thick = cv2.dilate(thick, np.ones((5, 5), np.uint8))  # with the rim it cannot reach
    return cv2.bitwise_and(runs, cv2.bitwise_not(thick))


def off_text(faint: np.ndarray, text_mask: np.ndarray) -> np.ndarray:
    """Faint ink away from glyphs: a glyph's anti-aliased halo is faint ink too, and
    through it a note written next to a line would join the line's component."""
    near = cv2.dilate(text_mask, np.ones((5, 5), np.uint8))
    return cv2.bitwise_and(faint, cv2.bitwise_not(near))


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


def mask_of_boxes(shape: tuple[int, int], boxes: tuple[Box, ...], pad: int) -> np.ndarray:
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
    m = np.zeros(shape, np.uint8)
    for x0, y0, x1, y1 in blocks:
        cv2.rectangle(m, (x0 - pad, y0 - pad), (x1 - 1 + pad, y1 - 1 + pad), 255, -1)
    return m
