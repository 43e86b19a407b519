"""``flowkit.nn.functional``: the stateless forms of the layers, as in ``torch.nn.functional``.

Every function checks and normalises its arguments here, once, for every backend (so a wrong
shape or dtype gives the same flowkit error everywhere), then calls one fused op of the selected
backend: one graph node and one hand-written gradient on the numpy backend, one torch kernel on
the torch backend.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from .. import _plugins
from .. import random as _random
from ..errors import ArgumentTypeError, ArgumentValueError, DTypeError, ShapeError, shape_str
from ..ops._contract import foreign_array_error
from ..ops.nn import loss_dtype_error, loss_shape_error, pool_out_size
from ..tensor import Tensor

_REDUCTIONS = ("none", "mean", "sum")

__all__ = [
    "linear",
    "mse_loss",
    "relu",
    "leaky_relu",
    "gelu",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "dropout",
    "embedding",
    "layer_norm",
    "batch_norm",
    "conv2d",
    "max_pool2d",
    "cross_entropy",
    "nll_loss",
    "flatten",
]


# ------------------------------------------------------------------------------------ checks
def _check_tensors(op: str, **named) -> None:
    for name, t in named.items():
        if not isinstance(t, Tensor):
            raise foreign_array_error(op, t, f"the {name}") or ArgumentTypeError(
                f"{op}: {name} must be a flowkit tensor, got {type(t).__name__}"
            )


def _check_float(op: str, name: str, t: Tensor) -> None:
    if not t.dtype.is_floating_point:
        raise DTypeError(
            f"{op}: {name} must be a floating-point tensor, got {t.dtype!r}; "
            "convert it with .float()"
        )


def _check_same_dtype(op: str, input: Tensor, **named) -> None:
    for name, t in named.items():
        if t is None:
            continue
        _check_tensors(op, **{name: t})
        if t.dtype != input.dtype:
            raise DTypeError(
                f"{op}: the input is {input.dtype!r} but {name} is {t.dtype!r}; "
                f"convert one of them, e.g. input.to({t.dtype!r})"
            )


def _check_reduction(op: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _dim(op: str, dim: int, ndim: int) -> int:
    """``dim`` normalised to ``[0, ndim)`` (a 0-d tensor has the one dimension 0, as in PyTorch)."""
    n = max(ndim, 1)
    if not isinstance(dim, numbers.Integral) or not -n <= dim < n:
        raise IndexError(
            f"{op}: dim={dim!r} is out of range for a {ndim}-d tensor (valid: {-n} to {n - 1})"
        )
    return int(dim) % n


def _pair(op: str, name: str, value) -> tuple[int, int]:
    """``3`` -> ``(3, 3)``; a pair of ints stays a pair. A clear error for anything else."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value), int(value)
    if (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value)
    ):
        return int(value[0]), int(value[1])
    raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")


# ------------------------------------------------------------------------------------ linear
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``, one fused op with one graph node.

    Examples:
        >>> import flowkit as flow
        >>> F = flow.nn.functional
        >>> F.linear(flow.ones(1, 2), flow.ones(3, 2), flow.zeros(3))
        tensor([[2., 2., 2.]], dtype=flowkit.float32)
    """
    _check_tensors("linear", input=input, weight=weight)
    return _plugins.get().linear(input, weight, bias)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Dimensions ``start_dim`` to ``end_dim`` merged into one (``flowkit.flatten``).

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.functional.flatten(flow.zeros(2, 3, 4), 1).shape
        flowkit.Size([2, 12])
    """
    _check_tensors("flatten", input=input)
    nd = input.ndim
    s, e = _dim("flatten", start_dim, nd), _dim("flatten", end_dim, nd)
    if nd and s > e:
        raise ValueError(
            f"flatten: start_dim={start_dim} comes after end_dim={end_dim} for a {nd}-d tensor"
        )
    return input.flatten(s, e)


# ------------------------------------------------------------------------------- activations
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(input, 0)`` elementwise. (``inplace`` is accepted for PyTorch code; flowkit always
    returns a new tensor.)

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.functional.relu(flow.tensor([-1.0, 2.0]))
        tensor([0., 2.], dtype=flowkit.float32)
    """
    _check_tensors("relu", input=input)
    return input.relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``input`` where positive, ``negative_slope * input`` elsewhere.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.functional.leaky_relu(flow.tensor([-1.0, 2.0]), 0.1)
        tensor([-0.1000,  2.0000], dtype=flowkit.float32)
    """
    _check_tensors("leaky_relu", input=input)
    _check_float("leaky_relu", "input", input)
    return _plugins.get().leaky_relu(input, float(negative_slope))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit: ``x * Phi(x)`` with the exact normal CDF (``approximate=
    "none"``, through erf) or its tanh approximation (``approximate="tanh"``).

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.functional.gelu(flow.tensor([-1.0, 0.0, 1.0]))
        tensor([-0.1587,  0.0000,  0.8413], dtype=flowkit.float32)
    """
    _check_tensors("gelu", input=input)
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    _check_float("gelu", "input", input)
    return _plugins.get().gelu(input, approximate)


def sigmoid(input: Tensor) -> Tensor:
    """``1 / (1 + exp(-input))`` elementwise.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.functional.sigmoid(flow.tensor([0.0, 2.0]))
        tensor([0.5000, 0.8808], dtype=flowkit.float32)
    """
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent, elementwise.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.functional.tanh(flow.tensor([0.0, 1.0]))
        tensor([0.0000, 0.7616], dtype=flowkit.float32)
    """
    return input.tanh()


def _softmax_dim(op: str, input: Tensor, dim) -> int:
    if dim is None:  # PyTorch's legacy choice, with its warning
        nd = input.ndim
        dim = 0 if nd in (0, 1, 3) else 1
        warnings.warn(
            f"Implicit dimension choice for {op} has been deprecated. Change the call "
            f"to include dim=X as an argument.",
            UserWarning,
            stacklevel=4,
        )
    return _dim(op, dim, input.ndim)


def _softmax_input(op: str, input: Tensor, dtype) -> Tensor:
    _check_tensors(op, input=input)
    if dtype is not None:
        input = input.to(dtype)
    _check_float(op, "input", input)
    return input


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``, computed as ``exp(x - max)`` so large logits
    cannot overflow.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.functional.softmax(flow.tensor([1.0, 1.0, 1e4]), dim=0)
        tensor([0., 0., 1.], dtype=flowkit.float32)
    """
    input = _softmax_input("softmax", input, dtype)
    return _plugins.get().softmax(input, _softmax_dim("softmax", input, dim))


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``x - logsumexp(x)`` along ``dim``: finite for any finite logits (no ``log(0)``).

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.functional.log_softmax(flow.tensor([0.0, 1e4]), dim=0)
        tensor([-10000.,      0.], dtype=flowkit.float32)
    """
    input = _softmax_input("log_softmax", input, dtype)
    return _plugins.get().log_softmax(input, _softmax_dim("log_softmax", input, dim))


def _dropout_mask(shape, p: float, np_dtype, generator=None) -> np.ndarray:
    """Keep-mask scaled by ``1/(1-p)``, drawn on the host from flowkit's generator (or the
    [`flowkit.Generator`][flowkit.Generator] given), so a seed drops the same elements on every
    backend and device."""
    gen = _random.generator() if generator is None else generator
    keep = np.asarray(gen.random(tuple(shape))) >= p
    scale = 0.0 if p >= 1 else 1.0 / (1.0 - p)
    return np.asarray(keep.astype(np_dtype) * np.asarray(scale, np_dtype))  # 0-d stays an array


