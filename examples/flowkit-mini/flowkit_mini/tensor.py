"""``MiniTensor``: a :class:`flowkit.Tensor` over one numpy array, recorded for autograd.

What the contract asks of a backend's tensor class:

* **State and attributes.** ``shape`` (a :class:`flowkit.Size`), ``dtype`` (a flowkit dtype),
  ``device``, ``numpy()`` and ``item()``. From these alone :class:`flowkit.Tensor` writes the
  repr, ``size()``, ``tolist()``, ``T``, ``flatten``, ``float()``... once for every backend, so a
  program prints the same text everywhere. The repr also asks ``_grad_fn_name()``: the op names
  must be the ones every backend prints (``MatmulBackward``, ``MseLossBackward``...).
* **Autograd.** ``requires_grad`` (get/set, ``requires_grad_``), ``grad`` (get/set),
  ``grad_fn``, ``is_leaf``, ``detach``, ``backward``, ``data``.
* **Ops, with PyTorch's semantics.** Broadcasting, and PyTorch's type promotion rather than
  numpy's: a float32 tensor with a Python float stays float32, an int tensor with a float number
  becomes float32 (numpy would give float64 for both of those mixes of int and float).
* **In-place updates** (``add_``, ``sub_``, ``mul_``, ``zero_``...): flowkit's optimizers write
  parameters in place under ``no_grad``, so a ``Parameter`` keeps its identity and memory.
* **Errors: flowkit's, word for word.** :mod:`flowkit.ops` holds each op family's argument
  rules (``result_dtype``, ``normalize_dims``, ``reduction_dims``...) and its error texts, as
  *diagnosers*: functions that take shapes, dtypes or operands and return the exception to raise
  (``broadcast_error``, ``matmul_error``, ``bool_sub_error``...). Every backend raises those, so
  a message is written once and a program fails with the same text everywhere. A backend calls a
  diagnoser from the ``except`` block of a failed kernel, or behind a guard for an unusual case
  its library would get wrong (numpy computes ``True - 1`` and a float32 @ float64 product,
  PyTorch refuses both); never on the success path, which pays nothing for them. Only what is
  this backend's own (a device it lacks, an op it leaves out) has its own message here.

What it may leave out: any method it does not define is inherited from :class:`flowkit.Tensor`,
whose declaration raises :class:`flowkit.BackendNotImplementedError` naming the op. This backend
implements what a small MLP needs and nothing else, so it has no stubs.

Limitation kept on purpose (it keeps the engine short): in-place ops are never recorded, so they
are refused on tensors autograd tracks, and nothing notices an in-place write into an array a
recorded node saved for backward (PyTorch catches that with version counters).
"""

from __future__ import annotations

import threading

import numpy as np

from flowkit import dtypes
from flowkit.device import as_device, cpu_only_error
from flowkit.device import device as Device
from flowkit.errors import BackendNotImplementedError, DeviceError, DTypeError
from flowkit.ops.arithmetic import (
    bool_sub_error,
    bool_unary_error,
    broadcast_error,
    broadcasts,
    is_bool_operand,
    need_float_error,
    negative_power_error,
    numpy_operand_error,
    operand_type_error,
    result_dtype,
)
from flowkit.ops.autograd import (
    backward_name,
    grad_value_error,
    gradient_shape_error,
    no_graph_error,
    non_scalar_error,
    requires_grad_error,
)
from flowkit.ops.indexing import index_error
from flowkit.ops.inplace import copy_shape_error, leaf_error, result_dtype_error, result_shape_error
from flowkit.ops.linalg import matmul_error, operand_error
from flowkit.ops.reduction import reduction_dims
from flowkit.ops.shape import normalize_dims, reshape_error
from flowkit.tensor import Size, Tensor, item_error

from .autograd import Node, bump, run_backward

CPU = Device("cpu")


class _GradMode(threading.local):
    """Grad mode, per thread as the contract asks: flowkit.no_grad() switches it via the Backend,
    and every thread starts with it on (the class attribute)."""

    enabled = True


_grad_mode = _GradMode()


