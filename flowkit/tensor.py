"""``flowkit.Tensor``: the one public tensor type, and the contract every backend's tensor meets.

[`Tensor`][flowkit.Tensor] declares every public tensor method, with its signature and
documentation. The declarations are grouped by op family in `flowkit.ops` (arithmetic, comparison,
reduction, shape, indexing, in-place, linear algebra, autograd), whose mixins
[`Tensor`][flowkit.Tensor] combines; this module adds the attributes and conversions. Each backend
subclasses [`Tensor`][flowkit.Tensor] and defines the declared methods over its own arrays: its
methods shadow the declarations, so a call costs one method lookup, and anything it leaves out
raises [`BackendNotImplementedError`][flowkit.errors.BackendNotImplementedError]. Everything that
can be written once in terms of the backend's methods (repr, ``size()``, ``tolist()``, ``T``,
``flatten``, the dtype conversions) is written here, so it reads and behaves the same on every
backend. ``isinstance(x, flowkit.Tensor)`` holds on every backend.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _format
from . import dtypes as _dt
from .errors import FlowkitError, ShapeError
from .ops._contract import DeviceLike, DTypeLike, FromOtherFamilies, Number, backend_method
from .ops.arithmetic import ArithmeticMethods
from .ops.autograd import AutogradMethods
from .ops.comparison import ComparisonMethods
from .ops.global_tensor import GlobalMethods
from .ops.indexing import IndexingMethods
from .ops.inplace import InplaceMethods
from .ops.linalg import LinalgMethods
from .ops.reduction import ReductionMethods
from .ops.shape import ShapeMethods

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
        """The number of elements a tensor of this shape has."""
        n = 1
        for s in self:
            n *= s
        return n


# numpy's binary ufuncs and the tensor operator that takes over when a numpy scalar or array is
# on the left (``np.float64(2) * x``): numpy would otherwise compute on arrays and return one
_REFLECTED = {
    np.add: "__radd__",
    np.subtract: "__rsub__",
    np.multiply: "__rmul__",
    np.true_divide: "__rtruediv__",
    np.power: "__rpow__",
    np.matmul: "__rmatmul__",
    np.remainder: "__rmod__",
    np.floor_divide: "__rfloordiv__",
    np.bitwise_and: "__rand__",
    np.bitwise_or: "__ror__",
    np.bitwise_xor: "__rxor__",
    np.equal: "__eq__",
    np.not_equal: "__ne__",
    np.less: "__gt__",
    np.less_equal: "__ge__",
    np.greater: "__lt__",
    np.greater_equal: "__le__",
}


class Tensor(
    ArithmeticMethods,
    ComparisonMethods,
    ReductionMethods,
    ShapeMethods,
    IndexingMethods,
    InplaceMethods,
    LinalgMethods,
    AutogradMethods,
    GlobalMethods,
    FromOtherFamilies,  # (mypy's view of one family from another: last, so it hides nothing)
):
    """A multi-dimensional array on a device, with optional gradient tracking.

    ``flowkit.tensor(data)`` is the usual way to make one (it infers the dtype); calling the class,
    ``flowkit.Tensor(2, 3)`` or ``flowkit.Tensor([1, 2])``, makes a float32 tensor as in PyTorch.
    The methods are declared by family in `flowkit.ops` and implemented by the selected
    backend.

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

    # ------------------------------------------------------------------ the backend's attributes
    @property
    @backend_method
    def dtype(self) -> _dt.dtype:
        """The element type: ``flowkit.float32``, ``flowkit.int64``, ...

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 2]).dtype, flow.tensor([1.0]).dtype
            (flowkit.int64, flowkit.float32)
        """

    @property
    @backend_method
    def device(self) -> device:
        """The device that holds the values (``cpu:0``, ``cuda:0``).

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(1, device="cpu").device
            device(type='cpu', index=0)
        """

    @backend_method
    def numpy(self) -> np.ndarray:
        """The values as a numpy array (shared memory on the CPU where possible; never tracked
        by autograd).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([[1, 2]]).numpy()
            array([[1, 2]])
        """

    @backend_method
    def item(self) -> Any:
        """The value of a one-element tensor as a Python number.

        Raises:
            ShapeError: the tensor has more than one element.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([[2.5]]).item()
            2.5
        """

    @backend_method
    def to(
        self, *args: Any, dtype: DTypeLike = None, device: DeviceLike = None, copy: bool = False
    ) -> Tensor:
        """The tensor converted to another dtype and/or moved to another device: ``to(dtype)``,
        ``to(device)``, ``to("cuda", flowkit.float16)``, ``to(other_tensor)``. Returns this very
        tensor when nothing changes (unless ``copy``). Gradients flow through a float cast.

        Raises:
            DeviceError: the backend cannot use that device.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([1.5, 2.5])
            >>> x.to(flow.int64), x.to("cpu") is x
            (tensor([1, 2], dtype=flowkit.int64), True)
        """

    @backend_method
    def clone(self) -> Tensor:
        """A copy with its own memory (recorded by autograd: gradients flow back).

        Examples:
            >>> import flowkit as flow
            >>> x = flow.zeros(2)
            >>> y = x.clone()
            >>> y += 1
            >>> x, y
            (tensor([0., 0.], dtype=flowkit.float32), tensor([1., 1.], dtype=flowkit.float32))
        """

    @backend_method
    def _grad_fn_name(self) -> str | None:
        """The name [`grad_fn`][flowkit.Tensor.grad_fn] prints (``"MatmulBackward"``, see
        `flowkit.ops.autograd.backward_name`), or ``None`` for a leaf. Part of the
        contract: the repr, written once here, asks the backend for it."""

    # ------------------------------------------------------------------ printing
    def __repr__(self) -> str:
        return _format.tensor_repr(
            self.numpy(), self.dtype, self.device, self._grad_fn_name(), self.requires_grad
        )

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        # a scalar tensor formats as its Python number: f"{loss}" prints 0.0015626397216692567
        if self.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec) if spec else repr(self)

    # ------------------------------------------------------------------ shape
    def size(self, dim: int | None = None) -> Any:
        """The shape as [`Size`][flowkit.Size], or one dimension's length.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.zeros(2, 3)
            >>> x.size(), x.size(-1)
            (flowkit.Size([2, 3]), 3)
        """
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
        """The number of dimensions.

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(2, 3).dim()
            2
        """
        return len(self.shape)

    @property
    def ndim(self) -> int:
        """The number of dimensions (as [`dim`][flowkit.Tensor.dim]).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor(1.0).ndim
            0
        """
        return len(self.shape)

    def numel(self) -> int:
        """The number of elements.

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(2, 3).numel()
            6
        """
        return self.shape.numel()

    def nelement(self) -> int:
        """Another name for [`numel`][flowkit.Tensor.numel].

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(4).nelement()
            4
        """
        return self.numel()

    def __len__(self) -> int:
        """The size of the first dimension.

        Examples:
            >>> import flowkit as flow
            >>> len(flow.zeros(3, 2))
            3
        """
        shape = self.shape
        if not shape:
            raise TypeError("len() of a 0-d tensor")
        return shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        """The sub-tensors along the first dimension.

        Examples:
            >>> import flowkit as flow
            >>> [row.tolist() for row in flow.tensor([[1, 2], [3, 4]])]
            [[1, 2], [3, 4]]
        """
        if not self.shape:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    # ------------------------------------------------------------------ conversion
    def tolist(self) -> Any:
        """The values as (nested) Python numbers.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([[1, 2], [3, 4]]).tolist()
            [[1, 2], [3, 4]]
        """
        return self.numpy().tolist()

    def __array__(self, dtype: Any = None, copy: builtins.bool | None = None) -> np.ndarray:
        """The values for numpy (``np.asarray(x)``).

        Examples:
            >>> import flowkit as flow, numpy as np
            >>> np.asarray(flow.tensor([1.0, 2.0]))
            array([1., 2.], dtype=float32)
        """
        a = self.numpy()
        return a.astype(dtype) if dtype is not None else a

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """numpy calls on tensors (``np.exp(x)``) compute on the values and return numpy
        arrays; a numpy number or array on the left of an operator (``np.float64(2) * x``)
        defers to the tensor's operator, so the result is a tensor.

        Examples:
            >>> import flowkit as flow, numpy as np
            >>> np.exp(flow.tensor([0.0])), np.float64(2) * flow.tensor([1.0])
            (array([1.], dtype=float32), tensor([2.], dtype=flowkit.float32))
        """
        if method == "__call__" and len(inputs) == 2 and not kwargs:
            a, b = inputs
            name = _REFLECTED.get(ufunc)
            if (
                name is not None
                and isinstance(b, Tensor)
                and isinstance(a, (np.generic, np.ndarray))
            ):
                if a.ndim == 0:  # numpy hands a comparison's scalar over as a 0-d array
                    a = a.item()
                return getattr(b, name)(a)
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = tuple(_values(o) for o in out)
        return getattr(ufunc, method)(*[_values(x) for x in inputs], **kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        """numpy functions on tensors (``np.concatenate([x, y])``) see them as arrays and
        return numpy arrays.

        Examples:
            >>> import flowkit as flow, numpy as np
            >>> np.concatenate([flow.tensor([1]), flow.tensor([2])])
            array([1, 2])
        """
        impl = getattr(func, "_implementation", None)
        if impl is not None:
            return impl(*args, **kwargs)
        return func(*_values(args), **{k: _values(v) for k, v in kwargs.items()})

    def __bool__(self) -> bool:
        """The truth of a one-element tensor (``if loss < 1e-3:``).

        Examples:
            >>> import flowkit as flow
            >>> bool(flow.tensor([0.5]) > 0)
            True
        """
        if self.numel() != 1:
            raise FlowkitError(
                f"the truth value of a tensor with {self.numel()} elements is ambiguous; "
                "use .any() or .all()"
            )
        return builtins.bool(self.item())

    def __float__(self) -> builtins.float:
        """``float(x)`` of a one-element tensor.

        Examples:
            >>> import flowkit as flow
            >>> float(flow.tensor([2]))
            2.0
        """
        return builtins.float(self._scalar("float()"))

    def __int__(self) -> builtins.int:
        """``int(x)`` of a one-element tensor (truncated toward zero).

        Examples:
            >>> import flowkit as flow
            >>> int(flow.tensor(2.7))
            2
        """
        return builtins.int(self._scalar("int()"))

    def __index__(self) -> builtins.int:
        """A one-element integer tensor used as an index (``range(n)``, ``lst[i]``).

        Examples:
            >>> import flowkit as flow
            >>> ["a", "b", "c"][flow.tensor(1)]
            'b'
        """
        if self.dtype.is_floating_point or self.dtype is _dt.bool:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return builtins.int(self._scalar("index"))

    def _scalar(self, what: str) -> Any:
        if self.numel() != 1:
            raise ShapeError(
                f"{what} needs a tensor with one element, got shape {tuple(self.shape)}; "
                "index one element first (t[0]) or use .tolist() for all the values"
            )
        return self.item()

    def is_floating_point(self) -> builtins.bool:
        """Whether the dtype is a floating-point one.

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(1).is_floating_point(), flow.tensor([1]).is_floating_point()
            (True, False)
        """
        return self.dtype.is_floating_point

    def element_size(self) -> builtins.int:
        """The size of one element in bytes.

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(1, dtype=flow.float64).element_size()
            8
        """
        return self.dtype.itemsize

    def float(self) -> Tensor:
        """The tensor as float32 (``to(flowkit.float32)``).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 2]).float()
            tensor([1., 2.], dtype=flowkit.float32)
        """
        return self.to(_dt.float32)

    def double(self) -> Tensor:
        """The tensor as float64.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 2]).double().dtype
            flowkit.float64
        """
        return self.to(_dt.float64)

    def half(self) -> Tensor:
        """The tensor as float16.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0]).half().dtype
            flowkit.float16
        """
        return self.to(_dt.float16)

    def long(self) -> Tensor:
        """The tensor as int64 (floats truncated toward zero).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.7, -1.7]).long()
            tensor([ 1, -1], dtype=flowkit.int64)
        """
        return self.to(_dt.int64)

    def int(self) -> Tensor:
        """The tensor as int32.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.7]).int()
            tensor([1], dtype=flowkit.int32)
        """
        return self.to(_dt.int32)

    def bool(self) -> Tensor:
        """The tensor as bool (non-zero is True).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([0, 2]).bool()
            tensor([False,  True], dtype=flowkit.bool)
        """
        return self.to(_dt.bool)

    def type_as(self, other: Tensor) -> Tensor:
        """The tensor converted to ``other``'s dtype.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 2]).type_as(flow.zeros(1))
            tensor([1., 2.], dtype=flowkit.float32)
        """
        return self.to(other.dtype)

    def type(self, dtype: DTypeLike = None) -> Any:  # noqa: A003 - PyTorch's name
        """Without an argument, the type name (``'flowkit.FloatTensor'``); with a dtype (or a
        name such as ``'flowkit.LongTensor'``), the tensor converted to it.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.zeros(1)
            >>> x.type(), x.type("flowkit.LongTensor").dtype
            ('flowkit.FloatTensor', flowkit.int64)
        """
        if dtype is None:
            return f"flowkit.{'cuda.' if self.is_cuda else ''}{_TYPE_NAMES[self.dtype]}"
        if isinstance(dtype, str):
            name = dtype.removeprefix("flowkit.").removeprefix("torch.").removeprefix("cuda.")
            for d, n in _TYPE_NAMES.items():
                if n == name:
                    return self.to(d)
        return self.to(_dt.to_dtype(dtype))

    # ------------------------------------------------------------------ new tensors like this one
    def new_tensor(
        self,
        data: Any,
        dtype: DTypeLike = None,
        device: DeviceLike = None,
        requires_grad: builtins.bool = False,
    ) -> Tensor:
        """A new tensor from ``data`` with this tensor's dtype and device (unless given).

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(1, dtype=flow.float64).new_tensor([1, 2])
            tensor([1., 2.], dtype=flowkit.float64)
        """
        from ._creation import tensor

        return tensor(
            data,
            self.dtype if dtype is None else dtype,
            self.device if device is None else device,
            requires_grad,
        )

    def new_full(
        self,
        size: Sequence[builtins.int],
        fill_value: Number,
        dtype: DTypeLike = None,
        device: DeviceLike = None,
        requires_grad: builtins.bool = False,
    ) -> Tensor:
        """``fill_value`` in a new tensor of ``size``, with this tensor's dtype and device.

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(1, dtype=flow.int64).new_full((2,), 7)
            tensor([7, 7], dtype=flowkit.int64)
        """
        from ._creation import full

        return full(
            size,
            fill_value,
            self.dtype if dtype is None else dtype,
            self.device if device is None else device,
            requires_grad,
        )

    def new_zeros(
        self,
        *size: Any,
        dtype: DTypeLike = None,
        device: DeviceLike = None,
        requires_grad: builtins.bool = False,
    ) -> Tensor:
        """Zeros of ``size``, with this tensor's dtype and device.

        Examples:
            >>> import flowkit as flow
            >>> flow.ones(1).new_zeros(2, 2).shape
            flowkit.Size([2, 2])
        """
        return self.new_full(_size_arg(size), 0, dtype, device, requires_grad)

    def new_ones(
        self,
        *size: Any,
        dtype: DTypeLike = None,
        device: DeviceLike = None,
        requires_grad: builtins.bool = False,
    ) -> Tensor:
        """Ones of ``size``, with this tensor's dtype and device.

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(1, dtype=flow.int32).new_ones(3)
            tensor([1, 1, 1], dtype=flowkit.int32)
        """
        return self.new_full(_size_arg(size), 1, dtype, device, requires_grad)

    def new_empty(
        self,
        *size: Any,
        dtype: DTypeLike = None,
        device: DeviceLike = None,
        requires_grad: builtins.bool = False,
    ) -> Tensor:
        """A new tensor of ``size`` (zero-filled here), with this tensor's dtype and device.

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(1).new_empty((2, 3)).shape
            flowkit.Size([2, 3])
        """
        return self.new_full(_size_arg(size), 0, dtype, device, requires_grad)

    # ------------------------------------------------------------------ nn ops as methods
    def softmax(self, dim: builtins.int, dtype: DTypeLike = None) -> Tensor:
        """``flowkit.nn.functional.softmax(self, dim)``.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([0.0, 0.0]).softmax(0)
            tensor([0.5000, 0.5000], dtype=flowkit.float32)
        """
        from .nn import functional

        return functional.softmax(self, dim, dtype=dtype)

    def log_softmax(self, dim: builtins.int, dtype: DTypeLike = None) -> Tensor:
        """``flowkit.nn.functional.log_softmax(self, dim)``.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([0.0, 0.0]).log_softmax(0)
            tensor([-0.6931, -0.6931], dtype=flowkit.float32)
        """
        from .nn import functional

        return functional.log_softmax(self, dim, dtype=dtype)

    # ------------------------------------------------------------------ devices
    def cpu(self) -> Tensor:
        """The tensor on the CPU (this very tensor if it is there already).

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(1).cpu().device
            device(type='cpu', index=0)
        """
        return self.to("cpu")

    def cuda(self, device: builtins.int | str | None = None) -> Tensor:
        """The tensor on a CUDA device (``cuda:0`` by default).

        Raises:
            DeviceError: the backend has no CUDA, or the machine no GPU.

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(1).cuda()  # doctest: +SKIP
            tensor([0.], device='cuda:0', dtype=flowkit.float32)
        """
        return self.to(
            "cuda" if device is None else device if isinstance(device, str) else f"cuda:{device}"
        )

    @property
    def is_cuda(self) -> builtins.bool:
        """Whether the tensor is on a CUDA device.

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(1).is_cuda
            False
        """
        return self.device.type == "cuda"


def item_error(shape) -> ShapeError:
    """``item()`` of a tensor with other than one element (every backend raises this)."""
    from .errors import shape_str

    return ShapeError(
        f"item() needs a tensor with one element, got shape {shape_str(shape)}; "
        "index one element first (t[0].item()) or use .tolist() for all the values"
    )


def is_tensor(obj: object) -> builtins.bool:
    """Whether ``obj`` is a flowkit tensor (on any backend).

    Examples:
        >>> import flowkit as flow
        >>> flow.is_tensor(flow.zeros(1)), flow.is_tensor([0.0])
        (True, False)
    """
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> builtins.int:
    """The number of elements of ``input``, as a Python int.

    Examples:
        >>> import flowkit as flow
        >>> flow.numel(flow.zeros(2, 3))
        6
    """
    return input.numel()


def _values(x: Any) -> Any:
    """Tensors (also inside lists and tuples) as numpy arrays, for numpy's own functions."""
    if isinstance(x, Tensor):
        return x.numpy()
    if isinstance(x, (list, tuple)):
        return type(x)(_values(i) for i in x)
    return x


_TYPE_NAMES = {
    _dt.float32: "FloatTensor",
    _dt.float64: "DoubleTensor",
    _dt.float16: "HalfTensor",
    _dt.int64: "LongTensor",
    _dt.int32: "IntTensor",
    _dt.int16: "ShortTensor",
    _dt.int8: "CharTensor",
    _dt.uint8: "ByteTensor",
    _dt.bool: "BoolTensor",
}


def _size_arg(size: tuple) -> tuple:
    """``new_zeros(2, 3)`` and ``new_zeros((2, 3))`` mean the same size."""
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
