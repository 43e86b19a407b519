"""Tensor creation: ``tensor``, ``zeros``, ``randn``, ... written once for every backend.

Values are built as numpy arrays (the dtype rules live here, in one place) and handed to the
selected backend, which puts them on its device. ``zeros``/``ones``/``full`` go straight to the
backend so a large CUDA tensor is never built on the host.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from . import _plugins
from . import dtypes as _dt
from . import random as _random
from .device import as_device
from .errors import ArgumentTypeError, ArgumentValueError, DTypeError, ShapeError
from .tensor import Tensor


def _shape(args) -> tuple[int, ...]:
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    try:
        shape = tuple(operator.index(s) for s in args)
    except TypeError:
        raise ArgumentTypeError(f"a shape is integers, e.g. (2, 3); got {args!r}") from None
    if any(s < 0 for s in shape):
        raise ShapeError(f"a shape cannot have negative sizes, got {shape}")
    return shape


def _dtype_or(dtype, default: _dt.dtype) -> _dt.dtype:
    return default if dtype is None else _dt.to_dtype(dtype)


# ------------------------------------------------------------------ the default float dtype
_default_float: _dt.dtype = _dt.float32


def set_default_dtype(d) -> None:
    """Set the dtype of floating-point values made without a ``dtype=``: ``float32`` (the
    default) or ``float64``, as in PyTorch. It applies to the creation functions (``tensor`` of
    Python floats, ``zeros``, ``ones``, ``full`` with a float, ``empty``, ``eye``, ``arange``
    with a float bound, ``linspace``, ``rand``, ``randn``, ``flowkit.Tensor(...)``); unlike
    PyTorch, the dtype an op gives an integer tensor (``exp`` of int64, ``int_tensor * 0.5``)
    stays float32.

    Raises:
        DTypeError: a dtype other than float32 and float64.

    Examples:
        >>> import flowkit as flow
        >>> flow.set_default_dtype(flow.float64)
        >>> flow.tensor([1.5]).dtype, flow.zeros(2).dtype, flow.arange(0.0, 1.0, 0.5).dtype
        (flowkit.float64, flowkit.float64, flowkit.float64)
        >>> flow.set_default_dtype(flow.float32)
        >>> flow.get_default_dtype()
        flowkit.float32
    """
    global _default_float
    given = d
    try:
        d = None if d is None else _dt.to_dtype(d)
    except (TypeError, ValueError, DTypeError):
        d = None
    if d is not _dt.float32 and d is not _dt.float64:
        raise DTypeError(
            "set_default_dtype: the default dtype must be flowkit.float32 or flowkit.float64, "
            f"got {given!r}; pass dtype= to a creation function for other dtypes"
        )
    _default_float = d


def get_default_dtype() -> _dt.dtype:
    """The dtype of floating-point values made without a ``dtype=`` (float32 unless
    [`set_default_dtype`][flowkit.set_default_dtype] changed it).

    Examples:
        >>> import flowkit as flow
        >>> flow.get_default_dtype()
        flowkit.float32
    """
    return _default_float


# ------------------------------------------------------------------ data and value rules
_I64 = np.iinfo(np.int64)
_PY_INT_ERROR_FIX = "pass dtype=flowkit.float64 (or float data) for numbers this large"


_INT_RANGES: dict[_dt.dtype, tuple[int, int]] = {_dt.bool: (0, 1)}


def _int_range(d: _dt.dtype) -> tuple[int, int]:
    """The values an integer (or bool) dtype holds: (lowest, highest)."""
    r = _INT_RANGES.get(d)
    if r is None:
        info = np.iinfo(d.np)
        r = _INT_RANGES[d] = (int(info.min), int(info.max))
    return r


def _index_str(index) -> str:
    return "".join(f"[{int(i)}]" for i in index)


def out_of_range_error(
    op: str, value, d: _dt.dtype | None, index=None, name: str | None = None
) -> ArgumentValueError:
    """``value`` (at ``index`` in the data, if given) does not fit in the integer dtype ``d``;
    ``d`` None: a Python int beyond int64, the dtype Python ints become; ``name``: what the
    value is (``"high - 1"``), for a value that is not data. PyTorch raises too
    ("value cannot be converted to type uint8 without overflow", "Overflow when unpacking long")
    where numpy would wrap the value around silently.

    Examples:
        >>> import flowkit as flow
        >>> from flowkit._creation import out_of_range_error
        >>> print(out_of_range_error("flowkit.tensor", 300, flow.uint8, (0,)))
        flowkit.tensor: 300 (at index [0]) does not fit in flowkit.uint8, whose range is ...; ...
    """
    at = f" (at index {_index_str(index)})" if index else ""
    if d is None:
        what = f"{name} = {value}" if name else f"the integer {value}{at}"
        return ArgumentValueError(
            f"{op}: {what} does not fit in int64 (the dtype Python ints become), whose range is "
            f"{_I64.min} .. {_I64.max}; {_PY_INT_ERROR_FIX}"
        )
    lo, hi = _int_range(d)
    what = f"{name} = {value!r}" if name else f"{value!r}{at}"
    fix = (
        _PY_INT_ERROR_FIX
        if d is _dt.int64
        else "pass a value in that range, or a dtype that holds it (flowkit.int64, flowkit.float32)"
    )
    return ArgumentValueError(
        f"{op}: {what} does not fit in {d!r}, whose range is {lo} .. {hi}; {fix}"
    )


def fit_scalar(op: str, value, d: _dt.dtype):
    """A Python number as the integer (or bool) dtype ``d`` takes it, with PyTorch's rules: an int
    out of the dtype's range is an error, except that an unsigned dtype takes -max .. -1 and wraps
    it (``-1`` as uint8 is 255); a float must lie in the range (and not be nan), and is then
    truncated by the cast. Returns the value to store.

    Examples:
        >>> import flowkit as flow
        >>> from flowkit._creation import fit_scalar
        >>> fit_scalar("full", -1, flow.uint8), fit_scalar("full", 2.5, flow.int32)
        (255, 2.5)
    """
    if d is _dt.bool or isinstance(value, bool):
        return value
    lo, hi = _int_range(d)
    if isinstance(value, int):
        if lo <= value <= hi:
            return value
        if lo == 0 and -hi <= value < 0:
            return value + hi + 1
    elif value == value and float(lo) <= value <= float(hi):  # (nan != nan)
        return value
    raise out_of_range_error(op, value, d)


def _fit_array(arr: np.ndarray, d: _dt.dtype) -> None:
    """`fit_scalar`'s rule over an array made from Python data (raises at the first value
    that does not fit; the cast that follows wraps -max .. -1 into an unsigned dtype)."""
    lo, hi = _int_range(d)
    with np.errstate(invalid="ignore"):
        if arr.dtype.kind == "f":
            bad = ~((arr >= lo) & (arr <= hi))  # nan compares False: bad
        else:
            bad = (arr < (-hi if lo == 0 else lo)) | (arr > hi)
    if bad.any():
        index = tuple(np.argwhere(bad)[0])
        raise out_of_range_error("flowkit.tensor", arr[index].item(), d, index)


def _leaves(data, index=()):
    """(index, leaf) for every leaf of nested lists and tuples, in order (for messages only)."""
    if isinstance(data, (list, tuple)):
        for i, v in enumerate(data):
            yield from _leaves(v, (*index, i))
    else:
        yield index, data


def _ragged_error(data) -> ShapeError | None:
    """The first place where nested lists differ in length, or None (ragged elsewhere)."""
    level: list[tuple[tuple[int, ...], Any]] = [((), data)]
    while level:
        sizes = [(i, len(x) if isinstance(x, (list, tuple)) else None) for i, x in level]
        i0, n0 = sizes[0]
        for i, n in sizes[1:]:
            if n != n0:

                def what(n):
                    return "a number" if n is None else f"a list of {n}"

                return ShapeError(
                    f"flowkit.tensor: the nested lists are ragged: {_index_str(i)} is {what(n)} "
                    f"but {_index_str(i0)} is {what(n0)}; every list at one depth needs the same "
                    "length (pad the short ones, or make separate tensors)"
                )
        if n0 is None:
            return None
        level = [((*i, k), v) for i, x in level for k, v in enumerate(x)]
    return None


def _data_error(data, to_float: bool) -> Exception | None:
    """Why ``data`` (Python data numpy could not make a numeric array of) is not a tensor: the
    first leaf that is not a number, or a Python int beyond int64 (unless ``to_float``: an
    explicit floating-point dtype takes it). None if no leaf is at fault."""
    for index, v in _leaves(data):
        if isinstance(v, (bool, float, np.bool_, np.number, Tensor, np.ndarray)):
            continue
        if isinstance(v, int):
            if not to_float and not _I64.min <= v <= _I64.max:
                return out_of_range_error("flowkit.tensor", v, None, index)
            continue
        at = f" at index {_index_str(index)}" if index else ""
        if v is None:
            return DTypeError(
                f"flowkit.tensor: the data holds None{at}; a tensor holds numbers only: put a "
                "number there (float('nan') marks a missing value) or leave the entry out"
            )
        if isinstance(v, (str, bytes)):
            return DTypeError(
                f"flowkit.tensor: the data holds a string ({v!r}{at}); a tensor holds numbers "
                "only: convert the strings to numbers first (float(s), or a vocabulary that "
                "maps each word to an index)"
            )
        return DTypeError(
            f"flowkit.tensor: cannot make a tensor from a {type(v).__name__}{at}; pass numbers, "
            "nested lists of numbers, numpy arrays or tensors"
        )
    return None


def _first_leaf_is_int(data) -> bool:
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return isinstance(data, int) and not isinstance(data, bool)


def _is_torch_tensor(data) -> bool:
    cls = type(data)
    return cls.__module__.partition(".")[0] == "torch" and hasattr(cls, "detach")


def _infer_array(data: Any, keep_precision: bool = False, to_float: bool = False) -> np.ndarray:
    """numpy array for ``data`` with flowkit's inference: Python ints -> int64, floats ->
    float32, bools -> bool; numpy arrays, numpy scalars and torch tensors keep their dtype. With
    ``keep_precision`` (an explicit dtype follows) Python floats stay float64 until that cast,
    so ``tensor([0.1], dtype=float64)`` is exactly 0.1; ``to_float``: that dtype is a
    floating-point one, which takes Python ints beyond int64."""
    if isinstance(data, Tensor):
        return data.numpy().copy()
    if isinstance(data, (np.ndarray, np.generic)):
        return np.array(data)
    if data.__class__ is not list and _is_torch_tensor(data):  # (flowkit.tensor(x) is the fix
        # flowkit's errors give for a torch tensor: it keeps its dtype, as a numpy array does)
        return np.array(data.detach().cpu().numpy())
    try:
        arr = np.array(data)
    except (ValueError, OverflowError) as exc:
        raise (
            _ragged_error(data)
            or _data_error(data, to_float)
            or ShapeError(f"flowkit.tensor: the nested sequence is ragged or not numeric ({exc})")
        ) from None
    kind = arr.dtype.kind
    if kind == "f":
        if (
            not to_float
            and arr.size
            and _first_leaf_is_int(data)
            and not np.abs(arr).max() < 2.0**63
            and not any(isinstance(v, float) for _, v in _leaves(data))
        ):
            # ints only (PyTorch infers int64), one beyond int64: numpy made float64 of them
            # (checked where the data starts with an int: float data pays nothing)
            err = _data_error(data, to_float)
            if err is not None:
                raise err
        return arr if keep_precision else arr.astype(_default_float.np)
    if kind in "iu":
        if arr.dtype == np.uint64 and not keep_precision:  # a Python int beyond int64
            raise _data_error(data, to_float) or out_of_range_error(
                "flowkit.tensor", arr.max().item(), None
            )
        return arr if keep_precision else arr.astype(np.int64)
    if kind == "b":
        return arr
    if kind == "O" or kind in "USV":
        if to_float:  # Python ints beyond int64 (or uint64) into a floating-point dtype
            try:
                return np.array(data, dtype=np.float64)
            except (TypeError, ValueError, OverflowError):
                pass
        raise _data_error(data, to_float) or DTypeError(
            f"flowkit.tensor cannot make a tensor from {type(data).__name__} data of numpy kind "
            f"{arr.dtype}; pass numbers, nested lists of numbers, numpy arrays or tensors"
        )
    return arr  # complex and others: rejected by from_numpy_dtype below with the dtype list


def tensor(
    data: Any, dtype=None, device=None, requires_grad: bool = False, placement=None, sbp=None
) -> Tensor:
    """Make a tensor from data (numbers, nested lists, numpy arrays, tensors); always copies.

    Python ints give ``int64``, floats ``float32``, bools ``bool``; numpy arrays keep their dtype.
    A Python number that does not fit the dtype is an error, as in PyTorch (numpy would wrap it
    around): ``tensor([300], dtype=uint8)``, ``tensor([2**63])``. With ``placement`` and ``sbp``
    it is a global tensor whose value is ``data`` (every rank passes the same data and keeps
    its piece; see [`flowkit.Tensor.to_global`][flowkit.Tensor.to_global]).

    Examples:
        >>> import flowkit as flow
        >>> flow.tensor([[1, 2], [3, 4]]).dtype, flow.tensor([1.5]).dtype
        (flowkit.int64, flowkit.float32)
    """
    if dtype is None:
        arr = _infer_array(data)
        d = _dt.from_numpy_dtype(arr.dtype)
    else:
        d = _dt.to_dtype(dtype)
        arr = _infer_array(data, keep_precision=True, to_float=d.is_floating_point)
        if arr.dtype != d.np:
            if (
                not d.is_floating_point
                and d is not _dt.bool
                and arr.dtype.kind in "iuf"
                and not isinstance(data, (Tensor, np.ndarray, np.generic))
                and not _is_torch_tensor(data)
            ):  # Python numbers: PyTorch's range check (an array's values wrap, as in PyTorch)
                _fit_array(arr, d)
            with np.errstate(invalid="ignore", over="ignore"):
                arr = arr.astype(d.np)
    if requires_grad and not d.is_floating_point:
        raise DTypeError(
            f"only floating-point tensors can require gradients, got {d!r}; "
            f"pass dtype=flowkit.float32 or float data such as 1.0"
        )
    if placement is not None or sbp is not None:
        return _globalize(
            _plugins.get().from_numpy(arr, None, False), placement, sbp, requires_grad
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


def full(
    size, fill_value, dtype=None, device=None, requires_grad: bool = False, placement=None, sbp=None
) -> Tensor:
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
            else (_dt.int64 if isinstance(fill_value, (int, np.integer)) else _default_float)
        )
    d = _dt.to_dtype(dtype)
    cls = fill_value.__class__
    if cls is not float and cls is not int or not d.is_floating_point:
        fill_value = _fill_value("full", fill_value, d)
    if placement is not None or sbp is not None:
        shape = _shape((size,) if isinstance(size, int) else size)
        t = _plugins.get().full(shape, fill_value, d, None, False)
        return _globalize(t, placement, sbp, requires_grad)
    return _plugins.get().full(
        _shape((size,) if isinstance(size, int) else size),
        fill_value,
        d,
        None if device is None else as_device(device),
        requires_grad,
    )


def _fill_value(op: str, value, d: _dt.dtype):
    """A fill value as ``d`` takes it: a number (numpy's too) in the dtype's range, with
    PyTorch's rules (`fit_scalar`); a one-element tensor is left to the backend."""
    if value.__class__ is int:  # zeros/ones of an integer dtype: the common case
        r = _INT_RANGES.get(d)
        if r is not None and r[0] <= value <= r[1]:
            return value
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, (bool, int, float)):
        raise ArgumentTypeError(
            f"{op}: the fill value must be a number, got {type(value).__name__}"
            + (" (use float('nan') for a missing value)" if value is None else "")
        )
    if d.is_floating_point:
        return value
    return fit_scalar(op, value, d)


