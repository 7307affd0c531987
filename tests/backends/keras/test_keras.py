"""Keras backend: parameter counts, safe and formatted output, and the same generated file on
Keras' TensorFlow backend (tests use torch). (The layout traps of NHWC targets are
conformance cases of the ops: tests/backends/keras/test_conformance.py.)"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from agreement import assert_agrees
from paths import ZOO

import papercc
from papercc.backends.codegen import format_python
from papercc.backends.keras import target as keras_backend
from papercc.backends.runtime import example_inputs, import_generated
from papercc.backends.targets import target_module
from papercc.backends.verify import REL_TOLERANCE, compare
from papercc.backends.weights import init_weights, save_weights
from papercc.ir.diagnostics import DiagnosticError

ZOO_FILES = sorted(ZOO.glob("*.dlir"))
BIG = {"vgg16", "alexnet", "unet", "inception_v3", "densenet121", "resnet50"}


def graph_of_text(text: str):
    (graph,) = papercc.check(text).graphs.values()
    return graph


def graph_of(path: Path):
    (graph,) = papercc.check(papercc.load(path)).graphs.values()
    return graph


def assert_same(graph, seed: int = 0) -> None:
    assert_agrees(graph, "keras", seed)


def model(body: str, inp: str = "f32[N, 3, 12, 11]", ret: str = "y") -> str:
    return f"model m(x: {inp}) {{\n{body}\n  return {ret}\n}}\n"


def test_flatten_follows_nchw_order() -> None:
    """The transpose back to NCHW before flatten is really there (not a lucky shape)."""
    text = model("  y = dense(flatten(relu(conv2d(x, 5, kernel=3))), 7)", inp="f32[N, 3, 6, 5]")
    source = keras_backend.generate(graph_of_text(text))
    assert "Permute((3, 1, 2)" in source


def test_flatten_of_batch_dim_is_a_diagnostic() -> None:
    graph = graph_of_text(model("  y = flatten(x, axis=0)", inp="f32[N, 3]"))
    with pytest.raises(DiagnosticError) as err:
        keras_backend.generate(graph)
    assert "batch" in str(err.value)


def _lstm_bias_difference(graph) -> int:
    """Keras' LSTM has one bias per gate where PyTorch has two (b_ih + b_hh)."""
    extra = 0
    for node in graph.nodes:
        if node.op == "lstm" and node.attrs["bias"]:
            dirs = 2 if node.attrs["bidirectional"] else 1
            extra += 4 * node.attrs["hidden"] * dirs * node.attrs["layers"]
    return extra


def _trainable_count(graph) -> int:
    module = import_generated(keras_backend.generate(graph), "papercc_test_keras_count")
    built = module.build_model()
    return sum(int(np.prod(w.shape)) for w in built.trainable_weights)


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, marks=pytest.mark.slow) if p.stem in BIG else p for p in ZOO_FILES],
    ids=[p.stem for p in ZOO_FILES],
)
def test_parameter_count_matches_summary(path: Path) -> None:
    graph = graph_of(path)
    assert _trainable_count(graph) == graph.params - _lstm_bias_difference(graph)


@pytest.mark.parametrize("stem", ["resnet18", "lstm_captioner", "transformer_encoder"])
def test_generated_file_is_black_clean(stem: str) -> None:
    source = keras_backend.generate(graph_of(ZOO / f"{stem}.dlir"), f"zoo/{stem}.dlir")
    assert format_python(source) == source
    ast.parse(source)


def test_load_weights_reports_missing_key(tmp_path: Path) -> None:
    graph = graph_of_text(model("  y = batchnorm(conv2d(x, 4, kernel=1), eps=0.001)"))
    weights = init_weights(graph)
    weights.pop(next(k for k in weights if k.endswith("running_var")))
    save_weights(tmp_path / "w.safetensors", weights)
    module = import_generated(keras_backend.generate(graph), "papercc_test_keras_missing")
    with pytest.raises(KeyError, match="running_var"):
        module.load_weights(module.build_model(), str(tmp_path / "w.safetensors"))


HOSTILE = [
    "a\"b'c",
    "line\nbreak\r\u2028",
    "__import__('os').system('echo pwned')",
    "\u00d7\u03b1\u5c42 \U0001f600",
    '"""; import os; """',
    "x.y.z",
]

CLEAN_TEXT = (
    "model m(x: f32[N, 3, 8, 8]) {\n"
    "  a = conv2d(x, 4, kernel=3, padding=1) as conv @src(text=SRC)\n"
    "  b = batchnorm(a) as bn\n"
    "  c = lstm(reshape(b, (4, 64)), 5) as rnn\n"
    "  return dense(flatten(c), 3) as head\n"
    "}\n"
)


def _shape_of(source: str) -> list[str]:
    """The AST node types of a module, names and constants left out."""
    return [type(n).__name__ for n in ast.walk(ast.parse(source))]


