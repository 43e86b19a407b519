"""Reductions: ``sum``, ``mean``, ``prod``, ``max``/``min`` (with indices), ``argmax``/``argmin``,
``var``/``std``, ``norm``, ``any``/``all``; and the ops that order or accumulate along one
dimension: ``sort``/``argsort``, ``topk``, ``median``, ``nansum``, ``cumsum``/``cumprod``.

``dim`` is one dimension or a tuple of them (``None``: all); ``keepdim`` keeps each reduced
dimension with size 1. ``dim=()`` reduces every dimension, as PyTorch's ``sum`` does. Integer
sums and products accumulate in int64. (See `flowkit.ops` for how a family module is laid
out.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import dtypes as _dt
from ..errors import ArgumentTypeError, ArgumentValueError, DTypeError, ShapeError, shape_str
from ._contract import Dims, DTypeLike, backend_method, need_tensor
from .shape import duplicate_dims_error, normalize_dims

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = [
    "all",
    "amax",
    "amin",
    "any",
    "argmax",
    "argmin",
    "argsort",
    "cumprod",
    "cumsum",
    "logsumexp",
    "max",
    "mean",
    "median",
    "min",
    "nansum",
    "norm",
    "prod",
    "sort",
    "std",
    "sum",
    "topk",
    "var",
]


# ============================================================================ rules and errors
def reduction_dims(dim, ndim: int) -> tuple[int, ...] | None:
    """`normalize_dims` for a reduction, where naming one dimension
    twice is an error.

    Examples:
        >>> from flowkit.ops.reduction import reduction_dims
        >>> reduction_dims((0, -1), 3)
        (0, 2)
    """
    out = normalize_dims(dim, ndim)
    if out is not None and len(out) > 1 and len(set(out)) < len(out):
        raise duplicate_dims_error(dim)
    return out


def empty_reduction_error(op: str, shape) -> ShapeError:
    """``max()`` (and friends) of a tensor with no elements: there is no value to return."""
    return ShapeError(
        f"{op}() of an empty tensor (shape {shape_str(shape)}) has no value; "
        "pass dim= to reduce a dimension of non-zero size"
    )


def empty_dim_error(op: str, dim, d: int, shape) -> ShapeError:
    """``max(dim=d)`` along a dimension of size 0."""
    return ShapeError(
        f"{op}(dim={dim}): dimension {d} of shape {shape_str(shape)} is empty, so it has no value"
    )


def extreme_dims(op: str, dim, shape) -> tuple[int, ...] | None:
    """``amax``/``amin``'s ``dim`` as non-negative dims (``None``: all, also for ``()`` and a 0-d
    tensor), refusing to reduce a dimension of size 0: the extreme of nothing has no value.

    Examples:
        >>> from flowkit.ops.reduction import extreme_dims
        >>> extreme_dims("amax", (0, -1), (2, 3)), extreme_dims("amax", (), (2, 3))
        ((0, 1), None)
    """
    shape = tuple(shape)
    if dim is None or not shape:
        dims = None if dim is None else normalize_dims(dim, 0) and None
    else:
        dims = reduction_dims(dim, len(shape)) or None
    reduced = range(len(shape)) if dims is None else dims
    for d in reduced:
        if shape[d] == 0:
            raise (
                empty_reduction_error(op, shape)
                if dims is None
                else empty_dim_error(op, dim, d, shape)
            )
    return dims


def norm_order(p) -> float:
    """``norm``'s ``p`` as a float: ``"fro"`` (and None) is 2; matrix norms are refused.

    Examples:
        >>> from flowkit.ops.reduction import norm_order
        >>> norm_order("fro"), norm_order(1), norm_order(float("inf"))
        (2.0, 1.0, inf)
    """
    if p == "fro" or p is None:
        return 2.0
    if isinstance(p, (str, bool)) or not isinstance(p, (int, float, np.number)):
        raise ValueError(
            f"norm: p must be a number, inf, -inf or 'fro', got {p!r} (matrix "
            "norms such as 'nuc' are not supported)"
        )
    return float(p)


def variance_args(dim, unbiased, correction) -> tuple[Any, float]:
    """``var``/``std`` arguments as ``(dim, correction)``: ``x.var(False)`` is PyTorch's
    positional ``unbiased``, and ``correction`` (when given) wins over ``unbiased``.

    Examples:
        >>> from flowkit.ops.reduction import variance_args
        >>> variance_args(None, True, None), variance_args(False, True, None)
        ((None, 1), (None, 0))
    """
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return dim, ((1 if unbiased else 0) if correction is None else correction)


def topk_k(k, n: int) -> int:
    """``topk``'s ``k`` as an int, checked against ``n``, the size of the dimension.

    Examples:
        >>> from flowkit.ops.reduction import topk_k
        >>> topk_k(2, 5)
        2
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise ArgumentTypeError(f"topk(): k must be an int, got {type(k).__name__}")
    if not 0 <= k <= n:
        raise ArgumentValueError(
            f"topk(): k={k} is out of range for a dimension of size {n}; pass 0 <= k <= {n}"
        )
    return int(k)


