"""Reference updates: the ground truth every optimizer kernel is tested against.

Each function updates ``params`` (and the state lists) in place with plain flowkit tensor ops,
following PyTorch's algorithms line for line (torch/optim/sgd.py, adam.py, rmsprop.py,
adagrad.py). They run under ``no_grad`` and work on every backend. A backend may offer a faster
kernel with the same signature through the ``flowkit_select_optimizer_kernel`` hook; the test
suite compares each kernel with these functions in float64, parameters and state.

Every product is rounded before it is added (no fused multiply-add), so a kernel that performs
the same operations in the same order reproduces these results bit for bit (the tests require
it). PyTorch's own optimizers fuse some of them (``addcmul``, ``lerp``) and agree to ~1e-15.
"""

from __future__ import annotations

import math

from ..tensor import Tensor


def sgd(
    params: list[Tensor],
    grads: list[Tensor],
    momentum_buffers: list[Tensor | None],
    *,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    maximize: bool,
) -> None:
    """SGD with optional momentum, dampening, Nesterov and L2 weight decay.

    ``momentum_buffers[i]`` is created on the first step (``None`` before) and updated in place.
    """
    for i, p in enumerate(params):
        g = grads[i] if not maximize else -grads[i]
        if weight_decay != 0:
            g = g + weight_decay * p
        if momentum != 0:
            buf = momentum_buffers[i]
            if buf is None:
                buf = g.detach().clone()
                momentum_buffers[i] = buf
            else:
                buf.mul_(momentum).add_(g * (1 - dampening))
            g = g + momentum * buf if nesterov else buf
        p.sub_(lr * g)


def adam(
    params: list[Tensor],
    grads: list[Tensor],
    exp_avgs: list[Tensor],
    exp_avg_sqs: list[Tensor],
    steps: list[int],
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled_weight_decay: bool,
    maximize: bool,
    amsgrad: bool = False,
    max_exp_avg_sqs: list[Tensor] | None = None,
) -> None:
    """Adam, and AdamW when ``decoupled_weight_decay`` (decay applied to the weights directly).

    ``steps[i]`` is the step count *after* this update (the caller increments it first). With
    ``amsgrad``, ``max_exp_avg_sqs[i]`` keeps the running maximum of ``exp_avg_sqs[i]`` and
    takes its place in the denominator.
    """
    for i, p in enumerate(params):
        g = grads[i] if not maximize else -grads[i]
        if weight_decay != 0:
            if decoupled_weight_decay:
                p.mul_(1 - lr * weight_decay)
            else:
                g = g + weight_decay * p
        m, v, step = exp_avgs[i], exp_avg_sqs[i], steps[i]
        m.mul_(beta1).add_(g * (1 - beta1))
        v.mul_(beta2).add_(g * g * (1 - beta2))
        bias1 = 1 - beta1**step
        bias2 = 1 - beta2**step
        if amsgrad:
            assert max_exp_avg_sqs is not None  # the caller passes them with amsgrad
            vmax = max_exp_avg_sqs[i]
            _maximum_(vmax, v)
            v = vmax
        denom = v.sqrt() / math.sqrt(bias2) + eps
        p.sub_((lr / bias1) * m / denom)


def rmsprop(
    params: list[Tensor],
    grads: list[Tensor],
    square_avgs: list[Tensor],
    grad_avgs: list[Tensor],
    momentum_buffers: list[Tensor],
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    centered: bool,
    maximize: bool,
) -> None:
    """RMSprop (Hinton), optionally centered and with momentum (torch/optim/rmsprop.py).

    ``grad_avgs`` is used only when ``centered``, ``momentum_buffers`` only when
    ``momentum > 0``; either may be empty otherwise. All state starts at zero.
    """
    for i, p in enumerate(params):
        g = grads[i] if not maximize else -grads[i]
        if weight_decay != 0:
            g = g + weight_decay * p
        sq = square_avgs[i]
        sq.mul_(alpha).add_((1 - alpha) * g * g)  # addcmul's order: value * g * g
        if centered:
            ga = grad_avgs[i]
            _lerp_(ga, g, 1 - alpha)
            avg = (sq - ga * ga).sqrt()
        else:
            avg = sq.sqrt()
        avg = avg + eps
        if momentum > 0:
            buf = momentum_buffers[i]
            buf.mul_(momentum).add_(g / avg)
            p.sub_(lr * buf)
        else:
            p.sub_(lr * (g / avg))


def adagrad(
    params: list[Tensor],
    grads: list[Tensor],
    state_sums: list[Tensor],
    steps: list[int],
    *,
    lr: float,
    lr_decay: float,
    weight_decay: float,
    eps: float,
    maximize: bool,
) -> None:
    """Adagrad (Duchi et al.) with learning-rate decay (torch/optim/adagrad.py).

    ``state_sums[i]`` accumulates squared gradients; ``steps[i]`` is the step count *after*
    this update (the caller increments it first).
    """
    for i, p in enumerate(params):
        g = grads[i] if not maximize else -grads[i]
        if weight_decay != 0:
            g = g + weight_decay * p
        clr = lr / (1 + (steps[i] - 1) * lr_decay)
        s = state_sums[i]
        s.add_(g * g)
        std = s.sqrt() + eps
        p.sub_(clr * (g / std))


def _lerp_(start: Tensor, end: Tensor, weight: float) -> None:
    """``start += weight * (end - start)`` in place, with torch.lerp's two formulas: the one
    anchored at the nearer end keeps the result exact at ``weight`` 0 and 1."""
    if abs(weight) < 0.5:
        start.add_(weight * (end - start))
    else:
        start.copy_(end - (end - start) * (1 - weight))


