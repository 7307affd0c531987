"""Building a Caffe net: the context the Caffe emit functions write into, and the few
decompositions that several ops share (explicit padding, a linear map along one axis,
running a 2-D layer on a 1-D signal).

Caffe layers are fixed-shape, so every blob's concrete shape is tracked here: helpers that
slice, pad or permute need the sizes. The batch dim is the one symbol resolved to a
number (1 in the written prototxt, the real batch when run).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from papercc.backends.caffe.proto import messages
from papercc.backends.codegen import Unique
from papercc.backends.emit import cannot_emit
from papercc.ir.diagnostics import Diagnostic, DiagnosticError
from papercc.ir.graph import Graph, Node, Value
from papercc.ir.types import TensorType

BlobFn = Callable[[dict], np.ndarray]
_BAD = re.compile(r"[^0-9A-Za-z_/]")
# The fill of max-pool padding: the most negative float32, so an explicit pad never wins a
# max (a real -inf is avoided: 0 * x + -inf is not what every Power implementation gives).
NEG_FILL = float(np.finfo(np.float32).min)


def caffe_name(raw: str) -> str:
    """A readable layer/blob name of [A-Za-z0-9_/] (dots of DLIR's hierarchy become '_';
    '/' marks the layers of one DLIR layer's decomposition, as in Caffe's model zoo).
    The text format would escape anything, but plain names keep OpenCV's lookups simple."""
    return _BAD.sub("_", str(raw).strip()) or "_"


def unsupported(node: Node, why: str) -> DiagnosticError:
    return cannot_emit(
        node, f"the caffe backend cannot express layer {node.name} ({node.op}): {why}"
    )


class CaffeContext:
    """The NetParameter under construction, blob names and shapes, and per-layer blob
    recipes (functions of the DLIR weights dict), so one emit pass serves both the
    prototxt and the caffemodel."""

    def __init__(self, graph: Graph, input_shapes: list[tuple[int, ...]] | None = None):
        self.graph = graph
        self.net = messages()["NetParameter"](name=graph.name)
        self.layer_names = Unique(caffe_name)
        self.blob_names = Unique(caffe_name)
        self.top: dict[int, str] = {}
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.blobs: dict[str, list[BlobFn]] = {}
        self.symbols: dict[str, int] = {}
        for i, v in enumerate(graph.inputs):
            given = input_shapes[i] if input_shapes else None
            shape = self._bind(v, given)
            name = self.blob_names(v.name)
            layer = self.net.layer.add(name=self.layer_names(v.name), type="Input", top=[name])
            layer.input_param.shape.add(dim=list(shape))
            self.top[id(v)] = name
            self.shapes[name] = shape

    def _bind(self, v: Value, given) -> tuple[int, ...]:
        shape = []
        for axis, d in enumerate(v.type.shape or ()):
            if isinstance(d, int):
                shape.append(d)
                continue
            size = given[axis] if given is not None else (1 if axis == 0 else None)
            if size is None or (isinstance(d, str) and self.symbols.get(d, size) != size):
                raise DiagnosticError(
                    [
                        Diagnostic(
                            v.producer.span if v.producer else self.graph.span,
                            "error",
                            "unsupported-op",
                            f"input {v.name}: caffe needs a concrete size for dim {axis} ({d})",
                        )
                    ]
                )
            if isinstance(d, str):
                self.symbols[d] = size
            shape.append(int(size))
        return tuple(shape)

    # ------------------------------------------------------------- blobs and shapes

    def v(self, value: Value) -> str:
        return self.top[id(value)]

    def x(self, node: Node) -> str:
        return self.v(node.inputs[0])

    def shape_of(self, value: Value, node: Node) -> tuple[int, ...]:
        """A node output's concrete shape: DLIR's, symbols bound; where DLIR could not
        know a size (e.g. T + 1 from a symbolic T), the op's own shape rule re-run on the
        concrete input shapes."""
        out = []
        for d in value.type.shape or ():
            d = self.symbols.get(d, d) if isinstance(d, str) else d
            if not isinstance(d, int):
                return self._reinfer(value, node)
            out.append(d)
        return tuple(out)

    def _reinfer(self, value: Value, node: Node) -> tuple[int, ...]:
        inputs = [TensorType(v.type.dtype, self.shapes[self.v(v)]) for v in node.inputs]
        try:
            shape = node.opdef.infer(inputs, node.attrs)[value.index].shape
        except Exception:  # noqa: BLE001 - any failure means the size stays unknown
            shape = None
        if shape is None or not all(isinstance(d, int) for d in shape):
            raise unsupported(node, f"the size of {value.name} is not known ({value.type})")
        return tuple(shape)

    def in_shape(self, node: Node, i: int = 0) -> tuple[int, ...]:
        return self.shapes[self.v(node.inputs[i])]

    def out_shape(self, node: Node, i: int = 0) -> tuple[int, ...]:
        return self.shape_of(node.outputs[i], node)

    # ------------------------------------------------------------- layers

    def layer(
        self,
        name: str,
        kind: str,
        bottoms: list[str],
        shapes: list[tuple[int, ...]],
        tops: list[str] | None = None,
        blobs: list[BlobFn] | None = None,
    ):
        """Add a layer whose tops get the given shapes; returns (message, top names)."""
        lname = self.layer_names(name)
        tops = tops or [
            self.blob_names(name if len(shapes) == 1 else f"{name}_{i}") for i in range(len(shapes))
        ]
        msg = self.net.layer.add(name=lname, type=kind, bottom=bottoms, top=tops)
        for t, s in zip(tops, shapes, strict=True):
            self.shapes[t] = tuple(int(d) for d in s)
        if blobs:
            self.blobs[lname] = blobs
        return msg, tops

    def tmp(self, node: Node, suffix: str, kind: str, bottoms, shape, blobs=None):
        """An internal layer of a decomposition: one top, named after the DLIR layer."""
        msg, (top,) = self.layer(f"{node.name}/{suffix}", kind, list(bottoms), [shape], blobs=blobs)
        return msg, top

    def final(self, node: Node, kind: str, bottoms, blobs=None):
        """The layer that produces the node's outputs (tops named after the DLIR values)."""
        shapes = [self.out_shape(node, i) for i in range(len(node.outputs))]
        tops = [self.blob_names(v.name) for v in node.outputs]
        msg, tops = self.layer(node.name, kind, list(bottoms), shapes, tops, blobs)
        for v, t in zip(node.outputs, tops, strict=True):
            self.top[id(v)] = t
        return msg

    def alias(self, node: Node, top: str) -> None:
        """The node's (single) output is an existing blob."""
        self.top[id(node.outputs[0])] = top


