"""A figure's `Diagram` -> a DLIR `Module`: one model per connected part of the figure.

Why: the figure readers give boxes and arrows; this turns them into layers in data-flow
order without inventing anything silently. Each box's text goes through `parse_phrase`;
each layer becomes one call with `@src` provenance. What a box's text leaves open is taken,
in this order, from what the figure implies (its size notes: `diagram.notes`) and then
from the frameworks' conventions (`rules.implied_values`, `rules.input_values`), each
value said beside its layer; only what nothing implies becomes a `?` hole. A part whose
boxes mostly read as no layer is no model and is dropped (`rules.part_is_model`).
A node with several inputs is a merge: its text says concat or add; a junction or an
unlabelled merge is decided from the inferred shapes of its inputs (equal: add; same
spatial size, different channels: concat; different spatial size: add with a projection
that is reported as inferred). Named blocks ("Inception-A") become calls of a block whose
body another figure gives: pass `blocks=` to link it, else a stub that says so.
Every assumption is a comment in the DLIR and a `Finding` in the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from papercc.compiler.diagram.graph import Diagram, DiagramNode
from papercc.compiler.diagram.notes import NoteSize, attach, output_sizes
from papercc.compiler.diagram.repeats import expand_repeats
from papercc.compiler.lower.graph import components, topological
from papercc.compiler.lower.layers import (
    comment_text,
    identifier,
    layer_call,
    provenance,
    split_label,
    value_expr,
)
from papercc.compiler.lower.rules import (
    Assumption,
    bare_conv,
    caption_block_names,
    caption_input_size,
    decide_merge,
    implied_values,
    in_parallel_branch,
    input_values,
    keeps_channels,
    part_is_model,
    reads_as_layer,
    side_by_side_edges,
    worth_comment,
)
from papercc.compiler.phrases import Layer, Phrase, parse_phrase
from papercc.ir.check import check_module
from papercc.ir.diagnostics import Diagnostic
from papercc.ir.registry import OPS
from papercc.ir.syntax import (
    Assign,
    Call,
    Comments,
    Definition,
    Expr,
    Hole,
    Literal,
    Module,
    Name,
    Param,
    Repeat,
    Return,
    TensorTypeExpr,
    TupleExpr,
)
from papercc.ir.types import TensorType
from papercc.ir.values import HOLE

__all__ = [
    "Finding",
    "Lowered",
    "caption_block_names",
    "caption_input_size",
    "count_calls",
    "lower_diagram",
]

PROBE = 256  # spatial size tried for `?` input dims when comparing shapes at a merge
_PASS_OPS = ("identity", "input", "output")
_NO_LAYERS = frozenset({"input", "output"})


def _is_merge(op: str) -> bool:
    """Does the phrase's op join several inputs (the registry's variadic ops: add, concat)?"""
    return op in OPS and OPS[op].variadic


@dataclass(frozen=True)
class Finding:
    """Something the lowering assumed, skipped or could not read (node: diagram node id).

    code: "assumed" for a value the figure does not write (said in a comment beside the
    layer and in its `@src(assumed=...)`), "not-understood" for a box whose text reads as
    no layer, "not-a-model" for a figure part dropped; "" for the rest."""

    severity: str  # "warning" | "note"
    message: str
    node: int | None = None
    code: str = ""


@dataclass(frozen=True)
class Lowered:
    """The module, what lowering found, and the checker's diagnostics (holes as warnings)."""

    module: Module
    findings: tuple[Finding, ...]
    diagnostics: tuple[Diagnostic, ...]
    layers: int  # calls of registry ops and blocks written
    holes: int  # `?` attributes left
    block_refs: tuple[str, ...] = ()  # named blocks used; stubs unless given via blocks=
    stubs: tuple[str, ...] = ()  # the block names whose body is a stub
    graphs: dict = field(default_factory=dict, compare=False)

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


