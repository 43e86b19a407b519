"""The process group under every distributed feature: torch.distributed, joined on first use.

flowkit does not talk between processes itself. Every backend goes through one
``torch.distributed`` process group (gloo for CPU tensors, NCCL for CUDA tensors): the numpy
backend hands torch CPU tensors that share memory with its arrays, the torch backend hands its own
tensors. torch is imported here only when a process first communicates, so ``import flowkit``
with the numpy backend still never imports torch.

A process joins the group on its first collective, as OneFlow's do, when the launcher, torchrun
or the user put ``MASTER_ADDR``, ``MASTER_PORT``, ``WORLD_SIZE`` and ``RANK`` in its environment;
[`init_process_group`][flowkit.distributed.init_process_group] does it explicitly. A process started
without them is a group of one (world size 1), so a data-parallel program also runs, unchanged, as a
single process.
"""

from __future__ import annotations

import atexit
import datetime
import gc
import os
import re
import sys
from typing import Any

from ..errors import ArgumentValueError, DistributedError

#: environment variables a process of a distributed run carries (the launcher sets them)
ENV_VARS = ("MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "RANK", "LOCAL_RANK")
#: seconds a rendezvous or a collective waits for the other ranks before giving up
DEFAULT_TIMEOUT = 300.0
_INSTALL_HINT = 'pip install "flowkit[torch]" (torch.distributed is the engine of every backend)'


def torch_distributed() -> Any:
    """``torch.distributed``, imported now, or a
    [`DistributedError`][flowkit.errors.DistributedError] saying how to get it."""
    try:
        import torch.distributed as dist
    except ImportError as exc:
        raise DistributedError(
            f"distributed training needs torch, which is not installed ({exc}); {_INSTALL_HINT}"
        ) from None
    if not dist.is_available():
        raise DistributedError(
            "this torch build has no torch.distributed (torch.distributed.is_available() is "
            f"False); install a build with it: {_INSTALL_HINT}"
        )
    return dist


def is_available() -> bool:
    """Whether distributed runs are possible here: torch is installed, with torch.distributed."""
    try:
        torch_distributed()
    except DistributedError:
        return False
    return True


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise DistributedError(
            f"the environment variable {name}={value!r} is not an integer; the launcher sets it "
            "(python -m flowkit.distributed.launch), or set it to a whole number by hand"
        ) from None


def _initialized() -> bool:
    import sys

    dist = sys.modules.get("torch.distributed")  # never import torch just to answer "no"
    return dist is not None and dist.is_available() and dist.is_initialized()


def get_rank() -> int:
    """This process's rank in the run (0 in a single process)."""
    if _initialized():
        return int(torch_distributed().get_rank())
    return _env_int("RANK", 0)


def get_world_size() -> int:
    """How many processes the run has (1 in a single process)."""
    if _initialized():
        return int(torch_distributed().get_world_size())
    return _env_int("WORLD_SIZE", 1)


def get_local_rank() -> int:
    """This process's rank on its machine (``LOCAL_RANK``; 0 in a single process)."""
    return _env_int("LOCAL_RANK", 0)


def get_local_world_size() -> int:
    """How many processes of the run share this machine (``LOCAL_WORLD_SIZE``)."""
    return _env_int("LOCAL_WORLD_SIZE", get_world_size())


def get_node_size() -> int:
    """How many machines (nodes) the run spans."""
    return max(1, get_world_size() // max(1, get_local_world_size()))


def timeout_seconds() -> float:
    """How long a rendezvous or collective waits: ``FLOWKIT_DIST_TIMEOUT`` seconds, default 300."""
    raw = os.environ.get("FLOWKIT_DIST_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise DistributedError(
            f"FLOWKIT_DIST_TIMEOUT={raw!r} is not a positive number of seconds; unset it for the "
            f"default ({DEFAULT_TIMEOUT:g} s) or set e.g. FLOWKIT_DIST_TIMEOUT=60"
        )
    return value


def _default_backend() -> str:
    """gloo for CPU tensors; with the torch backend on CUDA, NCCL for CUDA tensors as well."""
    from .. import _plugins

    b = _plugins.get()
    if b.device.type == "cuda":
        return "cpu:gloo,cuda:nccl"
    return "gloo"


def _missing_env() -> list[str]:
    return [v for v in ENV_VARS[:4] if not os.environ.get(v)]


def init_process_group(
    backend: str | None = None,
    init_method: str | None = None,
    world_size: int | None = None,
    rank: int | None = None,
    timeout: float | None = None,
) -> None:
    """Join (or form) the run's process group now, rather than on the first collective.

    Args:
        backend: torch.distributed's backend: ``"gloo"`` (CPU), ``"nccl"`` (CUDA), or ``None``:
            gloo, plus NCCL for CUDA tensors when the torch backend runs on CUDA.
        init_method: where the ranks meet (``"tcp://host:port"``); ``None``: ``env://``, i.e.
            ``MASTER_ADDR``/``MASTER_PORT``. Without those in the environment and without
            ``init_method``, the process forms a group of one.
        world_size: number of processes (default ``WORLD_SIZE``).
        rank: this process's rank (default ``RANK``).
        timeout: seconds to wait for the others, at the rendezvous and in every collective
            (default ``FLOWKIT_DIST_TIMEOUT`` or 300).

    Raises:
        DistributedError: torch is missing, the group is already formed, the port is taken, or
            the other ranks did not come within ``timeout``.
    """
    dist = torch_distributed()
    if dist.is_initialized():
        raise DistributedError(
            "the process group is already initialized (by an earlier init_process_group call or "
            "by the first collective); call flowkit.distributed.destroy_process_group() first to "
            "form a new one"
        )
    seconds = timeout_seconds() if timeout is None else float(timeout)
    if seconds <= 0:
        raise ArgumentValueError(f"init_process_group: timeout must be positive, got {timeout}")
    kwargs: dict[str, Any] = {
        "backend": backend or _default_backend(),
        "timeout": datetime.timedelta(seconds=seconds),
    }
    if init_method is None and _missing_env() and world_size in (None, 1):
        # a single process: a group of one, with an in-memory store (no port to open)
        kwargs.update(store=dist.HashStore(), world_size=1, rank=0)
    else:
        if init_method is None and _missing_env():
            raise DistributedError(
                f"init_process_group(world_size={world_size}) needs to know where the ranks meet, "
                f"but {', '.join(_missing_env())} {'is' if len(_missing_env()) == 1 else 'are'} "
                "not set; start the program with `python -m flowkit.distributed.launch "
                "--nproc_per_node N program.py` (or torchrun), or pass init_method='tcp://host:port'"
                " with world_size and rank"
            )
        if init_method is not None:
            kwargs["init_method"] = init_method
        if world_size is not None:
            kwargs["world_size"] = world_size
        if rank is not None:
            kwargs["rank"] = rank
    _select_cuda_device(kwargs["backend"])
    try:
        dist.init_process_group(**kwargs)
    except Exception as exc:  # torch raises RuntimeError, DistNetworkError, DistStoreError...
        raise rendezvous_error(exc, seconds) from None
    atexit.register(_destroy_quietly)


def _select_cuda_device(backend: str) -> None:
    if "nccl" in backend:
        import torch

        torch.cuda.set_device(get_local_rank() % max(1, torch.cuda.device_count()))


def rendezvous_error(exc: BaseException, seconds: float) -> DistributedError:
    """The process group could not be formed: say why in flowkit's words, with the fix."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    where = f"{os.environ.get('MASTER_ADDR', '?')}:{os.environ.get('MASTER_PORT', '?')}"
    if "EADDRINUSE" in str(exc) or "address already in use" in str(exc).lower():
        port = os.environ.get("MASTER_PORT", "?")
        return DistributedError(
            f"cannot form the process group: MASTER_PORT {port} is already in use on this "
            "machine (another run, or a process left behind); pick a free port with "
            "--master_port, or stop the process holding it"
        )
    if re.search(r"timed? ?out|timeout", str(exc), re.IGNORECASE):
        return DistributedError(
            f"cannot form the process group at {where}: not every rank arrived within "
            f"{seconds:g} s ({text}); start all WORLD_SIZE={get_world_size()} ranks with the "
            "same MASTER_ADDR and MASTER_PORT, or raise FLOWKIT_DIST_TIMEOUT"
        )
    return DistributedError(f"cannot form the process group at {where}: {text}")


def ensure_initialized() -> Any:
    """The process group, joined now if this process has not yet (OneFlow's implicit init)."""
    if not _initialized():
        init_process_group()
    return torch_distributed()


def is_initialized() -> bool:
    """Whether this process has joined a process group."""
    return _initialized()


def destroy_process_group() -> None:
    """Leave the process group (the next collective joins a new one).

    Raises:
        DistributedError: there is no group to leave.
    """
    if not _initialized():
        raise DistributedError(
            "destroy_process_group: this process has no process group (it forms one on its "
            "first collective or at init_process_group)"
        )
    _teardown(together=True)


_ON_TEARDOWN: list = []  # callables run before the group is destroyed (caches of its groups)


def on_teardown(fn) -> None:
    """Run ``fn()`` before this process leaves its group: a cache that holds process groups
    (a backend's meshes or sub-groups) drops them, so none outlives the group and is destroyed
    during interpreter shutdown, where gloo aborts the process ("terminate called without an
    active exception")."""
    _ON_TEARDOWN.append(fn)


def _teardown(together: bool) -> None:
    """Leave the group; with ``together``, after a barrier, so that no rank closes its
    connections while another still talks to it (gloo may then abort that process: "terminate
    called without an active exception", seen on a loaded machine about one exit in ten)."""
    dist = torch_distributed()
    if together:
        try:
            dist.barrier()
        except Exception:  # noqa: BLE001 - a rank already gone: leave anyway
            pass
    for fn in _ON_TEARDOWN:
        fn()
    dist.destroy_process_group()
    gc.collect()  # (what held a group goes now, while the interpreter is whole)


def _destroy_quietly() -> None:
    """At exit: leave the group, together with the others unless this process is dying of an
    uncaught exception (then the others are not waiting for it)."""
    if _initialized():
        failing = getattr(sys, "last_value", None) is not None
        try:
            _teardown(together=not failing)
        except Exception:  # noqa: BLE001 - at exit, after a failure: nothing more to say
            pass
