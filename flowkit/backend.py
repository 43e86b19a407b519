"""What a backend provides: the :class:`Backend` interface and the small records plugins return.

A backend supplies a :class:`flowkit.Tensor` subclass (with every tensor method implemented over
its own arrays) and one :class:`Backend` object whose attributes are the ops that are not tensor
methods (creation, ``matmul``, fused losses, grad mode). flowkit's core calls these directly: the
op table is the backend object itself, so dispatch costs one attribute lookup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from .device import device
    from .dtypes import dtype
    from .tensor import Tensor


@dataclass(frozen=True)
class BackendSpec:
    """A backend a plugin declares: its name and a one-line summary.

    Attributes:
        name: what ``FLOWKIT_BACKEND`` selects it by, e.g. ``"numpy"``.
        summary: one line for ``flowkit backends``.
        requires: the distributions it needs, for error messages (``["torch>=2.4"]``).
    """

    name: str
    summary: str
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class BackendProbe:
    """Whether a backend can run here.

    Attributes:
        version: version of the library underneath (numpy's, torch's), or ``None`` if missing.
        usable: whether it can be selected.
        devices: the devices it can use here, e.g. ``["cpu", "cuda:0"]``.
        reason: when not usable, why, and how to fix it.
    """

    version: str | None
    usable: bool
    devices: list[str] = field(default_factory=list)
    reason: str | None = None


@dataclass(frozen=True)
class BackendInfo:
    """One row of ``flowkit.backends()``: a backend found, or a plugin that failed to load."""

    name: str
    plugin: str
    version: str | None
    usable: bool
    devices: list[str]
    summary: str = ""
    error: str | None = None
    selected: bool = False


class Backend:
    """The interface a backend implements; flowkit's core calls nothing else.

    Subclasses set :attr:`name`, :attr:`Tensor`, :attr:`Parameter` and :attr:`device`, and
    implement the methods below. Tensor methods (arithmetic, reductions, ``backward``...) live on
    the backend's :class:`flowkit.Tensor` subclass.
    """

    name: str = "?"
    Tensor: type
    Parameter: type
    device: device  # the default device of this process

    # -- creation: flowkit's core builds data (and random numbers) in numpy, backends take it --
    def from_numpy(self, array: np.ndarray, device: device | None, requires_grad: bool,
                   share: bool = False) -> Tensor:
        """A tensor holding ``array`` (shared memory where ``share`` and the device allow)."""
        raise NotImplementedError

    def full(self, shape: tuple[int, ...], value: Any, dtype: dtype, device: device | None,
             requires_grad: bool = False) -> Tensor:
        """A tensor of ``shape`` filled with ``value`` (made on the device, no host copy)."""
        raise NotImplementedError

    def empty(self, shape: tuple[int, ...], dtype: dtype, device: device | None) -> Tensor:
        """An uninitialised tensor (``flowkit.Tensor(2, 3)``)."""
        return self.full(shape, 0, dtype, device)

    # -- autograd mode --
    def set_grad_enabled(self, mode: bool) -> None:
        """Switch gradient recording for this process (``no_grad`` calls it)."""
        raise NotImplementedError

    # -- ops that are not tensor methods --
    def matmul(self, a: Tensor, b: Tensor) -> Tensor:
        raise NotImplementedError

    def mse_loss(self, input: Tensor, target: Tensor, reduction: str) -> Tensor:
        raise NotImplementedError

    def linear(self, x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        raise NotImplementedError

    # -- devices --
    def cuda_is_available(self) -> bool:
        return False

    def cuda_device_count(self) -> int:
        return 0

    def synchronize(self) -> None:
        """Wait for queued device work (a no-op on synchronous backends)."""

    def devices(self) -> list[str]:
        return ["cpu"]

    def __repr__(self) -> str:
        return f"<flowkit backend {self.name!r} on {self.device}>"
