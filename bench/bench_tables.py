"""Benchmark (on demand): random architecture tables in all three orientations and three
rule styles, rendered into PDFs (tests/compiler/synth_tables.py), read back by
find_arch_tables and compared exactly (configurations, names, inputs, every entry), then
lowered to DLIR and checked. Prints accuracy and time per table.

Usage: python bench/bench_tables.py [--per 100] [--seed 5000]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import pymupdf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "compiler"))

import papercc  # noqa: E402
from papercc.compiler.lower.context import TextContext  # noqa: E402
from papercc.compiler.lower.table import lower_table  # noqa: E402
from papercc.compiler.tables.find import find_arch_tables  # noqa: E402
from papercc.ir.check import check_module  # noqa: E402


def main() -> None:
    from synth_tables import make_table

    ap = argparse.ArgumentParser()
    ap.add_argument("--per", type=int, default=100, help="tables per orientation and rule style")
    ap.add_argument("--seed", type=int, default=5000)
    args = ap.parse_args()
    exact, total, lowered_ok = Counter(), Counter(), Counter()
    read_time = 0.0
    for orientation in ("columns", "rows", "stages"):
        for rules in ("grid", "booktabs", "none"):
            for seed in range(args.seed, args.seed + args.per):
                st = make_table(seed, orientation, rules)
                page = pymupdf.open("pdf", st.pdf)[0]
                start = time.perf_counter()
                tables = find_arch_tables(page)
                read_time += time.perf_counter() - start
                key = (orientation, rules)
                total[key] += 1
                want = [(c.name, c.input, c.entries) for c in st.configs]
                got = [(c.name, c.input, c.entries) for c in tables[0].configs] if tables else None
                if len(tables) == 1 and tables[0].orientation == orientation and got == want:
                    exact[key] += 1
                if tables:
                    module = lower_table(tables[0], TextContext()).module
                    text = papercc.format(module)
                    if not any(
                        d.severity == "error"
                        for d in check_module(papercc.parse(text)).diagnostics
                        if d.code != "hole"
                    ):
                        lowered_ok[key] += 1
    n = sum(total.values())
    print(f"{n} synthetic tables (seeds {args.seed}..{args.seed + args.per - 1} per style)")
    for key in sorted(total):
        print(
            f"  {key[0]:8} {key[1]:9} exact {exact[key]}/{total[key]}  lowered+checked {lowered_ok[key]}/{total[key]}"
        )
    print(f"exact round trip: {sum(exact.values())}/{n} = {sum(exact.values()) / n:.2%}")
    print(f"lowered to DLIR without errors (holes allowed): {sum(lowered_ok.values())}/{n}")
    print(f"find_arch_tables: {1000 * read_time / n:.1f} ms per table page")


if __name__ == "__main__":
    main()
