"""Random mutations of DLIR text, shared by the fuzz property test and bench/fuzz_core.py."""

from __future__ import annotations

import random


def mutate(text: str, rng: random.Random) -> str:
    """Delete, duplicate, insert or replace a random piece of text."""
    pieces = [
        "(",
        ")",
        ",",
        "=",
        "?",
        "{",
        "}",
        "repeat",
        "as",
        "@src(",
        "-",
        "*",
        "//",
        "1e309",
        '"',
        "\\",
        "#",
        "\n",
        "x",
        "conv2d(",
        "f32[",
        "]",
        "0",
        "-1",
        "block b(x) {",
    ]
    for _ in range(rng.randint(1, 4)):
        if not text:
            text = rng.choice(pieces)
            continue
        i = rng.randrange(len(text))
        j = min(len(text), i + rng.randint(1, 8))
        kind = rng.randrange(4)
        if kind == 0:
            text = text[:i] + text[j:]
        elif kind == 1:
            text = text[:i] + text[i:j] + text[i:]
        elif kind == 2:
            text = text[:i] + rng.choice(pieces) + text[i:]
        else:
            text = text[:i] + chr(rng.randint(32, 0x2FF)) + text[j:]
    return text


def mutate_tokens(text: str, rng: random.Random) -> str:
    """Keep the syntax, change the meaning: swap numbers, names, strings and keywords for
    others of the same kind, so the checker (not only the parser) sees odd programs."""
    import re

    from papercc.ir.registry import OPS

    tokens = re.split(r"(\b[A-Za-z_][A-Za-z0-9_]*\b|\b[0-9]+\b)", text)
    names = [t for t in tokens if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", t)]
    numbers = ["0", "1", "2", "3", "7", "1000000", "999999999999", "64"]
    words = names + list(OPS) + ["true", "false", "N", "f32", "i64", "x", "y"]
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(tokens))
        t = tokens[i]
        if re.fullmatch(r"[0-9]+", t):
            tokens[i] = rng.choice(numbers)
        elif t in ("block", "model", "return", "repeat", "as"):
            continue
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", t):
            tokens[i] = rng.choice(words)
    return "".join(tokens)
