"""``flowkit.autograd.Function``: an op with a forward and a backward written by the user, with
PyTorch's API (``torch.autograd.Function``).

The rules shared by every backend live here: what ``ctx`` offers, which inputs need a gradient,
and the checks on what ``backward`` returns. The backend links the outputs into its graph
([`Backend.apply_function`][flowkit.backend.Backend.apply_function]): the numpy backend with a
node of flowkit's engine, the torch backend with a ``torch.autograd.Function`` made for the
user's class.
"""

from __future__ import annotations

from typing import Any

from .. import _plugins
from ..errors import AutogradError, ShapeError, shape_str
from ..tensor import Tensor
from .grad_mode import is_grad_enabled, no_grad

__all__ = ["Function", "FunctionCtx"]


class FunctionCtx:
    """The ``ctx`` that ``forward`` and ``backward`` of a
    [`Function`][flowkit.autograd.Function] share: tensors saved for backward, which inputs need
    a gradient, and any attribute ``forward`` sets on it (``ctx.k = 3``)."""

    needs_input_grad: tuple[bool, ...]
    materialize_grads: bool

    def __init__(self) -> None:
        self.needs_input_grad = ()
        self.materialize_grads = True
        self._to_save: tuple = ()
        self._saved: tuple | None = None  # set by a backend that keeps the tensors itself
        self._non_differentiable: tuple = ()

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Keep ``tensors`` (inputs, outputs or intermediate results; ``None`` allowed) for
        ``backward``, which reads them as ``ctx.saved_tensors``. Call it in ``forward``."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward: argument {i} is a {type(t).__name__}; only flowkit "
                    "tensors (or None) can be saved. Keep other values as attributes of ctx "
                    "(ctx.value = ...)"
                )
        self._to_save = tensors

    @property
    def saved_tensors(self) -> tuple:
        """The tensors ``forward`` passed to ``save_for_backward``, in that order."""
        return self._to_save if self._saved is None else self._saved

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        """Declare outputs of ``forward`` that no gradient flows through (indices, masks): they
        come out with ``requires_grad=False``, and ``backward`` gets ``None`` (or zeros) for
        them."""
        self._non_differentiable = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """With ``True`` (the default) ``backward`` gets a zero tensor for an output that
        received no gradient; with ``False`` it gets ``None`` there."""
        self.materialize_grads = bool(value)


