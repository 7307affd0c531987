"""Convolutions for the Caffe backend: Convolution / Deconvolution layers, with explicit
padding where Caffe's symmetric pads cannot say it, 1-D as one-row 2-D, and the 3-D
transposed convolution OpenCV lacks rewritten as a plain one."""

from __future__ import annotations

import numpy as np

from papercc.backends.caffe import net as cn
from papercc.backends.caffe.net import CaffeContext, weight
from papercc.backends.emit import explicit_pads, tuple_attr
from papercc.ir.graph import Node
from papercc.ir.ops.rules import as_tuple


def conv(ctx: CaffeContext, node: Node) -> None:
    a = node.attrs
    cin = ctx.in_shape(node)[1]
    if node.op == "depthwise_conv2d":
        cout, groups = cin * a["multiplier"], cin
    else:
        cout, groups = a["out"], a["groups"]
    begins, ends = explicit_pads(node)
    key = node.name
    if cn.spatial_rank(node) == 3:
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
            cn.window_out(size, k, s, p, p, d)
            for size, k, s, p, d in zip((h, w), kernel, stride, b, dilation, strict=True)
        )
        wshape = (cout, cin // groups, *kernel)
        blobs = [lambda wd: np.asarray(wd[f"{key}.weight"], np.float32).reshape(wshape)]
        if a["bias"]:
            blobs.append(weight(f"{key}.bias"))
        msg, top = cn.make(ctx, node, final, "conv", "Convolution", [x], out, blobs)
        p = msg.convolution_param
        p.num_output = cout
        if not a["bias"]:
            p.bias_term = False
        if any(b):
            cn.set_hw(p, "pad_h", "pad_w", b)
        cn.set_hw(p, "kernel_h", "kernel_w", kernel)
        if any(s != 1 for s in stride):
            cn.set_hw(p, "stride_h", "stride_w", stride)
        if any(d != 1 for d in dilation):
            p.dilation.extend(dilation if dilation[0] != dilation[1] else dilation[:1])
        if groups != 1:
            p.group = groups
        return top

    cn.with_lift(ctx, node, body)


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
    rank = cn.spatial_rank(node)
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
        msg, top = cn.make(
            ctx, node, final and native, "deconv", "Deconvolution", [x], shape, blobs
        )
        p = msg.convolution_param
        p.num_output = cout
        if not with_bias:
            p.bias_term = False
        if any(pads):
            cn.set_hw(p, "pad_h", "pad_w", pads)
        cn.set_hw(p, "kernel_h", "kernel_w", kernel)
        if any(s != 1 for s in stride):
            cn.set_hw(p, "stride_h", "stride_w", stride)
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
            return cn.channel_affine(ctx, node, final, top, None, weight(f"{key}.bias"))
        if final:
            ctx.alias(node, top)
        return top

    cn.with_lift(ctx, node, body)


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


CONV_TABLE = {
    "conv1d": conv,
    "conv2d": conv,
    "conv3d": conv,
    "depthwise_conv2d": conv,
    "conv_transpose1d": conv_transpose,
    "conv_transpose2d": conv_transpose,
    "conv_transpose3d": conv_transpose,
}
