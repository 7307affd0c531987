"""ONNX emit functions for the sequence ops: lstm and gru (ONNX's LSTM/GRU, gates reordered
from PyTorch's), and attention (decomposed into MatMul, Reshape, Transpose, Softmax).

DLIR sequences are batch-first [N, T, F]; ONNX RNNs run time-first [T, N, F] (onnxruntime
does not implement layout=1), so the input is transposed once and the output back.
"""

from __future__ import annotations

import math

import numpy as np

from papercc.backends.onnx.graph import OnnxContext
from papercc.ir.graph import Node

# ONNX gate order as indices into PyTorch's: LSTM i,o,f,c from i,f,g,o; GRU z,r,h from r,z,n
_GATES = {"lstm": (0, 3, 1, 2), "gru": (1, 0, 2)}


def _reorder(array: np.ndarray, op: str) -> np.ndarray:
    order = _GATES[op]
    gates = array.reshape(len(order), -1, *array.shape[1:])
    return gates[list(order)].reshape(array.shape)


def rnn(ctx: OnnxContext, node: Node) -> None:
    a = node.attrs
    op, hidden = node.op, a["hidden"]
    dirs = ["", "_reverse"] if a["bidirectional"] else [""]
    x = ctx.op(node, "Transpose", [ctx.x(node)], "time_first", perm=[1, 0, 2])
    layers = a["layers"]

    def stacked(kind: str, layer: int) -> np.ndarray:
        """[dirs, G*H, ...] in ONNX gate order, forward then reverse."""
        return np.stack(
            [_reorder(ctx.weights[f"{node.name}.{kind}_l{layer}{d}"], op) for d in dirs]
        )

    for layer in range(layers):
        inputs = [
            x,
            ctx.weight(node, f"W_l{layer}", stacked("weight_ih", layer)),
            ctx.weight(node, f"R_l{layer}", stacked("weight_hh", layer)),
        ]
        if a["bias"]:
            biases = np.concatenate([stacked("bias_ih", layer), stacked("bias_hh", layer)], axis=1)
            inputs.append(ctx.weight(node, f"B_l{layer}", biases))
        attrs = {
            "hidden_size": hidden,
            "direction": "bidirectional" if a["bidirectional"] else "forward",
        }
        if op == "gru":
            attrs["linear_before_reset"] = 1  # PyTorch applies r after the hidden matmul
        y, y_h = ctx.op(node, op.upper(), inputs, f"{op}_l{layer}", outputs=2, **attrs)
        last = layer == layers - 1
        if last and not a["sequences"]:
            # final states [dirs, N, H] -> [N, dirs * H], forward then backward
            h = ctx.op(node, "Transpose", [y_h], "state_batch_first", perm=[1, 0, 2])
            ctx.out(node, "Reshape", [h, ctx.ints(node, "state_shape", [0, -1])])
        elif last:
            # Y [T, dirs, N, H] -> [N, T, dirs * H]
            y = ctx.op(node, "Transpose", [y], "batch_first", perm=[2, 0, 1, 3])
            ctx.out(node, "Reshape", [y, ctx.ints(node, "out_shape", [0, 0, -1])])
        else:
            y = ctx.op(node, "Transpose", [y], f"l{layer}_merge", perm=[0, 2, 1, 3])
            x = ctx.op(
                node, "Reshape", [y, ctx.ints(node, f"l{layer}_shape", [0, 0, -1])], f"l{layer}_out"
            )


def attention(ctx: OnnxContext, node: Node) -> None:
    """PyTorch's MultiheadAttention (batch first): project q, k, v, split heads, softmax of
    scaled scores, merge heads, project out."""
    heads = node.attrs["heads"]
    d = node.inputs[0].type.shape[-1]
    hd = d // heads
    w = ctx.weights
    in_w = w[f"{node.name}.in_proj_weight"]
    in_b = w.get(f"{node.name}.in_proj_bias") if node.attrs["bias"] else None
    head_shape = ctx.ints(node, "head_shape", [0, 0, heads, hd])
    projected = []
    for i, (which, perm) in enumerate(
        (("q", [0, 2, 1, 3]), ("k", [0, 2, 3, 1]), ("v", [0, 2, 1, 3]))
    ):
        wt = ctx.weight(
            node, f"{which}_proj_weight_t", np.ascontiguousarray(in_w[i * d : (i + 1) * d].T)
        )
        p = ctx.op(node, "MatMul", [ctx.v(node.inputs[i]), wt], f"{which}_matmul")
        if in_b is not None:
            b = ctx.weight(node, f"{which}_proj_bias", in_b[i * d : (i + 1) * d])
            p = ctx.op(node, "Add", [p, b], f"{which}_proj")
        p = ctx.op(node, "Reshape", [p, head_shape], f"{which}_heads")
        projected.append(ctx.op(node, "Transpose", [p], f"{which}_split", perm=perm))
    q, k, v = projected
    scores = ctx.op(node, "MatMul", [q, k], "scores")
    scale = ctx.const(node, "scale", np.array(1.0 / math.sqrt(hd), dtype=np.float32))
    scores = ctx.op(node, "Mul", [scores, scale], "scaled")
    probs = ctx.op(node, "Softmax", [scores], "softmax", axis=-1)
    mixed = ctx.op(node, "MatMul", [probs, v], "mixed")
    mixed = ctx.op(node, "Transpose", [mixed], "merge", perm=[0, 2, 1, 3])
    mixed = ctx.op(node, "Reshape", [mixed, ctx.ints(node, "merged_shape", [0, 0, d])], "merged")
    out_w = ctx.weight(
        node, "out_proj_weight_t", np.ascontiguousarray(w[f"{node.name}.out_proj.weight"].T)
    )
    if not node.attrs["bias"]:
        ctx.out(node, "MatMul", [mixed, out_w])
        return
    y = ctx.op(node, "MatMul", [mixed, out_w], "out_matmul")
    ctx.out(node, "Add", [y, ctx.weight(node, "out_proj.bias")])


TABLE = {"lstm": rnn, "gru": rnn, "attention": attention}
