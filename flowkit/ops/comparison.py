"""Comparisons, logical and bitwise ops, and the NaN/infinity tests: everything that answers with
a bool tensor (or integer bits) and has no gradient.

Comparisons compare mixed dtypes exactly (an int64 tensor against a float one is not rounded
first). ``&``, ``|``, ``^`` and ``~`` take bool and integer tensors only; the ``logical_*`` ops
take any dtype, non-zero meaning true. (See `flowkit.ops` for how a family module is laid
out.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import DTypeError
from ._contract import Operand, backend_method, need_tensor

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = [
    "allclose",
    "equal",
    "isclose",
    "bitwise_and",
    "bitwise_not",
    "bitwise_or",
    "bitwise_xor",
    "eq",
    "ge",
    "gt",
    "isfinite",
    "isinf",
    "isnan",
    "le",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "lt",
    "ne",
]


# ============================================================================ rules and errors
def bitwise_error(op: str, sym: str, x_dtype, other) -> DTypeError:
    """``&``, ``|``, ``^`` with a floating-point operand. ``other``: a tensor or a number."""
    from ..tensor import Tensor

    od = repr(other.dtype) if isinstance(other, Tensor) else f"a Python {type(other).__name__}"
    return DTypeError(
        f"{op} ({sym}) needs bool or integer operands, got {x_dtype!r} and {od}; for truth "
        f"values of other dtypes use logical_{op.removeprefix('bitwise_')}"
    )


def invert_error(x_dtype) -> DTypeError:
    """``~x`` of a floating-point tensor."""
    return DTypeError(
        f"bitwise_not (~) needs a bool or integer tensor, got {x_dtype!r}; use "
        "logical_not for truth values of other dtypes"
    )


def check_isclose(op: str, x, other, rtol: float, atol: float) -> None:
    """``isclose``'s arguments, as PyTorch checks them: ``other`` a tensor of ``x``'s dtype (convert
    one of them first, as PyTorch asks), tolerances that are not negative."""
    from ..errors import ArgumentTypeError, ArgumentValueError
    from ..tensor import Tensor
    from ._contract import foreign_array_error

    if not isinstance(other, Tensor):
        err = foreign_array_error(op, other, "other")
        raise err or ArgumentTypeError(
            f"{op}: other must be a flowkit tensor, got {type(other).__name__}; make one with "
            "flowkit.tensor(...)"
        )
    if other.dtype != x.dtype:
        raise DTypeError(
            f"{op}: the tensors have different dtypes, {x.dtype!r} and {other.dtype!r}; convert "
            f"one first, e.g. other.to({x.dtype!r})"
        )
    for name, v in (("rtol", rtol), ("atol", atol)):
        if not v >= 0:
            raise ArgumentValueError(f"{op}: {name} must be >= 0, got {v}")


# ============================================================================ the methods
class ComparisonMethods:
    """Comparison, logical and bitwise methods of [`flowkit.Tensor`][flowkit.Tensor]."""

    __slots__ = ()

    # ------------------------------------------------------------------ comparisons
    @backend_method
    def eq(self, other: Operand) -> Tensor:
        """Elementwise ``self == other``, as a bool tensor (broadcasting).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 2, 3]).eq(flow.tensor([1, 0, 3]))
            tensor([ True, False,  True], dtype=flowkit.bool)
        """

    @backend_method
    def __eq__(self, other: object) -> Tensor:  # type: ignore[override]
        """``self == other``: elementwise, see [`eq`][flowkit.Tensor.eq] (tensors hash by identity).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0, 2.0]) == 2
            tensor([False,  True], dtype=flowkit.bool)
        """

    @backend_method
    def ne(self, other: Operand) -> Tensor:
        """Elementwise ``self != other``, as a bool tensor.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 2, 3]).ne(2)
            tensor([ True, False,  True], dtype=flowkit.bool)
        """

    @backend_method
    def __ne__(self, other: object) -> Tensor:  # type: ignore[override]
        """``self != other``: see [`ne`][flowkit.Tensor.ne].

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 2]) != flow.tensor([1, 3])
            tensor([False,  True], dtype=flowkit.bool)
        """

    @backend_method
    def lt(self, other: Operand) -> Tensor:
        """Elementwise ``self < other``, as a bool tensor.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 2, 3]).lt(2)
            tensor([ True, False, False], dtype=flowkit.bool)
        """

    @backend_method
    def __lt__(self, other: Operand) -> Tensor:
        """``self < other``: see [`lt`][flowkit.Tensor.lt].

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0, 2.0]) < 1.5
            tensor([ True, False], dtype=flowkit.bool)
        """

    @backend_method
    def le(self, other: Operand) -> Tensor:
        """Elementwise ``self <= other``, as a bool tensor.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 2, 3]).le(2)
            tensor([ True,  True, False], dtype=flowkit.bool)
        """

    @backend_method
    def __le__(self, other: Operand) -> Tensor:
        """``self <= other``: see [`le`][flowkit.Tensor.le].

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 2]) <= 1
            tensor([ True, False], dtype=flowkit.bool)
        """

    @backend_method
    def gt(self, other: Operand) -> Tensor:
        """Elementwise ``self > other``, as a bool tensor.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 2, 3]).gt(2)
            tensor([False, False,  True], dtype=flowkit.bool)
        """

    @backend_method
    def __gt__(self, other: Operand) -> Tensor:
        """``self > other``: see [`gt`][flowkit.Tensor.gt].

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([-1.0, 1.0]) > 0
            tensor([False,  True], dtype=flowkit.bool)
        """

    @backend_method
    def ge(self, other: Operand) -> Tensor:
        """Elementwise ``self >= other``, as a bool tensor.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 2, 3]).ge(2)
            tensor([False,  True,  True], dtype=flowkit.bool)
        """

    @backend_method
    def __ge__(self, other: Operand) -> Tensor:
        """``self >= other``: see [`ge`][flowkit.Tensor.ge].

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 2]) >= 2
            tensor([False,  True], dtype=flowkit.bool)
        """

    # ------------------------------------------------------------------ logical
    @backend_method
    def logical_and(self, other: Operand) -> Tensor:
        """Elementwise logical AND (non-zero is true), as a bool tensor.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 1, 0]).logical_and(flow.tensor([1, 0, 0]))
            tensor([ True, False, False], dtype=flowkit.bool)
        """

    @backend_method
    def logical_or(self, other: Operand) -> Tensor:
        """Elementwise logical OR (non-zero is true), as a bool tensor.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 1, 0]).logical_or(flow.tensor([1, 0, 0]))
            tensor([ True,  True, False], dtype=flowkit.bool)
        """

    @backend_method
    def logical_xor(self, other: Operand) -> Tensor:
        """Elementwise logical XOR (non-zero is true), as a bool tensor.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 1, 0]).logical_xor(flow.tensor([1, 0, 0]))
            tensor([False,  True, False], dtype=flowkit.bool)
        """

    @backend_method
    def logical_not(self) -> Tensor:
        """Elementwise logical NOT (zero becomes true), as a bool tensor.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([0.0, 2.0]).logical_not()
            tensor([ True, False], dtype=flowkit.bool)
        """

    # ------------------------------------------------------------------ bitwise
    @backend_method
    def bitwise_and(self, other: Operand) -> Tensor:
        """Elementwise bitwise AND of integer or bool tensors (bool & bool stays bool).

        Raises:
            DTypeError: a floating-point operand (use [`logical_and`][flowkit.Tensor.logical_and]).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([12, 10]).bitwise_and(flow.tensor([10, 6]))
            tensor([8, 2], dtype=flowkit.int64)
        """

    @backend_method
    def __and__(self, other: Operand) -> Tensor:
        """``self & other``: see [`bitwise_and`][flowkit.Tensor.bitwise_and].

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([True, True]) & flow.tensor([True, False])
            tensor([ True, False], dtype=flowkit.bool)
        """

    @backend_method
    def __rand__(self, other: Operand) -> Tensor:
        """``other & self`` with a number on the left.

        Examples:
            >>> import flowkit as flow
            >>> 6 & flow.tensor([3, 4])
            tensor([2, 4], dtype=flowkit.int64)
        """

    @backend_method
    def bitwise_or(self, other: Operand) -> Tensor:
        """Elementwise bitwise OR of integer or bool tensors.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([12, 10]).bitwise_or(flow.tensor([10, 6]))
            tensor([14, 14], dtype=flowkit.int64)
        """

    @backend_method
    def __or__(self, other: Operand) -> Tensor:
        """``self | other``: see [`bitwise_or`][flowkit.Tensor.bitwise_or].

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([False, True]) | flow.tensor([False, False])
            tensor([False,  True], dtype=flowkit.bool)
        """

    @backend_method
    def __ror__(self, other: Operand) -> Tensor:
        """``other | self`` with a number on the left.

        Examples:
            >>> import flowkit as flow
            >>> 1 | flow.tensor([2, 4])
            tensor([3, 5], dtype=flowkit.int64)
        """

    @backend_method
    def bitwise_xor(self, other: Operand) -> Tensor:
        """Elementwise bitwise XOR of integer or bool tensors.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([12, 10]).bitwise_xor(flow.tensor([10, 6]))
            tensor([ 6, 12], dtype=flowkit.int64)
        """

    @backend_method
    def __xor__(self, other: Operand) -> Tensor:
        """``self ^ other``: see [`bitwise_xor`][flowkit.Tensor.bitwise_xor].

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([True, True]) ^ flow.tensor([True, False])
            tensor([False,  True], dtype=flowkit.bool)
        """

    @backend_method
    def __rxor__(self, other: Operand) -> Tensor:
        """``other ^ self`` with a number on the left.

        Examples:
            >>> import flowkit as flow
            >>> 1 ^ flow.tensor([1, 2])
            tensor([0, 3], dtype=flowkit.int64)
        """

    @backend_method
    def bitwise_not(self) -> Tensor:
        """Elementwise bitwise NOT: bits flipped, bools negated.

        Raises:
            DTypeError: a floating-point tensor (use [`logical_not`][flowkit.Tensor.logical_not]).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([0, 5]).bitwise_not()
            tensor([-1, -6], dtype=flowkit.int64)
        """

    @backend_method
    def __invert__(self) -> Tensor:
        """``~self``: see [`bitwise_not`][flowkit.Tensor.bitwise_not].

        Examples:
            >>> import flowkit as flow
            >>> ~flow.tensor([True, False])
            tensor([False,  True], dtype=flowkit.bool)
        """

    # ------------------------------------------------------------------ NaN and infinity
    @backend_method
    def isnan(self) -> Tensor:
        """Where the value is NaN, as a bool tensor.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0, float("nan")]).isnan()
            tensor([False,  True], dtype=flowkit.bool)
        """

    @backend_method
    def isinf(self) -> Tensor:
        """Where the value is positive or negative infinity, as a bool tensor.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0, float("-inf")]).isinf()
            tensor([False,  True], dtype=flowkit.bool)
        """

    @backend_method
    def isfinite(self) -> Tensor:
        """Where the value is neither NaN nor infinite, as a bool tensor.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0, float("inf")]).isfinite()
            tensor([ True, False], dtype=flowkit.bool)
        """

    @backend_method
    def isclose(
        self, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
    ) -> Tensor:
        """Elementwise ``|self - other| <= atol + rtol * |other|`` as a bool tensor
        (broadcasting); infinities are close to themselves only, NaN to NaN only with
        ``equal_nan``.

        Raises:
            DTypeError: the tensors' dtypes differ (as in PyTorch: convert one first).
            ShapeError: the shapes do not broadcast.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0, 2.0, float('nan')]).isclose(flow.tensor([1.0, 2.1, float('nan')]))
            tensor([ True, False, False], dtype=flowkit.bool)
        """

    def allclose(
        self, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
    ) -> bool:
        """Whether all values are close (a Python bool): see
        [`flowkit.allclose`][flowkit.ops.comparison.allclose].

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0, 2.0]).allclose(flow.tensor([1.0, 2.0 + 1e-7]))
            True
        """
        return allclose(self, other, rtol, atol, equal_nan)  # type: ignore[arg-type]

    def equal(self, other: Tensor) -> bool:
        """Whether the tensors have the same shape and the same values (a Python bool): see
        [`flowkit.equal`][flowkit.ops.comparison.equal].

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 2]).equal(flow.tensor([1, 2]))
            True
        """
        return equal(self, other)  # type: ignore[arg-type]


# ============================================================================ function forms
def eq(input: Tensor, other: Operand) -> Tensor:
    """Elementwise ``input == other``, as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.eq(flow.tensor([1, 2, 3]), flow.tensor([1, 0, 3]))
        tensor([ True, False,  True], dtype=flowkit.bool)
    """
    return input == other


def ne(input: Tensor, other: Operand) -> Tensor:
    """Elementwise ``input != other``, as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.ne(flow.tensor([1, 2, 3]), 2)
        tensor([ True, False,  True], dtype=flowkit.bool)
    """
    return input != other


def lt(input: Tensor, other: Operand) -> Tensor:
    """Elementwise ``input < other``, as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.lt(flow.tensor([1, 2, 3]), 2)
        tensor([ True, False, False], dtype=flowkit.bool)
    """
    return input < other


def le(input: Tensor, other: Operand) -> Tensor:
    """Elementwise ``input <= other``, as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.le(flow.tensor([1, 2, 3]), 2)
        tensor([ True,  True, False], dtype=flowkit.bool)
    """
    return input <= other


def gt(input: Tensor, other: Operand) -> Tensor:
    """Elementwise ``input > other``, as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.gt(flow.tensor([1, 2, 3]), 2)
        tensor([False, False,  True], dtype=flowkit.bool)
    """
    return input > other


def ge(input: Tensor, other: Operand) -> Tensor:
    """Elementwise ``input >= other``, as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.ge(flow.tensor([1, 2, 3]), 2)
        tensor([False,  True,  True], dtype=flowkit.bool)
    """
    return input >= other


def logical_and(input: Tensor, other: Operand) -> Tensor:
    """Elementwise logical AND (non-zero is true), as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.logical_and(flow.tensor([1, 1, 0]), flow.tensor([1, 0, 0]))
        tensor([ True, False, False], dtype=flowkit.bool)
    """
    need_tensor("logical_and", input)
    return input.logical_and(other)


def logical_or(input: Tensor, other: Operand) -> Tensor:
    """Elementwise logical OR (non-zero is true), as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.logical_or(flow.tensor([1, 1, 0]), flow.tensor([1, 0, 0]))
        tensor([ True,  True, False], dtype=flowkit.bool)
    """
    need_tensor("logical_or", input)
    return input.logical_or(other)


def logical_xor(input: Tensor, other: Operand) -> Tensor:
    """Elementwise logical XOR (non-zero is true), as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.logical_xor(flow.tensor([1, 1, 0]), flow.tensor([1, 0, 0]))
        tensor([False,  True, False], dtype=flowkit.bool)
    """
    need_tensor("logical_xor", input)
    return input.logical_xor(other)


def logical_not(input: Tensor) -> Tensor:
    """Elementwise logical NOT (zero becomes true), as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.logical_not(flow.tensor([0.0, 2.0]))
        tensor([ True, False], dtype=flowkit.bool)
    """
    need_tensor("logical_not", input)
    return input.logical_not()


def bitwise_and(input: Tensor, other: Operand) -> Tensor:
    """Elementwise ``input & other`` (integer or bool tensors).

    Examples:
        >>> import flowkit as flow
        >>> flow.bitwise_and(flow.tensor([12, 10]), flow.tensor([10, 6]))
        tensor([8, 2], dtype=flowkit.int64)
    """
    return input & other


def bitwise_or(input: Tensor, other: Operand) -> Tensor:
    """Elementwise ``input | other`` (integer or bool tensors).

    Examples:
        >>> import flowkit as flow
        >>> flow.bitwise_or(flow.tensor([12, 10]), flow.tensor([10, 6]))
        tensor([14, 14], dtype=flowkit.int64)
    """
    return input | other


def bitwise_xor(input: Tensor, other: Operand) -> Tensor:
    """Elementwise ``input ^ other`` (integer or bool tensors).

    Examples:
        >>> import flowkit as flow
        >>> flow.bitwise_xor(flow.tensor([12, 10]), flow.tensor([10, 6]))
        tensor([ 6, 12], dtype=flowkit.int64)
    """
    return input ^ other


def bitwise_not(input: Tensor) -> Tensor:
    """Elementwise ``~input``: bits flipped, or bools negated.

    Examples:
        >>> import flowkit as flow
        >>> flow.bitwise_not(flow.tensor([0, 5])), flow.bitwise_not(flow.tensor([True, False]))
        (tensor([-1, -6], dtype=flowkit.int64), tensor([False,  True], dtype=flowkit.bool))
    """
    return ~input


def isnan(input: Tensor) -> Tensor:
    """Where ``input`` is NaN, as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.isnan(flow.tensor([1.0, float('nan'), float('inf')]))
        tensor([False,  True, False], dtype=flowkit.bool)
    """
    need_tensor("isnan", input)
    return input.isnan()


def isinf(input: Tensor) -> Tensor:
    """Where ``input`` is positive or negative infinity, as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.isinf(flow.tensor([1.0, float('nan'), float('-inf')]))
        tensor([False, False,  True], dtype=flowkit.bool)
    """
    need_tensor("isinf", input)
    return input.isinf()


def isfinite(input: Tensor) -> Tensor:
    """Where ``input`` is neither NaN nor infinite, as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.isfinite(flow.tensor([1.0, float('nan'), float('inf')]))
        tensor([ True, False, False], dtype=flowkit.bool)
    """
    need_tensor("isfinite", input)
    return input.isfinite()


def allclose(
    input: Tensor, other: Tensor, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> bool:
    """Whether all values are close: ``|input - other| <= atol + rtol * |other|`` (a Python
    bool; the shapes must broadcast).

    Examples:
        >>> import flowkit as flow
        >>> flow.allclose(flow.tensor([1.0, 2.0]), flow.tensor([1.0, 2.0 + 1e-7]))
        True
    """
    import numpy as np

    from .arithmetic import broadcast_error, broadcasts

    need_tensor("allclose", input)
    a, b = input.numpy(), other.numpy()
    if not broadcasts(a.shape, b.shape):
        raise broadcast_error("allclose", a.shape, b.shape)
    return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(
    input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Tensor:
    """Elementwise ``|input - other| <= atol + rtol * |other|``, as a bool tensor.

    Examples:
        >>> import flowkit as flow
        >>> flow.isclose(flow.tensor([1.0, 1.001]), flow.tensor([1.0, 1.0]), atol=1e-2)
        tensor([True, True], dtype=flowkit.bool)
    """
    need_tensor("isclose", input)
    return input.isclose(other, rtol, atol, equal_nan)


def equal(input: Tensor, other: Tensor) -> bool:
    """Whether ``input`` and ``other`` have the same shape and the same values, as a Python bool
    (values compare after type promotion, as in PyTorch; NaN is never equal).

    Examples:
        >>> import flowkit as flow
        >>> flow.equal(flow.tensor([1, 2]), flow.tensor([1.0, 2.0]))
        True
        >>> flow.equal(flow.tensor([1.0]), flow.tensor([1.0, 1.0]))
        False
    """
    import numpy as np

    from ..tensor import Tensor as _Tensor

    need_tensor("equal", input)
    if not isinstance(other, _Tensor):
        need_tensor("equal", other)
    if tuple(input.shape) != tuple(other.shape):
        return False
    return bool(np.array_equal(input.numpy(), other.numpy()))
