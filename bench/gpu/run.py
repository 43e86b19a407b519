"""flowkit on a GPU: W1, W2 and a large MLP with the torch backend, eager and in nn.Graph, next
to plain PyTorch eager on the same card, in one process.

    python bench/gpu/run.py                          # CUDA (about 1 minute on an H100)
    python bench/gpu/run.py --json bench/results/gpu.json
    python bench/gpu/run.py --only W1,W2             # some workloads: W1 W2 large
    python bench/gpu/run.py --device cpu --quick     # smoke test on a machine without a GPU

Workloads (the suite's W1 and W2, see bench/README.md, plus a large MLP):

    W1     the tutorial's training step: 4x2 @ 2x1, MSELoss(reduction="sum"), SGD lr 0.01
    W2     MLP 784-256-128-10, ReLU, F.cross_entropy, batch 128, SGD (lr 0.01, momentum 0.9)
           and Adam (lr 1e-3)
    large  MLP 4096-4096-4096-10, ReLU, F.cross_entropy, batch 4096, float32, SGD (lr 0.01,
           momentum 0.9); --large-size N makes it N-N-N-10 with batch N

Implementations, built once per workload from the same initial weights and data, run alternately
(in order on even rounds, reversed on odd ones) after a warm-up:

    plain PyTorch   torch.nn.Module + F.cross_entropy / nn.MSELoss + torch.optim, eager
    flowkit eager   the same code with ``import flowkit as flow`` (FLOWKIT_BACKEND=torch)
    flowkit graph   the same step as a flow.nn.Graph (build: loss, loss.backward();
                    add_optimizer), one call per step

On CUDA every repeat is bracketed by torch.cuda.synchronize(); a sample is the repeat's time
divided by its steps.
Reported: the median (and min) us/step over the repeats, the ratio flowkit / PyTorch taken round
by round (then the median), and for the large MLP the achieved TFLOP/s, counted as
6 * parameters * batch per step. Targets (printed, never asserted): eager <= 1.05x plain PyTorch
on every workload; nn.Graph >= 3x faster than plain PyTorch eager on W1 and W2.

Needs torch (>= 2.4) and flowkit (with its own dependencies, numpy and pluggy), nothing else.
It runs from a checkout: the models, data, nn.Graph step and timing harness are bench/suite.py's
(and bench/tutorial_step.py's), which import only numpy and the standard library.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# The pieces shared with the CPU suite (models, data, the nn.Graph step, the alternating harness,
# the machine helpers) come from bench/suite.py and bench/tutorial_step.py, which import numpy
# and the standard library only. The checkout's root is on sys.path just for this import, so that
# an installed flowkit still wins over the checkout's below.
sys.path.insert(0, ROOT)
try:
    from bench import suite
finally:
    sys.path.remove(ROOT)
tutorial_step = suite.tutorial_step  # the module bench/suite.py imported (not a second copy)

# step counts: (full, quick). Full: about 1 minute of timing on an H100 (W1 ~0.35 ms/step,
# W2 ~1 ms, large ~15 ms at fp32), leaving room for start-up and a graph's first call
SETTINGS = {
    "W1": {"steps": (200, 20), "repeats": (21, 3), "warmup": (20, 5)},
    "W2": {"steps": (50, 5), "repeats": (21, 3), "warmup": (10, 3)},
    "large": {"steps": (10, 2), "repeats": (11, 3), "warmup": (3, 2)},
}
LARGE_SIZE = 4096

EAGER_LIMIT = 1.05  # flowkit eager / plain PyTorch, every workload
GRAPH_SPEEDUP = 3.0  # plain PyTorch / flowkit graph, W1 and W2
GRAPH_TARGETED = ("W1", "W2 SGD", "W2 Adam")

_oneline = suite._oneline

# ---------------------------------------------------------------------------------------------
# implementations: the suite's, three per workload, every one traced (the warm-up keeps its
# losses and times the first call alone)

LABELS = {
    "torch": "plain PyTorch eager (nn.Module + torch.optim)",
    "eager": "flowkit eager (torch backend)",
    "graph": "flowkit nn.Graph (torch backend)",
}


def build_impls(flow, torch, device, workload, opt, large_size):
    """The three implementations of one workload (plain PyTorch, flowkit eager, flowkit graph:
    ``suite.Impl``, keys ``torch``, ``eager``, ``graph``), and a description of it."""
    if workload == "W1":  # W1G's implementations (bench/tutorial_step.py's step and baselines)
        by = {i.key: i for i in suite.w1g_impls("torch", flow, None)}
        impls = [by["torch_optim"], by["flowkit_eager"], by["flowkit_graph"]]
        desc = {
            "model": "x 4x2 @ w 2x1, MSELoss(reduction='sum')",
            "optimizer": f"SGD lr {tutorial_step.LR}",
        }
    else:
        sizes = suite.W2_SIZES if workload == "W2" else (large_size, large_size, large_size, 10)
        batch = suite.W2_BATCH if workload == "W2" else large_size
        data = suite.w2_data(sizes, batch)
        nparams = int(sum(w.size + b.size for w, b in data[2]))
        sgd, adam = suite.W2_SGD, suite.W2_ADAM
        desc = {
            "sizes": list(sizes),
            "batch": batch,
            "parameters": nparams,
            "optimizer": (
                f"SGD lr {sgd['lr']} momentum {sgd['momentum']}"
                if opt == "sgd"
                else f"Adam lr {adam['lr']}"
            ),
            "flop_per_step": 6 * nparams * batch,
        }
        trace = suite._loss_value
        impls = [
            suite.mlp_impl("torch", "", "baseline", torch, data, opt, device=device, trace=trace),
            suite.mlp_impl("eager", "", "flowkit", flow, data, opt, trace=trace),
            suite.mlp_impl("graph", "", "flowkit", flow, data, opt, graph=True, trace=trace),
        ]
    for i, key in zip(impls, LABELS):
        i.key, i.label = key, LABELS[key]
    return impls, desc


def _trajectory(a, b):
    """max |a - b| / max |b| over two loss trajectories, and whether they are identical."""
    if not a.losses or len(a.losses) != len(b.losses):
        return None
    scale = max(max(abs(v) for v in b.losses), 1e-30)
    return {
        "steps": len(a.losses),
        "identical": a.losses == b.losses,
        "max_diff_scaled": max(abs(p - q) for p, q in zip(a.losses, b.losses)) / scale,
    }


def rows_of(name, impls, desc, settings):
    torch_i = impls[0]
    rows = []
    for i in impls:
        s = i.samples if i.error is None else []
        med = statistics.median(s) if s else None
        row = {
            "workload": name,
            "key": i.key,
            "label": i.label,
            "error": i.error,
            "us_per_step_median": med,
            "us_per_step_min": min(s) if s else None,
            "samples_us_per_step": [round(v, 3) for v in s],
            "first_call_ms": i.info.get("first_call_ms"),
            "final_loss": i.info.get("final_loss"),
            "warmup_losses": i.losses,
            "ratio": None,
            "ratio_of_medians": None,
            "tflops": None,
            "target": None,
        }
        if name == "large" and med:
            row["tflops"] = desc["flop_per_step"] / (med * 1e-6) / 1e12
        if i.key != "torch" and i.error is None and torch_i.error is None:
            row["ratio"] = suite._paired_ratio(i, torch_i)
            tm = statistics.median(torch_i.samples) if torch_i.samples else None
            row["ratio_of_medians"] = med / tm if med and tm else None
        if i.key == "eager":
            row["target"] = {
                "text": f"<= {EAGER_LIMIT:g}x PyTorch",
                "met": None if row["ratio"] is None else row["ratio"] <= EAGER_LIMIT,
            }
            row["trajectory_vs_torch"] = _trajectory(i, torch_i)
        elif i.key == "graph":
            if name in GRAPH_TARGETED:
                row["target"] = {
                    "text": f">= {GRAPH_SPEEDUP:g}x faster than PyTorch",
                    "met": None if row["ratio"] is None else 1 / row["ratio"] >= GRAPH_SPEEDUP,
                }
            else:
                row["target"] = {"text": "(reported)", "met": None}
            row["trajectory_vs_eager"] = _trajectory(i, impls[1])
        rows.append(row)
    return {"workload": name, "description": desc, "settings": settings, "rows": rows}


# ---------------------------------------------------------------------------------------------
# machine and versions


def machine_info(flow, torch, device):
    """bench/tutorial_step.py's machine description (CPU, platform, versions, the commit
    measured), with the torch, flowkit and card details of this run."""
    m = tutorial_step.machine_info()
    if m["flowkit"] is None:
        m["flowkit"] = getattr(flow, "__version__", "?") + " (not installed)"
    m.update(
        torch=torch.__version__,
        torch_cuda=torch.version.cuda,
        flowkit_path=os.path.dirname(flow.__file__),
        device=str(device),
        flowkit_device=str(flow.backend().device),
        torch_threads=torch.get_num_threads(),
        float32_matmul_precision=torch.get_float32_matmul_precision(),
        tf32_matmul=bool(torch.backends.cuda.matmul.allow_tf32),
    )
    if str(device).startswith("cuda"):
        p = torch.cuda.get_device_properties(device)
        m.update(
            card=torch.cuda.get_device_name(device),
            capability=f"sm_{p.major}{p.minor}",
            memory_gib=round(p.total_memory / 2**30, 1),
            cudnn=torch.backends.cudnn.version(),
        )
    else:
        m["card"] = f"none (CPU: {m['cpu_model']})"
    return m


# ---------------------------------------------------------------------------------------------
# the table


def fmt_us(v):
    if v is None:
        return "-"
    return f"{v / 1000:.2f} ms" if v >= 1000 else f"{v:.1f} us"


def print_table(result, out=sys.stdout):
    m = result["machine"]
    p = lambda *a: print(*a, file=out)  # noqa: E731
    p(
        f"flowkit GPU bench ({'quick' if result['quick'] else 'full'}): {result['date']}, "
        f"{result['seconds']:.0f} s"
    )
    p(
        f"card:    {m['card']}"
        + (
            f" ({m['capability']}, {m['memory_gib']} GiB), CUDA {m['torch_cuda']}"
            if "capability" in m
            else ""
        )
    )
    p(
        f"versions: torch {m['torch']}, flowkit {m['flowkit']} ({m['flowkit_path']}) at "
        f"{m['flowkit_git'] or '?'}, "
        f"python {m['python']}, numpy {m['numpy']}; device {m['device']} (flowkit: "
        f"{m['flowkit_device']}); torch threads {m['torch_threads']}; float32 matmul precision "
        f"'{m['float32_matmul_precision']}' (TF32 {'on' if m['tf32_matmul'] else 'off'})"
    )
    head = (
        f"{'workload':9s} {'implementation':46s} {'us/step':>10s} {'min':>10s} "
        f"{'/PyTorch':>8s} {'TFLOP/s':>7s}  {'target':30s} {'verdict':8s} notes"
    )
    suite.print_head(p, head)
    for w in result["workloads"]:
        first = True
        for r in w["rows"]:
            name = w["workload"] if first else ""
            first = False
            if r["error"]:
                p(f"{name:9s} {r['label']:46s} unavailable: {r['error'][:150]}")
                continue
            ratio = (
                f"{r['ratio']:.2f}x"
                if r["ratio"] is not None
                else "base"
                if r["key"] == "torch"
                else "-"
            )
            tf = f"{r['tflops']:.3g}" if r["tflops"] is not None else ""
            t = r["target"] or {}
            verdict = (
                ""
                if t.get("text") in (None, "(reported)")
                else {True: "met", False: "NOT met", None: "-"}[t["met"]]
            )
            notes = [f"loss {r['final_loss']:.4g}" if r["final_loss"] is not None else ""]
            if r["key"] == "graph" and r["ratio"]:
                notes.append(f"speed-up {1 / r['ratio']:.2f}x")
            if r["key"] != "torch" and r["first_call_ms"] is not None:
                notes.append(f"first call {r['first_call_ms']:.1f} ms")
            p(
                f"{name:9s} {r['label']:46s} {fmt_us(r['us_per_step_median']):>10s} "
                f"{fmt_us(r['us_per_step_min']):>10s} {ratio:>8s} {tf:>7s}  "
                f"{t.get('text', 'baseline'):30s} {verdict:8s} {'; '.join(n for n in notes if n)}"
            )
    p("")
    for w in result["workloads"]:
        d = w["description"]
        for r in w["rows"]:
            for key, other in (
                ("trajectory_vs_eager", "flowkit eager"),
                ("trajectory_vs_torch", "plain PyTorch"),
            ):
                c = r.get(key)
                if c:
                    same = (
                        "identical"
                        if c["identical"]
                        else f"max |diff| / max |loss| = {c['max_diff_scaled']:.1e}"
                    )
                    p(
                        f"check: {w['workload']}: {r['label']} vs {other}, loss trajectory of "
                        f"the {c['steps']} warm-up steps from the same weights: {same}"
                    )
        if "flop_per_step" in d and w["workload"] == "large":
            p(
                f"large MLP: {'-'.join(map(str, d['sizes']))}, batch {d['batch']}, "
                f"{d['parameters']:,} parameters, {d['optimizer']}; TFLOP/s = 6 x parameters x "
                f"batch / (s per step) = {d['flop_per_step']:.3g} flop per step (the matmuls: "
                "2PB forward + 4PB backward; bias, ReLU, loss and optimizer not counted)"
            )
    p(
        "us/step: median over the repeats (min: fastest repeat), each repeat bracketed by "
        "torch.cuda.synchronize() on CUDA. /PyTorch: flowkit / plain PyTorch eager taken round by "
        "round, median over the rounds (lower is better). 'first call': untimed otherwise, where a "
        "graph records its step."
    )


# ---------------------------------------------------------------------------------------------
# main


def parse_only(text):
    names = {"w1": "W1", "w2": "W2", "large": "large"}
    if not text:
        return list(names.values())
    out = []
    for part in text.split(","):
        part = part.strip()
        if part and part.lower() not in names:
            raise SystemExit(f"--only: unknown workload {part!r}; choose from W1, W2, large")
        if part:
            out.append(names[part.lower()])
    return [w for w in names.values() if w in out]


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--device",
        default=None,
        help="cuda (default), cuda:N, or cpu (a smoke test: use it with --quick)",
    )
    p.add_argument("--quick", action="store_true", help="a few steps and repeats (smoke test)")
    p.add_argument("--only", metavar="W1,W2,large", help="some workloads")
    p.add_argument(
        "--large-size",
        type=int,
        default=None,
        help=f"the large MLP's width and batch (default {LARGE_SIZE}; 512 with --device cpu)",
    )
    p.add_argument("--repeats", type=int, default=None, help="timed repeats per workload")
    p.add_argument(
        "--tf32",
        action="store_true",
        help="allow TF32 matmuls (default: torch's default, full float32)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch intra-op threads (default: 1 with --device cpu, where a shared "
        "machine's second thread measures the neighbours; as found on CUDA)",
    )
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    args = p.parse_args(argv)
    quick = int(bool(args.quick))
    workloads = parse_only(args.only)

    device = args.device or os.environ.get("FLOWKIT_DEVICE") or "cuda"
    try:
        import torch
    except ImportError as exc:
        raise SystemExit(f"bench/gpu/run.py needs torch: {_oneline(exc)}") from None
    if device.startswith("cuda") and not torch.cuda.is_available():
        why = (
            "torch was built without CUDA"
            if torch.version.cuda is None
            else f"torch (CUDA {torch.version.cuda}) finds no usable GPU"
        )
        print(
            f"bench/gpu/run.py: no CUDA device here: torch {torch.__version__}, {why}. Run "
            "it on a GPU machine, or smoke-test it on the CPU with --device cpu --quick.",
            file=sys.stderr,
        )
        return 2
    large_size = args.large_size or (LARGE_SIZE if device.startswith("cuda") else 512)
    threads = (
        args.threads if args.threads is not None else (None if device.startswith("cuda") else 1)
    )
    if threads:
        torch.set_num_threads(threads)

    previous = os.environ.get("FLOWKIT_BACKEND")
    os.environ["FLOWKIT_BACKEND"] = "torch"
    os.environ["FLOWKIT_DEVICE"] = device
    if args.tf32:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    try:
        import importlib.util

        if (
            importlib.util.find_spec("flowkit") is None
            or importlib.util.find_spec("flowkit_torch") is None
        ):
            # a checkout that was never pip-installed: its flowkit and its bundled backends
            sys.path[:0] = [ROOT, os.path.join(ROOT, "backends")]
        import flowkit as flow

        flow.use_backend("torch", device)
        tdev = flow.backend().device
        if str(tdev).split(":")[0] != device.split(":")[0]:
            raise RuntimeError(f"flowkit's torch backend is on {tdev}, not {device}")
    except Exception as exc:  # noqa: BLE001
        print(
            f"bench/gpu/run.py: flowkit's torch backend is not usable on {device}: {_oneline(exc)}",
            file=sys.stderr,
        )
        return 2
    dev = torch.device(str(tdev))
    sync = (lambda: torch.cuda.synchronize(dev)) if dev.type == "cuda" else None

    t_start = time.time()
    machine = machine_info(flow, torch, dev)
    print(
        f"[gpu bench] {machine['card']}; torch {machine['torch']}, flowkit "
        f"{machine['flowkit']}"
        + (
            f" (FLOWKIT_BACKEND was {previous!r}: set to 'torch')"
            if previous not in (None, "torch")
            else ""
        ),
        file=sys.stderr,
        flush=True,
    )
    jobs = []  # (name, workload, optimizer)
    for w in workloads:
        if w == "W1":
            jobs.append(("W1", "W1", "w1"))
        elif w == "W2":
            jobs += [("W2 SGD", "W2", "sgd"), ("W2 Adam", "W2", "adam")]
        else:
            jobs.append(("large", "large", "sgd"))
    results, failed = [], False
    for name, w, opt in jobs:
        st = SETTINGS[w]
        steps, warmup = st["steps"][quick], st["warmup"][quick]
        repeats = args.repeats or st["repeats"][quick]
        t0 = time.perf_counter()
        try:
            impls, desc = build_impls(flow, torch, dev, w, opt, large_size)
        except Exception as exc:  # noqa: BLE001
            print(f"[gpu bench] {name}: FAILED to build: {_oneline(exc)}", file=sys.stderr)
            failed = True
            continue
        suite.interleave(impls, steps, repeats, warmup, sync=sync)
        res = rows_of(name, impls, desc, {"steps": steps, "repeats": repeats, "warmup": warmup})
        results.append(res)
        errs = [r["error"] for r in res["rows"] if r["error"]]
        failed = failed or bool(errs)
        print(
            f"[gpu bench] {name:8s} {time.perf_counter() - t0:6.1f} s"
            + (f"  errors: {errs}" if errs else ""),
            file=sys.stderr,
            flush=True,
        )
        del impls
        gc.collect()
        if dev.type == "cuda":
            torch.cuda.empty_cache()
    result = {
        "benchmark": "flowkit gpu",
        "quick": bool(quick),
        "date": time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(t_start)),
        "seconds": round(time.time() - t_start, 1),
        "machine": machine,
        "large_size": large_size,
        "targets": {
            "eager": f"<= {EAGER_LIMIT}x plain PyTorch eager, every workload",
            "graph": f">= {GRAPH_SPEEDUP}x faster than plain PyTorch eager on "
            f"{', '.join(GRAPH_TARGETED)}; large: reported",
        },
        "flops": "6 * parameters * batch per step",
        "workloads": results,
    }
    print()
    print_table(result)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
        print(f"wrote {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
