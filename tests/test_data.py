"""``flowkit.utils.data`` and ``flowkit.datasets`` on the selected backend: datasets, samplers,
collation, the DataLoader's semantics (batching, shuffling from the seeded generator, drop_last,
len, collate_fn), real worker processes (same batches as in-process, errors carried back with the
worker's traceback, clean shutdown), random_split, and the bundled Digits dataset."""

from __future__ import annotations

import gc
import sys
from collections import OrderedDict, namedtuple

import numpy as np
import pytest

import flowkit as flow
from flowkit.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    get_worker_info,
    random_split,
)


def _dataset(n=10):
    x = flow.arange(2 * n).float().reshape(n, 2)
    y = flow.arange(n)
    return TensorDataset(x, y)


def _labels(loader):
    return [yb.tolist() for _, yb in loader]


# ------------------------------------------------------------------------------ datasets
def test_flow_utils_data_is_an_attribute():
    assert flow.utils.data.DataLoader is DataLoader
    assert "flowkit" in repr(flow.utils)


def test_tensor_dataset_items_and_errors():
    ds = _dataset(4)
    assert len(ds) == 4
    x, y = ds[2]
    assert x.tolist() == [4.0, 5.0] and y.item() == 2 and y.dtype == flow.int64
    with pytest.raises(flow.ShapeError, match=r"first dimensions differ \(\[3, 2\]\)"):
        TensorDataset(flow.zeros(3), flow.zeros(2))
    with pytest.raises(TypeError, match="not a flowkit tensor"):
        TensorDataset(np.zeros(3))


def test_subset_and_concat():
    ds = _dataset(5)
    sub = Subset(ds, [4, 0])
    assert len(sub) == 2 and sub[0][1].item() == 4 and sub[1][1].item() == 0
    cat = ConcatDataset([ds, sub])
    assert len(cat) == 7 and cat.cumulative_sizes == [5, 7]
    assert [cat[i][1].item() for i in range(7)] == [0, 1, 2, 3, 4, 4, 0]
    assert cat[-1][1].item() == 0
    assert len(ds + sub) == 7
    with pytest.raises(IndexError):
        cat[7]


def test_random_split_sizes_disjoint_and_seeded():
    ds = _dataset(10)
    a, b, c = random_split(ds, [5, 3, 2])
    assert (len(a), len(b), len(c)) == (5, 3, 2)
    idx = a.indices + b.indices + c.indices
    assert sorted(idx) == list(range(10))  # disjoint and complete
    # fractions: floors, then the remainder round-robin (PyTorch's rule)
    assert [len(s) for s in random_split(range(10), [0.34, 0.33, 0.33])] == [4, 3, 3]
    assert [len(s) for s in random_split(range(7), [0.5, 0.5])] == [4, 3]
    flow.manual_seed(3)
    first = random_split(range(10), [0.5, 0.5])[0].indices
    flow.manual_seed(3)
    assert random_split(range(10), [0.5, 0.5])[0].indices == first
    # the same permutation numpy's PCG64 gives for the seed: identical on every backend
    assert first == np.random.Generator(np.random.PCG64(3)).permutation(10).tolist()[:5]
    own = np.random.default_rng(1)
    assert (
        random_split(range(6), [3, 3], generator=own)[0].indices
        == np.random.default_rng(1).permutation(6).tolist()[:3]
    )
    with pytest.raises(ValueError, match="sum to 9"):
        random_split(ds, [5, 4])
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        random_split(ds, [5, 5], generator=42)


# ------------------------------------------------------------------------------ samplers
def test_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    flow.manual_seed(0)
    perm = list(RandomSampler(range(6)))
    assert sorted(perm) == list(range(6))
    assert len(RandomSampler(range(6), replacement=True, num_samples=20)) == 20
    assert len(list(RandomSampler(range(3), num_samples=7))) == 7
    bs = BatchSampler(SequentialSampler(range(7)), 3, drop_last=False)
    assert list(bs) == [[0, 1, 2], [3, 4, 5], [6]] and len(bs) == 3
    bs = BatchSampler(SequentialSampler(range(7)), 3, drop_last=True)
    assert list(bs) == [[0, 1, 2], [3, 4, 5]] and len(bs) == 2
    with pytest.raises(ValueError, match="batch_size"):
        BatchSampler(range(3), 0, False)


