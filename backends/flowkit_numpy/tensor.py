"""``NumpyTensor``: flowkit's Tensor over a numpy array, with flowkit's own autograd.

Hot-path rules (every op runs them, so each one is counted): one ``ndarray`` per tensor, four
slots set on creation, a graph node only when grad mode is on and an input needs a gradient, and
errors translated in ``except`` blocks (free when nothing goes wrong). Types promote as in PyTorch
(float32 with int64 is float32; numpy alone would give float64).
"""

from __future__ import annotations

import numbers

import numpy as np

from flowkit import _opchecks as _chk
from flowkit import dtypes as _dt
from flowkit import return_types as _rt
from flowkit.device import as_device
from flowkit.device import device as _Device
from flowkit.errors import AutogradError, DeviceError, DTypeError, ShapeError, shape_str
from flowkit.tensor import Size, Tensor

from . import engine
from .engine import Node
from .vjps import VJP

CPU = _Device("cpu")
_grad_enabled = True  # this process's grad mode (flowkit.no_grad switches it)
_tracer = None  # the nn.Graph call being recorded (replay.Tracer), or None: see replay.py

# ops a tensor method or backend function runs; `True` marks those that record a graph node
FORWARD_OPS: dict[str, bool] = {}


_SEEDS: dict = {}


def _ones_seed(shape, dtype) -> np.ndarray:
    """d out/d out = 1 for a one-element output: cached read-only (the engine copies before it
    would ever store or write into it)."""
    key = (shape, dtype)
    seed = _SEEDS.get(key)
    if seed is None:
        seed = _SEEDS[key] = np.ones(shape, dtype)
        seed.setflags(write=False)
    return seed


def set_grad_enabled(mode: bool) -> None:
    global _grad_enabled
    _grad_enabled = mode


def _op(name: str, differentiable: bool = True) -> str:
    FORWARD_OPS[name] = differentiable
    return name


_new = object.__new__


def _make(data, node=None):
    """A tensor around ``data`` (made an ndarray: 0-d numpy results come back as scalars)."""
    t = _new(NumpyTensor)
    t._data = data if data.__class__ is np.ndarray else np.asarray(data)
    t._node = node
    t._rg = node is not None
    t._grad = None
    if _tracer is not None:
        _tracer.made_tensor(t)
    return t


def _fresh(out):
    """A kernel's result as ``_make`` stores it (0-d numpy results come back as scalars)."""
    return out if out.__class__ is np.ndarray else np.asarray(out)


def _no_replay(what: str) -> None:
    """Called where an op does something a recorded nn.Graph step cannot replay."""
    if _tracer is not None:
        _tracer.fail(what)


engine_wrap = _make

_PROMOTED: dict = {}


def _promote(a: np.ndarray, b: np.ndarray):
    """Cast two arrays to PyTorch's result dtype (cached per dtype pair and 0-d-ness)."""
    key = (a.dtype, b.dtype, not a.ndim, not b.ndim)
    r = _PROMOTED.get(key)
    if r is None:
        r = _PROMOTED[key] = _common_dtype((a, b))
    return (a if a.dtype == r else a.astype(r)), (b if b.dtype == r else b.astype(r))


def _common_dtype(values) -> np.dtype:
    """PyTorch's result dtype for arrays and Python numbers, in three tiers: tensors with
    dimensions decide; a 0-d tensor only when its kind (bool < int < float) is higher (so
    float32 with a 0-d float64 stays float32); a number only lifts the kind, to int64 or
    float32 (an int tensor times 1.5 is float32)."""
    res = None
    for zero_d in (False, True):
        group = [_dt.from_numpy_dtype(v.dtype) for v in values
                 if isinstance(v, np.ndarray) and (v.ndim == 0) == zero_d]
        if group:
            g = group[0]
            for d in group[1:]:
                g = _dt.result_type(g, d)
            if res is None or _dt._kind(g) > _dt._kind(res):
                res = g
    for v in values:
        if not isinstance(v, np.ndarray):
            s = _dt.bool if isinstance(v, (bool, np.bool_)) else (
                _dt.float32 if isinstance(v, float) else _dt.int64)
            if res is None or _dt._kind(s) > _dt._kind(res):
                res = s
    return res.np


_NO_BOOL = frozenset(("sub", "rsub"))  # ops that refuse bool operands, as in PyTorch


def _scalar_operand(value, a: np.ndarray, op: str):
    """A Python (or numpy) number next to array ``a``: returns (a, value) with the int array
    promoted to float32 when the number is a float, as PyTorch does. PyTorch's refusals are
    checked off the float path: a bool operand of a subtraction, an integer tensor to a
    negative integer power."""
    if isinstance(value, np.generic):
        value = value.item()  # numpy scalars are weak like Python numbers, as in PyTorch
    if isinstance(value, bool):
        if op in _NO_BOOL:
            raise _sub_bool_error(op, a, value)
        return a, value
    if isinstance(value, numbers.Number) and not isinstance(value, complex):
        kind = a.dtype.kind
        if kind in "biu":
            if kind == "b" and op in _NO_BOOL:
                raise _sub_bool_error(op, a, value)
            if isinstance(value, float):
                a = a.astype(np.float32)
            elif op == "pow" and value < 0 and isinstance(value, int):
                raise _chk.negative_power_error(_dt.from_numpy_dtype(a.dtype), value)
        return a, value
    if isinstance(value, np.ndarray):
        raise TypeError(
            f"{op}: a flowkit tensor and a numpy array cannot be mixed; wrap the array with "
            "flowkit.tensor(array) (or flowkit.from_numpy) first"
        )
    return None, None


def _sub_bool_error(op: str, a, b):
    """``a - b`` (``b - a`` for ``rsub``) with a bool operand; arrays or numbers."""
    names = [_dt.from_numpy_dtype(v.dtype) if isinstance(v, np.ndarray) else
             v.item() if isinstance(v, np.generic) else v for v in (a, b)]
    if op == "rsub":
        names.reverse()
    return _chk.bool_sub_error(op.removeprefix("r"), *names)


def _int_power(a, b):
    """PyTorch's integer power where an exponent is negative (numpy refuses): 1 -> 1, -1 -> 1 or
    -1 by the exponent's parity, any other base -> 0. None when that is not why numpy failed.
    Data-dependent, so the replay kernels call it too."""
    if np.result_type(a, b).kind not in "biu" or not np.any(np.less(b, 0)):
        return None
    neg = np.less(b, 0)
    out = np.power(a, np.where(neg, 0, b))
    r = np.where(np.equal(a, 1), 1, np.where(np.equal(a, -1), 1 - 2 * np.remainder(b, 2), 0))
    return np.where(neg, r, out).astype(out.dtype, copy=False)


def _retry(retry, a, b):
    """``retry(a, b)`` after the kernel raised ValueError: its result, or None (it does not apply,
    or it fails as well, e.g. shapes that do not broadcast)."""
    if retry is None:
        return None
    try:
        return retry(a, b)
    except ValueError:
        return None


def _with_retry(fwd, retry):
    """``fwd(a, b)``, or ``retry(a, b)`` where ``fwd`` raised ValueError for the values (decided
    at every call: in a replayed step too); the ValueError stands when neither applies."""
    if retry is None:
        return fwd

    def compute(a, b):
        try:
            return fwd(a, b)
        except ValueError:
            out = _retry(retry, a, b)
            if out is None:
                raise
            return out

    return compute


def _broadcast_error(op: str, a, b) -> ShapeError:
    return ShapeError(
        f"{op}: shapes {shape_str(a.shape)} and {shape_str(b.shape)} cannot be broadcast "
        "together (trailing dimensions must be equal or 1); reshape one of them"
    )


def _binary(name: str, fwd, save, retry=None):
    """Build the method for a broadcasting binary op. ``save(a, b, out)`` gives the VJP's ctx.
    ``retry(a, b)``: the result where ``fwd`` raised ValueError for the values (not the shapes),
    or None."""
    _op(name)
    vjp = VJP[name]
    no_bool = name in _NO_BOOL
    compute = _with_retry(fwd, retry)

    def kernel(a, b):
        # the method's steps on arrays, for a replayed nn.Graph step (the method keeps its own
        # copy of the operand steps inline: it is the eager hot path, one call less per op)
        if b.__class__ is np.ndarray:
            if a.dtype is not b.dtype:
                if no_bool and (a.dtype.kind == "b" or b.dtype.kind == "b"):
                    raise _sub_bool_error(name, a, b)
                a, b = _promote(a, b)
        else:
            a, b = _scalar_operand(b, a, name)
        out = compute(a, b)
        return _fresh(out), save(a, b, out)

    def method(self, other):
        a = self._data
        given = other
        if isinstance(other, NumpyTensor):
            b = other._data
            if a.dtype is not b.dtype:
                if no_bool and (a.dtype.kind == "b" or b.dtype.kind == "b"):
                    raise _sub_bool_error(name, a, b)
                a, b = _promote(a, b)
        else:
            a, b = _scalar_operand(other, a, name)
            if a is None:
                return NotImplemented
            other = None
        try:
            out = compute(a, b)
        except ValueError:
            raise _broadcast_error(name, a, np.asarray(b)) from None
        except TypeError:
            if no_bool:  # bool - bool: numpy's own TypeError
                raise _sub_bool_error(name, a, b) from None
            raise
        if _grad_enabled and (self._rg or (other is not None and other._rg)):
            need = (self if self._rg else None,
                    other if other is not None and other._rg else None)
            res = _make(out, Node(name, vjp, save(a, b, out), need))
        else:
            res = _make(out)
        if _tracer is not None:
            _tracer.record(res, kernel, (self, given), name)
        return res

    return method


