"""Layer phrases: golden (text -> layers) pairs, OCR confusions, unknown text, and
hypothesis properties (never raises; phrases built from parts parse back)."""

from __future__ import annotations

import logging
import string
import time
from importlib import resources

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Lark, logger

from papercc.compiler.phrases import HOLE, Layer, Phrase, normalise, parse_phrase, phrase_hole
from papercc.ir.registry import OPS
from papercc.ir.values import HOLE as IR_HOLE

SPECIAL_KINDS = {"input", "output", "unknown", "block", "pool"}

# (text, [(op, attrs), ...]); attrs must match exactly, recognised must be True.
GOLDEN = [
    # the list
    ("Conv 3x3, 64", [("conv2d", {"kernel": (3, 3), "out": 64})]),
    ("3x3 conv, 64, /2", [("conv2d", {"kernel": (3, 3), "out": 64, "stride": (2, 2)})]),
    ("conv3-64", [("conv2d", {"kernel": (3, 3), "out": 64})]),
    ("3×3 Conv (192 V)", [("conv2d", {"kernel": (3, 3), "out": 192, "padding": "valid"})]),
    ("Conv 7x7/2", [("conv2d", {"kernel": (7, 7), "stride": (2, 2)})]),
    (
        "Convolution 5x5, 6 @ stride 1",
        [("conv2d", {"kernel": (5, 5), "out": 6, "stride": (1, 1)})],
    ),
    ("1x7 Conv (224)", [("conv2d", {"kernel": (1, 7), "out": 224})]),
    ("Conv dw / s2", [("depthwise_conv2d", {"stride": (2, 2)})]),
    ("3 × 3 × 32 dw", [("depthwise_conv2d", {"kernel": (3, 3)})]),
    ("3 × 3 × 32 × 64", [("conv2d", {"kernel": (3, 3), "out": 64})]),
    ("MaxPool 2x2", [("maxpool2d", {"kernel": (2, 2)})]),
    (
        "3x3 MaxPool (stride 2 V)",
        [("maxpool2d", {"kernel": (3, 3), "stride": (2, 2), "padding": "valid"})],
    ),
    ("max pool /2", [("maxpool2d", {"stride": (2, 2)})]),
    ("Avg Pooling", [("avgpool2d", {})]),
    ("Global Avg Pool", [("globalavgpool", {})]),
    ("FC 4096", [("dense", {"units": 4096})]),
    ("fc-1000", [("dense", {"units": 1000})]),
    ("Dense (10)", [("dense", {"units": 10})]),
    ("Fully connected", [("dense", {})]),
    ("Softmax", [("softmax", {})]),
    ("soft-max", [("softmax", {})]),
    ("ReLU", [("relu", {})]),
    ("BN", [("batchnorm", {})]),
    ("Batch Norm", [("batchnorm", {})]),
    ("Dropout (keep 0.8)", [("dropout", {"rate": 0.2})]),
    ("Dropout 0.5", [("dropout", {"rate": 0.5})]),
    ("Filter concat", [("concat", {})]),
    ("DepthConcat", [("concat", {})]),
    ("Concat", [("concat", {})]),
    ("+", [("add", {})]),
    ("Flatten", [("flatten", {})]),
    ("Input 224x224x3", [("input", {"shape": (3, 224, 224)})]),
    ("Image 32x32", [("input", {"shape": (HOLE, 32, 32)})]),
    ("input (299x299x3)", [("input", {"shape": (3, 299, 299)})]),
    ("LRN", [("lrn", {})]),
    ("LSTM 512", [("lstm", {"hidden": 512})]),
    ("up-conv 2x2", [("conv_transpose2d", {"kernel": (2, 2), "stride": (2, 2)})]),
    ("copy and crop", [("center_crop", {})]),
    ("Conv 3x3, 64 + ReLU", [("conv2d", {"kernel": (3, 3), "out": 64}), ("relu", {})]),
    ("conv 3x3, ReLU", [("conv2d", {"kernel": (3, 3)}), ("relu", {})]),
    ("Conv + BN + ReLU", [("conv2d", {}), ("batchnorm", {}), ("relu", {})]),
    # what real papers write (ResNet, Inception, U-Net, VGG, GoogLeNet, MobileNet)
    ("7x7 conv, 64, /2", [("conv2d", {"kernel": (7, 7), "out": 64, "stride": (2, 2)})]),
    ("pool, /2", [("pool", {"stride": (2, 2)})]),
    ("avg pool", [("avgpool2d", {})]),
    ("fc 1000", [("dense", {"units": 1000})]),
    ("3x3 conv, 128", [("conv2d", {"kernel": (3, 3), "out": 128})]),
    ("1x1 conv, 256", [("conv2d", {"kernel": (1, 1), "out": 256})]),
    ("Avg Pool 8x8", [("avgpool2d", {"kernel": (8, 8)})]),
    ("Max pool 3x3/2", [("maxpool2d", {"kernel": (3, 3), "stride": (2, 2)})]),
    ("1x1 Conv (96)", [("conv2d", {"kernel": (1, 1), "out": 96})]),
    (
        "3x3 Conv (384 stride 2 V)",
        [("conv2d", {"kernel": (3, 3), "out": 384, "stride": (2, 2), "padding": "valid"})],
    ),
    ("Stem", [("block", {"name": "stem"})]),
    ("Inception-A", [("block", {"name": "inception_a"})]),
    ("Reduction-B", [("block", {"name": "reduction_b"})]),
    ("Inception-ResNet-C", [("block", {"name": "inception_resnet_c"})]),
    ("inception (3a)", [("block", {"name": "inception", "variant": "3a"})]),
    ("inception (4d)", [("block", {"name": "inception", "variant": "4d"})]),
    ("conv 1x1", [("conv2d", {"kernel": (1, 1)})]),
    ("deconv", [("conv_transpose2d", {})]),
    ("Concatenation", [("concat", {})]),
    ("Sum", [("add", {})]),
    ("Element-wise sum", [("add", {})]),
    ("⊕", [("add", {})]),
    ("Pool", [("pool", {})]),
    ("Linear 512", [("dense", {"units": 512})]),
    ("Sigmoid", [("sigmoid", {})]),
    ("Tanh", [("tanh", {})]),
    ("conv3-512", [("conv2d", {"kernel": (3, 3), "out": 512})]),
    ("conv1-256", [("conv2d", {"kernel": (1, 1), "out": 256})]),
    ("FC-4096", [("dense", {"units": 4096})]),
    ("maxpool", [("maxpool2d", {})]),
    ("Conv / s2", [("conv2d", {"stride": (2, 2)})]),
    ("Avg Pool / s1", [("avgpool2d", {"stride": (1, 1)})]),
    ("FC / s1", [("dense", {})]),
    ("Pool 7 × 7", [("pool", {"kernel": (7, 7)})]),
    ("Conv 7x7+2(S)", [("conv2d", {"kernel": (7, 7), "stride": (2, 2), "padding": "same"})]),
    (
        "MaxPool 3x3+2(S)",
        [("maxpool2d", {"kernel": (3, 3), "stride": (2, 2), "padding": "same"})],
    ),
    (
        "AveragePool 5x5+3(V)",
        [("avgpool2d", {"kernel": (5, 5), "stride": (3, 3), "padding": "valid"})],
    ),
    ("LocalRespNorm", [("lrn", {})]),
    ("SoftmaxActivation", [("softmax", {})]),
    ("dropout (40%)", [("dropout", {"rate": 0.4})]),
    ("224 × 224 RGB image", [("input", {"shape": (3, 224, 224)})]),
    ("input image tile 572x572", [("input", {"shape": (HOLE, 572, 572)})]),
    ("output segmentation map 388x388x2", [("output", {"shape": (2, 388, 388)})]),
    ("conv 1x1", [("conv2d", {"kernel": (1, 1)})]),
    # other papers' phrasing
    ("MBConv6, k3x3", [("block", {"name": "mbconv", "expand": 6, "kernel": (3, 3)})]),
    ("MBConv1, k5x5", [("block", {"name": "mbconv", "expand": 1, "kernel": (5, 5)})]),
    ("1 × 1 conv", [("conv2d", {"kernel": (1, 1)})]),
    ("3 × 3 max pool, stride 2", [("maxpool2d", {"kernel": (3, 3), "stride": (2, 2)})]),
    ("2 × 2 average pool, stride 2", [("avgpool2d", {"kernel": (2, 2), "stride": (2, 2)})]),
    ("7 × 7 global average pool", [("globalavgpool", {})]),
    ("1000D fully-connected, softmax", [("dense", {"units": 1000}), ("softmax", {})]),
    (
        "7x7 conv, 64, /2 + BN + ReLU",
        [
            ("conv2d", {"kernel": (7, 7), "out": 64, "stride": (2, 2)}),
            ("batchnorm", {}),
            ("relu", {}),
        ],
    ),
    (
        "max pool 3x3, stride 2, padding 1",
        [("maxpool2d", {"kernel": (3, 3), "stride": (2, 2), "padding": (1, 1)})],
    ),
    (
        "conv 3x3 stride=(2, 1) pad=1",
        [("conv2d", {"kernel": (3, 3), "stride": (2, 1), "padding": (1, 1)})],
    ),
    ("Conv2D(64, (3,3), strides=2)", [("conv2d", {"out": 64, "kernel": (3, 3), "stride": (2, 2)})]),
    ("conv 3x3, 64 filters", [("conv2d", {"kernel": (3, 3), "out": 64})]),
    ("FC, 4096 units", [("dense", {"units": 4096})]),
    ("2-layer LSTM 128", [("lstm", {"hidden": 128, "layers": 2})]),
    ("bidirectional LSTM 256", [("lstm", {"hidden": 256, "bidirectional": True})]),
    ("Leaky ReLU (0.2)", [("leaky_relu", {"alpha": 0.2})]),
    ("BN + ReLU6", [("batchnorm", {}), ("relu6", {})]),
    ("h-swish", [("hardswish", {})]),
    ("Dropout p=0.5", [("dropout", {"rate": 0.5})]),
    ("dropout rate 0.3", [("dropout", {"rate": 0.3})]),
    ("keep_prob 0.5 dropout", [("dropout", {"rate": 0.5})]),
    ("2x upsample", [("upsample", {"scale": 2})]),
    ("bilinear upsampling", [("upsample", {"mode": "bilinear"})]),
    ("2D conv 3x3", [("conv2d", {"kernel": (3, 3)})]),
    ("conv3d 3x3x3, 64", [("conv3d", {"kernel": (3, 3, 3), "out": 64})]),
    ("Input 3x224x224", [("input", {"shape": (3, 224, 224)})]),
    ("input 1@32x32", [("input", {"shape": (1, 32, 32)})]),
    ("Output: 1000", [("output", {"shape": (1000,)})]),
    ("sep conv 3x3", [("block", {"name": "separable_conv", "kernel": (3, 3)})]),
    (
        "Conv 3x3 ReLU 3x3 conv",
        [("conv2d", {"kernel": (3, 3)}), ("relu", {}), ("conv2d", {"kernel": (3, 3)})],
    ),
    ("MaxPool, 3x3 conv", [("maxpool2d", {}), ("conv2d", {"kernel": (3, 3)})]),
    ("conv 3x3 s2", [("conv2d", {"kernel": (3, 3), "stride": (2, 2)})]),
    ("conv1x1", [("conv2d", {"kernel": (1, 1)})]),
    ("Conv 3x3 layer", [("conv2d", {"kernel": (3, 3)})]),
    ("BN block", [("batchnorm", {})]),
]

