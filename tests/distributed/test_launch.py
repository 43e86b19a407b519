"""The launcher and the failure modes of a distributed run: a rank that raises, a rank killed,
a port in use, two "machines" on localhost. Each run is bounded by a timeout and leaves no
process behind (flowkit.testing.distributed.launch kills whatever carries its token)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from flowkit.distributed.launch import free_port
from flowkit.testing.distributed import launch, leftover_processes

pytest.importorskip("torch.distributed")

BACKEND = os.environ.get("FLOWKIT_BACKEND", "numpy")
ENV = {"FLOWKIT_BACKEND": BACKEND, "FLOWKIT_DIST_TIMEOUT": "30"}


def _src(s: str) -> str:
    return textwrap.dedent(s)


RAISES = _src("""
    import flowkit as flow
    x = flow.ones(2)
    flow.comm.all_reduce(x)
    if flow.env.get_rank() == 1:
        raise ValueError("rank one gives up")
    for _ in range(1000):  # rank 0 waits in collectives rank 1 never joins
        flow.comm.all_reduce(x)
""")


@pytest.mark.once
def test_a_rank_that_raises_ends_the_run_with_its_traceback():
    start = time.monotonic()
    r = launch(RAISES, 2, env=ENV, timeout=90)
    took = time.monotonic() - start
    assert not r.timed_out, r.output
    assert r.returncode == 1, r.output
    assert 'raise ValueError("rank one gives up")' in r.output  # the failing rank's traceback
    assert "ValueError: rank one gives up" in r.output
    assert "rank      : 1" in r.output  # torchrun's summary names the rank
    assert took < 60


KILLED = _src("""
    import os, signal
    import flowkit as flow
    x = flow.ones(2)
    flow.comm.all_reduce(x)
    if flow.env.get_rank() == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    for _ in range(1000):
        flow.comm.all_reduce(x)
