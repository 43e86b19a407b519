"""Reductions on the numpy backend (the contract and the rules: :mod:`flowkit.ops.reduction`):
``sum``, ``mean``, ``prod``, ``max``/``min``, ``argmax``/``argmin``, ``var``/``std``, ``norm``,
``any``/``all``.

``sum`` and ``mean`` are on every training step's path, so they are written out inline; the
others are :func:`~.define.op` definitions: kernel and VJP side by side.
"""

from __future__ import annotations

import numpy as np

from flowkit import dtypes as _dt
from flowkit import return_types as _rt
from flowkit.ops.arithmetic import need_float_error
from flowkit.ops.reduction import (
    cum_dtype,
    empty_dim_error,
    empty_reduction_error,
    extreme_dims,
    no_bool,
    norm_order,
    reduction_dims,
    topk_k,
    variance_args,
)
from flowkit.ops.shape import normalize_dims, one_dim
from flowkit.tensor import Tensor

from . import define
from .define import NumpyTensorBase, forward_op, fresh, make, op, recorded, vjp
from .engine import VJP, Node


def _reduce_dims(dim, a: np.ndarray):
    # 0-d tensors accept dim 0 and -1 (their one implicit dimension) and reduce over nothing;
    # dim=() reduces over every dimension, as PyTorch's sum/mean (and the torch backend)
    if dim is None:
        return None
    return (reduction_dims(dim, a.ndim) or None) if a.ndim else normalize_dims(dim, 0) and None


def _keep_all(out: np.ndarray, ndim: int, keepdim: bool) -> np.ndarray:
    """A full reduction with ``keepdim``: every dimension kept as 1 (numpy's keepdims)."""
    return out.reshape((1,) * ndim) if keepdim else out


def _need_float(op: str, t) -> np.ndarray:
    a = t._data
    if a.dtype.kind != "f":
        raise need_float_error(f"{op}()", t.dtype)
    return a


def _int64_accumulator(a: np.ndarray) -> np.ndarray:
    # integer (and bool) sums and products accumulate in int64, as in PyTorch
    if a.dtype.kind in "bu" or a.dtype.kind == "i" and a.dtype != np.int64:
        return a.astype(np.int64)
    return a


# -------------------------------------------------------------- sum and mean (inline: the hot path)


# -------------------------------------------------------------------------- reductions
def _expand_reduced(g, shape, dims, keepdim):
    if isinstance(g, (np.ndarray, np.generic)):
        # plain arrays: one owned array filled by broadcasting (np.broadcast_to and
        # np.expand_dims cost microseconds of Python each, and the engine would copy the
        # read-only view before storing it as a .grad anyway)
        if dims is not None and not keepdim:
            kept = list(shape)
            for d in dims:
                kept[d] = 1
            g = g.reshape(kept)
        out = np.empty(shape, g.dtype)
        out[...] = g
        return out
    if dims is None:  # create_graph: tensors, through the differentiable numpy API
        return np.broadcast_to(g, shape)
    if not keepdim:
        g = np.expand_dims(g, dims)
    return np.broadcast_to(g, shape)


@vjp("sum", saves=(None, None, None))
def _sum_vjp(g, ctx, need):
    shape, dims, keepdim = ctx
    return (_expand_reduced(g, shape, dims, keepdim),)


@vjp("mean", saves=(None, None, None, None))
def _mean_vjp(g, ctx, need):
    shape, dims, keepdim, n = ctx
    return (_expand_reduced(g / n, shape, dims, keepdim),)


def _mean_ctx(a: np.ndarray, dims, keepdim: bool) -> tuple:
    n = a.size if dims is None else int(np.prod([a.shape[d] for d in dims]))
    return (a.shape, dims, keepdim, n)


def _sum_kernel(dims, keepdim, dtype):
    def kernel(a):
        a = _int64_accumulator(a)
        out = np.add.reduce(a, axis=dims, keepdims=keepdim)
        if dtype is not None:
            out = out.astype(_dt.to_dtype(dtype).np)
        return fresh(out), (a.shape, dims, keepdim)

    return kernel


# ----------------------------------------------------------------------------------- defined as ops


