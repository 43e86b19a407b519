"""Finding, listing and selecting backends, treating every third-party plugin as untrusted code.

The rules (the contract is [`flowkit.hookspecs`][flowkit.hookspecs]; the docs page "Backends and
plugins" says the same for users):

* **A backend is selected by its entry-point name.** ``FLOWKIT_BACKEND=fake`` imports the entry
  point(s) of the ``flowkit.backends`` group named ``fake`` and nothing else; that plugin's
  ``flowkit_declare_backends`` must declare ``fake``. A declared name that differs from the
  entry-point name is reported as a problem of that plugin and never used, so no plugin can
  shadow another backend. The built-in names ``numpy`` and ``torch`` always mean flowkit's own
  modules (``flowkit_numpy``, ``flowkit_torch``), imported directly: selecting them never reads
  entry-point metadata (``importlib.metadata`` alone costs ~30 ms of start-up).
* **Listing is bounded.** ``flowkit.backends()`` imports, declares and probes each plugin in its
  own daemon thread, all at once, and waits at most ``FLOWKIT_PLUGIN_TIMEOUT`` seconds (default
  10); a plugin that has not answered by then is reported with what it was doing.
* **Every hook call is attributed.** Each plugin has its own pluggy ``PluginManager`` (so pluggy
  validates it: unknown or misspelled hooks, wrong argument names), and flowkit calls the one
  implementation of that plugin directly, never ``pm.hook.x()`` across plugins. An exception
  (any, ``SystemExit`` included; ``KeyboardInterrupt`` passes) or a result of the wrong type is
  recorded against that plugin, shown by ``flowkit backends``, and raised as a
  [`BackendError`][flowkit.errors.BackendError] naming the plugin, the hook and the fix only when
  that plugin's backend is selected.
* **Names are unique.** Built-ins win over entry points named ``numpy``/``torch``; two
  third-party plugins claiming one name are both reported and neither is used.
* ``FLOWKIT_DISABLE_PLUGINS`` (entry-point or distribution names, or ``all`` for every
  third-party plugin) switches plugins off before they are imported.

Selection happens once per process, on first use, never inside ``import flowkit``: a plugin
imports flowkit itself, and selecting at import time would register a half-imported plugin.
After selection the backend is the module global `current`; no hook runs per op.
"""

from __future__ import annotations

import difflib
import os
import re
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

import pluggy

from . import hookspecs
from .backend import Backend, BackendInfo, BackendProbe, BackendSpec
from .errors import BackendError, DeviceError

ENTRY_POINT_GROUP = "flowkit.backends"
DEFAULT_BACKEND = "numpy"
# flowkit's own backends: these names always mean these modules, imported directly.
BUILTIN = {"numpy": "flowkit_numpy", "torch": "flowkit_torch"}
DEFAULT_TIMEOUT = 10.0  # seconds; torch's probe imports torch, ~2 s on a cold disk
_HOOKS = tuple(n for n in vars(hookspecs) if n.startswith("flowkit_"))

current: Backend | None = None  # the selected backend; read on every creation call


