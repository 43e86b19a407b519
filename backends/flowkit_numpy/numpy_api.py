"""numpy's array protocols on :class:`~.tensor.NumpyTensor`: the one VJP table, run on tensors.

The VJPs (the engine's table, filled by the op families) are written once, against numpy. A
first-order backward calls them with arrays. ``backward(create_graph=True)`` and
``flowkit.autograd.grad(..., create_graph=True)`` call the *same* functions with tensors (the
incoming gradient and the values the forward pass saved), inside :func:`differentiable`: numpy
hands each ufunc and function applied to a tensor to ``NumpyTensor.__array_ufunc__`` /
``__array_function__``, which run flowkit's own recorded ops instead (``np.matmul`` ->
``matmul``, ``np.add.reduce`` -> ``sum``, ``np.where`` -> getitem and setitem, ``np.add.at`` ->
the ``add_at`` op). So the gradient computation is itself a graph, and its gradient comes from
the same table again: there is no second table of "double backward" formulas to keep in step. A
numpy call with no differentiable counterpart raises :class:`~flowkit.errors.AutogradError` (the
engine adds the op's name), never a wrong number.


Outside that window the protocols keep numpy's behaviour from before they existed, so a program
sees the same results on every backend: ``np.exp(t)`` is an ndarray, and a numpy scalar or array
on the left of an operator defers to the tensor's reflected operator. Nothing here runs on the
first-order hot path: it never hands numpy a tensor.
"""

from __future__ import annotations

import contextlib
import operator

import numpy as np

from flowkit import dtypes as _dt
from flowkit.errors import AutogradError

from . import define
from .define import forward_op as _op
from .define import make as _make
from .engine import VJP, Node
from .indexing import _index
from .tensor import NumpyTensor

_active = 0  # > 0 while a create_graph backward runs VJPs on tensors


@contextlib.contextmanager
def differentiable():
    """Inside: numpy ufuncs and functions applied to tensors run flowkit's recorded ops.

    Example:
        >>> import numpy as np
        >>> import flowkit as flow
        >>> from flowkit_numpy.numpy_api import differentiable
        >>> x = flow.tensor([1.0, 2.0], requires_grad=True)
        >>> with differentiable():
        ...     y = np.sin(x)
        >>> y.grad_fn
        <SinBackward object>
    """
    global _active
    _active += 1
    try:
        yield
    finally:
        _active -= 1


def _unsupported(what: str):
    raise AutogradError(f"{what} has no differentiable counterpart on flowkit tensors")


def as_array(t: NumpyTensor, dtype=None) -> np.ndarray:
    """``NumpyTensor.__array__``: the values, except that a tensor on the graph must not leave
    it silently while a create_graph backward records (``np.asarray(g)``, or ``g`` written into
    a numpy array, would give a gradient that ignores it)."""
    if _active and t._rg:
        raise AutogradError(
            "a tensor that requires grad was turned into a numpy array (np.asarray, or written "
            "into an array) while its gradient is recorded, which would drop it from the graph; "
            "keep the computation in tensors (np.zeros(shape, dtype, like=g) makes a tensor)"
        )
    a = t._data
    return a.astype(dtype) if dtype is not None else a


# ---------------------------------------------------------------------------------- operands
def _tensor(x) -> NumpyTensor:
    """A tensor for an operand: tensors as they are, arrays and numbers as constants."""
    return x if isinstance(x, NumpyTensor) else _make(np.asarray(x))


def _operand(x):
    """An operand for a tensor operator: numpy arrays become constant tensors (the operators
    refuse arrays); numbers stay numbers, weakly typed as in PyTorch."""
    if isinstance(x, np.ndarray):
        return _make(x)
    if isinstance(x, np.generic):
        return x.item()
    return x


def _data(x):
    return x._data if isinstance(x, NumpyTensor) else x


def _np_dtype(x):
    return np.result_type(_data(x))