def set_grad_enabled(mode: bool) -> None:
    _grad_mode.enabled = bool(mode)


# ------------------------------------------------------------------------------ making tensors
def wrap(array, node: Node | None = None) -> MiniTensor:
    """A tensor around ``array``; numpy returns 0-d results as scalars, so make it an array."""
    t = object.__new__(MiniTensor)
    t._data = np.asarray(array)
    t._node = node
    t._requires_grad = node is not None
    t._grad = None
    return t


def tracked(t) -> bool:
    """Whether an op on ``t`` must be recorded: grad mode is on and ``t`` needs a gradient."""
    return _grad_mode.enabled and isinstance(t, MiniTensor) and t._requires_grad


def record(name: str, out, inputs: tuple, vjp, saved: tuple = ()) -> MiniTensor:
    """The result of op ``name``, with a graph node when any of ``inputs`` is tracked.

    ``vjp(g)`` returns one gradient per entry of ``inputs``. Inputs that need no gradient (Python
    numbers, constants, anything under ``no_grad``) are ``None`` in the node: the engine skips
    them, and the VJPs built below do not even compute their gradients. ``saved``: the arrays
    the VJP reads (for the gradients it will compute); backward refuses if one is changed in
    place before it runs.
    """
    need = tuple(t if tracked(t) else None for t in inputs)
    if not any(t is not None for t in need):
        return wrap(out)  # nothing to differentiate: no node, and the closure is dropped
    return wrap(out, Node(name, vjp, need, saved))


# ------------------------------------------------------------------------------ operands
def number(value):
    """A numpy scalar as the Python number it holds: numpy scalars are weak like Python numbers,
    as in PyTorch (a float32 tensor times ``np.float64(2)`` stays float32)."""
    return value.item() if isinstance(value, np.generic) else value


def _operand(op: str, value):
    """A tensor's array or a Python number, as numpy takes it; ``None`` for anything else (the
    operator then returns ``NotImplemented``). A numpy array is refused rather than guessed at:
    ``t + array`` would otherwise come back from numpy as an array, off the graph."""
    if isinstance(value, MiniTensor):
        return value._data
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, np.ndarray):
        raise numpy_operand_error(op)
    return None


def promoted(op: str, x, y, float_result: bool = False):
    """``x`` and ``y`` (tensors or Python numbers) as numpy operands of PyTorch's result dtype
    (:func:`flowkit.ops.arithmetic.result_dtype`; numpy's own would differ: int64 with float32 is
    float64 there), or ``None`` when one is neither (a numpy array is an error)."""
    a, b = _operand(op, x), _operand(op, y)
    if a is None or b is None:
        return None
    dt = result_dtype(x, y)
    if float_result and not dt.is_floating_point:
        dt = dtypes.float32  # true division of integers is float32, as in PyTorch
    # Python numbers stay numbers: numpy treats them as "weak", so float32 * 0.01 is float32
    return tuple(v.astype(dt.np, copy=False) if isinstance(v, np.ndarray) else v for v in (a, b))


# ------------------------------------------------------------------------------ elementwise
def _power(a, b):
    """``a ** b``. numpy refuses integers to negative integer powers; for a tensor of exponents
    PyTorch gives the integer part of the result: 1 -> 1, -1 -> +-1, any other base -> 0 (for a
    Python int exponent it refuses them too: ``_binary`` says so)."""
    try:
        return np.power(a, b)
    except ValueError:
        if not isinstance(b, np.ndarray):
            raise  # shapes that do not broadcast: _binary says so
    negative = np.less(b, 0)
    out = np.power(a, np.where(negative, 0, b))  # (fails again if the shapes do not broadcast)
    tiny = np.where(np.equal(a, 1), 1, np.where(np.equal(a, -1), 1 - 2 * np.remainder(b, 2), 0))
    return np.where(negative, tiny, out).astype(out.dtype, copy=False)


def _safe_log(a):
    """log(a) where a > 0, else 0: d(a ** b)/db is a ** b * log(a), taken as 0 where a <= 0."""
    return np.log(np.where(np.greater(a, 0), a, 1))


