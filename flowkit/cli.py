"""The ``flowkit`` command line.

    flowkit backends            list the backends found, usable or not, and why
    flowkit examples [PAGE...] [-k EXPR] [--lang en|zh] [-j N] [--backend NAME]
                                run the docs pages as programs (FLOWKIT_BACKEND or every
                                usable backend), in parallel, and print a table
    flowkit docs regen [PAGE]   rewrite the pages' expected outputs from a numpy-backend run
    flowkit test [PYTEST ARGS]  the whole test suite, once per usable backend, each in its own
                                process (the README's test command and CI's)
    flowkit check-backend NAME [--quick] [-k EXPR] [--strict] [--json PATH] [--from DIR] [ARGS]
                                certify a backend with the conformance kit (ops, gradients,
                                errors, optimizer kernels, docs pages): a per-op table
    flowkit bench [OPTIONS]     the benchmark suite of a source checkout (bench/suite.py; see
                                bench/README.md): flowkit vs hand numpy and plain torch

Every page and every test run happens in a fresh child process with ``FLOWKIT_BACKEND`` set:
a process has exactly one backend.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

from . import _plugins


def _usable_backends(only: list[str] | None = None, command: str = "flowkit") -> list[str]:
    """The backends to run on: ``only`` (each must be installed and usable here, else the
    command stops with why), or every usable one."""
    rows = {r.name: r for r in _plugins.backends()}
    if not only:
        return [name for name, r in rows.items() if r.usable]
    for name in only:
        if name not in rows:
            _stop(
                f"{command}: unknown backend {name!r}.{_plugins._did_you_mean(name)} "
                f"Installed: {', '.join(rows)} (see `flowkit backends`)"
            )
        if not rows[name].usable:
            _stop(
                f"{command}: backend {name!r} cannot run here: "
                f"{rows[name].error or 'not usable'} (see `flowkit backends`)"
            )
    return list(dict.fromkeys(only))


def _stop(message: str, status: int = 2) -> NoReturn:
    """Say why on stderr and exit with ``status`` (2: the command cannot do what was asked)."""
    print(message, file=sys.stderr)
    raise SystemExit(status)


def _child_env(backend: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ, FLOWKIT_BACKEND=backend, **extra)
    env.setdefault("PYTHONHASHSEED", "0")
    return env


# --------------------------------------------------------------------------- backends
def cmd_backends(args) -> int:
    """The backends table, then one line per plugin problem with its fix. Each plugin is
    inspected in its own thread with a bounded wait (FLOWKIT_PLUGIN_TIMEOUT), so a plugin that
    hangs or crashes shows up here instead of hanging or crashing the command."""
    rows = _plugins.backends()
    if args.json:
        print(json.dumps([r.__dict__ for r in rows], indent=2))
        return 0
    chosen = os.environ.get("FLOWKIT_BACKEND", "").strip()
    default, why = (
        (chosen, "selected by FLOWKIT_BACKEND") if chosen else (_plugins.DEFAULT_BACKEND, "default")
    )
    table = [("backend", "version", "usable", "devices", "from", "notes")]
    for r in rows:
        if r.usable:
            notes = r.summary
        elif r.status == "unusable":
            notes = r.error or "not usable"
        else:  # broken, timed out, clash, disabled: the problems section says what and how
            notes = f"{r.status}, see problems below" if r.problems else r.status
        if r.name == default:
            notes += f" ({why})"
        source = r.distribution or ("registered by hand" if r.status != "clash" else "-")
        table.append(
            (
                r.name,
                r.version or "-",
                "yes" if r.usable else "no",
                ", ".join(r.devices) or "-",
                source,
                notes,
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(5)]
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[5])
    if chosen and chosen not in {r.name for r in rows}:
        print(f"\nFLOWKIT_BACKEND={chosen} names no installed backend")
    problems = [(r.name, p) for r in rows for p in r.problems]
    if problems:
        print(f"\nproblems ({len(problems)}):")
        for name, p in problems:
            print(f"  {name}: {p}")
    return 0


# --------------------------------------------------------------------------- examples
def _run_child(module_args: list[str], backend: str, timeout: float = 900) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "flowkit.testing.docs", *module_args],
        env=_child_env(backend),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        return {"failures": [f"child process failed ({proc.returncode}):\n{proc.stderr[-3000:]}"]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _pages(paths: list[str]) -> list[Path]:
    """The pages named (a path, or a name as the examples table prints it: ``en/data.md``), or
    every page of the docs."""
    from .testing import docs

    if not paths:
        return docs.pages()
    out = []
    for p in paths:
        path = Path(p)
        if not path.exists() and (docs.DOCS_DIR / p).exists():
            path = docs.DOCS_DIR / p
        if not path.exists():
            names = [str(q.relative_to(docs.DOCS_DIR)) for q in docs.pages()]
            raise SystemExit(
                f"flowkit: no page {p!r}; pages are named as the examples table shows them "
                f"({', '.join(names[:4])}, ...) or by their path"
            )
        out.append(path.resolve())
    return out


def _page_name(page: Path) -> str:
    from .testing import docs

    return str(page.relative_to(docs.DOCS_DIR)) if page.is_relative_to(docs.DOCS_DIR) else str(page)


def _keyword_match(expr: str, name: str) -> bool:
    """pytest's -k on a page name: substrings combined with ``and``, ``or``, ``not``, ()."""
    import re

    tokens = re.findall(r"\(|\)|[^\s()]+", expr)
    py = []
    for t in tokens:
        if t in ("and", "or", "not", "(", ")"):
            py.append(t)
        else:
            py.append(repr(t.lower() in name.lower()))
    try:
        return bool(eval(" ".join(py), {"__builtins__": {}}))  # noqa: S307 - booleans only
    except SyntaxError:
        raise SystemExit(f"flowkit examples: -k {expr!r} is not a valid expression") from None


