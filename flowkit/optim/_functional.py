"""Reference updates: the ground truth every optimizer kernel is tested against.

Each function updates ``params`` (and the state lists) in place with plain flowkit tensor ops,
following PyTorch's algorithms line for line (torch/optim/sgd.py, adam.py). They run under
``no_grad`` and work on every backend. A backend may offer a faster kernel with the same
signature through the ``flowkit_select_optimizer_kernel`` hook; the test suite compares each
kernel with these functions in float64, parameters and state.
"""

from __future__ import annotations

import math

from ..tensor import Tensor


def sgd(params: list[Tensor], grads: list[Tensor], momentum_buffers: list[Tensor | None], *,
        lr: float, momentum: float, dampening: float, weight_decay: float, nesterov: bool,
        maximize: bool) -> None:
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


def adam(params: list[Tensor], grads: list[Tensor], exp_avgs: list[Tensor],
         exp_avg_sqs: list[Tensor], steps: list[int], *, lr: float, beta1: float, beta2: float,
         eps: float, weight_decay: float, decoupled_weight_decay: bool, maximize: bool) -> None:
    """Adam, and AdamW when ``decoupled_weight_decay`` (decay applied to the weights directly).

    ``steps[i]`` is the step count *after* this update (the caller increments it first).
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
        bias1 = 1 - beta1 ** step
        bias2 = 1 - beta2 ** step
        denom = v.sqrt() / math.sqrt(bias2) + eps
        p.sub_((lr / bias1) * m / denom)