class Function:
    """Base class of ops whose gradient is given by hand, as ``torch.autograd.Function``:
    subclass it with two static methods, ``forward(ctx, *args, **kwargs)`` (computes the
    outputs, with gradient recording off) and ``backward(ctx, *grad_outputs)`` (one gradient per
    output in, one per argument of ``forward`` out, ``None`` for arguments that are not tensors
    or need none), and call it with ``MyFunction.apply(...)``.

    ``ctx`` saves tensors for backward (``ctx.save_for_backward``/``ctx.saved_tensors``), says
    which inputs need a gradient (``ctx.needs_input_grad``), marks outputs that are not
    differentiable (``ctx.mark_non_differentiable``) and whether outputs that got no gradient
    give ``backward`` zeros or ``None`` (``ctx.set_materialize_grads``). ``backward`` runs with
    gradient recording off unless the backward pass has ``create_graph=True``: then the ops it
    runs are recorded, and its result can be differentiated again.

    A backward through the outputs raises
    [`AutogradError`][flowkit.errors.AutogradError] when ``backward`` returns another number of
    gradients than ``forward`` has arguments (trailing ``None`` may be added), or a gradient for
    an argument that is not a tensor, and [`ShapeError`][flowkit.errors.ShapeError] when a
    gradient's shape does not fit its input (it must have the input's shape or broadcast from
    it; it is then summed down, as in PyTorch).

    Examples:
        >>> import flowkit as flow
        >>> class Cube(flow.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x, scale=1.0):
        ...         ctx.save_for_backward(x)
        ...         ctx.scale = scale
        ...         return x ** 3 * scale
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         (x,) = ctx.saved_tensors
        ...         return grad * 3 * x ** 2 * ctx.scale, None
        >>> x = flow.tensor([1.0, 2.0], requires_grad=True)
        >>> y = Cube.apply(x, 2.0)
        >>> y
        tensor([ 2., 16.], dtype=flowkit.float32, grad_fn=<CubeBackward>)
        >>> y.sum().backward()
        >>> x.grad
        tensor([ 6., 24.], dtype=flowkit.float32)
    """

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        """Compute the outputs (a tensor, or a tuple) from the arguments."""
        raise NotImplementedError(
            "a flowkit.autograd.Function subclass must define forward(ctx, *args) as a "
            "@staticmethod"
        )

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Any) -> Any:
        """The gradients of the arguments of ``forward`` from those of its outputs."""
        raise NotImplementedError(
            "a flowkit.autograd.Function subclass must define backward(ctx, *grad_outputs) as a "
            "@staticmethod to be differentiated"
        )

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` on the arguments and record the op, so that a backward through its
        outputs calls ``backward``. Keyword arguments go to ``forward`` and get no gradient."""
        ctx = FunctionCtx()
        grad_on = is_grad_enabled()
        ctx.needs_input_grad = tuple(
            grad_on and isinstance(a, Tensor) and bool(a.requires_grad) for a in args
        )
        if not any(ctx.needs_input_grad):  # nothing to record: forward is all there is
            with no_grad():
                return cls.forward(ctx, *args, **kwargs)
        ctx._in_shapes = tuple(tuple(a.shape) if isinstance(a, Tensor) else None for a in args)  # type: ignore[attr-defined]
        return _plugins.get().apply_function(cls, ctx, args, kwargs)


# ------------------------------------------------------------------ for the backends
def run_forward(fn: type[Function], ctx: FunctionCtx, args: tuple, kwargs: dict):
    """``fn.forward`` (the caller has switched recording off) as ``(outputs, is_tuple)``:
    ``outputs`` a tuple, whose tensors the caller links into its graph."""
    out = fn.forward(ctx, *args, **kwargs)
    is_tuple = isinstance(out, tuple)
    outs = out if is_tuple else (out,)
    if not any(isinstance(o, Tensor) for o in outs):
        raise TypeError(
            f"{fn.__name__}.forward returned {type(out).__name__}; it must return a flowkit "
            "tensor or a tuple with at least one tensor"
        )
    return outs, is_tuple


def differentiable(ctx: FunctionCtx, out: Any) -> bool:
    """Whether the output ``out`` of ``forward`` gets a gradient: a floating-point tensor not
    marked non-differentiable (integer outputs never do, as in PyTorch)."""
    return (
        isinstance(out, Tensor)
        and out.dtype.is_floating_point
        and not any(out is t for t in ctx._non_differentiable)
    )


def run_backward(
    fn: type[Function], ctx: FunctionCtx, grads: list, outputs_meta: list
) -> tuple[Tensor | None, ...]:
    """Call ``fn.backward`` with one gradient per output (``None`` where an output got none:
    zeros of ``outputs_meta[i]`` = ``(shape, dtype, device)`` if the ctx materializes them) and
    check what it returns: one gradient per argument of ``forward``."""
    if ctx.materialize_grads:
        from .._creation import zeros

        grads = [
            zeros(*m[0], dtype=m[1], device=m[2]) if g is None and m is not None else g
            for g, m in zip(grads, outputs_meta)
        ]
    res = fn.backward(ctx, *grads)
    res = res if isinstance(res, tuple) else (res,)
    shapes = ctx._in_shapes  # type: ignore[attr-defined]
    name = fn.__name__ + "Backward"
    n = len(shapes)
    if len(res) != n and not (len(res) > n and all(r is None for r in res[n:])):
        raise AutogradError(
            f"function {name} returned an incorrect number of gradients (expected {n}, got "
            f"{len(res)}): backward returns one gradient per argument of forward, None for the "
            "arguments that are not tensors or need no gradient"
        )
    res = res[:n]
    for i, (g, shape) in enumerate(zip(res, shapes)):
        if g is None:
            continue
        if shape is None:
            raise AutogradError(
                f"function {name} returned a gradient different than None at position {i + 1}, "
                "but the corresponding forward input was not a tensor; return None there"
            )
        if not isinstance(g, Tensor):
            raise TypeError(
                f"function {name} returned a {type(g).__name__} as the gradient at position "
                f"{i + 1}; return a flowkit tensor (or None)"
            )
        if not ctx.needs_input_grad[i]:
            continue
        gs = tuple(g.shape)
        lead = len(gs) - len(shape)
        if lead < 0 or any(s != 1 and s != gs[lead + k] for k, s in enumerate(shape)):
            raise ShapeError(
                f"function {name} returned an invalid gradient at position {i + 1}: got shape "
                f"{shape_str(gs)}, but the input has shape {shape_str(shape)}; return a "
                "gradient of the input's shape"
            )
    return res
