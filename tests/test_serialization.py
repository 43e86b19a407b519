"""``flowkit.save`` / ``flowkit.load``: exact round trips (every dtype, shapes, nesting, the
non-tensor values of optimizer state), atomic writes, clear errors for truncated, corrupt and
foreign files, loading without unpickling, and resuming training on the other backend."""

from __future__ import annotations

import io
import json
import math
import os
import pickle
import subprocess
import sys
import textwrap
from collections import OrderedDict

import numpy as np
import pytest
import safetensors.numpy

import flowkit as flow
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
@pytest.mark.parametrize("fail_at", ["fsync", "replace", "write"])
def test_failed_write_leaves_the_old_file_intact(path, monkeypatch, fail_at):
    flow.save({"version": 1, "w": flow.zeros(1000)}, path)
    old = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full (simulated)")

    if fail_at == "write":  # half the bytes reach the temp file, then the write fails
        real_fdopen = os.fdopen

        class HalfWriter:
            def __init__(self, fh):
                self.fh = fh

            def write(self, data):
                self.fh.write(data[: len(data) // 2])
                raise OSError("disk full (simulated)")

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.fh.close()

        monkeypatch.setattr(os, "fdopen", lambda fd, mode: HalfWriter(real_fdopen(fd, mode)))
    else:
        monkeypatch.setattr(os, fail_at, boom)
    with pytest.raises(OSError, match="simulated"):
        flow.save({"version": 2, "w": flow.ones(1000)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert flow.load(path)["version"] == 1
    assert os.listdir(path.parent) == [path.name]  # no temporary file left behind


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
    # a header that lies about a tensor's shape (same byte length: a digit swapped)
    n = int.from_bytes(data[:8], "little")
    table = json.loads(data[8 : 8 + n])
    doc = json.loads(table["__metadata__"]["flowkit"])
    doc["obj"]["dict"][0][1]["shape"] = [5]
    table["__metadata__"]["flowkit"] = json.dumps(doc)
    text = json.dumps(table).encode()
    path.write_bytes(len(text).to_bytes(8, "little") + text + bytes(data[8 + n :]))
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
