"""Normalisation: batchnorm, layernorm, groupnorm, lrn."""

from __future__ import annotations

from ..registry import Attr, Case, Drawing, OpDef, ShapeError, WeightSpec
from .rules import channels, int_or_none, known, require_min_rank

# input signatures the conformance cases share
IMG = "x: f32[N, 4, 10, 11]"
IMG_12x11 = "x: f32[N, 3, 12, 11]"


def _same(inputs, a):
    return [inputs[0]]


def _bn_infer(inputs, a):
    require_min_rank(inputs[0], 2, "batchnorm")
    return [inputs[0]]


def _bn_weights(inputs, a):
    c = int_or_none(channels(inputs[0]))
    return [
        WeightSpec("weight", (c,), init="scale"),
        WeightSpec("bias", (c,), init="bias"),
        WeightSpec("running_mean", (c,), trainable=False, init="running_mean"),
        WeightSpec("running_var", (c,), trainable=False, init="running_var"),
    ]


BATCHNORM = OpDef(
    name="batchnorm",
    category="normalisation",
    drawing=Drawing(
        ("BN", "BatchNorm", "BN", "BatchNorm", "Batch normalization"),
        group="normalisation",
        inline=True,
    ),
    doc="Batch normalisation over the channel dim (1); running statistics are not trainable.",
    inputs=("x",),
    attrs=(
        Attr("eps", "float", 1e-5, "added to the variance", min=0.0),
        Attr(
            "momentum",
            "float",
            0.1,
            "running-statistics update rate (PyTorch's convention)",
            min=0.0,
        ),
    ),
    infer=_bn_infer,
    weights=_bn_weights,
    prefix="bn",
    example="y = relu(batchnorm(conv2d(x, 64, kernel=3, padding=1, bias=false)))",
    cases=(
        Case(
            "eps_after_conv",
            IMG,
            "batchnorm(conv2d(x, 5, kernel=3, bias=false), eps=0.001)",
            "eps is the op's, not the framework's default (Keras 0.001, PyTorch 1e-5)",
        ),
        Case("eps_after_conv_12x11", IMG_12x11, "batchnorm(conv2d(x, 4, kernel=1), eps=0.001)"),
        Case("eps_input", "x: f32[N, 3, 9, 10]", "batchnorm(x, eps=0.001)"),
        Case("channels_first", IMG, "batchnorm(x)", "channel dim 1 on a channels-last target"),
        Case("features", "x: f32[N, 6]", "batchnorm(x, eps=0.001)"),
        Case("rank3", "x: f32[N, 6, 7]", "batchnorm(x, eps=0.01)"),
        Case(
            "eps_zero_after_products",
            "x: f32[N, 16]",
            "y = mul(elu(x), elu(x))\nreturn batchnorm(batchnorm(mul(y, y), eps=0.388), eps=0.0)",
            "eps 0 after eps 0.388: a fused scale computed as 1/sqrt(var + eps) must keep it",
        ),
    ),
)


def _ln_weights(inputs, a):
    d = int_or_none(inputs[0].dim(-1))
    return [WeightSpec("weight", (d,), init="scale"), WeightSpec("bias", (d,), init="bias")]


LAYERNORM = OpDef(
    name="layernorm",
    category="normalisation",
    drawing=Drawing(
        ("LN", "LayerNorm", "LN", "LayerNorm", "Layer normalization"), group="normalisation"
    ),
    doc="Layer normalisation over the last dim, with a learned scale and shift.",
    inputs=("x",),
    attrs=(Attr("eps", "float", 1e-5, "added to the variance", min=0.0),),
    infer=_same,
    weights=_ln_weights,
    prefix="ln",
    example="y = layernorm(add(x, attention(x, x, x, heads=8)))",
    cases=(
        Case("sequence", "x: f32[N, 5, 8]", "layernorm(x)"),
        Case("sequence_eps", "x: f32[N, 5, 8]", "layernorm(x, eps=0.001)"),
        Case("features", "x: f32[N, 8]", "layernorm(x)"),
        Case("image", IMG, "layernorm(x)", "over the last dim (W) of NCHW, not channels-last C"),
    ),
)


def _gn_infer(inputs, a):
    x = inputs[0]
    require_min_rank(x, 2, "groupnorm")
    c, g = channels(x), a["groups"]
    if known(c, g) and c % g:
        raise ShapeError(f"groupnorm: channels {c} of {x} are not divisible by groups={g}")
    return [x]


def _gn_weights(inputs, a):
    c = int_or_none(channels(inputs[0]))
    return [WeightSpec("weight", (c,), init="scale"), WeightSpec("bias", (c,), init="bias")]


