"""Groups of items joined by pairs: one union-find for the readers that cluster boxes'
pieces, table rulings and line ends.

Why not scipy's `connected_components`: importing `scipy.sparse.csgraph` costs about
0.25 s, more than reading a 10-page paper's tables; these graphs have tens of items.
"""

from __future__ import annotations

from collections.abc import Iterable


def groups(n: int, pairs: Iterable[tuple[int, int]]) -> list[list[int]]:
    """The items 0..n-1 grouped by chains of `pairs`; groups in the order of their
    first item, items ascending within a group."""
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in pairs:
        parent[find(a)] = find(b)
    out: dict[int, list[int]] = {}
    for a in range(n):
        out.setdefault(find(a), []).append(a)
    return list(out.values())
