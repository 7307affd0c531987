"""Read the cell grid of one table region from word positions and rules.

Why word positions and not `find_tables()` cell text: neighbouring cells of
tables typeset with math fonts interleave in PyMuPDF's cell text, and tables
without vertical rules are not found at all.  Here:

* lines are words sharing a baseline; repeat markers ("×2", "5×") are pulled
  out first because they sit between lines, beside the block they repeat;
* a line splits into *segments* at gaps wider than 0.6 em (1 em in monospaced
  fonts) and at vertical rules drawn on that line;
* column separators are vertical rules plus x-ranges that no segment of a
  multi-segment line covers; spanning rows are single segments, and a segment
  much wider than those above and below it is ignored, so neither hides a gap;
* a segment that crosses a separator (by more than a small overhang) is a
  spanning cell: it claims every column up to its neighbours or up to a rule
  drawn on its line; a rule drawn on most lines but missing on this one also
  lets a cell extend across it (ResNet's "7×7, 64, stride 2");
* cells are grouped into *blocks* by horizontal rules (when rules separate the
  body rows) or else by clearly wider vertical gaps than the usual spacing.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

from papercc.compiler.tables.regions import Region
from papercc.compiler.tables.rulings import PageGeometry, Ruling, isolated_boxes
from papercc.compiler.tables.text import clean, marker_count
from papercc.compiler.tables.words import Glyph, Word

BBox = tuple[float, float, float, float]
SEGMENT_GAP = 0.6  # × font size: a wider gap between words starts a new segment


@dataclass(frozen=True)
class Cell:
    """Text of one segment and the columns it covers (col0..col1 inclusive)."""

    text: str
    bbox: BBox
    line: int
    col0: int
    col1: int

    @property
    def spanning(self) -> bool:
        return self.col1 > self.col0


@dataclass(frozen=True)
class Marker:
    """A repeat marker: count, side ("pre" for "5×", "post" for "×2"), box."""

    count: int
    side: str
    bbox: BBox


@dataclass(frozen=True)
class Grid:
    """The cells of a table region, with the evidence needed to judge it."""

    bbox: BBox
    caption: str
    caption_kind: str
    lines: tuple[tuple[float, float], ...]
    cols: tuple[tuple[float, float], ...]
    cells: tuple[Cell, ...]
    markers: tuple[Marker, ...]
    hrules: tuple[Ruling, ...]
    vrules: int
    brackets: int
    boxes: int
    curves: int
    ruled: bool
    by_line: tuple[tuple[Cell, ...], ...] = ()

    @property
    def ruled_rows(self) -> bool:
        """Rules separate body rows (two or more interior rules); with at most a header
        rule (booktabs, or no rules) wide vertical gaps separate blocks instead."""
        centers = sorted(sum(ext) / 2 for ext in self.lines)
        if len(centers) <= 2:
            return False
        inner = {round(r.y0) for r in self.hrules if centers[1] < r.y0 < centers[-1]}
        return len(inner) >= 2

    def cells_in(self, line: int) -> list[Cell]:
        return list(self.by_line[line]) if 0 <= line < len(self.by_line) else []

    def cell_at(self, line: int, col: int) -> Cell | None:
        for c in self.cells_in(line):
            if c.col0 <= col <= c.col1:
                return c
        return None

    def blocks(self, col: int, lines: range | None = None) -> list[list[int]]:
        """Line indices of `col` grouped by the rules (or wide gaps) crossing it."""
        idx = list(lines if lines is not None else range(len(self.lines)))
        if not idx:
            return []
        x0, x1 = self.cols[col]
        cuts = [
            r.y0
            for r in self.hrules
            if min(r.x1, x1) - max(r.x0, x0) >= 0.5 * (x1 - x0)
            and self.bbox[1] + 1 < r.y0 < self.bbox[3] - 1
        ]
        groups: list[list[int]] = [[idx[0]]]
        bands = None if self.ruled_rows else _gap_bands(self.lines, self.cells)
        for a, b in zip(idx, idx[1:], strict=False):
            mid_a = sum(self.lines[a]) / 2
            mid_b = sum(self.lines[b]) / 2
            cut = any(mid_a < y < mid_b for y in cuts)
            if bands is not None and bands[a] != bands[b]:
                cut = True
            if cut:
                groups.append([b])
            else:
                groups[-1].append(b)
        return groups


def _gap_bands(lines: tuple[tuple[float, float], ...], cells: tuple[Cell, ...]) -> list[int]:
    """Band number of each line when no rules exist: a clearly wider vertical gap than the
    usual line spacing starts a new band (lines overlapping a band stay in it).

    The usual spacing is measured between successive cells of the same column, since a
    label centred beside a stack sits between the stack's lines."""
    order = sorted(range(len(lines)), key=lambda i: lines[i][0])
    gaps = []
    by_col: dict[int, list[int]] = {}
    for c in cells:
        if not c.spanning:
            by_col.setdefault(c.col0, []).append(c.line)
    for idx in by_col.values():
        idx = sorted(set(idx), key=lambda i: lines[i][0])
        gaps.extend(lines[b][0] - lines[a][1] for a, b in zip(idx, idx[1:], strict=False))
    gaps = [g for g in gaps if g > 0.5]
    big = max(1.8 * min(gaps), min(gaps) + 3.0) if gaps else None
    band = [0] * len(lines)
    current, bottom = 0, None
    for i in order:
        if bottom is not None and big is not None and lines[i][0] - bottom > big:
            current += 1
        band[i] = current
        bottom = lines[i][1] if bottom is None else max(bottom, lines[i][1])
    return band


