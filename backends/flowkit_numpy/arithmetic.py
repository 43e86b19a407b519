"""Elementwise arithmetic and math on the numpy backend (the contract and the rules:
:mod:`flowkit.ops.arithmetic`): ``+ - * / ** % //``, unary math, rounding, ``maximum``/``minimum``,
``clamp``; and the operand rules every family uses (PyTorch's type promotion, which numpy alone
would not follow: float32 with int64 is float32 here, float64 in numpy).

The binary and unary ops are the hot path, so their methods are built by small factories with
the kernel, the node and the replay written out inline (see define.py); each VJP is registered
beside them.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from flowkit import dtypes as _dt
from flowkit.ops.arithmetic import (
    bool_operands_error,
    bool_sub_error,
    bool_unary_error,
    broadcast_error,
    clamp_bounds_missing,
    clamp_shape_error,
    int_operand_error,
    integer_division_by_zero,
    need_float_error,
    need_float_operands_error,
    negative_power_error,
    numpy_operand_error,
    operand_type_error,
    refuse_operand,
    result_dtype,
)
from flowkit.ops.arithmetic import named_operator as _named

from . import define
from .define import NumpyTensorBase, forward_op, fresh, if_rg, make, recorded, vjp
from .engine import VJP, Node, crosswise, needs

_PROMOTED: dict = {}


def _promote(a: np.ndarray, b: np.ndarray):
    """Cast two arrays to PyTorch's result dtype (cached per dtype pair and 0-d-ness)."""
    key = (a.dtype, b.dtype, not a.ndim, not b.ndim)
    r = _PROMOTED.get(key)
    if r is None:
        r = _PROMOTED[key] = _common_dtype((a, b))
    return (a if a.dtype == r else a.astype(r)), (b if b.dtype == r else b.astype(r))


def _common_dtype(values) -> np.dtype:
    """PyTorch's result dtype for arrays and Python numbers (the core's rule, as numpy's)."""
    return result_dtype(*values).np


_NO_BOOL = frozenset(("sub", "rsub"))  # ops that refuse bool operands, as in PyTorch


def _scalar_operand(value, a: np.ndarray, op: str):
    """A Python (or numpy) number next to array ``a``: returns (a, value) with the int array
    promoted to float32 when the number is a float, as PyTorch does. PyTorch's refusals are
    checked off the float path: a bool operand of a subtraction, an integer tensor to a
    negative integer power."""
    if isinstance(value, np.generic):
        value = value.item()  # numpy scalars are weak like Python numbers, as in PyTorch
    if isinstance(value, bool):
        if op in _NO_BOOL:
            raise _sub_bool_error(op, a, value)
        return a, value
    if isinstance(value, numbers.Number) and not isinstance(value, complex):
        kind = a.dtype.kind
        if kind in "biu":
            if kind == "b" and op in _NO_BOOL:
                raise _sub_bool_error(op, a, value)
            if isinstance(value, float):
                a = a.astype(np.float32)
            elif op == "pow" and isinstance(value, int) and value < 0:
                raise negative_power_error(_dt.from_numpy_dtype(a.dtype), value)
            elif isinstance(value, int) and kind != "b" and not 0 <= value <= 127 and op != "pow":
                value = _int_in_dtype(op, value, a.dtype)
        return a, value
    if isinstance(value, np.ndarray):
        raise numpy_operand_error(op)
    return None, None


_INT_RANGES: dict = {}


def _int_in_dtype(op: str, value: int, dt: np.dtype) -> int:
    """A Python int next to an integer array, as PyTorch takes it: cast to the array's dtype,
    wrapping around (``uint8 + 300`` adds 44, ``uint8 + -1`` adds 255), where numpy raises
    OverflowError; an int beyond 64 bits is an error on every backend."""
    r = _INT_RANGES.get(dt)
    if r is None:
        info = np.iinfo(dt)
        r = _INT_RANGES[dt] = (int(info.min), int(info.max))
    if r[0] <= value <= r[1]:
        return value
    try:
        return np.array(value).astype(dt).item()
    except (OverflowError, TypeError):  # beyond 64 bits
        err = int_operand_error(op, value, _dt.from_numpy_dtype(dt))
        assert err is not None  # (the value is out of range)
        raise err from None


def _sub_bool_error(op: str, a, b):
    """``a - b`` (``b - a`` for ``rsub``) with a bool operand; arrays or numbers."""
    names = [
        _dt.from_numpy_dtype(v.dtype)
        if isinstance(v, np.ndarray)
        else v.item()
        if isinstance(v, np.generic)
        else v
        for v in (a, b)
    ]
    if op == "rsub":
        names.reverse()
    return bool_sub_error(op.removeprefix("r"), *names)


