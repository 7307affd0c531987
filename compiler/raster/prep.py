"""Binarisation of a figure: background colour, foreground and ink masks, stroke width.

Every later stage (boxes, text, arrows) reads these masks, so their thresholds live here
once, in `PrepSettings`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class PrepSettings:
    """The tunables of binarisation, and of the test that an image is line art at all.

    Grey levels are 0..255 differences from the background's colour or grey level."""

    fg_delta: int = 14  # grey levels (max over channels) from the background: foreground
    ink_delta: int = 70  # grey levels darker than the background: ink (strokes, text)
    faint_delta: int = 30  # grey levels darker: faint ink (anti-aliased ends of thin lines)
    max_stroke: int = 12  # pixels; longer runs of ink are fills or lines along, not strokes
    background_sample: int = 250_000  # pixels sampled (evenly strided) for the background
    min_side: int = 16  # pixels; a smaller image cannot hold a box with a readable label
    max_ink_share: float = 0.35  # fraction of pixels; line art is mostly background ...
    max_fg_share: float = 0.7  # ... of one colour; photos and noise have no such background
    # colour fills: a vivid box fill is as dark as ink in grey, but it is coloured, not
    # very dark, and wider than any stroke; it is fill, not ink
    fill_min_saturation: int = 80  # 0..255 (HSV S): coloured, not grey
    fill_max_delta: int = 150  # grey levels darker than the background: darker is ink


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


def prepare(bgr: np.ndarray, settings: PrepSettings = PrepSettings()) -> Prepared:
    """The masks and stroke width of a BGR figure."""
    # OpenCV primitives, one pass each over a possibly 10-megapixel image:
    # fg = any channel differs from the background by more than fg_delta
    #    = not every channel within [bg - fg_delta, bg + fg_delta];
    # ink / faint = grey level more than ink_delta / faint_delta darker than the
    # background's grey (lighter, on a dark background).
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    bg = background_color(bgr, settings)
    delta = settings.fg_delta
    lo = np.array([max(0, c - delta) for c in bg], np.uint8)
    hi = np.array([min(255, c + delta) for c in bg], np.uint8)
    fg = cv2.bitwise_not(cv2.inRange(bgr, lo, hi))
    fg = cv2.morphologyEx(fg, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))  # ringing, JPEG
    bg_gray = int(round(0.114 * bg[0] + 0.587 * bg[1] + 0.299 * bg[2]))
    ink = _darker(gray, bg_gray, settings.ink_delta)
    faint = _darker(gray, bg_gray, settings.faint_delta)
    fills = colour_fills(bgr, gray, bg_gray, settings)
    if fills is not None:
        ink = cv2.bitwise_and(ink, cv2.bitwise_not(fills))
        faint = cv2.bitwise_and(faint, cv2.bitwise_not(fills))
    return Prepared(bgr, gray, bg, fg, ink, faint, stroke_width(ink, settings))


def colour_fills(
    bgr: np.ndarray, gray: np.ndarray, bg_gray: int, settings: PrepSettings = PrepSettings()
) -> np.ndarray | None:
    """Areas of a vivid colour fill (255), or None when there are none: coloured, not very
    dark, and wider than a stroke in both directions once the text written on them is
    closed over. Coloured lines and arrows are thin, so they stay ink."""
    if bg_gray < 128:
        return None
    sat = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)[:, :, 1]
    coloured = (sat >= settings.fill_min_saturation) & (gray >= bg_gray - settings.fill_max_delta)
    if not coloured.any():
        return None
    cand = coloured.astype(np.uint8) * 255
    k = settings.max_stroke + 1
    closed = cv2.morphologyEx(cand, cv2.MORPH_CLOSE, np.ones((2 * k, 2 * k), np.uint8))
    wide = cv2.morphologyEx(closed, cv2.MORPH_OPEN, np.ones((k, k), np.uint8))
    return cv2.bitwise_and(wide, cand)


def line_art(prep: Prepared, settings: PrepSettings = PrepSettings()) -> bool:
    """Some ink, and mostly background of one colour: blank images, photos and noise
    are no diagrams."""
    ink_share = float(np.count_nonzero(prep.ink)) / prep.ink.size
    fg_share = float(np.count_nonzero(prep.fg)) / prep.fg.size
    return not (
        ink_share == 0.0 or ink_share > settings.max_ink_share or fg_share > settings.max_fg_share
    )


def _darker(gray: np.ndarray, bg_gray: int, delta: int) -> np.ndarray:
    """255 where a pixel is more than `delta` grey levels darker than the background
    (lighter, when the background is dark: a light drawing on it), else 0."""
    if bg_gray < 128:  # gray > bg_gray + delta
        return cv2.threshold(gray, bg_gray + delta, 255, cv2.THRESH_BINARY)[1]
    # gray < bg_gray - delta, i.e. gray <= bg_gray - delta - 1 (all-zero when negative)
    return cv2.threshold(gray, bg_gray - delta - 1, 255, cv2.THRESH_BINARY_INV)[1]


def background_color(
    bgr: np.ndarray, settings: PrepSettings = PrepSettings()
) -> tuple[int, int, int]:
    """The most frequent colour (coarsely quantised), averaged over its pixels; about
    `background_sample` pixels are read, evenly strided."""
    step = max(1, int(np.sqrt(bgr.shape[0] * bgr.shape[1] / settings.background_sample)))
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


def stroke_width(ink: np.ndarray, settings: PrepSettings = PrepSettings()) -> float:
    """The most common run length of ink across rows and columns (lines and glyph stems),
    of the runs at most `max_stroke` pixels long."""
    runs = np.concatenate([_run_lengths(ink), _run_lengths(cv2.transpose(ink))])
    runs = runs[runs <= settings.max_stroke]
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
