"""W2DDP: the W2 MLP step under two-process DistributedDataParallel (a workload of the suite).

    python bench/suite.py --only W2DDP [--quick]      # the suite's way (flowkit bench --only W2DDP)
    python bench/ddp.py [--quick] [--backend torch]   # the same: W2DDP alone, the suite's table
    python bench/ddp.py --profile --backend torch     # where rank 0's DDP step goes (phases and
                                                      #     cProfile), flowkit vs torch DDP

The suite runs each (workload, backend) in its own child process; a DDP step needs two
processes, so W2DDP's child (``suite.py --child W2DDP --backend B``) starts this file as a rank
program on two ranks through ``flowkit.testing.distributed.launch`` (the launcher, with every
process of the run killed afterwards) and reads rank 0's report from its stdout. Inside the
ranks the suite's conventions hold: every implementation is built once, runs one untimed warm-up
(step by step from the same weights, losses kept), then the implementations alternate (forward
order on even rounds, reversed on odd ones); before each timed repeat the ranks meet at a
barrier (untimed), so a repeat of a DDP step measures both ranks stepping together. Threads: one
per rank (the suite's child environment; torchrun's default too).

Each rank trains on its own batch of 128 (rank 0: W2's batch; rank 1: another draw), from W2's
initial weights, SGD momentum 0.9, lr 0.01. Implementations, per backend:

    torch   flowkit DDP     flow.nn.parallel.DistributedDataParallel, flowkit's torch backend
            torch DDP       torch.nn.parallel.DistributedDataParallel on the same model as a
                            torch.nn.Module, same data and optimizer, the same default process
                            group (flowkit joins torch.distributed's; torch DDP uses it)
            flowkit local   the same step without DDP (W2's step), in the same ranks
            torch local     plain torch without DDP
            all_reduce      flow.comm.all_reduce and torch.distributed.all_reduce of one flat
                            float32 tensor of the gradients' size (235,146: one bucket)
    numpy   flowkit DDP     flowkit's numpy backend (collectives through torch.distributed/gloo
                            on tensors sharing the arrays' memory)
            flowkit local   the same step without DDP
            all_reduce      flow.comm.all_reduce of the flat gradient size

Communication share, two ways, both in the same rounds: (1) the paired difference DDP step minus
local step (the all-reduce, waiting for the other rank, and DDP's own work: hooks, flattening,
copying the averages back), as a share of the DDP step; (2) the all-reduce alone, its median over
the DDP step's median. Target: flowkit DDP <= 1.05x torch DDP (torch backend), printed as met /
NOT met, never asserted; numpy DDP vs its local step is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
import suite  # noqa: E402

ROOT = suite.ROOT
NPROC = 2
MARK = "W2DDP_RESULT "  # rank 0's report line
# (full, quick)
SETTINGS = suite.SETTINGS["W2DDP"]
TIMEOUT_S = suite.CHILD_TIMEOUT_S - 30


# ---------------------------------------------------------------------------------------------
# inside a rank


def rank_batch(rank):
    """Rank 0 trains on W2's batch, the others on their own draws (same shapes and classes)."""
    X, Y, params = suite.w2_data()
    if rank:
        rng = np.random.default_rng(rank)
        X = rng.standard_normal(X.shape).astype(np.float32)
        Y = rng.integers(0, suite.W2_SIZES[-1], Y.shape[0]).astype(np.int64)
    return X, Y, params


def _sgd(lib, model):
    return lib.optim.SGD(
        model.parameters(), lr=suite.W2_SGD["lr"], momentum=suite.W2_SGD["momentum"]
    )


