"""The numpy backend's recurrent kernel: one layer-direction of an RNN/LSTM/GRU over a whole
sequence, as one graph node with a hand-written backpropagation-through-time VJP.

The forward pass makes one matmul for every time step's input projection up front
(``(T*B, I) @ W_ih.T``); each step then multiplies only the hidden state by ``W_hh``. The
backward pass walks the steps in reverse for the hidden-state gradients and makes the weight
gradients with one matmul each over all steps at the end.

Variable lengths (a ``PackedSequence``): step ``t`` of sequence ``b`` exists when
``t < lengths[b]``; elsewhere the state is carried through unchanged and the output is zero. A
reversed direction walks the steps from ``T-1`` down to 0, so each sequence starts from ``h0`` at
its own last element, as PyTorch's packed kernels do.

The op's single output packs ``(output, h_n[, c_n])`` along the time axis (``(T+1|T+2, B, H)``);
:func:`rnn_layer` slices it apart with the tensor's own (differentiable) indexing.
"""

from __future__ import annotations

import numpy as np

from .define import op

_GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # 0.5 * (1 + tanh(a / 2)): no overflow for large |a|, one transcendental call
    return 0.5 + 0.5 * np.tanh(0.5 * a)


def _mask(lengths, t_len: int, b: int, dtype):
    if lengths is None:
        return None
    lens = np.asarray(lengths, dtype=np.int64)
    if bool((lens == t_len).all()):
        return None
    return (np.arange(t_len)[:, None] < lens[None, :]).astype(dtype)[:, :, None]  # (T, B, 1)


@op("rnn_layer")
def _rnn_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, mode, reverse, lengths, grad):
    t_len, b, i_size = x.shape
    h_size = w_hh.shape[1]
    dt = x.dtype
    xp = (x.reshape(t_len * b, i_size) @ w_ih.T).reshape(t_len, b, -1)
    if b_ih is not None:
        xp += b_ih
    if b_hh is not None and mode != "gru":
        xp += b_hh  # (GRU keeps b_hh inside r * (W_hn h + b_hn))
    m = _mask(lengths, t_len, b, dt)
    steps = range(t_len - 1, -1, -1) if reverse else range(t_len)
    out = np.empty((t_len + (2 if mode == "lstm" else 1), b, h_size), dt)
    y = out[:t_len]
    hprev = np.empty((t_len, b, h_size), dt)  # the state each step read
    w_hh_t = w_hh.T
    h = h0
    if mode == "lstm":
        c = c0
        cprev = np.empty_like(hprev)
        acts = np.empty((t_len, b, 4 * h_size), dt)  # i, f, g, o after their activations
        tanh_c = np.empty_like(hprev)
        for t in steps:
            hprev[t] = h
            cprev[t] = c
            a = xp[t] + h @ w_hh_t
            gt = acts[t]
            gt[:, : 2 * h_size] = _sigmoid(a[:, : 2 * h_size])
            gt[:, 2 * h_size : 3 * h_size] = np.tanh(a[:, 2 * h_size : 3 * h_size])
            gt[:, 3 * h_size :] = _sigmoid(a[:, 3 * h_size :])
            ig, fg = gt[:, :h_size], gt[:, h_size : 2 * h_size]
            gg, og = gt[:, 2 * h_size : 3 * h_size], gt[:, 3 * h_size :]
            cn = fg * c + ig * gg
            tc = tanh_c[t] = np.tanh(cn)
            hn = og * tc
            if m is not None:
                mt = m[t]
                y[t] = hn * mt
                hn = hn * mt + h * (1 - mt)
                cn = cn * mt + c * (1 - mt)
            else:
                y[t] = hn
            h, c = hn, cn
        out[t_len] = h
        out[t_len + 1] = c
        ctx = (x, w_ih, w_hh, hprev, cprev, acts, tanh_c, m, mode, reverse, b_hh is not None)
    elif mode == "gru":
        rz = np.empty((t_len, b, 2 * h_size), dt)
        ns = np.empty_like(hprev)
        hhn = np.empty_like(hprev)  # W_hn h + b_hn, which r multiplies
        for t in steps:
            hprev[t] = h
            hh = h @ w_hh_t
            if b_hh is not None:
                hh += b_hh
            xt = xp[t]
            r_z = rz[t] = _sigmoid(xt[:, : 2 * h_size] + hh[:, : 2 * h_size])
            hhn[t] = hh[:, 2 * h_size :]
            n = ns[t] = np.tanh(xt[:, 2 * h_size :] + r_z[:, :h_size] * hhn[t])
            z = r_z[:, h_size:]
            hn = n + z * (h - n)
            if m is not None:
                mt = m[t]
                y[t] = hn * mt
                hn = hn * mt + h * (1 - mt)
            else:
                y[t] = hn
            h = hn
        out[t_len] = h
        ctx = (x, w_ih, w_hh, hprev, rz, ns, hhn, m, mode, reverse, b_hh is not None)
    else:
        hs = np.empty_like(hprev)  # the candidate states, after the nonlinearity
        relu = mode == "rnn_relu"
        for t in steps:
            hprev[t] = h
            a = xp[t] + h @ w_hh_t
            hn = hs[t] = np.maximum(a, 0) if relu else np.tanh(a)
            if m is not None:
                mt = m[t]
                y[t] = hn * mt
                hn = hn * mt + h * (1 - mt)
            else:
                y[t] = hn
            h = hn
        out[t_len] = h
        ctx = (x, w_ih, w_hh, hprev, hs, m, mode, reverse, b_hh is not None)
    return out, (ctx if grad else None)


