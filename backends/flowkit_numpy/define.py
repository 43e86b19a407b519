"""How a numpy-backend op is defined: the state every op reads, the tensor's storage, and
:func:`op`, which registers an op's kernel, its VJP and its replay in one place.

An op is three things that must agree: the *kernel* (arrays in, ``(out, ctx)`` out: the result
and what the backward pass needs), the *VJP* (``vjp(g, ctx, need)``: the gradients of the
inputs), and the *replay* (an ``nn.Graph`` being recorded notes the kernel call, and replays
the same kernel later). :func:`op` takes the kernel, ``Op.defvjp`` the VJP beside it, and
calling the :class:`Op` does the rest: it runs the kernel on the tensors' arrays, records a graph
node when autograd needs one, and tells the tracer. A family module (``arithmetic.py``,
``reduction.py``...) then only normalises arguments (with :mod:`flowkit.ops`) and calls the op.

The hottest ops (``+ - * /``, unary math, ``sum``, ``mean``, ``reshape``, ``matmul``,
``mse_loss``, ``linear``) keep the same three parts written out inline in their method: the
benchmark shows the extra call of the general path on every step (bench/NOTES.md).

Hot-path rules (every op runs them, so each one is counted): one ``ndarray`` per tensor, four
slots set on creation, a graph node only when grad mode is on and an input needs a gradient,
and errors translated in ``except`` blocks (free when nothing goes wrong).
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from flowkit.device import as_device, cpu_only_error
from flowkit.device import device as _Device
from flowkit.ops.inplace import leaf_error, view_write_error
from flowkit.tensor import Tensor

from .engine import SAVES, VJP, Node, vjp  # noqa: F401 - the VJP table the families fill

CPU = _Device("cpu")

# IEEE arithmetic without numpy's floating-point warnings, as in PyTorch: exp(1000) is inf and
# 0/0 is nan, silently, on every backend (anomaly detection is how to find where a nan came from).
# Only warnings raised by this backend's own code are filtered: the user's numpy calls still warn.
warnings.filterwarnings(
    "ignore",
    r"(overflow|invalid value|divide by zero|underflow) encountered",
    RuntimeWarning,
    r"flowkit_numpy(\.|$)",
)

# ---------------------------------------------------------------------------------- state
# Grad mode is per thread, as in PyTorch: one thread inside no_grad must not stop another's
# training. A thread-local read costs ~30 ns more than a module global, on every op, so the ops
# test the global hint first and read the thread's own flag only when some thread has turned
# grad mode off:
#
#     if define.grad_enabled or define.STATE.grad_enabled:   # this thread records the graph
#
# `grad_enabled` is True exactly when no live thread has grad mode off (then every thread's
# flag is True); it is maintained under a lock by set_grad_enabled. A thread only ever changes
# its own flag, so its own next op always sees its own change.


class _ThreadState(threading.local):
    grad_enabled = True  # every thread starts with grad mode on (PyTorch's rule)
    off_guard: Any = None  # set while this thread's grad mode is off: see _OffGuard


STATE = _ThreadState()
grad_enabled = True  # the hint: no thread has grad mode off
_threads_off = 0  # how many threads have it off
_mode_lock = threading.RLock()  # (re-entrant: an _OffGuard may be collected while it is held)


class _OffGuard:
    """Held by a thread while its grad mode is off; a thread that ends that way drops it with
    its thread-local state, and the count goes back down (else the ops would read the
    thread-local flag for the rest of the process: right, only slower)."""

    __slots__ = ("live",)

    def __init__(self) -> None:
        self.live = True

    def __del__(self) -> None:
        if self.live:
            self.live = False
            _count_off(-1)


def _count_off(delta: int) -> None:
    global grad_enabled, _threads_off
    with _mode_lock:
        _threads_off += delta
        grad_enabled = _threads_off == 0


def set_grad_enabled(mode: bool) -> None:
    """Switch this thread's grad mode (``flowkit.no_grad`` and friends call it)."""
    state, mode = STATE, bool(mode)
    if state.grad_enabled == mode:
        return
    if mode:
        state.grad_enabled = True
        guard, state.off_guard = state.off_guard, None
        if guard is not None and guard.live:
            guard.live = False
            _count_off(-1)
    else:
        state.grad_enabled = False
        state.off_guard = _OffGuard()
        _count_off(+1)


def is_grad_enabled() -> bool:
    """This thread's grad mode."""
    return grad_enabled or STATE.grad_enabled


tracer: Any = None  # the nn.Graph call being recorded (replay.Tracer), or None: see replay.py

# ops a tensor method or backend function runs; `True` marks those that record a graph node
FORWARD_OPS: dict[str, bool] = {}


def forward_op(name: str, differentiable: bool = True) -> str:
    """Note ``name`` as an op of this backend (a test checks every differentiable one has a
    VJP and a gradient case)."""
    FORWARD_OPS[name] = differentiable
    return name


# ---------------------------------------------------------------------------------- storage
class NumpyTensorBase(Tensor):
    """The storage of a numpy-backend tensor; the family modules' mixins subclass it, and
    ``tensor.NumpyTensor`` combines them."""

    __slots__ = ("_data", "_node", "_rg", "_grad", "__weakref__")
    _data: np.ndarray  # the values
    _node: Node | None  # the op that made it, None for a leaf
    _rg: bool  # requires_grad
    _grad: Any  # the accumulated .grad tensor


# the class make() creates: tensor.py replaces this with the assembled NumpyTensor, once
NumpyTensor: type = NumpyTensorBase
_new = object.__new__