@op("prod")
def _prod(a, d0, keepdim, dtype, grad):
    a = _int64_accumulator(a)
    if dtype is not None:
        a = a.astype(_dt.to_dtype(dtype).np)
    d = None if a.ndim == 0 else d0
    out = np.prod(a, axis=d, keepdims=keepdim)
    if d is None:
        out = _keep_all(out, a.ndim, keepdim)
    return fresh(out), (a, d, keepdim)


@_prod.defvjp
def _prod_vjp(g, ctx, need):
    a, d, keepdim = ctx
    if a.size == 0:
        return (np.zeros_like(a),)
    flat = a.reshape(-1) if d is None else a
    axis = 0 if d is None else d
    # the product of every *other* element, from exclusive prefix and suffix products: exact
    # where some elements are zero (out / a would divide by zero)
    m = np.moveaxis(flat, axis, -1)
    one = np.ones(m.shape[:-1] + (1,), m.dtype)
    left = np.concatenate([one, np.cumprod(m[..., :-1], -1)], -1)
    right = np.concatenate([one, np.cumprod(m[..., :0:-1], -1)], -1)[..., ::-1]
    others = np.moveaxis(left * right, -1, axis).reshape(a.shape)
    dims = None if d is None else (d,)
    return (_expand_reduced(g, a.shape, dims, keepdim) * others,)


@op("norm")
def _norm(a, pv, dims, keepdim, grad):
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


@_norm.defvjp(saves=("in0", "out", None, None, None))
def _norm_vjp(g, ctx, need):
    a, out, p, dims, keepdim = ctx
    ge = _expand_reduced(g, a.shape, dims, keepdim)
    n = _expand_reduced(out, a.shape, dims, keepdim)
    with np.errstate(divide="ignore", invalid="ignore"):
        if p == 2:
            return (ge * np.where(n == 0, 0, a / n),)  # zero at a zero vector, as in PyTorch
        if p == 1:
            return (ge * np.sign(a),)
        if p == 0:
            return (np.zeros_like(a),)
        if np.isinf(p):  # shared evenly by the elements at the max (min) magnitude
            hit = np.abs(a) == n
            count = np.sum(hit, axis=dims, keepdims=True)
            return (ge * np.sign(a) * hit / count,)
        r = np.abs(a) ** (p - 1) / n ** (p - 1)
        return (ge * np.sign(a) * np.where((a == 0) | (n == 0), 0, r),)


def _variance(a, std, dims, keepdim, denom, grad):
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = a - a.mean(axis=dims, keepdims=True)
        out = np.sum(diff * diff, axis=dims, keepdims=keepdim) / a.dtype.type(denom)
        if std:
            out = np.sqrt(out)
    out = np.asarray(out, a.dtype)
    if dims is None:
        out = _keep_all(out, a.ndim, keepdim)
    return out, (diff, denom, out if std else None, dims, keepdim)


_var_op, _std_op = op("var")(_variance), op("std")(_variance)


@_var_op.defvjp
@_std_op.defvjp
def _var_std(g, ctx, need):
    diff, denom, std, dims, keepdim = ctx
    ge = _expand_reduced(g, diff.shape, dims, keepdim)
    with np.errstate(divide="ignore", invalid="ignore"):
        if std is None:  # var: 2 (x - mean) / (n - correction)
            return (ge * diff * (2.0 / denom if denom else np.inf),)
        se = _expand_reduced(std, diff.shape, dims, keepdim)
        # where std is 0 (constant values) the gradient is 0, as PyTorch masks it
        return (np.where(se == 0, 0, ge * diff / (se * denom)),)


def _var(x, std: bool, dim, unbiased, keepdim: bool, correction):
    dim, ddof = variance_args(dim, unbiased, correction)
    a = _need_float("std" if std else "var", x)
    dims = _reduce_dims(dim, a)
    n = a.size if dims is None else int(np.prod([a.shape[d] for d in dims]))
    denom = max(n - ddof, 0)  # n <= ddof gives inf or nan, as in PyTorch
    return (_std_op if std else _var_op)((x,), std, dims, keepdim, denom)


def _extreme_kernel(reduce):
    def kernel(a, dims, keepdim, grad):
        kept = reduce(a, axis=dims, keepdims=True)  # kept for the VJP's comparison
        if keepdim:
            return kept, (a, kept, dims, keepdim)
        out = kept.reshape(
            () if dims is None else tuple(s for i, s in enumerate(a.shape) if i not in dims)
        )
        return out, (a, kept, dims, keepdim)

    return kernel


