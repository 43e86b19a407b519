"""Shape ops on the numpy backend (the contract and the rules: :mod:`flowkit.ops.shape`):
``reshape``, ``expand``, ``transpose``/``permute``, ``split``/``chunk``, ``flip``, and
``cat``/``stack`` (the backend's functions). ``flatten``, ``squeeze``, ``unsqueeze``, ``view``
and ``T`` are written once in the core, over these.

Views stay views (numpy's), as in PyTorch; ``reshape``, ``transpose`` and ``permute`` run on
every step of a model's forward pass, so they are written out inline, the rest are
:func:`~.define.op` definitions.
"""

from __future__ import annotations

import numpy as np

from flowkit import dtypes as _dt
from flowkit.ops.shape import (
    cat_error,
    cat_kept,
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

from . import define
from .define import NumpyTensorBase, forward_op, make, op, recorded, vjp
from .engine import VJP, Node
from .indexing import _getitem_vjp
from .reduction import _reduce_dims

# ----------------------------------------------- reshape, transpose, permute (inline: the hot path)


@vjp("reshape", saves=(None,))
def _reshape_vjp(g, ctx, need):
    (shape,) = ctx
    return (g.reshape(shape),)


@vjp("permute", saves=(None,))
def _permute_vjp(g, ctx, need):
    (inverse,) = ctx
    return (np.transpose(g, inverse),)


@vjp("transpose", saves=(None, None))
def _transpose_vjp(g, ctx, need):
    d0, d1 = ctx
    return (np.swapaxes(g, d0, d1),)


# ----------------------------------------------------------------------------------- defined as ops


@op("expand")
def _expand(a, shape, grown, grad):
    # nothing repeated (only leading 1s): a writeable view, as torch's; else a read-only one
    return (np.broadcast_to(a, shape) if grown else a.reshape(shape)), None


@_expand.defvjp(saves=())
def _expand_vjp(g, ctx, need):
    return (g,)  # the engine sums the expanded dimensions back to the input's shape


@op("flip")
def _flip(a, ds, grad):
    return (np.flip(a, ds) if ds else a.copy()), (ds,)


@_flip.defvjp(saves=(None,))
def _flip_vjp(g, ctx, need):
    (dims,) = ctx
    return (np.flip(g, dims) if dims else g,)


# each piece of split/chunk is a slice of the input: the gradient is getitem's
VJP["split"] = _getitem_vjp
define.SAVES["split"] = define.SAVES["getitem"]
forward_op("split")


# --------------------------------------------------------------------------- joining: cat and stack


# -------------------------------------------------------------------------- joining
@vjp("cat", saves=(None, None))
def _cat_vjp(g, ctx, need):
    d, sizes = ctx
    if None in sizes:  # 1-d empty tensors cat skipped: an empty gradient each, as in PyTorch
        parts = np.split(g, np.cumsum([s or 0 for s in sizes])[:-1], axis=d)
        return tuple(p if s is not None else p.reshape((0,)) for p, s in zip(parts, sizes))
    return tuple(np.split(g, np.cumsum(sizes)[:-1], axis=d))


@vjp("stack", saves=(None,))
def _stack_vjp(g, ctx, need):
    (d,) = ctx
    return tuple(np.moveaxis(g, d, 0))


_VJP_CAT, _VJP_STACK = VJP["cat"], VJP["stack"]
forward_op("cat")
forward_op("stack")


# ---------------------------------------------------------------------------------- joining
def _joined(op: str, tensors):
    """The arrays of ``tensors``, cast to PyTorch's common dtype (numpy's would differ: int64
    with float32 gives float64 there)."""
    ts = tensor_sequence(op, tensors)
    arrays = [t._data for t in ts]
    r = arrays[0].dtype
    if any(b.dtype != r for b in arrays):
        d = _dt.from_numpy_dtype(r)
        for b in arrays[1:]:
            d = _dt.result_type(d, _dt.from_numpy_dtype(b.dtype))
        arrays = [b if b.dtype == d.np else b.astype(d.np) for b in arrays]
    return ts, arrays


def cat(tensors, dim: int = 0) -> NumpyTensorBase:
    """Join tensors along an existing dimension (``flowkit.cat``)."""
    ts, arrays = _joined("cat", tensors)
    shapes = [b.shape for b in arrays]
    keep = cat_kept(shapes)  # 1-d empty tensors are skipped, as in PyTorch
    joined = arrays if len(keep) == len(ts) else [arrays[i] for i in keep]
    try:
        out = np.concatenate(joined, axis=dim)
    except (ValueError, IndexError, TypeError):
        err = cat_error(shapes, dim)
        if err is None:
            raise
        raise err from None
    d = dim % out.ndim
    if joined is arrays:
        ctx = (d, [b.shape[d] for b in arrays])
    else:  # a skipped tensor's size is None: its gradient is empty (zeros), as in PyTorch
        sizes = [None] * len(ts)
        for i in keep:
            sizes[i] = arrays[i].shape[d]
        ctx = (d, sizes)
    if (define.grad_enabled or define.STATE.grad_enabled) and any(t._rg for t in ts):
        res = make(out, Node("cat", _VJP_CAT, ctx, tuple(t if t._rg else None for t in ts)))
    else:
        res = make(out)
    if define.tracer is not None:
        dtype = out.dtype  # the common dtype, fixed for the recorded dtypes
        kept = None if joined is arrays else keep  # fixed for the recorded shapes
        define.tracer.record(
            res,
            lambda *arrays: (
                np.concatenate(
                    [
                        b if b.dtype == dtype else b.astype(dtype)
                        for b in (arrays if kept is None else [arrays[i] for i in kept])
                    ],
                    axis=dim,
                ),
                ctx,
            ),
            ts,
            "cat",
        )
    return res


def stack(tensors, dim: int = 0) -> NumpyTensorBase:
    """Join tensors of one shape along a new dimension (``flowkit.stack``)."""
    ts, arrays = _joined("stack", tensors)
    err = stack_error([b.shape for b in arrays], dim)
    if err is not None:
        raise err
    out = np.stack(arrays, axis=dim)
    ctx = (dim % out.ndim,)
    if (define.grad_enabled or define.STATE.grad_enabled) and any(t._rg for t in ts):
        res = make(out, Node("stack", _VJP_STACK, ctx, tuple(t if t._rg else None for t in ts)))
    else:
        res = make(out)
    if define.tracer is not None:
        dtype = out.dtype
        define.tracer.record(
            res,
            lambda *arrays: (
                np.stack([b if b.dtype == dtype else b.astype(dtype) for b in arrays], axis=dim),
                ctx,
            ),
            ts,
            "stack",
        )
    return res


class NumpyShape(NumpyTensorBase):
    """The shape methods of ``NumpyTensor``."""

    __slots__ = ()

    def reshape(self, *shape) -> NumpyTensorBase:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])  # reshape((2, 3)) as reshape(2, 3)
        a = self._data
        try:
            out = a.reshape(shape)
        except (ValueError, TypeError):
            raise reshape_error(a.shape, a.size, shape) from None
        if (define.grad_enabled or define.STATE.grad_enabled) and self._rg:
            res = make(out, Node("reshape", _VJP_RESHAPE, (a.shape,), (self,)))
        else:
            res = make(out)
        if define.tracer is not None:
            ctx = (a.shape,)
            define.tracer.record(res, lambda a: (a.reshape(shape), ctx), (self,), "reshape")
        return res

    def expand(self, *sizes):
        a = self._data
        shape = expand_shape(a.shape, sizes_arg(sizes))
        lead = len(shape) - a.ndim
        grown = shape[lead:] != a.shape or any(s != 1 for s in shape[:lead])
        return _expand((self,), shape, grown)

    def expand_as(self, other):
        return self.expand(other.shape)

    def split(self, split_size_or_sections, dim: int = 0):
        a = self._data
        d = one_dim("split", dim, a.ndim)
        if a.ndim == 0:
            raise no_dim_to_split_error("split")
        return self._pieces(d, split_sizes(a.shape[d], split_size_or_sections, d))

    def chunk(self, chunks: int, dim: int = 0):
        a = self._data
        d = one_dim("chunk", dim, a.ndim)
        if a.ndim == 0:
            raise no_dim_to_split_error("chunk")
        return self._pieces(d, chunk_sizes(a.shape[d], chunks))

    def _pieces(self, d: int, sizes) -> tuple:
        a = self._data
        track = (define.grad_enabled or define.STATE.grad_enabled) and self._rg
        lead = (slice(None),) * d
        out, start = [], 0
        for n in sizes:
            idx = lead + (slice(start, start + n),)
            start += n
            ctx = (a.shape, a.dtype, idx)
            piece = make(a[idx], Node("split", _VJP_SPLIT, ctx, (self,)) if track else None)
            out.append(recorded(piece, lambda a, idx=idx, ctx=ctx: (a[idx], ctx), (self,), "split"))
        return tuple(out)

    def flip(self, *dims):
        return _flip((self,), _reduce_dims(dims_arg(dims), self._data) or ())

    def transpose(self, dim0: int, dim1: int) -> NumpyTensorBase:
        a = self._data
        d0, d1 = normalize_dims((dim0, dim1), a.ndim)
        if not a.ndim:  # a 0-d tensor takes dims 0 and -1, as everywhere else
            return self.reshape(())
        out = np.swapaxes(a, d0, d1)
        if (define.grad_enabled or define.STATE.grad_enabled) and self._rg:
            res = make(out, Node("transpose", _VJP_TRANSPOSE, (d0, d1), (self,)))
        else:
            res = make(out)
        if define.tracer is not None:
            define.tracer.record(
                res, lambda a: (np.swapaxes(a, d0, d1), (d0, d1)), (self,), "transpose"
            )
        return res

    def permute(self, *dims) -> NumpyTensorBase:
        dims = dims_arg(dims)
        a = self._data
        dims = normalize_dims(dims, a.ndim)
        if sorted(dims) != list(range(a.ndim)):
            raise permute_error(dims, a.ndim)
        out = np.transpose(a, dims)
        inverse = tuple(np.argsort(dims))
        if (define.grad_enabled or define.STATE.grad_enabled) and self._rg:
            res = make(out, Node("permute", _VJP_PERMUTE, (inverse,), (self,)))
        else:
            res = make(out)
        if define.tracer is not None:
            define.tracer.record(
                res, lambda a: (np.transpose(a, dims), (inverse,)), (self,), "permute"
            )
        return res

    def contiguous(self):
        return self  # numpy arrays need no compaction for any op here


_VJP_SPLIT = VJP["split"]
forward_op("reshape")
forward_op("transpose")
forward_op("permute")
_VJP_RESHAPE = VJP["reshape"]  # (looked up once: the hot path)
_VJP_TRANSPOSE = VJP["transpose"]  # (looked up once: the hot path)
_VJP_PERMUTE = VJP["permute"]  # (looked up once: the hot path)