def _int_power(a, b):
    """PyTorch's integer power where an exponent is negative (numpy refuses): 1 -> 1, -1 -> 1 or
    -1 by the exponent's parity, any other base -> 0. None when that is not why numpy failed.
    Data-dependent, so the replay kernels call it too."""
    if np.result_type(a, b).kind not in "biu" or not np.any(np.less(b, 0)):
        return None
    neg = np.less(b, 0)
    out = np.power(a, np.where(neg, 0, b))
    r = np.where(np.equal(a, 1), 1, np.where(np.equal(a, -1), 1 - 2 * np.remainder(b, 2), 0))
    return np.where(neg, r, out).astype(out.dtype, copy=False)


def _retry(retry, a, b):
    """``retry(a, b)`` after the kernel raised ValueError: its result, or None (it does not apply,
    or it fails as well, e.g. shapes that do not broadcast)."""
    if retry is None:
        return None
    try:
        return retry(a, b)
    except ValueError:
        return None


def _with_retry(fwd, retry):
    """``fwd(a, b)``, or ``retry(a, b)`` where ``fwd`` raised ValueError for the values (decided
    at every call: in a replayed step too); the ValueError stands when neither applies."""
    if retry is None:
        return fwd

    def compute(a, b):
        try:
            return fwd(a, b)
        except ValueError:
            out = _retry(retry, a, b)
            if out is None:
                raise
            return out

    return compute


# --------------------------------------------------------------------------------------------- VJPs


# -------------------------------------------------------------------------- elementwise binary
@vjp("add", saves=())
def _add_vjp(g, ctx, need):
    return g, g


@vjp("sub", saves=())
def _sub_vjp(g, ctx, need):
    return g, (-g if need[1] is not None else None)


@vjp("mul", saves=("in0", "in1"))
def _mul_vjp(g, ctx, need):
    a, b = ctx
    return (g * b if need[0] is not None else None), (g * a if need[1] is not None else None)


@vjp("div", saves=("in0", "in1"))
def _div_vjp(g, ctx, need):
    a, b = ctx
    ga = g / b if need[0] is not None else None
    gb = -g * a / (b * b) if need[1] is not None else None
    return ga, gb


# which saved values each VJP reads (the in-place version check follows PyTorch's saves)
needs("mul", crosswise)
needs("div", lambda inputs, ctx: (0, 1) if inputs[1] is not None else (1,))
# `x ** 2` reads the base; a tensor exponent makes PyTorch save base, exponent and result
needs("pow", lambda inputs, ctx: (0, 1, 2) if ctx[1].__class__ is np.ndarray else (0,))
needs("neg", lambda inputs, ctx: ())


@vjp("pow", saves=("in0", "in1", "out"))
def _pow_vjp(g, ctx, need):
    a, b, out = ctx
    ga = gb = None
    if need[0] is not None:
        # b * a**(b-1), written so that a == 0 with b >= 1 stays finite
        ga = b * np.power(a, b - 1)
        # 0 where b == 0, as PyTorch (else 0 * 0 ** -1 = nan at a == 0)
        # (the double-backward graph, over tensors, keeps the plain formula)
        if isinstance(b, np.ndarray):
            ga = np.where(b == 0, 0, ga)
        elif isinstance(b, (int, float)) and b == 0:
            ga = ga * 0
        ga = g * ga
    if need[1] is not None:
        if isinstance(a, (int, float)):  # `2 ** x`: a Python number as the base
            loga = math.log(a) if a > 0 else 0.0
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                loga = np.where(a > 0, np.log(np.where(a > 0, a, 1)), 0)  # d/db a**b = a**b log a
        gb = g * out * loga
    return ga, gb


# `2 - x`, `2 ** x`, `2 / x`: recorded with the constant as first input, so the forward op's
# VJP gives the tensor's gradient in the second slot
VJP["rsub"], VJP["rpow"], VJP["rdiv"] = _sub_vjp, _pow_vjp, _div_vjp
define.SAVES["rsub"] = define.SAVES["sub"]
define.SAVES["rpow"] = define.SAVES["pow"]
define.SAVES["rdiv"] = define.SAVES["div"]


# -------------------------------------------------------------------------- elementwise unary
@vjp("neg", saves=("in0",))
def _neg_vjp(g, ctx, need):
    return (-g,)


@vjp("exp", saves=("out",))
def _exp_vjp(g, ctx, need):
    (out,) = ctx
    return (g * out,)


@vjp("log", saves=("in0",))
def _log_vjp(g, ctx, need):
    (a,) = ctx
    return (g / a,)


