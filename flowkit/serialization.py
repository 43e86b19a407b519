"""``flowkit.save`` / ``flowkit.load``: checkpoints as safetensors files, never pickles.

A checkpoint is one safetensors file. Every tensor (and numpy array) is a safetensors tensor, named
``"0"``, ``"1"``, ...; everything around them (dict/list/tuple nesting, ints, floats, strings,
bools, ``None``, dict keys, which leaf is a tensor and with which dtype) is a JSON document kept in
the file's metadata under the key ``"flowkit"``. Loading parses JSON and copies bytes: it never
unpickles, so a checkpoint from a stranger cannot run code. The tensors are stored as numpy
arrays, so a checkpoint written by one backend (numpy, torch on CPU or CUDA) loads on any other.

The JSON document encodes a value as itself when it is ``None``, a bool, an int, a float or a
string, and as a one-key object otherwise::

    {"tensor": "0", "dtype": "float32", "shape": [2, 3], "requires_grad": false,
     "parameter": false, "device": "cpu:0"}       # a flowkit tensor (the file's tensor "0")
    {"ndarray": "1"}  /  {"npscalar": "2"}         # a numpy array / numpy scalar
    {"list": [...]}  /  {"tuple": [...]}           # sequences (the type is kept)
    {"dict": [[key, value], ...]}                  # dicts, keys encoded the same way
    {"odict": [[key, value], ...]}                 # collections.OrderedDict (state dicts)
    {"dtype": "float32"}  /  {"device": "cuda:0"}  # flowkit dtypes and devices

The document is ``{"format": "flowkit.checkpoint", "version": 2, "backend": ..., "obj": ...,
"digests": {"0": "crc32:1a2b3c4d", ...}}``: format version 2 adds a CRC-32 of every tensor's bytes,
and the file's metadata key ``"flowkit.crc32"`` holds a CRC-32 of the document and the tensor
table, so every byte of the file is covered by a digest that [`load`][flowkit.load] checks.
Version 1 (no digests) still loads, unverified.

Loading is bounded by the file: the header's length is checked against the file's size before
it is read, every entry of the header and the document is checked before any tensor is
allocated, and each tensor is read straight into its own array (peak memory is the tensors'
size, not twice it). Saving streams the arrays to a temporary file beside the target and renames
it over the target, so a crash leaves the old file whole; the temporary file's name carries the
writer's host and pid, so a later save to the same path removes those of writers that died.

Why this module reads and writes the safetensors layout itself rather than through the
``safetensors`` package (which stays a dependency: the tests and the Saving page use its reader
to show that any safetensors reader opens a flowkit checkpoint, and flowkit loads files it
wrote): ``safetensors.numpy.save`` builds the whole file in memory and ``load`` takes the whole
file as bytes (twice the tensors' size either way), ``safe_open`` needs a path (no file objects,
no pipes) and cannot check a digest as the bytes arrive. The layout is small (an 8-byte length,
a JSON table, the raw arrays); what is written here is the streaming and the checks around it.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import math
import os
import platform
import re
import stat
import time
import warnings
import zlib
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
_VERSION = 2  # 2: CRC-32 digests of the tensors and of the header; 1: none (loads unverified)
_META_KEY = "flowkit"
_HEADER_DIGEST_KEY = "flowkit.crc32"
_MAX_HEADER = 100_000_000  # safetensors' own limit on the JSON header, so its readers open ours
_MAX_DEPTH = 100  # containers inside containers; a state dict is 2-4 deep
# 256 KiB reads: the digest runs over bytes still in the L2 cache (measured on 200 MB: verifying
# costs +60% of the unverified load this way, +110% with 4 MiB reads)
_CHUNK = 1 << 18
_STALE_SECONDS = 24 * 3600  # a temporary file untouched this long is a dead writer's, wherever
_TMP_TAG = ".flowkit-tmp-"
_TMP_NAME = re.compile(r"(?P<host>[0-9a-f]{8})-(?P<pid>[0-9]{1,10})-[0-9a-f]{8}")
_LEGACY_TMP_NAME = re.compile(r"[a-z0-9_]{8}\.tmp")  # tempfile.mkstemp's, before format 2
_DIGEST_TEXT = re.compile(r"crc32:[0-9a-f]{8}")

# safetensors' dtype codes for the dtypes flowkit carries; the bytes on disk are little-endian
_ST_CODE = {
    "bool": "BOOL",
    "uint8": "U8",
    "int8": "I8",
    "int16": "I16",
    "int32": "I32",
    "int64": "I64",
    "float16": "F16",
    "float32": "F32",
    "float64": "F64",
}
_ST_DTYPE = {code: np.dtype(_dt.to_dtype(n).np).newbyteorder("<") for n, code in _ST_CODE.items()}

_PathLike = str | os.PathLike
_SCALARS = (type(None), bool, int, float, str)
_TENSOR_KEYS = frozenset({"tensor", "dtype", "shape", "requires_grad", "parameter", "device"})
_DOC_KEYS = {1: frozenset({"format", "version", "backend", "obj"})}
_DOC_KEYS[2] = _DOC_KEYS[1] | {"digests"}
_DAMAGED = "Restore it from a good copy, or save it again"


def _crc32(view: memoryview) -> str:
    return f"crc32:{zlib.crc32(view):08x}"


def _raw_bytes(array: np.ndarray) -> memoryview:
    """The bytes of a C-ordered array, as they go to the file (no copy)."""
    return array.reshape(-1).view(np.uint8).data


def _header_digest(meta_text: str, table: dict) -> str:
    # the document and the tensor table (dtypes, shapes, offsets) in one canonical text, so the
    # loader can recompute it from the parsed header whatever the header's key order
    canon = json.dumps(table, sort_keys=True, separators=(",", ":"))
    return f"crc32:{zlib.crc32(canon.encode(), zlib.crc32(meta_text.encode())):08x}"


def _a(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def _short(where: str) -> str:
    """An entry's path, its middle elided when it is very long (a deeply nested one)."""
    return where if len(where) <= 100 else f"{where[:50]} ... {where[-40:]}"


