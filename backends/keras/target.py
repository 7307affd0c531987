"""Keras 3 backend: a functional `keras.Model`, channels last inside, NCHW at the boundary.

TensorFlow on CPU cannot run channels-first convolutions, so every value carries a layout
tag: "ir" (the DLIR order, NCHW) or "cl" (channels last). Ops that work on feature maps
ask for "cl", ops whose meaning is tied to the DLIR order (dense, flatten, reshape,
sequences, model outputs) ask for "ir", and a `Permute` is inserted only where the tags
differ. Every Keras layer gets an explicit, unique name (the DLIR layer name where it has
one), so auto-named operations can never collide with them; `WEIGHT_LAYERS` in the
generated file maps DLIR layers to Keras layers and to the converter of their weights.
"""

from __future__ import annotations

import re

from papercc.backends.codegen import (
    Code,
    Names,
    Unique,
    comment,
    docstring_text,
    format_python,
    py_ident,
)
from papercc.backends.codegen import py_literal as lit
from papercc.backends.emit import (
    cannot_emit,
    emit_graph,
    explicit_pads,
    lower,
    spatial_rank,
    tuple_attr,
)
from papercc.backends.keras.template import CONVERTERS, HELPERS, LOADER
from papercc.ir.diagnostics import DiagnosticError
from papercc.ir.graph import Graph, Node, Value
from papercc.ir.ops.rules import resolve_padding

TARGET = "keras"
IR, CL = "ir", "cl"
_KERAS_BAD = re.compile(r"[^0-9A-Za-z_]")


def _fail(node: Node, message: str) -> DiagnosticError:
    return cannot_emit(node, f"layer {node.name}: {message}")


def keras_name(raw: str) -> str:
    """A Keras layer name: every character but [A-Za-z0-9_] (dots too: the torch backend
    rejects them in variable paths) replaced by "_"."""
    name = _KERAS_BAD.sub("_", raw.strip())
    return name if name[:1].isalnum() else "l" + name


class KerasContext:
    """What the emit functions write into: build_model lines, the weight map, helpers."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.vars = Names(
            reserved={"x", "model", "path", "get", "load_file", "build_model", "load_weights"}
            | {"WEIGHT_LAYERS", "CONVERTERS", *HELPERS, *(f"convert_{k}" for k in CONVERTERS)}
        )
        self.names = Unique(keras_name)  # unique Keras layer names
        self.lines: list[str] = []
        self.weight_layers: dict[str, tuple[str, tuple[str, ...]]] = {}
        self.helpers: set[str] = set()
        self.converters: set[str] = set()
        self.values: dict[int, dict[str, str]] = {}
        self.primary: dict[int, str] = {}
        self.main: dict[int, str] = {}
        self.inputs: list[str] = []
        for v in graph.inputs:
            self.main[id(v)] = self.names.fresh(v.name)
        for node in graph.nodes:
            self.main[id(node)] = self.names.fresh(node.name)
        for v in graph.inputs:
            var = self.vars(v.name)
            shape = tuple(d if isinstance(d, int) else None for d in v.type.shape[1:])
            dtype = {"f32": "float32", "f64": "float64", "f16": "float16"}.get(
                v.type.dtype, "int64" if v.type.dtype.startswith(("i", "u")) else "float32"
            )
            self.lines.append(
                f"{var} = keras.Input(shape={lit(shape)}, dtype={lit(dtype)}, "
                f"name={lit(self.main[id(v)])})"
            )
            self.inputs.append(var)
            self.set(v, var, IR)

    # ------------------------------------------------------------------ values and layouts

    def set(self, value: Value, var: str, layout: str) -> None:
        self.values.setdefault(id(value), {})[layout] = var
        self.primary.setdefault(id(value), layout)

    def layout(self, value: Value) -> str:
        return self.primary[id(value)]

    def get(self, value: Value, layout: str) -> str:
        """The value's variable in the wanted layout, adding a Permute when needed."""
        have = self.values[id(value)]
        rank = len(value.type.shape)
        if rank < 3:
            layout = IR
        if layout in have:
            return have[layout]
        src = have[CL if layout == IR else IR]
        dims = tuple(range(2, rank)) + (1,) if layout == CL else (rank - 1, *range(1, rank - 1))
        var = self.vars(f"{value.name}_{layout}")
        name = self.names.fresh(f"{value.name}.to_{'nhwc' if layout == CL else 'nchw'}")
        self.lines.append(f"{var} = layers.Permute({lit(dims)}, name={lit(name)})({src})")
        have[layout] = var
        return var

    def axis(self, value: Value, ir_axis: int, layout: str) -> int:
        """Where DLIR axis `ir_axis` of the value sits in the given layout."""
        rank = len(value.type.shape)
        ir_axis %= rank
        if layout == IR or rank < 3:
            return ir_axis
        return -1 if ir_axis == 1 else (0 if ir_axis == 0 else ir_axis - 1)

    # ------------------------------------------------------------------ emitting

    def name(self, node: Node) -> str:
        return self.main[id(node)]

    def aux(self, node: Node, suffix: str) -> str:
        return self.names.fresh(f"{node.name}.{suffix}")

    def call(self, var_hint: str, layer: str, args: str) -> str:
        var = self.vars(var_hint)
        self.lines.append(f"{var} = {layer}({args})")
        return var

    def out(self, node: Node, layer: str, args: str, layout: str) -> None:
        names = [self.vars(v.name) for v in node.outputs]
        target = names[0] if len(names) == 1 else ", ".join(names)
        self.lines.append(f"{target} = {layer}({args})")
        for v, var in zip(node.outputs, names, strict=True):
            self.set(v, var, layout if len(v.type.shape) >= 3 else IR)

    def weights(self, node: Node, kind: str, keras_names: list[str]) -> None:
        self.weight_layers[node.name] = (kind, tuple(keras_names))
        self.converters.add(kind)


