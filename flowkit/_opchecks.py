"""Argument rules and error messages for shape ops (and a few dtype rules), shared by every
backend.

A backend runs its kernel first and calls these only when the kernel fails (or, for the few ops
whose sizes must be known first, ``split``/``chunk``/``expand`` on numpy), so the success path
stays one kernel call while the message a user sees is the same text on every backend.
"""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from .errors import AutogradError, DTypeError, ShapeError, shape_str
from .tensor import Tensor


def tensor_sequence(op: str, tensors) -> list:
    """``tensors`` as a list of flowkit tensors, or the error naming what is wrong."""
    if isinstance(tensors, Tensor) or not hasattr(tensors, "__iter__"):
        raise TypeError(f"{op}: expected a sequence (list or tuple) of flowkit tensors, "
                        f"got {type(tensors).__name__}")
    ts = list(tensors)
    if not ts:
        raise ValueError(f"{op}: expected a non-empty sequence of tensors")
    for i, t in enumerate(ts):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: element {i} is a {type(t).__name__}, not a flowkit tensor; "
                            "make it one with flowkit.tensor(...)")
    return ts


def dim_out_of_range(dim: int, ndim: int) -> IndexError:
    return IndexError(f"dimension {dim} is out of range for a {ndim}-d tensor")


def one_dim(op: str, dim, ndim: int) -> int:
    """A single dimension (not a tuple), normalised; 0-d tensors take 0 and -1."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}(): dim must be a single int, got {type(dim).__name__}")
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise dim_out_of_range(int(dim), ndim)
    return int(dim) % n


# ------------------------------------------------------------------------------------ shapes
def sizes_arg(sizes) -> tuple:
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` (and a Size) all mean the sizes (2, 3)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    return tuple(int(s) for s in sizes)


def expand_shape(shape, sizes: tuple) -> tuple:
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


def split_sizes(n: int, split_size_or_sections, dim: int) -> list:
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
        raise TypeError(f"split: split_size_or_sections must be an int or a list of ints, got "
                        f"{type(s).__name__}") from None
    if any(x < 0 for x in sections) or sum(sections) != n:
        raise ShapeError(
            f"split: sections {sections} add up to {sum(sections)}, but dimension {dim} has "
            f"size {n}; they must add up to it exactly"
        )
    return sections


def chunk_sizes(n: int, chunks) -> list:
    """``chunk``'s piece sizes, as PyTorch: pieces of ceil(n / chunks), so there may be fewer."""
    if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)) or chunks <= 0:
        raise ShapeError(f"chunk: chunks must be a positive integer, got {chunks!r}")
    if n == 0:
        return [0] * int(chunks)
    return split_sizes(n, -(-n // int(chunks)), 0)


def cat_kept(shapes) -> list:
    """Indices of the tensors ``cat`` joins: 1-d empty tensors are skipped, as in PyTorch (so
    ``cat([flowkit.tensor([]), x])`` works for any ``x``)."""
    kept = [i for i, s in enumerate(shapes) if tuple(s) != (0,)]
    return kept or list(range(len(shapes)))


def cat_error(shapes, dim) -> Exception | None:
    """Why ``cat`` cannot join tensors of these shapes along ``dim`` (None: nothing wrong)."""
    kept = cat_kept(shapes)
    for i in kept:
        if len(shapes[i]) == 0:
            return ShapeError(f"cat: tensor {i} is 0-d and cannot be concatenated; use "
                              "flowkit.stack to join scalars, or reshape them to 1-d first")
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
        return IndexError(f"stack: dimension {dim} is out of range: tensors of shape "
                          f"{shape_str(s0)} stack at a dimension from {-nd} to {nd - 1}")
    return None


# ------------------------------------------------------------------------------------ indexing
def _as_index_array(k):
    if isinstance(k, Tensor):
        return k.numpy()
    if isinstance(k, (list, np.ndarray)):
        try:
            return np.asarray(k)
        except ValueError:
            return None
    return None


def freed_graph_error() -> AutogradError:
    """A backward through a graph whose saved values the first backward freed (every backend)."""
    return AutogradError(
        "backward through the graph a second time: its saved values were freed after the first "
        "backward. Pass retain_graph=True to the first backward() if you need to call it again"
    )


def index_error(key, shape) -> IndexError:
    """The error for ``t[key]`` on a tensor of ``shape``, naming the part of ``key`` at fault."""
    shape = tuple(shape)
    items = key if isinstance(key, tuple) else (key,)
    widths = []
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
                what = (f"a tensor or list of {arr.dtype}" if arr is not None
                        else f"a {type(k).__name__}")
                return IndexError(
                    f"index {key!r}: indices must be integers, slices (:), ellipsis (...), None, "
                    f"or integer or bool tensors (or lists), not {what}"
                )
            widths.append(arr.ndim if arr.dtype.kind == "b" else 1)
    used = sum(w for w in widths if w is not None)
    if used > len(shape):
        return IndexError(f"too many indices for a tensor of shape {shape_str(shape)}: "
                          f"{used} dimensions indexed, the tensor has {len(shape)}")
    d = 0
    for k, w in zip(items, widths):
        if w is None:
            d += len(shape) - used
            continue
        if isinstance(k, (int, np.integer)) and not isinstance(k, bool):
            n = shape[d]
            if not -n <= k < n:
                return IndexError(f"index {int(k)} is out of range for dimension {d} of size "
                                  f"{n} (shape {shape_str(shape)})")
        elif w and not isinstance(k, slice):
            arr = _as_index_array(k)
            if arr.dtype.kind == "b":
                part = shape[d:d + arr.ndim]
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
                    return IndexError(f"index {int(bad.reshape(-1)[0])} is out of range for "
                                      f"dimension {d} of size {n} (shape {shape_str(shape)})")
        d += w
    return IndexError(f"index {key!r} is not valid for a tensor of shape {shape_str(shape)}")


def assign_error(value_shape, slot_shape) -> ShapeError:
    return ShapeError(
        f"item assignment: a value of shape {shape_str(value_shape)} cannot be broadcast to the "
        f"indexed part of shape {shape_str(slot_shape)}"
    )


def expanded_write_error(op: str) -> ShapeError:
    return ShapeError(
        f"{op}: this tensor was made by expand, so several of its elements share one memory "
        "location and cannot be written separately; call .clone() first"
    )


def view_write_error(op: str) -> AutogradError:
    """An in-place write into a view inside a graph (flowkit does not rebase views' history)."""
    return AutogradError(
        f"{op}: in-place write into a view of a tensor that is part of a graph is not supported "
        "by flowkit; clone() the view, or do the write under flowkit.no_grad()"
    )


def duplicate_dims_error(dims) -> ShapeError:
    return ShapeError(f"dims {tuple(dims)} name the same dimension more than once; list each "
                      "dimension once")


def normalize_dims(dim, ndim: int):
    """``dim`` (an int, a sequence or None) as a tuple of non-negative dims; a clear error for one
    out of range. A 0-d tensor accepts dim 0 and -1, as in PyTorch."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"dimension {d} is out of range for a {ndim}-d tensor")
        out.append(d % max(ndim, 1))
    return tuple(out)


def reduction_dims(dim, ndim: int):
    """:func:`normalize_dims` for a reduction, where naming one dimension twice is an error."""
    out = normalize_dims(dim, ndim)
    if out is not None and len(out) > 1 and len(set(out)) < len(out):
        raise duplicate_dims_error(dim)
    return out


# ------------------------------------------------------------------------------------ dtypes
# PyTorch refuses these (a backend checks only where the dtype is unusual: bool or integer
# operands, or inside the except of a failed kernel), and the message is the same on every backend

def operand_name(v) -> str:
    """An operand as an error message names it: a dtype, a tensor's dtype or a Python number."""
    if isinstance(v, _dt.dtype):
        return repr(v)
    if isinstance(v, Tensor):
        return repr(v.dtype)
    return f"a Python {type(v).__name__}"


def is_bool_operand(v) -> bool:
    """A bool tensor, True or False (numpy's bool too)."""
    return (v.dtype is _dt.bool if isinstance(v, Tensor) else
            isinstance(v, (bool, np.bool_)))


def bool_unary_error(op: str) -> DTypeError:
    """floor/ceil/round/relu/neg of a bool tensor (PyTorch has no kernel for it)."""
    if op == "neg":
        return DTypeError("neg (-x): not defined for bool tensors; to invert a mask use ~x or "
                          "x.logical_not(), otherwise convert with .int() or .float() first")
    return DTypeError(f"{op}: not defined for bool tensors; convert with .int() or .float() "
                      "first")


def bool_sub_error(op: str, a, b) -> DTypeError:
    """Subtraction with a bool operand (a bool tensor, True or False), as in PyTorch. ``a`` and
    ``b``: the operands in the user's order (tensors, dtypes or numbers)."""
    na, nb = operand_name(a), operand_name(b)
    both = all(n in ("flowkit.bool", "a Python bool") for n in (na, nb))
    fix = ("for two masks use ^ (logical_xor)" if both else
           "to invert a mask use ~x or x.logical_not()")
    sym = "-=" if op.endswith("_") else "-"
    return DTypeError(f"{op} ({sym}) does not take bool operands, got {na} and {nb}; {fix}, "
                      "otherwise convert with .int() or .float() first")


def negative_power_error(dtype, exponent) -> DTypeError:
    """An integer (or bool) tensor to a negative Python int power, as in PyTorch (a tensor of
    exponents is fine: 1 -> 1, -1 -> +-1, others -> 0)."""
    return DTypeError(f"pow (**): integers to negative integer powers are not allowed, got a "
                      f"{operand_name(dtype)} tensor to the power {exponent}; use a float "
                      f"exponent ({float(exponent)!r}) or convert with .float() first")


def named_operator(name: str, method):
    """A named method (``x.maximum(y)``) over an operator's implementation: an operand the
    operator leaves to Python (``NotImplemented``) is a TypeError here."""

    def named(self, other):
        out = method(self, other)
        if out is NotImplemented:
            raise TypeError(f"{name}: expected a flowkit tensor or a number, got "
                            f"{type(other).__name__}")
        return out

    named.__name__ = name
    return named
