"""Adagrad."""

from __future__ import annotations

from typing import Any

from .. import _creation
from . import _functional
from .optimizer import Optimizer


class Adagrad(Optimizer):
    """Adagrad: per-element learning rates scaled by the accumulated squared gradients
    (PyTorch's algorithm and defaults).

    As in PyTorch, the state (``step`` and the accumulator ``sum``) is made for every parameter
    when it joins the optimizer, not on its first step.

    Args:
        params (Iterable): the tensors to optimize, or parameter groups (dicts with a
            ``"params"`` key).
        lr: learning rate.
        lr_decay: the learning rate at step ``t`` is ``lr / (1 + (t - 1) * lr_decay)``.
        weight_decay: L2 penalty added to the gradient.
        initial_accumulator_value: the starting value of the squared-gradient sums.
        eps: added to the denominator for numerical stability.
        maximize: maximize the objective instead of minimizing it.

    Examples:
        >>> import flowkit as flow
        >>> w = flow.nn.Parameter(flow.ones(2))
        >>> opt = flow.optim.Adagrad([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([0.9000, 0.9000], dtype=flowkit.float32, requires_grad=True)
    """

    algorithm = "adagrad"
    _reference = staticmethod(_functional.adagrad)

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ):
        if lr < 0.0:
            raise ValueError(f"Adagrad: invalid learning rate {lr} (must be >= 0)")
        if lr_decay < 0.0:
            raise ValueError(f"Adagrad: invalid lr_decay {lr_decay} (must be >= 0)")
        if weight_decay < 0.0:
            raise ValueError(f"Adagrad: invalid weight_decay {weight_decay} (must be >= 0)")
        if initial_accumulator_value < 0.0:
            raise ValueError(
                f"Adagrad: invalid initial_accumulator_value {initial_accumulator_value} "
                "(must be >= 0)"
            )
        if eps < 0.0:
            raise ValueError(f"Adagrad: invalid eps {eps} (must be >= 0)")
        super().__init__(
            params,
            dict(
                lr=lr,
                lr_decay=lr_decay,
                weight_decay=weight_decay,
                initial_accumulator_value=initial_accumulator_value,
                eps=eps,
                maximize=maximize,
            ),
        )

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a parameter group and make its parameters' state (see
        [`Adagrad`][flowkit.optim.Adagrad]).

        Args:
            group: a dict with a ``"params"`` key and, optionally, settings that override the
                optimizer's defaults.

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.Adagrad([flow.nn.Parameter(flow.ones(1))])
            >>> b = flow.nn.Parameter(flow.zeros(2))
            >>> opt.add_param_group({"params": [b], "initial_accumulator_value": 0.5})
            >>> opt.state[b]["sum"]
            tensor([0.5000, 0.5000], dtype=flowkit.float32)
        """
        super().add_param_group(group)
        for p in group["params"]:
            self._init_state(p, group)

    def _init_state(self, p, group) -> None:
        s = self.state[p]
        if not s:
            s["step"] = 0
            s["sum"] = _creation.full_like(p, group["initial_accumulator_value"])

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
            params, grads, sums, steps = [], [], [], []
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                self._init_state(p, group)  # a no-op unless the state was cleared
                s = state[p]
                s["step"] += 1
                params.append(p)
                grads.append(g)
                sums.append(s["sum"])
                steps.append(s["step"])
            if not params:
                continue
            self._kernel(
                params,
                grads,
                sums,
                steps,
                lr=group["lr"],
                lr_decay=group["lr_decay"],
                weight_decay=group["weight_decay"],
                eps=group["eps"],
                maximize=group["maximize"],
            )
        return loss
