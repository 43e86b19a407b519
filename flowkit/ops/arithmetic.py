"""Elementwise arithmetic and math: ``+ - * / ** % //``, ``exp``, ``log``, ``sqrt``, trigonometry,
rounding, ``maximum``/``minimum``, ``clamp``.

Three parts, as in every module of `flowkit.ops`:

* `ArithmeticMethods`: the [`flowkit.Tensor`][flowkit.Tensor] methods of the family, declared with
  their signatures and documentation; each backend's tensor class implements them;
* the function forms (``flowkit.add``, ``flowkit.exp``...), one line each over the method;
* the argument rules and error texts both backends raise, so a message is written once. A
  backend calls them from its ``except`` blocks (or where a dtype is unusual), never on the
  success path.

Types promote as in PyTorch: a float32 tensor with a float64 tensor is float64, with a Python
float it stays float32, and an integer tensor with a Python float becomes float32.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import ArgumentTypeError, ArgumentValueError, DTypeError, ShapeError, shape_str
from ._contract import Operand, backend_method, foreign_array_error, need_tensor, not_a_tensor

if TYPE_CHECKING:
    from ..dtypes import dtype
    from ..tensor import Tensor

__all__ = [
    "abs",
    "acos",
    "acosh",
    "add",
    "arccos",
    "arcsin",
    "arctan",
    "arctan2",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "ceil",
    "clamp",
    "clamp_max",
    "clamp_min",
    "clip",
    "cos",
    "cosh",
    "div",
    "erf",
    "erfc",
    "erfinv",
    "exp",
    "expm1",
    "floor",
    "floor_divide",
    "fmod",
    "frac",
    "log",
    "log1p",
    "log2",
    "log10",
    "logaddexp",
    "maximum",
    "minimum",
    "mul",
    "neg",
    "pow",
    "reciprocal",
    "relu",
    "remainder",
    "round",
    "rsqrt",
    "sigmoid",
    "sign",
    "sin",
    "sinh",
    "softmax",
    "sqrt",
    "square",
    "sub",
    "tan",
    "tanh",
    "trunc",
]


# ============================================================================ rules and errors
def operand_name(v) -> str:
    """An operand as an error message names it: a dtype, a tensor's dtype or a Python number."""
    from ..dtypes import dtype as _dtype
    from ..tensor import Tensor

    if isinstance(v, _dtype):
        return repr(v)
    if isinstance(v, Tensor):
        return repr(v.dtype)
    return f"a Python {type(v).__name__}"


def is_bool_operand(v) -> bool:
    """A bool tensor, True or False (numpy's bool too)."""
    from ..dtypes import bool as _bool
    from ..tensor import Tensor

    return v.dtype is _bool if isinstance(v, Tensor) else isinstance(v, (bool, np.bool_))


def result_dtype(*operands) -> dtype:
    """PyTorch's result dtype for an elementwise op on ``operands`` (flowkit tensors, numpy
    arrays and Python numbers), in three tiers: tensors with dimensions decide; a 0-d tensor only
    when its kind (bool < int < float) is higher, so float32 with a 0-d float64 stays float32; a
    number only lifts the kind, to int64 or float32 (an int tensor times 1.5 is float32).

    Metadata only (dtypes and dimensions): a backend calls it where dtypes differ (the numpy
    backend with its arrays, caching the answer per dtype pair).

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.ops.arithmetic import result_dtype
        >>> x, s = flow.zeros(2), flow.tensor(1.0, dtype=flow.float64)
        >>> result_dtype(x, s), result_dtype(flow.tensor([1, 2]), 0.5), result_dtype(x, 2)
        (flowkit.float32, flowkit.float32, flowkit.float32)
    """
    from .. import dtypes as _dt
    from ..tensor import Tensor

    res = None
    for zero_d in (False, True):
        group = [
            v.dtype if isinstance(v, Tensor) else _dt.from_numpy_dtype(v.dtype)
            for v in operands
            if isinstance(v, (Tensor, np.ndarray)) and (v.ndim == 0) == zero_d
        ]
        if group:
            g = group[0]
            for d in group[1:]:
                g = _dt.result_type(g, d)
            if res is None or _dt._kind(g) > _dt._kind(res):
                res = g
    for v in operands:
        if not isinstance(v, (Tensor, np.ndarray)):
            # numpy scalars are weak like Python numbers, as in PyTorch (np.float32(1.5) too)
            s = (
                _dt.bool
                if isinstance(v, (bool, np.bool_))
                else (_dt.float32 if isinstance(v, (float, np.floating)) else _dt.int64)
            )
            if res is None or _dt._kind(s) > _dt._kind(res):
                res = s
    if res is None:
        raise ValueError("result_dtype: no operands")
    return res


def broadcast_error(op: str, a_shape, b_shape) -> ShapeError:
    """Two operands whose shapes do not broadcast."""
    return ShapeError(
        f"{op}: shapes {shape_str(a_shape)} and {shape_str(b_shape)} cannot be broadcast "
        "together (trailing dimensions must be equal or 1); reshape one of them"
    )


def broadcasts(*shapes) -> bool:
    """Whether ``shapes`` broadcast together (metadata only: no data is touched)."""
    try:
        np.broadcast_shapes(*(tuple(s) for s in shapes))
    except ValueError:
        return False
    return True


def numpy_operand_error(op: str, value=None) -> TypeError:
    """A numpy array next to a flowkit tensor: flowkit does not guess which one is meant (see
    `foreign_array_error`, whose message this is)."""
    err = foreign_array_error(op, np.empty(0) if value is None else value)
    assert err is not None  # (a numpy array always has one)
    return err


def operand_type_error(op: str, value) -> TypeError:
    """An operand that is neither a flowkit tensor nor a number (another library's array gets
    `foreign_array_error`'s message)."""
    err = foreign_array_error(op, value)
    if err is not None:
        return err
    return ArgumentTypeError(
        f"{op}: expected a flowkit tensor or a number, got {type(value).__name__}"
    )


def refuse_operand(op: str, value):
    """What a binary operator's method returns for an operand that is neither a flowkit tensor
    nor a number: ``NotImplemented`` (the other operand's reflected operator, or Python's own
    TypeError, decides), except for another library's array (a numpy array, a torch tensor),
    which raises the error naming it and the fix. Called where the method would return
    ``NotImplemented``, so the success path pays nothing.

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.ops.arithmetic import refuse_operand
        >>> refuse_operand("add", [1, 2])
        NotImplemented
        >>> refuse_operand("add", flow.ones(2).numpy())
        Traceback (most recent call last):
            ...
        flowkit.errors.ArgumentTypeError: add: a flowkit tensor and a numpy array ...
    """
    err = foreign_array_error(op, value)
    if err is not None:
        raise err
    return NotImplemented


def need_float_error(op: str, dt: dtype) -> DTypeError:
    """``op`` (written as called, e.g. ``"mean()"``) takes floating-point tensors only."""
    return DTypeError(
        f"{op} needs a floating-point tensor, this one is {dt!r}; call .float() first"
    )


