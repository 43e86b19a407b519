"""Linear algebra: the matrix product (``@``, ``matmul``, ``mm``, ``bmm``, ``dot``, ``outer``,
``addmm``, ``baddbmm``), ``einsum`` and ``tensordot``, ``trace``, ``inverse``, ``cross``.

``matmul`` follows PyTorch's rules: 1-d operands are vectors (a dimension is added for the
product and removed after), and batch dimensions broadcast. Both operands must have the same
dtype: flowkit does not promote inside a matrix product, as PyTorch does not. (See
`flowkit.ops` for how a family module is laid out.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import _plugins
from ..errors import ArgumentTypeError, ArgumentValueError, DTypeError, ShapeError, shape_str
from ._contract import backend_method, foreign_array_error, need_tensor
from .shape import one_dim

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = [
    "addmm",
    "baddbmm",
    "bmm",
    "cross",
    "dot",
    "einsum",
    "inverse",
    "matmul",
    "mm",
    "outer",
    "tensordot",
    "trace",
]


# ============================================================================ rules and errors
def operand_error(other: object, position: str = "second") -> TypeError:
    """An operand of a matrix product (``position``: "first" or "second") is not a flowkit
    tensor (another library's array gets `foreign_array_error`'s
    message)."""
    err = foreign_array_error("matmul", other, f"the {position} operand")
    if err is not None:
        return err
    return ArgumentTypeError(
        f"matmul: expected a flowkit tensor as the {position} operand, got "
        f"{type(other).__name__}; make one with flowkit.tensor(...)"
    )


def rmatmul_operand(other: object):
    """What ``__rmatmul__`` (``other @ tensor``, ``other`` not a flowkit tensor) returns:
    ``NotImplemented``, so Python raises its TypeError as PyTorch does, except for another
    library's array (``np.ones((2, 2)) @ x``), which raises the error naming it and the fix."""
    err = foreign_array_error("matmul", other, "the first operand")
    if err is not None:
        raise err
    return NotImplemented


def matmul_error(a_shape, a_dtype, b_shape, b_dtype) -> Exception | None:
    """Why ``a @ b`` cannot be computed from the operands' shapes and dtypes, or ``None`` (the
    backend's own failure stands). Metadata only: a backend calls it before its kernel where its
    kernel would accept what PyTorch refuses (numpy multiplies mixed dtypes), or after a failure.

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.ops.linalg import matmul_error
        >>> print(matmul_error((2, 3), flow.float32, (2, 3), flow.float32))
        matmul: shapes (2, 3) and (2, 3) do not fit: the last dimension of the first (3) ...
    """
    if a_dtype != b_dtype:
        return DTypeError(
            f"matmul: both operands must have the same dtype, got {a_dtype!r} and {b_dtype!r}; "
            f"convert one with .to({a_dtype!r})"
        )
    a_shape, b_shape = tuple(a_shape), tuple(b_shape)
    if not a_shape or not b_shape:
        return ShapeError(
            "matmul: both operands need at least one dimension, got a 0-d tensor; "
            "use * to multiply by a scalar"
        )
    k_b = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
    try:  # the batch dimensions must broadcast too
        np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
        fits = a_shape[-1] == k_b
    except ValueError:
        fits = False
    if fits:
        return None
    return ShapeError(
        f"matmul: shapes {shape_str(a_shape)} and {shape_str(b_shape)} do not fit: the last "
        f"dimension of the first ({a_shape[-1]}) must equal the "
        f"{'first' if len(b_shape) == 1 else 'second-to-last'} dimension of the second ({k_b})"
    )


