"""Does a figure describe a model architecture? A small logistic model over features of the
figure's diagram and caption.

Why features, not pixels: the figure readers already give boxes, arrows and text, and the
layer-phrase reader knows the vocabulary of architectures. A plot, a photo or a generic
flowchart has few boxes whose text reads as layers. The weights live in
`compiler/diagram/models/figure_classifier.json`, written by `bench/train_figure_classifier.py`
(reproducible from a seed on synthetic figures); without that file, documented prior
weights are used.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from papercc.compiler.diagram.graph import Diagram
from papercc.compiler.phrases import parse_phrase

FEATURES = (
    "bias",
    "layer_text_share",  # share of arrow-linked boxes whose text reads as a layer or block
    "layer_boxes_log",  # log(1 + arrow-linked boxes that read as layers)
    "edges_per_box",  # arrows per box (flow structure)
    "has_edges",
    "confidence",  # the figure reader's own confidence
    "caption_arch",  # caption words of architectures
    "caption_result",  # caption words of results, plots and examples
    "unknown_share",  # share of boxes with text that reads as nothing
)

# Prior weights (used until a trained file exists): layer vocabulary and arrows count for,
# result-like captions and unreadable boxes against.
PRIOR = {
    "bias": -3.0,
    "layer_text_share": 4.0,
    "layer_boxes_log": 1.2,
    "edges_per_box": 0.8,
    "has_edges": 1.0,
    "confidence": 0.5,
    "caption_arch": 1.5,
    "caption_result": -2.0,
    "unknown_share": -1.0,
}

_ARCH = re.compile(
    r"\b(architecture|network|module|block|layer|model|schema|structure|pipeline|"
    r"building block|stem|inception|residual|encoder|decoder|net)\b",
    re.I,
)
_RESULT = re.compile(
    r"\b(plot|curve|curves|error|accuracy|training|results?|examples?|visuali[sz]ation|"
    r"comparison|histogram|samples?|precision|recall|loss|iterations?|epochs?)\b",
    re.I,
)


@dataclass(frozen=True)
class FigureVerdict:
    is_model: bool
    score: float
    reasons: tuple[str, ...]


def features(diagram: Diagram, caption: str = "") -> dict[str, float]:
    # boxes joined to the flow by an arrow: a legend or a lone label is not a layer
    linked = {e.src for e in diagram.edges} | {e.dst for e in diagram.edges}
    boxes = [n for n in diagram.nodes if n.shape != "junction" and n.id in linked]
    # a figure with a colour legend (U-Net) names its layers on the arrows, not in boxes
    legend = [str(label[2]) for label in diagram.source.get("edge_labels") or () if len(label) > 2]
    texts = [n.text for n in boxes] + legend
    layer_boxes = unknown = 0
    for text in texts:
        text = text.strip()
        if not text:
            continue
        p = parse_phrase(text)
        ops = [layer.op for layer in p.layers]
        if p.recognised and ops and all(op not in ("unknown", "output") for op in ops):
            layer_boxes += 1
        elif not p.recognised:
            unknown += 1
    n_boxes = max(len(texts), 1)
    head = caption[:200]
    return {
        "bias": 1.0,
        "layer_text_share": layer_boxes / n_boxes,
        "layer_boxes_log": math.log1p(layer_boxes),
        "edges_per_box": min(len(diagram.edges) / n_boxes, 3.0),
        "has_edges": 1.0 if diagram.edges else 0.0,
        "confidence": float(diagram.source.get("confidence", 0.5) or 0.0),
        "caption_arch": min(len(_ARCH.findall(head)), 3) / 3,
        "caption_result": min(len(_RESULT.findall(head)), 3) / 3,
        "unknown_share": unknown / n_boxes,
    }


@lru_cache(maxsize=1)
def weights() -> dict[str, float]:
    try:
        raw = (
            resources.files("papercc.compiler.diagram") / "models" / "figure_classifier.json"
        ).read_text()
        data = json.loads(raw)
        return {k: float(data["weights"][k]) for k in FEATURES}
    except (FileNotFoundError, KeyError, ValueError, TypeError):
        return dict(PRIOR)


def score(feats: dict[str, float], w: dict[str, float] | None = None) -> float:
    w = w or weights()
    z = sum(w[k] * feats[k] for k in FEATURES)
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def classify_figure(figure, threshold: float = 0.5) -> FigureVerdict:
    """`figure` is a FigureInput (diagram + caption)."""
    feats = features(figure.diagram, getattr(figure, "caption", "") or "")
    p = score(feats)
    reasons = tuple(f"{k}={feats[k]:.2f}" for k in FEATURES if k != "bias")
    return FigureVerdict(p >= threshold, p, reasons)
