"""Synthetic architecture tables rendered into a PDF page, with the expected parse.

For tests and benches of `papercc.compiler.arch_tables`: random layer phrases and
repeat counts, laid out in the three orientations ("columns": one configuration
per column with shared spanning rows; "rows": one layer per row with attribute
columns and "N×" grouped rows; "stages": labelled stages, per-configuration
bracket-free stacks with "×N" counts), drawn with `page.insert_text` and, when
`ruled`, `page.draw_line`.  Paragraph text above and below makes the region
finder work for its answer.

Known ambiguity kept out on purpose: without rules, a lone phrase centred over an
odd number of columns reads the same as a layer of the middle column alone, so
rule-less "columns" tables use an even number of configurations.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pymupdf as fitz
from papercc.compiler.table_model import Config, Entry
from papercc.compiler.table_text import stride_of

FONT = "helv"
SIZE = 8.0
PITCH = 11.0
PAD = 8.0


@dataclass(frozen=True)
class SynthTable:
    """A rendered page and what the reader should give back."""

    pdf: bytes
    orientation: str
    ruled: bool
    configs: tuple[Config, ...]


def _w(text: str) -> float:
    return fitz.get_text_length(text, fontname=FONT, fontsize=SIZE)


def _put(page: fitz.Page, x: float, base: float, text: str) -> None:
    page.insert_text((x, base), text, fontname=FONT, fontsize=SIZE)


def _center(page: fitz.Page, x0: float, x1: float, base: float, text: str) -> None:
    _put(page, (x0 + x1) / 2 - _w(text) / 2, base, text)


def _line(page: fitz.Page, ruled: bool, x0: float, y0: float, x1: float, y1: float) -> None:
    if ruled:
        page.draw_line((x0, y0), (x1, y1), width=0.5)


def _paragraphs(page: fitz.Page, top: float, bottom: float, rng: random.Random) -> None:
    words = "the network is trained with stochastic gradient descent on large images".split()
    for base in (top - 40, top - 29):
        _put(page, 72, base, " ".join(rng.choice(words) for _ in range(14)))
    for base in (bottom + 30, bottom + 41):
        _put(page, 72, base, " ".join(rng.choice(words) for _ in range(14)))


def _columns_table(rng: random.Random, ruled: bool) -> tuple[fitz.Document, tuple[Config, ...]]:
    names = ["A", "B", "C", "D", "E", "F"]
    n = rng.choice([2, 3, 4, 5] if ruled else [2, 4, 6])
    names = names[:n]
    if rng.random() < 0.5:
        names[1] = names[1] + "-LRN"
    blocks: list = []
    chans = 64
    for _ in range(rng.randint(2, 4)):
        k = rng.choice([1, 3, 3, 5])
        blocks.append([[f"conv{k}-{chans}"] * rng.randint(1, 4) for _ in names])
        blocks.append("maxpool")
        chans = min(chans * 2, 512)
    for _ in range(rng.randint(1, 2)):
        blocks.append(f"FC-{rng.choice([1024, 2048, 4096])}")
    blocks.append(rng.choice(["soft-max", "softmax"]))
    has_input = rng.random() < 0.5
    col_w = max(_w(t) for b in blocks if not isinstance(b, str) for c in b for t in c) + 2 * PAD
    x0 = 120.0
    edges = [x0 + i * col_w for i in range(n + 1)]
    doc = fitz.open()
    page = doc.new_page()
    y = 150.0
    top = y
    caption = "Table 1: Network configurations (shown in columns)."
    _put(page, x0, y - 6, caption)
    _line(page, ruled, edges[0], y, edges[-1], y)
    base = y + PITCH - 2.5
    for i, name in enumerate(names):
        _center(page, edges[i], edges[i + 1], base, name)
    y += PITCH
    for e in edges:
        _line(page, ruled, e, top, e, y)
    _line(page, ruled, edges[0], y, edges[-1], y)
    rows: list = ([("span", "input (224 × 224 RGB image)")] if has_input else []) + blocks
    for block in rows:
        text = block[1] if isinstance(block, tuple) else block
        if isinstance(text, str):
            _center(page, edges[0], edges[-1], y + PITCH - 2.5, text)
            y += PITCH
            _line(page, ruled, edges[0], y, edges[-1], y)
            continue
        depth = max(len(c) for c in block)
        for i, col in enumerate(block):
            for r, t in enumerate(col):
                _center(page, edges[i], edges[i + 1], y + (r + 1) * PITCH - 2.5, t)
        for e in edges:
            _line(page, ruled, e, y, e, y + depth * PITCH)
        y += depth * PITCH
        _line(page, ruled, edges[0], y, edges[-1], y)
    _line(page, ruled, edges[0], top, edges[0], y)
    _line(page, ruled, edges[-1], top, edges[-1], y)
    _paragraphs(page, top - 10, y, rng)
    configs = []
    for i, name in enumerate(names):
        entries = []
        for b in blocks:
            if isinstance(b, str):
                entries.append(Entry(b, stride=stride_of(b)))
            else:
                entries.extend(Entry(t) for t in b[i])
        configs.append(
            Config(name, tuple(entries), input="input (224 × 224 RGB image)" if has_input else None)
        )
    return doc, tuple(configs)


def _rows_table(rng: random.Random, ruled: bool) -> tuple[fitz.Document, tuple[Config, ...]]:
    heads = ["Type / Stride", "Filter Shape", "Output Size"]
    size, chans = 224, 32
    units: list = []
    for _ in range(rng.randint(4, 9)):
        s = rng.choice([1, 1, 2])
        size = size // s
        kind = rng.random()
        if kind < 0.25:
            group = []
            for t in ("Conv dw", "Conv"):
                group.append((f"{t} / s1", f"3 × 3 × {chans}", f"{size} × {size} × {chans}"))
            units.append((rng.randint(2, 6), group))
            continue
        t = rng.choice(["Conv", "Conv dw", "Max Pool"])
        chans = min(chans * s, 1024)
        units.append((None, [(f"{t} / s{s}", f"3 × 3 × {chans}", f"{size} × {size} × {chans}")]))
    units.append((None, [("FC / s1", f"{chans} × 1000", "1 × 1 × 1000")]))
    units.append((None, [("Softmax / s1", "Classifier", "1 × 1 × 1000")]))
    widths = [
        max([_w(heads[k])] + [_w(r[k]) for _, g in units for r in g]) + 2 * PAD for k in range(3)
    ]
    widths[0] += 14
    x0 = 150.0
    edges = [x0, x0 + widths[0], x0 + widths[0] + widths[1], x0 + sum(widths)]
    doc = fitz.open()
    page = doc.new_page()
    y = 150.0
    top = y
    _put(page, x0, y - 6, "Table 1. SynthNet Body Architecture")
    _line(page, ruled, edges[0], y, edges[-1], y)
    for k, h in enumerate(heads):
        _put(page, edges[k] + 4, y + PITCH - 2.5, h)
    y += PITCH
    _line(page, ruled, edges[0], y, edges[-1], y)
    entries = []
    for count, group in units:
        for r, row in enumerate(group):
            base = y + (r + 1) * PITCH - 2.5
            indent = 14 if count else 0
            for k, t in enumerate(row):
                _put(page, edges[k] + 4 + (indent if k == 0 else 0), base, t)
        if count:
            mid = y + len(group) * PITCH / 2
            _put(page, edges[0] + 3, mid + 3, f"{count}×")
        y += len(group) * PITCH
        _line(page, ruled, edges[0], y, edges[-1], y)

        def one(row):
            return Entry(
                row[0], stride=stride_of(row[0]), output_size=row[2], extra=((heads[1], row[1]),)
            )

        if count:
            texts = tuple(r[0] for r in group)
            entries.append(
                Entry(
                    f"{count}× [" + "; ".join(texts) + "]",
                    repeat=count,
                    stack=texts,
                    children=tuple(one(r) for r in group),
                )
            )
        else:
            entries.append(one(group[0]))
    for e in edges:
        _line(page, ruled, e, top, e, y)
    _paragraphs(page, top - 10, y, rng)
    return doc, (Config("SynthNet", tuple(entries)),)


def _stages_table(rng: random.Random, ruled: bool) -> tuple[fitz.Document, tuple[Config, ...]]:
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
    stack_w = max(
        _w(t)
        for _, _, parts in stages
        for k, p in parts
        if k == "stacks"
        for ls, _ in p
        for t in ls
    )
    col_w = max(stack_w + 22, max(_w(nm) for nm in names)) + 2 * PAD
    span_w = max(_w(p) for _, _, parts in stages for k, p in parts if k == "span")
    col_w = max(col_w, (span_w + 2 * PAD) / n)
    x0 = 100.0
    lead = [x0, x0 + 50, x0 + 100]
    edges = lead + [lead[-1] + (i + 1) * col_w for i in range(n)]
    doc = fitz.open()
    page = doc.new_page()
    y = 150.0
    top = y
    _put(page, x0, y - 6, "Table 1. Architectures for ImageNet.")
    _line(page, ruled, edges[0], y, edges[-1], y)
    for k, h in enumerate(["layer name", "output size"] + names):
        _center(page, edges[k], edges[k + 1], y + PITCH - 2.5, h)
    y += PITCH
    for e in edges:
        _line(page, ruled, e, top, e, y)
    _line(page, ruled, edges[0], y, edges[-1], y)
    gap = 0.0 if ruled else 6.0
    per: list[list[Entry]] = [[] for _ in names]
    for label, out, parts in stages:
        y += gap
        s_top = y
        for kind, p in parts:
            if kind == "span":
                _center(page, edges[2], edges[-1], y + PITCH - 2.5, p)
                for k in range(n):
                    per[k].append(Entry(p, stride=stride_of(p), output_size=out, row_label=label))
                y += PITCH
                if kind == "span" and p != parts[-1][1]:
                    _line(page, ruled, edges[2], y, edges[-1], y)
                continue
            depth = len(p[0][0])
            for k, (lines, count) in enumerate(p):
                for r, t in enumerate(lines):
                    _center(page, edges[2 + k], edges[3 + k] - 18, y + (r + 1) * PITCH - 2.5, t)
                _put(page, edges[3 + k] - 20, y + depth * PITCH / 2 + 3, f"×{count}")
                per[k].append(
                    Entry(
                        "[" + "; ".join(lines) + f"] ×{count}",
                        repeat=count,
                        stack=tuple(lines),
                        output_size=out,
                        row_label=label,
                    )
                )
            for e in edges[3:-1]:
                _line(page, ruled, e, y, e, y + depth * PITCH)
            y += depth * PITCH
        mid = (s_top + y) / 2 + 3
        if label:
            _center(page, edges[0], edges[1], mid, label)
        _center(page, edges[1], edges[2], mid, out)
        for e in edges[:3] + [edges[-1]]:
            _line(page, ruled, e, s_top, e, y)
        _line(page, ruled, edges[0], y, edges[-1], y)
    _paragraphs(page, top - 10, y, rng)
    configs = tuple(Config(nm, tuple(per[k])) for k, nm in enumerate(names))
    return doc, configs


_MAKERS = {"columns": _columns_table, "rows": _rows_table, "stages": _stages_table}


def make_table(seed: int, orientation: str, ruled: bool) -> SynthTable:
    """A random table of `orientation` ("columns", "rows", "stages"), with or without rules."""
    rng = random.Random(seed)
    doc, configs = _MAKERS[orientation](rng, ruled)
    return SynthTable(doc.tobytes(), orientation, ruled, configs)
