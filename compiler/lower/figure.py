"""Figure inputs -> `Diagram`s, and a set of figures -> one linked DLIR module.

Why: `papercc compile` and (later) whole-paper compile both need "give me the diagrams of
this image / this PDF page" and "lower these figures together so that a figure drawing a
block ('Inception-A') provides the body for the figure that uses it". Vector figures are
read from the drawing commands; a region without vector drawings (a scanned or embedded
image) is rendered and read by the raster parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from papercc.compiler.diagram.graph import Diagram
from papercc.compiler.lower.diagram import (
    Finding,
    Lowered,
    caption_block_names,
    checked_result,
    lower_diagram,
)
from papercc.compiler.raster.image import ImageError
from papercc.compiler.raster.ocr import Ocr
from papercc.ir.diagnostics import Diagnostic, Place
from papercc.ir.span import Span
from papercc.ir.syntax import Definition, Module

__all__ = [
    "FigureFinding",
    "FigureInput",
    "InputError",
    "UsageError",
    "figures_from_image",
    "figures_from_pdf",
    "lower_figures",
    "open_pdf",
]

RENDER_DPI = 216  # 3x of PDF points: small box text stays readable for OCR
MIN_IMAGE_PT = 60.0  # embedded images smaller than this (logos, glyphs) are not figures
_FIG_NUMBER = re.compile(r"^\s*(?:fig\.?|figure)\s*(\d+)", re.IGNORECASE)
_CAPTION = re.compile(r"^\s*(?:fig\.?|figure)\s*\d+[a-z]?\s*[.:|]", re.IGNORECASE)


class InputError(ValueError):
    """The input file cannot be read (missing, empty, corrupt, not the format it claims).

    Carries where (the file, and in it a page or figure) apart from what, so that the
    command line reports it as a diagnostic with a location and a code."""

    code = "io"

    def __init__(self, message: str, file: str | Path = "", place: Place | None = None):
        super().__init__(message)
        self.message, self.file, self.place = message, str(file), place

    def diagnostic(self) -> Diagnostic:
        span = Span.unknown(self.file or "<input>")
        return Diagnostic(span, "error", self.code, self.message, place=self.place)

    def __str__(self) -> str:
        return self.diagnostic().location() + ": " + self.message


class UsageError(InputError):
    """The options do not fit the input (a page that does not exist, an unknown figure)."""

    code = "usage"


@dataclass(frozen=True)
class FigureInput:
    """One figure's diagram with where it came from; `image` is the raster read, if any."""

    diagram: Diagram
    caption: str = ""
    number: int | None = None
    page: int | None = None
    image: np.ndarray | None = field(default=None, compare=False, repr=False)
    scale: float = 1.0  # image pixels per diagram unit (for drawing the debug image)
    origin: tuple[float, float] = (0.0, 0.0)  # diagram coords of the image's top-left

    @property
    def name(self) -> str:
        return f"figure{self.number}" if self.number is not None else "figure"


def figure_number(caption: str) -> int | None:
    m = _FIG_NUMBER.match(caption or "")
    return int(m.group(1)) if m else None


def figure_place(figure: FigureInput) -> Place | None:
    """Where a figure is in its paper (`page 3, figure 2`); None for an image file."""
    if figure.page is None and figure.number is None:
        return None
    return Place(figure.page, "figure", figure.number)


@dataclass(frozen=True)
class FigureFinding(Finding):
    """A lowering finding with the figure it is about."""

    place: Place | None = None


# ---------------------------------------------------------------- images


def figures_from_image(path: str | Path, ocr: Ocr | None = None) -> list[FigureInput]:
    """A PNG/JPEG file -> its one diagram (possibly empty). InputError if unreadable.
    ocr: the run's OCR engines (one is made for this call without)."""
    from papercc.compiler.raster.diagram import extract_raster_diagram, load_image

    try:
        image = load_image(path)
        src = {"file": Path(path).name, "parser": "raster"}
        diagram = extract_raster_diagram(image, src, ocr=ocr or Ocr())
    except ImageError as exc:
        raise InputError(_without_path(str(exc), path), path) from None
    return [FigureInput(diagram, image=image)]


def _without_path(message: str, path: str | Path) -> str:
    """An image reader's message without the file name it starts with (the diagnostic's
    location says it)."""
    return message.removeprefix(f"{path}: ").removeprefix(f"{Path(path)}: ")


# ---------------------------------------------------------------- PDFs


def open_pdf(path: str | Path):
    """Open a PDF for reading figures; InputError (a clear message) if it cannot be."""
    import pymupdf

    p = Path(path)
    try:
        if p.stat().st_size == 0:
            raise InputError("empty file", p)
        doc = pymupdf.open(p, filetype="pdf")
    except InputError:
        raise
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", p) from None
    except Exception as exc:  # noqa: BLE001 - PyMuPDF raises several types for bad files
        raise InputError(f"not a readable PDF ({exc})", p) from None
    if doc.needs_pass:
        raise InputError("the PDF is encrypted", p)
    if doc.page_count == 0:
        raise InputError("the PDF has no pages", p)
    return doc


