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
import weakref

import numpy as np
import torch

from flowkit import dtypes as _dt
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
        return _wrap(fn(o, self._t), name)

    method.__name__ = "__" + name + "__"
    return method


def _unary(name: str, fn):
    def method(self):
        return _wrap(fn(self._t), name)

    method.__name__ = name
    return method


def _compare(name: str, fn):
    def method(self, other):
        if isinstance(other, TorchTensor):
            o = other._t
        else:
            o = _scalar(other, name)
            if o is None:
                return NotImplemented
        try:
            return _wrap(fn(self._t, o), name)
        except RuntimeError as exc:
            raise _binary_error(name, self._t, o, exc) from None

    method.__name__ = name
    return method


def _dims(dim, ndim: int):
    """Normalised dims, with the numpy backend's error for one out of range."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"dimension {d} is out of range for a {ndim}-d tensor")
        out.append(d % max(ndim, 1))
    return tuple(out)


def _index(key):
    """Tensors inside an index become torch tensors (ints, bool masks)."""
    if isinstance(key, TorchTensor):
        return key._t
    if isinstance(key, tuple):
        return tuple(k._t if isinstance(k, TorchTensor) else k for k in key)
    return key


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
    def backward(self, gradient=None, retain_graph: bool = False) -> None:
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

    def square(self):
        return self * self

    __eq__ = eq = _compare("eq", torch.eq)
    __ne__ = ne = _compare("ne", torch.ne)
    __lt__ = lt = _compare("lt", torch.lt)
    __le__ = le = _compare("le", torch.le)
    __gt__ = gt = _compare("gt", torch.gt)
    __ge__ = ge = _compare("ge", torch.ge)

    def any(self) -> TorchTensor:
        r = self._t.any()
        return _wrap(r if r.dtype is torch.bool else r.bool())  # uint8 in gives uint8 in torch

    def all(self) -> TorchTensor:
        r = self._t.all()
        return _wrap(r if r.dtype is torch.bool else r.bool())

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
        except IndexError:
            _dims(dim, t.dim())  # raises the numpy backend's message
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
            _dims(dim, t.dim())
            raise
        return _wrap(out, "mean")

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

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> TorchTensor:
        shape = tuple(self._t.shape)
        if not shape:
            return self.reshape(1)
        s, e = start_dim % len(shape), end_dim % len(shape)
        n = 1
        for d in shape[s:e + 1]:
            n *= d
        return self.reshape(shape[:s] + (n,) + shape[e + 1:])

    def squeeze(self, dim=None) -> TorchTensor:
        shape = tuple(self._t.shape)
        if dim is None:
            new = tuple(s for s in shape if s != 1)
        else:
            d = _dims(dim, len(shape))[0]
            new = shape[:d] + shape[d + 1:] if shape and shape[d] == 1 else shape
        return self.reshape(new)

    def unsqueeze(self, dim: int) -> TorchTensor:
        shape = tuple(self._t.shape)
        d = dim % (len(shape) + 1)
        return self.reshape(shape[:d] + (1,) + shape[d:])

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
        try:
            out = self._t[_index(key)]
        except IndexError as exc:
            raise IndexError(
                f"index {key!r} is out of range for shape {tuple(self._t.shape)}: {exc}"
            ) from None
        return _wrap(out, "getitem")

    def __setitem__(self, key, value) -> None:
        idx = _index(key)
        t = self._t
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
            t[idx] = v
            return
        if t.requires_grad and t.is_leaf:
            raise _leaf_error("item assignment")
        # as on numpy: write into a copy, so values saved by earlier ops stay as they were
        t = t.clone()
        t[idx] = v
        self._t, self._op = t, "setitem"


def _inplace_error(op: str, t: torch.Tensor, other, o, exc: Exception) -> Exception:
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
        return AutogradError(
            "backward through the graph a second time: its saved values were freed after "
            "the first backward. Pass retain_graph=True to the first backward() if you "
            "need to call it again"
        )
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
