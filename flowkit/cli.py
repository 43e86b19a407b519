"""The ``flowkit`` command line.

    flowkit backends            list the backends found, usable or not, and why
    flowkit examples [PAGE...]  run every docs page as a program on every usable backend
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

from . import _plugins


def _usable_backends(only: list[str] | None = None) -> list[str]:
    rows = _plugins.backends()
    names = [r.name for r in rows if r.usable]
    if only:
        unknown = [n for n in only if n not in {r.name for r in rows}]
        if unknown:
            raise SystemExit(
                f"flowkit: unknown backend(s) {unknown}; installed: {[r.name for r in rows]}"
            )
        names = [n for n in only if n in names]
    return names


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
    from .testing import docs

    if paths:
        return [Path(p).resolve() for p in paths]
    return docs.pages()


def cmd_examples(args) -> int:
    from .testing import docs

    backends = _usable_backends(args.backend)
    rows = []
    for page in _pages(args.pages):
        for b in backends:
            res = _run_child(["run", str(page)], b)
            res.setdefault("backend", b)
            res["page"] = (
                str(page.relative_to(docs.DOCS_DIR))
                if page.is_relative_to(docs.DOCS_DIR)
                else str(page)
            )
            rows.append(res)
            _print_row(res, header=len(rows) == 1)
    failed = [r for r in rows if r.get("failures")]
    for r in failed:
        print(f"\n--- {r['page']} on {r['backend']} failed:")
        for f in r["failures"]:
            print(f)
    print(
        f"\nexamples: {len(rows) - len(failed)} passed, {len(failed)} failed "
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
        status += f" ({r['skipped']} skipped: no CUDA)"
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
def cmd_test(args, extra: list[str]) -> int:
    """pytest once per usable backend; one summary line at the end."""
    import re

    backends = _usable_backends(args.backend)
    totals = {"passed": 0, "failed": 0, "skipped": 0, "errors": 0}
    worst = 0
    for i, b in enumerate(backends):
        print(f"\n=== flowkit test: backend {b} ===", flush=True)
        env = _child_env(b, FLOWKIT_TEST_REPEAT="1" if i else "0")
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", *extra],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        sys.stdout.write(proc.stdout)
        sys.stdout.flush()
        tail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
        for n, word in re.findall(r"(\d+) (passed|failed|skipped|errors?)", tail):
            totals["errors" if word.startswith("error") else word] += int(n)
        if proc.returncode not in (0, 5):
            worst = proc.returncode or 1
    print(f"\nflowkit test on {', '.join(backends)}:")
    print(
        f"total: {totals['passed']} passed, {totals['failed'] + totals['errors']} failed, "
        f"{totals['skipped']} skipped"
    )
    return worst


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
    parser = argparse.ArgumentParser(prog="flowkit", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("backends", help="list backends, versions, devices, load errors")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("examples", help="run every docs page on every usable backend")
    p.add_argument("pages", nargs="*")
    p.add_argument("--backend", action="append", help="only this backend (repeatable)")
    p = sub.add_parser("docs", help="docs maintenance: `flowkit docs regen`")
    p.add_argument("action", choices=["regen"])
    p.add_argument("pages", nargs="*")
    p.add_argument("--backend", default="numpy", help="the backend that writes the outputs")
    p = sub.add_parser("test", help="run the test suite on every usable backend")
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