GOLDEN += [
    (
        "3x3 Conv (n stride 2 V)",
        [("conv2d", {"kernel": (3, 3), "stride": (2, 2), "padding": "valid"})],
    ),
    ("input ( 224  ×  224  RGB image)", [("input", {"shape": (3, 224, 224)})]),
    ("Input 572²", [("input", {"shape": (HOLE, 572, 572)})]),
    ("linear activation", [("identity", {})]),
    ("fc6 4096", [("dense", {"units": 4096})]),
    ("Conv3x3", [("conv2d", {"kernel": (3, 3)})]),
    ("conv3x3-64", [("conv2d", {"kernel": (3, 3), "out": 64})]),
    (
        "Conv 3x3, 64, BN, ReLU",
        [("conv2d", {"kernel": (3, 3), "out": 64}), ("batchnorm", {}), ("relu", {})],
    ),
    ("Softmax 1000", [("softmax", {})]),
    ("3x3x64 conv", [("conv2d", {"kernel": (3, 3)})]),
    ("4 x Inception-A", [("block", {"name": "inception_a"})]),
    ("Output: 17x17x1024", [("output", {"shape": (1024, 17, 17)})]),
    ("Relu activation", [("relu", {})]),
    ("softmax0", [("softmax", {})]),
    ("(256 Linear)", [("dense", {"units": 256})]),
    (
        "average pool, 1000-d fc, softmax",
        [("avgpool2d", {}), ("dense", {"units": 1000}), ("softmax", {})],
    ),
    (
        "1×1 conv, 64 → 3×3 conv, 64",
        [("conv2d", {"kernel": (1, 1), "out": 64}), ("conv2d", {"kernel": (3, 3), "out": 64})],
    ),
    # AlexNet / YOLO / DenseNet / Transformer phrasing
    (
        "conv1: 96 11x11 filters, stride 4",
        [("conv2d", {"kernel": (11, 11), "out": 96, "stride": (4, 4)})],
    ),
    ("Maxpool Layer 2x2-s-2", [("maxpool2d", {"kernel": (2, 2), "stride": (2, 2)})]),
    ("Dense Block (1)", [("block", {"name": "dense_block", "variant": "1"})]),
    ("Transition Layer (2)", [("block", {"name": "transition", "variant": "2"})]),
    ("Feed Forward", [("block", {"name": "feed_forward"})]),
    ("Multi-Head Attention", [("attention", {})]),
    ("Multi-Head Attention (8 heads)", [("attention", {"heads": 8})]),
    ("Layer Norm & Add", [("layernorm", {}), ("add", {})]),
]

