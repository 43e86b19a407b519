"""``flowkit.placement``: the processes (and device type) a global tensor lives on.

A placement is OneFlow's: a device type and an array of ranks. A 1-D rank list (``[0, 1]``)
spreads a tensor over those processes; a 2-D one (``[[0, 1], [2, 3]]``) arranges them in a grid,
and a global tensor then has one SBP per grid dimension. It maps one to one onto PyTorch's
``DeviceMesh`` (the torch backend builds one from it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ArgumentTypeError, ArgumentValueError

__all__ = ["placement"]

_TYPES = ("cpu", "cuda")


class placement:  # noqa: N801 - OneFlow's name
    """The device type and the ranks of a global tensor (OneFlow's ``flow.placement``).

    Args:
        type: ``"cpu"`` or ``"cuda"``.
        ranks: the ranks, as a list (1-D) or a list of equal-length lists (2-D: a grid of
            processes; each dimension of the grid gets its own SBP).

    Every rank of the run must be in the placement of each global tensor it makes (flowkit
    builds the communication groups of a placement on every rank, in the same order).

    Examples:
        >>> import flowkit as flow
        >>> p = flow.placement("cpu", [0, 1])
        >>> p, p.ranks, p.hierarchy
        (flowkit.placement(type="cpu", ranks=[0, 1]), [0, 1], flowkit.Size([2]))
        >>> flow.placement(type="cpu", ranks=[[0, 1], [2, 3]]).hierarchy
        flowkit.Size([2, 2])
    """

    __slots__ = ("_type", "_ranks", "__weakref__")

    def __init__(self, type: str = "cpu", ranks: Sequence[Any] | None = None) -> None:  # noqa: A002
        if not isinstance(type, str) or type.split(":")[0] not in _TYPES:
            raise ArgumentValueError(
                f"flowkit.placement: type must be 'cpu' or 'cuda', got {type!r}"
            )
        if ranks is None:
            raise ArgumentTypeError(
                "flowkit.placement needs ranks, e.g. flowkit.placement('cpu', [0, 1]) or "
                "flowkit.placement('cpu', [[0, 1], [2, 3]])"
            )
        if isinstance(ranks, int) and not isinstance(ranks, bool):
            ranks = [ranks]
        try:
            arr = np.array(list(ranks) if isinstance(ranks, range) else ranks)
        except ValueError:
            arr = np.array([], dtype=object)
        if arr.dtype.kind not in "iu" or arr.ndim not in (1, 2) or arr.size == 0:
            raise ArgumentValueError(
                "flowkit.placement: ranks must be a non-empty list of ints (1-D) or a list of "
                f"equal-length lists of ints (2-D), got {ranks!r}"
            )
        if len(set(arr.ravel().tolist())) != arr.size or arr.min() < 0:
            raise ArgumentValueError(
                f"flowkit.placement: ranks must be distinct non-negative ints, got {ranks!r}"
            )
        self._type = type.split(":")[0]
        self._ranks = arr.astype(np.int64)
        self._ranks.setflags(write=False)

    @property
    def type(self) -> str:
        """The device type: ``"cpu"`` or ``"cuda"``."""
        return self._type

    @property
    def ranks(self) -> list:
        """The ranks, as the (nested) list the placement was made from."""
        return self._ranks.tolist()

    @property
    def hierarchy(self) -> Any:
        """The shape of the rank grid, a [`flowkit.Size`][flowkit.Size]: ``Size([2])``,
        ``Size([2, 2])``."""
        from ..tensor import Size

        return Size(self._ranks.shape)

    @property
    def ndim(self) -> int:
        """How many dimensions the rank grid has (how many SBPs a tensor on it carries)."""
        return self._ranks.ndim

    def coords(self, rank: int) -> tuple[int, ...] | None:
        """Where ``rank`` sits in the grid (one index per dimension), ``None`` if not there."""
        found = np.argwhere(self._ranks == rank)
        return None if not len(found) else tuple(int(i) for i in found[0])

    def groups(self, dim: int) -> list[list[int]]:
        """The rank lists that communicate along grid dimension ``dim`` (one per line of the
        grid along ``dim``), in a fixed order."""
        moved = np.moveaxis(self._ranks, dim, -1)
        return [list(map(int, row)) for row in moved.reshape(-1, moved.shape[-1])]

    def group_of(self, rank: int, dim: int) -> list[int]:
        """The ranks ``rank`` communicates with along grid dimension ``dim``."""
        for g in self.groups(dim):
            if rank in g:
                return g
        raise ArgumentValueError(f"rank {rank} is not in {self!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, placement):
            return NotImplemented
        return (
            self._type == other._type
            and np.array_equal(self._ranks, other._ranks)
            and (self._ranks.shape == other._ranks.shape)
        )

    def __hash__(self) -> int:
        return hash((self._type, self._ranks.shape, tuple(self._ranks.ravel().tolist())))

    def __repr__(self) -> str:
        return f'flowkit.placement(type="{self._type}", ranks={self.ranks})'

    __str__ = __repr__