def _reflected(name: str, fwd, save, retry=None):
    """``2 - x``: the same op with the scalar first (``retry``: as for :func:`_binary`)."""
    _op(name)
    vjp = VJP[name]

    compute = _with_retry(fwd, retry)

    def kernel(a, s):
        a, s = _scalar_operand(s, a, name)
        out = compute(s, a)
        return _fresh(out), save(s, a, out)

    def method(self, other):
        a, s = _scalar_operand(other, self._data, name)
        if a is None:
            return NotImplemented
        out = compute(s, a)
        if _grad_enabled and self._rg:
            # recorded as the forward op with a constant first input: ctx is saved in
            # (scalar, tensor) order, so the forward op's VJP applies unchanged
            res = _make(out, Node(name, vjp, save(s, a, out), (None, self)))
        else:
            res = _make(out)
        if _tracer is not None:
            _tracer.record(res, kernel, (self, other), name)
        return res

    return method


def _unary(name: str, fwd, save_out: bool, float_only: bool = True, no_bool: bool = False):
    """``no_bool``: a bool tensor is an error, as in PyTorch (relu; neg's numpy kernel raises
    for bool by itself)."""
    _op(name)
    vjp = VJP[name]
    check = float_only or no_bool  # whether non-float dtypes need a look

    def compute(a):  # (the result, the array fwd ran on), for the method and the replay
        if check and a.dtype.kind != "f":
            if float_only:
                a = a.astype(np.float32)  # exp/log/... of integers give float32, as in PyTorch
            elif a.dtype.kind == "b":
                raise _chk.bool_unary_error(name)
        try:
            return fwd(a), a
        except TypeError:  # numpy has no kernel for this dtype (neg of bool)
            if a.dtype.kind == "b":
                raise _chk.bool_unary_error(name) from None
            raise

    def kernel(a):
        out, a = compute(a)
        return _fresh(out), (out if save_out else a,)

    def method(self):
        out, a = compute(self._data)
        if _grad_enabled and self._rg:
            res = _make(out, Node(name, vjp, (out if save_out else a,), (self,)))
        else:
            res = _make(out)
        if _tracer is not None:
            _tracer.record(res, kernel, (self,), name)
        return res

    return method


def _compare(name: str, fwd):
    """``<``, ``==``, ``logical_and``, ...: no promotion (numpy compares mixed dtypes exactly)."""
    return _plain_binary(name, fwd, promote=False)


def _plain_binary(name: str, fwd, int_check: bool = False, promote: bool = True):
    """A broadcasting binary op without a gradient (``//``, comparisons), with PyTorch's type
    promotion unless ``promote`` is off. Off the hot path, so the method runs the replay's
    kernel itself."""
    _op(name, differentiable=False)

    def kernel(a, b):
        if b.__class__ is np.ndarray:
            if promote and a.dtype is not b.dtype:
                a, b = _promote(a, b)
        else:
            a, b = _scalar_operand(b, a, name)
        if int_check:
            _check_int_division(name, a, b)  # data-dependent: checked at every replay too
        return _fresh(fwd(a, b)), None

    def method(self, other):
        a = self._data
        if isinstance(other, NumpyTensor):
            b = other._data
        elif _scalar_operand(other, a, name)[0] is None:
            return NotImplemented
        else:
            b = other
        try:
            out, _ = kernel(a, b)
        except ValueError:
            raise _broadcast_error(name, a, np.asarray(b)) from None
        return _recorded(_make(out), kernel, (self, other), name)

    return method


def _plain_reflected(name: str, fwd, int_check: bool = False):
    """``5 // x``, ``5 % x``: no gradient (PyTorch has none for the divisor side either)."""
    _op(name, differentiable=False)

    def kernel(a, s):
        a, s = _scalar_operand(s, a, name)
        if int_check:
            _check_int_division(name.removeprefix("r"), np.asarray(s), a)
        return _fresh(fwd(s, a)), None

    def method(self, other):
        if _scalar_operand(other, self._data, name)[0] is None:
            return NotImplemented
        return _recorded(_make(kernel(self._data, other)[0]), kernel, (self, other), name)

    return method


def _check_int_division(name: str, a, b) -> None:
    # integer // and % by zero: an error as in PyTorch (numpy would give 0 and a warning)
    kinds = a.dtype.kind + np.asarray(b).dtype.kind
    if kinds == "bb":
        raise DTypeError(f"{name}: not defined for bool tensors; convert with .int() or .float()")
    if "f" not in kinds and np.any(np.asarray(b) == 0):
        raise ZeroDivisionError(f"{name}: integer division by zero")


def _int_remainder(a, b):
    _check_int_division("remainder", a, b)
    return np.remainder(a, b)


def _bitwise(name: str, sym: str, fwd):
    """``&``, ``|``, ``^`` for bool and integer tensors (bool & bool stays bool)."""
    _op(name, differentiable=False)

    def method(self, other):
        a = self._data
        if isinstance(other, NumpyTensor):
            b = other._data
            if a.dtype is not b.dtype:
                a, b = _promote(a, b)
            bk = b.dtype.kind
        else:
            if isinstance(other, np.generic):
                other = other.item()
            if not isinstance(other, (bool, int, float)):
                return NotImplemented
            b, bk = other, "f" if isinstance(other, float) else "i"
        if a.dtype.kind not in "biu" or bk not in "biu":
            raise _bitwise_error(name, sym, self, other)
        try:
            res = _make(fwd(a, b))
        except ValueError:
            raise _broadcast_error(name, a, np.asarray(b)) from None
        return _recorded(res, kernel, (self, other if isinstance(other, NumpyTensor) else b),
                         name)

    def kernel(a, b):  # (the checks above hold for the recorded dtypes)
        if b.__class__ is np.ndarray and a.dtype is not b.dtype:
            a, b = _promote(a, b)
        return _fresh(fwd(a, b)), None

    return method


def _bitwise_error(name, sym, x, other) -> DTypeError:
    od = repr(other.dtype) if isinstance(other, Tensor) else f"a Python {type(other).__name__}"
    return DTypeError(
        f"{name} ({sym}) needs bool or integer operands, got {x.dtype!r} and {od}; for truth "
        f"values of other dtypes use logical_{name.removeprefix('bitwise_')}"
    )


def _plain_unary(name: str, fwd):
    _op(name, differentiable=False)

    def kernel(a):
        return _fresh(fwd(a)), None

    def method(self):
        res = _make(fwd(self._data))
        if _tracer is not None:
            _tracer.record(res, kernel, (self,), name)
        return res

    return method


def _sign(a: np.ndarray):
    r = np.sign(a)  # sign(nan) is 0, as in PyTorch (numpy's is nan)
    return np.nan_to_num(r, copy=False, nan=0.0) if r.ndim else np.nan_to_num(r, nan=0.0)


def _rounding(name: str, fwd):
    """sign/floor/ceil/round: integer tensors come back unchanged in dtype (numpy's floor of an
    int array would be float64), bool ones are an error except for sign (as in PyTorch); the
    gradient is zero, as in PyTorch, but still recorded."""
    _op(name)
    vjp = VJP[name]

    def kernel(a):
        if a.dtype.kind == "f":
            out = fwd(a)
        elif a.dtype.kind != "b":
            out = np.sign(a) if name == "sign" else a.copy()
        elif name == "sign":
            out = a.copy()
        else:  # floor/ceil/round of bool: PyTorch has no kernel for it
            raise _chk.bool_unary_error(name)
        return _fresh(out), None

    def method(self):
        out, _ = kernel(self._data)
        res = _make(out, Node(name, vjp, None, (self,)) if _grad_enabled and self._rg else None)
        if _tracer is not None:
            _tracer.record(res, kernel, (self,), name)
        return res

    return method


