"""In-place ops on the torch backend (the contract and the rules: :mod:`flowkit.ops.inplace`).

Outside autograd an in-place op is torch's own. On a tensor autograd tracks it is computed out
of place and the tensor moves onto the result, as on the numpy backend, so values saved by
earlier ops are never overwritten (torch would fail the backward with a version-counter error).
"""

from __future__ import annotations

import numpy as np
import torch

from flowkit.ops.arithmetic import bool_sub_error, is_bool_operand, operand_type_error
from flowkit.ops.inplace import (
    copy_shape_error,
    fill_value,
    leaf_error,
    result_dtype_error,
    result_shape_error,
)

from .arithmetic import TorchArithmetic, _clamp
from .define import TorchTensorBase, _binary_error, _scalar, _wrap, from_torch_dtype
from .indexing import _masked_fill, _write_error


def _result_dtype(op: str, t: torch.Tensor, o) -> torch.dtype:
    r = torch.result_type(t, o)
    if op == "div_" and not r.is_floating_point:
        r = torch.get_default_dtype()  # true division of integers gives a float
    return r


def _operand_np_dtype(other) -> str:
    """What the numpy backend names as the dtype of an operand in its in-place error."""
    if isinstance(other, TorchTensorBase):
        return other.dtype.name
    return str(np.asarray(other).dtype)


def _inplace_error(op: str, t: torch.Tensor, other, o, exc: Exception) -> Exception:
    if "single memory location" in str(exc):  # writing into an expanded tensor
        return _write_error(op, exc)
    e = _binary_error(op, t, o, exc, out_shape=t.shape)
    if e is not exc:
        return e
    try:
        r = _result_dtype(op, t, o)
    except (RuntimeError, TypeError):
        return exc
    if not torch.can_cast(r, t.dtype):
        return result_dtype_error(op, _operand_np_dtype(other), from_torch_dtype(t.dtype))
    return exc


