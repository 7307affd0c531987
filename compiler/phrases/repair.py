"""OCR repair of words: a long word one edit (or one typical OCR swap, "rn" for "m")
away from exactly one vocabulary word is read as that word."""

from __future__ import annotations

from functools import lru_cache

from papercc.compiler.phrases.vocabulary import SYNONYMS, VOCABULARY

# written without spaces ("AvgPooI" -> "avgpool")
_OCR_TARGETS = frozenset(w for w in (*VOCABULARY, *SYNONYMS) if len(w) >= 5)
_OCR_WORD_SWAPS = (("rn", "m"), ("cl", "d"), ("vv", "w"), ("ii", "u"), ("ld", "1d"))


@lru_cache(maxsize=1024)
def ocr_word(word: str) -> str | None:
    """The one vocabulary word an OCR-damaged word (length >= 5) is one edit from."""
    if len(word) < 3 or word in VOCABULARY or word in SYNONYMS:
        return None  # a known name written without spaces ("avgpool") is no OCR damage
    variants = {word, *(word.replace(a, b) for a, b in _OCR_WORD_SWAPS)}
    found = {v for v in variants if v in VOCABULARY}
    if found or len(word) < 5:
        return found.pop() if len(found) == 1 else None
    found |= {
        w
        for w in _OCR_TARGETS
        if any(abs(len(w) - len(v)) <= 1 and _one_edit(v, w) for v in variants)
    }
    return found.pop() if len(found) == 1 else None


def _one_edit(a: str, b: str) -> bool:
    """a and b differ by one substitution, insertion, deletion or adjacent swap."""
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]
