"""Docs pages as programs and as tests, on Sybil.

A page is markdown (mkdocs-material). Its conventions:

* Every ```` ```python ```` or ```` ```py ```` fence runs (attributes such as ``title="..."`` are
  allowed). The blocks of a page share one namespace, top to bottom, like a reader's session;
  ``__name__`` is ``"__main__"``.
* A ```` ```text ```` fence right after a code block is that block's expected output. It is
  written by ``flowkit docs regen`` from the numpy backend's run, never by hand, and checked on
  every backend.
* Invisible HTML comments give rules:
  ``<!-- run: raises=ShapeError -->`` before a code block: it must raise that error; the message
  (``ShapeError: ...``) is its output. ``<!-- run: requires=cuda -->``: skipped, with the reason,
  where CUDA is unavailable; ``requires=numpy`` (a backend's name): run on that backend only,
  for a block that shows one backend's own workings (its output is that backend's).
  ``<!-- output: rtol=1e-4 atol=0 below=1e-9 ignore="[0-9.]+ s" head=5 tail=2 -->`` before an
  output block: numbers compare within ``atol + rtol*|expected|``; numbers whose expected and
  actual magnitudes are both under ``below`` match; text matching the ``ignore`` regex is not
  compared; ``head``/``tail`` keep only the first/last lines (regen writes a ``...`` line
  between them). Everything else must match exactly. A ``device='cuda:N'`` in an actual output is
  dropped before comparing, so one page serves CPU and GPU runs.
  ``<!-- run: nproc=2 -->`` before a code block: the block is a program of its own (it does
  not see the page's namespace) run on 2 processes through ``python -m
  flowkit.distributed.launch``, on the page's backend; its output is every rank's output in
  rank order, each line prefixed ``[rank R]``, or with ``rank=0`` only rank 0's, unprefixed.
  Without torch (torch.distributed is the engine) such a block is skipped, with the reason.
  ``<!-- page: loss=l result=model.w -->`` anywhere: ``flowkit examples`` reports ``float(l)`` as
  the page's final loss and the values of ``model.w`` (rounded to 4 places) as its result.

Sybil does the document model, the lexing of fences and comments, the shared namespace and the
pytest items (one per code block); this module adds the pairing of code with its output, the
rules, and the runners used by ``flowkit examples`` and ``flowkit docs regen``.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import shlex
import sys
import time
import traceback
import unittest
from dataclasses import dataclass, field
from pathlib import Path

from sybil import Document, Region, Sybil
from sybil.parsers.markdown.lexers import DirectiveInHTMLCommentLexer, RawFencedCodeBlockLexer

DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"
REGEN_HINT = "regenerate the outputs with `flowkit docs regen` (they come from the numpy backend)"

_FENCES = RawFencedCodeBlockLexer(
    info_pattern=re.compile(r"(?P<info>[^\n]*)$\n", re.MULTILINE),
    mapping={"info": "info", "source": "source"},
)
_COMMENTS = DirectiveInHTMLCommentLexer(directive=r"run|output|page", arguments=r"[^\n]*?")
_CODE_INFO = re.compile(r"^(python|py)(\s|\{|$)")
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?\b(?:nan|inf)\b")
_CUDA_DEVICE = re.compile(r",\s*device='cuda:\d+'")


def _parse_args(text: str) -> dict[str, str]:
    out = {}
    for tok in shlex.split(text.strip().rstrip("-").strip()):
        key, _, value = tok.partition("=")
        out[key] = value
    return out


@dataclass
class OutputRules:
    rtol: float = 0.0
    atol: float = 0.0
    below: float | None = None
    ignore: re.Pattern | None = None
    head: int | None = None
    tail: int | None = None

    @classmethod
    def from_args(cls, args: dict[str, str]) -> OutputRules:
        known = {"rtol", "atol", "below", "ignore", "head", "tail"}
        unknown = set(args) - known
        if unknown:
            raise ValueError(f"unknown output rule(s) {sorted(unknown)}; known: {sorted(known)}")
        return cls(
            rtol=float(args.get("rtol", 0)),
            atol=float(args.get("atol", 0)),
            below=float(args["below"]) if "below" in args else None,
            ignore=re.compile(args["ignore"]) if "ignore" in args else None,
            head=int(args["head"]) if "head" in args else None,
            tail=int(args["tail"]) if "tail" in args else None,
        )


@dataclass
class Step:
    """One code block, with its directives and its expected output (if any)."""

    index: int
    source: str
    line: int
    raises: str | None = None
    requires: str | None = None
    nproc: int | None = None  # run as a distributed program on this many processes
    rank: int | None = None  # with nproc: show only this rank's output
    expected: str | None = None
    rules: OutputRules = field(default_factory=OutputRules)
    output_span: tuple[int, int] | None = None  # where the expected text sits in the page
    code_end: int = 0  # end of the code fence (where regen inserts a new output block)
    region: tuple[int, int] = (0, 0)  # what its pytest item spans: the fence and its output


# --------------------------------------------------------------------------- comparing outputs
def _normalise(text: str) -> str:
    text = _CUDA_DEVICE.sub("", text)
    return "\n".join(line.rstrip() for line in text.strip("\n").split("\n"))


def elide(text: str, rules: OutputRules) -> str:
    """The text regen writes: only the ``head`` first / ``tail`` last lines if asked."""
    lines = text.split("\n")
    if rules.head is None and rules.tail is None:
        return text
    h, t = rules.head or 0, rules.tail or 0
    if len(lines) <= h + t:
        return text
    return "\n".join(lines[:h] + ["..."] + (lines[-t:] if t else []))


def compare(expected: str, actual: str, rules: OutputRules) -> str | None:
    """``None`` if ``actual`` matches ``expected`` under ``rules``, else a description."""
    exp, act = _normalise(expected), elide(_normalise(actual), rules)
    if rules.ignore is not None:
        exp, act = rules.ignore.sub("<ignored>", exp), rules.ignore.sub("<ignored>", act)
    if exp == act:
        return None
    e_parts, a_parts = _NUMBER.split(exp), _NUMBER.split(act)
    e_nums, a_nums = _NUMBER.findall(exp), _NUMBER.findall(act)
    if e_parts != a_parts or len(e_nums) != len(a_nums):
        return _diff(exp, act, "the text differs")
    for i, (e, a) in enumerate(zip(e_nums, a_nums)):
        if e == a:
            continue
        ev, av = float(e), float(a)
        if rules.below is not None and abs(ev) < rules.below and abs(av) < rules.below:
            continue
        if math.isfinite(ev) and abs(av - ev) <= rules.atol + rules.rtol * abs(ev):
            continue
        return _diff(
            exp,
            act,
            f"number {i + 1}: expected {e}, got {a} (rules: rtol="
            f"{rules.rtol}, atol={rules.atol}, below={rules.below})",
        )
    return None


def _diff(exp: str, act: str, why: str) -> str:
    import difflib

    d = "\n".join(
        difflib.unified_diff(
            exp.split("\n"), act.split("\n"), "expected (page)", "actual", lineterm=""
        )
    )
    return f"output does not match the page: {why}\n{d}"


# --------------------------------------------------------------------------- parsing a page
def parse_steps(document: Document) -> tuple[list[Step], dict[str, str]]:
    """The code steps of a page and its page-level options."""
    text = document.text
    events = []
    for r in _FENCES(document):
        events.append(("fence", r))
    for r in _COMMENTS(document):
        events.append(("comment", r))
    events.sort(key=lambda e: e[1].start)
    steps: list[Step] = []
    page: dict[str, str] = {}
    pending: dict[str, dict[str, str]] = {}
    last_end = 0
    awaiting_output: Step | None = None
    for kind, r in events:
        gap = text[last_end : r.start]
        if gap.strip():  # prose in between: comments collected so far no longer apply
            pending = {}
            awaiting_output = None
        if kind == "comment":
            args = _parse_args(r.lexemes["arguments"])
            if r.lexemes["directive"] == "page":
                page.update(args)
            else:
                pending[r.lexemes["directive"]] = args
            last_end = text.index("-->", r.end) + 3  # Sybil's region stops before the "-->"
            continue
        info = r.lexemes["info"].strip()
        if _CODE_INFO.match(info):
            run = pending.get("run", {})
            unknown = set(run) - {"raises", "requires", "nproc", "rank"}
            if unknown:
                raise ValueError(f"{document.path}: unknown run option(s) {sorted(unknown)}")
            if "rank" in run and "nproc" not in run:
                raise ValueError(f"{document.path}: run option rank= needs nproc=")
            if "raises" in run and "nproc" in run:
                raise ValueError(f"{document.path}: raises= is for blocks run in this process")
            line = text.count("\n", 0, r.start) + 2  # first line of code
            step = Step(
                len(steps),
                str(r.lexemes["source"]),
                line,
                run.get("raises"),
                run.get("requires"),
                nproc=int(run["nproc"]) if "nproc" in run else None,
                rank=int(run["rank"]) if "rank" in run else None,
                code_end=r.end,
                region=(r.start, r.end),
            )
            steps.append(step)
            awaiting_output = step
        elif info == "text" and awaiting_output is not None:
            src = r.lexemes["source"]
            awaiting_output.expected = str(src)
            start = r.start + src.offset
            awaiting_output.output_span = (start, start + len(src))
            awaiting_output.rules = OutputRules.from_args(pending.get("output", {}))
            awaiting_output.region = (awaiting_output.region[0], r.end)
            awaiting_output = None
        else:
            awaiting_output = None
        pending = {}
        last_end = r.end
    return steps, page


# --------------------------------------------------------------------------- running a step
@dataclass
class PageStats:
    blocks_run: int = 0
    outputs_checked: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)
    outputs: dict[int, str] = field(default_factory=dict)


UPDATE_MODE = False  # set by regen: record outputs instead of checking them


def _cuda_available() -> bool:
    import flowkit

    return flowkit.cuda.is_available()


def _backend_name() -> str:
    import flowkit

    return flowkit.backend().name


class BlockRaised(AssertionError):
    """A block raised an exception its page does not expect; ``error`` is that exception (the
    conformance kit reports a
    [`BackendNotImplementedError`][flowkit.errors.BackendNotImplementedError] as an op the backend
    does not implement, not as a wrong output)."""

    def __init__(self, message: str, error: BaseException):
        super().__init__(message)
        self.error = error


def run_step(step: Step, namespace: dict, path: str) -> None:
    """Run one code block in the page's namespace and check its output; raises on failure."""
    __tracebackhide__ = True
    stats: PageStats = namespace.setdefault("__flowkit_stats__", PageStats())
    namespace.setdefault("__name__", "__main__")
    if step.requires == "cuda" and not _cuda_available():
        stats.skipped += 1
        raise unittest.SkipTest("needs CUDA (run with FLOWKIT_BACKEND=torch on a GPU machine)")
    if step.requires not in (None, "cuda") and step.requires != _backend_name():
        stats.skipped += 1
        raise unittest.SkipTest(
            f"shows the {step.requires} backend's workings "
            f"(run with FLOWKIT_BACKEND={step.requires})"
        )
    error = None
    if step.nproc is not None:
        out = run_distributed_step(step, path, stats)
    else:
        code = compile("\n" * (step.line - 1) + step.source, path, "exec")
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            try:
                exec(code, namespace)
            except Exception as exc:  # noqa: BLE001 - judged below against the page's rule
                error = exc
        out = buf.getvalue()
    stats.blocks_run += 1
    if error is not None:
        if step.raises is None or type(error).__name__ != step.raises:
            tb = "".join(traceback.format_exception(error))
            raise BlockRaised(f"{path}:{step.line}: the block raised\n{tb}", error) from None
        out += f"{type(error).__name__}: {error}\n"
    elif step.raises is not None:
        raise AssertionError(
            f"{path}:{step.line}: the block should raise {step.raises} "
            "(<!-- run: raises=... -->) but did not"
        )
    stats.outputs[step.index] = out
    if UPDATE_MODE:
        return
    if step.expected is None:
        if out.strip():
            raise AssertionError(
                f"{path}:{step.line}: the block printed output but the page has no ```text "
                f"block after it; {REGEN_HINT}\n--- printed ---\n{out}"
            )
        return
    problem = compare(step.expected, out, step.rules)
    if problem is not None:
        raise AssertionError(
            f"{path}:{step.line}: {problem}\n({REGEN_HINT} if the change is intended)"
        )
    stats.outputs_checked += 1


