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

    ``flowkit.mm`` is another name for this function.

    Examples:
        >>> import flowkit as flow
        >>> flow.matmul(flow.ones(4, 2), flow.ones(2, 1)).shape
        flowkit.Size([4, 1])
    """
    _need_tensor("matmul", input)
    return _plugins.get().matmul(input, other)


mm = matmul


def add(input, other):
    """Elementwise ``input + other`` (broadcasting; ``other`` may be a number).

    Examples:
        >>> import flowkit as flow
        >>> flow.add(flow.tensor([1, 2]), flow.tensor([10, 20]))
        tensor([11, 22], dtype=flowkit.int64)
    """
    return input + other


def sub(input, other):
    """Elementwise ``input - other`` (broadcasting; ``other`` may be a number).

    Examples:
        >>> import flowkit as flow
        >>> flow.sub(flow.tensor([5.0, 7.0]), 2.0)
        tensor([3., 5.], dtype=flowkit.float32)
    """
    return input - other


def mul(input, other):
    """Elementwise ``input * other`` (broadcasting; ``other`` may be a number).

    Examples:
        >>> import flowkit as flow
        >>> flow.mul(flow.tensor([1.0, 2.0]), flow.tensor([3.0, 4.0]))
        tensor([3., 8.], dtype=flowkit.float32)
    """
    return input * other


def div(input, other):
    """Elementwise true division ``input / other``; integers divide to float32.

    Examples:
        >>> import flowkit as flow
        >>> flow.div(flow.tensor([1, 3]), 2)
        tensor([0.5000, 1.5000], dtype=flowkit.float32)
    """
    return input / other


def pow(input, exponent):  # noqa: A001 - PyTorch's name
    """Elementwise ``input ** exponent`` (a number or a tensor).

    Examples:
        >>> import flowkit as flow
        >>> flow.pow(flow.tensor([1.0, 2.0, 3.0]), 2)
        tensor([1., 4., 9.], dtype=flowkit.float32)
    """
    return input ** exponent


def neg(input):
    """Elementwise ``-input``.

    Examples:
        >>> import flowkit as flow
        >>> flow.neg(flow.tensor([1.0, -2.0]))
        tensor([-1.,  2.], dtype=flowkit.float32)
    """
    return -input


def sum(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Sum of all elements, or along ``dim`` (an int or a tuple), keeping it with ``keepdim``.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([[1, 2], [3, 4]])
        >>> flow.sum(x), flow.sum(x, dim=0)
        (tensor(10, dtype=flowkit.int64), tensor([4, 6], dtype=flowkit.int64))
    """
    _need_tensor("sum", input)
    return input.sum(dim, keepdim)


