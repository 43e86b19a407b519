"""The autograd side of a torch-backend tensor (the contract and the rules:
:mod:`flowkit.ops.autograd`): torch's autograd, with flowkit's grad_fn names and errors.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import warnings
import weakref

import numpy as np
import torch

from flowkit.autograd.anomaly_mode import nonfinite_gradient_error, user_frames, with_trace
from flowkit.autograd.function import differentiable, run_backward, run_forward
from flowkit.errors import AutogradError
from flowkit.ops.autograd import (
    RemovableHandle,
    backward_name,
    freed_graph_error,
    grad_value_error,
    gradient_shape_error,
    hook_requires_grad_error,
    hook_result_error,
    modified_error,
    no_graph_error,
    non_leaf_hook_error,
    non_scalar_error,
    register_hook_error,
    requires_grad_error,
    retain_grad_error,
)

from .define import (
    GradFn,
    TorchTensorBase,
    _device_error,
    _grad_wrappers,
    _remember_grad_wrapper,
    _wrap,
    from_torch_dtype,
)


def _backward_error(t: torch.Tensor, gradient, exc: RuntimeError) -> Exception:
    """torch's backward failures under the numpy backend's messages."""
    if not t.requires_grad:
        return no_graph_error()
    if gradient is None and t.numel() != 1:
        return non_scalar_error(t.shape)
    return autograd_error(exc, [t])


def _run_backward(t: torch.Tensor, gradient, retain_graph, create_graph: bool) -> None:
    try:
        if create_graph:
            with warnings.catch_warnings():  # torch warns of the grad <-> graph cycle
                warnings.simplefilter("ignore", UserWarning)
                torch.autograd.backward(t, gradient, retain_graph=retain_graph, create_graph=True)
        else:
            torch.autograd.backward(t, gradient, retain_graph=retain_graph)
    except RuntimeError as exc:
        raise _backward_error(t, gradient, exc) from None


# torch's version-counter error: "[torch.FloatTensor [2, 1]], which is output 0 of X, is at
# version 2; expected version 1 instead" (the "which is" part only for a tensor with a grad_fn)
_MODIFIED = re.compile(
    r"\[torch\.(?:cuda\.)?(\w+)Tensor \[([\d, ]*)\]\](?:, which is output \d+ of \w+,)? "
    r"is at version (\d+); expected version (\d+) instead"
)
_TENSOR_TYPES = {
    "Float": torch.float32,
    "Double": torch.float64,
    "Half": torch.float16,
    "BFloat16": torch.bfloat16,
    "Long": torch.int64,
    "Int": torch.int32,
    "Short": torch.int16,
    "Char": torch.int8,
    "Byte": torch.uint8,
    "Bool": torch.bool,
}
# torch kernels that compute a flowkit op under another name (grad_fn "MmBackward0" for
# flowkit's matmul): the name the numpy backend gives the same node
_KERNEL_OPS = {
    "Mm": "matmul",
    "Bmm": "matmul",
    "Mv": "matmul",
    "Dot": "matmul",
    "Addmm": "linear",
    "Convolution": "conv2d",
    "NllLoss": "cross_entropy",
}


def autograd_error(exc: RuntimeError, roots: list[torch.Tensor]) -> Exception:
    """torch's failures during a backward pass from ``roots``, under flowkit's messages
    (``exc`` itself where there is no flowkit equivalent)."""
    msg = str(exc)
    if "second time" in msg:
        return freed_graph_error()
    m = _MODIFIED.search(msg) if "modified by an inplace operation" in msg else None
    if m is not None:
        kind, dims, now, saved = m.groups()
        td = _TENSOR_TYPES.get(kind)
        dtype = str(from_torch_dtype(td)) if td is not None else kind
        shape = tuple(int(d) for d in dims.split(",") if d.strip())
        node, saved_as = _needed_by(roots)
        needed_by = None if node is None else _flowkit_name(node)
        if needed_by == "LinearBackward" and saved_as == "_saved_mat2" and len(shape) == 2:
            shape = shape[::-1]  # torch saved weight.t(): name the weight as the user holds it
        err = modified_error(needed_by, dtype, shape, int(now), int(saved))
        if _anomaly[0]:  # name the forward line of the op too
            err = AutogradError(with_trace(str(err), _trace(node)))
        return err
    return exc


def _flowkit_name(node) -> str:
    """The grad_fn name the numpy backend gives the op torch computed with ``node``."""
    kernel = re.sub(r"Backward\d*$", "", node.name())
    op = _KERNEL_OPS.get(kernel)
    return backward_name(op) if op is not None else kernel + "Backward"


def _graph(roots: list[torch.Tensor]):
    """Every autograd node reachable from ``roots``."""
    stack = [r.grad_fn for r in roots]
    seen: set = set()
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        yield node
        stack.extend(f for f, _ in node.next_functions)


def _needed_by(roots: list[torch.Tensor]):
    """The node whose saved tensor torch refused, and the attribute it is saved as: found by
    reading each node's saved tensors, which raises the same error for the changed one. Runs
    on the error path only."""
    for node in _graph(roots):
        for attr in dir(node):
            if not attr.startswith("_saved_"):
                continue
            try:
                getattr(node, attr)
            except RuntimeError as exc:
                if "modified by an inplace operation" in str(exc):
                    return node, attr
    return None, None


# ------------------------------------------------------------------ anomaly detection
# flowkit.autograd.detect_anomaly() on torch: torch's own anomaly mode records each node's forward
# call (metadata["traceback_"]); flowkit checks the gradients itself, with a hook on every node of
# the graph during that backward, so that NaN and infinity are caught (torch's check is NaN only)
# and the error is flowkit's, as on the numpy backend.
_anomaly = [False, True]  # (on, check_nan)
_OWN_DIRS = (
    os.path.dirname(os.path.abspath(__file__)) + os.sep,  # this backend: not the user's frames
    os.path.dirname(os.path.abspath(torch.__file__)) + os.sep,  # nor torch's
)


def set_detect_anomaly(mode: bool, check_nan: bool) -> None:
    _anomaly[:] = [mode, check_nan]
    torch.autograd.set_detect_anomaly(mode, check_nan=False)


def _trace(node) -> list[str] | None:
    if node is None:
        return None
    frames = node.metadata.get("traceback_")
    return user_frames(list(frames), _OWN_DIRS) if frames else None


@contextlib.contextmanager
def anomaly_checks(roots: list[torch.Tensor]):
    """Around a backward from ``roots``: while anomaly detection is on, every node checks the
    gradients it computes; torch's own "Error detected in ..." warning is left out (the error
    says it all)."""
    if not _anomaly[0]:
        yield
        return
    handles = []
    if _anomaly[1]:
        for node in _graph(roots):
            if node.name() != "torch::autograd::AccumulateGrad":
                handles.append(node.register_hook(functools.partial(_check_grads, node)))
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Error detected in")
            yield
    finally:
        for h in handles:
            h.remove()


def _check_grads(node, grad_inputs, grad_outputs) -> None:
    for i, g in enumerate(grad_inputs):
        if g is None or not (g.is_floating_point() or g.is_complex()):
            continue
        if not bool(torch.isfinite(g).all()):
            what = "nan" if bool(torch.isnan(g).any()) else "inf"
            shapes = [None if gi is None else tuple(gi.shape) for gi in grad_inputs]
            raise nonfinite_gradient_error(_flowkit_name(node), what, i, shapes, _trace(node))


class TorchAutograd(TorchTensorBase):
    """The autograd attributes and methods of ``TorchTensor``."""

    __slots__ = ()

    @property
    def data(self):
        return _wrap(self._t.data)

    @data.setter
    def data(self, value) -> None:
        if not isinstance(value, TorchTensorBase):
            raise TypeError(f"data must be a flowkit tensor, got {type(value).__name__}")
        self._t.data = value._t  # torch swaps the storage, keeping this tensor's autograd identity

    @property
    def requires_grad(self) -> bool:
        return self._t.requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        value = bool(value)
        t = self._t
        if t.grad_fn is not None and not value or value and not t.is_floating_point():
            raise requires_grad_error(self.dtype, t.grad_fn is None, value)
        t.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> TorchTensorBase:
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self):
        t = self._t
        # torch warns when .grad of a non-leaf is read; the numpy backend answers None quietly
        if not (t.is_leaf or t.retains_grad):
            return None
        g = t.grad
        if g is None:
            return None
        if g.__class__ is not torch.Tensor:  # a global leaf's: in the leaf's SBP
            from .global_tensor import fix_grad

            g = fix_grad(t, g)
        ref = _grad_wrappers.get(id(g))
        if ref is not None:
            w = ref()
            if w is not None and w._t is g:
                return w
        w = _wrap(g)
        _remember_grad_wrapper(g, w)
        return w

    @grad.setter
    def grad(self, value) -> None:
        t = self._t
        if value is None:
            t.grad = None
            return
        if not isinstance(value, TorchTensorBase) or value._t.shape != t.shape:
            raise grad_value_error(value, t.shape)
        g = value._t
        if g.dtype != t.dtype:
            g = g.to(t.dtype)  # torch refuses a grad of another dtype; the numpy backend casts
        try:
            t.grad = g
        except RuntimeError:
            if g.device != t.device:
                raise _device_error("grad assignment", t, g) from None
            raise
        if g is value._t:
            _remember_grad_wrapper(g, value)  # p.grad = v; p.grad is v, as on numpy

    @property
    def grad_fn(self):
        node = self._t.grad_fn
        if node is None:
            return None
        md = node.metadata  # kept on torch's node: the same GradFn for the same node
        ref = md.get("flowkit")
        gf = ref() if ref is not None else None
        if gf is None:
            gf = GradFn(node, self._grad_fn_name())
            md["flowkit"] = weakref.ref(gf)
        return gf

    @property
    def is_leaf(self) -> bool:
        return self._t.is_leaf

    def _grad_fn_name(self):
        node = self._t.grad_fn
        if node is None:
            return None
        op = self._op
        if op is None:  # made by torch outside flowkit's ops: torch's name without the suffix
            return node.name().rstrip("0123456789")
        return backward_name(op)

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False) -> None:
        t = self._t
        if gradient is not None:
            g = (
                gradient._t
                if isinstance(gradient, TorchTensorBase)
                else torch.as_tensor(np.asarray(gradient))
            )
            if g.shape != t.shape:
                raise gradient_shape_error(g.shape, t.shape)
            if g.dtype != t.dtype or g.device != t.device:
                g = g.to(t.device, t.dtype)  # the numpy backend casts the seed to the output's
            gradient = g
        if _anomaly[0]:
            with anomaly_checks([t]):
                _run_backward(t, gradient, retain_graph, create_graph)
        else:
            _run_backward(t, gradient, retain_graph, create_graph)

    def register_post_accumulate_grad_hook(self, hook):
        t = self._t
        if t.grad_fn is not None:
            raise non_leaf_hook_error()
        if not t.requires_grad:
            raise hook_requires_grad_error()
        return RemovableHandle(t.register_post_accumulate_grad_hook(lambda _t: hook(self)).remove)

    def register_hook(self, hook):
        t = self._t
        if not t.requires_grad:
            raise register_hook_error()

        def run(g: torch.Tensor):
            r = hook(_wrap(g))
            if r is None:
                return None
            if not isinstance(r, TorchTensorBase) or r._t.shape != g.shape:
                raise hook_result_error(hook, r, tuple(g.shape))
            return r._t

        return RemovableHandle(t.register_hook(run).remove)

    def retain_grad(self) -> None:
        t = self._t
        if t.grad_fn is None:
            if not t.requires_grad:
                raise retain_grad_error()
            return  # leaves keep their grad anyway
        t.retain_grad()

    def detach(self) -> TorchTensorBase:
        return _wrap(self._t.detach())

    def detach_(self) -> TorchTensorBase:
        # rebinding (rather than torch's detach_) also works for views, which torch refuses
        self._t = self._t.detach()
        self._op = None
        return self


# ------------------------------------------------------------------ flowkit.autograd.Function
# Each user Function gets a torch.autograd.Function of its name (so grad_fn reads
# <NameBackward>), made once: its forward runs the user's forward on the flowkit tensors, its
# backward the user's backward on flowkit tensors around torch's gradients. Saved tensors go
# through torch's save_for_backward (no reference cycle through torch's graph, and torch's
# in-place check); gradients that did not arrive are materialized by the core, as on numpy.
_TORCH_FUNCTIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _Call:
    """One call of a Function: what torch's forward needs besides the tensors."""

    __slots__ = ("fn", "ctx", "args", "kwargs", "meta", "is_tuple")

    def __init__(self, fn, ctx, args, kwargs):
        self.fn, self.ctx, self.args, self.kwargs = fn, ctx, args, kwargs
        self.meta: list = []
        self.is_tuple = False


