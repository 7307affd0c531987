"""Compile a whole paper: every page's architecture tables and figures -> one DLIR module.

Why one driver: a paper describes a model across tables, figures and prose. Pages are read
independently (in parallel with `jobs`), then the prose context is read once, figures are
classified (model diagram or not), tables and figures are lowered, figures that repeat a
table's model are merged into it (the table has the attributes), and all models go into
one module with unique names.

OCR engines (`Ocr`) are made by the driver, one per process that reads pages: this one
when it reads them itself, each worker's own when `jobs` worker processes do. A worker
reads page after page with the same engines, so their model is loaded once per worker.
"""

from __future__ import annotations

import queue
import re
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

from papercc.compiler.diagram.classifier import FigureVerdict, classify_figure
from papercc.compiler.lower.context import TextContext, read_context
from papercc.compiler.lower.figure import (
    FigureInput,
    InputError,
    figures_from_pdf,
    lower_figures,
    open_pdf,
)
from papercc.compiler.lower.table import lower_table
from papercc.compiler.raster.ocr import Ocr
from papercc.compiler.tables.model import ArchTable
from papercc.ir.check import check_module
from papercc.ir.diagnostics import Place
from papercc.ir.parser import parse
from papercc.ir.printer import print_module
from papercc.ir.registry import OPS
from papercc.ir.syntax import Definition, Module

# A figure and a table describe the same model when their layer sequences (conv / pool /
# dense / concat / add, in order) are this alike (difflib ratio). Same network drawn and
# tabulated: 0.85-0.98 on the papers measured; a different network of the same family
# (VGG-19 beside ResNet-18): about 0.6.
MERGE_RATIO = 0.75


@dataclass(frozen=True)
class PageFindings:
    """What one page holds: architecture tables, figure diagrams, its text, time taken."""

    page: int
    tables: tuple[ArchTable, ...]
    figures: tuple[FigureInput, ...]
    text: str
    seconds: float
    dropped: tuple[str, ...] = ()  # what was read and then set aside, and why


@dataclass(frozen=True)
class ModelInfo:
    """One model of the output: its name and where in the paper it came from."""

    name: str
    kind: str  # "table" | "figure"
    page: int | None
    caption: str
    header: str = ""
    params: int | None = None
    holes: int = 0
    merged_with: str | None = None

    @property
    def place(self) -> Place:
        """Where in the paper: `page 4, table 1` (the number from the caption, if any)."""
        m = _NUMBERED.match(self.caption or "")
        return Place(self.page, self.kind, int(m.group(1)) if m else None)


_NUMBERED = re.compile(r"^\s*(?:fig\.?|figure|table)\s*(\d+)", re.IGNORECASE)


@dataclass
class PaperResult:
    module: Module
    models: list[ModelInfo]
    tables: list[ArchTable]
    figures: list[tuple[FigureInput, FigureVerdict]]
    context: TextContext
    notes: list[str] = field(default_factory=list)
    diagnostics: list = field(default_factory=list)
    pages: list[int] = field(default_factory=list)
    seconds: float = 0.0
    graphs: dict = field(default_factory=dict)  # the checked models, by name


def page_count(path: str | Path) -> int:
    doc = open_pdf(path)
    try:
        return doc.page_count
    finally:
        doc.close()


CONTEXT_PAGES = 60  # pages of prose read for context when only some pages are compiled


def _document_text(path: str, limit: int) -> str:
    doc = open_pdf(path)
    try:
        return "\n".join(doc[i].get_text() for i in range(min(doc.page_count, limit)))
    finally:
        doc.close()


def analyse_page(path: str, page: int, ocr: Ocr | None = None) -> PageFindings:
    """Tables and figure diagrams of one page (1-based). ocr: the engines to read raster
    figures with; without, only vector figures are read."""
    from papercc.compiler.tables.find import find_arch_tables

    start = time.perf_counter()
    doc = open_pdf(path)
    try:
        pg = doc[page - 1]
        text = pg.get_text()
        try:
            tables = tuple(find_arch_tables(pg, {"file": Path(path).name, "page": page}))
        except (ValueError, RuntimeError):
            tables = ()
        figures = tuple(figures_from_pdf(path, page=page, raster=ocr is not None, ocr=ocr))
    finally:
        doc.close()
    tables, dropped = tables_outside_figures(tables, figures)
    return PageFindings(page, tables, figures, text, time.perf_counter() - start, dropped)


FIGURE_SHARE = 0.5  # a table this much inside a drawn figure is the figure's box labels


def tables_outside_figures(
    tables: tuple[ArchTable, ...], figures: tuple[FigureInput, ...]
) -> tuple[tuple[ArchTable, ...], tuple[str, ...]]:
    """Tables that are no figure's box labels read as a grid: a "table" without a table
    caption of its own, lying mostly inside a captioned figure with boxes, is the figure
    (a wrapped flow of short layer labels looks like rows and columns)."""
    kept, dropped = [], []
    for t in tables:
        inside = next(
            (
                f
                for f in figures
                if f.diagram.nodes
                and f.caption
                and _share_inside(t.bbox, f.diagram.source.get("bbox")) >= FIGURE_SHARE
            ),
            None,
        )
        if inside is None or t.caption.strip().lower().startswith("table"):
            kept.append(t)
        else:
            dropped.append(
                f"page {t.page}: a table read inside {inside.name} is the figure's labels; "
                "read as the figure"
            )
    return tuple(kept), tuple(dropped)


