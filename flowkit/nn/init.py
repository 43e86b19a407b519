"""``flowkit.nn.init``: fill parameters in place from flowkit's generator (or, with
``generator=``, from a [`flowkit.Generator`][flowkit.Generator] of your own).

Values are drawn on the host from flowkit's seeded generator and copied in, so a seed gives the
same initial weights on every backend and device.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import autograd
from .. import random as _random
from .._creation import tensor as _tensor
from ..errors import ArgumentValueError
from ..tensor import Tensor


def _fill(t: Tensor, values: np.ndarray) -> Tensor:
    with autograd.no_grad():
        t.copy_(_tensor(values.astype(t.dtype.np), dtype=t.dtype, device=t.device))
    return t


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for an activation (PyTorch's table).

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.init.calculate_gain('relu'), flow.nn.init.calculate_gain('tanh')
        (1.4142135623730951, 1.6666666666666667)
    """
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _fans(t: Tensor) -> tuple[int, int]:
    shape = tuple(t.shape)
    if len(shape) < 2:
        raise ValueError(f"fan in/out need a tensor with at least 2 dimensions, got shape {shape}")
    receptive = 1
    for s in shape[2:]:
        receptive *= s
    return shape[1] * receptive, shape[0] * receptive


def _fan(t: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ArgumentValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    return _fans(t)[0 if mode == "fan_in" else 1]


def _zero_element(t: Tensor) -> bool:
    """A tensor with no elements (a layer with a zero-size dimension: ``nn.Linear(0, 3)``):
    initialising it is a no-op with a warning, as in PyTorch."""
    if 0 in tuple(t.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with values drawn uniformly from ``[a, b)``.

    Examples:
        >>> import flowkit as flow
        >>> w = flow.nn.init.uniform_(flow.zeros(3), -1.0, 1.0)
        >>> bool((w >= -1).all()), bool((w < 1).all())
        (True, True)
    """
    try:
        gen = _random.generator_for("uniform_", generator)
        values = gen.uniform(a, b, tuple(tensor.shape))
    except (ValueError, OverflowError):
        if a > b:
            raise ArgumentValueError(
                f"uniform_: the range [a, b) is [{a}, {b}): a must not exceed b; swap them"
            ) from None
        raise
    return _fill(tensor, values)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with values drawn from N(mean, std²).

    Examples:
        >>> import flowkit as flow
        >>> flow.manual_seed(0)
        >>> w = flow.nn.init.normal_(flow.empty(10000), mean=2.0, std=0.5)
        >>> round(w.mean().item(), 1), round(w.std().item(), 1)
        (2.0, 0.5)
    """
    try:
        gen = _random.generator_for("normal_", generator)
        values = gen.normal(mean, std, tuple(tensor.shape))
    except ValueError:
        if std < 0:
            raise ArgumentValueError(
                f"normal_: std must be >= 0 (a standard deviation), got {std}"
            ) from None
        raise
    return _fill(tensor, values)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.init.constant_(flow.empty(3), 0.5)
        tensor([0.5000, 0.5000, 0.5000], dtype=flowkit.float32)
    """
    with autograd.no_grad():
        tensor.fill_(val)
    return tensor


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with zeros.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.init.zeros_(flow.ones(2, 2))
        tensor([[0., 0.],
                [0., 0.]], dtype=flowkit.float32)
    """
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with ones.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.init.ones_(flow.empty(3))
        tensor([1., 1., 1.], dtype=flowkit.float32)
    """
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot uniform: ``U(-a, a)`` with ``a = gain * sqrt(6 / (fan_in + fan_out))``.

    Examples:
        >>> import flowkit as flow
        >>> w = flow.nn.init.xavier_uniform_(flow.empty(3, 5))  # a = sqrt(6 / 8)
        >>> bool((w.abs() <= (6 / 8) ** 0.5).all())
        True
    """
    fan_in, fan_out = _fans(tensor)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot normal: ``N(0, std²)`` with ``std = gain * sqrt(2 / (fan_in + fan_out))``.

    Examples:
        >>> import flowkit as flow
        >>> flow.manual_seed(0)
        >>> w = flow.nn.init.xavier_normal_(flow.empty(100, 100))  # std = sqrt(2 / 200) = 0.1
        >>> round(w.std().item(), 2)
        0.1
    """
    fan_in, fan_out = _fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
) -> Tensor:
    """He uniform: ``U(-b, b)`` with ``b = gain * sqrt(3 / fan)``.

    Examples:
        >>> import flowkit as flow
        >>> w = flow.nn.init.kaiming_uniform_(flow.empty(4, 6), nonlinearity='relu')  # b = 1
        >>> bool((w.abs() <= 1.0).all())
        True
    """
    if _zero_element(tensor):
        return tensor
    fan = _fan(tensor, mode)
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
) -> Tensor:
    """He normal: ``N(0, std²)`` with ``std = gain / sqrt(fan)``.

    Examples:
        >>> import flowkit as flow
        >>> flow.manual_seed(0)
        >>> w = flow.nn.init.kaiming_normal_(flow.empty(100, 200), nonlinearity='relu')  # std = 0.1
        >>> round(w.std().item(), 2)
        0.1
    """
    if _zero_element(tensor):
        return tensor
    fan = _fan(tensor, mode)
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)
