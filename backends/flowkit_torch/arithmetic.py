"""Elementwise arithmetic and math on the torch backend (the contract and the rules:
:mod:`flowkit.ops.arithmetic`): one torch call per op, torch's failures translated into
flowkit's errors.
"""

from __future__ import annotations

import torch

from flowkit.ops.arithmetic import (
    bool_operands_error,
    clamp_bounds_missing,
    clamp_shape_error,
    int_operand_error,
    integer_division_by_zero,
    need_float_error,
    need_float_operands_error,
    operand_type_error,
    refuse_operand,
)
from flowkit.ops.arithmetic import named_operator as _named

from .define import (
    TorchTensorBase,
    _binary_error,
    _dtype_error,
    _scalar,
    _unary_error,
    _wrap,
    from_torch_dtype,
)


def _binary(name: str, fn):
    """The method for a broadcasting binary op ``fn(tensor, tensor_or_number)``."""

    def method(self, other):
        if isinstance(other, TorchTensorBase):
            o = other._t
        else:
            o = _scalar(other, name)
            if o is None:
                return refuse_operand(name, other)
        try:
            out = fn(self._t, o)
        except (RuntimeError, OverflowError) as exc:
            err = _binary_error(name, self._t, o, exc)
            if err is exc:  # an int beyond 64 bits, or an exponent out of the dtype's range
                err = int_operand_error(name, o, self.dtype) or exc
            raise err from None
        return _wrap(out, name)

    method.__name__ = name
    return method


def _reflected(name: str, fn):
    """``2 - x``: ``fn(number, tensor)``, recorded as ``name`` (``rsub``, ``rpow``...)."""

    def method(self, other):
        o = _scalar(other, name)
        if o is None:
            return refuse_operand(name, other)
        try:
            return _wrap(fn(o, self._t), name)
        except (RuntimeError, OverflowError) as exc:
            err = _dtype_error(name, self._t, o, exc)
            if err is exc:
                err = int_operand_error(name, o, self.dtype) or exc
            raise err from None

    method.__name__ = "__" + name + "__"
    return method


def _unary(name: str, fn):
    def method(self):
        try:
            return _wrap(fn(self._t), name)
        except RuntimeError as exc:  # (NotImplementedError too: "floor_vml_cpu" for bool)
            raise _unary_error(name, self._t, exc) from None

    method.__name__ = name
    return method


def _as_tensor(o, t: torch.Tensor):
    """A number as a 0-d tensor on ``t``'s device (0-d tensors promote like numbers do)."""
    return o if isinstance(o, torch.Tensor) else torch.tensor(o, device=t.device)


def _weak_tensor(o, t: torch.Tensor):
    """A number as a tensor that does not widen ``t``'s dtype (PyTorch's rule for numbers, which
    a 0-d int64 tensor would break against a 0-d ``t``)."""
    if isinstance(o, torch.Tensor) or t.dim():
        return _as_tensor(o, t)
    if (
        isinstance(o, bool)
        or isinstance(o, int)
        and t.dtype is not torch.bool
        or isinstance(o, float)
        and t.is_floating_point()
    ):
        try:
            return torch.tensor(o, dtype=t.dtype, device=t.device)
        except RuntimeError:  # out of the dtype's range: as before
            pass
    return _as_tensor(o, t)


def _int_division(name: str, fn, t: torch.Tensor, o, reflected: bool = False):
    """``//`` and ``%`` with the numpy backend's rules: bool operands are an error, and an
    integer division by zero raises (on CUDA torch would give garbage)."""
    o_bool = o.dtype is torch.bool if isinstance(o, torch.Tensor) else isinstance(o, bool)
    if t.dtype is torch.bool and o_bool:
        raise bool_operands_error(name)
    o_float = o.is_floating_point() if isinstance(o, torch.Tensor) else isinstance(o, float)
    if not (t.is_floating_point() or o_float):
        divisor = t if reflected else o
        if bool((divisor == 0).any()) if isinstance(divisor, torch.Tensor) else divisor == 0:
            raise integer_division_by_zero(name)
    return fn(t, o)


