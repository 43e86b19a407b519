"""Fast optimizer kernels for the numpy backend: the reference algorithms, on raw arrays.

Same signatures as :mod:`flowkit.optim._functional`; they skip the tensor layer (no tensor objects
made per parameter) and update in place with numpy ufuncs writing into ``out=``.
"""

from __future__ import annotations

import math

import numpy as np

from .define import make as _make
from .engine import bump


def _grad(g: np.ndarray, w: np.ndarray, maximize: bool, weight_decay: float) -> np.ndarray:
    """The gradient an update follows: negated to maximize, plus the L2 penalty (a new array
    when either applies; ``g`` itself, never written into, otherwise)."""
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * w
    return g


def sgd(
    params, grads, momentum_buffers, *, lr, momentum, dampening, weight_decay, nesterov, maximize
):
    for i, p in enumerate(params):
        w = p._data
        g = _grad(grads[i]._data, w, maximize, weight_decay)
        if momentum != 0:
            buf = momentum_buffers[i]
            if buf is None:
                buf = momentum_buffers[i] = _make(np.array(g, copy=True))
            else:
                b = buf._data
                b *= momentum
                if dampening == 0:
                    b += g  # (1 - 0) * g is g exactly: skip the full-size temporary
                else:
                    b += (1 - dampening) * g
            g = g + momentum * buf._data if nesterov else buf._data
        w -= lr * g  # one temporary; in place so the Parameter keeps its array
        bump(w)  # a version more: a graph that saved w now refuses its backward


_SCRATCH: dict = {}


def _scratch(like: np.ndarray, k: int) -> np.ndarray:
    """Scratch buffer ``k`` of ``like``'s shape and dtype, reused across steps and parameters
    (an update reads it only within one parameter's turn)."""
    key = (like.shape, like.dtype, k)
    buf = _SCRATCH.get(key)
    if buf is None:
        buf = _SCRATCH[key] = np.empty(like.shape, like.dtype)
    return buf


def adam(
    params,
    grads,
    exp_avgs,
    exp_avg_sqs,
    steps,
    *,
    lr,
    beta1,
    beta2,
    eps,
    weight_decay,
    decoupled_weight_decay,
    maximize,
    amsgrad=False,
    max_exp_avg_sqs=None,
):
    for i, p in enumerate(params):
        w = p._data
        g = grads[i]._data
        if maximize:
            g = -g
        if weight_decay != 0:
            if decoupled_weight_decay:
                w *= 1 - lr * weight_decay
            else:
                g = g + weight_decay * w
        m, v, step = exp_avgs[i]._data, exp_avg_sqs[i]._data, steps[i]
        t, u = _scratch(w, 0), _scratch(w, 1)  # reused buffers: no full-size temporaries
        m *= beta1
        np.multiply(g, 1 - beta1, out=t)
        m += t
        v *= beta2
        np.multiply(g, g, out=t)  # (g * g) * (1 - beta2): the reference's order
        t *= 1 - beta2
        v += t
        bias1 = 1 - beta1**step
        bias2 = 1 - beta2**step
        if amsgrad:
            vmax = max_exp_avg_sqs[i]._data
            np.maximum(vmax, v, out=vmax)
            v = vmax
        np.sqrt(v, out=t)  # t = denom = sqrt(v) / sqrt(bias2) + eps
        t /= math.sqrt(bias2)
        t += eps
        np.multiply(m, lr / bias1, out=u)  # ((lr / bias1) * m) / denom
        u /= t
        w -= u
        bump(w)  # a version more: a graph that saved w now refuses its backward


def rmsprop(
    params,
    grads,
    square_avgs,
    grad_avgs,
    momentum_buffers,
    *,
    lr,
    alpha,
    eps,
    weight_decay,
    momentum,
    centered,
    maximize,
):
    for i, p in enumerate(params):
        w = p._data
        g = _grad(grads[i]._data, w, maximize, weight_decay)
        sq = square_avgs[i]._data
        sq *= alpha
        t = (1 - alpha) * g  # ((1 - alpha) * g) * g: the reference's (addcmul's) order
        t *= g
        sq += t
        avg = np.empty_like(sq)  # an array even for 0-d (a 0-d ufunc result is a scalar)
        if centered:
            ga = grad_avgs[i]._data
            _lerp_(ga, g, 1 - alpha)
            np.multiply(ga, ga, out=avg)
            np.subtract(sq, avg, out=avg)
            np.sqrt(avg, out=avg)
        else:
            np.sqrt(sq, out=avg)
        avg += eps
        if momentum > 0:
            buf = momentum_buffers[i]._data
            buf *= momentum
            np.divide(g, avg, out=avg)  # avg is a temporary here: reuse it
            buf += avg
            np.multiply(buf, lr, out=avg)
        else:
            np.divide(g, avg, out=avg)
            avg *= lr
        w -= avg
        bump(w)  # a version more: a graph that saved w now refuses its backward