# misreadings reported by the teams that use the reader
GOLDEN += [
    # 1. a name written without spaces is no OCR damage ("avgpool" is not "gavgpool")
    ("AvgPool 2x2/2", [("avgpool2d", {"kernel": (2, 2), "stride": (2, 2)})]),
    ("MaxPool 2x2/2", [("maxpool2d", {"kernel": (2, 2), "stride": (2, 2)})]),
    ("AvgPool 3x3/1", [("avgpool2d", {"kernel": (3, 3), "stride": (1, 1)})]),
    ("AvgPool", [("avgpool2d", {})]),
    ("AveragePooling 2x2", [("avgpool2d", {"kernel": (2, 2)})]),
    ("GAvgPool", [("globalavgpool", {})]),
    # 2. rank suffixes and "kernel, out" pairs
    ("Conv1d 3, 64", [("conv1d", {"kernel": (3,), "out": 64})]),
    ("Conv1D 3, 64", [("conv1d", {"kernel": (3,), "out": 64})]),
    ("Conv 3, 64", [("conv2d", {"kernel": (3, 3), "out": 64})]),
    ("conv 3, 64, /2", [("conv2d", {"kernel": (3, 3), "out": 64, "stride": (2, 2)})]),
    ("Conv 3, 64 filters", [("conv2d", {"kernel": (3, 3), "out": 64})]),
    ("Conv 64", [("conv2d", {"out": 64})]),
    ("MaxPool3D 2x2x2", [("maxpool3d", {"kernel": (2, 2, 2)})]),
    ("MaxPooling1D 2", [("maxpool1d", {"kernel": (2,)})]),
    ("BatchNorm2d", [("batchnorm", {})]),
    # 3. a leading "name:" is a label, not a layer
    ("conv1: 7x7 conv, 64, /2", [("conv2d", {"kernel": (7, 7), "out": 64, "stride": (2, 2)})]),
    ("C3: 5x5 conv, 16", [("conv2d", {"kernel": (5, 5), "out": 16})]),
    ("fc7: FC 4096", [("dense", {"units": 4096})]),
    ("fc7: 4096", [("dense", {"units": 4096})]),
    ("S2: 2x2 avg pool, /2", [("avgpool2d", {"kernel": (2, 2), "stride": (2, 2)})]),
    ("S4: subsampling 2x2", [("pool", {"kernel": (2, 2)})]),
    # 4. a 3-part conv size at rank 2 is a filter shape k x k x Cin (noted)
    ("3x3x3 conv, 64", [("conv2d", {"kernel": (3, 3), "out": 64})]),
    # 5. zero padding
    ("Zero-pad 1", [("zeropad2d", {"padding": (1, 1)})]),
    ("Zero padding (1)", [("zeropad2d", {"padding": (1, 1)})]),
    ("ZeroPad 1x2", [("zeropad2d", {"padding": (1, 2)})]),
    ("ZeroPadding2D((1, 1))", [("zeropad2d", {"padding": (1, 1)})]),
    (
        "zero pad 1 + conv 3x3, 64",
        [("zeropad2d", {"padding": (1, 1)}), ("conv2d", {"kernel": (3, 3), "out": 64})],
    ),
    # 6. two numbers of an embedding in the registry's order
    ("Embedding 10000, 512", [("embedding", {"num": 10000, "dim": 512})]),
    ("Embedding 512", [("embedding", {"dim": 512})]),
    # 7. interpolation mode words (the registry's choices)
    ("Upsample x2, bilinear", [("upsample", {"scale": 2, "mode": "bilinear"})]),
    ("upsample 2, nearest", [("upsample", {"scale": 2, "mode": "nearest"})]),
    ("bilinear upsampling", [("upsample", {"mode": "bilinear"})]),
    # 8. "Linear" inside a conv's brackets: no activation
    ("1x1 Conv (896 Linear)", [("conv2d", {"kernel": (1, 1), "out": 896})]),
    ("1x1 Conv\n(1154 Linear)", [("conv2d", {"kernel": (1, 1), "out": 1154})]),
]

