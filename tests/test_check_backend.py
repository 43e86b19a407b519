"""The conformance kit as a third party uses it: ``flowkit check-backend NAME`` and
``pytest -p flowkit.testing.conformance``.

* the numpy backend passes ``--quick``, with a row for every public op, optimizer and docs page;
* a deliberately broken backend, installed through an entry point as a separate distribution
  would be (the numpy backend with ``Tensor.exp`` wrong, ``Tensor.tanh`` raising
  ``BackendNotImplementedError`` and a wrong SGD kernel), is reported FAIL for the wrong ops,
  "not implemented" for the missing one, "reference" where it offers no kernel, and the command
  exits nonzero; ``--strict`` makes a missing op fail on its own;
* the kit imports from the installed package, without the tests/ directory;
* a missing ``test`` extra, or an unknown backend, is an error that says what to do.

Every child process runs in a session of its own and is killed, children included, at its
timeout. The tests do not depend on this process's backend: ``once``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from flowkit import cli
from flowkit.testing.conformance import SPECS, op_of
from flowkit.testing.conformance.coverage import optimizers

pytestmark = pytest.mark.once


def _run(
    args: list[str],
    cwd,
    pythonpath: list[str] | None = None,
    timeout: float = 600,
    **env_updates: str,
) -> subprocess.CompletedProcess:
    """``args`` in a child process; on timeout the whole process group (pytest's child too) is
    killed."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("FLOWKIT_BACKEND", "FLOWKIT_DEVICE", "FLOWKIT_TEST_REPEAT")
    }
    env.update(env_updates)
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(
            pythonpath + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        )
    proc = subprocess.Popen(
        args,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"{args} ran past {timeout} s:\n{out[-3000:]}")
    return subprocess.CompletedProcess(args, proc.returncode, out, "")


def _check_backend(*args: str, cwd, pythonpath=None, timeout: float = 600):
    return _run(
        [sys.executable, "-m", "flowkit.cli", "check-backend", *args], cwd, pythonpath, timeout
    )


def _rows(summary: dict) -> dict[str, dict]:
    return {r["op"]: r for r in summary["rows"]}


