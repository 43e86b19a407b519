"""``flowkit.nn.functional``: the stateless forms of the layers, as in ``torch.nn.functional``.

Every function checks and normalises its arguments here, once, for every backend (so a wrong
shape or dtype gives the same flowkit error everywhere), then calls one fused op of the selected
backend: one graph node and one hand-written gradient on the numpy backend, one torch kernel on
the torch backend.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from .. import _plugins
from .. import random as _random
from ..errors import ArgumentTypeError, DTypeError, ShapeError, shape_str
from ..ops._contract import foreign_array_error
from ..ops.nn import pool_out_size
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


def _dropout_mask(shape, p: float, np_dtype) -> np.ndarray:
    """Keep-mask scaled by ``1/(1-p)``, drawn on the host from flowkit's generator, so a seed
    drops the same elements on every backend and device."""
    keep = np.asarray(_random.generator().random(tuple(shape))) >= p
    scale = 0.0 if p >= 1 else 1.0 / (1.0 - p)
    return np.asarray(keep.astype(np_dtype) * np.asarray(scale, np_dtype))  # 0-d stays an array


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1/(1-p)`` (training);
    the identity when ``training`` is False. The mask comes from flowkit's generator, so
    ``flowkit.manual_seed`` makes it reproducible on every backend.

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
    b = _plugins.get()
    mask = b.from_numpy(
        _dropout_mask(input.shape, p, input.dtype.np), input.device, False, share=True
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
    _check_float("conv2d", "input", x)
    _check_same_dtype("conv2d", x, weight=weight, bias=bias)
    o, cg, kh, kw = weight.shape
    if not o:  # PyTorch refuses it too (numpy would give an empty output)
        raise ShapeError(
            f"conv2d: the weight of shape {shape_str(weight.shape)} has out_channels=0; a "
            "convolution needs at least one output channel"
        )
    if not isinstance(groups, numbers.Integral) or groups < 1 or o % groups:
        raise ValueError(
            f"conv2d: groups={groups} must be a positive integer dividing out_channels={o}"
        )
    c = x.shape[1]
    if c != cg * groups:
        hint = (
            " (a 3-d input is one unbatched (C, H, W) image; for a batch of single-channel "
            "images use x.unsqueeze(1))"
            if unbatched
            else ""
        )
        raise ShapeError(
            f"conv2d: the input of shape {shape_str(input.shape)} has {c} channels, but the "
            f"weight of shape {shape_str(weight.shape)} expects in_channels={cg * groups}"
            f"{f' ({cg} x groups={groups})' if groups > 1 else ''}{hint}"
        )
    if bias is not None and tuple(bias.shape) != (o,):
        raise ShapeError(f"conv2d: bias has shape {shape_str(bias.shape)}, expected ({o},)")
    stride = _pair("conv2d", "stride", stride)
    dilation = _pair("conv2d", "dilation", dilation)
    if min(stride) < 1 or min(dilation) < 1:
        raise ValueError(f"conv2d: stride {stride} and dilation {dilation} must be positive")
    if isinstance(padding, str):
        if padding == "valid":
            pads = (0, 0, 0, 0)
        elif padding == "same":
            if stride != (1, 1):
                raise ValueError(
                    "conv2d: padding='same' is not supported for strided "
                    f"convolutions (stride={stride})"
                )
            th, tw = dilation[0] * (kh - 1), dilation[1] * (kw - 1)
            pads = (th // 2, th - th // 2, tw // 2, tw - tw // 2)  # extra on the bottom/right
        else:
            raise ValueError(
                f"conv2d: padding must be an int, a pair, 'valid' or 'same', got {padding!r}"
            )
    else:
        ph, pw = _pair("conv2d", "padding", padding)
        if ph < 0 or pw < 0:
            raise ValueError(f"conv2d: padding {(ph, pw)} cannot be negative")
        pads = (ph, ph, pw, pw)
    hp, wp = x.shape[2] + pads[0] + pads[1], x.shape[3] + pads[2] + pads[3]
    eh, ew = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    if hp < eh or wp < ew:
        raise ShapeError(
            f"conv2d: the padded input is {hp}x{wp} but the kernel spans {eh}x{ew} (kernel "
            f"{kh}x{kw}, dilation {dilation}); the input of shape {shape_str(input.shape)} is "
            "too small: pad it or use a smaller kernel"
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
