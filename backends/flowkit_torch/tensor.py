"""``TorchTensor``: flowkit's Tensor over a ``torch.Tensor``, differentiated by torch's autograd.

Hot-path rules (every op runs them): one torch call per op, then ``_wrap``, which makes the
wrapper with ``object.__new__`` and sets two slots (no ``__init__``). flowkit adds no checks on
the success path: torch's ``RuntimeError``s are translated into flowkit's errors, with the numpy
backend's exact messages, inside ``except`` blocks only. PyTorch's type promotion is flowkit's
(``flowkit.dtypes.result_type`` copies it), so results need no casts.

``_op`` records the flowkit op that made a tensor: the repr prints ``grad_fn=<MatmulBackward>``
from it, the same name the numpy backend prints, where torch would say ``MmBackward0``.
"""

from __future__ import annotations

import numbers
import warnings
import weakref

import numpy as np
import torch

from flowkit import _opchecks as _chk
from flowkit import dtypes as _dt
from flowkit import return_types as _rt
from flowkit.device import as_device
from flowkit.device import device as _Device
from flowkit.errors import AutogradError, DeviceError, DTypeError, ShapeError, shape_str
from flowkit.tensor import Size, Tensor

CPU = _Device("cpu")
_TORCH_CPU = torch.device("cpu")


def backward_name(op: str) -> str:
    """``"mse_loss"`` -> ``"MseLossBackward"``: the grad_fn name every backend prints."""
    return "".join(p[:1].upper() + p[1:] for p in op.split("_")) + "Backward"


# ---------------------------------------------------------------------------------- dtypes
_TO_TORCH = {
    _dt.bool: torch.bool, _dt.uint8: torch.uint8, _dt.int8: torch.int8, _dt.int16: torch.int16,
    _dt.int32: torch.int32, _dt.int64: torch.int64, _dt.float16: torch.float16,
    _dt.float32: torch.float32, _dt.float64: torch.float64,
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


# ---------------------------------------------------------------------------------- devices
_FK_DEVICES: dict = {}  # torch.device -> flowkit.device, filled as devices are seen
_TORCH_DEVICES: dict = {}  # flowkit.device -> validated torch.device


def fk_device(td: torch.device) -> _Device:
    d = _FK_DEVICES.get(td)
    if d is None:
        if td.type not in ("cpu", "cuda"):
            raise DeviceError(f"the tensor is on torch device {td!s}, which flowkit does not "
                              "carry; move it with .to('cpu')")
        d = _FK_DEVICES[td] = _Device(td.type, td.index)
    return d


def cuda_problem(index: int) -> str | None:
    """Why ``cuda:index`` cannot be used here (naming torch's version and what it reports), or
    ``None`` when it can."""
    if not torch.cuda.is_available():
        return (f"torch {torch.__version__} reports torch.cuda.is_available() = False (a "
                "CPU-only torch build, no GPU, or no driver)")
    n = torch.cuda.device_count()
    if index >= n:
        return (f"torch {torch.__version__} sees {n} CUDA device(s) (torch.cuda.is_available() "
                f"= True), so cuda:{index} does not exist; use cuda:0 .. cuda:{n - 1}")
    return None


def torch_device(dev) -> torch.device:
    """The torch device for a flowkit device (or a string), checked once and cached."""
    d = as_device(dev)
    td = _TORCH_DEVICES.get(d)
    if td is None:
        if d.type == "cuda":
            why = cuda_problem(d.index)
            if why is not None:
                raise DeviceError(f"device {d} is not available: {why}. Use device='cpu' (or "
                                  "run on a machine with a CUDA GPU)")
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


# ---------------------------------------------------------------------------------- wrapping
_new = object.__new__


def _wrap(t: torch.Tensor, op: str | None = None) -> TorchTensor:
    """A flowkit tensor around ``t`` (the hot path: no ``__init__``, two slot writes)."""
    w = _new(TorchTensor)
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


def _remember_grad_wrapper(g: torch.Tensor, w: TorchTensor) -> None:
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
        return value if isinstance(value, (bool, int, float)) else float(value)
    if isinstance(value, np.ndarray):
        raise TypeError(
            f"{op}: a flowkit tensor and a numpy array cannot be mixed; wrap the array with "
            "flowkit.tensor(array) (or flowkit.from_numpy) first"
        )
    return None


def _device_error(op: str, a: torch.Tensor, b: torch.Tensor) -> DeviceError:
    da, db = _device_name(a), _device_name(b)
    return DeviceError(
        f"{op}: the tensors are on different devices, {da} and {db}; move one of them with "
        f".to(device), e.g. other.to('{da}')"
    )


def _broadcast_error(op: str, a_shape, b_shape) -> ShapeError:
    return ShapeError(
        f"{op}: shapes {shape_str(a_shape)} and {shape_str(b_shape)} cannot be broadcast "
        "together (trailing dimensions must be equal or 1); reshape one of them"
    )


def _binary_error(op: str, a: torch.Tensor, b, exc: Exception, out_shape=None) -> Exception:
    """The flowkit error for a failed elementwise op on ``a`` and ``b`` (a tensor or a number).

    ``out_shape``: for in-place ops, the shape the result must keep. Returns ``exc`` itself when
    the failure is neither a device nor a shape mismatch."""
    if isinstance(b, torch.Tensor):
        if a.device != b.device:
            return _device_error(op, a, b)
        b_shape = b.shape
    else:
        b_shape = ()
    try:
        shape = torch.broadcast_shapes(a.shape, b_shape)
    except RuntimeError:
        return _broadcast_error(op, a.shape, b_shape)
    if out_shape is not None and shape != out_shape:
        return _broadcast_error(op, a.shape, b_shape)
    return _dtype_error(op, a, b, exc)


def _dtype_error(op: str, a: torch.Tensor, b, exc: Exception) -> Exception:
    """torch's dtype refusals under the numpy backend's messages (``exc`` itself otherwise)."""
    if op in ("sub", "sub_", "rsub"):
        b_bool = b.dtype is torch.bool if isinstance(b, torch.Tensor) else isinstance(b, bool)
        if a.dtype is torch.bool or b_bool:
            names = [from_torch_dtype(a.dtype),
                     from_torch_dtype(b.dtype) if isinstance(b, torch.Tensor) else b]
            if op == "rsub":  # the number came first
                names.reverse()
            return _chk.bool_sub_error(op.removeprefix("r"), *names)
    elif op == "pow" and not isinstance(b, torch.Tensor) and "negative integer powers" in str(exc):
        return _chk.negative_power_error(from_torch_dtype(a.dtype), b)
    return exc


def _unary_error(op: str, t: torch.Tensor, exc: Exception) -> Exception:
    """torch has no bool kernel for floor/ceil/round/relu/neg: the numpy backend's message."""
    if t.dtype is torch.bool:
        return _chk.bool_unary_error(op)
    return exc


def _leaf_error(op: str) -> AutogradError:
    return AutogradError(
        f"{op}: a leaf tensor that requires grad cannot be changed in place, because its "
        "gradient would be wrong. Wrap the update in `with flowkit.no_grad():`"
    )


def _binary(name: str, fn):
    """The method for a broadcasting binary op ``fn(tensor, tensor_or_number)``."""

    def method(self, other):
        if isinstance(other, TorchTensor):
            o = other._t
        else:
            o = _scalar(other, name)
            if o is None:
                return NotImplemented
        try:
            out = fn(self._t, o)
        except RuntimeError as exc:
            raise _binary_error(name, self._t, o, exc) from None
        return _wrap(out, name)

    method.__name__ = name
    return method


def _reflected(name: str, fn):
    """``2 - x``: ``fn(number, tensor)``, recorded as ``name`` (``rsub``, ``rpow``...)."""

    def method(self, other):
        o = _scalar(other, name)
        if o is None:
            return NotImplemented
        try:
            return _wrap(fn(o, self._t), name)
        except RuntimeError as exc:
            raise _dtype_error(name, self._t, o, exc) from None

    method.__name__ = "__" + name + "__"
    return method


def _unary(name: str, fn):
    def method(self):
        try:
            return _wrap(fn(self._t), name)
        except RuntimeError as exc:  # (NotImplementedError too: "floor_vml_cpu" for bool)
            raise _unary_error(name, self._t, exc) from None

    method.__name__ = name
    return method


# comparisons take their operands (and translate their errors) as the arithmetic ops do
_compare = _binary


_named = _chk.named_operator


_dims = _chk.normalize_dims
_rdims = _chk.reduction_dims


def _index(key):
    """Tensors inside an index become torch tensors (ints, bool masks); a list is one index
    array, as in numpy (torch would read a list of lists as a tuple)."""
    if isinstance(key, TorchTensor):
        return key._t
    if isinstance(key, tuple):
        return tuple(k._t if isinstance(k, TorchTensor) else k for k in key)
    if isinstance(key, list):
        return torch.as_tensor(np.asarray(key))
    return key


def _key_widths(items, ndim: int):
    """How many input dimensions each index item consumes (Ellipsis: the rest)."""
    widths = []
    for k in items:
        if k is None:
            widths.append(0)
        elif k is Ellipsis:
            widths.append(None)
        elif isinstance(k, torch.Tensor) and k.dtype is torch.bool:
            widths.append(k.dim())
        elif isinstance(k, (np.ndarray, list)) and np.asarray(k).dtype == np.bool_:
            widths.append(np.asarray(k).ndim)
        else:
            widths.append(1)
    used = sum(w for w in widths if w is not None)
    return [ndim - used if w is None else w for w in widths]


def _positive_slice(k: slice, n: int) -> slice:
    """For a negative-step slice over ``n`` elements: the positive-step slice that picks the
    same elements from the *flipped* dimension, in the same order."""
    r = range(n)[k]
    if not len(r):
        return slice(0, 0)
    return slice(n - 1 - r[0], n - r[-1], -k.step)


def _has_negative_step(key) -> bool:
    items = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, slice) and k.step is not None and k.step < 0 for k in items)