def figures_from_pdf(
    path: str | Path,
    page: int | None = None,
    figure: int | None = None,
    raster: bool = True,
    images: bool = False,
    ocr: Ocr | None = None,
) -> list[FigureInput]:
    """Diagrams of the figures on one page (1-based), or of every page.

    figure: keep only the figure with that number. raster: read regions without vector
    drawings (and embedded images) through the raster parser (OCR: slower). images: also
    render vector figures (for debug output). ocr: the run's OCR engines (one is made
    for this call without)."""
    doc = open_pdf(path)
    if page is not None and not 1 <= page <= doc.page_count:
        raise UsageError(f"page {page} does not exist (the PDF has {doc.page_count} pages)", path)
    pages = [page] if page is not None else list(range(1, doc.page_count + 1))
    out: list[FigureInput] = []
    ocr = ocr or Ocr()
    no = pages[0]
    try:
        for no in pages:
            out.extend(_page_figures(doc[no - 1], no, Path(path).name, figure, raster, images, ocr))
    except InputError as exc:
        exc.file = exc.file or str(path)
        raise
    except RuntimeError as exc:  # a damaged page stream
        raise InputError(f"cannot read the page ({exc})", path, Place(no)) from None
    if figure is not None and not out:
        where = f"page {page}" if page is not None else "the PDF"
        raise UsageError(f"no Figure {figure} found on {where}", path)
    return out


def _page_figures(
    page, no: int, file: str, want: int | None, raster: bool, images: bool, ocr: Ocr
) -> list[FigureInput]:
    from papercc.compiler.vector.diagram import extract_vector_diagram, find_figure_regions

    out: list[FigureInput] = []
    regions = list(find_figure_regions(page))
    covered = [r for r, _ in regions]
    for rect, caption in regions:
        number = figure_number(caption)
        if want is not None and number != want:
            continue
        src = {"file": file, "page": no, "figure": number if number is not None else caption[:20]}
        d = extract_vector_diagram(page, rect, src)
        if not d.edges and raster and not mostly_text(page, rect):
            out.append(_render_and_read(page, rect, src, caption, number, no, ocr))
        else:
            image = _render(page, rect) if images else None
            scale = RENDER_DPI / 72.0
            out.append(FigureInput(d, caption, number, no, image, scale, (rect.x0, rect.y0)))
    if raster:
        for rect, caption in _image_regions(page):
            if any(rect.intersects(c) for c in covered):
                continue
            number = figure_number(caption)
            if want is not None and number != want:
                continue
            src = {"file": file, "page": no, "figure": number if number is not None else "image"}
            out.append(_render_and_read(page, rect, src, caption, number, no, ocr))
    return out


TEXT_SHARE = 0.3  # a region whose text-layer words cover this share of it is text, no image


def mostly_text(page, rect) -> bool:
    """The region's own text layer covers much of it (body text, a table): no raster
    figure to read with OCR there (its words are already text)."""
    area = max(1e-6, rect.width * rect.height)
    words = page.get_text("words", clip=rect)
    return sum((w[2] - w[0]) * (w[3] - w[1]) for w in words) / area >= TEXT_SHARE


def _render_and_read(page, rect, src: dict, caption: str, number, no: int, ocr: Ocr) -> FigureInput:
    from papercc.compiler.raster.diagram import extract_raster_diagram

    bgr = _render(page, rect)
    scale = RENDER_DPI / 72.0
    try:
        d = extract_raster_diagram(bgr, dict(src, parser="raster"), ocr=ocr)
    except ImageError as exc:
        raise InputError(str(exc), place=Place(no, "figure", number)) from None
    # back to page coordinates, so provenance points into the PDF
    d = Diagram(
        tuple(
            type(n)(
                n.id,
                n.text,
                (
                    round(rect.x0 + n.bbox[0] / scale, 2),
                    round(rect.y0 + n.bbox[1] / scale, 2),
                    round(rect.x0 + n.bbox[2] / scale, 2),
                    round(rect.y0 + n.bbox[3] / scale, 2),
                ),
                n.shape,
                n.confidence,
            )
            for n in d.nodes
        ),
        d.edges,
        dict(d.source, bbox=tuple(round(v, 2) for v in rect)),
        d.direction,
        tuple(replace(t, bbox=_on_page(t.bbox, rect, scale)) for t in d.notes),
    )
    return FigureInput(d, caption, number, no, image=bgr, scale=scale, origin=(rect.x0, rect.y0))


def _on_page(bbox, rect, scale: float) -> tuple[float, float, float, float]:
    """A box in the rendered clip's pixels -> page coordinates."""
    x0, y0, x1, y1 = bbox
    return (
        round(rect.x0 + x0 / scale, 2),
        round(rect.y0 + y0 / scale, 2),
        round(rect.x0 + x1 / scale, 2),
        round(rect.y0 + y1 / scale, 2),
    )


