"""The matrix product on the torch backend (the contract and the rules:
:mod:`flowkit.ops.linalg`)."""

from __future__ import annotations

import torch

from flowkit.ops.linalg import matmul_error, operand_error, rmatmul_operand

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


class TorchLinalg(TorchTensorBase):
    """The matrix-product methods of ``TorchTensor``."""

    __slots__ = ()

    def __matmul__(self, other):
        return _matmul(self, other)

    matmul = __matmul__

    def __rmatmul__(self, other):
        return rmatmul_operand(other)