# ------------------------------------------------------------------------------ collation
Point = namedtuple("Point", "x label")


def test_default_collate_types_and_dtypes():
    out = default_collate([(flow.zeros(2), 1, 0.5, True, "a"), (flow.ones(2), 2, 1.5, False, "b")])
    assert isinstance(out, tuple) and len(out) == 5
    x, i, f, b, s = out
    assert x.shape == (2, 2) and x.dtype == flow.float32
    assert i.dtype == flow.int64 and i.tolist() == [1, 2]
    assert f.dtype == flow.float32 and f.tolist() == [0.5, 1.5]
    assert b.dtype == flow.bool and b.tolist() == [True, False]
    assert s == ["a", "b"]
    out = default_collate(
        [
            {"a": np.zeros((2, 3), np.float64), "n": np.int32(4)},
            {"a": np.ones((2, 3), np.float64), "n": np.int32(5)},
        ]
    )
    assert out["a"].shape == (2, 2, 3) and out["a"].dtype == flow.float64
    assert out["n"].dtype == flow.int32 and out["n"].tolist() == [4, 5]
    od = default_collate([OrderedDict(z=1, a=2), OrderedDict(z=3, a=4)])
    assert type(od) is OrderedDict and list(od) == ["z", "a"]
    p = default_collate([Point(flow.zeros(1), 0), Point(flow.ones(1), 1)])
    assert isinstance(p, Point) and p.x.shape == (2, 1) and p.label.tolist() == [0, 1]
    lst = default_collate([[1, 2.0], [3, 4.0]])
    assert isinstance(lst, list) and lst[0].dtype == flow.int64 and lst[1].dtype == flow.float32


def test_default_collate_without_a_backend_stack(monkeypatch):
    batch = [flow.full((2,), float(i)) for i in range(3)]
    want = default_collate(batch)
    monkeypatch.delattr(flow, "stack", raising=False)  # the host fallback gives the same batch
    got = default_collate(batch)
    assert got.dtype == want.dtype and got.tolist() == want.tolist() == [
        [0.0] * 2,
        [1.0] * 2,
        [2.0] * 2,
    ]


def test_default_collate_errors_name_the_problem():
    with pytest.raises(flow.ShapeError, match=r"\(2,\) in sample 0 but \(3,\) in sample 1"):
        default_collate([flow.zeros(2), flow.zeros(3)])
    with pytest.raises(TypeError, match="collate_fn"):
        default_collate([object(), object()])
    with pytest.raises(ValueError, match="same keys"):
        default_collate([{"a": 1}, {"b": 1}])


# ------------------------------------------------------------------------------ the loader
def test_batches_len_and_drop_last():
    ds = _dataset(10)
    loader = DataLoader(ds, 3)  # batch_size positional
    assert loader.dataset is ds and len(loader) == 4
    assert _labels(loader) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    xb, _ = next(iter(loader))
    assert xb.shape == (3, 2) and xb.dtype == flow.float32
    loader = DataLoader(ds, batch_size=3, drop_last=True)
    assert len(loader) == 3 and _labels(loader) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert len(DataLoader(ds)) == 10  # batch_size defaults to 1
    assert len(iter(loader)) == 3


def test_shuffle_is_seeded_and_the_same_on_every_backend():
    ds = _dataset(10)
    loader = DataLoader(ds, batch_size=10, shuffle=True)
    flow.manual_seed(0)
    first = _labels(loader)[0]
    second = _labels(loader)[0]  # a new epoch: a new order
    flow.manual_seed(0)
    assert _labels(loader)[0] == first
    assert first != second and sorted(first) == list(range(10))
    # per epoch: one draw seeds the workers, then the permutation; both from flowkit's PCG64,
    # so this literal holds on numpy, torch-CPU and torch-CUDA alike
    g = np.random.Generator(np.random.PCG64(0))
    g.integers(0, 2**62)
    assert first == g.permutation(10).tolist() == [4, 6, 2, 7, 3, 5, 9, 0, 8, 1]


