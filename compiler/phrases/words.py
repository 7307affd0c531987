"""Op words: `match_words` turns runs of words into op drafts (longest synonym first,
spaces optional, OCR-damaged words repaired) and the other words into typed pieces
(padding, choices, channels, symbols, separators, unknown words); `drop_label` takes a
leading "name:" label off."""

from __future__ import annotations

import re

from papercc.compiler.phrases.draft import Draft
from papercc.compiler.phrases.keys import pair_keys
from papercc.compiler.phrases.repair import ocr_word
from papercc.compiler.phrases.tokens import Item
from papercc.compiler.phrases.vocabulary import (
    CHANNEL_WORDS,
    CHOICE_WORDS,
    HARMLESS,
    MAX_SYNONYM_WORDS,
    NOT_SYMBOLS,
    PAD_WORDS,
    QUALIFIERS,
    STRONG_SEP_WORDS,
    STRONG_SEPS,
    SYNONYMS,
    UNIT_WORDS,
    Spec,
)


def match_words(items: list[Item], notes: list[str]) -> list[object]:
    """Replace runs of words by op drafts (longest synonym first); keep other items."""
    out: list[object] = []
    run: list[str] = []  # the words of the current run

    def flush() -> None:
        _read_run(run, out)
        run.clear()

    for item in items:
        if item.kind == "word":
            word = item.value
            fixed = None if word in HARMLESS or word in UNIT_WORDS else ocr_word(word)
            if fixed is not None:
                notes.append(f"read {word!r} as {fixed!r} (OCR)")
                word = fixed
            if item.grouped and word in QUALIFIERS:
                flush()
                if _qualifies(out):
                    out.append(Item("qualifier", QUALIFIERS[word], item.raw))
                    continue
            run.append(word)
            continue
        if item.kind == "wordnum":
            letters, dims, tail = item.value
            if item.raw in SYNONYMS:
                run.append(item.raw)
                flush()
                continue
            run.append(letters)
            flush()
            if tail == "d" and len(dims) == 1 and dims[0] in (1, 2, 3):  # "MaxPool3D"
                out.append(Item("ranksuffix", dims[0], item.raw))
                continue
            out.append(Item("glued", dims, item.raw))
            if tail:
                run.append(tail)
            continue
        flush()
        out.append(item)
    flush()
    return out


def _read_run(words: list[str], out: list[object]) -> None:
    """One run of words onto `out`: the ops they name (longest synonym first), and the
    words that name no op as typed pieces."""
    i = 0
    while i < len(words):
        for j in range(min(len(words), i + MAX_SYNONYM_WORDS), i, -1):
            spec = SYNONYMS.get("".join(words[i:j]))
            if spec is not None:
                i = _add_op(spec, words, i, j, out)
                break
        else:
            piece = _lone_word(words[i])
            if piece is not None:
                out.append(piece)
            i += 1


def _add_op(spec: Spec, words: list[str], i: int, j: int, out: list[object]) -> int:
    """A draft for the op words[i:j] name (a block name takes a letter after it:
    "inception a"), unless it repeats the input or output just read ("input (224x224
    RGB image)" is one); returns where the run goes on."""
    label = " ".join(words[i:j])
    if spec.letter_suffix and j < len(words) and re.fullmatch(r"[a-e]", words[j]):
        name = dict(spec.fixed)["name"] + "_" + words[j]
        spec = Spec("block", (("name", name),))
        label += " " + words[j]
        j += 1
    last = next((e for e in reversed(out) if isinstance(e, Draft)), None)
    if not (spec.op in ("input", "output") and last and last.spec == spec):
        out.append(Draft(spec, label))
    return j


def _lone_word(word: str) -> Item | None:
    """A word that names no op: padding, a choice ("bilinear"), channels ("rgb"), a
    symbolic count ("(n)"), a strong separator ("and"), unknown, or nothing (harmless)."""
    if word in PAD_WORDS:
        return Item("pad", PAD_WORDS[word], word)
    if word in CHOICE_WORDS:
        return Item("kv", (CHOICE_WORDS[word], word), word)
    if word in CHANNEL_WORDS:
        return Item("channels", CHANNEL_WORDS[word], word)
    if len(word) == 1 and word not in NOT_SYMBOLS:
        return Item("symbol", word, word)
    if word in STRONG_SEP_WORDS:
        return Item("sep", "+", word)
    if word not in HARMLESS:
        return Item("unknown", word, word)
    return None


def _qualifies(out: list[object]) -> bool:
    """Inside brackets, is there an op before them (same part) that takes a qualifier?"""
    for e in reversed(out):
        if isinstance(e, Draft):
            return e.meta.qualified
        if e.kind == "sep" and e.value in STRONG_SEPS or not e.grouped:
            return False
    return False


def drop_label(items: list[Item], notes: list[str]) -> tuple[str | None, list[Item]]:
    """A leading "name:" - letters and a number ("C3:", "conv1:", "fc7:", LeNet's
    "S2:", which the lexer types as a stride) - names the layer: dropped, and
    returned as the label.  When the name is an op word ("conv1", "fc7") and the
    rest names no op ("conv1: 96 11x11 filters", "fc7: 4096"), it is the op too and
    stays (still returned as the label)."""
    if not (len(items) > 2 and items[1].kind == "sep" and items[1].value == ":"):
        return None, items
    first = items[0]
    if first.kind == "wordnum":
        letters = first.value[0]
    elif first.kind in ("stride", "kernel") and first.raw[:1] in ("s", "k"):
        letters = first.raw[0]  # "s2:", "k3:" - names, not a stride or kernel
    else:
        return None, items
    rest = items[2:]
    if (first.raw in SYNONYMS or letters in SYNONYMS) and not any(
        isinstance(e, Draft) for e in match_words(pair_keys(rest), [])
    ):
        return first.raw, items  # the label, and the op too
    notes.append(f"{first.raw!r} read as a layer label")
    return first.raw, rest
