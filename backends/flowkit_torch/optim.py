"""Fast optimizer kernels for the torch backend: the reference algorithms as ``_foreach_*`` ops.

Same signatures as :mod:`flowkit.optim._functional`. Each step is a handful of multi-tensor
kernels over the raw torch tensors (one call per op for all parameters, not one per parameter)
instead of a Python loop of flowkit ops. ``torch.optim`` is not used: building one imports
``torch._dynamo`` (about 2 s).

Every product is rounded before it is added (``_foreach_mul`` then ``_foreach_add_``), never
fused with ``alpha=``: torch's fused ``a + alpha * b`` uses FMA, which differs from the reference
(and from the numpy backend) in the last bit, and a docs page must print the same numbers on
every backend.

The one exception is Adam/AdamW: its kernel uses the fused ops ``torch.optim.Adam`` uses
(``lerp``, ``addcmul``, ``addcdiv``), which round differently from the reference's sequence, so it
agrees with the reference to a few units in the last place, not bit for bit. That buys ~12 % of a
W2 MLP step (bench/NOTES.md), which the "<= 1.05x plain torch" target needs; see ``_adam``.
"""

from __future__ import annotations

import math

import torch

from .tensor import _wrap

# Parameters are leaves that require grad, so they are updated with recording off.
# torch.no_grad() as a context manager costs ~1.5 us a step on CPU; flipping the flag that it
# flips costs ~0.1 us.
_set_grad_enabled = torch._C._set_grad_enabled
_is_grad_enabled = torch.is_grad_enabled


def _grads(gs, ps, maximize: bool, weight_decay: float):
    """The gradients an update follows: negated to maximize, plus the L2 penalty (new tensors
    when either applies; the gradients themselves, never written into, otherwise)."""
    if maximize:
        gs = torch._foreach_neg(gs)
    if weight_decay != 0:
        gs = torch._foreach_add(gs, torch._foreach_mul(ps, weight_decay))
    return gs


def sgd(
    params, grads, momentum_buffers, *, lr, momentum, dampening, weight_decay, nesterov, maximize
):
    prev = _is_grad_enabled()
    _set_grad_enabled(False)
    try:
        _sgd(
            params,
            grads,
            momentum_buffers,
            lr,
            momentum,
            dampening,
            weight_decay,
            nesterov,
            maximize,
        )
    finally:
        _set_grad_enabled(prev)


def _sgd(
    params, grads, momentum_buffers, lr, momentum, dampening, weight_decay, nesterov, maximize
):
    ps = [p._t for p in params]
    gs = [g._t for g in grads]
    gs = _grads(gs, ps, maximize, weight_decay)
    if momentum != 0:
        old = [i for i, b in enumerate(momentum_buffers) if b is not None]
        if old:
            bufs = [momentum_buffers[i]._t for i in old]
            gsel = gs if len(old) == len(gs) else [gs[i] for i in old]
            torch._foreach_mul_(bufs, momentum)
            # g * 1.0 is exact: skip the multiply when there is no dampening
            torch._foreach_add_(
                bufs, gsel if dampening == 0 else torch._foreach_mul(gsel, 1 - dampening)
            )
        if len(old) != len(gs):
            for i, b in enumerate(momentum_buffers):
                if b is None:  # first step: the buffer starts as a copy of the gradient
                    momentum_buffers[i] = _wrap(gs[i].clone())
        bufs = [b._t for b in momentum_buffers]
        gs = torch._foreach_add(gs, torch._foreach_mul(bufs, momentum)) if nesterov else bufs
    torch._foreach_sub_(ps, torch._foreach_mul(gs, lr))


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
    prev = _is_grad_enabled()
    _set_grad_enabled(False)
    try:
        _adam(
            params,
            grads,
            exp_avgs,
            exp_avg_sqs,
            steps,
            lr,
            beta1,
            beta2,
            eps,
            weight_decay,
            decoupled_weight_decay,
            maximize,
            amsgrad,
            max_exp_avg_sqs,
        )
    finally:
        _set_grad_enabled(prev)


