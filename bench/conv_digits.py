"""Benchmark: a training epoch of a small conv net on the 8x8 digits, flowkit vs plain torch.

The net (``conv_net``): Conv2d(1, 16, 3, padding=1) - BatchNorm2d - ReLU - MaxPool2d(2) -
Conv2d(16, 32, 3, padding=1) - ReLU - MaxPool2d(2) - Flatten - Dropout(0.1) - Linear(128, 10),
CrossEntropyLoss, SGD(lr=0.05, momentum=0.9), batches of 32 over scikit-learn's 1797 digits,
float32. The plain-torch baseline is the same net, loss and optimizer written in torch, run in the
same process, interleaved epoch by epoch with flowkit's (flowkit, torch, flowkit, ...).

    python bench/conv_digits.py                        # flowkit on FLOWKIT_BACKEND (numpy)
    FLOWKIT_BACKEND=torch python bench/conv_digits.py  # flowkit's torch backend
    python bench/conv_digits.py --epochs 5 --json bench/results/conv_digits.json

Reported: median seconds per epoch, test accuracy after the last epoch (on all 1797 images), and
the ratio to plain torch. Target (reported, never asserted): numpy backend well under 60 s per
epoch on 2 CPU cores (the layers' design goal).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import numpy as np

TARGET_S = 60.0


def load():
    from sklearn.datasets import load_digits

    d = load_digits()
    return (d.images / 16.0).astype(np.float32)[:, None], d.target.astype(np.int64)


def conv_net(nn):
    """The benchmark's net, from ``flowkit.nn`` or ``torch.nn`` (the same API)."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.1),
        nn.Linear(128, 10),
    )


def _runner(lib, x, y, batch):
    """``(epoch(order) -> seconds, accuracy() -> float)`` for flowkit or torch."""
    net = conv_net(lib.nn)
    opt = lib.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    loss_fn = lib.nn.CrossEntropyLoss()
    tensor = lib.tensor if lib.__name__ == "flowkit" else lib.from_numpy

    def epoch(order):
        net.train()
        t0 = time.perf_counter()
        for i in range(0, len(order), batch):
            b = order[i : i + batch]
            loss = loss_fn(net(tensor(x[b])), tensor(y[b]))
            opt.zero_grad()
            loss.backward()
            opt.step()
        loss.item()  # waits for queued device work
        return time.perf_counter() - t0

    def accuracy():
        net.eval()
        with lib.no_grad():
            return float((np.asarray(net(tensor(x)).numpy()).argmax(1) == y).mean())

    return epoch, accuracy


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    import flowkit as flow

    x, y = load()
    flow.manual_seed(0)
    runners = {"flowkit": _runner(flow, x, y, args.batch)}
    try:
        import torch

        torch.manual_seed(0)
        runners["torch"] = _runner(torch, x, y, args.batch)
    except ImportError:
        pass
    times = {k: [] for k in runners}
    for e in range(args.epochs):
        order = np.random.default_rng(e).permutation(len(y))
        for k, (epoch, _) in runners.items():
            times[k].append(epoch(order))
    result = {
        "backend": flow.backend().name,
        "device": str(flow.backend().device),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus",
        "epochs": args.epochs,
        "batch": args.batch,
        "rows": {
            k: {
                "median_s": statistics.median(times[k]),
                "all_s": times[k],
                "accuracy": runners[k][1](),
            }
            for k in runners
        },
    }
    fk = result["rows"]["flowkit"]["median_s"]
    print(
        f"conv net on digits, {args.epochs} epochs of {len(y)} images, batch {args.batch}; "
        f"flowkit backend {result['backend']} on {result['device']}; {result['machine']}"
    )
    for k, row in result["rows"].items():
        ratio = "" if k == "flowkit" else f"   flowkit / {k} = {fk / row['median_s']:.2f}x"
        print(
            f"  {k:8s} {row['median_s'] * 1e3:8.1f} ms/epoch   accuracy "
            f"{row['accuracy']:.3f}{ratio}"
        )
    if result["backend"] == "numpy":
        print(
            f"  target: < {TARGET_S:.0f} s/epoch on numpy: {'met' if fk < TARGET_S else 'NOT met'}"
        )
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
