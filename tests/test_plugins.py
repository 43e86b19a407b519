"""Plugin discovery and backend selection: entry points, a third-party backend installed through a
fake distribution, a broken plugin, selection on first use, one backend per process, and the
numpy backend never importing torch. Most of it runs in subprocesses: a process selects its
backend once, and entry points are read from ``sys.path`` at startup."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import flowkit as flow
from flowkit import _plugins

pytestmark = pytest.mark.once


def _python(code: str, env_updates: dict[str, str] | None = None,
            pythonpath: list[str] | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("FLOWKIT_BACKEND", "FLOWKIT_DEVICE")}
    env.update(env_updates or {})
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(
            pythonpath + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=120)


def _ok(r: subprocess.CompletedProcess) -> list[str]:
    assert r.returncode == 0, f"stdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    return r.stdout.strip().splitlines()


# ------------------------------------------------------------------------------------ torch-free
def test_numpy_backend_never_imports_torch():
    out = _ok(_python("""
        import sys
        import flowkit as flow
        t = flow.tensor([1.0], requires_grad=True)
        (t * 2).sum().backward()
        flow.optim.SGD([t], lr=0.1)  # the kernel hook asks every plugin, torch's too
        print(flow.backend().name)
        print("torch" in sys.modules)
    """, {"FLOWKIT_BACKEND": "numpy"}))
    assert out == ["numpy", "False"]


def test_import_does_not_select_a_backend():
    out = _ok(_python("""
        import flowkit as flow
        from flowkit import _plugins
        print(_plugins.current is None)
        flow.zeros(1)
        print(_plugins.current.name)
    """))
    assert out == ["True", "numpy"]


# ------------------------------------------------------------------------------------ listing
def test_backends_lists_numpy():
    rows = {b.name: b for b in flow.backends()}
    np_row = rows["numpy"]
    assert np_row.usable and np_row.error is None
    assert np_row.version == np.__version__
    assert np_row.devices == ["cpu"]
    assert np_row.plugin == "numpy" and np_row.summary
    assert np_row.selected == (flow.backend().name == "numpy")
    assert sum(b.selected for b in rows.values()) == 1  # the one this process uses


def test_backends_lists_torch_when_importable():
    try:
        import torch
    except ImportError:
        pytest.skip("torch is not installed")
    rows = {b.name: b for b in flow.backends()}
    if "torch" not in rows:
        pytest.skip("the torch backend plugin is not installed in this checkout")
    row = rows["torch"]
    assert row.usable, row.error
    assert row.version == torch.__version__
    assert "cpu" in row.devices
    assert row.error is None


# ------------------------------------------------------------------------------------ selection
def test_selecting_a_second_backend_raises():
    current = flow.backend()
    other = "numpy" if current.name != "numpy" else "some-other-backend"
    with pytest.raises(flow.BackendError) as info:
        flow.use_backend(other)
    msg = str(info.value)
    assert repr(current.name) in msg and f"FLOWKIT_BACKEND={other}" in msg
    assert flow.use_backend(current.name) is current  # the same one is fine
    assert _plugins.current is current


# ------------------------------------------------------------------------------------ 3rd party
_FAKE_PLUGIN = '''
"""A third-party flowkit backend, as a separate distribution would ship it."""
from flowkit.backend import BackendProbe, BackendSpec
from flowkit.hookspecs import hookimpl

SELECTED = []


@hookimpl
def flowkit_declare_backends():
    return [BackendSpec("fake", "a third-party test backend (numpy underneath)")]


@hookimpl
def flowkit_probe_backend(name):
    if name != "fake":
        return None
    return BackendProbe(version="0.1", usable=True, devices=["cpu"])


@hookimpl
def flowkit_load_backend(name, device):
    if name != "fake":
        return None
    from flowkit_numpy.backend import NumpyBackend

    class FakeBackend(NumpyBackend):
        name = "fake"

    return FakeBackend(device)


@hookimpl
def flowkit_backend_selected(backend):
    SELECTED.append(backend.name)
'''


def _install_dist(root, dist: str, module: str, ep_name: str, source: str) -> None:
    """A package plus a ``.dist-info`` registering it in ``flowkit.backends``."""
    pkg = root / module
    pkg.mkdir()
    (pkg / "__init__.py").write_text(source)
    info = root / f"{dist}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[flowkit.backends]\n{ep_name} = {module}\n")


def test_third_party_backend_through_an_entry_point(tmp_path):
    _install_dist(tmp_path, "fakeflow_backend", "fakeflow_backend", "fake", _FAKE_PLUGIN)
    out = _ok(_python("""
        import flowkit as flow
        flow.manual_seed(0)
        x = flow.tensor([[1.0, 2.0], [2.0, 3.0], [4.0, 6.0], [3.0, 1.0]])
        y = flow.tensor([[8.0], [13.0], [26.0], [9.0]])
        w = flow.nn.Parameter(flow.randn(2, 1))
        opt = flow.optim.SGD([w], 0.01)
        loss_fn = flow.nn.MSELoss(reduction="sum")
        losses = []
        for _ in range(3):
            loss = loss_fn(flow.matmul(x, w), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        import fakeflow_backend
        print(flow.backend().name)
        print(fakeflow_backend.SELECTED)
        print(losses[0] > losses[1] > losses[2])
        rows = {b.name: b for b in flow.backends()}
        print(rows["fake"].version, rows["fake"].usable, rows["fake"].selected,
              rows["fake"].plugin)
        print(rows["numpy"].usable)
    """, {"FLOWKIT_BACKEND": "fake"}, [str(tmp_path)]))
    assert out == ["fake", "['fake']", "True", "0.1 True True fake", "True"]


def test_broken_plugin_is_reported_and_numpy_still_works(tmp_path):
    _install_dist(tmp_path, "brokenflow", "brokenflow", "broken",
                  'raise RuntimeError("this plugin is broken on purpose")\n')
    out = _ok(_python("""
        import flowkit as flow
        rows = {b.name: b for b in flow.backends()}
        print(rows["broken"].error)
        print(rows["broken"].usable)
        t = flow.tensor([1.0, 2.0], requires_grad=True)
        (t * t).sum().backward()
        print(flow.backend().name, t.grad.tolist())
    """, {"FLOWKIT_BACKEND": "numpy"}, [str(tmp_path)]))
    assert out[0].startswith("Error:")
    assert "RuntimeError: this plugin is broken on purpose" in out[0]
    assert out[1:] == ["False", "numpy [2.0, 4.0]"]


def test_selecting_a_broken_plugin_explains_why(tmp_path):
    _install_dist(tmp_path, "brokenflow", "brokenflow", "broken",
                  'raise RuntimeError("this plugin is broken on purpose")\n')
    out = _ok(_python("""
        import flowkit as flow
        try:
            flow.zeros(1)
        except flow.BackendError as e:
            print(e)
    """, {"FLOWKIT_BACKEND": "broken"}, [str(tmp_path)]))
    text = "\n".join(out)
    assert "'broken' failed to load" in text and "broken on purpose" in text
    assert "numpy (usable)" in text  # what is installed instead
