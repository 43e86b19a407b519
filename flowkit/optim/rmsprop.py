"""RMSprop."""

from __future__ import annotations

from .. import _creation
from . import _functional
from .optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root-mean-square of recent gradients
    (PyTorch's algorithm and defaults).

    Args:
        params (Iterable): the tensors to optimize, or parameter groups (dicts with a
            ``"params"`` key).
        lr: learning rate.
        alpha: smoothing constant of the running average of squared gradients.
        eps: added to the denominator for numerical stability.
        weight_decay: L2 penalty added to the gradient.
        momentum: momentum factor (0 turns it off).
        centered: normalise by an estimate of the gradient's variance (the running average of
            squared gradients minus the square of the running average of gradients).
        maximize: maximize the objective instead of minimizing it.

    Examples:
        >>> import flowkit as flow
        >>> w = flow.nn.Parameter(flow.ones(2))
        >>> opt = flow.optim.RMSprop([w], lr=0.01)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([0.9000, 0.9000], dtype=flowkit.float32, requires_grad=True)
    """

    algorithm = "rmsprop"
    _reference = staticmethod(_functional.rmsprop)

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ):
        if lr < 0.0:
            raise ValueError(f"RMSprop: invalid learning rate {lr} (must be >= 0)")
        if eps < 0.0:
            raise ValueError(f"RMSprop: invalid eps {eps} (must be >= 0)")
        if momentum < 0.0:
            raise ValueError(f"RMSprop: invalid momentum {momentum} (must be >= 0)")
        if weight_decay < 0.0:
            raise ValueError(f"RMSprop: invalid weight_decay {weight_decay} (must be >= 0)")
        if alpha < 0.0:
            raise ValueError(f"RMSprop: invalid alpha {alpha} (must be >= 0)")
        super().__init__(
            params,
            dict(
                lr=lr,
                alpha=alpha,
                eps=eps,
                weight_decay=weight_decay,
                momentum=momentum,
                centered=centered,
                maximize=maximize,
            ),
        )

    def step(self, closure=None):
        """Perform one update of every parameter that has a gradient.

        Args:
            closure (Callable | None): optional; re-evaluates the model and returns the loss.

        Returns:
            (Tensor | None): The closure's loss, or ``None``.
        """
        loss = self._closure_loss(closure)
        state = self.state
        for group in self.param_groups:
            params, grads, sqs, gas, bufs = [], [], [], [], []
            momentum, centered = group["momentum"], group["centered"]
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                s = state[p]
                if not s:  # lazy state, as in PyTorch: made on the first step
                    s["step"] = 0
                    s["square_avg"] = _creation.zeros_like(p)
                # made when first needed, also when a setting is turned on after a resume
                if momentum > 0 and "momentum_buffer" not in s:
                    s["momentum_buffer"] = _creation.zeros_like(p)
                if centered and "grad_avg" not in s:
                    s["grad_avg"] = _creation.zeros_like(p)
                s["step"] += 1
                params.append(p)
                grads.append(g)
                sqs.append(s["square_avg"])
                if momentum > 0:
                    bufs.append(s["momentum_buffer"])
                if centered:
                    gas.append(s["grad_avg"])
            if not params:
                continue
            self._kernel(
                params,
                grads,
                sqs,
                gas,
                bufs,
                lr=group["lr"],
                alpha=group["alpha"],
                eps=group["eps"],
                weight_decay=group["weight_decay"],
                momentum=momentum,
                centered=centered,
                maximize=group["maximize"],
            )
        return loss