def _adam(
    params,
    grads,
    exp_avgs,
    exp_avg_sqs,
    steps,
    lr,
    beta1,
    beta2,
    eps,
    weight_decay,
    decoupled_weight_decay,
    maximize,
    amsgrad,
    max_exp_avg_sqs,
):
    # The update is torch.optim.Adam's own multi-tensor one (torch/optim/adam.py,
    # _multi_tensor_adam): the first moment is one fused in-place pass, the second two, the step
    # one addcdiv_; seven _foreach ops and one temporary list (the denominator) where the
    # reference's operation order took thirteen and four. The fused ops round differently
    # from the reference (lerp's m + w*(g - m) is not m*b1 + g*(1 - b1), addcmul/addcdiv may use
    # FMA), so this kernel agrees with flowkit.optim._functional.adam to a few ulp, not bit for
    # bit (tests/test_torch_backend.py, tests/test_optim_more.py). Every overload used here,
    # Python-float scalars included, is one torch.optim.Adam itself calls in torch >= 2.4.
    ps = [p._t for p in params]
    gs = [g._t for g in grads]
    ms = [m._t for m in exp_avgs]
    vs = [v._t for v in exp_avg_sqs]
    if maximize:
        gs = torch._foreach_neg(gs)
    if weight_decay != 0:
        # kept in the reference's rounding (product, then sum): off the default path, and it
        # keeps the parameters' decay identical to the other kernels'
        if decoupled_weight_decay:
            torch._foreach_mul_(ps, 1 - lr * weight_decay)
        else:
            gs = torch._foreach_add(gs, torch._foreach_mul(ps, weight_decay))
    # m <- m + (1 - b1) * (g - m), i.e. b1 * m + (1 - b1) * g
    torch._foreach_lerp_(ms, gs, 1 - beta1)
    # v <- b2 * v + (1 - b2) * g * g
    torch._foreach_mul_(vs, beta2)
    torch._foreach_addcmul_(vs, gs, gs, 1 - beta2)
    if amsgrad:
        vmaxs = [v._t for v in max_exp_avg_sqs]
        torch._foreach_maximum_(vmaxs, vs)
        vs = vmaxs
    # one bias correction per parameter: their step counts can differ
    denom = torch._foreach_sqrt(vs)
    torch._foreach_div_(denom, [math.sqrt(1 - beta2**s) for s in steps])
    torch._foreach_add_(denom, eps)
    # p <- p - (lr / bias1) * m / denom, as p + (-(lr / bias1)) * m / denom in one pass
    torch._foreach_addcdiv_(ps, ms, denom, [-(lr / (1 - beta1**s)) for s in steps])


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
    prev = _is_grad_enabled()
    _set_grad_enabled(False)
    try:
        _rmsprop(
            params,
            grads,
            square_avgs,
            grad_avgs,
            momentum_buffers,
            lr,
            alpha,
            eps,
            weight_decay,
            momentum,
            centered,
            maximize,
        )
    finally:
        _set_grad_enabled(prev)