_NOT_IMPLEMENTED = re.compile(r"flowkit\.errors\.BackendNotImplementedError: ([^\n]*)")
#: seconds a distributed block may run before it is killed (with every process it started)
DISTRIBUTED_TIMEOUT = 180.0


def run_distributed_step(step: Step, path: str, stats: PageStats) -> str:
    """Run a ``<!-- run: nproc=N -->`` block as its own program on N processes, through the
    launcher, on this process's backend; its output is each rank's, in rank order, every line
    prefixed ``[rank R]`` (or only rank ``rank=R``'s, unprefixed)."""
    __tracebackhide__ = True
    try:
        import torch.distributed  # noqa: F401 - the engine of every distributed run
    except ImportError:
        stats.skipped += 1
        raise unittest.SkipTest(
            'a distributed block needs torch.distributed: pip install "flowkit[torch]"'
        ) from None
    from .distributed import launch

    program = "\n" * (step.line - 1) + step.source  # tracebacks name the page's lines
    env = {"FLOWKIT_BACKEND": _backend_name(), "FLOWKIT_DIST_TIMEOUT": "60"}
    result = launch(program, step.nproc or 1, env=env, timeout=DISTRIBUTED_TIMEOUT)
    if result.returncode != 0 or result.timed_out:
        message = (
            f"{path}:{step.line}: the distributed block (nproc={step.nproc}) failed:\n"
            f"{result.output}"
        )
        missing = _NOT_IMPLEMENTED.search(result.output)
        if missing:  # a rank met an op the backend leaves out: say so, as in-process blocks do
            from ..errors import BackendNotImplementedError

            raise BlockRaised(message, BackendNotImplementedError(missing.group(1)))
        raise AssertionError(message)
    if step.rank is not None:
        return result.rank_stdout.get(step.rank, "")
    lines = []
    for rank in sorted(result.rank_stdout):
        lines += [f"[rank {rank}] {ln}" for ln in result.rank_stdout[rank].splitlines()]
    return "\n".join(lines) + ("\n" if lines else "")