def _maximum_(a: Tensor, b: Tensor) -> None:
    """``a = max(a, b)`` elementwise, in place, with the ops every backend has (a masked copy:
    exact, unlike arithmetic tricks). A NaN in ``b`` is not copied; torch.maximum would."""
    take = b > a
    a[take] = b[take]


def adadelta(
    params: list[Tensor],
    grads: list[Tensor],
    square_avgs: list[Tensor],
    acc_deltas: list[Tensor],
    steps: list[int],
    *,
    lr: float,
    rho: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    """Adadelta (Zeiler) (torch/optim/adadelta.py).

    ``square_avgs[i]`` is the running average of squared gradients, ``acc_deltas[i]`` that of
    squared updates; both start at zero. ``steps`` is unused by the update (kept in the state
    as PyTorch does).
    """
    for i, p in enumerate(params):
        g = grads[i] if not maximize else -grads[i]
        if weight_decay != 0:
            g = g + weight_decay * p
        sq, acc = square_avgs[i], acc_deltas[i]
        sq.mul_(rho).add_((1 - rho) * g * g)
        std = (sq + eps).sqrt()
        delta = (acc + eps).sqrt() / std * g
        acc.mul_(rho).add_((1 - rho) * delta * delta)
        p.sub_(lr * delta)


def adamax(
    params: list[Tensor],
    grads: list[Tensor],
    exp_avgs: list[Tensor],
    exp_infs: list[Tensor],
    steps: list[int],
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    """Adamax, Adam with the infinity norm (torch/optim/adamax.py).

    ``exp_infs[i]`` is the exponentially weighted infinity norm; ``steps[i]`` is the step count
    *after* this update (the caller increments it first).
    """
    for i, p in enumerate(params):
        g = grads[i] if not maximize else -grads[i]
        if weight_decay != 0:
            g = g + weight_decay * p
        m, u = exp_avgs[i], exp_infs[i]
        _lerp_(m, g, 1 - beta1)
        u.mul_(beta2)
        _maximum_(u, g.abs() + eps)
        clr = lr / (1 - beta1 ** steps[i])
        p.sub_(clr * m / u)


def nadam(
    params: list[Tensor],
    grads: list[Tensor],
    exp_avgs: list[Tensor],
    exp_avg_sqs: list[Tensor],
    mu_products: list[float],
    steps: list[int],
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    momentum_decay: float,
    decoupled_weight_decay: bool,
    maximize: bool,
) -> None:
    """NAdam, Adam with Nesterov momentum (Dozat) and momentum decay (torch/optim/nadam.py).

    ``mu_products[i]`` (a float, 1.0 before the first step) is the running product of the
    momentum coefficients: this function replaces it with the updated product. ``steps[i]`` is
    the step count *after* this update.
    """
    for i, p in enumerate(params):
        g = grads[i] if not maximize else -grads[i]
        step = steps[i]
        bias2 = 1 - beta2**step
        if weight_decay != 0:
            if decoupled_weight_decay:
                p.mul_(1 - lr * weight_decay)
            else:
                g = g + weight_decay * p
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_product = mu_products[i] * mu
        mu_products[i] = mu_product
        m, v = exp_avgs[i], exp_avg_sqs[i]
        _lerp_(m, g, 1 - beta1)
        v.mul_(beta2).add_(g * g * (1 - beta2))
        denom = (v / bias2).sqrt() + eps
        p.add_((-lr * (1.0 - mu) / (1.0 - mu_product)) * g / denom)
        p.add_(((-lr * mu_next) / (1.0 - mu_product * mu_next)) * m / denom)


def radam(
    params: list[Tensor],
    grads: list[Tensor],
    exp_avgs: list[Tensor],
    exp_avg_sqs: list[Tensor],
    steps: list[int],
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled_weight_decay: bool,
    maximize: bool,
) -> None:
    """RAdam, Adam with a rectified adaptive rate (Liu et al.) (torch/optim/radam.py): plain
    momentum SGD while the variance estimate is unreliable (``rho_t <= 5``). ``steps[i]`` is
    the step count *after* this update.
    """
    for i, p in enumerate(params):
        g = grads[i] if not maximize else -grads[i]
        step = steps[i]
        if weight_decay != 0:
            if decoupled_weight_decay:
                p.mul_(1 - lr * weight_decay)
            else:
                g = g + weight_decay * p
        m, v = exp_avgs[i], exp_avg_sqs[i]
        _lerp_(m, g, 1 - beta1)
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
            update = update * bias2**0.5 / (v.sqrt() + eps) * rect
        p.sub_(update)


def lbfgs_direction(
    flat_grad: Tensor,
    old_dirs: list[Tensor],
    old_stps: list[Tensor],
    ro: list[float],
    h_diag: float,
) -> Tensor:
    """L-BFGS's search direction ``-H g`` by the two-loop recursion (torch/optim/lbfgs.py):
    ``old_dirs`` are the gradient differences ``y``, ``old_stps`` the steps ``s``, ``ro[i]`` is
    ``1 / y_i.s_i`` and ``h_diag`` the initial Hessian scale. Returns a new flat tensor; the
    history is only read.
    """
    n = len(old_dirs)
    al = [0.0] * n
    q = -flat_grad
    for i in range(n - 1, -1, -1):
        al[i] = old_stps[i].dot(q).item() * ro[i]
        q = q - al[i] * old_dirs[i]
    r = q * h_diag
    for i in range(n):
        be_i = old_dirs[i].dot(r).item() * ro[i]
        r = r + (al[i] - be_i) * old_stps[i]
    return r
