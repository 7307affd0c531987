"""Sequence layers: lstm, gru, multi-head attention. Inputs are batch-first [N, T, F]."""

from __future__ import annotations

from ..registry import Attr, Case, Drawing, OpDef, ShapeError, WeightSpec
from ..types import dims_agree
from ..values import HOLE
from .rules import int_or_none, known, require_rank


def _rnn(name: str, gates: int, what: str, *cases: Case) -> OpDef:
    def infer(inputs, a):
        (x,) = inputs
        require_rank(x, 3, name, "[N, T, F]")
        dirs = 2 if a["bidirectional"] is True else (None if a["bidirectional"] is HOLE else 1)
        h = a["hidden"]
        feat = h * dirs if known(h, dirs) else None
        if x.shape is None:
            return [x.with_shape(None)]
        if a["sequences"] is False:
            return [x.with_shape((x.dim(0), feat))]
        return [x.with_shape((x.dim(0), x.dim(1), feat))]

    def weights(inputs, a):
        h, layers = int_or_none(a["hidden"]), a["layers"]
        dirs = 2 if a["bidirectional"] is True else 1
        fin = int_or_none(inputs[0].dim(-1))
        g = gates * h if known(h) else None
        specs = []
        for layer in range(layers if known(layers) else 1):
            lin = fin if layer == 0 else (h * dirs if known(h) else None)
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                specs += [
                    WeightSpec(f"weight_ih{sfx}", (g, lin)),
                    WeightSpec(f"weight_hh{sfx}", (g, h)),
                ]
                if a["bias"] is True:
                    specs += [
                        WeightSpec(f"bias_ih{sfx}", (g,), init="bias"),
                        WeightSpec(f"bias_hh{sfx}", (g,), init="bias"),
                    ]
        if not known(layers):
            specs.append(WeightSpec("unknown_layers", (None,)))
        return specs

    return OpDef(
        name=name,
        category="recurrent",
        drawing=Drawing((name.upper(),), group="mixing"),
        doc=f"{what} over [N, T, F] (batch first), PyTorch's gate order and two biases per gate.",
        inputs=("x",),
        attrs=(
            Attr("hidden", "int", doc="hidden size", min=1),
            Attr("layers", "int", 1, "stacked layers", min=1),
            Attr("bidirectional", "bool", False, "also run backwards and concatenate"),
            Attr("sequences", "bool", True, "return every step [N, T, H], else the last [N, H]"),
            Attr("bias", "bool", True, "learned biases"),
        ),
        infer=infer,
        weights=weights,
        positional=1,
        prefix=name,
        example=f"y = {name}(embedding(tokens, 10000, 256), 512)",
        cases=cases,
    )


def _attention_infer(inputs, a):
    q, k, v = inputs
    for t in inputs:
        require_rank(t, 3, "attention", "[N, T, D]")
    d = q.dim(-1)
    for other in (k, v):
        if not dims_agree(d, other.dim(-1)):
            raise ShapeError(f"attention: query {q} and key/value {other} differ in embedding size")
    if not dims_agree(k.dim(1), v.dim(1)):
        raise ShapeError(f"attention: key {k} and value {v} differ in length")
    heads = a["heads"]
    if known(d, heads) and d % heads:
        raise ShapeError(f"attention: embedding size {d} of {q} is not divisible by heads={heads}")
    return [q]


def _attention_weights(inputs, a):
    d = int_or_none(inputs[0].dim(-1))
    three = 3 * d if known(d) else None
    specs = [WeightSpec("in_proj_weight", (three, d)), WeightSpec("out_proj.weight", (d, d))]
    if a["bias"] is True:
        specs += [
            WeightSpec("in_proj_bias", (three,), init="bias"),
            WeightSpec("out_proj.bias", (d,), init="bias"),
        ]
    return specs


