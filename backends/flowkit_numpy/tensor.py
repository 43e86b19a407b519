"""``NumpyTensor``: flowkit's Tensor over a numpy array, with flowkit's own autograd.

Hot-path rules (every op runs them, so each one is counted): one ``ndarray`` per tensor, four
slots set on creation, a graph node only when grad mode is on and an input needs a gradient, and
errors translated in ``except`` blocks (free when nothing goes wrong). Types promote as in PyTorch
(float32 with int64 is float32; numpy alone would give float64).
"""

from __future__ import annotations

import numbers

import numpy as np

from flowkit import dtypes as _dt
from flowkit.device import as_device
from flowkit.device import device as _Device
from flowkit.errors import AutogradError, DeviceError, DTypeError, ShapeError, shape_str
from flowkit.tensor import Size, Tensor

from . import engine
from .engine import Node
from .vjps import VJP

CPU = _Device("cpu")
_grad_enabled = True  # this process's grad mode (flowkit.no_grad switches it)

# ops a tensor method or backend function runs; `True` marks those that record a graph node
FORWARD_OPS: dict[str, bool] = {}


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
    return t


engine_wrap = _make

_PROMOTED: dict = {}


def _promote(a: np.ndarray, b: np.ndarray):
    """Cast two arrays to PyTorch's result dtype (cached per dtype pair)."""
    key = (a.dtype, b.dtype)
    r = _PROMOTED.get(key)
    if r is None:
        r = _PROMOTED[key] = _dt.result_type(_dt.from_numpy_dtype(a.dtype),
                                             _dt.from_numpy_dtype(b.dtype)).np
    return (a if a.dtype == r else a.astype(r)), (b if b.dtype == r else b.astype(r))


def _scalar_operand(value, a: np.ndarray, op: str):
    """A Python (or numpy) number next to array ``a``: returns (a, value) with the int array
    promoted to float32 when the number is a float, as PyTorch does."""
    if isinstance(value, np.generic):
        value = value.item()  # numpy scalars are weak like Python numbers, as in PyTorch
    if isinstance(value, bool) or isinstance(value, numbers.Number) and not isinstance(
        value, complex
    ):
        if a.dtype.kind in "biu" and isinstance(value, float):
            a = a.astype(np.float32)
        return a, value
    if isinstance(value, np.ndarray):
        raise TypeError(
            f"{op}: a flowkit tensor and a numpy array cannot be mixed; wrap the array with "
            "flowkit.tensor(array) (or flowkit.from_numpy) first"
        )
    return None, None


def _broadcast_error(op: str, a, b) -> ShapeError:
    return ShapeError(
        f"{op}: shapes {shape_str(a.shape)} and {shape_str(b.shape)} cannot be broadcast "
        "together (trailing dimensions must be equal or 1); reshape one of them"
    )


def _binary(name: str, fwd, save):
    """Build the method for a broadcasting binary op. ``save(a, b, out)`` gives the VJP's ctx."""
    _op(name)
    vjp = VJP[name]

    def method(self, other):
        a = self._data
        if isinstance(other, NumpyTensor):
            b = other._data
            if a.dtype is not b.dtype:
                a, b = _promote(a, b)
        else:
            a, b = _scalar_operand(other, a, name)
            if a is None:
                return NotImplemented
            other = None
        try:
            out = fwd(a, b)
        except ValueError:
            raise _broadcast_error(name, a, np.asarray(b)) from None
        if _grad_enabled and (self._rg or (other is not None and other._rg)):
            need = (self if self._rg else None,
                    other if other is not None and other._rg else None)
            return _make(out, Node(name, vjp, save(a, b, out), need))
        return _make(out)

    return method


