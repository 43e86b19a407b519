"""Fast optimizer kernels for the numpy backend: the reference algorithms, on raw arrays.

Same signatures as :mod:`flowkit.optim._functional`; they skip the tensor layer (no tensor objects
made per parameter) and update in place with numpy ufuncs writing into ``out=``.
"""

from __future__ import annotations

import math

import numpy as np

from .tensor import _make


def sgd(params, grads, momentum_buffers, *, lr, momentum, dampening, weight_decay, nesterov,
        maximize):
    for i, p in enumerate(params):
        w = p._data
        g = grads[i]._data
        if maximize:
            g = -g
        if weight_decay != 0:
            g = g + weight_decay * w
        if momentum != 0:
            buf = momentum_buffers[i]
            if buf is None:
                buf = momentum_buffers[i] = _make(np.array(g, copy=True))
            else:
                b = buf._data
                b *= momentum
                b += (1 - dampening) * g
            g = g + momentum * buf._data if nesterov else buf._data
        w -= lr * g  # one temporary; in place so the Parameter keeps its array


def adam(params, grads, exp_avgs, exp_avg_sqs, steps, *, lr, beta1, beta2, eps, weight_decay,
         decoupled_weight_decay, maximize):
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
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * (g * g)
        bias1 = 1 - beta1 ** step
        bias2 = 1 - beta2 ** step
        denom = np.sqrt(v) / math.sqrt(bias2)
        denom += eps
        w -= (lr / bias1) * m / denom


KERNELS = {"sgd": sgd, "adam": adam, "adamw": adam}
