"""``default_collate`` / ``default_convert``, and the numpy "wire" form samples travel in from
worker processes.

Collation is written once over a *leaf stacker*, so that merging a batch of samples that came from
workers as numpy arrays (`_Wire`) gives exactly what merging the same samples as tensors
gives, while making one tensor per batch (one host-to-device copy on CUDA) instead of one per
sample.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ... import _creation, _plugins
from ... import dtypes as _dt
from ...errors import ArgumentTypeError, DTypeError, ShapeError, shape_str
from ...tensor import Tensor


class _Wire:
    """A tensor on its way from a worker process: its values as a host numpy array."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray) -> None:
        self.array = array

    def __getstate__(self):
        return self.array

    def __setstate__(self, state) -> None:
        self.array = state


def to_wire(obj: Any) -> Any:
    """``obj`` with every flowkit tensor replaced by a `_Wire` (done in the worker)."""
    if isinstance(obj, Tensor):
        return _Wire(np.asarray(obj.numpy(), order="C"))  # numpy(): detached, on the host
    if isinstance(obj, (str, bytes, np.ndarray)):
        return obj
    if isinstance(obj, Mapping):
        return _rebuild_mapping(obj, {k: to_wire(v) for k, v in obj.items()})
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # namedtuple
        return type(obj)(*(to_wire(v) for v in obj))
    if isinstance(obj, (list, tuple)):
        return (
            type(obj)(to_wire(v) for v in obj)
            if type(obj) in (list, tuple)
            else _rebuild_sequence(obj, [to_wire(v) for v in obj])
        )
    return obj


def from_wire(obj: Any) -> Any:
    """``obj`` with every `_Wire` made a tensor on the backend's default device (done in
    the main process)."""
    if isinstance(obj, _Wire):
        # the array arrived by pickle and belongs to nobody else: the backend may keep it
        return _plugins.get().from_numpy(obj.array, None, False, share=True)
    if isinstance(obj, (str, bytes, np.ndarray, Tensor)):
        return obj
    if isinstance(obj, Mapping):
        return _rebuild_mapping(obj, {k: from_wire(v) for k, v in obj.items()})
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(from_wire(v) for v in obj))
    if isinstance(obj, (list, tuple)):
        return (
            type(obj)(from_wire(v) for v in obj)
            if type(obj) in (list, tuple)
            else _rebuild_sequence(obj, [from_wire(v) for v in obj])
        )
    return obj


def _rebuild_mapping(like: Mapping, items: dict) -> Mapping:
    if type(like) is dict:
        return items
    cls: Any = type(like)  # a concrete mapping type; its constructor may take a dict, or not
    try:
        return cls(items)  # OrderedDict and friends keep their type
    except TypeError:  # a mapping type whose constructor takes something else
        return items


def _rebuild_sequence(like: Sequence, items: list) -> Sequence:
    cls: Any = type(like)  # a concrete sequence type; its constructor may take a list, or not
    try:
        return cls(items)
    except TypeError:
        return items


def _promote(dtypes) -> _dt.dtype:
    return functools.reduce(_dt.result_type, dtypes)


def _check_shapes(shapes: list[tuple], what: str) -> None:
    first = shapes[0]
    for i, s in enumerate(shapes):
        if s != first:
            raise ShapeError(
                f"default_collate: cannot stack {what}s of different shapes: "
                f"{shape_str(first)} in sample 0 but {shape_str(s)} in sample {i}. Make the "
                "samples one shape (pad or crop), or pass a collate_fn that merges them"
            )


def _stack_arrays(arrays: list[np.ndarray], what: str) -> np.ndarray:
    _check_shapes([a.shape for a in arrays], what)
    d = _promote([_dt.from_numpy_dtype(a.dtype) for a in arrays])  # flowkit's promotion rules
    return np.stack([a if a.dtype == d.np else a.astype(d.np) for a in arrays])


def _stack_tensors(tensors: list[Tensor]) -> Tensor:
    _check_shapes([tuple(t.shape) for t in tensors], "tensor")
    import flowkit

    stack = getattr(flowkit, "stack", None)
    if stack is not None:  # the backend's own stack keeps the device (and autograd)
        d = _promote([t.dtype for t in tensors])
        return stack([t if t.dtype is d else t.to(d) for t in tensors], 0)
    arr = _stack_arrays([t.numpy() for t in tensors], "tensor")
    return _plugins.get().from_numpy(arr, tensors[0].device, False, share=True)