def _human(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{n} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"  # (unreachable: the loop returns at GiB)


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
        # safetensors holds raw C-ordered little-endian bytes (a copy only where they are not)
        array = np.asarray(array, order="C")  # (ascontiguousarray would make 0-d arrays 1-d)
        array = array.astype(array.dtype.newbyteorder("<"), copy=False)
        self.arrays[name] = array
        self._memo[id(obj)] = (name, obj)  # keep obj alive so its id stays unique
        return name

    def encode(self, obj: Any, where: str, depth: int = 0) -> Any:
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
            if depth >= _MAX_DEPTH:
                # flowkit.load refuses deeper documents (they would exhaust its stack), so a
                # checkpoint that could not be loaded is never written
                raise SerializationError(
                    f"flowkit.save: {_short(where)} is nested more than {_MAX_DEPTH} containers "
                    "deep, the most a checkpoint holds; flatten the structure (e.g. a dict keyed "
                    "by 'a.b.c' paths, as state_dict() does)"
                )
            self._active.add(id(obj))
            try:
                if isinstance(obj, dict):
                    tag = "odict" if isinstance(obj, OrderedDict) else "dict"
                    return {
                        tag: [
                            [self._key(k, where), self.encode(v, f"{where}[{k!r}]", depth + 1)]
                            for k, v in obj.items()
                        ]
                    }
                tag = "tuple" if isinstance(obj, tuple) else "list"
                return {
                    tag: [self.encode(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(obj)]
                }
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


def _layout(arrays: dict[str, np.ndarray], doc: dict) -> tuple[bytes, list[memoryview], int]:
    """The safetensors header (8-byte length, JSON, space padding) and the arrays' bytes in file
    order, with the digests filled in; and the data section's length."""
    # widest items first: every offset is then a multiple of its tensor's item size (the header
    # is padded to 8 bytes), so the arrays a reader maps or reads stay aligned, as safetensors
    # orders them
    order = sorted(arrays, key=lambda k: (-arrays[k].dtype.itemsize, int(k)))
    table: dict[str, Any] = {}
    views = []
    offset = 0
    for name in order:
        array = arrays[name]
        view = _raw_bytes(array)
        table[name] = {
            "dtype": _ST_CODE[_dt.from_numpy_dtype(array.dtype).name],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(view)],
        }
        views.append(view)
        offset += len(view)
    doc["digests"] = {name: _crc32(_raw_bytes(arrays[name])) for name in arrays}
    try:
        meta = json.dumps(doc, allow_nan=True, separators=(",", ":"))
    except (TypeError, ValueError) as exc:  # defensive: encode() only emits JSON values
        raise SerializationError(f"flowkit.save: cannot encode the structure: {exc}") from None
    header = {
        "__metadata__": {_META_KEY: meta, _HEADER_DIGEST_KEY: _header_digest(meta, table)},
        **table,
    }
    text = json.dumps(header, separators=(",", ":")).encode()
    if len(text) > _MAX_HEADER:
        raise SerializationError(
            f"flowkit.save: the checkpoint's structure takes {_human(len(text))} of JSON, more "
            f"than the {_human(_MAX_HEADER)} a safetensors header may hold; store long lists of "
            "numbers as a tensor or numpy array (flowkit.tensor(values)) rather than as a list"
        )
    text += b" " * (-len(text) % 8)  # the data starts 8-aligned, as safetensors writes it
    return len(text).to_bytes(8, "little") + text, views, offset


# ---------------------------------------------------------------------------------- writing
def _file_mode(path: str) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)  # overwriting: keep the file's permissions
    except OSError:
        mask = os.umask(0)  # there is no way to read the umask without setting it
        os.umask(mask)
        return 0o666 & ~mask


_host_tag_cache: list[str] = []


def _host_tag() -> str:
    # pids are per machine (per pid namespace): a temporary file's pid is checked only on the
    # host that wrote it. A digest of the host name, so the name parses unambiguously.
    if not _host_tag_cache:
        _host_tag_cache.append(f"{zlib.crc32(platform.node().encode()):08x}")
    return _host_tag_cache[0]


def _temp_prefix(base: str) -> str:
    return "." + base[:180] + _TMP_TAG  # (file names are at most 255 bytes)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # another thread of this process, saving to the same path
    if os.name != "posix":
        return True  # no harmless probe (os.kill terminates on Windows): the age bound decides
    try:
        os.kill(pid, 0)  # signal 0: delivers nothing, only says whether the process exists
    except ProcessLookupError:
        return False
    except (OSError, OverflowError, ValueError):
        return True  # exists but is another user's (EPERM), or unprobeable: keep its file
    return True


def _remove_stale_temps(directory: str, base: str) -> None:
    """Remove the temporary files that writers which died left beside ``base``: those whose
    writer ran on this host and is gone, and any untouched for a day (a writer on another host,
    or one from before format 2)."""
    prefix, legacy = _temp_prefix(base), "." + base + "."
    host, now = _host_tag(), time.time()
    try:
        entries = os.scandir(directory)
    except OSError:
        return
    with entries:
        for entry in entries:
            name = entry.name
            if name.startswith(prefix):
                m = _TMP_NAME.fullmatch(name, len(prefix))
                if m is None:
                    continue
                dead = m["host"] == host and not _pid_alive(int(m["pid"]))
            elif name.startswith(legacy) and _LEGACY_TMP_NAME.fullmatch(name, len(legacy)):
                dead = False
            else:
                continue
            with contextlib.suppress(OSError):  # another writer may be removing it too
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(st.st_mode) and (dead or now - st.st_mtime > _STALE_SECONDS):
                    os.unlink(entry.path)


