"""``flowkit check-backend NAME``: the kit in a child pytest process with ``FLOWKIT_BACKEND=NAME``
(a process has one backend), its per-op table on stdout, and an exit status from its summary.

The child runs only the kit (:data:`~flowkit.testing.conformance.plugin.SUITE`), with a blank
pytest configuration in a temporary directory and no ``conftest.py`` files, so it behaves the
same from a source checkout and from an installed flowkit, whatever the working directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def pytest_command(summary: Path, config_dir: Path, *, quick: bool = False,
                   keyword: str | None = None, strict: bool = False, docs: str | None = None,
                   pytest_args: tuple[str, ...] | list[str] = ()) -> list[str]:
    """The child's command line.

    Examples:
        >>> from pathlib import Path
        >>> from flowkit.testing.conformance.runner import pytest_command
        >>> cmd = pytest_command(Path("s.json"), Path("/tmp"), quick=True, keyword="Tensor.sum")
        >>> cmd[1:3], "--flowkit-quick" in cmd, cmd[cmd.index("-k") + 1]
        (['-m', 'pytest'], True, 'Tensor.sum')
    """
    from .plugin import SUITE

    cmd = [sys.executable, "-m", "pytest", str(SUITE),
           # a blank configuration: neither the checkout's pyproject nor any conftest.py applies
           "-c", str(config_dir / "pytest.ini"), "--rootdir", str(SUITE.parent), "--noconftest",
           "-p", "no:cacheprovider", "-p", "flowkit.testing.conformance.plugin",
           "-q", "--tb=short",
           "--flowkit-json", str(summary)]
    if quick:
        cmd.append("--flowkit-quick")
    if strict:
        cmd.append("--flowkit-strict")
    if docs:
        cmd += ["--flowkit-docs", str(Path(docs).resolve())]
    if keyword:
        cmd += ["-k", keyword]
    return cmd + list(pytest_args)


def check_backend(name: str, *, quick: bool = False, keyword: str | None = None,
                  strict: bool = False, json_path: str | None = None, docs: str | None = None,
                  pytest_args: tuple[str, ...] | list[str] = (),
                  timeout: float | None = None) -> int:
    """Run the kit on backend ``name`` in a child process; 0 when nothing FAILs.

    Args:
        name: the backend (as ``FLOWKIT_BACKEND`` takes it).
        quick: a few examples per op.
        keyword: a pytest ``-k`` expression (``"Tensor.sum or F.conv2d"``).
        strict: ops the backend does not implement fail too.
        json_path: also write the summary there (see
            :meth:`~flowkit.testing.conformance.report.Summary.to_json`).
        docs: the docs pages to check (default: the checkout's, if any).
        pytest_args: more pytest arguments (``-x``, ``--tb=long``, ...).
        timeout: seconds before the child is stopped (``None``: no limit).

    Returns:
        int: 0 if nothing failed (ops not implemented are listed, and fail only when
        ``strict``), 1 if something failed, pytest's own status if the run itself broke.
    """
    with tempfile.TemporaryDirectory(prefix="flowkit-check-") as tmp:
        tmp_dir = Path(tmp)
        (tmp_dir / "pytest.ini").write_text("[pytest]\n", "utf-8")
        summary = Path(json_path).resolve() if json_path else tmp_dir / "summary.json"
        summary.unlink(missing_ok=True)
        cmd = pytest_command(summary, tmp_dir, quick=quick, keyword=keyword, strict=strict,
                             docs=docs, pytest_args=pytest_args)
        env = dict(os.environ, FLOWKIT_BACKEND=name)
        env.setdefault("PYTHONHASHSEED", "0")
        sys.stdout.flush()
        proc = subprocess.run(cmd, env=env, cwd=tmp_dir, timeout=timeout)
        if not summary.exists():
            print(f"flowkit check-backend {name}: pytest stopped before the kit ran "
                  f"(exit status {proc.returncode}); see its output above", file=sys.stderr)
            return proc.returncode or 2
        data = json.loads(summary.read_text("utf-8"))
    if not data["rows"] and not data["checks"] and data["ok"]:
        print(f"flowkit check-backend {name}: no check selected (-k {keyword!r}?)",
              file=sys.stderr)
        return 5  # pytest's "no tests collected"
    return 0 if data["ok"] else 1
