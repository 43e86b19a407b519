"""Indexing and selection on the numpy backend (the contract and the rules:
:mod:`flowkit.ops.indexing`): ``t[key]``, ``t[key] = value``, ``where``, ``masked_fill``.

Keys are numpy's: tensors inside a key become their arrays. Basic indexing gives a view, as in
PyTorch. ``t[key] = v`` on a tensor autograd tracks writes into a copy and moves the tensor
onto a ``setitem`` node, so arrays that earlier nodes saved never change under them.
"""

from __future__ import annotations

import numpy as np

from flowkit.ops.indexing import (
    assign_error,
    index_error,
    mask_error,
    mask_shape_error,
    mask_value_error,
    scatter_check,
    scatter_key,
    where_condition_error,
    where_shape_error,
)
from flowkit.ops.inplace import expanded_write_error

from . import define
from .arithmetic import _common_dtype, _operand
from .define import (
    NumpyTensorBase,
    forward_op,
    if_rg,
    in_place_check,
    make,
    no_replay,
    op,
    recorded,
    view_check,
    vjp,
)
from .engine import VJP, Node, bump


def _index(key):
    """Tensors inside an index become numpy arrays (ints, bool masks)."""
    if isinstance(key, NumpyTensorBase):
        return key._data
    if isinstance(key, tuple):
        return tuple(k._data if isinstance(k, NumpyTensorBase) else k for k in key)
    if isinstance(key, list):
        return np.asarray(key)
    return key


def _key_tensors(key):
    """``(tensors, rebuild)`` for an index ``key``: the tensors in it (in order) and
    ``rebuild(arrays)``, the key with those arrays in their places (for a recording, which
    reads the index tensors afresh on every call). ``None`` for a list that holds tensors."""
    items = key if isinstance(key, tuple) else (key,)

    def holds_tensor(v) -> bool:
        return isinstance(v, NumpyTensorBase) or isinstance(v, list) and any(map(holds_tensor, v))

    if any(isinstance(k, list) and holds_tensor(k) for k in items):
        return None
    tensors = [k for k in items if isinstance(k, NumpyTensorBase)]

    def rebuild(arrays):
        it = iter(arrays)
        out = tuple(next(it) if isinstance(k, NumpyTensorBase) else k for k in items)
        return out if isinstance(key, tuple) else out[0]

    return tensors, rebuild


def _setitem_error(a: np.ndarray, key, idx, v, exc: Exception) -> Exception:
    try:
        slot = a[idx].shape
    except (IndexError, TypeError, ValueError):
        return index_error(key, a.shape)
    if isinstance(exc, ValueError):
        if not a.flags.writeable:
            return expanded_write_error("item assignment")
        try:
            vshape = np.shape(v)
        except ValueError:
            return exc
        return assign_error(vshape, slot)
    return exc


# --------------------------------------------------------------------------------------------- VJPs


def _zeros(shape, dtype, like):
    # zeros that are a (constant) tensor when `like` is one; np.zeros(like=) refuses numpy scalars
    if isinstance(like, (np.ndarray, np.generic)):
        return np.zeros(shape, dtype)
    return np.zeros(shape, dtype, like=like)


@vjp("getitem", saves=(None, None, None))
def _getitem_vjp(g, ctx, need):
    shape, dtype, index = ctx
    out = _zeros(shape, dtype, like=g)  # a tensor under create_graph: the writes are recorded
    if _may_repeat(index):
        np.add.at(out, index, g)  # add.at: repeated integer indices accumulate, as they must
    else:
        out[index] = g  # ints, slices, masks select each element at most once: a plain write
    return (out,)


def _may_repeat(index) -> bool:
    """Whether an index can select one element twice: it holds an integer array."""
    for k in index if isinstance(index, tuple) else (index,):
        if isinstance(k, list) or isinstance(k, np.ndarray) and k.dtype.kind in "iu" and k.ndim:
            return True
    return False


@vjp("setitem", saves=(None, None))
def _setitem_vjp(g, ctx, need):
    index, value_shape = ctx
    g_old = None
    if need[0] is not None:
        g_old = np.copy(g)
        g_old[index] = 0
    g_val = None
    if need[1] is not None:
        g_val = g[index]
        if g_val.shape != value_shape:  # the value was broadcast into the slot
            g_val = _sum_to(g_val, value_shape)
    return g_old, g_val


