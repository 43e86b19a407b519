"""Reductions on the torch backend (the contract and the rules: :mod:`flowkit.ops.reduction`)."""

from __future__ import annotations

import warnings

import torch

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

from .define import TorchTensorBase, _wrap, to_torch_dtype


def _minmax(x: TorchTensorBase, dim, keepdim: bool, op: str, fn, result):
    if isinstance(dim, TorchTensorBase):  # max(other): the elementwise maximum, as in PyTorch
        return x.maximum(dim) if op == "max" else x.minimum(dim)
    t = x._t
    if dim is None:
        if t.numel() == 0:
            raise empty_reduction_error(op, t.shape)
        out = fn(t)
        return _wrap(out.reshape((1,) * t.dim()) if keepdim else out, op)
    d = one_dim(op, dim, t.dim())
    if t.dim() and t.shape[d] == 0:
        raise empty_dim_error(op, dim, d, t.shape)
    values, indices = fn(t, d, keepdim)
    return result(_wrap(values, op), _wrap(indices))


def _argminmax(x: TorchTensorBase, dim, keepdim: bool, op: str, fn) -> TorchTensorBase:
    t = x._t
    if t.dtype is torch.bool:
        t = t.to(torch.uint8)  # torch refuses bool; numpy (and so flowkit) orders False < True
    if dim is None:
        if t.numel() == 0:
            raise empty_reduction_error(op, t.shape)
        return _wrap(fn(t, None, keepdim))
    d = one_dim(op, dim, t.dim())
    if t.dim() and t.shape[d] == 0:
        raise empty_dim_error(op, dim, d, t.shape)
    return _wrap(fn(t, d, keepdim))


def _var(x: TorchTensorBase, op: str, dim, unbiased, keepdim: bool, correction) -> TorchTensorBase:
    dim, ddof = variance_args(dim, unbiased, correction)
    t = x._t
    if not t.is_floating_point():
        raise need_float_error(f"{op}()", x.dtype)
    dims = (reduction_dims(dim, t.dim()) or None) if t.dim() else normalize_dims(dim, 0) and None
    with warnings.catch_warnings():  # n <= correction: nan or inf, quietly as on numpy
        warnings.simplefilter("ignore")
        out = (torch.std if op == "std" else torch.var)(t, dims, correction=ddof, keepdim=keepdim)
    return _wrap(out, op)


def _any_all(t: torch.Tensor, fn, dim, keepdim: bool) -> torch.Tensor:
    if dim is None:
        r = fn(t)
        if keepdim:
            r = r.reshape((1,) * t.dim())
    else:
        dims = reduction_dims(dim, t.dim()) if t.dim() else normalize_dims(dim, 0) and ()
        if dims:
            r = fn(t, dims, keepdim)
        else:  # dim=() (or a 0-d tensor): every dimension, as sum/mean do
            r = fn(t)
            if keepdim:
                r = r.reshape((1,) * t.dim())
    return r if r.dtype is torch.bool else r.bool()  # uint8 in gives uint8 in torch


# ------------------------------------------------------------- sort, topk, median (stable sorts)
def _stable_order(t: torch.Tensor, d: int, descending: bool) -> torch.Tensor:
    """Stable argsort along ``d``: the numpy backend's order (NaN last ascending, first
    descending; equal values in their order either way)."""
    if t.dtype is torch.bool:
        t = t.to(torch.uint8)
    return torch.sort(t, dim=d, descending=descending, stable=True).indices


def _sorted_along(x: TorchTensorBase, dim, descending: bool, op: str, k=None):
    t = x._t
    d = one_dim(op, dim, t.dim())
    if t.dim() == 0:
        if k is not None:
            topk_k(k, 1)  # a 0-d tensor is its one value (for k=0 too, as in PyTorch)
        return _wrap(t.clone(), op), _wrap(torch.zeros((), dtype=torch.int64))
    order = _stable_order(t, d, descending)
    if k is not None:
        order = order.narrow(d, 0, topk_k(k, t.shape[d]))
    return _wrap(torch.gather(t, d, order), op), _wrap(order)


