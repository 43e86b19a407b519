"""flowkit's exception types.

Every error flowkit raises on bad input names the problem and the fix. The classes also derive from
the builtin a PyTorch user would catch (``RuntimeError`` for shapes and devices, ``TypeError`` for
wrong argument types), so ``except RuntimeError`` code ported from PyTorch keeps working.
"""

from __future__ import annotations


class FlowkitError(Exception):
    """Base class of every error flowkit raises on purpose."""


class BackendError(FlowkitError, RuntimeError):
    """A backend cannot be found, loaded or used (unknown name, missing library, broken plugin)."""


class DeviceError(FlowkitError, RuntimeError):
    """A device is unavailable on this backend, or one op got tensors from different devices."""


class ShapeError(FlowkitError, ValueError, RuntimeError):
    """Shapes that do not fit together (matmul, broadcasting, reshape, state dicts)."""


class DTypeError(FlowkitError, TypeError, RuntimeError):
    """A dtype that the op cannot take, or two dtypes that must match and do not."""


class StateDictError(FlowkitError, KeyError, RuntimeError):
    """A state dict whose keys do not match the module's (missing or unexpected keys)."""

    def __str__(self) -> str:  # KeyError would print the message quoted, as a repr
        return str(self.args[0]) if self.args else ""


class AutogradError(FlowkitError, RuntimeError):
    """Misuse of autograd: a second backward through a freed graph, a non-scalar backward, ..."""


class SerializationError(FlowkitError, ValueError, RuntimeError):
    """A checkpoint that cannot be written or read: an object flowkit does not store, or a file
    that is truncated, corrupt, or not a flowkit checkpoint (a pickle, a foreign safetensors file).
    """


def shape_str(shape) -> str:
    """Format a shape the way messages show it: ``(4, 2)``."""
    return "(" + ", ".join(str(int(s)) for s in shape) + ("," if len(shape) == 1 else "") + ")"