def no_bool(op: str, dt) -> None:
    """``cumsum``/``median``/... keep PyTorch's dtype rules; ``sort`` of bools is refused
    where PyTorch has no kernel (median)."""
    if dt.name == "bool":
        raise DTypeError(f"{op}() is not defined for bool tensors; convert with .int() first")


def cum_dtype(dt, dtype):
    """The dtype ``cumsum``/``cumprod``/``nansum`` compute in: ``dtype`` when given, int64 for
    integers and bools (PyTorch's accumulation), else the tensor's own.

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.ops.reduction import cum_dtype
        >>> cum_dtype(flow.int32, None), cum_dtype(flow.float32, None), cum_dtype(flow.int8, "int8")
        (flowkit.int64, flowkit.float32, flowkit.int8)
    """
    if dtype is not None:
        return _dt.to_dtype(dtype)
    return _dt.int64 if not dt.is_floating_point else dt


# ============================================================================ the methods
class ReductionMethods:
    """Reduction methods of [`flowkit.Tensor`][flowkit.Tensor]."""

    __slots__ = ()

    @backend_method
    def sum(self, dim: Dims = None, keepdim: bool = False, dtype: DTypeLike = None) -> Tensor:
        """Sum of all elements, or over ``dim`` (an int or a tuple).

        Args:
            dim: the dimension(s) to reduce; ``None`` (or ``()``) for all.
            keepdim: keep each reduced dimension with size 1.
            dtype: the result's dtype (integers and bools sum in int64 by default).

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([[1, 2], [3, 4]])
            >>> x.sum(), x.sum(dim=0)
            (tensor(10, dtype=flowkit.int64), tensor([4, 6], dtype=flowkit.int64))
            >>> x.sum(1, keepdim=True).shape
            flowkit.Size([2, 1])
        """

    @backend_method
    def mean(self, dim: Dims = None, keepdim: bool = False) -> Tensor:
        """Mean of all elements, or over ``dim``.

        Raises:
            DTypeError: an integer or bool tensor (call ``.float()`` first, as in PyTorch).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([[1.0, 2.0], [3.0, 5.0]]).mean(dim=1)
            tensor([1.5000, 4.0000], dtype=flowkit.float32)
        """

    @backend_method
    def prod(
        self, dim: int | None = None, keepdim: bool = False, dtype: DTypeLike = None
    ) -> Tensor:
        """Product of all elements, or along one dimension ``dim`` (integers in int64).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([[1, 2], [3, 4]]).prod(dim=1)
            tensor([ 2, 12], dtype=flowkit.int64)
        """

    @backend_method
    def max(self, dim: int | Tensor | None = None, keepdim: bool = False) -> Any:
        """The largest value (0-d); along ``dim``, the named pair ``(values, indices)``; with a
        tensor, the elementwise [`maximum`][flowkit.Tensor.maximum]. Ties share the gradient, as in
        PyTorch.

        Raises:
            ShapeError: the tensor (or the dimension) is empty.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([[1, 5], [7, 2]])
            >>> x.max(), x.max(dim=1).indices
            (tensor(7, dtype=flowkit.int64), tensor([1, 0], dtype=flowkit.int64))
        """

    @backend_method
    def min(self, dim: int | Tensor | None = None, keepdim: bool = False) -> Any:
        """The smallest value (0-d); along ``dim``, the named pair ``(values, indices)``; with a
        tensor, the elementwise [`minimum`][flowkit.Tensor.minimum].

        Examples:
            >>> import flowkit as flow
            >>> values, indices = flow.tensor([[1, 5], [7, 2]]).min(dim=0)
            >>> values, indices
            (tensor([1, 2], dtype=flowkit.int64), tensor([0, 1], dtype=flowkit.int64))
        """

    @backend_method
    def amax(self, dim: Dims = (), keepdim: bool = False) -> Tensor:
        """The largest value over ``dim`` (one dimension or several; ``()``, the default, or
        ``None``: all of them), without indices. Unlike [`max`][flowkit.Tensor.max] along a
        dimension, equal maxima share the gradient evenly. NaN wins.

        Raises:
            ShapeError: a reduced dimension is empty (the maximum of nothing has no value).

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([[1.0, 3.0], [3.0, 2.0]], requires_grad=True)
            >>> x.amax(dim=(0, 1)).backward()
            >>> x.amax(dim=1)
            tensor([3., 3.], dtype=flowkit.float32, grad_fn=<AmaxBackward>)
            >>> x.grad
            tensor([[0.0000, 0.5000],
                    [0.5000, 0.0000]], dtype=flowkit.float32)
        """

    @backend_method
    def amin(self, dim: Dims = (), keepdim: bool = False) -> Tensor:
        """The smallest value over ``dim`` (one dimension or several; ``()``: all), without
        indices; equal minima share the gradient evenly. NaN wins.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([[4, 2], [1, 5]]).amin(dim=0, keepdim=True)
            tensor([[1, 2]], dtype=flowkit.int64)
        """

    @backend_method
    def logsumexp(self, dim: int | Sequence[int], keepdim: bool = False) -> Tensor:
        """``log(sum(exp(self)))`` over ``dim`` (one dimension or several), computed without
        overflow (the maximum is taken out first); integers give float32. Its gradient is the
        softmax over ``dim``.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([[0.0, 0.0], [1000.0, 1000.0]], requires_grad=True)
            >>> y = x.logsumexp(dim=1)
            >>> y.sum().backward()
            >>> y, x.grad
            (tensor([6.9315e-01, 1.0007e+03], dtype=flowkit.float32,
                   grad_fn=<LogsumexpBackward>), tensor([[0.5000, 0.5000],
                    [0.5000, 0.5000]], dtype=flowkit.float32))
        """

    @backend_method
    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """The (int64) index of the largest value in the flattened tensor, or along ``dim``.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([[1, 5], [7, 2]]).argmax(), flow.tensor([[1, 5], [7, 2]]).argmax(1)
            (tensor(2, dtype=flowkit.int64), tensor([1, 0], dtype=flowkit.int64))
        """

    @backend_method
    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """The (int64) index of the smallest value in the flattened tensor, or along ``dim``.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([[1, 5], [7, 2]]).argmin(dim=0)
            tensor([0, 1], dtype=flowkit.int64)
        """

    @backend_method
    def var(
        self,
        dim: Dims = None,
        unbiased: bool = True,
        keepdim: bool = False,
        *,
        correction: float | None = None,
    ) -> Tensor:
        """Variance, divided by ``n - 1`` (Bessel's correction) unless ``unbiased=False``;
        ``correction`` sets the subtracted number directly.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([1.0, 2.0, 3.0, 4.0])
            >>> x.var(), x.var(unbiased=False)
            (tensor(1.6667, dtype=flowkit.float32), tensor(1.2500, dtype=flowkit.float32))
        """

    @backend_method
    def std(
        self,
        dim: Dims = None,
        unbiased: bool = True,
        keepdim: bool = False,
        *,
        correction: float | None = None,
    ) -> Tensor:
        """Standard deviation: the square root of [`var`][flowkit.Tensor.var].

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([[1.0, 3.0], [2.0, 2.0]]).std(dim=1)
            tensor([1.4142, 0.0000], dtype=flowkit.float32)
        """

    @backend_method
    def norm(self, p: float | str = "fro", dim: Dims = None, keepdim: bool = False) -> Tensor:
        """The vector ``p``-norm of all elements (or along ``dim``); ``"fro"`` means 2, and
        ``inf``/``-inf`` the largest/smallest absolute value.

        Raises:
            ValueError: a matrix norm such as ``"nuc"``.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([3.0, -4.0])
            >>> x.norm(), x.norm(p=1)
            (tensor(5., dtype=flowkit.float32), tensor(7., dtype=flowkit.float32))
            >>> x.norm(p=float("inf"))
            tensor(4., dtype=flowkit.float32)
        """

    @backend_method
    def sort(self, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
        """The values sorted along ``dim`` (ascending, or ``descending``) and where each came
        from: the named pair ``(values, indices)``. NaN sorts above every number, as in
        PyTorch. flowkit always sorts stably (equal values keep their order; ``stable=True`` is
        accepted and changes nothing), so both backends give the same indices. The gradient
        goes back to the position each value came from.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 0.0]])
            >>> x.sort()  # doctest: +NORMALIZE_WHITESPACE
            flowkit.return_types.sort(
            values=tensor([[1., 2., 3.],
                    [0., 0., 5.]], dtype=flowkit.float32),
            indices=tensor([[1, 2, 0],
                    [0, 2, 1]], dtype=flowkit.int64))
            >>> x.sort(dim=0, descending=True).indices
            tensor([[0, 1, 0],
                    [1, 0, 1]], dtype=flowkit.int64)
        """

    @backend_method
    def argsort(self, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
        """The (int64) indices that sort the tensor along ``dim``: ``sort(...).indices``
        (stable, as [`sort`][flowkit.Tensor.sort]).

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([3, 1, 2, 1])
            >>> x.argsort(), x.argsort(descending=True)
            (tensor([1, 3, 2, 0], dtype=flowkit.int64), tensor([0, 2, 1, 3], dtype=flowkit.int64))
        """

    @backend_method
    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
        """The ``k`` largest (or smallest, ``largest=False``) values along ``dim`` and their
        indices, the named pair ``(values, indices)``. The values always come sorted (largest
        first, or smallest first); among equal values the first one wins, on every backend.

        Raises:
            ArgumentValueError: ``k`` is negative or larger than the dimension.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([1.0, 4.0, 2.0, 5.0], requires_grad=True)
            >>> values, indices = x.topk(2)
            >>> values.sum().backward()
            >>> values.tolist(), indices.tolist(), x.grad.tolist()
            ([5.0, 4.0], [3, 1], [0.0, 1.0, 0.0, 1.0])
        """

    @backend_method
    def median(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """Without ``dim``: the median of all elements, a 0-d tensor; with an even number of
        elements it is the *lower* of the two middle values (no mean), as in PyTorch. With
        ``dim``: the named pair ``(values, indices)`` along it. NaN propagates: a NaN in the
        reduced values gives NaN (and its index). The gradient goes to the chosen element.

        Raises:
            ShapeError: the tensor (or the dimension) is empty.
            DTypeError: a bool tensor.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([[4.0, 1.0, 3.0, 2.0], [0.0, 9.0, 8.0, 7.0]])
            >>> x.median()
            tensor(3., dtype=flowkit.float32)
            >>> x.median(dim=1)
            flowkit.return_types.median(
            values=tensor([2., 7.], dtype=flowkit.float32),
            indices=tensor([3, 3], dtype=flowkit.int64))
        """

    @backend_method
    def nansum(self, dim: Dims = None, keepdim: bool = False, *, dtype: DTypeLike = None) -> Tensor:
        """[`sum`][flowkit.Tensor.sum] with NaN counted as zero (their gradient is zero).

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([[1.0, float("nan")], [2.0, 3.0]])
            >>> x.nansum(), x.nansum(dim=1)
            (tensor(6., dtype=flowkit.float32), tensor([1., 5.], dtype=flowkit.float32))
        """

    @backend_method
    def cumsum(self, dim: int, *, dtype: DTypeLike = None) -> Tensor:
        """Running sums along ``dim``: element ``i`` is the sum of elements ``0..i``. Integers
        and bools accumulate in int64 (PyTorch's rule); ``dtype`` converts the tensor first.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([[1, 2, 3], [4, 5, 6]]).cumsum(dim=1)
            tensor([[ 1,  3,  6],
                    [ 4,  9, 15]], dtype=flowkit.int64)
            >>> flow.tensor([1, 2, 3]).cumsum(0, dtype=flow.float32)
            tensor([1., 3., 6.], dtype=flowkit.float32)
        """

    @backend_method
    def cumprod(self, dim: int, *, dtype: DTypeLike = None) -> Tensor:
        """Running products along ``dim`` (integers and bools in int64; ``dtype`` converts
        first). The gradient is exact where elements are zero.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([2.0, 0.0, 3.0], requires_grad=True)
            >>> y = x.cumprod(dim=0)
            >>> y.sum().backward()
            >>> y.tolist(), x.grad.tolist()
            ([2.0, 0.0, 0.0], [1.0, 8.0, 0.0])
        """

    @backend_method
    def any(self, dim: Dims = None, keepdim: bool = False) -> Tensor:
        """Whether any element is true (non-zero), overall or along ``dim``, as a bool tensor.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([[0, 1], [0, 0]]).any(dim=1)
            tensor([ True, False], dtype=flowkit.bool)
        """

    @backend_method
    def all(self, dim: Dims = None, keepdim: bool = False) -> Tensor:
        """Whether every element is true (non-zero), overall or along ``dim``.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([[1, 1], [0, 1]]).all(), flow.tensor([[1, 1], [0, 1]]).all(0)
            (tensor(False, dtype=flowkit.bool), tensor([False,  True], dtype=flowkit.bool))
        """


# ============================================================================ function forms
def sum(input: Tensor, dim: Dims = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Sum of all elements, or along ``dim`` (an int or a tuple), keeping it with ``keepdim``.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([[1, 2], [3, 4]])
        >>> flow.sum(x), flow.sum(x, dim=0)
        (tensor(10, dtype=flowkit.int64), tensor([4, 6], dtype=flowkit.int64))
    """
    need_tensor("sum", input)
    return input.sum(dim, keepdim)


def mean(input: Tensor, dim: Dims = None, keepdim: bool = False) -> Tensor:
    """Mean of all elements, or along ``dim``.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> flow.mean(x), flow.mean(x, dim=1, keepdim=True).shape
        (tensor(2.5000, dtype=flowkit.float32), flowkit.Size([2, 1]))
    """
    need_tensor("mean", input)
    return input.mean(dim, keepdim)


def max(
    input: Tensor,
    dim: int | Tensor | None = None,  # noqa: A001 - PyTorch's name
    keepdim: bool = False,
) -> Any:
    """The largest value; with ``dim``, ``(values, indices)``; with a tensor, ``maximum``.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([[1, 5], [7, 2]])
        >>> flow.max(x).item(), flow.max(x, dim=1).indices.tolist()
        (7, [1, 0])
    """
    need_tensor("max", input)
    return input.max(dim, keepdim)


def min(
    input: Tensor,
    dim: int | Tensor | None = None,  # noqa: A001
    keepdim: bool = False,
) -> Any:
    """The smallest value; with ``dim``, ``(values, indices)``; with a tensor, ``minimum``.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([[1, 5], [7, 2]])
        >>> flow.min(x).item(), flow.min(x, dim=1).values.tolist()
        (1, [1, 2])
    """
    need_tensor("min", input)
    return input.min(dim, keepdim)


def amax(input: Tensor, dim: Dims = (), keepdim: bool = False) -> Tensor:
    """The largest value over ``dim`` (several dims allowed; ``()``: all), without indices.

    Examples:
        >>> import flowkit as flow
        >>> flow.amax(flow.tensor([[1, 5], [7, 2]]), dim=(0, 1))
        tensor(7, dtype=flowkit.int64)
    """
    need_tensor("amax", input)
    return input.amax(dim, keepdim)


def amin(input: Tensor, dim: Dims = (), keepdim: bool = False) -> Tensor:
    """The smallest value over ``dim`` (several dims allowed; ``()``: all), without indices.

    Examples:
        >>> import flowkit as flow
        >>> flow.amin(flow.tensor([[1, 5], [7, 2]]), dim=1)
        tensor([1, 2], dtype=flowkit.int64)
    """
    need_tensor("amin", input)
    return input.amin(dim, keepdim)


def logsumexp(input: Tensor, dim: int | Sequence[int], keepdim: bool = False) -> Tensor:
    """``log(sum(exp(input)))`` over ``dim``, without overflow.

    Examples:
        >>> import flowkit as flow
        >>> flow.logsumexp(flow.tensor([[1.0, 2.0], [3.0, 4.0]]), dim=(0, 1))
        tensor(4.4402, dtype=flowkit.float32)
    """
    need_tensor("logsumexp", input)
    return input.logsumexp(dim, keepdim)


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """The (int64) index of the largest value, in the flattened tensor or along ``dim``.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([[1, 5], [7, 2]])
        >>> flow.argmax(x), flow.argmax(x, dim=1)
        (tensor(2, dtype=flowkit.int64), tensor([1, 0], dtype=flowkit.int64))
    """
    need_tensor("argmax", input)
    return input.argmax(dim, keepdim)


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """The (int64) index of the smallest value, in the flattened tensor or along ``dim``.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([[1, 5], [7, 2]])
        >>> flow.argmin(x), flow.argmin(x, dim=0)
        (tensor(0, dtype=flowkit.int64), tensor([0, 1], dtype=flowkit.int64))
    """
    need_tensor("argmin", input)
    return input.argmin(dim, keepdim)


def prod(
    input: Tensor, dim: int | None = None, keepdim: bool = False, dtype: DTypeLike = None
) -> Tensor:
    """Product of all elements, or along ``dim`` (integers multiply in int64).

    Examples:
        >>> import flowkit as flow
        >>> flow.prod(flow.tensor([[1, 2], [3, 4]]), dim=1)
        tensor([ 2, 12], dtype=flowkit.int64)
    """
    need_tensor("prod", input)
    return input.prod(dim, keepdim, dtype)


def var(
    input: Tensor,
    dim: Dims = None,
    unbiased: bool = True,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> Tensor:
    """Variance (divided by n - 1 unless ``unbiased=False``).

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([1.0, 2.0, 3.0, 4.0])
        >>> flow.var(x), flow.var(x, unbiased=False)
        (tensor(1.6667, dtype=flowkit.float32), tensor(1.2500, dtype=flowkit.float32))
    """
    need_tensor("var", input)
    return input.var(dim, unbiased, keepdim, correction=correction)


def std(
    input: Tensor,
    dim: Dims = None,
    unbiased: bool = True,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> Tensor:
    """Standard deviation (with n - 1 unless ``unbiased=False``).

    Examples:
        >>> import flowkit as flow
        >>> flow.std(flow.tensor([1.0, 2.0, 3.0, 4.0]))
        tensor(1.2910, dtype=flowkit.float32)
    """
    need_tensor("std", input)
    return input.std(dim, unbiased, keepdim, correction=correction)


def norm(input: Tensor, p: float | str = "fro", dim: Dims = None, keepdim: bool = False) -> Tensor:
    """The vector ``p``-norm (2 by default) of all elements, or along ``dim``.

    Examples:
        >>> import flowkit as flow
        >>> flow.norm(flow.tensor([3.0, 4.0])), flow.norm(flow.tensor([3.0, -4.0]), p=1)
        (tensor(5., dtype=flowkit.float32), tensor(7., dtype=flowkit.float32))
    """
    need_tensor("norm", input)
    return input.norm(p, dim, keepdim)


def any(input: Tensor, dim: Dims = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Whether any element is true (non-zero), overall or along ``dim``.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([[0, 1], [0, 0]])
        >>> flow.any(x), flow.any(x, dim=1)
        (tensor(True, dtype=flowkit.bool), tensor([ True, False], dtype=flowkit.bool))
    """
    need_tensor("any", input)
    return input.any(dim, keepdim)


def all(input: Tensor, dim: Dims = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Whether every element is true (non-zero), overall or along ``dim``.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([[1, 1], [0, 1]])
        >>> flow.all(x), flow.all(x, dim=1)
        (tensor(False, dtype=flowkit.bool), tensor([ True, False], dtype=flowkit.bool))
    """
    need_tensor("all", input)
    return input.all(dim, keepdim)


def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
    """The named pair ``(values, indices)`` of ``input`` sorted along ``dim`` (always stable).

    Examples:
        >>> import flowkit as flow
        >>> flow.sort(flow.tensor([3, 1, 2]), descending=True).values
        tensor([3, 2, 1], dtype=flowkit.int64)
    """
    need_tensor("sort", input)
    return input.sort(dim, descending, stable=stable)


def argsort(
    input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False
) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (always stable).

    Examples:
        >>> import flowkit as flow
        >>> flow.argsort(flow.tensor([[2, 1], [0, 3]]), dim=0)
        tensor([[1, 0],
                [0, 1]], dtype=flowkit.int64)
    """
    need_tensor("argsort", input)
    return input.argsort(dim, descending, stable=stable)


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    """The ``k`` largest (or smallest) values along ``dim`` and their indices.

    Examples:
        >>> import flowkit as flow
        >>> flow.topk(flow.tensor([1, 4, 2, 5]), 2, largest=False).indices
        tensor([0, 2], dtype=flowkit.int64)
    """
    need_tensor("topk", input)
    return input.topk(k, dim, largest, sorted)


def median(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median of all elements, or ``(values, indices)`` along ``dim``.

    Examples:
        >>> import flowkit as flow
        >>> flow.median(flow.tensor([4, 1, 3, 2]))
        tensor(2, dtype=flowkit.int64)
    """
    need_tensor("median", input)
    return input.median(dim, keepdim)


def nansum(
    input: Tensor, dim: Dims = None, keepdim: bool = False, *, dtype: DTypeLike = None
) -> Tensor:
    """The sum with NaN counted as zero.

    Examples:
        >>> import flowkit as flow
        >>> flow.nansum(flow.tensor([1.0, float("nan"), 2.0]))
        tensor(3., dtype=flowkit.float32)
    """
    need_tensor("nansum", input)
    return input.nansum(dim, keepdim, dtype=dtype)


def cumsum(input: Tensor, dim: int, *, dtype: DTypeLike = None) -> Tensor:
    """Running sums along ``dim`` (integers in int64).

    Examples:
        >>> import flowkit as flow
        >>> flow.cumsum(flow.tensor([1.0, 2.0, 3.0]), dim=0)
        tensor([1., 3., 6.], dtype=flowkit.float32)
    """
    need_tensor("cumsum", input)
    return input.cumsum(dim, dtype=dtype)


def cumprod(input: Tensor, dim: int, *, dtype: DTypeLike = None) -> Tensor:
    """Running products along ``dim`` (integers in int64).

    Examples:
        >>> import flowkit as flow
        >>> flow.cumprod(flow.tensor([1, 2, 3, 4]), dim=0)
        tensor([ 1,  2,  6, 24], dtype=flowkit.int64)
    """
    need_tensor("cumprod", input)
    return input.cumprod(dim, dtype=dtype)
