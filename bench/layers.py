"""Benchmark: the layers a ported program reaches for beyond the course -- Conv1d, GroupNorm and
LSTM -- one forward and backward each, flowkit against its baseline in the same run.

    python bench/layers.py                        # numpy backend: against hand-written numpy
    FLOWKIT_BACKEND=torch python bench/layers.py  # torch backend: against plain PyTorch
    python bench/layers.py --only conv1d,groupnorm --repeats 15 --json bench/results/layers.json

One unit of work is ``out = layer(x); (out * g).sum().backward()`` from a fixed input ``x`` and a
fixed output gradient ``g`` (``default_rng(0)``), float32, with the same weights everywhere (the
hand-written baseline computes the same loss value and starts its backward from ``g``):

Rows (numpy baseline, target <= 1.5x; torch baseline, target <= 1.05x):

* conv1d: x (32, 16, 128), Conv1d(16, 32, 3, padding=1); hand numpy: im2col by stride tricks and
  one matmul, its backward by hand; torch: ``torch.nn.Conv1d``.
* groupnorm: x (32, 64, 256), GroupNorm(8, 64); hand numpy: mean/var per group, the backward by
  its closed form; torch: ``torch.nn.GroupNorm``.
* lstm: x (32, 50, 64), LSTM(64, 128, batch_first=True); hand numpy: one input matmul for all
  steps, a step loop, BPTT by hand; torch: ``torch.nn.LSTM``.

Before timing, each baseline's output and gradients are checked against flowkit's (a wrong
baseline would make any ratio meaningless). Samples alternate between implementations, repeat by
repeat (bench/suite.py's ``interleave``); the figure is the median, the ratio flowkit ÷ baseline.
Nothing is asserted on time: targets print as *met* / *NOT met*.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.suite import Impl, interleave  # noqa: E402 - after the path

ROWS = ("conv1d", "groupnorm", "lstm")
TARGET = {"numpy": 1.5, "torch": 1.05}


# ============================================================================ hand-written numpy
class HandConv1d:
    """Conv1d (stride 1, zero padding ``pad``), forward by im2col, backward by hand."""

    def __init__(self, w, b, pad):
        self.w, self.b, self.pad = w, b, pad

    def step(self, x, g):
        w, pad = self.w, self.pad
        c_out, c_in, k = w.shape
        xp = np.pad(x, ((0, 0), (0, 0), (pad, pad)))
        cols = np.lib.stride_tricks.sliding_window_view(xp, k, axis=2)  # (N, C_in, L, K)
        n, _, length, _ = cols.shape
        cols = cols.transpose(0, 2, 1, 3).reshape(n * length, c_in * k)
        w2 = w.reshape(c_out, c_in * k)
        out = (cols @ w2.T).reshape(n, length, c_out).transpose(0, 2, 1) + self.b[:, None]
        g2 = g.transpose(0, 2, 1).reshape(n * length, c_out)
        gw = (g2.T @ cols).reshape(w.shape)
        gb = g.sum(axis=(0, 2))
        gcols = (g2 @ w2).reshape(n, length, c_in, k)
        gxp = np.zeros_like(xp)
        for j in range(k):  # col2im: K shifted adds
            gxp[:, :, j : j + length] += gcols[:, :, :, j].transpose(0, 2, 1)
        gx = gxp[:, :, pad : pad + x.shape[2]]
        return out, gx, gw, gb


class HandGroupNorm:
    """GroupNorm(G, C) with affine weight and bias, forward and backward by hand."""

    def __init__(self, groups, weight, bias, eps=1e-5):
        self.groups, self.weight, self.bias, self.eps = groups, weight, bias, eps

    def step(self, x, g):
        n, c = x.shape[:2]
        xg = x.reshape(n, self.groups, -1)
        mean = xg.mean(axis=2, keepdims=True)
        xc = xg - mean
        var = (xc * xc).mean(axis=2, keepdims=True)
        inv = 1.0 / np.sqrt(var + self.eps)
        xhat = (xc * inv).reshape(x.shape)
        shape = (1, c) + (1,) * (x.ndim - 2)
        out = xhat * self.weight.reshape(shape) + self.bias.reshape(shape)
        axes = (0,) + tuple(range(2, x.ndim))
        gw = (g * xhat).sum(axis=axes)
        gb = g.sum(axis=axes)
        gxhat = (g * self.weight.reshape(shape)).reshape(n, self.groups, -1)
        xh = xhat.reshape(n, self.groups, -1)
        m = xh.shape[2]
        gx = (
            inv
            / m
            * (m * gxhat - gxhat.sum(2, keepdims=True) - xh * (gxhat * xh).sum(2, keepdims=True))
        )
        return out, gx.reshape(x.shape), gw, gb


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class HandLSTM:
    """One-layer LSTM (batch_first, PyTorch's gate order i, f, g, o), BPTT by hand."""

    def __init__(self, w_ih, w_hh, b_ih, b_hh):
        self.w_ih, self.w_hh, self.b = w_ih, w_hh, b_ih + b_hh

    def step(self, x, g):
        n, t_len, _ = x.shape
        h_size = self.w_hh.shape[1]
        xw = (x.reshape(n * t_len, -1) @ self.w_ih.T).reshape(n, t_len, -1) + self.b
        h = np.zeros((n, h_size), x.dtype)
        c = np.zeros_like(h)
        hs, cs, gates = [h], [c], []
        for t in range(t_len):
            z = xw[:, t] + h @ self.w_hh.T
            i, f = _sigmoid(z[:, :h_size]), _sigmoid(z[:, h_size : 2 * h_size])
            gg, o = np.tanh(z[:, 2 * h_size : 3 * h_size]), _sigmoid(z[:, 3 * h_size :])
            c = f * c + i * gg
            h = o * np.tanh(c)
            hs.append(h)
            cs.append(c)
            gates.append((i, f, gg, o))
        out = np.stack(hs[1:], axis=1)
        gz_all = np.empty_like(xw)
        gh = np.zeros_like(h)
        gc = np.zeros_like(c)
        for t in range(t_len - 1, -1, -1):
            i, f, gg, o = gates[t]
            gh = gh + g[:, t]
            tc = np.tanh(cs[t + 1])
            go = gh * tc
            gc = gc + gh * o * (1 - tc * tc)
            gi, gf, ggg = gc * gg, gc * cs[t], gc * i
            gz = gz_all[:, t]
            gz[:, :h_size] = gi * i * (1 - i)
            gz[:, h_size : 2 * h_size] = gf * f * (1 - f)
            gz[:, 2 * h_size : 3 * h_size] = ggg * (1 - gg * gg)
            gz[:, 3 * h_size :] = go * o * (1 - o)
            gc = gc * f
            gh = gz @ self.w_hh
        gz2 = gz_all.reshape(n * t_len, -1)
        gw_ih = gz2.T @ x.reshape(n * t_len, -1)
        gw_hh = sum(gz_all[:, t].T @ hs[t] for t in range(t_len))
        gb = gz2.sum(axis=0)
        gx = (gz2 @ self.w_ih).reshape(x.shape)
        return out, gx, gw_ih, gw_hh, gb


# ============================================================================ the rows
def _data(row):
    rng = np.random.default_rng(0)
    if row == "conv1d":
        x = rng.standard_normal((32, 16, 128)).astype(np.float32)
        g = rng.standard_normal((32, 32, 128)).astype(np.float32)
    elif row == "groupnorm":
        x = rng.standard_normal((32, 64, 256)).astype(np.float32)
        g = rng.standard_normal((32, 64, 256)).astype(np.float32)
    else:
        x = rng.standard_normal((32, 50, 64)).astype(np.float32)
        g = rng.standard_normal((32, 50, 128)).astype(np.float32)
    return x, g


def _layer(lib, row):
    nn = lib.nn
    if row == "conv1d":
        return nn.Conv1d(16, 32, 3, padding=1)
    if row == "groupnorm":
        return nn.GroupNorm(8, 64)
    return nn.LSTM(64, 128, batch_first=True)


def _params(layer, to_numpy):
    return {name: to_numpy(p) for name, p in layer.named_parameters()}


def _lib_impl(key, label, role, lib, row, x, g, params, to_tensor):
    """flowkit or plain torch: the same layer with ``params`` copied in."""

    def setup():
        layer = _layer(lib, row)
        with lib.no_grad():
            for name, p in layer.named_parameters():
                p.copy_(to_tensor(params[name]))
        xt = to_tensor(x).requires_grad_(True)
        return layer, xt, to_tensor(g)

    def run(state, n):
        layer, xt, gt = state
        for _ in range(n):
            out = layer(xt)
            if row == "lstm":
                out = out[0]
            (out * gt).sum().backward()
            xt.grad = None
            for p in layer.parameters():
                p.grad = None
        return out

    return Impl(key, label, role, setup, run)


def _hand_impl(row, x, g, params):
    if row == "conv1d":
        hand = HandConv1d(params["weight"], params["bias"], 1)
    elif row == "groupnorm":
        hand = HandGroupNorm(8, params["weight"], params["bias"])
    else:
        p = params
        hand = HandLSTM(p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"])

    def run(state, n):
        for _ in range(n):
            out = hand.step(x, g)
            loss = float((out[0] * g).sum())  # the loss flowkit computes too; its gradient is g
        return out, loss

    return Impl("hand", "hand-written numpy", "baseline", lambda: None, run), hand


def _check(row, flow, params, x, g, hand):
    """The hand baseline computes what flowkit computes (forward and input gradient)."""
    layer = _layer(flow, row)
    with flow.no_grad():
        for name, p in layer.named_parameters():
            p.copy_(flow.tensor(params[name]))
    xt = flow.tensor(x, requires_grad=True)
    out = layer(xt)
    if row == "lstm":
        out = out[0]
    (out * flow.tensor(g)).sum().backward()
    ref = hand.step(x, g)
    np.testing.assert_allclose(out.detach().numpy(), ref[0], rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(xt.grad.numpy(), ref[1], rtol=2e-3, atol=2e-3)


def bench_row(row, backend, repeats, n):
    import flowkit as flow

    x, g = _data(row)
    params = _params(_layer(flow, row), lambda p: p.detach().numpy().copy())
    impls = [
        _lib_impl(
            "flowkit", f"flowkit ({backend})", "flowkit", flow, row, x, g, params, flow.tensor
        )
    ]
    if backend == "numpy":
        base, hand = _hand_impl(row, x, g, params)
        _check(row, flow, params, x, g, hand)
    else:
        import torch

        base = _lib_impl(
            "torch", "plain PyTorch", "baseline", torch, row, x, g, params, torch.from_numpy
        )
    impls.append(base)
    interleave(impls, n, repeats, warmup_n=2, scale=1e-6)  # ms per forward+backward
    out = {}
    for i in impls:
        if i.error:
            raise RuntimeError(f"{row} {i.label}: {i.error}")
        out[i.key] = statistics.median(i.samples)
    ratio = out["flowkit"] / out[base.key]
    return {
        "row": row,
        "backend": backend,
        "flowkit_ms": out["flowkit"],
        "baseline": base.label,
        "baseline_ms": out[base.key],
        "ratio": ratio,
        "target": TARGET[backend],
        "met": ratio <= TARGET[backend],
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default=",".join(ROWS), help="rows: " + ",".join(ROWS))
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("-n", type=int, default=5, help="forward+backward passes per sample")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    backend = os.environ.get("FLOWKIT_BACKEND", "numpy")
    rows = [r for r in args.only.split(",") if r]
    print(
        f"flowkit layers benchmark, backend {backend}, {platform.processor() or platform.machine()}"
    )
    print(f"{'row':<10} {'flowkit ms':>11} {'baseline ms':>12}  {'ratio':>6}  target")
    results = []
    for row in rows:
        r = bench_row(row, backend, args.repeats, args.n)
        results.append(r)
        verdict = "met" if r["met"] else "NOT met"
        print(
            f"{row:<10} {r['flowkit_ms']:>11.3f} {r['baseline_ms']:>12.3f}  {r['ratio']:>5.2f}x"
            f"  <= {r['target']}x {verdict}  ({r['baseline']})"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
