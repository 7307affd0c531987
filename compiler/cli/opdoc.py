"""Generate spec/ops.md from the op registry (like ONNX's docs/Operators.md)."""

from __future__ import annotations

from papercc.ir.registry import OPS, REQUIRED, SameAs
from papercc.ir.values import value_text

HEADER = """# DLIR op reference

Generated from the op registry by `papercc ops --markdown > spec/ops.md`; do not edit by hand
(a test fails when this file is stale). Layout is NCHW; weights use PyTorch/ONNX layouts.
Attributes marked *positional* are written without their name in canonical form.
"""


def _default(value) -> str:
    if value is REQUIRED:
        return "required"
    if isinstance(value, SameAs):
        return f"same as `{value.name}`"
    return f"`{value_text(value)}`"


def _backend_coverage() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Per target: the ops it covers, and those it has a native emitter for."""
    try:
        from papercc.backends.targets import coverage, native
    except ImportError:
        return {}, {}
    return coverage(), native()


def ops_markdown() -> str:
    lines = [HEADER]
    coverage, native = _backend_coverage()
    categories: dict[str, list] = {}
    for op in OPS.values():
        categories.setdefault(op.category, []).append(op)
    lines.append("## Contents\n")
    for cat in sorted(categories):
        names = ", ".join(f"[`{op.name}`](#{op.name})" for op in categories[cat])
        lines.append(f"- **{cat}**: {names}")
    lines.append("")
    for cat in sorted(categories):
        lines.append(f"## {cat.capitalize()}\n")
        for op in categories[cat]:
            lines.append(f"### {op.name}\n")
            lines.append(f"{op.doc}\n")
            ins = ", ".join(op.inputs) + (", ..." if op.variadic else "")
            outs = op.outputs if isinstance(op.outputs, int) else "one per section"
            lines.append(
                f"Inputs: `{ins}`. Outputs: {outs}. Layer-name prefix: `{op.layer_prefix()}`.\n"
            )
            if op.attrs:
                lines.append("| attribute | kind | default | meaning |")
                lines.append("| --- | --- | --- | --- |")
                for i, a in enumerate(op.attrs):
                    kind = a.kind + (
                        " (" + ", ".join(f'"{c}"' for c in a.choices) + ")" if a.choices else ""
                    )
                    pos = " *positional*" if i < op.positional else ""
                    lines.append(f"| `{a.name}`{pos} | {kind} | {_default(a.default)} | {a.doc} |")
                lines.append("")
            lines.append(f"Example: `{op.example}`\n")
            if op.decomposition is not None:
                binds = "".join(
                    f" ({', '.join(dims)} bound from `{name}`)"
                    for name, dims in op.decomposition.dims
                )
                body = "\n".join(line.strip() for line in op.decomposition.body.splitlines())
                lines.append(f"Decomposition{binds}, emitted by targets without their own:\n")
                lines.append(f"```\n{body}\n```\n")
            if coverage:
                have = sorted(t for t, ops in coverage.items() if op.name in ops)
                via = sorted(t for t in have if op.name not in native.get(t, set()))
                note = f" ({', '.join(via)} through the decomposition)" if via else ""
                lines.append(f"Backends: {', '.join(have) if have else 'none'}{note}\n")
            if op.cases:
                lines.append(f"Conformance cases: {', '.join(c.name for c in op.cases)}.\n")
    return "\n".join(lines).rstrip() + "\n"
