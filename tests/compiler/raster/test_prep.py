"""Binarisation: vivid colour fills are fill, not ink; text on them and coloured lines are ink."""

from __future__ import annotations

import cv2
import numpy as np

from papercc.compiler.raster.prep import prepare


def test_a_vivid_fill_is_not_ink_but_its_text_and_border_are():
    img = np.full((200, 300, 3), 255, np.uint8)
    cv2.rectangle(img, (40, 60), (260, 140), (255, 166, 115), -1)  # vivid blue (BGR)
    cv2.rectangle(img, (40, 60), (260, 140), (0, 0, 0), 2)
    cv2.putText(img, "Conv 3x3", (70, 110), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
    cv2.line(img, (150, 0), (150, 58), (80, 176, 0), 2)  # a thin green connector
    prep = prepare(img)
    assert prep.ink[75, 200] == 0  # the fill, clear of the text
    assert prep.ink[60, 150] == 255  # the border
    assert prep.ink[:, 70:200][95:115].any()  # the text
    assert prep.ink[20, 149:152].any()  # the coloured line stays ink
    # without colour, the same grey level is ink (as before): a dark grey fill
    grey = np.full((200, 300, 3), 255, np.uint8)
    cv2.rectangle(grey, (40, 60), (260, 140), (150, 150, 150), -1)
    assert prepare(grey).ink[75, 200] == 255
