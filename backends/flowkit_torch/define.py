"""What every op of the torch backend uses: the tensor's storage and ``_wrap``, dtype and device
mapping, operands, and the translation of torch's errors into flowkit's.

Hot-path rules (every op runs them): one torch call per op, then ``_wrap``, which makes the
wrapper with ``object.__new__`` and sets two slots (no ``__init__``). flowkit adds no checks on
the success path: torch's ``RuntimeError``s are translated into flowkit's errors inside
``except`` blocks only, by the diagnosers of :mod:`flowkit.ops` (the numpy backend raises the
same ones, so the messages are the same). PyTorch's type promotion is flowkit's
(``flowkit.dtypes.result_type`` copies it), so results need no casts.

``_op`` records the flowkit op that made a tensor: the repr prints ``grad_fn=<MatmulBackward>``
from it, the same name the numpy backend prints, where torch would say ``MmBackward0``.
"""

from __future__ import annotations

import numbers
import weakref

import numpy as np
import torch

from flowkit import dtypes as _dt
from flowkit.device import as_device, mismatch_error
from flowkit.device import device as _Device
from flowkit.errors import DeviceError, DTypeError
from flowkit.ops.arithmetic import (
    bool_sub_error,
    bool_unary_error,
    broadcast_error,
    negative_power_error,
    numpy_operand_error,
)
from flowkit.tensor import Tensor

CPU = _Device("cpu")
_TORCH_CPU = torch.device("cpu")


# ----------------------------------------------------------------------------- storage and wrapping


class TorchTensorBase(Tensor):
    """The storage of a torch-backend tensor; the family modules' mixins subclass it, and
    ``tensor.TorchTensor`` combines them."""

    __slots__ = ("_t", "_op", "__weakref__")
    _t: torch.Tensor  # the values (and torch's autograd state)
    _op: str | None  # the flowkit op that made it, for grad_fn's name


# the class _wrap creates: tensor.py replaces this with the assembled TorchTensor, once
TorchTensor: type = TorchTensorBase


# ---------------------------------------------------------------------------------- wrapping
_new = object.__new__


def _wrap(t: torch.Tensor, op: str | None = None) -> TorchTensorBase:
    """A flowkit tensor around ``t`` (the hot path: no ``__init__``, two slot writes)."""
    w: TorchTensorBase = _new(TorchTensor)
    w._t = t
    w._op = op
    return w


# One wrapper per torch grad tensor, so `p.grad is p.grad` holds as on numpy. Keyed by the grad's
# id, which is unique while the wrapper (holding the grad) lives; the weak reference's callback
# drops the entry with the wrapper. (Not an attribute on the torch tensor: a weakref there would
# make the grad unpicklable.)
_grad_wrappers: dict[int, weakref.ref] = {}


def _drop_grad_wrapper(ref, key) -> None:
    if _grad_wrappers.get(key) is ref:  # not a newer wrapper of a tensor that reused the id
        del _grad_wrappers[key]


def _remember_grad_wrapper(g: torch.Tensor, w: TorchTensorBase) -> None:
    key = id(g)
    _grad_wrappers[key] = weakref.ref(w, lambda ref: _drop_grad_wrapper(ref, key))


class GradFn:
    """torch's autograd node shown under flowkit's name: ``<MatmulBackward object>``, as on the
    numpy backend. Other attributes (``next_functions``, ``metadata``...) are torch's."""

    __slots__ = ("node", "_name", "__weakref__")

    def __init__(self, node, name: str):
        self.node = node
        self._name = name

    def name(self) -> str:
        return self._name

    def __getattr__(self, attr):
        if attr == "node":  # not set yet (copy/pickle build the object without __init__)
            raise AttributeError(attr)
        return getattr(self.node, attr)

    def __repr__(self) -> str:
        return f"<{self._name} object>"


# ------------------------------------------------------------------------------------------- dtypes


# ---------------------------------------------------------------------------------- dtypes
_TO_TORCH = {
    _dt.bool: torch.bool,
    _dt.uint8: torch.uint8,
    _dt.int8: torch.int8,
    _dt.int16: torch.int16,
    _dt.int32: torch.int32,
    _dt.int64: torch.int64,
    _dt.float16: torch.float16,
    _dt.float32: torch.float32,
    _dt.float64: torch.float64,
}


_FROM_TORCH = {v: k for k, v in _TO_TORCH.items()}


def to_torch_dtype(d) -> torch.dtype:
    """The torch dtype of anything ``flowkit.dtypes.to_dtype`` accepts."""
    return _TO_TORCH[_dt.to_dtype(d)]


def from_torch_dtype(td: torch.dtype) -> _dt.dtype:
    d = _FROM_TORCH.get(td)
    if d is None:
        raise DTypeError(
            f"torch dtype {td} has no flowkit equivalent; flowkit carries "
            f"{', '.join(x.name for x in _dt.all_dtypes)}. Convert the tensor with .to(dtype)"
        )
    return d


# ------------------------------------------------------------------------------------------ devices


