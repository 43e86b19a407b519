"""Indexing and selection: ``t[key]``, ``t[key] = value``, ``where``, ``masked_fill``.

Keys follow numpy's (and PyTorch's) rules: ints, slices (negative steps too), ``...``, ``None``,
and integer or bool tensors and lists. An error names the part of the key at fault. (See
`flowkit.ops` for how a family module is laid out.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _plugins
from ..errors import DTypeError, ShapeError, shape_str
from ._contract import Number, Operand, backend_method, need_tensor

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["masked_fill", "where"]


# ============================================================================ rules and errors
def _as_index_array(k):
    from ..tensor import Tensor

    if isinstance(k, Tensor):
        return k.numpy()
    if isinstance(k, (list, np.ndarray)):
        try:
            return np.asarray(k)
        except ValueError:
            return None
    return None


def index_error(key, shape) -> IndexError:
    """The error for ``t[key]`` on a tensor of ``shape``, naming the part of ``key`` at fault."""
    shape = tuple(shape)
    items = key if isinstance(key, tuple) else (key,)
    widths: list[int | None] = []
    for k in items:
        if k is None:
            widths.append(0)
        elif k is Ellipsis:
            widths.append(None)
        elif isinstance(k, slice) or isinstance(k, (int, np.integer)):
            widths.append(1)
        else:
            arr = _as_index_array(k)
            if arr is None or arr.dtype.kind not in "biu":
                what = (
                    f"a tensor or list of {arr.dtype}"
                    if arr is not None
                    else f"a {type(k).__name__}"
                )
                return IndexError(
                    f"index {key!r}: indices must be integers, slices (:), ellipsis (...), None, "
                    f"or integer or bool tensors (or lists), not {what}"
                )
            widths.append(arr.ndim if arr.dtype.kind == "b" else 1)
    used = sum(w for w in widths if w is not None)
    if used > len(shape):
        return IndexError(
            f"too many indices for a tensor of shape {shape_str(shape)}: "
            f"{used} dimensions indexed, the tensor has {len(shape)}"
        )
    d = 0
    for k, w in zip(items, widths):
        if w is None:
            d += len(shape) - used
            continue
        if isinstance(k, (int, np.integer)) and not isinstance(k, bool):
            n = shape[d]
            if not -n <= k < n:
                return IndexError(
                    f"index {int(k)} is out of range for dimension {d} of size "
                    f"{n} (shape {shape_str(shape)})"
                )
        elif w and not isinstance(k, slice):
            arr = _as_index_array(k)
            if arr.dtype.kind == "b":
                part = shape[d : d + arr.ndim]
                if arr.shape != part:
                    return IndexError(
                        f"a boolean mask of shape {shape_str(arr.shape)} does not match the "
                        f"shape {shape_str(part)} of the dimensions it indexes (from dimension "
                        f"{d} of a tensor of shape {shape_str(shape)})"
                    )
            elif arr.size:
                n = shape[d]
                bad = arr[(arr < -n) | (arr >= n)]
                if bad.size:
                    return IndexError(
                        f"index {int(bad.reshape(-1)[0])} is out of range for "
                        f"dimension {d} of size {n} (shape {shape_str(shape)})"
                    )
        d += w
    return IndexError(f"index {key!r} is not valid for a tensor of shape {shape_str(shape)}")


def assign_error(value_shape, slot_shape) -> ShapeError:
    """``t[key] = value`` where ``value`` does not broadcast to the indexed part."""
    return ShapeError(
        f"item assignment: a value of shape {shape_str(value_shape)} cannot be broadcast to the "
        f"indexed part of shape {shape_str(slot_shape)}"
    )


def where_condition_error(condition) -> Exception:
    """``where``'s condition is not a bool tensor."""
    from ..tensor import Tensor

    if not isinstance(condition, Tensor):
        return TypeError(
            f"where: the condition must be a flowkit bool tensor, got {type(condition).__name__}"
        )
    return DTypeError(
        f"where: the condition must be a bool tensor, got {condition.dtype!r}; "
        "make one with a comparison (x > 0) or .bool()"
    )


