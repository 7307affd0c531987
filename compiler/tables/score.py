"""Rule-based judge: is a table candidate an architecture table?

Why rules: a learned classifier comes later; this fallback weighs plain,
documented evidence and returns its reasons so a wrong call can be explained.

score = 4·(share of cells that are layer phrases: conv/pool/fc/softmax/... or
           "k×k, c" specs)
      + 1·(share of cells with a kernel size like 3×3)
      + 1.5·(best share of layer phrases within one column of 3+ cells: a "type" column)
      + 0.5 if repeat markers ("×2", "5×") or bracket glyphs are present
      + 1 if the caption speaks of architecture/configuration/layers/structure
      − 3·(share of cells with result vocabulary: top-1/top-5, error, accuracy,
           mAP, %, method, [12] citations, ...)
      − 3·(share of cells that are decimal numbers or percentages)
      − 3 if the caption is a Figure caption
      − 2 if the region holds two or more free-standing boxes (a block diagram)
      − 2 if it holds five or more curves or slanted strokes (arrows: a diagram)
      − 1.5 if no "Table N" caption is next to it
      − 1.5 if no line has two or more cells (a column of labels: a chain diagram)
      − 3 if fewer than 30% of cells hold a number (layer names without sizes: a
          vocabulary or grammar table, not a configuration)
Accepted when score ≥ 2.0 and the table has at least 4 cells.
"""

from __future__ import annotations

import re

from papercc.compiler.tables.grid import Grid
from papercc.compiler.tables.model import ArchTable
from papercc.compiler.tables.text import DECIMAL_RE, KERNEL_RE, RESULT_RE, is_layer_phrase

THRESHOLD = 2.0
_ARCH_CAPTION = re.compile(
    r"architecture|configuration|layers|structure|network design|body", re.IGNORECASE
)


def is_architecture_table(grid: Grid | ArchTable) -> tuple[bool, float, tuple[str, ...]]:
    """(accepted, score, reasons) for a table candidate (see module doc for the rule).

    An `ArchTable` already carries its judgement, which is returned as is."""
    if isinstance(grid, ArchTable):
        return grid.score >= THRESHOLD, grid.score, grid.reasons
    if not isinstance(grid, Grid):
        raise TypeError(f"expected a table Grid or ArchTable, got {type(grid).__name__}")
    texts = [c.text for c in grid.cells]
    n = len(texts)
    reasons: list[str] = []
    if n < 4:
        return False, 0.0, (f"only {n} cells",)
    layer = sum(is_layer_phrase(t) for t in texts) / n
    kernel = sum(bool(KERNEL_RE.search(t)) for t in texts) / n
    result = sum(bool(RESULT_RE.search(t)) for t in texts) / n
    decimals = sum(bool(DECIMAL_RE.match(t)) for t in texts) / n
    best_col = 0.0
    for j in range(len(grid.cols)):
        col = [c.text for c in grid.cells if c.col0 == j and c.col1 == j]
        if len(col) >= 3:
            best_col = max(best_col, sum(is_layer_phrase(t) for t in col) / len(col))
    score = 4 * layer + kernel + 1.5 * best_col - 3 * result - 3 * decimals
    reasons.append(f"layer phrases {layer:.0%}")
    reasons.append(f"kernel sizes {kernel:.0%}")
    reasons.append(f"best layer column {best_col:.0%}")
    reasons.append(f"result vocabulary {result:.0%}")
    reasons.append(f"decimal numbers {decimals:.0%}")
    if grid.markers or grid.brackets:
        score += 0.5
        reasons.append("repeat markers or brackets")
    if grid.caption_kind == "figure":
        score -= 3
        reasons.append("Figure caption")
    elif _ARCH_CAPTION.search(grid.caption):
        score += 1
        reasons.append("caption names an architecture")
    if grid.boxes >= 2:
        score -= 2
        reasons.append(f"{grid.boxes} free-standing boxes (diagram)")
    if grid.curves >= 5:
        score -= 2
        reasons.append(f"{grid.curves} curves or slanted strokes (diagram)")
    if grid.caption_kind != "table":
        score -= 1.5
        reasons.append("no Table caption")
    numbered = sum(any(ch.isdigit() for ch in t) for t in texts) / n
    if numbered < 0.3:
        score -= 3
        reasons.append(f"only {numbered:.0%} of cells hold numbers")
    if not any(len(grid.cells_in(li)) >= 2 for li in range(len(grid.lines))):
        score -= 1.5
        reasons.append("no row with two cells")
    return score >= THRESHOLD, round(score, 3), tuple(reasons)
