"""Gradient clipping, written once over flowkit tensor ops so it runs on every backend.

The total norm stays a tensor on the gradients' device (no host round trip), as in PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from ... import _creation
from ...autograd import no_grad
from ...errors import FlowkitError
from ...tensor import Tensor


def _grads(parameters) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _extreme(x: Tensor, largest: bool) -> Tensor:
    """The largest (or smallest) element, as a 0-d tensor (a backend's reduction when it has
    one)."""
    for name in ("amax", "max") if largest else ("amin", "min"):
        reduce = getattr(x, name, None)
        if reduce is not None:
            return reduce()
    # no such reduction on this backend: reduce on the host, come back as a tensor
    a = x.numpy()
    return _creation.tensor(a.max() if largest else a.min(), dtype=x.dtype, device=x.device)


@no_grad()  # clipping edits .grad in place; it is not part of any graph
def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale the gradients in place so that their joint norm is at most ``max_norm``.

    The norm is taken over all the gradients together, as if they were concatenated into one
    vector; when it exceeds ``max_norm`` every gradient is multiplied by
    ``max_norm / (total_norm + 1e-6)`` (PyTorch's formula). Parameters without a gradient are
    skipped.

    Args:
        parameters: a tensor or an iterable of tensors (e.g. ``model.parameters()``).
        max_norm: the largest allowed norm.
        norm_type: the p of the p-norm (a positive number), ``float("inf")`` for the largest
            absolute value or ``float("-inf")`` for the smallest (as in PyTorch).
        error_if_nonfinite: raise if the total norm is ``nan`` or ``inf`` (otherwise the
            gradients are scaled by the resulting ``nan``/0, as PyTorch does).

    Returns:
        The total norm of the gradients before clipping, as a 0-d tensor.

    Raises:
        ValueError: ``norm_type`` is neither positive nor ``-inf``.
        FlowkitError: the norm is not finite and ``error_if_nonfinite`` is set.

    Examples:
        >>> import flowkit as flow
        >>> w = flow.nn.Parameter(flow.zeros(2))
        >>> (w * flow.tensor([3.0, 4.0])).sum().backward()
        >>> flow.nn.utils.clip_grad_norm_([w], max_norm=1.0)
        tensor(5., dtype=flowkit.float32)
        >>> w.grad
        tensor([0.6000, 0.8000], dtype=flowkit.float32)
    """
    grads = _grads(parameters)
    max_norm = float(max_norm)
    norm_type = float(norm_type)
    if not (norm_type > 0 or norm_type == -math.inf):
        raise ValueError(
            f"clip_grad_norm_: norm_type must be a positive number, inf or -inf, got {norm_type}"
        )
    if not grads:
        return _creation.tensor(0.0)
    if math.isinf(norm_type):
        # inf: the largest absolute value of all the gradients; -inf: the smallest
        largest = norm_type > 0
        norms = [_extreme(g.abs(), largest) for g in grads]
        total = norms[0]
        for n in norms[1:]:
            n = n.to(total.device)
            # a masked copy: exact, also for inf; a nan wins, as in torch's max/min
            better = n > total if largest else n < total
            take = (better.to(n.dtype) + (n != n).to(n.dtype)) > 0
            total[take] = n[take]
    else:
        # the p-th powers summed over every element of every gradient, then one p-th root: the
        # norm of the concatenation (per-gradient norms, then the norm of those, is the same
        # number with extra roundings)
        parts = [(g * g).sum() if norm_type == 2.0 else (g.abs() ** norm_type).sum() for g in grads]
        total = parts[0]
        for part in parts[1:]:
            total = total + part.to(total.device)
        total = total.sqrt() if norm_type == 2.0 else total ** (1.0 / norm_type)
    if error_if_nonfinite:
        value = total.item()
        if math.isnan(value) or math.isinf(value):
            raise FlowkitError(
                f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
                f"{value}, so they cannot be clipped. Find the nan/inf gradient (check the "
                "loss and the inputs), or pass error_if_nonfinite=False to scale anyway"
            )
    coef = max_norm / (total + 1e-6)
    # min(coef, 1) without a host round trip: coef where below 1, else exactly 1; a nan coef
    # stays nan (nan * 0 is nan), as with torch.clamp
    below = (coef < 1.0).to(coef.dtype)
    coef = coef * below + (1.0 - below)
    for g in grads:
        g.mul_(coef.to(g.device))
    return total


def clip_grad_norm(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Deprecated alias of [`clip_grad_norm_`][flowkit.nn.utils.clip_grad_norm_] (PyTorch keeps it
    too).

    Examples:
        >>> import flowkit as flow
        >>> w = flow.nn.Parameter(flow.zeros(1))
        >>> (w * 2.0).sum().backward()
        >>> flow.nn.utils.clip_grad_norm([w], 1.0).item()
        2.0
    """
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite)


@no_grad()
def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element into ``[-clip_value, clip_value]``, in place.

    Args:
        parameters: a tensor or an iterable of tensors (e.g. ``model.parameters()``).
        clip_value: the largest allowed absolute value of a gradient element.

    Examples:
        >>> import flowkit as flow
        >>> w = flow.nn.Parameter(flow.zeros(3))
        >>> (w * flow.tensor([-3.0, 0.5, 2.0])).sum().backward()
        >>> flow.nn.utils.clip_grad_value_([w], clip_value=1.0)
        >>> w.grad
        tensor([-1.0000,  0.5000,  1.0000], dtype=flowkit.float32)
    """
    clip_value = float(clip_value)
    for g in _grads(parameters):
        # masked writes: exact, and an inf becomes +-clip_value as with torch.clamp
        g[g > clip_value] = clip_value
        g[g < -clip_value] = -clip_value
