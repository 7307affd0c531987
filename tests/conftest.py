"""Shared test setup: tests/ (strategies, paths), tests/compiler (the synthetic figure and
table generators) and bench/ on sys.path; hypothesis profiles."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

_TESTS = Path(__file__).resolve().parent
for _dir in (_TESTS.parent / "bench", _TESTS / "compiler", _TESTS):
    sys.path.insert(0, str(_dir))
os.environ.setdefault("KERAS_BACKEND", "torch")

# CI and `make test` are deterministic (derandomize): a red run is a real regression, not a
# new random draw. HYPOTHESIS_PROFILE=thorough explores with fresh randomness.
settings.register_profile(
    "default",
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
