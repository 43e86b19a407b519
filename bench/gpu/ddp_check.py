"""DDP on CUDA with NCCL: one prepared check for a lent GPU machine.

    python -m flowkit.distributed.launch --nproc_per_node N bench/gpu/ddp_check.py
    # N = the GPUs to use; 1 still runs every collective through NCCL

Each rank takes cuda:LOCAL_RANK (the torch backend's default in a distributed run), trains the
W2 MLP (784-256-128-10, SGD momentum) on its own quarter-batch with flowkit's
DistributedDataParallel, and checks that its parameters equal one process trained on the whole
batch (float64: 1e-10); then it times a DDP step against torch.nn.parallel.DistributedDataParallel
on the same model and data in the same ranks, alternating, and rank 0 prints the medians and the
paired ratio (target <= 1.05x). Needs FLOWKIT_BACKEND=torch and torch with CUDA.
"""

from __future__ import annotations

import os
import statistics
import time

import torch

import flowkit as flow
from flowkit.nn.parallel import DistributedDataParallel as DDP

rank, world = flow.env.get_rank(), flow.env.get_world_size()
ON_CPU = os.environ.get("DDP_CHECK_ON_CPU") == "1"  # a smoke test of this script, no GPU
assert flow.backend().name == "torch", "run with FLOWKIT_BACKEND=torch"
assert ON_CPU or flow.backend().device.type == "cuda", f"no CUDA device: {flow.backend()}"
dev = flow.backend().device


def mlp(dtype):
    flow.manual_seed(0)
    return flow.nn.Sequential(
        flow.nn.Linear(784, 256), flow.nn.ReLU(), flow.nn.Linear(256, 128), flow.nn.ReLU(),
        flow.nn.Linear(128, 10),
    ).to(dtype)  # fmt: skip


# 1. correctness: halves (quarters...) of a batch under DDP == the whole batch in one process
flow.manual_seed(1)
x = flow.randn(128 * world, 784, dtype=flow.float64)
y = flow.randint(0, 10, (128 * world,))
model, ref = DDP(mlp(flow.float64)), mlp(flow.float64)
opt = flow.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
ref_opt = flow.optim.SGD(ref.parameters(), lr=0.01, momentum=0.9)
mine = slice(128 * rank, 128 * (rank + 1))
for _ in range(5):
    opt.zero_grad()
    flow.nn.functional.cross_entropy(model(x[mine]), y[mine]).backward()
    opt.step()
    ref_opt.zero_grad()
    flow.nn.functional.cross_entropy(ref(x), y).backward()
    ref_opt.step()
diff = max(float((p - q).abs().max()) for p, q in zip(model.parameters(), ref.parameters()))
print(f"rank {rank} on {dev}: DDP vs one process on the whole batch, max |diff| {diff:.1e}")
assert diff < 1e-10, diff

# 2. speed: flowkit DDP vs torch DDP, float32, the same data and process group
fk = DDP(mlp(flow.float32))
xf, yf = x[mine].float(), y[mine]
xt, yt = xf._t, yf._t  # the same device arrays, for raw torch
tm = torch.nn.Sequential(
    torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(),
    torch.nn.Linear(128, 10),
).to(xt.device)  # fmt: skip
tm = torch.nn.parallel.DistributedDataParallel(tm)
fo = flow.optim.SGD(fk.parameters(), lr=0.01, momentum=0.9)
to = torch.optim.SGD(tm.parameters(), lr=0.01, momentum=0.9)


def fk_step():
    fo.zero_grad()
    flow.nn.functional.cross_entropy(fk(xf), yf).backward()
    fo.step()


def torch_step():
    to.zero_grad()
    torch.nn.functional.cross_entropy(tm(xt), yt).backward()
    to.step()


def sync():
    if not ON_CPU:
        torch.cuda.synchronize()


def timed(step, n=50):
    sync()
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    sync()
    return (time.perf_counter() - t0) / n


for step in (fk_step, torch_step):
    timed(step, 20)  # warm-up
ratios, fks, ts = [], [], []
for r in range(21):
    order = (fk_step, torch_step) if r % 2 == 0 else (torch_step, fk_step)
    got = {s: timed(s) for s in order}
    fks.append(got[fk_step])
    ts.append(got[torch_step])
    ratios.append(got[fk_step] / got[torch_step])
if rank == 0:
    WHERE = "CPU process(es), gloo" if ON_CPU else "GPU(s), NCCL"
    ratio = statistics.median(ratios)
    print(
        f"W2 DDP step on {world} {WHERE}: flowkit {statistics.median(fks) * 1e6:.0f} us, "
        f"torch DDP {statistics.median(ts) * 1e6:.0f} us, paired ratio {ratio:.3f} "
        f"(target <= 1.05: {'met' if ratio <= 1.05 else 'NOT met'})"
    )
