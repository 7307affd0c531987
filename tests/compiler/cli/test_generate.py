"""The backend commands end to end: weights init, gen (with Caffe weights), export, verify."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from click.testing import CliRunner
from paths import ZOO

import papercc
from papercc.backends import pytorch
from papercc.backends.weights import load_weights
from papercc.compiler.cli.main import main


def test_caffe_prototxt_and_caffemodel_from_one_weights_file(tmp_path: Path) -> None:
    import cv2

    runner = CliRunner()
    w = tmp_path / "w.safetensors"
    assert (
        runner.invoke(
            main, ["weights", "init", str(ZOO / "lenet5.dlir"), "-o", str(w), "--seed", "3"]
        ).exit_code
        == 0
    )
    net = tmp_path / "lenet5.prototxt"
    r = runner.invoke(
        main, ["gen", str(ZOO / "lenet5.dlir"), "-t", "caffe", "-o", str(net), "--weights", str(w)]
    )
    assert r.exit_code == 0, r.output
    x = np.random.default_rng(0).standard_normal((1, 1, 32, 32)).astype(np.float32)
    cv_net = cv2.dnn.readNetFromCaffe(str(net), str(net.with_suffix(".caffemodel")))
    cv_net.setInput(x)
    got = cv_net.forward()
    graph = papercc.check(papercc.load(ZOO / "lenet5.dlir")).graphs["lenet5"]
    (ref,) = pytorch.run(graph, load_weights(w), [x])
    assert np.max(np.abs(got - ref)) <= 1e-4 * np.max(np.abs(ref))


def test_gen_weights_needs_caffe_and_output(tmp_path: Path) -> None:
    r = CliRunner().invoke(
        main, ["gen", str(ZOO / "lenet5.dlir"), "-t", "pytorch", "--weights", "w"]
    )
    assert r.exit_code == 2 and "--weights goes with --target caffe" in r.output


def test_verify_command_reports_every_target() -> None:
    r = CliRunner().invoke(main, ["verify", str(ZOO / "lenet5.dlir")])
    assert r.exit_code == 0, r.output
    for target in ("pytorch", "keras", "tensorflow", "caffe", "onnx"):
        assert target in r.output
    assert "FAIL" not in r.output