def build_impls(backend, flow, rank):
    """The implementations of this backend, each with ``setup`` (untimed, once) and ``run``."""
    X, Y, params = rank_batch(rank)
    n_grad = sum(w.size + b.size for w, b in params)
    Impl = suite.Impl

    def fk_setup(ddp):
        def setup():
            model = suite._lib_mlp(flow, params, flow.tensor)
            if ddp:
                model = flow.nn.parallel.DistributedDataParallel(model)
            return (
                model,
                _sgd(flow, model),
                flow.nn.functional.cross_entropy,
                flow.tensor(X),
                flow.tensor(Y),
            )

        return setup

    def steps(st, n):
        return suite.train_steps(*st, n)

    impls = [
        Impl("flowkit_ddp", f"flowkit DDP ({backend} backend)", "flowkit", fk_setup(True), steps),
    ]
    if backend == "torch":
        import torch

        def t_setup(ddp):
            def setup():
                model = suite._lib_mlp(torch, params, torch.from_numpy)
                if ddp:
                    model = torch.nn.parallel.DistributedDataParallel(model)
                x, y = torch.from_numpy(X), torch.from_numpy(Y)
                return model, _sgd(torch, model), torch.nn.functional.cross_entropy, x, y

            return setup

        impls.append(
            Impl(
                "torch_ddp",
                "torch.nn.parallel.DistributedDataParallel",
                "baseline",
                t_setup(True),
                steps,
            )
        )
        impls.append(
            Impl("flowkit_local", "flowkit, no DDP (W2's step)", "flowkit", fk_setup(False), steps)
        )
        impls.append(
            Impl(
                "torch_local", "plain torch, no DDP (W2's step)", "baseline", t_setup(False), steps
            )
        )
    else:
        impls.append(
            Impl("flowkit_local", "flowkit, no DDP (W2's step)", "baseline", fk_setup(False), steps)
        )

    def ar_flow(st, n):
        for _ in range(n):
            flow.comm.all_reduce(st)
        return None

    impls.append(
        Impl("allreduce_flowkit", f"flow.comm.all_reduce of {n_grad:,} floats", "baseline",
             lambda: flow.zeros(n_grad), ar_flow)
    )  # fmt: skip
    if backend == "torch":
        import torch
        import torch.distributed as dist

        def ar_torch(st, n):
            for _ in range(n):
                dist.all_reduce(st)
            return None

        impls.append(
            Impl("allreduce_torch", "torch.distributed.all_reduce, same size",
                 "baseline", lambda: torch.zeros(n_grad), ar_torch)
        )  # fmt: skip
    for i in impls:
        i.read = (lambda st, out: {}) if i.key.startswith("allreduce") else suite.read_loss
    return impls, n_grad


def run_rounds(impls, steps, repeats, warmup, barrier):
    """The suite's ``interleave``, with an untimed barrier before every timed repeat (and the
    warm-up one step at a time, losses kept, for the trajectory check)."""
    clock = time.perf_counter_ns
    for i in impls:
        i.state = i.setup()
        for _ in range(warmup):
            i.out = i.run(i.state, 1)
            if i.out is not None:
                i.losses.append(float(i.out.item()))
    for r in range(repeats):
        for i in impls if r % 2 == 0 else impls[::-1]:
            barrier()
            t0 = clock()
            i.out = i.run(i.state, steps)
            i.samples.append((clock() - t0) / steps / 1e3)
    for i in impls:
        if i.read is not None:
            i.info.update(i.read(i.state, i.out))


def _param_digest(model):
    """The parameters, flattened (float64), to compare the ranks' copies."""
    mod = getattr(model, "module", model)
    return np.concatenate(
        [np.asarray(p.detach().numpy(), np.float64).ravel() for p in mod.parameters()]
    )


def _trajectory(a, b):
    if not a.losses or len(a.losses) != len(b.losses):
        return None
    scale = max(max(abs(v) for v in b.losses), 1e-30)
    return max(abs(p - q) for p, q in zip(a.losses, b.losses)) / scale


def _paired_diff(a, b):
    return statistics.median(x - y for x, y in zip(a.samples, b.samples))


