"""flowkit: a OneFlow-style deep-learning API on pluggable backends.

``import flowkit as flow`` and write OneFlow/PyTorch-style code; choose the backend with
``FLOWKIT_BACKEND`` (``numpy``, the default, or ``torch``) and the device with ``FLOWKIT_DEVICE``.
The backend is chosen once per process, on first use, never at import: importing flowkit with the
numpy backend never imports torch.
"""

from __future__ import annotations

from . import autograd, cuda, datasets, nn, optim, utils  # datasets imports sklearn lazily
from . import random as _random_module
from . import return_types as return_types
from ._creation import (
    arange,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from ._functions import (
    abs,
    add,
    all,
    allclose,
    any,
    argmax,
    argmin,
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    cat,
    ceil,
    chunk,
    clamp,
    clip,
    concat,
    concatenate,
    cos,
    div,
    eq,
    exp,
    expm1,
    flatten,
    flip,
    floor,
    floor_divide,
    ge,
    gt,
    is_tensor,
    isfinite,
    isinf,
    isnan,
    le,
    log,
    log1p,
    log2,
    log10,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    masked_fill,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mm,
    mul,
    ne,
    neg,
    norm,
    numel,
    permute,
    pow,
    prod,
    reciprocal,
    relu,
    remainder,
    reshape,
    round,
    rsqrt,
    sigmoid,
    sign,
    sin,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    sub,
    sum,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
)
from ._plugins import backends
from ._plugins import register as register_plugin
from ._plugins import unregister as unregister_plugin
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .device import device
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
    AutogradError,
    BackendError,
    DeviceError,
    DTypeError,
    FlowkitError,
    SerializationError,
    ShapeError,
    StateDictError,
)
from .random import get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .serialization import load, save
from .tensor import Size, Tensor

__version__ = "0.1.0"


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
