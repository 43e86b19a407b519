"""Finding, listing and selecting backends.

Entry points in the ``flowkit.backends`` group are loaded one at a time, each in its own
``try``: a plugin that fails to import is recorded as ``name -> "Error: ..."`` and reported by
``flowkit.backends()``, and the other backends still work. (pluggy's own
``load_setuptools_entrypoints`` stops at the first failure, so flowkit does not use it.)

Selection happens once per process, on first use, never inside ``import flowkit``: a plugin
imports flowkit itself, and selecting at import time would register a half-imported plugin.
"""

from __future__ import annotations

import os
from importlib import import_module, metadata

import pluggy

from . import hookspecs
from .backend import Backend, BackendInfo, BackendProbe, BackendSpec
from .errors import BackendError

ENTRY_POINT_GROUP = "flowkit.backends"
DEFAULT_BACKEND = "numpy"
# The backends that ship in this distribution: found by module name when flowkit runs from a
# source tree whose entry points were never installed.
_BUNDLED = {"numpy": "flowkit_numpy", "torch": "flowkit_torch"}

_pm: pluggy.PluginManager | None = None
load_errors: dict[str, str] = {}
current: Backend | None = None  # the selected backend; read on every creation call


def plugin_manager() -> pluggy.PluginManager:
    """The process's plugin manager, with every installed plugin loaded (once)."""
    global _pm
    if _pm is None:
        pm = pluggy.PluginManager(hookspecs.PROJECT)
        pm.add_hookspecs(hookspecs)
        _load_entry_points(pm)
        _pm = pm
    return _pm


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    seen = set()
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in seen or pm.has_plugin(ep.name):
            continue
        seen.add(ep.name)
        try:
            pm.register(ep.load(), name=ep.name)
        except Exception as exc:  # noqa: BLE001 - any failure of a plugin is recorded, not raised
            load_errors[ep.name] = f"Error: {type(exc).__name__}: {exc}"
    for name, module in _BUNDLED.items():
        if name in seen or name in load_errors:
            continue
        try:
            pm.register(import_module(module), name=name)
        except ImportError:
            pass  # not installed at all: simply absent from the list
        except Exception as exc:  # noqa: BLE001
            load_errors[name] = f"Error: {type(exc).__name__}: {exc}"


def register(plugin: object, name: str | None = None) -> None:
    """Register a plugin object by hand (tests, notebooks); entry points are the usual way.

    Exposed as ``flowkit.register_plugin``. The object implements hooks of
    ``flowkit.hookspecs``; ``name`` is how ``flowkit.unregister_plugin`` removes it.

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.backend import BackendSpec
        >>> from flowkit.hookspecs import hookimpl
        >>> class ToyPlugin:
        ...     @hookimpl
        ...     def flowkit_declare_backends(self):
        ...         return [BackendSpec('toy', 'a toy backend')]
        >>> flow.register_plugin(ToyPlugin(), name='toy')
        >>> [(b.name, b.usable) for b in flow.backends() if b.name == 'toy']
        [('toy', False)]
        >>> flow.unregister_plugin('toy')
    """
    plugin_manager().register(plugin, name=name)


def unregister(name: str) -> None:
    """Remove a plugin registered by hand (or by entry point) from this process.

    Exposed as ``flowkit.unregister_plugin``.

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.backend import BackendSpec
        >>> from flowkit.hookspecs import hookimpl
        >>> class ToyPlugin:
        ...     @hookimpl
        ...     def flowkit_declare_backends(self):
        ...         return [BackendSpec('toy', 'a toy backend')]
        >>> flow.register_plugin(ToyPlugin(), name='toy')
        >>> flow.unregister_plugin('toy')
        >>> 'toy' in [b.name for b in flow.backends()]
        False
    """
    plugin_manager().unregister(name=name)


def _specs() -> dict[str, tuple[BackendSpec, str]]:
    pm = plugin_manager()
    found: dict[str, tuple[BackendSpec, str]] = {}
    for impl in pm.hook.flowkit_declare_backends.get_hookimpls():
        for spec in impl.function() or []:
            found.setdefault(spec.name, (spec, impl.plugin_name))
    return found


def backends() -> list[BackendInfo]:
    """Every backend found, usable or not, and every plugin that failed to load.

    Examples:
        >>> import flowkit as flow
        >>> [b.name for b in flow.backends() if b.usable][:1]
        ['numpy']
    """
    pm = plugin_manager()
    rows = []
    for name, (spec, plugin) in sorted(_specs().items()):
        try:
            probe = pm.hook.flowkit_probe_backend(name=name) or BackendProbe(None, False)
        except Exception as exc:  # noqa: BLE001 - a probe that crashes is reported like a load error
            probe = BackendProbe(None, False, reason=f"probe failed: {type(exc).__name__}: {exc}")
        rows.append(BackendInfo(
            name=name, plugin=plugin, version=probe.version, usable=probe.usable,
            devices=list(probe.devices), summary=spec.summary, error=probe.reason,
            selected=current is not None and current.name == name,
        ))
    for name, err in sorted(load_errors.items()):
        rows.append(BackendInfo(name=name, plugin=name, version=None, usable=False, devices=[],
                                summary="(plugin failed to load)", error=err))
    return rows


def _describe_installed() -> str:
    rows = backends()
    if not rows:
        return "no backends are installed (reinstall flowkit: pip install flowkit)"
    parts = []
    for r in rows:
        state = "usable" if r.usable else f"not usable: {r.error}"
        parts.append(f"  {r.name} ({state})")
    return "installed backends:\n" + "\n".join(parts)


def select(name: str | None = None, device: str | None = None) -> Backend:
    """Choose the process's backend: ``name`` or ``$FLOWKIT_BACKEND`` (default ``numpy``) on
    ``device`` or ``$FLOWKIT_DEVICE``. Called on first use; later calls return the same backend
    and refuse a different one."""
    global current
    name = name or os.environ.get("FLOWKIT_BACKEND", "").strip() or DEFAULT_BACKEND
    device = device or os.environ.get("FLOWKIT_DEVICE", "").strip() or None
    if current is not None:
        if name != current.name:
            raise BackendError(
                f"this process already uses the {current.name!r} backend; a process has one "
                f"backend. Start a new process with FLOWKIT_BACKEND={name}"
            )
        return current
    pm = plugin_manager()
    specs = _specs()
    if name not in specs:
        if name in load_errors:
            raise BackendError(f"backend {name!r} failed to load: {load_errors[name]}\n"
                               + _describe_installed())
        raise BackendError(
            f"unknown backend {name!r} (from FLOWKIT_BACKEND). " + _describe_installed()
            + "\nSet FLOWKIT_BACKEND to one of those names."
        )
    probe = pm.hook.flowkit_probe_backend(name=name)
    if probe is not None and not probe.usable:
        raise BackendError(f"backend {name!r} cannot run here: {probe.reason}")
    backend = pm.hook.flowkit_load_backend(name=name, device=device)
    if backend is None:
        raise BackendError(
            f"plugin {specs[name][1]!r} declared backend {name!r} but did not load it")
    current = backend
    pm.hook.flowkit_backend_selected(backend=backend)
    return backend


def get() -> Backend:
    """The selected backend, selecting it on first use."""
    b = current
    return b if b is not None else select()
