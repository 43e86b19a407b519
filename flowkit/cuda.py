"""``flowkit.cuda``: is CUDA usable by the selected backend?"""

from __future__ import annotations

from . import _plugins


def is_available() -> bool:
    """Whether the selected backend can run on CUDA here (always False on numpy).

    Examples:
        >>> import flowkit as flow
        >>> isinstance(flow.cuda.is_available(), bool)
        True
    """
    return _plugins.get().cuda_is_available()


def device_count() -> int:
    """How many CUDA devices the selected backend sees (0 on numpy and without a GPU).

    Examples:
        >>> import flowkit as flow
        >>> flow.cuda.device_count() >= 0
        True
    """
    return _plugins.get().cuda_device_count()


def synchronize() -> None:
    """Wait for all queued CUDA work (for timing); a no-op on CPU.

    Examples:
        >>> import flowkit as flow
        >>> flow.cuda.synchronize()
    """
    _plugins.get().synchronize()
