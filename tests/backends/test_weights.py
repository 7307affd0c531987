"""The one weights file: initialisers come from the weight rules' declarations."""

from __future__ import annotations

import numpy as np
import pytest

import papercc
from papercc.backends import weights
from papercc.ir.registry import INITIALISERS, WeightSpec


def test_every_declared_initialiser_has_a_sampler() -> None:
    assert set(weights.INIT_SAMPLERS) == set(INITIALISERS)


def test_an_unknown_initialiser_is_refused_where_it_is_declared() -> None:
    with pytest.raises(ValueError, match="unknown initialiser 'zeros'"):
        WeightSpec("weight", (3,), init="zeros")


MODEL = """
model m(x: f32[2, 3, 8, 8], t: i64[2, 5]) -> f32[2, 4, 16, 16] {
  y = prelu(batchnorm(conv2d(x, 4, kernel=3, padding=1, bias=false)))
  e = embedding(t, 10, 6)
  return conv_transpose2d(y, 4, kernel=2, stride=2)
}
"""


def test_each_weight_is_drawn_from_its_declared_initialiser() -> None:
    graph = papercc.check(MODEL).graphs["m"]
    w = weights.init_weights(graph, seed=3)
    assert np.all((w["bn1.weight"] >= 0.8) & (w["bn1.weight"] <= 1.2))  # scale
    assert np.all((w["bn1.running_var"] >= 0.5) & (w["bn1.running_var"] <= 1.5))
    assert np.all((w["prelu1.weight"] >= 0.1) & (w["prelu1.weight"] <= 0.3))  # slope
    # unit normal, not fan-in scaled (that would be std 0.58 for dim 6)
    assert 0.75 < w["embed1.weight"].std() < 1.3
    # transposed fan-in: dim 0 (4) times the kernel (2x2) -> std sqrt(2 / 16) = 0.35
    assert 0.2 < w["upconv1.weight"].std() < 0.5
    assert all(v.dtype == np.float32 for v in w.values())
