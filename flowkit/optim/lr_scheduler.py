"""``flowkit.optim.lr_scheduler``: learning-rate schedules (PyTorch's semantics and formulas).

A scheduler owns no tensors: it rewrites ``group["lr"]`` in its optimizer's parameter groups.
Constructing one records each group's ``initial_lr`` and applies step 0; call
[`step`][flowkit.optim.lr_scheduler.LRScheduler.step] once per epoch (or iteration), after
``optimizer.step()``. The recursive formulas are PyTorch's own, operation for operation, so the
printed learning rates are the same numbers PyTorch prints.
"""

from __future__ import annotations

import math
import types
import warnings
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from ..errors import ArgumentValueError
from .optimizer import Optimizer

__all__ = [
    "LRScheduler",
    "LambdaLR",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "CosineDecayLR",
    "LinearLR",
    "ConstantLR",
    "PolynomialLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "ChainedScheduler",
    "CosineAnnealingWarmRestarts",
    "WarmupLR",
]


class LRScheduler:
    """Base class of the learning-rate schedulers.

    Subclasses implement [`get_lr`][flowkit.optim.lr_scheduler.LRScheduler.get_lr] (the next rates,
    usually from the current ones) and may implement ``_get_closed_form_lr`` (the rates at
    ``last_epoch`` from the base rates), which ``step(epoch)`` uses.

    Args:
        optimizer: the optimizer whose parameter groups' ``lr`` this scheduler sets.
        last_epoch: the index of the last epoch seen; ``-1`` (the default) starts a new schedule.
            Resuming with another value needs ``initial_lr`` in every parameter group (an
            optimizer state dict saved while a scheduler was attached has it).

    Attributes:
        base_lrs: each group's ``initial_lr``.
        last_epoch: how many times [`step`][flowkit.optim.lr_scheduler.LRScheduler.step] has run,
            minus one (0 after construction).

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.optim.lr_scheduler import LRScheduler
        >>> class Halving(LRScheduler):
        ...     def get_lr(self):
        ...         return [lr * 0.5 ** self.last_epoch for lr in self.base_lrs]
        >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
        >>> sched = Halving(opt)
        >>> sched.step(); sched.step()
        >>> sched.get_last_lr(), sched.last_epoch
        ([0.25], 2)
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__} needs a flowkit optimizer (e.g. flow.optim.SGD(...)), "
                f"got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{type(self).__name__}(last_epoch={last_epoch}): param_groups[{i}] has "
                        "no 'initial_lr'. Resume by loading the optimizer's state dict (saved "
                        "while a scheduler was attached) first, or start with last_epoch=-1"
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        self._step_count = 0
        self._is_initial = True  # get_lr of some schedules keeps the current rates at step 0
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rates for the step [`step`][flowkit.optim.lr_scheduler.LRScheduler.step] is
        making (one per parameter group).

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> flow.optim.lr_scheduler.StepLR(opt, step_size=2).get_last_lr()
            [1.0]
        """
        raise NotImplementedError(f"{type(self).__name__} must implement get_lr()")

    def get_last_lr(self) -> list[float]:
        """The learning rates the last [`step`][flowkit.optim.lr_scheduler.LRScheduler.step] set,
        one per parameter group.

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> sched = flow.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
            >>> sched.step()
            >>> sched.get_last_lr()
            [0.5]
        """
        return self._last_lr

    def step(self, epoch: int | None = None) -> None:
        """Advance the schedule by one and write the new rates into the optimizer.

        Args:
            epoch: deprecated (as in PyTorch): jump to this epoch, using the closed form when
                the schedule has one.

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> sched = flow.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.1)
            >>> sched.step()
            >>> opt.param_groups[0]["lr"]
            0.1
        """
        self._step_count += 1
        if epoch is not None:
            warnings.warn(
                "scheduler.step(epoch) is deprecated (as in PyTorch): call scheduler.step() "
                "once per epoch instead",
                UserWarning,
                stacklevel=2,
            )
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        """Set the rates of the next epoch, or of ``epoch`` (the closed form, if any)."""
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            closed = getattr(self, "_get_closed_form_lr", None)
            values = closed() if closed is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state: every attribute except the optimizer.

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> sd = flow.optim.lr_scheduler.StepLR(opt, step_size=3).state_dict()
            >>> sd["step_size"], sd["last_epoch"], sd["base_lrs"]
            (3, 0, [1.0])
        """
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the state saved by
        [`state_dict`][flowkit.optim.lr_scheduler.LRScheduler.state_dict] (it does not touch the
        optimizer's rates: load the optimizer's state dict too).

        Args:
            state_dict: a dict returned by
                [`state_dict`][flowkit.optim.lr_scheduler.LRScheduler.state_dict].

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> a = flow.optim.lr_scheduler.StepLR(opt, step_size=3)
            >>> a.step()
            >>> b = flow.optim.lr_scheduler.StepLR(opt, step_size=3)
            >>> b.load_state_dict(a.state_dict())
            >>> b.last_epoch
            1
        """
        self.__dict__.update(state_dict)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, last_lr={self._last_lr})"


_LRScheduler = LRScheduler  # PyTorch's old name