def _rmsprop(
    params,
    grads,
    square_avgs,
    grad_avgs,
    momentum_buffers,
    lr,
    alpha,
    eps,
    weight_decay,
    momentum,
    centered,
    maximize,
):
    ps = [p._t for p in params]
    gs = [g._t for g in grads]
    sqs = [s._t for s in square_avgs]
    gs = _grads(gs, ps, maximize, weight_decay)
    torch._foreach_mul_(sqs, alpha)
    t = torch._foreach_mul(gs, 1 - alpha)  # ((1 - alpha) * g) * g: the reference's order
    torch._foreach_mul_(t, gs)
    torch._foreach_add_(sqs, t)
    if centered:
        gas = [a._t for a in grad_avgs]
        _lerp_(gas, gs, 1 - alpha)
        avg = torch._foreach_mul(gas, gas)
        torch._foreach_neg_(avg)  # -(ga * ga) + sq == sq - ga * ga exactly, with no new list
        torch._foreach_add_(avg, sqs)
        torch._foreach_sqrt_(avg)
    else:
        avg = torch._foreach_sqrt(sqs)
    torch._foreach_add_(avg, eps)
    upd = torch._foreach_div(gs, avg)
    if momentum > 0:
        bufs = [b._t for b in momentum_buffers]
        torch._foreach_mul_(bufs, momentum)
        torch._foreach_add_(bufs, upd)
        upd = torch._foreach_mul(bufs, lr)
    else:
        torch._foreach_mul_(upd, lr)
    torch._foreach_sub_(ps, upd)


def adagrad(params, grads, state_sums, steps, *, lr, lr_decay, weight_decay, eps, maximize):
    prev = _is_grad_enabled()
    _set_grad_enabled(False)
    try:
        _adagrad(params, grads, state_sums, steps, lr, lr_decay, weight_decay, eps, maximize)
    finally:
        _set_grad_enabled(prev)


def _adagrad(params, grads, state_sums, steps, lr, lr_decay, weight_decay, eps, maximize):
    ps = [p._t for p in params]
    gs = [g._t for g in grads]
    sums = [s._t for s in state_sums]
    gs = _grads(gs, ps, maximize, weight_decay)
    torch._foreach_add_(sums, torch._foreach_mul(gs, gs))
    std = torch._foreach_sqrt(sums)
    torch._foreach_add_(std, eps)
    upd = torch._foreach_div(gs, std)
    # one decayed rate per parameter: their step counts can differ
    torch._foreach_mul_(upd, [lr / (1 + (s - 1) * lr_decay) for s in steps])
    torch._foreach_sub_(ps, upd)


def _lerp_(starts, ends, weight):
    """torch.lerp's two formulas without its FMA, as in the reference (exact at weight 0, 1)."""
    d = torch._foreach_sub(ends, starts)
    if abs(weight) < 0.5:
        torch._foreach_mul_(d, weight)
        torch._foreach_add_(starts, d)
    else:
        torch._foreach_mul_(d, -(1 - weight))  # rounds as d * (1 - weight), negated
        torch._foreach_add_(d, ends)  # end + -(...): the reference's end - (...) exactly
        torch._foreach_copy_(starts, d)


def _no_grad(update):
    """``update`` run with recording off (the parameters are leaves that require grad)."""

    def kernel(*args, **kwargs):
        prev = _is_grad_enabled()
        _set_grad_enabled(False)
        try:
            update(*args, **kwargs)
        finally:
            _set_grad_enabled(prev)

    kernel.__name__ = kernel.__qualname__ = update.__name__.lstrip("_")
    return kernel


def _no_grad_result(fn):
    """``fn`` run with recording off, its result returned."""

    def kernel(*args, **kwargs):
        prev = _is_grad_enabled()
        _set_grad_enabled(False)
        try:
            return fn(*args, **kwargs)
        finally:
            _set_grad_enabled(prev)

    kernel.__name__ = kernel.__qualname__ = fn.__name__.lstrip("_")
    return kernel


def _grad1(g, w, maximize: bool, weight_decay: float):
    """One parameter's gradient: negated to maximize, plus the L2 penalty (new tensors)."""
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * w
    return g


# The four below loop over the parameters with plain (unfused) torch ops, in the reference's
# order: bit for bit the reference's numbers.
@_no_grad
def _adadelta(
    params, grads, square_avgs, acc_deltas, steps, *, lr, rho, eps, weight_decay, maximize
):
    for p, gt, s, a in zip(params, grads, square_avgs, acc_deltas, strict=True):
        w = p._t
        g = _grad1(gt._t, w, maximize, weight_decay)
        sq, acc = s._t, a._t
        sq.mul_(rho).add_((1 - rho) * g * g)
        delta = torch.sqrt(acc + eps) / torch.sqrt(sq + eps) * g
        acc.mul_(rho).add_((1 - rho) * delta * delta)
        w.sub_(lr * delta)


