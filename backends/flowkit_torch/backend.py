"""``TorchBackend``: the op table flowkit's core calls when ``FLOWKIT_BACKEND=torch``."""

from __future__ import annotations

import warnings

import numpy as np
import torch

from flowkit import _opchecks as _chk
from flowkit.backend import Backend
from flowkit.device import as_device
from flowkit.errors import DeviceError, DTypeError, ShapeError, shape_str
from flowkit.nn.parameter import Parameter

from . import tensor as _tt
from .nn_ops import TorchNNOps
from .tensor import (
    _TORCH_CPU,
    TorchTensor,
    _binary_error,
    _device_error,
    _matmul,
    _wrap,
    cuda_problem,
    fk_device,
    to_torch_dtype,
    torch_device,
)


class TorchParameter(TorchTensor, Parameter):
    """A :class:`flowkit.nn.Parameter` on the torch backend."""

    __slots__ = ()


# torch's own reduction codes (torch.nn._reduction): calling the C function with them skips
# F.mse_loss's Python wrapper (size-warning checks, legacy-argument handling)
_REDUCTION = {"none": 0, "mean": 1, "sum": 2}
_mse_loss = torch._C._nn.mse_loss
_linear = torch._C._nn.linear


def _resolve_device(device: str | None):
    """The process's default device from ``FLOWKIT_DEVICE`` (``None``: CUDA when usable)."""
    if device is None:
        return torch.device("cuda", 0) if torch.cuda.is_available() else _TORCH_CPU
    fix = "unset FLOWKIT_DEVICE or set FLOWKIT_DEVICE=cpu"
    try:
        d = as_device(device)
    except DeviceError as exc:
        raise DeviceError(f"FLOWKIT_DEVICE={device}: {exc}; {fix}") from None
    if d.type == "cuda":
        why = cuda_problem(d.index)
        if why is not None:
            raise DeviceError(f"FLOWKIT_DEVICE={device} asks for CUDA, but {why}; {fix}")
    return torch_device(d)


def _same_float_dtype(op: str, a: TorchTensor, b: TorchTensor) -> None:
    if a._t.dtype is not b._t.dtype:
        raise DTypeError(
            f"{op}: input is {a.dtype!r} but target is {b.dtype!r}; convert the target with "
            f".to({a.dtype!r})"
        )
    if not a._t.is_floating_point():
        raise DTypeError(f"{op}: needs floating-point tensors, got {a.dtype!r}; call .float()")


