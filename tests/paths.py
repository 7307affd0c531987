"""Where the tests' data lives: one place, so tests can move between folders."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
ZOO = ROOT / "zoo"
SPEC = ROOT / "spec"
BENCH = ROOT / "bench"
GOLDEN = TESTS / "golden"
INVALID = TESTS / "invalid"
PAPERS = ROOT.parent / "shared" / "papers"
