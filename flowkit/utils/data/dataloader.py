"""``DataLoader``: batches from a dataset, in the main process or in worker processes.

With ``num_workers > 0`` the loader starts real processes (forked where the platform allows, so
the dataset is inherited, not pickled). Batches are handed to the workers round-robin, at most
``prefetch_factor * num_workers`` ahead, and yielded in sampler order whatever order they finish
in, so a loader gives the same batches with any number of workers. Workers send numpy data; the
main process turns it into tensors on the backend's device and applies ``collate_fn``.
"""

from __future__ import annotations

import itertools
import os
import pickle
import queue
import sys
import time
from collections.abc import Callable, Iterable, Sized

from ... import _plugins
from ... import random as _random
from . import _worker
from ._collate import _collate, default_collate, default_convert, from_wire
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler


def get_worker_info() -> _worker.WorkerInfo | None:
    """In a DataLoader worker process, that worker's `WorkerInfo` (``id``,
    ``num_workers``, ``seed``, ``dataset``); ``None`` in the main process.

    An [`IterableDataset`][flowkit.utils.data.IterableDataset] uses it to give each worker a
    different part of the stream.

    Examples:
        >>> import flowkit as flow
        >>> class Range(flow.utils.data.IterableDataset):
        ...     def __iter__(self):
        ...         info = flow.utils.data.get_worker_info()
        ...         start, step = (0, 1) if info is None else (info.id, info.num_workers)
        ...         return iter(range(start, 6, step))
        >>> sorted(x.item() for x in flow.utils.data.DataLoader(Range(), num_workers=2))
        [0, 1, 2, 3, 4, 5]
    """
    return _worker._worker_info


def _default_context():
    import multiprocessing as mp

    # fork: the dataset is inherited (nothing to pickle) and a worker starts in milliseconds.
    # macOS lists fork but system libraries are not fork-safe there; spawn is its default.
    if "fork" in mp.get_all_start_methods() and sys.platform != "darwin":
        return mp.get_context("fork")
    return mp.get_context("spawn")