def rank_bench(backend, quick):
    flow, err = suite._flowkit(backend)
    if flow is None:
        raise SystemExit(f"flowkit {backend} backend unavailable: {err}")
    flow.comm.barrier()  # join the run's process group (torch.distributed's default group)
    import torch.distributed as dist

    rank, world = flow.env.get_rank(), flow.env.get_world_size()
    steps, repeats, warmup = (SETTINGS[k][quick] for k in ("steps", "repeats", "warmup"))
    impls, n_grad = build_impls(backend, flow, rank)
    t0 = time.time()
    run_rounds(impls, steps, repeats, warmup, flow.comm.barrier)
    seconds = time.time() - t0
    by = {i.key: i for i in impls}

    # the ranks' copies after training: DDP keeps them identical
    gathered = [None] * world
    digests = {k: _param_digest(by[k].state[0]) for k in ("flowkit_ddp", "torch_ddp") if k in by}
    dist.all_gather_object(gathered, {k: v.tolist() for k, v in digests.items()})
    medians = [None] * world
    dist.all_gather_object(medians, {i.key: statistics.median(i.samples) for i in impls})
    if rank != 0:
        return None

    notes = []
    for k in digests:
        worst = max(float(np.abs(np.asarray(g[k]) - digests[k]).max()) for g in gathered)
        by[k].info["ranks_max_param_diff"] = worst
        notes.append(
            f"{by[k].label}: parameters of the {world} ranks after training, "
            f"max |diff| = {worst:.1e}"
        )
    # communication share
    fk = by["flowkit_ddp"]
    comm = {}
    pairs = [("flowkit_ddp", "flowkit_local")] + (
        [("torch_ddp", "torch_local")] if "torch_ddp" in by else []
    )
    for dk, lk in pairs:
        d, loc = by[dk], by[lk]
        diff = _paired_diff(d, loc)
        med = statistics.median(d.samples)
        d.info["ddp_minus_local_us"] = diff
        d.info["comm_share"] = diff / med
        comm[dk] = {"ddp_minus_local_us": diff, "share": diff / med, "ddp_median_us": med}
    for ak, dk in (("allreduce_flowkit", "flowkit_ddp"), ("allreduce_torch", "torch_ddp")):
        if ak in by:
            med = statistics.median(by[ak].samples)
            by[ak].info["share_of"] = {"key": dk, "share": med / statistics.median(by[dk].samples)}
            comm[ak] = {"median_us": med, "share_of_" + dk: med / statistics.median(by[dk].samples)}
    if "torch_ddp" in by:
        t = _trajectory(fk, by["torch_ddp"])
        if t is not None:
            notes.append(
                f"flowkit DDP vs torch DDP: loss trajectory over the {warmup} warm-up steps from "
                f"the same weights and batches ({fk.losses[0]:.4g} -> {fk.losses[-1]:.4g}), "
                f"max |diff| / max |loss| = {t:.1e}"
            )
        local = by["flowkit_local"]
        r = statistics.median(a / b for a, b in zip(local.samples, by["torch_local"].samples))
        local.info["vs_torch_local"] = r
    rows = [i.row("W2DDP", backend, "us") for i in impls]
    for row in rows:
        row["info"]["rank_medians"] = [m[row["key"]] for m in medians]
    return {
        "rows": rows,
        "settings": {
            "steps": steps,
            "repeats": repeats,
            "warmup": warmup,
            "nproc": world,
            "batch_per_rank": suite.W2_BATCH,
            "sizes": suite.W2_SIZES,
            "sgd": suite.W2_SGD,
            "grad_elements": n_grad,
            "bucket_cap_mb": 25,
            "process_group": dist.get_backend(),
            "threads": {
                k: os.environ.get(k)
                for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
            },
        },
        "comm": comm,
        "notes": notes,
        "rank_seconds": round(seconds, 1),
        "torch_imported": True,
    }


