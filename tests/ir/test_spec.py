"""spec/ops.md is generated from the registry; it must not be stale. And every op's
declaration is complete and its example checks."""

from __future__ import annotations

import pytest
from paths import SPEC

import papercc
from papercc.compiler.cli.opdoc import ops_markdown
from papercc.ir.registry import OPS

SPEC = SPEC


def test_ops_md_is_current() -> None:
    assert (
        SPEC / "ops.md"
    ).read_text() == ops_markdown(), "run `make spec` to regenerate spec/ops.md"


def test_language_reference_exists() -> None:
    text = (SPEC / "language.md").read_text()
    for section in ("Lexical rules", "Types", "Holes", "Provenance", "Canonical form", "repeat"):
        assert section.lower() in text.lower()


@pytest.mark.parametrize("name", list(OPS))
def test_every_op_is_declared_fully_and_its_example_checks(name: str) -> None:
    op = OPS[name]
    assert op.doc and op.example and op.category and op.inputs
    assert len({a.name for a in op.attrs}) == len(op.attrs)
    # the example, wrapped in a model whose input fits the op, parses and names the op
    module = papercc.parse(
        "block b(x, tokens, a, b, c, skip, up, q, k, v) {\n  " + op.example + "\n  return y\n}\n"
    )
    call_names = papercc.format(module)
    assert name in call_names
