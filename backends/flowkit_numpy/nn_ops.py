"""The numpy backend's fused ``nn`` kernels: activations, softmax, normalization, convolution,
pooling, embedding and the classification losses.

Each op is a :func:`~.define.op`: one forward kernel that records one graph node, with its VJP
registered right after it; ``NumpyNNOps`` is the mixin whose methods
:class:`~flowkit_numpy.backend.NumpyBackend` inherits. ``linear`` and ``mse_loss`` are on every
training step's path and are written out inline. Arguments arrive checked and
normalised by :mod:`flowkit.nn.functional` (shapes, dtypes, tuples), so the kernels check only
what needs the data (class indices, embedding rows).

Convolution is im2col: a strided *view* of the padded input (no copy) is copied once into a
``(N*Ho*Wo, C*kh*kw)`` matrix and multiplied by the weight in one matmul (one BLAS call); the
backward pass reuses that matrix for the weight gradient and scatters the column gradient back
with one strided add per kernel position (kh*kw vectorised adds, never a Python loop over pixels).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from flowkit.ops.nn import (
    class_index_error,
    embedding_index_error,
    linear_error,
    loss_dtype_error,
    loss_shape_error,
    pool_out_size,
)

from . import define
from .define import forward_op, fresh, make, op, vjp
from .engine import VJP, Node, crosswise, needs
from .rnn import rnn_layer as _rnn_layer

# ---------------------------------------------------------------------------------------------- erf


# ---------------------------------------------------------------------------------------- erf
# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969),
# as in his SPECFUN routine CALERF: three rational approximations (|x| <= 0.46875, <= 4, > 4),
# accurate to about 1e-16 in float64. numpy has no erf and flowkit does not depend on scipy.
_A = (
    3.16112374387056560e00,
    1.13864154151050156e02,
    3.77485237685302021e02,
    3.20937758913846947e03,
    1.85777706184603153e-1,
)


_B = (
    2.36012909523441209e01,
    2.44024637934444173e02,
    1.28261652607737228e03,
    2.84423683343917062e03,
)


_C = (
    5.64188496988670089e-1,
    8.88314979438837594e00,
    6.61191906371416295e01,
    2.98635138197400131e02,
    8.81952221241769090e02,
    1.71204761263407058e03,
    2.05107837782607147e03,
    1.23033935479799725e03,
    2.15311535474403846e-8,
)


_D = (
    1.57449261107098347e01,
    1.17693950891312499e02,
    5.37181101862009858e02,
    1.62138957456669019e03,
    3.29079923573345963e03,
    4.36261909014324716e03,
    3.43936767414372164e03,
    1.23033935480374942e03,
)


_P = (
    3.05326634961232344e-1,
    3.60344899949804439e-1,
    1.25781726111229246e-1,
    1.60837851487422766e-2,
    6.58749161529837803e-4,
    1.63153871373020978e-2,
)


_Q = (
    2.56852019228982242e00,
    1.87295284992346725e00,
    5.27905102951428412e-1,
    6.05183413124413191e-2,
    2.33520497626869185e-3,
)


_SQRPI = 5.6418958354775628695e-1  # 1 / sqrt(pi)


def _erfc_tail(y: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``exp(-y*y) * r``, with y*y split so the exponent keeps its low bits (Cody's trick)."""
    ysq = np.trunc(y * 16.0) / 16.0
    de = (y - ysq) * (y + ysq)
    return np.exp(-ysq * ysq) * np.exp(-de) * r


def erf(x) -> np.ndarray:
    """The error function, elementwise, in float64 (|error| < 1e-15 against ``math.erf``)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.abs(x)
    out = np.empty_like(y)
    small = y <= 0.46875
    big = y > 4.0
    mid = ~(small | big)  # NaN lands here and stays NaN
    if small.any():  # erf(x) = x * P(x^2) / Q(x^2)
        ys = y[small]
        ysq = np.where(ys > 1.11e-16, ys * ys, 0.0)
        num, den = _A[4] * ysq, ysq
        for i in range(3):
            num = (num + _A[i]) * ysq
            den = (den + _B[i]) * ysq
        out[small] = x[small] * (num + _A[3]) / (den + _B[3])
    if mid.any():  # erfc(y) = exp(-y^2) P(y) / Q(y)
        ym = y[mid]
        num, den = _C[8] * ym, ym
        for i in range(7):
            num = (num + _C[i]) * ym
            den = (den + _D[i]) * ym
        r = _erfc_tail(ym, (num + _C[7]) / (den + _D[7]))
        e = (0.5 - r) + 0.5
        out[mid] = np.where(x[mid] < 0, -e, e)
    if big.any():  # erfc(y) = exp(-y^2)/y (1/sqrt(pi) + P(1/y^2)/Q(1/y^2) / y^2)
        yb = y[big]
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            ysq = 1.0 / (yb * yb)
            num, den = _P[5] * ysq, ysq
            for i in range(4):
                num = (num + _P[i]) * ysq
                den = (den + _Q[i]) * ysq
            r = _erfc_tail(yb, (_SQRPI - ysq * (num + _P[4]) / (den + _Q[4])) / yb)
        r = np.where(yb < 26.543, r, 0.0)  # erfc underflows past here (and y = inf gives NaN)
        e = (0.5 - r) + 0.5
        out[big] = np.where(x[big] < 0, -e, e)
    return out


# ------------------------------------------------------------------------------ linear and mse_loss


def _mse_kernel(a: np.ndarray, b: np.ndarray, reduction: str):
    """mse_loss on arrays: (loss, the VJP's ctx)."""
    diff = a - b
    sq = diff * diff
    # ctx: (diff, scale, a, b); the VJP reads diff and scale, a and b are there for the in-place
    # version check only (PyTorch saves both inputs: changing either before backward is refused)
    if reduction == "none":
        return sq, (diff, 1, a, b)
    if reduction == "sum":  # add.reduce is what sq.sum() calls, without its Python wrapper
        return fresh(np.add.reduce(sq, None)), (diff, 1, a, b)
    n = sq.size  # "mean"
    if n:
        return fresh(np.add.reduce(sq, None) / n), (diff, 1.0 / n, a, b)
    return np.array(np.nan, sq.dtype), (diff, 0.0, a, b)  # no elements: nan, as in PyTorch


_MSE_KERNELS = {r: (lambda a, b, r=r: _mse_kernel(a, b, r)) for r in ("none", "sum", "mean")}


# -------------------------------------------------------------------------- fused nn ops
@vjp("mse_loss", saves=("in0-in1", None, "const", "const"))
def _mse_loss_vjp(g, ctx, need):
    diff, scale = ctx[0], ctx[1]  # loss = scale * sum(diff**2) (or elementwise for "none")
    gi = (2 * scale) * g * diff
    return (gi if need[0] is not None else None), (-gi if need[1] is not None else None)


def _linear_kernel(a: np.ndarray, w: np.ndarray, b):
    """linear on arrays: ``a @ w.T + b``, and the VJP's ctx."""
    out = a @ w.T
    if b is not None:
        out += b  # in place on a fresh array: no extra allocation
    return out, (a, w)


needs("mse_loss", lambda inputs, ctx: (2, 3))  # the inputs, as PyTorch saves them
needs("linear", crosswise)  # the gradient of x reads the weight and vice versa; bias: nothing


@vjp("linear", saves=("in0", "in1"))
def _linear_vjp(g, ctx, need):
    x, w = ctx
    gx = g @ w if need[0] is not None else None
    gw = gb = None
    if need[1] is not None or need[2] is not None:
        try:
            g2, x2 = g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1])
        except ValueError:  # a zero-size feature dimension (Linear(0, n)): -1 is ambiguous
            rows = int(np.prod(g.shape[:-1]))
            g2, x2 = g.reshape(rows, g.shape[-1]), x.reshape(rows, x.shape[-1])
        if need[1] is not None:
            gw = g2.T @ x2
        if need[2] is not None:
            gb = np.add.reduce(g2, axis=0)
    return gx, gw, gb


