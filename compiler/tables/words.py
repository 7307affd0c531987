"""Words of a page with baselines, read from PyMuPDF's character stream.

Why not `page.get_text("words")`: tables typeset with math fonts mix glyphs whose
boxes differ wildly in height (a "×" box is twice as tall as the digits beside
it), and big bracket pieces (CMEX / private-use glyphs) are glued to the repeat
count ("\\uf8fb×3").  Reading characters gives each word a baseline to group
lines by, and lets bracket pieces be split off as geometry instead of text.
Underscores that TeX draws as a short rule ("conv2_x") are put back.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

import pymupdf as fitz

from papercc.compiler.tables.text import clean


@dataclass(frozen=True)
class Word:
    """One word: cleaned text, box, baseline and font size."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    base: float
    size: float
    mono: bool = False  # set in a monospaced font (word spaces of 0.6 em)

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass(frozen=True)
class Glyph:
    """A bracket piece or other drawing-like character (kept as geometry)."""

    char: str
    x0: float
    y0: float
    x1: float
    y1: float


def _is_glyph(ch: str, font: str) -> bool:
    code = ord(ch)
    return 0xE000 <= code <= 0xF8FF or code < 32 or font.upper().startswith("CMEX")


def page_words(
    page: fitz.Page, clip: fitz.Rect | None = None, raw: dict | None = None
) -> tuple[list[Word], list[Glyph]]:
    """All horizontal words (and bracket glyphs) of `page`, optionally within `clip`.

    `raw` may pass an already extracted `page.get_text("rawdict")` to save time.
    """
    if raw is None:
        raw = page.get_text("rawdict", clip=clip, flags=fitz.TEXT_MEDIABOX_CLIP)
    words: list[Word] = []
    glyphs: list[Glyph] = []
    for block in raw.get("blocks", []):
        for line in block.get("lines", []):
            if abs(line["dir"][1]) > 0.1 or line["dir"][0] < 0:
                continue
            cur: list[tuple[str, tuple, float, float]] = []
            for span in line["spans"]:
                size = float(span["size"])
                mono = bool(span["flags"] & 8)
                for ch in span["chars"]:
                    c = ch["c"]
                    if _is_glyph(c, span["font"]):
                        _flush(cur, words)
                        cur = []
                        glyphs.append(Glyph(c, *ch["bbox"]))
                        continue
                    if c.isspace():
                        _flush(cur, words)
                        cur = []
                        continue
                    if cur:
                        prev_x1 = cur[-1][1][2]
                        if ch["bbox"][0] - prev_x1 > 0.45 * size:
                            _flush(cur, words)
                            cur = []
                    cur.append((c, tuple(ch["bbox"]), float(ch["origin"][1]), size, mono))
            _flush(cur, words)
    return words, glyphs


def _flush(chars: list, out: list[Word]) -> None:
    if not chars:
        return
    top = max(s for _, _, _, s, _ in chars)
    base0 = max(o for _, _, o, _, _ in chars)
    parts, raised = [], False
    for c, _, origin, size, _ in chars:
        # A smaller glyph lifted above the baseline is a superscript: 10^9.
        up = size < 0.85 * top and base0 - origin > 0.2 * top
        if up and not raised:
            parts.append("^")
        raised = up
        parts.append(c)
    text = clean("".join(parts))
    if not text:
        return
    x0 = min(b[0] for _, b, _, _, _ in chars)
    x1 = max(b[2] for _, b, _, _, _ in chars)
    # Box height from the font size around the baseline: robust to tall math glyphs.
    base = base0
    size = top
    mono = all(m for *_, m in chars)
    out.append(Word(text, x0, base - 0.8 * size, x1, base + 0.2 * size, base, size, mono))


def join_underscores(words: list[Word], hsegs: list[tuple[float, float, float]]) -> list[Word]:
    """Merge "conv2" + "x" when a short rule (x0, x1, y) fills the gap at the baseline."""
    if not hsegs:
        return words
    segs = sorted(hsegs)
    starts = [s[0] for s in segs]
    out = sorted(words, key=lambda w: (round(w.base, 1), w.x0))
    merged: list[Word] = []
    for w in out:
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and abs(prev.base - w.base) < 0.3 * w.size
            and 0 <= w.x0 - prev.x1 < w.size
            and _rule_between(segs, starts, prev, w)
        ):
            merged[-1] = Word(
                prev.text + "_" + w.text,
                prev.x0,
                min(prev.y0, w.y0),
                w.x1,
                max(prev.y1, w.y1),
                prev.base,
                max(prev.size, w.size),
                w.mono,
            )
            continue
        merged.append(w)
    return merged


def _rule_between(segs, starts, a: Word, b: Word) -> bool:
    i = bisect_left(starts, a.x1 - 1.0)
    while i < len(segs) and segs[i][0] <= a.x1 + 1.0:
        x0, x1, y = segs[i]
        if x1 - x0 < b.size and abs(x1 - b.x0) < 1.0 and -0.5 * b.size < y - b.base < 0.4 * b.size:
            return True
        i += 1
    return False
