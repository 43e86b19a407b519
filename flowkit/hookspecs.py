"""The plugin contract: every hook a flowkit plugin may implement.

A backend is a pluggy plugin registered in the ``flowkit.backends`` entry-point group. flowkit
loads the entry points one at a time on first use (a broken plugin is recorded, never fatal) and
calls these hooks at three moments only: when it lists or selects a backend, when an optimizer is
built (to choose a fast update kernel), and to announce the selection. No hook runs per tensor op:
after selection every op is an attribute lookup on the chosen :class:`~flowkit.backend.Backend`.

Every hook here is documented on the "Backends and plugins" docs page with its signature; a test
keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .backend import Backend, BackendProbe, BackendSpec

PROJECT = "flowkit"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def flowkit_declare_backends() -> list[BackendSpec]:
    """Name the backends this plugin provides.

    Called whenever flowkit lists or selects backends. Must be cheap and must not import the
    backend's heavy library (``import flowkit`` with the numpy backend never imports torch).

    Returns:
        A list of :class:`~flowkit.backend.BackendSpec`, usually one.
    """


@hookspec(firstresult=True)
def flowkit_probe_backend(name: str) -> BackendProbe | None:
    """Say whether backend ``name`` can run on this machine, and if not, why and how to fix it.

    Called by ``flowkit.backends()`` / ``flowkit backends`` and before loading. Only the plugin
    that declared ``name`` answers; the others return ``None``.

    Returns:
        A :class:`~flowkit.backend.BackendProbe` (version, usable, devices, reason), or ``None``.
    """


@hookspec(firstresult=True)
def flowkit_load_backend(name: str, device: str | None) -> Backend | None:
    """Build the :class:`~flowkit.backend.Backend` object for ``name`` on ``device``.

    Called once per process, on first use. ``device`` is the value of ``FLOWKIT_DEVICE``
    (``"cpu"``, ``"cuda"``, ``"cuda:N"``) or ``None`` for the backend's own default. Raise
    :class:`~flowkit.errors.DeviceError` for a device the backend cannot use.
    """


@hookspec(firstresult=True)
def flowkit_select_optimizer_kernel(
    backend: Backend, optimizer: str, hyperparams: dict[str, Any]
) -> Callable[..., None] | None:
    """Offer a fast update kernel for an optimizer, or ``None`` to use the reference update.

    Called once when an optimizer is constructed (never per step). ``optimizer`` is the
    algorithm's name (``"sgd"``, ``"adam"``, ``"adamw"``, ``"rmsprop"``,
    ``"adagrad"``); ``hyperparams`` are the first param
    group's settings. The kernel has the signature of the matching reference function in
    :mod:`flowkit.optim._functional` and must give the same parameters and state; the test suite
    checks every kernel against the reference in float64.
    """


@hookspec
def flowkit_backend_selected(backend: Backend) -> None:
    """Notification: ``backend`` was selected for this process and is about to be used."""