def bucket_costs(backend, flow, state, n, rank):
    """What DDP does around the all-reduce, timed alone (no communication), n calls, median of
    9 chunks alternating with the same work in raw tensor ops: flowkit's bucket work as
    distributed.py's _launch/_finish do it (cat of the reshaped grads, div_, a slice, reshape and
    copy_ back per parameter) vs the same in plain torch (numpy: numpy); and flow.comm.all_reduce
    of one element vs torch.distributed.all_reduce of one element (the wrapper's cost plus a
    tiny collective's latency: the difference is the wrapper)."""
    import torch
    import torch.distributed as dist

    model = getattr(state[0], "module", state[0])
    params = list(model.parameters())
    world = flow.env.get_world_size()

    def fk_bucket(_):
        with flow.no_grad():
            flat = flow.cat([p.grad.reshape(-1) for p in params])
            flat = flat.div_(world)
            offset = 0
            for p in params:
                k = p.numel()
                p.grad.copy_(flat[offset : offset + k].reshape(p.shape))
                offset += k

    if backend == "torch":
        raw = [torch.from_numpy(np.asarray(p.grad.numpy())).clone() for p in params]

        def raw_bucket(_):
            flat = torch.cat([g.reshape(-1) for g in raw])
            flat.div_(world)
            offset = 0
            for g in raw:
                k = g.numel()
                g.copy_(flat[offset : offset + k].view_as(g))
                offset += k
    else:
        raw = [np.array(p.grad.numpy()) for p in params]

        def raw_bucket(_):
            flat = np.concatenate([g.reshape(-1) for g in raw])
            flat /= world
            offset = 0
            for g in raw:
                k = g.size
                g[...] = flat[offset : offset + k].reshape(g.shape)
                offset += k

    one_fk, one_t = flow.zeros(1), torch.zeros(1)
    cases = [
        ("bucket work, flowkit ops (as distributed.py)", fk_bucket),
        (f"bucket work, raw {'torch' if backend == 'torch' else 'numpy'} ops", raw_bucket),
        ("flow.comm.all_reduce, 1 element", lambda _: flow.comm.all_reduce(one_fk)),
        ("torch.distributed.all_reduce, 1 element", lambda _: dist.all_reduce(one_t)),
    ]
    clock = time.perf_counter_ns
    chunks = {name: [] for name, _ in cases}
    for c in range(9):
        for name, fn in cases if c % 2 == 0 else cases[::-1]:
            flow.comm.barrier()
            t0 = clock()
            for _ in range(n):
                fn(None)
            chunks[name].append((clock() - t0) / n / 1e3)
    if rank == 0:
        print(f"\nDDP's work around the all-reduce, rank 0: us/call, median of 9 chunks of {n}")
        for name, v in chunks.items():
            print(f"  {name:48s} {statistics.median(v):9.1f}")


def rank_profile(backend, steps):
    """Phase breakdown (forward, loss, zero_grad, backward incl. the all-reduce, step) of the DDP
    step, flowkit and (torch backend) torch DDP alternating in chunks, then cProfile of flowkit's
    DDP step on rank 0. Every rank runs the same steps (rank 1 unprofiled)."""
    import cProfile

    flow, err = suite._flowkit(backend)
    if flow is None:
        raise SystemExit(f"flowkit {backend} backend unavailable: {err}")
    flow.comm.barrier()
    rank = flow.env.get_rank()
    impls, _ = build_impls(backend, flow, rank)
    ddps = [i for i in impls if i.key.endswith("_ddp")]
    clock = time.perf_counter_ns
    names = ("forward", "loss", "zero_grad", "backward + all-reduce", "step")
    states = [i.setup() for i in ddps]
    for st in states:
        suite.train_steps(*st, 5)
    chunks = {i.key: [] for i in ddps}
    for c in range(9):
        for i, st in list(zip(ddps, states))[:: 1 if c % 2 == 0 else -1]:
            model, opt, ce, x, y = st
            tot = [0] * 5
            flow.comm.barrier()
            for _ in range(steps):
                t0 = clock()
                out = model(x)
                t1 = clock()
                loss = ce(out, y)
                t2 = clock()
                opt.zero_grad()
                t3 = clock()
                loss.backward()
                t4 = clock()
                opt.step()
                t5 = clock()
                for k, (a, b) in enumerate(((t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5))):
                    tot[k] += b - a
            chunks[i.key].append([v / steps / 1e3 for v in tot])
    if rank == 0:
        print(
            f"W2DDP phase breakdown, {backend} backend, rank 0: us/step, median of 9 chunks "
            f"of {steps} steps"
        )
        med = {k: [statistics.median(c[p] for c in v) for p in range(5)] for k, v in chunks.items()}
        keys = list(med)
        print(f"  {'phase':24s}" + "".join(f"{k:>14s}" for k in keys))
        for p, name in enumerate(names):
            print(f"  {name:24s}" + "".join(f"{med[k][p]:14.1f}" for k in keys))
        print(f"  {'sum':24s}" + "".join(f"{sum(med[k]):14.1f}" for k in keys))
    bucket_costs(backend, flow, states[0], steps * 5, rank)
    st = states[0]
    flow.comm.barrier()
    prof = cProfile.Profile() if rank == 0 else None
    if prof:
        prof.enable()
    suite.train_steps(*st, steps)
    if prof:
        prof.disable()
        print(
            f"\ncProfile, flowkit DDP ({backend}), rank 0, {steps} steps (times inflated by "
            "the profiler; call counts per step are exact):"
        )
        suite.tutorial_step.print_cprofile(prof, steps, top=30)


