"""``flowkit.nn.functional``: the stateless forms of the layers (``F.linear``, ``F.mse_loss``)."""

from __future__ import annotations

from .. import _plugins
from ..tensor import Tensor

_REDUCTIONS = ("none", "mean", "sum")


def _check_tensors(op: str, **named) -> None:
    for name, t in named.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a flowkit tensor, got {type(t).__name__}")


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``, one fused op with one graph node.

    Example:
        >>> import flowkit as flow
        >>> F = flow.nn.functional
        >>> F.linear(flow.ones(1, 2), flow.ones(3, 2), flow.zeros(3))
        tensor([[2., 2., 2.]], dtype=flowkit.float32)
    """
    _check_tensors("linear", input=input, weight=weight)
    return _plugins.get().linear(input, weight, bias)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error: ``mean((input - target) ** 2)`` (or the sum, or elementwise).

    ``input`` and ``target`` must have the same shape: broadcasting ``(N, 1)`` against ``(N,)``
    would compare every prediction with every target, so flowkit refuses it.

    Example:
        >>> import flowkit as flow
        >>> flow.nn.functional.mse_loss(flow.tensor([1.0, 2.0]), flow.tensor([1.0, 4.0]))
        tensor(2., dtype=flowkit.float32)
    """
    _check_tensors("mse_loss", input=input, target=target)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"mse_loss: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    return _plugins.get().mse_loss(input, target, reduction)


def relu(input: Tensor) -> Tensor:
    """``max(input, 0)`` elementwise."""
    return input.relu()


def sigmoid(input: Tensor) -> Tensor:
    """``1 / (1 + exp(-input))`` elementwise."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent, elementwise."""
    return input.tanh()
