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

from .optimizer import Optimizer

__all__ = [
    "LRScheduler",
    "LambdaLR",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "CosineDecayLR",
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
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            warnings.warn(
                "scheduler.step(epoch) is deprecated (as in PyTorch): call scheduler.step() "
                "once per epoch instead",
                UserWarning,
                stacklevel=2,
            )
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