def _reflected(name: str, fwd, save):
    """``2 - x``: the same op with the scalar first."""
    _op(name)
    vjp = VJP[name]

    def method(self, other):
        a, s = _scalar_operand(other, self._data, name)
        if a is None:
            return NotImplemented
        out = fwd(s, a)
        if _grad_enabled and self._rg:
            # recorded as the forward op with a constant first input: ctx is saved in
            # (scalar, tensor) order, so the forward op's VJP applies unchanged
            return _make(out, Node(name, vjp, save(s, a, out), (None, self)))
        return _make(out)

    return method


def _unary(name: str, fwd, save_out: bool, float_only: bool = True):
    _op(name)
    vjp = VJP[name]

    def method(self):
        a = self._data
        if float_only and a.dtype.kind != "f":
            a = a.astype(np.float32)  # exp/log/... of integers give float32, as in PyTorch
        out = fwd(a)
        if _grad_enabled and self._rg:
            return _make(out, Node(name, vjp, (out if save_out else a,), (self,)))
        return _make(out)

    return method


def _compare(name: str, fwd):
    _op(name, differentiable=False)

    def method(self, other):
        a = self._data
        if isinstance(other, NumpyTensor):
            b = other._data
        else:
            a, b = _scalar_operand(other, a, name)
            if a is None:
                return NotImplemented
        try:
            return _make(fwd(a, b))
        except ValueError:
            raise _broadcast_error(name, a, np.asarray(b)) from None

    return method


def _dims(dim, ndim: int):
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"dimension {d} is out of range for a {ndim}-d tensor")
        out.append(d % max(ndim, 1))
    return tuple(out)


def _index(key):
    """Tensors inside an index become numpy arrays (ints, bool masks)."""
    if isinstance(key, NumpyTensor):
        return key._data
    if isinstance(key, tuple):
        return tuple(k._data if isinstance(k, NumpyTensor) else k for k in key)
    if isinstance(key, list):
        return np.asarray(key)
    return key


