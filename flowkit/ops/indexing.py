"""Indexing and selection: ``t[key]``, ``t[key] = value``, ``where``, ``masked_fill``.

Keys follow numpy's (and PyTorch's) rules: ints, slices (negative steps too), ``...``, ``None``,
and integer or bool tensors and lists. An error names the part of the key at fault. (See
`flowkit.ops` for how a family module is laid out.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _plugins
from ..errors import ArgumentValueError, DTypeError, ShapeError, shape_str
from ._contract import FromOtherFamilies, Number, Operand, backend_method, need_tensor

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = [
    "gather",
    "index_add",
    "index_select",
    "masked_fill",
    "masked_select",
    "nonzero",
    "one_hot",
    "scatter",
    "scatter_add",
    "take",
    "where",
]


# ============================================================================ rules and errors
def _as_index_array(k):
    from ..tensor import Tensor

    if isinstance(k, Tensor):
        return k.numpy()
    if isinstance(k, (list, np.ndarray)):
        try:
            return np.asarray(k)
        except ValueError:
            return None
    return None


def index_error(key, shape) -> IndexError:
    """The error for ``t[key]`` on a tensor of ``shape``, naming the part of ``key`` at fault."""
    shape = tuple(shape)
    items = key if isinstance(key, tuple) else (key,)
    widths: list[int | None] = []
    for k in items:
        if k is None:
            widths.append(0)
        elif k is Ellipsis:
            widths.append(None)
        elif isinstance(k, slice) or isinstance(k, (int, np.integer)):
            widths.append(1)
        else:
            arr = _as_index_array(k)
            if arr is None or arr.dtype.kind not in "biu":
                what = (
                    f"a tensor or list of {arr.dtype}"
                    if arr is not None
                    else f"a {type(k).__name__}"
                )
                return IndexError(
                    f"index {key!r}: indices must be integers, slices (:), ellipsis (...), None, "
                    f"or integer or bool tensors (or lists), not {what}"
                )
            widths.append(arr.ndim if arr.dtype.kind == "b" else 1)
    used = sum(w for w in widths if w is not None)
    if used > len(shape):
        return IndexError(
            f"too many indices for a tensor of shape {shape_str(shape)}: "
            f"{used} dimensions indexed, the tensor has {len(shape)}"
        )
    d = 0
    for k, w in zip(items, widths):
        if w is None:
            d += len(shape) - used
            continue
        if isinstance(k, (int, np.integer)) and not isinstance(k, bool):
            n = shape[d]
            if not -n <= k < n:
                return IndexError(
                    f"index {int(k)} is out of range for dimension {d} of size "
                    f"{n} (shape {shape_str(shape)})"
                )
        elif w and not isinstance(k, slice):
            arr = _as_index_array(k)
            if arr.dtype.kind == "b":
                part = shape[d : d + arr.ndim]
                if arr.shape != part:
                    return IndexError(
                        f"a boolean mask of shape {shape_str(arr.shape)} does not match the "
                        f"shape {shape_str(part)} of the dimensions it indexes (from dimension "
                        f"{d} of a tensor of shape {shape_str(shape)})"
                    )
            elif arr.size:
                n = shape[d]
                bad = arr[(arr < -n) | (arr >= n)]
                if bad.size:
                    return IndexError(
                        f"index {int(bad.reshape(-1)[0])} is out of range for "
                        f"dimension {d} of size {n} (shape {shape_str(shape)})"
                    )
        d += w
    return IndexError(f"index {key!r} is not valid for a tensor of shape {shape_str(shape)}")


def assign_error(value_shape, slot_shape) -> ShapeError:
    """``t[key] = value`` where ``value`` does not broadcast to the indexed part."""
    return ShapeError(
        f"item assignment: a value of shape {shape_str(value_shape)} cannot be broadcast to the "
        f"indexed part of shape {shape_str(slot_shape)}"
    )


def where_condition_error(condition) -> Exception:
    """``where``'s condition is not a bool tensor."""
    from ..tensor import Tensor

    if not isinstance(condition, Tensor):
        return TypeError(
            f"where: the condition must be a flowkit bool tensor, got {type(condition).__name__}"
        )
    return DTypeError(
        f"where: the condition must be a bool tensor, got {condition.dtype!r}; "
        "make one with a comparison (x > 0) or .bool()"
    )


