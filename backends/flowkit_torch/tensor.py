"""``TorchTensor``: flowkit's Tensor over a ``torch.Tensor``, differentiated by torch's autograd.

The class is assembled here from one mixin per op family (``arithmetic.py``, ``comparison.py``,
``reduction.py``, ``shape.py``, ``indexing.py``, ``inplace.py``, ``linalg.py``, ``autograd.py``:
the same file names as :mod:`flowkit.ops`, where each family's contract lives, and as the numpy
backend); this module adds the attributes and conversions. What every op uses (wrapping,
dtypes, devices, error translation) is :mod:`.define`.
"""

from __future__ import annotations

import numpy as np
import torch

from flowkit import dtypes as _dt
from flowkit.device import device as _Device
from flowkit.tensor import Size, Tensor, item_error

from . import define
from . import global_tensor as _global
from .arithmetic import TorchArithmetic
from .autograd import TorchAutograd
from .comparison import TorchComparison
from .define import (
    TorchTensorBase,
    _wrap,
    fk_device,
    from_torch_dtype,
    to_torch_dtype,
    torch_device,
)
from .indexing import TorchIndexing
from .inplace import TorchInplace
from .linalg import TorchLinalg
from .reduction import TorchReduction
from .shape import TorchShape


class TorchTensor(
    TorchArithmetic,
    TorchComparison,
    TorchReduction,
    TorchShape,
    TorchIndexing,
    TorchInplace,
    TorchLinalg,
    TorchAutograd,
):
    """A :class:`flowkit.Tensor` around one ``torch.Tensor`` (``_t``), made by ``_wrap``."""

    __slots__ = ()
    __hash__ = Tensor.__hash__

    @property
    def shape(self) -> Size:
        return Size(self._t.shape)

    @property
    def dtype(self) -> _dt.dtype:
        return from_torch_dtype(self._t.dtype)

    @property
    def device(self) -> _Device:
        return fk_device(self._t.device)

    @property
    def ndim(self) -> int:
        return self._t.dim()

    def dim(self) -> int:
        return self._t.dim()

    def numel(self) -> int:
        return self._t.numel()

    nelement = numel

    def numpy(self) -> np.ndarray:
        t = self._t
        if t.__class__ is not _TORCH_TENSOR and _global.is_dtensor(t):
            t = _global.full_value(t)  # a global tensor's whole value (a collective)
        # force=True: detached, on the host; a view (no copy) for a CPU tensor
        return t.numpy(force=True)

    def item(self):
        if self._t.__class__ is not _TORCH_TENSOR and _global.is_dtensor(self._t):
            return _wrap(_global.full_value(self._t)).item()
        try:
            return self._t.item()
        except RuntimeError:
            t = self._t
            if t.numel() != 1:
                raise item_error(t.shape) from None
            raise

    def clone(self) -> TorchTensorBase:
        return _wrap(self._t.clone(), "clone")

    def to(self, *args, dtype=None, device=None, copy: bool = False) -> TorchTensorBase:
        for a in args:  # to(dtype), to(device), to("cpu"), to(other_tensor)
            if isinstance(a, _dt.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            else:
                device = a
        t = self._t
        tdev = None
        if device is not None:
            tdev = torch_device(device)
            if tdev == t.device:
                tdev = None
        if dtype is None:
            if tdev is None:
                return self.clone() if copy else self
            return _wrap(t.to(tdev), "cast")
        td = to_torch_dtype(dtype)
        if td is t.dtype and tdev is None and not copy:
            return self
        return _wrap(t.to(device=tdev, dtype=td, copy=copy), "cast")

    # -- global tensors (DTensor): see global_tensor.py
    to_global = _global.to_global
    to_local = _global.to_local

    @property
    def is_global(self) -> bool:
        return _global.is_dtensor(self._t)

    @property
    def placement(self):
        t = self._t
        return _global.placement_of(t.device_mesh) if _global.is_dtensor(t) else None

    @property
    def sbp(self):
        t = self._t
        return _global.sbp_of(t) if _global.is_dtensor(t) else None

    def __repr__(self) -> str:
        if self._t.__class__ is not _TORCH_TENSOR and _global.is_dtensor(self._t):
            return _global.repr_of(self)
        return Tensor.__repr__(self)

    __str__ = __repr__


_TORCH_TENSOR = torch.Tensor
define.TorchTensor = TorchTensor  # what define._wrap creates, now that the class exists
