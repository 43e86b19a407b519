"""``flowkit.nn.Parameter``: a tensor that a Module registers as a learnable parameter."""

from __future__ import annotations

from .. import _plugins
from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad and that [`Module`][flowkit.nn.Module] collects in
    ``parameters()``.

    ``Parameter(t)`` shares memory with ``t``. Each backend's parameter type subclasses both its
    tensor type and this class, so ``isinstance(p, flowkit.nn.Parameter)`` holds everywhere, and
    its ``__name__`` is ``"Parameter"`` (as ``type(p).__name__`` is in PyTorch; its
    ``__qualname__`` stays the backend's, so pickling still finds the class).

    Examples:
        >>> import flowkit as flow
        >>> p = flow.nn.Parameter(flow.zeros(2))
        >>> p.requires_grad, isinstance(p, flow.Tensor)
        (True, True)
        >>> w = flow.nn.Linear(2, 1).weight
        >>> isinstance(w, flow.nn.Parameter), type(w).__name__
        (True, 'Parameter')
    """

    __slots__ = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.__name__ = "Parameter"  # a backend's parameter type reads as flowkit's

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        backend = _plugins.get()
        if data is None:
            from .._creation import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(
                f"Parameter expects a flowkit tensor, got {type(data).__name__}; wrap the value "
                "with flowkit.tensor(...) first"
            )
        return backend.make_parameter(data.detach(), requires_grad)

    def __init__(self, data=None, requires_grad: bool = True):
        pass  # everything happened in __new__
