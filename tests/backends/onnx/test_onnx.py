"""ONNX export: the model is valid (full checker, strict shape inference), typed and
named from the IR, and onnxruntime gives PyTorch's outputs, including on the traps where
ONNX and PyTorch conventions differ (gate orders, asymmetric pads, ceil mode, LRN...)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from click.testing import CliRunner
from paths import ZOO

import papercc
from papercc.backends import pytorch
from papercc.backends.onnx import target as onnx_export
from papercc.backends.runtime import example_inputs
from papercc.backends.verify import REL_TOLERANCE, compare
from papercc.backends.weights import init_weights, load_weights
from papercc.ir.diagnostics import DiagnosticError
from papercc.ir.registry import OPS

ort = pytest.importorskip("onnxruntime")

ZOO = ZOO
ZOO_FILES = sorted(ZOO.glob("*.dlir"))
BIG = {"vgg16", "alexnet", "unet", "inception_v3", "densenet121", "resnet50"}


def graph_of(text: str, filename: str = "<string>"):
    (graph,) = papercc.check(papercc.parse(text, filename)).graphs.values()
    return graph


def valid(model: onnx.ModelProto) -> onnx.ModelProto:
    onnx.checker.check_model(model, full_check=True)
    return onnx.shape_inference.infer_shapes(model, strict_mode=True, check_type=True)


def torch_ref(graph, weights: dict, inputs: list) -> list[np.ndarray]:
    """PyTorch's outputs. A weightless model skips the weights file: safetensors 0.8 writes
    an unreadable file for no tensors with empty metadata (see weights.save_weights)."""
    if weights:
        return pytorch.run(graph, weights, inputs)
    import torch

    from papercc.backends.runtime import import_generated

    model = import_generated(pytorch.generate(graph), "papercc_test_onnx_ref").build_model()
    with torch.no_grad():
        out = model.eval()(*[torch.from_numpy(x) for x in inputs])
    return [o.numpy() for o in (out if isinstance(out, tuple) else (out,))]


def same(text: str, seed: int = 0) -> onnx.ModelProto:
    """Export, check, run in onnxruntime and compare with PyTorch at verify's tolerance."""
    graph = graph_of(text)
    weights, inputs = init_weights(graph, seed), example_inputs(graph, seed)
    model = onnx_export.export_model(graph, weights)
    valid(model)
    ref = torch_ref(graph, weights, inputs)
    got = onnx_export.run(graph, weights, inputs)
    max_abs, max_rel, same_shape = compare(ref, got)
    assert same_shape, f"{[g.shape for g in got]} != {[r.shape for r in ref]}"
    assert max_rel <= REL_TOLERANCE or max_abs <= 1e-6, f"max abs {max_abs:g}, rel {max_rel:g}"
    return model


def image(body: str, shape: str = "N, 3, 9, 10") -> str:
    return f"model m(x: f32[{shape}]) {{\n  return {body}\n}}\n"


# ---------------------------------------------------------------- structure of the model


def test_every_registry_op_has_an_emitter() -> None:
    assert set(onnx_export.TABLE) == set(OPS)


def test_model_is_named_typed_and_traceable() -> None:
    text = (
        "model tiny(x: f32[N, 3, 8, 8]) -> f32[N, 4] {\n"
        "  y = relu(conv2d(x, 6, kernel=3, padding=1) as conv) as act\n"
        "  return dense(flatten(y), 4) as fc\n"
        "}\n"
    )
    graph = graph_of(text, "tiny.dlir")
    model = onnx_export.export_model(graph, init_weights(graph, 0), source="tiny.dlir")
    valid(model)
    assert model.opset_import[0].version == onnx.defs.onnx_opset_version()
    assert model.opset_import[0].domain == ""
    g = model.graph
    (inp,) = g.input
    dims = inp.type.tensor_type.shape.dim
    assert dims[0].dim_param == "N" and [d.dim_value for d in dims[1:]] == [3, 8, 8]
    assert g.output[0].type.tensor_type.shape.dim[0].dim_param == "N"
    names = [n.name for n in g.node]
    assert {"conv", "act", "fc"} <= set(names)
    conv = next(n for n in g.node if n.name == "conv")
    assert "tiny.dlir:2:" in conv.doc_string and "conv2d" in conv.doc_string
    assert {i.name for i in g.initializer} == {"conv.weight", "conv.bias", "fc.weight", "fc.bias"}
    typed = {vi.name: vi for vi in g.value_info}
    act = typed["act"].type.tensor_type.shape.dim
    assert act[0].dim_param == "N" and [d.dim_value for d in act[1:]] == [6, 8, 8]
    assert "tiny.dlir" in model.doc_string


