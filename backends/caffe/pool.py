"""Pooling for the Caffe backend: Caffe's 2-D Pooling layer with the rounding chosen to
give DLIR's sizes, and exact rewrites of what it lacks (asymmetric padding, dilation,
count_include_pad=false, 3-D windows, adaptive windows)."""

from __future__ import annotations

import numpy as np

from papercc.backends.caffe import net as cn
from papercc.backends.caffe.net import CaffeContext, unsupported
from papercc.backends.emit import explicit_pads, tuple_attr
from papercc.ir.graph import Node


def _pool_layer(ctx, node, final, suffix, x, method, kernel, stride, pads, want):
    """One Caffe Pooling layer; the rounding flag is chosen so the output size is `want`
    (Caffe rounds up by default; OpenCV reads `ceil_mode: false` for floor)."""
    n, c, h, w = ctx.shapes[x]
    ceil = tuple(
        cn.window_out(s, k, st, p, p, 1, True)
        for s, k, st, p in zip((h, w), kernel, stride, pads, strict=True)
    )
    floor = tuple(
        cn.window_out(s, k, st, p, p)
        for s, k, st, p in zip((h, w), kernel, stride, pads, strict=True)
    )
    if tuple(want) == ceil:
        use_floor = False
    elif tuple(want) == floor:
        use_floor = True
    else:
        raise unsupported(node, f"no Caffe rounding gives the output size {tuple(want)}")
    msg, top = cn.make(ctx, node, final, suffix, "Pooling", [x], (n, c, *want))
    p = msg.pooling_param
    p.pool = {"MAX": 0, "AVE": 1}[method]
    cn.set_hw(p, "kernel_h", "kernel_w", kernel)
    cn.set_hw(p, "stride_h", "stride_w", stride)
    if any(pads):
        cn.set_hw(p, "pad_h", "pad_w", pads)
    if use_floor:
        p.ceil_mode = False
    return top


def _pool2d(ctx, node, final, x, kernel, stride, dilation, b, e, want) -> str:
    """A 2-D pool of x with PyTorch's semantics (DLIR's), whatever the padding."""
    is_max = node.op.startswith("max")
    if is_max and any(d != 1 for d in dilation):
        return _dilated_max(ctx, node, final, x, kernel, stride, dilation, b, e, want)
    method = "MAX" if is_max else "AVE"
    exclude_pad = not is_max and not node.attrs["count_include_pad"] and (any(b) or any(e))
    if b != e:
        xp = cn.pad(ctx, node, x, b, e, cn.NEG_FILL if is_max else 0.0)
        pads = (0, 0)
    else:
        xp, pads = x, b
    if not exclude_pad:
        return _pool_layer(ctx, node, final, "pool", xp, method, kernel, stride, pads, want)
    # average over the real elements only: avg(x) / avg(ones), both padded alike
    summed = _pool_layer(ctx, node, False, "pool", xp, method, kernel, stride, pads, want)
    ones = cn.fill_like(ctx, node, "ones", x, 1.0)
    if b != e:
        ones = cn.pad(ctx, node, ones, b, e, 0.0)
    frac = _pool_layer(ctx, node, False, "count", ones, method, kernel, stride, pads, want)
    inv = cn.power(ctx, node, "inv", frac, exponent=-1.0)
    msg, top = cn.make(ctx, node, final, "avg", "Eltwise", [summed, inv], ctx.shapes[summed])
    msg.eltwise_param.operation = 0
    return top


def pool(ctx: CaffeContext, node: Node) -> None:
    is_max = node.op.startswith("max")
    begins, ends = explicit_pads(node)
    out_sizes = ctx.out_shape(node)[2:]
    kernel, stride = tuple_attr(node, "kernel"), tuple_attr(node, "stride")
    dilation = tuple_attr(node, "dilation") if is_max else (1,) * len(kernel)
    if len(kernel) == 3:
        _pool3d(ctx, node, kernel, stride, dilation, begins, ends, out_sizes)
        return

    def body(x, lift, final):
        return _pool2d(
            ctx,
            node,
            final,
            x,
            lift(kernel, 1),
            lift(stride, 1),
            lift(dilation, 1),
            lift(begins, 0),
            lift(ends, 0),
            lift(out_sizes, 1),
        )

    cn.with_lift(ctx, node, body)