class PageParser:
    """The Sybil parser: one region (one pytest item) per code block with its output."""

    def __call__(self, document: Document):
        steps, page = parse_steps(document)
        document.namespace["__flowkit_page__"] = page
        document.namespace["__flowkit_steps__"] = steps
        path = document.path
        for step in steps:
            start, end = step.region
            yield Region(
                start,
                end,
                parsed=step,
                evaluator=lambda ex: run_step(ex.parsed, ex.namespace, path),
            )


def sybil(path: str | os.PathLike = DOCS_DIR) -> Sybil:
    """The Sybil configuration for the docs pages (used by the root ``conftest.py``)."""
    return Sybil(parsers=[PageParser()], path=str(path), patterns=["*.md"], name="docs")


def docstrings_sybil(path: str | os.PathLike = DOCS_DIR.parent / "flowkit") -> Sybil:
    """Sybil for the ``>>>`` examples in flowkit's docstrings: doctests with ELLIPSIS and
    NORMALIZE_WHITESPACE, and the same one rule as the pages: a ``device='cuda:N'`` in what a
    tensor prints is dropped before comparing, so one docstring serves CPU and GPU runs."""
    from doctest import ELLIPSIS, NORMALIZE_WHITESPACE

    from sybil.evaluators.doctest import OutputChecker
    from sybil.parsers.rest import DocTestParser

    class DeviceBlindChecker(OutputChecker):
        def check_output(self, want: str, got: str, optionflags: int) -> bool:
            return super().check_output(want, _CUDA_DEVICE.sub("", got), optionflags)

    parser = DocTestParser(optionflags=ELLIPSIS | NORMALIZE_WHITESPACE)
    # sybil builds the runner with its own checker and has no parameter for another; typeshed
    # leaves out doctest's private attribute that holds it
    runner = parser.string_parser.evaluator.runner
    runner._checker = DeviceBlindChecker()  # type: ignore[attr-defined]
    return Sybil(
        parsers=[parser], path=str(Path(path).resolve()), patterns=["*.py"], name="docstrings"
    )


