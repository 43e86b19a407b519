"""Tensor creation: ``tensor``, ``zeros``, ``randn``, ... written once for every backend.

Values are built as numpy arrays (the dtype rules live here, in one place) and handed to the
selected backend, which puts them on its device. ``zeros``/``ones``/``full`` go straight to the
backend so a large CUDA tensor is never built on the host.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _plugins
from . import dtypes as _dt
from . import random as _random
from .device import as_device
from .errors import DTypeError, ShapeError
from .tensor import Tensor


def _shape(args) -> tuple[int, ...]:
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    try:
        shape = tuple(int(s) for s in args)
    except (TypeError, ValueError):
        raise TypeError(f"a shape is integers, e.g. (2, 3); got {args!r}") from None
    if any(s < 0 for s in shape):
        raise ShapeError(f"a shape cannot have negative sizes, got {shape}")
    return shape


def _dtype_or(dtype, default: _dt.dtype) -> _dt.dtype:
    return default if dtype is None else _dt.to_dtype(dtype)


def _infer_array(data: Any, keep_precision: bool = False) -> np.ndarray:
    """numpy array for ``data`` with flowkit's inference: Python ints -> int64, floats ->
    float32, bools -> bool; numpy arrays and numpy scalars keep their dtype. With
    ``keep_precision`` (an explicit dtype follows) Python floats stay float64 until that cast,
    so ``tensor([0.1], dtype=float64)`` is exactly 0.1."""
    if isinstance(data, Tensor):
        return data.numpy().copy()
    if isinstance(data, (np.ndarray, np.generic)):
        return np.array(data)
    try:
        arr = np.array(data)
    except ValueError as exc:
        raise ShapeError(
            f"flowkit.tensor: the nested sequence is ragged or not numeric ({exc})"
        ) from None
    kind = arr.dtype.kind
    if kind == "f":
        return arr if keep_precision else arr.astype(np.float32)
    if kind in "iu":
        return arr.astype(np.int64)
    if kind == "b":
        return arr
    if kind == "O" or kind in "USV":
        raise DTypeError(
            f"flowkit.tensor cannot make a tensor from {type(data).__name__} data of numpy kind "
            f"{arr.dtype}; pass numbers, nested lists of numbers, numpy arrays or tensors"
        )
    return arr  # complex and others: rejected by from_numpy_dtype below with the dtype list


def tensor(data: Any, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Make a tensor from data (numbers, nested lists, numpy arrays, tensors); always copies.

    Python ints give ``int64``, floats ``float32``, bools ``bool``; numpy arrays keep their dtype.

    Examples:
        >>> import flowkit as flow
        >>> flow.tensor([[1, 2], [3, 4]]).dtype, flow.tensor([1.5]).dtype
        (flowkit.int64, flowkit.float32)
    """
    arr = _infer_array(data, keep_precision=dtype is not None)
    d = _dt.from_numpy_dtype(arr.dtype) if dtype is None else _dt.to_dtype(dtype)
    if arr.dtype != d.np:
        arr = arr.astype(d.np)
    if requires_grad and not d.is_floating_point:
        raise DTypeError(
            f"only floating-point tensors can require gradients, got {d!r}; "
            f"pass dtype=flowkit.float32 or float data such as 1.0"
        )
    return _plugins.get().from_numpy(
        arr, None if device is None else as_device(device), requires_grad
    )