_VJP_MSE, _VJP_LINEAR = VJP["mse_loss"], VJP["linear"]
forward_op("mse_loss")
forward_op("linear")


# -------------------------------------------------------------------------------------- activations


_SQRT_HALF = math.sqrt(0.5)


_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


_TANH_K = math.sqrt(2.0 / math.pi)


@op("leaky_relu")
def _leaky_relu(a, negative_slope, grad):
    pos = a > 0
    return np.where(pos, a, a * np.asarray(negative_slope, a.dtype)), (pos, negative_slope)


@_leaky_relu.defvjp(saves=(None, None))
def _leaky_relu_vjp(g, ctx, need):
    pos, slope = ctx
    return (np.where(pos, g, g * slope),)


@op("gelu")
def _gelu(a, approximate, grad):
    if approximate == "tanh":
        aux = np.tanh(_TANH_K * (a + 0.044715 * a * a * a))
        out = 0.5 * a * (1 + aux)
    else:
        # erf in float64 then rounded: float32 inputs get correctly rounded Phi(x)
        aux = (0.5 * (1.0 + erf(a * _SQRT_HALF))).astype(a.dtype, copy=False)
        out = a * aux
    return out, (a, approximate, aux)


@_gelu.defvjp(saves=("in0", None, "const"))
def _gelu_vjp(g, ctx, need):
    a, approximate, aux = ctx
    if _is_tensor(a):  # create_graph: the derivative through a recorded op (see _gelu_d)
        return (g * _gelu_d((a,), approximate),)
    if approximate == "tanh":
        t = aux
        inner = _TANH_K * (1 + 3 * 0.044715 * a * a)
        d = 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * inner
    else:
        cdf = aux  # Phi(a); d/da a*Phi(a) = Phi(a) + a*phi(a)
        d = cdf + a * (_INV_SQRT_2PI * np.exp(-0.5 * a * a))
    return (g * d.astype(g.dtype, copy=False),)


def _softmax_parts(a: np.ndarray, dim: int):
    """``(a - max, log(sum(exp(a - max))))``: subtracting the max keeps exp from overflowing."""
    try:
        m = a.max(axis=dim, keepdims=True)
    except ValueError:  # a dimension of size 0: an empty result, as in PyTorch
        if a.shape[dim] != 0:
            raise
        m = np.zeros(a.shape[: dim % a.ndim] + (1,) + a.shape[dim % a.ndim + 1 :], a.dtype)
    if m.dtype.kind == "f":
        m = np.where(np.isfinite(m), m, 0)  # all -inf (or inf) rows: as torch, NaN/inf, no warning
    s = a - m
    with np.errstate(divide="ignore"):
        lse = np.log(np.exp(s).sum(axis=dim, keepdims=True))
    return s, lse


@op("softmax")
def _softmax(a, dim, grad):
    s, lse = _softmax_parts(a.reshape(1) if a.ndim == 0 else a, dim)
    out = np.exp(s - lse)
    return out.reshape(a.shape), (out, dim)


@_softmax.defvjp(saves=("out", None))
def _softmax_vjp(g, ctx, need):
    out, dim = ctx  # np.add.reduce rather than .sum(axis=): it also runs on tensors (create_graph)
    return (out * (g - np.add.reduce(g * out, axis=dim, keepdims=True)),)


@op("log_softmax")
def _log_softmax(a, dim, grad):
    s, lse = _softmax_parts(a.reshape(1) if a.ndim == 0 else a, dim)
    out = s - lse
    return out.reshape(a.shape), (out, dim)


@_log_softmax.defvjp(saves=("out", None))
def _log_softmax_vjp(g, ctx, need):
    out, dim = ctx
    return (g - np.exp(out) * np.add.reduce(g, axis=dim, keepdims=True),)


@op("dropout")
def _dropout(a, m, grad):
    return a * m, (m,)


@_dropout.defvjp(saves=("const",))
def _dropout_vjp(g, ctx, need):
    (mask,) = ctx
    return (g * mask,)


# ---------------------------------------------------------------------- embedding and normalization


@op("embedding")
def _embedding(idx, w, padding_idx, grad):
    if idx.size:
        lo, hi = idx.min(), idx.max()
        if lo < 0 or hi >= w.shape[0]:
            raise embedding_index_error(int(lo if lo < 0 else hi), w.shape[0])
    return w[idx], (idx, w.shape, padding_idx)


@_embedding.defvjp
def _embedding_vjp(g, ctx, need):
    idx, shape, padding_idx = ctx
    gw = np.zeros(shape, g.dtype)
    np.add.at(gw, idx.reshape(-1), g.reshape(-1, shape[1]))  # repeated rows accumulate
    if padding_idx is not None:
        gw[padding_idx] = 0  # the padding row is never trained, as in PyTorch
    return (gw,)


def _norm_backward(g, xhat, rstd, w, axes, training: bool):
    """Input gradient of ``y = xhat * w + b`` with ``xhat = (x - mean) * rstd`` over ``axes``.

    With batch statistics, mean and rstd depend on x: the two mean terms project them out."""
    gx = g if w is None else g * w
    if training:
        gx = (
            gx
            - gx.mean(axis=axes, keepdims=True)
            - xhat * (gx * xhat).mean(axis=axes, keepdims=True)
        )
    return gx * rstd


@op("layer_norm")
def _layer_norm(a, w, b, normalized_shape, eps, grad):
    k = len(normalized_shape)
    axes = tuple(range(a.ndim - k, a.ndim))
    mean = a.mean(axis=axes, keepdims=True)
    xc = a - mean
    var = (xc * xc).mean(axis=axes, keepdims=True)  # biased, as PyTorch normalises
    rstd = 1.0 / np.sqrt(var + np.asarray(eps, a.dtype))
    xhat = xc * rstd
    out = xhat if w is None else xhat * w
    if b is not None:
        out = out + b
    return out, (a, w, xhat, rstd, axes, tuple(range(a.ndim - k)), eps)


def _mean_over(v, axes):
    """The mean over ``axes`` (kept), with numpy calls numpy_api maps (a tensor under
    create_graph)."""
    n = 1
    for ax in axes:
        n *= v.shape[ax]
    return np.divide(np.add.reduce(v, axis=axes, keepdims=True), n)


# ctx: (input, weight, xhat, rstd, axes, lead, eps). First order, the VJP reads the saved xhat
# and rstd; under create_graph the input and weight come as tensors of the graph and it
# recomputes them from the input, so the gradient differentiates again.
@_layer_norm.defvjp(saves=("in0", "in1", "const", "const", None, None, None))
def _layer_norm_vjp(g, ctx, need):
    a, w, xhat, rstd, axes, lead, eps = ctx
    if not isinstance(a, np.ndarray):
        xc = np.subtract(a, _mean_over(a, axes))
        rstd = np.divide(1.0, np.sqrt(np.add(_mean_over(np.multiply(xc, xc), axes), eps)))
        xhat = np.multiply(xc, rstd)
        gx = gw = gb = None
        if need[0] is not None:
            gy = g if w is None else np.multiply(g, w)
            gy = np.subtract(
                np.subtract(gy, _mean_over(gy, axes)),
                np.multiply(xhat, _mean_over(np.multiply(gy, xhat), axes)),
            )
            gx = np.multiply(gy, rstd)
        if need[1] is not None:
            gw = np.add.reduce(np.multiply(g, xhat), axis=lead)
        if need[2] is not None:
            gb = np.add.reduce(g, axis=lead)
        return gx, gw, gb
    gx = _norm_backward(g, xhat, rstd, w, axes, True) if need[0] is not None else None
    gw = (g * xhat).sum(axis=lead) if need[1] is not None else None
    gb = g.sum(axis=lead) if need[2] is not None else None
    return gx, gw, gb