# OCR confusions: text -> the same layers as the clean text
# an add box with its activation merged into the label (renderers and papers draw these)
GOLDEN += [
    ("+, relu", [("add", {}), ("relu", {})]),
    ("+ + relu", [("add", {}), ("relu", {})]),
    ("⊕ ReLU", [("add", {}), ("relu", {})]),
    ("+ BN + ReLU", [("add", {}), ("batchnorm", {}), ("relu", {})]),
]

OCR = [
    ("Conv 6O", [("conv2d", {"out": 60})]),
    ("FC 1O24", [("dense", {"units": 1024})]),
    ("conv 3x3, l28", [("conv2d", {"kernel": (3, 3), "out": 128})]),
    ("conv 3xl, 64", [("conv2d", {"kernel": (3, 1), "out": 64})]),
    ("Conv 3X3, 64", [("conv2d", {"kernel": (3, 3), "out": 64})]),
    ("Conv 3*3, 64", [("conv2d", {"kernel": (3, 3), "out": 64})]),
    ("Conv 3 x 3 , 64", [("conv2d", {"kernel": (3, 3), "out": 64})]),
    ("Conv 3x3,", [("conv2d", {"kernel": (3, 3)})]),
    ("CONV   3x3 ,64 .", [("conv2d", {"kernel": (3, 3), "out": 64})]),
    ("conv_3x3_64", [("conv2d", {"kernel": (3, 3), "out": 64})]),
    ("Max‐Pool 2×2", [("maxpool2d", {"kernel": (2, 2)})]),
    ("Conv 3x3 – 64", [("conv2d", {"kernel": (3, 3), "out": 64})]),
    ("conv 3x3 s2", [("conv2d", {"kernel": (3, 3), "stride": (2, 2)})]),
    ("c0nv 3x3", [("conv2d", {"kernel": (3, 3)})]),
    ("p00l", [("pool", {})]),
    ("rnax pool 2x2", [("maxpool2d", {"kernel": (2, 2)})]),
    ("Convolutlon 3x3", [("conv2d", {"kernel": (3, 3)})]),
    ("Sotfmax", [("softmax", {})]),
    ("Avarage Pooling", [("avgpool2d", {})]),
    ("FC l000", [("dense", {"units": 1000})]),
    ("Dropout O.5", [("dropout", {"rate": 0.5})]),
    ("conv 3x3, |28", [("conv2d", {"kernel": (3, 3), "out": 128})]),
    ("Conv 3x3, I28", [("conv2d", {"kernel": (3, 3), "out": 128})]),
    ("Ｃｏｎｖ ３×３, ６４", [("conv2d", {"kernel": (3, 3), "out": 64})]),
    ("Convld 3, 64", [("conv1d", {"kernel": (3,), "out": 64})]),
    ("AvgPooI 2x2/2", [("avgpool2d", {"kernel": (2, 2), "stride": (2, 2)})]),
]