@dataclass(eq=False)
class _Plugin:
    """What flowkit knows about one plugin. Written by the thread that inspects it, under
    ``_lock``; the plugin's own code never runs while ``_lock`` is held."""

    name: str  # entry-point name, or the name given to register_plugin: the backend's name
    origin: str  # "built-in" | "entry point" | "by hand"
    module: str | None = None  # what the entry point names ("pkg" or "pkg.mod:attr")
    distribution: str | None = None
    entry_point: Any = None  # importlib.metadata.EntryPoint; loaded only when needed
    obj: object = None  # the plugin once imported
    pm: pluggy.PluginManager | None = None  # this plugin's own manager, once validated
    declared: bool = False
    spec: BackendSpec | None = None  # its declaration of the backend named `name`
    probed: bool = False
    probe: BackendProbe | None = None
    error: str | None = None  # set once: what broke it ("flowkit_probe_backend('x') raised ...")
    problems: list[str] = field(default_factory=list)  # recorded, not fatal
    stage: str = ""  # what it is doing now, for a "did not answer" message
    worker: threading.Thread | None = None
    waited: float = 0.0  # how long listing waited for it, when it did not answer

    @property
    def label(self) -> str:
        if self.origin == "built-in":
            return f"flowkit's built-in {self.name!r} backend (module {self.module})"
        if self.origin == "by hand":
            return f"plugin {self.name!r} (registered with flowkit.register_plugin)"
        return (
            f"plugin {self.name!r} (module {self.module}, distribution {self.distribution or '?'})"
        )

    @property
    def fix(self) -> str:
        if self.origin == "built-in":
            return (
                "reinstall flowkit (pip install --force-reinstall flowkit) and report this "
                "to flowkit's authors if it persists"
            )
        if self.origin == "by hand":
            return (
                "fix the plugin object given to flowkit.register_plugin, or remove it with "
                f"flowkit.unregister_plugin({self.name!r})"
            )
        dist = self.distribution or self.module
        return (
            f"switch it off with FLOWKIT_DISABLE_PLUGINS={self.name}, or uninstall it "
            f"(pip uninstall {dist}), and report this to the authors of {dist}"
        )

    def running(self) -> bool:
        return self.worker is not None and self.worker.is_alive()


class _Failed(Exception):
    """A plugin step failed; already recorded on the plugin (``_Plugin.error``)."""


class _HookError(Exception):
    """A hook raised; the message says which call and what it raised."""


_ABSENT = object()  # the plugin does not implement the hook
_lock = threading.RLock()
_builtins: dict[str, _Plugin] = {}
_hand: dict[str, _Plugin] = {}  # registered with register(), in registration order
_entry_points: list[_Plugin] | None = None  # third-party entry points, read once
_chosen: _Plugin | None = None  # the plugin of `current`


def _after_fork() -> None:
    # a lock held by another thread at fork() would stay held forever in the child
    global _lock
    _lock = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


# --------------------------------------------------------------------------- environment
def _timeout() -> float:
    raw = os.environ.get("FLOWKIT_PLUGIN_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        warnings.warn(
            f"FLOWKIT_PLUGIN_TIMEOUT={raw!r} is not a number of seconds >= 0; using "
            f"{DEFAULT_TIMEOUT:g}. Set it to e.g. 30",
            RuntimeWarning,
            stacklevel=3,
        )
        return DEFAULT_TIMEOUT
    return value


