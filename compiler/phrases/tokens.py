"""The grammar front: `grammar/phrase.lark` (LALR, basic lexer, conflict-free) types the
pieces of a normalised phrase - sizes, strides ("/2", "s2"), keys ("stride", "keep"),
numbers, words, separators, bracket groups - and `read_items` returns them as `Item`s
(a bracket group as one item holding its pieces). Every normalised string is a
sentence."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from lark import Lark, Transformer, v_args


@dataclass(frozen=True)
class Item:
    """One typed piece of a phrase: its kind (a grammar rule's: "size", "num", "word",
    "sep", "group", ...; later steps add "kv", "pad", "channels", ...), value and text."""

    kind: str
    value: object
    raw: str = ""
    grouped: bool = False  # written inside brackets


def _num(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def _dims(text: str) -> tuple[int | float, ...]:
    return tuple(_num(part) for part in text.split("x"))


# KEY text (grammar terminal KEY) -> attribute name, before op-specific mapping
_KEYS = {
    key.strip(): attr.strip()
    for key, _, attr in (
        pair.partition(":")
        for pair in (
            "kernel size: kernel; kernel: kernel; strides: stride; stride: stride; "
            "padding: padding; pad: padding; dilation rate: dilation; dilation: dilation; "
            "rate: rate; p: rate; keep probability: keep; "
            "keep prob: keep; keep: keep; groups: groups; heads: heads; alpha: alpha; "
            "eps: eps; momentum: momentum; axis: axis; scale: scale"
        ).split(";")
    )
}


@v_args(inline=True)
class _ToItems(Transformer):
    """Parse tree -> flat list of typed items (groups kept as nested items)."""

    def start(self, *items):
        return list(items)

    def group(self, *items):
        return Item("group", list(items), "(")

    def size(self, t):
        return Item("size", _dims(t), str(t))

    def gsize(self, t):
        m = re.fullmatch(r"([\dx]+)\+(\d+)(?:\(([sv])\))?", str(t))
        pad = {"s": "same", "v": "valid", None: None}[m[3]]
        return Item("gsize", (_dims(m[1]), int(m[2]), pad), str(t))

    def fmap(self, t):
        count, _, hw = str(t).replace(" ", "").partition("@")
        return Item("fmap", (int(count), _dims(hw)), str(t))

    def number(self, t):
        return Item("num", _num(t), str(t))

    def percent(self, t):
        return Item("num", round(float(str(t).rstrip("% ")) / 100, 10), str(t))

    def numd(self, t):
        return Item("numd", int(str(t)[:-1]), str(t))

    def rank(self, t):
        return Item("rank", int(str(t)[0]), str(t))

    def wordnum(self, t):
        m = re.fullmatch(r"([a-z]+)(\d+(?:x\d+)*)((?:_\d+)*)([a-z]*)", str(t))
        dims = _dims(m[2]) if not m[3] else (m[2] + m[3],)  # "conv5_3": an index
        return Item("wordnum", (m[1], dims, m[4]), str(t))

    def variant(self, t):
        return Item("variant", str(t), str(t))

    def slashstride(self, t):
        return Item("stride", int(str(t).lstrip("/ ")), str(t))

    def sstride(self, t):
        return Item("stride", int(str(t)[1:]), str(t))

    def ksize(self, t):
        return Item("kernel", _dims(str(t)[1:]), str(t))

    def dashnum(self, t):
        return Item("dashnum", _num(str(t).lstrip("- ")), str(t))

    def repeat(self, t):
        return Item("repeat", int(re.sub(r"[^\d]", "", str(t))), str(t))

    def word(self, t):
        return Item("word", str(t), str(t))

    def sep(self, t):
        return Item("sep", str(t), str(t))

    def plus(self, t):
        return Item("sep", "+", "+")

    def other(self, t):
        return Item("other", str(t), str(t))

    def key(self, t):
        return Item("key", _KEYS[" ".join(str(t).split())], str(t))


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = (resources.files("papercc.grammar") / "phrase.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="basic", transformer=_ToItems())


def read_items(normalised: str) -> list[Item]:
    """The typed pieces of a normalised phrase (LarkError only if the grammar fails it,
    which no balanced token string does)."""
    return _parser().parse(normalised)