def mean(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Mean of all elements, or along ``dim``.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> flow.mean(x), flow.mean(x, dim=1, keepdim=True).shape
        (tensor(2.5000, dtype=flowkit.float32), flowkit.Size([2, 1]))
    """
    _need_tensor("mean", input)
    return input.mean(dim, keepdim)


def reshape(input: Tensor, shape) -> Tensor:
    """The values of ``input`` in a new ``shape`` (one size may be ``-1``).

    Examples:
        >>> import flowkit as flow
        >>> flow.reshape(flow.arange(6), (2, -1)).shape
        flowkit.Size([2, 3])
    """
    return input.reshape(shape)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """``input`` with dimensions ``dim0`` and ``dim1`` swapped.

    Examples:
        >>> import flowkit as flow
        >>> flow.transpose(flow.zeros(2, 3, 4), 0, 2).shape
        flowkit.Size([4, 3, 2])
    """
    return input.transpose(dim0, dim1)


def permute(input: Tensor, dims) -> Tensor:
    """``input`` with its dimensions reordered as ``dims``.

    Examples:
        >>> import flowkit as flow
        >>> flow.permute(flow.zeros(2, 3, 4), (2, 0, 1)).shape
        flowkit.Size([4, 2, 3])
    """
    return input.permute(dims)


def squeeze(input: Tensor, dim=None) -> Tensor:
    """``input`` without its size-1 dimensions (or only ``dim``, if it has size 1).

    Examples:
        >>> import flowkit as flow
        >>> flow.squeeze(flow.zeros(2, 1, 3)).shape
        flowkit.Size([2, 3])
    """
    return input.squeeze(dim)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """``input`` with a new size-1 dimension inserted at ``dim``.

    Examples:
        >>> import flowkit as flow
        >>> flow.unsqueeze(flow.zeros(2, 3), 1).shape
        flowkit.Size([2, 1, 3])
    """
    return input.unsqueeze(dim)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """``input`` with dimensions ``start_dim`` to ``end_dim`` merged into one.

    Examples:
        >>> import flowkit as flow
        >>> flow.flatten(flow.zeros(2, 3, 4), start_dim=1).shape
        flowkit.Size([2, 12])
    """
    return input.flatten(start_dim, end_dim)


def exp(input):
    """Elementwise ``e ** input``.

    Examples:
        >>> import flowkit as flow
        >>> flow.exp(flow.tensor([0.0, 1.0]))
        tensor([1.0000, 2.7183], dtype=flowkit.float32)
    """
    return input.exp()


def log(input):
    """Elementwise natural logarithm.

    Examples:
        >>> import flowkit as flow
        >>> flow.log(flow.tensor([1.0, 100.0]))
        tensor([0.0000, 4.6052], dtype=flowkit.float32)
    """
    return input.log()


def sqrt(input):
    """Elementwise square root.

    Examples:
        >>> import flowkit as flow
        >>> flow.sqrt(flow.tensor([4.0, 9.0]))
        tensor([2., 3.], dtype=flowkit.float32)
    """
    return input.sqrt()


def abs(input):  # noqa: A001
    """Elementwise absolute value.

    Examples:
        >>> import flowkit as flow
        >>> flow.abs(flow.tensor([-1.5, 2.0]))
        tensor([1.5000, 2.0000], dtype=flowkit.float32)
    """
    return input.abs()


def sin(input):
    """Elementwise sine (radians).

    Examples:
        >>> import flowkit as flow
        >>> flow.sin(flow.tensor([0.0, 1.5708]))
        tensor([0., 1.], dtype=flowkit.float32)
    """
    return input.sin()


def cos(input):
    """Elementwise cosine (radians).

    Examples:
        >>> import flowkit as flow
        >>> flow.cos(flow.tensor([0.0, 3.1416]))
        tensor([ 1., -1.], dtype=flowkit.float32)
    """
    return input.cos()


def tanh(input):
    """Elementwise hyperbolic tangent.

    Examples:
        >>> import flowkit as flow
        >>> flow.tanh(flow.tensor([0.0, 1.0]))
        tensor([0.0000, 0.7616], dtype=flowkit.float32)
    """
    return input.tanh()


def sigmoid(input):
    """Elementwise logistic function ``1 / (1 + exp(-input))``.

    Examples:
        >>> import flowkit as flow
        >>> flow.sigmoid(flow.tensor([0.0, 2.0]))
        tensor([0.5000, 0.8808], dtype=flowkit.float32)
    """
    return input.sigmoid()


def relu(input):
    """Elementwise ``max(input, 0)``.

    Examples:
        >>> import flowkit as flow
        >>> flow.relu(flow.tensor([-1.0, 0.5]))
        tensor([0.0000, 0.5000], dtype=flowkit.float32)
    """
    return input.relu()


def square(input):
    """Elementwise ``input * input``.

    Examples:
        >>> import flowkit as flow
        >>> flow.square(flow.tensor([-2, 3]))
        tensor([4, 9], dtype=flowkit.int64)
    """
    return input * input


def eq(input, other):
    """Elementwise ``input == other``, as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.eq(flow.tensor([1, 2, 3]), flow.tensor([1, 0, 3]))
        tensor([ True, False,  True], dtype=flowkit.bool)
    """
    return input == other


def ne(input, other):
    """Elementwise ``input != other``, as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.ne(flow.tensor([1, 2, 3]), 2)
        tensor([ True, False,  True], dtype=flowkit.bool)
    """
    return input != other


def lt(input, other):
    """Elementwise ``input < other``, as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.lt(flow.tensor([1, 2, 3]), 2)
        tensor([ True, False, False], dtype=flowkit.bool)
    """
    return input < other


def le(input, other):
    """Elementwise ``input <= other``, as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.le(flow.tensor([1, 2, 3]), 2)
        tensor([ True,  True, False], dtype=flowkit.bool)
    """
    return input <= other


def gt(input, other):
    """Elementwise ``input > other``, as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.gt(flow.tensor([1, 2, 3]), 2)
        tensor([False, False,  True], dtype=flowkit.bool)
    """
    return input > other


def ge(input, other):
    """Elementwise ``input >= other``, as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.ge(flow.tensor([1, 2, 3]), 2)
        tensor([False,  True,  True], dtype=flowkit.bool)
    """
    return input >= other


def numel(input: Tensor) -> int:
    """The number of elements of ``input``, as a Python int.

    Examples:
        >>> import flowkit as flow
        >>> flow.numel(flow.zeros(2, 3))
        6
    """
    return input.numel()


def is_tensor(obj) -> bool:
    """Whether ``obj`` is a flowkit tensor (on any backend).

    Examples:
        >>> import flowkit as flow
        >>> flow.is_tensor(flow.zeros(1)), flow.is_tensor([0.0])
        (True, False)
    """
    return isinstance(obj, Tensor)


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """Whether all values are close: ``|input - other| <= atol + rtol * |other|``.

    Examples:
        >>> import flowkit as flow
        >>> flow.allclose(flow.tensor([1.0, 2.0]), flow.tensor([1.0, 2.0 + 1e-7]))
        True
    """
    import numpy as np

    a, b = input.numpy(), other.numpy()
    if np.broadcast_shapes(a.shape, b.shape) is None:  # pragma: no cover - raises instead
        raise ShapeError("allclose: shapes do not broadcast")
    return bool(np.allclose(a, b, rtol=rtol, atol=atol))


# ------------------------------------------------------------------------------------ joining
def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension; dtypes promote as in PyTorch.

    ``flowkit.concat`` and ``flowkit.concatenate`` are other names for this function.

    Examples:
        >>> import flowkit as flow
        >>> flow.cat([flow.zeros(2, 3), flow.ones(1, 3)]).shape
        flowkit.Size([3, 3])
    """
    return _plugins.get().cat(tensors, dim)


concat = cat
concatenate = cat


def stack(tensors, dim: int = 0) -> Tensor:
    """Join tensors of one shape along a new dimension ``dim``.

    Examples:
        >>> import flowkit as flow
        >>> flow.stack([flow.zeros(3), flow.ones(3)], dim=1).shape
        flowkit.Size([3, 2])
    """
    return _plugins.get().stack(tensors, dim)


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Consecutive pieces of ``split_size`` along ``dim`` (or of the sizes in a list).

    Examples:
        >>> import flowkit as flow
        >>> [p.tolist() for p in flow.split(flow.arange(5), 2)]
        [[0, 1], [2, 3], [4]]
    """
    _need_tensor("split", tensor)
    return tensor.split(split_size_or_sections, dim)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """``chunks`` pieces along ``dim`` (fewer when the size does not divide evenly).

    Examples:
        >>> import flowkit as flow
        >>> [c.tolist() for c in flow.chunk(flow.arange(5), 2)]
        [[0, 1, 2], [3, 4]]
    """
    _need_tensor("chunk", input)
    return input.chunk(chunks, dim)


def flip(input: Tensor, dims) -> Tensor:
    """The values in reverse order along ``dims``.

    Examples:
        >>> import flowkit as flow
        >>> flow.flip(flow.tensor([[1, 2], [3, 4]]), [1])
        tensor([[2, 1],
                [4, 3]], dtype=flowkit.int64)
    """
    _need_tensor("flip", input)
    return input.flip(dims)


# ------------------------------------------------------------------------------------ reductions
def max(input: Tensor, dim=None, keepdim: bool = False):  # noqa: A001 - PyTorch's name
    """The largest value; with ``dim``, ``(values, indices)``; with a tensor, ``maximum``.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([[1, 5], [7, 2]])
        >>> flow.max(x).item(), flow.max(x, dim=1).indices.tolist()
        (7, [1, 0])
    """
    _need_tensor("max", input)
    return input.max(dim, keepdim)


def min(input: Tensor, dim=None, keepdim: bool = False):  # noqa: A001
    """The smallest value; with ``dim``, ``(values, indices)``; with a tensor, ``minimum``.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([[1, 5], [7, 2]])
        >>> flow.min(x).item(), flow.min(x, dim=1).values.tolist()
        (1, [1, 2])
    """
    _need_tensor("min", input)
    return input.min(dim, keepdim)


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """The (int64) index of the largest value, in the flattened tensor or along ``dim``.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([[1, 5], [7, 2]])
        >>> flow.argmax(x), flow.argmax(x, dim=1)
        (tensor(2, dtype=flowkit.int64), tensor([1, 0], dtype=flowkit.int64))
    """
    _need_tensor("argmax", input)
    return input.argmax(dim, keepdim)


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """The (int64) index of the smallest value, in the flattened tensor or along ``dim``.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([[1, 5], [7, 2]])
        >>> flow.argmin(x), flow.argmin(x, dim=0)
        (tensor(0, dtype=flowkit.int64), tensor([0, 1], dtype=flowkit.int64))
    """
    _need_tensor("argmin", input)
    return input.argmin(dim, keepdim)


def prod(input: Tensor, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """Product of all elements, or along ``dim`` (integers multiply in int64).

    Examples:
        >>> import flowkit as flow
        >>> flow.prod(flow.tensor([[1, 2], [3, 4]]), dim=1)
        tensor([ 2, 12], dtype=flowkit.int64)
    """
    _need_tensor("prod", input)
    return input.prod(dim, keepdim, dtype)


def var(input: Tensor, dim=None, unbiased: bool = True, keepdim: bool = False, *,
        correction=None) -> Tensor:
    """Variance (divided by n - 1 unless ``unbiased=False``).

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([1.0, 2.0, 3.0, 4.0])
        >>> flow.var(x), flow.var(x, unbiased=False)
        (tensor(1.6667, dtype=flowkit.float32), tensor(1.2500, dtype=flowkit.float32))
    """
    _need_tensor("var", input)
    return input.var(dim, unbiased, keepdim, correction=correction)


def std(input: Tensor, dim=None, unbiased: bool = True, keepdim: bool = False, *,
        correction=None) -> Tensor:
    """Standard deviation (with n - 1 unless ``unbiased=False``).

    Examples:
        >>> import flowkit as flow
        >>> flow.std(flow.tensor([1.0, 2.0, 3.0, 4.0]))
        tensor(1.2910, dtype=flowkit.float32)
    """
    _need_tensor("std", input)
    return input.std(dim, unbiased, keepdim, correction=correction)


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False) -> Tensor:
    """The vector ``p``-norm (2 by default) of all elements, or along ``dim``.

    Examples:
        >>> import flowkit as flow
        >>> flow.norm(flow.tensor([3.0, 4.0])), flow.norm(flow.tensor([3.0, -4.0]), p=1)
        (tensor(5., dtype=flowkit.float32), tensor(7., dtype=flowkit.float32))
    """
    _need_tensor("norm", input)
    return input.norm(p, dim, keepdim)


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Whether any element is true (non-zero), overall or along ``dim``.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([[0, 1], [0, 0]])
        >>> flow.any(x), flow.any(x, dim=1)
        (tensor(True, dtype=flowkit.bool), tensor([ True, False], dtype=flowkit.bool))
    """
    _need_tensor("any", input)
    return input.any(dim, keepdim)


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Whether every element is true (non-zero), overall or along ``dim``.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([[1, 1], [0, 1]])
        >>> flow.all(x), flow.all(x, dim=1)
        (tensor(False, dtype=flowkit.bool), tensor([ True, False], dtype=flowkit.bool))
    """
    _need_tensor("all", input)
    return input.all(dim, keepdim)


# ------------------------------------------------------------------------------------ elementwise
def sign(input):
    """Elementwise sign: -1, 0 or 1.

    Examples:
        >>> import flowkit as flow
        >>> flow.sign(flow.tensor([-2.5, 0.0, 3.0]))
        tensor([-1.,  0.,  1.], dtype=flowkit.float32)
    """
    return input.sign()


def floor(input):
    """Elementwise rounding down.

    Examples:
        >>> import flowkit as flow
        >>> flow.floor(flow.tensor([-1.5, 1.5]))
        tensor([-2.,  1.], dtype=flowkit.float32)
    """
    return input.floor()


def ceil(input):
    """Elementwise rounding up.

    Examples:
        >>> import flowkit as flow
        >>> flow.ceil(flow.tensor([-1.5, 1.5]))
        tensor([-1.,  2.], dtype=flowkit.float32)
    """
    return input.ceil()


def round(input, decimals: int = 0):  # noqa: A001
    """Elementwise rounding to ``decimals`` places, halves to even (as in PyTorch).

    Examples:
        >>> import flowkit as flow
        >>> flow.round(flow.tensor([0.5, 1.5, 2.7]))
        tensor([0., 2., 3.], dtype=flowkit.float32)
        >>> flow.round(flow.tensor([1.234]), decimals=2)
        tensor([1.2300], dtype=flowkit.float32)
    """
    return input.round(decimals)


def reciprocal(input):
    """Elementwise ``1 / input``.

    Examples:
        >>> import flowkit as flow
        >>> flow.reciprocal(flow.tensor([2.0, 4.0]))
        tensor([0.5000, 0.2500], dtype=flowkit.float32)
    """
    return input.reciprocal()


def rsqrt(input):
    """Elementwise ``1 / sqrt(input)``.

    Examples:
        >>> import flowkit as flow
        >>> flow.rsqrt(flow.tensor([4.0, 16.0]))
        tensor([0.5000, 0.2500], dtype=flowkit.float32)
    """
    return input.rsqrt()


def log1p(input):
    """Elementwise ``log(1 + input)``, accurate for small inputs.

    Examples:
        >>> import flowkit as flow
        >>> flow.log1p(flow.tensor([0.0, 1.0]))
        tensor([0.0000, 0.6931], dtype=flowkit.float32)
    """
    return input.log1p()


def expm1(input):
    """Elementwise ``exp(input) - 1``, accurate for small inputs.

    Examples:
        >>> import flowkit as flow
        >>> flow.expm1(flow.tensor([0.0, 1.0]))
        tensor([0.0000, 1.7183], dtype=flowkit.float32)
    """
    return input.expm1()


def log2(input):
    """Elementwise base-2 logarithm.

    Examples:
        >>> import flowkit as flow
        >>> flow.log2(flow.tensor([1.0, 8.0]))
        tensor([0., 3.], dtype=flowkit.float32)
    """
    return input.log2()


def log10(input):
    """Elementwise base-10 logarithm.

    Examples:
        >>> import flowkit as flow
        >>> flow.log10(flow.tensor([1.0, 10.0]))
        tensor([0., 1.], dtype=flowkit.float32)
    """
    return input.log10()


def maximum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise maximum of two tensors (broadcasting); NaN wins, as in PyTorch.

    Examples:
        >>> import flowkit as flow
        >>> flow.maximum(flow.tensor([1.0, 5.0]), flow.tensor([3.0, 2.0]))
        tensor([3., 5.], dtype=flowkit.float32)
    """
    _need_tensor("maximum", input)
    return input.maximum(other)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise minimum of two tensors (broadcasting); NaN wins, as in PyTorch.

    Examples:
        >>> import flowkit as flow
        >>> flow.minimum(flow.tensor([1.0, 5.0]), flow.tensor([3.0, 2.0]))
        tensor([1., 2.], dtype=flowkit.float32)
    """
    _need_tensor("minimum", input)
    return input.minimum(other)


def clamp(input: Tensor, min=None, max=None) -> Tensor:  # noqa: A002 - PyTorch's names
    """Values limited to ``[min, max]`` (either may be left out; numbers or tensors).

    ``flowkit.clip`` is another name for this function.

    Examples:
        >>> import flowkit as flow
        >>> flow.clamp(flow.tensor([-2.0, 0.5, 3.0]), min=0.0, max=1.0)
        tensor([0.0000, 0.5000, 1.0000], dtype=flowkit.float32)
    """
    _need_tensor("clamp", input)
    return input.clamp(min, max)


clip = clamp


def where(condition: Tensor, input, other) -> Tensor:
    """``input`` where ``condition`` is true, else ``other`` (broadcasting; numbers allowed).

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([-1.0, 2.0, -3.0])
        >>> flow.where(x > 0, x, 0.0)
        tensor([0., 2., 0.], dtype=flowkit.float32)
    """
    _need_tensor("where", condition)
    return _plugins.get().where(condition, input, other)


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """``value`` where ``mask`` is true, ``input`` elsewhere.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([1.0, -2.0, 3.0])
        >>> flow.masked_fill(x, x < 0, 0.0)
        tensor([1., 0., 3.], dtype=flowkit.float32)
    """
    _need_tensor("masked_fill", input)
    return input.masked_fill(mask, value)


def remainder(input, other):
    """Python's ``%``: the result has the sign of the divisor.

    Examples:
        >>> import flowkit as flow
        >>> flow.remainder(flow.tensor([7, -7]), 3)
        tensor([1, 2], dtype=flowkit.int64)
    """
    return input % other


def floor_divide(input, other):
    """``//``: division rounded down (no gradient).

    Examples:
        >>> import flowkit as flow
        >>> flow.floor_divide(flow.tensor([7, -7]), 2)
        tensor([ 3, -4], dtype=flowkit.int64)
    """
    return input // other


def bitwise_and(input, other):
    """Elementwise ``input & other`` (integer or bool tensors).

    Examples:
        >>> import flowkit as flow
        >>> flow.bitwise_and(flow.tensor([12, 10]), flow.tensor([10, 6]))
        tensor([8, 2], dtype=flowkit.int64)
    """
    return input & other


def bitwise_or(input, other):
    """Elementwise ``input | other`` (integer or bool tensors).

    Examples:
        >>> import flowkit as flow
        >>> flow.bitwise_or(flow.tensor([12, 10]), flow.tensor([10, 6]))
        tensor([14, 14], dtype=flowkit.int64)
    """
    return input | other


def bitwise_xor(input, other):
    """Elementwise ``input ^ other`` (integer or bool tensors).

    Examples:
        >>> import flowkit as flow
        >>> flow.bitwise_xor(flow.tensor([12, 10]), flow.tensor([10, 6]))
        tensor([ 6, 12], dtype=flowkit.int64)
    """
    return input ^ other


def bitwise_not(input):
    """Elementwise ``~input``: bits flipped, or bools negated.

    Examples:
        >>> import flowkit as flow
        >>> flow.bitwise_not(flow.tensor([0, 5])), flow.bitwise_not(flow.tensor([True, False]))
        (tensor([-1, -6], dtype=flowkit.int64), tensor([False,  True], dtype=flowkit.bool))
    """
    return ~input


def logical_and(input: Tensor, other) -> Tensor:
    """Elementwise logical AND (non-zero is true), as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.logical_and(flow.tensor([1, 1, 0]), flow.tensor([1, 0, 0]))
        tensor([ True, False, False], dtype=flowkit.bool)
    """
    _need_tensor("logical_and", input)
    return input.logical_and(other)


def logical_or(input: Tensor, other) -> Tensor:
    """Elementwise logical OR (non-zero is true), as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.logical_or(flow.tensor([1, 1, 0]), flow.tensor([1, 0, 0]))
        tensor([ True,  True, False], dtype=flowkit.bool)
    """
    _need_tensor("logical_or", input)
    return input.logical_or(other)


def logical_xor(input: Tensor, other) -> Tensor:
    """Elementwise logical XOR (non-zero is true), as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.logical_xor(flow.tensor([1, 1, 0]), flow.tensor([1, 0, 0]))
        tensor([False,  True, False], dtype=flowkit.bool)
    """
    _need_tensor("logical_xor", input)
    return input.logical_xor(other)


def logical_not(input: Tensor) -> Tensor:
    """Elementwise logical NOT (zero becomes true), as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.logical_not(flow.tensor([0.0, 2.0]))
        tensor([ True, False], dtype=flowkit.bool)
    """
    _need_tensor("logical_not", input)
    return input.logical_not()


def isnan(input: Tensor) -> Tensor:
    """Where ``input`` is NaN, as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.isnan(flow.tensor([1.0, float('nan'), float('inf')]))
        tensor([False,  True, False], dtype=flowkit.bool)
    """
    _need_tensor("isnan", input)
    return input.isnan()


def isinf(input: Tensor) -> Tensor:
    """Where ``input`` is positive or negative infinity, as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.isinf(flow.tensor([1.0, float('nan'), float('-inf')]))
        tensor([False, False,  True], dtype=flowkit.bool)
    """
    _need_tensor("isinf", input)
    return input.isinf()


def isfinite(input: Tensor) -> Tensor:
    """Where ``input`` is neither NaN nor infinite, as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.isfinite(flow.tensor([1.0, float('nan'), float('inf')]))
        tensor([ True, False, False], dtype=flowkit.bool)
    """
    _need_tensor("isfinite", input)
    return input.isfinite()
