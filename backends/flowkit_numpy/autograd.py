"""The autograd side of a numpy-backend tensor (the contract and the rules:
:mod:`flowkit.ops.autograd`): ``requires_grad``, ``grad``, ``grad_fn``, ``backward``,
``retain_grad``, ``detach``, ``data``. The engine itself (nodes, the backward walk, the VJP
table) is :mod:`.engine`.
"""

from __future__ import annotations

import functools
import weakref

import numpy as np

from flowkit.autograd.function import differentiable, run_backward, run_forward
from flowkit.ops.autograd import (
    RemovableHandle,
    backward_name,
    grad_value_error,
    gradient_shape_error,
    hook_requires_grad_error,
    no_graph_error,
    non_leaf_hook_error,
    non_scalar_error,
    register_hook_error,
    requires_grad_error,
    retain_grad_error,
)

from . import define, engine
from .define import NumpyTensorBase, identity, make, no_replay

_SEEDS: dict = {}


def _ones_seed(shape, dtype) -> np.ndarray:
    """d out/d out = 1 for a one-element output: cached read-only (the engine copies before it
    would ever store or write into it)."""
    key = (shape, dtype)
    seed = _SEEDS.get(key)
    if seed is None:
        seed = _SEEDS[key] = np.ones(shape, dtype)
        seed.setflags(write=False)
    return seed


class NumpyAutograd(NumpyTensorBase):
    """The autograd attributes and methods of ``NumpyTensor``."""

    __slots__ = ()

    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        no_replay("setting requires_grad inside build()")
        value = bool(value)
        if self._node is not None and not value or value and self._data.dtype.kind != "f":
            raise requires_grad_error(self.dtype, self._node is None, value)
        self._rg = value

    def requires_grad_(self, requires_grad: bool = True) -> NumpyTensorBase:
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if define.tracer is not None:  # (inlined: these run in every training loop)
            define.tracer.fail("assigning .grad inside build()")
        if value is not None and (
            not isinstance(value, NumpyTensorBase) or value._data.shape != self._data.shape
        ):
            raise grad_value_error(value, self._data.shape)
        self._grad = value

    @property
    def grad_fn(self):
        return self._node

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    def _grad_fn_name(self):
        n = self._node
        if n is None:
            return None
        return n.name + "Backward" if n.__class__ is engine.FunctionNode else backward_name(n.name)

    @property
    def data(self):
        res = make(self._data)
        if define.tracer is not None:
            define.tracer.record(res, identity, (self,), "data")
        return res

    @data.setter
    def data(self, value) -> None:
        no_replay("assigning .data inside build()")
        self._data = value._data

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False) -> None:
        if not self._rg:
            raise no_graph_error()
        if gradient is None:
            if self._data.size != 1:
                raise non_scalar_error(self._data.shape)
            seed, owned = _ones_seed(self._data.shape, self._data.dtype), True
        else:
            seed = gradient._data if isinstance(gradient, NumpyTensorBase) else np.asarray(gradient)
            if seed.shape != self._data.shape:
                raise gradient_shape_error(seed.shape, self._data.shape)
            seed, owned = seed.astype(self._data.dtype, copy=False), False
        if define.tracer is not None:
            define.tracer.record_backward(self, gradient, create_graph)
        if engine.anomaly:
            engine.arm([self._node])
        if create_graph:  # the gradients get a graph of their own (see engine.run_general)
            g = gradient if isinstance(gradient, NumpyTensorBase) else make(np.array(seed))
            engine.run_general([self], [g], None, retain_graph is not False, True, make)
            return
        engine.run_backward(self, seed, owned, retain_graph, make)

    def register_post_accumulate_grad_hook(self, hook):
        if self._node is not None:
            raise non_leaf_hook_error()
        if not self._rg:
            raise hook_requires_grad_error()
        return RemovableHandle(engine.add_post_hook(self, hook))

    def register_hook(self, hook):
        no_replay("register_hook() inside build()")
        if not self._rg:
            raise register_hook_error()
        return RemovableHandle(engine.add_hook(self, hook))

    def retain_grad(self) -> None:
        no_replay("retain_grad() inside build()")
        if self._node is None:
            if not self._rg:
                raise retain_grad_error()
            return  # leaves keep their grad anyway
        engine.retain(self._node, self)

    def detach(self) -> NumpyTensorBase:
        res = make(self._data)
        if define.tracer is not None:
            define.tracer.record(res, identity, (self,), "detach")
        return res

    def detach_(self) -> NumpyTensorBase:
        no_replay("detach_() inside build()")
        self._node = None
        self._rg = False
        return self