def _sum_to(g, shape):
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and g.shape[i + lead] != 1
    )
    out = np.add.reduce(g, axis=axes, keepdims=True) if axes else g
    return out.reshape(shape)


# -------------------------------------------------------------------------- recorded by VJPs
# `np.add.at(t, index, v)` on tensors under create_graph (the getitem VJP's scatter): t + v
# scattered into `index`, repeated indices accumulating; its VJP gathers (see numpy_api)
@vjp("add_at", saves=(None, None))
def _add_at_vjp(g, ctx, need):
    index, value_shape = ctx
    g_val = None
    if need[1] is not None:
        g_val = g[index]
        if g_val.shape != value_shape:  # the value was broadcast into the slots
            g_val = _sum_to(g_val, value_shape)
    return (g if need[0] is not None else None), g_val


@vjp("where", saves=(None,))
def _where_vjp(g, ctx, need):
    (c,) = ctx
    gx = np.where(c, g, 0) if need[0] is not None else None
    gy = np.where(c, 0, g) if need[1] is not None else None
    return gx, gy


@vjp("masked_fill")
def _masked_fill_vjp(g, ctx, need):
    (m,) = ctx
    gx = np.where(m, 0, g) if need[0] is not None else None
    gv = np.asarray(np.sum(np.where(m, g, 0))) if need[1] is not None else None
    return gx, gv


# ---------------------------------------------------------------------------- where and masked_fill


def where(condition, x, y) -> NumpyTensorBase:
    """``x`` where ``condition`` is true, else ``y``; broadcasting, numbers allowed for x, y."""
    if not isinstance(condition, NumpyTensorBase):
        raise where_condition_error(condition)
    c = condition._data
    if c.dtype != np.bool_:  # OneFlow's rule: a non-zero value is true
        c = c != 0
    xa, xt = _operand(x, "where")
    ya, yt = _operand(y, "where")
    try:
        out, ctx = _where_kernel(c, xa, ya)
    except ValueError:
        raise where_shape_error(c.shape, np.shape(xa), np.shape(ya)) from None
    node = None
    if (define.grad_enabled or define.STATE.grad_enabled) and (
        xt is not None and xt._rg or yt is not None and yt._rg
    ):
        node = Node("where", _VJP_WHERE, ctx, (if_rg(xt), if_rg(yt)))
    return recorded(
        make(out, node),
        _where_kernel,
        (condition, xa if xt is None else xt, ya if yt is None else yt),
        "where",
    )


def _where_kernel(c, xa, ya):  # (tensors' arrays or numbers)
    r = _common_dtype((xa, ya))
    return np.where(c, np.asarray(xa, r), np.asarray(ya, r)), (c,)


def _masked_fill(x: NumpyTensorBase, mask, value) -> NumpyTensorBase:
    if not isinstance(mask, NumpyTensorBase) or mask._data.dtype != np.bool_:
        raise mask_error(mask)
    a, m = x._data, mask._data
    vt = None
    if isinstance(value, NumpyTensorBase):
        if value._data.ndim:
            raise mask_value_error(value._data.shape)
        vt, v = value, value._data.astype(a.dtype)
    else:
        v, _ = _operand(value, "masked_fill")
        v = np.asarray(v).astype(a.dtype)  # the tensor keeps its dtype, as in PyTorch
    try:
        out = np.where(m, v, a)
    except ValueError:
        raise mask_shape_error(m.shape, a.shape) from None
    node = None
    if (define.grad_enabled or define.STATE.grad_enabled) and (x._rg or vt is not None and vt._rg):
        node = Node("masked_fill", _VJP_MASKED_FILL, (m,), (if_rg(x), if_rg(vt)))
    return recorded(
        make(out, node), _masked_fill_kernel, (x, mask, v if vt is None else vt), "masked_fill"
    )


def _masked_fill_kernel(a, m, v):  # (v: the value's array, cast to the tensor's dtype)
    return np.where(m, v.astype(a.dtype), a), (m,)


# ---------------------------------------------------------------------------------- scatter_add
@op("scatter_add")
def _scatter_add(a, src, index, d, grad):
    key = scatter_key(index.shape, d, index)
    part = tuple(slice(0, n) for n in index.shape)
    out = a.copy()
    np.add.at(out, key, src[part])
    return out, (key, part, src.shape)


