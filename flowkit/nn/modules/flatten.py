"""``Flatten``."""

from __future__ import annotations

from .. import functional as F
from ..module import Module


class Flatten(Module):
    """Merges dimensions ``start_dim`` to ``end_dim`` (by default all but the batch dimension).

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.Flatten()(flow.zeros(4, 2, 3, 3)).shape
        flowkit.Size([4, 18])
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return F.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