def lower_diagram(
    diagram: Diagram,
    *,
    name: str | None = None,
    input_shape: tuple[int | None, ...] | None = None,
    blocks: Mapping[str, Definition] | None = None,
    as_block: str | None = None,
    default_padding: str | None = "same",
    caption: str = "",
    strict: bool = False,
) -> Lowered:
    """Lower every connected part with at least one arrow into a model (or, with
    `as_block`, the largest part into a block of that name taking one tensor `x`).

    input_shape: the input's shape without the batch dim (C, H, W), overriding what the
    figure says. blocks: bodies of named blocks from other figures. default_padding:
    padding of convs and pools the text leaves unmarked (most box diagrams keep sizes
    unless a stride is drawn; a comment in the output says so). caption: the figure's
    caption; a size it gives for the input ("35 x 35 grid modules") types an input the
    figure leaves unsized.

    What a box's text leaves unstated is taken, in this order, from what the figure
    implies (its size notes, `Diagram.notes`: output channels, strides from consecutive
    sizes, the input's channels) and then from the frameworks' conventions (pooling
    stride = window, 3 channels for an image input); each value so taken is a comment
    beside its layer, an `assumed` key of its `@src` and a Finding (code "assumed").
    strict: no conventions (what the figure writes or its notes imply only); the rest
    stays a `?` hole. A part whose boxes mostly read as no layer is no model: it is
    dropped with a warning (code "not-a-model"). When the conventions make the model
    contradict itself (a shape error the figure alone does not give), they are left out
    and the values stay holes, with a warning that says so.
    """
    args = (name, input_shape, blocks, as_block, default_padding, caption)
    if strict:  # no padding the figure does not mark: a hole
        return _lower(diagram, name, input_shape, blocks, as_block, None, caption, True)
    lowered = _lower(diagram, *args, strict)
    if strict or lowered.ok or not any(f.code == "assumed" for f in lowered.findings):
        return lowered
    plain = _lower(diagram, *args, True)
    if not plain.ok:
        return lowered
    note = Finding(
        "warning",
        "the conventions for unstated values (" + _conventions(lowered) + ") contradict the "
        "figure's shapes: left out, the values stay holes",
    )
    return replace(plain, findings=(*plain.findings, note))


def _conventions(lowered: Lowered) -> str:
    said = [f.message.split(": ", 1)[-1] for f in lowered.findings if "(convention)" in f.message]
    return "; ".join(dict.fromkeys(said)) or "none"


def _lower(diagram, name, input_shape, blocks, as_block, default_padding, caption, strict):
    findings: list[Finding] = []
    diagram = attach(diagram)
    diagram, said = expand_repeats(diagram)
    findings += [Finding("note", message) for message in said]
    parts = [p for p in components(diagram) if _has_edge(diagram, p)]
    if as_block is not None and parts:
        parts = [max(parts, key=len)]
    sizes = output_sizes(diagram)
    base = identifier(name or _default_name(diagram), "figure")
    if base in OPS:
        base += "_net"  # a definition may not shadow an op
    defs: list[Definition] = []
    used_blocks: list[str] = []
    linked = dict(blocks or {})
    for k, part in enumerate(parts):
        model_name = base if len(parts) == 1 else f"{base}_{k + 1}"
        if as_block is not None:
            model_name = identifier(as_block, "block")
            model_name += "_block" if model_name in OPS else ""
        lw = _PartLowerer(diagram, part, model_name, input_shape, default_padding, linked, findings)
        lw.caption_size = caption_input_size(caption) if len(parts) == 1 else None
        lw.strict = strict
        lw.sizes = sizes
        made = lw.run(as_block is not None)
        if made is None:
            continue
        defs.append(made)
        for b in lw.block_refs:
            if b not in used_blocks:
                used_blocks.append(b)
    stubs = [b for b in used_blocks if b not in linked]
    block_defs = [linked[b] for b in used_blocks if b in linked] + [_stub(b) for b in stubs]
    for b in stubs:
        findings.append(
            Finding("warning", f"block '{b}' is drawn as one box; its body is a stub (identity)")
        )
    module = Module(tuple(block_defs + defs), filename=str(diagram.source.get("file", "<figure>")))
    return checked_result(module, defs, findings, used_blocks, stubs)


def checked_result(module: Module, counted, findings, block_refs, stubs) -> Lowered:
    """Check a lowered module and count what it holds: layers written in the `counted`
    definitions, and `?` holes left anywhere."""
    result = check_module(module, holes="warning")
    holes = sum(1 for d in result.diagnostics if d.code == "hole")
    layers = sum(count_calls(s.value) for d in counted for s in d.body if isinstance(s, Assign))
    return Lowered(
        module,
        tuple(findings),
        tuple(result.diagnostics),
        layers,
        holes,
        tuple(block_refs),
        tuple(stubs),
        dict(result.graphs),
    )


# ---------------------------------------------------------------- helpers


class _Facts(NamedTuple):
    """What the figure states around one layer of a box (see `rules.implied_values`)."""

    before: tuple[int, ...] | None = None  # the box's input size, as the figure states it
    after: NoteSize | None = None  # the size note of the box's output
    owns_channels: bool = False  # the layer that sets the box's output channels
    owns_stride: bool = False  # the one layer of the box that has a stride
    carried: NoteSize | None = None  # a later box's note of the channels


def _strided(op: str) -> bool:
    """A layer with a stride: a registry op that has one, or a pool of unstated type."""
    return op == "pool" or (op in OPS and "stride" in OPS[op].attr_map)


def _sized(op: str) -> bool:
    """Does the op set its output's channels or units (a required `out` or `units`)?"""
    attrs = OPS[op].attr_map
    return any(n in attrs and attrs[n].required for n in ("out", "units"))


def _has_edge(diagram: Diagram, part: list[int]) -> bool:
    ids = set(part)
    return any(e.src in ids and e.dst in ids and e.src != e.dst for e in diagram.edges)