def need_float_operands_error(op: str, a, b) -> DTypeError:
    """``op`` (``logaddexp``) of integer or bool operands: PyTorch has no kernel for them."""
    return DTypeError(
        f"{op} needs floating-point operands, got {operand_name(a)} and {operand_name(b)}; "
        "call .float() first"
    )


def bool_unary_error(op: str) -> DTypeError:
    """floor/ceil/round/relu/neg of a bool tensor (PyTorch has no kernel for it)."""
    if op == "neg":
        return DTypeError(
            "neg (-x): not defined for bool tensors; to invert a mask use ~x or "
            "x.logical_not(), otherwise convert with .int() or .float() first"
        )
    return DTypeError(f"{op}: not defined for bool tensors; convert with .int() or .float() first")


def bool_operands_error(op: str) -> DTypeError:
    """``//``, ``%`` of two bools and ``clamp`` of a bool tensor: PyTorch has no kernel."""
    return DTypeError(f"{op}: not defined for bool tensors; convert with .int() or .float()")


def bool_sub_error(op: str, a, b) -> DTypeError:
    """Subtraction with a bool operand (a bool tensor, True or False), as in PyTorch. ``a`` and
    ``b``: the operands in the user's order (tensors, dtypes or numbers)."""
    na, nb = operand_name(a), operand_name(b)
    both = all(n in ("flowkit.bool", "a Python bool") for n in (na, nb))
    fix = (
        "for two masks use ^ (logical_xor)"
        if both
        else "to invert a mask use ~x or x.logical_not()"
    )
    sym = "-=" if op.endswith("_") else "-"
    return DTypeError(
        f"{op} ({sym}) does not take bool operands, got {na} and {nb}; {fix}, "
        "otherwise convert with .int() or .float() first"
    )


def negative_power_error(dt, exponent) -> DTypeError:
    """An integer (or bool) tensor to a negative Python int power, as in PyTorch (a tensor of
    exponents is fine: 1 -> 1, -1 -> +-1, others -> 0)."""
    return DTypeError(
        f"pow (**): integers to negative integer powers are not allowed, got a "
        f"{operand_name(dt)} tensor to the power {exponent}; use a float "
        f"exponent ({float(exponent)!r}) or convert with .float() first"
    )


def int_operand_error(op: str, value, dt: dtype) -> ArgumentValueError | None:
    """For a failed op of an integer tensor of dtype ``dt`` with the Python number ``value``:
    the error if the value is out of the dtype's range, else None (the failure is another one).
    Arithmetic casts such an int to the dtype, wrapping around, as PyTorch does (``uint8 + 300``
    adds 44); what cannot be cast is an error: an int beyond 64 bits (PyTorch: "int too big to
    convert"), a clamp bound or an exponent out of range (PyTorch: "value cannot be converted
    to type uint8_t without overflow").

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.ops.arithmetic import int_operand_error
        >>> print(int_operand_error("clamp", 300, flow.uint8))
        clamp: 300 is out of the range of flowkit.uint8 (0 .. 255); pass a value in that range, ...
        >>> int_operand_error("clamp", 200, flow.uint8) is None
        True
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or dt.is_floating_point
        or dt.np == np.bool_  # (a bool tensor with an int is int64, as in PyTorch)
    ):
        return None
    info = np.iinfo(dt.np)
    lo, hi = int(info.min), int(info.max)
    if lo <= value <= hi:
        return None
    if not -(2**63) <= value < 2**64:
        return ArgumentValueError(
            f"{op}: the Python int {value} is too large for a {dt!r} tensor (an operand must "
            "fit in 64 bits); convert the tensor with .double() (or .float()) first"
        )
    return ArgumentValueError(
        f"{op}: {value} is out of the range of {dt!r} ({lo} .. {hi}); pass a value in that "
        "range, or convert the tensor first (.long() or .float())"
    )


def integer_division_by_zero(op: str) -> ZeroDivisionError:
    """Integer ``//`` or ``%`` by zero: an error as in PyTorch (numpy gives 0, CUDA garbage)."""
    return ZeroDivisionError(f"{op}: integer division by zero")


def clamp_bounds_missing() -> ValueError:
    return ValueError("clamp: at least one of min and max must be given")


def clamp_shape_error(lo_shape, hi_shape, shape) -> ShapeError:
    return ShapeError(
        f"clamp: the bounds of shapes {shape_str(lo_shape)} and "
        f"{shape_str(hi_shape)} cannot be broadcast with the input of shape "
        f"{shape_str(shape)}"
    )


def named_operator(name: str, method):
    """A named method (``x.maximum(y)``) over an operator's implementation: an operand the
    operator leaves to Python (``NotImplemented``) is a TypeError here."""

    def named(self, other):
        out = method(self, other)
        if out is NotImplemented:
            raise operand_type_error(name, other)
        return out

    named.__name__ = name
    return named