def _from_host(arr: np.ndarray, wire: bool):
    return _Wire(arr) if wire else _plugins.get().from_numpy(arr, None, False, share=True)


def _kind_name(x: Any) -> str:
    """A sample's type as a collate message names it."""
    if isinstance(x, (Tensor, _Wire)):
        return "a tensor"
    if isinstance(x, np.ndarray):
        return "a numpy array"
    if isinstance(x, (bool, int, float, np.generic)):
        return f"a number ({type(x).__name__})"
    return "None" if x is None else f"a {type(x).__name__}"


def sample_type_error(batch: Sequence, i: int, where: tuple) -> ArgumentTypeError:
    """Sample ``i`` of ``batch`` (at field ``where`` of each sample: keys and positions) is
    None, or of another type than sample 0 there: the message names the sample, the field and
    the fix.

    Examples:
        >>> from flowkit.utils.data._collate import sample_type_error
        >>> print(sample_type_error([1.0, None], 1, (0, "label")))
        default_collate: sample 1 is None at field [0]['label'], where sample 0 has a number ...
    """
    field = "".join(f"[{k!r}]" for k in where)
    at = f" at field {field}" if field else ""
    got, first = batch[i], batch[0]
    if i == 0:
        return ArgumentTypeError(
            f"default_collate: sample 0 is None{at}; a batch merges tensors, numpy arrays, "
            "numbers, strings, and dicts, lists and tuples of those: make the dataset return "
            "a value there, or pass a collate_fn that handles None"
        )
    fix = (
        "make the dataset return a value there (one of the same type), or pass a collate_fn "
        "that handles None (one that drops such samples, say)"
        if got is None
        else "every sample needs the same types, field by field (or pass a collate_fn that "
        "merges them)"
    )
    return ArgumentTypeError(
        f"default_collate: sample {i} is {_kind_name(got)}{at}, where sample 0 has "
        f"{_kind_name(first)}; {fix}"
    )


def _mismatch(batch: Sequence, where: tuple, *types) -> ArgumentTypeError | None:
    """The error for the first sample that is not one of ``types``, or None (all are)."""
    for i, b in enumerate(batch):
        if not isinstance(b, types):
            return sample_type_error(batch, i, where)
    return None