_amax = op("amax")(_extreme_kernel(np.max))
_amin = op("amin")(_extreme_kernel(np.min))


@_amax.defvjp
@_amin.defvjp
def _extreme_vjp(g, ctx, need):
    a, kept, dims, keepdim = ctx  # every element equal to the extreme shares the gradient
    hit = (a == kept) | (np.isnan(a) & np.isnan(kept))
    share = _expand_reduced(g, a.shape, dims, keepdim) / hit.sum(axis=dims, keepdims=True)
    return (np.where(hit, share, 0).astype(a.dtype, copy=False),)


@op("logsumexp")
def _logsumexp(a, dims, keepdim, grad):
    if a.dtype.kind != "f":
        a = a.astype(np.float32)  # integers give float32, as in PyTorch
    # take the maximum out so exp cannot overflow; an infinite (or empty: initial) maximum is
    # not taken out, so all -inf gives -inf and +inf gives +inf, as in PyTorch
    m = np.max(a, axis=dims, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0).astype(a.dtype, copy=False)
    with np.errstate(divide="ignore"):  # log(0): a reduction over nothing is -inf
        kept = np.log(np.add.reduce(np.exp(a - m), axis=dims, keepdims=True)) + m
    out = (
        kept
        if keepdim
        else kept.reshape(
            () if dims is None else tuple(s for i, s in enumerate(a.shape) if i not in dims)
        )
    )
    return out, (a, out, dims, keepdim)


@_logsumexp.defvjp(saves=("in0", "out", None, None))
def _logsumexp_vjp(g, ctx, need):
    a, out, dims, keepdim = ctx  # d/da log(sum(exp(a))) = exp(a - out): the softmax
    kept = out if keepdim or dims is None else np.expand_dims(out, dims)
    return (_expand_reduced(g, a.shape, dims, keepdim) * np.exp(a - kept),)


def _truth_kernel(reduce):
    def kernel(a, dims, keepdim, grad):
        out = reduce(a, axis=dims, keepdims=keepdim)
        return fresh(_keep_all(out, a.ndim, keepdim) if dims is None else out), None

    return kernel


_any = op("any", differentiable=False)(_truth_kernel(np.any))
_all = op("all", differentiable=False)(_truth_kernel(np.all))


# ----------------------------------------------------------------- max and min (values and indices)


# ---------------------------------------------------------------------------------- reductions
def _minmax(x: NumpyTensorBase, dim, keepdim: bool, op: str, reduce, arg):
    if isinstance(dim, NumpyTensorBase):  # max(other): the elementwise maximum, as in PyTorch
        return x.maximum(dim) if op == "max" else x.minimum(dim)
    a = x._data
    track = (define.grad_enabled or define.STATE.grad_enabled) and x._rg
    if dim is None:
        if a.size == 0:
            raise empty_reduction_error(op, a.shape)

        def kernel(a):  # ties share the gradient evenly, as in PyTorch
            out = _keep_all(np.asarray(reduce(a)), a.ndim, keepdim)
            return out, (a, out, None)

        out, ctx = kernel(a)
        return recorded(
            make(out, Node(op, VJP["max"], ctx, (x,)) if track else None), kernel, (x,), op
        )
    d = one_dim(op, dim, a.ndim)
    if a.ndim and a.shape[d] == 0:
        raise empty_dim_error(op, dim, d, a.shape)

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
    values = recorded(
        make(vals, Node(op, VJP["max"], ctx, (x,)) if track else None), values_kernel, (x,), op
    )
    indices = recorded(make(indices_kernel(a)[0]), indices_kernel, (x,), "arg" + op)
    return (_rt.max if op == "max" else _rt.min)(values, indices)