def _pow_da(g, a, b, out):
    # b * a ** (b - 1), but exactly 0 where b == 0 (else 0 * 0 ** -1 would be nan at a == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return g * np.where(np.equal(b, 0), 0, b * np.power(a, b - 1))


# name: (forward(a, b), d/da, d/db). Each derivative gets (g, a, b, out) and returns g times the
# partial derivative, in the broadcast shape (the engine sums broadcast dimensions away).
_BINARY = {
    "add": (np.add, lambda g, a, b, o: g, lambda g, a, b, o: g),
    "sub": (np.subtract, lambda g, a, b, o: g, lambda g, a, b, o: -g),
    "mul": (np.multiply, lambda g, a, b, o: g * b, lambda g, a, b, o: g * a),
    "div": (np.true_divide, lambda g, a, b, o: g / b, lambda g, a, b, o: -g * a / (b * b)),
    "pow": (_power, _pow_da, lambda g, a, b, o: g * o * _safe_log(a)),
}
# name: which of (a, b, out) each derivative reads: (for d/da, for d/db)
_READS = {
    "add": ("", ""),
    "sub": ("", ""),
    "mul": ("b", "a"),
    "div": ("b", "ab"),
    "pow": ("ab", "abo"),
}


def _binary(op: str, x, y, name: str | None = None):
    """``x <op> y`` for tensors and numbers (one of them a tensor), recorded as ``name``
    (``rsub`` for ``2 - t``: the grad_fn names of reflected ops are part of what prints)."""
    x, y = number(x), number(y)
    operands = promoted(op, x, y, float_result=(op == "div"))
    if operands is None:
        return NotImplemented  # Python then tries the other operand's reflected method
    if op == "sub" and (is_bool_operand(x) or is_bool_operand(y)):
        raise bool_sub_error("sub", x, y)  # numpy would compute bool - 1; PyTorch refuses it
    a, b = operands
    if op == "pow" and isinstance(b, int) and b < 0 and a.dtype.kind in "biu":
        # an integer tensor to a negative Python int: PyTorch refuses it whatever the values
        # (numpy too, but not for an empty tensor, and with an OverflowError for uint8)
        raise negative_power_error(x.dtype, b)
    forward, da, db = _BINARY[op]
    try:
        out = forward(a, b)
    except ValueError:  # numpy refused: the shapes do not broadcast
        if not broadcasts(np.shape(a), np.shape(b)):
            raise broadcast_error(name or op, np.shape(a), np.shape(b)) from None
        raise
    need_a, need_b = tracked(x), tracked(y)  # decided now, at forward time
    reads = (_READS[op][0] if need_a else "") + (_READS[op][1] if need_b else "")
    if op == "pow" and isinstance(b, np.ndarray):
        reads += "abo"  # PyTorch saves base, exponent and result for a tensor exponent
    values = {"a": a, "b": b, "o": out}
    return record(
        name or op,
        out,
        (x, y),
        lambda g: (da(g, a, b, out) if need_a else None, db(g, a, b, out) if need_b else None),
        tuple(values[k] for k in sorted(set(reads))),
    )


# name: (forward(a), float only?, derivative(g, a, out) = g times d out / d a, what it reads)
_UNARY = {
    "neg": (np.negative, False, lambda g, a, o: -g, ""),
    "exp": (np.exp, True, lambda g, a, o: g * o, "o"),
    "log": (np.log, True, lambda g, a, o: g / a, "a"),
    "sqrt": (np.sqrt, True, lambda g, a, o: g / (2 * o), "o"),
    "tanh": (np.tanh, True, lambda g, a, o: g * (1 - o * o), "o"),
    "sigmoid": (lambda a: 1 / (1 + np.exp(-a)), True, lambda g, a, o: g * o * (1 - o), "o"),
    "relu": (lambda a: np.maximum(a, 0), False, lambda g, a, o: g * (o > 0), "o"),
}


