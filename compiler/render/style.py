"""How a rendered diagram looks: one frozen `Style`, presets, and random styles.

Papers draw the same network in many ways (flow direction, box shapes and fills, fonts,
arrowheads, label phrasing, merged or separate activation boxes). The figure readers'
synthetic benchmark needs that variety, reproducibly: `random_style(rng)` draws every
dimension from `random.Random`, so one seed gives one style. Sizes are in points.
"""

from __future__ import annotations

import glob
import math
import random
from dataclasses import dataclass, replace

from papercc.compiler.render.labels import PHRASINGS
from papercc.ir.registry import OPS

__all__ = [
    "CHOICES",
    "FONT_FILES",
    "Style",
    "distinct_styles",
    "horizontal",
    "random_style",
    "style_named",
    "vertical",
]

RGB = tuple[int, int, int]


def _font_files() -> dict[str, str | None]:
    """DejaVu TrueType files where installed ("sans", "sans-bold", ...); None means PIL's
    built-in font."""
    out: dict[str, str | None] = {}
    for key, name in (("sans", "DejaVuSans"), ("serif", "DejaVuSerif"), ("mono", "DejaVuSansMono")):
        for suffix, file_suffix in (("", ""), ("-bold", "-Bold")):
            found = sorted(
                glob.glob(f"/usr/share/fonts/**/{name}{file_suffix}.ttf", recursive=True)
            )
            out[key + suffix] = found[0] if found else None
    return out


FONT_FILES: dict[str, str | None] = _font_files()

# Pastel fills papers use (one per op kind when fill == "by_op").
PASTELS: tuple[RGB, ...] = (
    (255, 230, 204),
    (204, 229, 255),
    (217, 242, 208),
    (255, 242, 204),
    (234, 218, 245),
    (255, 214, 214),
    (214, 240, 240),
    (238, 238, 238),
)
INKS: tuple[RGB, ...] = ((0, 0, 0), (40, 40, 40), (30, 50, 110), (80, 80, 80))

# The discrete dimensions of a style and their values (continuous ones are drawn apart).
CHOICES: dict[str, tuple] = {
    "direction": ("down", "up", "right"),
    "shape": ("rect", "rounded"),
    "fill": ("white", "pastel", "by_op", "grey"),
    "font": ("sans", "serif", "mono", "default"),
    "bold": (False, False, True),
    "groups": (0, 0, 1, 2),
    "edge_shapes": (False, False, True),
    "head": ("filled", "open", "vee", "none"),
    "phrasing": PHRASINGS,
    "joiner": (", ", " + "),
    "lower": (False, True),
    "merge": (True, False),
    "add_circle": (True, False),
    "show_input": (True, False),
    "input_shape": (True, False),
    "skip_side": ("right", "left"),
    "uniform_width": (True, False),
    "plus": ("text", "strokes"),
    # ops left undrawn: none, then up to each level of the registry's `Drawing.undrawn`
    "omit": tuple(
        tuple(
            op
            for level in range(1, top + 1)
            for op in sorted(OPS)
            if OPS[op].drawing.undrawn == level
        )
        for top in range(1 + max(op.drawing.undrawn for op in OPS.values()))
    ),
    "wrap": (0, 14),
}