@vjp("sqrt", saves=("out",))
def _sqrt_vjp(g, ctx, need):
    (out,) = ctx
    return (g / (2 * out),)


@vjp("abs", saves=("in0",))
def _abs_vjp(g, ctx, need):
    (a,) = ctx
    return (g * np.sign(a),)


@vjp("sin", saves=("in0",))
def _sin_vjp(g, ctx, need):
    (a,) = ctx
    return (g * np.cos(a),)


@vjp("cos", saves=("in0",))
def _cos_vjp(g, ctx, need):
    (a,) = ctx
    return (-g * np.sin(a),)


@vjp("tanh", saves=("out",))
def _tanh_vjp(g, ctx, need):
    (out,) = ctx
    return (g * (1 - out * out),)


@vjp("sigmoid", saves=("out",))
def _sigmoid_vjp(g, ctx, need):
    (out,) = ctx
    return (g * out * (1 - out),)


@vjp("relu", saves=("out",))
def _relu_vjp(g, ctx, need):
    (out,) = ctx
    return (g * (out > 0),)


def _zero_vjp(g, ctx, need):
    return (np.zeros_like(g),)  # piecewise constant: zero almost everywhere, as in PyTorch


@vjp("reciprocal", saves=("out",))
def _reciprocal_vjp(g, ctx, need):
    (out,) = ctx
    return (-g * out * out,)


@vjp("rsqrt", saves=("out",))
def _rsqrt_vjp(g, ctx, need):
    (out,) = ctx
    return (-0.5 * g * out * out * out,)


@vjp("log1p", saves=("in0",))
def _log1p_vjp(g, ctx, need):
    (a,) = ctx
    return (g / (1 + a),)


@vjp("expm1", saves=("out",))
def _expm1_vjp(g, ctx, need):
    (out,) = ctx
    return (g * (out + 1),)


@vjp("log2", saves=("in0",))
def _log2_vjp(g, ctx, need):
    (a,) = ctx
    return (g / (a * np.log(2.0)),)


@vjp("log10", saves=("in0",))
def _log10_vjp(g, ctx, need):
    (a,) = ctx
    return (g / (a * np.log(10.0)),)


# trigonometric, hyperbolic and error functions (written with the ufuncs numpy_api maps, so
# their second derivatives come from the same table)
@vjp("tan", saves=("out",))
def _tan_vjp(g, ctx, need):
    (out,) = ctx
    return (g * (1 + out * out),)


@vjp("asin", saves=("in0",))
def _asin_vjp(g, ctx, need):
    (a,) = ctx
    return (g / np.sqrt(1 - a * a),)


@vjp("acos", saves=("in0",))
def _acos_vjp(g, ctx, need):
    (a,) = ctx
    return (-g / np.sqrt(1 - a * a),)


@vjp("atan", saves=("in0",))
def _atan_vjp(g, ctx, need):
    (a,) = ctx
    return (g / (1 + a * a),)


@vjp("sinh", saves=("in0",))
def _sinh_vjp(g, ctx, need):
    (a,) = ctx
    return (g * np.cosh(a),)


@vjp("cosh", saves=("in0",))
def _cosh_vjp(g, ctx, need):
    (a,) = ctx
    return (g * np.sinh(a),)


@vjp("asinh", saves=("in0",))
def _asinh_vjp(g, ctx, need):
    (a,) = ctx
    return (g / np.sqrt(a * a + 1),)


@vjp("acosh", saves=("in0",))
def _acosh_vjp(g, ctx, need):
    (a,) = ctx
    return (g / np.sqrt((a - 1) * (a + 1)),)


@vjp("atanh", saves=("in0",))
def _atanh_vjp(g, ctx, need):
    (a,) = ctx
    return (g / (1 - a * a),)


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


@vjp("erf", saves=("in0",))
def _erf_vjp(g, ctx, need):
    (a,) = ctx
    return (g * _TWO_OVER_SQRT_PI * np.exp(-(a * a)),)


@vjp("erfc", saves=("in0",))
def _erfc_vjp(g, ctx, need):
    (a,) = ctx
    return (-g * _TWO_OVER_SQRT_PI * np.exp(-(a * a)),)


@vjp("erfinv", saves=("out",))
def _erfinv_vjp(g, ctx, need):
    (out,) = ctx
    return (g * (0.5 * math.sqrt(math.pi)) * np.exp(out * out),)


@vjp("frac", saves=("in0",))
def _frac_vjp(g, ctx, need):
    return (g,)