def _render(page, rect) -> np.ndarray:
    """The clip of the page as a BGR image at RENDER_DPI."""
    pix = page.get_pixmap(clip=rect, dpi=RENDER_DPI, alpha=False)
    rgb = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, pix.n)
    if pix.n < 3:
        return np.ascontiguousarray(np.repeat(rgb[:, :, :1], 3, axis=2))
    return np.ascontiguousarray(rgb[:, :, 2::-1])


def _image_regions(page) -> list[tuple[object, str]]:
    """Embedded images large enough to be figures, each with the caption just below it."""
    import pymupdf

    captions = []
    for b in page.get_text("blocks"):
        if len(b) > 4 and isinstance(b[4], str) and _CAPTION.match(b[4]):
            captions.append((pymupdf.Rect(b[:4]), " ".join(b[4].split())))
    out = []
    for info in page.get_image_info():
        r = pymupdf.Rect(info["bbox"]) & page.rect
        if r.is_empty or r.width < MIN_IMAGE_PT or r.height < MIN_IMAGE_PT / 2:
            continue
        below = [
            (c.y0 - r.y1, text)
            for c, text in captions
            if c.y0 >= r.y1 - 5 and min(c.x1, r.x1) - max(c.x0, r.x0) > 0
        ]
        out.append((r, min(below)[1] if below else ""))
    return out


# ---------------------------------------------------------------- lowering several figures


def lower_figures(
    figures: list[FigureInput],
    *,
    input_shape: tuple[int | None, ...] | None = None,
    name: str | None = None,
    strict: bool = False,
) -> Lowered:
    """Lower each figure with an arrow into models of one module; link named blocks.
    strict: no conventions for what a figure leaves unstated (`lower_diagram`).

    A block ("inception_a") used by one figure takes its body from another figure of the
    same input whose caption names it (that figure becomes the block, not a model);
    without one it stays a stub."""
    usable = [f for f in figures if f.diagram.edges]
    names = _model_names(usable, name)
    first = [
        lower_diagram(f.diagram, name=n, input_shape=input_shape, caption=f.caption, strict=strict)
        for f, n in zip(usable, names, strict=True)
    ]
    refs = sorted({b for lo in first for b in lo.block_refs})
    named = [_specific(caption_block_names(f.caption)) for f in usable]
    everything = set(refs).union(*named)
    generic = {n for n in everything if any(m.startswith(n + "_") for m in everything)}
    bodies: dict[str, Definition] = {}
    providers: dict[int, Lowered] = {}  # figure -> its lowering as a block's body
    for b in (b for b in refs if b not in generic):  # "Inception" alone names no one block
        for i, f in enumerate(usable):
            if i in providers or first[i].block_refs:
                continue  # a figure that uses blocks is a network, not a block's body
            if b not in named[i]:
                continue
            lo = lower_diagram(f.diagram, as_block=b, strict=strict)
            body = lo.module.get(b)
            if body is not None and lo.ok:
                bodies[b] = body
                providers[i] = lo
                break
    defs: list[Definition] = list(bodies.values())
    seen = set(bodies)
    findings: list[Finding] = []
    for i, f in enumerate(usable):
        if i in providers:
            findings.append(
                FigureFinding(
                    "note",
                    f"{names[i]}: lowered as a block used by others",
                    place=figure_place(f),
                )
            )
            findings.extend(  # what its body assumed is said like a model's
                FigureFinding(x.severity, x.message, x.node, x.code, place=figure_place(f))
                for x in providers[i].findings
            )
            continue
        lo = first[i]
        if bodies and lo.block_refs:
            lo = lower_diagram(
                f.diagram,
                name=names[i],
                input_shape=input_shape,
                blocks=bodies,
                caption=f.caption,
                strict=strict,
            )
        findings.extend(
            FigureFinding(x.severity, x.message, x.node, x.code, place=figure_place(f))
            for x in lo.findings
        )
        for d in lo.module.definitions:
            if d.name not in seen:
                seen.add(d.name)
                defs.append(d)
    file = figures[0].diagram.source.get("file", "<figure>") if figures else "<figure>"
    module = Module(tuple(defs), filename=str(file))
    stubs = [b for b in refs if b not in bodies]
    return checked_result(module, module.models, findings, refs, stubs)


def _specific(names: tuple[str, ...]) -> tuple[str, ...]:
    """Drop family names another name refines ("inception" beside "inception_a")."""
    return tuple(n for n in names if not any(m != n and m.startswith(n + "_") for m in names))


def _model_names(figures: list[FigureInput], name: str | None) -> list[str]:
    """figure<N> per figure (or `name` for a single one), unique within the module."""
    out: list[str] = []
    for k, f in enumerate(figures):
        base = name if name and len(figures) == 1 else f.name
        if f.number is None and len(figures) > 1:
            base = f"{base}_{k + 1}"
        n, j = base, 2
        while n in out:
            n, j = f"{base}_{j}", j + 1
        out.append(n)
    return out
