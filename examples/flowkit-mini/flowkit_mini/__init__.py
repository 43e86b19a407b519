"""flowkit-mini: a small flowkit backend, written as an example of the backend contract.

It runs flowkit programs (``import flowkit as flow``) on numpy arrays, on the CPU, with its own
reverse-mode autograd of a few hundred lines. It uses only flowkit's public API, exactly as a
third-party package such as ``flowkit-cupy`` would, and implements just what a small MLP needs.

A backend is three things:

1. **A plugin** (this module): functions marked ``@flowkit.hookspecs.hookimpl``, found through
   the ``flowkit.backends`` entry point in ``pyproject.toml``::

       [project.entry-points."flowkit.backends"]
       mini = "flowkit_mini"

   flowkit imports this module when ``mini`` is selected, and when it lists backends (``flowkit
   backends``, which imports every plugin, each with a bounded wait), so it must be cheap to
   import: the hooks below import the backend itself only when it is loaded.
2. **A tensor class** (:mod:`.tensor`): a subclass of :class:`flowkit.Tensor` implementing the
   tensor methods over the backend's arrays, with the autograd of :mod:`.autograd`.
3. **A Backend object** (:mod:`.backend`): creation, grad mode and the ops that are not tensor
   methods. After selection flowkit calls it directly; no hook runs per op.

What a backend does not write: the op contract. :mod:`flowkit.ops` declares every op once, family
by family, with its documentation and its argument rules: PyTorch's type promotion
(``flowkit.ops.arithmetic.result_dtype``), dimensions
(``flowkit.ops.shape.normalize_dims``), and every error text as a diagnoser that returns the
exception to raise (``flowkit.ops.linalg.matmul_error``...). This backend raises those, so its
errors read exactly as the built-in backends' do. It calls them only where something failed or
a case is unusual, never on the success path.

Select it with ``FLOWKIT_BACKEND=mini``. What it does not implement raises
:class:`flowkit.BackendNotImplementedError` naming the op (flowkit declares every op once).
"""

from __future__ import annotations

import numpy as np

from flowkit.backend import BackendProbe, BackendSpec
from flowkit.hookspecs import hookimpl

__version__ = "0.1.0"
NAME = "mini"


@hookimpl
def flowkit_declare_backends():
    """Called whenever flowkit lists or selects backends: names only, nothing heavy."""
    return [
        BackendSpec(
            NAME, "a teaching backend: numpy arrays and a small autograd; cpu", ("numpy>=1.24",)
        )
    ]


@hookimpl
def flowkit_probe_backend(name):
    """Only the plugin that declared ``name`` answers; the others return ``None``."""
    if name != NAME:
        return None
    # the version of the library underneath; `usable=False, reason=...` would say how to fix it
    return BackendProbe(version=np.__version__, usable=True, devices=["cpu"])


@hookimpl
def flowkit_load_backend(name, device):
    """Build the Backend once per process, on first use. ``device`` is ``$FLOWKIT_DEVICE``."""
    if name != NAME:
        return None
    from .backend import MiniBackend  # imported only when this backend is selected

    return MiniBackend(device)


# flowkit_select_optimizer_kernel is optional: without it, flowkit's optimizers run their
# reference updates (flowkit/optim/_functional.py) over this backend's tensor ops (sub_, mul_,
# sqrt...), which is exactly what the reference is for. A backend adds a kernel for speed only.
