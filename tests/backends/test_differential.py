"""Differential tests: every target, in its real runtime, against PyTorch on the same
weights and input (tinygrad's helper_test_op idea), on the zoo and on random models.
Targets plug in through papercc.backends.targets. Nothing is skipped or passed vacuously: a
target that does not import, or cannot emit an op of a model (natively or by its
decomposition), fails. (Per-op cases: tests/conformance.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from agreement import assert_agrees
from hypothesis import HealthCheck, given, settings
from paths import ZOO
from strategies import chain_models

import papercc
from papercc.backends.runtime import example_inputs
from papercc.backends.targets import TARGETS, target_module
from papercc.backends.verify import expected_shapes_ok
from papercc.backends.weights import init_weights

ZOO_FILES = sorted(ZOO.glob("*.dlir"))
OTHER_TARGETS = [t for t in TARGETS if t != "pytorch"]
BIG = {"vgg16", "alexnet", "unet", "inception_v3", "densenet121", "resnet50"}


def graph_of(path: Path):
    result = papercc.check(papercc.load(path))
    (graph,) = result.graphs.values()
    return graph


assert_same = assert_agrees


@pytest.mark.parametrize("path", ZOO_FILES, ids=[p.stem for p in ZOO_FILES])
def test_pytorch_matches_dlir(path: Path) -> None:
    graph = graph_of(path)
    outs = target_module("pytorch").run(graph, init_weights(graph, 1), example_inputs(graph, 1))
    assert expected_shapes_ok(graph, outs)


@pytest.mark.slow
@pytest.mark.parametrize("target", OTHER_TARGETS)
@pytest.mark.parametrize("path", ZOO_FILES, ids=[p.stem for p in ZOO_FILES])
def test_zoo_model_agrees_with_pytorch(target: str, path: Path) -> None:
    assert_same(graph_of(path), target)


@pytest.mark.parametrize("target", OTHER_TARGETS)
def test_random_models_agree_with_pytorch(target: str) -> None:
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(chain_models(max_layers=5))
    def check(module):
        result = papercc.check(module)
        assert_same(result.graphs["m"], target)

    check()
