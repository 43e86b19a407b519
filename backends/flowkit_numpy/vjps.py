"""The numpy backend's one VJP table: for every differentiable op, the vector-Jacobian product.

A VJP gets the gradient ``g`` of the op's output, the values the forward pass saved (``ctx``) and
the op's inputs (``None`` where an input needs no gradient, so its product is skipped) and returns
one gradient per input. It returns gradients in the *broadcast* shape: the engine sums broadcast
dimensions away once, for every op (MyGrad/tinygrad's rule), so no VJP repeats that logic.
VJPs never write into ``g`` or ``ctx``: one gradient array may be read by several of them.

A test checks that every differentiable op of the forward table has an entry here, and every entry
is checked by finite differences in float64 (and against torch when it is installed).
"""

from __future__ import annotations

import numpy as np

VJP: dict[str, object] = {}


def vjp(name):
    def register(fn):
        VJP[name] = fn
        return fn

    return register


# -------------------------------------------------------------------------- elementwise binary
@vjp("add")
def _add(g, ctx, need):
    return g, g


@vjp("sub")
def _sub(g, ctx, need):
    return g, (-g if need[1] is not None else None)


@vjp("mul")
def _mul(g, ctx, need):
    a, b = ctx
    return (g * b if need[0] is not None else None), (g * a if need[1] is not None else None)


@vjp("div")
def _div(g, ctx, need):
    a, b = ctx
    ga = g / b if need[0] is not None else None
    gb = -g * a / (b * b) if need[1] is not None else None
    return ga, gb


@vjp("pow")
def _pow(g, ctx, need):
    a, b, out = ctx
    ga = gb = None
    if need[0] is not None:
        # b * a**(b-1), written so that a == 0 with b >= 1 stays finite
        ga = g * b * np.power(a, b - 1)
    if need[1] is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            loga = np.where(a > 0, np.log(np.where(a > 0, a, 1)), 0)  # d/db a**b = a**b log a
        gb = g * out * loga
    return ga, gb


@vjp("matmul")
def _matmul(g, ctx, need):
    a, b = ctx
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


# -------------------------------------------------------------------------- elementwise unary
@vjp("neg")
def _neg(g, ctx, need):
    return (-g,)


@vjp("exp")
def _exp(g, ctx, need):
    (out,) = ctx
    return (g * out,)


@vjp("log")
def _log(g, ctx, need):
    (a,) = ctx
    return (g / a,)


@vjp("sqrt")
def _sqrt(g, ctx, need):
    (out,) = ctx
    return (g / (2 * out),)


@vjp("abs")
def _abs(g, ctx, need):
    (a,) = ctx
    return (g * np.sign(a),)


@vjp("sin")
def _sin(g, ctx, need):
    (a,) = ctx
    return (g * np.cos(a),)


@vjp("cos")
def _cos(g, ctx, need):
    (a,) = ctx
    return (-g * np.sin(a),)


@vjp("tanh")
def _tanh(g, ctx, need):
    (out,) = ctx
    return (g * (1 - out * out),)


@vjp("sigmoid")
def _sigmoid(g, ctx, need):
    (out,) = ctx
    return (g * out * (1 - out),)


@vjp("relu")
def _relu(g, ctx, need):
    (out,) = ctx
    return (g * (out > 0),)


@vjp("cast")
def _cast(g, ctx, need):
    return (g,)  # the engine casts the gradient back to the input's dtype


@vjp("clone")
def _clone(g, ctx, need):
    return (g,)


# -------------------------------------------------------------------------- reductions
def _expand_reduced(g, shape, dims, keepdim):
    if dims is None:
        return np.broadcast_to(g, shape)
    if not keepdim:
        g = np.expand_dims(g, dims)
    return np.broadcast_to(g, shape)


@vjp("sum")
def _sum(g, ctx, need):
    shape, dims, keepdim = ctx
    return (_expand_reduced(g, shape, dims, keepdim),)


@vjp("mean")
def _mean(g, ctx, need):
    shape, dims, keepdim, n = ctx
    return (_expand_reduced(g / n, shape, dims, keepdim),)


# -------------------------------------------------------------------------- shape and indexing
@vjp("reshape")
def _reshape(g, ctx, need):
    (shape,) = ctx
    return (g.reshape(shape),)


@vjp("permute")
def _permute(g, ctx, need):
    (inverse,) = ctx
    return (np.transpose(g, inverse),)


@vjp("transpose")
def _transpose(g, ctx, need):
    d0, d1 = ctx
    return (np.swapaxes(g, d0, d1),)


@vjp("getitem")
def _getitem(g, ctx, need):
    shape, dtype, index = ctx
    out = np.zeros(shape, dtype)
    np.add.at(out, index, g)  # add.at: repeated integer indices accumulate, as they must
    return (out,)


@vjp("setitem")
def _setitem(g, ctx, need):
    index, value_shape = ctx
    g_old = None
    if need[0] is not None:
        g_old = g.copy()
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
    out = g.sum(axis=axes, keepdims=True) if axes else g
    return out.reshape(shape)


# -------------------------------------------------------------------------- fused nn ops
@vjp("mse_loss")
def _mse_loss(g, ctx, need):
    diff, scale = ctx  # loss = scale * sum(diff**2) (or elementwise for reduction="none")
    gi = (2 * scale) * g * diff
    return (gi if need[0] is not None else None), (-gi if need[1] is not None else None)


@vjp("linear")
def _linear(g, ctx, need):
    x, w = ctx
    gx = g @ w if need[0] is not None else None
    gw = gb = None
    if need[1] is not None or need[2] is not None:
        g2 = g.reshape(-1, g.shape[-1])
        if need[1] is not None:
            gw = g2.T @ x.reshape(-1, x.shape[-1])
        if need[2] is not None:
            gb = g2.sum(axis=0)
    return gx, gw, gb
