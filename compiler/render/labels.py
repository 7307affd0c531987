"""Box labels for rendered diagrams, in the phrasings papers use.

One drawn box stands for one layer or a short chain (conv + BN + ReLU merged, as papers
draw them). `box_label` writes its text in one of `PHRASINGS` and returns, beside the
text, what the text states: per layer, the op and the attributes written in it. The
layer-phrase reader (`papercc.compiler.phrases.parse_phrase`) reads every phrasing back
to those ops and attributes (tests check it); that is what makes renders usable as
ground truth for the figure readers. A hole (`?`) is written as "?" and not stated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from papercc.ir.registry import OPS
from papercc.ir.values import HOLE

__all__ = ["PHRASINGS", "Label", "box_label", "layer_phrase", "spatial"]

# resnet: "3x3 conv, 64, /2"   caffe: "Conv 3x3, 64, stride 2, pad 1"   vgg: "conv3-64"
# compact: "Conv 3×3/2 (64)"   verbose: "Convolution 3x3 /2 64"
PHRASINGS = ("resnet", "caffe", "vgg", "compact", "verbose")

_SPATIAL_ATTRS = frozenset({"kernel", "stride", "padding", "dilation", "output"})


@dataclass(frozen=True)
class Label:
    """Text of a box and, per layer it stands for, (op, attributes the text states)."""

    text: str
    layers: tuple[tuple[str, tuple[tuple[str, object], ...]], ...]
    readable: bool = True  # False when some layer has no phrase the reader knows


def _known(value: object) -> bool:
    if value is HOLE or value is None:
        return False
    if isinstance(value, tuple):
        return all(_known(v) for v in value)
    return True


def spatial(value: object, rank: int) -> tuple | object:
    """An int or per-dim tuple as one entry per spatial dim (what the reader returns)."""
    if isinstance(value, bool) or not _known(value):
        return value
    if isinstance(value, int):
        return (value,) * rank
    if isinstance(value, tuple) and len(value) == rank:
        return value
    return value


def _rank(op: str) -> int:
    return OPS[op].spatial_rank or 2


def _size(value: object, rank: int, sign: str = "x") -> str:
    """3 -> "3x3"; (1, 7) -> "1x7"; a hole -> "?"."""
    if not _known(value):
        return "?"
    dims = spatial(value, rank)
    if not isinstance(dims, tuple):
        return "?"
    return sign.join(str(d) for d in dims)


def _num(value: object) -> str:
    return str(value) if _known(value) else "?"


def _square(value: object) -> bool:
    return (
        not _known(value)
        or isinstance(value, int)
        or (isinstance(value, tuple) and len(set(value)) == 1)
    )


def _first(value: object) -> object:
    return value[0] if isinstance(value, tuple) else value


def _nondefault(value: object, default: int) -> bool:
    if not _known(value):
        return False
    return any(v != default for v in (value if isinstance(value, tuple) else (value,)))


class _Out:
    """Collects the attributes a phrase states (only known values)."""

    def __init__(self, op: str, phrasing: str) -> None:
        self.op = op
        self.rank = _rank(op)
        self.stated: dict[str, object] = {}
        self.word = ""
        if OPS[op].drawing.forms:
            self.word = OPS[op].drawing.form(PHRASINGS.index(phrasing))

    def state(self, name: str, value: object) -> None:
        if _known(value):
            self.stated[name] = spatial(value, self.rank) if name in _SPATIAL_ATTRS else value


def _stride_text(stride: object, rank: int, how: str) -> str:
    """Stride in a phrasing's form: "/2", "stride 2", "s2"; non-square as "stride 1x2"."""
    if not _square(stride):
        return f"stride {_size(stride, rank)}"
    s = _num(_first(stride))
    return {"slash": f"/{s}", "word": f"stride {s}", "paren": f"(stride {s})"}[how]