def where_shape_error(c_shape, x_shape, y_shape) -> ShapeError:
    return ShapeError(
        f"where: condition of shape {shape_str(c_shape)}, input of shape "
        f"{shape_str(x_shape)} and other of shape {shape_str(y_shape)} cannot be "
        "broadcast together"
    )


def mask_error(mask) -> DTypeError:
    """``masked_fill``'s mask is not a bool tensor."""
    from ..tensor import Tensor

    got = repr(mask.dtype) if isinstance(mask, Tensor) else type(mask).__name__
    return DTypeError(
        f"masked_fill: the mask must be a bool tensor, got {got}; make one "
        "with a comparison (x > 0) or .bool()"
    )


def mask_value_error(value_shape) -> ShapeError:
    return ShapeError(
        f"masked_fill: the value must be a number or a 0-d tensor, got "
        f"shape {shape_str(value_shape)}"
    )


def mask_shape_error(mask_shape, shape) -> ShapeError:
    return ShapeError(
        f"masked_fill: a mask of shape {shape_str(mask_shape)} cannot be "
        f"broadcast with the tensor of shape {shape_str(shape)}"
    )


def _int_index(op: str, index) -> np.ndarray:
    """``index`` (a flowkit integer tensor) as a numpy array, or the error naming it."""
    from ..tensor import Tensor

    if not isinstance(index, Tensor):
        raise TypeError(
            f"{op}: index must be a flowkit integer tensor, got {type(index).__name__}; make "
            "one with flowkit.tensor([...])"
        )
    a = index.numpy()
    if a.dtype.kind not in "iu":
        raise DTypeError(
            f"{op}: index must be an integer tensor (int64), got {index.dtype!r}; convert it "
            "with .long()"
        )
    return a


def _check_range(op: str, a: np.ndarray, n: int, d: int, negative: bool = False) -> None:
    if not a.size:
        return
    lo = -n if negative else 0
    bad = a[(a < lo) | (a >= n)]
    if bad.size:
        raise IndexError(
            f"{op}: index {int(bad.reshape(-1)[0])} is out of range for dimension {d} of size "
            f"{n} (indices from {lo} to {n - 1})"
        )


def scatter_check(op: str, shape, dim, index, src_shape=None) -> tuple[int, np.ndarray]:
    """The checks ``gather``, ``scatter`` and ``scatter_add`` share, as PyTorch's: an integer
    ``index`` with the tensor's number of dimensions, no larger than the tensor (than ``src``
    too) outside ``dim``, its values in range. Returns (``dim`` normalised, the index array).

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.ops.indexing import scatter_check
        >>> scatter_check("gather", (2, 3), -1, flow.tensor([[0, 2]]))[0]
        1
    """
    from .shape import one_dim

    shape = tuple(shape)
    a = _int_index(op, index)
    nd = len(shape)
    d = one_dim(op, dim, nd)
    if a.ndim != nd and not (a.ndim <= 1 and nd <= 1):
        raise ShapeError(
            f"{op}: index of shape {shape_str(a.shape)} must have as many dimensions as the "
            f"tensor of shape {shape_str(shape)}"
        )
    ishape = a.shape if nd else ()
    sshape = shape if nd else ()
    for i, (m, n) in enumerate(zip(ishape, sshape)):
        if i != d and m > n:
            raise ShapeError(
                f"{op}: index of shape {shape_str(a.shape)} is larger than the tensor of shape "
                f"{shape_str(shape)} in dimension {i}"
            )
    if src_shape is not None:
        src_shape = tuple(src_shape)
        if len(src_shape) != len(ishape) or any(m > n for m, n in zip(ishape, src_shape)):
            raise ShapeError(
                f"{op}: index of shape {shape_str(a.shape)} must be no larger than src of shape "
                f"{shape_str(src_shape)} in every dimension"
            )
    _check_range(op, a, shape[d] if nd else 1, d)
    return d, a


