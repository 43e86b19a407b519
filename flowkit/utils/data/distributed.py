"""``DistributedSampler``: each process of a data-parallel job loads its own share of a dataset.

The semantics are PyTorch's (``torch.utils.data.distributed``): the same index list on every
rank, padded by repetition (or its tail dropped) to a multiple of the number of replicas, and
rank ``r`` takes every ``num_replicas``-th index from ``r``. The one difference is the shuffle:
flowkit draws it from numpy's PCG64 seeded with ``seed + epoch`` (as
[`flowkit.manual_seed`][flowkit.manual_seed] does), so the order is the same on every backend and
device, but it is not ``torch.randperm``'s.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterator, Sized

import numpy as np

from ...errors import ArgumentTypeError, ArgumentValueError
from .sampler import Sampler


def _as_int(name: str, value) -> int:
    """``value`` as an int (a Python or numpy integer; not a bool), else an ArgumentTypeError."""
    if isinstance(value, bool):
        raise ArgumentTypeError(f"DistributedSampler: {name} must be an int, got a bool ({value})")
    try:
        return operator.index(value)
    except TypeError:
        raise ArgumentTypeError(
            f"DistributedSampler: {name} must be an int, got {type(value).__name__} ({value!r})"
        ) from None


class DistributedSampler(Sampler):
    """Restricts a [`DataLoader`][flowkit.utils.data.DataLoader] to this process's share of a
    dataset.

    In data-parallel training every process (rank) builds the same sampler, with its own
    ``rank``, and passes it as the loader's ``sampler``: the ranks then see disjoint parts of the
    dataset (up to the padding below), each ``len(sampler)`` samples per epoch.

    The index list, the same on every rank, is ``range(len(dataset))``, or with ``shuffle`` a
    permutation of it drawn from ``seed + epoch``. Without ``drop_last`` it is padded, by repeating
    it from its start, to a multiple of ``num_replicas``, so a few samples are seen twice per
    epoch; with ``drop_last`` its tail is cut to a multiple instead. Rank ``r`` takes the indices
    at positions ``r, r + num_replicas, r + 2 * num_replicas, ...``.

    Call [`set_epoch`][flowkit.utils.data.DistributedSampler.set_epoch] at the start of each epoch,
    before iterating the loader: otherwise every epoch has the same order.

    Args:
        dataset: a map-style dataset (only its length is used; it must not change).
        num_replicas: the number of processes; default: the world size of the process group
            ([`flowkit.distributed.get_world_size`][flowkit.distributed.get_world_size], 1 in a
            single process).
        rank: this process's rank, in ``[0, num_replicas)``; default: its rank in the process
            group ([`flowkit.distributed.get_rank`][flowkit.distributed.get_rank], 0 in a single
            process).
        shuffle: shuffle the indices, with an order that changes with
            [`set_epoch`][flowkit.utils.data.DistributedSampler.set_epoch].
        seed: the shuffle's seed, a non-negative int that must be the same on every rank.
        drop_last: drop the tail of the (shuffled) indices to make them divide evenly among the
            replicas, instead of padding them.

    The shuffle is flowkit's own deterministic permutation,
    ``numpy.random.default_rng(seed + epoch).permutation(len(dataset))``: the same on every
    rank, backend and device, but not the order ``torch.utils.data.DistributedSampler`` gives
    for the same seed. Without ``shuffle`` the indices are exactly PyTorch's.

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.utils.data import DataLoader, DistributedSampler, TensorDataset
        >>> [list(DistributedSampler(range(5), 2, rank=r, shuffle=False)) for r in (0, 1)]
        [[0, 2, 4], [1, 3, 0]]
        >>> s = DistributedSampler(range(5), 2, rank=1, shuffle=False, drop_last=True)
        >>> list(s), len(s)
        ([1, 3], 2)
        >>> ds = TensorDataset(flow.arange(8))
        >>> parts = [DistributedSampler(ds, num_replicas=2, rank=r, seed=3) for r in (0, 1)]
        >>> for p in parts:
        ...     p.set_epoch(1)
        >>> batches = [[b.tolist() for b, in DataLoader(ds, 2, sampler=p)] for p in parts]
        >>> len(batches[0]), sorted(sum(batches[0] + batches[1], []))
        (2, [0, 1, 2, 3, 4, 5, 6, 7])
    """

    def __init__(
        self,
        dataset: Sized,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if not isinstance(dataset, Sized):
            raise ArgumentTypeError(
                f"DistributedSampler: the dataset ({type(dataset).__name__}) has no __len__; "
                "it needs a map-style dataset, and an IterableDataset must split its stream "
                "among the ranks itself"
            )
        if num_replicas is None or rank is None:
            from ...distributed import get_rank, get_world_size  # (no torch import for this)

            if num_replicas is None:
                num_replicas = get_world_size()
            if rank is None:
                rank = get_rank()
        num_replicas = _as_int("num_replicas", num_replicas)
        rank = _as_int("rank", rank)
        seed = _as_int("seed", seed)
        if num_replicas < 1:
            raise ArgumentValueError(
                f"DistributedSampler: num_replicas must be at least 1, got {num_replicas}; "
                "pass the number of processes that share the dataset (the world size)"
            )
        if rank < 0 or rank >= num_replicas:
            raise ArgumentValueError(
                f"DistributedSampler: Invalid rank {rank}, rank should be in the interval "
                f"[0, {num_replicas - 1}] (num_replicas={num_replicas}); pass this process's "
                "rank in the group, 0 <= rank < num_replicas"
            )
        if seed < 0:
            raise ArgumentValueError(
                f"DistributedSampler: seed must be a non-negative int, got {seed}; use the same "
                "non-negative seed on every rank"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.shuffle = bool(shuffle)
        self.seed = seed
        self.drop_last = bool(drop_last)
        n = len(dataset)
        if self.drop_last and n % num_replicas != 0:
            # the largest multiple of num_replicas below n, split evenly (PyTorch's formula)
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            indices = np.random.default_rng(self.seed + self.epoch).permutation(n).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            padding = self.total_size - n
            if padding <= n:
                indices += indices[:padding]
            elif n > 0:  # fewer samples than replicas: repeat the whole list
                indices += (indices * math.ceil(padding / n))[:padding]
        else:
            indices = indices[: self.total_size]
        if len(indices) != self.total_size:  # the dataset's length changed since __init__
            raise ArgumentValueError(
                f"DistributedSampler: the dataset has {n} samples now, but the sampler was "
                f"built for another length ({self.num_samples} samples on each of "
                f"{self.num_replicas} replicas); build a new sampler when the dataset changes"
            )
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch, which seeds the shuffle (``seed + epoch``): call it with the same epoch
        on every rank at the start of each epoch, before iterating the loader.

        Without ``shuffle`` the epoch changes nothing.

        Examples:
            >>> from flowkit.utils.data import DistributedSampler
            >>> s = DistributedSampler(range(6), num_replicas=1, rank=0)
            >>> first = list(s)
            >>> s.set_epoch(1)
            >>> list(s) == first, sorted(s)
            (False, [0, 1, 2, 3, 4, 5])
        """
        epoch = _as_int("epoch", epoch)
        if self.seed + epoch < 0:
            raise ArgumentValueError(
                f"DistributedSampler.set_epoch: seed + epoch must be non-negative (it seeds the "
                f"shuffle), got {self.seed} + {epoch}; count epochs from 0"
            )
        self.epoch = epoch