def _write_all(fd: int, view: memoryview) -> None:
    while len(view):
        n = os.write(fd, view[: 1 << 30])  # (Linux writes at most 2 GiB - 4 KiB per call)
        view = view[n:]


def _write_error(
    target: str, exc: OSError, total: int, directory: str | None
) -> SerializationError:
    """``exc`` (from writing ``total`` bytes to ``target``) as an error that says what to do."""
    code = exc.errno
    reason = exc.strerror or str(exc)
    kept = (
        " Any previous file at that path is unchanged."
        if directory is not None
        else " The file object may hold a partial checkpoint."
    )
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        free = ""
        if directory is not None and hasattr(os, "statvfs"):
            with contextlib.suppress(OSError):
                st = os.statvfs(directory)
                free = f"; {_human(st.f_bavail * st.f_frsize)} are free there"
        return SerializationError(
            f"flowkit.save: no space left to write {target} ({reason}): the checkpoint needs "
            f"{total} bytes ({_human(total)}){free}. Free some space (old checkpoints?) or save "
            f"to another disk.{kept}"
        )
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        where = (
            f"; flowkit.save writes a temporary file in {directory!r} and renames it over the "
            "target, so this user must be able to write to that directory"
            if directory is not None
            else ""
        )
        return SerializationError(
            f"flowkit.save: permission denied writing {target} ({reason}){where}. Save to a "
            f"directory you can write to, or change its permissions.{kept}"
        )
    if code == errno.EISDIR:
        return SerializationError(
            f"flowkit.save: {target} is a directory; pass a file path, e.g. "
            f"os.path.join({target}, 'checkpoint.safetensors')"
        )
    return SerializationError(
        f"flowkit.save: cannot write {target}: {reason}"
        + (f" (errno {errno.errorcode.get(code, code)})" if code else "")
        + f", writing {total} bytes ({_human(total)}).{kept}"
    )


def _atomic_write(path: str, head: bytes, views: list[memoryview], total: int) -> None:
    """Write the checkpoint so that ``path`` holds either its old contents or all of the new
    ones, never a mixture: a temporary file beside it, fsync, then a rename over it."""
    directory = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    _remove_stale_temps(directory, base)
    tmp = os.path.join(
        directory, f"{_temp_prefix(base)}{_host_tag()}-{os.getpid()}-{os.urandom(4).hex()}"
    )
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(tmp, flags | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError as exc:
        raise _write_error(repr(path), exc, total, directory) from exc
    try:
        try:
            _write_all(fd, memoryview(head))
            for view in views:
                _write_all(fd, view)
            os.fsync(fd)  # the bytes are on disk before the rename makes them visible
        finally:
            os.close(fd)
        os.chmod(tmp, _file_mode(path))
        os.replace(tmp, path)  # atomic on POSIX and Windows (same directory, same filesystem)
    except BaseException as exc:  # KeyboardInterrupt too: never leave the temporary file
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _write_error(repr(path), exc, total, directory) from exc
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX only)
        with contextlib.suppress(OSError):
            dfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)


def _write_stream(f, head: bytes, views: list[memoryview], total: int) -> None:
    label = repr(f.name) if isinstance(getattr(f, "name", None), str) else type(f).__name__
    mode = getattr(f, "mode", None)  # (gzip's is an int)
    if isinstance(f, io.TextIOBase) or (isinstance(mode, str) and "b" not in mode):
        raise TypeError(
            f"flowkit.save: the file object {label} is open in text mode; a checkpoint is "
            "binary: open it with open(path, 'wb'), or pass the path itself (which also makes "
            "the write atomic)"
        )
    try:
        for view in [memoryview(head), *views]:
            while len(view):
                n = f.write(view)
                view = view[len(view) if n is None else n :]  # raw files may write part
    except TypeError as exc:  # a text stream that io.TextIOBase does not know
        raise TypeError(
            f"flowkit.save: the file object {label} does not take bytes ({exc}); open it in "
            "binary mode ('wb')"
        ) from None
    except OSError as exc:
        raise _write_error(label, exc, total, None) from exc


