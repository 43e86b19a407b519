"""``flowkit.utils.data.DistributedSampler``: PyTorch's padding, ``drop_last`` and rank striding
(checked against a reference written from the rules, and against torch's own sampler when torch
is installed), flowkit's seeded shuffle (the same on every rank, a new one per epoch), the
process-group defaults, the errors, and use as a DataLoader's sampler."""

from __future__ import annotations

import math
import pickle
from itertools import cycle, islice

import numpy as np
import pytest

import flowkit as flow
from flowkit.errors import ArgumentTypeError, ArgumentValueError
from flowkit.utils.data import DataLoader, DistributedSampler, Sampler, TensorDataset

LENGTHS = range(12)
REPLICAS = range(1, 5)


def _reference(order: list[int], num_replicas: int, rank: int, drop_last: bool) -> list[int]:
    """Rank ``rank``'s indices by the rules: cut the list to the largest multiple of
    ``num_replicas`` (``drop_last``, when it does not divide) or cycle it up to the next one, then
    take every ``num_replicas``-th from ``rank``."""
    n = len(order)
    if drop_last and n % num_replicas:
        total = n // num_replicas * num_replicas
    else:
        total = math.ceil(n / num_replicas) * num_replicas
    padded = list(islice(cycle(order), total)) if order else []
    return padded[rank::num_replicas]


def _all_ranks(n, num_replicas, **kw) -> list[list[int]]:
    return [
        list(DistributedSampler(range(n), num_replicas=num_replicas, rank=r, **kw))
        for r in range(num_replicas)
    ]


# --------------------------------------------------------------------------- padding, drop_last
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("num_replicas", REPLICAS)
@pytest.mark.parametrize("n", LENGTHS)
def test_indices_follow_the_rules(n, num_replicas, drop_last):
    parts = _all_ranks(n, num_replicas, shuffle=False, drop_last=drop_last)
    for rank, got in enumerate(parts):
        assert got == _reference(list(range(n)), num_replicas, rank, drop_last)
        s = DistributedSampler(
            range(n), num_replicas=num_replicas, rank=rank, shuffle=False, drop_last=drop_last
        )
        assert len(s) == s.num_samples == len(got)
        assert s.total_size == s.num_samples * num_replicas
    assert len({len(p) for p in parts}) == 1, "every rank gets the same number of samples"
    union = [i for p in parts for i in p]
    if drop_last:
        # the tail is dropped: no index twice, and only what does not divide evenly is missing
        assert len(union) == len(set(union)) == n - n % num_replicas
        assert sorted(union) == list(range(len(union)))
    else:
        assert set(union) == set(range(n)), "the ranks together cover the dataset"
        assert len(union) == math.ceil(n / num_replicas) * num_replicas
    if n % num_replicas == 0:
        assert sorted(union) == list(range(n)), "no overlap when the length divides evenly"


@pytest.mark.parametrize(
    "n, num_replicas, drop_last, expected",
    [
        (5, 2, False, [[0, 2, 4], [1, 3, 0]]),
        (5, 2, True, [[0, 2], [1, 3]]),
        (6, 3, False, [[0, 3], [1, 4], [2, 5]]),
        (7, 3, True, [[0, 3], [1, 4], [2, 5]]),
        (1, 4, False, [[0], [0], [0], [0]]),  # padding longer than the list: repeat it whole
        (2, 4, False, [[0], [1], [0], [1]]),
        (3, 4, True, [[], [], [], []]),
        (0, 3, False, [[], [], []]),
        (0, 3, True, [[], [], []]),
        (9, 4, False, [[0, 4, 8], [1, 5, 0], [2, 6, 1], [3, 7, 2]]),
    ],
)
def test_worked_examples(n, num_replicas, drop_last, expected):
    assert _all_ranks(n, num_replicas, shuffle=False, drop_last=drop_last) == expected


def test_it_is_a_sampler_and_keeps_its_arguments():
    s = DistributedSampler(range(7), num_replicas=3, rank=2, seed=5, drop_last=True)
    assert isinstance(s, Sampler)
    assert (s.num_replicas, s.rank, s.shuffle, s.seed, s.drop_last, s.epoch) == (
        3,
        2,
        True,
        5,
        True,
        0,
    )
    assert (s.num_samples, s.total_size) == (2, 6)
    assert list(pickle.loads(pickle.dumps(s))) == list(s)


def test_numpy_integers_are_accepted():
    s = DistributedSampler(range(5), num_replicas=np.int64(2), rank=np.int32(1), seed=np.int64(3))
    assert (type(s.num_replicas), type(s.rank), type(s.seed)) == (int, int, int)
    assert len(list(s)) == 3


# --------------------------------------------------------------------------- shuffle
def _permutation(n, seed):
    return np.random.default_rng(seed).permutation(n).tolist()


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("n, num_replicas", [(10, 3), (12, 4), (5, 2), (2, 3), (11, 1)])
def test_shuffle_is_one_permutation_shared_by_the_ranks(n, num_replicas, drop_last):
    for seed, epoch in [(0, 0), (7, 0), (7, 3)]:
        order = _permutation(n, seed + epoch)
        for rank in range(num_replicas):
            s = DistributedSampler(
                range(n), num_replicas=num_replicas, rank=rank, seed=seed, drop_last=drop_last
            )
            s.set_epoch(epoch)
            assert list(s) == _reference(order, num_replicas, rank, drop_last)


