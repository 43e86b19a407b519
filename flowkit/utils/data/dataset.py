"""Datasets: the map-style and iterable bases, and the ones built from others."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Sequence, Sized
from typing import Any

from ...errors import ShapeError
from ...tensor import Tensor
from .sampler import _rng


class Dataset:
    """A map-style dataset: ``dataset[i]`` is sample ``i``; subclasses define ``__getitem__``
    and usually ``__len__`` (which the default sampler needs).

    ``a + b`` concatenates two datasets ([`ConcatDataset`][flowkit.utils.data.ConcatDataset]).

    Examples:
        >>> import flowkit as flow
        >>> class Squares(flow.utils.data.Dataset):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, i):
        ...         return i * i
        >>> [b.tolist() for b in flow.utils.data.DataLoader(Squares(), batch_size=2)]
        [[0, 1], [4, 9]]
    """

    def __getitem__(self, index) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream: subclasses define ``__iter__``.

    With ``num_workers > 0`` every worker iterates its own copy, so a dataset that should not
    repeat samples splits the stream using [`get_worker_info`][flowkit.utils.data.get_worker_info].

    Examples:
        >>> import flowkit as flow
        >>> class Count(flow.utils.data.IterableDataset):
        ...     def __iter__(self):
        ...         return iter(range(5))
        >>> [b.tolist() for b in flow.utils.data.DataLoader(Count(), batch_size=2)]
        [[0, 1], [2, 3], [4]]
    """

    def __iter__(self) -> Iterator:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __getitem__(self, index):
        raise TypeError(f"{type(self).__name__} is an IterableDataset: iterate it, do not index it")

    def __add__(self, other):
        raise TypeError(
            "IterableDatasets cannot be concatenated with +; chain their iterators "
            "in a new IterableDataset"
        )


class TensorDataset(Dataset):
    """Samples are slices of tensors along their first dimension: item ``i`` is
    ``(t0[i], t1[i], ...)``.

    Args:
        *tensors: tensors with the same size in dimension 0.

    Examples:
        >>> import flowkit as flow
        >>> ds = flow.utils.data.TensorDataset(flow.ones(3, 2), flow.tensor([0, 1, 2]))
        >>> len(ds), ds[1]
        (3, (tensor([1., 1.], dtype=flowkit.float32), tensor(1, dtype=flowkit.int64)))
    """

    def __init__(self, *tensors: Tensor):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"TensorDataset: argument {i} is a {type(t).__name__}, not a "
                    "flowkit tensor; wrap it with flowkit.tensor(...)"
                )
            if t.ndim == 0:
                raise ShapeError(
                    f"TensorDataset: argument {i} is a 0-d tensor; samples are "
                    "taken along dimension 0"
                )
        sizes = [t.shape[0] for t in tensors]
        if len(set(sizes)) != 1:
            raise ShapeError(
                f"TensorDataset: the tensors' first dimensions differ ({sizes}); "
                "every tensor needs one entry per sample"
            )
        self.tensors = tuple(tensors)

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    Examples:
        >>> import flowkit as flow
        >>> ds = flow.utils.data.TensorDataset(flow.arange(10))
        >>> sub = flow.utils.data.Subset(ds, [7, 2])
        >>> len(sub), sub[0]
        (2, (tensor(7, dtype=flowkit.int64),))
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = [int(i) for i in indices]

    def __getitem__(self, idx):
        if isinstance(idx, (list, tuple)):
            return [self.dataset[self.indices[i]] for i in idx]
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several map-style datasets one after the other.

    Examples:
        >>> import flowkit as flow
        >>> a = flow.utils.data.TensorDataset(flow.zeros(2))
        >>> b = flow.utils.data.TensorDataset(flow.ones(3))
        >>> cat = flow.utils.data.ConcatDataset([a, b])
        >>> len(cat), cat[2][0].item(), cat.cumulative_sizes
        (5, 1.0, [2, 5])
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one dataset")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset takes map-style datasets, not IterableDatasets")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int):
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise IndexError(f"index {idx} is out of range for a dataset of length {n}")
            idx += n
        if idx >= n:
            raise IndexError(f"index {idx} is out of range for a dataset of length {n}")
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][idx - start]


def _split_lengths(n: int, lengths: Sequence[float]) -> list[int]:
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths is empty")
    # PyTorch's rule: lengths summing to 1 (and no more than the dataset) are fractions
    if math.isclose(sum(lengths), 1.0) and sum(lengths) <= n:
        if any(x < 0 or x > 1 for x in lengths):
            raise ValueError(f"random_split: fractions must be in [0, 1], got {lengths}")
        sizes = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(sizes)):  # the remainder goes round-robin, as PyTorch does
            sizes[i % len(sizes)] += 1
        return sizes
    sizes = []
    for x in lengths:
        if isinstance(x, float) and not x.is_integer() or int(x) < 0:
            raise ValueError(
                f"random_split: lengths must be non-negative ints (or fractions "
                f"summing to 1), got {lengths}"
            )
        sizes.append(int(x))
    if sum(sizes) != n:
        raise ValueError(
            f"random_split: the lengths {sizes} sum to {sum(sizes)}, but the dataset "
            f"has {n} samples; make them add up, or pass fractions like [0.8, 0.2]"
        )
    return sizes


def random_split(dataset: Dataset, lengths: Sequence[float], generator=None) -> list[Subset]:
    """Split ``dataset`` at random into disjoint [`Subset`][flowkit.utils.data.Subset]s of the
    given sizes.

    Args:
        dataset: a map-style dataset.
        lengths: the sizes (ints summing to ``len(dataset)``), or fractions summing to 1 (the
            floors, then the remainder one by one to the first subsets, as in PyTorch).
        generator (numpy.random.Generator | None): a ``numpy.random.Generator`` to draw the
            permutation from; ``None`` uses flowkit's generator, so
            [`flowkit.manual_seed`][flowkit.manual_seed] fixes the split on every backend.

    Returns:
        A list of [`Subset`][flowkit.utils.data.Subset], one per length.

    Examples:
        >>> import flowkit as flow
        >>> flow.manual_seed(0)
        >>> train, val = flow.utils.data.random_split(range(10), [0.8, 0.2])
        >>> len(train), len(val), sorted(train.indices + val.indices) == list(range(10))
        (8, 2, True)
    """
    if not isinstance(dataset, Sized):  # Dataset leaves __len__ to subclasses
        raise TypeError(f"random_split: the dataset ({type(dataset).__name__}) has no __len__")
    n = len(dataset)
    sizes = _split_lengths(n, lengths)
    perm = _rng(generator).permutation(n).tolist()
    out, start = [], 0
    for size in sizes:
        out.append(Subset(dataset, perm[start : start + size]))
        start += size
    return out
