"""Fuzzing ``flowkit.load``: whatever the bytes, it returns or raises ``SerializationError``.

Seeded mutations of a real checkpoint (truncations, single-byte changes, random multi-byte
edits, and edits of the parsed header and document with the header digest recomputed, so that
the structure checks behind the digest are reached), and hypothesis-generated files and
documents. Properties:

* ``flowkit.load`` raises nothing but ``SerializationError``, from a path, a seekable stream or
  an unseekable one;
* with verification on, a file changed in any single byte either fails to load or loads as the
  original (a space in the header's padding turned into another space, say): never silently as
  different values;
* the Python-side peak allocation of a load (numpy's arrays included, by tracemalloc) is at most
  the tensor bytes the file holds plus a bounded multiple of the header's length: a length or a
  shape that lies never makes it allocate what the file does not hold.

Every case is seeded (hypothesis derandomized), so a failure reproduces; the whole file runs in
a few seconds.
"""

from __future__ import annotations

import io
import json
import random
import sys
import tracemalloc
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flowkit as flow
from flowkit import serialization as ser
from flowkit.errors import SerializationError

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))  # any import mode
from test_serialization import _Unsized  # noqa: E402 - a stream that cannot seek

# what a load may build from a header of n bytes: the parsed JSON (a Python object per few
# bytes at worst, "[]" or "{}") and the result's own objects. Loading the unmutated checkpoint
# here peaks at 9.6x its header (18.7 KB for a 1.9 KB header and 101 bytes of tensors).
_HEADER_FACTOR = 24
# the interpreter's own allocations along the way (frames, the exception), and one read's
# buffer: an unseekable stream's read(k) may allocate k bytes before it returns fewer
_SLACK = 128 * 1024 + ser._CHUNK


def _base() -> dict:
    flow.manual_seed(0)
    w = flow.nn.Parameter(flow.randn(3, 4))
    return {
        "model": OrderedDict([("w", w), ("b", flow.nn.Parameter(flow.zeros(4)))]),
        "step": flow.tensor(7),
        "mask": flow.tensor([True, False, True, True, False]),
        "half": flow.tensor(np.ones((2, 2), np.float16), requires_grad=True),
        "empty": flow.zeros(0, 3, dtype=flow.float64),
        "np": np.arange(6, dtype=np.int16).reshape(2, 3),
        "npscalar": np.float32(1.5),
        1: (None, True, "x", 2.5, -3),
        (2, "k"): [flow.float16, flow.device("cpu")],
        "shared": w,
    }


def _canon(x) -> object:
    """A comparable form of a loaded value: types, dtypes, shapes, bytes and flags."""
    if isinstance(x, flow.Tensor):
        a = x.detach().numpy()
        return ("T", isinstance(x, flow.nn.Parameter), x.requires_grad, a.dtype.str, a.shape,
                a.tobytes())  # fmt: skip
    if isinstance(x, np.ndarray):
        return ("A", x.dtype.str, x.shape, x.tobytes())
    if isinstance(x, np.generic):
        return ("S", x.dtype.str, x.tobytes())
    if isinstance(x, dict):
        return (type(x).__name__, tuple((_canon(k), _canon(v)) for k, v in x.items()))
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, tuple(_canon(v) for v in x))
    return (type(x).__name__, repr(x))


@pytest.fixture(scope="module")
def original() -> tuple[bytes, object]:
    buf = io.BytesIO()
    flow.save(_base(), buf)
    data = buf.getvalue()
    return data, _canon(flow.load(io.BytesIO(data)))


def _split(data: bytes) -> tuple[dict, bytes]:
    n = int.from_bytes(data[:8], "little")
    return json.loads(data[8 : 8 + n]), data[8 + n :]


def _join(header: dict, doc: dict, body: bytes) -> bytes:
    """A file from an edited header and document, with the header digest recomputed."""
    header = dict(header)
    meta = dict(header.pop("__metadata__"))
    meta["flowkit"] = json.dumps(doc)
    meta["flowkit.crc32"] = ser._header_digest(meta["flowkit"], header)
    raw = json.dumps({"__metadata__": meta, **header}).encode()
    return len(raw).to_bytes(8, "little") + raw + body