def zeros(
    *size, dtype=None, device=None, requires_grad: bool = False, placement=None, sbp=None
) -> Tensor:
    """A float32 (or ``dtype``) tensor of zeros. ``zeros(2, 3)`` and ``zeros((2, 3))`` agree.

    Examples:
        >>> import flowkit as flow
        >>> flow.zeros(2, 3).shape
        flowkit.Size([2, 3])
    """
    return full(
        _shape(size),
        0,
        _dtype_or(dtype, _default_float),
        device,
        requires_grad,
        placement=placement,
        sbp=sbp,
    )


def ones(
    *size, dtype=None, device=None, requires_grad: bool = False, placement=None, sbp=None
) -> Tensor:
    """A float32 (or ``dtype``) tensor of ones.

    Examples:
        >>> import flowkit as flow
        >>> flow.ones(2)
        tensor([1., 1.], dtype=flowkit.float32)
    """
    return full(
        _shape(size),
        1,
        _dtype_or(dtype, _default_float),
        device,
        requires_grad,
        placement=placement,
        sbp=sbp,
    )


def empty(
    *size, dtype=None, device=None, requires_grad: bool = False, placement=None, sbp=None
) -> Tensor:
    """An uninitialised tensor (flowkit fills it with zeros, so it is never garbage).

    Examples:
        >>> import flowkit as flow
        >>> flow.empty(2, 3).shape
        flowkit.Size([2, 3])
    """
    return zeros(
        *size,
        dtype=dtype,
        device=device,
        requires_grad=requires_grad,
        placement=placement,
        sbp=sbp,
    )


