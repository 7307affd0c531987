"""Convolutions: conv1d/2d/3d, depthwise_conv2d, conv_transpose1d/2d/3d."""

from __future__ import annotations

from ..registry import Attr, Drawing, OpDef, ShapeError, WeightSpec
from ..values import HOLE
from .rules import (
    LAYOUT_NAMES,
    as_tuple,
    bias_spec,
    channels,
    int_or_none,
    known,
    require_rank,
    spatial_out,
)

_SUFFIX = {1: "1d", 2: "2d", 3: "3d"}


def _common_attrs(transposed: bool = False) -> tuple[Attr, ...]:
    pad_choices = ("valid",) if transposed else ("same", "valid")
    attrs = [
        Attr("kernel", "ints", doc="window size per spatial dim", min=1),
        Attr("stride", "ints", 1, "step per spatial dim", min=1),
        Attr(
            "padding",
            "padding",
            0,
            (
                'zeros added: an int, one per dim, (begins..., ends...), "same" or "valid"'
                if not transposed
                else "implicit zero padding removed from the output: an int, one per dim, "
                '(begins..., ends...) or "valid"'
            ),
            choices=pad_choices,
            min=0,
        ),
    ]
    if transposed:
        attrs.append(Attr("output_padding", "ints", 0, "extra size added to one side", min=0))
    attrs += [
        Attr("dilation", "ints", 1, "spacing between kernel taps", min=1),
        Attr("groups", "int", 1, "input and output channels split into this many groups", min=1),
        Attr("bias", "bool", True, "add a learned bias per output channel"),
    ]
    return (Attr("out", "int", doc="output channels", min=1), *attrs)


def _check_groups(cin, out, groups, op):
    if known(cin, groups) and cin % groups:
        raise ShapeError(f"{op}: input channels {cin} are not divisible by groups={groups}")
    if known(out, groups) and out % groups:
        raise ShapeError(f"{op}: output channels {out} are not divisible by groups={groups}")


def _conv(rank: int) -> OpDef:
    name = f"conv{_SUFFIX[rank]}"

    def infer(inputs, a):
        (x,) = inputs
        require_rank(x, rank + 2, name, LAYOUT_NAMES[rank])
        _check_groups(channels(x), a["out"], a["groups"], name)
        sizes = spatial_out(x, rank, a)
        return [x.with_shape((x.dim(0), int_or_none(a["out"]), *sizes))]

    def weights(inputs, a):
        cin, g = channels(inputs[0]), a["groups"]
        per_group = cin // g if known(cin, g) else None
        kernel = tuple(int_or_none(k) for k in as_tuple(a["kernel"], rank, "kernel"))
        return [
            WeightSpec("weight", (int_or_none(a["out"]), per_group, *kernel)),
            *bias_spec(a["out"], a["bias"]),
        ]

    example = {
        1: "y = conv1d(x, 64, kernel=3, padding=1)",
        2: 'y = conv2d(x, 64, kernel=3, stride=2, padding="same")',
        3: "y = conv3d(x, 32, kernel=(3, 3, 3), padding=1)",
    }[rank]
    return OpDef(
        name=name,
        category="convolution",
        drawing=Drawing(("conv", "Conv", "conv", "Conv", "Convolution"), group="convolution"),
        doc=f"{rank}-D convolution over {LAYOUT_NAMES[rank]} input (cross-correlation, as in PyTorch).",
        inputs=("x",),
        attrs=_common_attrs(),
        infer=infer,
        weights=weights,
        positional=1,
        prefix="conv",
        spatial_rank=rank,
        example=example,
    )


