"""The subset of Caffe's `caffe.proto` papercc writes, built as protobuf classes at run time.

There is no Caffe package to import and no protoc step: the message types are declared
here as data (field name, number, type), turned into a `FileDescriptorProto` and then into
message classes by protobuf's own `message_factory`. protobuf then does all the
encoding: `text_format` writes the `.prototxt` (quoting and escaping every string, so a
hostile layer name cannot break the file) and `SerializeToString` the binary `.caffemodel`.

Field numbers follow BVLC Caffe's caffe.proto and OpenCV's copy of it
(modules/dnn/src/caffe/opencv-caffe.proto), which agree on every field below except
PoolingParameter 13: OpenCV (and NVIDIA Caffe) read `ceil_mode: false`, BVLC Caffe spells
the same thing `round_mode: FLOOR`. We write OpenCV's form, the runtime we verify against.
"""

from __future__ import annotations

from functools import cache

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_F = descriptor_pb2.FieldDescriptorProto
_SCALARS = {
    "string": _F.TYPE_STRING,
    "float": _F.TYPE_FLOAT,
    "bool": _F.TYPE_BOOL,
    "int32": _F.TYPE_INT32,
    "uint32": _F.TYPE_UINT32,
    "int64": _F.TYPE_INT64,
}

# message -> [(field, number, type, repeated)]; a type that is not a scalar names a message
# or an enum of this file.
MESSAGES: dict[str, list[tuple[str, int, str, bool]]] = {
    "BlobShape": [("dim", 1, "int64", True)],
    "BlobProto": [("data", 5, "float", True), ("shape", 7, "BlobShape", False)],
    "NetParameter": [
        ("name", 1, "string", False),
        ("input", 3, "string", True),
        ("input_shape", 8, "BlobShape", True),
        ("layer", 100, "LayerParameter", True),
    ],
    "LayerParameter": [
        ("name", 1, "string", False),
        ("type", 2, "string", False),
        ("bottom", 3, "string", True),
        ("top", 4, "string", True),
        ("blobs", 7, "BlobProto", True),
        ("concat_param", 104, "ConcatParameter", False),
        ("convolution_param", 106, "ConvolutionParameter", False),
        ("dropout_param", 108, "DropoutParameter", False),
        ("eltwise_param", 110, "EltwiseParameter", False),
        ("exp_param", 111, "ExpParameter", False),
        ("inner_product_param", 117, "InnerProductParameter", False),
        ("lrn_param", 118, "LRNParameter", False),
        ("mvn_param", 120, "MVNParameter", False),
        ("pooling_param", 121, "PoolingParameter", False),
        ("power_param", 122, "PowerParameter", False),
        ("relu_param", 123, "ReLUParameter", False),
        ("softmax_param", 125, "SoftmaxParameter", False),
        ("slice_param", 126, "SliceParameter", False),
        ("prelu_param", 131, "PReLUParameter", False),
        ("reshape_param", 133, "ReshapeParameter", False),
        ("flatten_param", 135, "FlattenParameter", False),
        ("batch_norm_param", 139, "BatchNormParameter", False),
        ("elu_param", 140, "ELUParameter", False),
        ("scale_param", 142, "ScaleParameter", False),
        ("input_param", 143, "InputParameter", False),
        ("crop_param", 144, "CropParameter", False),
        ("permute_param", 148, "PermuteParameter", False),
    ],
    "BatchNormParameter": [("use_global_stats", 1, "bool", False), ("eps", 3, "float", False)],
    "ConcatParameter": [("axis", 2, "int32", False)],
    "ConvolutionParameter": [
        ("num_output", 1, "uint32", False),
        ("bias_term", 2, "bool", False),
        ("pad", 3, "uint32", True),
        ("kernel_size", 4, "uint32", True),
        ("group", 5, "uint32", False),
        ("stride", 6, "uint32", True),
        ("pad_h", 9, "uint32", False),
        ("pad_w", 10, "uint32", False),
        ("kernel_h", 11, "uint32", False),
        ("kernel_w", 12, "uint32", False),
        ("stride_h", 13, "uint32", False),
        ("stride_w", 14, "uint32", False),
        ("dilation", 18, "uint32", True),
    ],
    "CropParameter": [("axis", 1, "int32", False), ("offset", 2, "uint32", True)],
    "DropoutParameter": [("dropout_ratio", 1, "float", False)],
    "EltwiseParameter": [("operation", 1, "EltwiseOp", False), ("coeff", 2, "float", True)],
    "ELUParameter": [("alpha", 1, "float", False)],
    "ExpParameter": [
        ("base", 1, "float", False),
        ("scale", 2, "float", False),
        ("shift", 3, "float", False),
    ],
    "FlattenParameter": [("axis", 1, "int32", False), ("end_axis", 2, "int32", False)],
    "InnerProductParameter": [
        ("num_output", 1, "uint32", False),
        ("bias_term", 2, "bool", False),
        ("axis", 5, "int32", False),
    ],
    "InputParameter": [("shape", 1, "BlobShape", True)],
    "LRNParameter": [
        ("local_size", 1, "uint32", False),
        ("alpha", 2, "float", False),
        ("beta", 3, "float", False),
        ("norm_region", 4, "NormRegion", False),
        ("k", 5, "float", False),
    ],
    "MVNParameter": [
        ("normalize_variance", 1, "bool", False),
        ("across_channels", 2, "bool", False),
        ("eps", 3, "float", False),
    ],
    "PermuteParameter": [("order", 1, "uint32", True)],
    "PoolingParameter": [
        ("pool", 1, "PoolMethod", False),
        ("kernel_size", 2, "uint32", False),
        ("stride", 3, "uint32", False),
        ("pad", 4, "uint32", False),
        ("kernel_h", 5, "uint32", False),
        ("kernel_w", 6, "uint32", False),
        ("stride_h", 7, "uint32", False),
        ("stride_w", 8, "uint32", False),
        ("pad_h", 9, "uint32", False),
        ("pad_w", 10, "uint32", False),
        ("global_pooling", 12, "bool", False),
        ("ceil_mode", 13, "bool", False),
    ],
    "PowerParameter": [
        ("power", 1, "float", False),
        ("scale", 2, "float", False),
        ("shift", 3, "float", False),
    ],
    "PReLUParameter": [("channel_shared", 2, "bool", False)],
    "ReLUParameter": [("negative_slope", 1, "float", False)],
    "ReshapeParameter": [
        ("shape", 1, "BlobShape", False),
        ("axis", 2, "int32", False),
        ("num_axes", 3, "int32", False),
    ],
    "ScaleParameter": [
        ("axis", 1, "int32", False),
        ("num_axes", 2, "int32", False),
        ("bias_term", 4, "bool", False),
    ],
    "SliceParameter": [("slice_point", 2, "uint32", True), ("axis", 3, "int32", False)],
    "SoftmaxParameter": [("axis", 2, "int32", False)],
}