def pages(root: Path = DOCS_DIR) -> list[Path]:
    """Every docs page that contains a runnable block."""
    return sorted(
        p
        for p in root.rglob("*.md")
        if re.search(r"^\s*```(python|py)\b", p.read_text("utf-8"), re.M)
    )


# --------------------------------------------------------------------------- whole pages
def evaluate_page(path: Path) -> tuple[Document, list[AssertionError]]:
    """Parse ``path`` and run every block in this process, top to bottom: the document (its
    namespace holds the page's statistics) and the failures, each an AssertionError with the
    block's line (a `BlockRaised` where a block raised). Skipped blocks are not
    failures."""
    doc = Document.parse(str(path), PageParser())
    failures: list[AssertionError] = []
    for example in doc.examples():
        try:
            example.evaluate()
        except unittest.SkipTest:
            pass
        except AssertionError as exc:
            failures.append(exc)
    return doc, failures


def run_page(path: Path) -> dict:
    """Run every block of ``path`` in this process; a JSON-able summary."""
    t0 = time.perf_counter()
    doc, raised = evaluate_page(path)
    failures = [str(f) for f in raised]
    elapsed = time.perf_counter() - t0
    ns = doc.namespace
    stats: PageStats = ns.get("__flowkit_stats__", PageStats())
    report: dict[str, float | list[float]] = {}
    for key, expr in ns.get("__flowkit_page__", {}).items():
        try:
            value = eval(expr, ns)  # noqa: S307 - an expression the page itself names
            if key == "loss":
                report[key] = float(value)
            else:
                arr = value.numpy() if hasattr(value, "numpy") else value
                report[key] = [round(float(v), 4) for v in __import__("numpy").ravel(arr)]
        except Exception as exc:  # noqa: BLE001
            failures.append(f"page report {key}={expr!r} failed: {exc}")
    import flowkit

    return {
        "page": str(path),
        "backend": flowkit.backend().name,
        "device": str(flowkit.backend().device),
        "blocks": len(ns.get("__flowkit_steps__", [])),
        "blocks_run": stats.blocks_run,
        "outputs_checked": stats.outputs_checked,
        "skipped": stats.skipped,
        "failures": failures,
        "loss": report.get("loss"),
        "result": report.get("result"),
        "seconds": elapsed,
        "outputs": {str(k): v for k, v in stats.outputs.items()},
    }


