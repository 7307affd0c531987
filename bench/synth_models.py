"""Seeded random DLIR models for the figure benchmark: chains, Inception-like branches
joined by concat, residual adds; 3-40 registry layers with concrete attributes.

Why: the figure readers' accuracy is measured on diagrams whose graph is known exactly.
Each model is DLIR text (small templates, one line per layer, so the shape checker sees
exactly what was drawn), reproducible from one integer seed (`random.Random`).
Only ops the renderer's phrasings cover are used: conv2d, maxpool2d, avgpool2d, dense,
relu, batchnorm, dropout, softmax, concat, add, flatten, globalavgpool.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["SynthModel", "synth_model"]

MIN_LAYERS, MAX_LAYERS = 3, 40


@dataclass(frozen=True)
class SynthModel:
    """A model's DLIR text, its seed and its number of layers (registry calls)."""

    seed: int
    text: str
    layers: int
    kinds: tuple[str, ...]  # unit kinds used: "chain", "branches", "residual"


class _Builder:
    """Writes one assignment per layer and tracks channels and spatial size."""

    def __init__(self, rng: random.Random, channels: int, size: int) -> None:
        self.rng = rng
        self.lines: list[str] = []
        self.n = 0
        self.channels = channels
        self.size = size

    def emit(self, expr: str) -> str:
        name = f"v{len(self.lines)}"
        self.lines.append(f"  {name} = {expr}")
        self.n += 1
        return name

    def conv(self, x: str, out: int, kernel: int, stride: int = 1) -> str:
        pad = kernel // 2
        parts = [x, str(out), f"kernel={kernel}"]
        if stride != 1:
            parts.append(f"stride={stride}")
        if pad:
            parts.append(f"padding={pad}")
        return self.emit(f"conv2d({', '.join(parts)})")

    def conv_unit(self, x: str, out: int, kernel: int, stride: int = 1) -> str:
        """conv [+ batchnorm] [+ relu], as papers stack them."""
        y = self.conv(x, out, kernel, stride)
        if self.rng.random() < 0.5:
            y = self.emit(f"batchnorm({y})")
        if self.rng.random() < 0.8:
            y = self.emit(f"relu({y})")
        return y


def _channels(rng: random.Random) -> int:
    return rng.choice((16, 32, 48, 64, 96, 128, 192, 256))


def _chain(b: _Builder, x: str) -> str:
    rng = b.rng
    r = rng.random()
    if r < 0.6 or b.size < 4:
        stride = 2 if b.size >= 8 and rng.random() < 0.2 else 1
        out = _channels(rng)
        y = b.conv_unit(x, out, rng.choice((1, 3, 3, 5, 7)), stride)
        b.channels = out
        b.size = (b.size + stride - 1) // stride
        return y
    pool = rng.choice(("maxpool2d", "avgpool2d"))
    if rng.random() < 0.5:
        y = b.emit(f"{pool}({x}, kernel=2, stride=2)")
        b.size //= 2
    else:
        y = b.emit(f"{pool}({x}, kernel=3, stride=2, padding=1)")
        b.size = (b.size + 1) // 2
    return y


def _branches(b: _Builder, x: str) -> str:
    """2-4 same-size branches of 1-2 layers each, joined by concat (Inception-like)."""
    rng = b.rng
    outs, total = [], 0
    for _ in range(rng.randint(2, 4)):
        kind = rng.random()
        if kind < 0.25:
            y = b.emit(
                f"{rng.choice(('maxpool2d', 'avgpool2d'))}({x}, kernel=3, padding=1, stride=1)"
            )
            c = b.channels
            if rng.random() < 0.6:
                c = _channels(rng)
                y = b.conv(y, c, 1)
        else:
            c = _channels(rng)
            y = b.conv(x, c, rng.choice((1, 3, 5)))
            if rng.random() < 0.5:
                c = _channels(rng)
                y = b.conv(y, c, 3)
        outs.append(y)
        total += c
    b.channels = total
    return b.emit(f"concat({', '.join(outs)})")


def _residual(b: _Builder, x: str) -> str:
    """conv-bn-relu-conv-bn + x, then relu (ResNet basic block, channels kept)."""
    c = b.channels
    y = b.conv(x, c, 3)
    y = b.emit(f"batchnorm({y})")
    y = b.emit(f"relu({y})")
    y = b.conv(y, c, 3)
    if b.rng.random() < 0.5:
        y = b.emit(f"batchnorm({y})")
    y = b.emit(f"add({y}, {x})")
    return b.emit(f"relu({y})")


def synth_model(seed: int) -> SynthModel:
    """A random valid model from seed: 3-40 layers, a classifier head."""
    rng = random.Random(seed)
    target = rng.randint(MIN_LAYERS, MAX_LAYERS - 2)  # a chain unit may add 2 more
    size = rng.choice((28, 32, 64, 96, 224))
    in_ch = rng.choice((1, 3))
    b = _Builder(rng, in_ch, size)
    head = 2 if target < 6 else rng.choice((3, 4, 5))  # layers the head will take
    kinds: list[str] = []
    x = "image"
    first = True
    while b.n < target - head or first:
        room = target - head - b.n
        r = rng.random()
        if not first and r < 0.25 and room >= 9:
            x, kind = _branches(b, x), "branches"
        elif not first and r < 0.45 and room >= 7:
            x, kind = _residual(b, x), "residual"
        else:
            x, kind = _chain(b, x), "chain"
        first = False
        if kind not in kinds:
            kinds.append(kind)
    x = _head(b, x, head)
    name = f"synth{seed}"
    text = (
        f"model {name}(image: f32[N, {in_ch}, {size}, {size}]) {{\n"
        + "\n".join(b.lines)
        + f"\n  return {x}\n}}\n"
    )
    return SynthModel(seed, text, b.n, tuple(kinds))


def _head(b: _Builder, x: str, head: int) -> str:
    rng = b.rng
    classes = rng.choice((10, 100, 1000))
    if head <= 2:
        x = b.emit(f"flatten({x})")
        return b.emit(f"dense({x}, {classes})")
    if rng.random() < 0.5:
        x = b.emit(f"globalavgpool({x})")
        x = b.emit(f"flatten({x})")
    else:
        x = b.emit(f"flatten({x})")
        if head >= 4:
            x = b.emit(f"dense({x}, {rng.choice((128, 256, 512, 4096))})")
            x = b.emit(f"relu({x})")
            head -= 2
    if head >= 5:
        x = b.emit(f"dropout({x}, rate={rng.choice((0.2, 0.5))})")
    x = b.emit(f"dense({x}, {classes})")
    if head >= 4 or rng.random() < 0.5:
        x = b.emit(f"softmax({x})")
    return x
