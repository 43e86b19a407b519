"""Argument checks shared by the Adam-family optimizers."""

from __future__ import annotations

from ..errors import ArgumentTypeError


def check_adam_args(name: str, lr: float, betas, eps: float, weight_decay: float) -> tuple:
    """Raise for a negative ``lr``/``eps``/``weight_decay`` or betas outside [0, 1); return the
    betas as a tuple."""
    if lr < 0.0:
        raise ValueError(f"{name}: invalid learning rate {lr} (must be >= 0)")
    if eps < 0.0:
        raise ValueError(f"{name}: invalid eps {eps} (must be >= 0)")
    try:
        beta1, beta2 = betas
    except (TypeError, ValueError):
        raise ArgumentTypeError(
            f"{name}: betas must be a pair (beta1, beta2), got {betas!r}"
        ) from None
    if not (0.0 <= beta1 < 1.0 and 0.0 <= beta2 < 1.0):
        raise ValueError(f"{name}: betas must be in [0, 1), got {betas}")
    if weight_decay < 0.0:
        raise ValueError(f"{name}: invalid weight_decay {weight_decay} (must be >= 0)")
    return (beta1, beta2)
