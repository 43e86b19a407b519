"""``DistributedDataParallel``: every rank trains the same model on its own share of the data.

How it works, in PyTorch's way (torch/nn/parallel/distributed.py, reducer.cpp), written once over
flowkit's public API so it is the same code on every backend:

* At wrap time the ranks check that their models have the same parameter names, shapes and
  dtypes (a clear error if not), and rank 0's parameters and buffers are broadcast, so every rank
  starts from the same weights.
* The parameters that require grad are grouped into buckets of about ``bucket_cap_mb``, in
  reverse registration order (roughly the order backward produces their gradients). Each
  parameter carries a post-accumulate-grad hook; when the last gradient of a bucket is in, the
  bucket's gradients are flattened into one buffer and all-reduced asynchronously. On the torch
  backend the hooks fire during backward, so the communication overlaps with the rest of it; on
  numpy they fire as the pass ends, and each bucket is one flattened all-reduce. When the last
  bucket is launched the hook waits for all of them and writes the averages (sum / world size)
  into the ``.grad`` tensors, before ``backward()`` returns. The bucket work runs on the torch
  tensors the backend hands to torch.distributed over the gradients' memory (no flowkit op per
  parameter).
* ``no_sync()`` skips the averaging, so gradients accumulate locally over several backward
  passes; the first backward outside it averages the accumulated sum.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ... import _plugins, comm
from ...distributed import _group
from ...errors import ArgumentValueError, DistributedError, StateDictError
from ..module import Module

_PREFIX = "module."


class _Bucket:
    __slots__ = ("params", "sizes", "pending", "flat", "bufs", "work")

    def __init__(self, params: list) -> None:
        self.params = params
        self.sizes = [p.numel() for p in params]
        self.pending = len(params)  # gradients still to come in this backward
        self.flat: Any = None  # the flattened gradients (a torch tensor) while in flight
        self.bufs: Any = None  # each gradient as a torch tensor over its memory
        self.work: Any = None


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training: gradients are averaged across ranks.

    Every rank builds the same model, wraps it, and feeds it its own batch (e.g. through a
    [`DistributedSampler`][flowkit.utils.data.DistributedSampler]); after ``loss.backward()`` each
    parameter's ``.grad`` is the average over the ranks, so one optimizer step keeps the copies
    identical. In a single process (world size 1) it changes nothing.

    Args:
        module: the model; it stays reachable as ``.module``.
        broadcast_buffers: copy rank 0's buffers (BatchNorm's running statistics) to every rank
            at each forward pass, as PyTorch does.
        bucket_cap_mb: the size of a gradient bucket in MiB (one all-reduce each).
        process_group: a group from [`flowkit.distributed.new_group`][flowkit.distributed.new_group]
            (default: all ranks).

    ``state_dict()`` is the wrapped module's, without PyTorch's ``module.`` prefix, so a checkpoint
    saved from a data-parallel run loads into the plain model and back; ``load_state_dict``
    accepts both forms. ``parameters()`` are the module's.

    Raises:
        DistributedError: the ranks' models differ (names, shapes or dtypes), or a collective
            failed (another rank stopped).

    Examples:
        >>> import flowkit as flow
        >>> model = flow.nn.parallel.DistributedDataParallel(flow.nn.Linear(2, 1))
        >>> model(flow.ones(4, 2)).sum().backward()  # (a single process: nothing to average)
        >>> model.module.weight.grad
        tensor([[4., 4.]], dtype=flowkit.float32)
        >>> list(model.state_dict())
        ['weight', 'bias']
    """

    # plain attributes (set through __dict__: Module.__setattr__ registers tensors and modules)
    broadcast_buffers: bool
    process_group: Any
    _world: int
    _sync: bool
    _handles: list
    _buckets: list[_Bucket]
    _bucket_of: dict[int, _Bucket]
    _launched: int

    def __init__(
        self,
        module: Module,
        broadcast_buffers: bool = True,
        bucket_cap_mb: float = 25.0,
        process_group: Any = None,
    ) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise ArgumentValueError(
                "DistributedDataParallel wraps a flowkit.nn.Module, got "
                f"{type(module).__name__}; put the parameters in a Module subclass"
            )
        if not bucket_cap_mb > 0:
            raise ArgumentValueError(f"bucket_cap_mb must be positive, got {bucket_cap_mb}")
        self.module = module
        d = self.__dict__
        d["broadcast_buffers"] = bool(broadcast_buffers)
        d["process_group"] = process_group
        dist = _group.ensure_initialized()
        d["_world"] = dist.get_world_size(process_group)
        d["_sync"] = True
        d["_handles"] = []
        self._check_same_model(dist)
        self._broadcast_state()
        d["_buckets"] = self._make_buckets(bucket_cap_mb * 2**20)
        d["_bucket_of"] = {id(p): b for b in self._buckets for p in b.params}
        d["_launched"] = 0
        if self._world > 1:
            for b in self._buckets:
                for p in b.params:
                    self._handles.append(p.register_post_accumulate_grad_hook(self._grad_ready))

    # ------------------------------------------------------------------ wrap time
    def _signature(self) -> list[tuple[str, tuple, str]]:
        named = list(self.module.named_parameters()) + list(self.module.named_buffers())
        return [(n, tuple(t.shape), str(t.dtype)) for n, t in named]

    def _check_same_model(self, dist: Any) -> None:
        if self._world == 1:
            return
        mine = self._signature()
        everyone: list[Any] = [None] * self._world
        with comm.collective("DistributedDataParallel (model check)"):
            dist.all_gather_object(everyone, mine, group=self.process_group)
        ref = everyone[0]
        for rank, theirs in enumerate(everyone):
            if theirs != ref:
                raise DistributedError(_model_difference(ref, theirs, rank))

    def _broadcast_state(self) -> None:
        """Every rank starts from rank 0's parameters and buffers."""
        if self._world == 1:
            return
        tensors = [p for p in self.module.parameters()] + [b for b in self.module.buffers()]
        for t in tensors:
            comm.broadcast(t, src=0, group=self.process_group)

    def _make_buckets(self, cap_bytes: float) -> list[_Bucket]:
        params = [p for p in self.module.parameters() if p.requires_grad]
        buckets: list[_Bucket] = []
        current: list = []
        size = 0
        for p in reversed(params):  # backward produces the last layer's gradients first
            nbytes = p.numel() * p.dtype.itemsize
            if current and (size + nbytes > cap_bytes or p.dtype != current[0].dtype):
                buckets.append(_Bucket(current))
                current, size = [], 0
            current.append(p)
            size += nbytes
        if current:
            buckets.append(_Bucket(current))
        return buckets

    # ------------------------------------------------------------------ each step
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if self._launched or any(b.pending != len(b.params) for b in self._buckets):
            if self._sync:
                raise DistributedError(_unfinished_message(self._buckets))
        for b in self._buckets:
            b.pending = len(b.params)
        if self.broadcast_buffers and self._world > 1:
            for buf in self.module.buffers():
                comm.broadcast(buf, src=0, group=self.process_group)
        return self.module(*args, **kwargs)

    def _grad_ready(self, param: Any) -> None:
        if not self._sync:
            return
        bucket = self._bucket_of[id(param)]
        bucket.pending -= 1
        if bucket.pending == 0:
            self._launch(bucket)

    def _launch(self, bucket: _Bucket) -> None:
        """Flatten the bucket's gradients into one buffer and start its all-reduce.

        The work is done on the torch tensors the backend hands to torch.distributed
        (``Backend.comm_buffer``: the gradients' own memory, no copies), so the bucket costs a
        few torch calls rather than a flowkit op per parameter.
        """
        import torch

        backend = _plugins.get()
        bufs = [backend.comm_buffer(p.grad) for p in bucket.params]
        bucket.bufs = bufs
        with comm.collective("all_reduce (DistributedDataParallel)") as dist:
            bucket.flat = torch.cat([t.reshape(-1) for t in bufs])
            bucket.work = dist.all_reduce(bucket.flat, group=self.process_group, async_op=True)
        self.__dict__["_launched"] = self._launched + 1
        if self._launched == len(self._buckets):
            self._finish()

    def _finish(self) -> None:
        """Every bucket is on its way: wait for each and write the averages into ``.grad``."""
        backend = _plugins.get()
        with comm.collective("all_reduce (DistributedDataParallel)"):
            for b in self._buckets:
                b.work.wait()
                flat = b.flat.div_(self._world)
                for p, buf, piece in zip(b.params, b.bufs, flat.split(b.sizes)):
                    buf.copy_(piece.view(buf.shape))
                    backend.comm_commit(p.grad, buf)  # (a copy's values go back; a version)
                b.flat = b.work = b.bufs = None
                b.pending = len(b.params)
        self.__dict__["_launched"] = 0

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside, backward passes only accumulate gradients locally (no communication); the
        first backward after it averages the accumulated gradients.

        Examples:
            >>> import flowkit as flow
            >>> model = flow.nn.parallel.DistributedDataParallel(flow.nn.Linear(2, 1))
            >>> with model.no_sync():
            ...     model(flow.ones(1, 2)).sum().backward()
            >>> model(flow.ones(1, 2)).sum().backward()
            >>> model.module.bias.grad
            tensor([2.], dtype=flowkit.float32)
        """
        old = self._sync
        self.__dict__["_sync"] = False
        try:
            yield
        finally:
            self.__dict__["_sync"] = old
            for b in self._buckets:
                b.pending = len(b.params)

    # ------------------------------------------------------------------ state
    def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False):
        """The wrapped module's state dict (no ``module.`` prefix)."""
        return self.module.state_dict(destination, prefix, keep_vars)

    def load_state_dict(self, state_dict, strict: bool = True):
        """Load into the wrapped module; keys may carry PyTorch's ``module.`` prefix or not."""
        keys = list(state_dict) if hasattr(state_dict, "keys") else []
        if keys and all(isinstance(k, str) and k.startswith(_PREFIX) for k in keys):
            state_dict = {k[len(_PREFIX) :]: v for k, v in state_dict.items()}
        try:
            return self.module.load_state_dict(state_dict, strict)
        except StateDictError:
            raise

    def extra_repr(self) -> str:
        return f"world_size={self._world}"