def _need_float(op: str, t) -> np.ndarray:
    a = t._data
    if a.dtype.kind != "f":
        raise DTypeError(
            f"{op}() needs a floating-point tensor, this one is {t.dtype!r}; call .float() first"
        )
    return a


def _reduce_dims(dim, a: np.ndarray):
    # 0-d tensors accept dim 0 and -1 (their one implicit dimension) and reduce over nothing;
    # dim=() reduces over every dimension, as PyTorch's sum/mean (and the torch backend)
    if dim is None:
        return None
    return (_rdims(dim, a.ndim) or None) if a.ndim else _rdims(dim, 0) and None


def _keep_all(out: np.ndarray, ndim: int, keepdim: bool) -> np.ndarray:
    """A full reduction with ``keepdim``: every dimension kept as 1 (numpy's keepdims)."""
    return out.reshape((1,) * ndim) if keepdim else out


_named = _chk.named_operator


_dims = _chk.normalize_dims
_rdims = _chk.reduction_dims


def _index(key):
    """Tensors inside an index become numpy arrays (ints, bool masks)."""
    if isinstance(key, NumpyTensor):
        return key._data
    if isinstance(key, tuple):
        return tuple(k._data if isinstance(k, NumpyTensor) else k for k in key)
    if isinstance(key, list):
        return np.asarray(key)
    return key


def _write_error(op: str, a: np.ndarray, exc: Exception) -> Exception:
    # expand gives a read-only broadcast view: numpy's "read-only" ValueError, named
    return _chk.expanded_write_error(op) if not a.flags.writeable else exc


def _in_place_check(t: NumpyTensor, op: str, replayable: bool = False) -> None:
    if _tracer is not None and not replayable:
        _tracer.fail(f"an in-place op ({op}) inside build()")
    if _grad_enabled and t._rg and t._node is None:
        raise AutogradError(
            f"{op}: a leaf tensor that requires grad cannot be changed in place, because its "
            "gradient would be wrong. Wrap the update in `with flowkit.no_grad():`"
        )


_VIEW_OPS = frozenset(("getitem", "reshape", "expand", "split", "transpose", "permute"))


def _view_check(t: NumpyTensor, op: str) -> None:
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
    raise _chk.view_write_error(op)


