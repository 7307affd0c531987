"""Convolutions: conv1d/2d/3d, depthwise_conv2d, conv_transpose1d/2d/3d."""

from __future__ import annotations

from ..registry import Attr, Case, Drawing, OpDef, ShapeError, WeightSpec
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

# input signatures the conformance cases share (odd and even sizes, few channels)
IMG = "x: f32[N, 4, 10, 11]"
IMG_12x11 = "x: f32[N, 3, 12, 11]"
IMG_9x10 = "x: f32[N, 3, 9, 10]"


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


def _conv(rank: int, *cases: Case) -> OpDef:
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
        cases=cases,
    )


def _conv_transpose(rank: int, *cases: Case) -> OpDef:
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
        cases=cases,
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
    cases=(
        Case(
            "multiplier_strided",
            IMG,
            "depthwise_conv2d(x, kernel=3, stride=2, padding=1, multiplier=2)",
            "output channels c * m in the order c0m0, c0m1, ... (Keras/TF: HWCM)",
        ),
        Case(
            "multiplier_strided_12x11",
            IMG_12x11,
            "depthwise_conv2d(x, kernel=3, stride=2, padding=1, multiplier=2)",
        ),
        Case(
            "multiplier_strided_9x10",
            IMG_9x10,
            "depthwise_conv2d(x, kernel=3, stride=2, padding=1, multiplier=2)",
        ),
        Case("stride_dilation", IMG, "depthwise_conv2d(x, kernel=3, stride=2, dilation=2)"),
        Case("uneven_stride", IMG, "depthwise_conv2d(x, kernel=3, stride=(1, 2), padding=1)"),
        Case(
            "window_bigger_than_input",
            "x: f32[N, 4, 1, 5]",
            "depthwise_conv2d(x, kernel=3, padding=1)",
            "a dim of size 1 with a 3-wide window: only the padding makes it fit",
        ),
        Case(
            "same_stride2_even_rect",
            "x: f32[N, 3, 8, 11]",
            'depthwise_conv2d(x, kernel=(2, 4), stride=2, padding="same")',
            '"same" pads more at the end when the total is odd',
        ),
    ),
)

