"""``flowkit.comm``: collective communication between the processes of a run (OneFlow's names).

Each function takes flowkit tensors of any backend and works through the run's
``torch.distributed`` process group, which the process joins on its first call (see
[`flowkit.distributed`][flowkit.distributed]). The numpy backend's arrays go to torch without a
copy; in-place collectives (``all_reduce``, ``broadcast``, ``reduce_scatter``, ``all_gather``'s
list) write into the tensors they are given, and count as an in-place change of them (autograd's
version counter). Every rank must call the same collectives in the same order with tensors of the
same shapes.

Examples:
    >>> import flowkit as flow
    >>> x = flow.tensor([1.0, 2.0])
    >>> flow.comm.all_reduce(x)  # a single process is a group of one: the sum is x itself
    >>> x
    tensor([1., 2.], dtype=flowkit.float32)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from . import _plugins
from .distributed import _group
from .errors import ArgumentTypeError, ArgumentValueError, DistributedError, FlowkitError
from .tensor import Tensor

__all__ = ["all_gather", "all_reduce", "barrier", "broadcast", "reduce_scatter", "Work"]

_OPS = ("sum", "avg", "product", "min", "max")


def _check_tensor(value: Any, fn: str, arg: str = "tensor") -> Tensor:
    if not isinstance(value, Tensor):
        raise ArgumentTypeError(
            f"flowkit.comm.{fn}: {arg} must be a flowkit.Tensor, got {type(value).__name__}; "
            "make one with flowkit.tensor(...)"
        )
    if getattr(value, "is_global", False):
        raise ArgumentTypeError(
            f"flowkit.comm.{fn}: {arg} is a global tensor; collectives take local tensors "
            "(tensor.to_local()), and a global tensor changes its SBP with to_global(...)"
        )
    return value


def _reduce_op(dist: Any, op: str) -> Any:
    if op not in _OPS:
        raise ArgumentValueError(f"unknown reduce op {op!r}; flowkit.comm knows {', '.join(_OPS)}")
    if op == "avg":
        return dist.ReduceOp.AVG
    return getattr(dist.ReduceOp, op.upper())


@contextlib.contextmanager
def collective(name: str) -> Iterator[Any]:
    """Run one collective: join the group if needed, and turn torch's failures into flowkit's."""
    dist = _group.ensure_initialized()
    import torch

    try:
        with torch.no_grad():  # collectives are not differentiable; leaves may be written
            yield dist
    except FlowkitError:  # flowkit's own (a bad argument, an op the backend leaves out)
        raise
    except RuntimeError as exc:  # gloo/NCCL: a peer closed the connection, a timeout...
        raise collective_error(name, exc) from None


def collective_error(name: str, exc: BaseException) -> DistributedError:
    """A collective failed: most often another rank died or never called it."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    rank = _group.get_rank()
    return DistributedError(
        f"rank {rank}: flowkit.comm.{name} failed ({text}); another rank has probably stopped "
        "(its traceback is above or in the launcher's log) or did not call the same collective; "
        f"a rank waits at most FLOWKIT_DIST_TIMEOUT={_group.timeout_seconds():g} s"
    )


class Work:
    """A collective running in the background (``async_op=True``): ``wait()`` for its result.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.ones(3)
        >>> work = flow.comm.all_reduce(x, async_op=True)
        >>> work.wait()
        True
        >>> x
        tensor([1., 1., 1.], dtype=flowkit.float32)
    """

    __slots__ = ("_work", "_commits", "_name", "_done")

    def __init__(self, work: Any, commits: list[tuple[Tensor, Any]], name: str):
        self._work, self._commits, self._name, self._done = work, commits, name, False

    def wait(self) -> bool:
        """Block until the collective is done and its results are in the tensors."""
        if not self._done:
            try:
                self._work.wait()
            except RuntimeError as exc:
                raise collective_error(self._name, exc) from None
            _commit(self._commits)
            self._done = True
        return True

    def is_completed(self) -> bool:
        """Whether [`wait`][flowkit.comm.Work.wait] would return at once."""
        return self._done or bool(self._work.is_completed())


def _commit(commits: list[tuple[Tensor, Any]]) -> None:
    backend = _plugins.get()
    for tensor, buffer in commits:
        backend.comm_commit(tensor, buffer)


def _finish(work: Any, commits: list[tuple[Tensor, Any]], name: str, async_op: bool):
    if async_op:
        return Work(work, commits, name)
    _commit(commits)
    return None


def all_reduce(tensor: Tensor, op: str = "sum", group: Any = None, async_op: bool = False):
    """Reduce ``tensor`` over every rank, in place: afterwards each rank holds the result.

    Args:
        tensor: the values to reduce; overwritten with the result.
        op: ``"sum"`` (OneFlow's only one), ``"avg"``, ``"product"``, ``"min"`` or ``"max"``.
        group: a subgroup from [`flowkit.distributed.new_group`][flowkit.distributed.new_group]
            (default: every rank).
        async_op: return a [`Work`][flowkit.comm.Work] to ``wait()`` on instead of blocking.
    """
    _check_tensor(tensor, "all_reduce")
    backend = _plugins.get()
    with collective("all_reduce") as dist:
        buffer = backend.comm_buffer(tensor)
        if op == "avg" and getattr(dist.get_backend(group), "lower", str)().find("gloo") >= 0:
            # gloo has no AVG: sum, then divide once the sum is in
            work = dist.all_reduce(buffer, op=dist.ReduceOp.SUM, group=group, async_op=async_op)
            if async_op:
                work.wait()
            buffer.div_(dist.get_world_size(group))
            return _finish(_Done(), [(tensor, buffer)], "all_reduce", async_op)
        work = dist.all_reduce(buffer, op=_reduce_op(dist, op), group=group, async_op=async_op)
        return _finish(work, [(tensor, buffer)], "all_reduce", async_op)


