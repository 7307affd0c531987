"""Activations for the Caffe backend: Caffe's own layers where they exist, otherwise exact
compositions of ReLU, Power, Sigmoid, Exp, AbsVal and Eltwise."""

from __future__ import annotations

import math

import numpy as np

from papercc.backends.caffe import net as cn
from papercc.backends.caffe.net import CaffeContext, weight
from papercc.ir.graph import Node


def _simple(kind: str, setup=None):
    def emit(ctx: CaffeContext, node: Node) -> None:
        msg = ctx.final(node, kind, [ctx.x(node)])
        if setup:
            setup(msg, node.attrs)

    return emit


def _relu_setup(msg, a):
    msg.relu_param.negative_slope = a["alpha"]


def _elu_setup(msg, a):
    msg.elu_param.alpha = a["alpha"]


def _softmax_setup(msg, a):
    if a["axis"] != 1:
        msg.softmax_param.axis = a["axis"]


def log_softmax(ctx: CaffeContext, node: Node) -> None:
    msg, top = ctx.tmp(node, "softmax", "Softmax", [ctx.x(node)], ctx.in_shape(node))
    _softmax_setup(msg, node.attrs)
    ctx.final(node, "Log", [top])


def prelu(ctx: CaffeContext, node: Node) -> None:
    """Caffe's PReLU (one slope per channel); OpenCV applies it right only to 4-D blobs,
    so other ranks go through [N, C, 1, rest]."""
    shape = ctx.in_shape(node)
    blobs = [weight(f"{node.name}.weight")]
    if len(shape) == 4:
        ctx.final(node, "PReLU", [ctx.x(node)], blobs)
        return
    flat = (shape[0], shape[1], 1, int(np.prod(shape[2:])))
    x = cn.reshape(ctx, node, "to4d", ctx.x(node), flat)
    top = ctx.tmp(node, "prelu", "PReLU", [x], flat, blobs)[1]
    cn.reshape_final(ctx, node, top)


def _clip01(ctx, node, x, top_value: float, final: bool):
    """min(max(x, 0), top) = top - relu(top - relu(x)) with ReLU and Power layers."""
    r = ctx.tmp(node, "relu", "ReLU", [x], ctx.shapes[x])[1]
    flip = cn.power(ctx, node, "flip", r, -1.0, top_value)
    r2 = ctx.tmp(node, "relu2", "ReLU", [flip], ctx.shapes[x])[1]
    msg, top = cn.make(ctx, node, final, "clip", "Power", [r2], ctx.shapes[x])
    msg.power_param.scale = -1.0
    msg.power_param.shift = top_value
    return top


def relu6(ctx: CaffeContext, node: Node) -> None:
    _clip01(ctx, node, ctx.x(node), 6.0, True)


def _hardsigmoid(ctx, node, final: bool) -> str:
    """relu6(x + 3) / 6 = clip(x / 6 + 1/2, 0, 1)."""
    shifted = cn.power(ctx, node, "affine", ctx.x(node), 1.0 / 6.0, 0.5)
    return _clip01(ctx, node, shifted, 1.0, final)


def hardsigmoid(ctx: CaffeContext, node: Node) -> None:
    _hardsigmoid(ctx, node, True)


def hardswish(ctx: CaffeContext, node: Node) -> None:
    gate = _hardsigmoid(ctx, node, False)
    ctx.final(node, "Eltwise", [ctx.x(node), gate]).eltwise_param.operation = 0


def silu(ctx: CaffeContext, node: Node) -> None:
    gate = ctx.tmp(node, "sigmoid", "Sigmoid", [ctx.x(node)], ctx.in_shape(node))[1]
    ctx.final(node, "Eltwise", [ctx.x(node), gate]).eltwise_param.operation = 0


# Abramowitz & Stegun 7.1.26: erf(z) = 1 - t (a1 + t (a2 + ...)) exp(-z^2), t = 1 / (1 + p z),
# z >= 0, absolute error below 1.5e-7.
_ERF_P = 0.3275911
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def gelu(ctx: CaffeContext, node: Node) -> None:
    """Caffe has no erf. Exact GELU as relu(x) - |x|/2 * (1 - erf(|x| / sqrt 2)), with erf
    from A&S 7.1.26 (error < 1.5e-7) out of AbsVal, Power, Exp and Eltwise; the "tanh" form
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) is written as is."""
    x = ctx.x(node)
    if node.attrs["approximate"] == "tanh":
        cube = cn.eltwise(ctx, node, "cube", [x, x, x], "PROD")
        msg, inner = ctx.tmp(node, "inner", "Eltwise", [x, cube], ctx.shapes[x])
        k = math.sqrt(2.0 / math.pi)
        msg.eltwise_param.operation = 1
        msg.eltwise_param.coeff.extend([k, k * 0.044715])
        th = ctx.tmp(node, "tanh", "TanH", [inner], ctx.shapes[x])[1]
        half = cn.power(ctx, node, "half", th, 0.5, 0.5)
        ctx.final(node, "Eltwise", [x, half]).eltwise_param.operation = 0
        return
    mag = ctx.tmp(node, "abs", "AbsVal", [x], ctx.shapes[x])[1]
    t = cn.power(ctx, node, "t", mag, _ERF_P / math.sqrt(2.0), 1.0, -1.0)
    poly = cn.power(ctx, node, "p4", t, _ERF_A[4], _ERF_A[3])
    for i in (2, 1, 0):  # Horner: ((a5 t + a4) t + a3) t + a2) t + a1, then times t
        poly = cn.eltwise(ctx, node, f"m{i}", [poly, t], "PROD")
        poly = cn.power(ctx, node, f"p{i}", poly, 1.0, _ERF_A[i])
    poly = cn.eltwise(ctx, node, "poly", [poly, t], "PROD")
    sq = cn.power(ctx, node, "sq", x, exponent=2.0)
    msg, gauss = ctx.tmp(node, "exp", "Exp", [sq], ctx.shapes[x])
    msg.exp_param.scale = -0.5
    tail = cn.eltwise(ctx, node, "tail", [mag, poly, gauss], "PROD")
    pos = ctx.tmp(node, "relu", "ReLU", [x], ctx.shapes[x])[1]
    msg = ctx.final(node, "Eltwise", [pos, tail])
    msg.eltwise_param.coeff.extend([1.0, -0.5])


SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def selu(ctx: CaffeContext, node: Node) -> None:
    msg, top = ctx.tmp(node, "elu", "ELU", [ctx.x(node)], ctx.in_shape(node))
    msg.elu_param.alpha = SELU_ALPHA
    ctx.final(node, "Power", [top]).power_param.scale = SELU_SCALE


ACTIVATION_TABLE = {
    "relu": _simple("ReLU"),
    "relu6": relu6,
    "leaky_relu": _simple("ReLU", _relu_setup),
    "prelu": prelu,
    "elu": _simple("ELU", _elu_setup),
    "selu": selu,
    "sigmoid": _simple("Sigmoid"),
    "tanh": _simple("TanH"),
    "silu": silu,
    "gelu": gelu,
    "hardswish": hardswish,
    "hardsigmoid": hardsigmoid,
    "softmax": _simple("Softmax", _softmax_setup),
    "log_softmax": log_softmax,
}