def _default_name(diagram: Diagram) -> str:
    fig = diagram.source.get("figure")
    if isinstance(fig, int) and not isinstance(fig, bool):
        return f"figure{fig}"
    if isinstance(fig, str) and fig.strip():
        return fig
    return "figure"


def count_calls(expr: Expr) -> int:
    """Layers an expression writes: calls of ops and blocks (a repeat counts once)."""
    if isinstance(expr, Repeat):
        return count_calls(expr.call)
    if isinstance(expr, Call):
        return 1 + sum(count_calls(a) for a in expr.args)
    return 0


def _stub(block: str) -> Definition:
    note = (
        f"# body of '{block}' is not in this figure: a stub. Link the figure that draws it "
        "(lower_diagram(..., blocks=...))."
    )
    return Definition(
        "block",
        block,
        (Param("x"),),
        None,
        (Return((Call("identity", (Name("x"),)),)),),
        comments=Comments(leading=(note,)),
    )


def _tensor_type(shape: tuple | None, rank: int) -> TensorTypeExpr:
    """`f32[N, C, H, W]` from a phrase's (C, H, W); unknown parts as `?`."""
    if shape is None:
        return TensorTypeExpr("f32", ("N",) + (None,) * (rank - 1))
    dims = tuple(
        d if isinstance(d, int) and not isinstance(d, bool) and d > 0 else None for d in shape
    )
    return TensorTypeExpr("f32", ("N", *dims))


def _probe_type(t: TensorTypeExpr | None, rank: int) -> TensorTypeExpr | None:
    """An input's type for probing: `?` sizes (and an untyped block input) made concrete."""
    if t is None:
        t = _tensor_type(None, rank + 2)
    if t.dims is None:
        return None
    dims = tuple(PROBE if d is None and i >= 2 else d for i, d in enumerate(t.dims))
    return TensorTypeExpr(t.dtype, dims)


def _type_expr(t: TensorType | None) -> TensorTypeExpr | None:
    if t is None or t.shape is None:
        return None
    return TensorTypeExpr(t.dtype, tuple(t.shape))


def _names_in(expr: Expr) -> set[str]:
    if isinstance(expr, Name):
        return {expr.id}
    if isinstance(expr, Repeat):
        return _names_in(expr.call)
    if isinstance(expr, Call):
        out: set[str] = set()
        for a in expr.args:
            out |= _names_in(a)
        for _, v in expr.kwargs:
            out |= _names_in(v)
        return out
    return set()


# ---------------------------------------------------------------- one connected part


@dataclass
class _Info:
    """What one diagram node is, after reading its text."""

    node: DiagramNode
    phrase: Phrase | None
    label: str | None
    kind: str  # "junction" | "tensor" | "input" | "output" | "outname" | "layers"
    layers: tuple[Layer, ...] = ()


