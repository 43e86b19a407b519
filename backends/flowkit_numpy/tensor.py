"""``NumpyTensor``: flowkit's Tensor over a numpy array, with flowkit's own autograd.

The class is assembled here from one mixin per op family (``arithmetic.py``, ``comparison.py``,
``reduction.py``, ``shape.py``, ``indexing.py``, ``inplace.py``, ``linalg.py``, ``autograd.py``:
the same file names as :mod:`flowkit.ops`, where each family's contract lives, and as the torch
backend); this module adds the attributes and conversions. How an op is defined (kernel, VJP,
replay) is :mod:`.define`.
"""

from __future__ import annotations

import numpy as np

from flowkit import dtypes as _dt
from flowkit.tensor import Size, Tensor, item_error

from . import define
from .arithmetic import NumpyArithmetic
from .autograd import NumpyAutograd
from .comparison import NumpyComparison
from .define import CPU, check_device, op
from .indexing import NumpyIndexing
from .inplace import NumpyInplace
from .linalg import NumpyLinalg
from .reduction import NumpyReduction
from .shape import NumpyShape


@op("clone")
def _clone(a, grad):
    return a.copy(), None


@_clone.defvjp(saves=())
def _clone_vjp(g, ctx, need):
    return (g,)


@op("cast")
def _cast(a, np_dtype, grad):
    return a.astype(np_dtype), None


@_cast.defvjp(saves=())
def _cast_vjp(g, ctx, need):
    return (g,)  # the engine casts the gradient back to the input's dtype


class NumpyTensor(
    NumpyArithmetic,
    NumpyComparison,
    NumpyReduction,
    NumpyShape,
    NumpyIndexing,
    NumpyInplace,
    NumpyLinalg,
    NumpyAutograd,
):
    """A :class:`flowkit.Tensor` on the numpy backend: one ``ndarray`` and its graph node."""

    __slots__ = ()
    __hash__ = Tensor.__hash__

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    @property
    def dtype(self) -> _dt.dtype:
        return _dt.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return CPU

    def numpy(self) -> np.ndarray:
        if define.tracer is not None:  # (inlined: these run in every training loop)
            define.tracer.fail(
                "reading values back to Python (numpy(), tolist(), printing) inside build()"
            )
        return self._data

    def item(self):
        if define.tracer is not None:  # (inlined: these run in every training loop)
            define.tracer.fail(
                "reading a value back to Python (item(), float(), if tensor:) inside build()"
            )
        if self._data.size != 1:
            raise item_error(self._data.shape)
        return self._data.item()

    def clone(self):
        return _clone((self,))

    def to(self, *args, dtype=None, device=None, copy: bool = False):
        for a in args:  # to(dtype), to(device), to("cpu"), to(other_tensor)
            if isinstance(a, _dt.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            else:
                device = a
        check_device(device)
        if dtype is None:
            return self.clone() if copy else self
        d = _dt.to_dtype(dtype)
        if d.np == self._data.dtype and not copy:
            return self
        return _cast((self,), d.np)

    # numpy calls on tensors: numpy's behaviour (flowkit.Tensor's), or recorded ops while a
    # create_graph backward runs the VJP table on tensors (see numpy_api)
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if _numpy_api.recording():
            return _numpy_api.array_ufunc(ufunc, method, inputs, kwargs)
        return Tensor.__array_ufunc__(self, ufunc, method, *inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if _numpy_api.recording():
            return _numpy_api.array_function(func, types, args, kwargs)
        return Tensor.__array_function__(self, func, types, args, kwargs)

    def __array__(self, dtype=None, copy=None):
        return _numpy_api.as_array(self, dtype)

    # a local tensor; global tensors are global_tensor.NumpyGlobalTensor
    is_global = False
    placement = None
    sbp = None

    def to_global(self, placement=None, sbp=None):
        from .global_tensor import from_local

        return from_local(self, placement, sbp)

    def to_local(self):
        return self


define.NumpyTensor = NumpyTensor  # what define.make creates, now that the class exists

from . import numpy_api as _numpy_api  # noqa: E402 - it builds on NumpyTensor