class DataLoader:
    """Iterate over a dataset in batches: sampling, shuffling, collating, worker processes.

    Args:
        dataset (Dataset | IterableDataset): a map-style [`Dataset`][flowkit.utils.data.Dataset]
            (anything with ``__getitem__`` and ``__len__``) or an
            [`IterableDataset`][flowkit.utils.data.IterableDataset].
        batch_size: samples per batch; ``None`` yields samples one by one, unbatched (numpy
            arrays in them become tensors).
        shuffle: a new random order every epoch, drawn from flowkit's generator: the same order
            on every backend after ``flowkit.manual_seed(s)``.
        sampler: the order of the indices (excludes ``shuffle``).
        batch_sampler: yields lists of indices, one per batch (excludes ``batch_size``,
            ``shuffle``, ``sampler`` and ``drop_last``).
        num_workers: worker processes fetching batches; 0 fetches in the main process.
        collate_fn: merges a list of samples into a batch (default
            [`default_collate`][flowkit.utils.data.default_collate]).
        pin_memory: accepted for PyTorch compatibility; flowkit does not pin host memory.
        drop_last: drop the last batch if it is smaller than ``batch_size``.
        timeout: seconds to wait for a batch from the workers before raising (0: no limit).
        worker_init_fn: called as ``worker_init_fn(worker_id)`` in each worker after seeding.
        multiprocessing_context (str | BaseContext | None): a ``multiprocessing`` context or
            start-method name; default fork where available (Linux), spawn elsewhere (then the
            dataset must be picklable).
        generator (numpy.random.Generator | None): a ``numpy.random.Generator`` for shuffling and
            the workers' seeds; default flowkit's generator.
        prefetch_factor: batches in flight per worker (default 2 with workers).
        persistent_workers: accepted for PyTorch compatibility; workers are started for each
            epoch, which gives the same batches.

    Each epoch (each ``iter(loader)``) draws one number from the generator to seed the workers
    (``seed + worker_id`` for flowkit's generator, ``random`` and ``numpy.random`` in worker
    ``worker_id``), with or without workers, so the main process's random stream does not
    depend on ``num_workers``.

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.utils.data import DataLoader, TensorDataset
        >>> x = flow.arange(10).float().reshape(5, 2)
        >>> y = flow.arange(5)
        >>> loader = DataLoader(TensorDataset(x, y), 2, shuffle=True)
        >>> len(loader)
        3
        >>> flow.manual_seed(0)
        >>> for xb, yb in loader:
        ...     print(tuple(xb.shape), yb.tolist())
        (2, 2) [2, 4]
        (2, 2) [3, 0]
        (1, 2) [1]
    """

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable | None = None,
        batch_sampler: Sampler | Iterable | None = None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
    ):
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be an int >= 0, got {num_workers!r}")
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout must be >= 0, got {timeout}")
        if prefetch_factor is not None and num_workers == 0:
            raise ValueError(
                "DataLoader: prefetch_factor applies to worker processes only; "
                "pass num_workers > 0 or drop prefetch_factor"
            )
        prefetch_factor = 2 if prefetch_factor is None else prefetch_factor
        if prefetch_factor < 1:
            raise ValueError(f"DataLoader: prefetch_factor must be >= 1, got {prefetch_factor}")
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers needs num_workers > 0")
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = persistent_workers
        self.generator = generator
        self._iterable = isinstance(dataset, IterableDataset)

        if self._iterable:
            if shuffle:
                raise ValueError(
                    "DataLoader: shuffle=True needs a map-style dataset; an "
                    "IterableDataset decides its own order (shuffle inside it)"
                )
            if sampler is not None or batch_sampler is not None:
                raise ValueError(
                    "DataLoader: an IterableDataset takes no sampler or "
                    "batch_sampler; it yields its samples in its own order"
                )
        elif not hasattr(dataset, "__getitem__"):
            raise TypeError(
                f"DataLoader: the dataset ({type(dataset).__name__}) must be indexable "
                "(__getitem__ and __len__) or an IterableDataset"
            )

        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler makes the batches itself, so it "
                    "excludes batch_size, shuffle, sampler and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None:
            if drop_last:
                raise ValueError(
                    "DataLoader: drop_last needs a batch_size (batch_size=None "
                    "loads samples one by one)"
                )
        elif not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(
                f"DataLoader: batch_size must be a positive int or None, got {batch_size!r}"
            )

        if sampler is not None and shuffle:
            raise ValueError(
                "DataLoader: pass either sampler or shuffle=True, not both (a "
                "RandomSampler is what shuffle=True uses)"
            )
        if not self._iterable:
            if sampler is None:
                sampler = (
                    RandomSampler(dataset, generator=generator)
                    if shuffle
                    else SequentialSampler(dataset)
                )
            if batch_size is not None and batch_sampler is None:
                batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self._auto_collation = batch_sampler is not None or (
            self._iterable and batch_size is not None
        )
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        return _MultiProcessIter(self)

    def __len__(self) -> int:
        if self._iterable:
            try:
                n = len(self.dataset)
            except TypeError:
                raise TypeError(
                    f"len(DataLoader): the IterableDataset "
                    f"{type(self.dataset).__name__} has no __len__"
                ) from None
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        sampler = self.batch_sampler if self.batch_sampler is not None else self.sampler
        if not isinstance(sampler, Sized):  # a sampler may be any iterable of indices
            raise TypeError(
                f"len(DataLoader): its sampler ({type(sampler).__name__}) has no __len__"
            )
        return len(sampler)

    def _index_iter(self):
        if self._iterable:
            return itertools.repeat(self.batch_size)  # iterable: each task is "one batch"
        return iter(self.batch_sampler if self.batch_sampler is not None else self.sampler)


class _BaseIter:
    def __init__(self, loader: DataLoader) -> None:
        self._loader = loader
        self._dataset = loader.dataset
        self._auto_collation = loader._auto_collation
        self._collate_fn = loader.collate_fn
        self._drop_last = loader.drop_last
        # one draw per epoch, with or without workers (see DataLoader's docstring)
        rng = _random.generator() if loader.generator is None else loader.generator
        self._base_seed = int(rng.integers(0, 2**62))
        self._index_it = loader._index_iter()
        self._yielded = 0

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return len(self._loader)


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._it = iter(self._dataset) if loader._iterable else None

    def __next__(self):
        loader = self._loader
        if loader._iterable:
            if not self._auto_collation:
                return self._collate_fn(next(self._it))
            batch = list(itertools.islice(self._it, loader.batch_size))
            if not batch or (self._drop_last and len(batch) < loader.batch_size):
                raise StopIteration
            return self._collate_fn(batch)
        indices = next(self._index_it)
        if self._auto_collation:
            return self._collate_fn([self._dataset[i] for i in indices])
        return self._collate_fn(self._dataset[indices])


