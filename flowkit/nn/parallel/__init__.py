"""``flowkit.nn.parallel``: data-parallel training across the processes of a run."""

from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
