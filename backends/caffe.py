"""Caffe backend: a `.prototxt` network definition and a binary `.caffemodel` of weights.

One emit function per DLIR op writes Caffe layers (tops and bottoms named after the DLIR
values, layers after the DLIR layers, both sanitised). Where Caffe has no layer for an op
the function writes an exact decomposition into standard Caffe layers (Power, Eltwise,
Slice, Concat, InnerProduct, Permute), e.g. asymmetric padding, relu6, hardswish, resizes.
The prototxt and the caffemodel come from one emit pass: layers record their blobs as
functions of the DLIR weights dict. `run` loads both into OpenCV's DNN module, the Caffe
runtime available here. Layout is NCHW, as in DLIR, so no weight needs reordering.
"""

from __future__ import annotations

import math

import numpy as np
from papercc.backends import caffe_net as cn
from papercc.backends.caffe_attention import attention
from papercc.backends.caffe_net import CaffeContext, const, unsupported, weight
from papercc.backends.caffe_proto import messages, packed_floats, to_text
from papercc.backends.caffe_rnn import rnn
from papercc.backends.codegen import comment
from papercc.backends.emit import emit_graph, explicit_pads, tuple_attr
from papercc.ir.graph import Graph, Node
from papercc.ir.ops._rules import as_tuple

TARGET = "caffe"


# ------------------------------------------------------------------ helpers


def _rank(node: Node) -> int:
    return len(node.inputs[0].type.shape) - 2


def _lift_shape(shape):
    """[N, C, L] -> [N, C, 1, L]: Caffe's 2-D layers run 1-D signals as one-row images."""
    return (*shape[:2], 1, shape[2])


def _with_lift(ctx: CaffeContext, node: Node, body) -> None:
    """Run a 2-D emit body on a 1-D node: reshape in, body (spatial params get a leading
    1 / 0), reshape out to the node's own output."""
    if _rank(node) == 2:
        body(ctx.x(node), lambda t, fill: tuple(t), True)
        return
    x = cn.reshape(ctx, node, "to2d", ctx.x(node), _lift_shape(ctx.in_shape(node)))
    top = body(x, lambda t, fill: (fill, *t), False)
    _reshape_final(ctx, node, top)


def _reshape_final(ctx: CaffeContext, node: Node, bottom: str) -> None:
    msg = ctx.final(node, "Reshape", [bottom])
    msg.reshape_param.shape.dim.extend([0, *ctx.out_shape(node)[1:]])


def _make(
    ctx: CaffeContext, node: Node, final: bool, suffix: str, kind, bottoms, shape, blobs=None
):
    if final:
        msg = ctx.final(node, kind, list(bottoms), blobs)
        return msg, ctx.v(node.outputs[0])
    return ctx.tmp(node, suffix, kind, bottoms, shape, blobs)