def test_frontend_provenance_reaches_doc_string() -> None:
    graph = graph_of(image("relu(x) as act"))
    graph.nodes[0].src = {"page": 3, "figure": 2, "box": 5}
    model = onnx_export.export_model(graph, {})
    assert "@src(page=3, figure=2, box=5)" in model.graph.node[0].doc_string


def test_symbolic_batch_runs_with_any_batch() -> None:
    graph = graph_of(image("dense(flatten(maxpool2d(conv2d(x, 4, kernel=3), kernel=2)), 5)"))
    weights = init_weights(graph, 0)
    session = ort.InferenceSession(
        onnx_export.export_bytes(graph, weights), providers=["CPUExecutionProvider"]
    )
    for batch in (1, 3):
        (x,) = example_inputs(graph, 0, batch=batch)
        (got,) = session.run(None, {"x": x})
        (ref,) = torch_ref(graph, weights, [x])
        assert got.shape == (batch, 5)
        assert compare([ref], [got])[1] <= REL_TOLERANCE


def test_unsupported_sizes_are_diagnostics() -> None:
    graph = graph_of("model m(x: f32[N, 3, H, W]) {\n  return adaptive_avgpool2d(x, (2, 3))\n}\n")
    with pytest.raises(DiagnosticError) as err:
        onnx_export.generate(graph)
    assert "unsupported-op" in str(err.value.diagnostics[0].code)


def test_wrong_weights_are_diagnostics() -> None:
    graph = graph_of(image("conv2d(x, 4, kernel=3)"))
    weights = init_weights(graph, 0)
    weights["conv1.weight"] = weights["conv1.weight"][:2]
    with pytest.raises(DiagnosticError):
        onnx_export.export_bytes(graph, weights)
    with pytest.raises(DiagnosticError):
        onnx_export.export_model(graph, {})


def test_generate_gives_serialized_model() -> None:
    graph = graph_of(image("relu(x)"))
    model = onnx.load_from_string(onnx_export.generate(graph, "x.dlir"))
    valid(model)


def test_spliced_bytes_parse_to_the_same_model() -> None:
    """export_bytes writes initializers straight into the wire format; it must parse back
    to exactly export_model's proto (scalars, int64 constants and empty-looking data too)."""
    text = (
        "model m(x: f32[N, 3, 9, 10]) {\n"
        "  y = relu6(conv2d(x, 4, kernel=3, bias=false))\n"
        "  return reshape(prelu(y), (4, -1)), upsample(x)\n}\n"
    )
    graph = graph_of(text)
    weights = init_weights(graph, 2)
    model = onnx_export.export_model(graph, weights)
    assert onnx.load_from_string(onnx_export.export_bytes(graph, weights)) == model
    assert len(onnx_export.export_bytes(graph, weights)) == model.ByteSize()


# ---------------------------------------------------------------- traps (vs PyTorch)

