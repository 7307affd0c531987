"""Find vector figures on a page: clusters of drawings above a "Figure N" caption.

Why: the diagram parser needs a clip per figure, and a page often holds
several figures (and tables drawn with rules). Drawings are clustered by
proximity; each cluster goes to the nearest caption in its column, below it
for figures and above it for tables, so table rules never join a figure.
"""

from __future__ import annotations

import re

import pymupdf

_FIG = re.compile(r"^\s*(fig\.?|figure)\s*\d+[a-z]?\s*[.:|]", re.IGNORECASE)
_TAB = re.compile(r"^\s*table\s*\d+[a-z]?\s*[.:|]?", re.IGNORECASE)
_GAP = 10.0  # pt: drawings closer than this belong to one cluster
_MARGIN = 12.0  # pt: figure text may sit this far outside the drawings
_TABLE_BIAS = 8.0  # pt: between two equally near captions, drawings are a figure
_COLUMN_EDGE = 6.0  # pt: text blocks starting this close to the caption share its column
_ABOVE_BIAS = 20.0  # pt: figure captions sit below their figure far more often


def _captions(page) -> tuple[list[tuple[tuple, str, str]], list[tuple]]:
    """(bbox, kind, text) of figure/table captions, and (bbox, lines) of other text blocks.

    A caption may share a text block with lines above it (a table's last row),
    so it starts at the first line that reads "Figure N." / "Table N".
    """
    caps, others = [], []
    for b in page.get_text("dict").get("blocks", []):
        if b.get("type") != 0:
            continue
        lines = []
        for ln in b["lines"]:
            t = " ".join(" ".join(sp.get("text", "") for sp in ln.get("spans", [])).split())
            if t:
                lines.append((t, tuple(ln["bbox"])))
        start, kind = None, None
        for k, (t, _) in enumerate(lines):
            if _FIG.match(t):
                start, kind = k, "figure"
            elif _TAB.match(t):
                start, kind = k, "table"
            if start is not None:
                break
        if start is None:
            if lines:
                others.append((tuple(b["bbox"]), _rows(lines)))
            continue
        if start > 0:
            others.append((_union([bb for _, bb in lines[:start]]), _rows(lines[:start])))
        cap = lines[start:]
        caps.append((_union([bb for _, bb in cap]), kind, " ".join(t for t, _ in cap)))
    return caps, others


def _rows(lines) -> int:
    """How many rows of text the lines make: PyMuPDF splits one row of widely spaced
    words (size notes over a row of boxes) into several lines, which is no paragraph."""
    rows: list[float] = []
    for _, bb in sorted(lines, key=lambda tb: tb[1][1]):
        mid, half = (bb[1] + bb[3]) / 2, (bb[3] - bb[1]) / 2
        if not rows or mid - rows[-1] > half:
            rows.append(mid)
    return len(rows)


def _union(bbs) -> tuple:
    return (
        min(b[0] for b in bbs),
        min(b[1] for b in bbs),
        max(b[2] for b in bbs),
        max(b[3] for b in bbs),
    )


def _clusters(page) -> list[list[float]]:
    area = page.rect.width * page.rect.height
    rects = []
    for d in page.get_drawings():
        r = d.get("rect")
        if r is None or d.get("fill_opacity") == 0 and "s" not in d.get("type", ""):
            continue
        if r.width * r.height > 0.5 * area or (r.width < 0.5 and r.height < 0.5):
            continue
        rects.append([r.x0, r.y0, r.x1, r.y1, 1])
    rects.sort(key=lambda r: r[1])
    clusters: list[list[float]] = []
    for r in rects:
        for c in clusters:
            if _near(r, c, _GAP):
                _grow(c, r)
                break
        else:
            clusters.append(list(r))
    merged = True
    while merged:
        merged = False
        for i in range(len(clusters)):
            for j in range(i + 1, len(clusters)):
                if _near(clusters[i], clusters[j], _GAP):
                    _grow(clusters[i], clusters[j])
                    del clusters[j]
                    merged = True
                    break
            if merged:
                break
    return clusters


def _near(a, b, gap: float) -> bool:
    return not (a[2] + gap < b[0] or b[2] + gap < a[0] or a[3] + gap < b[1] or b[3] + gap < a[1])


def _grow(c, r) -> None:
    c[0], c[1], c[2], c[3] = min(c[0], r[0]), min(c[1], r[1]), max(c[2], r[2]), max(c[3], r[3])
    c[4] += r[4]