ENUMS: dict[str, list[tuple[str, int]]] = {
    "EltwiseOp": [("PROD", 0), ("SUM", 1), ("MAX", 2)],
    "NormRegion": [("ACROSS_CHANNELS", 0), ("WITHIN_CHANNEL", 1)],
    "PoolMethod": [("MAX", 0), ("AVE", 1), ("STOCHASTIC", 2)],
}

# Enums live inside the message that uses them, as in caffe.proto (the text format only
# shows value names, so nesting matters for nothing but tidiness).
_ENUM_OWNER = {
    "EltwiseOp": "EltwiseParameter",
    "NormRegion": "LRNParameter",
    "PoolMethod": "PoolingParameter",
}
_PACKAGE = "caffe"
_PACKED = {("BlobShape", "dim"), ("BlobProto", "data")}


def _file_proto() -> descriptor_pb2.FileDescriptorProto:
    fp = descriptor_pb2.FileDescriptorProto(
        name="papercc_caffe_subset.proto", package=_PACKAGE, syntax="proto2"
    )
    for msg_name, fields in MESSAGES.items():
        msg = fp.message_type.add(name=msg_name)
        for enum_name, owner in _ENUM_OWNER.items():
            if owner == msg_name:
                enum = msg.enum_type.add(name=enum_name)
                for value_name, number in ENUMS[enum_name]:
                    enum.value.add(name=value_name, number=number)
        for name, number, kind, repeated in fields:
            field = msg.field.add(
                name=name,
                number=number,
                label=_F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL,
            )
            if kind in _SCALARS:
                field.type = _SCALARS[kind]
            elif kind in ENUMS:
                field.type = _F.TYPE_ENUM
                field.type_name = f".{_PACKAGE}.{_ENUM_OWNER[kind]}.{kind}"
            else:
                field.type = _F.TYPE_MESSAGE
                field.type_name = f".{_PACKAGE}.{kind}"
            if (msg_name, name) in _PACKED:
                field.options.packed = True
    return fp


@cache
def messages() -> dict[str, type]:
    """Message classes by name, built once per process from the declarations above
    (a private descriptor pool, so nothing collides with another user of protobuf)."""
    pool = descriptor_pool.DescriptorPool()
    pool.Add(_file_proto())
    return {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{_PACKAGE}.{name}"))
        for name in MESSAGES
    }


def to_text(message) -> str:
    """Caffe's text format; strings quoted and escaped by protobuf itself."""
    from google.protobuf import text_format

    return text_format.MessageToString(message, as_utf8=False)


def packed_floats(field: int, array) -> bytes:
    """One packed `repeated float` field in protobuf's wire format, for MergeFromString.

    The one piece of hand-written encoding here: a blob's floats go in as raw
    little-endian bytes instead of a Python list of millions of floats (VGG-16 has 138M),
    and protobuf parses them back as usual."""
    import numpy as np

    payload = np.ascontiguousarray(array, dtype="<f4").tobytes()
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)
