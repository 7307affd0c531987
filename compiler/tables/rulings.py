"""Ruling lines and boxes of a page, from vector paths and from thin images.

Why both sources: LaTeX tables are drawn with stroked lines or filled thin
rectangles, but some PDF producers (e.g. dvips/ghostscript output) paint each
rule as a 1×1 stencil image scaled to a thin bar, which `get_drawings()` does
not report.  Large closed rectangles are kept separately as *boxes*: a region
full of boxes is a block diagram, not a table.
"""

from __future__ import annotations

from dataclasses import dataclass

import pymupdf as fitz

THIN = 2.0  # pt: a rectangle thinner than this is a rule
MIN_RULE = 3.0  # pt: shorter strokes are glyph parts (underscores, bracket serifs)


@dataclass(frozen=True)
class Ruling:
    """A horizontal or vertical rule (x0 <= x1, y0 <= y1)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def horizontal(self) -> bool:
        return (self.x1 - self.x0) >= (self.y1 - self.y0)

    @property
    def length(self) -> float:
        return max(self.x1 - self.x0, self.y1 - self.y0)


@dataclass(frozen=True)
class PageGeometry:
    """Rulings, short strokes (underscore candidates) and boxes of one page."""

    rulings: tuple[Ruling, ...]
    short: tuple[Ruling, ...]
    boxes: tuple[tuple[float, float, float, float], ...]
    curves: tuple[tuple[float, float, float, float], ...]


def _rule_from_rect(r: fitz.Rect) -> Ruling | None:
    if r.height <= THIN and r.width > r.height:
        y = (r.y0 + r.y1) / 2
        return Ruling(r.x0, y, r.x1, y)
    if r.width <= THIN and r.height > r.width:
        x = (r.x0 + r.x1) / 2
        return Ruling(x, r.y0, x, r.y1)
    return None


def _edges(r: fitz.Rect) -> list[Ruling]:
    return [
        Ruling(r.x0, r.y0, r.x1, r.y0),
        Ruling(r.x0, r.y1, r.x1, r.y1),
        Ruling(r.x0, r.y0, r.x0, r.y1),
        Ruling(r.x1, r.y0, r.x1, r.y1),
    ]


def isolated_boxes(boxes, tol: float = 1.5) -> int:
    """Boxes that share no edge with another box: nodes of a diagram, not table cells."""
    count = 0
    for i, a in enumerate(boxes):
        touching = False
        for j, b in enumerate(boxes):
            if i == j:
                continue
            if (
                a[0] - tol <= b[2]
                and b[0] - tol <= a[2]
                and a[1] - tol <= b[3]
                and b[1] - tol <= a[3]
            ):
                touching = True
                break
        count += not touching
    return count


def page_geometry(page: fitz.Page) -> PageGeometry:
    """Collect rules, short strokes, boxes and curves drawn on `page`."""
    rules: list[Ruling] = []
    boxes: list[tuple[float, float, float, float]] = []
    curves: list[tuple[float, float, float, float]] = []
    for path in page.get_drawings():
        for item in path["items"]:
            kind = item[0]
            if kind == "l":
                p, q = item[1], item[2]
                if abs(p.y - q.y) <= 1.0:
                    rules.append(Ruling(min(p.x, q.x), p.y, max(p.x, q.x), p.y))
                elif abs(p.x - q.x) <= 1.0:
                    rules.append(Ruling(p.x, min(p.y, q.y), p.x, max(p.y, q.y)))
                else:
                    curves.append(tuple(fitz.Rect(p, q).normalize()))
            elif kind in ("re", "qu"):
                r = fitz.Rect(item[1].rect if kind == "qu" else item[1])
                rule = _rule_from_rect(r)
                if rule is not None:
                    rules.append(rule)
                elif r.width > THIN and r.height > THIN and "s" in (path.get("type") or ""):
                    # Stroked outlines only: filled areas are shading or backgrounds.
                    boxes.append(tuple(r))
                    rules.extend(_edges(r))
            elif kind == "c":
                curves.append(tuple(fitz.Rect(item[1], item[4]).normalize()))
    for info in page.get_image_info():
        rule = _rule_from_rect(fitz.Rect(info["bbox"]))
        if rule is not None:
            rules.append(rule)
    long_rules = tuple(r for r in rules if r.length >= MIN_RULE)
    short = tuple(r for r in rules if r.length < MIN_RULE and r.horizontal)
    return PageGeometry(long_rules, short, tuple(boxes), tuple(curves))
