"""PyTorch backend: an `nn.Module` whose attributes are the DLIR layer names (sanitised).

Layers with weights become modules built in `__init__`; the rest are functional calls in
`forward`. `WEIGHT_KEYS` in the generated file maps each DLIR weight key to its
state-dict key, so one safetensors file loads into every backend.
"""

from __future__ import annotations

from papercc.backends.codegen import (
    Code,
    Names,
    class_name,
    comment,
    docstring_text,
    format_python,
    py_ident,
)
from papercc.backends.codegen import py_literal as lit
from papercc.backends.emit import emit_graph, explicit_pads, lower, spatial_rank, tuple_attr
from papercc.ir.graph import Graph, Node, Value

TARGET = "pytorch"


class TorchContext:
    """What the emit functions write into: module definitions and forward lines."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.vars = Names(reserved={"x"})
        self.attrs = Names(reserved={"training", "forward"})
        self.init: list[str] = []
        self.forward: list[str] = []
        self.weight_keys: dict[str, str] = {}
        self.var: dict[int, str] = {}
        self.helpers: set[str] = set()
        for v in graph.inputs:
            self.var[id(v)] = self.vars.fresh(v.name)

    def v(self, value: Value) -> str:
        return self.var[id(value)]

    def x(self, node: Node) -> str:
        return self.v(node.inputs[0])

    def module(self, node: Node, expr: str) -> str:
        attr = self.attrs(node.name)
        self.init.append(f"self.{attr} = {expr}")
        for spec in node.weights:
            self.weight_keys[f"{node.name}.{spec.name}"] = f"{attr}.{spec.name}"
        return f"self.{attr}"

    def out(self, node: Node, expr: str) -> None:
        if node.src:
            where = ", ".join(f"{k}={v!r}" for k, v in node.src.items())
            self.forward.append(comment(f"{node.name}: {where}"))
        names = []
        for v in node.outputs:
            self.var[id(v)] = name = self.vars.fresh(v.name)
            names.append(name)
        target = names[0] if len(names) == 1 else ", ".join(names)
        self.forward.append(f"{target} = {expr}")

    def line(self, text: str) -> None:
        self.forward.append(text)


def _dims(rank: int) -> str:
    return {1: "1d", 2: "2d", 3: "3d"}[rank]


def _optional(*items: tuple[str, object, object]) -> str:
    """`, name=value` for each argument that differs from the framework default."""
    return "".join(f", {name}={lit(value)}" for name, value, default in items if value != default)


def _pad_arg(begins, ends) -> tuple[int, ...]:
    """F.pad order: last dim first, (begin, end) per dim."""
    out: list[int] = []
    for b, e in reversed(list(zip(begins, ends, strict=True))):
        out += [b, e]
    return tuple(out)


def _padded_input(ctx: TorchContext, node: Node, value: str = "0.0") -> tuple[str, tuple]:
    """The input, explicitly padded first when padding is asymmetric; and the layer padding."""
    begins, ends = explicit_pads(node)
    x = ctx.x(node)
    if begins == ends:
        return x, begins
    tmp = ctx.vars(node.name + "_pad")
    fill = "" if value == "0.0" else f", value={value}"
    ctx.line(f"{tmp} = F.pad({x}, {lit(_pad_arg(begins, ends))}{fill})")
    return tmp, (0,) * len(begins)


def conv(ctx: TorchContext, node: Node) -> None:
    a, rank = node.attrs, spatial_rank(node)
    x, padding = _padded_input(ctx, node)
    cin = node.inputs[0].type.shape[1]
    if node.op == "depthwise_conv2d":
        out, groups = cin * a["multiplier"], cin
    else:
        out, groups = a["out"], a["groups"]
    extra = _optional(
        ("stride", tuple_attr(node, "stride"), (1,) * rank),
        ("padding", tuple(padding), (0,) * rank),
        ("dilation", tuple_attr(node, "dilation"), (1,) * rank),
        ("groups", groups, 1),
        ("bias", a["bias"], True),
    )
    m = ctx.module(
        node,
        f"nn.Conv{_dims(rank)}({cin}, {out}, kernel_size={lit(tuple_attr(node, 'kernel'))}{extra})",
    )
    ctx.out(node, f"{m}({x})")


def conv_transpose(ctx: TorchContext, node: Node) -> None:
    a, rank = node.attrs, spatial_rank(node)
    cin = node.inputs[0].type.shape[1]
    pad = a["padding"]
    pad = 0 if pad == "valid" else pad
    if isinstance(pad, tuple) and len(pad) == 2 * rank:
        begins, ends = pad[:rank], pad[rank:]
    else:
        begins = ends = tuple(
            pad
            if isinstance(pad, tuple) and len(pad) == rank
            else (pad if isinstance(pad, tuple) else (pad,))
            * (rank if not isinstance(pad, tuple) else 1)
        )
    symmetric = tuple(min(b, e) for b, e in zip(begins, ends, strict=True))
    m = ctx.module(
        node,
        f"nn.ConvTranspose{_dims(rank)}({cin}, {a['out']}, kernel_size={lit(tuple_attr(node, 'kernel'))}, "
        f"stride={lit(tuple_attr(node, 'stride'))}, padding={lit(symmetric)}, "
        f"output_padding={lit(tuple_attr(node, 'output_padding'))}, groups={a['groups']}, "
        f"bias={lit(a['bias'])}, dilation={lit(tuple_attr(node, 'dilation'))})",
    )
    if begins == ends:
        ctx.out(node, f"{m}({ctx.x(node)})")
        return
    full = ctx.vars(node.name + "_full")
    ctx.line(f"{full} = {m}({ctx.x(node)})")
    slices = [":", ":"]
    for b, e, s in zip(begins, ends, symmetric, strict=True):
        lo, hi = b - s, e - s
        slices.append(f"{lo}:{-hi if hi else ''}")
    ctx.out(node, f"{full}[{', '.join(slices)}]")


def maxpool(ctx: TorchContext, node: Node) -> None:
    a, rank = node.attrs, spatial_rank(node)
    x, padding = _padded_input(ctx, node, value='-float("inf")')
    ctx.out(
        node,
        f"F.max_pool{_dims(rank)}({x}, kernel_size={lit(tuple_attr(node, 'kernel'))}, "
        f"stride={lit(tuple_attr(node, 'stride'))}, padding={lit(padding)}, "
        f"dilation={lit(tuple_attr(node, 'dilation'))}, ceil_mode={lit(a['ceil_mode'])})",
    )


def avgpool(ctx: TorchContext, node: Node) -> None:
    a, rank = node.attrs, spatial_rank(node)
    begins, ends = explicit_pads(node)
    args = (
        f"kernel_size={lit(tuple_attr(node, 'kernel'))}, stride={lit(tuple_attr(node, 'stride'))}, "
    )
    if begins == ends:
        ctx.out(
            node,
            f"F.avg_pool{_dims(rank)}({ctx.x(node)}, {args}padding={lit(begins)}, "
            f"ceil_mode={lit(a['ceil_mode'])}, count_include_pad={lit(a['count_include_pad'])})",
        )
        return
    x, _ = _padded_input(ctx, node)
    pooled = f"F.avg_pool{_dims(rank)}({x}, {args}ceil_mode={lit(a['ceil_mode'])})"
    if a["count_include_pad"]:
        ctx.out(node, pooled)
        return
    # divide by the number of real (unpadded) elements in each window
    ones = ctx.vars(node.name + "_count")
    ctx.line(
        f"{ones} = F.avg_pool{_dims(rank)}(F.pad(torch.ones_like({ctx.x(node)}[:1, :1]), "
        f"{lit(_pad_arg(begins, ends))}), {args}ceil_mode={lit(a['ceil_mode'])})"
    )
    ctx.out(node, f"{pooled} / {ones}")


def global_pool(ctx: TorchContext, node: Node) -> None:
    dims = tuple(range(2, len(node.inputs[0].type.shape)))
    fn = "torch.mean" if node.op == "globalavgpool" else "torch.amax"
    ctx.out(node, f"{fn}({ctx.x(node)}, dim={lit(dims)}, keepdim={lit(node.attrs['keepdims'])})")


def adaptive_pool(ctx: TorchContext, node: Node) -> None:
    kind = "avg" if "avg" in node.op else "max"
    rank = spatial_rank(node)
    ctx.out(
        node,
        f"F.adaptive_{kind}_pool{_dims(rank)}({ctx.x(node)}, {lit(tuple_attr(node, 'output'))})",
    )


def dense(ctx: TorchContext, node: Node) -> None:
    fin = node.inputs[0].type.shape[-1]
    m = ctx.module(node, f"nn.Linear({fin}, {node.attrs['units']}, bias={lit(node.attrs['bias'])})")
    ctx.out(node, f"{m}({ctx.x(node)})")


def batchnorm(ctx: TorchContext, node: Node) -> None:
    shape = node.inputs[0].type.shape
    kind = {2: "1d", 3: "1d", 4: "2d", 5: "3d"}[len(shape)]
    a = node.attrs
    m = ctx.module(
        node, f"nn.BatchNorm{kind}({shape[1]}, eps={lit(a['eps'])}, momentum={lit(a['momentum'])})"
    )
    ctx.out(node, f"{m}({ctx.x(node)})")


def layernorm(ctx: TorchContext, node: Node) -> None:
    d = node.inputs[0].type.shape[-1]
    m = ctx.module(node, f"nn.LayerNorm({d}, eps={lit(node.attrs['eps'])})")
    ctx.out(node, f"{m}({ctx.x(node)})")


def groupnorm(ctx: TorchContext, node: Node) -> None:
    c = node.inputs[0].type.shape[1]
    a = node.attrs
    m = ctx.module(node, f"nn.GroupNorm({a['groups']}, {c}, eps={lit(a['eps'])})")
    ctx.out(node, f"{m}({ctx.x(node)})")


def lrn(ctx: TorchContext, node: Node) -> None:
    a = node.attrs
    ctx.out(
        node,
        f"F.local_response_norm({ctx.x(node)}, {a['size']}, alpha={lit(a['alpha'])}, "
        f"beta={lit(a['beta'])}, k={lit(a['k'])})",
    )


def prelu(ctx: TorchContext, node: Node) -> None:
    c = node.inputs[0].type.shape[1]
    m = ctx.module(node, f"nn.PReLU({c})")
    ctx.out(node, f"{m}({ctx.x(node)})")


def _simple(template: str):
    """An emit function for a one-expression op; {x} is the input, {a[name]} an attribute."""

    def emit(ctx: TorchContext, node: Node) -> None:
        attrs = {k: lit(v) for k, v in node.attrs.items()}
        ctx.out(node, template.format(x=ctx.x(node), a=attrs))

    return emit


def _shape(node: Node) -> tuple:
    shape = node.attrs["shape"]
    return shape if isinstance(shape, tuple) else (shape,)


def identity(ctx: TorchContext, node: Node) -> None:
    ctx.var[id(node.outputs[0])] = ctx.x(node)


def add_mul(ctx: TorchContext, node: Node) -> None:
    sign = " + " if node.op == "add" else " * "
    ctx.out(node, sign.join(ctx.v(i) for i in node.inputs))


def concat(ctx: TorchContext, node: Node) -> None:
    xs = ", ".join(ctx.v(i) for i in node.inputs)
    ctx.out(node, f"torch.cat([{xs}], dim={node.attrs['axis']})")


def split(ctx: TorchContext, node: Node) -> None:
    axis = node.attrs["axis"]
    sizes = tuple(v.type.shape[axis] for v in node.outputs)
    if len(sizes) == 1:
        ctx.out(node, ctx.x(node))
    elif all(isinstance(s, int) for s in sizes):
        ctx.out(node, f"torch.split({ctx.x(node)}, {lit(list(sizes))}, dim={axis})")
    else:
        ctx.out(node, f"torch.chunk({ctx.x(node)}, {len(sizes)}, dim={axis})")


def center_crop(ctx: TorchContext, node: Node) -> None:
    x, ref = node.inputs
    slices = [":", ":"]
    for axis in range(2, len(x.type.shape)):
        big, small = x.type.shape[axis], ref.type.shape[axis]
        start = (big - small) // 2
        slices.append(f"{start}:{start + small}")
    ctx.out(node, f"{ctx.v(x)}[{', '.join(slices)}]")


_INTERP = {("bilinear", 1): "linear", ("bilinear", 2): "bilinear", ("bilinear", 3): "trilinear"}


def resize(ctx: TorchContext, node: Node) -> None:
    a, rank = node.attrs, spatial_rank(node)
    mode = _INTERP.get((a["mode"], rank), a["mode"])
    if node.op == "upsample":
        what = f"scale_factor={lit(tuple(float(s) for s in tuple_attr(node, 'scale')))}"
        corners = ", align_corners=False" if mode != "nearest" else ""
    else:
        what = f"size={lit(tuple_attr(node, 'size'))}"
        corners = f", align_corners={lit(a['align_corners'])}" if mode != "nearest" else ""
    ctx.out(node, f"F.interpolate({ctx.x(node)}, {what}, mode={lit(mode)}{corners})")


def zeropad(ctx: TorchContext, node: Node) -> None:
    rank = int(node.op[len("zeropad")])
    p = node.attrs["padding"]
    if isinstance(p, tuple) and len(p) == 2 * rank:
        begins, ends = p[:rank], p[rank:]
    else:
        begins = ends = tuple(p) * (rank // len(p)) if isinstance(p, tuple) else (p,) * rank
    ctx.out(node, f"F.pad({ctx.x(node)}, {lit(_pad_arg(begins, ends))})")


def embedding(ctx: TorchContext, node: Node) -> None:
    a = node.attrs
    m = ctx.module(node, f"nn.Embedding({a['num']}, {a['dim']})")
    ctx.out(node, f"{m}({ctx.x(node)})")


def rnn(ctx: TorchContext, node: Node) -> None:
    a = node.attrs
    cls = "nn.LSTM" if node.op == "lstm" else "nn.GRU"
    fin = node.inputs[0].type.shape[-1]
    m = ctx.module(
        node,
        f"{cls}({fin}, {a['hidden']}, num_layers={a['layers']}, bias={lit(a['bias'])}, "
        f"batch_first=True, bidirectional={lit(a['bidirectional'])})",
    )
    if a["sequences"]:
        ctx.out(node, f"{m}({ctx.x(node)})[0]")
        return
    state = ctx.vars(node.name + "_state")
    h = f"{state}[0]" if node.op == "lstm" else state
    ctx.line(f"{state} = {m}({ctx.x(node)})[1]")
    if a["bidirectional"]:
        ctx.out(node, f"torch.cat([{h}[-2], {h}[-1]], dim=1)")
    else:
        ctx.out(node, f"{h}[-1]")


def attention(ctx: TorchContext, node: Node) -> None:
    a = node.attrs
    d = node.inputs[0].type.shape[-1]
    m = ctx.module(
        node, f"nn.MultiheadAttention({d}, {a['heads']}, bias={lit(a['bias'])}, batch_first=True)"
    )
    q, k, v = (ctx.v(i) for i in node.inputs)
    ctx.out(node, f"{m}({q}, {k}, {v}, need_weights=False)[0]")


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
    "flatten": _simple("torch.flatten({x}, {a[axis]})"),
    "reshape": lambda ctx, node: ctx.out(
        node, f"torch.reshape({ctx.x(node)}, ({ctx.x(node)}.shape[0], *{lit(_shape(node))}))"
    ),
    "transpose": _simple("{x}.permute(*{a[perm]})"),
    "dropout": _simple("F.dropout({x}, p={a[rate]}, training=self.training)"),
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
    "relu": _simple("F.relu({x})"),
    "relu6": _simple("F.relu6({x})"),
    "leaky_relu": _simple("F.leaky_relu({x}, {a[alpha]})"),
    "prelu": prelu,
    "elu": _simple("F.elu({x}, {a[alpha]})"),
    "selu": _simple("F.selu({x})"),
    "gelu": _simple("F.gelu({x}, approximate={a[approximate]})"),
    "sigmoid": _simple("torch.sigmoid({x})"),
    "tanh": _simple("torch.tanh({x})"),
    "silu": _simple("F.silu({x})"),
    "hardswish": _simple("F.hardswish({x})"),
    "hardsigmoid": _simple("F.hardsigmoid({x})"),
    "softmax": _simple("F.softmax({x}, dim={a[axis]})"),
    "log_softmax": _simple("F.log_softmax({x}, dim={a[axis]})"),
    "lstm": rnn,
    "gru": rnn,
    "attention": attention,
}


def generate(graph: Graph, source: str = "<dlir>", *, formatted: bool = True) -> str:
    """Standalone PyTorch source for one model (imports torch and safetensors only)."""
    graph = lower(graph, TABLE, TARGET)
    ctx = TorchContext(graph)
    emit_graph(graph, TABLE, ctx, TARGET)
    cls = class_name(graph.name)
    code = Code()
    code.line(
        f'"""PyTorch model {docstring_text(graph.name)}, generated by papercc from '
        f"{docstring_text(source)}.\n\nRegenerate instead of editing: papercc gen FILE --target pytorch."
        "\nUse: model = build_model(); load_weights(model, 'weights.safetensors')"
        '\n(weights keyed by the DLIR layer names, e.g. from `papercc weights init`).\n"""'
    )
    code.line("import torch")
    code.line("import torch.nn.functional as F")
    code.line("from safetensors.torch import load_file")
    code.line("from torch import nn")
    code.line()
    code.line(comment("DLIR weight key -> state_dict key"))
    code.line(f"WEIGHT_KEYS = {lit(ctx.weight_keys)}")
    code.line()
    with code.block(f"class {cls}(nn.Module):"):
        code.line(f'"""{docstring_text(graph.name)}: {len(graph.nodes)} layers."""')
        code.line()
        with code.block("def __init__(self):"):
            code.line("super().__init__()")
            code.lines(ctx.init)
        code.line()
        args = ", ".join(["self"] + [ctx.v(v) for v in graph.inputs])
        with code.block(f"def forward({args}):"):
            code.lines(ctx.forward)
            outs = [ctx.v(v) for v in graph.outputs]
            code.line("return " + (outs[0] if len(outs) == 1 else ", ".join(outs)))
    code.line()
    with code.block("def build_model():"):
        code.line(f"return {cls}()")
    code.line()
    with code.block("def load_weights(model, path):"):
        code.line(
            '"""Load a safetensors file keyed by DLIR layer names; every weight must match."""'
        )
        code.line("tensors = load_file(path)")
        code.line("missing = sorted(set(WEIGHT_KEYS) - set(tensors))")
        with code.block("if missing:"):
            code.line('raise KeyError(f"weights file lacks {missing[:5]}")')
        code.line("state = {WEIGHT_KEYS[k]: v for k, v in tensors.items() if k in WEIGHT_KEYS}")
        code.line("result = model.load_state_dict(state, strict=False)")
        code.line(
            'unexpected = [k for k in result.missing_keys if not k.endswith("num_batches_tracked")]'
        )
        with code.block("if unexpected or result.unexpected_keys:"):
            code.line(
                'raise KeyError(f"state_dict mismatch: {unexpected} {result.unexpected_keys}")'
            )
        code.line("return model")
    return format_python(code.text()) if formatted else code.text()


def run(graph: Graph, weights: dict, inputs: list, source: str = "<dlir>") -> list:
    """Generate, import and run the PyTorch code on numpy inputs (eval mode)."""
    import torch

    from papercc.backends.runtime import import_generated, weights_file

    # the source unformatted: black changes its layout only, and costs more than the run
    source_code = generate(graph, source, formatted=False)
    module = import_generated(source_code, f"papercc_gen_torch_{py_ident(graph.name)}")
    model = module.build_model().eval()
    with weights_file(weights) as path:
        module.load_weights(model, path)
    with torch.no_grad():
        out = model(*[torch.from_numpy(x) for x in inputs])
    outs = out if isinstance(out, tuple) else (out,)
    return [o.detach().numpy() for o in outs]
