"""ONNX export: the model is valid (full checker, strict shape inference), typed and
named from the IR, and onnxruntime gives PyTorch's outputs. (The traps where ONNX and
PyTorch conventions differ, gate orders, asymmetric pads, ceil mode, LRN..., are conformance
cases of the ops: tests/backends/onnx/test_conformance.py, which also checks validity.)"""

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

ort = pytest.importorskip("onnxruntime")

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


def image(body: str, shape: str = "N, 3, 9, 10") -> str:
    return f"model m(x: f32[{shape}]) {{\n  return {body}\n}}\n"


# ---------------------------------------------------------------- structure of the model


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
