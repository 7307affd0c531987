"""Orient a diagram drawn without arrowheads by what its boxes say.

Why: with no arrowheads a reader can only guess the flow from the layout (top-down, left to
right), and a figure drawn bottom-up then comes out reversed. Layer text settles it: a
network starts at its input ("Input 224x224x3", "image") and ends at its classifier
(softmax, fc, "output"). When the arrow-free graph's sources read as outputs and its sinks
as inputs, every edge is reversed. Arrowheads, where any were read, always win.
"""

from __future__ import annotations

import math
from dataclasses import replace

from papercc.compiler.diagram.graph import Diagram, DiagramEdge

ARROWHEAD_CONFIDENCE = 0.99  # readers give 1.0 to an edge whose direction an arrowhead set
_FLIP = {"down": "up", "up": "down", "right": "left", "left": "right"}
_OUTPUT_OPS = frozenset({"softmax", "log_softmax", "dense", "output", "sigmoid"})


def _role(text: str) -> int:
    """+1 for an input box, -1 for an output box, 0 otherwise."""
    from papercc.compiler.phrases import parse_phrase

    if not text.strip():
        return 0
    phrase = parse_phrase(text)
    ops = [layer.op for layer in phrase.layers]
    if not phrase.recognised or not ops:
        return 0
    if ops[0] == "input":
        return 1
    if ops[-1] in _OUTPUT_OPS:
        return -1
    return 0


def _with_edges(diagram: Diagram, edges: list[DiagramEdge]) -> Diagram:
    """The diagram with these edges (in a stable order), or itself when none changed."""
    if edges == list(diagram.edges):
        return diagram
    return replace(diagram, edges=tuple(sorted(edges, key=lambda e: (e.src, e.dst))))


def _roles(diagram: Diagram) -> dict[int, int]:
    """Each box's role by its text (see `_role`), read once per diagram."""
    return {n.id: _role(n.text) for n in diagram.nodes}


def _join_ends(diagram: Diagram, roles: dict[int, int]) -> Diagram:
    """Turn an arrow-free edge that runs from a source to a sink when the graph has
    several of both: a flow that wraps into a new row or column is read row by row, so
    the connector from the end of one row to the start of the next comes out reversed
    (it leaves the next row's first box and enters the last row's last box). Turned, both
    ends join the one chain. A source that reads as an input, or a sink that reads as an
    output, keeps its edge."""
    edges = list(diagram.edges)
    for _ in range(len(edges)):
        has_in = {e.dst for e in edges}
        has_out = {e.src for e in edges}
        sources, sinks = has_out - has_in, has_in - has_out
        if len(sources) < 2 or len(sinks) < 2:
            break
        turn = next(
            (
                k
                for k, e in enumerate(edges)
                if e.src in sources
                and e.dst in sinks
                and roles.get(e.src, 0) != 1
                and roles.get(e.dst, 0) != -1
            ),
            None,
        )
        if turn is None:
            break
        e = edges[turn]
        edges[turn] = DiagramEdge(e.dst, e.src, e.confidence)
    return _with_edges(diagram, edges)


def _turn_chains(diagram: Diagram, roles: dict[int, int]) -> Diagram:
    """Turn an arrow-free chain that dangles the wrong way: a row of a snaking flow runs
    right to left, so it is read backwards, from its last box (a source that ends the
    chain) to the merge where the previous row joins it. Walking from such a source
    along boxes with one edge in and one out, up to a box with two edges in, the chain's
    edges are turned: that box then feeds the chain. The same from a sink backwards to a
    box with two edges out. Only a chain whose loose end reads the wrong way is turned (a
    source that reads as an output, a sink that reads as an input): a branch that ends
    loose is an auxiliary head or a second input as often as a reversed row."""
    edges = list(diagram.edges)
    for forward in (True, False):
        for _ in range(len(edges)):
            walk = _dangling_walk(edges, roles, forward)
            if walk is None:
                break
            turned = set(walk)
            edges = [
                DiagramEdge(e.dst, e.src, e.confidence) if k in turned else e
                for k, e in enumerate(edges)
            ]
    return _with_edges(diagram, edges)


def _dangling_walk(
    edges: list[DiagramEdge], roles: dict[int, int], forward: bool
) -> list[int] | None:
    """Indices of the edges of the first chain `_turn_chains` turns, or None."""
    outs: dict[int, list[int]] = {}
    ins: dict[int, list[int]] = {}
    for k, e in enumerate(edges):
        a, b = (e.src, e.dst) if forward else (e.dst, e.src)
        outs.setdefault(a, []).append(k)
        ins.setdefault(b, []).append(k)
    ends = [n for n in outs if n not in ins and len(outs[n]) == 1]
    if len({n for n in outs if n not in ins}) < 2:
        return None
    wrong_end = -1 if forward else 1  # a source that reads as an output, a sink as an input
    for start in ends:
        if roles.get(start, 0) != wrong_end:
            continue
        walk, at = [], start
        while True:
            k = outs[at][0]
            walk.append(k)
            nxt = edges[k].dst if forward else edges[k].src
            if len(ins.get(nxt, [])) >= 2:
                return walk
            if len(ins.get(nxt, [])) != 1 or len(outs.get(nxt, [])) != 1 or len(walk) > len(edges):
                break
            at = nxt
    return None


