"""Activations: elementwise nonlinearities and (log-)softmax."""

from __future__ import annotations

from ..registry import Attr, OpDef, ShapeError, WeightSpec, decompose
from ..types import FLOAT_DTYPES
from .rules import channels, int_or_none


def _same(name: str):
    def infer(inputs, a):
        x = inputs[0]
        if x.dtype not in FLOAT_DTYPES:
            raise ShapeError(f"{name} expects a floating-point tensor, got {x}")
        return [x]

    return infer


def _act(name: str, doc: str, attrs=(), weights=None, example=None, decomposition=None) -> OpDef:
    extra = {} if weights is None else {"weights": weights}
    return OpDef(
        name=name,
        category="activation",
        doc=doc,
        inputs=("x",),
        attrs=tuple(attrs),
        infer=_same(name),
        example=example or f"y = {name}(x)",
        decomposition=decomposition,
        **extra,
    )


def _axis_infer(name: str):
    base = _same(name)

    def infer(inputs, a):
        x = inputs[0]
        rank = x.rank
        if rank is not None and isinstance(a["axis"], int) and not -rank <= a["axis"] < rank:
            raise ShapeError(f"{name}: axis {a['axis']} is out of range for {x}")
        return base(inputs, a)

    return infer


def _softmax(name: str, doc: str) -> OpDef:
    return OpDef(
        name=name,
        category="activation",
        doc=doc,
        inputs=("x",),
        attrs=(Attr("axis", "int", 1, "the dim normalised (classes: 1 in NCHW)"),),
        infer=_axis_infer(name),
        example=f"y = {name}(dense(x, 10))",
    )


OPS = (
    _act("relu", "max(x, 0)."),
    _act("relu6", "min(max(x, 0), 6) (MobileNet)."),
    _act(
        "leaky_relu",
        "x if x > 0 else alpha * x.",
        (Attr("alpha", "float", 0.01, "slope for negative inputs"),),
        example="y = leaky_relu(x, alpha=0.1)",
    ),
    _act(
        "prelu",
        "Leaky ReLU with a learned slope per channel (dim 1).",
        weights=lambda inputs, a: [WeightSpec("weight", (int_or_none(channels(inputs[0])),))],
    ),
    _act(
        "elu",
        "x if x > 0 else alpha * (exp(x) - 1).",
        (Attr("alpha", "float", 1.0, "scale of the negative part"),),
    ),
    _act("selu", "Scaled ELU with the fixed constants of Klambauer et al."),
    _act(
        "gelu",
        "Gaussian error linear unit (exact, or the tanh approximation).",
        (Attr("approximate", "str", "none", "approximation", choices=("none", "tanh")),),
    ),
    _act("sigmoid", "1 / (1 + exp(-x))."),
    _act("tanh", "Hyperbolic tangent."),
    _act("silu", "x * sigmoid(x) (swish).", decomposition=decompose("return mul(x, sigmoid(x))")),
    _act(
        "hardswish",
        "x * relu6(x + 3) / 6 (MobileNetV3).",
        decomposition=decompose("return mul(x, hardsigmoid(x))"),
    ),
    _act("hardsigmoid", "relu6(x + 3) / 6, PyTorch's definition."),
    _softmax("softmax", "Softmax along `axis`."),
    _softmax("log_softmax", "Log of softmax along `axis`."),
)