def _conv(op: str, a: dict, phrasing: str, out: _Out) -> str:
    """conv{1,2,3}d, conv_transpose*, depthwise_conv2d."""
    rank = out.rank
    k, s = a.get("kernel"), a.get("stride", 1)
    depthwise = "out" not in OPS[op].attr_map  # channels follow the input's
    n = None if depthwise else a.get("out")
    out.state("kernel", k)
    if n is not None:
        out.state("out", n)
    strided = _nondefault(s, 1) or not _known(s)
    if strided:
        out.state("stride", s)
    if rank == 1:  # "3 conv" reads as a count; spell the kernel out (compact's word)
        parts = [OPS[op].drawing.form(PHRASINGS.index("compact")), f"kernel {_num(_first(k))}"]
        if strided:
            parts.append(f"stride {_num(_first(s))}")
        if n is not None:
            parts.append(f"{_num(n)} filters")
        text = ", ".join(parts)
    else:
        ks = _size(k, rank)
        nt = "" if n is None else _num(n)
        slash = _stride_text(s, rank, "slash") if strided else ""
        word = out.word
        if phrasing == "resnet":
            text = ", ".join(p for p in (f"{ks} {word}", nt, slash) if p)
        elif phrasing == "caffe":
            pad = a.get("padding", 0)
            parts = [f"{word} {ks}", nt, _stride_text(s, rank, "word") if strided else ""]
            if isinstance(pad, (int, tuple)) and _nondefault(pad, 0) and _square(pad):
                parts.append(f"pad {_first(pad)}")
                out.state("padding", pad)
            text = ", ".join(p for p in parts if p)
        elif phrasing == "vgg" and _square(k) and _square(s) and _known(k):
            kk = _first(k) if rank == 2 else ks
            text = f"{word}{kk}" + (f"-{nt}" if nt else "") + (slash if strided else "")
            if depthwise:
                text = f"{word} {ks}" + (slash if strided else "")
        elif phrasing == "compact":
            ks = _size(k, rank, "×")
            text = f"{word} {ks}{slash}" + (f" ({nt})" if nt else "")
        else:  # verbose, and vgg for non-square sizes
            if phrasing == "vgg":
                word = OPS[op].drawing.form(PHRASINGS.index("verbose"))
            text = " ".join(p for p in (word, ks, slash, nt) if p)
    for name, default in (("dilation", 1), ("groups", 1)):
        v = a.get(name, default)
        if _nondefault(v, default) and _square(v) and phrasing != "vgg":
            text += f", {name} {_first(v)}"
            out.state(name, v)
    return text


def _pool(op: str, a: dict, phrasing: str, out: _Out) -> str:
    rank, word = out.rank, out.word
    k, s = a.get("kernel"), a.get("stride", a.get("kernel"))
    out.state("kernel", k)
    out.state("stride", s)
    if rank == 1 or not (_square(k) and _square(s)):
        short = OPS[op].drawing.form(0)  # "max pool 3, stride 2"
        if rank == 1:
            return f"{short} {_num(_first(k))}, stride {_num(_first(s))}"
        return f"{short} {_size(k, rank)}, stride {_size(s, rank)}"
    ks, st = _size(k, rank), _num(_first(s))
    if phrasing == "resnet":
        return f"{ks} {word}, /{st}"
    if phrasing == "caffe":
        text = f"{word} {ks}, stride {st}"
        pad = a.get("padding", 0)
        if isinstance(pad, (int, tuple)) and _nondefault(pad, 0) and _square(pad):
            text += f", pad {_first(pad)}"
            out.state("padding", pad)
        return text
    if phrasing == "vgg":
        return f"{word} {ks}/{st}"
    if phrasing == "compact":
        return f"{word} {_size(k, rank, '×')}/{st}"
    return f"{ks} {word} (stride {st})"


# Words for input boxes per phrasing; "{}" is the shape.
_INPUT = ("input {}", "Input {}", "image {}", "Input ({})", "Input image {}")


_OPTIONAL = re.compile(r"\[([^\]]*)\]")


def _simple(op: str, a: dict, phrasing: str, out: _Out) -> str:
    """The op's form for the phrasing: `{}|attr` takes the attribute; a bracketed part is
    left out when the attribute has its default (see `papercc.ir.registry.Drawing`)."""
    template, _, attr = out.word.partition("|")
    if not attr:
        return template
    value = a.get(attr)
    if value == OPS[op].attr_map[attr].default and _OPTIONAL.search(template):
        return _OPTIONAL.sub("", template)  # the usual value is not written
    out.state(attr, value)
    return _OPTIONAL.sub(r"\1", template).format(_num(value))