@vjp("atan2", saves=("in0", "in1"))
def _atan2_vjp(g, ctx, need):
    a, b = ctx  # atan2(a, b): d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2)
    r = g / (a * a + b * b)
    return (r * b if need[0] is not None else None), (-r * a if need[1] is not None else None)


@vjp("logaddexp", saves=("in0", "in1"))
def _logaddexp_vjp(g, ctx, need):
    a, b = ctx  # PyTorch's formulas: g / (1 + exp(b - a)), g / (1 + exp(a - b))
    ga = g / (1 + np.exp(b - a)) if need[0] is not None else None
    gb = g / (1 + np.exp(a - b)) if need[1] is not None else None
    return ga, gb


@vjp("fmod", saves=("in0", "in1"))
def _fmod_vjp(g, ctx, need):
    a, b = ctx  # a - trunc(a / b) * b
    gb = -g * np.trunc(a / b) if need[1] is not None else None
    return g, gb


# -------------------------------------------------------------------------- selection
def _pick(g, a, b, need, a_loses, b_loses):
    """maximum/minimum: the gradient goes to the operand selected; ties split it evenly, as
    PyTorch does."""
    half = np.where(a == b, g * 0.5, g)
    ga = np.where(a_loses(a, b), 0, half) if need[0] is not None else None
    gb = np.where(b_loses(a, b), 0, half) if need[1] is not None else None
    return ga, gb


@vjp("maximum", saves=("in0", "in1"))
def _maximum_vjp(g, ctx, need):
    a, b = ctx
    return _pick(g, a, b, need, np.less, np.greater)


@vjp("minimum", saves=("in0", "in1"))
def _minimum_vjp(g, ctx, need):
    a, b = ctx
    return _pick(g, a, b, need, np.greater, np.less)


@vjp("remainder", saves=("in0", "in1"))
def _remainder_vjp(g, ctx, need):
    a, b = ctx  # a - floor(a / b) * b
    gb = -g * np.floor_divide(a, b) if need[1] is not None else None
    return g, gb


@vjp("clamp", saves=("in0", "in1", "in2"))
def _clamp_vjp(g, ctx, need):
    a, lo, hi = ctx  # PyTorch's rules, including which bound wins when min > max
    gx = glo = ghi = None
    if need[0] is not None:
        keep = True
        if lo is not None:
            keep = a >= lo
        if hi is not None:
            keep = keep & (a <= hi)
        gx = np.where(keep, g, 0)
    if need[1] is not None:
        sel = a < lo if hi is None else (a < lo) & (lo < hi)
        glo = np.where(sel, g, 0)
    if need[2] is not None:
        sel = a > hi if lo is None else (a > hi) | (hi < lo)
        ghi = np.where(sel, g, 0)
    return gx, glo, ghi


for _name in ("sign", "floor", "ceil", "round", "trunc"):
    VJP[_name] = _zero_vjp
    define.SAVES[_name] = ()


# --------------------------------------------------------------------------------- method factories


def _binary(name: str, fwd, save, retry=None):
    """Build the method for a broadcasting binary op. ``save(a, b, out)`` gives the VJP's ctx.
    ``retry(a, b)``: the result where ``fwd`` raised ValueError for the values (not the shapes),
    or None."""
    forward_op(name)
    vjp = VJP[name]
    no_bool = name in _NO_BOOL
    compute = _with_retry(fwd, retry)

    def kernel(a, b):
        # the method's steps on arrays, for a replayed nn.Graph step (the method keeps its own
        # copy of the operand steps inline: it is the eager hot path, one call less per op)
        if b.__class__ is np.ndarray:
            if a.dtype is not b.dtype:
                if no_bool and (a.dtype.kind == "b" or b.dtype.kind == "b"):
                    raise _sub_bool_error(name, a, b)
                a, b = _promote(a, b)
        else:
            a, b = _scalar_operand(b, a, name)
        out = compute(a, b)
        return fresh(out), save(a, b, out)

    def method(self, other):
        a = self._data
        given = other
        if isinstance(other, NumpyTensorBase):
            b = other._data
            if a.dtype is not b.dtype:
                if no_bool and (a.dtype.kind == "b" or b.dtype.kind == "b"):
                    raise _sub_bool_error(name, a, b)
                a, b = _promote(a, b)
        else:
            a, b = _scalar_operand(other, a, name)
            if a is None:
                return refuse_operand(name, other)
            other = None
        try:
            out = compute(a, b)
        except ValueError:
            raise broadcast_error(name, a.shape, np.shape(b)) from None
        except TypeError:
            if no_bool:  # bool - bool: numpy's own TypeError
                raise _sub_bool_error(name, a, b) from None
            raise
        except OverflowError:  # an int exponent out of the dtype's range (PyTorch refuses it)
            err = int_operand_error(name, b, _dt.from_numpy_dtype(a.dtype))
            if err is None:
                raise
            raise err from None
        if (define.grad_enabled or define.STATE.grad_enabled) and (
            self._rg or (other is not None and other._rg)
        ):
            need = (self if self._rg else None, other if other is not None and other._rg else None)
            res = make(out, Node(name, vjp, save(a, b, out), need))
        else:
            res = make(out)
        if define.tracer is not None:
            define.tracer.record(res, kernel, (self, given), name)
        return res

    return method