def _check(text: str, expected: list, **kw) -> Phrase:
    phrase = parse_phrase(text, **kw)
    got = [(layer.op, dict(layer.attrs)) for layer in phrase.layers]
    assert got == expected, (text, phrase)
    assert phrase.recognised, (text, phrase)
    assert phrase.text == text
    return phrase


@pytest.mark.parametrize(("text", "expected"), GOLDEN, ids=[t for t, _ in GOLDEN])
def test_golden(text, expected):
    _check(text, expected)


@pytest.mark.parametrize(("text", "expected"), OCR, ids=[t for t, _ in OCR])
def test_ocr_confusions(text, expected):
    _check(text, expected)


def test_holes_name_required_attrs_left_open():
    assert parse_phrase("Conv 3x3").layers[0].holes == ("out",)
    assert parse_phrase("Conv dw / s2").layers[0].holes == ("kernel",)
    assert parse_phrase("deconv").layers[0].holes == ("kernel", "out")
    assert parse_phrase("Fully connected").layers[0].holes == ("units",)
    assert parse_phrase("max pool /2").layers[0].holes == ("kernel",)
    assert parse_phrase("Conv 3x3, 64").layers[0].holes == ()
    assert parse_phrase("ReLU").layers[0].holes == ()
    image = parse_phrase("Image 32x32").layers[0]
    assert image.holes == ("shape",) and image.get("shape")[0] is IR_HOLE


def test_hole_sentinel_is_the_irs():
    assert HOLE is phrase_hole is IR_HOLE


def test_notes_explain_readings():
    v = parse_phrase("3×3 Conv (192 V)").layers[0]
    assert any("valid" in n for n in v.notes)
    keep = parse_phrase("Dropout (keep 0.8)").layers[0]
    assert any("keep" in n for n in keep.notes)
    upconv = parse_phrase("up-conv 2x2").layers[0]
    assert any("stride" in n for n in upconv.notes)


def test_filter_shape_notes_input_channels():
    layer = parse_phrase("3 × 3 × 32 × 64").layers[0]
    assert any("32 input channels" in n for n in layer.notes)
    dw = parse_phrase("3 × 3 × 32 dw").layers[0]
    assert any("32 channels" in n for n in dw.notes)


def test_default_padding_only_where_unstated():
    same = parse_phrase("1x1 Conv (64)", default_padding="same").layers[0]
    assert same.get("padding") == "same"
    valid = parse_phrase("3×3 Conv (192 V)", default_padding="same").layers[0]
    assert valid.get("padding") == "valid"
    assert parse_phrase("1x1 Conv (64)").layers[0].get("padding") is None
    relu = parse_phrase("ReLU", default_padding="same").layers[0]
    assert relu.attrs == ()


def test_default_pool():
    assert parse_phrase("pool, /2", default_pool="max").ops == ("maxpool2d",)
    assert parse_phrase("Pool 7x7", default_pool="avg").layers[0].attrs == (("kernel", (7, 7)),)
    assert parse_phrase("Pool").ops == ("pool",)


def test_default_op_for_table_cells_without_op_word():
    assert parse_phrase("3×3, 64").ops == ("unknown",)
    assert not parse_phrase("3×3, 64").recognised
    cell = parse_phrase("7×7, 64, stride 2", default_op="conv{r}d")
    assert cell.recognised
    assert cell.layers[0].attrs == (("kernel", (7, 7)), ("out", 64), ("stride", (2, 2)))
    stack = parse_phrase("[1×1, 64; 3×3, 64; 1×1, 256] ×3", default_op="conv2d")
    assert stack.repeat == 3
    assert [layer.get("kernel") for layer in stack.layers] == [(1, 1), (3, 3), (1, 1)]
    assert [layer.get("out") for layer in stack.layers] == [64, 64, 256]
    fc = parse_phrase("1024 × 1000", default_op="dense")
    assert fc.layers[0].get("units") == 1000