def _progress(total: int):
    """A progress bar on a terminal (tqdm, from the docs extra), else nothing."""
    if not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm  # type: ignore[import-untyped]
    except ImportError:
        return None
    return tqdm(total=total, unit="page", desc="examples", leave=False)


def cmd_examples(args) -> int:
    from concurrent.futures import ThreadPoolExecutor

    only = args.backend or (
        [os.environ["FLOWKIT_BACKEND"].strip()] if os.environ.get("FLOWKIT_BACKEND") else None
    )
    backends = _usable_backends(only, "flowkit examples")
    pages = [
        p
        for p in _pages(args.pages)
        if args.lang is None or _page_name(p).startswith(args.lang + "/")
    ]
    if args.k:
        pages = [p for p in pages if _keyword_match(args.k, _page_name(p))]
    jobs = [(page, b) for page in pages for b in backends]
    if not jobs:
        print("flowkit examples: nothing to run (no page matches, or no usable backend)")
        return 5
    workers = max(1, args.jobs or os.cpu_count() or 1)
    bar = _progress(len(jobs))

    def run(job):
        page, b = job
        res = _run_child(["run", str(page)], b)
        res.setdefault("backend", b)
        res["page"] = _page_name(page)
        if bar is not None:
            bar.update(1)
        return res

    with ThreadPoolExecutor(max_workers=workers) as pool:
        rows = list(pool.map(run, jobs))  # in page order, whatever order they finish
    if bar is not None:
        bar.close()
    for i, r in enumerate(rows):
        _print_row(r, header=i == 0)
    failed = [r for r in rows if r.get("failures")]
    for r in failed:
        print(f"\n--- {r['page']} on {r['backend']} failed:")
        for f in r["failures"]:
            print(f)
    print(
        "\nresult: the values the page names in its <!-- page: result=... --> line (the "
        "trained weights), rounded to 4 places; final loss: its loss= value"
    )
    print(
        f"examples: {len(rows) - len(failed)} passed, {len(failed)} failed "
        f"({len(rows)} page runs on {', '.join(backends)})"
    )
    return 1 if failed else 0


def _print_row(r: dict, header: bool) -> None:
    if header:
        print(
            f"{'page':<34} {'backend':<8} {'device':<7} {'blocks':>6} {'checked':>7} "
            f"{'final loss':>11} {'result':<16} {'time':>7}  status"
        )
    loss = "-" if r.get("loss") is None else f"{r['loss']:.3g}"
    result = "-" if not r.get("result") else str(r["result"])
    status = "ok" if not r.get("failures") else "FAILED"
    if r.get("skipped"):
        status += f" ({r['skipped']} skipped)"
    print(
        f"{r['page']:<34} {r['backend']:<8} {r.get('device', '-'):<7} "
        f"{r.get('blocks_run', 0):>6} {r.get('outputs_checked', 0):>7} {loss:>11} {result:<16} "
        f"{r.get('seconds', 0):>6.2f}s  {status}",
        flush=True,
    )


