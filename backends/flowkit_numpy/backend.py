"""``NumpyBackend``: the op table flowkit's core calls when ``FLOWKIT_BACKEND=numpy``."""

from __future__ import annotations

import numpy as np

from flowkit.backend import Backend
from flowkit.device import as_device
from flowkit.errors import DeviceError, DTypeError, ShapeError, shape_str
from flowkit.nn.parameter import Parameter

from . import tensor as _t
from .engine import Node, run_general
from .nn_ops import NumpyNNOps
from .tensor import CPU, NumpyTensor, _make, _op
from .vjps import VJP


class NumpyParameter(NumpyTensor, Parameter):
    """A :class:`flowkit.nn.Parameter` on the numpy backend."""

    __slots__ = ()


def _check_device(device) -> None:
    if device is not None and as_device(device).type != "cpu":
        raise DeviceError(
            f"the numpy backend has only the cpu device, not {device}; for CUDA run with "
            "FLOWKIT_BACKEND=torch on a machine with a GPU"
        )


_op("mse_loss")
_op("linear")
_VJP_MSE = VJP["mse_loss"]
_VJP_LINEAR = VJP["linear"]


def _same_float_dtype(op: str, a: NumpyTensor, b: NumpyTensor) -> None:
    if a._data.dtype is not b._data.dtype:
        raise DTypeError(
            f"{op}: input is {a.dtype!r} but target is {b.dtype!r}; convert the target with "
            f".to({a.dtype!r})"
        )
    if a._data.dtype.kind != "f":
        raise DTypeError(f"{op}: needs floating-point tensors, got {a.dtype!r}; call .float()")


def _seed(out, grad, create_graph: bool):
    """d out / d out for the engine: ``grad`` (a tensor, or ``None`` for ones), an array in the
    output's dtype, or a tensor under create_graph (it may itself require grad)."""
    if create_graph:
        return _make(np.ones(out._data.shape, out._data.dtype)) if grad is None else grad
    if grad is None:
        return np.ones(out._data.shape, out._data.dtype)
    return grad._data.astype(out._data.dtype, copy=False)


def _mse_kernel(a: np.ndarray, b: np.ndarray, reduction: str):
    """mse_loss on arrays: (loss, the VJP's ctx)."""
    diff = a - b
    sq = diff * diff
    if reduction == "none":
        return sq, (diff, 1)
    if reduction == "sum":  # add.reduce is what sq.sum() calls, without its Python wrapper
        return _t._fresh(np.add.reduce(sq, None)), (diff, 1)
    n = sq.size  # "mean"
    if n:
        return _t._fresh(np.add.reduce(sq, None) / n), (diff, 1.0 / n)
    return np.array(np.nan, sq.dtype), (diff, 0.0)  # no elements: nan, as in PyTorch


_MSE_KERNELS = {r: (lambda a, b, r=r: _mse_kernel(a, b, r)) for r in ("none", "sum", "mean")}


def _linear_kernel(a: np.ndarray, w: np.ndarray, b):
    """linear on arrays: ``a @ w.T + b``, and the VJP's ctx."""
    out = a @ w.T
    if b is not None:
        out += b  # in place on a fresh array: no extra allocation
    return out, (a, w)


