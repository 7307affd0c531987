"""Text rules shared by the table reader: cleaning, repeat markers, layer vocabulary.

Why one module: the grid builder, the orientation detector and the classifier
must agree on what a "layer phrase", a "repeat marker" or a "stride" looks
like; keeping the patterns here keeps them consistent and documented.
"""

from __future__ import annotations

import re

# Ligatures and look-alike characters that PDFs emit; mapped to plain text.
_CHAR_MAP = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\u2212": "-",
    "\u2013": "-",
    "\u00a0": " ",
    "\u2009": " ",
    "\u2715": "×",
    "\u2716": "×",
    "\u2a2f": "×",
}

# Digits written with an "x" as multiplication sign: 3x3, 5 x 5, 5x.
_X_BETWEEN_DIGITS = re.compile(r"(?<=\d)(\s?)[xX](?=\s?\d)")
_X_AFTER_DIGITS = re.compile(r"^(\d+)\s?[xX]$")
_X_BEFORE_DIGITS = re.compile(r"^[xX]\s?(\d+)$")

# A repeat marker is a whole word: "×2", "5×" (after normalisation).
MARKER_RE = re.compile(r"^(?:×\s?(\d{1,3})|(\d{1,3})\s?×)$")

# Layer *type* words: the vocabulary of architecture tables.
_TYPE_WORDS = (
    r"conv(?:olution(?:al|s)?|\d+[a-z]?|s)?|deconv\w*|up-?conv\w*|max-?pool\w*|avg-?pool\w*|"
    r"pool(?:ing|s)?|fc|fully|dense|linear|soft-?max|dropout|inception|lrn|relu|"
    r"batch-?norm|bn|residual|bottleneck|classifier|upsampl\w*|concat\w*|"
    r"lstm|gru|attention|embedding|flatten|global|res\d\w*|depthwise|pointwise|sigmoid|tanh"
)
TYPE_RE = re.compile(rf"(?<![#\w])({_TYPE_WORDS})(?![\w])", re.IGNORECASE)
# Kernel/channel specification: "3×3, 64", "conv3-64", "FC-4096", "7×7, 64, stride 2".
SPEC_RE = re.compile(r"(?<![#\w])\d+\s?×\s?\d+(\s?×\s?\d+)?\s?,\s?\d+")
# A bare kernel size "3×3" (not a header like "#3×3").
KERNEL_RE = re.compile(r"(?<![#\w.])\d{1,2}\s?×\s?\d{1,2}(?![\d.])")
# An identifier used as a stage label: conv1, conv2_x, stage3, res4b.
LABEL_RE = re.compile(r"^[A-Za-z]+\d+[a-z]?(_[A-Za-z0-9]+)?$")
# Result-table vocabulary (top-1 error, accuracy, mAP, ...).
RESULT_RE = re.compile(
    r"top-?\s?[15]|error|err\.?|acc(uracy)?\.?|\bmap\b|\bap\b|val(idation)?\b|test\b|"
    r"train(ing)?\b|method|ours|\bmodel\b|baseline|\[\d+\]|%|fps|speed|time|mult-adds|"
    r"million|scale|crop",
    re.IGNORECASE,
)
DECIMAL_RE = re.compile(r"^[-+(]?\d*\.\d+%?\)?$|^\d+(\.\d+)?%$")
NUMBER_RE = re.compile(r"^[-+(]?[\d.,]+[%KMG]?\)?$")
STRIDE_WORD_RE = re.compile(r"stride\s*[:=]?\s*(\d+)", re.IGNORECASE)
STRIDE_S_RE = re.compile(r"(?:^|[/\s])s\s?(\d+)\b", re.IGNORECASE)
STRIDE_SLASH_RE = re.compile(r"/\s*(\d+)\s*$")
# "pool, /2" or "7×7 conv, 64, /2": a separate "/2" at the end of a layer phrase.
STRIDE_TAIL_RE = re.compile(r"(?:^|[\s,])/\s*(\d+)\s*$")
# A caption label is followed by punctuation ("Table 1:", "Fig. 3."), or is an all-caps
# IEEE label ("TABLE IV"); "Table 5 shows ..." in running text is not a caption.
CAPTION_RE = re.compile(r"^(?:(?:Table|Tab\.)\s*(\d+)\s*[.:]|TABLE\s+(\d+|[IVXLC]+)\b)")
FIGURE_RE = re.compile(r"^(?:(?:Figure|Fig\.)\s*(\d+)\s*[.:]|FIGURE\s+\d+\b|FIG\.\s*\d+)")
INPUT_RE = re.compile(r"^input\b", re.IGNORECASE)


def clean(text: str) -> str:
    """Normalise a phrase as written: ligatures, ×/x forms, whitespace."""
    out = "".join(_CHAR_MAP.get(ch, ch) for ch in text)
    out = _X_BETWEEN_DIGITS.sub(lambda m: m.group(1) + "×", out)
    out = _X_AFTER_DIGITS.sub(r"\1×", out)
    out = _X_BEFORE_DIGITS.sub(r"×\1", out)
    return " ".join(out.split())


def marker_count(text: str) -> tuple[int, str] | None:
    """(count, side) of a repeat marker word ("×2" -> (2, "post"), "5×" -> (5, "pre"))."""
    m = MARKER_RE.match(clean(text))
    if not m:
        return None
    if m.group(1):
        return int(m.group(1)), "post"
    return int(m.group(2)), "pre"


def is_layer_phrase(text: str) -> bool:
    """True for text that names a layer or specifies one ("conv3-64", "3×3, 64")."""
    if LABEL_RE.match(text):
        return False
    return bool(TYPE_RE.search(text) or SPEC_RE.search(text))


def is_label(text: str) -> bool:
    """True for a stage identifier such as "conv2_x"."""
    return bool(LABEL_RE.match(text))


def stride_of(text: str, stride_column: bool = False) -> int | None:
    """The stride a phrase states: "stride 2", "Conv / s2", "pool, /2", or "3×3/2" in a
    column whose header names a stride."""
    m = STRIDE_WORD_RE.search(text) or STRIDE_S_RE.search(text) or STRIDE_TAIL_RE.search(text)
    if m:
        return int(m.group(1))
    if stride_column:
        m = STRIDE_SLASH_RE.search(text)
        if m:
            return int(m.group(1))
    return None
