"""The compile report: for every model, the region of the paper it came from beside the
layers papercc extracted; then every figure and table considered, with the verdict.

HTML (or Markdown) in one self-contained file: page crops are embedded PNGs. All paper
text is escaped: a hostile caption is shown, never interpreted.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from papercc.compiler.paper.driver import PaperResult
from papercc.ir.syntax import Assign, Call, Literal, Module, Repeat

_CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; border-top: 1px solid #ccc; }
.row { display: flex; gap: 1.5em; align-items: flex-start; }
.crop img { max-width: 520px; border: 1px solid #bbb; }
table { border-collapse: collapse; font-size: 12px; }
td, th { border-bottom: 1px solid #eee; padding: 2px 8px; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.hole { color: #b00; } .note { color: #555; } .yes { color: #070; } .no { color: #900; }
pre { background: #f6f6f6; padding: .6em; overflow-x: auto; font-size: 12px; }
"""


def _crop_png(pdf: str, page: int | None, bbox, dpi: int = 110) -> bytes | None:
    if page is None:
        return None
    import pymupdf

    try:
        doc = pymupdf.open(pdf)
        pg = doc[page - 1]
        clip = pymupdf.Rect(bbox) if bbox else pg.rect
        clip = (clip + (-6, -6, 6, 6)) & pg.rect
        return pg.get_pixmap(clip=clip, dpi=dpi).tobytes("png")
    except Exception:  # noqa: BLE001 - a crop is decoration; the report goes on without it
        return None


def _img(png: bytes | None) -> str:
    if not png:
        return "<p class='note'>(no crop)</p>"
    return f"<img alt='source region' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"


def _source_bbox(result: PaperResult, model) -> tuple | None:
    if model.kind == "table":
        for t in result.tables:
            if t.page == model.page and t.caption == model.caption:
                return t.bbox
    for fig, _ in result.figures:
        if fig.page == model.page and fig.caption == model.caption:
            b = fig.diagram.source.get("bbox")
            if b:
                return tuple(b)
    return None


