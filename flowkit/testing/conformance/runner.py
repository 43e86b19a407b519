"""``flowkit check-backend NAME``: the kit in a child pytest process with ``FLOWKIT_BACKEND=NAME``
(a process has one backend), its per-op table on stdout, and an exit status from its summary.

The child runs only the kit (`SUITE`), with a blank
pytest configuration in a temporary directory and no ``conftest.py`` files, so it behaves the
same from a source checkout and from an installed flowkit, whatever the working directory.

``source=`` (``flowkit check-backend NAME --from DIR``) checks a backend from its source tree
without installing it: the child sees it as pip would have installed it (a ``.dist-info`` made
from the tree's ``pyproject.toml``, with its entry points), which is how a backend's author
iterates, and how flowkit's docs certify the example backend.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def pytest_command(
    summary: Path,
    config_dir: Path,
    *,
    quick: bool = False,
    keyword: str | None = None,
    strict: bool = False,
    docs: str | None = None,
    pytest_args: tuple[str, ...] | list[str] = (),
) -> list[str]:
    """The child's command line.

    Examples:
        >>> from pathlib import Path
        >>> from flowkit.testing.conformance.runner import pytest_command
        >>> cmd = pytest_command(Path("s.json"), Path("/tmp"), quick=True, keyword="Tensor.sum")
        >>> cmd[1:3], "--flowkit-quick" in cmd, cmd[cmd.index("-k") + 1]
        (['-m', 'pytest'], True, 'Tensor.sum')
    """
    from .plugin import SUITE

    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(SUITE),
        # a blank configuration: neither the checkout's pyproject nor any conftest.py applies
        "-c",
        str(config_dir / "pytest.ini"),
        "--rootdir",
        str(SUITE.parent),
        "--noconftest",
        "-p",
        "no:cacheprovider",
        "-p",
        "flowkit.testing.conformance.plugin",
        "-q",
        "--tb=short",
        "--flowkit-json",
        str(summary),
    ]
    if quick:
        cmd.append("--flowkit-quick")
    if strict:
        cmd.append("--flowkit-strict")
    if docs:
        cmd += ["--flowkit-docs", str(Path(docs).resolve())]
    if keyword:
        cmd += ["-k", keyword]
    return cmd + list(pytest_args)


def source_path_entries(source: str | os.PathLike, site: Path) -> list[str]:
    r"""Make the backend in the source tree ``source`` importable and discoverable for a child
    process, as ``pip install`` would: a ``.dist-info`` with its entry points, written into
    ``site`` from ``source/pyproject.toml``. Returns the ``PYTHONPATH`` entries to add (``site``
    and where the packages are: ``[tool.setuptools.packages.find] where``, else the tree).

    Examples:
        >>> import tempfile
        >>> from pathlib import Path
        >>> from flowkit.testing.conformance.runner import source_path_entries
        >>> src = Path(tempfile.mkdtemp())
        >>> _ = (src / "pyproject.toml").write_text(
        ...     '[project]\nname = "flowkit-x"\nversion = "1.0"\n'
        ...     '[project.entry-points."flowkit.backends"]\nx = "flowkit_x"\n')
        >>> site = Path(tempfile.mkdtemp())
        >>> entries = source_path_entries(src, site)
        >>> (site / "flowkit_x-1.0.dist-info" / "entry_points.txt").read_text()
        '[flowkit.backends]\nx = flowkit_x\n'
    """
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10: the same parser, from PyPI
        try:
            import tomli as tomllib
        except ImportError:
            raise RuntimeError(
                "checking a backend from its source tree reads pyproject.toml: "
                "on Python 3.10 install tomli (pip install tomli)"
            ) from None
    root = Path(source).resolve()
    try:
        meta = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{root} has no pyproject.toml: give the directory of the "
            "backend's distribution (where its pyproject.toml is)"
        ) from None
    project = meta.get("project", {})
    groups = project.get("entry-points", {})
    if "flowkit.backends" not in groups:
        raise ValueError(
            f"{root / 'pyproject.toml'} registers no flowkit backend: add "
            '[project.entry-points."flowkit.backends"] name = "module"'
        )
    name = project.get("name", root.name).replace("-", "_")
    info = site / f"{name}-{project.get('version', '0')}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project.get('name')}\n"
        f"Version: {project.get('version', '0')}\n",
        "utf-8",
    )
    lines = []
    for group, entries in groups.items():
        lines.append(f"[{group}]")
        lines += [f"{k} = {v}" for k, v in entries.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n", "utf-8")
    find = meta.get("tool", {}).get("setuptools", {}).get("packages", {})
    wheres = find.get("find", {}).get("where", ["."]) if isinstance(find, dict) else ["."]
    return [str(site)] + [str((root / w).resolve()) for w in wheres]


def certify(
    name: str,
    *,
    source: str | os.PathLike | None = None,
    quick: bool = True,
    keyword: str | None = None,
    docs: str | None = None,
    timeout: float | None = 600,
) -> dict:
    """The kit's summary for backend ``name`` (optionally from its ``source`` tree), run in a
    child process whose output is kept out of this one's: the dict ``--json`` writes (``ok``,
    ``totals``, ``rows``...). For programs and docs pages that report what the kit says.

    Examples:
        >>> from flowkit.testing.conformance.runner import certify
        >>> report = certify("numpy", keyword="Tensor.exp")  # doctest: +SKIP
        >>> report["rows"]["Tensor.exp"]["forward"]  # doctest: +SKIP
        'pass'
    """
    with tempfile.TemporaryDirectory(prefix="flowkit-certify-") as tmp:
        summary = Path(tmp) / "certify.json"
        code = check_backend(
            name,
            quick=quick,
            keyword=keyword,
            json_path=str(summary),
            docs=docs,
            source=source,
            timeout=timeout,
            quiet=True,
        )
        if not summary.exists():
            raise RuntimeError(
                f"the conformance kit did not run on {name!r} (exit status "
                f"{code}); run `flowkit check-backend {name}` to see why"
            )
        return json.loads(summary.read_text("utf-8"))


def check_backend(
    name: str,
    *,
    quick: bool = False,
    keyword: str | None = None,
    strict: bool = False,
    json_path: str | None = None,
    docs: str | None = None,
    pytest_args: tuple[str, ...] | list[str] = (),
    timeout: float | None = None,
    source: str | os.PathLike | None = None,
    quiet: bool = False,
) -> int:
    """Run the kit on backend ``name`` in a child process; 0 when nothing FAILs.

    Args:
        name: the backend (as ``FLOWKIT_BACKEND`` takes it).
        quick: a few examples per op.
        keyword: a pytest ``-k`` expression (``"Tensor.sum or F.conv2d"``).
        strict: ops the backend does not implement fail too.
        json_path: also write the summary there (see
            `to_json`).
        docs: the docs pages to check (default: the checkout's, if any).
        pytest_args: more pytest arguments (``-x``, ``--tb=long``, ...).
        timeout: seconds before the child is stopped (``None``: no limit).
        source: the backend's source tree (its distribution's directory), checked without
            installing it (see `source_path_entries`).
        quiet: keep the child's output (the table) out of this process's stdout.

    Returns:
        int: 0 if nothing failed (ops not implemented are listed, and fail only when
        ``strict``), 1 if something failed, pytest's own status if the run itself broke.
    """
    with tempfile.TemporaryDirectory(prefix="flowkit-check-") as tmp:
        tmp_dir = Path(tmp)
        (tmp_dir / "pytest.ini").write_text("[pytest]\n", "utf-8")
        summary = Path(json_path).resolve() if json_path else tmp_dir / "summary.json"
        summary.unlink(missing_ok=True)
        cmd = pytest_command(
            summary,
            tmp_dir,
            quick=quick,
            keyword=keyword,
            strict=strict,
            docs=docs,
            pytest_args=pytest_args,
        )
        env = dict(os.environ, FLOWKIT_BACKEND=name)
        env.setdefault("PYTHONHASHSEED", "0")
        if source is not None:
            entries = source_path_entries(source, tmp_dir / "site")
            env["PYTHONPATH"] = os.pathsep.join(
                entries + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
            )
        sys.stdout.flush()
        out = subprocess.DEVNULL if quiet else None
        proc = subprocess.run(cmd, env=env, cwd=tmp_dir, timeout=timeout, stdout=out, stderr=out)
        if not summary.exists():
            print(
                f"flowkit check-backend {name}: pytest stopped before the kit ran "
                f"(exit status {proc.returncode}); see its output above",
                file=sys.stderr,
            )
            return proc.returncode or 2
        data = json.loads(summary.read_text("utf-8"))
    if not data["rows"] and not data["checks"] and data["ok"]:
        print(f"flowkit check-backend {name}: no check selected (-k {keyword!r}?)", file=sys.stderr)
        return 5  # pytest's "no tests collected"
    return 0 if data["ok"] else 1