def matrix_args(op: str, shapes: list, dtypes: list, ndims: tuple) -> None:
    """``mm``/``bmm``/``dot``/``addmm``/...: each operand has the number of dimensions the op
    takes, the same dtype, and sizes that fit (PyTorch's rules: no broadcasting, no
    promotion).

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.ops.linalg import matrix_args
        >>> matrix_args("mm", [(2, 3), (4, 2)], [flow.float32] * 2, (2, 2))
        Traceback (most recent call last):
            ...
        flowkit.errors.ShapeError: mm: shapes (2, 3) and (4, 2) do not fit: ...
    """
    names = ("first", "second")
    for i, (s, nd) in enumerate(zip(shapes, ndims)):
        if len(s) != nd:
            what = {1: "a 1-d vector", 2: "a 2-d matrix", 3: "a 3-d batch of matrices"}[nd]
            raise ShapeError(
                f"{op}: the {names[i]} operand must be {what}, got shape {shape_str(s)}"
                + ("; use flowkit.matmul for other shapes" if op in ("mm", "bmm", "dot") else "")
            )
    if dtypes[0] != dtypes[1]:
        raise DTypeError(
            f"{op}: both operands must have the same dtype, got {dtypes[0]!r} and "
            f"{dtypes[1]!r}; convert one with .to({dtypes[0]!r})"
        )
    a, b = (tuple(s) for s in shapes)
    if ndims[0] == 3 and a[0] != b[0]:
        raise ShapeError(
            f"{op}: batch sizes differ: shapes {shape_str(a)} and {shape_str(b)}; both "
            "operands need the same first dimension"
        )
    k_b = b[0] if len(b) == 1 else b[-2]
    if a[-1] != k_b:
        raise ShapeError(
            f"{op}: shapes {shape_str(a)} and {shape_str(b)} do not fit: the last dimension "
            f"of the first ({a[-1]}) must equal the "
            f"{'size' if len(b) == 1 else 'second-to-last dimension'} of the second ({k_b})"
        )


def add_product_args(op: str, input_shape, product_shape) -> None:
    """``addmm``/``baddbmm``: ``input`` must broadcast to the product's shape."""
    try:
        ok = np.broadcast_shapes(tuple(input_shape), tuple(product_shape)) == tuple(product_shape)
    except ValueError:
        ok = False
    if not ok:
        raise ShapeError(
            f"{op}: input of shape {shape_str(input_shape)} does not broadcast to the "
            f"product's shape {shape_str(product_shape)}"
        )


def trace_args(shape) -> None:
    if len(shape) != 2:
        raise ShapeError(f"trace: expected a 2-d matrix, got shape {shape_str(shape)}")


def inverse_args(shape, dt) -> None:
    """``inverse``: square matrices (``(..., n, n)``) of a floating-point dtype."""
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ShapeError(
            f"inverse: expected a square matrix or a batch of them (..., n, n), got shape "
            f"{shape_str(shape)}"
        )
    if not dt.is_floating_point:
        raise DTypeError(
            f"inverse: needs a floating-point tensor, this one is {dt!r}; call .float() first"
        )


def singular_error() -> ArgumentValueError:
    return ArgumentValueError(
        "inverse: the matrix is singular (not invertible); check its rank, or use a "
        "pseudo-inverse instead"
    )


