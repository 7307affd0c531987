"""Vector figure in a PDF page -> `Diagram` (boxes, labels and directed edges).

Why: most architecture figures in papers are vector drawings with real text,
so the graph can be read exactly from the drawing commands and the text layer,
without rasterising or OCR. Steps: classify drawings (vector_geometry), read
box text and free labels (vector_text), give arrowheads to their lines
(vector_arrows), connect nodes through the connector pieces (vector_graph),
name edges from a colour legend if there is one (vector_legend), then number
nodes in flow order. `find_figure_regions` (vector_regions) finds the clips.
Free text that is no node (size notes, notes on arrows, `×N` of group frames)
becomes `Diagram.notes` (vector_notes); text reads in any orientation.

Output conventions beyond `Diagram`'s own fields: a node with shape
"junction" (empty text) is a free point where several lines merge and flow
continues (e.g. the add of a ResNet shortcut); `source` gains "parser",
"bbox", "confidence" (0..1, coverage x mean edge confidence) and, when the
figure has a colour legend, "legend" and "edge_labels" ([src, dst, text]);
a box-colour legend's entries are listed in "legend" with "kind": "box" and
name the boxes filled with their colour (their text becomes the entry's).
"""

from __future__ import annotations

import bisect
import math
import statistics
from dataclasses import replace

import pymupdf

from papercc.compiler.diagram.flow import orient_by_content
from papercc.compiler.diagram.graph import Diagram, DiagramEdge, DiagramNode
from papercc.compiler.diagram.repeats import repeat_count
from papercc.compiler.vector.geometry import BBox, Box, read_primitives
from papercc.compiler.vector.graph import Tolerances, connect, direction_of
from papercc.compiler.vector.legend import (
    box_label,
    find_box_legend,
    find_legend,
    hex_color,
    label_for,
)
from papercc.compiler.vector.notes import is_note, read_notes
from papercc.compiler.vector.regions import find_figure_regions
from papercc.compiler.vector.text import (
    assign_words,
    group_labels,
    is_vertical_line,
    line_directions,
    needs_directions,
    read_rows,
    with_directions,
    words_of,
)

__all__ = ["VectorDiagramError", "extract_vector_diagram", "find_figure_regions"]

MAX_PRIMITIVES = 6000  # beyond this a region is no box diagram (plots, maps): bail out fast


class VectorDiagramError(ValueError):
    """The input is not a PyMuPDF page (or the clip is not a rectangle)."""


def _clip_box(page, clip) -> BBox | None:
    if clip is None:
        return None
    try:
        r = pymupdf.Rect(clip)
    except Exception as exc:  # noqa: BLE001 - any bad value is a usage error
        raise VectorDiagramError(f"clip is not a rectangle: {clip!r}") from exc
    if r.is_empty:
        raise VectorDiagramError(f"clip is empty: {clip!r}")
    return (r.x0, r.y0, r.x1, r.y1)


def _tolerances(boxes: list[BBox]) -> Tolerances:
    """Scale tolerances to the figure: half the typical box thickness, bounded."""
    if boxes:
        thin = statistics.median(min(b[2] - b[0], b[3] - b[1]) for b in boxes)
        mean = statistics.median(math.sqrt((b[2] - b[0]) * (b[3] - b[1])) for b in boxes)
    else:
        thin = mean = 10.0
    attach = max(1.5, min(5.0, 0.4 * mean))
    return Tolerances(attach=attach, junction=max(1.0, min(2.0, 0.2 * thin)))


def _drop_containers(boxes: list[Box]) -> list[Box]:
    """A box holding other boxes is a frame or group, not a node."""
    area = [(b.bbox[2] - b.bbox[0]) * (b.bbox[3] - b.bbox[1]) for b in boxes]
    centres = [((b.bbox[0] + b.bbox[2]) / 2, (b.bbox[1] + b.bbox[3]) / 2) for b in boxes]
    order = sorted(range(len(boxes)), key=lambda i: centres[i][0])
    xs = [centres[i][0] for i in order]
    out = []
    for i, b in enumerate(boxes):
        r = b.bbox
        inner = 0
        for j in order[bisect.bisect_left(xs, r[0]) : bisect.bisect_right(xs, r[2])]:
            cx, cy = centres[j]
            if j != i and area[j] < area[i] and r[0] < cx < r[2] and r[1] < cy < r[3]:
                inner += 1
                if inner >= 2:
                    break
        if inner < 2:
            out.append(b)
    return out


