"""``flowkit.linalg``: the linear-algebra namespace of OneFlow and PyTorch (``flow.linalg.inv``,
``flow.linalg.norm``, ...), written over flowkit's own ops, so every function runs on every
backend and differentiates (twice, where its ops do) with no backend code of its own.

Decompositions (``svd``, ``qr``, ``eig``) and what needs them (``det``, ``solve``, the nuclear
and spectral matrix norms) are not here yet: they raise an error that says so.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .errors import ArgumentValueError, ShapeError, shape_str

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["cross", "inv", "matrix_norm", "norm", "vector_norm"]


def inv(input: Tensor) -> Tensor:
    """The inverse of a square matrix, or of each matrix of a batch ``(..., n, n)``: the same
    function as [`flowkit.inverse`][flowkit.ops.linalg.inverse].

    Examples:
        >>> import flowkit as flow
        >>> flow.linalg.inv(flow.tensor([[2.0, 0.0], [0.0, 4.0]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.2500]], dtype=flowkit.float32)
    """
    return input.inverse()


def vector_norm(
    input: Tensor, ord: float = 2, dim: int | tuple[int, ...] | None = None, keepdim: bool = False
) -> Tensor:
    """The vector ``ord``-norm of ``input`` over ``dim`` (all elements when ``dim`` is None, as
    if flattened): ``sum(|x|**ord) ** (1/ord)``; ``inf``/``-inf`` give the largest/smallest
    absolute value, ``0`` the number of non-zero elements.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([[3.0, -4.0], [0.0, 12.0]])
        >>> flow.linalg.vector_norm(x), flow.linalg.vector_norm(x, ord=1, dim=1)
        (tensor(13., dtype=flowkit.float32), tensor([ 7., 12.], dtype=flowkit.float32))
        >>> flow.linalg.vector_norm(x, ord=float("inf"))
        tensor(12., dtype=flowkit.float32)
    """
    if isinstance(ord, str):
        raise ArgumentValueError(
            f"linalg.vector_norm: ord must be a number, inf or -inf, got {ord!r} (for 'fro' "
            "or 'nuc' use flowkit.linalg.matrix_norm)"
        )
    if dim is None:
        return (
            input.reshape(-1)
            .norm(p=ord, dim=0, keepdim=False)
            .reshape((1,) * input.ndim if keepdim else ())
        )
    return input.norm(p=ord, dim=dim, keepdim=keepdim)


def _matrix_dims(op: str, input: Tensor, dim) -> tuple[int, int]:
    if input.ndim < 2:
        raise ShapeError(
            f"linalg.{op}: a matrix norm needs at least 2 dimensions, got shape "
            f"{shape_str(input.shape)} (for a vector use flowkit.linalg.vector_norm)"
        )
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise ArgumentValueError(f"linalg.{op}: dim must be a pair of dimensions, got {dim!r}")
    d0, d1 = (int(d) % input.ndim for d in dim)
    if d0 == d1:
        raise ArgumentValueError(f"linalg.{op}: dim must name two different dimensions: {dim!r}")
    return d0, d1


def matrix_norm(
    input: Tensor, ord: float | str = "fro", dim: tuple[int, int] = (-2, -1), keepdim: bool = False
) -> Tensor:
    """The matrix norm of each matrix over the dimensions ``dim`` (default: the last two):
    ``'fro'`` (Frobenius, the square root of the sum of squares), ``1``/``-1`` (the
    largest/smallest column sum of absolute values), ``inf``/``-inf`` (the largest/smallest
    row sum). The nuclear norm ``'nuc'`` and the spectral norms ``2``/``-2`` need a singular
    value decomposition, which flowkit does not have yet: they raise.

    Examples:
        >>> import flowkit as flow
        >>> a = flow.tensor([[1.0, -2.0], [3.0, 4.0]])
        >>> flow.linalg.matrix_norm(a)
        tensor(5.4772, dtype=flowkit.float32)
        >>> flow.linalg.matrix_norm(a, ord=1), flow.linalg.matrix_norm(a, ord=float("inf"))
        (tensor(6., dtype=flowkit.float32), tensor(7., dtype=flowkit.float32))
    """
    d0, d1 = _matrix_dims("matrix_norm", input, dim)
    if ord == "fro":
        return input.norm(p=2, dim=(d0, d1), keepdim=keepdim)
    if ord in ("nuc", 2, -2):
        raise ArgumentValueError(
            f"linalg.matrix_norm: ord={ord!r} needs singular values, which flowkit does not "
            "compute yet; 'fro', 1, -1, inf and -inf are supported"
        )
    if ord in (1, -1):  # columns: sum over the row dimension, then over columns
        sums, other = input.abs().sum(dim=d0, keepdim=True), d1
    elif ord in (math.inf, -math.inf):
        sums, other = input.abs().sum(dim=d1, keepdim=True), d0
    else:
        raise ArgumentValueError(
            f"linalg.matrix_norm: ord must be 'fro', 1, -1, inf or -inf, got {ord!r}"
        )
    out = sums.amax(dim=other, keepdim=True) if ord > 0 else sums.amin(dim=other, keepdim=True)
    return out if keepdim else out.squeeze(max(d0, d1)).squeeze(min(d0, d1))


def norm(
    input: Tensor,
    ord: float | str | None = None,
    dim: int | tuple[int, ...] | None = None,
    keepdim: bool = False,
) -> Tensor:
    """A vector or a matrix norm, as ``torch.linalg.norm``: with ``dim`` an int (or ``input``
    1-d) a [vector norm][flowkit.linalg.vector_norm], with ``dim`` a pair (or ``input`` 2-d and
    ``ord`` given) a [matrix norm][flowkit.linalg.matrix_norm]; without ``ord`` and ``dim``, the
    2-norm of all elements.

    Examples:
        >>> import flowkit as flow
        >>> a = flow.tensor([[1.0, -2.0], [3.0, 4.0]])
        >>> flow.linalg.norm(a), flow.linalg.norm(a, ord=1)
        (tensor(5.4772, dtype=flowkit.float32), tensor(6., dtype=flowkit.float32))
        >>> flow.linalg.norm(a, dim=1)
        tensor([2.2361, 5.0000], dtype=flowkit.float32)
    """
    if dim is None:
        if ord is None:
            return vector_norm(input, 2, None, keepdim)
        if input.ndim == 1:
            return vector_norm(input, ord, None, keepdim)  # type: ignore[arg-type]
        if input.ndim == 2:
            return matrix_norm(input, ord, (-2, -1), keepdim)
        raise ShapeError(
            f"linalg.norm: with ord={ord!r} and no dim the input must be 1-d or 2-d, got shape "
            f"{shape_str(input.shape)}; name the dimensions with dim="
        )
    if isinstance(dim, int) or len(dim) == 1:
        return vector_norm(input, 2 if ord is None else ord, dim, keepdim)  # type: ignore[arg-type]
    return matrix_norm(input, "fro" if ord is None else ord, tuple(dim), keepdim)  # type: ignore[arg-type]


def cross(input: Tensor, other: Tensor, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (default: the last dimension, as
    ``torch.linalg.cross``; [`flowkit.cross`][flowkit.ops.linalg.cross] without ``dim`` takes the
    first dimension of size 3, as OneFlow's and ``torch.cross``).

    Examples:
        >>> import flowkit as flow
        >>> flow.linalg.cross(flow.tensor([1.0, 0.0, 0.0]), flow.tensor([0.0, 1.0, 0.0]))
        tensor([0., 0., 1.], dtype=flowkit.float32)
    """
    return input.cross(other, dim=dim)