def test_unbatched_custom_collate_samplers_and_argument_checks():
    ds = _dataset(4)
    items = list(DataLoader(ds, batch_size=None))
    assert len(items) == 4 and items[1][1].item() == 1 and items[1][0].shape == (2,)
    sums = list(DataLoader(ds, 2, collate_fn=lambda batch: sum(int(y) for _, y in batch)))
    assert sums == [1, 5]
    seen = []
    DataLoader(ds, 3, collate_fn=lambda b: seen.append(b)).__iter__().__next__()
    assert isinstance(seen[0], list) and len(seen[0]) == 3 and isinstance(seen[0][0], tuple)
    bs = BatchSampler(SequentialSampler(ds), 3, drop_last=False)
    assert _labels(DataLoader(ds, batch_sampler=bs)) == [[0, 1, 2], [3]]
    assert _labels(DataLoader(ds, 2, sampler=[3, 1, 2, 0])) == [[3, 1], [2, 0]]
    with pytest.raises(ValueError, match="sampler or shuffle"):
        DataLoader(ds, sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler"):
        DataLoader(ds, 2, batch_sampler=bs)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(ds, 0)


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))

    def __len__(self):
        return self.n


def test_iterable_dataset():
    assert [b.tolist() for b in DataLoader(Stream(5), 2)] == [[0, 1], [2, 3], [4]]
    assert [b.tolist() for b in DataLoader(Stream(5), 2, drop_last=True)] == [[0, 1], [2, 3]]
    assert len(DataLoader(Stream(5), 2)) == 3
    got = sorted(x for b in DataLoader(Stream(11), 2, num_workers=2) for x in b.tolist())
    assert got == list(range(11))  # each worker took its share, none twice
    with pytest.raises(ValueError, match="shuffle"):
        DataLoader(Stream(3), shuffle=True)


# ------------------------------------------------------------------------------ workers
class Records(Dataset):
    """Samples of several kinds: tensors, numpy arrays, numbers, strings, nested dicts."""

    def __len__(self):
        return 13

    def __getitem__(self, i):
        return {
            "x": flow.full((2, 3), float(i)),
            "np": np.arange(3, dtype=np.int32) + i,
            "meta": (i, i / 2, f"s{i}"),
            "worker": get_worker_info() is not None,
        }


def _flat(batch):
    if isinstance(batch, flow.Tensor):
        return ("T", batch.dtype.name, tuple(batch.shape), batch.tolist())
    if isinstance(batch, dict):
        return {k: _flat(v) for k, v in batch.items() if k != "worker"}
    if isinstance(batch, (list, tuple)):
        return type(batch)(_flat(v) for v in batch)
    return batch


def test_two_workers_give_the_same_batches_as_none():
    ds = Records()
    runs = []
    for workers in (0, 2):
        flow.manual_seed(7)
        loader = DataLoader(ds, 4, shuffle=True, num_workers=workers)
        runs.append([_flat(b) for b in loader])
        runs.append([_flat(b) for b in loader])  # a second epoch: new order, same in both
    assert runs[0] == runs[2] and runs[1] == runs[3] and runs[0] != runs[1]
    assert len(runs[0]) == 4 and runs[0][-1]["x"][2] == (1, 2, 3)
    flow.manual_seed(7)
    batch = next(iter(DataLoader(ds, 4, num_workers=2)))
    assert batch["worker"].tolist() == [True] * 4  # fetched in a worker process indeed
    assert batch["x"].device == flow.backend().device  # rebuilt on the backend's device
    assert batch["np"].dtype == flow.int32 and batch["meta"][2] == ["s0", "s1", "s2", "s3"]


def test_spawned_workers():  # macOS and Windows start workers this way: the dataset is pickled
    ds = _dataset(5)
    loader = DataLoader(ds, 2, num_workers=1, multiprocessing_context="spawn")
    assert _labels(loader) == [[0, 1], [2, 3], [4]]


