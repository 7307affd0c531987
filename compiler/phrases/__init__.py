"""Layer phrases: the text of one diagram box or table cell -> registry ops.

Papers label layers in a loose shorthand ("3x3 conv, 64, /2", "conv3-64",
"Conv dw / s2", "3×3 MaxPool (stride 2 V)", "1000D fully-connected, softmax"),
often read back through OCR.  `parse_phrase` turns one such text into a `Phrase`:
a tuple of `Layer`s, each naming a DLIR registry op (or one of the special kinds
below) with the attributes the text states, the required attributes it leaves
open (`holes`), and notes on every reading that is not literal.

Three steps, each driven by data rather than one-off patterns:

1. `normalise`: ASCII, lower case, times signs -> "x", unicode dashes -> "-",
   OCR digit confusions inside numbers (O->0, l/I/|->1) and letters inside
   words ("c0nv"), spaced sizes made compact ("3 × 3" -> "3x3", "572²" ->
   "572x572"), GoogLeNet's "3x3+2(S)" glued, brackets balanced.
2. `grammar/phrase.lark` (LALR, basic lexer, conflict-free): types the pieces -
   sizes, strides ("/2", "s2"), keys ("stride", "keep"), numbers, words,
   separators, bracket groups.  Every normalised string is a sentence.
3. Here: a leading "name:" label is dropped (`_drop_label`); runs of words are
   matched (longest first, spaces optional, one OCR edit tolerated in long
   words that are no known name) against `_SYNONYM_TABLE` to find ops - a key
   word ending a name is part of it ("zero pad 1"), a rank suffix glued to a
   name sets the rank ("MaxPool3D"); every other piece goes to the op it is
   written next to (after it, else before it, else the nearest op that takes
   it), as `_READING` and the op registry say.

Reading rules worth knowing: a lone number sets the op's `number` attribute
("conv 3" -> out 3); two bare numbers fill the op's `pair` in the registry's
order ("Embedding 10000, 512" -> num, dim), for convs only when the first is a
small odd kernel size 1..11 and no kernel is stated ("Conv 3, 64" -> kernel 3,
out 64; "Conv 64, 128" clashes).  A 3-part conv size at rank 2 is a filter
shape k x k x C, like the 4-part k x k x Cin x Cout: C is noted (input channels
when the output count is written too); a cube such as "3x3x3" notes that only
rank=3 makes it a 3D kernel.  "Linear" in brackets after an op with weights
("1x1 Conv (896 Linear)") means no activation (a note), not a dense layer.

Special kinds besides registry ops: "input"/"output" (attr shape, channels
first, channel count `phrase_hole` when unstated), "block" (a named block such
as "inception_a", "mbconv"; lowering decides what it is), "pool" (pooling of
unstated type; pass default_pool to decide) and "unknown" (attr text: the words
not understood).  Nothing is guessed silently: every non-literal reading leaves
a note, and a phrase with unknown words, clashing values or no op word at all
has recognised=False.

Attribute values: kernel, stride, dilation and numeric padding are tuples with
one entry per spatial dim; padding may also be "same"/"valid"; dropout rate is
a float.  Registry ops get only registry attributes (facts such as the input
channels of a filter shape go to notes).  `attrs` and `holes` are sorted by name.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from lark import Lark, Transformer, v_args
from lark.exceptions import LarkError

from papercc.ir.registry import OPS
from papercc.ir.values import HOLE as phrase_hole  # the one place the sentinel comes from

HOLE = phrase_hole

__all__ = ["HOLE", "Layer", "Phrase", "normalise", "parse_phrase", "phrase_hole"]


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Layer:
    """One op read from a phrase; attrs and holes sorted by name."""

    op: str
    attrs: tuple[tuple[str, object], ...] = ()
    holes: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def get(self, name: str, default: object = None) -> object:
        for key, value in self.attrs:
            if key == name:
                return value
        return default

    @property
    def attr_dict(self) -> dict[str, object]:
        return dict(self.attrs)


@dataclass(frozen=True)
class Phrase:
    """The layers one box or cell describes, in data-flow order.

    `repeat` is a stated repetition of the whole phrase ("5x Conv dw / s1",
    "[...] x2"); `notes` are phrase-level remarks (e.g. words not understood);
    `label` is a leading "name:" (normalised, or None): "conv1" of "conv1: 7x7
    conv, 64", "s2" of LeNet's "S2: 2x2 avg pool" - not read as a layer, unless
    it is the only op word ("fc7: 4096" is a dense labelled fc7).
    """

    layers: tuple[Layer, ...]
    text: str
    recognised: bool
    repeat: int = 1
    notes: tuple[str, ...] = ()
    normalised: str = field(default="", compare=False)
    label: str | None = None

    @property
    def ops(self) -> tuple[str, ...]:
        return tuple(layer.op for layer in self.layers)


# ---------------------------------------------------------------- data tables


@dataclass(frozen=True)
class _Spec:
    """What a synonym names: an op template ({r} = spatial rank) and fixed attrs."""

    op: str
    fixed: tuple[tuple[str, object], ...] = ()
    letter_suffix: bool = False  # block names taking a letter: "Inception-A"


# One line per op: `op [attr=value ...] [letter]: synonym | synonym | ...`.
# {r} in an op is the spatial rank; "letter" marks block names that take a
# letter ("Inception-A" -> inception_a).  Words are matched with spaces removed,
# so "max pool", "maxpool" and "Max-Pool" are one entry; longest match wins.
_SYNONYM_TABLE = """
conv{r}d: conv | convolution | convolutional | convolutions
conv1d: conv1d | convolution1d | 1d conv | 1d convolution
conv2d: conv2d | convolution2d | 2d conv | 2d convolution
conv3d: conv3d | convolution3d | 3d conv | 3d convolution
conv2d kernel=(1,1): pw | conv pw | pw conv | pointwise | pointwise conv | pointwise convolution
depthwise_conv2d: dw | conv dw | dw conv | depthwise | depthwise conv | depth wise conv
  | depthwise convolution | depth wise convolution
conv_transpose{r}d: deconv | deconvolution | transposed conv | transposed convolution
  | conv transpose | transpose conv | transpose convolution | fractionally strided conv
  | fractionally strided convolution
conv_transpose{r}d stride_from_kernel=True: up conv | up convolution
maxpool{r}d: max pool | max pooling | max subsampling
avgpool{r}d: avg pool | avg pooling | average pool | average pooling | mean pool | mean pooling
  | ave pool | ave pooling
globalavgpool: global avg pool | global avg pooling | global average pool
  | global average pooling | global mean pool | global mean pooling | gap | gavgpool
globalmaxpool: global max pool | global max pooling | gmp
adaptive_avgpool{r}d: adaptive avg pool | adaptive average pool | adaptive avg pooling
  | adaptive average pooling
adaptive_maxpool{r}d: adaptive max pool | adaptive max pooling
pool: pool | pooling | subsampling | sub sampling | downsampling | down sampling
dense: fc | fully connected | full connection | fully connection | dense | linear
  | inner product | fully connected layer
dropout: dropout | drop out
flatten: flatten | flattening
reshape: reshape
identity: identity | linear activation
batchnorm: bn | batch norm | batch normalization | batch normalisation | batch normalize
layernorm: ln | layer norm | layer normalization | layer normalisation
groupnorm: gn | group norm | group normalization | group normalisation
lrn: lrn | local response norm | local response normalization | local response normalisation
  | local resp norm | response normalization