@_rnn_layer.defvjp
def _rnn_layer_vjp(g, ctx, need):
    x, w_ih, w_hh = ctx[:3]
    mode = ctx[-3]
    reverse, has_bhh = ctx[-2], ctx[-1]
    t_len, b, i_size = x.shape
    h_size = w_hh.shape[1]
    dt = x.dtype
    gy = g[:t_len]
    dh = np.array(g[t_len], dtype=dt)  # the gradient reaching the state after the last step
    steps = range(t_len) if reverse else range(t_len - 1, -1, -1)
    if mode == "lstm":
        _, _, _, hprev, cprev, acts, tanh_c, m = ctx[:8]
        dc = np.array(g[t_len + 1], dtype=dt)
        da = np.empty((t_len, b, 4 * h_size), dt)  # gradient of the gates' pre-activations
        for t in steps:
            gt = acts[t]
            ig, fg = gt[:, :h_size], gt[:, h_size : 2 * h_size]
            gg, og = gt[:, 2 * h_size : 3 * h_size], gt[:, 3 * h_size :]
            tc = tanh_c[t]
            if m is not None:
                mt = m[t]
                keep = 1 - mt
                dhc = (dh + gy[t]) * mt
                dcc = dc * mt
                dh_carry = dh * keep
                dc_carry = dc * keep
            else:
                dhc = dh + gy[t]
                dcc = dc
                dh_carry = dc_carry = 0
            dcc = dcc + dhc * og * (1 - tc * tc)
            dat = da[t]
            dat[:, :h_size] = dcc * gg * ig * (1 - ig)
            dat[:, h_size : 2 * h_size] = dcc * cprev[t] * fg * (1 - fg)
            dat[:, 2 * h_size : 3 * h_size] = dcc * ig * (1 - gg * gg)
            dat[:, 3 * h_size :] = dhc * tc * og * (1 - og)
            dh = dat @ w_hh + dh_carry
            dc = dcc * fg + dc_carry
        dx_gates = dh_gates = da
        dc0 = dc
    elif mode == "gru":
        _, _, _, hprev, rz, ns, hhn, m = ctx[:8]
        dx_gates = np.empty((t_len, b, 3 * h_size), dt)
        dh_gates = np.empty_like(dx_gates)
        for t in steps:
            r, z = rz[t, :, :h_size], rz[t, :, h_size:]
            n, hp = ns[t], hprev[t]
            if m is not None:
                mt = m[t]
                dhc = (dh + gy[t]) * mt
                dh_carry = dh * (1 - mt)
            else:
                dhc = dh + gy[t]
                dh_carry = 0
            dan = dhc * (1 - z) * (1 - n * n)
            dar = dan * hhn[t] * r * (1 - r)
            daz = dhc * (hp - n) * z * (1 - z)
            dxg, dhg = dx_gates[t], dh_gates[t]
            dxg[:, :h_size] = dar
            dxg[:, h_size : 2 * h_size] = daz
            dxg[:, 2 * h_size :] = dan
            dhg[:, : 2 * h_size] = dxg[:, : 2 * h_size]
            dhg[:, 2 * h_size :] = dan * r
            dh = dhg @ w_hh + dhc * z + dh_carry
        dc0 = None
    else:
        _, _, _, hprev, hs, m = ctx[:6]
        da = np.empty((t_len, b, h_size), dt)
        relu = mode == "rnn_relu"
        for t in steps:
            if m is not None:
                mt = m[t]
                dhc = (dh + gy[t]) * mt
                dh_carry = dh * (1 - mt)
            else:
                dhc = dh + gy[t]
                dh_carry = 0
            hn = hs[t]
            dat = da[t] = dhc * (hn > 0) if relu else dhc * (1 - hn * hn)
            dh = dat @ w_hh + dh_carry
        dx_gates = dh_gates = da
        dc0 = None
    gdim = dx_gates.shape[-1]
    dxg2 = dx_gates.reshape(t_len * b, gdim)
    dhg2 = dh_gates.reshape(t_len * b, gdim)
    gx = (dxg2 @ w_ih).reshape(x.shape) if need[0] is not None else None
    gw_ih = dxg2.T @ x.reshape(t_len * b, i_size) if need[3] is not None else None
    gw_hh = dhg2.T @ hprev.reshape(t_len * b, h_size) if need[4] is not None else None
    gb_ih = dxg2.sum(axis=0) if need[5] is not None else None
    gb_hh = dhg2.sum(axis=0) if need[6] is not None and has_bhh else None
    return gx, dh, dc0, gw_ih, gw_hh, gb_ih, gb_hh


def rnn_layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, lengths):
    """The numpy backend's ``Backend.rnn_layer`` (see :mod:`flowkit.backend`)."""
    t_len = x.shape[0]
    lens = None if lengths is None else tuple(int(v) for v in lengths)
    res = _rnn_layer(
        (x, h0, c0 if mode == "lstm" else None, w_ih, w_hh, b_ih, b_hh),
        mode,
        bool(reverse),
        lens,
    )
    return res[:t_len], res[t_len], (res[t_len + 1] if mode == "lstm" else None)
