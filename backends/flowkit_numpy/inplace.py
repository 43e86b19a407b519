"""In-place ops on the numpy backend (the contract and the rules: :mod:`flowkit.ops.inplace`):
``add_``/``sub_``/``mul_``/``div_`` (``+=`` ...), ``zero_``, ``fill_``, ``copy_``, ``clamp_``,
``masked_fill_``.

Outside autograd an in-place op writes into the tensor's array (views see it; numpy's
``same_kind`` casting refuses a float result in an int tensor, as PyTorch does). On a tensor
autograd tracks, it is computed out of place and the tensor moves onto the new node, so the
arrays earlier nodes saved never change under them.
"""

from __future__ import annotations

import numpy as np

from flowkit.ops.arithmetic import (
    bool_sub_error,
    broadcast_error,
    is_bool_operand,
    operand_type_error,
)
from flowkit.ops.inplace import (
    copy_shape_error,
    expanded_write_error,
    fill_value,
    leaf_error,
    result_dtype_error,
    result_shape_error,
)

from . import define
from .arithmetic import NumpyArithmetic, _clamp, _sub_bool_error
from .define import NumpyTensorBase, in_place_check, make, no_replay, view_check
from .engine import VJP, Node, bump
from .indexing import _masked_fill

# --------------------------------------------------------- in-place writes into views (in a graph)
_REBASED_VIEWS = frozenset(("getitem", "split", "reshape", "transpose", "permute"))


def _graph_view(t):
    """The node that made ``t`` as a view of another tensor of the graph (sharing its memory),
    or None: an in-place op on such a view is written through into its base, as in PyTorch."""
    node = t._node
    if node is None or node.name not in _REBASED_VIEWS:
        return None
    base = node.inputs[0]
    if base is None or not np.may_share_memory(t._data, base._data):
        return None
    return node


def _write_through(view, res, node, op: str) -> None:
    """``view`` (made by ``node`` from its base) takes the value ``res`` (a tensor of its shape
    and dtype): the base moves onto a node that puts ``res`` in the view's place (recursively,
    for a view of a view), then ``view`` becomes that view of the new base. Out of place, so
    arrays saved by earlier nodes never change (other views of the base keep the old values)."""
    base, name, ctx = node.inputs[0], node.name, node.ctx
    if base._node is None:  # a leaf that requires grad: PyTorch refuses this too
        raise leaf_error(op)
    if name in ("getitem", "split"):
        idx = ctx[2]
        data = base._data.copy()
        data[idx] = res._data
        old = make(base._data, base._node)
        new = make(data, Node("setitem", VJP["setitem"], (idx, res._data.shape), (old, res)))
        if not res._rg:
            new._node.inputs = (old, None)
            new._node.edges = (old._node, None)
    elif name == "reshape":
        new = res.reshape(base._data.shape)
    elif name == "transpose":
        new = res.transpose(*ctx)
    else:  # permute: ctx holds the inverse permutation
        new = res.permute(*ctx[0])
    outer = _graph_view(base)
    if outer is not None:
        _write_through(base, new, outer, op)
    else:
        base._data, base._node, base._rg = new._data, new._node, True
    if name in ("getitem", "split"):
        again = base[ctx[2]]
    elif name == "reshape":
        again = base.reshape(view._data.shape)
    elif name == "transpose":
        again = base.transpose(*ctx)
    else:
        again = base.permute(*(int(i) for i in np.argsort(ctx[0])))
    view._data, view._node, view._rg = again._data, again._node, again._rg


def _write_error(op: str, a: np.ndarray, exc: Exception) -> Exception:
    # expand gives a read-only broadcast view: numpy's "read-only" ValueError, named
    return expanded_write_error(op) if not a.flags.writeable else exc


def _in_place_kernel(ufunc):
    def kernel(a, b):
        ufunc(a, b, out=a, casting="same_kind")
        return a, None

    return kernel


_INPLACE = {"add_": np.add, "sub_": np.subtract, "mul_": np.multiply, "div_": np.true_divide}