class _Loader:
    """Loads mutated files, asserting the properties; counts the outcomes."""

    def __init__(self, path, trace: bool) -> None:
        self.path = path
        self.trace = trace
        self.outcomes = {"error": 0, "loaded": 0}

    def __call__(self, data: bytes, verify: bool = True, source: str = "bytesio", why: str = ""):
        if source == "path":
            self.path.write_bytes(data)
            f: object = self.path
        else:
            f = io.BytesIO(data) if source == "bytesio" else _Unsized(data)
        if self.trace:
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
        try:
            result = flow.load(f, verify=verify)  # type: ignore[arg-type]
        except SerializationError:
            self.outcomes["error"] += 1
            result = SerializationError
        except Exception as exc:  # the property under test: nothing else escapes
            pytest.fail(f"{why}: flowkit.load raised {type(exc).__name__}: {exc}")
        else:
            self.outcomes["loaded"] += 1
        if self.trace:
            peak = tracemalloc.get_traced_memory()[1] - base
            n = int.from_bytes(data[:8].ljust(8, b"\0"), "little")
            header = min(n, max(0, len(data) - 8))
            tensors = len(data) - 8 - header
            bound = tensors + _HEADER_FACTOR * header + _SLACK
            assert peak <= bound, f"{why}: peak {peak} bytes > {bound} ({len(data)} byte file)"
        return result


@pytest.fixture
def load(tmp_path):
    tracemalloc.start()
    try:
        yield _Loader(tmp_path / "fuzz.safetensors", trace=True)
    finally:
        tracemalloc.stop()


def _sources(i: int) -> str:
    return ("bytesio", "bytesio", "unsized", "path")[i % 4]


# ------------------------------------------------------------------------------ byte mutations
def test_truncations(original, load):
    data, _ = original
    n = 8 + int.from_bytes(data[:8], "little")
    rng = random.Random(1)
    cuts = sorted({*range(0, 24), *range(n - 16, n + 16), *rng.sample(range(len(data)), 60)})
    for i, cut in enumerate(cuts):
        if cut < len(data):
            assert load(data[:cut], source=_sources(i), why=f"cut at {cut}") is SerializationError


def test_single_byte_changes_never_load_as_different_values(original, load):
    data, want = original
    rng = random.Random(2)
    for i in range(500):
        pos = rng.randrange(len(data))
        new = (data[pos] ^ (1 << rng.randrange(8))) if i % 2 else rng.randrange(256)
        if new == data[pos]:
            continue
        mutated = data[:pos] + bytes([new]) + data[pos + 1 :]
        got = load(mutated, source=_sources(i), why=f"byte {pos} -> {new}")
        assert got is SerializationError or _canon(got) == want, f"byte {pos} -> {new} loaded"
    assert load.outcomes["error"] > 400