# ============================================================================ the methods
class ArithmeticMethods:
    """Elementwise arithmetic and math methods of [`flowkit.Tensor`][flowkit.Tensor]."""

    __slots__ = ()

    # ------------------------------------------------------------------ binary arithmetic
    @backend_method
    def add(self, other: Operand) -> Tensor:
        """Elementwise ``self + other``, broadcasting; ``other`` may be a number.

        Args:
            other: a tensor whose shape broadcasts with this one, or a Python number.

        Returns:
            A new tensor in the promoted dtype (float32 + int64 is float32, as in PyTorch).

        Raises:
            ShapeError: the shapes do not broadcast.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0, 2.0]).add(flow.tensor([[10.0], [20.0]]))
            tensor([[11., 12.],
                    [21., 22.]], dtype=flowkit.float32)
        """

    @backend_method
    def __add__(self, other: Operand) -> Tensor:
        """``self + other``: see [`add`][flowkit.Tensor.add].

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 2]) + 1
            tensor([2, 3], dtype=flowkit.int64)
        """

    @backend_method
    def __radd__(self, other: Operand) -> Tensor:
        """``other + self`` with a number on the left.

        Examples:
            >>> import flowkit as flow
            >>> 1.5 + flow.tensor([1, 2])
            tensor([2.5000, 3.5000], dtype=flowkit.float32)
        """

    @backend_method
    def sub(self, other: Operand) -> Tensor:
        """Elementwise ``self - other``, broadcasting; ``other`` may be a number.

        Raises:
            ShapeError: the shapes do not broadcast.
            DTypeError: an operand is bool (use ``^`` or ``logical_not`` for masks).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([5.0, 7.0]).sub(2)
            tensor([3., 5.], dtype=flowkit.float32)
        """

    @backend_method
    def __sub__(self, other: Operand) -> Tensor:
        """``self - other``: see [`sub`][flowkit.Tensor.sub].

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([5, 7]) - flow.tensor([1, 2])
            tensor([4, 5], dtype=flowkit.int64)
        """

    @backend_method
    def __rsub__(self, other: Operand) -> Tensor:
        """``other - self`` with a number on the left.

        Examples:
            >>> import flowkit as flow
            >>> 10 - flow.tensor([1, 2])
            tensor([9, 8], dtype=flowkit.int64)
        """

    @backend_method
    def mul(self, other: Operand) -> Tensor:
        """Elementwise ``self * other``, broadcasting; ``other`` may be a number.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0, 2.0]).mul(flow.tensor([3.0, 4.0]))
            tensor([3., 8.], dtype=flowkit.float32)
        """

    @backend_method
    def __mul__(self, other: Operand) -> Tensor:
        """``self * other``: see [`mul`][flowkit.Tensor.mul].

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 2]) * 0.5
            tensor([0.5000, 1.0000], dtype=flowkit.float32)
        """

    @backend_method
    def __rmul__(self, other: Operand) -> Tensor:
        """``other * self`` with a number on the left.

        Examples:
            >>> import flowkit as flow
            >>> 3 * flow.tensor([1, 2])
            tensor([3, 6], dtype=flowkit.int64)
        """

    @backend_method
    def div(self, other: Operand) -> Tensor:
        """Elementwise true division ``self / other``; integers divide to float32.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 3]).div(2)
            tensor([0.5000, 1.5000], dtype=flowkit.float32)
        """

    @backend_method
    def __truediv__(self, other: Operand) -> Tensor:
        """``self / other``: see [`div`][flowkit.Tensor.div].

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0, 4.0]) / flow.tensor([2.0, 8.0])
            tensor([0.5000, 0.5000], dtype=flowkit.float32)
        """

    @backend_method
    def __rtruediv__(self, other: Operand) -> Tensor:
        """``other / self`` with a number on the left.

        Examples:
            >>> import flowkit as flow
            >>> 1 / flow.tensor([2.0, 4.0])
            tensor([0.5000, 0.2500], dtype=flowkit.float32)
        """

    @backend_method
    def pow(self, exponent: Operand) -> Tensor:
        """Elementwise ``self ** exponent`` (a number or a tensor).

        Raises:
            DTypeError: an integer tensor to a negative integer power (use a float exponent).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0, 2.0, 3.0]).pow(2)
            tensor([1., 4., 9.], dtype=flowkit.float32)
        """

    @backend_method
    def __pow__(self, other: Operand) -> Tensor:
        """``self ** exponent``: see [`pow`][flowkit.Tensor.pow].

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([4.0, 9.0]) ** 0.5
            tensor([2., 3.], dtype=flowkit.float32)
        """

    @backend_method
    def __rpow__(self, other: Operand) -> Tensor:
        """``other ** self`` with a number as the base.

        Examples:
            >>> import flowkit as flow
            >>> 2 ** flow.tensor([1, 2, 3])
            tensor([2, 4, 8], dtype=flowkit.int64)
        """

    @backend_method
    def remainder(self, other: Operand) -> Tensor:
        """Elementwise remainder of division, with the sign of the divisor (Python's ``%``).

        Raises:
            ZeroDivisionError: integer division by zero.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([-3, 5]).remainder(3)
            tensor([0, 2], dtype=flowkit.int64)
        """

    @backend_method
    def __mod__(self, other: Operand) -> Tensor:
        """``self % other``: see [`remainder`][flowkit.Tensor.remainder].

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([-1.5, 2.5]) % 2
            tensor([0.5000, 0.5000], dtype=flowkit.float32)
        """

    @backend_method
    def __rmod__(self, other: Operand) -> Tensor:
        """``other % self`` with a number on the left (no gradient, as in PyTorch).

        Examples:
            >>> import flowkit as flow
            >>> 7 % flow.tensor([2, 3])
            tensor([1, 1], dtype=flowkit.int64)
        """

    @backend_method
    def floor_divide(self, other: Operand) -> Tensor:
        """Elementwise division rounded down (Python's ``//``); no gradient.

        Raises:
            ZeroDivisionError: integer division by zero.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([-7, 7]).floor_divide(2)
            tensor([-4,  3], dtype=flowkit.int64)
        """

    @backend_method
    def __floordiv__(self, other: Operand) -> Tensor:
        """``self // other``: see [`floor_divide`][flowkit.Tensor.floor_divide].

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([7.5, -7.5]) // 2
            tensor([ 3., -4.], dtype=flowkit.float32)
        """

    @backend_method
    def __rfloordiv__(self, other: Operand) -> Tensor:
        """``other // self`` with a number on the left.

        Examples:
            >>> import flowkit as flow
            >>> 7 // flow.tensor([2, 3])
            tensor([3, 2], dtype=flowkit.int64)
        """

    @backend_method
    def maximum(self, other: Tensor | float | int) -> Tensor:
        """Elementwise larger value; NaN wins, as in PyTorch. Ties share the gradient.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0, 5.0]).maximum(flow.tensor([3.0, 2.0]))
            tensor([3., 5.], dtype=flowkit.float32)
        """

    @backend_method
    def minimum(self, other: Tensor | float | int) -> Tensor:
        """Elementwise smaller value; NaN wins, as in PyTorch. Ties share the gradient.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0, 5.0]).minimum(flow.tensor([3.0, 2.0]))
            tensor([1., 2.], dtype=flowkit.float32)
        """

    @backend_method
    def clamp(self, min: Operand | None = None, max: Operand | None = None) -> Tensor:  # noqa: A002
        """Values limited to ``[min, max]`` (either bound may be left out, or be a tensor).

        Raises:
            ValueError: neither bound is given.
            DTypeError: a bool tensor.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([-2.0, 0.5, 3.0]).clamp(0.0, 1.0)
            tensor([0.0000, 0.5000, 1.0000], dtype=flowkit.float32)
        """

    @backend_method
    def clip(self, min: Operand | None = None, max: Operand | None = None) -> Tensor:  # noqa: A002
        """Another name for [`clamp`][flowkit.Tensor.clamp].

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([-2, 5]).clip(max=3)
            tensor([-2,  3], dtype=flowkit.int64)
        """

    # ------------------------------------------------------------------ unary
    @backend_method
    def neg(self) -> Tensor:
        """Elementwise ``-self``.

        Raises:
            DTypeError: a bool tensor (invert a mask with ``~x``).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0, -2.0]).neg()
            tensor([-1.,  2.], dtype=flowkit.float32)
        """

    @backend_method
    def __neg__(self) -> Tensor:
        """``-self``: see [`neg`][flowkit.Tensor.neg].

        Examples:
            >>> import flowkit as flow
            >>> -flow.tensor([1, -2])
            tensor([-1,  2], dtype=flowkit.int64)
        """

    @backend_method
    def abs(self) -> Tensor:
        """Elementwise absolute value (the gradient at 0 is 0, as in PyTorch).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([-1.5, 2.0]).abs()
            tensor([1.5000, 2.0000], dtype=flowkit.float32)
        """

    @backend_method
    def __abs__(self) -> Tensor:
        """``abs(self)``: see [`abs`][flowkit.Tensor.abs].

        Examples:
            >>> import flowkit as flow
            >>> abs(flow.tensor([-3, 4]))
            tensor([3, 4], dtype=flowkit.int64)
        """

    @backend_method
    def exp(self) -> Tensor:
        """Elementwise ``e ** self``; integer tensors give float32.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([0.0, 1.0]).exp()
            tensor([1.0000, 2.7183], dtype=flowkit.float32)
        """

    @backend_method
    def expm1(self) -> Tensor:
        """Elementwise ``exp(self) - 1``, accurate near 0.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1e-10], dtype=flow.float64).expm1()
            tensor([1.0000e-10], dtype=flowkit.float64)
        """

    @backend_method
    def log(self) -> Tensor:
        """Elementwise natural logarithm (``-inf`` at 0, NaN below).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0, 100.0]).log()
            tensor([0.0000, 4.6052], dtype=flowkit.float32)
        """

    @backend_method
    def log1p(self) -> Tensor:
        """Elementwise ``log(1 + self)``, accurate near 0.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1e-10], dtype=flow.float64).log1p()
            tensor([1.0000e-10], dtype=flowkit.float64)
        """

    @backend_method
    def log2(self) -> Tensor:
        """Elementwise base-2 logarithm.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0, 8.0]).log2()
            tensor([0., 3.], dtype=flowkit.float32)
        """

    @backend_method
    def log10(self) -> Tensor:
        """Elementwise base-10 logarithm.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0, 10.0]).log10()
            tensor([0., 1.], dtype=flowkit.float32)
        """

    @backend_method
    def sqrt(self) -> Tensor:
        """Elementwise square root (NaN for negative values).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([4.0, 9.0]).sqrt()
            tensor([2., 3.], dtype=flowkit.float32)
        """

    @backend_method
    def rsqrt(self) -> Tensor:
        """Elementwise ``1 / sqrt(self)``.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([4.0, 16.0]).rsqrt()
            tensor([0.5000, 0.2500], dtype=flowkit.float32)
        """

    @backend_method
    def reciprocal(self) -> Tensor:
        """Elementwise ``1 / self``.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([2.0, -4.0]).reciprocal()
            tensor([ 0.5000, -0.2500], dtype=flowkit.float32)
        """

    @backend_method
    def sin(self) -> Tensor:
        """Elementwise sine (radians).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([0.0, 1.5708]).sin()
            tensor([0., 1.], dtype=flowkit.float32)
        """

    @backend_method
    def cos(self) -> Tensor:
        """Elementwise cosine (radians).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([0.0, 3.1416]).cos()
            tensor([ 1., -1.], dtype=flowkit.float32)
        """

    @backend_method
    def tanh(self) -> Tensor:
        """Elementwise hyperbolic tangent.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([0.0, 1.0]).tanh()
            tensor([0.0000, 0.7616], dtype=flowkit.float32)
        """

    @backend_method
    def sigmoid(self) -> Tensor:
        """Elementwise logistic function ``1 / (1 + exp(-self))``.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([0.0, 2.0]).sigmoid()
            tensor([0.5000, 0.8808], dtype=flowkit.float32)
        """

    @backend_method
    def relu(self) -> Tensor:
        """Elementwise ``max(self, 0)``; integer tensors keep their dtype.

        Raises:
            DTypeError: a bool tensor.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([-1.0, 0.5]).relu()
            tensor([0.0000, 0.5000], dtype=flowkit.float32)
        """

    @backend_method
    def sign(self) -> Tensor:
        """Elementwise -1, 0 or 1 (0 for NaN); the gradient is zero.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([-2.0, 0.0, 3.0]).sign()
            tensor([-1.,  0.,  1.], dtype=flowkit.float32)
        """

    @backend_method
    def floor(self) -> Tensor:
        """Elementwise largest integer not above the value; integer tensors are unchanged.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([-1.5, 1.5]).floor()
            tensor([-2.,  1.], dtype=flowkit.float32)
        """

    @backend_method
    def ceil(self) -> Tensor:
        """Elementwise smallest integer not below the value; integer tensors are unchanged.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([-1.5, 1.5]).ceil()
            tensor([-1.,  2.], dtype=flowkit.float32)
        """

    @backend_method
    def round(self, decimals: int = 0) -> Tensor:  # noqa: A003 - PyTorch's name
        """Elementwise rounding half to even, to ``decimals`` places.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([0.5, 1.5, 2.675]).round(), flow.tensor([2.675]).round(decimals=1)
            (tensor([0., 2., 3.], dtype=flowkit.float32), tensor([2.7000], dtype=flowkit.float32))
        """

    @backend_method
    def tan(self) -> Tensor:
        """Elementwise tangent (radians). Integer and bool tensors give float32.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([0.0, 1.0]).tan()
            tensor([0.0000, 1.5574], dtype=flowkit.float32)
        """

    @backend_method
    def asin(self) -> Tensor:
        """Elementwise inverse sine (NaN outside ``[-1, 1]``); ``arcsin`` is another name.
        Integer and bool tensors give float32.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([0.0, 1.0]).asin()
            tensor([0.0000, 1.5708], dtype=flowkit.float32)
        """

    @backend_method
    def acos(self) -> Tensor:
        """Elementwise inverse cosine (NaN outside ``[-1, 1]``); ``arccos`` is another name.
        Integer and bool tensors give float32.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0, 0.0]).acos()
            tensor([0.0000, 1.5708], dtype=flowkit.float32)
        """

    @backend_method
    def atan(self) -> Tensor:
        """Elementwise inverse tangent; ``arctan`` is another name. Integer and bool tensors
        give float32.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([0.0, 1.0]).atan()
            tensor([0.0000, 0.7854], dtype=flowkit.float32)
        """

    @backend_method
    def sinh(self) -> Tensor:
        """Elementwise hyperbolic sine. Integer and bool tensors give float32.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([0.0, 1.0]).sinh()
            tensor([0.0000, 1.1752], dtype=flowkit.float32)
        """

    @backend_method
    def cosh(self) -> Tensor:
        """Elementwise hyperbolic cosine. Integer and bool tensors give float32.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([0.0, 1.0]).cosh()
            tensor([1.0000, 1.5431], dtype=flowkit.float32)
        """

    @backend_method
    def asinh(self) -> Tensor:
        """Elementwise inverse hyperbolic sine. Integer and bool tensors give float32.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([0.0, 1.0]).asinh()
            tensor([0.0000, 0.8814], dtype=flowkit.float32)
        """

    @backend_method
    def acosh(self) -> Tensor:
        """Elementwise inverse hyperbolic cosine (NaN below 1). Integer and bool tensors give
        float32.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0, 2.0]).acosh()
            tensor([0.0000, 1.3170], dtype=flowkit.float32)
        """

    @backend_method
    def atanh(self) -> Tensor:
        """Elementwise inverse hyperbolic tangent (``+-inf`` at ``+-1``, NaN beyond). Integer
        and bool tensors give float32.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([0.0, 0.5]).atanh()
            tensor([0.0000, 0.5493], dtype=flowkit.float32)
        """

    @backend_method
    def erf(self) -> Tensor:
        """Elementwise error function ``2/sqrt(pi) * integral of exp(-t**2) from 0 to self``.
        Integer and bool tensors give float32.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([0.0, 1.0]).erf()
            tensor([0.0000, 0.8427], dtype=flowkit.float32)
        """

    @backend_method
    def erfc(self) -> Tensor:
        """Elementwise complementary error function ``1 - erf(self)``, accurate where ``erf`` is
        close to 1. Integer and bool tensors give float32.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([0.0, 1.0]).erfc()
            tensor([1.0000, 0.1573], dtype=flowkit.float32)
        """

    @backend_method
    def erfinv(self) -> Tensor:
        """Elementwise inverse error function (``+-inf`` at ``+-1``, NaN beyond). Integer and
        bool tensors give float32.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([0.0, 0.5]).erfinv()
            tensor([0.0000, 0.4769], dtype=flowkit.float32)
        """

    def arcsin(self) -> Tensor:
        """Another name for [`asin`][flowkit.Tensor.asin] (numpy's).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([0.0, 1.0]).arcsin()
            tensor([0.0000, 1.5708], dtype=flowkit.float32)
        """
        return self.asin()

    def arccos(self) -> Tensor:
        """Another name for [`acos`][flowkit.Tensor.acos] (numpy's).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0, 0.0]).arccos()
            tensor([0.0000, 1.5708], dtype=flowkit.float32)
        """
        return self.acos()

    def arctan(self) -> Tensor:
        """Another name for [`atan`][flowkit.Tensor.atan] (numpy's).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([0.0, 1.0]).arctan()
            tensor([0.0000, 0.7854], dtype=flowkit.float32)
        """
        return self.atan()

    @backend_method
    def trunc(self) -> Tensor:
        """Elementwise rounding toward zero; integer tensors are unchanged. The gradient is zero.

        Raises:
            DTypeError: a bool tensor.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([-1.7, 1.7]).trunc()
            tensor([-1.,  1.], dtype=flowkit.float32)
        """

    @backend_method
    def frac(self) -> Tensor:
        """Elementwise fractional part ``self - trunc(self)`` (with the sign of ``self``).

        Raises:
            DTypeError: an integer or bool tensor (PyTorch has no kernel for them).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([-1.75, 1.75]).frac()
            tensor([-0.7500,  0.7500], dtype=flowkit.float32)
        """

    @backend_method
    def atan2(self, other: Tensor | float | int) -> Tensor:
        """Elementwise angle of the point ``(other, self)``: ``atan(self / other)`` in the right
        quadrant, in ``[-pi, pi]`` (broadcasting; ``other`` may be a number). Integer and bool
        tensors give float32. ``arctan2`` is another name.

        Raises:
            ShapeError: the shapes do not broadcast.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0, -1.0]).atan2(flow.tensor([-1.0, 0.0]))
            tensor([ 2.3562, -1.5708], dtype=flowkit.float32)
        """

    def arctan2(self, other: Tensor | float | int) -> Tensor:
        """Another name for [`atan2`][flowkit.Tensor.atan2] (numpy's).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0]).arctan2(flow.tensor([1.0]))
            tensor([0.7854], dtype=flowkit.float32)
        """
        return self.atan2(other)

    @backend_method
    def logaddexp(self, other: Tensor | float | int) -> Tensor:
        """Elementwise ``log(exp(self) + exp(other))``, without overflow (broadcasting; ``other``
        may be a number).

        Raises:
            ShapeError: the shapes do not broadcast.
            DTypeError: integer or bool operands (PyTorch has no kernel for them).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([0.0, 1e-3]).logaddexp(flow.tensor([0.0, 100.0]))
            tensor([  0.6931, 100.0000], dtype=flowkit.float32)
        """

    @backend_method
    def fmod(self, other: Operand) -> Tensor:
        """Elementwise remainder of division with the sign of the dividend (C's ``fmod``;
        [`remainder`][flowkit.Tensor.remainder] takes the divisor's sign). Broadcasting;
        ``other`` may be a number.

        Raises:
            ShapeError: the shapes do not broadcast.
            DTypeError: bool operands.
            ZeroDivisionError: integer division by zero.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([-3.0, 3.0]).fmod(2)
            tensor([-1.,  1.], dtype=flowkit.float32)
        """

    @backend_method
    def clamp_min(self, min: Operand) -> Tensor:  # noqa: A002 - PyTorch's name
        """Values limited from below: [`clamp`][flowkit.Tensor.clamp] with ``min`` only (a number
        or a tensor).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([-2.0, 0.5]).clamp_min(0.0)
            tensor([0.0000, 0.5000], dtype=flowkit.float32)
        """

    @backend_method
    def clamp_max(self, max: Operand) -> Tensor:  # noqa: A002 - PyTorch's name
        """Values limited from above: [`clamp`][flowkit.Tensor.clamp] with ``max`` only (a number
        or a tensor).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([-2.0, 0.5]).clamp_max(0.0)
            tensor([-2.,  0.], dtype=flowkit.float32)
        """

    def square(self) -> Tensor:
        """``self * self``, elementwise (written once, over [`mul`][flowkit.Tensor.mul]).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([2.0, 3.0]).square()
            tensor([4., 9.], dtype=flowkit.float32)
        """
        return self * self  # type: ignore[operator]