class NumpyTensor(Tensor):
    __slots__ = ("_data", "_node", "_rg", "_grad", "__weakref__")

    __hash__ = Tensor.__hash__

    # ------------------------------------------------------------------ attributes
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    @property
    def dtype(self) -> _dt.dtype:
        return _dt.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> _Device:
        return CPU

    @property
    def data(self) -> NumpyTensor:
        res = _make(self._data)
        if _tracer is not None:
            _tracer.record(res, _identity, (self,), "data")
        return res

    @data.setter
    def data(self, value: NumpyTensor) -> None:
        _no_replay("assigning .data inside build()")
        self._data = value._data

    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        _no_replay("setting requires_grad inside build()")
        value = bool(value)
        if self._node is not None and not value:
            raise AutogradError(
                "requires_grad can only be switched off on a leaf tensor; use .detach() to get "
                "a tensor outside the graph"
            )
        if value and self._data.dtype.kind != "f":
            raise DTypeError(
                f"only floating-point tensors can require gradients, this one is "
                f"{self.dtype!r}; convert it first with .float()"
            )
        self._rg = value

    def requires_grad_(self, requires_grad: bool = True) -> NumpyTensor:
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if _tracer is not None:  # (inlined: these run in every training loop)
            _tracer.fail("assigning .grad inside build()")
        if value is not None:
            if not isinstance(value, NumpyTensor):
                raise TypeError(
                    f"grad must be a flowkit tensor or None, got {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise ShapeError(
                    f"assigned grad has shape {shape_str(value._data.shape)}, but the tensor "
                    f"has shape {shape_str(self._data.shape)}"
                )
        self._grad = value

    @property
    def grad_fn(self):
        return self._node

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    def _grad_fn_name(self):
        n = self._node
        return None if n is None else engine.backward_name(n.name)

    # ------------------------------------------------------------------ conversion
    def numpy(self) -> np.ndarray:
        if _tracer is not None:  # (inlined: these run in every training loop)
            _tracer.fail("reading values back to Python (numpy(), tolist(), printing) inside "
                         "build()")
        return self._data

    def item(self):
        if _tracer is not None:  # (inlined: these run in every training loop)
            _tracer.fail("reading a value back to Python (item(), float(), if tensor:) inside "
                         "build()")
        if self._data.size != 1:
            raise ShapeError(
                f"item() needs a tensor with one element, got shape {shape_str(self._data.shape)}; "
                "index one element first (t[0].item()) or use .tolist() for all the values"
            )
        return self._data.item()

    def detach(self) -> NumpyTensor:
        res = _make(self._data)
        if _tracer is not None:
            _tracer.record(res, _identity, (self,), "detach")
        return res

    def detach_(self) -> NumpyTensor:
        _no_replay("detach_() inside build()")
        self._node = None
        self._rg = False
        return self

    def clone(self) -> NumpyTensor:
        out = self._data.copy()
        if _grad_enabled and self._rg:
            res = _make(out, Node(_CLONE, VJP[_CLONE], None, (self,)))
        else:
            res = _make(out)
        if _tracer is not None:
            _tracer.record(res, lambda a: (a.copy(), None), (self,), "clone")
        return res

    def contiguous(self) -> NumpyTensor:
        return self

    def to(self, *args, dtype=None, device=None, copy: bool = False) -> NumpyTensor:
        for a in args:  # to(dtype), to(device), to("cpu"), to(other_tensor)
            if isinstance(a, _dt.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            else:
                device = a
        if device is not None:
            dev = as_device(device)
            if dev.type != "cpu":
                raise DeviceError(
                    f"the numpy backend has only the cpu device, not {dev}; for CUDA run with "
                    "FLOWKIT_BACKEND=torch on a machine with a GPU"
                )
        if dtype is None:
            return self.clone() if copy else self
        d = _dt.to_dtype(dtype)
        if d.np == self._data.dtype and not copy:
            return self
        out = self._data.astype(d.np)
        if _grad_enabled and self._rg and d.is_floating_point:
            res = _make(out, Node(_CAST, VJP[_CAST], None, (self,)))
        else:
            res = _make(out)
        if _tracer is not None:
            _tracer.record(res, lambda a: (a.astype(d.np), None), (self,), "cast")
        return res

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False) -> None:
        if not self._rg:
            raise AutogradError(
                "backward() on a tensor that does not require grad and has no grad_fn: no input "
                "of the computation has requires_grad=True (or it ran under no_grad)"
            )
        if gradient is None:
            if self._data.size != 1:
                raise AutogradError(
                    f"backward() without a gradient works only for scalar outputs, this one has "
                    f"shape {shape_str(self._data.shape)}; call .sum() first or pass "
                    "gradient=<tensor of the same shape>"
                )
            seed, owned = _ones_seed(self._data.shape, self._data.dtype), True
        else:
            seed = gradient._data if isinstance(gradient, NumpyTensor) else np.asarray(gradient)
            if seed.shape != self._data.shape:
                raise ShapeError(
                    f"backward(gradient): gradient has shape {shape_str(seed.shape)}, the output "
                    f"has shape {shape_str(self._data.shape)}; they must match"
                )
            seed, owned = seed.astype(self._data.dtype, copy=False), False
        if _tracer is not None:
            _tracer.record_backward(self, gradient, create_graph)
        if create_graph:  # the gradients get a graph of their own (see engine.run_general)
            g = gradient if isinstance(gradient, NumpyTensor) else _make(np.array(seed))
            engine.run_general([self], [g], None, retain_graph is not False, True, _make)
            return
        engine.run_backward(self, seed, owned, retain_graph, _make)

    def retain_grad(self) -> None:
        _no_replay("retain_grad() inside build()")
        if self._node is None:
            if not self._rg:
                raise AutogradError("retain_grad() on a tensor that does not require grad")
            return  # leaves keep their grad anyway
        engine.retain(self._node, self)

    # numpy calls on tensors: numpy's behaviour, or recorded ops while a create_graph backward
    # runs the VJP table on tensors (see numpy_api)
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _numpy_api.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return _numpy_api.array_function(func, types, args, kwargs)

    def __array__(self, dtype=None, copy=None):
        return _numpy_api.as_array(self, dtype)

    # ------------------------------------------------------------------ arithmetic
    __add__ = add = _binary("add", np.add, lambda a, b, o: None)
    __sub__ = sub = _binary("sub", np.subtract, lambda a, b, o: None)
    __mul__ = mul = _binary("mul", np.multiply, lambda a, b, o: (a, b))
    __pow__ = pow = _binary("pow", np.power, lambda a, b, o: (a, b, o), _int_power)
    __radd__ = __add__
    __rmul__ = __mul__
    __rsub__ = _reflected("rsub", np.subtract, lambda s, a, o: None)
    __rpow__ = _reflected("rpow", np.power, lambda s, a, o: (s, a, o), _int_power)

    def __truediv__(self, other):
        return _div(_as_float(self), other)

    def __rtruediv__(self, other):
        return _rdiv(_as_float(self), other)

    div = __truediv__

    def __matmul__(self, other):
        return _matmul(self, other)

    matmul = __matmul__

    def __rmatmul__(self, other):
        return NotImplemented

    __neg__ = neg = _unary("neg", np.negative, save_out=False, float_only=False)  # bool: raises
    exp = _unary("exp", np.exp, save_out=True)
    log = _unary("log", np.log, save_out=False)
    sqrt = _unary("sqrt", np.sqrt, save_out=True)
    __abs__ = abs = _unary("abs", np.abs, save_out=False, float_only=False)
    sin = _unary("sin", np.sin, save_out=False)
    cos = _unary("cos", np.cos, save_out=False)
    tanh = _unary("tanh", np.tanh, save_out=True)
    sigmoid = _unary("sigmoid", lambda a: 1 / (1 + np.exp(-a)), save_out=True)
    relu = _unary("relu", lambda a: np.maximum(a, 0), save_out=True, float_only=False,
                  no_bool=True)

    __eq__ = eq = _compare("eq", np.equal)
    __ne__ = ne = _compare("ne", np.not_equal)
    __lt__ = lt = _compare("lt", np.less)
    __le__ = le = _compare("le", np.less_equal)
    __gt__ = gt = _compare("gt", np.greater)
    __ge__ = ge = _compare("ge", np.greater_equal)

    # ------------------------------------------------------------------ more elementwise
    sign = _rounding("sign", _sign)
    floor = _rounding("floor", np.floor)
    ceil = _rounding("ceil", np.ceil)
    _round = _rounding("round", np.round)

    def round(self, decimals: int = 0) -> NumpyTensor:  # noqa: A003 - PyTorch's name
        if decimals == 0:
            return self._round()
        a = self._data
        if a.dtype.kind != "f":
            raise DTypeError(f"round(decimals={decimals}) needs a floating-point tensor, this "
                             f"one is {self.dtype!r}; call .float() first")
        out = np.round(a, decimals)
        node = Node("round", VJP["round"], None, (self,)) if _grad_enabled and self._rg else None
        return _recorded(_make(out, node), lambda a: (np.round(a, decimals), None), (self,),
                         "round")

    reciprocal = _unary("reciprocal", np.reciprocal, save_out=True)
    rsqrt = _unary("rsqrt", lambda a: 1 / np.sqrt(a), save_out=True)
    log1p = _unary("log1p", np.log1p, save_out=False)
    expm1 = _unary("expm1", np.expm1, save_out=True)
    log2 = _unary("log2", np.log2, save_out=False)
    log10 = _unary("log10", np.log10, save_out=False)

    maximum = _named("maximum", _binary("maximum", np.maximum, lambda a, b, o: (a, b)))
    minimum = _named("minimum", _binary("minimum", np.minimum, lambda a, b, o: (a, b)))
    __mod__ = _binary("remainder", _int_remainder, lambda a, b, o: (a, b))
    remainder = _named("remainder", __mod__)
    __rmod__ = _plain_reflected("rremainder", np.remainder, int_check=True)
    __floordiv__ = _plain_binary("floor_divide", np.floor_divide, int_check=True)
    floor_divide = _named("floor_divide", __floordiv__)
    __rfloordiv__ = _plain_reflected("rfloor_divide", np.floor_divide, int_check=True)

    __and__ = __rand__ = _bitwise("bitwise_and", "&", np.bitwise_and)
    __or__ = __ror__ = _bitwise("bitwise_or", "|", np.bitwise_or)
    __xor__ = __rxor__ = _bitwise("bitwise_xor", "^", np.bitwise_xor)
    bitwise_and = _named("bitwise_and", __and__)
    bitwise_or = _named("bitwise_or", __or__)
    bitwise_xor = _named("bitwise_xor", __xor__)

    def __invert__(self) -> NumpyTensor:
        a = self._data
        if a.dtype.kind not in "biu":
            raise DTypeError(f"bitwise_not (~) needs a bool or integer tensor, got "
                             f"{self.dtype!r}; use logical_not for truth values of other dtypes")
        return _recorded(_make(np.invert(a)), lambda a: (np.invert(a), None), (self,),
                         "bitwise_not")

    bitwise_not = __invert__
    logical_and = _named("logical_and", _compare("logical_and", np.logical_and))
    logical_or = _named("logical_or", _compare("logical_or", np.logical_or))
    logical_xor = _named("logical_xor", _compare("logical_xor", np.logical_xor))
    logical_not = _plain_unary("logical_not", np.logical_not)
    isnan = _plain_unary("isnan", np.isnan)
    isinf = _plain_unary("isinf", np.isinf)
    isfinite = _plain_unary("isfinite", np.isfinite)

    def clamp(self, min=None, max=None) -> NumpyTensor:  # noqa: A002 - PyTorch's names
        return _clamp(self, min, max)

    clip = clamp

    def clamp_(self, min=None, max=None) -> NumpyTensor:  # noqa: A002
        _in_place_check(self, "clamp_")
        return self._assign_result("clamp_", _clamp(self, min, max))

    clip_ = clamp_

    def masked_fill(self, mask, value) -> NumpyTensor:
        return _masked_fill(self, mask, value)

    def masked_fill_(self, mask, value) -> NumpyTensor:
        _in_place_check(self, "masked_fill_")
        return self._assign_result("masked_fill_", _masked_fill(self, mask, value))

    def where(self, condition, y) -> NumpyTensor:
        """``condition ? self : y``, elementwise (``flowkit.where(condition, self, y)``)."""
        return where(condition, self, y)

    def _assign_result(self, op: str, res: NumpyTensor) -> NumpyTensor:
        """End of an in-place op computed out of place: the result written into this tensor
        (its memory, so views see it) or, inside a graph, this tensor moved onto its node."""
        a, r = self._data, res._data
        if r.shape != a.shape:
            raise ShapeError(f"{op}: the result has shape {shape_str(r.shape)} but this tensor "
                             f"has shape {shape_str(a.shape)}; an in-place op cannot change it")
        if r.dtype != a.dtype and not np.can_cast(r.dtype, a.dtype, "same_kind"):
            raise DTypeError(f"{op}: cannot write a {r.dtype} result into this {self.dtype!r} "
                             "tensor in place; convert one of them with .to(dtype)")
        if res._node is not None:
            _view_check(self, op)
            if r.dtype != a.dtype:
                res = res.to(self.dtype)
            self._data, self._node, self._rg = res._data, res._node, res._rg
            return self
        try:
            np.copyto(a, r, casting="same_kind")
        except ValueError as exc:
            raise _write_error(op, a, exc) from None
        return self

    # ------------------------------------------------------------------ in place
    def _inplace(self, op: str, result_fn, other):
        _in_place_check(self, op, replayable=True)
        if _grad_enabled and (self._rg or (isinstance(other, NumpyTensor) and other._rg)):
            # inside a graph: compute out of place and move this tensor onto the new node, so
            # arrays saved by earlier nodes are never overwritten
            _no_replay(f"an in-place op ({op}) on a tensor autograd tracks, inside build()")
            _view_check(self, op)
            res = result_fn(self, other)
            a, r = self._data, res._data
            if r.shape != a.shape:  # as below: an in-place result cannot grow this tensor
                raise _broadcast_error(op, a, np.asarray(
                    other._data if isinstance(other, NumpyTensor) else other))
            if r.dtype != a.dtype:  # nor change its dtype
                if not np.can_cast(r.dtype, a.dtype, "same_kind"):
                    raise DTypeError(
                        f"{op}: cannot write a {r.dtype} result into this {self.dtype!r} tensor "
                        "in place; convert one of them with .to(dtype)")
                res = res.to(self.dtype)
            self._data, self._node, self._rg = res._data, res._node, res._rg
            return self
        b = other._data if isinstance(other, NumpyTensor) else other
        if _tracer is not None:  # replayed as the same write (e.g. batch norm's batch counter)
            _tracer.record(self, _in_place_kernel(_INPLACE[op]), (self, other), op, write=True)
        try:  # one dtype (Python numbers are weak): the usual case, with no casting at all
            _INPLACE[op](self._data, b, out=self._data, casting="no")
        except ValueError:
            if not self._data.flags.writeable:
                raise _chk.expanded_write_error(op) from None
            raise _broadcast_error(op, self._data, np.asarray(b)) from None
        except TypeError:  # mixed dtypes, or numpy has no kernel (bool - bool)
            self._inplace_cast(op, b)
        return self

    def _inplace_cast(self, op: str, b) -> None:
        """The no-grad in-place write where the dtypes differ: PyTorch's refusal (a bool
        operand of sub_), then numpy's same_kind rule (an int tensor cannot take a float
        result)."""
        a = self._data
        if op == "sub_" and (a.dtype.kind == "b" or isinstance(b, (bool, np.bool_)) or
                             b.__class__ is np.ndarray and b.dtype.kind == "b"):
            raise _sub_bool_error(op, a, b)
        try:
            _INPLACE[op](a, b, out=a, casting="same_kind")
        except ValueError:
            if not a.flags.writeable:
                raise _chk.expanded_write_error(op) from None
            raise _broadcast_error(op, a, np.asarray(b)) from None
        except TypeError:
            raise DTypeError(
                f"{op}: cannot write a {np.asarray(b).dtype} result into this "
                f"{self.dtype!r} tensor in place; convert one of them with .to(dtype)"
            ) from None

    def add_(self, other, alpha=None):
        if alpha is not None:
            other = other * alpha
        return self._inplace("add_", NumpyTensor.__add__, other)

    def sub_(self, other, alpha=None):
        if alpha is not None:
            if _chk.is_bool_operand(other):  # (other * alpha would hide it)
                raise _chk.bool_sub_error("sub_", self, other)
            other = other * alpha
        return self._inplace("sub_", NumpyTensor.__sub__, other)

    def mul_(self, other):
        return self._inplace("mul_", NumpyTensor.__mul__, other)

    def div_(self, other):
        return self._inplace("div_", NumpyTensor.__truediv__, other)

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_

    def zero_(self) -> NumpyTensor:
        return self.fill_(0)

    def fill_(self, value) -> NumpyTensor:
        _in_place_check(self, "fill_")
        self._data[...] = value
        return self

    def copy_(self, src) -> NumpyTensor:
        _in_place_check(self, "copy_")
        s = src._data if isinstance(src, NumpyTensor) else np.asarray(src)
        try:
            np.copyto(self._data, s, casting="unsafe")
        except ValueError:
            raise ShapeError(
                f"copy_: source of shape {shape_str(s.shape)} does not fit into a tensor of shape "
                f"{shape_str(self._data.shape)}"
            ) from None
        return self

    # ------------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim: bool = False, dtype=None) -> NumpyTensor:
        a = self._data
        dims = _reduce_dims(dim, a)  # 0-d: dim 0 is itself; dim=(): all
        if a.dtype.kind in "bu" or a.dtype.kind == "i" and a.dtype != np.int64:
            a = a.astype(np.int64)  # integer sums accumulate in int64, as in PyTorch
        out = np.add.reduce(a, axis=dims, keepdims=keepdim)  # np.sum's Python wrapper costs ~1 µs
        if dtype is not None:
            out = out.astype(_dt.to_dtype(dtype).np)
        if _grad_enabled and self._rg:
            res = _make(out, Node("sum", _VJP_SUM, (a.shape, dims, keepdim), (self,)))
        else:
            res = _make(out)
        if _tracer is not None:
            _tracer.record(res, _sum_kernel(dims, keepdim, dtype), (self,), "sum")
        return res

    def mean(self, dim=None, keepdim: bool = False) -> NumpyTensor:
        a = self._data
        if a.dtype.kind != "f":
            raise DTypeError(
                f"mean() needs a floating-point tensor, this one is {self.dtype!r}; call "
                ".float() first"
            )
        dims = _reduce_dims(dim, a)  # 0-d: dim 0 is itself; dim=(): all
        out = np.mean(a, axis=dims, keepdims=keepdim)
        if _grad_enabled and self._rg:
            res = _make(out, Node("mean", _VJP_MEAN, _mean_ctx(a, dims, keepdim), (self,)))
        else:
            res = _make(out)
        if _tracer is not None:
            ctx = _mean_ctx(a, dims, keepdim)  # static for the recorded shapes
            _tracer.record(res, lambda a: (_fresh(np.mean(a, axis=dims, keepdims=keepdim)), ctx),
                           (self,), "mean")
        return res

    def max(self, dim=None, keepdim: bool = False):  # noqa: A003 - PyTorch's name
        """The largest value (0-d), or ``(values, indices)`` along ``dim``; ``max(other)`` is
        ``maximum``."""
        return _minmax(self, dim, keepdim, "max", np.max, np.argmax)

    def min(self, dim=None, keepdim: bool = False):  # noqa: A003
        return _minmax(self, dim, keepdim, "min", np.min, np.argmin)

    def argmax(self, dim=None, keepdim: bool = False) -> NumpyTensor:
        return _argminmax(self, dim, keepdim, "argmax", np.argmax)

    def argmin(self, dim=None, keepdim: bool = False) -> NumpyTensor:
        return _argminmax(self, dim, keepdim, "argmin", np.argmin)

    def prod(self, dim=None, keepdim: bool = False, dtype=None) -> NumpyTensor:
        d0 = None if dim is None else _chk.one_dim("prod", dim, self._data.ndim)

        def kernel(a):
            if a.dtype.kind in "bu" or a.dtype.kind == "i" and a.dtype != np.int64:
                a = a.astype(np.int64)  # integer products accumulate in int64, as in PyTorch
            if dtype is not None:
                a = a.astype(_dt.to_dtype(dtype).np)
            d = None if a.ndim == 0 else d0
            out = np.prod(a, axis=d, keepdims=keepdim)
            if d is None:
                out = _keep_all(out, a.ndim, keepdim)
            return _fresh(out), (a, d, keepdim)

        out, ctx = kernel(self._data)
        node = None
        if _grad_enabled and self._rg and out.dtype.kind == "f":
            node = Node("prod", _VJP_PROD, ctx, (self,))
        return _recorded(_make(out, node), kernel, (self,), "prod")

    def var(self, dim=None, unbiased: bool = True, keepdim: bool = False, *,
            correction=None) -> NumpyTensor:
        """Variance, with Bessel's correction unless ``unbiased=False`` (or ``correction=0``)."""
        return _var(self, "var", dim, unbiased, keepdim, correction)

    def std(self, dim=None, unbiased: bool = True, keepdim: bool = False, *,
            correction=None) -> NumpyTensor:
        """Standard deviation, with Bessel's correction unless ``unbiased=False``."""
        return _var(self, "std", dim, unbiased, keepdim, correction)

    def norm(self, p="fro", dim=None, keepdim: bool = False) -> NumpyTensor:
        """The vector ``p``-norm of all elements (or along ``dim``); ``p`` is 2 by default."""
        pv = _norm_order(p)
        dims = _reduce_dims(dim, _need_float("norm", self))

        def kernel(a):
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                if pv == 2:
                    out = np.sqrt(np.sum(a * a, axis=dims, keepdims=keepdim))
                elif pv == 1:
                    out = np.sum(np.abs(a), axis=dims, keepdims=keepdim)
                elif pv == np.inf:
                    out = np.max(np.abs(a), axis=dims, keepdims=keepdim, initial=0)
                elif pv == -np.inf:
                    out = np.min(np.abs(a), axis=dims, keepdims=keepdim)
                elif pv == 0:
                    out = np.sum(a != 0, axis=dims, keepdims=keepdim).astype(a.dtype)
                else:
                    out = np.sum(np.abs(a) ** pv, axis=dims, keepdims=keepdim) ** (1 / pv)
            out = np.asarray(out, a.dtype)
            if dims is None:
                out = _keep_all(out, a.ndim, keepdim)
            return out, (a, out, pv, dims, keepdim)

        out, ctx = kernel(self._data)
        node = Node("norm", _VJP_NORM, ctx, (self,)) if _grad_enabled and self._rg else None
        return _recorded(_make(out, node), kernel, (self,), "norm")

    def any(self, dim=None, keepdim: bool = False) -> NumpyTensor:
        return self._truth("any", np.any, dim, keepdim)

    def all(self, dim=None, keepdim: bool = False) -> NumpyTensor:
        return self._truth("all", np.all, dim, keepdim)

    def _truth(self, op: str, reduce, dim, keepdim: bool) -> NumpyTensor:
        dims = _reduce_dims(dim, self._data)

        def kernel(a):
            out = reduce(a, axis=dims, keepdims=keepdim)
            return _fresh(_keep_all(out, a.ndim, keepdim) if dims is None else out), None

        return _recorded(_make(kernel(self._data)[0]), kernel, (self,), op)

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape) -> NumpyTensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        a = self._data
        try:
            out = a.reshape(shape)
        except ValueError:
            raise ShapeError(
                f"reshape: cannot view a tensor of shape {shape_str(a.shape)} ({a.size} "
                f"elements) as shape {tuple(shape)}"
            ) from None
        if _grad_enabled and self._rg:
            res = _make(out, Node("reshape", _VJP_RESHAPE, (a.shape,), (self,)))
        else:
            res = _make(out)
        if _tracer is not None:
            ctx = (a.shape,)
            _tracer.record(res, lambda a: (a.reshape(shape), ctx), (self,), "reshape")
        return res

    def expand(self, *sizes) -> NumpyTensor:
        """A view with size-1 dimensions repeated (no copy); -1 keeps a size, and new
        dimensions can be added in front. Writing into the result is an error."""
        a = self._data
        shape = _chk.expand_shape(a.shape, _chk.sizes_arg(sizes))
        # nothing repeated (only leading 1s): a writeable view, as torch's; else a read-only one
        lead = len(shape) - a.ndim
        grown = shape[lead:] != a.shape or any(s != 1 for s in shape[:lead])
        out = np.broadcast_to(a, shape) if grown else a.reshape(shape)
        if _grad_enabled and self._rg:
            # the VJP is the identity: the engine sums the broadcast dimensions away
            res = _make(out, Node("expand", _VJP_EXPAND, None, (self,)))
        else:
            res = _make(out)
        if _tracer is not None:
            _tracer.record(res, lambda a: (np.broadcast_to(a, shape) if grown else
                                           a.reshape(shape), None), (self,), "expand")
        return res

    def expand_as(self, other) -> NumpyTensor:
        return self.expand(other.shape)

    def split(self, split_size_or_sections, dim: int = 0) -> tuple:
        """Views of consecutive pieces along ``dim``: of ``split_size`` each (the last may be
        smaller), or of the sizes in a list."""
        a = self._data
        d = _chk.one_dim("split", dim, a.ndim)
        if a.ndim == 0:
            raise ShapeError("split: a 0-d tensor has no dimension to split")
        return self._pieces(d, _chk.split_sizes(a.shape[d], split_size_or_sections, d))

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        """``chunks`` pieces along ``dim`` (fewer when the size does not divide, as PyTorch)."""
        a = self._data
        d = _chk.one_dim("chunk", dim, a.ndim)
        if a.ndim == 0:
            raise ShapeError("chunk: a 0-d tensor has no dimension to split")
        return self._pieces(d, _chk.chunk_sizes(a.shape[d], chunks))

    def _pieces(self, d: int, sizes) -> tuple:
        a = self._data
        track = _grad_enabled and self._rg
        lead = (slice(None),) * d
        out, start = [], 0
        for n in sizes:
            idx = lead + (slice(start, start + n),)
            start += n
            ctx = (a.shape, a.dtype, idx)
            piece = _make(a[idx], Node("split", _VJP_SPLIT, ctx, (self,)) if track else None)
            out.append(_recorded(piece, lambda a, idx=idx, ctx=ctx: (a[idx], ctx), (self,),
                                 "split"))
        return tuple(out)

    def flip(self, *dims) -> NumpyTensor:
        """The values in reverse order along ``dims``."""
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        ds = _reduce_dims(dims, self._data) or ()

        def kernel(a):
            return (np.flip(a, ds) if ds else a.copy()), (ds,)

        out, ctx = kernel(self._data)
        node = Node("flip", _VJP_FLIP, ctx, (self,)) if _grad_enabled and self._rg else None
        return _recorded(_make(out, node), kernel, (self,), "flip")

    def transpose(self, dim0: int, dim1: int) -> NumpyTensor:
        a = self._data
        d0, d1 = _dims((dim0, dim1), a.ndim)
        if not a.ndim:  # a 0-d tensor takes dims 0 and -1, as everywhere else
            return self.reshape(())
        out = np.swapaxes(a, d0, d1)
        if _grad_enabled and self._rg:
            res = _make(out, Node("transpose", _VJP_TRANSPOSE, (d0, d1), (self,)))
        else:
            res = _make(out)
        if _tracer is not None:
            _tracer.record(res, lambda a: (np.swapaxes(a, d0, d1), (d0, d1)), (self,),
                           "transpose")
        return res

    def permute(self, *dims) -> NumpyTensor:
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        a = self._data
        dims = _dims(dims, a.ndim)
        if sorted(dims) != list(range(a.ndim)):
            raise ShapeError(f"permute: {dims} is not a permutation of the {a.ndim} dimensions")
        out = np.transpose(a, dims)
        inverse = tuple(np.argsort(dims))
        if _grad_enabled and self._rg:
            res = _make(out, Node("permute", _VJP_PERMUTE, (inverse,), (self,)))
        else:
            res = _make(out)
        if _tracer is not None:
            _tracer.record(res, lambda a: (np.transpose(a, dims), (inverse,)), (self,), "permute")
        return res

    def __getitem__(self, key) -> NumpyTensor:
        idx = _index(key)
        a = self._data
        try:
            out = a[idx]
        except (IndexError, TypeError, ValueError):
            raise _chk.index_error(key, a.shape) from None
        if _grad_enabled and self._rg:
            res = _make(out, Node("getitem", _VJP_GETITEM, (a.shape, a.dtype, idx), (self,)))
        else:
            res = _make(out)
        if _tracer is not None:
            if _has_tensor(key):  # its values would be baked into the recording
                _tracer.fail("indexing with a tensor inside build()")
            else:
                ctx = (a.shape, a.dtype, idx)
                _tracer.record(res, lambda a: (a[idx], ctx), (self,), "getitem")
        return res

    def __setitem__(self, key, value) -> None:
        _no_replay("item assignment (t[...] = v) inside build()")
        idx = _index(key)
        tracked = _grad_enabled and (self._rg or isinstance(value, NumpyTensor) and value._rg)
        v = value._data if isinstance(value, NumpyTensor) else value
        if not tracked:
            try:
                self._data[idx] = v
            except (IndexError, ValueError) as exc:
                raise _setitem_error(self._data, key, idx, v, exc) from None
            return
        _in_place_check(self, "item assignment")
        _view_check(self, "item assignment")
        old = _make(self._data, self._node) if self._rg else None  # the value before writing
        old_rg = self._rg
        data = self._data.copy()  # saved arrays of earlier nodes must not change under them
        try:
            data[idx] = v
        except (IndexError, ValueError) as exc:
            raise _setitem_error(self._data, key, idx, v, exc) from None
        vshape = np.shape(v)
        need = (old if old_rg else None, value if isinstance(value, NumpyTensor) and value._rg
                else None)
        self._data = data
        self._node = Node("setitem", _VJP_SETITEM, (idx, vshape), need)
        self._rg = True