def _unary(op: str, x: MiniTensor) -> MiniTensor:
    forward, float_only, derivative, reads = _UNARY[op]
    a = x._data
    if a.dtype == np.bool_ and op in ("neg", "relu"):  # PyTorch has no bool kernel for these
        raise bool_unary_error(op)
    if float_only and a.dtype.kind != "f":
        a = a.astype(np.float32)  # exp/log/... of integers are float32, as in PyTorch
    out = forward(a)
    saved = (a,) if reads == "a" else (out,) if reads == "o" else ()
    return record(op, out, (x,), lambda g: (derivative(g, a, out),), saved)


def _unary_method(op: str):
    def method(self):
        return _unary(op, self)

    method.__name__ = method.__qualname__ = op
    return method


def _comparison(op: str, fn):
    """``==``, ``<``...: bool tensors, never recorded (they have no gradient). numpy compares
    mixed dtypes exactly, so there is no promotion step."""

    def compare(self, other):
        b = _operand(op, number(other))
        if b is None:
            return NotImplemented
        try:
            return wrap(fn(self._data, b))
        except ValueError:
            raise broadcast_error(op, self._data.shape, np.shape(b)) from None

    compare.__name__ = compare.__qualname__ = op
    return compare


def _axes(dim, ndim: int):
    """A reduction's ``dim`` (None, an int or a sequence) as numpy axes, ``None`` for all of them.
    flowkit's rules (:func:`flowkit.ops.reduction.reduction_dims`) check it: in range (a 0-d
    tensor takes 0 and -1) and no dimension twice; ``dim=()`` means every dimension, as in
    PyTorch."""
    axes = reduction_dims(dim, ndim)
    return axes if axes and ndim else None


def _expand_back(g, shape: tuple, axes, keepdim: bool):
    """The gradient of a reduction, spread back over the dimensions it reduced."""
    if axes is not None and not keepdim:
        g = np.expand_dims(g, axes)  # put the reduced dimensions back, with size 1
    return np.broadcast_to(g, shape)  # a read-only view: no VJP writes into its gradient


def _is_basic_index(key) -> bool:
    keys = key if isinstance(key, tuple) else (key,)
    return all(
        k is None
        or k is Ellipsis
        or isinstance(k, slice)
        or isinstance(k, (int, np.integer))
        and not isinstance(k, bool)
        for k in keys
    )


def device_error(dev) -> DeviceError:
    return cpu_only_error("mini", dev)


# This backend's own errors: what it lacks, which flowkit's rules cannot know.
def first_order_only(what: str) -> BackendNotImplementedError:
    return BackendNotImplementedError(
        f"{what}(create_graph=True): the mini backend computes first-order gradients only; run "
        "with FLOWKIT_BACKEND=numpy or torch for higher-order gradients"
    )


def _no_tracked_write(op: str, x: MiniTensor, other=None) -> None:
    """In-place ops are not recorded: fine under no_grad (optimizers), refused otherwise."""
    if not (tracked(x) or tracked(other)):
        return
    if x._node is None and x._requires_grad:  # PyTorch refuses this one as well
        raise leaf_error(op)
    raise BackendNotImplementedError(  # PyTorch would record it: a capability mini lacks
        f"{op} on a tensor that autograd tracks: the mini backend does not record in-place "
        "ops; write it out of place (y = y + x), or run with FLOWKIT_BACKEND=numpy or torch"
    )