def _reflected(name: str, fwd, save, retry=None):
    """``2 - x``: the same op with the scalar first (``retry``: as for :func:`_binary`)."""
    forward_op(name)
    vjp = VJP[name]

    compute = _with_retry(fwd, retry)

    def kernel(a, s):
        a, s = _scalar_operand(s, a, name)
        out = compute(s, a)
        return fresh(out), save(s, a, out)

    def method(self, other):
        a, s = _scalar_operand(other, self._data, name)
        if a is None:
            return refuse_operand(name, other)
        out = compute(s, a)
        if (define.grad_enabled or define.STATE.grad_enabled) and self._rg:
            # recorded as the forward op with a constant first input: ctx is saved in
            # (scalar, tensor) order, so the forward op's VJP applies unchanged
            res = make(out, Node(name, vjp, save(s, a, out), (None, self)))
        else:
            res = make(out)
        if define.tracer is not None:
            define.tracer.record(res, kernel, (self, other), name)
        return res

    return method


def _unary(name: str, fwd, save_out: bool, float_only: bool = True, no_bool: bool = False):
    """``no_bool``: a bool tensor is an error, as in PyTorch (relu; neg's numpy kernel raises
    for bool by itself)."""
    forward_op(name)
    vjp = VJP[name]
    check = float_only or no_bool  # whether non-float dtypes need a look

    def compute(a):  # (the result, the array fwd ran on), for the method and the replay
        if check and a.dtype.kind != "f":
            if float_only:
                a = a.astype(np.float32)  # exp/log/... of integers give float32, as in PyTorch
            elif a.dtype.kind == "b":
                raise bool_unary_error(name)
        try:
            return fwd(a), a
        except TypeError:  # numpy has no kernel for this dtype (neg of bool)
            if a.dtype.kind == "b":
                raise bool_unary_error(name) from None
            raise

    def kernel(a):
        out, a = compute(a)
        return fresh(out), (out if save_out else a,)

    def method(self):
        out, a = compute(self._data)
        if (define.grad_enabled or define.STATE.grad_enabled) and self._rg:
            res = make(out, Node(name, vjp, (out if save_out else a,), (self,)))
        else:
            res = make(out)
        if define.tracer is not None:
            define.tracer.record(res, kernel, (self,), name)
        return res

    return method


def _plain_binary(name: str, fwd, int_check: bool = False, promote: bool = True):
    """A broadcasting binary op without a gradient (``//``, comparisons), with PyTorch's type
    promotion unless ``promote`` is off. Off the hot path, so the method runs the replay's
    kernel itself."""
    forward_op(name, differentiable=False)

    def kernel(a, b):
        if b.__class__ is np.ndarray:
            if promote and a.dtype is not b.dtype:
                a, b = _promote(a, b)
        else:
            a, b = _scalar_operand(b, a, name)
        if int_check:
            _check_int_division(name, a, b)  # data-dependent: checked at every replay too
        return fresh(fwd(a, b)), None

    def method(self, other):
        a = self._data
        if isinstance(other, NumpyTensorBase):
            b = other._data
        elif _scalar_operand(other, a, name)[0] is None:
            return refuse_operand(name, other)
        else:
            b = other
        try:
            out, _ = kernel(a, b)
        except ValueError:
            raise broadcast_error(name, a.shape, np.shape(b)) from None
        return recorded(make(out), kernel, (self, other), name)

    return method


def _plain_reflected(name: str, fwd, int_check: bool = False):
    """``5 // x``, ``5 % x``: no gradient (PyTorch has none for the divisor side either)."""
    forward_op(name, differentiable=False)

    def kernel(a, s):
        a, s = _scalar_operand(s, a, name)
        if int_check:
            _check_int_division(name.removeprefix("r"), np.asarray(s), a)
        return fresh(fwd(s, a)), None

    def method(self, other):
        if _scalar_operand(other, self._data, name)[0] is None:
            return refuse_operand(name, other)
        return recorded(make(kernel(self._data, other)[0]), kernel, (self, other), name)

    return method


