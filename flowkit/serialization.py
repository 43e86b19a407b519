"""``flowkit.save`` / ``flowkit.load``: checkpoints as safetensors files, never pickles.

A checkpoint is one safetensors file. Every tensor (and numpy array) is a safetensors tensor, named
``"0"``, ``"1"``, ...; everything around them (dict/list/tuple nesting, ints, floats, strings,
bools, ``None``, dict keys, which leaf is a tensor and with which dtype) is a JSON document kept in
the file's metadata under the key ``"flowkit"``. Loading parses JSON and copies bytes: it never
unpickles, so a checkpoint from a stranger cannot run code. The tensors are stored as numpy
arrays, so a checkpoint written by one backend (numpy, torch on CPU or CUDA) loads on any other.

The JSON document (format version 1) encodes a value as itself when it is ``None``, a bool, an
int, a float or a string, and as a one-key object otherwise::

    {"tensor": "0", "dtype": "float32", "shape": [2, 3], "requires_grad": false,
     "parameter": false, "device": "cpu:0"}       # a flowkit tensor (the file's tensor "0")
    {"ndarray": "1"}  /  {"npscalar": "2"}         # a numpy array / numpy scalar
    {"list": [...]}  /  {"tuple": [...]}           # sequences (the type is kept)
    {"dict": [[key, value], ...]}                  # dicts, keys encoded the same way
    {"odict": [[key, value], ...]}                 # collections.OrderedDict (state dicts)
    {"dtype": "float32"}  /  {"device": "cuda:0"}  # flowkit dtypes and devices
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections import OrderedDict
from typing import Any, BinaryIO

import numpy as np

from . import _plugins
from . import dtypes as _dt
from .device import as_device
from .device import device as _device
from .errors import SerializationError
from .tensor import Tensor

__all__ = ["save", "load"]

_FORMAT = "flowkit.checkpoint"
_VERSION = 1
_META_KEY = "flowkit"
_MAX_HEADER = 100_000_000  # safetensors' own limit on the JSON header

_PathLike = str | os.PathLike
_SCALARS = (type(None), bool, int, float, str)


# ---------------------------------------------------------------------------------- encoding
class _Encoder:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._memo: dict[int, tuple[str, Any]] = {}  # id(tensor) -> (name, tensor): stored once
        self._active: set[int] = set()  # containers on the current path, to refuse cycles

    def _store(self, obj, array: np.ndarray) -> str:
        hit = self._memo.get(id(obj))
        if hit is not None:
            return hit[0]
        name = str(len(self.arrays))
        # safetensors writes raw bytes: make them C-ordered and native-endian
        array = np.asarray(array, order="C")  # (ascontiguousarray would make 0-d arrays 1-d)
        if not array.dtype.isnative:
            array = array.astype(array.dtype.newbyteorder("="))
        self.arrays[name] = array
        self._memo[id(obj)] = (name, obj)  # keep obj alive so its id stays unique
        return name

    def encode(self, obj: Any, where: str) -> Any:
        if isinstance(obj, np.generic):  # before the scalars: np.float64 subclasses float
            self._check_np_dtype(obj.dtype, where)
            return {"npscalar": self._store(obj, np.asarray(obj))}
        if isinstance(obj, _SCALARS):
            if obj is None or isinstance(obj, bool):
                return obj
            # subclasses (IntEnum, numpy-free str subclasses) are stored as the plain type
            return (
                int(obj)
                if isinstance(obj, int)
                else float(obj)
                if isinstance(obj, float)
                else str(obj)
            )
        if isinstance(obj, Tensor):
            return self._tensor(obj, where)
        if isinstance(obj, np.ndarray):
            self._check_np_dtype(obj.dtype, where)
            return {"ndarray": self._store(obj, obj)}
        if isinstance(obj, _dt.dtype):
            return {"dtype": obj.name}
        if isinstance(obj, _device):
            return {"device": str(obj)}
        if isinstance(obj, (dict, list, tuple)):
            if id(obj) in self._active:
                raise SerializationError(
                    f"flowkit.save: {where} contains itself (a reference "
                    "cycle); a checkpoint is a tree of values"
                )
            self._active.add(id(obj))
            try:
                if isinstance(obj, dict):
                    tag = "odict" if isinstance(obj, OrderedDict) else "dict"
                    return {
                        tag: [
                            [self._key(k, where), self.encode(v, f"{where}[{k!r}]")]
                            for k, v in obj.items()
                        ]
                    }
                tag = "tuple" if isinstance(obj, tuple) else "list"
                return {tag: [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
            finally:
                self._active.discard(id(obj))
        raise SerializationError(_unsupported(obj, where))

    def _key(self, key: Any, where: str) -> Any:
        if isinstance(key, np.generic) and key.dtype.kind in "biuf":
            key = key.item()  # a numpy number as a key: stored as the Python number it equals
        if isinstance(key, _SCALARS):
            return self.encode(key, where)
        if isinstance(key, tuple) and all(isinstance(k, _SCALARS) for k in key):
            return {"tuple": [self.encode(k, where) for k in key]}
        raise SerializationError(
            f"flowkit.save: {where} has a dict key of type {type(key).__name__} ({key!r}); keys "
            "must be strings, numbers, bools, None or tuples of those"
        )

    def _tensor(self, t: Tensor, where: str) -> dict:
        # numpy(): detached and on the host (one device-to-host copy for a CUDA tensor)
        name = self._store(t, t.numpy())
        from .nn.parameter import Parameter

        return {
            "tensor": name,
            "dtype": t.dtype.name,
            "shape": list(t.shape),
            "requires_grad": bool(t.requires_grad),
            "parameter": isinstance(t, Parameter),
            "device": str(t.device),
        }

    @staticmethod
    def _check_np_dtype(np_dtype, where: str) -> None:
        try:
            _dt.from_numpy_dtype(np_dtype)
        except Exception:
            raise SerializationError(
                f"flowkit.save: {where} is a numpy array of dtype {np_dtype}; checkpoints store "
                "the dtypes flowkit carries (" + ", ".join(d.name for d in _dt.all_dtypes) + ")"
            ) from None


def _unsupported(obj: Any, where: str) -> str:
    from .nn.module import Module
    from .optim.optimizer import Optimizer

    hint = ""
    if isinstance(obj, Module):
        hint = " Save its weights with flowkit.save(model.state_dict(), path) instead."
    elif isinstance(obj, Optimizer):
        hint = " Save flowkit.save(optimizer.state_dict(), path) instead."
    return (
        f"flowkit.save: {where} is a {type(obj).__module__}.{type(obj).__qualname__}, which a "
        "checkpoint cannot hold. flowkit checkpoints store tensors, numpy arrays, ints, floats, "
        "strings, bools, None, flowkit dtypes and devices, and lists/tuples/dicts of those (no "
        "pickle, so loading never runs code)." + hint
    )


# ---------------------------------------------------------------------------------- writing
def _file_mode(path: str) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)  # overwriting: keep the file's permissions
    except OSError:
        mask = os.umask(0)  # there is no way to read the umask without setting it
        os.umask(mask)
        return 0o666 & ~mask


def _atomic_write(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` holds either its old contents or all of
    ``data``, never a mixture: write a temporary file beside it, fsync, then rename over it."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(
        prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())  # the bytes are on disk before the rename makes them visible
        os.chmod(tmp, _file_mode(path))
        os.replace(tmp, path)  # atomic on POSIX and Windows (same directory, same filesystem)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX only)
        with contextlib.suppress(OSError):
            dfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)


def save(obj: Any, f: _PathLike | BinaryIO) -> None:
    """Save tensors, state dicts and nested containers of them to a checkpoint file.

    The file is a safetensors file: the tensors are stored as raw arrays and everything else as
    JSON metadata, so :func:`load` never unpickles anything. Writing to a path is atomic: the
    data goes to a temporary file in the same directory which then replaces ``f``, so a crash or
    error mid-write leaves any previous file intact. A checkpoint written on one backend or
    device loads on any other.

    Args:
        obj: a tensor, a numpy array, a module's or optimizer's ``state_dict()``, or any nesting
            of dicts, lists and tuples of tensors, numpy arrays, ints, floats, strings, bools,
            ``None``, flowkit dtypes and devices. Dict keys are strings, numbers, bools, ``None``
            or tuples of those. A tensor that appears twice is stored once.
        f: a file path, or a binary file object opened for writing (written in one call,
            without the atomic rename).

    Raises:
        SerializationError: ``obj`` holds something a checkpoint cannot store (a module, an
            arbitrary object, a reference cycle); nothing is written.

    Examples:
        >>> import os, tempfile, flowkit as flow
        >>> model = flow.nn.Linear(2, 1)
        >>> opt = flow.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
        >>> flow.save({"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3}, path)
        >>> ckpt = flow.load(path)
        >>> ckpt["epoch"], sorted(ckpt["model"])
        (3, ['bias', 'weight'])
    """
    import safetensors.numpy

    enc = _Encoder()
    tree = enc.encode(obj, "obj")
    header = {"format": _FORMAT, "version": _VERSION, "backend": _plugins.get().name, "obj": tree}
    try:
        meta = json.dumps(header, allow_nan=True, separators=(",", ":"))
    except (TypeError, ValueError) as exc:  # defensive: encode() only emits JSON values
        raise SerializationError(f"flowkit.save: cannot encode the structure: {exc}") from None
    data = safetensors.numpy.save(enc.arrays, metadata={_META_KEY: meta})
    if hasattr(f, "write"):
        f.write(data)
        return
    if not isinstance(f, (str, os.PathLike)):
        raise TypeError(
            f"flowkit.save: f must be a path or a binary file object, got {type(f).__name__}"
        )
    path = os.fspath(f)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"flowkit.save: the directory {directory!r} does not exist; "
            "create it first (os.makedirs(directory, exist_ok=True))"
        )
    _atomic_write(path, data)


# ---------------------------------------------------------------------------------- reading
def _sniff(data: bytes) -> str | None:
    """Name a well-known foreign format, to say what the file is rather than only what it isn't."""
    if data[:1] == b"\x80" and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return (
            "a Python pickle (e.g. from pickle.dump or an old torch.save); flowkit never "
            "unpickles, because unpickling can run arbitrary code"
        )
    if data[:4] == b"PK\x03\x04":
        return (
            "a zip archive (torch.save writes this format, with pickles inside); flowkit "
            "never unpickles. Convert it once in trusted code: load it with torch, then "
            "flowkit.save the tensors"
        )
    if data[:6] == b"\x93NUMPY":
        return "a numpy .npy file; read it with numpy.load and wrap it with flowkit.tensor"
    head = data[:64]
    # printable ASCII/UTF-8 only: a real header length has NUL bytes in it
    if head.strip() and all(b >= 32 or b in (9, 10, 13) for b in head):
        return "a text file"
    return None


def _fail(name: str, problem: str) -> SerializationError:
    return SerializationError(f"flowkit.load({name}): {problem}")


def _parse_header(data: bytes, name: str) -> tuple[dict, dict]:
    """The safetensors header (tensor table) and flowkit's metadata document, or a clear error
    for an empty, truncated, corrupt or foreign file."""
    size = len(data)
    foreign = _sniff(data)
    if size < 8:
        raise _fail(
            name,
            f"the file is {size} bytes long: empty or truncated, not a flowkit "
            "checkpoint (a safetensors file starts with an 8-byte header length)",
        )
    n = int.from_bytes(data[:8], "little")
    if n > _MAX_HEADER or (foreign and n > size - 8):
        raise _fail(
            name,
            "not a flowkit checkpoint: "
            + (
                f"it looks like {foreign}"
                if foreign
                else "not in safetensors format (its first 8 bytes are not a header length)"
            ),
        )
    if n > size - 8:
        raise _fail(
            name,
            f"the file is truncated: its header says {n} bytes of JSON follow, but "
            f"only {size - 8} bytes do. Save the checkpoint again",
        )
    try:
        table = json.loads(data[8 : 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _fail(
            name,
            "not a flowkit checkpoint or corrupt: the safetensors header is not "
            f"valid JSON ({exc})" + (f"; the file looks like {foreign}" if foreign else ""),
        ) from None
    if not isinstance(table, dict):
        raise _fail(name, "corrupt: the safetensors header is not a JSON object")
    meta = table.get("__metadata__") or {}
    doc_text = meta.get(_META_KEY) if isinstance(meta, dict) else None
    if doc_text is None:
        names = [k for k in table if k != "__metadata__"]
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        raise _fail(
            name,
            "this is a safetensors file, but not one written by flowkit.save (its "
            "metadata has no 'flowkit' entry). Its tensors"
            f" ({len(names)}: {shown}) can be read with "
            "safetensors.numpy.load_file and wrapped with flowkit.tensor",
        )
    try:
        doc = json.loads(doc_text)
    except ValueError as exc:
        raise _fail(name, f"corrupt: flowkit's metadata is not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT or "obj" not in doc:
        raise _fail(name, "corrupt: flowkit's metadata does not describe a checkpoint")
    version = doc.get("version")
    if not isinstance(version, int) or version > _VERSION:
        raise _fail(
            name,
            f"the checkpoint has format version {version!r}; this flowkit reads "
            f"version {_VERSION} and older. Upgrade flowkit to load it",
        )
    need = 0
    for key, info in table.items():
        if key == "__metadata__":
            continue
        try:
            need = max(need, int(info["data_offsets"][1]))
        except (TypeError, KeyError, IndexError, ValueError):
            raise _fail(name, f"corrupt: tensor {key!r} has no valid data offsets") from None
    have = size - 8 - n
    if need > have:
        raise _fail(
            name,
            f"the file is truncated: its tensors need {need} bytes of data but "
            f"only {have} are present. Save the checkpoint again",
        )
    return table, doc


class _Decoder:
    def __init__(self, arrays: dict[str, np.ndarray], device, name: str) -> None:
        self.arrays = arrays
        self.device = device
        self.name = name
        self._tensors: dict[str, Tensor] = {}  # a tensor stored once and used twice stays shared
        self.backend = _plugins.get()

    def bad(self, what: str) -> SerializationError:
        return _fail(self.name, f"corrupt: flowkit's metadata {what}")

    def array(self, key: Any) -> np.ndarray:
        if not isinstance(key, str) or key not in self.arrays:
            raise self.bad(f"refers to a tensor {key!r} that is not in the file")
        return self.arrays[key]

    def decode(self, node: Any) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if not isinstance(node, dict) or len(node) < 1:
            raise self.bad(f"has an unexpected value {node!r:.80}")
        if "tensor" in node:
            return self._tensor(node)
        if len(node) != 1:
            raise self.bad(f"has an unexpected entry with keys {sorted(node)}")
        ((tag, body),) = node.items()
        if tag in ("list", "tuple"):
            if not isinstance(body, list):
                raise self.bad(f"has a {tag} that is not a JSON array")
            items = [self.decode(v) for v in body]
            return items if tag == "list" else tuple(items)
        if tag in ("dict", "odict"):
            if not isinstance(body, list) or not all(
                isinstance(p, list) and len(p) == 2 for p in body
            ):
                raise self.bad(f"has a {tag} that is not a list of [key, value] pairs")
            out = OrderedDict() if tag == "odict" else {}
            for k, v in body:
                out[self.decode(k)] = self.decode(v)
            return out
        if tag == "ndarray":
            return self.array(body).copy()
        if tag == "npscalar":
            return self.array(body)[()]
        if tag == "dtype":
            try:
                return _dt.to_dtype(body)
            except Exception:
                raise self.bad(f"names an unknown dtype {body!r}") from None
        if tag == "device":
            try:
                return as_device(body)
            except Exception:
                raise self.bad(f"names an unknown device {body!r}") from None
        raise self.bad(f"has an unknown entry {tag!r} (written by a newer flowkit?)")

    def _tensor(self, node: dict) -> Tensor:
        key = node["tensor"]
        hit = self._tensors.get(key) if isinstance(key, str) else None
        if hit is not None:
            return hit
        arr = self.array(key)
        try:
            dtype = _dt.to_dtype(node["dtype"])
            shape = tuple(int(s) for s in node["shape"])
        except Exception:
            raise self.bad(f"describes tensor {key!r} without a valid dtype and shape") from None
        if arr.dtype != dtype.np or arr.shape != shape:
            raise self.bad(
                f"says tensor {key!r} is {dtype.name} {list(shape)}, but the file "
                f"holds {arr.dtype} {list(arr.shape)}"
            )
        requires_grad = bool(node.get("requires_grad", False))
        # the array is this load's own copy, so the backend may keep it without copying again
        t = self.backend.from_numpy(arr, self.device, False, share=True)
        if node.get("parameter"):
            from .nn.parameter import Parameter

            t = Parameter(t, requires_grad=requires_grad)
        elif requires_grad:
            t.requires_grad_(True)
        self._tensors[key] = t
        return t


def _read(f, name: str) -> bytes:
    if hasattr(f, "read"):
        data = f.read()
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("flowkit.load: the file object must be opened in binary mode ('rb')")
        return bytes(data)
    if not isinstance(f, (str, os.PathLike)):
        raise TypeError(
            f"flowkit.load: f must be a path or a binary file object, got {type(f).__name__}"
        )
    try:
        with open(f, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"flowkit.load: no such file: {os.fspath(f)!r}") from None


def load(f: _PathLike | BinaryIO, map_location: str | _device | None = None) -> Any:
    """Load a checkpoint written by :func:`save`, on this process's backend.

    Loading reads JSON and raw arrays only; it never unpickles, so it cannot run code from the
    file. Tensors come back with their saved dtype, shape and ``requires_grad`` (parameters as
    :class:`flowkit.nn.Parameter`), containers with their saved types (dict, OrderedDict, list,
    tuple), and dict keys with their types (the integer keys of an optimizer's state stay ints).

    Args:
        f: a file path, or a binary file object opened for reading.
        map_location: the device to put every tensor on (``"cpu"``, ``"cuda"``, ``"cuda:1"`` or a
            :class:`flowkit.device`). ``None`` (the default) uses the backend's default device,
            whatever device the checkpoint was saved from, so a checkpoint saved on a GPU loads
            on a machine without one.

    Returns:
        The saved object.

    Raises:
        SerializationError: the file is empty, truncated, corrupt, or not a flowkit checkpoint
            (a pickle or ``torch.save`` file, a text file, a safetensors file written by another
            tool); the message says which.
        FileNotFoundError: there is no file at ``f``.

    Examples:
        >>> import io, flowkit as flow
        >>> buf = io.BytesIO()
        >>> flow.save({"w": flow.tensor([[1.0, 2.0]]), "steps": (1, 2)}, buf)
        >>> _ = buf.seek(0)
        >>> flow.load(buf, map_location="cpu")
        {'w': tensor([[1., 2.]], dtype=flowkit.float32), 'steps': (1, 2)}
    """
    import safetensors.numpy

    name = (
        repr(os.fspath(f))
        if isinstance(f, (str, os.PathLike))
        else (
            repr(getattr(f, "name", None))
            if isinstance(getattr(f, "name", None), str)
            else type(f).__name__
        )
    )
    if map_location is not None and not isinstance(map_location, (str, _device)):
        raise TypeError(
            "flowkit.load: map_location takes a device string ('cpu', 'cuda', 'cuda:1') or a "
            f"flowkit.device, got {type(map_location).__name__}"
        )
    device = None if map_location is None else as_device(map_location)
    data = _read(f, name)
    _, doc = _parse_header(data, name)
    try:
        arrays = safetensors.numpy.load(data)
    except Exception as exc:  # safetensors' own validation (overlapping offsets, bad dtypes)
        raise _fail(name, f"corrupt safetensors data: {exc}") from None
    return _Decoder(arrays, device, name).decode(doc["obj"])