class _Done:
    """A finished torch work handle (for results computed in several steps)."""

    def wait(self) -> bool:
        return True

    def is_completed(self) -> bool:
        return True


def broadcast(tensor: Tensor, src: int, group: Any = None, async_op: bool = False):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every other rank."""
    _check_tensor(tensor, "broadcast")
    _check_rank(src, "broadcast", "src")
    backend = _plugins.get()
    with collective("broadcast") as dist:
        buffer = backend.comm_buffer(tensor)
        work = dist.broadcast(buffer, src=src, group=group, async_op=async_op)
        return _finish(work, [(tensor, buffer)], "broadcast", async_op)


def all_gather(
    tensor_list: list[Tensor], tensor: Tensor, group: Any = None, async_op: bool = False
):
    """Gather every rank's ``tensor`` into ``tensor_list`` (one slot per rank, in rank order).

    ``tensor_list`` holds world-size tensors of ``tensor``'s shape and dtype, written in place,
    as in OneFlow and PyTorch.
    """
    _check_tensor(tensor, "all_gather")
    if not isinstance(tensor_list, list):
        raise ArgumentTypeError(
            "flowkit.comm.all_gather: tensor_list must be a list of world-size tensors, got "
            f"{type(tensor_list).__name__}; e.g. [flowkit.zeros_like(x) for _ in range(world)]"
        )
    backend = _plugins.get()
    with collective("all_gather") as dist:
        _check_list(tensor_list, tensor, dist.get_world_size(group), "all_gather", "tensor_list")
        buffers = [backend.comm_buffer(t) for t in tensor_list]
        work = dist.all_gather(buffers, backend.comm_buffer(tensor), group=group, async_op=async_op)
        return _finish(work, list(zip(tensor_list, buffers)), "all_gather", async_op)


def reduce_scatter(
    output: Tensor,
    input_list: list[Tensor],
    op: str = "sum",
    group: Any = None,
    async_op: bool = False,
):
    """Reduce ``input_list[r]`` over every rank into rank ``r``'s ``output``, in place."""
    _check_tensor(output, "reduce_scatter", "output")
    if not isinstance(input_list, list):
        raise ArgumentTypeError(
            "flowkit.comm.reduce_scatter: input_list must be a list of world-size tensors, got "
            f"{type(input_list).__name__}"
        )
    backend = _plugins.get()
    with collective("reduce_scatter") as dist:
        world = dist.get_world_size(group)
        _check_list(input_list, output, world, "reduce_scatter", "input_list")
        out = backend.comm_buffer(output)
        inputs = [backend.comm_buffer(t) for t in input_list]
        if dist.get_backend(group).lower().find("gloo") >= 0:
            # gloo has no reduce_scatter: all-reduce the stacked inputs, keep this rank's part
            import torch

            stacked = torch.stack(inputs)
            work = dist.all_reduce(stacked, op=_reduce_op(dist, op), group=group)
            out.copy_(stacked[dist.get_rank(group)])
            return _finish(_Done(), [(output, out)], "reduce_scatter", async_op)
        work = dist.reduce_scatter(
            out, inputs, op=_reduce_op(dist, op), group=group, async_op=async_op
        )
        return _finish(work, [(output, out)], "reduce_scatter", async_op)


def barrier(group: Any = None) -> None:
    """Wait until every rank has reached this call."""
    with collective("barrier") as dist:
        dist.barrier(group=group)


def _check_rank(rank: Any, fn: str, arg: str) -> None:
    world = _group.get_world_size()
    if not isinstance(rank, int) or isinstance(rank, bool) or not 0 <= rank < world:
        raise ArgumentValueError(
            f"flowkit.comm.{fn}: {arg}={rank!r} is not a rank of this run; ranks are 0..{world - 1}"
        )


def _check_list(tensors: Sequence[Any], like: Tensor, world: int, fn: str, arg: str) -> None:
    if len(tensors) != world:
        raise ArgumentValueError(
            f"flowkit.comm.{fn}: {arg} has {len(tensors)} tensors, but the group has {world} "
            "ranks; pass one per rank"
        )
    for i, t in enumerate(tensors):
        _check_tensor(t, fn, f"{arg}[{i}]")
        if t.shape != like.shape or t.dtype != like.dtype:
            raise ArgumentValueError(
                f"flowkit.comm.{fn}: {arg}[{i}] has shape {tuple(t.shape)} and dtype "
                f"{t.dtype}, but the tensor has shape {tuple(like.shape)} and dtype {like.dtype}; "
                "every slot must match it"
            )
