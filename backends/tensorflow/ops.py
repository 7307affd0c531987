"""Emit functions of the TensorFlow backend, one per DLIR op, and `TABLE`.

Each function writes plain `tf.nn` / `tf.math` / `tf` calls into a `TfContext`. Convolutions
and pools run channels last with explicit `tf.pad` and "VALID", so "same" with stride 2,
asymmetric pads and ceil-mode windows are exact; ops whose meaning is tied to NCHW order
(flatten, reshape, dense on feature maps, recurrent layers) ask for channels first.
"""

from __future__ import annotations

import math

import numpy as np

from papercc.backends.codegen import py_literal as lit
from papercc.backends.emit import cannot_emit, explicit_pads, spatial_rank, tuple_attr
from papercc.backends.tensorflow.context import CF, CL, TfContext, axis_in, spatial_axes
from papercc.ir.graph import Node

NEG_INF = '-float("inf")'


def _static(dims, what: str, node: Node) -> tuple[int, ...]:
    """The sizes, which this op's TensorFlow code needs as numbers; a diagnostic at the
    layer when the model leaves one open (a symbol such as H, or `?`)."""
    if any(not isinstance(d, int) for d in dims):
        shown = ", ".join("?" if d is None else str(d) for d in dims)
        raise cannot_emit(
            node,
            f"layer {node.name} ({node.op}): the tensorflow backend needs its {what} "
            f"as numbers, the model leaves them open ({shown}); give the input a fixed size",
        )
    return tuple(dims)


def _pad(ctx: TfContext, node: Node, x: str, begins, ends, fill: str | None = None) -> str:
    """x (channels last) padded explicitly; x itself when nothing is padded."""
    if not any(begins) and not any(ends):
        return x
    pads = [[0, 0], *([b, e] for b, e in zip(begins, ends, strict=True)), [0, 0]]
    value = f", constant_values={fill}" if fill else ""
    return ctx.tmp(f"{node.name}_pad", f"tf.pad({x}, {lit(pads)}{value})")


def _every(step, rank: int) -> str:
    """An index taking every step-th position of each spatial dim of a channels-last tensor."""
    return "[:, " + ", ".join(f"::{s}" for s in step) + ", :]"


# ---------------------------------------------------------------------- convolutions


def _window_args(stride, dilation) -> str:
    """tf.nn.convolution's keyword arguments, defaults left out."""
    args = []
    if any(s != 1 for s in stride):
        args.append(f"strides={lit(stride)}")
    args.append('padding="VALID"')
    if any(d != 1 for d in dilation):
        args.append(f"dilations={lit(dilation)}")
    return ", ".join(args)


