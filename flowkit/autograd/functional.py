"""``flowkit.autograd.grad`` and ``flowkit.autograd.backward``: PyTorch's functional autograd.

The arguments are checked here, once, with flowkit's messages; the selected backend computes
(the numpy backend's own engine, or ``torch.autograd``), so both behave and fail alike.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import _plugins
from ..errors import AutogradError, ShapeError, shape_str
from ..tensor import Tensor


def _tensors(value, what: str) -> list[Tensor]:
    items = [value] if isinstance(value, Tensor) else value
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise TypeError(
            f"{what} must be a flowkit tensor or a sequence of them, got {type(value).__name__}"
        )
    items = list(items)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise TypeError(f"{what}[{i}] must be a flowkit tensor, got {type(t).__name__}")
    if not items:
        raise ValueError(f"{what} is empty: pass at least one tensor")
    return items


def _seeds(outputs: list[Tensor], given, fn: str, arg: str) -> list[Tensor | None]:
    """One gradient (or ``None``: ones) per output, checked against it."""
    if given is None:
        given = [None] * len(outputs)
    elif isinstance(given, Tensor):
        given = [given]
    else:
        given = list(given)
    if len(given) != len(outputs):
        raise AutogradError(
            f"{fn}(): {len(given)} {arg} for {len(outputs)} outputs; pass one "
            "per output (None stands for 1 with a scalar output)"
        )
    for i, (o, g) in enumerate(zip(outputs, given)):
        if not o.requires_grad:
            raise AutogradError(
                f"{fn}(): output {i} does not require grad and has no grad_fn: no input of its "
                "computation has requires_grad=True (or it ran under no_grad)"
            )
        if g is None:
            if o.numel() != 1:
                raise AutogradError(
                    f"{fn}(): output {i} has shape {shape_str(o.shape)}, so its gradient must be "
                    f"given: pass {arg} (a tensor of that shape), or reduce the output to a "
                    "scalar first (.sum())"
                )
        elif not isinstance(g, Tensor):
            raise TypeError(
                f"{fn}(): {arg}[{i}] must be a flowkit tensor or None, got {type(g).__name__}"
            )
        elif tuple(g.shape) != tuple(o.shape):
            raise ShapeError(
                f"{fn}(): {arg}[{i}] has shape {shape_str(g.shape)}, output {i} has "
                f"shape {shape_str(o.shape)}; they must match"
            )
    return given


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, returned rather than accumulated.

    Computes the vector-Jacobian product ``sum_i grad_outputs[i] * d outputs[i] / d input`` for
    each input, as ``torch.autograd.grad`` does. No tensor's ``.grad`` changes. With
    ``create_graph=True`` the gradients are themselves part of a graph, so they can be
    differentiated again: second derivatives, Hessian-vector products, gradient penalties.

    Args:
        outputs (Tensor | Sequence[Tensor]): a tensor, or a sequence of tensors, to differentiate.
        inputs (Tensor | Sequence[Tensor]): a tensor, or a sequence of tensors, to differentiate
            with respect to (leaves or intermediate tensors; each must require grad).
        grad_outputs (Tensor | Sequence[Tensor | None] | None): the gradient of each output (a
            tensor of its shape); ``None``, or ``None`` for one output, stands for ``1`` and needs
            a scalar output.
        retain_graph: keep the graph for another backward; defaults to ``create_graph``.
        create_graph: record the gradient computation, so the results can be differentiated.
        allow_unused: return ``None`` for an input the outputs do not depend on, instead of
            raising.

    Returns:
        A tuple with one gradient per input (``None`` for unused ones with ``allow_unused``).

    Raises:
        AutogradError: an output or input does not require grad, a non-scalar output has no
            gradient given, an input is unused (without ``allow_unused``), the graph was freed
            by an earlier backward, or (numpy backend) ``create_graph`` meets an op whose
            gradient cannot be differentiated.
        ShapeError: a gradient in ``grad_outputs`` has the wrong shape.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> y = (x ** 3).sum()
        >>> (dy,) = flow.autograd.grad(y, x, create_graph=True)
        >>> dy.tolist()
        [3.0, 12.0, 27.0]
        >>> (d2y,) = flow.autograd.grad(dy.sum(), x)  # d2/dx2 of x**3 is 6x
        >>> d2y.tolist()
        [6.0, 12.0, 18.0]
        >>> x.grad is None
        True
    """
    outs = _tensors(outputs, "outputs")
    ins = _tensors(inputs, "inputs")
    seeds = _seeds(outs, grad_outputs, "grad", "grad_outputs")
    for i, t in enumerate(ins):
        if not t.requires_grad:
            raise AutogradError(
                f"grad(): input {i} does not require grad, so it has no "
                "gradient; create it with requires_grad=True (or call "
                ".requires_grad_())"
            )
    if retain_graph is None:
        retain_graph = create_graph
    res = _plugins.get().grad(outs, ins, seeds, bool(retain_graph), bool(create_graph))
    if not allow_unused:
        for i, r in enumerate(res):
            if r is None:
                raise AutogradError(
                    f"grad(): input {i} was not used to compute the outputs, so it has no "
                    "gradient; pass allow_unused=True to get None for it"
                )
    return tuple(res)


def backward(
    tensors, grad_tensors=None, retain_graph: bool | None = None, create_graph: bool = False
) -> None:
    """Accumulate into the leaves' ``.grad`` the gradients of several outputs at once.

    The same as ``sum(t * g for t, g in zip(tensors, grad_tensors)).backward()``, without
    building the sum: one pass over the graph they share (``torch.autograd.backward``).

    Args:
        tensors (Tensor | Sequence[Tensor]): a tensor, or a sequence of tensors, to differentiate.
        grad_tensors (Tensor | Sequence[Tensor | None] | None): the gradient of each (a tensor of
            its shape); ``None`` stands for ``1`` and needs a scalar.
        retain_graph: keep the graph for another backward; defaults to ``create_graph``.
        create_graph: record the gradient computation, so the ``.grad`` tensors can be
            differentiated again.

    Examples:
        >>> import flowkit as flow
        >>> x = flow.tensor([1.0, 2.0], requires_grad=True)
        >>> flow.autograd.backward([(x * x).sum(), (3 * x).sum()])
        >>> x.grad.tolist()
        [5.0, 7.0]
    """
    outs = _tensors(tensors, "tensors")
    seeds = _seeds(outs, grad_tensors, "backward", "grad_tensors")
    if retain_graph is None:
        retain_graph = create_graph
    _plugins.get().autograd_backward(outs, seeds, bool(retain_graph), bool(create_graph))
