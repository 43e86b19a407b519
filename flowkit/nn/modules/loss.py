"""Loss modules: ``MSELoss``, ``CrossEntropyLoss``, ``NLLLoss``, ``L1Loss``, ``SmoothL1Loss``,
``HuberLoss``, ``KLDivLoss``, ``BCELoss``, ``BCEWithLogitsLoss``, ``CosineEmbeddingLoss``,
``MarginRankingLoss``, ``TripletMarginLoss``.

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


# ------------------------------------------------------- losses of issue 12, part 4
class L1Loss(_Loss):
    """Mean absolute error between ``input`` and ``target`` of the same shape.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.L1Loss()(flow.tensor([1.0, 2.0]), flow.tensor([0.0, 4.0]))
        tensor(1.5000, dtype=flowkit.float32)
    """

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Quadratic below ``beta``, linear above (see ``flowkit.nn.functional.smooth_l1_loss``).

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.SmoothL1Loss(beta=0.5)(flow.tensor([0.25, 3.0]), flow.zeros(2))
        tensor(1.4062, dtype=flowkit.float32)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Quadratic below ``delta``, linear (slope ``delta``) above.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.HuberLoss(delta=2.0)(flow.tensor([0.5, 3.0]), flow.zeros(2))
        tensor(2.0625, dtype=flowkit.float32)
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(None, None, reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(Module):
    """Kullback-Leibler divergence of log-probabilities ``input`` from ``target``; reductions
    ``"mean"`` (the default, with PyTorch's warning), ``"batchmean"``, ``"sum"``, ``"none"``.

    Examples:
        >>> import flowkit as flow
        >>> loss = flow.nn.KLDivLoss(reduction="batchmean", log_target=True)
        >>> loss(flow.tensor([[-1.0]]), flow.tensor([[-1.0]]))
        tensor(0., dtype=flowkit.float32)
    """

    def __init__(
        self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False
    ):
        super().__init__()
        reduction = _legacy_reduction(size_average, reduce, reduction, "KLDivLoss")
        if reduction not in F._REDUCTIONS + ("batchmean",):
            raise ValueError(
                f"KLDivLoss: reduction must be one of {F._REDUCTIONS + ('batchmean',)}, "
                f"got {reduction!r}"
            )
        self.reduction = reduction
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities ``input`` (in [0, 1]) against ``target``, with
    an optional ``weight`` that broadcasts to the input.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.BCELoss()(flow.tensor([0.9, 0.2]), flow.tensor([1.0, 0.0]))
        tensor(0.1643, dtype=flowkit.float32)
    """

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """``BCELoss`` on ``sigmoid(input)``, fused and stable for any logits; ``pos_weight``
    weighs the positive class (one value per class, along the last dimension).

    Examples:
        >>> import flowkit as flow
        >>> loss = flow.nn.BCEWithLogitsLoss(pos_weight=flow.tensor([2.0]))
        >>> loss(flow.tensor([0.0]), flow.tensor([1.0]))
        tensor(1.3863, dtype=flowkit.float32)
    """

    def __init__(
        self,
        weight=None,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
        pos_weight=None,
    ):
        super().__init__(weight, size_average, reduce, reduction)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(
            input, target, self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )


class CosineEmbeddingLoss(_Loss):
    """``1 - cos`` for pairs with target 1, ``max(0, cos - margin)`` for target -1.

    Examples:
        >>> import flowkit as flow
        >>> a = flow.tensor([[1.0, 0.0]])
        >>> flow.nn.CosineEmbeddingLoss()(a, a, flow.tensor([-1]))
        tensor(1., dtype=flowkit.float32)
    """

    def __init__(
        self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean"
    ):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(
            input1, input2, target, margin=self.margin, reduction=self.reduction
        )


class MarginRankingLoss(_Loss):
    """``max(0, -target * (input1 - input2) + margin)``.

    Examples:
        >>> import flowkit as flow
        >>> loss = flow.nn.MarginRankingLoss(margin=1.0)
        >>> loss(flow.tensor([2.0]), flow.tensor([1.5]), flow.tensor([1.0]))
        tensor(0.5000, dtype=flowkit.float32)
    """

    def __init__(
        self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean"
    ):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(
            input1, input2, target, margin=self.margin, reduction=self.reduction
        )


class TripletMarginLoss(_Loss):
    """``max(d(a, p) - d(a, n) + margin, 0)`` with the ``p``-norm distance.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.TripletMarginLoss(margin=2.0, p=1.0)
        TripletMarginLoss()
    """

    def __init__(
        self,
        margin: float = 1.0,
        p: float = 2.0,
        eps: float = 1e-6,
        swap: bool = False,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
    ):
        super().__init__(size_average, reduce, reduction)
        if not margin > 0:
            raise ValueError(f"TripletMarginLoss: margin must be greater than 0, got {margin}")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(
            anchor,
            positive,
            negative,
            margin=self.margin,
            p=self.p,
            eps=self.eps,
            swap=self.swap,
            reduction=self.reduction,
        )