# ============================================================================ function forms
def add(input: Tensor, other: Operand) -> Tensor:
    """Elementwise ``input + other`` (broadcasting; ``other`` may be a number).

    Examples:
        >>> import flowkit as flow
        >>> flow.add(flow.tensor([1, 2]), flow.tensor([10, 20]))
        tensor([11, 22], dtype=flowkit.int64)
    """
    return input + other


def sub(input: Tensor, other: Operand) -> Tensor:
    """Elementwise ``input - other`` (broadcasting; ``other`` may be a number).

    Examples:
        >>> import flowkit as flow
        >>> flow.sub(flow.tensor([5.0, 7.0]), 2.0)
        tensor([3., 5.], dtype=flowkit.float32)
    """
    return input - other


def mul(input: Tensor, other: Operand) -> Tensor:
    """Elementwise ``input * other`` (broadcasting; ``other`` may be a number).

    Examples:
        >>> import flowkit as flow
        >>> flow.mul(flow.tensor([1.0, 2.0]), flow.tensor([3.0, 4.0]))
        tensor([3., 8.], dtype=flowkit.float32)
    """
    return input * other


def div(input: Tensor, other: Operand) -> Tensor:
    """Elementwise true division ``input / other``; integers divide to float32.

    Examples:
        >>> import flowkit as flow
        >>> flow.div(flow.tensor([1, 3]), 2)
        tensor([0.5000, 1.5000], dtype=flowkit.float32)
    """
    return input / other