def _norm(name: str) -> str:
    """Distribution names compare the way pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _disabled() -> set[str]:
    raw = os.environ.get("FLOWKIT_DISABLE_PLUGINS", "")
    return {_norm(t) for t in re.split(r"[\s,]+", raw) if t}


def _disabled_by(rec: _Plugin, tokens: set[str]) -> str | None:
    """The FLOWKIT_DISABLE_PLUGINS entry that switches ``rec`` off, if any."""
    if rec.origin == "by hand" or not tokens:
        return None  # a program's own register_plugin call is deliberate
    if _norm(rec.name) in tokens:
        return rec.name
    if rec.origin == "entry point":
        if "all" in tokens:
            return "all"
        if rec.distribution and _norm(rec.distribution) in tokens:
            return rec.distribution
    return None


# --------------------------------------------------------------------------- the plugins
def _builtin(name: str) -> _Plugin:
    rec = _builtins.get(name)
    if rec is None:
        rec = _builtins.setdefault(
            name, _Plugin(name, "built-in", module=BUILTIN[name], distribution="flowkit")
        )
    return rec


def _third_party() -> list[_Plugin]:
    """Every third-party entry point of the group (not imported). Reading the metadata is the
    slow part of start-up, so only listing and third-party selection come here."""
    global _entry_points
    if _entry_points is None:
        from importlib import metadata

        recs, seen = [], set()
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            if BUILTIN.get(ep.name) == ep.value:
                continue  # flowkit's own registration of a built-in
            if (ep.name, ep.value) in seen:
                continue  # one distribution found twice on sys.path
            seen.add((ep.name, ep.value))
            dist = getattr(ep, "dist", None)
            recs.append(
                _Plugin(
                    ep.name,
                    "entry point",
                    module=ep.value,
                    entry_point=ep,
                    distribution=dist.name if dist is not None else None,
                )
            )
        with _lock:
            if _entry_points is None:
                _entry_points = recs
    return _entry_points


def _show(value: object) -> str:
    text = repr(value)
    text = text if len(text) <= 80 else text[:77] + "..."
    return f"{text} (a {type(value).__name__})"


def _exc(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _fail(rec: _Plugin, what: str) -> None:
    """Record the first failure of ``rec`` and stop whatever was using it."""
    with _lock:
        if rec.error is None:
            rec.error = what
    raise _Failed(rec.error)


def _note(rec: _Plugin, problem: str) -> None:
    with _lock:
        if problem not in rec.problems:
            rec.problems.append(problem)


def _call(
    rec: _Plugin, hook: str, passthrough: tuple[type[BaseException], ...] = (), **kwargs: Any
) -> Any:
    """Call ``rec``'s own implementation of ``hook`` (``_ABSENT`` if it has none). One plugin,
    one call: whatever it raises is that plugin's, and reaches no other plugin's call."""
    assert rec.pm is not None, "a plugin's hooks are called only once it is validated"
    impls = getattr(rec.pm.hook, hook).get_hookimpls()
    if not impls:
        return _ABSENT
    impl = impls[-1]
    shown = ", ".join(repr(kwargs[a]) for a in ("name", "optimizer") if a in kwargs)
    stage = f"{hook}({shown})"
    rec.stage = stage
    try:
        return impl.function(*[kwargs[a] for a in impl.argnames])
    except passthrough:
        raise
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - SystemExit too: a plugin never ends the program
        raise _HookError(f"{stage} raised {_exc(exc)}") from exc


def _unknown_hooks(pm: pluggy.PluginManager, obj: object) -> list[str]:

    out = []
    for caller in pm.get_hookcallers(obj) or []:
        if caller.spec is None and any(not i.optionalhook for i in caller.get_hookimpls()):
            close = difflib.get_close_matches(caller.name, _HOOKS, n=1)
            out.append(f"{caller.name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return out


def _load(rec: _Plugin) -> None:
    """Import the plugin (built-ins and entry points) and validate its hooks on its own
    PluginManager."""
    if rec.pm is not None:
        return
    if rec.error is not None:
        raise _Failed(rec.error)
    obj = rec.obj
    if obj is None:
        rec.stage = f"import of module {rec.module!r}"
        try:
            if rec.entry_point is not None:
                obj = rec.entry_point.load()
            else:
                assert rec.module is not None  # a built-in: its module is known
                obj = import_module(rec.module)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - SystemExit at import included
            _fail(rec, f"import of module {rec.module!r} raised {_exc(exc)}")
    rec.stage = "registration of its hooks"
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    try:
        pm.register(obj, name=rec.name)
        unknown = _unknown_hooks(pm, obj)
        if unknown:
            _fail(
                rec,
                f"implements unknown hook(s) {', '.join(unknown)}; flowkit's hooks are "
                f"{', '.join(_HOOKS)} (flowkit.hookspecs)",
            )
        pm.check_pending()  # pluggy's own check of the same, in case it knows more
    except _Failed:
        raise
    except pluggy.PluginValidationError as exc:
        _fail(rec, f"does not follow flowkit's hook contract: {' '.join(str(exc).split())}")
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001
        _fail(rec, f"registration of its hooks raised {_exc(exc)}")
    wrappers = sorted(
        {
            c.name
            for c in pm.get_hookcallers(obj) or []
            for i in c.get_hookimpls()
            if i.hookwrapper or getattr(i, "wrapper", False)
        }
    )
    if wrappers:
        _fail(
            rec,
            f"implements {', '.join(wrappers)} as a hook wrapper; flowkit calls each "
            "plugin's hooks one by one and does not run wrappers: drop "
            "hookwrapper=True / wrapper=True",
        )
    with _lock:
        rec.obj, rec.pm = obj, pm


def _declare(rec: _Plugin) -> BackendSpec | None:
    """The plugin's declaration of the backend named like the plugin (checked)."""
    _load(rec)
    if rec.declared:
        return rec.spec
    try:
        specs = _call(rec, "flowkit_declare_backends")
    except _HookError as exc:
        _fail(rec, str(exc))
    if specs is _ABSENT:
        specs = []
    if not isinstance(specs, (list, tuple)) or not all(
        isinstance(s, BackendSpec) and isinstance(s.name, str) for s in specs
    ):
        _fail(
            rec,
            f"flowkit_declare_backends() returned {_show(specs)}, not a list of "
            "flowkit.backend.BackendSpec",
        )
    names = [s.name for s in specs]
    mine = next((s for s in specs if s.name == rec.name), None)
    if mine is None and (specs or rec.origin != "by hand"):
        how = (
            "the name it was registered with" if rec.origin == "by hand" else "its entry-point name"
        )
        _fail(
            rec,
            f"flowkit_declare_backends() declares {names} but not {rec.name!r}, {how}: "
            "a backend is selected by that name, and a plugin cannot take another "
            "backend's name; rename one so that they agree",
        )
    for other in dict.fromkeys(n for n in names if n != rec.name):
        _note(
            rec,
            f"{rec.label}: declares backend {other!r}, which is ignored: a backend is "
            f"selected by its plugin's entry-point name ({rec.name!r}). Fix: ship "
            f"{other!r} as its own entry point, or stop declaring it",
        )
    with _lock:
        rec.spec, rec.declared = mine, True
    return mine


