"""Adadelta."""

from __future__ import annotations

from .. import _creation
from . import _functional
from .optimizer import Optimizer


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012): per-element step sizes from running averages of squared
    gradients and of squared updates (PyTorch's algorithm and defaults).

    Args:
        params (Iterable): the tensors to optimize, or parameter groups (dicts with a
            ``"params"`` key).
        lr: a factor applied to the update (1.0, the paper's algorithm, by default).
        rho: the decay rate of both running averages.
        eps: added inside the square roots for numerical stability.
        weight_decay: L2 penalty added to the gradient.
        maximize: maximize the objective instead of minimizing it.

    Examples:
        >>> import flowkit as flow
        >>> w = flow.nn.Parameter(flow.ones(2))
        >>> opt = flow.optim.Adadelta([w], lr=1.0)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> sorted(opt.state[w]), round(w[0].item(), 6)
        (['acc_delta', 'square_avg', 'step'], 0.996838)
    """

    algorithm = "adadelta"
    _reference = staticmethod(_functional.adadelta)

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ):
        if lr < 0.0:
            raise ValueError(f"Adadelta: invalid learning rate {lr} (must be >= 0)")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Adadelta: invalid rho {rho} (must be in [0, 1])")
        if eps < 0.0:
            raise ValueError(f"Adadelta: invalid eps {eps} (must be >= 0)")
        if weight_decay < 0.0:
            raise ValueError(f"Adadelta: invalid weight_decay {weight_decay} (must be >= 0)")
        super().__init__(
            params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
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
            params, grads, sqs, accs, steps = [], [], [], [], []
            for p in group["params"]:
                if p.grad is None:
                    continue
                s = self.state[p]
                if not s:  # lazy state, as in PyTorch: made on the first step
                    s["step"] = 0
                    s["square_avg"] = _creation.zeros_like(p)
                    s["acc_delta"] = _creation.zeros_like(p)
                s["step"] += 1
                params.append(p)
                grads.append(p.grad)
                sqs.append(s["square_avg"])
                accs.append(s["acc_delta"])
                steps.append(s["step"])
            if not params:
                continue
            self._kernel(
                params,
                grads,
                sqs,
                accs,
                steps,
                lr=group["lr"],
                rho=group["rho"],
                eps=group["eps"],
                weight_decay=group["weight_decay"],
                maximize=group["maximize"],
            )
        return loss
