"""Linear algebra: the matrix product (``@``, ``matmul``, ``mm``).

``matmul`` follows PyTorch's rules: 1-d operands are vectors (a dimension is added for the
product and removed after), and batch dimensions broadcast. Both operands must have the same
dtype: flowkit does not promote inside a matrix product, as PyTorch does not. (See
`flowkit.ops` for how a family module is laid out.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import _plugins
from ..errors import ArgumentTypeError, DTypeError, ShapeError, shape_str
from ._contract import backend_method, foreign_array_error, need_tensor

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["matmul", "mm"]


# ============================================================================ rules and errors
def operand_error(other: object, position: str = "second") -> TypeError:
    """An operand of a matrix product (``position``: "first" or "second") is not a flowkit
    tensor (another library's array gets `foreign_array_error`'s
    message)."""
    err = foreign_array_error("matmul", other, f"the {position} operand")
    if err is not None:
        return err
    return ArgumentTypeError(
        f"matmul: expected a flowkit tensor as the {position} operand, got "
        f"{type(other).__name__}; make one with flowkit.tensor(...)"
    )


def rmatmul_operand(other: object):
    """What ``__rmatmul__`` (``other @ tensor``, ``other`` not a flowkit tensor) returns:
    ``NotImplemented``, so Python raises its TypeError as PyTorch does, except for another
    library's array (``np.ones((2, 2)) @ x``), which raises the error naming it and the fix."""
    err = foreign_array_error("matmul", other, "the first operand")
    if err is not None:
        raise err
    return NotImplemented


def matmul_error(a_shape, a_dtype, b_shape, b_dtype) -> Exception | None:
    """Why ``a @ b`` cannot be computed from the operands' shapes and dtypes, or ``None`` (the
    backend's own failure stands). Metadata only: a backend calls it before its kernel where its
    kernel would accept what PyTorch refuses (numpy multiplies mixed dtypes), or after a failure.

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.ops.linalg import matmul_error
        >>> print(matmul_error((2, 3), flow.float32, (2, 3), flow.float32))
        matmul: shapes (2, 3) and (2, 3) do not fit: the last dimension of the first (3) ...
    """
    if a_dtype != b_dtype:
        return DTypeError(
            f"matmul: both operands must have the same dtype, got {a_dtype!r} and {b_dtype!r}; "
            f"convert one with .to({a_dtype!r})"
        )
    a_shape, b_shape = tuple(a_shape), tuple(b_shape)
    if not a_shape or not b_shape:
        return ShapeError(
            "matmul: both operands need at least one dimension, got a 0-d tensor; "
            "use * to multiply by a scalar"
        )
    k_b = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
    try:  # the batch dimensions must broadcast too
        np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
        fits = a_shape[-1] == k_b
    except ValueError:
        fits = False
    if fits:
        return None
    return ShapeError(
        f"matmul: shapes {shape_str(a_shape)} and {shape_str(b_shape)} do not fit: the last "
        f"dimension of the first ({a_shape[-1]}) must equal the "
        f"{'first' if len(b_shape) == 1 else 'second-to-last'} dimension of the second ({k_b})"
    )


# ============================================================================ the methods
class LinalgMethods:
    """The matrix-product methods of [`flowkit.Tensor`][flowkit.Tensor]."""

    __slots__ = ()

    @backend_method
    def matmul(self, other: Tensor) -> Tensor:
        """Matrix product with PyTorch's rules (1-d operands, batch broadcasting).

        Raises:
            ShapeError: the inner dimensions differ, or an operand is 0-d.
            DTypeError: the operands' dtypes differ.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([[1.0, 2.0], [3.0, 4.0]]).matmul(flow.tensor([1.0, 1.0]))
            tensor([3., 7.], dtype=flowkit.float32)
        """

    @backend_method
    def __matmul__(self, other: Tensor) -> Tensor:
        """``self @ other``: see [`matmul`][flowkit.Tensor.matmul].

        Examples:
            >>> import flowkit as flow
            >>> (flow.ones(4, 2) @ flow.ones(2, 3)).shape
            flowkit.Size([4, 3])
        """

    @backend_method
    def __rmatmul__(self, other: object) -> Tensor:
        """``other @ self`` where ``other`` is not a flowkit tensor: refused (``NotImplemented``,
        so Python raises TypeError; a numpy array or a torch tensor raises
        [`ArgumentTypeError`][flowkit.errors.ArgumentTypeError]): wrap it with ``flowkit.tensor``
        first.

        Examples:
            >>> import flowkit as flow
            >>> flow.ones(2).__rmatmul__([1.0, 2.0])
            NotImplemented
        """


# ============================================================================ function forms
def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with PyTorch's rules (1-d operands, batch broadcasting).

    ``flowkit.mm`` is another name for this function.

    Examples:
        >>> import flowkit as flow
        >>> flow.matmul(flow.ones(4, 2), flow.ones(2, 1)).shape
        flowkit.Size([4, 1])
    """
    need_tensor("matmul", input)
    return _plugins.get().matmul(input, other)


mm = matmul
