"""Words of a figure: the text inside each box, and free labels outside boxes.

Why: in a vector figure the labels are real text, so a box's label is the
words whose centre lies in it, read row by row; words outside every box are
grouped into labels (e.g. "Filter concat" drawn without a box) that become
nodes only when a connector ends at them.

Text in any orientation: every word carries its line's direction (PyMuPDF's
`dir`, (cos, sin) with y down) and its place in that line, so a label written
sideways (90°, 270°) or upside down is read along its own line and its lines
across in the text's own frame, never by page x/y.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from papercc.compiler.diagram.grouping import groups
from papercc.compiler.vector.geometry import BBox, Grid


@dataclass(frozen=True)
class Word:
    bbox: BBox
    text: str
    key: tuple[int, int]  # (block, line) in the page's text layer
    dir: tuple[float, float] = (1.0, 0.0)  # the line's reading direction (cos, sin), y down
    order: int = 0  # place of the word in its line

    @property
    def horizontal(self) -> bool:
        return self.dir[0] > 0.9

    def frame(self) -> tuple[float, float, float, float]:
        """(along, across, length, thickness): the word in its text's own frame."""
        (ux, uy), (vx, vy) = self.dir, (-self.dir[1], self.dir[0])
        cx, cy = self.centre
        bw, bh = self.bbox[2] - self.bbox[0], self.bbox[3] - self.bbox[1]
        return (
            cx * ux + cy * uy,
            cx * vx + cy * vy,
            abs(bw * ux) + abs(bh * uy),
            abs(bw * vx) + abs(bh * vy),
        )

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.bbox[0] + self.bbox[2]) / 2, (self.bbox[1] + self.bbox[3]) / 2)

    @property
    def height(self) -> float:
        return self.bbox[3] - self.bbox[1]


@dataclass(frozen=True)
class Label:
    bbox: BBox
    text: str
    words: tuple[Word, ...] = ()

    @property
    def horizontal(self) -> bool:
        return all(w.horizontal for w in self.words)


def needs_directions(words: list[Word]) -> bool:
    """Some line may not read left to right: a long word taller than wide, or a line
    whose next word lies below, above or left of the last (then `line_directions` is
    worth its cost)."""
    last: dict[tuple[int, int], Word] = {}
    for w in words:
        bw, bh = w.bbox[2] - w.bbox[0], w.bbox[3] - w.bbox[1]
        if len(w.text) >= 3 and bh > 1.5 * bw:
            return True
        prev = last.get(w.key)
        if prev is not None and w.order > prev.order:
            dx, dy = w.centre[0] - prev.centre[0], w.centre[1] - prev.centre[1]
            if dx < 0 or abs(dy) > abs(dx):
                return True
        last[w.key] = w
    return False


def line_directions(text_dict: dict) -> list[tuple[BBox, tuple[float, float]]]:
    """Each text line's bbox and reading direction, from PyMuPDF's `get_text("dict")`
    (of the figure's clip only: lines are matched to words by place, not number)."""
    out = []
    for b in text_dict.get("blocks", ()):
        for line in b.get("lines", ()):
            dx, dy = line.get("dir", (1.0, 0.0))
            n = math.hypot(dx, dy) or 1.0
            bb = tuple(float(v) for v in line["bbox"])
            out.append((bb, (round(dx / n, 4), round(dy / n, 4))))
    return out


def with_directions(words: list[Word], lines: list[tuple[BBox, tuple[float, float]]]) -> list[Word]:
    """The words with the direction of the (smallest) line holding each one's centre."""
    idx = Grid()
    for i, (bb, _) in enumerate(lines):
        idx.add(i, bb)
    out = []
    for w in words:
        cx, cy = w.centre
        best = None
        for i in idx.near((cx, cy), 0.5):
            bb = lines[i][0]
            if bb[0] - 0.5 <= cx <= bb[2] + 0.5 and bb[1] - 0.5 <= cy <= bb[3] + 0.5:
                area = (bb[2] - bb[0]) * (bb[3] - bb[1])
                if best is None or area < best[0]:
                    best = (area, lines[i][1])
        out.append(w if best is None else Word(w.bbox, w.text, w.key, best[1], w.order))
    return out


def words_of(raw_words, clip: BBox | None) -> list[Word]:
    """PyMuPDF `get_text("words")` tuples whose centre lies in clip."""
    out = []
    for w in raw_words:
        bb = (float(w[0]), float(w[1]), float(w[2]), float(w[3]))
        cx, cy = (bb[0] + bb[2]) / 2, (bb[1] + bb[3]) / 2
        if clip is not None and not (clip[0] <= cx <= clip[2] and clip[1] <= cy <= clip[3]):
            continue
        text = str(w[4]).strip()
        if text:
            order = int(w[7]) if len(w) > 7 else 0
            out.append(Word(bb, text, (int(w[5]), int(w[6])), order=order))
    return out


def is_vertical_line(words: list[Word]) -> set[tuple[int, int]]:
    """(block, line) keys of rotated text: words taller than wide for their length."""
    tall: dict[tuple[int, int], list[bool]] = {}
    for w in words:
        bw, bh = w.bbox[2] - w.bbox[0], w.bbox[3] - w.bbox[1]
        if len(w.text) >= 2:
            tall.setdefault(w.key, []).append(bh > 1.3 * bw)
    return {k for k, v in tall.items() if sum(v) * 2 > len(v)}


