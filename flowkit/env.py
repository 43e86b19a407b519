"""``flowkit.env``: the run's environment under OneFlow's names (``flow.env.get_rank()``...).

The same functions as [`flowkit.distributed`][flowkit.distributed]; ``init``/``destroy`` form and
leave the process group explicitly (a process joins it by itself on its first collective).

Examples:
    >>> import flowkit as flow
    >>> flow.env.get_rank(), flow.env.get_world_size(), flow.env.get_node_size()
    (0, 1, 1)
"""

from __future__ import annotations

from .distributed._group import (
    destroy_process_group as destroy,
)
from .distributed._group import (
    get_local_rank,
    get_node_size,
    get_rank,
    get_world_size,
    is_initialized,
)
from .distributed._group import (
    init_process_group as init,
)

__all__ = [
    "destroy",
    "get_local_rank",
    "get_node_size",
    "get_rank",
    "get_world_size",
    "init",
    "is_initialized",
]