@op("batch_norm")
def _batch_norm(a, rm, rv, w, b, training, momentum, eps, grad):
    c = a.shape[1]
    axes = (0,) + tuple(range(2, a.ndim))
    bshape = (1, c) + (1,) * (a.ndim - 2)  # per-channel values broadcast over N and space
    if training:
        mean = a.mean(axis=axes)
        xc = a - mean.reshape(bshape)
        var = (xc * xc).mean(axis=axes)
        n = a.size // c
        # the running statistics are updated in place, in a replayed nn.Graph step too
        if rm is not None:
            rm[...] = (1 - momentum) * rm + momentum * mean
        if rv is not None:
            # the running variance is the unbiased estimate, as in PyTorch
            rv[...] = (1 - momentum) * rv + momentum * (var * (n / (n - 1)))
    else:
        mean = rm.astype(a.dtype, copy=False)
        var = rv.astype(a.dtype, copy=False)
        xc = a - mean.reshape(bshape)
    rstd = (
        (1.0 / np.sqrt(var + np.asarray(eps, a.dtype))).reshape(bshape).astype(a.dtype, copy=False)
    )
    xhat = xc * rstd
    w = None if w is None else w.reshape(bshape)
    out = xhat if w is None else xhat * w
    if b is not None:
        out = out + b.reshape(bshape)
    return out, (xhat, rstd, w, axes, training)


@_batch_norm.defvjp
def _batch_norm_vjp(g, ctx, need):
    xhat, rstd, w, axes, training = ctx
    gx = _norm_backward(g, xhat, rstd, w, axes, training) if need[0] is not None else None
    gw = (g * xhat).sum(axis=axes) if need[1] is not None else None
    gb = g.sum(axis=axes) if need[2] is not None else None
    return gx, gw, gb


# -------------------------------------------------------------------------- convolution and pooling


def _windows(xp: np.ndarray, out_hw, kernel, stride, dilation) -> np.ndarray:
    """A read-only ``(N, C, Ho, Wo, kh, kw)`` view of every window of ``xp`` (no copy)."""
    n, c = xp.shape[:2]
    s_n, s_c, s_h, s_w = xp.strides
    return as_strided(
        xp,
        (n, c) + tuple(out_hw) + tuple(kernel),
        (s_n, s_c, s_h * stride[0], s_w * stride[1], s_h * dilation[0], s_w * dilation[1]),
        writeable=False,
    )


def _window_slice(i: int, j: int, out_hw, stride, dilation):
    """The positions kernel tap ``(i, j)`` reads for every output pixel: one strided slice."""
    h0, w0 = i * dilation[0], j * dilation[1]
    return (
        slice(None),
        slice(None),
        slice(h0, h0 + stride[0] * (out_hw[0] - 1) + 1, stride[0]),
        slice(w0, w0 + stride[1] * (out_hw[1] - 1) + 1, stride[1]),
    )


def _pad(a: np.ndarray, pads, value) -> np.ndarray:
    top, bottom, left, right = pads
    if not (top or bottom or left or right):
        return a
    n, c, h, w = a.shape
    out = np.full((n, c, h + top + bottom, w + left + right), value, a.dtype)
    out[:, :, top : top + h, left : left + w] = a
    return out


