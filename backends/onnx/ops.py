"""ONNX emit functions for the feed-forward ops: one function per DLIR op (or family),
each writing standard-domain ONNX nodes into an `OnnxContext`.

Where ONNX and PyTorch differ, the difference is handled here: asymmetric padding goes
into `pads` (ONNX takes begins and ends), flatten to rank > 2 is a Reshape, adaptive
pooling with uneven bins is sliced per bin, LRN with an even window is spelled out as
PyTorch's formula (ONNX would put the extra channel after, PyTorch puts it before).
"""

from __future__ import annotations

import numpy as np

from papercc.backends.emit import cannot_emit, explicit_pads, spatial_rank, tuple_attr
from papercc.backends.onnx.graph import OnnxContext
from papercc.ir.diagnostics import DiagnosticError
from papercc.ir.graph import Node
from papercc.ir.ops.rules import as_tuple


def _needs_known(node: Node, what: str) -> DiagnosticError:
    return cannot_emit(node, f"layer {node.name} ({node.op}): the ONNX export needs {what}")


def _known_sizes(node: Node, value_index: int = 0) -> tuple[int, ...]:
    shape = node.inputs[value_index].type.shape
    sizes = tuple(shape[2:]) if shape is not None else ()
    if shape is None or not all(isinstance(d, int) for d in sizes):
        raise _needs_known(node, "known spatial sizes of its input")
    return sizes


def _weights(ctx: OnnxContext, node: Node, *names: str) -> list[str]:
    present = {spec.name for spec in node.weights}
    return [ctx.weight(node, n) for n in names if n in present]


# ---------------------------------------------------------------- convolution


def conv(ctx: OnnxContext, node: Node) -> None:
    begins, ends = explicit_pads(node)
    if node.op == "depthwise_conv2d":
        group = node.inputs[0].type.shape[1]
    else:
        group = node.attrs["groups"]
    ctx.out(
        node,
        "Conv",
        [ctx.x(node), *_weights(ctx, node, "weight", "bias")],
        kernel_shape=tuple_attr(node, "kernel"),
        strides=tuple_attr(node, "stride"),
        pads=[*begins, *ends],
        dilations=tuple_attr(node, "dilation"),
        group=group,
    )


def _transpose_pads(node: Node) -> tuple[tuple[int, ...], tuple[int, ...]]:
    rank = spatial_rank(node)
    pad = node.attrs["padding"]
    pad = 0 if pad == "valid" else pad
    if isinstance(pad, tuple) and len(pad) == 2 * rank:
        return tuple(pad[:rank]), tuple(pad[rank:])
    begins = tuple(as_tuple(pad, rank, "padding"))
    return begins, begins


def conv_transpose(ctx: OnnxContext, node: Node) -> None:
    """ConvTranspose. output_padding is first taken out of the end padding (the same
    output); what is left and not smaller than the stride (PyTorch allows it when smaller
    than the dilation, onnxruntime does not) becomes zero padding of the output before
    the bias is added: those positions get no input contribution."""
    begins, ends = _transpose_pads(node)
    stride = tuple_attr(node, "stride")
    extra = tuple_attr(node, "output_padding")
    left = [max(o - e, 0) for o, e in zip(extra, ends, strict=True)]
    ends = [max(e - o, 0) for o, e in zip(extra, ends, strict=True)]
    padded = [r if r >= s else 0 for r, s in zip(left, stride, strict=True)]
    attrs = {
        "kernel_shape": tuple_attr(node, "kernel"),
        "strides": stride,
        "pads": [*begins, *ends],
        "output_padding": [r - p for r, p in zip(left, padded, strict=True)],
        "dilations": tuple_attr(node, "dilation"),
        "group": node.attrs["groups"],
    }
    weight, *bias = _weights(ctx, node, "weight", "bias")
    if not any(padded):
        ctx.out(node, "ConvTranspose", [ctx.x(node), weight, *bias], **attrs)
        return
    y = ctx.op(node, "ConvTranspose", [ctx.x(node), weight], "conv", **attrs)
    pads = ctx.ints(node, "pads", [0] * (len(padded) + 2) + [0, 0, *padded])
    if not bias:
        ctx.out(node, "Pad", [y, pads], mode="constant")
        return
    y = ctx.op(node, "Pad", [y, pads], "pad", mode="constant")
    b = ctx.weights[f"{node.name}.bias"]
    b = ctx.weight(node, "bias", b.reshape((b.shape[0],) + (1,) * len(padded)))
    ctx.out(node, "Add", [y, b])


# ---------------------------------------------------------------- pooling


