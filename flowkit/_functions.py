"""Function forms of tensor ops: ``flowkit.matmul(a, b)``, ``flowkit.sum(x, dim)``, ...

Each is one line over the tensor method or the backend's op table: the method is the single
implementation, these only spell it the way OneFlow and PyTorch users write it.
"""

from __future__ import annotations

from . import _plugins
from .errors import ShapeError
from .tensor import Tensor


def _need_tensor(op: str, x) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"flowkit.{op}: expected a flowkit tensor, got {type(x).__name__}; "
                        "make one with flowkit.tensor(...)")


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with PyTorch's rules (1-d operands, batch broadcasting).

    Example:
        >>> import flowkit as flow
        >>> flow.matmul(flow.ones(4, 2), flow.ones(2, 1)).shape
        flowkit.Size([4, 1])
    """
    _need_tensor("matmul", input)
    return _plugins.get().matmul(input, other)


mm = matmul


def add(input, other):
    return input + other


def sub(input, other):
    return input - other


def mul(input, other):
    return input * other


def div(input, other):
    return input / other


def pow(input, exponent):  # noqa: A001 - PyTorch's name
    return input ** exponent


def neg(input):
    return -input


def sum(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Sum of all elements, or along ``dim`` (an int or a tuple), keeping it with ``keepdim``."""
    _need_tensor("sum", input)
    return input.sum(dim, keepdim)


def mean(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Mean of all elements, or along ``dim``."""
    _need_tensor("mean", input)
    return input.mean(dim, keepdim)


def reshape(input: Tensor, shape) -> Tensor:
    return input.reshape(shape)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    return input.transpose(dim0, dim1)


def permute(input: Tensor, dims) -> Tensor:
    return input.permute(dims)


def squeeze(input: Tensor, dim=None) -> Tensor:
    return input.squeeze(dim)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    return input.unsqueeze(dim)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return input.flatten(start_dim, end_dim)


def exp(input):
    return input.exp()


def log(input):
    return input.log()


def sqrt(input):
    return input.sqrt()


def abs(input):  # noqa: A001
    return input.abs()


def sin(input):
    return input.sin()


def cos(input):
    return input.cos()


def tanh(input):
    return input.tanh()


def sigmoid(input):
    return input.sigmoid()


def relu(input):
    return input.relu()


def square(input):
    return input * input


def eq(input, other):
    return input == other


def ne(input, other):
    return input != other


def lt(input, other):
    return input < other


def le(input, other):
    return input <= other


def gt(input, other):
    return input > other


def ge(input, other):
    return input >= other


def numel(input: Tensor) -> int:
    return input.numel()


def is_tensor(obj) -> bool:
    """Whether ``obj`` is a flowkit tensor (on any backend)."""
    return isinstance(obj, Tensor)


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """Whether all values are close: ``|input - other| <= atol + rtol * |other|``."""
    import numpy as np

    a, b = input.numpy(), other.numpy()
    if np.broadcast_shapes(a.shape, b.shape) is None:  # pragma: no cover - raises instead
        raise ShapeError("allclose: shapes do not broadcast")
    return bool(np.allclose(a, b, rtol=rtol, atol=atol))
