"""Dense layers and tensor plumbing: dense, flatten, reshape, transpose, dropout, identity,
embedding, add/mul/concat/split, center_crop, upsample/resize, zero padding."""

from __future__ import annotations

from ..registry import Attr, Case, Drawing, OpDef, ShapeError, WeightSpec, decompose
from ..types import INT_DTYPES, dims_agree, merge_dim
from ..values import HOLE
from .rules import (
    LAYOUT_NAMES,
    as_tuple,
    bias_spec,
    channels,
    int_or_none,
    known,
    mul_dims,
    require_min_rank,
    require_rank,
    same_shape,
)

# input signatures the conformance cases share
IMG = "x: f32[N, 4, 10, 11]"
IMG_12x11 = "x: f32[N, 3, 12, 11]"
IMG_9x10 = "x: f32[N, 3, 9, 10]"


def _axis(axis, rank: int | None, op: str):
    if axis is HOLE or rank is None:
        return None
    if not -rank <= axis < rank:
        raise ShapeError(f"{op}: axis {axis} is out of range for rank {rank}")
    return axis % rank


# ---------------------------------------------------------------- dense


def _dense_infer(inputs, a):
    (x,) = inputs
    require_min_rank(x, 2, "dense")
    if x.shape is None:
        return [x]
    return [x.with_shape((*x.shape[:-1], int_or_none(a["units"])))]


def _dense_weights(inputs, a):
    fin = inputs[0].dim(-1)
    return [
        WeightSpec("weight", (int_or_none(a["units"]), int_or_none(fin))),
        *bias_spec(a["units"], a["bias"]),
    ]


DENSE = OpDef(
    name="dense",
    category="linear",
    drawing=Drawing(
        (
            "fc {}|units",
            "FC {}|units",
            "FC-{}|units",
            "Dense ({})|units",
            "Fully connected {}|units",
        ),
        group="mixing",
    ),
    doc="Fully connected layer on the last dim: y = x W^T + b (weight [units, in]).",
    inputs=("x",),
    attrs=(
        Attr("units", "int", doc="output features", min=1),
        Attr("bias", "bool", True, "add a learned bias"),
    ),
    infer=_dense_infer,
    weights=_dense_weights,
    positional=1,
    prefix="fc",
    example="y = dense(flatten(x), 1000)",
    cases=(
        Case("on_sequence", "x: f32[N, 5, 6]", "dense(x, 3)", "on the last dim of [N, T, F]"),
        Case("on_sequence_no_bias", "x: f32[N, 5, 6]", "dense(x, 4, bias=false)"),
        Case(
            "multi_output",
            "x: f32[N, 3, 8, 8]",
            "y = conv2d(x, 4, kernel=3)\nreturn dense(flatten(y), 3), relu(y)",
        ),
    ),
)


def _flatten_infer(inputs, a):
    (x,) = inputs
    if x.shape is None:
        return [x.with_shape(None)]
    axis = _axis(a["axis"], len(x.shape), "flatten")
    if axis is None:
        return [x.with_shape(None)]
    return [x.with_shape((*x.shape[:axis], mul_dims(*x.shape[axis:])))]


FLATTEN = OpDef(
    name="flatten",
    category="shape",
    drawing=Drawing(("flatten", "Flatten", "flatten", "Flatten", "Flatten"), undrawn=1),
    doc="Collapse dims from `axis` on into one, in NCHW (C-major) order.",
    inputs=("x",),
    attrs=(Attr("axis", "int", 1, "first dim to collapse"),),
    infer=_flatten_infer,
    example="y = flatten(x)",
    cases=(
        Case(
            "before_dense",
            IMG,
            "dense(flatten(relu(conv2d(x, 3, kernel=3))), 7)",
            "C-major order (NCHW), also on a channels-last target",
        ),
        Case(
            "before_dense_6x5",
            "x: f32[N, 3, 6, 5]",
            "dense(flatten(relu(conv2d(x, 5, kernel=3))), 7)",
        ),
        Case("before_dense_9x10", IMG_9x10, "dense(flatten(conv2d(x, 5, kernel=3)), 7)"),
        Case("axis2", "x: f32[N, 3, 4, 5]", "flatten(conv2d(x, 2, kernel=1), axis=2)"),
        Case("axis2_input", IMG_9x10, "flatten(x, axis=2)"),
    ),
)