def _check_int_division(name: str, a, b) -> None:
    # integer // and % by zero: an error as in PyTorch (numpy would give 0 and a warning)
    kinds = a.dtype.kind + np.asarray(b).dtype.kind
    if kinds == "bb":
        raise bool_operands_error(name)
    if "f" not in kinds and np.any(np.asarray(b) == 0):
        raise integer_division_by_zero(name)


def _int_remainder(a, b):
    _check_int_division("remainder", a, b)
    return np.remainder(a, b)


def _sign(a: np.ndarray):
    r = np.sign(a)  # sign(nan) is 0, as in PyTorch (numpy's is nan)
    return np.nan_to_num(r, copy=False, nan=0.0) if r.ndim else np.nan_to_num(r, nan=0.0)


def _rounding(name: str, fwd):
    """sign/floor/ceil/round: integer tensors come back unchanged in dtype (numpy's floor of an
    int array would be float64), bool ones are an error except for sign (as in PyTorch); the
    gradient is zero, as in PyTorch, but still recorded."""
    forward_op(name)
    vjp = VJP[name]

    def kernel(a):
        if a.dtype.kind == "f":
            out = fwd(a)
        elif a.dtype.kind != "b":
            out = np.sign(a) if name == "sign" else a.copy()
        elif name == "sign":
            out = a.copy()
        else:  # floor/ceil/round of bool: PyTorch has no kernel for it
            raise bool_unary_error(name)
        return fresh(out), None

    def method(self):
        out, _ = kernel(self._data)
        res = make(
            out,
            Node(name, vjp, None, (self,))
            if (define.grad_enabled or define.STATE.grad_enabled) and self._rg
            else None,
        )
        if define.tracer is not None:
            define.tracer.record(res, kernel, (self,), name)
        return res

    return method


# ---------------------------------------------------------------------------------- selection
def _operand(value, name: str):
    """(array or Python number, the tensor or None) for an operand that may be a number."""
    if isinstance(value, NumpyTensorBase):
        return value._data, value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (bool, int, float)):
        return value, None
    raise operand_type_error(name, value)


def _clamp(x: NumpyTensorBase, lo, hi) -> NumpyTensorBase:
    if lo is None and hi is None:
        raise clamp_bounds_missing()
    a = x._data
    if a.dtype == np.bool_:
        raise bool_operands_error("clamp")
    la, lt = (None, None) if lo is None else _operand(lo, "clamp")
    ha, ht = (None, None) if hi is None else _operand(hi, "clamp")
    try:
        out, ctx = _clamp_kernel(a, la, ha)
    except OverflowError:  # a bound out of an integer dtype's range (PyTorch refuses it)
        for bound in (la, ha):
            err = int_operand_error("clamp", bound, x.dtype)
            if err is not None:
                raise err from None
        raise
    except ValueError:
        raise clamp_shape_error(
            () if la is None else np.shape(la), () if ha is None else np.shape(ha), a.shape
        ) from None
    node = None
    if (define.grad_enabled or define.STATE.grad_enabled) and (
        x._rg or lt is not None and lt._rg or ht is not None and ht._rg
    ):
        node = Node("clamp", _VJP_CLAMP, ctx, (if_rg(x), if_rg(lt), if_rg(ht)))
    return recorded(
        make(out, node),
        _clamp_kernel,
        (x, la if lt is None else lt, ha if ht is None else ht),
        "clamp",
    )


def _clamp_kernel(a, la, ha):  # (the bounds: tensors' arrays, numbers or None)
    r = _common_dtype([a] + [v for v in (la, ha) if v is not None])
    a = a if a.dtype == r else a.astype(r)
    la = None if la is None else np.asarray(la, r)
    ha = None if ha is None else np.asarray(ha, r)
    out = a
    if la is not None:
        out = np.maximum(out, la)  # NaN propagates, as in PyTorch
    if ha is not None:
        out = np.minimum(out, ha)
    if out is a:
        out = a.copy()
    return out, (a, la, ha)


# ---------------------------------------------------------------------------- error functions
# numpy has no erf; these are accurate to a few units in the last place of float64 (a series of
# positive terms below 2.5, a continued fraction for erfc above 1.5), computed in float64
_SQRT_PI = math.sqrt(math.pi)


def _erf_series(x):
    # erf(x) = 2/sqrt(pi) exp(-x^2) sum_n (2x^2)^n x / (1*3*...*(2n+1)), x in [0, 2.5)
    x2 = x * x
    term = x
    total = x
    for n in range(1, 90):
        term = term * (2.0 * x2 / (2 * n + 1))
        total = total + term
    return _TWO_OVER_SQRT_PI * np.exp(-x2) * total