def conv(ctx: TfContext, node: Node) -> None:
    a, rank = node.attrs, spatial_rank(node)
    x = ctx.get(node.inputs[0], CL)
    begins, ends = explicit_pads(node)
    x = _pad(ctx, node, x, begins, ends)
    kernel = tuple_attr(node, "kernel")
    stride = tuple_attr(node, "stride")
    dilation = tuple_attr(node, "dilation")
    cin = node.inputs[0].type.shape[1]
    ones = (1,) * rank
    if node.op == "depthwise_conv2d":
        mult = a["multiplier"]
        out = cin * mult
        w = ctx.weight(
            node, "weight", (*kernel, cin, mult), reshape=(cin, mult, *kernel), perm=(2, 3, 0, 1)
        )
        # TF's depthwise kernel takes one stride for both dims and none with dilation
        late = stride != ones and (dilation != ones or stride[0] != stride[1])
        step = ones if late else stride
        expr = (
            f"tf.nn.depthwise_conv2d({x}, {w}, strides={lit((1, *step, 1))}, "
            f'padding="VALID"' + (f", dilations={lit(dilation)})" if dilation != ones else ")")
        )
    else:
        groups, out = a["groups"], a["out"]
        w = ctx.weight(
            node,
            "weight",
            (*kernel, cin // groups, out),
            perm=(*range(2, rank + 2), 1, 0),
        )
        # tf.nn.convolution rejects stride > 1 together with dilation > 1
        late = stride != ones and dilation != ones
        step = ones if late else stride
        args = _window_args(step, dilation)
        if groups > 1 and rank == 3:  # no grouped Conv3D kernel on CPU: one conv per group
            expr = (
                f"tf.concat([tf.nn.convolution(part, kern, {args}) for part, kern in "
                f"zip(tf.split({x}, {groups}, axis=-1), tf.split({w}, {groups}, axis=-1))], "
                "axis=-1)"
            )
        else:
            expr = f"tf.nn.convolution({x}, {w}, {args})"
    if late:
        full = ctx.tmp(f"{node.name}_dense", expr)
        expr = full + _every(stride, rank)
    if a["bias"]:
        expr = f"{expr} + {ctx.weight(node, 'bias', (out,))}"
    ctx.out(node, expr, CL)


def _transpose_pads(node: Node, rank: int) -> tuple[tuple, tuple]:
    pad = node.attrs["padding"]
    pad = 0 if pad == "valid" else pad
    if isinstance(pad, tuple) and len(pad) == 2 * rank:
        return tuple(pad[:rank]), tuple(pad[rank:])
    if isinstance(pad, int):
        return (pad,) * rank, (pad,) * rank
    both = tuple(pad) * (rank // len(pad))
    return both, both


def conv_transpose(ctx: TfContext, node: Node) -> None:
    a, rank = node.attrs, spatial_rank(node)
    xv = node.inputs[0]
    x = ctx.get(xv, CL)
    kernel = tuple_attr(node, "kernel")
    stride = tuple_attr(node, "stride")
    dilation = tuple_attr(node, "dilation")
    extra = tuple_attr(node, "output_padding")
    groups, out = a["groups"], a["out"]
    cin = xv.type.shape[1]
    sizes = xv.type.shape[2:]
    w = ctx.weight(node, "weight", (*kernel, out // groups, cin), perm=(*range(2, rank + 2), 1, 0))
    full = []
    for i, (n, k, s, d) in enumerate(zip(sizes, kernel, stride, dilation, strict=True)):
        tail = d * (k - 1) + 1
        full.append(
            (n - 1) * s + tail
            if isinstance(n, int)
            else f"(tf.shape({x})[{i + 1}] - 1) * {s} + {tail}"
        )
    dims = ", ".join(str(f) for f in full)
    shape = f"tf.stack([tf.shape({x})[0], {dims}, {out // groups}])"
    if any(d != 1 for d in dilation):  # zeros between the taps: TF's CPU kernel lacks dilation
        ctx.helpers.add("dilate_kernel")
        w = ctx.tmp(f"{node.name}_dilated", f"_dilate_kernel({w}, {lit(dilation)})")
        dilation = (1,) * rank
    args = f'{shape}, strides={lit(stride)}, padding="VALID", dilations={lit(dilation)}'
    if groups > 1:  # tf.nn.conv_transpose has no groups: one per group
        expr = (
            f"tf.concat([tf.nn.conv_transpose(part, kern, {args}) for part, kern in "
            f"zip(tf.split({x}, {groups}, axis=-1), tf.split({w}, {groups}, axis=-1))], axis=-1)"
        )
    else:
        expr = f"tf.nn.conv_transpose({x}, {w}, {args})"
    begins, ends = _transpose_pads(node, rank)
    if any(begins) or any(ends) or any(extra):
        y = ctx.tmp(f"{node.name}_full", expr)
        grow = [max(e - p, 0) for p, e in zip(ends, extra, strict=True)]
        if any(grow):  # output_padding beyond the cropped end: positions no input reaches
            y = _pad(ctx, node, y, (0,) * rank, grow)
        cut = [p - e if p > e else 0 for p, e in zip(ends, extra, strict=True)]
        slices = ", ".join(f"{b}:{-c if c else ''}" for b, c in zip(begins, cut, strict=True))
        expr = f"{y}[:, {slices}, :]"
    if a["bias"]:
        expr = f"{expr} + {ctx.weight(node, 'bias', (out,))}"
    ctx.out(node, expr, CL)


# ---------------------------------------------------------------------- pooling


def _window_geometry(node: Node):
    """kernel, stride, dilation, pad begins, pad ends incl. the ceil-mode overhang, overhang."""
    rank = spatial_rank(node)
    kernel = tuple_attr(node, "kernel")
    stride = tuple_attr(node, "stride")
    dilation = tuple_attr(node, "dilation") if "dilation" in node.attrs else (1,) * rank
    begins, ends = explicit_pads(node)
    overhang = [0] * rank
    if node.attrs.get("ceil_mode"):
        sizes = _static(node.inputs[0].type.shape[2:], "ceil-mode input sizes", node)
        outs = _static(node.outputs[0].type.shape[2:], "ceil-mode output sizes", node)
        for i in range(rank):
            span = (outs[i] - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1
            overhang[i] = max(span - (sizes[i] + begins[i] + ends[i]), 0)
    return kernel, stride, dilation, begins, ends, tuple(overhang)


def maxpool(ctx: TfContext, node: Node) -> None:
    rank = spatial_rank(node)
    kernel, stride, dilation, begins, ends, over = _window_geometry(node)
    x = ctx.get(node.inputs[0], CL)
    x = _pad(ctx, node, x, begins, tuple(e + o for e, o in zip(ends, over, strict=True)), NEG_INF)
    if dilation == (1,) * rank:
        ctx.out(node, f'tf.nn.max_pool({x}, {lit(kernel)}, {lit(stride)}, "VALID")', CL)
        return
    outs = _static(node.outputs[0].type.shape[2:], "dilated pooling output sizes", node)
    ctx.helpers.add("dilated_max_pool")
    ctx.out(
        node,
        f"_dilated_max_pool({x}, {lit(kernel)}, {lit(stride)}, {lit(dilation)}, {lit(outs)})",
        CL,
    )


def avgpool(ctx: TfContext, node: Node) -> None:
    rank = spatial_rank(node)
    kernel, stride, _, begins, ends, over = _window_geometry(node)
    xin = ctx.get(node.inputs[0], CL)
    pool = f'{lit(kernel)}, {lit(stride)}, "VALID")'
    padded = any(begins) or any(ends)
    if not padded and not any(over):
        ctx.out(node, f"tf.nn.avg_pool({xin}, {pool}", CL)
        return
    zero = (0,) * rank
    x = _pad(ctx, node, xin, begins, tuple(e + o for e, o in zip(ends, over, strict=True)))
    mean = f"tf.nn.avg_pool({x}, {pool}"
    include = node.attrs["count_include_pad"]
    if include and not any(over):
        ctx.out(node, mean, CL)
        return
    # divide by the elements PyTorch counts: real ones (and the padding, if included),
    # never the ceil-mode overhang past the padded end
    ones = ctx.tmp(f"{node.name}_ones", f"tf.ones_like({xin}[:1, ..., :1])")
    if include:
        mask = _pad(ctx, node, ones, begins, ends, "1.0")
        mask = _pad(ctx, node, mask, zero, over)
    else:
        mask = _pad(ctx, node, ones, begins, tuple(e + o for e, o in zip(ends, over, strict=True)))
    ctx.out(node, f"{mean} / tf.nn.avg_pool({mask}, {pool}", CL)


def global_pool(ctx: TfContext, node: Node) -> None:
    xv = node.inputs[0]
    x = ctx.get(xv)
    rank = len(xv.type.shape)
    layout = ctx.layout(xv)
    fn = "tf.reduce_mean" if node.op == "globalavgpool" else "tf.reduce_max"
    keep = node.attrs["keepdims"]
    axes = spatial_axes(layout, rank)
    ctx.out(node, f"{fn}({x}, axis={lit(list(axes))}, keepdims={lit(keep)})", layout)


def adaptive_pool(ctx: TfContext, node: Node) -> None:
    x = ctx.get(node.inputs[0], CL)
    reduce = "tf.reduce_mean" if "avg" in node.op else "tf.reduce_max"
    ctx.helpers.add("adaptive_pool")
    ctx.out(node, f"_adaptive_pool({x}, {lit(tuple_attr(node, 'output'))}, {reduce})", CL)


# ---------------------------------------------------------------------- dense and shapes


def dense(ctx: TfContext, node: Node) -> None:
    xv = node.inputs[0]
    x = ctx.get(xv, CF)
    fin, units = xv.type.shape[-1], node.attrs["units"]
    w = ctx.weight(node, "weight", (fin, units), perm=(1, 0))
    expr = f"tf.matmul({x}, {w})" if len(xv.type.shape) == 2 else f"tf.tensordot({x}, {w}, 1)"
    if node.attrs["bias"]:
        expr = f"{expr} + {ctx.weight(node, 'bias', (units,))}"
    ctx.out(node, expr)


def flatten(ctx: TfContext, node: Node) -> None:
    xv = node.inputs[0]
    rank = len(xv.type.shape)
    # NCHW order, so a following dense keeps PyTorch's weights; channels last gives the same
    # order when every spatial dim is 1 (after a global pool)
    trivial = all(d == 1 for d in xv.type.shape[2:]) and node.attrs["axis"] % rank <= 1
    x = ctx.get(xv) if trivial else ctx.get(xv, CF)
    axis = node.attrs["axis"] % rank
    rest = xv.type.shape[axis:]
    if axis == 1 and all(isinstance(d, int) for d in rest):
        ctx.out(node, f"tf.reshape({x}, [-1, {math.prod(rest)}])")
    else:
        ctx.out(node, f"tf.reshape({x}, tf.concat([tf.shape({x})[:{axis}], [-1]], 0))")


def reshape(ctx: TfContext, node: Node) -> None:
    x = ctx.get(node.inputs[0], CF)
    shape = node.attrs["shape"]
    shape = list(shape) if isinstance(shape, tuple) else [shape]
    ctx.out(node, f"tf.reshape({x}, tf.concat([tf.shape({x})[:1], {lit(shape)}], 0))")


def transpose(ctx: TfContext, node: Node) -> None:
    x = ctx.get(node.inputs[0], CF)
    perm = node.attrs["perm"]
    ctx.out(node, f"tf.transpose({x}, {lit(tuple(perm))})")


def identity(ctx: TfContext, node: Node) -> None:
    ctx.alias(node, node.inputs[0])


def embedding(ctx: TfContext, node: Node) -> None:
    a = node.attrs
    w = ctx.weight(node, "weight", (a["num"], a["dim"]))
    ctx.out(node, f"tf.gather({w}, {ctx.get(node.inputs[0])})")


def add_mul(ctx: TfContext, node: Node) -> None:
    layout = ctx.common_layout(node.inputs)
    sign = " + " if node.op == "add" else " * "
    ctx.out(node, sign.join(ctx.get(v, layout) for v in node.inputs), layout)


def concat(ctx: TfContext, node: Node) -> None:
    layout = ctx.common_layout(node.inputs)
    rank = len(node.outputs[0].type.shape)
    xs = ", ".join(ctx.get(v, layout) for v in node.inputs)
    axis = axis_in(layout, node.attrs["axis"], rank)
    ctx.out(node, f"tf.concat([{xs}], axis={axis})", layout)


def split(ctx: TfContext, node: Node) -> None:
    xv = node.inputs[0]
    x, layout = ctx.get(xv), ctx.layout(xv)
    rank = len(xv.type.shape)
    axis = node.attrs["axis"] % rank
    sizes = [v.type.shape[axis] for v in node.outputs]
    if len(sizes) == 1:  # one section: the tensor itself (tf.split would give a list)
        ctx.alias(node, xv)
        return
    parts = lit(sizes) if all(isinstance(s, int) for s in sizes) else str(len(sizes))
    ctx.out(node, f"tf.split({x}, {parts}, axis={axis_in(layout, axis, rank)})", layout)


def center_crop(ctx: TfContext, node: Node) -> None:
    xv, ref = node.inputs
    x, layout = ctx.get(xv), ctx.layout(xv)
    rank = len(xv.type.shape)
    index = [":"] * rank
    for axis in range(2, rank):
        big, small = xv.type.shape[axis], ref.type.shape[axis]
        start = (big - small) // 2
        index[axis_in(layout, axis, rank)] = f"{start}:{start + small}"
    ctx.out(node, f"{x}[{', '.join(index)}]", layout)


def zeropad(ctx: TfContext, node: Node) -> None:
    rank = int(node.op[len("zeropad")])
    p = node.attrs["padding"]
    if isinstance(p, tuple) and len(p) == 2 * rank:
        begins, ends = p[:rank], p[rank:]
    else:
        begins = ends = tuple(p) * (rank // len(p)) if isinstance(p, tuple) else (p,) * rank
    x = ctx.get(node.inputs[0], CL)
    pads = [[0, 0], *([b, e] for b, e in zip(begins, ends, strict=True)), [0, 0]]
    ctx.out(node, f"tf.pad({x}, {lit(pads)})", CL)


# ---------------------------------------------------------------------- resizing


def _nearest_index(n_in: int, n_out: int, scale: float | None = None) -> list[int]:
    """PyTorch's nearest: floor(dst * in / out) in float32, clamped to the input."""
    if n_in == n_out:
        return list(range(n_out))
    ratio = np.float32(1.0 / scale) if scale else np.float32(n_in / n_out)
    return [min(int(np.floor(np.float32(i) * ratio)), n_in - 1) for i in range(n_out)]


def _nearest_index_expr(x: str, axis: int, n_out: int) -> str:
    """_nearest_index as TensorFlow ops, for an input size known only when run."""
    n_in = f"tf.shape({x})[{axis}]"
    ratio = f"tf.cast(tf.cast({n_in}, tf.float64) / {n_out}, tf.float32)"
    index = f"tf.cast(tf.floor(tf.range({n_out}, dtype=tf.float32) * {ratio}), tf.int32)"
    return f"tf.minimum({index}, {n_in} - 1)"


def _linear_taps(n_in: int, n_out: int, corners: bool, scale: float | None = None):
    """Source indices and weights of PyTorch's (bi/tri)linear interpolation along one dim."""
    lo, hi, lam = [], [], []
    for i in range(n_out):
        if corners:
            src = i * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        else:
            ratio = 1.0 / scale if scale else n_in / n_out
            src = max((i + 0.5) * ratio - 0.5, 0.0)
        i0 = min(int(math.floor(src)), n_in - 1)
        lo.append(i0)
        hi.append(min(i0 + 1, n_in - 1))
        lam.append(float(np.float32(src - i0)))
    return lo, hi, lam


def resize(ctx: TfContext, node: Node) -> None:
    a, rank = node.attrs, spatial_rank(node)
    xv = node.inputs[0]
    x = ctx.get(xv, CL)
    scales = tuple_attr(node, "scale") if node.op == "upsample" else (None,) * rank
    corners = a.get("align_corners", False)
    if a["mode"] == "nearest":
        if node.op == "upsample":  # integer factors: PyTorch's floor rule is a repeat
            for axis, s in enumerate(scales, start=1):
                if s > 1:
                    x = ctx.tmp(f"{node.name}_rep", f"tf.repeat({x}, {s}, axis={axis})")
        else:
            outs = _static(node.outputs[0].type.shape[2:], "resized output sizes", node)
            for axis, (n, m) in enumerate(zip(xv.type.shape[2:], outs, strict=True), start=1):
                if not isinstance(n, int):  # known when run: the same floor rule in the graph
                    index = _nearest_index_expr(x, axis, m)
                elif n != m:
                    index = lit(_nearest_index(n, m))
                else:
                    continue
                x = ctx.tmp(f"{node.name}_rows", f"tf.gather({x}, {index}, axis={axis})")
        ctx.out(node, x, CL)
        return
    sizes = _static(xv.type.shape[2:], "resized input sizes", node)
    outs = _static(node.outputs[0].type.shape[2:], "resized output sizes", node)
    if rank == 2 and node.op == "resize":
        if corners:
            expr = (
                f"tf.raw_ops.ResizeBilinear(images={x}, size={lit(list(outs))}, "
                "align_corners=True, half_pixel_centers=False)"
            )
        else:
            expr = f'tf.image.resize({x}, {lit(list(outs))}, method="bilinear")'
        ctx.out(node, expr, CL)
        return
    # separable linear interpolation with static taps (1-D, 3-D, and upsample's scales)
    for axis, (n, m, s) in enumerate(zip(sizes, outs, scales, strict=True), start=1):
        if n == m and not corners:
            continue
        lo, hi, lam = _linear_taps(n, m, corners, s)
        shape = [1] * (rank + 2)
        shape[axis] = m
        weight = f"tf.reshape(tf.constant({lit(lam)}), {lit(shape)})"
        x = ctx.tmp(
            f"{node.name}_lerp",
            f"tf.gather({x}, {lit(lo)}, axis={axis}) * (1.0 - {weight}) + "
            f"tf.gather({x}, {lit(hi)}, axis={axis}) * {weight}",
        )
    ctx.out(node, x, CL)


# ---------------------------------------------------------------------- normalisation


def _channel_vector(ctx: TfContext, xv, layout: str, var: str) -> str:
    """A per-channel vector broadcast against x in its layout."""
    rank = len(xv.type.shape)
    if layout == CL or rank < 3:
        return var
    return f"tf.reshape({var}, {lit([-1] + [1] * (rank - 2))})"


def batchnorm(ctx: TfContext, node: Node) -> None:
    xv = node.inputs[0]
    x, layout = ctx.get(xv), ctx.layout(xv)
    c = xv.type.shape[1]
    gamma = ctx.weight(node, "weight", (c,))
    beta = ctx.weight(node, "bias", (c,))
    mean = ctx.weight(node, "running_mean", (c,), trainable=False)
    var = ctx.weight(node, "running_var", (c,), trainable=False)
    vec = [_channel_vector(ctx, xv, layout, v) for v in (mean, var, beta, gamma)]
    ctx.out(
        node,
        f"tf.nn.batch_normalization({x}, {vec[0]}, {vec[1]}, {vec[2]}, {vec[3]}, "
        f"{lit(float(node.attrs['eps']))})",
        layout,
    )


def layernorm(ctx: TfContext, node: Node) -> None:
    xv = node.inputs[0]
    x = ctx.get(xv, CF)
    d = xv.type.shape[-1]
    gamma = ctx.weight(node, "weight", (d,))
    beta = ctx.weight(node, "bias", (d,))
    mean, var = ctx.fresh(f"{node.name}_mean"), ctx.fresh(f"{node.name}_var")
    ctx.line(f"{mean}, {var} = tf.nn.moments({x}, axes=[-1], keepdims=True)")
    eps = lit(float(node.attrs["eps"]))
    ctx.out(node, f"({x} - {mean}) * tf.math.rsqrt({var} + {eps}) * {gamma} + {beta}")


def groupnorm(ctx: TfContext, node: Node) -> None:
    xv = node.inputs[0]
    x = ctx.get(xv, CF)
    c, g = xv.type.shape[1], node.attrs["groups"]
    gamma = ctx.weight(node, "weight", (c,))
    beta = ctx.weight(node, "bias", (c,))
    grouped = ctx.tmp(
        f"{node.name}_groups", f"tf.reshape({x}, tf.stack([tf.shape({x})[0], {g}, -1]))"
    )
    mean, var = ctx.fresh(f"{node.name}_mean"), ctx.fresh(f"{node.name}_var")
    ctx.line(f"{mean}, {var} = tf.nn.moments({grouped}, axes=[2], keepdims=True)")
    eps = lit(float(node.attrs["eps"]))
    normed = f"tf.reshape(({grouped} - {mean}) * tf.math.rsqrt({var} + {eps}), tf.shape({x}))"
    vec = [_channel_vector(ctx, xv, CF, v) for v in (gamma, beta)]
    ctx.out(node, f"{normed} * {vec[0]} + {vec[1]}")


def lrn(ctx: TfContext, node: Node) -> None:
    """PyTorch: x / (k + alpha/size * sum of x^2 over `size` channels)^beta, the window
    from c - size//2 to c + (size-1)//2. TF's kernel sums over c +- depth_radius and
    multiplies by its alpha directly: depth_radius = (size-1)/2, alpha/size, bias k."""
    a = node.attrs
    xv = node.inputs[0]
    x = ctx.get(xv, CL)
    size, alpha, beta, k = a["size"], float(a["alpha"]), float(a["beta"]), float(a["k"])
    if size % 2 and len(xv.type.shape) == 4:
        ctx.out(
            node,
            f"tf.nn.local_response_normalization({x}, depth_radius={(size - 1) // 2}, "
            f"bias={lit(k)}, alpha={lit(alpha / size)}, beta={lit(beta)})",
            CL,
        )
        return
    # even sizes (an asymmetric window) and other ranks: the sum written out
    rank = len(xv.type.shape)
    pads = [[0, 0]] * (rank - 1) + [[size // 2, (size - 1) // 2]]
    c = _static((xv.type.shape[1],), "lrn channels", node)[0]
    sq = ctx.tmp(f"{node.name}_sq", f"tf.pad(tf.square({x}), {lit(pads)})")
    total = f"tf.add_n([{sq}[..., i : i + {c}] for i in range({size})])"
    ctx.out(node, f"{x} / tf.pow({lit(k)} + {lit(alpha / size)} * {total}, {lit(beta)})", CL)


# ---------------------------------------------------------------------- activations


def _elementwise(template: str):
    """A layout-agnostic one-expression op; {x} is the input, {a[name]} an attribute."""

    def emit(ctx: TfContext, node: Node) -> None:
        xv = node.inputs[0]
        attrs = {k: lit(v) for k, v in node.attrs.items()}
        ctx.out(node, template.format(x=ctx.get(xv), a=attrs), ctx.layout(xv))

    return emit


def prelu(ctx: TfContext, node: Node) -> None:
    xv = node.inputs[0]
    x, layout = ctx.get(xv), ctx.layout(xv)
    alpha = _channel_vector(ctx, xv, layout, ctx.weight(node, "weight", (xv.type.shape[1],)))
    ctx.out(node, f"tf.maximum({x}, 0.0) + {alpha} * tf.minimum({x}, 0.0)", layout)


def dropout(ctx: TfContext, node: Node) -> None:
    ctx.line("# (identity at inference)")
    ctx.alias(node, node.inputs[0])


def gelu(ctx: TfContext, node: Node) -> None:
    xv = node.inputs[0]
    tanh = node.attrs["approximate"] == "tanh"
    ctx.out(node, f"tf.nn.gelu({ctx.get(xv)}, approximate={lit(tanh)})", ctx.layout(xv))


def softmax(ctx: TfContext, node: Node) -> None:
    xv = node.inputs[0]
    x, layout = ctx.get(xv), ctx.layout(xv)
    axis = axis_in(layout, node.attrs["axis"], len(xv.type.shape))
    fn = "tf.nn.softmax" if node.op == "softmax" else "tf.nn.log_softmax"
    ctx.out(node, f"{fn}({x}, axis={axis})", layout)


# ---------------------------------------------------------------------- sequences


def rnn(ctx: TfContext, node: Node) -> None:
    """Stacked (bi)directional LSTM/GRU with PyTorch's gate order and two biases."""
    a = node.attrs
    x = ctx.get(node.inputs[0], CF)
    dirs = 2 if a["bidirectional"] else 1
    helper = "lstm" if node.op == "lstm" else "gru"
    ctx.helpers.add(helper)
    finals = []
    for layer in range(a["layers"]):
        outs = []
        for d in range(dirs):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            args = []
            for name in (f"weight_ih{sfx}", f"weight_hh{sfx}"):
                rows, cols = ctx.spec_shape(node, name)
                args.append(ctx.weight(node, name, (cols, rows), perm=(1, 0)))
            for name in (f"bias_ih{sfx}", f"bias_hh{sfx}"):
                if ctx.has_weight(node, name):
                    args.append(ctx.weight(node, name, ctx.spec_shape(node, name)))
                else:
                    args.append("None")
            seq = ctx.tmp(
                f"{node.name}{sfx}", f"_{helper}({x}, {', '.join(args)}, reverse={lit(bool(d))})"
            )
            outs.append(seq)
            if layer == a["layers"] - 1:
                finals.append(f"{seq}[:, 0]" if d else f"{seq}[:, -1]")
        if dirs == 1:
            x = outs[0]
        else:
            x = ctx.tmp(f"{node.name}_l{layer}_both", f"tf.concat([{outs[0]}, {outs[1]}], axis=-1)")
    if a["sequences"]:
        ctx.out(node, x)
    else:
        ctx.out(node, finals[0] if dirs == 1 else f"tf.concat([{finals[0]}, {finals[1]}], axis=-1)")


def attention(ctx: TfContext, node: Node) -> None:
    d = node.inputs[0].type.shape[-1]
    w_in = ctx.weight(node, "in_proj_weight", (d, 3 * d), perm=(1, 0))
    w_out = ctx.weight(node, "out_proj.weight", (d, d), perm=(1, 0))
    if node.attrs["bias"]:
        b_in = ctx.weight(node, "in_proj_bias", (3 * d,))
        b_out = ctx.weight(node, "out_proj.bias", (d,))
    else:
        b_in = b_out = "None"
    q, k, v = (ctx.get(i, CF) for i in node.inputs)
    ctx.helpers.add("attention")
    ctx.out(
        node,
        f"_attention({q}, {k}, {v}, {w_in}, {b_in}, {w_out}, {b_out}, {node.attrs['heads']})",
    )


TABLE = {
    **{f"conv{r}d": conv for r in (1, 2, 3)},
    "depthwise_conv2d": conv,
    **{f"conv_transpose{r}d": conv_transpose for r in (1, 2, 3)},
    **{f"maxpool{r}d": maxpool for r in (1, 2, 3)},
    **{f"avgpool{r}d": avgpool for r in (1, 2, 3)},
    "globalavgpool": global_pool,
    "globalmaxpool": global_pool,
    **{f"adaptive_{k}pool{r}d": adaptive_pool for k in ("avg", "max") for r in (1, 2, 3)},
    "dense": dense,
    "flatten": flatten,
    "reshape": reshape,
    "transpose": transpose,
    "dropout": dropout,
    "identity": identity,
    "embedding": embedding,
    "add": add_mul,
    "mul": add_mul,
    "concat": concat,
    "split": split,
    "center_crop": center_crop,
    "upsample": resize,
    "resize": resize,
    **{f"zeropad{r}d": zeropad for r in (1, 2, 3)},
    "batchnorm": batchnorm,
    "layernorm": layernorm,
    "groupnorm": groupnorm,
    "lrn": lrn,
    "relu": _elementwise("tf.nn.relu({x})"),
    "relu6": _elementwise("tf.nn.relu6({x})"),
    "leaky_relu": _elementwise("tf.nn.leaky_relu({x}, alpha={a[alpha]})"),
    "prelu": prelu,
    "elu": _elementwise("tf.where({x} > 0.0, {x}, {a[alpha]} * tf.math.expm1({x}))"),
    "selu": _elementwise("tf.nn.selu({x})"),
    "gelu": gelu,
    "sigmoid": _elementwise("tf.math.sigmoid({x})"),
    "tanh": _elementwise("tf.math.tanh({x})"),
    "silu": _elementwise("tf.nn.silu({x})"),
    "hardswish": _elementwise("{x} * tf.nn.relu6({x} + 3.0) / 6.0"),
    "hardsigmoid": _elementwise("tf.nn.relu6({x} + 3.0) / 6.0"),
    "softmax": softmax,
    "log_softmax": softmax,
    "lstm": rnn,
    "gru": rnn,
    "attention": attention,
}
