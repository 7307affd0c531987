"""Tensor types of the graph IR: a dtype and a shape of dims (int, symbol, or unknown)."""

from __future__ import annotations

from dataclasses import dataclass

DTYPES = ("f16", "bf16", "f32", "f64", "i8", "i16", "i32", "i64", "u8", "bool")
FLOAT_DTYPES = frozenset({"f16", "bf16", "f32", "f64"})
INT_DTYPES = frozenset({"i8", "i16", "i32", "i64", "u8"})

Dim = int | str | None  # a size, a symbol such as "N", or unknown


def dim_text(d: Dim) -> str:
    return "?" if d is None else str(d)


@dataclass(frozen=True, slots=True)
class TensorType:
    """dtype and shape; `shape is None` means the rank is unknown."""

    dtype: str
    shape: tuple[Dim, ...] | None

    @property
    def rank(self) -> int | None:
        return None if self.shape is None else len(self.shape)

    def dim(self, axis: int) -> Dim:
        if self.shape is None:
            return None
        return self.shape[axis] if -len(self.shape) <= axis < len(self.shape) else None

    def with_shape(self, shape) -> TensorType:
        return TensorType(self.dtype, None if shape is None else tuple(shape))

    def __str__(self) -> str:
        if self.shape is None:
            return f"{self.dtype}[...]"
        return f"{self.dtype}[{', '.join(dim_text(d) for d in self.shape)}]"

    @property
    def numel(self) -> int | None:
        if self.shape is None:
            return None
        n = 1
        for d in self.shape:
            if not isinstance(d, int):
                return None
            n *= d
        return n


def dims_agree(a: Dim, b: Dim) -> bool:
    """False only for a real contradiction: two different integers."""
    return not (isinstance(a, int) and isinstance(b, int) and a != b)


def merge_dim(a: Dim, b: Dim) -> Dim:
    """The more precise of two agreeing dims (int over symbol over unknown)."""
    if isinstance(a, int):
        return a
    if isinstance(b, int):
        return b
    return a if a is not None else b