def _pool3d(ctx, node, kernel, stride, dilation, b, e, want) -> None:
    """Caffe pools are 2-D; a box window is separable: pool (H, W) with depth folded into
    channels, then depth with (H', W') flattened into one axis. Max, padding, ceil rounding
    and both average divisors (products of per-axis counts) all factor this way."""
    n, c, d, h, w = ctx.in_shape(node)
    x = cn.reshape(ctx, node, "fold_depth", ctx.x(node), (n, c * d, h, w))
    x = _pool2d(ctx, node, False, x, kernel[1:], stride[1:], dilation[1:], b[1:], e[1:], want[1:])
    hw = want[1] * want[2]
    x = cn.reshape(ctx, node, "fold_hw", x, (n, c, d, hw))
    x = _pool2d(
        ctx,
        node,
        False,
        x,
        (kernel[0], 1),
        (stride[0], 1),
        (dilation[0], 1),
        (b[0], 0),
        (e[0], 0),
        (want[0], hw),
    )
    cn.reshape_final(ctx, node, x)


def _dilated_max(ctx, node, final, x, kernel, stride, dilation, b, e, want):
    """Caffe pools have no dilation: the max of one strided tap per kernel position, each
    tap a Slice plus a 1x1 Pooling with the stride (an exact subsampling)."""
    size = ctx.shapes[x][2:]
    e = tuple(
        max(end, (o - 1) * s + d * (k - 1) + 1 - (n + begin))
        for end, o, s, d, k, n, begin in zip(
            e, want, stride, dilation, kernel, size, b, strict=True
        )
    )
    x = cn.pad(ctx, node, x, b, e, cn.NEG_FILL)
    taps = []
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            t = x
            for axis, (k_i, d, s, o) in enumerate(zip((i, j), dilation, stride, want, strict=True)):
                start = k_i * d
                t = cn.take(
                    ctx, node, f"tap{i}_{j}_{axis}", t, 2 + axis, start, start + (o - 1) * s + 1
                )
            n, c = ctx.shapes[t][:2]
            if any(s != 1 for s in stride):
                msg, t = ctx.tmp(node, f"tap{i}_{j}", "Pooling", [t], (n, c, *want))
                p = msg.pooling_param
                p.pool = 0
                p.kernel_size = 1
                cn.set_hw(p, "stride_h", "stride_w", stride)
            taps.append(t)
    if len(taps) == 1:
        if final:
            ctx.alias(node, taps[0])
        return taps[0]
    msg, top = cn.make(ctx, node, final, "max", "Eltwise", taps, ctx.shapes[taps[0]])
    msg.eltwise_param.operation = 2
    return top


def global_pool(ctx: CaffeContext, node: Node) -> None:
    shape = ctx.in_shape(node)
    x = ctx.x(node)
    out = ctx.out_shape(node)
    if len(shape) != 4:
        x = cn.reshape(ctx, node, "to2d", x, (shape[0], shape[1], 1, int(np.prod(shape[2:]))))
    final = len(shape) == 4 and len(out) == 4
    msg, top = cn.make(ctx, node, final, "pool", "Pooling", [x], (shape[0], shape[1], 1, 1))
    msg.pooling_param.pool = 0 if node.op == "globalmaxpool" else 1
    msg.pooling_param.global_pooling = True
    if not final:
        cn.reshape_final(ctx, node, top)