def scatter_key(index_shape, d: int, index) -> tuple:
    """The advanced-indexing key of ``gather``/``scatter`` along ``d``: ``index`` at ``d``,
    each other dimension its own position (aranges that broadcast to ``index_shape``); numpy
    arrays, or ``index`` itself where it is a tensor."""
    nd = len(index_shape)
    key = []
    for i in range(nd):
        if i == d:
            key.append(index)
        else:
            shp = [1] * nd
            shp[i] = index_shape[i]
            key.append(np.arange(index_shape[i]).reshape(shp))
    return tuple(key)


def _tensor_key(key, like) -> tuple:
    from .. import _creation
    from ..tensor import Tensor

    return tuple(
        k if isinstance(k, Tensor) else _creation.tensor(k, device=like.device) for k in key
    )


def _src_part(src, index_shape):
    """The part of ``src`` that ``index`` covers (scatter reads src[:index.shape])."""
    if tuple(src.shape) == tuple(index_shape):
        return src
    return src[tuple(slice(0, n) for n in index_shape)]


def _scattered(x, op: str, dim, index, src, value, reduce):
    """``scatter``'s result (out of place): ``src`` (or the number ``value``) written into a
    copy of ``x`` at ``index`` along ``dim``; ``reduce="add"`` adds instead."""
    from ..tensor import Tensor

    if (src is None) == (value is None):
        raise TypeError(f"{op}: give exactly one of src (a tensor or a number) and value")
    if value is not None:
        src = value
    if reduce not in (None, "add"):
        raise ArgumentValueError(
            f"{op}: reduce={reduce!r} is not supported; use reduce='add' (or scatter_add), or "
            "None to write"
        )
    if isinstance(src, Tensor):
        if src.dtype != x.dtype:
            raise DTypeError(
                f"{op}: src has dtype {src.dtype!r} but the tensor has {x.dtype!r}; convert src "
                "with .to(dtype)"
            )
        d, a = scatter_check(op, x.shape, dim, index, tuple(src.shape))
    else:
        d, a = scatter_check(op, x.shape, dim, index)
    if not x.shape:  # 0-d: one element, index 0
        flat = x.reshape(1)
        s1 = src.reshape(1) if isinstance(src, Tensor) else src
        i1 = index.reshape(-1)
        return _scattered(
            flat,
            op,
            0,
            i1,
            s1 if isinstance(src, Tensor) else None,
            None if isinstance(src, Tensor) else src,
            reduce,
        ).reshape(())
    if reduce == "add":
        if not isinstance(src, Tensor):
            from .. import _creation

            src = _creation.full(tuple(index.shape), src, dtype=x.dtype, device=x.device)
        return x.scatter_add(d, index, src)
    out = x.clone()
    key = _tensor_key(scatter_key(a.shape, d, index), x)
    out[key] = _src_part(src, a.shape) if isinstance(src, Tensor) else src
    return out