def _share_inside(inner, outer) -> float:
    """The share of `inner`'s area that lies inside `outer` (0 without `outer`)."""
    if not outer:
        return 0.0
    w = min(inner[2], outer[2]) - max(inner[0], outer[0])
    h = min(inner[3], outer[3]) - max(inner[1], outer[1])
    area = max((inner[2] - inner[0]) * (inner[3] - inner[1]), 1e-9)
    return max(w, 0.0) * max(h, 0.0) / area


def parse_pages(spec: str | None, count: int) -> list[int]:
    """'3-5,8' -> [3, 4, 5, 8] (1-based); None -> every page. ValueError on nonsense."""
    if not spec:
        return list(range(1, count + 1))
    pages: list[int] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        lo, _, hi = part.partition("-")
        try:
            a = int(lo)
            b = int(hi) if hi else a
        except ValueError:
            raise ValueError(f"bad page range {part!r} (use e.g. 3-5,8)") from None
        if not (1 <= a <= b <= count):
            raise ValueError(f"pages {part} are outside 1-{count}")
        pages.extend(p for p in range(a, b + 1) if p not in pages)
    if not pages:
        raise ValueError("no pages selected")
    return pages


def compile_paper(
    path: str | Path,
    pages: list[int] | None = None,
    jobs: int = 1,
    ocr: bool = True,
    progress: Callable[[PageFindings], None] | None = None,
) -> PaperResult:
    """Read the pages, lower what describes a model, merge, and check. ocr: also read
    raster figures (embedded images, regions without vector drawings) with OCR."""
    start = time.perf_counter()
    path = str(path)
    count = page_count(path)
    pages = pages or list(range(1, count + 1))
    report = progress or (lambda _: None)
    if jobs > 1 and len(pages) > 1:
        found = _read_in_workers(path, pages, min(jobs, len(pages)), ocr, report)
    else:
        found = []
        with Ocr() as engines:
            for p in pages:
                found.append(analyse_page(path, p, engines if ocr else None))
                report(found[-1])
    text = "\n".join(pf.text for pf in found)
    if len(pages) < count:  # the prose that explains a table is often on another page
        text = _document_text(path, limit=CONTEXT_PAGES)
    context = read_context(text)
    return assemble(path, found, context, time.perf_counter() - start)


def _read_in_workers(
    path: str, pages: list[int], jobs: int, ocr: bool, report: Callable[[PageFindings], None]
) -> list[PageFindings]:
    """The pages read by `jobs` worker processes, in the order of `pages`; `report` is
    called as each page is done. Each worker takes the next page from a shared queue
    until there is none (so a slow page holds up one worker, not the others)."""
    from multiprocessing import Manager

    found: list[PageFindings | None] = [None] * len(pages)
    with Manager() as manager, ProcessPoolExecutor(max_workers=jobs) as pool:
        todo, done = manager.Queue(), manager.Queue()
        for item in enumerate(pages):
            todo.put(item)
        for _ in range(jobs):
            todo.put(None)
        workers = [pool.submit(_page_worker, path, ocr, todo, done) for _ in range(jobs)]
        for _ in pages:
            i, pf = _next_done(done, workers)
            if isinstance(pf, BaseException):
                _stop(todo, jobs)
                raise pf
            found[i] = pf
            report(pf)
    return [pf for pf in found if pf is not None]


def _page_worker(path: str, ocr: bool, todo, done) -> None:
    """One worker process: the pages from `todo` (until None), read with this worker's
    own OCR engines; (index, PageFindings) on `done`, or (index, the exception) and stop."""
    with Ocr() as engines:
        while (item := todo.get()) is not None:
            i, page = item
            try:
                done.put((i, analyse_page(path, page, engines if ocr else None)))
            except Exception as exc:  # noqa: BLE001 - the parent raises it
                done.put((i, exc))
                return


def _next_done(done, workers: list[Future]):
    """The next finished page; raises what ended a worker early (a crash)."""
    while True:
        try:
            return done.get(timeout=0.5)
        except queue.Empty:
            for w in workers:
                if w.done():
                    w.result()  # a worker that died raises here
            if all(w.done() for w in workers) and done.empty():
                raise RuntimeError("the page workers ended before every page was read") from None


def _stop(todo, jobs: int) -> None:
    """No more pages for the workers: each ends at its current one."""
    try:
        while True:
            todo.get_nowait()
    except queue.Empty:
        pass
    for _ in range(jobs):
        todo.put(None)


