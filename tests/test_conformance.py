"""Backend conformance: flowkit's own backends through the kit a third party uses
(:mod:`flowkit.testing.conformance`, ``flowkit check-backend NAME``) -- and the backends
against each other.

The kit's checks run here exactly as the kit runs them, on the backend of this pytest process
(imported from :mod:`flowkit.testing.conformance.suite`, so they are collected in this module):

* ``test_forward``, ``test_gradient``, ``test_invalid``: every public op against the numpy
  reference (values, dtypes, shapes), float64 gradients against finite differences, the error
  types of invalid inputs -- property-based, seeded per op;
* ``test_optimizer_kernel``: the backend's optimizer kernels against the reference updates;
* ``test_every_public_op_has_a_case``: a new op without a case fails here.

(The docs pages, the kit's last check, run as tests of their own: the root ``conftest.py``.)
Without the kit's plugin an op that raises ``BackendNotImplementedError`` fails: flowkit's own
backends implement everything.

Only flowkit's own suite has:

* ``test_backends_agree`` (``once``): a fixed, seeded set of ~1400 cases (two per spec, two
  gradient cases per differentiable spec, two invalid inputs per spec, the dtype/kink edges of
  ``EDGE``) run by ``python -m flowkit.testing.conformance dump OUT.pkl`` in one child process
  per usable backend; forward values (float64 to 1e-10, float32 to 2e-5, integers and bools
  exactly), dtypes, shapes, float64 gradients and error types must agree.
* Findings -- bugs and backend disagreements the suite found -- pinned in ``FINDINGS`` (and
  ``CROSS_EDGES``) as single ``xfail(strict=True)`` cases: ``test_finding`` against the
  reference (xfail only on the backends it fails on), ``test_backends_agree_known`` across
  backends. The property strategies step around them (look for "pinned" in the kit's cases),
  so the rest stays green. When one is fixed its xfail turns into an XPASS failure: delete the
  entry (and its "pinned" detour).
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import pytest

import flowkit as flow
from flowkit.testing import conformance as cc
from flowkit.testing.conformance.suite import (  # noqa: F401 - collected here
    test_every_public_op_has_a_case,
    test_forward,
    test_gradient,
    test_invalid,
    test_optimizer_kernel,
)

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
    {
        "forward": cc.check_forward,
        "forward_with_grad": cc.check_forward_with_grad,
        "gradient_values": cc.check_gradient_values,
    }[f.check](f.build())


# ------------------------------------------------------------------------------- backends agree
KNOWN_CROSS = {("edge", name): reason for name, reason in cc.CROSS_EDGES.items()}
KNOWN_CROSS.update({("finding", f.id): f.reason for f in cc.FINDINGS.values() if f.cross})


def _usable_backends() -> list[str]:
    return [r.name for r in flow.backends() if r.usable and r.name in ("numpy", "torch")]


@pytest.fixture(scope="module")
def cross_results(tmp_path_factory):
    """The fixed case set run once per usable backend of flowkit's own, each in its own child
    process (a process has one backend), in parallel; CPU only, so the float tolerances are the
    CPU's."""
    backends = _usable_backends()
    if len(backends) < 2:
        pytest.skip(f"needs two usable backends, found {backends}")
    out = tmp_path_factory.mktemp("conformance")
    procs = {}
    for b in backends:
        env = {k: v for k, v in os.environ.items() if k != "FLOWKIT_DEVICE"}
        env.update(FLOWKIT_BACKEND=b, PYTHONHASHSEED="0")
        procs[b] = subprocess.Popen(
            [sys.executable, "-m", "flowkit.testing.conformance", "dump", str(out / f"{b}.pkl")],
            env=env,
            cwd=out,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    results = {}
    try:
        for b, p in procs.items():
            log, _ = p.communicate(timeout=600)
            assert p.returncode == 0, f"the {b} child failed:\n{log[-4000:]}"
            with open(out / f"{b}.pkl", "rb") as fh:
                results[b] = pickle.load(fh)
            assert results[b].pop("backend") == b
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.communicate()
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
    lines = [
        f"{key} on {b} vs {next(iter(cross_results))}: {why}" for (b, key), why in found.items()
    ]
    assert not found, f"{len(found)} cases disagree:\n" + "\n".join(lines[:40])


@pytest.mark.once
@pytest.mark.parametrize(
    "key",
    [
        pytest.param(k, id=f"{k[0]}:{k[1]}", marks=pytest.mark.xfail(strict=True, reason=r))
        for k, r in sorted(KNOWN_CROSS.items())
    ],
)
def test_backends_agree_known(cross_results, key):
    assert not _disagreements(cross_results, [key])
