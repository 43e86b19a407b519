"""Adamax."""

from __future__ import annotations

from .. import _creation
from . import _functional
from ._betas import check_adam_args
from .optimizer import Optimizer


class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm of past gradients in place of their root mean square
    (Kingma & Ba, section 7; PyTorch's algorithm and defaults).

    Args:
        params (Iterable): the tensors to optimize, or parameter groups (dicts with a
            ``"params"`` key).
        lr: learning rate.
        betas: decay rates of the running average of the gradient and of the infinity norm.
        eps: added to the infinity norm for numerical stability.
        weight_decay: L2 penalty added to the gradient.
        maximize: maximize the objective instead of minimizing it.

    Examples:
        >>> import flowkit as flow
        >>> w = flow.nn.Parameter(flow.ones(2))
        >>> opt = flow.optim.Adamax([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([0.9000, 0.9000], dtype=flowkit.float32, requires_grad=True)
    """

    algorithm = "adamax"
    _reference = staticmethod(_functional.adamax)

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ):
        betas = check_adam_args("Adamax", lr, betas, eps, weight_decay)
        super().__init__(
            params,
            dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize),
        )

    def step(self, closure=None):
        """Perform one update of every parameter that has a gradient.

        Args:
            closure (Callable | None): optional; re-evaluates the model and returns the loss.

        Returns:
            (Tensor | None): The closure's loss, or ``None``.
        """
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, grads, ms, us, steps = [], [], [], [], []
            for p in group["params"]:
                if p.grad is None:
                    continue
                s = self.state[p]
                if not s:  # lazy state, as in PyTorch: made on the first step
                    s["step"] = 0
                    s["exp_avg"] = _creation.zeros_like(p)
                    s["exp_inf"] = _creation.zeros_like(p)
                s["step"] += 1
                params.append(p)
                grads.append(p.grad)
                ms.append(s["exp_avg"])
                us.append(s["exp_inf"])
                steps.append(s["step"])
            if not params:
                continue
            beta1, beta2 = group["betas"]
            self._kernel(
                params,
                grads,
                ms,
                us,
                steps,
                lr=group["lr"],
                beta1=beta1,
                beta2=beta2,
                eps=group["eps"],
                weight_decay=group["weight_decay"],
                maximize=group["maximize"],
            )
        return loss
