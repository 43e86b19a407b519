"""Peak memory and time of loading (and saving) a ~200 MB checkpoint, against torch.save/load.

    python bench/checkpoint_load.py                 # 200 MB, 3 fresh processes per case
    python bench/checkpoint_load.py --mb 50 --repeats 5

Writes a state dict of float32 tensors (1024 x 1024 weights and small biases, about ``--mb``
megabytes) once with ``flowkit.save`` and, when torch is installed, once with ``torch.save``.
Each case then runs in a fresh Python process: after the imports it resets the peak-RSS mark
(``/proc/self/clear_refs``; elsewhere the ``ru_maxrss`` delta) and notes the RSS, runs the load
(or the save) once, and reports the peak RSS above that baseline divided by the tensors' size,
and the time. Cases: ``flowkit.load`` with and without digest verification on each installed
backend, ``torch.load`` (``weights_only=True``, the default), and the saves. The page cache is
warm (the file was just written), so the times are memory and CPU, not disk. Medians of the
times and the minima (the least disturbed runs, which the ratios use), the maxima of the peaks,
and ratios are printed; nothing is asserted.
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

CHILD = r"""
import json, os, resource, sys, time
case, path, mb = sys.argv[1], sys.argv[2], float(sys.argv[3])
import numpy as np
if case.startswith("flowkit"):
    import flowkit as flow
    flow.backend()  # the backend is chosen (and imported) on first use: before the baseline
if "torch" in case:
    import torch

n = max(1, round(mb * 1e6 / (4 * 1024 * 1025)))  # layers of a 1024 x 1024 weight and a bias
nbytes = n * 4 * 1024 * 1025

def tensors():
    rng = np.random.default_rng(0)
    out = {}
    for i in range(n):
        out[f"layers.{i}.weight"] = rng.standard_normal((1024, 1024), dtype=np.float32)
        out[f"layers.{i}.bias"] = rng.standard_normal(1024, dtype=np.float32)
    return out

def rss(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return None

def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # Linux >= 4.0: the peak RSS (VmHWM) restarts from the current RSS
        return True
    except OSError:
        return False

data = tensors() if "save" in case else None
if case == "flowkit-save":
    data = {k: flow.from_numpy(v) for k, v in data.items()}
elif case == "torch-save":
    data = {k: torch.from_numpy(v) for k, v in data.items()}
cleared = reset_peak()
base = rss("VmRSS") if cleared else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t = time.perf_counter()
if case == "flowkit-verify":
    out = flow.load(path)
elif case == "flowkit-noverify":
    out = flow.load(path, verify=False)
elif case == "torch-load":
    out = torch.load(path)
elif case == "flowkit-save":
    flow.save(data, path)
elif case == "torch-save":
    torch.save(data, path)
seconds = time.perf_counter() - t
peak = rss("VmHWM") if cleared else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": seconds, "peak": peak - base, "tensors": nbytes,
                  "backend": flow.backend().name if case.startswith("flowkit") else "torch"}))
"""


def _run(case: str, path: str, mb: float, backend: str | None) -> dict:
    env = dict(os.environ)
    if backend:
        env["FLOWKIT_BACKEND"] = backend
        env["FLOWKIT_DEVICE"] = "cpu"  # the host memory is what is measured
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, case, path, str(mb)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode:
        sys.exit(f"{case} ({backend}) failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=200, help="tensor megabytes (default 200)")
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per case")
    parser.add_argument("--dir", default=None, help="where to write (default: a temp dir)")
    args = parser.parse_args()

    try:
        import torch

        have_torch = True
    except ImportError:
        have_torch = False
    backends = ["numpy"] + (["torch"] if have_torch else [])

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        fk_path = os.path.join(tmp, "ckpt.safetensors")
        pt_path = os.path.join(tmp, "ckpt.pt")
        # the files to load: written by the save cases themselves (which are measured too)
        cases = [("flowkit-save", fk_path, "numpy")]
        if have_torch:
            cases += [("flowkit-save", fk_path, "torch"), ("torch-save", pt_path, None)]
        for backend in backends:
            cases += [
                ("flowkit-verify", fk_path, backend),
                ("flowkit-noverify", fk_path, backend),
            ]
        if have_torch:
            cases.append(("torch-load", pt_path, None))
        results: dict[tuple[str, str | None], list[dict]] = {c[::2]: [] for c in cases}
        for _ in range(args.repeats):  # round by round, so drift spreads over every case
            for case, path, backend in cases:
                results[(case, backend)].append(_run(case, path, args.mb, backend))
        size = os.path.getsize(fk_path)

    first = next(iter(results.values()))[0]
    tensors = first["tensors"]
    print(
        f"checkpoint: {tensors / 1e6:.1f} MB of float32 tensors, flowkit file {size / 1e6:.1f} MB; "
        f"{args.repeats} fresh processes per case, page cache warm"
    )
    print(
        f"machine: {platform.machine()} {platform.system()} {platform.release()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
        + (f", torch {torch.__version__}" if have_torch else "")
    )
    print(f"{'case':34} {'peak RSS / tensors':>18} {'median':>8} {'min':>8} {'GB/s (min)':>10}")
    medians = {}
    for (case, backend), runs in results.items():
        peak = max(r["peak"] for r in runs) / tensors
        secs = statistics.median(r["seconds"] for r in runs)
        fastest = min(r["seconds"] for r in runs)
        medians[(case, backend)] = fastest  # the ratios: the least disturbed runs
        label = {
            "flowkit-verify": "flowkit.load",
            "flowkit-noverify": "flowkit.load(verify=False)",
            "flowkit-save": "flowkit.save (with fsync)",
            "torch-load": "torch.load",
            "torch-save": "torch.save (no fsync)",
        }[case] + (f" [{backend}]" if backend else "")
        print(
            f"{label:34} {peak:17.2f}x {secs * 1e3:5.0f} ms {fastest * 1e3:5.0f} ms "
            f"{tensors / fastest / 1e9:10.2f}"
        )
    for backend in backends:
        on, off = medians[("flowkit-verify", backend)], medians[("flowkit-noverify", backend)]
        line = (
            f"[{backend}] (min times) verify costs {(on - off) * 1e3:.0f} ms "
            f"({(on / off - 1) * 100:.0f}% of the unverified load)"
        )
        if have_torch:
            ref = medians[("torch-load", None)]
            line += (
                f"; flowkit.load / torch.load time: {on / ref:.2f}x ({off / ref:.2f}x unverified)"
            )
        print(line)


if __name__ == "__main__":
    main()