def weight(key: str) -> BlobFn:
    return lambda w: np.asarray(w[key], dtype=np.float32)


def const(array) -> BlobFn:
    value = np.ascontiguousarray(array, dtype=np.float32)
    return lambda w: value


# ------------------------------------------------------------------ shared decompositions


def reshape(ctx: CaffeContext, node: Node, suffix: str, bottom: str, shape) -> str:
    msg, top = ctx.tmp(node, suffix, "Reshape", [bottom], shape)
    msg.reshape_param.shape.dim.extend([0, *shape[1:]])
    return top


def permute(ctx: CaffeContext, node: Node, suffix: str, bottom: str, order) -> str:
    src = ctx.shapes[bottom]
    msg, top = ctx.tmp(node, suffix, "Permute", [bottom], tuple(src[i] for i in order))
    msg.permute_param.order.extend(order)
    return top


def power(ctx, node, suffix, bottom, scale=1.0, shift=0.0, exponent=1.0) -> str:
    """Caffe's Power layer: (shift + scale * x) ** exponent."""
    msg, top = ctx.tmp(node, suffix, "Power", [bottom], ctx.shapes[bottom])
    p = msg.power_param
    if exponent != 1.0:
        p.power = exponent
    if scale != 1.0:
        p.scale = scale
    if shift != 0.0:
        p.shift = shift
    return top


def eltwise(ctx, node, suffix, bottoms, op: str) -> str:
    msg, top = ctx.tmp(node, suffix, "Eltwise", bottoms, ctx.shapes[bottoms[0]])
    msg.eltwise_param.operation = {"PROD": 0, "SUM": 1, "MAX": 2}[op]
    return top


def take(
    ctx: CaffeContext, node: Node, suffix: str, bottom: str, axis: int, start: int, stop: int
) -> str:
    """bottom[start:stop] along axis, with Caffe's Slice (the other pieces are left unused)."""
    shape = ctx.shapes[bottom]
    if start == 0 and stop == shape[axis]:
        return bottom
    points = [p for p in (start, stop) if 0 < p < shape[axis]]
    bounds = [0, *points, shape[axis]]
    pieces = [(a, b) for a, b in zip(bounds, bounds[1:], strict=False)]
    out_shapes = [shape[:axis] + (b - a,) + shape[axis + 1 :] for a, b in pieces]
    msg, tops = ctx.layer(f"{node.name}/{suffix}", "Slice", [bottom], out_shapes)
    msg.slice_param.axis = axis
    msg.slice_param.slice_point.extend(points)
    return tops[pieces.index((start, stop))]


def concat(ctx: CaffeContext, node: Node, suffix: str, bottoms: list[str], axis: int) -> str:
    if len(bottoms) == 1:
        return bottoms[0]
    shapes = [ctx.shapes[b] for b in bottoms]
    out = list(shapes[0])
    out[axis] = sum(s[axis] for s in shapes)
    msg, top = ctx.tmp(node, suffix, "Concat", bottoms, tuple(out))
    msg.concat_param.axis = axis
    return top


def fill_like(ctx, node, suffix, bottom, value: float) -> str:
    """A blob of bottom's shape filled with a constant: 0 * x + value."""
    msg, top = ctx.tmp(node, suffix, "Power", [bottom], ctx.shapes[bottom])
    msg.power_param.scale = 0.0
    if value:
        msg.power_param.shift = value
    return top


