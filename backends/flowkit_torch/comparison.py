"""Comparisons, logical and bitwise ops on the torch backend (the contract and the rules:
:mod:`flowkit.ops.comparison`)."""

from __future__ import annotations

import torch

from flowkit.ops.arithmetic import named_operator as _named
from flowkit.ops.arithmetic import refuse_operand
from flowkit.ops.comparison import bitwise_error, check_isclose, invert_error

from .arithmetic import _as_tensor, _binary
from .define import TorchTensorBase, _binary_error, _scalar, _wrap

# comparisons take their operands (and translate their errors) as the arithmetic ops do
_compare = _binary


def _bitwise(name: str, sym: str, fn):
    """``&``, ``|``, ``^`` for bool and integer tensors, with the numpy backend's errors."""

    def method(self, other):
        if isinstance(other, TorchTensorBase):
            o = other._t
            o_float = o.is_floating_point()
        else:
            o = _scalar(other, name)
            if o is None:
                return refuse_operand(name, other)
            o_float = isinstance(o, float)
        t = self._t
        if t.is_floating_point() or o_float:
            raise bitwise_error(
                name, sym, self.dtype, other if isinstance(other, TorchTensorBase) else o
            )
        try:
            return _wrap(fn(t, o))
        except RuntimeError as exc:
            raise _binary_error(name, t, o, exc) from None

    method.__name__ = name
    return method


class TorchComparison(TorchTensorBase):
    """The comparison, logical and bitwise methods of ``TorchTensor``."""

    __slots__ = ()
    __hash__ = TorchTensorBase.__hash__  # (defining __eq__ would otherwise drop it)

    __eq__ = eq = _compare("eq", torch.eq)
    __ne__ = ne = _compare("ne", torch.ne)
    __lt__ = lt = _compare("lt", torch.lt)
    __le__ = le = _compare("le", torch.le)
    __gt__ = gt = _compare("gt", torch.gt)
    __ge__ = ge = _compare("ge", torch.ge)

    __and__ = __rand__ = _bitwise("bitwise_and", "&", torch.bitwise_and)
    __or__ = __ror__ = _bitwise("bitwise_or", "|", torch.bitwise_or)
    __xor__ = __rxor__ = _bitwise("bitwise_xor", "^", torch.bitwise_xor)
    bitwise_and = _named("bitwise_and", __and__)
    bitwise_or = _named("bitwise_or", __or__)
    bitwise_xor = _named("bitwise_xor", __xor__)

    def __invert__(self) -> TorchTensorBase:
        t = self._t
        if t.is_floating_point():
            raise invert_error(self.dtype)
        return _wrap(torch.bitwise_not(t))

    bitwise_not = __invert__
    logical_and = _named(
        "logical_and", _compare("logical_and", lambda t, o: torch.logical_and(t, _as_tensor(o, t)))
    )
    logical_or = _named(
        "logical_or", _compare("logical_or", lambda t, o: torch.logical_or(t, _as_tensor(o, t)))
    )
    logical_xor = _named(
        "logical_xor", _compare("logical_xor", lambda t, o: torch.logical_xor(t, _as_tensor(o, t)))
    )

    def logical_not(self) -> TorchTensorBase:
        return _wrap(torch.logical_not(self._t))

    def isnan(self) -> TorchTensorBase:
        return _wrap(torch.isnan(self._t))

    def isinf(self) -> TorchTensorBase:
        return _wrap(torch.isinf(self._t))

    def isfinite(self) -> TorchTensorBase:
        return _wrap(torch.isfinite(self._t))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        check_isclose("isclose", self, other, rtol, atol)
        t, o = self._t, other._t
        try:
            return _wrap(torch.isclose(t, o, rtol=rtol, atol=atol, equal_nan=equal_nan))
        except RuntimeError as exc:
            raise _binary_error("isclose", t, o, exc) from None