def test_repeat():
    assert parse_phrase("5× Conv dw / s1").repeat == 5
    assert parse_phrase("[3x3 conv, 64] x2").repeat == 2
    assert parse_phrase("Conv 3x3").repeat == 1


def test_rank_parameter():
    assert parse_phrase("conv 3, 64", rank=1).layers[0].op == "conv1d"
    layer = parse_phrase("max pool 2", rank=3).layers[0]
    assert layer.op == "maxpool3d" and layer.get("kernel") == (2, 2, 2)


def test_symbolic_counts_are_holes():
    layer = parse_phrase("3x3 Conv (n stride 2 V)").layers[0]
    assert layer.holes == ("out",) and any("'n'" in note for note in layer.notes)
    relu = parse_phrase("ReLU (n)")
    assert not relu.recognised and relu.ops == ("relu", "unknown")


def test_sizes_that_do_not_fit_the_rank_lower_confidence():
    assert not parse_phrase("conv stride (2,1,1)").recognised
    assert not parse_phrase("max pool 3x3x3x3").recognised


def test_ambiguous_third_size_number_is_a_note_not_out():
    layer = parse_phrase("3x3x64 conv").layers[0]
    assert layer.holes == ("out",)
    assert any("64 channels" in note for note in layer.notes)


def test_speed_is_well_under_a_millisecond_per_phrase():
    texts = [t for t, _ in GOLDEN + OCR]
    parse_phrase("warm up")
    start = time.perf_counter()
    for text in texts:
        parse_phrase(text)
    mean = (time.perf_counter() - start) / len(texts)
    assert mean < 2e-3, f"{mean * 1e6:.0f} us per phrase"


def test_layer_labels_are_not_ops():
    phrase = parse_phrase("C1: feature maps 6@28x28", default_op="conv2d")
    assert phrase.layers[0].get("out") == 6
    assert parse_phrase("conv5_3").layers[0].get("out") is None


def test_leading_name_is_returned_as_the_label():
    phrase = parse_phrase("conv1: 7x7 conv, 64, /2")
    assert phrase.label == "conv1" and len(phrase.layers) == 1
    lenet = parse_phrase("S2: 2x2 avg pool, /2")
    assert lenet.label == "s2" and lenet.layers[0].get("stride") == (2, 2)
    assert parse_phrase("S2: 2x2 avg pool").layers[0].get("stride") is None  # not "s2"
    assert parse_phrase("C3: 5x5 conv, 16").label == "c3"
    # the name is the only op word: it stays the op (and is the label too)
    fc = parse_phrase("fc7: 4096")
    assert fc.ops == ("dense",) and fc.label == "fc7"
    assert parse_phrase("conv 3x3 s2").label is None
    assert parse_phrase("Output: 1000").label is None


def test_kernel_out_pair_rule():
    """Two bare numbers after a conv: the first is the kernel when it is a small odd
    size (1..11) and no kernel is stated; otherwise both are channel counts (clash)."""
    layer = parse_phrase("Conv 3, 64").layers[0]
    assert layer.get("kernel") == (3, 3) and layer.get("out") == 64
    assert any("kernel 3, out 64" in note for note in layer.notes)
    assert parse_phrase("Conv 3, 64", rank=1).layers[0].attrs == (("kernel", (3,)), ("out", 64))
    assert parse_phrase("Conv 3, 64", rank=3).layers[0].get("kernel") == (3, 3, 3)
    assert not parse_phrase("Conv 4, 64").recognised  # 4 is no kernel size: out 4 clashes
    assert not parse_phrase("Conv 64, 128").recognised
    assert not parse_phrase("Conv 3x3, 3, 64").recognised  # kernel stated: 3 is out
    assert not parse_phrase("Conv 3, 64, 128").recognised
    assert parse_phrase("conv 3").layers[0].get("out") == 3  # one number: out, as before
    cell = parse_phrase("3, 64", default_op="conv{r}d").layers[0]
    assert cell.get("kernel") == (3, 3) and cell.get("out") == 64


def test_three_part_conv_size_keeps_every_dimension_in_a_note():
    layer = parse_phrase("3x3x3 conv, 64").layers[0]
    assert layer.get("kernel") == (3, 3) and layer.get("out") == 64
    assert any("3 input channels" in n and "rank=3" in n for n in layer.notes), layer.notes
    cube = parse_phrase("3x3x3 conv, 64", rank=3).layers[0]
    assert cube.op == "conv3d" and cube.get("kernel") == (3, 3, 3) and not cube.notes
    assert parse_phrase("conv3d 3x3x3, 64").layers[0].get("kernel") == (3, 3, 3)
    # same reading as a 4-part filter shape kh x kw x Cin x Cout
    four = parse_phrase("3 × 3 × 3 × 64").layers[0]
    assert four.get("kernel") == (3, 3) and four.get("out") == 64
    assert any("3 input channels" in n for n in four.notes)


