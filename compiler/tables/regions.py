"""Where the tables of a page are, and which caption belongs to each.

Why: a table is found from two kinds of evidence.  Ruled tables are connected
groups of rules (pieces stacked one above another with no caption in between
are one table: booktabs rules, a boxed header over a boxed body).  Tables
without any rule are grown from a "Table N" caption over the adjacent lines
that look tabular (several word groups separated by wide gaps), within the
caption's page column when the page has two.  Captions ("Table 1:", "Fig. 3.")
go to the nearest region, nearest pairs first; a Figure caption counts as a
little farther, since the region is a table candidate.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pymupdf as fitz

from papercc.compiler.diagram.grouping import groups
from papercc.compiler.tables.rulings import PageGeometry, Ruling
from papercc.compiler.tables.text import CAPTION_RE, FIGURE_RE
from papercc.compiler.tables.words import Word

BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class TextLine:
    """Words sharing a baseline, left to right."""

    words: tuple[Word, ...]

    @property
    def bbox(self) -> BBox:
        return (
            min(w.x0 for w in self.words),
            min(w.y0 for w in self.words),
            max(w.x1 for w in self.words),
            max(w.y1 for w in self.words),
        )

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def size(self) -> float:
        return max(w.size for w in self.words)

    def segments(self, gap: float) -> int:
        """Number of word groups separated by more than `gap` times the font size."""
        n = 1
        for a, b in zip(self.words, self.words[1:], strict=False):
            n += (b.x0 - a.x1) > gap * self.size
        return n


@dataclass(frozen=True)
class Region:
    """A table candidate: its box, caption and whether rules delimit it."""

    bbox: BBox
    caption: str
    caption_kind: str  # "table", "figure" or ""
    caption_bbox: BBox | None
    ruled: bool


def text_lines(words: list[Word], split: float = 1.8) -> list[TextLine]:
    """Group words into lines by baseline, splitting runs more than `split` sizes apart.

    Splitting keeps the two page columns of a paper apart (a caption starts a run);
    growing a table region uses unsplit lines, since table columns are far apart too.
    """
    lines: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (w.base, w.x0)):
        if lines and abs(lines[-1][0].base - w.base) < 0.3 * w.size:
            lines[-1].append(w)
        else:
            lines.append([w])
    out: list[TextLine] = []
    for ws in lines:
        ws.sort(key=lambda w: w.x0)
        run = [ws[0]]
        for w in ws[1:]:
            if w.x0 - run[-1].x1 > split * w.size:
                out.append(TextLine(tuple(run)))
                run = [w]
            else:
                run.append(w)
        out.append(TextLine(tuple(run)))
    out.sort(key=lambda ln: (ln.bbox[1], ln.bbox[0]))
    return out


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _clusters(rules: tuple[Ruling, ...], tol: float = 2.0) -> list[list[Ruling]]:
    def touching() -> Iterator[tuple[int, int]]:
        order = sorted(range(len(rules)), key=lambda i: rules[i].x0)
        for a_pos, i in enumerate(order):
            a = rules[i]
            for j in order[a_pos + 1 :]:
                b = rules[j]
                if b.x0 > a.x1 + tol:
                    break
                if b.y0 <= a.y1 + tol and a.y0 <= b.y1 + tol:
                    yield i, j

    return [[rules[i] for i in g] for g in groups(len(rules), touching())]


def _bbox(rules: list[Ruling]) -> BBox:
    return (
        min(r.x0 for r in rules),
        min(r.y0 for r in rules),
        max(r.x1 for r in rules),
        max(r.y1 for r in rules),
    )


def _captions(lines: list[TextLine]) -> list[tuple[TextLine, str]]:
    out = []
    for ln in lines:
        text = ln.text
        if CAPTION_RE.match(text):
            out.append((ln, "table"))
        elif FIGURE_RE.match(text):
            out.append((ln, "figure"))
    return out


def _between(lines, caps, top: float, bottom: float, x0: float, x1: float) -> bool:
    for ln, _ in caps:
        b = ln.bbox
        if top - 1 < b[1] and b[3] < bottom + 1 and _overlap(b[0], b[2], x0, x1) > 0:
            return True
    return False


def _ruled_boxes(geo: PageGeometry, caps, lines) -> list[BBox]:
    groups = [g for g in _clusters(geo.rulings) if any(r.horizontal for r in g)]
    boxes = [_bbox(g) for g in groups if _bbox(g)[2] - _bbox(g)[0] >= 30]
    merged = True
    while merged:
        merged = False
        boxes.sort(key=lambda b: b[1])
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                a, b = boxes[i], boxes[j]
                same_x = abs(a[0] - b[0]) < 6 and abs(a[2] - b[2]) < 6
                if not same_x:
                    continue
                top, bottom = min(a[3], b[3]), max(a[1], b[1])
                if _between(lines, caps, top, bottom, a[0], a[2]):
                    continue
                boxes[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                del boxes[j]
                merged = True
                break
            if merged:
                break
    return [b for b in boxes if b[3] - b[1] >= 6]


def _words_inside(lines: list[TextLine], box: BBox) -> list[TextLine]:
    out = []
    for ln in lines:
        b = ln.bbox
        cy = (b[1] + b[3]) / 2
        if box[1] - 1 <= cy <= box[3] + 1 and _overlap(b[0], b[2], box[0], box[2]) > 0:
            out.append(ln)
    return out


def _assign_captions(
    boxes: list[BBox], cap_boxes: list[BBox], kinds: list[str] | None = None
) -> dict[int, int]:
    """Match regions to captions, nearest pairs first, each caption used once (a Figure
    caption counts as 10 pt farther: the region is a table candidate)."""
    pairs = []
    for i, box in enumerate(boxes):
        for k, b in enumerate(cap_boxes):
            if _overlap(b[0], b[2], box[0] - 20, box[2] + 20) <= 0:
                continue
            if b[3] <= box[1] + 2:
                dist = box[1] - b[3]
            elif b[1] >= box[3] - 2:
                dist = b[1] - box[3]
            else:
                continue
            if dist <= 50:
                pairs.append((dist + (10 if kinds and kinds[k] == "figure" else 0), i, k))
    out: dict[int, int] = {}
    taken: set[int] = set()
    for _, i, k in sorted(pairs):
        if i not in out and k not in taken:
            out[i] = k
            taken.add(k)
    return out


def _caption_text(lines: list[TextLine], start: TextLine, avoid: BBox | None) -> tuple[str, BBox]:
    """The caption line plus the lines continuing it (same left edge, tight spacing)."""
    parts = [start]
    idx = lines.index(start)
    for ln in lines[idx + 1 :]:
        prev = parts[-1].bbox
        b = ln.bbox
        if b[1] - prev[3] > 0.6 * (prev[3] - prev[1]) or b[0] < start.bbox[0] - 2:
            break
        # Prose continues a caption: one word group, flush left with it or centred
        # under it and not much shorter (a short centred line is a table title).
        first = start.bbox
        flush = abs(b[0] - first[0]) <= 2
        centred = abs((b[0] + b[2]) / 2 - (first[0] + first[2]) / 2) <= 5
        wide_enough = (b[2] - b[0]) >= 0.5 * (first[2] - first[0])
        if ln.segments(1.2) > 1 or not (flush or (centred and wide_enough)):
            break
        if avoid and _overlap(b[1], b[3], avoid[1], avoid[3]) > 0:
            if _overlap(b[0], b[2], avoid[0], avoid[2]) > 0:
                break
        if CAPTION_RE.match(ln.text) or FIGURE_RE.match(ln.text):
            break
        parts.append(ln)
    text = " ".join(p.text for p in parts)
    bb = (
        min(p.bbox[0] for p in parts),
        parts[0].bbox[1],
        max(p.bbox[2] for p in parts),
        parts[-1].bbox[3],
    )
    return text, bb


def _two_columns(words: list[Word], page_width: float) -> bool:
    """Prose lines stop at a gutter in the page middle: a two-column layout.

    Lines are split at gaps wider than 1.5 font sizes (a gutter, never a word space);
    in a one-column page most long lines then still cross the middle."""
    mid = page_width / 2
    prose = [ln for ln in text_lines(words, split=1.5) if len(ln.words) >= 6]
    if len(prose) < 4:
        return False
    crossing = sum(ln.bbox[0] < mid - 20 and ln.bbox[2] > mid + 20 for ln in prose)
    return crossing < 0.3 * len(prose)


def _grow_from_caption(
    words: list[Word], cap: TextLine, cap_bbox: BBox, page_width: float, two_col: bool
) -> BBox | None:
    """Tabular lines next to a caption: the region of a table without rules.

    Lines are read across the caption's page column: the half of the page when the
    caption sits in one half of a two-column page, else the whole width.
    """
    mid = page_width / 2
    if not two_col:
        lo, hi = 0.0, page_width
    elif cap_bbox[2] <= mid + 10:
        lo, hi = 0.0, mid
    elif cap_bbox[0] >= mid - 10:
        lo, hi = mid, page_width
    else:
        lo, hi = 0.0, page_width
    return _grow_once(words, cap, cap_bbox, lo, hi)


def _grow_once(words, cap: TextLine, cap_bbox: BBox, lo: float, hi: float) -> BBox | None:
    lines = text_lines([w for w in words if lo <= w.cx <= hi], split=1e9)
    for direction in (1, -1):
        seq = (
            [ln for ln in lines if ln.bbox[1] >= cap_bbox[3] - 1]
            if direction == 1
            else [ln for ln in reversed(lines) if ln.bbox[3] <= cap.bbox[1] + 1]
        )
        seq = [ln for ln in seq if _overlap(ln.bbox[0], ln.bbox[2], lo, hi) > 0]
        taken: list[TextLine] = []
        edge = cap_bbox[3] if direction == 1 else cap.bbox[1]
        widest = 0.0
        for ln in seq:
            b = ln.bbox
            h = b[3] - b[1]
            gap = (b[1] - edge) if direction == 1 else (edge - b[3])
            limit = 2.0 * h if not taken else 1.5 * h
            if gap > limit or CAPTION_RE.match(ln.text) or FIGURE_RE.match(ln.text):
                break
            multi = ln.segments(1.2) >= 2
            if not multi and widest and (b[2] - b[0]) > 2.5 * widest:
                break
            if multi:
                widest = max(widest, b[2] - b[0])
            taken.append(ln)
            edge = b[3] if direction == 1 else b[1]
        if sum(ln.segments(1.2) >= 2 for ln in taken) >= 2:
            box = (
                min(t.bbox[0] for t in taken),
                min(t.bbox[1] for t in taken),
                max(t.bbox[2] for t in taken),
                max(t.bbox[3] for t in taken),
            )
            return _widen(box, [w for w in words if lo <= w.cx <= hi])
    return None


def _widen(box: BBox, words: list[Word]) -> BBox:
    """Extend a region sideways over words on its lines that continue it (cells cut off
    by the caption window)."""
    x0, y0, x1, y1 = box
    row = sorted((w for w in words if y0 - 1 <= (w.y0 + w.y1) / 2 <= y1 + 1), key=lambda w: w.x0)
    changed = True
    while changed:
        changed = False
        for w in row:
            if w.x0 < x0 and x0 - w.x1 <= 3 * w.size:
                if w.x0 < x0:
                    x0, changed = w.x0, True
            if w.x1 > x1 and w.x0 - x1 <= 3 * w.size:
                x1, changed = w.x1, True
    return (x0, y0, x1, y1)


def find_regions(page: fitz.Page, words: list[Word], geo: PageGeometry) -> list[Region]:
    """Table candidates on a page, ruled ones first, then caption-grown ones."""
    lines = text_lines(words)
    caps = _captions(lines)
    boxes = [b for b in _ruled_boxes(geo, caps, lines) if len(_words_inside(lines, b)) >= 2]
    cap_texts = []
    for ln, _ in caps:
        # The caption block ends where a ruled box begins (captions can share a text block).
        avoid = next(
            (
                b
                for b in boxes
                if b[1] >= ln.bbox[3] - 1 and _overlap(b[0], b[2], ln.bbox[0], ln.bbox[2]) > 0
            ),
            None,
        )
        cap_texts.append(_caption_text(lines, ln, avoid))
    match = _assign_captions(boxes, [cb for _, cb in cap_texts], [k for _, k in caps])
    two_col = _two_columns(words, page.rect.width)
    used = set(match.values())
    regions: list[Region] = []
    for i, box in enumerate(boxes):
        if i not in match:
            regions.append(Region(box, "", "", None, True))
            continue
        k = match[i]
        text, cb = cap_texts[k]
        regions.append(Region(box, text, caps[k][1], cb, True))
    for k, (ln, kind) in enumerate(caps):
        if k in used or kind != "table":
            continue
        text, cb = cap_texts[k]
        box = _grow_from_caption(words, ln, cb, page.rect.width, two_col)
        if box is None:
            continue
        if any(
            _overlap(box[1], box[3], r.bbox[1], r.bbox[3]) > 0
            and _overlap(box[0], box[2], r.bbox[0], r.bbox[2]) > 0
            for r in regions
        ):
            continue
        regions.append(Region(box, text, kind, cb, False))
    return regions


def region_for_bbox(words: list[Word], bbox: BBox) -> Region:
    """A region for an externally found box, with the nearest caption attached."""
    lines = text_lines(words)
    caps = _captions(lines)
    cap_texts = [_caption_text(lines, ln, bbox) for ln, _ in caps]
    match = _assign_captions([bbox], [cb for _, cb in cap_texts], [k for _, k in caps])
    if 0 not in match:
        return Region(bbox, "", "", None, True)
    text, cb = cap_texts[match[0]]
    return Region(bbox, text, caps[match[0]][1], cb, True)
