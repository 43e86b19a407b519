"""Comparisons, logical and bitwise ops on the numpy backend (the contract and the rules:
:mod:`flowkit.ops.comparison`). They have no gradient; comparisons do not promote (numpy
compares mixed dtypes exactly), the bitwise ops promote as PyTorch does.
"""

from __future__ import annotations

import numpy as np

from flowkit.ops.arithmetic import broadcast_error, refuse_operand
from flowkit.ops.arithmetic import named_operator as _named
from flowkit.ops.comparison import bitwise_error, check_isclose, invert_error

from . import define
from .arithmetic import _plain_binary, _promote
from .define import NumpyTensorBase, forward_op, fresh, make, recorded


def _compare(name: str, fwd):
    """``<``, ``==``, ``logical_and``, ...: no promotion (numpy compares mixed dtypes exactly)."""
    return _plain_binary(name, fwd, promote=False)


def _bitwise(name: str, sym: str, fwd):
    """``&``, ``|``, ``^`` for bool and integer tensors (bool & bool stays bool)."""
    forward_op(name, differentiable=False)

    def method(self, other):
        a = self._data
        if isinstance(other, NumpyTensorBase):
            b = other._data
            if a.dtype is not b.dtype:
                a, b = _promote(a, b)
            bk = b.dtype.kind
        else:
            if isinstance(other, np.generic):
                other = other.item()
            if not isinstance(other, (bool, int, float)):
                return refuse_operand(name, other)
            b, bk = other, "f" if isinstance(other, float) else "i"
        if a.dtype.kind not in "biu" or bk not in "biu":
            raise bitwise_error(name, sym, self.dtype, other)
        try:
            res = make(fwd(a, b))
        except ValueError:
            raise broadcast_error(name, a.shape, np.shape(b)) from None
        return recorded(
            res, kernel, (self, other if isinstance(other, NumpyTensorBase) else b), name
        )

    def kernel(a, b):  # (the checks above hold for the recorded dtypes)
        if b.__class__ is np.ndarray and a.dtype is not b.dtype:
            a, b = _promote(a, b)
        return fresh(fwd(a, b)), None

    return method


def _plain_unary(name: str, fwd):
    forward_op(name, differentiable=False)

    def kernel(a):
        return fresh(fwd(a)), None

    def method(self):
        res = make(fwd(self._data))
        if define.tracer is not None:
            define.tracer.record(res, kernel, (self,), name)
        return res

    return method


class NumpyComparison(NumpyTensorBase):
    """The comparison, logical and bitwise methods of ``NumpyTensor``."""

    __slots__ = ()
    __hash__ = NumpyTensorBase.__hash__  # (defining __eq__ would otherwise drop it)

    __eq__ = eq = _compare("eq", np.equal)
    __ne__ = ne = _compare("ne", np.not_equal)
    __lt__ = lt = _compare("lt", np.less)
    __le__ = le = _compare("le", np.less_equal)
    __gt__ = gt = _compare("gt", np.greater)
    __ge__ = ge = _compare("ge", np.greater_equal)

    logical_and = _named("logical_and", _compare("logical_and", np.logical_and))
    logical_or = _named("logical_or", _compare("logical_or", np.logical_or))
    logical_xor = _named("logical_xor", _compare("logical_xor", np.logical_xor))
    logical_not = _plain_unary("logical_not", np.logical_not)

    __and__ = __rand__ = _bitwise("bitwise_and", "&", np.bitwise_and)
    __or__ = __ror__ = _bitwise("bitwise_or", "|", np.bitwise_or)
    __xor__ = __rxor__ = _bitwise("bitwise_xor", "^", np.bitwise_xor)
    bitwise_and = _named("bitwise_and", __and__)
    bitwise_or = _named("bitwise_or", __or__)
    bitwise_xor = _named("bitwise_xor", __xor__)

    def __invert__(self) -> NumpyTensorBase:
        a = self._data
        if a.dtype.kind not in "biu":
            raise invert_error(self.dtype)
        return recorded(make(np.invert(a)), lambda a: (np.invert(a), None), (self,), "bitwise_not")

    bitwise_not = __invert__

    isnan = _plain_unary("isnan", np.isnan)
    isinf = _plain_unary("isinf", np.isinf)
    isfinite = _plain_unary("isfinite", np.isfinite)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        check_isclose("isclose", self, other, rtol, atol)
        a, b = self._data, other._data
        try:
            out = np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
        except ValueError:
            raise broadcast_error("isclose", a.shape, b.shape) from None
        return recorded(
            make(np.asarray(out)),
            lambda a, b: (
                fresh(np.asarray(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))),
                None,
            ),
            (self, other),
            "isclose",
        )


forward_op("isclose", differentiable=False)
