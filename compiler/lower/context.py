"""What a paper's body text says about its model: input size, classes, dropout, and the
evidence (keyword hits, with the sentence) that selects known blocks and layer conventions.

Why: tables and figures list layers but leave out what "every conv is followed by ReLU" or
"224 × 224 RGB image" says in prose. Values are read by small patterns and voted over the
whole text; every choice keeps the sentence it came from, for provenance. Nothing here
knows any particular paper.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

_TIMES = r"\s*[×xX✕*]\s*"
_SIZE = re.compile(rf"(?<![\d.])(\d{{2,4}}){_TIMES}(\d{{2,4}})(?:{_TIMES}(\d))?(?![\d.])")
_INPUT_WORDS = re.compile(
    r"\b(input|image|images|crop|cropped|rgb|resolution|receptive field|fed|pixels?)\b", re.I
)
_CLASSES = re.compile(r"\b(\d{1,6})[\s-]*(?:way|classes|categories|class)\b", re.I)
_DROPOUT = re.compile(
    r"dropout[^.]{0,60}?(?:ratio|rate|probability|of|=|\()?\s*(0?\.\d+|\d{1,2}\s*%)", re.I
)
_POOL_WINDOW = re.compile(
    r"pool\w*[^.]{0,80}?(\d)\s*[×x]\s*\1\b[^.]{0,60}?stride\s*(?:of\s*)?(\d)", re.I
)
_GROWTH = re.compile(r"growth rate\s*(?:of\s*)?(?:k\s*=\s*)?(\d{1,4})", re.I)

# evidence keyword -> patterns; counted per sentence
EVIDENCE = {
    "residual": r"\bresidual\b|\bshortcut|identity mapping|skip connection",
    "bottleneck": r"\bbottleneck",
    "projection": r"\bprojection shortcut|\bprojection\b",
    "batchnorm": r"batch normali[sz]ation|\bBN\b|batchnorm",
    "relu": r"\bReLU|rectif(?:ied|ication)",
    "dropout": r"\bdropout\b",
    "lrn": r"local response normali[sz]ation|\bLRN\b",
    "inception": r"\binception module|\binception\b",
    "dense": r"\bdense block|\bgrowth rate\b|densely connected",
    "depthwise": r"\bdepthwise\b|\bdepth-wise\b",
    "inverted_residual": r"inverted residual|linear bottleneck",
    "same_padding": r"padding is 1 pixel|spatial resolution is preserved|same padding|"
    r"zero[- ]padd(?:ed|ing)|pad(?:ded)? (?:so|such) that",
    "gap": r"global average pool",
}
_EVIDENCE_RE = {k: re.compile(v, re.I) for k, v in EVIDENCE.items()}
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")


@dataclass(frozen=True)
class TextContext:
    """Facts read from prose, each with the sentence that gave it."""

    input_hw: tuple[int, int] | None = None
    input_channels: int | None = None
    classes: int | None = None
    dropout: float | None = None
    growth: int | None = None
    pool_window: tuple[int, int] | None = None  # (size, stride) of "the" pooling, if stated
    evidence: dict[str, int] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # fact -> sentence

    def has(self, key: str, at_least: int = 1) -> bool:
        return self.evidence.get(key, 0) >= at_least


def _clean(text: str) -> str:
    text = text.replace("\u00ad", "").replace("ﬁ", "fi").replace("ﬂ", "fl")
    text = re.sub(r"-\n(?=[a-z])", "", text)  # hyphenation at line ends
    return re.sub(r"\s+", " ", text)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(_clean(text)) if s.strip()]


def read_context(text: str) -> TextContext:
    """Read the facts of a paper's text (all pages joined, or the text near a table)."""
    sents = sentences(text)
    sizes: Counter = Counter()
    size_src: dict = {}
    channels: Counter = Counter()
    classes: Counter = Counter()
    class_src: dict = {}
    dropout: Counter = Counter()
    drop_src: dict = {}
    growth = None
    pools: Counter = Counter()
    evidence: Counter = Counter()
    sources: dict[str, str] = {}
    for s in sents:
        for key, rx in _EVIDENCE_RE.items():
            if rx.search(s):
                evidence[key] += 1
                sources.setdefault(f"evidence:{key}", s[:300])
        if _INPUT_WORDS.search(s):
            for m in _SIZE.finditer(s):
                h, w = int(m.group(1)), int(m.group(2))
                if 16 <= h <= 2048 and 16 <= w <= 2048:
                    sizes[(h, w)] += 1
                    size_src.setdefault((h, w), s[:300])
                    if m.group(3):
                        channels[int(m.group(3))] += 1
            if re.search(r"\bRGB\b|colou?r image", s, re.I):
                channels[3] += 1
            elif re.search(r"gr[ae]y-?scale|single[- ]channel", s, re.I):
                channels[1] += 1
        for m in _CLASSES.finditer(s):
            n = int(m.group(1))
            if n >= 2:
                classes[n] += 1
                class_src.setdefault(n, s[:300])
        for m in _DROPOUT.finditer(s):
            raw = m.group(1).replace(" ", "")
            value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
            if 0 < value < 1:
                dropout[value] += 1
                drop_src.setdefault(value, s[:300])
        for m in _POOL_WINDOW.finditer(s):
            pools[(int(m.group(1)), int(m.group(2)))] += 1
            sources.setdefault("pool_window", s[:300])
        if growth is None and (m := _GROWTH.search(s)):
            growth = int(m.group(1))
            sources["growth"] = s[:300]
    hw = sizes.most_common(1)[0][0] if sizes else None
    if hw:
        sources["input"] = size_src[hw]
    n_classes = classes.most_common(1)[0][0] if classes else None
    if n_classes:
        sources["classes"] = class_src[n_classes]
    rate = dropout.most_common(1)[0][0] if dropout else None
    if rate:
        sources["dropout"] = drop_src[rate]
    return TextContext(
        input_hw=hw,
        input_channels=channels.most_common(1)[0][0] if channels else None,
        classes=n_classes,
        dropout=rate,
        growth=growth,
        pool_window=pools.most_common(1)[0][0] if pools else None,
        evidence=dict(evidence),
        sources=sources,
    )
