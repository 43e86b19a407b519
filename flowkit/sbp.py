"""``flowkit.sbp``: how a global tensor's values are laid out over its placement (OneFlow's SBP).

* ``split(dim)``: each rank holds one piece of the tensor, cut along ``dim`` (PyTorch DTensor's
  ``Shard(dim)``);
* ``broadcast``: each rank holds the whole tensor (``Replicate()``);
* ``partial_sum``: each rank holds a tensor of the full shape, and the value is their sum
  (``Partial("sum")``).

A global tensor carries one SBP per dimension of its placement, as a tuple:
``x.sbp == (flowkit.sbp.split(0),)``.

Examples:
    >>> import flowkit as flow
    >>> flow.sbp.split(0), flow.sbp.broadcast, flow.sbp.partial_sum
    (flowkit.sbp.split(dim=0), flowkit.sbp.broadcast, flowkit.sbp.partial_sum)
"""

from __future__ import annotations

import operator

from .errors import ArgumentTypeError, ArgumentValueError

__all__ = ["sbp", "split", "broadcast", "partial_sum"]


class sbp:  # noqa: N801 - OneFlow's name
    """One SBP: ``split(dim)``, ``broadcast`` or ``partial_sum`` (use those, not this class).

    Examples:
        >>> import flowkit as flow
        >>> flow.sbp.split(1) == flow.sbp.split(1), flow.sbp.split(1).dim
        (True, 1)
        >>> isinstance(flow.sbp.broadcast, flow.sbp.sbp)
        True
    """

    __slots__ = ("_kind", "_dim")

    def __init__(self, kind: str, dim: int | None = None) -> None:
        if kind not in ("split", "broadcast", "partial_sum"):
            raise ArgumentValueError(f"unknown sbp {kind!r}")
        self._kind = kind
        self._dim = dim

    @property
    def kind(self) -> str:
        """``"split"``, ``"broadcast"`` or ``"partial_sum"``."""
        return self._kind

    @property
    def dim(self) -> int | None:
        """The dimension a ``split`` cuts (``None`` for the others)."""
        return self._dim

    def is_split(self) -> bool:
        return self._kind == "split"

    def is_broadcast(self) -> bool:
        return self._kind == "broadcast"

    def is_partial_sum(self) -> bool:
        return self._kind == "partial_sum"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, sbp):
            return NotImplemented
        return self._kind == other._kind and self._dim == other._dim

    def __hash__(self) -> int:
        return hash((self._kind, self._dim))

    def __repr__(self) -> str:
        if self._kind == "split":
            return f"flowkit.sbp.split(dim={self._dim})"
        return f"flowkit.sbp.{self._kind}"

    __str__ = __repr__


def split(dim: int) -> sbp:
    """The SBP that cuts a tensor along ``dim``, one piece per rank (DTensor's ``Shard(dim)``).

    Pieces follow ``torch.chunk``: each holds ``ceil(size / ranks)`` rows of ``dim`` (the last
    ones fewer, or none).

    Examples:
        >>> import flowkit as flow
        >>> flow.sbp.split(0)
        flowkit.sbp.split(dim=0)
    """
    if isinstance(dim, bool):
        raise ArgumentTypeError(f"flowkit.sbp.split: dim must be an int, got {dim!r}")
    try:
        d = operator.index(dim)
    except TypeError:
        raise ArgumentTypeError(
            f"flowkit.sbp.split: dim must be an int, got {type(dim).__name__}"
        ) from None
    if d < 0:
        raise ArgumentValueError(f"flowkit.sbp.split: dim must be >= 0 (OneFlow's rule), got {dim}")
    return sbp("split", d)


#: every rank holds the whole tensor
broadcast = sbp("broadcast")
#: every rank holds a full-shape tensor; the value is their sum
partial_sum = sbp("partial_sum")
