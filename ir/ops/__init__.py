"""Op declarations, one module per family; `ALL_OPS` is what the registry reads."""

from . import activation, conv, norm, pool, sequence, tensor

ALL_OPS = (*conv.OPS, *pool.OPS, *tensor.OPS, *norm.OPS, *activation.OPS, *sequence.OPS)
