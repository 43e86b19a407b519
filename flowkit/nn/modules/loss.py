"""Loss modules."""

from __future__ import annotations

from .. import functional as F
from ..module import Module


class MSELoss(Module):
    """Mean squared error between ``input`` and ``target`` of the same shape.

    ``reduction``: ``"mean"`` (default), ``"sum"`` (the tutorial's choice) or ``"none"``.

    Example:
        >>> import flowkit as flow
        >>> loss = flow.nn.MSELoss(reduction="sum")
        >>> loss(flow.tensor([1.0, 2.0]), flow.tensor([0.0, 0.0]))
        tensor(5., dtype=flowkit.float32)
    """

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        if reduction not in F._REDUCTIONS:
            raise ValueError(f"MSELoss: reduction must be one of {F._REDUCTIONS}, "
                             f"got {reduction!r}")
        self.reduction = reduction

    def forward(self, input, target):
        return F.mse_loss(input, target, self.reduction)

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"