@dataclass(frozen=True)
class Style:
    """Every choice a figure makes; sizes in points (raster: `scale` pixels per point)."""

    direction: str = "down"  # flow: "down" | "up" | "right"
    shape: str = "rect"  # "rect" | "rounded"
    fill: str = "white"  # "white" | "pastel" | "by_op" | "grey"
    palette: int = 0  # first pastel used
    border: float = 1.0  # box border width; 0 draws no border (filled boxes only)
    font: str = "sans"  # "sans" | "serif" | "mono" | "default" (PIL's built-in)
    font_size: float = 10.0
    bold: bool = False
    head: str = "filled"  # arrowhead: "filled" triangle | "open" triangle | "vee" | "none"
    head_size: float = 6.0
    line_width: float = 1.0
    layer_gap: float = 22.0  # between layers, along the flow
    branch_gap: float = 18.0  # between boxes of one layer, across the flow
    pad: float = 6.0  # text to box border
    uniform_width: bool = True  # boxes as wide as the widest (across the flow)
    ink: RGB = (0, 0, 0)  # lines and borders
    text_colour: RGB = (0, 0, 0)
    phrasing: str = "resnet"
    joiner: str = ", "  # between merged layers: "Conv 3x3, 64, BN, ReLU" or " + "
    lower: bool = False  # all labels in lower case
    merge: bool = True  # batchnorm and activations join the preceding box's label
    omit: tuple[str, ...] = ()  # ops not drawn (edges pass through): "flatten", "dropout"
    add_circle: bool = True  # add drawn as "+" in a circle, else as a labelled box
    plus: str = "text"  # the circle's "+": "text" (a glyph) | "strokes" (two lines)
    groups: int = 0  # dashed frames around layers sharing the first 1 or 2 name parts
    edge_shapes: bool = False  # tensor sizes ("56×56×64") written beside the edges
    show_input: bool = True  # a box for each model input
    input_shape: bool = True  # "Input 224x224x3" rather than "Input"
    skip_side: str = "right"  # where skip connections run: "right" | "left" of the flow
    wrap: int = 0  # break labels longer than this many characters at ", " (0: never)
    margin: float = 12.0
    scale: float = 2.0  # raster pixels per point
    jpeg_quality: int = 90
    blur: float = 0.0  # raster degradation: Gaussian blur radius in pixels
    noise: float = 0.0  # raster degradation: Gaussian noise sigma (0-255 scale)

    def __post_init__(self) -> None:
        for name, values in CHOICES.items():
            if getattr(self, name) not in values:
                raise ValueError(
                    f"style {name} must be one of {values}, not {getattr(self, name)!r}"
                )
        for name in (
            "border",
            "font_size",
            "head_size",
            "line_width",
            "layer_gap",
            "branch_gap",
            "pad",
            "margin",
            "scale",
            "blur",
            "noise",
        ):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ValueError(f"style {name} must be a finite number >= 0, not {value!r}")
        if self.font_size < 4 or self.scale <= 0:
            raise ValueError("style font_size must be >= 4 and scale > 0")
        if not 1 <= self.jpeg_quality <= 100:
            raise ValueError("style jpeg_quality must be in 1..100")

    @property
    def flow_vertical(self) -> bool:
        return self.direction in ("down", "up")

    def font_file(self) -> str | None:
        """The TrueType file of the style's font (None: PIL's built-in font)."""
        if self.font == "default":
            return None
        return FONT_FILES.get(self.font + "-bold" * self.bold) or FONT_FILES.get(self.font)


def vertical() -> Style:
    """ResNet-paper look: top-down, white boxes, "3x3 conv, 64" labels."""
    return Style()


def horizontal() -> Style:
    """GoogLeNet-like look: left to right, pastel rounded boxes, stacked labels."""
    return Style(
        direction="right",
        shape="rounded",
        fill="by_op",
        phrasing="caffe",
        joiner=" + ",
        wrap=14,
        layer_gap=26.0,
        branch_gap=12.0,
    )


def random_style(rng: random.Random) -> Style:
    """A style with every dimension drawn from rng (one seed, one style)."""
    pick = {name: rng.choice(values) for name, values in CHOICES.items()}
    font_size = rng.choice((8.0, 9.0, 10.0, 11.0, 12.0, 14.0))
    style = Style(
        **pick,
        palette=rng.randrange(len(PASTELS)),
        border=rng.choice((0.5, 0.75, 1.0, 1.5, 2.0)),
        font_size=font_size,
        head_size=rng.uniform(4.0, 8.0),
        line_width=rng.choice((0.5, 0.75, 1.0, 1.5)),
        layer_gap=rng.uniform(1.6, 3.0) * font_size,
        branch_gap=rng.uniform(1.0, 2.5) * font_size,
        pad=rng.uniform(0.4, 1.0) * font_size,
        ink=rng.choice(INKS),
        text_colour=rng.choice(INKS[:2]),
        margin=rng.uniform(6.0, 24.0),
        scale=rng.choice((1.5, 2.0, 2.5, 3.0)),
        jpeg_quality=rng.randrange(60, 96),
        blur=rng.choice((0.0, 0.0, 0.5, 0.8)),
        noise=rng.choice((0.0, 0.0, 2.0, 5.0)),
    )
    if style.fill == "white" and style.border == 0:
        style = replace(style, border=1.0)
    return style


def style_named(name: str, seed: int = 0) -> Style:
    """`vertical`, `horizontal` or `random` (drawn from seed)."""
    if name == "vertical":
        return vertical()
    if name == "horizontal":
        return horizontal()
    if name == "random":
        return random_style(random.Random(seed))
    raise ValueError(f"style must be vertical, horizontal or random, not {name!r}")


def distinct_styles() -> int:
    """How many discrete styles `random_style` can draw (continuous sizes not counted)."""
    total = len(PASTELS) * 5 * 6 * 4 * 4 * 2  # palette, border, font size, line, ink, text
    for values in CHOICES.values():
        total *= len(set(values))
    return total
