"""The autograd side of a tensor: ``requires_grad``, ``grad``, ``grad_fn``, ``is_leaf``,
``backward``, ``retain_grad``, ``detach``, ``data``.

The numpy backend implements these with flowkit's own engine, the torch backend with torch's
autograd; both print the same ``grad_fn`` names (`backward_name`) and raise the same
errors. ``flowkit.autograd.grad`` and ``flowkit.autograd.backward`` (several outputs, gradients
returned instead of accumulated) go through the [`Backend`][flowkit.backend.Backend]. (See
`flowkit.ops` for how a family module is laid out.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import AutogradError, DTypeError, ShapeError, shape_str
from ._contract import backend_method

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__: list[str] = []  # the function forms are flowkit.autograd.grad/backward


# ============================================================================ rules and errors
def backward_name(op: str) -> str:
    """``"mse_loss"`` -> ``"MseLossBackward"``: the grad_fn name every backend prints.

    Examples:
        >>> from flowkit.ops.autograd import backward_name
        >>> backward_name("mse_loss")
        'MseLossBackward'
    """
    return "".join(p[:1].upper() + p[1:] for p in op.split("_")) + "Backward"


def freed_graph_error() -> AutogradError:
    """A backward through a graph whose saved values the first backward freed (every backend)."""
    return AutogradError(
        "backward through the graph a second time: its saved values were freed after the first "
        "backward. Pass retain_graph=True to the first backward() if you need to call it again"
    )


def modified_error(
    needed_by: str | None, dtype: str, shape, version: int, saved_version: int | None
) -> AutogradError:
    """A tensor the forward pass saved for backward was changed in place before backward ran
    (PyTorch's version-counter check; the same text on every backend).

    ``needed_by`` is the grad_fn name of the op whose backward needs the tensor (``None``
    where the backend cannot tell), ``dtype`` flowkit's dtype name, ``saved_version`` the
    tensor's version when it was saved (``None``: more in-place writes since than the backend
    remembers).

    Examples:
        >>> from flowkit.ops.autograd import modified_error
        >>> print(modified_error("MulBackward", "flowkit.float32", (2,), 1, 0))
        one of the variables needed for gradient computation has been modified by an inplace operation: MulBackward needs a flowkit.float32 tensor of shape (2,) that is at version 1; expected version 0 instead. Hint: the in-place op ran between the forward pass and backward(): compute out of place (x = x + 1, not x.add_(1)), .clone() the tensor before changing it, or move the in-place op after backward()
    """  # noqa: E501 - a doctest output is one line
    who = f"{needed_by} needs a" if needed_by else "a"
    expected = (
        f"expected version {saved_version} instead"
        if saved_version is not None
        else "it was saved at an earlier version"
    )
    return AutogradError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: {who} {dtype} tensor of shape {shape_str(shape)} that is at version "
        f"{version}; {expected}. Hint: the in-place op ran between the forward pass and "
        "backward(): compute out of place (x = x + 1, not x.add_(1)), .clone() the tensor "
        "before changing it, or move the in-place op after backward()"
    )


def no_graph_error() -> AutogradError:
    """``backward()`` on a tensor no gradient can flow from."""
    return AutogradError(
        "backward() on a tensor that does not require grad and has no grad_fn: no input of the "
        "computation has requires_grad=True (or it ran under no_grad)"
    )


def non_scalar_error(shape) -> AutogradError:
    """``backward()`` without a gradient on an output with several elements."""
    return AutogradError(
        f"backward() without a gradient works only for scalar outputs, this one has shape "
        f"{shape_str(shape)}; call .sum() first or pass gradient=<tensor of the same shape>"
    )


def gradient_shape_error(gradient_shape, shape) -> ShapeError:
    """``backward(gradient)`` with a gradient of another shape than the output."""
    return ShapeError(
        f"backward(gradient): gradient has shape {shape_str(gradient_shape)}, the output has "
        f"shape {shape_str(shape)}; they must match"
    )


def requires_grad_error(dt, is_leaf: bool, value: bool) -> Exception:
    """Why ``requires_grad = value`` cannot be set: switched off on a non-leaf, or on for a
    tensor of a dtype ``dt`` that is not floating point (the caller found one of the two)."""
    if not is_leaf and not value:
        return AutogradError(
            "requires_grad can only be switched off on a leaf tensor; use "
            ".detach() to get a tensor outside the graph"
        )
    return DTypeError(
        f"only floating-point tensors can require gradients, this one is "
        f"{dt!r}; convert it first with .float()"
    )


def grad_value_error(value, shape) -> Exception:
    """Why ``t.grad = value`` is refused for a tensor of ``shape``: ``value`` is not a tensor
    (nor ``None``), or has another shape (the caller found one of the two)."""
    from ..tensor import Tensor

    if not isinstance(value, Tensor):
        return TypeError(f"grad must be a flowkit tensor or None, got {type(value).__name__}")
    return ShapeError(
        f"assigned grad has shape {shape_str(value.shape)}, but the tensor has "
        f"shape {shape_str(shape)}"
    )


def retain_grad_error() -> AutogradError:
    return AutogradError("retain_grad() on a tensor that does not require grad")


# ============================================================================ the methods
class RemovableHandle:
    """What a hook registration returns: ``remove()`` takes the hook off again.

    Examples:
        >>> import flowkit as flow
        >>> w = flow.ones(2, requires_grad=True)
        >>> handle = w.register_post_accumulate_grad_hook(lambda p: print("grad in:", p.grad))
        >>> (w * 3).sum().backward()
        grad in: tensor([3., 3.], dtype=flowkit.float32)
        >>> handle.remove()
        >>> (w * 3).sum().backward()
    """

    __slots__ = ("_remove",)

    def __init__(self, remove: Callable[[], None]):
        self._remove: Callable[[], None] | None = remove

    def remove(self) -> None:
        """Unregister the hook (again: nothing happens)."""
        if self._remove is not None:
            self._remove()
            self._remove = None


def non_leaf_hook_error() -> AutogradError:
    return AutogradError(
        "register_post_accumulate_grad_hook: only a leaf tensor accumulates a .grad, and this "
        "one was computed by an op; register the hook on the leaf (e.g. a parameter) instead"
    )


def hook_requires_grad_error() -> AutogradError:
    return AutogradError(
        "register_post_accumulate_grad_hook: this tensor does not require grad, so no backward "
        "accumulates into it; set requires_grad=True first"
    )


def register_hook_error() -> AutogradError:
    """``register_hook`` on a tensor no gradient flows to (every backend)."""
    return AutogradError(
        "register_hook: this tensor does not require grad, so no gradient will ever reach the "
        "hook; set requires_grad=True on it (or on the leaves it is computed from) first"
    )


def hook_result_error(hook, result, shape) -> Exception:
    """A tensor hook returned something other than ``None`` or a tensor of the gradient's
    ``shape`` (every backend)."""
    from ..tensor import Tensor

    name = getattr(hook, "__name__", type(hook).__name__)
    if not isinstance(result, Tensor):
        return TypeError(
            f"tensor hook {name!r} returned a {type(result).__name__}; a hook returns None (keep "
            "the gradient) or a flowkit tensor (the gradient to use instead)"
        )
    return ShapeError(
        f"tensor hook {name!r} returned a gradient of shape {shape_str(result.shape)}, but the "
        f"gradient has shape {shape_str(shape)}; a hook may change the values, not the shape"
    )


class AutogradMethods:
    """The autograd attributes and methods of [`flowkit.Tensor`][flowkit.Tensor]."""

    __slots__ = ()

    @property
    @backend_method
    def requires_grad(self) -> bool:
        """Whether autograd records ops on this tensor (set it on leaves; floating point only).

        Raises:
            DTypeError: switching it on for an integer or bool tensor.
            AutogradError: switching it off on a tensor computed from others.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.ones(2)
            >>> x.requires_grad = True
            >>> x.requires_grad, (x * 2).requires_grad
            (True, True)
        """

    @requires_grad.setter
    @backend_method
    def requires_grad(self, value: bool) -> None:
        """Switch gradient recording on or off (see the getter)."""

    @backend_method
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set [`requires_grad`][flowkit.Tensor.requires_grad] in place and return the tensor.

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(3).requires_grad_()
            tensor([0., 0., 0.], dtype=flowkit.float32, requires_grad=True)
        """

    @property
    @backend_method
    def grad(self) -> Tensor | None:
        """The gradient accumulated by [`backward`][flowkit.Tensor.backward] (``None`` until then,
        and for non-leaves unless [`retain_grad`][flowkit.Tensor.retain_grad] was called). Assign a
        tensor of the same shape, or ``None``.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([1.0, 2.0], requires_grad=True)
            >>> (x * x).sum().backward()
            >>> x.grad
            tensor([2., 4.], dtype=flowkit.float32)
        """

    @grad.setter
    @backend_method
    def grad(self, value: Tensor | None) -> None:
        """Replace (or clear, with ``None``) the accumulated gradient."""

    @property
    @backend_method
    def grad_fn(self) -> Any:
        """The backward node of the op that made this tensor (``None`` for leaves), printed with
        the same name on every backend.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.ones(2, requires_grad=True)
            >>> (x @ x).grad_fn, x.grad_fn
            (<MatmulBackward object>, None)
        """

    @property
    @backend_method
    def is_leaf(self) -> bool:
        """Whether this tensor was made directly rather than computed by a recorded op.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.ones(2, requires_grad=True)
            >>> x.is_leaf, (x + 1).is_leaf
            (True, False)
        """

    @property
    @backend_method
    def data(self) -> Tensor:
        """The values as a new tensor outside the graph (sharing memory); assigning replaces
        the values without autograd seeing it.

        Examples:
            >>> import flowkit as flow
            >>> w = flow.ones(2, requires_grad=True)
            >>> w.data.requires_grad
            False
        """

    @data.setter
    @backend_method
    def data(self, value: Tensor) -> None:
        """Replace the values (and shape) without autograd seeing it."""

    @backend_method
    def backward(
        self,
        gradient: Tensor | None = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
    ) -> None:
        """Accumulate the gradient of this tensor into the ``.grad`` of every leaf that requires
        grad, walking the graph backwards.

        Args:
            gradient: d(something)/d(this tensor), of this tensor's shape; may be left out for a
                one-element tensor (it is then 1).
            retain_graph: keep the graph's saved values for another backward (by default they
                are freed as backward proceeds, and a second backward is an error).
            create_graph: record the backward pass itself, so gradients can be differentiated
                again (second derivatives).

        Raises:
            AutogradError: nothing requires grad, the output has several elements and no
                ``gradient`` was given, or the graph was freed by an earlier backward.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([1.0, 2.0, 3.0], requires_grad=True)
            >>> (x ** 2).sum().backward()
            >>> x.grad
            tensor([2., 4., 6.], dtype=flowkit.float32)
        """

    @backend_method
    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> RemovableHandle:
        """Call ``hook(self)`` each time a backward has accumulated this leaf's gradient into
        its ``.grad`` (after every contribution of the pass), as PyTorch does. Distributed data
        parallel training uses it to start averaging gradients while backward still runs.

        Raises:
            AutogradError: the tensor is not a leaf.

        Returns:
            A handle whose ``remove()`` takes the hook off.

        Examples:
            >>> import flowkit as flow
            >>> w = flow.ones(2, requires_grad=True)
            >>> handle = w.register_post_accumulate_grad_hook(lambda p: print("ready:", p.grad))
            >>> (w * w).sum().backward()
            ready: tensor([2., 2.], dtype=flowkit.float32)
            >>> handle.remove()
        """

    @backend_method
    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` each time a backward computes the gradient of this tensor (a
        leaf or a tensor computed by ops), as PyTorch does. The hook may return a tensor of the
        same shape, which is then used instead of ``grad`` (by the rest of backward, and in
        ``.grad``); it returns ``None`` to keep it. A leaf's hook runs once per backward, on its
        complete gradient, before it is accumulated into ``.grad``.

        Raises:
            AutogradError: the tensor does not require grad.

        Returns:
            A handle whose ``remove()`` takes the hook off.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([1.0, 2.0], requires_grad=True)
            >>> y = x * 3
            >>> handle = y.register_hook(lambda g: g * 10)
            >>> y.sum().backward()
            >>> x.grad
            tensor([30., 30.], dtype=flowkit.float32)
            >>> handle.remove()
            >>> _ = x.register_hook(lambda g: print("x gets", g))
            >>> (x * 2).sum().backward()
            x gets tensor([2., 2.], dtype=flowkit.float32)
        """

    @backend_method
    def retain_grad(self) -> None:
        """Keep the gradient of this non-leaf tensor in its ``.grad`` at the next backward.

        Examples:
            >>> import flowkit as flow
            >>> x = flow.tensor([1.0, 2.0], requires_grad=True)
            >>> y = x * 3
            >>> y.retain_grad()
            >>> y.sum().backward()
            >>> y.grad
            tensor([1., 1.], dtype=flowkit.float32)
        """

    @backend_method
    def detach(self) -> Tensor:
        """The same values as a new tensor outside the graph (memory is shared).

        Examples:
            >>> import flowkit as flow
            >>> y = flow.ones(2, requires_grad=True) * 2
            >>> y.detach()
            tensor([2., 2.], dtype=flowkit.float32)
        """

    @backend_method
    def detach_(self) -> Tensor:
        """Cut this tensor out of the graph in place: it becomes a leaf that needs no grad.

        Examples:
            >>> import flowkit as flow
            >>> y = flow.ones(2, requires_grad=True) * 2
            >>> y.detach_().is_leaf, y.requires_grad
            (True, False)
        """