def pow(input: Tensor, exponent: Operand) -> Tensor:  # noqa: A001 - PyTorch's name
    """Elementwise ``input ** exponent`` (a number or a tensor).

    Examples:
        >>> import flowkit as flow
        >>> flow.pow(flow.tensor([1.0, 2.0, 3.0]), 2)
        tensor([1., 4., 9.], dtype=flowkit.float32)
    """
    return input**exponent


def remainder(input: Tensor, other: Operand) -> Tensor:
    """Elementwise remainder with the sign of the divisor (Python's ``%``).

    Examples:
        >>> import flowkit as flow
        >>> flow.remainder(flow.tensor([-3, 5]), 3)
        tensor([0, 2], dtype=flowkit.int64)
    """
    return input % other


def floor_divide(input: Tensor, other: Operand) -> Tensor:
    """Elementwise division rounded down (Python's ``//``).

    Examples:
        >>> import flowkit as flow
        >>> flow.floor_divide(flow.tensor([-7, 7]), 2)
        tensor([-4,  3], dtype=flowkit.int64)
    """
    return input // other


def maximum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise larger value of two tensors (NaN wins, as in PyTorch).

    Examples:
        >>> import flowkit as flow
        >>> flow.maximum(flow.tensor([1, 5]), flow.tensor([3, 2]))
        tensor([3, 5], dtype=flowkit.int64)
    """
    need_tensor("maximum", input)
    return input.maximum(other)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise smaller value of two tensors (NaN wins, as in PyTorch).

    Examples:
        >>> import flowkit as flow
        >>> flow.minimum(flow.tensor([1, 5]), flow.tensor([3, 2]))
        tensor([1, 2], dtype=flowkit.int64)
    """
    need_tensor("minimum", input)
    return input.minimum(other)


