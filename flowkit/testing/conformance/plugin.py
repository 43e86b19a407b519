"""The conformance kit as a pytest plugin: ``pytest -p flowkit.testing.conformance``.

With ``FLOWKIT_BACKEND=NAME`` in the environment this runs the kit's checks
(`flowkit.testing.conformance.suite`) on that backend -- no flowkit source checkout needed,
only flowkit with its ``test`` extra (pytest, hypothesis) -- and prints a per-op table at the
end (`flowkit.testing.conformance.report`). Given no test paths, the plugin runs the kit
alone; with paths, it reports on the kit's items among them (add
``--pyargs flowkit.testing.conformance.suite`` to run the kit beside your own tests).

Options:

* ``--flowkit-quick``: a few examples per op, no shrinking, the docs pages in one language (for
  iterating on a backend);
* ``--flowkit-docs PATH``: the docs pages to check (a flowkit checkout's ``docs/``; by default
  the checkout flowkit runs from, if any; without pages the report says so);
* ``--flowkit-strict``: ops the backend does not implement fail (by default they are listed
  and skipped, not failed);
* ``--flowkit-json PATH``: the per-op summary as JSON.

A check whose op raises
[`flowkit.BackendNotImplementedError`][flowkit.errors.BackendNotImplementedError] is *not
implemented*; the row of each op, and the column of each check, come from the test items themselves
(the ``flowkit_row`` tag of the kit's test functions), never from parsing pytest's output.
``flowkit check-backend NAME`` is the command-line front of this plugin.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowkit.errors import BackendError, BackendNotImplementedError

from .report import FAIL, MISSING, PASS, SKIPPED, Outcome, Summary, one_line

SUITE = Path(__file__).resolve().with_name("suite.py")


def pytest_addoption(parser):
    group = parser.getgroup("flowkit", "flowkit backend conformance kit")
    group.addoption(
        "--flowkit-quick",
        action="store_true",
        default=False,
        help="a few examples per op, no shrinking, the docs pages in one language: "
        "fast, for iterating on a backend",
    )
    group.addoption(
        "--flowkit-docs",
        metavar="PATH",
        default=None,
        help="the docs pages to check (the docs/ directory of a flowkit checkout); "
        "default: the checkout flowkit runs from, if any",
    )
    group.addoption(
        "--flowkit-strict",
        action="store_true",
        default=False,
        help="ops the backend does not implement fail (default: listed, skipped)",
    )
    group.addoption(
        "--flowkit-json",
        metavar="PATH",
        default=None,
        help="write the per-op summary to PATH as JSON",
    )


def pytest_configure(config):
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args[:] = [str(SUITE)]  # no paths given: `pytest -p <this>` runs the kit
    config.pluginmanager.register(_Recorder(config), "flowkit-conformance-recorder")


def pytest_collection_modifyitems(config, items):
    for item in items:
        tag = getattr(getattr(item, "function", None), "flowkit_row", None)
        if tag is None:
            continue
        callspec = getattr(item, "callspec", None)
        op, column = tag(callspec.params if callspec else {})
        if op is not None:
            item.user_properties += [("flowkit_op", op), ("flowkit_check", column)]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    excinfo = call.excinfo
    if excinfo is None or report.when != "call" or not dict(item.user_properties).get("flowkit_op"):
        return report
    message = one_line(excinfo.exconly())
    props = [("flowkit_message", message)]
    if excinfo.errisinstance(BackendNotImplementedError):
        props.append(("flowkit_status", MISSING))
        if not item.config.getoption("--flowkit-strict"):
            report.outcome = "skipped"
            report.longrepr = (
                str(item.path),
                item.location[1] + 1,
                f"Skipped: not implemented by the backend: {message}",
            )
    report.user_properties = [*report.user_properties, *props]
    return report


class _Recorder:
    """Collects the kit's results as they come and writes the table and the JSON at the end."""

    def __init__(self, config):
        from .pages import QUICK_LANGUAGE, find_docs

        self.config = config
        self.summary = Summary(
            backend="?",
            quick=bool(config.getoption("--flowkit-quick")),
            strict=bool(config.getoption("--flowkit-strict")),
        )
        root, self.summary.docs = find_docs(config.getoption("--flowkit-docs"))
        if root is not None and self.summary.quick and (root / QUICK_LANGUAGE).is_dir():
            self.summary.docs += f"; --quick: {QUICK_LANGUAGE}/ only"

    def pytest_sessionstart(self, session):
        import flowkit as flow

        try:
            self.summary.backend = flow.backend().name
        except BackendError as exc:  # no backend, no checks: say why once, not per test
            raise pytest.UsageError(f"flowkit conformance kit: {exc}") from exc

    def pytest_collectreport(self, report):
        if report.failed:
            self.summary.errors.append(
                f"collecting {report.nodeid or 'the kit'}: {one_line(str(report.longrepr))}"
            )

    def pytest_runtest_logreport(self, report):
        props = dict(report.user_properties)
        op = props.get("flowkit_op")
        if op is None:
            return
        status = None
        if report.when == "call":
            missing = props.get("flowkit_status") == MISSING
            status = (
                MISSING
                if missing
                else PASS
                if report.passed
                else SKIPPED
                if report.skipped
                else FAIL
            )
        elif report.failed:  # a setup or teardown error
            status = FAIL
        elif report.skipped:  # skipped before it ran (a skip mark, the docs not found)
            status = SKIPPED
        if status is None:
            return
        message = props.get("flowkit_message", "")
        if not message and report.failed:
            message = one_line(str(report.longrepr))
        self.summary.add(
            Outcome(
                op,
                props["flowkit_check"],
                status,
                report.nodeid,
                message,
                props.get("flowkit_kernel"),
            )
        )

    def pytest_sessionfinish(self, session):
        path = self.config.getoption("--flowkit-json")
        if path:
            Path(path).write_text(json.dumps(self.summary.to_json(), indent=1) + "\n", "utf-8")

    def pytest_terminal_summary(self, terminalreporter):
        if not self.summary.outcomes and not self.summary.errors:
            return  # the kit did not run here
        terminalreporter.write_sep("=", "flowkit conformance")
        for line in self.summary.table():
            terminalreporter.write_line(line)