TRAPS = {
    "same_stride2_even_kernel": image('conv2d(x, 4, kernel=4, stride=2, padding="same")'),
    "same_maxpool": image('maxpool2d(x, kernel=2, stride=2, padding="same")'),
    "same_avgpool_no_pad_count": image(
        'avgpool2d(x, kernel=4, stride=3, padding="same", count_include_pad=false)'
    ),
    "same_avgpool_count_pad": image('avgpool2d(x, kernel=4, stride=3, padding="same")'),
    "same_depthwise_stride2": image(
        'depthwise_conv2d(x, kernel=(2, 4), stride=2, padding="same")', "N, 3, 8, 11"
    ),
    "same_maxpool_dilated": image(
        'maxpool1d(x, kernel=2, stride=1, padding="same", dilation=3)', "N, 1, 6"
    ),
    "avgpool_end_pad_beyond_kernel": image("avgpool2d(x, kernel=2, padding=(0, 1, 2, 1))"),
    "asymmetric_conv": image("conv2d(x, 4, kernel=3, padding=(0, 1, 2, 1))"),
    "asymmetric_maxpool": image("maxpool2d(x, kernel=3, stride=2, padding=(1, 0, 0, 1))"),
    "asymmetric_avgpool": image("avgpool2d(x, kernel=3, stride=2, padding=(1, 0, 0, 1))"),
    "asymmetric_avgpool_exclude": image(
        "avgpool2d(x, kernel=3, stride=2, padding=(1, 0, 0, 1), count_include_pad=false)"
    ),
    "flatten_before_dense": image("dense(flatten(conv2d(x, 5, kernel=3)), 7)"),
    "depthwise": image("depthwise_conv2d(x, kernel=3, stride=2, padding=1, multiplier=2)"),
    "grouped": image("conv2d(x, 6, kernel=3, groups=3)", "N, 6, 9, 10"),
    "dilated": image("conv2d(x, 4, kernel=3, dilation=(2, 3), padding=2)"),
    "dilated_maxpool": image("maxpool2d(x, kernel=2, stride=1, dilation=2)"),
    "ceil_maxpool": image("maxpool2d(x, kernel=3, stride=2, ceil_mode=true)", "N, 3, 8, 8"),
    "ceil_maxpool_padded": image(
        "maxpool2d(x, kernel=3, stride=2, padding=1, ceil_mode=true)", "N, 3, 8, 8"
    ),
    "ceil_avgpool": image("avgpool2d(x, kernel=3, stride=2, ceil_mode=true)", "N, 3, 8, 8"),
    "ceil_avgpool_padded": image(
        "avgpool2d(x, kernel=3, stride=2, padding=1, ceil_mode=true)", "N, 3, 8, 9"
    ),
    "ceil_avgpool_padded_exclude": image(
        "avgpool2d(x, kernel=3, stride=2, padding=1, ceil_mode=true, count_include_pad=false)",
        "N, 3, 8, 9",
    ),
    "avgpool_exclude_pad": image(
        "avgpool2d(x, kernel=3, stride=1, padding=1, count_include_pad=false)"
    ),
    "batchnorm_eps": image("batchnorm(x, eps=0.001)"),
    "lrn": image("lrn(x, size=5, alpha=0.0001, beta=0.75, k=2.0)", "N, 8, 5, 5"),
    "lrn_big_alpha": image("lrn(x, size=3, alpha=0.5, beta=0.75, k=1.0)", "N, 8, 5, 5"),
    "lrn_even_size": image("lrn(x, size=4, alpha=0.5, beta=0.75, k=1.0)", "N, 8, 5, 5"),
    "lrn_1d": image("lrn(x, size=2, alpha=0.5, beta=0.5, k=1.0)", "N, 6, 7"),
    "lrn_3d_odd": image("lrn(x, size=3, alpha=0.5, beta=0.5, k=1.0)", "N, 6, 3, 4, 5"),
    "lrn_beta_0": image("lrn(x, size=3, alpha=0.5, beta=0.0, k=1.0)", "N, 6, 5, 5"),
    "lrn_alpha_0": image("lrn(x, size=3, alpha=0.0, beta=0.5, k=1.0)", "N, 6, 5, 5"),
    "lrn_k_small": image("lrn(x, size=3, alpha=0.5, beta=0.5, k=0.001)", "N, 6, 5, 5"),
    "softmax_channels": image("softmax(conv2d(x, 4, kernel=1), axis=1)"),
    "log_softmax_last": image("log_softmax(x, axis=-1)"),
    "concat_channels": image("concat(conv2d(x, 2, kernel=1), x, axis=1)"),
    "split_equal": "model m(x: f32[N, 6, 4, 4]) {\n  a, b = split(x, 2)\n  return mul(a, b)\n}\n",
    "split_sizes": (
        "model m(x: f32[N, 6, 4, 4]) {\n  a, b, c = split(x, (1, 3, 2))\n"
        "  return a, relu(b), c\n}\n"
    ),
    "multi_output": (
        "model m(x: f32[N, 3, 8, 8]) {\n  y = conv2d(x, 4, kernel=3)\n"
        "  return dense(flatten(y), 3), relu(y)\n}\n"
    ),
    "output_repeats_input": "model m(x: f32[N, 4]) {\n  return x, relu(x), x\n}\n",
    "conv_transpose": image(
        "conv_transpose2d(x, 4, kernel=3, stride=2, padding=1, output_padding=1)"
    ),
    "conv_transpose_asymmetric": image(
        "conv_transpose2d(x, 4, kernel=4, stride=2, padding=(1, 2, 0, 1), groups=1)"
    ),
    "conv_transpose_grouped_dilated": image(
        "conv_transpose2d(x, 6, kernel=3, stride=2, dilation=2, groups=3)", "N, 6, 5, 6"
    ),
    "conv_transpose_output_padding_dilation": image(
        "conv_transpose2d(x, 4, kernel=2, stride=(1, 2), dilation=2, output_padding=(1, 1))"
    ),
    "conv_transpose_output_padding_in_end_pad": image(
        "conv_transpose2d(x, 4, kernel=3, stride=1, dilation=3, padding=(0, 1, 2, 0), "
        "output_padding=(2, 1), bias=false)"
    ),
    "conv1d": image("conv1d(x, 4, kernel=3, stride=2, padding=(2, 1))", "N, 3, 11"),
    "conv3d": image("conv3d(x, 2, kernel=(1, 3, 3), padding=(0, 1, 1))", "N, 3, 4, 6, 7"),
    "pool3d": image("maxpool3d(avgpool3d(x, kernel=2, ceil_mode=true), kernel=2)", "N, 2, 5, 6, 7"),
    "adaptive_even": image("adaptive_avgpool2d(x, (3, 5))", "N, 3, 9, 10"),
    "adaptive_uneven_avg": image("adaptive_avgpool2d(x, (4, 3))", "N, 3, 9, 10"),
    "adaptive_uneven_max": image("adaptive_maxpool2d(x, (4, 7))", "N, 3, 9, 10"),
    "adaptive_1d": image("adaptive_maxpool1d(x, 5)", "N, 3, 11"),
    "global_pools": image(
        "concat(globalavgpool(x, keepdims=false), globalmaxpool(x, keepdims=false))"
    ),
    "global_keep": image("add(globalavgpool(x), globalmaxpool(x))"),
    "flatten_axis2": image("flatten(x, axis=2)"),
    "reshape_transpose": image("transpose(reshape(x, (3, -1, 5)), (0, 2, 1, 3))"),
    "dense_on_sequence": image("dense(x, 4, bias=false)", "N, 5, 6"),
    "upsample_nearest": image("upsample(x, scale=(2, 3))"),
    "upsample_bilinear": image('upsample(x, scale=2, mode="bilinear")'),
    "resize_nearest_uneven": image("resize(x, (13, 7))"),
    "upsample_nearest_odd_scales": image("upsample(x, scale=(7, 3, 5))", "N, 2, 5, 3, 4"),
    "upsample_nearest_unknown_size": (
        "model m(x: f32[N, 2, H, W]) {\n  return upsample(x, scale=3)\n}\n"
    ),
    "resize_nearest_unknown_size": (
        "model m(x: f32[N, 2, H, W]) {\n  return resize(x, (10, 10))\n}\n"
    ),
    "upsample_linear_1d": image('upsample(x, scale=3, mode="bilinear")', "N, 2, 7"),
    "upsample_trilinear": image('upsample(x, scale=2, mode="bilinear")', "N, 2, 3, 4, 5"),
    "resize_linear_1d_corners": image(
        'resize(x, 11, mode="bilinear", align_corners=true)', "N, 2, 7"
    ),
    "resize_nearest_down": image("resize(x, 2)", "N, 1, 14"),
    "resize_nearest_mixed": image("resize(x, (3, 10, 29))", "N, 2, 14, 10, 7"),
    "resize_bilinear": image('resize(x, (13, 7), mode="bilinear")'),
    "resize_bilinear_corners": image('resize(x, (13, 7), mode="bilinear", align_corners=true)'),
    "resize_to_one": image('resize(x, (1, 4), mode="bilinear")'),
    "center_crop": (
        "model m(x: f32[N, 3, 9, 10], r: f32[N, 1, 4, 5]) {\n  return center_crop(x, r)\n}\n"
    ),
    "zeropad_asymmetric": image("zeropad2d(x, (1, 0, 2, 3))"),
    "zeropad1d": image("zeropad1d(x, 2)", "N, 3, 5"),
    "groupnorm": image("groupnorm(x, 2, eps=0.001)", "N, 6, 4, 5"),
    "layernorm": image("layernorm(x, eps=0.001)", "N, 5, 8"),
    "prelu": image("prelu(x)"),
    "prelu_2d": image("prelu(x)", "N, 7"),
    "activations": image(
        "add(relu6(x), leaky_relu(x, alpha=0.2), elu(x, alpha=1), selu(x), gelu(x), "
        'gelu(x, approximate="tanh"), sigmoid(x), tanh(x), silu(x), hardswish(x), '
        "hardsigmoid(x))"
    ),
    "dropout_identity": image("identity(dropout(x, 0.3))"),
    "embedding": "model m(t: i64[N, T]) {\n  return embedding(t, 7, 4)\n}\n",
}

