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

    # -- autograd beyond Tensor.backward (arguments already checked by flowkit.autograd) --
    def grad(self, outputs: list[Tensor], inputs: list[Tensor], grad_outputs: list[Tensor | None],
             retain_graph: bool, create_graph: bool) -> list[Tensor | None]:
        """The gradients of ``outputs`` (seeded by ``grad_outputs``, ``None`` meaning ones) with
        respect to each of ``inputs``, ``None`` for an input they do not depend on. No ``.grad``
        changes. With ``create_graph`` the results are differentiable again."""
        raise NotImplementedError

    def autograd_backward(self, tensors: list[Tensor], grad_tensors: list[Tensor | None],
                          retain_graph: bool, create_graph: bool) -> None:
        """``backward`` from several outputs at once, accumulating into the leaves' ``.grad``."""
        raise NotImplementedError

    # -- static graphs (flowkit.nn.Graph) --
    def compile_graph(self, graph: Any) -> Any:
        """Offer a compiled runner for ``graph`` (a :class:`flowkit.nn.Graph`), or ``None``.

        Called on the graph's first call, and again after ``train()``/``eval()`` or a new
        optimizer. A runner is called like the graph (``runner(*args, **kwargs)``) and must give
        exactly what ``graph._run`` gives (outputs, parameter updates): the numpy backend records
        one eager step (``graph._build``, then ``graph._update_steps()``) and replays it.
        ``None``, the default, runs ``graph._run`` eagerly on every call.
        """
        return None

    # -- ops that are not tensor methods --
    def matmul(self, a: Tensor, b: Tensor) -> Tensor:
        raise NotImplementedError

    def mse_loss(self, input: Tensor, target: Tensor, reduction: str) -> Tensor:
        raise NotImplementedError

    def linear(self, x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        raise NotImplementedError

    # -- fused nn ops: flowkit.nn.functional checks and normalises the arguments (dims are
    #    non-negative, sizes are tuples, conv2d/max_pool2d inputs are 4-d), then calls these. A
    #    backend checks only what needs the data: class indices and embedding rows in range.
    def leaky_relu(self, x: Tensor, negative_slope: float) -> Tensor:
        raise NotImplementedError

    def gelu(self, x: Tensor, approximate: str) -> Tensor:
        """``approximate``: ``"none"`` (exact, through erf) or ``"tanh"``."""
        raise NotImplementedError

    def softmax(self, x: Tensor, dim: int) -> Tensor:
        raise NotImplementedError

    def log_softmax(self, x: Tensor, dim: int) -> Tensor:
        raise NotImplementedError

    def dropout(self, x: Tensor, mask: Tensor) -> Tensor:
        """``x * mask``; ``mask`` (x's dtype and device) is already scaled by ``1/(1-p)``."""
        raise NotImplementedError

    def embedding(self, indices: Tensor, weight: Tensor, padding_idx: int | None) -> Tensor:
        raise NotImplementedError

    def layer_norm(self, x: Tensor, normalized_shape: tuple[int, ...], weight: Tensor | None,
                   bias: Tensor | None, eps: float) -> Tensor:
        raise NotImplementedError

    def batch_norm(self, x: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
                   weight: Tensor | None, bias: Tensor | None, training: bool, momentum: float,
                   eps: float) -> Tensor:
        """Updates ``running_mean``/``running_var`` in place when training and given."""
        raise NotImplementedError

    def conv2d(self, x: Tensor, weight: Tensor, bias: Tensor | None, stride: tuple[int, int],
               padding: tuple[int, int, int, int], dilation: tuple[int, int],
               groups: int) -> Tensor:
        """``padding``: (top, bottom, left, right), zeros."""
        raise NotImplementedError

    def max_pool2d(self, x: Tensor, kernel: tuple[int, int], stride: tuple[int, int],
                   padding: tuple[int, int], dilation: tuple[int, int],
                   ceil_mode: bool) -> Tensor:
        raise NotImplementedError

    def cross_entropy(self, x: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int,
                      reduction: str, label_smoothing: float) -> Tensor:
        """``target``: integer class indices, or float class probabilities of ``x``'s shape."""
        raise NotImplementedError

    def nll_loss(self, x: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int,
                 reduction: str) -> Tensor:
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