class TorchInplace(TorchTensorBase):
    """The in-place methods of ``TorchTensor``."""

    __slots__ = ()

    def _assign_result(self, op: str, r: torch.Tensor, name: str) -> TorchTensorBase:
        """End of an in-place op computed out of place, as on the numpy backend: the result
        written into this tensor or, inside a graph, this tensor moved onto the result."""
        t = self._t
        if r.shape != t.shape:
            raise result_shape_error(op, r.shape, t.shape)
        if r.dtype != t.dtype and not torch.can_cast(r.dtype, t.dtype):
            raise result_dtype_error(op, from_torch_dtype(r.dtype).name, self.dtype)
        if r.requires_grad and torch.is_grad_enabled():
            if t._base is not None:  # a view: written through into its base, as in PyTorch
                return self._write_through(op, r, name)
            self._t, self._op = r.to(t.dtype), name
            return self
        try:
            with torch.no_grad():
                t.copy_(r)
        except RuntimeError as exc:
            raise _write_error(op, exc) from None
        return self

    def _inplace(self, op: str, fn, out_of_place, other):
        t = self._t
        if isinstance(other, TorchTensorBase):
            o = other._t
            o_rg = o.requires_grad
        else:
            o = _scalar(other, op)
            if o is None:  # a list, a raw torch tensor...: torch would take some of them
                raise operand_type_error(op, other)
            o_rg = False
        if (t.requires_grad or o_rg) and torch.is_grad_enabled():
            if t.requires_grad and t.is_leaf:
                raise leaf_error(op)
            if t._base is not None:  # a view: written through into its base, as in PyTorch
                res = out_of_place(_wrap(t.clone(), self._op), other)
                if res._t.shape != t.shape:
                    raise result_shape_error(op, res._t.shape, t.shape)
                return self._write_through(op, res._t, res._op)
            # inside a graph: compute out of place and move this tensor onto the result, as the
            # numpy backend does, so values saved by earlier ops are never overwritten (torch
            # would fail the backward with a version-counter error instead)
            res = out_of_place(self, other)
            self._t, self._op = res._t, res._op
            return self
        try:
            fn(t, o)
        except RuntimeError as exc:
            raise _inplace_error(op, t, other, o, exc) from None
        return self

    def _write_through(self, op: str, r: torch.Tensor, name) -> TorchTensorBase:
        """``r`` (computed out of place, from a clone of this view) copied into this view of a
        tensor in a graph: torch's autograd moves the base onto the write (CopySlices)."""
        t = self._t
        base = t._base
        if base is not None and base.requires_grad and base.is_leaf:
            raise leaf_error(op)
        if r.dtype != t.dtype and not torch.can_cast(r.dtype, t.dtype):
            raise result_dtype_error(op, from_torch_dtype(r.dtype).name, self.dtype)
        try:
            t.copy_(r)
        except RuntimeError as exc:
            raise _write_error(op, exc) from None
        self._op = name
        return self

    def add_(self, other, alpha=None):
        if alpha is not None:
            other = other * alpha  # two roundings, as the numpy backend (torch's alpha fuses)
        return self._inplace("add_", torch.Tensor.add_, TorchArithmetic.__add__, other)

    def sub_(self, other, alpha=None):
        if alpha is not None:
            if is_bool_operand(other):  # (other * alpha would hide it)
                raise bool_sub_error("sub_", self, other)
            other = other * alpha
        return self._inplace("sub_", torch.Tensor.sub_, TorchArithmetic.__sub__, other)

    def mul_(self, other):
        return self._inplace("mul_", torch.Tensor.mul_, TorchArithmetic.__mul__, other)

    def div_(self, other):
        return self._inplace("div_", torch.Tensor.div_, TorchArithmetic.__truediv__, other)

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_

    def _check_leaf(self, op: str) -> None:
        t = self._t
        if t.requires_grad and t.is_leaf and torch.is_grad_enabled():
            raise leaf_error(op)

    def zero_(self) -> TorchTensorBase:
        return self.fill_(0)

    def fill_(self, value) -> TorchTensorBase:
        self._check_leaf("fill_")
        value = fill_value(value, self.dtype)
        if isinstance(value, TorchTensorBase):
            value = value._t
        with torch.no_grad():  # a plain write, as on numpy: the graph is not extended
            self._t.fill_(value)
        return self

    def copy_(self, src) -> TorchTensorBase:
        self._check_leaf("copy_")
        t = self._t
        s = src._t if isinstance(src, TorchTensorBase) else torch.as_tensor(np.asarray(src))
        try:
            with torch.no_grad():
                t.copy_(s)
        except RuntimeError:
            try:
                torch.broadcast_to(torch.empty(s.shape, device="meta"), t.shape)
            except RuntimeError:
                raise copy_shape_error(s.shape, t.shape) from None
            raise
        return self

    def clamp_(self, min=None, max=None):  # noqa: A002 - PyTorch's names
        self._check_leaf("clamp_")
        t = self._t
        if t._base is not None and t.requires_grad and torch.is_grad_enabled():
            t = t.clone()  # a view written through: clamp must not save the view's values
        return self._assign_result("clamp_", _clamp(t, min, max), "clamp")

    clip_ = clamp_

    def masked_fill_(self, mask, value):
        self._check_leaf("masked_fill_")
        return self._assign_result("masked_fill_", _masked_fill(self, mask, value), "masked_fill")

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        self._check_leaf("scatter_")
        res = self.scatter(dim, index, src, value=value, reduce=reduce)
        return self._assign_result("scatter_", res._t, res._op)

    def scatter_add_(self, dim, index, src):
        self._check_leaf("scatter_add_")
        res = self.scatter_add(dim, index, src)
        return self._assign_result("scatter_add_", res._t, res._op)

    def index_add_(self, dim, index, source, *, alpha=1):
        self._check_leaf("index_add_")
        res = self.index_add(dim, index, source, alpha=alpha)
        return self._assign_result("index_add_", res._t, res._op)
