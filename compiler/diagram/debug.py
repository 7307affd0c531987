"""Debug output of `papercc compile --debug DIR`: what the figure reader saw.

Why: when a compiled model is wrong, the first question is whether a box, an arrow or a
label was misread. The annotated image answers it at a glance (boxes in blue with their
id and text, junctions in magenta, arrows in red from source centre to target centre); the
JSON dump gives the same `Diagram` exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from papercc.compiler.diagram.graph import Diagram
from papercc.fileio import write_atomic

_BOX = (200, 90, 20)  # BGR
_JUNCTION = (180, 0, 180)
_ARROW = (20, 20, 220)
_TEXT = (0, 110, 0)


def annotate(
    image: np.ndarray,
    diagram: Diagram,
    scale: float = 1.0,
    origin: tuple[float, float] = (0.0, 0.0),
) -> np.ndarray:
    """A copy of `image` with the diagram drawn on it; diagram coords map to pixels as
    (x - origin.x) * scale."""
    out = image.copy()
    if out.ndim == 2:
        out = cv2.cvtColor(out, cv2.COLOR_GRAY2BGR)
    thick = max(1, round(min(out.shape[:2]) / 600))
    font = max(0.35, min(out.shape[:2]) / 1500)

    def px(x: float, y: float) -> tuple[int, int]:
        return round((x - origin[0]) * scale), round((y - origin[1]) * scale)

    centre = {}
    for n in diagram.nodes:
        p0, p1 = px(n.bbox[0], n.bbox[1]), px(n.bbox[2], n.bbox[3])
        centre[n.id] = ((p0[0] + p1[0]) // 2, (p0[1] + p1[1]) // 2)
        if n.shape == "junction":
            cv2.circle(out, centre[n.id], 3 * thick + 2, _JUNCTION, thick)
            continue
        cv2.rectangle(out, p0, p1, _BOX, thick)
        label = f"{n.id}: {n.text}"[:40].encode("ascii", "replace").decode()
        cv2.putText(out, label, (p0[0], max(10, p0[1] - 3)), 0, font, _TEXT, 1, cv2.LINE_AA)
    for e in diagram.edges:
        if e.src in centre and e.dst in centre:
            cv2.arrowedLine(
                out, centre[e.src], centre[e.dst], _ARROW, thick, cv2.LINE_AA, tipLength=0.08
            )
    return out


def blank_canvas(diagram: Diagram, scale: float = 3.0) -> tuple[np.ndarray, tuple[float, float]]:
    """A white page covering the diagram (for vector figures, drawn without rendering)."""
    if not diagram.nodes:
        return np.full((32, 32, 3), 255, np.uint8), (0.0, 0.0)
    x0 = min(n.bbox[0] for n in diagram.nodes) - 10
    y0 = min(n.bbox[1] for n in diagram.nodes) - 10
    x1 = max(n.bbox[2] for n in diagram.nodes) + 10
    y1 = max(n.bbox[3] for n in diagram.nodes) + 10
    w = int(min(6000, (x1 - x0) * scale))
    h = int(min(6000, (y1 - y0) * scale))
    return np.full((max(h, 1), max(w, 1), 3), 255, np.uint8), (x0, y0)


def write_debug(
    directory: str | Path, stem: str, image: np.ndarray, diagram: Diagram
) -> list[Path]:
    """Write `<stem>.png` (annotated) and `<stem>.diagram.json`; returns the paths."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    ok, png = cv2.imencode(".png", image)
    paths = []
    if ok:
        write_atomic(d / f"{stem}.png", png.tobytes())
        paths.append(d / f"{stem}.png")
    data = {
        "direction": diagram.direction,
        "source": {k: v for k, v in diagram.source.items() if _jsonable(v)},
        "nodes": [
            {
                "id": n.id,
                "text": n.text,
                "bbox": list(n.bbox),
                "shape": n.shape,
                "confidence": n.confidence,
            }
            for n in diagram.nodes
        ],
        "edges": [{"src": e.src, "dst": e.dst, "confidence": e.confidence} for e in diagram.edges],
    }
    write_atomic(d / f"{stem}.diagram.json", json.dumps(data, indent=1))
    paths.append(d / f"{stem}.diagram.json")
    return paths


def _jsonable(v: object) -> bool:
    try:
        json.dumps(v)
    except (TypeError, ValueError):
        return False
    return True