class _MultiProcessIter(_BaseIter):
    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._shutdown = True  # until the workers exist: __del__ may run after a failed start
        n = loader.num_workers
        ctx = loader.multiprocessing_context
        if ctx is None:
            ctx = _default_context()
        elif isinstance(ctx, str):
            import multiprocessing as mp

            ctx = mp.get_context(ctx)
        self._timeout = loader.timeout
        self._result_queue = ctx.Queue()
        self._done_event = ctx.Event()
        self._index_queues = []
        self._workers = []
        self._active = [True] * n  # False once an iterable worker ran out
        self._next_worker = itertools.cycle(range(n))
        self._send_idx = 0  # the next task number to hand out
        self._rcvd_idx = 0  # the next task number to yield
        self._tasks: dict[int, tuple] = {}  # task -> (worker,) in flight, (worker, data) early
        self._sampler_done = False
        self._shutdown = False
        backend_name = None if _plugins.current is None else _plugins.current.name
        try:
            for wid in range(n):
                iq = ctx.Queue()
                iq.cancel_join_thread()  # never block the main process's exit on this pipe
                w = ctx.Process(
                    target=_worker.worker_loop,
                    args=(
                        self._dataset,
                        loader._iterable,
                        iq,
                        self._result_queue,
                        self._done_event,
                        self._auto_collation,
                        self._drop_last,
                        self._base_seed + wid,
                        loader.worker_init_fn,
                        wid,
                        n,
                        os.getpid(),
                        backend_name,
                    ),
                    daemon=True,
                )
                w.start()
                self._index_queues.append(iq)
                self._workers.append(w)
            for _ in range(loader.prefetch_factor * n):
                self._put_task()
        except BaseException:
            self._shutdown_workers()
            raise

    def _put_task(self) -> None:
        if self._sampler_done:
            return
        for _ in range(len(self._workers)):  # the next worker that still has data
            wid = next(self._next_worker)
            if self._active[wid]:
                break
        else:
            return
        try:
            indices = next(self._index_it)
        except StopIteration:
            self._sampler_done = True
            return
        self._index_queues[wid].put((self._send_idx, indices))
        self._tasks[self._send_idx] = (wid,)
        self._send_idx += 1

    def _get(self):
        """One ``(task, data)`` from the workers, watching that they are alive."""
        start = time.monotonic()
        while True:
            wait = _worker.STATUS_CHECK_INTERVAL
            if self._timeout:
                left = self._timeout - (time.monotonic() - start)
                if left <= 0:
                    self._shutdown_workers()
                    raise RuntimeError(
                        f"DataLoader timed out after {self._timeout} s waiting "
                        "for a batch from its workers"
                    )
                wait = min(wait, left)
            try:
                idx, payload = self._result_queue.get(timeout=wait)
                return idx, pickle.loads(payload)
            except queue.Empty:
                dead = [(w.pid, w.exitcode) for w in self._workers if not w.is_alive()]
                if dead:
                    self._shutdown_workers()
                    pids = ", ".join(f"pid {p} (exit code {c})" for p, c in dead)
                    raise RuntimeError(
                        f"a DataLoader worker exited unexpectedly: {pids}. A negative exit code is "
                        "the signal that killed it (-9: often out of memory); run with "
                        "num_workers=0 to see the error in this process"
                    ) from None

    def __next__(self):
        if self._shutdown:  # exhausted, or a worker failed and the error was raised already
            raise StopIteration
        while True:
            # skip tasks given to iterable workers that have since run out
            while self._rcvd_idx < self._send_idx:
                info = self._tasks[self._rcvd_idx]
                if len(info) == 2 or self._active[info[0]]:
                    break
                del self._tasks[self._rcvd_idx]
                self._rcvd_idx += 1
                self._put_task()
            if self._rcvd_idx >= self._send_idx:
                self._put_task()
                if self._rcvd_idx >= self._send_idx:  # nothing in flight and nothing to send
                    self._shutdown_workers()
                    raise StopIteration
                continue
            info = self._tasks[self._rcvd_idx]
            if len(info) == 2:  # it arrived earlier, out of order
                del self._tasks[self._rcvd_idx]
                self._rcvd_idx += 1
                self._put_task()
                return self._process(info[1])
            idx, data = self._get()
            if isinstance(data, _worker.IterableEnd):
                # its remaining tasks (this one included) are skipped in sampler order above
                self._active[data.worker_id] = False
                self._put_task()  # keep the other workers busy
                continue
            if idx != self._rcvd_idx:
                self._tasks[idx] = self._tasks[idx] + (data,)
                continue
            del self._tasks[idx]
            self._rcvd_idx += 1
            self._put_task()
            return self._process(data)

    def _process(self, data):
        if isinstance(data, _worker.ExceptionWrapper):
            self._shutdown_workers()
            data.reraise()
        if self._auto_collation and self._collate_fn is default_collate:
            # collate the numpy form, then make one tensor per field (one copy to the device)
            return from_wire(_collate(data, wire=True))
        return self._collate_fn(from_wire(data))

    def _shutdown_workers(self) -> None:
        if self._shutdown:
            return
        self._shutdown = True
        self._done_event.set()
        for q in self._index_queues:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        for w in self._workers:
            w.join(timeout=5.0)
            if w.is_alive():  # stuck in user code: don't hang the main process on it
                w.terminate()
                w.join(timeout=1.0)
        for q in self._index_queues:
            q.close()
        self._result_queue.cancel_join_thread()
        self._result_queue.close()

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:  # interpreter shutdown: modules may already be gone
            pass


# the public name for the dataclass, so `flowkit.utils.data.dataloader.WorkerInfo` documents it
WorkerInfo = _worker.WorkerInfo
__all__ = ["DataLoader", "get_worker_info", "WorkerInfo"]
