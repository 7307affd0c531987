"""Synthetic figure benchmark (on demand, not a test): random valid models rendered in
random styles as vector PDF and raster PNG, read back by the figure readers, scored
against the renderer's truth.

Why: the figure frontend's accuracy targets (exact graph 99% vector / 97% raster, edges
99.5%, < 0.5 s per raster and < 50 ms per vector figure) need a large, reproducible,
known-answer test set; papers are too few and unlabelled.

Per figure: a model from `synth_models.synth_model`, a style from `random_style`, one
render per format; the reader's time covers decoding and parsing only (PDF open +
`extract_vector_diagram`; PNG decode + `extract_raster_diagram`), never rendering.
Scores (see `score_diagram`):
- node: a truth box is matched by a parsed node (centre of one inside the other, best
  overlap, one-to-one) whose text `parse_phrase`s to the box's ops and stated attributes
  (a "+" circle: text "+"/empty with circle shape, or text reading as add);
- edge: a truth edge whose two boxes are matched and joined src -> dst in the parse
  (denominator: all truth edges); false edges: parsed edges not in the truth;
- exact: every node and edge right, no false edge;
- end to end: `lower_diagram` of the parsed diagram gives one graph whose layers match
  the truth boxes' layers one-to-one (op, stated attributes, fan-in of concat/add);
  extra layers of an op the style left undrawn (flatten, dropout) are allowed.

Usage: python bench/bench_figures.py --n 1000 --formats pdf,png --seed 0 [--jobs 2]
       [--json bench/results/figures.json] [--raster-setting boxes.frame_cover=0.3 ...]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth_models import synth_model  # noqa: E402

import papercc  # noqa: E402
from papercc.compiler.diagram.graph import Diagram  # noqa: E402
from papercc.compiler.phrases import parse_phrase  # noqa: E402
from papercc.compiler.render.draw import render  # noqa: E402
from papercc.compiler.render.style import random_style  # noqa: E402

FORMATS = ("pdf", "png", "jpeg", "svg")
READERS = {"pdf": "vector", "png": "raster", "jpeg": "raster"}
DIMENSIONS = (
    "head",
    "direction",
    "fill",
    "phrasing",
    "shape",
    "font",
    "bold",
    "merge",
    "add_circle",
    "plus",
    "edge_shapes",
    "wrap",
    "lower",
    "show_input",
    "groups",
    "blur",
    "noise",
)
RASTER_ONLY = ("blur", "noise")
_FANIN_OPS = ("add", "concat")


@dataclass(frozen=True)
class Score:
    """How one parsed diagram compares with its truth (counts; see module doc)."""

    nodes: int
    nodes_ok: int
    edges: int
    edges_ok: int
    false_edges: int
    extra_nodes: int  # parsed non-junction nodes matching no truth box
    bad_nodes: tuple[tuple[str, str], ...] = ()  # (truth text, parsed text or "<missing>")
    missed_edges: tuple[tuple[int, int], ...] = ()
    wrong_edges: tuple[tuple[object, object], ...] = ()

    @property
    def exact(self) -> bool:
        return self.nodes_ok == self.nodes and self.edges_ok == self.edges and not self.false_edges


@dataclass(frozen=True)
class Result:
    """One figure in one format: its score, end-to-end verdict and reader time."""

    index: int
    seed: int
    fmt: str
    layers: int
    style: dict
    score: Score
    e2e: bool
    e2e_reason: str
    seconds: float
    error: str = ""
    extra: dict = field(default_factory=dict)


# ---------------------------------------------------------------- scoring


def _norm(value: object) -> object:
    """JSON lists -> tuples; a tuple of equal entries -> the entry (3 == (3, 3))."""
    if isinstance(value, list):
        value = tuple(value)
    if isinstance(value, tuple):
        value = tuple(_norm(v) for v in value)
        if value and all(v == value[0] for v in value):
            return value[0]
    return value


def _norm_attrs(attrs: dict) -> tuple:
    return tuple(sorted((k, _norm(v)) for k, v in attrs.items()))


def _centre(b) -> tuple[float, float]:
    return (b[0] + b[2]) / 2, (b[1] + b[3]) / 2


def _inside(p, b, tol: float = 1.0) -> bool:
    return b[0] - tol <= p[0] <= b[2] + tol and b[1] - tol <= p[1] <= b[3] + tol


def _iou(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def match_nodes(truth: dict, diagram: Diagram) -> dict[int, int]:
    """Truth box id -> parsed node id: centre of one inside the other, best overlap first,
    one to one. Junctions (free line meeting points) never match a box."""
    pairs = []
    for b in truth["boxes"]:
        for n in diagram.nodes:
            if n.shape == "junction":
                continue
            if _inside(_centre(n.bbox), b["bbox"]) or _inside(_centre(b["bbox"]), n.bbox):
                pairs.append((_iou(b["bbox"], n.bbox), b["id"], n.id))
    out: dict[int, int] = {}
    used: set[int] = set()
    for _, bid, nid in sorted(pairs, reverse=True):
        if bid not in out and nid not in used:
            out[bid] = nid
            used.add(nid)
    return out


def _want(box: dict) -> list:
    return [(layer["op"], _norm_attrs(layer["stated"])) for layer in box["layers"]]


def _got(text: str) -> list:
    return [(x.op, _norm_attrs(x.attr_dict)) for x in parse_phrase(text, rank=2).layers]


def node_ok(box: dict, node) -> bool:
    """Does the parsed node say what the truth box states?"""
    if box["shape"] == "circle":
        text = node.text.strip()
        if node.shape == "circle" and text in ("", "+"):
            return True
        return [op for op, _ in _got(text)] == [layer["op"] for layer in box["layers"]]
    if not box["readable"]:
        return " ".join(node.text.split()) == " ".join(box["text"].split())
    return _got(" ".join(node.text.split())) == _want(box)


def collapse_junctions(diagram: Diagram) -> set[tuple[int, int]]:
    """Parsed edges with junction nodes bridged (a -> j -> b becomes a -> b)."""
    junctions = {n.id for n in diagram.nodes if n.shape == "junction"}
    edges = {(e.src, e.dst) for e in diagram.edges}
    for j in junctions:
        ins = {s for s, d in edges if d == j and s != j}
        outs = {d for s, d in edges if s == j and d != j}
        edges = {(s, d) for s, d in edges if j not in (s, d)}
        edges |= {(s, d) for s in ins for d in outs if s != d}
    return edges


def score_diagram(truth: dict, diagram: Diagram) -> Score:
    """Node, edge and false-edge counts of a parsed diagram against the renderer's truth."""
    match = match_nodes(truth, diagram)
    by_id = {n.id: n for n in diagram.nodes}
    back = {nid: bid for bid, nid in match.items()}
    bad = []
    ok = 0
    for b in truth["boxes"]:
        nid = match.get(b["id"])
        if nid is not None and node_ok(b, by_id[nid]):
            ok += 1
        else:
            bad.append((b["text"], by_id[nid].text if nid is not None else "<missing>"))
    parsed = {(back.get(s, f"n{s}"), back.get(d, f"n{d}")) for s, d in collapse_junctions(diagram)}
    want = {tuple(e) for e in truth["edges"]}
    missed = sorted(want - parsed)
    wrong = sorted(parsed - want, key=str)
    extra = sum(1 for n in diagram.nodes if n.shape != "junction" and n.id not in back)
    return Score(
        len(truth["boxes"]),
        ok,
        len(want),
        len(want) - len(missed),
        len(wrong),
        extra,
        tuple(bad),
        tuple(missed),
        tuple(wrong),
    )