def _negative_step_getitem(t: torch.Tensor, key) -> torch.Tensor:
    """``t[key]`` for a key with negative slice steps, which torch refuses: flip the dimensions
    those slices index, then slice them forwards (the numpy backend's result, in any key)."""
    items = list(key) if isinstance(key, tuple) else [key]
    flips, d = [], 0
    for i, (k, w) in enumerate(zip(items, _key_widths(items, t.dim()))):
        if isinstance(k, slice) and k.step is not None and k.step < 0:
            items[i] = _positive_slice(k, t.shape[d])
            flips.append(d)
        d += w
    return t.flip(flips)[tuple(items)]


def _negative_step_key(t: torch.Tensor, key):
    """For assignment: (key with forward slices, output dims to flip the value along); only
    keys of ints, slices, None and ... (with tensors in the key torch has no view to write)."""
    items = list(key) if isinstance(key, tuple) else [key]
    flips, d, o = [], 0, 0
    for i, (k, w) in enumerate(zip(items, _key_widths(items, t.dim()))):
        if isinstance(k, slice):
            if k.step is not None and k.step < 0:
                r = range(t.shape[d])[k]
                items[i] = slice(r[-1], r[0] + 1, -k.step) if len(r) else slice(0, 0)
                flips.append(o)
            o += 1
        elif k is None or k is Ellipsis:
            o += 1 if k is None else w
        elif not isinstance(k, (int, np.integer)):
            raise IndexError("assignment through a negative-step slice together with tensor or "
                             "list indices is not supported on the torch backend; flip the "
                             "value instead (value.flip(dim)) and use a forward slice")
        d += w
    return tuple(items), flips


def _result_dtype(op: str, t: torch.Tensor, o) -> torch.dtype:
    r = torch.result_type(t, o)
    if op == "div_" and not r.is_floating_point:
        r = torch.get_default_dtype()  # true division of integers gives a float
    return r


def _operand_np_dtype(other) -> str:
    """What the numpy backend names as the dtype of an operand in its in-place error."""
    if isinstance(other, TorchTensor):
        return other.dtype.name
    return str(np.asarray(other).dtype)


def _as_tensor(o, t: torch.Tensor):
    """A number as a 0-d tensor on ``t``'s device (0-d tensors promote like numbers do)."""
    return o if isinstance(o, torch.Tensor) else torch.tensor(o, device=t.device)


def _weak_tensor(o, t: torch.Tensor):
    """A number as a tensor that does not widen ``t``'s dtype (PyTorch's rule for numbers, which
    a 0-d int64 tensor would break against a 0-d ``t``)."""
    if isinstance(o, torch.Tensor) or t.dim():
        return _as_tensor(o, t)
    if isinstance(o, bool) or isinstance(o, int) and t.dtype is not torch.bool or isinstance(
            o, float) and t.is_floating_point():
        try:
            return torch.tensor(o, dtype=t.dtype, device=t.device)
        except RuntimeError:  # out of the dtype's range: as before
            pass
    return _as_tensor(o, t)


def _int_division(name: str, fn, t: torch.Tensor, o, reflected: bool = False):
    """``//`` and ``%`` with the numpy backend's rules: bool operands are an error, and an
    integer division by zero raises (on CUDA torch would give garbage)."""
    o_bool = o.dtype is torch.bool if isinstance(o, torch.Tensor) else isinstance(o, bool)
    if t.dtype is torch.bool and o_bool:
        raise DTypeError(f"{name}: not defined for bool tensors; convert with .int() or .float()")
    o_float = o.is_floating_point() if isinstance(o, torch.Tensor) else isinstance(o, float)
    if not (t.is_floating_point() or o_float):
        divisor = t if reflected else o
        if bool((divisor == 0).any()) if isinstance(divisor, torch.Tensor) else divisor == 0:
            raise ZeroDivisionError(f"{name}: integer division by zero")
    return fn(t, o)