def _probe(rec: _Plugin) -> BackendProbe | None:
    spec = _declare(rec)
    if spec is None or rec.probed:
        return rec.probe
    try:
        probe = _call(rec, "flowkit_probe_backend", name=rec.name)
    except _HookError as exc:
        _fail(rec, str(exc))
    if probe is _ABSENT:
        probe = None
    if probe is not None and not (
        isinstance(probe, BackendProbe)
        and isinstance(probe.usable, bool)
        and (probe.version is None or isinstance(probe.version, str))
        and isinstance(probe.devices, (list, tuple))
        and all(isinstance(d, str) for d in probe.devices)
        and (probe.reason is None or isinstance(probe.reason, str))
    ):
        _fail(
            rec,
            f"flowkit_probe_backend({rec.name!r}) returned {_show(probe)}, not a "
            "flowkit.backend.BackendProbe (version: str|None, usable: bool, devices: "
            "list[str], reason: str|None) or None",
        )
    with _lock:
        rec.probe, rec.probed = probe, True
    return probe


def _inspect(rec: _Plugin) -> None:
    """Import, declare and probe; failures are recorded on ``rec``."""
    try:
        _probe(rec)
    except _Failed:
        pass
    except BaseException as exc:  # noqa: BLE001 - a worker thread must record, never die mute
        with _lock:
            rec.error = rec.error or f"{rec.stage or 'inspection'} failed: {_exc(exc)}"


def _inspect_bounded(recs: list[_Plugin]) -> None:
    """Inspect plugins in parallel daemon threads, waiting at most FLOWKIT_PLUGIN_TIMEOUT: a
    plugin that blocks is reported, and its thread dies with the process."""
    timeout = _timeout()
    started = []
    for rec in recs:
        done = rec.error is not None or (rec.declared and (rec.spec is None or rec.probed))
        if done or rec.worker is not None:
            continue  # answered already, or still running from an earlier listing
        rec.worker = threading.Thread(
            target=_inspect, args=(rec,), daemon=True, name=f"flowkit-plugin-{rec.name}"
        )
        rec.worker.start()
        started.append(rec)
    deadline = time.monotonic() + timeout
    for rec in started:
        if rec.worker is not None:
            rec.worker.join(max(0.0, deadline - time.monotonic()))
        if rec.running():
            rec.waited = timeout
        else:
            rec.worker = None