def end_to_end(truth: dict, diagram: Diagram) -> tuple[bool, str]:
    """Lower the parsed diagram; do its layers match the truth boxes' layers one to one?"""
    from papercc.compiler.lower.diagram import lower_diagram

    try:
        lowered = lower_diagram(diagram)
    except Exception as exc:  # noqa: BLE001 - a crash is a benchmark finding, not a stop
        return False, f"lowering raised {type(exc).__name__}: {exc}"
    if len(lowered.graphs) != 1:
        return False, f"{len(lowered.graphs)} graphs"
    graph = next(iter(lowered.graphs.values()))
    want: list[tuple[str, dict, int]] = []
    fan_in = Counter(d for _, d in truth["edges"])
    for b in truth["boxes"]:
        for layer in b["layers"]:
            if layer["op"] == "input":
                continue
            n_in = fan_in[b["id"]] if layer["op"] in _FANIN_OPS else 0
            want.append((layer["op"], {k: _norm(v) for k, v in layer["stated"].items()}, n_in))
    omitted = set(truth["style"].get("omit") or ())
    left = list(want)
    for node in graph.nodes:
        n_in = len(node.inputs) if node.op in _FANIN_OPS else 0
        hit = next(
            (
                i
                for i, (op, stated, k) in enumerate(left)
                if op == node.op
                and k == n_in
                and all(_norm(node.attrs.get(a)) == v for a, v in stated.items())
            ),
            None,
        )
        if hit is not None:
            left.pop(hit)
        elif node.op not in omitted:
            return False, f"extra layer {node.op} {node.attrs}"
    if left:
        return False, f"missing layers {[op for op, _, _ in left]}"
    return True, ""


