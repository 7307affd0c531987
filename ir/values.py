"""Scalar attribute values after evaluation, and the hole sentinel."""

from __future__ import annotations


class _Hole:
    """The value of `?`: the source did not say. A singleton; compares equal only to itself."""

    __slots__ = ()
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "?"

    def __reduce__(self):
        return (_Hole, ())


HOLE = _Hole()


def contains_hole(value) -> bool:
    if value is HOLE:
        return True
    if isinstance(value, tuple):
        return any(contains_hole(v) for v in value)
    return False


def value_text(value) -> str:
    """A scalar value as DLIR would write it (for messages and the summary)."""
    if value is HOLE:
        return "?"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        import json

        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, tuple):
        return (
            "(" + ", ".join(value_text(v) for v in value) + ("," if len(value) == 1 else "") + ")"
        )
    if isinstance(value, float):
        return repr(value)
    return str(value)