def dropout(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    generator: _random.Generator | None = None,
) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1/(1-p)`` (training);
    the identity when ``training`` is False. The mask comes from flowkit's generator, so
    ``flowkit.manual_seed`` makes it reproducible on every backend; OneFlow's ``generator=``
    takes a [`flowkit.Generator`][flowkit.Generator] to draw it from instead.

    Examples:
        >>> import flowkit as flow
        >>> flow.manual_seed(0)
        >>> y = flow.nn.functional.dropout(flow.ones(1000), p=0.5)
        >>> sorted(set(y.tolist())), 400 < int((y == 0).sum().item()) < 600
        ([0.0, 2.0], True)
    """
    _check_tensors("dropout", input=input)
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    _check_float("dropout", "input", input)
    if generator is not None:
        try:
            _random.generator_for("dropout", generator)  # (checks it)
        except TypeError as exc:
            raise ArgumentTypeError(str(exc)) from None
    b = _plugins.get()
    mask = b.from_numpy(
        _dropout_mask(input.shape, p, input.dtype.np, generator), input.device, False, share=True
    )
    return b.dropout(input, mask)


# ---------------------------------------------------------------------- embedding, normalization
def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Rows of ``weight`` picked by the integer tensor ``input``: output shape
    ``input.shape + (embedding_dim,)``. The ``padding_idx`` row gets no gradient.

    Examples:
        >>> import flowkit as flow
        >>> w = flow.tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]])
        >>> flow.nn.functional.embedding(flow.tensor([[2, 1]]), w)
        tensor([[[3., 4.],
                 [1., 2.]]], dtype=flowkit.float32)
    """
    _check_tensors("embedding", input=input, weight=weight)
    if input.dtype.is_floating_point or input.dtype.name == "bool":
        raise DTypeError(
            f"embedding: the indices must be an integer tensor, got {input.dtype!r}; "
            "convert them with .long()"
        )
    if weight.ndim != 2:
        raise ShapeError(
            f"embedding: weight must be 2-d (num_embeddings, embedding_dim), got "
            f"shape {shape_str(weight.shape)}"
        )
    rows = weight.shape[0]
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise ValueError(
                f"embedding: padding_idx={padding_idx} must be within num_embeddings={rows}"
            )
        padding_idx %= rows
    return _plugins.get().embedding(input, weight, padding_idx)


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dimensions to mean 0 and variance 1
    (biased variance), then scale by ``weight`` and shift by ``bias``.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.functional.layer_norm(flow.tensor([[1.0, 3.0]]), (2,))
        tensor([[-1.0000,  1.0000]], dtype=flowkit.float32)
    """
    _check_tensors("layer_norm", input=input)
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (int(normalized_shape),)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    _check_float("layer_norm", "input", input)
    _check_same_dtype("layer_norm", input, weight=weight, bias=bias)
    k = len(normalized_shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k :]) != normalized_shape:
        raise ShapeError(
            f"layer_norm: normalized_shape={normalized_shape} must match the input's last "
            f"dimensions, but the input has shape {shape_str(input.shape)}; expected shape "
            f"(*, {', '.join(map(str, normalized_shape))})"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != normalized_shape:
            raise ShapeError(
                f"layer_norm: {name} has shape {shape_str(t.shape)}, expected "
                f"normalized_shape {shape_str(normalized_shape)}"
            )
    return _plugins.get().layer_norm(input, normalized_shape, weight, bias, float(eps))


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (dimension 1) over the batch and spatial dimensions.

    ``training=True`` uses the batch's statistics and, when ``running_mean``/``running_var`` are
    given, updates them in place: ``running = (1 - momentum) * running + momentum * batch`` (the
    variance unbiased). ``training=False`` uses the running statistics.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([[1.0], [3.0]])
        >>> rm, rv = flow.zeros(1), flow.ones(1)
        >>> flow.nn.functional.batch_norm(x, rm, rv, training=True)
        tensor([[-1.0000],
                [ 1.0000]], dtype=flowkit.float32)
        >>> rm, rv
        (tensor([0.2000], dtype=flowkit.float32), tensor([1.1000], dtype=flowkit.float32))
    """
    _check_tensors("batch_norm", input=input)
    _check_float("batch_norm", "input", input)
    if input.ndim < 2:
        raise ShapeError(
            f"batch_norm: the input needs a batch and a channel dimension (N, C, "
            f"...), got shape {shape_str(input.shape)}"
        )
    c = input.shape[1]
    _check_same_dtype("batch_norm", input, weight=weight, bias=bias)
    for name, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if t is not None:
            _check_tensors("batch_norm", **{name: t})
            if tuple(t.shape) != (c,):
                raise ShapeError(
                    f"batch_norm: {name} has shape {shape_str(t.shape)}, but the "
                    f"input of shape {shape_str(input.shape)} has {c} channels "
                    f"(dimension 1); expected ({c},)"
                )
    if training:
        if input.numel() // max(c, 1) <= 1:
            if not c:  # (PyTorch fails with an IndexError from inside)
                raise ShapeError(
                    f"batch_norm: the input of shape {shape_str(input.shape)} has no channels "
                    "(dimension 1 is 0): there is nothing to normalise; give the layer at least "
                    "one feature"
                )
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when "
                f"training, got input of shape {shape_str(input.shape)}; use a "
                f"batch of at least 2 or call .eval()"
            )
    elif running_mean is None or running_var is None:
        raise ValueError(
            "batch_norm: running_mean and running_var must be given when "
            "training=False (they replace the batch statistics)"
        )
    return _plugins.get().batch_norm(
        input, running_mean, running_var, weight, bias, bool(training), float(momentum), float(eps)
    )


# -------------------------------------------------------------------- convolution and pooling
def _spatial_input(op: str, input: Tensor, what: str) -> tuple[Tensor, bool]:
    """A 4-d ``(N, C, H, W)`` input; a 3-d one is one unbatched image ``(C, H, W)``."""
    if input.ndim == 4:
        return input, False
    if input.ndim == 3:
        return input.unsqueeze(0), True
    raise ShapeError(
        f"{op}: expected a 4-d input (N, C, H, W) or a 3-d unbatched input "
        f"(C, H, W), got shape {shape_str(input.shape)}{what}"
    )