def _setitem_error(a: np.ndarray, key, idx, v, exc: Exception) -> Exception:
    try:
        slot = a[idx].shape
    except (IndexError, TypeError, ValueError):
        return _chk.index_error(key, a.shape)
    if isinstance(exc, ValueError):
        if not a.flags.writeable:
            return _chk.expanded_write_error("item assignment")
        try:
            vshape = np.shape(v)
        except ValueError:
            return exc
        return _chk.assign_error(vshape, slot)
    return exc


_op("rsub")
_op("rpow")
_CLONE = _op("clone")
_CAST = _op("cast")
_op("sum")
_op("mean")
_op("reshape")
_op("transpose")
_op("permute")
_op("getitem")
_op("setitem")
_VJP_SUM = VJP["sum"]
_VJP_MEAN = VJP["mean"]
_VJP_RESHAPE = VJP["reshape"]
_VJP_TRANSPOSE = VJP["transpose"]
_VJP_PERMUTE = VJP["permute"]
_VJP_GETITEM = VJP["getitem"]
_VJP_SETITEM = VJP["setitem"]
for _name in ("expand", "split", "flip", "prod", "norm", "max", "min", "var", "std", "cat",
              "stack", "where", "clamp", "masked_fill"):
    _op(_name)
_op("argmax", differentiable=False)
_op("argmin", differentiable=False)
_VJP_EXPAND = VJP["expand"]
_VJP_SPLIT = VJP["split"]
_VJP_FLIP = VJP["flip"]
_VJP_PROD = VJP["prod"]
_VJP_NORM = VJP["norm"]
_VJP_VAR = VJP["var"]
_VJP_MINMAX = VJP["max"]
_VJP_CLAMP = VJP["clamp"]
_VJP_WHERE = VJP["where"]
_VJP_MASKED_FILL = VJP["masked_fill"]
_INPLACE = {"add_": np.add, "sub_": np.subtract, "mul_": np.multiply, "div_": np.true_divide}


