"""The torch backend's recurrent kernel: one layer-direction of an RNN/LSTM/GRU run by torch's
own kernels (``torch.lstm``, ``torch.gru``, ``torch.rnn_tanh``, ``torch.rnn_relu``: what
``torch.nn.LSTM`` and friends call), so torch's native implementation and autograd run under
flowkit's Tensor type.

A reversed direction flips the time axis (each sequence within its own length); variable
lengths go through torch's packed-sequence overloads of the same kernels.
"""

from __future__ import annotations

import torch

from .define import _wrap

_KERNELS = {
    "lstm": torch.lstm,
    "gru": torch.gru,
    "rnn_tanh": torch.rnn_tanh,
    "rnn_relu": torch.rnn_relu,
}


def _reverse_index(lens: torch.Tensor, t_len: int) -> torch.Tensor:
    """``(T, B)`` time indices that reverse each sequence within its length (an involution)."""
    t = torch.arange(t_len, device=lens.device)[:, None]
    return torch.where(t < lens[None, :], lens[None, :] - 1 - t, t)


def rnn_layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, lengths):
    """The torch backend's ``Backend.rnn_layer`` (see :mod:`flowkit.backend`)."""
    a = x._t
    t_len, batch = a.shape[0], a.shape[1]
    params = [w_ih._t, w_hh._t]
    if b_ih is not None:
        params += [b_ih._t, b_hh._t]
    has_bias = b_ih is not None
    lstm = mode == "lstm"
    hx = (h0._t[None], c0._t[None]) if lstm else h0._t[None]
    kernel = _KERNELS[mode]
    # ``train`` keeps cuDNN's reserve space for the backward pass (no dropout here: p is 0)
    train = torch.is_grad_enabled()
    if lengths is not None and all(int(v) == t_len for v in lengths):
        lengths = None
    if lengths is None:
        if reverse:
            a = a.flip(0)
        res = kernel(a, hx, params, has_bias, 1, 0.0, train, False, False)
        out = res[0].flip(0) if reverse else res[0]
        h_n = res[1][0]
        c_n = res[2][0] if lstm else None
    else:
        lens = torch.tensor([int(v) for v in lengths], dtype=torch.long)
        lens_dev = lens.to(a.device)
        if reverse:
            ridx = _reverse_index(lens_dev, t_len)
            a = a.gather(0, ridx[:, :, None].expand(a.shape))
        order = torch.sort(lens, descending=True, stable=True).indices
        unorder = torch.empty_like(order)
        unorder[order] = torch.arange(batch)
        order_dev, unorder_dev = order.to(a.device), unorder.to(a.device)
        mask = torch.arange(t_len)[:, None] < lens[order][None, :]  # (T, B), sorted batch
        batch_sizes = mask.sum(1)
        batch_sizes = batch_sizes[batch_sizes > 0]
        mask_dev = mask.to(a.device)
        data = a[:, order_dev][mask_dev]
        if lstm:
            hxs = (hx[0][:, order_dev], hx[1][:, order_dev])
        else:
            hxs = hx[:, order_dev]
        res = kernel(data, batch_sizes, hxs, params, has_bias, 1, 0.0, train, False)
        hidden = res[0].shape[-1]
        out = a.new_zeros((t_len, batch, hidden)).index_put((mask_dev,), res[0])
        out = out[:, unorder_dev]
        if reverse:
            out = out.gather(0, ridx[:, :, None].expand(out.shape))
        h_n = res[1][0][unorder_dev]
        c_n = res[2][0][unorder_dev] if lstm else None
    return (
        _wrap(out, "rnn_layer"),
        _wrap(h_n, "rnn_layer"),
        None if c_n is None else _wrap(c_n, "rnn_layer"),
    )