def assemble(path: str, found: list[PageFindings], context: TextContext, seconds: float):
    file = Path(path).name
    notes: list[str] = []
    models: list[ModelInfo] = []
    defs: dict[str, Definition] = {}
    taken: set[str] = set()
    tables = [t for pf in found for t in pf.tables]
    notes.extend(d for pf in found for d in pf.dropped)
    for t in tables:
        lowered = lower_table(t, context, {"file": file, "page": t.page})
        renames = _merge_defs(defs, lowered.module, taken)
        for name, header in lowered.models:
            models.append(ModelInfo(renames.get(name, name), "table", t.page, t.caption, header))
        notes.extend(f.message for f in lowered.findings if f.severity == "warning")
    verdicts = [(f, classify_figure(f)) for pf in found for f in pf.figures]
    accepted = [f for f, v in verdicts if v.is_model]
    if accepted:
        lowered = lower_figures(accepted)
        renames = _merge_defs(defs, lowered.module, taken)
        for d in lowered.module.models:
            fig = next(
                (f for f in accepted if d.name == f.name or d.name.startswith(f.name + "_")), None
            )
            models.append(
                ModelInfo(
                    renames.get(d.name, d.name),
                    "figure",
                    fig.page if fig else None,
                    fig.caption if fig else "",
                )
            )
        notes.extend(
            f"{f.place}: {f.message}" if getattr(f, "place", None) else f.message
            for f in lowered.findings
            if f.severity == "warning"
        )
    models = _merge_figures_into_tables(defs, models, notes)
    # print and re-parse, so diagnostics point at lines of the DLIR the user gets
    module = parse(print_module(Module(tuple(defs.values()), filename=file)), file)
    result = check_module(module, holes="warning")
    final_models = []
    for m in models:
        g = result.graphs.get(m.name)
        d = module.get(m.name)
        holes = sum(
            1
            for x in result.diagnostics
            if x.code == "hole" and d is not None and d.span.line <= x.span.line <= d.span.end_line
        )
        final_models.append(
            ModelInfo(
                m.name,
                m.kind,
                m.page,
                m.caption,
                m.header,
                g.params if g else None,
                holes,
                m.merged_with,
            )
        )
    return PaperResult(
        module,
        final_models,
        tables,
        verdicts,
        context,
        notes,
        list(result.diagnostics),
        [pf.page for pf in found],
        seconds,
        dict(result.graphs),
    )


def _merge_defs(defs: dict[str, Definition], module: Module, taken: set[str]) -> dict[str, str]:
    """Add a module's definitions; identical blocks are shared, clashing names renamed."""
    renames: dict[str, str] = {}
    for d in module.definitions:
        if d.name in defs and defs[d.name] == d:
            continue
        name = d.name
        i = 2
        while name in defs or name in taken:
            name = f"{d.name}_{i}"
            i += 1
        if name != d.name:
            renames[d.name] = name
            d = Definition(d.kind, name, d.params, d.returns, d.body, d.comments, d.end_comments)
        defs[name] = d
        taken.add(name)
    return renames


def _op_sequence(graph) -> list[str]:
    """The convolution, pooling, linear and merge layers of an elaborated model, in order
    (convolutions of any kind as one)."""
    out = []
    for n in graph.nodes:
        category = OPS[n.op].category
        if category == "convolution":
            out.append(category)
        elif category in ("pooling", "linear", "merge"):
            out.append(n.op)
    return out


def _merge_figures_into_tables(
    defs: dict[str, Definition], models: list[ModelInfo], notes: list[str]
) -> list[ModelInfo]:
    """A figure model whose layers repeat a table model's is dropped in favour of the
    table's (which has the attributes), and the table model records the figure."""
    tables = [m for m in models if m.kind == "table"]
    figures = [m for m in models if m.kind == "figure"]
    if not tables or not figures:
        return models
    graphs = check_module(Module(tuple(defs.values())), holes="warning").graphs
    seqs = {m.name: _op_sequence(graphs[m.name]) for m in models if m.name in graphs}
    merged: dict[str, str] = {}
    for f in figures:
        seq = seqs.get(f.name, [])
        best = None
        for t in tables:
            tseq = seqs.get(t.name, [])
            if len(seq) < 6 or len(tseq) < 6:
                continue
            ratio = SequenceMatcher(None, seq, tseq, autojunk=False).ratio()
            if ratio >= MERGE_RATIO and (best is None or ratio > best[1]):
                best = (t.name, ratio)
        if best is not None:
            merged[f.name] = best[0]
            notes.append(
                f"{f.name} (page {f.page}) draws the model of table model {best[0]} (layer "
                f"sequences {best[1]:.0%} alike): merged, the table gives the attributes"
            )
            defs.pop(f.name, None)
    out = []
    for m in models:
        if m.name in merged:
            continue
        figs = [f for f, t in merged.items() if t == m.name]
        out.append(
            ModelInfo(m.name, m.kind, m.page, m.caption, m.header, m.params, m.holes, figs[0])
            if figs
            else m
        )
    return out


__all__ = [
    "InputError",
    "PageFindings",
    "ModelInfo",
    "PaperResult",
    "compile_paper",
    "parse_pages",
]
