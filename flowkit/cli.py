"""The ``flowkit`` command line.

    flowkit backends            list the backends found, usable or not, and why
    flowkit examples [PAGE...]  run every docs page as a program on every usable backend
    flowkit docs regen [PAGE]   rewrite the pages' expected outputs from a numpy-backend run
    flowkit test [PYTEST ARGS]  the whole test suite, once per usable backend, each in its own
                                process (the README's test command and CI's)
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
            raise SystemExit(f"flowkit: unknown backend(s) {unknown}; installed: "
                             f"{[r.name for r in rows]}")
        names = [n for n in only if n in names]
    return names


def _child_env(backend: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ, FLOWKIT_BACKEND=backend, **extra)
    env.setdefault("PYTHONHASHSEED", "0")
    return env


# --------------------------------------------------------------------------- backends
def cmd_backends(args) -> int:
    rows = _plugins.backends()
    if args.json:
        print(json.dumps([r.__dict__ for r in rows], indent=2))
        return 0
    default = os.environ.get("FLOWKIT_BACKEND") or _plugins.DEFAULT_BACKEND
    print(f"{'backend':<10} {'version':<14} {'usable':<7} {'devices':<22} notes")
    for r in rows:
        mark = " (selected by FLOWKIT_BACKEND)" if r.name == default else ""
        notes = (r.error or r.summary) + mark
        print(f"{r.name:<10} {r.version or '-':<14} {'yes' if r.usable else 'no':<7} "
              f"{', '.join(r.devices) or '-':<22} {notes}")
    return 0


# --------------------------------------------------------------------------- examples
def _run_child(module_args: list[str], backend: str, timeout: float = 900) -> dict:
    proc = subprocess.run([sys.executable, "-m", "flowkit.testing.docs", *module_args],
                          env=_child_env(backend), capture_output=True, text=True,
                          timeout=timeout)
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
            res["page"] = str(page.relative_to(docs.DOCS_DIR)) if page.is_relative_to(
                docs.DOCS_DIR) else str(page)
            rows.append(res)
            _print_row(res, header=len(rows) == 1)
    failed = [r for r in rows if r.get("failures")]
    for r in failed:
        print(f"\n--- {r['page']} on {r['backend']} failed:")
        for f in r["failures"]:
            print(f)
    print(f"\nexamples: {len(rows) - len(failed)} passed, {len(failed)} failed "
          f"({len(rows)} page runs on {', '.join(backends)})")
    return 1 if failed else 0


def _print_row(r: dict, header: bool) -> None:
    if header:
        print(f"{'page':<34} {'backend':<8} {'device':<7} {'blocks':>6} {'checked':>7} "
              f"{'final loss':>11} {'result':<16} {'time':>7}  status")
    loss = "-" if r.get("loss") is None else f"{r['loss']:.3g}"
    result = "-" if not r.get("result") else str(r["result"])
    status = "ok" if not r.get("failures") else "FAILED"
    if r.get("skipped"):
        status += f" ({r['skipped']} skipped: no CUDA)"
    print(f"{r['page']:<34} {r['backend']:<8} {r.get('device', '-'):<7} "
          f"{r.get('blocks_run', 0):>6} {r.get('outputs_checked', 0):>7} {loss:>11} {result:<16} "
          f"{r.get('seconds', 0):>6.2f}s  {status}", flush=True)


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
        proc = subprocess.run([sys.executable, "-m", "pytest", *extra], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        sys.stdout.write(proc.stdout)
        sys.stdout.flush()
        tail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
        for n, word in re.findall(r"(\d+) (passed|failed|skipped|errors?)", tail):
            totals["errors" if word.startswith("error") else word] += int(n)
        if proc.returncode not in (0, 5):
            worst = proc.returncode or 1
    print(f"\nflowkit test on {', '.join(backends)}:")
    print(f"total: {totals['passed']} passed, {totals['failed'] + totals['errors']} failed, "
          f"{totals['skipped']} skipped")
    return worst


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
    sub.add_parser("bench", add_help=False,
                   help="the benchmark suite: `flowkit bench [--only W1,W2] [--quick] [--docs]`")
    args, extra = parser.parse_known_args(argv)
    if args.command == "test":
        return cmd_test(args, extra)
    if args.command == "bench":
        return cmd_bench(extra)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return {"backends": cmd_backends, "examples": cmd_examples, "docs": cmd_docs}[args.command](
        args)


if __name__ == "__main__":
    sys.exit(main())