def _conv2d_args(
    op: str,
    input: Tensor,
    x: Tensor,
    unbatched: bool,
    weight: Tensor,
    bias,
    stride,
    padding,
    dilation,
    groups: int,
    xshape: tuple,
    wshape: tuple,
):
    """conv2d's checks of everything but the input's rank, and its arguments resolved for the
    backend: ``(stride, pads (top, bottom, left, right), dilation)``. ``xshape``/``wshape``
    are the 4-d shapes (conv1d passes its own with a height of 1, so it needs no reshaped
    tensors)."""
    _check_float(op, "input", x)
    _check_same_dtype(op, x, weight=weight, bias=bias)
    o, cg, kh, kw = wshape
    if not o:  # PyTorch refuses it too (numpy would give an empty output)
        raise ShapeError(
            f"{op}: the weight of shape {shape_str(weight.shape)} has out_channels=0; a "
            "convolution needs at least one output channel"
        )
    if not isinstance(groups, numbers.Integral) or groups < 1 or o % groups:
        raise ValueError(
            f"{op}: groups={groups} must be a positive integer dividing out_channels={o}"
        )
    c = xshape[1]
    if c != cg * groups:
        hint = (
            " (a 3-d input is one unbatched (C, H, W) image; for a batch of single-channel "
            "images use x.unsqueeze(1))"
            if unbatched
            else ""
        )
        raise ShapeError(
            f"{op}: the input of shape {shape_str(input.shape)} has {c} channels, but the "
            f"weight of shape {shape_str(weight.shape)} expects in_channels={cg * groups}"
            f"{f' ({cg} x groups={groups})' if groups > 1 else ''}{hint}"
        )
    if bias is not None and tuple(bias.shape) != (o,):
        raise ShapeError(f"{op}: bias has shape {shape_str(bias.shape)}, expected ({o},)")
    stride = _pair(op, "stride", stride)
    dilation = _pair(op, "dilation", dilation)
    if min(stride) < 1 or min(dilation) < 1:
        raise ValueError(f"{op}: stride {stride} and dilation {dilation} must be positive")
    if isinstance(padding, str):
        if padding == "valid":
            pads = (0, 0, 0, 0)
        elif padding == "same":
            if stride != (1, 1):
                raise ValueError(
                    f"{op}: padding='same' is not supported for strided "
                    f"convolutions (stride={stride})"
                )
            th, tw = dilation[0] * (kh - 1), dilation[1] * (kw - 1)
            pads = (th // 2, th - th // 2, tw // 2, tw - tw // 2)  # extra on the bottom/right
        else:
            raise ValueError(
                f"{op}: padding must be an int, a pair, 'valid' or 'same', got {padding!r}"
            )
    else:
        ph, pw = _pair(op, "padding", padding)
        if ph < 0 or pw < 0:
            raise ValueError(f"{op}: padding {(ph, pw)} cannot be negative")
        pads = (ph, ph, pw, pw)
    hp, wp = xshape[2] + pads[0] + pads[1], xshape[3] + pads[2] + pads[3]
    eh, ew = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    if hp < eh or wp < ew:
        raise ShapeError(
            f"{op}: the padded input is {hp}x{wp} but the kernel spans {eh}x{ew} (kernel "
            f"{kh}x{kw}, dilation {dilation}); the input of shape {shape_str(input.shape)} is "
            "too small: pad it or use a smaller kernel"
        )
    return stride, pads, dilation


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> Tensor:
    """2-d convolution (cross-correlation, as in PyTorch) of ``(N, C, H, W)`` input with
    ``(out_channels, C / groups, kh, kw)`` weight. ``padding``: an int, a pair, ``"valid"``
    (none) or ``"same"`` (output as large as the input; stride 1 only).

    Examples:
        >>> import flowkit as flow
        >>> x = flow.ones(1, 1, 3, 3)
        >>> flow.nn.functional.conv2d(x, flow.ones(1, 1, 2, 2))
        tensor([[[[4., 4.],
                  [4., 4.]]]], dtype=flowkit.float32)
    """
    _check_tensors("conv2d", input=input, weight=weight)
    x, unbatched = _spatial_input(
        "conv2d",
        input,
        "; a batch of single-channel images (N, H, W) needs a channel dimension: x.unsqueeze(1)",
    )
    if weight.ndim != 4:
        raise ShapeError(
            f"conv2d: weight must be 4-d (out_channels, in_channels/groups, kh, kw), "
            f"got shape {shape_str(weight.shape)}"
        )
    stride, pads, dilation = _conv2d_args(
        "conv2d",
        input,
        x,
        unbatched,
        weight,
        bias,
        stride,
        padding,
        dilation,
        groups,
        tuple(x.shape),
        tuple(weight.shape),
    )
    out = _plugins.get().conv2d(x, weight, bias, stride, pads, dilation, int(groups))
    return out.squeeze(0) if unbatched else out


def max_pool2d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor:
    """The maximum of each ``kernel_size`` window of ``(N, C, H, W)`` (or ``(C, H, W)``) input;
    ``stride`` defaults to ``kernel_size``. Padding counts as ``-inf``.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.arange(16, dtype=flow.float32).reshape(1, 1, 4, 4)
        >>> flow.nn.functional.max_pool2d(x, 2)
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]], dtype=flowkit.float32)
    """
    _check_tensors("max_pool2d", input=input)
    if return_indices:
        raise NotImplementedError("max_pool2d: return_indices=True is not supported by flowkit")
    x, unbatched = _spatial_input("max_pool2d", input, "")
    _check_float("max_pool2d", "input", x)
    kernel = _pair("max_pool2d", "kernel_size", kernel_size)
    stride = kernel if stride is None or stride == [] else _pair("max_pool2d", "stride", stride)
    padding = _pair("max_pool2d", "padding", padding)
    dilation = _pair("max_pool2d", "dilation", dilation)
    if min(kernel) < 1 or min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
        raise ValueError(
            f"max_pool2d: kernel_size {kernel}, stride {stride} and dilation "
            f"{dilation} must be positive, padding {padding} non-negative"
        )
    if any(p > k // 2 for k, p in zip(kernel, padding)):
        raise ValueError(
            f"max_pool2d: padding should be at most half of the kernel size, but "
            f"got padding={padding} and kernel_size={kernel}"
        )
    out_hw = tuple(
        pool_out_size(size, k, s, p, d, ceil_mode)
        for size, k, s, p, d in zip(x.shape[2:], kernel, stride, padding, dilation)
    )
    if min(out_hw) < 1:
        raise ShapeError(
            f"max_pool2d: the input of shape {shape_str(input.shape)} is too small "
            f"for kernel_size={kernel}, padding={padding}, dilation={dilation}: "
            f"the output would be {out_hw[0]}x{out_hw[1]}"
        )
    out = _plugins.get().max_pool2d(x, kernel, stride, padding, dilation, bool(ceil_mode))
    return out.squeeze(0) if unbatched else out


# ------------------------------------------------------------------------------------ losses
def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error: ``mean((input - target) ** 2)`` (or the sum, or elementwise).

    ``input`` and ``target`` must have the same shape: broadcasting ``(N, 1)`` against ``(N,)``
    would compare every prediction with every target, so flowkit refuses it.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.functional.mse_loss(flow.tensor([1.0, 2.0]), flow.tensor([1.0, 4.0]))
        tensor(2., dtype=flowkit.float32)
    """
    _check_tensors("mse_loss", input=input, target=target)
    _check_reduction("mse_loss", reduction)
    return _plugins.get().mse_loss(input, target, reduction)


def _classification_args(
    op: str, input: Tensor, target: Tensor, weight, reduction: str, probabilities_ok: bool
) -> bool:
    """Checks shared by cross_entropy and nll_loss; returns whether ``target`` holds class
    probabilities (the input's shape, floating point) rather than class indices."""
    _check_tensors(op, input=input, target=target)
    _check_reduction(op, reduction)
    _check_float(op, "input", input)
    if input.ndim == 0:
        raise ShapeError(
            f"{op}: the input must have a class dimension: (C,), (N, C) or "
            "(N, C, d1, ...), got a 0-d tensor"
        )
    shape = tuple(input.shape)
    c = shape[0] if len(shape) == 1 else shape[1]
    index_shape = () if len(shape) == 1 else shape[:1] + shape[2:]
    tshape = tuple(target.shape)
    probs = probabilities_ok and tshape == shape and target.dtype.is_floating_point
    expect = f"class indices of shape {shape_str(index_shape)}" + (
        f" or class probabilities of shape {shape_str(shape)}" if probabilities_ok else ""
    )
    if probs:
        if target.dtype != input.dtype:
            raise DTypeError(
                f"{op}: the input is {input.dtype!r} but the target probabilities "
                f"are {target.dtype!r}; convert them with .to({input.dtype!r})"
            )
    elif tshape != index_shape:
        hint = ""
        if tshape == index_shape + (1,):
            hint = "; drop the trailing dimension with target.squeeze(-1)"
        elif tshape == shape:
            hint = "; class probabilities must be floating point"
        raise ShapeError(
            f"{op}: input of shape {shape_str(shape)} ({c} classes) needs a target "
            f"of {expect}, got shape {shape_str(tshape)}{hint}"
        )
    elif target.dtype.is_floating_point or target.dtype.name == "bool":
        raise DTypeError(
            f"{op}: a target of shape {shape_str(tshape)} holds class indices, so it "
            f"must be an integer tensor (int64), got {target.dtype!r}; convert it "
            f"with target.long()"
        )
    if weight is not None:
        _check_tensors(op, weight=weight)
        if tuple(weight.shape) != (c,):
            raise ShapeError(
                f"{op}: weight must have one value per class, shape ({c},), got "
                f"{shape_str(weight.shape)}"
            )
        _check_same_dtype(op, input, weight=weight)
    return probs


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy between logits ``input`` (classes on dimension 1, or 0 for ``(C,)``) and
    ``target``: class indices (int64, the input's shape without the class dimension) or class
    probabilities (the input's shape). Computed through ``log_softmax`` (logsumexp), so huge
    logits stay finite. PyTorch's ``weight``, ``ignore_index`` and ``label_smoothing``;
    ``"mean"`` divides by the summed weights of the counted targets.

    Examples:
        >>> import flowkit as flow
        >>> logits = flow.tensor([[1e4, 0.0, -1e4], [0.0, 0.0, 0.0]])
        >>> flow.nn.functional.cross_entropy(logits, flow.tensor([0, 2]))
        tensor(0.5493, dtype=flowkit.float32)
    """
    probs = _classification_args("cross_entropy", input, target, weight, reduction, True)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}"
        )
    if probs and ignore_index >= 0:  # PyTorch's rule: no class to ignore in probabilities
        raise ValueError(
            f"cross_entropy: ignore_index={ignore_index} is not supported with "
            "class-probability (floating-point) targets; leave ignore_index at its "
            "default, or zero the probabilities of the class to ignore"
        )
    return _plugins.get().cross_entropy(
        input, target, weight, int(ignore_index), reduction, float(label_smoothing)
    )


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` (e.g. from ``log_softmax``) at
    the class indices ``target``: ``-input[i, target[i]]``, weighted and reduced as in PyTorch.

    Examples:
        >>> import flowkit as flow
        >>> logp = flow.tensor([[-0.5, -1.0], [-2.0, -0.1]])
        >>> flow.nn.functional.nll_loss(logp, flow.tensor([0, 1]))
        tensor(0.3000, dtype=flowkit.float32)
    """
    _classification_args("nll_loss", input, target, weight, reduction, False)
    return _plugins.get().nll_loss(input, target, weight, int(ignore_index), reduction)


# ==================================================================================================
# Convolution, pooling, normalization, resampling and padding layers (issue 12, part 5).
# The 1-d layers are the 2-d ones with height 1; instance_norm is group_norm with one group per
# channel (plus batch_norm's eval form for running statistics).
# ==================================================================================================
__all__ += [
    "conv1d",
    "conv_transpose2d",
    "avg_pool1d",
    "avg_pool2d",
    "max_pool1d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool2d",
    "group_norm",
    "instance_norm",
    "interpolate",
    "pad",
]


def _single(op: str, name: str, value) -> int:
    """``3`` or ``(3,)`` -> ``3``; a clear error for anything else."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    raise TypeError(f"{op}: {name} must be an int or a 1-tuple of ints, got {value!r}")


def _line_input(op: str, input: Tensor) -> tuple[Tensor, bool]:
    """A 3-d ``(N, C, L)`` input; a 2-d one is one unbatched sequence ``(C, L)``."""
    if input.ndim == 3:
        return input, False
    if input.ndim == 2:
        return input.unsqueeze(0), True
    raise ShapeError(
        f"{op}: expected a 3-d input (N, C, L) or a 2-d unbatched input (C, L), got shape "
        f"{shape_str(input.shape)}"
    )


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> Tensor:
    """1-d convolution (cross-correlation) of ``(N, C, L)`` (or unbatched ``(C, L)``) input with
    ``(out_channels, C / groups, k)`` weight. ``padding``: an int, ``"valid"`` or ``"same"``.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([[[1.0, 2.0, 3.0, 4.0]]])
        >>> flow.nn.functional.conv1d(x, flow.tensor([[[1.0, -1.0]]]), padding="same")
        tensor([[[-1., -1., -1.,  4.]]], dtype=flowkit.float32)
    """
    _check_tensors("conv1d", input=input, weight=weight)
    x, unbatched = _line_input("conv1d", input)
    if weight.ndim != 3:
        raise ShapeError(
            f"conv1d: weight must be 3-d (out_channels, in_channels/groups, k), got shape "
            f"{shape_str(weight.shape)}"
        )
    o, cg, k = weight.shape
    if isinstance(groups, numbers.Integral) and groups >= 1 and o and not o % groups:
        if x.shape[1] != cg * groups:
            raise ShapeError(
                f"conv1d: the input of shape {shape_str(input.shape)} has {x.shape[1]} channels, "
                f"but the weight of shape {shape_str(weight.shape)} expects in_channels="
                f"{cg * groups}"
            )
    stride = _single("conv1d", "stride", stride)
    dilation = _single("conv1d", "dilation", dilation)
    if not isinstance(padding, str):
        padding = (0, _single("conv1d", "padding", padding))
    elif padding == "same" and stride != 1:
        raise ValueError(
            f"conv1d: padding='same' is not supported for strided convolutions (stride={stride})"
        )
    if not isinstance(padding, str):
        span = x.shape[2] + 2 * padding[1]
        if span < dilation * (k - 1) + 1:
            raise ShapeError(
                f"conv1d: the padded input has length {span} but the kernel spans "
                f"{dilation * (k - 1) + 1} (kernel {k}, dilation {dilation}); the input of shape "
                f"{shape_str(input.shape)} is too small: pad it or use a smaller kernel"
            )
    n, c, length = x.shape
    stride2, pads, dilation2 = _conv2d_args(
        "conv1d", input, x, unbatched, weight, bias, (1, stride), padding, (1, dilation),
        groups, (n, c, 1, length), (o, cg, 1, k),
    )  # fmt: skip
    out = _plugins.get().conv1d(
        x, weight, bias, stride2[1], (pads[2], pads[3]), dilation2[1], int(groups)
    )
    return out.squeeze(0) if unbatched else out


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
) -> Tensor:
    """2-d transposed convolution ("deconvolution": the gradient of ``conv2d`` with respect to
    its input) of ``(N, C, H, W)`` (or ``(C, H, W)``) input with ``(C, out_channels / groups,
    kh, kw)`` weight. Output size ``(H - 1) * stride - 2 * padding + dilation * (kh - 1) +
    output_padding + 1``.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.ones(1, 1, 2, 2)
        >>> flow.nn.functional.conv_transpose2d(x, flow.ones(1, 1, 2, 2), stride=2)
        tensor([[[[1., 1., 1., 1.],
                  [1., 1., 1., 1.],
                  [1., 1., 1., 1.],
                  [1., 1., 1., 1.]]]], dtype=flowkit.float32)
    """
    op = "conv_transpose2d"
    _check_tensors(op, input=input, weight=weight)
    x, unbatched = _spatial_input(op, input, "")
    if weight.ndim != 4:
        raise ShapeError(
            f"{op}: weight must be 4-d (in_channels, out_channels/groups, kh, kw), got shape "
            f"{shape_str(weight.shape)}"
        )
    _check_float(op, "input", x)
    _check_same_dtype(op, x, weight=weight, bias=bias)
    c, og, kh, kw = weight.shape
    if not isinstance(groups, numbers.Integral) or groups < 1 or c % groups:
        raise ValueError(
            f"{op}: groups={groups} must be a positive integer dividing in_channels={c}"
        )
    if x.shape[1] != c:
        raise ShapeError(
            f"{op}: the input of shape {shape_str(input.shape)} has {x.shape[1]} channels, but "
            f"the weight of shape {shape_str(weight.shape)} expects in_channels={c} (a "
            "transposed convolution's weight is (in_channels, out_channels/groups, kh, kw))"
        )
    if not og:
        raise ShapeError(
            f"{op}: the weight of shape {shape_str(weight.shape)} has no output channels"
        )
    o = og * groups
    if bias is not None and tuple(bias.shape) != (o,):
        raise ShapeError(f"{op}: bias has shape {shape_str(bias.shape)}, expected ({o},)")
    stride = _pair(op, "stride", stride)
    padding = _pair(op, "padding", padding)
    output_padding = _pair(op, "output_padding", output_padding)
    dilation = _pair(op, "dilation", dilation)
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0 or min(output_padding) < 0:
        raise ValueError(
            f"{op}: stride {stride} and dilation {dilation} must be positive, padding {padding} "
            f"and output_padding {output_padding} non-negative"
        )
    for op_, s, d in zip(output_padding, stride, dilation):
        if op_ >= s and op_ >= d:
            raise ValueError(
                f"{op}: output_padding {output_padding} must be smaller than either the stride "
                f"{stride} or the dilation {dilation}"
            )
    out_hw = [
        (size - 1) * s - 2 * p + d * (k - 1) + op_ + 1
        for size, s, p, d, k, op_ in zip(
            x.shape[2:], stride, padding, dilation, (kh, kw), output_padding
        )
    ]
    if min(out_hw) < 1 or min(x.shape[2:]) < 1:
        raise ShapeError(
            f"{op}: the input of shape {shape_str(input.shape)} with padding {padding} gives an "
            f"output of {out_hw[0]}x{out_hw[1]}; reduce the padding"
        )
    out = _plugins.get().conv_transpose2d(
        x, weight, bias, stride, padding, output_padding, int(groups), dilation
    )
    return out.squeeze(0) if unbatched else out


def _pool_args(op: str, x: Tensor, kernel_size, stride, padding, ceil_mode, shape_of) -> tuple:
    kernel = _pair(op, "kernel_size", kernel_size)
    stride = kernel if stride is None or stride == [] else _pair(op, "stride", stride)
    padding = _pair(op, "padding", padding)
    if min(kernel) < 1 or min(stride) < 1 or min(padding) < 0:
        raise ValueError(
            f"{op}: kernel_size {shape_of(kernel)} and stride {shape_of(stride)} must be "
            f"positive, padding {shape_of(padding)} non-negative"
        )
    if any(p > k // 2 for k, p in zip(kernel, padding)):
        raise ValueError(
            f"{op}: padding should be at most half of the kernel size, but got "
            f"padding={shape_of(padding)} and kernel_size={shape_of(kernel)}"
        )
    out = [
        pool_out_size(size, k, s, p, 1, ceil_mode)
        for size, k, s, p in zip(x.shape[2:], kernel, stride, padding)
    ]
    if min(out) < 1:
        raise ShapeError(
            f"{op}: the input of shape {shape_str(x.shape)} is too small for kernel_size="
            f"{shape_of(kernel)} and padding={shape_of(padding)}: the output would be empty"
        )
    return kernel, stride, padding


def avg_pool2d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """The mean of each ``kernel_size`` window of ``(N, C, H, W)`` (or ``(C, H, W)``) input;
    ``stride`` defaults to ``kernel_size``, padding is zeros, counted in the divisor unless
    ``count_include_pad=False`` (``divisor_override`` replaces the divisor).

    Examples:
        >>> import flowkit as flow
        >>> x = flow.arange(16, dtype=flow.float32).reshape(1, 1, 4, 4)
        >>> flow.nn.functional.avg_pool2d(x, 2)
        tensor([[[[ 2.5000,  4.5000],
                  [10.5000, 12.5000]]]], dtype=flowkit.float32)
    """
    _check_tensors("avg_pool2d", input=input)
    x, unbatched = _spatial_input("avg_pool2d", input, "")
    _check_float("avg_pool2d", "input", x)
    kernel, stride, padding = _pool_args(
        "avg_pool2d", x, kernel_size, stride, padding, ceil_mode, lambda v: v
    )
    if divisor_override is not None:
        if not isinstance(divisor_override, numbers.Integral) or divisor_override == 0:
            raise ValueError(
                f"avg_pool2d: divisor_override must be a non-zero int, got {divisor_override!r}"
            )
        divisor_override = int(divisor_override)
    out = _plugins.get().avg_pool2d(
        x, kernel, stride, padding, bool(ceil_mode), bool(count_include_pad), divisor_override
    )
    return out.squeeze(0) if unbatched else out


def _as_line_pool(op: str, value, name: str, default=None):
    return default if value is None else (1, _single(op, name, value))


def avg_pool1d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """The mean of each ``kernel_size`` window of ``(N, C, L)`` (or ``(C, L)``) input (see
    [`avg_pool2d`][flowkit.nn.functional.avg_pool2d]).

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.functional.avg_pool1d(flow.tensor([[[1.0, 2.0, 3.0, 4.0, 5.0]]]), 2)
        tensor([[[1.5000, 3.5000]]], dtype=flowkit.float32)
    """
    op = "avg_pool1d"
    _check_tensors(op, input=input)
    x, unbatched = _line_input(op, input)
    _check_float(op, "input", x)
    kernel = (1, _single(op, "kernel_size", kernel_size))
    stride = kernel if stride is None or stride == [] else (1, _single(op, "stride", stride))
    pad = (0, _single(op, "padding", padding))
    kernel, stride, pad = _pool_args(
        op, x.unsqueeze(2), kernel, stride, pad, ceil_mode, lambda v: v[1]
    )
    out = (
        _plugins.get()
        .avg_pool2d(
            x.unsqueeze(2), kernel, stride, pad, bool(ceil_mode), bool(count_include_pad), None
        )
        .squeeze(2)
    )
    return out.squeeze(0) if unbatched else out


def max_pool1d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor:
    """The maximum of each ``kernel_size`` window of ``(N, C, L)`` (or ``(C, L)``) input;
    ``stride`` defaults to ``kernel_size``, padding counts as ``-inf``.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.functional.max_pool1d(flow.tensor([[[1.0, 3.0, 2.0, 5.0, 4.0]]]), 2)
        tensor([[[3., 5.]]], dtype=flowkit.float32)
    """
    op = "max_pool1d"
    _check_tensors(op, input=input)
    if return_indices:
        raise NotImplementedError(f"{op}: return_indices=True is not supported by flowkit")
    x, unbatched = _line_input(op, input)
    k = _single(op, "kernel_size", kernel_size)
    s = k if stride is None or stride == [] else _single(op, "stride", stride)
    p, d = _single(op, "padding", padding), _single(op, "dilation", dilation)
    if k < 1 or s < 1 or d < 1 or p < 0:
        raise ValueError(
            f"{op}: kernel_size {k}, stride {s} and dilation {d} must be positive, "
            f"padding {p} non-negative"
        )
    if p > k // 2:
        raise ValueError(
            f"{op}: padding should be at most half of the kernel size, but got padding={p} and "
            f"kernel_size={k}"
        )
    if pool_out_size(x.shape[2], k, s, p, d, ceil_mode) < 1:
        raise ShapeError(
            f"{op}: the input of shape {shape_str(input.shape)} is too small for kernel_size={k}, "
            f"padding={p}, dilation={d}: the output would be empty"
        )
    out = max_pool2d(x.unsqueeze(2), (1, k), (1, s), (0, p), (1, d), ceil_mode).squeeze(2)
    return out.squeeze(0) if unbatched else out


def _adaptive_size(op: str, output_size, in_sizes) -> tuple[int, ...]:
    """``output_size`` as one int per spatial dim (``None`` keeps the input's size)."""
    n = len(in_sizes)
    if not isinstance(output_size, (tuple, list)):
        output_size = (output_size,) * n
    if len(output_size) != n:
        raise ValueError(f"{op}: output_size must be an int or {n} ints, got {output_size!r}")
    out = []
    for v, size in zip(output_size, in_sizes):
        if v is None:
            v = size
        if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < 1:
            raise ValueError(
                f"{op}: output_size must hold positive ints (or None), got {output_size!r}"
            )
        out.append(int(v))
    if min(in_sizes) < 1:
        raise ShapeError(
            f"{op}: the input's spatial dimensions {tuple(in_sizes)} must be non-empty"
        )
    return tuple(out)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling of ``(N, C, H, W)`` (or ``(C, H, W)``) input to ``output_size`` (an int,
    a pair; ``None`` keeps that size): output ``(i, j)`` averages rows
    ``[floor(i*H/Ho), ceil((i+1)*H/Ho))`` and the matching columns.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.arange(16, dtype=flow.float32).reshape(1, 1, 4, 4)
        >>> flow.nn.functional.adaptive_avg_pool2d(x, 1)
        tensor([[[[7.5000]]]], dtype=flowkit.float32)
    """
    _check_tensors("adaptive_avg_pool2d", input=input)
    x, unbatched = _spatial_input("adaptive_avg_pool2d", input, "")
    _check_float("adaptive_avg_pool2d", "input", x)
    oh, ow = _adaptive_size("adaptive_avg_pool2d", output_size, x.shape[2:])
    out = _plugins.get().adaptive_avg_pool2d(x, (oh, ow))
    return out.squeeze(0) if unbatched else out


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average pooling of ``(N, C, L)`` (or ``(C, L)``) input to length ``output_size`` (see
    [`adaptive_avg_pool2d`][flowkit.nn.functional.adaptive_avg_pool2d]).

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.functional.adaptive_avg_pool1d(flow.tensor([[[1.0, 2.0, 3.0, 4.0]]]), 2)
        tensor([[[1.5000, 3.5000]]], dtype=flowkit.float32)
    """
    _check_tensors("adaptive_avg_pool1d", input=input)
    x, unbatched = _line_input("adaptive_avg_pool1d", input)
    _check_float("adaptive_avg_pool1d", "input", x)
    (n,) = _adaptive_size("adaptive_avg_pool1d", output_size, x.shape[2:])
    out = _plugins.get().adaptive_avg_pool2d(x.unsqueeze(2), (1, n)).squeeze(2)
    return out.squeeze(0) if unbatched else out


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False) -> Tensor:
    """Max pooling of ``(N, C, H, W)`` (or ``(C, H, W)``) input to ``output_size``, over the
    windows of [`adaptive_avg_pool2d`][flowkit.nn.functional.adaptive_avg_pool2d].

    Examples:
        >>> import flowkit as flow
        >>> x = flow.arange(16, dtype=flow.float32).reshape(1, 1, 4, 4)
        >>> flow.nn.functional.adaptive_max_pool2d(x, (1, 2))
        tensor([[[[13., 15.]]]], dtype=flowkit.float32)
    """
    _check_tensors("adaptive_max_pool2d", input=input)
    if return_indices:
        raise NotImplementedError(
            "adaptive_max_pool2d: return_indices=True is not supported by flowkit"
        )
    x, unbatched = _spatial_input("adaptive_max_pool2d", input, "")
    _check_float("adaptive_max_pool2d", "input", x)
    oh, ow = _adaptive_size("adaptive_max_pool2d", output_size, x.shape[2:])
    out = _plugins.get().adaptive_max_pool2d(x, (oh, ow))
    return out.squeeze(0) if unbatched else out


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each sample's channels (dimension 1) in ``num_groups`` groups to mean 0 and
    variance 1 (biased), then scale by ``weight`` and shift by ``bias`` (per channel).

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([[1.0, 3.0, 10.0, 30.0]])
        >>> flow.nn.functional.group_norm(x, 2)
        tensor([[-1.0000,  1.0000, -1.0000,  1.0000]], dtype=flowkit.float32)
    """
    _check_tensors("group_norm", input=input)
    _check_float("group_norm", "input", input)
    if input.ndim < 2:
        raise ShapeError(
            f"group_norm: the input needs a batch and a channel dimension (N, C, ...), got "
            f"shape {shape_str(input.shape)}"
        )
    c = input.shape[1]
    if not isinstance(num_groups, numbers.Integral) or num_groups < 1 or c % num_groups:
        raise ValueError(
            f"group_norm: num_groups={num_groups!r} must be a positive integer dividing the "
            f"number of channels C={c} (input shape {shape_str(input.shape)})"
        )
    _check_same_dtype("group_norm", input, weight=weight, bias=bias)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise ShapeError(
                f"group_norm: {name} has shape {shape_str(t.shape)}, but the input has {c} "
                f"channels; expected ({c},)"
            )
    return _plugins.get().group_norm(input, int(num_groups), weight, bias, float(eps))


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of each sample of ``(N, C, ...)`` input over its spatial
    dimensions (``group_norm`` with one group per channel). With ``use_input_stats`` and running
    statistics given, these are updated in place with the batch mean of the per-instance
    statistics (variance unbiased); ``use_input_stats=False`` normalises with them instead.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.functional.instance_norm(flow.tensor([[[1.0, 3.0], [0.0, 4.0]]]))
        tensor([[[-1.0000,  1.0000],
                 [-1.0000,  1.0000]]], dtype=flowkit.float32)
    """
    op = "instance_norm"
    _check_tensors(op, input=input)
    _check_float(op, "input", input)
    if input.ndim < 3:
        raise ShapeError(
            f"{op}: expected an input (N, C, L) or (N, C, H, W), got shape {shape_str(input.shape)}"
        )
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None:
            _check_tensors(op, **{name: t})
            if tuple(t.shape) != (c,):
                raise ShapeError(
                    f"{op}: {name} has shape {shape_str(t.shape)}, but the input has {c} "
                    f"channels; expected ({c},)"
                )
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError(
                f"{op}: running_mean and running_var must be given when use_input_stats=False"
            )
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    spatial = input.numel() // max(input.shape[0] * c, 1)
    if spatial <= 1 and input.numel():
        raise ValueError(
            f"{op}: expected more than 1 spatial element per channel when using the input's "
            f"statistics, got input of shape {shape_str(input.shape)}"
        )
    out = group_norm(input, c, weight, bias, eps) if c else input * 1
    if running_mean is not None or running_var is not None:
        from .. import autograd

        with autograd.no_grad():
            flat = input.detach().reshape(input.shape[0], c, -1)
            if running_mean is not None:
                m = flat.mean(2).mean(0).to(running_mean.dtype)
                running_mean.copy_(running_mean * (1 - momentum) + m * momentum)
            if running_var is not None:
                v = flat.var(2, unbiased=True).mean(0).to(running_var.dtype)
                running_var.copy_(running_var * (1 - momentum) + v * momentum)
    return out


_INTERP_MODES = {"nearest": (3, 4), "linear": (3,), "bilinear": (4,), "area": (3, 4)}


def interpolate(
    input: Tensor,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resample ``(N, C, L)`` or ``(N, C, H, W)`` input to ``size`` or by ``scale_factor``:
    ``mode`` ``"nearest"``, ``"linear"`` (3-d), ``"bilinear"`` (4-d, ``align_corners``) or
    ``"area"`` (adaptive average pooling), with PyTorch's index rules.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([[[1.0, 2.0]]])
        >>> flow.nn.functional.interpolate(x, scale_factor=2)
        tensor([[[1., 1., 2., 2.]]], dtype=flowkit.float32)
        >>> flow.nn.functional.interpolate(x, size=3, mode="linear", align_corners=True)
        tensor([[[1.0000, 1.5000, 2.0000]]], dtype=flowkit.float32)
    """
    op = "interpolate"
    _check_tensors(op, input=input)
    if mode not in _INTERP_MODES:
        if mode in ("bicubic", "trilinear", "nearest-exact"):
            raise NotImplementedError(f"{op}: mode={mode!r} is not supported by flowkit yet")
        raise ValueError(f"{op}: mode must be one of {tuple(_INTERP_MODES)}, got {mode!r}")
    if input.ndim not in _INTERP_MODES[mode]:
        raise ShapeError(
            f"{op}: mode={mode!r} needs a "
            f"{' or '.join(f'{d}-d' for d in _INTERP_MODES[mode])} input (N, C, ...), got shape "
            f"{shape_str(input.shape)}"
        )
    if antialias:
        raise NotImplementedError(f"{op}: antialias=True is not supported by flowkit")
    if align_corners is not None and mode in ("nearest", "area"):
        raise ValueError(
            f"{op}: align_corners option can only be set with the interpolating modes: linear | "
            f"bilinear (got mode={mode!r})"
        )
    _check_float(op, "input", input)
    k = input.ndim - 2
    in_sizes = tuple(input.shape[2:])
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give exactly one of size and scale_factor")
    if size is not None:
        sizes = tuple(size) if isinstance(size, (tuple, list)) else (size,) * k
        if len(sizes) != k or not all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) and int(s) >= 1
            for s in sizes
        ):
            raise ValueError(f"{op}: size must be a positive int or {k} of them, got {size!r}")
        sizes = tuple(int(s) for s in sizes)
        scales: tuple = (None,) * k
    else:
        fs = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * k
        if len(fs) != k or not all(isinstance(f, numbers.Real) and float(f) > 0 for f in fs):
            raise ValueError(
                f"{op}: scale_factor must be a positive number or {k} of them, got {scale_factor!r}"
            )
        sizes = tuple(int(math.floor(float(s) * float(f))) for s, f in zip(in_sizes, fs))
        if min(sizes) < 1:
            raise ValueError(f"{op}: scale_factor={scale_factor!r} gives an empty output {sizes}")
        scales = (None,) * k if recompute_scale_factor else tuple(float(f) for f in fs)
    if min(in_sizes) < 1:
        raise ShapeError(
            f"{op}: the input of shape {shape_str(input.shape)} has an empty spatial dimension"
        )
    if mode == "area":
        return (adaptive_avg_pool1d if k == 1 else adaptive_avg_pool2d)(input, sizes)
    return _plugins.get().interpolate(input, sizes, mode, bool(align_corners), scales)


_PAD_MODES = ("constant", "reflect", "replicate")


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the trailing dimensions: ``pad = (left, right[, top, bottom, ...])``, the last
    dimension first, as in PyTorch. ``mode``: ``"constant"`` (with ``value``, any number of
    dimensions), ``"reflect"`` or ``"replicate"`` (the last 1 or 2 dimensions of a 2-d/3-d or
    3-d/4-d input).

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([[[1.0, 2.0, 3.0]]])
        >>> flow.nn.functional.pad(x, (1, 2))
        tensor([[[0., 1., 2., 3., 0., 0.]]], dtype=flowkit.float32)
        >>> flow.nn.functional.pad(x, (2, 1), mode="reflect")
        tensor([[[3., 2., 1., 2., 3., 2.]]], dtype=flowkit.float32)
    """
    op = "pad"
    _check_tensors(op, input=input)
    if not isinstance(pad, (tuple, list)) or not all(
        isinstance(p, numbers.Integral) and not isinstance(p, bool) for p in pad
    ):
        raise TypeError(f"{op}: pad must be a tuple of ints, got {pad!r}")
    pads = tuple(int(p) for p in pad)
    if len(pads) % 2:
        raise ValueError(
            f"{op}: pad must have an even length (before, after per dimension), got {pads}"
        )
    k = len(pads) // 2
    if k > input.ndim:
        raise ValueError(
            f"{op}: pad {pads} pads {k} dimensions but the input has only {input.ndim} "
            f"(shape {shape_str(input.shape)})"
        )
    if min(pads, default=0) < 0:
        raise NotImplementedError(
            f"{op}: negative padding {pads} is not supported by flowkit; slice the input instead"
        )
    if mode == "circular":
        raise NotImplementedError(f"{op}: mode='circular' is not supported by flowkit yet")
    if mode not in _PAD_MODES:
        raise ValueError(f"{op}: mode must be one of {_PAD_MODES}, got {mode!r}")
    if mode != "constant":
        if value is not None and value != 0:
            raise ValueError(f"{op}: padding mode {mode!r} doesn't take in value argument")
        if k not in (1, 2) or input.ndim not in (k + 1, k + 2):
            raise NotImplementedError(
                f"{op}: mode={mode!r} pads the last 1 or 2 dimensions of a 2-d/3-d or 3-d/4-d "
                f"input; got pad {pads} for shape {shape_str(input.shape)}"
            )
        _check_float(op, "input", input)
        for i in range(k):
            size = input.shape[input.ndim - 1 - i]
            lo, hi = pads[2 * i], pads[2 * i + 1]
            if mode == "reflect" and (lo >= size or hi >= size):
                raise ValueError(
                    f"{op}: reflect padding ({lo}, {hi}) must be smaller than the padded "
                    f"dimension's size {size} (input shape {shape_str(input.shape)})"
                )
            if mode == "replicate" and size == 0 and (lo or hi):
                raise ShapeError(
                    f"{op}: cannot replicate-pad an empty dimension (input shape "
                    f"{shape_str(input.shape)})"
                )
    v = 0.0 if value is None else value
    return _plugins.get().pad(input, pads, mode, v)


# ============================================ activations and losses (issue 12, part 4)
__all__ += [
    "silu",
    "selu",
    "celu",
    "elu",
    "mish",
    "softplus",
    "hardswish",
    "hardsigmoid",
    "prelu",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "kl_div",
    "cosine_embedding_loss",
    "margin_ranking_loss",
    "triplet_margin_loss",
    "cosine_similarity",
    "normalize",
]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _act_input(op: str, input: Tensor) -> None:
    _check_tensors(op, input=input)
    _check_float(op, "input", input)


def _where(cond: Tensor, x, y) -> Tensor:
    return _plugins.get().where(cond, x, y)


def _elu_like(x: Tensor, alpha: float, scale: float, input_scale: float) -> Tensor:
    """``scale * x`` where ``x > 0``, else ``scale * alpha * (exp(x * input_scale) - 1)``: the
    exponential only sees ``min(x, 0)``, so the unused branch cannot overflow (nor turn a
    gradient into ``0 * inf``)."""
    neg = (x.clamp(max=0) * input_scale).expm1() * (alpha * scale)
    return _where(x > 0, x * scale if scale != 1 else x, neg)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """Sigmoid linear unit (swish): ``x * sigmoid(x)``. (``inplace`` is accepted for PyTorch
    code; flowkit always returns a new tensor.)

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.functional.silu(flow.tensor([-1.0, 0.0, 2.0]))
        tensor([-0.2689,  0.0000,  1.7616], dtype=flowkit.float32)
    """
    _act_input("silu", input)
    return input * input.sigmoid()


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """Scaled ELU: ``scale * (x if x > 0 else alpha * (exp(x) - 1))`` with PyTorch's constants
    ``alpha = 1.6732632...`` and ``scale = 1.0507009...``.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.functional.selu(flow.tensor([-1.0, 0.0, 2.0]))
        tensor([-1.1113,  0.0000,  2.1014], dtype=flowkit.float32)
    """
    _act_input("selu", input)
    return _elu_like(input, _SELU_ALPHA, _SELU_SCALE, 1.0)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """Continuously differentiable ELU: ``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.functional.celu(flow.tensor([-1.0, 2.0]), alpha=2.0)
        tensor([-0.7869,  2.0000], dtype=flowkit.float32)
    """
    _act_input("celu", input)
    if alpha == 0:
        raise ArgumentValueError("celu: alpha must not be 0 (the input is divided by it)")
    return _elu_like(input, float(alpha), 1.0, 1.0 / float(alpha))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """Exponential linear unit: ``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.functional.elu(flow.tensor([-1.0, 2.0]))
        tensor([-0.6321,  2.0000], dtype=flowkit.float32)
    """
    _act_input("elu", input)
    return _elu_like(input, float(alpha), 1.0, 1.0)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, one fused op that never overflows; where
    ``beta * x > threshold`` it is ``x`` itself (PyTorch's rule).

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.functional.softplus(flow.tensor([-1.0, 0.0, 1000.0]))
        tensor([3.1326e-01, 6.9315e-01, 1.0000e+03], dtype=flowkit.float32)
    """
    _act_input("softplus", input)
    if beta == 0:
        raise ArgumentValueError("softplus: beta must not be 0 (the result is divided by it)")
    return _plugins.get().softplus(input, float(beta), float(threshold))


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.functional.mish(flow.tensor([-1.0, 0.0, 2.0]))
        tensor([-0.3034,  0.0000,  1.9440], dtype=flowkit.float32)
    """
    _act_input("mish", input)
    return input * _plugins.get().softplus(input, 1.0, 20.0).tanh()


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """Piecewise-linear sigmoid: ``min(max(x + 3, 0), 6) / 6``.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.functional.hardsigmoid(flow.tensor([-4.0, 0.0, 1.5, 4.0]))
        tensor([0.0000, 0.5000, 0.7500, 1.0000], dtype=flowkit.float32)
    """
    _act_input("hardsigmoid", input)
    return (input + 3).clamp(0, 6) / 6


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * min(max(x + 3, 0), 6) / 6`` (MobileNetV3's hard swish).

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.functional.hardswish(flow.tensor([-4.0, 1.0, 4.0]))
        tensor([-0.0000,  0.6667,  4.0000], dtype=flowkit.float32)
    """
    _act_input("hardswish", input)
    return input * (input + 3).clamp(0, 6) / 6


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x`` where positive, ``weight * x`` elsewhere; ``weight`` holds one slope, or one per
    channel (dimension 1 of the input; an input with fewer than 2 dimensions has 1 channel).

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([[-1.0, 2.0], [-3.0, -4.0]])
        >>> flow.nn.functional.prelu(x, flow.tensor([0.1, 0.5]))
        tensor([[-0.1000,  2.0000],
                [-0.3000, -2.0000]], dtype=flowkit.float32)
    """
    _check_tensors("prelu", input=input, weight=weight)
    _check_float("prelu", "input", input)
    _check_same_dtype("prelu", input, weight=weight)
    n = weight.numel()
    channels = input.shape[1] if input.ndim >= 2 else 1
    if n == 1:
        w = weight.reshape(())
    elif weight.ndim == 1 and n == channels:
        w = weight.reshape((n,) + (1,) * (input.ndim - 2))
    else:
        raise ShapeError(
            f"prelu: the weight of shape {shape_str(weight.shape)} must hold 1 slope or one per "
            f"channel ({channels} for an input of shape {shape_str(input.shape)}, whose channels "
            "are dimension 1); use PReLU(num_parameters=1) or num_parameters=channels"
        )
    return _where(input > 0, input, w * input)


# ---------------------------------------------------------------------- losses (part 4)
def _legacy(op: str, size_average, reduce, reduction: str) -> str:
    """PyTorch's deprecated ``size_average``/``reduce`` flags, mapped onto ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn(
        f"{op}: size_average and reduce are deprecated, please use "
        "reduction='mean'|'sum'|'none' instead.",
        UserWarning,
        stacklevel=3,
    )
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "none" if not reduce else "mean" if size_average else "sum"


def _reduce_loss(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _pointwise_loss_args(op: str, input: Tensor, target: Tensor, reduction: str) -> None:
    """The rules of ``mse_loss``: tensors of one shape and one floating-point dtype."""
    _check_tensors(op, input=input, target=target)
    _check_reduction(op, reduction)
    if tuple(input.shape) != tuple(target.shape):
        raise loss_shape_error(op, input.shape, target.shape)
    err = loss_dtype_error(op, input.dtype, target.dtype)
    if err is not None:
        raise err


def _broadcastable_to(op: str, name: str, t: Tensor, input: Tensor) -> None:
    """``t`` (a weight) broadcasts to the input's shape without changing it."""
    _check_same_dtype(op, input, **{name: t})
    try:
        out = np.broadcast_shapes(tuple(t.shape), tuple(input.shape))
    except ValueError:
        out = None
    if out != tuple(input.shape):
        raise ShapeError(
            f"{op}: {name} of shape {shape_str(t.shape)} does not broadcast to the input's "
            f"shape {shape_str(input.shape)}; give it the input's shape or one that broadcasts "
            "to it"
        )


def l1_loss(
    input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """Mean absolute error ``|input - target|`` (or its sum, or elementwise). The shapes must
    match, as for ``mse_loss``.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.functional.l1_loss(flow.tensor([1.0, 2.0]), flow.tensor([0.0, 4.0]))
        tensor(1.5000, dtype=flowkit.float32)
    """
    reduction = _legacy("l1_loss", size_average, reduce, reduction)
    _pointwise_loss_args("l1_loss", input, target, reduction)
    return _reduce_loss((input - target).abs(), reduction)


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """``0.5 * d**2 / beta`` where ``d = |input - target| < beta``, ``d - 0.5 * beta``
    elsewhere (``beta = 0``: the L1 loss).

    Examples:
        >>> import flowkit as flow
        >>> F = flow.nn.functional
        >>> F.smooth_l1_loss(flow.tensor([0.5, 3.0]), flow.zeros(2), reduction="none")
        tensor([0.1250, 2.5000], dtype=flowkit.float32)
    """
    reduction = _legacy("smooth_l1_loss", size_average, reduce, reduction)
    _pointwise_loss_args("smooth_l1_loss", input, target, reduction)
    if beta < 0:
        raise ArgumentValueError(
            f"smooth_l1_loss: beta must be >= 0, got {beta} (beta=0 is the L1 loss)"
        )
    d = (input - target).abs()
    if beta == 0:
        return _reduce_loss(d, reduction)
    return _reduce_loss(_where(d < beta, d * d * (0.5 / beta), d - 0.5 * beta), reduction)


def huber_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0
) -> Tensor:
    """``0.5 * d**2`` where ``d = |input - target| < delta``, ``delta * (d - 0.5 * delta)``
    elsewhere.

    Examples:
        >>> import flowkit as flow
        >>> F = flow.nn.functional
        >>> F.huber_loss(flow.tensor([0.5, 3.0]), flow.zeros(2), reduction="none", delta=2.0)
        tensor([0.1250, 4.0000], dtype=flowkit.float32)
    """
    _pointwise_loss_args("huber_loss", input, target, reduction)
    if not delta > 0:
        raise ArgumentValueError(f"huber_loss: delta must be positive, got {delta}")
    d = (input - target).abs()
    return _reduce_loss(_where(d < delta, d * d * 0.5, (d - 0.5 * delta) * delta), reduction)


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """Kullback-Leibler divergence of log-probabilities ``input`` from ``target``
    (probabilities, or log-probabilities with ``log_target=True``), pointwise
    ``target * (log(target) - input)`` (0 where ``target`` is 0). ``reduction="batchmean"``
    divides the sum by the batch size (the mathematical KL divergence); ``"mean"``, the
    default, divides by the number of elements and warns, as in PyTorch.

    Examples:
        >>> import flowkit as flow
        >>> logp = flow.tensor([[0.5, 0.5]]).log()
        >>> flow.nn.functional.kl_div(logp, flow.tensor([[1.0, 0.0]]), reduction="batchmean")
        tensor(0.6931, dtype=flowkit.float32)
    """
    reduction = _legacy("kl_div", size_average, reduce, reduction)
    _check_tensors("kl_div", input=input, target=target)
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(
            f"kl_div: reduction must be one of {_REDUCTIONS + ('batchmean',)}, got {reduction!r}"
        )
    err = loss_dtype_error("kl_div", input.dtype, target.dtype)
    if err is not None:
        raise err
    try:
        np.broadcast_shapes(tuple(input.shape), tuple(target.shape))
    except ValueError:
        raise loss_shape_error("kl_div", input.shape, target.shape) from None
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            UserWarning,
            stacklevel=2,
        )
    if log_target:
        loss = target.exp() * (target - input)
    else:  # xlogy(t, t) - t * input: log(1) = 0 where t == 0, so no 0 * -inf
        loss = target * (_where(target == 0, 1.0, target).log() - input)
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim else total
    return _reduce_loss(loss, reduction)


def _log_clamped(v: Tensor) -> Tensor:
    """``max(log(v), -100)`` (PyTorch's BCE clamp) whose gradient is finite at ``v = 0``."""
    pos = v > 0
    return _where(pos, _where(pos, v, 1.0).log().clamp(min=-100), -100.0)


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``-weight * (target * log(input) + (1 - target) * log(1 - input))`` for probabilities
    ``input`` in [0, 1] (each log clamped at -100, as in PyTorch). For logits use
    ``binary_cross_entropy_with_logits``: it is stable where ``sigmoid`` saturates.

    Examples:
        >>> import flowkit as flow
        >>> p, t = flow.tensor([0.9, 0.2]), flow.tensor([1.0, 0.0])
        >>> flow.nn.functional.binary_cross_entropy(p, t)
        tensor(0.1643, dtype=flowkit.float32)
    """
    op = "binary_cross_entropy"
    reduction = _legacy(op, size_average, reduce, reduction)
    _pointwise_loss_args(op, input, target, reduction)
    if weight is not None:
        _broadcastable_to(op, "weight", weight, input)
    inside = (input >= 0) & (input <= 1)
    if input.numel() and not bool(inside.all()):
        raise ArgumentValueError(
            f"{op}: all elements of input should be between 0 and 1 (probabilities); for "
            "logits use binary_cross_entropy_with_logits, or apply sigmoid first"
        )
    loss = -(target * _log_clamped(input) + (1 - target) * _log_clamped(1 - input))
    if weight is not None:
        loss = loss * weight
    return _reduce_loss(loss, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """``binary_cross_entropy(sigmoid(input), target)`` in one fused op, computed as
    ``(1 - t) * x + lw * log(1 + exp(-x))`` (``lw = 1 + (pos_weight - 1) * t``) so that it is
    exact and finite for any logits. ``pos_weight`` weighs the positive class (one value per
    class, broadcast along the last dimension).

    Examples:
        >>> import flowkit as flow
        >>> F = flow.nn.functional
        >>> x, t = flow.tensor([200.0, -200.0]), flow.tensor([0.0, 1.0])
        >>> F.binary_cross_entropy_with_logits(x, t)
        tensor(200., dtype=flowkit.float32)
    """
    op = "binary_cross_entropy_with_logits"
    reduction = _legacy(op, size_average, reduce, reduction)
    _pointwise_loss_args(op, input, target, reduction)
    if weight is not None:
        _broadcastable_to(op, "weight", weight, input)
    if pos_weight is not None:
        _broadcastable_to(op, "pos_weight", pos_weight, input)
    return _plugins.get().binary_cross_entropy_with_logits(
        input, target, weight, pos_weight, reduction
    )


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between ``x1`` and ``x2`` (broadcast together) along ``dim``:
    ``sum(x1 / max(|x1|, eps) * x2 / max(|x2|, eps))``, normalised first as PyTorch does.

    Examples:
        >>> import flowkit as flow
        >>> a, b = flow.tensor([[1.0, 0.0], [1.0, 1.0]]), flow.tensor([[0.0, 2.0], [2.0, 2.0]])
        >>> flow.nn.functional.cosine_similarity(a, b)
        tensor([0.0000, 1.0000], dtype=flowkit.float32)
    """
    _check_tensors("cosine_similarity", x1=x1, x2=x2)
    _check_float("cosine_similarity", "x1", x1)
    _check_same_dtype("cosine_similarity", x1, x2=x2)
    try:
        shape = np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    except ValueError:
        raise ShapeError(
            f"cosine_similarity: x1 of shape {shape_str(x1.shape)} and x2 of shape "
            f"{shape_str(x2.shape)} do not broadcast together"
        ) from None
    d = _dim("cosine_similarity", dim, len(shape))
    if not shape:  # two 0-d tensors: the cosine of two numbers, their signs' product
        n1, n2 = x1.abs().clamp(min=eps), x2.abs().clamp(min=eps)
        return (x1 / n1) * (x2 / n2)
    # broadcast first: the norms are over the broadcast dimension, as in PyTorch
    x1 = x1 if tuple(x1.shape) == shape else x1.expand(*shape)
    x2 = x2 if tuple(x2.shape) == shape else x2.expand(*shape)
    n1, n2 = x1.norm(2, d, True).clamp(min=eps), x2.norm(2, d, True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(d)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim``.

    Examples:
        >>> import flowkit as flow
        >>> flow.nn.functional.normalize(flow.tensor([[3.0, 4.0]]))
        tensor([[0.6000, 0.8000]], dtype=flowkit.float32)
    """
    _check_tensors("normalize", input=input)
    _check_float("normalize", "input", input)
    if out is not None:
        raise ArgumentTypeError("normalize: out= is not supported by flowkit; use the result")
    d = _dim("normalize", dim, input.ndim)
    if input.ndim == 0:
        return input / input.abs().clamp(min=eps)
    return input / input.norm(p, d, True).clamp(min=eps)


def _pair_loss_target(op: str, input1: Tensor, input2: Tensor, target: Tensor) -> None:
    _check_tensors(op, input1=input1, input2=input2, target=target)
    _check_float(op, "input1", input1)
    _check_same_dtype(op, input1, input2=input2)


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``1 - cos(x1, x2)`` where ``target == 1``, ``max(0, cos(x1, x2) - margin)`` where
    ``target == -1``; inputs ``(N, D)`` with target ``(N,)``, or ``(D,)`` with a 0-d target.

    Examples:
        >>> import flowkit as flow
        >>> a, b = flow.tensor([[1.0, 0.0], [1.0, 1.0]]), flow.tensor([[0.0, 2.0], [2.0, 2.0]])
        >>> flow.nn.functional.cosine_embedding_loss(a, b, flow.tensor([1, -1]))
        tensor(1., dtype=flowkit.float32)
    """
    op = "cosine_embedding_loss"
    reduction = _legacy(op, size_average, reduce, reduction)
    _pair_loss_target(op, input1, input2, target)
    _check_reduction(op, reduction)
    if (
        target.ndim > 1
        or input1.ndim != target.ndim + 1
        or tuple(input1.shape) != tuple(input2.shape)
        or (target.ndim and target.shape[0] != input1.shape[0])
    ):
        raise ShapeError(
            f"{op}: expected inputs of shape (N, D) with a target of shape (N,), or (D,) with "
            f"a 0-d target; got {shape_str(input1.shape)}, {shape_str(input2.shape)} and "
            f"target {shape_str(target.shape)}"
        )
    k = input1.ndim - 1
    prod = (input1 * input2).sum(k)
    m1 = (input1 * input1).sum(k) + 1e-12  # PyTorch's EPSILON
    m2 = (input2 * input2).sum(k) + 1e-12
    cos = prod / (m1 * m2).sqrt()
    loss = _where(target == 1, 1 - cos, 0.0) + _where(
        target == -1, (cos - margin).clamp(min=0), 0.0
    )
    return _reduce_loss(loss, reduction)


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, -target * (input1 - input2) + margin)``: ``target`` (1 or -1) says which input
    should rank higher. The three tensors have one number of dimensions and broadcast.

    Examples:
        >>> import flowkit as flow
        >>> a, b = flow.tensor([1.0, 2.0]), flow.tensor([2.0, 0.0])
        >>> flow.nn.functional.margin_ranking_loss(a, b, flow.tensor([1.0, 1.0]), margin=0.5)
        tensor(0.7500, dtype=flowkit.float32)
    """
    op = "margin_ranking_loss"
    reduction = _legacy(op, size_average, reduce, reduction)
    _pair_loss_target(op, input1, input2, target)
    _check_same_dtype(op, input1, target=target)
    _check_reduction(op, reduction)
    if not input1.ndim == input2.ndim == target.ndim:
        raise ShapeError(
            f"{op}: input1, input2 and target must have the same number of dimensions, got "
            f"{shape_str(input1.shape)}, {shape_str(input2.shape)} and "
            f"{shape_str(target.shape)}"
        )
    return _reduce_loss((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``max(d(a, p) - d(a, n) + margin, 0)`` with ``d(x, y) = ||x - y + eps||_p`` along the
    last dimension (PyTorch's ``pairwise_distance``); ``swap`` uses ``min(d(a, n), d(p, n))``.

    Examples:
        >>> import flowkit as flow
        >>> a, p = flow.tensor([[0.0, 0.0]]), flow.tensor([[3.0, 4.0]])
        >>> n = flow.tensor([[1.0, 0.0]])
        >>> flow.nn.functional.triplet_margin_loss(a, p, n, eps=0.0)
        tensor(5., dtype=flowkit.float32)
    """
    op = "triplet_margin_loss"
    reduction = _legacy(op, size_average, reduce, reduction)
    _check_tensors(op, anchor=anchor, positive=positive, negative=negative)
    _check_float(op, "anchor", anchor)
    _check_same_dtype(op, anchor, positive=positive, negative=negative)
    _check_reduction(op, reduction)
    if not anchor.ndim == positive.ndim == negative.ndim or anchor.ndim not in (1, 2):
        raise ShapeError(
            f"{op}: anchor, positive and negative must all be (N, D) or all (D,), got "
            f"{shape_str(anchor.shape)}, {shape_str(positive.shape)} and "
            f"{shape_str(negative.shape)}"
        )
    if not margin > 0:
        raise ArgumentValueError(f"{op}: margin must be greater than 0, got {margin}")

    def dist(x: Tensor, y: Tensor) -> Tensor:
        return (x - y + eps).norm(p, -1)

    d_pos, d_neg = dist(anchor, positive), dist(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(dist(positive, negative))
    return _reduce_loss((d_pos - d_neg + margin).clamp(min=0), reduction)


# one_hot is flowkit.one_hot (flowkit.ops.indexing), the same function
from ..ops.indexing import one_hot  # noqa: E402

__all__ += ["one_hot"]
