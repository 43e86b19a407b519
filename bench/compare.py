"""Paired comparison of two commits: does a change move the speed?

    python bench/compare.py a501b50                      # that commit against the working tree
    python bench/compare.py a501b50 --rounds 6 --only W1,W3,startup
    python bench/compare.py a501b50 --head HEAD~1        # two commits

The base (and ``--head``, when given) is checked out into a temporary ``git worktree`` and run
from there with its own ``flowkit`` and ``backends`` first on ``PYTHONPATH`` (ahead of an
editable install of the working tree). Base and head then alternate, round by round, each a full
``bench/suite.py --quick`` child, so a burst of load on this shared machine hits both sides of a
round. Reported per row: the median of each side's medians and the median over the rounds of
head ÷ base (the paired ratio), with its range. The rows' own ratios against hand numpy / plain
torch are shown too: they should not move either.

Bytecode: ``PYTHONDONTWRITEBYTECODE`` is dropped for the children (as bench/suite.py does for
start-up), so both sides start from cached bytecode after their first round.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

#: (workload, backend, row key) compared by default: flowkit's rows and the baselines beside them.
ROWS = (
    ("W1", "numpy", "flowkit"),
    ("W1", "torch", "flowkit"),
    ("W3", "numpy", "flowkit"),
    ("W3", "torch", "flowkit"),
    ("startup", "numpy", "flowkit_import"),
    ("startup", "numpy", "numpy_import"),
    ("startup", "torch", "flowkit_import"),
    ("startup", "torch", "torch_import"),
)


def _worktree(rev: str, where: str) -> str:
    """Check ``rev`` out (detached) into ``where`` and return its commit's short hash."""
    subprocess.run(
        ["git", "-C", ROOT, "worktree", "add", "--detach", "--force", where, rev],
        check=True,
        capture_output=True,
        text=True,
    )
    out = subprocess.run(
        ["git", "-C", where, "rev-parse", "--short", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def _run_suite(tree: str, only: str, out: str) -> dict:
    """One quick suite run of the code in ``tree``: its rows by (workload, backend, key)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join([tree, os.path.join(tree, "backends")])
    cmd = [sys.executable, os.path.join(tree, "bench", "suite.py"), "--only", only, "--quick"]
    cmd += ["--json", out]
    subprocess.run(cmd, cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL, timeout=1800)
    with open(out, encoding="utf-8") as f:
        data = json.load(f)
    return {(r["workload"], r["backend"], r["key"]): r for r in data["rows"]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("base", help="the commit to compare against (any git revision)")
    p.add_argument("--head", help="the other commit (default: this working tree, as it is)")
    p.add_argument("--rounds", type=int, default=6, help="base/head pairs to run (default 6)")
    p.add_argument("--only", default="W1,W3,startup", help="workloads (default W1,W3,startup)")
    p.add_argument("--json", help="write every round's rows to this file")
    args = p.parse_args(argv)

    tmp = tempfile.mkdtemp(prefix="flowkit-compare-")
    trees = []
    try:
        base_tree = os.path.join(tmp, "base")
        base_rev = _worktree(args.base, base_tree)
        trees.append(base_tree)
        if args.head:
            head_tree = os.path.join(tmp, "head")
            head_rev = _worktree(args.head, head_tree)
            trees.append(head_tree)
        else:
            head_tree, head_rev = ROOT, "working tree"
        rounds: list[dict] = []
        for i in range(args.rounds):
            pair = {}
            for side, tree in (("base", base_tree), ("head", head_tree)):
                pair[side] = _run_suite(tree, args.only, os.path.join(tmp, f"{side}{i}.json"))
            rounds.append(pair)
            print(f"round {i + 1}/{args.rounds} done", file=sys.stderr)
    finally:
        for tree in trees:
            subprocess.run(
                ["git", "-C", ROOT, "worktree", "remove", "--force", tree], capture_output=True
            )
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"base {base_rev} vs head {head_rev}, {args.rounds} paired rounds (--quick)")
    print(f"{'row':34} {'base':>10} {'head':>10} {'head/base':>10} {'range':>13}  vs baseline")
    for row in ROWS:
        if not all(row in r["base"] and row in r["head"] for r in rounds):
            continue
        b = [r["base"][row]["median"] for r in rounds]
        h = [r["head"][row]["median"] for r in rounds]
        ratios = [y / x for x, y in zip(b, h)]
        unit = rounds[0]["head"][row]["unit"]
        scale, shown = (1e3, "ms") if unit == "s" else (1.0, unit)
        name = " ".join(row)
        line = (
            f"{name:34} {statistics.median(b) * scale:>7.2f} {shown:2} "
            f"{statistics.median(h) * scale:>7.2f} {shown:2} {statistics.median(ratios):>10.3f} "
            f"{min(ratios):>6.3f}-{max(ratios):.3f}"
        )
        base_vs = [r["base"][row].get("ratio") for r in rounds]
        head_vs = [r["head"][row].get("ratio") for r in rounds]
        if None not in base_vs and None not in head_vs:
            line += f"  {statistics.median(base_vs):.2f}x -> {statistics.median(head_vs):.2f}x"
        print(line)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(
                [{side: list(r[side].values()) for side in r} for r in rounds],
                f,
                indent=1,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
