"""Normalisation: batchnorm, layernorm, groupnorm, lrn."""

from __future__ import annotations

from ..registry import Attr, Drawing, OpDef, ShapeError, WeightSpec
from .rules import channels, int_or_none, known, require_min_rank


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
)

OPS = (BATCHNORM, LAYERNORM, GROUPNORM, LRN)