def _float_operands(name: str, fn):
    """``fn(t, o)`` for ops without integer kernels (``logaddexp``): the numpy backend's error
    for integer and bool operands, before torch's NotImplementedError."""

    def checked(t: torch.Tensor, o):
        o_float = o.is_floating_point() if isinstance(o, torch.Tensor) else isinstance(o, float)
        if not (t.is_floating_point() or o_float):
            raise need_float_operands_error(
                name,
                from_torch_dtype(t.dtype),
                from_torch_dtype(o.dtype) if isinstance(o, torch.Tensor) else o,
            )
        return fn(t, _weak_tensor(o, t))

    return checked


# ---------------------------------------------------------------------------------- selection
def _operand(value, name: str):
    if isinstance(value, TorchTensorBase):
        return value._t
    o = _scalar(value, name)
    if o is None:
        raise operand_type_error(name, value)
    return o


def _clamp(t: torch.Tensor, lo, hi) -> torch.Tensor:
    if lo is None and hi is None:
        raise clamp_bounds_missing()
    if t.dtype is torch.bool:
        raise bool_operands_error("clamp")
    lo = None if lo is None else _operand(lo, "clamp")
    hi = None if hi is None else _operand(hi, "clamp")
    if isinstance(lo, torch.Tensor) or isinstance(hi, torch.Tensor):
        # torch takes two numbers or two tensors; a number next to a tensor becomes 0-d
        lo = None if lo is None else _as_tensor(lo, t)
        hi = None if hi is None else _as_tensor(hi, t)
    try:
        return torch.clamp(t, lo, hi)
    except RuntimeError as exc:
        for bound in (lo, hi):  # a bound out of an integer dtype's range
            err = int_operand_error("clamp", bound, from_torch_dtype(t.dtype))
            if err is not None:
                raise err from None
        shapes = [tuple(b.shape) if isinstance(b, torch.Tensor) else () for b in (lo, hi)]
        try:
            torch.broadcast_shapes(t.shape, *shapes)
        except RuntimeError:
            raise clamp_shape_error(shapes[0], shapes[1], t.shape) from None
        raise exc