def regen_page(path: Path) -> bool:
    """Rewrite the expected outputs of ``path`` from this process's run. True if it changed."""
    global UPDATE_MODE
    UPDATE_MODE = True
    try:
        result = run_page(path)
    finally:
        UPDATE_MODE = False
    if result["failures"]:
        raise RuntimeError(
            f"{path}: cannot regenerate, the page fails:\n" + "\n".join(result["failures"])
        )
    text = path.read_text("utf-8")
    doc = Document(text, str(path))
    steps, _ = parse_steps(doc)
    edits = []  # (start, end, replacement), applied from the end backwards
    for step in steps:
        out = result["outputs"].get(str(step.index))
        if out is None:
            continue  # skipped (needs CUDA): keep what the page has
        body = elide(_normalise(out), step.rules) if out.strip() else ""
        if step.output_span is not None:
            edits.append((*step.output_span, body + "\n" if body else ""))
        elif body:
            edits.append((step.code_end, step.code_end, f"\n\n```text\n{body}\n```"))
    new = text
    for start, end, rep in sorted(edits, reverse=True):
        new = new[:start] + rep + new[end:]
    if new != text:
        path.write_text(new, "utf-8")
    return new != text


def _main(argv: list[str]) -> int:
    """Child-process entry: ``python -m flowkit.testing.docs run|regen PAGE``."""
    cmd, page = argv[0], Path(argv[1])
    if cmd == "run":
        print(json.dumps(run_page(page)))
        return 0
    if cmd == "regen":
        changed = regen_page(page)
        print(json.dumps({"page": str(page), "changed": changed}))
        return 0
    print(f"unknown command {cmd!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
