"""Generalisation benchmark (on demand, not a test): figures papercc has never seen, drawn by
an independent generator (`synth_general`), compiled as a user would, scored end to end.

Why: the figure benchmark (`bench_figures.py`) renders with papercc's own renderer and was
tuned on it. This one measures what a new user gets: `papercc compile FIG -o m.dlir`
(in-process: `figures_from_image` + `lower_figures` + `check_module` for an image, the
whole-paper `compile_paper` for a PDF, as the command line does without --page), then
`papercc export m.dlir -o m.onnx` (the ONNX target's `generate`).

Per figure (see `score`):
- exact_graph: exactly one model, whose layer graph is isomorphic to the truth's: nodes
  are layers labelled by op (blocks and repeats are already expanded by elaboration), plus
  one node per model input; edges are data flow. Shape-only ops (`flatten`, `identity`,
  `reshape`) are contracted on both sides first (a figure may draw them or not), so a
  chain of `identity` layers never matches anything but an empty graph.
- exact_model: exact_graph, and an isomorphism that also matches every layer's attributes
  (normalised: a tuple of equal entries is its entry), no hole, no error, the input shape
  (without the batch) equal, and the parameter count equal to the truth's.
- exports: the ONNX export of the one model succeeded (only tried without holes/errors).
- honest: a positive that is not exact_model is honest when papercc said so (no model,
  errors, or holes); a negative (chart, pipeline) is honest when it gives no model (the
  command line's exit 4).
- seconds: read + lower + check of the figure (not drawing, not export).

Usage: python bench/bench_general.py --n 40 --split both --formats png,rasterpdf,vectorpdf
       [--seed 0] [--jobs 1] [--json out.json] [--negatives] [--papers] [--save DIR]
       [--no-pdf-ocr] (pass the CLI's --no-ocr to the whole-paper compile of PDFs; on = the
                      command line's default)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synth_general as sg  # noqa: E402

import papercc  # noqa: E402

SHAPE_ONLY = ("flatten", "identity", "reshape")
EXIT_OK, EXIT_ERRORS, EXIT_NO_MODEL = 0, 1, 4
EXPORT_LIMIT = 60_000_000  # parameters; larger (wrong) models are not exported
PAPERS = Path("/work/shared/papers/expected.json")


# ---------------------------------------------------------------- compiling


@dataclass
class Compiled:
    """What a compile gave: exit code, the checked graphs, holes, errors, messages."""

    exit: int
    graphs: list = field(default_factory=list)
    holes: int = 0
    errors: list = field(default_factory=list)
    text: str = ""
    seconds: float = 0.0
    note: str = ""


def compile_image(path: Path, ocr) -> Compiled:
    """`papercc compile FIG.png -o m.dlir`, in-process."""
    from papercc.compiler.lower.figure import figures_from_image, lower_figures
    from papercc.compiler.lower.layers import identifier
    from papercc.ir.check import check_module

    t0 = time.perf_counter()
    figures = figures_from_image(path, ocr)
    if not any(f.diagram.edges for f in figures):
        return Compiled(EXIT_NO_MODEL, seconds=time.perf_counter() - t0, note="no arrows")
    lowered = lower_figures(figures, name=identifier(path.stem, "figure"))
    text = papercc.format(lowered.module)
    result = check_module(papercc.parse(text, filename="m.dlir"), holes="warning")
    secs = time.perf_counter() - t0
    holes = sum(1 for d in result.diagnostics if d.code == "hole")
    errors = [d.message for d in result.diagnostics if d.severity == "error"]
    graphs = list(result.graphs.values())
    if not lowered.module.models:
        return Compiled(EXIT_NO_MODEL, [], 0, errors, text, secs, "no model lowered")
    return Compiled(EXIT_ERRORS if errors else EXIT_OK, graphs, holes, errors, text, secs)


def compile_pdf(path: Path, ocr: bool) -> Compiled:
    """`papercc compile paper.pdf -o m.dlir` (whole paper; `--ocr` when ocr), in-process."""
    from papercc.compiler.paper.driver import compile_paper

    t0 = time.perf_counter()
    result = compile_paper(path, jobs=1, ocr=ocr)
    secs = time.perf_counter() - t0
    if not result.models:
        return Compiled(EXIT_NO_MODEL, seconds=secs, note="no model found")
    text = papercc.format(result.module)
    errors = [d.message for d in result.diagnostics if d.severity == "error"]
    holes = sum(1 for d in result.diagnostics if d.code == "hole")
    holes = max(holes, sum(m.holes for m in result.models))
    graphs = [result.graphs[m.name] for m in result.models if m.name in result.graphs]
    code = EXIT_ERRORS if errors and not graphs else EXIT_OK
    return Compiled(code, graphs, holes, errors, text, secs)


def export_onnx(graph) -> tuple[bool, str]:
    from papercc.backends.onnx.target import generate

    if graph.params is None or graph.params > EXPORT_LIMIT:
        return False, f"not exported: params {graph.params}"
    try:
        generate(graph)
    except Exception as exc:  # noqa: BLE001 - a failed export is a finding
        return False, f"{type(exc).__name__}: {str(exc)[:200]}"
    return True, ""


# ---------------------------------------------------------------- scoring


def _norm(value: object) -> object:
    if isinstance(value, list):
        value = tuple(value)
    if isinstance(value, tuple):
        value = tuple(_norm(v) for v in value)
        if value and all(v == value[0] for v in value):
            return value[0]
    return value


def same_padding(attrs: dict, in_shape, out_shape) -> dict:
    """padding -> "same" where it keeps ceil(size / stride) (TF's "same"): the figure's
    convention and an explicit padding with that effect are the same layer."""
    if "padding" not in attrs or len(in_shape) != 4 or len(out_shape) != 4:
        return attrs
    stride = _norm(attrs.get("stride", 1))
    stride = stride[0] if isinstance(stride, tuple) else stride
    try:
        keeps = all(
            int(o) == -(-int(i) // int(stride))
            for i, o in zip(in_shape[2:], out_shape[2:], strict=True)
        )
    except (TypeError, ValueError):
        return attrs
    if keeps or attrs["padding"] == "same":
        return dict(attrs, padding="same")
    if _norm(attrs["padding"]) in (0, "valid"):  # no padding, however it is written
        return dict(attrs, padding="valid")
    return attrs


def _nx(nodes: list[tuple[str, str, dict]], edges: list[tuple[str, str]], inputs: list[str]):
    """A DiGraph of layers (op, attrs) and inputs, shape-only layers contracted."""
    import networkx as nx

    g = nx.DiGraph()
    for name in inputs:
        g.add_node(name, op="<input>", attrs=())
    for name, op, attrs in nodes:
        g.add_node(name, op=op, attrs=tuple(sorted((k, _norm(v)) for k, v in attrs.items())))
    for s, d in edges:
        g.add_edge(s, d)
    for name, op, _ in nodes:
        if op in SHAPE_ONLY:
            preds, succs = list(g.predecessors(name)), list(g.successors(name))
            g.remove_node(name)
            g.add_edges_from((p, s) for p in preds for s in succs)
    return g


def truth_nx(truth: dict):
    nodes = [
        (n["name"], n["op"], same_padding(n["attrs"], n["in_shape"], n["shape"]))
        for n in truth["nodes"]
    ]
    return _nx(nodes, [tuple(e) for e in truth["edges"]], ["input"])


def graph_nx(graph):
    nodes = [
        (n.name, n.op, same_padding(dict(n.attrs), _dims(n.inputs), _dims(n.outputs)))
        for n in graph.nodes
    ]
    names = {id(v): v.name for v in graph.inputs}
    edges = []
    for n in graph.nodes:
        for v in n.inputs:
            src = v.producer.name if v.producer is not None else names.get(id(v), v.name)
            edges.append((src, n.name))
    return _nx(nodes, edges, [v.name for v in graph.inputs])


def _dims(values) -> list:
    return list(values[0].type.shape) if values else []


def compare(truth: dict, graph) -> tuple[bool, bool, str]:
    """(graph isomorphic, attributes equal too, why not) of one checked graph."""
    import networkx as nx

    a, b = truth_nx(truth), graph_nx(graph)
    ops_a = sorted(d["op"] for _, d in a.nodes(data=True))
    ops_b = sorted(d["op"] for _, d in b.nodes(data=True))
    if ops_a != ops_b:
        missing = _diff(ops_a, ops_b)
        extra = _diff(ops_b, ops_a)
        return False, False, f"ops differ: missing {missing}, extra {extra}"
    if not nx.is_isomorphic(a, b, node_match=lambda x, y: x["op"] == y["op"]):
        return False, False, "same ops, different wiring"
    same = nx.is_isomorphic(
        a, b, node_match=lambda x, y: x["op"] == y["op"] and x["attrs"] == y["attrs"]
    )
    if not same:
        return True, False, "attributes differ: " + _attr_diff(truth, graph)
    return True, True, ""


def _diff(a: list, b: list) -> list:
    left = list(b)
    out = []
    for x in a:
        if x in left:
            left.remove(x)
        else:
            out.append(x)
    return out[:8]


def _attr_diff(truth: dict, graph) -> str:
    """The first few attribute differences, layers paired in topological order per op."""
    want = defaultdict(list)
    for n in truth["nodes"]:
        want[n["op"]].append(same_padding(n["attrs"], n["in_shape"], n["shape"]))
    got = defaultdict(list)
    for n in graph.nodes:
        got[n.op].append(same_padding(dict(n.attrs), _dims(n.inputs), _dims(n.outputs)))
    out = []
    for op, items in want.items():
        for w, g in zip(items, got.get(op, []), strict=False):
            for k, v in w.items():
                if _norm(v) != _norm(g.get(k)):
                    out.append(f"{op}.{k} {g.get(k)!r} (want {v!r})")
    return "; ".join(out[:4])


@dataclass
class Result:
    index: int
    seed: int
    split: str
    fmt: str
    layers: int
    style: dict
    held_out: list
    exit: int = -1
    models: int = 0
    holes: int = 0
    errors: int = 0
    exact_graph: bool = False
    exact_model: bool = False
    exports: bool = False
    honest: bool = False
    seconds: float = 0.0
    reason: str = ""
    params: int | None = None
    truth_params: int | None = None


def score(fig: sg.Figure, c: Compiled) -> Result:
    r = Result(fig.index, fig.seed, fig.split, fig.fmt, len(fig.graph["nodes"]), fig.style,
               fig.held_out)  # fmt: skip
    r.exit, r.models, r.holes, r.errors = c.exit, len(c.graphs), c.holes, len(c.errors)
    r.seconds, r.truth_params = c.seconds, fig.graph["params"]
    if c.exit == EXIT_NO_MODEL:
        r.reason = f"no model ({c.note})"
    elif len(c.graphs) != 1:
        r.reason = f"{len(c.graphs)} models"
    else:
        g = c.graphs[0]
        r.params = g.params
        r.exact_graph, same_attrs, why = compare(fig.graph, g)
        shape_ok = [str(d) for d in g.inputs[0].type.shape[1:]] == [
            str(d) for d in fig.graph["input"][1:]
        ]
        r.exact_model = (
            r.exact_graph and same_attrs and not c.holes and not c.errors and shape_ok
            and g.params == fig.graph["params"]
        )  # fmt: skip
        if not r.exact_model:
            r.reason = why or (
                f"{c.holes} holes" if c.holes else
                f"errors: {c.errors[0][:80]}" if c.errors else
                f"input {g.inputs[0].type} (want {fig.graph['input']})" if not shape_ok else
                f"params {g.params} (want {fig.graph['params']})"
            )  # fmt: skip
        if not c.holes and not c.errors:
            r.exports, why = export_onnx(g)
            if not r.exports and r.exact_model:
                r.reason = f"export: {why}"
    said = c.exit != EXIT_OK or c.holes > 0 or bool(c.errors)
    r.honest = r.exact_model or said
    return r


# ---------------------------------------------------------------- running


_OCR = None
_OPTS: dict = {}


def _compile_file(data: bytes, suffix: str, name: str, pdf_ocr: bool) -> Compiled:
    with tempfile.TemporaryDirectory(prefix="papercc-general-") as tmp:
        path = Path(tmp) / f"{name}{suffix}"
        path.write_bytes(data)
        if suffix == ".png":
            return compile_image(path, _OCR)
        return compile_pdf(path, pdf_ocr)


def run_one(args: tuple) -> Result:
    index, base, split, fmt, pdf_ocr, save = args
    try:
        fig = sg.make_figure(index, base, split, fmt)
    except Exception as exc:  # noqa: BLE001 - a generator bug must not end the run
        r = Result(index, -1, split, fmt, 0, {}, [])
        r.reason = f"generator: {type(exc).__name__}: {exc}"
        return r
    try:
        c = _compile_file(fig.data, fig.suffix, f"fig{index}", pdf_ocr)
        r = score(fig, c)
    except Exception as exc:  # noqa: BLE001 - count as a failure with the reason
        c = Compiled(-1, note="crash")
        r = Result(fig.index, fig.seed, split, fmt, len(fig.graph["nodes"]), fig.style,
                   fig.held_out)  # fmt: skip
        r.reason = f"crash: {type(exc).__name__}: {exc}"
        r.honest = True  # it did not present a wrong model (but see the reason)
        r.extra_tb = traceback.format_exc(limit=3)  # type: ignore[attr-defined]
    if save:
        _save(Path(save), fig, c, r)
    return r


def _save(root: Path, fig: sg.Figure, c: Compiled, r: Result) -> None:
    ok = "ok" if r.exact_graph else "fail"
    d = root / f"{fig.split}_{fig.fmt}"
    d.mkdir(parents=True, exist_ok=True)
    stem = f"{fig.index:04d}_{ok}"
    (d / f"{stem}{fig.suffix}").write_bytes(fig.data)
    (d / f"{stem}.truth.dlir").write_text(fig.dlir)
    (d / f"{stem}.got.dlir").write_text(c.text)
    info = {"result": asdict(r), "truth": fig.graph, "boxes": fig.boxes, "errors": c.errors}
    (d / f"{stem}.json").write_text(json.dumps(info, indent=1, default=str))


def run_negative(args: tuple) -> dict:
    index, base, fmt, pdf_ocr = args
    neg = sg.make_negative(index, base, fmt)
    try:
        c = _compile_file(neg.data, neg.suffix, f"neg{index}", pdf_ocr)
        why = c.note or f"{len(c.graphs)} model(s)"
    except Exception as exc:  # noqa: BLE001
        c, why = Compiled(-1), f"crash: {type(exc).__name__}: {exc}"
    return {"index": index, "kind": neg.kind, "fmt": fmt, "exit": c.exit,
            "honest": c.exit == EXIT_NO_MODEL, "reason": why, "seconds": c.seconds}  # fmt: skip


def _map(fn, tasks: list, jobs: int) -> list:
    """fn over tasks in `jobs` processes, in order; progress every 10 on stderr."""
    out = []
    if jobs <= 1:
        it = map(fn, tasks)
        pool = None
    else:
        from multiprocessing import get_context

        pool = get_context("fork").Pool(jobs)
        it = pool.imap(fn, tasks, chunksize=1)
    try:
        for k, x in enumerate(it, 1):
            out.append(x)
            if k % 10 == 0 or k == len(tasks):
                print(f"  {k}/{len(tasks)}", file=sys.stderr, flush=True)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return out


# ---------------------------------------------------------------- papers


def _two_d(where: dict) -> bool:
    layout = where.get("layout", "").lower()
    return (
        where.get("kind") == "figure"
        and "2-d" in layout
        and not any(w in layout for w in ("3-d", "slab", "grid", "stacked", "categories"))
    )


def run_papers(expected: Path, ocr) -> list[dict]:
    """Each 2-D box figure that expected.json lists: `papercc compile PDF --page N` (the
    page's figures, raster regions read too), its models' parameter counts against the
    paper's expected models."""
    from papercc.compiler.lower.figure import figures_from_pdf, lower_figures
    from papercc.ir.check import check_module

    entries = json.loads(expected.read_text())
    out = []
    for paper in entries:
        pdf = expected.parent / paper["file"]
        want = {m["name"]: m.get("params") for m in paper.get("models", [])}
        done: dict[int, dict] = {}
        for w in paper.get("where", []):
            if not _two_d(w):
                continue
            if w["page"] in done:  # several figures of one page: one compile of the page
                done[w["page"]]["label"] += "; " + w.get("label", "")
                continue
            row = {"file": paper["file"], "page": w["page"], "label": w.get("label", ""),
                   "expected": want}  # fmt: skip
            done[w["page"]] = row
            t0 = time.perf_counter()
            try:
                figures = figures_from_pdf(pdf, page=w["page"], raster=True, ocr=ocr)
                usable = [f for f in figures if f.diagram.edges]
                if not usable:
                    row.update(models={}, reason="no box diagram")
                else:
                    lowered = lower_figures(figures)
                    text = papercc.format(lowered.module)
                    res = check_module(papercc.parse(text), holes="warning")
                    row["models"] = {n: g.params for n, g in res.graphs.items()}
                    row["holes"] = sum(1 for d in res.diagnostics if d.code == "hole")
                    row["errors"] = sum(1 for d in res.diagnostics if d.severity == "error")
                    row["layers"] = {n: len(g.nodes) for n, g in res.graphs.items()}
            except Exception as exc:  # noqa: BLE001
                row.update(models={}, reason=f"crash: {type(exc).__name__}: {exc}")
            row["seconds"] = round(time.perf_counter() - t0, 2)
            got = [p for p in row["models"].values() if p]
            row["params_match"] = sorted(
                n for n, p in want.items() if p and any(g == p for g in got)
            )
            row["closest"] = _closest(want, got)
            out.append(row)
    return out


def _closest(want: dict, got: list) -> str:
    best = None
    for n, p in want.items():
        for g in got:
            if p:
                rel = abs(g - p) / p
                if best is None or rel < best[0]:
                    best = (rel, n, g, p)
    if best is None:
        return "-"
    return f"{best[1]}: got {best[2]:,} want {best[3]:,} ({best[0]:.1%} off)"


# ---------------------------------------------------------------- report


def _pct(k: int, n: int) -> str:
    return f"{100 * k / n:5.1f}%" if n else "    -"


def _agg(rs: list[Result]) -> dict:
    n = len(rs)
    wrong = [r for r in rs if not r.exact_model]
    return {
        "n": n,
        "exact_graph": sum(r.exact_graph for r in rs),
        "exact_model": sum(r.exact_model for r in rs),
        "exports": sum(r.exports for r in rs),
        "no_model": sum(r.exit == EXIT_NO_MODEL for r in rs),
        "with_holes": sum(r.holes > 0 for r in rs),
        "not_exact": len(wrong),
        "honest_of_not_exact": sum(r.honest for r in wrong),
        "mean_seconds": round(sum(r.seconds for r in rs) / n, 3) if n else 0.0,
    }


def _value(v) -> str:
    return str(v)


def summarise(results: list[Result]) -> dict:
    cats: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        cats[f"{r.fmt}/{r.split}"].append(r)
    factors: dict[str, dict[str, dict[str, list[Result]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    for r in results:
        for k, v in r.style.items():
            if k in sg.FACTORS:
                factors[r.fmt][k][_value(v)].append(r)
    reasons: dict[str, int] = defaultdict(int)
    for r in results:
        if not r.exact_graph:
            reasons[_reason_kind(r.reason)] += 1
    return {
        "categories": {k: _agg(v) for k, v in sorted(cats.items(), key=_held_first)},
        "factors": {
            fmt: {f: {v: _agg(rs) for v, rs in sorted(vals.items())} for f, vals in fs.items()}
            for fmt, fs in factors.items()
        },
        "held_out_values": {
            f"{r_fmt}/{k}={v}": _agg([r for r in results if r.style.get(k) == v and r.fmt == r_fmt])
            for r_fmt in sorted({r.fmt for r in results}, key=_fmt_order)
            for k, vals in sg.HELD_OUT.items()
            for v in vals
        },
        "failure_kinds": dict(sorted(reasons.items(), key=lambda kv: -kv[1])),
    }


def _fmt_order(fmt: str) -> int:
    return {"png": 0, "rasterpdf": 1, "vectorpdf": 2}.get(fmt, 3)


def _held_first(item) -> tuple:
    fmt, split = item[0].split("/")
    return (0 if split == "heldout" else 1, _fmt_order(fmt))


def _reason_kind(reason: str) -> str:
    for key in ("no model", "models", "ops differ", "same ops", "attributes differ", "holes",
                "errors", "input", "params", "crash", "export", "generator"):  # fmt: skip
        if key in reason:
            return key
    return reason[:40] or "?"


def print_report(summary: dict, file=sys.stdout) -> None:
    hdr = (f"{'category':22} {'n':>4} {'graph':>7} {'model':>7} {'export':>7} {'nomodel':>7} "
           f"{'holes':>7} {'honest*':>8} {'s/fig':>6}")  # fmt: skip
    print(hdr, file=file)
    for name, a in summary["categories"].items():
        _row(name, a, file)
    print("  honest*: of the figures not exact_model, those where papercc said so", file=file)
    print("\nfigures drawing a held-out value (both splits):", file=file)
    for name, a in summary["held_out_values"].items():
        _row(name, a, file)
    for fmt, factors in summary["factors"].items():
        print(f"\n{fmt}: exact graph per factor value (both splits), value=% of n", file=file)
        for f, vals in factors.items():
            cells = [
                f"{v}={_pct(a['exact_graph'], a['n']).strip()}/{a['n']}" for v, a in vals.items()
            ]
            print(f"  {f:12} " + "  ".join(cells), file=file)
    print("\nwhy not exact graph:", file=file)
    for k, n in summary["failure_kinds"].items():
        print(f"  {n:4}  {k}", file=file)


def _row(name: str, a: dict, file) -> None:
    n = a["n"]
    print(
        f"{name:22} {n:4} {_pct(a['exact_graph'], n)} {_pct(a['exact_model'], n)} "
        f"{_pct(a['exports'], n)} {_pct(a['no_model'], n)} {_pct(a['with_holes'], n)} "
        f"{_pct(a['honest_of_not_exact'], a['not_exact']):>8} {a['mean_seconds']:6.2f}",
        file=file,
    )


def main(argv: list[str] | None = None) -> int:
    global _OCR  # noqa: PLW0603 - set once before the pool forks  # pyright: ignore
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=20, help="figures per split and format")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--split", choices=("tune", "heldout", "both"), default="both")
    ap.add_argument("--formats", default="png,rasterpdf,vectorpdf")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--json", dest="json_out")
    ap.add_argument("--negatives", action="store_true", help="also charts and pipelines")
    ap.add_argument("--n-negatives", type=int, default=12)
    ap.add_argument("--papers", action="store_true", help="the 2-D figures of expected.json")
    ap.add_argument("--expected", default=str(PAPERS))
    ap.add_argument("--only-papers", action="store_true")
    ap.add_argument("--save", help="write each figure, its truth and what papercc gave here")
    ap.add_argument("--report", help="print the summary of a saved --json run and stop")
    ap.add_argument("--pdf-ocr", action=argparse.BooleanOptionalAction, default=True,
                    help="whole-paper compile of PDFs with OCR of raster figures (the CLI's default)")  # fmt: skip
    args = ap.parse_args(argv)
    if args.report:
        saved = json.loads(Path(args.report).read_text())
        print_report(summarise([Result(**r) for r in saved.get("results", [])]))
        return 0
    formats = [f for f in args.formats.split(",") if f]
    for f in formats:
        if f not in sg.FORMATS:
            ap.error(f"unknown format {f!r}")
    splits = ("heldout", "tune") if args.split == "both" else (args.split,)
    from papercc.compiler.raster.ocr import Ocr

    out: dict = {
        "options": {
            "n": args.n, "seed": args.seed, "splits": splits, "formats": formats,
            "pdf_ocr": args.pdf_ocr, "pdf_path": "compile_paper (whole paper, as the CLI)",
            "image_path": "figures_from_image + lower_figures + check_module",
            "held_out": sg.HELD_OUT,
        }
    }  # fmt: skip
    t_start = time.perf_counter()
    with Ocr() as engines:
        _OCR = engines
        if not args.only_papers:
            tasks = [
                (i, args.seed, split, fmt, args.pdf_ocr, args.save)
                for split in splits
                for fmt in formats
                for i in range(args.n)
            ]
            results = _map(run_one, tasks, args.jobs)
            summary = summarise(results)
            print_report(summary)
            out["summary"] = summary
            out["results"] = [asdict(r) for r in results]
        if args.negatives:
            ntasks = [(i, args.seed, fmt, args.pdf_ocr) for fmt in formats
                      for i in range(args.n_negatives)]  # fmt: skip
            negs = _map(run_negative, ntasks, args.jobs)
            print("\nnegatives (charts, pipelines): honest = no model (exit 4)")
            by: dict[str, list] = defaultdict(list)
            for x in negs:
                by[x["fmt"]].append(x)
                by[x["kind"]].append(x)
            for k, xs in by.items():
                print(f"  {k:12} {sum(x['honest'] for x in xs)}/{len(xs)} honest")
            for x in negs:
                if not x["honest"]:
                    print(f"    wrong: {x['fmt']} {x['kind']} #{x['index']}: {x['reason']}")
            out["negatives"] = negs
        if args.papers or args.only_papers:
            rows = run_papers(Path(args.expected), engines)
            print("\npapers (2-D figures of expected.json): params per model found")
            for r in rows:
                got = ", ".join(f"{n}={p:,}" if p else f"{n}=?" for n, p in r["models"].items())
                print(f"  {r['file']} p{r['page']} {r['label']}: {got or r.get('reason')}; "
                      f"match {r['params_match'] or 'none'}; closest {r['closest']}; "
                      f"{r['seconds']} s")  # fmt: skip
            out["papers"] = rows
    out["seconds"] = round(time.perf_counter() - t_start, 1)
    print(f"\ntotal {out['seconds']} s")
    if args.json_out:
        Path(args.json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_out).write_text(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