def _global_like(t: Tensor) -> tuple:
    """``(placement, sbp)`` for a ``*_like`` of a global tensor (a global tensor too, as in
    OneFlow), ``(None, None)`` for a local one."""
    if t.is_global:
        return t.placement, t.sbp
    return None, None


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
    return full(tuple(input.shape), 0, d, dev, requires_grad, *_global_like(input))


def ones_like(input: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and by default dtype and device) of ``input``.

    Examples:
        >>> import flowkit as flow
        >>> flow.ones_like(flow.tensor([1, 2, 3]))
        tensor([1, 1, 1], dtype=flowkit.int64)
    """
    d, dev = _like(input, dtype, device)
    return full(tuple(input.shape), 1, d, dev, requires_grad, *_global_like(input))


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
    return full(tuple(input.shape), fill_value, d, dev, requires_grad, *_global_like(input))


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
    d = _dtype_or(dtype, _default_float)
    n, m = _shape((n, n if m is None else m))
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
    start, end, step = (_arange_bound(v) for v in (start, end, step))
    is_float = any(isinstance(v, float) for v in (start, end, step))
    d = _dtype_or(dtype, _default_float if is_float else _dt.int64)
    try:
        values = np.arange(start, end, step)
    except (ValueError, TypeError, OverflowError, ZeroDivisionError):
        raise arange_error(start, end, step) or ArgumentTypeError(
            f"arange: start, end and step must be numbers, got {start!r}, {end!r}, {step!r}"
        ) from None
    if not values.size or not is_float and values.dtype.kind != "i":
        # a range that runs against its step, or an int beyond int64 (numpy gives floats)
        err = arange_error(start, end, step)
        if err is not None:
            raise err
    return tensor(values.astype(d.np), d, device, requires_grad)


def _arange_bound(v):
    """A bound of ``arange`` as a Python number: a one-element tensor gives its value (a float
    tensor a float, so ``arange(tensor(0.), tensor(5.))`` is float32, as in PyTorch); numpy
    scalars too."""
    if isinstance(v, Tensor):
        if v.numel() != 1:
            raise ArgumentValueError(
                f"arange: a tensor bound must have one element, got shape {tuple(v.shape)}"
            )
        return v.item()
    if isinstance(v, np.generic):
        return v.item()
    return v


def arange_error(start, end, step) -> ArgumentValueError | None:
    """Why ``arange(start, end, step)`` is refused, as in PyTorch: a zero step, a bound that is
    not finite or beyond int64, a range that runs against its step. None: none of these."""
    if step == 0:
        return ArgumentValueError("arange: step must be non-zero")
    for name, v in (("start", start), ("end", end), ("step", step)):
        if isinstance(v, float) and not np.isfinite(v):
            return ArgumentValueError(f"arange: {name} must be finite, got {v}")
        if isinstance(v, int) and not _I64.min <= v <= _I64.max:
            return out_of_range_error("arange", v, None, name=name)
    if (end - start) * step < 0:
        return ArgumentValueError(
            f"arange: the range from start={start} to end={end} runs against step={step}; "
            f"swap start and end, or use step={-step}"
        )
    return None


def linspace(
    start: float, end: float, steps: int, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    Examples:
        >>> import flowkit as flow
        >>> flow.linspace(0, 1, 5)
        tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000], dtype=flowkit.float32)
    """
    d = _dtype_or(dtype, _default_float)
    try:
        values = np.linspace(start, end, steps)
    except (ValueError, TypeError):
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
            raise ArgumentTypeError(
                f"linspace: steps must be an integer, got {type(steps).__name__}"
            ) from None
        if steps < 0:
            raise ArgumentValueError(
                f"linspace: steps must be >= 0 (the number of values), got {steps}"
            ) from None
        raise
    return tensor(values.astype(d.np), d, device, requires_grad)


