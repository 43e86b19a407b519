"""Adam and AdamW."""

from __future__ import annotations

from .. import _creation
from ..errors import ArgumentTypeError
from . import _functional
from .optimizer import Optimizer


class Adam(Optimizer):
    """Adam (Kingma & Ba), with L2 weight decay added to the gradient (PyTorch's algorithm
    and defaults).

    Args:
        params (Iterable): the tensors to optimize, or parameter groups (dicts with a
            ``"params"`` key).
        lr: learning rate.
        betas: decay rates of the running averages of the gradient and of its square.
        eps: added to the denominator for numerical stability.
        weight_decay: L2 penalty added to the gradient.
        amsgrad: use the running maximum of the squared-gradient average (AMSGrad, Reddi et al.)
            in the denominator.
        maximize: maximize the objective instead of minimizing it.

    Examples:
        >>> import flowkit as flow
        >>> w = flow.nn.Parameter(flow.ones(2))
        >>> opt = flow.optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([0.9000, 0.9000], dtype=flowkit.float32, requires_grad=True)
    """

    algorithm = "adam"
    _reference = staticmethod(_functional.adam)
    _decoupled = False

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ):
        if lr < 0.0:
            raise ValueError(f"{type(self).__name__}: invalid learning rate {lr} (must be >= 0)")
        if eps < 0.0:
            raise ValueError(f"{type(self).__name__}: invalid eps {eps} (must be >= 0)")
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise ArgumentTypeError(
                f"{type(self).__name__}: betas must be a pair (beta1, beta2), got {betas!r}"
            ) from None
        if not (0.0 <= beta1 < 1.0 and 0.0 <= beta2 < 1.0):
            raise ValueError(f"{type(self).__name__}: betas must be in [0, 1), got {betas}")
        if weight_decay < 0.0:
            raise ValueError(f"{type(self).__name__}: invalid weight_decay {weight_decay}")
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=tuple(betas),
                eps=eps,
                weight_decay=weight_decay,
                amsgrad=amsgrad,
                maximize=maximize,
            ),
        )

    def step(self, closure=None):
        """Perform one update of every parameter that has a gradient.

        Args:
            closure (Callable | None): optional; re-evaluates the model and returns the loss.

        Returns:
            (Tensor | None): The closure's loss, or ``None``.

        Examples:
            >>> import flowkit as flow
            >>> w = flow.nn.Parameter(flow.ones(1))
            >>> opt = flow.optim.Adam([w], lr=0.1, amsgrad=True)
            >>> (w * 2.0).sum().backward()
            >>> opt.step()
            >>> round(w.item(), 4), sorted(opt.state[w])
            (0.9, ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'step'])
        """
        loss = self._closure_loss(closure)
        state = self.state
        for group in self.param_groups:
            params, grads, ms, vs, vmaxs, steps = [], [], [], [], [], []
            amsgrad = group["amsgrad"]
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                s = state[p]
                if not s:  # lazy state, as in PyTorch: made on the first step
                    s["step"] = 0
                    s["exp_avg"] = _creation.zeros_like(p)
                    s["exp_avg_sq"] = _creation.zeros_like(p)
                if amsgrad and "max_exp_avg_sq" not in s:  # also when amsgrad is turned on later
                    s["max_exp_avg_sq"] = _creation.zeros_like(p)
                s["step"] += 1
                params.append(p)
                grads.append(g)
                ms.append(s["exp_avg"])
                vs.append(s["exp_avg_sq"])
                if amsgrad:
                    vmaxs.append(s["max_exp_avg_sq"])
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
                decoupled_weight_decay=self._decoupled,
                maximize=group["maximize"],
                amsgrad=amsgrad,
                max_exp_avg_sqs=vmaxs,
            )
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): the weights shrink by
    ``lr * weight_decay`` each step, independently of the gradient. Default decay 0.01.

    Args:
        params (Iterable): the tensors to optimize, or parameter groups (dicts with a
            ``"params"`` key).
        lr: learning rate.
        betas: decay rates of the running averages of the gradient and of its square.
        eps: added to the denominator for numerical stability.
        weight_decay: the decoupled decay rate.
        amsgrad: use the running maximum of the squared-gradient average in the denominator.
        maximize: maximize the objective instead of minimizing it.

    Examples:
        >>> import flowkit as flow
        >>> w = flow.nn.Parameter(flow.ones(2))
        >>> opt = flow.optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([0.8500, 0.8500], dtype=flowkit.float32, requires_grad=True)
    """

    algorithm = "adamw"
    _decoupled = True

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