def _erfc_fraction(x):
    # erfc(x) = exp(-x^2) / sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), x >= 1.5
    cf = x
    for k in range(120, 0, -1):
        cf = x + (0.5 * k) / cf
    return np.exp(-x * x) / (_SQRT_PI * cf)


def _erf_pair(a: np.ndarray):
    """``(erf(a), erfc(a))`` in float64."""
    a = np.asarray(a, np.float64)
    x = np.abs(a)
    with np.errstate(all="ignore"):
        s = _erf_series(np.where(x < 2.5, x, 0.0))
        c = _erfc_fraction(np.where(x >= 1.5, x, 1.5))
    erf = np.where(x < 2.5, s, 1.0 - c)
    erfc = np.where(x < 1.5, 1.0 - s, c)
    neg = np.signbit(a)
    nan = np.isnan(a)
    erf = np.where(nan, np.nan, np.where(neg, -erf, erf))
    erfc = np.where(nan, np.nan, np.where(neg, 2.0 - erfc, erfc))
    return erf, erfc


def _erf(a: np.ndarray) -> np.ndarray:
    return _erf_pair(a)[0].astype(a.dtype, copy=False)


def _erfc(a: np.ndarray) -> np.ndarray:
    return _erf_pair(a)[1].astype(a.dtype, copy=False)


def _erfinv(a: np.ndarray) -> np.ndarray:
    """Winitzki's approximation, then Newton steps on ``erf(x) = |y|`` (on ``erfc(x) = 1 - |y|``
    for ``|y| >= 0.5``, where ``1 - |y|`` is exact); +-inf at +-1, NaN beyond."""
    y = np.asarray(a, np.float64)
    ay = np.abs(y)
    with np.errstate(all="ignore"):
        w = np.log((1 - ay) * (1 + ay))
        t = 2 / (math.pi * 0.147) + w / 2
        x = np.where(ay < 1, np.sqrt(np.sqrt(t * t - w / 0.147) - t), 0.0)
        upper = ay >= 0.5
        for _ in range(4):
            e, c = _erf_pair(x)
            x = x - np.where(upper, (1 - ay) - c, e - ay) / (_TWO_OVER_SQRT_PI * np.exp(-x * x))
        x = np.where(ay == 1, np.inf, np.where(ay > 1, np.nan, x))
    return np.where(np.signbit(y), -x, x).astype(a.dtype, copy=False)


def _atan2(a, b):
    out = np.arctan2(a, b)  # (integers and bools give float32, as in PyTorch)
    return out if np.result_type(a, b).kind == "f" else out.astype(np.float32)


def _float_operands_only(name: str, method):
    """``logaddexp``: integer and bool operands are an error, as in PyTorch."""

    def checked(self, other):
        if self._data.dtype.kind != "f" and not (
            isinstance(other, (float, np.floating))
            or isinstance(other, NumpyTensorBase)
            and other._data.dtype.kind == "f"
        ):
            raise need_float_operands_error(name, self, other)
        return method(self, other)

    checked.__name__ = name
    return checked


def _fmod(a, b):
    _check_int_division("fmod", a, b)
    return np.fmod(a, b)


def _as_float(t):
    # true division of integers gives float32, as in PyTorch
    return t if t._data.dtype.kind == "f" else t.to(_dt.float32)


