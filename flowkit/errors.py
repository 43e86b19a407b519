"""flowkit's exception types.

Every error flowkit raises on bad input names the problem and the fix. The classes also derive from
the builtin a PyTorch user would catch (``RuntimeError`` for shapes and devices, ``TypeError`` for
wrong argument types), so ``except RuntimeError`` code ported from PyTorch keeps working.
"""

from __future__ import annotations


class FlowkitError(Exception):
    """Base class of every error flowkit raises on purpose.

    Examples:
        >>> import flowkit as flow
        >>> try:
        ...     flow.zeros(-1)
        ... except flow.FlowkitError as e:
        ...     print(type(e).__name__, "|", e)
        ShapeError | a shape cannot have negative sizes, got (-1,)
    """


class BackendError(FlowkitError, RuntimeError):
    """A backend cannot be found, loaded or used (unknown name, missing library, broken plugin).

    Examples:
        >>> import flowkit as flow
        >>> name = flow.backend().name  # selected on first use; a process keeps it
        >>> flow.use_backend("no-such-backend")
        Traceback (most recent call last):
            ...
        flowkit.errors.BackendError: this process already uses the '...' backend; ...
    """


class BackendNotImplementedError(BackendError, NotImplementedError):
    """The selected backend does not implement an op that flowkit declares.

    Every public [`Tensor`][flowkit.Tensor] method and [`Backend`][flowkit.backend.Backend] op is
    declared once in flowkit's core; a backend that leaves one out inherits the declaration, which
    raises this error naming the op and the backend. ``flowkit check-backend NAME`` reports such
    ops as *not implemented* rather than as failures.

    Examples:
        >>> import flowkit as flow
        >>> issubclass(flow.BackendNotImplementedError, NotImplementedError)
        True
    """


class DeviceError(FlowkitError, RuntimeError):
    """A device is unavailable on this backend, or one op got tensors from different devices.

    Examples:
        >>> import flowkit as flow
        >>> flow.zeros(2, device="tpu")
        Traceback (most recent call last):
            ...
        flowkit.errors.DeviceError: unknown device 'tpu'; flowkit knows cpu, cuda ...
    """


class ShapeError(FlowkitError, ValueError, RuntimeError):
    """Shapes that do not fit together (matmul, broadcasting, reshape, state dicts).

    Examples:
        >>> import flowkit as flow
        >>> flow.zeros(2, 3) @ flow.zeros(2, 3)
        Traceback (most recent call last):
            ...
        flowkit.errors.ShapeError: matmul: shapes (2, 3) and (2, 3) do not fit: ...
    """


class DTypeError(FlowkitError, TypeError, RuntimeError):
    """A dtype that the op cannot take, or two dtypes that must match and do not.

    Examples:
        >>> import flowkit as flow
        >>> flow.tensor([1, 2], requires_grad=True)
        Traceback (most recent call last):
            ...
        flowkit.errors.DTypeError: only floating-point tensors can require gradients, ...
    """


class ArgumentTypeError(FlowkitError, TypeError):
    """An argument of a type the call does not take: another library's array (a numpy array, a
    torch tensor) passed to a flowkit op, ``None`` in a batch of samples, a state dict that is not
    a dict.

    Examples:
        >>> import numpy as np, flowkit as flow
        >>> flow.ones(2) + np.ones(2)
        Traceback (most recent call last):
            ...
        flowkit.errors.ArgumentTypeError: add: a flowkit tensor and a numpy array cannot be ...
    """


class ArgumentValueError(FlowkitError, ValueError, RuntimeError):
    """An argument whose value the call cannot take: an integer that does not fit the dtype,
    an empty range (``randint(5, 5)``), a negative count.

    Examples:
        >>> import flowkit as flow
        >>> flow.tensor([300], dtype=flow.uint8)
        Traceback (most recent call last):
            ...
        flowkit.errors.ArgumentValueError: flowkit.tensor: 300 (at index [0]) does not fit in ...
    """


class StateDictError(FlowkitError, KeyError, RuntimeError):
    """A state dict whose keys do not match the module's (missing or unexpected keys), or
    whose values are not tensors.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.Linear(2, 1).load_state_dict({})
        Traceback (most recent call last):
            ...
        flowkit.errors.StateDictError: load_state_dict into Linear: missing keys: weight, ...
    """

    def __str__(self) -> str:  # KeyError would print the message quoted, as a repr
        return str(self.args[0]) if self.args else ""


class AutogradError(FlowkitError, RuntimeError):
    """Misuse of autograd: a second backward through a freed graph, a non-scalar backward, ...

    Examples:
        >>> import flowkit as flow
        >>> (flow.ones(2, requires_grad=True) * 2).backward()
        Traceback (most recent call last):
            ...
        flowkit.errors.AutogradError: backward() without a gradient works only for scalar ...
    """


class SerializationError(FlowkitError, ValueError, RuntimeError):
    """A checkpoint that cannot be written or read: an object flowkit does not store, or a file
    that is truncated, corrupt, or not a flowkit checkpoint (a pickle, a foreign safetensors file).

    Examples:
        >>> import io, flowkit as flow
        >>> flow.load(io.BytesIO(b"not a checkpoint"))
        Traceback (most recent call last):
            ...
        flowkit.errors.SerializationError: flowkit.load(BytesIO): not a flowkit checkpoint: ...
    """


class DistributedError(FlowkitError, RuntimeError):
    """A distributed run cannot go on: torch.distributed is missing, the process group cannot be
    formed (a port in use, a rank that never came), ranks disagree (models of different shapes at
    ``DistributedDataParallel``), or a collective failed because another rank died.

    Examples:
        >>> import flowkit as flow
        >>> issubclass(flow.DistributedError, RuntimeError)
        True
    """


def shape_str(shape) -> str:
    """Format a shape the way messages show it: ``(4, 2)``.

    Examples:
        >>> from flowkit.errors import shape_str
        >>> shape_str((4, 2)), shape_str([3])
        ('(4, 2)', '(3,)')
    """
    return "(" + ", ".join(str(int(s)) for s in shape) + ("," if len(shape) == 1 else "") + ")"