def _random_float(
    make, size, dtype, device, requires_grad, name, placement=None, sbp=None, generator=None
):
    d = _dtype_or(dtype, _default_float)
    if generator is not None:
        gen = _random.generator_for(name, generator)
        draw = make

        def make(shape, np_dtype):
            return draw(shape, np_dtype, generator=gen)

    if not d.is_floating_point:
        raise DTypeError(f"{name} makes floating-point values; dtype {d!r} is not floating point")
    if placement is not None or sbp is not None:
        # every rank draws the whole tensor (the ranks share the seed) and keeps its piece, so a
        # global randn equals a one-process randn after the same manual_seed
        t = _plugins.get().from_numpy(make(_shape(size), d.np), None, False)
        return _globalize(t, placement, sbp, requires_grad)
    return _plugins.get().from_numpy(
        make(_shape(size), d.np), None if device is None else as_device(device), requires_grad
    )


def randn(
    *size,
    dtype=None,
    device=None,
    requires_grad: bool = False,
    placement=None,
    sbp=None,
    generator=None,
) -> Tensor:
    """Standard-normal values from flowkit's generator (the same on every backend for a seed),
    or from ``generator`` (a [`flowkit.Generator`][flowkit.Generator]).

    Examples:
        >>> import flowkit as flow
        >>> flow.manual_seed(0)
        >>> flow.randn(2, 1).shape
        flowkit.Size([2, 1])
    """
    return _random_float(
        _random.normal_array, size, dtype, device, requires_grad, "randn", placement, sbp, generator
    )