relu: relu | rectified linear unit | rectified linear | rectifier | relu activation
relu6: relu6
leaky_relu: leaky relu | lrelu
prelu: prelu | parametric relu
elu: elu
selu: selu
gelu: gelu
sigmoid: sigmoid | logistic
tanh: tanh
silu: silu | swish
hardswish: hardswish | hard swish | h swish
hardsigmoid: hardsigmoid | hard sigmoid | h sigmoid
softmax: softmax | soft max | softmax activation
log_softmax: log softmax
concat: concat | concatenation | concatenate | filter concat | filter concatenation
  | depth concat | depth concatenation | channel concat | channel concatenation
add: add | addition | sum | element wise sum | eltwise sum | eltwise | element wise add
  | element wise addition
mul: mul | multiply | multiplication | element wise product | element wise multiplication
  | hadamard product
center_crop: copy and crop | copy crop | crop and copy | crop | center crop | centre crop
upsample: upsample | upsampling | up sample | up sampling | nearest upsample
  | nearest upsampling
upsample mode="bilinear": bilinear upsample | bilinear upsampling
zeropad{r}d: zero pad | zero padding
lstm: lstm
lstm bidirectional=True: bilstm | bi lstm | bidirectional lstm | blstm
gru: gru
gru bidirectional=True: bigru | bi gru | bidirectional gru
embedding: embedding | embed | embeddings
attention: attention | multi head attention | self attention | mha | multi head self attention
input: input | image | input image | inputs | data | input data | input image tile
output: output | outputs | output segmentation map | output map
block name="stem": stem
block name="inception" letter: inception | inception module
block name="reduction" letter: reduction | reduction module
block name="inception_resnet" letter: inception resnet
block name="mbconv": mbconv | mobile inverted bottleneck
block name="inverted_residual": inverted residual | inverted residual block
  | bottleneck residual
block name="fire": fire | fire module
block name="bottleneck": bottleneck | bottleneck block
block name="basic_block": basic block
block name="residual_block": residual block | res block | residual unit
block name="dense_block": dense block
block name="transition": transition | transition layer | transition block
block name="separable_conv": separable conv | sep conv | separable convolution
  | depthwise separable conv | depthwise separable convolution
block name="feed_forward": feed forward | feedforward | ffn | position wise feed forward
block name="positional_encoding": positional encoding | position encoding
block name="squeeze_excitation": squeeze and excitation | squeeze excitation | se | se block
  | se module
"""


def _read_synonyms(table: str) -> dict[str, _Spec]:
    """The table above -> {synonym with spaces removed: spec}."""
    out: dict[str, _Spec] = {}
    for entry in re.split(r"\n(?! )", table.strip()):
        head, _, names = " ".join(entry.split()).partition(":")
        op, *options = head.split()
        fixed = {}
        for opt in options:
            if opt != "letter":
                key, _, value = opt.partition("=")
                fixed[key] = ast.literal_eval(value)
        spec = _Spec(op, tuple(sorted(fixed.items())), "letter" in options)
        for name in names.split("|"):
            out["".join(name.split())] = spec
    return out


_SYNONYMS: dict[str, _Spec] = _read_synonyms(_SYNONYM_TABLE)
_NAMES = [
    name.split()
    for entry in re.split(r"\n(?! )", _SYNONYM_TABLE.strip())
    for name in entry.partition(":")[2].split("|")
]
_VOCABULARY = frozenset(word for name in _NAMES for word in name)
_MAX_SYNONYM_WORDS = max(len(name) for name in _NAMES)

# Words that carry no meaning in a layer label; ignored without lowering confidence.
_HARMLESS = frozenset(
    "layer layers block blocks module modules unit units op operation the with of an "
    "filters filter channels channel feature features maps map kernels neurons nodes "
    "outputs dim dims dimension dimensional d way activation function type tile "
    "each per by followed fully size sized wide deep nonlinearity non linearity x".split()
)
_NOT_SYMBOLS = frozenset("sxd")  # single letters never read as a symbolic count
_HARMLESS_MARKS = frozenset(".#'\"`~!*")
_STRONG_SEP_WORDS = frozenset({"and", "then"})
_PAD_WORDS = {"v": "valid", "valid": "valid", "same": "same"}
_CHANNEL_WORDS = {
    "rgb": 3,
    "bgr": 3,
    "color": 3,
    "colour": 3,
    "gray": 1,
    "grey": 1,
    "grayscale": 1,
    "greyscale": 1,
    "monochrome": 1,
}
# "64 filters", "4096 units", "2 layers": the number's meaning is stated
_UNIT_WORDS = dict.fromkeys(
    "filters filter channels maps units neurons nodes outputs hidden".split(), "_number"
) | {"layer": "layers", "layers": "layers"}
_STRONG_SEPS = frozenset({"+", ";", "->", "=>", "|", "&"})
# Words naming a value of a string attribute, from the registry's choices
# ("bilinear" -> mode of upsample/resize); padding words are _PAD_WORDS.
_CHOICE_WORDS = {
    choice: attr.name
    for op in OPS.values()
    for attr in op.attrs
    if attr.choices and attr.name != "padding"
    for choice in attr.choices
    if choice != "none"  # says nothing on its own
}
# Op words that, inside the brackets written after an op with weights, qualify
# that op instead of naming a layer (Inception-ResNet "1x1 Conv (896 Linear)":
# no activation).  A "Linear 512" box of its own is still a dense.
_QUALIFIERS = {"linear": "linear: no activation"}


# When a pair of bare numbers may fill meta.pair: "Conv 3, 64" reads 3 as the
# kernel only when it looks like one - a small odd size (1, 3, ..., 11); else
# both numbers go to meta.number as before (and clash).
def _kernel_like(value: object) -> bool:
    return isinstance(value, int) and 0 < value <= 11 and value % 2 == 1


_PAIR_FITS = {"kernel": _kernel_like}

# KEY text (grammar terminal KEY) -> attribute name, before op-specific mapping
_KEYS = {
    key.strip(): attr.strip()
    for key, _, attr in (
        pair.partition(":")
        for pair in (
            "kernel size: kernel; kernel: kernel; strides: stride; stride: stride; "
            "padding: padding; pad: padding; dilation rate: dilation; dilation: dilation; "
            "rate: rate; p: rate; keep probability: keep; "
            "keep prob: keep; keep: keep; groups: groups; heads: heads; alpha: alpha; "
            "eps: eps; momentum: momentum; axis: axis; scale: scale"
        ).split(";")
    )
}


@dataclass(frozen=True)
class _Meta:
    """How an op reads the pieces of a phrase.

    attrs: attributes a key may set; required: attributes without a default (a
    hole when unstated) - both from the op registry for registry ops; number:
    what a bare number sets; pair: what two bare numbers set, in the registry's
    order ("Embedding 10000, 512": num, dim; "Conv 3, 64": kernel, out - the
    first only when it fits, see _PAIR_FITS); size: what a size "AxB" sets;
    spatial: takes kernel and stride sizes; padded: default_padding applies;
    times: what "2x" sets; sink: takes sizes and strides only to drop them;
    qualified: a bracketed "(896 Linear)" after it qualifies it (no activation)
    rather than naming a layer of its own.
    """

    attrs: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    number: str | None = None
    spatial: bool = False
    padded: bool = False
    times: str | None = None
    sink: bool = False
    pair: tuple[str, ...] = ()
    size: str = "kernel"
    qualified: bool = False


# Per op family (rank suffix dropped): how it reads numbers and sizes.  Families
# not listed read nothing.  Special kinds (not in the registry) list their attrs.
_READING = """
conv              number=out       spatial padded  pair=kernel,out  qualified
conv_transpose    number=out       spatial padded  pair=kernel,out  qualified
depthwise_conv2d  number=channels  spatial padded  qualified
maxpool           number=kernel    spatial padded
avgpool           number=kernel    spatial padded
pool              number=kernel    spatial padded  attrs=kernel,stride,padding  required=kernel
globalavgpool     sink
globalmaxpool     sink
adaptive_avgpool  number=output    spatial
adaptive_maxpool  number=output    spatial
dense             number=units     sink  qualified
dropout           number=rate
batchnorm         number=channels
groupnorm         number=groups
lrn               number=size
leaky_relu        number=alpha
elu               number=alpha
softmax           number=classes
log_softmax       number=classes
upsample          number=scale     times=scale
zeropad           number=padding   spatial  size=padding
embedding         number=dim       pair=num,dim
lstm              number=hidden
gru               number=hidden
attention         number=heads
input             number=shape     spatial  attrs=shape  required=shape
output            number=shape     spatial  attrs=shape
block             number=channels  spatial  attrs=kernel,stride,expand,variant,index  qualified
"""


def _read_meta(table: str) -> dict[str, _Meta]:
    """_READING plus the registry's attributes -> {family: _Meta}."""
    out: dict[str, _Meta] = {
        name: _Meta(tuple(a.name for a in op.attrs), tuple(a.name for a in op.attrs if a.required))
        for name, op in OPS.items()
    }
    for line in table.strip().splitlines():
        family, *options = line.split()
        fields: dict[str, object] = {}
        for opt in options:
            key, _, value = opt.partition("=")
            if key in ("attrs", "required", "pair"):
                fields[key] = tuple(value.split(","))
            else:
                fields[key] = value or True
        op = OPS.get(family) or OPS.get(family + "2d")
        if op is not None:
            fields["attrs"] = tuple(a.name for a in op.attrs)
            fields["required"] = tuple(a.name for a in op.attrs if a.required)
        out[family] = _Meta(**fields)
    return out


