"""Fixed source text of the generated Keras file: helper layers and weight converters.

Nothing here depends on the model being compiled: `target.py` picks which of these
pieces a model needs and pastes them verbatim, so no paper text can reach them. Helper
layers work channels last on the spatial dims and use only `keras.ops`, so the generated
model runs on every Keras backend (torch, tensorflow, jax).
"""

from __future__ import annotations

# Helper layers for what Keras has no layer for (PyTorch semantics, channels last).
HELPERS = {
    "ConstantPad": '''
class ConstantPad(layers.Layer):
    """Pad the spatial dims with a constant (max pooling pads with -inf, as PyTorch does)."""

    def __init__(self, pads, value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.pads = [tuple(p) for p in pads]
        self.value = value

    def call(self, x):
        return ops.pad(x, [(0, 0), *self.pads, (0, 0)], constant_values=self.value)

    def compute_output_shape(self, shape):
        sizes = [None if n is None else n + b + e for n, (b, e) in zip(shape[1:-1], self.pads)]
        return (shape[0], *sizes, shape[-1])
''',
    "Subsample": '''
class Subsample(layers.Layer):
    """Keep every stride-th position of the spatial dims (a strided dilated convolution is a
    dilated convolution with stride 1, subsampled: Keras rejects stride and dilation both > 1)."""

    def __init__(self, strides, **kwargs):
        super().__init__(**kwargs)
        self.strides = tuple(strides)

    def call(self, x):
        index = (slice(None), *(slice(None, None, s) for s in self.strides), slice(None))
        return x[index]

    def compute_output_shape(self, shape):
        sizes = [None if n is None else -(-n // s) for n, s in zip(shape[1:-1], self.strides)]
        return (shape[0], *sizes, shape[-1])
''',
    "ZeroInsert": '''
class ZeroInsert(layers.Layer):
    """Put stride - 1 zeros between neighbours of each spatial dim: a strided, dilated
    transposed convolution is a stride-1 one of this (Keras rejects stride and dilation > 1)."""

    def __init__(self, strides, **kwargs):
        super().__init__(**kwargs)
        self.strides = tuple(strides)

    def call(self, x):
        for axis, s in enumerate(self.strides, start=1):
            if s == 1:
                continue
            shape = [-1, *x.shape[1:]]
            n = shape[axis]
            pads = [(0, 0)] * (len(shape) + 1)
            pads[axis + 1] = (0, s - 1)
            x = ops.pad(ops.expand_dims(x, axis + 1), pads)
            shape[axis] = n * s
            x = ops.reshape(x, shape)[(slice(None),) * axis + (slice(0, (n - 1) * s + 1),)]
        return x

    def compute_output_shape(self, shape):
        sizes = [None if n is None else (n - 1) * s + 1 for n, s in zip(shape[1:-1], self.strides)]
        return (shape[0], *sizes, shape[-1])
''',
    "DilatedMaxPooling": '''
class DilatedMaxPooling(layers.Layer):
    """Max pooling with dilated windows (no Keras layer has them): the maximum over the
    strided slices taken at each window tap."""

    def __init__(self, pool_size, strides, dilation, **kwargs):
        super().__init__(**kwargs)
        self.pool_size, self.strides, self.dilation = pool_size, strides, dilation

    def _sizes(self, shape):
        return [
            None if n is None else (n - d * (k - 1) - 1) // s + 1
            for n, k, s, d in zip(shape[1:-1], self.pool_size, self.strides, self.dilation)
        ]

    def call(self, x):
        sizes = self._sizes(tuple(x.shape))
        out = None
        for taps in np.ndindex(*self.pool_size):
            index = [slice(None)]
            for t, d, s, n in zip(taps, self.dilation, self.strides, sizes):
                index.append(slice(t * d, t * d + (n - 1) * s + 1, s))
            part = x[tuple(index) + (slice(None),)]
            out = part if out is None else ops.maximum(out, part)
        return out

    def compute_output_shape(self, shape):
        return (shape[0], *self._sizes(shape), shape[-1])
''',
    "PaddedAveragePooling": '''
class PaddedAveragePooling(layers.Layer):
    """Average pooling with PyTorch's rules for padding, ceil_mode and count_include_pad:
    each window's sum divided by the number of positions it covers in the counted region."""

    def __init__(self, pool_size, strides, pads, extra, count_include_pad, **kwargs):
        super().__init__(**kwargs)
        self.pool_size, self.strides = tuple(pool_size), tuple(strides)
        self.pads, self.extra = [tuple(p) for p in pads], tuple(extra)
        self.count_include_pad = count_include_pad

    def _pool(self, x):
        return ops.average_pool(x, self.pool_size, self.strides, "valid", "channels_last")

    def call(self, x):
        full = [(0, 0), *[(b, e + c) for (b, e), c in zip(self.pads, self.extra)], (0, 0)]
        ones = ops.ones_like(x[..., :1])
        if self.count_include_pad:
            ones = ops.pad(ones, [(0, 0), *self.pads, (0, 0)], constant_values=1.0)
            mask = ops.pad(ones, [(0, 0), *[(0, c) for c in self.extra], (0, 0)])
        else:
            mask = ops.pad(ones, full)
        return self._pool(ops.pad(x, full)) / self._pool(mask)
''',
    "LocalResponseNorm": '''
class LocalResponseNorm(layers.Layer):
    """Local response normalisation across channels (last axis), PyTorch's definition:
    x / (k + alpha / size * sum of squares over a zero-padded window of size channels)^beta."""

    def __init__(self, size, alpha, beta, k, **kwargs):
        super().__init__(**kwargs)
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def call(self, x):
        channels = x.shape[-1]
        pads = [(0, 0)] * (len(x.shape) - 1) + [(self.size // 2, (self.size - 1) // 2)]
        squares = ops.pad(ops.square(x), pads)
        total = squares[..., 0:channels]
        for i in range(1, self.size):
            total = total + squares[..., i : i + channels]
        return x / ops.power(self.k + self.alpha / self.size * total, self.beta)
''',
    "Resample": '''
class Resample(layers.Layer):
    """Resize the spatial dims (channels last) with PyTorch's F.interpolate index rules:
    nearest picks floor(o * scale); linear mixes two neighbours, one axis at a time."""

    def __init__(self, sizes, mode, align_corners=False, scales=None, **kwargs):
        super().__init__(**kwargs)
        self.sizes, self.mode = tuple(sizes), mode
        self.align_corners, self.scales = align_corners, scales

    def _scale(self, axis, n_in, n_out):
        if self.align_corners:
            return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        if self.scales is not None:
            return 1.0 / self.scales[axis]
        return n_in / n_out

    def _matrix(self, axis, n_in, n_out):
        scale = self._scale(axis, n_in, n_out)
        out = np.arange(n_out, dtype=np.float64)
        if self.mode == "nearest":
            scale32 = np.float32(scale) if self.scales else np.float32(n_in) / np.float32(n_out)
            src = np.minimum(np.floor(out.astype(np.float32) * scale32), n_in - 1).astype(np.int64)
            matrix = np.zeros((n_out, n_in), np.float32)
            matrix[np.arange(n_out), src] = 1.0
            return matrix
        src = out * scale if self.align_corners else np.maximum(scale * (out + 0.5) - 0.5, 0.0)
        low = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        high = np.minimum(low + 1, n_in - 1)
        weight = src - low
        matrix = np.zeros((n_out, n_in), np.float64)
        np.add.at(matrix, (np.arange(n_out), low), 1.0 - weight)
        np.add.at(matrix, (np.arange(n_out), high), weight)
        return matrix.astype(np.float32)

    def call(self, x):
        for axis, n_out in enumerate(self.sizes):
            n_in = x.shape[axis + 1]
            if n_in == n_out and self.mode == "nearest":
                continue
            matrix = ops.convert_to_tensor(self._matrix(axis, n_in, n_out), dtype=x.dtype)
            x = ops.moveaxis(ops.tensordot(x, matrix, axes=[[axis + 1], [1]]), -1, axis + 1)
        return x

    def compute_output_shape(self, shape):
        return (shape[0], *self.sizes, shape[-1])
''',
    "Split": '''
class Split(layers.Layer):
    """Split along an axis into parts of the given sizes (or that many equal parts)."""

    def __init__(self, sections, axis, **kwargs):
        super().__init__(**kwargs)
        self.sections, self.axis = sections, axis

    def call(self, x):
        if isinstance(self.sections, int):
            return ops.split(x, self.sections, axis=self.axis)
        return ops.split(x, np.cumsum(self.sections)[:-1].tolist(), axis=self.axis)

    def compute_output_shape(self, shape):
        n = self.sections if isinstance(self.sections, int) else len(self.sections)
        sizes = [None] * n if shape[self.axis] is None else [shape[self.axis] // n] * n
        if not isinstance(self.sections, int):
            sizes = list(self.sections)
        axis = self.axis % len(shape)
        return [(*shape[:axis], size, *shape[axis + 1 :]) for size in sizes]
''',
    "FlattenFrom": '''
class FlattenFrom(layers.Layer):
    """Collapse the dims from `axis` on into one (PyTorch's torch.flatten(x, axis))."""

    def __init__(self, axis, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, x):
        return ops.reshape(x, (*ops.shape(x)[: self.axis], -1))

    def compute_output_shape(self, shape):
        rest = shape[self.axis :]
        total = None if None in rest else int(np.prod(rest))
        return (*shape[: self.axis], total)
''',
    "LogSoftmax": '''
class LogSoftmax(layers.Layer):
    """log(softmax(x)) along one axis."""

    def __init__(self, axis, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, x):
        return ops.log_softmax(x, axis=self.axis)
''',
    "Gelu": '''
class Gelu(layers.Layer):
    """GELU, exact or with the tanh approximation."""

    def __init__(self, approximate, **kwargs):
        super().__init__(**kwargs)
        self.approximate = approximate

    def call(self, x):
        return ops.gelu(x, approximate=self.approximate)
''',
}