def test_shuffle_is_deterministic_given_the_seed_and_epoch():
    a = DistributedSampler(range(50), num_replicas=2, rank=1, seed=11)
    b = DistributedSampler(range(50), num_replicas=2, rank=1, seed=11)
    assert list(a) == list(b)
    assert list(a) == list(a), "iterating again without set_epoch repeats the order"
    flow.manual_seed(123)  # flowkit's process generator plays no part
    assert list(a) == list(b)
    assert list(a) != list(DistributedSampler(range(50), num_replicas=2, rank=1, seed=12))
    assert list(DistributedSampler(range(50), num_replicas=1, rank=0)) != list(range(50))


def test_set_epoch_changes_the_order():
    s = DistributedSampler(range(40), num_replicas=2, rank=0, seed=3)
    orders = []
    for epoch in range(4):
        s.set_epoch(epoch)
        assert s.epoch == epoch
        orders.append(list(s))
    assert len({tuple(o) for o in orders}) == 4, "each epoch has its own order"
    s.set_epoch(0)
    assert list(s) == orders[0]
    # epoch e with seed s is seed s + e with epoch 0 (PyTorch seeds its generator the same way)
    t = DistributedSampler(range(40), num_replicas=2, rank=0, seed=5)
    assert list(t) == orders[2]
    for epoch in range(4):  # every epoch, the two ranks still split the dataset between them
        s.set_epoch(epoch)
        other = DistributedSampler(range(40), num_replicas=2, rank=1, seed=3)
        other.set_epoch(epoch)
        assert sorted(list(s) + list(other)) == list(range(40))


def test_without_shuffle_the_epoch_changes_nothing():
    s = DistributedSampler(range(9), num_replicas=2, rank=1, shuffle=False)
    first = list(s)
    s.set_epoch(5)
    assert list(s) == first == [1, 3, 5, 7, 0]


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize("rank, num_replicas", [(-1, 2), (2, 2), (5, 3), (1, 1)])
def test_bad_rank(rank, num_replicas):
    with pytest.raises(ArgumentValueError, match="Invalid rank") as info:
        DistributedSampler(range(4), num_replicas=num_replicas, rank=rank)
    assert isinstance(info.value, ValueError), "PyTorch raises ValueError: ported code catches it"
    assert f"[0, {num_replicas - 1}]" in str(info.value)
    assert "0 <= rank < num_replicas" in str(info.value)


@pytest.mark.parametrize("num_replicas", [0, -2])
def test_bad_num_replicas(num_replicas):
    with pytest.raises(ArgumentValueError, match="num_replicas must be at least 1"):
        DistributedSampler(range(4), num_replicas=num_replicas, rank=0)


@pytest.mark.parametrize(
    "kw, what",
    [
        ({"num_replicas": 2.0, "rank": 0}, "num_replicas must be an int, got float"),
        ({"num_replicas": 2, "rank": "1"}, "rank must be an int, got str"),
        ({"num_replicas": 2, "rank": True}, "rank must be an int, got a bool"),
        ({"num_replicas": 2, "rank": 0, "seed": 0.5}, "seed must be an int"),
    ],
)
def test_bad_argument_types(kw, what):
    with pytest.raises(ArgumentTypeError, match=what) as info:
        DistributedSampler(range(4), **kw)
    assert isinstance(info.value, TypeError)


def test_bad_seed_and_epoch():
    with pytest.raises(ArgumentValueError, match="seed must be a non-negative int, got -1"):
        DistributedSampler(range(4), num_replicas=1, rank=0, seed=-1)
    s = DistributedSampler(range(4), num_replicas=1, rank=0, seed=2)
    s.set_epoch(-2)  # seed + epoch is still a valid seed
    assert sorted(s) == [0, 1, 2, 3]
    with pytest.raises(ArgumentValueError, match="seed \\+ epoch must be non-negative"):
        s.set_epoch(-3)
    assert s.epoch == -2, "a rejected epoch is not kept"
    with pytest.raises(ArgumentTypeError, match="epoch must be an int"):
        s.set_epoch("1")


def test_a_dataset_without_len():
    with pytest.raises(ArgumentTypeError, match="has no __len__; it needs a map-style dataset"):
        DistributedSampler((i for i in range(3)), num_replicas=1, rank=0)


@pytest.mark.parametrize(
    "new_length, drop_last",
    [(0, False), (9, False), (3, True)],
)
def test_a_dataset_whose_length_changed(new_length, drop_last):
    # the dataset is assumed not to change, as in PyTorch: a length whose indices still fit the
    # sampler's total_size (more samples with drop_last, or a padding that reaches the same
    # total) is used as it is, and the others are an error that says so
    data = list(range(6))
    s = DistributedSampler(data, num_replicas=4, rank=0, shuffle=False, drop_last=drop_last)
    data[:] = range(new_length)
    with pytest.raises(ArgumentValueError, match=f"has {new_length} samples now"):
        list(s)