def _nested(b: Box, boxes: list[Box], slack: float = 0.5) -> bool:
    """b lies inside another box (an inner highlight or crop mark, if it has no text)."""
    r = b.bbox
    for o in boxes:
        q = o.bbox
        if o is not b and (q[2] - q[0]) * (q[3] - q[1]) > (r[2] - r[0]) * (r[3] - r[1]):
            if q[0] - slack <= r[0] and q[1] - slack <= r[1]:
                if r[2] <= q[2] + slack and r[3] <= q[3] + slack:
                    return True
    return False


def _repeat_frame(b: Box, words, boxes: list[Box]) -> bool:
    """A frame around one box whose only own text is a repeat mark (`×4`): a group."""
    if not words or repeat_count(read_rows(words)) is None:
        return False
    r = b.bbox
    return any(
        o is not b
        and r[0] < o.bbox[0]
        and r[1] < o.bbox[1]
        and o.bbox[2] < r[2]
        and o.bbox[3] < r[3]
        for o in boxes
    )


def _node_label(lb, vertical: set) -> bool:
    """A free label a line may end at: upright text, or sideways words that are no size
    note (a sideways "Input" before the first box; never `28x28x64` or dots)."""
    if lb.horizontal and not any(w.key in vertical for w in lb.words):
        return True
    return any(c.isalpha() for c in lb.text) and not is_note(lb.text)


def _order_key(bbox: BBox, direction: str):
    cx, cy = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    primary = {"down": cy, "up": -cy, "right": cx, "left": -cx}.get(direction, cy)
    secondary = cx if direction in ("down", "up", "?") else cy
    return (round(primary, 1), round(secondary, 1))


