"""flowkit's torch backend: torch tensors and torch's autograd, on CPU or CUDA.

Registered in the ``flowkit.backends`` entry-point group as ``torch``. This module holds only the
plugin hooks and must stay cheap: it is loaded as a plugin in every process, numpy-backed ones
included, so it never imports torch at import time. torch is imported when the backend is probed
(``flowkit backends``, selection) or loaded.
"""

from __future__ import annotations

from importlib import metadata

from flowkit.backend import BackendProbe, BackendSpec
from flowkit.hookspecs import hookimpl

NAME = "torch"
REQUIRES = ("torch>=2.4",)
_MIN_VERSION = (2, 4)
_INSTALL = 'pip install "flowkit[torch]"  (or pip install torch)'


@hookimpl
def flowkit_declare_backends():
    return [BackendSpec(NAME, "PyTorch tensors and autograd; cpu, cuda when available", REQUIRES)]


def _version_tuple(version: str) -> tuple[int, ...]:
    """``"2.13.0+cpu"`` -> ``(2, 13)``; unparsable parts count as 0."""
    parts = []
    for p in version.split("+")[0].split(".")[:2]:
        digits = "".join(c for c in p if c.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


@hookimpl
def flowkit_probe_backend(name):
    if name != NAME:
        return None
    try:
        # the distribution's metadata, not `import torch`: a missing torch costs nothing here
        version = metadata.version("torch")
    except metadata.PackageNotFoundError:
        return BackendProbe(
            None, False, reason=f"torch is not installed; install it with: {_INSTALL}"
        )
    if _version_tuple(version) < _MIN_VERSION:
        return BackendProbe(
            version,
            False,
            reason=(
                f"torch {version} is too old; flowkit needs {REQUIRES[0]}: pip install -U torch"
            ),
        )
    try:
        import torch
    except Exception as exc:  # noqa: BLE001 - a broken install is reported, not raised
        return BackendProbe(
            version,
            False,
            reason=(
                f"torch {version} is installed but fails to import ({type(exc).__name__}: {exc}); "
                "reinstall it with: pip install --force-reinstall torch"
            ),
        )
    n = torch.cuda.device_count() if torch.cuda.is_available() else 0
    return BackendProbe(version, True, ["cpu"] + [f"cuda:{i}" for i in range(n)])


@hookimpl
def flowkit_load_backend(name, device):
    if name != NAME:
        return None
    from .backend import TorchBackend

    return TorchBackend(device)


@hookimpl
def flowkit_select_optimizer_kernel(backend, optimizer, hyperparams):
    if backend.name != NAME:
        return None
    from .optim import KERNELS

    return KERNELS.get(optimizer)