def make(data, node=None):
    """A tensor around ``data`` (made an ndarray: 0-d numpy results come back as scalars)."""
    t = _new(NumpyTensor)
    t._data = data if data.__class__ is np.ndarray else np.asarray(data)
    t._node = node
    t._rg = node is not None
    t._grad = None
    if tracer is not None:
        tracer.made_tensor(t)
    return t


def fresh(out):
    """A kernel's result as :func:`make` stores it (0-d numpy results come back as scalars)."""
    return out if out.__class__ is np.ndarray else np.asarray(out)


def no_replay(what: str) -> None:
    """Called where an op does something a recorded nn.Graph step cannot replay."""
    if tracer is not None:
        tracer.fail(what)


def recorded(res, kernel, inputs, name: str):
    """``res`` (made by ``kernel`` from ``inputs``), noted for an nn.Graph being recorded."""
    if tracer is not None:
        tracer.record(res, kernel, inputs, name)
    return res


def if_rg(t):
    """``t`` when it needs a gradient, else None (a node's input slot)."""
    return t if t is not None and t._rg else None


def identity(a):
    """The replay kernel of ops that make a new tensor around the same array (detach)."""
    return a, None


# ---------------------------------------------------------------------------------- op
class Op:
    """One op of the numpy backend: its kernel and its VJP, registered together.

    ``kernel(*arrays, *attrs, grad) -> (out, ctx)`` computes on arrays (``None`` for a missing
    optional tensor passes through); ``grad`` says whether ``ctx`` is needed. Calling the op,
    ``op(tensors, *attrs)``, runs the kernel on the tensors' arrays and makes the result: with a
    graph node over ``inputs`` (default: ``tensors``) when autograd needs one and the result is
    floating point, and noted for an ``nn.Graph`` being recorded, which replays the kernel with
    the same ``attrs``. Non-tensor operands (numbers) may sit among ``tensors``: they pass
    through to the kernel as they are.

    Examples:
        >>> import numpy as np
        >>> from flowkit_numpy.define import op
        >>> @op("doctest_cube")
        ... def cube(a, grad):
        ...     return a ** 3, (a,)
        >>> @cube.defvjp
        ... def _(g, ctx, need):
        ...     (a,) = ctx
        ...     return (g * 3 * a * a,)
        >>> import flowkit as flow
        >>> if flow.backend().name == "numpy":
        ...     x = flow.tensor([1.0, 2.0], requires_grad=True)
        ...     cube((x,)).sum().backward()
        ...     print(x.grad.tolist())
        ... else:
        ...     print([3.0, 12.0])
        [3.0, 12.0]
    """

    __slots__ = ("name", "kernel", "__wrapped__")

    def __init__(self, name: str, kernel: Callable, differentiable: bool = True):
        self.name = forward_op(name, differentiable)
        self.kernel = kernel
        self.__wrapped__ = kernel

    def defvjp(self, fn: Callable | None = None, *, saves: tuple | None = None):
        """Register the op's VJP (``@the_op.defvjp`` or ``@the_op.defvjp(saves=(...))``)."""
        if fn is None:
            return lambda f: self.defvjp(f, saves=saves)
        vjp(self.name, saves)(fn)
        return fn

    def __call__(self, tensors, *attrs, inputs=None):
        kernel = self.kernel
        if inputs is None:
            inputs = tensors
        grad = False
        if grad_enabled or STATE.grad_enabled:
            for t in inputs:
                if t is not None and t._rg:
                    grad = True
                    break
        out, ctx = kernel(
            *[t._data if isinstance(t, NumpyTensorBase) else t for t in tensors], *attrs, grad
        )
        node = None
        if grad and out.dtype.kind == "f":  # integer results carry no gradient (PyTorch's rule)
            node = Node(self.name, VJP[self.name], ctx, tuple(if_rg(t) for t in inputs))
        res = make(out, node)
        if tracer is not None:
            tracer.record(res, _bound(kernel, attrs, grad), tensors, self.name)
        return res


def _bound(kernel, attrs, grad):
    def replayed(*arrays):
        out, ctx = kernel(*arrays, *attrs, grad)
        return fresh(out), ctx

    return replayed


def op(name: str, differentiable: bool = True) -> Callable[[Callable], Op]:
    """Define an op from its kernel (see :class:`Op`); ``differentiable=False`` for ops that
    never have a gradient (comparisons, ``//``)."""
    return lambda kernel: Op(name, kernel, differentiable)


# ---------------------------------------------------------------------------------- writes
def in_place_check(t, op: str, replayable: bool = False) -> None:
    """Before an in-place write into ``t``: refused on a leaf that requires grad (its gradient
    would be wrong), and noted as unreplayable inside an nn.Graph unless ``replayable``."""
    if tracer is not None and not replayable:
        tracer.fail(f"an in-place op ({op}) inside build()")
    if (grad_enabled or STATE.grad_enabled) and t._rg and t._node is None:
        raise leaf_error(op)


_VIEW_OPS = frozenset(("getitem", "reshape", "expand", "split", "transpose", "permute"))


def view_check(t, op: str) -> None:
    """Off the hot path (in-place ops inside a graph only): an in-place op there is computed out
    of place and rebinds ``t``, which would leave the base of a view unchanged -- refuse."""
    node = t._node
    if node is None:
        if t._data.base is None:
            return
    else:
        if node.name not in _VIEW_OPS:
            return
        src = node.inputs[0]
        if src is None or not np.may_share_memory(t._data, src._data):
            return
    raise view_write_error(op)


def check_device(device) -> None:
    """A device this backend can use: only the CPU."""
    if device is not None and as_device(device).type != "cpu":
        raise cpu_only_error("numpy", as_device(device))
