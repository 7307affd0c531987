"""Fuzz (on demand): random mutations of valid DLIR programs (the zoo and registry-generated
models) through parse, format and check. Anything raised that is not a DiagnosticError is a
traceback a user could see; the run prints how many there were (target: zero).

Usage: python bench/fuzz_core.py [--count 10000] [--seed 0]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import papercc  # noqa: E402
from papercc.ir.check import check_module  # noqa: E402


def corpus(rng: random.Random, n_generated: int = 200) -> list[str]:
    from strategies import chain_models

    texts = [p.read_text() for p in sorted((ROOT / "zoo").glob("*.dlir"))]
    texts += [p.read_text() for p in sorted((ROOT / "tests").rglob("*.dlir"))]
    for _ in range(n_generated):
        texts.append(papercc.format(chain_models().example()))
    return texts


def main() -> None:
    from ir_mutations import mutate, mutate_tokens

    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    texts = corpus(rng)
    crashes, parsed, checked = [], 0, 0
    start = time.perf_counter()
    for i in range(args.count):
        how = mutate if i % 2 else mutate_tokens
        text = how(rng.choice(texts), random.Random(args.seed * 1_000_003 + i))
        try:
            module = papercc.parse(text, f"fuzz{i}.dlir")
            parsed += 1
            papercc.format(module)
            result = check_module(module)
            checked += 1
            for d in result.diagnostics:
                d.header()
        except papercc.DiagnosticError:
            pass
        except Exception:  # noqa: BLE001 - that is what we count
            crashes.append((i, text, traceback.format_exc()))
    elapsed = time.perf_counter() - start
    print(
        f"{args.count} mutated inputs in {elapsed:.1f}s: {parsed} parsed, {checked} checked, "
        f"{len(crashes)} tracebacks"
    )
    for i, text, tb in crashes[:5]:
        print(f"--- input {i}:\n{text[:400]}\n{tb}")
    sys.exit(1 if crashes else 0)


if __name__ == "__main__":
    main()
