"""Orientation and structure of an architecture table, from its cell grid.

Why content and not position: the same grid shape means different things.
Each column is profiled over the body (below the header):

* a *layer column* holds layer phrases ("conv3-64", "3×3, 64", "max pool");
* a *label column* holds distinct stage identifiers ("conv1", "conv2_x").

Then: a label column left of the layer columns -> "stages" (rows are stages,
each config column holds a stack per stage); several layer columns and no
label column -> "columns" (one configuration per column, VGG style); a single
layer column -> "rows" (one layer per row, the other columns are attributes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from papercc.compiler.tables.grid import Grid, Marker
from papercc.compiler.tables.model import Config, Entry
from papercc.compiler.tables.text import (
    INPUT_RE,
    clean,
    is_label,
    is_layer_phrase,
    stride_of,
)

_OUTPUT_RE = re.compile(r"\boutput\b", re.IGNORECASE)
_STRIDE_RE = re.compile(r"\bstride\b", re.IGNORECASE)
_NAME_STOP = {
    "the",
    "our",
    "a",
    "an",
    "table",
    "architecture",
    "architectures",
    "network",
    "networks",
    "model",
    "models",
    "configuration",
    "configurations",
    "details",
    "summary",
    "body",
    "layers",
    "layer",
    "overall",
    "structure",
    "for",
    "of",
}


class NotArchitectureTable(ValueError):
    """The grid has no column of layer phrases: it cannot be read as an architecture."""


@dataclass(frozen=True)
class Layout:
    """How the grid is organised: orientation, header split and column roles."""

    orientation: str
    body_start: int
    layer_cols: tuple[int, ...]
    label_col: int | None


def body_start(grid: Grid) -> int:
    """First line of the body: it holds a layer phrase with numbers, or several phrases."""
    for li in range(len(grid.lines)):
        cells = grid.cells_in(li)
        phrases = [c for c in cells if is_layer_phrase(c.text)]
        digits = [c for c in cells if not c.text.startswith("#") and re.search(r"\d", c.text)]
        if len(phrases) >= 2 or (phrases and digits):
            return li
        if len(cells) == 1 and INPUT_RE.match(cells[0].text) and re.search(r"\d", cells[0].text):
            return li
    return len(grid.lines)


def detect_layout(grid: Grid) -> Layout:
    """Profile the body columns and decide the orientation (see module doc)."""
    start = body_start(grid)
    ncols = len(grid.cols)
    layer_cols, label_like = [], []
    for j in range(ncols):
        texts = [c.text for c in grid.cells if c.line >= start and c.col0 == j and c.col1 == j]
        n = len(texts)
        n_layer = sum(is_layer_phrase(t) for t in texts)
        n_label = sum(is_label(t) for t in texts)
        if n >= 2 and n_layer >= 0.5 * n:
            layer_cols.append(j)
        if n >= 2 and n_label >= 0.5 * n and len(set(texts)) == n:
            label_like.append(j)
    if not layer_cols:
        raise NotArchitectureTable("no column of layer phrases")
    label = next((j for j in label_like if j < layer_cols[0]), None)
    if label is not None:
        orientation = "stages"
    elif len(layer_cols) >= 2:
        orientation = "columns"
    else:
        orientation = "rows"
    return Layout(orientation, start, tuple(layer_cols), label)


def column_headers(grid: Grid, start: int, col: int) -> tuple[str, ...]:
    """Header texts above `col`, one per header block (wrapped lines joined)."""
    out = []
    for block in grid.blocks(col, range(0, start)):
        parts = []
        for li in block:
            c = grid.cell_at(li, col)
            if c is not None:
                parts.append(c.text)
        if parts:
            out.append(clean(" ".join(parts)))
    return tuple(out)


def _config_names(grid: Grid, start: int, cols: list[int]) -> dict[int, str]:
    """Names of configuration columns: from the first header line that gives each of
    them its own, distinct cell ("A", "A-LRN", ... rather than "11 weight layers")."""
    own = {
        li: {j: c.text for j in cols if (c := grid.cell_at(li, j)) is not None and not c.spanning}
        for li in range(start)
    }
    for li in range(start):
        texts = list(own[li].values())
        if len(texts) >= min(2, len(cols)) and len(set(texts)) == len(texts):
            return {j: own[li].get(j, "") for j in cols}
    return {j: next((own[li][j] for li in range(start) if j in own[li]), "") for j in cols}


def _full_header(grid: Grid, start: int, col: int) -> str:
    own = []
    for block in grid.blocks(col, range(0, start)):
        parts = [
            c.text for li in block if (c := grid.cell_at(li, col)) is not None and not c.spanning
        ]
        own.extend(parts)
    return clean(" ".join(own))


def caption_model_name(caption: str) -> str:
    """A model name in the caption ("MobileNet", "GoogLeNet"), else "model"."""
    words = re.findall(r"[A-Za-z][\w\-]*", caption)
    words = words[1:] if words and words[0].lower().startswith("tab") else words
    for w in words:
        inner_caps = any(ch.isupper() for ch in w[1:])
        if inner_caps and w.lower() not in _NAME_STOP:
            return w
    for w in words:
        if w[0].isupper() and w.lower() not in _NAME_STOP:
            return w
    return "model"


def _marker_column(grid: Grid, m: Marker) -> int | None:
    """The column a repeat marker belongs to: that of the nearest cell on its side
    ("×N" follows its stack, "N×" precedes it), among lines level with the marker."""
    cy = (m.bbox[1] + m.bbox[3]) / 2
    reach = 0.5 * _pitch(grid)
    best = None
    for li, (y0, y1) in enumerate(grid.lines):
        if not (y0 - reach <= cy <= y1 + reach):
            continue
        for c in grid.cells_in(li):
            if c.spanning:
                continue  # a repeat count belongs to a stack of one column
            if m.side == "post" and c.bbox[2] <= m.bbox[0] + 1:
                d, col = m.bbox[0] - c.bbox[2], c.col1
            elif m.side == "pre" and c.bbox[0] >= m.bbox[2] - 1:
                d, col = c.bbox[0] - m.bbox[2], c.col0
            else:
                continue
            if best is None or d < best[0]:
                best = (d, col)
    return best[1] if best else None


def _markers_near(grid: Grid, col: int, y0: float, y1: float) -> list[Marker]:
    """Repeat markers of column `col` level with the lines y0..y1."""
    out = []
    for m in grid.markers:
        cy = (m.bbox[1] + m.bbox[3]) / 2
        if y0 - 1 <= cy <= y1 + 1 and _marker_column(grid, m) == col:
            out.append(m)
    return out


def _stack_entry(texts: list[str], marker: Marker | None, **kw) -> Entry:
    if len(texts) == 1 and marker is None:
        return Entry(texts[0], **kw)
    body = "[" + "; ".join(texts) + "]"
    repeat = marker.count if marker else 1
    if marker is None:
        text = body
    elif marker.side == "pre":
        text = f"{repeat}× {body}"
    else:
        text = f"{body} ×{repeat}"
    return Entry(text, repeat=repeat, stack=tuple(texts), **kw)


def _span_runs(grid: Grid, col: int, lines: list[int]) -> list[list[int]]:
    """Split consecutive lines where a spanning cell starts or stops."""
    runs: list[list[int]] = []
    last = None
    for li in lines:
        c = grid.cell_at(li, col)
        if c is None:
            continue
        key = (c.col0, c.col1) if c.spanning else None
        if runs and key == last and key is None:
            runs[-1].append(li)
        else:
            runs.append([li])
        last = key
    return runs


def _lines_box(grid: Grid, lines: list[int]) -> tuple[float, float]:
    return min(grid.lines[li][0] for li in lines), max(grid.lines[li][1] for li in lines)


def _run_at(grid: Grid, lines: list[int], marker: Marker) -> list[int]:
    """The run of consecutive line indices in `lines` that is vertically nearest `marker`."""
    runs: list[list[int]] = []
    for li in lines:
        if runs and li == runs[-1][-1] + 1:
            runs[-1].append(li)
        else:
            runs.append([li])
    if not runs:
        return []
    cy = (marker.bbox[1] + marker.bbox[3]) / 2

    def dist(run: list[int]) -> float:
        y0, y1 = _lines_box(grid, run)
        return 0.0 if y0 <= cy <= y1 else min(abs(cy - y0), abs(cy - y1))

    return min(runs, key=dist)


def _centered(grid: Grid, lines: list[int], marker: Marker, largest: bool = True) -> list[int]:
    """The lines a repeat marker stands beside: a consecutive run centred on it (the
    largest one inside a block delimited otherwise, the smallest one when unbounded)."""
    cy = (marker.bbox[1] + marker.bbox[3]) / 2
    tol = 0.3 * _pitch(grid)
    centers = {li: sum(grid.lines[li]) / 2 for li in lines}
    best: list[int] = []
    for i in range(len(lines)):
        for j in range(i, len(lines)):
            grp = lines[i : j + 1]
            mean = sum(centers[li] for li in grp) / len(grp)
            if abs(mean - cy) <= tol and (
                not best
                or (largest and len(grp) > len(best))
                or (not largest and len(grp) < len(best))
            ):
                best = grp
    if not best and lines:
        best = [min(lines, key=lambda li: abs(centers[li] - cy))]
    return best


def _entries_of_column(grid: Grid, col: int, lines: list[int], group_blocks: bool, **kw):
    """Entries of one config column over `lines`: single cells, or stacks beside a marker."""
    out: list[Entry] = []
    inputs: list[str] = []

    def singles(idx: list[int]) -> None:
        for li in idx:
            t = grid.cell_at(li, col).text
            if INPUT_RE.match(t):
                inputs.append(t)
            else:
                out.append(Entry(t, stride=stride_of(t), **kw))

    for block in grid.blocks(col, range(lines[0], lines[-1] + 1)) if lines else []:
        for run in _span_runs(grid, col, block):
            filled = [li for li in run if grid.cell_at(li, col) is not None]
            y0, y1 = _lines_box(grid, run)
            spanning = grid.cell_at(run[0], col).spanning
            markers = [] if spanning else _markers_near(grid, col, y0, y1)
            if not markers:
                if group_blocks and len(filled) > 1:
                    texts = [grid.cell_at(li, col).text for li in filled]
                    out.append(_stack_entry(texts, None, **kw))
                else:
                    singles(filled)
                continue
            pending = filled
            for m in sorted(markers, key=lambda m: m.bbox[1]):
                grp = _centered(grid, pending, m)
                if not grp:
                    continue
                singles([li for li in pending if li < grp[0]])
                texts = [grid.cell_at(li, col).text for li in grp]
                out.append(_stack_entry(texts, m, **kw))
                pending = [li for li in pending if li > grp[-1]]
            singles(pending)
    return out, inputs


def widen_lone_cells(grid: Grid, cols: list[int], start: int) -> Grid:
    """Without rules, a phrase alone on its line and centred over an odd number of
    configuration columns sits inside the middle one; read it as spanning them all
    (a shared "maxpool" is far likelier than a layer of the middle column only)."""
    if grid.vrules or len(cols) < 3 or len(cols) % 2 == 0:
        return grid  # drawn vertical rules already settled every cell's extent
    if cols != list(range(cols[0], cols[-1] + 1)):
        return grid
    mid = cols[len(cols) // 2]
    left, right = grid.cols[cols[0]][0], grid.cols[cols[-1]][1]
    width = grid.cols[mid][1] - grid.cols[mid][0]
    cells = list(grid.cells)
    for i, c in enumerate(cells):
        if c.line < start or c.spanning or c.col0 != mid or len(grid.cells_in(c.line)) != 1:
            continue
        if abs((c.bbox[0] + c.bbox[2]) / 2 - (left + right) / 2) <= 0.15 * width:
            cells[i] = replace(c, col0=cols[0], col1=cols[-1])
    by_line = tuple(tuple(c for c in cells if c.line == li) for li in range(len(grid.lines)))
    return replace(grid, cells=tuple(cells), by_line=by_line)


def read_columns(grid: Grid, lay: Layout) -> tuple[Config, ...]:
    """One configuration per layer column; spanning rows belong to every column they span."""
    body = list(range(lay.body_start, len(grid.lines)))
    grid = widen_lone_cells(grid, list(lay.layer_cols), lay.body_start)
    configs = []
    names = _config_names(grid, lay.body_start, list(lay.layer_cols))
    for j in lay.layer_cols:
        entries, inputs = _entries_of_column(grid, j, body, group_blocks=False)
        name = names[j] or f"config{len(configs) + 1}"
        configs.append(
            Config(
                name,
                tuple(entries),
                column_headers(grid, lay.body_start, j),
                inputs[0] if inputs else None,
            )
        )
    return tuple(configs)


def _row_units(grid: Grid, col: int, body: list[int]) -> list[list[int]]:
    """Rows of a one-layer-per-row table: a ruled band, or a line, or a marker's lines."""
    units: list[list[int]] = []
    x0, x1 = grid.cols[col]
    for block in grid.blocks(col, range(body[0], body[-1] + 1)) if body else []:
        layer_lines = [li for li in block if grid.cell_at(li, col) is not None]
        if not layer_lines:
            if units:
                units[-1].extend(block)
            continue
        y0, y1 = _lines_box(grid, block)
        near = [m for m in grid.markers if y0 - 1 <= (m.bbox[1] + m.bbox[3]) / 2 <= y1 + 1]
        near = [m for m in near if m.bbox[0] <= x1 + 0.5 * (x1 - x0)]
        if near and grid.ruled_rows and len(block) > 1:
            units.append(block)
            continue
        used: set[int] = set()
        for m in near:
            free = [li for li in layer_lines if li not in used]
            if m.side == "pre":
                # "5×" sits in the indent of the rows it repeats: only indented rows qualify.
                free = [li for li in free if grid.cell_at(li, col).bbox[0] >= m.bbox[2] - 1]
                grp = _centered(grid, _run_at(grid, free, m), m)
            else:
                grp = _centered(grid, free, m, largest=False)
            if grp:
                used.update(grp)
                units.append(grp)
        for li in block:
            if li in used:
                continue
            if grid.cell_at(li, col) is None and units:
                units[-1].append(li)
            else:
                units.append([li])
    units.sort(key=lambda u: u[0])
    return units


