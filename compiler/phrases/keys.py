"""Keys and values: `pair_keys` joins a key and the value written after it ("stride 2",
"keep prob = 0.5", "8 heads") into one "kv" item, a number and its unit word ("64
filters") too, and flattens bracket groups (a bracketed tuple after a key is its value,
"(3, 3)" alone a size). A key word that ends an op name is part of the name ("zero pad
1")."""

from __future__ import annotations

from papercc.compiler.phrases.tokens import Item
from papercc.compiler.phrases.vocabulary import MAX_SYNONYM_WORDS, PAD_WORDS, SYNONYMS, UNIT_WORDS


def pair_keys(items: list[Item]) -> list[Item]:
    """KEY [sep =/:] value -> one kv item; groups flattened (their content pairs too)."""
    flat: list[Item] = []

    def add(items: list[Item], grouped: bool = False) -> None:
        for item in items:
            if item.kind != "group":
                flat.append(Item(item.kind, item.value, item.raw, True) if grouped else item)
                continue
            tup = _tuple_of(item.value)
            prev = next((f for f in reversed(flat) if f.kind != "sep" or f.value not in "=:"), None)
            raw = "(" + ",".join(map(str, tup or ())) + ")"
            if tup is not None and prev is not None and prev.kind == "key":
                flat.append(Item("tuple", tup, raw))
            elif tup is not None and all(isinstance(v, int) for v in tup):
                flat.append(Item("size", tup, raw))  # Keras style "(3, 3)"
            else:
                add(item.value, True)

    add(_names_over_keys(items))
    for i in range(len(flat) - 1):
        first, second = flat[i], flat[i + 1]
        if first.kind == "num" and second.kind == "word" and second.value in UNIT_WORDS:
            pair = (UNIT_WORDS[second.value], first.value)
            flat[i] = Item("kv", pair, f"{first.raw} {second.raw}")
    out: list[Item] = []
    i = 0
    while i < len(flat):
        item = flat[i]
        i += 1
        if item.kind != "key":
            out.append(item)
            continue
        j = i + 1 if i < len(flat) and flat[i].kind == "sep" and flat[i].value in ("=", ":") else i
        value = _key_value(item.value, flat[j]) if j < len(flat) else None
        if value is None and item.value in _SUFFIX_KEYS and out and out[-1].kind == "num":
            before = out.pop()  # "8 heads": the value written first
            out.append(Item("kv", (item.value, before.value), f"{before.raw} {item.raw}"))
        elif value is None:  # a key without a (fitting) value: noted by whoever takes it
            out.append(Item("kv", (item.value, None), item.raw))
        else:
            out.append(Item("kv", (item.value, value), f"{item.raw} {flat[j].raw}"))
            i = j + 1
    return out


def _names_over_keys(items: list[Item]) -> list[Item]:
    """A key word that ends an op name is part of the name: "zero pad 1" is a
    zeropad of 1, not an unknown "zero" and padding=1 (longest name wins)."""
    if not any(item.kind == "key" for item in items):
        return items
    out: list[Item] = []
    for item in items:
        if item.kind == "group":
            item = Item("group", _names_over_keys(item.value), item.raw)
        elif item.kind == "key":
            key = "".join(item.raw.split())
            words: list[str] = []
            for prev in reversed(out[-(MAX_SYNONYM_WORDS - 1) :]):
                if prev.kind != "word":
                    break
                words.insert(0, prev.value)
                if "".join(words) + key in SYNONYMS:
                    item = Item("word", key, item.raw)
                    break
        out.append(item)
    return out


def _key_value(key: str, item: Item) -> object:
    """The value written after a key, or None when the next piece does not fit it."""
    if item.kind in ("num", "size", "tuple", "dashnum"):  # dashnum: "stride-2"
        value = item.value
    elif key == "padding" and item.kind == "word" and item.value in PAD_WORDS:
        value = PAD_WORDS[item.value]
    else:
        return None
    return value if _value_fits(key, value) else None


_SUFFIX_KEYS = frozenset({"heads", "groups"})  # also written after the number: "8 heads"
_INT_KEYS = frozenset({"kernel", "stride", "padding", "dilation", "groups", "heads", "axis"})


def _value_fits(key: str, value: object) -> bool:
    """Whole numbers (or tuples of them) for sizes and counts; words only for padding."""
    if isinstance(value, str):
        return key == "padding"
    if key in _INT_KEYS:
        parts = value if isinstance(value, tuple) else (value,)
        return all(isinstance(v, int) and v >= 0 for v in parts)
    return not isinstance(value, tuple)


def _tuple_of(items: list[Item]) -> tuple | None:
    nums = [i.value for i in items if i.kind == "num"]
    seps = [i for i in items if i.kind == "sep" and i.value == ","]
    if len(nums) >= 2 and len(nums) + len(seps) == len(items) and len(seps) == len(nums) - 1:
        return tuple(nums)
    return None
