"""What a backend provides: the [`Backend`][flowkit.backend.Backend] interface and the small records
plugins return.

A backend supplies a [`flowkit.Tensor`][flowkit.Tensor] subclass (with every tensor method
implemented over its own arrays) and one [`Backend`][flowkit.backend.Backend] object whose
attributes are the ops that are not tensor methods (creation, ``matmul``, fused losses, grad mode).
flowkit's core calls these directly: the op table is the backend object itself, so dispatch costs
one attribute lookup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .ops._contract import backend_method

if TYPE_CHECKING:
    import numpy as np

    import flowkit

    from .device import device as Device  # (flowkit.device names the module to a type checker)


@dataclass(frozen=True)
class BackendSpec:
    """A backend a plugin declares: its name and a one-line summary.

    Attributes:
        name: what ``FLOWKIT_BACKEND`` selects it by, e.g. ``"numpy"``; the same as the
            plugin's entry-point name (a plugin cannot declare another backend's name).
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
    """One row of ``flowkit.backends()``: a backend found, or a plugin that is broken, clashes
    with another, was switched off or did not answer. Names are unique across rows.

    Attributes:
        name: the backend's name (the plugin's entry-point name).
        plugin: the plugin's name (the same, for entry points and built-ins).
        version: what its probe reported, or ``None``.
        usable: whether ``FLOWKIT_BACKEND=name`` can select it here.
        devices: the devices its probe reported.
        summary: its one-line description.
        error: when not usable, why (a broken plugin's starts with ``"Error:"``).
        selected: whether this process uses it.
        distribution: the distribution that installed the plugin (``"flowkit"`` for the
            built-ins, ``None`` for a plugin registered by hand; several, comma-separated, for a
            name two plugins claim).
        status: ``"ok"``, ``"unusable"`` (it says why), ``"broken"`` (a hook raised or answered
            with the wrong type), ``"timed out"``, ``"clash"``, or ``"disabled"``
            (``FLOWKIT_DISABLE_PLUGINS``).
        problems: one line per problem of the plugin(s) behind this name, each with its fix.
    """

    name: str
    plugin: str
    version: str | None
    usable: bool
    devices: list[str]
    summary: str = ""
    error: str | None = None
    selected: bool = False
    distribution: str | None = None
    status: str = "ok"
    problems: list[str] = field(default_factory=list)