# --------------------------------------------------------------------------- process group
def test_defaults_from_flowkit_distributed(monkeypatch):
    # as in a process that has not joined a group yet (another test may have formed one here)
    monkeypatch.setattr("flowkit.distributed._group._initialized", lambda: False)
    for var in ("WORLD_SIZE", "RANK"):
        monkeypatch.delenv(var, raising=False)
    s = DistributedSampler(range(5), shuffle=False)
    assert (s.num_replicas, s.rank) == (1, 0)
    assert list(s) == [0, 1, 2, 3, 4]
    monkeypatch.setenv("WORLD_SIZE", "2")  # as the launcher sets them (no process group yet)
    monkeypatch.setenv("RANK", "1")
    s = DistributedSampler(range(5), shuffle=False)
    assert (s.num_replicas, s.rank) == (2, 1)
    assert list(s) == [1, 3, 0]


# --------------------------------------------------------------------------- DataLoader
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("loader_drop_last", [False, True])
def test_in_a_dataloader(shuffle, loader_drop_last):
    n, num_replicas, batch = 10, 3, 2
    ds = TensorDataset(flow.arange(2 * n).float().reshape(n, 2), flow.arange(n))
    seen = []
    for rank in range(num_replicas):
        sampler = DistributedSampler(ds, num_replicas=num_replicas, rank=rank, shuffle=shuffle)
        sampler.set_epoch(1)
        loader = DataLoader(ds, batch_size=batch, sampler=sampler, drop_last=loader_drop_last)
        expected = list(sampler)  # [0, 3, 6, 9] on rank 0 without shuffle, 4 samples on each
        assert len(expected) == 4
        batches = [(xb.tolist(), yb.tolist()) for xb, yb in loader]
        assert len(loader) == len(batches) == 2
        assert [y for _, yb in batches for y in yb] == expected
        for xb, yb in batches:
            assert xb == [[2.0 * y, 2.0 * y + 1] for y in yb]
        seen += expected
    assert set(seen) == set(range(n))
    if not shuffle:
        assert [list(DistributedSampler(ds, 3, r, shuffle=False)) for r in range(3)] == [
            [0, 3, 6, 9],
            [1, 4, 7, 0],
            [2, 5, 8, 1],
        ]


def test_in_a_dataloader_the_last_batch_is_smaller():
    ds = TensorDataset(flow.arange(7))
    sampler = DistributedSampler(ds, num_replicas=2, rank=1, shuffle=False)  # [1, 3, 5, 0]
    assert [b.tolist() for (b,) in DataLoader(ds, batch_size=3, sampler=sampler)] == [
        [1, 3, 5],
        [0],
    ]
    with pytest.raises(ValueError, match="either sampler or shuffle"):
        DataLoader(ds, batch_size=3, sampler=sampler, shuffle=True)


def test_in_a_dataloader_with_worker_processes():
    # the sampler runs in the main process; the workers only fetch what it chose
    ds = TensorDataset(flow.arange(10))
    sampler = DistributedSampler(ds, num_replicas=3, rank=1, seed=2)
    sampler.set_epoch(4)
    in_process = [b.tolist() for (b,) in DataLoader(ds, 2, sampler=sampler)]
    assert [b.tolist() for (b,) in DataLoader(ds, 2, sampler=sampler, num_workers=2)] == in_process
    assert sum(in_process, []) == list(sampler)


# --------------------------------------------------------------------------- torch as oracle
@pytest.mark.torch_oracle
def test_same_indices_as_torch_without_shuffle():
    tdist = pytest.importorskip("torch.utils.data.distributed")
    for n in range(14):
        for num_replicas in range(1, 6):
            for rank in range(num_replicas):
                for drop_last in (False, True):
                    ours = DistributedSampler(
                        range(n), num_replicas, rank, shuffle=False, drop_last=drop_last
                    )
                    theirs = tdist.DistributedSampler(
                        range(n), num_replicas, rank, shuffle=False, drop_last=drop_last
                    )
                    case = (n, num_replicas, rank, drop_last)
                    assert list(ours) == list(theirs), case
                    assert len(ours) == len(theirs), case
                    assert (ours.num_samples, ours.total_size) == (
                        theirs.num_samples,
                        theirs.total_size,
                    ), case


@pytest.mark.torch_oracle
def test_same_padding_as_torch_with_shuffle():
    # the permutations differ (flowkit's generator, not torch's), but how each is padded and
    # split is the same: map torch's indices through its own permutation's positions
    torch = pytest.importorskip("torch")
    tdist = pytest.importorskip("torch.utils.data.distributed")
    for n, num_replicas, drop_last in [(10, 3, False), (10, 3, True), (3, 5, False), (9, 4, True)]:
        g = torch.Generator()
        g.manual_seed(4)
        torch_order = torch.randperm(n, generator=g).tolist()
        for rank in range(num_replicas):
            theirs = list(
                tdist.DistributedSampler(range(n), num_replicas, rank, True, 4, drop_last)
            )
            assert theirs == _reference(torch_order, num_replicas, rank, drop_last)
