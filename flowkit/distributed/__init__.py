"""``flowkit.distributed``: the process group, the launcher, and who-am-I in a distributed run.

flowkit's distributed training runs on ``torch.distributed`` for every backend (see
`flowkit.distributed._group`); ``python -m flowkit.distributed.launch`` starts the processes
through torchrun. OneFlow's names for the same things are in [`flowkit.env`][flowkit.env] and
[`flowkit.comm`][flowkit.comm].

Examples:
    >>> import flowkit as flow
    >>> flow.distributed.get_rank(), flow.distributed.get_world_size()  # a single process
    (0, 1)
"""

from __future__ import annotations

from typing import Any

from ._group import (
    destroy_process_group,
    ensure_initialized,
    get_local_rank,
    get_local_world_size,
    get_node_size,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
)

__all__ = [
    "destroy_process_group",
    "get_local_rank",
    "get_local_world_size",
    "get_node_size",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_available",
    "is_initialized",
    "new_group",
]


def new_group(ranks: list[int] | None = None) -> Any:
    """A subgroup of the run's ranks, for the ``group=`` argument of [`flowkit.comm`][flowkit.comm].

    Every rank must call it with the same ``ranks`` (also the ranks outside the subgroup), as
    in torch.distributed.
    """
    dist = ensure_initialized()
    from ..comm import collective

    with collective("new_group"):
        return dist.new_group(ranks=ranks)