def _broadcast(x, shape, dtype) -> NumpyTensor:
    """``x`` broadcast to ``shape`` as a *new* tensor (callers write into it), of ``dtype``."""
    if isinstance(x, NumpyTensor):
        if x._data.dtype != dtype:
            x = x.to(_dt.from_numpy_dtype(dtype))
        return x * _make(np.ones(shape, dtype))  # exact (x * 1), and its VJP sums back
    return _make(np.array(np.broadcast_to(np.asarray(x, dtype), shape)))


# ---------------------------------------------------------------------------------- ufuncs
# ufunc -> (operator on a tensor first operand, reflected operator on a tensor second one)
_BINARY = {
    np.add: ("__add__", "__radd__"),
    np.subtract: ("__sub__", "__rsub__"),
    np.multiply: ("__mul__", "__rmul__"),
    np.true_divide: ("__truediv__", "__rtruediv__"),
    np.power: ("__pow__", "__rpow__"),
    np.matmul: ("__matmul__", "__rmatmul__"),
    np.equal: ("__eq__", "__eq__"),
    np.not_equal: ("__ne__", "__ne__"),
    np.less: ("__lt__", "__gt__"),
    np.less_equal: ("__le__", "__ge__"),
    np.greater: ("__gt__", "__lt__"),
    np.greater_equal: ("__ge__", "__le__"),
}
_UNARY = {
    np.negative: operator.neg,
    np.positive: lambda x: x,
    np.exp: NumpyTensor.exp,
    np.log: NumpyTensor.log,
    np.sqrt: NumpyTensor.sqrt,
    np.absolute: abs,
    np.sin: NumpyTensor.sin,
    np.cos: NumpyTensor.cos,
    np.tanh: NumpyTensor.tanh,
    np.sinh: NumpyTensor.sinh,
    np.cosh: NumpyTensor.cosh,
    np.square: lambda x: x * x,
    np.reciprocal: lambda x: 1 / x,
}
# piecewise constant: their derivative is zero wherever it exists (PyTorch's convention), so
# they are computed on the values and enter the graph as constants
_CONSTANT = {
    np.sign,
    np.floor,
    np.ceil,
    np.rint,
    np.trunc,
    np.isfinite,
    np.isnan,
    np.isinf,
    np.logical_not,
    np.signbit,
    np.floor_divide,
    np.logical_and,
    np.logical_or,
}


def _ufunc_call(ufunc, inputs, kwargs):
    if kwargs.get("out") is not None or kwargs.get("where", True) is not True:
        _unsupported(f"np.{ufunc.__name__} with out= or where=")
    if ufunc in _CONSTANT:
        value = np.asarray(ufunc(*[_data(x) for x in inputs]))
        src = next((x for x in inputs if isinstance(x, NumpyTensor) and x._rg), None)
        if src is None or value.dtype.kind != "f" or np.shape(src._data) != value.shape:
            return _make(value)
        # PyTorch's convention is a zero gradient, not none: the value stays in the graph
        # (selected over ``src`` everywhere), so differentiating through it again gives zeros
        # rather than "does not require grad" (l1_loss's gradient is sign(x - y))
        return _where(np.ones(value.shape, bool), _make(value), src)
    if len(inputs) == 1:
        fn = _UNARY.get(ufunc)
        if fn is None:
            _unsupported(f"np.{ufunc.__name__}")
        return fn(_tensor(inputs[0]))
    ops = _BINARY.get(ufunc)
    if ops is None or len(inputs) != 2:
        _unsupported(f"np.{ufunc.__name__}")
    a, b = (_operand(x) for x in inputs)
    r = getattr(a, ops[0])(b) if isinstance(a, NumpyTensor) else getattr(b, ops[1])(a)
    if r is NotImplemented:  # e.g. a number @ a tensor
        _unsupported(
            f"np.{ufunc.__name__} of {type(inputs[0]).__name__} and {type(inputs[1]).__name__}"
        )
    return r


def _ufunc_reduce(ufunc, x, axis=0, dtype=None, out=None, keepdims=False, **kwargs):
    if ufunc is not np.add or dtype is not None or out is not None or kwargs:
        _unsupported(
            f"np.{ufunc.__name__}.reduce" + (" with dtype=, out=, ..." if ufunc is np.add else "")
        )
    t = _tensor(x)
    if axis == ():  # numpy: reduce over no axis is the identity
        return t
    return t.sum(axis, keepdims)


