"""Cleaning of OCR'd layer labels (`raster_words`, `ocr.fix_misreads`)."""

from __future__ import annotations

import pytest

from papercc.compiler.raster_words import clean_label


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
    ],
)
def test_clean_label(read: str, clean: str) -> None:
    assert clean_label(read) == clean