# --------------------------------------------------------------------------- docs regen
def cmd_docs(args) -> int:
    if args.action != "regen":
        return 2
    for page in _pages(args.pages):
        res = _run_child(["regen", str(page)], args.backend)
        if res.get("failures"):
            print(f"{page}: FAILED\n" + "\n".join(res["failures"]))
            return 1
        print(f"{page}: {'updated' if res['changed'] else 'unchanged'}")
    return 0


# --------------------------------------------------------------------------- test
def _junit_counts(path: Path) -> dict[str, int]:
    """passed/failed/errors/skipped from pytest's JUnit XML report (not from its text)."""
    import xml.etree.ElementTree as ET

    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    if not path.exists():
        return counts
    root = ET.parse(path).getroot()
    for suite in root.iter("testsuite"):
        tests = int(suite.get("tests", 0))
        failed, errors = int(suite.get("failures", 0)), int(suite.get("errors", 0))
        skipped = int(suite.get("skipped", 0))
        counts["failed"] += failed
        counts["errors"] += errors
        counts["skipped"] += skipped
        counts["passed"] += tests - failed - errors - skipped
    return counts


def cmd_test(args, extra: list[str]) -> int:
    """pytest once per backend, its output streamed as it runs; then the totals, counted from
    pytest's JUnit XML report. Non-zero when anything failed, when a backend's run collected
    or ran nothing, or when a requested backend cannot run here."""
    import tempfile

    backends = _usable_backends(args.backend, "flowkit test")
    if not backends:
        print("flowkit test: no usable backend (see `flowkit backends`)", file=sys.stderr)
        return 2
    color = [] if any(a.startswith("--color") for a in extra) else ["--color=yes"]
    if not sys.stdout.isatty():
        color = []
    totals = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    problems = []
    with tempfile.TemporaryDirectory(prefix="flowkit-test-") as tmp:
        for i, b in enumerate(backends):
            print(f"\n=== flowkit test: backend {b} ===", flush=True)
            report = Path(tmp) / f"{b}.xml"
            env = _child_env(b, FLOWKIT_TEST_REPEAT="1" if i else "0")
            rc = subprocess.run(  # output goes straight to this terminal, as pytest writes it
                [sys.executable, "-m", "pytest", *color, f"--junitxml={report}", *extra], env=env
            ).returncode
            counts = _junit_counts(report)
            for k, v in counts.items():
                totals[k] += v
            ran = counts["passed"] + counts["failed"] + counts["errors"]
            if rc == 5 or (rc == 0 and ran == 0):
                problems.append(f"backend {b}: no test was collected or run (pytest exit {rc})")
            elif rc != 0:
                problems.append(f"backend {b}: pytest exited with {rc}")
    print(f"\nflowkit test on {', '.join(backends)}:")
    print(
        f"total: {totals['passed']} passed, {totals['failed'] + totals['errors']} failed, "
        f"{totals['skipped']} skipped"
    )
    for p in problems:
        print(f"flowkit test: {p}")
    return 1 if problems else 0


# --------------------------------------------------------------------------- check-backend
def cmd_check_backend(args, extra: list[str]) -> int:
    """The conformance kit on one backend (flowkit.testing.conformance.runner does the work)."""
    import importlib.util

    missing = [m for m in ("pytest", "hypothesis") if importlib.util.find_spec(m) is None]
    if missing:
        raise SystemExit(
            f"flowkit check-backend needs {' and '.join(missing)} (the kit runs on "
            'pytest with hypothesis); install them with: pip install "flowkit[test]"'
        )
    from .testing.conformance.runner import check_backend

    options = dict(
        quick=args.quick,
        keyword=args.k,
        strict=args.strict,
        json_path=args.json,
        docs=args.docs,
        pytest_args=extra,
    )
    if args.source:  # not installed here: the child finds it, or says why not
        return check_backend(args.name, source=args.source, **options)
    rows = {r.name: r for r in _plugins.backends()}
    if args.name not in rows:
        raise SystemExit(
            f"flowkit check-backend: no backend named {args.name!r}; installed: "
            f"{sorted(rows)} (see `flowkit backends`)"
        )
    if not rows[args.name].usable:
        raise SystemExit(
            f"flowkit check-backend: backend {args.name!r} cannot run here: "
            f"{rows[args.name].error or 'not usable'} (see `flowkit backends`)"
        )
    return check_backend(args.name, **options)


