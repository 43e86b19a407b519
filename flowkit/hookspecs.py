"""The plugin contract: every hook a flowkit plugin may implement, and the rules flowkit holds
plugins to.

A backend is a pluggy plugin registered in the ``flowkit.backends`` entry-point group. flowkit
calls these hooks at three moments only: when it lists or selects a backend, when an optimizer is
built (to choose a fast update kernel), and to announce the selection. No hook runs per tensor op:
after selection every op is an attribute lookup on the chosen [`Backend`][flowkit.backend.Backend].

The rules:

* **The entry-point name is the backend's name.** ``FLOWKIT_BACKEND=NAME`` imports the entry
  point(s) named ``NAME`` and no other plugin, and that plugin's
  [`flowkit_declare_backends`][flowkit.hookspecs.flowkit_declare_backends] must declare ``NAME``.
  Any other name it declares is reported as a problem of the plugin and ignored. ``numpy`` and
  ``torch`` are flowkit's own and cannot be taken; two installed plugins claiming one name are both
  reported and neither is used.
* **Every call is to one plugin.** flowkit calls each plugin's own implementation directly, so a
  plugin's exception (any, ``SystemExit`` included) or wrong answer is recorded against that
  plugin, listed by ``flowkit backends``, and raised as
  [`BackendError`][flowkit.errors.BackendError] naming the plugin, the hook and the fix only when
  that plugin's backend is selected.
* **Return types are checked**, as each hook's docstring says. Hook wrappers (``hookwrapper=True``,
  ``wrapper=True``) are refused, and so is a hook flowkit does not define (a misspelling).
* **Listing is bounded.** ``flowkit backends`` imports, declares and probes every plugin in its own
  thread and waits at most ``FLOWKIT_PLUGIN_TIMEOUT`` seconds (default 10), so importing a plugin
  module must not need the main thread. ``FLOWKIT_DISABLE_PLUGINS`` switches plugins off.

Plugins registered by hand (``flowkit.register_plugin(obj, name=...)``) follow the same rules,
with ``name`` in the role of the entry-point name.

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
    """Name the backend this plugin provides.

    Asked of a plugin when flowkit lists backends, or selects the backend named like the plugin.
    Must be cheap and must not import the backend's heavy library (``import flowkit`` with the
    numpy backend never imports torch).

    Returns:
        A list of [`BackendSpec`][flowkit.backend.BackendSpec], whose ``name`` is the plugin's
        entry-point name. Anything else (another type, no spec of that name) makes the plugin
        broken; other names in the list are reported and ignored.
    """


@hookspec(firstresult=True)
def flowkit_probe_backend(name: str) -> BackendProbe | None:
    """Say whether backend ``name`` can run on this machine, and if not, why and how to fix it.

    Asked by ``flowkit.backends()`` / ``flowkit backends`` and before loading, of the plugin
    that declared ``name`` only, with that name.

    Returns:
        A [`BackendProbe`][flowkit.backend.BackendProbe] (version: ``str | None``, usable: ``bool``,
        devices: ``list[str]``, reason: ``str | None``), or ``None`` when the plugin cannot tell
        (the backend is then listed as not usable, and selecting it tries to load it anyway).
    """


@hookspec(firstresult=True)
def flowkit_load_backend(name: str, device: str | None) -> Backend | None:
    """Build the [`Backend`][flowkit.backend.Backend] object for ``name`` on ``device``.

    Asked once per process, on first use, of the selected backend's plugin only. ``device`` is
    the value of ``FLOWKIT_DEVICE`` (``"cpu"``, ``"cuda"``, ``"cuda:N"``) or ``None`` for the
    backend's own default. Raise [`DeviceError`][flowkit.errors.DeviceError] for a device the
    backend cannot use (it reaches the user as it is; any other exception makes the plugin broken).

    Returns:
        A [`Backend`][flowkit.backend.Backend] instance whose ``name`` is ``name`` and whose
        ``Tensor`` is a subclass of [`flowkit.Tensor`][flowkit.Tensor].
    """


@hookspec(firstresult=True)
def flowkit_select_optimizer_kernel(
    backend: Backend, optimizer: str, hyperparams: dict[str, Any]
) -> Callable[..., None] | None:
    """Offer a fast update kernel for an optimizer, or ``None`` to use the reference update.

    Called once when an optimizer is constructed (never per step), and asked of the selected
    backend's own plugin only: no other plugin, installed or registered by hand, can replace
    a backend's update.
    ``optimizer`` is the algorithm's name (``"sgd"``, ``"adam"``, ``"adamw"``, ``"rmsprop"``,
    ``"adagrad"``, ``"adadelta"``, ``"adamax"``, ``"nadam"``, ``"radam"``, ``"lbfgs"``);
    ``hyperparams`` are the first param group's settings (a copy). The kernel has the signature
    of the matching reference function in `flowkit.optim._functional` and must give the same
    parameters and state (for ``"lbfgs"``: the same search direction); the test suite checks
    every kernel against the reference in float64.

    Returns:
        A callable, or ``None``. An exception or any other answer makes the optimizer's
        construction raise [`BackendError`][flowkit.errors.BackendError] (flowkit does not silently
        fall back).
    """


@hookspec
def flowkit_backend_selected(backend: Backend) -> None:
    """Notification: ``backend`` was selected for this process and is about to be used.

    Sent to the selected backend's own plugin, whose failure makes the selection fail with
    [`BackendError`][flowkit.errors.BackendError], and to plugins registered by hand, whose failures
    are recorded and warned about while the selection goes on.
    """