def clamp(
    input: Tensor,
    min: Operand | None = None,  # noqa: A002 - PyTorch's names
    max: Operand | None = None,
) -> Tensor:  # noqa: A002
    """Values limited to ``[min, max]``; either bound may be left out, or be a tensor.

    ``flowkit.clip`` is another name for this function.

    Examples:
        >>> import flowkit as flow
        >>> flow.clamp(flow.tensor([-2.0, 0.5, 3.0]), min=0.0, max=1.0)
        tensor([0.0000, 0.5000, 1.0000], dtype=flowkit.float32)
    """
    need_tensor("clamp", input)
    return input.clamp(min, max)


clip = clamp


def neg(input: Tensor) -> Tensor:
    """Elementwise ``-input``.

    Examples:
        >>> import flowkit as flow
        >>> flow.neg(flow.tensor([1.0, -2.0]))
        tensor([-1.,  2.], dtype=flowkit.float32)
    """
    return -input


def abs(input: Tensor) -> Tensor:  # noqa: A001 - PyTorch's name
    """Elementwise absolute value.

    Examples:
        >>> import flowkit as flow
        >>> flow.abs(flow.tensor([-1.5, 2.0]))
        tensor([1.5000, 2.0000], dtype=flowkit.float32)
    """
    try:
        return input.abs()
    except AttributeError:  # not a tensor (the success path pays nothing)
        not_a_tensor("abs", input)


def exp(input: Tensor) -> Tensor:
    """Elementwise ``e ** input``.

    Examples:
        >>> import flowkit as flow
        >>> flow.exp(flow.tensor([0.0, 1.0]))
        tensor([1.0000, 2.7183], dtype=flowkit.float32)
    """
    try:
        return input.exp()
    except AttributeError:
        not_a_tensor("exp", input)


def expm1(input: Tensor) -> Tensor:
    """Elementwise ``exp(input) - 1``, accurate near 0.

    Examples:
        >>> import flowkit as flow
        >>> flow.expm1(flow.tensor([0.0, 1.0]))
        tensor([0.0000, 1.7183], dtype=flowkit.float32)
    """
    try:
        return input.expm1()
    except AttributeError:
        not_a_tensor("expm1", input)


def log(input: Tensor) -> Tensor:
    """Elementwise natural logarithm.

    Examples:
        >>> import flowkit as flow
        >>> flow.log(flow.tensor([1.0, 100.0]))
        tensor([0.0000, 4.6052], dtype=flowkit.float32)
    """
    try:
        return input.log()
    except AttributeError:
        not_a_tensor("log", input)


def log1p(input: Tensor) -> Tensor:
    """Elementwise ``log(1 + input)``, accurate near 0.

    Examples:
        >>> import flowkit as flow
        >>> flow.log1p(flow.tensor([0.0, 1.0]))
        tensor([0.0000, 0.6931], dtype=flowkit.float32)
    """
    try:
        return input.log1p()
    except AttributeError:
        not_a_tensor("log1p", input)


def log2(input: Tensor) -> Tensor:
    """Elementwise base-2 logarithm.

    Examples:
        >>> import flowkit as flow
        >>> flow.log2(flow.tensor([1.0, 8.0]))
        tensor([0., 3.], dtype=flowkit.float32)
    """
    try:
        return input.log2()
    except AttributeError:
        not_a_tensor("log2", input)


def log10(input: Tensor) -> Tensor:
    """Elementwise base-10 logarithm.

    Examples:
        >>> import flowkit as flow
        >>> flow.log10(flow.tensor([1.0, 10.0]))
        tensor([0., 1.], dtype=flowkit.float32)
    """
    try:
        return input.log10()
    except AttributeError:
        not_a_tensor("log10", input)


def sqrt(input: Tensor) -> Tensor:
    """Elementwise square root.

    Examples:
        >>> import flowkit as flow
        >>> flow.sqrt(flow.tensor([4.0, 9.0]))
        tensor([2., 3.], dtype=flowkit.float32)
    """
    try:
        return input.sqrt()
    except AttributeError:
        not_a_tensor("sqrt", input)


def rsqrt(input: Tensor) -> Tensor:
    """Elementwise ``1 / sqrt(input)``.

    Examples:
        >>> import flowkit as flow
        >>> flow.rsqrt(flow.tensor([4.0, 16.0]))
        tensor([0.5000, 0.2500], dtype=flowkit.float32)
    """
    try:
        return input.rsqrt()
    except AttributeError:
        not_a_tensor("rsqrt", input)


def reciprocal(input: Tensor) -> Tensor:
    """Elementwise ``1 / input``.

    Examples:
        >>> import flowkit as flow
        >>> flow.reciprocal(flow.tensor([2.0, -4.0]))
        tensor([ 0.5000, -0.2500], dtype=flowkit.float32)
    """
    try:
        return input.reciprocal()
    except AttributeError:
        not_a_tensor("reciprocal", input)


def sin(input: Tensor) -> Tensor:
    """Elementwise sine (radians).

    Examples:
        >>> import flowkit as flow
        >>> flow.sin(flow.tensor([0.0, 1.5708]))
        tensor([0., 1.], dtype=flowkit.float32)
    """
    try:
        return input.sin()
    except AttributeError:
        not_a_tensor("sin", input)


