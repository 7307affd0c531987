"""Cleaning of OCR'd layer labels (`words`, `ocr.fix_misreads`)."""

from __future__ import annotations

import pytest

from papercc.compiler.raster.words import clean_label


@pytest.mark.parametrize(
    "read, clean",
    [
        # an operator sign run into punctuation is a word of the label, not a speck
        ("+, relu", "+, relu"),
        ("++ relu", "++ relu"),
        ("~~. relu", "relu"),
        # quote marks are specks
        ("“Conv 5x5, 256, pad 2", "Conv 5x5, 256, pad 2"),
        ("‘sum", "sum"),
        # no space stands before a hyphen inside a word
        ("soft -max", "soft-max"),
        ("FC-1000, | soft -max", "FC-1000, soft-max"),
        ("x -max", "x -max"),
        ("conv -1", "conv -1"),
        # digit confusions of the VGG form
        ("conv/7-64", "conv7-64"),
        ("convs-48", "conv5-48"),
        ("conv/-128", "conv/-128"),  # the kernel digit is lost: not guessed
        ("convo-48", "convo-48"),  # o could be 0, 5, 6 or 9
        # a 1 read as l or I after a word that takes a number
        ("avg pool 3x3, stride 2, padl", "avg pool 3x3, stride 2, pad 1"),
        ("conv 3x3, 128, pad I, relu", "conv 3x3, 128, pad 1, relu"),
        ("stridel,", "stride 1,"),
        ("pad Inception", "pad Inception"),
        # fc read as fo before a number
        ("fo 512, relu", "fc 512, relu"),
        ("fo-10", "fc-10"),
        ("fo layer", "fo layer"),
        # a times sign read as a guillemet between digits
        ("Avg Pool 2«2/2", "Avg Pool 2×2/2"),
        ("a « b", "a b"),
        ("maxpool 2%2/2", "maxpool 2×2/2"),
        ("dropout 50%", "dropout 50%"),
        # a 1 read as a bracket in a size token
        ("conv 1x] (48)", "conv 1x1 (48)"),
        ("1X1 conv, 32", "1x1 conv, 32"),
        ("2x2 max pool, [2", "2x2 max pool, /2"),
        ("2x2 max pool, {2", "2x2 max pool, /2"),
        ("conv [3] [2", "conv [3] [2"),  # brackets that close are brackets
    ],
)
def test_clean_label(read: str, clean: str) -> None:
    assert clean_label(read) == clean


@pytest.mark.parametrize(
    "text, doubt",
    [
        ("conv5-48", 0),
        ("3x3 max pool, /2", 0),
        ("Dropout, p=0.2", 0),
        ("Conv2d 3x3 64", 0),
        ("image 1x32x32", 0),
        ("224x224x3", 0),  # a size note
        ("+", 0),
        ("convo-48", 4),  # unknown, not understood, a number no attribute holds
        ("conv/-64", 1),  # no kernel
        ("3x3 max pool, 12", 1),  # the stride "/2" read as "12": a number left over
        ("conv 5x65, 64, pad 2", 1),  # an odd kernel: "×" read as "x6"
        ("1x7 conv (224)", 0),  # factorised kernels are common
        ("Convolution 1x196", 2),  # no kernel is that long ("1x1 96" run together), no filters
        ("conv 11x11, 96, /4", 0),
        ("7x1 conv (224)", 0),
        ("i", 3),
        ("", 3),
    ],
)
def test_label_doubt(text: str, doubt: int) -> None:
    from papercc.compiler.raster.words import label_doubt

    assert label_doubt(text) == doubt


def test_better_reading_is_the_label_then_the_confident() -> None:
    from papercc.compiler.raster.ocr import OcrText, better

    assert better(OcrText("convo-48", 0.92, 0.92), OcrText("conv5-48", 0.5, 0.5)).text == (
        "conv5-48"
    )
    assert better(
        OcrText("11x1 conv, 32", 0.81, 0.5), OcrText("1x1 conv, 32", 0.92, 0.85)
    ).text == ("1x1 conv, 32")
    assert better(OcrText("relu", 0.9, 0.9), OcrText("relu", 0.9, 0.9)) == OcrText("relu", 0.9, 0.9)


def test_doubtful_crops_are_read_again_at_other_scales(monkeypatch) -> None:
    """Only crops with a low-confidence word or no label reading are read a second
    time, and those still doubtful a third; a later reading replaces an earlier one
    where it reads more like a label (then where it is more confident)."""
    import numpy as np

    from papercc.compiler.raster import ocr

    calls: list[tuple[float, int]] = []
    second_h, third_h = ocr.RETRY_CHAR_HS
    readings = {
        ocr.TARGET_CHAR_H: {
            0: ocr.OcrText("conv3-64", 0.95, 0.93),
            1: ocr.OcrText("convo-48", 0.6, 0.4),
            2: ocr.OcrText("+", 0.2, 0.2),
        },
        second_h: {1: ocr.OcrText("conv5-48", 0.9, 0.9), 2: ocr.OcrText("-", 0.1, 0.1)},
        third_h: {2: ocr.OcrText("+", 0.9, 0.9)},
    }

    def fake_read_strip(crops, target, psm=6):
        calls.append((target, len(crops)))
        return [readings[target][int(c[0, 0])] for c in crops]

    engines = ocr.Ocr()
    monkeypatch.setattr(engines, "read_strip", fake_read_strip)
    crops = [np.full((10, 10), i, np.uint8) for i in range(3)]
    out = engines.read_crops(crops)
    assert [t.text for t in out] == ["conv3-64", "conv5-48", "+"]
    assert out[2].confidence == 0.9
    assert calls == [(ocr.TARGET_CHAR_H, 3), (second_h, 2), (third_h, 1)]