def _conv_transpose(rank: int) -> OpDef:
    name = f"conv_transpose{_SUFFIX[rank]}"

    def infer(inputs, a):
        (x,) = inputs
        require_rank(x, rank + 2, name, LAYOUT_NAMES[rank])
        _check_groups(channels(x), a["out"], a["groups"], name)
        sizes = x.shape[2:] if x.shape is not None else (None,) * rank
        k = as_tuple(a["kernel"], rank, "kernel")
        s = as_tuple(a["stride"], rank, "stride")
        d = as_tuple(a["dilation"], rank, "dilation")
        op_ = as_tuple(a["output_padding"], rank, "output_padding")
        pad = a["padding"]
        if pad == "valid":
            pad = 0
        if pad is HOLE:
            begins = ends = (None,) * rank
        elif isinstance(pad, int):
            begins = ends = (pad,) * rank
        elif isinstance(pad, tuple) and len(pad) in (1, rank):
            begins = ends = as_tuple(pad, rank, "padding")
        elif isinstance(pad, tuple) and len(pad) == 2 * rank:
            begins, ends = pad[:rank], pad[rank:]
        else:
            raise ShapeError(f"{name}: bad padding {pad!r}")
        out = []
        for L, ki, si, di, pb, pe, oi in zip(sizes, k, s, d, begins, ends, op_, strict=True):
            if known(L, ki, si, di, pb, pe, oi):
                if oi >= si and oi >= di:
                    raise ShapeError(
                        f"{name}: output_padding {oi} must be smaller than stride {si} or dilation {di}"
                    )
                n = (L - 1) * si - pb - pe + di * (ki - 1) + oi + 1
                if n <= 0:
                    raise ShapeError(f"{name}: output size {n} is not positive for input size {L}")
                out.append(n)
            else:
                out.append(None)
        return [x.with_shape((x.dim(0), int_or_none(a["out"]), *out))]

    def weights(inputs, a):
        cin, g = channels(inputs[0]), a["groups"]
        out = a["out"]
        per_group = out // g if known(out, g) else None
        kernel = tuple(int_or_none(k) for k in as_tuple(a["kernel"], rank, "kernel"))
        return [
            WeightSpec("weight", (int_or_none(cin), per_group, *kernel), init="fan_in_transposed"),
            *bias_spec(out, a["bias"]),
        ]

    return OpDef(
        name=name,
        category="convolution",
        drawing=Drawing(
            ("deconv", "ConvTranspose", "deconv", "Deconv", "Transposed convolution"),
            group="expand",
        ),
        doc=f'{rank}-D transposed convolution ("up-conv", "deconv"); weight layout [in, out/groups, k...].',
        inputs=("x",),
        attrs=_common_attrs(transposed=True),
        infer=infer,
        weights=weights,
        positional=1,
        prefix="upconv",
        spatial_rank=rank,
        example=f"y = conv_transpose{_SUFFIX[rank]}(x, 64, kernel=2, stride=2)",
    )


def _depthwise_infer(inputs, a):
    (x,) = inputs
    require_rank(x, 4, "depthwise_conv2d", LAYOUT_NAMES[2])
    c = channels(x)
    out = c * a["multiplier"] if known(c, a["multiplier"]) else None
    return [x.with_shape((x.dim(0), out, *spatial_out(x, 2, a)))]


def _depthwise_weights(inputs, a):
    c, m = channels(inputs[0]), a["multiplier"]
    out = c * m if known(c, m) else None
    kernel = tuple(int_or_none(k) for k in as_tuple(a["kernel"], 2, "kernel"))
    return [WeightSpec("weight", (out, 1, *kernel)), *bias_spec(out, a["bias"])]


DEPTHWISE = OpDef(
    name="depthwise_conv2d",
    category="convolution",
    drawing=Drawing(
        ("dw conv", "Depthwise Conv", "conv dw", "DW Conv", "Depthwise convolution"),
        group="convolution",
    ),
    doc="Depthwise 2-D convolution: one filter per input channel (groups = channels).",
    inputs=("x",),
    attrs=(
        Attr("kernel", "ints", doc="window size per spatial dim", min=1),
        Attr("stride", "ints", 1, "step per spatial dim", min=1),
        Attr("padding", "padding", 0, "as for conv2d", choices=("same", "valid"), min=0),
        Attr("dilation", "ints", 1, "spacing between kernel taps", min=1),
        Attr("multiplier", "int", 1, "output channels per input channel", min=1),
        Attr("bias", "bool", True, "add a learned bias per output channel"),
    ),
    infer=_depthwise_infer,
    weights=_depthwise_weights,
    prefix="dwconv",
    spatial_rank=2,
    example="y = depthwise_conv2d(x, kernel=3, stride=2, padding=1, bias=false)",
)

OPS = (
    *(_conv(r) for r in (1, 2, 3)),
    DEPTHWISE,
    *(_conv_transpose(r) for r in (1, 2, 3)),
)
