"""``no_grad`` / ``enable_grad`` / ``set_grad_enabled``.

Grad mode is per thread, as in PyTorch: a thread inside ``no_grad`` (an evaluation loop, a
data-loading thread) does not stop another thread's training, and every new thread starts with
grad mode on. The flag that ops read lives in the backend (numpy's own per-thread flag, torch's
thread-local one), so these only tell the selected backend; ``is_grad_enabled`` keeps the core's
per-thread copy.
"""

from __future__ import annotations

import functools
import threading

import numpy as np

from .. import _plugins
from ..errors import ArgumentTypeError


class _ThreadMode(threading.local):
    enabled = True  # the class attribute is every thread's starting value


_thread = _ThreadMode()  # this thread's grad mode, as the core last set it


def is_grad_enabled() -> bool:
    """Whether ops record the graph for backward now.

    Examples:
        >>> import flowkit as flow
        >>> flow.is_grad_enabled()
        True
        >>> with flow.no_grad():
        ...     print(flow.is_grad_enabled())
        False
    """
    return _thread.enabled


def _set(mode: bool) -> None:
    _thread.enabled = mode
    _plugins.get().set_grad_enabled(mode)


class _GradModeContext:
    _mode: bool

    def __enter__(self):
        self._prev = _thread.enabled
        _set(self._mode)
        return self

    def __exit__(self, *exc):
        _set(self._prev)
        return False

    def __call__(self, fn):  # usable as a decorator, as in PyTorch
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):  # noqa: N801
    """Context manager and decorator that stops recording the graph.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.ones(2, requires_grad=True)
        >>> with flow.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    _mode = False


class enable_grad(_GradModeContext):  # noqa: N801
    """Context manager and decorator that records the graph, even inside ``no_grad``.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.ones(2, requires_grad=True)
        >>> with flow.no_grad():
        ...     with flow.enable_grad():
        ...         y = x * 2
        >>> y.requires_grad
        True
    """

    _mode = True


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """Switch recording on or off: as a call, or as a context manager for a block.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.ones(2, requires_grad=True)
        >>> with flow.set_grad_enabled(False):
        ...     y = x * 2
        >>> y.requires_grad, flow.is_grad_enabled()
        (False, True)
    """

    def __init__(self, mode: bool):
        if not isinstance(mode, (bool, np.bool_)):  # PyTorch's rule: set_grad_enabled("no")
            raise ArgumentTypeError(  # would switch recording on
                f"set_grad_enabled: mode must be a bool (True or False), got {type(mode).__name__}"
            )
        self._prev = _thread.enabled
        self._mode = bool(mode)
        _set(self._mode)  # takes effect at once, like torch.set_grad_enabled(False)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _set(self._prev)
        return False