def rand(
    *size,
    dtype=None,
    device=None,
    requires_grad: bool = False,
    placement=None,
    sbp=None,
    generator=None,
) -> Tensor:
    """Uniform values in [0, 1) from flowkit's generator (the same on every backend), or from
    ``generator`` (a [`flowkit.Generator`][flowkit.Generator]).

    Examples:
        >>> import flowkit as flow
        >>> flow.manual_seed(0)
        >>> x = flow.rand(2, 3)
        >>> x.shape, bool(((x >= 0) & (x < 1)).all())
        (flowkit.Size([2, 3]), True)
    """
    return _random_float(
        _random.uniform_array, size, dtype, device, requires_grad, "rand", placement, sbp, generator
    )


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


def randint(
    low: int, high: int | None = None, size=(), dtype=None, device=None, generator=None
) -> Tensor:
    """Integers in ``[low, high)``; ``randint(high, size)`` as in PyTorch. ``generator``: a
    [`flowkit.Generator`][flowkit.Generator] to draw from instead of flowkit's global one.

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
    shape = _shape(size)
    err = randint_error(low, high, d)
    if err is not None:
        raise err
    gen = _random.generator_for("randint", generator)
    arr = gen.integers(low, high, shape).astype(d.np)
    return tensor(arr, d, device)


def randint_like(
    input: Tensor,
    low: int = 0,
    high: int | None = None,
    dtype=None,
    device=None,
    requires_grad: bool = False,
    generator=None,
) -> Tensor:
    """Integers in ``[low, high)`` with the shape (and by default dtype and device) of ``input``;
    ``randint_like(input, high)`` draws from ``0 .. high - 1``, as in PyTorch.

    Examples:
        >>> import flowkit as flow
        >>> flow.manual_seed(0)
        >>> flow.randint_like(flow.zeros(2, 3), 10)
        tensor([[8., 6., 5.],
                [2., 3., 0.]], dtype=flowkit.float32)
    """
    from .ops._contract import need_tensor

    need_tensor("randint_like", input)
    if high is None:
        low, high = 0, low
    d, dev = _like(input, dtype, device)
    t = randint(low, high, tuple(input.shape), dtype=d, device=dev, generator=generator)
    if requires_grad:
        t.requires_grad_(True)
    return t


def randint_error(low, high, d: _dt.dtype) -> Exception | None:
    """Why ``randint(low, high, dtype=d)`` is refused, as in PyTorch: bounds that are not
    integers, an empty range, values the dtype cannot hold. None: the call is fine.

    Examples:
        >>> import flowkit as flow
        >>> from flowkit._creation import randint_error
        >>> print(randint_error(5, 5, flow.int64))
        randint: low (5) must be less than high (5): [low, high) is empty; ...
    """
    for name, v in (("low", low), ("high", high)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            return ArgumentTypeError(
                f"randint: {name} must be an integer, got {v!r} ({type(v).__name__})"
            )
    if low >= high:
        return ArgumentValueError(
            f"randint: low ({low}) must be less than high ({high}): [low, high) is empty; "
            f"randint(low, high, size) draws from low .. high - 1, e.g. randint(0, 10, (3,)) "
            "from 0 .. 9"
        )
    if not d.is_floating_point:
        lo, hi = _int_range(d)
        for name, v in (("low", low), ("high - 1", high - 1)):
            if not lo <= v <= hi:
                return out_of_range_error("randint", int(v), d, name=name)
    return None


def randperm(n: int, dtype=None, device=None, generator=None) -> Tensor:
    """A random permutation of ``0 .. n-1`` (from ``generator``, a
    [`flowkit.Generator`][flowkit.Generator], if given).

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
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise ArgumentTypeError(f"randperm: n must be an integer, got {type(n).__name__}")
    if n < 0:
        raise ArgumentValueError(f"randperm: n must be >= 0 (the number of values), got {n}")
    gen = _random.generator_for("randperm", generator)
    return tensor(gen.permutation(n).astype(d.np), d, device)


def _globalize(t: Tensor, placement, sbp, requires_grad: bool) -> Tensor:
    """The global tensor whose value is ``t`` (the same on every rank) on ``placement`` with
    ``sbp``: each rank keeps its piece. A leaf, requiring grad if asked."""
    from .ops.global_tensor import normalize

    if placement is None or sbp is None:
        raise ArgumentValueError(
            "a global tensor needs both placement= and sbp= (e.g. placement=flowkit.placement("
            "'cpu', [0, 1]), sbp=flowkit.sbp.split(0)); pass neither for a local tensor"
        )
    from .sbp import broadcast

    placement, sbps = normalize(placement, sbp, t.ndim, "creation")
    g = t.to_global(placement, (broadcast,) * placement.ndim)
    if sbps != g.sbp:
        g = g.to_global(placement, sbps)
    if requires_grad:
        g = g.detach().requires_grad_(True)
    return g


def _legacy_tensor(*args, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``flowkit.Tensor(...)``: a float32 tensor from a shape or from data, as in PyTorch."""
    d = _dtype_or(dtype, _default_float)
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
