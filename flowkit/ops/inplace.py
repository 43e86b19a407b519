"""In-place ops: ``add_``/``sub_``/``mul_``/``div_`` (and ``+=`` ...), ``zero_``, ``fill_``,
``copy_``, ``clamp_``, ``masked_fill_``.

An in-place op writes into the tensor's memory, so views see the change. A leaf that requires
grad cannot be written in place while grad mode is on (its gradient would be wrong): optimizers
write under ``flowkit.no_grad()``. An in-place op cannot change the tensor's shape, and a result
of a wider kind (float into an int tensor) is refused, as in PyTorch. (See `flowkit.ops`
for how a family module is laid out.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import AutogradError, DTypeError, ShapeError, shape_str
from ._contract import Number, Operand, backend_method

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__: list[str] = []  # no function forms: in-place ops are methods only


# ============================================================================ rules and errors
def leaf_error(op: str) -> AutogradError:
    """An in-place write into a leaf that requires grad, with grad mode on."""
    return AutogradError(
        f"{op}: a leaf tensor that requires grad cannot be changed in place, because its "
        "gradient would be wrong. Wrap the update in `with flowkit.no_grad():`"
    )


def expanded_write_error(op: str) -> ShapeError:
    """A write into a tensor made by ``expand`` (its elements share memory)."""
    return ShapeError(
        f"{op}: this tensor was made by expand, so several of its elements share one memory "
        "location and cannot be written separately; call .clone() first"
    )


def view_write_error(op: str) -> AutogradError:
    """An in-place write into a view inside a graph (flowkit does not rebase views' history)."""
    return AutogradError(
        f"{op}: in-place write into a view of a tensor that is part of a graph is not supported "
        "by flowkit; clone() the view, or do the write under flowkit.no_grad()"
    )


def result_shape_error(op: str, result_shape, shape) -> ShapeError:
    """An in-place op whose result would have another shape (it cannot grow the tensor)."""
    return ShapeError(
        f"{op}: the result has shape {shape_str(result_shape)} but this tensor "
        f"has shape {shape_str(shape)}; an in-place op cannot change it"
    )


def result_dtype_error(op: str, result_dtype_name: str, dt) -> DTypeError:
    """An in-place op whose result dtype cannot be written into this tensor's (float into int).

    ``result_dtype_name``: numpy's name of the result's dtype (``"float32"``)."""
    return DTypeError(
        f"{op}: cannot write a {result_dtype_name} result into this {dt!r} tensor "
        "in place; convert one of them with .to(dtype)"
    )


def fill_value(value, dt):
    """``fill_``'s value as a tensor of dtype ``dt`` takes it: a number in the dtype's range
    (PyTorch's rules: ``fill_(300)`` on uint8 is an error, ``fill_(-1)`` wraps to 255), or a
    one-element tensor, left to the backend; ``None`` or a string is an error.

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.ops.inplace import fill_value
        >>> fill_value(2, flow.int64), fill_value(0.5, flow.float32)
        (2, 0.5)
        >>> fill_value(None, flow.float32)
        Traceback (most recent call last):
            ...
        flowkit.errors.ArgumentTypeError: fill_: the fill value must be a number, got NoneType ...
    """
    from .._creation import _fill_value  # (the same rule as flowkit.full's)

    return _fill_value("fill_", value, dt)


def copy_shape_error(src_shape, shape) -> ShapeError:
    return ShapeError(
        f"copy_: source of shape {shape_str(src_shape)} does not fit into a tensor "
        f"of shape {shape_str(shape)}"
    )


# ============================================================================ the methods
class InplaceMethods:
    """In-place methods of [`flowkit.Tensor`][flowkit.Tensor]; each returns the tensor itself."""

    __slots__ = ()

    @backend_method
    def add_(self, other: Operand, alpha: Number | None = None) -> Tensor:
        """``self += alpha * other`` in place (``alpha`` defaults to 1).

        Raises:
            AutogradError: a leaf that requires grad, outside ``no_grad``.
            ShapeError: the result would need another shape.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.ones(2)
            >>> x.add_(flow.tensor([1.0, 2.0]), alpha=10)
            tensor([11., 21.], dtype=flowkit.float32)
        """

    @backend_method
    def __iadd__(self, other: Operand) -> Tensor:
        """``self += other``: see [`add_`][flowkit.Tensor.add_].

        Examples:
            >>> import flowkit as flow
            >>> x = flow.zeros(2)
            >>> x += 1
            >>> x
            tensor([1., 1.], dtype=flowkit.float32)
        """

    @backend_method
    def sub_(self, other: Operand, alpha: Number | None = None) -> Tensor:
        """``self -= alpha * other`` in place: the update step of gradient descent.

        Examples:
            >>> import flowkit as flow
            >>> w = flow.tensor([1.0, 2.0], requires_grad=True)
            >>> (w * w).sum().backward()
            >>> with flow.no_grad():
            ...     _ = w.sub_(w.grad, alpha=0.1)
            >>> w
            tensor([0.8000, 1.6000], dtype=flowkit.float32, requires_grad=True)
        """

    @backend_method
    def __isub__(self, other: Operand) -> Tensor:
        """``self -= other``: see [`sub_`][flowkit.Tensor.sub_].

        Examples:
            >>> import flowkit as flow
            >>> x = flow.ones(2)
            >>> x -= flow.tensor([0.5, 1.0])
            >>> x
            tensor([0.5000, 0.0000], dtype=flowkit.float32)
        """

    @backend_method
    def mul_(self, other: Operand) -> Tensor:
        """``self *= other`` in place.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0, 2.0]).mul_(3)
            tensor([3., 6.], dtype=flowkit.float32)
        """

    @backend_method
    def __imul__(self, other: Operand) -> Tensor:
        """``self *= other``: see [`mul_`][flowkit.Tensor.mul_].

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([1, 2])
            >>> x *= 2
            >>> x
            tensor([2, 4], dtype=flowkit.int64)
        """

    @backend_method
    def div_(self, other: Operand) -> Tensor:
        """``self /= other`` in place (an integer tensor cannot take the float result).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0, 2.0]).div_(4)
            tensor([0.2500, 0.5000], dtype=flowkit.float32)
        """

    @backend_method
    def __itruediv__(self, other: Operand) -> Tensor:
        """``self /= other``: see [`div_`][flowkit.Tensor.div_].

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([3.0])
            >>> x /= 2
            >>> x
            tensor([1.5000], dtype=flowkit.float32)
        """

    @backend_method
    def zero_(self) -> Tensor:
        """Every element set to 0, in place.

        Examples:
            >>> import flowkit as flow
            >>> flow.ones(2, 2).zero_()
            tensor([[0., 0.],
                    [0., 0.]], dtype=flowkit.float32)
        """

    @backend_method
    def fill_(self, value: Number | Tensor) -> Tensor:
        """Every element set to ``value``, in place.

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(3, dtype=flow.int64).fill_(7)
            tensor([7, 7, 7], dtype=flowkit.int64)
        """

    @backend_method
    def copy_(self, src: Tensor) -> Tensor:
        """``src``'s values (broadcast, cast to this dtype) copied into this tensor.

        Raises:
            ShapeError: ``src`` does not broadcast to this shape.

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(2, 2).copy_(flow.tensor([1, 2]))
            tensor([[1., 2.],
                    [1., 2.]], dtype=flowkit.float32)
        """

    @backend_method
    def clamp_(self, min: Operand | None = None, max: Operand | None = None) -> Tensor:  # noqa: A002
        """[`clamp`][flowkit.Tensor.clamp] in place.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([-1.0, 0.5, 2.0]).clamp_(0, 1)
            tensor([0.0000, 0.5000, 1.0000], dtype=flowkit.float32)
        """

    @backend_method
    def clip_(self, min: Operand | None = None, max: Operand | None = None) -> Tensor:  # noqa: A002
        """Another name for [`clamp_`][flowkit.Tensor.clamp_].

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([-5, 5]).clip_(min=0)
            tensor([0, 5], dtype=flowkit.int64)
        """

    def clamp_min_(self, min: Operand) -> Tensor:  # noqa: A002 - PyTorch's name
        """[`clamp_min`][flowkit.Tensor.clamp_min] in place (``clamp_(min=min)``).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([-1.0, 0.5, 2.0]).clamp_min_(0)
            tensor([0.0000, 0.5000, 2.0000], dtype=flowkit.float32)
        """
        return self.clamp_(min=min)

    def clamp_max_(self, max: Operand) -> Tensor:  # noqa: A002 - PyTorch's name
        """[`clamp_max`][flowkit.Tensor.clamp_max] in place (``clamp_(max=max)``).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([-1, 5]).clamp_max_(3)
            tensor([-1,  3], dtype=flowkit.int64)
        """
        return self.clamp_(max=max)

    @backend_method
    def masked_fill_(self, mask: Tensor, value: Tensor | Number) -> Tensor:
        """[`masked_fill`][flowkit.Tensor.masked_fill] in place.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([1.0, -2.0])
            >>> x.masked_fill_(x < 0, 0.0)
            tensor([1., 0.], dtype=flowkit.float32)
        """

    @backend_method
    def scatter_(
        self,
        dim: int,
        index: Tensor,
        src: Tensor | Number | None = None,
        *,
        value: Number | None = None,
        reduce: str | None = None,
    ) -> Tensor:
        """[`scatter`][flowkit.Tensor.scatter] in place.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.zeros(3)
            >>> x.scatter_(0, flow.tensor([2]), 1.0)
            tensor([0., 0., 1.], dtype=flowkit.float32)
        """

    @backend_method
    def scatter_add_(self, dim: int, index: Tensor, src: Tensor) -> Tensor:
        """[`scatter_add`][flowkit.Tensor.scatter_add] in place.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.ones(2)
            >>> x.scatter_add_(0, flow.tensor([1, 1]), flow.tensor([2.0, 3.0]))
            tensor([1., 6.], dtype=flowkit.float32)
        """

    @backend_method
    def index_add_(self, dim: int, index: Tensor, source: Tensor, *, alpha: Number = 1) -> Tensor:
        """[`index_add`][flowkit.Tensor.index_add] in place.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.zeros(2, 2)
            >>> x.index_add_(1, flow.tensor([1]), flow.ones(2, 1))
            tensor([[0., 1.],
                    [0., 1.]], dtype=flowkit.float32)
        """