_META: dict[str, _Meta] = _read_meta(_READING)
_FLOAT_TARGETS = frozenset({"alpha", "rate", "eps", "momentum"})
_BLOCK_GLUED = {"mbconv": "expand"}  # "MBConv6": expansion 6; other blocks: an index


@lru_cache(maxsize=256)
def _family(op: str) -> str:
    """Registry op or template -> its _META key ("maxpool{r}d" -> "maxpool")."""
    base = re.sub(r"(\{r\}|[123])d$", "", op)
    return base if base in _META else op


# ---------------------------------------------------------------- normalise

_CHARS = str.maketrans(
    dict.fromkeys("×✕✖⨯*", "x")
    | dict.fromkeys("‐‑‒–—―−", "-")
    | {"⊕": " + ", "→": " -> ", "⇒": " -> ", "⊗": " mul ", "⊙": " mul ", "·": " "}
    | {"{": "(", "}": ")", "\u00a0": " "}
)
_DIGIT_LETTERS = str.maketrans({"0": "o", "1": "l"})  # "c0nv", "p00l"
_CONFUSABLE = str.maketrans({"o": "0", "i": "1", "l": "1", "|": "1"})
# a number-like run (digits and OCR look-alikes, "x" between parts) standing alone
_NUMLIKE = re.compile(
    r"(?<![a-z0-9])[0-9oil|]+(?:\.[0-9oil]+)?(?:x[0-9oil|]+(?:\.[0-9oil]+)?)*(?![a-z0-9])"
)
_SPACED_TIMES = re.compile(r"(\d)\s*x\s*(?=[0-9oil|]+(?:\.\d+)?(?![a-z]))")
_GOOGLENET = re.compile(r"(\d+(?:x\d+)*)\s*\+\s*(\d+)\s*(?:\(\s*([sv])\s*\))?")
# "c0nv", "p00l": 0/1 between letters are OCR'd o/l - but not a rank suffix ("conv1d")
_DIGITS_IN_WORD = re.compile(r"(?<=[a-wyz])[01]+(?=[a-wyz])(?!d(?![a-z0-9]))")
_HYPHEN_WORDS = re.compile(r"(?<=[a-z])-(?=[a-z])|(?<=\d)-(?=[a-z])")


def _fix_numlike(match: re.Match) -> str:
    run = match.group(0)
    if not any(c.isdigit() for c in run):
        return run
    core = run.rstrip("|")  # a bar after a number is a cell rule; before it, a 1 ("|28")
    return core.translate(_CONFUSABLE) + run[len(core) :]


def _underscores(match: re.Match) -> str:
    """ "keep_prob" -> "keep prob", but a layer name "conv5_3" stays one token."""
    token = match.group(0)
    return token if re.fullmatch(r"[a-z]+\d+(?:_\d+)+", token) else token.replace("_", " ")


def _balance(text: str) -> str:
    out, stack = [], []
    pairs = {")": "(", "]": "["}
    for ch in text:
        if ch in "([":
            stack.append(ch)
        elif ch in ")]":
            if not stack or stack[-1] != pairs[ch]:
                continue  # unmatched closer: drop
            stack.pop()
        out.append(ch)
    closers = {"(": ")", "[": "]"}
    return "".join(out) + "".join(closers[c] for c in reversed(stack))


def normalise(text: str) -> str:
    """Canonical ASCII lower-case form of a phrase (the grammar's input)."""
    s = re.sub(r"(\d+)\s*([²³])", lambda m: "x".join([m[1]] * (2 if m[2] == "²" else 3)), text)
    s = unicodedata.normalize("NFKC", s).translate(_CHARS).lower()
    if not (s.isascii() and s.isprintable()):  # other characters stand alone (OTHER tokens)
        s = "".join(c if c.isascii() and (c.isprintable() or c.isspace()) else f" {c} " for c in s)
    s = re.sub(r"[a-z0-9_]*_[a-z0-9_]*", _underscores, s)
    s = _SPACED_TIMES.sub(r"\1x", s)
    s = _NUMLIKE.sub(_fix_numlike, s)
    s = _SPACED_TIMES.sub(r"\1x", s)
    s = _GOOGLENET.sub(lambda m: f"{m[1]}+{m[2]}" + (f"({m[3]})" if m[3] else ""), s)
    s = _DIGITS_IN_WORD.sub(lambda m: m[0].translate(_DIGIT_LETTERS), s)
    s = re.sub(r"(\d)\s*-\s*d\b", r"\1d", s)  # "64-d" -> "64d"
    s = _HYPHEN_WORDS.sub(" ", s)
    s = re.sub(r"\bs\s*-\s*(?=\d)", "s", s)  # "7x7x64-s-2" -> "s2"
    if "(" in s or ")" in s or "[" in s or "]" in s:
        s = _balance(s)
    return " ".join(s.split())


# ---------------------------------------------------------------- grammar


@dataclass(frozen=True)
class _Item:
    kind: str
    value: object
    raw: str = ""
    grouped: bool = False  # written inside brackets