def test_random_edits_unverified(original, load):
    data, _ = original
    rng = random.Random(3)
    for i in range(200):
        mutated = bytearray(data)
        for _ in range(rng.randint(2, 8)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        load(bytes(mutated), verify=False, source=_sources(i), why=f"edit {i}")


_VALUES: list = [
    None, True, False, 0, -1, 1, 2**31, 2**64, -(2**63), 1e308, -0.0, "", "0", "9", "x",
    "float32", "F32", [], {}, [0], [-1], [0, 2**62], [[]], {"tensor": "0"}, {"list": []},
    {"dict": [[1]]}, {"ndarray": 0}, {"npscalar": "0"}, {"dtype": "bool"}, {"device": "cuda:9"},
]  # fmt: skip


def _sites(node, out: list) -> list:
    """Every (container, key) position in a JSON value."""
    if isinstance(node, dict):
        for k, v in node.items():
            out.append((node, k))
            _sites(v, out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append((node, i))
            _sites(v, out)
    return out


def _mutate(value, rng: random.Random) -> None:
    sites = _sites(value, [])
    container, key = rng.choice(sites)
    what = rng.randrange(5)
    if what == 0 and isinstance(container, dict):
        del container[key]
    elif what == 0:
        container.pop(key)
    elif what == 1 and isinstance(container, list):
        container.insert(key, container[key])  # a duplicate item
    elif what == 2 and type(container[key]) is int:
        container[key] += rng.choice([-1, 1, 8, 2**40])
    elif what == 3 and isinstance(container, dict):
        container[rng.choice(["tensor", "0", "shape", "x", "__metadata__"])] = rng.choice(_VALUES)
    else:
        container[key] = json.loads(json.dumps(rng.choice(_VALUES)))


def test_header_and_document_edits_with_digests_recomputed(original, load):
    data, _ = original
    header0, body = _split(data)
    doc0 = json.loads(header0["__metadata__"]["flowkit"])
    rng = random.Random(4)
    for i in range(300):
        header, doc = json.loads(json.dumps(header0)), json.loads(json.dumps(doc0))
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.7:
                _mutate(doc, rng)
            else:
                table = {k: v for k, v in header.items() if k != "__metadata__"}
                _mutate(table, rng)
                header = {"__metadata__": header["__metadata__"], **table}
        if not isinstance(doc, dict):
            continue
        load(_join(header, doc, body), source=_sources(i), why=f"edit {i}: {doc} {header}")
    assert load.outcomes["loaded"] >= 5 and load.outcomes["error"] > 100


def test_lying_lengths_allocate_nothing(original, load):
    data, _ = original
    header, body = _split(data)
    for length in (2**63, 2**40, 99_999_999, len(data)):
        for source in ("bytesio", "unsized", "path"):
            fake = length.to_bytes(8, "little") + data[8:]
            assert load(fake, source=source, why=f"length {length}") is SerializationError
    for name in [k for k in header if k != "__metadata__"]:
        lying = json.loads(json.dumps(header))
        lying[name]["shape"] = [2**31, 2**31]
        lying[name]["data_offsets"][1] = lying[name]["data_offsets"][0] + 2**62 * 4
        doc = json.loads(header["__metadata__"]["flowkit"])
        assert load(_join(lying, doc, body), why=f"tensor {name}") is SerializationError


# ------------------------------------------------------------------------------ hypothesis
_FAST = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@_FAST
@given(st.binary(max_size=400))
def test_arbitrary_bytes(data):
    _Loader(None, trace=False)(data, why=repr(data))


@_FAST
@given(st.binary(min_size=1, max_size=300))
def test_arbitrary_headers(raw):
    # a plausible length, then anything
    _Loader(None, trace=False)(len(raw).to_bytes(8, "little") + raw, why=repr(raw))


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _tagged(tag: str, items: list) -> dict:
    return {tag: [list(i) if isinstance(i, tuple) else i for i in items]}


_leaves = (
    _json
    | st.fixed_dictionaries({"tensor": st.sampled_from(["0", "1", "9"])})
    | st.just(
        {
            "tensor": "0",
            "dtype": "float32",
            "shape": [2],
            "requires_grad": False,
            "parameter": False,
            "device": "cpu:0",
        }
    )  # fmt: skip
    | st.builds(lambda k: {"ndarray": k}, st.sampled_from(["0", "1"]))
    | st.builds(lambda k: {"npscalar": k}, st.sampled_from(["0", "1"]))
)
_nodes = st.recursive(
    _leaves,
    lambda inner: (
        st.builds(_tagged, st.sampled_from(["list", "tuple"]), st.lists(inner, max_size=3))
        | st.builds(
            _tagged,
            st.sampled_from(["dict", "odict"]),
            st.lists(st.tuples(inner, inner), max_size=3),
        )
    ),
    max_leaves=12,
)


@_FAST
@given(_nodes)
def test_arbitrary_documents(obj):
    buf = io.BytesIO()
    flow.save({"a": flow.ones(2), "b": np.float32(3)}, buf)
    header, body = _split(buf.getvalue())
    doc = json.loads(header["__metadata__"]["flowkit"])
    doc["obj"] = obj
    _Loader(None, trace=False)(_join(header, doc, body), why=json.dumps(obj))


_edit: Callable = st.builds(
    lambda k, v: (k, v), st.sampled_from(["dtype", "shape", "data_offsets"]), _json
)


@_FAST
@given(st.lists(_edit, min_size=1, max_size=3))
def test_arbitrary_tensor_tables(edits):
    buf = io.BytesIO()
    flow.save({"a": flow.ones(2), "b": flow.tensor([1, 2], dtype=flow.int8)}, buf)
    header, body = _split(buf.getvalue())
    doc = json.loads(header["__metadata__"]["flowkit"])
    for i, (key, value) in enumerate(edits):
        header[str(i % 2)][key] = value
    _Loader(None, trace=False)(_join(header, doc, body), why=repr(edits))