# ------------------------------------------------------------------ flowkit.autograd.Function
# One engine node (FunctionNode) per call, whose VJP calls the user's backward with flowkit
# tensors. A function with several differentiable outputs gets, besides, one small node per
# output: each passes its output's gradient on to the function's node as a _Grads, and the
# engine sums those (one slot each) like any gradient, so the user's backward runs once, with
# every output's gradient.


class _Grads:
    """The gradients of a function's outputs, one slot per output (``None``: none yet), as they
    flow into its node through the empty bool tensor that links the per-output nodes to it (the
    engine's shape and dtype checks see that tensor's)."""

    __slots__ = ("grads",)
    shape = (0,)
    dtype = np.dtype(bool)

    def __init__(self, grads: list):
        self.grads = grads

    @property
    def _data(self):  # (create_graph and anomaly detection read a gradient's _data)
        return self

    def __add__(self, other: _Grads) -> _Grads:
        return _Grads(
            [a if b is None else b if a is None else a + b for a, b in zip(self.grads, other.grads)]
        )


_LINK = np.empty(0, bool)
_LINK.setflags(write=False)


def _select_vjp(i: int, n: int, g, ctx, need):
    grads: list = [None] * n
    grads[i] = g
    return (_Grads(grads),)


def _function_vjp(fn, fctx, meta, slot, out_nodes, g, ctx, need):
    """The VJP of a Function's node: the user's backward, on tensors."""
    if isinstance(g, _Grads):
        grads = list(g.grads)
    else:  # one differentiable output: its gradient comes straight in
        grads = [None] * len(meta)
        grads[slot] = g
    on_tensors = any(isinstance(x, NumpyTensorBase) for x in grads)  # create_graph
    if on_tensors:
        # saved outputs as tensors on their nodes, so the backward's result differentiates
        # through them (second derivatives)
        saved = fctx._to_save
        if any(k is not None for k in fctx._save_outputs):
            fctx._saved = tuple(
                t if k is None or out_nodes[k]() is None else make(t._data, out_nodes[k]())
                for t, k in zip(saved, fctx._save_outputs)
            )
        try:
            res = run_backward(fn, fctx, grads, meta)
        finally:
            fctx._saved = None
        return tuple(res)
    grads = [None if x is None else make(x) for x in grads]
    prev = define.is_grad_enabled()
    define.set_grad_enabled(False)
    try:
        res = run_backward(fn, fctx, grads, meta)
    finally:
        define.set_grad_enabled(prev)
    return tuple(None if r is None else r._data for r in res)


def apply_function(fn, ctx, args, kwargs):
    """``fn.apply(*args, **kwargs)`` with some input needing a gradient (the core has checked)."""
    no_replay("flowkit.autograd.Function inside build()")
    prev = define.is_grad_enabled()
    define.set_grad_enabled(False)
    try:
        outs, is_tuple = run_forward(fn, ctx, args, kwargs)
    finally:
        define.set_grad_enabled(prev)
    diff = [i for i, o in enumerate(outs) if differentiable(ctx, o)]
    if not diff:
        return outs if is_tuple else outs[0]
    meta = [
        (tuple(o._data.shape), o.dtype, o.device) if isinstance(o, NumpyTensorBase) else None
        for o in outs
    ]
    # which output (if any) each saved tensor is: under create_graph backward gets it on its node
    ctx._save_outputs = tuple(
        next((i for i in diff if t is outs[i]), None) if t is not None else None
        for t in ctx._to_save
    )
    inputs = tuple(a if need else None for a, need in zip(args, ctx.needs_input_grad))
    saved = tuple(t._data for t in ctx._to_save if isinstance(t, NumpyTensorBase))
    out_nodes: list = [None] * len(outs)
    vjp = functools.partial(_function_vjp, fn, ctx, meta, diff[0], out_nodes)
    node = engine.FunctionNode(fn.__name__, vjp, saved, inputs)
    res = list(outs)
    if len(diff) == 1:
        i = diff[0]
        out_nodes[i] = weakref.ref(node)
        res[i] = make(outs[i]._data, node)
    else:
        link = make(_LINK, node)
        for i in diff:
            sel = engine.FunctionNode(
                fn.__name__, functools.partial(_select_vjp, i, len(outs)), None, (link,)
            )
            out_nodes[i] = weakref.ref(sel)
            res[i] = make(outs[i]._data, sel)
    return tuple(res) if is_tuple else res[0]
