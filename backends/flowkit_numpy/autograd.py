"""The autograd side of a numpy-backend tensor (the contract and the rules:
:mod:`flowkit.ops.autograd`): ``requires_grad``, ``grad``, ``grad_fn``, ``backward``,
``retain_grad``, ``detach``, ``data``. The engine itself (nodes, the backward walk, the VJP
table) is :mod:`.engine`.
"""

from __future__ import annotations

import numpy as np

from flowkit.ops.autograd import (
    RemovableHandle,
    backward_name,
    grad_value_error,
    gradient_shape_error,
    hook_requires_grad_error,
    no_graph_error,
    non_leaf_hook_error,
    non_scalar_error,
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
        return None if n is None else backward_name(n.name)

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
