"""Shape ops on the torch backend (the contract and the rules: :mod:`flowkit.ops.shape`), and
``cat``/``stack`` (the backend's functions)."""

from __future__ import annotations

import torch

from flowkit.ops.shape import (
    cat_error,
    chunk_sizes,
    dims_arg,
    expand_shape,
    no_dim_to_split_error,
    normalize_dims,
    one_dim,
    permute_error,
    reshape_error,
    sizes_arg,
    split_sizes,
    stack_error,
    tensor_sequence,
)

from .define import TorchTensorBase, _device_error, _wrap


# ---------------------------------------------------------------------------------- joining
def _joined(op: str, tensors) -> list:
    ts = tensor_sequence(op, tensors)
    try:
        return [t._t for t in ts]
    except AttributeError:  # a tensor of another backend
        raise TypeError(f"{op}: every tensor must be a torch-backend flowkit tensor") from None


def _join_error(op: str, ts: list, dim, exc: Exception) -> Exception:
    shapes = [tuple(t.shape) for t in ts]
    err = cat_error(shapes, dim) if op == "cat" else stack_error(shapes, dim)
    if err is not None:
        return err
    for t in ts[1:]:
        if t.device != ts[0].device:
            return _device_error(op, ts[0], t)
    return exc


def cat(tensors, dim: int = 0) -> TorchTensorBase:
    """Join tensors along an existing dimension (``flowkit.cat``)."""
    ts = _joined("cat", tensors)
    try:
        out = torch.cat(ts, dim)
    except (RuntimeError, IndexError) as exc:
        raise _join_error("cat", ts, dim, exc) from None
    return _wrap(out, "cat")


def stack(tensors, dim: int = 0) -> TorchTensorBase:
    """Join tensors of one shape along a new dimension (``flowkit.stack``)."""
    ts = _joined("stack", tensors)
    try:
        out = torch.stack(ts, dim)
    except (RuntimeError, IndexError) as exc:
        raise _join_error("stack", ts, dim, exc) from None
    return _wrap(out, "stack")


class TorchShape(TorchTensorBase):
    """The shape methods of ``TorchTensor``."""

    __slots__ = ()

    def reshape(self, *shape) -> TorchTensorBase:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        t = self._t
        try:
            out = t.reshape(shape)
        except (RuntimeError, TypeError):
            raise reshape_error(t.shape, t.numel(), shape) from None
        return _wrap(out, "reshape")

    def expand(self, *sizes) -> TorchTensorBase:
        t = self._t
        sizes = sizes_arg(sizes)
        try:
            out = t.expand(sizes)
        except RuntimeError:
            expand_shape(tuple(t.shape), sizes)  # raises the numpy backend's message
            raise
        return _wrap(out, "expand")

    def expand_as(self, other) -> TorchTensorBase:
        return self.expand(other.shape)

    def split(self, split_size_or_sections, dim: int = 0) -> tuple:
        t = self._t
        d = one_dim("split", dim, t.dim())
        if t.dim() == 0:
            raise no_dim_to_split_error("split")
        sizes = split_sizes(t.shape[d], split_size_or_sections, d)
        return tuple(_wrap(p, "split") for p in torch.split(t, sizes, d))

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        t = self._t
        d = one_dim("chunk", dim, t.dim())
        if t.dim() == 0:
            raise no_dim_to_split_error("chunk")
        sizes = chunk_sizes(t.shape[d], chunks)
        return tuple(_wrap(p, "split") for p in torch.split(t, sizes, d))

    def flip(self, *dims) -> TorchTensorBase:
        dims = dims_arg(dims)
        t = self._t
        ds = (normalize_dims(dims, t.dim()) if t.dim() else normalize_dims(dims, 0) and None) or ()
        return _wrap(t.flip(ds) if ds else t.clone(), "flip")

    def transpose(self, dim0: int, dim1: int) -> TorchTensorBase:
        t = self._t
        try:
            out = t.transpose(dim0, dim1)
        except IndexError:
            normalize_dims((dim0, dim1), t.dim())
            raise
        return _wrap(out, "transpose")

    def permute(self, *dims) -> TorchTensorBase:
        dims = dims_arg(dims)
        t = self._t
        try:
            out = t.permute(dims)
        except (RuntimeError, IndexError):
            nd = t.dim()
            norm = normalize_dims(dims, nd)
            if sorted(norm) != list(range(nd)):
                raise permute_error(norm, nd) from None
            raise
        return _wrap(out, "permute")

    def contiguous(self) -> TorchTensorBase:
        c = self._t.contiguous()
        # the numpy backend returns the tensor itself, so the copy keeps its grad_fn name
        return self if c is self._t else _wrap(c, self._op)
