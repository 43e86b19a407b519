"""``Flatten`` and ``Unflatten``."""

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


class Unflatten(Module):
    """Splits dimension ``dim`` into ``unflattened_size`` (the inverse of ``Flatten``; one size
    may be ``-1``).

    Examples:
        >>> import flowkit as flow
        >>> m = flow.nn.Unflatten(1, (2, 5))
        >>> m
        Unflatten(dim=1, unflattened_size=(2, 5))
        >>> m(flow.zeros(3, 10)).shape
        flowkit.Size([3, 2, 5])
    """

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        if isinstance(dim, str):
            raise NotImplementedError("Unflatten: named dimensions are not supported by flowkit")
        if not isinstance(unflattened_size, (tuple, list)) or not all(
            isinstance(s, int) and not isinstance(s, bool) for s in unflattened_size
        ):
            raise TypeError(
                f"Unflatten: unflattened_size must be a tuple of ints, got {unflattened_size!r}"
            )
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input):
        nd = input.ndim
        if not -nd <= self.dim < nd:
            raise IndexError(
                f"Unflatten: dim={self.dim} is out of range for a {nd}-d input (valid: "
                f"{-nd} to {nd - 1})"
            )
        d = self.dim % nd
        shape = tuple(input.shape)
        size = shape[d]
        known = 1
        for s in self.unflattened_size:
            if s != -1:
                known *= s
        n_free = sum(s == -1 for s in self.unflattened_size)
        if (
            n_free > 1
            or (n_free == 0 and known != size)
            or (n_free and (not known or size % known))
        ):
            raise ValueError(
                f"Unflatten: unflattened_size {self.unflattened_size} does not fit dimension "
                f"{self.dim} of size {size} (input shape {shape}); its product must be {size}"
            )
        return input.reshape(*shape[:d], *self.unflattened_size, *shape[d + 1 :])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