def _as_float(t: NumpyTensor) -> NumpyTensor:
    # true division of integers gives float32, as in PyTorch
    return t if t._data.dtype.kind == "f" else t.to(_dt.float32)


_div = _binary("div", np.true_divide, lambda a, b, o: (a, b))
_rdiv = _reflected("rdiv", np.true_divide, lambda s, a, o: (s, a))
_op("matmul")
_VJP_MATMUL = VJP["matmul"]


def _matmul(x: NumpyTensor, y) -> NumpyTensor:
    if not isinstance(y, NumpyTensor):
        raise TypeError(f"matmul: expected a flowkit tensor as the second operand, "
                        f"got {type(y).__name__}")
    a, b = x._data, y._data
    if a.dtype is not b.dtype:
        raise DTypeError(
            f"matmul: both operands must have the same dtype, got {x.dtype!r} and {y.dtype!r}; "
            f"convert one with .to({x.dtype!r})"
        )
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError("matmul: both operands need at least one dimension, got a 0-d tensor; "
                         "use * to multiply by a scalar")
    try:
        out = _matmul_arrays(a, b)
    except ValueError:
        raise ShapeError(
            f"matmul: shapes {shape_str(a.shape)} and {shape_str(b.shape)} do not fit: the last "
            f"dimension of the first ({a.shape[-1]}) must equal the "
            f"{'first' if b.ndim == 1 else 'second-to-last'} dimension of the second "
            f"({b.shape[0] if b.ndim == 1 else b.shape[-2]})"
        ) from None
    if _grad_enabled and (x._rg or y._rg):
        res = _make(out, Node("matmul", _VJP_MATMUL, (a, b),
                              (x if x._rg else None, y if y._rg else None)))
    else:
        res = _make(out)
    if _tracer is not None:
        _tracer.record(res, _dot_kernel if a.ndim == 2 and b.ndim == 2 else _matmul_kernel,
                       (x, y), "matmul")
    return res


