"""Shape ops: ``reshape``/``view``, ``expand``, ``flatten``, ``squeeze``/``unsqueeze``,
``transpose``/``permute``/``T``, ``split``/``chunk``, ``flip``, and joining (``cat``, ``stack``).

Also the dimension rules every family uses: `normalize_dims` and `one_dim` turn a
user's ``dim`` into non-negative dimensions or raise the error that names it. A 0-d tensor
accepts ``dim`` 0 and -1 (its one implicit dimension), as in PyTorch. (See `flowkit.ops`
for how a family module is laid out.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, overload

import numpy as np

from .. import _plugins
from ..errors import ArgumentTypeError, ShapeError, shape_str
from ._contract import FromOtherFamilies, backend_method, foreign_array_error, need_tensor

if TYPE_CHECKING:
    from ..tensor import Size, Tensor

__all__ = [
    "cat",
    "chunk",
    "concat",
    "concatenate",
    "diag",
    "flatten",
    "flip",
    "moveaxis",
    "movedim",
    "narrow",
    "permute",
    "repeat_interleave",
    "reshape",
    "roll",
    "select",
    "split",
    "squeeze",
    "stack",
    "swapaxes",
    "swapdims",
    "t",
    "tile",
    "transpose",
    "tril",
    "triu",
    "unbind",
    "unsqueeze",
]


# ============================================================================ dims
def dim_out_of_range(dim: int, ndim: int) -> IndexError:
    return IndexError(f"dimension {dim} is out of range for a {ndim}-d tensor")


def duplicate_dims_error(dims) -> ShapeError:
    return ShapeError(
        f"dims {tuple(dims)} name the same dimension more than once; list each dimension once"
    )


@overload
def normalize_dims(dim: None, ndim: int) -> None: ...
@overload
def normalize_dims(dim: int | Sequence[int], ndim: int) -> tuple[int, ...]: ...
def normalize_dims(dim, ndim):
    """``dim`` (an int, a sequence or None) as a tuple of non-negative dims; a clear error for one
    out of range. A 0-d tensor accepts dim 0 and -1, as in PyTorch.

    Examples:
        >>> from flowkit.ops.shape import normalize_dims
        >>> normalize_dims(-1, 3), normalize_dims((0, -2), 3), normalize_dims(None, 3)
        ((2,), (0, 1), None)
    """
    if dim is None:
        return None
    out = []
    n = max(ndim, 1)
    try:
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        for d in dims:
            if not -n <= d < n:
                raise dim_out_of_range(int(d), ndim)
            out.append(int(d) % n)
    except TypeError:  # a float, a string, None inside a tuple...
        raise ArgumentTypeError(
            f"dim must be an int or a tuple of ints, got {dim!r} ({type(dim).__name__})"
        ) from None
    return tuple(out)


def one_dim(op: str, dim, ndim: int) -> int:
    """A single dimension (not a tuple), normalised; 0-d tensors take 0 and -1."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise ArgumentTypeError(f"{op}(): dim must be a single int, got {type(dim).__name__}")
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise dim_out_of_range(int(dim), ndim)
    return int(dim) % n


