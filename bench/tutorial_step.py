"""Benchmark: one training step of the tutorial (backprop_and_optimizer), flowkit vs its baselines.

The step is the tutorial's: ``y_pred = model(x)`` (a Module whose forward is
``flow.matmul(x, self.w)``), ``l = MSELoss(reduction="sum")(y_pred, y)``,
``optimizer.zero_grad()``, ``l.backward()``, ``optimizer.step()`` with ``SGD(params, 0.01)``,
500 steps per repeat.

A process has one backend, so each backend runs in its own child process, and its baselines run in
that same child, interleaved with the flowkit loop (flowkit, baseline, baseline, flowkit, ...), so
both see the same machine state. Reported: the median microseconds per step over the repeats.

    python bench/tutorial_step.py                      # every installed backend, one table
    python bench/tutorial_step.py --json out.json      # ... and the numbers as JSON
    python bench/tutorial_step.py --backend numpy      # one backend (the child mode)
    python bench/tutorial_step.py --backend numpy --profile   # where a flowkit step's time goes

Baselines:
    numpy: hand-written numpy (np.matmul forward, the loss, gradient 2 * x.T @ (y_pred - y),
           w -= lr * grad), once written plainly and once with preallocated ``out=`` buffers.
    torch: torch.nn.Module + torch.nn.MSELoss(reduction="sum") + torch.optim.SGD; and the same
           module and loss with a hand SGD step on the raw tensors under torch.no_grad().

Targets (reported, never asserted; the same as bench/suite.py's W1): numpy backend <= 4x the
hand-written numpy loop (tutorial style; about 25 us/step); torch backend <= 1.0x the plain torch
nn.Module + torch.optim.SGD loop.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

STEPS = 500
LR = 0.01
REPEATS = 21
X = [[1, 2], [2, 3], [4, 6], [3, 1]]
Y = [[8], [13], [26], [9]]
NUMPY_TARGET_RATIO = 4.0  # x the hand numpy loop (tutorial style): about 25 us/step
TORCH_TARGET_RATIO = 1.0
CHILD_TIMEOUT_S = 150


def _oneline(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def initial_w() -> np.ndarray:
    """The same starting w for every implementation and backend (the tutorial draws it from
    randn; a fixed numpy draw makes every row start from the same point)."""
    return np.random.default_rng(0).standard_normal((2, 1)).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# the loops: each returns the last step's loss (a tensor/array; converted outside the timing)


def flowkit_loop(model, loss, optimizer, x, y, steps):
    for _ in range(steps):
        y_pred = model(x)
        lv = loss(y_pred, y)
        optimizer.zero_grad()
        lv.backward()
        optimizer.step()
    return lv


def numpy_plain_loop(x, y, w, steps, lr):
    for _ in range(steps):
        y_pred = np.matmul(x, w)
        diff = y_pred - y
        lv = (diff * diff).sum()
        grad = 2 * np.matmul(x.T, diff)
        w -= lr * grad
    return lv


def numpy_prealloc_loop(x, y, w, steps, lr):
    # every intermediate written into a buffer made once: the least work numpy can do per step
    xt = np.ascontiguousarray(x.T)
    y_pred = np.empty((x.shape[0], w.shape[1]), w.dtype)
    diff = np.empty_like(y_pred)
    grad = np.empty_like(w)
    matmul, subtract, multiply, vdot = np.matmul, np.subtract, np.multiply, np.vdot
    scale = 2 * lr
    for _ in range(steps):
        matmul(x, w, out=y_pred)
        subtract(y_pred, y, out=diff)
        lv = vdot(diff, diff)
        matmul(xt, diff, out=grad)
        multiply(grad, scale, out=grad)  # lr * (2 * x.T @ diff)
        subtract(w, grad, out=w)
    return lv


def torch_optim_loop(model, loss, optimizer, x, y, steps):
    for _ in range(steps):
        y_pred = model(x)
        lv = loss(y_pred, y)
        optimizer.zero_grad()
        lv.backward()
        optimizer.step()
    return lv


def torch_raw_loop(torch, model, loss, params, x, y, steps, lr):
    no_grad = torch.no_grad
    for _ in range(steps):
        y_pred = model(x)
        lv = loss(y_pred, y)
        lv.backward()
        with no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None
    return lv


# ---------------------------------------------------------------------------------------------
# one "implementation" = build (untimed) + run (timed) + read the result (untimed)


class Impl:
    def __init__(self, key, backend, label, role):
        self.key, self.backend, self.label, self.role = key, backend, label, role
        self.samples_us: list[float] = []
        self.final_loss = None
        self.final_w = None
        self.error = None

    def run_once(self, steps, sync=None):
        state = self.build()  # fresh model/optimizer from the same w each repeat: untimed
        t0 = time.perf_counter_ns()
        out = self.loop(state, steps)
        if sync is not None:
            sync()
        dt = time.perf_counter_ns() - t0
        self.samples_us.append(dt / 1e3 / steps)
        self.final_loss, self.final_w = self.read(state, out)

    def row(self):
        s = self.samples_us if self.error is None else []
        return {
            "key": self.key,
            "backend": self.backend,
            "implementation": self.label,
            "role": self.role,
            "error": self.error,
            "us_per_step_median": statistics.median(s) if s else None,
            "us_per_step_min": min(s) if s else None,
            "us_per_step_max": max(s) if s else None,
            "samples_us_per_step": [round(v, 3) for v in s],
            "final_loss": self.final_loss,
            "final_w": self.final_w,
        }


def flowkit_impl(flow, backend_name, w0, lr):
    x = flow.tensor(X, dtype=flow.float32)
    y = flow.tensor(Y, dtype=flow.float32)

    class TutorialModel(flow.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = flow.nn.Parameter(flow.tensor(w0, dtype=flow.float32))

        def forward(self, x):
            return flow.matmul(x, self.w)

    impl = Impl("flowkit", backend_name, f"flowkit ({backend_name} backend)", "flowkit")

    def build():
        model = TutorialModel()
        return model, flow.nn.MSELoss(reduction="sum"), flow.optim.SGD(model.parameters(), lr)

    impl.build = build
    impl.loop = lambda st, steps: flowkit_loop(st[0], st[1], st[2], x, y, steps)
    impl.read = lambda st, lv: (float(lv.item()), np.asarray(st[0].w.tolist()).ravel().tolist())
    return impl


def numpy_impls(w0, lr):
    x = np.array(X, dtype=np.float32)
    y = np.array(Y, dtype=np.float32)
    out = []
    for key, label, fn in (
        ("numpy_plain", "hand numpy (tutorial style)", numpy_plain_loop),
        ("numpy_prealloc", "hand numpy (preallocated out=)", numpy_prealloc_loop),
    ):
        impl = Impl(key, "numpy", label, "baseline")
        impl.build = lambda: w0.copy()
        impl.loop = (lambda f: lambda w, steps: f(x, y, w, steps, lr))(fn)
        impl.read = lambda w, lv: (float(lv), w.ravel().tolist())
        out.append(impl)
    return out


def torch_impls(torch, device, w0, lr):
    x = torch.tensor(X, dtype=torch.float32, device=device)
    y = torch.tensor(Y, dtype=torch.float32, device=device)

    class TutorialModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.tensor(w0, dtype=torch.float32, device=device))

        def forward(self, x):
            return torch.matmul(x, self.w)

    def read(st, lv):
        return float(lv.item()), st[0].w.detach().cpu().numpy().ravel().tolist()

    def build_optim():
        model = TutorialModel()
        return model, torch.nn.MSELoss(reduction="sum"), torch.optim.SGD(model.parameters(), lr)

    def build_raw():
        model = TutorialModel()
        return model, torch.nn.MSELoss(reduction="sum"), list(model.parameters())

    opt = Impl("torch_optim", "torch", "torch nn.Module + torch.optim.SGD", "baseline")
    opt.build = build_optim
    opt.loop = lambda st, steps: torch_optim_loop(st[0], st[1], st[2], x, y, steps)
    opt.read = read

    raw = Impl("torch_raw", "torch", "torch nn.Module + raw SGD (no_grad)", "baseline")
    raw.build = build_raw
    raw.loop = lambda st, steps: torch_raw_loop(torch, st[0], st[1], st[2], x, y, steps, lr)
    raw.read = read
    return [opt, raw]


# ---------------------------------------------------------------------------------------------
# machine description


def _version(dist):
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_state():
    """The commit measured, with "+dirty" when flowkit/ or backends/ have uncommitted changes."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        head = subprocess.run(
            ["git", "-C", root, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", root, "status", "--porcelain", "--", "flowkit", "backends"],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return (head + ("+dirty" if dirty.strip() else "")) or None


def machine_info():
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "cpu_model": _cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": _version("torch"),
        "flowkit": _version("flowkit"),
        "flowkit_git": _git_state(),
        # as CI sees it: the script neither sets nor clears these
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
    }


