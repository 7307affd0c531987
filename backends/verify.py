"""`papercc verify`: run one model in every target's real runtime on the same weights and
input, and compare each output with PyTorch's."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from papercc.backends.runtime import example_inputs
from papercc.backends.targets import target_module
from papercc.backends.weights import init_weights
from papercc.ir.graph import Graph

REL_TOLERANCE = 1e-4


@dataclass(frozen=True)
class TargetResult:
    target: str
    ok: bool
    max_abs: float | None = None
    max_rel: float | None = None
    shapes_ok: bool = True
    seconds: float = 0.0
    error: str | None = None


def _max_diff(ref: np.ndarray, got: np.ndarray) -> float:
    """Largest |ref - got|; NaN where both are NaN agrees, NaN on one side only is inf."""
    both = np.isnan(ref) & np.isnan(got)
    one = np.isnan(ref) ^ np.isnan(got)
    if one.any():
        return float("inf")
    diff = np.abs(np.where(both, 0.0, ref - got))
    return float(np.max(diff))


def compare(ref: list[np.ndarray], got: list[np.ndarray]) -> tuple[float, float, bool]:
    """(max absolute difference, the same relative to the largest reference value, shapes equal)."""
    if len(ref) != len(got) or any(r.shape != g.shape for r, g in zip(ref, got, strict=False)):
        return float("inf"), float("inf"), False
    max_abs = max((_max_diff(r, g) if r.size else 0.0) for r, g in zip(ref, got, strict=True))
    scale = max((float(np.nanmax(np.abs(r), initial=0.0)) if r.size else 0.0) for r in ref)
    return max_abs, max_abs / max(scale, 1e-12), True


def expected_shapes_ok(graph: Graph, outs: list[np.ndarray]) -> bool:
    for v, o in zip(graph.outputs, outs, strict=False):
        for d, n in zip(v.type.shape or (), o.shape, strict=False):
            if isinstance(d, int) and d != n:
                return False
        if v.type.shape is not None and len(v.type.shape) != o.ndim:
            return False
    return len(outs) == len(graph.outputs)


def verify(
    graph: Graph, targets: list[str], seed: int = 0, source: str = "<dlir>"
) -> list[TargetResult]:
    weights = init_weights(graph, seed)
    inputs = example_inputs(graph, seed)
    start = time.perf_counter()
    ref = target_module("pytorch").run(graph, weights, inputs, source)
    results = [
        TargetResult(
            "pytorch",
            expected_shapes_ok(graph, ref),
            0.0,
            0.0,
            expected_shapes_ok(graph, ref),
            time.perf_counter() - start,
        )
    ]
    for target in targets:
        if target == "pytorch":
            continue
        start = time.perf_counter()
        try:
            got = target_module(target).run(graph, weights, inputs, source)
        except Exception as exc:  # noqa: BLE001 - a target failing is a result to report
            results.append(
                TargetResult(
                    target,
                    False,
                    error=f"{type(exc).__name__}: {exc}",
                    seconds=time.perf_counter() - start,
                )
            )
            continue
        max_abs, max_rel, same_shape = compare(ref, got)
        shapes_ok = same_shape and expected_shapes_ok(graph, got)
        ok = shapes_ok and (max_rel <= REL_TOLERANCE or max_abs <= 1e-6)
        results.append(
            TargetResult(target, ok, max_abs, max_rel, shapes_ok, time.perf_counter() - start)
        )
    return results