def _in_place_check(t: NumpyTensor, op: str) -> None:
    if _grad_enabled and t._rg and t._node is None:
        raise AutogradError(
            f"{op}: a leaf tensor that requires grad cannot be changed in place, because its "
            "gradient would be wrong. Wrap the update in `with flowkit.no_grad():`"
        )


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
        return _make(self._data)

    @data.setter
    def data(self, value: NumpyTensor) -> None:
        self._data = value._data

    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
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
        return self._data

    def item(self):
        if self._data.size != 1:
            raise ShapeError(
                f"item() needs a tensor with one element, got shape {shape_str(self._data.shape)}; "
                "index one element first (t[0].item()) or use .tolist() for all the values"
            )
        return self._data.item()

    def detach(self) -> NumpyTensor:
        return _make(self._data)

    def detach_(self) -> NumpyTensor:
        self._node = None
        self._rg = False
        return self

    def clone(self) -> NumpyTensor:
        out = self._data.copy()
        if _grad_enabled and self._rg:
            return _make(out, Node(_CLONE, VJP[_CLONE], None, (self,)))
        return _make(out)

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
            return _make(out, Node(_CAST, VJP[_CAST], None, (self,)))
        return _make(out)

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph: bool = False) -> None:
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
            seed, owned = np.ones(self._data.shape, self._data.dtype), True
        else:
            seed = gradient._data if isinstance(gradient, NumpyTensor) else np.asarray(gradient)
            if seed.shape != self._data.shape:
                raise ShapeError(
                    f"backward(gradient): gradient has shape {shape_str(seed.shape)}, the output "
                    f"has shape {shape_str(self._data.shape)}; they must match"
                )
            seed, owned = seed.astype(self._data.dtype, copy=False), False
        engine.run_backward(self, seed, owned, retain_graph, _make)

    def retain_grad(self) -> None:
        if self._node is None:
            if not self._rg:
                raise AutogradError("retain_grad() on a tensor that does not require grad")
            return  # leaves keep their grad anyway
        engine.retain(self._node, self)

    # ------------------------------------------------------------------ arithmetic
    __add__ = add = _binary("add", np.add, lambda a, b, o: None)
    __sub__ = sub = _binary("sub", np.subtract, lambda a, b, o: None)
    __mul__ = mul = _binary("mul", np.multiply, lambda a, b, o: (a, b))
    __pow__ = pow = _binary("pow", np.power, lambda a, b, o: (a, b, o))
    __radd__ = __add__
    __rmul__ = __mul__
    __rsub__ = _reflected("rsub", np.subtract, lambda s, a, o: None)
    __rpow__ = _reflected("rpow", np.power, lambda s, a, o: (s, a, o))

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

    __neg__ = neg = _unary("neg", np.negative, save_out=False, float_only=False)
    exp = _unary("exp", np.exp, save_out=True)
    log = _unary("log", np.log, save_out=False)
    sqrt = _unary("sqrt", np.sqrt, save_out=True)
    __abs__ = abs = _unary("abs", np.abs, save_out=False, float_only=False)
    sin = _unary("sin", np.sin, save_out=False)
    cos = _unary("cos", np.cos, save_out=False)
    tanh = _unary("tanh", np.tanh, save_out=True)
    sigmoid = _unary("sigmoid", lambda a: 1 / (1 + np.exp(-a)), save_out=True)
    relu = _unary("relu", lambda a: np.maximum(a, 0), save_out=True, float_only=False)

    def square(self):
        return self * self

    __eq__ = eq = _compare("eq", np.equal)
    __ne__ = ne = _compare("ne", np.not_equal)
    __lt__ = lt = _compare("lt", np.less)
    __le__ = le = _compare("le", np.less_equal)
    __gt__ = gt = _compare("gt", np.greater)
    __ge__ = ge = _compare("ge", np.greater_equal)

    def any(self) -> NumpyTensor:
        return _make(np.any(self._data))

    def all(self) -> NumpyTensor:
        return _make(np.all(self._data))

    # ------------------------------------------------------------------ in place
    def _inplace(self, op: str, result_fn, other):
        _in_place_check(self, op)
        if _grad_enabled and (self._rg or (isinstance(other, NumpyTensor) and other._rg)):
            # inside a graph: compute out of place and move this tensor onto the new node, so
            # arrays saved by earlier nodes are never overwritten
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
        try:
            _INPLACE[op](self._data, b, out=self._data, casting="same_kind")
        except ValueError:
            raise _broadcast_error(op, self._data, np.asarray(b)) from None
        except TypeError:
            raise DTypeError(
                f"{op}: cannot write a {np.asarray(b).dtype} result into this "
                f"{self.dtype!r} tensor in place; convert one of them with .to(dtype)"
            ) from None
        return self

    def add_(self, other, alpha=None):
        if alpha is not None:
            other = other * alpha
        return self._inplace("add_", NumpyTensor.__add__, other)

    def sub_(self, other, alpha=None):
        if alpha is not None:
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
        dims = _dims(dim, a.ndim) if a.ndim else _dims(dim, 0) and None  # 0-d: dim 0 is itself
        if a.dtype.kind in "bu" or a.dtype.kind == "i" and a.dtype != np.int64:
            a = a.astype(np.int64)  # integer sums accumulate in int64, as in PyTorch
        out = np.sum(a, axis=dims, keepdims=keepdim)
        if dtype is not None:
            out = out.astype(_dt.to_dtype(dtype).np)
        if _grad_enabled and self._rg:
            return _make(out, Node("sum", _VJP_SUM, (a.shape, dims, keepdim), (self,)))
        return _make(out)

    def mean(self, dim=None, keepdim: bool = False) -> NumpyTensor:
        a = self._data
        if a.dtype.kind != "f":
            raise DTypeError(
                f"mean() needs a floating-point tensor, this one is {self.dtype!r}; call "
                ".float() first"
            )
        dims = _dims(dim, a.ndim) if a.ndim else _dims(dim, 0) and None  # 0-d: dim 0 is itself
        out = np.mean(a, axis=dims, keepdims=keepdim)
        if _grad_enabled and self._rg:
            n = a.size if dims is None else int(np.prod([a.shape[d] for d in dims]))
            return _make(out, Node("mean", _VJP_MEAN, (a.shape, dims, keepdim, n), (self,)))
        return _make(out)

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
            return _make(out, Node("reshape", _VJP_RESHAPE, (a.shape,), (self,)))
        return _make(out)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> NumpyTensor:
        shape = self._data.shape
        if not shape:
            return self.reshape(1)
        s, e = start_dim % len(shape), end_dim % len(shape)
        n = 1
        for d in shape[s:e + 1]:
            n *= d
        return self.reshape(shape[:s] + (n,) + shape[e + 1:])

    def squeeze(self, dim=None) -> NumpyTensor:
        shape = self._data.shape
        if dim is None:
            new = tuple(s for s in shape if s != 1)
        else:
            d = _dims(dim, len(shape))[0]
            new = shape[:d] + shape[d + 1:] if shape and shape[d] == 1 else shape
        return self.reshape(new)

    def unsqueeze(self, dim: int) -> NumpyTensor:
        shape = self._data.shape
        d = dim % (len(shape) + 1)
        return self.reshape(shape[:d] + (1,) + shape[d:])

    def transpose(self, dim0: int, dim1: int) -> NumpyTensor:
        a = self._data
        d0, d1 = _dims((dim0, dim1), a.ndim)
        out = np.swapaxes(a, d0, d1)
        if _grad_enabled and self._rg:
            return _make(out, Node("transpose", _VJP_TRANSPOSE, (d0, d1), (self,)))
        return _make(out)

    def permute(self, *dims) -> NumpyTensor:
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        a = self._data
        dims = _dims(dims, a.ndim)
        if sorted(dims) != list(range(a.ndim)):
            raise ShapeError(f"permute: {dims} is not a permutation of the {a.ndim} dimensions")
        out = np.transpose(a, dims)
        if _grad_enabled and self._rg:
            return _make(out, Node("permute", _VJP_PERMUTE, (tuple(np.argsort(dims)),), (self,)))
        return _make(out)

    def __getitem__(self, key) -> NumpyTensor:
        idx = _index(key)
        a = self._data
        try:
            out = a[idx]
        except IndexError as exc:
            raise IndexError(f"index {key!r} is out of range for shape {tuple(a.shape)}: {exc}") \
                from None
        if _grad_enabled and self._rg:
            return _make(out, Node("getitem", _VJP_GETITEM, (a.shape, a.dtype, idx), (self,)))
        return _make(out)

    def __setitem__(self, key, value) -> None:
        idx = _index(key)
        tracked = _grad_enabled and (self._rg or isinstance(value, NumpyTensor) and value._rg)
        v = value._data if isinstance(value, NumpyTensor) else value
        if not tracked:
            self._data[idx] = v
            return
        _in_place_check(self, "item assignment")
        old = _make(self._data, self._node) if self._rg else None  # the value before writing
        old_rg = self._rg
        data = self._data.copy()  # saved arrays of earlier nodes must not change under them
        data[idx] = v
        vshape = np.shape(v)
        need = (old if old_rg else None, value if isinstance(value, NumpyTensor) and value._rg
                else None)
        self._data = data
        self._node = Node("setitem", _VJP_SETITEM, (idx, vshape), need)
        self._rg = True


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
        out = np.matmul(a, b)
    except ValueError:
        raise ShapeError(
            f"matmul: shapes {shape_str(a.shape)} and {shape_str(b.shape)} do not fit: the last "
            f"dimension of the first ({a.shape[-1]}) must equal the "
            f"{'first' if b.ndim == 1 else 'second-to-last'} dimension of the second "
            f"({b.shape[0] if b.ndim == 1 else b.shape[-2]})"
        ) from None
    if _grad_enabled and (x._rg or y._rg):
        return _make(out, Node("matmul", _VJP_MATMUL, (a, b),
                               (x if x._rg else None, y if y._rg else None)))
    return _make(out)
