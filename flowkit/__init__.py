"""flowkit: a OneFlow-style deep-learning API on pluggable backends.

``import flowkit as flow`` and write OneFlow/PyTorch-style code; choose the backend with
``FLOWKIT_BACKEND`` (``numpy``, the default, or ``torch``) and the device with ``FLOWKIT_DEVICE``.
The backend is chosen once per process, on first use, never at import: importing flowkit with the
numpy backend never imports torch.
"""

from __future__ import annotations

# (datasets imports sklearn lazily; comm/distributed import torch on the first collective)
from . import autograd, comm, cuda, datasets, distributed, env, linalg, nn, optim, utils
from . import random as _random_module
from . import return_types as return_types
from . import sbp as sbp
from ._creation import (
    arange,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    get_default_dtype,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    set_default_dtype,
    tensor,
    zeros,
    zeros_like,
)
from ._plugins import backends
from ._plugins import register as register_plugin
from ._plugins import unregister as unregister_plugin
from ._traceback import install as _install_traceback
from ._version import __version__
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .device import device
from .distributed.placement import placement
from .dtypes import (
    bool,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    uint8,
)
from .errors import (
    ArgumentTypeError,
    ArgumentValueError,
    AutogradError,
    BackendError,
    BackendNotImplementedError,
    DeviceError,
    DistributedError,
    DTypeError,
    FlowkitError,
    SerializationError,
    ShapeError,
    StateDictError,
)
from .nn.functional import gelu, mish, selu, silu, softplus  # OneFlow's top-level forms
from .ops.arithmetic import *  # noqa: F403 - the function forms, listed in each __all__
from .ops.comparison import *  # noqa: F403
from .ops.indexing import *  # noqa: F403
from .ops.linalg import *  # noqa: F403
from .ops.reduction import *  # noqa: F403
from .ops.shape import *  # noqa: F403
from .random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .serialization import load, save
from .tensor import Size, Tensor, is_tensor, numel


def backend():
    """The selected backend object (selecting it now if this is the first use).

    Examples:
        >>> import flowkit as flow
        >>> flow.backend().name in {b.name for b in flow.backends()}
        True
    """
    from . import _plugins

    return _plugins.get()


def use_backend(name: str, device: str | None = None):  # noqa: F811 - the argument
    """Select the backend by name before first use (instead of ``FLOWKIT_BACKEND``).

    A process has one backend: once one is in use, naming it again returns it, and naming
    another raises ``flowkit.BackendError``.

    Examples:
        >>> import flowkit as flow
        >>> name = flow.backend().name
        >>> flow.use_backend(name) is flow.backend()
        True
    """
    from . import _plugins

    return _plugins.select(name, device)


random = _random_module

_install_traceback()  # uncaught flowkit errors end at the user's line (see _traceback.py)