def adagrad(params, grads, state_sums, steps, *, lr, lr_decay, weight_decay, eps, maximize):
    for i, p in enumerate(params):
        w = p._data
        g = _grad(grads[i]._data, w, maximize, weight_decay)
        clr = lr / (1 + (steps[i] - 1) * lr_decay)
        s = state_sums[i]._data
        s += g * g
        std = np.sqrt(s, out=np.empty_like(s))  # an array even for 0-d
        std += eps
        np.divide(g, std, out=std)
        std *= clr
        w -= std
        bump(w)  # a version more: a graph that saved w now refuses its backward


def _lerp_(start, end, weight):
    """torch.lerp's two formulas, as in the reference (exact at weight 0 and 1)."""
    d = end - start
    if abs(weight) < 0.5:
        d *= weight
        start += d
    else:
        d *= 1 - weight
        np.subtract(end, d, out=start)


def adadelta(
    params, grads, square_avgs, acc_deltas, steps, *, lr, rho, eps, weight_decay, maximize
):
    for i, p in enumerate(params):
        w = p._data
        g = _grad(grads[i]._data, w, maximize, weight_decay)
        sq, acc = square_avgs[i]._data, acc_deltas[i]._data
        sq *= rho
        sq += (1 - rho) * g * g
        delta = np.sqrt(acc + eps) / np.sqrt(sq + eps) * g
        acc *= rho
        acc += (1 - rho) * delta * delta
        w -= lr * delta
        bump(w)  # a version more: a graph that saved w now refuses its backward


def adamax(
    params, grads, exp_avgs, exp_infs, steps, *, lr, beta1, beta2, eps, weight_decay, maximize
):
    for i, p in enumerate(params):
        w = p._data
        g = _grad(grads[i]._data, w, maximize, weight_decay)
        m, u = exp_avgs[i]._data, exp_infs[i]._data
        _lerp_(m, g, 1 - beta1)
        u *= beta2
        np.maximum(u, np.abs(g) + eps, out=u)
        clr = lr / (1 - beta1 ** steps[i])
        w -= clr * m / u
        bump(w)


def nadam(
    params,
    grads,
    exp_avgs,
    exp_avg_sqs,
    mu_products,
    steps,
    *,
    lr,
    beta1,
    beta2,
    eps,
    weight_decay,
    momentum_decay,
    decoupled_weight_decay,
    maximize,
):
    for i, p in enumerate(params):
        w = p._data
        g = grads[i]._data
        if maximize:
            g = -g
        step = steps[i]
        bias2 = 1 - beta2**step
        if weight_decay != 0:
            if decoupled_weight_decay:
                w *= 1 - lr * weight_decay
            else:
                g = g + weight_decay * w
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_product = mu_products[i] * mu
        mu_products[i] = mu_product
        m, v = exp_avgs[i]._data, exp_avg_sqs[i]._data
        _lerp_(m, g, 1 - beta1)
        v *= beta2
        v += g * g * (1 - beta2)
        denom = np.sqrt(v / bias2) + eps
        w += (-lr * (1.0 - mu) / (1.0 - mu_product)) * g / denom
        w += ((-lr * mu_next) / (1.0 - mu_product * mu_next)) * m / denom
        bump(w)


def radam(
    params,
    grads,
    exp_avgs,
    exp_avg_sqs,
    steps,
    *,
    lr,
    beta1,
    beta2,
    eps,
    weight_decay,
    decoupled_weight_decay,
    maximize,
):
    for i, p in enumerate(params):
        w = p._data
        g = grads[i]._data
        if maximize:
            g = -g
        step = steps[i]
        if weight_decay != 0:
            if decoupled_weight_decay:
                w *= 1 - lr * weight_decay
            else:
                g = g + weight_decay * w
        m, v = exp_avgs[i]._data, exp_avg_sqs[i]._data
        _lerp_(m, g, 1 - beta1)
        v *= beta2
        v += g * g * (1 - beta2)
        bias1 = 1 - beta1**step
        bias2 = 1 - beta2**step
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias2
        update = m / bias1 * lr
        if rho_t > 5.0:
            rect = (
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            ) ** 0.5
            update = update * bias2**0.5 / (np.sqrt(v) + eps) * rect
        w -= update
        bump(w)


def lbfgs_direction(flat_grad, old_dirs, old_stps, ro, h_diag):
    n = len(old_dirs)
    al = [0.0] * n
    q = -flat_grad._data
    ys, ss = [y._data for y in old_dirs], [s._data for s in old_stps]
    for i in range(n - 1, -1, -1):
        al[i] = float(np.matmul(ss[i], q)) * ro[i]  # flowkit's dot: np.matmul for 1-d
        q = q - al[i] * ys[i]
    r = q * h_diag
    for i in range(n):
        be_i = float(np.matmul(ys[i], r)) * ro[i]
        r = r + (al[i] - be_i) * ss[i]
    return _make(r)


KERNELS = {
    "sgd": sgd,
    "adam": adam,
    "adamw": adam,
    "rmsprop": rmsprop,
    "adagrad": adagrad,
    "adadelta": adadelta,
    "adamax": adamax,
    "nadam": nadam,
    "radam": radam,
    "lbfgs": lbfgs_direction,
}