def _collate(batch: Sequence, wire: bool, where: tuple = ()) -> Any:
    if not isinstance(batch, Sequence) or isinstance(batch, (str, bytes)):
        raise TypeError(f"default_collate expects a list of samples, got {type(batch).__name__}")
    if not batch:
        raise ValueError("default_collate got an empty batch")
    elem = batch[0]
    if isinstance(elem, _Wire if wire else Tensor):
        try:
            if wire:
                return _Wire(_stack_arrays([b.array for b in batch], "tensor"))
            return _stack_tensors(list(batch))
        except (AttributeError, TypeError):
            err = _mismatch(batch, where, _Wire if wire else Tensor)
            if err is None:
                raise
            raise err from None
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "OUSV":
            raise TypeError(
                f"default_collate: numpy arrays of dtype {elem.dtype} cannot become "
                "tensors; convert them to numbers or pass a collate_fn"
            )
        try:
            return _from_host(_stack_arrays(list(batch), "numpy array"), wire)
        except (AttributeError, TypeError):
            err = _mismatch(batch, where, np.ndarray)
            if err is None:
                raise
            raise err from None
    if isinstance(elem, np.generic):  # numpy scalars keep their dtype (np.float64 -> float64)
        arr = np.stack([np.asarray(b) for b in batch])
        err = _mismatch(batch, where, np.generic, int, float) if arr.dtype.kind == "O" else None
        if err is not None:
            raise err
        return _from_host(arr, wire)
    if isinstance(elem, (bool, int, float)):  # Python numbers: flowkit.tensor's inference
        try:
            return _from_host(_creation._infer_array(list(batch)), wire)
        except (DTypeError, ShapeError):
            err = _mismatch(batch, where, int, float, np.generic)
            if err is None:
                raise
            raise err from None
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, Mapping):
        keys = list(elem)
        for i, b in enumerate(batch):
            if not isinstance(b, Mapping):
                raise sample_type_error(batch, i, where)
            if set(b) != set(keys):
                raise ValueError(
                    f"default_collate: sample {i} has keys {sorted(map(str, b))}, sample 0 has "
                    f"{sorted(map(str, keys))}; every sample needs the same keys"
                )
        return _rebuild_mapping(
            elem, {k: _collate([b[k] for b in batch], wire, (*where, k)) for k in keys}
        )
    if isinstance(elem, Sequence):
        n = len(elem)
        for i, b in enumerate(batch):
            try:
                nb = len(b)
            except TypeError:
                raise sample_type_error(batch, i, where) from None
            if nb != n:
                raise ShapeError(
                    f"default_collate: sample 0 has {n} fields but sample {i} has "
                    f"{nb}; every sample needs the same structure"
                )
        columns = [_collate(list(col), wire, (*where, j)) for j, col in enumerate(zip(*batch))]
        if isinstance(elem, tuple) and hasattr(elem, "_fields"):
            return type(elem)(*columns)
        elem_type: Any = type(elem)  # exactly list or tuple below, which mypy cannot tell
        if elem_type in (list, tuple):
            return elem_type(columns)
        return _rebuild_sequence(elem, columns)
    if elem is None:
        raise sample_type_error(batch, 0, where)
    raise TypeError(
        f"default_collate: cannot merge samples of type {type(elem).__name__}; it "
        "merges tensors, numpy arrays, numbers, strings, and dicts, lists and tuples "
        "of those. Pass collate_fn= to merge other types"
    )


def default_collate(batch: Sequence) -> Any:
    """Merge a list of samples into a batch, the way [`DataLoader`][flowkit.utils.data.DataLoader]
    does by default.

    * tensors are stacked along a new first dimension (shapes must match);
    * numpy arrays and numpy scalars become stacked tensors, keeping their dtype;
    * Python numbers become one tensor with flowkit's dtype rules (ints ``int64``, floats
      ``float32``, bools ``bool``);
    * strings and bytes are kept as a list;
    * dicts, lists, tuples and namedtuples are merged field by field and keep their type.

    Args:
        batch: the samples, as a list.

    Returns:
        The batch, with the structure of one sample.

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.utils.data import default_collate
        >>> default_collate([(flow.zeros(2), 1), (flow.ones(2), 0)])
        (tensor([[0., 0.],
                [1., 1.]], dtype=flowkit.float32), tensor([1, 0], dtype=flowkit.int64))
        >>> default_collate([{"x": 0.5, "name": "a"}, {"x": 1.5, "name": "b"}])
        {'x': tensor([0.5000, 1.5000], dtype=flowkit.float32), 'name': ['a', 'b']}
    """
    return _collate(batch, wire=False)


def default_convert(data: Any) -> Any:
    """Turn numpy arrays inside ``data`` into tensors, leaving everything else as it is; the
    loader's ``collate_fn`` when ``batch_size=None`` (no batching).

    Examples:
        >>> import numpy as np, flowkit as flow
        >>> flow.utils.data.default_convert({"x": np.zeros(2), "label": 3})
        {'x': tensor([0., 0.], dtype=flowkit.float64), 'label': 3}
    """
    if isinstance(data, np.ndarray):
        if data.dtype.kind in "OUSV":
            return data
        return _plugins.get().from_numpy(np.array(data), None, False, share=True)
    if isinstance(data, np.generic) and data.dtype.kind not in "OUSV":
        return _plugins.get().from_numpy(np.array(data), None, False, share=True)
    if isinstance(data, (str, bytes, Tensor)):
        return data
    if isinstance(data, Mapping):
        return _rebuild_mapping(data, {k: default_convert(v) for k, v in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(v) for v in data))
    if isinstance(data, (list, tuple)):
        return (
            type(data)(default_convert(v) for v in data)
            if type(data) in (list, tuple)
            else _rebuild_sequence(data, [default_convert(v) for v in data])
        )
    return data
