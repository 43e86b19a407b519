"""The command line as a user meets it: versions, exit statuses, filters, and tracebacks of
flowkit's own errors. Backend-independent: run once (the first backend's run)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import flowkit

pytestmark = pytest.mark.once


def flowkit_cli(*args: str, env: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k != "FLOWKIT_BACKEND"}
    return subprocess.run(
        [sys.executable, "-m", "flowkit", *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        cwd=cwd,
        timeout=600,
    )


def test_version():
    r = flowkit_cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"flowkit {flowkit.__version__}"


def test_help_is_plain_text_and_says_where_extra_arguments_go():
    top = flowkit_cli("--help").stdout
    assert "``" not in top and "examples" in top and "--version" in top
    test_help = flowkit_cli("test", "--help").stdout
    assert "Other arguments go to pytest" in test_help


def test_an_unknown_backend_is_exit_2_with_a_suggestion():
    r = flowkit_cli("test", "--backend", "Torch")
    assert r.returncode == 2
    assert "unknown backend 'Torch'. Did you mean 'torch'?" in r.stderr


def _suite(tmp_path, body: str):
    f = tmp_path / "test_tiny.py"
    f.write_text(textwrap.dedent(body))
    return str(f)


def test_flowkit_test_counts_from_the_report_and_fails_when_nothing_ran(tmp_path):
    path = _suite(tmp_path, "def test_a(): pass\ndef test_b(): pass\n")
    ok = flowkit_cli("test", "--backend", "numpy", path, "-p", "no:cacheprovider")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "total: 2 passed, 0 failed, 0 skipped" in ok.stdout
    assert "2 passed" in ok.stdout  # pytest's own output came through as it ran
    nothing = flowkit_cli("test", "--backend", "numpy", path, "-k", "no_such_test")
    assert nothing.returncode == 1
    assert "no test was collected or run" in nothing.stdout
    failing = _suite(tmp_path, "def test_a(): assert False\n")
    bad = flowkit_cli("test", "--backend", "numpy", failing)
    assert bad.returncode == 1 and "total: 0 passed, 1 failed" in bad.stdout


def test_examples_filters_by_name_language_and_backend():
    r = flowkit_cli("examples", "-k", "index and not api", "--lang", "en",
                    env={"FLOWKIT_BACKEND": "numpy"})  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    rows = [ln for ln in r.stdout.splitlines() if ln.startswith("en/")]
    assert [ln.split()[:2] for ln in rows] == [["en/index.md", "numpy"]]
    named = flowkit_cli("examples", "en/index.md", "--backend", "numpy")  # as the table names it
    assert named.returncode == 0 and "en/index.md" in named.stdout
    none = flowkit_cli("examples", "-k", "no-such-page")
    assert none.returncode == 5 and "nothing to run" in none.stdout
    missing = flowkit_cli("examples", "en/no-such-page.md")
    assert missing.returncode != 0 and "no page 'en/no-such-page.md'" in missing.stderr


PROGRAM = """
import flowkit as flow

def train():
    return flow.zeros(2, 3) @ flow.zeros(2, 3)   # the user's line

train()
"""


def test_a_flowkit_error_ends_at_the_user_line(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text(PROGRAM)
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                       env={**os.environ, "FLOWKIT_BACKEND": "numpy"}, timeout=120)  # fmt: skip
    assert r.returncode == 1
    tb = r.stderr
    assert "the user's line" in tb and "ShapeError" in tb
    assert "flowkit_numpy" not in tb and "/flowkit/" not in tb, tb
    assert "inside flowkit left out; FLOWKIT_TRACEBACK=full shows them" in tb
    full = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env={**os.environ, "FLOWKIT_BACKEND": "numpy",
                               "FLOWKIT_TRACEBACK": "full"}, timeout=120)  # fmt: skip
    assert "flowkit" in full.stderr.split("the user's line")[1].split("ShapeError")[0]


def test_an_unknown_backend_name_gets_a_suggestion_at_first_use():
    r = subprocess.run([sys.executable, "-c", "import flowkit as f; f.zeros(1)"],
                       capture_output=True, text=True, timeout=120,
                       env={**os.environ, "FLOWKIT_BACKEND": "Torch"})  # fmt: skip
    assert "unknown backend 'Torch' (from FLOWKIT_BACKEND). Did you mean 'torch'?" in r.stderr
    assert "pluggy" not in r.stderr and "_plugins.py" not in r.stderr
