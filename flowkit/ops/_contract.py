"""How the core declares an op that backends implement, and the types the declarations use.

A declaration is a method on [`flowkit.Tensor`][flowkit.Tensor] (or
[`flowkit.backend.Backend`][flowkit.backend.Backend]) whose body is only its docstring, marked with
`backend_method`. The backend's subclass defines a method of the same name, which shadows the
declaration, so the hot path is one ordinary method call: flowkit adds nothing between the user and
the backend. A backend that leaves an op out inherits the declaration, which raises
[`BackendNotImplementedError`][flowkit.errors.BackendNotImplementedError] naming the op and the
backend (``flowkit check-backend`` reports it as *not implemented*).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, Union

import numpy as np

from ..errors import ArgumentTypeError, BackendNotImplementedError

if TYPE_CHECKING:
    from ..device import device
    from ..dtypes import dtype
    from ..tensor import Size, Tensor

F = TypeVar("F", bound=Callable)

if TYPE_CHECKING:

    class FromOtherFamilies:
        """What a family's methods written over other families' ones use from them (for mypy
        only). One class shared by every family and a base of each, so it comes last in
        Tensor's MRO: these stubs never hide the real declarations, neither at run time (it is
        ``object`` there) nor in the API reference (griffe follows the same MRO)."""

        @property
        def shape(self) -> Size: ...
        @property
        def dtype(self) -> dtype: ...
        @property
        def device(self) -> device: ...
        def __getitem__(self, key: Any) -> Tensor: ...
        def reshape(self, *shape: Any) -> Tensor: ...
        def expand(self, *sizes: Any) -> Tensor: ...
        def numel(self) -> int: ...
        def detach(self) -> Tensor: ...
        def clone(self) -> Tensor: ...
        def index_select(self, dim: int, index: Tensor) -> Tensor: ...
        def masked_fill(self, mask: Tensor, value: Any) -> Tensor: ...

else:
    FromOtherFamilies = object


#: A Python number where an op takes a tensor or a number (``x + 1``, ``clamp(x, 0)``).
Number = int | float | bool
# (the aliases that name a flowkit type are Unions of strings: this module is imported before
# those types exist, and ``"Tensor" | int`` cannot be evaluated at run time)
#: An operand of an elementwise op: a flowkit tensor or a Python number.
Operand = Union["Tensor", int, float, bool]  # noqa: UP007
#: One dimension, several, or ``None`` for all of them (reductions).
Dims = int | Sequence[int] | None
#: What ``dtype=`` accepts: a flowkit dtype, its name (``"float32"``) or a numpy dtype.
DTypeLike = Union["dtype", str, type, None]  # noqa: UP007
#: What ``device=`` accepts: a flowkit device or its name (``"cpu"``, ``"cuda:0"``).
DeviceLike = Union["device", str, None]  # noqa: UP007

DECLARED = "__flowkit_declared__"  # the attribute that marks an inherited declaration


def backend_method(fn: F) -> F:
    """Mark ``fn`` (a docstring-only method) as declared here and implemented by each backend.

    The function left in its place keeps the declaration's name, signature and docstring (so
    ``help()``, IDEs and the API reference show the contract) and, if it is ever called, raises
    [`BackendNotImplementedError`][flowkit.errors.BackendNotImplementedError]: the backend did not
    implement it.

    Examples:
        >>> from flowkit.ops._contract import backend_method, is_declaration
        >>> class Contract:
        ...     @backend_method
        ...     def frobnicate(self, n: int) -> int:
        ...         '''Frobnicate ``n`` times.'''
        >>> class Partial(Contract):
        ...     pass
        >>> Partial().frobnicate(2)
        Traceback (most recent call last):
            ...
        flowkit.errors.BackendNotImplementedError: Contract.frobnicate is not implemented by ...
        >>> is_declaration(Partial.frobnicate)
        True
    """
    owner = fn.__qualname__.rsplit(".", 1)[0]
    if owner.endswith("Methods"):  # a family mixin of flowkit.Tensor: users know it as Tensor
        owner = "Tensor"

    @functools.wraps(fn)
    def not_implemented(self, *args, **kwargs):
        raise BackendNotImplementedError(
            f"{owner}.{fn.__name__} is not implemented by {_implementer(self)}; use another "
            "backend for this program (FLOWKIT_BACKEND=numpy or torch), or implement the op "
            "there (`flowkit check-backend NAME` lists what a backend is missing)"
        )

    setattr(not_implemented, DECLARED, True)
    return not_implemented  # type: ignore[return-value]


def _implementer(obj) -> str:
    """``"the 'mini' backend (MiniTensor)"``: who should have implemented the op."""
    from .. import _plugins

    backend = _plugins.current
    name = f"the {backend.name!r} backend" if backend is not None else "this backend"
    return f"{name} ({type(obj).__name__})"


def is_declaration(attr) -> bool:
    """Whether ``attr`` (a class attribute, a property's getter included) is a bare declaration
    that no backend method replaced.

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.ops._contract import is_declaration
        >>> is_declaration(flow.Tensor.sum), is_declaration(type(flow.zeros(1)).sum)
        (True, False)
    """
    if isinstance(attr, property):
        attr = attr.fget
    return bool(getattr(attr, DECLARED, False))


def foreign_array_error(op: str, value, where: str = "an operand") -> ArgumentTypeError | None:
    """The error for another library's array (a numpy array, a torch tensor, anything with
    ``__array__`` or ``__dlpack__``) where a flowkit op takes a flowkit tensor, or ``None`` for any
    other object. ``where`` names the argument: ``"the second operand"``, ``"element 1"``.
    flowkit does not convert such arrays silently (a numpy array next to a tensor could mean a
    copy, a view or numpy's promotion rules): the message says how to convert it.

    Examples:
        >>> import numpy as np
        >>> from flowkit.ops._contract import foreign_array_error
        >>> print(foreign_array_error("add", np.ones(2)))
        add: a flowkit tensor and a numpy array cannot be mixed (an operand is a numpy.ndarray); ...
        >>> foreign_array_error("add", [1, 2]) is None
        True
    """
    if isinstance(value, np.ndarray):
        noun, name = "a numpy array", "numpy.ndarray"
        fix = "flowkit.from_numpy(x) (shares its memory) or flowkit.tensor(x) (a copy)"
    else:
        cls = type(value)
        if isinstance(value, (_tensor.Tensor, np.generic)) or not (
            hasattr(cls, "__array__") or hasattr(cls, "__dlpack__")
        ):
            return None
        name = f"{cls.__module__}.{cls.__qualname__}"
        top = cls.__module__.partition(".")[0]
        noun = "a torch tensor" if top == "torch" else f"a {name}"
        fix = "flowkit.tensor(x)"
    return ArgumentTypeError(
        f"{op}: a flowkit tensor and {noun} cannot be mixed ({where} is a {name}); convert it "
        f"first with {fix}"
    )


def need_tensor(op: str, x) -> None:
    """A function form's check of its first argument (``flowkit.sum([1, 2])`` is an error).

    Examples:
        >>> from flowkit.ops._contract import need_tensor
        >>> need_tensor("sum", [1, 2])
        Traceback (most recent call last):
            ...
        flowkit.errors.ArgumentTypeError: flowkit.sum: expected a flowkit tensor, got list; ...
    """
    if not isinstance(x, _tensor.Tensor):
        err = foreign_array_error(f"flowkit.{op}", x, "the input")
        if err is not None:
            raise err
        raise ArgumentTypeError(
            f"flowkit.{op}: expected a flowkit tensor, got {type(x).__name__}; "
            "make one with flowkit.tensor(...)"
        )


def not_a_tensor(op: str, x) -> NoReturn:
    """Called in a function form's ``except AttributeError`` (``flowkit.exp(x)`` calls
    ``x.exp()``): raises `need_tensor`'s error for an ``x`` that is not a flowkit tensor
    (a numpy array gets `foreign_array_error`'s), else re-raises the AttributeError."""
    if isinstance(x, _tensor.Tensor):
        raise  # the AttributeError being handled: a tensor's own
    need_tensor(op, x)
    raise AssertionError("unreachable")


# last, because flowkit.tensor imports this module for the names above (whichever of the two is
# imported first, the other finds what it needs)
from .. import tensor as _tensor  # type: ignore[no-redef]  # noqa: E402 (mypy: the cycle)
