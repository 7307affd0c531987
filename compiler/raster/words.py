"""Cleaning of OCR'd label text: dropping specks, fixing size tokens, circle signs and
telling tensor-size notes from layer labels."""

from __future__ import annotations

import re
from dataclasses import dataclass

from papercc.compiler.phrases import parse_phrase


@dataclass(frozen=True)
class WordSettings:
    """The tunables of reading OCR text as labels (the misread repairs are patterns, not
    tunables). Units: characters, fractions, doubt points (see `label_doubt`)."""

    word_share: float = 0.6  # fraction of non-space characters that are letters or digits
    size_token_len: int = 6  # characters; an "AxB" token this short is a size without digits
    max_kernel: int = 15  # AlexNet's 11x11 is about the largest kernel papers draw
    empty_doubt: int = 3  # doubt points of an empty reading
    unknown_doubt: int = 2  # doubt points of an unknown layer


_WORDY = re.compile(r"[A-Za-z0-9]")

# Tesseract's usual misreads in layer labels, each fixed only where the reading is
# unambiguous: a times sign read as 8 between two equal small kernel digits ("3×3" ->
# "383"), lost before a stride ("33/2"), or read as a guillemet or percent sign between
# digits ("2«2/2", "2%2/2"); a 1 read as l ("convl-32", "convl1-32", "pad l", "padl",
# "pad I"); a 5 read as s in the VGG form ("convs-48": S and 5 share their shape); the
# slanted stem of a 7 read twice ("conv/7-64": a stride sign cannot stand between
# "conv" and a kernel digit); and "fc" read as "fe" or "fo" before a number ("fe-10",
# "fo7", "fe 10").
_TIMES_AS_8 = re.compile(r"^([1-7])8\1(?=$|[/,;:)])")
_TIMES_LOST = re.compile(r"^([2-7])\1(?=/\d)")  # "33/2": a kernel 3×3, stride 2
_TIMES_GUILLEMET = re.compile(r"(?<=\d)[«»%](?=\d)")
_LONE_L = re.compile(r"^(/?)l(?=[,;]?$)")  # "pad l", "/l": a digit 1 on its own
_CONV_L = re.compile(r"^(conv)l1?(?=[-_/,]|\d|$)", re.IGNORECASE)
_CONV_S = re.compile(r"^(conv)[sS](?=-\d)", re.IGNORECASE)
_CONV_SLASH = re.compile(r"^(conv)/(?=\d+-\d)", re.IGNORECASE)
_PAD_L = re.compile(r"^(pad|stride|dilation)[lI|](?=[,;]?$)", re.IGNORECASE)
_FC_NUM = re.compile(r"^(f)[eo](?=-?\d)", re.IGNORECASE)
_FC_WORD = {"fe": "fc", "Fe": "Fc", "FE": "FC", "fo": "fc", "Fo": "Fc", "FO": "FC"}
_ONE_AFTER = frozenset({"pad", "padding", "stride", "dilation"})  # take a number


def fix_misreads(word: str) -> str:
    """One OCR'd word with the common glyph confusions of layer labels undone."""
    word = _TIMES_AS_8.sub(r"\1×\1", word)
    word = _TIMES_LOST.sub(r"\1×\1", word)
    word = _TIMES_GUILLEMET.sub("×", word)
    word = _LONE_L.sub(r"\g<1>1", word)
    word = _CONV_L.sub(r"\g<1>1", word)
    word = _CONV_S.sub(r"\g<1>5", word)
    word = _CONV_SLASH.sub(r"\g<1>", word)
    word = _PAD_L.sub(r"\g<1> 1", word)
    m = _FC_NUM.match(word)
    if m:
        word = m.group(1) + ("C" if word[0].isupper() and word[1:2].isupper() else "c") + word[2:]
    return word


def fix_misread_words(words: list[str]) -> list[str]:
    """`fix_misreads` on each word; "fe"/"fo" standing before a number is "fc"; a lone
    I after a word that takes a number ("pad I") is 1; a word split before its hyphen
    ("soft -max") is joined again: labels put no space before a hyphen; a bracket or
    brace that opens before a number and never closes ("pool, [2") is a stride's slash."""
    out = [fix_misreads(w) for w in words]
    for opening, closing in ("[]", "{}"):
        if not any(closing in w for w in out):
            out = [re.sub(rf"^\{opening}(\d+[,;]?)$", r"/\1", w) for w in out]
    for i in range(len(out) - 1):
        if out[i] in _FC_WORD and out[i + 1][:1].isdigit():
            out[i] = _FC_WORD[out[i]]
        if out[i].lower() in _ONE_AFTER and re.fullmatch(r"[Il|][,;]?", out[i + 1]):
            out[i + 1] = "1" + out[i + 1][1:]
    joined: list[str] = []
    for w in out:
        if joined and re.fullmatch(r"-[A-Za-z]+,?", w) and re.search(r"[A-Za-z]{2}$", joined[-1]):
            joined[-1] += w
        else:
            joined.append(w)
    return joined


# a small times sign between digits often reads as H, K, h or «
_SIZE_NOTE = re.compile(r"\(?[0-9lIO]+(?:\s*[xX×*HhKk«»\s]\s*[0-9lIO]+)*\)?")


_EDGE_SPECKS = ",.;:'\"|!`«»"
_TIMES_RUN = re.compile(r"\s*[xX×*%«»]+[KkHh]?\s*")
_DIGIT_LIKE = str.maketrans("lIOoBbGgqSsZz", "1100866995522")