def test_hostile_names_stay_data() -> None:
    clean = graph_of_text(CLEAN_TEXT.replace("SRC", '"plain"'))
    clean_src = keras_backend.generate(clean, "clean.dlir")
    hostile_text = CLEAN_TEXT.replace("SRC", json.dumps("\"\n__import__('os')\u00d7"))
    hostile_text = hostile_text.replace("as conv", "as __import__").replace("as head", "as exec")
    graph = graph_of_text(hostile_text)
    graph.name = HOSTILE[2]
    for node, name in zip(graph.nodes, HOSTILE, strict=False):
        node.name = name
    for node in graph.nodes:
        for value in node.outputs:
            value.name = HOSTILE[1] + value.name
    graph.inputs[0].name = HOSTILE[3]
    source = keras_backend.generate(graph, HOSTILE[4])
    assert _shape_of(source) == _shape_of(clean_src)
    tree, clean_tree = ast.parse(source), ast.parse(clean_src)
    assert len(tree.body) == len(clean_tree.body)
    calls = {
        n.func.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    assert "__import__" not in calls and "exec" not in calls
    # and the model still builds and agrees with PyTorch under those names
    assert_same(graph)


# ---------------------------------------------------------------- TensorFlow backend

TF_SCRIPT = """
import os, sys
os.environ["KERAS_BACKEND"] = "tensorflow"
import importlib.util
import numpy as np
import keras
assert keras.backend.backend() == "tensorflow"
folder = sys.argv[1]
for name in sys.argv[2:]:
    spec = importlib.util.spec_from_file_location(name, os.path.join(folder, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.build_model()
    module.load_weights(model, os.path.join(folder, name + ".safetensors"))
    count = len([f for f in os.listdir(folder) if f.startswith(name + ".in")])
    inputs = [np.load(os.path.join(folder, f"{name}.in{i}.npy")) for i in range(count)]
    out = model([keras.ops.convert_to_tensor(x) for x in inputs], training=False)
    outs = out if isinstance(out, (list, tuple)) else [out]
    for i, o in enumerate(outs):
        np.save(os.path.join(folder, f"{name}.out{i}.npy"), keras.ops.convert_to_numpy(o))
"""

TF_MODELS = {
    "resnet18": lambda: graph_of(ZOO / "resnet18.dlir"),
    "lstm_captioner": lambda: graph_of(ZOO / "lstm_captioner.dlir"),
    "asymmetric": lambda: graph_of_text(
        model(
            '  a = conv2d(x, 4, kernel=4, stride=2, padding="same")\n'
            "  b = conv2d(a, 4, kernel=3, padding=(0, 2, 1, 0))\n"
            "  c = maxpool2d(b, kernel=3, stride=2, padding=1, ceil_mode=true)\n"
            "  y = dense(flatten(lrn(c, size=5, alpha=0.0001, beta=0.75, k=2.0)), 5)"
        )
    ),
    "transformer_encoder": lambda: graph_of(ZOO / "transformer_encoder.dlir"),
    # the helper layers (keras.ops only) and grouped / depthwise convolutions on TF CPU
    "helpers": lambda: graph_of_text(
        model(
            "  a = depthwise_conv2d(x, kernel=3, stride=2, padding=1, multiplier=2)\n"
            "  b = conv_transpose2d(a, 4, kernel=3, stride=2, padding=(0, 1, 1, 0), groups=2)\n"
            "  c = conv2d(b, 4, kernel=3, stride=2, dilation=2, padding=1, groups=2)\n"
            "  d = maxpool2d(c, kernel=2, stride=1, dilation=2)\n"
            '  y = resize(avgpool2d(d, kernel=3, padding=1, count_include_pad=false), (7, 9), mode="bilinear")'
        )
    ),
}


@pytest.mark.slow
def test_tensorflow_backend_agrees_with_pytorch(tmp_path: Path) -> None:
    refs = {}
    for name, make in TF_MODELS.items():
        graph = make()
        weights, inputs = init_weights(graph), example_inputs(graph)
        refs[name] = target_module("pytorch").run(graph, weights, inputs)
        (tmp_path / f"{name}.py").write_text(keras_backend.generate(graph), encoding="utf-8")
        save_weights(tmp_path / f"{name}.safetensors", weights)
        for i, x in enumerate(inputs):
            np.save(tmp_path / f"{name}.in{i}.npy", x)
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3"}
    subprocess.run(
        [sys.executable, "-c", TF_SCRIPT, str(tmp_path), *TF_MODELS],
        env=env,
        check=True,
        timeout=600,
        capture_output=True,
    )
    for name, ref in refs.items():
        got = [np.load(tmp_path / f"{name}.out{i}.npy") for i in range(len(ref))]
        max_abs, max_rel, same_shape = compare(ref, got)
        assert same_shape, name
        assert (
            max_rel <= REL_TOLERANCE or max_abs <= 1e-6
        ), f"{name}: abs {max_abs:g} rel {max_rel:g}"
