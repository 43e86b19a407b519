"""The numpy backend's one VJP table: for every differentiable op, the vector-Jacobian product.

A VJP gets the gradient ``g`` of the op's output, the values the forward pass saved (``ctx``) and
the op's inputs (``None`` where an input needs no gradient, so its product is skipped) and returns
one gradient per input. It returns gradients in the *broadcast* shape: the engine sums broadcast
dimensions away once, for every op (MyGrad/tinygrad's rule), so no VJP repeats that logic.
VJPs never write into ``g`` or ``ctx``: one gradient array may be read by several of them.

A test checks that every differentiable op of the forward table has an entry here, and every entry
is checked by finite differences in float64 (and against torch when it is installed).

Second derivatives (``create_graph=True``) come from this same table: the engine calls the same
VJP with tensors for ``g`` and for the saved values, and numpy hands each numpy call on a tensor to
flowkit's recorded ops (:mod:`.numpy_api`), so the gradient computation is itself a graph. For that
a VJP declares what each ``ctx`` entry is, ``@vjp(name, saves=(...))``, one role per entry:
``"in0"``/``"in1"``/``"in2"`` (the value of that input), ``"out"`` (the op's output),
``"in0-in1"`` (their difference), ``"const"`` (an array no gradient flows through, e.g. a
mask) or ``None`` (not a tensor value: shapes, dims, indices, numbers). It must use only numpy
calls that :mod:`.numpy_api` maps (arithmetic, ``np.matmul``, ``np.where``, ``np.add.reduce``
rather than ``.sum(axis=...)``, ...). An op without ``saves`` works to first order and raises a
clear error under ``create_graph``; a test checks every declared one against finite differences
and torch (tests/test_autograd_api.py).
"""

from __future__ import annotations

import math

import numpy as np

VJP: dict[str, object] = {}
SAVES: dict[str, tuple] = {}  # op -> each ctx entry's role (see above); absent: first order only


def vjp(name, saves=None):
    def register(fn):
        VJP[name] = fn
        if saves is not None:
            SAVES[name] = tuple(saves)
        return fn

    return register


def _zeros(shape, dtype, like):
    # zeros that are a (constant) tensor when `like` is one; np.zeros(like=) refuses numpy scalars
    if isinstance(like, (np.ndarray, np.generic)):
        return np.zeros(shape, dtype)
    return np.zeros(shape, dtype, like=like)


# -------------------------------------------------------------------------- elementwise binary
@vjp("add", saves=())
def _add(g, ctx, need):
    return g, g


@vjp("sub", saves=())
def _sub(g, ctx, need):
    return g, (-g if need[1] is not None else None)


@vjp("mul", saves=("in0", "in1"))
def _mul(g, ctx, need):
    a, b = ctx
    return (g * b if need[0] is not None else None), (g * a if need[1] is not None else None)


@vjp("div", saves=("in0", "in1"))
def _div(g, ctx, need):
    a, b = ctx
    ga = g / b if need[0] is not None else None
    gb = -g * a / (b * b) if need[1] is not None else None
    return ga, gb


@vjp("pow", saves=("in0", "in1", "out"))
def _pow(g, ctx, need):
    a, b, out = ctx
    ga = gb = None
    if need[0] is not None:
        # b * a**(b-1), written so that a == 0 with b >= 1 stays finite
        ga = b * np.power(a, b - 1)
        # 0 where b == 0, as PyTorch (else 0 * 0 ** -1 = nan at a == 0)
        # (the double-backward graph, over tensors, keeps the plain formula)
        if isinstance(b, np.ndarray):
            ga = np.where(b == 0, 0, ga)
        elif isinstance(b, (int, float)) and b == 0:
            ga = ga * 0
        ga = g * ga
    if need[1] is not None:
        if isinstance(a, (int, float)):  # `2 ** x`: a Python number as the base
            loga = math.log(a) if a > 0 else 0.0
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                loga = np.where(a > 0, np.log(np.where(a > 0, a, 1)), 0)  # d/db a**b = a**b log a
        gb = g * out * loga
    return ga, gb


@vjp("matmul", saves=("in0", "in1"))
def _matmul(g, ctx, need):
    a, b = ctx
    if a.__class__ is np.ndarray and g.__class__ is np.ndarray and a.ndim == 2 and b.ndim == 2:
        # plain 2-D arrays (not a create_graph pass): np.dot on transposed views is ~2x faster
        # than np.matmul + np.swapaxes on small matrices, with the same BLAS call and result
        return (np.dot(g, b.T) if need[0] is not None else None,
                np.dot(a.T, g) if need[1] is not None else None)
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


# `2 - x`, `2 ** x`, `2 / x`: recorded with the constant as first input, so the forward op's
# VJP gives the tensor's gradient in the second slot
VJP["rsub"] = _sub
VJP["rpow"] = _pow
VJP["rdiv"] = _div
SAVES["rsub"], SAVES["rpow"], SAVES["rdiv"] = SAVES["sub"], SAVES["pow"], SAVES["div"]


