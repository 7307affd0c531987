"""Cleaning: `normalise` gives the canonical ASCII lower-case form of a phrase, the
grammar's input: times signs -> "x", unicode dashes -> "-", OCR digit confusions inside
numbers (O->0, l/I/|->1) and letters inside words ("c0nv"), spaced sizes made compact
("3 × 3" -> "3x3", "572²" -> "572x572"), GoogLeNet's "3x3+2(S)" glued, brackets
balanced."""

from __future__ import annotations

import re
import unicodedata

_CHARS = str.maketrans(
    dict.fromkeys("×✕✖⨯*", "x")
    | dict.fromkeys("‐‑‒–—―−", "-")
    | {"⊕": " + ", "→": " -> ", "⇒": " -> ", "⊗": " mul ", "⊙": " mul ", "·": " "}
    | {"{": "(", "}": ")", "\u00a0": " "}
)
_DIGIT_LETTERS = str.maketrans({"0": "o", "1": "l"})  # "c0nv", "p00l"
_CONFUSABLE = str.maketrans({"o": "0", "i": "1", "l": "1", "|": "1"})
# a number-like run (digits and OCR look-alikes, "x" between parts) standing alone
_NUMLIKE = re.compile(
    r"(?<![a-z0-9])[0-9oil|]+(?:\.[0-9oil]+)?(?:x[0-9oil|]+(?:\.[0-9oil]+)?)*(?![a-z0-9])"
)
_SPACED_TIMES = re.compile(r"(\d)\s*x\s*(?=[0-9oil|]+(?:\.\d+)?(?![a-z]))")
_GOOGLENET = re.compile(r"(\d+(?:x\d+)*)\s*\+\s*(\d+)\s*(?:\(\s*([sv])\s*\))?")
# "c0nv", "p00l": 0/1 between letters are OCR'd o/l - but not a rank suffix ("conv1d")
_DIGITS_IN_WORD = re.compile(r"(?<=[a-wyz])[01]+(?=[a-wyz])(?!d(?![a-z0-9]))")
_HYPHEN_WORDS = re.compile(r"(?<=[a-z])-(?=[a-z])|(?<=\d)-(?=[a-z])")


def _fix_numlike(match: re.Match) -> str:
    run = match.group(0)
    if not any(c.isdigit() for c in run):
        return run
    core = run.rstrip("|")  # a bar after a number is a cell rule; before it, a 1 ("|28")
    return core.translate(_CONFUSABLE) + run[len(core) :]


def _underscores(match: re.Match) -> str:
    """ "keep_prob" -> "keep prob", but a layer name "conv5_3" stays one token."""
    token = match.group(0)
    return token if re.fullmatch(r"[a-z]+\d+(?:_\d+)+", token) else token.replace("_", " ")


def _balance(text: str) -> str:
    out, stack = [], []
    pairs = {")": "(", "]": "["}
    for ch in text:
        if ch in "([":
            stack.append(ch)
        elif ch in ")]":
            if not stack or stack[-1] != pairs[ch]:
                continue  # unmatched closer: drop
            stack.pop()
        out.append(ch)
    closers = {"(": ")", "[": "]"}
    return "".join(out) + "".join(closers[c] for c in reversed(stack))


def normalise(text: str) -> str:
    """Canonical ASCII lower-case form of a phrase (the grammar's input)."""
    s = re.sub(r"(\d+)\s*([²³])", lambda m: "x".join([m[1]] * (2 if m[2] == "²" else 3)), text)
    s = unicodedata.normalize("NFKC", s).translate(_CHARS).lower()
    if not (s.isascii() and s.isprintable()):  # other characters stand alone (OTHER tokens)
        s = "".join(c if c.isascii() and (c.isprintable() or c.isspace()) else f" {c} " for c in s)
    s = re.sub(r"[a-z0-9_]*_[a-z0-9_]*", _underscores, s)
    s = _SPACED_TIMES.sub(r"\1x", s)
    s = _NUMLIKE.sub(_fix_numlike, s)
    s = _SPACED_TIMES.sub(r"\1x", s)
    s = _GOOGLENET.sub(lambda m: f"{m[1]}+{m[2]}" + (f"({m[3]})" if m[3] else ""), s)
    s = _DIGITS_IN_WORD.sub(lambda m: m[0].translate(_DIGIT_LETTERS), s)
    s = re.sub(r"(\d)\s*-\s*d\b", r"\1d", s)  # "64-d" -> "64d"
    s = _HYPHEN_WORDS.sub(" ", s)
    s = re.sub(r"\bs\s*-\s*(?=\d)", "s", s)  # "7x7x64-s-2" -> "s2"
    if "(" in s or ")" in s or "[" in s or "]" in s:
        s = _balance(s)
    return " ".join(s.split())