def where_shape_error(c_shape, x_shape, y_shape) -> ShapeError:
    return ShapeError(
        f"where: condition of shape {shape_str(c_shape)}, input of shape "
        f"{shape_str(x_shape)} and other of shape {shape_str(y_shape)} cannot be "
        "broadcast together"
    )


def mask_error(mask) -> DTypeError:
    """``masked_fill``'s mask is not a bool tensor."""
    from ..tensor import Tensor

    got = repr(mask.dtype) if isinstance(mask, Tensor) else type(mask).__name__
    return DTypeError(
        f"masked_fill: the mask must be a bool tensor, got {got}; make one "
        "with a comparison (x > 0) or .bool()"
    )


def mask_value_error(value_shape) -> ShapeError:
    return ShapeError(
        f"masked_fill: the value must be a number or a 0-d tensor, got "
        f"shape {shape_str(value_shape)}"
    )


def mask_shape_error(mask_shape, shape) -> ShapeError:
    return ShapeError(
        f"masked_fill: a mask of shape {shape_str(mask_shape)} cannot be "
        f"broadcast with the tensor of shape {shape_str(shape)}"
    )


# ============================================================================ the methods
class IndexingMethods:
    """Indexing and selection methods of [`flowkit.Tensor`][flowkit.Tensor]."""

    __slots__ = ()

    @backend_method
    def __getitem__(self, key: Any) -> Tensor:
        """``self[key]``: basic indexing gives a view, integer and bool indices a copy.

        Raises:
            IndexError: the key does not fit the shape (the message names the part at fault).

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([[1, 2, 3], [4, 5, 6]])
            >>> x[1], x[:, ::-1][0]
            (tensor([4, 5, 6], dtype=flowkit.int64), tensor([3, 2, 1], dtype=flowkit.int64))
            >>> x[x > 4]
            tensor([5, 6], dtype=flowkit.int64)
        """

    @backend_method
    def __setitem__(self, key: Any, value: Tensor | Number) -> None:
        """``self[key] = value``: write ``value`` (broadcast) into the indexed part, in place.

        Raises:
            ShapeError: ``value`` does not broadcast to the indexed part.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.zeros(2, 3)
            >>> x[:, 1] = flow.tensor([5.0, 6.0])
            >>> x
            tensor([[0., 5., 0.],
                    [0., 6., 0.]], dtype=flowkit.float32)
        """

    @backend_method
    def where(self, condition: Tensor, y: Operand) -> Tensor:
        """``self`` where ``condition`` is true, else ``y`` (``flowkit.where(condition, self,
        y)``).

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([-1.0, 2.0])
            >>> x.where(x > 0, 0.0)
            tensor([0., 2.], dtype=flowkit.float32)
        """

    @backend_method
    def masked_fill(self, mask: Tensor, value: Tensor | Number) -> Tensor:
        """``value`` where the bool ``mask`` is true, this tensor's values elsewhere.

        Raises:
            DTypeError: ``mask`` is not a bool tensor.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([1.0, -2.0, 3.0])
            >>> x.masked_fill(x < 0, 0.0)
            tensor([1., 0., 3.], dtype=flowkit.float32)
        """


# ============================================================================ function forms
def where(condition: Tensor, input: Operand, other: Operand) -> Tensor:
    """``input`` where ``condition`` is true, else ``other`` (broadcasting; numbers allowed).

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([-1.0, 2.0, -3.0])
        >>> flow.where(x > 0, x, 0.0)
        tensor([0., 2., 0.], dtype=flowkit.float32)
    """
    need_tensor("where", condition)
    return _plugins.get().where(condition, input, other)


def masked_fill(input: Tensor, mask: Tensor, value: Tensor | Number) -> Tensor:
    """``value`` where ``mask`` is true, ``input`` elsewhere.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([1.0, -2.0, 3.0])
        >>> flow.masked_fill(x, x < 0, 0.0)
        tensor([1., 0., 3.], dtype=flowkit.float32)
    """
    need_tensor("masked_fill", input)
    return input.masked_fill(mask, value)
