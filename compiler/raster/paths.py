"""Flow-constrained reachability along the pixels of one connector.

A connector component can join several arrows (skip arrows drawn onto the main line,
forks, merges). Which source feeds which destination is decided by walking the ink
without backing up against the diagram's flow; this module does that walk on a small
index graph of the component's pixels, built once and reused for every query.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from papercc.compiler.raster.boxes import IBox

SIGN = {"down": (0, 1), "up": (0, -1), "right": (1, 0), "left": (-1, 0)}
_OFFSETS = [(dx, dy) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dx or dy]


def component_pixels(labels: np.ndarray, comps: set[int]) -> dict[int, tuple[np.ndarray, ...]]:
    """(xs, ys) of each wanted component, in one pass over the label image."""
    wanted = np.zeros(int(labels.max()) + 1, bool)
    wanted[list(comps)] = True
    ys, xs = np.nonzero(wanted[labels])  # one lookup per pixel, not one pass per component
    lab = labels[ys, xs]
    order = np.argsort(lab, kind="stable")
    lab, xs, ys = lab[order], xs[order], ys[order]
    cuts = np.flatnonzero(np.diff(lab)) + 1
    out = {}
    for part_x, part_y, part_l in zip(
        np.split(xs, cuts), np.split(ys, cuts), np.split(lab, cuts), strict=True
    ):
        if part_l.size:
            out[int(part_l[0])] = (part_x, part_y)
    return out


class InkGraph:
    """The 8-connected pixels of one component, indexed for fast walks."""

    def __init__(self, xs: np.ndarray, ys: np.ndarray, direction: str) -> None:
        self.xs, self.ys = xs, ys
        self.x0, self.y0 = int(xs.min()), int(ys.min())
        h, w = int(ys.max()) - self.y0 + 3, int(xs.max()) - self.x0 + 3
        self.index = np.full((h, w), -1, np.int64)
        cx, cy = xs - self.x0 + 1, ys - self.y0 + 1
        self.index[cy, cx] = np.arange(xs.size)
        nb = np.stack([self.index[cy + dy, cx + dx] for dx, dy in _OFFSETS], axis=1)
        self.neighbours = [[j for j in row if j >= 0] for row in nb.tolist()]
        sx, sy = SIGN[direction]
        self.flow = (xs * sx + ys * sy).tolist()

    def at(self, x: int, y: int) -> int:
        """Index of the pixel at (x, y), or -1 when it is not part of the component."""
        cx, cy = x - self.x0 + 1, y - self.y0 + 1
        if 0 <= cy < self.index.shape[0] and 0 <= cx < self.index.shape[1]:
            return int(self.index[cy, cx])
        return -1

    def inside(self, box: IBox) -> np.ndarray:
        """Boolean mask of the pixels inside a rectangle."""
        x0, y0, x1, y1 = box
        return (self.xs >= x0) & (self.xs < x1) & (self.ys >= y0) & (self.ys < y1)

    def reach(self, starts: list[int], tol: float, stop: np.ndarray) -> np.ndarray:
        """Pixels reachable from `starts` never backing up the flow by more than `tol`;
        pixels in `stop` are entered but not walked through."""
        flow, nbs = self.flow, self.neighbours
        stop_l = stop.tolist()
        best = [None] * len(flow)
        queue = deque()
        for s in starts:
            if s >= 0 and best[s] is None:
                best[s] = flow[s]
                queue.append(s)
        while queue:
            i = queue.popleft()
            if stop_l[i]:
                continue
            run = best[i]
            floor = run - tol
            for j in nbs[i]:
                fj = flow[j]
                if fj < floor:
                    continue
                nr = run if run > fj else fj
                old = best[j]
                if old is None or nr < old:
                    best[j] = nr
                    queue.append(j)
        return np.array([b is not None for b in best], bool)