@op("conv2d")
def _conv2d(a, w, b, stride, padding, dilation, groups, grad):
    n, c = a.shape[:2]
    o, cg, kh, kw = w.shape
    xp = _pad(a, padding, 0)
    out_hw = (
        (xp.shape[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1,
        (xp.shape[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1,
    )
    win = _windows(xp, out_hw, (kh, kw), stride, dilation)
    # im2col: rows are output pixels (N, Ho, Wo), columns input taps (C, kh, kw)
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * out_hw[0] * out_hw[1], c * kh * kw)
    w2 = w.reshape(o, cg * kh * kw)
    if groups == 1:
        out = cols @ w2.T
    else:
        og, k = o // groups, cg * kh * kw
        out = np.concatenate(
            [cols[:, i * k : (i + 1) * k] @ w2[i * og : (i + 1) * og].T for i in range(groups)],
            axis=1,
        )
    if b is not None:
        out += b
    # back to NCHW, contiguous: the next op (relu, pooling) streams through it
    out = np.ascontiguousarray(out.reshape(n, out_hw[0], out_hw[1], o).transpose(0, 3, 1, 2))
    return out, (cols, w2, w.shape, a.shape, padding, out_hw, stride, dilation, groups)


@_conv2d.defvjp
def _conv2d_vjp(g, ctx, need):
    cols, w2, wshape, xshape, pads, out_hw, stride, dilation, groups = ctx
    n, c, h, w = xshape
    o = wshape[0]
    og, k = o // groups, w2.shape[1]
    g2 = g.transpose(0, 2, 3, 1).reshape(-1, o)  # (N*Ho*Wo, O), the layout of the forward matmul
    gx = gw = gb = None
    if need[1] is not None:
        if groups == 1:
            gw = (g2.T @ cols).reshape(wshape)
        else:
            gw = np.concatenate(
                [
                    g2[:, i * og : (i + 1) * og].T @ cols[:, i * k : (i + 1) * k]
                    for i in range(groups)
                ]
            ).reshape(wshape)
    if need[2] is not None:
        gb = g.sum(axis=(0, 2, 3))
    if need[0] is not None:
        if groups == 1:
            gcols = g2 @ w2
        else:
            gcols = np.concatenate(
                [g2[:, i * og : (i + 1) * og] @ w2[i * og : (i + 1) * og] for i in range(groups)],
                axis=1,
            )
        kh, kw = wshape[2:]
        # one copy into (N, C, kh, kw, Ho, Wo): each tap's slab is then contiguous
        gcols = np.ascontiguousarray(
            gcols.reshape(n, out_hw[0], out_hw[1], c, kh, kw).transpose(0, 3, 4, 5, 1, 2)
        )
        top, bottom, left, right = pads
        gxp = np.zeros((n, c, h + top + bottom, w + left + right), g.dtype)
        for i in range(kh):  # col2im: overlapping windows accumulate, one strided add per tap
            for j in range(kw):
                gxp[_window_slice(i, j, out_hw, stride, dilation)] += gcols[:, :, i, j]
        gx = gxp[:, :, top : top + h, left : left + w]
    return gx, gw, gb


@op("max_pool2d")
def _max_pool2d(a, kernel, stride, padding, dilation, ceil_mode, grad):
    h, w = a.shape[2:]
    out_hw = tuple(
        pool_out_size(size, k, s, p, d, ceil_mode)
        for size, k, s, p, d in zip((h, w), kernel, stride, padding, dilation)
    )
    # pad with -inf to every position a window reads (ceil_mode windows run past the end)
    need_h = (out_hw[0] - 1) * stride[0] + dilation[0] * (kernel[0] - 1) + 1
    need_w = (out_hw[1] - 1) * stride[1] + dilation[1] * (kernel[1] - 1) + 1
    pads = (
        padding[0],
        max(0, need_h - h - padding[0]),
        padding[1],
        max(0, need_w - w - padding[1]),
    )
    xp = _pad(a, pads, -np.inf)
    out = arg = None
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            s = xp[_window_slice(i, j, out_hw, stride, dilation)]
            if out is None:
                out = s.copy()
                arg = np.zeros(out.shape, np.int32)
                continue
            # strictly greater (or NaN): ties keep the first tap, NaN propagates (as torch)
            win = (s > out) | np.isnan(s)
            np.copyto(out, s, where=win)
            arg[win] = i * kernel[1] + j
    return out, (arg, xp.shape, a.shape, (pads[0], pads[2]), kernel, stride, dilation)


@_max_pool2d.defvjp
def _max_pool2d_vjp(g, ctx, need):
    arg, padded_shape, xshape, pads, kernel, stride, dilation = ctx
    out_hw = g.shape[2:]
    gxp = np.zeros(padded_shape, g.dtype)
    for i in range(kernel[0]):  # each tap sends the gradient of the outputs it won; one tap's
        for j in range(kernel[1]):  # positions never collide, so a strided add is exact
            won = arg == i * kernel[1] + j
            if won.any():
                gxp[_window_slice(i, j, out_hw, stride, dilation)] += np.where(won, g, 0)
    top, left = pads
    return (gxp[:, :, top : top + xshape[2], left : left + xshape[3]],)


# ------------------------------------------------------------------------------------------- losses


def _flatten_classes(a: np.ndarray) -> tuple[np.ndarray, bool]:
    """``(N, C, d1, ...)`` (or ``(C,)``) as ``(M, C)`` rows; ``moved``: whether C was moved."""
    if a.ndim == 1:
        return a[None, :], False
    if a.ndim == 2:
        return a, False
    return np.moveaxis(a, 1, -1).reshape(-1, a.shape[1]), True


def _unflatten_classes(g2: np.ndarray, xshape, moved: bool) -> np.ndarray:
    if not moved:
        return g2.reshape(xshape)
    n, c = xshape[:2]
    return np.moveaxis(g2.reshape((n,) + tuple(xshape[2:]) + (c,)), -1, 1)


def _target_weights(t2, c, weight, ignore_index, smoothing, dtype, input_shape):
    """For class-index targets: ``Q`` (M, C) with loss_i = -sum_c Q_ic logp_ic, and the
    per-sample weights ``w[y_i]`` (0 for ignored samples), the mean's denominator."""
    valid = t2 != ignore_index
    bad = valid & ((t2 < 0) | (t2 >= c))
    if bad.any():
        raise class_index_error(int(t2[bad][0]), c, input_shape, ignore_index)
    tc = np.where(valid, t2, 0)
    rows = np.arange(t2.shape[0])
    wy = (weight[tc] * valid).astype(dtype) if weight is not None else valid.astype(dtype)
    q = np.zeros((t2.shape[0], c), dtype)
    q[rows, tc] = (1 - smoothing) * wy
    if smoothing:
        # label smoothing spreads eps/C over every class, weighted by the class weights
        per_class = np.ones(c, dtype) if weight is None else weight.astype(dtype, copy=False)
        q += (smoothing / c) * valid[:, None].astype(dtype) * per_class[None, :]
    return q, wy, tc, valid


def _reduce(per: np.ndarray, reduction: str, denom, none_shape):
    """The loss for ``reduction`` and the factor each sample's gradient carries."""
    if reduction == "none":
        return per.reshape(none_shape), 1
    total = per.sum()
    if reduction == "sum":
        return total, 1
    with np.errstate(divide="ignore", invalid="ignore"):
        out = total / denom  # every target ignored: 0/0 = NaN, as in PyTorch
    # ... whose gradient PyTorch leaves at zero (no sample contributes)
    return out, (1 / denom if denom else 0)


_CE_FAST_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _cross_entropy_fast(
    a: np.ndarray, t: np.ndarray, ignore_index: int, reduction: str, grad: bool
):
    """``cross_entropy`` for the common case, or None to take the general path: logits
    ``(N, C)`` (float32/float64, every row's max finite), class indices ``(N,)`` all in
    ``[0, C)`` and none equal to ``ignore_index``, reduction ``"mean"`` or ``"sum"`` (the caller
    checks: no class weights, no label smoothing). Returns ``(loss, ctx)``, ``ctx`` being
    ``(softmax, flat indices of the true classes, scale)`` for :func:`_cross_entropy_fast_vjp`
    (None unless ``grad``).

    The loss is bit-identical to the general path's (``log(sum(exp(s))) - s[i, t_i]`` per row,
    the same sums, the same division); only the gradient rounds differently: the softmax is
    ``exp(s) / sum`` (the exp the loss already took) where the general VJP takes
    ``exp(logp)``."""
    tk = t.dtype.kind
    if (
        a.ndim != 2
        or t.ndim != 1
        or a.dtype not in _CE_FAST_DTYPES
        or not (tk == "i" or (tk == "u" and t.dtype.itemsize < 8))
    ):  # uint64 + int64 is float64
        return None
    n, c = a.shape
    if n == 0 or c == 0 or t.shape[0] != n:
        return None
    # 0 <= t < C in one reduction: read as unsigned, a negative index is huge
    tu = t.view(f"u{t.dtype.itemsize}") if tk == "i" else t
    if tu.max() >= c or (0 <= ignore_index < c and (t == ignore_index).any()):
        return None  # out of range or ignored: the general path (it also raises the error)
    if c <= 32:  # a few classes: numpy reduces each short row in a call of its own; the
        # columns of a transposed copy reduce in C vectorised passes instead (max is exact)
        m = np.ascontiguousarray(a.T).max(axis=0)
    else:
        m = a.max(axis=1)
    if not np.isfinite(m).all():  # a row of -inf, inf or NaN: the general path's rules
        return None
    s = a - m[:, None]  # the general path's layout, so its sums below add up in the same order
    flat = np.arange(0, n * c, c) + t  # C-order flat indices of (i, t_i); a copy of t, too
    picked = s.reshape(-1)[flat]
    e = np.exp(s, out=s)
    se = e.sum(axis=1)
    per = np.log(se)
    per -= picked  # -logp[i, t_i], exactly as the general path rounds it
    out = per.sum()  # then _reduce's arithmetic, without its errstate (n > 0 here)
    if reduction == "sum":
        scale = 1
    else:
        denom = a.dtype.type(n)
        out, scale = out / denom, 1 / denom
    if not grad:
        return out, None
    e /= se[:, None]  # the softmax, for the VJP
    return out, (a, t, e, flat, scale, None, None, None)  # (the general path's layout)


def _cross_entropy_fast_vjp(g, ctx):
    """The gradient of :func:`_cross_entropy_fast`'s loss: ``(softmax - onehot) * g * scale``,
    from the saved softmax (no second ``exp``, no dense target matrix). ``g`` is 0-d."""
    _, _, p, flat, scale = ctx[:5]
    k = g * scale
    # a new array (the saved softmax stays as it is: retain_graph), in C order whatever the
    # logits' layout, so the flat view below is a view and the flat indices mean (row, class)
    gx = np.multiply(p, k, order="C")
    gx.reshape(-1)[flat] -= k  # the true classes (one per row: no repeats)
    return gx, None


@op("cross_entropy")
def _cross_entropy(a, t, w, ignore_index, reduction, eps, grad):
    if w is None and not eps and reduction != "none":
        fast = _cross_entropy_fast(a, t, ignore_index, reduction, grad)
        if fast is not None:
            return fast
    x2, moved = _flatten_classes(a)
    c = x2.shape[1]
    s, lse = _softmax_parts(x2, 1)
    logp = s - lse
    if t.dtype.kind == "f":  # class probabilities, the input's shape
        t2, _ = _flatten_classes(t)
        tgt_coef = (1 - eps) * (np.ones((1, c), a.dtype) if w is None else w[None, :])
        q = t2 * (1 - eps) + eps / c if eps else t2
        if w is not None:
            q = q * w[None, :]
        per = -(q * logp).sum(axis=1)
        denom = x2.shape[0]
    else:
        t2 = t.reshape(-1)
        q, wy, tc, valid = _target_weights(t2, c, w, ignore_index, eps, a.dtype, a.shape)
        rows = np.arange(t2.shape[0])
        # the true-class term by gathering, so a -inf logit elsewhere gives no 0 * -inf
        per = -(1 - eps) * wy * logp[rows, tc]
        if eps:
            wc = np.ones(c, a.dtype) if w is None else w
            per = per - (eps / c) * valid.astype(a.dtype) * (logp * wc[None, :]).sum(axis=1)
        denom = wy.sum()
        tgt_coef = None
    # reduction="none" gives one loss per sample: the input's shape without the class dim
    out, scale = _reduce(per, reduction, denom, a.shape[:1] + a.shape[2:] if a.ndim > 1 else ())
    if not grad:
        return out, None
    qs = q * scale
    if tgt_coef is not None:
        tgt_coef = tgt_coef * scale
    return out, (a, t, logp, qs, qs.sum(axis=1, keepdims=True), tgt_coef, a.shape, moved)


def _log_softmax_rows(x2):
    """``log_softmax`` of ``(M, C)`` rows, written with numpy calls numpy_api maps, so that on a
    tensor (create_graph) it is differentiable; the row maxima it shifts by are constants."""
    m = np.asarray(x2._data if hasattr(x2, "_data") else x2).max(axis=1, keepdims=True)
    s = np.subtract(x2, m)
    return np.subtract(s, np.log(np.add.reduce(np.exp(s), axis=1, keepdims=True)))


# ctx: (logits, targets, ...). Under create_graph the logits and (probability) targets come as
# tensors of the graph and the VJP recomputes what depends on them -- the softmax from the
# logits, the target weights as their saved value plus their (linear) change with the targets --
# so the gradient differentiates again; first order, it reads the saved arrays.
@_cross_entropy.defvjp(saves=("in0", "in1", "const", "const", "const", "const", None, None))
def _cross_entropy_vjp(g, ctx, need):
    # loss_i = -sum_c Q_ic logp_ic, so d/dx_ic = softmax_ic sum_c' Q_ic' - Q_ic (Q: the target
    # weights, already scaled by the mean's denominator)
    a = ctx[0]
    if ctx[7] is None:  # the common case's context (see _cross_entropy_fast)
        if isinstance(a, np.ndarray):
            return _cross_entropy_fast_vjp(g, ctx)
        flat, scale = ctx[3], ctx[4]  # create_graph: (softmax(a) - onehot) * g * scale
        onehot = np.zeros(a._data.shape, a._data.dtype)
        onehot.reshape(-1)[flat._data] = 1  # (flat: the true classes' flat indices)
        k = g * scale
        return np.subtract(np.exp(_log_softmax_rows(a)) * k, np.multiply(onehot, k)), None
    _, t, logp, q, qsum, tgt_coef, xshape, moved = ctx
    if not isinstance(a, np.ndarray):  # create_graph: log-probabilities from the logits
        logp = _log_softmax_rows(_flatten_classes(a)[0])
        if tgt_coef is not None and t.requires_grad:  # probability targets: Q is linear in them
            t2 = _flatten_classes(t)[0]
            q = np.add(q, np.multiply(np.subtract(t2, np.asarray(t2._data)), tgt_coef))
            qsum = np.add.reduce(q, axis=1, keepdims=True)
    gi = g.reshape(-1, 1) if g.ndim else g
    gx = gt = None
    if need[0] is not None:
        gx = _unflatten_classes(gi * (np.exp(logp) * qsum - q), xshape, moved)
    if need[1] is not None:  # probability targets: d/dtarget = -logp * weight * (1 - smoothing)
        gt = _unflatten_classes(-gi * logp * tgt_coef, xshape, moved)
    return gx, gt


@op("nll_loss")
def _nll_loss(a, t, w, ignore_index, reduction, grad):
    x2, moved = _flatten_classes(a)
    c = x2.shape[1]
    t2 = t.reshape(-1)
    q, wy, tc, _ = _target_weights(t2, c, w, ignore_index, 0.0, a.dtype, a.shape)
    per = -wy * x2[np.arange(t2.shape[0]), tc]
    out, scale = _reduce(per, reduction, wy.sum(), t.shape)
    return out, (q * scale, a.shape, moved)


@_nll_loss.defvjp(saves=("const", None, None))
def _nll_loss_vjp(g, ctx, need):
    q, xshape, moved = ctx
    gi = g.reshape(-1, 1) if g.ndim else g
    return (_unflatten_classes(-gi * q, xshape, moved),)


# ------------------------------------ conv_transpose2d, pooling, group_norm, resampling, padding
# (issue 12, part 5). conv1d, max_pool1d, avg_pool1d and instance_norm reach these through
# flowkit.nn.functional (a 1-d layer is the 2-d one with height 1).


@op("conv_transpose2d")
def _conv_transpose2d(a, w, b, stride, padding, output_padding, groups, dilation, grad):
    """The adjoint of im2col conv2d: one matmul to per-tap columns, then one strided add per
    kernel tap (col2im) into the full output, cropped by ``padding``."""
    n, c, h, wd = a.shape
    _, og, kh, kw = w.shape
    o = og * groups
    cg = c // groups
    x2 = a.transpose(0, 2, 3, 1).reshape(n * h * wd, c)
    w2 = w.reshape(c, og * kh * kw)
    if groups == 1:
        cols = x2 @ w2
    else:
        cols = np.concatenate(
            [x2[:, i * cg : (i + 1) * cg] @ w2[i * cg : (i + 1) * cg] for i in range(groups)],
            axis=1,
        )
    cols = np.ascontiguousarray(cols.reshape(n, h, wd, o, kh, kw).transpose(0, 3, 4, 5, 1, 2))
    ho = (h - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + output_padding[0] + 1
    wo = (wd - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + output_padding[1] + 1
    full_h = max((h - 1) * stride[0] + dilation[0] * (kh - 1) + 1, padding[0] + ho)
    full_w = max((wd - 1) * stride[1] + dilation[1] * (kw - 1) + 1, padding[1] + wo)
    full = np.zeros((n, o, full_h, full_w), np.result_type(a, w))
    for i in range(kh):
        for j in range(kw):
            full[_window_slice(i, j, (h, wd), stride, dilation)] += cols[:, :, i, j]
    out = full[:, :, padding[0] : padding[0] + ho, padding[1] : padding[1] + wo]
    if b is not None:
        out = out + b.reshape(1, o, 1, 1)
    out = np.ascontiguousarray(out)
    return out, (x2, w2, a.shape, w.shape, (full_h, full_w), stride, padding, dilation, groups)


@_conv_transpose2d.defvjp
def _conv_transpose2d_vjp(g, ctx, need):
    x2, w2, xshape, wshape, full_hw, stride, padding, dilation, groups = ctx
    n, c, h, wd = xshape
    _, og, kh, kw = wshape
    o, cg, k = og * groups, c // groups, og * kh * kw
    ho, wo = g.shape[2:]
    gfull = np.zeros((n, o) + tuple(full_hw), g.dtype)
    gfull[:, :, padding[0] : padding[0] + ho, padding[1] : padding[1] + wo] = g
    win = _windows(gfull, (h, wd), (kh, kw), stride, dilation)  # (N, O, H, W, kh, kw)
    gcols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * wd, o * kh * kw)
    gx = gw = gb = None
    if need[0] is not None:
        if groups == 1:
            gx2 = gcols @ w2.T
        else:
            gx2 = np.concatenate(
                [
                    gcols[:, i * k : (i + 1) * k] @ w2[i * cg : (i + 1) * cg].T
                    for i in range(groups)
                ],
                axis=1,
            )
        gx = np.ascontiguousarray(gx2.reshape(n, h, wd, c).transpose(0, 3, 1, 2))
    if need[1] is not None:
        if groups == 1:
            gw = (x2.T @ gcols).reshape(wshape)
        else:
            gw = np.concatenate(
                [
                    x2[:, i * cg : (i + 1) * cg].T @ gcols[:, i * k : (i + 1) * k]
                    for i in range(groups)
                ]
            ).reshape(wshape)
    if need[2] is not None:
        gb = g.sum(axis=(0, 2, 3))
    return gx, gw, gb


def _avg_divisor(size, k, s, p, out, count_include_pad):
    """PyTorch's per-output-position divisor along one dimension."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, size + p)
    full = end - start
    if count_include_pad:
        return full
    return np.minimum(end, size) - np.maximum(start, 0)


@op("avg_pool2d")
def _avg_pool2d(a, kernel, stride, padding, ceil_mode, count_include_pad, divisor, grad):
    h, w = a.shape[2:]
    out_hw = tuple(
        pool_out_size(size, k, s, p, 1, ceil_mode)
        for size, k, s, p in zip((h, w), kernel, stride, padding)
    )
    need_h = (out_hw[0] - 1) * stride[0] + kernel[0]
    need_w = (out_hw[1] - 1) * stride[1] + kernel[1]
    pads = (
        padding[0],
        max(0, need_h - h - padding[0]),
        padding[1],
        max(0, need_w - w - padding[1]),
    )
    xp = _pad(a, pads, 0)
    out = None
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            s = xp[_window_slice(i, j, out_hw, stride, (1, 1))]
            if out is None:
                out = s.copy()
            else:
                out += s
    if divisor is not None:
        scale = np.full(out_hw, 1.0 / divisor)
    else:
        dh = _avg_divisor(h, kernel[0], stride[0], padding[0], out_hw[0], count_include_pad)
        dw = _avg_divisor(w, kernel[1], stride[1], padding[1], out_hw[1], count_include_pad)
        with np.errstate(divide="ignore"):
            scale = 1.0 / np.outer(dh, dw).astype(np.float64)
    scale = scale.astype(a.dtype)
    out *= scale
    return out, (scale, xp.shape, a.shape, (pads[0], pads[2]), kernel, stride)


@_avg_pool2d.defvjp
def _avg_pool2d_vjp(g, ctx, need):
    scale, padded_shape, xshape, pads, kernel, stride = ctx
    out_hw = g.shape[2:]
    gs = g * scale
    gxp = np.zeros(padded_shape, g.dtype)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            gxp[_window_slice(i, j, out_hw, stride, (1, 1))] += gs
    top, left = pads
    return (gxp[:, :, top : top + xshape[2], left : left + xshape[3]],)


def _adaptive_bounds(size: int, out: int):
    """PyTorch's adaptive windows: ``[floor(i*size/out), ceil((i+1)*size/out))``."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _window_means(a: np.ndarray, axis: int, out: int) -> np.ndarray:
    """The mean of each adaptive window along ``axis`` (one slice per output position, so a
    non-finite value reaches only the windows that hold it)."""
    start, end = _adaptive_bounds(a.shape[axis], out)
    moved = np.moveaxis(a, axis, -1)
    res = np.stack(
        [
            np.add.reduce(moved[..., s:e], axis=-1) / np.asarray(e - s, a.dtype)
            for s, e in zip(start, end)
        ],
        axis=-1,
    )
    return np.moveaxis(res, -1, axis)


def _window_means_vjp(g: np.ndarray, axis: int, size: int) -> np.ndarray:
    out = g.shape[axis]
    start, end = _adaptive_bounds(size, out)
    gm = np.moveaxis(g, axis, -1)
    gx = np.zeros(gm.shape[:-1] + (size,), g.dtype)
    for i, (s, e) in enumerate(zip(start, end)):
        gx[..., s:e] += (gm[..., i] / np.asarray(e - s, g.dtype))[..., None]
    return np.moveaxis(gx, -1, axis)


@op("adaptive_avg_pool2d")
def _adaptive_avg_pool2d(a, output_size, grad):
    out = _window_means(_window_means(a, 3, output_size[1]), 2, output_size[0])
    return np.ascontiguousarray(out), (a.shape,)


@_adaptive_avg_pool2d.defvjp
def _adaptive_avg_pool2d_vjp(g, ctx, need):
    (xshape,) = ctx
    return (_window_means_vjp(_window_means_vjp(g, 2, xshape[2]), 3, xshape[3]),)


def _adaptive_taps(size: int, out: int) -> np.ndarray:
    """``(out, kmax)`` input positions of each window, the last repeated to fill the row."""
    start, end = _adaptive_bounds(size, out)
    kmax = int((end - start).max()) if out else 0
    return np.minimum(start[:, None] + np.arange(kmax)[None, :], end[:, None] - 1)


@op("adaptive_max_pool2d")
def _adaptive_max_pool2d(a, output_size, grad):
    n, c, h, w = a.shape
    th, tw = _adaptive_taps(h, output_size[0]), _adaptive_taps(w, output_size[1])
    # every window as (N, C, Ho, Wo, kh*kw); a repeated tap cannot change the maximum
    flat_idx = (th[:, None, :, None] * w + tw[None, :, None, :]).reshape(
        output_size[0], output_size[1], -1
    )
    win = a.reshape(n, c, h * w)[:, :, flat_idx]
    arg = win.argmax(axis=-1)  # the first maximum, or the first NaN (as torch)
    out = np.take_along_axis(win, arg[..., None], -1)[..., 0]
    src = np.take_along_axis(np.broadcast_to(flat_idx, win.shape), arg[..., None], -1)[..., 0]
    return np.ascontiguousarray(out), (src, a.shape)


@_adaptive_max_pool2d.defvjp
def _adaptive_max_pool2d_vjp(g, ctx, need):
    src, xshape = ctx
    n, c, h, w = xshape
    gx = np.zeros((n * c, h * w), g.dtype)
    rows = np.arange(n * c)[:, None]
    np.add.at(gx, (rows, src.reshape(n * c, -1)), g.reshape(n * c, -1))  # windows overlap
    return (gx.reshape(xshape),)


@op("group_norm")
def _group_norm(a, w, b, num_groups, eps, grad):
    n, c = a.shape[:2]
    m = math.prod(a.shape[1:]) // num_groups  # values per group
    x3 = a.reshape(n, num_groups, m)
    mean = np.add.reduce(x3, axis=2, keepdims=True) / np.asarray(max(m, 1), a.dtype)
    xc = x3 - mean
    var = np.einsum("ngm,ngm->ng", xc, xc)[..., None] / np.asarray(max(m, 1), a.dtype)
    rstd = 1.0 / np.sqrt(var + np.asarray(eps, a.dtype))
    xhat3 = xc * rstd
    xhat = xhat3.reshape(a.shape)
    bshape = (1, c) + (1,) * (a.ndim - 2)
    out = xhat if w is None else xhat * w.reshape(bshape)
    if b is not None:
        out += b.reshape(bshape)  # a fresh array either way
    return out, (xhat3, rstd, w, bshape, a.shape)


@_group_norm.defvjp
def _group_norm_vjp(g, ctx, need):
    xhat3, rstd, w, bshape, xshape = ctx
    axes = (0,) + tuple(range(2, len(xshape)))
    gx = gw = gb = None
    if need[0] is not None:
        gxh = g if w is None else g * w.reshape(bshape)
        gx = _norm_backward(gxh.reshape(xhat3.shape), xhat3, rstd, None, 2, True).reshape(xshape)
    if need[1] is not None:
        gw = (g * xhat3.reshape(xshape)).sum(axis=axes)
    if need[2] is not None:
        gb = g.sum(axis=axes)
    return gx, gw, gb


def _pad_index(size: int, before: int, after: int, mode: str) -> np.ndarray:
    idx = np.arange(-before, size + after)
    if mode == "replicate":
        return np.clip(idx, 0, size - 1)
    period = 2 * (size - 1)  # reflect: ... 2 1 [0 1 2 ... n-1] n-2 ...
    idx = np.abs(idx) % period if period else np.zeros_like(idx)
    return np.where(idx >= size, period - idx, idx)


@op("pad")
def _pad_op(a, pad, mode, value, grad):
    k = len(pad) // 2
    dims = [a.ndim - 1 - i for i in range(k)]  # pad[2i:2i+2] is for dimension -1-i
    if mode == "constant":
        shape = list(a.shape)
        sl = [slice(None)] * a.ndim
        for i, d in enumerate(dims):
            lo, hi = pad[2 * i], pad[2 * i + 1]
            shape[d] += lo + hi
            sl[d] = slice(lo, lo + a.shape[d])
        out = np.full(shape, value, a.dtype)
        out[tuple(sl)] = a
        return out, (mode, tuple(sl), None, a.shape)
    out = a
    taps = []
    for i, d in enumerate(dims):
        idx = _pad_index(a.shape[d], pad[2 * i], pad[2 * i + 1], mode)
        out = np.take(out, idx, axis=d)
        taps.append((d, idx, a.shape[d]))
    return out, (mode, None, taps, a.shape)


@_pad_op.defvjp
def _pad_vjp(g, ctx, need):
    mode, sl, taps, xshape = ctx
    if mode == "constant":
        return (g[sl],)
    gx = g
    for d, idx, size in reversed(taps):
        moved = np.moveaxis(gx, d, 0)
        acc = np.zeros((size,) + moved.shape[1:], g.dtype)
        np.add.at(acc, idx, moved)
        gx = np.moveaxis(acc, 0, d)
    return (np.ascontiguousarray(gx),)


def _resample_taps(size: int, out: int, mode: str, align_corners: bool, scale):
    """One dimension's source taps with PyTorch's index rules: ``(i0, i1, lambda)`` (``i1`` and
    ``lambda`` None for nearest)."""
    rows = np.arange(out)
    if mode == "nearest":  # torch computes the source index in float32
        sc = np.float32(1.0 / scale) if scale else np.float32(size) / np.float32(out)
        src = np.floor(rows.astype(np.float32) * sc).astype(np.int64)
        return np.minimum(src, size - 1), None, None
    if align_corners:
        sc = (size - 1) / (out - 1) if out > 1 else 0.0
        pos = rows * sc
    else:
        sc = 1.0 / scale if scale else size / out
        pos = np.maximum(sc * (rows + 0.5) - 0.5, 0.0)
    i0 = np.minimum(np.floor(pos).astype(np.int64), size - 1)
    return i0, np.minimum(i0 + 1, size - 1), pos - i0


def _lam_shape(lam: np.ndarray, axis: int, ndim: int, dtype) -> np.ndarray:
    return lam.astype(dtype).reshape((-1,) + (1,) * (ndim - 1 - axis))


@op("interpolate")
def _interpolate(a, size, mode, align_corners, scales, grad):
    taps = []
    out = a
    for axis in range(a.ndim - 1, 1, -1):  # the last dimension first, as torch's kernels sum
        i0, i1, lam = _resample_taps(
            a.shape[axis], size[axis - 2], mode, align_corners, scales[axis - 2]
        )
        if lam is None:
            out = np.take(out, i0, axis=axis)
        else:
            lam_b = _lam_shape(lam, axis, a.ndim, a.dtype)
            out = np.take(out, i0, axis=axis) * (1 - lam_b) + np.take(out, i1, axis=axis) * lam_b
        taps.append((axis, i0, i1, lam, a.shape[axis]))
    return np.ascontiguousarray(out), (taps,)


@_interpolate.defvjp
def _interpolate_vjp(g, ctx, need):
    (taps,) = ctx
    gx = g
    for axis, i0, i1, lam, size in reversed(taps):
        moved = np.moveaxis(gx, axis, 0)
        acc = np.zeros((size,) + moved.shape[1:], g.dtype)
        if lam is None:
            np.add.at(acc, i0, moved)
        else:
            lam_b = _lam_shape(lam, 0, moved.ndim, g.dtype)
            np.add.at(acc, i0, moved * (1 - lam_b))
            np.add.at(acc, i1, moved * lam_b)
        gx = np.moveaxis(acc, 0, axis)
    return (np.ascontiguousarray(gx),)


# ------------------------------------------------- activations and losses (issue 12, part 4)
# softplus and binary_cross_entropy_with_logits have fused kernels: a composite would overflow
# (exp of a large logit) or lose precision. Their VJPs, and gelu's, run on tensors too
# (create_graph): they call the recorded sigmoid/softplus ops there, not numpy formulas that
# would overflow in a second derivative.


def _is_tensor(v) -> bool:
    return isinstance(v, define.NumpyTensorBase)


def _softplus_array(z: np.ndarray) -> np.ndarray:
    """``log(1 + exp(z))`` without overflow: ``max(z, 0) + log1p(exp(-|z|))``."""
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def _sigmoid_of(z):
    """``sigmoid(z)``: the recorded op on a tensor (create_graph), a stable formula on arrays."""
    if _is_tensor(z):
        return z.sigmoid()
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _softplus_of(z):
    """``log(1 + exp(z))``: the recorded op on a tensor (create_graph), else the array formula."""
    if _is_tensor(z):
        return _softplus((z,), 1.0, math.inf)
    return _softplus_array(z)


@op("softplus")
def _softplus(a, beta, threshold, grad):
    z = a * np.asarray(beta, a.dtype)
    out = _softplus_array(z)
    if beta != 1:
        out = out / np.asarray(beta, a.dtype)
    if threshold != math.inf:
        out = np.where(z > threshold, a, out)  # PyTorch's linear regime above the threshold
    return out.astype(a.dtype, copy=False), (a, beta, threshold)


@_softplus.defvjp(saves=("in0", None, None))
def _softplus_vjp(g, ctx, need):
    a, beta, threshold = ctx
    z = a * beta if beta != 1 else a
    d = _sigmoid_of(z)
    if threshold != math.inf:
        d = np.where(z > threshold, 1, d)
    return (g * d,)


def _gelu_d_array(a, approximate):
    """d/da gelu(a) on arrays."""
    if approximate == "tanh":
        t = np.tanh(_TANH_K * (a + 0.044715 * a * a * a))
        inner = _TANH_K * (1 + 3 * 0.044715 * a * a)
        return 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * inner
    cdf = (0.5 * (1.0 + erf(a * _SQRT_HALF))).astype(a.dtype, copy=False)
    return cdf + a * (_INV_SQRT_2PI * np.exp(-0.5 * a * a))


@op("gelu_backward")
def _gelu_d(a, approximate, grad):
    """gelu's derivative as an op of its own, so that gelu's VJP is differentiable (its exact
    form needs erf, which has no recorded counterpart)."""
    return _gelu_d_array(a, approximate).astype(a.dtype, copy=False), (a, approximate)


@_gelu_d.defvjp(saves=("in0", None))
def _gelu_d_vjp(g, ctx, need):
    a, approximate = ctx  # the second derivative, in recorded ufuncs (tanh, exp, arithmetic)
    if approximate == "tanh":
        t = np.tanh(_TANH_K * (a + 0.044715 * a * a * a))
        u1 = _TANH_K * (1 + 3 * 0.044715 * a * a)
        u2 = _TANH_K * 6 * 0.044715 * a
        s = 1 - t * t
        return (g * (s * u1 + 0.5 * a * s * (u2 - 2 * t * u1 * u1)),)
    return (g * ((_INV_SQRT_2PI * np.exp(-0.5 * a * a)) * (2 - a * a)),)


@op("binary_cross_entropy_with_logits")
def _bce_logits(x, t, w, pw, reduction, grad):
    if x.shape != t.shape:
        raise loss_shape_error("binary_cross_entropy_with_logits", x.shape, t.shape)
    sp = _softplus_array(-x)  # -log(sigmoid(x)), finite for any logit
    lw = 1 if pw is None else (pw - 1) * t + 1
    per = (1 - t) * x + lw * sp
    if w is not None:
        per = per * w
    per = np.broadcast_to(per, x.shape)
    if reduction == "none":
        out, scale = per.astype(x.dtype, copy=False), None
    elif reduction == "sum":
        out, scale = fresh(np.add.reduce(per, None)).astype(x.dtype), 1
    else:
        n = per.size
        out = fresh(np.add.reduce(per, None) / n if n else np.array(np.nan)).astype(x.dtype)
        scale = 1.0 / n if n else 0.0
    return out, (x, t, w, pw, scale)


@_bce_logits.defvjp(saves=("in0", "in1", "const", "const", None))
def _bce_logits_vjp(g, ctx, need):
    # the node's inputs are (x, target): weight and pos_weight get no gradient
    x, t, w, pw, scale = ctx
    gs = g if scale is None else g * scale
    if w is not None:
        gs = gs * w
    gx = gt = None
    lw = 1 if pw is None else (pw - 1) * t + 1
    if need[0] is not None:  # d/dx: (1 - t) - lw * sigmoid(-x)
        gx = gs * ((1 - t) - lw * _sigmoid_of(-x))
    if need[1] is not None:
        sp = _softplus_of(-x)
        gt = gs * (-x if pw is None else (pw - 1) * sp - x)
    return gx, gt


_ACT_LOSS_OPS = ("softplus", "gelu_backward", "binary_cross_entropy_with_logits")


class NumpyNNOps:
    """The fused ``nn`` ops of :class:`~flowkit_numpy.backend.NumpyBackend` (a mixin)."""

    # -- linear and mse_loss: inline, on every training step's path
    def linear(self, x, weight, bias):
        a, w = x._data, weight._data
        if a.dtype is not w.dtype or not a.ndim or a.shape[-1] != w.shape[1]:
            err = linear_error(a.shape, x.dtype, w.shape, weight.dtype)
            if err is not None:
                raise err
        out, ctx = _linear_kernel(a, w, None if bias is None else bias._data)
        rg = x._rg or weight._rg or (bias is not None and bias._rg)
        if (define.grad_enabled or define.STATE.grad_enabled) and rg:
            need = (
                x if x._rg else None,
                weight if weight._rg else None,
                bias if bias is not None and bias._rg else None,
            )
            res = make(out, Node("linear", _VJP_LINEAR, ctx, need))
        else:
            res = make(out)
        if define.tracer is not None:
            define.tracer.record(res, _linear_kernel, (x, weight, bias), "linear")
        return res

    def mse_loss(self, input, target, reduction):
        a, b = input._data, target._data
        if a.shape != b.shape:
            raise loss_shape_error("mse_loss", a.shape, b.shape)
        if a.dtype is not b.dtype or a.dtype.kind != "f":
            err = loss_dtype_error("mse_loss", input.dtype, target.dtype)
            if err is not None:
                raise err
        out, ctx = _mse_kernel(a, b, reduction)
        if (define.grad_enabled or define.STATE.grad_enabled) and (input._rg or target._rg):
            need = (input if input._rg else None, target if target._rg else None)
            res = make(out, Node("mse_loss", _VJP_MSE, ctx, need))
        else:
            res = make(out)
        if define.tracer is not None:
            define.tracer.record(res, _MSE_KERNELS[reduction], (input, target), "mse_loss")
        return res

    # -- activations
    def leaky_relu(self, x, negative_slope):
        return _leaky_relu((x,), negative_slope)

    def gelu(self, x, approximate):
        return _gelu((x,), approximate)

    def softmax(self, x, dim):
        return _softmax((x,), dim)

    def log_softmax(self, x, dim):
        return _log_softmax((x,), dim)

    def dropout(self, x, mask):
        # not replayed by an nn.Graph: the mask is drawn anew at every call (the recording
        # would keep one), so the mask tensor, made inside build, makes the graph run eagerly
        return _dropout((x, mask), inputs=(x,))

    # -- embedding and normalization
    def embedding(self, indices, weight, padding_idx):
        return _embedding((indices, weight), padding_idx, inputs=(weight,))

    def layer_norm(self, x, normalized_shape, weight, bias, eps):
        return _layer_norm((x, weight, bias), normalized_shape, eps)

    def batch_norm(self, x, running_mean, running_var, weight, bias, training, momentum, eps):
        return _batch_norm(
            (x, running_mean, running_var, weight, bias),
            training,
            momentum,
            eps,
            inputs=(x, weight, bias),
        )

    # -- convolution and pooling
    def conv1d(self, x, weight, bias, stride, padding, dilation, groups):
        # the 2-d kernel (and its VJP) with a height of 1
        return self.conv2d(
            x.unsqueeze(2),
            weight.unsqueeze(2),
            bias,
            (1, stride),
            (0, 0, *padding),
            (1, dilation),
            groups,
        ).squeeze(2)

    def conv2d(self, x, weight, bias, stride, padding, dilation, groups):
        return _conv2d((x, weight, bias), stride, padding, dilation, groups)

    def max_pool2d(self, x, kernel, stride, padding, dilation, ceil_mode):
        return _max_pool2d((x,), kernel, stride, padding, dilation, ceil_mode)

    # -- convolution, pooling, normalization, resampling and padding (issue 12, part 5)
    def conv_transpose2d(self, x, weight, bias, stride, padding, output_padding, groups, dilation):
        return _conv_transpose2d(
            (x, weight, bias), stride, padding, output_padding, groups, dilation
        )

    def avg_pool2d(
        self, x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
    ):
        return _avg_pool2d(
            (x,), kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
        )

    def adaptive_avg_pool2d(self, x, output_size):
        return _adaptive_avg_pool2d((x,), output_size)

    def adaptive_max_pool2d(self, x, output_size):
        return _adaptive_max_pool2d((x,), output_size)

    def group_norm(self, x, num_groups, weight, bias, eps):
        return _group_norm((x, weight, bias), num_groups, eps)

    def pad(self, x, pad, mode, value):
        return _pad_op((x,), pad, mode, value)

    def interpolate(self, x, size, mode, align_corners, scales):
        return _interpolate((x,), size, mode, align_corners, scales)

    # -- losses
    def cross_entropy(self, x, target, weight, ignore_index, reduction, label_smoothing):
        # probabilities as targets get a gradient too; class indices never do
        soft = target if target._data.dtype.kind == "f" else None
        return _cross_entropy(
            (x, target, weight), ignore_index, reduction, label_smoothing, inputs=(x, soft)
        )

    def nll_loss(self, x, target, weight, ignore_index, reduction):
        return _nll_loss((x, target, weight), ignore_index, reduction, inputs=(x,))

    # -- recurrent layers (issue 12, part 6): the fused time loop is in rnn.py
    def rnn_layer(self, mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, lengths):
        return _rnn_layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, lengths)

    # -- activations and losses (issue 12, part 4)
    def softplus(self, x, beta, threshold):
        return _softplus((x,), beta, threshold)

    def binary_cross_entropy_with_logits(self, x, target, weight, pos_weight, reduction):
        # weight and pos_weight get no gradient (PyTorch refuses to differentiate them)
        return _bce_logits((x, target, weight, pos_weight), reduction, inputs=(x, target))
