"""The conformance kit's checks as pytest tests, on the backend of this pytest process
(``FLOWKIT_BACKEND``).

* ``test_forward``: property-based (hypothesis, seeded per op) values, dtypes and shapes against
  the numpy reference: broadcasting pairs, zero-size dimensions, float32/float64, integer and
  bool dtypes where the op takes them, dims/keepdim variants;
* ``test_gradient``: float64 autograd gradients against central finite differences computed
  through the same public API;
* ``test_invalid``: the error type of invalid inputs (shapes that do not broadcast, dtypes the
  op refuses, ...);
* ``test_autograd_safety``: autograd's safety nets (`safety`): grad mode per thread, the
  version-counter check of tensors changed in place, anomaly detection;
* ``test_optimizer_kernel``: the backend's optimizer kernels against the reference update,
  parameters and state, in float64 (``"reference"`` where the backend offers no kernel);
* ``test_docs_page``: each docs page's code and printed outputs, when the pages are available;
* ``test_every_public_op_has_a_case``: the op list is read from the public namespaces (and the
  backend's tensor class), so an op without a case fails here.

Run it with ``flowkit check-backend NAME`` (a per-op table), or ``pytest -p
flowkit.testing.conformance`` with ``FLOWKIT_BACKEND=NAME``. An op whose call raises
[`flowkit.BackendNotImplementedError`][flowkit.errors.BackendNotImplementedError] is *not
implemented*, reported as such by the plugin rather than as a failure. ``--flowkit-quick`` runs a
few examples per op, and the docs pages in one language.

Every hypothesis run is seeded by the check and the spec's name, so the kit draws the same
examples wherever it runs (flowkit's own test suite runs these same functions).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

import flowkit as flow
from flowkit.errors import BackendNotImplementedError

from . import cases  # noqa: F401 - registers every spec
from .core import SPECS, HypDraw, check_error, check_forward, check_gradients, op_of
from .coverage import NOT_OPS, optimizers, public_ops
from .optim import OPTIM_CASES, check_optimizer
from .pages import check_page, find_docs, page_ids
from .safety import CHECKS as SAFETY_CHECKS

EXAMPLES = {"forward": 12, "gradient": 12, "errors": 10}
QUICK_EXAMPLES = {"forward": 3, "gradient": 2, "errors": 2}
SETTINGS = settings(
    deadline=None, database=None, suppress_health_check=list(HealthCheck), print_blob=False
)

NAMES = sorted(SPECS)
GRAD_NAMES = [n for n in NAMES if SPECS[n].grad]
INVALID_NAMES = [n for n in NAMES if SPECS[n].invalid is not None]


def _row(column: str, op: Callable[[dict], str | None]):
    """Tag a test with the table cell its items fill: ``flowkit_row(params) -> (op, column)``
    (read by the plugin; the parameters are the item's ``callspec.params``)."""

    def tag(fn):
        fn.flowkit_row = lambda params: (op(params), column)
        return fn

    return tag


def is_quick(config) -> bool:
    """Whether ``--flowkit-quick`` was given (False where the plugin is not loaded)."""
    return bool(config.getoption("--flowkit-quick", default=False))


def run_property(check: Callable, key: str, max_examples: int, shrink: bool = True) -> None:
    """Run ``check(data)`` on ``max_examples`` hypothesis draws seeded by ``key``.

    An example that raises [`BackendNotImplementedError`][flowkit.errors.BackendNotImplementedError]
    does not stop the run: a failure on another example is reported first (a FAIL outweighs a
    missing op); with none, the missing op's error is raised at the end.
    """
    missing: list[BackendNotImplementedError] = []
    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if shrink else [])

    @seed(zlib.crc32(key.encode()))
    @settings(SETTINGS, max_examples=max_examples, phases=phases)
    @given(data=st.data())
    def prop(data):
        try:
            check(data)
        except BackendNotImplementedError as exc:
            missing.append(exc)

    prop()
    if missing:
        raise missing[0]


def _budget(request, check: str) -> tuple[int, bool]:
    # quick: a few examples and no shrinking (rerun without --quick for a minimal example)
    quick = is_quick(request.config)
    return (QUICK_EXAMPLES if quick else EXAMPLES)[check], not quick


@pytest.fixture(autouse=True)
def _fresh_state():
    flow.manual_seed(0)
    yield
    flow.set_grad_enabled(True)


@_row("forward", lambda p: op_of(p["name"]))
@pytest.mark.parametrize("name", NAMES)
def test_forward(name, request):
    n, shrink = _budget(request, "forward")
    run_property(
        lambda data: check_forward(SPECS[name].build(HypDraw(data))), f"forward:{name}", n, shrink
    )


def _gradient(name: str, data) -> None:
    case = SPECS[name].build(HypDraw(data, for_grad=True))
    if case.grad:
        check_gradients(case)


@_row("gradient", lambda p: op_of(p["name"]))
@pytest.mark.parametrize("name", GRAD_NAMES)
def test_gradient(name, request):
    n, shrink = _budget(request, "gradient")
    run_property(lambda data: _gradient(name, data), f"gradient:{name}", n, shrink)


@_row("errors", lambda p: op_of(p["name"]))
@pytest.mark.parametrize("name", INVALID_NAMES)
def test_invalid(name, request):
    n, shrink = _budget(request, "errors")
    run_property(
        lambda data: check_error(SPECS[name].invalid(HypDraw(data))), f"invalid:{name}", n, shrink
    )


@_row("autograd", lambda p: p["check"])
@pytest.mark.parametrize("check", sorted(SAFETY_CHECKS))
def test_autograd_safety(check):
    SAFETY_CHECKS[check]()


@_row("kernel", lambda p: p["case"].op)
@pytest.mark.parametrize("case", OPTIM_CASES, ids=[f"{c.optimizer}-{c.id}" for c in OPTIM_CASES])
def test_optimizer_kernel(case, record_property):
    record_property("flowkit_kernel", check_optimizer(case))


@_row("check", lambda p: "every public op has a case")
def test_every_public_op_has_a_case():
    covered = {op_of(n) for n in SPECS}
    ops = public_ops()
    missing = sorted(ops - covered - NOT_OPS)
    assert not missing, (
        f"public ops without a conformance case: {missing}; a backend's tensor adds no public "
        "names of its own (flowkit declares every op), and a new op of flowkit's gets its case "
        "in flowkit.testing.conformance.cases"
    )
    stale = sorted(covered - ops)
    assert not stale, f"cases for names that are not public (renamed? missing?): {stale}"
    assert len(ops - NOT_OPS) > 250
    untested = sorted(optimizers() - {c.op for c in OPTIM_CASES})
    assert not untested, f"optimizers without a kernel case (optim.OPTIM_CASES): {untested}"


def pytest_generate_tests(metafunc):
    """One ``test_docs_page`` item per docs page, or one skipped item that says why none."""
    if "docs_page" not in metafunc.fixturenames:
        return
    root, note = find_docs(metafunc.config.getoption("--flowkit-docs", default=None))
    if root is None:
        metafunc.parametrize(
            "docs_page",
            [
                pytest.param(
                    None, id="not-found", marks=pytest.mark.skip(reason=f"docs pages: {note}")
                )
            ],
        )
        return
    metafunc.parametrize(
        "docs_page",
        [pytest.param((root, pid), id=pid) for pid in page_ids(root, is_quick(metafunc.config))],
    )


# last: a page may change process-wide settings that the op checks above rely on
@_row("docs", lambda p: None if p["docs_page"] is None else f"docs: {p['docs_page'][1]}")
def test_docs_page(docs_page):
    root, pid = docs_page
    check_page(root / pid)
