"""flowkit's dtypes: one set of names on every backend.

A [`dtype`][flowkit.dtype] is a small immutable object (``flowkit.float32``). Backends map it to
their native type; numpy's dtype is the common currency, because every backend can exchange numpy
arrays.
"""

from __future__ import annotations

import builtins

import numpy as np

__all__ = [
    "dtype",
    "float16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "bool",
    "float",
    "double",
    "half",
    "int",
    "long",
    "all_dtypes",
    "from_numpy_dtype",
    "to_dtype",
    "result_type",
]


class dtype:  # noqa: N801 - named like torch.dtype / oneflow.dtype
    """A tensor element type, e.g. ``flowkit.float32``.

    Examples:
        >>> import flowkit as flow
        >>> flow.float32, flow.float32.is_floating_point, flow.int64.itemsize
        (flowkit.float32, True, 8)
    """

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_rank")

    def __init__(self, name: str, np_dtype, rank: builtins.int):  # `int` is flowkit.int here
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_signed = self.np.kind in "fi"
        self.itemsize = self.np.itemsize
        self._rank = rank  # position in the promotion lattice within its kind

    def __repr__(self) -> str:
        return f"flowkit.{self.name}"

    def __reduce__(self):  # pickles (and DataLoader workers) keep the singleton
        return (to_dtype, (self.name,))


bool = dtype("bool", np.bool_, 0)  # noqa: A001 - shadows the builtin on purpose, like torch.bool
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 2)
int32 = dtype("int32", np.int32, 3)
int64 = dtype("int64", np.int64, 4)
float16 = dtype("float16", np.float16, 1)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 3)

# torch-style aliases
float = float32  # noqa: A001
double = float64
half = float16
int = int32  # noqa: A001
long = int64

all_dtypes = (bool, uint8, int8, int16, int32, int64, float16, float32, float64)
_BY_NAME = {d.name: d for d in all_dtypes}
_BY_NP = {d.np: d for d in all_dtypes}


def from_numpy_dtype(np_dtype) -> dtype:
    """The flowkit dtype of a numpy dtype; a clear error for the ones flowkit does not carry."""
    try:
        return _BY_NP[np_dtype]  # a numpy dtype flowkit carries: the common case
    except (KeyError, TypeError):
        pass
    names = ", ".join(_BY_NAME)
    try:
        npd = np.dtype(np_dtype)
    except TypeError:
        raise _dtype_error(
            f"{np_dtype!r} ({type(np_dtype).__name__}) is not a dtype; pass a flowkit dtype "
            f"(flowkit.float32) or its name ('float32'): one of {names}"
        ) from None
    try:
        return _BY_NP[npd]
    except KeyError:
        raise _dtype_error(f"dtype {npd.name} is not supported; flowkit carries {names}") from None


def to_dtype(value) -> dtype:
    """Accept a flowkit dtype, its name (``"float32"``), a numpy dtype or a Python type
    (``float`` is float64, ``int`` int64, as in PyTorch)."""
    if value.__class__ is dtype:
        return value
    if isinstance(value, str):
        d = _BY_NAME.get(value.removeprefix("flowkit."))
        if d is None:
            raise _dtype_error(f"unknown dtype name {value!r}; use one of {', '.join(_BY_NAME)}")
        return d
    if value is builtins.float:  # Python's float is a double, as PyTorch and numpy read it
        return float64
    if value is builtins.int:
        return int64
    if value is builtins.bool:
        return bool
    if (
        hasattr(value, "is_floating_point")
        and hasattr(value, "itemsize")
        and not isinstance(value, np.dtype)
    ):  # a torch.dtype: map through its name
        return to_dtype(str(value).removeprefix("torch."))
    return from_numpy_dtype(value)


def result_type(a: dtype, b: dtype) -> dtype:
    """Type promotion for two tensors, as PyTorch does it: float beats int beats bool, and within
    a kind the wider type wins (``float32`` with ``int64`` gives ``float32``, not numpy's
    ``float64``)."""
    if a is b:
        return a
    ka, kb = _kind(a), _kind(b)
    if ka != kb:
        return a if ka > kb else b
    if a in (uint8,) or b in (uint8,):  # uint8 with a signed int: widen to a signed type
        other = b if a is uint8 else a
        return int16 if other is int8 else other
    return a if a._rank >= b._rank else b


def _kind(d: dtype) -> builtins.int:
    return 2 if d.is_floating_point else (0 if d is bool else 1)


def _dtype_error(msg: str):
    from .errors import DTypeError

    return DTypeError(msg)