def _bitwise(name: str, sym: str, fn):
    """``&``, ``|``, ``^`` for bool and integer tensors, with the numpy backend's errors."""

    def method(self, other):
        if isinstance(other, TorchTensor):
            o = other._t
            o_float = o.is_floating_point()
        else:
            o = _scalar(other, name)
            if o is None:
                return NotImplemented
            o_float = isinstance(o, float)
        t = self._t
        if t.is_floating_point() or o_float:
            od = (repr(other.dtype) if isinstance(other, TorchTensor)
                  else f"a Python {type(o).__name__}")
            raise DTypeError(
                f"{name} ({sym}) needs bool or integer operands, got {self.dtype!r} and {od}; "
                f"for truth values of other dtypes use logical_{name.removeprefix('bitwise_')}"
            )
        try:
            return _wrap(fn(t, o))
        except RuntimeError as exc:
            raise _binary_error(name, t, o, exc) from None

    method.__name__ = name
    return method


def _write_error(op: str, exc: Exception) -> Exception:
    if "single memory location" in str(exc):  # writing into an expanded tensor
        return _chk.expanded_write_error(op)
    return exc


class TorchTensor(Tensor):
    """A :class:`flowkit.Tensor` around one ``torch.Tensor`` (``_t``), made by ``_wrap``.

    Every method keeps the numpy backend's semantics, messages and dtype rules; autograd is
    torch's own, and ``_op`` only names the op for ``grad_fn``.
    """

    __slots__ = ("_t", "_op", "__weakref__")

    __hash__ = Tensor.__hash__  # restated: defining __eq__ below would otherwise unset it

    # ------------------------------------------------------------------ attributes
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

    @property
    def data(self) -> TorchTensor:
        return _wrap(self._t.data)

    @data.setter
    def data(self, value: TorchTensor) -> None:
        if not isinstance(value, TorchTensor):
            raise TypeError(f"data must be a flowkit tensor, got {type(value).__name__}")
        self._t.data = value._t  # torch swaps the storage, keeping this tensor's autograd identity

    @property
    def requires_grad(self) -> bool:
        return self._t.requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        value = bool(value)
        t = self._t
        if t.grad_fn is not None and not value:
            raise AutogradError(
                "requires_grad can only be switched off on a leaf tensor; use .detach() to get "
                "a tensor outside the graph"
            )
        if value and not t.is_floating_point():
            raise DTypeError(
                f"only floating-point tensors can require gradients, this one is "
                f"{self.dtype!r}; convert it first with .float()"
            )
        t.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> TorchTensor:
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self):
        t = self._t
        # torch warns when .grad of a non-leaf is read; the numpy backend answers None quietly
        if not (t.is_leaf or t.retains_grad):
            return None
        g = t.grad
        if g is None:
            return None
        ref = _grad_wrappers.get(id(g))
        if ref is not None:
            w = ref()
            if w is not None and w._t is g:
                return w
        w = _wrap(g)
        _remember_grad_wrapper(g, w)
        return w

    @grad.setter
    def grad(self, value) -> None:
        t = self._t
        if value is None:
            t.grad = None
            return
        if not isinstance(value, TorchTensor):
            raise TypeError(f"grad must be a flowkit tensor or None, got {type(value).__name__}")
        g = value._t
        if g.shape != t.shape:
            raise ShapeError(
                f"assigned grad has shape {shape_str(g.shape)}, but the tensor "
                f"has shape {shape_str(t.shape)}"
            )
        if g.dtype != t.dtype:
            g = g.to(t.dtype)  # torch refuses a grad of another dtype; the numpy backend casts
        try:
            t.grad = g
        except RuntimeError:
            if g.device != t.device:
                raise _device_error("grad assignment", t, g) from None
            raise
        if g is value._t:
            _remember_grad_wrapper(g, value)  # p.grad = v; p.grad is v, as on numpy

    @property
    def grad_fn(self):
        node = self._t.grad_fn
        if node is None:
            return None
        md = node.metadata  # kept on torch's node: the same GradFn for the same node
        ref = md.get("flowkit")
        gf = ref() if ref is not None else None
        if gf is None:
            gf = GradFn(node, self._grad_fn_name())
            md["flowkit"] = weakref.ref(gf)
        return gf

    @property
    def is_leaf(self) -> bool:
        return self._t.is_leaf

    def _grad_fn_name(self):
        node = self._t.grad_fn
        if node is None:
            return None
        op = self._op
        if op is None:  # made by torch outside flowkit's ops: torch's name without the suffix
            return node.name().rstrip("0123456789")
        return backward_name(op)

    # ------------------------------------------------------------------ conversion
    def numpy(self) -> np.ndarray:
        # force=True: detached, on the host; a view (no copy) for a CPU tensor
        return self._t.numpy(force=True)

    def item(self):
        try:
            return self._t.item()
        except RuntimeError:
            t = self._t
            if t.numel() != 1:
                raise ShapeError(
                    f"item() needs a tensor with one element, got shape {shape_str(t.shape)}; "
                    "index one element first (t[0].item()) or use .tolist() for all the values"
                ) from None
            raise

    def detach(self) -> TorchTensor:
        return _wrap(self._t.detach())

    def detach_(self) -> TorchTensor:
        # rebinding (rather than torch's detach_) also works for views, which torch refuses
        self._t = self._t.detach()
        self._op = None
        return self

    def clone(self) -> TorchTensor:
        return _wrap(self._t.clone(), "clone")

    def contiguous(self) -> TorchTensor:
        c = self._t.contiguous()
        # the numpy backend returns the tensor itself, so the copy keeps its grad_fn name
        return self if c is self._t else _wrap(c, self._op)

    def to(self, *args, dtype=None, device=None, copy: bool = False) -> TorchTensor:
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

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False) -> None:
        t = self._t
        if gradient is not None:
            g = gradient._t if isinstance(gradient, TorchTensor) else torch.as_tensor(
                np.asarray(gradient))
            if g.shape != t.shape:
                raise ShapeError(
                    f"backward(gradient): gradient has shape {shape_str(g.shape)}, the output "
                    f"has shape {shape_str(t.shape)}; they must match"
                )
            if g.dtype != t.dtype or g.device != t.device:
                g = g.to(t.device, t.dtype)  # the numpy backend casts the seed to the output's
            gradient = g
        try:
            if create_graph:
                with warnings.catch_warnings():  # torch warns of the grad <-> graph cycle
                    warnings.simplefilter("ignore", UserWarning)
                    torch.autograd.backward(t, gradient, retain_graph=retain_graph,
                                            create_graph=True)
            else:
                torch.autograd.backward(t, gradient, retain_graph=retain_graph)
        except RuntimeError as exc:
            raise _backward_error(t, gradient, exc) from None

    def retain_grad(self) -> None:
        t = self._t
        if t.grad_fn is None:
            if not t.requires_grad:
                raise AutogradError("retain_grad() on a tensor that does not require grad")
            return  # leaves keep their grad anyway
        t.retain_grad()

    # ------------------------------------------------------------------ arithmetic
    __add__ = add = _binary("add", torch.add)
    __sub__ = sub = _binary("sub", torch.sub)
    __mul__ = mul = _binary("mul", torch.mul)
    __pow__ = pow = _binary("pow", torch.pow)
    __radd__ = __add__
    __rmul__ = __mul__
    __rsub__ = _reflected("rsub", lambda s, t: torch.rsub(t, s))
    __rpow__ = _reflected("rpow", torch.pow)
    # torch.div is true division (ints give float32), as flowkit's `/` is
    __truediv__ = div = _binary("div", torch.div)
    __rtruediv__ = _reflected("rdiv", torch.div)

    def __matmul__(self, other):
        return _matmul(self, other)

    matmul = __matmul__

    def __rmatmul__(self, other):
        return NotImplemented

    __neg__ = neg = _unary("neg", torch.neg)
    exp = _unary("exp", torch.exp)
    log = _unary("log", torch.log)
    sqrt = _unary("sqrt", torch.sqrt)
    # torch has no abs for bool; numpy's (and so flowkit's) is the identity
    __abs__ = abs = _unary("abs", lambda t: t.clone() if t.dtype is torch.bool else torch.abs(t))
    sin = _unary("sin", torch.sin)
    cos = _unary("cos", torch.cos)
    tanh = _unary("tanh", torch.tanh)
    sigmoid = _unary("sigmoid", torch.sigmoid)
    relu = _unary("relu", torch.relu)

    __eq__ = eq = _compare("eq", torch.eq)
    __ne__ = ne = _compare("ne", torch.ne)
    __lt__ = lt = _compare("lt", torch.lt)
    __le__ = le = _compare("le", torch.le)
    __gt__ = gt = _compare("gt", torch.gt)
    __ge__ = ge = _compare("ge", torch.ge)

    # ------------------------------------------------------------------ more elementwise
    sign = _unary("sign", torch.sign)
    floor = _unary("floor", torch.floor)
    ceil = _unary("ceil", torch.ceil)

    def round(self, decimals: int = 0) -> TorchTensor:  # noqa: A003 - PyTorch's name
        t = self._t
        if decimals == 0:
            try:
                return _wrap(torch.round(t), "round")
            except RuntimeError as exc:
                raise _unary_error("round", t, exc) from None
        if not t.is_floating_point():
            raise DTypeError(f"round(decimals={decimals}) needs a floating-point tensor, this "
                             f"one is {self.dtype!r}; call .float() first")
        return _wrap(torch.round(t, decimals=decimals), "round")

    reciprocal = _unary("reciprocal", torch.reciprocal)
    rsqrt = _unary("rsqrt", torch.rsqrt)
    log1p = _unary("log1p", torch.log1p)
    expm1 = _unary("expm1", torch.expm1)
    log2 = _unary("log2", torch.log2)
    log10 = _unary("log10", torch.log10)

    maximum = _named("maximum", _binary(
        "maximum", lambda t, o: torch.maximum(t, _weak_tensor(o, t))))
    minimum = _named("minimum", _binary(
        "minimum", lambda t, o: torch.minimum(t, _weak_tensor(o, t))))
    __mod__ = _binary("remainder", lambda t, o: _int_division(
        "remainder", torch.remainder, t, o))
    remainder = _named("remainder", __mod__)
    __floordiv__ = _binary("floor_divide", lambda t, o: _int_division(
        "floor_divide", torch.floor_divide, t.detach(), o))
    floor_divide = _named("floor_divide", __floordiv__)

    def __rmod__(self, other):
        return self._reflected_plain("rremainder", torch.remainder, other)

    def __rfloordiv__(self, other):
        return self._reflected_plain("rfloor_divide", torch.floor_divide, other)

    def _reflected_plain(self, name: str, fn, other):
        o = _scalar(other, name)
        if o is None:
            return NotImplemented
        t = self._t.detach()  # no gradient for the divisor side, as on the numpy backend
        return _wrap(_int_division(name.removeprefix("r"), lambda a, b: fn(b, a), t, o,
                                   reflected=True))

    __and__ = __rand__ = _bitwise("bitwise_and", "&", torch.bitwise_and)
    __or__ = __ror__ = _bitwise("bitwise_or", "|", torch.bitwise_or)
    __xor__ = __rxor__ = _bitwise("bitwise_xor", "^", torch.bitwise_xor)
    bitwise_and = _named("bitwise_and", __and__)
    bitwise_or = _named("bitwise_or", __or__)
    bitwise_xor = _named("bitwise_xor", __xor__)

    def __invert__(self) -> TorchTensor:
        t = self._t
        if t.is_floating_point():
            raise DTypeError(f"bitwise_not (~) needs a bool or integer tensor, got "
                             f"{self.dtype!r}; use logical_not for truth values of other dtypes")
        return _wrap(torch.bitwise_not(t))

    bitwise_not = __invert__
    logical_and = _named("logical_and", _compare(
        "logical_and", lambda t, o: torch.logical_and(t, _as_tensor(o, t))))
    logical_or = _named("logical_or", _compare(
        "logical_or", lambda t, o: torch.logical_or(t, _as_tensor(o, t))))
    logical_xor = _named("logical_xor", _compare(
        "logical_xor", lambda t, o: torch.logical_xor(t, _as_tensor(o, t))))

    def logical_not(self) -> TorchTensor:
        return _wrap(torch.logical_not(self._t))

    def isnan(self) -> TorchTensor:
        return _wrap(torch.isnan(self._t))

    def isinf(self) -> TorchTensor:
        return _wrap(torch.isinf(self._t))

    def isfinite(self) -> TorchTensor:
        return _wrap(torch.isfinite(self._t))

    def clamp(self, min=None, max=None) -> TorchTensor:  # noqa: A002 - PyTorch's names
        return _wrap(_clamp(self._t, min, max), "clamp")

    clip = clamp

    def clamp_(self, min=None, max=None) -> TorchTensor:  # noqa: A002
        self._check_leaf("clamp_")
        return self._assign_result("clamp_", _clamp(self._t, min, max), "clamp")

    clip_ = clamp_

    def masked_fill(self, mask, value) -> TorchTensor:
        return _wrap(_masked_fill(self, mask, value), "masked_fill")

    def masked_fill_(self, mask, value) -> TorchTensor:
        self._check_leaf("masked_fill_")
        return self._assign_result("masked_fill_", _masked_fill(self, mask, value),
                                   "masked_fill")

    def where(self, condition, y) -> TorchTensor:
        """``condition ? self : y``, elementwise (``flowkit.where(condition, self, y)``)."""
        return where(condition, self, y)

    def _assign_result(self, op: str, r: torch.Tensor, name: str) -> TorchTensor:
        """End of an in-place op computed out of place, as on the numpy backend: the result
        written into this tensor or, inside a graph, this tensor moved onto the result."""
        t = self._t
        if r.shape != t.shape:
            raise ShapeError(f"{op}: the result has shape {shape_str(r.shape)} but this tensor "
                             f"has shape {shape_str(t.shape)}; an in-place op cannot change it")
        if r.dtype != t.dtype and not torch.can_cast(r.dtype, t.dtype):
            raise DTypeError(f"{op}: cannot write a {from_torch_dtype(r.dtype).name} result "
                             f"into this {self.dtype!r} tensor in place; convert one of them "
                             "with .to(dtype)")
        if r.requires_grad and torch.is_grad_enabled():
            if t._base is not None:  # rebinding would leave the view's base unchanged
                raise _chk.view_write_error(op)
            self._t, self._op = r.to(t.dtype), name
            return self
        try:
            with torch.no_grad():
                t.copy_(r)
        except RuntimeError as exc:
            raise _write_error(op, exc) from None
        return self

    # ------------------------------------------------------------------ in place
    def _inplace(self, op: str, fn, out_of_place, other):
        t = self._t
        if isinstance(other, TorchTensor):
            o = other._t
            o_rg = o.requires_grad
        else:
            o = _scalar(other, op)
            if o is None:
                o = other  # let torch name what it cannot take
            o_rg = False
        if (t.requires_grad or o_rg) and torch.is_grad_enabled():
            if t.requires_grad and t.is_leaf:
                raise _leaf_error(op)
            if t._base is not None:  # rebinding would leave the view's base unchanged
                raise _chk.view_write_error(op)
            # inside a graph: compute out of place and move this tensor onto the result, as the
            # numpy backend does, so values saved by earlier ops are never overwritten (torch
            # would fail the backward with a version-counter error instead)
            res = out_of_place(self, other)
            self._t, self._op = res._t, res._op
            return self
        try:
            fn(t, o)
        except RuntimeError as exc:
            raise _inplace_error(op, t, other, o, exc) from None
        return self

    def add_(self, other, alpha=None):
        if alpha is not None:
            other = other * alpha  # two roundings, as the numpy backend (torch's alpha fuses)
        return self._inplace("add_", torch.Tensor.add_, TorchTensor.__add__, other)

    def sub_(self, other, alpha=None):
        if alpha is not None:
            if _chk.is_bool_operand(other):  # (other * alpha would hide it)
                raise _chk.bool_sub_error("sub_", self, other)
            other = other * alpha
        return self._inplace("sub_", torch.Tensor.sub_, TorchTensor.__sub__, other)

    def mul_(self, other):
        return self._inplace("mul_", torch.Tensor.mul_, TorchTensor.__mul__, other)

    def div_(self, other):
        return self._inplace("div_", torch.Tensor.div_, TorchTensor.__truediv__, other)

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_

    def _check_leaf(self, op: str) -> None:
        t = self._t
        if t.requires_grad and t.is_leaf and torch.is_grad_enabled():
            raise _leaf_error(op)

    def zero_(self) -> TorchTensor:
        return self.fill_(0)

    def fill_(self, value) -> TorchTensor:
        self._check_leaf("fill_")
        with torch.no_grad():  # a plain write, as on numpy: the graph is not extended
            self._t.fill_(value)
        return self

    def copy_(self, src) -> TorchTensor:
        self._check_leaf("copy_")
        t = self._t
        s = src._t if isinstance(src, TorchTensor) else torch.as_tensor(np.asarray(src))
        try:
            with torch.no_grad():
                t.copy_(s)
        except RuntimeError:
            try:
                torch.broadcast_to(torch.empty(s.shape, device="meta"), t.shape)
            except RuntimeError:
                raise ShapeError(
                    f"copy_: source of shape {shape_str(s.shape)} does not fit into a tensor of "
                    f"shape {shape_str(t.shape)}"
                ) from None
            raise
        return self

    # ------------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim: bool = False, dtype=None) -> TorchTensor:
        t = self._t
        try:
            if dim is None:
                # keepdim without dim keeps every dimension as 1 (numpy's keepdims)
                out = t.sum(tuple(range(t.dim())), True) if keepdim and t.dim() else t.sum()
            else:
                out = t.sum(dim, keepdim)
        except (IndexError, RuntimeError):
            _rdims(dim, t.dim())  # raises the numpy backend's message
            raise
        if dtype is not None:
            out = out.to(to_torch_dtype(dtype))  # cast after summing, as the numpy backend does
        return _wrap(out, "sum")

    def mean(self, dim=None, keepdim: bool = False) -> TorchTensor:
        t = self._t
        try:
            if dim is None:
                out = t.mean(tuple(range(t.dim())), True) if keepdim and t.dim() else t.mean()
            else:
                out = t.mean(dim, keepdim)
        except (RuntimeError, IndexError):
            if not t.is_floating_point():
                raise DTypeError(
                    f"mean() needs a floating-point tensor, this one is {self.dtype!r}; call "
                    ".float() first"
                ) from None
            _rdims(dim, t.dim())
            raise
        return _wrap(out, "mean")

    def max(self, dim=None, keepdim: bool = False):  # noqa: A003 - PyTorch's name
        """The largest value (0-d), or ``(values, indices)`` along ``dim``; ``max(other)`` is
        ``maximum``."""
        return _minmax(self, dim, keepdim, "max", torch.max, _rt.max)

    def min(self, dim=None, keepdim: bool = False):  # noqa: A003
        return _minmax(self, dim, keepdim, "min", torch.min, _rt.min)

    def argmax(self, dim=None, keepdim: bool = False) -> TorchTensor:
        return _argminmax(self, dim, keepdim, "argmax", torch.argmax)

    def argmin(self, dim=None, keepdim: bool = False) -> TorchTensor:
        return _argminmax(self, dim, keepdim, "argmin", torch.argmin)

    def prod(self, dim=None, keepdim: bool = False, dtype=None) -> TorchTensor:
        t = self._t
        td = None if dtype is None else to_torch_dtype(dtype)
        if td is not None and t.requires_grad and not (td.is_floating_point or td.is_complex):
            t = t.detach()  # an integer product has no gradient (torch's autograd refuses it)
        if dim is None:
            out = t.prod(dtype=td)
            if keepdim:
                out = out.reshape((1,) * t.dim())
        else:
            out = t.prod(_chk.one_dim("prod", dim, t.dim()), keepdim, dtype=td)
        return _wrap(out, "prod")

    def var(self, dim=None, unbiased: bool = True, keepdim: bool = False, *,
            correction=None) -> TorchTensor:
        """Variance, with Bessel's correction unless ``unbiased=False`` (or ``correction=0``)."""
        return _var(self, "var", dim, unbiased, keepdim, correction)

    def std(self, dim=None, unbiased: bool = True, keepdim: bool = False, *,
            correction=None) -> TorchTensor:
        """Standard deviation, with Bessel's correction unless ``unbiased=False``."""
        return _var(self, "std", dim, unbiased, keepdim, correction)

    def norm(self, p="fro", dim=None, keepdim: bool = False) -> TorchTensor:
        """The vector ``p``-norm of all elements (or along ``dim``); ``p`` is 2 by default."""
        t = self._t
        if not t.is_floating_point():
            raise DTypeError(f"norm() needs a floating-point tensor, this one is "
                             f"{self.dtype!r}; call .float() first")
        pv = _norm_order(p)
        dims = (_rdims(dim, t.dim()) or None) if t.dim() else _dims(dim, 0) and None
        out = torch.linalg.vector_norm(t, pv, dims, keepdim)
        if dims is None and keepdim and out.dim() != t.dim():
            out = out.reshape((1,) * t.dim())
        return _wrap(out, "norm")

    def any(self, dim=None, keepdim: bool = False) -> TorchTensor:
        return _wrap(_any_all(self._t, torch.any, dim, keepdim))

    def all(self, dim=None, keepdim: bool = False) -> TorchTensor:
        return _wrap(_any_all(self._t, torch.all, dim, keepdim))

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape) -> TorchTensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        t = self._t
        try:
            out = t.reshape(shape)
        except RuntimeError:
            raise ShapeError(
                f"reshape: cannot view a tensor of shape {shape_str(t.shape)} ({t.numel()} "
                f"elements) as shape {tuple(shape)}"
            ) from None
        return _wrap(out, "reshape")

    def expand(self, *sizes) -> TorchTensor:
        """A view with size-1 dimensions repeated (no copy); -1 keeps a size, and new
        dimensions can be added in front. Writing into the result is an error."""
        t = self._t
        sizes = _chk.sizes_arg(sizes)
        try:
            out = t.expand(sizes)
        except RuntimeError:
            _chk.expand_shape(tuple(t.shape), sizes)  # raises the numpy backend's message
            raise
        return _wrap(out, "expand")

    def expand_as(self, other) -> TorchTensor:
        return self.expand(other.shape)

    def split(self, split_size_or_sections, dim: int = 0) -> tuple:
        """Views of consecutive pieces along ``dim``: of ``split_size`` each (the last may be
        smaller), or of the sizes in a list."""
        t = self._t
        d = _chk.one_dim("split", dim, t.dim())
        if t.dim() == 0:
            raise ShapeError("split: a 0-d tensor has no dimension to split")
        sizes = _chk.split_sizes(t.shape[d], split_size_or_sections, d)
        return tuple(_wrap(p, "split") for p in torch.split(t, sizes, d))

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        """``chunks`` pieces along ``dim`` (fewer when the size does not divide, as PyTorch)."""
        t = self._t
        d = _chk.one_dim("chunk", dim, t.dim())
        if t.dim() == 0:
            raise ShapeError("chunk: a 0-d tensor has no dimension to split")
        sizes = _chk.chunk_sizes(t.shape[d], chunks)
        return tuple(_wrap(p, "split") for p in torch.split(t, sizes, d))

    def flip(self, *dims) -> TorchTensor:
        """The values in reverse order along ``dims``."""
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        t = self._t
        ds = (_dims(dims, t.dim()) if t.dim() else _dims(dims, 0) and None) or ()
        return _wrap(t.flip(ds) if ds else t.clone(), "flip")

    def transpose(self, dim0: int, dim1: int) -> TorchTensor:
        t = self._t
        try:
            out = t.transpose(dim0, dim1)
        except IndexError:
            _dims((dim0, dim1), t.dim())
            raise
        return _wrap(out, "transpose")

    def permute(self, *dims) -> TorchTensor:
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        t = self._t
        try:
            out = t.permute(dims)
        except (RuntimeError, IndexError):
            nd = t.dim()
            norm = _dims(dims, nd)
            if sorted(norm) != list(range(nd)):
                raise ShapeError(
                    f"permute: {norm} is not a permutation of the {nd} dimensions"
                ) from None
            raise
        return _wrap(out, "permute")

    def __getitem__(self, key) -> TorchTensor:
        t = self._t
        try:
            out = t[_index(key)]
        except (IndexError, TypeError, ValueError, RuntimeError) as exc:
            if isinstance(exc, ValueError) and _has_negative_step(key):
                try:
                    return _wrap(_negative_step_getitem(t, _index(key)), "getitem")
                except (IndexError, TypeError, ValueError, RuntimeError):
                    pass
            raise _chk.index_error(key, t.shape) from None
        return _wrap(out, "getitem")

    def __setitem__(self, key, value) -> None:
        t = self._t
        try:
            idx = _index(key)
        except ValueError:
            raise _chk.index_error(key, t.shape) from None
        if isinstance(value, TorchTensor):
            v = value._t
            if v.dtype != t.dtype:
                v = v.to(t.dtype)  # torch's index_put wants one dtype; numpy casts on write
        elif isinstance(value, (np.ndarray, list, tuple)):
            v = torch.as_tensor(np.asarray(value), dtype=t.dtype, device=t.device)
        else:
            v = value
        v_rg = isinstance(v, torch.Tensor) and v.requires_grad
        if not ((t.requires_grad or v_rg) and torch.is_grad_enabled()):
            if 0 in t.stride() and t.numel() > 1 and any(
                    s == 0 and n > 1 for s, n in zip(t.stride(), t.shape)):
                # made by expand: elements share memory (the numpy backend's view is read-only)
                raise _chk.expanded_write_error("item assignment")
            with torch.no_grad():
                _assign(t, key, idx, v)
            return
        if t.requires_grad and t.is_leaf:
            raise _leaf_error("item assignment")
        if t._base is not None:  # rebinding would leave the view's base unchanged
            raise _chk.view_write_error("item assignment")
        # as on numpy: write into a copy, so values saved by earlier ops stay as they were
        t = t.clone()
        _assign(t, key, idx, v)
        self._t, self._op = t, "setitem"


