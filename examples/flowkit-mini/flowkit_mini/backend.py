"""``MiniBackend``: the op table flowkit's core calls when ``FLOWKIT_BACKEND=mini``.

What the contract asks of the :class:`flowkit.backend.Backend` object:

* ``name``, ``Tensor`` (the backend's :class:`flowkit.Tensor` subclass), ``Parameter`` (a class
  that subclasses both that and :class:`flowkit.nn.Parameter`, so ``isinstance`` checks in
  ``nn.Module`` hold) and ``device``, the process's default device.
* **Creation.** flowkit's core builds every value in numpy, random numbers included (that is why
  ``flowkit.manual_seed`` gives the same initial weights on every backend), then hands the array
  over: ``from_numpy``, ``full`` and ``make_parameter`` are all a backend needs for
  ``flowkit.tensor``, ``zeros``, ``randn``, ``nn.Parameter`` and friends.
* **Grad mode.** ``set_grad_enabled``: ``flowkit.no_grad()`` keeps the core's per-thread flag and
  tells the backend, which reads its own per-thread copy on every op (a hook call per op would be
  far too slow).
* **Ops that are not tensor methods**, called by ``flowkit.matmul``, ``nn.functional.linear``,
  ``nn.MSELoss``, ``flowkit.cat``... The core has checked what needs no data (types, the
  reduction's name); the backend computes, and raises flowkit's own errors where the arguments
  are wrong. Those come from :mod:`flowkit.ops` (``flowkit.ops.nn.linear_error``,
  ``flowkit.ops.shape.cat_error``...): diagnosers that take the shapes and dtypes and return the
  exception, or ``None`` where they find nothing wrong. They are called only once something has
  failed (``raise cat_error(...) or exc``: numpy's own error stands if the rule finds no fault),
  or behind a guard for what numpy would compute but PyTorch refuses (a float64 target in a
  float32 loss); the success path never pays for them.

Ops this backend does not define (``softmax``, ``conv2d``, ``cross_entropy``...) are inherited
from :class:`~flowkit.backend.Backend`, whose declarations raise an error naming the op.
"""

from __future__ import annotations

import numpy as np

from flowkit import dtypes
from flowkit.backend import Backend
from flowkit.device import as_device
from flowkit.nn import Parameter
from flowkit.ops.arithmetic import operand_type_error, result_dtype
from flowkit.ops.indexing import where_condition_error, where_shape_error
from flowkit.ops.nn import linear_error, loss_dtype_error, loss_shape_error
from flowkit.ops.shape import cat_error, cat_kept, stack_error, tensor_sequence

from . import tensor as _t
from .autograd import run_backward
from .tensor import CPU, MiniTensor, accumulate_grad, first_order_only, seed_for, wrap


class MiniParameter(MiniTensor, Parameter):
    """A :class:`flowkit.nn.Parameter` on the mini backend: a leaf MiniTensor that modules
    collect in ``parameters()``."""

    __slots__ = ()


def _check_device(device) -> None:
    if device is not None and as_device(device).type != "cpu":
        raise _t.device_error(device)


def _joined(op: str, tensors) -> tuple[list[MiniTensor], list[np.ndarray]]:
    """``cat``/``stack``'s tensors, checked by flowkit's rule, and their arrays in PyTorch's
    common dtype (numpy's would differ: int64 with float32 is float64 there)."""
    ts = tensor_sequence(op, tensors)
    dt = result_dtype(*ts)
    return ts, [t._data.astype(dt.np, copy=False) for t in ts]