RNNS = {
    "lstm": "lstm(x, 6)",
    "lstm_last": "lstm(x, 6, sequences=false)",
    "lstm_bi_2layers": "lstm(x, 5, layers=2, bidirectional=true)",
    "lstm_bi_last_nobias": "lstm(x, 5, layers=2, bidirectional=true, sequences=false, bias=false)",
    "gru": "gru(x, 6)",
    "gru_bi_last": "gru(x, 4, bidirectional=true, sequences=false)",
    "gru_3layers": "gru(x, 3, layers=3)",
}

ATTENTION = {
    "self": "model m(x: f32[N, T, 8]) {\n  return attention(x, x, x, 2)\n}\n",
    "cross_nobias": (
        "model m(q: f32[N, 3, 8], kv: f32[N, 5, 8]) {\n"
        "  return attention(q, kv, kv, 4, bias=false)\n}\n"
    ),
    "one_head": "model m(q: f32[N, 3, 6], k: f32[N, 4, 6], v: f32[N, 4, 6]) {\n"
    "  return attention(q, k, v, 1)\n}\n",
}


@pytest.mark.parametrize("name", sorted(TRAPS))
def test_trap_agrees_with_pytorch(name: str) -> None:
    same(TRAPS[name])


@pytest.mark.parametrize("name", sorted(RNNS))
def test_rnn_gate_order_agrees_with_pytorch(name: str) -> None:
    same(image(RNNS[name], "N, 7, 3"))


