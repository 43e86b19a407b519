"""Plugin discovery and backend selection: entry points, a third-party backend installed through a
fake distribution, broken and hostile plugins, selection on first use, one backend per process,
and the numpy backend never importing torch. Most of it runs in subprocesses: a process selects
its backend once, and entry points are read from ``sys.path`` at startup.

Every misbehaving plugin here is a real distribution (a package plus a ``.dist-info`` with
``entry_points.txt``) put on the child's ``PYTHONPATH``; every child has a timeout and its own
process group, killed whole if it overruns."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import flowkit as flow
from flowkit import _plugins
from flowkit.backend import BackendSpec
from flowkit.hookspecs import hookimpl

pytestmark = pytest.mark.once


def _run(argv: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    """``subprocess.run``, but a child that overruns is killed with its whole process group."""
    proc = subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # not reaped yet: the group is certainly ours
        out, err = proc.communicate()
        raise AssertionError(
            f"child did not finish within {timeout} s\nstdout:\n{out}\nstderr:\n{err}"
        ) from None
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def _env(
    env_updates: dict[str, str] | None = None, pythonpath: list[str] | None = None
) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "FLOWKIT_BACKEND",
            "FLOWKIT_DEVICE",
            "FLOWKIT_DISABLE_PLUGINS",
            "FLOWKIT_PLUGIN_TIMEOUT",
        )
    }
    env.update(env_updates or {})
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(
            pythonpath + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        )
    return env


def _python(
    code: str,
    env_updates: dict[str, str] | None = None,
    pythonpath: list[str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess:
    return _run(
        [sys.executable, "-c", textwrap.dedent(code)], _env(env_updates, pythonpath), timeout
    )


def _cli(
    *args: str,
    env_updates: dict[str, str] | None = None,
    pythonpath: list[str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess:
    return _run(
        [sys.executable, "-m", "flowkit.cli", *args], _env(env_updates, pythonpath), timeout
    )


def _ok(r: subprocess.CompletedProcess) -> list[str]:
    assert r.returncode == 0, f"stdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    return r.stdout.strip().splitlines()


# ------------------------------------------------------------------------------------ torch-free
def test_numpy_backend_never_imports_torch():
    out = _ok(
        _python(
            """
        import sys
        import flowkit as flow
        t = flow.tensor([1.0], requires_grad=True)
        (t * 2).sum().backward()
        flow.optim.SGD([t], lr=0.1)  # asks the numpy plugin for its kernel, no other
        print(flow.backend().name)
        print("torch" in sys.modules)
    """,
            {"FLOWKIT_BACKEND": "numpy"},
        )
    )
    assert out == ["numpy", "False"]


def test_import_does_not_select_a_backend():
    out = _ok(
        _python("""
        import flowkit as flow
        from flowkit import _plugins
        print(_plugins.current is None)
        flow.zeros(1)
        print(_plugins.current.name)
    """)
    )
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
    out = _ok(
        _python(
            """
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
    """,
            {"FLOWKIT_BACKEND": "fake"},
            [str(tmp_path)],
        )
    )
    assert out == ["fake", "['fake']", "True", "0.1 True True fake", "True"]


def test_broken_plugin_is_reported_and_numpy_still_works(tmp_path):
    _install_dist(
        tmp_path,
        "brokenflow",
        "brokenflow",
        "broken",
        'raise RuntimeError("this plugin is broken on purpose")\n',
    )
    out = _ok(
        _python(
            """
        import flowkit as flow
        rows = {b.name: b for b in flow.backends()}
        print(rows["broken"].error)
        print(rows["broken"].usable)
        t = flow.tensor([1.0, 2.0], requires_grad=True)
        (t * t).sum().backward()
        print(flow.backend().name, t.grad.tolist())
    """,
            {"FLOWKIT_BACKEND": "numpy"},
            [str(tmp_path)],
        )
    )
    assert out[0].startswith("Error:")
    assert "RuntimeError: this plugin is broken on purpose" in out[0]
    assert out[1:] == ["False", "numpy [2.0, 4.0]"]


def test_selecting_a_broken_plugin_explains_why(tmp_path):
    _install_dist(
        tmp_path,
        "brokenflow",
        "brokenflow",
        "broken",
        'raise RuntimeError("this plugin is broken on purpose")\n',
    )
    out = _ok(
        _python(
            """
        import flowkit as flow
        try:
            flow.zeros(1)
        except flow.BackendError as e:
            print(e)
    """,
            {"FLOWKIT_BACKEND": "broken"},
            [str(tmp_path)],
        )
    )
    text = "\n".join(out)
    assert "'broken' failed to load" in text and "broken on purpose" in text
    assert "numpy (usable)" in text  # what is installed instead


# ------------------------------------------------------------------------ misbehaving plugins
def _plugin(name: str, extra: str = "") -> str:
    """The well-behaved fake plugin, renamed; ``extra`` redefines some of its hooks (a module's
    later definition of a name replaces the earlier one)."""
    return _FAKE_PLUGIN.replace('"fake"', repr(name)) + textwrap.dedent(extra)


# The training run numpy must give with any plugin installed: SGD, 5 steps, loss decreasing.
_TRAIN = """
    import json
    import sys
    import flowkit as flow

    def train():
        flow.manual_seed(0)
        x = flow.tensor([[1.0, 2.0], [2.0, 3.0], [4.0, 6.0], [3.0, 1.0]])
        y = flow.tensor([[8.0], [13.0], [26.0], [9.0]])
        w = flow.nn.Parameter(flow.randn(2, 1))
        opt = flow.optim.SGD([w], 0.01)
        loss_fn = flow.nn.MSELoss(reduction="sum")
        losses = []
        for _ in range(5):
            loss = loss_fn(flow.matmul(x, w), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses
"""


def _with_train(code: str) -> str:
    """``code`` after the definition of ``train()`` (each part dedented on its own)."""
    return textwrap.dedent(_TRAIN) + textwrap.dedent(code)


# case -> (hook redefinitions, where it surfaces, what the error says). "select": selecting
# the plugin's backend fails; "optimizer": building an optimizer on it fails.
_CASES = {
    "import_exits": (None, "select", "import of module 'badflow' raised SystemExit: 3"),
    "declare_raises": (
        """
        @hookimpl
        def flowkit_declare_backends():
            raise RuntimeError("declare exploded")
        """,
        "select",
        "flowkit_declare_backends() raised RuntimeError: declare exploded",
    ),
    "declare_exits": (
        """
        @hookimpl
        def flowkit_declare_backends():
            raise SystemExit("declare exits")
        """,
        "select",
        "flowkit_declare_backends() raised SystemExit: declare exits",
    ),
    "declare_type": (
        """
        @hookimpl
        def flowkit_declare_backends():
            return "bad"
        """,
        "select",
        "returned 'bad' (a str), not a list of flowkit.backend.BackendSpec",
    ),
    "declare_other_name": (
        """
        @hookimpl
        def flowkit_declare_backends():
            return [BackendSpec("numpy", "takes numpy's name")]
        """,
        "select",
        "declares ['numpy'] but not 'bad', its entry-point name",
    ),
    "probe_raises": (
        """
        @hookimpl
        def flowkit_probe_backend(name):
            raise RuntimeError("probe exploded")
        """,
        "select",
        "flowkit_probe_backend('bad') raised RuntimeError: probe exploded",
    ),
    "probe_type": (
        """
        @hookimpl
        def flowkit_probe_backend(name):
            return {"usable": True}
        """,
        "select",
        "not a flowkit.backend.BackendProbe",
    ),
    "load_raises": (
        """
        @hookimpl
        def flowkit_load_backend(name, device):
            raise RuntimeError("load exploded")
        """,
        "select",
        "flowkit_load_backend('bad') raised RuntimeError: load exploded",
    ),
    "load_type": (
        """
        @hookimpl
        def flowkit_load_backend(name, device):
            return object()
        """,
        "select",
        "(a object), not a flowkit.backend.Backend",
    ),
    "load_wrong_name": (
        """
        @hookimpl
        def flowkit_load_backend(name, device):
            from flowkit_numpy.backend import NumpyBackend
            return NumpyBackend(device)
        """,
        "select",
        "returned a backend named 'numpy', not 'bad'",
    ),
    "load_none": (
        """
        @hookimpl
        def flowkit_load_backend(name, device):
            return None
        """,
        "select",
        "flowkit_load_backend('bad') returned None",
    ),
    "selected_raises": (
        """
        @hookimpl
        def flowkit_backend_selected(backend):
            raise RuntimeError("selected exploded")
        """,
        "select",
        "flowkit_backend_selected() raised RuntimeError: selected exploded",
    ),
    "kernel_raises": (
        """
        @hookimpl
        def flowkit_select_optimizer_kernel(backend, optimizer, hyperparams):
            raise RuntimeError("kernel exploded")
        """,
        "optimizer",
        "flowkit_select_optimizer_kernel('sgd') raised RuntimeError: kernel exploded",
    ),
    "kernel_type": (
        """
        @hookimpl
        def flowkit_select_optimizer_kernel(backend, optimizer, hyperparams):
            return 42
        """,
        "optimizer",
        "returned 42 (a int), not a callable or None",
    ),
    "misspelled_hook": (
        """
        @hookimpl
        def flowkit_declare_backend():
            return []
        """,
        "select",
        "unknown hook(s) 'flowkit_declare_backend' (did you mean 'flowkit_declare_backends'?)",
    ),
    "wrong_argument": (
        """
        @hookimpl
        def flowkit_probe_backend(nme):
            return None
        """,
        "select",
        "does not follow flowkit's hook contract",
    ),
    "hookwrapper": (
        """
        @hookimpl(hookwrapper=True)
        def flowkit_probe_backend(name):
            yield
        """,
        "select",
        "implements flowkit_probe_backend as a hook wrapper",
    ),
}


def _fails_when_listed(case: str) -> bool:
    """Listing imports, declares and probes; loading and notifying happen on selection only."""
    return _CASES[case][1] == "select" and not case.startswith(("load_", "selected_"))


def _case_source(case: str, name: str) -> str:
    extra, _, _ = _CASES[case]
    return "raise SystemExit(3)\n" if extra is None else _plugin(name, extra)


@pytest.mark.parametrize("case", sorted(_CASES))
def test_misbehaving_plugin_is_attributed(tmp_path, case):
    """Selecting the plugin raises a BackendError naming it, the hook and the fix; the failure is
    recorded on its row (``flowkit backends``)."""
    _, where, says = _CASES[case]
    _install_dist(tmp_path, "badflow", "badflow", "bad", _case_source(case, "bad"))
    out = json.loads(
        _ok(
            _python(
                """
        import json
        import flowkit as flow
        out = {}
        try:
            w = flow.nn.Parameter(flow.ones(2))
            out["backend"] = flow.backend().name
            flow.optim.SGD([w], lr=0.1)
        except flow.BackendError as e:
            out["error"] = str(e)
        row = [r for r in flow.backends() if r.name == "bad"][0]
        out["row"] = {"status": row.status, "error": row.error, "problems": row.problems}
        print(json.dumps(out))
    """,
                {"FLOWKIT_BACKEND": "bad", "FLOWKIT_DISABLE_PLUGINS": "torch"},
                [str(tmp_path)],
                timeout=60,
            )
        )[-1]
    )
    error = out.get("error", "")
    assert says in error, out
    assert "plugin 'bad' (module badflow, distribution badflow)" in error
    assert "FLOWKIT_DISABLE_PLUGINS=bad" in error and "pip uninstall badflow" in error
    if where == "select":
        assert "backend" not in out  # nothing was selected
        assert out["row"]["status"] == "broken" and out["row"]["error"].startswith("Error:")
        assert says in out["row"]["error"]
    else:
        assert out["backend"] == "bad"  # the backend works; its optimizer hook does not
        assert any(says in p for p in out["row"]["problems"])


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    """Every misbehaving plugin of ``_CASES`` at once, plus one that hangs at import, one
    registered as ``numpy``, one whose kernel hook ignores the backend's name, and a twin pair."""
    root = tmp_path_factory.mktemp("zoo")
    for case in _CASES:
        _install_dist(root, f"zoo_{case}", f"zoo_{case}", case, _case_source(case, case))
    _install_dist(root, "zoo_hang", "zoo_hang", "hang", "import time\ntime.sleep(600)\n")
    _install_dist(
        root,
        "evil_numpy",
        "evil_numpy",
        "numpy",
        'raise RuntimeError("a plugin named numpy must never be imported")\n',
    )
    _install_dist(root, "zoo_greedy", "zoo_greedy", "greedy", _plugin("greedy", _GREEDY))
    for twin in ("zoo_twin_a", "zoo_twin_b"):
        _install_dist(root, twin, twin, "twin", _plugin("twin"))
    return root


# A kernel hook that answers for every backend: its no-op "update" would freeze training.
_GREEDY = """
    @hookimpl
    def flowkit_select_optimizer_kernel(backend, optimizer, hyperparams):
        return lambda *args, **kwargs: None
"""


def test_numpy_is_unaffected_by_misbehaving_plugins(zoo):
    """With every bad plugin installed, numpy trains exactly as without them, imports none of
    them, and still does after they have all been listed (imported, declared, probed)."""
    code = _with_train("""
        before = train()
        mods = sorted(m for m in sys.modules if m.startswith(("zoo_", "evil_")))
        meta = "importlib.metadata" in sys.modules
        rows = {r.name: r.status for r in flow.backends()}
        after = train()
        print(json.dumps([before, after, mods, meta, rows, type(flow.backend()).__module__]))
    """)
    env = {
        "FLOWKIT_BACKEND": "numpy",
        "FLOWKIT_PLUGIN_TIMEOUT": "1",
        "FLOWKIT_DISABLE_PLUGINS": "torch",
    }
    clean = json.loads(_ok(_python(code, env, timeout=60))[-1])
    before, after, mods, meta, rows, module = json.loads(
        _ok(_python(code, env, [str(zoo)], timeout=60))[-1]
    )
    assert before == after == clean[0] and before == sorted(before, reverse=True)
    assert mods == [] and meta is False  # nothing third-party read before listing
    assert module == "flowkit_numpy.backend"
    assert rows["numpy"] == "ok" and rows["hang"] == "timed out" and rows["twin"] == "clash"
    for case in _CASES:
        assert rows[case] == ("broken" if _fails_when_listed(case) else "ok"), case


def test_flowkit_backends_reports_every_problem(zoo):
    """``flowkit backends`` neither hangs nor crashes: it returns within the timeout and lists
    one problem line per broken, clashing, timed-out or shadowing plugin, with its fix."""
    t0 = time.monotonic()
    r = _cli(
        "backends",
        env_updates={"FLOWKIT_PLUGIN_TIMEOUT": "1", "FLOWKIT_DISABLE_PLUGINS": "torch"},
        pythonpath=[str(zoo)],
        timeout=60,
    )
    elapsed = time.monotonic() - t0
    out = "\n".join(_ok(r))
    assert elapsed < 30, elapsed
    table, problems = out.split("\nproblems (")
    assert any(
        line.startswith("hang ") and line.endswith("timed out, see problems below")
        for line in table.splitlines()
    )
    assert (
        "  hang: plugin 'hang' (module zoo_hang, distribution zoo_hang): did not answer "
        "within 1 s (import of module 'zoo_hang')" in problems
    )
    assert "numpy" in table and "pure numpy" in table
    for case in filter(_fails_when_listed, _CASES):
        line = next(p for p in problems.splitlines() if p.startswith(f"  {case}: "))
        assert line.startswith(
            f"  {case}: plugin {case!r} (module zoo_{case}, distribution zoo_{case}): "
        )
        assert (
            f"Fix: switch it off with FLOWKIT_DISABLE_PLUGINS={case}, or uninstall it "
            f"(pip uninstall zoo_{case})" in line
        )
    assert (
        "  numpy: plugin 'numpy' (module evil_numpy, distribution evil_numpy): ignored" in problems
    )
    assert "  twin: backend name 'twin' is claimed by 2 plugins" in problems
    assert "  torch: flowkit's built-in 'torch' backend" in problems  # switched off, said so
    js = _cli(
        "backends",
        "--json",
        env_updates={"FLOWKIT_PLUGIN_TIMEOUT": "1"},
        pythonpath=[str(zoo)],
        timeout=60,
    )
    rows = {row["name"]: row for row in json.loads(js.stdout)}
    assert rows["hang"]["status"] == "timed out" and rows["twin"]["status"] == "clash"


@pytest.mark.parametrize("where", ["import", "declare", "probe"])
def test_a_plugin_that_blocks_cannot_hang_flowkit(tmp_path, where):
    block = "import time\ntime.sleep(600)\n"
    source = {
        "import": block,
        "declare": _plugin(
            "hang",
            """
            @hookimpl
            def flowkit_declare_backends():
                import time
                time.sleep(600)
            """,
        ),
        "probe": _plugin(
            "hang",
            """
            @hookimpl
            def flowkit_probe_backend(name):
                import time
                time.sleep(600)
            """,
        ),
    }[where]
    stage = {
        "import": "import of module 'hangflow'",
        "declare": "flowkit_declare_backends()",
        "probe": "flowkit_probe_backend('hang')",
    }[where]
    _install_dist(tmp_path, "hangflow", "hangflow", "hang", source)
    env = {"FLOWKIT_PLUGIN_TIMEOUT": "0.5", "FLOWKIT_DISABLE_PLUGINS": "torch"}
    out = json.loads(
        _ok(
            _python(
                """
        import json, sys, time
        import flowkit as flow
        t = flow.tensor([1.0, 2.0], requires_grad=True)
        (t * t).sum().backward()
        imported = "hangflow" in sys.modules
        t0 = time.monotonic()
        row = [r for r in flow.backends() if r.name == "hang"][0]
        print(json.dumps([t.grad.tolist(), imported, time.monotonic() - t0, row.status,
                          row.error]))
    """,
                env,
                [str(tmp_path)],
                timeout=60,
            )
        )[-1]
    )
    grad, imported, seconds, status, error = out
    assert grad == [2.0, 4.0] and imported is False
    assert seconds < 10 and status == "timed out"
    assert error == f"did not answer within 0.5 s ({stage})"
    # an unknown name lists what is installed: bounded too
    r = _python(
        """
        import flowkit as flow
        try:
            flow.zeros(1)
        except flow.BackendError as e:
            print(e)
    """,
        dict(env, FLOWKIT_BACKEND="nosuch"),
        [str(tmp_path)],
        timeout=60,
    )
    text = "\n".join(_ok(r))
    assert "unknown backend 'nosuch'" in text and "numpy (usable)" in text
    assert f"hang (not usable: did not answer within 0.5 s ({stage}))" in text


def test_a_plugin_named_numpy_cannot_replace_it(zoo):
    out = _ok(
        _python(
            _with_train("""
        rows = {r.name: r for r in flow.backends()}
        print(type(flow.backend()).__module__, "evil_numpy" in sys.modules)
        print(rows["numpy"].status, rows["numpy"].distribution, rows["numpy"].usable)
        print(rows["numpy"].problems[0])
    """),
            {
                "FLOWKIT_BACKEND": "numpy",
                "FLOWKIT_PLUGIN_TIMEOUT": "1",
                "FLOWKIT_DISABLE_PLUGINS": "torch",
            },
            [str(zoo)],
            timeout=60,
        )
    )
    assert out[:2] == ["flowkit_numpy.backend False", "ok flowkit True"]
    assert out[2].startswith(
        "plugin 'numpy' (module evil_numpy, distribution evil_numpy): "
        "ignored, 'numpy' is flowkit's built-in backend"
    )
    assert "pip uninstall evil_numpy" in out[2]


def test_a_plugin_declaring_numpy_is_not_used(tmp_path):
    thief = _plugin(
        "thief",
        """
        @hookimpl
        def flowkit_declare_backends():
            return [BackendSpec("numpy", "numpy, stolen")]

        @hookimpl
        def flowkit_load_backend(name, device):
            raise AssertionError("never asked")
        """,
    )
    extra = _plugin(
        "extra",
        """
        @hookimpl
        def flowkit_declare_backends():
            return [BackendSpec("extra", "mine"), BackendSpec("numpy", "and numpy too")]
        """,
    )
    _install_dist(tmp_path, "thief", "thief", "thief", thief)
    _install_dist(tmp_path, "extraflow", "extraflow", "extra", extra)
    out = _ok(
        _python(
            """
        import flowkit as flow
        rows = {r.name: r for r in flow.backends()}
        flow.zeros(1)
        print(type(flow.backend()).__module__)
        print(rows["thief"].status, rows["thief"].error)
        print(rows["extra"].status, rows["extra"].usable)
        print(rows["extra"].problems)
        print(rows["numpy"].problems)
    """,
            {"FLOWKIT_DISABLE_PLUGINS": "torch"},
            [str(tmp_path)],
            timeout=60,
        )
    )
    assert out[0] == "flowkit_numpy.backend"
    assert out[1].startswith(
        "broken Error: flowkit_declare_backends() declares ['numpy'] but "
        "not 'thief', its entry-point name"
    )
    assert out[2] == "ok True"
    assert "declares backend 'numpy', which is ignored" in out[3]
    assert out[4] == "[]"


def test_two_plugins_claiming_one_name(tmp_path):
    for twin in ("twin_a", "twin_b"):
        _install_dist(tmp_path, twin, twin, "twin", _plugin("twin"))
    code = """
        import sys
        import flowkit as flow
        try:
            print(flow.zeros(1).tolist(), flow.backend().name)
        except flow.BackendError as e:
            print(e)
        print([m for m in ("twin_a", "twin_b") if m in sys.modules])
        row = [r for r in flow.backends() if r.name == "twin"][0]
        print(row.status, row.distribution)
    """
    env = {"FLOWKIT_BACKEND": "twin", "FLOWKIT_DISABLE_PLUGINS": "torch"}
    out = _ok(_python(code, env, [str(tmp_path)], timeout=60))
    assert out[0].startswith(
        "backend name 'twin' is claimed by 2 plugins: module twin_a "
        "(distribution twin_a) and module twin_b (distribution twin_b); "
        "neither is used"
    )
    assert "pip uninstall twin_b" in out[0] and "FLOWKIT_DISABLE_PLUGINS=twin_b" in out[0]
    assert out[1:] == ["[]", "clash twin_a, twin_b"]
    # the fix the message gives works: switch one off by its distribution name
    env["FLOWKIT_DISABLE_PLUGINS"] = "torch, twin-b"
    out = _ok(_python(code, env, [str(tmp_path)], timeout=60))
    assert out == ["[0.0] twin", "['twin_a']", "ok twin_a"]


def test_a_kernel_hook_ignoring_the_backend_name_cannot_replace_numpy_sgd(zoo):
    """The greedy plugin offers a no-op kernel for every backend. It is asked only when its own
    backend is selected, so numpy's SGD still trains, even with the plugin imported."""
    code = _with_train("""
        flow.backends()  # imports and registers every plugin, the greedy one included
        print(json.dumps(["zoo_greedy" in sys.modules, train()]))
    """)
    env = {
        "FLOWKIT_BACKEND": "numpy",
        "FLOWKIT_PLUGIN_TIMEOUT": "1",
        "FLOWKIT_DISABLE_PLUGINS": "torch",
    }
    imported, losses = json.loads(_ok(_python(code, env, [str(zoo)], timeout=60))[-1])
    _, clean = json.loads(_ok(_python(code, env, timeout=60))[-1])
    assert imported is True
    assert losses == clean and losses[-1] < losses[0]
    # on its own backend, its kernel is used (it is that backend's business)
    _, frozen = json.loads(
        _ok(_python(code, dict(env, FLOWKIT_BACKEND="greedy"), [str(zoo)], timeout=60))[-1]
    )
    assert frozen == [frozen[0]] * 5


# ------------------------------------------------------------------------ switching plugins off
@pytest.mark.parametrize("disable", ["fake", "fakeflow-backend", "all"])
def test_disable_plugins_by_name_distribution_or_all(tmp_path, disable):
    _install_dist(tmp_path, "fakeflow_backend", "fakeflow_backend", "fake", _FAKE_PLUGIN)
    out = _ok(
        _python(
            """
        import sys
        import flowkit as flow
        rows = {r.name: r for r in flow.backends()}
        print(rows["fake"].status, rows["fake"].usable, "fakeflow_backend" in sys.modules)
        print(rows["numpy"].status, rows["torch"].status != "disabled")
        try:
            flow.use_backend("fake")
        except flow.BackendError as e:
            print(e)
    """,
            {"FLOWKIT_DISABLE_PLUGINS": disable},
            [str(tmp_path)],
            timeout=60,
        )
    )
    assert out[0] == "disabled False False"  # listed, never imported
    assert out[1] == "ok True"  # "all" is every third-party plugin, not the built-ins
    assert out[2].startswith(
        "backend 'fake' (plugin 'fake' (module fakeflow_backend, "
        "distribution fakeflow_backend)) is switched off by "
        "FLOWKIT_DISABLE_PLUGINS"
    )


def test_disable_builtin_backends():
    out = _ok(
        _python(
            """
        import flowkit as flow
        rows = {r.name: r for r in flow.backends()}
        print(rows["torch"].status, rows["numpy"].status)
        try:
            flow.use_backend("torch")
        except flow.BackendError as e:
            print(e)
    """,
            {"FLOWKIT_DISABLE_PLUGINS": "torch"},
            timeout=60,
        )
    )
    assert out[0] == "disabled ok"
    assert out[1].startswith(
        "the built-in 'torch' backend is switched off by FLOWKIT_DISABLE_PLUGINS='torch'"
    )
    out = _ok(
        _python(
            """
        import flowkit as flow
        try:
            flow.zeros(1)
        except flow.BackendError as e:
            print(e)
        print([r.status for r in flow.backends() if r.name == "numpy"])
    """,
            {"FLOWKIT_DISABLE_PLUGINS": "numpy,torch"},
            timeout=60,
        )
    )
    assert out[0] == (
        "the built-in 'numpy' backend is switched off by FLOWKIT_DISABLE_PLUGINS="
        "'numpy,torch'; remove 'numpy' from it, or choose another backend with "
        "FLOWKIT_BACKEND"
    )
    assert out[1] == "['disabled']"


# ------------------------------------------------------------------------ start-up and the CLI
def test_numpy_selection_reads_no_entry_point_metadata(tmp_path):
    """The built-ins are imported directly: no importlib.metadata (~30 ms), no other plugin,
    even with a third-party plugin installed."""
    _install_dist(
        tmp_path,
        "fakeflow_backend",
        "fakeflow_backend",
        "fake",
        'raise RuntimeError("must not be imported")\n',
    )
    out = _ok(
        _python(
            """
        import sys
        import flowkit as flow
        flow.tensor([1.0])
        print(flow.backend().name, sorted(m for m in ("importlib.metadata", "flowkit_torch",
              "fakeflow_backend", "torch") if m in sys.modules))
    """,
            {"FLOWKIT_BACKEND": "numpy"},
            [str(tmp_path)],
            timeout=60,
        )
    )
    assert out == ["numpy []"]


def test_cli_says_where_the_choice_comes_from(tmp_path):
    _install_dist(tmp_path, "fakeflow_backend", "fakeflow_backend", "fake", _FAKE_PLUGIN)
    env = {"FLOWKIT_DISABLE_PLUGINS": "torch"}
    lines = _ok(_cli("backends", env_updates=env, pythonpath=[str(tmp_path)], timeout=60))
    assert lines[0].split() == ["backend", "version", "usable", "devices", "from", "notes"]
    numpy_line = next(line for line in lines if line.startswith("numpy "))
    assert numpy_line.endswith("(default)")
    assert "selected by FLOWKIT_BACKEND" not in "\n".join(lines)
    assert any(line.startswith("fake ") and "fakeflow_backend" in line for line in lines)
    lines = _ok(
        _cli(
            "backends",
            env_updates=dict(env, FLOWKIT_BACKEND="fake"),
            pythonpath=[str(tmp_path)],
            timeout=60,
        )
    )
    fake_line = next(line for line in lines if line.startswith("fake "))
    assert fake_line.endswith("(selected by FLOWKIT_BACKEND)")
    assert "(default)" not in "\n".join(lines)


# ------------------------------------------------------------------------ registered by hand
class _BadHookName:
    @hookimpl
    def flowkit_probe_backends(self, name):
        return None


class _Wrapper:
    @hookimpl(hookwrapper=True)
    def flowkit_declare_backends(self):
        yield


class _NoOp:
    @hookimpl
    def flowkit_declare_backends(self):
        return []


@pytest.mark.parametrize(
    "plugin,name,says",
    [
        (
            _BadHookName(),
            "badname",
            "unknown hook(s) 'flowkit_probe_backends' (did you mean 'flowkit_probe_backend'?)",
        ),
        (_Wrapper(), "wrapper", "as a hook wrapper"),
        (_NoOp(), "numpy", "that is flowkit's built-in backend"),
        (_NoOp(), "torch", "that is flowkit's built-in backend"),
    ],
)
def test_register_plugin_refuses_contract_breakers(plugin, name, says):
    with pytest.raises(flow.BackendError, match="cannot register") as info:
        flow.register_plugin(plugin, name=name)
    assert says in str(info.value)
    assert name not in _plugins._hand


def test_register_plugin_twice_and_unregister_unknown():
    flow.register_plugin(_NoOp(), name="noop")
    try:
        with pytest.raises(flow.BackendError, match="already registered"):
            flow.register_plugin(_NoOp(), name="noop")
    finally:
        flow.unregister_plugin("noop")
    with pytest.raises(ValueError, match="FLOWKIT_DISABLE_PLUGINS=noop"):
        flow.unregister_plugin("noop")


class _HandBackend:
    """Declares a backend whose probe raises, and a kernel hook that raises."""

    @hookimpl
    def flowkit_declare_backends(self):
        return [BackendSpec("handbad", "raises")]

    @hookimpl
    def flowkit_probe_backend(self, name):
        raise ValueError("probe fails")


class _RaisingKernel:
    @hookimpl
    def flowkit_select_optimizer_kernel(self, backend, optimizer, hyperparams):
        raise ValueError("kernel fails")


def test_hand_registered_plugin_failures_are_attributed():
    flow.register_plugin(_HandBackend(), name="handbad")
    try:
        rows = {r.name: r for r in flow.backends()}
        assert rows["handbad"].status == "broken" and rows["handbad"].distribution is None
        assert rows["handbad"].error == (
            "Error: flowkit_probe_backend('handbad') raised ValueError: probe fails"
        )
        assert rows[flow.backend().name].usable  # the selected backend is untouched
    finally:
        flow.unregister_plugin("handbad")
    # the kernel hook is asked of the selected backend's own plugin only: a hand-registered one
    # that raises is never asked, and training is untouched
    w = flow.nn.Parameter(flow.ones(2))
    flow.register_plugin(_RaisingKernel(), name="rk")
    try:
        opt = flow.optim.SGD([w], lr=0.5)
        w.grad = flow.ones(2)
        opt.step()
        assert w.tolist() == [0.5, 0.5]
    finally:
        flow.unregister_plugin("rk")


def test_hand_registered_notification_failure_warns_and_selection_goes_on():
    out = _ok(
        _python(
            """
        import warnings
        import flowkit as flow
        from flowkit.hookspecs import hookimpl

        class Listener:
            @hookimpl
            def flowkit_backend_selected(self, backend):
                raise RuntimeError("listener broke")

        flow.register_plugin(Listener(), name="listener")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            print(flow.zeros(2).tolist(), flow.backend().name)
        print(len(caught), caught[0].category.__name__)
        print(caught[0].message)
        print([r.status for r in flow.backends() if r.name == "listener"])
    """,
            {"FLOWKIT_BACKEND": "numpy", "FLOWKIT_DISABLE_PLUGINS": "torch"},
            timeout=60,
        )
    )
    assert out[:2] == ["[0.0, 0.0] numpy", "1 RuntimeWarning"]
    assert out[2].startswith(
        "flowkit: plugin 'listener' (registered with "
        "flowkit.register_plugin): flowkit_backend_selected() raised "
        "RuntimeError: listener broke"
    )
    assert out[3] == "['ok']"


@pytest.mark.parametrize("raw,expected", [("", 10.0), ("2.5", 2.5), ("0", 0.0)])
def test_plugin_timeout_setting(monkeypatch, raw, expected):
    monkeypatch.setenv("FLOWKIT_PLUGIN_TIMEOUT", raw)
    assert _plugins._timeout() == expected


@pytest.mark.parametrize("raw", ["soon", "-1", "inf"])
def test_a_bad_plugin_timeout_warns_and_uses_the_default(monkeypatch, raw):
    monkeypatch.setenv("FLOWKIT_PLUGIN_TIMEOUT", raw)
    with pytest.warns(RuntimeWarning, match=f"FLOWKIT_PLUGIN_TIMEOUT={raw!r} is not a number"):
        assert _plugins._timeout() == _plugins.DEFAULT_TIMEOUT
