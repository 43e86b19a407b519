"""The matrix product on the torch backend (the contract and the rules:
:mod:`flowkit.ops.linalg`)."""

from __future__ import annotations

import torch

from flowkit.errors import ShapeError
from flowkit.ops.linalg import (
    add_product_args,
    cross_dim,
    inverse_args,
    matmul_error,
    matrix_args,
    operand_error,
    rmatmul_operand,
    singular_error,
    trace_args,
)

from .define import TorchTensorBase, _device_error, _wrap


def _matmul(x: TorchTensorBase, y) -> TorchTensorBase:
    if not isinstance(y, TorchTensorBase):
        raise operand_error(y)
    try:
        out = torch.matmul(x._t, y._t)
    except RuntimeError as exc:
        raise _matmul_error(x, y, exc) from None
    return _wrap(out, "matmul")


def _matmul_error(x: TorchTensorBase, y: TorchTensorBase, exc: Exception) -> Exception:
    """torch's matmul failure as flowkit's error, checked in the numpy backend's order: dtypes,
    0-d operands, devices, shapes; ``exc`` itself when none of them is at fault."""
    a, b = x._t, y._t
    if a.dtype == b.dtype and a.dim() and b.dim() and a.device != b.device:
        return _device_error("matmul", a, b)
    err = matmul_error(a.shape, x.dtype, b.shape, y.dtype)
    return exc if err is None else err


def _need(op: str, other) -> None:
    if not isinstance(other, TorchTensorBase):
        err = operand_error(other)
        raise err.__class__(str(err).replace("matmul", op, 1))


def _add_product(op: str, x: TorchTensorBase, prod: torch.Tensor, beta, alpha):
    add_product_args(op, x._t.shape, prod.shape)
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:  # the input is ignored, NaN included (PyTorch's rule)
        return _wrap(prod, op)
    return _wrap((x._t if beta == 1 else x._t * beta) + prod, op)


class TorchLinalg(TorchTensorBase):
    """The linear-algebra methods of ``TorchTensor``."""

    __slots__ = ()

    def __matmul__(self, other):
        return _matmul(self, other)

    matmul = __matmul__

    def __rmatmul__(self, other):
        return rmatmul_operand(other)

    def mm(self, mat2):
        _need("mm", mat2)
        matrix_args("mm", [self._t.shape, mat2._t.shape], [self.dtype, mat2.dtype], (2, 2))
        return _matmul(self, mat2)

    def bmm(self, mat2):
        _need("bmm", mat2)
        matrix_args("bmm", [self._t.shape, mat2._t.shape], [self.dtype, mat2.dtype], (3, 3))
        return _matmul(self, mat2)

    def dot(self, other):
        _need("dot", other)
        matrix_args("dot", [self._t.shape, other._t.shape], [self.dtype, other.dtype], (1, 1))
        return _matmul(self, other)

    def outer(self, vec2):
        _need("outer", vec2)
        for s in (self._t.shape, vec2._t.shape):
            if len(s) != 1:
                raise ShapeError(f"outer: both operands must be 1-d vectors, got shape {tuple(s)}")
        return _wrap(torch.outer(self._t, vec2._t), "outer")

    def trace(self):
        trace_args(self._t.shape)
        t = self._t
        if t.dtype is torch.bool or not t.is_floating_point() and t.dtype is not torch.int64:
            t = t.to(torch.int64)  # integers sum in int64 (torch.trace has no bool kernel)
        return _wrap(torch.trace(t), "trace")

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        _need("addmm", mat1)
        _need("addmm", mat2)
        matrix_args("addmm", [mat1._t.shape, mat2._t.shape], [mat1.dtype, mat2.dtype], (2, 2))
        return _add_product("addmm", self, torch.mm(mat1._t, mat2._t), beta, alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        _need("baddbmm", batch1)
        _need("baddbmm", batch2)
        matrix_args(
            "baddbmm", [batch1._t.shape, batch2._t.shape], [batch1.dtype, batch2.dtype], (3, 3)
        )
        return _add_product("baddbmm", self, torch.bmm(batch1._t, batch2._t), beta, alpha)

    def inverse(self):
        inverse_args(tuple(self._t.shape), self.dtype)
        out, info = torch.linalg.inv_ex(self._t)
        if bool((info != 0).any()):
            raise singular_error()
        return _wrap(out, "inverse")

    def cross(self, other, dim=None):
        _need("cross", other)
        shape, d = cross_dim(tuple(self._t.shape), tuple(other._t.shape), dim)
        a, b = self._t.expand(shape), other._t.expand(shape)
        return _wrap(torch.linalg.cross(a, b, dim=d), "cross")

    def _einsum(self, subscripts, output, *others):
        for t in others:
            _need("einsum", t)
        eq = ",".join(subscripts) + "->" + output
        return _wrap(torch.einsum(eq, self._t, *[t._t for t in others]), "einsum")