# --------------------------------------------------------------------------- by hand
def register(plugin: object, name: str | None = None) -> None:
    """Register a plugin object by hand (tests, notebooks); entry points are the usual way.

    Exposed as ``flowkit.register_plugin``. The object implements hooks of
    [`flowkit.hookspecs`][flowkit.hookspecs]. A plugin that provides a backend is registered under
    the backend's name, as an entry point would be; ``name`` is also how
    ``flowkit.unregister_plugin`` removes it. Its hooks are checked and called like an
    installed plugin's, and it is asked ``flowkit_backend_selected`` and
    ``flowkit_select_optimizer_kernel`` whichever backend is selected.

    Args:
        plugin: a module, class instance or other object with ``@hookimpl`` functions.
        name: the plugin's name (default: its ``__name__``, else a unique id).

    Raises:
        BackendError: the name is a built-in backend's or already registered, or the plugin
            breaks the hook contract (unknown hook, wrong argument names, a hook wrapper).

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
    name = name or getattr(plugin, "__name__", None) or f"plugin-{id(plugin)}"
    if name in BUILTIN:
        raise BackendError(
            f"cannot register a plugin named {name!r}: that is flowkit's "
            "built-in backend, and built-ins cannot be replaced. Register it "
            "under another name"
        )
    with _lock:
        if name in _hand:
            raise BackendError(
                f"a plugin named {name!r} is already registered; remove it "
                f"first with flowkit.unregister_plugin({name!r})"
            )
        if any(r.obj is plugin for r in _hand.values()):
            raise BackendError(
                f"this plugin object is already registered (as "
                f"{[r.name for r in _hand.values() if r.obj is plugin][0]!r})"
            )
    rec = _Plugin(name, "by hand", obj=plugin, module=type(plugin).__module__)
    try:
        _load(rec)
    except _Failed:
        raise BackendError(f"cannot register {rec.label}: {rec.error}") from None
    with _lock:
        _hand[name] = rec


def unregister(name: str) -> None:
    """Remove a plugin registered with ``flowkit.register_plugin`` from this process.

    Exposed as ``flowkit.unregister_plugin``. (Installed plugins are switched off with
    ``FLOWKIT_DISABLE_PLUGINS`` instead.)

    Raises:
        ValueError: no plugin of that name was registered by hand.

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
    with _lock:
        if _hand.pop(name, None) is None:
            raise ValueError(
                f"no plugin named {name!r} was registered with flowkit.register_plugin "
                f"(registered: {sorted(_hand)}); an installed plugin is switched off with "
                f"FLOWKIT_DISABLE_PLUGINS={name}"
            )


# --------------------------------------------------------------------------- listing
def _row(rec: _Plugin, tokens: set[str], notes: list[str] | None = None) -> BackendInfo:
    with _lock:
        spec, probe, error, problems = rec.spec, rec.probe, rec.error, list(rec.problems)
    problems += notes or []
    summary = spec.summary if spec is not None else ""
    off = _disabled_by(rec, tokens)
    if off is not None:
        status, usable = "disabled", False
        summary = summary or "(switched off)"
        error = f"switched off by FLOWKIT_DISABLE_PLUGINS (entry {off!r}); not imported"
        problems.insert(
            0, f"{rec.label}: {error}. Remove {off!r} from FLOWKIT_DISABLE_PLUGINS to use it"
        )
    elif rec.running():
        status, usable = "timed out", False
        summary = summary or "(did not answer)"
        error = f"did not answer within {rec.waited:g} s ({rec.stage})"
        problems.insert(
            0,
            f"{rec.label}: {error}. Fix: {rec.fix}; or raise "
            "FLOWKIT_PLUGIN_TIMEOUT if it is only slow",
        )
    elif error is not None:
        status, usable = "broken", False
        problems.insert(0, f"{rec.label}: {error}. Fix: {rec.fix}")
        error = f"Error: {error}"
        summary = summary or "(plugin failed to load)"
    elif spec is None:  # a plugin registered by hand that provides no backend
        status, usable = "ok", False
        summary = "(a plugin without a backend, registered by hand)"
    elif probe is None:
        status, usable = "unusable", False
        error = "its plugin gave no flowkit_probe_backend answer for it"
    else:
        status, usable, error = (
            ("ok", True, None) if probe.usable else ("unusable", False, probe.reason)
        )
    return BackendInfo(
        name=rec.name,
        plugin=rec.name,
        version=probe.version if probe is not None else None,
        usable=usable,
        devices=list(probe.devices) if probe is not None else [],
        summary=summary,
        error=error,
        selected=current is not None and current.name == rec.name,
        distribution=rec.distribution,
        status=status,
        problems=problems,
    )


