"""Serialize a ModelProto with large initializers copying each weight array once.

Going through protobuf copies every tensor three times (tobytes, into raw_data, into the
serialized string). Protobuf's wire format is a sequence of tagged fields whose order does
not matter and whose repeated fields may be appended, so the model is serialized without
its initializers and each initializer is spliced in as a length-delimited field of the
graph: a small protobuf-made header (name, type, dims) followed by the array's own buffer
as field raw_data. `bytes.join` then copies each array once, into the result.
"""

from __future__ import annotations

import numpy as np
import onnx

from papercc.backends.onnx.graph import fill_tensor, little_endian

_MODEL_GRAPH = 7  # ModelProto.graph
_GRAPH_INITIALIZER = 5  # GraphProto.initializer
_TENSOR_RAW_DATA = 9  # TensorProto.raw_data
_LEN = 2  # wire type of length-delimited fields


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, length: int) -> bytes:
    """The tag and length that start a length-delimited field."""
    return _varint((number << 3) | _LEN) + _varint(length)


def serialize(model: onnx.ModelProto, initializers: list[tuple[str, np.ndarray]]) -> bytes:
    """The bytes of `model` with these initializers appended to its graph.

    `model.graph` must not hold initializers of these names already."""
    graph_head = model.graph.SerializeToString()
    chunks: list = []
    graph_len = len(graph_head)
    for name, array in initializers:
        array = little_endian(array)
        header = onnx.TensorProto()
        fill_tensor(header, name, array, data=False)
        head = header.SerializeToString()
        data = memoryview(array.reshape(-1).view(np.uint8))
        raw = _field(_TENSOR_RAW_DATA, len(data))
        tensor_len = len(head) + len(raw) + len(data)
        start = _field(_GRAPH_INITIALIZER, tensor_len)
        chunks += [start, head, raw, data]
        graph_len += len(start) + tensor_len
    rest = onnx.ModelProto()
    rest.CopyFrom(model)
    rest.ClearField("graph")
    return b"".join(
        [rest.SerializeToString(), _field(_MODEL_GRAPH, graph_len), graph_head, *chunks]
    )