# ---------------------------------------------------------------- reading


def read_figure(data: bytes, fmt: str, ocr=None, settings=None) -> tuple[Diagram, float]:
    """Decode and parse one rendered file with the reader of its format; reader seconds.
    ocr: the run's OCR engines (`raster.ocr.Ocr`); without, the raster reader loads its
    own for the call, which the seconds then include. settings: the raster reader's
    (`raster.diagram.RasterSettings`; its tuned defaults when None)."""
    if fmt == "pdf":
        import pymupdf

        from papercc.compiler.vector.diagram import extract_vector_diagram

        t0 = time.perf_counter()
        with pymupdf.open("pdf", data) as doc:
            diagram = extract_vector_diagram(doc[0])
        return diagram, time.perf_counter() - t0
    if fmt in ("png", "jpeg"):
        from PIL import Image

        from papercc.compiler.raster.diagram import RasterSettings, extract_raster_diagram
        from papercc.compiler.raster.image import pil_to_bgr

        t0 = time.perf_counter()
        with Image.open(io.BytesIO(data)) as im:
            bgr = pil_to_bgr(im)
        diagram = extract_raster_diagram(bgr, settings=settings or RasterSettings(), ocr=ocr)
        return diagram, time.perf_counter() - t0
    raise ValueError(f"no reader for format {fmt!r}")


def figure_case(index: int, base: int):
    """The model seed, graph and style of figure `index` of a run seeded `base`."""
    seed = base * 1_000_003 + index
    model = synth_model(seed)
    graph = next(iter(papercc.check(model.text).graphs.values()))
    style = random_style(random.Random(f"papercc-bench:{base}:{index}"))
    return seed, model, graph, style


def run_one(
    index: int, base: int, formats: tuple[str, ...], e2e: bool = True, ocr=None, settings=None
) -> list[Result]:
    """Render figure `index` in every format, read each back and score it."""
    seed, model, graph, style = figure_case(index, base)
    out = []
    for fmt in formats:
        r = render(graph, style, fmt)
        style_info = dict(r.truth["style"])
        try:
            diagram, secs = read_figure(r.data, fmt, ocr, settings)
        except Exception as exc:  # noqa: BLE001 - report, keep going
            empty = Score(len(r.truth["boxes"]), 0, len(r.truth["edges"]), 0, 0, 0)
            out.append(
                Result(index, seed, fmt, model.layers, style_info, empty, False, "", 0.0,
                       f"{type(exc).__name__}: {exc}")
            )  # fmt: skip
            continue
        score = score_diagram(r.truth, diagram)
        ok, why = end_to_end(r.truth, diagram) if e2e else (False, "skipped")
        out.append(Result(index, seed, fmt, model.layers, style_info, score, ok, why, secs))
    return out


# The run's OCR engines and raster settings, made by `main` before the pool forks: each
# worker inherits them and loads its own engines on first use (an `Ocr` keys them by
# process).
_OCR = None
_SETTINGS = None


def _task(args):
    return run_one(*args, ocr=_OCR, settings=_SETTINGS)