# -------------------------------------------------------------------------- elementwise unary
@vjp("neg", saves=("in0",))
def _neg(g, ctx, need):
    return (-g,)


@vjp("exp", saves=("out",))
def _exp(g, ctx, need):
    (out,) = ctx
    return (g * out,)


@vjp("log", saves=("in0",))
def _log(g, ctx, need):
    (a,) = ctx
    return (g / a,)


@vjp("sqrt", saves=("out",))
def _sqrt(g, ctx, need):
    (out,) = ctx
    return (g / (2 * out),)


@vjp("abs", saves=("in0",))
def _abs(g, ctx, need):
    (a,) = ctx
    return (g * np.sign(a),)


@vjp("sin", saves=("in0",))
def _sin(g, ctx, need):
    (a,) = ctx
    return (g * np.cos(a),)


@vjp("cos", saves=("in0",))
def _cos(g, ctx, need):
    (a,) = ctx
    return (-g * np.sin(a),)


@vjp("tanh", saves=("out",))
def _tanh(g, ctx, need):
    (out,) = ctx
    return (g * (1 - out * out),)


@vjp("sigmoid", saves=("out",))
def _sigmoid(g, ctx, need):
    (out,) = ctx
    return (g * out * (1 - out),)


@vjp("relu", saves=("out",))
def _relu(g, ctx, need):
    (out,) = ctx
    return (g * (out > 0),)


@vjp("cast", saves=())
def _cast(g, ctx, need):
    return (g,)  # the engine casts the gradient back to the input's dtype


@vjp("clone", saves=())
def _clone(g, ctx, need):
    return (g,)


def _zero(g, ctx, need):
    return (np.zeros_like(g),)  # piecewise constant: zero almost everywhere, as in PyTorch


for _name in ("sign", "floor", "ceil", "round"):
    VJP[_name] = _zero
    SAVES[_name] = ()


@vjp("reciprocal", saves=("out",))
def _reciprocal(g, ctx, need):
    (out,) = ctx
    return (-g * out * out,)


@vjp("rsqrt", saves=("out",))
def _rsqrt(g, ctx, need):
    (out,) = ctx
    return (-0.5 * g * out * out * out,)


@vjp("log1p", saves=("in0",))
def _log1p(g, ctx, need):
    (a,) = ctx
    return (g / (1 + a),)


@vjp("expm1", saves=("out",))
def _expm1(g, ctx, need):
    (out,) = ctx
    return (g * (out + 1),)


@vjp("log2", saves=("in0",))
def _log2(g, ctx, need):
    (a,) = ctx
    return (g / (a * np.log(2.0)),)


@vjp("log10", saves=("in0",))
def _log10(g, ctx, need):
    (a,) = ctx
    return (g / (a * np.log(10.0)),)


# -------------------------------------------------------------------------- selection
def _pick(g, a, b, need, a_loses, b_loses):
    """maximum/minimum: the gradient goes to the operand selected; ties split it evenly, as
    PyTorch does."""
    half = np.where(a == b, g * 0.5, g)
    ga = np.where(a_loses(a, b), 0, half) if need[0] is not None else None
    gb = np.where(b_loses(a, b), 0, half) if need[1] is not None else None
    return ga, gb


@vjp("maximum", saves=("in0", "in1"))
def _maximum(g, ctx, need):
    a, b = ctx
    return _pick(g, a, b, need, np.less, np.greater)


@vjp("minimum", saves=("in0", "in1"))
def _minimum(g, ctx, need):
    a, b = ctx
    return _pick(g, a, b, need, np.greater, np.less)


@vjp("remainder", saves=("in0", "in1"))
def _remainder(g, ctx, need):
    a, b = ctx  # a - floor(a / b) * b
    gb = -g * np.floor_divide(a, b) if need[1] is not None else None
    return g, gb


@vjp("clamp", saves=("in0", "in1", "in2"))
def _clamp(g, ctx, need):
    a, lo, hi = ctx  # PyTorch's rules, including which bound wins when min > max
    gx = glo = ghi = None
    if need[0] is not None:
        keep = True
        if lo is not None:
            keep = a >= lo
        if hi is not None:
            keep = keep & (a <= hi)
        gx = np.where(keep, g, 0)
    if need[1] is not None:
        sel = a < lo if hi is None else (a < lo) & (lo < hi)
        glo = np.where(sel, g, 0)
    if need[2] is not None:
        sel = a > hi if lo is None else (a > hi) | (hi < lo)
        ghi = np.where(sel, g, 0)
    return gx, glo, ghi


@vjp("where", saves=(None,))
def _where(g, ctx, need):
    (c,) = ctx
    gx = np.where(c, g, 0) if need[0] is not None else None
    gy = np.where(c, 0, g) if need[1] is not None else None
    return gx, gy


@vjp("masked_fill")
def _masked_fill(g, ctx, need):
    (m,) = ctx
    gx = np.where(m, 0, g) if need[0] is not None else None
    gv = np.asarray(np.sum(np.where(m, g, 0))) if need[1] is not None else None
    return gx, gv


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
def _sum(g, ctx, need):
    shape, dims, keepdim = ctx
    return (_expand_reduced(g, shape, dims, keepdim),)


