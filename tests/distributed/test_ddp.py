"""DistributedDataParallel and the collectives, on two CPU processes (gloo), on this backend.

Each test launches one multi-process program through ``python -m flowkit.distributed.launch``
(flowkit.testing.distributed.launch: a free port, a timeout, no process left behind). The ranks
compute the one-process reference themselves, from the same seed, and print what they compare
as a JSON line; the test asserts on every rank's line.
"""

from __future__ import annotations

import json
import os
import textwrap

import pytest

from flowkit.testing.distributed import launch

pytest.importorskip("torch.distributed")

BACKEND = os.environ.get("FLOWKIT_BACKEND", "numpy")


def _rank_json(result, nproc: int) -> dict[int, dict]:
    result.check()
    out = {}
    for rank in range(nproc):
        lines = [ln for ln in result.rank_stdout.get(rank, "").splitlines() if ln.startswith("{")]
        assert lines, f"rank {rank} printed no result:\n{result.output}"
        out[rank] = json.loads(lines[-1])
    return out


def _run(source: str, nproc: int = 2, timeout: float = 120, **kw):
    return launch(
        textwrap.dedent(source),
        nproc,
        timeout=timeout,
        env={"FLOWKIT_BACKEND": BACKEND, "FLOWKIT_DIST_TIMEOUT": "60"},
        **kw,
    )


COLLECTIVES = """
import json
import flowkit as flow

rank, world = flow.env.get_rank(), flow.env.get_world_size()
res = {"rank": rank, "world": world, "local_rank": flow.env.get_local_rank(),
       "nodes": flow.env.get_node_size()}
x = flow.tensor([1.0, 2.0, 3.0], dtype=flow.float64) * (rank + 1)
flow.comm.all_reduce(x)
res["all_reduce"] = x.tolist()
m = flow.tensor([float(rank), -float(rank)])
flow.comm.all_reduce(m, op="max")
res["max"] = m.tolist()
a = flow.tensor([2.0, 4.0]) * (rank + 1)
flow.comm.all_reduce(a, op="avg")
res["avg"] = a.tolist()
b = flow.tensor([7, 8]) if rank == 1 else flow.zeros(2, dtype=flow.int64)
flow.comm.broadcast(b, src=1)
res["broadcast"] = b.tolist()
slots = [flow.zeros(2, 2) for _ in range(world)]
flow.comm.all_gather(slots, flow.full((2, 2), float(rank)))
res["all_gather"] = [s.tolist() for s in slots]
out = flow.zeros(2)
flow.comm.reduce_scatter(out, [flow.full((2,), float(r + 10 * rank)) for r in range(world)])
res["reduce_scatter"] = out.tolist()
nc = flow.arange(6.0).reshape(2, 3).T  # not contiguous: a copy goes out, the result comes back
flow.comm.all_reduce(nc)
res["non_contiguous"] = nc.tolist()
w = flow.ones(3) * (rank + 1)
work = flow.comm.all_reduce(w, async_op=True)
work.wait()
res["async"] = w.tolist()
flow.comm.barrier()
print(json.dumps(res), flush=True)
"""


def test_collectives_match_the_one_process_computation():
    got = _rank_json(_run(COLLECTIVES), 2)
    for rank, r in got.items():
        assert (r["rank"], r["world"], r["local_rank"], r["nodes"]) == (rank, 2, rank, 1)
        assert r["all_reduce"] == [3.0, 6.0, 9.0]
        assert r["max"] == [1.0, 0.0]
        assert r["avg"] == [3.0, 6.0]
        assert r["broadcast"] == [7, 8]
        assert r["all_gather"] == [[[0.0, 0.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 1.0]]]
        # rank r gets sum over ranks q of (r + 10 q) = 2r + 10
        assert r["reduce_scatter"] == [2.0 * rank + 10] * 2
        assert r["non_contiguous"] == [[0.0, 6.0], [2.0, 8.0], [4.0, 10.0]]
        assert r["async"] == [3.0, 3.0, 3.0]