# ============================================================================ the methods
class IndexingMethods(FromOtherFamilies):
    """Indexing and selection methods of [`flowkit.Tensor`][flowkit.Tensor]."""

    __slots__ = ()

    @backend_method
    def __getitem__(self, key: Any) -> Tensor:
        """``self[key]``: basic indexing gives a view, integer and bool indices a copy.

        Raises:
            IndexError: the key does not fit the shape (the message names the part at fault).

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([[1, 2, 3], [4, 5, 6]])
            >>> x[1], x[:, ::-1][0]
            (tensor([4, 5, 6], dtype=flowkit.int64), tensor([3, 2, 1], dtype=flowkit.int64))
            >>> x[x > 4]
            tensor([5, 6], dtype=flowkit.int64)
        """

    @backend_method
    def __setitem__(self, key: Any, value: Tensor | Number) -> None:
        """``self[key] = value``: write ``value`` (broadcast) into the indexed part, in place.

        Raises:
            ShapeError: ``value`` does not broadcast to the indexed part.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.zeros(2, 3)
            >>> x[:, 1] = flow.tensor([5.0, 6.0])
            >>> x
            tensor([[0., 5., 0.],
                    [0., 6., 0.]], dtype=flowkit.float32)
        """

    def gather(self, dim: int, index: Tensor) -> Tensor:
        """The values at ``index`` along ``dim``: ``out[i][j] = self[index[i][j]][j]`` for
        ``dim=0`` (``index`` has this tensor's number of dimensions; the result its shape).

        Raises:
            ShapeError: ``index`` has another number of dimensions, or is larger than the
                tensor outside ``dim``.
            IndexError: an index is out of range.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([[1, 2], [3, 4]])
            >>> x.gather(1, flow.tensor([[0, 0], [1, 0]]))
            tensor([[1, 1],
                    [4, 3]], dtype=flowkit.int64)
        """
        d, a = scatter_check("gather", self.shape, dim, index)
        if not self.shape:
            return self.reshape(1)[index.reshape(-1)].reshape(tuple(index.shape))
        return self[_tensor_key(scatter_key(a.shape, d, index), self)]

    def scatter(
        self,
        dim: int,
        index: Tensor,
        src: Tensor | Number | None = None,
        *,
        value: Number | None = None,
        reduce: str | None = None,
    ) -> Tensor:
        """A copy with ``src`` written at ``index`` along ``dim`` (the inverse of
        [`gather`][flowkit.Tensor.gather]): ``out[index[i][j]][j] = src[i][j]`` for ``dim=0``.
        ``src`` may be a number (or pass ``value=``); ``reduce="add"`` adds instead of writing.
        Where ``index`` repeats a position, which write wins is unspecified, as in PyTorch.

        Raises:
            ShapeError: ``index`` does not fit the tensor or ``src``.
            DTypeError: ``src`` has another dtype.

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(2, 3).scatter(1, flow.tensor([[2], [0]]), flow.tensor([[5.0], [6.0]]))
            tensor([[0., 0., 5.],
                    [6., 0., 0.]], dtype=flowkit.float32)
        """
        return _scattered(self, "scatter", dim, index, src, value, reduce)

    @backend_method
    def scatter_add(self, dim: int, index: Tensor, src: Tensor) -> Tensor:
        """A copy with ``src`` added at ``index`` along ``dim`` (repeated positions add up):
        ``out[index[i][j]][j] += src[i][j]`` for ``dim=0``.

        Raises:
            ShapeError: ``index`` does not fit the tensor or ``src``.
            DTypeError: ``src`` has another dtype.

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(3).scatter_add(0, flow.tensor([0, 2, 0]), flow.tensor([1.0, 2.0, 3.0]))
            tensor([4., 0., 2.], dtype=flowkit.float32)
        """

    def index_select(self, dim: int, index: Tensor) -> Tensor:
        """The slices at the positions ``index`` (1-d) along ``dim`` (a copy).

        Raises:
            ShapeError: ``index`` is not 1-d.
            IndexError: an index is out of range.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([[1, 2], [3, 4], [5, 6]]).index_select(0, flow.tensor([2, 0]))
            tensor([[5, 6],
                    [1, 2]], dtype=flowkit.int64)
        """
        from .shape import one_dim

        a = _int_index("index_select", index)
        if a.ndim > 1:
            raise ShapeError(f"index_select: index must be 1-d, got shape {shape_str(a.shape)}")
        shape = tuple(self.shape)
        if not shape:
            one_dim("index_select", dim, 0)
            _check_range("index_select", a, 1, 0)
            return self.reshape(1)[index.reshape(-1)].reshape(() if a.ndim == 0 else (a.size,))
        d = one_dim("index_select", dim, len(shape))
        _check_range("index_select", a, shape[d], d)
        return self[(slice(None),) * d + (index.reshape(-1),)]

    def index_add(self, dim: int, index: Tensor, source: Tensor, *, alpha: Number = 1) -> Tensor:
        """A copy with ``alpha * source`` added at the positions ``index`` (1-d) along ``dim``
        (repeated positions add up).

        Raises:
            ShapeError: ``source`` does not match ``index`` along ``dim``, or the tensor
                elsewhere.

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(3, 2).index_add(0, flow.tensor([0, 2]), flow.ones(2, 2), alpha=2)
            tensor([[2., 2.],
                    [0., 0.],
                    [2., 2.]], dtype=flowkit.float32)
        """
        from .shape import one_dim

        a = _int_index("index_add", index)
        shape, sshape = tuple(self.shape), tuple(source.shape)
        nd = max(len(shape), 1)
        d = one_dim("index_add", dim, len(shape))
        full, sfull = shape or (1,), sshape or (1,)
        k = a.size
        if (
            a.ndim > 1
            or len(sfull) != nd
            or sfull[d] != k
            or any(m != n for i, (m, n) in enumerate(zip(sfull, full)) if i != d)
        ):
            raise ShapeError(
                f"index_add: source of shape {shape_str(sshape)} does not fit a tensor of shape "
                f"{shape_str(shape)} with an index of {k} positions along dimension {d}: it "
                f"needs the tensor's shape with size {k} at dimension {d}"
            )
        _check_range("index_add", a, full[d], d)
        if alpha != 1:
            source = source * alpha
        x = self.reshape(full)
        src = source.reshape(sfull)
        idx = index.reshape((1,) * d + (k,) + (1,) * (nd - d - 1)).expand(sfull)
        return x.scatter_add(d, idx, src).reshape(shape)

    def masked_select(self, mask: Tensor) -> Tensor:
        """The values where the bool ``mask`` (broadcast with the tensor) is true, as a 1-d
        tensor.

        Raises:
            DTypeError: ``mask`` is not a bool tensor.
            ShapeError: ``mask`` does not broadcast with the tensor.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([[1, 2], [3, 4]])
            >>> x.masked_select(x > 2)
            tensor([3, 4], dtype=flowkit.int64)
        """
        from .. import dtypes as _dt
        from ..tensor import Tensor

        if not isinstance(mask, Tensor) or mask.dtype != _dt.bool:
            got = repr(mask.dtype) if isinstance(mask, Tensor) else type(mask).__name__
            raise DTypeError(
                f"masked_select: the mask must be a bool tensor, got {got}; make one with a "
                "comparison (x > 0) or .bool()"
            )
        try:
            shape = np.broadcast_shapes(tuple(self.shape), tuple(mask.shape))
        except ValueError:
            raise ShapeError(
                f"masked_select: a mask of shape {shape_str(mask.shape)} cannot be broadcast "
                f"with the tensor of shape {shape_str(self.shape)}"
            ) from None
        return self.expand(shape)[mask.expand(shape)]

    def take(self, index: Tensor) -> Tensor:
        """The values at ``index`` of the flattened tensor (negative indices count from the
        end); the result has ``index``'s shape.

        Raises:
            IndexError: an index is out of range.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([[1, 2], [3, 4]]).take(flow.tensor([0, -1]))
            tensor([1, 4], dtype=flowkit.int64)
        """
        a = _int_index("take", index)
        n = self.numel()
        _check_range("take", a, n, 0, negative=True)
        return self.reshape(-1)[index]

    def nonzero(self, *, as_tuple: bool = False) -> Tensor | tuple[Tensor, ...]:
        """The indices of the non-zero elements: an int64 tensor of one row per element
        (``[count, ndim]``), or with ``as_tuple=True`` one 1-d tensor per dimension (the key
        ``x[x.nonzero(as_tuple=True)]`` takes).

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([[0, 1], [2, 0]])
            >>> x.nonzero()
            tensor([[0, 1],
                    [1, 0]], dtype=flowkit.int64)
            >>> x.nonzero(as_tuple=True)
            (tensor([0, 1], dtype=flowkit.int64), tensor([1, 0], dtype=flowkit.int64))
        """
        from .shape import _index_tensor

        a = self.detach().numpy()
        if as_tuple:
            return tuple(
                _index_tensor(i, self) for i in np.nonzero(a.reshape(-1) if not a.ndim else a)
            )
        return _index_tensor(np.argwhere(a), self)

    @backend_method
    def where(self, condition: Tensor, y: Operand) -> Tensor:
        """``self`` where ``condition`` is true, else ``y`` (``flowkit.where(condition, self,
        y)``).

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([-1.0, 2.0])
            >>> x.where(x > 0, 0.0)
            tensor([0., 2.], dtype=flowkit.float32)
        """

    @backend_method
    def masked_fill(self, mask: Tensor, value: Tensor | Number) -> Tensor:
        """``value`` where the bool ``mask`` is true, this tensor's values elsewhere.

        Raises:
            DTypeError: ``mask`` is not a bool tensor.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([1.0, -2.0, 3.0])
            >>> x.masked_fill(x < 0, 0.0)
            tensor([1., 0., 3.], dtype=flowkit.float32)
        """


