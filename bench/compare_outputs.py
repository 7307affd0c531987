"""Outputs-unchanged check for refactors (on demand, not a test): record what the command
line writes for a fixed set of inputs, then compare two recordings byte for byte.

Why: a change that moves code ("changes no behaviour") must be shown to write the same
bytes. The check goes through the installed `papercc` command only, so it does not depend
on where modules live.

What is recorded, under OUT/:
- inputs/: synthetic figures (bench_figures' models and styles, PNG and vector PDF) and
  synthetic architecture tables (tests/compiler/synth_tables.py, every orientation and
  rule style), written by the current code; they are compared too (PNG by bytes, PDF by
  what their pages show), so the renderer and the table generator are covered;
- out/: for every input and every paper in ../shared/papers, the DLIR `papercc compile`
  writes, with its exit code and its messages (timings masked); for every zoo model the
  ONNX file of `papercc export`, the source of `papercc gen` for each target, the SVG of
  `papercc render` and `papercc summary --json`.

Usage:
    python bench/compare_outputs.py record OUT [--figures 30] [--tables 3] [--jobs 2]
    python bench/compare_outputs.py compare BEFORE AFTER
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAPERS = ROOT.parent / "shared" / "papers"
TARGETS = ("pytorch", "keras", "tensorflow", "caffe")
FIGURE_BASE = 7  # a run seed of bench_figures that no tuning used
TABLE_SEED = 9100
_TIMING = re.compile(r"\d+(\.\d+)? ?(s|ms)\b")


def _write_inputs(inputs: Path, figures: int, tables: int) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    sys.path.insert(0, str(ROOT / "tests" / "compiler"))
    import bench_figures
    from synth_tables import make_table

    inputs.mkdir(parents=True, exist_ok=True)
    for index in range(figures):
        _, _, graph, style = bench_figures.figure_case(index, FIGURE_BASE)
        for fmt in ("png", "pdf"):
            rendered = bench_figures.render(graph, style, fmt)
            (inputs / f"figure{index:03}.{fmt}").write_bytes(rendered.data)
    for orientation in ("columns", "rows", "stages"):
        for rules in ("grid", "booktabs", "none"):
            for seed in range(TABLE_SEED, TABLE_SEED + tables):
                pdf = make_table(seed, orientation, rules).pdf
                (inputs / f"table_{orientation}_{rules}_{seed}.pdf").write_bytes(pdf)


def _commands(inputs: Path, out: Path) -> list[tuple[str, list[str], Path | None]]:
    """(name, argv, output file or None) for every command recorded."""
    cmds = []
    sources = sorted(inputs.iterdir()) + sorted(PAPERS.glob("*.pdf"))
    for src in sources:
        target = out / f"compile_{src.name}.dlir"
        cmds.append((target.name, ["compile", str(src), "-o", str(target)], target))
    for path in sorted((ROOT / "zoo").glob("*.dlir")):
        stem, model = path.stem, path.relative_to(ROOT)  # generated files name their source
        onnx = out / f"export_{stem}.onnx"
        cmds.append((onnx.name, ["export", str(model), "-o", str(onnx)], onnx))
        for target in TARGETS:
            gen = out / f"gen_{stem}.{target}.txt"
            cmds.append((gen.name, ["gen", str(model), "--target", target, "-o", str(gen)], gen))
        svg = out / f"render_{stem}.svg"
        cmds.append((svg.name, ["render", str(model), "-o", str(svg)], svg))
        cmds.append((f"summary_{stem}.json", ["summary", "--json", str(model)], None))
    return cmds


def _run(name: str, argv: list[str], out: Path) -> None:
    papercc = Path(sys.executable).parent / "papercc"  # the command of this environment
    proc = subprocess.run([str(papercc), *argv], capture_output=True, text=True, cwd=ROOT)
    paths = (str(ROOT) + "/", str(out) + "/", str(out.parent) + "/")
    said = proc.stdout + "\n--- stderr\n" + proc.stderr
    for p in paths:
        said = said.replace(p, "")
    said = _TIMING.sub("<time>", said)
    (out / f"{name}.said").write_text(f"exit {proc.returncode}\n{said}")


def record(where: Path, figures: int, tables: int, jobs: int) -> int:
    inputs, out = where / "inputs", where / "out"
    out.mkdir(parents=True, exist_ok=True)
    _write_inputs(inputs, figures, tables)
    cmds = _commands(inputs, out)
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(lambda c: _run(c[0], c[1], out), cmds))
    print(f"recorded {len(cmds)} commands on {len(list(inputs.iterdir()))} inputs in {where}")
    return 0


def _digest(path: Path) -> str:
    """The bytes' hash; for an input PDF, the hash of what its pages show (words with
    their boxes, drawings), since PDF files carry a random ID."""
    if path.suffix != ".pdf" or path.parent.name != "inputs":
        return hashlib.sha256(path.read_bytes()).hexdigest()
    import pymupdf

    shown = []
    with pymupdf.open(path) as doc:
        for page in doc:
            shown.append((page.get_text("words"), page.get_drawings(), page.get_images()))
    return hashlib.sha256(repr(shown).encode()).hexdigest()


def compare(before: Path, after: Path) -> int:
    differ, missing = [], []
    for sub in ("inputs", "out"):
        a = {p.name: p for p in (before / sub).iterdir()}
        b = {p.name: p for p in (after / sub).iterdir()}
        missing += [f"{sub}/{n}" for n in sorted(a.keys() ^ b.keys())]
        differ += [
            f"{sub}/{n}" for n in sorted(a.keys() & b.keys()) if _digest(a[n]) != _digest(b[n])
        ]
    total = sum(1 for sub in ("inputs", "out") for _ in (before / sub).iterdir())
    for name in missing:
        print(f"only in one recording: {name}")
    for name in differ:
        print(f"differs: {name}")
    print(f"{total} files compared: {len(differ)} differ, {len(missing)} in one recording only")
    return 1 if differ or missing else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("out", type=Path)
    rec.add_argument("--figures", type=int, default=30)
    rec.add_argument("--tables", type=int, default=3)
    rec.add_argument("--jobs", type=int, default=2)
    cmp = sub.add_parser("compare")
    cmp.add_argument("before", type=Path)
    cmp.add_argument("after", type=Path)
    args = ap.parse_args(argv)
    if args.cmd == "record":
        return record(args.out, args.figures, args.tables, args.jobs)
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