def extract_vector_diagram(page, clip=None, source: dict | None = None) -> Diagram:
    """Read the box diagram drawn in `clip` (default: the whole page)."""
    if not hasattr(page, "get_drawings") or not hasattr(page, "get_text"):
        raise VectorDiagramError(f"expected a PyMuPDF page, got {type(page).__name__}")
    cb = _clip_box(page, clip)
    prims = read_primitives(page.get_drawings(), cb)
    if len(prims.strokes) + len(prims.boxes) > MAX_PRIMITIVES:  # a dense plot or a map
        src = dict(source or {}, parser="vector", confidence=0.0, skipped="too many drawings")
        return Diagram(nodes=(), edges=(), source=src, direction="?")
    words = words_of(page.get_text("words"), cb)
    if needs_directions(words):  # some text is sideways or upside down: read its direction
        words = with_directions(words, line_directions(page.get_text("dict", clip=cb)))
    all_boxes = list(prims.boxes)
    boxes = _drop_containers(all_boxes)
    kept = {id(b) for b in boxes}
    frames = [b.bbox for b in all_boxes if id(b) not in kept]
    per_box, _ = assign_words(words, [b.bbox for b in boxes])
    repeat = {id(b) for b, ws in zip(boxes, per_box, strict=True) if _repeat_frame(b, ws, boxes)}
    frames += [b.bbox for b in boxes if id(b) in repeat]
    boxes = [
        b
        for b, ws in zip(boxes, per_box, strict=True)
        if id(b) not in repeat and (ws or not _nested(b, boxes))
    ]
    box_rects = [b.bbox for b in boxes]
    per_box, free = assign_words(words, box_rects)
    vertical = is_vertical_line(free)
    all_labels = group_labels(free)
    # rotated free text is a node only where a line ends at it, and only words (no size)
    labels = [lb for lb in all_labels if _node_label(lb, vertical)]
    label_rects = [lb.bbox for lb in labels]
    tol = _tolerances(box_rects)
    graph = connect(box_rects, label_rects, list(prims.strokes), list(prims.arrowheads), tol)

    used = {u for u, v, _ in graph.edges} | {v for u, v, _ in graph.edges}
    legend = find_legend(
        list(prims.strokes), list(prims.arrowheads), box_rects, free, 2 * tol.attach
    )
    box_legend, swatches = find_box_legend(boxes, [bool(ws) for ws in per_box], used, free)
    legend += box_legend
    cands = []  # (bbox, text, shape, old id)
    for i, b in enumerate(boxes):
        text = read_rows(per_box[i])
        if not text and i in graph.decorated and b.shape in ("circle", "ellipse"):
            text = "+"  # an operator drawn as a circle with a cross inside
        if not (text or i in used):
            continue  # an empty box no line touches: no layer, whatever its colour
        if legend and i not in swatches:
            text = box_label(b.fill, text, legend) or text
        cands.append((b.bbox, text, b.shape, i))
    for j, lb in enumerate(labels):
        if len(boxes) + j in used:
            cands.append((lb.bbox, lb.text, "text", len(boxes) + j))
    n_all = len(boxes) + len(labels)
    for k, (x, y) in enumerate(graph.merges):
        cands.append(((x - 1.0, y - 1.0, x + 1.0, y + 1.0), "", "junction", n_all + k))
    centres = {c[3]: ((c[0][0] + c[0][2]) / 2, (c[0][1] + c[0][3]) / 2) for c in cands}
    live = [(u, v, c) for u, v, c in graph.edges if u in centres and v in centres]
    direction = direction_of(live, centres, graph.direction)
    cands.sort(key=lambda c: _order_key(c[0], direction))
    new_id = {c[3]: k for k, c in enumerate(cands)}
    nodes = tuple(
        DiagramNode(id=k, text=c[1], bbox=tuple(round(v, 2) for v in c[0]), shape=c[2])
        for k, c in enumerate(cands)
    )
    edges = tuple(
        sorted(
            (
                DiagramEdge(new_id[u], new_id[v], confidence=c)
                for u, v, c in graph.edges
                if u in new_id and v in new_id
            ),
            key=lambda e: (e.src, e.dst),
        )
    )
    node_labels = {id(labels[j - len(boxes)]) for j in used if len(boxes) <= j < n_all}
    legend_words = {id(w) for e in legend for w in e.words}
    note_labels = [
        lb
        for lb in all_labels
        if id(lb) not in node_labels and not any(id(w) in legend_words for w in lb.words)
    ]
    notes = read_notes(
        note_labels,
        frames,
        [(e.src, e.dst) for e in edges],
        {n.id: n.bbox for n in nodes},
    )
    src = dict(source or {})
    if legend:
        src["legend"] = [
            (
                {"text": e.text, "color": hex_color(e.color)}
                if e.kind == "arrow"
                else {"text": e.text, "color": hex_color(e.color), "kind": "box"}
            )
            for e in legend
        ]
    if any(e.kind == "arrow" for e in legend):
        color_of = {
            (new_id[u], new_id[v]): c
            for (u, v, _), c in zip(graph.edges, graph.colors, strict=True)
            if u in new_id and v in new_id
        }
        src["edge_labels"] = [
            [e.src, e.dst, label_for(color_of.get((e.src, e.dst)), legend)] for e in edges
        ]
    src.setdefault("parser", "vector")
    if cb is not None:
        src.setdefault("bbox", tuple(round(v, 2) for v in cb))
    src["confidence"] = _confidence(nodes, edges)
    d = orient_by_content(
        Diagram(nodes=nodes, edges=edges, source=src, direction=direction, notes=notes)
    )
    if d.source.get("flow_from_text") and notes:  # edges were reversed: so are the notes' edges
        flipped = tuple(replace(n, edge=(n.edge[1], n.edge[0])) if n.edge else n for n in d.notes)
        d = replace(d, notes=flipped)
    return d


def _confidence(nodes, edges) -> float:
    """Overall trust: mean edge confidence, lowered by nodes that no edge touches."""
    if not nodes:
        return 0.0
    touched = {e.src for e in edges} | {e.dst for e in edges}
    coverage = sum(1 for n in nodes if n.id in touched) / len(nodes)
    mean_edge = sum(e.confidence for e in edges) / len(edges) if edges else 0.0
    return round(coverage * mean_edge, 3)