class _PartLowerer:
    """Builds one model from one connected part; lives for one `lower_diagram` call."""

    def __init__(self, diagram, part, name, input_shape, padding, linked, findings):
        self.d = diagram
        self.part = part
        self.name = name
        self.input_shape = input_shape
        self.padding = padding
        self.linked = linked
        self.findings: list[Finding] = findings
        self.body: list[Assign] = []
        self.params: list[Param] = []
        self.block_refs: list[str] = []
        self.labels: set[str] = set()
        self.probe_cache: dict[tuple, list] = {}
        self.known: dict[str, TensorTypeExpr | None] = {}  # types as of body[:probe_at]
        self.probe_at = 0
        self.rank = 2
        self.caption_size: tuple[int, int] | None = None
        self.edge_text = {
            (e[0], e[1]): e[2]
            for e in diagram.source.get("edge_labels", None) or ()
            if isinstance(e, list | tuple)
            and len(e) == 3
            and all(isinstance(v, int) for v in e[:2])
            and isinstance(e[2], str)
            and e[2].strip()
        }
        self.uncropped: set[str] = set()  # values a "copy and crop" arrow carries
        self.strict = False  # no conventions: only what the figure writes or implies
        self.sizes: dict[int, NoteSize] = {}  # box -> the size its output note states
        self.spatial_of: dict[int, tuple[int, ...]] = {}  # box -> its output's stated size
        self.before: tuple[int, ...] | None = None  # the stated input size of the box read
        self.input_comments: list[str] = []  # what was assumed about the inputs
        self.carried: dict[int, NoteSize] = {}  # box -> a later box's note of its channels
        self.padded = 0  # layers given the default padding

    # -- reading nodes

    def _read(self, n: DiagramNode, preds: int, succs: int) -> _Info:
        text = n.text.strip()
        if n.shape == "junction" or (not text and preds > 1):
            return _Info(n, None, None, "junction")
        if not text:
            return _Info(n, None, None, "tensor")  # a feature map drawn as an empty box
        label, rest = split_label(text)
        phrase = parse_phrase(rest, default_padding=self.padding)
        if bare_conv(phrase):  # "3x3, 64": a box with a kernel size and no op word
            phrase = parse_phrase(rest, default_padding=self.padding, default_op="conv{r}d")
            self.findings.append(
                Finding("warning", f"'{text}': no op word; a conv assumed (size, channels)", n.id)
            )
        ops = phrase.ops
        if succs == 0 and preds > 0 and n.shape in ("text", "other") and label and len(ops) == 1:
            return _Info(n, phrase, label, "outname", phrase.layers)  # "softmax0"
        if ops == ("input",):
            return _Info(n, phrase, None, "input", phrase.layers)
        if ops == ("output",):
            return _Info(n, phrase, None, "output", phrase.layers)
        return _Info(n, phrase, label, "layers", phrase.layers)

    def _rank(self, infos: dict[int, _Info]) -> int:
        """Spatial rank of the part: from its ops (conv2d -> 2), else 2 when unknown."""
        for info in infos.values():
            for layer in info.layers:
                rank = OPS[layer.op].spatial_rank if layer.op in OPS else None
                if rank:
                    return rank
        dense_only = all(
            layer.op in ("dense", "dropout", "softmax", "relu", "sigmoid", "tanh", "unknown")
            for info in infos.values()
            for layer in info.layers
        )
        return 0 if dense_only and any(i.layers for i in infos.values()) else 2

    # -- the walk

    def _is_model(self, infos: dict[int, _Info], preds) -> bool:
        """Boxes not understood are reported, each with its id and text; a part whose boxes
        mostly read as no layer (`part_is_model`) is dropped with a warning naming it.
        A source box that names what feeds the figure ("Previous layer") is not counted."""
        boxes = [
            n
            for n in sorted(infos)
            if infos[n].kind == "layers"
            and (preds[n] or any(layer.op != "unknown" for layer in infos[n].layers))
        ]
        ids = set(infos)
        arrows = [
            parse_phrase(t, default_padding=self.padding)
            for (a, b), t in sorted(self.edge_text.items())
            if a in ids and b in ids
        ]
        ok, why = part_is_model([infos[n].phrase for n in boxes] + arrows)
        if ok:
            return True
        for n in boxes:
            if not reads_as_layer(infos[n].phrase):
                text = comment_text(infos[n].node.text, 80)
                self.findings.append(
                    Finding(
                        "warning",
                        f"box {n} {text!r}: not understood as a layer",
                        n,
                        "not-understood",
                    )
                )
        texts = ", ".join(repr(comment_text(infos[n].node.text, 30)) for n in boxes[:4])
        more = ", ..." if len(boxes) > 4 else ""
        self.findings.append(
            Finding(
                "warning",
                f"figure part of {len(infos)} boxes ({texts}{more}) is not a model: "
                f"{why}; dropped",
                min(infos),
                "not-a-model",
            )
        )
        return False

    def run(self, as_block: bool) -> Definition | None:
        ids = set(self.part)
        edges = list(self.d.edges) + side_by_side_edges(self.d, ids)
        ordered = topological(self.part, edges)
        for e in ordered.dropped:
            self.findings.append(
                Finding(
                    "warning",
                    f"arrow {e.src} -> {e.dst} (confidence {e.confidence:.2f}) dropped: "
                    "it closed a cycle",
                    e.dst,
                )
            )
        preds: dict[int, list[int]] = {n: [] for n in ids}
        succs: dict[int, list[int]] = {n: [] for n in ids}
        for e in ordered.edges:
            preds[e.dst].append(e.src)
            succs[e.src].append(e.dst)
        for n in ids:
            preds[n].sort(key=lambda p: self._across(self.d.node(p)))
        infos = {n: self._read(self.d.node(n), len(preds[n]), len(succs[n])) for n in ids}
        for n, info in infos.items():  # "softmax0" names an output only under the same op
            if info.kind == "outname":
                before = infos[preds[n][0]].layers
                if not before or before[-1].op != info.layers[0].op:
                    infos[n] = _Info(info.node, info.phrase, info.label, "layers", info.layers)
        if not self._is_model(infos, preds):
            return None
        rank = self.rank = self._rank(infos)
        self.carried = self._carried_notes(infos, preds, succs)
        crops = {k for k, t in self.edge_text.items() if "center_crop" in parse_phrase(t).ops}
        self.branch = {n for n in ids if in_parallel_branch(n, preds, succs, crops)}
        var = self._names(ordered.order, preds, succs, infos)
        out_of: dict[int, str] = {}
        for n in ordered.order:
            info = infos[n]
            if not preds[n]:
                out_of[n] = self._source(info, var[n], rank, as_block)
                self._size_after(n)
                continue
            if info.kind == "outname":
                out_of[n] = out_of[preds[n][0]]
                continue
            ins = [
                self._edge(p, n, out_of[p], var[n] if len(preds[n]) == 1 else f"e{p}_{n}")
                for p in preds[n]
            ]
            self.before = self._size_before(preds[n], ins)
            out_of[n] = self._node(info, ins, var[n])
            self._size_after(n)
        sinks = [n for n in ordered.order if not succs[n]]
        returns = tuple(Name(out_of[n]) for n in sinks)
        comments = Comments(
            leading=(
                f"# lowered from a {self.d.source.get('parser', 'figure')} diagram by papercc; "
                "holes (?) are what the figure does not say",
                *(
                    (f"# padding '{self.padding}' where the figure marks none",)
                    if self.padding
                    else ()
                ),
                *self.input_comments,
            )
        )
        if self.padded:
            self.findings.append(
                Finding(
                    "note",
                    f"padding {self.padding!r} on {self.padded} layer(s) whose padding the figure "
                    "does not mark (convention: box diagrams keep sizes unless a stride is drawn)",
                    None,
                    "assumed",
                )
            )
        body = (*self.body, Return(returns))
        return Definition(
            "block" if as_block else "model",
            self.name,
            tuple(self.params),
            None,
            body,
            comments=comments,
        )

    def _carried_notes(self, infos, preds, succs) -> dict[int, NoteSize]:
        """Size notes that tell an earlier box's channels: `conv 3x3` -> `ReLU` [28×28×64]
        gives the conv 64 channels, the boxes between keeping the channel count."""
        out: dict[int, NoteSize] = {}
        for n, info in infos.items():
            if n in self.sizes or not any(x.op in OPS and _sized(x.op) for x in info.layers):
                continue
            k = n
            while len(succs[k]) == 1 and len(preds[succs[k][0]]) == 1:
                k = succs[k][0]
                if not infos[k].layers or not all(keeps_channels(x.op) for x in infos[k].layers):
                    break
                if k in self.sizes:
                    out[n] = self.sizes[k]
                    break
            else:
                summed = self._sum_size(k, infos, preds, succs)
                if summed is not None:  # k has no note of its own: the walk stopped at it
                    out[n] = summed
        return out

    def _sum_size(self, k: int, infos, preds, succs) -> NoteSize | None:
        """The channels a sum that `k` feeds states: every input of a sum has its
        channels, so the sum's own size note, or a note on another of its inputs,
        tells them."""
        if len(succs[k]) != 1 or len(preds[succs[k][0]]) < 2:
            return None
        m = succs[k][0]
        info = infos[m]
        text = info.node.text.strip()
        ops = [x.op for x in info.layers]
        if not (ops == ["add"] or text in ("+", "⊕") or (not text and info.node.shape == "circle")):
            return None
        told = [self.sizes.get(m)] + [self.sizes.get(p) for p in preds[m] if p != k]
        size = next((x for x in told if x is not None and x.channels is not None), None)
        return None if size is None else replace(size, text=f"{size.text} at the sum it feeds")

    def _size_before(self, preds: list[int], ins: list[str]) -> tuple[int, ...] | None:
        """The spatial size of a box's one input as the figure states it: the size note
        of the box feeding it, else what the stated input size gives through the layers
        so far (when every input's size is stated)."""
        if len(preds) != 1 or self.rank == 0:
            return None
        if preds[0] in self.spatial_of:
            return self.spatial_of[preds[0]]
        stated = all(
            p.type is not None
            and p.type.dims is not None
            and all(isinstance(d, int) for d in p.type.dims[2:])
            for p in self.params
        )
        if not stated:
            return None
        (t,) = self._probe([ins[0]])
        if t is None or t.shape is None or len(t.shape) != self.rank + 2:
            return None
        dims = tuple(t.shape[2:])
        return dims if all(isinstance(d, int) for d in dims) else None

    def _size_after(self, n: int) -> None:
        size = self.sizes.get(n)
        if size is not None and len(size.spatial) == self.rank and self.rank:
            self.spatial_of[n] = size.spatial

    def _assumed(self, node: DiagramNode, assumed: list[Assumption], what: str = "") -> None:
        for a in assumed:
            text = comment_text(node.text, 60)
            self.findings.append(
                Finding(
                    "note",
                    f"box {node.id} {text!r}: {what}{a.comment()}",
                    node.id,
                    "assumed",
                )
            )

    def _across(self, n: DiagramNode) -> float:
        """Position across the flow: the order of a merge's inputs (left to right)."""
        x = (n.bbox[0] + n.bbox[2]) / 2
        y = (n.bbox[1] + n.bbox[3]) / 2
        return y if self.d.direction in ("right", "left") else x

    def _names(self, order, preds, succs, infos) -> dict[int, str]:
        """Value names: a chain keeps one name (rebound); a branch gets `x<box id>`."""
        var: dict[int, str] = {}
        taken: set[str] = set()
        for n in order:
            ps = preds[n]
            if len(ps) == 1 and len(succs[ps[0]]) == 1:
                if preds[ps[0]] or infos[ps[0]].kind != "input":
                    var[n] = var[ps[0]]
                    continue
            base = "x" if "x" not in taken else f"x{n}"
            if not ps and infos[n].kind == "input":
                base = identifier(infos[n].node.text.split("(")[0], "x")
                base = base if base not in OPS and base not in taken else f"x{n}"
            var[n] = base
            taken.add(base)
        for n in order:  # an output label names the chain that ends in it
            if infos[n].kind == "outname" and len(preds[n]) == 1:
                old, new = var[preds[n][0]], infos[n].label
                if new and new not in taken and new not in OPS and preds[preds[n][0]]:
                    for k in var:
                        if var[k] == old:
                            var[k] = new
                    taken.add(new)
        return var

    # -- sources, merges, layers

    def _source(self, info: _Info, name: str, rank: int, as_block: bool) -> str:
        """A node nothing feeds: a model input (typed), then its layers if it has any."""
        shape = None
        if info.layers and info.layers[0].op == "input":  # "Input (299x299x3)", maybe more
            s = info.layers[0].get("shape")
            shape = tuple(s) if isinstance(s, tuple) else None
        if self.input_shape is not None and not self.params:
            shape = tuple(self.input_shape)
        elif shape is None and self.caption_size and not self.params and rank == 2:
            shape = (None, *self.caption_size)
            self.findings.append(
                Finding(
                    "note",
                    "input size {}x{} from the caption".format(*self.caption_size),
                    info.node.id,
                )
            )
        pname = name if name not in {p.name for p in self.params} else f"{name}{len(self.params)}"
        names_input = info.kind != "layers" or all(x.op == "unknown" for x in info.layers)
        if self.input_shape is None and not as_block and names_input:
            shape, assumed = input_values(
                shape,
                self.sizes.get(info.node.id),
                rank,
                info.node.text,
                self.strict or info.kind != "input",  # an image only where the box says input
            )
            self._assumed(info.node, assumed, "input ")
            self.input_comments += [f"# input {pname}: {a.comment()}" for a in assumed]
        self.before = None
        if shape is not None and len(shape) == rank + 1 and rank:
            dims = tuple(shape[1:])
            if all(isinstance(d, int) and not isinstance(d, bool) for d in dims):
                self.before = self.spatial_of[info.node.id] = dims
        typ = None if as_block else _tensor_type(shape, rank + 2 if shape is None else 0)
        self.params.append(Param(pname, typ))
        if info.kind in ("input", "junction", "output", "tensor"):
            return pname
        layers = info.layers
        if layers and all(layer.op == "unknown" for layer in layers):
            layers = ()  # "Previous layer", "Base": a name for what feeds the figure
        if layers and (_is_merge(layers[0].op) or layers[0].op in _PASS_OPS):
            layers = layers[1:]  # "Filter concat" at the bottom: the previous module's output
        if not layers:
            self.findings.append(
                Finding("note", f"'{info.node.text}' read as the input", info.node.id)
            )
            return pname
        return self._layers(info, layers, pname, name)

    def _node(self, info: _Info, ins: list[str], target: str) -> str:
        layers = info.layers
        if info.kind == "junction":
            return self._merge(info, None, ins, target)
        if info.kind in ("input", "output", "tensor"):
            if len(ins) > 1:
                return self._merge(info, None, ins, target)
            if info.kind == "tensor" and not self.edge_text:
                self.findings.append(Finding("warning", "empty box: passed through", info.node.id))
            return ins[0]
        if layers and _is_merge(layers[0].op):
            if len(ins) > 1:
                current = self._merge(info, layers[0], ins, target)
            else:
                current = ins[0]  # a concat with one input passes it on
            layers = layers[1:]
            return self._layers(info, layers, current, target) if layers else current
        current = ins[0]
        if len(ins) > 1:
            current = self._merge(info, None, ins, target)
            merged = self.body[-1].value
            how = merged.callee if isinstance(merged, Call) else "merge"
            self.findings.append(
                Finding(
                    "warning",
                    f"'{info.node.text}' has {len(ins)} inputs and no merge drawn: {how} "
                    "assumed (from the shapes)",
                    info.node.id,
                )
            )
        return self._layers(info, layers, current, target)

    def _emit(self, target: str, value: Expr, note: str | None = None) -> str:
        trailing = "# " + comment_text(note, 400) if note else None
        self.body.append(Assign((target,), value, Comments(trailing=trailing)))
        return target

    def _label(self, label: str | None) -> str | None:
        if not label or label in self.labels or label in OPS:
            return None
        self.labels.add(label)
        return label

    def _layers(self, info: _Info, layers, current: str, target: str) -> str:
        """Each layer of a box is one call, in order; a stated repeat unrolls ops."""
        node = info.node
        src = provenance(self.d, node)
        phrase_notes = [n for n in (info.phrase.notes if info.phrase else ()) if worth_comment(n)]
        repeat = info.phrase.repeat if info.phrase else 1
        label = info.label
        if len(layers) == 1 and layers[0].op == "block":
            return self._block(info, layers[0], current, target, src, repeat)
        after = self.sizes.get(node.id) if repeat == 1 else None
        sized = [k for k, x in enumerate(layers) if x.op in OPS and _sized(x.op)]
        strided = [k for k, x in enumerate(layers) if _strided(x.op)]
        for r in range(repeat):
            for k, layer in enumerate(layers):
                notes = list(phrase_notes) if (r == 0 and k == 0) else []
                notes += [n for n in layer.notes if worth_comment(n)] if r == 0 else []
                nxt = layers[k + 1].op if k + 1 < len(layers) else None
                facts = _Facts(
                    self.before if strided == [k] else None,
                    after,
                    bool(sized) and sized[-1] == k,
                    strided == [k],
                    self.carried.get(node.id) if repeat == 1 else None,
                )
                current = self._layer(
                    node, layer, current, target, src, self._label(label), notes, nxt, facts
                )
                label = None
        return current

    def _layer(self, node, layer, current, target, src, label, notes, nxt, facts=None) -> str:
        op = layer.op
        if op == "block":
            return self._block(_Info(node, None, None, "layers"), layer, current, target, src, 1)
        if op in _NO_LAYERS:
            return current
        if _is_merge(op):
            return current  # a merge word after the first layer: one input, nothing to merge
        if op == "center_crop":  # cropped to the other input where it is merged
            self.uncropped.add(current)
            self.findings.append(
                Finding("note", f"'{node.text}': crop applied where the map is merged", node.id)
            )
            return current
        if op == "unknown":
            text = comment_text(str(layer.get("text") or node.text), 80)
            self.findings.append(
                Finding(
                    "warning",
                    f"box {node.id} {text!r}: not understood as a layer; written as identity",
                    node.id,
                    "not-understood",
                )
            )
            call = Call("identity", (Name(current),), label=label, src=src)
            return self._emit(target, call, f"NOT UNDERSTOOD: {text}")
        if op == "pool":
            sizes = [v for v in (layer.get("kernel"), layer.get("stride")) if isinstance(v, tuple)]
            rank = len(sizes[0]) if sizes else 2
            layer = Layer(f"maxpool{rank}d", layer.attrs, layer.holes, layer.notes)
            notes = [*notes, "pool type not stated: max assumed"]
            self.findings.append(
                Finding("warning", f"'{node.text}': pool type not stated, max assumed", node.id)
            )
        if layer.op not in OPS:
            self.findings.append(
                Finding("warning", f"'{node.text}': op {layer.op} unknown; identity", node.id)
            )
            call = Call("identity", (Name(current),), label=label, src=src)
            return self._emit(target, call, f"op {layer.op} unknown")
        if layer.op == "dense" and self._rank_of(current) not in (None, 2):
            current = self._emit(
                target, Call("flatten", (Name(current),)), "flatten before fc: not drawn"
            )
        facts = facts or _Facts()
        assumed, holes = implied_values(
            layer,
            before=facts.before,
            after=facts.after,
            owns_channels=facts.owns_channels,
            owns_stride=facts.owns_stride,
            in_branch=node.id in self.branch,
            strict=self.strict,
            carried=facts.carried,
        )
        if "padding" not in {a.attr for a in assumed}:
            self.padded += any("default_padding" in n for n in layer.notes)
        extra: tuple = tuple((a.attr, a.value) for a in assumed)
        extra += tuple((h, HOLE) for h in holes)
        notes = [*notes, *(a.comment() for a in assumed)]
        notes += [f"{h} not drawn" for h in holes]
        if assumed:
            self._assumed(node, assumed)
            said = "; ".join(a.comment() for a in assumed)
            src = (*src, ("assumed", Literal(comment_text(said, 200))))
        if nxt == "batchnorm" and "bias" in OPS[layer.op].attr_map:
            extra = (*extra, ("bias", False))  # the batchnorm's shift replaces the bias
        call, more = layer_call(layer, (Name(current),), label=label, src=src, extra=extra)
        note = "; ".join([*notes, *more]) or None
        return self._emit(target, call, note)

    def _block(self, info, layer, current, target, src, repeat) -> str:
        block = identifier(str(layer.get("name") or "block"), "block")
        if block in OPS:
            block = f"{block}_block"
        if block not in self.block_refs:
            self.block_refs.append(block)
        call = Call(block, (Name(current),), label=self._label(info.label), src=src)
        value: Expr = call if repeat <= 1 else Repeat(Literal(repeat), call)
        note = None if block in self.linked else "body from another figure (stub here)"
        return self._emit(target, value, note)

    def _edge(self, src: int, dst: int, value: str, target: str) -> str:
        """The ops a labelled arrow applies (a legend names arrows by colour, as in U-Net).

        A crop ("copy and crop") needs the tensor it is cropped to: it is applied where the
        copied map meets the other input, at the merge."""
        text = self.edge_text.get((src, dst))
        if not text:
            return value
        phrase = parse_phrase(text, default_padding=self.padding)
        layers = [x for x in phrase.layers if x.op != "center_crop"]
        node = self.d.node(dst)
        src_expr = (
            *[kv for kv in provenance(self.d, node) if kv[0] not in ("box", "bbox", "text")],
            ("arrow", TupleExpr((Literal(src), Literal(dst)))),
            ("text", Literal(comment_text(text, 200))),
        )
        info = _Info(node, phrase, None, "layers", tuple(layers))
        out = value
        for k, layer in enumerate(layers):
            nxt = layers[k + 1].op if k + 1 < len(layers) else None
            if layer.op == "unknown":
                self.findings.append(
                    Finding("warning", f"arrow label not understood: {text!r}", dst)
                )
                continue
            out = self._layer(info.node, layer, out, target, src_expr, None, [], nxt)
        if len(layers) < len(phrase.layers):
            self.uncropped.add(out)
        return out

    # -- shapes at merges

    def _probe(self, values: list[str]) -> list[TensorType | None]:
        """Types of `values` in the model built so far, `?` input sizes replaced by PROBE.

        Incremental: only the statements since the last probe are checked, their free
        names typed as that probe found them, so lowering stays linear in the figure."""
        key = (len(self.body), tuple(values))
        if key in self.probe_cache:
            return self.probe_cache[key]
        for p in self.params:  # inputs met since the last probe
            if p.name not in self.known:
                self.known[p.name] = _probe_type(p.type, self.rank)
        window = self.body[self.probe_at :]
        used = set(values)
        for st in window:
            used |= _names_in(st.value)
        params = tuple(Param(n, t) for n, t in self.known.items() if n in used and t)
        bound = [n for n in self.known if n in used] + [t for st in window for t in st.targets]
        bound = list(dict.fromkeys(bound + list(values)))
        blocks = [self.linked[b] for b in self.block_refs if b in self.linked]
        blocks += [_stub(b) for b in self.block_refs if b not in self.linked]
        probe = Definition(
            "model", "probe", params, None, (*window, Return(tuple(Name(v) for v in bound)))
        )
        res = check_module(Module(tuple(blocks) + (probe,)), holes="warning")
        g = res.graphs.get("probe")
        found = dict(zip(bound, (o.type for o in g.outputs), strict=False)) if g else {}
        for name, t in found.items():
            self.known[name] = _type_expr(t)
        if g is not None:
            self.probe_at = len(self.body)
        types = [found.get(v) for v in values]
        self.probe_cache[key] = types
        return types

    def _rank_of(self, value: str) -> int | None:
        (t,) = self._probe([value])
        return t.rank if t is not None else None

    def _merge(self, info: _Info, layer: Layer | None, ins: list[str], target: str) -> str:
        if len(ins) == 1:
            return ins[0]  # a join that one arrow reaches: nothing to merge
        node = info.node
        src = provenance(self.d, node)
        op = layer.op if layer is not None else None
        crops = [v for v in ins if v in self.uncropped]
        refs = [v for v in ins if v not in self.uncropped]
        if crops and refs:  # copy and crop: crop each copied map to the other input, concat
            cropped = []
            for v in crops:
                call = Call("center_crop", (Name(v), Name(refs[0])), src=src)
                cropped.append(self._emit(f"{v}_crop", call))
            ins = cropped + refs
            op = op or "concat"
            self.findings.append(
                Finding("note", f"join at box {node.id}: copied map cropped, then concat", node.id)
            )
            call = Call(op, tuple(Name(v) for v in ins), src=src)
            return self._emit(target, call, "copy and crop: concatenated")
        types = self._probe(ins)
        decided, projections, note = decide_merge(op, types)
        if projections:
            ins = list(ins)
            for i, (out, stride) in projections.items():
                rank = (types[i].rank or 4) - 2
                pname = f"{target}_proj{i}" if ins[i] == target else f"{ins[i]}_proj"
                kw: list[tuple[str, Expr]] = [("kernel", Literal(1))]
                if stride != 1:
                    kw.append(("stride", value_expr(stride)))
                conv = Call(
                    f"conv{rank}d",
                    (Name(ins[i]), Literal(out) if out else Hole()),
                    tuple(kw),
                    src=src,
                )
                ins[i] = self._emit(
                    pname,
                    conv,
                    "projection shortcut: not drawn, inferred from the shapes "
                    "at this join (1x1 kernel assumed)",
                )
            self.findings.append(
                Finding(
                    "warning",
                    f"join at box {node.id}: inputs of different shapes; "
                    f"{len(projections)} projection(s) inferred (1x1 conv)",
                    node.id,
                )
            )
        if op is None:
            self.findings.append(Finding("note", f"join at box {node.id}: {note}", node.id))
        kwargs = tuple(
            (k, value_expr(v))
            for k, v in (layer.attrs if layer is not None else ())
            if k in OPS[decided].attr_map
        )
        call = Call(decided, tuple(Name(v) for v in ins), kwargs, src=src)
        return self._emit(target, call, note if op is None else None)