def backends() -> list[BackendInfo]:
    """Every backend found, usable or not, and every plugin that is broken, clashing, switched
    off or did not answer, one row per name.

    Each installed plugin is imported, declared and probed in its own thread; the listing waits
    at most ``FLOWKIT_PLUGIN_TIMEOUT`` seconds (default 10) for them, so no plugin can hang it.

    Examples:
        >>> import flowkit as flow
        >>> [b.name for b in flow.backends() if b.usable][:1]
        ['numpy']
        >>> numpy_row = [b for b in flow.backends() if b.name == 'numpy'][0]
        >>> numpy_row.status, numpy_row.distribution
        ('ok', 'flowkit')
    """
    tokens = _disabled()
    builtins = [_builtin(n) for n in BUILTIN]
    with _lock:
        hand = list(_hand.values())
    claims: dict[str, list[_Plugin]] = {}
    for rec in _third_party():
        claims.setdefault(rec.name, []).append(rec)
    todo = [r for r in builtins if _disabled_by(r, tokens) is None] + hand
    for name, recs in claims.items():
        live = [r for r in recs if _disabled_by(r, tokens) is None]
        if name not in BUILTIN and name not in _hand and len(live) == 1:
            todo.append(live[0])  # clashing and shadowed plugins are never imported
    _inspect_bounded(todo)

    rows = []
    for rec in builtins:
        notes = [
            f"{r.label}: ignored, {r.name!r} is flowkit's built-in backend and built-ins "
            f"cannot be replaced. Fix: uninstall {r.distribution or r.module} (pip "
            f"uninstall {r.distribution or r.module}), or ask its authors to rename the "
            "entry point"
            for r in claims.get(rec.name, [])
            if _disabled_by(r, tokens) is None
        ]
        rows.append(_row(rec, tokens, notes))
    for rec in hand:
        notes = [
            f"{r.label}: not used in this process, a plugin registered by hand under the "
            "same name takes its place"
            for r in claims.get(rec.name, [])
            if _disabled_by(r, tokens) is None
        ]
        with _lock:
            keep = rec.spec is not None or rec.error is not None or rec.problems or notes
        if keep or rec.running():
            rows.append(_row(rec, tokens, notes))
    for name, recs in claims.items():
        if name in BUILTIN or name in _hand:
            continue
        live = [r for r in recs if _disabled_by(r, tokens) is None]
        if len(live) == 1:
            rows.append(_row(live[0], tokens))
        elif not live:
            rows.append(_row(recs[0], tokens))
        else:
            rows.append(_clash_row(name, live))
    return sorted(rows, key=lambda r: r.name)


def _clash_message(name: str, recs: list[_Plugin]) -> str:
    who = " and ".join(f"module {r.module} (distribution {r.distribution or '?'})" for r in recs)
    dists = [r.distribution or r.module or r.name for r in recs]
    return (
        f"backend name {name!r} is claimed by {len(recs)} plugins: {who}; neither is used. "
        f"Fix: keep one, by uninstalling the others (pip uninstall {dists[1]}) or "
        f"switching them off (FLOWKIT_DISABLE_PLUGINS={','.join(dists[1:])})"
    )


def _clash_row(name: str, recs: list[_Plugin]) -> BackendInfo:
    msg = _clash_message(name, recs)
    return BackendInfo(
        name=name,
        plugin=name,
        version=None,
        usable=False,
        devices=[],
        summary="(several plugins claim this name)",
        error=msg.split("; neither")[0],
        distribution=", ".join(r.distribution or "?" for r in recs),
        status="clash",
        problems=[msg],
    )


def _describe_installed() -> str:
    rows = backends()
    if not rows:
        return "no backends are installed (reinstall flowkit: pip install flowkit)"
    parts = []
    for r in rows:
        state = "usable" if r.usable else f"not usable: {r.error}"
        parts.append(f"  {r.name} ({state})")
    return "installed backends:\n" + "\n".join(parts)