def cos(input: Tensor) -> Tensor:
    """Elementwise cosine (radians).

    Examples:
        >>> import flowkit as flow
        >>> flow.cos(flow.tensor([0.0, 3.1416]))
        tensor([ 1., -1.], dtype=flowkit.float32)
    """
    try:
        return input.cos()
    except AttributeError:
        not_a_tensor("cos", input)


def tanh(input: Tensor) -> Tensor:
    """Elementwise hyperbolic tangent.

    Examples:
        >>> import flowkit as flow
        >>> flow.tanh(flow.tensor([0.0, 1.0]))
        tensor([0.0000, 0.7616], dtype=flowkit.float32)
    """
    try:
        return input.tanh()
    except AttributeError:
        not_a_tensor("tanh", input)


def sigmoid(input: Tensor) -> Tensor:
    """Elementwise logistic function ``1 / (1 + exp(-input))``.

    Examples:
        >>> import flowkit as flow
        >>> flow.sigmoid(flow.tensor([0.0, 2.0]))
        tensor([0.5000, 0.8808], dtype=flowkit.float32)
    """
    try:
        return input.sigmoid()
    except AttributeError:
        not_a_tensor("sigmoid", input)


def relu(input: Tensor) -> Tensor:
    """Elementwise ``max(input, 0)``.

    Examples:
        >>> import flowkit as flow
        >>> flow.relu(flow.tensor([-1.0, 0.5]))
        tensor([0.0000, 0.5000], dtype=flowkit.float32)
    """
    try:
        return input.relu()
    except AttributeError:
        not_a_tensor("relu", input)


def sign(input: Tensor) -> Tensor:
    """Elementwise -1, 0 or 1.

    Examples:
        >>> import flowkit as flow
        >>> flow.sign(flow.tensor([-2.0, 0.0, 3.0]))
        tensor([-1.,  0.,  1.], dtype=flowkit.float32)
    """
    try:
        return input.sign()
    except AttributeError:
        not_a_tensor("sign", input)


def floor(input: Tensor) -> Tensor:
    """Elementwise rounding down.

    Examples:
        >>> import flowkit as flow
        >>> flow.floor(flow.tensor([-1.5, 1.5]))
        tensor([-2.,  1.], dtype=flowkit.float32)
    """
    try:
        return input.floor()
    except AttributeError:
        not_a_tensor("floor", input)


def ceil(input: Tensor) -> Tensor:
    """Elementwise rounding up.

    Examples:
        >>> import flowkit as flow
        >>> flow.ceil(flow.tensor([-1.5, 1.5]))
        tensor([-1.,  2.], dtype=flowkit.float32)
    """
    try:
        return input.ceil()
    except AttributeError:
        not_a_tensor("ceil", input)


def round(input: Tensor, decimals: int = 0) -> Tensor:  # noqa: A001 - PyTorch's name
    """Elementwise rounding half to even (to ``decimals`` places).

    Examples:
        >>> import flowkit as flow
        >>> flow.round(flow.tensor([0.5, 1.5, 2.5]))
        tensor([0., 2., 2.], dtype=flowkit.float32)
    """
    try:
        return input.round(decimals)
    except AttributeError:
        not_a_tensor("round", input)


def square(input: Tensor) -> Tensor:
    """Elementwise ``input * input``.

    Examples:
        >>> import flowkit as flow
        >>> flow.square(flow.tensor([-2, 3]))
        tensor([4, 9], dtype=flowkit.int64)
    """
    return input * input


def tan(input: Tensor) -> Tensor:
    """Elementwise tangent (radians).

    Examples:
        >>> import flowkit as flow
        >>> flow.tan(flow.tensor([0.0, 1.0]))
        tensor([0.0000, 1.5574], dtype=flowkit.float32)
    """
    try:
        return input.tan()
    except AttributeError:
        not_a_tensor("tan", input)


def asin(input: Tensor) -> Tensor:
    """Elementwise inverse sine (NaN outside ``[-1, 1]``); ``arcsin`` is another name.

    Examples:
        >>> import flowkit as flow
        >>> flow.asin(flow.tensor([0.0, 1.0]))
        tensor([0.0000, 1.5708], dtype=flowkit.float32)
    """
    try:
        return input.asin()
    except AttributeError:
        not_a_tensor("asin", input)


def acos(input: Tensor) -> Tensor:
    """Elementwise inverse cosine (NaN outside ``[-1, 1]``); ``arccos`` is another name.

    Examples:
        >>> import flowkit as flow
        >>> flow.acos(flow.tensor([1.0, 0.0]))
        tensor([0.0000, 1.5708], dtype=flowkit.float32)
    """
    try:
        return input.acos()
    except AttributeError:
        not_a_tensor("acos", input)


def atan(input: Tensor) -> Tensor:
    """Elementwise inverse tangent; ``arctan`` is another name.

    Examples:
        >>> import flowkit as flow
        >>> flow.atan(flow.tensor([0.0, 1.0]))
        tensor([0.0000, 0.7854], dtype=flowkit.float32)
    """
    try:
        return input.atan()
    except AttributeError:
        not_a_tensor("atan", input)


def sinh(input: Tensor) -> Tensor:
    """Elementwise hyperbolic sine.

    Examples:
        >>> import flowkit as flow
        >>> flow.sinh(flow.tensor([0.0, 1.0]))
        tensor([0.0000, 1.1752], dtype=flowkit.float32)
    """
    try:
        return input.sinh()
    except AttributeError:
        not_a_tensor("sinh", input)


def cosh(input: Tensor) -> Tensor:
    """Elementwise hyperbolic cosine.

    Examples:
        >>> import flowkit as flow
        >>> flow.cosh(flow.tensor([0.0, 1.0]))
        tensor([1.0000, 1.5431], dtype=flowkit.float32)
    """
    try:
        return input.cosh()
    except AttributeError:
        not_a_tensor("cosh", input)


def asinh(input: Tensor) -> Tensor:
    """Elementwise inverse hyperbolic sine.

    Examples:
        >>> import flowkit as flow
        >>> flow.asinh(flow.tensor([0.0, 1.0]))
        tensor([0.0000, 0.8814], dtype=flowkit.float32)
    """
    try:
        return input.asinh()
    except AttributeError:
        not_a_tensor("asinh", input)


def acosh(input: Tensor) -> Tensor:
    """Elementwise inverse hyperbolic cosine (NaN below 1).

    Examples:
        >>> import flowkit as flow
        >>> flow.acosh(flow.tensor([1.0, 2.0]))
        tensor([0.0000, 1.3170], dtype=flowkit.float32)
    """
    try:
        return input.acosh()
    except AttributeError:
        not_a_tensor("acosh", input)


