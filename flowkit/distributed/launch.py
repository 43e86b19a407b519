"""``python -m flowkit.distributed.launch``: start a distributed run, with OneFlow's options.

A thin front to torchrun (``torch.distributed.run``): it takes OneFlow's option names, checks
what would otherwise fail obscurely (torch missing, the master port taken), and hands over.
torchrun starts ``--nproc_per_node`` processes on this machine with ``MASTER_ADDR``,
``MASTER_PORT``, ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK`` set, watches them, and when one fails
stops the others and exits non-zero with the failing rank named. Options this front does not know
(``--max_restarts``, ``--rdzv_backend``...) go to torchrun unchanged, and ``torchrun program.py``
works as well.

    python -m flowkit.distributed.launch --nproc_per_node 2 train.py
    # two machines: the same command on each, --node_rank 0 on the one at --master_addr
    python -m flowkit.distributed.launch --nnodes 2 --node_rank 0 --nproc_per_node 2 \\
        --master_addr 10.0.0.1 --master_port 29500 train.py
"""

from __future__ import annotations

import argparse
import os
import socket
import sys

_PROG = "python -m flowkit.distributed.launch"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=_PROG,
        description="Start a distributed flowkit run through torchrun, with OneFlow's options. "
        "Other torchrun options (--max_restarts, --rdzv_backend, ...) are passed on.",
    )
    p.add_argument(
        "--nproc_per_node",
        "--nproc-per-node",
        type=int,
        default=1,
        help="processes to start on this machine (default 1)",
    )
    p.add_argument("--nnodes", type=int, default=1, help="machines in the run (default 1)")
    p.add_argument(
        "--node_rank",
        "--node-rank",
        type=int,
        default=0,
        help="this machine's rank, 0..nnodes-1 (default 0)",
    )
    p.add_argument(
        "--master_addr",
        "--master-addr",
        default="127.0.0.1",
        help="address of the machine with node_rank 0 (default 127.0.0.1)",
    )
    p.add_argument(
        "--master_port",
        "--master-port",
        type=int,
        default=None,
        help="a free port on that machine (default: one chosen now on a single "
        "machine; 29500 across machines)",
    )
    p.add_argument(
        "--logdir",
        "--log_dir",
        "--log-dir",
        default=None,
        help="write each rank's stdout and stderr under this folder too",
    )
    p.add_argument(
        "-m", "--module", action="store_true", help="run training_script as a module (python -m)"
    )
    p.add_argument("training_script", help="the program every process runs")
    p.add_argument("training_script_args", nargs=argparse.REMAINDER, help="its arguments")
    return p


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def _fail(message: str) -> int:
    print(f"{_PROG}: error: {message}", file=sys.stderr)
    return 2


def torchrun_args(args: argparse.Namespace, passthrough: list[str]) -> list[str]:
    """The torchrun command line for the parsed OneFlow-style options."""
    out = [
        "--nproc-per-node", str(args.nproc_per_node),
        "--nnodes", str(args.nnodes),
        "--node-rank", str(args.node_rank),
        "--master-addr", args.master_addr,
        "--master-port", str(args.master_port),
    ]  # fmt: skip
    if args.logdir:
        out += ["--log-dir", args.logdir, "--tee", "3"]
    out += passthrough
    if args.module:
        out.append("--module")
    return [*out, args.training_script, *args.training_script_args]


def main(argv: list[str] | None = None) -> int:
    """Parse OneFlow's options, check them, and run torchrun; returns the exit status."""
    args, passthrough = _parser().parse_known_args(argv)
    if args.nproc_per_node < 1 or args.nnodes < 1:
        return _fail("--nproc_per_node and --nnodes must be at least 1")
    if not 0 <= args.node_rank < args.nnodes:
        return _fail(f"--node_rank {args.node_rank} is not in 0..{args.nnodes - 1} (--nnodes)")
    try:
        from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
        from torch.distributed.run import get_args_parser, run
    except ImportError as exc:
        return _fail(
            f"distributed runs need torch, which is not installed ({exc}); "
            'pip install "flowkit[torch]"'
        )
    local = args.master_addr in ("127.0.0.1", "localhost", socket.gethostname())
    if args.master_port is None:
        args.master_port = free_port() if args.nnodes == 1 else 29500
    elif args.node_rank == 0 and local and _port_in_use(args.master_addr, args.master_port):
        return _fail(
            f"--master_port {args.master_port} is already in use on {args.master_addr} (another "
            "run, or a process left behind); pick a free port, or leave --master_port out on a "
            "single machine and one is chosen for you"
        )
    # torchrun would set OMP_NUM_THREADS=1 with a warning; share the cores out instead
    os.environ.setdefault(
        "OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // args.nproc_per_node))
    )
    try:
        run(get_args_parser().parse_args(torchrun_args(args, passthrough)))
    except ChildFailedError as exc:
        print(f"{_PROG}: the run failed\n{exc.format_msg()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
