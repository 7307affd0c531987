"""Vocabulary: which words name which op (`SYNONYMS`, read from one table), and the
other word classes a phrase may hold: harmless words, padding, channel, unit and
choice words, strong separators, qualifiers."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from papercc.ir.registry import OPS


@dataclass(frozen=True)
class Spec:
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
channel_shuffle: channel shuffle | channel shuffling | shuffle
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


def _read_synonyms(table: str) -> dict[str, Spec]:
    """The table above -> {synonym with spaces removed: spec}."""
    out: dict[str, Spec] = {}
    for entry in re.split(r"\n(?! )", table.strip()):
        head, _, names = " ".join(entry.split()).partition(":")
        op, *options = head.split()
        fixed = {}
        for opt in options:
            if opt != "letter":
                key, _, value = opt.partition("=")
                fixed[key] = ast.literal_eval(value)
        spec = Spec(op, tuple(sorted(fixed.items())), "letter" in options)
        for name in names.split("|"):
            out["".join(name.split())] = spec
    return out


SYNONYMS: dict[str, Spec] = _read_synonyms(_SYNONYM_TABLE)
_NAMES = [
    name.split()
    for entry in re.split(r"\n(?! )", _SYNONYM_TABLE.strip())
    for name in entry.partition(":")[2].split("|")
]
VOCABULARY = frozenset(word for name in _NAMES for word in name)
MAX_SYNONYM_WORDS = max(len(name) for name in _NAMES)

# Words that carry no meaning in a layer label; ignored without lowering confidence.
HARMLESS = frozenset(
    "layer layers block blocks module modules unit units op operation the with of an "
    "filters filter channels channel feature features maps map kernels neurons nodes "
    "outputs dim dims dimension dimensional d way activation function type tile "
    "each per by followed fully size sized wide deep nonlinearity non linearity x".split()
)
NOT_SYMBOLS = frozenset("sxd")  # single letters never read as a symbolic count
HARMLESS_MARKS = frozenset(".#'\"`~!*")
STRONG_SEP_WORDS = frozenset({"and", "then"})
PAD_WORDS = {"v": "valid", "valid": "valid", "same": "same"}
CHANNEL_WORDS = {
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
UNIT_WORDS = dict.fromkeys(
    "filters filter channels maps units neurons nodes outputs hidden".split(), "_number"
) | {"layer": "layers", "layers": "layers"}
STRONG_SEPS = frozenset({"+", ";", "->", "=>", "|", "&"})
# Words naming a value of a string attribute, from the registry's choices
# ("bilinear" -> mode of upsample/resize); padding words are PAD_WORDS.
CHOICE_WORDS = {
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
QUALIFIERS = {"linear": "linear: no activation"}