# ---------------------------------------------------------------------------------------------
# the suite's child: two ranks through the launcher


def run_ranks(backend, quick, timeout=TIMEOUT_S, extra=()):
    """Run this file on NPROC ranks (``backend``), return rank 0's result (or an error dict)."""
    from flowkit.distributed import is_available

    if not is_available():
        return {
            "skipped": "needs torch.distributed (every backend's collectives run on it)",
            "rows": [],
        }
    from flowkit.testing.distributed import launch

    args = ["--backend", backend] + (["--quick"] if quick else []) + list(extra)
    env = {"FLOWKIT_BACKEND": backend}
    t0 = time.perf_counter()
    res = launch(os.path.abspath(__file__), NPROC, args=args, env=env, timeout=timeout, cwd=ROOT)
    wall = time.perf_counter() - t0
    out0 = res.rank_stdout.get(0, "")
    if extra:  # --profile: the text is the result
        return {"text": out0, "error": None if res.returncode == 0 else res.output[-2000:]}
    lines = [ln for ln in out0.splitlines() if ln.startswith(MARK)]
    if res.timed_out or res.returncode != 0 or not lines:
        why = "timed out" if res.timed_out else f"launcher exited {res.returncode}"
        tail = (res.output.strip().splitlines() or ["?"])[-1]
        return {"error": f"{why}: {tail[:300]}", "rows": []}
    result = json.loads(lines[-1][len(MARK) :])
    result["launch_seconds"] = round(wall, 1)
    return result


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--backend", help="numpy or torch (default: both, as the suite does)")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--profile", action="store_true", help="phases and cProfile of a DDP step")
    p.add_argument("--steps", type=int, default=20, help="with --profile: steps per chunk")
    p.add_argument("--json", help="(suite) where to write the JSON")
    args = p.parse_args(argv)
    in_rank = "RANK" in os.environ and "MASTER_PORT" in os.environ
    if in_rank:
        if args.profile:
            rank_profile(args.backend or "torch", args.steps)
            return 0
        res = rank_bench(args.backend or "torch", int(bool(args.quick)))
        if res is not None:
            print(MARK + json.dumps(res), flush=True)
        return 0
    if args.profile:
        res = run_ranks(args.backend or "torch", 0, extra=["--profile", "--steps", str(args.steps)])
        print(res["text"])
        if res["error"]:
            print(res["error"], file=sys.stderr)
            return 1
        return 0
    argv_suite = ["--only", "W2DDP"] + (["--quick"] if args.quick else [])
    argv_suite += ["--backend", args.backend] if args.backend else []
    argv_suite += ["--json", args.json] if args.json else []
    return suite.main(argv_suite)


if __name__ == "__main__":
    sys.exit(main())