# ------------------------------------------------------------------------------ the tensor
class MiniTensor(Tensor):
    """flowkit's Tensor on the mini backend: one numpy array, and a graph node when recorded."""

    # _data: the ndarray; _node: the Node that made it (None for leaves); _requires_grad;
    # _grad: the accumulated gradient (a MiniTensor) or None
    __slots__ = ("_data", "_node", "_requires_grad", "_grad")

    # -------------------------------------------------------------- attributes
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> Device:
        return CPU

    def numpy(self) -> np.ndarray:
        return self._data  # shares memory, as torch's .numpy() does on the CPU

    def item(self):
        if self._data.size != 1:
            raise item_error(self._data.shape)
        return self._data.item()

    # -------------------------------------------------------------- autograd state
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        value = bool(value)
        if self._node is not None and not value or value and self._data.dtype.kind != "f":
            raise requires_grad_error(self.dtype, self._node is None, value)
        self._requires_grad = value

    def requires_grad_(self, requires_grad: bool = True) -> MiniTensor:
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self) -> MiniTensor | None:
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, MiniTensor) or value._data.shape != self._data.shape:
                raise grad_value_error(value, self._data.shape)
            if value.dtype is not self.dtype:  # as PyTorch; flowkit.ops has no rule for it yet
                raise DTypeError(
                    f"assigned grad is {value.dtype!r}, but the tensor is "
                    f"{self.dtype!r}; convert it with .to({self.dtype!r})"
                )
        self._grad = value

    @property
    def grad_fn(self) -> Node | None:
        return self._node

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    def _grad_fn_name(self) -> str | None:
        return None if self._node is None else backward_name(self._node.name)

    @property
    def data(self) -> MiniTensor:
        return wrap(self._data)  # the same memory, outside the graph

    @data.setter
    def data(self, value: MiniTensor) -> None:
        if not isinstance(value, MiniTensor):
            raise TypeError(f"data must be a flowkit tensor, got {type(value).__name__}")
        self._data = value._data

    def detach(self) -> MiniTensor:
        return wrap(self._data)

    def clone(self) -> MiniTensor:
        return record("clone", self._data.copy(), (self,), lambda g: (g,))

    def to(self, *args, dtype=None, device=None, copy: bool = False) -> MiniTensor:
        """``to(dtype)``, ``to("cpu")``, ``to(other_tensor)``; the only device is the cpu."""
        for a in args:
            if isinstance(a, dtypes.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            else:
                device = a
        if device is not None and as_device(device).type != "cpu":
            raise device_error(as_device(device))
        d = self.dtype if dtype is None else dtypes.to_dtype(dtype)
        if d is self.dtype:
            return self.clone() if copy else self
        out = self._data.astype(d.np)
        if not d.is_floating_point:  # an integer result has no gradient
            return wrap(out)
        return record("cast", out, (self,), lambda g: (g,))  # the engine casts g back

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False) -> None:
        """Accumulate d self / d leaf into ``.grad`` of every leaf that requires grad."""
        if create_graph:
            raise first_order_only("backward")
        if not self._requires_grad:
            raise no_graph_error()
        run_backward([self], [seed_for(self, gradient)], bool(retain_graph), accumulate_grad)

    # -------------------------------------------------------------- arithmetic
    def __add__(self, other):
        return _binary("add", self, other)

    def __radd__(self, other):
        return _binary("add", other, self)

    def __sub__(self, other):
        return _binary("sub", self, other)

    def __rsub__(self, other):
        return _binary("sub", other, self, name="rsub")

    def __mul__(self, other):
        return _binary("mul", self, other)

    def __rmul__(self, other):
        return _binary("mul", other, self)

    def __truediv__(self, other):
        return _binary("div", self, other)

    def __rtruediv__(self, other):
        return _binary("div", other, self, name="rdiv")

    def __pow__(self, exponent):
        return _binary("pow", self, exponent)

    def __rpow__(self, other):
        return _binary("pow", other, self, name="rpow")

    add, sub, mul, div, pow = __add__, __sub__, __mul__, __truediv__, __pow__

    __neg__ = neg = _unary_method("neg")
    exp = _unary_method("exp")
    log = _unary_method("log")
    sqrt = _unary_method("sqrt")
    tanh = _unary_method("tanh")
    sigmoid = _unary_method("sigmoid")
    relu = _unary_method("relu")

    def __matmul__(self, other):
        return matmul(self, other)

    matmul = __matmul__

    # -------------------------------------------------------------- comparisons (no gradient)
    __eq__ = eq = _comparison("eq", np.equal)
    __ne__ = ne = _comparison("ne", np.not_equal)
    __lt__ = lt = _comparison("lt", np.less)
    __le__ = le = _comparison("le", np.less_equal)
    __gt__ = gt = _comparison("gt", np.greater)
    __ge__ = ge = _comparison("ge", np.greater_equal)
    __hash__ = Tensor.__hash__  # defining __eq__ removes the inherited hash; optimizers need it

    # -------------------------------------------------------------- reductions
    def sum(self, dim=None, keepdim: bool = False, dtype=None) -> MiniTensor:
        a = self._data
        axes = _axes(dim, a.ndim)
        if a.dtype.kind in "biu":
            a = a.astype(np.int64)  # integer and bool sums are int64, as in PyTorch
        out = np.add.reduce(a, axis=axes, keepdims=keepdim)
        if dtype is not None:
            out = out.astype(dtypes.to_dtype(dtype).np)
        shape = a.shape  # the VJP needs only the shape: the array itself is not kept alive
        return record("sum", out, (self,), lambda g: (_expand_back(g, shape, axes, keepdim),))

    def mean(self, dim=None, keepdim: bool = False) -> MiniTensor:
        a = self._data
        if a.dtype.kind != "f":
            raise need_float_error("mean()", self.dtype)
        axes = _axes(dim, a.ndim)
        out = np.mean(a, axis=axes, keepdims=keepdim)
        n = a.size if axes is None else int(np.prod([a.shape[d] for d in axes]))
        shape = a.shape
        return record("mean", out, (self,), lambda g: (_expand_back(g / n, shape, axes, keepdim),))

    # -------------------------------------------------------------- shape
    def reshape(self, *shape) -> MiniTensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        a = self._data
        try:
            out = a.reshape(shape)
        except (ValueError, TypeError):
            raise reshape_error(a.shape, a.size, shape) from None
        old = a.shape  # save what the VJP reads, not the whole input array
        return record("reshape", out, (self,), lambda g: (g.reshape(old),))

    def transpose(self, dim0: int, dim1: int) -> MiniTensor:
        a = self._data
        d0, d1 = normalize_dims((dim0, dim1), a.ndim)
        if a.ndim == 0:  # dims 0 and -1 of a 0-d tensor: nothing to swap
            return self.reshape(())
        out = np.swapaxes(a, d0, d1)
        return record("transpose", out, (self,), lambda g: (np.swapaxes(g, d0, d1),))

    def __getitem__(self, key) -> MiniTensor:
        if not _is_basic_index(key):
            raise BackendNotImplementedError(
                f"indexing with {key!r}: the mini backend takes ints, slices, None and ... only "
                "(no tensor, list or mask indices); run with FLOWKIT_BACKEND=numpy or torch"
            )
        a = self._data
        try:
            out = a[key]  # basic indexing: a view, as in PyTorch
        except IndexError:
            raise index_error(key, a.shape) from None
        shape, dtype = a.shape, a.dtype

        def vjp(g):
            full = np.zeros(shape, dtype)
            full[key] = g  # basic indices select each element at most once: a plain write
            return (full,)

        return record("getitem", out, (self,), vjp)

    # -------------------------------------------------------------- in place (never recorded)
    def _write(self, op: str, ufunc, other) -> MiniTensor:
        _no_tracked_write(op, self, other)
        other = number(other)
        a, b = self._data, _operand(op, other)
        if b is None:
            raise operand_type_error(op, other)
        try:  # into this tensor's own memory: a Parameter keeps its array (and views see it)
            ufunc(a, b, out=a, casting="same_kind")
        except ValueError:  # the shapes do not broadcast, or the result would be larger
            if broadcasts(a.shape, np.shape(b)):
                raise result_shape_error(
                    op, np.broadcast_shapes(a.shape, np.shape(b)), a.shape
                ) from None
            raise broadcast_error(op, a.shape, np.shape(b)) from None
        except TypeError:  # numpy's UFuncTypeError: a result of a wider kind (float into int)
            raise result_dtype_error(op, result_dtype(self, other).name, self.dtype) from None
        bump(a)  # a version more: a graph that saved these values refuses its backward
        return self

    def add_(self, other, alpha=None) -> MiniTensor:
        return self._write("add_", np.add, other if alpha is None else other * alpha)

    def sub_(self, other, alpha=None) -> MiniTensor:
        if is_bool_operand(self) or is_bool_operand(other):  # (before `other * alpha` hides it)
            raise bool_sub_error("sub_", self, number(other))
        return self._write("sub_", np.subtract, other if alpha is None else other * alpha)

    def mul_(self, other) -> MiniTensor:
        return self._write("mul_", np.multiply, other)

    def div_(self, other) -> MiniTensor:
        return self._write("div_", np.true_divide, other)

    def __iadd__(self, other) -> MiniTensor:  # x += y: in place, as in PyTorch
        return self.add_(other)

    def __isub__(self, other) -> MiniTensor:
        return self.sub_(other)

    __imul__, __itruediv__ = mul_, div_

    def fill_(self, value) -> MiniTensor:
        _no_tracked_write("fill_", self, value)
        self._data[...] = value.item() if isinstance(value, MiniTensor) else value
        bump(self._data)
        return self

    def zero_(self) -> MiniTensor:
        return self.fill_(0)

    def copy_(self, src) -> MiniTensor:
        _no_tracked_write("copy_", self, src)
        s = src._data if isinstance(src, MiniTensor) else np.asarray(src)
        try:
            np.copyto(self._data, s, casting="unsafe")  # copy_ converts any dtype, as in PyTorch
        except ValueError:
            raise copy_shape_error(s.shape, self._data.shape) from None
        bump(self._data)
        return self