def pad(ctx: CaffeContext, node: Node, bottom: str, begins, ends, value: float = 0.0) -> str:
    """Explicit (possibly asymmetric) constant padding of the spatial dims: Caffe has no pad
    layer, so a constant block cut from `0 * x + value` is concatenated on each side."""
    if not any(begins) and not any(ends):
        return bottom
    fill = fill_like(ctx, node, "padfill", bottom, value)
    x = bottom
    for i, (b, e) in enumerate(zip(begins, ends, strict=True)):
        axis = 2 + i
        if not b and not e:
            continue
        if x != bottom:  # the fill must have the shape padded so far
            fill = fill_like(ctx, node, f"padfill{i}", x, value)
        before = _block(ctx, node, fill, axis, b, f"pad{i}b")
        after = _block(ctx, node, fill, axis, e, f"pad{i}e")
        x = concat(ctx, node, f"pad{i}", [p for p in (before, x, after) if p], axis)
    return x


def _block(ctx, node, fill: str, axis: int, n: int, tag: str) -> str | None:
    if not n:
        return None
    full, rest = divmod(n, ctx.shapes[fill][axis])
    blocks = [fill] * full + ([take(ctx, node, tag, fill, axis, 0, rest)] if rest else [])
    return concat(ctx, node, f"{tag}c", blocks, axis)


def axis_matmul(ctx: CaffeContext, node: Node, suffix: str, bottom: str, axis: int, matrix) -> str:
    """y[..., o, ...] = sum_i matrix[o, i] * x[..., i, ...] along one axis: an InnerProduct on
    the last axis (Permute around it otherwise). Resizes, adaptive average pools and LRN's
    channel window are all such linear maps."""
    matrix = np.asarray(matrix, dtype=np.float32)
    shape = ctx.shapes[bottom]
    last = len(shape) - 1
    x = bottom
    if axis != last:
        order = list(range(len(shape)))
        order[axis], order[last] = order[last], order[axis]
        x = permute(ctx, node, f"{suffix}_to", x, order)
    src = ctx.shapes[x]
    msg, top = ctx.tmp(
        node, suffix, "InnerProduct", [x], src[:-1] + (matrix.shape[0],), blobs=[const(matrix)]
    )
    p = msg.inner_product_param
    p.num_output = matrix.shape[0]
    p.bias_term = False
    p.axis = last
    if axis != last:
        top = permute(ctx, node, f"{suffix}_back", top, order)
    return top


# ------------------------------------------------------------------ emit helpers


def spatial_rank(node: Node) -> int:
    return len(node.inputs[0].type.shape) - 2


def lift_shape(shape):
    """[N, C, L] -> [N, C, 1, L]: Caffe's 2-D layers run 1-D signals as one-row images."""
    return (*shape[:2], 1, shape[2])


def with_lift(ctx: CaffeContext, node: Node, body) -> None:
    """Run a 2-D emit body on a 1-D node: reshape in, body (spatial params get a leading
    1 / 0), reshape out to the node's own output."""
    if spatial_rank(node) == 2:
        body(ctx.x(node), lambda t, fill: tuple(t), True)
        return
    x = reshape(ctx, node, "to2d", ctx.x(node), lift_shape(ctx.in_shape(node)))
    top = body(x, lambda t, fill: (fill, *t), False)
    reshape_final(ctx, node, top)


def reshape_final(ctx: CaffeContext, node: Node, bottom: str) -> None:
    msg = ctx.final(node, "Reshape", [bottom])
    msg.reshape_param.shape.dim.extend([0, *ctx.out_shape(node)[1:]])


def make(ctx: CaffeContext, node: Node, final: bool, suffix: str, kind, bottoms, shape, blobs=None):
    if final:
        msg = ctx.final(node, kind, list(bottoms), blobs)
        return msg, ctx.v(node.outputs[0])
    return ctx.tmp(node, suffix, kind, bottoms, shape, blobs)


def window_out(size, k, s, pb, pe, d=1, ceil=False):
    span = size + pb + pe - d * (k - 1) - 1
    return (-(-span // s) if ceil else span // s) + 1


def set_hw(p, prefix_h: str, prefix_w: str, values) -> None:
    setattr(p, prefix_h, int(values[0]))
    setattr(p, prefix_w, int(values[1]))


def channel_affine(ctx, node, final, bottom, scale_fn, bias_fn):
    """x * scale[c] + bias[c] with Caffe's Scale layer (scale 1 when scale_fn is None)."""
    c = ctx.shapes[bottom][1]
    scale_fn = scale_fn or const(np.ones(c))
    blobs = [scale_fn] + ([bias_fn] if bias_fn else [])
    msg, top = make(ctx, node, final, "scale", "Scale", [bottom], ctx.shapes[bottom], blobs)
    msg.scale_param.axis = 1
    if bias_fn:
        msg.scale_param.bias_term = True
    return top
