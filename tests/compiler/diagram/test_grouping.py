"""The one union-find behind box-piece, ruling and line-end clustering."""

from __future__ import annotations

from papercc.compiler.diagram.grouping import groups


def test_groups_follow_chains_in_first_item_order() -> None:
    assert groups(6, [(4, 1), (1, 3), (5, 0)]) == [[0, 5], [1, 3, 4], [2]]
    assert groups(3, []) == [[0], [1], [2]]
    assert groups(0, []) == []
    assert groups(4, iter([(3, 2), (2, 3), (0, 0)])) == [[0], [1], [2, 3]]