GROUPNORM = OpDef(
    name="groupnorm",
    category="normalisation",
    drawing=Drawing(
        (
            "GN {}|groups",
            "GroupNorm {}|groups",
            "GN {}|groups",
            "GroupNorm {}|groups",
            "Group norm, {} groups|groups",
        ),
        group="normalisation",
    ),
    doc="Group normalisation: channels split into groups, each normalised.",
    inputs=("x",),
    attrs=(
        Attr("groups", "int", doc="number of channel groups", min=1),
        Attr("eps", "float", 1e-5, "added to the variance", min=0.0),
    ),
    infer=_gn_infer,
    weights=_gn_weights,
    positional=1,
    prefix="gn",
    example="y = groupnorm(x, 32)",
    cases=(
        Case("after_conv", IMG, "groupnorm(conv2d(x, 6, kernel=1), 3)"),
        Case("rank3", "x: f32[N, 6, 7]", "groupnorm(x, 2, eps=0.01)"),
        Case("eps", "x: f32[N, 6, 4, 5]", "groupnorm(x, 2, eps=0.001)"),
        Case(
            "between_norms",
            IMG_12x11,
            "prelu(groupnorm(layernorm(conv2d(x, 6, kernel=1)), 3))",
        ),
    ),
)


def _lrn_infer(inputs, a):
    require_min_rank(inputs[0], 3, "lrn")
    return [inputs[0]]


LRN = OpDef(
    name="lrn",
    category="normalisation",
    drawing=Drawing(
        (
            "LRN[ {}]|size",
            "LRN[ {}]|size",
            "LRN[ {}]|size",
            "LRN[ {}]|size",
            "Local response norm[, size {}]|size",
        ),
        group="normalisation",
    ),
    doc="Local response normalisation across channels (AlexNet, GoogLeNet): PyTorch/ONNX semantics.",
    inputs=("x",),
    attrs=(
        Attr("size", "int", 5, "channels in the window", min=1),
        Attr("alpha", "float", 1e-4, "scale"),
        Attr("beta", "float", 0.75, "exponent"),
        Attr(
            "k",
            "float",
            1.0,
            "additive constant (positive: it keeps the denominator > 0)",
            min=1e-6,
        ),
    ),
    infer=_lrn_infer,
    prefix="lrn",
    example="y = lrn(x, size=5, alpha=0.0001, beta=0.75, k=2.0)",
    cases=(
        Case(
            "alexnet",
            IMG,
            "lrn(relu(conv2d(x, 8, kernel=1)), size=5, alpha=0.0001, beta=0.75, k=2.0)",
            "alpha is divided by size (PyTorch/ONNX/Caffe), not per element (TF)",
        ),
        Case(
            "alexnet_12x11",
            IMG_12x11,
            "lrn(conv2d(x, 8, kernel=1), size=5, alpha=0.0001, beta=0.75, k=2.0)",
        ),
        Case(
            "alexnet_input", "x: f32[N, 8, 5, 5]", "lrn(x, size=5, alpha=0.0001, beta=0.75, k=2.0)"
        ),
        Case("big_alpha", IMG, "lrn(x, size=3, alpha=0.5, beta=0.6, k=1.5)"),
        Case(
            "big_alpha_input", "x: f32[N, 8, 5, 5]", "lrn(x, size=3, alpha=0.5, beta=0.75, k=1.0)"
        ),
        Case(
            "strong",
            IMG_12x11,
            "lrn(conv2d(x, 8, kernel=1), size=3, alpha=1.0, beta=0.5, k=1.0)",
        ),
        Case(
            "even_size",
            "x: f32[N, 7, 5, 5]",
            "lrn(x, size=4, alpha=0.3, beta=0.75, k=1.0)",
            "an even window reaches size // 2 back and (size - 1) // 2 forward",
        ),
        Case("even_size_8", "x: f32[N, 8, 5, 5]", "lrn(x, size=4, alpha=0.5, beta=0.75, k=1.0)"),
        Case("rank3", "x: f32[N, 7, 9]", "lrn(x, size=3, alpha=0.3, beta=0.75, k=1.0)"),
        Case("rank3_even_size", "x: f32[N, 6, 7]", "lrn(x, size=2, alpha=0.5, beta=0.5, k=1.0)"),
        Case("rank5", "x: f32[N, 6, 3, 4, 5]", "lrn(x, size=3, alpha=0.5, beta=0.5, k=1.0)"),
        Case("beta_zero", "x: f32[N, 6, 5, 5]", "lrn(x, size=3, alpha=0.5, beta=0.0, k=1.0)"),
        Case("alpha_zero", "x: f32[N, 6, 5, 5]", "lrn(x, size=3, alpha=0.0, beta=0.5, k=1.0)"),
        Case("k_small", "x: f32[N, 6, 5, 5]", "lrn(x, size=3, alpha=0.5, beta=0.5, k=0.001)"),
    ),
)

OPS = (BATCHNORM, LAYERNORM, GROUPNORM, LRN)
