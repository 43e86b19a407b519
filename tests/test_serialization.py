"""``flowkit.save`` / ``flowkit.load``: exact round trips (every dtype, shapes, nesting, the
non-tensor values of optimizer state), atomic writes, clear errors for truncated, corrupt and
foreign files, loading without unpickling, and resuming training on the other backend."""

from __future__ import annotations

import errno
import io
import json
import math
import os
import pickle
import select
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
import warnings
import zlib
from collections import OrderedDict

import numpy as np
import pytest
import safetensors.numpy

import flowkit as flow
from flowkit import serialization as ser
from flowkit.errors import SerializationError


def _same(a: flow.Tensor, b: flow.Tensor) -> bool:
    return (
        a.dtype == b.dtype
        and tuple(a.shape) == tuple(b.shape)
        and np.array_equal(a.numpy(), b.numpy(), equal_nan=a.dtype.is_floating_point)
    )


@pytest.fixture
def path(tmp_path):
    return tmp_path / "ckpt.safetensors"


def _split(data: bytes) -> tuple[dict, bytes]:
    """A checkpoint's safetensors header (parsed) and its data section."""
    n = int.from_bytes(data[:8], "little")
    return json.loads(data[8 : 8 + n]), data[8 + n :]


def _join(header: dict, doc: dict | None, body: bytes, digest: bool = True) -> bytes:
    """A checkpoint from a header and data, with flowkit's document ``doc`` (if given) and,
    when ``digest``, the header digest recomputed: a forged file that passes the digest check,
    to reach the structure checks behind it."""
    header = dict(header)
    meta = dict(header.pop("__metadata__"))
    if doc is not None:
        meta["flowkit"] = json.dumps(doc)
    if digest and "flowkit.crc32" in meta:
        meta["flowkit.crc32"] = ser._header_digest(meta["flowkit"], header)
    raw = json.dumps({"__metadata__": meta, **header}).encode()
    return len(raw).to_bytes(8, "little") + raw + body


def _forge(obj, arrays=(), version=2, edit=None) -> bytes:
    """A checkpoint whose document's ``obj`` is ``obj`` (JSON, as flowkit writes it) over the
    tensors ``arrays`` (named "0", "1", ...), with correct digests; ``edit(header, doc)`` may
    change the parsed header and document first."""
    arrays = {str(i): np.asarray(a) for i, a in enumerate(arrays)}
    doc = {"format": "flowkit.checkpoint", "version": version, "backend": "numpy", "obj": obj}
    head, views, _ = ser._layout(arrays, doc)
    header, _ = _split(head)
    doc = json.loads(header["__metadata__"]["flowkit"])
    if version < 2:
        del doc["digests"], header["__metadata__"]["flowkit.crc32"]
    if edit is not None:
        edit(header, doc)
    return _join(header, doc, b"".join(bytes(v) for v in views))


# ------------------------------------------------------------------------------ round trips
@pytest.mark.parametrize("dtype", [d.name for d in flow.dtypes.all_dtypes])
def test_every_dtype_and_shape_round_trips_exactly(path, dtype):
    d = flow.dtypes.to_dtype(dtype)
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(s) * 50 for s in [(), (3,), (2, 0, 4), (2, 3, 4)]]
    tensors = [flow.tensor(np.asarray(v).astype(d.np)) for v in values]
    tensors.append(flow.tensor(np.arange(12).astype(d.np)).reshape(3, 4).T)  # non-contiguous
    flow.save(tensors, path)
    back = flow.load(path)
    assert isinstance(back, list) and len(back) == len(tensors)
    for a, b in zip(tensors, back):
        assert _same(a, b)


