"""Benchmark (on demand, not a test): a 10,000-layer DLIR model through parse, check with
shape inference, and print; ONNX's C++ path on an equivalent 10,000-node graph in the same
run (onnx.parser.parse_model, onnx.shape_inference.infer_shapes, onnx.printer.to_text).

Usage: python bench/bench_core.py [--layers 10000] [--repeat 3] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

import papercc
from papercc.ir.check import check_module

OPS_CYCLE = ("conv", "relu", "bn", "add")


def dlir_text(layers: int) -> str:
    """A chain of conv / relu / batchnorm / residual add, `layers` layers in all."""
    lines = ["model big(x: f32[N, 16, 32, 32]) -> f32[N, 16, 32, 32] {", "  y0 = relu(x)"]
    for i in range(1, layers):
        kind = OPS_CYCLE[i % 4] if i >= 4 else "relu"
        prev = f"y{i - 1}"
        if kind == "conv":
            expr = f"conv2d({prev}, 16, kernel=3, padding=1, bias=false)"
        elif kind == "relu":
            expr = f"relu({prev})"
        elif kind == "bn":
            expr = f"batchnorm({prev}, eps=0.001)"
        else:
            expr = f"add({prev}, y{i - 4})"
        lines.append(f"  y{i} = {expr}")
    lines.append(f"  return y{layers - 1}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def onnx_text(layers: int) -> str:
    """The same graph in ONNX's textual syntax (weights as initializer-free inputs)."""
    body = ["y0 = Relu(x)"]
    inputs = ["float[N, 16, 32, 32] x"]
    for i in range(1, layers):
        kind = OPS_CYCLE[i % 4] if i >= 4 else "relu"
        prev = f"y{i - 1}"
        if kind == "conv":
            inputs.append(f"float[16, 16, 3, 3] w{i}")
            body.append(f"y{i} = Conv <pads = [1, 1, 1, 1], kernel_shape = [3, 3]> ({prev}, w{i})")
        elif kind == "relu":
            body.append(f"y{i} = Relu({prev})")
        elif kind == "bn":
            for p in ("s", "b", "m", "v"):
                inputs.append(f"float[16] {p}{i}")
            body.append(
                f"y{i} = BatchNormalization <epsilon = 0.001> ({prev}, s{i}, b{i}, m{i}, v{i})"
            )
        else:
            body.append(f"y{i} = Add({prev}, y{i - 4})")
    return (
        '<ir_version: 10, opset_import: ["" : 21]>\n'
        f"big ({', '.join(inputs)}) => (float[N, 16, 32, 32] y{layers - 1})\n{{\n  "
        + "\n  ".join(body)
        + "\n}\n"
    )


def best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()

    text = dlir_text(args.layers)
    papercc.parse(text)  # warm the grammar (built once per process)
    t_parse, module = best(lambda: papercc.parse(text, "big.dlir"), args.repeat)
    t_check, result = best(lambda: check_module(module), args.repeat)
    assert result.ok and len(result.graphs["big"].nodes) == args.layers
    t_print, printed = best(lambda: papercc.format(module), args.repeat)
    assert printed == text
    ours = t_parse + t_check + t_print

    import onnx
    import onnx.parser
    import onnx.printer
    import onnx.shape_inference

    otext = onnx_text(args.layers)
    o_parse, model = best(lambda: onnx.parser.parse_model(otext), args.repeat)
    o_infer, inferred = best(lambda: onnx.shape_inference.infer_shapes(model), args.repeat)
    o_print, _ = best(lambda: onnx.printer.to_text(inferred), args.repeat)
    theirs = o_parse + o_infer + o_print

    print(f"{args.layers} layers, {len(text.splitlines())} lines, best of {args.repeat}")
    print(
        f"papercc  parse {t_parse:.3f}s  check+shapes {t_check:.3f}s  print {t_print:.3f}s  total {ours:.3f}s"
    )
    print(
        f"onnx     parse {o_parse:.3f}s  infer_shapes {o_infer:.3f}s  print {o_print:.3f}s  total {theirs:.3f}s"
    )
    print(
        f"ratio papercc/onnx: {ours / theirs:.1f}x  ({len(text.splitlines()) / t_parse:,.0f} lines/s parsed)"
    )
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        check_module(papercc.parse(text, "big.dlir"))
        papercc.format(module)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