def _model_difference(ref: list, theirs: list, rank: int) -> str:
    """Name the first parameter or buffer where rank ``rank``'s model differs from rank 0's."""
    ref_d = {n: (s, d) for n, s, d in ref}
    theirs_d = {n: (s, d) for n, s, d in theirs}
    for name in list(ref_d) + [n for n in theirs_d if n not in ref_d]:
        a, b = ref_d.get(name), theirs_d.get(name)
        if a != b:

            def show(x: Any) -> str:
                return "missing" if x is None else f"shape {tuple(x[0])} {x[1]}"

            detail = f"{name!r}: rank 0 has {show(a)}, rank {rank} has {show(b)}"
            break
    else:
        detail = "the parameters come in a different order"
    return (
        f"DistributedDataParallel: the ranks' models differ ({detail}); every rank must build "
        "the same model (same layers, sizes and dtypes) before wrapping it"
    )


def _unfinished_message(buckets: list[_Bucket]) -> str:
    missing = sum(b.pending for b in buckets if b.pending != len(b.params))
    return (
        "DistributedDataParallel: the previous backward did not produce a gradient for every "
        f"parameter ({missing} still missing), so the gradients were not averaged; every "
        "parameter that requires grad must take part in the loss on every rank (set "
        "requires_grad=False on parameters the model does not use)"
    )
