"""The Caffe target: prototxt and caffemodel."""

from papercc.backends.caffe.target import caffemodel_bytes

__all__ = ["caffemodel_bytes"]
