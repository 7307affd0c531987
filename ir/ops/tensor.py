"""Dense layers and tensor plumbing: dense, flatten, reshape, transpose, dropout, identity,
embedding, add/mul/concat/split, center_crop, upsample/resize, zero padding."""

from __future__ import annotations

from ..registry import Attr, Drawing, OpDef, ShapeError, WeightSpec
from ..types import INT_DTYPES, dims_agree, merge_dim
from ..values import HOLE
from .rules import (
    LAYOUT_NAMES,
    as_tuple,
    bias_spec,
    int_or_none,
    known,
    mul_dims,
    require_min_rank,
    require_rank,
    same_shape,
)


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


def _elementwise(name: str, what: str) -> OpDef:
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
)


def _zeropad(rank: int) -> OpDef:
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
    )


OPS = (
    DENSE,
    FLATTEN,
    RESHAPE,
    TRANSPOSE,
    DROPOUT,
    IDENTITY,
    EMBEDDING,
    _elementwise("add", "sum"),
    _elementwise("mul", "product"),
    CONCAT,
    SPLIT,
    CENTER_CROP,
    UPSAMPLE,
    RESIZE,
    *(_zeropad(r) for r in (1, 2, 3)),
)
