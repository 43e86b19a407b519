"""``flowkit.utils.data``: datasets, samplers and the [`DataLoader`][flowkit.utils.data.DataLoader],
as in PyTorch.

A map-style [`Dataset`][flowkit.utils.data.Dataset] answers ``dataset[i]`` and ``len(dataset)``; an
[`IterableDataset`][flowkit.utils.data.IterableDataset] yields samples. A
[`DataLoader`][flowkit.utils.data.DataLoader] draws indices from a sampler (shuffled by flowkit's
seeded generator, so the order is the same on every backend), fetches the samples, optionally in
worker processes, and merges each batch with ``collate_fn``. In data-parallel training a
[`DistributedSampler`][flowkit.utils.data.DistributedSampler] gives each process its share of the
dataset.

Examples:
    >>> import flowkit as flow
    >>> from flowkit.utils.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(flow.arange(6).float(), flow.arange(6))
    >>> [y.tolist() for _, y in DataLoader(ds, 4)]
    [[0, 1, 2, 3], [4, 5]]
"""

from . import distributed
from ._collate import default_collate, default_convert
from .dataloader import DataLoader, get_worker_info
from .dataset import (
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .distributed import DistributedSampler
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]
