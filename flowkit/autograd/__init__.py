"""Gradient-mode switches shared by every backend (``flowkit.no_grad`` and friends)."""

from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]