@pytest.mark.parametrize("name", sorted(ATTENTION))
def test_attention_agrees_with_pytorch(name: str) -> None:
    model = same(ATTENTION[name])
    assert {n.domain for n in model.graph.node} == {""}


# ---------------------------------------------------------------- zoo and CLI


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, marks=pytest.mark.slow) if p.stem in BIG else p for p in ZOO_FILES],
    ids=[p.stem for p in ZOO_FILES],
)
def test_zoo_model_passes_checker_and_strict_inference(path: Path) -> None:
    (graph,) = papercc.check(papercc.load(path)).graphs.values()
    model = onnx_export.export_model(graph, init_weights(graph, 0), source=str(path))
    inferred = valid(model)
    assert len(inferred.graph.value_info) >= len(model.graph.value_info)
    names = [n.name for n in model.graph.node]
    assert len(set(names)) == len(names)
    assert {n.name for n in graph.nodes} <= set(names)
    assert all(n.doc_string.startswith("papercc layer ") for n in model.graph.node)


def test_cli_export_with_weights_matches_pytorch(tmp_path: Path) -> None:
    from papercc.compiler.cli.main import main

    path = ZOO / "resnet18.dlir"
    w, out = tmp_path / "w.safetensors", tmp_path / "x.onnx"
    runner = CliRunner()
    r = runner.invoke(main, ["weights", "init", str(path), "-o", str(w), "--seed", "3"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["export", str(path), "-o", str(out), "--weights", str(w)])
    assert r.exit_code == 0, r.output
    model = onnx.load(str(out))
    onnx.checker.check_model(model, full_check=True)
    (graph,) = papercc.check(papercc.load(path)).graphs.values()
    weights = load_weights(w)
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (x,) = example_inputs(graph, 1, batch=3)
    (ref,) = pytorch.run(graph, weights, [x])
    for batch in (1, 3):
        (got,) = session.run(None, {session.get_inputs()[0].name: x[:batch]})
        assert got.shape == (batch, 1000)
        assert compare([ref[:batch]], [got])[1] <= REL_TOLERANCE
    assert np.array_equal(
        onnx.numpy_helper.to_array(
            next(i for i in model.graph.initializer if i.name == "conv1.weight")
        ),
        weights["conv1.weight"],
    )


def test_nearest_indices_are_pytorchs() -> None:
    """The Gather indices of nearest resizing equal PyTorch's for every small size pair."""
    import torch
    import torch.nn.functional as F

    from papercc.backends.onnx.ops import nearest_index

    for size in range(1, 24):
        x = torch.arange(size, dtype=torch.float32).reshape(1, 1, size)
        for out in range(1, 40):
            ref = F.interpolate(x, size=out, mode="nearest").flatten().long().numpy()
            assert np.array_equal(nearest_index(size, out, None), ref), (size, out)
        for factor in range(1, 12):
            ref = F.interpolate(x, scale_factor=float(factor), mode="nearest")
            got = nearest_index(size, size * factor, 1.0 / factor)
            assert np.array_equal(got, ref.flatten().long().numpy()), (size, factor)
