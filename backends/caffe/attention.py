"""Multi-head attention for the Caffe backend, from standard layers only.

Caffe multiplies activations by weights (InnerProduct), never by other activations, so
the two products of attention are written as broadcast-and-reduce: repeat both operands to
[N, Lq, Lk, D], multiply (Eltwise), and sum over the right axis with an InnerProduct whose
weight is a constant 0/1 matrix (per head for the scores, over keys for the output).
Memory is N * Lq * Lk * D floats: fine for the sizes papers describe, exact in float32.
"""

from __future__ import annotations

import math

import numpy as np

from papercc.backends.caffe import net as cn
from papercc.backends.caffe.net import CaffeContext, const
from papercc.ir.graph import Node


def _project(ctx: CaffeContext, node: Node, tag: str, bottom: str, part: int | None) -> str:
    """x W^T + b over the last axis with (a third of) in_proj or with out_proj."""
    key, dim = node.name, ctx.shapes[bottom][-1]
    if part is None:
        wfn = cn.weight(f"{key}.out_proj.weight")
        bfn = cn.weight(f"{key}.out_proj.bias")
    else:
        rows = slice(part * dim, (part + 1) * dim)

        def wfn(wd):
            return np.asarray(wd[f"{key}.in_proj_weight"], np.float32)[rows]

        def bfn(wd):
            return np.asarray(wd[f"{key}.in_proj_bias"], np.float32)[rows]

    bias = node.attrs["bias"]
    shape = ctx.shapes[bottom]
    msg, top = ctx.tmp(node, tag, "InnerProduct", [bottom], shape, [wfn] + ([bfn] if bias else []))
    p = msg.inner_product_param
    p.num_output = dim
    p.axis = len(shape) - 1
    if not bias:
        p.bias_term = False
    return top


def _tile(ctx, node, tag, bottom, axis: int, tiles: int) -> str:
    """Repeat along an axis by concatenating the blob with itself (OpenCV's Tile layer does
    not read Caffe's tile_param)."""
    return cn.concat(ctx, node, tag, [bottom] * tiles, axis)


def _reduce_last(ctx, node, tag, bottom, matrix) -> str:
    matrix = np.asarray(matrix, np.float32)
    shape = ctx.shapes[bottom]
    out = (*shape[:-1], matrix.shape[0])
    msg, top = ctx.tmp(node, tag, "InnerProduct", [bottom], out, [const(matrix)])
    p = msg.inner_product_param
    p.num_output = matrix.shape[0]
    p.axis = len(shape) - 1
    p.bias_term = False
    return top


def attention(ctx: CaffeContext, node: Node) -> None:
    heads = node.attrs["heads"]
    q, k, v = (
        _project(ctx, node, t, ctx.v(i), n)
        for n, (t, i) in enumerate(zip("qkv", node.inputs, strict=True))
    )
    n, lq, d = ctx.shapes[q]
    lk = ctx.shapes[k][1]
    dh = d // heads
    head_of = np.repeat(np.arange(heads), dh)  # feature -> head
    qe = _tile(ctx, node, "q_tile", cn.reshape(ctx, node, "q_row", q, (n, lq, 1, d)), 2, lk)
    ke = _tile(ctx, node, "k_tile", cn.reshape(ctx, node, "k_row", k, (n, 1, lk, d)), 1, lq)
    prod = cn.eltwise(ctx, node, "qk", [qe, ke], "PROD")
    per_head = (np.arange(heads)[:, None] == head_of[None, :]) / math.sqrt(dh)
    scores = _reduce_last(ctx, node, "scores", prod, per_head)  # [N, Lq, Lk, H]
    msg, weights = ctx.tmp(node, "softmax", "Softmax", [scores], ctx.shapes[scores])
    msg.softmax_param.axis = 2
    spread = (head_of[:, None] == np.arange(heads)[None, :]).astype(np.float32)
    we = _reduce_last(ctx, node, "spread", weights, spread)  # [N, Lq, Lk, D]
    ve = _tile(ctx, node, "v_tile", cn.reshape(ctx, node, "v_row", v, (n, 1, lk, d)), 1, lq)
    mixed = cn.eltwise(ctx, node, "av", [we, ve], "PROD")
    keys_last = cn.permute(ctx, node, "keys_last", mixed, [0, 1, 3, 2])
    summed = _reduce_last(ctx, node, "sum_keys", keys_last, np.ones((1, lk)))
    heads_out = cn.reshape(ctx, node, "heads", summed, (n, lq, d))
    ctx.alias(node, _project(ctx, node, "out", heads_out, None))