def _rank_suffix(rank: int) -> str:
    return f"{rank}D"


def _one(values: tuple[int, ...]):
    """A Keras size argument: an int for 1-D layers, else the tuple."""
    return values[0] if len(values) == 1 else values


def _pairs(begins, ends) -> tuple:
    return tuple((b, e) for b, e in zip(begins, ends, strict=True))


def _pad_arg(begins, ends):
    pairs = _pairs(begins, ends)
    return pairs[0] if len(pairs) == 1 else pairs


def _zero_pad(ctx: KerasContext, node: Node, x: str, begins, ends) -> str:
    rank = len(begins)
    fmt = ', data_format="channels_last"' if rank > 1 else ""
    name = lit(ctx.aux(node, "pad"))
    return ctx.call(
        f"{node.name}_pad",
        f"layers.ZeroPadding{_rank_suffix(rank)}",
        f"{lit(_pad_arg(begins, ends))}{fmt}, name={name})({x}",
    )


def _same_pads(node: Node) -> tuple[tuple, tuple]:
    rank = spatial_rank(node)
    sizes = node.inputs[0].type.shape[2:]
    k, s, d = (tuple_attr(node, n) for n in ("kernel", "stride", "dilation"))
    return resolve_padding("same", rank, sizes, k, s, d)


def conv(ctx: KerasContext, node: Node) -> None:
    a, rank = node.attrs, spatial_rank(node)
    x = ctx.get(node.inputs[0], CL)
    begins, ends = explicit_pads(node)
    stride = tuple_attr(node, "stride")
    dilation = tuple_attr(node, "dilation")
    strided_dilated = max(stride) > 1 and max(dilation) > 1
    if not any(begins + ends):
        padding = "valid"
    elif not strided_dilated and (begins, ends) == _same_pads(node):
        padding = "same"
    else:
        x, padding = _zero_pad(ctx, node, x, begins, ends), "valid"
    keras_stride = (1,) * rank if strided_dilated else stride
    common = (
        f"kernel_size={lit(_one(tuple_attr(node, 'kernel')))}, strides={lit(_one(keras_stride))}, "
        f"padding={lit(padding)}, use_bias={lit(a['bias'])}, data_format=\"channels_last\""
    )
    if max(dilation) > 1:
        common += f", dilation_rate={lit(_one(dilation))}"
    name = ctx.name(node)
    if node.op == "depthwise_conv2d":
        layer = f"layers.DepthwiseConv2D({common}, depth_multiplier={a['multiplier']}, name={lit(name)})"
        ctx.weights(node, "depthwise", [name])
    else:
        layer = (
            f"layers.Conv{_rank_suffix(rank)}({a['out']}, {common}, "
            + (f"groups={a['groups']}, " if a["groups"] > 1 else "")
            + f"name={lit(name)})"
        )
        ctx.weights(node, "conv", [name])
    if not strided_dilated:
        ctx.out(node, layer, x, CL)
        return
    full = ctx.call(f"{node.name}_full", layer, x)
    ctx.helpers.add("Subsample")
    ctx.out(node, "Subsample", f"{lit(stride)}, name={lit(ctx.aux(node, 'stride'))})({full}", CL)


