"""The tensorflow target runs every conformance case of every op in TensorFlow 2, against
PyTorch: one generated model per op (see tests/conformance.py)."""

from __future__ import annotations

import pytest
from conformance import check

from papercc.ir.registry import OPS


@pytest.mark.parametrize("op", sorted(OPS))
def test_op_conforms(op: str) -> None:
    check("tensorflow", op)