# ------------------------------------------------------------------------------------ numpy
def test_numpy_passes_quick_with_a_row_for_every_op(tmp_path):
    out = tmp_path / "numpy.json"
    # every op, and one docs page (the suite runs every page on numpy itself, under docs/)
    r = _check_backend(
        "numpy", "--quick", "-k", "not test_docs_page or quickstart", "--json", str(out),
        cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout[-6000:]
    summary = json.loads(out.read_text())
    rows = _rows(summary)
    assert summary["ok"] and summary["backend"] == "numpy" and summary["quick"]
    assert summary["totals"]["FAIL"] == 0 and not summary["not_implemented"]
    ops = {op_of(n) for n in SPECS}
    assert ops <= set(rows), sorted(ops - set(rows))
    assert optimizers() <= set(rows)
    assert all(rows[o]["kernel"] == "pass" for o in optimizers()), "numpy offers every kernel"
    assert any(k.startswith("flowkit_numpy.") for k in rows["optim.SGD"]["kernels"])
    assert "docs: en/quickstart.md" in rows and rows["docs: en/quickstart.md"]["docs"] == "pass"
    assert rows["Tensor.sum"]["forward"] == rows["Tensor.sum"]["gradient"] == "pass"
    assert rows["Tensor.sum"]["errors"] == "pass" and rows["Tensor.sum"]["kernel"] == "-"
    assert rows["F.conv2d"]["gradient"] == "pass"
    assert summary["checks"] == [
        {"name": "every public op has a case", "status": "pass", "message": ""}
    ]
    # the table on stdout: a header, one line per op, the totals
    lines = r.stdout.splitlines()
    assert any(
        ln.split() == ["op", "forward", "gradient", "errors", "autograd", "kernel", "docs"]
        for ln in lines
    )
    assert any(ln.split() == ["Tensor.sum", "pass", "pass", "pass", "-", "-", "-"] for ln in lines)
    assert any(ln.split() == ["optim.Adam", "-", "-", "-", "-", "pass", "-"] for ln in lines)
    assert any(
        ln.split() == ["autograd.version_counter", "-", "-", "-", "pass", "-", "-"] for ln in lines
    )
    assert f"totals: {len(rows)} ops: {len(rows)} pass, 0 FAIL" in r.stdout
    assert "check-backend numpy: OK" in r.stdout


# ------------------------------------------------------------------------------------ broken
_BROKEN_PLUGIN = '''
"""A deliberately broken flowkit backend, shipped as a third party would ship one: the numpy
backend with Tensor.exp wrong, Tensor.tanh not implemented, and a wrong SGD kernel."""
from flowkit.backend import BackendProbe, BackendSpec
from flowkit.errors import BackendNotImplementedError
from flowkit.hookspecs import hookimpl


@hookimpl
def flowkit_declare_backends():
    return [BackendSpec("broken", "the numpy backend with mistakes (a test plugin)")]


@hookimpl
def flowkit_probe_backend(name):
    if name == "broken":
        return BackendProbe(version="0.1", usable=True, devices=["cpu"])
    return None


@hookimpl
def flowkit_load_backend(name, device):
    if name != "broken":
        return None
    from flowkit_numpy.backend import NumpyBackend
    from flowkit_numpy.tensor import NumpyTensor

    class BrokenTensor(NumpyTensor):
        __slots__ = ()

        def exp(self):
            return super().exp() * 1.5  # wrong

        def tanh(self):  # what a backend inherits for an op it leaves out
            raise BackendNotImplementedError("Tensor.tanh: not implemented by the broken backend")

    class BrokenBackend(NumpyBackend):
        name = "broken"
        Tensor = BrokenTensor

        def from_numpy(self, array, device, requires_grad, share=False):
            t = super().from_numpy(array, device, requires_grad, share)
            t.__class__ = BrokenTensor  # flow.tensor(...) makes broken tensors
            return t

    return BrokenBackend(device)


@hookimpl
def flowkit_select_optimizer_kernel(backend, optimizer, hyperparams):
    if backend.name != "broken" or optimizer != "sgd":
        return None  # every other optimizer: the reference update
    from flowkit.autograd import no_grad
    from flowkit.optim import _functional

    def sgd(params, grads, bufs, *, lr, **settings):
        with no_grad():
            _functional.sgd(params, grads, bufs, lr=lr * 1.01, **settings)  # a 1% larger step

    return sgd
'''

_MISSING_PAGE = """# A page that uses tanh

```python
import flowkit as flow
print(flow.tensor([0.0]).tanh())
```

```text
tensor([0.], dtype=flowkit.float32)
```
"""

_WRONG_PAGE = """# A page that uses exp

```python
import flowkit as flow
print(flow.tensor([0.0]).exp())
```

```text
tensor([1.], dtype=flowkit.float32)
```
"""


@pytest.fixture
def broken(tmp_path):
    """A fake distribution on PYTHONPATH registering the ``broken`` backend, and two docs
    pages."""
    site = tmp_path / "site"
    (site / "flowkit_broken").mkdir(parents=True)
    (site / "flowkit_broken" / "__init__.py").write_text(_BROKEN_PLUGIN)
    info = site / "flowkit_broken-0.1.dist-info"  # as tests/test_plugins.py installs one
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: flowkit_broken\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[flowkit.backends]\nbroken = flowkit_broken\n")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "uses_tanh.md").write_text(_MISSING_PAGE)
    (docs / "uses_exp.md").write_text(_WRONG_PAGE)
    return site, docs


# the broken ops, some ops beside them, two optimizers and the coverage check
_SOME = "exp or tanh or Tensor.sum or Tensor.add or SGD or Adam- or docs or every_public"


def test_broken_backend_fails_the_wrong_op_and_lists_the_missing_one(tmp_path, broken):
    site, docs = broken
    out = tmp_path / "broken.json"
    r = _check_backend(
        "broken",
        "--quick",
        "-k",
        _SOME,
        "--docs",
        str(docs),
        "--json",
        str(out),
        cwd=tmp_path,
        pythonpath=[str(site)],
    )
    assert r.returncode == 1, r.stdout[-6000:]
    summary = json.loads(out.read_text())
    rows = _rows(summary)
    assert summary["backend"] == "broken" and not summary["ok"]
    # wrong values (the gradients agree with the wrong values); flowkit.exp calls the method
    assert (rows["Tensor.exp"]["forward"], rows["Tensor.exp"]["gradient"]) == ("FAIL", "pass")
    assert rows["Tensor.exp"]["status"] == "FAIL"
    assert (rows["Tensor.tanh"]["forward"], rows["Tensor.tanh"]["gradient"]) == (
        "not implemented",
        "not implemented",
    )
    assert rows["Tensor.tanh"]["status"] == "not implemented"
    for op in ("Tensor.sum", "Tensor.add", "Tensor.expm1", "Tensor.expand"):
        assert rows[op]["status"] == "pass", rows[op]
    assert rows["optim.SGD"]["kernel"] == "FAIL"
    assert rows["optim.Adam"]["kernel"] == "reference"  # no kernel offered: the reference ran
    assert rows["docs: uses_exp.md"]["docs"] == "FAIL"
    assert rows["docs: uses_tanh.md"]["docs"] == "not implemented"
    assert summary["checks"][0]["status"] == "pass"  # the broken tensor adds no public names
    # nothing else, bar the function forms (flowkit.exp, F.tanh, ...: they call the methods)
    failed = {(f["op"], f["check"]) for f in summary["failures"]}
    must = {("Tensor.exp", "forward"), ("optim.SGD", "kernel"), ("docs: uses_exp.md", "docs")}
    assert must <= failed, failed
    assert all(op.endswith(".exp") and check == "forward" for op, check in failed - must), failed
    missing = {f["op"] for f in summary["not_implemented"]}
    assert {"Tensor.tanh", "docs: uses_tanh.md"} <= missing, missing
    assert all(op.endswith(".tanh") for op in missing - {"docs: uses_tanh.md"}), missing
    assert any(ln.split()[:2] == ["Tensor.exp", "FAIL"] for ln in r.stdout.splitlines())
    assert any(
        ln.split()[:3] == ["Tensor.tanh", "not", "implemented"] for ln in r.stdout.splitlines()
    )
    assert "check-backend broken: FAILED" in r.stdout


def test_a_missing_op_fails_only_with_strict(tmp_path, broken):
    site, _ = broken
    only_missing = ["--quick", "-k", "tanh and not docs", "--docs", str(tmp_path / "none")]
    r = _check_backend("broken", *only_missing, cwd=tmp_path, pythonpath=[str(site)])
    assert r.returncode == 0, r.stdout[-6000:]
    assert "\nnot implemented:\n" in r.stdout
    assert "\n  Tensor.tanh (forward, gradient)\n" in r.stdout
    assert "(not failures; --strict makes them fail)" in r.stdout
    r = _check_backend("broken", "--strict", *only_missing, cwd=tmp_path, pythonpath=[str(site)])
    assert r.returncode == 1, r.stdout[-6000:]
    assert "check-backend broken: FAILED" in r.stdout


# ------------------------------------------------------------------------------------ packaging
def test_the_plugin_runs_the_kit_from_the_installed_package(tmp_path):
    """``pytest -p flowkit.testing.conformance`` in a directory with no tests and no flowkit
    checkout on sys.path: the plugin runs the kit alone, and prints its table."""
    code = textwrap.dedent("""
        import sys
        import flowkit.testing.conformance as kit
        assert not any(p.rstrip("/").endswith("tests") for p in sys.path), sys.path
        print(len(kit.SPECS) > 250, "conformance_cases" in sys.modules)
    """)
    r = _run([sys.executable, "-c", code], tmp_path, timeout=120)
    assert r.returncode == 0 and r.stdout.split() == ["True", "False"], r.stdout
    r = _run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "flowkit.testing.conformance",
            "-p",
            "no:cacheprovider",
            "--flowkit-quick",
            "-k",
            "Tensor.sum",
            "-q",
            "--flowkit-docs",
            str(tmp_path / "none"),
        ],
        tmp_path,
        timeout=300,
        FLOWKIT_BACKEND="numpy",
    )
    assert r.returncode == 0, r.stdout[-6000:]
    assert any(
        ln.split() == ["Tensor.sum", "pass", "pass", "pass", "-", "-", "-"]
        for ln in r.stdout.splitlines()
    ), r.stdout[-3000:]
    assert "docs pages: --flowkit-docs" in r.stdout and "no such directory" in r.stdout


def test_check_backend_without_hypothesis_says_what_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "hypothesis" else real(name, *a),
    )
    with pytest.raises(SystemExit) as info:
        cli.main(["check-backend", "numpy"])
    assert 'pip install "flowkit[test]"' in str(info.value) and "hypothesis" in str(info.value)


def test_check_backend_of_an_unknown_backend_names_the_installed_ones():
    with pytest.raises(SystemExit) as info:
        cli.main(["check-backend", "no-such-backend"])
    msg = str(info.value)
    assert "no backend named 'no-such-backend'" in msg and "'numpy'" in msg