def test_nested_structure_and_python_values(path):
    t = flow.randn(2, 2)
    obj = {
        "t": t,
        "again": t,  # stored once, loaded as one tensor
        "ints": [0, -1, 2**62],
        "floats": (0.1, -2.5e-300, math.inf, -math.inf, math.nan),
        "strs": ["", "ünïcødé", "a\nb"],
        "flags": (True, False, None),
        1: "int key",
        (2, "x"): "tuple key",
        None: "none key",
        2.5: "float key",
        "od": OrderedDict([("z", flow.ones(1)), ("a", flow.zeros(1))]),
        "empty": {"l": [], "t": (), "d": {}},
        "dtype": flow.float16,
        "device": flow.device("cpu"),
        "np": np.arange(6, dtype=np.int16).reshape(2, 3),
        "npscalar": np.float64(1.5),
    }
    flow.save(obj, path)
    back = flow.load(path)
    assert set(back) == set(obj)
    assert _same(back["t"], t) and back["again"] is back["t"]
    assert back["ints"] == [0, -1, 2**62] and isinstance(back["ints"], list)
    f = back["floats"]
    assert isinstance(f, tuple) and f[:4] == (0.1, -2.5e-300, math.inf, -math.inf)
    assert math.isnan(f[4])
    assert back["strs"] == obj["strs"] and back["flags"] == (True, False, None)
    assert back[1] == "int key" and back[(2, "x")] == "tuple key" and back[None] == "none key"
    assert back[2.5] == "float key"
    assert type(back["od"]) is OrderedDict and list(back["od"]) == ["z", "a"]
    assert back["empty"] == {"l": [], "t": (), "d": {}}
    assert back["dtype"] is flow.float16 and back["device"] == flow.device("cpu")
    assert back["np"].dtype == np.int16 and back["np"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert back["npscalar"] == 1.5 and back["npscalar"].dtype == np.float64
    assert isinstance(back["ints"][2], int) and type(back["flags"][0]) is bool


def test_requires_grad_and_parameters(path):
    p = flow.nn.Parameter(flow.ones(2))
    frozen = flow.nn.Parameter(flow.ones(1), requires_grad=False)
    flow.save(
        {"p": p, "frozen": frozen, "leaf": flow.ones(1, requires_grad=True), "plain": flow.ones(1)},
        path,
    )
    back = flow.load(path)
    assert isinstance(back["p"], flow.nn.Parameter) and back["p"].requires_grad
    assert isinstance(back["frozen"], flow.nn.Parameter) and not back["frozen"].requires_grad
    assert back["leaf"].requires_grad and back["leaf"].is_leaf
    assert not back["plain"].requires_grad


def test_module_and_optimizer_state_dicts(path):
    model = flow.nn.Linear(3, 2)
    sgd = flow.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    adam = flow.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.9))
    model(flow.ones(4, 3)).sum().backward()
    sgd.step()
    adam.step()
    flow.save(
        {"model": model.state_dict(), "sgd": sgd.state_dict(), "adam": adam.state_dict()}, path
    )
    back = flow.load(path)
    assert type(back["model"]) is OrderedDict and list(back["model"]) == ["weight", "bias"]
    fresh = flow.nn.Linear(3, 2)
    fresh.load_state_dict(back["model"])
    assert _same(fresh.weight.detach(), model.weight.detach())
    for name, opt in (("sgd", sgd), ("adam", adam)):
        want, got = opt.state_dict(), back[name]
        assert got["param_groups"] == want["param_groups"]  # floats, bools, tuples, index lists
        assert list(got["state"]) == [0, 1]  # int keys stay ints
        for i in (0, 1):
            for k, v in want["state"][i].items():
                if isinstance(v, flow.Tensor):
                    assert _same(got["state"][i][k], v)
                else:
                    assert got["state"][i][k] == v and type(got["state"][i][k]) is type(v)
    assert back["adam"]["param_groups"][0]["betas"] == (0.8, 0.9)


def test_file_objects_and_map_location(path):
    buf = io.BytesIO()
    flow.save({"w": flow.arange(3)}, buf)
    buf.seek(0)
    back = flow.load(buf, map_location="cpu")
    assert back["w"].tolist() == [0, 1, 2] and back["w"].device == flow.device("cpu")
    flow.save(flow.ones(2), str(path))  # str paths and PathLike both work
    assert flow.load(path, map_location=flow.device("cpu")).device.type == "cpu"
    assert flow.load(path).device == flow.backend().device
    with pytest.raises(FileNotFoundError, match="does not exist"):
        flow.save(1, path.parent / "no-such-dir" / "x.safetensors")
    with pytest.raises(TypeError, match="map_location"):
        flow.load(path, map_location={"cuda:0": "cpu"})


def test_unsupported_objects_are_refused_before_writing(path):
    flow.save({"v": 1}, path)
    before = path.read_bytes()
    with pytest.raises(SerializationError, match=r"obj\['bad'\] is a .*object.*no pickle"):
        flow.save({"bad": object()}, path)
    with pytest.raises(SerializationError, match=r"model.state_dict\(\)"):
        flow.save(flow.nn.Linear(1, 1), path)
    loop = []
    loop.append(loop)
    with pytest.raises(SerializationError, match="cycle"):
        flow.save(loop, path)
    with pytest.raises(SerializationError, match="dict key"):
        flow.save({frozenset(): 1}, path)
    assert path.read_bytes() == before
    assert issubclass(SerializationError, flow.FlowkitError)


