"""Result types of the architecture-table reader (frozen, comparable, hashable).

Why a module of its own: the layout reader builds these and the public
`arch_tables` module returns them; keeping them apart avoids an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class Entry:
    """One layer (or a repeated stack of layers) of a configuration, in network order.

    `text` is the phrase as written; a stack reads "[a; b] ×N" (or "N× [a; b]" when the
    count is written before it) and lists its lines in `stack`.  `children` keeps the
    per-line details (extra columns, stride) of a stack that spans several table rows.
    """

    text: str
    repeat: int = 1
    stack: tuple[str, ...] = ()
    stride: int | None = None
    output_size: str | None = None
    extra: tuple[tuple[str, str], ...] = ()
    row_label: str | None = None
    children: tuple[Entry, ...] = ()


@dataclass(frozen=True)
class Config:
    """One network configuration of a table (a column, or the whole table)."""

    name: str
    entries: tuple[Entry, ...]
    header: tuple[str, ...] = ()
    input: str | None = None
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ArchTable:
    """An architecture table found on a page."""

    page: int
    bbox: BBox
    caption: str
    orientation: str  # "rows" | "columns" | "stages"
    configs: tuple[Config, ...]
    score: float = 0.0
    reasons: tuple[str, ...] = ()