# ------------------------------------------------------------------------------ backward helpers
def seed_for(out: MiniTensor, gradient) -> np.ndarray:
    """d out / d out for backward: ones for a one-element output, else the given gradient."""
    if gradient is None:
        if out._data.size != 1:
            raise non_scalar_error(out._data.shape)
        return np.ones(out._data.shape, out._data.dtype)
    g = gradient._data if isinstance(gradient, MiniTensor) else np.asarray(gradient)
    if g.shape != out._data.shape:
        raise gradient_shape_error(g.shape, out._data.shape)
    return g.astype(out._data.dtype, copy=False)


def accumulate_grad(leaf: MiniTensor, g: np.ndarray) -> None:
    """Add ``g`` to ``leaf.grad``: gradients accumulate across backward calls, as in PyTorch."""
    if leaf._grad is None:
        # a copy: a VJP may hand the same array to two inputs (add), and .grad tensors must
        # never share memory with each other or with the graph
        leaf._grad = wrap(np.array(g, dtype=leaf._data.dtype, copy=True))
    else:
        np.add(leaf._grad._data, g, out=leaf._grad._data, casting="same_kind")


# ------------------------------------------------------------------------------ matmul
def matmul(x: MiniTensor, y) -> MiniTensor:
    """``x @ y`` with numpy's (and PyTorch's) rules for 1-d and batched operands."""
    if not isinstance(y, MiniTensor):
        raise operand_error(y)
    a, b = x._data, y._data
    if a.dtype != b.dtype or a.ndim == 0 or b.ndim == 0:  # numpy computes these, PyTorch refuses
        raise matmul_error(a.shape, x.dtype, b.shape, y.dtype)
    try:
        out = np.matmul(a, b)
    except ValueError as exc:  # flowkit's diagnosis, or numpy's own error if the rule finds none
        raise matmul_error(a.shape, x.dtype, b.shape, y.dtype) or exc from None
    need_a, need_b = tracked(x), tracked(y)

    def vjp(g):
        # 1-d operands act as a row (a) or a column (b) matrix; the extra axis goes again after
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g[..., None] if b.ndim == 1 else g
        g2 = g2[..., None, :] if a.ndim == 1 else g2
        ga = gb = None
        if need_a:  # dL/da = g @ b^T
            ga = np.matmul(g2, np.swapaxes(b2, -1, -2))
            ga = ga[..., 0, :] if a.ndim == 1 else ga
        if need_b:  # dL/db = a^T @ g (batch dimensions are summed away by the engine)
            gb = np.matmul(np.swapaxes(a2, -1, -2), g2)
            gb = gb[..., 0] if b.ndim == 1 else gb
        return ga, gb

    # the gradient of a reads b, the gradient of b reads a
    return record("matmul", out, (x, y), vjp, ((b,) if need_a else ()) + ((a,) if need_b else ()))