def _assign(t: torch.Tensor, key, idx, v) -> None:
    """``t[idx] = v`` with the numpy backend's errors (and its negative-step slices)."""
    try:
        t[idx] = v
    except ValueError:
        if not _has_negative_step(idx):
            raise
        # torch has no negative steps: write forwards, with the value flipped to match
        idx, flips = _negative_step_key(t, idx)
        t[idx] = torch.broadcast_to(_as_tensor(v, t), t[idx].shape).flip(flips)
    except (IndexError, TypeError):
        try:
            t[idx]
        except (IndexError, TypeError, ValueError, RuntimeError):
            raise _chk.index_error(key, t.shape) from None
        raise
    except RuntimeError as exc:
        try:
            slot = t[idx].shape
        except (IndexError, TypeError, ValueError, RuntimeError):
            raise _chk.index_error(key, t.shape) from None
        if isinstance(v, torch.Tensor):
            if v.device != t.device:
                raise _device_error("item assignment", t, v) from None
            try:
                torch.broadcast_to(torch.empty(v.shape, device="meta"), slot)
            except RuntimeError:
                raise _chk.assign_error(tuple(v.shape), tuple(slot)) from None
        raise _write_error("item assignment", exc) from None


def _inplace_error(op: str, t: torch.Tensor, other, o, exc: Exception) -> Exception:
    if "single memory location" in str(exc):  # writing into an expanded tensor
        return _chk.expanded_write_error(op)
    e = _binary_error(op, t, o, exc, out_shape=t.shape)
    if e is not exc:
        return e
    try:
        r = _result_dtype(op, t, o)
    except (RuntimeError, TypeError):
        return exc
    if not torch.can_cast(r, t.dtype):
        dt = from_torch_dtype(t.dtype)
        return DTypeError(
            f"{op}: cannot write a {_operand_np_dtype(other)} result into this "
            f"{dt!r} tensor in place; convert one of them with .to(dtype)"
        )
    return exc