class LambdaLR(LRScheduler):
    """Each group's rate is its initial rate times ``lr_lambda(epoch)``.

    Args:
        optimizer: the optimizer to schedule.
        lr_lambda: a function of the epoch index giving a factor, or a list of them, one per
            parameter group.
        last_epoch: the index of the last epoch (``-1`` starts a new schedule).

    Examples:
        >>> import flowkit as flow
        >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
        >>> sched = flow.optim.lr_scheduler.LambdaLR(opt, lambda epoch: 1 / (epoch + 1))
        >>> for _ in range(3):
        ...     sched.step()
        >>> sched.get_last_lr()
        [0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ):
        self.optimizer = optimizer
        if not isinstance(lr_lambda, (list, tuple)):
            self.lr_lambdas = [lr_lambda] * len(optimizer.param_groups)
        else:
            if len(lr_lambda) != len(optimizer.param_groups):
                raise ValueError(
                    f"LambdaLR: got {len(lr_lambda)} lr_lambdas for "
                    f"{len(optimizer.param_groups)} parameter groups; give one per group, or "
                    "a single function for all"
                )
            self.lr_lambdas = list(lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """``base_lr * lr_lambda(last_epoch)`` for each group.

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=2.0)
            >>> flow.optim.lr_scheduler.LambdaLR(opt, lambda e: 0.5).get_last_lr()
            [1.0]
        """
        return [
            base_lr * lmbda(self.last_epoch)
            for lmbda, base_lr in zip(self.lr_lambdas, self.base_lrs, strict=True)
        ]

    def _get_closed_form_lr(self) -> list[float]:
        return self.get_lr()

    def state_dict(self) -> dict[str, Any]:
        """As [`LRScheduler.state_dict`][flowkit.optim.lr_scheduler.LRScheduler.state_dict]; a plain
        function in ``lr_lambdas`` is saved as ``None`` (it cannot be pickled), a callable object as
        its ``__dict__``.

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> flow.optim.lr_scheduler.LambdaLR(opt, lambda e: 1.0).state_dict()["lr_lambdas"]
            [None]
        """
        sd = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        sd["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else fn.__dict__.copy()
            for fn in self.lr_lambdas
        ]
        return sd

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state saved by [`state_dict`][flowkit.optim.lr_scheduler.LambdaLR.state_dict]
        (callable objects get their attributes back; plain functions stay those given to the
        constructor).

        Args:
            state_dict: a dict returned by
                [`state_dict`][flowkit.optim.lr_scheduler.LambdaLR.state_dict].

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> a = flow.optim.lr_scheduler.LambdaLR(opt, lambda e: 0.9 ** e)
            >>> a.step()
            >>> b = flow.optim.lr_scheduler.LambdaLR(opt, lambda e: 0.9 ** e)
            >>> b.load_state_dict(a.state_dict())
            >>> b.last_epoch
            1
        """
        state_dict = dict(state_dict)
        lr_lambdas = state_dict.pop("lr_lambdas")
        self.__dict__.update(state_dict)
        for fn, saved in zip(self.lr_lambdas, lr_lambdas, strict=True):
            if saved is not None:
                fn.__dict__.update(saved)


class StepLR(LRScheduler):
    """Multiply each group's rate by ``gamma`` every ``step_size`` epochs.

    Args:
        optimizer: the optimizer to schedule.
        step_size: the period of the decay, in epochs.
        gamma: the factor applied at each decay.
        last_epoch: the index of the last epoch (``-1`` starts a new schedule).

    Examples:
        >>> import flowkit as flow
        >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
        >>> sched = flow.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        >>> lrs = []
        >>> for _ in range(5):
        ...     lrs.append(sched.get_last_lr()[0])
        ...     sched.step()
        >>> lrs
        [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ):
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current rates, times ``gamma`` at every multiple of ``step_size``.

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> flow.optim.lr_scheduler.StepLR(opt, step_size=1).get_last_lr()
            [1.0]
        """
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [
            base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs
        ]


class MultiStepLR(LRScheduler):
    """Multiply each group's rate by ``gamma`` at each milestone epoch.

    Args:
        optimizer: the optimizer to schedule.
        milestones: the epochs at which to decay (a repeated milestone decays that many times).
        gamma: the factor applied at each milestone.
        last_epoch: the index of the last epoch (``-1`` starts a new schedule).

    Examples:
        >>> import flowkit as flow
        >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
        >>> sched = flow.optim.lr_scheduler.MultiStepLR(opt, milestones=[1, 3], gamma=0.5)
        >>> lrs = []
        >>> for _ in range(4):
        ...     lrs.append(sched.get_last_lr()[0])
        ...     sched.step()
        >>> lrs
        [1.0, 0.5, 0.5, 0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ):
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current rates, times ``gamma`` (per occurrence) at a milestone.

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> flow.optim.lr_scheduler.MultiStepLR(opt, [0, 0], gamma=0.5).get_last_lr()
            [0.25]
        """
        if self.last_epoch not in self.milestones:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [
            group["lr"] * self.gamma ** self.milestones[self.last_epoch]
            for group in self.optimizer.param_groups
        ]

    def _get_closed_form_lr(self) -> list[float]:
        milestones = sorted(self.milestones.elements())
        return [
            base_lr * self.gamma ** bisect_right(milestones, self.last_epoch)
            for base_lr in self.base_lrs
        ]