# ============================================================================ function forms
def where(condition: Tensor, input: Operand, other: Operand) -> Tensor:
    """``input`` where ``condition`` is true, else ``other`` (broadcasting; numbers allowed).
    A condition that is not bool counts non-zero values as true, as OneFlow does (PyTorch
    refuses it).

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([-1.0, 2.0, -3.0])
        >>> flow.where(x > 0, x, 0.0)
        tensor([0., 2., 0.], dtype=flowkit.float32)
    """
    need_tensor("where", condition)
    return _plugins.get().where(condition, input, other)


def masked_fill(input: Tensor, mask: Tensor, value: Tensor | Number) -> Tensor:
    """``value`` where ``mask`` is true, ``input`` elsewhere.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([1.0, -2.0, 3.0])
        >>> flow.masked_fill(x, x < 0, 0.0)
        tensor([1., 0., 3.], dtype=flowkit.float32)
    """
    need_tensor("masked_fill", input)
    return input.masked_fill(mask, value)


def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The values of ``input`` at ``index`` along ``dim``.

    Examples:
        >>> import flowkit as flow
        >>> flow.gather(flow.tensor([10, 20, 30]), 0, flow.tensor([2, 2, 0]))
        tensor([30, 30, 10], dtype=flowkit.int64)
    """
    need_tensor("gather", input)
    return input.gather(dim, index)


def scatter(
    input: Tensor,
    dim: int,
    index: Tensor,
    src: Tensor | Number | None = None,
    *,
    value: Number | None = None,
    reduce: str | None = None,
) -> Tensor:
    """A copy of ``input`` with ``src`` (or ``value``) written at ``index`` along ``dim``.

    Examples:
        >>> import flowkit as flow
        >>> flow.scatter(flow.zeros(3), 0, flow.tensor([1]), 7.0)
        tensor([0., 7., 0.], dtype=flowkit.float32)
    """
    need_tensor("scatter", input)
    return input.scatter(dim, index, src, value=value, reduce=reduce)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim``.

    Examples:
        >>> import flowkit as flow
        >>> flow.scatter_add(flow.zeros(2), 0, flow.tensor([1, 1]), flow.tensor([1.0, 2.0]))
        tensor([0., 3.], dtype=flowkit.float32)
    """
    need_tensor("scatter_add", input)
    return input.scatter_add(dim, index, src)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of ``input`` at ``index`` along ``dim``.

    Examples:
        >>> import flowkit as flow
        >>> flow.index_select(flow.tensor([1, 2, 3]), 0, flow.tensor([2, 0]))
        tensor([3, 1], dtype=flowkit.int64)
    """
    need_tensor("index_select", input)
    return input.index_select(dim, index)


def index_add(
    input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Number = 1
) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` added at ``index`` along ``dim``.

    Examples:
        >>> import flowkit as flow
        >>> flow.index_add(flow.zeros(3), 0, flow.tensor([0, 0]), flow.tensor([1.0, 2.0]))
        tensor([3., 0., 0.], dtype=flowkit.float32)
    """
    need_tensor("index_add", input)
    return input.index_add(dim, index, source, alpha=alpha)


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The values of ``input`` where ``mask`` is true, as a 1-d tensor.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([1.0, -2.0, 3.0])
        >>> flow.masked_select(x, x > 0)
        tensor([1., 3.], dtype=flowkit.float32)
    """
    need_tensor("masked_select", input)
    return input.masked_select(mask)


def take(input: Tensor, index: Tensor) -> Tensor:
    """The values of the flattened ``input`` at ``index``.

    Examples:
        >>> import flowkit as flow
        >>> flow.take(flow.tensor([[1, 2], [3, 4]]), flow.tensor([[3, 0]]))
        tensor([[4, 1]], dtype=flowkit.int64)
    """
    need_tensor("take", input)
    return input.take(index)


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Tensor | tuple[Tensor, ...]:
    """The indices of the non-zero elements of ``input``.

    Examples:
        >>> import flowkit as flow
        >>> flow.nonzero(flow.tensor([0.0, 1.5, 2.0]))
        tensor([[1],
                [2]], dtype=flowkit.int64)
    """
    need_tensor("nonzero", input)
    return input.nonzero(as_tuple=as_tuple)


def one_hot(
    input: Tensor, num_classes: int = -1, on_value: Number = 1, off_value: Number = 0
) -> Tensor:
    """Each integer of ``input`` as a one-hot vector of ``num_classes`` (``-1``: the largest
    value + 1) along a new last dimension: int64, or float32 when ``on_value``/``off_value``
    is a float. ``on_value`` and ``off_value`` are OneFlow's (PyTorch has neither).

    Raises:
        DTypeError: ``input`` is not an integer tensor.
        ArgumentValueError: a value is negative or not below ``num_classes``.

    Examples:
        >>> import flowkit as flow
        >>> flow.one_hot(flow.tensor([0, 2]), num_classes=3)
        tensor([[1, 0, 0],
                [0, 0, 1]], dtype=flowkit.int64)
    """
    from .. import _creation

    need_tensor("one_hot", input)
    a = input.numpy()
    if a.dtype.kind not in "iu":
        raise DTypeError(
            f"one_hot: expects an integer tensor of class indices, got {input.dtype!r}; convert "
            "it with .long()"
        )
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"one_hot: num_classes must be an int, got {type(num_classes).__name__}")
    if a.size and a.min() < 0:
        raise ArgumentValueError(f"one_hot: class values must be >= 0, got {int(a.min())}")
    n = int(num_classes)
    if n == -1:
        if not a.size:
            raise ArgumentValueError(
                "one_hot: cannot infer num_classes from an empty tensor; pass num_classes"
            )
        n = int(a.max()) + 1
    elif n < 0 or a.size and a.max() >= n:
        raise ArgumentValueError(
            f"one_hot: class values must be smaller than num_classes={n}, got "
            f"{int(a.max()) if a.size else n}"
        )
    hit = input.unsqueeze(-1) == _creation.arange(n, device=input.device)
    if (
        on_value == 1
        and off_value == 0
        and not isinstance(on_value, float)
        and not isinstance(off_value, float)
    ):
        return hit.long()
    return where(hit, on_value, off_value)
