"""Source locations: every syntax node and every graph node carries one."""

from __future__ import annotations

from typing import NamedTuple


class Span(NamedTuple):
    """A 1-based, end-exclusive range of source text in one file.

    A NamedTuple rather than a frozen dataclass: the parser makes one per token it keeps,
    and tuple construction is several times cheaper."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    @staticmethod
    def unknown(file: str = "<unknown>") -> Span:
        return Span(file, 0, 0, 0, 0)

    def to(self, other: Span) -> Span:
        """The span from the start of self to the end of other."""
        return Span(self.file, self.line, self.col, other.end_line, other.end_col)

    def sort_key(self) -> tuple:
        return (self.file, self.line, self.col)