DDP = """
import json
import numpy as np
import flowkit as flow
from flowkit.nn.parallel import DistributedDataParallel as DDP
from flowkit.utils.data import DataLoader, TensorDataset
from flowkit.utils.data.distributed import DistributedSampler

rank, world = flow.env.get_rank(), flow.env.get_world_size()
res = {}

def net():
    return flow.nn.Sequential(flow.nn.Linear(3, 5), flow.nn.ReLU(), flow.nn.Linear(5, 1)).double()

def copy_of(model):
    twin = net()
    twin.load_state_dict(model.state_dict())
    return twin

def max_diff(a, b):
    return max(float((p - q).abs().max()) for p, q in zip(a.parameters(), b.parameters()))

# 1. the wrap broadcasts rank 0's weights: the ranks built theirs from different seeds
flow.manual_seed(100 + rank)
model = net()
ddp = DDP(model)
gathered = [flow.zeros_like(p) for _ in range(world) for p in [model[0].weight]]
flow.comm.all_gather(gathered, model[0].weight.detach().clone())
res["same_start"] = all(bool((g == gathered[0]).all()) for g in gathered)

# 2. training on halves of a batch == one process on the whole batch (float64, mean loss)
flow.manual_seed(0)
x = flow.randn(8, 3, dtype=flow.float64)
y = flow.randn(8, 1, dtype=flow.float64)
ref = copy_of(model)
opt = flow.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
ref_opt = flow.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
mse = flow.nn.MSELoss()
half = slice(4 * rank, 4 * rank + 4)
for step in range(5):
    opt.zero_grad()
    mse(ddp(x[half]), y[half]).backward()
    opt.step()
    ref_opt.zero_grad()
    mse(ref(x), y).backward()
    ref_opt.step()
res["ddp_vs_whole_batch"] = max_diff(model, ref)

# 3. no_sync: two micro-batches per rank, averaged once == the whole batch in one process
ref = copy_of(model)
opt = flow.optim.SGD(ddp.parameters(), lr=0.05)
ref_opt = flow.optim.SGD(ref.parameters(), lr=0.05)
mine = [slice(4 * rank, 4 * rank + 2), slice(4 * rank + 2, 4 * rank + 4)]
for step in range(3):
    opt.zero_grad()
    with ddp.no_sync():
        (mse(ddp(x[mine[0]]), y[mine[0]]) / 2).backward()
    local = model[0].weight.grad.clone()
    (mse(ddp(x[mine[1]]), y[mine[1]]) / 2).backward()
    opt.step()
    ref_opt.zero_grad()
    mse(ref(x), y).backward()
    ref_opt.step()
res["no_sync_vs_whole_batch"] = max_diff(model, ref)
other = [flow.zeros_like(local) for _ in range(world)]
flow.comm.all_gather(other, local)
res["no_sync_kept_local"] = not bool((other[0] == other[1]).all())

# 4. DistributedSampler epochs: each step's two rank batches together are one global batch
n = 20
data = TensorDataset(flow.randn(n, 3, dtype=flow.float64), flow.randn(n, 1, dtype=flow.float64))
ref = copy_of(model)
opt = flow.optim.SGD(ddp.parameters(), lr=0.1)
ref_opt = flow.optim.SGD(ref.parameters(), lr=0.1)
sampler = DistributedSampler(data, shuffle=True, seed=3)
loader = DataLoader(data, batch_size=5, sampler=sampler)
steps = 0
for epoch in range(2):
    sampler.set_epoch(epoch)
    samplers = [DistributedSampler(data, num_replicas=world, rank=r, shuffle=True, seed=3)
                for r in range(world)]
    for s in samplers:
        s.set_epoch(epoch)
    order = [list(s) for s in samplers]
    for i, (xb, yb) in enumerate(loader):
        opt.zero_grad()
        mse(ddp(xb), yb).backward()
        opt.step()
        idx = [j for o in order for j in o[5 * i: 5 * i + 5]]
        ref_opt.zero_grad()
        mse(ref(data.tensors[0][idx]), data.tensors[1][idx]).backward()
        ref_opt.step()
        steps += 1
res["sampler_steps"] = steps
res["sampler_vs_whole_batch"] = max_diff(model, ref)

# 5. float32: the same run agrees with one process to the printed precision
flow.manual_seed(1)
m32 = flow.nn.Linear(3, 1)
ref32 = flow.nn.Linear(3, 1)
ref32.load_state_dict(m32.state_dict())
d32 = DDP(m32)
x32, y32 = flow.randn(8, 3), flow.randn(8, 1)
o1, o2 = flow.optim.Adam(d32.parameters(), lr=0.01), flow.optim.Adam(ref32.parameters(), lr=0.01)
for step in range(10):
    o1.zero_grad(); mse(d32(x32[half]), y32[half]).backward(); o1.step()
    o2.zero_grad(); mse(ref32(x32), y32).backward(); o2.step()
res["float32_vs_whole_batch"] = float((m32.weight - ref32.weight).abs().max())
res["state_dict_keys"] = list(d32.state_dict())
print(json.dumps(res), flush=True)
"""


def test_ddp_equals_one_process_on_the_whole_batch():
    got = _rank_json(_run(DDP, timeout=180), 2)
    for r in got.values():
        assert r["same_start"], "the wrap did not broadcast rank 0's parameters"
        assert r["ddp_vs_whole_batch"] <= 1e-12, r
        assert r["no_sync_vs_whole_batch"] <= 1e-12, r
        assert r["no_sync_kept_local"], "no_sync averaged the gradients"
        assert r["sampler_steps"] == 4
        assert r["sampler_vs_whole_batch"] <= 1e-12, r
        assert r["float32_vs_whole_batch"] <= 1e-6, r
        assert r["state_dict_keys"] == ["weight", "bias"]
    assert got[0] == got[1]


MISMATCH = """
import flowkit as flow
width = 4 if flow.env.get_rank() == 0 else 5
flow.nn.parallel.DistributedDataParallel(flow.nn.Linear(3, width))
"""


def test_mismatched_models_at_wrap_are_a_clear_error():
    r = _run(MISMATCH)
    assert r.returncode != 0 and not r.timed_out
    assert "DistributedError: DistributedDataParallel: the ranks' models differ" in r.output
    assert "'weight': rank 0 has shape (4, 3) flowkit.float32, rank 1 has shape (5, 3)" in r.output
