"""flowkit's benchmark suite: every workload on every backend, each against its baselines.

    python bench/suite.py                     # the full suite (~3-4 min on 2 cores)
    python bench/suite.py --quick             # fewer repeats, 1,000 memory steps (~1-1.5 min)
    python bench/suite.py --only W1,W2        # some workloads (W1 W1G W2 W2G W2DDP W3 startup
                                              #     memory conv)
    python bench/suite.py --docs              # ... and rewrite docs/assets/performance.svg and
                                              #     the results tables of docs/*/performance.md
    python bench/suite.py --profile W2 --backend numpy   # where a W2 step's time goes
    flowkit bench [same options]              # the same, from the command line

Workloads (see bench/README.md for what each number means):

    W1       the tutorial's training step (bench/tutorial_step.py's workload, reused as is)
    W1G      W1 written as an nn.Graph (build: loss, loss.backward(); add_optimizer), against the
             same baselines, with flowkit's eager step alongside
    W2       a 784-256-128-10 ReLU MLP, cross-entropy, batch 128, SGD momentum 0.9 and Adam
    W2G      W2 written as an nn.Graph, SGD and Adam, against W2's baselines and the eager step
    W2DDP    W2 (SGD momentum) under two-process DistributedDataParallel, each rank its own batch
             of 128: flowkit's DDP against torch.nn.parallel.DistributedDataParallel (torch) and
             against its own step without DDP (numpy), and the all-reduce's share of the step;
             the child starts bench/ddp.py on two ranks through the launcher (see there)
    W3       op overhead: ``(a * b + c).sum()`` on 2x2 tensors, with backward
    startup  wall time and peak RSS of a fresh ``python -c`` (import + one tensor), and of the
             whole tutorial program, per backend
    memory   resident memory over 10,000 W2 (Adam) steps (1,000 with --quick)
    conv     an epoch of bench/conv_digits.py's conv net on the 8x8 digits

A process has one backend (``FLOWKIT_BACKEND`` is read once), so every (workload, backend) pair
runs in its own child process, and the baselines of that backend run in the SAME child, in
alternating order (flowkit, baseline, ..., then reversed), one untimed warm-up round first.
Reported: medians over the repeats, and flowkit/baseline ratios taken round by round (paired)
and then the median. Targets are printed as met / NOT met and never asserted.

Threads: children run with OMP/OpenBLAS/MKL at one thread unless ``--threads 0`` (as found). On
a shared 2-core machine a two-thread BLAS or OpenMP pool stalls whenever another job holds a
core: plain torch's W2 step went from 2.1 ms (1 thread) to 90-110 ms (2 threads) under a load
average of ~3, which would measure the neighbours, not the code.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:  # the sibling scripts, however this one was started (never another
    sys.path.insert(0, HERE)  # `bench` package that happens to be on the path)
import tutorial_step  # noqa: E402

ROOT = os.path.dirname(HERE)
WORKLOADS = ("W1", "W1G", "W2", "W2G", "W2DDP", "W3", "startup", "memory", "conv")
BACKENDS = ("numpy", "torch")
CHILD_TIMEOUT_S = 480
DEFAULT_JSON = os.path.join(HERE, "results", "suite.json")

# repeats etc.: (full, quick)
SETTINGS = {
    "W1": {"steps": (500, 500), "repeats": (21, 9)},
    "W1G": {"steps": (500, 500), "repeats": (21, 9), "warmup": (100, 100)},
    "W2": {"steps": (25, 10), "repeats": (21, 9), "warmup": (5, 3)},
    "W2G": {"steps": (25, 10), "repeats": (21, 9), "warmup": (10, 10)},
    "W2DDP": {"steps": (25, 10), "repeats": (21, 9), "warmup": (5, 5)},
    "W3": {"iters": (500, 500), "repeats": (21, 9)},
    "startup": {"repeats": (7, 3)},
    "memory": {"steps": (10_000, 1_000), "warmup": (200, 100)},
    "conv": {"epochs": (5, 3)},
}

# W2
W2_SIZES = (784, 256, 128, 10)
W2_BATCH = 128
W2_SGD = {"lr": 0.01, "momentum": 0.9}
W2_ADAM = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8}

# The targets, per (workload, backend, flowkit row key). kind "ratio": the paired ratio to the
# baseline `vs` must be <= limit; kind "abs": the flowkit median must be <= limit (its unit).
TARGETS = {
    ("W1", "numpy", "flowkit"): {
        "kind": "ratio",
        "vs": "numpy_plain",
        "limit": 4.0,
        "text": "<= 4x hand numpy (~25 us)",
    },
    ("W1", "torch", "flowkit"): {
        "kind": "ratio",
        "vs": "torch_optim",
        "limit": 1.0,
        "text": "<= 1.0x plain torch",
    },
    ("W1G", "numpy", "flowkit_graph"): {
        "kind": "ratio",
        "vs": "numpy_plain",
        "limit": 2.0,
        "text": "<= 2x hand numpy",
    },
    ("W1G", "torch", "flowkit_graph"): {
        "kind": "ratio",
        "vs": "torch_optim",
        "limit": 0.8,
        "text": "<= 0.8x plain torch",
    },
    # W2 in nn.Graph: no target in the issue; the ratio to W2's baselines is reported
    ("W2G", "numpy", "graph_sgd"): {"kind": None, "vs": "hand_sgd", "text": "(reported)"},
    ("W2G", "numpy", "graph_adam"): {"kind": None, "vs": "hand_adam", "text": "(reported)"},
    ("W2G", "torch", "graph_sgd"): {"kind": None, "vs": "torch_sgd", "text": "(reported)"},
    ("W2G", "torch", "graph_adam"): {"kind": None, "vs": "torch_adam", "text": "(reported)"},
    ("W2", "numpy", "flowkit_sgd"): {
        "kind": "ratio",
        "vs": "hand_sgd",
        "limit": 1.15,
        "text": "<= 1.15x hand numpy",
    },
    ("W2", "numpy", "flowkit_adam"): {
        "kind": "ratio",
        "vs": "hand_adam",
        "limit": 1.2,
        "text": "<= 1.2x hand numpy",
    },
    ("W2", "torch", "flowkit_sgd"): {
        "kind": "ratio",
        "vs": "torch_sgd",
        "limit": 1.05,
        "text": "<= 1.05x plain torch",
    },
    ("W2", "torch", "flowkit_adam"): {
        "kind": "ratio",
        "vs": "torch_adam",
        "limit": 1.05,
        "text": "<= 1.05x plain torch",
    },
    # W2 under 2-process DDP (bench/ddp.py); the numpy backend against its own local step
    ("W2DDP", "torch", "flowkit_ddp"): {
        "kind": "ratio",
        "vs": "torch_ddp",
        "limit": 1.05,
        "text": "<= 1.05x torch DDP",
    },
    ("W2DDP", "torch", "flowkit_local"): {"kind": None, "vs": "torch_local", "text": "(reported)"},
    ("W2DDP", "numpy", "flowkit_ddp"): {
        "kind": None,
        "vs": "flowkit_local",
        "text": "(reported)",
    },
    ("W3", "numpy", "flowkit"): {"kind": "abs", "vs": "hand", "limit": 25.0, "text": "<= 25 us"},
    ("W3", "torch", "flowkit"): {
        "kind": "ratio",
        "vs": "torch",
        "limit": 1.2,
        "text": "<= 1.2x PyTorch",
    },
    ("startup", "numpy", "flowkit_import"): {
        "kind": "abs",
        "vs": "numpy_import",
        "limit": 0.25,
        "text": "<= 0.25 s, torch not imported",
    },
    ("startup", "torch", "flowkit_import"): {
        "kind": "ratio",
        "vs": "torch_import",
        "limit": 1.15,
        "text": "<= 1.15x import torch",
    },
    ("startup", "numpy", "flowkit_program"): {
        "kind": None,
        "vs": "numpy_program",
        "text": "(reported)",
    },
    ("startup", "torch", "flowkit_program"): {
        "kind": None,
        "vs": "torch_program",
        "text": "(reported)",
    },
    ("memory", "numpy", "flowkit"): {"kind": "abs", "limit": 5.0, "text": "growth < 5 MB"},
    ("memory", "torch", "flowkit"): {"kind": "abs", "limit": 5.0, "text": "growth < 5 MB"},
    ("conv", "numpy", "flowkit"): {
        "kind": "abs",
        "vs": "torch",
        "limit": 60.0,
        "text": "< 60 s/epoch",
    },
    ("conv", "torch", "flowkit"): {"kind": None, "vs": "torch", "text": "(reported)"},
}

TITLES = {
    "W1": "W1 tutorial step",
    "W1G": "W1 in nn.Graph",
    "W2": "W2 MLP step",
    "W2G": "W2 in nn.Graph",
    "W2DDP": "W2 DDP, 2 ranks",
    "W3": "W3 op overhead",
    "startup": "start-up",
    "memory": "memory (W2)",
    "conv": "conv net epoch",
}


def _oneline(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:300]


# ---------------------------------------------------------------------------------------------
# machine description


def machine_info(threads_env=None):
    m = tutorial_step.machine_info()
    env = threads_env if threads_env is not None else os.environ
    m["OPENBLAS_NUM_THREADS"] = env.get("OPENBLAS_NUM_THREADS")
    m["OMP_NUM_THREADS"] = env.get("OMP_NUM_THREADS")
    m["MKL_NUM_THREADS"] = env.get("MKL_NUM_THREADS")
    try:
        m["loadavg"] = [round(v, 2) for v in os.getloadavg()]
    except OSError:
        m["loadavg"] = None
    return m


def _rss_mb():
    """Resident set size now, in MB (Linux /proc; None elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return None


def _peak_rss_mb(ru_maxrss):
    return ru_maxrss / 2**20 if sys.platform == "darwin" else ru_maxrss / 2**10


# ---------------------------------------------------------------------------------------------
# the timing harness: implementations built once, run alternately, samples per unit of work


class Impl:
    """One implementation of a workload: ``setup() -> state`` (untimed, once), ``run(state, n)``
    (timed; n units of work), ``read(state, out) -> dict`` (untimed, after the last repeat).

    With ``trace`` (``out -> float``, the loss a ``run`` returned), the warm-up runs one step at a
    time from the initial weights and keeps every step's loss in ``losses`` (the trajectory the
    nn.Graph workloads compare), and times the first step alone (``info["first_call_ms"]``:
    where an nn.Graph records or compiles its step)."""

    def __init__(self, key, label, role, setup=None, run=None, read=None, trace=None):
        self.key, self.label, self.role = key, label, role
        self.setup, self.run, self.read, self.trace = setup, run, read, trace
        self.samples: list[float] = []
        self.error = None
        self.info: dict = {}
        self.state = self.out = None
        self.losses: list[float] = []

    def row(self, workload, backend, unit):
        s = self.samples if self.error is None else []
        return {
            "workload": workload,
            "backend": backend,
            "key": self.key,
            "label": self.label,
            "role": self.role,
            "unit": unit,
            "error": self.error,
            "median": statistics.median(s) if s else None,
            "min": min(s) if s else None,
            "max": max(s) if s else None,
            "samples": [round(v, 4) for v in s],
            "info": self.info,
        }


def interleave(impls, n, repeats, warmup_n, scale=1e-3, sync=None):
    """Run every implementation ``repeats`` times, alternating (forward order on even rounds,
    reversed on odd ones), after one untimed warm-up of ``warmup_n`` units. A sample is the
    repeat's time divided by ``n``, times ``scale`` (from ns: 1e-3 gives us)."""
    clock = time.perf_counter_ns
    for i in impls:
        if i.error is None:
            try:
                i.state = i.setup()
                if warmup_n and i.trace is not None:  # step by step, keeping the losses
                    if sync:
                        sync()
                    t0 = clock()
                    i.out = i.run(i.state, 1)
                    if sync:
                        sync()
                    i.info["first_call_ms"] = (clock() - t0) / 1e6
                    i.losses.append(i.trace(i.out))
                    for _ in range(warmup_n - 1):
                        i.out = i.run(i.state, 1)
                        i.losses.append(i.trace(i.out))
                elif warmup_n:
                    i.out = i.run(i.state, warmup_n)
                    if sync:
                        sync()
            except Exception as exc:  # noqa: BLE001 - reported as the row's error
                i.error = _oneline(exc)
    for r in range(repeats):
        for i in impls if r % 2 == 0 else impls[::-1]:
            if i.error is not None:
                continue
            try:
                if sync:
                    sync()
                t0 = clock()
                i.out = i.run(i.state, n)
                if sync:
                    sync()
                i.samples.append((clock() - t0) / n * scale)
            except Exception as exc:  # noqa: BLE001
                i.error = _oneline(exc)
    for i in impls:
        if i.error is None and i.read is not None:
            try:
                i.info.update(i.read(i.state, i.out))
            except Exception as exc:  # noqa: BLE001
                i.info["read_error"] = _oneline(exc)


def _flowkit(backend):
    """``(flow, None)`` with the backend selected, or ``(None, error)``."""
    os.environ["FLOWKIT_BACKEND"] = backend
    try:
        import flowkit as flow

        flow.use_backend(backend)
        return flow, None
    except Exception as exc:  # noqa: BLE001 - the baselines still run
        return None, _oneline(exc)


def _torch_device(flow):
    try:
        return str(flow.backend().device) if flow is not None else "cpu"
    except Exception:  # noqa: BLE001
        return "cpu"


def _torch_sync(torch, device):
    return torch.cuda.synchronize if str(device).startswith("cuda") else None


def _backend_sync(backend, flow):
    """What brackets a timed run: torch.cuda.synchronize for the torch backend on CUDA, else
    None."""
    if backend != "torch":
        return None
    import torch

    return _torch_sync(torch, _torch_device(flow))


# ---------------------------------------------------------------------------------------------
# W1: the tutorial step (bench/tutorial_step.py's workload and loops)


def child_w1(backend, quick):
    st = SETTINGS["W1"]
    steps, repeats = st["steps"][quick], st["repeats"][quick]
    res = tutorial_step.run_child(backend, steps, repeats, tutorial_step.LR)
    rows = []
    for r in res["rows"]:
        rows.append(
            {
                "workload": "W1",
                "backend": backend,
                "key": r["key"],
                "label": r["implementation"],
                "role": r["role"],
                "unit": "us",
                "error": r["error"],
                "median": r["us_per_step_median"],
                "min": r["us_per_step_min"],
                "max": r["us_per_step_max"],
                "samples": r["samples_us_per_step"],
                "info": {"final_loss": r["final_loss"], "final_w": r["final_w"]},
            }
        )
    return {
        "rows": rows,
        "settings": {"steps": steps, "repeats": repeats},
        "torch_imported": res.get("torch_imported"),
    }


# ---------------------------------------------------------------------------------------------
# nn.Graph: the same training steps written as graphs (W1G, W2G), public nn.Graph API only


def train_graph_class(flow):
    """The training step as an ``nn.Graph``: ``build`` computes the loss and calls
    ``loss.backward()``; the graph then runs the optimizer's ``step()`` and ``zero_grad()``
    (``add_optimizer``). The eager loops' step, minus the two calls the graph makes itself."""

    class TrainStep(flow.nn.Graph):
        def __init__(self, model, loss_fn, optimizer):
            super().__init__()
            self.model = model
            self.loss_fn = loss_fn
            self.add_optimizer(optimizer)

        def build(self, x, y):
            loss = self.loss_fn(self.model(x), y)
            loss.backward()
            return loss

    return TrainStep


def graph_steps(graph, x, y, n):
    """n calls of a training graph (each one whole step); the last loss."""
    for _ in range(n):
        loss = graph(x, y)
    return loss


def _loss_value(out):
    return float(out.item() if hasattr(out, "item") else out)


def read_loss(state, out):
    """An Impl's ``read``: the last loss."""
    return {"final_loss": _loss_value(out)}


def _paired_ratio(a, b):
    if a.error is None and b.error is None and a.samples and len(a.samples) == len(b.samples):
        return statistics.median(x / y for x, y in zip(a.samples, b.samples))
    return None


def graph_checks(impls, triples):
    """The loss trajectories of the warm-up, which every implementation ran one step at a time
    from the same initial weights: the graph's against flowkit's eager step (the contract of
    nn.Graph: the same numbers) and against the baseline (float32 rounding apart). Also puts the
    graph's paired ratio to the eager step in its row (``info["vs_eager"]``)."""
    by = {i.key: i for i in impls}
    out = []
    for gk, ek, bk in triples:
        g, e, b = by[gk], by[ek], by[bk]
        c = {
            "graph": gk,
            "eager": ek,
            "baseline": bk,
            "graph_label": g.label,
            "baseline_label": b.label,
        }
        if g.error is None and e.error is None:
            r = _paired_ratio(g, e)
            if r is not None:
                g.info["vs_eager"] = r
        if g.error or e.error or not g.losses or len(g.losses) != len(e.losses):
            c["error"] = g.error or e.error or "no loss trajectory"
            out.append(c)
            continue
        diffs = [abs(p - q) for p, q in zip(g.losses, e.losses)]
        c.update(
            steps=len(g.losses),
            identical=g.losses == e.losses,
            max_abs_diff=max(diffs),
            max_rel_diff=max(d / max(abs(q), 1e-30) for d, q in zip(diffs, e.losses)),
            first_loss=g.losses[0],
            last_loss=g.losses[-1],
        )
        if b.error is None and len(b.losses) == len(g.losses):
            scale = max(max(abs(q) for q in b.losses), 1e-30)
            c["baseline_max_diff_scaled"] = (
                max(abs(p - q) for p, q in zip(g.losses, b.losses)) / scale
            )
        out.append(c)
    return out


def w1g_impls(backend, flow, flow_error):
    """W1G's implementations, all traced (the warm-up keeps every loss) and built from the same
    initial w: flowkit's step as an nn.Graph (key ``flowkit_graph``), flowkit's eager step
    (``flowkit_eager``) and W1's baselines for the backend (bench/tutorial_step.py's:
    ``torch_optim``, ``torch_raw``; ``numpy_plain``, ``numpy_prealloc``). Each is built once and
    trains on across the repeats (the graph records or compiles its step on its first call, in the
    warm-up; rebuilding it per repeat would time that again)."""
    w0, lr = tutorial_step.initial_w(), tutorial_step.LR
    graph = Impl(
        "flowkit_graph",
        f"flowkit nn.Graph ({backend} backend)",
        "flowkit",
        read=read_loss,
        trace=_loss_value,
    )
    eager = Impl(
        "flowkit_eager",
        f"flowkit eager ({backend} backend; shown)",
        "baseline",
        read=read_loss,
        trace=_loss_value,
    )
    if flow is None:
        graph.error = eager.error = flow_error
    else:
        fk = tutorial_step.flowkit_impl(flow, backend, w0, lr)  # build(): model, loss, optimizer
        TrainStep = train_graph_class(flow)
        x = flow.tensor(tutorial_step.X, dtype=flow.float32)
        y = flow.tensor(tutorial_step.Y, dtype=flow.float32)
        graph.setup = lambda: TrainStep(*fk.build())
        graph.run = lambda g, n: graph_steps(g, x, y, n)
        eager.setup, eager.run = fk.build, fk.loop
    if backend == "torch":
        import torch

        src = tutorial_step.torch_impls(torch, _torch_device(flow), w0, lr)
    else:
        src = tutorial_step.numpy_impls(w0, lr)
    return [graph, eager] + [
        Impl(
            b.key, b.label, "baseline", setup=b.build, run=b.loop, read=read_loss, trace=_loss_value
        )
        for b in src
    ]


def child_w1g(backend, quick):
    """W1 as an nn.Graph, with flowkit's eager step and W1's baselines in the same child."""
    st = SETTINGS["W1G"]
    steps, repeats, warmup = st["steps"][quick], st["repeats"][quick], st["warmup"][quick]
    flow, err = _flowkit(backend)
    impls = w1g_impls(backend, flow, err)
    interleave(impls, steps, repeats, warmup, sync=_backend_sync(backend, flow))
    check = graph_checks(impls, [("flowkit_graph", "flowkit_eager", impls[2].key)])
    return {
        "rows": [i.row("W1G", backend, "us") for i in impls],
        "settings": {"steps": steps, "repeats": repeats, "warmup": warmup, "lr": tutorial_step.LR},
        "trajectory_check": check,
        "torch_imported": "torch" in sys.modules,
    }


# ---------------------------------------------------------------------------------------------
# W2: the MLP step


def w2_data(sizes=W2_SIZES, batch=W2_BATCH):
    """Fixed random data and initial weights (PyTorch's Linear init ranges), float32; weights in
    the (out, in) layout of flowkit's and torch's Linear: ``(x, y, [(w, b), ...])``. W2's by
    default; other ``sizes`` (input, hidden, hidden, classes) and ``batch`` for a larger MLP (the
    GPU bench's)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch).astype(np.int64)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / math.sqrt(fan_in)
        w = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32)
        b = rng.uniform(-bound, bound, fan_out).astype(np.float32)
        params.append((w, b))
    return x, y, params


def mlp_class(lib, sizes=W2_SIZES):
    """The W2 model, from ``flowkit`` or ``torch`` (the same code: the APIs match); other
    ``sizes`` (input, hidden, hidden, classes) give the same three-layer MLP, wider."""
    F = lib.nn.functional
    n_in, h1, h2, n_out = sizes

    class MLP(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = lib.nn.Linear(n_in, h1)
            self.fc2 = lib.nn.Linear(h1, h2)
            self.fc3 = lib.nn.Linear(h2, n_out)

        def forward(self, x):
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    return MLP


def train_steps(model, optimizer, cross_entropy, x, y, n):
    """The W2 loop, for flowkit and plain torch alike."""
    for _ in range(n):
        out = model(x)
        loss = cross_entropy(out, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss


def _lib_mlp(lib, params, make_tensor):
    """The MLP of ``params`` (w2_data's initial weights; their shapes give the sizes)."""
    model = mlp_class(lib, (params[0][0].shape[1],) + tuple(w.shape[0] for w, _ in params))()
    sd = {}
    for k, (w, b) in enumerate(params, 1):
        sd[f"fc{k}.weight"] = make_tensor(w)
        sd[f"fc{k}.bias"] = make_tensor(b)
    model.load_state_dict(sd)
    return model


def _make_optimizer(lib, model, which):
    if which == "sgd":
        return lib.optim.SGD(model.parameters(), lr=W2_SGD["lr"], momentum=W2_SGD["momentum"])
    return lib.optim.Adam(
        model.parameters(), lr=W2_ADAM["lr"], betas=W2_ADAM["betas"], eps=W2_ADAM["eps"]
    )


def mlp_train_state(lib, data, opt, device=None):
    """An MLP training step's state, built untimed from ``data`` (w2_data's x, y and initial
    weights): ``(model, optimizer, cross_entropy, x, y)``, the arguments of ``train_steps``.
    ``lib`` is flowkit (its tensors go where its backend puts them), or torch with ``device``."""
    X, Y, params = data
    if device is None:
        make, model = lib.tensor, _lib_mlp(lib, params, lib.tensor)
    else:
        make = lambda a: lib.from_numpy(a).to(device)  # noqa: E731
        model = _lib_mlp(lib, params, lib.from_numpy).to(device)
    return (
        model,
        _make_optimizer(lib, model, opt),
        lib.nn.functional.cross_entropy,
        make(X),
        make(Y),
    )


def mlp_impl(key, label, role, lib, data, opt, device=None, graph=False, trace=None):
    """An Impl of the MLP training step (``mlp_train_state``; SGD momentum or Adam): the eager
    loop ``train_steps``, or with ``graph`` (flowkit only) the step as a ``train_graph_class``
    nn.Graph, one call per step."""

    def setup():
        state = mlp_train_state(lib, data, opt, device)
        if not graph:
            return state
        model, optimizer, loss_fn, x, y = state
        return train_graph_class(lib)(model, loss_fn, optimizer), x, y

    run = (lambda st, n: graph_steps(*st, n)) if graph else (lambda st, n: train_steps(*st, n))
    return Impl(key, label, role, setup=setup, run=run, read=read_loss, trace=trace)


class HandMLP:
    """W2 by hand in numpy: forward, backward (mean cross-entropy, ReLU) and the optimizer (SGD
    momentum or Adam, PyTorch's algorithms), every intermediate in a buffer made once (``out=``).
    Weights are kept as (in, out), so a layer is ``a @ W + b``."""

    def __init__(self, params, x, y, optimizer):
        f32 = np.float32
        n = x.shape[0]
        self.x, self.y, self.n = x, y, n
        self.rows = np.arange(n)
        self.W = [np.ascontiguousarray(w.T) for w, _ in params]
        self.b = [b.copy() for _, b in params]
        outs = [w.shape[1] for w in self.W]
        self.z = [np.empty((n, k), f32) for k in outs]  # hidden ones hold relu(z) in place
        self.dz = [np.empty((n, k), f32) for k in outs]
        self.mask = [np.empty((n, k), bool) for k in outs[:-1]]
        self.gW = [np.empty_like(w) for w in self.W]
        self.gb = [np.empty_like(b) for b in self.b]
        self.mx = np.empty((n, 1), f32)
        self.se = np.empty((n, 1), f32)
        self.e = np.empty((n, outs[-1]), f32)
        self.params = [p for pair in zip(self.W, self.b) for p in pair]
        self.grads = [g for pair in zip(self.gW, self.gb) for g in pair]
        self.tmp = [np.empty_like(p) for p in self.params]
        self.optimizer = optimizer
        if optimizer == "sgd":
            self.bufs = [np.zeros_like(p) for p in self.params]  # 0*mu + g == g on step 1
        else:
            self.m = [np.zeros_like(p) for p in self.params]
            self.v = [np.zeros_like(p) for p in self.params]
            self.t = 0

    def forward(self):
        x = self.x
        W1, W2, W3 = self.W
        b1, b2, b3 = self.b
        z1, z2, z3 = self.z
        dot, maximum = np.dot, np.maximum
        dot(x, W1, out=z1)
        z1 += b1
        maximum(z1, 0, out=z1)  # a1 = relu(z1), in place
        dot(z1, W2, out=z2)
        z2 += b2
        maximum(z2, 0, out=z2)
        dot(z2, W3, out=z3)
        z3 += b3

    def loss(self):
        """Mean cross-entropy of the logits (log-sum-exp of the shifted logits minus the picked
        one), and dL/dlogits = (softmax - onehot) / n into dz3."""
        y, rows, z3, dz3 = self.y, self.rows, self.z[2], self.dz[2]
        mx, se, e = self.mx, self.se, self.e
        np.max(z3, axis=1, keepdims=True, out=mx)
        np.subtract(z3, mx, out=e)
        picked = e[rows, y].sum()
        np.exp(e, out=e)
        np.sum(e, axis=1, keepdims=True, out=se)
        loss = (np.log(se).sum() - picked) / self.n
        np.divide(e, se, out=dz3)
        dz3[rows, y] -= 1
        dz3 *= 1.0 / self.n
        return loss

    def backward(self):
        x = self.x
        _, W2, W3 = self.W
        z1, z2, _ = self.z
        dz1, dz2, dz3 = self.dz
        m1, m2 = self.mask
        gW1, gW2, gW3 = self.gW
        gb1, gb2, gb3 = self.gb
        dot = np.dot
        dot(z2.T, dz3, out=gW3)
        np.sum(dz3, axis=0, out=gb3)
        dot(dz3, W3.T, out=dz2)
        np.greater(z2, 0, out=m2)
        np.multiply(dz2, m2, out=dz2)
        dot(z1.T, dz2, out=gW2)
        np.sum(dz2, axis=0, out=gb2)
        dot(dz2, W2.T, out=dz1)
        np.greater(z1, 0, out=m1)
        np.multiply(dz1, m1, out=dz1)
        dot(x.T, dz1, out=gW1)
        np.sum(dz1, axis=0, out=gb1)

    def forward_backward(self):
        self.forward()
        loss = self.loss()
        self.backward()
        return loss

    def step(self):
        if self.optimizer == "sgd":
            lr, mu = W2_SGD["lr"], W2_SGD["momentum"]
            for p, g, buf, tmp in zip(self.params, self.grads, self.bufs, self.tmp):
                buf *= mu
                buf += g
                np.multiply(buf, lr, out=tmp)
                p -= tmp
            return
        lr, eps = W2_ADAM["lr"], W2_ADAM["eps"]
        b1, b2 = W2_ADAM["betas"]
        self.t += 1
        step_size = lr / (1 - b1**self.t)
        inv_bc2 = 1 / math.sqrt(1 - b2**self.t)
        for p, g, m, v, tmp in zip(self.params, self.grads, self.m, self.v, self.tmp):
            m *= b1
            np.multiply(g, 1 - b1, out=tmp)
            m += tmp
            v *= b2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - b2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp *= inv_bc2
            tmp += eps
            np.divide(m, tmp, out=tmp)
            tmp *= step_size
            p -= tmp

    def train(self, n):
        for _ in range(n):
            loss = self.forward_backward()
            self.step()
        return loss

    def grads_torch_layout(self):
        out = []
        for gw, gb in zip(self.gW, self.gb):
            out += [gw.T.copy(), gb.copy()]
        return out


def _grad_check(ref_grads, other_grads):
    """max |a - b| / max |a| over every parameter (the worst)."""
    worst = 0.0
    for a, b in zip(ref_grads, other_grads):
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        worst = max(worst, float(np.abs(a - b).max() / max(np.abs(a).max(), 1e-30)))
    return worst


def _lib_grads(lib_model, lib, x, y, to_numpy):
    """The gradients of one forward/backward at the initial weights, as numpy arrays."""
    loss = lib.nn.functional.cross_entropy(lib_model(x), y)
    loss.backward()
    out = []
    for k in (1, 2, 3):
        fc = getattr(lib_model, f"fc{k}")
        out += [to_numpy(fc.weight.grad), to_numpy(fc.bias.grad)]
        fc.weight.grad = None
        fc.bias.grad = None
    return float(loss.item()), out


def w2_impls(backend, flow, flow_error):
    data = X, Y, params = w2_data()
    impls, notes = [], []
    # flowkit
    for opt in ("sgd", "adam"):
        name = "SGD momentum" if opt == "sgd" else "Adam"
        if flow is None:
            impl = Impl(f"flowkit_{opt}", f"flowkit ({name})", "flowkit")
            impl.error = flow_error
        else:
            impl = mlp_impl(f"flowkit_{opt}", f"flowkit ({name})", "flowkit", flow, data, opt)
        impls.append(impl)
    if backend == "numpy" or backend not in BACKENDS:
        base = []
        for opt in ("sgd", "adam"):
            name = "SGD momentum" if opt == "sgd" else "Adam"
            impl = Impl(f"hand_{opt}", f"hand numpy, preallocated ({name})", "baseline")
            impl.setup = lambda opt=opt: HandMLP(params, X, Y, opt)
            impl.run = lambda st, n: st.train(n)
            impl.read = read_loss
            base.append(impl)
        # the hand gradients against flowkit's, one forward/backward at the initial weights
        hand = HandMLP(params, X, Y, "sgd")
        hand_loss = float(hand.forward_backward())
        check = {"hand_loss": hand_loss}
        if flow is not None:
            try:
                model = _lib_mlp(flow, params, flow.tensor)
                fk_loss, fk_grads = _lib_grads(
                    model, flow, flow.tensor(X), flow.tensor(Y), lambda t: np.asarray(t.numpy())
                )
                check.update(
                    flowkit_loss=fk_loss,
                    max_rel_diff=_grad_check(fk_grads, hand.grads_torch_layout()),
                )
            except Exception as exc:  # noqa: BLE001
                check["error"] = _oneline(exc)
        notes.append(("grad_check", check))
    else:
        import torch

        device = _torch_device(flow)
        base = [
            mlp_impl(
                f"torch_{opt}",
                "plain torch: nn.Module + torch.optim." + ("SGD" if opt == "sgd" else "Adam"),
                "baseline",
                torch,
                data,
                opt,
                device=device,
            )
            for opt in ("sgd", "adam")
        ]
        check = {}
        try:
            tm = _lib_mlp(torch, params, torch.from_numpy).to(device)
            t_loss, t_grads = _lib_grads(
                tm,
                torch,
                torch.from_numpy(X).to(device),
                torch.from_numpy(Y).to(device),
                lambda t: t.detach().cpu().numpy(),
            )
            check["torch_loss"] = t_loss
            if flow is not None:
                model = _lib_mlp(flow, params, flow.tensor)
                fk_loss, fk_grads = _lib_grads(
                    model, flow, flow.tensor(X), flow.tensor(Y), lambda t: np.asarray(t.numpy())
                )
                check.update(flowkit_loss=fk_loss, max_rel_diff=_grad_check(fk_grads, t_grads))
        except Exception as exc:  # noqa: BLE001
            check["error"] = _oneline(exc)
        notes.append(("grad_check", check))
    # order within a round: flowkit SGD, baseline SGD, flowkit Adam, baseline Adam
    return [impls[0], base[0], impls[1], base[1]], dict(notes)


def _time_w2(workload, backend, flow, impls, quick):
    """Run W2's or W2G's implementations alternately (``SETTINGS[workload]``) and return the
    child's result: the rows, the settings and whether torch was imported."""
    st = SETTINGS[workload]
    steps, repeats, warmup = st["steps"][quick], st["repeats"][quick], st["warmup"][quick]
    interleave(impls, steps, repeats, warmup, sync=_backend_sync(backend, flow))
    return {
        "rows": [i.row(workload, backend, "us") for i in impls],
        "settings": {
            "steps": steps,
            "repeats": repeats,
            "warmup": warmup,
            "sizes": W2_SIZES,
            "batch": W2_BATCH,
            "sgd": W2_SGD,
            "adam": W2_ADAM,
        },
        "torch_imported": "torch" in sys.modules,
    }


def child_w2(backend, quick):
    flow, err = _flowkit(backend)
    impls, extra = w2_impls(backend, flow, err)
    res = _time_w2("W2", backend, flow, impls, quick)
    res["grad_check"] = extra.get("grad_check")
    return res


def child_w2g(backend, quick):
    """W2 as an nn.Graph (SGD momentum and Adam), next to flowkit's eager step and W2's
    baselines, built once like W2's (state persists across the repeats)."""
    flow, err = _flowkit(backend)
    w2, _ = w2_impls(backend, flow, err)  # flowkit SGD, baseline SGD, flowkit Adam, baseline Adam
    data = w2_data()
    impls, triples = [], []
    for k, opt in enumerate(("sgd", "adam")):
        name = "SGD momentum" if opt == "sgd" else "Adam"
        key, label = f"graph_{opt}", f"flowkit nn.Graph ({name})"
        if flow is None:
            graph = Impl(key, label, "flowkit")
            graph.error = err
        else:
            graph = mlp_impl(key, label, "flowkit", flow, data, opt, graph=True)
        eager, base = w2[2 * k], w2[2 * k + 1]
        eager.key, eager.label, eager.role = (
            f"eager_{opt}",
            f"flowkit eager ({name}; shown)",
            "baseline",
        )
        for i in (graph, eager, base):
            i.trace = _loss_value
        impls += [graph, eager, base]
        triples.append((graph.key, eager.key, base.key))
    res = _time_w2("W2G", backend, flow, impls, quick)
    res["trajectory_check"] = graph_checks(impls, triples)
    return res


def child_w2ddp(backend, quick):
    """W2 under two-process DDP: bench/ddp.py on two ranks through the launcher (a DDP step
    needs two processes; this child only starts them and returns rank 0's report)."""
    import ddp

    return ddp.run_ranks(backend, quick)


# ---------------------------------------------------------------------------------------------
# W3: op overhead


def w3_values():
    rng = np.random.default_rng(0)
    return [rng.standard_normal((2, 2)).astype(np.float32) for _ in range(3)]


def op_loop(a, b, c, n):
    """W3 for flowkit and torch: forward and backward; the gradients accumulate in .grad."""
    for _ in range(n):
        s = (a * b + c).sum()
        s.backward()
    return s


def hand_op_loop(a, b, c, ga, gb, gc, n):
    """W3 by hand: the same forward, then each op's VJP in reverse order, accumulated."""
    ones_like = np.ones_like
    for _ in range(n):
        t = a * b
        u = t + c
        s = u.sum()
        gu = ones_like(u)  # sum's VJP of the seed 1
        ga += gu * b  # mul's VJP
        gb += gu * a
        gc += gu  # add's VJP
    return s


def child_w3(backend, quick):
    st = SETTINGS["W3"]
    iters, repeats = st["iters"][quick], st["repeats"][quick]
    A, B, C = w3_values()
    flow, err = _flowkit(backend)
    fk = Impl("flowkit", f"flowkit ({backend} backend)", "flowkit")
    read = lambda st, out: {
        "s": float(out.item()),
        "grad_a": np.asarray(  # noqa: E731
            st[0].grad.tolist()
        )
        .ravel()
        .tolist(),
    }
    if flow is None:
        fk.error = err
    else:
        fk.setup = lambda: tuple(flow.tensor(v, requires_grad=True) for v in (A, B, C))
        fk.run = lambda st, n: op_loop(*st, n)
        fk.read = read
    impls = [fk]
    sync = None
    if backend == "torch":
        import torch

        device = _torch_device(flow)
        sync = _torch_sync(torch, device)
        t = Impl("torch", "PyTorch (same code)", "baseline")
        t.setup = lambda: tuple(
            torch.tensor(v, requires_grad=True, device=device) for v in (A, B, C)
        )
        t.run = lambda st, n: op_loop(*st, n)
        t.read = read
        impls.append(t)
    else:
        h = Impl("hand", "hand numpy (forward + manual backward)", "baseline")
        h.setup = lambda: (
            A.copy(),
            B.copy(),
            C.copy(),
            np.zeros_like(A),
            np.zeros_like(B),
            np.zeros_like(C),
        )
        h.run = lambda st, n: hand_op_loop(*st, n)
        h.read = lambda st, out: {"s": float(out), "grad_a": st[3].ravel().tolist()}
        impls.append(h)
    interleave(impls, iters, repeats, min(iters, 100), sync=sync)
    return {
        "rows": [i.row("W3", backend, "us") for i in impls],
        "settings": {"iters": iters, "repeats": repeats},
        "torch_imported": "torch" in sys.modules,
    }


# ---------------------------------------------------------------------------------------------
# memory: RSS over many W2 steps


def child_memory(backend, quick):
    st = SETTINGS["memory"]
    steps, warmup = st["steps"][quick], st["warmup"][quick]
    flow, err = _flowkit(backend)
    row = {
        "workload": "memory",
        "backend": backend,
        "key": "flowkit",
        "label": f"flowkit, {steps:,} W2 steps (Adam)",
        "role": "flowkit",
        "unit": "MB",
        "error": err,
        "median": None,
        "min": None,
        "max": None,
        "samples": [],
        "info": {},
    }
    if flow is None:
        return {"rows": [row]}
    try:
        state = mlp_train_state(flow, w2_data(), "adam")
        rss0 = _rss_mb()
        train_steps(*state, warmup)
        gc.collect()
        rss_warm = _rss_mb()
        chunk = max(steps // 20, 1)
        trace = [(0, rss_warm)]
        t0 = time.perf_counter()
        done = 0
        while done < steps:
            k = min(chunk, steps - done)
            loss = train_steps(*state, k)
            done += k
            trace.append((done, _rss_mb()))
        secs = time.perf_counter() - t0
        gc.collect()
        rss_end = _rss_mb()
        peak = max(
            _peak_rss_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),
            max(r for _, r in trace),
        )  # the kernel's high-water mark may lag a little
        growth = rss_end - rss_warm
        row.update(
            median=growth,
            min=growth,
            max=max(r for _, r in trace) - rss_warm,
            samples=[round(growth, 3)],
        )
        row["info"] = {
            "steps": steps,
            "warmup_steps": warmup,
            "rss_start_mb": rss0,
            "rss_after_warmup_mb": rss_warm,
            "rss_end_mb": rss_end,
            "peak_rss_mb": peak,
            "max_growth_mb": max(r for _, r in trace) - rss_warm,
            "trace_mb": [(s, round(r, 2)) for s, r in trace],
            "us_per_step": secs / steps * 1e6,
            "final_loss": float(loss.item()),
        }
    except Exception as exc:  # noqa: BLE001
        row["error"] = _oneline(exc)
    return {
        "rows": [row],
        "settings": {"steps": steps, "warmup": warmup},
        "torch_imported": "torch" in sys.modules,
    }


# ---------------------------------------------------------------------------------------------
# conv: bench/conv_digits.py's net, an epoch at a time


def child_conv(backend, quick):
    import conv_digits

    epochs = SETTINGS["conv"]["epochs"][quick]
    flow, err = _flowkit(backend)
    rows = []
    try:
        x, y = conv_digits.load()
    except Exception as exc:  # noqa: BLE001 - scikit-learn missing
        return {"rows": [], "skipped": f"digits not available: {_oneline(exc)}"}
    runners = []
    if flow is not None:
        flow.manual_seed(0)
        runners.append(
            (
                "flowkit",
                f"flowkit ({backend} backend)",
                "flowkit",
                conv_digits._runner(flow, x, y, 32),
            )
        )
    else:
        rows.append(
            {
                "workload": "conv",
                "backend": backend,
                "key": "flowkit",
                "label": f"flowkit ({backend} backend)",
                "role": "flowkit",
                "unit": "s",
                "error": err,
                "median": None,
                "min": None,
                "max": None,
                "samples": [],
                "info": {},
            }
        )
    try:
        import torch

        torch.manual_seed(0)
        runners.append(
            ("torch", "plain torch (same net)", "baseline", conv_digits._runner(torch, x, y, 32))
        )
    except ImportError:
        pass
    times = {k: [] for k, *_ in runners}
    errors = {}
    for e in range(epochs + 1):  # epoch 0: warm-up, not counted
        order = np.random.default_rng(e).permutation(len(y))
        for k, _, _, (epoch, _) in runners if e % 2 == 0 else runners[::-1]:
            if k in errors:
                continue
            try:
                t = epoch(order)
                if e:
                    times[k].append(t)
            except Exception as exc:  # noqa: BLE001
                errors[k] = _oneline(exc)
    for k, label, role, (_, accuracy) in runners:
        s = times[k]
        info = {}
        if k not in errors:
            try:
                info["accuracy"] = accuracy()
            except Exception as exc:  # noqa: BLE001
                info["read_error"] = _oneline(exc)
        rows.append(
            {
                "workload": "conv",
                "backend": backend,
                "key": k,
                "label": label,
                "role": role,
                "unit": "s",
                "error": errors.get(k),
                "median": statistics.median(s) if s and k not in errors else None,
                "min": min(s) if s else None,
                "max": max(s) if s else None,
                "samples": [round(v, 5) for v in s],
                "info": info,
            }
        )
    return {"rows": rows, "settings": {"epochs": epochs, "batch": 32, "images": len(y)}}


CHILDREN = {
    "W1": child_w1,
    "W1G": child_w1g,
    "W2": child_w2,
    "W2G": child_w2g,
    "W2DDP": child_w2ddp,
    "W3": child_w3,
    "memory": child_memory,
    "conv": child_conv,
}


# ---------------------------------------------------------------------------------------------
# start-up: fresh processes, run from the parent


TUTORIAL_FLOWKIT = """
import flowkit as flow
flow.manual_seed(0)
x = flow.tensor([[1, 2], [2, 3], [4, 6], [3, 1]], dtype=flow.float32)
y = flow.tensor([[8], [13], [26], [9]], dtype=flow.float32)
class MyLrModule(flow.nn.Module):
    def __init__(self, lr, iter_count):
        super().__init__()
        self.w = flow.nn.Parameter(flow.randn(2, 1, dtype=flow.float32))
        self.lr = lr
        self.iter_count = iter_count
    def forward(self, x):
        return flow.matmul(x, self.w)
model = MyLrModule(0.01, 500)
loss = flow.nn.MSELoss(reduction="sum")
optimizer = flow.optim.SGD(model.parameters(), model.lr)
for i in range(0, model.iter_count):
    y_pred = model(x)
    l = loss(y_pred, y)
    if (i + 1) % 50 == 0:
        print(f"{i+1}/{model.iter_count} loss:{l}")
    optimizer.zero_grad()
    l.backward()
    optimizer.step()
print(f"w: {model.w}")
"""

TUTORIAL_TORCH = TUTORIAL_FLOWKIT.replace("import flowkit as flow", "import torch as flow")

TUTORIAL_NUMPY = """
import numpy as np
x = np.array([[1, 2], [2, 3], [4, 6], [3, 1]], dtype=np.float32)
y = np.array([[8], [13], [26], [9]], dtype=np.float32)
w = np.random.default_rng(0).standard_normal((2, 1)).astype(np.float32)
for i in range(500):
    y_pred = np.matmul(x, w)
    diff = y_pred - y
    l = (diff * diff).sum()
    if (i + 1) % 50 == 0:
        print(f"{i+1}/500 loss:{l}")
    w -= 0.01 * 2 * np.matmul(x.T, diff)
print(f"w: {w}")
"""

# appended to every command: reports whether torch got imported (sys is always loaded)
_REPORT = "\nimport sys as _s; print('TORCH_IMPORTED', 'torch' in _s.modules)"

STARTUP_CMDS = [  # (backend, key, label, role, FLOWKIT_BACKEND, code)
    ("numpy", "numpy_import", 'python -c "import numpy"', "baseline", None, "import numpy"),
    (
        "numpy",
        "flowkit_import",
        "import flowkit; flow.tensor([1.0])",
        "flowkit",
        "numpy",
        "import flowkit as flow; flow.tensor([1.0])",
    ),
    (
        "torch",
        "torch_import",
        "import torch; torch.tensor([1.0])",
        "baseline",
        None,
        "import torch; torch.tensor([1.0])",
    ),
    (
        "torch",
        "flowkit_import",
        "import flowkit; flow.tensor([1.0])",
        "flowkit",
        "torch",
        "import flowkit as flow; flow.tensor([1.0])",
    ),
    ("numpy", "numpy_program", "tutorial program, hand numpy", "baseline", None, TUTORIAL_NUMPY),
    ("numpy", "flowkit_program", "tutorial program, flowkit", "flowkit", "numpy", TUTORIAL_FLOWKIT),
    ("torch", "torch_program", "tutorial program, plain torch", "baseline", None, TUTORIAL_TORCH),
    ("torch", "flowkit_program", "tutorial program, flowkit", "flowkit", "torch", TUTORIAL_FLOWKIT),
]


def _spawn_measured(code, env):
    """Run ``python -c code``; (wall seconds, peak RSS MB of that child, exit code, output)."""
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", code + _REPORT],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return wall, _peak_rss_mb(ru.ru_maxrss), proc.returncode, text


def run_startup(backends, quick, child_env):
    repeats = SETTINGS["startup"]["repeats"][quick]
    cmds = [c for c in STARTUP_CMDS if c[0] in backends]
    data = {(b, k): {"wall": [], "rss": [], "torch": None, "error": None} for b, k, *_ in cmds}
    envs = {}
    for b, k, _label, _role, fb, _code in cmds:
        env = dict(child_env)
        env.pop("FLOWKIT_BACKEND", None)
        if fb:
            env["FLOWKIT_BACKEND"] = fb
        # bytecode as an installed package has it: written on the warm-up run, read afterwards
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        envs[(b, k)] = env
    for r in range(repeats + 1):  # round 0: warm-up (disk cache, .pyc files), not counted
        for b, k, _label, _role, _fb, code in cmds if r % 2 == 0 else cmds[::-1]:
            d = data[(b, k)]
            if d["error"]:
                continue
            wall, rss, rc, text = _spawn_measured(code, envs[(b, k)])
            if rc != 0:
                d["error"] = f"exit {rc}: " + (text.strip().splitlines() or ["?"])[-1][:200]
                continue
            d["torch"] = "TORCH_IMPORTED True" in text
            if r:
                d["wall"].append(wall)
                d["rss"].append(rss)
    rows = []
    for b, k, label, role, _fb, _code in sorted(cmds, key=lambda c: BACKENDS.index(c[0])):
        d = data[(b, k)]
        s = d["wall"]
        rows.append(
            {
                "workload": "startup",
                "backend": b,
                "key": k,
                "label": label,
                "role": role,
                "unit": "s",
                "error": d["error"],
                "median": statistics.median(s) if s and not d["error"] else None,
                "min": min(s) if s else None,
                "max": max(s) if s else None,
                "samples": [round(v, 4) for v in s],
                "info": {
                    "peak_rss_mb": statistics.median(d["rss"]) if d["rss"] else None,
                    "torch_imported": d["torch"],
                },
            }
        )
    return {"rows": rows, "settings": {"repeats": repeats}}


# ---------------------------------------------------------------------------------------------
# verdicts


def _paired(fs, bs):
    if fs and bs and len(fs) == len(bs):
        return statistics.median(a / b for a, b in zip(fs, bs))
    return None


def add_verdicts(rows):
    """Give each flowkit row its ratio to its baseline and its target verdict (in place)."""
    by = {(r["workload"], r["backend"], r["key"]): r for r in rows}
    for r in rows:
        if r["role"] != "flowkit":
            continue
        t = TARGETS.get((r["workload"], r["backend"], r["key"]))
        if t is None:
            continue
        base = by.get((r["workload"], r["backend"], t.get("vs")))
        ratio = ratio_med = None
        if base is not None and r["median"] and base["median"]:
            ratio_med = r["median"] / base["median"]
            ratio = _paired(r["samples"], base["samples"]) or ratio_med
        r["vs"] = (
            None
            if base is None
            else {"key": base["key"], "label": base["label"], "median": base["median"]}
        )
        r["ratio"] = ratio
        r["ratio_of_medians"] = ratio_med
        met = None
        if t["kind"] == "ratio" and ratio is not None:
            met = ratio <= t["limit"]
        elif t["kind"] == "abs" and r["median"] is not None:
            met = r["median"] <= t["limit"]
            if r["workload"] == "memory":
                met = r["median"] < t["limit"]
            if r["workload"] == "startup" and r["backend"] == "numpy":
                met = met and r["info"].get("torch_imported") is False
        r["target"] = {"text": t["text"], "kind": t["kind"], "limit": t.get("limit"), "met": met}


# ---------------------------------------------------------------------------------------------
# the table


def fmt_value(v, unit, micro="us"):
    if v is None:
        return "-"
    if unit == "us":
        return f"{v / 1000:.2f} ms" if v >= 1000 else f"{v:.1f} {micro}"
    if unit == "s":
        return f"{v * 1000:.0f} ms" if v < 1 else f"{v:.2f} s"
    if unit == "MB":
        return f"{v:+.1f} MB"
    return f"{v:.3g}"


def row_notes(r):
    """A short text of the row's extra facts (grad check, RSS, accuracy, final loss)."""
    i = r.get("info") or {}
    w = r["workload"]
    out = []
    if w == "startup":
        if i.get("peak_rss_mb") is not None:
            out.append(f"peak RSS {i['peak_rss_mb']:.0f} MB")
        ti = i.get("torch_imported")
        if r["role"] == "flowkit" and r["backend"] == "numpy" and ti is not None:
            out.append("torch imported!" if i["torch_imported"] else "torch not imported")
    elif w == "memory" and i:
        out.append(
            f"RSS {i['rss_after_warmup_mb']:.1f} MB after warm-up -> "
            f"{i['rss_end_mb']:.1f} MB at end; peak {i['peak_rss_mb']:.1f} MB; "
            f"{i['us_per_step'] / 1000:.2f} ms/step"
        )
    elif w == "conv" and "accuracy" in i:
        out.append(f"accuracy {i['accuracy']:.3f}")
    elif w == "W3" and i.get("s") is not None:
        out.append(f"s {i['s']:.4g}, a.grad[0] {i['grad_a'][0]:.4g}")
    elif "final_loss" in i and i["final_loss"] is not None:
        out.append(f"loss {i['final_loss']:.3g}")
    if w == "W2DDP":
        if i.get("ddp_minus_local_us") is not None:
            out.append(
                f"DDP - local {fmt_value(i['ddp_minus_local_us'], 'us')} "
                f"({100 * i['comm_share']:.0f}% of the step)"
            )
        if i.get("share_of"):
            out.append(f"{100 * i['share_of']['share']:.0f}% of {i['share_of']['key']}'s step")
        if i.get("rank_medians"):
            out.append("rank medians " + " / ".join(fmt_value(v, "us") for v in i["rank_medians"]))
    if w in ("W1G", "W2G") and r["role"] == "flowkit":
        if i.get("vs_eager") is not None:
            out.append(f"{i['vs_eager']:.2f}x eager")
        if i.get("first_call_ms") is not None:
            out.append(f"first call {i['first_call_ms']:.1f} ms")
    return "; ".join(out)


def verdict_text(r):
    t = r.get("target")
    if not t or t["kind"] is None:
        return ""
    return {True: "met", False: "NOT met", None: "not measured"}[t["met"]]


def trajectory_text(c):
    """One line of a graph-vs-eager trajectory check."""
    if c.get("error"):
        return f"loss trajectory check of {c['graph']} failed: {c['error']}"
    same = (
        "identical"
        if c["identical"]
        else f"max |diff| {c['max_abs_diff']:.2e}, max relative {c['max_rel_diff']:.2e}"
    )
    text = (
        f"{c['graph_label']}: loss trajectory vs the eager step, {c['steps']} warm-up "
        f"steps from the same weights ({c['first_loss']:.4g} -> {c['last_loss']:.4g}): {same}"
    )
    if c.get("baseline_max_diff_scaled") is not None:
        text += (
            f"; vs {c['baseline_label']}: max |diff| / max |loss| = "
            f"{c['baseline_max_diff_scaled']:.1e}"
        )
    return text


def print_head(p, head):
    """A table's head line after a blank line, ruled off (``p``: the table's print)."""
    p("")
    p(head)
    p("-" * len(head))


def print_table(result, out=sys.stdout):
    m = result["machine"]
    p = lambda *a: print(*a, file=out)  # noqa: E731
    p(f"flowkit bench ({'quick' if result['quick'] else 'full'}): {result['date']}")
    p(
        f"machine: {m['cpu_count']} CPUs ({m['cpus_usable']} usable, {m['cpu_model']}), "
        f"{m['platform']}, load average {(m.get('loadavg_start') or ['?'])[0]} at the start, "
        f"{(m.get('loadavg') or ['?'])[0]} at the end"
    )
    p(
        f"         python {m['python']}, numpy {m['numpy']}, torch {m['torch'] or '-'}, "
        f"flowkit {m['flowkit']} at {m.get('flowkit_git') or '?'}; threads: "
        f"OMP={m.get('OMP_NUM_THREADS') or '(unset)'} "
        f"OPENBLAS={m.get('OPENBLAS_NUM_THREADS') or '(unset)'}"
    )
    head = (
        f"{'workload':16s} {'backend':7s} {'implementation':44s} {'median':>10s} "
        f"{'min':>10s}  {'ratio':>6s} {'target':30s} {'verdict':8s} notes"
    )
    print_head(p, head)
    last = None
    for r in result["rows"]:
        group = (r["workload"], r["backend"])
        wl = TITLES.get(r["workload"], r["workload"]) if group != last else ""
        be = r["backend"] if group != last else ""
        if group != last and last is not None and last[0] != r["workload"]:
            p("")
        last = group
        if r["error"]:
            p(f"{wl:16s} {be:7s} {r['label'][:44]:44s} unavailable: {r['error'][:120]}")
            continue
        ratio = f"{r['ratio']:.2f}x" if r.get("ratio") is not None else ""
        t = r.get("target")
        target = t["text"] if t else ""
        med = fmt_value(r["median"], r["unit"])
        mn = fmt_value(r["min"], r["unit"]) if r["workload"] != "memory" else ""
        p(
            f"{wl:16s} {be:7s} {r['label'][:44]:44s} {med:>10s} {mn:>10s}  {ratio:>6s} "
            f"{target:30s} {verdict_text(r):8s} {row_notes(r)}"
        )
    for n in result.get("notes", []):
        p(f"note: {n}")
    p(
        "median: over the repeats (W1-W3 per step/iteration; start-up per process; conv per "
        "epoch; memory: RSS growth after warm-up). ratio: flowkit / baseline taken round by round, "
        "median over rounds (lower is better). nn.Graph rows: 'x eager' is the same paired ratio "
        "to flowkit's eager step; 'first call' (untimed otherwise) is where a graph records its "
        "step."
    )


# ---------------------------------------------------------------------------------------------
# profile: where a W2 step's time goes


def run_profile(workload, backend, steps):
    import cProfile

    if workload != "W2":
        raise SystemExit("--profile: only W2 (for W1 see bench/tutorial_step.py --profile)")
    flow, err = _flowkit(backend)
    if flow is None:
        raise SystemExit(f"flowkit {backend} backend unavailable: {err}")
    X, Y, params = w2_data()
    clock = time.perf_counter_ns
    names = ("forward model(x)", "cross_entropy", "zero_grad()", "backward()", "step()")
    # (the hand loop has no zero_grad: it writes its gradients with out=)
    print(
        f"W2 phase breakdown, {backend} backend vs hand numpy: us/step, median of 9 chunks of "
        f"{steps} steps, flowkit and hand chunks alternating"
    )
    for opt in ("sgd", "adam"):
        x, y = flow.tensor(X), flow.tensor(Y)
        model = _lib_mlp(flow, params, flow.tensor)
        o = _make_optimizer(flow, model, opt)
        ce = flow.nn.functional.cross_entropy
        hand = HandMLP(params, X, Y, opt)
        train_steps(model, o, ce, x, y, 5)
        hand.train(5)
        fk_chunks, hand_chunks = [], []
        for _ in range(9):
            tot = [0] * 5
            for _ in range(steps):
                t0 = clock()
                out = model(x)
                t1 = clock()
                loss = ce(out, y)
                t2 = clock()
                o.zero_grad()
                t3 = clock()
                loss.backward()
                t4 = clock()
                o.step()
                t5 = clock()
                for k, (a, b) in enumerate(((t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5))):
                    tot[k] += b - a
            fk_chunks.append([v / steps / 1e3 for v in tot])
            tot = [0] * 5
            for _ in range(steps):
                t0 = clock()
                hand.forward()
                t1 = clock()
                hand.loss()
                t2 = clock()
                hand.backward()
                t3 = clock()
                hand.step()
                t4 = clock()
                for k, (a, b) in zip((0, 1, 3, 4), ((t0, t1), (t1, t2), (t2, t3), (t3, t4))):
                    tot[k] += b - a
            hand_chunks.append([v / steps / 1e3 for v in tot])
        fk = [statistics.median(c[k] for c in fk_chunks) for k in range(5)]
        hd = [statistics.median(c[k] for c in hand_chunks) for k in range(5)]
        ratio = statistics.median(sum(a) / sum(b) for a, b in zip(fk_chunks, hand_chunks))
        print(f"  {opt}: {'phase':24s} {'flowkit':>9s} {'share':>6s} {'hand':>9s} {'diff':>8s}")
        for name, a, b in zip(names, fk, hd):
            print(f"       {name:24s} {a:9.1f} {100 * a / sum(fk):5.0f}% {b:9.1f} {a - b:+8.1f}")
        print(
            f"       {'sum':24s} {sum(fk):9.1f} {'':6s} {sum(hd):9.1f} {sum(fk) - sum(hd):+8.1f}"
            f"   (paired ratio {ratio:.3f})"
        )
    print("  (hand: 'cross_entropy' includes dL/dlogits, which flowkit computes in backward())")

    for opt in ("sgd", "adam"):
        x, y = flow.tensor(X), flow.tensor(Y)
        model = _lib_mlp(flow, params, flow.tensor)
        o = _make_optimizer(flow, model, opt)
        ce = flow.nn.functional.cross_entropy
        train_steps(model, o, ce, x, y, 3)
        prof = cProfile.Profile()
        prof.enable()
        train_steps(model, o, ce, x, y, steps)
        prof.disable()
        print(
            f"\ncProfile, flowkit {opt}, {steps} steps (times inflated by the profiler; call "
            "counts per step are exact):"
        )
        tutorial_step.print_cprofile(prof, steps, top=25)


# ---------------------------------------------------------------------------------------------
# parent


def child_env_for(threads):
    env = dict(os.environ)
    if threads:
        for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[k] = str(threads)
    return env


def available_backends():
    names, notes = ["numpy"], []
    try:
        import importlib.util

        if importlib.util.find_spec("torch") is not None:
            names.append("torch")
        else:
            notes.append("torch not installed: torch rows skipped")
    except Exception as exc:  # noqa: BLE001
        notes.append(f"torch: {_oneline(exc)}")
    return names, notes


def spawn_child(workload, backend, quick, env):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "out.json")
        cmd = [
            sys.executable,
            os.path.abspath(__file__),
            "--child",
            workload,
            "--backend",
            backend,
            "--out",
            path,
        ] + (["--quick"] if quick else [])
        env = dict(env, FLOWKIT_BACKEND=backend)
        try:
            proc = subprocess.run(
                cmd, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, cwd=ROOT
            )
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {CHILD_TIMEOUT_S}s", "rows": []}
        if proc.returncode != 0 or not os.path.exists(path):
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
            return {"error": f"child exited {proc.returncode}: {tail[0][:300]}", "rows": []}
        with open(path) as f:
            return json.load(f)


def parse_only(text):
    if not text:
        return list(WORKLOADS)
    lower = {w.lower(): w for w in WORKLOADS}
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if part.lower() not in lower:
            raise SystemExit(
                f"--only: unknown workload {part!r}; choose from {', '.join(WORKLOADS)}"
            )
        out.append(lower[part.lower()])
    return [w for w in WORKLOADS if w in out]


def run_suite(args):
    workloads = parse_only(args.only)
    backends, notes = available_backends()
    if args.backend:
        backends = [b for b in backends if b in args.backend.split(",")]
    env = child_env_for(args.threads)
    t_start = time.time()
    load_start = machine_info(env).get("loadavg")
    rows, details = [], {}
    errors = []
    for w in workloads:
        for b in backends if w != "startup" else [None]:
            t0 = time.perf_counter()
            if w == "startup":
                res = run_startup(backends, args.quick, env)
                label = "startup"
            else:
                res = spawn_child(w, b, args.quick, env)
                label = f"{w} {b}"
            dt = time.perf_counter() - t0
            print(
                f"[bench] {label:14s} {dt:6.1f} s"
                + (f"  FAILED: {res['error']}" if res.get("error") else ""),
                file=sys.stderr,
                flush=True,
            )
            if res.get("error"):
                errors.append(f"{label}: {res['error']}")
            if res.get("skipped"):
                notes.append(f"{label}: skipped ({res['skipped']})")
            rows += res.get("rows", [])
            details[label] = {k: v for k, v in res.items() if k != "rows"}
    add_verdicts(rows)
    for label, d in details.items():
        gc_ = d.get("grad_check")
        if gc_:
            if "max_rel_diff" in gc_:
                notes.append(
                    f"{label}: gradients of the baseline vs flowkit at the initial "
                    f"weights, max |diff| / max |grad| = {gc_['max_rel_diff']:.1e}"
                )
            elif gc_.get("error"):
                notes.append(f"{label}: gradient check failed: {gc_['error']}")
        for c in d.get("trajectory_check") or []:
            notes.append(f"{label}: {trajectory_text(c)}")
        for n in d.get("notes") or []:
            notes.append(f"{label}: {n}")
        if (
            d.get("torch_imported")
            and label.endswith("numpy")
            and not label.startswith(("conv", "W2DDP"))  # DDP communicates through torch
        ):
            notes.append(f"{label}: torch was imported in the numpy child")
    result = {
        "benchmark": "flowkit suite",
        "quick": bool(args.quick),
        "date": time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(t_start)),
        "seconds": round(time.time() - t_start, 1),
        "workloads": workloads,
        "backends": backends,
        "threads": args.threads or None,
        "machine": dict(machine_info(env), loadavg_start=load_start),
        "settings": {
            w: {k: v[bool(args.quick)] for k, v in SETTINGS[w].items()} for w in workloads
        },
        "targets": {f"{w} {b} {k}": t for (w, b, k), t in TARGETS.items()},
        "notes": notes + [f"FAILED {e}" for e in errors],
        "details": details,
        "rows": rows,
    }
    return result, errors


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="flowkit bench",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--only",
        metavar="W1,W2,...",
        help=f"comma-separated workloads among {', '.join(WORKLOADS)}",
    )
    p.add_argument(
        "--json",
        metavar="PATH",
        help=f"write the results as JSON (default {os.path.relpath(DEFAULT_JSON)})",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="fewer repeats and 1,000 memory steps (about 1-1.5 minutes)",
    )
    p.add_argument(
        "--docs",
        "--plot",
        action="store_true",
        help="rewrite docs/assets/performance.svg and the results tables of "
        "docs/{en,zh}/performance.md from this run",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="OMP/OpenBLAS/MKL threads in the children (default 1; 0: as found)",
    )
    p.add_argument(
        "--backend",
        help="only these backends (comma-separated); with --profile or --child: the backend",
    )
    p.add_argument(
        "--profile",
        metavar="WORKLOAD",
        help="W2: phase breakdown and cProfile of the flowkit step, in this process",
    )
    p.add_argument("--steps", type=int, default=20, help="with --profile: steps per chunk")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.profile:
        run_profile(args.profile.upper(), args.backend or "numpy", args.steps)
        return 0
    if args.child:
        res = CHILDREN[args.child](args.backend, int(bool(args.quick)))
        with open(args.out, "w") as f:
            json.dump(res, f)
        return 0

    if args.docs and (args.only or args.backend):
        p.error(
            "--docs rewrites the whole results table: run every workload (no --only/--backend)"
            ", or regenerate from a saved run with bench/plot.py --json PATH"
        )
    result, errors = run_suite(args)
    print()
    print_table(result)
    path = args.json or DEFAULT_JSON
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
    print(f"wrote {os.path.relpath(path)} ({result['seconds']:.0f} s in all)")
    if args.docs:
        import plot

        # the docs page is the single-process table: W2DDP's rows stay in the JSON and the text
        docs = dict(
            result, rows=[r for r in result["rows"] if r["workload"] in plot.WORKLOAD_NAMES]
        )
        for written in plot.write_all(docs):
            print(f"wrote {os.path.relpath(written)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