# --------------------------------------------------------------------------- selection
def _find(name: str, source: str) -> _Plugin:
    """The one plugin that provides backend ``name``, importing nothing but metadata."""
    tokens = _disabled()
    if name in BUILTIN:
        rec = _builtin(name)
        if _disabled_by(rec, tokens):
            raise BackendError(
                f"the built-in {name!r} backend is switched off by FLOWKIT_DISABLE_PLUGINS="
                f"{os.environ.get('FLOWKIT_DISABLE_PLUGINS', '')!r}; remove {name!r} from it, "
                f"or choose another backend with FLOWKIT_BACKEND"
            )
        return rec
    with _lock:
        hand = _hand.get(name)
    if hand is not None:
        return hand
    recs = [r for r in _third_party() if r.name == name]
    live = [r for r in recs if _disabled_by(r, tokens) is None]
    if len(live) > 1:
        raise BackendError(_clash_message(name, live))
    if live:
        return live[0]
    if recs:
        off = _disabled_by(recs[0], tokens)
        raise BackendError(
            f"backend {name!r} ({recs[0].label}) is switched off by "
            f"FLOWKIT_DISABLE_PLUGINS (entry {off!r}); remove that entry to use it"
        )
    raise BackendError(
        f"unknown backend {name!r} (from {source}).{_did_you_mean(name)} "
        + _describe_installed()
        + "\nSet FLOWKIT_BACKEND to one of those names."
    )


def _did_you_mean(name: str) -> str:
    """`` Did you mean 'torch'?`` for a near miss (``Torch``, ``nunpy``), else nothing."""
    known = sorted({*BUILTIN, *(r.name for r in _third_party())})
    by_lower = {k.lower(): k for k in known}
    close = by_lower.get(name.strip().lower())
    if close is None:
        near = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
        close = by_lower[near[0]] if near else None
    return f" Did you mean {close!r}?" if close else ""


def _checked_backend(rec: _Plugin, name: str, device: str | None) -> Backend:
    from .tensor import Tensor

    try:
        backend = _call(
            rec, "flowkit_load_backend", passthrough=(DeviceError,), name=name, device=device
        )
    except _HookError as exc:
        _fail(rec, str(exc))
    where = f"flowkit_load_backend({name!r})"
    if backend is _ABSENT or backend is None:
        _fail(
            rec,
            f"declares backend {name!r} but {where} "
            + ("is not implemented" if backend is _ABSENT else "returned None"),
        )
    if not isinstance(backend, Backend):
        _fail(rec, f"{where} returned {_show(backend)}, not a flowkit.backend.Backend")
    try:
        got, tensor = backend.name, getattr(backend, "Tensor", None)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - a property of the plugin's object
        _fail(rec, f"{where} returned a backend whose attributes raise {_exc(exc)}")
    if got != name:
        _fail(rec, f"{where} returned a backend named {got!r}, not {name!r}")
    if not (isinstance(tensor, type) and issubclass(tensor, Tensor)):
        _fail(
            rec,
            f"{where} returned a backend whose .Tensor is {_show(tensor)}, not a "
            "subclass of flowkit.Tensor",
        )
    return backend


