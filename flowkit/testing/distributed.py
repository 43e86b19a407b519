"""Run a program as a distributed run, from a test or a docs page, and never leave a process behind.

`launch` writes nothing global: it starts ``python -m flowkit.distributed.launch`` in a
subprocess with a free master port and a private log folder, waits at most ``timeout`` seconds,
and returns the launcher's exit status and each rank's standard output. Every process of the run
carries a token in its environment; whatever happens (pass, fail, timeout, an exception in the
caller), the processes that carry it are killed before `launch` returns, so a hung or
orphaned rank cannot outlive the test that started it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..distributed.launch import free_port

_TOKEN = "FLOWKIT_RUN_TOKEN"


@dataclass
class RunResult:
    """What a distributed run left: exit status, the launcher's output, each rank's stdout."""

    returncode: int
    output: str  # the launcher's stdout and stderr together (ranks' stderr shows there too)
    rank_stdout: dict[int, str] = field(default_factory=dict)
    rank_stderr: dict[int, str] = field(default_factory=dict)
    timed_out: bool = False
    token: str = ""  # what every process of the run carried (see leftover_processes)

    def check(self) -> RunResult:
        """Raise ``AssertionError`` with the run's output unless it succeeded."""
        if self.returncode != 0 or self.timed_out:
            why = "timed out" if self.timed_out else f"exited with {self.returncode}"
            raise AssertionError(f"the distributed run {why}:\n{self.output}")
        return self


def _token_processes(token: str) -> list[int]:
    """PIDs of this user's processes whose environment carries ``token`` (Linux /proc)."""
    needle = f"{_TOKEN}={token}".encode()
    pids = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                pids.append(int(entry.name))
        except OSError:  # gone, or not ours
            continue
    return pids


def kill_leftovers(token: str, grace: float = 2.0) -> list[int]:
    """SIGTERM, then SIGKILL, every process carrying ``token``; returns the PIDs found."""
    pids = _token_processes(token)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and _token_processes(token):
            time.sleep(0.05)
        pids_left = _token_processes(token)
        if not pids_left:
            break
    return pids


def _read_rank_logs(logdir: Path, nproc: int, node_rank: int) -> tuple[dict, dict]:
    out: dict[int, str] = {}
    err: dict[int, str] = {}
    for local in range(nproc):
        rank = node_rank * nproc + local
        for name, into in (("stdout.log", out), ("stderr.log", err)):
            # torchrun's layout: <logdir>/<run id>/attempt_<k>/<local rank>/stdout.log; the
            # last attempt is the one that counts (--max_restarts)
            found = sorted(logdir.glob(f"*/attempt_*/{local}/{name}"))
            if found:
                into[rank] = found[-1].read_text(errors="replace")
    return out, err


def launch(
    program: str | Path,
    nproc: int,
    *,
    args: Sequence[str] = (),
    timeout: float = 120.0,
    env: Mapping[str, str] | None = None,
    nnodes: int = 1,
    node_rank: int = 0,
    master_port: int | None = None,
    launcher_args: Sequence[str] = (),
    cwd: str | Path | None = None,
) -> RunResult:
    """Run ``program`` (a path, or Python source) on ``nproc`` processes through the launcher.

    Args:
        program: a ``.py`` file, or the source of one.
        nproc: processes on this "machine" (``--nproc_per_node``).
        args: the program's own arguments.
        timeout: seconds before the whole run is killed (the result says ``timed_out``).
        env: variables added to this process's environment for the run.
        nnodes, node_rank, master_port: for runs of several launcher invocations.
        launcher_args: more launcher or torchrun options.
        cwd: the working folder of the ranks.
    """
    token = uuid.uuid4().hex
    with tempfile.TemporaryDirectory(prefix="flowkit-run-") as tmp:
        tmpdir = Path(tmp)
        if isinstance(program, Path) or (
            isinstance(program, str) and "\n" not in program and program.endswith(".py")
        ):
            script = Path(program)
        else:
            script = tmpdir / "program.py"
            script.write_text(str(program))
        logdir = tmpdir / "logs"
        cmd = [
            sys.executable, "-m", "flowkit.distributed.launch",
            "--nproc_per_node", str(nproc), "--nnodes", str(nnodes), "--node_rank", str(node_rank),
            "--master_port", str(master_port or free_port()), "--logdir", str(logdir),
            *launcher_args, str(script), *args,
        ]  # fmt: skip
        run_env = {**os.environ, **(env or {}), _TOKEN: token, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=run_env,
            cwd=cwd,
            start_new_session=True,
            text=True,
        )
        timed_out = False
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            try:
                os.killpg(proc.pid, signal.SIGTERM)  # the launcher stops its ranks on SIGTERM
            except OSError:
                pass
            try:
                output, _ = proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                output, _ = proc.communicate()
            output += f"\n[flowkit.testing.distributed: killed after {timeout:g} s]"
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            kill_leftovers(token)
        out, err = _read_rank_logs(logdir, nproc, node_rank)
    return RunResult(proc.returncode, output, out, err, timed_out, token)


def leftover_processes(token: str) -> list[int]:
    """PIDs still carrying ``token`` (for tests that check nothing was left behind)."""
    return _token_processes(token)