def _from_the_input(diagram: Diagram, roles: dict[int, int]) -> Diagram:
    """Orient an arrow-free graph from the one box that reads as the input to its end.

    A network drawn as boxes and lines is a graph whose every box lies on a way from the
    input to the output: split at the boxes every such way passes (articulation points),
    each piece between two of them (a residual block, an inception module) is crossed
    from the box where the way enters to the box where it leaves, and inside it each
    line runs from the box relatively nearer the entry to the one nearer the exit
    (d_in / (d_in + d_out)), which holds for parallel ways of any lengths. Pieces off the
    way (an auxiliary head) lead away from it. The end is the loose box that reads as an
    output, else the loose box farthest from the input. Lines whose two boxes tie keep
    the reader's direction."""
    import networkx as nx

    g = nx.Graph()
    g.add_edges_from((e.src, e.dst) for e in diagram.edges if e.src != e.dst)
    inputs = [n for n in g if roles.get(n, 0) == 1]
    if len(inputs) != 1 or not nx.is_connected(g):
        return diagram
    (s,) = inputs
    far = nx.single_source_shortest_path_length(g, s)
    leaves = [n for n in g if g.degree(n) == 1 and n != s]
    if not leaves:
        return diagram
    outputs = [n for n in leaves if roles.get(n, 0) == -1]
    t = max(outputs or leaves, key=lambda n: (far[n], -n))
    rank: dict[tuple[int, int], bool] = {}  # (u, v) -> u comes first
    way = set(nx.shortest_path(g, s, t))
    for block in nx.biconnected_components(g):
        sub = g.subgraph(block)
        cut = [n for n in block if n in way]
        if len(cut) < 2:  # off the way: lead away from where it hangs on
            root = min(cut or block, key=lambda n: far[n])
            d = nx.single_source_shortest_path_length(sub, root)
            for u, v in sub.edges:
                if d[u] != d[v]:
                    rank[(u, v)] = d[u] < d[v]
            continue
        entry = min(cut, key=lambda n: far[n])
        exit_ = max(cut, key=lambda n: (far[n] if n != t else math.inf))
        din = nx.single_source_shortest_path_length(sub, entry)
        dout = nx.single_source_shortest_path_length(sub, exit_)

        pos = {n: din[n] / max(din[n] + dout[n], 1) for n in block}
        for u, v in sub.edges:
            if pos[u] != pos[v]:
                rank[(u, v)] = pos[u] < pos[v]
    edges = []
    for e in diagram.edges:
        first = rank.get((e.src, e.dst))
        if first is None and (e.dst, e.src) in rank:
            first = not rank[(e.dst, e.src)]
        turn = first is False
        edges.append(DiagramEdge(e.dst, e.src, e.confidence) if turn else e)
    oriented = _with_edges(diagram, edges)
    if oriented is diagram:
        return diagram
    src = dict(diagram.source)
    src["flow_from_text"] = True
    return replace(oriented, source=src, direction=_dominant(diagram, edges))


def _dominant(diagram: Diagram, edges: list[DiagramEdge]) -> str:
    """The direction most edges run in, by their boxes' centres."""
    at = {n.id: ((n.bbox[0] + n.bbox[2]) / 2, (n.bbox[1] + n.bbox[3]) / 2) for n in diagram.nodes}
    votes = {"down": 0, "up": 0, "right": 0, "left": 0}
    for e in edges:
        (x0, y0), (x1, y1) = at[e.src], at[e.dst]
        dx, dy = x1 - x0, y1 - y0
        if abs(dy) >= abs(dx):
            votes["down" if dy > 0 else "up"] += 1
        else:
            votes["right" if dx > 0 else "left"] += 1
    return max(votes, key=lambda k: votes[k]) if any(votes.values()) else diagram.direction


def orient_by_content(diagram: Diagram) -> Diagram:
    if not diagram.edges or any(e.confidence >= ARROWHEAD_CONFIDENCE for e in diagram.edges):
        return diagram
    roles = _roles(diagram)
    oriented = _from_the_input(diagram, roles)
    if oriented is not diagram:
        return oriented
    diagram = _join_ends(_turn_chains(diagram, roles), roles)
    has_in = {e.dst for e in diagram.edges}
    has_out = {e.src for e in diagram.edges}
    sources = has_out - has_in
    sinks = has_in - has_out
    score = sum(roles.get(n, 0) for n in sources) - sum(roles.get(n, 0) for n in sinks)
    if score >= 0:
        return diagram
    edges = tuple(
        sorted(
            (DiagramEdge(e.dst, e.src, e.confidence) for e in diagram.edges),
            key=lambda e: (e.src, e.dst),
        )
    )
    src = dict(diagram.source)
    src["flow_from_text"] = True
    return replace(diagram, edges=edges, source=src, direction=_FLIP.get(diagram.direction, "?"))