class Backend:
    """The interface a backend implements: every op flowkit's core calls that is not a tensor
    method. flowkit's core calls nothing else.

    A backend subclasses this and sets `name`, `Tensor`, `Parameter` and `device`; the methods
    marked as declarations below are its to implement (one left out raises
    [`BackendNotImplementedError`][flowkit.errors.BackendNotImplementedError] when called). The
    rest have defaults a backend may override. The op table is the backend object itself, so
    dispatch costs one attribute lookup. Tensor methods (arithmetic, reductions, ``backward``...)
    live on the backend's [`flowkit.Tensor`][flowkit.Tensor] subclass.

    flowkit's core checks and normalises the arguments before it calls an op (dims are
    non-negative, sizes are tuples, the nn ops' inputs have the right number of dimensions), so
    a backend checks only what needs the data: class indices and embedding rows in range.

    Examples:
        >>> import flowkit as flow
        >>> b = flow.backend()
        >>> from flowkit.backend import Backend
        >>> isinstance(b, Backend), issubclass(b.Tensor, flow.Tensor)
        (True, True)
    """

    name: str = "?"
    #: the backend's [`flowkit.Tensor`][flowkit.Tensor] subclass
    Tensor: type
    #: its parameter type: a subclass of both ``Tensor`` and
    #: [`flowkit.nn.Parameter`][flowkit.nn.Parameter]
    Parameter: type
    #: the default device of this process
    device: Device

    # -- creation: flowkit's core builds data (and random numbers) in numpy, backends take it --
    @backend_method
    def from_numpy(
        self, array: np.ndarray, device: Device | None, requires_grad: bool, share: bool = False
    ) -> flowkit.Tensor:
        """A tensor holding ``array`` (on ``device``, or the backend's default for ``None``).

        With ``share``, the tensor may keep ``array`` itself rather than a copy (the caller
        hands it over: ``flowkit.from_numpy``, the DataLoader's batches).
        """

    @backend_method
    def full(
        self,
        shape: tuple[int, ...],
        value: Any,
        dtype: flowkit.dtype,
        device: Device | None,
        requires_grad: bool = False,
    ) -> flowkit.Tensor:
        """A tensor of ``shape`` filled with ``value`` (made on the device, no host copy)."""

    def empty(
        self, shape: tuple[int, ...], dtype: flowkit.dtype, device: Device | None
    ) -> flowkit.Tensor:
        """An uninitialised tensor (``flowkit.Tensor(2, 3)``); zeros by default."""
        return self.full(shape, 0, dtype, device)

    @backend_method
    def make_parameter(self, data: flowkit.Tensor, requires_grad: bool) -> flowkit.Tensor:
        """A leaf of type `Parameter` that shares ``data``'s memory (``data`` is already
        detached), as ``flowkit.nn.Parameter(data)`` promises."""

    # -- autograd --
    @backend_method
    def set_grad_enabled(self, mode: bool) -> None:
        """Switch gradient recording for the calling thread (``no_grad`` calls it). Grad mode is
        per thread, as in PyTorch: every thread starts with it on, and one thread's ``no_grad``
        never changes what another thread records."""

    @backend_method
    def set_detect_anomaly(self, mode: bool, check_nan: bool) -> None:
        """Switch anomaly detection (``flowkit.autograd.detect_anomaly`` calls it). While it is
        on, every op records its forward call (`flowkit.autograd.anomaly_mode.forward_trace`)
        and backward raises `nonfinite_gradient_error` at
        the first op whose gradient has a NaN or an infinity (when ``check_nan``); any other
        error in an op's backward gets the op's forward call appended
        (`with_trace`). Off, it must cost nothing."""

    @backend_method
    def grad(
        self,
        outputs: list[flowkit.Tensor],
        inputs: list[flowkit.Tensor],
        grad_outputs: list[flowkit.Tensor | None],
        retain_graph: bool,
        create_graph: bool,
    ) -> list[flowkit.Tensor | None]:
        """``flowkit.autograd.grad``: the gradients of ``outputs`` (seeded by ``grad_outputs``,
        ``None`` meaning ones) with respect to each of ``inputs``, ``None`` for an input they do
        not depend on. No ``.grad`` changes. With ``create_graph`` the results are
        differentiable again. (Arguments are checked by [`flowkit.autograd`][flowkit.autograd].)"""

    @backend_method
    def autograd_backward(
        self,
        tensors: list[flowkit.Tensor],
        grad_tensors: list[flowkit.Tensor | None],
        retain_graph: bool,
        create_graph: bool,
    ) -> None:
        """``flowkit.autograd.backward``: ``backward`` from several outputs at once,
        accumulating into the leaves' ``.grad``."""

    @backend_method
    def apply_function(self, function: type, ctx: Any, args: tuple, kwargs: dict[str, Any]) -> Any:
        """``function.apply(*args, **kwargs)`` for a
        [`flowkit.autograd.Function`][flowkit.autograd.Function] subclass, called when some
        tensor of ``args`` needs a gradient (and grad mode is on; ``ctx.needs_input_grad`` is
        set). Run ``function.forward(ctx, *args, **kwargs)`` with recording off
        (`flowkit.autograd.function.run_forward`) and return its outputs linked into the graph
        (those `flowkit.autograd.function.differentiable` says), so that backward calls
        `flowkit.autograd.function.run_backward` with one gradient per output and takes one
        gradient per argument from it. That backward runs with recording off unless the pass has
        ``create_graph``."""

    # -- static graphs (flowkit.nn.Graph) --
    def compile_graph(self, graph: Any) -> Any:
        """Offer a compiled runner for ``graph`` (a [`flowkit.nn.Graph`][flowkit.nn.Graph]), or
        ``None``.

        Called on the graph's first call, and again after ``train()``/``eval()`` or a new
        optimizer. A runner is called like the graph (``runner(*args, **kwargs)``) and must give
        exactly what ``graph._run`` gives (outputs, parameter updates): the numpy backend records
        one eager step (``graph._build``, then ``graph._update_steps()``) and replays it.
        ``None``, the default, runs ``graph._run`` eagerly on every call.
        """
        return None

    # -- ops that are not tensor methods (flowkit.matmul, cat, stack, where) --
    @backend_method
    def matmul(self, a: flowkit.Tensor, b: flowkit.Tensor) -> flowkit.Tensor:
        """``flowkit.matmul(a, b)`` (``a`` is a tensor of this backend; ``b`` is unchecked)."""

    @backend_method
    def cat(self, tensors: Sequence[flowkit.Tensor], dim: int) -> flowkit.Tensor:
        """``flowkit.cat``: join along an existing dimension, dtypes promoted as in PyTorch
        (see `flowkit.ops.shape.cat_error` for the rules and messages)."""

    @backend_method
    def stack(self, tensors: Sequence[flowkit.Tensor], dim: int) -> flowkit.Tensor:
        """``flowkit.stack``: join tensors of one shape along a new dimension."""

    @backend_method
    def where(self, condition: flowkit.Tensor, x: Any, y: Any) -> flowkit.Tensor:
        """``flowkit.where(condition, x, y)``: ``x`` and ``y`` are tensors or numbers."""

    # -- nn ops: flowkit.nn.functional checks and normalises the arguments, then calls these --
    @backend_method
    def linear(
        self, x: flowkit.Tensor, weight: flowkit.Tensor, bias: flowkit.Tensor | None
    ) -> flowkit.Tensor:
        """``x @ weight.T + bias`` (``weight``: ``(out_features, in_features)``)."""

    @backend_method
    def mse_loss(
        self, input: flowkit.Tensor, target: flowkit.Tensor, reduction: str
    ) -> flowkit.Tensor:
        """Squared error, ``reduction`` ``"mean"``, ``"sum"`` or ``"none"``; the shapes must be
        equal (broadcasting them would compare every prediction with every target)."""

    @backend_method
    def leaky_relu(self, x: flowkit.Tensor, negative_slope: float) -> flowkit.Tensor:
        """``x`` where positive, ``x * negative_slope`` elsewhere."""

    @backend_method
    def gelu(self, x: flowkit.Tensor, approximate: str) -> flowkit.Tensor:
        """``approximate``: ``"none"`` (exact, through erf) or ``"tanh"``."""

    @backend_method
    def softmax(self, x: flowkit.Tensor, dim: int) -> flowkit.Tensor:
        """Softmax along ``dim`` (non-negative), computed stably (max subtracted)."""

    @backend_method
    def log_softmax(self, x: flowkit.Tensor, dim: int) -> flowkit.Tensor:
        """Log-softmax along ``dim`` (non-negative), computed stably."""

    @backend_method
    def dropout(self, x: flowkit.Tensor, mask: flowkit.Tensor) -> flowkit.Tensor:
        """``x * mask``; ``mask`` (x's dtype and device) is already scaled by ``1/(1-p)``."""

    @backend_method
    def embedding(
        self, indices: flowkit.Tensor, weight: flowkit.Tensor, padding_idx: int | None
    ) -> flowkit.Tensor:
        """Rows of ``weight`` picked by integer ``indices``; no gradient reaches the
        ``padding_idx`` row. Raises IndexError for an index out of range."""

    @backend_method
    def layer_norm(
        self,
        x: flowkit.Tensor,
        normalized_shape: tuple[int, ...],
        weight: flowkit.Tensor | None,
        bias: flowkit.Tensor | None,
        eps: float,
    ) -> flowkit.Tensor:
        """Normalise over the trailing ``normalized_shape`` dimensions (biased variance)."""

    @backend_method
    def batch_norm(
        self,
        x: flowkit.Tensor,
        running_mean: flowkit.Tensor | None,
        running_var: flowkit.Tensor | None,
        weight: flowkit.Tensor | None,
        bias: flowkit.Tensor | None,
        training: bool,
        momentum: float,
        eps: float,
    ) -> flowkit.Tensor:
        """Normalise over every dimension but 1 (channels): batch statistics when training
        (updating ``running_mean``/``running_var`` in place when given, the variance unbiased),
        the running ones otherwise."""

    @backend_method
    def conv1d(
        self,
        x: flowkit.Tensor,
        weight: flowkit.Tensor,
        bias: flowkit.Tensor | None,
        stride: int,
        padding: tuple[int, int],
        dilation: int,
        groups: int,
    ) -> flowkit.Tensor:
        """1-d cross-correlation of a 3-d ``x`` (N, C, L) with ``weight`` (O, C / groups, k);
        ``padding``: (left, right), zeros. (A backend may compute it as ``conv2d`` of height 1;
        its own 1-d kernel saves the reshapes.)"""

    @backend_method
    def conv2d(
        self,
        x: flowkit.Tensor,
        weight: flowkit.Tensor,
        bias: flowkit.Tensor | None,
        stride: tuple[int, int],
        padding: tuple[int, int, int, int],
        dilation: tuple[int, int],
        groups: int,
    ) -> flowkit.Tensor:
        """2-d cross-correlation of a 4-d ``x`` (N, C, H, W); ``padding``: (top, bottom, left,
        right), zeros."""

    @backend_method
    def max_pool2d(
        self,
        x: flowkit.Tensor,
        kernel: tuple[int, int],
        stride: tuple[int, int],
        padding: tuple[int, int],
        dilation: tuple[int, int],
        ceil_mode: bool,
    ) -> flowkit.Tensor:
        """2-d max pooling of a 4-d ``x``; padding counts as ``-inf``; ties send the gradient
        to the first maximum."""

    # -- convolution, pooling, normalization, resampling and padding layers (issue 12, part 5) --
    @backend_method
    def conv_transpose2d(
        self,
        x: flowkit.Tensor,
        weight: flowkit.Tensor,
        bias: flowkit.Tensor | None,
        stride: tuple[int, int],
        padding: tuple[int, int],
        output_padding: tuple[int, int],
        groups: int,
        dilation: tuple[int, int],
    ) -> flowkit.Tensor:
        """2-d transposed convolution (the gradient of ``conv2d`` with respect to its input) of
        a 4-d ``x`` with ``weight`` ``(in_channels, out_channels / groups, kh, kw)``."""

    @backend_method
    def avg_pool2d(
        self,
        x: flowkit.Tensor,
        kernel: tuple[int, int],
        stride: tuple[int, int],
        padding: tuple[int, int],
        ceil_mode: bool,
        count_include_pad: bool,
        divisor_override: int | None,
    ) -> flowkit.Tensor:
        """2-d average pooling of a 4-d ``x`` with zero padding; the divisor as in PyTorch."""

    @backend_method
    def adaptive_avg_pool2d(
        self, x: flowkit.Tensor, output_size: tuple[int, int]
    ) -> flowkit.Tensor:
        """Average of the windows ``[floor(i*H/Ho), ceil((i+1)*H/Ho))`` of a 4-d ``x``."""

    @backend_method
    def adaptive_max_pool2d(
        self, x: flowkit.Tensor, output_size: tuple[int, int]
    ) -> flowkit.Tensor:
        """Maximum of the adaptive windows of a 4-d ``x``; ties send the gradient to the
        first maximum."""

    @backend_method
    def group_norm(
        self,
        x: flowkit.Tensor,
        num_groups: int,
        weight: flowkit.Tensor | None,
        bias: flowkit.Tensor | None,
        eps: float,
    ) -> flowkit.Tensor:
        """Normalise each group of ``C / num_groups`` channels of each sample of ``x``
        ``(N, C, ...)`` (biased variance), then scale and shift per channel."""

    @backend_method
    def pad(
        self, x: flowkit.Tensor, pad: tuple[int, ...], mode: str, value: float
    ) -> flowkit.Tensor:
        """``F.pad``: ``pad`` as PyTorch orders it (last dimension first, non-negative),
        ``mode`` ``"constant"`` (any trailing dims), ``"reflect"`` or ``"replicate"``."""

    @backend_method
    def interpolate(
        self,
        x: flowkit.Tensor,
        size: tuple[int, ...],
        mode: str,
        align_corners: bool,
        scales: tuple[float | None, ...],
    ) -> flowkit.Tensor:
        """Resample the 1 or 2 trailing dims of a 3-d/4-d ``x`` to ``size``: ``mode``
        ``"nearest"``, ``"linear"`` or ``"bilinear"``; ``scales``: the user's scale factors
        (``None`` where the size ratio is used), which PyTorch's index mapping uses."""

    @backend_method
    def cross_entropy(
        self,
        x: flowkit.Tensor,
        target: flowkit.Tensor,
        weight: flowkit.Tensor | None,
        ignore_index: int,
        reduction: str,
        label_smoothing: float,
    ) -> flowkit.Tensor:
        """Log-softmax over dimension 1 and the negative log-likelihood. ``target``: integer
        class indices, or float class probabilities of ``x``'s shape."""

    @backend_method
    def nll_loss(
        self,
        x: flowkit.Tensor,
        target: flowkit.Tensor,
        weight: flowkit.Tensor | None,
        ignore_index: int,
        reduction: str,
    ) -> flowkit.Tensor:
        """The negative log-likelihood of log-probabilities ``x`` (classes in dimension 1)."""

    # -- activations and losses with a fused, numerically stable kernel (softplus, BCE) --
    @backend_method
    def softplus(self, x: flowkit.Tensor, beta: float, threshold: float) -> flowkit.Tensor:
        """``log(1 + exp(beta * x)) / beta``, computed without overflow; ``x`` itself where
        ``beta * x > threshold`` (PyTorch's rule)."""

    @backend_method
    def binary_cross_entropy_with_logits(
        self,
        x: flowkit.Tensor,
        target: flowkit.Tensor,
        weight: flowkit.Tensor | None,
        pos_weight: flowkit.Tensor | None,
        reduction: str,
    ) -> flowkit.Tensor:
        """``-w * (pos_weight * t * log(sigmoid(x)) + (1 - t) * log(1 - sigmoid(x)))``,
        stable for any logits; ``weight`` and ``pos_weight`` broadcast against ``x``."""

    # -- recurrent layers (flowkit.nn.RNN/LSTM/GRU and their cells call this) --
    @backend_method
    def rnn_layer(
        self,
        mode: str,
        x: flowkit.Tensor,
        h0: flowkit.Tensor,
        c0: flowkit.Tensor | None,
        w_ih: flowkit.Tensor,
        w_hh: flowkit.Tensor,
        b_ih: flowkit.Tensor | None,
        b_hh: flowkit.Tensor | None,
        reverse: bool,
        lengths: tuple[int, ...] | None,
    ) -> tuple[flowkit.Tensor, flowkit.Tensor, flowkit.Tensor | None]:
        """One layer and direction of a recurrent network over a whole sequence: ``mode`` is
        ``"lstm"``, ``"gru"``, ``"rnn_tanh"`` or ``"rnn_relu"``; ``x`` ``(T, B, input_size)``
        (time first), ``h0``/``c0`` ``(B, hidden)`` (``c0``: LSTM only, else None), the weights
        and biases in PyTorch's layout and gate order (LSTM ``i, f, g, o``; GRU ``r, z, n``).
        ``reverse`` walks the steps from the last; ``lengths`` (one per batch entry, or None
        when all are ``T``) stops each sequence at its own length: its state is carried
        through unchanged and its output is zero past it. Returns ``(output (T, B, hidden),
        h_n, c_n)`` (``c_n`` None but for LSTM)."""

    # -- communication: flowkit.comm hands these buffers to torch.distributed --
    @backend_method
    def comm_buffer(self, tensor: flowkit.Tensor) -> Any:
        """A ``torch.Tensor`` holding ``tensor``'s values, for a torch.distributed collective.

        It shares memory with ``tensor`` wherever the layout allows (a contiguous array), so a
        collective reads and writes the tensor itself; otherwise it is a contiguous copy, which
        [`comm_commit`][flowkit.backend.Backend.comm_commit] writes back. It is on the tensor's
        device (CPU for numpy).
        """

    @backend_method
    def comm_result(self, buffer: Any) -> flowkit.Tensor:
        """A tensor of this backend over ``buffer`` (a ``torch.Tensor`` a collective filled),
        sharing its memory where the backend can."""

    @backend_method
    def comm_commit(self, tensor: flowkit.Tensor, buffer: Any) -> None:
        """A collective wrote ``buffer`` (from [`comm_buffer`][flowkit.backend.Backend.comm_buffer]
        of ``tensor``): put the values into ``tensor`` if the buffer was a copy, and count an
        in-place change of ``tensor`` (its version, which autograd checks)."""

    # -- devices --
    def cuda_is_available(self) -> bool:
        """Whether this backend can use a CUDA device here (``flowkit.cuda.is_available()``)."""
        return False

    def cuda_device_count(self) -> int:
        """How many CUDA devices this backend sees."""
        return 0

    def synchronize(self) -> None:
        """Wait for queued device work (a no-op on synchronous backends)."""

    def devices(self) -> list[str]:
        """The devices this backend can use here (``["cpu", "cuda:0"]``)."""
        return ["cpu"]

    def __repr__(self) -> str:
        return f"<flowkit backend {self.name!r} on {self.device}>"
