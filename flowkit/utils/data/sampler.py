"""Samplers: which indices a [`DataLoader`][flowkit.utils.data.DataLoader] fetches, in which order.

Random samplers draw from flowkit's generator (`flowkit.random`, numpy's PCG64 on the host),
so after ``flowkit.manual_seed(s)`` the order is the same on every backend and device.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sized

import numpy as np

from ... import random as _random


def _rng(generator) -> np.random.Generator:
    """``generator`` if given, else flowkit's process generator *as it is now* (looked up at each
    draw: ``manual_seed`` replaces the generator object)."""
    if generator is None:
        return _random.generator()
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(
        f"generator must be a numpy.random.Generator or None (flowkit's seeded generator), got "
        f"{type(generator).__name__}; seed the default with flowkit.manual_seed(...)"
    )


class Sampler:
    """Base class of samplers: an iterable of dataset indices (or of lists of them).

    Examples:
        >>> import flowkit as flow
        >>> class Reverse(flow.utils.data.Sampler):
        ...     def __init__(self, n):
        ...         self.n = n
        ...     def __iter__(self):
        ...         return iter(range(self.n - 1, -1, -1))
        ...     def __len__(self):
        ...         return self.n
        >>> ds = flow.utils.data.TensorDataset(flow.arange(4))
        >>> [b.tolist() for b, in flow.utils.data.DataLoader(ds, 2, sampler=Reverse(4))]
        [[3, 2], [1, 0]]
    """

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order.

    Examples:
        >>> import flowkit as flow
        >>> list(flow.utils.data.SequentialSampler(range(3)))
        [0, 1, 2]
    """

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Indices in a random order: a fresh permutation each time it is iterated (each epoch).

    Args:
        data_source: the dataset (only its length is used).
        replacement: draw ``num_samples`` indices independently, with repeats.
        num_samples: how many indices per epoch (default ``len(data_source)``); without
            replacement, more than the length concatenates several permutations.
        generator (numpy.random.Generator | None): a ``numpy.random.Generator``; ``None`` draws
            from flowkit's generator at the start of each epoch, so ``flowkit.manual_seed`` fixes
            the order on every backend.

    Examples:
        >>> import flowkit as flow
        >>> flow.manual_seed(0)
        >>> a = list(flow.utils.data.RandomSampler(range(5)))
        >>> flow.manual_seed(0)
        >>> a == list(flow.utils.data.RandomSampler(range(5))), sorted(a)
        (True, [0, 1, 2, 3, 4])
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator=None,
    ) -> None:
        self.data_source = data_source
        self.replacement = bool(replacement)
        self._num_samples = num_samples
        self.generator = generator
        _rng(generator)  # the type error now, not at the first epoch
        if num_samples is not None and (not isinstance(num_samples, int) or num_samples <= 0):
            raise ValueError(
                f"RandomSampler: num_samples must be a positive int, got {num_samples!r}"
            )

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        rng = _rng(self.generator)
        if self.replacement:
            return iter(rng.integers(0, n, size=self.num_samples).tolist())
        want = self.num_samples
        out: list[int] = []
        while len(out) < want:
            out.extend(rng.permutation(n).tolist())
        return iter(out[:want])

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order (a new order each epoch).

    Examples:
        >>> import flowkit as flow
        >>> sorted(flow.utils.data.SubsetRandomSampler([4, 7, 9]))
        [4, 7, 9]
    """

    def __init__(self, indices, generator=None) -> None:
        self.indices = list(indices)
        self.generator = generator
        _rng(generator)

    def __iter__(self) -> Iterator[int]:
        return iter([self.indices[i] for i in _rng(self.generator).permutation(len(self.indices))])

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups another sampler's indices into lists of ``batch_size``.

    Args:
        sampler: an iterable of indices.
        batch_size: indices per batch.
        drop_last: drop a last, smaller batch instead of yielding it.

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.utils.data import BatchSampler, SequentialSampler
        >>> list(BatchSampler(SequentialSampler(range(5)), 2, drop_last=False))
        [[0, 1], [2, 3], [4]]
        >>> len(BatchSampler(range(5), 2, drop_last=True))
        2
    """

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last must be a bool, got {drop_last!r}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        if not isinstance(self.sampler, Sized):  # any iterable batches; only a sized one counts
            raise TypeError(
                f"len(BatchSampler): its sampler ({type(self.sampler).__name__}) has no __len__"
            )
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
