"""``TorchBackend``: the op table flowkit's core calls when ``FLOWKIT_BACKEND=torch``."""

from __future__ import annotations

import os
import warnings

import numpy as np
import torch
from torch.autograd.graph import increment_version

from flowkit.backend import Backend
from flowkit.device import as_device
from flowkit.errors import DeviceError
from flowkit.nn.parameter import Parameter
from flowkit.ops.linalg import operand_error

from .autograd import anomaly_checks, apply_function, autograd_error, set_detect_anomaly
from .define import _TORCH_CPU, _wrap, cuda_problem, fk_device, to_torch_dtype, torch_device
from .indexing import where
from .linalg import _matmul
from .nn_ops import TorchNNOps
from .shape import cat, stack
from .tensor import TorchTensor


class TorchParameter(TorchTensor, Parameter):
    """A :class:`flowkit.nn.Parameter` on the torch backend."""

    __slots__ = ()


def _local_gpu() -> int:
    """The GPU of this process: ``LOCAL_RANK`` (set by the distributed launcher) modulo the GPU
    count, so the processes of a run on one machine each take their own GPU; 0 otherwise."""
    local = os.environ.get("LOCAL_RANK", "").strip()
    return int(local) % max(1, torch.cuda.device_count()) if local.isdigit() else 0


def _resolve_device(device: str | None):
    """The process's default device from ``FLOWKIT_DEVICE`` (``None``: CUDA when usable; in a
    distributed run, ``cuda:LOCAL_RANK``)."""
    if device is None:
        return torch.device("cuda", _local_gpu()) if torch.cuda.is_available() else _TORCH_CPU
    if device.strip() == "cuda" and torch.cuda.is_available():
        device = f"cuda:{_local_gpu()}"  # a bare "cuda" means this process's GPU
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
        w = _wrap(
            torch.full(shape, value, dtype=to_torch_dtype(dtype), device=self._target(device))
        )
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

    # -- grad mode and anomaly detection
    def set_grad_enabled(self, mode):
        torch.set_grad_enabled(mode)

    def set_detect_anomaly(self, mode, check_nan):
        set_detect_anomaly(mode, check_nan)

    # -- autograd (flowkit.autograd.grad / backward; arguments checked by the core)
    def grad(self, outputs, inputs, grad_outputs, retain_graph, create_graph):
        outs = [o._t for o in outputs]
        try:
            with anomaly_checks(outs):
                res = torch.autograd.grad(
                    outs,
                    [i._t for i in inputs],
                    _seeds(outs, grad_outputs),
                    retain_graph=retain_graph,
                    create_graph=create_graph,
                    allow_unused=True,
                )  # the core names an unused input
        except RuntimeError as exc:
            raise autograd_error(exc, outs) from None
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
            with anomaly_checks(outs), warnings.catch_warnings():  # create_graph: torch warns
                warnings.simplefilter("ignore", UserWarning)
                torch.autograd.backward(
                    outs,
                    _seeds(outs, grad_tensors),
                    retain_graph=retain_graph,
                    create_graph=create_graph,
                )
        except RuntimeError as exc:
            raise autograd_error(exc, outs) from None

    def apply_function(self, function, ctx, args, kwargs):
        return apply_function(function, ctx, args, kwargs)  # (autograd.py)

    # -- ops
    cat, stack, where = staticmethod(cat), staticmethod(stack), staticmethod(where)

    def matmul(self, a, b):
        if not isinstance(a, TorchTensor):
            raise operand_error(a, "first")
        return _matmul(a, b)

    # -- communication (flowkit.comm): the tensors themselves
    def comm_buffer(self, tensor):
        t = tensor._t.detach()  # the same memory and version counter, outside autograd
        return t if t.is_contiguous() else t.contiguous()

    def comm_result(self, buffer):
        return _wrap(buffer)

    def comm_commit(self, tensor, buffer):
        t = tensor._t
        if buffer.data_ptr() != t.data_ptr():
            with torch.no_grad():
                t.copy_(buffer)  # counts as an in-place change itself
        else:  # the collective wrote through the detached view, unseen by autograd
            increment_version(t)

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
