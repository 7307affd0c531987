"""Pooling: max/avg 1d/2d/3d, global, adaptive."""

from __future__ import annotations

from ..registry import Attr, Drawing, OpDef, ShapeError, same_as
from .rules import LAYOUT_NAMES, as_tuple, int_or_none, known, require_min_rank, spatial_out

_SUFFIX = {1: "1d", 2: "2d", 3: "3d"}


# How papers write pooling (the renderer's phrasings: resnet, caffe, vgg, compact, verbose);
# windowed pooling gives the word, sizes are written around it.
_WINDOW_FORMS = {
    "max": ("max pool", "MaxPool", "maxpool", "MaxPool", "MaxPool"),
    "avg": ("avg pool", "Avg Pool", "avg pool", "Avg Pool", "Avg Pool"),
}
_GLOBAL_FORMS = {
    "avg": ("global avg pool", "Global Avg Pool", "GAP", "GlobalAvgPool", "Global average pooling"),
    "max": ("global max pool", "Global Max Pool", "GMP", "Global Max Pool", "Global max pooling"),
}


def _window(kind: str, rank: int) -> OpDef:
    name = f"{kind}pool{_SUFFIX[rank]}"

    def infer(inputs, a):
        (x,) = inputs
        if x.shape is not None and len(x.shape) != rank + 2:
            raise ShapeError(
                f"{name} expects a rank-{rank + 2} input {LAYOUT_NAMES[rank]}, got {x}"
            )
        kernel = as_tuple(a["kernel"], rank, "kernel")
        begins = a["padding"]
        if isinstance(begins, int) or isinstance(begins, tuple):
            pads = (
                as_tuple(begins, rank, "padding")
                if not (isinstance(begins, tuple) and len(begins) == 2 * rank)
                else begins[:rank]
            )
            for p, k in zip(pads, kernel, strict=True):
                if known(p, k) and p * 2 > k:
                    raise ShapeError(
                        f"{name}: padding {p} is more than half the kernel {k} (PyTorch and ONNX reject it)"
                    )
        sizes = spatial_out(x, rank, a, ceil_mode=a["ceil_mode"] is True, what="pooling window")
        return [x.with_shape((x.dim(0), x.dim(1), *sizes))]

    attrs = [
        Attr("kernel", "ints", doc="window size per spatial dim", min=1),
        Attr(
            "stride", "ints", same_as("kernel"), "step per spatial dim (default: the kernel)", min=1
        ),
        Attr(
            "padding",
            "padding",
            0,
            'padding per dim, (begins..., ends...), "same" or "valid"',
            choices=("same", "valid"),
            min=0,
        ),
    ]
    if kind == "max":
        attrs.append(Attr("dilation", "ints", 1, "spacing between window taps", min=1))
    attrs.append(Attr("ceil_mode", "bool", False, "round the output size up (Caffe's rule)"))
    if kind == "avg":
        attrs.append(
            Attr("count_include_pad", "bool", True, "divide by the full window, padding included")
        )
    what = "maximum" if kind == "max" else "average"
    return OpDef(
        name=name,
        category="pooling",
        drawing=Drawing(_WINDOW_FORMS[kind], group="pooling"),
        doc=f"{rank}-D {what} pooling over {LAYOUT_NAMES[rank]} input.",
        inputs=("x",),
        attrs=tuple(attrs),
        infer=infer,
        prefix=f"{kind}pool",
        spatial_rank=rank,
        example=f"y = {name}(x, kernel=3, stride=2, padding=1)",
    )


def _global(kind: str) -> OpDef:
    name = f"global{kind}pool"

    def infer(inputs, a):
        (x,) = inputs
        require_min_rank(x, 3, name)
        if x.shape is None:
            return [x]
        if a["keepdims"] is False:
            return [x.with_shape(x.shape[:2])]
        return [x.with_shape((*x.shape[:2], *([1] * (len(x.shape) - 2))))]

    what = "average" if kind == "avg" else "maximum"
    return OpDef(
        name=name,
        category="pooling",
        drawing=Drawing(_GLOBAL_FORMS[kind], group="pooling"),
        doc=f"Global {what} over all spatial dims: [N, C, ...] -> [N, C, 1, ...] (or [N, C]).",
        inputs=("x",),
        attrs=(Attr("keepdims", "bool", True, "keep the spatial dims as size 1"),),
        infer=infer,
        prefix=f"global{kind}pool",
        example=f"y = flatten({name}(x))",
    )


def _sizes(rank: int, n: int) -> str:
    return str(n) if rank == 1 else "(" + ", ".join([str(n)] * rank) + ")"


def _adaptive(kind: str, rank: int) -> OpDef:
    name = f"adaptive_{kind}pool{_SUFFIX[rank]}"

    def infer(inputs, a):
        (x,) = inputs
        if x.shape is not None and len(x.shape) != rank + 2:
            raise ShapeError(
                f"{name} expects a rank-{rank + 2} input {LAYOUT_NAMES[rank]}, got {x}"
            )
        out = as_tuple(a["output"], rank, "output")
        return [x.with_shape((x.dim(0), x.dim(1), *(int_or_none(o) for o in out)))]

    what = "average" if kind == "avg" else "maximum"
    return OpDef(
        name=name,
        category="pooling",
        drawing=Drawing((f"Adaptive {kind} pool",), group="pooling"),
        doc=f"{rank}-D adaptive {what} pooling to a fixed output size (PyTorch's bins).",
        inputs=("x",),
        attrs=(Attr("output", "ints", doc="output size per spatial dim", min=1),),
        infer=infer,
        positional=1,
        prefix=f"adaptive{kind}pool",
        spatial_rank=rank,
        example=f"y = {name}(x, {_sizes(rank, 6)})",
    )


OPS = (
    *(_window(k, r) for k in ("max", "avg") for r in (1, 2, 3)),
    _global("avg"),
    _global("max"),
    *(_adaptive(k, r) for k in ("avg", "max") for r in (1, 2, 3)),
)
