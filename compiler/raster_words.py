"""Cleaning of OCR'd label text: dropping specks, fixing size tokens, circle signs and
telling tensor-size notes from layer labels."""

from __future__ import annotations

import re

from .ocr import fix_misread_words

_WORDY = re.compile(r"[A-Za-z0-9]")

# a small times sign between digits often reads as H, K, h or «
_SIZE_NOTE = re.compile(r"\(?[0-9lIO]+(?:\s*[xX×*HhKk«»\s]\s*[0-9lIO]+)*\)?")


def is_size_note(text: str) -> bool:
    """Only a tensor size ("56×56×64", "28 x 28", "1000"): papers write these beside
    arrows as annotations; they name no layer."""
    t = text.strip()
    return bool(_SIZE_NOTE.fullmatch(t)) and any(c.isdigit() for c in t)


_PLUS_LOOKALIKES = frozenset({"4", "+4", "4+", "t", "+t", "++", "+."})


def circle_sign(text: str) -> str:
    """A circle holds one operator sign; Tesseract reads a lone '+' as '4' or 't', or
    doubles it ('+4'). Other text is kept as read."""
    return "+" if text.replace(" ", "") in _PLUS_LOOKALIKES else text


def wordy(text: str) -> bool:
    """Mostly letters and digits: OCR of line fragments is mostly punctuation."""
    chars = [c for c in text if not c.isspace()]
    good = sum(1 for c in chars if _WORDY.match(c))
    return good >= 1 and good >= 0.6 * len(chars)


_OPERATORS = {"+", "-", "*", "/", "×", "x", "X", "⊕", "⊗", "&", "=", "(", ")"}
# quote marks are no part of a layer label: a leading "“" is a speck or stroke end
_QUOTES = "\"'`‘’“”„"
# signs run together ("++", "+,"): a chain of operators written in a label ("+, relu")
_SIGNS = re.compile(r"[+×⊕⊗*]+[,;]?")
_SIZE_TOKEN = re.compile(r"^([0-9lIO|]+)([xX×])([0-9lIO|]+)(,?)$")


def clean_label(text: str) -> str:
    """Collapse whitespace, drop specks and quote marks; keep operator signs (also
    with a comma: "+, relu"); in size tokens like `3x3` read l, I, | as 1 and O as 0."""
    words = []
    for w in fix_misread_words(text.split()):
        w = w.strip(_QUOTES) or w
        if not _WORDY.search(w) and w.rstrip(",;:.") not in _OPERATORS and not _SIGNS.fullmatch(w):
            continue  # "~~.", "‘" and the like: specks and stroke ends, not words
        m = _SIZE_TOKEN.match(w)
        if m and (any(ch.isdigit() for ch in m.group(1) + m.group(3)) or len(w) <= 6):
            fix = str.maketrans("lI|O", "1110")
            w = m.group(1).translate(fix) + m.group(2) + m.group(3).translate(fix) + m.group(4)
        words.append(w)
    return " ".join(words)