# ---------------------------------------------------------------------------------------------
# child: one backend


def run_child(backend, steps, repeats, lr):
    os.environ["FLOWKIT_BACKEND"] = backend
    import flowkit as flow

    w0 = initial_w()
    result = {
        "backend": backend,
        "steps": steps,
        "repeats": repeats,
        "lr": lr,
        "machine": machine_info(),
        "notes": [],
    }
    fk = Impl("flowkit", backend, f"flowkit ({backend} backend)", "flowkit")
    sync = None
    try:
        flow.use_backend(backend)
        fk = flowkit_impl(flow, backend, w0, lr)
        result["flowkit_device"] = str(flow.backend().device)
    except Exception as exc:  # noqa: BLE001 - reported in the table, the baselines still run
        fk.error = _oneline(exc)

    if backend == "numpy":
        impls = [fk] + numpy_impls(w0, lr)
    elif backend == "torch":
        import torch

        device = result.get("flowkit_device", "cpu")
        if device.startswith("cuda"):
            sync = torch.cuda.synchronize
        result["torch_threads"] = torch.get_num_threads()
        result["torch_device"] = device
        impls = [fk] + torch_impls(torch, device, w0, lr)
    else:  # a third-party backend: no baseline of its own, compare with hand numpy
        impls = [fk] + numpy_impls(w0, lr)
        result["notes"].append(f"no baseline specific to {backend!r}; hand numpy shown")

    live = [i for i in impls if i.error is None]
    for i in live:  # warm-up: imports, caches, lazy init; not counted
        try:
            i.run_once(min(steps, 50), sync)
        except Exception as exc:  # noqa: BLE001 - e.g. a backend still being written
            i.error = _oneline(exc)
        i.samples_us.clear()
    live = [i for i in impls if i.error is None]
    for _ in range(repeats):  # interleaved: flowkit, baseline, baseline, flowkit, ...
        for i in live:
            if i.error is None:
                try:
                    i.run_once(steps, sync)
                except Exception as exc:  # noqa: BLE001 - the other rows still get measured
                    i.error = _oneline(exc)
    result["rows"] = [i.row() for i in impls]
    result["torch_imported"] = "torch" in sys.modules  # must stay False for the numpy backend
    add_verdicts(result)
    return result