def atanh(input: Tensor) -> Tensor:
    """Elementwise inverse hyperbolic tangent (``+-inf`` at ``+-1``, NaN beyond).

    Examples:
        >>> import flowkit as flow
        >>> flow.atanh(flow.tensor([0.0, 0.5]))
        tensor([0.0000, 0.5493], dtype=flowkit.float32)
    """
    try:
        return input.atanh()
    except AttributeError:
        not_a_tensor("atanh", input)


def erf(input: Tensor) -> Tensor:
    """Elementwise error function ``2/sqrt(pi) * integral of exp(-t**2) from 0 to self``.

    Examples:
        >>> import flowkit as flow
        >>> flow.erf(flow.tensor([0.0, 1.0]))
        tensor([0.0000, 0.8427], dtype=flowkit.float32)
    """
    try:
        return input.erf()
    except AttributeError:
        not_a_tensor("erf", input)


def erfc(input: Tensor) -> Tensor:
    """Elementwise complementary error function ``1 - erf(self)``, accurate where ``erf`` is
    close to 1.

    Examples:
        >>> import flowkit as flow
        >>> flow.erfc(flow.tensor([0.0, 1.0]))
        tensor([1.0000, 0.1573], dtype=flowkit.float32)
    """
    try:
        return input.erfc()
    except AttributeError:
        not_a_tensor("erfc", input)


def erfinv(input: Tensor) -> Tensor:
    """Elementwise inverse error function (``+-inf`` at ``+-1``, NaN beyond).

    Examples:
        >>> import flowkit as flow
        >>> flow.erfinv(flow.tensor([0.0, 0.5]))
        tensor([0.0000, 0.4769], dtype=flowkit.float32)
    """
    try:
        return input.erfinv()
    except AttributeError:
        not_a_tensor("erfinv", input)


def arcsin(input: Tensor) -> Tensor:
    """Another name for [`asin`][flowkit.ops.arithmetic.asin] (numpy's).

    Examples:
        >>> import flowkit as flow
        >>> flow.arcsin(flow.tensor([0.0, 1.0]))
        tensor([0.0000, 1.5708], dtype=flowkit.float32)
    """
    return asin(input)


def arccos(input: Tensor) -> Tensor:
    """Another name for [`acos`][flowkit.ops.arithmetic.acos] (numpy's).

    Examples:
        >>> import flowkit as flow
        >>> flow.arccos(flow.tensor([1.0, 0.0]))
        tensor([0.0000, 1.5708], dtype=flowkit.float32)
    """
    return acos(input)


def arctan(input: Tensor) -> Tensor:
    """Another name for [`atan`][flowkit.ops.arithmetic.atan] (numpy's).

    Examples:
        >>> import flowkit as flow
        >>> flow.arctan(flow.tensor([0.0, 1.0]))
        tensor([0.0000, 0.7854], dtype=flowkit.float32)
    """
    return atan(input)


def trunc(input: Tensor) -> Tensor:
    """Elementwise rounding toward zero (integer tensors are unchanged).

    Examples:
        >>> import flowkit as flow
        >>> flow.trunc(flow.tensor([-1.7, 1.7]))
        tensor([-1.,  1.], dtype=flowkit.float32)
    """
    try:
        return input.trunc()
    except AttributeError:
        not_a_tensor("trunc", input)


def frac(input: Tensor) -> Tensor:
    """Elementwise fractional part ``input - trunc(input)`` (floating-point tensors only).

    Examples:
        >>> import flowkit as flow
        >>> flow.frac(flow.tensor([-1.75, 1.75]))
        tensor([-0.7500,  0.7500], dtype=flowkit.float32)
    """
    try:
        return input.frac()
    except AttributeError:
        not_a_tensor("frac", input)


def atan2(input: Tensor, other: Tensor | float | int) -> Tensor:
    """Elementwise angle of the point ``(other, input)``, in ``[-pi, pi]`` (broadcasting).

    Examples:
        >>> import flowkit as flow
        >>> flow.atan2(flow.tensor([1.0, -1.0]), flow.tensor([-1.0, 0.0]))
        tensor([ 2.3562, -1.5708], dtype=flowkit.float32)
    """
    need_tensor("atan2", input)
    return input.atan2(other)


def arctan2(input: Tensor, other: Tensor | float | int) -> Tensor:
    """Another name for [`atan2`][flowkit.ops.arithmetic.atan2] (numpy's).

    Examples:
        >>> import flowkit as flow
        >>> flow.arctan2(flow.tensor([1.0]), flow.tensor([1.0]))
        tensor([0.7854], dtype=flowkit.float32)
    """
    return atan2(input, other)


def logaddexp(input: Tensor, other: Tensor | float | int) -> Tensor:
    """Elementwise ``log(exp(input) + exp(other))``, without overflow (broadcasting).

    Examples:
        >>> import flowkit as flow
        >>> flow.logaddexp(flow.tensor([0.0, 1e-3]), flow.tensor([0.0, 100.0]))
        tensor([  0.6931, 100.0000], dtype=flowkit.float32)
    """
    need_tensor("logaddexp", input)
    return input.logaddexp(other)


def fmod(input: Tensor, other: Operand) -> Tensor:
    """Elementwise remainder with the sign of the dividend (C's ``fmod``; see
    [`remainder`][flowkit.ops.arithmetic.remainder] for Python's ``%``).

    Examples:
        >>> import flowkit as flow
        >>> flow.fmod(flow.tensor([-3, 3]), 2), flow.remainder(flow.tensor([-3, 3]), 2)
        (tensor([-1,  1], dtype=flowkit.int64), tensor([1, 1], dtype=flowkit.int64))
    """
    need_tensor("fmod", input)
    return input.fmod(other)


def clamp_min(input: Tensor, min: Operand) -> Tensor:  # noqa: A002 - PyTorch's name
    """Values limited from below (``clamp(input, min=min)``).

    Examples:
        >>> import flowkit as flow
        >>> flow.clamp_min(flow.tensor([-2, 3]), 0)
        tensor([0, 3], dtype=flowkit.int64)
    """
    need_tensor("clamp_min", input)
    return input.clamp_min(min)


def clamp_max(input: Tensor, max: Operand) -> Tensor:  # noqa: A002 - PyTorch's name
    """Values limited from above (``clamp(input, max=max)``).

    Examples:
        >>> import flowkit as flow
        >>> flow.clamp_max(flow.tensor([-2, 3]), 0)
        tensor([-2,  0], dtype=flowkit.int64)
    """
    need_tensor("clamp_max", input)
    return input.clamp_max(max)


def softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """Softmax over ``dim``: [`flowkit.nn.functional.softmax`][flowkit.nn.functional.softmax]
    as a top-level function (OneFlow's ``flowkit.softmax``).

    Examples:
        >>> import flowkit as flow
        >>> flow.softmax(flow.tensor([0.0, 0.0]), dim=0)
        tensor([0.5000, 0.5000], dtype=flowkit.float32)
    """
    from ..nn import functional as F

    need_tensor("softmax", input)
    return F.softmax(input, dim, dtype=dtype)