_op("add_at")
_VJP_ADD_AT = VJP["add_at"]


def _ufunc_at(ufunc, a, index, b=None):
    """``np.add.at(a, index, b)`` on a tensor ``a``: ``a`` moves onto a recorded ``add_at`` node
    (as the in-place tensor ops do), so the getitem VJP's scatter is differentiable."""
    if ufunc is not np.add or b is None:
        _unsupported(f"np.{ufunc.__name__}.at")
    if not isinstance(a, NumpyTensor):
        _unsupported("np.add.at into a numpy array (only into a tensor)")
    if a._rg and a._node is None:
        raise AutogradError(
            "np.add.at: a leaf tensor that requires grad cannot be changed in place"
        )
    idx = _index(index)
    bt = b if isinstance(b, NumpyTensor) else None
    bv = _data(b)
    data = a._data.copy()  # arrays saved by earlier nodes must not change under them
    np.add.at(data, idx, bv)
    if (define.grad_enabled or define.STATE.grad_enabled) and (
        a._rg or (bt is not None and bt._rg)
    ):
        old = _make(a._data, a._node) if a._rg else None  # the value before the write
        a._node = Node(
            "add_at",
            _VJP_ADD_AT,
            (idx, np.shape(bv)),
            (old, bt if bt is not None and bt._rg else None),
        )
        a._rg = True
    a._data = data


def recording() -> bool:
    """Whether a create_graph backward is running the VJPs on tensors right now (numpy calls on
    tensors are then recorded ops; otherwise they are numpy's, as for any array-like)."""
    return _active > 0


def array_ufunc(ufunc, method, inputs, kwargs):
    """``NumpyTensor.__array_ufunc__`` while :func:`recording`."""
    if method == "__call__":
        return _ufunc_call(ufunc, inputs, kwargs)
    if method == "reduce":
        return _ufunc_reduce(ufunc, *inputs, **kwargs)
    if method == "at":
        return _ufunc_at(ufunc, *inputs)
    _unsupported(f"np.{ufunc.__name__}.{method}")


# ---------------------------------------------------------------------------------- functions
def _where(condition, x=None, y=None):
    if x is None or y is None:
        _unsupported("np.where(condition) (the one-argument form)")
    c = np.asarray(_data(condition), dtype=bool)
    dtype = np.result_type(_data(x), _data(y))
    shape = np.broadcast_shapes(c.shape, np.shape(_data(x)), np.shape(_data(y)))
    out = _broadcast(y, shape, dtype)
    mask = np.broadcast_to(c, shape)
    if mask.any():
        out[mask] = _broadcast(x, shape, dtype)[mask]  # getitem and setitem: both recorded
    return out


def _expand_dims(a, axis):
    t = _tensor(a)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    nd = t._data.ndim + len(axes)
    axes = {ax % nd for ax in axes}
    it = iter(t._data.shape)
    return t.reshape(tuple(1 if d in axes else next(it) for d in range(nd)))


def _transpose(a, axes=None):
    t = _tensor(a)
    return t.permute(tuple(reversed(range(t._data.ndim))) if axes is None else tuple(axes))


def _moveaxis(a, source, destination):
    t = _tensor(a)
    nd = t._data.ndim
    src = [s % nd for s in ((source,) if isinstance(source, int) else source)]
    dst = [d % nd for d in ((destination,) if isinstance(destination, int) else destination)]
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src)):  # numpy's own construction of the permutation
        order.insert(d, s)
    return t.permute(tuple(order))


def _split(a, indices_or_sections, axis=0):
    t = _tensor(a)
    n = t._data.shape[axis]
    if isinstance(indices_or_sections, int):
        if n % indices_or_sections:
            _unsupported("np.split into unequal sections")
        step = n // indices_or_sections
        bounds = list(range(0, n + 1, step))
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [n]
    lead = (slice(None),) * (axis % t._data.ndim)
    return [t[lead + (slice(lo, hi),)] for lo, hi in zip(bounds[:-1], bounds[1:])]