def add_verdicts(result):
    rows = {r["key"]: r for r in result["rows"]}
    fk = rows.get("flowkit")
    med = (fk or {}).get("us_per_step_median")
    ratios = {}
    for r in result["rows"]:
        if r["role"] == "baseline" and r["us_per_step_median"] and med:
            ratios[r["key"]] = med / r["us_per_step_median"]
    result["ratios"] = ratios
    # the same ratio taken round by round (flowkit and baseline ran back to back), then the
    # median: steadier than the ratio of medians when the machine's speed drifts
    paired = {}
    fs = (fk or {}).get("samples_us_per_step") or []
    for r in result["rows"]:
        bs = r["samples_us_per_step"]
        if r["role"] == "baseline" and fs and len(bs) == len(fs):
            paired[r["key"]] = statistics.median(a / b for a, b in zip(fs, bs, strict=True))
    result["ratios_paired"] = paired
    # the table and the torch target use the paired ratios
    if result["backend"] == "numpy":
        r = paired.get("numpy_plain")
        result["target"] = {
            "text": f"<= {NUMPY_TARGET_RATIO:g}x hand numpy loop",
            "value": r,
            "met": None if r is None else r <= NUMPY_TARGET_RATIO,
        }
    elif result["backend"] == "torch":
        r = paired.get("torch_optim")
        result["target"] = {
            "text": f"<= {TORCH_TARGET_RATIO:g}x torch.optim.SGD loop",
            "value": r,
            "met": None if r is None else r <= TORCH_TARGET_RATIO,
        }


# ---------------------------------------------------------------------------------------------
# profile mode: where a flowkit step's time goes


