"""Helper functions written into generated TensorFlow code, only when a layer needs them.

Each writer adds one module-level function to a `Code` builder (structural indentation).
They hold fixed code only: nothing from the model or the paper reaches them.
"""

from __future__ import annotations

from papercc.backends.codegen import Code


def dilated_max_pool(code: Code) -> None:
    with code.block("def _dilated_max_pool(x, kernel, stride, dilation, out):"):
        code.line('"""Max pooling with dilated windows (channels last): a max over taps."""')
        code.line("result = None")
        with code.block("for taps in np.ndindex(*kernel):"):
            code.line("index = [slice(None)]")
            with code.block("for t, s, d, n in zip(taps, stride, dilation, out):"):
                code.line("index.append(slice(t * d, t * d + (n - 1) * s + 1, s))")
            code.line("index.append(slice(None))")
            code.line("piece = x[tuple(index)]")
            code.line("result = piece if result is None else tf.maximum(result, piece)")
        code.line("return result")


def dilate_kernel(code: Code) -> None:
    with code.block("def _dilate_kernel(w, dilation):"):
        code.line(
            '"""A kernel [*taps, out, in] with d - 1 zeros between taps: the dilated kernel as'
        )
        code.line(
            'a plain one (TF\'s CPU conv_transpose rejects dilations > 1 on some machines)."""'
        )
        with code.block("for axis, d in enumerate(dilation):"):
            with code.block("if d == 1:"):
                code.line("continue")
            code.line("k = w.shape[axis]")
            code.line("zeros = tf.zeros_like(w)")
            code.line("spread = tf.stack([w] + [zeros] * (d - 1), axis=axis + 1)")
            code.line("shape = list(w.shape)")
            code.line("shape[axis] = k * d")
            code.line("w = tf.reshape(spread, shape)")
            code.line("index = [slice(None)] * len(shape)")
            code.line("index[axis] = slice(0, d * (k - 1) + 1)")
            code.line("w = w[tuple(index)]")
        code.line("return w")


def adaptive_pool(code: Code) -> None:
    with code.block("def _adaptive_pool(x, sizes, reduce):"):
        code.line(
            '"""PyTorch\'s adaptive bins (channels last), one spatial axis at a time: bins are'
        )
        code.line('rectangles, so the mean or max of a bin is separable."""')
        with code.block("for axis, out in enumerate(sizes, start=1):"):
            code.line("length = x.shape[axis]")
            code.line("parts = []")
            with code.block("for i in range(out):"):
                code.line("index = [slice(None)] * len(x.shape)")
                code.line("index[axis] = slice((i * length) // out, -(-(i + 1) * length // out))")
                code.line("parts.append(reduce(x[tuple(index)], axis=axis, keepdims=True))")
            code.line("x = tf.concat(parts, axis=axis)")
        code.line("return x")


def _inputs_by_step(code: Code) -> None:
    code.line("steps = tf.tensordot(tf.transpose(x, (1, 0, 2)), w_ih, 1)")
    with code.block("if b_ih is not None:"):
        code.line("steps = steps + b_ih")
    code.line("zeros = tf.zeros(tf.stack([tf.shape(x)[0], w_hh.shape[0]]), x.dtype)")


def lstm(code: Code) -> None:
    with code.block("def _lstm(x, w_ih, w_hh, b_ih, b_hh, reverse):"):
        code.line(
            '"""One LSTM direction over [N, T, F] -> [N, T, H]; gates i, f, g, o as in PyTorch."""'
        )
        _inputs_by_step(code)
        code.line()
        with code.block("def step(state, inp):"):
            code.line("h, c = state")
            code.line("gates = inp + tf.matmul(h, w_hh)")
            with code.block("if b_hh is not None:"):
                code.line("gates = gates + b_hh")
            code.line("i, f, g, o = tf.split(gates, 4, axis=-1)")
            code.line("c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)")
            code.line("return tf.sigmoid(o) * tf.tanh(c), c")
        code.line()
        code.line("h, _ = tf.scan(step, steps, initializer=(zeros, zeros), reverse=reverse)")
        code.line("return tf.transpose(h, (1, 0, 2))")


def gru(code: Code) -> None:
    with code.block("def _gru(x, w_ih, w_hh, b_ih, b_hh, reverse):"):
        code.line(
            '"""One GRU direction over [N, T, F] -> [N, T, H]; gates r, z, n as in PyTorch."""'
        )
        _inputs_by_step(code)
        code.line()
        with code.block("def step(h, inp):"):
            code.line("mixed = tf.matmul(h, w_hh)")
            with code.block("if b_hh is not None:"):
                code.line("mixed = mixed + b_hh")
            code.line("xr, xz, xn = tf.split(inp, 3, axis=-1)")
            code.line("hr, hz, hn = tf.split(mixed, 3, axis=-1)")
            code.line("r = tf.sigmoid(xr + hr)")
            code.line("z = tf.sigmoid(xz + hz)")
            code.line("n = tf.tanh(xn + r * hn)")
            code.line("return (1.0 - z) * n + z * h")
        code.line()
        code.line("h = tf.scan(step, steps, initializer=zeros, reverse=reverse)")
        code.line("return tf.transpose(h, (1, 0, 2))")


def attention(code: Code) -> None:
    with code.block("def _attention(q, k, v, w_in, b_in, w_out, b_out, heads):"):
        code.line(
            '"""Multi-head scaled dot-product attention as PyTorch\'s nn.MultiheadAttention '
            '(batch first)."""'
        )
        code.line("width = w_out.shape[0]")
        code.line("wq, wk, wv = tf.split(w_in, 3, axis=1)")
        code.line(
            "q, k, v = tf.tensordot(q, wq, 1), tf.tensordot(k, wk, 1), tf.tensordot(v, wv, 1)"
        )
        with code.block("if b_in is not None:"):
            code.line("bq, bk, bv = tf.split(b_in, 3)")
            code.line("q, k, v = q + bq, k + bk, v + bv")
        code.line()
        with code.block("def heads_first(t):"):
            code.line("shape = tf.stack([tf.shape(t)[0], tf.shape(t)[1], heads, width // heads])")
            code.line("return tf.transpose(tf.reshape(t, shape), (0, 2, 1, 3))")
        code.line()
        code.line("scale = 1.0 / float(width // heads) ** 0.5")
        code.line("scores = tf.matmul(heads_first(q) * scale, heads_first(k), transpose_b=True)")
        code.line("mixed = tf.matmul(tf.nn.softmax(scores, axis=-1), heads_first(v))")
        code.line("mixed = tf.transpose(mixed, (0, 2, 1, 3))")
        code.line(
            "mixed = tf.reshape(mixed, tf.stack([tf.shape(mixed)[0], tf.shape(mixed)[1], width]))"
        )
        code.line("out = tf.tensordot(mixed, w_out, 1)")
        with code.block("if b_out is not None:"):
            code.line("out = out + b_out")
        code.line("return out")


HELPERS = {
    "dilated_max_pool": dilated_max_pool,
    "dilate_kernel": dilate_kernel,
    "adaptive_pool": adaptive_pool,
    "lstm": lstm,
    "gru": gru,
    "attention": attention,
}

HELPER_NAMES = {f"_{name}" for name in HELPERS}
