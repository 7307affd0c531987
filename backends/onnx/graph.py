"""The ONNX graph under construction: nodes, initializers and typed values, written by the
emit functions of ops.py and seq.py.

Tensor names are unique strings (ONNX names are data, not code, so any text is allowed).
Each ONNX node made for a DLIR layer carries the layer name and its provenance; the node
that produces the layer's output is named exactly as the layer, helper nodes
`<layer>/<what>`.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper

from papercc.backends.codegen import Unique
from papercc.ir.graph import Graph, Node, Value
from papercc.ir.types import TensorType

DTYPES = {
    "f16": TensorProto.FLOAT16,
    "bf16": TensorProto.BFLOAT16,
    "f32": TensorProto.FLOAT,
    "f64": TensorProto.DOUBLE,
    "i8": TensorProto.INT8,
    "i16": TensorProto.INT16,
    "i32": TensorProto.INT32,
    "i64": TensorProto.INT64,
    "u8": TensorProto.UINT8,
    "bool": TensorProto.BOOL,
}

_NP_TO_ONNX = {
    np.dtype(np.float32): TensorProto.FLOAT,
    np.dtype(np.float64): TensorProto.DOUBLE,
    np.dtype(np.float16): TensorProto.FLOAT16,
    np.dtype(np.int64): TensorProto.INT64,
    np.dtype(np.int32): TensorProto.INT32,
    np.dtype(np.int8): TensorProto.INT8,
    np.dtype(np.uint8): TensorProto.UINT8,
}


def value_info(name: str, t: TensorType) -> onnx.ValueInfoProto:
    """A typed value: int dims as dim_value, symbols as dim_param, unknown dims left empty."""
    vi = onnx.ValueInfoProto()
    vi.name = name
    tt = vi.type.tensor_type
    tt.elem_type = DTYPES[t.dtype]
    if t.shape is not None:
        shape = tt.shape
        for d in t.shape:
            dim = shape.dim.add()
            if isinstance(d, int):
                dim.dim_value = d
            elif isinstance(d, str):
                dim.dim_param = d
    return vi


def little_endian(array: np.ndarray) -> np.ndarray:
    """C-contiguous little-endian data, as ONNX raw_data stores it (no copy if it already is)."""
    if not array.flags.c_contiguous:
        array = np.ascontiguousarray(array)  # (never for 0-d: it would make them 1-d)
    if array.dtype.byteorder == ">" or (array.dtype.byteorder == "=" and np.little_endian is False):
        array = array.astype(array.dtype.newbyteorder("<"))
    return array


def fill_tensor(t: onnx.TensorProto, name: str, array: np.ndarray, data: bool = True) -> None:
    """Name, type and dims of an initializer; its bytes too unless `data` is False."""
    t.name = name
    t.data_type = _NP_TO_ONNX[array.dtype]
    t.dims.extend(array.shape)
    if data:
        t.raw_data = little_endian(array).tobytes()


def provenance(node: Node) -> str:
    """The layer's op, source span and frontend provenance, for the node's doc_string."""
    s = node.span
    text = f"papercc layer {node.name} ({node.op}) from {s.file}:{s.line}:{s.col}"
    if node.src:
        items = ", ".join(f"{k}={v}" for k, v in node.src.items())
        text += f" @src({items})"
    return text


class OnnxContext:
    """What the emit functions write into: ONNX nodes, initializers, value types."""

    def __init__(self, graph: Graph, weights: dict[str, np.ndarray]):
        self.graph = graph
        self.weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[tuple[str, np.ndarray]] = []  # made into protos at the end
        self.value_infos: list[onnx.ValueInfoProto] = []
        self.names = Unique()
        self.var: dict[int, str] = {}
        self.inputs = [value_info(self.fresh(v.name), v.type) for v in graph.inputs]
        for v, vi in zip(graph.inputs, self.inputs, strict=True):
            self.var[id(v)] = vi.name

    # ------------------------------------------------------------------ names and values

    def fresh(self, raw: str) -> str:
        return self.names.fresh(raw)

    def v(self, value: Value) -> str:
        return self.var[id(value)]

    def x(self, node: Node) -> str:
        return self.v(node.inputs[0])

    # ------------------------------------------------------------------ initializers

    def weight(self, node: Node, name: str, array: np.ndarray | None = None) -> str:
        """An initializer for a layer weight, named `<layer>.<weight>` as in the weights file;
        `array` replaces the stored tensor when ONNX wants another layout (RNN gate order,
        a PReLU slope shaped to broadcast over channels)."""
        key = f"{node.name}.{name}"
        if array is None:
            array = self.weights[key]
        out = self.fresh(key)
        self.initializers.append((out, np.asarray(array, dtype=np.float32)))
        return out

    def const(self, node: Node, what: str, array) -> str:
        """A small constant (shapes, pads, scales) named after the layer."""
        out = self.fresh(f"{node.name}/{what}")
        self.initializers.append((out, np.asarray(array)))
        return out

    def ints(self, node: Node, what: str, values) -> str:
        return self.const(node, what, np.asarray(list(values), dtype=np.int64))

    def floats(self, node: Node, what: str, values) -> str:
        return self.const(node, what, np.asarray(list(values), dtype=np.float32))

    # ------------------------------------------------------------------ nodes

    def op(self, node: Node, op_type: str, inputs, what: str, outputs: int = 1, **attrs) -> str:
        """A helper node of a layer (not producing the layer's output); returns its output(s)."""
        outs = [
            self.fresh(f"{node.name}/{what}" + (f"_{i}" if outputs > 1 else ""))
            for i in range(outputs)
        ]
        self._add(node, op_type, inputs, outs, f"{node.name}/{what}", attrs)
        return outs[0] if outputs == 1 else outs

    def out(self, node: Node, op_type: str, inputs, **attrs) -> None:
        """The node producing the layer's outputs: named as the layer, outputs typed."""
        outs = [self.fresh(v.name) for v in node.outputs]
        for v, name in zip(node.outputs, outs, strict=True):
            self.var[id(v)] = name
            if v.type.shape is not None:  # ONNX wants a shape, even of unknown dims
                self.value_infos.append(value_info(name, v.type))
        self._add(node, op_type, inputs, outs, node.name, attrs)

    def _add(self, node: Node, op_type: str, inputs, outputs, name: str, attrs) -> None:
        n = helper.make_node(op_type, list(inputs), list(outputs), name=name, **attrs)
        n.doc_string = provenance(node)
        self.nodes.append(n)