def _big_gap(gaps: list[float]) -> float | None:
    if len(gaps) < 2:
        return None
    low = sorted(gaps)[len(gaps) // 4]  # the usual line spacing inside a block
    return max(1.8 * low, low + 3.0)


def _lines(words: list[Word]) -> list[list[Word]]:
    lines: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (w.base, w.x0)):
        if lines and abs(lines[-1][0].base - w.base) < 0.35 * w.size:
            lines[-1].append(w)
        else:
            lines.append([w])
    for ln in lines:
        ln.sort(key=lambda w: w.x0)
    return lines


def _vertical_separators(
    rules: list[Ruling], bbox: BBox, line_h: float
) -> list[tuple[float, list]]:
    xs = sorted(
        (r for r in rules if not r.horizontal and r.length >= 0.5 * line_h),
        key=lambda r: r.x0,
    )
    xs = [r for r in xs if bbox[0] + 2 < r.x0 < bbox[2] - 2]
    seps: list[tuple[float, list]] = []
    for r in xs:
        if seps and abs(seps[-1][0] - r.x0) < max(2.5, 0.5 * line_h):
            seps[-1][1].append((r.y0, r.y1))
        else:
            seps.append((r.x0, [(r.y0, r.y1)]))
    return seps


def _segments(line: list[Word], vseps: list[tuple[float, list]]) -> list[list[Word]]:
    y0, y1 = min(w.y0 for w in line), max(w.y1 for w in line)
    vx = [x for x, spans in vseps if _present((x, spans), y0, y1)]
    segs = [[line[0]]]
    for a, b in zip(line, line[1:], strict=False):
        gap = b.x0 - a.x1
        ruled = any(a.x1 - 0.5 <= x <= b.x0 + 0.5 for x in vx)
        # Wider than a word space: monospaced fonts have spaces of 0.6 em.
        limit = SEGMENT_GAP * max(a.size, b.size) * (1.6 if a.mono else 1.0)
        if gap > limit or ruled:
            segs.append([b])
        else:
            segs[-1].append(b)
    return segs


def _whitespace_separators(
    seg_lines: list[list[BBox]], x0: float, x1: float, size: float
) -> list[tuple[float, float]]:
    """x-ranges (start, end) that almost no segment of a multi-segment line covers."""
    multi = [segs for segs in seg_lines if len(segs) >= 2]
    if not multi:
        return []
    # A segment much wider than the segments of other lines below/above it is a
    # spanning cell: it must not hide a column gap.
    flat = [(li, b) for li, segs in enumerate(multi) for b in segs]

    def wide(li: int, b: BBox) -> bool:
        others = [
            o[2] - o[0] for lj, o in flat if lj != li and min(o[2], b[2]) - max(o[0], b[0]) > 0
        ]
        return bool(others) and (b[2] - b[0]) > 1.8 * median(others)

    multi = [[b for b in segs if not wide(li, b)] for li, segs in enumerate(multi)]
    step = 0.5
    n = int((x1 - x0) / step) + 2
    count = [0] * n
    for segs in multi:
        for b in segs:
            for i in range(max(0, int((b[0] - x0) / step)), min(n, int((b[2] - x0) / step) + 1)):
                count[i] += 1
    thr = len(multi) // 10
    covered = [i for i in range(n) if count[i] > thr]
    if not covered:
        return []
    first, last = covered[0], covered[-1]
    seps: list[float] = []
    i = first
    while i <= last:
        if count[i] <= thr:
            j = i
            while j <= last and count[j] <= thr:
                j += 1
            if (j - i) * step >= 0.3 * size:
                seps.append((x0 + i * step, x0 + j * step))
            i = j
        else:
            i += 1
    return seps