# Weight converters: DLIR tensors (PyTorch layout) -> the Keras layers' weights.
CONVERTERS = {
    "conv": '''
def convert_conv(get, keras_layers):
    """Conv [out, in/groups, k...] -> Keras [k..., in/groups, out]; grouped conv-transposes
    are one Keras layer per group."""
    (layer,) = keras_layers
    weight = get("weight")
    kernel = np.transpose(weight, (*range(2, weight.ndim), 1, 0))
    layer.set_weights([kernel, get("bias")] if layer.use_bias else [kernel])
''',
    "depthwise": '''
def convert_depthwise(get, keras_layers):
    """Depthwise [C * m, 1, kh, kw] -> Keras [kh, kw, C, m]."""
    (layer,) = keras_layers
    weight = get("weight")
    m = layer.depth_multiplier
    kernel = weight.reshape(weight.shape[0] // m, m, *weight.shape[2:]).transpose(2, 3, 0, 1)
    layer.set_weights([kernel, get("bias")] if layer.use_bias else [kernel])
''',
    "conv_transpose": '''
def convert_conv_transpose(get, keras_layers):
    """Transposed conv [in, out/groups, k...] -> Keras [k..., out, in], one layer per group."""
    weight = get("weight")
    groups = len(keras_layers)
    cin = weight.shape[0] // groups
    cout = weight.shape[1]
    for g, layer in enumerate(keras_layers):
        part = weight[g * cin : (g + 1) * cin]
        kernel = np.transpose(part, (*range(2, part.ndim), 1, 0))
        values = [kernel]
        if layer.use_bias:
            values.append(get("bias")[g * cout : (g + 1) * cout])
        layer.set_weights(values)
''',
    "dense": '''
def convert_dense(get, keras_layers):
    """Dense [out, in] -> Keras [in, out]."""
    (layer,) = keras_layers
    kernel = get("weight").T
    layer.set_weights([kernel, get("bias")] if layer.use_bias else [kernel])
''',
    "batchnorm": '''
def convert_batchnorm(get, keras_layers):
    """weight, bias, running_mean, running_var -> gamma, beta, moving_mean, moving_variance."""
    (layer,) = keras_layers
    layer.set_weights([get("weight"), get("bias"), get("running_mean"), get("running_var")])
''',
    "norm": '''
def convert_norm(get, keras_layers):
    """Layer and group norm: weight, bias -> gamma, beta."""
    (layer,) = keras_layers
    layer.set_weights([get("weight"), get("bias")])
''',
    "prelu": '''
def convert_prelu(get, keras_layers):
    """One slope per channel -> Keras alpha (size 1 on the shared axes)."""
    (layer,) = keras_layers
    layer.set_weights([get("weight").reshape(layer.get_weights()[0].shape)])
''',
    "embedding": """
def convert_embedding(get, keras_layers):
    (layer,) = keras_layers
    layer.set_weights([get("weight")])
""",
    "lstm": '''
def convert_lstm(get, keras_layers):
    """PyTorch gates i, f, g, o are Keras' i, f, c, o; Keras has one bias: b_ih + b_hh."""
    for index, layer in enumerate(keras_layers):
        cells = [layer]
        if isinstance(layer, layers.Bidirectional):
            cells = [layer.forward_layer, layer.backward_layer]
        for direction, cell in enumerate(cells):
            suffix = f"_l{index}" + ("_reverse" if direction else "")
            values = [get("weight_ih" + suffix).T, get("weight_hh" + suffix).T]
            if cell.use_bias:
                values.append(get("bias_ih" + suffix) + get("bias_hh" + suffix))
            cell.set_weights(values)
''',
    "gru": '''
def _gru_gates(w):
    """PyTorch gates r, z, n -> Keras z, r, h (along the first axis)."""
    r, z, n = np.split(w, 3, axis=0)
    return np.concatenate([z, r, n], axis=0)


def convert_gru(get, keras_layers):
    """Keras GRU with reset_after=True: kernels reordered, bias [2, 3H] = (b_ih, b_hh)."""
    for index, layer in enumerate(keras_layers):
        cells = [layer]
        if isinstance(layer, layers.Bidirectional):
            cells = [layer.forward_layer, layer.backward_layer]
        for direction, cell in enumerate(cells):
            suffix = f"_l{index}" + ("_reverse" if direction else "")
            values = [
                _gru_gates(get("weight_ih" + suffix)).T,
                _gru_gates(get("weight_hh" + suffix)).T,
            ]
            if cell.use_bias:
                biases = [_gru_gates(get("bias_ih" + suffix)), _gru_gates(get("bias_hh" + suffix))]
                values.append(np.stack(biases))
            cell.set_weights(values)
''',
    "attention": '''
def convert_attention(get, keras_layers):
    """in_proj [3D, D] and out_proj [D, D] -> Keras kernels [D, heads, head_dim] and
    [heads, head_dim, D]."""
    (layer,) = keras_layers
    heads = layer.num_heads
    w = get("in_proj_weight")
    d = w.shape[1]
    projections = [layer.query_dense, layer.key_dense, layer.value_dense]
    for i, dense in enumerate(projections):
        values = [w[i * d : (i + 1) * d].T.reshape(d, heads, d // heads)]
        if layer.use_bias:
            values.append(get("in_proj_bias")[i * d : (i + 1) * d].reshape(heads, d // heads))
        dense.set_weights(values)
    values = [get("out_proj.weight").T.reshape(heads, d // heads, d)]
    if layer.use_bias:
        values.append(get("out_proj.bias"))
    layer.output_dense.set_weights(values)
''',
}

LOADER = '''
def load_weights(model, path):
    """Load a safetensors file keyed by DLIR layer names; every weight must be there."""
    tensors = load_file(path)

    for dlir_name, (kind, keras_names) in WEIGHT_LAYERS.items():

        def get(weight, prefix=dlir_name):
            key = f"{prefix}.{weight}"
            if key not in tensors:
                raise KeyError(f"weights file lacks {key}")
            return np.asarray(tensors[key], dtype=np.float32)

        CONVERTERS[kind](get, [model.get_layer(name) for name in keras_names])
    return model
'''
