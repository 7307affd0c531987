"""Finishing: a draft becomes a `Layer` - a size read as kernel, padding or output by
the op and its rank, values made one entry per spatial dim, input and output sizes
channels first, defaults applied (with a note), required attributes the text leaves
unstated made holes."""

from __future__ import annotations

from papercc.compiler.phrases.draft import Draft
from papercc.compiler.phrases.families import explicit_rank, family
from papercc.compiler.phrases.results import HOLE, Layer


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


def finish(draft: Draft, rank: int, default_padding: str | None, default_pool: str | None) -> Layer:
    """The layer a draft describes, at `rank` unless the op or the text states one."""
    spec, meta, notes = draft.spec, draft.meta, draft.notes
    attrs = dict(spec.fixed)
    stride_from_kernel = attrs.pop("stride_from_kernel", False)
    attrs.update(draft.attrs)
    fam = family(spec.op)
    op = spec.op
    size = attrs.pop("_size", None)
    kernel_int = attrs.pop("_kernel_int", None)
    channels = attrs.pop("_channels", None)
    chw = attrs.pop("_chw", False)
    if op == "pool" and default_pool in ("max", "avg"):
        op, fam = f"{default_pool}pool{{r}}d", f"{default_pool}pool"
        notes.append(f"pool type from default_pool={default_pool!r}")
    r = draft.rank or explicit_rank(op) or rank
    if fam in ("input", "output"):
        if size is not None:
            attrs["shape"] = _shape(size, channels, chw, notes)
        elif channels is not None:
            attrs["shape"] = (channels, HOLE, HOLE)
    elif size is not None:
        _read_size(draft, attrs, size, fam, op, r)
    if kernel_int is not None and "kernel" not in attrs:
        attrs["kernel"] = _spatial(int(kernel_int), r)
    _spatial_values(draft, attrs, fam, op, r)
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


def _read_size(draft: Draft, attrs: dict, size: tuple, fam: str, op: str, r: int) -> None:
    """A size ("3x3", "3x3x64", "1x2") into attrs: an adaptive pool's output, the
    padding of a zero pad, else a kernel (with a filter shape's channel counts)."""
    notes = draft.notes
    size = tuple(int(d) if float(d).is_integer() else d for d in size)
    if fam == "adaptive_avgpool" or fam == "adaptive_maxpool":
        attrs["output"] = size
    elif draft.meta.size != "kernel" and len(size) in (1, r, 2 * r):  # ZeroPad 1x2: padding
        attrs[draft.meta.size] = _spatial(size if len(size) > 1 else size[0], r)
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
        notes.append(f"size {'x'.join(map(str, size))} does not fit {op.replace('{r}', str(r))}")
        draft.clash = True


def _spatial_values(draft: Draft, attrs: dict, fam: str, op: str, r: int) -> None:
    """Kernel, stride, dilation and padding checked against the rank (a clash if they
    do not fit) and made one entry per spatial dim."""
    for name in ("kernel", "stride", "dilation", "padding"):
        value = attrs.get(name)
        fits = (r, 2 * r) if name == "padding" else (r,)
        if isinstance(value, tuple) and (
            len(value) not in fits or not all(isinstance(v, int) for v in value)
        ):
            draft.notes.append(
                f"{name} {value} does not fit a rank-{r} {op.replace('{r}', str(r))}"
            )
            draft.clash = True
    if draft.meta.spatial:
        for name in ("stride", "dilation"):
            if name in attrs and isinstance(attrs[name], (int, tuple)):
                attrs[name] = _spatial(attrs[name], r)
        if isinstance(attrs.get("padding"), int):
            attrs["padding"] = _spatial(attrs["padding"], r)
    if fam == "zeropad" and isinstance(attrs.get("padding"), int):
        attrs["padding"] = _spatial(attrs["padding"], r)


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


def _put_checked(attrs: dict, name: str, value: object, notes: list[str], draft: Draft) -> None:
    if name in attrs and attrs[name] != value:
        notes.append(f"{name}={value} from the size clashes with {name}={attrs[name]}")
        draft.clash = True
    else:
        attrs[name] = value
