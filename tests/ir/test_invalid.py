"""Invalid programs in tests/invalid/: each expected diagnostic is written inline, as a
comment `# error[code]: message` on the line it must point at. Every expectation must be
met by a diagnostic on that line whose message contains the text, and no diagnostic may
appear that no comment expects."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from paths import INVALID

import papercc
from papercc.ir.check import check_module
from papercc.ir.diagnostics import CODES

HERE = INVALID
EXPECT = re.compile(r"#\s*(error|warning)\[([a-z-]+)\]:\s*(.*)$")
FILES = sorted(HERE.glob("*.dlir"))


def expectations(text: str) -> list[tuple[int, str, str, str]]:
    out = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        m = EXPECT.search(line)
        if m:
            out.append((lineno, m.group(1), m.group(2), m.group(3).strip()))
    return out


def diagnostics_of(path: Path) -> list:
    text = path.read_text()
    try:
        module = papercc.parse(text, filename=str(path))
    except papercc.DiagnosticError as exc:
        return exc.diagnostics
    return check_module(module).diagnostics


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_invalid_program(path: Path) -> None:
    expected = expectations(path.read_text())
    assert expected, f"{path.name} states no expected diagnostic"
    got = diagnostics_of(path)
    unmatched = list(got)
    for line, severity, code, text in expected:
        assert code in CODES, f"{path.name}:{line}: unknown code {code}"
        hit = [
            d
            for d in unmatched
            if d.span.line == line
            and d.code == code
            and d.severity == severity
            and text in d.message
        ]
        assert hit, (
            f"{path.name}:{line}: expected {severity}[{code}] containing {text!r}; got "
            + "; ".join(f"{d.span.line}: [{d.code}] {d.message}" for d in got)
        )
        unmatched.remove(hit[0])
    assert not unmatched, "unexpected diagnostics: " + "; ".join(
        f"{d.span.line}:{d.span.col}: [{d.code}] {d.message}" for d in unmatched
    )


def test_every_code_is_exercised_somewhere() -> None:
    """Codes the checker can emit on DLIR input all have an invalid-program example (the
    command line's own codes have theirs in tests/compiler/cli/test_problems.py)."""
    used = {code for p in FILES for _, _, code, _ in expectations(p.read_text())}
    frontend_or_backend_only = {"io", "unsupported-op", "no-model", "annotation"} | {
        "usage",
        "unavailable",
        "not-canonical",
        "assumed",
        "stub",
        "random-weights",
        "verify",
    }
    missing = set(CODES) - used - frontend_or_backend_only
    assert not missing, f"no invalid-program example for: {sorted(missing)}"