def _has_tensor(key) -> bool:
    if isinstance(key, tuple):
        return any(_has_tensor(k) for k in key)
    return isinstance(key, (NumpyTensor, list, np.ndarray))  # lists may hold tensors too


def _in_place_kernel(ufunc):
    def kernel(a, b):
        ufunc(a, b, out=a, casting="same_kind")
        return a, None

    return kernel


def _matmul_arrays(a: np.ndarray, b: np.ndarray):
    # np.dot for 2-D operands: the same BLAS product as np.matmul without the ufunc machinery
    # (~0.35 µs less on small matrices); np.matmul for the batched and 1-d cases
    return np.dot(a, b) if a.ndim == 2 and b.ndim == 2 else np.matmul(a, b)


def _matmul_kernel(a, b):
    return _fresh(_matmul_arrays(a, b)), (a, b)


def _dot_kernel(a, b):  # _matmul_kernel for 2-D operands (known when the step is recorded)
    return np.dot(a, b), (a, b)


def _mean_ctx(a: np.ndarray, dims, keepdim: bool) -> tuple:
    n = a.size if dims is None else int(np.prod([a.shape[d] for d in dims]))
    return (a.shape, dims, keepdim, n)


def _identity(a):
    return a, None


def _sum_kernel(dims, keepdim, dtype):
    def kernel(a):
        if a.dtype.kind in "bu" or a.dtype.kind == "i" and a.dtype != np.int64:
            a = a.astype(np.int64)
        out = np.add.reduce(a, axis=dims, keepdims=keepdim)
        if dtype is not None:
            out = out.astype(_dt.to_dtype(dtype).np)
        return _fresh(out), (a.shape, dims, keepdim)

    return kernel


# ---------------------------------------------------------------------------------- reductions
def _minmax(x: NumpyTensor, dim, keepdim: bool, op: str, reduce, arg):
    if isinstance(dim, NumpyTensor):  # max(other): the elementwise maximum, as in PyTorch
        return x.maximum(dim) if op == "max" else x.minimum(dim)
    a = x._data
    track = _grad_enabled and x._rg
    if dim is None:
        if a.size == 0:
            raise ShapeError(f"{op}() of an empty tensor (shape {shape_str(a.shape)}) has no "
                             "value; pass dim= to reduce a dimension of non-zero size")

        def kernel(a):  # ties share the gradient evenly, as in PyTorch
            out = _keep_all(np.asarray(reduce(a)), a.ndim, keepdim)
            return out, (a, out, None)

        out, ctx = kernel(a)
        return _recorded(_make(out, Node(op, _VJP_MINMAX, ctx, (x,)) if track else None),
                         kernel, (x,), op)
    d = _chk.one_dim(op, dim, a.ndim)
    if a.ndim and a.shape[d] == 0:
        raise ShapeError(f"{op}(dim={dim}): dimension {d} of shape {shape_str(a.shape)} is "
                         "empty, so it has no value")

    def along(a):  # (values, indices, the selected positions for the VJP)
        if a.ndim == 0:
            return a.copy(), np.zeros((), np.int64), np.zeros((), np.int64)
        idx = arg(a, axis=d, keepdims=True)
        vals = np.take_along_axis(a, idx, axis=d)
        if not keepdim:
            return vals.squeeze(d), idx.squeeze(d).astype(np.int64, copy=False), idx.squeeze(d)
        return vals, idx.astype(np.int64, copy=False), idx

    def values_kernel(a):  # the gradient goes to the selected element only
        vals, _, idx = along(a)
        return vals, (a.shape, a.dtype, (d, keepdim, idx))

    def indices_kernel(a):
        return along(a)[1], None

    vals, ctx = values_kernel(a)
    values = _recorded(_make(vals, Node(op, _VJP_MINMAX, ctx, (x,)) if track else None),
                       values_kernel, (x,), op)
    indices = _recorded(_make(indices_kernel(a)[0]), indices_kernel, (x,), "arg" + op)
    return (_rt.max if op == "max" else _rt.min)(values, indices)


def _argminmax(x: NumpyTensor, dim, keepdim: bool, op: str, arg) -> NumpyTensor:
    a = x._data
    if a.size == 0 and dim is None:
        raise ShapeError(f"{op}() of an empty tensor (shape {shape_str(a.shape)}) has no "
                         "value; pass dim= to reduce a dimension of non-zero size")
    if dim is None or a.ndim == 0:
        if dim is not None:
            _chk.one_dim(op, dim, 0)
        shape = (1,) * a.ndim if keepdim else ()

        def kernel(a):
            return np.asarray(arg(a.reshape(-1)), np.int64).reshape(shape), None

        return _recorded(_make(kernel(a)[0]), kernel, (x,), op)
    d = _chk.one_dim(op, dim, a.ndim)
    if a.shape[d] == 0:
        raise ShapeError(f"{op}(dim={dim}): dimension {d} of shape {shape_str(a.shape)} is "
                         "empty, so it has no value")
    res = _make(arg(a, axis=d, keepdims=keepdim).astype(np.int64, copy=False))
    if _tracer is not None:  # (along a dim: the common `logits.argmax(1) == y`)
        _tracer.record(res, lambda a: (arg(a, axis=d, keepdims=keepdim).astype(
            np.int64, copy=False), None), (x,), op)
    return res


def _var(x: NumpyTensor, op: str, dim, unbiased, keepdim: bool, correction) -> NumpyTensor:
    if isinstance(dim, bool):  # x.var(False): PyTorch's positional `unbiased`
        dim, unbiased = None, dim
    a = _need_float(op, x)
    dims = _reduce_dims(dim, a)
    n = a.size if dims is None else int(np.prod([a.shape[d] for d in dims]))
    ddof = (1 if unbiased else 0) if correction is None else correction
    denom = max(n - ddof, 0)  # n <= ddof gives inf or nan, as in PyTorch

    def kernel(a):
        with np.errstate(divide="ignore", invalid="ignore"):
            diff = a - a.mean(axis=dims, keepdims=True)
            out = np.sum(diff * diff, axis=dims, keepdims=keepdim) / a.dtype.type(denom)
            if op == "std":
                out = np.sqrt(out)
        out = np.asarray(out, a.dtype)
        if dims is None:
            out = _keep_all(out, a.ndim, keepdim)
        return out, (diff, denom, out if op == "std" else None, dims, keepdim)

    out, ctx = kernel(a)
    node = Node(op, _VJP_VAR, ctx, (x,)) if _grad_enabled and x._rg else None
    return _recorded(_make(out, node), kernel, (x,), op)


def _norm_order(p) -> float:
    if p == "fro" or p is None:
        return 2.0
    if isinstance(p, str) or isinstance(p, bool) or not isinstance(p, (int, float, np.number)):
        raise ValueError(f"norm: p must be a number, inf, -inf or 'fro', got {p!r} (matrix "
                         "norms such as 'nuc' are not supported)")
    return float(p)


