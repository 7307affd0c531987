"""Assignment: every attribute piece goes to the op it is written next to (after it,
else before it, else the nearest op that takes it), within the parts that strong
separators ("+", ";", "and", "->") divide."""

from __future__ import annotations

from papercc.compiler.phrases.draft import ATTACHABLE, Draft, accepts, apply_item, settle_numbers
from papercc.compiler.phrases.tokens import Item
from papercc.compiler.phrases.vocabulary import STRONG_SEPS


def assign(elements: list[object], notes: list[str]):
    """Give every attribute item to an op; returns drafts, repeat, confident and the
    symbols no op took (they become unknown layers)."""
    drafts = [e for e in elements if isinstance(e, Draft)]
    repeat, confident = 1, True
    orphans: list[Item] = []
    # chunks split at strong separators ("+", ";", "and", "->")
    chunks: list[list[object]] = [[]]
    for e in elements:
        if isinstance(e, Item) and e.kind == "sep" and e.value in STRONG_SEPS:
            chunks.append([])
        else:
            chunks[-1].append(e)
    for chunk in chunks:
        for pos, e in enumerate(chunk):
            if not isinstance(e, Item) or e.kind not in ATTACHABLE:
                continue
            owner = _owner(chunk, pos)
            rest = chunk[pos + 1 :]
            if owner is not None:
                apply_item(owner, e, [r for r in rest if isinstance(r, Item)])
            elif e.kind == "repeat":
                repeat *= e.value
            elif e.kind in ("glued", "ranksuffix"):
                pass
            else:
                notes.append(f"{e.raw!r} belongs to no op")
                if e.kind == "symbol":
                    orphans.append(e)
                if e.kind not in ("stride", "pad"):
                    confident = False
    for draft in drafts:
        settle_numbers(draft)
    return drafts, repeat, confident and not orphans, orphans


def _owner(chunk: list[object], pos: int) -> Draft | None:
    """The op an attribute at chunk[pos] belongs to: the op it is written next to
    (after it, or before it, with no separator between), else the nearest op on
    the left that accepts it, else the nearest on the right."""
    item = chunk[pos]

    def is_sep(e: object) -> bool:
        return isinstance(e, Item) and e.kind == "sep"

    def adjacent(step: int) -> Draft | None:
        i = pos + step
        while 0 <= i < len(chunk):
            e = chunk[i]
            if isinstance(e, Draft):
                return e
            if is_sep(e):
                return None
            i += step
        return None

    if item.kind in ("glued", "ranksuffix"):
        prev = chunk[pos - 1] if pos else None
        return prev if isinstance(prev, Draft) else None
    for cand in (adjacent(-1), adjacent(1)):
        if cand is not None and accepts(cand, item):
            return cand
    for i in range(pos - 1, -1, -1):
        if isinstance(chunk[i], Draft) and accepts(chunk[i], item):
            return chunk[i]
    for i in range(pos + 1, len(chunk)):
        if isinstance(chunk[i], Draft) and accepts(chunk[i], item):
            return chunk[i]
    return None
