"""Stochastic gradient descent."""

from __future__ import annotations

from . import _functional
from .optimizer import Optimizer, required


class SGD(Optimizer):
    """SGD with optional momentum, dampening, Nesterov momentum and weight decay (PyTorch's
    algorithm and defaults). ``lr`` may be given positionally, as in the tutorial.

    Args:
        params (Iterable): the tensors to optimize, or parameter groups (dicts with a
            ``"params"`` key).
        lr: learning rate (required).
        momentum: momentum factor (0 turns it off).
        dampening: dampening of the momentum's gradient term.
        weight_decay: L2 penalty added to the gradient.
        nesterov: use Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
        maximize: maximize the objective instead of minimizing it.

    Examples:
        >>> import flowkit as flow
        >>> w = flow.nn.Parameter(flow.ones(2))
        >>> opt = flow.optim.SGD([w], 0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([0.8000, 0.8000], dtype=flowkit.float32, requires_grad=True)
    """

    algorithm = "sgd"
    _reference = staticmethod(_functional.sgd)

    def __init__(
        self,
        params,
        lr: float = required,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ):
        if lr is not required and lr < 0.0:
            raise ValueError(f"SGD: invalid learning rate {lr} (must be >= 0)")
        if momentum < 0.0:
            raise ValueError(f"SGD: invalid momentum {momentum} (must be >= 0)")
        if weight_decay < 0.0:
            raise ValueError(f"SGD: invalid weight_decay {weight_decay} (must be >= 0)")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening = 0")
        super().__init__(
            params,
            dict(
                lr=lr,
                momentum=momentum,
                dampening=dampening,
                weight_decay=weight_decay,
                nesterov=nesterov,
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
            >>> opt = flow.optim.SGD([w], lr=0.1, momentum=0.9)
            >>> for _ in range(2):
            ...     opt.zero_grad()
            ...     (w * 2.0).sum().backward()
            ...     opt.step()
            >>> round(w.item(), 4)
            0.42
        """
        loss = None if closure is None else self._closure_loss(closure)
        state = self.state
        for group in self.param_groups:
            params, grads, bufs = [], [], []
            momentum = group["momentum"]
            for p in group["params"]:
                g = p.grad
                if g is not None:
                    params.append(p)
                    grads.append(g)
                    if momentum != 0:
                        bufs.append(state[p].get("momentum_buffer"))
            if not params:
                continue
            self._kernel(
                params,
                grads,
                bufs,
                lr=group["lr"],
                momentum=momentum,
                dampening=group["dampening"],
                weight_decay=group["weight_decay"],
                nesterov=group["nesterov"],
                maximize=group["maximize"],
            )
            if momentum != 0:
                for p, b in zip(params, bufs):
                    state[p]["momentum_buffer"] = b
        return loss