def build_grid(region: Region, words: list[Word], glyphs: list[Glyph], geo: PageGeometry) -> Grid:
    """Cells, columns, lines and blocks of the table inside `region`."""
    bx0, by0, bx1, by1 = region.bbox
    markers, plain = _own_words(region, words)
    rules = [
        r
        for r in geo.rulings
        if bx0 - 2 <= r.x0 and r.x1 <= bx1 + 2 and by0 - 2 <= r.y0 and r.y1 <= by1 + 2
    ]
    hrules = tuple(r for r in rules if r.horizontal)
    lines = _lines(plain)
    size = median([w.size for w in plain]) if plain else 10.0
    line_h = size * 0.9
    vseps = _vertical_separators(rules, region.bbox, line_h)
    seg_words = [_segments(ln, vseps) for ln in lines]
    seps = _separators(vseps, seg_words, bx0, bx1, size)
    edges = [bx0] + [x for x, _ in seps] + [bx1]
    cols = tuple((edges[i], edges[i + 1]) for i in range(len(edges) - 1))
    line_ext = tuple((min(w.y0 for w in ln), max(w.y1 for w in ln)) for ln in lines)
    cells = _cells(seg_words, line_ext, cols, seps)
    brackets = sum(1 for g in glyphs if _inside(region.bbox, g.x0, g.y0, g.x1, g.y1))
    boxes = [b for b in geo.boxes if _inside(region.bbox, *b)]
    curves = sum(1 for c in geo.curves if _inside(region.bbox, *c))
    return Grid(
        bbox=region.bbox,
        caption=region.caption,
        caption_kind=region.caption_kind,
        lines=line_ext,
        cols=cols,
        cells=tuple(cells),
        markers=tuple(markers),
        hrules=hrules,
        vrules=len(vseps),
        brackets=brackets,
        boxes=isolated_boxes(boxes),
        curves=curves,
        ruled=region.ruled,
        by_line=tuple(tuple(c for c in cells if c.line == li) for li in range(len(line_ext))),
    )


def _inside(bbox: BBox, x0: float, y0: float, x1: float, y1: float, pad: float = 1.0) -> bool:
    """Is the centre of (x0, y0, x1, y1) inside bbox (give or take pad)?"""
    bx0, by0, bx1, by1 = bbox
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return bx0 - pad <= cx <= bx1 + pad and by0 - pad <= cy <= by1 + pad


def _own_words(region: Region, words: list[Word]) -> tuple[list[Marker], list[Word]]:
    """The words of the region outside its caption: repeat markers, and the others."""
    cap = region.caption_bbox

    def in_caption(w: Word) -> bool:
        return (
            cap is not None
            and cap[0] - 1 <= w.cx <= cap[2] + 1
            and cap[1] - 1 <= (w.y0 + w.y1) / 2 <= cap[3] + 1
        )

    own = [w for w in words if _inside(region.bbox, w.x0, w.y0, w.x1, w.y1) and not in_caption(w)]
    markers: list[Marker] = []
    plain: list[Word] = []
    for w in own:
        m = marker_count(w.text)
        if m is not None:
            markers.append(Marker(m[0], m[1], (w.x0, w.y0, w.x1, w.y1)))
        else:
            plain.append(w)
    return markers, plain


def _separators(vseps, seg_words, bx0: float, bx1: float, size: float):
    """Column separators, left to right: the vertical rules (x, the spans they are drawn
    on), and the whitespace gaps no rule is drawn in (x, None)."""
    vx = [x for x, _ in vseps]
    seg_boxes = [[_box(s) for s in segs] for segs in seg_words]
    wseps = _whitespace_separators(seg_boxes, bx0, bx1, size)
    seps: list[tuple[float, list | None]] = list(vseps)
    for a, b in wseps:
        if all(not (a - 3.0 <= v <= b + 3.0) for v in vx):
            seps.append(((a + b) / 2, None))
    seps.sort(key=lambda s: s[0])
    return seps