# --------------------------------------------------------------------------- bench
def cmd_bench(extra: list[str]) -> int:
    """bench/suite.py of the source checkout, with the arguments as given."""
    suite = Path(__file__).resolve().parents[1] / "bench" / "suite.py"
    if not suite.exists():
        raise SystemExit("flowkit bench: needs a source checkout (bench/suite.py not found)")
    return subprocess.run([sys.executable, str(suite), *extra]).returncode


def main(argv: list[str] | None = None) -> int:
    from ._version import __version__

    parser = argparse.ArgumentParser(
        prog="flowkit",
        description="flowkit's command line: backends, the docs pages as programs, the tests, "
        "the conformance kit and the benchmarks.",
    )
    parser.add_argument("--version", action="version", version=f"flowkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("backends", help="list backends, versions, devices, load errors")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser(
        "examples",
        help="run the docs pages as programs on every usable backend",
        description="Run the docs pages as programs (each in its own process) and print a "
        "table: blocks run, outputs checked, the page's final loss and result (the values its "
        "<!-- page: result=... --> line names), time. Exit 1 if a page fails, 5 if nothing ran.",
    )
    p.add_argument("pages", nargs="*", help="pages by path or as the table names them")
    p.add_argument(
        "--backend",
        action="append",
        help="only this backend (repeatable; default: FLOWKIT_BACKEND if set, else every "
        "usable backend)",
    )
    p.add_argument("-k", metavar="EXPR", help="only pages whose name matches, as pytest's -k")
    p.add_argument("--lang", choices=["en", "zh"], help="only this language's pages")
    p.add_argument(
        "-j", "--jobs", type=int, default=0, help="page runs at once (default: the core count)"
    )
    p = sub.add_parser("docs", help="docs maintenance: `flowkit docs regen`")
    p.add_argument("action", choices=["regen"])
    p.add_argument("pages", nargs="*")
    p.add_argument("--backend", default="numpy", help="the backend that writes the outputs")
    p = sub.add_parser(
        "test",
        help="run the test suite on every usable backend",
        description="Run the test suite once per usable backend, each in its own process, "
        "pytest's output streamed as it runs, then the totals.",
        epilog="Other arguments go to pytest (flowkit test -x -k autograd). Exit status: 0 when "
        "everything passed, 1 when a test failed or a backend's run collected nothing, 2 when a "
        "requested backend cannot run here.",
    )
    p.add_argument("--backend", action="append", help="only this backend (repeatable)")
    p = sub.add_parser(
        "check-backend",
        help="certify a backend with the conformance kit: "
        "ops, gradients, errors, optimizer kernels, docs pages",
        epilog="Other arguments go to pytest (-x, --tb=long, ...). Exit status 0 "
        "when nothing FAILs; ops the backend does not implement are listed.",
    )
    p.add_argument("name", help="the backend, as FLOWKIT_BACKEND takes it")
    p.add_argument(
        "--quick",
        action="store_true",
        help="a few examples per op, docs pages in one language (fast)",
    )
    p.add_argument("-k", metavar="EXPR", help="only the checks pytest's -k EXPR selects")
    p.add_argument("--strict", action="store_true", help="ops not implemented fail too")
    p.add_argument("--json", metavar="PATH", help="also write the summary as JSON")
    p.add_argument(
        "--docs",
        metavar="PATH",
        help="the docs pages to check (default: the source checkout's docs/)",
    )
    p.add_argument(
        "--from",
        dest="source",
        metavar="DIR",
        help="check the backend in this source tree (where its pyproject.toml is) "
        "without installing it",
    )
    sub.add_parser(
        "bench",
        add_help=False,
        help="the benchmark suite: `flowkit bench [--only W1,W2] [--quick] [--docs]`",
    )
    args, extra = parser.parse_known_args(argv)
    if args.command == "test":
        return cmd_test(args, extra)
    if args.command == "bench":
        return cmd_bench(extra)
    if args.command == "check-backend":
        return cmd_check_backend(args, extra)  # the rest goes to pytest
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return {"backends": cmd_backends, "examples": cmd_examples, "docs": cmd_docs}[args.command](
        args
    )


if __name__ == "__main__":
    sys.exit(main())