@_no_grad
def _adamax(
    params, grads, exp_avgs, exp_infs, steps, *, lr, beta1, beta2, eps, weight_decay, maximize
):
    for p, gt, mt, ut, step in zip(params, grads, exp_avgs, exp_infs, steps, strict=True):
        w = p._t
        g = _grad1(gt._t, w, maximize, weight_decay)
        m, u = mt._t, ut._t
        _lerp1_(m, g, 1 - beta1)
        u.mul_(beta2)
        torch.maximum(u, g.abs() + eps, out=u)
        clr = lr / (1 - beta1**step)
        w.sub_(clr * m / u)


@_no_grad
def _nadam(
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
        w = p._t
        g = grads[i]._t
        if maximize:
            g = -g
        step = steps[i]
        bias2 = 1 - beta2**step
        if weight_decay != 0:
            if decoupled_weight_decay:
                w.mul_(1 - lr * weight_decay)
            else:
                g = g + weight_decay * w
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_product = mu_products[i] * mu
        mu_products[i] = mu_product
        m, v = exp_avgs[i]._t, exp_avg_sqs[i]._t
        _lerp1_(m, g, 1 - beta1)
        v.mul_(beta2).add_(g * g * (1 - beta2))
        denom = torch.sqrt(v / bias2) + eps
        w.add_((-lr * (1.0 - mu) / (1.0 - mu_product)) * g / denom)
        w.add_(((-lr * mu_next) / (1.0 - mu_product * mu_next)) * m / denom)


@_no_grad
def _radam(
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
        w = p._t
        g = grads[i]._t
        if maximize:
            g = -g
        step = steps[i]
        if weight_decay != 0:
            if decoupled_weight_decay:
                w.mul_(1 - lr * weight_decay)
            else:
                g = g + weight_decay * w
        m, v = exp_avgs[i]._t, exp_avg_sqs[i]._t
        _lerp1_(m, g, 1 - beta1)
        v.mul_(beta2).add_(g * g * (1 - beta2))
        bias1 = 1 - beta1**step
        bias2 = 1 - beta2**step
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias2
        update = m / bias1 * lr
        if rho_t > 5.0:
            rect = (
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            ) ** 0.5
            update = update * bias2**0.5 / (torch.sqrt(v) + eps) * rect
        w.sub_(update)


@_no_grad_result
def _lbfgs_direction(flat_grad, old_dirs, old_stps, ro, h_diag):
    n = len(old_dirs)
    al = [0.0] * n
    q = -flat_grad._t
    ys, ss = [y._t for y in old_dirs], [s._t for s in old_stps]
    for i in range(n - 1, -1, -1):
        al[i] = torch.dot(ss[i], q).item() * ro[i]
        q = q - al[i] * ys[i]
    r = q * h_diag
    for i in range(n):
        be_i = torch.dot(ys[i], r).item() * ro[i]
        r = r + (al[i] - be_i) * ss[i]
    return _wrap(r)


def _lerp1_(start, end, weight):
    """One tensor's torch.lerp without its FMA, as in the reference (exact at weight 0, 1)."""
    if abs(weight) < 0.5:
        start.add_(weight * (end - start))
    else:
        start.copy_(end - (end - start) * (1 - weight))


KERNELS = {
    "sgd": sgd,
    "adam": adam,
    "adamw": adam,
    "rmsprop": rmsprop,
    "adagrad": adagrad,
    "adadelta": _adadelta,
    "adamax": _adamax,
    "nadam": _nadam,
    "radam": _radam,
    "lbfgs": _lbfgs_direction,
}
