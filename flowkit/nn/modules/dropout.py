"""``Dropout``."""

from __future__ import annotations

from .. import functional as F
from ..module import Module


class Dropout(Module):
    """During training, zero each element with probability ``p`` and scale the others by
    ``1/(1-p)``; the identity after ``.eval()``. The mask is drawn from flowkit's generator, so
    a seed drops the same elements on every backend.

    Examples:
        >>> import flowkit as flow
        >>> drop = flow.nn.Dropout(p=0.25)
        >>> drop
        Dropout(p=0.25, inplace=False)
        >>> x = flow.ones(2, 3)
        >>> bool((drop.eval()(x) == x).all())
        True
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, generator=None):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace
        self.generator = generator  # OneFlow's: a flowkit.Generator to draw the masks from

    def forward(self, input):
        return F.dropout(input, self.p, self.training, generator=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