class TorchArithmetic(TorchTensorBase):
    """The arithmetic methods of ``TorchTensor``."""

    __slots__ = ()

    __add__ = add = _binary("add", torch.add)
    __sub__ = sub = _binary("sub", torch.sub)
    __mul__ = mul = _binary("mul", torch.mul)
    __pow__ = _binary("pow", torch.pow)
    __radd__ = __add__
    __rmul__ = __mul__
    __rsub__ = _reflected("rsub", lambda s, t: torch.rsub(t, s))
    __rpow__ = _reflected("rpow", torch.pow)
    # torch.div is true division (ints give float32), as flowkit's `/` is
    __truediv__ = div = _binary("div", torch.div)
    __rtruediv__ = _reflected("rdiv", torch.div)

    __neg__ = neg = _unary("neg", torch.neg)
    exp = _unary("exp", torch.exp)
    log = _unary("log", torch.log)
    sqrt = _unary("sqrt", torch.sqrt)
    # torch has no abs for bool; numpy's (and so flowkit's) is the identity
    __abs__ = abs = _unary("abs", lambda t: t.clone() if t.dtype is torch.bool else torch.abs(t))
    sin = _unary("sin", torch.sin)
    cos = _unary("cos", torch.cos)
    tanh = _unary("tanh", torch.tanh)
    sigmoid = _unary("sigmoid", torch.sigmoid)
    relu = _unary("relu", torch.relu)

    tan = _unary("tan", torch.tan)
    asin = _unary("asin", torch.asin)
    acos = _unary("acos", torch.acos)
    atan = _unary("atan", torch.atan)
    sinh = _unary("sinh", torch.sinh)
    cosh = _unary("cosh", torch.cosh)
    asinh = _unary("asinh", torch.asinh)
    acosh = _unary("acosh", torch.acosh)
    atanh = _unary("atanh", torch.atanh)
    erf = _unary("erf", torch.erf)
    erfc = _unary("erfc", torch.erfc)
    erfinv = _unary("erfinv", torch.erfinv)
    trunc = _unary("trunc", torch.trunc)

    def frac(self) -> TorchTensorBase:
        if not self._t.is_floating_point():  # (torch has no kernel for integers or bools)
            raise need_float_error("frac()", self.dtype)
        return _wrap(torch.frac(self._t), "frac")

    atan2 = _named("atan2", _binary("atan2", lambda t, o: torch.atan2(t, _weak_tensor(o, t))))
    logaddexp = _named(
        "logaddexp", _binary("logaddexp", _float_operands("logaddexp", torch.logaddexp))
    )
    fmod = _named("fmod", _binary("fmod", lambda t, o: _int_division("fmod", torch.fmod, t, o)))

    def clamp_min(self, min):  # noqa: A002 - PyTorch's name
        return _wrap(_clamp(self._t, min, None), "clamp")

    def clamp_max(self, max):  # noqa: A002 - PyTorch's name
        return _wrap(_clamp(self._t, None, max), "clamp")

    sign = _unary("sign", torch.sign)
    floor = _unary("floor", torch.floor)
    ceil = _unary("ceil", torch.ceil)

    def round(self, decimals: int = 0) -> TorchTensorBase:  # noqa: A003 - PyTorch's name
        t = self._t
        if decimals == 0:
            try:
                return _wrap(torch.round(t), "round")
            except RuntimeError as exc:
                raise _unary_error("round", t, exc) from None
        if not t.is_floating_point():
            raise need_float_error(f"round(decimals={decimals})", self.dtype)
        return _wrap(torch.round(t, decimals=decimals), "round")

    reciprocal = _unary("reciprocal", torch.reciprocal)
    rsqrt = _unary("rsqrt", torch.rsqrt)
    log1p = _unary("log1p", torch.log1p)
    expm1 = _unary("expm1", torch.expm1)
    log2 = _unary("log2", torch.log2)
    log10 = _unary("log10", torch.log10)

    def pow(self, exponent):  # (the declared keyword: x.pow(exponent=2))
        out = self.__pow__(exponent)
        if out is NotImplemented:
            raise operand_type_error("pow", exponent)
        return out

    maximum = _named(
        "maximum", _binary("maximum", lambda t, o: torch.maximum(t, _weak_tensor(o, t)))
    )
    minimum = _named(
        "minimum", _binary("minimum", lambda t, o: torch.minimum(t, _weak_tensor(o, t)))
    )
    __mod__ = _binary("remainder", lambda t, o: _int_division("remainder", torch.remainder, t, o))
    remainder = _named("remainder", __mod__)
    __floordiv__ = _binary(
        "floor_divide",
        lambda t, o: _int_division("floor_divide", torch.floor_divide, t.detach(), o),
    )
    floor_divide = _named("floor_divide", __floordiv__)

    def __rmod__(self, other):
        return self._reflected_plain("rremainder", torch.remainder, other)

    def __rfloordiv__(self, other):
        return self._reflected_plain("rfloor_divide", torch.floor_divide, other)

    def _reflected_plain(self, name: str, fn, other):
        o = _scalar(other, name)
        if o is None:
            return refuse_operand(name, other)
        t = self._t.detach()  # no gradient for the divisor side, as on the numpy backend
        return _wrap(
            _int_division(name.removeprefix("r"), lambda a, b: fn(b, a), t, o, reflected=True)
        )

    def clamp(self, min=None, max=None):  # noqa: A002 - PyTorch's names
        return _wrap(_clamp(self._t, min, max), "clamp")

    clip = clamp
