"""The kit's per-op table, built from pytest's test reports (by the plugin) and printed at the
end of the run; also the machine-readable summary (``--flowkit-json``).

One row per op (``Tensor.sum``, ``flowkit.matmul``, ``F.conv2d``, ``optim.SGD``,
``docs: en/quickstart.md``), one column per kind of check; a cell is ``pass``, ``FAIL``,
``not implemented`` (the op raised
[`flowkit.BackendNotImplementedError`][flowkit.errors.BackendNotImplementedError]), ``skipped`` or
``-`` (no such check for this op). The kernel column says ``reference`` where the backend offers no
kernel for that optimizer (the reference update ran, and nothing else needs checking).
"""

from __future__ import annotations

from dataclasses import dataclass, field

COLUMNS = ("forward", "gradient", "errors", "autograd", "kernel", "docs")
PASS, FAIL, MISSING, SKIPPED, NONE = "pass", "FAIL", "not implemented", "skipped", "-"
REFERENCE = "reference"
_RANK = {FAIL: 3, MISSING: 2, PASS: 1, REFERENCE: 1, SKIPPED: 0}
_GROUP = ("flowkit.", "Tensor.", "F.", "autograd.", "optim.", "docs: ")


@dataclass
class Outcome:
    """One test item's result for one cell."""

    op: str
    column: str
    status: str  # PASS / FAIL / MISSING / SKIPPED
    nodeid: str
    message: str = ""
    kernel: str | None = None  # test_optimizer_kernel: the kernel used, or "reference"


@dataclass
class Summary:
    """What the plugin collected; `to_json` is the ``--flowkit-json`` file."""

    backend: str
    quick: bool = False
    strict: bool = False
    docs: str = ""
    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # collection errors, internal errors

    def add(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)

    def cell(self, outcomes: list[Outcome]) -> str:
        worst = max(outcomes, key=lambda o: _RANK[o.status]).status
        if worst == PASS and outcomes[0].column == "kernel":
            kernels = {o.kernel for o in outcomes if o.status == PASS}
            return REFERENCE if kernels == {REFERENCE} else PASS
        return worst

    def rows(self) -> list[dict]:
        by_op: dict[str, dict[str, list[Outcome]]] = {}
        for o in self.outcomes:
            if o.column != "check":
                by_op.setdefault(o.op, {}).setdefault(o.column, []).append(o)
        rows = []
        for op in sorted(by_op, key=_order):
            cells = {c: self.cell(by_op[op][c]) if c in by_op[op] else NONE for c in COLUMNS}
            kernels = sorted({o.kernel for o in by_op[op].get("kernel", []) if o.kernel})
            statuses = set(cells.values())
            status = (
                FAIL
                if FAIL in statuses
                else MISSING
                if MISSING in statuses
                else PASS
                if statuses & {PASS, REFERENCE}
                else SKIPPED
            )
            rows.append({"op": op, **cells, "status": status, "kernels": kernels})
        return rows

    def checks(self) -> list[dict]:
        return [
            {"name": o.op, "status": o.status, "message": o.message}
            for o in self.outcomes
            if o.column == "check"
        ]

    def to_json(self) -> dict:
        rows, checks = self.rows(), self.checks()
        totals = {s: sum(r["status"] == s for r in rows) for s in (PASS, FAIL, MISSING, SKIPPED)}
        per_check = {
            c: {s: sum(r[c] == s for r in rows) for s in (PASS, FAIL, MISSING, SKIPPED, REFERENCE)}
            for c in COLUMNS
        }
        bad = [o for o in self.outcomes if o.status == FAIL]
        missing = [o for o in self.outcomes if o.status == MISSING]
        ok = not bad and not self.errors and not (self.strict and missing)
        return {
            "backend": self.backend,
            "quick": self.quick,
            "strict": self.strict,
            "ok": ok,
            "docs": self.docs,
            "columns": list(COLUMNS),
            "rows": rows,
            "checks": checks,
            "totals": {"ops": len(rows), **totals, "checks": per_check},
            "failures": [_brief(o) for o in bad],
            "not_implemented": [_brief(o) for o in missing],
            "errors": self.errors,
        }

    def table(self, width: int = 16) -> list[str]:
        """The report as lines of text."""
        data = self.to_json()
        rows = data["rows"]
        name_w = max([len(r["op"]) for r in rows] + [24]) + 2
        mode = " (quick)" if self.quick else ""
        lines = [
            f"flowkit check-backend: backend {self.backend}{mode}",
            ("op".ljust(name_w) + "".join(c.ljust(width) for c in COLUMNS)).rstrip(),
        ]
        lines += [
            r["op"].ljust(name_w) + "".join(r[c].ljust(width) for c in COLUMNS).rstrip()
            for r in rows
        ]
        lines.append("")
        for c in data["checks"]:
            lines.append(f"check: {c['name']}: {c['status']}")
        lines.append(f"docs pages: {self.docs or '-'}")
        t = data["totals"]
        lines.append(
            f"totals: {t['ops']} ops: {t[PASS]} pass, {t[FAIL]} FAIL, "
            f"{t[MISSING]} not implemented, {t[SKIPPED]} skipped"
        )
        for c in COLUMNS:
            n = t["checks"][c]
            ran = sum(n.values())
            if ran:
                extra = f", {n[REFERENCE]} reference" if n[REFERENCE] else ""
                lines.append(
                    f"  {c + ':':<10} {n[PASS]} pass{extra}, {n[FAIL]} FAIL, "
                    f"{n[MISSING]} not implemented, {n[SKIPPED]} skipped"
                )
        if data["failures"]:
            lines.append("FAIL:")
            lines += [f"  {f['op']} ({f['check']}): {f['message']}" for f in data["failures"]]
        if data["not_implemented"]:
            lines.append("not implemented:")
            ops: dict[str, list[str]] = {}
            for f in data["not_implemented"]:
                ops.setdefault(f["op"], []).append(f["check"])
            lines += [f"  {op} ({', '.join(dict.fromkeys(c))})" for op, c in ops.items()]
            if not self.strict:
                lines.append("  (not failures; --strict makes them fail)")
        for e in self.errors:
            lines.append(f"ERROR: {e}")
        verdict = "OK" if data["ok"] else "FAILED"
        lines.append(f"check-backend {self.backend}: {verdict}")
        return lines


def _brief(o: Outcome) -> dict:
    return {"op": o.op, "check": o.column, "nodeid": o.nodeid, "message": o.message}


def _order(op: str) -> tuple:
    group = next((i for i, g in enumerate(_GROUP) if op.startswith(g)), len(_GROUP))
    return group, op.lower(), op


def one_line(text: str, limit: int = 200) -> str:
    """A failure's text in one line: its first three non-empty lines (an assertion's message
    starts with the case and what differs), shortened to ``limit`` characters.

    Examples:
        >>> from flowkit.testing.conformance.report import one_line
        >>> one_line("AssertionError: exp float32(2,)\\nout: dtype float64, expected float32")
        'AssertionError: exp float32(2,) | out: dtype float64, expected float32'
    """
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if len(lines) > 1 and lines[0].endswith(":") and " " not in lines[0]:
        lines[:2] = [f"{lines[0]} {lines[1]}"]  # "AssertionError:" alone on its line
    line = " | ".join(lines[:3])
    return line if len(line) <= limit else line[: limit - 3] + "..."