def read_rows(words: list[Word]) -> str:
    """Join words in reading order: rows top to bottom, words left to right, each in
    its text's own frame (sideways labels too); text of several directions is read
    one direction after the other, horizontal first."""
    if all(w.horizontal for w in words):
        return _read_upright(words)
    by_dir: dict[tuple[float, float], list[Word]] = {}
    for w in words:
        by_dir.setdefault((round(w.dir[0], 1), round(w.dir[1], 1)), []).append(w)
    order = sorted(by_dir, key=lambda d: (-d[0], min(w.bbox[1] for w in by_dir[d])))
    return " ".join(_read_framed(by_dir[d]) for d in order)


def _read_framed(words: list[Word]) -> str:
    """Words of one direction: lines across the text's frame, words along each line."""
    framed = sorted(((w.frame(), w) for w in words), key=lambda fw: fw[0][1])
    rows: list[list[tuple]] = []
    for f, w in framed:
        if rows:
            last = rows[-1]
            yc = sum(g[1] for g, _ in last) / len(last)
            if abs(f[1] - yc) <= 0.5 * max(f[3], last[0][0][3]):
                last.append((f, w))
                continue
        rows.append([(f, w)])
    return " ".join(" ".join(w.text for _, w in sorted(r, key=lambda fw: fw[0][0])) for r in rows)


def _read_upright(words: list[Word]) -> str:
    rows: list[list[Word]] = []
    for w in sorted(words, key=lambda w: w.centre[1]):
        if rows:
            last = rows[-1]
            yc = sum(x.centre[1] for x in last) / len(last)
            if abs(w.centre[1] - yc) <= 0.5 * max(w.height, last[0].height):
                last.append(w)
                continue
        rows.append([w])
    return " ".join(" ".join(w.text for w in sorted(r, key=lambda w: w.bbox[0])) for r in rows)


def assign_words(words: list[Word], boxes: list[BBox]) -> tuple[list[list[Word]], list[Word]]:
    """Words per box (smallest box containing the word's centre) and the rest."""
    per_box: list[list[Word]] = [[] for _ in boxes]
    rest = []
    idx = Grid()
    for i, r in enumerate(boxes):
        idx.add(i, r)
    for w in words:
        cx, cy = w.centre
        best, best_area = None, None
        for i in sorted(idx.near((cx, cy), 0.0)):
            r = boxes[i]
            if r[0] <= cx <= r[2] and r[1] <= cy <= r[3]:
                area = (r[2] - r[0]) * (r[3] - r[1])
                if best_area is None or area < best_area:
                    best, best_area = i, area
        if best is None:
            rest.append(w)
        else:
            per_box[best].append(w)
    return per_box, rest


def _one_label(a: Word, b: Word) -> bool:
    """Two words of one label: on one line close together, or on stacked lines (in
    the text's own frame: words of different directions are never one label)."""
    if a.dir != b.dir:
        return False
    if not a.horizontal:
        return _one_framed(a.frame(), b.frame())
    h = max(a.height, b.height)
    vov = min(a.bbox[3], b.bbox[3]) - max(a.bbox[1], b.bbox[1])
    hgap = max(a.bbox[0], b.bbox[0]) - min(a.bbox[2], b.bbox[2])
    vgap = max(a.bbox[1], b.bbox[1]) - min(a.bbox[3], b.bbox[3])
    same_row = vov >= 0.5 * min(a.height, b.height) and hgap <= 0.6 * h
    hov = min(a.bbox[2], b.bbox[2]) - max(a.bbox[0], b.bbox[0])
    stacked = vgap <= 0.35 * h and hov > -0.2 * h and abs(a.height - b.height) < 0.3 * h
    return same_row or stacked


def _one_framed(fa, fb) -> bool:
    """`_one_label` for frames (along, across, length, thickness)."""
    h = max(fa[3], fb[3])
    gap_along = abs(fa[0] - fb[0]) - (fa[2] + fb[2]) / 2
    gap_across = abs(fa[1] - fb[1]) - (fa[3] + fb[3]) / 2
    same_row = abs(fa[1] - fb[1]) <= 0.5 * min(fa[3], fb[3]) and gap_along <= 0.6 * h
    stacked = gap_across <= 0.35 * h and gap_along < 0.2 * h and abs(fa[3] - fb[3]) < 0.3 * h
    return same_row or stacked


def group_labels(words: list[Word]) -> list[Label]:
    """Group free words into labels: same line close together, or stacked lines."""
    n = len(words)
    pairs = ((i, j) for i in range(n) for j in range(i + 1, n) if _one_label(words[i], words[j]))
    members = [[words[i] for i in g] for g in groups(n, pairs)]
    labels = []
    for ws in members:
        bb = (
            min(w.bbox[0] for w in ws),
            min(w.bbox[1] for w in ws),
            max(w.bbox[2] for w in ws),
            max(w.bbox[3] for w in ws),
        )
        labels.append(Label(bb, read_rows(ws), tuple(ws)))
    labels.sort(key=lambda lb: (lb.bbox[1], lb.bbox[0]))
    return labels