OPS = (
    _conv(
        1,
        Case("grouped_strided", "x: f32[N, 4, 12]", "conv1d(x, 6, kernel=3, groups=2, stride=2)"),
        Case("asymmetric_pads", "x: f32[N, 3, 9]", "conv1d(x, 4, kernel=3, padding=(2, 0))"),
        Case(
            "strided_asymmetric_pads",
            "x: f32[N, 3, 11]",
            "conv1d(x, 4, kernel=3, stride=2, padding=(2, 1))",
        ),
    ),
    _conv(
        2,
        Case(
            "same_stride2_even_kernel",
            IMG,
            'conv2d(x, 6, kernel=4, stride=2, padding="same")',
            '"same" with stride 2 and an even kernel pads more at the end (TF\'s rule)',
        ),
        Case(
            "same_stride2_even_kernel_12x11",
            IMG_12x11,
            'conv2d(x, 4, kernel=4, stride=2, padding="same")',
        ),
        Case(
            "same_stride2_even_kernel_9x10",
            IMG_9x10,
            'conv2d(x, 4, kernel=4, stride=2, padding="same")',
        ),
        Case("same_stride2_kernel2", IMG_12x11, 'conv2d(x, 4, kernel=2, stride=2, padding="same")'),
        Case("same_stride3_odd", IMG_12x11, 'conv2d(x, 4, kernel=3, stride=3, padding="same")'),
        Case("same_stride2_odd_kernel", IMG, 'conv2d(x, 6, kernel=3, stride=2, padding="same")'),
        Case(
            "same_stride2_even_rect",
            IMG,
            'conv2d(x, 6, kernel=(2, 4), stride=(2, 3), padding="same")',
        ),
        Case(
            "same_dilation",
            IMG,
            'conv2d(x, 5, kernel=3, dilation=2, stride=2, padding="same")',
        ),
        Case(
            "asymmetric_pads",
            IMG,
            "conv2d(x, 5, kernel=3, padding=(0, 1, 2, 1))",
            "(begins..., ends...): Caffe's pads are symmetric",
        ),
        Case("asymmetric_pads_12x11", IMG_12x11, "conv2d(x, 4, kernel=3, padding=(0, 2, 1, 0))"),
        Case("asymmetric_pads_9x10", IMG_9x10, "conv2d(x, 4, kernel=3, padding=(0, 1, 2, 1))"),
        Case("no_bias_rect", IMG, "conv2d(x, 3, kernel=(1, 3), bias=false)"),
        Case("dilation", IMG, "conv2d(x, 5, kernel=3, dilation=2, padding=2)"),
        Case("dilation_12x11", IMG_12x11, "conv2d(x, 4, kernel=3, dilation=2, padding=2)"),
        Case("dilation_rect", IMG_9x10, "conv2d(x, 4, kernel=3, dilation=(2, 3), padding=2)"),
        Case("dilation_stride", IMG, "conv2d(x, 5, kernel=3, dilation=(2, 1), stride=2)"),
        Case(
            "dilation_stride_padded",
            IMG_12x11,
            "conv2d(x, 4, kernel=3, stride=2, dilation=2, padding=1)",
        ),
        Case("grouped", IMG, "conv2d(x, 6, kernel=3, groups=2, padding=1)"),
        Case(
            "grouped_after_conv",
            IMG_12x11,
            "conv2d(conv2d(x, 4, kernel=1), 6, kernel=3, groups=2)",
        ),
        Case("groups3", "x: f32[N, 6, 9, 10]", "conv2d(x, 6, kernel=3, groups=3)"),
        Case(
            "symbolic_spatial",
            "x: f32[N, 3, H, W]",
            "y = maxpool2d(relu(conv2d(x, 4, kernel=3, stride=2, padding=1)), kernel=2)\n"
            "return conv_transpose2d(y, 2, kernel=3, stride=2, padding=1), "
            "flatten(globalavgpool(y))",
            "sizes known only when run (run with H = W = 5: the transposed conv gives 1 x 1)",
        ),
    ),
    _conv(
        3,
        Case("grouped", "x: f32[N, 4, 5, 6, 7]", "conv3d(x, 6, kernel=3, groups=2, padding=1)"),
        Case(
            "same_stride2",
            "x: f32[N, 2, 5, 6, 7]",
            'conv3d(x, 3, kernel=2, stride=2, padding="same")',
        ),
        Case(
            "then_pools",
            "x: f32[N, 2, 6, 5, 7]",
            "avgpool3d(maxpool3d(conv3d(x, 2, kernel=2), kernel=2), kernel=1)",
        ),
        Case(
            "rect_padded",
            "x: f32[N, 3, 4, 6, 7]",
            "conv3d(x, 2, kernel=(1, 3, 3), padding=(0, 1, 1))",
        ),
    ),
    DEPTHWISE,
    _conv_transpose(
        1,
        Case(
            "strided_padded",
            "x: f32[N, 3, 7]",
            "conv_transpose1d(x, 2, kernel=4, stride=3, padding=1)",
        ),
    ),
    _conv_transpose(
        2,
        Case("stride2_kernel2", IMG, "conv_transpose2d(x, 3, kernel=2, stride=2)"),
        Case(
            "padded_output_padding_grouped",
            IMG,
            "conv_transpose2d(x, 4, kernel=3, stride=2, padding=1, output_padding=1, groups=2)",
        ),
        Case(
            "asymmetric_dilated",
            IMG,
            "conv_transpose2d(x, 3, kernel=3, stride=2, padding=(0, 1, 2, 0), dilation=2)",
        ),
        Case(
            "output_padding_past_end",
            IMG,
            "conv_transpose2d(x, 2, kernel=2, stride=3, output_padding=2)",
            "the extra rows lie past the last input's window: zeros plus the bias",
        ),
        Case(
            "grouped_then_batchnorm",
            "x: f32[N, 6, 7, 9]",
            "batchnorm(conv_transpose2d(x, 12, kernel=(1, 3), groups=2, bias=false), eps=0.3)",
            "OpenCV fuses grouped Deconvolution + BatchNorm wrongly: Caffe runs unfused",
        ),
        Case(
            "stride_output_padding",
            IMG_12x11,
            "conv_transpose2d(x, 4, kernel=3, stride=2, padding=1, output_padding=1)",
        ),
        Case(
            "stride_output_padding_9x10",
            IMG_9x10,
            "conv_transpose2d(x, 4, kernel=3, stride=2, padding=1, output_padding=1)",
        ),
        Case(
            "groups_asymmetric",
            IMG_12x11,
            "conv_transpose2d(conv2d(x, 4, kernel=1), 6, kernel=3, stride=2, "
            "padding=(0, 1, 1, 0), groups=2)",
        ),
        Case(
            "output_padding_beyond_stride",
            IMG_12x11,
            "conv_transpose2d(x, 4, kernel=3, stride=(1, 2), dilation=3, "
            "output_padding=(2, 2), padding=(1, 0, 0, 1))",
            "PyTorch allows output_padding >= stride when it is below the dilation; Keras not",
        ),
        Case(
            "asymmetric_kernel4",
            IMG_9x10,
            "conv_transpose2d(x, 4, kernel=4, stride=2, padding=(1, 2, 0, 1), groups=1)",
        ),
        Case(
            "grouped_dilated",
            "x: f32[N, 6, 5, 6]",
            "conv_transpose2d(x, 6, kernel=3, stride=2, dilation=2, groups=3)",
        ),
        Case(
            "output_padding_dilation",
            IMG_9x10,
            "conv_transpose2d(x, 4, kernel=2, stride=(1, 2), dilation=2, output_padding=(1, 1))",
        ),
        Case(
            "output_padding_in_end_pad",
            IMG_9x10,
            "conv_transpose2d(x, 4, kernel=3, stride=1, dilation=3, padding=(0, 1, 2, 0), "
            "output_padding=(2, 1), bias=false)",
        ),
    ),
    _conv_transpose(
        3,
        Case("stride2", "x: f32[N, 2, 3, 4, 5]", "conv_transpose3d(x, 2, kernel=2, stride=2)"),
        Case(
            "grouped_padded",
            "x: f32[N, 4, 3, 4, 5]",
            "conv_transpose3d(x, 6, kernel=(3, 2, 3), stride=(2, 1, 3), padding=(1, 0, 2), "
            "output_padding=(1, 0, 2), groups=2, dilation=(1, 2, 1))",
        ),
        Case(
            "asymmetric",
            "x: f32[N, 2, 3, 4, 5]",
            "conv_transpose3d(x, 3, kernel=3, stride=2, padding=(0, 1, 2, 1, 0, 3), bias=false)",
        ),
    ),
)
