"""Named results of ops that return several tensors, as ``torch.return_types``.

``x.max(dim)`` returns ``(values, indices)``: a tuple (it unpacks, ``v, i = x.max(1)``) whose
fields also have names (``x.max(1).values``), printed the way PyTorch prints them.

Examples:
    >>> import flowkit as flow
    >>> flow.tensor([[1, 4], [3, 2]]).max(dim=1)
    flowkit.return_types.max(
    values=tensor([4, 3], dtype=flowkit.int64),
    indices=tensor([1, 0], dtype=flowkit.int64))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["max", "median", "min", "sort", "topk"]


class _ValuesIndices(NamedTuple):
    """The fields of every named result; each op's result type subclasses it for its name."""

    values: Tensor
    indices: Tensor


def _return_type(name: str):
    def __repr__(self) -> str:
        return f"flowkit.return_types.{name}(\nvalues={self.values!r},\nindices={self.indices!r})"

    cls = type(
        name, (_ValuesIndices,), {"__slots__": (), "__repr__": __repr__, "__str__": __repr__}
    )
    cls.__module__ = __name__
    cls.__doc__ = f"``(values, indices)`` of ``{name}(dim)``."
    return cls


max = _return_type("max")  # noqa: A001 - torch.return_types' names
min = _return_type("min")  # noqa: A001
sort = _return_type("sort")
topk = _return_type("topk")
median = _return_type("median")
