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
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    bg = background_color(bgr)
    diff = np.abs(bgr.astype(np.int16) - np.array(bg, np.int16)).max(axis=2)
    fg = np.where(diff > FG_DELTA, 255, 0).astype(np.uint8)
    fg = cv2.morphologyEx(fg, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))  # ringing, JPEG
    bg_gray = int(round(0.114 * bg[0] + 0.587 * bg[1] + 0.299 * bg[2]))
    g = gray.astype(np.int16)
    if bg_gray < 128:  # light drawing on a dark background
        g = 255 - g
        bg_gray = 255 - bg_gray
    ink = np.where(g < bg_gray - INK_DELTA, 255, 0).astype(np.uint8)
    faint = np.where(g < bg_gray - FAINT_DELTA, 255, 0).astype(np.uint8)
    return Prepared(bgr, gray, bg, fg, ink, faint, stroke_width(ink))


def background_color(bgr: np.ndarray) -> tuple[int, int, int]:
    """The most frequent colour (coarsely quantised), averaged over its pixels."""
    step = max(1, int(np.sqrt(bgr.shape[0] * bgr.shape[1] / 250_000)))
    sample = bgr[::step, ::step].reshape(-1, 3)
    q = (sample >> 4).astype(np.int32)
    keys = (q[:, 0] << 8) | (q[:, 1] << 4) | q[:, 2]
    counts = np.bincount(keys, minlength=4096)
    top = int(counts.argmax())
    sel = sample[keys == top]
    b, g, r = (int(round(v)) for v in sel.mean(axis=0))
    return (b, g, r)


def stroke_width(ink: np.ndarray) -> float:
    """The most common run length of ink across rows and columns (lines and glyph stems)."""
    runs = np.concatenate([_run_lengths(ink), _run_lengths(ink.T)])
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