def _pool_input(ctx: OnnxContext, node: Node, fill: float) -> tuple[str, list[int]]:
    """The pool's input and its `pads`. onnxruntime rejects a pad not smaller than the
    kernel (as "same" padding with dilation gives); such padding is applied first with a
    Pad of `fill`, as PyTorch's backend does."""
    begins, ends = explicit_pads(node)
    kernel = tuple_attr(node, "kernel")
    if all(b < k and e < k for b, e, k in zip(begins, ends, kernel, strict=True)):
        return ctx.x(node), [*begins, *ends]
    pads = ctx.ints(node, "pads", [0, 0, *begins, 0, 0, *ends])
    value = ctx.const(node, "fill", np.array(fill, dtype=np.float32))
    padded = ctx.op(node, "Pad", [ctx.x(node), pads, value], "pad", mode="constant")
    return padded, [0] * (2 * len(kernel))


def maxpool(ctx: OnnxContext, node: Node) -> None:
    x, pads = _pool_input(ctx, node, -np.inf)
    ctx.out(
        node,
        "MaxPool",
        [x],
        kernel_shape=tuple_attr(node, "kernel"),
        strides=tuple_attr(node, "stride"),
        pads=pads,
        dilations=tuple_attr(node, "dilation"),
        ceil_mode=int(node.attrs["ceil_mode"]),
    )


def avgpool(ctx: OnnxContext, node: Node) -> None:
    x, pads = _pool_input(ctx, node, 0.0)
    if node.attrs["count_include_pad"] is False and x != ctx.x(node):
        raise _needs_known(node, "padding smaller than the kernel to exclude it from averages")
    ctx.out(
        node,
        "AveragePool",
        [x],
        kernel_shape=tuple_attr(node, "kernel"),
        strides=tuple_attr(node, "stride"),
        pads=pads,
        ceil_mode=int(node.attrs["ceil_mode"]),
        count_include_pad=int(node.attrs["count_include_pad"]),
    )


def global_pool(ctx: OnnxContext, node: Node) -> None:
    op = "GlobalAveragePool" if node.op == "globalavgpool" else "GlobalMaxPool"
    if node.attrs["keepdims"]:
        ctx.out(node, op, [ctx.x(node)])
        return
    pooled = ctx.op(node, op, [ctx.x(node)], "pool")
    ctx.out(node, "Flatten", [pooled], axis=1)