# ------------------------------------------------------------------------------ atomic writes
@pytest.mark.parametrize("fail_at", ["write", "fsync", "chmod", "replace"])
def test_failed_write_leaves_the_old_file_intact(path, monkeypatch, fail_at):
    flow.save({"version": 1, "w": flow.zeros(1000)}, path)
    old = path.read_bytes()
    real_write = os.write

    def boom(*args, **kwargs):
        raise OSError(errno.EIO, "I/O error (simulated)")

    def half_then_boom(fd, data):  # half the bytes reach the temp file, then the write fails
        real_write(fd, bytes(data)[: len(data) // 2])
        boom()

    monkeypatch.setattr(os, fail_at, half_then_boom if fail_at == "write" else boom)
    with pytest.raises(SerializationError, match=r"cannot write .*ckpt.safetensors.*simulated"):
        flow.save({"version": 2, "w": flow.ones(1000)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert flow.load(path)["version"] == 1
    assert os.listdir(path.parent) == [path.name]  # no temporary file left behind


def test_interrupted_save_removes_its_temporary_file(path, monkeypatch):
    flow.save(1, path)

    def interrupt(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        flow.save(2, path)
    monkeypatch.undo()
    assert os.listdir(path.parent) == [path.name] and flow.load(path) == 1


def test_overwrite_keeps_permissions(path):
    flow.save(1, path)
    os.chmod(path, 0o640)
    flow.save(2, path)
    assert (os.stat(path).st_mode & 0o777) == 0o640 and flow.load(path) == 2


# ------------------------------------------------------------------------------ bad files
def test_truncated_files(path):
    flow.save({"w": flow.randn(64), "n": 3}, path)
    data = path.read_bytes()
    header = 8 + int.from_bytes(data[:8], "little")
    for cut, words in [
        (0, "empty or truncated"),
        (5, "empty or truncated"),
        (header - 10, "truncated"),
        (header + 10, "truncated"),
        (len(data) - 1, "truncated"),
    ]:
        path.write_bytes(data[:cut])
        with pytest.raises(SerializationError, match=words) as info:
            flow.load(path)
        assert "flowkit.load(" in str(info.value)


def test_corrupt_files(path):
    flow.save({"w": flow.randn(4)}, path)
    data = bytearray(path.read_bytes())
    bad = bytearray(data)
    bad[9:14] = b"#####"  # inside the JSON header
    path.write_bytes(bytes(bad))
    with pytest.raises(SerializationError, match="not valid JSON"):
        flow.load(path)
    # a header that lies about a tensor's shape, with its digest recomputed: the structure
    # check catches what the digest cannot (a file made to deceive, or a buggy writer)
    header, body = _split(bytes(data))
    doc = json.loads(header["__metadata__"]["flowkit"])
    doc["obj"]["dict"][0][1]["shape"] = [5]
    path.write_bytes(_join(header, doc, body))
    with pytest.raises(SerializationError, match=r"corrupt.*float32 \[5\].*holds float32 \[4\]"):
        flow.load(path)


def test_foreign_files(path, tmp_path):
    path.write_bytes(pickle.dumps({"w": [1.0, 2.0]}))
    with pytest.raises(SerializationError, match="pickle"):
        flow.load(path)
    path.write_text("hello, this is not a checkpoint\n")
    with pytest.raises(SerializationError, match="text file"):
        flow.load(path)
    path.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(SerializationError, match="zip archive"):
        flow.load(path)
    safetensors.numpy.save_file({"weight": np.zeros(3, np.float32)}, str(path))
    with pytest.raises(SerializationError, match="not one written by flowkit.save.*weight"):
        flow.load(path)
    with pytest.raises(FileNotFoundError, match="no such file"):
        flow.load(tmp_path / "missing.safetensors")


def test_loading_never_unpickles(path, tmp_path, monkeypatch):
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path.write_bytes(pickle.dumps(Exploit()))
    with pytest.raises(SerializationError, match="never unpickles"):
        flow.load(path)
    assert not marker.exists()

    def forbidden(*args, **kwargs):
        raise AssertionError("flowkit.load used pickle")

    flow.save({"w": flow.ones(2), "s": "x"}, path)
    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, forbidden)
    assert flow.load(path)["s"] == "x"


# ------------------------------------------------------------------------------ cross-backend
_RESUME = textwrap.dedent("""
    import json, sys
    import numpy as np
    import flowkit as flow

    ckpt_in, k, ckpt_out, report = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    flow.manual_seed(0)
    m1, m2 = flow.nn.Linear(4, 3), flow.nn.Linear(4, 3)
    o1 = flow.optim.SGD(m1.parameters(), lr=0.1, momentum=0.9)
    o2 = flow.optim.Adam(m2.parameters(), lr=0.05)
    rng = np.random.default_rng(1)
    x = flow.tensor(rng.standard_normal((8, 4)).astype(np.float32))
    y = flow.tensor(rng.standard_normal((8, 3)).astype(np.float32))
    step = 0
    if ckpt_in != "-":
        ck = flow.load(ckpt_in)
        m1.load_state_dict(ck["m1"]); m2.load_state_dict(ck["m2"])
        o1.load_state_dict(ck["o1"]); o2.load_state_dict(ck["o2"])
        step = ck["step"]
        assert ck["o2"]["state"][0]["step"] == step and ck["o1"]["state"], "no optimizer state"

    def train(n):
        losses = []
        for _ in range(n):
            for m, o in ((m1, o1), (m2, o2)):
                o.zero_grad()
                loss = ((m(x) - y) ** 2).mean()
                loss.backward()
                o.step()
                losses.append(loss.item())
        return {"losses": losses,
                "params": [p.tolist() for m in (m1, m2) for p in m.parameters()]}

    out = {"backend": flow.backend().name, "pre": train(k)}
    flow.save({"m1": m1.state_dict(), "m2": m2.state_dict(), "o1": o1.state_dict(),
               "o2": o2.state_dict(), "step": step + k}, ckpt_out)
    out["post"] = train(3)
    with open(report, "w") as f:
        json.dump(out, f)
""")


def _run(tmp_path, backend, ckpt_in, k, ckpt_out):
    script = tmp_path / "resume.py"
    script.write_text(_RESUME)
    report = tmp_path / f"{ckpt_out}.json"
    env = {**os.environ, "FLOWKIT_BACKEND": backend}
    env.pop("FLOWKIT_DEVICE", None)
    proc = subprocess.run(
        [sys.executable, str(script), str(ckpt_in), str(k), str(tmp_path / ckpt_out), str(report)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(report.read_text())
    assert result["backend"] == backend
    return result


def _close(a, b):
    np.testing.assert_allclose(np.array(a["losses"]), np.array(b["losses"]), rtol=1e-5, atol=1e-6)
    for pa, pb in zip(a["params"], b["params"]):
        np.testing.assert_allclose(np.array(pa), np.array(pb), rtol=1e-5, atol=1e-6)


@pytest.mark.once
@pytest.mark.torch_oracle
def test_resume_training_on_the_other_backend(tmp_path):
    # numpy trains 3 steps and saves; torch resumes from that file, trains 3 steps, saves;
    # numpy resumes from torch's file. Each resumed run must repeat what the saver did next.
    a = _run(tmp_path, "numpy", "-", 3, "a.safetensors")
    b = _run(tmp_path, "torch", tmp_path / "a.safetensors", 3, "b.safetensors")
    _close(b["pre"], a["post"])
    c = _run(tmp_path, "numpy", tmp_path / "b.safetensors", 3, "c.safetensors")
    _close(c["pre"], b["post"])
    assert a["post"]["losses"] != a["pre"]["losses"]


# ------------------------------------------------------------------------------ the format
def test_the_file_is_plain_safetensors_with_aligned_tensors(path):
    from safetensors import safe_open

    # odd-sized narrow tensors between wide ones: the writer orders them so all stay aligned
    obj = {
        "a": flow.tensor(np.arange(3, dtype=np.int8)),
        "b": flow.tensor(np.arange(5, dtype=np.float64)),
        "c": np.arange(3, dtype=np.float16),
        "d": flow.tensor(np.ones(7, dtype=np.int32)),
    }
    flow.save(obj, path)
    data = path.read_bytes()
    assert int.from_bytes(data[:8], "little") % 8 == 0
    plain = safetensors.numpy.load(data)
    assert sorted(plain) == ["0", "1", "2", "3"]
    with safe_open(str(path), framework="numpy") as f:
        meta = f.metadata()
        assert np.array_equal(f.get_tensor("1"), np.arange(5, dtype=np.float64))
    doc = json.loads(meta["flowkit"])
    assert doc["version"] == 2 and set(doc["digests"]) == {"0", "1", "2", "3"}
    assert doc["digests"]["1"] == f"crc32:{zlib.crc32(np.arange(5.0).tobytes()):08x}"
    back = flow.load(path)
    for key in ("a", "b", "d"):
        assert back[key].numpy().flags.aligned and _same(back[key], obj[key])
    assert back["c"].flags.aligned and back["c"].flags.writeable
    assert np.array_equal(back["c"], obj["c"])


def test_format_version_1_loads_unverified(path):
    # exactly what flowkit wrote before digests: safetensors' own writer, document version 1
    doc = {
        "format": "flowkit.checkpoint",
        "version": 1,
        "backend": "numpy",
        "obj": {"dict": [["w", {"ndarray": "0"}], ["step", 7]]},
    }
    arrays = {"0": np.arange(4, dtype=np.float32)}
    path.write_bytes(safetensors.numpy.save(arrays, metadata={"flowkit": json.dumps(doc)}))
    with pytest.warns(UserWarning, match=r"format version 1.*unverified.*save it again"):
        back = flow.load(path)
    assert back["step"] == 7 and back["w"].tolist() == [0, 1, 2, 3]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # verify=False asked for no check: nothing to say
        assert flow.load(path, verify=False)["step"] == 7
    # a version 2 document relabelled as version 1 (to skip the digests) is refused
    flow.save({"w": flow.ones(2)}, path)
    header, body = _split(path.read_bytes())
    doc = json.loads(header["__metadata__"]["flowkit"])
    doc["version"] = 1
    path.write_bytes(_join(header, doc, body))
    with pytest.raises(SerializationError, match="unexpected entries \\['digests'\\]"):
        flow.load(path)


# ------------------------------------------------------------------------------ integrity
def test_a_flipped_data_byte_is_caught_and_named(path):
    model = flow.nn.Sequential(flow.nn.Linear(3, 4), flow.nn.ReLU(), flow.nn.Linear(4, 2))
    flow.save({"model": model.state_dict(), "epoch": 3}, path)
    data = bytearray(path.read_bytes())
    header, _ = _split(bytes(data))
    doc = json.loads(header["__metadata__"]["flowkit"])
    name = {k: v for k, v in doc["obj"]["dict"][0][1]["odict"]}["2.weight"]["tensor"]
    start = 8 + int.from_bytes(data[:8], "little") + header[name]["data_offsets"][0]
    data[start + 5] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.raises(SerializationError) as info:
        flow.load(path)
    msg = str(info.value)
    assert "checkpoint['model']['2.weight']" in msg and "float32 [2, 4]" in msg
    assert "damaged" in msg and "CRC-32" in msg and "verify=False" in msg and "good copy" in msg
    # verify=False loads it, damage included
    back = flow.load(path, verify=False)
    assert not np.array_equal(back["model"]["2.weight"].numpy(), model[2].weight.numpy())
    assert _same(back["model"]["0.weight"], model[0].weight.detach())


def test_an_edited_header_is_caught(path):
    flow.save({"epoch": 3, "lr": 0.25, "w": flow.ones(2)}, path)
    data = path.read_bytes()
    assert data.count(b'\\"epoch\\",3]') == 1
    path.write_bytes(data.replace(b'\\"epoch\\",3]', b'\\"epoch\\",7]'))  # same length
    with pytest.raises(SerializationError, match=r"header .* is damaged.*verify=False"):
        flow.load(path)
    assert flow.load(path, verify=False)["epoch"] == 7


# ------------------------------------------------------------------------------ structure
_T = {"requires_grad": False, "parameter": False, "device": "cpu:0"}


def _tensor(name="0", dtype="float32", shape=(2,), **kw):
    return {"tensor": name, "dtype": dtype, "shape": list(shape), **_T, **kw}


def _set(path_in_doc, value):
    def edit(header, doc):
        node = doc
        for key in path_in_doc[:-1]:
            node = node[key]
        node[path_in_doc[-1]] = value

    return edit


_F32 = np.zeros(2, np.float32)
_MALFORMED = {
    # id: (obj, arrays, edit, expected message)
    "unhashable key": (
        {"dict": [[{"list": [1]}, 2]]},
        [],
        None,
        r"checkpoint has a dict key \{'list': \[1\]\}",
    ),
    "duplicate key": (
        {"dict": [["a", 1], ["a", 2]]},
        [],
        None,
        r"checkpoint has the key 'a' twice",
    ),
    "pair not a pair": ({"dict": [["a", 1, 2]]}, [], None, r"checkpoint is a dict with an item"),
    "dict body": (
        {"odict": {"a": 1}},
        [],
        None,
        r"checkpoint is an odict that is not a JSON array",
    ),
    "list body": ({"list": 3}, [], None, r"checkpoint is a list that is not a JSON array"),
    "json array node": ({"list": [[1, 2]]}, [], None, r"checkpoint\[0\] is an array"),
    "empty object": ({"list": [{}]}, [], None, r"checkpoint\[0\] is an object \(\{\}\)"),
    "two tags": ({"list": [], "tuple": []}, [], None, r"checkpoint is an entry with keys"),
    "unknown tag": (
        {"dict": [["x", {"pickle": "0"}]]},
        [],
        None,
        r"checkpoint\['x'\] is an unknown",
    ),
    "int requires grad": (
        {"dict": [["n", _tensor(dtype="int64", requires_grad=True)]]},
        [np.zeros(2, np.int64)],
        None,
        r"checkpoint\['n'\] is an int64 tensor that requires grad",
    ),
    "scalar over an array": (
        {"dict": [["s", {"npscalar": "0"}]]},
        [np.zeros((3, 4))],
        None,
        r"checkpoint\['s'\] is a numpy scalar, but its tensor '0' has shape \[3, 4\]",
    ),
    "missing tensor": ({"list": [_tensor(name="9")]}, [_F32], None, r"checkpoint\[0\] refers to"),
    "tensor keys": (
        {"list": [{"tensor": "0", "dtype": "float32", "shape": [2]}]},
        [_F32],
        None,
        r"checkpoint\[0\] is a tensor entry with keys",
    ),
    "dtype mismatch": (
        {"list": [_tensor(dtype="float64")]},
        [_F32],
        None,
        r"checkpoint\[0\] says tensor '0' is float64",
    ),
    "shape mismatch": ({"list": [_tensor(shape=(1, 2))]}, [_F32], None, r"is float32 \[1, 2\]"),
    "unknown dtype": ({"list": [_tensor(dtype="complex64")]}, [_F32], None, "unknown dtype"),
    "bad device": ({"list": [_tensor(device="tpu:0")]}, [_F32], None, "unknown device 'tpu:0'"),
    "bool flags": ({"list": [_tensor(parameter="yes")]}, [_F32], None, "is not a bool"),
    "one tensor, two ways": (
        {"list": [_tensor(), _tensor(requires_grad=True)]},
        [_F32],
        None,
        r"checkpoint\[1\] uses tensor '0' differently from checkpoint\[0\]",
    ),
    "tensor and array": (
        {"list": [_tensor(), {"ndarray": "0"}]},
        [_F32],
        None,
        r"checkpoint\[1\] uses tensor '0' differently",
    ),
    "unused tensor": ({"list": []}, [_F32], None, r"holds tensor\(s\) \['0'\] that"),
    "dtype tag": ({"dtype": "float128"}, [], None, "checkpoint names an unknown dtype"),
    "device tag": ({"device": 3}, [], None, "checkpoint names an unknown device"),
    "too deep": (
        json.loads('{"list": [' * 101 + "]}" * 101),
        [],
        None,
        "nested more than 100 containers deep",
    ),
    "version 3": (1, [], _set(["version"], 3), "format version 3; this flowkit reads"),
    "version true": (1, [], _set(["version"], True), "format version True does not exist"),
    "version 0": (1, [], _set(["version"], 0), "format version 0 does not exist"),
    "extra entry": (1, [], _set(["extra"], 1), r"unexpected entries \['extra'\]"),
    "no backend": (1, [], _set(["backend"], None), "no backend name"),
    "digest missing": (
        {"list": [{"ndarray": "0"}]},
        [_F32],
        _set(["digests"], {}),
        "one digest per tensor",
    ),
    "digest malformed": (
        {"list": [{"ndarray": "0"}]},
        [_F32],
        _set(["digests", "0"], "md5:00"),
        r"checkpoint\[0\] has a malformed digest",
    ),
    "table dtype": (
        {"list": [{"ndarray": "0"}]},
        [_F32],
        lambda h, d: h["0"].update(dtype="BF16"),
        r"tensor '0' has dtype 'BF16', not one flowkit stores",
    ),
    "table extra field": (
        {"list": [{"ndarray": "0"}]},
        [_F32],
        lambda h, d: h["0"].update(crc=1),
        r"entry for tensor '0' is not \{dtype, shape, data_offsets\}",
    ),
    "table shape": (
        {"list": [{"ndarray": "0"}]},
        [_F32],
        lambda h, d: h["0"].update(shape=[-2]),
        r"tensor '0' has an invalid shape",
    ),
    "table offsets": (
        {"list": [{"ndarray": "0"}]},
        [_F32],
        lambda h, d: h["0"].update(data_offsets=[8, 0]),
        r"tensor '0' has invalid data offsets",
    ),
    "table size": (
        {"list": [{"ndarray": "0"}]},
        [_F32],
        lambda h, d: h["0"].update(shape=[3]),
        r"tensor '0' spans 8 bytes, but a F32 tensor of shape \[3\] takes 12",
    ),
    "table overlap": (
        {"list": [{"ndarray": "0"}, {"ndarray": "1"}]},
        [_F32, _F32],
        lambda h, d: h["1"].update(data_offsets=h["0"]["data_offsets"]),
        r"tensor '.' starts at byte 0 of the data, but the tensors before it end at 8",
    ),
    "metadata values": (1, [], lambda h, d: h["__metadata__"].update(x=1), "not a map of strings"),
}


@pytest.mark.parametrize("case", list(_MALFORMED))
def test_malformed_entries_are_named(path, case):
    obj, arrays, edit, expected = _MALFORMED[case]
    path.write_bytes(_forge(obj, arrays, edit=edit))
    for source in (path, io.BytesIO(path.read_bytes())):
        with pytest.raises(SerializationError, match=expected) as info:
            flow.load(source)
        # the problem and the fix (or, for a newer version, the upgrade)
        assert "good copy" in str(info.value) or "Upgrade flowkit" in str(info.value)


def test_json_nested_past_the_parsers_stack(path):
    # deeper than json.loads can go: its RecursionError becomes the documented error
    deep = "[" * 100_000 + "]" * 100_000
    text = '{"format":"flowkit.checkpoint","version":2,"backend":"numpy","digests":{},"obj":'
    text += deep + "}"
    header = {"__metadata__": {"flowkit": text, "flowkit.crc32": ser._header_digest(text, {})}}
    path.write_bytes(_join(header, None, b""))
    with pytest.raises(SerializationError, match="flowkit's metadata is nested too deeply"):
        flow.load(path)
    raw = b'{"__metadata__":{},"0":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    path.write_bytes(len(raw).to_bytes(8, "little") + raw)
    with pytest.raises(SerializationError, match="safetensors header is nested too deeply"):
        flow.load(path)


def test_header_level_damage(path):
    good = _forge({"list": [{"ndarray": "0"}]}, [_F32])
    n = int.from_bytes(good[:8], "little")
    # a key twice in the header's JSON (json.loads alone would keep the last one)
    raw = good[8 : 8 + n].rstrip()
    dup = raw[:-1] + b',"0":' + json.dumps(json.loads(raw)["0"]).encode() + b"}"
    path.write_bytes(len(dup).to_bytes(8, "little") + dup + good[8 + n :])
    with pytest.raises(SerializationError, match="the key '0' appears twice"):
        flow.load(path)
    path.write_bytes(good + b"\0" * 3)
    with pytest.raises(SerializationError, match="3 bytes follow the last tensor's data"):
        flow.load(path)
    header, body = _split(good)
    del header["__metadata__"]["flowkit.crc32"]
    path.write_bytes(_join(header, None, body))
    with pytest.raises(SerializationError, match="version 2 checkpoint without a header digest"):
        flow.load(path)


def test_depth_limit_on_save(path):
    deep: list = []
    node = deep
    for _ in range(99):
        node.append([])
        node = node[0]
    flow.save(deep, path)  # 100 lists deep: the most there is
    assert flow.load(path) == deep
    node.append([])
    with pytest.raises(
        SerializationError, match=r"obj\[0\]\[0\].* \.\.\. .*\[0\] is nested more than 100"
    ):
        flow.save(deep, path)


def test_header_size_limit(path, monkeypatch):
    monkeypatch.setattr(ser, "_MAX_HEADER", 4000)
    with pytest.raises(SerializationError, match="more than the .* a safetensors header may hold"):
        flow.save(list(range(2000)), path)
    assert not path.exists()
    flow.save(flow.arange(2000), path)  # as a tensor it is 8 bytes apiece in the data
    monkeypatch.setattr(ser, "_MAX_HEADER", 100)
    with pytest.raises(SerializationError, match="not in safetensors format.*more than the 100"):
        flow.load(path)


# ------------------------------------------------------------------------------ bounded loading
def test_non_regular_files_are_refused(tmp_path):
    for target, kind in [("/dev/zero", "character device"), (str(tmp_path), "directory")]:
        t = time.perf_counter()
        with pytest.raises(SerializationError, match=f"this is a {kind}, not a checkpoint file"):
            flow.load(target)
        assert time.perf_counter() - t < 5  # (it used to read /dev/zero until memory ran out)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    outcome: list = []

    def attempt():
        try:
            flow.load(fifo)
        except SerializationError as exc:
            outcome.append(exc)

    reader = threading.Thread(target=attempt, daemon=True)
    reader.start()
    reader.join(timeout=20)
    if reader.is_alive():  # blocked on open(): let it go, then fail
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        reader.join(timeout=10)
        pytest.fail("flowkit.load waited for a writer on a FIFO")
    assert outcome and "FIFO (named pipe)" in str(outcome[0])


class _Unsized(io.RawIOBase):
    """A binary stream that cannot seek (a pipe, a socket, a network download)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        return self._data.readinto(b)


def _peak(fn) -> int:
    """Python-side peak allocation (numpy's arrays included) of ``fn()``, in bytes."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("source", ["path", "bytesio", "unsized"])
def test_a_lying_header_length_allocates_nothing(path, source):
    fake = (90_000_000).to_bytes(8, "little") + b'{"__metadata__": {}}' + bytes(100)
    path.write_bytes(fake)
    make = {
        "path": lambda: path,
        "bytesio": lambda: io.BytesIO(fake),
        "unsized": lambda: _Unsized(fake),
    }[source]

    def attempt():
        with pytest.raises(SerializationError, match="truncated|not valid JSON"):
            flow.load(make())

    assert _peak(attempt) < 1_000_000


@pytest.mark.parametrize("source", ["path", "bytesio", "unsized"])
def test_a_lying_tensor_size_allocates_nothing(path, source):
    def grow(header, doc):  # 2 GB of tensor that the file does not hold, digests and all
        header["0"].update(shape=[500_000_000], data_offsets=[0, 2_000_000_000])
        doc["obj"]["list"][0]["shape"] = [500_000_000]

    data = _forge({"list": [_tensor()]}, [_F32], edit=grow)
    path.write_bytes(data)
    make = {
        "path": lambda: path,
        "bytesio": lambda: io.BytesIO(data),
        "unsized": lambda: _Unsized(data),
    }[source]

    def attempt():
        with pytest.raises(SerializationError, match="truncated"):
            flow.load(make())

    assert _peak(attempt) < 1_000_000


@pytest.mark.parametrize("source", ["path", "bytesio", "unsized"])
def test_loading_takes_the_tensors_size_in_memory(path, source):
    rng = np.random.default_rng(0)
    state = {
        f"w{i}": flow.tensor(rng.standard_normal((256, 256)).astype(np.float32)) for i in range(16)
    }
    flow.save(state, path)
    tensors = 16 * 256 * 256 * 4  # 4 MiB
    data = path.read_bytes()
    make = {
        "path": lambda: path,
        "bytesio": lambda: io.BytesIO(data),
        "unsized": lambda: _Unsized(data),
    }[source]
    out: list = []
    peak = _peak(lambda: out.append(flow.load(make())))
    assert all(_same(out[0][k], state[k]) for k in state)
    # the previous loader peaked at 2x (the whole file read, then every tensor copied out)
    assert peak <= 1.1 * tensors, f"peak {peak / tensors:.2f}x the tensors"


def test_the_default_device_is_the_backends(path, monkeypatch):
    # map_location=None means the backend's default device (CUDA where the torch backend uses
    # it), not wherever from_numpy(share=True) would leave a tensor (the host)
    backend = flow.backend()
    seen = []
    real = backend.from_numpy

    def record(array, device, requires_grad, share=False):
        seen.append(device)
        return real(array, device, requires_grad, share=share)

    flow.save({"a": flow.ones(2), "b": flow.zeros(1)}, path)
    monkeypatch.setattr(backend, "from_numpy", record)
    flow.load(path)
    assert seen == [backend.device, backend.device]
    flow.load(path, map_location="cpu")
    assert seen[2:] == [flow.device("cpu")] * 2


def test_a_failing_stream():
    class Broken(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, b):
            raise ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")

    with pytest.raises(SerializationError, match="cannot read the file object: Connection reset"):
        flow.load(Broken())


def test_gzip_streams(tmp_path):
    # gzip: a mode that is an int, and a stream that cannot seek from its end (read unsized)
    import gzip

    target = tmp_path / "ckpt.safetensors.gz"
    with gzip.open(target, "wb") as f:
        flow.save({"w": flow.arange(5), "n": 2}, f)
    with gzip.open(target, "rb") as f:
        back = flow.load(f)
    assert back["w"].tolist() == [0, 1, 2, 3, 4] and back["n"] == 2


def test_stream_position_and_sizes(path):
    # a checkpoint in the middle of a stream: read from its position, up to its end
    buf = io.BytesIO()
    buf.write(b"prefix")
    flow.save({"a": flow.ones(3)}, buf)
    buf.seek(6)
    assert flow.load(buf)["a"].tolist() == [1, 1, 1]
    with pytest.raises(SerializationError, match="empty or truncated"):
        flow.load(io.BytesIO(b""))


# ------------------------------------------------------------------------------ saving
def test_text_mode_files_are_refused_clearly(path):
    with open(path, "w") as f, pytest.raises(TypeError, match=r"text mode.*'wb'"):
        flow.save(1, f)
    with pytest.raises(TypeError, match="text mode"):
        flow.save(1, io.StringIO())
    flow.save(1, path)
    with open(path) as f, pytest.raises(TypeError, match=r"text mode.*'rb'"):
        flow.load(f)
    with pytest.raises(TypeError, match="path or a binary file object"):
        flow.save(1, 42)  # type: ignore[arg-type]


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_a_full_disk_names_the_path_and_the_bytes(path, monkeypatch, code):
    flow.save({"w": flow.zeros(10)}, path)
    old = path.read_bytes()
    real_write = os.write
    written = []

    def full(fd, data):  # the disk fills up after the first 1000 bytes
        if sum(written) >= 1000:
            raise OSError(code, os.strerror(code))
        written.append(real_write(fd, bytes(data)[:1000]))
        return written[-1]

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(SerializationError) as info:
        flow.save({"w": flow.zeros(100_000)}, path)
    monkeypatch.undo()
    msg = str(info.value)
    assert repr(str(path)) in msg and "no space left" in msg
    needed = int(msg.split("needs ")[1].split(" bytes")[0])
    assert 400_000 < needed < 402_000 and "Free some space" in msg and "unchanged" in msg
    assert isinstance(info.value.__cause__, OSError) and info.value.__cause__.errno == code
    assert path.read_bytes() == old and os.listdir(path.parent) == [path.name]


def test_a_full_disk_on_a_file_object():
    class Full(io.BytesIO):
        name = "remote.safetensors"

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(SerializationError, match=r"no space left to write 'remote.safetensors'"):
        flow.save(flow.ones(3), Full())


@pytest.mark.parametrize("code", [errno.EACCES, errno.EPERM, errno.EROFS])
def test_permission_errors_name_the_path_and_the_fix(path, monkeypatch, code):
    real_open = os.open

    def denied(file, flags, *args, **kwargs):
        if ".flowkit-tmp-" in str(file):  # the temporary file beside the target
            raise OSError(code, os.strerror(code), file)
        return real_open(file, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(SerializationError) as info:
        flow.save(1, path)
    msg = str(info.value)
    assert f"permission denied writing {str(path)!r}" in msg
    assert repr(str(path.parent)) in msg and "directory you can write to" in msg
    assert not path.exists()


def test_saving_to_a_directory_or_a_device(path, tmp_path):
    with pytest.raises(SerializationError, match="is a directory; pass a file path"):
        flow.save(1, tmp_path)
    flow.save(flow.ones(1000), "/dev/null")  # written into the device, never renamed over it
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


# ------------------------------------------------------------------------------ dead writers
def _temps(directory) -> list[str]:
    return sorted(n for n in os.listdir(directory) if ".flowkit-tmp-" in n or n.endswith(".tmp"))


def test_stale_temporary_files_are_removed_and_live_ones_kept(path):
    host = ser._host_tag()
    old = time.time() - 2 * 24 * 3600
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait(timeout=60)
        files = {
            f".{path.name}.flowkit-tmp-{host}-{dead.pid}-0badc0de": False,  # its writer is gone
            f".{path.name}.flowkit-tmp-{host}-{live.pid}-00c0ffee": True,  # still writing
            f".{path.name}.flowkit-tmp-{host}-{os.getpid()}-01234567": True,  # this process
            f".{path.name}.flowkit-tmp-0000beef-{dead.pid}-89abcdef": True,  # another host: young
            f".{path.name}.flowkit-tmp-0000beef-1-fedcba98": False,  # another host, a day old
            f".{path.name}.abcd_123.tmp": True,  # flowkit before format 2 (mkstemp): young
            f".{path.name}.zyxw_987.tmp": False,  # the same, a day old
            ".other.safetensors.flowkit-tmp-" + f"{host}-{dead.pid}-0badc0de": True,  # not ours
            f"{path.name}.bak": True,
        }
        for name in files:
            (path.parent / name).write_bytes(b"partial")
        for name in (f".{path.name}.flowkit-tmp-0000beef-1-fedcba98", f".{path.name}.zyxw_987.tmp"):
            os.utime(path.parent / name, (old, old))
        flow.save(1, path)
        left = set(os.listdir(path.parent))
        assert left == {path.name} | {n for n, keep in files.items() if keep}
    finally:
        live.kill()
        live.wait(timeout=60)


_WRITER = textwrap.dedent("""
    import os, sys, time
    import numpy as np
    import flowkit as flow

    path, pause = sys.argv[1], sys.argv[2]

    def stop():
        print("ready", flush=True)
        time.sleep(120)  # the test kills us here

    real_write = os.write
    if pause == "write":  # killed with the header and half the tensor's data written

        def write(fd, data):
            if len(data) > 100_000:
                real_write(fd, bytes(data)[: len(data) // 2])
                stop()
            return real_write(fd, data)

        os.write = write
    else:  # killed with everything written, before the rename
        os.fsync = lambda fd: stop()
    flow.save({"version": 2, "w": flow.tensor(np.ones((512, 512), np.float32))}, path)
""")


@pytest.mark.parametrize("pause", ["write", "fsync"])
def test_a_writer_killed_mid_save(path, tmp_path, pause):
    flow.save({"version": 1, "w": flow.zeros(512, 512)}, path)
    old = path.read_bytes()
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(path), pause],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready and proc.stdout.readline() == b"ready\n", proc.stderr.read()
        temps = _temps(tmp_path)
        assert len(temps) == 1 and f"-{proc.pid}-" in temps[0]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)  # reaped: its pid is free (a zombie would still look alive)
        assert path.read_bytes() == old and flow.load(path)["version"] == 1
        assert _temps(tmp_path) == temps  # the dead writer's partial file is still there...
        flow.save({"version": 3}, path)
        assert _temps(tmp_path) == []  # ...until the next save to the same path
        assert flow.load(path) == {"version": 3}
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