def sizes_arg(sizes) -> tuple[int, ...]:
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` (and a Size) all mean the sizes (2, 3)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    return tuple(int(s) for s in sizes)


def dims_arg(dims) -> tuple:
    """``flip(0, 1)`` and ``flip((0, 1))`` (``permute`` too) mean the same dims."""
    return tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims


# ============================================================================ rules and errors
def reshape_error(shape, size: int, new_shape) -> Exception:
    """Why a tensor of ``shape`` (``size`` elements) cannot be reshaped to ``new_shape``, for a
    backend's failed reshape: sizes that are not integers, more than one -1, a negative size
    other than -1, or a count of elements that differs (or that a -1 cannot settle).

    Examples:
        >>> from flowkit.ops.shape import reshape_error
        >>> print(reshape_error((4,), 4, (-1, -1)))
        reshape: only one dimension can be -1 (inferred), got shape (-1, -1)
    """
    new_shape = tuple(new_shape)
    for s in new_shape:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            return ArgumentTypeError(
                f"reshape: sizes must be integers, got {s!r} ({type(s).__name__}) in {new_shape}"
            )
    if new_shape.count(-1) > 1:
        return ShapeError(
            f"reshape: only one dimension can be -1 (inferred), got shape {new_shape}"
        )
    if any(s < -1 for s in new_shape):
        return ShapeError(
            f"reshape: sizes must be >= 0, or -1 for the one inferred from the others; got "
            f"shape {new_shape}"
        )
    why = ""
    if -1 in new_shape and 0 in new_shape and size == 0:
        why = ": with a 0 in the shape, the -1 could be any size; give it explicitly"
    return ShapeError(
        f"reshape: cannot view a tensor of shape {shape_str(shape)} ({size} "
        f"elements) as shape {new_shape}{why}"
    )


def permute_error(dims, ndim: int) -> ShapeError:
    return ShapeError(f"permute: {dims} is not a permutation of the {ndim} dimensions")


def no_dim_to_split_error(op: str) -> ShapeError:
    return ShapeError(f"{op}: a 0-d tensor has no dimension to split")


def expand_shape(shape, sizes: tuple) -> tuple[int, ...]:
    """The shape ``expand(*sizes)`` gives a tensor of ``shape`` (-1 keeps a size)."""
    nd, ns = len(shape), len(sizes)
    if ns < nd:
        raise ShapeError(
            f"expand: a tensor of shape {shape_str(shape)} needs at least {nd} sizes, got "
            f"{ns} {tuple(sizes)}; new dimensions can only be added in front"
        )
    lead = ns - nd
    out = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise ShapeError(
                    f"expand: size {s} for the new leading dimension {i}; -1 (keep the size) "
                    "works only for dimensions the tensor already has"
                )
            out.append(s)
            continue
        cur = shape[i - lead]
        if s == -1 or s == cur:
            out.append(cur)
        elif cur == 1 and s >= 0:
            out.append(s)
        else:
            raise ShapeError(
                f"expand: cannot expand shape {shape_str(shape)} to {tuple(sizes)}: dimension "
                f"{i} has size {cur}, and only dimensions of size 1 can be expanded (to {s})"
            )
    return tuple(out)


def split_sizes(n: int, split_size_or_sections, dim: int) -> list[int]:
    """The piece sizes of ``split``: equal pieces of ``split_size`` (the last may be smaller), or
    the given sections, which must add up to ``n``."""
    s = split_size_or_sections
    if isinstance(s, (int, np.integer)) and not isinstance(s, bool):
        s = int(s)
        if n == 0 and s >= 0:
            return [0]
        if s <= 0:
            raise ShapeError(f"split: split_size must be a positive integer, got {s}")
        return [s] * (n // s) + ([n % s] if n % s else [])
    try:
        sections = [int(x) for x in s]
    except TypeError:
        raise TypeError(
            f"split: split_size_or_sections must be an int or a list of ints, got "
            f"{type(s).__name__}"
        ) from None
    if any(x < 0 for x in sections) or sum(sections) != n:
        raise ShapeError(
            f"split: sections {sections} add up to {sum(sections)}, but dimension {dim} has "
            f"size {n}; they must add up to it exactly"
        )
    return sections


def chunk_sizes(n: int, chunks) -> list[int]:
    """``chunk``'s piece sizes, as PyTorch: pieces of ceil(n / chunks), so there may be fewer."""
    if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)) or chunks <= 0:
        raise ShapeError(f"chunk: chunks must be a positive integer, got {chunks!r}")
    if n == 0:
        return [0] * int(chunks)
    return split_sizes(n, -(-n // int(chunks)), 0)


def tensor_sequence(op: str, tensors) -> list:
    """``tensors`` as a list of flowkit tensors, or the error naming what is wrong."""
    from ..tensor import Tensor

    if isinstance(tensors, Tensor) or not hasattr(tensors, "__iter__"):
        got = "one tensor" if isinstance(tensors, Tensor) else type(tensors).__name__
        raise ArgumentTypeError(
            f"{op}: expected a sequence (list or tuple) of flowkit tensors, got {got}; "
            f"pass a list: {op}([x, y])"
        )
    ts = list(tensors)
    if not ts:
        raise ValueError(f"{op}: expected a non-empty sequence of tensors")
    for i, t in enumerate(ts):
        if not isinstance(t, Tensor):
            raise foreign_array_error(op, t, f"element {i}") or ArgumentTypeError(
                f"{op}: element {i} is a {type(t).__name__}, not a flowkit tensor; "
                "make it one with flowkit.tensor(...)"
            )
    return ts


def cat_kept(shapes) -> list[int]:
    """Indices of the tensors ``cat`` joins: 1-d empty tensors are skipped, as in PyTorch (so
    ``cat([flowkit.tensor([]), x])`` works for any ``x``)."""
    kept = [i for i, s in enumerate(shapes) if tuple(s) != (0,)]
    return kept or list(range(len(shapes)))


def cat_error(shapes, dim) -> Exception | None:
    """Why ``cat`` cannot join tensors of these shapes along ``dim`` (None: nothing wrong)."""
    kept = cat_kept(shapes)
    for i in kept:
        if len(shapes[i]) == 0:
            return ShapeError(
                f"cat: tensor {i} is 0-d and cannot be concatenated; use "
                "flowkit.stack to join scalars, or reshape them to 1-d first"
            )
    i0 = kept[0]
    s0 = tuple(shapes[i0])
    nd = len(s0)
    if not -nd <= dim < nd:
        return dim_out_of_range(dim, nd)
    d = dim % nd
    for i in kept[1:]:
        s = tuple(shapes[i])
        if len(s) != nd:
            return ShapeError(
                f"cat: tensors must have the same number of dimensions, but tensor {i0} has "
                f"shape {shape_str(s0)} and tensor {i} has shape {shape_str(s)}"
            )
        if any(a != b for k, (a, b) in enumerate(zip(s, s0)) if k != d):
            return ShapeError(
                f"cat: tensor {i} has shape {shape_str(s)} but tensor {i0} has shape "
                f"{shape_str(s0)}; sizes must match in every dimension except the one joined "
                f"(dimension {d})"
            )
    return None


def stack_error(shapes, dim) -> Exception | None:
    """Why ``stack`` cannot join tensors of these shapes at ``dim`` (None: nothing wrong)."""
    s0 = tuple(shapes[0])
    for i, s in enumerate(shapes[1:], 1):
        if tuple(s) != s0:
            return ShapeError(
                f"stack: every tensor must have the same shape, but tensor 0 has shape "
                f"{shape_str(s0)} and tensor {i} has shape {shape_str(s)}"
            )
    nd = len(s0) + 1
    if not -nd <= dim < nd:
        return IndexError(
            f"stack: dimension {dim} is out of range: tensors of shape "
            f"{shape_str(s0)} stack at a dimension from {-nd} to {nd - 1}"
        )
    return None


def int_arg(op: str, name: str, v) -> int:
    """An int argument (a Python or numpy integer, or a one-element integer tensor)."""
    from ..tensor import Tensor

    if isinstance(v, Tensor) and v.numel() == 1 and v.dtype.is_floating_point is False:
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise ArgumentTypeError(f"{op}(): {name} must be an int, got {type(v).__name__}")
    return int(v)


def contiguous_strides(shape) -> tuple[int, ...]:
    """The element strides of a contiguous (row-major) tensor of ``shape``, as PyTorch gives
    them (a size-0 dimension counts as 1).

    Examples:
        >>> from flowkit.ops.shape import contiguous_strides
        >>> contiguous_strides((2, 3, 4)), contiguous_strides((2, 0)), contiguous_strides(())
        ((12, 4, 1), (1, 1), ())
    """
    out, acc = [], 1
    for n in reversed(tuple(shape)):
        out.append(acc)
        acc *= max(int(n), 1)
    return tuple(reversed(out))


def movedim_perm(source, destination, ndim: int) -> tuple[int, ...]:
    """The permutation ``movedim(source, destination)`` applies (PyTorch's rules).

    Examples:
        >>> from flowkit.ops.shape import movedim_perm
        >>> movedim_perm(0, -1, 3), movedim_perm((0, 1), (2, 0), 3)
        ((1, 2, 0), (1, 2, 0))
    """
    src = normalize_dims(source, ndim) if ndim else normalize_dims(source, 0) and ()
    dst = normalize_dims(destination, ndim) if ndim else normalize_dims(destination, 0) and ()
    if len(src) != len(dst):
        raise ShapeError(
            f"movedim: source {source} and destination {destination} must name the same number "
            "of dimensions"
        )
    if len(set(src)) != len(src):
        raise duplicate_dims_error(src)
    if len(set(dst)) != len(dst):
        raise duplicate_dims_error(dst)
    if not ndim:
        return ()
    perm: list[int | None] = [None] * ndim
    for a, b in zip(src, dst):
        perm[b] = a
    rest = iter(d for d in range(ndim) if d not in src)
    return tuple(next(rest) if p is None else p for p in perm)


def _index_tensor(data, like):
    """An int64 tensor of ``data`` on ``like``'s device (for indices the ops build)."""
    from .. import _creation

    return _creation.tensor(np.asarray(data, np.int64), device=like.device)


def _need_matrix(op: str, ndim: int, least: int = 2) -> None:
    if ndim < least:
        raise ShapeError(
            f"{op}: expects a tensor with at least {least} dimensions, got a {ndim}-d tensor"
        )


def _triangle(x, op: str, diagonal) -> Tensor:
    from .. import _creation

    shape = tuple(x.shape)
    _need_matrix(op, len(shape))
    k = int_arg(op, "diagonal", diagonal)
    keep = (np.tril if op == "tril" else np.triu)(np.ones(shape[-2:], bool), k)
    return x.masked_fill(_creation.tensor(~keep, device=x.device), 0)


# ============================================================================ the methods
class ShapeMethods(FromOtherFamilies):
    """Shape methods of [`flowkit.Tensor`][flowkit.Tensor]. ``flatten``, ``squeeze``, ``unsqueeze``,
    ``view`` and ``T`` are written here once, over the backend's ``reshape``/``permute``."""

    __slots__ = ()

    @property
    @backend_method
    def shape(self) -> Size:
        """The size of each dimension, as a [`Size`][flowkit.Size] (a tuple).

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(2, 3).shape
            flowkit.Size([2, 3])
        """

    @backend_method
    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """The same values in a new shape; one size may be ``-1`` (inferred). A view where the
        memory allows, as in PyTorch.

        Args:
            *shape: the sizes, as separate ints or one tuple/list.

        Raises:
            ShapeError: the number of elements differs.

        Examples:
            >>> import flowkit as flow
            >>> flow.arange(6).reshape(2, -1)
            tensor([[0, 1, 2],
                    [3, 4, 5]], dtype=flowkit.int64)
        """

    def view(self, *shape: int | Sequence[int]) -> Tensor:
        """Another name for [`reshape`][flowkit.Tensor.reshape] (flowkit tensors have no strides to
        keep).

        Examples:
            >>> import flowkit as flow
            >>> flow.arange(6).view(3, 2).shape
            flowkit.Size([3, 2])
        """
        return self.reshape(*shape)

    @backend_method
    def expand(self, *sizes: int | Sequence[int]) -> Tensor:
        """A view with size-1 dimensions repeated (no copy); -1 keeps a size, and new
        dimensions can be added in front. Writing into the result is an error.

        Raises:
            ShapeError: a dimension that is not 1 cannot grow.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([[1], [2]]).expand(2, 3)
            tensor([[1, 1, 1],
                    [2, 2, 2]], dtype=flowkit.int64)
        """

    @backend_method
    def expand_as(self, other: Tensor) -> Tensor:
        """[`expand`][flowkit.Tensor.expand] to ``other``'s shape.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 2]).expand_as(flow.zeros(3, 2)).shape
            flowkit.Size([3, 2])
        """

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Dimensions ``start_dim`` .. ``end_dim`` merged into one.

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(2, 3, 4).flatten(1).shape
            flowkit.Size([2, 12])
        """
        shape = tuple(self.shape)
        if not shape:
            normalize_dims((start_dim, end_dim), 0)
            return self.reshape(1)
        s, e = normalize_dims((start_dim, end_dim), len(shape))
        if s > e:
            raise ShapeError(
                f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                f"in a {len(shape)}-d tensor"
            )
        n = 1
        for d in shape[s : e + 1]:
            n *= d
        return self.reshape(shape[:s] + (n,) + shape[e + 1 :])

    def squeeze(self, dim: int | Sequence[int] | None = None) -> Tensor:
        """Size-1 dimensions removed (all of them, or those in ``dim``).

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(2, 1, 3).squeeze().shape
            flowkit.Size([2, 3])
        """
        shape = tuple(self.shape)
        if dim is None:
            new = tuple(s for s in shape if s != 1)
        else:
            ds = normalize_dims(dim, len(shape)) if shape else (normalize_dims(dim, 0) and ())
            new = tuple(s for i, s in enumerate(shape) if not (i in (ds or ()) and s == 1))
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
            raise IndexError(
                f"unsqueeze: dimension {dim} is out of range for a {nd}-d tensor "
                f"(a new dimension goes at {-nd - 1} .. {nd})"
            )
        d = dim % (nd + 1)
        return self.reshape(shape[:d] + (1,) + shape[d:])

    @backend_method
    def transpose(self, dim0: int, dim1: int) -> Tensor:
        """The tensor with dimensions ``dim0`` and ``dim1`` swapped (a view).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([[1, 2, 3]]).transpose(0, 1)
            tensor([[1],
                    [2],
                    [3]], dtype=flowkit.int64)
        """

    @backend_method
    def permute(self, *dims: int | Sequence[int]) -> Tensor:
        """The dimensions reordered: dimension ``i`` of the result is ``dims[i]`` of this one.

        Raises:
            ShapeError: ``dims`` is not a permutation of the dimensions.

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(2, 3, 4).permute(2, 0, 1).shape
            flowkit.Size([4, 2, 3])
        """

    @property
    def T(self) -> Tensor:  # noqa: N802 - PyTorch's name
        """The transpose: dimensions in reverse order (a 0-d or 1-d tensor is unchanged).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([[1, 2], [3, 4]]).T
            tensor([[1, 3],
                    [2, 4]], dtype=flowkit.int64)
        """
        nd = len(self.shape)
        if nd < 2:
            return self  # type: ignore[return-value]
        if nd == 2:
            return self.transpose(0, 1)
        return self.permute(*reversed(range(nd)))

    @backend_method
    def split(
        self, split_size_or_sections: int | Sequence[int], dim: int = 0
    ) -> tuple[Tensor, ...]:
        """Views of consecutive pieces along ``dim``: of ``split_size`` each (the last may be
        smaller), or of the sizes in a list, which must add up to the dimension's size.

        Examples:
            >>> import flowkit as flow
            >>> [p.tolist() for p in flow.arange(5).split([1, 4])]
            [[0], [1, 2, 3, 4]]
        """

    @backend_method
    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        """``chunks`` pieces along ``dim`` (fewer when the size does not divide, as PyTorch).

        Examples:
            >>> import flowkit as flow
            >>> [c.shape[0] for c in flow.zeros(7, 2).chunk(3)]
            [3, 3, 1]
        """

    @backend_method
    def flip(self, *dims: int | Sequence[int]) -> Tensor:
        """The values in reverse order along ``dims`` (a copy).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([[1, 2], [3, 4]]).flip(0)
            tensor([[3, 4],
                    [1, 2]], dtype=flowkit.int64)
        """

    def view_as(self, other: Tensor) -> Tensor:
        """The values in ``other``'s shape ([`view`][flowkit.Tensor.view] ``(other.shape)``).

        Examples:
            >>> import flowkit as flow
            >>> flow.arange(6).view_as(flow.zeros(2, 3))
            tensor([[0, 1, 2],
                    [3, 4, 5]], dtype=flowkit.int64)
        """
        return self.reshape(tuple(other.shape))

    def stride(self, dim: int | None = None) -> tuple[int, ...] | int:
        """The element strides of the contiguous layout of this tensor's shape (one of them
        with ``dim``). flowkit tensors report the contiguous layout on every backend, so a
        transposed tensor gives the strides of its own shape, where PyTorch gives the strides
        of the memory it shares.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.zeros(2, 3, 4)
            >>> x.stride(), x.stride(1), x.stride(-1)
            ((12, 4, 1), 4, 1)
        """
        st = contiguous_strides(self.shape)
        if dim is None:
            return st
        d = one_dim("stride", dim, len(st))
        if not st:
            raise IndexError("stride: a 0-d tensor has no dimensions (stride() gives ())")
        return st[d]

    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        """The view of ``length`` elements from ``start`` along ``dim`` (``start`` may be
        negative).

        Raises:
            IndexError: ``dim`` or ``start`` is out of range.
            ShapeError: ``start + length`` runs past the end of the dimension.

        Examples:
            >>> import flowkit as flow
            >>> flow.arange(9).reshape(3, 3).narrow(1, 1, 2)
            tensor([[1, 2],
                    [4, 5],
                    [7, 8]], dtype=flowkit.int64)
        """
        shape = tuple(self.shape)
        if not shape:
            raise ShapeError("narrow: a 0-d tensor has no dimension to narrow; reshape it first")
        d = one_dim("narrow", dim, len(shape))
        n = shape[d]
        start, length = int_arg("narrow", "start", start), int_arg("narrow", "length", length)
        if not -n <= start <= n:
            raise IndexError(f"narrow: start {start} is out of range for dimension {d} of size {n}")
        if start < 0:
            start += n
        if length < 0 or start + length > n:
            raise ShapeError(
                f"narrow: start {start} + length {length} runs past the end of dimension {d} "
                f"(size {n}); the length must be from 0 to {n - start}"
            )
        return self[(slice(None),) * d + (slice(start, start + length),)]

    def select(self, dim: int, index: int) -> Tensor:
        """The view at position ``index`` of ``dim``, with that dimension removed
        (``x.select(1, i)`` is ``x[:, i]``).

        Raises:
            IndexError: ``dim`` or ``index`` is out of range.

        Examples:
            >>> import flowkit as flow
            >>> flow.arange(6).reshape(2, 3).select(1, -1)
            tensor([2, 5], dtype=flowkit.int64)
        """
        shape = tuple(self.shape)
        if not shape:
            raise IndexError("select: a 0-d tensor has no dimension to select from")
        d = one_dim("select", dim, len(shape))
        i = int_arg("select", "index", index)
        n = shape[d]
        if not -n <= i < n:
            raise IndexError(f"select: index {i} is out of range for dimension {d} of size {n}")
        return self[(slice(None),) * d + (i,)]

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        """The slices along ``dim``, that dimension removed (``tuple(x)`` for ``dim=0``).

        Examples:
            >>> import flowkit as flow
            >>> [t.tolist() for t in flow.tensor([[1, 2], [3, 4]]).unbind(1)]
            [[1, 3], [2, 4]]
        """
        shape = tuple(self.shape)
        if not shape:
            raise IndexError("unbind: a 0-d tensor has no dimension to unbind")
        d = one_dim("unbind", dim, len(shape))
        return tuple(self.select(d, i) for i in range(shape[d]))

    def swapaxes(self, axis0: int, axis1: int) -> Tensor:
        """Another name for [`transpose`][flowkit.Tensor.transpose] (numpy's).

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(2, 3, 4).swapaxes(0, 2).shape
            flowkit.Size([4, 3, 2])
        """
        return self.transpose(axis0, axis1)

    def swapdims(self, dim0: int, dim1: int) -> Tensor:
        """Another name for [`transpose`][flowkit.Tensor.transpose].

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(2, 3).swapdims(0, 1).shape
            flowkit.Size([3, 2])
        """
        return self.transpose(dim0, dim1)

    def movedim(self, source: int | Sequence[int], destination: int | Sequence[int]) -> Tensor:
        """Dimensions ``source`` moved to the positions ``destination``, the others kept in
        order (a view). ``moveaxis`` is another name.

        Raises:
            ShapeError: ``source`` and ``destination`` differ in length or repeat a dimension.

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(2, 3, 4).movedim(0, -1).shape
            flowkit.Size([3, 4, 2])
        """
        perm = movedim_perm(source, destination, len(self.shape))
        return self.permute(perm) if perm else self.reshape(())

    def moveaxis(self, source: int | Sequence[int], destination: int | Sequence[int]) -> Tensor:
        """Another name for [`movedim`][flowkit.Tensor.movedim].

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(2, 3, 4).moveaxis((0, 1), (2, 0)).shape
            flowkit.Size([3, 4, 2])
        """
        return self.movedim(source, destination)

    def t(self) -> Tensor:
        """The transpose of a tensor of at most 2 dimensions (a 0-d or 1-d one as it is).

        Raises:
            ShapeError: the tensor has more than 2 dimensions (use ``transpose`` or
                ``permute``).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([[1, 2, 3]]).t().shape
            flowkit.Size([3, 1])
        """
        nd = len(self.shape)
        if nd > 2:
            raise ShapeError(
                f"t: expects a tensor with at most 2 dimensions, got {nd}; use "
                "transpose(dim0, dim1) or permute(...)"
            )
        return self.transpose(0, 1) if nd == 2 else self  # type: ignore[return-value]

    def repeat(self, *sizes: int | Sequence[int]) -> Tensor:
        """The tensor repeated ``sizes[i]`` times along each dimension (a copy); more sizes
        than dimensions add leading dimensions (PyTorch's ``repeat``, numpy's ``tile``).

        Raises:
            ShapeError: fewer sizes than dimensions, or a negative size.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 2]).repeat(2, 2)
            tensor([[1, 2, 1, 2],
                    [1, 2, 1, 2]], dtype=flowkit.int64)
        """
        reps = sizes_arg(sizes)
        shape = tuple(self.shape)
        if len(reps) < len(shape):
            raise ShapeError(
                f"repeat: a tensor of shape {shape_str(shape)} needs at least {len(shape)} "
                f"repeat counts, got {len(reps)} {reps}; use tile to repeat the last dimensions"
            )
        if any(r < 0 for r in reps):
            raise ShapeError(f"repeat: repeat counts must be >= 0, got {reps}")
        full = (1,) * (len(reps) - len(shape)) + shape
        x = self.reshape(full)
        if all(r == 1 for r in reps):
            return x.clone()
        pairs = tuple(v for n in full for v in (1, n))
        grown = tuple(v for r, n in zip(reps, full) for v in (r, n))
        return x.reshape(pairs).expand(grown).reshape(tuple(r * n for r, n in zip(reps, full)))

    def tile(self, *dims: int | Sequence[int]) -> Tensor:
        """[`repeat`][flowkit.Tensor.repeat] where fewer counts than dimensions repeat the
        last dimensions (the others once).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([[1, 2], [3, 4]]).tile(2)
            tensor([[1, 2, 1, 2],
                    [3, 4, 3, 4]], dtype=flowkit.int64)
        """
        reps = sizes_arg(dims)
        nd = len(self.shape)
        return self.repeat((1,) * (nd - len(reps)) + reps)

    def repeat_interleave(
        self,
        repeats: int | Tensor,
        dim: int | None = None,
        *,
        output_size: int | None = None,
    ) -> Tensor:
        """Each element repeated ``repeats`` times (an int, or a tensor of one count per
        element) along ``dim``; the flattened tensor when ``dim`` is None.

        Raises:
            ShapeError: a tensor of counts that does not match the dimension, or a negative
                count.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 2, 3]).repeat_interleave(2)
            tensor([1, 1, 2, 2, 3, 3], dtype=flowkit.int64)
            >>> flow.tensor([[1, 2], [3, 4]]).repeat_interleave(flow.tensor([1, 2]), dim=0)
            tensor([[1, 2],
                    [3, 4],
                    [3, 4]], dtype=flowkit.int64)
        """
        from ..tensor import Tensor

        x = self.reshape(-1) if dim is None else self
        d = 0 if dim is None else one_dim("repeat_interleave", dim, len(x.shape))
        if not x.shape:
            x = x.reshape(1)
        n = x.shape[d]
        if isinstance(repeats, Tensor):
            r = repeats.numpy()
            if r.dtype.kind not in "iu":
                raise ArgumentTypeError(
                    f"repeat_interleave: repeats must be an integer tensor, got {repeats.dtype!r}"
                )
            if r.ndim > 1 or r.ndim == 1 and r.size not in (1, n):
                raise ShapeError(
                    f"repeat_interleave: repeats of shape {shape_str(r.shape)} must have one "
                    f"count per element of dimension {d} (size {n}), or a single count"
                )
            r = np.broadcast_to(r.reshape(-1), (n,)) if r.size == 1 else r
        else:
            r = np.full(n, int_arg("repeat_interleave", "repeats", repeats))
        if (r < 0).any():
            raise ShapeError("repeat_interleave: repeat counts must be >= 0")
        idx = np.repeat(np.arange(n), r)
        if output_size is not None and int(output_size) != idx.size:
            raise ShapeError(
                f"repeat_interleave: output_size={output_size}, but the repeats give {idx.size}"
            )
        return x.index_select(d, _index_tensor(idx, x))

    def roll(self, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None) -> Tensor:
        """The values shifted ``shifts`` places along ``dims``, those pushed off one end coming
        back at the other; with ``dims`` None, over the flattened tensor (shape kept).

        Raises:
            ShapeError: ``shifts`` and ``dims`` differ in length.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 2, 3, 4]).roll(1)
            tensor([4, 1, 2, 3], dtype=flowkit.int64)
            >>> flow.tensor([[1, 2], [3, 4]]).roll((1, 1), (0, 1))
            tensor([[4, 3],
                    [2, 1]], dtype=flowkit.int64)
        """
        shape = tuple(self.shape)
        if dims is None:
            s = shifts if isinstance(shifts, (int, np.integer)) else tuple(shifts)
            if not isinstance(s, (int, np.integer)):
                if len(s) != 1:
                    raise ShapeError(f"roll: without dims, shifts must be one int, got {tuple(s)}")
                s = s[0]
            return self.reshape(-1).roll(int(s), 0).reshape(shape)
        sh = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
        ds = normalize_dims(dims, len(shape))
        if len(sh) != len(ds):
            raise ShapeError(
                f"roll: shifts {tuple(sh)} and dims {tuple(ds)} must have the same length"
            )
        if not shape:
            return self.clone()
        x = self
        for k, d in zip(sh, ds):
            n = shape[d]
            k = int_arg("roll", "shifts", k) % n if n else 0
            if k:
                x = cat([x.narrow(d, n - k, k), x.narrow(d, 0, n - k)], d)
        return x if x is not self else self.clone()  # type: ignore[return-value]

    def tril(self, diagonal: int = 0) -> Tensor:
        """The lower triangle of the last two dimensions (on and below the ``diagonal``-th
        diagonal; above is 0).

        Raises:
            ShapeError: the tensor has fewer than 2 dimensions.

        Examples:
            >>> import flowkit as flow
            >>> flow.ones(3, 3).tril()
            tensor([[1., 0., 0.],
                    [1., 1., 0.],
                    [1., 1., 1.]], dtype=flowkit.float32)
        """
        return _triangle(self, "tril", diagonal)

    def triu(self, diagonal: int = 0) -> Tensor:
        """The upper triangle of the last two dimensions (on and above the ``diagonal``-th
        diagonal; below is 0).

        Raises:
            ShapeError: the tensor has fewer than 2 dimensions.

        Examples:
            >>> import flowkit as flow
            >>> flow.ones(2, 3).triu(1)
            tensor([[0., 1., 1.],
                    [0., 0., 1.]], dtype=flowkit.float32)
        """
        return _triangle(self, "triu", diagonal)

    def diag(self, diagonal: int = 0) -> Tensor:
        """A 1-d tensor: the square matrix with it on the ``diagonal``-th diagonal (0
        elsewhere). A 2-d tensor: its ``diagonal``-th diagonal, as a 1-d tensor (a copy).

        Raises:
            ShapeError: the tensor is not 1-d or 2-d.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 2]).diag()
            tensor([[1, 0],
                    [0, 2]], dtype=flowkit.int64)
            >>> flow.arange(9).reshape(3, 3).diag(1)
            tensor([1, 5], dtype=flowkit.int64)
        """
        from .. import _creation

        shape = tuple(self.shape)
        k = int_arg("diag", "diagonal", diagonal)
        if len(shape) == 1:
            n = shape[0]
            m = n + abs(k)
            rows = np.arange(n) + max(-k, 0)
            cols = np.arange(n) + max(k, 0)
            out = _creation.zeros(m, m, dtype=self.dtype, device=self.device)
            out[_index_tensor(rows, self), _index_tensor(cols, self)] = self  # type: ignore[assignment]
            return out
        if len(shape) != 2:
            raise ShapeError(
                f"diag: expects a 1-d tensor (to make a matrix) or a 2-d tensor (to take its "
                f"diagonal), got a {len(shape)}-d tensor; use diagonal or diag_embed"
            )
        r0, c0 = max(-k, 0), max(k, 0)
        n = max(min(shape[0] - r0, shape[1] - c0), 0)
        rows, cols = np.arange(n) + r0, np.arange(n) + c0
        return self[_index_tensor(rows, self), _index_tensor(cols, self)]

    @backend_method
    def contiguous(self) -> Tensor:
        """This tensor (flowkit tensors have no strides to compact; kept for PyTorch code).

        Examples:
            >>> import flowkit as flow
            >>> x = flow.zeros(2, 3).T
            >>> x.contiguous().shape
            flowkit.Size([3, 2])
        """


# ============================================================================ function forms
def reshape(input: Tensor, shape: Sequence[int]) -> Tensor:
    """The values of ``input`` in a new ``shape`` (one size may be ``-1``).

    Examples:
        >>> import flowkit as flow
        >>> flow.reshape(flow.arange(6), (2, -1)).shape
        flowkit.Size([2, 3])
    """
    return input.reshape(shape)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """``input`` with dimensions ``dim0`` and ``dim1`` swapped.

    Examples:
        >>> import flowkit as flow
        >>> flow.transpose(flow.zeros(2, 3, 4), 0, 2).shape
        flowkit.Size([4, 3, 2])
    """
    return input.transpose(dim0, dim1)


def permute(input: Tensor, dims: Sequence[int]) -> Tensor:
    """``input`` with its dimensions reordered as ``dims``.

    Examples:
        >>> import flowkit as flow
        >>> flow.permute(flow.zeros(2, 3, 4), (2, 0, 1)).shape
        flowkit.Size([4, 2, 3])
    """
    return input.permute(dims)


def squeeze(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """``input`` without its size-1 dimensions (or only ``dim``, if it has size 1).

    Examples:
        >>> import flowkit as flow
        >>> flow.squeeze(flow.zeros(2, 1, 3)).shape
        flowkit.Size([2, 3])
    """
    return input.squeeze(dim)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """``input`` with a new size-1 dimension inserted at ``dim``.

    Examples:
        >>> import flowkit as flow
        >>> flow.unsqueeze(flow.zeros(2, 3), 1).shape
        flowkit.Size([2, 1, 3])
    """
    return input.unsqueeze(dim)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """``input`` with dimensions ``start_dim`` to ``end_dim`` merged into one.

    Examples:
        >>> import flowkit as flow
        >>> flow.flatten(flow.zeros(2, 3, 4), start_dim=1).shape
        flowkit.Size([2, 12])
    """
    return input.flatten(start_dim, end_dim)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension; dtypes promote as in PyTorch.

    ``flowkit.concat`` and ``flowkit.concatenate`` are other names for this function.

    Examples:
        >>> import flowkit as flow
        >>> flow.cat([flow.zeros(2, 3), flow.ones(1, 3)]).shape
        flowkit.Size([3, 3])
    """
    return _plugins.get().cat(tensors, dim)


concat = cat
concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors of one shape along a new dimension ``dim``.

    Examples:
        >>> import flowkit as flow
        >>> flow.stack([flow.zeros(3), flow.ones(3)], dim=1).shape
        flowkit.Size([3, 2])
    """
    return _plugins.get().stack(tensors, dim)


def split(
    tensor: Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0
) -> tuple[Tensor, ...]:
    """Consecutive pieces of ``split_size`` along ``dim`` (or of the sizes in a list).

    Examples:
        >>> import flowkit as flow
        >>> [p.tolist() for p in flow.split(flow.arange(5), 2)]
        [[0, 1], [2, 3], [4]]
    """
    need_tensor("split", tensor)
    return tensor.split(split_size_or_sections, dim)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """``chunks`` pieces along ``dim`` (fewer when the size does not divide evenly).

    Examples:
        >>> import flowkit as flow
        >>> [c.tolist() for c in flow.chunk(flow.arange(5), 2)]
        [[0, 1, 2], [3, 4]]
    """
    need_tensor("chunk", input)
    return input.chunk(chunks, dim)


def flip(input: Tensor, dims: int | Sequence[int]) -> Tensor:
    """The values in reverse order along ``dims``.

    Examples:
        >>> import flowkit as flow
        >>> flow.flip(flow.tensor([[1, 2], [3, 4]]), [1])
        tensor([[2, 1],
                [4, 3]], dtype=flowkit.int64)
    """
    need_tensor("flip", input)
    return input.flip(dims)


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """``length`` elements of ``input`` from ``start`` along ``dim`` (a view).

    Examples:
        >>> import flowkit as flow
        >>> flow.narrow(flow.arange(5), 0, 1, 3)
        tensor([1, 2, 3], dtype=flowkit.int64)
    """
    need_tensor("narrow", input)
    return input.narrow(dim, start, length)


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice of ``input`` at ``index`` along ``dim``, that dimension removed.

    Examples:
        >>> import flowkit as flow
        >>> flow.select(flow.tensor([[1, 2], [3, 4]]), 0, 1)
        tensor([3, 4], dtype=flowkit.int64)
    """
    need_tensor("select", input)
    return input.select(dim, index)


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices of ``input`` along ``dim``.

    Examples:
        >>> import flowkit as flow
        >>> [t.tolist() for t in flow.unbind(flow.tensor([[1, 2], [3, 4]]))]
        [[1, 2], [3, 4]]
    """
    need_tensor("unbind", input)
    return input.unbind(dim)


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    """``input`` with ``axis0`` and ``axis1`` swapped (``transpose``).

    Examples:
        >>> import flowkit as flow
        >>> flow.swapaxes(flow.zeros(2, 3), 0, 1).shape
        flowkit.Size([3, 2])
    """
    need_tensor("swapaxes", input)
    return input.transpose(axis0, axis1)


def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """``input`` with ``dim0`` and ``dim1`` swapped (``transpose``).

    Examples:
        >>> import flowkit as flow
        >>> flow.swapdims(flow.zeros(2, 3), 0, 1).shape
        flowkit.Size([3, 2])
    """
    need_tensor("swapdims", input)
    return input.transpose(dim0, dim1)


def movedim(input: Tensor, source: int | Sequence[int], destination: int | Sequence[int]) -> Tensor:
    """``input`` with dimensions ``source`` moved to ``destination``.

    Examples:
        >>> import flowkit as flow
        >>> flow.movedim(flow.zeros(2, 3, 4), -1, 0).shape
        flowkit.Size([4, 2, 3])
    """
    need_tensor("movedim", input)
    return input.movedim(source, destination)


def moveaxis(
    input: Tensor, source: int | Sequence[int], destination: int | Sequence[int]
) -> Tensor:
    """Another name for [`movedim`][flowkit.ops.shape.movedim].

    Examples:
        >>> import flowkit as flow
        >>> flow.moveaxis(flow.zeros(2, 3, 4), 0, 1).shape
        flowkit.Size([3, 2, 4])
    """
    need_tensor("moveaxis", input)
    return input.movedim(source, destination)


def t(input: Tensor) -> Tensor:
    """The transpose of a tensor of at most 2 dimensions.

    Examples:
        >>> import flowkit as flow
        >>> flow.t(flow.zeros(2, 3)).shape
        flowkit.Size([3, 2])
    """
    need_tensor("t", input)
    return input.t()


def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    """``input`` repeated ``dims[i]`` times along each dimension (counts for the last
    dimensions when there are fewer counts than dimensions).

    Examples:
        >>> import flowkit as flow
        >>> flow.tile(flow.tensor([1, 2]), (2,))
        tensor([1, 2, 1, 2], dtype=flowkit.int64)
    """
    need_tensor("tile", input)
    return input.tile(dims)


def repeat_interleave(
    input: Tensor, repeats: int | Tensor, dim: int | None = None, *, output_size: int | None = None
) -> Tensor:
    """Each element of ``input`` repeated ``repeats`` times along ``dim`` (flattened when None).

    Examples:
        >>> import flowkit as flow
        >>> flow.repeat_interleave(flow.tensor([1, 2]), flow.tensor([2, 3]))
        tensor([1, 1, 2, 2, 2], dtype=flowkit.int64)
    """
    need_tensor("repeat_interleave", input)
    return input.repeat_interleave(repeats, dim, output_size=output_size)


def roll(
    input: Tensor, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None
) -> Tensor:
    """``input`` with its values shifted cyclically along ``dims`` (flattened when None).

    Examples:
        >>> import flowkit as flow
        >>> flow.roll(flow.tensor([1, 2, 3]), -1)
        tensor([2, 3, 1], dtype=flowkit.int64)
    """
    need_tensor("roll", input)
    return input.roll(shifts, dims)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of ``input``'s last two dimensions (above is 0).

    Examples:
        >>> import flowkit as flow
        >>> flow.tril(flow.ones(2, 2))
        tensor([[1., 0.],
                [1., 1.]], dtype=flowkit.float32)
    """
    need_tensor("tril", input)
    return input.tril(diagonal)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of ``input``'s last two dimensions (below is 0).

    Examples:
        >>> import flowkit as flow
        >>> flow.triu(flow.ones(2, 2))
        tensor([[1., 1.],
                [0., 1.]], dtype=flowkit.float32)
    """
    need_tensor("triu", input)
    return input.triu(diagonal)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-d ``input`` as a diagonal matrix, or the diagonal of a 2-d ``input``.

    Examples:
        >>> import flowkit as flow
        >>> flow.diag(flow.tensor([[1, 2], [3, 4]]))
        tensor([1, 4], dtype=flowkit.int64)
    """
    need_tensor("diag", input)
    return input.diag(diagonal)