class NumpyInplace(NumpyTensorBase):
    """The in-place methods of ``NumpyTensor``."""

    __slots__ = ()

    def _assign_result(self, op: str, res: NumpyTensorBase) -> NumpyTensorBase:
        """End of an in-place op computed out of place: the result written into this tensor
        (its memory, so views see it) or, inside a graph, this tensor moved onto its node."""
        a, r = self._data, res._data
        if r.shape != a.shape:
            raise result_shape_error(op, r.shape, a.shape)
        if r.dtype != a.dtype and not np.can_cast(r.dtype, a.dtype, "same_kind"):
            raise result_dtype_error(op, str(r.dtype), self.dtype)
        if res._node is not None:
            through = _graph_view(self)
            if through is None:
                view_check(self, op)
            if r.dtype != a.dtype:
                res = res.to(self.dtype)  # type: ignore[assignment]
            if through is not None:  # a view: written through into its base
                _write_through(self, res, through, op)
                return self
            self._data, self._node, self._rg = res._data, res._node, res._rg
            return self
        try:
            np.copyto(a, r, casting="same_kind")
        except ValueError as exc:
            raise _write_error(op, a, exc) from None
        bump(a)
        return self

    def _inplace(self, op: str, result_fn, other):
        if not isinstance(other, (NumpyTensorBase, bool, int, float, np.generic)):
            raise operand_type_error(op, other)  # numpy would take a list or an array as one
        in_place_check(self, op, replayable=True)
        if (define.grad_enabled or define.STATE.grad_enabled) and (
            self._rg or (isinstance(other, NumpyTensorBase) and other._rg)
        ):
            # inside a graph: compute out of place and move this tensor onto the new node, so
            # arrays saved by earlier nodes are never overwritten
            no_replay(f"an in-place op ({op}) on a tensor autograd tracks, inside build()")
            through = _graph_view(self)
            if through is None:
                view_check(self, op)
            res = result_fn(self, other)
            a, r = self._data, res._data
            if r.shape != a.shape:  # as below: an in-place result cannot grow this tensor
                raise broadcast_error(
                    op,
                    a.shape,
                    np.shape(other._data if isinstance(other, NumpyTensorBase) else other),
                )
            if r.dtype != a.dtype:  # nor change its dtype
                if not np.can_cast(r.dtype, a.dtype, "same_kind"):
                    raise result_dtype_error(op, str(r.dtype), self.dtype)
                res = res.to(self.dtype)
            if through is not None:  # a view: written through into its base, as in PyTorch
                _write_through(self, res, through, op)
                return self
            self._data, self._node, self._rg = res._data, res._node, res._rg
            return self
        b = other._data if isinstance(other, NumpyTensorBase) else other
        if (
            define.tracer is not None
        ):  # replayed as the same write (e.g. batch norm's batch counter)
            define.tracer.record(
                self, _in_place_kernel(_INPLACE[op]), (self, other), op, write=True
            )
        try:  # one dtype (Python numbers are weak): the usual case, with no casting at all
            _INPLACE[op](self._data, b, out=self._data, casting="no")
        except ValueError:
            if not self._data.flags.writeable:
                raise expanded_write_error(op) from None
            raise broadcast_error(op, self._data.shape, np.shape(b)) from None
        except TypeError:  # mixed dtypes, or numpy has no kernel (bool - bool)
            self._inplace_cast(op, b)
        bump(self._data)
        return self

    def _inplace_cast(self, op: str, b) -> None:
        """The no-grad in-place write where the dtypes differ: PyTorch's refusal (a bool
        operand of sub_), then numpy's same_kind rule (an int tensor cannot take a float
        result)."""
        a = self._data
        if op == "sub_" and (
            a.dtype.kind == "b"
            or isinstance(b, (bool, np.bool_))
            or b.__class__ is np.ndarray
            and b.dtype.kind == "b"
        ):
            raise _sub_bool_error(op, a, b)
        try:
            _INPLACE[op](a, b, out=a, casting="same_kind")
        except ValueError:
            if not a.flags.writeable:
                raise expanded_write_error(op) from None
            raise broadcast_error(op, a.shape, np.shape(b)) from None
        except TypeError:
            raise result_dtype_error(op, str(np.asarray(b).dtype), self.dtype) from None

    def add_(self, other, alpha=None):
        if alpha is not None:
            other = other * alpha
        return self._inplace("add_", NumpyArithmetic.__add__, other)

    def sub_(self, other, alpha=None):
        if alpha is not None:
            if is_bool_operand(other):  # (other * alpha would hide it)
                raise bool_sub_error("sub_", self, other)
            other = other * alpha
        return self._inplace("sub_", NumpyArithmetic.__sub__, other)

    def mul_(self, other):
        return self._inplace("mul_", NumpyArithmetic.__mul__, other)

    def div_(self, other):
        return self._inplace("div_", NumpyArithmetic.__truediv__, other)

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_

    def zero_(self) -> NumpyTensorBase:
        return self.fill_(0)

    def fill_(self, value) -> NumpyTensorBase:
        in_place_check(self, "fill_")
        value = fill_value(value, self.dtype)
        self._data[...] = value._data if isinstance(value, NumpyTensorBase) else value
        bump(self._data)
        return self

    def copy_(self, src) -> NumpyTensorBase:
        in_place_check(self, "copy_")
        s = src._data if isinstance(src, NumpyTensorBase) else np.asarray(src)
        try:
            np.copyto(self._data, s, casting="unsafe")
        except ValueError:
            raise copy_shape_error(s.shape, self._data.shape) from None
        bump(self._data)
        return self

    def clamp_(self, min=None, max=None):  # noqa: A002 - PyTorch's names
        in_place_check(self, "clamp_")
        return self._assign_result("clamp_", _clamp(self, min, max))

    clip_ = clamp_

    def masked_fill_(self, mask, value):
        in_place_check(self, "masked_fill_")
        return self._assign_result("masked_fill_", _masked_fill(self, mask, value))

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        in_place_check(self, "scatter_")
        res = self.scatter(dim, index, src, value=value, reduce=reduce)
        return self._assign_result("scatter_", res)

    def scatter_add_(self, dim, index, src):
        in_place_check(self, "scatter_add_")
        return self._assign_result("scatter_add_", self.scatter_add(dim, index, src))

    def index_add_(self, dim, index, source, *, alpha=1):
        in_place_check(self, "index_add_")
        return self._assign_result("index_add_", self.index_add(dim, index, source, alpha=alpha))