def select(name: str | None = None, device: str | None = None) -> Backend:
    """Choose the process's backend: ``name`` or ``$FLOWKIT_BACKEND`` (default ``numpy``) on
    ``device`` or ``$FLOWKIT_DEVICE``. Called on first use; later calls return the same backend
    and refuse a different one.

    Imports the selected backend's plugin only (the built-ins without reading any entry-point
    metadata), in this thread and without a time limit: it is the backend the program asked for.
    """
    global current, _chosen
    source = "flowkit.use_backend" if name else "FLOWKIT_BACKEND"
    name = name or os.environ.get("FLOWKIT_BACKEND", "").strip() or DEFAULT_BACKEND
    device = device or os.environ.get("FLOWKIT_DEVICE", "").strip() or None
    if current is not None:
        if name != current.name:
            raise BackendError(
                f"this process already uses the {current.name!r} backend; a process has one "
                f"backend. Start a new process with FLOWKIT_BACKEND={name}"
            )
        return current
    rec = _find(name, source)
    if rec.worker is not None:
        rec.worker.join()  # still being listed: its answer is this selection's answer
        rec.worker = None
    try:
        probe = _probe(rec)
        if rec.spec is None:  # only a plugin registered by hand may provide no backend
            raise BackendError(
                f"{rec.label} provides no backend: its flowkit_declare_backends "
                f"does not declare {name!r}. " + _describe_installed()
            )
        if probe is not None and not probe.usable:
            raise BackendError(f"backend {name!r} cannot run here: {probe.reason}")
        backend = _checked_backend(rec, name, device)
    except _Failed:
        raise BackendError(
            f"backend {name!r} failed to load: {rec.label}: {rec.error}.\n"
            f"Fix: {rec.fix}.\n" + _describe_installed()
        ) from None
    # set first: a notified plugin may use flowkit, which must not select again
    current, _chosen = backend, rec
    try:
        _call(rec, "flowkit_backend_selected", backend=backend)
    except _HookError as exc:
        current = _chosen = None
        with _lock:
            rec.error = rec.error or str(exc)
        raise BackendError(
            f"backend {name!r} failed to start: {rec.label}: {exc}.\nFix: {rec.fix}."
        ) from None
    with _lock:
        hand = [r for r in _hand.values() if r is not rec]
    for other in hand:
        try:
            _call(other, "flowkit_backend_selected", backend=backend)
        except _HookError as exc:
            problem = f"{other.label}: {exc}. Fix: {other.fix}"
            _note(other, problem)
            warnings.warn(
                f"flowkit: {problem}. The {name!r} backend is selected anyway.",
                RuntimeWarning,
                stacklevel=2,
            )
    return backend


def _plugin_of(backend: Backend) -> _Plugin | None:
    if _chosen is not None and backend is current:
        return _chosen
    name = getattr(backend, "name", "")
    if name in BUILTIN:
        return _builtins.get(name)
    return _hand.get(name) or next(
        (r for r in _entry_points or [] if r.name == name and r.pm is not None), None
    )


def optimizer_kernel(
    backend: Backend, optimizer: str, hyperparams: dict[str, Any]
) -> Callable[..., None] | None:
    """The fast update kernel for ``optimizer`` on ``backend``, or ``None`` for the reference.

    Asks ``flowkit_select_optimizer_kernel`` of ``backend``'s own plugin and of no other: no
    plugin, installed or registered by hand, can replace another backend's optimizers.

    Raises:
        BackendError: a plugin's hook raised or offered something that is not callable (no
            silent fallback: the program would train with a different update than intended).

    Examples:
        >>> import flowkit as flow
        >>> from flowkit import _plugins
        >>> callable(_plugins.optimizer_kernel(flow.backend(), "sgd", {"lr": 0.1}))
        True
    """
    own = _plugin_of(backend)
    for rec in [own] if own is not None and own.pm is not None else []:
        try:
            kernel = _call(
                rec,
                "flowkit_select_optimizer_kernel",
                backend=backend,
                optimizer=optimizer,
                hyperparams=dict(hyperparams),
            )
        except _HookError as exc:
            _note(rec, f"{rec.label}: {exc}. Fix: {rec.fix}")
            raise BackendError(
                f"{rec.label} failed to choose the {optimizer!r} update: {exc}. Fix: {rec.fix}"
            ) from None
        if kernel is _ABSENT or kernel is None:
            continue
        if not callable(kernel):
            what = (
                f"flowkit_select_optimizer_kernel({optimizer!r}) returned {_show(kernel)}, "
                "not a callable or None"
            )
            _note(rec, f"{rec.label}: {what}. Fix: {rec.fix}")
            raise BackendError(f"{rec.label}: {what}. Fix: {rec.fix}")
        return kernel
    return None


def get() -> Backend:
    """The selected backend, selecting it on first use."""
    b = current
    return b if b is not None else select()