# ---------------------------------------------------------------------------------- selection
def _operand(value, name: str):
    """(array or Python number, the tensor or None) for an operand that may be a number."""
    if isinstance(value, NumpyTensor):
        return value._data, value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (bool, int, float)):
        return value, None
    raise TypeError(f"{name}: expected a flowkit tensor or a number, got {type(value).__name__}")


def where(condition, x, y) -> NumpyTensor:
    """``x`` where ``condition`` is true, else ``y``; broadcasting, numbers allowed for x, y."""
    if not isinstance(condition, NumpyTensor):
        raise TypeError(f"where: the condition must be a flowkit bool tensor, got "
                        f"{type(condition).__name__}")
    c = condition._data
    if c.dtype != np.bool_:
        raise DTypeError(f"where: the condition must be a bool tensor, got {condition.dtype!r}; "
                         "make one with a comparison (x > 0) or .bool()")
    xa, xt = _operand(x, "where")
    ya, yt = _operand(y, "where")
    try:
        out, ctx = _where_kernel(c, xa, ya)
    except ValueError:
        raise ShapeError(
            f"where: condition of shape {shape_str(c.shape)}, input of shape "
            f"{shape_str(np.shape(xa))} and other of shape {shape_str(np.shape(ya))} cannot be "
            "broadcast together"
        ) from None
    node = None
    if _grad_enabled and (xt is not None and xt._rg or yt is not None and yt._rg):
        node = Node("where", _VJP_WHERE, ctx, (_if_rg(xt), _if_rg(yt)))
    return _recorded(_make(out, node), _where_kernel,
                     (condition, xa if xt is None else xt, ya if yt is None else yt), "where")


def _if_rg(t):
    """``t`` when it needs a gradient, else None (a node's input slot)."""
    return t if t is not None and t._rg else None


def _recorded(res, kernel, inputs, name: str):
    """``res`` (made by ``kernel`` from ``inputs``), noted for an nn.Graph being recorded."""
    if _tracer is not None:
        _tracer.record(res, kernel, inputs, name)
    return res


def _where_kernel(c, xa, ya):  # (tensors' arrays or numbers)
    r = _common_dtype((xa, ya))
    return np.where(c, np.asarray(xa, r), np.asarray(ya, r)), (c,)


def _clamp(x: NumpyTensor, lo, hi) -> NumpyTensor:
    if lo is None and hi is None:
        raise ValueError("clamp: at least one of min and max must be given")
    a = x._data
    if a.dtype == np.bool_:
        raise DTypeError("clamp: not defined for bool tensors; convert with .int() or .float()")
    la, lt = (None, None) if lo is None else _operand(lo, "clamp")
    ha, ht = (None, None) if hi is None else _operand(hi, "clamp")
    try:
        out, ctx = _clamp_kernel(a, la, ha)
    except ValueError:
        raise ShapeError(f"clamp: the bounds of shapes {shape_str(np.shape(la))} and "
                         f"{shape_str(np.shape(ha))} cannot be broadcast with the input of "
                         f"shape {shape_str(a.shape)}") from None
    node = None
    if _grad_enabled and (x._rg or lt is not None and lt._rg or ht is not None and ht._rg):
        node = Node("clamp", _VJP_CLAMP, ctx, (_if_rg(x), _if_rg(lt), _if_rg(ht)))
    return _recorded(_make(out, node), _clamp_kernel,
                     (x, la if lt is None else lt, ha if ht is None else ht), "clamp")


def _clamp_kernel(a, la, ha):  # (the bounds: tensors' arrays, numbers or None)
    r = _common_dtype([a] + [v for v in (la, ha) if v is not None])
    a = a if a.dtype == r else a.astype(r)
    la = None if la is None else np.asarray(la, r)
    ha = None if ha is None else np.asarray(ha, r)
    out = a
    if la is not None:
        out = np.maximum(out, la)  # NaN propagates, as in PyTorch
    if ha is not None:
        out = np.minimum(out, ha)
    if out is a:
        out = a.copy()
    return out, (a, la, ha)


def _masked_fill(x: NumpyTensor, mask, value) -> NumpyTensor:
    if not isinstance(mask, NumpyTensor) or mask._data.dtype != np.bool_:
        got = repr(mask.dtype) if isinstance(mask, Tensor) else type(mask).__name__
        raise DTypeError(f"masked_fill: the mask must be a bool tensor, got {got}; make one "
                         "with a comparison (x > 0) or .bool()")
    a, m = x._data, mask._data
    vt = None
    if isinstance(value, NumpyTensor):
        if value._data.ndim:
            raise ShapeError(f"masked_fill: the value must be a number or a 0-d tensor, got "
                             f"shape {shape_str(value._data.shape)}")
        vt, v = value, value._data.astype(a.dtype)
    else:
        v, _ = _operand(value, "masked_fill")
        v = np.asarray(v).astype(a.dtype)  # the tensor keeps its dtype, as in PyTorch
    try:
        out = np.where(m, v, a)
    except ValueError:
        raise ShapeError(f"masked_fill: a mask of shape {shape_str(m.shape)} cannot be "
                         f"broadcast with the tensor of shape {shape_str(a.shape)}") from None
    node = None
    if _grad_enabled and (x._rg or vt is not None and vt._rg):
        node = Node("masked_fill", _VJP_MASKED_FILL, (m,), (_if_rg(x), _if_rg(vt)))
    return _recorded(_make(out, node), _masked_fill_kernel, (x, mask, v if vt is None else vt),
                     "masked_fill")


def _masked_fill_kernel(a, m, v):  # (v: the value's array, cast to the tensor's dtype)
    return np.where(m, v.astype(a.dtype), a), (m,)


# ---------------------------------------------------------------------------------- joining
def _joined(op: str, tensors):
    """The arrays of ``tensors``, cast to PyTorch's common dtype (numpy's would differ: int64
    with float32 gives float64 there)."""
    ts = _chk.tensor_sequence(op, tensors)
    arrays = [t._data for t in ts]
    r = arrays[0].dtype
    if any(b.dtype != r for b in arrays):
        d = _dt.from_numpy_dtype(r)
        for b in arrays[1:]:
            d = _dt.result_type(d, _dt.from_numpy_dtype(b.dtype))
        arrays = [b if b.dtype == d.np else b.astype(d.np) for b in arrays]
    return ts, arrays


def cat(tensors, dim: int = 0) -> NumpyTensor:
    """Join tensors along an existing dimension (``flowkit.cat``)."""
    ts, arrays = _joined("cat", tensors)
    shapes = [b.shape for b in arrays]
    keep = _chk.cat_kept(shapes)  # 1-d empty tensors are skipped, as in PyTorch
    joined = arrays if len(keep) == len(ts) else [arrays[i] for i in keep]
    try:
        out = np.concatenate(joined, axis=dim)
    except (ValueError, IndexError, TypeError):
        err = _chk.cat_error(shapes, dim)
        if err is None:
            raise
        raise err from None
    d = dim % out.ndim
    if joined is arrays:
        ctx = (d, [b.shape[d] for b in arrays])
    else:  # a skipped tensor's size is None: its gradient is empty (zeros), as in PyTorch
        sizes = [None] * len(ts)
        for i in keep:
            sizes[i] = arrays[i].shape[d]
        ctx = (d, sizes)
    if _grad_enabled and any(t._rg for t in ts):
        res = _make(out, Node("cat", VJP["cat"], ctx, tuple(t if t._rg else None for t in ts)))
    else:
        res = _make(out)
    if _tracer is not None:
        dtype = out.dtype  # the common dtype, fixed for the recorded dtypes
        kept = None if joined is arrays else keep  # fixed for the recorded shapes
        _tracer.record(res, lambda *arrays: (np.concatenate(
            [b if b.dtype == dtype else b.astype(dtype) for b in (
                arrays if kept is None else [arrays[i] for i in kept])], axis=dim), ctx),
            ts, "cat")
    return res


def stack(tensors, dim: int = 0) -> NumpyTensor:
    """Join tensors of one shape along a new dimension (``flowkit.stack``)."""
    ts, arrays = _joined("stack", tensors)
    err = _chk.stack_error([b.shape for b in arrays], dim)
    if err is not None:
        raise err
    out = np.stack(arrays, axis=dim)
    ctx = (dim % out.ndim,)
    if _grad_enabled and any(t._rg for t in ts):
        res = _make(out, Node("stack", VJP["stack"], ctx, tuple(t if t._rg else None for t in ts)))
    else:
        res = _make(out)
    if _tracer is not None:
        dtype = out.dtype
        _tracer.record(res, lambda *arrays: (np.stack(
            [b if b.dtype == dtype else b.astype(dtype) for b in arrays], axis=dim), ctx),
            ts, "stack")
    return res


from . import numpy_api as _numpy_api  # noqa: E402 - it builds on NumpyTensor