def from_numpy(array: np.ndarray) -> Tensor:
    """A CPU tensor sharing memory with ``array``, as ``torch.from_numpy`` gives, on every
    backend and whatever the default device (move it with ``.to(device)``). An array torch
    cannot view (read-only, or with negative strides) is copied on the torch backend.

    Examples:
        >>> import numpy as np, flowkit as flow
        >>> flow.from_numpy(np.arange(3)).dtype
        flowkit.int64
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    _dt.from_numpy_dtype(array.dtype)  # clear error for unsupported dtypes
    return _plugins.get().from_numpy(array, None, False, share=True)


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (dtype inferred from the value).

    Examples:
        >>> import flowkit as flow
        >>> flow.full((2, 2), 7)
        tensor([[7, 7],
                [7, 7]], dtype=flowkit.int64)
        >>> flow.full(3, 0.5)
        tensor([0.5000, 0.5000, 0.5000], dtype=flowkit.float32)
    """
    if dtype is None:
        dtype = (
            _dt.bool
            if isinstance(fill_value, bool)
            else (_dt.int64 if isinstance(fill_value, (int, np.integer)) else _dt.float32)
        )
    return _plugins.get().full(
        _shape((size,) if isinstance(size, int) else size),
        fill_value,
        _dt.to_dtype(dtype),
        None if device is None else as_device(device),
        requires_grad,
    )


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A float32 (or ``dtype``) tensor of zeros. ``zeros(2, 3)`` and ``zeros((2, 3))`` agree.

    Examples:
        >>> import flowkit as flow
        >>> flow.zeros(2, 3).shape
        flowkit.Size([2, 3])
    """
    return full(_shape(size), 0, _dtype_or(dtype, _dt.float32), device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A float32 (or ``dtype``) tensor of ones.

    Examples:
        >>> import flowkit as flow
        >>> flow.ones(2)
        tensor([1., 1.], dtype=flowkit.float32)
    """
    return full(_shape(size), 1, _dtype_or(dtype, _dt.float32), device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor (flowkit fills it with zeros, so it is never garbage).

    Examples:
        >>> import flowkit as flow
        >>> flow.empty(2, 3).shape
        flowkit.Size([2, 3])
    """
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def _like(t: Tensor, dtype, device):
    return (t.dtype if dtype is None else _dt.to_dtype(dtype)), (
        t.device if device is None else device
    )


def zeros_like(input: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and by default dtype and device) of ``input``.

    Examples:
        >>> import flowkit as flow
        >>> flow.zeros_like(flow.tensor([[1.5, 2.0]]))
        tensor([[0., 0.]], dtype=flowkit.float32)
    """
    d, dev = _like(input, dtype, device)
    return full(tuple(input.shape), 0, d, dev, requires_grad)


def ones_like(input: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and by default dtype and device) of ``input``.

    Examples:
        >>> import flowkit as flow
        >>> flow.ones_like(flow.tensor([1, 2, 3]))
        tensor([1, 1, 1], dtype=flowkit.int64)
    """
    d, dev = _like(input, dtype, device)
    return full(tuple(input.shape), 1, d, dev, requires_grad)


def full_like(
    input: Tensor, fill_value, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """``fill_value`` everywhere, with the shape of ``input``.

    Examples:
        >>> import flowkit as flow
        >>> flow.full_like(flow.zeros(3), 2.5)
        tensor([2.5000, 2.5000, 2.5000], dtype=flowkit.float32)
    """
    d, dev = _like(input, dtype, device)
    return full(tuple(input.shape), fill_value, d, dev, requires_grad)


def empty_like(input: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor with the shape (and by default dtype and device) of ``input``.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.empty_like(flow.tensor([1, 2, 3]))
        >>> x.shape, x.dtype
        (flowkit.Size([3]), flowkit.int64)
    """
    return zeros_like(input, dtype, device, requires_grad)


def eye(
    n: int, m: int | None = None, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """The ``n x m`` identity matrix.

    Examples:
        >>> import flowkit as flow
        >>> flow.eye(2)
        tensor([[1., 0.],
                [0., 1.]], dtype=flowkit.float32)
    """
    d = _dtype_or(dtype, _dt.float32)
    return tensor(np.eye(n, m, dtype=d.np), d, device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False):
    """Values from ``start`` up to (not including) ``end`` by ``step``; int64 unless a bound is
    a float.

    Examples:
        >>> import flowkit as flow
        >>> flow.arange(5)
        tensor([0, 1, 2, 3, 4], dtype=flowkit.int64)
    """
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    is_float = any(isinstance(v, float) for v in (start, end, step))
    d = _dtype_or(dtype, _dt.float32 if is_float else _dt.int64)
    return tensor(np.arange(start, end, step).astype(d.np), d, device, requires_grad)


def linspace(
    start: float, end: float, steps: int, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    Examples:
        >>> import flowkit as flow
        >>> flow.linspace(0, 1, 5)
        tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000], dtype=flowkit.float32)
    """
    d = _dtype_or(dtype, _dt.float32)
    return tensor(np.linspace(start, end, steps).astype(d.np), d, device, requires_grad)


def _random_float(make, size, dtype, device, requires_grad, name):
    d = _dtype_or(dtype, _dt.float32)
    if not d.is_floating_point:
        raise DTypeError(f"{name} makes floating-point values; dtype {d!r} is not floating point")
    return _plugins.get().from_numpy(
        make(_shape(size), d.np), None if device is None else as_device(device), requires_grad
    )


def randn(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Standard-normal values from flowkit's generator (the same on every backend for a seed).

    Examples:
        >>> import flowkit as flow
        >>> flow.manual_seed(0)
        >>> flow.randn(2, 1).shape
        flowkit.Size([2, 1])
    """
    return _random_float(_random.normal_array, size, dtype, device, requires_grad, "randn")


def rand(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform values in [0, 1) from flowkit's generator (the same on every backend).

    Examples:
        >>> import flowkit as flow
        >>> flow.manual_seed(0)
        >>> x = flow.rand(2, 3)
        >>> x.shape, bool(((x >= 0) & (x < 1)).all())
        (flowkit.Size([2, 3]), True)
    """
    return _random_float(_random.uniform_array, size, dtype, device, requires_grad, "rand")


def randn_like(input: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Standard-normal values with the shape (and by default dtype and device) of ``input``.

    Examples:
        >>> import flowkit as flow
        >>> flow.manual_seed(0)
        >>> flow.randn_like(flow.zeros(2, 3, dtype=flow.float64)).dtype
        flowkit.float64
    """
    d, dev = _like(input, dtype, device)
    return randn(tuple(input.shape), dtype=d, device=dev, requires_grad=requires_grad)


def rand_like(input: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform values in [0, 1) with the shape (and by default dtype and device) of ``input``.

    Examples:
        >>> import flowkit as flow
        >>> flow.manual_seed(0)
        >>> flow.rand_like(flow.zeros(4, 1)).shape
        flowkit.Size([4, 1])
    """
    d, dev = _like(input, dtype, device)
    return rand(tuple(input.shape), dtype=d, device=dev, requires_grad=requires_grad)


def randint(low: int, high: int | None = None, size=(), dtype=None, device=None) -> Tensor:
    """Integers in ``[low, high)``; ``randint(high, size)`` as in PyTorch.

    Examples:
        >>> import flowkit as flow
        >>> flow.manual_seed(0)
        >>> flow.randint(0, 10, (5,))
        tensor([8, 6, 5, 2, 3], dtype=flowkit.int64)
    """
    if high is None:
        low, high = 0, low
    elif isinstance(high, (tuple, list)) or hasattr(high, "__len__"):  # randint(high, size)
        if size != ():
            raise TypeError(
                "randint: size was given twice: randint(high, size) or randint(low, high, size)"
            )
        low, high, size = 0, low, high
    d = _dtype_or(dtype, _dt.int64)
    arr = _random.generator().integers(low, high, _shape(size)).astype(d.np)
    return tensor(arr, d, device)


def randperm(n: int, dtype=None, device=None) -> Tensor:
    """A random permutation of ``0 .. n-1``.

    Examples:
        >>> import flowkit as flow
        >>> flow.manual_seed(0)
        >>> p = flow.randperm(5)
        >>> p
        tensor([2, 4, 3, 0, 1], dtype=flowkit.int64)
        >>> sorted(p.tolist())
        [0, 1, 2, 3, 4]
    """
    d = _dtype_or(dtype, _dt.int64)
    return tensor(_random.generator().permutation(n).astype(d.np), d, device)


def _legacy_tensor(*args, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``flowkit.Tensor(...)``: a float32 tensor from a shape or from data, as in PyTorch."""
    d = _dtype_or(dtype, _dt.float32)
    if args and all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
        return full(_shape(args), 0, d, device, requires_grad)
    if len(args) == 1 and isinstance(args[0], (tuple, list)) and not args[0]:
        return full((0,), 0, d, device, requires_grad)
    if len(args) != 1:
        raise TypeError(
            "flowkit.Tensor takes a shape (Tensor(2, 3)) or one data argument "
            "(Tensor([1, 2])); use flowkit.tensor(data, dtype=...) for other dtypes"
        )
    return tensor(args[0], d, device, requires_grad)
