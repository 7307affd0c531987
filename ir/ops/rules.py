"""Shared pieces of shape and weight rules: spatial sizes, padding, broadcasting of tuples.

Dims are ints, symbols or None; anything unknown (a symbol, None, a hole) makes the result
unknown rather than wrong. Contradictions raise ShapeError with both sides named.
"""

from __future__ import annotations

from ..registry import ShapeError
from ..types import Dim, TensorType
from ..values import HOLE

LAYOUT_NAMES = {1: "[N, C, L]", 2: "[N, C, H, W]", 3: "[N, C, D, H, W]"}


def known(*vals) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in vals)


def as_tuple(value, n: int, what: str) -> tuple:
    """An int or tuple attribute broadcast to n items (a 1-tuple broadcasts too)."""
    if value is HOLE:
        return (HOLE,) * n
    if isinstance(value, int):
        return (value,) * n
    if isinstance(value, tuple):
        if len(value) == n:
            return value
        if len(value) == 1:
            return value * n
    raise ShapeError(f"{what} must be an integer or a tuple of {n} integers, got {value!r}")


def require_rank(x: TensorType, rank: int, op: str, layout: str | None = None) -> None:
    if x.shape is not None and len(x.shape) != rank:
        expect = layout or f"rank {rank}"
        raise ShapeError(f"{op} expects a rank-{rank} input {expect}, got {x}")


def require_min_rank(x: TensorType, rank: int, op: str) -> None:
    if x.shape is not None and len(x.shape) < rank:
        raise ShapeError(f"{op} expects an input of rank at least {rank}, got {x}")


def channels(x: TensorType) -> Dim:
    return x.dim(1) if x.shape is not None and len(x.shape) >= 2 else None


def resolve_padding(padding, rank: int, sizes, kernel, stride, dilation) -> tuple[tuple, tuple]:
    """(begins, ends) per spatial dim; items are None where unknown."""
    if padding == "valid":
        return (0,) * rank, (0,) * rank
    if padding == "same":
        begins, ends = [], []
        for L, k, s, d in zip(sizes, kernel, stride, dilation, strict=True):
            if known(k, s, d) and s == 1:
                total = d * (k - 1)  # stride 1: the padding does not depend on the size
            elif not known(L, k, s, d):
                begins.append(None)
                ends.append(None)
                continue
            else:
                out = -(-L // s)
                total = max((out - 1) * s + d * (k - 1) + 1 - L, 0)
            begins.append(total // 2)
            ends.append(total - total // 2)
        return tuple(begins), tuple(ends)
    if padding is HOLE:
        return (None,) * rank, (None,) * rank
    if isinstance(padding, int):
        return (padding,) * rank, (padding,) * rank
    if isinstance(padding, tuple):
        if len(padding) == 1:
            return padding * rank, padding * rank
        if len(padding) == rank:
            return padding, padding
        if len(padding) == 2 * rank:
            return padding[:rank], padding[rank:]
    raise ShapeError(
        f"padding must be an integer, a tuple of {rank} or {2 * rank} integers, "
        f'"same" or "valid"; got {padding!r}'
    )


def window_out(L, k, s, pb, pe, d, ceil_mode=False, what="window") -> Dim:
    """Output length of a sliding window (conv or pool), PyTorch's rule incl. ceil_mode."""
    if not known(L, k, s, pb, pe, d):
        return None
    eff = d * (k - 1) + 1
    span = L + pb + pe - eff
    if span < 0:
        raise ShapeError(
            f"{what} of size {eff} (kernel {k}, dilation {d}) does not fit an input of "
            f"size {L} with padding ({pb}, {pe})"
        )
    if s <= 0:
        raise ShapeError(f"stride must be positive, got {s}")
    if ceil_mode:
        out = -(-span // s) + 1
        if (out - 1) * s >= L + pb:  # the last window must start inside the input
            out -= 1
        return out
    return span // s + 1


def spatial_out(x: TensorType, rank: int, attrs: dict, *, ceil_mode=False, what="kernel"):
    """Spatial output sizes of a conv/pool with attrs kernel, stride, padding, dilation."""
    sizes = x.shape[2:] if x.shape is not None else (None,) * rank
    kernel = as_tuple(attrs["kernel"], rank, "kernel")
    stride = as_tuple(attrs["stride"], rank, "stride")
    dilation = as_tuple(attrs.get("dilation", 1), rank, "dilation")
    padding = attrs.get("padding", 0)
    if padding == "same":
        return tuple(
            -(-L // s) if known(L, s) else (L if known(s) and s == 1 else None)
            for L, s in zip(sizes, stride, strict=True)
        )
    begins, ends = resolve_padding(padding, rank, sizes, kernel, stride, dilation)
    for b, e, k in zip(begins, ends, kernel, strict=True):
        if known(b, e, k) and (b < 0 or e < 0):
            raise ShapeError(f"padding must not be negative, got {padding!r}")
    return tuple(
        window_out(L, k, s, b, e, d, ceil_mode, what)
        for L, k, s, b, e, d in zip(sizes, kernel, stride, begins, ends, dilation, strict=True)
    )


def int_or_none(v) -> Dim:
    return v if known(v) else None


def mul_dims(*vals) -> Dim:
    if not known(*vals):
        return None
    n = 1
    for v in vals:
        n *= v
    return n


def same_shape(op: str, inputs: list[TensorType], broadcast: bool = False) -> TensorType:
    """Elementwise ops: every input has the same shape (dims agree); returns the merged type."""
    from ..types import dims_agree, merge_dim

    first = inputs[0]
    shape = first.shape
    for other in inputs[1:]:
        if other.dtype != first.dtype:
            raise ShapeError(f"{op} mixes dtypes: {first} and {other}")
        if shape is None or other.shape is None:
            shape = shape if other.shape is None else other.shape
            continue
        if len(shape) != len(other.shape):
            raise ShapeError(f"{op} inputs differ in rank: {first} and {other}")
        merged = []
        for axis, (a, b) in enumerate(zip(shape, other.shape, strict=True)):
            if not dims_agree(a, b):
                if broadcast and (a == 1 or b == 1):
                    merged.append(b if a == 1 else a)
                    continue
                raise ShapeError(f"{op} inputs differ in dim {axis}: {first} and {other}")
            merged.append(merge_dim(a, b))
        shape = tuple(merged)
    return first.with_shape(shape)


def bias_spec(out, bias: bool):
    from ..registry import WeightSpec

    return [WeightSpec("bias", (int_or_none(out),), init="bias")] if bias is True else []