def _adaptive_bounds(size: int, out: int):
    return [(o * size // out, -(-(o + 1) * size // out)) for o in range(out)]


def adaptive_avgpool(ctx: CaffeContext, node: Node) -> None:
    """Average over PyTorch's adaptive windows, one axis at a time: a linear map per axis
    (a plain Pooling layer when the windows tile the axis exactly)."""
    shape, out = ctx.in_shape(node), ctx.out_shape(node)
    x = ctx.x(node)
    if len(shape) == 4 and all(s % o == 0 for s, o in zip(shape[2:], out[2:], strict=True)):
        if shape == out:
            ctx.alias(node, x)
            return
        kernel = tuple(s // o for s, o in zip(shape[2:], out[2:], strict=True))
        _pool_layer(ctx, node, True, "pool", x, "AVE", kernel, kernel, (0, 0), out[2:])
        return
    for axis in range(2, len(shape)):
        size, o = shape[axis], out[axis]
        if size == o:
            continue
        m = np.zeros((o, size))
        for i, (start, stop) in enumerate(_adaptive_bounds(size, o)):
            m[i, start:stop] = 1.0 / (stop - start)
        x = cn.axis_matmul(ctx, node, f"avg{axis}", x, axis, m)
    ctx.alias(node, x)


def _adaptive_max2d(ctx, node, final, x, want) -> str:
    n, c, h, w = ctx.shapes[x]
    if (h, w) == tuple(want):
        if final:
            ctx.alias(node, x)
        return x
    if h % want[0] == 0 and w % want[1] == 0:
        kernel = (h // want[0], w // want[1])
        return _pool_layer(ctx, node, final, "pool", x, "MAX", kernel, kernel, (0, 0), want)
    for axis, o in ((2, want[0]), (3, want[1])):
        size = ctx.shapes[x][axis]
        if size == o:
            continue
        parts = []
        for i, (start, stop) in enumerate(_adaptive_bounds(size, o)):
            t = cn.take(ctx, node, f"win{axis}_{i}", x, axis, start, stop)
            kernel = (stop - start, 1) if axis == 2 else (1, stop - start)
            shp = list(ctx.shapes[t])
            shp[axis] = 1
            msg, t = ctx.tmp(node, f"max{axis}_{i}", "Pooling", [t], tuple(shp))
            msg.pooling_param.pool = 0
            cn.set_hw(msg.pooling_param, "kernel_h", "kernel_w", kernel)
            parts.append(t)
        x = cn.concat(ctx, node, f"cat{axis}", parts, axis)
    if final:
        ctx.alias(node, x)
    return x


def adaptive_maxpool(ctx: CaffeContext, node: Node) -> None:
    """Max over PyTorch's adaptive windows: per axis, one Slice + Pooling per window (one
    Pooling when the windows tile the axis); 3-D as (H, W) then depth, like `_pool3d`."""
    want = ctx.out_shape(node)[2:]
    if len(want) == 3:
        n, c, d, h, w = ctx.in_shape(node)
        x = cn.reshape(ctx, node, "fold_depth", ctx.x(node), (n, c * d, h, w))
        x = _adaptive_max2d(ctx, node, False, x, want[1:])
        hw = want[1] * want[2]
        x = cn.reshape(ctx, node, "fold_hw", x, (n, c, d, hw))
        x = _adaptive_max2d(ctx, node, False, x, (want[0], hw))
        cn.reshape_final(ctx, node, x)
        return
    cn.with_lift(
        ctx, node, lambda x, lift, final: _adaptive_max2d(ctx, node, final, x, lift(want, 1))
    )


POOL_TABLE = {
    **{f"{k}pool{r}d": pool for k in ("max", "avg") for r in (1, 2, 3)},
    "globalavgpool": global_pool,
    "globalmaxpool": global_pool,
    **{f"adaptive_avgpool{r}d": adaptive_avgpool for r in (1, 2, 3)},
    **{f"adaptive_maxpool{r}d": adaptive_maxpool for r in (1, 2, 3)},
}
