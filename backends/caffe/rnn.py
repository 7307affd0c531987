"""LSTM and GRU for the Caffe backend, unrolled over time into standard layers.

BVLC Caffe's LSTM layer wants a second "sequence continuation" input and has no GRU;
OpenCV's reading of it wants batch-sized initial-state blobs. Unrolling is exact and runs
anywhere: one InnerProduct projects every time step's input at once, then per step an
InnerProduct of the previous hidden state, Slice into gates, Sigmoid/TanH and Eltwise.
The recurrent weight is repeated once per step in the caffemodel (Caffe shares weights
between layers only through training-time `param` names). Needs a known sequence length.
"""

from __future__ import annotations

import numpy as np

from papercc.backends.caffe import net as cn
from papercc.backends.caffe.net import CaffeContext
from papercc.ir.graph import Node


def _ip(ctx: CaffeContext, node: Node, tag: str, bottom: str, wfn, bfn, units: int, axis: int):
    shape = ctx.shapes[bottom]
    blobs = [wfn] + ([bfn] if bfn else [])
    msg, top = ctx.tmp(node, tag, "InnerProduct", [bottom], (*shape[:axis], units), blobs)
    p = msg.inner_product_param
    p.num_output = units
    if bfn is None:
        p.bias_term = False
    if axis != 1:
        p.axis = axis
    return top


def _act(ctx, node, tag, kind, bottom) -> str:
    return ctx.tmp(node, tag, kind, [bottom], ctx.shapes[bottom])[1]


def _sum(ctx, node, tag, a, b, minus: bool = False) -> str:
    msg, top = ctx.tmp(node, tag, "Eltwise", [a, b], ctx.shapes[a])
    msg.eltwise_param.operation = 1
    if minus:
        msg.eltwise_param.coeff.extend([1.0, -1.0])
    return top


def _prod(ctx, node, tag, a, b) -> str:
    return cn.eltwise(ctx, node, tag, [a, b], "PROD")


def _split(ctx, node, tag, bottom, parts: int) -> list[str]:
    n, width = ctx.shapes[bottom]
    size = width // parts
    msg, tops = ctx.layer(f"{node.name}/{tag}", "Slice", [bottom], [(n, size)] * parts)
    msg.slice_param.axis = 1
    msg.slice_param.slice_point.extend(size * i for i in range(1, parts))
    return tops


def _direction(ctx: CaffeContext, node: Node, x: str, layer: int, reverse: bool):
    """One direction of one layer: hidden states in time order, and the final state."""
    a = node.attrs
    lstm = node.op == "lstm"
    gates = 4 if lstm else 3
    h_size = a["hidden"]
    sfx = f"_l{layer}" + ("_reverse" if reverse else "")
    key = f"{node.name}.{{}}{sfx}"
    tag = f"l{layer}{'r' if reverse else ''}"
    n, steps, _ = ctx.shapes[x]

    def bias_ih(wd):
        b = np.asarray(wd[key.format("bias_ih")], np.float32)
        return b + np.asarray(wd[key.format("bias_hh")], np.float32) if lstm else b

    bias = bias_ih if a["bias"] else None
    proj = _ip(
        ctx, node, f"{tag}_x", x, cn.weight(key.format("weight_ih")), bias, gates * h_size, 2
    )
    slices = [proj]
    if steps > 1:
        msg, slices = ctx.layer(
            f"{node.name}/{tag}_steps", "Slice", [proj], [(n, 1, gates * h_size)] * steps
        )
        msg.slice_param.axis = 1
        msg.slice_param.slice_point.extend(range(1, steps))
    flat = [
        cn.reshape(ctx, node, f"{tag}_t{t}", s, (n, gates * h_size)) for t, s in enumerate(slices)
    ]
    h = cn.fill_like(
        ctx, node, f"{tag}_h0", _split(ctx, node, f"{tag}_h0src", flat[0], gates)[0], 0.0
    )
    c = h
    w_hh = cn.weight(key.format("weight_hh"))
    b_hh = None if lstm or not a["bias"] else cn.weight(key.format("bias_hh"))
    outs: dict[int, str] = {}
    for t in reversed(range(steps)) if reverse else range(steps):
        s = f"{tag}_s{t}"
        rec = _ip(ctx, node, f"{s}_h", h, w_hh, b_hh, gates * h_size, 1)
        if lstm:
            pre = _sum(ctx, node, f"{s}_pre", flat[t], rec)
            i, f, g, o = _split(ctx, node, f"{s}_gates", pre, 4)
            i, f, o = (
                _act(ctx, node, f"{s}_{k}", "Sigmoid", v)
                for k, v in zip("ifo", (i, f, o), strict=True)
            )
            g = _act(ctx, node, f"{s}_g", "TanH", g)
            c = _sum(
                ctx,
                node,
                f"{s}_c",
                _prod(ctx, node, f"{s}_fc", f, c),
                _prod(ctx, node, f"{s}_ig", i, g),
            )
            h = _prod(ctx, node, f"{s}_hid", o, _act(ctx, node, f"{s}_tc", "TanH", c))
        else:
            rx, zx, nx = _split(ctx, node, f"{s}_xg", flat[t], 3)
            rh, zh, nh = _split(ctx, node, f"{s}_hg", rec, 3)
            r = _act(ctx, node, f"{s}_r", "Sigmoid", _sum(ctx, node, f"{s}_rs", rx, rh))
            z = _act(ctx, node, f"{s}_z", "Sigmoid", _sum(ctx, node, f"{s}_zs", zx, zh))
            cand = _act(
                ctx,
                node,
                f"{s}_n",
                "TanH",
                _sum(ctx, node, f"{s}_ns", nx, _prod(ctx, node, f"{s}_rn", r, nh)),
            )
            diff = _sum(ctx, node, f"{s}_d", h, cand, minus=True)
            h = _sum(ctx, node, f"{s}_hid", cand, _prod(ctx, node, f"{s}_zd", z, diff))
        outs[t] = h
    return [outs[t] for t in range(steps)], h


def rnn(ctx: CaffeContext, node: Node) -> None:
    a = node.attrs
    x = ctx.x(node)
    dirs = 2 if a["bidirectional"] else 1
    finals: list[str] = []
    for layer in range(a["layers"]):
        n, steps, _ = ctx.shapes[x]
        seqs, finals = [], []
        for d in range(dirs):
            hs, last = _direction(ctx, node, x, layer, reverse=bool(d))
            finals.append(last)
            rows = [
                cn.reshape(ctx, node, f"l{layer}d{d}_o{t}", h, (n, 1, a["hidden"]))
                for t, h in enumerate(hs)
            ]
            seqs.append(cn.concat(ctx, node, f"l{layer}d{d}_seq", rows, 1))
        x = cn.concat(ctx, node, f"l{layer}_seq", seqs, 2)
    out = x if a["sequences"] else cn.concat(ctx, node, "final", finals, 1)
    ctx.alias(node, out)
