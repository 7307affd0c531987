"""Drafts: a layer being assembled while one phrase is read, and how each piece (an
`Item`) sets its attributes: `accepts` says whether an op takes a piece, `apply_item`
gives it; bare numbers that may fill the op's pair are held back and read by
`settle_numbers`."""

from __future__ import annotations

from dataclasses import dataclass, field

from papercc.compiler.phrases.families import (
    BLOCK_GLUED,
    FLOAT_TARGETS,
    META,
    PAIR_FITS,
    Meta,
    explicit_rank,
    family,
)
from papercc.compiler.phrases.tokens import Item
from papercc.compiler.phrases.vocabulary import Spec


@dataclass
class Draft:
    """A layer being assembled (mutable while one phrase is read; not part of the
    package's API)."""

    spec: Spec
    words: str
    attrs: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    rank: int | None = None
    size: tuple | None = None
    clash: bool = False
    numbers: list = field(default_factory=list)  # bare numbers held for meta.pair
    numbers_read: int = 0  # bare numbers read at once (so not part of a pair)

    @property
    def meta(self) -> Meta:
        return META.get(family(self.spec.op), Meta())

    def put(self, name: str, value: object, raw: str) -> None:
        old = self.attrs.get(name)
        if old is not None and old != value:
            self.notes.append(f"{raw!r} clashes with {name}={old!r}; kept the first")
            self.clash = True
        elif old is None:
            self.attrs[name] = value


# the kinds of piece (Item.kind) that give an op an attribute
ATTACHABLE = {
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


def accepts(draft: Draft, item: Item) -> bool:
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
        return family(draft.spec.op) in ("input", "output")
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


_SIZE_KINDS = ("size", "gsize", "stride", "kernel", "fmap")


def apply_item(draft: Draft, item: Item, rest: list[Item]) -> None:
    """Give one piece to the op it belongs to (accepted already)."""
    meta, kind, value, raw = draft.meta, item.kind, item.value, item.raw
    if kind == "rank" and not meta.spatial:
        kind = "numd"
    if meta.sink and kind in _SIZE_KINDS and not meta.spatial:
        _apply_to_sink(draft, kind, value, raw)
    elif kind in _SIZE_KINDS:
        _apply_size(draft, kind, value, raw)
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
        _apply_rank_suffix(draft, value, raw)
    elif kind == "qualifier":
        draft.notes.append(value)
    elif kind == "num" and _holds(draft, item):
        draft.numbers.append(item)  # may start a pair: read in settle_numbers
    elif kind == "num":
        draft.numbers_read += 1
        _apply_number(draft, item)
    elif kind in ("num", "dashnum", "numd"):
        _apply_number(draft, item)
    elif kind == "kv":
        _apply_kv(draft, item)


def _apply_to_sink(draft: Draft, kind: str, value: object, raw: str) -> None:
    """A size or stride given to an op that takes none (a dense, a global pool): a
    dense's "in x out" size or feature maps give its units, the rest is noted."""
    if kind == "size" and family(draft.spec.op) == "dense" and len(value) == 2:
        draft.put("units", int(value[1]), raw)
        draft.notes.append(f"{raw!r} read as in x out; {value[0]} inputs")
    elif kind == "fmap" and family(draft.spec.op) == "dense":
        draft.put("units", value[0], raw)
    elif kind == "stride" and value == 1:
        draft.notes.append(f"{raw!r}: stride 1 of {draft.words!r} ignored")
    else:
        draft.notes.append(f"{raw!r} ignored: {draft.words!r} takes no size or stride")


def _apply_size(draft: Draft, kind: str, value: object, raw: str) -> None:
    """A size ("3x3"), a GoogLeNet size ("3x3+2(s)"), feature maps ("6@28x28"), a
    stride or a kernel ("k3") of a spatial op; sizes are resolved when finishing."""
    if kind == "size":
        draft.put("_size", value, raw)
    elif kind == "gsize":
        draft.put("_size", value[0], raw)
        draft.put("stride", value[1], raw)
        if value[2]:
            draft.put("padding", value[2], raw)
    elif kind == "fmap":
        count, hw = value
        if family(draft.spec.op) in ("input", "output"):
            draft.put("_size", (count, *hw), raw)
            draft.put("_chw", True, raw)
        elif draft.meta.number in ("out",):
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


def _apply_rank_suffix(draft: Draft, value: int, raw: str) -> None:
    """A rank glued to an op word ("MaxPool3D"): the rank of a rank-generic op."""
    if draft.meta.spatial and "{r}" in draft.spec.op:
        draft.rank = value
    elif explicit_rank(draft.spec.op) not in (None, value):
        draft.notes.append(f"{raw!r}: rank {value} clashes with {draft.spec.op}")
        draft.clash = True
    else:
        draft.notes.append(f"{raw!r}: rank suffix {value}d ignored")


def _apply_glued(draft: Draft, item: Item, rest: list[Item]) -> None:
    """A number glued to the op word: VGG "conv3-64", "MBConv6", or an index ("fc7")."""
    dims, raw = item.value, item.raw
    fam = family(draft.spec.op)
    if draft.spec.op == "block":
        name = dict(draft.spec.fixed)["name"]
        attr = BLOCK_GLUED.get(name)
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


def _holds(draft: Draft, item: Item) -> bool:
    """Is a bare number held back as (possibly) the first or second of meta.pair?
    Only while the pair's first attribute is unstated; numbers that cannot start
    a pair are read at once, in text order, like everywhere else."""
    pair = draft.meta.pair
    if not pair or draft.numbers_read or any(n in draft.attrs for n in _stated_as(pair[0])):
        return False
    return bool(draft.numbers) or PAIR_FITS.get(pair[0], _any_value)(item.value)


def _stated_as(name: str) -> tuple[str, ...]:
    """Draft attributes that state `name` (a kernel may come from a size)."""
    return ("_size", "_kernel_int", "kernel") if name == "kernel" else (name,)


def _any_value(value: object) -> bool:
    return True


def settle_numbers(draft: Draft) -> None:
    """Bare numbers held back for meta.pair: exactly two, the first attribute not
    stated otherwise and the first number fitting it (PAIR_FITS) -> the pair, in the
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


def _apply_number(draft: Draft, item: Item, target: str | None = None) -> None:
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
    elif isinstance(value, float) and target not in FLOAT_TARGETS:
        draft.notes.append(f"{raw!r}: not a whole number for {target}")
        draft.clash = True
    else:
        draft.put(target, value, raw)


def _apply_kv(draft: Draft, item: Item) -> None:
    name, value = item.value
    raw, meta = item.raw, draft.meta
    if value is None:  # the text says something we could not read
        draft.notes.append(f"{raw!r} without a value that fits")
        draft.clash = True
        return
    if name == "_number":
        _apply_number(draft, Item("num", value, raw))
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