def _cells(seg_words, line_ext, cols, seps) -> list[Cell]:
    """One cell per segment of each line, with the columns it covers."""
    # A rule is part of the grid if it is drawn on at least half of the lines holding
    # several cells (header-only rules are not); where such a rule is missing, a cell
    # spans across it.
    multi_ext = [ext for ext, segs in zip(line_ext, seg_words, strict=True) if len(segs) > 1]
    reliable = [
        spans is not None
        and sum(_present((x, spans), *ext) for ext in multi_ext) >= 0.5 * max(1, len(multi_ext))
        for x, spans in seps
    ]
    typical = _typical_widths(seg_words, cols)
    cells: list[Cell] = []
    for li, segs in enumerate(seg_words):
        spans = [_columns(_box(s), cols) for s in segs]
        y0, y1 = line_ext[li]
        # A separator is open on this line if a spanning segment may cross it.
        absent = [r and not _present(sep, y0, y1) for r, sep in zip(reliable, seps, strict=True)]
        for si, s in enumerate(segs):
            c0, c1 = spans[si]
            lo = spans[si - 1][1] + 1 if si > 0 else 0
            hi = spans[si + 1][0] - 1 if si + 1 < len(segs) else len(cols) - 1
            crossing = c1 > c0
            # Beside other cells, a cell much wider than its column's usual content may
            # span (a lone cell is judged later, against the configuration columns).
            wide = len(segs) > 1 and _width(_box(s)) >= 1.5 * typical.get(c0, 1e9)
            if not crossing and wide:
                c0, c1 = _centred_span(_box(s), c0, lo, hi, cols, seps, y0, y1)
            while c0 > lo and (absent[c0 - 1] or (crossing and not _present(seps[c0 - 1], y0, y1))):
                c0 -= 1
            while c1 < hi and (absent[c1] or (crossing and not _present(seps[c1], y0, y1))):
                c1 += 1
            text = clean(" ".join(w.text for w in s))
            cells.append(Cell(text, _box(s), li, c0, c1))
    return cells


def _centred_span(b: BBox, col: int, lo: int, hi: int, cols, seps, y0: float, y1: float):
    """A lone cell centred on an odd run of free columns (no rule between them) that
    reaches the right edge spans them: without rules, "maxpool" centred over three
    columns sits in the middle one only, and spanning is by far the likelier reading."""
    a = col
    while a > lo and not _present(seps[a - 1], y0, y1):
        a -= 1
    z = col
    while z < hi and not _present(seps[z], y0, y1):
        z += 1
    # Only a run reaching the right edge (a full-width or rest-of-row cell) qualifies.
    last = len(cols) - 1
    h = last - col
    if z != last or h < 1 or col - h < a:
        return col, col
    centre = (cols[col - h][0] + cols[last][1]) / 2
    if abs((b[0] + b[2]) / 2 - centre) <= 0.15 * (cols[col][1] - cols[col][0]):
        return col - h, last
    return col, col


def _width(b: BBox) -> float:
    return b[2] - b[0]


def _typical_widths(seg_words: list[list[list[Word]]], cols) -> dict[int, float]:
    """Median width of the one-column segments of each column."""
    widths: dict[int, list[float]] = {}
    for segs in seg_words:
        for s in segs:
            c0, c1 = _columns(_box(s), cols)
            if c0 == c1:
                widths.setdefault(c0, []).append(_width(_box(s)))
    return {j: median(ws) for j, ws in widths.items()}


def _box(ws: list[Word]) -> BBox:
    return (
        min(w.x0 for w in ws),
        min(w.y0 for w in ws),
        max(w.x1 for w in ws),
        max(w.y1 for w in ws),
    )


def _columns(b: BBox, cols: tuple[tuple[float, float], ...]) -> tuple[int, int]:
    # A small overhang into the next column (an indented or long cell) is not a span.
    least = max(1.0, 0.15 * (b[2] - b[0]))
    hit = [i for i, (x0, x1) in enumerate(cols) if min(b[2], x1) - max(b[0], x0) > least]
    if not hit:
        cx = (b[0] + b[2]) / 2
        best = min(range(len(cols)), key=lambda i: abs((cols[i][0] + cols[i][1]) / 2 - cx))
        return best, best
    return hit[0], hit[-1]


def _present(sep: tuple[float, list | None], y0: float, y1: float) -> bool:
    """A rule separator stops a spanning cell only where it is drawn."""
    _, spans = sep
    if spans is None:
        return False
    h = y1 - y0
    return any(min(b, y1) - max(a, y0) > 0.3 * h for a, b in spans)