def _backward_error(t: torch.Tensor, gradient, exc: RuntimeError) -> Exception:
    """torch's backward failures under the numpy backend's messages."""
    if not t.requires_grad:
        return AutogradError(
            "backward() on a tensor that does not require grad and has no grad_fn: no input "
            "of the computation has requires_grad=True (or it ran under no_grad)"
        )
    if gradient is None and t.numel() != 1:
        return AutogradError(
            f"backward() without a gradient works only for scalar outputs, this one has "
            f"shape {shape_str(t.shape)}; call .sum() first or pass "
            "gradient=<tensor of the same shape>"
        )
    if "second time" in str(exc):
        return _chk.freed_graph_error()
    return exc


def _matmul(x: TorchTensor, y) -> TorchTensor:
    if not isinstance(y, TorchTensor):
        raise TypeError(f"matmul: expected a flowkit tensor as the second operand, "
                        f"got {type(y).__name__}")
    try:
        out = torch.matmul(x._t, y._t)
    except RuntimeError as exc:
        raise _matmul_error(x, y, exc) from None
    return _wrap(out, "matmul")


def _matmul_error(x: TorchTensor, y: TorchTensor, exc: Exception) -> Exception:
    a, b = x._t, y._t
    if a.dtype != b.dtype:
        return DTypeError(
            f"matmul: both operands must have the same dtype, got {x.dtype!r} and {y.dtype!r}; "
            f"convert one with .to({x.dtype!r})"
        )
    if a.dim() == 0 or b.dim() == 0:
        return ShapeError("matmul: both operands need at least one dimension, got a 0-d tensor; "
                          "use * to multiply by a scalar")
    if a.device != b.device:
        return _device_error("matmul", a, b)
    k_b = b.shape[0] if b.dim() == 1 else b.shape[-2]
    try:  # the batch dimensions must broadcast too
        torch.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        fits = a.shape[-1] == k_b
    except RuntimeError:
        fits = False
    if fits:
        return exc
    # the numpy backend's words, whichever dimension is at fault
    return ShapeError(
        f"matmul: shapes {shape_str(a.shape)} and {shape_str(b.shape)} do not fit: the last "
        f"dimension of the first ({a.shape[-1]}) must equal the "
        f"{'first' if b.dim() == 1 else 'second-to-last'} dimension of the second ({k_b})"
    )


