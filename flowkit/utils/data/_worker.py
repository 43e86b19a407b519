"""What runs inside a DataLoader worker process, and what it sends back.

A worker receives ``(task_index, batch_indices)`` on its own index queue, fetches the samples,
converts every flowkit tensor in them to numpy (`to_wire`), pickles the result
*itself* (so an unpicklable sample becomes a clear error instead of a silent hang in a queue's
feeder thread) and puts ``(task_index, payload)`` on the shared result queue. ``None`` on the
index queue means "exit".
"""

from __future__ import annotations

import os
import pickle
import queue
import random
import sys
import traceback
from dataclasses import dataclass
from typing import Any

from ._collate import to_wire

# how often a blocked worker (or the main process) wakes to check that the other side is alive
STATUS_CHECK_INTERVAL = 1.0


@dataclass(frozen=True)
class WorkerInfo:
    """What [`get_worker_info`][flowkit.utils.data.get_worker_info] returns inside a worker.

    Attributes:
        id: this worker's number, ``0 .. num_workers - 1``.
        num_workers: how many workers the loader runs.
        seed: the seed of flowkit's generator in this worker (differs per worker and epoch).
        dataset: this worker's copy of the dataset.
    """

    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: WorkerInfo | None = None


class ExceptionWrapper:
    """An exception raised in a worker: its type and its formatted traceback, re-raised in the
    main process with the worker's traceback in the message."""

    def __init__(self, exc: BaseException, where: str) -> None:
        exc_type = type(exc)
        try:  # the main process needs to import the type by name; local classes cannot travel
            pickle.loads(pickle.dumps(exc_type))
        except Exception:
            exc_type = RuntimeError
        self.exc_type = exc_type
        self.where = where
        self.text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        if "CUDA" in str(exc) and "fork" in str(exc):
            self.text += (
                "\nflowkit: this worker touched a CUDA tensor. A forked worker cannot use CUDA, so "
                "keep the dataset's tensors on the host (e.g. flowkit.tensor(..., device='cpu'); "
                "batches are moved to the default device in the main process), or use "
                "num_workers=0 for data that already lives on the GPU.\n"
            )

    def reraise(self):
        msg = (
            f"Caught {self.exc_type.__name__} {self.where}.\nOriginal traceback (from the "
            f"worker):\n{self.text}"
        )
        if self.exc_type is KeyError:  # KeyError would print the message as a repr
            raise _KeyErrorMessage(msg)
        try:
            exc = self.exc_type(msg)
        except Exception:  # a type whose constructor takes other arguments
            raise RuntimeError(msg) from None
        raise exc


class _KeyErrorMessage(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class IterableEnd:
    """A worker's copy of an IterableDataset is exhausted."""

    worker_id: int


def _use_cpu_backend(backend_name: str | None) -> None:
    """Workers make tensors on the host: a forked child cannot use CUDA (its parent's context does
    not survive fork), and the main process moves each batch to the device in one copy."""
    from ... import _plugins

    current = _plugins.current
    if current is None:  # spawned, or the parent had not selected yet: select lazily, on the host
        if backend_name is not None:  # the parent's choice, even if made by use_backend()
            os.environ["FLOWKIT_BACKEND"] = backend_name
        os.environ["FLOWKIT_DEVICE"] = "cpu"
    elif current.device.type != "cpu":
        _plugins.current = None
        _plugins.select(current.name, "cpu")
    torch = sys.modules.get("torch")
    if torch is not None:  # one thread per worker: the workers are the parallelism
        torch.set_num_threads(1)


def _seed(seed: int) -> None:
    from ... import random as _random

    _random.manual_seed(seed)
    random.seed(seed)
    try:
        import numpy as np

        np.random.seed(seed % 2**32)  # datasets using np.random directly differ per worker too
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass


def _fetch(dataset, iterable: bool, it, indices, auto_collation: bool, drop_last: bool):
    if not iterable:
        if auto_collation:
            return [dataset[i] for i in indices]
        return dataset[indices]
    if not auto_collation:
        return next(it)
    batch = []
    for _ in range(indices):  # for an iterable dataset the "index" is the batch size
        try:
            batch.append(next(it))
        except StopIteration:
            break
    if not batch or (drop_last and len(batch) < indices):
        raise StopIteration
    return batch


def worker_loop(
    dataset,
    iterable: bool,
    index_queue,
    result_queue,
    done_event,
    auto_collation: bool,
    drop_last: bool,
    seed: int,
    init_fn,
    worker_id: int,
    num_workers: int,
    parent_pid: int,
    backend_name: str | None,
) -> None:
    global _worker_info
    init_error = None
    it = None
    try:
        _use_cpu_backend(backend_name)
        _seed(seed)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        if init_fn is not None:
            init_fn(worker_id)
        if iterable:
            it = iter(dataset)
    except Exception as exc:
        init_error = ExceptionWrapper(
            exc,
            f"in DataLoader worker process {worker_id} while "
            "starting (worker_init_fn or iter(dataset))",
        )
    ended = False
    data: object  # what goes back: a batch (wire form), an IterableEnd or an ExceptionWrapper
    try:
        while True:
            if os.getppid() != parent_pid:  # the main process died: nobody will read our results
                break
            try:
                task = index_queue.get(timeout=STATUS_CHECK_INTERVAL)
            except queue.Empty:
                continue
            if task is None:
                break
            if done_event.is_set() or ended:
                continue  # shutting down (or nothing left): drain the queue, do no work
            idx, indices = task
            if init_error is not None:
                data, init_error = init_error, None
                ended = iterable  # an iterable worker that failed to start has nothing more
            else:
                try:
                    data = to_wire(
                        _fetch(dataset, iterable, it, indices, auto_collation, drop_last)
                    )
                except StopIteration:
                    if not iterable:  # a map-style __getitem__ raising StopIteration is a bug
                        data = ExceptionWrapper(
                            RuntimeError("StopIteration raised by dataset[...]"),
                            f"in DataLoader worker process {worker_id}",
                        )
                    else:
                        data, ended = IterableEnd(worker_id), True
                except Exception as exc:
                    data = ExceptionWrapper(exc, f"in DataLoader worker process {worker_id}")
            try:
                payload = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:
                payload = pickle.dumps(
                    ExceptionWrapper(
                        TypeError(
                            f"a sample cannot be sent to the main process ({exc}); return "
                            "tensors, numpy arrays, numbers, strings and containers of them"
                        ),
                        f"in DataLoader worker process {worker_id}",
                    )
                )
            result_queue.put((idx, payload))
            del data, payload  # don't hold a batch's memory while waiting for the next task
    except KeyboardInterrupt:
        pass  # the main process sees it too and shuts the workers down
    if done_event.is_set():
        # exit even if the main process stopped reading: don't wait to flush the pipe
        result_queue.cancel_join_thread()
        result_queue.close()