def test_linear_in_a_convs_brackets_means_no_activation():
    phrase = parse_phrase("1x1 Conv (896 Linear)")
    assert phrase.ops == ("conv2d",)
    assert "linear: no activation" in phrase.layers[0].notes
    assert parse_phrase("Linear 512").ops == ("dense",)
    assert parse_phrase("(256 Linear)").ops == ("dense",)
    assert parse_phrase("1x1 Conv, Linear 512").ops == ("conv2d", "dense")
    assert parse_phrase("1x1 Conv + (Linear 512)").ops == ("conv2d", "dense")


def test_rank_suffix_on_other_ops_is_noted():
    layer = parse_phrase("BatchNorm2d").layers[0]
    assert layer.op == "batchnorm" and any("rank suffix" in n for n in layer.notes)
    assert parse_phrase("MaxPooling2D 2x2", rank=1).layers[0].op == "maxpool2d"


UNKNOWN = ["hello world", "", "   ", "Classifier", "x2", "???", "3×3, 64", "1024 × 1000", "⌘⌘"]


@pytest.mark.parametrize("text", UNKNOWN)
def test_unreadable_text_is_unknown(text):
    phrase = parse_phrase(text)
    assert not phrase.recognised
    assert phrase.ops == ("unknown",)
    assert phrase.layers[0].get("text") == text


def test_unknown_words_are_kept_and_lower_confidence():
    phrase = parse_phrase("Conv 3x3 foobar")
    assert not phrase.recognised
    assert phrase.ops == ("conv2d", "unknown")
    assert phrase.layers[1].get("text") == "foobar"


def test_clashing_values_lower_confidence():
    assert not parse_phrase("Conv 3x3, 64, 128").recognised
    assert not parse_phrase("3x3 conv, 64 V same").recognised
    assert not parse_phrase("ReLU 64").recognised


def test_non_string_is_a_clear_error():
    with pytest.raises(TypeError, match="expects str"):
        parse_phrase(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "options",
    [
        {"default_padding": "full"},
        {"default_pool": "min"},
        {"rank": 4},
        {"default_op": "convolution"},
    ],
)
def test_bad_options_are_clear_errors(options):
    with pytest.raises(ValueError, match="must be"):
        parse_phrase("conv 3x3", **options)


def test_normalise():
    assert normalise("3 × 3  Conv,  6O") == "3x3 conv, 60"
    assert normalise("Max‐Pool (2×2") == "max pool (2x2)"
    assert normalise("conv3-64") == "conv3-64"
    assert normalise("Inception-A") == "inception a"


def test_grammar_is_package_data_and_conflict_free(caplog):
    text = (resources.files("papercc.grammar") / "phrase.lark").read_text(encoding="utf-8")
    logger.setLevel(logging.DEBUG)
    try:
        with caplog.at_level(logging.DEBUG, logger="lark"):
            Lark(text, parser="lalr", lexer="basic", debug=True)
    finally:
        logger.setLevel(logging.WARNING)
    assert not [r for r in caplog.records if "conflict" in r.getMessage().lower()]


def test_ops_are_registry_ops_or_special_kinds():
    for text, _ in GOLDEN + OCR:
        for layer in parse_phrase(text).layers:
            assert layer.op in OPS or layer.op in SPECIAL_KINDS, (text, layer)
            if layer.op in OPS:
                names = {a.name for a in OPS[layer.op].attrs}
                assert {k for k, _ in layer.attrs} <= names, (text, layer)


def test_results_are_frozen_and_sorted():
    phrase = parse_phrase("3x3 conv, 64, /2")
    with pytest.raises(AttributeError):
        phrase.recognised = False  # type: ignore[misc]
    layer = phrase.layers[0]
    assert isinstance(layer, Layer)
    assert [k for k, _ in layer.attrs] == sorted(k for k, _ in layer.attrs)
    assert hash(layer.op) and layer.attr_dict["out"] == 64


# ------------------------------------------------------------------ properties

_PIECES = [
    "conv",
    "Conv",
    "3x3",
    "7×7",
    "/2",
    "s2",
    "64",
    ",",
    "+",
    "(",
    ")",
    "[",
    "]",
    "V",
    "same",
    "stride",
    "pool",
    "max",
    "avg",
    "fc",
    "-",
    "1000D",
    "keep",
    "0.8",
    "dw",
    "@",
    "x2",
    "5×",
    "Inception",
    "A",
    "l28",
    "6O",
    "relu",
    "BN",
    "=",
    ":",
    "k3x3",
    "conv3",
    "%",
    "⊕",
    "—",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=40))
def test_random_text_never_raises(text):
    phrase = parse_phrase(text)
    assert isinstance(phrase, Phrase) and phrase.layers
    for layer in phrase.layers:
        assert layer.op in OPS or layer.op in SPECIAL_KINDS
    if phrase.recognised:
        assert "unknown" not in phrase.ops


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=12), st.sampled_from([" ", "", "  "]))
def test_random_piece_soup_never_raises(pieces, sep):
    phrase = parse_phrase(sep.join(pieces))
    assert isinstance(phrase, Phrase) and phrase.layers
    if phrase.recognised:
        assert "unknown" not in phrase.ops