class NumpyBackend(NumpyNNOps, Backend):
    name = "numpy"
    Tensor = NumpyTensor
    Parameter = NumpyParameter

    def __init__(self, device=None):
        _check_device(device)
        self.device = CPU

    # -- creation
    def from_numpy(self, array, device, requires_grad, share=False):
        _check_device(device)
        t = _make(array if share else np.array(array))
        if requires_grad:
            t.requires_grad = True
        return t

    def full(self, shape, value, dtype, device, requires_grad=False):
        _check_device(device)
        t = _make(np.full(shape, value, dtype.np))
        if requires_grad:
            t.requires_grad = True
        elif _t._tracer is not None:  # zeros/ones/full inside build: made anew at every replay
            _t._tracer.record(t, lambda: (np.full(shape, value, dtype.np), None), (), "full")
        return t

    def make_parameter(self, data, requires_grad):
        p = object.__new__(NumpyParameter)
        p._data = data._data  # shares memory with `data`, as torch.nn.Parameter does
        p._node = None
        p._grad = None
        p._rg = False
        if requires_grad:
            p.requires_grad = True
        return p

    # -- grad mode
    def set_grad_enabled(self, mode):
        _t.set_grad_enabled(mode)

    # -- autograd (flowkit.autograd.grad / backward; arguments checked by the core)
    def grad(self, outputs, inputs, grad_outputs, retain_graph, create_graph):
        _t._no_replay("flowkit.autograd.grad inside build()")
        seeds = [_seed(o, g, create_graph) for o, g in zip(outputs, grad_outputs)]
        res = run_general(outputs, seeds, inputs, retain_graph, create_graph, _make,
                          seeds_owned=False)
        return [r if r is None or create_graph else _make(r) for r in res]

    def autograd_backward(self, tensors, grad_tensors, retain_graph, create_graph):
        _t._no_replay("flowkit.autograd.backward inside build()")
        seeds = [_seed(o, g, create_graph) for o, g in zip(tensors, grad_tensors)]
        run_general(tensors, seeds, None, retain_graph, create_graph, _make, seeds_owned=False)

    # -- ops
    cat, stack, where = staticmethod(_t.cat), staticmethod(_t.stack), staticmethod(_t.where)

    def matmul(self, a, b):
        if not isinstance(a, NumpyTensor):
            raise TypeError(f"matmul: expected flowkit tensors, got {type(a).__name__}")
        return _t._matmul(a, b)

    def mse_loss(self, input, target, reduction):
        a, b = input._data, target._data
        if a.shape != b.shape:
            raise ShapeError(
                f"mse_loss: input has shape {shape_str(a.shape)} but target has shape "
                f"{shape_str(b.shape)}; they must match (broadcasting them would silently "
                "compare every prediction with every target). Reshape one of them"
            )
        _same_float_dtype("mse_loss", input, target)
        out, ctx = _mse_kernel(a, b, reduction)
        if _t._grad_enabled and (input._rg or target._rg):
            need = (input if input._rg else None, target if target._rg else None)
            res = _make(out, Node("mse_loss", _VJP_MSE, ctx, need))
        else:
            res = _make(out)
        if _t._tracer is not None:
            _t._tracer.record(res, _MSE_KERNELS[reduction], (input, target), "mse_loss")
        return res

    def linear(self, x, weight, bias):
        a, w = x._data, weight._data
        if a.dtype is not w.dtype:
            raise DTypeError(f"linear: input is {x.dtype!r} but the weight is {weight.dtype!r}; "
                             f"convert the input with .to({weight.dtype!r})")
        if a.ndim == 0 or a.shape[-1] != w.shape[1]:
            raise ShapeError(
                f"linear: input of shape {shape_str(a.shape)} does not fit a weight of shape "
                f"{shape_str(w.shape)}: the input's last dimension must be in_features="
                f"{w.shape[1]}"
            )
        out, ctx = _linear_kernel(a, w, None if bias is None else bias._data)
        rg = x._rg or weight._rg or (bias is not None and bias._rg)
        if _t._grad_enabled and rg:
            need = (x if x._rg else None, weight if weight._rg else None,
                    bias if bias is not None and bias._rg else None)
            res = _make(out, Node("linear", _VJP_LINEAR, ctx, need))
        else:
            res = _make(out)
        if _t._tracer is not None:
            _t._tracer.record(res, _linear_kernel, (x, weight, bias), "linear")
        return res

    # -- nn.Graph: record the first call, replay it (see replay.py)
    def compile_graph(self, graph):
        from .replay import GraphRunner  # loaded with the first graph: start-up stays lean

        return GraphRunner(graph)