ATTENTION = OpDef(
    name="attention",
    category="attention",
    drawing=Drawing(
        (
            "MHA {}|heads",
            "Multi-head attention, {} heads|heads",
            "MHA {}|heads",
            "Attention ({} heads)|heads",
            "Multi-head self-attention, {} heads|heads",
        ),
        group="mixing",
    ),
    doc="Multi-head scaled dot-product attention with input and output projections "
    "(PyTorch's nn.MultiheadAttention, batch first).",
    inputs=("q", "k", "v"),
    attrs=(
        Attr("heads", "int", doc="number of heads", min=1),
        Attr("bias", "bool", True, "biases in the projections"),
    ),
    infer=_attention_infer,
    weights=_attention_weights,
    positional=1,
    prefix="attn",
    example="y = attention(x, x, x, 8)",
    cases=(
        Case("self", "x: f32[N, 5, 8]", "attention(x, x, x, 2)"),
        Case("self_symbolic_length", "x: f32[N, T, 8]", "attention(x, x, x, 2)"),
        Case(
            "cross_no_bias",
            "q: f32[N, 3, 8], kv: f32[N, 6, 8]",
            "attention(q, kv, kv, 4, bias=false)",
        ),
        Case(
            "cross_no_bias_5",
            "q: f32[N, 3, 8], kv: f32[N, 5, 8]",
            "attention(q, kv, kv, 4, bias=false)",
        ),
        Case(
            "one_head",
            "q: f32[N, 3, 6], k: f32[N, 4, 6], v: f32[N, 4, 6]",
            "attention(q, k, v, 1)",
            "three different inputs",
        ),
        Case(
            "encoder_block",
            "x: f32[N, 4, 8]",
            "y = layernorm(add(x, attention(x, x, x, 2)))\n"
            "return layernorm(add(y, dense(gelu(dense(y, 16)), 8)))",
        ),
        Case(
            "after_embedding",
            "t: i64[N, T]",
            "e = embedding(t, 11, 8)\nreturn attention(e, e, e, 2)",
        ),
    ),
)

SEQ = "x: f32[N, 6, 5]"
SEQ_5x4 = "x: f32[N, 5, 4]"
SEQ_7x3 = "x: f32[N, 7, 3]"

OPS = (
    _rnn(
        "lstm",
        4,
        "Long short-term memory",
        Case("gates", SEQ, "lstm(x, 4)", "PyTorch's gate order i, f, g, o (Keras i, f, c, o)"),
        Case("gates_5x4", SEQ_5x4, "lstm(x, 6)"),
        Case("gates_7x3", SEQ_7x3, "lstm(x, 6)"),
        Case("last_7x3", SEQ_7x3, "lstm(x, 6, sequences=false)"),
        Case(
            "stacked_bidirectional_last",
            SEQ,
            "lstm(x, 4, layers=2, bidirectional=true, sequences=false)",
            "the last step of each direction: forward's end, backward's start",
        ),
        Case(
            "stacked_bidirectional_last_5x4",
            SEQ_5x4,
            "lstm(x, 3, layers=2, bidirectional=true, sequences=false)",
        ),
        Case("stacked_bidirectional_7x3", SEQ_7x3, "lstm(x, 5, layers=2, bidirectional=true)"),
        Case(
            "stacked_bidirectional_last_no_bias",
            SEQ_7x3,
            "lstm(x, 5, layers=2, bidirectional=true, sequences=false, bias=false)",
        ),
        Case("one_step_no_bias", "x: f32[N, 1, 5]", "lstm(x, 2, bias=false)"),
        Case(
            "after_conv1d",
            "x: f32[N, 4, 9]",
            "lstm(transpose(conv1d(x, 6, kernel=3), (0, 2, 1)), 3)",
        ),
        Case(
            "after_embedding",
            "t: i64[N, T]",
            "dense(lstm(embedding(t, 11, 6), 5), 3)",
            "a sequence length known only when run",
        ),
    ),
    _rnn(
        "gru",
        3,
        "Gated recurrent unit",
        Case(
            "bidirectional",
            SEQ,
            "gru(x, 3, bidirectional=true)",
            "PyTorch's r, z, n order and the reset gate applied after the hidden matmul",
        ),
        Case("stacked_no_bias_last", SEQ, "gru(x, 3, layers=2, bias=false, sequences=false)"),
        Case("stacked_5x4", SEQ_5x4, "gru(x, 5, layers=2)"),
        Case("bidirectional_no_bias_5x4", SEQ_5x4, "gru(x, 3, bidirectional=true, bias=false)"),
        Case("gates_7x3", SEQ_7x3, "gru(x, 6)"),
        Case("bidirectional_last_7x3", SEQ_7x3, "gru(x, 4, bidirectional=true, sequences=false)"),
        Case("three_layers", SEQ_7x3, "gru(x, 3, layers=3)"),
    ),
    ATTENTION,
)
