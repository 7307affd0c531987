"""Activations: elementwise nonlinearities and (log-)softmax."""

from __future__ import annotations

from ..registry import Attr, Case, Drawing, OpDef, ShapeError, WeightSpec, decompose
from ..types import FLOAT_DTYPES
from .rules import channels, int_or_none


def _same(name: str):
    def infer(inputs, a):
        x = inputs[0]
        if x.dtype not in FLOAT_DTYPES:
            raise ShapeError(f"{name} expects a floating-point tensor, got {x}")
        return [x]

    return infer


# How papers write each activation in the renderer's phrasings (resnet, caffe, vgg, compact,
# verbose); activations are drawn inside the box of the layer before them.
_FORMS = {
    "relu": ("relu", "ReLU", "ReLU", "ReLU", "ReLU"),
    "relu6": ("relu6", "ReLU6", "ReLU6", "ReLU6", "ReLU6"),
    "leaky_relu": (
        "leaky relu {}|alpha",
        "LeakyReLU {}|alpha",
        "lrelu {}|alpha",
        "Leaky ReLU ({})|alpha",
        "Leaky ReLU {}|alpha",
    ),
    "prelu": ("prelu", "PReLU", "PReLU", "PReLU", "PReLU"),
    "elu": ("elu", "ELU", "ELU", "ELU", "ELU"),
    "selu": ("selu", "SELU", "SELU", "SELU", "SELU"),
    "gelu": ("gelu", "GELU", "GELU", "GELU", "GELU"),
    "sigmoid": ("sigmoid", "Sigmoid", "sigmoid", "Sigmoid", "Sigmoid"),
    "tanh": ("tanh", "Tanh", "tanh", "Tanh", "Tanh"),
    "softmax": ("softmax", "Softmax", "soft-max", "Softmax", "Softmax"),
    "log_softmax": ("log softmax", "LogSoftmax", "log softmax", "LogSoftmax", "Log softmax"),
    "silu": ("silu", "SiLU", "swish", "Swish", "SiLU"),
    "hardswish": ("h-swish", "Hardswish", "h-swish", "H-Swish", "Hard swish"),
    "hardsigmoid": ("h-sigmoid", "Hardsigmoid", "h-sigmoid", "H-Sigmoid", "Hard sigmoid"),
}


