"""The results of reading a phrase: a `Phrase` of `Layer`s, and `HOLE`, the sentinel
for what the text leaves open."""

from __future__ import annotations

from dataclasses import dataclass, field

from papercc.ir.values import HOLE as phrase_hole  # the one place the sentinel comes from

HOLE = phrase_hole


@dataclass(frozen=True)
class Layer:
    """One op read from a phrase; attrs and holes sorted by name."""

    op: str
    attrs: tuple[tuple[str, object], ...] = ()
    holes: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def get(self, name: str, default: object = None) -> object:
        for key, value in self.attrs:
            if key == name:
                return value
        return default

    @property
    def attr_dict(self) -> dict[str, object]:
        return dict(self.attrs)


@dataclass(frozen=True)
class Phrase:
    """The layers one box or cell describes, in data-flow order.

    `repeat` is a stated repetition of the whole phrase ("5x Conv dw / s1",
    "[...] x2"); `notes` are phrase-level remarks (e.g. words not understood);
    `label` is a leading "name:" (normalised, or None): "conv1" of "conv1: 7x7
    conv, 64", "s2" of LeNet's "S2: 2x2 avg pool" - not read as a layer, unless
    it is the only op word ("fc7: 4096" is a dense labelled fc7).
    """

    layers: tuple[Layer, ...]
    text: str
    recognised: bool
    repeat: int = 1
    notes: tuple[str, ...] = ()
    normalised: str = field(default="", compare=False)
    label: str | None = None

    @property
    def ops(self) -> tuple[str, ...]:
        return tuple(layer.op for layer in self.layers)


def unknown_layer(text: str) -> Layer:
    """A layer for text not understood (op "unknown", attr text)."""
    return Layer("unknown", (("text", text),))