def run_profile(backend, steps):
    import cProfile

    os.environ["FLOWKIT_BACKEND"] = backend
    import flowkit as flow

    flow.use_backend(backend)
    impl = flowkit_impl(flow, backend, initial_w(), LR)
    model, loss, opt = impl.build()
    x = flow.tensor(X, dtype=flow.float32)
    y = flow.tensor(Y, dtype=flow.float32)
    flowkit_loop(model, loss, opt, x, y, 50)

    # phase breakdown: a clock read between phases (its cost measured and subtracted); each
    # chunk of `steps` steps gives a mean per phase, and the median chunk is reported
    clock = time.perf_counter_ns
    names = (
        "forward model(x)",
        "loss(y_pred, y)",
        "optimizer.zero_grad()",
        "l.backward()",
        "optimizer.step()",
    )
    t0 = clock()
    for _ in range(1000):
        clock()
    overhead = (clock() - t0) / 1000
    chunks = []
    for _ in range(9):
        tot = [0] * 5
        model, loss, opt = impl.build()
        for _ in range(steps):
            t0 = clock()
            y_pred = model(x)
            t1 = clock()
            lv = loss(y_pred, y)
            t2 = clock()
            opt.zero_grad()
            t3 = clock()
            lv.backward()
            t4 = clock()
            opt.step()
            t5 = clock()
            tot[0] += t1 - t0
            tot[1] += t2 - t1
            tot[2] += t3 - t2
            tot[3] += t4 - t3
            tot[4] += t5 - t4
        chunks.append([max(t / steps - overhead, 0) / 1e3 for t in tot])
    print(
        f"phase breakdown, {backend} backend (median of 9 x {steps} steps; clock overhead "
        f"{overhead:.0f} ns per phase subtracted):"
    )
    meds = [statistics.median(c[k] for c in chunks) for k in range(5)]
    for name, us in zip(names, meds, strict=True):
        print(f"  {name:24s} {us:7.2f} us  {100 * us / sum(meds):4.0f} %")
    print(f"  {'sum':24s} {sum(meds):7.2f} us")

    model, loss, opt = impl.build()
    prof = cProfile.Profile()
    prof.enable()
    flowkit_loop(model, loss, opt, x, y, steps)
    prof.disable()
    print(
        f"\ncProfile, {steps} steps (times inflated by the profiler; the call counts per step "
        "are exact):"
    )
    print_cprofile(prof, steps, top=30)


# ---------------------------------------------------------------------------------------------
# parent: every installed backend, one table


def installed_backends():
    """numpy always; torch when `import torch` works. The flowkit torch backend's state is
    reported by the child (a torch child without a usable backend still measures plain torch)."""
    names, notes = ["numpy"], []
    try:
        import flowkit as flow

        infos = {b.name: b for b in flow.backends()}
    except Exception as exc:  # noqa: BLE001
        infos = {}
        notes.append(f"flowkit.backends() failed: {type(exc).__name__}: {exc}")
    try:
        import torch  # noqa: F401

        have_torch = True
    except Exception as exc:  # noqa: BLE001
        have_torch = False
        notes.append(f"torch: not benchmarked (import torch failed: {type(exc).__name__})")
    if have_torch:
        names.append("torch")
        t = infos.get("torch")
        if t is None or not t.usable:
            why = "not installed" if t is None else (t.error or "not usable")
            notes.append(f"flowkit torch backend not usable ({why}); plain torch measured alone")
    for name, info in sorted(infos.items()):  # third-party backends
        if name not in ("numpy", "torch") and info.usable:
            names.append(name)
    return names, notes


def spawn_child(backend, args):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "result.json")
        cmd = [
            sys.executable,
            os.path.abspath(__file__),
            "--backend",
            backend,
            "--json",
            path,
            "--steps",
            str(args.steps),
            "--repeats",
            str(args.repeats),
            "--quiet",
        ]
        env = dict(os.environ, FLOWKIT_BACKEND=backend)
        try:
            proc = subprocess.run(
                cmd, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S
            )
        except subprocess.TimeoutExpired:
            return {"backend": backend, "rows": [], "error": f"timed out after {CHILD_TIMEOUT_S}s"}
        if proc.returncode != 0 or not os.path.exists(path):
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
            return {
                "backend": backend,
                "rows": [],
                "error": f"child exited {proc.returncode}: {tail[0]}",
            }
        with open(path) as f:
            return json.load(f)


def fmt_w(w):
    return "[" + ", ".join(f"{v:.4f}" for v in w) + "]" if w else "-"