# ---------------------------------------------------------------------------------- reductions
def _empty_reduction(op: str, t: torch.Tensor) -> ShapeError:
    return ShapeError(f"{op}() of an empty tensor (shape {shape_str(t.shape)}) has no value; "
                      "pass dim= to reduce a dimension of non-zero size")


def _empty_dim(op: str, dim, d: int, t: torch.Tensor) -> ShapeError:
    return ShapeError(f"{op}(dim={dim}): dimension {d} of shape {shape_str(t.shape)} is empty, "
                      "so it has no value")


def _minmax(x: TorchTensor, dim, keepdim: bool, op: str, fn, result):
    if isinstance(dim, TorchTensor):  # max(other): the elementwise maximum, as in PyTorch
        return x.maximum(dim) if op == "max" else x.minimum(dim)
    t = x._t
    if dim is None:
        if t.numel() == 0:
            raise _empty_reduction(op, t)
        out = fn(t)
        return _wrap(out.reshape((1,) * t.dim()) if keepdim else out, op)
    d = _chk.one_dim(op, dim, t.dim())
    if t.dim() and t.shape[d] == 0:
        raise _empty_dim(op, dim, d, t)
    values, indices = fn(t, d, keepdim)
    return result(_wrap(values, op), _wrap(indices))


def _argminmax(x: TorchTensor, dim, keepdim: bool, op: str, fn) -> TorchTensor:
    t = x._t
    if t.dtype is torch.bool:
        t = t.to(torch.uint8)  # torch refuses bool; numpy (and so flowkit) orders False < True
    if dim is None:
        if t.numel() == 0:
            raise _empty_reduction(op, t)
        return _wrap(fn(t, None, keepdim))
    d = _chk.one_dim(op, dim, t.dim())
    if t.dim() and t.shape[d] == 0:
        raise _empty_dim(op, dim, d, t)
    return _wrap(fn(t, d, keepdim))


