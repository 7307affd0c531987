"""The onnx target runs every conformance case of every op in onnxruntime, against PyTorch:
one exported model per op (see tests/conformance.py); each model also passes the full
checker and strict shape inference, with standard-domain nodes only."""

from __future__ import annotations

import onnx
import pytest
from conformance import batch, check

from papercc.backends.onnx import target as onnx_export
from papercc.ir.registry import OPS


@pytest.mark.parametrize("op", sorted(OPS))
def test_op_conforms(op: str) -> None:
    check("onnx", op)
    b = batch("onnx", op)
    model = onnx_export.export_model(b.graph, b.weights)
    onnx.checker.check_model(model, full_check=True)
    onnx.shape_inference.infer_shapes(model, strict_mode=True, check_type=True)
    assert {n.domain for n in model.graph.node} == {""}