def _t_forward(tctx, call: _Call, *_tensors):
    fctx = call.ctx
    outs, call.is_tuple = run_forward(call.fn, fctx, call.args, call.kwargs)
    call.args = call.kwargs = None  # torch keeps the inputs it needs; flowkit's wrappers go
    call.meta = [
        (tuple(o._t.shape), o.dtype, o.device) if isinstance(o, TorchTensorBase) else None
        for o in outs
    ]
    tctx.set_materialize_grads(False)  # the core materializes, as on numpy
    non_diff = [
        o._t for o in outs if isinstance(o, TorchTensorBase) and not differentiable(fctx, o)
    ]
    if non_diff:
        tctx.mark_non_differentiable(*non_diff)
    tctx.save_for_backward(*[None if t is None else t._t for t in fctx._to_save])
    fctx._to_save = ()  # (the wrappers would tie the outputs to their own graph node)
    tctx.flowkit_call = call
    return tuple(o._t if isinstance(o, TorchTensorBase) else o for o in outs)


def _t_backward(tctx, *tgrads):
    call = tctx.flowkit_call
    fctx = call.ctx
    fctx._saved = tuple(None if t is None else _wrap(t) for t in tctx.saved_tensors)
    try:
        grads = [None if g is None else _wrap(g) for g in tgrads]
        res = run_backward(call.fn, fctx, grads, call.meta)
    finally:
        fctx._saved = None
    return (None, *(None if r is None else r._t for r in res))


def _torch_function(fn):
    tf = _TORCH_FUNCTIONS.get(fn)
    if tf is None:
        tf = _TORCH_FUNCTIONS[fn] = type(
            fn.__name__,
            (torch.autograd.Function,),
            {"forward": staticmethod(_t_forward), "backward": staticmethod(_t_backward)},
        )
    return tf


def apply_function(fn, ctx, args, kwargs):
    """``fn.apply(*args, **kwargs)`` with some input needing a gradient (the core has checked)."""
    call = _Call(fn, ctx, args, kwargs)
    tensors = [a._t if isinstance(a, TorchTensorBase) else a for a in args]
    outs = _torch_function(fn).apply(call, *tensors)
    res = tuple(_wrap(o) if isinstance(o, torch.Tensor) else o for o in outs)
    return res if call.is_tuple else res[0]
