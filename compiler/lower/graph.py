"""Graph plumbing for lowering a `Diagram`: connected parts and a topological order.

Why separate: figure readers misread arrows now and then, so an order must exist even for
a graph with cycles. Cycles are broken by dropping the least trusted edge, and every drop
is reported so that the caller can tell the user which arrow was ignored.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from papercc.compiler.diagram.graph import Diagram, DiagramEdge


@dataclass(frozen=True)
class Ordered:
    """Node ids in data-flow order, the edges kept, and the edges dropped to break cycles."""

    order: tuple[int, ...]
    edges: tuple[DiagramEdge, ...]
    dropped: tuple[DiagramEdge, ...]


def components(diagram: Diagram) -> list[list[int]]:
    """Weakly connected parts (each sorted by id), in order of their lowest id."""
    parent = {n.id: n.id for n in diagram.nodes}

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for e in diagram.edges:
        if e.src in parent and e.dst in parent:
            ra, rb = find(e.src), find(e.dst)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for n in sorted(parent):
        groups.setdefault(find(n), []).append(n)
    return [groups[k] for k in sorted(groups)]


def topological(node_ids: list[int], edges: list[DiagramEdge]) -> Ordered:
    """Kahn's order: a successor of the node just placed first (a branch is written in one
    piece), else the lowest id (readers number nodes in flow order).

    When the order stalls on a cycle, the lowest-confidence edge inside the stalled part is
    dropped (ties: the edge pointing furthest back in id order), and the order resumes."""
    ids = set(node_ids)
    unique = {(e.src, e.dst): e for e in edges if e.src in ids and e.dst in ids and e.src != e.dst}
    live = sorted(unique.values(), key=lambda e: (e.src, e.dst))
    dropped: list[DiagramEdge] = [e for e in edges if e.src == e.dst and e.src in ids]
    indeg = {n: 0 for n in ids}
    out: dict[int, list[DiagramEdge]] = {n: [] for n in ids}
    for e in live:
        indeg[e.dst] += 1
        out[e.src].append(e)
    ready = [n for n in ids if indeg[n] == 0]
    heapq.heapify(ready)
    done: set[int] = set()
    order: list[int] = []
    while len(order) < len(ids):
        follow = (
            sorted(e.dst for e in out[order[-1]] if indeg[e.dst] == 0 and e.dst not in done)
            if order
            else []
        )
        if follow:
            n = follow[0]
        else:
            while ready and ready[0] in done:
                heapq.heappop(ready)
            if not ready:
                stalled = [e for e in live if e.src not in done and e.dst not in done]
                worst = min(stalled, key=lambda e: (e.confidence, -(e.src - e.dst), e.src))
                live.remove(worst)
                out[worst.src].remove(worst)
                dropped.append(worst)
                indeg[worst.dst] -= 1
                if indeg[worst.dst] == 0:
                    heapq.heappush(ready, worst.dst)
                continue
            n = heapq.heappop(ready)
        order.append(n)
        done.add(n)
        for e in out[n]:
            indeg[e.dst] -= 1
            if indeg[e.dst] == 0:
                heapq.heappush(ready, e.dst)
    return Ordered(tuple(order), tuple(live), tuple(dropped))
