"""Backend conformance: every public op, on the backend of this pytest process, against an
independent numpy reference -- and the backends against each other.

The cases live in ``tests/conformance_cases.py`` (one :class:`Spec` per public op entry point:
``flowkit.add``, ``Tensor.add``, ``Tensor.__add__``, ``Tensor.__radd__``, ``F.conv2d`` ...).
Here they run as:

* ``test_forward``: property-based (hypothesis, derandomized) values, dtypes and shapes against
  the numpy reference: broadcasting pairs, zero-size dimensions, float32/float64, integer and
  bool dtypes where the op takes them, dims/keepdim variants;
* ``test_gradient``: float64 autograd gradients against central finite differences computed
  through the same public API;
* ``test_invalid``: the error type of invalid inputs (shapes that do not broadcast, ...);
* ``test_every_public_op_has_a_case``: the op list is built from the public namespaces, so a
  new op without a case fails here;
* ``test_backends_agree`` (``once``): a fixed, seeded set of ~1400 cases (two per spec, two
  gradient cases per differentiable spec, two invalid inputs per spec, the dtype/kink edges of
  ``cc.EDGE``) run by ``python tests/conformance_cases.py dump OUT.pkl`` in one child process
  per usable backend; forward values (float64 to 1e-10, float32 to 2e-5, integers and bools
  exactly), dtypes, shapes, float64 gradients and error types must agree.

Findings -- bugs and backend disagreements this suite found -- are pinned in ``cc.FINDINGS``
(and ``cc.CROSS_EDGES``) as single ``xfail(strict=True)`` cases: ``test_finding`` against the
reference (xfail only on the backends it fails on), ``test_backends_agree_known`` across
backends. The property strategies step around them (look for "pinned" in conformance_cases.py),
so the rest stays green. When one is fixed its xfail turns into an XPASS failure: delete the
entry (and its "pinned" detour).
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import flowkit as flow

sys.path.insert(0, str(Path(__file__).resolve().parent))  # any pytest import mode
import conformance_cases as cc  # noqa: E402

SETTINGS = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck), print_blob=False,
                    phases=[Phase.explicit, Phase.generate, Phase.shrink])
INVALID_SETTINGS = settings(SETTINGS, max_examples=10)

NAMES = sorted(cc.SPECS)
GRAD_NAMES = [n for n in NAMES if cc.SPECS[n].grad]
INVALID_NAMES = [n for n in NAMES if cc.SPECS[n].invalid is not None]


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=st.data())
def test_forward(name, data):
    cc.check_forward(cc.SPECS[name].build(cc.HypDraw(data)))


@pytest.mark.parametrize("name", GRAD_NAMES)
@SETTINGS
@given(data=st.data())
def test_gradient(name, data):
    case = cc.SPECS[name].build(cc.HypDraw(data, for_grad=True))
    if case.grad:
        cc.check_gradients(case)


@pytest.mark.parametrize("name", INVALID_NAMES)
@INVALID_SETTINGS
@given(data=st.data())
def test_invalid(name, data):
    cc.check_error(cc.SPECS[name].invalid(cc.HypDraw(data)))


# ------------------------------------------------------------------------------------ coverage
# Public names that are not ops, each with the reason (and where it is tested instead).
NOT_OPS = {
    # flowkit.*: backend selection and plugins (tests/test_plugins.py)
    "flowkit.backend", "flowkit.backends", "flowkit.use_backend", "flowkit.register_plugin",
    "flowkit.unregister_plugin",
    # flowkit.*: the generator's state (tests/test_same_seed.py; the random ops are covered here)
    "flowkit.manual_seed", "flowkit.seed", "flowkit.get_rng_state", "flowkit.set_rng_state",
    "flowkit.initial_seed",
    # flowkit.*: grad mode (tests/test_autograd_api.py) and checkpoints (test_serialization.py)
    "flowkit.is_grad_enabled", "flowkit.save", "flowkit.load",
    # Tensor: autograd state and control (tests/test_autograd_api.py, test_autograd_numpy.py)
    "Tensor.backward", "Tensor.retain_grad", "Tensor.requires_grad_", "Tensor.requires_grad",
    "Tensor.grad", "Tensor.grad_fn", "Tensor.is_leaf", "Tensor.data",
    # Tensor: devices (tests/test_torch_backend.py; CUDA needs a GPU)
    "Tensor.device", "Tensor.is_cuda", "Tensor.cuda",
    # Tensor: the metadata and readout every check in this file goes through
    "Tensor.dtype", "Tensor.shape", "Tensor.ndim", "Tensor.numpy",
    # Tensor: Python object plumbing, printing (tests/test_tensor_api.py) and numpy interop
    "Tensor.__class__", "Tensor.__delattr__", "Tensor.__dir__", "Tensor.__doc__",
    "Tensor.__getattribute__", "Tensor.__getstate__", "Tensor.__init__",
    "Tensor.__init_subclass__", "Tensor.__module__", "Tensor.__new__", "Tensor.__reduce__",
    "Tensor.__reduce_ex__", "Tensor.__setattr__", "Tensor.__sizeof__", "Tensor.__slots__",
    "Tensor.__subclasshook__", "Tensor.__weakref__", "Tensor.__annotations__", "Tensor.__hash__",
    "Tensor.__repr__", "Tensor.__str__", "Tensor.__format__", "Tensor.__array__",
    "Tensor.__array_function__", "Tensor.__array_ufunc__", "Tensor.__array_priority__",
    "Tensor.__firstlineno__", "Tensor.__static_attributes__", "Tensor.__dict__",
}


def public_ops() -> set[str]:
    """Every public op entry point, read from the namespaces themselves."""
    import inspect

    F = flow.nn.functional
    ops = {f"flowkit.{n}" for n in dir(flow) if not n.startswith("_")
           and callable(getattr(flow, n)) and not inspect.isclass(getattr(flow, n))}
    ops |= {f"F.{n}" for n in set(F.__all__) | {
        n for n in dir(F) if not n.startswith("_") and inspect.isfunction(getattr(F, n))
        and getattr(F, n).__module__ == F.__name__}}
    tensor_types = {type(flow.zeros(1)), flow.Tensor}
    ops |= {f"Tensor.{n}" for t in tensor_types for n in dir(t)
            if not n.startswith("_") or n.startswith("__") and n.endswith("__")}
    return ops


def test_every_public_op_has_a_case():
    covered = {n.split("[")[0] for n in cc.SPECS}
    ops = public_ops()
    missing = sorted(ops - covered - NOT_OPS)
    assert not missing, f"public ops without a conformance case: {missing}"
    stale = sorted(covered - ops)
    assert not stale, f"cases for names that are not public (renamed?): {stale}"
    assert len(ops - NOT_OPS) > 250


# ------------------------------------------------------------------------------------ findings
BACKEND = flow.backend().name


def _finding_params():
    for f in sorted(cc.FINDINGS.values(), key=lambda f: f.id):
        if f.check is None:
            continue
        marks = [pytest.mark.xfail(strict=True, reason=f.reason)] if BACKEND in f.fails_on else []
        yield pytest.param(f.id, marks=marks)


@pytest.mark.parametrize("fid", list(_finding_params()))
def test_finding(fid):
    """Each pinned finding against the reference: an xfail on the backends it fails on, a
    regression test on the others."""
    f = cc.FINDINGS[fid]
    {"forward": cc.check_forward, "forward_with_grad": cc.check_forward_with_grad,
     "gradient_values": cc.check_gradient_values}[f.check](f.build())


# ------------------------------------------------------------------------------- backends agree
HERE = Path(__file__).resolve().parent
KNOWN_CROSS = {("edge", name): reason for name, reason in cc.CROSS_EDGES.items()}
KNOWN_CROSS.update({("finding", f.id): f.reason for f in cc.FINDINGS.values() if f.cross})


def _usable_backends() -> list[str]:
    return [r.name for r in flow.backends() if r.usable]


@pytest.fixture(scope="module")
def cross_results(tmp_path_factory):
    """The fixed case set run once per usable backend, each in its own child process (a
    process has one backend), in parallel; CPU only, so the float tolerances are the CPU's."""
    backends = _usable_backends()
    if len(backends) < 2:
        pytest.skip(f"needs two usable backends, found {backends}")
    out = tmp_path_factory.mktemp("conformance")
    procs = {}
    for b in backends:
        env = {k: v for k, v in os.environ.items() if k != "FLOWKIT_DEVICE"}
        env.update(FLOWKIT_BACKEND=b, PYTHONHASHSEED="0")
        procs[b] = subprocess.Popen(
            [sys.executable, str(HERE / "conformance_cases.py"), "dump", str(out / f"{b}.pkl")],
            env=env, cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    results = {}
    for b, p in procs.items():
        log, _ = p.communicate(timeout=600)
        assert p.returncode == 0, f"the {b} child failed:\n{log[-4000:]}"
        with open(out / f"{b}.pkl", "rb") as fh:
            results[b] = pickle.load(fh)
        assert results[b].pop("backend") == b
    return results


def _disagreements(results, keys=None) -> dict:
    names = list(results)
    first, rest = results[names[0]], names[1:]
    found = {}
    for other in rest:
        res = results[other]
        for key in sorted(set(first) | set(res), key=repr) if keys is None else keys:
            if key not in first or key not in res:
                found[(other, key)] = "recorded on one backend only"
                continue
            why = cc.compare_records(first[key], res[key])
            if why:
                found[(other, key)] = why
    return found


@pytest.mark.once
def test_backends_agree(cross_results):
    """Forward values (float64 to 1e-10, float32 to 2e-5, integers and bools exactly), dtypes,
    shapes, float64 gradients and error types agree on every backend, case by case."""
    some = next(iter(cross_results.values()))
    assert sum(1 for k in some if k[-1] == "valid") >= 500, "the fixed set is too small"
    keys = sorted(set().union(*cross_results.values()) - set(KNOWN_CROSS), key=repr)
    found = _disagreements(cross_results, keys)
    lines = [f"{key} on {b} vs {next(iter(cross_results))}: {why}" for (b, key), why in
             found.items()]
    assert not found, f"{len(found)} cases disagree:\n" + "\n".join(lines[:40])


@pytest.mark.once
@pytest.mark.parametrize("key", [pytest.param(k, id=f"{k[0]}:{k[1]}", marks=pytest.mark.xfail(
    strict=True, reason=r)) for k, r in sorted(KNOWN_CROSS.items())])
def test_backends_agree_known(cross_results, key):
    assert not _disagreements(cross_results, [key])