def _transpose_pads(node: Node, rank: int) -> tuple[tuple, tuple]:
    pad = node.attrs["padding"]
    pad = 0 if pad == "valid" else pad
    if isinstance(pad, tuple) and len(pad) == 2 * rank:
        return tuple(pad[:rank]), tuple(pad[rank:])
    if isinstance(pad, tuple):
        pad = pad * rank if len(pad) == 1 else pad
        return tuple(pad), tuple(pad)
    return (pad,) * rank, (pad,) * rank


def conv_transpose(ctx: KerasContext, node: Node) -> None:
    a, rank = node.attrs, spatial_rank(node)
    x = ctx.get(node.inputs[0], CL)
    begins, ends = _transpose_pads(node, rank)
    stride, output_padding = tuple_attr(node, "stride"), tuple_attr(node, "output_padding")
    if max(stride) > 1 and max(tuple_attr(node, "dilation")) > 1:
        ctx.helpers.add("ZeroInsert")
        x = ctx.call(
            f"{node.name}_spread",
            "ZeroInsert",
            f"{lit(stride)}, name={lit(ctx.aux(node, 'spread'))})({x}",
        )
        stride = (1,) * rank
    # Keras wants output_padding < stride; PyTorch also allows it below the dilation. The
    # extra end positions only see zeros (bias alone): pad the input end, crop the surplus.
    grow = tuple(0 if o < s else -(-o // s) for o, s in zip(output_padding, stride, strict=True))
    if any(grow):
        x = _zero_pad(ctx, node, x, (0,) * rank, grow)
        ends = tuple(
            e + g * s - o for e, g, s, o in zip(ends, grow, stride, output_padding, strict=True)
        )
        output_padding = tuple(0 if g else o for g, o in zip(grow, output_padding, strict=True))
    groups = a["groups"]
    args = (
        f"{a['out'] // groups}, kernel_size={lit(_one(tuple_attr(node, 'kernel')))}, "
        f'strides={lit(_one(stride))}, padding="valid", '
        f"output_padding={lit(_one(output_padding))}, "
        f"dilation_rate={lit(_one(tuple_attr(node, 'dilation')))}, use_bias={lit(a['bias'])}, "
        'data_format="channels_last"'
    )
    layer = f"layers.Conv{_rank_suffix(rank)}Transpose"
    cropped = any(begins + ends)
    if groups == 1:
        names = [ctx.name(node)]
        if not cropped:
            ctx.weights(node, "conv_transpose", names)
            ctx.out(node, layer, f"{args}, name={lit(names[0])})({x}", CL)
            return
        y = ctx.call(f"{node.name}_full", layer, f"{args}, name={lit(names[0])})({x}")
    else:
        ctx.helpers.add("Split")
        parts = [ctx.vars(f"{node.name}_in{g}") for g in range(groups)]
        split = ctx.aux(node, "split")
        ctx.lines.append(f"{', '.join(parts)} = Split({groups}, -1, name={lit(split)})({x})")
        names = [ctx.name(node) if g == 0 else ctx.aux(node, f"group{g}") for g in range(groups)]
        outs = [
            ctx.call(f"{node.name}_g{g}", layer, f"{args}, name={lit(names[g])})({part}")
            for g, part in enumerate(parts)
        ]
        cat = f"axis=-1, name={lit(ctx.aux(node, 'concat'))})([{', '.join(outs)}]"
        if not cropped:
            ctx.weights(node, "conv_transpose", names)
            ctx.out(node, "layers.Concatenate", cat, CL)
            return
        y = ctx.call(f"{node.name}_full", "layers.Concatenate", cat)
    ctx.weights(node, "conv_transpose", names)
    crop = f"layers.Cropping{_rank_suffix(rank)}"
    fmt = ', data_format="channels_last"' if rank > 1 else ""
    ctx.out(
        node,
        crop,
        f"{lit(_pad_arg(begins, ends))}{fmt}, name={lit(ctx.aux(node, 'crop'))})({y}",
        CL,
    )


def _ceil_extra(node: Node, begins, ends) -> tuple[int, ...]:
    """Extra end padding so a valid pooling gives DLIR's (ceil_mode) output size."""
    shape_in, shape_out = node.inputs[0].type.shape, node.outputs[0].type.shape
    kernel = tuple_attr(node, "kernel")
    stride = tuple_attr(node, "stride")
    dilation = tuple_attr(node, "dilation") if "dilation" in node.attrs else (1,) * len(kernel)
    extra = []
    for i, (k, s, d) in enumerate(zip(kernel, stride, dilation, strict=True)):
        n_in, n_out = shape_in[2 + i], shape_out[2 + i]
        if not node.attrs["ceil_mode"]:
            extra.append(0)
            continue
        if not (isinstance(n_in, int) and isinstance(n_out, int)):
            raise _fail(node, "ceil_mode pooling needs known input sizes")
        need = (n_out - 1) * s + d * (k - 1) + 1 - (n_in + begins[i] + ends[i])
        extra.append(max(need, 0))
    return tuple(extra)


def maxpool(ctx: KerasContext, node: Node) -> None:
    rank = spatial_rank(node)
    x = ctx.get(node.inputs[0], CL)
    begins, ends = explicit_pads(node)
    extra = _ceil_extra(node, begins, ends)
    ends = tuple(e + c for e, c in zip(ends, extra, strict=True))
    if any(begins + ends):
        ctx.helpers.add("ConstantPad")
        pads = lit(_pairs(begins, ends))
        x = ctx.call(
            f"{node.name}_pad",
            "ConstantPad",
            f'{pads}, -float("inf"), name={lit(ctx.aux(node, "pad"))})({x}',
        )
    kernel, stride = tuple_attr(node, "kernel"), tuple_attr(node, "stride")
    dilation = tuple_attr(node, "dilation")
    name = lit(ctx.name(node))
    if max(dilation) == 1:
        ctx.out(
            node,
            f"layers.MaxPooling{_rank_suffix(rank)}",
            f'pool_size={lit(_one(kernel))}, strides={lit(_one(stride))}, padding="valid", '
            f'data_format="channels_last", name={name})({x}',
            CL,
        )
        return
    ctx.helpers.add("DilatedMaxPooling")
    ctx.out(
        node,
        "DilatedMaxPooling",
        f"{lit(kernel)}, {lit(stride)}, {lit(dilation)}, name={name})({x}",
        CL,
    )


def avgpool(ctx: KerasContext, node: Node) -> None:
    a, rank = node.attrs, spatial_rank(node)
    x = ctx.get(node.inputs[0], CL)
    begins, ends = explicit_pads(node)
    extra = _ceil_extra(node, begins, ends)
    kernel, stride = tuple_attr(node, "kernel"), tuple_attr(node, "stride")
    name = lit(ctx.name(node))
    padded = any(begins + ends)
    if not any(extra) and (not padded or a["count_include_pad"]):
        if padded:
            x = _zero_pad(ctx, node, x, begins, ends)
        ctx.out(
            node,
            f"layers.AveragePooling{_rank_suffix(rank)}",
            f'pool_size={lit(_one(kernel))}, strides={lit(_one(stride))}, padding="valid", '
            f'data_format="channels_last", name={name})({x}',
            CL,
        )
        return
    ctx.helpers.add("PaddedAveragePooling")
    ctx.out(
        node,
        "PaddedAveragePooling",
        f"{lit(kernel)}, {lit(stride)}, {lit(_pairs(begins, ends))}, {lit(extra)}, "
        f"{lit(a['count_include_pad'])}, name={name})({x}",
        CL,
    )


def global_pool(ctx: KerasContext, node: Node) -> None:
    rank = len(node.inputs[0].type.shape) - 2
    kind = "Average" if node.op == "globalavgpool" else "Max"
    x = ctx.get(node.inputs[0], CL)
    ctx.out(
        node,
        f"layers.Global{kind}Pooling{_rank_suffix(rank)}",
        f"data_format=\"channels_last\", keepdims={lit(node.attrs['keepdims'])}, "
        f"name={lit(ctx.name(node))})({x}",
        CL,
    )


def adaptive_pool(ctx: KerasContext, node: Node) -> None:
    kind = "Average" if "avg" in node.op else "Max"
    rank = spatial_rank(node)
    x = ctx.get(node.inputs[0], CL)
    ctx.out(
        node,
        f"layers.Adaptive{kind}Pooling{_rank_suffix(rank)}",
        f"{lit(_one(tuple_attr(node, 'output')))}, data_format=\"channels_last\", "
        f"name={lit(ctx.name(node))})({x}",
        CL,
    )


def dense(ctx: KerasContext, node: Node) -> None:
    x = ctx.get(node.inputs[0], IR)
    name = ctx.name(node)
    ctx.weights(node, "dense", [name])
    args = f"{node.attrs['units']}, use_bias={lit(node.attrs['bias'])}, name={lit(name)})({x}"
    ctx.out(node, "layers.Dense", args, IR)


def flatten(ctx: KerasContext, node: Node) -> None:
    value = node.inputs[0]
    shape = value.type.shape
    axis = node.attrs["axis"] % len(shape)
    name = lit(ctx.name(node))
    if axis == 0:
        raise _fail(node, "Keras keeps the batch dim: flatten from axis 0 is not expressible")
    if axis == 1:
        # channels-last data with every spatial dim 1 is already in NCHW order
        trivial = ctx.layout(value) == CL and all(d == 1 for d in shape[2:])
        x = ctx.get(value, CL if trivial else IR)
        ctx.out(node, "layers.Flatten", f"name={name})({x}", IR)
        return
    ctx.helpers.add("FlattenFrom")
    ctx.out(node, "FlattenFrom", f"{axis}, name={name})({ctx.get(value, IR)}", IR)


def reshape(ctx: KerasContext, node: Node) -> None:
    shape = node.attrs["shape"]
    shape = shape if isinstance(shape, tuple) else (shape,)
    x = ctx.get(node.inputs[0], IR)
    ctx.out(node, "layers.Reshape", f"{lit(shape)}, name={lit(ctx.name(node))})({x}", IR)


def transpose(ctx: KerasContext, node: Node) -> None:
    perm = node.attrs["perm"]
    x = ctx.get(node.inputs[0], IR)
    ctx.out(node, "layers.Permute", f"{lit(tuple(perm[1:]))}, name={lit(ctx.name(node))})({x}", IR)


def _agnostic(ctx: KerasContext, node: Node, layer: str, args: str) -> None:
    """A layer that does not care about the layout: it runs in the input's."""
    value = node.inputs[0]
    layout = ctx.layout(value)
    sep = ", " if args else ""
    ctx.out(node, layer, f"{args}{sep}name={lit(ctx.name(node))})({ctx.get(value, layout)}", layout)


def dropout(ctx: KerasContext, node: Node) -> None:
    _agnostic(ctx, node, "layers.Dropout", lit(node.attrs["rate"]))


def identity(ctx: KerasContext, node: Node) -> None:
    src = ctx.values[id(node.inputs[0])]
    out = node.outputs[0]
    ctx.values[id(out)] = dict(src)
    ctx.primary[id(out)] = ctx.layout(node.inputs[0])


def embedding(ctx: KerasContext, node: Node) -> None:
    a = node.attrs
    name = ctx.name(node)
    ctx.weights(node, "embedding", [name])
    x = ctx.get(node.inputs[0], IR)
    ctx.out(node, "layers.Embedding", f"{a['num']}, {a['dim']}, name={lit(name)})({x}", IR)


def _merge(ctx: KerasContext, node: Node) -> tuple[str, list[str]]:
    """A common layout for several inputs (the first one's) and their variables."""
    layout = ctx.layout(node.inputs[0])
    return layout, [ctx.get(v, layout) for v in node.inputs]


def add_mul(ctx: KerasContext, node: Node) -> None:
    layout, xs = _merge(ctx, node)
    layer = "layers.Add" if node.op == "add" else "layers.Multiply"
    ctx.out(node, layer, f"name={lit(ctx.name(node))})([{', '.join(xs)}]", layout)


def concat(ctx: KerasContext, node: Node) -> None:
    layout, xs = _merge(ctx, node)
    axis = ctx.axis(node.inputs[0], node.attrs["axis"], layout)
    ctx.out(
        node,
        "layers.Concatenate",
        f"axis={axis}, name={lit(ctx.name(node))})([{', '.join(xs)}]",
        layout,
    )


def split(ctx: KerasContext, node: Node) -> None:
    value = node.inputs[0]
    layout = ctx.layout(value)
    axis = ctx.axis(value, node.attrs["axis"], layout)
    ir_axis = node.attrs["axis"] % len(value.type.shape)
    sizes = [v.type.shape[ir_axis] for v in node.outputs]
    if len(sizes) == 1:
        identity(ctx, node)
        return
    sections = sizes if all(isinstance(s, int) for s in sizes) else len(sizes)
    ctx.helpers.add("Split")
    x = ctx.get(value, layout)
    ctx.out(node, "Split", f"{lit(sections)}, {axis}, name={lit(ctx.name(node))})({x}", layout)


def center_crop(ctx: KerasContext, node: Node) -> None:
    x_value, ref = node.inputs
    rank = len(x_value.type.shape) - 2
    begins, ends = [], []
    for axis in range(2, rank + 2):
        big, small = x_value.type.shape[axis], ref.type.shape[axis]
        if not (isinstance(big, int) and isinstance(small, int)):
            raise _fail(node, "center_crop needs known spatial sizes")
        start = (big - small) // 2
        begins.append(start)
        ends.append(big - small - start)
    x = ctx.get(x_value, CL)
    fmt = ', data_format="channels_last"' if rank > 1 else ""
    ctx.out(
        node,
        f"layers.Cropping{_rank_suffix(rank)}",
        f"{lit(_pad_arg(begins, ends))}{fmt}, name={lit(ctx.name(node))})({x}",
        CL,
    )


def resize(ctx: KerasContext, node: Node) -> None:
    a, rank = node.attrs, spatial_rank(node)
    x = ctx.get(node.inputs[0], CL)
    name = lit(ctx.name(node))
    if node.op == "upsample" and a["mode"] == "nearest":
        fmt = ', data_format="channels_last"' if rank > 1 else ""
        ctx.out(
            node,
            f"layers.UpSampling{_rank_suffix(rank)}",
            f"{lit(_one(tuple_attr(node, 'scale')))}{fmt}, name={name})({x}",
            CL,
        )
        return
    sizes = tuple(node.outputs[0].type.shape[2:])
    if not all(isinstance(s, int) for s in sizes):
        raise _fail(node, "resizing needs known spatial sizes")
    mode = "nearest" if a["mode"] == "nearest" else "linear"
    extra = ""
    if node.op == "upsample":
        extra = f", scales={lit(tuple(float(s) for s in tuple_attr(node, 'scale')))}"
    elif a["align_corners"] and mode == "linear":
        extra = ", align_corners=True"
    ctx.helpers.add("Resample")
    ctx.out(node, "Resample", f"{lit(sizes)}, {lit(mode)}{extra}, name={name})({x}", CL)


def zeropad(ctx: KerasContext, node: Node) -> None:
    rank = int(node.op[len("zeropad")])
    p = node.attrs["padding"]
    if isinstance(p, tuple) and len(p) == 2 * rank:
        begins, ends = p[:rank], p[rank:]
    else:
        begins = ends = tuple(p) * (rank // len(p)) if isinstance(p, tuple) else (p,) * rank
    x = ctx.get(node.inputs[0], CL)
    fmt = ', data_format="channels_last"' if rank > 1 else ""
    ctx.out(
        node,
        f"layers.ZeroPadding{_rank_suffix(rank)}",
        f"{lit(_pad_arg(begins, ends))}{fmt}, name={lit(ctx.name(node))})({x}",
        CL,
    )


def batchnorm(ctx: KerasContext, node: Node) -> None:
    value, a = node.inputs[0], node.attrs
    layout = ctx.layout(value)
    ctx.weights(node, "batchnorm", [ctx.name(node)])
    ctx.out(
        node,
        "layers.BatchNormalization",
        f"axis={ctx.axis(value, 1, layout)}, epsilon={lit(a['eps'])}, "
        f"momentum={lit(round(1.0 - a['momentum'], 12))}, name={lit(ctx.name(node))})"
        f"({ctx.get(value, layout)}",
        layout,
    )


def layernorm(ctx: KerasContext, node: Node) -> None:
    ctx.weights(node, "norm", [ctx.name(node)])
    x = ctx.get(node.inputs[0], IR)
    ctx.out(
        node,
        "layers.LayerNormalization",
        f"axis=-1, epsilon={lit(node.attrs['eps'])}, name={lit(ctx.name(node))})({x}",
        IR,
    )


def groupnorm(ctx: KerasContext, node: Node) -> None:
    value, a = node.inputs[0], node.attrs
    layout = ctx.layout(value)
    ctx.weights(node, "norm", [ctx.name(node)])
    ctx.out(
        node,
        "layers.GroupNormalization",
        f"{a['groups']}, axis={ctx.axis(value, 1, layout)}, epsilon={lit(a['eps'])}, "
        f"name={lit(ctx.name(node))})({ctx.get(value, layout)}",
        layout,
    )


def lrn(ctx: KerasContext, node: Node) -> None:
    a = node.attrs
    ctx.helpers.add("LocalResponseNorm")
    x = ctx.get(node.inputs[0], CL)
    ctx.out(
        node,
        "LocalResponseNorm",
        f"{a['size']}, {lit(a['alpha'])}, {lit(a['beta'])}, {lit(a['k'])}, "
        f"name={lit(ctx.name(node))})({x}",
        CL,
    )


def prelu(ctx: KerasContext, node: Node) -> None:
    value = node.inputs[0]
    layout = ctx.layout(value)
    rank = len(value.type.shape)
    channel = ctx.axis(value, 1, layout) % rank
    shared = [i for i in range(1, rank) if i != channel]
    ctx.weights(node, "prelu", [ctx.name(node)])
    _agnostic(ctx, node, "layers.PReLU", f"shared_axes={lit(shared) if shared else None}")


def _act(layer: str, args: str = ""):
    def emit(ctx: KerasContext, node: Node) -> None:
        _agnostic(ctx, node, layer, args.format(a={k: lit(v) for k, v in node.attrs.items()}))

    return emit


def gelu(ctx: KerasContext, node: Node) -> None:
    ctx.helpers.add("Gelu")
    _agnostic(ctx, node, "Gelu", lit(node.attrs["approximate"] == "tanh"))


def softmax(ctx: KerasContext, node: Node) -> None:
    value = node.inputs[0]
    axis = ctx.axis(value, node.attrs["axis"], ctx.layout(value))
    if node.op == "softmax":
        _agnostic(ctx, node, "layers.Softmax", f"axis={axis}")
        return
    ctx.helpers.add("LogSoftmax")
    _agnostic(ctx, node, "LogSoftmax", str(axis))


def rnn(ctx: KerasContext, node: Node) -> None:
    a = node.attrs
    cls = "layers.LSTM" if node.op == "lstm" else "layers.GRU"
    extra = ", reset_after=True" if node.op == "gru" else ""
    x = ctx.get(node.inputs[0], IR)
    names = []
    for layer in range(a["layers"]):
        last = layer == a["layers"] - 1
        name = ctx.name(node) if layer == 0 else ctx.aux(node, f"l{layer}")
        names.append(name)
        seqs = lit(a["sequences"] or not last)
        cell = f"{a['hidden']}, return_sequences={seqs}, use_bias={lit(a['bias'])}{extra}"
        if a["bidirectional"]:
            inner = f"{cls}({cell}, name={lit(name + '_cell')})"
            layer_call = f'layers.Bidirectional({inner}, merge_mode="concat", name={lit(name)})'
        else:
            layer_call = f"{cls}({cell}, name={lit(name)})"
        if last:
            ctx.weights(node, node.op, names)
            ctx.out(node, layer_call, x, IR)
        else:
            var = ctx.vars(f"{node.name}_l{layer}")
            ctx.lines.append(f"{var} = {layer_call}({x})")
            x = var


def attention(ctx: KerasContext, node: Node) -> None:
    a = node.attrs
    d = node.inputs[0].type.shape[-1]
    q, k, v = (ctx.get(i, IR) for i in node.inputs)
    name = ctx.name(node)
    ctx.weights(node, "attention", [name])
    ctx.out(
        node,
        "layers.MultiHeadAttention",
        f"{a['heads']}, {d // a['heads']}, use_bias={lit(a['bias'])}, name={lit(name)})"
        f"({q}, {v}, key={k}",
        IR,
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
    "relu": _act("layers.ReLU"),
    "relu6": _act("layers.ReLU", "max_value=6.0"),
    "leaky_relu": _act("layers.LeakyReLU", "negative_slope={a[alpha]}"),
    "prelu": prelu,
    "elu": _act("layers.ELU", "alpha={a[alpha]}"),
    "selu": _act("layers.Activation", '"selu"'),
    "gelu": gelu,
    "sigmoid": _act("layers.Activation", '"sigmoid"'),
    "tanh": _act("layers.Activation", '"tanh"'),
    "silu": _act("layers.Activation", '"silu"'),
    "hardswish": _act("layers.Activation", '"hard_silu"'),
    "hardsigmoid": _act("layers.Activation", '"hard_sigmoid"'),
    "softmax": softmax,
    "log_softmax": softmax,
    "lstm": rnn,
    "gru": rnn,
    "attention": attention,
}

_CONVERTER_ORDER = tuple(CONVERTERS)
_HELPER_ORDER = tuple(HELPERS)


def generate(graph: Graph, source: str = "<dlir>", *, formatted: bool = True) -> str:
    """Standalone Keras 3 source for one model (imports keras, numpy, safetensors only)."""
    graph = lower(graph, TABLE, TARGET)
    ctx = KerasContext(graph)
    emit_graph(graph, TABLE, ctx, TARGET)
    outputs = [ctx.get(v, IR) for v in graph.outputs]
    code = Code()
    code.line(
        f'"""Keras 3 model {docstring_text(graph.name)}, generated by papercc from '
        f"{docstring_text(source)}.\n\nRegenerate instead of editing: papercc gen FILE --target keras."
        "\nRuns on any Keras backend (channels last inside; inputs and outputs in NCHW order)."
        "\nUse: model = build_model(); load_weights(model, 'weights.safetensors')"
        '\n(weights keyed by the DLIR layer names, e.g. from `papercc weights init`).\n"""'
    )
    code.line("import keras")
    code.line("import numpy as np")
    code.line("from keras import layers, ops")
    code.line("from safetensors.numpy import load_file")
    code.line()
    code.line(comment("DLIR layer -> (weight converter, Keras layer names)"))
    code.line(f"WEIGHT_LAYERS = {lit(ctx.weight_layers)}")
    for helper in _HELPER_ORDER:
        if helper in ctx.helpers:
            code.lines(HELPERS[helper].strip("\n").split("\n"))
            code.line()
    code.line()
    with code.block("def build_model():"):
        code.line(f'"""{docstring_text(graph.name)}: {len(graph.nodes)} DLIR layers."""')
        code.lines(ctx.lines)
        out = outputs[0] if len(outputs) == 1 else "[" + ", ".join(outputs) + "]"
        code.line(
            f"return keras.Model(inputs=[{', '.join(ctx.inputs)}], outputs={out}, "
            f"name={lit(keras_name(graph.name))})"
        )
    for kind in _CONVERTER_ORDER:
        if kind in ctx.converters:
            code.lines(CONVERTERS[kind].strip("\n").split("\n"))
            code.line()
    code.line()
    kinds = ", ".join(f"{lit(k)}: convert_{k}" for k in _CONVERTER_ORDER if k in ctx.converters)
    code.line(f"CONVERTERS = {{{kinds}}}")
    code.lines(LOADER.rstrip("\n").split("\n"))
    return format_python(code.text()) if formatted else code.text()


def run(graph: Graph, weights: dict, inputs: list, source: str = "<dlir>") -> list:
    """Generate, import and run the Keras code on numpy inputs (inference mode)."""
    import keras

    from papercc.backends.runtime import import_generated, weights_file

    # the source unformatted: black changes its layout only, and costs more than the run
    source_code = generate(graph, source, formatted=False)
    module = import_generated(source_code, f"papercc_gen_keras_{py_ident(graph.name)}")
    model = module.build_model()
    with weights_file(weights) as path:
        module.load_weights(model, path)
    tensors = [keras.ops.convert_to_tensor(x) for x in inputs]
    out = model(tensors, training=False)
    outs = out if isinstance(out, list | tuple) else [out]
    return [keras.ops.convert_to_numpy(o) for o in outs]