def _pitch(grid: Grid) -> float:
    centers = sorted(sum(ext) / 2 for ext in grid.lines)
    diffs = sorted(b - a for a, b in zip(centers, centers[1:], strict=False))
    return diffs[len(diffs) // 2] if diffs else 10.0


def _attributes(grid: Grid, lay: Layout, lines: list[int], skip: set[int]):
    """Named values of the non-layer columns over `lines`: (extra, output_size, stride)."""
    extra: list[tuple[str, str]] = []
    output = None
    stride = None
    for k in range(len(grid.cols)):
        if k in skip:
            continue
        parts = []
        for li in lines:
            c = grid.cell_at(li, k)
            if c is not None and not c.spanning:
                parts.append(c.text)
        if not parts:
            continue
        value = clean(" ".join(parts))
        head = _full_header(grid, lay.body_start, k) or f"col{k + 1}"
        if _OUTPUT_RE.search(head) and output is None:
            output = value
            continue
        if _STRIDE_RE.search(head) and stride is None:
            stride = stride_of(value, stride_column=True)
        extra.append((head, value))
    return tuple(extra), output, stride


def read_rows(grid: Grid, lay: Layout, caption: str) -> tuple[Config, ...]:
    """One layer per row; other columns become named attributes of the entry."""
    col = lay.layer_cols[0]
    body = list(range(lay.body_start, len(grid.lines)))
    head = _full_header(grid, lay.body_start, col)
    stride_in_type = bool(_STRIDE_RE.search(head))
    x0, x1 = grid.cols[col]
    entries = []
    for unit in _row_units(grid, col, body):
        layer_lines = [li for li in unit if grid.cell_at(li, col) is not None]
        texts = [grid.cell_at(li, col).text for li in layer_lines]
        y0, y1 = _lines_box(grid, unit)
        markers = [m for m in grid.markers if y0 - 1 <= (m.bbox[1] + m.bbox[3]) / 2 <= y1 + 1]
        markers = [m for m in markers if m.bbox[0] <= x1 + 0.5 * (x1 - x0)]
        if markers and len(layer_lines) >= 1:
            children = []
            for li in layer_lines:
                extra, output, stride = _attributes(grid, lay, [li], {col})
                t = grid.cell_at(li, col).text
                s = stride_of(t) if stride_in_type or stride is None else stride
                children.append(Entry(t, stride=s, output_size=output, extra=extra))
            parent = _stack_entry(texts, markers[0])
            entries.append(
                Entry(
                    parent.text,
                    repeat=parent.repeat,
                    stack=parent.stack or (texts[0],),
                    children=tuple(children),
                )
            )
            continue
        extra, output, stride = _attributes(grid, lay, unit, {col})
        text = clean(" ".join(texts))
        s = stride_of(text) if stride_in_type or stride is None else stride
        entries.append(Entry(text, stride=s, output_size=output, extra=extra))
    inputs = tuple(e.text for e in entries if INPUT_RE.match(e.text))
    entries = [e for e in entries if not INPUT_RE.match(e.text)]
    name = caption_model_name(caption)
    return (
        Config(
            name,
            tuple(entries),
            column_headers(grid, lay.body_start, col),
            inputs[0] if inputs else None,
        ),
    )


def _split_by_anchors(grid: Grid, block: list[int], config_cols: list[int]) -> list[list[int]]:
    """Split a block holding several stage keys (label or output-size cells, which sit at
    the vertical middle of their stage) into stages centred on their keys."""
    anchors = [
        li
        for li in block
        if any(not any(c.col0 <= j <= c.col1 for j in config_cols) for c in grid.cells_in(li))
    ]
    if len(anchors) < 2:
        return [block]
    # Greedy from the top: each stage ends where its span is best centred on its key.
    parts: list[list[int]] = []
    pos = 0
    for k, a in enumerate(anchors):
        if k == len(anchors) - 1:
            parts.append(block[pos:])
            break
        ia, inext = block.index(a), block.index(anchors[k + 1])
        want = sum(grid.lines[a]) / 2

        def off(e: int, start: int = pos, want: float = want) -> float:
            return abs((grid.lines[block[start]][0] + grid.lines[block[e]][1]) / 2 - want)

        end = min(range(ia, inext), key=off)
        parts.append(block[pos : end + 1])
        pos = end + 1
    return [p for p in parts if p]


def read_stages(grid: Grid, lay: Layout, caption: str) -> tuple[Config, ...]:
    """Rows are stages (labelled), each config column holds the stage's layers."""
    label = lay.label_col
    assert label is not None
    body = list(range(lay.body_start, len(grid.lines)))
    config_cols = [j for j in lay.layer_cols if j != label]
    grid = widen_lone_cells(grid, config_cols, lay.body_start)
    blocks = grid.blocks(label, range(body[0], body[-1] + 1)) if body else []
    stages = [part for block in blocks for part in _split_by_anchors(grid, block, config_cols)]
    per_config: dict[int, list[Entry]] = {j: [] for j in config_cols}
    per_extra: dict[int, list[tuple[str, str]]] = {j: [] for j in config_cols}
    inputs: dict[int, list[str]] = {j: [] for j in config_cols}
    skip = set(config_cols) | {label}
    for stage in stages:
        # A label cell may span the label and attribute columns, never a config column.
        labels = [
            c.text
            for li in stage
            if (c := grid.cell_at(li, label)) is not None
            and not any(c.col0 <= j <= c.col1 for j in config_cols)
        ]
        row_label = clean(" ".join(labels)) or None
        extra, output, _ = _attributes(grid, lay, stage, skip)
        cells = [grid.cell_at(li, j) for li in stage for j in config_cols]
        texts = [c.text for c in cells if c is not None]
        layerish = any(is_layer_phrase(t) or INPUT_RE.match(t) for t in texts)
        if not layerish:
            for j in config_cols:
                vals = [c.text for li in stage if (c := grid.cell_at(li, j)) is not None]
                if vals and row_label:
                    per_extra[j].append((row_label, clean(" ".join(vals))))
            continue
        for j in config_cols:
            found, inp = _entries_of_column(
                grid,
                j,
                stage,
                group_blocks=True,
                output_size=output,
                row_label=row_label,
                extra=extra,
            )
            per_config[j].extend(found)
            inputs[j].extend(inp)
    configs = []
    names = _config_names(grid, lay.body_start, config_cols)
    for j in config_cols:
        name = names[j] or caption_model_name(caption)
        configs.append(
            Config(
                name,
                tuple(per_config[j]),
                column_headers(grid, lay.body_start, j),
                inputs[j][0] if inputs[j] else None,
                tuple(per_extra[j]),
            )
        )
    return tuple(configs)


def read_configs(grid: Grid, caption: str) -> tuple[str, tuple[Config, ...]]:
    """Orientation and configurations of an architecture table grid."""
    lay = detect_layout(grid)
    if lay.orientation == "columns":
        return lay.orientation, read_columns(grid, lay)
    if lay.orientation == "stages":
        return lay.orientation, read_stages(grid, lay, caption)
    return lay.orientation, read_rows(grid, lay, caption)
