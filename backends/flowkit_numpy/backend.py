"""``NumpyBackend``: the op table flowkit's core calls when ``FLOWKIT_BACKEND=numpy``."""

from __future__ import annotations

import numpy as np

from flowkit.backend import Backend
from flowkit.nn.parameter import Parameter
from flowkit.ops.linalg import operand_error

from . import define, engine
from .autograd import apply_function
from .define import CPU, check_device, make, no_replay
from .engine import run_general
from .indexing import where
from .linalg import _matmul
from .nn_ops import NumpyNNOps
from .shape import cat, stack
from .tensor import NumpyTensor


class NumpyParameter(NumpyTensor, Parameter):
    """A :class:`flowkit.nn.Parameter` on the numpy backend."""

    __slots__ = ()


def _seed(out, grad, create_graph: bool):
    """d out / d out for the engine: ``grad`` (a tensor, or ``None`` for ones), an array in the
    output's dtype, or a tensor under create_graph (it may itself require grad)."""
    if create_graph:
        return make(np.ones(out._data.shape, out._data.dtype)) if grad is None else grad
    if grad is None:
        return np.ones(out._data.shape, out._data.dtype)
    return grad._data.astype(out._data.dtype, copy=False)


class NumpyBackend(NumpyNNOps, Backend):
    name = "numpy"
    Tensor = NumpyTensor
    Parameter = NumpyParameter

    def __init__(self, device=None):
        check_device(device)
        self.device = CPU

    # -- creation
    def from_numpy(self, array, device, requires_grad, share=False):
        check_device(device)
        t = make(array if share else np.array(array))
        if requires_grad:
            t.requires_grad = True
        return t

    def full(self, shape, value, dtype, device, requires_grad=False):
        check_device(device)
        t = make(np.full(shape, value, dtype.np))
        if requires_grad:
            t.requires_grad = True
        elif define.tracer is not None:  # zeros/ones/full inside build: made anew at every replay
            define.tracer.record(t, lambda: (np.full(shape, value, dtype.np), None), (), "full")
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

    # -- grad mode and anomaly detection
    def set_grad_enabled(self, mode):
        define.set_grad_enabled(mode)

    def set_detect_anomaly(self, mode, check_nan):
        engine.set_detect_anomaly(mode, check_nan)

    # -- autograd (flowkit.autograd.grad / backward; arguments checked by the core)
    def grad(self, outputs, inputs, grad_outputs, retain_graph, create_graph):
        no_replay("flowkit.autograd.grad inside build()")
        seeds = [_seed(o, g, create_graph) for o, g in zip(outputs, grad_outputs)]
        if engine.anomaly:
            engine.arm([o._node for o in outputs])
        res = run_general(
            outputs, seeds, inputs, retain_graph, create_graph, make, seeds_owned=False
        )
        return [r if r is None or create_graph else make(r) for r in res]

    def autograd_backward(self, tensors, grad_tensors, retain_graph, create_graph):
        no_replay("flowkit.autograd.backward inside build()")
        seeds = [_seed(o, g, create_graph) for o, g in zip(tensors, grad_tensors)]
        if engine.anomaly:
            engine.arm([o._node for o in tensors])
        run_general(tensors, seeds, None, retain_graph, create_graph, make, seeds_owned=False)

    def apply_function(self, function, ctx, args, kwargs):
        return apply_function(function, ctx, args, kwargs)  # (autograd.py)

    # -- ops that are not tensor methods
    cat, stack, where = staticmethod(cat), staticmethod(stack), staticmethod(where)

    def matmul(self, a, b):
        if not isinstance(a, NumpyTensor):
            raise operand_error(a, "first")
        return _matmul(a, b)

    # -- communication (flowkit.comm): torch CPU tensors over the same memory, no copies
    def comm_buffer(self, tensor):
        import torch  # distributed runs need torch; flowkit.comm has checked it is there

        a = tensor._data
        if a.flags.c_contiguous and a.flags.writeable and a.ndim > 0:
            return torch.from_numpy(a)
        return torch.from_numpy(np.array(a, order="C", ndmin=1))  # a copy, written back by commit

    def comm_result(self, buffer):
        return make(buffer.numpy())

    def comm_commit(self, tensor, buffer):
        a = tensor._data
        if buffer.data_ptr() != a.__array_interface__["data"][0] or a.ndim == 0:
            a[...] = buffer.numpy().reshape(a.shape)
        engine.bump(a)

    # -- nn.Graph: record the first call, replay it (see replay.py)
    def compile_graph(self, graph):
        from .replay import GraphRunner  # loaded with the first graph: start-up stays lean

        return GraphRunner(graph)