# ---------------------------------------------------------------------------------- devices
_FK_DEVICES: dict = {}  # torch.device -> flowkit.device, filled as devices are seen


_TORCH_DEVICES: dict = {}  # flowkit.device -> validated torch.device


def fk_device(td: torch.device) -> _Device:
    d = _FK_DEVICES.get(td)
    if d is None:
        if td.type not in ("cpu", "cuda"):
            raise DeviceError(
                f"the tensor is on torch device {td!s}, which flowkit does not "
                "carry; move it with .to('cpu')"
            )
        d = _FK_DEVICES[td] = _Device(td.type, td.index)
    return d


def cuda_problem(index: int) -> str | None:
    """Why ``cuda:index`` cannot be used here (naming torch's version and what it reports), or
    ``None`` when it can."""
    if not torch.cuda.is_available():
        return (
            f"torch {torch.__version__} reports torch.cuda.is_available() = False (a "
            "CPU-only torch build, no GPU, or no driver)"
        )
    n = torch.cuda.device_count()
    if index >= n:
        return (
            f"torch {torch.__version__} sees {n} CUDA device(s) (torch.cuda.is_available() "
            f"= True), so cuda:{index} does not exist; use cuda:0 .. cuda:{n - 1}"
        )
    return None


def torch_device(dev) -> torch.device:
    """The torch device for a flowkit device (or a string), checked once and cached."""
    d = as_device(dev)
    td = _TORCH_DEVICES.get(d)
    if td is None:
        if d.type == "cuda":
            why = cuda_problem(d.index)
            if why is not None:
                raise DeviceError(
                    f"device {d} is not available: {why}. Use device='cpu' (or "
                    "run on a machine with a CUDA GPU)"
                )
            td = torch.device("cuda", d.index)
        else:
            td = _TORCH_CPU  # torch's cpu device has no index; flowkit's is cpu:0
        _TORCH_DEVICES[d] = td
        _FK_DEVICES.setdefault(td, d)
    return td


def _device_name(t: torch.Tensor) -> str:
    """A tensor's device for messages: flowkit's spelling (``cpu:0``) when flowkit has one."""
    td = t.device
    return str(fk_device(td)) if td.type in ("cpu", "cuda") else str(td)


# ------------------------------------------------------------------------------ operands and errors


# ---------------------------------------------------------------------------------- operands
def _scalar(value, op: str):
    """A non-tensor operand as torch takes it: a Python number, or ``None`` (not ours).

    numpy scalars become Python numbers so they stay weakly typed, as in PyTorch (numpy's float64
    scalar next to a float32 tensor gives float32)."""
    cls = value.__class__
    if cls is float or cls is int or cls is bool:
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, numbers.Number) and not isinstance(value, complex):
        return value if isinstance(value, (bool, int, float)) else float(value)  # type: ignore[arg-type]
    if isinstance(value, np.ndarray):
        raise numpy_operand_error(op)
    return None


def _device_error(op: str, a: torch.Tensor, b: torch.Tensor) -> DeviceError:
    return mismatch_error(op, _device_name(a), _device_name(b))


def _binary_error(op: str, a: torch.Tensor, b, exc: Exception, out_shape=None) -> Exception:
    """The flowkit error for a failed elementwise op on ``a`` and ``b`` (a tensor or a number).

    ``out_shape``: for in-place ops, the shape the result must keep. Returns ``exc`` itself when
    the failure is neither a device nor a shape mismatch."""
    if isinstance(b, torch.Tensor):
        if a.device != b.device:
            return _device_error(op, a, b)
        b_shape: tuple = tuple(b.shape)
    else:
        b_shape = ()
    try:
        shape = torch.broadcast_shapes(a.shape, b_shape)
    except RuntimeError:
        return broadcast_error(op, a.shape, b_shape)
    if out_shape is not None and shape != out_shape:
        return broadcast_error(op, a.shape, b_shape)
    return _dtype_error(op, a, b, exc)


def _dtype_error(op: str, a: torch.Tensor, b, exc: Exception) -> Exception:
    """torch's dtype refusals under the numpy backend's messages (``exc`` itself otherwise)."""
    if op in ("sub", "sub_", "rsub"):
        b_bool = b.dtype is torch.bool if isinstance(b, torch.Tensor) else isinstance(b, bool)
        if a.dtype is torch.bool or b_bool:
            names = [
                from_torch_dtype(a.dtype),
                from_torch_dtype(b.dtype) if isinstance(b, torch.Tensor) else b,
            ]
            if op == "rsub":  # the number came first
                names.reverse()
            return bool_sub_error(op.removeprefix("r"), *names)
    elif op == "pow" and not isinstance(b, torch.Tensor) and "negative integer powers" in str(exc):
        return negative_power_error(from_torch_dtype(a.dtype), b)
    return exc


def _unary_error(op: str, t: torch.Tensor, exc: Exception) -> Exception:
    """torch has no bool kernel for floor/ceil/round/relu/neg: the numpy backend's message."""
    if t.dtype is torch.bool:
        return bool_unary_error(op)
    return exc