def _num(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def _dims(text: str) -> tuple[int | float, ...]:
    return tuple(_num(part) for part in text.split("x"))


@v_args(inline=True)
class _ToItems(Transformer):
    """Parse tree -> flat list of typed items (groups kept as nested items)."""

    def start(self, *items):
        return list(items)

    def group(self, *items):
        return _Item("group", list(items), "(")

    def size(self, t):
        return _Item("size", _dims(t), str(t))

    def gsize(self, t):
        m = re.fullmatch(r"([\dx]+)\+(\d+)(?:\(([sv])\))?", str(t))
        pad = {"s": "same", "v": "valid", None: None}[m[3]]
        return _Item("gsize", (_dims(m[1]), int(m[2]), pad), str(t))

    def fmap(self, t):
        count, _, hw = str(t).replace(" ", "").partition("@")
        return _Item("fmap", (int(count), _dims(hw)), str(t))

    def number(self, t):
        return _Item("num", _num(t), str(t))

    def percent(self, t):
        return _Item("num", round(float(str(t).rstrip("% ")) / 100, 10), str(t))

    def numd(self, t):
        return _Item("numd", int(str(t)[:-1]), str(t))

    def rank(self, t):
        return _Item("rank", int(str(t)[0]), str(t))

    def wordnum(self, t):
        m = re.fullmatch(r"([a-z]+)(\d+(?:x\d+)*)((?:_\d+)*)([a-z]*)", str(t))
        dims = _dims(m[2]) if not m[3] else (m[2] + m[3],)  # "conv5_3": an index
        return _Item("wordnum", (m[1], dims, m[4]), str(t))

    def variant(self, t):
        return _Item("variant", str(t), str(t))

    def slashstride(self, t):
        return _Item("stride", int(str(t).lstrip("/ ")), str(t))

    def sstride(self, t):
        return _Item("stride", int(str(t)[1:]), str(t))

    def ksize(self, t):
        return _Item("kernel", _dims(str(t)[1:]), str(t))

    def dashnum(self, t):
        return _Item("dashnum", _num(str(t).lstrip("- ")), str(t))

    def repeat(self, t):
        return _Item("repeat", int(re.sub(r"[^\d]", "", str(t))), str(t))

    def word(self, t):
        return _Item("word", str(t), str(t))

    def sep(self, t):
        return _Item("sep", str(t), str(t))

    def plus(self, t):
        return _Item("sep", "+", "+")

    def other(self, t):
        return _Item("other", str(t), str(t))

    def key(self, t):
        return _Item("key", _KEYS[" ".join(str(t).split())], str(t))


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = (resources.files("papercc.grammar") / "phrase.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="basic", transformer=_ToItems())


# ---------------------------------------------------------------- reading


@dataclass
class _Draft:
    """A layer being assembled (private, mutable while one phrase is read)."""

    spec: _Spec
    words: str
    attrs: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    rank: int | None = None
    size: tuple | None = None
    clash: bool = False
    numbers: list = field(default_factory=list)  # bare numbers held for meta.pair
    numbers_read: int = 0  # bare numbers read at once (so not part of a pair)

    @property
    def meta(self) -> _Meta:
        return _META.get(_family(self.spec.op), _Meta())

    def put(self, name: str, value: object, raw: str) -> None:
        old = self.attrs.get(name)
        if old is not None and old != value:
            self.notes.append(f"{raw!r} clashes with {name}={old!r}; kept the first")
            self.clash = True
        elif old is None:
            self.attrs[name] = value


_ATTACHABLE = {
    "symbol",
    "size",
    "gsize",
    "fmap",
    "num",
    "numd",
    "stride",
    "kernel",
    "dashnum",
    "kv",
    "pad",
    "channels",
    "rank",
    "variant",
    "repeat",
    "glued",
    "ranksuffix",
    "qualifier",
}


def _accepts(draft: _Draft, item: _Item) -> bool:
    meta, kind = draft.meta, item.kind
    if kind == "rank":  # "2D conv"; for a dense, "1D" is just a width
        return meta.spatial or meta.number is not None
    if kind in ("size", "gsize", "stride", "kernel"):
        return meta.spatial or meta.sink
    if kind == "fmap":
        return meta.spatial or meta.number in ("out", "units")
    if kind in ("num", "dashnum", "numd"):
        return meta.number is not None or (kind == "numd" and draft.spec.op == "block")
    if kind == "kv":
        name = item.value[0]
        if name == "_number":
            return meta.number is not None
        if name == "keep":
            return "rate" in meta.attrs
        if name == "rate":
            return "rate" in meta.attrs or "dilation" in meta.attrs
        return name in meta.attrs or meta.sink
    if kind == "pad":
        return "padding" in meta.attrs
    if kind == "channels":
        return _family(draft.spec.op) in ("input", "output")
    if kind == "variant":
        return draft.spec.op == "block"
    if kind == "symbol":
        return meta.number in meta.attrs and meta.number in meta.required
    if kind == "repeat":
        return meta.times is not None
    if kind in ("glued", "ranksuffix"):
        return True
    if kind == "qualifier":
        return meta.qualified
    return False


def _apply(draft: _Draft, item: _Item, rest: list[_Item]) -> None:
    """Give one piece to the op it belongs to (accepted already)."""
    meta, kind, value, raw = draft.meta, item.kind, item.value, item.raw
    if kind == "rank" and not meta.spatial:
        kind = "numd"
    if meta.sink and kind in ("size", "gsize", "stride", "kernel", "fmap") and not meta.spatial:
        if kind == "size" and _family(draft.spec.op) == "dense" and len(value) == 2:
            draft.put("units", int(value[1]), raw)
            draft.notes.append(f"{raw!r} read as in x out; {value[0]} inputs")
        elif kind == "fmap" and _family(draft.spec.op) == "dense":
            draft.put("units", value[0], raw)
        elif kind == "stride" and value == 1:
            draft.notes.append(f"{raw!r}: stride 1 of {draft.words!r} ignored")
        else:
            draft.notes.append(f"{raw!r} ignored: {draft.words!r} takes no size or stride")
        return
    if kind == "size":
        draft.put("_size", value, raw)
    elif kind == "gsize":
        draft.put("_size", value[0], raw)
        draft.put("stride", value[1], raw)
        if value[2]:
            draft.put("padding", value[2], raw)
    elif kind == "fmap":
        count, hw = value
        if _family(draft.spec.op) in ("input", "output"):
            draft.put("_size", (count, *hw), raw)
            draft.put("_chw", True, raw)
        elif meta.number in ("out",):
            draft.put("out", count, raw)
            draft.notes.append(f"{raw!r}: {count} maps of {'x'.join(map(str, hw))}")
        else:
            draft.notes.append(f"{raw!r}: output {count} maps of {'x'.join(map(str, hw))}")
    elif kind == "stride":
        draft.put("stride", value, raw)
    elif kind == "kernel":
        draft.put(
            "_size" if len(value) > 1 else "_kernel_int", value if len(value) > 1 else value[0], raw
        )
    elif kind == "rank":
        draft.rank = value
    elif kind == "pad":
        draft.put("padding", value, raw)
        if raw == "v":
            draft.notes.append("V read as valid padding")
    elif kind == "channels":
        draft.put("_channels", value, raw)
    elif kind == "variant":
        draft.put("variant", value, raw)
    elif kind == "symbol":
        draft.notes.append(f"{meta.number} given as the symbol {value!r}: a hole")
    elif kind == "repeat":
        draft.put(meta.times, value, raw)
    elif kind == "glued":
        _apply_glued(draft, item, rest)
    elif kind == "ranksuffix":
        if meta.spatial and "{r}" in draft.spec.op:
            draft.rank = value
        elif _explicit_rank(draft.spec.op) not in (None, value):
            draft.notes.append(f"{raw!r}: rank {value} clashes with {draft.spec.op}")
            draft.clash = True
        else:
            draft.notes.append(f"{raw!r}: rank suffix {value}d ignored")
    elif kind == "qualifier":
        draft.notes.append(value)
    elif kind == "num" and _holds(draft, item):
        draft.numbers.append(item)  # may start a pair: read in _settle_numbers
    elif kind == "num":
        draft.numbers_read += 1
        _apply_number(draft, item)
    elif kind in ("num", "dashnum", "numd"):
        _apply_number(draft, item)
    elif kind == "kv":
        _apply_kv(draft, item)


def _apply_glued(draft: _Draft, item: _Item, rest: list[_Item]) -> None:
    """A number glued to the op word: VGG "conv3-64", "MBConv6", or an index ("fc7")."""
    dims, raw = item.value, item.raw
    fam = _family(draft.spec.op)
    if draft.spec.op == "block":
        name = dict(draft.spec.fixed)["name"]
        attr = _BLOCK_GLUED.get(name)
        if attr and len(dims) == 1:
            draft.put(attr, dims[0], raw)
        else:
            draft.put("index", "x".join(map(str, dims)), raw)
        return
    vgg = any(i.kind == "dashnum" for i in rest) and all(isinstance(d, int) for d in dims)
    if fam in ("conv", "conv_transpose", "depthwise_conv2d", "maxpool", "avgpool", "pool") and (
        len(dims) > 1 or vgg
    ):
        draft.put(
            "_size" if len(dims) > 1 else "_kernel_int", dims if len(dims) > 1 else dims[0], raw
        )
        if vgg and len(dims) == 1:
            draft.notes.append(f"{raw!r}: VGG notation, kernel {dims[0]}")
    else:
        draft.notes.append(f"{raw!r}: trailing number read as a layer index")


def _holds(draft: _Draft, item: _Item) -> bool:
    """Is a bare number held back as (possibly) the first or second of meta.pair?
    Only while the pair's first attribute is unstated; numbers that cannot start
    a pair are read at once, in text order, like everywhere else."""
    pair = draft.meta.pair
    if not pair or draft.numbers_read or any(n in draft.attrs for n in _stated_as(pair[0])):
        return False
    return bool(draft.numbers) or _PAIR_FITS.get(pair[0], _any_value)(item.value)


def _stated_as(name: str) -> tuple[str, ...]:
    """Draft attributes that state `name` (a kernel may come from a size)."""
    return ("_size", "_kernel_int", "kernel") if name == "kernel" else (name,)


def _any_value(value: object) -> bool:
    return True


def _settle_numbers(draft: _Draft) -> None:
    """Bare numbers held back for meta.pair: exactly two, the first attribute not
    stated otherwise and the first number fitting it (_PAIR_FITS) -> the pair, in the
    registry's order ("Embedding 10000, 512": num, dim; "Conv 3, 64": kernel 3, out
    64); one, with the second attribute stated by a unit word ("Conv 3, 64 filters")
    -> the first.  Otherwise each number is read alone (meta.number), as elsewhere."""
    numbers, draft.numbers = draft.numbers, []
    first, second = draft.meta.pair or (None, None)
    if numbers and not any(name in draft.attrs for name in _stated_as(first)):
        if len(numbers) == 2:
            a, b = numbers
            _apply_number(draft, a, first)
            _apply_number(draft, b, second)
            draft.notes.append(f"{a.raw}, {b.raw}: read as {first} {a.value}, {second} {b.value}")
            return
        if len(numbers) == 1 and second in draft.attrs and not draft.numbers_read:
            _apply_number(draft, numbers[0], first)
            draft.notes.append(f"{numbers[0].raw}: {second} stated, read as {first}")
            return
    for item in numbers:
        _apply_number(draft, item)


def _apply_number(draft: _Draft, item: _Item, target: str | None = None) -> None:
    meta, value, raw = draft.meta, item.value, item.raw
    target = target or meta.number
    if draft.spec.op == "block":
        if item.kind == "numd" or (
            isinstance(value, int) and value < 10 and "variant" not in draft.attrs
        ):
            draft.put("variant", raw if item.kind == "numd" else str(value), raw)
        else:
            draft.notes.append(f"{raw!r}: {value} channels")
        return
    if target == "rate":
        if isinstance(value, (int, float)) and 0 <= value < 1:
            draft.put("rate", float(value), raw)
        else:
            draft.notes.append(f"{raw!r} is not a dropout rate")
            draft.clash = True
    elif target in ("channels", "classes"):
        draft.notes.append(f"{raw!r}: {value} {target}")
    elif target == "kernel":
        draft.put("_kernel_int", value, raw)
    elif target == "shape":
        draft.put("_size", (value,), raw)
    elif isinstance(value, float) and target not in _FLOAT_TARGETS:
        draft.notes.append(f"{raw!r}: not a whole number for {target}")
        draft.clash = True
    else:
        draft.put(target, value, raw)


def _apply_kv(draft: _Draft, item: _Item) -> None:
    name, value = item.value
    raw, meta = item.raw, draft.meta
    if value is None:  # the text says something we could not read
        draft.notes.append(f"{raw!r} without a value that fits")
        draft.clash = True
        return
    if name == "_number":
        _apply_number(draft, _Item("num", value, raw))
        return
    if name == "keep":
        if isinstance(value, (int, float)) and 0 < value <= 1:
            draft.put("rate", round(1.0 - value, 10), raw)
            draft.notes.append(f"keep probability {value} read as rate {round(1.0 - value, 10)}")
        else:
            draft.clash = True
        return
    if name == "rate" and "rate" not in meta.attrs:
        name = "dilation"
    if meta.sink and name not in meta.attrs:
        draft.notes.append(f"{raw!r} ignored: {draft.words!r} takes no {name}")
        return
    if name == "kernel":
        if isinstance(value, tuple):
            draft.put("_size", value, raw)
        else:
            draft.put("_kernel_int", value, raw)
    elif name == "padding" and isinstance(value, str):
        draft.put("padding", value, raw)
    else:
        draft.put(name, value, raw)


# ------------------------------------------------------------ item grouping


def _pair_keys(items: list[_Item]) -> list[_Item]:
    """KEY [sep =/:] value -> one kv item; groups flattened (their content pairs too)."""
    flat: list[_Item] = []

    def add(items: list[_Item], grouped: bool = False) -> None:
        for item in items:
            if item.kind != "group":
                flat.append(_Item(item.kind, item.value, item.raw, True) if grouped else item)
                continue
            tup = _tuple_of(item.value)
            prev = next((f for f in reversed(flat) if f.kind != "sep" or f.value not in "=:"), None)
            raw = "(" + ",".join(map(str, tup or ())) + ")"
            if tup is not None and prev is not None and prev.kind == "key":
                flat.append(_Item("tuple", tup, raw))
            elif tup is not None and all(isinstance(v, int) for v in tup):
                flat.append(_Item("size", tup, raw))  # Keras style "(3, 3)"
            else:
                add(item.value, True)

    add(_names_over_keys(items))
    for i in range(len(flat) - 1):
        first, second = flat[i], flat[i + 1]
        if first.kind == "num" and second.kind == "word" and second.value in _UNIT_WORDS:
            pair = (_UNIT_WORDS[second.value], first.value)
            flat[i] = _Item("kv", pair, f"{first.raw} {second.raw}")
    out: list[_Item] = []
    i = 0
    while i < len(flat):
        item = flat[i]
        i += 1
        if item.kind != "key":
            out.append(item)
            continue
        j = i + 1 if i < len(flat) and flat[i].kind == "sep" and flat[i].value in ("=", ":") else i
        value = _key_value(item.value, flat[j]) if j < len(flat) else None
        if value is None and item.value in _SUFFIX_KEYS and out and out[-1].kind == "num":
            before = out.pop()  # "8 heads": the value written first
            out.append(_Item("kv", (item.value, before.value), f"{before.raw} {item.raw}"))
        elif value is None:  # a key without a (fitting) value: noted by whoever takes it
            out.append(_Item("kv", (item.value, None), item.raw))
        else:
            out.append(_Item("kv", (item.value, value), f"{item.raw} {flat[j].raw}"))
            i = j + 1
    return out


def _names_over_keys(items: list[_Item]) -> list[_Item]:
    """A key word that ends an op name is part of the name: "zero pad 1" is a
    zeropad of 1, not an unknown "zero" and padding=1 (longest name wins)."""
    if not any(item.kind == "key" for item in items):
        return items
    out: list[_Item] = []
    for item in items:
        if item.kind == "group":
            item = _Item("group", _names_over_keys(item.value), item.raw)
        elif item.kind == "key":
            key = "".join(item.raw.split())
            words: list[str] = []
            for prev in reversed(out[-(_MAX_SYNONYM_WORDS - 1) :]):
                if prev.kind != "word":
                    break
                words.insert(0, prev.value)
                if "".join(words) + key in _SYNONYMS:
                    item = _Item("word", key, item.raw)
                    break
        out.append(item)
    return out


def _key_value(key: str, item: _Item) -> object:
    """The value written after a key, or None when the next piece does not fit it."""
    if item.kind in ("num", "size", "tuple", "dashnum"):  # dashnum: "stride-2"
        value = item.value
    elif key == "padding" and item.kind == "word" and item.value in _PAD_WORDS:
        value = _PAD_WORDS[item.value]
    else:
        return None
    return value if _value_fits(key, value) else None


_SUFFIX_KEYS = frozenset({"heads", "groups"})  # also written after the number: "8 heads"
_INT_KEYS = frozenset({"kernel", "stride", "padding", "dilation", "groups", "heads", "axis"})


def _value_fits(key: str, value: object) -> bool:
    """Whole numbers (or tuples of them) for sizes and counts; words only for padding."""
    if isinstance(value, str):
        return key == "padding"
    if key in _INT_KEYS:
        parts = value if isinstance(value, tuple) else (value,)
        return all(isinstance(v, int) and v >= 0 for v in parts)
    return not isinstance(value, tuple)


def _drop_label(items: list[_Item], notes: list[str]) -> tuple[str | None, list[_Item]]:
    """A leading "name:" - letters and a number ("C3:", "conv1:", "fc7:", LeNet's
    "S2:", which the lexer types as a stride) - names the layer: dropped, and
    returned as the label.  When the name is an op word ("conv1", "fc7") and the
    rest names no op ("conv1: 96 11x11 filters", "fc7: 4096"), it is the op too and
    stays (still returned as the label)."""
    if not (len(items) > 2 and items[1].kind == "sep" and items[1].value == ":"):
        return None, items
    first = items[0]
    if first.kind == "wordnum":
        letters = first.value[0]
    elif first.kind in ("stride", "kernel") and first.raw[:1] in ("s", "k"):
        letters = first.raw[0]  # "s2:", "k3:" - names, not a stride or kernel
    else:
        return None, items
    rest = items[2:]
    if (first.raw in _SYNONYMS or letters in _SYNONYMS) and not any(
        isinstance(e, _Draft) for e in _match_words(_pair_keys(rest), [])
    ):
        return first.raw, items  # the label, and the op too
    notes.append(f"{first.raw!r} read as a layer label")
    return first.raw, rest


# long words an OCR-damaged word may be repaired to: vocabulary words and names
# written without spaces ("AvgPooI" -> "avgpool")
_OCR_TARGETS = frozenset(w for w in (*_VOCABULARY, *_SYNONYMS) if len(w) >= 5)
_OCR_WORD_SWAPS = (("rn", "m"), ("cl", "d"), ("vv", "w"), ("ii", "u"), ("ld", "1d"))


@lru_cache(maxsize=1024)
def _ocr_word(word: str) -> str | None:
    """The one vocabulary word an OCR-damaged word (length >= 5) is one edit from."""
    if len(word) < 3 or word in _VOCABULARY or word in _SYNONYMS:
        return None  # a known name written without spaces ("avgpool") is no OCR damage
    variants = {word, *(word.replace(a, b) for a, b in _OCR_WORD_SWAPS)}
    found = {v for v in variants if v in _VOCABULARY}
    if found or len(word) < 5:
        return found.pop() if len(found) == 1 else None
    found |= {
        w
        for w in _OCR_TARGETS
        if any(abs(len(w) - len(v)) <= 1 and _one_edit(v, w) for v in variants)
    }
    return found.pop() if len(found) == 1 else None


def _one_edit(a: str, b: str) -> bool:
    """a and b differ by one substitution, insertion, deletion or adjacent swap."""
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


def _tuple_of(items: list[_Item]) -> tuple | None:
    nums = [i.value for i in items if i.kind == "num"]
    seps = [i for i in items if i.kind == "sep" and i.value == ","]
    if len(nums) >= 2 and len(nums) + len(seps) == len(items) and len(seps) == len(nums) - 1:
        return tuple(nums)
    return None


def _match_words(items: list[_Item], notes: list[str]) -> list[object]:
    """Replace runs of words by op drafts (longest synonym first); keep other items."""
    out: list[object] = []
    run: list[tuple[str, str]] = []  # (word, raw)

    def flush() -> None:
        words = [w for w, _ in run]
        i = 0
        while i < len(words):
            for j in range(min(len(words), i + _MAX_SYNONYM_WORDS), i, -1):
                spec = _SYNONYMS.get("".join(words[i:j]))
                if spec is not None:
                    label = " ".join(words[i:j])
                    if spec.letter_suffix and j < len(words) and re.fullmatch(r"[a-e]", words[j]):
                        name = dict(spec.fixed)["name"] + "_" + words[j]
                        spec = _Spec("block", (("name", name),))
                        label += " " + words[j]
                        j += 1
                    last = next((e for e in reversed(out) if isinstance(e, _Draft)), None)
                    if not (spec.op in ("input", "output") and last and last.spec == spec):
                        out.append(_Draft(spec, label))  # "input (224x224 RGB image)": one
                    i = j
                    break
            else:
                word = words[i]
                if word in _PAD_WORDS:
                    out.append(_Item("pad", _PAD_WORDS[word], word))
                elif word in _CHOICE_WORDS:
                    out.append(_Item("kv", (_CHOICE_WORDS[word], word), word))
                elif word in _CHANNEL_WORDS:
                    out.append(_Item("channels", _CHANNEL_WORDS[word], word))
                elif len(word) == 1 and word not in _NOT_SYMBOLS:  # "(n)": a symbolic count
                    out.append(_Item("symbol", word, word))
                elif word in _STRONG_SEP_WORDS:
                    out.append(_Item("sep", "+", word))
                elif word not in _HARMLESS:
                    out.append(_Item("unknown", word, word))
                i += 1
        run.clear()

    for item in items:
        if item.kind == "word":
            word = item.value
            fixed = None if word in _HARMLESS or word in _UNIT_WORDS else _ocr_word(word)
            if fixed is not None:
                notes.append(f"read {word!r} as {fixed!r} (OCR)")
                word = fixed
            if item.grouped and word in _QUALIFIERS:
                flush()
                if _qualifies(out):
                    out.append(_Item("qualifier", _QUALIFIERS[word], item.raw))
                    continue
            run.append((word, item.raw))
            continue
        if item.kind == "wordnum":
            letters, dims, tail = item.value
            if item.raw in _SYNONYMS:
                run.append((item.raw, item.raw))
                flush()
                continue
            run.append((letters, letters))
            flush()
            if tail == "d" and len(dims) == 1 and dims[0] in (1, 2, 3):  # "MaxPool3D"
                out.append(_Item("ranksuffix", dims[0], item.raw))
                continue
            out.append(_Item("glued", dims, item.raw))
            if tail:
                run.append((tail, tail))
            continue
        flush()
        out.append(item)
    flush()
    return out


def _qualifies(out: list[object]) -> bool:
    """Inside brackets, is there an op before them (same part) that takes a qualifier?"""
    for e in reversed(out):
        if isinstance(e, _Draft):
            return e.meta.qualified
        if e.kind == "sep" and e.value in _STRONG_SEPS or not e.grouped:
            return False
    return False


def _assign(elements: list[object], notes: list[str]):
    """Give every attribute item to an op; returns drafts, repeat, confident and the
    symbols no op took (they become unknown layers)."""
    drafts = [e for e in elements if isinstance(e, _Draft)]
    repeat, confident = 1, True
    orphans: list[_Item] = []
    # chunks split at strong separators ("+", ";", "and", "->")
    chunks: list[list[object]] = [[]]
    for e in elements:
        if isinstance(e, _Item) and e.kind == "sep" and e.value in _STRONG_SEPS:
            chunks.append([])
        else:
            chunks[-1].append(e)
    for chunk in chunks:
        for pos, e in enumerate(chunk):
            if not isinstance(e, _Item) or e.kind not in _ATTACHABLE:
                continue
            owner = _owner(chunk, pos)
            rest = chunk[pos + 1 :]
            if owner is not None:
                _apply(owner, e, [r for r in rest if isinstance(r, _Item)])
            elif e.kind == "repeat":
                repeat *= e.value
            elif e.kind in ("glued", "ranksuffix"):
                pass
            else:
                notes.append(f"{e.raw!r} belongs to no op")
                if e.kind == "symbol":
                    orphans.append(e)
                if e.kind not in ("stride", "pad"):
                    confident = False
    for draft in drafts:
        _settle_numbers(draft)
    return drafts, repeat, confident and not orphans, orphans


def _owner(chunk: list[object], pos: int) -> _Draft | None:
    """The op an attribute at chunk[pos] belongs to: the op it is written next to
    (after it, or before it, with no separator between), else the nearest op on
    the left that accepts it, else the nearest on the right."""
    item = chunk[pos]

    def is_sep(e: object) -> bool:
        return isinstance(e, _Item) and e.kind == "sep"

    def adjacent(step: int) -> _Draft | None:
        i = pos + step
        while 0 <= i < len(chunk):
            e = chunk[i]
            if isinstance(e, _Draft):
                return e
            if is_sep(e):
                return None
            i += step
        return None

    if item.kind in ("glued", "ranksuffix"):
        prev = chunk[pos - 1] if pos else None
        return prev if isinstance(prev, _Draft) else None
    for cand in (adjacent(-1), adjacent(1)):
        if cand is not None and _accepts(cand, item):
            return cand
    for i in range(pos - 1, -1, -1):
        if isinstance(chunk[i], _Draft) and _accepts(chunk[i], item):
            return chunk[i]
    for i in range(pos + 1, len(chunk)):
        if isinstance(chunk[i], _Draft) and _accepts(chunk[i], item):
            return chunk[i]
    return None


# ------------------------------------------------------------ finishing


def _spatial(value: object, rank: int) -> tuple:
    if isinstance(value, tuple):
        return value
    return (value,) * rank


def _shape(dims: tuple, channels: int | None, chw: bool, notes: list[str]) -> tuple:
    """Input/output size -> channels-first shape, channels a hole when unstated."""
    dims = tuple(int(d) for d in dims)
    if len(dims) == 1:
        return dims
    if len(dims) == 2:
        return (channels if channels is not None else HOLE, *dims)
    if len(dims) == 3:
        if chw:
            return dims
        a, b, c = dims
        if a == b and c != a:
            return (c, a, b)
        if b == c and a != b:
            return dims
        if c <= 4 < min(a, b):
            return (c, a, b)
        if a <= 4 < min(b, c):
            return dims
        notes.append(f"{'x'.join(map(str, dims))} read as height x width x channels")
        return (c, a, b)
    return dims


def _finish(
    draft: _Draft, rank: int, default_padding: str | None, default_pool: str | None
) -> Layer:
    spec, meta, notes = draft.spec, draft.meta, draft.notes
    attrs = dict(spec.fixed)
    stride_from_kernel = attrs.pop("stride_from_kernel", False)
    attrs.update(draft.attrs)
    fam = _family(spec.op)
    op = spec.op
    size = attrs.pop("_size", None)
    kernel_int = attrs.pop("_kernel_int", None)
    channels = attrs.pop("_channels", None)
    chw = attrs.pop("_chw", False)
    if op == "pool" and default_pool in ("max", "avg"):
        op, fam = f"{default_pool}pool{{r}}d", f"{default_pool}pool"
        notes.append(f"pool type from default_pool={default_pool!r}")
    r = draft.rank or _explicit_rank(op) or rank
    if fam in ("input", "output"):
        if size is not None:
            attrs["shape"] = _shape(size, channels, chw, notes)
        elif channels is not None:
            attrs["shape"] = (channels, HOLE, HOLE)
    elif size is not None:
        size = tuple(int(d) if float(d).is_integer() else d for d in size)
        if fam == "adaptive_avgpool" or fam == "adaptive_maxpool":
            attrs["output"] = size
        elif meta.size != "kernel" and len(size) in (1, r, 2 * r):  # ZeroPad 1x2: padding
            attrs[meta.size] = _spatial(size if len(size) > 1 else size[0], r)
        elif len(size) == r or (len(size) < r and len(size) == 1):
            attrs["kernel"] = _spatial(size if len(size) == r else size[0], r)
        elif len(size) == r + 1 and fam in ("conv", "conv_transpose", "depthwise_conv2d", "block"):
            attrs["kernel"] = size[:r]
            notes.append(_third_size_note(size, r, fam, "out" in attrs))
        elif len(size) == r + 2 and fam in ("conv", "conv_transpose"):
            attrs["kernel"] = size[:r]
            _put_checked(attrs, "out", size[r + 1], notes, draft)
            notes.append(f"filter shape {'x'.join(map(str, size))}: {size[r]} input channels")
        else:
            notes.append(
                f"size {'x'.join(map(str, size))} does not fit {op.replace('{r}', str(r))}"
            )
            draft.clash = True
    if kernel_int is not None and "kernel" not in attrs:
        attrs["kernel"] = _spatial(int(kernel_int), r)
    for name in ("kernel", "stride", "dilation", "padding"):
        value = attrs.get(name)
        fits = (r, 2 * r) if name == "padding" else (r,)
        if isinstance(value, tuple) and (
            len(value) not in fits or not all(isinstance(v, int) for v in value)
        ):
            notes.append(f"{name} {value} does not fit a rank-{r} {op.replace('{r}', str(r))}")
            draft.clash = True
    if meta.spatial:
        for name in ("stride", "dilation"):
            if name in attrs and isinstance(attrs[name], (int, tuple)):
                attrs[name] = _spatial(attrs[name], r)
        if isinstance(attrs.get("padding"), int):
            attrs["padding"] = _spatial(attrs["padding"], r)
    if fam == "zeropad" and isinstance(attrs.get("padding"), int):
        attrs["padding"] = _spatial(attrs["padding"], r)
    if stride_from_kernel and "stride" not in attrs and "kernel" in attrs:
        attrs["stride"] = attrs["kernel"]
        notes.append("up-convolution: stride taken equal to the kernel")
    if meta.padded and "padding" not in attrs and default_padding:
        attrs["padding"] = default_padding
        notes.append(f"padding from default_padding={default_padding!r}")
    op = op.replace("{r}", str(r))
    holes = tuple(sorted(n for n in meta.required if n not in attrs))
    if fam == "input" and HOLE in attrs.get("shape", ()):
        holes = tuple(sorted({*holes, "shape"}))
    return Layer(op, tuple(sorted(attrs.items())), holes, tuple(notes))


def _third_size_note(size: tuple, r: int, fam: str, out_stated: bool) -> str:
    """Why a rank+1-part size gave an r-part kernel: the last part is a channel count.

    Read like a filter shape "kh x kw x Cin x Cout": with the output count written
    separately ("3x3x3 conv, 64") the extra part is the input channels; alone
    ("3x3x64 conv") it may be either.  A cube ("3x3x3") may also mean a 3D kernel,
    which only the caller's rank decides; the note says so."""
    text = "x".join(map(str, size))
    if fam not in ("conv", "conv_transpose"):
        note = f"{text}: {size[r]} channels"
    elif out_stated:
        note = f"filter shape {text}: {size[r]} input channels"
    else:
        note = f"{text}: {size[r]} channels (input or output not stated)"
    if len(set(size)) == 1:
        note += f"; read as a rank-{r} kernel, pass rank={r + 1} for a {r + 1}D kernel"
    return note


def _put_checked(attrs: dict, name: str, value: object, notes: list[str], draft: _Draft) -> None:
    if name in attrs and attrs[name] != value:
        notes.append(f"{name}={value} from the size clashes with {name}={attrs[name]}")
        draft.clash = True
    else:
        attrs[name] = value


def _explicit_rank(op: str) -> int | None:
    m = re.search(r"([123])d$", op)
    return int(m[1]) if m else None


def _unknown(text: str) -> Layer:
    return Layer("unknown", (("text", text),))


# ------------------------------------------------------------ entry point


def parse_phrase(
    text: str,
    *,
    default_padding: str | None = None,
    default_pool: str | None = None,
    default_op: str | None = None,
    rank: int = 2,
) -> Phrase:
    """Read one box or cell text into layers.

    default_padding: padding for convs and pools the text leaves unstated
    ("same" for Inception figures, whose convs are same-padded unless marked V).
    default_pool: "max" or "avg" for a bare "pool"; otherwise op "pool" remains.
    default_op: op template for a phrase with sizes and numbers but no op word
    (a table column known to hold convs: "3×3, 64" -> conv2d).
    rank: spatial rank of "conv", "max pool" etc. when the text does not say.
    Never raises on any string; TypeError for a non-string.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_phrase expects str, got {type(text).__name__}")
    _check_options(default_padding, default_pool, default_op, rank)
    norm = normalise(text)
    notes: list[str] = []
    try:
        items = _parser().parse(norm)
    except LarkError as exc:  # not expected: every balanced token string is a sentence
        return Phrase(
            (_unknown(text),), text, False, notes=(f"unreadable: {exc}",), normalised=norm
        )
    label, items = _drop_label(items, notes)
    items = _pair_keys(items)
    elements = _match_words(items, notes)
    confident = True
    unknown_words = [
        e
        for e in elements
        if isinstance(e, _Item) and e.kind in ("unknown", "other") and e.raw not in _HARMLESS_MARKS
    ]
    if unknown_words:
        confident = False
        notes.append("not understood: " + " ".join(e.raw for e in unknown_words))
    elements = _leading_plus(elements, notes)
    if not any(isinstance(e, _Draft) for e in elements):
        elements = _no_op_word(elements, default_op, notes)
        if elements is None:
            return Phrase(
                (_unknown(text),), text, False, notes=tuple(notes), normalised=norm, label=label
            )
    drafts, repeat, ok, orphans = _assign(elements, notes)
    confident = confident and ok
    layers: list[Layer] = []
    for e in elements:
        if isinstance(e, _Draft):
            layers.append(_finish(e, rank, default_padding, default_pool))
            confident = confident and not e.clash
        elif (
            isinstance(e, _Item)
            and e.kind in ("unknown", "other")
            and e.raw not in _HARMLESS_MARKS
            or any(e is o for o in orphans)
        ):
            if layers and layers[-1].op == "unknown":
                prev = layers.pop()
                layers.append(_unknown(f"{prev.get('text')} {e.raw}"))
            else:
                layers.append(_unknown(e.raw))
    if not layers:
        return Phrase((_unknown(text),), text, False, repeat, tuple(notes), norm, label)
    return Phrase(tuple(layers), text, confident, repeat, tuple(notes), norm, label)


def _check_options(padding: object, pool: object, op: object, rank: object) -> None:
    """Caller mistakes are ValueErrors that say what is allowed."""
    if padding not in (None, "same", "valid"):
        raise ValueError(f'default_padding must be "same", "valid" or None, not {padding!r}')
    if pool not in (None, "max", "avg"):
        raise ValueError(f'default_pool must be "max", "avg" or None, not {pool!r}')
    if rank not in (1, 2, 3):
        raise ValueError(f"rank must be 1, 2 or 3, not {rank!r}")
    if op is not None and (not isinstance(op, str) or op.replace("{r}", "2") not in OPS):
        raise ValueError(f"default_op must be a registry op such as 'conv2d', not {op!r}")


def _leading_plus(elements: list[object], notes: list[str]) -> list[object]:
    """A "+" before any op is the add itself, not a joiner: "+, relu" (an add box with the
    activation merged into its label) is add then relu. Only a "+" that ops follow."""
    first = next(
        (i for i, e in enumerate(elements) if not (isinstance(e, _Item) and e.kind == "sep")), None
    )
    if first is None or not any(isinstance(e, _Draft) for e in elements[first:]):
        return elements
    lead = elements[:first]
    if not any(isinstance(e, _Item) and e.value == "+" for e in lead):
        return elements
    notes.append("a leading '+' is an add")
    return [_Draft(_Spec("add"), "+"), _Item("sep", "+", "+"), *elements[first:]]


def _no_op_word(elements: list[object], default_op: str | None, notes: list[str]):
    """A phrase without an op word: "+" alone, a filter shape, or default_op (one op
    per part between strong separators: "[3x3, 64; 3x3, 64]" is two layers)."""
    items = [e for e in elements if isinstance(e, _Item)]
    kinds = {i.kind for i in items}
    if items and kinds <= {"sep"} and any(i.value == "+" for i in items):
        return [_Draft(_Spec("add"), "+")]
    sizes = [i for i in items if i.kind == "size"]
    if default_op is not None and kinds & (_ATTACHABLE - {"repeat"}):
        notes.append(f"op from default_op={default_op!r}")
        out: list[object] = []
        start = 0
        for i, e in enumerate([*elements, _Item("sep", "+", "")]):
            if isinstance(e, _Item) and e.kind == "sep" and e.value in _STRONG_SEPS:
                part = elements[start:i]
                if any(isinstance(p, _Item) and p.kind in _ATTACHABLE - {"repeat"} for p in part):
                    out.append(_Draft(_Spec(default_op), default_op))
                out.extend(elements[start : i + 1])
                start = i + 1
        return out
    if len(sizes) == 1 and len(sizes[0].value) == 4 and kinds <= {"size", "sep", "stride", "pad"}:
        notes.append("a 4-dim filter shape read as a convolution")
        return [_Draft(_Spec("conv{r}d"), "filter shape"), *elements]
    return None
