"""Pooling: max/avg 1d/2d/3d, global, adaptive."""

from __future__ import annotations

from ..registry import Attr, Case, Drawing, OpDef, ShapeError, same_as
from .rules import LAYOUT_NAMES, as_tuple, int_or_none, known, require_min_rank, spatial_out

_SUFFIX = {1: "1d", 2: "2d", 3: "3d"}

# input signatures the conformance cases share
IMG = "x: f32[N, 4, 10, 11]"
IMG_12x11 = "x: f32[N, 3, 12, 11]"
IMG_9x10 = "x: f32[N, 3, 9, 10]"
IMG_8x8 = "x: f32[N, 3, 8, 8]"
VOL = "x: f32[N, 2, 5, 6, 7]"

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


def _window(kind: str, rank: int, *cases: Case) -> OpDef:
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
        cases=cases,
    )


def _global(kind: str, *cases: Case) -> OpDef:
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
        cases=cases,
    )


def _sizes(rank: int, n: int) -> str:
    return str(n) if rank == 1 else "(" + ", ".join([str(n)] * rank) + ")"


def _adaptive(kind: str, rank: int, *cases: Case) -> OpDef:
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
        cases=cases,
    )


OPS = (
    _window(
        "max",
        1,
        Case("padded", "x: f32[N, 3, 10]", "maxpool1d(x, kernel=2, padding=1)"),
        Case(
            "same_dilated",
            "x: f32[N, 1, 6]",
            'maxpool1d(x, kernel=2, stride=1, padding="same", dilation=3)',
        ),
    ),
    _window(
        "max",
        2,
        Case("same_stride2", IMG, 'maxpool2d(x, kernel=2, stride=2, padding="same")'),
        Case("same_stride2_9x10", IMG_9x10, 'maxpool2d(x, kernel=2, stride=2, padding="same")'),
        Case(
            "asymmetric_pads",
            IMG,
            "maxpool2d(x, kernel=3, stride=2, padding=(1, 0, 0, 1))",
            "(begins..., ends...): padded with -inf, not zeros",
        ),
        Case(
            "asymmetric_pads_9x10",
            IMG_9x10,
            "maxpool2d(x, kernel=3, stride=2, padding=(1, 0, 0, 1))",
        ),
        Case(
            "floor",
            IMG,
            "maxpool2d(x, kernel=3, stride=2)",
            "DLIR rounds down like PyTorch; Caffe rounds up by default",
        ),
        Case("ceil", IMG, "maxpool2d(x, kernel=3, stride=2, ceil_mode=true)"),
        Case("ceil_12x11", IMG_12x11, "maxpool2d(x, kernel=3, stride=2, ceil_mode=true)"),
        Case("ceil_8x8", IMG_8x8, "maxpool2d(x, kernel=3, stride=2, ceil_mode=true)"),
        Case("ceil_padded", IMG, "maxpool2d(x, kernel=3, stride=2, padding=1, ceil_mode=true)"),
        Case(
            "ceil_padded_12x11",
            IMG_12x11,
            "maxpool2d(x, kernel=3, stride=2, padding=1, ceil_mode=true)",
        ),
        Case(
            "ceil_padded_8x8",
            IMG_8x8,
            "maxpool2d(x, kernel=3, stride=2, padding=1, ceil_mode=true)",
        ),
        Case(
            "ceil_last_window_in_padding",
            "x: f32[N, 2, 5, 5]",
            "maxpool2d(x, kernel=2, stride=2, padding=1, ceil_mode=true)",
            "a last window that would start in the end padding is dropped (PyTorch's rule)",
        ),
        Case("dilation_padded", IMG, "maxpool2d(x, kernel=2, stride=2, dilation=2, padding=1)"),
        Case(
            "dilation_ceil",
            IMG,
            "maxpool2d(x, kernel=3, stride=2, dilation=(1, 2), ceil_mode=true)",
        ),
        Case("dilation_stride1", IMG_12x11, "maxpool2d(x, kernel=2, stride=1, dilation=2)"),
        Case("dilation_stride1_9x10", IMG_9x10, "maxpool2d(x, kernel=2, stride=1, dilation=2)"),
    ),
    _window(
        "max",
        3,
        Case("ceil", VOL, "maxpool3d(x, kernel=2, ceil_mode=true)"),
        Case(
            "padded_dilated",
            VOL,
            "maxpool3d(x, kernel=(2, 3, 2), stride=(1, 2, 2), padding=(1, 0, 1), "
            "dilation=(1, 1, 2))",
        ),
    ),
    _window(
        "avg",
        1,
        Case("ceil", "x: f32[N, 3, 10]", "avgpool1d(x, kernel=3, stride=2, ceil_mode=true)"),
    ),
    _window(
        "avg",
        2,
        Case(
            "asymmetric_exclude",
            IMG,
            "avgpool2d(x, kernel=3, stride=2, padding=(1, 0, 0, 1), count_include_pad=false)",
        ),
        Case(
            "asymmetric_exclude_9x10",
            IMG_9x10,
            "avgpool2d(x, kernel=3, stride=2, padding=(1, 0, 0, 1), count_include_pad=false)",
        ),
        Case("asymmetric_include", IMG, "avgpool2d(x, kernel=3, stride=2, padding=(1, 0, 0, 1))"),
        Case(
            "asymmetric_include_9x10",
            IMG_9x10,
            "avgpool2d(x, kernel=3, stride=2, padding=(1, 0, 0, 1))",
        ),
        Case("floor", IMG, "avgpool2d(x, kernel=2)"),
        Case(
            "ceil_include",
            IMG,
            "avgpool2d(x, kernel=3, stride=2, ceil_mode=true)",
            "the window cut by the input's end divides by what is inside, not the kernel",
        ),
        Case("ceil_include_12x11", IMG_12x11, "avgpool2d(x, kernel=3, stride=2, ceil_mode=true)"),
        Case("ceil_include_8x8", IMG_8x8, "avgpool2d(x, kernel=3, stride=2, ceil_mode=true)"),
        Case(
            "ceil_padded_include",
            IMG,
            "avgpool2d(x, kernel=3, stride=2, padding=1, ceil_mode=true)",
        ),
        Case(
            "ceil_padded_include_12x11",
            IMG_12x11,
            "avgpool2d(x, kernel=3, stride=2, padding=1, ceil_mode=true)",
        ),
        Case(
            "ceil_padded_include_8x9",
            "x: f32[N, 3, 8, 9]",
            "avgpool2d(x, kernel=3, stride=2, padding=1, ceil_mode=true)",
        ),
        Case(
            "ceil_padded_exclude",
            IMG,
            "avgpool2d(x, kernel=3, stride=2, padding=1, ceil_mode=true, count_include_pad=false)",
        ),
        Case(
            "ceil_padded_exclude_8x9",
            "x: f32[N, 3, 8, 9]",
            "avgpool2d(x, kernel=3, stride=2, padding=1, ceil_mode=true, count_include_pad=false)",
        ),
        Case(
            "exclude_pad",
            IMG,
            "avgpool2d(x, kernel=3, stride=1, padding=1, count_include_pad=false)",
        ),
        Case(
            "exclude_pad_12x11",
            IMG_12x11,
            "avgpool2d(x, kernel=3, stride=1, padding=1, count_include_pad=false)",
        ),
        Case(
            "exclude_pad_9x10",
            IMG_9x10,
            "avgpool2d(x, kernel=3, stride=1, padding=1, count_include_pad=false)",
        ),
        Case("include_pad", IMG, "avgpool2d(x, kernel=3, stride=1, padding=1)"),
        Case(
            "same_exclude",
            IMG_9x10,
            'avgpool2d(x, kernel=4, stride=3, padding="same", count_include_pad=false)',
        ),
        Case("same_include", IMG_9x10, 'avgpool2d(x, kernel=4, stride=3, padding="same")'),
        Case(
            "end_pad_beyond_kernel",
            IMG_9x10,
            "avgpool2d(x, kernel=2, padding=(0, 1, 2, 1))",
            "an end pad larger than half the kernel (only the begins are limited)",
        ),
    ),
    _window(
        "avg",
        3,
        Case(
            "exclude_ceil",
            VOL,
            "avgpool3d(x, kernel=3, stride=2, padding=1, count_include_pad=false, ceil_mode=true)",
        ),
        Case("include_padded", VOL, "avgpool3d(x, kernel=(3, 2, 2), padding=(1, 0, 1))"),
        Case(
            "ceil_then_maxpool", VOL, "maxpool3d(avgpool3d(x, kernel=2, ceil_mode=true), kernel=2)"
        ),
    ),
    _global(
        "avg",
        Case("rank3", "x: f32[N, 3, 10]", "globalavgpool(x)"),
        Case(
            "multi_output",
            IMG,
            "y = relu(conv2d(x, 4, kernel=3))\nreturn y, dense(flatten(globalavgpool(y)), 3), x",
            "several outputs, one of them the input",
        ),
        Case(
            "multi_output_12x11",
            IMG_12x11,
            "a = conv2d(x, 4, kernel=3)\nb = dense(flatten(globalavgpool(a)), 3)\nreturn a, b",
        ),
        Case("keepdims_with_max", IMG_9x10, "add(globalavgpool(x), globalmaxpool(x))"),
        Case(
            "no_keepdims_with_max",
            IMG_12x11,
            "add(globalavgpool(x, keepdims=false), globalmaxpool(x, keepdims=false))",
        ),
    ),
    _global(
        "max",
        Case("no_keepdims", IMG, "globalmaxpool(conv2d(x, 3, kernel=1), keepdims=false)"),
        Case(
            "no_keepdims_concat",
            IMG_9x10,
            "concat(globalavgpool(x, keepdims=false), globalmaxpool(x, keepdims=false))",
        ),
    ),
    _adaptive(
        "avg",
        1,
        Case(
            "uneven",
            "x: f32[N, 3, 10]",
            "adaptive_avgpool1d(x, 4)",
            "bins of different sizes that overlap (PyTorch's floor/ceil bin edges)",
        ),
    ),
    _adaptive(
        "avg",
        2,
        Case("uneven", IMG, "adaptive_avgpool2d(conv2d(x, 3, kernel=1), (3, 4))"),
        Case("divisible", "x: f32[N, 2, 12, 8]", "adaptive_avgpool2d(x, (4, 2))"),
        Case("even", IMG_9x10, "adaptive_avgpool2d(x, (3, 5))"),
        Case("uneven_9x10", IMG_9x10, "adaptive_avgpool2d(x, (4, 3))"),
    ),
    _adaptive("avg", 3, Case("uneven", VOL, "adaptive_avgpool3d(x, (2, 4, 7))")),
    _adaptive(
        "max",
        1,
        Case("uneven", "x: f32[N, 3, 10]", "adaptive_maxpool1d(x, 3)"),
        Case("uneven_11", "x: f32[N, 3, 11]", "adaptive_maxpool1d(x, 5)"),
    ),
    _adaptive(
        "max",
        2,
        Case("uneven", IMG, "adaptive_maxpool2d(x, (4, 3))"),
        Case("uneven_9x10", IMG_9x10, "adaptive_maxpool2d(x, (4, 7))"),
        Case(
            "with_avg",
            IMG_12x11,
            "add(adaptive_avgpool2d(x, (5, 3)), adaptive_maxpool2d(x, (5, 3)))",
        ),
    ),
    _adaptive("max", 3, Case("uneven", VOL, "adaptive_maxpool3d(x, (2, 4, 3))")),
)