def _reshape_infer(inputs, a):
    (x,) = inputs
    shape = a["shape"]
    if shape is HOLE:
        return [x.with_shape(None)]
    shape = as_tuple(shape, len(shape) if isinstance(shape, tuple) else 1, "shape")
    if sum(1 for s in shape if s == -1) > 1:
        raise ShapeError(f"reshape: at most one -1 in shape, got {shape}")
    if any(s is not HOLE and s != -1 and s <= 0 for s in shape):
        raise ShapeError(f"reshape: sizes must be positive or -1, got {shape}")
    total = mul_dims(*x.shape[1:]) if x.shape is not None else None
    known_part = mul_dims(*(s for s in shape if s != -1))
    out = []
    for s in shape:
        if s == -1:
            if known(total, known_part):
                if known_part == 0 or total % known_part:
                    raise ShapeError(f"reshape: cannot reshape {x} to sample shape {shape}")
                out.append(total // known_part)
            else:
                out.append(None)
        else:
            out.append(int_or_none(s))
    if known(total, *out) and mul_dims(*out) != total:
        raise ShapeError(
            f"reshape: {x} has {total} values per sample, shape {shape} has {mul_dims(*out)}"
        )
    return [x.with_shape((x.dim(0), *out))]


RESHAPE = OpDef(
    name="reshape",
    category="shape",
    drawing=Drawing(("reshape", "Reshape", "reshape", "Reshape", "Reshape")),
    doc="Reshape each sample (the batch dim is kept): `shape` excludes the batch dim; one -1 allowed.",
    inputs=("x",),
    attrs=(Attr("shape", "ints", doc="per-sample shape, -1 inferred"),),
    infer=_reshape_infer,
    positional=1,
    example="y = reshape(x, (16, 5, 5))",
    cases=(
        Case("after_conv", IMG, "reshape(conv2d(x, 2, kernel=3), (2, -1))", "NCHW order"),
        Case("then_transpose", IMG_9x10, "transpose(reshape(x, (3, -1, 5)), (0, 2, 1, 3))"),
    ),
)


def _transpose_infer(inputs, a):
    (x,) = inputs
    perm = a["perm"]
    if perm is HOLE or x.shape is None:
        return [x.with_shape(None if x.shape is None else (None,) * len(x.shape))]
    perm = perm if isinstance(perm, tuple) else (perm,)
    if sorted(perm) != list(range(len(x.shape))):
        raise ShapeError(
            f"transpose: perm {perm} is not a permutation of the {len(x.shape)} dims of {x}"
        )
    if perm[0] != 0:
        raise ShapeError(f"transpose: perm {perm} must keep the batch dim first")
    return [x.with_shape(tuple(x.shape[p] for p in perm))]


TRANSPOSE = OpDef(
    name="transpose",
    category="shape",
    doc="Permute dims (perm over all dims, batch dim stays first).",
    inputs=("x",),
    attrs=(Attr("perm", "ints", doc="new order of dims"),),
    infer=_transpose_infer,
    positional=1,
    example="y = transpose(x, (0, 2, 1))",
    cases=(
        Case("after_conv", IMG, "transpose(conv2d(x, 2, kernel=3), (0, 2, 3, 1))"),
        Case(
            "then_reshape",
            IMG_12x11,
            "reshape(transpose(conv2d(x, 2, kernel=1), (0, 2, 3, 1)), (-1, 2))",
        ),
    ),
)


def _same(inputs, a):
    return [inputs[0]]


DROPOUT = OpDef(
    name="dropout",
    category="regularisation",
    drawing=Drawing(
        (
            "dropout {}|rate",
            "Dropout {}|rate",
            "dropout {}|rate",
            "Dropout ({})|rate",
            "Dropout, p={}|rate",
        ),
        undrawn=2,
    ),
    doc="Zero elements with probability `rate` in training; identity at inference.",
    inputs=("x",),
    attrs=(Attr("rate", "float", 0.5, "drop probability in [0, 1)", min=0.0),),
    infer=_same,
    positional=1,
    example="y = dropout(x, 0.5)",
    cases=(Case("identity_at_inference", IMG_9x10, "identity(dropout(x, 0.3))"),),
)

IDENTITY = OpDef(
    name="identity",
    category="shape",
    drawing=Drawing(("identity", "Identity", "identity", "Identity", "Identity")),
    doc="Pass the input through unchanged.",
    inputs=("x",),
    attrs=(),
    infer=_same,
    example="y = identity(x)",
    cases=(Case("after_conv", IMG, "identity(conv2d(x, 2, kernel=1))"),),
)


def _embedding_infer(inputs, a):
    (x,) = inputs
    if x.dtype not in INT_DTYPES:
        raise ShapeError(f"embedding expects integer token ids, got {x}")
    shape = None if x.shape is None else (*x.shape, int_or_none(a["dim"]))
    return [x.__class__("f32", shape)]


EMBEDDING = OpDef(
    name="embedding",
    category="linear",
    drawing=Drawing(
        (
            "embedding {}|dim",
            "Embedding {}|dim",
            "embed {}|dim",
            "Embedding ({})|dim",
            "Embedding {}|dim",
        ),
        group="expand",
    ),
    doc="Look up a learned vector per integer id: [N, T] ids -> [N, T, dim].",
    inputs=("x",),
    attrs=(
        Attr("num", "int", doc="vocabulary size", min=1),
        Attr("dim", "int", doc="vector size", min=1),
    ),
    infer=_embedding_infer,
    weights=lambda inputs, a: [
        WeightSpec("weight", (int_or_none(a["num"]), int_or_none(a["dim"])), init="unit_normal")
    ],
    positional=2,
    ids_below="num",
    prefix="embed",
    example="y = embedding(tokens, 10000, 512)",
    cases=(
        Case(
            "then_dense",
            "t: i64[N, 5]",
            "dense(embedding(t, 9, 4), 3)",
            "integer ids in, the table's rows out",
        ),
        Case("symbolic_length", "t: i64[N, T]", "embedding(t, 7, 4)"),
    ),
)

# ---------------------------------------------------------------- merge and split


# How papers write a sum and a product (renderer phrasings: resnet, caffe, vgg, compact,
# verbose), and the sign a style that draws merges as circles uses
_ELEMENTWISE_DRAWING = {
    "add": Drawing(("+", "Add", "Sum", "+", "Element-wise sum"), group="merge", symbol="+"),
    "mul": Drawing(
        ("mul", "Multiply", "Mul", "Multiply", "Element-wise product"), group="merge", symbol="×"
    ),
}


def _elementwise(name: str, what: str, *cases: Case) -> OpDef:
    return OpDef(
        name=name,
        category="merge",
        drawing=_ELEMENTWISE_DRAWING[name],
        doc=f"Elementwise {what} of two or more tensors of the same shape.",
        inputs=("x", "y"),
        variadic=True,
        attrs=(),
        infer=lambda inputs, a: [same_shape(name, inputs)],
        example=f"y = {name}(a, b)",
        cases=cases,
    )


def _concat_infer(inputs, a):
    first = inputs[0]
    rank = next((len(t.shape) for t in inputs if t.shape is not None), None)
    axis = _axis(a["axis"], rank, "concat")
    if rank is None or axis is None:
        return [first.with_shape(None if rank is None else (None,) * rank)]
    out = [None] * rank
    total = 0
    for t in inputs:
        if t.dtype != first.dtype:
            raise ShapeError(f"concat mixes dtypes: {first} and {t}")
        if t.shape is None:
            total = None
            continue
        if len(t.shape) != rank:
            raise ShapeError(f"concat inputs differ in rank: {first} and {t}")
        for i, d in enumerate(t.shape):
            if i == axis:
                continue
            if not dims_agree(out[i], d):
                raise ShapeError(
                    f"concat on axis {axis}: inputs differ in dim {i}: {first} and {t}"
                )
            out[i] = merge_dim(out[i], d)
        total = total + t.shape[axis] if known(total, t.shape[axis]) else None
    out[axis] = total
    return [first.with_shape(out)]


CONCAT = OpDef(
    name="concat",
    category="merge",
    drawing=Drawing(
        ("concat", "Concat", "Filter concat", "DepthConcat", "Concatenation"),
        group="merge",
        spans=True,
    ),
    doc="Join tensors along `axis` (channels by default: Inception's filter concat).",
    inputs=("x", "y"),
    variadic=True,
    attrs=(Attr("axis", "int", 1, "the dim to join on"),),
    infer=_concat_infer,
    example="y = concat(a, b, c, axis=1)",
    cases=(
        Case(
            "channels",
            IMG,
            "a = conv2d(x, 3, kernel=1)\nb = conv2d(x, 5, kernel=3, padding=1)\n"
            "return conv2d(concat(a, b, x, axis=1), 2, kernel=1)",
            "axis 1 is C in NCHW, the last axis channels-last",
        ),
        Case(
            "channels_12x11",
            IMG_12x11,
            "a = conv2d(x, 4, kernel=1)\nb = conv2d(x, 2, kernel=3, padding=1)\n"
            "return concat(a, b, axis=1)",
        ),
        Case("channels_9x10", IMG_9x10, "concat(conv2d(x, 2, kernel=1), x, axis=1)"),
        Case(
            "mixed_layouts",
            IMG,
            "concat(conv2d(x, 3, kernel=1), x, axis=1)",
            "one input channels-last, one as given",
        ),
        Case("width", IMG, "concat(conv2d(x, 3, kernel=1), relu(conv2d(x, 3, kernel=1)), axis=3)"),
    ),
)


def _split_count(a) -> int | None:
    s = a.get("sections")
    if isinstance(s, int) and s > 0:
        return s
    if isinstance(s, tuple) and all(isinstance(v, int) for v in s):
        return len(s)
    return None


def _split_infer(inputs, a):
    (x,) = inputs
    n = _split_count(a)
    if n is None:
        raise ShapeError(
            f"split: sections must be a positive integer or a tuple of sizes, got {a['sections']!r}"
        )
    axis = _axis(a["axis"], x.rank, "split")
    if axis is None:
        return [x.with_shape(None)] * n
    size = x.shape[axis]
    s = a["sections"]
    if isinstance(s, int):
        if known(size) and size % s:
            raise ShapeError(f"split: dim {axis} of {x} ({size}) is not divisible into {s} parts")
        parts = [size // s if known(size) else None] * s
    else:
        if known(size) and sum(s) != size:
            raise ShapeError(
                f"split: sizes {s} add up to {sum(s)}, but dim {axis} of {x} is {size}"
            )
        parts = list(s)
    outs = []
    for p in parts:
        shape = list(x.shape)
        shape[axis] = p
        outs.append(x.with_shape(shape))
    return outs


SPLIT = OpDef(
    name="split",
    category="merge",
    doc="Split along `axis` into equal parts (an int) or parts of the given sizes (a tuple).",
    inputs=("x",),
    attrs=(
        Attr("sections", "int_or_ints", doc="number of equal parts, or part sizes", min=1),
        Attr("axis", "int", 1, "the dim to split"),
    ),
    infer=_split_infer,
    outputs=_split_count,
    positional=1,
    example="a, b = split(x, 2)",
    cases=(
        Case(
            "channels",
            IMG,
            "a, b = split(conv2d(x, 6, kernel=1), (2, 4))\nreturn concat(relu(b), a, axis=1)",
        ),
        Case(
            "channels_12x11",
            IMG_12x11,
            "a, b = split(conv2d(x, 6, kernel=1), (2, 4))\nreturn concat(relu(b), a)",
        ),
        Case(
            "equal_width",
            "x: f32[N, 4, 6, 8]",
            "a, b = split(conv2d(x, 2, kernel=1), 2, axis=3)\nreturn add(a, b)",
        ),
        Case("equal_height", IMG_12x11, "a, b = split(x, 2, axis=2)\nreturn add(a, b)"),
        Case("equal_channels", "x: f32[N, 6, 4, 4]", "a, b = split(x, 2)\nreturn mul(a, b)"),
        Case(
            "outputs",
            "x: f32[N, 6, 3, 3]",
            "a, b, c = split(x, 3)\nreturn c, a",
            "split outputs as model outputs, one unused",
        ),
        Case(
            "sizes_outputs",
            "x: f32[N, 6, 4, 4]",
            "a, b, c = split(x, (1, 3, 2))\nreturn a, relu(b), c",
        ),
    ),
)


def _crop_infer(inputs, a):
    x, ref = inputs
    if x.shape is None or ref.shape is None:
        return [
            x.with_shape(
                None if x.shape is None else (*x.shape[:2], *([None] * (len(x.shape) - 2)))
            )
        ]
    if len(x.shape) != len(ref.shape) or len(x.shape) < 3:
        raise ShapeError(f"center_crop: {x} and reference {ref} must have the same rank >= 3")
    for axis in range(2, len(x.shape)):
        a_, b_ = x.shape[axis], ref.shape[axis]
        if known(a_, b_) and b_ > a_:
            raise ShapeError(f"center_crop: reference {ref} is larger than {x} in dim {axis}")
    return [x.with_shape((*x.shape[:2], *ref.shape[2:]))]


CENTER_CROP = OpDef(
    name="center_crop",
    category="shape",
    drawing=Drawing(("crop", "Crop", "copy and crop", "Center crop", "Copy and crop")),
    doc="Crop x's spatial dims, centred, to the size of `ref` (U-Net's copy and crop).",
    inputs=("x", "ref"),
    attrs=(),
    infer=_crop_infer,
    prefix="crop",
    example="y = concat(center_crop(skip, up), up)",
    cases=(
        Case("concat", IMG, "y = conv2d(x, 4, kernel=3)\nreturn concat(center_crop(x, y), y)"),
        Case(
            "odd",
            "x: f32[N, 2, 9, 8]",
            "y = maxpool2d(x, kernel=2)\nreturn center_crop(x, y)",
            "an odd difference crops more at the end",
        ),
        Case(
            "after_zeropad",
            IMG_12x11,
            "p = zeropad2d(x, (1, 0, 2, 3))\nreturn concat(center_crop(p, x), x)",
        ),
        Case(
            "two_inputs",
            "x: f32[N, 3, 9, 10], r: f32[N, 1, 4, 5]",
            "center_crop(x, r)",
        ),
    ),
)

# ---------------------------------------------------------------- resizing and padding


def _upsample_infer(inputs, a):
    (x,) = inputs
    require_min_rank(x, 3, "upsample")
    if x.shape is None:
        return [x]
    rank = len(x.shape) - 2
    scale = as_tuple(a["scale"], rank, "scale")
    return [
        x.with_shape(
            (*x.shape[:2], *(mul_dims(d, s) for d, s in zip(x.shape[2:], scale, strict=True)))
        )
    ]


UPSAMPLE = OpDef(
    name="upsample",
    category="resize",
    drawing=Drawing(
        (
            "upsample x{}|scale",
            "Upsample x{}|scale",
            "{}x upsample|scale",
            "Upsampling (x{})|scale",
            "Upsample {}x|scale",
        ),
        group="expand",
    ),
    doc="Upsample spatial dims by integer factors (nearest or bilinear).",
    inputs=("x",),
    attrs=(
        Attr("scale", "ints", 2, "factor per spatial dim", min=1),
        Attr("mode", "str", "nearest", "interpolation", choices=("nearest", "bilinear")),
    ),
    infer=_upsample_infer,
    example='y = upsample(x, scale=2, mode="bilinear")',
    cases=(
        Case("nearest_rect", IMG, "upsample(conv2d(x, 2, kernel=1), scale=(2, 3))"),
        Case("nearest_rect_9x10", IMG_9x10, "upsample(x, scale=(2, 3))"),
        Case(
            "bilinear",
            IMG,
            'upsample(x, scale=2, mode="bilinear")',
            "half-pixel centres, corners not aligned (PyTorch's default)",
        ),
        Case("bilinear_9x10", IMG_9x10, 'upsample(x, scale=2, mode="bilinear")'),
        Case(
            "nearest_then_bilinear",
            IMG_12x11,
            'upsample(upsample(x, scale=2), scale=(2, 3), mode="bilinear")',
        ),
        Case("trilinear", "x: f32[N, 2, 3, 4, 5]", 'upsample(x, scale=2, mode="bilinear")'),
        Case("linear_1d", "x: f32[N, 2, 7]", 'upsample(x, scale=3, mode="bilinear")'),
        Case("nearest_odd_scales_3d", "x: f32[N, 2, 5, 3, 4]", "upsample(x, scale=(7, 3, 5))"),
        Case(
            "nearest_unknown_size",
            "x: f32[N, 2, H, W]",
            "upsample(x, scale=3)",
            "sizes known only when run",
        ),
    ),
)


def _resize_infer(inputs, a):
    (x,) = inputs
    require_min_rank(x, 3, "resize")
    if x.shape is None:
        return [x]
    rank = len(x.shape) - 2
    size = as_tuple(a["size"], rank, "size")
    return [x.with_shape((*x.shape[:2], *(int_or_none(s) for s in size)))]


RESIZE = OpDef(
    name="resize",
    category="resize",
    doc="Resize spatial dims to a fixed size (nearest or bilinear).",
    inputs=("x",),
    attrs=(
        Attr("size", "ints", doc="output size per spatial dim", min=1),
        Attr("mode", "str", "nearest", "interpolation", choices=("nearest", "bilinear")),
        Attr("align_corners", "bool", False, "bilinear: align corner pixels (PyTorch's flag)"),
    ),
    infer=_resize_infer,
    positional=1,
    example="y = resize(x, (224, 224))",
    cases=(
        Case("nearest", IMG, "resize(x, (7, 17))", "PyTorch's nearest: floor(i * in / out)"),
        Case("nearest_uneven", IMG_9x10, "resize(x, (13, 7))"),
        Case("nearest_down_1d", "x: f32[N, 1, 14]", "resize(x, 2)"),
        Case("nearest_mixed_3d", "x: f32[N, 2, 14, 10, 7]", "resize(x, (3, 10, 29))"),
        Case("nearest_unknown_size", "x: f32[N, 2, H, W]", "resize(x, (10, 10))"),
        Case("bilinear", IMG, 'resize(x, (15, 8), mode="bilinear")'),
        Case("bilinear_9x10", IMG_9x10, 'resize(x, (13, 7), mode="bilinear")'),
        Case("bilinear_corners", IMG, 'resize(x, (15, 8), mode="bilinear", align_corners=true)'),
        Case(
            "bilinear_corners_9x10",
            IMG_9x10,
            'resize(x, (13, 7), mode="bilinear", align_corners=true)',
        ),
        Case(
            "corners_then_nearest",
            IMG_12x11,
            'resize(resize(x, (7, 15), mode="bilinear", align_corners=true), (5, 4))',
        ),
        Case(
            "linear_1d_corners",
            "x: f32[N, 3, 10]",
            'resize(x, 7, mode="bilinear", align_corners=true)',
        ),
        Case(
            "linear_1d_corners_up",
            "x: f32[N, 2, 7]",
            'resize(x, 11, mode="bilinear", align_corners=true)',
        ),
        Case("bilinear_to_one", IMG_9x10, 'resize(x, (1, 4), mode="bilinear")'),
    ),
)


def _zeropad(rank: int, *cases: Case) -> OpDef:
    name = f"zeropad{rank}d"

    def infer(inputs, a):
        (x,) = inputs
        require_rank(x, rank + 2, name, LAYOUT_NAMES[rank])
        p = a["padding"]
        if p is HOLE:
            begins = ends = (None,) * rank
        elif isinstance(p, tuple) and len(p) == 2 * rank:
            begins, ends = p[:rank], p[rank:]
        else:
            begins = ends = as_tuple(p, rank, "padding")
        if x.shape is None:
            return [x]
        sizes = [
            d + b + e if known(d, b, e) else None
            for d, b, e in zip(x.shape[2:], begins, ends, strict=True)
        ]
        return [x.with_shape((*x.shape[:2], *sizes))]

    return OpDef(
        name=name,
        category="resize",
        drawing=Drawing(("ZeroPad",)),
        doc=f"Pad the {rank} spatial dim(s) with zeros: an int, one per dim, or (begins..., ends...).",
        inputs=("x",),
        attrs=(Attr("padding", "ints", doc="zeros added per side", min=0),),
        infer=infer,
        positional=1,
        prefix="pad",
        spatial_rank=rank,
        example=f"y = {name}(x, 1)",
        cases=cases,
    )


def _channel_shuffle_infer(inputs, a):
    (x,) = inputs
    require_rank(x, 4, "channel_shuffle", LAYOUT_NAMES[2])
    c, g = channels(x), a["groups"]
    if known(c, g) and c % g:
        raise ShapeError(f"channel_shuffle: {c} channels do not split into {g} groups")
    return [x]


CHANNEL_SHUFFLE = OpDef(
    name="channel_shuffle",
    category="shape",
    drawing=Drawing(
        (
            "channel shuffle",
            "Channel Shuffle",
            "channel shuffle",
            "Channel Shuffle",
            "Channel shuffle",
        )
    ),
    doc="ShuffleNet's channel shuffle: channels in `groups` groups, interleaved (group-major "
    "to channel-major), so the next grouped layer sees every group.",
    inputs=("x",),
    attrs=(Attr("groups", "int", doc="channel groups; must divide the channels", min=1),),
    infer=_channel_shuffle_infer,
    positional=1,
    prefix="shuffle",
    example="y = channel_shuffle(concat(a, b), 2)",
    cases=(
        Case("two_groups", IMG, "channel_shuffle(x, 2)", "channel c*g + i <- i*C/g + c"),
        Case("three_groups", "x: f32[N, 6, 5, 7]", "channel_shuffle(x, 3)"),
        Case(
            "after_grouped_conv",
            IMG,
            "channel_shuffle(conv2d(x, 8, kernel=1, groups=4), 4)",
            "ShuffleNet v1's unit: a grouped 1x1 conv, then the shuffle",
        ),
        Case("one_group", IMG, "channel_shuffle(x, 1)", "one group: the identity"),
    ),
    # reshape's shape excludes the batch dim: [g, C/g, H, W] -> swap 1 and 2 -> [C, H, W]
    decomposition=decompose(
        """y = reshape(x, (groups, C // groups, H, W))
        y = transpose(y, (0, 2, 1, 3, 4))
        return reshape(y, (C, H, W))""",
        x=("N", "C", "H", "W"),
    ),
)

OPS = (
    DENSE,
    FLATTEN,
    RESHAPE,
    TRANSPOSE,
    CHANNEL_SHUFFLE,
    DROPOUT,
    IDENTITY,
    EMBEDDING,
    _elementwise(
        "add",
        "sum",
        Case("residual", IMG, "relu(add(conv2d(x, 4, kernel=3, padding=1), x))"),
    ),
    _elementwise("mul", "product", Case("three", IMG, "mul(x, sigmoid(x), tanh(x))")),
    CONCAT,
    SPLIT,
    CENTER_CROP,
    UPSAMPLE,
    RESIZE,
    _zeropad(1, Case("symmetric", "x: f32[N, 3, 5]", "zeropad1d(x, 2)")),
    _zeropad(
        2,
        Case("after_conv", IMG, "zeropad2d(conv2d(x, 2, kernel=1), (1, 2, 0, 3))"),
        Case("asymmetric", IMG_9x10, "zeropad2d(x, (1, 0, 2, 3))"),
        Case(
            "wider_than_input",
            "x: f32[N, 2, 2, 3]",
            "zeropad2d(x, (5, 0, 1, 7))",
            "more padding than input on a side",
        ),
    ),
    _zeropad(3, Case("asymmetric", "x: f32[N, 2, 3, 4, 5]", "zeropad3d(x, (1, 0, 2, 0, 3, 1))")),
)
