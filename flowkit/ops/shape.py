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
from ._contract import backend_method, foreign_array_error, need_tensor

if TYPE_CHECKING:
    from ..tensor import Size, Tensor

__all__ = [
    "cat",
    "chunk",
    "concat",
    "concatenate",
    "flatten",
    "flip",
    "permute",
    "reshape",
    "split",
    "squeeze",
    "stack",
    "transpose",
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


# ============================================================================ the methods
class ShapeMethods:
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
