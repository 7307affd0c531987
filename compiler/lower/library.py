"""The library of known blocks (known_blocks.dlir beside it) and the evidence that
selects each one.

A table writes `[3×3, 64; 3×3, 64] ×2` and the paper's prose says "residual"; this module
turns that pairing into `residual_basic`. A block is chosen only when the stack's pattern
fits it *and* the text's evidence names it; otherwise the stack stays a plain sequence.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from papercc.compiler.lower.context import TextContext
from papercc.ir.parser import parse
from papercc.ir.syntax import Definition, Module


@lru_cache(maxsize=1)
def library() -> Module:
    text = (resources.files("papercc.compiler.lower") / "known_blocks.dlir").read_text("utf-8")
    return parse(text, "known_blocks.dlir")


def definition(name: str) -> Definition:
    d = library().get(name)
    if d is None:
        raise KeyError(name)
    return d


@dataclass(frozen=True)
class StackLayer:
    """One line of a bracketed stack, read as a conv: kernel and channels."""

    kernel: int | None
    out: int | None
    op: str


@dataclass(frozen=True)
class Choice:
    """A block for a stack: its name, the arguments, and why."""

    block: str
    args: tuple[int | None, ...]
    projected: str  # the variant used where shape changes (or the same block)
    why: str


def choose(stack: list[StackLayer], ctx: TextContext) -> Choice | None:
    """The known block a stack of conv lines stands for, or None when nothing fits."""
    if not stack or any(s.op != "conv2d" for s in stack):
        return None
    kernels = [s.kernel for s in stack]
    outs = [s.out for s in stack]
    if ctx.has("residual"):
        if kernels == [3, 3] and outs[0] == outs[1]:
            return Choice(
                "residual_basic",
                (outs[1],),
                "residual_basic_proj",
                'stack [3x3, c; 3x3, c] and the text says "residual"',
            )
        if kernels == [1, 3, 1] and outs[0] == outs[1]:
            return Choice(
                "residual_bottleneck",
                (outs[0], outs[2]),
                "residual_bottleneck_proj",
                'stack [1x1, w; 3x3, w; 1x1, c] and the text says "residual"'
                + (' and "bottleneck"' if ctx.has("bottleneck") else ""),
            )
    if ctx.has("dense") and kernels == [1, 3]:
        growth = ctx.growth or outs[1]
        return Choice(
            "dense_layer",
            (growth,),
            "dense_layer",
            'stack [1x1 conv; 3x3 conv] and the text says "dense block" / "growth rate"',
        )
    return None