def _rnn(op: str, a: dict, phrasing: str, out: _Out) -> str:
    word = out.word
    if a.get("bidirectional") is True:
        word = "Bi" + word
        out.state("bidirectional", True)
    out.state("hidden", a.get("hidden"))
    text = f"{word} {_num(a.get('hidden'))}"
    layers = a.get("layers", 1)
    if _nondefault(layers, 1):
        text += f", {layers} layers"
        out.state("layers", layers)
    return text if phrasing != "compact" else text.replace(" ", " (", 1) + ")"


def _scaled(op: str, a: dict, phrasing: str, out: _Out) -> str:
    """Resampling by a factor: the op's form, or "Bilinear upsampling x2" when bilinear."""
    a = {"scale": OPS[op].attr_map["scale"].default, **a}
    if a.get("mode") == "bilinear":
        out.state("scale", a.get("scale"))
        out.state("mode", "bilinear")
        return f"Bilinear upsampling x{_num(a.get('scale'))}"
    return _simple(op, a, phrasing, out)


def _padding(op: str, a: dict, out: _Out) -> str:
    pad, word = a.get("padding"), out.word
    if _known(pad) and _square(pad):
        out.state("padding", _first(pad))
        return f"{word} {_first(pad)}"
    return f"{word} ?" if not _known(pad) else f"{word} {pad}"


def _adaptive(op: str, a: dict, out: _Out) -> str:
    o = a.get("output")
    out.state("output", o)
    return f"{out.word} {_size(o, out.rank)}"


def layer_phrase(op: str, attrs: dict, phrasing: str) -> tuple[str, dict[str, object], bool]:
    """(text, attributes stated, readable) for one layer."""
    if phrasing not in PHRASINGS:
        raise ValueError(f"phrasing must be one of {', '.join(PHRASINGS)}, not {phrasing!r}")
    opdef = OPS[op]
    if not opdef.drawing.forms:  # papers have no common word: its name, not read back
        return op.capitalize(), {}, False
    out, takes, a = _Out(op, phrasing), opdef.attr_map, attrs
    if opdef.category == "convolution":
        text = _conv(op, a, phrasing, out)
    elif "kernel" in takes:  # windowed pooling
        text = _pool(op, a, phrasing, out)
    elif "output" in takes:  # adaptive pooling
        text = _adaptive(op, a, out)
    elif "padding" in takes:
        text = _padding(op, a, out)
    elif opdef.category == "recurrent":
        text = _rnn(op, a, phrasing, out)
    elif "scale" in takes:
        text = _scaled(op, a, phrasing, out)
    else:
        text = _simple(op, a, phrasing, out)
    return text, out.stated, True


def input_phrase(shape: tuple, phrasing: str) -> tuple[str, dict[str, object]]:
    """Label of a model input: "Input 224x224x3" when the shape is known, else "Input"."""
    dims = tuple(shape[1:])
    template = _INPUT[PHRASINGS.index(phrasing)]
    if dims and all(isinstance(d, int) and not isinstance(d, bool) for d in dims):
        if len(dims) == 3 and phrasing in ("resnet", "caffe", "compact"):
            text = "x".join(str(d) for d in (*dims[1:], dims[0]))  # HxWxC, as papers write
        else:
            text = "x".join(str(d) for d in dims)
        if len(dims) == 3 or len(dims) == 1:
            return template.format(text), {"shape": dims}
    return template.replace(" ({})", "").replace(" {}", ""), {}


def box_label(
    layers: list[tuple[str, dict]], phrasing: str, joiner: str = ", ", lower: bool = False
) -> Label:
    """Label of a box standing for `layers` [(op, attrs)], merged with `joiner`."""
    texts, stated, readable = [], [], True
    for op, attrs in layers:
        text, said, ok = layer_phrase(op, attrs, phrasing)
        texts.append(text)
        stated.append((op, tuple(sorted(said.items()))))
        readable = readable and ok
    text = joiner.join(texts)
    if lower:
        text = text.lower()
    return Label(text, tuple(stated), readable)