def _argminmax(x: NumpyTensorBase, dim, keepdim: bool, op: str, arg) -> NumpyTensorBase:
    a = x._data
    if a.size == 0 and dim is None:
        raise empty_reduction_error(op, a.shape)
    if dim is None or a.ndim == 0:
        if dim is not None:
            one_dim(op, dim, 0)
        shape = (1,) * a.ndim if keepdim else ()

        def kernel(a):
            return np.asarray(arg(a.reshape(-1)), np.int64).reshape(shape), None

        return recorded(make(kernel(a)[0]), kernel, (x,), op)
    d = one_dim(op, dim, a.ndim)
    if a.shape[d] == 0:
        raise empty_dim_error(op, dim, d, a.shape)
    res = make(arg(a, axis=d, keepdims=keepdim).astype(np.int64, copy=False))
    if define.tracer is not None:  # (along a dim: the common `logits.argmax(1) == y`)
        define.tracer.record(
            res,
            lambda a: (arg(a, axis=d, keepdims=keepdim).astype(np.int64, copy=False), None),
            (x,),
            op,
        )
    return res


@vjp("max")
@vjp("min")
def _minmax_vjp(g, ctx, need):
    if ctx[2] is None:  # full reduction: ties share the gradient evenly
        a, out, _ = ctx
        hit = (a == out) | (np.isnan(a) & np.isnan(out))
        return (np.where(hit, g / np.sum(hit), 0).astype(a.dtype, copy=False),)
    shape, dtype, (d, keepdim, idx) = ctx
    out = np.zeros(shape, dtype)
    if not keepdim and idx.ndim < len(shape):
        idx, g = np.expand_dims(idx, d), np.expand_dims(g, d)
    if len(shape) == 0:
        return (np.asarray(g, dtype).copy(),)
    np.put_along_axis(out, idx, g, axis=d)
    return (out,)


# ------------------------------------------------------------- sort, topk, median (by gathering)
# The values are gathered with the tensor's own advanced indexing (the getitem op), so their
# gradient (a scatter back to where each value came from) and its own gradient come from
# getitem's VJP: no separate table entry to keep in step.
def _gather_index(idx: np.ndarray, d: int) -> tuple:
    """The advanced index that picks ``idx`` (positions along ``d``) from each row."""
    ix: list = list(np.indices(idx.shape, sparse=True))
    ix[d] = idx
    return tuple(ix)


def _stable_order(a: np.ndarray, d: int, descending: bool) -> np.ndarray:
    """Stable argsort along ``d`` (NaN last ascending, first descending, as in PyTorch)."""
    if not descending:
        return np.argsort(a, axis=d, kind="stable")
    n = a.shape[d]
    rev = np.argsort(np.flip(a, d), axis=d, kind="stable")  # equal values: last one first
    return np.flip(n - 1 - rev, d)  # reversed: largest first, equal values in their order


def _sorted_along(x: NumpyTensorBase, dim, descending: bool, op: str, k=None):
    a = x._data
    d = one_dim(op, dim, a.ndim)
    if a.ndim == 0:
        if k is not None:
            topk_k(k, 1)  # a 0-d tensor is its one value (for k=0 too, as in PyTorch)
        return x[()], make(np.zeros((), np.int64))
    order = _stable_order(a, d, descending)
    if k is not None:
        k = topk_k(k, a.shape[d])
        order = np.take(order, np.arange(k), axis=d)
    order = order.astype(np.int64, copy=False)
    return x[_gather_index(order, d)], make(order)


def _median(x: NumpyTensorBase, dim, keepdim: bool):
    a = x._data
    no_bool("median", x.dtype)
    if dim is None:
        if a.size == 0:
            raise empty_reduction_error("median", a.shape)
        flat = a.reshape(-1)
        pos = _median_positions(flat[None, :], 1).item()
        value = x.reshape(-1)[pos]
        return value.reshape((1,) * a.ndim) if keepdim else value
    d = one_dim("median", dim, a.ndim)
    if a.ndim == 0:
        return _rt.median(x[()], make(np.zeros((), np.int64)))
    if a.shape[d] == 0:
        raise empty_dim_error("median", dim, d, a.shape)
    pos = _median_positions(a, d)  # keepdim shape
    idx = pos if keepdim else np.squeeze(pos, d)
    return _rt.median(x[_gather_index(pos, d)].reshape(idx.shape), make(idx))