class TorchBackend(TorchNNOps, Backend):
    name = "torch"
    Tensor = TorchTensor
    Parameter = TorchParameter

    def __init__(self, device: str | None = None):
        self._tdev = _resolve_device(device)
        self.device = fk_device(self._tdev)

    def _target(self, device) -> torch.device:
        return self._tdev if device is None else torch_device(device)

    # -- creation
    def from_numpy(self, array, device, requires_grad, share=False):
        # flowkit.from_numpy (share=True, no device) stays on the CPU and shares memory, as
        # torch.from_numpy and oneflow.from_numpy do, even where the default device is CUDA
        tdev = _TORCH_CPU if share and device is None else self._target(device)
        # torch can view only writeable arrays with non-negative strides; others are copied
        viewable = array.flags.writeable and all(s >= 0 for s in array.strides)
        if tdev.type == "cpu":
            # share: flowkit.from_numpy's promise; otherwise a copy, so the caller's array and
            # the tensor never alias
            t = torch.from_numpy(array if share and viewable else np.array(array))
        else:
            # one host-to-device copy straight from the caller's array where torch can read it
            t = torch.from_numpy(array if viewable else np.array(array)).to(tdev)
        w = _wrap(t)
        if requires_grad:
            w.requires_grad = True  # DTypeError for integers, as on numpy
        return w

    def full(self, shape, value, dtype, device, requires_grad=False):
        w = _wrap(torch.full(shape, value, dtype=to_torch_dtype(dtype),
                             device=self._target(device)))
        if requires_grad:
            w.requires_grad = True
        return w

    def make_parameter(self, data, requires_grad):
        p = object.__new__(TorchParameter)
        p._t = data._t.detach()  # shares storage with `data`, as torch.nn.Parameter does
        p._op = None
        if requires_grad:
            p.requires_grad = True
        return p

    # -- grad mode
    def set_grad_enabled(self, mode):
        torch.set_grad_enabled(mode)

    # -- autograd (flowkit.autograd.grad / backward; arguments checked by the core)
    def grad(self, outputs, inputs, grad_outputs, retain_graph, create_graph):
        outs = [o._t for o in outputs]
        try:
            res = torch.autograd.grad(outs, [i._t for i in inputs], _seeds(outs, grad_outputs),
                                      retain_graph=retain_graph, create_graph=create_graph,
                                      allow_unused=True)  # the core names an unused input
        except RuntimeError as exc:
            raise _autograd_error(exc) from None
        # never alias a caller's gradient or another result (the numpy backend's promise)
        seen = {id(g._t) for g in grad_outputs if g is not None}
        out = []
        for r in res:
            if r is not None:
                if id(r) in seen:
                    r = r.clone()
                seen.add(id(r))
                r = _wrap(r)
            out.append(r)
        return out

    def autograd_backward(self, tensors, grad_tensors, retain_graph, create_graph):
        outs = [o._t for o in tensors]
        try:
            with warnings.catch_warnings():  # create_graph: torch warns of the grad/graph cycle
                warnings.simplefilter("ignore", UserWarning)
                torch.autograd.backward(outs, _seeds(outs, grad_tensors),
                                        retain_graph=retain_graph, create_graph=create_graph)
        except RuntimeError as exc:
            raise _autograd_error(exc) from None

    # -- ops
    cat, stack, where = staticmethod(_tt.cat), staticmethod(_tt.stack), staticmethod(_tt.where)

    def matmul(self, a, b):
        if not isinstance(a, TorchTensor):
            raise TypeError(f"matmul: expected flowkit tensors, got {type(a).__name__}")
        return _matmul(a, b)

    def mse_loss(self, input, target, reduction):
        a, b = input._t, target._t
        # checked before the call: torch would broadcast different shapes (with only a warning)
        # and promote different dtypes
        if a.shape != b.shape:
            raise ShapeError(
                f"mse_loss: input has shape {shape_str(a.shape)} but target has shape "
                f"{shape_str(b.shape)}; they must match (broadcasting them would silently "
                "compare every prediction with every target). Reshape one of them"
            )
        _same_float_dtype("mse_loss", input, target)
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

    # -- devices
    def cuda_is_available(self):
        return torch.cuda.is_available()

    def cuda_device_count(self):
        return torch.cuda.device_count() if torch.cuda.is_available() else 0

    def synchronize(self):
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            torch.cuda.synchronize()

    def devices(self):
        return ["cpu"] + [f"cuda:{i}" for i in range(self.cuda_device_count())]


def _seeds(outs, grads):
    """Each output's gradient as torch takes it (``None``: ones), in the output's dtype and
    device, as the numpy backend casts it."""
    seeds = []
    for o, g in zip(outs, grads):
        if g is not None:
            g = g._t
            if g.dtype != o.dtype or g.device != o.device:
                g = g.to(o.device, o.dtype)
        seeds.append(g)
    return seeds


def _autograd_error(exc: RuntimeError) -> Exception:
    return _chk.freed_graph_error() if "second time" in str(exc) else exc


def _linear_error(x, weight, bias, exc: Exception) -> Exception:
    """torch's linear failures under the numpy backend's messages (checked in its order)."""
    a, w = x._t, weight._t
    if a.dtype != w.dtype:
        return DTypeError(f"linear: input is {x.dtype!r} but the weight is {weight.dtype!r}; "
                          f"convert the input with .to({weight.dtype!r})")
    if a.dim() == 0 or a.shape[-1] != w.shape[1]:
        return ShapeError(
            f"linear: input of shape {shape_str(a.shape)} does not fit a weight of shape "
            f"{shape_str(w.shape)}: the input's last dimension must be in_features="
            f"{w.shape[1]}"
        )
    for other in (w, None if bias is None else bias._t):
        if other is not None and other.device != a.device:
            return _device_error("linear", a, other)
    if bias is not None and bias._t.dtype != a.dtype:
        return DTypeError(f"linear: the bias is {bias.dtype!r} but the input and weight are "
                          f"{x.dtype!r}; convert the bias with .to({x.dtype!r})")
    return exc