def cross_dim(a_shape, b_shape, dim) -> tuple[tuple[int, ...], int]:
    """``cross``: the broadcast shape and the (non-negative) dimension of size 3 the product
    runs along; ``dim=None`` takes the first dimension of size 3 (PyTorch's ``torch.cross``
    and OneFlow's default).

    Examples:
        >>> from flowkit.ops.linalg import cross_dim
        >>> cross_dim((2, 3), (1, 3), None), cross_dim((3, 3), (3, 3), -1)
        (((2, 3), 1), ((3, 3), 1))
    """
    try:
        shape = tuple(np.broadcast_shapes(tuple(a_shape), tuple(b_shape)))
    except ValueError:
        raise ShapeError(
            f"cross: shapes {shape_str(a_shape)} and {shape_str(b_shape)} do not broadcast"
        ) from None
    if dim is None:
        dim = next((d for d, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise ShapeError(f"cross: no dimension of size 3 in shape {shape_str(shape)}")
    d = one_dim("cross", dim, len(shape))
    for s in (tuple(a_shape), tuple(b_shape)):
        k = d - len(shape) + len(s)  # the dimension in this operand (right-aligned)
        if k < 0 or s[k] != 3:
            raise ShapeError(
                f"cross: dimension {dim} of both operands must have size 3, got shapes "
                f"{shape_str(a_shape)} and {shape_str(b_shape)}"
            )
    return shape, d


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def einsum_parse(equation: str, shapes: list) -> tuple[list[str], str]:
    """``einsum``'s equation in explicit form, one subscript string per operand and the
    output's, with ``...`` spelled out as letters; checks the letters, the number of operands
    and that each letter has one size.

    Examples:
        >>> from flowkit.ops.linalg import einsum_parse
        >>> einsum_parse("ij,jk", [(2, 3), (3, 4)]), einsum_parse("...i->...", [(5, 2)])
        ((['ij', 'jk'], 'ik'), (['Zi'], 'Z'))
    """
    if not isinstance(equation, str):
        raise ArgumentTypeError(
            f"einsum: the equation must be a str, got {type(equation).__name__}"
        )
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ArgumentValueError(
            f"einsum: the equation {equation!r} names {len(terms)} operand(s), got {len(shapes)}"
        )
    for ch in eq.replace("->", "").replace(",", "").replace(".", ""):
        if ch not in _LETTERS:
            raise ArgumentValueError(
                f"einsum: {ch!r} in {equation!r} is not a subscript; use letters a-z, A-Z"
            )
    used = set(eq)
    spare = [c for c in reversed(_LETTERS) if c not in used]
    n_ell = 0
    for t, s in zip(terms, shapes):
        if "..." in t:
            n_ell = max(n_ell, len(s) - (len(t) - 3))
    ell = "".join(spare[:n_ell])[::-1] if n_ell else ""
    subs = []
    sizes: dict[str, int] = {}
    for i, (t, s) in enumerate(zip(terms, shapes)):
        if "." in t.replace("...", ""):
            raise ArgumentValueError(f"einsum: a stray '.' in {equation!r}; write '...'")
        if "..." in t:
            k = len(s) - (len(t) - 3)
            if k < 0:
                raise ShapeError(
                    f"einsum: operand {i} has shape {shape_str(s)}, fewer dimensions than "
                    f"{t!r} names"
                )
            t = t.replace("...", ell[n_ell - k :] if k else "")
        if len(t) != len(s):
            raise ShapeError(
                f"einsum: operand {i} has {len(s)} dimension(s) (shape {shape_str(s)}) but "
                f"{terms[i]!r} names {len(t)}"
            )
        for ch, n in zip(t, s):
            if sizes.setdefault(ch, n) != n:
                raise ShapeError(
                    f"einsum: subscript {ch!r} has size {sizes[ch]} and {n}; the dimensions a "
                    "letter names must have one size"
                )
        subs.append(t)
    if arrow:
        if "..." in rhs:
            rhs = rhs.replace("...", ell)
        elif "." in rhs:
            raise ArgumentValueError(f"einsum: a stray '.' in {equation!r}; write '...'")
        for ch in rhs:
            if ch not in sizes or rhs.count(ch) > 1:
                raise ArgumentValueError(
                    f"einsum: output subscript {ch!r} in {equation!r} must appear in an "
                    "operand, and only once in the output"
                )
        out = rhs
    else:
        counts = "".join(subs)
        out = ell + "".join(sorted(c for c in set(counts) if counts.count(c) == 1 and c not in ell))
    return subs, out


def tensordot_equation(a_nd: int, b_nd: int, dims) -> str:
    """``tensordot``'s ``dims`` (an int: the last ``dims`` of ``a`` with the first of ``b``;
    or a pair of lists) as an einsum equation.

    Examples:
        >>> from flowkit.ops.linalg import tensordot_equation
        >>> tensordot_equation(3, 2, 1), tensordot_equation(2, 2, ([0], [1]))
        ('abc,ce->abe', 'ab,ca->bc')
    """
    if isinstance(dims, (int, np.integer)) and not isinstance(dims, bool):
        if not 0 <= dims <= min(a_nd, b_nd):
            raise ArgumentValueError(
                f"tensordot: dims={dims} must be between 0 and {min(a_nd, b_nd)} for "
                f"{a_nd}-d and {b_nd}-d operands"
            )
        da, db = list(range(a_nd - dims, a_nd)), list(range(dims))
    else:
        try:
            da, db = ([int(i) for i in (d if isinstance(d, (list, tuple)) else [d])] for d in dims)
        except (TypeError, ValueError):
            raise ArgumentTypeError(
                f"tensordot: dims must be an int or a pair of lists of dims, got {dims!r}"
            ) from None
        if len(da) != len(db):
            raise ArgumentValueError(
                f"tensordot: dims {dims!r} pair {len(da)} dims of the first operand with "
                f"{len(db)} of the second; give as many of each"
            )
        da = [one_dim("tensordot", d, a_nd) for d in da]
        db = [one_dim("tensordot", d, b_nd) for d in db]
    sa = _LETTERS[:a_nd]
    sb = list(_LETTERS[a_nd : a_nd + b_nd])
    for i, j in zip(da, db):
        sb[j] = sa[i]
    out = "".join(c for i, c in enumerate(sa) if i not in da) + "".join(
        c for j, c in enumerate(sb) if j not in db
    )
    return f"{sa},{''.join(sb)}->{out}"


# ============================================================================ the methods
class LinalgMethods:
    """The matrix-product methods of [`flowkit.Tensor`][flowkit.Tensor]."""

    __slots__ = ()

    @backend_method
    def matmul(self, other: Tensor) -> Tensor:
        """Matrix product with PyTorch's rules (1-d operands, batch broadcasting).

        Raises:
            ShapeError: the inner dimensions differ, or an operand is 0-d.
            DTypeError: the operands' dtypes differ.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([[1.0, 2.0], [3.0, 4.0]]).matmul(flow.tensor([1.0, 1.0]))
            tensor([3., 7.], dtype=flowkit.float32)
        """

    @backend_method
    def __matmul__(self, other: Tensor) -> Tensor:
        """``self @ other``: see [`matmul`][flowkit.Tensor.matmul].

        Examples:
            >>> import flowkit as flow
            >>> (flow.ones(4, 2) @ flow.ones(2, 3)).shape
            flowkit.Size([4, 3])
        """

    @backend_method
    def __rmatmul__(self, other: object) -> Tensor:
        """``other @ self`` where ``other`` is not a flowkit tensor: refused (``NotImplemented``,
        so Python raises TypeError; a numpy array or a torch tensor raises
        [`ArgumentTypeError`][flowkit.errors.ArgumentTypeError]): wrap it with ``flowkit.tensor``
        first.

        Examples:
            >>> import flowkit as flow
            >>> flow.ones(2).__rmatmul__([1.0, 2.0])
            NotImplemented
        """

    @backend_method
    def mm(self, mat2: Tensor) -> Tensor:
        """The product of two 2-d matrices, ``(n, k) @ (k, m)``: [`matmul`][flowkit.Tensor.matmul]
        without its 1-d and batch rules, as PyTorch's ``mm``.

        Raises:
            ShapeError: an operand is not 2-d, or the inner sizes differ.
            DTypeError: the dtypes differ.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([[1.0, 2.0], [3.0, 4.0]]).mm(flow.tensor([[1.0], [1.0]]))
            tensor([[3.],
                    [7.]], dtype=flowkit.float32)
        """

    @backend_method
    def bmm(self, mat2: Tensor) -> Tensor:
        """Batched matrix product of 3-d tensors, ``(b, n, k) @ (b, k, m)`` (no broadcasting).

        Examples:
            >>> import flowkit as flow
            >>> flow.ones(2, 3, 4).bmm(flow.ones(2, 4, 5)).shape
            flowkit.Size([2, 3, 5])
        """

    @backend_method
    def dot(self, other: Tensor) -> Tensor:
        """The inner product of two 1-d tensors of the same size and dtype, a 0-d tensor.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1, 2, 3]).dot(flow.tensor([4, 5, 6]))
            tensor(32, dtype=flowkit.int64)
        """

    @backend_method
    def outer(self, vec2: Tensor) -> Tensor:
        """The outer product of two 1-d tensors: ``out[i, j] = self[i] * vec2[j]`` (dtypes
        promote as for ``*``).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0, 2.0]).outer(flow.tensor([1.0, 10.0, 100.0]))
            tensor([[  1.,  10., 100.],
                    [  2.,  20., 200.]], dtype=flowkit.float32)
        """

    @backend_method
    def trace(self) -> Tensor:
        """The sum of a 2-d matrix's diagonal (integers sum in int64).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([[1, 2, 3], [4, 5, 6]]).trace()
            tensor(6, dtype=flowkit.int64)
        """

    @backend_method
    def addmm(self, mat1: Tensor, mat2: Tensor, *, beta: float = 1, alpha: float = 1) -> Tensor:
        """``beta * self + alpha * (mat1 @ mat2)`` for 2-d ``mat1``, ``mat2``; ``self``
        broadcasts to the product's shape. With ``beta=0`` ``self`` is ignored (its NaN too),
        as in PyTorch.

        Examples:
            >>> import flowkit as flow
            >>> flow.ones(2, 2).addmm(flow.eye(2), flow.ones(2, 2), beta=0.5, alpha=2)
            tensor([[2.5000, 2.5000],
                    [2.5000, 2.5000]], dtype=flowkit.float32)
        """

    @backend_method
    def baddbmm(
        self, batch1: Tensor, batch2: Tensor, *, beta: float = 1, alpha: float = 1
    ) -> Tensor:
        """``beta * self + alpha * bmm(batch1, batch2)`` (3-d batches; ``beta=0`` ignores
        ``self``).

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(2, 1, 1).baddbmm(flow.ones(2, 1, 3), flow.ones(2, 3, 1)).flatten()
            tensor([3., 3.], dtype=flowkit.float32)
        """

    @backend_method
    def inverse(self) -> Tensor:
        """The inverse of a square matrix, or of each matrix of a batch ``(..., n, n)``. Its
        gradient is ``-inv.T @ g @ inv.T``.

        Raises:
            ArgumentValueError: a matrix is singular.
            ShapeError: not square. DTypeError: not floating point.

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([[2.0, 0.0], [0.0, 4.0]]).inverse()
            tensor([[0.5000, 0.0000],
                    [0.0000, 0.2500]], dtype=flowkit.float32)
        """

    @backend_method
    def cross(self, other: Tensor, dim: int | None = None) -> Tensor:
        """The cross product of 3-vectors along ``dim`` (operands broadcast). ``dim=None`` takes
        the first dimension of size 3, as OneFlow's and PyTorch's ``cross`` (PyTorch's
        ``linalg.cross`` takes -1 instead).

        Examples:
            >>> import flowkit as flow
            >>> flow.tensor([1.0, 0.0, 0.0]).cross(flow.tensor([0.0, 1.0, 0.0]))
            tensor([0., 0., 1.], dtype=flowkit.float32)
        """

    @backend_method
    def _einsum(self, subscripts: list[str], output: str, *others: Tensor) -> Tensor:
        """The backend's hook behind [`flowkit.einsum`][flowkit.ops.linalg.einsum] (not a public
        method): ``self`` and ``others`` with the checked explicit subscripts (no ``...``)."""


# ============================================================================ function forms
def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with PyTorch's rules (1-d operands, batch broadcasting).

    Examples:
        >>> import flowkit as flow
        >>> flow.matmul(flow.ones(4, 2), flow.ones(2, 1)).shape
        flowkit.Size([4, 1])
    """
    need_tensor("matmul", input)
    return _plugins.get().matmul(input, other)


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """The product of two 2-d matrices (PyTorch's and OneFlow's ``mm``: no 1-d or batch
    operands; [`matmul`][flowkit.ops.linalg.matmul] takes those).

    Examples:
        >>> import flowkit as flow
        >>> flow.mm(flow.ones(4, 2), flow.ones(2, 3)).shape
        flowkit.Size([4, 3])
    """
    need_tensor("mm", input)
    return input.mm(mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product of 3-d tensors with the same batch size.

    Examples:
        >>> import flowkit as flow
        >>> flow.bmm(flow.ones(2, 3, 4), flow.ones(2, 4, 1)).shape
        flowkit.Size([2, 3, 1])
    """
    need_tensor("bmm", input)
    return input.bmm(mat2)


def dot(input: Tensor, other: Tensor) -> Tensor:
    """The inner product of two 1-d tensors.

    Examples:
        >>> import flowkit as flow
        >>> flow.dot(flow.tensor([1.0, 2.0]), flow.tensor([3.0, 4.0]))
        tensor(11., dtype=flowkit.float32)
    """
    need_tensor("dot", input)
    return input.dot(other)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """The outer product of two 1-d tensors.

    Examples:
        >>> import flowkit as flow
        >>> flow.outer(flow.tensor([1, 2]), flow.tensor([3, 4])).tolist()
        [[3, 4], [6, 8]]
    """
    need_tensor("outer", input)
    return input.outer(vec2)


def trace(input: Tensor) -> Tensor:
    """The sum of a 2-d matrix's diagonal.

    Examples:
        >>> import flowkit as flow
        >>> flow.trace(flow.tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor(5., dtype=flowkit.float32)
    """
    need_tensor("trace", input)
    return input.trace()


def addmm(
    input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: float = 1, alpha: float = 1
) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)`` (2-d ``mat1`` and ``mat2``).

    Examples:
        >>> import flowkit as flow
        >>> flow.addmm(flow.ones(2), flow.eye(2), flow.eye(2), alpha=3).tolist()
        [[4.0, 1.0], [1.0, 4.0]]
    """
    need_tensor("addmm", input)
    return input.addmm(mat1, mat2, beta=beta, alpha=alpha)


def baddbmm(
    input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: float = 1, alpha: float = 1
) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``.

    Examples:
        >>> import flowkit as flow
        >>> flow.baddbmm(flow.ones(1, 2, 2), flow.ones(3, 2, 1), flow.ones(3, 1, 2), beta=0).shape
        flowkit.Size([3, 2, 2])
    """
    need_tensor("baddbmm", input)
    return input.baddbmm(batch1, batch2, beta=beta, alpha=alpha)


def inverse(input: Tensor) -> Tensor:
    """The inverse of a square matrix (or of each of a batch).

    Examples:
        >>> import flowkit as flow
        >>> flow.inverse(flow.tensor([[1.0, 1.0], [0.0, 1.0]]))
        tensor([[ 1., -1.],
                [ 0.,  1.]], dtype=flowkit.float32)
    """
    need_tensor("inverse", input)
    return input.inverse()


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (``None``: the first dimension of size 3).

    Examples:
        >>> import flowkit as flow
        >>> flow.cross(flow.tensor([[0.0, 1.0, 0.0]]), flow.tensor([[0.0, 0.0, 1.0]]), dim=1)
        tensor([[1., 0., 0.]], dtype=flowkit.float32)
    """
    need_tensor("cross", input)
    return input.cross(other, dim)


def einsum(equation: str, *operands: Tensor) -> Tensor:
    """Sums of products named by subscripts, as ``numpy.einsum``/``torch.einsum``:
    ``"ij,jk->ik"`` is a matrix product, ``"ii"`` a trace, ``"bij->bji"`` a transpose;
    ``...`` stands for the remaining dimensions, and without ``->`` the output is the letters
    used once, in alphabetical order. The operands may also come as one list. All must have
    the same dtype; a letter's dimensions must have one size (no broadcasting of size-1
    dimensions, unlike PyTorch).

    Raises:
        ArgumentValueError: a malformed equation, or the wrong number of operands.
        ShapeError: the operands' shapes do not fit the equation.
        DTypeError: the operands' dtypes differ.

    Examples:
        >>> import flowkit as flow
        >>> a = flow.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        >>> flow.einsum("ij,jk->ik", a, flow.eye(2)).tolist(), flow.einsum("ii", a).item()
        ([[1.0, 2.0], [3.0, 4.0]], 5.0)
        >>> flow.einsum("ij->j", a).sum().backward()
        >>> a.grad.tolist()
        [[1.0, 1.0], [1.0, 1.0]]
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ArgumentValueError("einsum: needs at least one operand")
    for i, t in enumerate(operands):
        need_tensor("einsum", t) if i == 0 else _need_operand("einsum", t, i)
    subs, out = einsum_parse(equation, [tuple(t.shape) for t in operands])
    dts = {t.dtype for t in operands}
    if len(dts) > 1:
        raise DTypeError(
            f"einsum: all operands must have the same dtype, got {sorted(map(repr, dts))}; "
            "convert them with .to(...)"
        )
    return operands[0]._einsum(subs, out, *operands[1:])


def tensordot(a: Tensor, b: Tensor, dims=2) -> Tensor:
    """Contract the last ``dims`` dimensions of ``a`` with the first ``dims`` of ``b`` (or the
    dims in the pair of lists ``dims``), through [`einsum`][flowkit.ops.linalg.einsum].

    Examples:
        >>> import flowkit as flow
        >>> flow.tensordot(flow.ones(2, 3, 4), flow.ones(3, 4, 5)).shape
        flowkit.Size([2, 5])
        >>> flow.tensordot(flow.ones(3, 2), flow.ones(4, 3), dims=([0], [1])).shape
        flowkit.Size([2, 4])
    """
    need_tensor("tensordot", a)
    _need_operand("tensordot", b, 1)
    return einsum(tensordot_equation(a.dim(), b.dim(), dims), a, b)


def _need_operand(op: str, t, i: int) -> None:
    from ..tensor import Tensor

    if not isinstance(t, Tensor):
        err = foreign_array_error(op, t, f"operand {i}")
        raise (
            err
            if err is not None
            else ArgumentTypeError(
                f"{op}: operand {i} must be a flowkit tensor, got {type(t).__name__}; make one "
                "with flowkit.tensor(...)"
            )
        )
