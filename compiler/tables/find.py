"""Architecture tables of a PDF page -> structured configurations.

Why this pipeline (each step its own module):
words with baselines (table_words) and rules incl. image-drawn rules
(table_rulings) -> table regions with captions (table_regions) -> a cell
grid from word positions (table_grid) -> a rule-based accept/reject
(table_score) -> orientation and configurations (table_layout).
"""

from __future__ import annotations

import pymupdf as fitz

from papercc.compiler.tables.grid import Grid, build_grid
from papercc.compiler.tables.layout import NotArchitectureTable, read_configs
from papercc.compiler.tables.model import ArchTable, Config, Entry
from papercc.compiler.tables.regions import find_regions, region_for_bbox
from papercc.compiler.tables.rulings import page_geometry
from papercc.compiler.tables.score import is_architecture_table
from papercc.compiler.tables.words import join_underscores, page_words

__all__ = [
    "ArchTable",
    "Config",
    "Entry",
    "Grid",
    "find_arch_tables",
    "grid_for_bbox",
    "is_architecture_table",
    "table_candidates",
    "table_words",
]


def _page_inputs(page: fitz.Page, source: dict | None):
    if not isinstance(page, fitz.Page):
        raise TypeError(f"expected a pymupdf Page, got {type(page).__name__}")
    raw = source if isinstance(source, dict) and "blocks" in source else None
    words, glyphs = page_words(page, raw=raw)
    geo = page_geometry(page)
    words = join_underscores(words, [(r.x0, r.x1, r.y0) for r in geo.short])
    return words, glyphs, geo


def table_words(page: fitz.Page) -> list:
    """The page's words as the table reader sees them (cleaned, with baselines)."""
    return _page_inputs(page, None)[0]


def table_candidates(page: fitz.Page, source: dict | None = None) -> list[Grid]:
    """Every table-like region of the page as a grid (accepted or not)."""
    words, glyphs, geo = _page_inputs(page, source)
    return [build_grid(r, words, glyphs, geo) for r in find_regions(page, words, geo)]


def grid_for_bbox(page: fitz.Page, bbox) -> Grid:
    """The grid of an externally found region (e.g. a `find_tables()` bbox), captioned."""
    words, glyphs, geo = _page_inputs(page, None)
    region = region_for_bbox(words, tuple(fitz.Rect(bbox)))
    return build_grid(region, words, glyphs, geo)


def find_arch_tables(page: fitz.Page, source: dict | None = None) -> list[ArchTable]:
    """Architecture tables on `page`, each with its orientation and configurations.

    `source` may be the page's `get_text("rawdict")`, already extracted by the caller.
    """
    out = []
    for grid in table_candidates(page, source):
        ok, score, reasons = is_architecture_table(grid)
        if not ok:
            continue
        try:
            orientation, configs = read_configs(grid, grid.caption)
        except NotArchitectureTable:
            continue
        if not any(c.entries for c in configs):
            continue
        out.append(
            ArchTable(
                page=page.number + 1,
                bbox=grid.bbox,
                caption=grid.caption,
                orientation=orientation,
                configs=configs,
                score=score,
                reasons=reasons,
            )
        )
    return out
