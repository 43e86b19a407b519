"""Indexing and selection on the torch backend (the contract and the rules:
:mod:`flowkit.ops.indexing`): ``t[key]``, ``t[key] = value``, ``where``, ``masked_fill``.

torch has no negative-step slices; they are rewritten as forward slices plus a flip, so keys
behave as numpy's (and the numpy backend's) do.
"""

from __future__ import annotations

import numpy as np
import torch

from flowkit.ops.indexing import (
    assign_error,
    index_error,
    mask_error,
    mask_shape_error,
    mask_value_error,
    scatter_check,
    where_condition_error,
    where_shape_error,
)
from flowkit.ops.inplace import expanded_write_error, leaf_error, view_write_error

from .arithmetic import _as_tensor, _operand
from .define import TorchTensorBase, _device_error, _wrap


def _index(key):
    """Tensors inside an index become torch tensors (ints, bool masks); a list is one index
    array, as in numpy (torch would read a list of lists as a tuple)."""
    if isinstance(key, TorchTensorBase):
        return key._t
    if isinstance(key, tuple):
        return tuple(k._t if isinstance(k, TorchTensorBase) else k for k in key)
    if isinstance(key, list):
        return torch.as_tensor(np.asarray(key))
    return key


def _key_widths(items, ndim: int):
    """How many input dimensions each index item consumes (Ellipsis: the rest)."""
    widths: list[int | None] = []
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
            raise IndexError(
                "assignment through a negative-step slice together with tensor or "
                "list indices is not supported on the torch backend; flip the "
                "value instead (value.flip(dim)) and use a forward slice"
            )
        d += w
    return tuple(items), flips


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
            raise index_error(key, t.shape) from None
        raise
    except RuntimeError as exc:
        try:
            slot = t[idx].shape
        except (IndexError, TypeError, ValueError, RuntimeError):
            raise index_error(key, t.shape) from None
        if isinstance(v, torch.Tensor):
            if v.device != t.device:
                raise _device_error("item assignment", t, v) from None
            try:
                torch.broadcast_to(torch.empty(v.shape, device="meta"), slot)
            except RuntimeError:
                raise assign_error(tuple(v.shape), tuple(slot)) from None
        raise _write_error("item assignment", exc) from None


def where(condition, x, y) -> TorchTensorBase:
    """``x`` where ``condition`` is true, else ``y``; broadcasting, numbers allowed for x, y."""
    if not isinstance(condition, TorchTensorBase):
        raise where_condition_error(condition)
    c = condition._t
    if c.dtype is not torch.bool:  # OneFlow's rule: a non-zero value is true
        c = c != 0
    xo, yo = _operand(x, "where"), _operand(y, "where")
    try:
        out = torch.where(c, xo, yo)
    except RuntimeError as exc:
        shapes = [tuple(c.shape)] + [
            tuple(o.shape) if isinstance(o, torch.Tensor) else () for o in (xo, yo)
        ]
        try:
            torch.broadcast_shapes(*shapes)
        except RuntimeError:
            raise where_shape_error(*shapes) from None
        for o in (xo, yo):
            if isinstance(o, torch.Tensor) and o.device != c.device:
                raise _device_error("where", c, o) from None
        raise exc
    return _wrap(out, "where")


def _masked_fill(x: TorchTensorBase, mask, value) -> torch.Tensor:
    if not isinstance(mask, TorchTensorBase) or mask._t.dtype is not torch.bool:
        raise mask_error(mask)
    t, m = x._t, mask._t
    v: torch.Tensor | float | int | bool
    if isinstance(value, TorchTensorBase):
        if value._t.dim():
            raise mask_value_error(value._t.shape)
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
            raise mask_shape_error(m.shape, t.shape) from None
        if m.device != t.device:
            raise _device_error("masked_fill", t, m) from None
        raise exc


def _write_error(op: str, exc: Exception) -> Exception:
    if "single memory location" in str(exc):  # writing into an expanded tensor
        return expanded_write_error(op)
    return exc


class TorchIndexing(TorchTensorBase):
    """The indexing and selection methods of ``TorchTensor``."""

    __slots__ = ()

    def __getitem__(self, key) -> TorchTensorBase:
        t = self._t
        try:
            out = t[_index(key)]
        except (IndexError, TypeError, ValueError, RuntimeError) as exc:
            if isinstance(exc, ValueError) and _has_negative_step(key):
                try:
                    return _wrap(_negative_step_getitem(t, _index(key)), "getitem")
                except (IndexError, TypeError, ValueError, RuntimeError):
                    pass
            raise index_error(key, t.shape) from None
        return _wrap(out, "getitem")

    def __setitem__(self, key, value) -> None:
        t = self._t
        try:
            idx = _index(key)
        except ValueError:
            raise index_error(key, t.shape) from None
        if isinstance(value, TorchTensorBase):
            v = value._t
            if v.dtype != t.dtype:
                v = v.to(t.dtype)  # torch's index_put wants one dtype; numpy casts on write
        elif isinstance(value, (np.ndarray, list, tuple)):
            v = torch.as_tensor(np.asarray(value), dtype=t.dtype, device=t.device)
        else:
            v = value
        v_rg = isinstance(v, torch.Tensor) and v.requires_grad
        if not ((t.requires_grad or v_rg) and torch.is_grad_enabled()):
            if (
                0 in t.stride()
                and t.numel() > 1
                and any(s == 0 and n > 1 for s, n in zip(t.stride(), t.shape))
            ):
                # made by expand: elements share memory (the numpy backend's view is read-only)
                raise expanded_write_error("item assignment")
            with torch.no_grad():
                _assign(t, key, idx, v)
            return
        if t.requires_grad and t.is_leaf:
            raise leaf_error("item assignment")
        if t._base is not None:  # rebinding would leave the view's base unchanged
            raise view_write_error("item assignment")
        # as on numpy: write into a copy, so values saved by earlier ops stay as they were
        t = t.clone()
        _assign(t, key, idx, v)
        self._t, self._op = t, "setitem"

    def where(self, condition, y) -> TorchTensorBase:
        return where(condition, self, y)

    def scatter_add(self, dim, index, src) -> TorchTensorBase:
        if not isinstance(src, TorchTensorBase):
            raise TypeError(f"scatter_add: src must be a flowkit tensor, got {type(src).__name__}")
        t, s = self._t, src._t
        if s.dtype != t.dtype:
            from flowkit.errors import DTypeError

            raise DTypeError(
                f"scatter_add: src has dtype {src.dtype!r} but the tensor has {self.dtype!r}; "
                "convert src with .to(dtype)"
            )
        d, _ = scatter_check("scatter_add", t.shape, dim, index, s.shape)
        i = index._t.to(torch.int64)
        if s.device != t.device:
            raise _device_error("scatter_add", t, s)
        if s.shape != i.shape:  # only src[:index.shape] is read (torch's gradient would not fit)
            s = s[tuple(slice(0, n) for n in i.shape)]
        return _wrap(torch.scatter_add(t, d, i.to(t.device), s), "scatter_add")

    def masked_fill(self, mask, value) -> TorchTensorBase:
        return _wrap(_masked_fill(self, mask, value), "masked_fill")
