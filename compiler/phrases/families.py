"""Op families (an op without its rank suffix): how each reads the pieces of a phrase -
bare numbers, pairs of numbers, sizes, strides - as `Meta`, from the `_READING` table
and the registry's attributes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from papercc.ir.registry import OPS


# When a pair of bare numbers may fill meta.pair: "Conv 3, 64" reads 3 as the
# kernel only when it looks like one - a small odd size (1, 3, ..., 11); else
# both numbers go to meta.number as before (and clash).
def _kernel_like(value: object) -> bool:
    return isinstance(value, int) and 0 < value <= 11 and value % 2 == 1


PAIR_FITS = {"kernel": _kernel_like}


@dataclass(frozen=True)
class Meta:
    """How an op reads the pieces of a phrase.

    attrs: attributes a key may set; required: attributes without a default (a
    hole when unstated) - both from the op registry for registry ops; number:
    what a bare number sets; pair: what two bare numbers set, in the registry's
    order ("Embedding 10000, 512": num, dim; "Conv 3, 64": kernel, out - the
    first only when it fits, see PAIR_FITS); size: what a size "AxB" sets;
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


def _read_meta(table: str) -> dict[str, Meta]:
    """_READING plus the registry's attributes -> {family: Meta}."""
    out: dict[str, Meta] = {
        name: Meta(tuple(a.name for a in op.attrs), tuple(a.name for a in op.attrs if a.required))
        for name, op in OPS.items()
    }
    for line in table.strip().splitlines():
        fam, *options = line.split()
        fields: dict[str, object] = {}
        for opt in options:
            key, _, value = opt.partition("=")
            if key in ("attrs", "required", "pair"):
                fields[key] = tuple(value.split(","))
            else:
                fields[key] = value or True
        op = OPS.get(fam) or OPS.get(fam + "2d")
        if op is not None:
            fields["attrs"] = tuple(a.name for a in op.attrs)
            fields["required"] = tuple(a.name for a in op.attrs if a.required)
        out[fam] = Meta(**fields)
    return out


META: dict[str, Meta] = _read_meta(_READING)
FLOAT_TARGETS = frozenset({"alpha", "rate", "eps", "momentum"})
BLOCK_GLUED = {"mbconv": "expand"}  # "MBConv6": expansion 6; other blocks: an index


@lru_cache(maxsize=256)
def family(op: str) -> str:
    """Registry op or template -> its META key ("maxpool{r}d" -> "maxpool")."""
    base = re.sub(r"(\{r\}|[123])d$", "", op)
    return base if base in META else op


def explicit_rank(op: str) -> int | None:
    """The rank an op name states ("conv3d" -> 3), or None ("conv{r}d", "dense")."""
    m = re.search(r"([123])d$", op)
    return int(m[1]) if m else None
