"""``flowkit.Tensor``: the one public tensor type, and what every backend's tensor shares.

Each backend subclasses :class:`Tensor` and implements the data-dependent methods (arithmetic,
reductions, autograd) over its own arrays; everything that can be written once in terms of those
(repr, ``size()``, ``tolist()``, ``T``, conversions) lives here, so it reads and behaves the same
on every backend. ``isinstance(x, flowkit.Tensor)`` holds on every backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import _format
from . import dtypes as _dt
from .errors import FlowkitError, ShapeError

if TYPE_CHECKING:
    from .device import device


class Size(tuple):
    """The shape of a tensor: a tuple that prints as ``flowkit.Size([2, 3])``.

    Examples:
        >>> import flowkit as flow
        >>> s = flow.zeros(2, 3).shape
        >>> s, s[0], s.numel()
        (flowkit.Size([2, 3]), 2, 6)
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"flowkit.Size([{', '.join(str(s) for s in self)}])"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


class Tensor:
    """A multi-dimensional array on a device, with optional gradient tracking.

    ``flowkit.tensor(data)`` is the usual way to make one (it infers the dtype); calling the class,
    ``flowkit.Tensor(2, 3)`` or ``flowkit.Tensor([1, 2])``, makes a float32 tensor as in PyTorch.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        >>> y = (x * x).sum()
        >>> y.backward()
        >>> x.grad
        tensor([[2., 4.],
                [6., 8.]], dtype=flowkit.float32)
    """

    __slots__ = ()
    __hash__ = object.__hash__  # tensors hash by identity: == is elementwise
    __array_priority__ = 1000  # numpy scalars on the left defer to our reflected operators

    def __new__(cls, *args, **kwargs):
        if cls is Tensor:  # flowkit.Tensor(...) constructs through the selected backend
            from ._creation import _legacy_tensor

            return _legacy_tensor(*args, **kwargs)
        return object.__new__(cls)

    # ------------------------------------------------------------------ printing
    def __repr__(self) -> str:
        return _format.tensor_repr(self.numpy(), self.dtype, self.device, self._grad_fn_name(),
                                   self.requires_grad)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        # a scalar tensor formats as its Python number: f"{loss}" prints 0.0015626397216692567
        if self.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec) if spec else repr(self)

    def _grad_fn_name(self) -> str | None:
        raise NotImplementedError

    # ------------------------------------------------------------------ shape
    def size(self, dim: int | None = None):
        """The shape as :class:`Size`, or one dimension's length."""
        shape = self.shape
        if dim is None:
            return shape
        try:
            return shape[dim]
        except IndexError:
            raise IndexError(
                f"size(dim={dim}): dimension out of range for a {len(shape)}-d tensor"
            ) from None

    def dim(self) -> int:
        return len(self.shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def numel(self) -> int:
        return self.shape.numel()

    nelement = numel

    def __len__(self) -> int:
        shape = self.shape
        if not shape:
            raise TypeError("len() of a 0-d tensor")
        return shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    @property
    def T(self) -> Tensor:  # noqa: N802 - PyTorch's name
        """The transpose (dimensions reversed)."""
        nd = self.ndim
        if nd < 2:
            return self
        if nd == 2:
            return self.transpose(0, 1)
        return self.permute(*reversed(range(nd)))

    # shape-only ops: written once, over ``shape`` and the backend's ``reshape``
    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Dimensions ``start_dim`` .. ``end_dim`` merged into one.

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(2, 3, 4).flatten(1).shape
            flowkit.Size([2, 12])
        """
        from ._opchecks import normalize_dims

        shape = tuple(self.shape)
        if not shape:
            normalize_dims((start_dim, end_dim), 0)
            return self.reshape(1)
        s, e = normalize_dims((start_dim, end_dim), len(shape))
        if s > e:
            raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                             f"in a {len(shape)}-d tensor")
        n = 1
        for d in shape[s:e + 1]:
            n *= d
        return self.reshape(shape[:s] + (n,) + shape[e + 1:])

    def squeeze(self, dim=None) -> Tensor:
        """Size-1 dimensions removed (all of them, or those in ``dim``).

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(2, 1, 3).squeeze().shape
            flowkit.Size([2, 3])
        """
        from ._opchecks import normalize_dims

        shape = tuple(self.shape)
        if dim is None:
            new = tuple(s for s in shape if s != 1)
        else:
            ds = normalize_dims(dim, len(shape)) if shape else (normalize_dims(dim, 0) and ())
            new = tuple(s for i, s in enumerate(shape) if not (i in ds and s == 1))
        return self.reshape(new)

    def unsqueeze(self, dim: int) -> Tensor:
        """A new size-1 dimension at ``dim``.

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(2, 3).unsqueeze(1).shape
            flowkit.Size([2, 1, 3])
        """
        shape = tuple(self.shape)
        nd = len(shape)
        if not -nd - 1 <= dim <= nd:
            raise IndexError(f"unsqueeze: dimension {dim} is out of range for a {nd}-d tensor "
                             f"(a new dimension goes at {-nd - 1} .. {nd})")
        d = dim % (nd + 1)
        return self.reshape(shape[:d] + (1,) + shape[d:])

    def square(self) -> Tensor:
        """``self * self``, elementwise.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([2.0, 3.0]).square()
            tensor([4., 9.], dtype=flowkit.float32)
        """
        return self * self

    def view(self, *shape) -> Tensor:
        return self.reshape(*shape)

    # ------------------------------------------------------------------ conversion
    def tolist(self):
        """The values as (nested) Python numbers."""
        return self.numpy().tolist()

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a.astype(dtype) if dtype is not None else a

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise FlowkitError(
                f"the truth value of a tensor with {self.numel()} elements is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.item())

    def __float__(self) -> float:
        return float(self._scalar("float()"))

    def __int__(self) -> int:
        return int(self._scalar("int()"))

    def __index__(self) -> int:
        if self.dtype.is_floating_point or self.dtype is _dt.bool:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self._scalar("index"))

    def _scalar(self, what: str):
        if self.numel() != 1:
            raise ShapeError(
                f"{what} needs a tensor with one element, got shape {tuple(self.shape)}; "
                "index one element first (t[0]) or use .tolist() for all the values"
            )
        return self.item()

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def element_size(self) -> int:
        return self.dtype.itemsize

    def float(self) -> Tensor:
        return self.to(_dt.float32)

    def double(self) -> Tensor:
        return self.to(_dt.float64)

    def half(self) -> Tensor:
        return self.to(_dt.float16)

    def long(self) -> Tensor:
        return self.to(_dt.int64)

    def int(self) -> Tensor:
        return self.to(_dt.int32)

    def bool(self) -> Tensor:
        return self.to(_dt.bool)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def type(self, dtype=None):  # noqa: A003 - PyTorch's name
        """Without an argument, the type name (``'flowkit.FloatTensor'``); with a dtype (or a
        name such as ``'flowkit.LongTensor'``), the tensor converted to it."""
        if dtype is None:
            return f"flowkit.{'cuda.' if self.is_cuda else ''}{_TYPE_NAMES[self.dtype]}"
        if isinstance(dtype, str):
            name = dtype.removeprefix("flowkit.").removeprefix("torch.").removeprefix("cuda.")
            for d, n in _TYPE_NAMES.items():
                if n == name:
                    return self.to(d)
        return self.to(_dt.to_dtype(dtype))

    # ------------------------------------------------------------------ new tensors like this one
    def new_tensor(self, data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        """A new tensor from ``data`` with this tensor's dtype and device (unless given)."""
        from ._creation import tensor

        return tensor(data, self.dtype if dtype is None else dtype,
                      self.device if device is None else device, requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None,
                 requires_grad: bool = False) -> Tensor:
        """``fill_value`` in a new tensor of ``size``, with this tensor's dtype and device."""
        from ._creation import full

        return full(size, fill_value, self.dtype if dtype is None else dtype,
                    self.device if device is None else device, requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        return self.new_full(_size_arg(size), 0, dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        return self.new_full(_size_arg(size), 1, dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        return self.new_full(_size_arg(size), 0, dtype, device, requires_grad)

    # ------------------------------------------------------------------ nn ops as methods
    def softmax(self, dim: int, dtype=None) -> Tensor:
        """``flowkit.nn.functional.softmax(self, dim)``."""
        from .nn import functional

        return functional.softmax(self, dim, dtype=dtype)

    def log_softmax(self, dim: int, dtype=None) -> Tensor:
        """``flowkit.nn.functional.log_softmax(self, dim)``."""
        from .nn import functional

        return functional.log_softmax(self, dim, dtype=dtype)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self, device: int | str | None = None) -> Tensor:
        return self.to("cuda" if device is None else device if isinstance(device, str)
                       else f"cuda:{device}")

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    # ------------------------------------------------------------------ the backend's part
    # Declared here so the interface is in one place; each backend's subclass defines them.
    shape: Size
    dtype: _dt.dtype
    device: device
    requires_grad: bool
    grad: Tensor | None

    def numpy(self) -> np.ndarray:
        """The values as a numpy array (a view on CPU where possible; never tracked)."""
        raise NotImplementedError

    def item(self) -> Any:
        raise NotImplementedError


_TYPE_NAMES = {
    _dt.float32: "FloatTensor", _dt.float64: "DoubleTensor", _dt.float16: "HalfTensor",
    _dt.int64: "LongTensor", _dt.int32: "IntTensor", _dt.int16: "ShortTensor",
    _dt.int8: "CharTensor", _dt.uint8: "ByteTensor", _dt.bool: "BoolTensor",
}


def _size_arg(size: tuple) -> tuple:
    """``new_zeros(2, 3)`` and ``new_zeros((2, 3))`` mean the same size."""
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
