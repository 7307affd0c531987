"""Caffe backend: a `.prototxt` network definition and a binary `.caffemodel` of weights.

One emit function per DLIR op writes Caffe layers (tops and bottoms named after the DLIR
values, layers after the DLIR layers, both sanitised; a decomposition's inner layers are
`<layer>/<part>`). Where Caffe (or OpenCV's reading of it) has no layer for an op, the
function writes an exact rewrite into standard Caffe layers, so every registry op is
covered: asymmetric padding, relu6/hardswish/gelu, resizes, 3-D pools, LSTM/GRU, attention
and embedding included. The prototxt and the caffemodel come from one emit pass: layers
record their blobs as functions of the DLIR weights dict. `run` loads both into OpenCV's
DNN module, the Caffe runtime here. Layout is NCHW, as in DLIR.

Modules: caffe_proto (message classes, text and wire format), caffe_net (context, shared
rewrites), caffe_conv, caffe_pool, caffe_act, caffe_rnn, caffe_attention; this one has
the tensor plumbing, normalisation, the TABLE and the entry points.
"""

from __future__ import annotations

import math

import numpy as np

from papercc.backends.caffe import net as cn
from papercc.backends.caffe.act import ACTIVATION_TABLE
from papercc.backends.caffe.attention import attention
from papercc.backends.caffe.conv import CONV_TABLE
from papercc.backends.caffe.net import CaffeContext, const, unsupported, weight
from papercc.backends.caffe.pool import POOL_TABLE
from papercc.backends.caffe.proto import messages, packed_floats, to_text
from papercc.backends.caffe.rnn import rnn
from papercc.backends.codegen import comment
from papercc.backends.emit import emit_graph, lower
from papercc.ir.graph import Graph, Node
from papercc.ir.ops.rules import as_tuple

TARGET = "caffe"


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
    cn.reshape_final(ctx, node, ctx.x(node))


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
    rank = cn.spatial_rank(node)
    p = node.attrs["padding"]
    if isinstance(p, tuple) and len(p) == 2 * rank:
        begins, ends = p[:rank], p[rank:]
    else:
        begins = ends = as_tuple(p, rank, "padding")
    ctx.alias(node, cn.pad(ctx, node, ctx.x(node), tuple(begins), tuple(ends)))


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
    cn.channel_affine(ctx, node, True, top, weight(f"{k}.weight"), weight(f"{k}.bias"))


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
    cn.channel_affine(ctx, node, True, top, weight(f"{k}.weight"), weight(f"{k}.bias"))


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


TABLE = {
    **CONV_TABLE,
    **POOL_TABLE,
    **ACTIVATION_TABLE,
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
    "lrn": lrn,
    "layernorm": layernorm,
    "groupnorm": groupnorm,
    "lstm": rnn,
    "gru": rnn,
    "attention": attention,
}


# ------------------------------------------------------------------ entry points


def build(graph: Graph, input_shapes=None) -> CaffeContext:
    """Emit the whole graph; raises DiagnosticError for ops or configurations Caffe lacks."""
    graph = lower(graph, TABLE, TARGET)
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
    graph = ctx.graph  # lowered: the values the net computes
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