def assumptions(module: Module) -> dict[str, list[tuple[str, str, str]]]:
    """The values each model's layers take that the paper does not write, by model, one
    row a value: (layer, where: `page 3, figure 2, box 5`, the value and why), read from the
    `@src(assumed=...)` keys and the `# input ...` comments lowering writes."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    for d in module.models:
        rows: list[tuple[str, str, str]] = []
        for c in d.comments.leading:
            if c.startswith("# input "):
                name, _, what = c[len("# input ") :].partition(": ")
                rows.append((name, "input", what))
            elif c.startswith("# padding "):  # the default padding lowering applied
                rows.append(("convs and pools", "", c[2:] + " (convention)"))
        for st in d.body:
            if not isinstance(st, Assign):
                continue
            call = st.value.call if isinstance(st.value, Repeat) else st.value
            if not isinstance(call, Call):
                continue
            src = {k: v.value for k, v in (call.src or ()) if isinstance(v, Literal)}
            if "assumed" not in src:
                continue
            where = ", ".join(f"{k} {src[k]}" for k in ("page", "figure", "box") if k in src)
            layer = call.label or ", ".join(st.targets)
            rows.extend((layer, where, what) for what in str(src["assumed"]).split("; "))
        if rows:
            out[d.name] = rows
    return out


def render_html(result: PaperResult, pdf: str) -> str:
    e = html.escape
    out = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>papercc report: {e(Path(pdf).name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>papercc report: {e(Path(pdf).name)}</h1>",
        f"<p>{len(result.pages)} pages read in {result.seconds:.2f} s; "
        f"{len(result.models)} models; {len(result.tables)} architecture tables; "
        f"{sum(1 for _, v in result.figures if v.is_model)} of {len(result.figures)} figures "
        "classified as model diagrams.</p>",
    ]
    ctx = result.context
    facts = [
        f"{k}: {e(str(v))}"
        for k, v in (
            ("input", ctx.input_hw),
            ("channels", ctx.input_channels),
            ("classes", ctx.classes),
            ("dropout rate", ctx.dropout),
        )
        if v
    ]
    if facts:
        out.append(f"<p class='note'>From the text: {'; '.join(facts)}</p>")
    assumed = assumptions(result.module)
    for m in result.models:
        g = result.graphs.get(m.name)
        title = f"model {m.name}" + (f" — {m.header}" if m.header else "")
        out.append(f"<h2>{e(title)}</h2>")
        where = f"page {m.page}, {m.kind}" + (
            f", merged with {m.merged_with}" if m.merged_with else ""
        )
        params = "?" if m.params is None else f"{m.params:,}"
        out.append(
            f"<p>{e(where)}: {e(m.caption[:300])}<br>parameters: <b>{params}</b>; "
            f"<span class='{'hole' if m.holes else 'note'}'>holes left: {m.holes}</span></p>"
        )
        out.append("<div class='row'><div class='crop'>")
        out.append(_img(_crop_png(pdf, m.page, _source_bbox(result, m))))
        out.append(
            "</div><div><table><tr><th>layer</th><th>op</th><th>output</th><th>params</th></tr>"
        )
        for n in g.nodes if g else []:
            p = "?" if n.params is None else f"{n.params:,}"
            out.append(
                f"<tr><td>{e(n.name)}</td><td>{e(n.op)}</td><td>{e(str(n.outputs[0].type))}</td>"
                f"<td class='num'>{p}</td></tr>"
            )
        out.append("</table></div></div>")
        if assumed.get(m.name):
            out.append(
                "<p>Values the paper does not write (each a comment in the DLIR):</p>"
                "<table><tr><th>layer</th><th>where</th><th>assumed</th></tr>"
            )
            out.extend(
                f"<tr><td>{e(a)}</td><td>{e(b)}</td><td class='note'>{e(c)}</td></tr>"
                for a, b, c in assumed[m.name]
            )
            out.append("</table>")
    out.append("<h2>Figures and tables considered</h2><table>")
    out.append("<tr><th>page</th><th>kind</th><th>caption</th><th>verdict</th><th>why</th></tr>")
    for t in result.tables:
        out.append(
            f"<tr><td>{t.page}</td><td>table ({e(t.orientation)})</td><td>{e(t.caption[:120])}</td>"
            f"<td class='yes'>architecture</td><td>{e(', '.join(t.reasons[:3]))}</td></tr>"
        )
    for fig, v in result.figures:
        cls, verdict = ("yes", "model diagram") if v.is_model else ("no", "not a model")
        out.append(
            f"<tr><td>{fig.page}</td><td>figure</td><td>{e(fig.caption[:120])}</td>"
            f"<td class='{cls}'>{verdict} ({v.score:.2f})</td><td>{e(', '.join(v.reasons[:4]))}</td></tr>"
        )
    out.append("</table>")
    if result.notes:
        out.append("<h2>Notes</h2><ul>")
        out.extend(f"<li class='note'>{e(n)}</li>" for n in result.notes[:200])
        out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out)


def render_markdown(result: PaperResult, pdf: str) -> str:
    lines = [f"# papercc report: {Path(pdf).name}", ""]
    lines.append(f"{len(result.pages)} pages, {len(result.models)} models, {result.seconds:.2f} s.")
    assumed = assumptions(result.module)
    for m in result.models:
        params = "?" if m.params is None else f"{m.params:,}"
        lines += ["", f"## model `{m.name}` ({m.kind}, page {m.page})", ""]
        lines.append(
            f"{_md(m.header)} {_md(m.caption[:200])} — parameters {params}, holes {m.holes}"
        )
        png = _crop_png(pdf, m.page, _source_bbox(result, m))
        if png:
            lines += ["", f"![source](data:image/png;base64,{base64.b64encode(png).decode()})"]
        if assumed.get(m.name):
            lines += ["", "Values the paper does not write (each a comment in the DLIR):", ""]
            lines += [f"- {_md(a)} ({_md(b)}): {_md(c)}" for a, b, c in assumed[m.name]]
    if result.notes:
        lines += ["", "## Notes", ""] + [f"- {_md(n)}" for n in result.notes[:200]]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return html.escape(" ".join(text.split())).replace("|", "\\|").replace("`", "'")