def _hoverlap(a, b) -> float:
    ov = min(a[2], b[2]) - max(a[0], b[0])
    return ov / max(1e-6, min(a[2] - a[0], b[2] - b[0]))


def _in_column(cl, cap, others) -> bool:
    """The drawings lie in the caption's text column: a short caption set flush left
    under a narrow figure centred in the column overlaps it little or not at all. The
    column runs from the caption's left edge to the right edge of the text blocks that
    start where the caption starts."""
    right = max([cap[2], *(bb[2] for bb, _ in others if abs(bb[0] - cap[0]) <= _COLUMN_EDGE)])
    centre = (cl[0] + cl[2]) / 2
    return cap[0] - _COLUMN_EDGE <= centre <= right + _COLUMN_EDGE


def _blocked(cl, cap, others, clusters) -> bool:
    """A paragraph of body text between the drawings and the caption.

    Text lying on other drawings is figure text (box labels), not body text.
    """
    for bb, nlines in others:
        if nlines < 3 or not (bb[1] >= cl[3] - 1 and bb[3] <= cap[1] + 1):
            continue
        if _hoverlap(bb, cap) <= 0.5 or (bb[2] - bb[0]) < 0.6 * (cap[2] - cap[0]):
            continue
        if any(_near(bb, c, 0.0) for c in clusters if c[4] >= 3):
            continue
        return True
    return False


def find_figure_regions(page) -> list[tuple[pymupdf.Rect, str]]:
    """Rectangles of the vector figures on `page`, each with its caption text."""
    caps, others = _captions(page)
    figs: dict[int, list[float]] = {}
    clusters = _clusters(page)
    for cl in clusters:
        if cl[4] < 3:  # a lone rule or underline is not a figure
            continue
        best = None
        for k, (bb, kind, _) in enumerate(caps):
            if _hoverlap(cl, bb) < 0.3 and not _in_column(cl, bb, others):
                continue
            if kind == "figure" and bb[1] >= cl[3] - 5:
                gap = bb[1] - cl[3]
            elif kind == "figure" and bb[3] <= cl[1] + 5:  # rare: figure captioned above
                gap = cl[1] - bb[3] + _ABOVE_BIAS
            elif kind == "table" and bb[3] <= cl[1] + 5:
                gap = cl[1] - bb[3] + _TABLE_BIAS
            elif kind == "table" and bb[1] >= cl[3] - 5:  # some styles caption tables below
                gap = bb[1] - cl[3] + _TABLE_BIAS
            else:
                continue
            if best is None or gap < best[0]:
                best = (gap, k)
        if best is None or caps[best[1]][1] != "figure" or best[0] > 0.6 * page.rect.height:
            continue
        if _blocked(cl, caps[best[1]][0], others, clusters):
            continue
        if best[1] in figs:
            _grow(figs[best[1]], cl)
        else:
            figs[best[1]] = list(cl)
    out = []
    words = page.get_text("words")
    for k, c in figs.items():
        cap = caps[k][0]
        x0, y0, x1, y1 = c[0], c[1], c[2], c[3]
        # text blocks that are not this figure's: captions, paragraphs off the drawings
        foreign = [bb for bb, _, _ in caps] + [
            bb for bb, n in others if n >= 3 and not _near(bb, c, 0.0)
        ]
        above = cap[3] <= c[1] + 5  # the caption sits above this figure
        for w in words:  # figure text just outside the drawings (titles, labels)
            if (w[3] <= cap[3] + 0.5) if above else (w[1] >= cap[1] - 0.5):
                continue
            cx, cy = (w[0] + w[2]) / 2, (w[1] + w[3]) / 2
            if any(bb[0] <= cx <= bb[2] and bb[1] <= cy <= bb[3] for bb in foreign):
                continue
            if (
                w[2] >= c[0] - _MARGIN
                and w[0] <= c[2] + _MARGIN
                and w[3] >= c[1] - _MARGIN
                and w[1] <= c[3] + _MARGIN
            ):
                x0, y0, x1, y1 = min(x0, w[0]), min(y0, w[1]), max(x1, w[2]), max(y1, w[3])
        if above:
            rect = pymupdf.Rect(x0 - 1, max(y0 - 1, cap[3]), x1 + 1, y1 + 1)
        else:
            rect = pymupdf.Rect(x0 - 1, y0 - 1, x1 + 1, min(y1 + 1, cap[1]))
        out.append((rect, caps[k][2]))
    out.sort(key=lambda rc: (rc[0].y0, rc[0].x0))
    return out
