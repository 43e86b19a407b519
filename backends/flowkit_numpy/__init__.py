"""flowkit's numpy backend: pure numpy kernels and flowkit's own reverse-mode autograd.

Registered in the ``flowkit.backends`` entry-point group as ``numpy``; this module holds only the
plugin hooks, so loading the plugin is cheap. The backend itself is built on selection.
"""

from __future__ import annotations

import numpy as np

from flowkit.backend import BackendProbe, BackendSpec
from flowkit.hookspecs import hookimpl

NAME = "numpy"


@hookimpl
def flowkit_declare_backends():
    return [BackendSpec(NAME, "pure numpy, flowkit's own autograd; cpu", ("numpy>=1.24",))]


@hookimpl
def flowkit_probe_backend(name):
    if name != NAME:
        return None
    return BackendProbe(version=np.__version__, usable=True, devices=["cpu"])


@hookimpl
def flowkit_load_backend(name, device):
    if name != NAME:
        return None
    from .backend import NumpyBackend

    return NumpyBackend(device)


@hookimpl
def flowkit_select_optimizer_kernel(backend, optimizer, hyperparams):
    if backend.name != NAME:
        return None
    from .optim import KERNELS

    return KERNELS.get(optimizer)