def save(obj: Any, f: _PathLike | BinaryIO, global_dst_rank: int | None = None) -> None:
    """Save tensors, state dicts and nested containers of them to a checkpoint file.

    The file is a safetensors file: the tensors are stored as raw arrays and everything else as
    JSON metadata, so [`load`][flowkit.load] never unpickles anything. Every tensor's bytes, and
    the metadata, carry a CRC-32 digest that [`load`][flowkit.load] checks. Writing to a path is
    atomic: the data goes to a temporary file in the same directory
    (``.NAME.flowkit-tmp-HOST-PID-RANDOM``), is flushed to disk and then replaces ``f``, so a
    crash or an error mid-write leaves any previous file intact; a later save to the same path
    removes the temporary files of writers that died. A checkpoint written on one backend or
    device loads on any other.

    Args:
        obj: a tensor, a numpy array, a module's or optimizer's ``state_dict()``, an
            ``nn.Graph`` (saved as its ``state_dict()``, as OneFlow does: load it back with
            ``graph.load_state_dict(flowkit.load(f))``), or any nesting
            (at most 100 deep) of dicts, lists and tuples of tensors, numpy arrays, ints,
            floats, strings, bools, ``None``, flowkit dtypes and devices. Dict keys are strings,
            numbers, bools, ``None`` or tuples of those. A tensor that appears twice is stored
            once.
        f: a file path, or a binary file object opened for writing (written in place, without
            the atomic rename).
        global_dst_rank: in a distributed run, the one rank that writes (OneFlow's argument):
            every rank calls ``save``, that rank writes the file and the others wait until it
            is written (or raise if writing failed), so a checkpoint is complete when ``save``
            returns anywhere. ``None`` (the default): this process writes, whatever its rank.

    Raises:
        SerializationError: ``obj`` holds something a checkpoint cannot store (a module, an
            arbitrary object, a reference cycle, nesting deeper than 100), and nothing is
            written; or the write failed (a full disk, no permission), the message naming the
            path and the bytes needed, with any previous file at ``f`` unchanged.
        TypeError: ``f`` is neither a path nor a binary file object (a text-mode file, say).
        FileNotFoundError: the directory of ``f`` does not exist.

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
    if not hasattr(f, "write") and not isinstance(f, (str, os.PathLike)):
        raise TypeError(
            f"flowkit.save: f must be a path or a binary file object, got {type(f).__name__}"
        )
    from .nn.graph import Graph

    if isinstance(obj, Graph):  # OneFlow saves a graph as its state: modules, optimizers
        obj = obj.state_dict()
    if global_dst_rank is not None:
        _save_on_rank(obj, f, global_dst_rank)
        return
    enc = _Encoder()
    tree = enc.encode(obj, "obj")
    doc = {"format": _FORMAT, "version": _VERSION, "backend": _plugins.get().name, "obj": tree}
    head, views, size = _layout(enc.arrays, doc)
    total = len(head) + size
    if hasattr(f, "write"):
        _write_stream(f, head, views, total)
        return
    path = os.fspath(f)  # type: ignore[arg-type]  # (a path: file objects have returned)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"flowkit.save: the directory {directory!r} does not exist; "
            "create it first (os.makedirs(directory, exist_ok=True))"
        )
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = stat.S_IFREG
    if stat.S_ISDIR(mode):
        raise _write_error(repr(path), IsADirectoryError(errno.EISDIR, "a directory"), total, None)
    if not stat.S_ISREG(mode):
        # a device or a pipe (/dev/null, a FIFO): write into it, as open() would, rather than
        # rename a regular file over it
        with open(path, "wb") as fh:
            _write_stream(fh, head, views, total)
        return
    _atomic_write(path, head, views, total)


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


_FILE_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_regular(name: str, mode: int) -> SerializationError:
    kind = next((k for test, k in _FILE_KINDS if test(mode)), "not a regular file")
    return _fail(
        name,
        f"this is {kind}, not a checkpoint file: flowkit.load reads regular files (and binary "
        "file objects such as io.BytesIO). Pass the path of a file written by flowkit.save",
    )


class _Reader:
    """Sequential reads of at most what was asked for, from a file or a binary stream.

    ``size`` is the number of bytes from the current position to the end where it can be known
    (a file, a seekable stream), else ``None``; reads from an unsized stream allocate only as
    the bytes arrive, so a header that lies about sizes cannot make a load allocate what the
    stream does not hold.
    """

    def __init__(self, fh, size: int | None) -> None:
        self.fh = fh
        self.size = size
        self._readinto = getattr(fh, "readinto", None)

    def _chunk(self, n: int) -> bytes:
        data = self.fh.read(n)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(
                "flowkit.load: the file object must be opened in binary mode ('rb'), "
                f"its read() returned {type(data).__name__}"
            )
        return bytes(data)

    def fill(self, view: memoryview, digest: bool) -> tuple[int, int]:
        """Read into ``view`` until it is full or the input ends: (bytes read, their CRC-32)."""
        got, crc = 0, 0
        while got < len(view):
            part = view[got : got + _CHUNK]
            if self._readinto is not None:
                n = self._readinto(part)
            else:
                data = self._chunk(len(part))
                n = len(data)
                part[:n] = data
            if not n:  # (None: a non-blocking stream with nothing yet; treated as the end)
                break
            if digest:
                crc = zlib.crc32(part[:n], crc)
            got += n
        return got, crc

    def read(self, n: int) -> bytes:
        if self.size is not None:  # the caller checked n against the size: allocate it at once
            buf = bytearray(min(n, self.size))
            got, _ = self.fill(memoryview(buf), False)
            del buf[got:]
            return bytes(buf)
        grown = bytearray()
        while len(grown) < n:
            data = self._chunk(min(_CHUNK, n - len(grown)))
            if not data:
                break
            grown += data
        return bytes(grown)

    def array(self, nbytes: int, digest: bool) -> tuple[np.ndarray, int, int]:
        """``nbytes`` bytes as a fresh uint8 array: (array, bytes read, CRC-32)."""
        if self.size is not None:
            buf = np.empty(nbytes, np.uint8)
            got, crc = self.fill(buf.data, digest)
            return buf, got, crc
        grown = bytearray()  # realloc grows it in place, so the peak stays near its length
        crc = 0
        while len(grown) < nbytes:
            data = self._chunk(min(_CHUNK, nbytes - len(grown)))
            if not data:
                break
            if digest:
                crc = zlib.crc32(data, crc)
            grown += data
        return np.frombuffer(grown, np.uint8), len(grown), crc


def _stream_size(f) -> int | None:
    try:
        if hasattr(f, "seekable") and not f.seekable():
            return None
        pos = f.tell()
        end = f.seek(0, io.SEEK_END)
        f.seek(pos)
        return max(0, int(end) - int(pos))
    except (OSError, ValueError, TypeError, AttributeError):
        return None


@contextlib.contextmanager
def _open(f, name: str):
    if hasattr(f, "read"):
        if isinstance(f, io.TextIOBase):
            raise TypeError(
                f"flowkit.load: the file object {name} is open in text mode; open it in binary "
                "mode ('rb'), or pass the path itself"
            )
        try:
            yield _Reader(f, _stream_size(f))
        except OSError as exc:  # a network stream that failed, say
            raise _fail(name, f"cannot read the file object: {exc.strerror or exc}") from exc
        return
    if not isinstance(f, (str, os.PathLike)):
        raise TypeError(
            f"flowkit.load: f must be a path or a binary file object, got {type(f).__name__}"
        )
    path = os.fspath(f)
    # O_NONBLOCK: opening a FIFO must not wait for a writer before fstat can refuse it (regular
    # files ignore the flag)
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise FileNotFoundError(f"flowkit.load: no such file: {os.fsdecode(path)!r}") from None
    except OSError as exc:
        if os.path.isdir(path):  # (Windows cannot open a directory at all)
            raise _not_regular(name, stat.S_IFDIR) from None
        raise _fail(
            name,
            f"cannot open the file ({exc.strerror or exc}); check that it exists and that this "
            "user may read it",
        ) from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(name, st.st_mode)
        fh = io.FileIO(fd, "rb", closefd=False)
        try:
            yield _Reader(fh, st.st_size)
        except OSError as exc:  # EIO and the like, mid-read
            raise _fail(name, f"cannot read the file: {exc.strerror or exc}") from exc
        finally:
            fh.close()
    finally:
        os.close(fd)


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):  # json.loads would silently keep the last one
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(f"the key {key!r} appears twice in one object")
            seen.add(key)
    return out


def _parse_json(text: bytes | str, name: str, what: str, sniffed: bytes = b"") -> Any:
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise _fail(
            name, f"corrupt: {what} is nested too deeply to be a checkpoint's. {_DAMAGED}"
        ) from None
    except (UnicodeDecodeError, ValueError) as exc:
        foreign = _sniff(sniffed) if sniffed else None
        raise _fail(
            name,
            f"not a flowkit checkpoint or corrupt: {what} is not valid JSON ({exc})"
            + (f"; the file looks like {foreign}" if foreign else f". {_DAMAGED}"),
        ) from None


class _Header:
    """A checked safetensors header: the tensors (offset order), the document, the version."""

    def __init__(self, reader: _Reader, name: str) -> None:
        self.name = name
        first = reader.read(8)
        if len(first) < 8:
            foreign = _sniff(first)
            raise _fail(
                name,
                f"the file is {len(first)} bytes long: empty or truncated, not a flowkit "
                "checkpoint (a safetensors file starts with an 8-byte header length)"
                + (f"; it looks like {foreign}" if foreign else ""),
            )
        n = int.from_bytes(first, "little")
        rest = None if reader.size is None else reader.size - 8
        if n > _MAX_HEADER or (rest is not None and n > rest):
            sniffed = first + reader.read(56)
            foreign = _sniff(sniffed)
            if foreign or n > _MAX_HEADER:
                raise _fail(
                    name,
                    "not a flowkit checkpoint: "
                    + (
                        f"it looks like {foreign}"
                        if foreign
                        else "not in safetensors format (its first 8 bytes are not a header "
                        f"length: they say {n} bytes of JSON follow, more than the "
                        f"{_MAX_HEADER} safetensors allows)"
                    ),
                )
            raise _fail(
                name,
                f"the file is truncated: its header says {n} bytes of JSON follow, but only "
                f"{rest} bytes do. Save the checkpoint again",
            )
        raw = reader.read(n)
        if len(raw) < n:
            raise _fail(
                name,
                f"the file is truncated: its header says {n} bytes of JSON follow, but only "
                f"{len(raw)} bytes do. Save the checkpoint again",
            )
        table = _parse_json(raw, name, "the safetensors header", first + raw[:56])
        if not isinstance(table, dict):
            raise _fail(name, f"corrupt: the safetensors header is not a JSON object. {_DAMAGED}")
        meta = table.pop("__metadata__", None)
        if meta is None:
            meta = {}
        if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
            raise _fail(
                name,
                "corrupt: the safetensors header's __metadata__ is not a map of strings. "
                + _DAMAGED,
            )
        text = meta.get(_META_KEY)
        if text is None:
            shown = ", ".join(list(table)[:8]) + (", ..." if len(table) > 8 else "")
            raise _fail(
                name,
                "this is a safetensors file, but not one written by flowkit.save (its "
                f"metadata has no 'flowkit' entry). Its tensors ({len(table)}: {shown}) can be "
                "read with safetensors.numpy.load_file and wrapped with flowkit.tensor",
            )
        doc = _parse_json(text, name, "flowkit's metadata")
        if not isinstance(doc, dict) or doc.get("format") != _FORMAT or "obj" not in doc:
            raise _fail(
                name, f"corrupt: flowkit's metadata does not describe a checkpoint. {_DAMAGED}"
            )
        version = doc.get("version")
        if type(version) is int and version > _VERSION:
            raise _fail(
                name,
                f"the checkpoint has format version {version}; this flowkit reads "
                f"versions 1 to {_VERSION}. Upgrade flowkit to load it",
            )
        if type(version) is not int or version < 1:
            raise _fail(name, f"corrupt: format version {version!r:.20} does not exist. {_DAMAGED}")
        extra = sorted(set(doc) - _DOC_KEYS[version])
        if extra:
            raise _fail(
                name,
                f"corrupt: flowkit's metadata (format version {version}) has unexpected "
                f"entries {extra}. {_DAMAGED}",
            )
        if not isinstance(doc.get("backend"), str):
            raise _fail(name, f"corrupt: flowkit's metadata has no backend name. {_DAMAGED}")
        header_digest = meta.get(_HEADER_DIGEST_KEY)
        if (version >= 2) != (header_digest is not None):
            raise _fail(
                name,
                f"corrupt: a format version {version} checkpoint "
                + ("without" if version >= 2 else "with")
                + f" a header digest ({_HEADER_DIGEST_KEY!r}). {_DAMAGED}",
            )
        self.version: int = version
        self.doc: dict = doc
        self.meta_text: str = text
        self.header_digest: str | None = header_digest
        self.table: dict = table
        self.entries = self._check_table(table)  # (begin, end, name, np dtype, shape)
        need = self.entries[-1][1] if self.entries else 0
        if rest is not None:
            have = rest - n
            if have < need:
                raise _fail(
                    name,
                    f"the file is truncated: its tensors need {need} bytes of data but only "
                    f"{have} are present. Save the checkpoint again",
                )
            if have > need:
                raise _fail(
                    name,
                    f"corrupt: {have - need} bytes follow the last tensor's data; a checkpoint "
                    f"ends where its tensors do. {_DAMAGED}",
                )

    def _check_table(self, table: dict) -> list[tuple[int, int, str, np.dtype, tuple]]:
        entries = []
        for key, info in table.items():
            where = f"the header's entry for tensor {key!r}"
            if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
                raise self.bad(f"{where} is not {{dtype, shape, data_offsets}}")
            code = info["dtype"]
            if not isinstance(code, str) or code not in _ST_DTYPE:
                raise self.bad(
                    f"{where} has dtype {code!r}, not one flowkit stores ("
                    + ", ".join(_ST_DTYPE)
                    + ")"
                )
            shape, offsets = info["shape"], info["data_offsets"]
            if not isinstance(shape, list) or not all(type(s) is int and s >= 0 for s in shape):
                raise self.bad(f"{where} has an invalid shape {shape!r:.80}")
            if (
                not isinstance(offsets, list)
                or len(offsets) != 2
                or not all(type(o) is int for o in offsets)
                or not 0 <= offsets[0] <= offsets[1]
            ):
                raise self.bad(f"{where} has invalid data offsets {offsets!r:.80}")
            dtype = _ST_DTYPE[code]
            nbytes = math.prod(shape) * dtype.itemsize  # Python ints: a huge shape cannot wrap
            if offsets[1] - offsets[0] != nbytes:
                raise self.bad(
                    f"{where} spans {offsets[1] - offsets[0]} bytes, but a {code} tensor of "
                    f"shape {shape} takes {nbytes}"
                )
            entries.append((offsets[0], offsets[1], key, dtype, tuple(shape)))
        entries.sort(key=lambda e: (e[0], e[1]))
        pos = 0
        for begin, end, key, _, _ in entries:
            if begin != pos:  # safetensors' own rule: the tensors tile the data, no gaps
                raise self.bad(
                    f"the header's entry for tensor {key!r} starts at byte {begin} of the data, "
                    f"but the tensors before it end at {pos} (overlapping or missing data)"
                )
            pos = end
        return entries

    def bad(self, what: str) -> SerializationError:
        return _fail(self.name, f"corrupt: {what}. {_DAMAGED}")


def _json_kind(node: Any) -> str:
    if isinstance(node, list):
        return "an array"
    return "an object" if isinstance(node, dict) else type(node).__name__


class _Decoder:
    """Checks flowkit's document against the tensor table (`check`, before any tensor is
    read), then builds the saved object from the arrays (`build`, which cannot fail)."""

    def __init__(self, header: _Header, name: str) -> None:
        self.name = name
        self.header = header
        self.shapes = {e[2]: (e[3], e[4]) for e in header.entries}
        self.refs: dict[str, tuple[str, Any, tuple]] = {}  # name -> (kind, first place, attrs)
        self._devices: set[str] = set()  # device names already checked
        self.arrays: dict[str, np.ndarray] = {}
        self._tensors: dict[str, Tensor] = {}  # a tensor stored once and used twice stays shared
        self.backend = _plugins.get()
        self.device: _device | None = None

    # An entry's place is (parent's place, key), the top level's None: its text, e.g.
    # checkpoint['model']['0.weight'], is made only for a message (not for every entry)
    @staticmethod
    def path(where: Any) -> str:
        keys = []
        while where is not None:
            where, key = where
            keys.append(f"[{key!r}]")
        return _short("checkpoint" + "".join(reversed(keys)))

    def bad(self, where: Any, what: str) -> SerializationError:
        return _fail(self.name, f"corrupt: {self.path(where)} {what}. {_DAMAGED}")

    # ------------------------------------------------------------------ checking
    def check(self) -> None:
        doc = self.header.doc
        self._check(doc["obj"], None, 0)
        unused = sorted(set(self.shapes) - set(self.refs), key=lambda k: (len(k), k))
        if unused:
            raise _fail(
                self.name,
                f"corrupt: the file holds tensor(s) {unused[:8]} that flowkit's metadata does "
                f"not use. {_DAMAGED}",
            )
        if self.header.version >= 2:
            digests = doc.get("digests")
            if not isinstance(digests, dict) or set(digests) != set(self.shapes):
                raise _fail(
                    self.name,
                    "corrupt: flowkit's metadata does not list one digest per tensor. " + _DAMAGED,
                )
            for key, value in digests.items():
                if not isinstance(value, str) or not _DIGEST_TEXT.fullmatch(value):
                    raise self.bad(
                        self.refs[key][1], f"has a malformed digest {value!r:.40} (tensor {key!r})"
                    )

    def _check(self, node: Any, where: Any, depth: int) -> None:
        if node is None or isinstance(node, (bool, int, float, str)):
            return
        if not isinstance(node, dict) or not node:
            raise self.bad(
                where, f"is {_json_kind(node)} ({node!r:.60}), not a value flowkit writes"
            )
        if "tensor" in node:
            self._check_tensor(node, where)
            return
        if len(node) != 1:
            raise self.bad(
                where, f"is an entry with keys {sorted(node)}, not a value flowkit writes"
            )
        ((tag, body),) = node.items()
        if tag in ("list", "tuple", "dict", "odict"):
            if depth >= _MAX_DEPTH:
                raise self.bad(where, f"is nested more than {_MAX_DEPTH} containers deep")
            if not isinstance(body, list):
                raise self.bad(where, f"is {_a(tag)} that is not a JSON array")
            if tag in ("list", "tuple"):
                for i, v in enumerate(body):
                    self._check(v, (where, i), depth + 1)
                return
            seen: set[Any] = set()
            for pair in body:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise self.bad(
                        where,
                        f"is {_a(tag)} with an item {pair!r:.60} that is not a [key, value] pair",
                    )
                key = self._key(pair[0], where)
                if key in seen:  # the writer's dict could not have held it twice
                    raise self.bad(where, f"has the key {key!r} twice")
                seen.add(key)
                self._check(pair[1], (where, key), depth + 1)
        elif tag in ("ndarray", "npscalar"):
            dtype, shape = self._ref(body, where, tag, ())
            if tag == "npscalar" and shape != ():
                raise self.bad(
                    where, f"is a numpy scalar, but its tensor {body!r} has shape {list(shape)}"
                )
        elif tag == "dtype":
            if not isinstance(body, str) or body not in _ST_CODE:
                raise self.bad(where, f"names an unknown dtype {body!r:.40}")
        elif tag == "device":
            if not self._is_device(body):
                raise self.bad(where, f"names an unknown device {body!r:.40}")
        else:
            raise self.bad(where, f"is an unknown entry {tag!r:.40} (written by a newer flowkit?)")

    def _is_device(self, name: Any) -> bool:
        if not isinstance(name, str):
            return False
        if name in self._devices:
            return True
        try:
            _device(name)
        except Exception:
            return False
        self._devices.add(name)
        return True

    def _key(self, node: Any, where: Any) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if (
            isinstance(node, dict)
            and list(node) == ["tuple"]
            and isinstance(node["tuple"], list)
            and all(k is None or isinstance(k, (bool, int, float, str)) for k in node["tuple"])
        ):
            return tuple(node["tuple"])
        raise self.bad(
            where,
            f"has a dict key {node!r:.60}; keys are strings, numbers, bools, None or tuples of "
            "those",
        )

    def _ref(self, key: Any, where: Any, kind: str, attrs: tuple) -> tuple[np.dtype, tuple]:
        if not isinstance(key, str) or key not in self.shapes:
            raise self.bad(where, f"refers to a tensor {key!r:.40} that is not in the file")
        first = self.refs.setdefault(key, (kind, where, attrs))
        if first[0] != kind or first[2] != attrs:
            raise self.bad(
                where,
                f"uses tensor {key!r} differently from {self.path(first[1])}, which uses it too",
            )
        return self.shapes[key]

    def _check_tensor(self, node: dict, where: Any) -> None:
        if set(node) != _TENSOR_KEYS:
            raise self.bad(
                where, f"is a tensor entry with keys {sorted(node)}, not {sorted(_TENSOR_KEYS)}"
            )
        name, dtype, shape = node["tensor"], node["dtype"], node["shape"]
        rg, param, dev = node["requires_grad"], node["parameter"], node["device"]
        if not isinstance(dtype, str) or dtype not in _ST_CODE:
            raise self.bad(where, f"is a tensor of unknown dtype {dtype!r:.40}")
        if not isinstance(shape, list) or not all(type(s) is int for s in shape):
            raise self.bad(where, f"is a tensor with an invalid shape {shape!r:.60}")
        if not isinstance(rg, bool) or not isinstance(param, bool):
            raise self.bad(where, "is a tensor whose requires_grad or parameter is not a bool")
        if not self._is_device(dev):
            raise self.bad(where, f"is a tensor saved from an unknown device {dev!r:.40}")
        if rg and not _dt.to_dtype(dtype).is_floating_point:
            raise self.bad(
                where,
                f"is {_a(dtype)} tensor that requires grad; only floating-point tensors can",
            )
        have_dtype, have_shape = self._ref(name, where, "tensor", (dtype, rg, param))
        if have_dtype != _ST_DTYPE[_ST_CODE[dtype]] or have_shape != tuple(shape):
            raise self.bad(
                where,
                f"says tensor {name!r} is {dtype} {shape}, but the file holds "
                f"{_dt.from_numpy_dtype(have_dtype).name} {list(have_shape)}",
            )

    # ------------------------------------------------------------------ reading and building
    def read(self, reader: _Reader, verify: bool) -> None:
        digests = self.header.doc.get("digests") if verify else None
        for begin, end, key, dtype, shape in self.header.entries:
            nbytes = end - begin
            buf, got, crc = reader.array(nbytes, digests is not None)
            if got < nbytes:  # an unsized stream, or a file cut short while we read it
                raise _fail(
                    self.name,
                    f"the file is truncated: tensor {key!r} ({self.path(self.refs[key][1])}) "
                    f"needs {nbytes} bytes but only {got} are left. Save the checkpoint again",
                )
            if digests is not None and f"crc32:{crc:08x}" != digests[key]:
                what = f"tensor {key!r}, {_dt.from_numpy_dtype(dtype).name} {list(shape)}"
                raise _fail(
                    self.name,
                    f"{self.path(self.refs[key][1])} ({what}) is damaged: its bytes do not match "
                    f"the CRC-32 digest saved with them. {_DAMAGED}; flowkit.load(f, "
                    "verify=False) loads the damaged values anyway",
                )
            arr = buf.view(dtype).reshape(shape)
            if not arr.dtype.isnative:  # (big-endian hosts)
                arr = arr.astype(arr.dtype.newbyteorder("="))
            elif not arr.flags.aligned:
                arr = arr.copy()
            self.arrays[key] = arr

    def build(self, node: Any) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if "tensor" in node:
            return self._tensor(node)
        ((tag, body),) = node.items()
        if tag == "list":
            return [self.build(v) for v in body]
        if tag == "tuple":
            return tuple(self.build(v) for v in body)
        if tag in ("dict", "odict"):
            out = OrderedDict() if tag == "odict" else {}
            for k, v in body:
                out[tuple(k["tuple"]) if isinstance(k, dict) else k] = self.build(v)
            return out
        if tag == "ndarray":
            return self.arrays[body]  # the load's own array; one used twice stays one
        if tag == "npscalar":
            return self.arrays[body][()]
        if tag == "dtype":
            return _dt.to_dtype(body)
        return as_device(body)

    def _tensor(self, node: dict) -> Tensor:
        key = node["tensor"]
        hit = self._tensors.get(key)
        if hit is not None:
            return hit
        # the array is this load's own, so the backend may keep it without copying again
        t = self.backend.from_numpy(self.arrays[key], self.device, False, share=True)
        if node["parameter"]:
            from .nn.parameter import Parameter

            t = Parameter(t, requires_grad=node["requires_grad"])
        elif node["requires_grad"]:
            t.requires_grad_(True)
        self._tensors[key] = t
        return t


def _save_on_rank(obj: Any, f: _PathLike | BinaryIO, dst: int) -> None:
    """``save(obj, f, global_dst_rank=dst)``: rank ``dst`` writes, every rank learns the outcome."""
    from . import comm, distributed
    from .distributed import _group

    world = _group.get_world_size()
    if isinstance(dst, bool) or not isinstance(dst, int) or not 0 <= dst < world:
        raise SerializationError(
            f"flowkit.save: global_dst_rank={dst!r} is not a rank of this run (0..{world - 1})"
        )
    if world == 1 and not distributed.is_initialized():
        save(obj, f)  # a single process: nothing to wait for
        return
    failure: BaseException | None = None
    if _group.get_rank() == dst:
        try:
            save(obj, f)
        except Exception as exc:  # noqa: BLE001 - reported to every rank below
            failure = exc
    from ._creation import tensor

    status = tensor([0 if failure is None else 1])
    comm.broadcast(status, src=dst)  # the others wait here until the file is written
    if failure is not None:
        raise failure
    if status.item():
        raise SerializationError(
            f"flowkit.save: rank {dst} (global_dst_rank) could not write the checkpoint; its "
            "error says why"
        )


def load(
    f: _PathLike | BinaryIO, map_location: str | _device | None = None, *, verify: bool = True
) -> Any:
    """Load a checkpoint written by [`save`][flowkit.save], on this process's backend.

    Loading reads JSON and raw arrays only; it never unpickles, so it cannot run code from the
    file. It checks the file before it trusts it: the header's length against the file's size,
    every entry of the metadata against the tensors it describes (all before a tensor is
    allocated), and each tensor's bytes against the CRC-32 digest saved with them. Each tensor
    is read straight into its own array, so loading takes the tensors' size in memory, not
    twice it. Tensors come back with their saved dtype, shape and ``requires_grad`` (parameters
    as [`flowkit.nn.Parameter`][flowkit.nn.Parameter]), containers with their saved types (dict,
    OrderedDict, list, tuple), and dict keys with their types (the integer keys of an optimizer's
    state stay ints).

    Args:
        f: a file path, or a binary file object opened for reading (read from its position).
        map_location: the device to put every tensor on (``"cpu"``, ``"cuda"``, ``"cuda:1"`` or a
            [`flowkit.device`][flowkit.device.device]). ``None`` (the default) uses the
            backend's default device, whatever device the checkpoint was saved from, so a
            checkpoint saved on a GPU loads on a machine without one.
        verify: check the digests (the default). ``False`` skips them, to load a little faster
            or to recover what a damaged file still holds; the structure is checked either way.
            Checkpoints of format version 1 (flowkit before digests) carry none: they load
            unverified, with a warning.

    Returns:
        The saved object.

    Raises:
        SerializationError: the file is empty, truncated, damaged (a digest does not match: the
            message names the entry, e.g. ``checkpoint['model']['0.weight']``), malformed, or
            not a flowkit checkpoint (a pickle or ``torch.save`` file, a text file, a
            safetensors file written by another tool, a directory or a device); the message
            says which.
        FileNotFoundError: there is no file at ``f``.
        TypeError: ``f`` is neither a path nor a binary file object (a text-mode file, say).

    Examples:
        >>> import io, flowkit as flow
        >>> buf = io.BytesIO()
        >>> flow.save({"w": flow.tensor([[1.0, 2.0]]), "steps": (1, 2)}, buf)
        >>> _ = buf.seek(0)
        >>> flow.load(buf, map_location="cpu")
        {'w': tensor([[1., 2.]], dtype=flowkit.float32), 'steps': (1, 2)}
    """
    name = (
        repr(os.fsdecode(os.fspath(f)))
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
    with _open(f, name) as reader:
        header = _Header(reader, name)
        if verify and header.header_digest is not None:
            # before the structure: a damaged header is reported as damage, not as nonsense
            if _header_digest(header.meta_text, header.table) != header.header_digest:
                raise _fail(
                    name,
                    "the checkpoint's header (its structure, dtypes, shapes and values) is "
                    "damaged: it does not match the CRC-32 digest saved with it. "
                    f"{_DAMAGED}; flowkit.load(f, verify=False) skips the check",
                )
        decoder = _Decoder(header, name)
        decoder.check()
        if verify and header.version < 2:
            warnings.warn(
                f"flowkit.load({name}): this checkpoint has format version {header.version}, "
                "which carries no digests, so its tensors are loaded unverified; save it again "
                "to add them",
                stacklevel=2,
            )
        decoder.read(reader, verify)
    # the backend's default device, named: from_numpy(share=True) would otherwise keep the
    # arrays on the host where the default is CUDA
    decoder.device = device if device is not None else decoder.backend.device
    return decoder.build(header.doc["obj"])