def adaptive_pool(ctx: OnnxContext, node: Node) -> None:
    """PyTorch's bins: [floor(i*L/n), ceil((i+1)*L/n)). Even bins are one pooling node;
    uneven ones are sliced and reduced per bin, axis by axis (max and mean are separable)."""
    kind = "Average" if "avg" in node.op else "Max"
    sizes = _known_sizes(node)
    outs = tuple_attr(node, "output")
    if all(L % n == 0 for L, n in zip(sizes, outs, strict=True)):
        kernel = [L // n for L, n in zip(sizes, outs, strict=True)]
        ctx.out(node, f"{kind}Pool", [ctx.x(node)], kernel_shape=kernel, strides=kernel)
        return
    reduce = "ReduceMean" if kind == "Average" else "ReduceMax"
    current = ctx.x(node)
    todo = [(i, L, n) for i, (L, n) in enumerate(zip(sizes, outs, strict=True)) if L != n]
    for step, (i, L, n) in enumerate(todo):
        axis = i + 2
        parts = []
        for j in range(n):
            lo, hi = (j * L) // n, -(-((j + 1) * L) // n)
            piece = ctx.op(
                node,
                "Slice",
                [
                    current,
                    ctx.ints(node, f"a{axis}_{j}_start", [lo]),
                    ctx.ints(node, f"a{axis}_{j}_end", [hi]),
                    ctx.ints(node, f"a{axis}_{j}_axes", [axis]),
                ],
                f"a{axis}_{j}_slice",
            )
            axes = ctx.ints(node, f"a{axis}_{j}_raxes", [axis])
            parts.append(ctx.op(node, reduce, [piece, axes], f"a{axis}_{j}_reduce", keepdims=1))
        if step == len(todo) - 1:
            ctx.out(node, "Concat", parts, axis=axis)
        else:
            current = ctx.op(node, "Concat", parts, f"a{axis}_concat", axis=axis)


# ---------------------------------------------------------------- linear and shape


def dense(ctx: OnnxContext, node: Node) -> None:
    x = ctx.x(node)
    weight, *bias = _weights(ctx, node, "weight", "bias")
    if node.inputs[0].type.rank == 2:
        ctx.out(node, "Gemm", [x, weight, *bias], transB=1)
        return
    wt = ctx.op(node, "Transpose", [weight], "weight_t", perm=[1, 0])
    if not bias:
        ctx.out(node, "MatMul", [x, wt])
        return
    y = ctx.op(node, "MatMul", [x, wt], "matmul")
    ctx.out(node, "Add", [y, bias[0]])


def flatten(ctx: OnnxContext, node: Node) -> None:
    rank = node.inputs[0].type.rank
    axis = node.attrs["axis"] % rank
    if axis == 1:
        ctx.out(node, "Flatten", [ctx.x(node)], axis=1)
        return
    # ONNX Flatten always gives rank 2; keep the leading dims with Reshape's 0
    ctx.out(node, "Reshape", [ctx.x(node), ctx.ints(node, "shape", [0] * axis + [-1])])


def reshape(ctx: OnnxContext, node: Node) -> None:
    shape = node.attrs["shape"]
    shape = shape if isinstance(shape, tuple) else (shape,)
    ctx.out(node, "Reshape", [ctx.x(node), ctx.ints(node, "shape", [0, *shape])])


def transpose(ctx: OnnxContext, node: Node) -> None:
    perm = node.attrs["perm"]
    ctx.out(
        node, "Transpose", [ctx.x(node)], perm=list(perm if isinstance(perm, tuple) else (perm,))
    )


def identity(ctx: OnnxContext, node: Node) -> None:
    """Identity (also dropout: the export is for inference)."""
    ctx.out(node, "Identity", [ctx.x(node)])


def embedding(ctx: OnnxContext, node: Node) -> None:
    ctx.out(node, "Gather", [ctx.weight(node, "weight"), ctx.x(node)], axis=0)


# ---------------------------------------------------------------- merge, split, crop


def add_mul(ctx: OnnxContext, node: Node) -> None:
    xs = [ctx.v(i) for i in node.inputs]
    if node.op == "add" and len(xs) > 2:
        ctx.out(node, "Sum", xs)
        return
    op = "Add" if node.op == "add" else "Mul"
    acc = xs[0]
    for i, other in enumerate(xs[1:-1]):
        acc = ctx.op(node, op, [acc, other], f"partial{i}")
    ctx.out(node, op, [acc, xs[-1]])


def concat(ctx: OnnxContext, node: Node) -> None:
    ctx.out(node, "Concat", [ctx.v(i) for i in node.inputs], axis=node.attrs["axis"])


def split(ctx: OnnxContext, node: Node) -> None:
    axis = node.attrs["axis"]
    sizes = [v.type.dim(axis) for v in node.outputs]
    if all(isinstance(s, int) for s in sizes):
        ctx.out(node, "Split", [ctx.x(node), ctx.ints(node, "split", sizes)], axis=axis)
    else:
        ctx.out(node, "Split", [ctx.x(node)], axis=axis, num_outputs=len(sizes))


def center_crop(ctx: OnnxContext, node: Node) -> None:
    big, small = _known_sizes(node, 0), _known_sizes(node, 1)
    starts = [(b - s) // 2 for b, s in zip(big, small, strict=True)]
    ends = [st + s for st, s in zip(starts, small, strict=True)]
    axes = list(range(2, 2 + len(big)))
    ctx.out(
        node,
        "Slice",
        [
            ctx.x(node),
            ctx.ints(node, "starts", starts),
            ctx.ints(node, "ends", ends),
            ctx.ints(node, "axes", axes),
        ],
    )


# ---------------------------------------------------------------- resizing and padding


def _resize_modes(mode: str, align_corners: bool) -> dict:
    """PyTorch's interpolate when the sizes are not known (see _nearest_by_gather): nearest
    is floor(dst * in/out); bilinear samples at half
    pixels (ONNX's pytorch_half_pixel, which samples index 0 for a length-1 output, is an
    older PyTorch's rule, not today's) or, with align_corners, the corners."""
    if mode == "nearest":
        return {
            "mode": "nearest",
            "coordinate_transformation_mode": "asymmetric",
            "nearest_mode": "floor",
        }
    return {
        "mode": "linear",
        "coordinate_transformation_mode": "align_corners" if align_corners else "half_pixel",
    }


def upsample(ctx: OnnxContext, node: Node) -> None:
    rank = spatial_rank(node)
    factors = tuple_attr(node, "scale")
    shape = node.inputs[0].type.shape
    if node.attrs["mode"] == "nearest" and all(isinstance(d, int) for d in shape[2:]):
        outs = [L * f for L, f in zip(shape[2:], factors, strict=True)]
        _nearest_by_gather(ctx, node, shape[2:], outs, [1.0 / f for f in factors])
        return
    scales = ctx.floats(node, "scales", [float(f) for f in factors])
    ctx.out(
        node,
        "Resize",
        [ctx.x(node), "", scales],
        axes=list(range(2, 2 + rank)),
        **_resize_modes(node.attrs["mode"], False),
    )


def resize(ctx: OnnxContext, node: Node) -> None:
    rank = spatial_rank(node)
    shape = node.inputs[0].type.shape
    if node.attrs["mode"] == "nearest" and all(isinstance(d, int) for d in shape[2:]):
        outs = tuple_attr(node, "size")
        _nearest_by_gather(ctx, node, shape[2:], outs, [None] * rank)
        return
    sizes = ctx.ints(node, "sizes", tuple_attr(node, "size"))
    ctx.out(
        node,
        "Resize",
        [ctx.x(node), "", "", sizes],
        axes=list(range(2, 2 + rank)),
        **_resize_modes(node.attrs["mode"], node.attrs["align_corners"]),
    )


def nearest_index(size: int, out: int, inverse_scale: float | None) -> np.ndarray:
    """PyTorch's nearest source index, float32 arithmetic as in its kernel:
    min(floor(dst * s), size - 1) with s = 1/scale_factor or else size/out."""
    if out == size:
        return np.arange(out, dtype=np.int64)
    if out == 2 * size:
        return np.arange(out, dtype=np.int64) >> 1
    s = np.float32(inverse_scale) if inverse_scale is not None else np.float32(size) / out
    src = np.floor(np.arange(out, dtype=np.float32) * s).astype(np.int64)
    return np.minimum(src, size - 1)


def _nearest_by_gather(ctx: OnnxContext, node: Node, sizes, outs, inverse_scales) -> None:
    """Nearest resizing as PyTorch computes it. Resize's asymmetric mode divides by
    out/in instead of multiplying by in/out, and 14 -> 2 then picks index 6, not 7; a
    Gather of precomputed indices per axis is exact."""
    x = ctx.x(node)
    steps = [
        (axis, nearest_index(L, n, inv))
        for axis, (L, n, inv) in enumerate(zip(sizes, outs, inverse_scales, strict=True), 2)
        if L != n
    ]
    if not steps:
        ctx.out(node, "Identity", [x])
        return
    for i, (axis, index) in enumerate(steps):
        index = ctx.const(node, f"index{axis}", index)
        if i == len(steps) - 1:
            ctx.out(node, "Gather", [x, index], axis=axis)
        else:
            x = ctx.op(node, "Gather", [x, index], f"gather{axis}", axis=axis)


def zeropad(ctx: OnnxContext, node: Node) -> None:
    rank = int(node.op[len("zeropad")])
    p = node.attrs["padding"]
    if isinstance(p, tuple) and len(p) == 2 * rank:
        begins, ends = p[:rank], p[rank:]
    else:
        begins = ends = as_tuple(p, rank, "padding")
    pads = ctx.ints(node, "pads", [0, 0, *begins, 0, 0, *ends])
    ctx.out(node, "Pad", [ctx.x(node), pads], mode="constant")


# ---------------------------------------------------------------- normalisation


def batchnorm(ctx: OnnxContext, node: Node) -> None:
    a = node.attrs
    ctx.out(
        node,
        "BatchNormalization",
        [ctx.x(node), *_weights(ctx, node, "weight", "bias", "running_mean", "running_var")],
        epsilon=float(a["eps"]),
        momentum=1.0 - float(a["momentum"]),  # ONNX keeps this share of the running stats
    )


def layernorm(ctx: OnnxContext, node: Node) -> None:
    ctx.out(
        node,
        "LayerNormalization",
        [ctx.x(node), *_weights(ctx, node, "weight", "bias")],
        axis=-1,
        epsilon=float(node.attrs["eps"]),
    )


def groupnorm(ctx: OnnxContext, node: Node) -> None:
    ctx.out(
        node,
        "GroupNormalization",
        [ctx.x(node), *_weights(ctx, node, "weight", "bias")],
        num_groups=node.attrs["groups"],
        epsilon=float(node.attrs["eps"]),
    )


def lrn(ctx: OnnxContext, node: Node) -> None:
    a = node.attrs
    attrs = {
        "size": a["size"],
        "alpha": float(a["alpha"]),
        "beta": float(a["beta"]),
        "bias": float(a["k"]),
    }
    if a["size"] % 2 and node.inputs[0].type.rank == 4 and a["alpha"] > 0 and a["beta"] > 0:
        ctx.out(node, "LRN", [ctx.x(node)], **attrs)
        return
    _lrn_formula(ctx, node)


def _lrn_formula(ctx: OnnxContext, node: Node) -> None:
    """LRN spelled out: for an even window (ONNX centres it differently, PyTorch takes
    size/2 channels before, ONNX after) and for what onnxruntime's LRN rejects (rank other
    than 4, alpha or beta 0). The squares are averaged over a channel window by a (size, 1)
    AveragePool on [N, 1, C, rest], as PyTorch does."""
    a, x = node.attrs, ctx.x(node)
    size = a["size"]
    channels = node.inputs[0].type.shape[1]
    sq = ctx.op(node, "Mul", [x, x], "square")
    flat = ctx.op(node, "Reshape", [sq, ctx.ints(node, "flat_shape", [0, 1, channels, -1])], "flat")
    pads = ctx.ints(node, "pads", [0, 0, size // 2, 0, 0, 0, (size - 1) // 2, 0])
    padded = ctx.op(node, "Pad", [flat, pads], "pad", mode="constant")
    mean = ctx.op(node, "AveragePool", [padded], "window", kernel_shape=[size, 1])
    shape = ctx.op(node, "Shape", [x], "shape")
    mean = ctx.op(node, "Reshape", [mean, shape], "mean")
    scaled = ctx.op(node, "Mul", [mean, ctx.const(node, "alpha", np.float32(a["alpha"]))], "scaled")
    base = ctx.op(node, "Add", [scaled, ctx.const(node, "k", np.float32(a["k"]))], "base")
    div = ctx.op(node, "Pow", [base, ctx.const(node, "beta", np.float32(a["beta"]))], "div")
    ctx.out(node, "Div", [x, div])


# ---------------------------------------------------------------- activations


def prelu(ctx: OnnxContext, node: Node) -> None:
    rank = node.inputs[0].type.rank
    slope = ctx.weights[f"{node.name}.weight"]
    # ONNX broadcasts the slope from the last dim; shape it [C, 1, ...] for channel dim 1
    slope = slope.reshape((slope.shape[0],) + (1,) * (rank - 2))
    ctx.out(node, "PRelu", [ctx.x(node), ctx.weight(node, "weight", slope)])


def relu6(ctx: OnnxContext, node: Node) -> None:
    lo = ctx.const(node, "min", np.array(0.0, dtype=np.float32))
    hi = ctx.const(node, "max", np.array(6.0, dtype=np.float32))
    ctx.out(node, "Clip", [ctx.x(node), lo, hi])


def silu(ctx: OnnxContext, node: Node) -> None:
    s = ctx.op(node, "Sigmoid", [ctx.x(node)], "sigmoid")
    ctx.out(node, "Mul", [ctx.x(node), s])


def _unary(op_type: str, copy: tuple[str, ...] = (), **fixed):
    """An emit function for a one-node op: attributes fixed here, plus the DLIR attributes
    named in `copy` under the same name (float-kind ones as floats: ONNX types them)."""

    def emit(ctx: OnnxContext, node: Node) -> None:
        kinds = node.opdef.attr_map
        copied = {
            k: float(node.attrs[k]) if kinds[k].kind == "float" else node.attrs[k] for k in copy
        }
        ctx.out(node, op_type, [ctx.x(node)], **fixed, **copied)

    return emit


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
    "dropout": identity,
    "identity": identity,
    "embedding": embedding,
    "add": add_mul,
    "mul": add_mul,
    "concat": concat,
    "split": split,
    "center_crop": center_crop,
    "upsample": upsample,
    "resize": resize,
    **{f"zeropad{r}d": zeropad for r in (1, 2, 3)},
    "batchnorm": batchnorm,
    "layernorm": layernorm,
    "groupnorm": groupnorm,
    "lrn": lrn,
    "relu": _unary("Relu"),
    "relu6": relu6,
    "leaky_relu": _unary("LeakyRelu", ("alpha",)),
    "prelu": prelu,
    "elu": _unary("Elu", ("alpha",)),
    "selu": _unary("Selu"),
    "gelu": _unary("Gelu", ("approximate",)),
    "sigmoid": _unary("Sigmoid"),
    "tanh": _unary("Tanh"),
    "silu": silu,
    "hardswish": _unary("HardSwish"),
    "hardsigmoid": _unary("HardSigmoid", alpha=1.0 / 6.0, beta=0.5),
    "softmax": _unary("Softmax", ("axis",)),
    "log_softmax": _unary("LogSoftmax", ("axis",)),
}
