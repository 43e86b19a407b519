"""Loss modules: ``MSELoss``, ``CrossEntropyLoss``, ``NLLLoss``.

Their reprs are PyTorch's: the class name alone (``CrossEntropyLoss()``), whatever the options.
"""

from __future__ import annotations

import warnings

from .. import functional as F
from ..module import Module


def _legacy_reduction(size_average, reduce, reduction: str, name: str) -> str:
    """PyTorch's deprecated ``size_average``/``reduce`` flags, mapped onto ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn(
        f"{name}: size_average and reduce are deprecated, please use "
        "reduction='mean'|'sum'|'none' instead.",
        UserWarning,
        stacklevel=3,
    )
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "none" if not reduce else "mean" if size_average else "sum"


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__()
        reduction = _legacy_reduction(size_average, reduce, reduction, type(self).__name__)
        if reduction not in F._REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__}: reduction must be one of {F._REDUCTIONS}, "
                f"got {reduction!r}"
            )
        self.reduction = reduction


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)  # a buffer, so in state_dict(), as in PyTorch


class MSELoss(_Loss):
    """Mean squared error between ``input`` and ``target`` of the same shape.

    ``reduction``: ``"mean"`` (default), ``"sum"`` (the tutorial's choice) or ``"none"``.

    Examples:
        >>> import flowkit as flow
        >>> loss = flow.nn.MSELoss(reduction="sum")
        >>> loss(flow.tensor([1.0, 2.0]), flow.tensor([0.0, 0.0]))
        tensor(5., dtype=flowkit.float32)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)

    def forward(self, input, target):
        return F.mse_loss(input, target, self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits ``(N, C)`` (or ``(C,)``, or ``(N, C, d1, ...)``) against class
    indices (int64) or class probabilities, with PyTorch's ``weight``, ``ignore_index``,
    ``reduction`` and ``label_smoothing``. Numerically stable (logsumexp) for any logits.

    Examples:
        >>> import flowkit as flow
        >>> loss_fn = flow.nn.CrossEntropyLoss()
        >>> loss_fn(flow.tensor([[2.0, 0.0, 0.0]]), flow.tensor([0]))
        tensor(0.2395, dtype=flowkit.float32)
    """

    def __init__(
        self,
        weight=None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ):
        super().__init__(weight, size_average, reduce, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(
                f"CrossEntropyLoss: label_smoothing must be between 0.0 and 1.0, "
                f"got {label_smoothing}"
            )
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(
            input,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities (``LogSoftmax`` output) at class indices.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.NLLLoss(reduction="sum")(flow.tensor([[-0.5, -2.0]]), flow.tensor([1]))
        tensor(2., dtype=flowkit.float32)
    """

    def __init__(
        self,
        weight=None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
    ):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(
            input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction
        )