def _window_out(size, k, s, pb, pe, d=1, ceil=False):
    span = size + pb + pe - d * (k - 1) - 1
    return (-(-span // s) if ceil else span // s) + 1


def _set_hw(p, prefix_h: str, prefix_w: str, values) -> None:
    setattr(p, prefix_h, int(values[0]))
    setattr(p, prefix_w, int(values[1]))


# ------------------------------------------------------------------ convolutions


def conv(ctx: CaffeContext, node: Node) -> None:
    a = node.attrs
    cin = ctx.in_shape(node)[1]
    if node.op == "depthwise_conv2d":
        cout, groups = cin * a["multiplier"], cin
    else:
        cout, groups = a["out"], a["groups"]
    begins, ends = explicit_pads(node)
    key = node.name
    if _rank(node) == 3:
        _conv3d(ctx, node, cin, cout, groups, begins, ends)
        return

    def body(x, lift, final):
        kernel = lift(tuple_attr(node, "kernel"), 1)
        stride = lift(tuple_attr(node, "stride"), 1)
        dilation = lift(tuple_attr(node, "dilation"), 1)
        b, e = lift(begins, 0), lift(ends, 0)
        # OpenCV 4.14's depthwise kernel is wrong when the window is larger than the
        # unpadded input (e.g. 3x3 on 1x1): pad explicitly there too
        small = groups > 1 and any(
            size < d * (k - 1) + 1
            for size, k, d in zip(ctx.shapes[x][2:], kernel, dilation, strict=True)
        )
        if b != e or (small and any(b)):
            x = cn.pad(ctx, node, x, b, e)
            b = e = (0, 0)
        n, _, h, w = ctx.shapes[x]
        out = (n, cout) + tuple(
            _window_out(size, k, s, p, p, d)
            for size, k, s, p, d in zip((h, w), kernel, stride, b, dilation, strict=True)
        )
        wshape = (cout, cin // groups, *kernel)
        blobs = [lambda wd: np.asarray(wd[f"{key}.weight"], np.float32).reshape(wshape)]
        if a["bias"]:
            blobs.append(weight(f"{key}.bias"))
        msg, top = _make(ctx, node, final, "conv", "Convolution", [x], out, blobs)
        p = msg.convolution_param
        p.num_output = cout
        if not a["bias"]:
            p.bias_term = False
        if any(b):
            _set_hw(p, "pad_h", "pad_w", b)
        _set_hw(p, "kernel_h", "kernel_w", kernel)
        if any(s != 1 for s in stride):
            _set_hw(p, "stride_h", "stride_w", stride)
        if any(d != 1 for d in dilation):
            p.dilation.extend(dilation if dilation[0] != dilation[1] else dilation[:1])
        if groups != 1:
            p.group = groups
        return top

    _with_lift(ctx, node, body)


def _conv3d(ctx, node, cin, cout, groups, begins, ends) -> None:
    """Caffe's N-d Convolution: repeated kernel_size / pad / stride / dilation fields."""
    a = node.attrs
    x = ctx.x(node)
    if begins != ends:
        x = cn.pad(ctx, node, x, begins, ends)
        begins = (0, 0, 0)
    kernel = tuple_attr(node, "kernel")
    wshape = (cout, cin // groups, *kernel)
    key = node.name
    blobs = [lambda wd: np.asarray(wd[f"{key}.weight"], np.float32).reshape(wshape)]
    if a["bias"]:
        blobs.append(weight(f"{key}.bias"))
    p = ctx.final(node, "Convolution", [x], blobs).convolution_param
    p.num_output = cout
    if not a["bias"]:
        p.bias_term = False
    p.kernel_size.extend(kernel)
    if any(begins):
        p.pad.extend(begins)
    if any(s != 1 for s in tuple_attr(node, "stride")):
        p.stride.extend(tuple_attr(node, "stride"))
    if any(d != 1 for d in tuple_attr(node, "dilation")):
        p.dilation.extend(tuple_attr(node, "dilation"))
    if groups != 1:
        p.group = groups


def _transpose_pads(node: Node, rank: int):
    pad = node.attrs["padding"]
    pad = 0 if pad == "valid" else pad
    if isinstance(pad, tuple) and len(pad) == 2 * rank:
        return tuple(pad[:rank]), tuple(pad[rank:])
    p = as_tuple(pad, rank, "padding")
    return tuple(p), tuple(p)


def conv_transpose(ctx: CaffeContext, node: Node) -> None:
    a = node.attrs
    rank = _rank(node)
    cin = ctx.in_shape(node)[1]
    cout, groups = a["out"], a["groups"]
    begins, ends = _transpose_pads(node, rank)
    out_sizes = ctx.out_shape(node)[2:]
    key = node.name
    if rank == 3:
        _conv_transpose3d(ctx, node, cin, cout, groups, begins, out_sizes)
        return

    def body(x, lift, final):
        taps = lift(tuple_attr(node, "kernel"), 1)
        stride = lift(tuple_attr(node, "stride"), 1)
        dilation = lift(tuple_attr(node, "dilation"), 1)
        # OpenCV's Deconvolution ignores dilation: write the dilated kernel out, zeros between
        kernel = tuple(d * (k - 1) + 1 for k, d in zip(taps, dilation, strict=True))
        b, e = lift(begins, 0), lift(ends, 0)
        want = lift(out_sizes, 1)
        n, _, h, w = ctx.shapes[x]
        full = tuple(
            (size - 1) * s + d * (k - 1) + 1
            for size, s, d, k in zip((h, w), stride, dilation, taps, strict=True)
        )
        native = b == e and all(f - 2 * p == o for f, p, o in zip(full, b, want, strict=True))
        overflow = any(p + o > f for p, o, f in zip(b, want, full, strict=True))
        blobs = [lambda wd: _dilate(wd[f"{key}.weight"], (cin, cout // groups, *taps), dilation)]
        with_bias = a["bias"] and not overflow
        if with_bias:
            blobs.append(weight(f"{key}.bias"))
        pads = b if native else (0, 0)
        shape = (n, cout) + tuple(f - 2 * p for f, p in zip(full, pads, strict=True))
        msg, top = _make(ctx, node, final and native, "deconv", "Deconvolution", [x], shape, blobs)
        p = msg.convolution_param
        p.num_output = cout
        if not with_bias:
            p.bias_term = False
        if any(pads):
            _set_hw(p, "pad_h", "pad_w", pads)
        _set_hw(p, "kernel_h", "kernel_w", kernel)
        if any(s != 1 for s in stride):
            _set_hw(p, "stride_h", "stride_w", stride)
        if groups != 1:
            p.group = groups
        if native:
            return top
        # crop [b, b + want) of the full output; past its end only the bias remains
        for i, (start, size, f) in enumerate(zip(b, want, full, strict=True)):
            top = cn.take(ctx, node, f"crop{i}", top, 2 + i, start, min(start + size, f))
        extra = tuple(max(0, s + o - f) for s, o, f in zip(b, want, full, strict=True))
        if any(extra):
            top = cn.pad(ctx, node, top, (0, 0), extra)
        if a["bias"] and overflow:
            return _channel_affine(ctx, node, final, top, None, weight(f"{key}.bias"))
        if final:
            ctx.alias(node, top)
        return top

    _with_lift(ctx, node, body)


def _conv_transpose3d(ctx, node, cin, cout, groups, begins, out_sizes) -> None:
    """OpenCV runs no 3-D Deconvolution, so the same map as a plain convolution: zeros
    inserted between inputs (a 0/1 matrix per axis), padded by dilation * (kernel - 1) minus
    the transposed padding (cropped where that is negative), then a stride-1 Convolution
    with the kernel flipped and its in/out channels swapped per group."""
    kernel, stride = tuple_attr(node, "kernel"), tuple_attr(node, "stride")
    dilation = tuple_attr(node, "dilation")
    x = ctx.x(node)
    for i, s in enumerate(stride):
        size = ctx.shapes[x][2 + i]
        if s > 1:
            spread = np.zeros(((size - 1) * s + 1, size))
            spread[np.arange(size) * s, np.arange(size)] = 1.0
            x = cn.axis_matmul(ctx, node, f"spread{i}", x, 2 + i, spread)
    pb, pe = [], []
    for i, (k, d, b, o) in enumerate(zip(kernel, dilation, begins, out_sizes, strict=True)):
        size = ctx.shapes[x][2 + i]
        pb.append(d * (k - 1) - b)
        pe.append(o + d * (k - 1) - size - pb[-1])
    for i, (b, e) in enumerate(zip(pb, pe, strict=True)):
        size = ctx.shapes[x][2 + i]
        x = cn.take(ctx, node, f"crop{i}", x, 2 + i, max(-b, 0), size - max(-e, 0))
    x = cn.pad(ctx, node, x, tuple(max(b, 0) for b in pb), tuple(max(e, 0) for e in pe))
    key, a = node.name, node.attrs

    def flipped(wd):
        w = np.asarray(wd[f"{key}.weight"], np.float32)
        w = w.reshape(groups, cin // groups, cout // groups, *kernel).swapaxes(1, 2)
        return np.ascontiguousarray(w[..., ::-1, ::-1, ::-1].reshape(cout, cin // groups, *kernel))

    blobs = [flipped] + ([weight(f"{key}.bias")] if a["bias"] else [])
    p = ctx.final(node, "Convolution", [x], blobs).convolution_param
    p.num_output = cout
    if not a["bias"]:
        p.bias_term = False
    p.kernel_size.extend(kernel)
    if any(d != 1 for d in dilation):
        p.dilation.extend(dilation)
    if groups != 1:
        p.group = groups


def _dilate(w, shape, dilation) -> np.ndarray:
    """A kernel with dilation - 1 zeros between its taps (the same transposed conv)."""
    w = np.asarray(w, np.float32).reshape(shape)
    out = np.zeros(
        (*shape[:2], *(d * (k - 1) + 1 for k, d in zip(shape[2:], dilation, strict=True))),
        np.float32,
    )
    out[:, :, :: dilation[0], :: dilation[1]] = w
    return out


def _channel_affine(ctx, node, final, bottom, scale_fn, bias_fn):
    """x * scale[c] + bias[c] with Caffe's Scale layer (scale 1 when scale_fn is None)."""
    c = ctx.shapes[bottom][1]
    scale_fn = scale_fn or const(np.ones(c))
    blobs = [scale_fn] + ([bias_fn] if bias_fn else [])
    msg, top = _make(ctx, node, final, "scale", "Scale", [bottom], ctx.shapes[bottom], blobs)
    msg.scale_param.axis = 1
    if bias_fn:
        msg.scale_param.bias_term = True
    return top


# ------------------------------------------------------------------ pooling


def _pool_layer(ctx, node, final, suffix, x, method, kernel, stride, pads, want):
    """One Caffe Pooling layer; the rounding flag is chosen so the output size is `want`
    (Caffe rounds up by default; OpenCV reads `ceil_mode: false` for floor)."""
    n, c, h, w = ctx.shapes[x]
    ceil = tuple(
        _window_out(s, k, st, p, p, 1, True)
        for s, k, st, p in zip((h, w), kernel, stride, pads, strict=True)
    )
    floor = tuple(
        _window_out(s, k, st, p, p)
        for s, k, st, p in zip((h, w), kernel, stride, pads, strict=True)
    )
    if tuple(want) == ceil:
        use_floor = False
    elif tuple(want) == floor:
        use_floor = True
    else:
        raise unsupported(node, f"no Caffe rounding gives the output size {tuple(want)}")
    msg, top = _make(ctx, node, final, suffix, "Pooling", [x], (n, c, *want))
    p = msg.pooling_param
    p.pool = {"MAX": 0, "AVE": 1}[method]
    _set_hw(p, "kernel_h", "kernel_w", kernel)
    _set_hw(p, "stride_h", "stride_w", stride)
    if any(pads):
        _set_hw(p, "pad_h", "pad_w", pads)
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
    msg, top = _make(ctx, node, final, "avg", "Eltwise", [summed, inv], ctx.shapes[summed])
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

    _with_lift(ctx, node, body)


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
    _reshape_final(ctx, node, x)


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
                _set_hw(p, "stride_h", "stride_w", stride)
            taps.append(t)
    if len(taps) == 1:
        if final:
            ctx.alias(node, taps[0])
        return taps[0]
    msg, top = _make(ctx, node, final, "max", "Eltwise", taps, ctx.shapes[taps[0]])
    msg.eltwise_param.operation = 2
    return top


def global_pool(ctx: CaffeContext, node: Node) -> None:
    shape = ctx.in_shape(node)
    x = ctx.x(node)
    out = ctx.out_shape(node)
    if len(shape) != 4:
        x = cn.reshape(ctx, node, "to2d", x, (shape[0], shape[1], 1, int(np.prod(shape[2:]))))
    final = len(shape) == 4 and len(out) == 4
    msg, top = _make(ctx, node, final, "pool", "Pooling", [x], (shape[0], shape[1], 1, 1))
    msg.pooling_param.pool = 0 if node.op == "globalmaxpool" else 1
    msg.pooling_param.global_pooling = True
    if not final:
        _reshape_final(ctx, node, top)


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
            _set_hw(msg.pooling_param, "kernel_h", "kernel_w", kernel)
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
        _reshape_final(ctx, node, x)
        return
    _with_lift(
        ctx, node, lambda x, lift, final: _adaptive_max2d(ctx, node, final, x, lift(want, 1))
    )


# ------------------------------------------------------------------ dense and shapes


def dense(ctx: CaffeContext, node: Node) -> None:
    a = node.attrs
    blobs = [weight(f"{node.name}.weight")]
    if a["bias"]:
        blobs.append(weight(f"{node.name}.bias"))
    msg = ctx.final(node, "InnerProduct", [ctx.x(node)], blobs)
    p = msg.inner_product_param
    p.num_output = a["units"]
    if not a["bias"]:
        p.bias_term = False
    rank = len(ctx.in_shape(node))
    if rank != 2:
        p.axis = rank - 1


def flatten(ctx: CaffeContext, node: Node) -> None:
    msg = ctx.final(node, "Flatten", [ctx.x(node)])
    if node.attrs["axis"] != 1:
        msg.flatten_param.axis = node.attrs["axis"]


def reshape(ctx: CaffeContext, node: Node) -> None:
    _reshape_final(ctx, node, ctx.x(node))


def transpose(ctx: CaffeContext, node: Node) -> None:
    perm = node.attrs["perm"]
    msg = ctx.final(node, "Permute", [ctx.x(node)])
    msg.permute_param.order.extend(perm if isinstance(perm, tuple) else (perm,))


def dropout(ctx: CaffeContext, node: Node) -> None:
    msg = ctx.final(node, "Dropout", [ctx.x(node)])
    msg.dropout_param.dropout_ratio = node.attrs["rate"]


def identity(ctx: CaffeContext, node: Node) -> None:
    ctx.alias(node, ctx.x(node))


def add_mul(ctx: CaffeContext, node: Node) -> None:
    shapes = {ctx.shapes[ctx.v(i)] for i in node.inputs}
    if len(shapes) != 1:
        raise unsupported(node, f"inputs of different shapes {sorted(shapes)} (broadcasting)")
    msg = ctx.final(node, "Eltwise", [ctx.v(i) for i in node.inputs])
    if node.op == "mul":
        msg.eltwise_param.operation = 0


def concat(ctx: CaffeContext, node: Node) -> None:
    msg = ctx.final(node, "Concat", [ctx.v(i) for i in node.inputs])
    if node.attrs["axis"] != 1:
        msg.concat_param.axis = node.attrs["axis"]


def split(ctx: CaffeContext, node: Node) -> None:
    axis = node.attrs["axis"]
    sizes = [ctx.out_shape(node, i)[axis] for i in range(len(node.outputs))]
    msg = ctx.final(node, "Slice", [ctx.x(node)])
    msg.slice_param.axis = axis
    msg.slice_param.slice_point.extend(np.cumsum(sizes)[:-1].tolist())


def center_crop(ctx: CaffeContext, node: Node) -> None:
    x, ref = (ctx.shapes[ctx.v(i)] for i in node.inputs)
    msg = ctx.final(node, "Crop", [ctx.v(i) for i in node.inputs])
    msg.crop_param.axis = 2
    msg.crop_param.offset.extend(
        (big - small) // 2 for big, small in zip(x[2:], ref[2:], strict=True)
    )


def zeropad(ctx: CaffeContext, node: Node) -> None:
    rank = _rank(node)
    p = node.attrs["padding"]
    if isinstance(p, tuple) and len(p) == 2 * rank:
        begins, ends = p[:rank], p[rank:]
    else:
        begins = ends = as_tuple(p, rank, "padding")
    ctx.alias(node, cn.pad(ctx, node, ctx.x(node), tuple(begins), tuple(ends)))


# ------------------------------------------------------------------ resizing


def _resize_matrix(size: int, out: int, mode: str, align: bool, scale: float | None):
    """PyTorch's interpolation along one axis as an (out, size) matrix."""
    m = np.zeros((out, size))
    ratio = (1.0 / scale) if scale else size / out
    for o in range(out):
        if mode == "nearest":
            m[o, min(int(math.floor(o * ratio)), size - 1)] = 1.0
            continue
        if align:
            src = o * (size - 1) / (out - 1) if out > 1 else 0.0
        else:
            src = max((o + 0.5) * ratio - 0.5, 0.0)
        i0 = min(int(math.floor(src)), size - 1)
        i1 = min(i0 + 1, size - 1)
        frac = src - i0
        m[o, i0] += 1.0 - frac
        m[o, i1] += frac
    return m


def resize(ctx: CaffeContext, node: Node) -> None:
    a = node.attrs
    shape, out = ctx.in_shape(node), ctx.out_shape(node)
    rank = len(shape) - 2
    scales = as_tuple(a["scale"], rank, "scale") if node.op == "upsample" else (None,) * rank
    align = bool(a.get("align_corners", False))
    x = ctx.x(node)
    for i in range(rank):
        axis = 2 + i
        if shape[axis] == out[axis]:
            continue  # every mode maps a same-size axis onto itself
        m = _resize_matrix(shape[axis], out[axis], a["mode"], align, scales[i])
        x = cn.axis_matmul(ctx, node, f"resize{axis}", x, axis, m)
    ctx.alias(node, x)


# ------------------------------------------------------------------ normalisation


def batchnorm(ctx: CaffeContext, node: Node) -> None:
    """Caffe's BatchNorm (mean, variance, scale factor 1) and a Scale layer for gamma/beta."""
    k = node.name
    bn, top = ctx.tmp(
        node,
        "bn",
        "BatchNorm",
        [ctx.x(node)],
        ctx.in_shape(node),
        blobs=[weight(f"{k}.running_mean"), weight(f"{k}.running_var"), const([1.0])],
    )
    bn.batch_norm_param.use_global_stats = True
    bn.batch_norm_param.eps = node.attrs["eps"]
    _channel_affine(ctx, node, True, top, weight(f"{k}.weight"), weight(f"{k}.bias"))


def _mvn_last(ctx, node, x, shape, rows) -> str:
    """Normalise x over everything after its first `rows` dims (Caffe's MVN over the
    trailing axes of a 3-D blob), as (x - mean) / sqrt(var + eps)."""
    n = shape[0]
    inner = int(np.prod(shape[rows:]))
    outer = int(np.prod(shape[1:rows]))
    folded = cn.reshape(ctx, node, "fold", x, (n, outer, inner))
    msg, top = ctx.tmp(node, "mvn", "MVN", [folded], (n, outer, inner))
    msg.mvn_param.eps = node.attrs["eps"]
    return cn.reshape(ctx, node, "unfold", top, shape)


def layernorm(ctx: CaffeContext, node: Node) -> None:
    """Over the last dim (DLIR's layernorm), then gamma/beta by a Scale on that axis."""
    shape = ctx.in_shape(node)
    top = _mvn_last(ctx, node, ctx.x(node), shape, len(shape) - 1)
    k = node.name
    msg = ctx.final(node, "Scale", [top], [weight(f"{k}.weight"), weight(f"{k}.bias")])
    msg.scale_param.axis = len(shape) - 1
    msg.scale_param.bias_term = True


def groupnorm(ctx: CaffeContext, node: Node) -> None:
    """Channels folded into (groups, C / groups), MVN per group, gamma/beta per channel."""
    shape = ctx.in_shape(node)
    g = node.attrs["groups"]
    grouped = cn.reshape(ctx, node, "groups", ctx.x(node), (shape[0], g, shape[1] // g, *shape[2:]))
    top = _mvn_last(ctx, node, grouped, ctx.shapes[grouped], 2)
    top = cn.reshape(ctx, node, "channels", top, shape)
    k = node.name
    _channel_affine(ctx, node, True, top, weight(f"{k}.weight"), weight(f"{k}.bias"))


def lrn(ctx: CaffeContext, node: Node) -> None:
    """Caffe's LRN where it matches PyTorch and OpenCV (odd size, 4-D, k = 1: OpenCV's
    importer drops Caffe's `k`); otherwise the same formula,
    x * (k + alpha/size * window_sum(x^2)) ** -beta, from Power and a channel band matrix
    (PyTorch's window for even sizes is not centred the way Caffe's is)."""
    a = node.attrs
    shape = ctx.in_shape(node)
    if a["size"] % 2 == 1 and len(shape) == 4 and a["k"] == 1.0:
        msg = ctx.final(node, "LRN", [ctx.x(node)])
        p = msg.lrn_param
        p.local_size, p.alpha, p.beta, p.k = a["size"], a["alpha"], a["beta"], a["k"]
        return
    c, size = shape[1], a["size"]
    band = np.zeros((c, c))
    for i in range(c):
        lo, hi = i - size // 2, i + (size - 1) // 2
        band[i, max(lo, 0) : min(hi, c - 1) + 1] = 1.0
    sq = cn.power(ctx, node, "sq", ctx.x(node), exponent=2.0)
    summed = cn.axis_matmul(ctx, node, "window", sq, 1, band)
    scale = cn.power(ctx, node, "scale", summed, a["alpha"] / size, a["k"], -a["beta"])
    ctx.final(node, "Eltwise", [ctx.x(node), scale]).eltwise_param.operation = 0


# ------------------------------------------------------------------ activations


def _simple(kind: str, setup=None):
    def emit(ctx: CaffeContext, node: Node) -> None:
        msg = ctx.final(node, kind, [ctx.x(node)])
        if setup:
            setup(msg, node.attrs)

    return emit


def _relu_setup(msg, a):
    msg.relu_param.negative_slope = a["alpha"]


def _elu_setup(msg, a):
    msg.elu_param.alpha = a["alpha"]


def _softmax_setup(msg, a):
    if a["axis"] != 1:
        msg.softmax_param.axis = a["axis"]


def log_softmax(ctx: CaffeContext, node: Node) -> None:
    msg, top = ctx.tmp(node, "softmax", "Softmax", [ctx.x(node)], ctx.in_shape(node))
    _softmax_setup(msg, node.attrs)
    ctx.final(node, "Log", [top])


def embedding(ctx: CaffeContext, node: Node) -> None:
    """OpenCV runs no Caffe Embed layer, so: one-hot as relu(1 - |id - j|) for every id j
    (exact for integer ids, which Caffe blobs carry as floats), then an InnerProduct with
    the table transposed. Ids at or past `num` give a zero vector instead of an error."""
    shape = ctx.in_shape(node)
    num, axis = node.attrs["num"], len(shape)
    col = cn.reshape(ctx, node, "col", ctx.x(node), (*shape, 1))
    msg, diff = ctx.tmp(
        node,
        "minus_ids",
        "InnerProduct",
        [col],
        (*shape, num),
        [const(np.ones((num, 1))), const(-np.arange(num))],
    )
    msg.inner_product_param.num_output = num
    msg.inner_product_param.axis = axis
    dist = ctx.tmp(node, "dist", "AbsVal", [diff], (*shape, num))[1]
    near = cn.power(ctx, node, "near", dist, -1.0, 1.0)
    hot = ctx.tmp(node, "one_hot", "ReLU", [near], (*shape, num))[1]
    table = node.name + ".weight"
    msg = ctx.final(node, "InnerProduct", [hot], [lambda wd: np.asarray(wd[table], np.float32).T])
    p = msg.inner_product_param
    p.num_output = node.attrs["dim"]
    p.bias_term = False
    p.axis = axis


def prelu(ctx: CaffeContext, node: Node) -> None:
    """Caffe's PReLU (one slope per channel); OpenCV applies it right only to 4-D blobs,
    so other ranks go through [N, C, 1, rest]."""
    shape = ctx.in_shape(node)
    blobs = [weight(f"{node.name}.weight")]
    if len(shape) == 4:
        ctx.final(node, "PReLU", [ctx.x(node)], blobs)
        return
    flat = (shape[0], shape[1], 1, int(np.prod(shape[2:])))
    x = cn.reshape(ctx, node, "to4d", ctx.x(node), flat)
    top = ctx.tmp(node, "prelu", "PReLU", [x], flat, blobs)[1]
    _reshape_final(ctx, node, top)


def _clip01(ctx, node, x, top_value: float, final: bool):
    """min(max(x, 0), top) = top - relu(top - relu(x)) with ReLU and Power layers."""
    r = ctx.tmp(node, "relu", "ReLU", [x], ctx.shapes[x])[1]
    flip = cn.power(ctx, node, "flip", r, -1.0, top_value)
    r2 = ctx.tmp(node, "relu2", "ReLU", [flip], ctx.shapes[x])[1]
    msg, top = _make(ctx, node, final, "clip", "Power", [r2], ctx.shapes[x])
    msg.power_param.scale = -1.0
    msg.power_param.shift = top_value
    return top


def relu6(ctx: CaffeContext, node: Node) -> None:
    _clip01(ctx, node, ctx.x(node), 6.0, True)


def _hardsigmoid(ctx, node, final: bool) -> str:
    """relu6(x + 3) / 6 = clip(x / 6 + 1/2, 0, 1)."""
    shifted = cn.power(ctx, node, "affine", ctx.x(node), 1.0 / 6.0, 0.5)
    return _clip01(ctx, node, shifted, 1.0, final)


def hardsigmoid(ctx: CaffeContext, node: Node) -> None:
    _hardsigmoid(ctx, node, True)


def hardswish(ctx: CaffeContext, node: Node) -> None:
    gate = _hardsigmoid(ctx, node, False)
    ctx.final(node, "Eltwise", [ctx.x(node), gate]).eltwise_param.operation = 0


def silu(ctx: CaffeContext, node: Node) -> None:
    gate = ctx.tmp(node, "sigmoid", "Sigmoid", [ctx.x(node)], ctx.in_shape(node))[1]
    ctx.final(node, "Eltwise", [ctx.x(node), gate]).eltwise_param.operation = 0


# Abramowitz & Stegun 7.1.26: erf(z) = 1 - t (a1 + t (a2 + ...)) exp(-z^2), t = 1 / (1 + p z),
# z >= 0, absolute error below 1.5e-7.
_ERF_P = 0.3275911
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def gelu(ctx: CaffeContext, node: Node) -> None:
    """Caffe has no erf. Exact GELU as relu(x) - |x|/2 * (1 - erf(|x| / sqrt 2)), with erf
    from A&S 7.1.26 (error < 1.5e-7) out of AbsVal, Power, Exp and Eltwise; the "tanh" form
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) is written as is."""
    x = ctx.x(node)
    if node.attrs["approximate"] == "tanh":
        cube = cn.eltwise(ctx, node, "cube", [x, x, x], "PROD")
        msg, inner = ctx.tmp(node, "inner", "Eltwise", [x, cube], ctx.shapes[x])
        k = math.sqrt(2.0 / math.pi)
        msg.eltwise_param.operation = 1
        msg.eltwise_param.coeff.extend([k, k * 0.044715])
        th = ctx.tmp(node, "tanh", "TanH", [inner], ctx.shapes[x])[1]
        half = cn.power(ctx, node, "half", th, 0.5, 0.5)
        ctx.final(node, "Eltwise", [x, half]).eltwise_param.operation = 0
        return
    mag = ctx.tmp(node, "abs", "AbsVal", [x], ctx.shapes[x])[1]
    t = cn.power(ctx, node, "t", mag, _ERF_P / math.sqrt(2.0), 1.0, -1.0)
    poly = cn.power(ctx, node, "p4", t, _ERF_A[4], _ERF_A[3])
    for i in (2, 1, 0):  # Horner: ((a5 t + a4) t + a3) t + a2) t + a1, then times t
        poly = cn.eltwise(ctx, node, f"m{i}", [poly, t], "PROD")
        poly = cn.power(ctx, node, f"p{i}", poly, 1.0, _ERF_A[i])
    poly = cn.eltwise(ctx, node, "poly", [poly, t], "PROD")
    sq = cn.power(ctx, node, "sq", x, exponent=2.0)
    msg, gauss = ctx.tmp(node, "exp", "Exp", [sq], ctx.shapes[x])
    msg.exp_param.scale = -0.5
    tail = cn.eltwise(ctx, node, "tail", [mag, poly, gauss], "PROD")
    pos = ctx.tmp(node, "relu", "ReLU", [x], ctx.shapes[x])[1]
    msg = ctx.final(node, "Eltwise", [pos, tail])
    msg.eltwise_param.coeff.extend([1.0, -0.5])


SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def selu(ctx: CaffeContext, node: Node) -> None:
    msg, top = ctx.tmp(node, "elu", "ELU", [ctx.x(node)], ctx.in_shape(node))
    msg.elu_param.alpha = SELU_ALPHA
    ctx.final(node, "Power", [top]).power_param.scale = SELU_SCALE


TABLE = {
    "conv1d": conv,
    "conv2d": conv,
    "conv3d": conv,
    "depthwise_conv2d": conv,
    "conv_transpose1d": conv_transpose,
    "conv_transpose2d": conv_transpose,
    "conv_transpose3d": conv_transpose,
    **{f"{k}pool{r}d": pool for k in ("max", "avg") for r in (1, 2, 3)},
    "globalavgpool": global_pool,
    "globalmaxpool": global_pool,
    **{f"adaptive_avgpool{r}d": adaptive_avgpool for r in (1, 2, 3)},
    **{f"adaptive_maxpool{r}d": adaptive_maxpool for r in (1, 2, 3)},
    "dense": dense,
    "flatten": flatten,
    "reshape": reshape,
    "transpose": transpose,
    "dropout": dropout,
    "identity": identity,
    "add": add_mul,
    "mul": add_mul,
    "concat": concat,
    "split": split,
    "center_crop": center_crop,
    "upsample": resize,
    "resize": resize,
    **{f"zeropad{r}d": zeropad for r in (1, 2, 3)},
    "batchnorm": batchnorm,
    "lrn": lrn,
    "layernorm": layernorm,
    "groupnorm": groupnorm,
    "relu": _simple("ReLU"),
    "relu6": relu6,
    "leaky_relu": _simple("ReLU", _relu_setup),
    "prelu": prelu,
    "elu": _simple("ELU", _elu_setup),
    "selu": selu,
    "sigmoid": _simple("Sigmoid"),
    "tanh": _simple("TanH"),
    "silu": silu,
    "gelu": gelu,
    "hardswish": hardswish,
    "hardsigmoid": hardsigmoid,
    "softmax": _simple("Softmax", _softmax_setup),
    "lstm": rnn,
    "embedding": embedding,
    "attention": attention,
    "gru": rnn,
    "log_softmax": log_softmax,
}


# ------------------------------------------------------------------ entry points


def build(graph: Graph, input_shapes=None) -> CaffeContext:
    """Emit the whole graph; raises DiagnosticError for ops or configurations Caffe lacks."""
    ctx = CaffeContext(graph, input_shapes)
    emit_graph(graph, TABLE, ctx, TARGET)
    return ctx


def _header(graph: Graph, source: str) -> str:
    lines = [
        f"Caffe network {graph.name}, generated by papercc from {source}.",
        "Regenerate instead of editing: papercc gen FILE --target caffe.",
        "Weights: a .caffemodel from papercc.backends.caffe.caffemodel_bytes, matched by",
        "layer name. Input batch is 1 here; Caffe and OpenCV reshape to the batch given.",
        "Pooling uses OpenCV/NVIDIA Caffe's `ceil_mode: false` where DLIR rounds down",
        "(BVLC Caffe: `round_mode: FLOOR`).",
    ]
    return "".join(comment(line) + "\n" for line in lines)


def generate(graph: Graph, source: str = "<dlir>") -> str:
    """The .prototxt text of one model (batch dim 1 in the Input layers)."""
    return prototxt(graph, source)


def prototxt(graph: Graph, source: str = "<dlir>", input_shapes=None) -> str:
    """The .prototxt for given input shapes: needed when a non-batch input dim is a
    symbol (a sequence length T), since Caffe blobs and the unrolled RNNs are fixed-size."""
    return _header(graph, source) + to_text(build(graph, input_shapes).net)


def caffemodel_for(graph: Graph, weights: dict, input_shapes=None) -> bytes:
    """The .caffemodel matching `prototxt(graph, ..., input_shapes)`."""
    return _caffemodel(build(graph, input_shapes), weights)


def _caffemodel(ctx: CaffeContext, weights: dict) -> bytes:
    M = messages()
    model = M["NetParameter"](name=ctx.net.name)
    for layer in ctx.net.layer:
        fns = ctx.blobs.get(layer.name)
        if not fns:
            continue
        out = model.layer.add(name=layer.name, type=layer.type)
        for fn in fns:
            array = fn(weights)
            blob = out.blobs.add()
            blob.shape.dim.extend(array.shape)
            blob.MergeFromString(packed_floats(5, array))
    return model.SerializeToString()


def caffemodel_bytes(graph: Graph, weights: dict) -> bytes:
    """The binary .caffemodel (a NetParameter with each layer's blobs, matched by name)."""
    return _caffemodel(build(graph), weights)


def run(graph: Graph, weights: dict, inputs: list, source: str = "<dlir>") -> list:
    """Write prototxt + caffemodel to a temp dir, load them with OpenCV's Caffe importer
    and run one forward pass on the given inputs."""
    import os
    import tempfile

    import cv2

    ctx = build(graph, [tuple(x.shape) for x in inputs])
    # one named Split per output, so OpenCV can hand back any top of any layer
    names = []
    for i, v in enumerate(graph.outputs):
        name = ctx.layer_names(f"papercc_output_{i}")
        while name in ctx.blob_names.taken:
            name = ctx.layer_names(name)
        ctx.blob_names.taken.add(name)
        ctx.net.layer.add(name=name, type="Split", bottom=[ctx.v(v)], top=[name])
        names.append(name)
    with tempfile.TemporaryDirectory(prefix="papercc-caffe-") as tmp:
        proto = os.path.join(tmp, "net.prototxt")
        model = os.path.join(tmp, "net.caffemodel")
        with open(proto, "w", encoding="utf-8") as f:
            f.write(_header(graph, source) + to_text(ctx.net))
        with open(model, "wb") as f:
            f.write(_caffemodel(ctx, weights))
        net = cv2.dnn.readNetFromCaffe(proto, model)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.enableWinograd(False)
    net.enableFusion(False)  # OpenCV 4.14 fuses grouped Deconvolution + BatchNorm wrongly
    for v, x in zip(graph.inputs, inputs, strict=True):
        net.setInput(np.ascontiguousarray(x, dtype=np.float32), ctx.v(v))
    outs = net.forward(names)
    return [
        np.array(o).reshape(ctx.shapes[ctx.v(v)]) for o, v in zip(outs, graph.outputs, strict=True)
    ]