@_scatter_add.defvjp(saves=(None, None, None))
def _scatter_add_vjp(g, ctx, need):
    key, part, src_shape = ctx
    g_src = None
    if need[1] is not None:
        picked = g[key]
        if picked.shape == tuple(src_shape):
            g_src = picked
        else:  # src beyond index's shape was not read: a zero gradient there
            g_src = _zeros(src_shape, picked.dtype, like=g)
            g_src[part] = picked
    return (g if need[0] is not None else None), g_src


def _scatter_dtype_error(x, src):
    from flowkit.errors import DTypeError

    return DTypeError(
        f"scatter_add: src has dtype {src.dtype!r} but the tensor has {x.dtype!r}; convert src "
        "with .to(dtype)"
    )


class NumpyIndexing(NumpyTensorBase):
    """The indexing and selection methods of ``NumpyTensor``."""

    __slots__ = ()

    def __getitem__(self, key) -> NumpyTensorBase:
        idx = _index(key)
        a = self._data
        try:
            out = a[idx]
        except (IndexError, TypeError, ValueError):
            raise index_error(key, a.shape) from None
        if (define.grad_enabled or define.STATE.grad_enabled) and self._rg:
            res = make(out, Node("getitem", _VJP_GETITEM, (a.shape, a.dtype, idx), (self,)))
        else:
            res = make(out)
        if define.tracer is not None:
            parts = _key_tensors(key)
            if parts is None:  # a list holding tensors: its values would be baked in
                define.tracer.fail("indexing with a list of tensors inside build()")
            elif parts[0]:  # the index tensors are inputs of the recorded op, read each call
                tensors, rebuild = parts

                def replayed(a, *arrays):
                    i = _index(rebuild(arrays))
                    return a[i], (a.shape, a.dtype, i)

                define.tracer.record(res, replayed, (self, *tensors), "getitem")
            else:
                ctx = (a.shape, a.dtype, idx)
                define.tracer.record(res, lambda a: (a[idx], ctx), (self,), "getitem")
        return res

    def __setitem__(self, key, value) -> None:
        no_replay("item assignment (t[...] = v) inside build()")
        idx = _index(key)
        tracked = (define.grad_enabled or define.STATE.grad_enabled) and (
            self._rg or isinstance(value, NumpyTensorBase) and value._rg
        )
        v = value._data if isinstance(value, NumpyTensorBase) else value
        if not tracked:
            try:
                self._data[idx] = v
            except (IndexError, ValueError) as exc:
                raise _setitem_error(self._data, key, idx, v, exc) from None
            bump(self._data)
            return
        in_place_check(self, "item assignment")
        view_check(self, "item assignment")
        old = make(self._data, self._node) if self._rg else None  # the value before writing
        old_rg = self._rg
        data = self._data.copy()  # saved arrays of earlier nodes must not change under them
        try:
            data[idx] = v
        except (IndexError, ValueError) as exc:
            raise _setitem_error(self._data, key, idx, v, exc) from None
        vshape = np.shape(v)
        need = (
            old if old_rg else None,
            value if isinstance(value, NumpyTensorBase) and value._rg else None,
        )
        self._data = data
        self._node = Node("setitem", _VJP_SETITEM, (idx, vshape), need)
        self._rg = True

    def where(self, condition, y):
        return where(condition, self, y)

    def scatter_add(self, dim, index, src):
        if not isinstance(src, NumpyTensorBase):
            raise TypeError(f"scatter_add: src must be a flowkit tensor, got {type(src).__name__}")
        if src._data.dtype != self._data.dtype:
            raise _scatter_dtype_error(self, src)
        a = self._data
        d, _ = scatter_check("scatter_add", a.shape, dim, index, src._data.shape)
        if not a.ndim:
            return self.reshape(1).scatter_add(0, index.reshape(-1), src.reshape(-1)).reshape(())
        return _scatter_add((self, src, index), d, inputs=(self, src))

    def masked_fill(self, mask, value):
        return _masked_fill(self, mask, value)


_VJP_GETITEM, _VJP_SETITEM = VJP["getitem"], VJP["setitem"]
_VJP_WHERE, _VJP_MASKED_FILL = VJP["where"], VJP["masked_fill"]
forward_op("getitem")
forward_op("setitem")
forward_op("where")
forward_op("masked_fill")