def print_table(results, machine, notes, steps, repeats):
    m = machine
    print(
        f"flowkit bench: the tutorial's training step (backprop_and_optimizer), {steps} steps "
        f"per repeat, {repeats} repeats interleaved, median us/step"
    )
    print(
        f"machine: {m['cpu_count']} CPUs ({m['cpus_usable']} usable, {m['cpu_model']}), "
        f"{m['platform']}"
    )
    print(
        f"         python {m['python']}, numpy {m['numpy']}, torch {m['torch'] or '-'}, "
        f"OPENBLAS_CORETYPE={m['OPENBLAS_CORETYPE'] or '(unset)'}, "
        f"flowkit {m['flowkit']} at {m.get('flowkit_git') or '?'}"
    )
    for r in results:
        if r.get("torch_threads") is not None:
            print(f"         torch threads {r['torch_threads']}, device {r.get('torch_device')}")
    head = (
        f"{'backend':8s} {'implementation':36s} {'us/step':>8s} {'min':>7s}  "
        f"{'ratio':28s} {'target':34s} {'final loss':>10s}  final w"
    )
    print()
    print(head)
    print("-" * len(head))
    names = {
        "numpy_plain": "hand",
        "numpy_prealloc": "prealloc",
        "torch_optim": "optim.SGD",
        "torch_raw": "raw",
    }
    for r in results:
        if r.get("error"):
            print(f"{r['backend']:8s} (failed: {r['error']})")
            continue
        for row in r["rows"]:
            if row["error"]:
                print(
                    f"{row['backend']:8s} {row['implementation']:36s} unavailable: "
                    f"{row['error'][:150]}"
                )
                continue
            med, mn = row["us_per_step_median"], row["us_per_step_min"]
            if row["role"] == "flowkit":
                ratio = ", ".join(
                    f"{v:.2f}x {names.get(k, k)}" for k, v in r["ratios_paired"].items()
                )
                t = r.get("target")
                target = (
                    "-"
                    if not t
                    else f"{t['text']}: "
                    + ("met" if t["met"] else "NOT met" if t["met"] is False else "not measured")
                )
            else:
                ratio, target = "baseline", ""
            loss = "-" if row["final_loss"] is None else f"{row['final_loss']:.3g}"
            print(
                f"{row['backend']:8s} {row['implementation']:36s} {med:8.2f} {mn:7.2f}  "
                f"{ratio:28s} {target:34s} {loss:>10s}  {fmt_w(row['final_w'])}"
            )
    for n in list(notes) + [n for r in results for n in r.get("notes", [])]:
        print(f"note: {n}")
    print(
        "us/step: median over the repeats (min: the fastest repeat). ratio: flowkit / baseline "
        "per round, median over the rounds (lower is better; the JSON also has the ratio of "
        f"the medians). final loss: the loss at step {steps}; final w: after its update "
        "(the tutorial's answer is w = [2, 3])."
    )


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--backend", help="child mode: benchmark this backend only, in this process")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    p.add_argument("--steps", type=int, default=STEPS, help=f"steps per repeat ({STEPS})")
    p.add_argument(
        "--repeats", type=int, default=REPEATS, help=f"timed repeats per implementation ({REPEATS})"
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="with --backend: a phase breakdown and a cProfile of the flowkit loop",
    )
    p.add_argument("--quiet", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.profile:
        run_profile(args.backend or os.environ.get("FLOWKIT_BACKEND") or "numpy", args.steps)
        return 0
    if args.backend:
        res = run_child(args.backend, args.steps, args.repeats, LR)
        if args.json:
            os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
            with open(args.json, "w") as f:
                json.dump(res, f, indent=2)
        if not args.quiet:
            print_table([res], res["machine"], [], args.steps, args.repeats)
        return 0

    names, notes = installed_backends()
    results = [spawn_child(name, args) for name in names]
    machine = machine_info()
    print_table(results, machine, notes, args.steps, args.repeats)
    if args.json:
        out = {
            "benchmark": "tutorial_step",
            "steps": args.steps,
            "repeats": args.repeats,
            "lr": LR,
            "machine": machine,
            "targets": {
                "numpy_ratio_to_hand": NUMPY_TARGET_RATIO,
                "torch_ratio_to_optim_sgd": TORCH_TARGET_RATIO,
            },
            "notes": notes,
            "results": results,
        }
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
        print(f"wrote {args.json}")
    return 1 if any(r.get("error") for r in results) else 0


def print_cprofile(prof, steps: int, top: int = 25) -> None:
    """The hottest functions of a cProfile run, per step: calls, own time, share, cumulative."""
    import pstats

    stats = pstats.Stats(prof)
    rows = []
    for (file, line, fn), (_cc, nc, tt, ct, _) in stats.stats.items():
        where = f"{os.path.basename(os.path.dirname(file))}/{os.path.basename(file)}:{line}"
        if file == "~":
            where = "(builtin)"
        rows.append((tt, ct, nc, f"{fn}  [{where}]"))
    rows.sort(reverse=True)
    total = sum(r[0] for r in rows) or 1.0
    print(f"  {'calls/step':>10s} {'tottime us':>11s} {'share':>6s} {'cumtime us':>11s}  function")
    for tt, ct, nc, name in rows[:top]:
        print(
            f"  {nc / steps:10.1f} {tt / steps * 1e6:11.1f} {100 * tt / total:5.1f}% "
            f"{ct / steps * 1e6:11.1f}  {name}"
        )


if __name__ == "__main__":
    sys.exit(main())