def _var(x: TorchTensor, op: str, dim, unbiased, keepdim: bool, correction) -> TorchTensor:
    if isinstance(dim, bool):  # x.var(False): PyTorch's positional `unbiased`
        dim, unbiased = None, dim
    t = x._t
    if not t.is_floating_point():
        raise DTypeError(f"{op}() needs a floating-point tensor, this one is {x.dtype!r}; call "
                         ".float() first")
    dims = (_rdims(dim, t.dim()) or None) if t.dim() else _dims(dim, 0) and None
    ddof = (1 if unbiased else 0) if correction is None else correction
    with warnings.catch_warnings():  # n <= correction: nan or inf, quietly as on numpy
        warnings.simplefilter("ignore")
        out = (torch.std if op == "std" else torch.var)(t, dims, correction=ddof,
                                                        keepdim=keepdim)
    return _wrap(out, op)


def _norm_order(p) -> float:
    if p == "fro" or p is None:
        return 2.0
    if isinstance(p, str) or isinstance(p, bool) or not isinstance(p, (int, float, np.number)):
        raise ValueError(f"norm: p must be a number, inf, -inf or 'fro', got {p!r} (matrix "
                         "norms such as 'nuc' are not supported)")
    return float(p)


def _any_all(t: torch.Tensor, fn, dim, keepdim: bool) -> torch.Tensor:
    if dim is None:
        r = fn(t)
        if keepdim:
            r = r.reshape((1,) * t.dim())
    else:
        dims = _rdims(dim, t.dim()) if t.dim() else _dims(dim, 0) and ()
        if dims:
            r = fn(t, dims, keepdim)
        else:  # dim=() (or a 0-d tensor): every dimension, as sum/mean do
            r = fn(t)
            if keepdim:
                r = r.reshape((1,) * t.dim())
    return r if r.dtype is torch.bool else r.bool()  # uint8 in gives uint8 in torch