class NumpyArithmetic(NumpyTensorBase):
    """The arithmetic methods of ``NumpyTensor``."""

    __slots__ = ()

    __add__ = add = _binary("add", np.add, lambda a, b, o: None)
    __sub__ = sub = _binary("sub", np.subtract, lambda a, b, o: None)
    __mul__ = mul = _binary("mul", np.multiply, lambda a, b, o: (a, b))
    __pow__ = _binary("pow", np.power, lambda a, b, o: (a, b, o), _int_power)
    __radd__ = __add__
    __rmul__ = __mul__
    __rsub__ = _reflected("rsub", np.subtract, lambda s, a, o: None)
    __rpow__ = _reflected("rpow", np.power, lambda s, a, o: (s, a, o), _int_power)

    def __truediv__(self, other):
        return _div(_as_float(self), other)

    def __rtruediv__(self, other):
        return _rdiv(_as_float(self), other)

    div = __truediv__

    __neg__ = neg = _unary("neg", np.negative, save_out=False, float_only=False)  # bool: raises
    exp = _unary("exp", np.exp, save_out=True)
    log = _unary("log", np.log, save_out=False)
    sqrt = _unary("sqrt", np.sqrt, save_out=True)
    __abs__ = abs = _unary("abs", np.abs, save_out=False, float_only=False)
    sin = _unary("sin", np.sin, save_out=False)
    cos = _unary("cos", np.cos, save_out=False)
    tanh = _unary("tanh", np.tanh, save_out=True)
    sigmoid = _unary("sigmoid", lambda a: 1 / (1 + np.exp(-a)), save_out=True)
    relu = _unary("relu", lambda a: np.maximum(a, 0), save_out=True, float_only=False, no_bool=True)
    reciprocal = _unary("reciprocal", np.reciprocal, save_out=True)
    rsqrt = _unary("rsqrt", lambda a: 1 / np.sqrt(a), save_out=True)
    log1p = _unary("log1p", np.log1p, save_out=False)
    expm1 = _unary("expm1", np.expm1, save_out=True)
    log2 = _unary("log2", np.log2, save_out=False)
    log10 = _unary("log10", np.log10, save_out=False)

    tan = _unary("tan", np.tan, save_out=True)
    asin = _unary("asin", np.arcsin, save_out=False)
    acos = _unary("acos", np.arccos, save_out=False)
    atan = _unary("atan", np.arctan, save_out=False)
    sinh = _unary("sinh", np.sinh, save_out=False)
    cosh = _unary("cosh", np.cosh, save_out=False)
    asinh = _unary("asinh", np.arcsinh, save_out=False)
    acosh = _unary("acosh", np.arccosh, save_out=False)
    atanh = _unary("atanh", np.arctanh, save_out=False)
    erf = _unary("erf", _erf, save_out=False)
    erfc = _unary("erfc", _erfc, save_out=False)
    erfinv = _unary("erfinv", _erfinv, save_out=True)
    trunc = _rounding("trunc", np.trunc)
    _frac = _unary("frac", lambda a: a - np.trunc(a), save_out=False, float_only=False)

    def frac(self) -> NumpyTensorBase:
        if self._data.dtype.kind != "f":  # (PyTorch has no kernel for integers or bools)
            raise need_float_error("frac()", self.dtype)
        return self._frac()

    atan2 = _named("atan2", _binary("atan2", _atan2, lambda a, b, o: (a, b)))
    logaddexp = _float_operands_only(
        "logaddexp",
        _named("logaddexp", _binary("logaddexp", np.logaddexp, lambda a, b, o: (a, b))),
    )
    fmod = _named("fmod", _binary("fmod", _fmod, lambda a, b, o: (a, b)))

    def clamp_min(self, min):  # noqa: A002 - PyTorch's name
        return _clamp(self, min, None)

    def clamp_max(self, max):  # noqa: A002 - PyTorch's name
        return _clamp(self, None, max)

    sign = _rounding("sign", _sign)
    floor = _rounding("floor", np.floor)
    ceil = _rounding("ceil", np.ceil)
    _round = _rounding("round", np.round)

    def round(self, decimals: int = 0) -> NumpyTensorBase:  # noqa: A003 - PyTorch's name
        if decimals == 0:
            return self._round()
        a = self._data
        if a.dtype.kind != "f":
            raise need_float_error(f"round(decimals={decimals})", self.dtype)
        out = np.round(a, decimals)
        node = (
            Node("round", VJP["round"], None, (self,))
            if (define.grad_enabled or define.STATE.grad_enabled) and self._rg
            else None
        )
        return recorded(make(out, node), lambda a: (np.round(a, decimals), None), (self,), "round")

    def pow(self, exponent):  # (the declared keyword: x.pow(exponent=2))
        out = self.__pow__(exponent)
        if out is NotImplemented:
            raise operand_type_error("pow", exponent)
        return out

    maximum = _named("maximum", _binary("maximum", np.maximum, lambda a, b, o: (a, b)))
    minimum = _named("minimum", _binary("minimum", np.minimum, lambda a, b, o: (a, b)))
    __mod__ = _binary("remainder", _int_remainder, lambda a, b, o: (a, b))
    remainder = _named("remainder", __mod__)
    __rmod__ = _plain_reflected("rremainder", np.remainder, int_check=True)
    __floordiv__ = _plain_binary("floor_divide", np.floor_divide, int_check=True)
    floor_divide = _named("floor_divide", __floordiv__)
    __rfloordiv__ = _plain_reflected("rfloor_divide", np.floor_divide, int_check=True)

    def clamp(self, min=None, max=None):  # noqa: A002 - PyTorch's names
        return _clamp(self, min, max)

    clip = clamp


_div = _binary("div", np.true_divide, lambda a, b, o: (a, b))
_rdiv = _reflected("rdiv", np.true_divide, lambda s, a, o: (s, a))
_VJP_CLAMP = VJP["clamp"]
forward_op("clamp")