def _median_positions(a: np.ndarray, d: int) -> np.ndarray:
    """The index of the lower median along ``d`` (kept as size 1); a NaN's index if any."""
    n = a.shape[d]
    order = np.argsort(a, axis=d, kind="stable")
    k = np.full(a.shape[:d] + (1,) + a.shape[d + 1 :], (n - 1) // 2, np.int64)
    if a.dtype.kind == "f":
        nans = np.isnan(a).sum(axis=d, keepdims=True)
        k = np.where(nans > 0, n - nans, k)  # the first NaN (NaN sorts last, stably)
    return np.take_along_axis(order, k, axis=d).astype(np.int64, copy=False)


# --------------------------------------------------------------------------- running sums
def _cum_input(a: np.ndarray, dtype) -> np.ndarray:
    want = cum_dtype(_dt.from_numpy_dtype(a.dtype), dtype).np
    return a if a.dtype == want else a.astype(want)


@op("cumsum")
def _cumsum(a, d, dtype, grad):
    a = _cum_input(a, dtype)
    return np.cumsum(a, axis=d).reshape(a.shape), (d,)


@_cumsum.defvjp(saves=(None,))
def _cumsum_vjp(g, ctx, need):
    (d,) = ctx  # each input adds into every later output: the reversed running sum
    if np.ndim(g) == 0:
        return (g,)
    return (np.flip(np.cumsum(np.flip(g, d), axis=d), d),)


@op("cumprod")
def _cumprod(a, d, dtype, grad):
    a = _cum_input(a, dtype)
    out = np.cumprod(a, axis=d).reshape(a.shape)
    return out, (a, out, d)


@_cumprod.defvjp(saves=("in0", "out", None))
def _cumprod_vjp(g, ctx, need):
    a, out, d = ctx
    if np.ndim(g) == 0:
        return (g,)
    if not np.any(_plain(a) == 0):  # d out_j / d a_k = out_j / a_k for j >= k
        return (np.flip(np.cumsum(np.flip(g * out, d), axis=d), d) / a,)
    # zeros: the exact sum over j >= k of g_j * prod(a[:k]) * prod(a[k+1:j+1]), one k at a time
    m, gm, om = np.moveaxis(a, d, -1), np.moveaxis(g, d, -1), np.moveaxis(out, d, -1)
    n = m.shape[-1]
    total = None
    for k in range(n):
        s = gm[..., k]
        if k + 1 < n:
            s = s + np.sum(gm[..., k + 1 :] * np.cumprod(m[..., k + 1 :], axis=-1), axis=-1)
        if k:
            s = s * om[..., k - 1]
        onehot = np.zeros(n, _plain(a).dtype)
        onehot[k] = 1
        term = np.multiply(np.expand_dims(s, -1), onehot)  # (an array operand: a ufunc call)
        total = term if total is None else total + term
    return (np.moveaxis(total, -1, d),)


def _plain(a):
    return a._data if isinstance(a, NumpyTensorBase) else a


class NumpyReduction(NumpyTensorBase):
    """The reduction methods of ``NumpyTensor``."""

    __slots__ = ()

    def sum(self, dim=None, keepdim: bool = False, dtype=None):
        a = self._data
        dims = _reduce_dims(dim, a)  # 0-d: dim 0 is itself; dim=(): all
        a = _int64_accumulator(a)
        # np.add.reduce: np.sum's Python wrapper costs ~1 µs (numpy's stubs want a literal bool)
        out = np.add.reduce(a, axis=dims, keepdims=keepdim)  # type: ignore[call-overload]
        if dtype is not None:
            out = out.astype(_dt.to_dtype(dtype).np)
        if (define.grad_enabled or define.STATE.grad_enabled) and self._rg:
            res = make(out, Node("sum", _VJP_SUM, (a.shape, dims, keepdim), (self,)))
        else:
            res = make(out)
        if define.tracer is not None:
            define.tracer.record(res, _sum_kernel(dims, keepdim, dtype), (self,), "sum")
        return res

    def mean(self, dim=None, keepdim: bool = False) -> NumpyTensorBase:
        a = self._data
        if a.dtype.kind != "f":
            raise need_float_error("mean()", self.dtype)
        dims = _reduce_dims(dim, a)  # 0-d: dim 0 is itself; dim=(): all
        out = np.mean(a, axis=dims, keepdims=keepdim)
        if (define.grad_enabled or define.STATE.grad_enabled) and self._rg:
            res = make(out, Node("mean", _VJP_MEAN, _mean_ctx(a, dims, keepdim), (self,)))
        else:
            res = make(out)
        if define.tracer is not None:
            ctx = _mean_ctx(a, dims, keepdim)  # static for the recorded shapes
            define.tracer.record(
                res,
                lambda a: (fresh(np.mean(a, axis=dims, keepdims=keepdim)), ctx),
                (self,),
                "mean",
            )
        return res

    def max(self, dim=None, keepdim: bool = False):  # noqa: A003 - PyTorch's name
        return _minmax(self, dim, keepdim, "max", np.max, np.argmax)

    def min(self, dim=None, keepdim: bool = False):  # noqa: A003
        return _minmax(self, dim, keepdim, "min", np.min, np.argmin)

    def amax(self, dim=(), keepdim: bool = False):
        return _amax((self,), extreme_dims("amax", dim, self._data.shape), keepdim)

    def amin(self, dim=(), keepdim: bool = False):
        return _amin((self,), extreme_dims("amin", dim, self._data.shape), keepdim)

    def logsumexp(self, dim, keepdim: bool = False):
        return _logsumexp((self,), _reduce_dims(dim, self._data), keepdim)

    def argmax(self, dim=None, keepdim: bool = False):
        return _argminmax(self, dim, keepdim, "argmax", np.argmax)

    def argmin(self, dim=None, keepdim: bool = False):
        return _argminmax(self, dim, keepdim, "argmin", np.argmin)

    def prod(self, dim=None, keepdim: bool = False, dtype=None):
        d0 = None if dim is None else one_dim("prod", dim, self._data.ndim)
        return _prod((self,), d0, keepdim, dtype)

    def var(self, dim=None, unbiased: bool = True, keepdim: bool = False, *, correction=None):
        return _var(self, False, dim, unbiased, keepdim, correction)

    def std(self, dim=None, unbiased: bool = True, keepdim: bool = False, *, correction=None):
        return _var(self, True, dim, unbiased, keepdim, correction)

    def norm(self, p="fro", dim=None, keepdim: bool = False):
        return _norm((self,), norm_order(p), _reduce_dims(dim, _need_float("norm", self)), keepdim)

    def sort(self, dim=-1, descending: bool = False, *, stable: bool = False):
        return _rt.sort(*_sorted_along(self, dim, descending, "sort"))

    def argsort(self, dim=-1, descending: bool = False, *, stable: bool = False):
        a = self._data
        d = one_dim("argsort", dim, a.ndim)
        if a.ndim == 0:
            return make(np.zeros((), np.int64))
        return make(_stable_order(a, d, descending).astype(np.int64, copy=False))

    def topk(self, k, dim=-1, largest: bool = True, sorted: bool = True):  # noqa: A002
        return _rt.topk(*_sorted_along(self, dim, largest, "topk", k))

    def median(self, dim=None, keepdim: bool = False):
        return _median(self, dim, keepdim)

    def nansum(self, dim=None, keepdim: bool = False, *, dtype=None):
        x: Tensor = self
        if self._data.dtype.kind == "f":
            x = self.masked_fill(self.isnan(), 0)  # NaN adds nothing (and gets no gradient)
        return x.sum(dim, keepdim, cum_dtype(self.dtype, dtype) if dtype is not None else None)

    def cumsum(self, dim, *, dtype=None):
        return _cumsum((self,), one_dim("cumsum", dim, self._data.ndim), dtype)

    def cumprod(self, dim, *, dtype=None):
        return _cumprod((self,), one_dim("cumprod", dim, self._data.ndim), dtype)

    def any(self, dim=None, keepdim: bool = False):  # noqa: A003 - PyTorch's name
        return _any((self,), _reduce_dims(dim, self._data), keepdim)

    def all(self, dim=None, keepdim: bool = False):  # noqa: A003
        return _all((self,), _reduce_dims(dim, self._data), keepdim)


forward_op("sum")
forward_op("mean")
forward_op("max")
forward_op("min")
forward_op("argmax", differentiable=False)
forward_op("argmin", differentiable=False)
_VJP_SUM = VJP["sum"]  # (looked up once: the hot path)
_VJP_MEAN = VJP["mean"]  # (looked up once: the hot path)
