"""Binarisation of a figure: background colour, foreground and ink masks, stroke width.

Every later stage (boxes, text, arrows) reads these masks, so thresholds live here once.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

FG_DELTA = 14  # a pixel this far (max over channels) from the background is foreground
INK_DELTA = 70  # a pixel this much darker than the background is ink (strokes, text)
FAINT_DELTA = 30  # ... and this much darker is faint ink, kept where it touches ink


@dataclass(frozen=True)
class Prepared:
    """The masks of one figure; masks are uint8 0/255 of the image's height x width."""

    bgr: np.ndarray
    gray: np.ndarray
    background: tuple[int, int, int]
    fg: np.ndarray  # differs from background: fills, strokes, text
    ink: np.ndarray  # dark strokes and text
    faint: np.ndarray  # lighter ink too: anti-aliased ends of thin lines
    stroke: float  # typical line / glyph stroke width in pixels


def prepare(bgr: np.ndarray) -> Prepared:
    # OpenCV primitives, one pass each over a possibly 10-megapixel image:
    # fg = any channel differs from the background by more than FG_DELTA
    #    = not every channel within [bg - FG_DELTA, bg + FG_DELTA];
    # ink / faint = grey level more than INK_DELTA / FAINT_DELTA darker than the
    # background's grey (lighter, on a dark background).
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    bg = background_color(bgr)
    lo = np.array([max(0, c - FG_DELTA) for c in bg], np.uint8)
    hi = np.array([min(255, c + FG_DELTA) for c in bg], np.uint8)
    fg = cv2.bitwise_not(cv2.inRange(bgr, lo, hi))
    fg = cv2.morphologyEx(fg, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))  # ringing, JPEG
    bg_gray = int(round(0.114 * bg[0] + 0.587 * bg[1] + 0.299 * bg[2]))
    ink = _darker(gray, bg_gray, INK_DELTA)
    faint = _darker(gray, bg_gray, FAINT_DELTA)
    return Prepared(bgr, gray, bg, fg, ink, faint, stroke_width(ink))


def _darker(gray: np.ndarray, bg_gray: int, delta: int) -> np.ndarray:
    """255 where a pixel is more than `delta` grey levels darker than the background
    (lighter, when the background is dark: a light drawing on it), else 0."""
    if bg_gray < 128:  # gray > bg_gray + delta
        return cv2.threshold(gray, bg_gray + delta, 255, cv2.THRESH_BINARY)[1]
    # gray < bg_gray - delta, i.e. gray <= bg_gray - delta - 1 (all-zero when negative)
    return cv2.threshold(gray, bg_gray - delta - 1, 255, cv2.THRESH_BINARY_INV)[1]


def background_color(bgr: np.ndarray) -> tuple[int, int, int]:
    """The most frequent colour (coarsely quantised), averaged over its pixels."""
    step = max(1, int(np.sqrt(bgr.shape[0] * bgr.shape[1] / 250_000)))
    sample = np.ascontiguousarray(bgr[::step, ::step])
    # 16 levels per channel: bin (b, g, r) of the C-ordered histogram is key b*256+g*16+r,
    # and argmax takes the first of equal counts, as a bincount of those keys would
    hist = cv2.calcHist([sample], [0, 1, 2], None, [16, 16, 16], [0, 256, 0, 256, 0, 256])
    top = int(hist.argmax())
    lo = np.array([(top >> 8) << 4, ((top >> 4) & 15) << 4, (top & 15) << 4], np.uint8)
    sel = cv2.inRange(sample, lo, lo + 15)
    n = cv2.countNonZero(sel)
    # exact integer channel sums divided once: the float64 mean of the selected pixels
    sums = cv2.sumElems(cv2.bitwise_and(sample, sample, mask=sel))
    b, g, r = (int(round(sums[c] / n)) for c in range(3))
    return (b, g, r)


def stroke_width(ink: np.ndarray) -> float:
    """The most common run length of ink across rows and columns (lines and glyph stems)."""
    runs = np.concatenate([_run_lengths(ink), _run_lengths(cv2.transpose(ink))])
    runs = runs[runs <= 12]
    if runs.size == 0:
        return 1.0
    counts = np.bincount(runs)
    return float(max(1, int(counts.argmax())))


def _run_lengths(mask: np.ndarray) -> np.ndarray:
    m = (mask > 0).astype(np.int8)
    pad = np.zeros((m.shape[0], 1), np.int8)
    d = np.diff(np.hstack([pad, m, pad]), axis=1)
    starts = np.flatnonzero(d.ravel() == 1)
    ends = np.flatnonzero(d.ravel() == -1)
    return (ends - starts).astype(np.int64)
