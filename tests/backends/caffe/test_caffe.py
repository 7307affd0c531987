"""The Caffe backend: layout and rounding traps run in OpenCV's DNN module against PyTorch,
the prototxt parsing in OpenCV for every zoo model it covers, the binary caffemodel, and
hostile names that must not break Caffe's text format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from agreement import assert_agrees
from google.protobuf import text_format
from paths import ZOO

import papercc
from papercc.backends import pytorch as torch_backend
from papercc.backends.caffe import target as caffe_backend
from papercc.backends.caffe.proto import messages, packed_floats
from papercc.backends.runtime import example_inputs
from papercc.backends.weights import init_weights
from papercc.ir.diagnostics import DiagnosticError

cv2 = pytest.importorskip("cv2")
pytest.importorskip("torch")

ZOO = ZOO


def graph(text: str):
    (g,) = papercc.check(text).graphs.values()
    return g


def assert_same(text: str, seed: int = 0) -> None:
    assert_agrees(graph(text), "caffe", seed)


def model(signature: str, body: str) -> str:
    return f"model m({signature}) {{\n{body}\n}}\n"


IMG = "x: f32[N, 4, 10, 11]"

TRAPS = {
    # padding Caffe cannot say directly (its pads are symmetric)
    "same_stride2_even_kernel": (IMG, 'return conv2d(x, 6, kernel=4, stride=2, padding="same")'),
    "same_stride2_odd_kernel": (IMG, 'return conv2d(x, 6, kernel=3, stride=2, padding="same")'),
    "same_stride2_even_rect": (
        IMG,
        'return conv2d(x, 6, kernel=(2, 4), stride=(2, 3), padding="same")',
    ),
    "same_maxpool_stride2": (IMG, 'return maxpool2d(x, kernel=2, stride=2, padding="same")'),
    "asymmetric_4tuple": (IMG, "return conv2d(x, 5, kernel=3, padding=(0, 1, 2, 1))"),
    "asymmetric_maxpool": (IMG, "return maxpool2d(x, kernel=3, stride=2, padding=(1, 0, 0, 1))"),
    "asymmetric_avgpool_exclude": (
        IMG,
        "return avgpool2d(x, kernel=3, stride=2, padding=(1, 0, 0, 1), count_include_pad=false)",
    ),
    "asymmetric_avgpool_include": (
        IMG,
        "return avgpool2d(x, kernel=3, stride=2, padding=(1, 0, 0, 1))",
    ),
    "zeropad": (IMG, "return zeropad2d(conv2d(x, 2, kernel=1), (1, 2, 0, 3))"),
    "zeropad_wider_than_input": ("x: f32[N, 2, 2, 3]", "return zeropad2d(x, (5, 0, 1, 7))"),
    # flatten before dense (C-major, as DLIR), reshape and permute
    "flatten_dense": (IMG, "return dense(flatten(relu(conv2d(x, 3, kernel=3))), 7)"),
    "flatten_axis2": ("x: f32[N, 3, 4, 5]", "return flatten(conv2d(x, 2, kernel=1), axis=2)"),
    "dense_on_sequence": ("x: f32[N, 5, 6]", "return dense(x, 3)"),
    "reshape_after_conv": (IMG, "return reshape(conv2d(x, 2, kernel=3), (2, -1))"),
    "transpose_after_conv": (IMG, "return transpose(conv2d(x, 2, kernel=3), (0, 2, 3, 1))"),
    # depthwise and grouped
    "depthwise": (IMG, "return depthwise_conv2d(x, kernel=3, stride=2, padding=1, multiplier=2)"),
    "depthwise_stride_dilation": (
        IMG,
        "return depthwise_conv2d(x, kernel=3, stride=2, dilation=2)",
    ),
    "depthwise_uneven_stride": (
        IMG,
        "return depthwise_conv2d(x, kernel=3, stride=(1, 2), padding=1)",
    ),
    "depthwise_window_bigger_than_input": (
        "x: f32[N, 4, 1, 5]",
        "return depthwise_conv2d(x, kernel=3, padding=1)",
    ),
    "grouped": (IMG, "return conv2d(x, 6, kernel=3, groups=2, padding=1)"),
    "grouped_1d": ("x: f32[N, 4, 12]", "return conv1d(x, 6, kernel=3, groups=2, stride=2)"),
    "conv_no_bias": (IMG, "return conv2d(x, 3, kernel=(1, 3), bias=false)"),
    # rounding: Caffe pools round up by default, DLIR (like PyTorch) down
    "floor_maxpool": (IMG, "return maxpool2d(x, kernel=3, stride=2)"),
    "floor_avgpool": (IMG, "return avgpool2d(x, kernel=2)"),
    "ceil_maxpool": (IMG, "return maxpool2d(x, kernel=3, stride=2, ceil_mode=true)"),
    "ceil_maxpool_padded": (
        IMG,
        "return maxpool2d(x, kernel=3, stride=2, padding=1, ceil_mode=true)",
    ),
    "ceil_last_window_in_padding": (
        "x: f32[N, 2, 5, 5]",
        "return maxpool2d(x, kernel=2, stride=2, padding=1, ceil_mode=true)",
    ),
    "ceil_avgpool_include": (IMG, "return avgpool2d(x, kernel=3, stride=2, ceil_mode=true)"),
    "ceil_avgpool_padded_include": (
        IMG,
        "return avgpool2d(x, kernel=3, stride=2, padding=1, ceil_mode=true)",
    ),
    "ceil_avgpool_padded_exclude": (
        IMG,
        "return avgpool2d(x, kernel=3, stride=2, padding=1, ceil_mode=true, count_include_pad=false)",
    ),
    "avgpool_exclude_pad": (
        IMG,
        "return avgpool2d(x, kernel=3, stride=1, padding=1, count_include_pad=false)",
    ),
    "avgpool_include_pad": (IMG, "return avgpool2d(x, kernel=3, stride=1, padding=1)"),
    "avgpool1d_ceil": (
        "x: f32[N, 3, 10]",
        "return avgpool1d(x, kernel=3, stride=2, ceil_mode=true)",
    ),
    "maxpool1d": ("x: f32[N, 3, 10]", "return maxpool1d(x, kernel=2, padding=1)"),
    # normalisation
    "batchnorm_eps": (IMG, "return batchnorm(conv2d(x, 5, kernel=3, bias=false), eps=0.001)"),
    "batchnorm_1d_features": ("x: f32[N, 6]", "return batchnorm(x, eps=0.001)"),
    "batchnorm_rank3": ("x: f32[N, 6, 7]", "return batchnorm(x, eps=0.01)"),
    "lrn_alexnet": (
        IMG,
        "return lrn(relu(conv2d(x, 8, kernel=1)), size=5, alpha=0.0001, beta=0.75, k=2.0)",
    ),
    "lrn_big_alpha": (IMG, "return lrn(x, size=3, alpha=0.5, beta=0.6, k=1.5)"),
    "lrn_even_size": ("x: f32[N, 7, 5, 5]", "return lrn(x, size=4, alpha=0.3, beta=0.75, k=1.0)"),
    "lrn_rank3": ("x: f32[N, 7, 9]", "return lrn(x, size=3, alpha=0.3, beta=0.75, k=1.0)"),
    "prelu": (IMG, "return prelu(conv2d(x, 5, kernel=1))"),
    "prelu_features": ("x: f32[N, 13]", "return prelu(x)"),
    "prelu_rank5": ("x: f32[N, 3, 2, 3, 4]", "return prelu(x)"),
    # dilations
    "dilation": (IMG, "return conv2d(x, 5, kernel=3, dilation=2, padding=2)"),
    "dilation_stride": (IMG, "return conv2d(x, 5, kernel=3, dilation=(2, 1), stride=2)"),
    "maxpool_dilation": (IMG, "return maxpool2d(x, kernel=2, stride=2, dilation=2, padding=1)"),
    "maxpool_dilation_ceil": (
        IMG,
        "return maxpool2d(x, kernel=3, stride=2, dilation=(1, 2), ceil_mode=true)",
    ),
    "same_dilation": (IMG, 'return conv2d(x, 5, kernel=3, dilation=2, stride=2, padding="same")'),
    # merging and splitting
    "concat_channels": (
        IMG,
        "a = conv2d(x, 3, kernel=1)\nb = conv2d(x, 5, kernel=3, padding=1)\n"
        "return conv2d(concat(a, b, x, axis=1), 2, kernel=1)",
    ),
    "concat_width": (
        IMG,
        "return concat(conv2d(x, 3, kernel=1), relu(conv2d(x, 3, kernel=1)), axis=3)",
    ),
    "softmax_channels": (IMG, "return softmax(conv2d(x, 6, kernel=1), axis=1)"),
    "softmax_height": (IMG, "return softmax(conv2d(x, 6, kernel=1), axis=2)"),
    "softmax_features": ("x: f32[N, 6]", "return softmax(dense(x, 4))"),
    "split_channels": (
        IMG,
        "a, b = split(conv2d(x, 6, kernel=1), (2, 4))\nreturn concat(relu(b), a, axis=1)",
    ),
    "split_equal_width": (
        "x: f32[N, 4, 6, 8]",
        "a, b = split(conv2d(x, 2, kernel=1), 2, axis=3)\nreturn add(a, b)",
    ),
    "split_outputs": ("x: f32[N, 6, 3, 3]", "a, b, c = split(x, 3)\nreturn c, a"),
    "multi_output": (
        IMG,
        "y = relu(conv2d(x, 4, kernel=3))\nreturn y, dense(flatten(globalavgpool(y)), 3), x",
    ),
    "add_residual": (IMG, "return relu(add(conv2d(x, 4, kernel=3, padding=1), x))"),
    "mul_three": (IMG, "return mul(x, sigmoid(x), tanh(x))"),
    "global_pools": (IMG, "return globalmaxpool(conv2d(x, 3, kernel=1), keepdims=false)"),
    "global_avg_rank3": ("x: f32[N, 3, 10]", "return globalavgpool(x)"),
    "center_crop": (IMG, "y = conv2d(x, 4, kernel=3)\nreturn concat(center_crop(x, y), y)"),
    "center_crop_odd": (
        "x: f32[N, 2, 9, 8]",
        "y = maxpool2d(x, kernel=2)\nreturn center_crop(x, y)",
    ),
    "adaptive_avg": (IMG, "return adaptive_avgpool2d(conv2d(x, 3, kernel=1), (3, 4))"),
    "adaptive_avg_divisible": ("x: f32[N, 2, 12, 8]", "return adaptive_avgpool2d(x, (4, 2))"),
    "adaptive_max": (IMG, "return adaptive_maxpool2d(x, (4, 3))"),
    "adaptive_avg_1d": ("x: f32[N, 3, 10]", "return adaptive_avgpool1d(x, 4)"),
    "adaptive_max_3d": ("x: f32[N, 2, 5, 6, 7]", "return adaptive_maxpool3d(x, (2, 4, 3))"),
    "adaptive_avg_3d": ("x: f32[N, 2, 5, 6, 7]", "return adaptive_avgpool3d(x, (2, 4, 7))"),
    "adaptive_max_1d": ("x: f32[N, 3, 10]", "return adaptive_maxpool1d(x, 3)"),
    # transposed convolutions
    "conv_transpose": (IMG, "return conv_transpose2d(x, 3, kernel=2, stride=2)"),
    "conv_transpose_padded": (
        IMG,
        "return conv_transpose2d(x, 4, kernel=3, stride=2, padding=1, output_padding=1, groups=2)",
    ),
    "conv_transpose_asym_dilated": (
        IMG,
        "return conv_transpose2d(x, 3, kernel=3, stride=2, padding=(0, 1, 2, 0), dilation=2)",
    ),
    "conv_transpose_output_padding_past_end": (
        IMG,
        "return conv_transpose2d(x, 2, kernel=2, stride=3, output_padding=2)",
    ),
    "conv_transpose_grouped_then_batchnorm": (  # OpenCV fuses these wrongly: run unfused
        "x: f32[N, 6, 7, 9]",
        "return batchnorm(conv_transpose2d(x, 12, kernel=(1, 3), groups=2, bias=false), eps=0.3)",
    ),
    "mul_chain_then_batchnorms": (
        "x: f32[N, 16]",
        "y = mul(elu(x), elu(x))\nreturn batchnorm(batchnorm(mul(y, y), eps=0.388), eps=0.0)",
    ),
    "conv_transpose_3d": (
        "x: f32[N, 2, 3, 4, 5]",
        "return conv_transpose3d(x, 2, kernel=2, stride=2)",
    ),
    "conv_transpose_3d_grouped_padded": (
        "x: f32[N, 4, 3, 4, 5]",
        "return conv_transpose3d(x, 6, kernel=(3, 2, 3), stride=(2, 1, 3), padding=(1, 0, 2), "
        "output_padding=(1, 0, 2), groups=2, dilation=(1, 2, 1))",
    ),
    "conv_transpose_3d_asymmetric": (
        "x: f32[N, 2, 3, 4, 5]",
        "return conv_transpose3d(x, 3, kernel=3, stride=2, padding=(0, 1, 2, 1, 0, 3), bias=false)",
    ),
    "conv_transpose_1d": (
        "x: f32[N, 3, 7]",
        "return conv_transpose1d(x, 2, kernel=4, stride=3, padding=1)",
    ),
    # resizing (Caffe has no resize layer: exact linear maps per axis)
    "upsample_nearest": (IMG, "return upsample(conv2d(x, 2, kernel=1), scale=(2, 3))"),
    "upsample_bilinear": (IMG, 'return upsample(x, scale=2, mode="bilinear")'),
    "resize_nearest": (IMG, "return resize(x, (7, 17))"),
    "resize_bilinear": (IMG, 'return resize(x, (15, 8), mode="bilinear")'),
    "resize_bilinear_corners": (
        IMG,
        'return resize(x, (15, 8), mode="bilinear", align_corners=true)',
    ),
    "resize_linear_1d_corners": (
        "x: f32[N, 3, 10]",
        'return resize(x, 7, mode="bilinear", align_corners=true)',
    ),
    "upsample_trilinear": ("x: f32[N, 2, 3, 4, 5]", 'return upsample(x, scale=2, mode="bilinear")'),
    # activations Caffe lacks, from ReLU/Power/Sigmoid/Eltwise
    "activations": (
        "x: f32[N, 6]",
        "y = elu(leaky_relu(x, alpha=0.2), alpha=0.7)\n"
        "y = add(hardswish(y), hardsigmoid(y), silu(y), selu(y), relu6(y))\n"
        "return mul(sigmoid(y), tanh(y))",
    ),
    # recurrent layers, unrolled (PyTorch gate order, two biases, directions, stacking)
    "lstm_gates": ("x: f32[N, 6, 5]", "return lstm(x, 4)"),
    "lstm_stacked_bidirectional_last": (
        "x: f32[N, 6, 5]",
        "return lstm(x, 4, layers=2, bidirectional=true, sequences=false)",
    ),
    "lstm_one_step_no_bias": ("x: f32[N, 1, 5]", "return lstm(x, 2, bias=false)"),
    "gru_gates": ("x: f32[N, 6, 5]", "return gru(x, 3, bidirectional=true)"),
    "gru_no_bias_last": (
        "x: f32[N, 6, 5]",
        "return gru(x, 3, layers=2, bias=false, sequences=false)",
    ),
    "conv1d_then_lstm": (
        "x: f32[N, 4, 9]",
        "return lstm(transpose(conv1d(x, 6, kernel=3), (0, 2, 1)), 3)",
    ),
    "gelu_erf": ("x: f32[N, 3, 40]", "return gelu(mul(dense(x, 40), x))"),
    "gelu_tanh": ("x: f32[N, 7]", 'return gelu(dense(x, 9), approximate="tanh")'),
    # attention from broadcast products and 0/1 reduction matrices
    "attention": ("x: f32[N, 5, 8]", "return attention(x, x, x, 2)"),
    "attention_cross_no_bias": (
        "q: f32[N, 3, 8], kv: f32[N, 6, 8]",
        "return attention(q, kv, kv, 4, bias=false)",
    ),
    "encoder_block": (
        "x: f32[N, 4, 8]",
        "y = layernorm(add(x, attention(x, x, x, 2)))\n"
        "return layernorm(add(y, dense(gelu(dense(y, 16)), 8)))",
    ),
    # embedding: one-hot from relu(1 - |id - j|), then the table as an InnerProduct
    "embedding_dense": ("t: i64[N, 5]", "return dense(embedding(t, 9, 4), 3)"),
    "embedding_lstm": ("t: i64[N, T]", "return dense(lstm(embedding(t, 11, 6), 5), 3)"),
    "relu6_image": (IMG, "return relu6(conv2d(x, 3, kernel=1))"),
    "log_softmax_height": (IMG, "return log_softmax(conv2d(x, 6, kernel=1), axis=2)"),
    "log_softmax_features": ("x: f32[N, 6]", "return log_softmax(x)"),
    # normalisations Caffe has no layer for (MVN + Scale)
    "layernorm": ("x: f32[N, 5, 8]", "return layernorm(x, eps=0.001)"),
    "layernorm_features": ("x: f32[N, 8]", "return layernorm(x)"),
    "layernorm_image": (IMG, "return layernorm(x)"),
    "groupnorm": (IMG, "return groupnorm(conv2d(x, 6, kernel=1), 3)"),
    "groupnorm_rank3": ("x: f32[N, 6, 7]", "return groupnorm(x, 2, eps=0.01)"),
    # 3-D: Caffe's N-d convolution; pools separated into 2-D stages
    "grouped_3d": ("x: f32[N, 4, 5, 6, 7]", "return conv3d(x, 6, kernel=3, groups=2, padding=1)"),
    "conv3d_same_stride": (
        "x: f32[N, 2, 5, 6, 7]",
        'return conv3d(x, 3, kernel=2, stride=2, padding="same")',
    ),
    "maxpool3d": ("x: f32[N, 2, 5, 6, 7]", "return maxpool3d(x, kernel=2, ceil_mode=true)"),
    "maxpool3d_padded_dilated": (
        "x: f32[N, 2, 5, 6, 7]",
        "return maxpool3d(x, kernel=(2, 3, 2), stride=(1, 2, 2), padding=(1, 0, 1), dilation=(1, 1, 2))",
    ),
    "avgpool3d_exclude": (
        "x: f32[N, 2, 5, 6, 7]",
        "return avgpool3d(x, kernel=3, stride=2, padding=1, count_include_pad=false, ceil_mode=true)",
    ),
    "avgpool3d_include": (
        "x: f32[N, 2, 5, 6, 7]",
        "return avgpool3d(x, kernel=(3, 2, 2), padding=(1, 0, 1))",
    ),
}


@pytest.mark.parametrize("name", sorted(TRAPS))
def test_trap_matches_pytorch(name: str) -> None:
    signature, body = TRAPS[name]
    assert_same(model(signature, body))


# ------------------------------------------------------------------ prototxt and caffemodel


def _read(tmp_path, text: str, weights: dict | None = None, g=None):
    g = g or graph(text)
    proto = tmp_path / "net.prototxt"
    proto.write_text(caffe_backend.generate(g, "paper.pdf"), encoding="utf-8")
    if weights is None:
        return cv2.dnn.readNetFromCaffe(str(proto))
    blob = tmp_path / "net.caffemodel"
    blob.write_bytes(caffe_backend.caffemodel_bytes(g, weights))
    return cv2.dnn.readNetFromCaffe(str(proto), str(blob))


def test_prototxt_shape_and_names(tmp_path) -> None:
    text = model(
        "image: f32[N, 3, 8, 8]",
        "y = relu(conv2d(image, 4, kernel=3, padding=1) as conv1)\n"
        "return dense(flatten(maxpool2d(y, kernel=2, ceil_mode=true) as pool1), 5) as fc",
    )
    proto = caffe_backend.generate(graph(text))
    assert proto.startswith("# Caffe network m, generated by papercc")
    assert 'type: "Input"' in proto and "dim: 1\n      dim: 3\n      dim: 8" in proto
    for line in ('name: "conv1"', 'type: "Convolution"', 'bottom: "image"', 'type: "InnerProduct"'):
        assert line in proto
    layers = proto[proto.index('name: "m"') :]
    assert "ceil_mode" not in layers  # Caffe's default rounding already matches
    net = _read(tmp_path, text)
    assert len(net.getLayerNames()) >= 4


def test_floor_pool_says_so() -> None:
    proto = caffe_backend.generate(graph(model(IMG, "return maxpool2d(x, kernel=3, stride=2)")))
    assert "ceil_mode: false" in proto[proto.index('name: "m"') :]


def test_caffemodel_is_a_netparameter_with_blobs() -> None:
    g = graph(
        model(IMG, "return batchnorm(conv2d(x, 3, kernel=3, bias=false) as c, eps=0.001) as bn")
    )
    weights = init_weights(g, 0)
    net = messages()["NetParameter"]()
    net.ParseFromString(caffe_backend.caffemodel_bytes(g, weights))
    layers = {layer.name: layer for layer in net.layer}
    conv = layers["c"]
    assert conv.type == "Convolution" and list(conv.blobs[0].shape.dim) == [3, 4, 3, 3]
    np.testing.assert_array_equal(
        np.array(conv.blobs[0].data, np.float32), weights["c.weight"].ravel()
    )
    bn = layers["bn/bn"]
    assert [list(b.shape.dim) for b in bn.blobs] == [[3], [3], [1]]
    assert bn.blobs[2].data[0] == 1.0  # Caffe's moving-average scale factor
    np.testing.assert_array_equal(
        np.array(layers["bn"].blobs[1].data, np.float32), weights["bn.bias"]
    )


@pytest.mark.parametrize("n", [0, 1, 31, 32, 5000])
def test_packed_floats_match_protobufs_own_encoding(n: int) -> None:
    blob_class = messages()["BlobProto"]
    values = np.random.default_rng(n).standard_normal(n).astype(np.float32)
    ours, theirs = blob_class(), blob_class()
    ours.MergeFromString(packed_floats(5, values))
    theirs.data.extend(values.tolist())
    assert ours.SerializeToString() == theirs.SerializeToString()
    np.testing.assert_array_equal(np.array(ours.data, np.float32), values)


HOSTILE = [
    'evil" } layer { name: "x',
    "new\nline",
    "back\\slash\\",
    "tab\there # comment",
    "ünïcödé \u2028 sep",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_keep_the_prototxt_valid(tmp_path, name: str) -> None:
    g = graph(
        model(IMG, "y = relu(conv2d(x, 3, kernel=1) as c1)\nreturn dense(flatten(y), 2) as fc")
    )
    g.name = name
    g.nodes[0].name = name
    g.nodes[0].outputs[0].name = name + "!"
    weights = init_weights(g, 0)  # keyed by the hostile layer name too
    text = caffe_backend.generate(g, source=name)
    parsed = messages()["NetParameter"]()
    text_format.Parse(text, parsed)
    assert parsed.name == name  # the net name is kept, quoted and escaped
    assert len(parsed.layer) == 5  # Input, conv, relu, flatten, fc: nothing injected
    assert all(layer.type for layer in parsed.layer)
    assert _read(tmp_path, "", weights, g).getLayerNames()
    ref = torch_backend.run(g, weights, x := example_inputs(g, 0))
    out = caffe_backend.run(g, weights, x)
    np.testing.assert_allclose(out[0], ref[0], rtol=1e-4, atol=1e-5)


def test_every_registry_op_has_a_caffe_emitter() -> None:
    from papercc.ir.registry import OPS

    assert set(OPS) <= set(caffe_backend.TABLE)


def test_unknown_sequence_length_is_a_diagnostic() -> None:
    g = graph(model("x: f32[N, T, 5]", "return lstm(x, 3)"))
    with pytest.raises(DiagnosticError, match="concrete size"):
        caffe_backend.generate(g)
    x = np.ones((2, 4, 5), np.float32)  # known when run: unrolled over the 4 given steps
    weights = init_weights(g, 0)
    np.testing.assert_allclose(
        caffe_backend.run(g, weights, [x])[0], torch_backend.run(g, weights, [x])[0], atol=1e-5
    )


def test_batch_size_follows_the_input() -> None:
    g = graph(model(IMG, "return reshape(conv2d(x, 2, kernel=3), (-1,))"))
    weights = init_weights(g, 0)
    for batch in (1, 3):
        x = np.random.default_rng(batch).standard_normal((batch, 4, 10, 11)).astype(np.float32)
        ref = torch_backend.run(g, weights, [x])
        got = caffe_backend.run(g, weights, [x])
        assert got[0].shape == (batch, 2 * 8 * 9)
        np.testing.assert_allclose(got[0], ref[0], rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------ zoo


ZOO_FILES = sorted(ZOO.glob("*.dlir"))


@pytest.mark.parametrize("path", ZOO_FILES, ids=[p.stem for p in ZOO_FILES])
def test_zoo_prototxt_parses_in_opencv(tmp_path, path: Path) -> None:
    (g,) = papercc.check(papercc.load(path)).graphs.values()
    missing = {n.op for n in g.nodes} - set(caffe_backend.TABLE)
    if missing:
        with pytest.raises(DiagnosticError):
            caffe_backend.generate(g)
        pytest.skip(f"caffe lacks {sorted(missing)}")
    if any(isinstance(d, str) for v in g.inputs for d in v.type.shape[1:]):
        with pytest.raises(DiagnosticError, match="concrete size"):
            caffe_backend.generate(g)  # a sequence length must be chosen first
        shapes = [tuple(x.shape) for x in example_inputs(g, 0)]
        proto = tmp_path / "net.prototxt"
        proto.write_text(caffe_backend.prototxt(g, path.name, shapes), encoding="utf-8")
        net = cv2.dnn.readNetFromCaffe(str(proto))
    else:
        net = _read(tmp_path, "", None, g)
    assert net.getLayerNames()