def test_workers_with_a_custom_collate_fn():
    def collate(samples):  # runs in the main process, on tensors
        assert all(isinstance(s[0], flow.Tensor) for s in samples)
        return [int(y) for _, y in samples]

    ds = _dataset(7)
    assert (
        list(DataLoader(ds, 3, num_workers=2, collate_fn=collate))
        == list(DataLoader(ds, 3, collate_fn=collate))
        == [[0, 1, 2], [3, 4, 5], [6]]
    )


class Faulty(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            raise ValueError(f"sample {i} is broken")
        return flow.tensor(float(i))


def test_worker_error_is_raised_with_its_traceback_and_workers_stop():
    it = iter(DataLoader(Faulty(), 2, num_workers=2))
    assert next(it).tolist() == [0.0, 1.0]
    assert next(it).tolist() == [2.0, 3.0]
    with pytest.raises(ValueError) as info:
        next(it)
    msg = str(info.value)
    assert "Caught ValueError in DataLoader worker process 0" in msg
    assert "sample 5 is broken" in msg and "in __getitem__" in msg  # the worker's traceback
    for w in it._workers:
        w.join(timeout=5)
        assert not w.is_alive()


class Crashing(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if get_worker_info() is not None:
            import os

            os._exit(3)  # dies without a Python exception, as if killed
        return i


def test_a_dead_worker_is_an_error_not_a_hang():
    it = iter(DataLoader(Crashing(), 2, num_workers=1))
    with pytest.raises(RuntimeError, match=r"exited unexpectedly.*exit code 3"):
        next(it)
    with pytest.raises(StopIteration):
        next(it)


def test_workers_shut_down_when_exhausted_or_collected():
    ds = _dataset(6)
    it = iter(DataLoader(ds, 2, num_workers=2))
    assert len(list(it)) == 3
    assert all(not w.is_alive() for w in it._workers)
    it = iter(DataLoader(ds, 2, num_workers=2))
    next(it)
    workers = list(it._workers)
    assert all(w.is_alive() for w in workers)
    del it
    gc.collect()
    for w in workers:
        w.join(timeout=5)
        assert not w.is_alive()


def test_workers_are_seeded_differently_and_reproducibly():
    class Noise(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return flow.rand(1)

    def draw():
        flow.manual_seed(1)
        return [b.tolist() for b in DataLoader(Noise(), 2, num_workers=2)]

    a = draw()
    assert a == draw() and a[0] != a[1]  # reproducible; worker 0 and worker 1 differ


# ------------------------------------------------------------------------------ Digits
def test_digits_shapes_dtypes_and_split():
    from flowkit.datasets import Digits

    train, test = Digits(train=True), Digits("unused-root", train=False, download=True)
    assert (len(train), len(test)) == (1437, 360)
    image, label = train[0]
    assert image.shape == (1, 8, 8) and image.dtype == flow.float32
    assert isinstance(label, int) and 0 <= label <= 9
    assert float(train.data.min()) == 0.0 and float(train.data.max()) == 1.0
    from sklearn.datasets import load_digits

    target = load_digits().target
    assert train.targets.tolist() == target[:1437].tolist()  # the documented, fixed split
    assert test.targets.tolist() == target[1437:].tolist()
    flat = Digits(train=False, transform=lambda x: x.reshape(64), target_transform=str)
    assert flat[3][0].shape == (64,) and flat[3][1] == str(target[1440])
    xb, yb = next(iter(DataLoader(test, 32, num_workers=2)))
    assert xb.shape == (32, 1, 8, 8) and yb.dtype == flow.int64
    assert yb.tolist() == target[1437:1469].tolist()


def test_digits_without_scikit_learn(monkeypatch):
    import flowkit.datasets as ds_mod

    monkeypatch.setattr(ds_mod, "_DIGITS", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # import fails as if missing
    with pytest.raises(ds_mod.DatasetDependencyError, match=r'pip install "flowkit\[datasets\]"'):
        ds_mod.Digits()
    assert issubclass(ds_mod.DatasetDependencyError, (flow.FlowkitError, ImportError))