def _noisy_size(t: str) -> bool:
    """A 3-D size read with the line it touches or a glyph misread: "B2x32x128" (the
    "3" with the line's stroke), "32*%32x128", "12xK112x192", "4x224x25¢". Three or
    more parts between times signs, each a number with at most one odd glyph (letters
    that look like digits count as digits), two real digits at least; no layer label
    reads like that."""
    parts = _TIMES_RUN.split(t)
    if len(parts) < 3 or sum(c.isdigit() for c in t) < 2:
        return False
    for part in parts:
        p = part.translate(_DIGIT_LIKE)
        digits = sum(c.isdigit() for c in p)
        if digits == 0 or len(p) - digits > 1:
            return False
    return True


def is_size_note(text: str) -> bool:
    """Only a tensor size ("56×56×64", "28 x 28", "1000"): papers write these beside
    arrows as annotations; they name no layer."""
    t = text.strip()
    if not any(c.isdigit() for c in t):
        return False
    bare = t.strip(_EDGE_SPECKS + " ")
    return any(_SIZE_NOTE.fullmatch(x) or _noisy_size(x) for x in (t, bare))


_PLUS_LOOKALIKES = frozenset({"4", "+4", "4+", "t", "+t", "++", "+."})


def circle_sign(text: str) -> str:
    """A circle holds one operator sign; Tesseract reads a lone '+' as '4' or 't', or
    doubles it ('+4'). Other text is kept as read."""
    return "+" if text.replace(" ", "") in _PLUS_LOOKALIKES else text


def wordy(text: str, settings: WordSettings = WordSettings()) -> bool:
    """Mostly letters and digits: OCR of line fragments is mostly punctuation."""
    chars = [c for c in text if not c.isspace()]
    good = sum(1 for c in chars if _WORDY.match(c))
    return good >= 1 and good >= settings.word_share * len(chars)


_OPERATORS = {"+", "-", "*", "/", "×", "x", "X", "⊕", "⊗", "&", "=", "(", ")"}
# quote marks are no part of a layer label: a leading "“" is a speck or stroke end
_QUOTES = "\"'`‘’“”„"
# signs run together ("++", "+,"): a chain of operators written in a label ("+, relu")
_SIGNS = re.compile(r"[+×⊕⊗*]+[,;]?")
_SIZE_TOKEN = re.compile(r"^([0-9lIO|\]]+)([xX×])([0-9lIO|\]]+)(,?)$")


def clean_label(text: str, settings: WordSettings = WordSettings()) -> str:
    """Collapse whitespace, drop specks and quote marks; keep operator signs (also
    with a comma: "+, relu"); in size tokens like `3x3` read l, I, |, ] as 1, O as 0 and X as x."""
    words = []
    for w in fix_misread_words(text.split()):
        w = w.strip(_QUOTES) or w
        if not _WORDY.search(w) and w.rstrip(",;:.") not in _OPERATORS and not _SIGNS.fullmatch(w):
            continue  # "~~.", "‘" and the like: specks and stroke ends, not words
        m = _SIZE_TOKEN.match(w)
        digits = any(ch.isdigit() for ch in m.group(1) + m.group(3)) if m else False
        if m and (digits or len(w) <= settings.size_token_len):
            fix = str.maketrans("lI|]O", "11110")
            times = "x" if m.group(2) == "X" else m.group(2)  # "3X3": a capital is a misread
            w = m.group(1).translate(fix) + times + m.group(3).translate(fix) + m.group(4)
        words.append(w)
    return " ".join(words)


def label_doubt(text: str, settings: WordSettings = WordSettings()) -> int:
    """How little an OCR reading looks like a diagram label: 0 for a layer phrase the
    phrase reader understands fully (or a size note), one more for each unknown layer
    (two), word that belongs to no op, missing required attribute ("conv/-64" has no
    kernel), symbol standing where a number belongs, and number the reader put into
    no attribute ("pool, [2": a stride slash misread). Comparing two readings of one
    crop, the one that reads as a label is the better one; numbers are never guessed."""
    t = clean_label(text, settings)
    if not t:
        return settings.empty_doubt
    if is_size_note(t):
        return 0
    phrase = parse_phrase(t, rank=2)
    doubt = 0 if phrase.recognised else 1
    used: set[float] = set()
    for layer in phrase.layers:
        doubt += settings.unknown_doubt if layer.op == "unknown" else 0
        doubt += 1 if layer.op != "input" and layer.holes else 0
        doubt += sum(1 for note in layer.notes if "symbol" in note)  # "... as the symbol 'r'"
        for name, value in layer.attrs:
            used.update(_numbers(value))
            doubt += 1 if name == "kernel" and _odd_kernel(value, settings.max_kernel) else 0
    doubt += sum(1 for m in _NUMBER.finditer(t) if float(m.group()) not in used)
    return doubt


def _odd_kernel(value: object, max_kernel: int) -> bool:
    """A kernel with two different sides, neither of them 1 ("5x65"), or with a side
    longer than any paper's kernel ("1x196": "1x1 96" with the space lost): papers use
    square kernels and factorised 1×n / n×1 ones, so this is more likely a misread
    worth another reading; it is still kept if no other reading does better."""
    if not isinstance(value, tuple) or len(value) != 2:
        return False
    a, b = value
    if not (isinstance(a, int) and isinstance(b, int)):
        return False
    return (a != b and min(a, b) > 1) or max(a, b) > max_kernel


_NUMBER = re.compile(r"(?<![A-Za-z0-9.])\d+(?:\.\d+)?(?![A-Za-z0-9])")  # not in "Conv2d", "fc7"


def _numbers(value: object) -> list[float]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [float(value)]
    if isinstance(value, tuple | list):
        return [x for v in value for x in _numbers(v)]
    return []
