"""The matrix product on the numpy backend (the contract and the rules:
:mod:`flowkit.ops.linalg`). On every training step's path: written out inline.
"""

from __future__ import annotations

import numpy as np

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
from flowkit.ops.shape import stack

from . import define
from .define import NumpyTensorBase, forward_op, fresh, make, op, vjp
from .engine import VJP, Node, crosswise, needs

needs("matmul", crosswise)  # the gradient of a reads b and vice versa (PyTorch saves the same)


@vjp("matmul", saves=("in0", "in1"))
def _matmul_vjp(g, ctx, need):
    a, b = ctx
    if a.__class__ is np.ndarray and g.__class__ is np.ndarray and a.ndim == 2 and b.ndim == 2:
        # plain 2-D arrays (not a create_graph pass): np.dot on transposed views is ~2x faster
        # than np.matmul + np.swapaxes on small matrices, with the same BLAS call and result
        return (
            np.dot(g, b.T) if need[0] is not None else None,
            np.dot(a.T, g) if need[1] is not None else None,
        )
    # 1-d operands are promoted to matrices (as matmul does) and squeezed back afterwards
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g2 = g
    if b.ndim == 1:  # first: for 1-d @ 1-d, g is 0-d and has no axis -2 until this one exists
        g2 = np.expand_dims(g2, -1)
    if a.ndim == 1:
        g2 = np.expand_dims(g2, -2)
    ga = gb = None
    if need[0] is not None:
        ga = np.matmul(g2, np.swapaxes(b2, -1, -2))
        if a.ndim == 1:
            ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:])
    if need[1] is not None:
        gb = np.matmul(np.swapaxes(a2, -1, -2), g2)
        if b.ndim == 1:
            gb = gb.reshape(gb.shape[:-1])
    return ga, gb


def _matmul_arrays(a: np.ndarray, b: np.ndarray):
    # np.dot for 2-D operands: the same BLAS product as np.matmul without the ufunc machinery
    # (~0.35 µs less on small matrices); np.matmul for the batched and 1-d cases
    return np.dot(a, b) if a.ndim == 2 and b.ndim == 2 else np.matmul(a, b)


def _matmul_kernel(a, b):
    return fresh(_matmul_arrays(a, b)), (a, b)


def _dot_kernel(a, b):  # _matmul_kernel for 2-D operands (known when the step is recorded)
    return np.dot(a, b), (a, b)


def _matmul(x: NumpyTensorBase, y) -> NumpyTensorBase:
    if not isinstance(y, NumpyTensorBase):
        raise operand_error(y)
    a, b = x._data, y._data
    if a.dtype is not b.dtype or not a.ndim or not b.ndim:  # numpy would compute these
        raise _refused(x, y, ValueError("matmul"))
    try:
        out = _matmul_arrays(a, b)
    except ValueError as exc:
        raise _refused(x, y, exc) from None
    if (define.grad_enabled or define.STATE.grad_enabled) and (x._rg or y._rg):
        res = make(
            out, Node("matmul", _VJP_MATMUL, (a, b), (x if x._rg else None, y if y._rg else None))
        )
    else:
        res = make(out)
    if define.tracer is not None:
        define.tracer.record(
            res, _dot_kernel if a.ndim == 2 and b.ndim == 2 else _matmul_kernel, (x, y), "matmul"
        )
    return res


def _refused(x, y, exc: Exception) -> Exception:
    """The core's error for ``x @ y``, or numpy's own ``exc`` if the core finds no fault."""
    err = matmul_error(x._data.shape, x.dtype, y._data.shape, y.dtype)
    return exc if err is None else err


_VJP_MATMUL = VJP["matmul"]


# ------------------------------------------------------------------ products built on matmul
# mm, bmm, dot, outer, trace, addmm, baddbmm and cross are compositions of recorded ops
# (matmul, mul, add, getitem, sum, stack), so their gradients (and second derivatives) come from
# those ops' VJPs; inverse and einsum are ops of their own.
def _shapes(*ts):
    return [t._data.shape for t in ts]


def _need(op: str, other) -> None:
    if not isinstance(other, NumpyTensorBase):
        raise operand_error(other).__class__(str(operand_error(other)).replace("matmul", op, 1))


def _scaled(t, c):
    return t if c == 1 else t * c


def _add_product(op: str, x, prod, beta, alpha):
    add_product_args(op, x._data.shape, prod._data.shape)
    prod = _scaled(prod, alpha)
    if beta == 0:  # the input is ignored, NaN included (PyTorch's rule)
        return prod
    return _scaled(x, beta) + prod


# ------------------------------------------------------------------------------ inverse
@op("inverse")
def _inverse(a, grad):
    try:
        out = np.linalg.inv(a)
    except np.linalg.LinAlgError:
        raise singular_error() from None
    if not np.all(np.isfinite(out)) and np.all(np.isfinite(a)):
        raise singular_error()
    return out.astype(a.dtype, copy=False), (out,)


@_inverse.defvjp(saves=("out",))
def _inverse_vjp(g, ctx, need):
    (inv,) = ctx  # d(A^-1) = -A^-1 dA A^-1, so dL/dA = -A^-T g A^-T
    inv_t = np.swapaxes(inv, -1, -2)
    return (-np.matmul(np.matmul(inv_t, g), inv_t),)


