"""NAdam and RAdam."""

from __future__ import annotations

from .. import _creation
from . import _functional
from ._betas import check_adam_args
from .optimizer import Optimizer


class NAdam(Optimizer):
    """NAdam: Adam with Nesterov momentum (Dozat, 2016) and PyTorch's momentum decay schedule
    ``mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))`` (PyTorch's algorithm and
    defaults). The state's ``mu_product`` (the running product of the ``mu_t``) is a Python
    float here, a 0-d tensor in PyTorch.

    Args:
        params (Iterable): the tensors to optimize, or parameter groups (dicts with a
            ``"params"`` key).
        lr: learning rate.
        betas: decay rates of the running averages of the gradient and of its square.
        eps: added to the denominator for numerical stability.
        weight_decay: the weight decay (an L2 penalty added to the gradient, or decoupled).
        momentum_decay: the momentum decay rate ``psi``.
        decoupled_weight_decay: shrink the weights by ``lr * weight_decay`` each step (as AdamW)
            instead of adding the penalty to the gradient.
        maximize: maximize the objective instead of minimizing it.

    Examples:
        >>> import flowkit as flow
        >>> w = flow.nn.Parameter(flow.ones(2))
        >>> opt = flow.optim.NAdam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([0.8944, 0.8944], dtype=flowkit.float32, requires_grad=True)
    """

    algorithm = "nadam"
    _reference = staticmethod(_functional.nadam)

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ):
        betas = check_adam_args("NAdam", lr, betas, eps, weight_decay)
        if momentum_decay < 0.0:
            raise ValueError(f"NAdam: invalid momentum_decay {momentum_decay} (must be >= 0)")
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=betas,
                eps=eps,
                weight_decay=weight_decay,
                momentum_decay=momentum_decay,
                decoupled_weight_decay=decoupled_weight_decay,
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
        for group in self.param_groups:
            params, grads, ms, vs, mus, steps, states = [], [], [], [], [], [], []
            for p in group["params"]:
                if p.grad is None:
                    continue
                s = self.state[p]
                if not s:  # lazy state, as in PyTorch: made on the first step
                    s["step"] = 0
                    s["mu_product"] = 1.0
                    s["exp_avg"] = _creation.zeros_like(p)
                    s["exp_avg_sq"] = _creation.zeros_like(p)
                s["step"] += 1
                params.append(p)
                grads.append(p.grad)
                ms.append(s["exp_avg"])
                vs.append(s["exp_avg_sq"])
                mus.append(s["mu_product"])
                steps.append(s["step"])
                states.append(s)
            if not params:
                continue
            beta1, beta2 = group["betas"]
            self._kernel(
                params,
                grads,
                ms,
                vs,
                mus,
                steps,
                lr=group["lr"],
                beta1=beta1,
                beta2=beta2,
                eps=group["eps"],
                weight_decay=group["weight_decay"],
                momentum_decay=group["momentum_decay"],
                decoupled_weight_decay=group["decoupled_weight_decay"],
                maximize=group["maximize"],
            )
            for s, mu in zip(states, mus, strict=True):
                s["mu_product"] = mu
        return loss


class RAdam(Optimizer):
    """RAdam: Adam with a rectified adaptive learning rate (Liu et al., 2019), plain momentum
    SGD during the first steps, while the variance estimate is unreliable (PyTorch's algorithm
    and defaults).

    Args:
        params (Iterable): the tensors to optimize, or parameter groups (dicts with a
            ``"params"`` key).
        lr: learning rate.
        betas: decay rates of the running averages of the gradient and of its square.
        eps: added to the denominator for numerical stability.
        weight_decay: the weight decay (an L2 penalty added to the gradient, or decoupled).
        decoupled_weight_decay: shrink the weights by ``lr * weight_decay`` each step (as AdamW)
            instead of adding the penalty to the gradient.
        maximize: maximize the objective instead of minimizing it.

    Examples:
        >>> import flowkit as flow
        >>> w = flow.nn.Parameter(flow.ones(2))
        >>> opt = flow.optim.RAdam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([0.8000, 0.8000], dtype=flowkit.float32, requires_grad=True)
    """

    algorithm = "radam"
    _reference = staticmethod(_functional.radam)

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ):
        betas = check_adam_args("RAdam", lr, betas, eps, weight_decay)
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=betas,
                eps=eps,
                weight_decay=weight_decay,
                decoupled_weight_decay=decoupled_weight_decay,
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
        for group in self.param_groups:
            params, grads, ms, vs, steps = [], [], [], [], []
            for p in group["params"]:
                if p.grad is None:
                    continue
                s = self.state[p]
                if not s:  # lazy state, as in PyTorch: made on the first step
                    s["step"] = 0
                    s["exp_avg"] = _creation.zeros_like(p)
                    s["exp_avg_sq"] = _creation.zeros_like(p)
                s["step"] += 1
                params.append(p)
                grads.append(p.grad)
                ms.append(s["exp_avg"])
                vs.append(s["exp_avg_sq"])
                steps.append(s["step"])
            if not params:
                continue
            beta1, beta2 = group["betas"]
            self._kernel(
                params,
                grads,
                ms,
                vs,
                steps,
                lr=group["lr"],
                beta1=beta1,
                beta2=beta2,
                eps=group["eps"],
                weight_decay=group["weight_decay"],
                decoupled_weight_decay=group["decoupled_weight_decay"],
                maximize=group["maximize"],
            )
        return loss