# ---------------------------------------------------------------------------------- selection
def _operand(value, name: str):
    if isinstance(value, TorchTensor):
        return value._t
    o = _scalar(value, name)
    if o is None:
        raise TypeError(f"{name}: expected a flowkit tensor or a number, got "
                        f"{type(value).__name__}")
    return o


def where(condition, x, y) -> TorchTensor:
    """``x`` where ``condition`` is true, else ``y``; broadcasting, numbers allowed for x, y."""
    if not isinstance(condition, TorchTensor):
        raise TypeError(f"where: the condition must be a flowkit bool tensor, got "
                        f"{type(condition).__name__}")
    c = condition._t
    if c.dtype is not torch.bool:
        raise DTypeError(f"where: the condition must be a bool tensor, got {condition.dtype!r}; "
                         "make one with a comparison (x > 0) or .bool()")
    xo, yo = _operand(x, "where"), _operand(y, "where")
    try:
        out = torch.where(c, xo, yo)
    except RuntimeError as exc:
        shapes = [tuple(c.shape)] + [tuple(o.shape) if isinstance(o, torch.Tensor) else ()
                                     for o in (xo, yo)]
        try:
            torch.broadcast_shapes(*shapes)
        except RuntimeError:
            raise ShapeError(
                f"where: condition of shape {shape_str(shapes[0])}, input of shape "
                f"{shape_str(shapes[1])} and other of shape {shape_str(shapes[2])} cannot be "
                "broadcast together"
            ) from None
        for o in (xo, yo):
            if isinstance(o, torch.Tensor) and o.device != c.device:
                raise _device_error("where", c, o) from None
        raise exc
    return _wrap(out, "where")


def _clamp(t: torch.Tensor, lo, hi) -> torch.Tensor:
    if lo is None and hi is None:
        raise ValueError("clamp: at least one of min and max must be given")
    if t.dtype is torch.bool:
        raise DTypeError("clamp: not defined for bool tensors; convert with .int() or .float()")
    lo = None if lo is None else _operand(lo, "clamp")
    hi = None if hi is None else _operand(hi, "clamp")
    if isinstance(lo, torch.Tensor) or isinstance(hi, torch.Tensor):
        # torch takes two numbers or two tensors; a number next to a tensor becomes 0-d
        lo = None if lo is None else _as_tensor(lo, t)
        hi = None if hi is None else _as_tensor(hi, t)
    try:
        return torch.clamp(t, lo, hi)
    except RuntimeError as exc:
        shapes = [tuple(b.shape) if isinstance(b, torch.Tensor) else () for b in (lo, hi)]
        try:
            torch.broadcast_shapes(t.shape, *shapes)
        except RuntimeError:
            raise ShapeError(f"clamp: the bounds of shapes {shape_str(shapes[0])} and "
                             f"{shape_str(shapes[1])} cannot be broadcast with the input of "
                             f"shape {shape_str(t.shape)}") from None
        raise exc


def _masked_fill(x: TorchTensor, mask, value) -> torch.Tensor:
    if not isinstance(mask, TorchTensor) or mask._t.dtype is not torch.bool:
        got = repr(mask.dtype) if isinstance(mask, Tensor) else type(mask).__name__
        raise DTypeError(f"masked_fill: the mask must be a bool tensor, got {got}; make one "
                         "with a comparison (x > 0) or .bool()")
    t, m = x._t, mask._t
    if isinstance(value, TorchTensor):
        if value._t.dim():
            raise ShapeError(f"masked_fill: the value must be a number or a 0-d tensor, got "
                             f"shape {shape_str(value._t.shape)}")
        v = value._t.to(t.dtype)
    else:
        v = _operand(value, "masked_fill")
        if isinstance(v, float) and not t.is_floating_point():
            # the tensor keeps its dtype: the value casts as numpy's cast does (0.25 -> True)
            v = bool(v) if t.dtype is torch.bool else int(v)
    try:
        return t.masked_fill(m, v)
    except RuntimeError as exc:
        try:
            torch.broadcast_shapes(t.shape, m.shape)
        except RuntimeError:
            raise ShapeError(f"masked_fill: a mask of shape {shape_str(m.shape)} cannot be "
                             f"broadcast with the tensor of shape {shape_str(t.shape)}") from None
        if m.device != t.device:
            raise _device_error("masked_fill", t, m) from None
        raise exc


# ---------------------------------------------------------------------------------- joining
def _joined(op: str, tensors) -> list:
    ts = _chk.tensor_sequence(op, tensors)
    try:
        return [t._t for t in ts]
    except AttributeError:  # a tensor of another backend
        raise TypeError(f"{op}: every tensor must be a torch-backend flowkit tensor") from None


def _join_error(op: str, ts: list, dim, exc: Exception) -> Exception:
    shapes = [tuple(t.shape) for t in ts]
    err = _chk.cat_error(shapes, dim) if op == "cat" else _chk.stack_error(shapes, dim)
    if err is not None:
        return err
    for t in ts[1:]:
        if t.device != ts[0].device:
            return _device_error(op, ts[0], t)
    return exc


def cat(tensors, dim: int = 0) -> TorchTensor:
    """Join tensors along an existing dimension (``flowkit.cat``)."""
    ts = _joined("cat", tensors)
    try:
        out = torch.cat(ts, dim)
    except (RuntimeError, IndexError) as exc:
        raise _join_error("cat", ts, dim, exc) from None
    return _wrap(out, "cat")


def stack(tensors, dim: int = 0) -> TorchTensor:
    """Join tensors of one shape along a new dimension (``flowkit.stack``)."""
    ts = _joined("stack", tensors)
    try:
        out = torch.stack(ts, dim)
    except (RuntimeError, IndexError) as exc:
        raise _join_error("stack", ts, dim, exc) from None
    return _wrap(out, "stack")