# ------------------------------------------------------------------------------- einsum
_SPARE = "zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA"


@op("einsum")
def _einsum2(a, b, eq, grad):
    return np.asarray(np.einsum(eq, a, b)), (a, b, eq)


@_einsum2.defvjp(saves=("in0", "in1", None))
def _einsum2_vjp(g, ctx, need):
    a, b, eq = ctx
    lhs, out = eq.split("->")
    sa, sb = lhs.split(",")
    return (
        _einsum_grad(g, out, b, sb, sa, np.shape(a), a) if need[0] is not None else None,
        _einsum_grad(g, out, a, sa, sb, np.shape(b), b) if need[1] is not None else None,
    )


def _einsum_grad(g, so, other, s_other, target, shape, like):
    """The gradient of ``einsum(target, s_other -> so)`` for the operand ``target``: another
    einsum of ``g`` and the other operand. A letter repeated in ``target`` (a diagonal) gets a
    fresh letter and an identity matrix linking the two; a letter only ``target`` has (summed
    away) gets a vector of ones, so every output letter appears among the inputs."""
    dtype = like.dtype if isinstance(like, np.ndarray) else like._data.dtype
    used = set(so + s_other + target)
    spare = iter(c for c in _SPARE if c not in used)
    seen: set[str] = set()
    out = []
    extra_subs, extra = [], []
    size = dict(zip(target, shape))
    for ch in target:
        if ch in seen:
            f = next(spare)
            extra_subs.append(ch + f)
            extra.append(np.eye(size[ch], dtype=dtype))
            out.append(f)
        else:
            seen.add(ch)
            out.append(ch)
            if ch not in so and ch not in s_other:
                extra_subs.append(ch)
                extra.append(np.ones(size[ch], dtype))
    eq = ",".join([so, s_other, *extra_subs]) + "->" + "".join(out)
    return np.einsum(eq, g, other, *extra)


def _einsum(x, subs, out, *others):
    """``einsum`` as a chain of two-operand einsums (each a recorded op): after each step only
    the letters later operands or the output use are kept."""
    ops = (x, *others)
    for t in others:
        if not isinstance(t, NumpyTensorBase):
            raise operand_error(t)
    if len(ops) == 1:  # one operand: paired with a constant 1 (no gradient flows to it)
        return _einsum2((x, make(np.ones((), x._data.dtype))), f"{subs[0]},->{out}")
    acc, s_acc = x, subs[0]
    for i in range(1, len(ops)):
        later = "".join(subs[i + 1 :]) + out
        if i == len(ops) - 1:
            keep = out
        else:
            keep = "".join(dict.fromkeys(c for c in s_acc + subs[i] if c in later))
        acc = _einsum2((acc, ops[i]), f"{s_acc},{subs[i]}->{keep}")
        s_acc = keep
    return acc


class NumpyLinalg(NumpyTensorBase):
    """The linear-algebra methods of ``NumpyTensor``."""

    __slots__ = ()

    def __matmul__(self, other):
        return _matmul(self, other)

    matmul = __matmul__

    def __rmatmul__(self, other):
        return rmatmul_operand(other)  # a number @ a tensor: Python's TypeError

    def mm(self, mat2):
        _need("mm", mat2)
        matrix_args("mm", _shapes(self, mat2), [self.dtype, mat2.dtype], (2, 2))
        return _matmul(self, mat2)

    def bmm(self, mat2):
        _need("bmm", mat2)
        matrix_args("bmm", _shapes(self, mat2), [self.dtype, mat2.dtype], (3, 3))
        return _matmul(self, mat2)

    def dot(self, other):
        _need("dot", other)
        matrix_args("dot", _shapes(self, other), [self.dtype, other.dtype], (1, 1))
        return _matmul(self, other)

    def outer(self, vec2):
        _need("outer", vec2)
        for s in _shapes(self, vec2):
            if len(s) != 1:
                raise ShapeError(f"outer: both operands must be 1-d vectors, got shape {s}")
        return self.reshape(-1, 1) * vec2.reshape(1, -1)

    def trace(self):
        trace_args(self._data.shape)
        n = min(self._data.shape)
        i = np.arange(n)
        return self[i, i].sum()

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        _need("addmm", mat1)
        _need("addmm", mat2)
        matrix_args("addmm", _shapes(mat1, mat2), [mat1.dtype, mat2.dtype], (2, 2))
        return _add_product("addmm", self, _matmul(mat1, mat2), beta, alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        _need("baddbmm", batch1)
        _need("baddbmm", batch2)
        matrix_args("baddbmm", _shapes(batch1, batch2), [batch1.dtype, batch2.dtype], (3, 3))
        return _add_product("baddbmm", self, _matmul(batch1, batch2), beta, alpha)

    def inverse(self):
        inverse_args(self._data.shape, self.dtype)
        return _inverse((self,))

    def cross(self, other, dim=None):
        _need("cross", other)
        shape, d = cross_dim(self._data.shape, other._data.shape, dim)
        a, b = self.expand(*shape), other.expand(*shape)
        lead = (slice(None),) * d
        a0, a1, a2 = (a[lead + (i,)] for i in range(3))
        b0, b1, b2 = (b[lead + (i,)] for i in range(3))
        return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)

    def _einsum(self, subscripts, output, *others):
        return _einsum(self, subscripts, output, *others)


forward_op("matmul")