class ExponentialLR(LRScheduler):
    """Multiply each group's rate by ``gamma`` every epoch.

    Args:
        optimizer: the optimizer to schedule.
        gamma: the factor applied each epoch.
        last_epoch: the index of the last epoch (``-1`` starts a new schedule).

    Examples:
        >>> import flowkit as flow
        >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
        >>> sched = flow.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
        >>> sched.step(); sched.step()
        >>> sched.get_last_lr()
        [0.25]
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current rates times ``gamma`` (unchanged at construction).

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> flow.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5).get_last_lr()
            [1.0]
        """
        if self._is_initial:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from each group's initial rate down to ``eta_min`` over ``T_max``
    epochs, then back up (SGDR without restarts), computed recursively as PyTorch does:

    ``lr_t = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2``

    Args:
        optimizer: the optimizer to schedule.
        T_max: the number of epochs of a half period.
        eta_min: the lowest rate.
        last_epoch: the index of the last epoch (``-1`` starts a new schedule).

    Examples:
        >>> import flowkit as flow
        >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
        >>> sched = flow.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4)
        >>> lrs = []
        >>> for _ in range(5):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     sched.step()
        >>> lrs
        [1.0, 0.8536, 0.5, 0.1464, 0.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_max: int,
        eta_min: float = 0.0,  # noqa: N803
        last_epoch: int = -1,
    ):
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The next rates from the current ones (PyTorch's recursive form).

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> flow.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10).get_last_lr()
            [1.0]
        """
        groups = self.optimizer.param_groups
        if self._is_initial:
            return [group["lr"] for group in groups]
        if self._step_count == 1 and self.last_epoch > 0:  # resumed mid-schedule
            return [
                self.eta_min
                + (base_lr - self.eta_min)
                * (1 + math.cos(self.last_epoch * math.pi / self.T_max))
                / 2
                for base_lr in self.base_lrs
            ]
        if (self.last_epoch - 1 - self.T_max) % (2 * self.T_max) == 0:  # the bottom: turn up
            return [
                group["lr"] + (base_lr - self.eta_min) * (1 - math.cos(math.pi / self.T_max)) / 2
                for base_lr, group in zip(self.base_lrs, groups, strict=True)
            ]
        return [
            (1 + math.cos(math.pi * self.last_epoch / self.T_max))
            / (1 + math.cos(math.pi * (self.last_epoch - 1) / self.T_max))
            * (group["lr"] - self.eta_min)
            + self.eta_min
            for group in groups
        ]

    def _get_closed_form_lr(self) -> list[float]:
        return [
            self.eta_min
            + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
            for base_lr in self.base_lrs
        ]


class CosineDecayLR(LRScheduler):
    """OneFlow's cosine decay: from each group's initial rate down to ``alpha`` times it over
    ``decay_steps`` steps, then constant.

    ``lr = base_lr * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps))
    + alpha)``

    Args:
        optimizer: the optimizer to schedule.
        decay_steps: the number of steps of the decay.
        alpha: the final rate, as a fraction of the initial one.
        last_epoch: the index of the last step (``-1`` starts a new schedule).

    Examples:
        >>> import flowkit as flow
        >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
        >>> sched = flow.optim.lr_scheduler.CosineDecayLR(opt, decay_steps=2, alpha=0.1)
        >>> lrs = []
        >>> for _ in range(4):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     sched.step()
        >>> lrs
        [1.0, 0.55, 0.1, 0.1]
    """

    def __init__(
        self, optimizer: Optimizer, decay_steps: int, alpha: float = 0.0, last_epoch: int = -1
    ):
        if decay_steps <= 0:
            raise ValueError(f"CosineDecayLR: decay_steps must be positive, got {decay_steps}")
        self.decay_steps = decay_steps
        self.alpha = alpha
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The rates at step ``last_epoch`` (a closed form: no dependence on the current ones).

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> flow.optim.lr_scheduler.CosineDecayLR(opt, decay_steps=5).get_last_lr()
            [1.0]
        """
        return self._get_closed_form_lr()

    def _get_closed_form_lr(self) -> list[float]:
        step = min(self.last_epoch, self.decay_steps)
        cos_decay = 0.5 * (1 + math.cos(math.pi * step / self.decay_steps))
        factor = (1 - self.alpha) * cos_decay + self.alpha
        return [base_lr * factor for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    """Multiply each group's rate by a factor that changes linearly from ``start_factor`` to
    ``end_factor`` over ``total_iters`` epochs, then stays (PyTorch's recursive formula).

    Args:
        optimizer: the optimizer to schedule.
        start_factor: the factor at epoch 0, in (0, 1].
        end_factor: the factor from epoch ``total_iters`` on, in [0, 1].
        total_iters: the number of epochs of the change.
        last_epoch: the index of the last epoch (``-1`` starts a new schedule).

    Examples:
        >>> import flowkit as flow
        >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
        >>> sched = flow.optim.lr_scheduler.LinearLR(opt, start_factor=0.5, total_iters=4)
        >>> lrs = []
        >>> for _ in range(6):
        ...     lrs.append(sched.get_last_lr()[0])
        ...     sched.step()
        >>> lrs
        [0.5, 0.625, 0.75, 0.875, 1.0, 1.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ):
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError(
                f"LinearLR: start_factor must be in (0, 1], got {start_factor} (a zero start "
                "would divide by zero in the recursive formula: use a small positive factor)"
            )
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The next rates from the current ones (PyTorch's recursive form).

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> flow.optim.lr_scheduler.LinearLR(opt, start_factor=0.25).get_last_lr()
            [0.25]
        """
        groups = self.optimizer.param_groups
        if self.last_epoch == 0:
            return [group["lr"] * self.start_factor for group in groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return [group["lr"] for group in groups]
        return [
            group["lr"]
            * (
                1.0
                + (self.end_factor - self.start_factor)
                / (
                    self.total_iters * self.start_factor
                    + (self.last_epoch - 1) * (self.end_factor - self.start_factor)
                )
            )
            for group in groups
        ]

    def _get_closed_form_lr(self) -> list[float]:
        return [
            base_lr
            * (
                self.start_factor
                + (self.end_factor - self.start_factor)
                * min(self.total_iters, self.last_epoch)
                / self.total_iters
            )
            for base_lr in self.base_lrs
        ]


class ConstantLR(LRScheduler):
    """Multiply each group's rate by ``factor`` for the first ``total_iters`` epochs, then
    restore it.

    Args:
        optimizer: the optimizer to schedule.
        factor: the factor, in [0, 1].
        total_iters: the number of epochs with the lower rate.
        last_epoch: the index of the last epoch (``-1`` starts a new schedule).

    Examples:
        >>> import flowkit as flow
        >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
        >>> sched = flow.optim.lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=2)
        >>> lrs = []
        >>> for _ in range(4):
        ...     lrs.append(sched.get_last_lr()[0])
        ...     sched.step()
        >>> lrs
        [0.5, 0.5, 1.0, 1.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
    ):
        if factor > 1.0 or factor < 0:
            raise ValueError(f"ConstantLR: factor must be in [0, 1], got {factor}")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The next rates from the current ones (PyTorch's recursive form).

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> flow.optim.lr_scheduler.ConstantLR(opt, factor=0.5).get_last_lr()
            [0.5]
        """
        groups = self.optimizer.param_groups
        if self.last_epoch == 0:
            return [group["lr"] * self.factor for group in groups]
        if self.last_epoch != self.total_iters:
            return [group["lr"] for group in groups]
        return [group["lr"] * (1.0 / self.factor) for group in groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [
            base_lr * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
            for base_lr in self.base_lrs
        ]


class PolynomialLR(LRScheduler):
    """Decay each group's rate polynomially to zero over ``total_iters`` epochs:
    ``lr = base_lr * (1 - min(t, total_iters) / total_iters) ** power`` (computed recursively,
    as PyTorch does). OneFlow's ``PolynomialLR`` takes ``decay_batch``, ``end_learning_rate`` and
    ``cycle``; flowkit follows PyTorch's signature.

    Args:
        optimizer: the optimizer to schedule.
        total_iters: the number of epochs of the decay.
        power: the power of the polynomial.
        last_epoch: the index of the last epoch (``-1`` starts a new schedule).

    Examples:
        >>> import flowkit as flow
        >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
        >>> sched = flow.optim.lr_scheduler.PolynomialLR(opt, total_iters=4, power=2.0)
        >>> lrs = []
        >>> for _ in range(6):
        ...     lrs.append(sched.get_last_lr()[0])
        ...     sched.step()
        >>> lrs
        [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    """

    def __init__(
        self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1
    ):
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The next rates from the current ones (PyTorch's recursive form).

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> flow.optim.lr_scheduler.PolynomialLR(opt).get_last_lr()
            [1.0]
        """
        groups = self.optimizer.param_groups
        if self._is_initial or self.last_epoch > self.total_iters:
            return [group["lr"] for group in groups]
        decay_factor = (
            (1.0 - self.last_epoch / self.total_iters)
            / (1.0 - (self.last_epoch - 1) / self.total_iters)
        ) ** self.power
        return [group["lr"] * decay_factor for group in groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [
            base_lr
            * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
            for base_lr in self.base_lrs
        ]


def _per_group(name: str, optimizer: Optimizer, value) -> list:
    """``value`` for each parameter group: a list of one per group, or one for all."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(
                f"{name}: got {len(value)} values for {n} parameter groups; give one per "
                "group, or a single number for all"
            )
        return list(value)
    return [value] * n


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin): the rate rises from ``max_lr / div_factor`` to
    ``max_lr``, then anneals to ``initial_lr / final_div_factor``; the momentum (or Adam's
    ``beta1``) cycles the opposite way. Call ``step()`` after every batch (PyTorch's semantics
    and defaults).

    Args:
        optimizer: the optimizer to schedule.
        max_lr: the peak rate, one for all groups or a list of one per group.
        total_steps: the number of steps of the cycle (or give ``epochs`` and
            ``steps_per_epoch``).
        epochs: the number of epochs (with ``steps_per_epoch``).
        steps_per_epoch: the number of steps per epoch (with ``epochs``).
        pct_start: the fraction of the cycle spent increasing the rate.
        anneal_strategy: ``"cos"`` or ``"linear"`` annealing.
        cycle_momentum: cycle the momentum (``momentum``, or ``betas[0]`` of an Adam-family
            optimizer) between ``max_momentum`` and ``base_momentum``.
        base_momentum: the lowest momentum (at the peak rate), per group or for all.
        max_momentum: the highest momentum, per group or for all.
        div_factor: the initial rate is ``max_lr / div_factor``.
        final_div_factor: the final rate is ``initial_lr / final_div_factor``.
        three_phase: a third phase: back down to the initial rate symmetrically, then annihilate
            it (fast.ai's variant) instead of a single annealing phase.
        last_epoch: the index of the last step (``-1`` starts a new schedule).

    Raises:
        ValueError: stepping past ``total_steps``, or an invalid setting.

    Examples:
        >>> import flowkit as flow
        >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=0.1, momentum=0.9)
        >>> sched = flow.optim.lr_scheduler.OneCycleLR(
        ...     opt, max_lr=1.0, total_steps=10, anneal_strategy="linear"
        ... )
        >>> lrs = []
        >>> for _ in range(4):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     sched.step()
        >>> lrs, round(opt.param_groups[0]["momentum"], 4)
        ([0.04, 0.52, 1.0, 0.8571], 0.8786)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                "OneCycleLR needs a flowkit optimizer (e.g. flow.optim.SGD(...)), got "
                f"{type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise ValueError(
                    f"OneCycleLR: total_steps must be a positive int, got {total_steps}"
                )
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            if not isinstance(epochs, int) or epochs <= 0:
                raise ValueError(f"OneCycleLR: epochs must be a positive int, got {epochs}")
            if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
                raise ValueError(
                    f"OneCycleLR: steps_per_epoch must be a positive int, got {steps_per_epoch}"
                )
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("OneCycleLR: give total_steps, or both epochs and steps_per_epoch")
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: pct_start must be a float in [0, 1], got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}"
            )
        self.anneal_strategy = anneal_strategy
        if three_phase:
            self._schedule_phases = [
                (
                    float(pct_start * self.total_steps) - 1,
                    "initial_lr",
                    "max_lr",
                    "max_momentum",
                    "base_momentum",
                ),
                (
                    float(2 * pct_start * self.total_steps) - 2,
                    "max_lr",
                    "initial_lr",
                    "base_momentum",
                    "max_momentum",
                ),
                (self.total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
        else:
            self._schedule_phases = [
                (
                    float(pct_start * self.total_steps) - 1,
                    "initial_lr",
                    "max_lr",
                    "max_momentum",
                    "base_momentum",
                ),
                (self.total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            ]
        max_lrs = _per_group("OneCycleLR max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for m, group in zip(max_lrs, optimizer.param_groups, strict=True):
                group["initial_lr"] = m / div_factor
                group["max_lr"] = m
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(
                    f"OneCycleLR: {type(optimizer).__name__} has no momentum nor betas to cycle; "
                    "pass cycle_momentum=False"
                )
            self.use_beta1 = "betas" in optimizer.defaults
            max_ms = _per_group("OneCycleLR max_momentum", optimizer, max_momentum)
            base_ms = _per_group("OneCycleLR base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for m, b, group in zip(max_ms, base_ms, optimizer.param_groups, strict=True):
                    if self.use_beta1:
                        group["betas"] = (m, *group["betas"][1:])
                    else:
                        group["momentum"] = m
                    group["max_momentum"] = m
                    group["base_momentum"] = b
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            cos_out = math.cos(math.pi * pct) + 1
            return end + (start - end) / 2.0 * cos_out
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        """The rates at step ``last_epoch`` (a closed form); also sets each group's momentum.

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.Adam([flow.nn.Parameter(flow.ones(1))])
            >>> sched = flow.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=5)
            >>> round(sched.get_last_lr()[0], 6), opt.param_groups[0]["betas"]
            (0.02, (0.95, 0.999))
        """
        step_num = self.last_epoch
        if step_num > self.total_steps:
            raise ValueError(
                f"OneCycleLR: stepped {step_num} times, past total_steps={self.total_steps}; "
                "make total_steps (or epochs * steps_per_epoch) cover every step() call"
            )
        lrs = []
        last = len(self._schedule_phases) - 1
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, (end_step, lr0, lr1, m0, m1) in enumerate(self._schedule_phases):
                if step_num <= end_step or i == last:
                    pct = (step_num - start_step) / (end_step - start_step)
                    lr = self._anneal(group[lr0], group[lr1], pct)
                    if self.cycle_momentum:
                        momentum = self._anneal(group[m0], group[m1], pct)
                    break
                start_step = end_step
            lrs.append(lr)
            if self.cycle_momentum:
                if self.use_beta1:
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum
        return lrs

    def _get_closed_form_lr(self) -> list[float]:
        return self.get_lr()


class ReduceLROnPlateau(LRScheduler):
    """Reduce each group's rate by ``factor`` when a metric has stopped improving for more than
    ``patience`` epochs (PyTorch's semantics and defaults). ``step(metric)`` takes the metric.

    Args:
        optimizer: the optimizer to schedule.
        mode: ``"min"`` (the metric should decrease) or ``"max"``.
        factor: the factor applied at a reduction, < 1.
        patience: the number of epochs without improvement tolerated before a reduction.
        threshold: the least change that counts as an improvement.
        threshold_mode: ``"rel"`` (``best * (1 -/+ threshold)``) or ``"abs"``
            (``best -/+ threshold``).
        cooldown: the number of epochs to wait after a reduction before counting again.
        min_lr: the lowest rate, one for all groups or a list of one per group.
        eps: a reduction smaller than this is skipped.

    Examples:
        >>> import flowkit as flow
        >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
        >>> sched = flow.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)
        >>> for loss in [3.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0]:
        ...     sched.step(loss)
        >>> sched.get_last_lr()
        [0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0,
        eps: float = 1e-8,
    ):
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1.0, got {factor}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                "ReduceLROnPlateau needs a flowkit optimizer (e.g. flow.optim.SGD(...)), got "
                f"{type(optimizer).__name__}"
            )
        self.factor = factor
        self.optimizer = optimizer
        if isinstance(min_lr, (list, tuple)):
            self.default_min_lr = None
            self.min_lrs = _per_group("ReduceLROnPlateau min_lr", optimizer, min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]
        self._init_is_better(mode, threshold, threshold_mode)
        self._reset()

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}"
            )
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def get_lr(self) -> list[float]:
        """The current rates (this scheduler changes them only in ``step(metric)``).

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> flow.optim.lr_scheduler.ReduceLROnPlateau(opt).get_lr()
            [1.0]
        """
        return [group["lr"] for group in self.optimizer.param_groups]

    def step(self, metrics: Any, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record the epoch's metric; reduce the rates after more than ``patience`` epochs
        without improvement.

        Args:
            metrics: the metric (a number or a one-element tensor).
            epoch: deprecated (as in PyTorch).

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> sched = flow.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
            >>> sched.step(flow.tensor(1.0)); sched.step(flow.tensor(1.0))
            >>> sched.get_last_lr(), sched.num_bad_epochs
            ([0.1], 0)
        """
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(
                "scheduler.step(metrics, epoch) is deprecated (as in PyTorch): call "
                "scheduler.step(metrics) once per epoch instead",
                UserWarning,
                stacklevel=2,
            )
        self.last_epoch = epoch
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"ReduceLROnPlateau: the optimizer has {len(groups)} parameter groups, "
                    f"min_lr has {len(self.min_lrs)} (a group was added?); set the scheduler's "
                    "min_lrs to one per group"
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for i, group in enumerate(groups):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, self.min_lrs[i])
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state saved by ``state_dict``.

        Args:
            state_dict: a dict returned by ``state_dict``.

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> a = flow.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max")
            >>> a.step(2.0)
            >>> b = flow.optim.lr_scheduler.ReduceLROnPlateau(opt)
            >>> b.load_state_dict(a.state_dict())
            >>> b.mode, b.best
            ('max', 2.0)
        """
        self.__dict__.update(state_dict)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)


def _check_members(name: str, schedulers, optimizer: Optimizer) -> None:
    if len(schedulers) < 1:
        raise ValueError(f"{name} needs at least one scheduler, got none")
    for i, s in enumerate(schedulers):
        if not hasattr(s, "optimizer"):
            raise TypeError(f"{name}: schedulers[{i}] is {type(s).__name__}, not a scheduler")
        if isinstance(s, ReduceLROnPlateau):
            raise ValueError(
                f"{name}: schedulers[{i}] is a ReduceLROnPlateau, whose step() needs the metric; "
                "step it separately"
            )
        if s.optimizer is not optimizer:
            raise ValueError(
                f"{name}: schedulers[{i}] ({type(s).__name__}) schedules another optimizer; "
                "every scheduler must belong to the same optimizer"
            )


def _nested_state(self, skip: str) -> dict[str, Any]:
    sd = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", skip)}
    sd[skip] = [s.state_dict() for s in getattr(self, skip)]
    return sd


def _load_nested_state(self, state_dict: dict[str, Any], skip: str) -> None:
    state_dict = dict(state_dict)
    nested = state_dict.pop(skip)
    self.__dict__.update(state_dict)
    for s, saved in zip(getattr(self, skip), nested, strict=True):
        s.load_state_dict(saved)


class SequentialLR(LRScheduler):
    """Run schedulers one after the other: ``schedulers[i]`` from ``milestones[i - 1]`` on,
    each restarted (at its epoch 0, its closed form) at its milestone (PyTorch's semantics).

    Args:
        optimizer: the optimizer every scheduler schedules.
        schedulers: the schedulers, in order (already constructed on ``optimizer``).
        milestones: the epochs at which the next scheduler takes over (one fewer than the
            schedulers).
        last_epoch: the index of the last epoch (``-1`` starts a new schedule).

    Examples:
        >>> import flowkit as flow
        >>> S = flow.optim.lr_scheduler
        >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
        >>> warm = S.ConstantLR(opt, factor=0.1, total_iters=2)
        >>> decay = S.ExponentialLR(opt, gamma=0.9)
        >>> sched = S.SequentialLR(opt, [warm, decay], milestones=[2])
        >>> lrs = []
        >>> for _ in range(5):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     sched.step()
        >>> lrs
        [0.1, 0.1, 1.0, 0.9, 0.81]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: list[LRScheduler],
        milestones: list[int],
        last_epoch: int = -1,
    ):
        _check_members("SequentialLR", schedulers, optimizer)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                f"SequentialLR: {len(schedulers)} schedulers need {len(schedulers) - 1} "
                f"milestones, got {len(milestones)}"
            )
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self._undo(self)  # the schedulers' construction stepped them once: undo it
        idx = bisect_right(self._milestones, 0)
        self._schedulers[idx]._initial_step()
        self._last_lr = self._schedulers[idx].get_last_lr()

    def _undo(self, sched) -> None:
        if hasattr(sched, "_schedulers"):
            for s in sched._schedulers:
                self._undo(s)
        elif hasattr(sched, "last_epoch"):
            sched.last_epoch -= 1

    def get_lr(self) -> list[float]:
        """The current rates (the active scheduler sets them).

        Examples:
            >>> import flowkit as flow
            >>> S = flow.optim.lr_scheduler
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> S.SequentialLR(opt, [S.ConstantLR(opt, factor=0.5)], milestones=[]).get_lr()
            [0.5]
        """
        return [group["lr"] for group in self.optimizer.param_groups]

    def step(self) -> None:  # type: ignore[override]
        """Advance the active scheduler by one (restart the next one at its milestone).

        Examples:
            >>> import flowkit as flow
            >>> S = flow.optim.lr_scheduler
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> sched = S.SequentialLR(opt, [S.ConstantLR(opt, 0.5, 1), S.StepLR(opt, 1)], [1])
            >>> sched.step()
            >>> sched.get_last_lr()
            [1.0]
        """
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer; each scheduler's own state dict in
        ``"_schedulers"``.

        Examples:
            >>> import flowkit as flow
            >>> S = flow.optim.lr_scheduler
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> sd = S.SequentialLR(opt, [S.ConstantLR(opt)], milestones=[]).state_dict()
            >>> sd["_schedulers"][0]["factor"] == 1 / 3
            True
        """
        return _nested_state(self, "_schedulers")

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state saved by ``state_dict`` (into the same kinds of schedulers).

        Args:
            state_dict: a dict returned by ``state_dict``.

        Examples:
            >>> import flowkit as flow
            >>> S = flow.optim.lr_scheduler
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> a = S.SequentialLR(opt, [S.ConstantLR(opt)], milestones=[])
            >>> a.step()
            >>> b = S.SequentialLR(opt, [S.ConstantLR(opt)], milestones=[])
            >>> b.load_state_dict(a.state_dict())
            >>> b.last_epoch, b._schedulers[0].last_epoch
            (1, 1)
        """
        _load_nested_state(self, state_dict, "_schedulers")


class ChainedScheduler(LRScheduler):
    """Step several schedulers together, each applying its change on top of the others'
    (PyTorch's semantics).

    Args:
        schedulers: the schedulers (already constructed on the same optimizer).
        optimizer: the optimizer (the schedulers' by default).

    Examples:
        >>> import flowkit as flow
        >>> S = flow.optim.lr_scheduler
        >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
        >>> sched = S.ChainedScheduler([S.ConstantLR(opt, 0.5, 2), S.ExponentialLR(opt, 0.9)])
        >>> lrs = []
        >>> for _ in range(4):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     sched.step()
        >>> lrs
        [0.5, 0.45, 0.81, 0.729]
    """

    def __init__(self, schedulers: list[LRScheduler], optimizer: Optimizer | None = None):
        if len(schedulers) < 1:
            raise ValueError("ChainedScheduler needs at least one scheduler, got none")
        optimizer = optimizer or schedulers[0].optimizer
        _check_members("ChainedScheduler", schedulers, optimizer)
        self._schedulers = list(schedulers)
        self.optimizer = optimizer
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def get_lr(self) -> list[float]:
        """The current rates (the schedulers set them).

        Examples:
            >>> import flowkit as flow
            >>> S = flow.optim.lr_scheduler
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> S.ChainedScheduler([S.ConstantLR(opt, 0.5)]).get_lr()
            [0.5]
        """
        return [group["lr"] for group in self.optimizer.param_groups]

    def step(self) -> None:  # type: ignore[override]
        """Step every scheduler, in order.

        Examples:
            >>> import flowkit as flow
            >>> S = flow.optim.lr_scheduler
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> sched = S.ChainedScheduler([S.ExponentialLR(opt, 0.5), S.ExponentialLR(opt, 0.5)])
            >>> sched.step()
            >>> sched.get_last_lr()
            [0.25]
        """
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer; each scheduler's own state dict in
        ``"_schedulers"``.

        Examples:
            >>> import flowkit as flow
            >>> S = flow.optim.lr_scheduler
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> sd = S.ChainedScheduler([S.ExponentialLR(opt, 0.5)]).state_dict()
            >>> sd["_schedulers"][0]["gamma"]
            0.5
        """
        return _nested_state(self, "_schedulers")

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state saved by ``state_dict`` (into the same kinds of schedulers).

        Args:
            state_dict: a dict returned by ``state_dict``.

        Examples:
            >>> import flowkit as flow
            >>> S = flow.optim.lr_scheduler
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> a = S.ChainedScheduler([S.ExponentialLR(opt, 0.5)])
            >>> a.step()
            >>> b = S.ChainedScheduler([S.ExponentialLR(opt, 0.5)])
            >>> b.load_state_dict(a.state_dict())
            >>> b._schedulers[0].last_epoch
            1
        """
        _load_nested_state(self, state_dict, "_schedulers")


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter): the rate falls from each
    group's initial rate towards ``eta_min`` over ``T_i`` epochs, then restarts; the period
    starts at ``T_0`` and is multiplied by ``T_mult`` at each restart (PyTorch's semantics).
    ``step(epoch)`` may take a fractional epoch (e.g. ``epoch + i / iters``).

    Args:
        optimizer: the optimizer to schedule.
        T_0: the first period, in epochs (a positive int).
        T_mult: the factor applied to the period at each restart (an int >= 1).
        eta_min: the lowest rate.
        last_epoch: the index of the last epoch (``-1`` starts a new schedule).

    Examples:
        >>> import flowkit as flow
        >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
        >>> sched = flow.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
        >>> lrs = []
        >>> for _ in range(7):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     sched.step()
        >>> lrs
        [1.0, 0.5, 1.0, 0.8536, 0.5, 0.1464, 1.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,  # noqa: N803
        T_mult: int = 1,  # noqa: N803
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ):
        if not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(f"CosineAnnealingWarmRestarts: T_0 must be a positive int, got {T_0}")
        if not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(
                f"CosineAnnealingWarmRestarts: T_mult must be an int >= 1, got {T_mult}"
            )
        if not isinstance(eta_min, (float, int)):
            raise ValueError(
                "CosineAnnealingWarmRestarts: eta_min must be a number, got "
                f"{type(eta_min).__name__}"
            )
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur: float = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The rates at ``T_cur`` epochs into the current period.

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> flow.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3).get_lr()
            [1.0]
        """
        return [
            self.eta_min
            + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
            for base_lr in self.base_lrs
        ]

    def _set_epoch(self, epoch: float) -> None:
        if epoch < 0:
            raise ValueError(f"CosineAnnealingWarmRestarts: epoch must be >= 0, got {epoch}")
        if epoch >= self.T_0:
            if self.T_mult == 1:
                self.T_cur = epoch % self.T_0
            else:
                n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
                self.T_i = self.T_0 * self.T_mult**n
        else:
            self.T_i = self.T_0
            self.T_cur = epoch

    def step(self, epoch: float | None = None) -> None:
        """Advance by one epoch, or jump to ``epoch`` (which may be fractional).

        Args:
            epoch: the epoch to jump to (not deprecated here, as in PyTorch).

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> sched = flow.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2)
            >>> sched.step(0.5)
            >>> round(sched.get_last_lr()[0], 4)
            0.8536
        """
        self._step_count += 1
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            self._set_epoch(epoch)
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        saved = self.T_cur, self.T_i
        try:
            self._set_epoch(self.last_epoch)
            return self.get_lr()
        finally:
            self.T_cur, self.T_i = saved


class WarmupLR(LRScheduler):
    """OneFlow's warmup: for the first ``warmup_iters`` steps the rate is each group's initial
    rate times a warmup factor, then the wrapped scheduler (if any) takes over.

    * ``warmup_method="linear"``: the factor goes linearly from ``warmup_factor`` at step 0
      towards the wrapped scheduler's own factor at step ``warmup_iters`` (1.0 without a
      scheduler, or with ``warmup_prefix=True``), so the schedule is continuous;
    * ``warmup_method="constant"``: the factor is ``warmup_factor`` throughout the warmup.

    After the warmup, the wrapped scheduler's rate at step ``t`` is its closed form at ``t``
    (its schedule runs underneath the warmup), or at ``t - warmup_iters`` with
    ``warmup_prefix=True`` (it starts after the warmup, from its own step 0). Without a
    scheduler the rates return to the initial ones.

    PyTorch has no ``WarmupLR``: its ``SequentialLR([LinearLR(...), scheduler], [n])`` is the
    closest, and equals ``warmup_prefix=True`` with ``warmup_factor`` as ``start_factor``. Unlike
    OneFlow, flowkit lets the groups' initial rates differ (each group's end factor is its own),
    and the wrapped scheduler must have a closed form (every flowkit scheduler except
    ``ReduceLROnPlateau``, ``SequentialLR`` and ``ChainedScheduler``); OneFlow's
    ``last_step``/``verbose`` arguments are flowkit's ``last_epoch`` and are not supported.

    Args:
        scheduler_or_optimizer: the scheduler to warm up, or an optimizer (warmup only).
        warmup_factor: the factor at step 0.
        warmup_iters: the number of warmup steps (> 0 without a scheduler).
        warmup_method: ``"linear"`` or ``"constant"``.
        warmup_prefix: start the wrapped scheduler after the warmup instead of under it.

    Examples:
        >>> import flowkit as flow
        >>> S = flow.optim.lr_scheduler
        >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
        >>> sched = S.WarmupLR(opt, warmup_factor=0.5, warmup_iters=5)
        >>> lrs = []
        >>> for _ in range(7):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     sched.step()
        >>> lrs
        [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.0]
        >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
        >>> decay = S.CosineDecayLR(opt, decay_steps=5, alpha=0.1)
        >>> sched = S.WarmupLR(decay, warmup_factor=0.5, warmup_iters=2, warmup_prefix=True)
        >>> lrs = []
        >>> for _ in range(5):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     sched.step()
        >>> lrs
        [0.5, 0.75, 1.0, 0.9141, 0.6891]
    """

    def __init__(
        self,
        scheduler_or_optimizer: LRScheduler | Optimizer,
        warmup_factor: float = 1.0 / 3,
        warmup_iters: int = 5,
        warmup_method: str = "linear",
        warmup_prefix: bool = False,
    ):
        if isinstance(scheduler_or_optimizer, LRScheduler):
            scheduler: LRScheduler | None = scheduler_or_optimizer
            optimizer = scheduler_or_optimizer.optimizer
            if not hasattr(scheduler, "_get_closed_form_lr"):
                raise ArgumentValueError(
                    f"WarmupLR cannot wrap a {type(scheduler).__name__}: it needs a scheduler "
                    "with a closed form (StepLR, CosineDecayLR, LambdaLR, ...); chain the others "
                    "with SequentialLR([LinearLR(...), scheduler], milestones=[warmup_iters])"
                )
        elif isinstance(scheduler_or_optimizer, Optimizer):
            scheduler, optimizer = None, scheduler_or_optimizer
        else:
            raise TypeError(
                "WarmupLR: scheduler_or_optimizer must be a flowkit scheduler or optimizer, got "
                f"{type(scheduler_or_optimizer).__name__}"
            )
        if warmup_method not in ("linear", "constant"):
            raise ValueError(
                f"WarmupLR: warmup_method must be 'linear' or 'constant', got {warmup_method!r}"
            )
        if warmup_iters < 0 or (scheduler is None and warmup_iters == 0):
            raise ValueError(
                f"WarmupLR: warmup_iters must be positive (>= 0 with a scheduler), got "
                f"{warmup_iters}"
            )
        self.scheduler = scheduler
        self.warmup_factor = warmup_factor
        self.warmup_iters = warmup_iters
        self.warmup_method = warmup_method
        self.warmup_prefix = warmup_prefix
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        if scheduler is not None and not warmup_prefix and warmup_method == "linear":
            ends = self._scheduled(warmup_iters)
            self.end_factors = [e / b if b != 0 else 1.0 for e, b in zip(ends, self.base_lrs)]
        else:
            self.end_factors = [1.0] * len(self.base_lrs)
        super().__init__(optimizer)

    def _scheduled(self, step: int) -> list[float]:
        """The wrapped scheduler's rates at ``step`` (its closed form)."""
        s = self.scheduler
        assert s is not None
        saved = s.last_epoch
        s.last_epoch = step
        try:
            return list(s._get_closed_form_lr())
        finally:
            s.last_epoch = saved

    def get_lr(self) -> list[float]:
        """The rates at step ``last_epoch``.

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> flow.optim.lr_scheduler.WarmupLR(opt, 0.5, 3, "constant").get_lr()
            [0.5]
        """
        t = self.last_epoch
        if t < self.warmup_iters:
            if self.warmup_method == "constant":
                return [base_lr * self.warmup_factor for base_lr in self.base_lrs]
            return [
                base_lr
                * (self.warmup_factor + (end - self.warmup_factor) * (t / self.warmup_iters))
                for base_lr, end in zip(self.base_lrs, self.end_factors, strict=True)
            ]
        if self.scheduler is None:
            return list(self.base_lrs)
        step = t - self.warmup_iters if self.warmup_prefix else t
        lrs = self._scheduled(step)
        self.scheduler.last_epoch = step  # the wrapped scheduler follows
        self.scheduler._last_lr = lrs
        return lrs

    def _get_closed_form_lr(self) -> list[float]:
        return self.get_lr()

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer; the wrapped scheduler's own state dict in
        ``"scheduler"`` (``None`` without one).

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> sd = flow.optim.lr_scheduler.WarmupLR(opt, warmup_iters=3).state_dict()
            >>> sd["warmup_iters"], sd["scheduler"]
            (3, None)
        """
        sd = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "scheduler")}
        sd["scheduler"] = None if self.scheduler is None else self.scheduler.state_dict()
        return sd

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state saved by ``state_dict`` (into a WarmupLR wrapping the same kind of
        scheduler).

        Args:
            state_dict: a dict returned by ``state_dict``.

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=1.0)
            >>> a = flow.optim.lr_scheduler.WarmupLR(opt, warmup_iters=3)
            >>> a.step()
            >>> b = flow.optim.lr_scheduler.WarmupLR(opt, warmup_iters=3)
            >>> b.load_state_dict(a.state_dict())
            >>> b.last_epoch, b.get_last_lr() == a.get_last_lr()
            (1, True)
        """
        state_dict = dict(state_dict)
        nested = state_dict.pop("scheduler")
        self.__dict__.update(state_dict)
        if nested is not None and self.scheduler is not None:
            self.scheduler.load_state_dict(nested)
