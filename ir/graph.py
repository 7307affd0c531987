"""The graph IR: a model after blocks and `repeat` are expanded into named layers.

This is what shape inference fills in, what `summary` prints and what backends emit. Each
`Graph` is built by one elaboration and owned by its caller; nodes keep their source span
and frontend provenance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .registry import OPS, OpDef, WeightSpec
from .span import Span
from .types import TensorType


@dataclass(eq=False, slots=True)
class Value:
    """A tensor flowing between layers; `producer` is None for model inputs."""

    name: str
    type: TensorType
    producer: Node | None = None
    index: int = 0


@dataclass(eq=False, slots=True)
class Node:
    """One layer: an op applied to values, with normalised attributes (defaults filled)."""

    name: str  # stable, hierarchical: "layer1.0.conv1"
    op: str
    inputs: tuple[Value, ...]
    attrs: dict
    outputs: tuple[Value, ...] = ()
    span: Span = field(default_factory=Span.unknown)
    src: dict | None = None  # provenance from a frontend: page, figure, box, ...
    weights: tuple[WeightSpec, ...] = ()
    params: int | None = 0  # trainable parameters; None when a shape is unknown

    @property
    def opdef(self) -> OpDef:
        return OPS[self.op]


@dataclass(eq=False, slots=True)
class Graph:
    """A model: inputs, layers in topological (source) order, outputs."""

    name: str
    inputs: list[Value]
    outputs: list[Value]
    nodes: list[Node]
    span: Span = field(default_factory=Span.unknown)

    @property
    def params(self) -> int | None:
        total = 0
        for n in self.nodes:
            if n.params is None:
                return None
            total += n.params
        return total

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)
