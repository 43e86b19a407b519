"""Padding layers: ``ConstantPad1d``, ``ConstantPad2d``, ``ZeroPad2d``, ``ReflectionPad1d``,
``ReflectionPad2d``, ``ReplicationPad1d``, ``ReplicationPad2d`` (``flowkit.nn.functional.pad``
with a fixed mode)."""

from __future__ import annotations

import numbers

from .. import functional as F
from ..module import Module


def _padding(layer: str, padding, n: int) -> tuple[int, ...]:
    """An int for every side, or ``2 * n`` ints (the last dimension first)."""
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        return (int(padding),) * (2 * n)
    if isinstance(padding, (tuple, list)) and len(padding) == 2 * n:
        return tuple(int(p) for p in padding)
    raise TypeError(f"{layer}: padding must be an int or {2 * n} ints, got {padding!r}")


class _Pad(Module):
    _mode = "constant"
    _n = 1

    def __init__(self, padding):
        super().__init__()
        self.padding = _padding(type(self).__name__, padding, self._n)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPad(_Pad):
    def __init__(self, padding, value: float):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPad):
    """Pads the last dimension with ``value``: ``padding`` an int or ``(left, right)``.

    Examples:
        >>> import flowkit as flow
        >>> pad = flow.nn.ConstantPad1d((1, 2), 3.5)
        >>> pad
        ConstantPad1d(padding=(1, 2), value=3.5)
        >>> pad(flow.zeros(1, 2))
        tensor([[3.5000, 0.0000, 0.0000, 3.5000, 3.5000]], dtype=flowkit.float32)
    """

    _n = 1


class ConstantPad2d(_ConstantPad):
    """Pads the last two dimensions with ``value``: ``padding`` an int or ``(left, right, top,
    bottom)``.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.ConstantPad2d(1, -1.0)(flow.zeros(1, 1, 1))
        tensor([[[-1., -1., -1.],
                 [-1.,  0., -1.],
                 [-1., -1., -1.]]], dtype=flowkit.float32)
    """

    _n = 2


class ZeroPad2d(_Pad):
    """Pads the last two dimensions with zeros: ``padding`` an int or ``(left, right, top,
    bottom)``.

    Examples:
        >>> import flowkit as flow
        >>> pad = flow.nn.ZeroPad2d((1, 0, 0, 1))
        >>> pad
        ZeroPad2d((1, 0, 0, 1))
        >>> pad(flow.ones(1, 1, 1))
        tensor([[[0., 1.],
                 [0., 0.]]], dtype=flowkit.float32)
    """

    _n = 2


class ReflectionPad1d(_Pad):
    """Pads the last dimension of ``(N, C, L)`` or ``(C, L)`` input with its reflection (the
    edge value not repeated).

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.ReflectionPad1d(2)(flow.tensor([[0.0, 1.0, 2.0, 3.0]]))
        tensor([[2., 1., 0., 1., 2., 3., 2., 1.]], dtype=flowkit.float32)
    """

    _mode = "reflect"
    _n = 1


class ReflectionPad2d(_Pad):
    """Pads the last two dimensions of ``(N, C, H, W)`` or ``(C, H, W)`` input with their
    reflection.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.arange(4, dtype=flow.float32).reshape(1, 2, 2)
        >>> flow.nn.ReflectionPad2d(1)(x)
        tensor([[[3., 2., 3., 2.],
                 [1., 0., 1., 0.],
                 [3., 2., 3., 2.],
                 [1., 0., 1., 0.]]], dtype=flowkit.float32)
    """

    _mode = "reflect"
    _n = 2


class ReplicationPad1d(_Pad):
    """Pads the last dimension of ``(N, C, L)`` or ``(C, L)`` input by repeating its edge
    values.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.ReplicationPad1d((2, 1))(flow.tensor([[1.0, 2.0]]))
        tensor([[1., 1., 1., 2., 2.]], dtype=flowkit.float32)
    """

    _mode = "replicate"
    _n = 1


class ReplicationPad2d(_Pad):
    """Pads the last two dimensions of ``(N, C, H, W)`` or ``(C, H, W)`` input by repeating
    the edge values.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.ReplicationPad2d(1)(flow.ones(1, 2, 2)).shape
        flowkit.Size([1, 4, 4])
    """

    _mode = "replicate"
    _n = 2
