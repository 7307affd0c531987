"""Benchmark: papercc's ONNX export against torch.onnx.export of the generated PyTorch model.

Zoo ResNet-50, one set of weights (seed 0). Three exporters, each timed from a built
model/graph to serialized bytes, best of --repeat runs:
  papercc      backends.onnx_export.export_bytes (graph IR -> ModelProto with onnx.helper)
  papercc-pb   the same through export_model + SerializeToString (weights copied 3 times)
  torchscript  torch.onnx.export(..., dynamo=False)
  dynamo       torch.onnx.export(...) default exporter (needs onnxscript)
All three models then run in onnxruntime on the same input; their outputs are compared
with each other and with PyTorch's. Targets: papercc >= 5x faster than TorchScript's
exporter and >= 20x faster than the default one.

Run on demand (not a test):  .venv/bin/python bench/bench_onnx_export.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import time
import warnings
from pathlib import Path

import numpy as np

ZOO = Path(__file__).resolve().parents[1] / "zoo"


def best_of(fn, repeat: int) -> tuple[tuple[float, float], object]:
    """(best wall seconds, best CPU seconds of this process), and the last result. CPU time
    is the fairer number on a shared machine; both are reported."""
    wall, cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return (wall, cpu), result


def torch_model(graph, weights):
    from papercc.backends import pytorch
    from papercc.backends.runtime import import_generated, weights_file

    module = import_generated(pytorch.generate(graph), "papercc_bench_resnet")
    model = module.build_model().eval()
    with weights_file(weights) as path:
        module.load_weights(model, path)
    return model


def export_torchscript(model, x) -> bytes:
    import torch

    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (x,),
            buf,
            dynamo=False,
            input_names=["image"],
            output_names=["fc"],
            dynamic_axes={"image": {0: "N"}, "fc": {0: "N"}},
        )
    return buf.getvalue()


def export_dynamo(model, x) -> bytes:
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            model,
            (x,),
            input_names=["image"],
            output_names=["fc"],
            dynamic_shapes=({0: torch.export.Dim("N", min=1, max=1024)},),
            verbose=False,
        )
    return program.model_proto.SerializeToString()


def run_onnx(data: bytes, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(a))), 1e-12))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ZOO / "resnet50.dlir"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import onnx
    import torch

    import papercc
    from papercc.backends.onnx import target as onnx_export
    from papercc.backends.runtime import example_inputs
    from papercc.backends.weights import init_weights

    torch.set_num_threads(1)
    (graph,) = papercc.check(papercc.load(args.model)).graphs.values()
    weights = init_weights(graph, 0)
    (x,) = example_inputs(graph, 0, batch=2)
    model = torch_model(graph, weights)
    xt = torch.from_numpy(x)

    times, blobs = {}, {}
    times["papercc"], blobs["papercc"] = best_of(
        lambda: onnx_export.export_bytes(graph, weights, args.model), args.repeat
    )
    # the same model through protobuf (export_model, then SerializeToString): the copies
    # that export_bytes' splicing avoids
    times["papercc-pb"], blobs["papercc-pb"] = best_of(
        lambda: onnx_export.export_model(graph, weights, args.model).SerializeToString(),
        args.repeat,
    )
    times["torchscript"], blobs["torchscript"] = best_of(
        lambda: export_torchscript(model, xt), args.repeat
    )
    try:
        import onnxscript  # noqa: F401 - the default exporter needs it
    except ImportError:
        print("dynamo exporter skipped: onnxscript is not installed")
    else:
        times["dynamo"], blobs["dynamo"] = best_of(lambda: export_dynamo(model, xt), args.repeat)

    with torch.no_grad():
        ref = model(xt).numpy()
    outs = {name: run_onnx(data, x) for name, data in blobs.items()}
    versions = f"torch {torch.__version__}, onnx {onnx.__version__}"
    try:
        import onnxruntime
        import onnxscript

        versions += f", onnxruntime {onnxruntime.__version__}, onnxscript {onnxscript.__version__}"
    except ImportError:
        pass
    print(f"{graph.name}: {graph.params:,} params, best of {args.repeat}; {versions}")
    print(
        f"{'exporter':<12} {'wall s':>8} {'cpu s':>8} {'MB':>7} {'wall ratio':>11} "
        f"{'cpu ratio':>10} {'rel diff vs torch':>18}"
    )
    wall0, cpu0 = times["papercc"]
    for name, (wall, cpu) in times.items():
        print(
            f"{name:<12} {wall:8.3f} {cpu:8.3f} {len(blobs[name]) / 1e6:7.1f} "
            f"{wall / wall0:10.1f}x {cpu / cpu0:9.1f}x {rel_diff(ref, outs[name]):18.2e}"
        )
    for name in outs:
        if name != "papercc":
            print(
                f"papercc vs {name:<11}: max rel diff {rel_diff(outs[name], outs['papercc']):.2e}"
            )

    def met(name: str, target: float) -> str:
        if name not in times:
            return "not run"
        wall, cpu = times[name]
        return "met" if min(wall / wall0, cpu / cpu0) >= target else "MISSED"

    print(f"targets: >=5x TorchScript {met('torchscript', 5)}, >=20x dynamo {met('dynamo', 20)}")


if __name__ == "__main__":
    main()