def _median(x: TorchTensorBase, dim, keepdim: bool):
    t = x._t
    no_bool("median", x.dtype)
    if dim is None:
        if t.numel() == 0:
            raise empty_reduction_error("median", t.shape)
        flat = t.reshape(1, -1)
        value = torch.gather(flat, 1, _median_positions(flat, 1)).reshape(())
        return _wrap(value.reshape((1,) * t.dim()) if keepdim else value, "median")
    d = one_dim("median", dim, t.dim())
    if t.dim() == 0:
        return _rt.median(_wrap(t.clone(), "median"), _wrap(torch.zeros((), dtype=torch.int64)))
    if t.shape[d] == 0:
        raise empty_dim_error("median", dim, d, t.shape)
    pos = _median_positions(t, d)
    values = torch.gather(t, d, pos)
    if not keepdim:
        values, pos = values.squeeze(d), pos.squeeze(d)
    return _rt.median(_wrap(values, "median"), _wrap(pos))


def _median_positions(t: torch.Tensor, d: int) -> torch.Tensor:
    """The index of the lower median along ``d`` (kept as size 1); a NaN's index if any."""
    n = t.shape[d]
    order = torch.sort(t.detach(), dim=d, stable=True).indices
    shape = list(t.shape)
    shape[d] = 1
    k = torch.full(shape, (n - 1) // 2, dtype=torch.int64)
    if t.is_floating_point():
        nans = torch.isnan(t.detach()).sum(dim=d, keepdim=True)
        k = torch.where(nans > 0, n - nans, k)  # the first NaN (NaN sorts last, stably)
    return torch.gather(order, d, k)


def _cum(x: TorchTensorBase, op: str, dim, dtype) -> TorchTensorBase:
    t = x._t
    d = one_dim(op, dim, t.dim())
    want = to_torch_dtype(cum_dtype(x.dtype, dtype))
    if t.dtype != want:
        t = t.to(want)
    return _wrap(getattr(torch, op)(t, d), op)


class TorchReduction(TorchTensorBase):
    """The reduction methods of ``TorchTensor``."""

    __slots__ = ()

    def sum(self, dim=None, keepdim: bool = False, dtype=None) -> TorchTensorBase:
        t = self._t
        try:
            if dim is None:
                # keepdim without dim keeps every dimension as 1 (numpy's keepdims)
                out = t.sum(tuple(range(t.dim())), True) if keepdim and t.dim() else t.sum()
            else:
                out = t.sum(dim, keepdim)
        except (IndexError, RuntimeError, TypeError):
            reduction_dims(dim, t.dim())  # raises the numpy backend's message
            raise
        if dtype is not None:
            out = out.to(to_torch_dtype(dtype))  # cast after summing, as the numpy backend does
        return _wrap(out, "sum")

    def mean(self, dim=None, keepdim: bool = False) -> TorchTensorBase:
        t = self._t
        try:
            if dim is None:
                out = t.mean(tuple(range(t.dim())), True) if keepdim and t.dim() else t.mean()
            else:
                out = t.mean(dim, keepdim)
        except (RuntimeError, IndexError, TypeError):
            if not t.is_floating_point():
                raise need_float_error("mean()", self.dtype) from None
            reduction_dims(dim, t.dim())
            raise
        return _wrap(out, "mean")

    def max(self, dim=None, keepdim: bool = False):  # noqa: A003 - PyTorch's name
        return _minmax(self, dim, keepdim, "max", torch.max, _rt.max)

    def min(self, dim=None, keepdim: bool = False):  # noqa: A003
        return _minmax(self, dim, keepdim, "min", torch.min, _rt.min)

    def logsumexp(self, dim, keepdim: bool = False):
        t = self._t
        if t.dim():
            dims = reduction_dims(dim, t.dim())
        else:  # a 0-d tensor: dim 0 (or -1) reduces nothing
            normalize_dims(dim, 0)
            dims = ()
        return _wrap(torch.logsumexp(t, dims or (), keepdim), "logsumexp")

    def amax(self, dim=(), keepdim: bool = False):
        dims = extreme_dims("amax", dim, self._t.shape)
        return _wrap(torch.amax(self._t, () if dims is None else dims, keepdim), "amax")

    def amin(self, dim=(), keepdim: bool = False):
        dims = extreme_dims("amin", dim, self._t.shape)
        return _wrap(torch.amin(self._t, () if dims is None else dims, keepdim), "amin")

    def argmax(self, dim=None, keepdim: bool = False) -> TorchTensorBase:
        return _argminmax(self, dim, keepdim, "argmax", torch.argmax)

    def argmin(self, dim=None, keepdim: bool = False) -> TorchTensorBase:
        return _argminmax(self, dim, keepdim, "argmin", torch.argmin)

    def prod(self, dim=None, keepdim: bool = False, dtype=None) -> TorchTensorBase:
        t = self._t
        td = None if dtype is None else to_torch_dtype(dtype)
        if td is not None and t.requires_grad and not (td.is_floating_point or td.is_complex):
            t = t.detach()  # an integer product has no gradient (torch's autograd refuses it)
        if dim is None:
            out = t.prod(dtype=td)
            if keepdim:
                out = out.reshape((1,) * t.dim())
        else:
            out = t.prod(one_dim("prod", dim, t.dim()), keepdim, dtype=td)
        return _wrap(out, "prod")

    def var(
        self, dim=None, unbiased: bool = True, keepdim: bool = False, *, correction=None
    ) -> TorchTensorBase:
        return _var(self, "var", dim, unbiased, keepdim, correction)

    def std(
        self, dim=None, unbiased: bool = True, keepdim: bool = False, *, correction=None
    ) -> TorchTensorBase:
        return _var(self, "std", dim, unbiased, keepdim, correction)

    def norm(self, p="fro", dim=None, keepdim: bool = False) -> TorchTensorBase:
        t = self._t
        if not t.is_floating_point():
            raise need_float_error("norm()", self.dtype)
        pv = norm_order(p)
        dims = (
            (reduction_dims(dim, t.dim()) or None) if t.dim() else normalize_dims(dim, 0) and None
        )
        out = torch.linalg.vector_norm(t, pv, dims, keepdim)
        if dims is None and keepdim and out.dim() != t.dim():
            out = out.reshape((1,) * t.dim())
        return _wrap(out, "norm")

    def sort(self, dim=-1, descending: bool = False, *, stable: bool = False):
        return _rt.sort(*_sorted_along(self, dim, descending, "sort"))

    def argsort(self, dim=-1, descending: bool = False, *, stable: bool = False):
        t = self._t
        d = one_dim("argsort", dim, t.dim())
        if t.dim() == 0:
            return _wrap(torch.zeros((), dtype=torch.int64))
        return _wrap(_stable_order(t.detach(), d, descending))

    def topk(self, k, dim=-1, largest: bool = True, sorted: bool = True):  # noqa: A002
        return _rt.topk(*_sorted_along(self, dim, largest, "topk", k))

    def median(self, dim=None, keepdim: bool = False):
        return _median(self, dim, keepdim)

    def nansum(self, dim=None, keepdim: bool = False, *, dtype=None):
        x: TorchTensorBase = self
        if self._t.is_floating_point():
            x = _wrap(torch.where(torch.isnan(self._t), 0, self._t), "nansum")
        out = TorchReduction.sum(x, dim, keepdim, dtype)  # type: ignore[arg-type]
        return _wrap(out._t, "nansum")

    def cumsum(self, dim, *, dtype=None):
        return _cum(self, "cumsum", dim, dtype)

    def cumprod(self, dim, *, dtype=None):
        return _cum(self, "cumprod", dim, dtype)

    def any(self, dim=None, keepdim: bool = False) -> TorchTensorBase:
        return _wrap(_any_all(self._t, torch.any, dim, keepdim))

    def all(self, dim=None, keepdim: bool = False) -> TorchTensorBase:
        return _wrap(_any_all(self._t, torch.all, dim, keepdim))
