"""Source locations: every syntax node and every graph node carries one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """A 1-based, end-exclusive range of source text in one file."""

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