_CONV_WORDS = ["conv", "Conv", "convolution", "Convolution", "CONV"]
_POOL_WORDS = {
    "maxpool2d": ["max pool", "MaxPool", "Max Pooling", "max-pool"],
    "avgpool2d": ["avg pool", "Avg Pool", "average pooling", "AveragePool"],
}
_FC_WORDS = ["FC", "fc", "Dense", "Linear", "fully connected", "Fully-Connected"]
_TIMES = ["x", "×", "X", "*", " × "]


def _stride_text(stride: int, form: int) -> str:
    return [
        f", /{stride}",
        f" stride {stride}",
        f" / s{stride}",
        f" (stride {stride})",
        f", stride={stride}",
    ][form]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(_CONV_WORDS),
    st.integers(1, 11),
    st.integers(1, 11),
    st.integers(1, 4096),
    st.one_of(st.none(), st.integers(1, 4)),
    st.integers(0, 4),
    st.sampled_from(_TIMES),
    st.booleans(),
)
def test_conv_phrases_parse_back(word, kh, kw, out, stride, form, times, prefix):
    size = f"{kh}{times}{kw}"
    text = f"{size} {word}, {out}" if prefix else f"{word} {size}, {out}"
    if stride is not None:
        text += _stride_text(stride, form)
    phrase = parse_phrase(text)
    assert phrase.recognised, (text, phrase)
    assert phrase.ops == ("conv2d",), (text, phrase)
    layer = phrase.layers[0]
    assert layer.get("kernel") == (kh, kw) and layer.get("out") == out, (text, layer)
    assert layer.get("stride") == (None if stride is None else (stride, stride)), (text, layer)


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(["conv1", "C3", "c5", "S2", "s4", "F6", "fc7", "layer2", "Conv5_3", "k3"]),
    st.sampled_from(_CONV_WORDS),
    st.integers(1, 11),
    st.integers(1, 4096),
    st.one_of(st.none(), st.integers(1, 4)),
    st.integers(0, 4),
)
def test_labelled_phrases_read_like_unlabelled(label, word, k, out, stride, form):
    text = f"{k}x{k} {word}, {out}"
    if stride is not None:
        text += _stride_text(stride, form)
    plain = parse_phrase(text)
    labelled = parse_phrase(f"{label}: {text}")
    assert labelled.layers == plain.layers, (label, text, labelled)
    assert labelled.recognised == plain.recognised
    assert labelled.label == label.lower()


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(_CONV_WORDS),
    st.sampled_from([1, 3, 5, 7, 9, 11]),
    st.integers(1, 4096),
    st.sampled_from([1, 2, 3]),
    st.sampled_from([", ", " , ", " "]),
)
def test_kernel_then_channels_parse_back(word, k, out, rank, sep):
    layer = parse_phrase(f"{word} {k}{sep}{out}", rank=rank).layers[0]
    assert layer.op == f"conv{rank}d"
    assert layer.get("kernel") == (k,) * rank and layer.get("out") == out, layer


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(sorted(_POOL_WORDS)),
    st.data(),
    st.integers(1, 9),
    st.one_of(st.none(), st.integers(1, 4)),
    st.integers(0, 4),
    st.sampled_from(_TIMES),
)
def test_pool_phrases_parse_back(op, data, k, stride, form, times):
    word = data.draw(st.sampled_from(_POOL_WORDS[op]))
    text = f"{k}{times}{k} {word}"
    if stride is not None:
        text += _stride_text(stride, form)
    phrase = parse_phrase(text)
    assert phrase.recognised and phrase.ops == (op,), (text, phrase)
    layer = phrase.layers[0]
    assert layer.get("kernel") == (k, k)
    assert layer.get("stride") == (None if stride is None else (stride, stride))


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(_FC_WORDS),
    st.integers(1, 100000),
    st.sampled_from(["{w} {n}", "{w}-{n}", "{w} ({n})", "{n}D {w}"]),
)
def test_dense_phrases_parse_back(word, units, pattern):
    text = pattern.format(w=word, n=units)
    phrase = parse_phrase(text)
    assert phrase.recognised and phrase.ops == ("dense",), (text, phrase)
    assert phrase.layers[0].get("units") == units


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["ReLU", "BN", "Sigmoid", "Tanh", "Softmax", "Dropout", "Flatten", "Concat"]
        ),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from([" + ", ", ", " -> ", " and "]),
)
def test_merged_phrases_keep_order(names, joiner):
    ops = {
        "ReLU": "relu",
        "BN": "batchnorm",
        "Sigmoid": "sigmoid",
        "Tanh": "tanh",
        "Softmax": "softmax",
        "Dropout": "dropout",
        "Flatten": "flatten",
        "Concat": "concat",
    }
    phrase = parse_phrase(joiner.join(names))
    assert phrase.recognised
    assert phrase.ops == tuple(ops[n] for n in names)


def test_ocr_digit_letters_are_not_touched_in_words():
    assert normalise("pool") == "pool" and normalise("Global") == "global"
    assert string.ascii_lowercase  # (keeps the import honest)
