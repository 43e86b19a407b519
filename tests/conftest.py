"""Test-suite wiring.

The suite runs once per backend, each run in its own process with ``FLOWKIT_BACKEND`` set
(``flowkit test`` does that for every installed backend). Inside one run:

* ``backend_name`` is the backend under test; ``flow`` is the imported module.
* ``@pytest.mark.once`` marks backend-independent tests (plugin discovery, the docs build): they
  run in the first backend's run only (``flowkit test`` sets ``FLOWKIT_TEST_REPEAT=1`` for the
  later runs).
* ``@pytest.mark.torch_oracle`` tests compare with raw torch and skip when torch is missing.
"""

from __future__ import annotations

import os

import pytest

import flowkit as flow


def pytest_report_header(config):
    return (
        f"flowkit backend: {os.environ.get('FLOWKIT_BACKEND', 'numpy')} "
        f"device: {os.environ.get('FLOWKIT_DEVICE', '(default)')}"
    )


def pytest_collection_modifyitems(config, items):
    repeat = os.environ.get("FLOWKIT_TEST_REPEAT") == "1"
    try:
        import torch  # noqa: F401

        have_torch = True
    except ImportError:
        have_torch = False
    for item in items:
        if repeat and item.get_closest_marker("once"):
            item.add_marker(pytest.mark.skip(reason="backend-independent; ran in the first run"))
        if not have_torch and item.get_closest_marker("torch_oracle"):
            item.add_marker(pytest.mark.skip(reason="torch is not installed"))


@pytest.fixture(scope="session")
def backend_name() -> str:
    return flow.backend().name


@pytest.fixture(autouse=True)
def _seed_and_grad_mode():
    flow.manual_seed(0)
    yield
    flow.set_grad_enabled(True)
