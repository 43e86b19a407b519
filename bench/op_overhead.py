"""What defining a numpy-backend op with ``op``/``defvjp`` costs against the hand-inlined form.

    python bench/op_overhead.py            # 15 rounds x 2,000 calls, alternating

The numpy backend keeps its hottest ops (``+ - * /``, ``sum``, ``matmul``...) written out inline
and defines the rest with :func:`flowkit_numpy.define.op` (kernel, VJP and replay in one place).
This measures the price of the general path on one op: the same ``a * b`` (same kernel, same
VJP, identical gradients, checked) both ways, alone and inside W3's step
``(a * b + c).sum().backward()`` on 2x2 float32 tensors. Prints medians and the ratio
op-defined ÷ inlined; nothing is asserted.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("FLOWKIT_BACKEND", "numpy")

import numpy as np  # noqa: E402

import flowkit as flow  # noqa: E402

if flow.backend().name != "numpy":
    sys.exit("bench/op_overhead.py measures the numpy backend: unset FLOWKIT_BACKEND")

from flowkit_numpy.define import op  # noqa: E402 - the backend's op definer, after selection


@op("bench_mul")
def bench_mul(a, b, grad):
    return a * b, ((a, b) if grad else None)


@bench_mul.defvjp
def _(g, ctx, need):
    a, b = ctx
    return (g * b if need[0] is not None else None, g * a if need[1] is not None else None)


def main(rounds: int = 15, calls: int = 2000) -> None:
    rng = np.random.default_rng(0)
    a, b, c = (flow.tensor(rng.random((2, 2), dtype=np.float32), requires_grad=True) for _ in "abc")

    cases = {
        "mul forward, inlined": lambda: a * b,
        "mul forward, op-defined": lambda: bench_mul((a, b)),
        "W3 step, inlined *": lambda: (a * b + c).sum().backward(),
        "W3 step, op-defined *": lambda: (bench_mul((a, b)) + c).sum().backward(),
    }
    grads = []
    for name in ("W3 step, inlined *", "W3 step, op-defined *"):
        a.grad = b.grad = c.grad = None
        cases[name]()
        grads.append((a.grad.numpy().copy(), b.grad.numpy().copy()))
    assert all(np.array_equal(x, y) for x, y in zip(*grads)), "the two forms must agree exactly"

    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            start = time.perf_counter_ns()
            for _ in range(calls):
                fn()
            times[name].append((time.perf_counter_ns() - start) / calls / 1e3)
    med = {name: statistics.median(v) for name, v in times.items()}
    for name in cases:
        print(f"{name:26} {med[name]:6.2f} us  (min {min(times[name]):.2f})")
    fwd = med["mul forward, op-defined"] / med["mul forward, inlined"]
    step = med["W3 step, op-defined *"] / med["W3 step, inlined *"]
    print(f"op-defined / inlined: forward {fwd:.2f}x, W3 step {step:.2f}x")


if __name__ == "__main__":
    main()