def _flip(a, axis=None):
    t = _tensor(a)
    nd = t._data.ndim
    axes = (
        range(nd)
        if axis is None
        else {d % nd for d in ((axis,) if isinstance(axis, int) else axis)}
    )
    return t[tuple(slice(None, None, -1) if d in axes else slice(None) for d in range(nd))]


def _sum(a, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    if dtype is not None or out is not None or kwargs:
        _unsupported("np.sum with dtype=, out=, ...")
    return _tensor(a).sum(axis, keepdims)


def _constant_like(fill):
    def make(a, dtype=None, order="K", subok=True, shape=None, **kwargs):
        d = _data(a)
        return _make(
            np.full(
                np.shape(d) if shape is None else shape,
                fill,
                np.result_type(d) if dtype is None else dtype,
            )
        )

    return make


def _created(fn):
    # np.zeros(shape, dtype, like=t): numpy drops `like` and hands us the call
    def make(*args, **kwargs):
        return _make(np.asarray(fn(*args, **kwargs)))

    return make


_FUNCTIONS = {
    np.where: _where,
    np.broadcast_to: lambda a, shape, subok=False: _broadcast(a, tuple(shape), _np_dtype(a)),
    np.expand_dims: _expand_dims,
    np.swapaxes: lambda a, axis1, axis2: _tensor(a).transpose(axis1, axis2),
    np.transpose: _transpose,
    np.reshape: lambda a, shape=None, *args, **kw: _tensor(a).reshape(kw.get("newshape", shape)),
    np.copy: lambda a, order="K", subok=False: _tensor(a).clone(),
    np.sum: _sum,
    np.squeeze: lambda a, axis=None: _tensor(a).squeeze(axis),
    np.moveaxis: _moveaxis,
    np.split: _split,
    np.flip: _flip,
    np.zeros_like: _constant_like(0),
    np.ones_like: _constant_like(1),
    np.empty_like: _constant_like(0),
    np.zeros: _created(np.zeros),
    np.ones: _created(np.ones),
    np.empty: _created(np.zeros),
    np.full: _created(np.full),
    # running sums and products, einsum: the reduction and linalg families' ops
    np.cumsum: lambda a, axis=None, dtype=None, out=None: _cumulative(a, axis, dtype, out, "sum"),
    np.cumprod: lambda a, axis=None, dtype=None, out=None: _cumulative(a, axis, dtype, out, "prod"),
    np.einsum: lambda subscripts, *operands, **kw: _einsum(subscripts, operands, kw),
}


def _cumulative(a, axis, dtype, out, what: str):
    if axis is None or dtype is not None or out is not None:
        _unsupported(f"np.cum{what} without axis=, or with dtype= or out=")
    return getattr(_tensor(a), "cum" + what)(axis)


def _einsum(subscripts, operands, kw):
    if kw.get("out") is not None or kw.get("dtype") is not None:
        _unsupported("np.einsum with out= or dtype=")
    from flowkit.ops.linalg import einsum

    return einsum(subscripts, *[_tensor(x) for x in operands])


# questions about the values, not values on the graph: answered from the arrays
for _f in (np.shape, np.ndim, np.size, np.any, np.all, np.count_nonzero, np.result_type):
    _FUNCTIONS[_f] = (
        lambda f: lambda *a, **k: f(*_arrays(a), **{n: _arrays(v) for n, v in k.items()})
    )(_f)


def _arrays(x):
    if isinstance(x, NumpyTensor):
        return x._data
    if isinstance(x, (list, tuple)):
        return type(x)(_arrays(i) for i in x)
    return x


def array_function(func, types, args, kwargs):
    """``NumpyTensor.__array_function__`` while :func:`recording`."""
    fn = _FUNCTIONS.get(func)
    if fn is None:
        _unsupported(f"np.{func.__name__}")
    return fn(*args, **kwargs)