def raster_settings(assignments: list[str]):
    """RasterSettings with `stage.field=value` assignments applied (`boxes.frame_cover=0.3`;
    values are Python literals), so a run can vary any tuned threshold."""
    import ast
    from dataclasses import fields, replace

    from papercc.compiler.raster.diagram import RasterSettings

    settings = RasterSettings()
    for item in assignments:
        key, _, text = item.partition("=")
        stage, _, name = key.strip().partition(".")
        if stage not in {f.name for f in fields(settings)}:
            raise ValueError(f"{item!r}: no raster stage {stage!r}")
        part = getattr(settings, stage)
        if name not in {f.name for f in fields(part)}:
            raise ValueError(f"{item!r}: {type(part).__name__} has no field {name!r}")
        value = ast.literal_eval(text.strip())
        settings = replace(settings, **{stage: replace(part, **{name: value})})
    return settings


# ---------------------------------------------------------------- report


def _dim_value(style: dict, dim: str) -> str:
    v = style.get(dim)
    if dim in ("blur", "noise"):
        return "yes" if v else "no"
    return str(v)


def _agg(results: list[Result]) -> dict:
    n = len(results)
    s = [r.score for r in results]
    nodes = sum(x.nodes for x in s)
    edges = sum(x.edges for x in s)
    secs = sorted(r.seconds for r in results)
    return {
        "figures": n,
        "exact": sum(x.exact for x in s) / n if n else 0.0,
        "node_acc": sum(x.nodes_ok for x in s) / nodes if nodes else 1.0,
        "edge_acc": sum(x.edges_ok for x in s) / edges if edges else 1.0,
        "false_edges": sum(x.false_edges for x in s),
        "false_edge_rate": sum(x.false_edges for x in s) / edges if edges else 0.0,
        "extra_nodes": sum(x.extra_nodes for x in s),
        "e2e": sum(r.e2e for r in results) / n if n else 0.0,
        "errors": sum(1 for r in results if r.error),
        "sec_mean": sum(secs) / n if n else 0.0,
        "sec_median": secs[n // 2] if n else 0.0,
        "sec_p95": secs[min(n - 1, int(n * 0.95))] if n else 0.0,
        "sec_max": secs[-1] if n else 0.0,
    }


def summarise(results: list[Result]) -> dict:
    """Totals per format, and per format and style dimension value."""
    by_fmt: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by_fmt[r.fmt].append(r)
    out: dict = {"formats": {}, "dimensions": {}, "failures": {}}
    for fmt, rs in sorted(by_fmt.items()):
        out["formats"][fmt] = _agg(rs)
        # headless and bottom-up: no line says which way it runs (reading order says down)
        clear = [r for r in rs if not (r.style["head"] == "none" and r.style["direction"] == "up")]
        out["formats"][fmt]["without_headless_up"] = _agg(clear)
        dims: dict = {}
        for dim in DIMENSIONS:
            if dim in RASTER_ONLY and READERS.get(fmt) != "raster":
                continue
            groups: dict[str, list[Result]] = defaultdict(list)
            for r in rs:
                groups[_dim_value(r.style, dim)].append(r)
            dims[dim] = {v: _agg(g) for v, g in sorted(groups.items())}
        out["dimensions"][fmt] = dims
        layers: dict[str, list[Result]] = defaultdict(list)
        for r in rs:
            lo = (r.layers - 1) // 10 * 10 + 1
            layers[f"{lo}-{lo + 9}"].append(r)
        dims["layers"] = {k: _agg(g) for k, g in sorted(layers.items())}
        out["failures"][fmt] = _failures(rs)
    return out


def _failures(results: list[Result]) -> dict:
    """The most common wrong node readings and the first failing figures, for diagnosis."""
    bad_nodes = Counter(b for r in results for b in r.score.bad_nodes)
    e2e = Counter(r.e2e_reason.split(" {")[0][:80] for r in results if not r.e2e)
    first = [
        {
            "index": r.index,
            "seed": r.seed,
            "bad_nodes": r.score.bad_nodes[:5],
            "missed_edges": r.score.missed_edges[:5],
            "wrong_edges": [list(map(str, e)) for e in r.score.wrong_edges[:5]],
            "error": r.error,
        }
        for r in results
        if not r.score.exact or r.error
    ][:30]
    return {
        "bad_nodes": [[t, p, c] for (t, p), c in bad_nodes.most_common(25)],
        "e2e_reasons": e2e.most_common(15),
        "first": first,
    }


def _row(name: str, a: dict) -> str:
    return (
        f"{name:<26} {a['figures']:>5} {a['exact']:>7.1%} {a['node_acc']:>7.2%} "
        f"{a['edge_acc']:>7.2%} {a['false_edges']:>5} {a['e2e']:>7.1%} "
        f"{a['sec_mean'] * 1000:>8.1f} {a['sec_p95'] * 1000:>8.1f}"
    )


def print_table(summary: dict, file=sys.stdout) -> None:
    head = (
        f"{'':<26} {'figs':>5} {'exact':>7} {'nodes':>7} {'edges':>7} {'false':>5} "
        f"{'e2e':>7} {'ms mean':>8} {'ms p95':>8}"
    )
    for fmt, a in summary["formats"].items():
        print(f"\n== {fmt} ({READERS.get(fmt, '?')} reader)", file=file)
        print(head, file=file)
        print(_row("all", a), file=file)
        print(_row("all but headless up-flow", a["without_headless_up"]), file=file)
        for dim, values in summary["dimensions"][fmt].items():
            for v, g in values.items():
                print(_row(f"  {dim}={v}", g), file=file)
        f = summary["failures"][fmt]
        if f["bad_nodes"]:
            print("  most common wrong nodes (truth | parsed | count):", file=file)
            for t, p, c in f["bad_nodes"][:10]:
                print(f"    {t!r} | {p!r} | {c}", file=file)
        if f["e2e_reasons"]:
            print("  end-to-end failures:", file=file)
            for why, c in f["e2e_reasons"][:8]:
                print(f"    {c:>4}  {why}", file=file)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=50, help="figures (each in every format)")
    ap.add_argument("--start", type=int, default=0, help="first figure index")
    ap.add_argument("--formats", default="pdf,png")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--no-e2e", action="store_true", help="skip lowering")
    ap.add_argument("--json", help="write the summary (and per-figure rows) here")
    ap.add_argument(
        "--raster-setting",
        action="append",
        default=[],
        metavar="STAGE.FIELD=VALUE",
        help="vary one tuned threshold of the raster reader (raster/diagram.py RasterSettings)",
    )
    args = ap.parse_args(argv)
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    for f in formats:
        if f not in READERS:
            ap.error(f"format must be one of {sorted(READERS)}, not {f!r}")
    tasks = [
        (i, args.seed, formats, not args.no_e2e) for i in range(args.start, args.start + args.n)
    ]
    t0 = time.time()
    results: list[Result] = []
    global _OCR, _SETTINGS
    from papercc.compiler.raster.ocr import Ocr

    _OCR = Ocr()
    try:
        _SETTINGS = raster_settings(args.raster_setting)
    except (ValueError, SyntaxError) as exc:
        ap.error(str(exc))
    if args.jobs > 1:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(args.jobs) as pool:
            for rs in pool.imap(_task, tasks, chunksize=4):
                results.extend(rs)
    else:
        for t in tasks:
            results.extend(_task(t))
    summary = summarise(results)
    summary["run"] = {
        "n": args.n,
        "start": args.start,
        "seed": args.seed,
        "formats": formats,
        "jobs": args.jobs,
        "raster_settings": args.raster_setting,
        "wall_seconds": round(time.time() - t0, 1),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    print_table(summary)
    print(f"\nwall {summary['run']['wall_seconds']} s for {len(results)} readings")
    if args.json:
        rows = [
            {
                "index": r.index,
                "seed": r.seed,
                "fmt": r.fmt,
                "layers": r.layers,
                "exact": r.score.exact,
                "score": asdict(r.score),
                "e2e": r.e2e,
                "e2e_reason": r.e2e_reason,
                "seconds": round(r.seconds, 4),
                "error": r.error,
                "style": {d: _dim_value(r.style, d) for d in DIMENSIONS},
            }
            for r in results
        ]
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"summary": summary, "figures": rows}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
