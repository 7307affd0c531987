"""The raster reader's settings (one frozen, documented dataclass per stage, bundled in
`RasterSettings`): every field says what it measures, and the stages read them."""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import replace

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")

from papercc.compiler.raster.arrows import ArrowSettings, Touch, doubtful_heads  # noqa: E402
from papercc.compiler.raster.boxes import BoxSettings, find_boxes  # noqa: E402
from papercc.compiler.raster.diagram import RasterSettings, extract_raster_diagram  # noqa: E402
from papercc.compiler.raster.labels import LabelSettings, specks  # noqa: E402
from papercc.compiler.raster.lines import LineSettings, max_thickness  # noqa: E402
from papercc.compiler.raster.prep import PrepSettings, line_art, prepare  # noqa: E402
from papercc.compiler.raster.text import TextSettings, split_text  # noqa: E402
from papercc.compiler.raster.words import WordSettings, wordy  # noqa: E402

STAGES = (
    PrepSettings,
    BoxSettings,
    TextSettings,
    WordSettings,
    LabelSettings,
    LineSettings,
    ArrowSettings,
)


@pytest.mark.parametrize("cls", STAGES, ids=lambda c: c.__name__)
def test_every_field_is_frozen_and_commented(cls) -> None:
    """A reader sees what each tunable measures: its line carries a comment."""
    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen
    assert cls.__doc__ and cls.__doc__.strip()
    lines = inspect.getsource(cls).splitlines()
    for f in dataclasses.fields(cls):
        (line,) = [x for x in lines if x.strip().startswith(f"{f.name}: ")]
        assert "#" in line and line.split("#", 1)[1].strip(), f"{cls.__name__}.{f.name}"
    with pytest.raises(dataclasses.FrozenInstanceError):
        cls().__setattr__(dataclasses.fields(cls)[0].name, 0)


def test_raster_settings_bundle_one_object_per_stage() -> None:
    s = RasterSettings()
    assert [type(getattr(s, f.name)) for f in dataclasses.fields(s)] == list(STAGES)
    assert all(getattr(s, f.name) == type(getattr(s, f.name))() for f in dataclasses.fields(s))
    tuned = replace(s, boxes=replace(s.boxes, frame_cover=0.3))
    assert tuned.boxes.frame_cover == 0.3 and s.boxes.frame_cover == 0.2
    assert tuned != s and hash(tuned) != hash(s)


def _boxes_image() -> np.ndarray:
    img = np.full((120, 300, 3), 255, np.uint8)
    for x0 in (20, 170):
        cv2.rectangle(img, (x0, 30), (x0 + 110, 80), (0, 0, 0), 2)
        cv2.putText(img, "conv", (x0 + 30, 62), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1)
    return img


def test_box_settings_are_read() -> None:
    prep = prepare(_boxes_image())
    assert len(find_boxes(prep)) == 2
    assert find_boxes(prep, BoxSettings()) == find_boxes(prep)
    # a box must be taller than this many glyphs: none is
    assert find_boxes(prep, replace(BoxSettings(), min_side_glyphs=20.0)) == ()


def test_prep_settings_are_read() -> None:
    img = _boxes_image()
    assert line_art(prepare(img))
    # every pixel this close to the background is ink: the image is no line art
    grey = prepare(img, replace(PrepSettings(), ink_delta=-256))
    assert not line_art(grey)
    assert not line_art(prepare(img), replace(PrepSettings(), max_ink_share=0.0))


def test_raster_settings_reach_the_reader() -> None:
    """Checks that stop before OCR: the image size and the line-art test."""
    img = _boxes_image()
    small = replace(RasterSettings(), prep=replace(PrepSettings(), min_side=500))
    assert extract_raster_diagram(img, settings=small).nodes == ()
    photo = replace(RasterSettings(), prep=replace(PrepSettings(), max_fg_share=0.0))
    assert extract_raster_diagram(img, settings=photo).nodes == ()


def test_stage_settings_are_read_by_their_functions() -> None:
    assert max_thickness(1.5) == 2 + 2 * 1.5
    assert max_thickness(1.5, replace(LineSettings(), max_thick_px=0)) == 3.0
    assert specks((0, 0, 5, 5), 12.0) and not specks(
        (0, 0, 5, 5), 12.0, replace(LabelSettings(), speck_glyphs=0.1)
    )
    assert wordy("ab;;") is False and wordy("ab;;", WordSettings(word_share=0.5))
    wires = [Touch(c, c, "top", (0.0, 0.0), c == 0) for c in range(6)]
    assert doubtful_heads(wires)
    assert not doubtful_heads(wires, replace(ArrowSettings(), lone_head_min_connectors=7))
    mask = np.zeros((60, 200), np.uint8)
    mask[20:32, 10:18] = 255  # one glyph-sized component
    near = np.zeros_like(mask)
    assert split_text(mask, near, 12.0, 1.0)[1] == [(10, 20, 18, 32)]
    assert split_text(mask, near, 12.0, 1.0, replace(TextSettings(), glyph_max_h=0.5))[1] == []
