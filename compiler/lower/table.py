"""An architecture table (compiler/table_model.ArchTable) -> a DLIR module, one model per
configuration.

Why a pass of its own: tables list layers in order but leave shapes and conventions to the
reader. Each entry's text (and its Filter-shape / patch-size / output-size columns) goes
through `parse_phrase`; output sizes written in the table fix padding and channel counts;
the paper's prose (TextContext) supplies input size, activations, batchnorm, dropout and the
known block a bracketed stack stands for. Every assumption is a comment in the DLIR and a
`Finding`; what nothing says stays a `?` hole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from papercc.compiler.lower.context import TextContext
from papercc.compiler.lower.diagram import Finding
from papercc.compiler.lower.layers import comment_text, value_expr
from papercc.compiler.lower.library import StackLayer, choose, definition
from papercc.compiler.phrases import Layer, parse_phrase
from papercc.compiler.tables.model import ArchTable, Config, Entry
from papercc.ir.check import check_module
from papercc.ir.registry import OPS, REQUIRED, SameAs, ShapeError
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
)
from papercc.ir.types import TensorType
from papercc.ir.values import HOLE

_SIZE3 = re.compile(r"(\d+)\s*[×xX]\s*(\d+)(?:\s*[×xX]\s*(\d+))?")
_INCEPTION_COLS = {
    "c1": re.compile(r"^#?\s*1\s*[×x]\s*1$"),
    "r3": re.compile(r"^#?\s*3\s*[×x]\s*3\s*reduce$"),
    "c3": re.compile(r"^#?\s*3\s*[×x]\s*3$"),
    "r5": re.compile(r"^#?\s*5\s*[×x]\s*5\s*reduce$"),
    "c5": re.compile(r"^#?\s*5\s*[×x]\s*5$"),
    "pool_proj": re.compile(r"^pool\s*proj"),
}
_KERNEL_COLS = re.compile(r"patch|kernel|filter|window", re.I)
_INPUT_COLS = re.compile(r"^input", re.I)
_WEIGHTED = ("conv", "dense", "depthwise")


@dataclass(frozen=True)
class TableLowered:
    """The module, the model made from each configuration header, and what was assumed."""

    module: Module
    models: tuple[tuple[str, str], ...]  # (model name, header text)
    findings: tuple[Finding, ...]
    diagnostics: tuple = ()


def model_name(header: str, taken: set[str]) -> str:
    """A DLIR name from a configuration header: `D`, `A_LRN`, `net_50_layer`."""
    s = re.sub(r"[^A-Za-z0-9_]+", "_", header.strip()).strip("_") or "net"
    if s[0].isdigit():
        s = f"net_{s}"
    if s in OPS or s in ("block", "model", "return", "repeat", "as", "true", "false"):
        s += "_net"
    base, i = s, 1
    while s in taken:
        i += 1
        s = f"{base}_{i}"
    taken.add(s)
    return s


def lower_table(table: ArchTable, ctx: TextContext, source: dict | None = None) -> TableLowered:
    """Lower every configuration of the table into a model of one module."""
    src = dict(source or {})
    findings: list[Finding] = []
    taken: set[str] = set()
    models: list[Definition] = []
    names: list[tuple[str, str]] = []
    blocks: dict[str, Definition] = {}
    for config in table.configs:
        name = model_name(config.name, taken)
        lw = _ConfigLowerer(table, config, ctx, src, name, findings)
        models.append(lw.run())
        names.append((name, config.name))
        for b in lw.blocks:
            blocks.setdefault(b.name, b)
    module = Module(
        tuple(blocks.values()) + tuple(models), filename=str(src.get("file", "<table>"))
    )
    result = check_module(module, holes="warning")
    return TableLowered(module, tuple(names), tuple(findings), tuple(result.diagnostics))


def _num(text: str | None) -> int | None:
    if text is None:
        return None
    m = re.search(r"\d+", text.replace(",", ""))
    return int(m.group()) if m else None


def _size(text: str | None) -> tuple[int, ...] | None:
    """'112×112×64' -> (112, 112, 64); '56×56' -> (56, 56)."""
    if not text:
        return None
    m = _SIZE3.search(text)
    if not m:
        return None
    return tuple(int(g) for g in m.groups() if g is not None)


def _normalised(op: str, given: dict) -> dict:
    attrs = {}
    for a in OPS[op].attrs:
        if a.name in given:
            attrs[a.name] = given[a.name]
        elif a.default is REQUIRED:
            attrs[a.name] = HOLE
        else:
            attrs[a.name] = a.default
    for a in OPS[op].attrs:
        if isinstance(attrs[a.name], SameAs):
            attrs[a.name] = attrs[attrs[a.name].name]
    return attrs


def _infer(op: str, x: TensorType | None, given: dict) -> TensorType | None:
    if x is None:
        return None
    try:
        (out,) = OPS[op].infer([x] * len(OPS[op].inputs), _normalised(op, given))
        return out
    except (ShapeError, ValueError, TypeError):
        return None


class _ConfigLowerer:
    """Builds one model from one configuration (a column, or the whole table)."""

    def __init__(self, table, config: Config, ctx: TextContext, src: dict, name: str, findings):
        self.table, self.config, self.ctx, self.src = table, config, ctx, src
        self.name = name
        self.findings = findings
        self.body: list[Assign] = []
        self.blocks: list[Definition] = []
        self.noted: set[str] = set()
        self.x: TensorType | None = None
        self.pending_comments: list[str] = []
        self.cur = "image"
        self.lists_activations = self._table_lists({"relu", "relu6", "sigmoid", "tanh"})
        self.lists_bn = self._table_lists({"batchnorm"})
        self.lists_dropout = self._table_lists({"dropout"})

    # -- bookkeeping
    def _table_lists(self, ops: set[str]) -> bool:
        for e in self.config.entries:
            for text in (e.text, *e.stack):
                if any(layer.op in ops for layer in parse_phrase(text).layers):
                    return True
        return False

    def note(self, message: str, once: str | None = None) -> None:
        if once is not None:
            if once in self.noted:
                return
            self.noted.add(once)
        self.findings.append(Finding("note", f"{self.name}: {message}"))
        self.pending_comments.append(f"# {comment_text(message, 150)}")

    def src_of(self, entry: Entry, index: int, text: str | None = None):
        out: list[tuple[str, Expr]] = []
        for key in ("file", "page"):
            if self.src.get(key) not in (None, ""):
                out.append((key, value_expr(self.src[key])))
        cap = re.match(r"\s*(Table\s*\d+)", self.table.caption or "", re.I)
        if cap:
            out.append(("table", Literal(cap.group(1))))
        out.append(("config", Literal(comment_text(self.config.name, 60))))
        out.append(("row", Literal(index + 1)))
        out.append(("text", Literal(comment_text(text if text is not None else entry.text, 200))))
        return tuple(out)

    def cur_x(self) -> Name:
        return Name(self.cur)

    def emit(self, expr: Expr, out: TensorType | None) -> None:
        comments = Comments(tuple(self.pending_comments)) if self.pending_comments else Comments()
        self.pending_comments = []
        self.body.append(Assign(("x",), expr, comments))
        self.x = out
        self.cur = "x"

    # -- the model
    def run(self) -> Definition:
        c, h, w = self.input_shape()
        params = (Param("image", TensorTypeExpr("f32", ("N", c, h, w))),)
        self.x = TensorType("f32", ("N", c, h, w))
        entries = list(self.config.entries)
        for i, entry in enumerate(entries):
            if entry.stack:
                self.stack(entry, i)
            else:
                after = entries[i + 1] if i + 1 < len(entries) else None
                self.entry(entry, i, last=i == len(entries) - 1, next_input=_input_size(after))
        comments = self.pending_comments
        self.pending_comments = []
        body: list = list(self.body)
        body.append(Return((self.cur_x(),), Comments(tuple(comments))))
        if not self.body:
            body = [Return((Name("image"),))]
        header = (
            f"# {comment_text(self.table.caption or 'table', 150)}",
            f"# configuration: {comment_text(self.config.name, 80)}",
        )
        return Definition("model", self.name, params, None, tuple(body), Comments(header))

    def input_shape(self) -> tuple:
        for e in self.config.entries[:1]:
            for key, value in e.extra:
                if _INPUT_COLS.search(key) and (size := _size(value)) and len(size) == 3:
                    return size[2], size[0], size[1]
        ctx = self.ctx
        if ctx.input_hw is None:
            self.note("input size: not given by the table or the text (holes)", once="input")
            return None, None, None
        channels = ctx.input_channels
        if channels is None:
            channels = 3
            self.note("assumed 3 input channels: an image, and the text does not say", "ch")
        self.note(f"input {ctx.input_hw[0]}x{ctx.input_hw[1]} from the text", once="input")
        return channels, ctx.input_hw[0], ctx.input_hw[1]

    # -- one row
    def entry(self, entry: Entry, index: int, last: bool, next_input=None) -> None:
        """One row; its output size is the table's, or else the next row's input size."""
        default_op = "conv2d" if self.table.orientation == "stages" else None
        phrase = parse_phrase(entry.text, default_op=default_op)
        layers = list(phrase.layers)
        extra = dict(entry.extra)
        if not phrase.recognised or not layers or any(layer.op == "unknown" for layer in layers):
            self.note(f"row {index + 1} {entry.text!r} not understood: skipped")
            return
        repeat = max(entry.repeat, phrase.repeat, 1)
        target = _size(entry.output_size) or next_input
        for r in range(repeat):
            for j, layer in enumerate(layers):
                is_last = last and j == len(layers) - 1 and r == repeat - 1
                self.layer(layer, entry, index, extra, target, is_last)

    def layer(self, layer: Layer, entry, index, extra, target, is_last) -> None:
        op = layer.op
        attrs = dict(layer.attrs)
        if op == "block":
            self.block_layer(layer, entry, index, extra)
            return
        if op == "pool":
            op = "maxpool2d" if "max" in entry.text.lower() else "avgpool2d"
        if op in ("input", "output"):
            return
        if op not in OPS:
            self.note(f"row {index + 1}: {op} is not an op; skipped")
            return
        # columns that describe the layer: patch size / filter shape, output size
        for key, value in extra.items():
            if _KERNEL_COLS.search(key):
                more = parse_phrase(value, default_op=op)
                for ml in more.layers:
                    for k, v in ml.attrs:
                        if k in OPS[op].attr_map and (k not in attrs or k == "out"):
                            attrs[k] = v
        if entry.stride and "stride" in OPS[op].attr_map and "stride" not in attrs:
            attrs["stride"] = (entry.stride, entry.stride)
        if op == "conv2d" and "#3×3 reduce" in extra and _num(extra.get("#3×3 reduce")):
            reduce = _num(extra["#3×3 reduce"])
            self.conv(dict(kernel=(1, 1), out=reduce), entry, index, None, f"{entry.text} (reduce)")
        if op in ("conv2d", "depthwise_conv2d"):
            if "out" not in attrs and target and len(target) == 3:
                attrs["out"] = target[2]
            self.conv(attrs, entry, index, target, op=op)
            return
        if op in ("maxpool2d", "avgpool2d"):
            self.pool(op, attrs, entry, index, target)
            return
        if op == "dense":
            self.dense(attrs, entry, index, target, is_last)
            return
        out = _infer(op, self.x, attrs)
        self.emit(self.call(op, attrs, entry, index), out)

    def call(self, op, attrs, entry, index, inputs=None, text=None) -> Call:
        kwargs = []
        for a in OPS[op].attrs:
            if a.name in attrs:
                kwargs.append((a.name, value_expr(attrs[a.name])))
            elif a.required:
                kwargs.append((a.name, Hole()))
        return Call(
            op, inputs or (self.cur_x(),), tuple(kwargs), src=self.src_of(entry, index, text)
        )

    def conv(self, attrs, entry, index, target, text=None, op="conv2d") -> None:
        attrs = dict(attrs)
        kernel = attrs.get("kernel", HOLE)
        k = kernel[0] if isinstance(kernel, tuple) else kernel
        if "padding" not in attrs:
            attrs["padding"] = self.padding(op, attrs, target, k)
        bn = self.ctx.has("batchnorm") and not self.lists_bn
        if bn:
            attrs["bias"] = False
        out = _infer(op, self.x, attrs)
        expr: Expr = self.call(op, attrs, entry, index, text=text)
        if bn:
            self.note("batchnorm after every conv: the text says batch normalization", "bn")
            expr = Call("batchnorm", (expr,))
        if self.ctx.has("relu") and not self.lists_activations:
            self.note("ReLU after every conv and hidden dense layer: the text says so", "relu")
            expr = Call("relu", (expr,))
        self.emit(expr, out)

    def padding(self, op, attrs, target, k):
        """Padding that makes the layer's output match the table; else keep the size.

        When no padding fits but stride 1 does (a table's stride contradicting its own
        sizes), the sizes win: they are repeated in several rows; the stride once."""
        candidates = []
        if isinstance(k, int):
            candidates = [k // 2, 0] + [p for p in range(1, k) if p != k // 2]
        if target and isinstance(k, int):
            for p in candidates:
                out = _infer(op, self.x, {**attrs, "padding": p})
                if out is not None and out.shape and tuple(out.shape[2:4]) == tuple(target[:2]):
                    return p
            stride = attrs.get("stride")
            if stride not in (None, 1, (1, 1)):
                out = _infer(op, self.x, {**attrs, "stride": (1, 1), "padding": k // 2})
                if out is not None and out.shape and tuple(out.shape[2:4]) == tuple(target[:2]):
                    attrs["stride"] = (1, 1)
                    self.note(
                        f"stride {stride[0] if isinstance(stride, tuple) else stride} contradicts "
                        f"the sizes ({self.x.shape[2]} -> {target[0]}); used stride 1"
                    )
                    return k // 2
        if isinstance(k, int):
            self.note(
                f"padding {k // 2} for {k}x{k} layers the table gives no output size for "
                "(spatial size kept, the usual convention)",
                once=f"pad{k}",
            )
            return k // 2
        return HOLE

    def pool(self, op, attrs, entry, index, target) -> None:
        attrs = dict(attrs)
        if target and target[:2] == (1, 1) and "kernel" not in attrs:
            self.emit(
                Call(
                    "globalavgpool" if op == "avgpool2d" else "globalmaxpool",
                    (self.cur_x(),),
                    src=self.src_of(entry, index),
                ),
                _infer("globalavgpool", self.x, {}),
            )
            return
        if "kernel" not in attrs:
            if self.ctx.pool_window is not None:
                k, s = self.ctx.pool_window
                attrs["kernel"] = (k, k)
                attrs.setdefault("stride", (s, s))
                self.note(f"{k}x{k} pooling, stride {s}: from the text", "pool")
            elif target and self._halves(target):
                attrs["kernel"] = (2, 2)
                attrs.setdefault("stride", (2, 2))
                self.note("2x2 pooling, stride 2: the table's output size halves", "pool")
            else:
                attrs["kernel"] = HOLE
        if "padding" not in attrs and target and isinstance(attrs["kernel"], tuple):
            k = attrs["kernel"][0]
            for ceil in (False, True):  # padding before ceil mode: the commoner convention
                for p in range(0, k // 2 + 1):
                    out = _infer(op, self.x, {**attrs, "padding": p, "ceil_mode": ceil})
                    if out is not None and out.shape and tuple(out.shape[2:4]) == tuple(target[:2]):
                        if p:
                            attrs["padding"] = p
                        if ceil:
                            attrs["ceil_mode"] = True
                        break
                else:
                    continue
                break
        out = _infer(op, self.x, attrs)
        self.emit(self.call(op, attrs, entry, index), out)

    def _halves(self, target) -> bool:
        shape = self.x.shape if self.x else None
        return bool(shape and isinstance(shape[2], int) and shape[2] == 2 * target[0])

    def dense(self, attrs, entry, index, target, is_last) -> None:
        attrs = dict(attrs)
        if "units" not in attrs and target:
            attrs["units"] = target[-1]
        if "units" not in attrs and is_last and self.ctx.classes:
            attrs["units"] = self.ctx.classes
            self.note(f"{self.ctx.classes} classes from the text", "classes")
        if self.x is not None and self.x.rank is not None and self.x.rank > 2:
            out = _infer("flatten", self.x, {})
            self.emit(Call("flatten", (self.cur_x(),)), out)
        out = _infer("dense", self.x, attrs)
        expr: Expr = self.call("dense", attrs, entry, index)
        hidden = not is_last and not self._next_is_classifier(entry)
        if hidden and self.ctx.has("relu") and not self.lists_activations:
            expr = Call("relu", (expr,))
        self.emit(expr, out)
        if hidden and self.ctx.dropout and not self.lists_dropout:
            self.note(
                f"dropout {self.ctx.dropout} after hidden dense layers: the text says so", "drop"
            )
            self.emit(
                Call("dropout", (self.cur_x(),), (("rate", Literal(float(self.ctx.dropout))),)), out
            )

    def _next_is_classifier(self, entry: Entry) -> bool:
        entries = list(self.config.entries)
        i = entries.index(entry)
        rest = [layer.op for e in entries[i + 1 :] for layer in parse_phrase(e.text).layers]
        return not any(op == "dense" for op in rest)

    # -- named blocks and stacks
    def block_layer(self, layer: Layer, entry: Entry, index: int, extra: dict) -> None:
        name = str(dict(layer.attrs).get("name", "block"))
        args = {k: None for k in _INCEPTION_COLS}
        for key, value in extra.items():
            for arg, rx in _INCEPTION_COLS.items():
                if rx.match(
                    key.strip().lower().replace("x", "×").replace("×", "x").replace("x", "×")
                ) or rx.match(key.strip().lower()):
                    args[arg] = _num(value)
        if name == "inception" and any(v is not None for v in args.values()):
            d = definition("inception")
            if d not in self.blocks:
                self.blocks.append(d)
            self.note(
                "inception rows use the library's Inception module (four branches, concat)", "incep"
            )
            call = Call(
                "inception",
                (self.cur_x(),) + tuple(value_expr(args[k]) for k in _INCEPTION_COLS),
                label=_label(dict(layer.attrs).get("variant"), "inception"),
                src=self.src_of(entry, index),
            )
            total = (
                sum(args[k] for k in ("c1", "c3", "c5", "pool_proj") if args[k])
                if all(args[k] for k in ("c1", "c3", "c5", "pool_proj"))
                else None
            )
            shape = self.x.shape if self.x is not None else None
            out = TensorType("f32", (shape[0], total, *shape[2:])) if shape else None
            self.emit(call, out)
            return
        self.note(f"row {index + 1}: block {name!r} is not in the library of known blocks: skipped")

    def stack(self, entry: Entry, index: int) -> None:
        default_op = "conv2d"
        lines = [parse_phrase(t, default_op=default_op) for t in entry.stack]
        flat = [p.layers[0] for p in lines if p.layers]
        stack = [_stack_layer(layer) for layer in flat]
        choice = choose(stack, self.ctx)
        label = (entry.row_label or f"stage{index + 1}").replace("_x", "")
        if choice is None:
            self.plain_stack(entry, index, label)
            return
        self.note(f"{entry.row_label or 'stage'}: {choice.block} — {choice.why}")
        target = _size(entry.output_size)
        shape = self.x.shape if self.x is not None else None
        stride = 1
        if target and shape and isinstance(shape[2], int) and shape[2] == 2 * target[0]:
            stride = 2
        out_channels = choice.args[-1]
        changes = stride != 1 or (shape is not None and shape[1] != out_channels)
        for r in range(max(entry.repeat, 1)):
            first = r == 0 and changes
            name = choice.projected if first else choice.block
            d = definition(name)
            if d not in self.blocks:
                self.blocks.append(d)
            args = tuple(value_expr(a) for a in choice.args)
            kwargs = (("stride", Literal(stride)),) if first and stride != 1 else ()
            call = Call(
                name,
                (self.cur_x(),) + args,
                kwargs,
                label=f"{label}_{r + 1}",
                src=self.src_of(entry, index),
            )
            out = None
            if shape is not None:
                hw = tuple(d // stride if isinstance(d, int) and first else d for d in shape[2:])
                out = TensorType("f32", (shape[0], out_channels, *hw))
            self.emit(call, out)
            shape = out.shape if out is not None else None

    def plain_stack(self, entry: Entry, index: int, label: str) -> None:
        """A repeated stack no known block explains: a block of its own, repeated."""
        children = entry.children or tuple(Entry(t) for t in entry.stack)
        saved_body, saved_x, saved_cur = self.body, self.x, self.cur
        self.body = []
        self.cur = "x"
        for child in children:
            self.entry(child, index, last=False)
        inner, self.body = self.body, saved_body
        x_after = self.x
        self.cur = saved_cur
        if not inner:
            self.x = saved_x
            return
        block_name = f"{self.name}_{label}"
        body = tuple(inner) + (Return((Name("x"),)),)  # the block's own value, not the caller's
        d = Definition("block", block_name, (Param("x"),), None, body)
        self.blocks.append(d)
        call = Call(block_name, (self.cur_x(),), src=self.src_of(entry, index))
        repeat = max(entry.repeat, 1)
        expr: Expr = (
            Repeat(Literal(repeat), Call(block_name, (self.cur_x(),), label=label, src=call.src))
            if repeat > 1
            else call
        )
        self.x = saved_x
        self.emit(expr, x_after)


def _stack_layer(layer: Layer) -> StackLayer:
    attrs = dict(layer.attrs)
    kernel = attrs.get("kernel")
    return StackLayer(kernel[0] if isinstance(kernel, tuple) else None, attrs.get("out"), layer.op)


def _input_size(entry: Entry | None) -> tuple[int, ...] | None:
    """An "Input Size" column of a row, as (H, W, C)."""
    if entry is None:
        return None
    if entry.children:
        entry = entry.children[0]
    for key, value in entry.extra:
        if _INPUT_COLS.search(key):
            size = _size(value)
            if size and len(size) == 3:
                return size
    return None


def _label(variant, base: str) -> str | None:
    if not variant:
        return None
    s = re.sub(r"[^A-Za-z0-9_]+", "_", str(variant)).strip("_")
    return f"{base}_{s}" if s else None