""")


@pytest.mark.once
def test_a_killed_rank_stops_the_run():
    r = launch(KILLED, 2, env=ENV, timeout=90)
    assert not r.timed_out, r.output
    assert r.returncode == 1, r.output
    assert "Signal 9 (SIGKILL)" in r.output


def _by_hand(rank: int, port: int, source: str, tmp_path) -> subprocess.Popen:
    """A rank started by hand (two terminals' worth), with the environment variables only."""
    script = tmp_path / "by_hand.py"
    script.write_text(source)
    env = {
        **os.environ,
        **ENV,
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(port),
        "WORLD_SIZE": "2",
        "RANK": str(rank),
        "LOCAL_RANK": str(rank),
    }
    return subprocess.Popen(
        [sys.executable, str(script)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _finish(procs: list[subprocess.Popen], timeout: float) -> list[str]:
    outs = []
    try:
        for p in procs:
            outs.append(p.communicate(timeout=timeout)[0])
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    return outs


@pytest.mark.once
def test_by_hand_the_survivor_of_a_killed_rank_stops_with_a_clear_error(tmp_path):
    port = free_port()
    procs = [_by_hand(r, port, KILLED, tmp_path) for r in (0, 1)]
    outs = _finish(procs, 90)
    assert procs[1].returncode == -signal.SIGKILL
    assert procs[0].returncode != 0
    assert "flowkit.errors.DistributedError: rank 0: flowkit.comm.all_reduce failed" in outs[0]
    assert "another rank has probably stopped" in outs[0]


HELLO = _src("""
    import sys
    import flowkit as flow
    x = flow.ones(1) * (flow.env.get_rank() + 1)
    flow.comm.all_reduce(x)
    # one write per line: ranks that share a pipe (plain torchrun) must not interleave
    env = flow.env
    line = f"{env.get_rank()} {env.get_world_size()} {env.get_node_size()} {x.item()}"
    sys.stdout.write(line + chr(10))
""")


@pytest.mark.once
def test_env_variables_alone_join_the_group(tmp_path):
    port = free_port()
    procs = [_by_hand(r, port, HELLO, tmp_path) for r in (0, 1)]
    outs = _finish(procs, 60)
    assert [p.returncode for p in procs] == [0, 0], outs
    assert outs[0].split()[-4:] == ["0", "2", "1", "3.0"]
    assert outs[1].split()[-4:] == ["1", "2", "1", "3.0"]


@pytest.mark.once
def test_a_port_in_use_is_named():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = launch(HELLO, 2, env=ENV, timeout=60, master_port=port)
        assert r.returncode == 2, r.output
        assert f"--master_port {port} is already in use on 127.0.0.1" in r.output
        # and by hand, without the launcher: the process group names it
        env = {
            **os.environ,
            **ENV,
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(port),
            "WORLD_SIZE": "2",
            "RANK": "0",
        }
        p = subprocess.run(
            [sys.executable, "-c", HELLO], env=env, capture_output=True, text=True, timeout=60
        )
        assert p.returncode != 0
        assert f"MASTER_PORT {port} is already in use" in p.stderr, p.stderr


@pytest.mark.once
def test_two_machines_on_localhost():
    port = free_port()
    results = {}

    def node(rank: int) -> None:
        results[rank] = launch(
            HELLO, 2, env=ENV, timeout=90, nnodes=2, node_rank=rank, master_port=port
        )

    threads = [threading.Thread(target=node, args=(r,)) for r in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for node_rank in (0, 1):
        r = results[node_rank].check()
        for local in (0, 1):
            rank = 2 * node_rank + local
            # 4 ranks on 2 nodes: 1 + 2 + 3 + 4 = 10
            assert r.rank_stdout[rank].split() == [str(rank), "4", "2", "10.0"], r.output


def test_without_torch_the_error_says_how_to_install_it(tmp_path):
    # a process where importing torch fails, as on a machine without it
    blocker = tmp_path / "torch.py"
    blocker.write_text("raise ImportError('No module named torch (blocked for this test)')\n")
    code = "import flowkit as flow\nflow.comm.all_reduce(flow.ones(1))"
    env = {
        **os.environ,
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "FLOWKIT_BACKEND": "numpy",
    }
    p = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert p.returncode != 0
    assert "DistributedError: distributed training needs torch" in p.stderr, p.stderr
    assert 'pip install "flowkit[torch]"' in p.stderr


HANGS = _src("""
    import time
    import flowkit as flow
    flow.comm.barrier()
    if flow.env.get_rank() == 1:
        time.sleep(600)  # never reaches the barrier below: rank 0 waits in it
    flow.comm.barrier()
""")


@pytest.mark.once
def test_a_hung_run_is_killed_at_the_timeout_and_leaves_nothing():
    start = time.monotonic()
    r = launch(HANGS, 2, env=ENV, timeout=15)
    assert r.timed_out and time.monotonic() - start < 40, r.output
    assert "killed after 15 s" in r.output
    assert leftover_processes(r.token) == []


SAVE_FAILS = _src("""
    import flowkit as flow
    try:
        flow.save({"w": flow.ones(2)}, "/nonexistent-dir/ckpt.safetensors", global_dst_rank=0)
    except Exception as exc:
        print(flow.env.get_rank(), type(exc).__name__, str(exc).split(";")[0], flush=True)
""")


@pytest.mark.once
def test_save_from_one_rank_reports_its_failure_on_every_rank():
    r = launch(SAVE_FAILS, 2, env=ENV, timeout=60).check()
    assert r.rank_stdout[0].startswith("0 FileNotFoundError flowkit.save: the directory")
    assert r.rank_stdout[1].strip() == (
        "1 SerializationError flowkit.save: rank 0 (global_dst_rank) could not write the checkpoint"
    )


@pytest.mark.once
def test_plain_torchrun_runs_a_flowkit_program(tmp_path):
    """No flowkit launcher: torchrun's environment is enough (the group forms on first use)."""
    script = tmp_path / "hello.py"
    script.write_text(HELLO)
    env = {**os.environ, **ENV, "OMP_NUM_THREADS": "1"}
    p = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
         "--master-port", str(free_port()), str(script)],
        env=env, capture_output=True, text=True, timeout=90, start_new_session=True,
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    lines = sorted(ln for ln in p.stdout.splitlines() if ln[:1].isdigit())
    assert lines == ["0 2 1 3.0", "1 2 1 3.0"], p.stdout + p.stderr
