"""The torch backend's ``nn`` ops: one torch kernel each, under flowkit's op names.

``TorchNNOps`` is the mixin whose methods :class:`~flowkit_torch.backend.TorchBackend` inherits.
Arguments arrive checked and normalised by :mod:`flowkit.nn.functional`, so these call torch's
ATen functions directly (``torch._C._nn`` where it skips a Python wrapper) and only check what
needs the data: class indices and embedding rows, with the numpy backend's messages (torch's own
check is a device-side assert on CUDA, which poisons the CUDA context).
"""

from __future__ import annotations

import torch

from flowkit.ops.nn import (
    class_index_error,
    embedding_index_error,
    linear_error,
    loss_dtype_error,
    loss_shape_error,
)

from .define import _binary_error, _device_error, _wrap
from .rnn import rnn_layer as _rnn_layer

# torch's own reduction codes (torch.nn._reduction): calling the C function with them skips
# F.mse_loss's Python wrapper (size-warning checks, legacy-argument handling)
_REDUCTION = {"none": 0, "mean": 1, "sum": 2}
_nn = torch._C._nn
_mse_loss = _nn.mse_loss
_linear = _nn.linear


def _check_class_indices(t: torch.Tensor, c: int, ignore_index: int, input_shape) -> None:
    bad = ((t < 0) | (t >= c)) & (t != ignore_index)
    if bool(bad.any()):  # one host sync; loss values are read every step anyway
        raise class_index_error(int(t[bad][0]), c, tuple(input_shape), ignore_index)


def _long(t: torch.Tensor) -> torch.Tensor:
    return t if t.dtype is torch.long else t.long()