class MiniBackend(Backend):
    """numpy arrays, CPU only, and the small reverse-mode autograd of :mod:`.autograd`."""

    name = "mini"
    Tensor = MiniTensor
    Parameter = MiniParameter

    def __init__(self, device=None):
        _check_device(device)
        self.device = CPU

    # -------------------------------------------------------------- creation
    def from_numpy(self, array, device, requires_grad, share=False):
        _check_device(device)
        t = wrap(array if share else np.array(array))  # share: flowkit.from_numpy's view
        if requires_grad:
            t.requires_grad = True  # the setter refuses non-float dtypes with flowkit's message
        return t

    def full(self, shape, value, dtype, device, requires_grad=False):
        _check_device(device)
        t = wrap(np.full(shape, value, dtype.np))
        if requires_grad:
            t.requires_grad = True
        return t

    def make_parameter(self, data, requires_grad):
        """``nn.Parameter(data)``: a leaf sharing ``data``'s memory, as torch.nn.Parameter does
        (the core passes ``data.detach()``)."""
        p = object.__new__(MiniParameter)
        p._data, p._node, p._grad, p._requires_grad = data._data, None, None, False
        if requires_grad:
            p.requires_grad = True
        return p

    # -------------------------------------------------------------- autograd
    def set_grad_enabled(self, mode):
        _t.set_grad_enabled(mode)

    def autograd_backward(self, tensors, grad_tensors, retain_graph, create_graph):
        if create_graph:
            raise first_order_only("backward")
        seeds = [seed_for(t, g) for t, g in zip(tensors, grad_tensors)]
        run_backward(tensors, seeds, retain_graph, accumulate_grad)  # one pass for all outputs

    def grad(self, outputs, inputs, grad_outputs, retain_graph, create_graph):
        """The same backward pass with the gradients collected instead of stored: a leaf's as
        the engine delivers it, an intermediate tensor's as its node's total (``capture``)."""
        if create_graph:
            raise first_order_only("grad")
        results: list[np.ndarray | None] = [None] * len(inputs)

        def receiver(slots):  # the gradient of the tensor at these positions of `inputs`
            def receive(g):
                for i in slots:
                    results[i] = np.array(g, copy=True) if results[i] is None else results[i] + g

            return receive

        leaves: dict[int, list[int]] = {}  # id(leaf) -> positions in inputs
        nodes: dict = {}  # node -> positions in inputs
        for i, t in enumerate(inputs):
            slots = leaves.setdefault(id(t), []) if t.is_leaf else nodes.setdefault(t.grad_fn, [])
            slots.append(i)
        at_leaf = {key: receiver(slots) for key, slots in leaves.items()}

        def deliver(leaf, g):
            if id(leaf) in at_leaf:  # other leaves' gradients are not wanted: .grad stays
                at_leaf[id(leaf)](g)

        capture = {node: receiver(slots) for node, slots in nodes.items()}
        seeds = [seed_for(t, g) for t, g in zip(outputs, grad_outputs)]
        run_backward(outputs, seeds, retain_graph, deliver, capture)
        return [None if r is None else wrap(r) for r in results]

    # -------------------------------------------------------------- ops
    def matmul(self, a, b):
        return _t.matmul(a, b)

    def linear(self, x, weight, bias):
        """``x @ weight.T + bias`` as one op with one node (``LinearBackward``)."""
        a, w = x._data, weight._data
        bias_dtype = None if bias is None else bias.dtype
        if weight.dtype is not x.dtype or bias_dtype not in (None, x.dtype):
            # numpy would promote the mixed dtypes; PyTorch refuses them
            raise linear_error(a.shape, x.dtype, w.shape, weight.dtype, bias_dtype)
        try:
            out = a @ w.T if bias is None else a @ w.T + bias._data
        except ValueError as exc:  # flowkit's diagnosis, or numpy's own error if it finds none
            raise linear_error(a.shape, x.dtype, w.shape, weight.dtype) or exc from None
        need_x, need_w, need_b = _t.tracked(x), _t.tracked(weight), _t.tracked(bias)

        def vjp(g):
            g2 = g.reshape(-1, g.shape[-1])  # every leading (batch) dimension as one
            return (
                g @ w if need_x else None,
                g2.T @ a.reshape(-1, a.shape[-1]) if need_w else None,
                g2.sum(axis=0) if need_b else None,
            )

        # the gradient of x reads the weight, the weight's reads x (as PyTorch saves them)
        saved = ((w,) if need_x else ()) + ((a,) if need_w else ())
        return _t.record("linear", out, (x, weight, bias), vjp, saved)

    def mse_loss(self, input, target, reduction):
        a, b = input._data, target._data
        # numpy would broadcast other shapes and promote other dtypes; PyTorch refuses both
        if a.shape != b.shape:
            raise loss_shape_error("mse_loss", a.shape, b.shape)
        if a.dtype != b.dtype or a.dtype.kind != "f":
            raise loss_dtype_error("mse_loss", input.dtype, target.dtype)
        diff = a - b
        sq = diff * diff
        scale = 1  # loss = scale * sum(diff ** 2), or elementwise for "none"
        if reduction == "none":
            out = sq
        elif reduction == "sum":
            out = np.add.reduce(sq, axis=None)
        elif sq.size:  # "mean"
            out, scale = np.add.reduce(sq, axis=None) / sq.size, 1.0 / sq.size
        else:  # the mean of no elements is nan, as in PyTorch
            out, scale = np.array(np.nan, sq.dtype), 0.0

        def vjp(g):  # d/d input of scale * (input - target)**2 is 2 * scale * diff
            gi = (2 * scale) * g * diff
            return gi, -gi

        # the VJP reads diff, computed now; PyTorch saves both inputs, so changing either in
        # place before backward is refused here too
        return _t.record("mse_loss", out, (input, target), vjp, (a, b))

    def cat(self, tensors, dim=0):
        ts, arrays = _joined("cat", tensors)
        shapes = [a.shape for a in arrays]
        kept = cat_kept(shapes)  # 1-d empty tensors are left out, as in PyTorch
        try:
            out = np.concatenate([arrays[i] for i in kept], axis=dim)
        except ValueError as exc:  # (numpy's AxisError is a ValueError too)
            raise cat_error(shapes, dim) or exc from None
        d = dim % out.ndim
        ends = np.cumsum([arrays[i].shape[d] for i in kept])[:-1]

        def vjp(g):  # a piece of g for each joined tensor, an empty gradient for a left-out one
            pieces = iter(np.split(g, ends, axis=d))
            return tuple(
                next(pieces) if i in kept else np.zeros(0, g.dtype) for i in range(len(ts))
            )

        return _t.record("cat", out, tuple(ts), vjp)

    def stack(self, tensors, dim=0):
        ts, arrays = _joined("stack", tensors)
        try:
            out = np.stack(arrays, axis=dim)
        except ValueError as exc:
            raise stack_error([a.shape for a in arrays], dim) or exc from None
        d = dim % out.ndim
        return _t.record("stack", out, tuple(ts), lambda g: tuple(np.moveaxis(g, d, 0)))

    def where(self, condition, x, y):
        if not isinstance(condition, MiniTensor) or condition.dtype is not dtypes.bool:
            raise where_condition_error(condition)
        x, y = _t.number(x), _t.number(y)
        operands = _t.promoted("where", x, y)
        if operands is None:  # x or y is neither a tensor nor a number
            raise operand_type_error("where", y if isinstance(x, (MiniTensor, int, float)) else x)
        c = condition._data
        try:
            out = np.where(c, *operands).astype(result_dtype(x, y).np, copy=False)
        except ValueError:
            raise where_shape_error(c.shape, np.shape(operands[0]), np.shape(operands[1])) from None
        return _t.record("where", out, (x, y), lambda g: (np.where(c, g, 0), np.where(c, 0, g)))
