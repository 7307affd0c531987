"""Synthetic architecture tables rendered into a PDF page, with the expected parse.

For tests and benches of `papercc.compiler.tables.find`: random layer phrases and
repeat counts, laid out in the three orientations ("columns": one configuration
per column with shared spanning rows; "rows": one layer per row with attribute
columns and "N×" grouped rows; "stages": labelled stages, per-configuration
bracket-free stacks with "×N" counts), drawn with `page.insert_text` and
`page.draw_line` (a full grid, booktabs rules, or no rules at all), in varied
fonts, sizes, caption sides and ×/x spellings.  Paragraph text above and below
makes the region finder work for its answer.

Known ambiguity kept out on purpose: without vertical rules, a lone phrase centred
over an odd number of columns reads the same as a layer of the middle column alone
(the reader takes it as spanning), so rule-less "columns" tables never give the
middle configuration a layer that no other configuration has on that line.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pymupdf as fitz

from papercc.compiler.tables.model import Config, Entry
from papercc.compiler.tables.text import stride_of

PAD = 8.0
FONTS = ("helv", "tiro", "cour")


@dataclass(frozen=True)
class Style:
    """How a table is drawn: font, size, rules ("grid", "booktabs", "none"), caption side,
    and whether kernel sizes are written "3x3" instead of "3×3"."""

    font: str = "helv"
    size: float = 8.0
    rules: str = "grid"
    caption_below: bool = False
    ascii_x: bool = False

    @property
    def pitch(self) -> float:
        return round(self.size * 1.375, 2)

    @property
    def grid(self) -> bool:
        return self.rules == "grid"


@dataclass(frozen=True)
class SynthTable:
    """A rendered page and what the reader should give back."""

    pdf: bytes
    orientation: str
    rules: str
    style: Style
    configs: tuple[Config, ...]


class _Pen:
    """Draws text and rules in one style; `shown` turns "×" into "x" when asked."""

    def __init__(self, page: fitz.Page, st: Style):
        self.page, self.st = page, st

    def shown(self, text: str) -> str:
        return text.replace("×", "x") if self.st.ascii_x else text

    def w(self, text: str) -> float:
        return fitz.get_text_length(self.shown(text), fontname=self.st.font, fontsize=self.st.size)

    def put(self, x: float, base: float, text: str) -> None:
        self.page.insert_text(
            (x, base), self.shown(text), fontname=self.st.font, fontsize=self.st.size
        )

    def center(self, x0: float, x1: float, base: float, text: str) -> None:
        self.put((x0 + x1) / 2 - self.w(text) / 2, base, text)

    def rule(self, x0: float, y0: float, x1: float, y1: float, frame: bool = False) -> None:
        """A grid rule; `frame` rules (top, under the header, bottom) also in booktabs."""
        if self.st.grid or (frame and self.st.rules == "booktabs" and y0 == y1):
            self.page.draw_line((x0, y0), (x1, y1), width=0.5)


def _fit_page(doc: fitz.Document, pen: _Pen, right: float) -> None:
    """Widen the page when a table is wider than a letter page (landscape tables)."""
    page = pen.page
    if right + 40 > page.rect.width:
        page.set_mediabox(fitz.Rect(0, 0, right + 72, page.rect.height))


def _paragraphs(pen: _Pen, top: float, bottom: float, rng: random.Random) -> None:
    words = "the network is trained with stochastic gradient descent on large images".split()
    for k in (0, 1):
        text = rng.choice(words)
        while pen.w(text) < 430:  # prose fills the text width of a one-column page
            text += " " + rng.choice(words)
        pen.put(72, top - 40 + k * pen.st.pitch, text)
        pen.put(72, bottom + 30 + k * pen.st.pitch, text)


def _caption(pen: _Pen, x0: float, top: float, bottom: float, text: str) -> float:
    """Draw the caption above `top` or below `bottom`; return the new bottom of the figure."""
    if pen.st.caption_below:
        pen.put(x0, bottom + pen.st.pitch, text)
        return bottom + pen.st.pitch + 4
    pen.put(x0, top - 0.55 * pen.st.pitch, text)
    return bottom


def _base(st: Style, y: float, row: int = 0) -> float:
    """Baseline of text row `row` below a rule at `y`."""
    return y + (row + 1) * st.pitch - 0.28 * st.pitch


def _columns_table(rng: random.Random, st: Style):
    names = ["A", "B", "C", "D", "E", "F"]
    n = rng.choice([2, 3, 4, 5, 6])
    names = names[:n]
    if rng.random() < 0.5:
        names[1] = names[1] + "-LRN"
    blocks: list = []
    chans = 64
    for _ in range(rng.randint(2, 4)):
        k = rng.choice([1, 3, 3, 5])
        depths = [rng.randint(1, 4) for _ in names]
        if n % 2 and st.rules != "grid":
            # Keep out the one ambiguous layout: a lone layer of the middle column.
            mid = n // 2
            depths[mid] = min(depths[mid], max(d for i, d in enumerate(depths) if i != mid))
        blocks.append([[f"conv{k}-{chans}"] * d for d in depths])
        blocks.append("maxpool")
        chans = min(chans * 2, 512)
    for _ in range(rng.randint(1, 2)):
        blocks.append(f"FC-{rng.choice([1024, 2048, 4096])}")
    blocks.append(rng.choice(["soft-max", "softmax"]))
    has_input = rng.random() < 0.5
    doc = fitz.open()
    pen = _Pen(doc.new_page(), st)
    col_w = max(pen.w(t) for b in blocks if not isinstance(b, str) for c in b for t in c) + 2 * PAD
    x0 = 120.0
    edges = [x0 + i * col_w for i in range(n + 1)]
    _fit_page(doc, pen, edges[-1])
    y = top = 150.0
    pen.rule(edges[0], y, edges[-1], y, frame=True)
    for i, name in enumerate(names):
        pen.center(edges[i], edges[i + 1], _base(st, y), name)
    y += st.pitch
    for e in edges[1:-1]:
        pen.rule(e, top, e, y)
    pen.rule(edges[0], y, edges[-1], y, frame=True)
    rows: list = (["input (224 × 224 RGB image)"] if has_input else []) + blocks
    for block in rows:
        if isinstance(block, str):
            pen.center(edges[0], edges[-1], _base(st, y), block)
            y += st.pitch
            pen.rule(edges[0], y, edges[-1], y)
            continue
        depth = max(len(c) for c in block)
        for i, col in enumerate(block):
            for r, t in enumerate(col):
                pen.center(edges[i], edges[i + 1], _base(st, y, r), t)
        for e in edges[1:-1]:
            pen.rule(e, y, e, y + depth * st.pitch)
        y += depth * st.pitch
        pen.rule(edges[0], y, edges[-1], y)
    pen.rule(edges[0], y, edges[-1], y, frame=True)
    pen.rule(edges[0], top, edges[0], y)
    pen.rule(edges[-1], top, edges[-1], y)
    end = _caption(pen, x0, top, y, "Table 1: Network configurations (shown in columns).")
    _paragraphs(pen, top - st.pitch, end, rng)
    configs = []
    for i, name in enumerate(names):
        entries = []
        for b in blocks:
            if isinstance(b, str):
                entries.append(Entry(b, stride=stride_of(b)))
            else:
                entries.extend(Entry(t) for t in b[i])
        inp = "input (224 × 224 RGB image)" if has_input else None
        configs.append(Config(name, tuple(entries), input=inp))
    return doc, tuple(configs)


def _rows_table(rng: random.Random, st: Style):
    heads = ["Type / Stride", "Filter Shape", "Output Size"]
    size, chans = 224, 32
    units: list = []
    for _ in range(rng.randint(4, 9)):
        s = rng.choice([1, 1, 2])
        size = size // s
        if rng.random() < 0.25:
            group = [
                (f"{t} / s1", f"3 × 3 × {chans}", f"{size} × {size} × {chans}")
                for t in ("Conv dw", "Conv")
            ]
            units.append((rng.randint(2, 6), group))
            continue
        t = rng.choice(["Conv", "Conv dw", "Max Pool"])
        chans = min(chans * s, 1024)
        units.append((None, [(f"{t} / s{s}", f"3 × 3 × {chans}", f"{size} × {size} × {chans}")]))
    units.append((None, [("FC / s1", f"{chans} × 1000", "1 × 1 × 1000")]))
    units.append((None, [("Softmax / s1", "Classifier", "1 × 1 × 1000")]))
    doc = fitz.open()
    pen = _Pen(doc.new_page(), st)
    widths = [
        max([pen.w(heads[k])] + [pen.w(r[k]) for _, g in units for r in g]) + 2 * PAD
        for k in range(3)
    ]
    indent = pen.w("6×") + 4
    widths[0] += indent
    x0 = 150.0
    edges = [x0, x0 + widths[0], x0 + widths[0] + widths[1], x0 + sum(widths)]
    _fit_page(doc, pen, edges[-1])
    y = top = 150.0
    pen.rule(edges[0], y, edges[-1], y, frame=True)
    for k, h in enumerate(heads):
        pen.put(edges[k] + 4, _base(st, y), h)
    y += st.pitch
    pen.rule(edges[0], y, edges[-1], y, frame=True)
    entries = []

    def one(row):
        extra = ((heads[1], row[1]),)
        return Entry(row[0], stride=stride_of(row[0]), output_size=row[2], extra=extra)

    for count, group in units:
        for r, row in enumerate(group):
            for k, t in enumerate(row):
                shift = indent if (count and k == 0) else 0
                pen.put(edges[k] + 4 + shift, _base(st, y, r), t)
        if count:
            mid = y + len(group) * st.pitch / 2
            pen.put(edges[0] + 3, mid + 0.35 * st.size, f"{count}×")
            texts = tuple(r[0] for r in group)
            children = tuple(one(r) for r in group)
            text = f"{count}× [" + "; ".join(texts) + "]"
            entries.append(Entry(text, repeat=count, stack=texts, children=children))
        else:
            entries.append(one(group[0]))
        y += len(group) * st.pitch
        pen.rule(edges[0], y, edges[-1], y)
    pen.rule(edges[0], y, edges[-1], y, frame=True)
    for e in edges:
        pen.rule(e, top, e, y)
    end = _caption(pen, x0, top, y, "Table 1. SynthNet Body Architecture")
    _paragraphs(pen, top - st.pitch, end, rng)
    return doc, (Config("SynthNet", tuple(entries)),)


def _stages_table(rng: random.Random, st: Style):
    n = rng.randint(1, 4)
    names = [f"{d}-layer" for d in sorted(rng.sample([10, 18, 26, 34, 50, 101], n))]
    stages: list = [("conv1", "112×112", [("span", "7×7, 64, stride 2")])]
    size, chans = 56, 64
    for s in range(2, 2 + rng.randint(2, 4)):
        parts: list = []
        if s == 2:
            parts.append(("span", "3×3 max pool, stride 2"))
        depth = rng.randint(1, 3)
        stacks = []
        for _ in names:
            lines = [f"{rng.choice([1, 3])}×{rng.choice([1, 3])}, {chans}" for _ in range(depth)]
            stacks.append((lines, rng.randint(1, 12)))
        parts.append(("stacks", stacks))
        stages.append((f"conv{s}_x", f"{size}×{size}", parts))
        size, chans = max(size // 2, 1), chans * 2
    stages.append((None, "1×1", [("span", "average pool, 1000-d fc, softmax")]))
    doc = fitz.open()
    pen = _Pen(doc.new_page(), st)
    mark_w = pen.w("×12") + 4
    stack_w = max(
        pen.w(t)
        for _, _, parts in stages
        for k, p in parts
        if k == "stacks"
        for ls, _ in p
        for t in ls
    )
    col_w = max(stack_w + 2 * mark_w, max(pen.w(nm) for nm in names)) + 2 * PAD
    span_w = max(pen.w(p) for _, _, parts in stages for k, p in parts if k == "span")
    col_w = max(col_w, (span_w + 2 * PAD) / n)
    x0 = 100.0
    lead_w = max(pen.w("layer name"), pen.w("output size"), pen.w("112×112")) + 2 * PAD
    lead = [x0, x0 + lead_w, x0 + 2 * lead_w]
    edges = lead + [lead[-1] + (i + 1) * col_w for i in range(n)]
    _fit_page(doc, pen, edges[-1])
    y = top = 150.0
    pen.rule(edges[0], y, edges[-1], y, frame=True)
    for k, h in enumerate(["layer name", "output size"] + names):
        pen.center(edges[k], edges[k + 1], _base(st, y), h)
    y += st.pitch
    for e in edges[1:-1]:
        pen.rule(e, top, e, y)
    pen.rule(edges[0], y, edges[-1], y, frame=True)
    gap = 0.0 if st.grid else 0.6 * st.pitch
    per: list[list[Entry]] = [[] for _ in names]
    for label, out, parts in stages:
        y += gap
        s_top = y
        for kind, p in parts:
            if kind == "span":
                pen.center(edges[2], edges[-1], _base(st, y), p)
                for k in range(n):
                    per[k].append(Entry(p, stride=stride_of(p), output_size=out, row_label=label))
                y += st.pitch
                if p != parts[-1][1]:
                    pen.rule(edges[2], y, edges[-1], y)
                continue
            depth = len(p[0][0])
            for k, (lines, count) in enumerate(p):
                for r, t in enumerate(lines):
                    pen.center(edges[2 + k], edges[3 + k] - mark_w, _base(st, y, r), t)
                mid = y + depth * st.pitch / 2 + 0.35 * st.size
                pen.put(edges[3 + k] - mark_w, mid, f"×{count}")
                text = "[" + "; ".join(lines) + f"] ×{count}"
                per[k].append(
                    Entry(text, repeat=count, stack=tuple(lines), output_size=out, row_label=label)
                )
            for e in edges[3:-1]:
                pen.rule(e, y, e, y + depth * st.pitch)
            y += depth * st.pitch
        mid = (s_top + y) / 2 + 0.35 * st.size
        if label:
            pen.center(edges[0], edges[1], mid, label)
        pen.center(edges[1], edges[2], mid, out)
        for e in edges[:3] + [edges[-1]]:
            pen.rule(e, s_top, e, y)
        pen.rule(edges[0], y, edges[-1], y)
    pen.rule(edges[0], y, edges[-1], y, frame=True)
    end = _caption(pen, x0, top, y, "Table 1. Architectures for ImageNet.")
    _paragraphs(pen, top - st.pitch, end, rng)
    configs = tuple(Config(nm, tuple(per[k])) for k, nm in enumerate(names))
    return doc, configs


_MAKERS = {"columns": _columns_table, "rows": _rows_table, "stages": _stages_table}


def make_table(seed: int, orientation: str, rules: str | bool = "grid", vary: bool = True):
    """A random table of `orientation` ("columns", "rows", "stages").

    `rules`: "grid" (every cell ruled), "booktabs" (top, header and bottom rules only) or
    "none" (True/False mean "grid"/"none").  With `vary`, the seed also picks the font
    (Helvetica, Times, Courier), the size (7-10 pt), the caption side and "3x3" vs "3×3".
    """
    if isinstance(rules, bool):
        rules = "grid" if rules else "none"
    rng = random.Random(seed)
    style = Style(rules=rules)
    if vary:
        style = Style(
            font=rng.choice(FONTS),
            size=rng.choice([7.0, 8.0, 9.0, 10.0]),
            rules=rules,
            caption_below=rng.random() < 0.5,
            ascii_x=rng.random() < 0.3,
        )
    doc, configs = _MAKERS[orientation](rng, style)
    return SynthTable(doc.tobytes(), orientation, rules, style, configs)