@vjp("mean", saves=(None, None, None, None))
def _mean(g, ctx, need):
    shape, dims, keepdim, n = ctx
    return (_expand_reduced(g / n, shape, dims, keepdim),)


@vjp("prod")
def _prod(g, ctx, need):
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


def _var_std(g, ctx, need):
    diff, denom, std, dims, keepdim = ctx
    ge = _expand_reduced(g, diff.shape, dims, keepdim)
    with np.errstate(divide="ignore", invalid="ignore"):
        if std is None:  # var: 2 (x - mean) / (n - correction)
            return (ge * diff * (2.0 / denom if denom else np.inf),)
        se = _expand_reduced(std, diff.shape, dims, keepdim)
        # where std is 0 (constant values) the gradient is 0, as PyTorch masks it
        return (np.where(se == 0, 0, ge * diff / (se * denom)),)


VJP["var"] = VJP["std"] = _var_std


@vjp("norm", saves=("in0", "out", None, None, None))
def _norm(g, ctx, need):
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


@vjp("max")
def _minmax(g, ctx, need):
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


VJP["min"] = _minmax


# -------------------------------------------------------------------------- joining
@vjp("cat", saves=(None, None))
def _cat(g, ctx, need):
    d, sizes = ctx
    if None in sizes:  # 1-d empty tensors cat skipped: an empty gradient each, as in PyTorch
        parts = np.split(g, np.cumsum([s or 0 for s in sizes])[:-1], axis=d)
        return tuple(p if s is not None else p.reshape((0,)) for p, s in zip(parts, sizes))
    return tuple(np.split(g, np.cumsum(sizes)[:-1], axis=d))


@vjp("stack", saves=(None,))
def _stack(g, ctx, need):
    (d,) = ctx
    return tuple(np.moveaxis(g, d, 0))


# -------------------------------------------------------------------------- shape and indexing
@vjp("expand", saves=())
def _expand(g, ctx, need):
    return (g,)  # the engine sums the expanded dimensions back to the input's shape


@vjp("flip", saves=(None,))
def _flip(g, ctx, need):
    (dims,) = ctx
    return (np.flip(g, dims) if dims else g,)
@vjp("reshape", saves=(None,))
def _reshape(g, ctx, need):
    (shape,) = ctx
    return (g.reshape(shape),)


@vjp("permute", saves=(None,))
def _permute(g, ctx, need):
    (inverse,) = ctx
    return (np.transpose(g, inverse),)


@vjp("transpose", saves=(None, None))
def _transpose(g, ctx, need):
    d0, d1 = ctx
    return (np.swapaxes(g, d0, d1),)


@vjp("getitem", saves=(None, None, None))
def _getitem(g, ctx, need):
    shape, dtype, index = ctx
    out = _zeros(shape, dtype, like=g)  # a tensor under create_graph: the writes are recorded
    if _may_repeat(index):
        np.add.at(out, index, g)  # add.at: repeated integer indices accumulate, as they must
    else:
        out[index] = g  # ints, slices, masks select each element at most once: a plain write
    return (out,)


VJP["split"] = _getitem  # each piece of split/chunk is a slice of the input
SAVES["split"] = SAVES["getitem"]


def _may_repeat(index) -> bool:
    """Whether an index can select one element twice: it holds an integer array."""
    for k in index if isinstance(index, tuple) else (index,):
        if isinstance(k, list) or isinstance(k, np.ndarray) and k.dtype.kind in "iu" and k.ndim:
            return True
    return False


@vjp("setitem", saves=(None, None))
def _setitem(g, ctx, need):
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


# -------------------------------------------------------------------------- fused nn ops
@vjp("mse_loss", saves=("in0-in1", None))
def _mse_loss(g, ctx, need):
    diff, scale = ctx  # loss = scale * sum(diff**2) (or elementwise for reduction="none")
    gi = (2 * scale) * g * diff
    return (gi if need[0] is not None else None), (-gi if need[1] is not None else None)


@vjp("linear", saves=("in0", "in1"))
def _linear(g, ctx, need):
    x, w = ctx
    gx = g @ w if need[0] is not None else None
    gw = gb = None
    if need[1] is not None or need[2] is not None:
        g2 = g.reshape(-1, g.shape[-1])
        if need[1] is not None:
            gw = g2.T @ x.reshape(-1, x.shape[-1])
        if need[2] is not None:
            gb = np.add.reduce(g2, axis=0)
    return gx, gw, gb


# -------------------------------------------------------------------------- recorded by VJPs
# `np.add.at(t, index, v)` on tensors under create_graph (the getitem VJP's scatter): t + v
# scattered into `index`, repeated indices accumulating; its VJP gathers (see numpy_api)
@vjp("add_at", saves=(None, None))
def _add_at(g, ctx, need):
    index, value_shape = ctx
    g_val = None
    if need[1] is not None:
        g_val = g[index]
        if g_val.shape != value_shape:  # the value was broadcast into the slots
            g_val = _sum_to(g_val, value_shape)
    return (g if need[0] is not None else None), g_val
