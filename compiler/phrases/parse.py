"""The entry point: `parse_phrase` runs the steps in order (cleaning, tokens, label,
keys, op words, assignment, finishing) and decides what a phrase without an op word
is."""

from __future__ import annotations

from lark.exceptions import LarkError

from papercc.compiler.phrases.assign import assign
from papercc.compiler.phrases.cleaning import normalise
from papercc.compiler.phrases.draft import ATTACHABLE, Draft
from papercc.compiler.phrases.finish import finish
from papercc.compiler.phrases.keys import pair_keys
from papercc.compiler.phrases.results import Layer, Phrase, unknown_layer
from papercc.compiler.phrases.tokens import Item, read_items
from papercc.compiler.phrases.vocabulary import HARMLESS_MARKS, STRONG_SEPS, Spec
from papercc.compiler.phrases.words import drop_label, match_words
from papercc.ir.registry import OPS


def parse_phrase(
    text: str,
    *,
    default_padding: str | None = None,
    default_pool: str | None = None,
    default_op: str | None = None,
    rank: int = 2,
) -> Phrase:
    """Read one box or cell text into layers.

    default_padding: padding for convs and pools the text leaves unstated
    ("same" for Inception figures, whose convs are same-padded unless marked V).
    default_pool: "max" or "avg" for a bare "pool"; otherwise op "pool" remains.
    default_op: op template for a phrase with sizes and numbers but no op word
    (a table column known to hold convs: "3×3, 64" -> conv2d).
    rank: spatial rank of "conv", "max pool" etc. when the text does not say.
    Never raises on any string; TypeError for a non-string.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_phrase expects str, got {type(text).__name__}")
    _check_options(default_padding, default_pool, default_op, rank)
    norm = normalise(text)
    notes: list[str] = []
    try:
        items = read_items(norm)
    except LarkError as exc:  # not expected: every balanced token string is a sentence
        return Phrase(
            (unknown_layer(text),), text, False, notes=(f"unreadable: {exc}",), normalised=norm
        )
    label, items = drop_label(items, notes)
    items = pair_keys(items)
    elements = match_words(items, notes)
    confident = True
    unknown_words = [e for e in elements if _not_understood(e)]
    if unknown_words:
        confident = False
        notes.append("not understood: " + " ".join(e.raw for e in unknown_words))
    elements = _leading_plus(elements, notes)
    if not any(isinstance(e, Draft) for e in elements):
        elements = _no_op_word(elements, default_op, notes)
        if elements is None:
            return Phrase(
                (unknown_layer(text),),
                text,
                False,
                notes=tuple(notes),
                normalised=norm,
                label=label,
            )
    drafts, repeat, ok, orphans = assign(elements, notes)
    layers, clash = _layers(elements, orphans, rank, default_padding, default_pool)
    confident = confident and ok and not clash
    if not layers:
        return Phrase((unknown_layer(text),), text, False, repeat, tuple(notes), norm, label)
    return Phrase(tuple(layers), text, confident, repeat, tuple(notes), norm, label)


def _not_understood(e: object) -> bool:
    """An unknown word or character (marks such as "#" or "*" are harmless)."""
    return isinstance(e, Item) and e.kind in ("unknown", "other") and e.raw not in HARMLESS_MARKS


def _layers(
    elements: list[object],
    orphans: list[Item],
    rank: int,
    default_padding: str | None,
    default_pool: str | None,
) -> tuple[list[Layer], bool]:
    """The finished layers in text order, runs of words not understood (and symbols no
    op took) as one unknown layer each; and whether any op's values clash."""
    layers: list[Layer] = []
    clash = False
    for e in elements:
        if isinstance(e, Draft):
            layers.append(finish(e, rank, default_padding, default_pool))
            clash = clash or e.clash
        elif _not_understood(e) or any(e is o for o in orphans):
            if layers and layers[-1].op == "unknown":
                prev = layers.pop()
                layers.append(unknown_layer(f"{prev.get('text')} {e.raw}"))
            else:
                layers.append(unknown_layer(e.raw))
    return layers, clash


def _check_options(padding: object, pool: object, op: object, rank: object) -> None:
    """Caller mistakes are ValueErrors that say what is allowed."""
    if padding not in (None, "same", "valid"):
        raise ValueError(f'default_padding must be "same", "valid" or None, not {padding!r}')
    if pool not in (None, "max", "avg"):
        raise ValueError(f'default_pool must be "max", "avg" or None, not {pool!r}')
    if rank not in (1, 2, 3):
        raise ValueError(f"rank must be 1, 2 or 3, not {rank!r}")
    if op is not None and (not isinstance(op, str) or op.replace("{r}", "2") not in OPS):
        raise ValueError(f"default_op must be a registry op such as 'conv2d', not {op!r}")


def _leading_plus(elements: list[object], notes: list[str]) -> list[object]:
    """A "+" before any op is the add itself, not a joiner: "+, relu" (an add box with the
    activation merged into its label) is add then relu. Only a "+" that ops follow."""
    first = next(
        (i for i, e in enumerate(elements) if not (isinstance(e, Item) and e.kind == "sep")), None
    )
    if first is None or not any(isinstance(e, Draft) for e in elements[first:]):
        return elements
    lead = elements[:first]
    if not any(isinstance(e, Item) and e.value == "+" for e in lead):
        return elements
    notes.append("a leading '+' is an add")
    return [Draft(Spec("add"), "+"), Item("sep", "+", "+"), *elements[first:]]


def _no_op_word(elements: list[object], default_op: str | None, notes: list[str]):
    """A phrase without an op word: "+" alone, a filter shape, or default_op (one op
    per part between strong separators: "[3x3, 64; 3x3, 64]" is two layers)."""
    items = [e for e in elements if isinstance(e, Item)]
    kinds = {i.kind for i in items}
    if items and kinds <= {"sep"} and any(i.value == "+" for i in items):
        return [Draft(Spec("add"), "+")]
    sizes = [i for i in items if i.kind == "size"]
    if default_op is not None and kinds & (ATTACHABLE - {"repeat"}):
        notes.append(f"op from default_op={default_op!r}")
        out: list[object] = []
        start = 0
        for i, e in enumerate([*elements, Item("sep", "+", "")]):
            if isinstance(e, Item) and e.kind == "sep" and e.value in STRONG_SEPS:
                part = elements[start:i]
                if any(isinstance(p, Item) and p.kind in ATTACHABLE - {"repeat"} for p in part):
                    out.append(Draft(Spec(default_op), default_op))
                out.extend(elements[start : i + 1])
                start = i + 1
        return out
    if len(sizes) == 1 and len(sizes[0].value) == 4 and kinds <= {"size", "sep", "stride", "pad"}:
        notes.append("a 4-dim filter shape read as a convolution")
        return [Draft(Spec("conv{r}d"), "filter shape"), *elements]
    return None
