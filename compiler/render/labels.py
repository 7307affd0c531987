"""Box labels for rendered diagrams, in the phrasings papers use.

One drawn box stands for one layer or a short chain (conv + BN + ReLU merged, as papers
draw them). `box_label` writes its text in one of `PHRASINGS` and returns, beside the
text, what the text states: per layer, the op and the attributes written in it. The
layer-phrase reader (`papercc.compiler.phrases.parse_phrase`) reads every phrasing back
to those ops and attributes (tests check it); that is what makes renders usable as
ground truth for the figure readers. A hole (`?`) is written as "?" and not stated.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    return int(op[-2]) if op[-1:] == "d" and op[-2:-1] in "123" else 2


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

    def __init__(self, op: str) -> None:
        self.op = op
        self.rank = _rank(op)
        self.stated: dict[str, object] = {}

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
    depthwise = op == "depthwise_conv2d"
    transpose = op.startswith("conv_transpose")
    n = None if depthwise else a.get("out")
    out.state("kernel", k)
    if n is not None:
        out.state("out", n)
    strided = _nondefault(s, 1) or not _known(s)
    if strided:
        out.state("stride", s)
    if rank == 1:  # "3 conv" reads as a count; spell the kernel out
        word = {True: "Depthwise conv", False: "Deconv" if transpose else "Conv"}[depthwise]
        parts = [word, f"kernel {_num(_first(k))}"]
        if strided:
            parts.append(f"stride {_num(_first(s))}")
        if n is not None:
            parts.append(f"{_num(n)} filters")
        text = ", ".join(parts)
    else:
        ks = _size(k, rank)
        nt = "" if n is None else _num(n)
        slash = _stride_text(s, rank, "slash") if strided else ""
        if phrasing == "resnet":
            word = "dw conv" if depthwise else ("deconv" if transpose else "conv")
            text = ", ".join(p for p in (f"{ks} {word}", nt, slash) if p)
        elif phrasing == "caffe":
            word = "Depthwise Conv" if depthwise else ("ConvTranspose" if transpose else "Conv")
            pad = a.get("padding", 0)
            parts = [f"{word} {ks}", nt, _stride_text(s, rank, "word") if strided else ""]
            if isinstance(pad, (int, tuple)) and _nondefault(pad, 0) and _square(pad):
                parts.append(f"pad {_first(pad)}")
                out.state("padding", pad)
            text = ", ".join(p for p in parts if p)
        elif phrasing == "vgg" and _square(k) and _square(s) and _known(k):
            word = "conv dw" if depthwise else ("deconv" if transpose else "conv")
            kk = _first(k) if rank == 2 else ks
            text = f"{word}{kk}" + (f"-{nt}" if nt else "") + (slash if strided else "")
            if depthwise:
                text = f"conv dw {ks}" + (slash if strided else "")
        elif phrasing == "compact":
            word = "DW Conv" if depthwise else ("Deconv" if transpose else "Conv")
            ks = _size(k, rank, "×")
            text = f"{word} {ks}{slash}" + (f" ({nt})" if nt else "")
        else:  # verbose, and vgg for non-square sizes
            word = (
                "Depthwise convolution"
                if depthwise
                else ("Transposed convolution" if transpose else "Convolution")
            )
            text = " ".join(p for p in (word, ks, slash, nt) if p)
    for name, default in (("dilation", 1), ("groups", 1)):
        v = a.get(name, default)
        if _nondefault(v, default) and _square(v) and phrasing != "vgg":
            text += f", {name} {_first(v)}"
            out.state(name, v)
    return text


def _pool(op: str, a: dict, phrasing: str, out: _Out) -> str:
    rank = out.rank
    kind = "max" if op.startswith("max") else "avg"
    k, s = a.get("kernel"), a.get("stride", a.get("kernel"))
    out.state("kernel", k)
    out.state("stride", s)
    if rank == 1 or not (_square(k) and _square(s)):
        text = f"{kind} pool {_size(k, rank)}, stride {_size(s, rank)}"
        if rank == 1:
            text = f"{kind} pool {_num(_first(k))}, stride {_num(_first(s))}"
        return text
    ks, st = _size(k, rank), _num(_first(s))
    if phrasing == "resnet":
        return f"{ks} {kind} pool, /{st}"
    if phrasing == "caffe":
        text = f"{kind.title()}Pool {ks}, stride {st}"
        if kind == "avg":
            text = f"Avg Pool {ks}, stride {st}"  # "AvgPool" reads as GAP
        pad = a.get("padding", 0)
        if isinstance(pad, (int, tuple)) and _nondefault(pad, 0) and _square(pad):
            text += f", pad {_first(pad)}"
            out.state("padding", pad)
        return text
    if phrasing == "vgg":
        return f"{kind}pool {ks}/{st}" if kind == "max" else f"avg pool {ks}/{st}"
    if phrasing == "compact":
        return f"{'MaxPool' if kind == 'max' else 'Avg Pool'} {_size(k, rank, '×')}/{st}"
    return f"{ks} {'MaxPool' if kind == 'max' else 'Avg Pool'} (stride {st})"


# Ops read without attributes or with one number, per phrasing:
# (resnet, caffe, vgg, compact, verbose); "{}" takes the attribute named after the "|".
_SIMPLE = {
    "globalavgpool": (
        "global avg pool",
        "Global Avg Pool",
        "GAP",
        "GlobalAvgPool",
        "Global average pooling",
    ),
    "globalmaxpool": (
        "global max pool",
        "Global Max Pool",
        "GMP",
        "Global Max Pool",
        "Global max pooling",
    ),
    "dense": (
        "fc {}|units",
        "FC {}|units",
        "FC-{}|units",
        "Dense ({})|units",
        "Fully connected {}|units",
    ),
    "flatten": ("flatten", "Flatten", "flatten", "Flatten", "Flatten"),
    "dropout": (
        "dropout {}|rate",
        "Dropout {}|rate",
        "dropout {}|rate",
        "Dropout ({})|rate",
        "Dropout, p={}|rate",
    ),
    "batchnorm": ("BN", "BatchNorm", "BN", "BatchNorm", "Batch normalization"),
    "layernorm": ("LN", "LayerNorm", "LN", "LayerNorm", "Layer normalization"),
    "groupnorm": (
        "GN {}|groups",
        "GroupNorm {}|groups",
        "GN {}|groups",
        "GroupNorm {}|groups",
        "Group norm, {} groups|groups",
    ),
    "lrn": (
        "LRN {}|size",
        "LRN {}|size",
        "LRN {}|size",
        "LRN {}|size",
        "Local response norm, size {}|size",
    ),
    "relu": ("relu", "ReLU", "ReLU", "ReLU", "ReLU"),
    "relu6": ("relu6", "ReLU6", "ReLU6", "ReLU6", "ReLU6"),
    "leaky_relu": (
        "leaky relu {}|alpha",
        "LeakyReLU {}|alpha",
        "lrelu {}|alpha",
        "Leaky ReLU ({})|alpha",
        "Leaky ReLU {}|alpha",
    ),
    "prelu": ("prelu", "PReLU", "PReLU", "PReLU", "PReLU"),
    "elu": ("elu", "ELU", "ELU", "ELU", "ELU"),
    "selu": ("selu", "SELU", "SELU", "SELU", "SELU"),
    "gelu": ("gelu", "GELU", "GELU", "GELU", "GELU"),
    "sigmoid": ("sigmoid", "Sigmoid", "sigmoid", "Sigmoid", "Sigmoid"),
    "tanh": ("tanh", "Tanh", "tanh", "Tanh", "Tanh"),
    "softmax": ("softmax", "Softmax", "soft-max", "Softmax", "Softmax"),
    "log_softmax": ("log softmax", "LogSoftmax", "log softmax", "LogSoftmax", "Log softmax"),
    "silu": ("silu", "SiLU", "swish", "Swish", "SiLU"),
    "hardswish": ("h-swish", "Hardswish", "h-swish", "H-Swish", "Hard swish"),
    "hardsigmoid": ("h-sigmoid", "Hardsigmoid", "h-sigmoid", "H-Sigmoid", "Hard sigmoid"),
    "concat": ("concat", "Concat", "Filter concat", "DepthConcat", "Concatenation"),
    "add": ("+", "Add", "Sum", "+", "Element-wise sum"),
    "mul": ("mul", "Multiply", "Mul", "Multiply", "Element-wise product"),
    "identity": ("identity", "Identity", "identity", "Identity", "Identity"),
    "reshape": ("reshape", "Reshape", "reshape", "Reshape", "Reshape"),
    "center_crop": ("crop", "Crop", "copy and crop", "Center crop", "Copy and crop"),
    "embedding": (
        "embedding {}|dim",
        "Embedding {}|dim",
        "embed {}|dim",
        "Embedding ({})|dim",
        "Embedding {}|dim",
    ),
    "attention": (
        "MHA {}|heads",
        "Multi-head attention, {} heads|heads",
        "MHA {}|heads",
        "Attention ({} heads)|heads",
        "Multi-head self-attention, {} heads|heads",
    ),
}
# Ops the reader has no word for: drawn with their name, not round-trippable.
_UNREADABLE = {"transpose": "Transpose", "split": "Split", "resize": "Resize"}
# Words for input boxes per phrasing; "{}" is the shape.
_INPUT = ("input {}", "Input {}", "image {}", "Input ({})", "Input image {}")


def _simple(op: str, a: dict, phrasing: str, out: _Out) -> str:
    form = _SIMPLE[op][PHRASINGS.index(phrasing)]
    template, _, attr = form.partition("|")
    if not attr:
        return template
    value = a.get(attr)
    if op == "lrn" and value == 5:  # the default size is usually not written
        return template.replace(" {}", "").replace(", size {}", "")
    out.state(attr, value)
    return template.format(_num(value))


def _rnn(op: str, a: dict, phrasing: str, out: _Out) -> str:
    word = op.upper()
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


def _upsample(a: dict, phrasing: str, out: _Out) -> str:
    scale, mode = a.get("scale", 2), a.get("mode", "nearest")
    out.state("scale", scale)
    if mode == "bilinear":
        out.state("mode", "bilinear")
        return f"Bilinear upsampling x{_num(scale)}"
    return {
        "resnet": "upsample x{}",
        "caffe": "Upsample x{}",
        "vgg": "{}x upsample",
        "compact": "Upsampling (x{})",
        "verbose": "Upsample {}x",
    }[phrasing].format(_num(scale))


def _zeropad(op: str, a: dict, out: _Out) -> str:
    pad = a.get("padding")
    if _known(pad) and _square(pad):
        out.state("padding", _first(pad))
        return f"ZeroPad {_first(pad)}"
    return "ZeroPad ?" if not _known(pad) else f"ZeroPad {pad}"


def _adaptive(op: str, a: dict, out: _Out) -> str:
    kind = "max" if "max" in op else "avg"
    o = a.get("output")
    out.state("output", o)
    return f"Adaptive {kind} pool {_size(o, out.rank)}"


def layer_phrase(op: str, attrs: dict, phrasing: str) -> tuple[str, dict[str, object], bool]:
    """(text, attributes stated, readable) for one layer."""
    if phrasing not in PHRASINGS:
        raise ValueError(f"phrasing must be one of {', '.join(PHRASINGS)}, not {phrasing!r}")
    out = _Out(op)
    family = op.rstrip("d").rstrip("123") if op[-1:] == "d" else op
    if family in ("conv", "conv_transpose") or op == "depthwise_conv2d":
        text = _conv(op, attrs, phrasing, out)
    elif family in ("maxpool", "avgpool"):
        text = _pool(op, attrs, phrasing, out)
    elif family in ("adaptive_avgpool", "adaptive_maxpool"):
        text = _adaptive(op, attrs, out)
    elif family == "zeropad":
        text = _zeropad(op, attrs, out)
    elif op in ("lstm", "gru"):
        text = _rnn(op, attrs, phrasing, out)
    elif op == "upsample":
        text = _upsample(attrs, phrasing, out)
    elif op in _SIMPLE:
        text = _simple(op, attrs, phrasing, out)
    else:
        return _UNREADABLE.get(op, op), {}, False
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
