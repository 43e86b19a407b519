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


# ------------------------------------------------------------------------------------ joining
def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension; dtypes promote as in PyTorch.

    Example:
        >>> import flowkit as flow
        >>> flow.cat([flow.zeros(2, 3), flow.ones(1, 3)]).shape
        flowkit.Size([3, 3])
    """
    return _plugins.get().cat(tensors, dim)


concat = cat
concatenate = cat


def stack(tensors, dim: int = 0) -> Tensor:
    """Join tensors of one shape along a new dimension ``dim``.

    Example:
        >>> import flowkit as flow
        >>> flow.stack([flow.zeros(3), flow.ones(3)], dim=1).shape
        flowkit.Size([3, 2])
    """
    return _plugins.get().stack(tensors, dim)


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Consecutive pieces of ``split_size`` along ``dim`` (or of the sizes in a list).

    Example:
        >>> import flowkit as flow
        >>> [p.tolist() for p in flow.split(flow.arange(5), 2)]
        [[0, 1], [2, 3], [4]]
    """
    _need_tensor("split", tensor)
    return tensor.split(split_size_or_sections, dim)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """``chunks`` pieces along ``dim`` (fewer when the size does not divide evenly)."""
    _need_tensor("chunk", input)
    return input.chunk(chunks, dim)


def flip(input: Tensor, dims) -> Tensor:
    """The values in reverse order along ``dims``."""
    _need_tensor("flip", input)
    return input.flip(dims)


# ------------------------------------------------------------------------------------ reductions
def max(input: Tensor, dim=None, keepdim: bool = False):  # noqa: A001 - PyTorch's name
    """The largest value; with ``dim``, ``(values, indices)``; with a tensor, ``maximum``.

    Example:
        >>> import flowkit as flow
        >>> x = flow.tensor([[1, 5], [7, 2]])
        >>> flow.max(x).item(), flow.max(x, dim=1).indices.tolist()
        (7, [1, 0])
    """
    _need_tensor("max", input)
    return input.max(dim, keepdim)


def min(input: Tensor, dim=None, keepdim: bool = False):  # noqa: A001
    """The smallest value; with ``dim``, ``(values, indices)``; with a tensor, ``minimum``."""
    _need_tensor("min", input)
    return input.min(dim, keepdim)


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """The (int64) index of the largest value, in the flattened tensor or along ``dim``."""
    _need_tensor("argmax", input)
    return input.argmax(dim, keepdim)


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """The (int64) index of the smallest value, in the flattened tensor or along ``dim``."""
    _need_tensor("argmin", input)
    return input.argmin(dim, keepdim)


def prod(input: Tensor, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """Product of all elements, or along ``dim`` (integers multiply in int64)."""
    _need_tensor("prod", input)
    return input.prod(dim, keepdim, dtype)


def var(input: Tensor, dim=None, unbiased: bool = True, keepdim: bool = False, *,
        correction=None) -> Tensor:
    """Variance (divided by n - 1 unless ``unbiased=False``)."""
    _need_tensor("var", input)
    return input.var(dim, unbiased, keepdim, correction=correction)


def std(input: Tensor, dim=None, unbiased: bool = True, keepdim: bool = False, *,
        correction=None) -> Tensor:
    """Standard deviation (with n - 1 unless ``unbiased=False``).

    Example:
        >>> import flowkit as flow
        >>> flow.std(flow.tensor([1.0, 2.0, 3.0, 4.0]))
        tensor(1.2910, dtype=flowkit.float32)
    """
    _need_tensor("std", input)
    return input.std(dim, unbiased, keepdim, correction=correction)


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False) -> Tensor:
    """The vector ``p``-norm (2 by default) of all elements, or along ``dim``."""
    _need_tensor("norm", input)
    return input.norm(p, dim, keepdim)


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Whether any element is true (non-zero), overall or along ``dim``."""
    _need_tensor("any", input)
    return input.any(dim, keepdim)


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Whether every element is true (non-zero), overall or along ``dim``."""
    _need_tensor("all", input)
    return input.all(dim, keepdim)


# ------------------------------------------------------------------------------------ elementwise
def sign(input):
    return input.sign()


def floor(input):
    return input.floor()


def ceil(input):
    return input.ceil()


def round(input, decimals: int = 0):  # noqa: A001
    return input.round(decimals)


def reciprocal(input):
    return input.reciprocal()


def rsqrt(input):
    return input.rsqrt()


def log1p(input):
    return input.log1p()


def expm1(input):
    return input.expm1()


def log2(input):
    return input.log2()


def log10(input):
    return input.log10()


def maximum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise maximum of two tensors (broadcasting); NaN wins, as in PyTorch."""
    _need_tensor("maximum", input)
    return input.maximum(other)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise minimum of two tensors (broadcasting); NaN wins, as in PyTorch."""
    _need_tensor("minimum", input)
    return input.minimum(other)


def clamp(input: Tensor, min=None, max=None) -> Tensor:  # noqa: A002 - PyTorch's names
    """Values limited to ``[min, max]`` (either may be left out; numbers or tensors).

    Example:
        >>> import flowkit as flow
        >>> flow.clamp(flow.tensor([-2.0, 0.5, 3.0]), min=0.0, max=1.0)
        tensor([0.0000, 0.5000, 1.0000], dtype=flowkit.float32)
    """
    _need_tensor("clamp", input)
    return input.clamp(min, max)


clip = clamp


def where(condition: Tensor, input, other) -> Tensor:
    """``input`` where ``condition`` is true, else ``other`` (broadcasting; numbers allowed).

    Example:
        >>> import flowkit as flow
        >>> x = flow.tensor([-1.0, 2.0, -3.0])
        >>> flow.where(x > 0, x, 0.0)
        tensor([0., 2., 0.], dtype=flowkit.float32)
    """
    _need_tensor("where", condition)
    return _plugins.get().where(condition, input, other)


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """``value`` where ``mask`` is true, ``input`` elsewhere."""
    _need_tensor("masked_fill", input)
    return input.masked_fill(mask, value)


def remainder(input, other):
    """Python's ``%``: the result has the sign of the divisor."""
    return input % other


def floor_divide(input, other):
    """``//``: division rounded down (no gradient)."""
    return input // other


def bitwise_and(input, other):
    return input & other


def bitwise_or(input, other):
    return input | other


def bitwise_xor(input, other):
    return input ^ other


def bitwise_not(input):
    return ~input


def logical_and(input: Tensor, other) -> Tensor:
    _need_tensor("logical_and", input)
    return input.logical_and(other)


def logical_or(input: Tensor, other) -> Tensor:
    _need_tensor("logical_or", input)
    return input.logical_or(other)


def logical_xor(input: Tensor, other) -> Tensor:
    _need_tensor("logical_xor", input)
    return input.logical_xor(other)


def logical_not(input: Tensor) -> Tensor:
    _need_tensor("logical_not", input)
    return input.logical_not()


def isnan(input: Tensor) -> Tensor:
    _need_tensor("isnan", input)
    return input.isnan()


def isinf(input: Tensor) -> Tensor:
    _need_tensor("isinf", input)
    return input.isinf()


def isfinite(input: Tensor) -> Tensor:
    _need_tensor("isfinite", input)
    return input.isfinite()
