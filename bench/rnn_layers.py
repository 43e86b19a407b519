"""Recurrent layers: forward + backward of a 1-layer ``flowkit.nn.LSTM`` against its baselines.

    python bench/rnn_layers.py                    # both backends, each in its own process
    python bench/rnn_layers.py --backend numpy    # one of them
    python bench/rnn_layers.py --rounds 30 --threads 0

Workload: batch 32, sequence 50, input 64, hidden 128, float32, ``out.sum().backward()``.

* numpy: flowkit's numpy backend (fused time loop, hand-written BPTT) against a straightforward
  hand-written numpy LSTM (input projection for all steps in one matmul, one hidden matmul per
  step, the textbook backward pass). Target: within 1.5x.
* torch: flowkit's torch backend (``torch.lstm`` under flowkit's Tensor) against plain
  ``torch.nn.LSTM`` with the same weights. Target: within 1.05x.

Each round times the flowkit step and its baseline back to back (alternating which goes first);
prints the medians and the ratio flowkit ÷ baseline. Results agree (checked once); no timing is
asserted. ``--threads 1`` (the default, as the suite) pins BLAS/OpenMP to one thread.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

B, T, IN, H = 32, 50, 64, 128
TARGETS = {"numpy": 1.5, "torch": 1.05}


# ------------------------------------------------------------------ the hand-written numpy LSTM
def _sigmoid(a):
    import numpy as np

    return 1.0 / (1.0 + np.exp(-a))


def numpy_lstm_step(x, w_ih, w_hh, b_ih, b_hh):
    """Forward and backward of ``LSTM(x).output.sum()`` (zero initial state) in plain numpy:
    returns the output and the gradients of x and the four parameters."""
    import numpy as np

    t_len, b, _ = x.shape
    h_size = w_hh.shape[1]
    xp = (x.reshape(t_len * b, -1) @ w_ih.T + b_ih + b_hh).reshape(t_len, b, 4 * h_size)
    h = np.zeros((b, h_size), x.dtype)
    c = np.zeros((b, h_size), x.dtype)
    hs, cs, gates, tcs = [], [], [], []
    out = np.empty((t_len, b, h_size), x.dtype)
    for t in range(t_len):
        hs.append(h)
        cs.append(c)
        a = xp[t] + h @ w_hh.T
        i = _sigmoid(a[:, :h_size])
        f = _sigmoid(a[:, h_size : 2 * h_size])
        g = np.tanh(a[:, 2 * h_size : 3 * h_size])
        o = _sigmoid(a[:, 3 * h_size :])
        c = f * c + i * g
        tc = np.tanh(c)
        h = o * tc
        gates.append((i, f, g, o))
        tcs.append(tc)
        out[t] = h
    dout = np.ones_like(out)
    dh = np.zeros((b, h_size), x.dtype)
    dc = np.zeros((b, h_size), x.dtype)
    da = np.empty((t_len, b, 4 * h_size), x.dtype)
    for t in range(t_len - 1, -1, -1):
        i, f, g, o = gates[t]
        dh = dh + dout[t]
        dc = dc + dh * o * (1 - tcs[t] ** 2)
        da[t] = np.concatenate(
            [
                dc * g * i * (1 - i),
                dc * cs[t] * f * (1 - f),
                dc * i * (1 - g * g),
                dh * tcs[t] * o * (1 - o),
            ],
            axis=1,
        )
        dh = da[t] @ w_hh
        dc = dc * f
    da2 = da.reshape(t_len * b, 4 * h_size)
    dx = (da2 @ w_ih).reshape(x.shape)
    dw_ih = da2.T @ x.reshape(t_len * b, -1)
    dw_hh = da2.T @ np.stack(hs).reshape(t_len * b, h_size)
    db = da2.sum(axis=0)
    return out, dx, dw_ih, dw_hh, db, db


# ------------------------------------------------------------------ one backend
def run_backend(rounds: int) -> float:
    import numpy as np

    import flowkit as flow

    backend = flow.backend().name
    flow.manual_seed(0)
    m = flow.nn.LSTM(IN, H)
    xa = np.random.default_rng(0).standard_normal((T, B, IN)).astype(np.float32)
    x = flow.tensor(xa, requires_grad=True)

    def flowkit_step():
        x.grad = None
        m.zero_grad()
        out, _ = m(x)
        out.sum().backward()
        return out

    ws = {n: p.numpy().copy() for n, p in m.named_parameters()}
    if backend == "numpy":
        args = (xa, ws["weight_ih_l0"], ws["weight_hh_l0"], ws["bias_ih_l0"], ws["bias_hh_l0"])

        def baseline_step():
            return numpy_lstm_step(*args)

        ref = baseline_step()
        got = flowkit_step()
        np.testing.assert_allclose(got.numpy(), ref[0], rtol=1e-4, atol=1e-5)
        grads = dict(m.named_parameters())
        assert x.grad is not None and grads["weight_hh_l0"].grad is not None
        np.testing.assert_allclose(x.grad.numpy(), ref[1], rtol=1e-3, atol=1e-4)
        np.testing.assert_allclose(grads["weight_hh_l0"].grad.numpy(), ref[3], rtol=1e-3, atol=1e-3)
        name = "hand-written numpy LSTM"
    else:
        import torch

        tm = torch.nn.LSTM(IN, H)
        with torch.no_grad():
            for n, p in tm.named_parameters():
                p.copy_(torch.from_numpy(ws[n]))
        tx = torch.tensor(xa, requires_grad=True)

        def baseline_step():
            tx.grad = None
            tm.zero_grad()
            out, _ = tm(tx)
            out.sum().backward()
            return out

        ref = baseline_step()
        got = flowkit_step()
        np.testing.assert_allclose(got.numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
        name = "torch.nn.LSTM"
    for _ in range(3):  # warm up
        flowkit_step()
        baseline_step()
    tf: list[float] = []
    tb: list[float] = []
    for r in range(rounds):
        order = [(flowkit_step, tf), (baseline_step, tb)]
        if r % 2:
            order.reverse()
        for fn, acc in order:
            t0 = time.perf_counter()
            fn()
            acc.append(time.perf_counter() - t0)
    mf, mb = statistics.median(tf), statistics.median(tb)
    ratio = mf / mb
    met = "met" if ratio <= TARGETS[backend] else "NOT met"
    print(
        f"{backend:>5}: flowkit LSTM {mf * 1e3:8.2f} ms   {name} {mb * 1e3:8.2f} ms   "
        f"ratio {ratio:.3f}  (target <= {TARGETS[backend]}: {met})",
        flush=True,
    )
    return ratio


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", choices=("numpy", "torch", "both"), default="both")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads (0: as found)")
    args = ap.parse_args()
    print(
        f"LSTM forward+backward, batch {B}, seq {T}, input {IN}, hidden {H}, float32, "
        f"{args.rounds} rounds, threads={args.threads or 'as found'}",
        flush=True,
    )
    backends = ("numpy", "torch") if args.backend == "both" else (args.backend,)
    for b in backends:
        env = dict(os.environ, FLOWKIT_BACKEND=b)
        if args.threads:
            for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
                env[k] = str(args.threads)
        cmd = [sys.executable, __file__, "--child", "--rounds", str(args.rounds)]
        subprocess.run(cmd + ["--threads", str(args.threads)], env=env, check=False)


if __name__ == "__main__":
    if "--child" in sys.argv:
        sys.argv.remove("--child")
        ap = argparse.ArgumentParser()
        ap.add_argument("--rounds", type=int, default=20)
        ap.add_argument("--threads", type=int, default=1)
        a = ap.parse_args()
        if a.threads:
            import torch

            torch.set_num_threads(a.threads)
        run_backend(a.rounds)
    else:
        main()