def _act(
    name: str, doc: str, *cases: Case, attrs=(), weights=None, example=None, decomposition=None
) -> OpDef:
    extra = {} if weights is None else {"weights": weights}
    return OpDef(
        name=name,
        category="activation",
        drawing=Drawing(_FORMS[name], inline=True),
        doc=doc,
        inputs=("x",),
        attrs=tuple(attrs),
        infer=_same(name),
        example=example or f"y = {name}(x)",
        decomposition=decomposition,
        cases=cases,
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


def _softmax(name: str, doc: str, *cases: Case) -> OpDef:
    return OpDef(
        name=name,
        category="activation",
        drawing=Drawing(_FORMS[name], inline=True),
        doc=doc,
        inputs=("x",),
        attrs=(Attr("axis", "int", 1, "the dim normalised (classes: 1 in NCHW)"),),
        infer=_axis_infer(name),
        example=f"y = {name}(dense(x, 10))",
        cases=cases,
    )


# input signatures the conformance cases share
IMG = "x: f32[N, 4, 10, 11]"
WIDE = "mul(x, x, x)"  # values past the kinks at -3, 0, 3 and 6


def _image(name: str, call: str = "") -> Case:
    return Case("image", IMG, call or f"{name}(x)", "NCHW through a channels-last target")


OPS = (
    _act(
        "relu",
        "max(x, 0).",
        _image("relu"),
        Case(
            "outputs_repeat_input",
            "x: f32[N, 4]",
            "return x, relu(x), x",
            "a model output that is an input, twice",
        ),
    ),
    _act(
        "relu6",
        "min(max(x, 0), 6) (MobileNet).",
        _image("relu6", "relu6(conv2d(x, 3, kernel=1))"),
        Case("wide", IMG, f"relu6({WIDE})"),
    ),
    _act(
        "leaky_relu",
        "x if x > 0 else alpha * x.",
        _image("leaky_relu", "leaky_relu(x, alpha=0.2)"),
        attrs=(Attr("alpha", "float", 0.01, "slope for negative inputs"),),
        example="y = leaky_relu(x, alpha=0.1)",
    ),
    _act(
        "prelu",
        "Leaky ReLU with a learned slope per channel (dim 1).",
        Case("after_conv", IMG, "prelu(conv2d(x, 5, kernel=1))"),
        Case("channels_first", IMG, "prelu(x)", "the slope is per dim 1, also channels-last"),
        Case("channels_first_9x10", "x: f32[N, 3, 9, 10]", "prelu(x)"),
        Case("features", "x: f32[N, 13]", "prelu(x)"),
        Case("features_7", "x: f32[N, 7]", "prelu(x)"),
        Case("rank5", "x: f32[N, 3, 2, 3, 4]", "prelu(x)"),
        weights=lambda inputs, a: [
            WeightSpec("weight", (int_or_none(channels(inputs[0])),), init="slope")
        ],
    ),
    _act(
        "elu",
        "x if x > 0 else alpha * (exp(x) - 1).",
        _image("elu", "elu(x, alpha=0.7)"),
        Case(
            "chain",
            "x: f32[N, 6]",
            "y = elu(leaky_relu(x, alpha=0.2), alpha=0.7)\n"
            "y = add(hardswish(y), hardsigmoid(y), silu(y), selu(y), relu6(y))\n"
            "return mul(sigmoid(y), tanh(y))",
            "activations Caffe builds from ReLU/Power/Sigmoid/Eltwise, composed",
        ),
        attrs=(Attr("alpha", "float", 1.0, "scale of the negative part"),),
    ),
    _act(
        "selu",
        "Scaled ELU with the fixed constants of Klambauer et al.",
        _image("selu"),
        Case(
            "chain",
            "x: f32[N, 6]",
            "y = elu(leaky_relu(x, alpha=0.2), alpha=0.7)\n"
            "y = add(hardswish(y), hardsigmoid(y), silu(y), selu(y), gelu(y), relu6(y))\n"
            'return mul(sigmoid(y), tanh(gelu(y, approximate="tanh")))',
        ),
    ),
    _act(
        "gelu",
        "Gaussian error linear unit (exact, or the tanh approximation).",
        Case("erf", "x: f32[N, 3, 40]", "gelu(mul(dense(x, 40), x))", "exact: erf, not tanh"),
        Case("tanh", "x: f32[N, 7]", 'gelu(dense(x, 9), approximate="tanh")'),
        Case(
            "chain_image",
            "x: f32[N, 3, 12, 11]",
            "a = elu(selu(leaky_relu(relu6(x), alpha=0.2)), alpha=0.5)\n"
            'b = add(gelu(a, approximate="tanh"), gelu(a))\n'
            "return hardswish(hardsigmoid(silu(add(b, tanh(sigmoid(a))))))",
        ),
        attrs=(Attr("approximate", "str", "none", "approximation", choices=("none", "tanh")),),
    ),
    _act("sigmoid", "1 / (1 + exp(-x)).", _image("sigmoid")),
    _act("tanh", "Hyperbolic tangent.", _image("tanh")),
    _act(
        "silu",
        "x * sigmoid(x) (swish).",
        _image("silu"),
        decomposition=decompose("return mul(x, sigmoid(x))"),
    ),
    _act(
        "hardswish",
        "x * relu6(x + 3) / 6 (MobileNetV3).",
        Case("wide", IMG, f"hardswish({WIDE})", "Keras' hard_silu is the same curve"),
        decomposition=decompose("return mul(x, hardsigmoid(x))"),
    ),
    _act(
        "hardsigmoid",
        "relu6(x + 3) / 6, PyTorch's definition.",
        Case("wide", IMG, f"hardsigmoid({WIDE})", "slope 1/6 (PyTorch), not 0.2 (old Keras)"),
        Case(
            "sum_of_all",
            "x: f32[N, 3, 9, 10]",
            "add(relu6(x), leaky_relu(x, alpha=0.2), elu(x, alpha=1), selu(x), gelu(x), "
            'gelu(x, approximate="tanh"), sigmoid(x), tanh(x), silu(x), hardswish(x), '
            "hardsigmoid(x))",
        ),
    ),
    _softmax(
        "softmax",
        "Softmax along `axis`.",
        Case("channels", IMG, "softmax(conv2d(x, 6, kernel=1), axis=1)", "axis 1 is C in NCHW"),
        Case("channels_12x11", "x: f32[N, 3, 12, 11]", "softmax(conv2d(x, 4, kernel=1), axis=1)"),
        Case("channels_9x10", "x: f32[N, 3, 9, 10]", "softmax(conv2d(x, 4, kernel=1), axis=1)"),
        Case("height", IMG, "softmax(conv2d(x, 6, kernel=1), axis=2)"),
        Case("features", "x: f32[N, 6]", "softmax(dense(x, 4))"),
        Case(
            "symbolic_length",
            "x: f32[N, 8, T]",
            "softmax(conv1d(x, 4, kernel=3, padding=1))",
            "a length known only when run",
        ),
    ),
    _softmax(
        "log_softmax",
        "Log of softmax along `axis`.",
        Case("height", IMG, "log_softmax(conv2d(x, 6, kernel=1), axis=2)"),
        Case("height_12x11", "x: f32[N, 3, 12, 11]", "log_softmax(conv2d(x, 4, kernel=1), axis=2)"),
        Case("features", "x: f32[N, 6]", "log_softmax(x)"),
        Case("last_axis", "x: f32[N, 3, 9, 10]", "log_softmax(x, axis=-1)"),
    ),
)