class TorchNNOps:
    """The fused ``nn`` ops of :class:`~flowkit_torch.backend.TorchBackend` (a mixin)."""

    # -- linear and mse_loss
    def mse_loss(self, input, target, reduction):
        a, b = input._t, target._t
        # checked before the call: torch would broadcast different shapes (with only a warning)
        # and promote different dtypes
        if a.shape != b.shape:
            raise loss_shape_error("mse_loss", a.shape, b.shape)
        if a.dtype is not b.dtype or not a.is_floating_point():
            err = loss_dtype_error("mse_loss", input.dtype, target.dtype)
            if err is not None:
                raise err
        if a.__class__ is not torch.Tensor and reduction != "none":
            # a global (DTensor) input: DTensor's fused mean-reduced mse_loss gives the sharded
            # input a wrong gradient (torch 2.13); the same loss from its parts is right
            from .global_tensor import is_dtensor

            if is_dtensor(a):
                d = a - b
                out = (d * d).sum()
                return _wrap(out / a.numel() if reduction == "mean" else out, "mse_loss")
        try:
            out = _mse_loss(a, b, _REDUCTION[reduction])
        except RuntimeError as exc:
            raise _binary_error("mse_loss", a, b, exc) from None
        return _wrap(out, "mse_loss")

    def linear(self, x, weight, bias):
        a, w = x._t, weight._t
        try:
            out = _linear(a, w, None if bias is None else bias._t)
        except RuntimeError as exc:
            raise _linear_error(x, weight, bias, exc) from None
        return _wrap(out, "linear")

    # -- activations
    def leaky_relu(self, x, negative_slope):
        return _wrap(_nn.leaky_relu(x._t, negative_slope), "leaky_relu")

    def gelu(self, x, approximate):
        return _wrap(_nn.gelu(x._t, approximate=approximate), "gelu")

    def softmax(self, x, dim):
        return _wrap(torch.softmax(x._t, dim), "softmax")

    def log_softmax(self, x, dim):
        return _wrap(torch.log_softmax(x._t, dim), "log_softmax")

    def dropout(self, x, mask):
        return _wrap(x._t * mask._t, "dropout")

    # -- embedding and normalization
    def embedding(self, indices, weight, padding_idx):
        idx, w = indices._t, weight._t
        if idx.numel():
            lo, hi = int(idx.min()), int(idx.max())
            if lo < 0 or hi >= w.shape[0]:
                raise embedding_index_error(lo if lo < 0 else hi, w.shape[0])
        return _wrap(
            torch.embedding(w, idx, -1 if padding_idx is None else padding_idx), "embedding"
        )

    def layer_norm(self, x, normalized_shape, weight, bias, eps):
        return _wrap(
            torch.layer_norm(
                x._t,
                list(normalized_shape),
                None if weight is None else weight._t,
                None if bias is None else bias._t,
                eps,
            ),
            "layer_norm",
        )

    def batch_norm(self, x, running_mean, running_var, weight, bias, training, momentum, eps):
        # torch updates running_mean/running_var in place, as the numpy backend does
        return _wrap(
            torch.batch_norm(
                x._t,
                None if weight is None else weight._t,
                None if bias is None else bias._t,
                None if running_mean is None else running_mean._t,
                None if running_var is None else running_var._t,
                training,
                momentum,
                eps,
                torch.backends.cudnn.enabled,
            ),
            "batch_norm",
        )

    # -- convolution and pooling
    def conv1d(self, x, weight, bias, stride, padding, dilation, groups):
        a = x._t
        left, right = padding
        if left == right:
            pad = left
        else:  # padding="same" with an even kernel pads one more on the right
            a = torch.nn.functional.pad(a, (left, right))
            pad = 0
        return _wrap(
            torch.conv1d(
                a, weight._t, None if bias is None else bias._t, stride, pad, dilation, groups
            ),
            "conv1d",
        )

    def conv2d(self, x, weight, bias, stride, padding, dilation, groups):
        a = x._t
        top, bottom, left, right = padding
        if top == bottom and left == right:
            pad = (top, left)
        else:  # padding="same" with an even kernel pads one more on the bottom/right
            a = torch.nn.functional.pad(a, (left, right, top, bottom))
            pad = (0, 0)
        return _wrap(
            torch.conv2d(
                a, weight._t, None if bias is None else bias._t, stride, pad, dilation, groups
            ),
            "conv2d",
        )

    def max_pool2d(self, x, kernel, stride, padding, dilation, ceil_mode):
        return _wrap(
            torch.max_pool2d(x._t, kernel, stride, padding, dilation, ceil_mode), "max_pool2d"
        )

    # -- convolution, pooling, normalization, resampling and padding (issue 12, part 5)
    def conv_transpose2d(self, x, weight, bias, stride, padding, output_padding, groups, dilation):
        return _wrap(
            torch.conv_transpose2d(
                x._t,
                weight._t,
                None if bias is None else bias._t,
                stride,
                padding,
                output_padding,
                groups,
                dilation,
            ),
            "conv_transpose2d",
        )

    def avg_pool2d(
        self, x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
    ):
        return _wrap(
            torch._C._nn.avg_pool2d(
                x._t, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
            ),
            "avg_pool2d",
        )

    def adaptive_avg_pool2d(self, x, output_size):
        return _wrap(_nn.adaptive_avg_pool2d(x._t, output_size), "adaptive_avg_pool2d")

    def adaptive_max_pool2d(self, x, output_size):
        return _wrap(_nn.adaptive_max_pool2d(x._t, output_size)[0], "adaptive_max_pool2d")

    def group_norm(self, x, num_groups, weight, bias, eps):
        return _wrap(
            torch.group_norm(
                x._t,
                num_groups,
                None if weight is None else weight._t,
                None if bias is None else bias._t,
                eps,
            ),
            "group_norm",
        )

    def pad(self, x, pad, mode, value):
        a = x._t
        if mode == "constant":
            return _wrap(torch.constant_pad_nd(a, list(pad), value), "pad")
        return _wrap(torch.nn.functional.pad(a, list(pad), mode=mode), "pad")

    def interpolate(self, x, size, mode, align_corners, scales):
        # with the user's scale factors, torch's index mapping uses them (and computes the
        # same floor(size * scale) output size flowkit.nn.functional did)
        scaled = all(s is not None for s in scales)
        return _wrap(
            torch.nn.functional.interpolate(
                x._t,
                size=None if scaled else list(size),
                scale_factor=[float(s) for s in scales] if scaled else None,
                mode=mode,
                align_corners=None if mode == "nearest" else align_corners,
                recompute_scale_factor=False if scaled else None,
            ),
            "interpolate",
        )

    # -- losses
    def cross_entropy(self, x, target, weight, ignore_index, reduction, label_smoothing):
        a, t = x._t, target._t
        if not t.is_floating_point():
            t = _long(t)
            _check_class_indices(t, a.shape[0 if a.dim() == 1 else 1], ignore_index, a.shape)
        return _wrap(
            _nn.cross_entropy_loss(
                a,
                t,
                None if weight is None else weight._t,
                _REDUCTION[reduction],
                ignore_index,
                label_smoothing,
            ),
            "cross_entropy",
        )

    def nll_loss(self, x, target, weight, ignore_index, reduction):
        a, t = x._t, _long(target._t)
        _check_class_indices(t, a.shape[0 if a.dim() == 1 else 1], ignore_index, a.shape)
        return _wrap(
            _nn.nll_loss_nd(
                a, t, None if weight is None else weight._t, _REDUCTION[reduction], ignore_index
            ),
            "nll_loss",
        )

    # -- recurrent layers (issue 12, part 6): torch's own kernels, in rnn.py
    def rnn_layer(self, mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, lengths):
        return _rnn_layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, lengths)

    # -- activations and losses (issue 12, part 4)
    def softplus(self, x, beta, threshold):
        a = x._t
        if threshold == float("inf"):  # no linear regime: logaddexp is exact and never overflows
            z = a * beta if beta != 1 else a
            out = torch.logaddexp(z, torch.zeros((), dtype=a.dtype, device=a.device))
            return _wrap(out / beta if beta != 1 else out, "softplus")
        return _wrap(_nn.softplus(a, beta, threshold), "softplus")

    def binary_cross_entropy_with_logits(self, x, target, weight, pos_weight, reduction):
        a, t = x._t, target._t
        if a.shape != t.shape:
            raise loss_shape_error("binary_cross_entropy_with_logits", a.shape, t.shape)
        return _wrap(
            torch.binary_cross_entropy_with_logits(
                a,
                t,
                None if weight is None else weight._t,
                None if pos_weight is None else pos_weight._t,
                _REDUCTION[reduction],
            ),
            "binary_cross_entropy_with_logits",
        )


def _linear_error(x, weight, bias, exc: Exception) -> Exception:
    """torch's linear failures under flowkit's messages (dtypes and shapes first, as the numpy
    backend checks them, then devices); ``exc`` itself when none of them is at fault."""
    a, w = x._t, weight._t
    err = linear_error(a.shape, x.dtype, w.shape, weight.dtype)
    if err is not None:
        return err
    for other in (w, None if bias is None else bias._t):
        if other is not None and other.device != a.device:
            return _device_error("linear", a, other)
    if bias is not None:
        err = linear_error(a.shape, x.dtype, w.shape, weight.dtype, bias.dtype)
    return exc if err is None else err