_LIBRARY_CHECK = """
import shutil, sys
import cv2, numpy as np
from papercc.compiler.raster import ocr
engines = ocr.Ocr()
if engines.engine() is None or shutil.which("tesseract") is None:
    sys.exit(3)
img = np.full((60, 360), 255, np.uint8)
cv2.putText(img, "conv 3x3, 64", (10, 42), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
lib = ocr.parse_tsv(engines.engine().tsv(img, 6))
binary = ocr.tesseract_binary(img, 6)
words = [t for t in lib["text"] if t.strip()]
assert words == [t for t in binary["text"] if t.strip()], (words, binary["text"])
assert " ".join(words) == "conv 3x3, 64", words
"""


def test_tesseract_library_reads_as_the_binary_does() -> None:
    """The in-process libtesseract engine gives the binary's TSV for the same strip.

    Run in a fresh interpreter: once another library (torch) has loaded the OpenMP
    runtime without a thread limit, this process uses the binary instead."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _LIBRARY_CHECK], capture_output=True, text=True, timeout=120
    )
    if done.returncode == 3:
        pytest.skip("libtesseract or the tesseract binary is missing")
    assert done.returncode == 0, done.stderr


_TWO_ENGINES_CHECK = """
import shutil, sys
import cv2, numpy as np
from papercc.compiler.raster import ocr
two_cores, one_core = ocr.Ocr(workers=2), ocr.Ocr(workers=1)
if two_cores.engine() is None or shutil.which("tesseract") is None:
    sys.exit(3)
labels = ["conv 3x3, 64", "relu", "max pool 2x2", "fc 1000", "softmax", "conv5-48",
          "avg pool", "batch norm", "dropout 0.5", "concat"]
crops = []
for text in labels:
    img = np.full((50, 330), 255, np.uint8)
    cv2.putText(img, text, (8, 36), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)
    crops.append(img)
assert len(crops) >= ocr.SPLIT_MIN_CROPS
two = [t.text for t in two_cores.read_strip(crops, ocr.TARGET_CHAR_H)]
one = [t.text for t in one_core.read_strip(crops, ocr.TARGET_CHAR_H)]
assert two == one, (two, one)
assert two_cores.engine(1) is not None and two_cores.engine(1) is not two_cores.engine(0)
assert sum(a == b for a, b in zip(two, labels)) >= 8, two
"""


def test_two_engines_read_as_one_does() -> None:
    """A long reading is split in two strips by the crops alone, so two engines on two
    cores read the same words as one engine reading both strips in turn."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _TWO_ENGINES_CHECK], capture_output=True, text=True, timeout=120
    )
    if done.returncode == 3:
        pytest.skip("libtesseract or the tesseract binary is missing")
    assert done.returncode == 0, done.stderr


_OWNERSHIP_CHECK = """
import ctypes, os, pickle, shutil, sys
import numpy as np
from papercc.compiler.raster import ocr
environ = dict(os.environ)
libc = ctypes.CDLL(None)
libc.getenv.restype = ctypes.c_char_p
module_state = {k: id(v) for k, v in vars(ocr).items()}
with ocr.Ocr() as engines:
    api = engines.engine()
    if api is None or shutil.which("tesseract") is None:
        sys.exit(3)
    assert engines.engine() is api  # loaded once, kept for the run
    assert libc.getenv(b"OMP_THREAD_LIMIT") is None and dict(os.environ) == environ
    other = ocr.Ocr()
    assert other.engine() is not api  # each Ocr owns its engines
    copy = pickle.loads(pickle.dumps(engines))  # as a worker process gets it
    assert copy.workers == engines.workers and copy._engines == {}
    crop = np.full((40, 200), 255, np.uint8)
    assert [t.text for t in engines.read_crops([crop])] == [""]
assert api.handle is None and engines._engines == {}  # freed when the run ends
other = None  # the last reference: its engines are freed too
assert {k: id(v) for k, v in vars(ocr).items()} == module_state  # the module kept nothing
"""


def test_the_engines_belong_to_an_ocr_object_and_the_environment_is_left_alone() -> None:
    """An `Ocr` loads its engines on first use, keeps them until it is closed, gives none
    to a copy pickled for another process; the module holds no state, and the process
    environment (Python's and the C one) is the same after loading libtesseract."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "OMP_THREAD_LIMIT"}
    done = subprocess.run(
        [sys.executable, "-c", _OWNERSHIP_CHECK], capture_output=True, text=True, timeout=120,
        env=env,
    )  # fmt: skip
    if done.returncode == 3:
        pytest.skip("libtesseract or the tesseract binary is missing")
    assert done.returncode == 0, done.stderr
