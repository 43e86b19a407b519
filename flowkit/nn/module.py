"""``flowkit.nn.Module``: the base class of every layer and model, as in PyTorch.

Parameters, buffers and sub-modules are kept in ordered registries (for ``parameters()``,
``state_dict()``, the repr) *and* in the instance ``__dict__``, so reading ``self.w`` in
``forward`` is a plain attribute lookup rather than a ``__getattr__`` fallback on every step.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from ..errors import ArgumentTypeError, ShapeError, StateDictError, shape_str
from ..tensor import Tensor
from .parameter import Parameter


class _IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:  # PyTorch's
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (
            f"_IncompatibleKeys(missing_keys={self.missing_keys}, "
            f"unexpected_keys={self.unexpected_keys})"
        )


def _prefixed_modules(root):
    """``(key prefix, module)`` for ``root`` (prefix ``""``) and every sub-module (``"fc."``)."""
    for name, m in root.named_modules():
        yield (name + "." if name else ""), m


def _device_of(args, kwargs):
    """The device that ``to(*args, **kwargs)`` names, or ``None``."""
    from ..dtypes import dtype

    dev = kwargs.get("device")
    for a in args:
        if isinstance(a, Tensor):
            dev = a.device
        elif not isinstance(a, dtype):
            dev = a
    return dev


def _state_value_error(module, key: str, value) -> StateDictError:
    """A state dict value that is not a flowkit tensor (a list, a number, None, a numpy array,
    a torch tensor): PyTorch refuses these too ("expected torch.Tensor or Tensor-like object from
    checkpoint")."""
    cls = type(value)
    if value is None:
        kind = "None"
    elif cls.__module__ == "builtins":
        kind = f"a {cls.__name__}"
    else:
        kind = f"a {cls.__module__.partition('.')[0]}.{cls.__qualname__}"
    if isinstance(value, (list, tuple, int, float)):
        fix = "make it a tensor with flowkit.tensor(value)"
    elif isinstance(value, np.ndarray):
        fix = "convert it with flowkit.from_numpy(value) (or flowkit.tensor(value), a copy)"
    elif hasattr(cls, "__array__") or hasattr(cls, "__dlpack__"):
        fix = (
            "convert it with flowkit.tensor(value) (a whole state dict: "
            "{k: flowkit.tensor(v) for k, v in state_dict.items()})"
        )
    else:
        fix = "put the tensor there, or drop the key and load with strict=False"
    return StateDictError(
        f"load_state_dict into {type(module).__name__}: the value for {key!r} is {kind}, not a "
        f"flowkit tensor; {fix}"
    )


class _Hooks:
    """A module's forward (pre-)hooks, full backward hooks and load_state_dict (pre-/post-)
    hooks, in call order; a module gets one
    at its first registration (``Module._call_hooks`` is ``None`` before: the plain call)."""

    __slots__ = ("pre", "post", "backward", "load_pre", "load_post")

    def __init__(self) -> None:
        self.pre: list[tuple[Any, bool]] = []  # (hook, with_kwargs)
        self.post: list[tuple[Any, bool, bool]] = []  # (hook, with_kwargs, always_call)
        self.backward: list[Any] = []
        self.load_pre: list[Any] = []  # load_state_dict's
        self.load_post: list[Any] = []


def _handle(entries: list, entry):
    from ..ops.autograd import RemovableHandle

    def remove() -> None:
        for i, e in enumerate(entries):
            if e is entry:
                del entries[i]
                return

    return RemovableHandle(remove)


# ---------------------------------------------------------------- full backward hooks
# As in PyTorch: the module's tensor inputs and outputs pass through an identity Function
# (flowkit.autograd.Function); the outputs' one notes grad_output, the inputs' one calls the
# hooks with grad_input and grad_output (or the outputs' one does, with grad_input all None,
# when no input needs a gradient).
class _BackwardHookState:
    __slots__ = ("module", "hooks", "n_in", "inputs_need_grad", "grad_output")

    def __init__(self, module, hooks, n_in: int, inputs_need_grad: bool):
        self.module, self.hooks, self.n_in = module, hooks, n_in
        self.inputs_need_grad = inputs_need_grad
        self.grad_output: tuple = ()


def _call_backward_hooks(st: _BackwardHookState, grad_input: tuple) -> tuple:
    for hook in list(st.hooks):
        r = hook(st.module, grad_input, st.grad_output)
        if r is None:
            continue
        r = r if isinstance(r, tuple) else (r,)
        if len(r) != len(grad_input):
            raise ValueError(
                f"full backward hook {getattr(hook, '__name__', hook)!r} returned "
                f"{len(r)} gradients, the module has {len(grad_input)} tensor inputs; return "
                "one per input (None where there is none), or None to keep them"
            )
        grad_input = r
    return grad_input


_HOOK_FN: list = []  # the identity Function, made at first use (flowkit.autograd needs nn)


def _hook_function():
    if not _HOOK_FN:
        from ..autograd.function import Function

        class BackwardHookFunction(Function):
            @staticmethod
            def forward(ctx, state, is_input, *tensors):
                ctx.set_materialize_grads(False)
                ctx.state, ctx.is_input = state, is_input
                return tensors

            @staticmethod
            def backward(ctx, *grads):
                st = ctx.state
                if ctx.is_input:
                    grads = _call_backward_hooks(st, grads)
                else:
                    st.grad_output = grads
                    if not st.inputs_need_grad:
                        _call_backward_hooks(st, (None,) * st.n_in)
                return (None, None, *grads)

        _HOOK_FN.append(BackwardHookFunction)
    return _HOOK_FN[0]


def _wrap_inputs(module, hooks, args: tuple):
    from ..autograd import is_grad_enabled

    pos = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    need = is_grad_enabled() and any(args[i].requires_grad for i in pos)
    state = _BackwardHookState(module, hooks, len(pos), need)
    if need:
        new = _hook_function().apply(state, True, *[args[i] for i in pos])
        args = list(args)  # type: ignore[assignment]
        for i, t in zip(pos, new):
            args[i] = t  # type: ignore[index]
        args = tuple(args)
    return state, args


def _wrap_outputs(state: _BackwardHookState, out):
    if isinstance(out, Tensor):
        return _hook_function().apply(state, False, out)[0]
    if isinstance(out, tuple):
        pos = [i for i, o in enumerate(out) if isinstance(o, Tensor)]
        if pos:
            new = _hook_function().apply(state, False, *[out[i] for i in pos])
            res = list(out)
            for i, t in zip(pos, new):
                res[i] = t
            return type(out)(res) if type(out) is tuple else type(out)(*res)
    return out


def _addindent(s: str, n: int) -> str:
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    return lines[0] + "\n" + "\n".join(" " * n + line for line in lines[1:])


class Module:
    """Base class for layers and models: subclass it, create parameters and sub-modules in
    ``__init__``, compute in ``forward``. Plain attributes (``self.lr = 0.01``) stay plain.

    Examples:
        >>> import flowkit as flow
        >>> class Line(flow.nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.w = flow.nn.Parameter(flow.ones(2, 1))
        ...         self.lr = 0.01
        ...     def forward(self, x):
        ...         return flow.matmul(x, self.w)
        >>> m = Line()
        >>> [name for name, _ in m.named_parameters()], m.lr
        (['w'], 0.01)
        >>> m(flow.ones(1, 2))
        tensor([[2.]], dtype=flowkit.float32, grad_fn=<MatmulBackward>)
    """

    training: bool
    # the registries, which __init__ puts in __dict__ directly (see __setattr__); a name
    # registered as None is declared but absent, as in PyTorch
    _parameters: OrderedDict[str, Parameter | None]
    _buffers: OrderedDict[str, Tensor | None]
    _non_persistent: set[str]  # buffers left out of state_dict()
    _modules: OrderedDict[str, Module | None]
    # forward and backward hooks (an instance gets its own at the first registration)
    _call_hooks: _Hooks | None = None

    def __init__(self) -> None:
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent"] = set()
        d["_modules"] = OrderedDict()

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        if self._call_hooks is None:
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    def _call_with_hooks(self, args: tuple, kwargs: dict):
        h = self._call_hooks
        assert h is not None
        for hook, with_kwargs in list(h.pre):
            if with_kwargs:
                r = hook(self, args, kwargs)
                if r is not None:
                    if not (isinstance(r, tuple) and len(r) == 2):
                        raise TypeError(
                            "a forward pre-hook registered with_kwargs=True must return None or "
                            f"a tuple (args, kwargs), got {type(r).__name__}"
                        )
                    args, kwargs = r
            else:
                r = hook(self, args)
                if r is not None:
                    args = r if isinstance(r, tuple) else (r,)
        state = None
        if h.backward:
            state, args = _wrap_inputs(self, h.backward, args)
        try:
            out = self.forward(*args, **kwargs)
        except Exception:
            for hook, with_kwargs, always in list(h.post):
                if always:
                    try:
                        hook(self, args, kwargs, None) if with_kwargs else hook(self, args, None)
                    except Exception:
                        pass  # the forward's own error is the one to see
            raise
        for hook, with_kwargs, _ in list(h.post):
            r = hook(self, args, kwargs, out) if with_kwargs else hook(self, args, out)
            if r is not None:
                out = r
        if state is not None:
            out = _wrap_outputs(state, out)
        return out

    # ------------------------------------------------------------------ hooks
    def _hooks(self) -> _Hooks:
        h = self.__dict__.get("_call_hooks")
        if h is None:
            h = self.__dict__["_call_hooks"] = _Hooks()
        return h

    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False):
        """Call ``hook(module, args)`` before each ``forward`` (``hook(module, args, kwargs)``
        with ``with_kwargs=True``), as PyTorch does. The hook may return new arguments: a tuple
        (or a single value, for one argument), or ``(args, kwargs)`` with ``with_kwargs``;
        ``None`` keeps them. Returns a handle whose ``remove()`` takes the hook off.

        Examples:
            >>> import flowkit as flow
            >>> m = flow.nn.Identity()
            >>> h = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
            >>> m(flow.ones(2))
            tensor([2., 2.], dtype=flowkit.float32)
            >>> h.remove()
            >>> m(flow.ones(2))
            tensor([1., 1.], dtype=flowkit.float32)
        """
        entries = self._hooks().pre
        entry = (hook, bool(with_kwargs))
        entries.insert(0, entry) if prepend else entries.append(entry)
        return _handle(entries, entry)

    def register_forward_hook(
        self,
        hook,
        *,
        prepend: bool = False,
        with_kwargs: bool = False,
        always_call: bool = False,
    ):
        """Call ``hook(module, args, output)`` after each ``forward`` (``hook(module, args,
        kwargs, output)`` with ``with_kwargs=True``), as PyTorch does; a hook returning
        something other than ``None`` replaces the output. With ``always_call`` the hook also
        runs when ``forward`` raises (with ``None`` as the output). Returns a handle whose
        ``remove()`` takes the hook off.

        Examples:
            >>> import flowkit as flow
            >>> m = flow.nn.Linear(2, 3)
            >>> shapes = []
            >>> h = m.register_forward_hook(lambda mod, args, out: shapes.append(tuple(out.shape)))
            >>> _ = m(flow.ones(4, 2))
            >>> shapes
            [(4, 3)]
            >>> h.remove()
        """
        entries = self._hooks().post
        entry = (hook, bool(with_kwargs), bool(always_call))
        entries.insert(0, entry) if prepend else entries.append(entry)
        return _handle(entries, entry)

    def register_full_backward_hook(self, hook, prepend: bool = False):
        """Call ``hook(module, grad_input, grad_output)`` when backward has computed the
        gradients of the module's tensor inputs (``grad_input``, ``None`` for inputs that need
        none) from those of its outputs (``grad_output``), as PyTorch does. The hook may return
        new gradients for the inputs (a tuple of the same length); ``None`` keeps them. Only
        positional tensor arguments and tensor outputs (one, or a tuple) take part. Returns a
        handle whose ``remove()`` takes the hook off.

        Examples:
            >>> import flowkit as flow
            >>> m = flow.nn.Linear(2, 1)
            >>> seen = []
            >>> h = m.register_full_backward_hook(
            ...     lambda mod, gin, gout: seen.append((gin[0].shape, gout[0].shape)))
            >>> x = flow.ones(3, 2, requires_grad=True)
            >>> m(x).sum().backward()
            >>> seen
            [(flowkit.Size([3, 2]), flowkit.Size([3, 1]))]
        """
        entries = self._hooks().backward
        entries.insert(0, hook) if prepend else entries.append(hook)
        return _handle(entries, hook)

    # ------------------------------------------------------------------ registration
    def _registries(self, name: str):
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() was called; call "
                "super().__init__() first in your __init__"
            )
        return d["_parameters"], d["_buffers"], d["_modules"]

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        if isinstance(value, (Parameter, Module)):
            params, buffers, modules = self._registries(name)
            for reg in (params, buffers, modules):
                reg.pop(name, None)
            (params if isinstance(value, Parameter) else modules)[name] = value
        elif "_parameters" in d:
            for reg, allowed, what in (
                (d["_parameters"], (), "a Parameter"),
                (d["_modules"], (), "a Module"),
                (d["_buffers"], (Tensor,), "a tensor"),
            ):
                if name in reg:
                    if value is not None and not isinstance(value, allowed):
                        raise TypeError(
                            f"cannot assign {type(value).__name__} to {name!r}: it is "
                            f"registered, so it takes {what} or None"
                        )
                    reg[name] = value
                    break
        d[name] = value

    def __delattr__(self, name: str) -> None:
        for reg in ("_parameters", "_buffers", "_modules"):
            self.__dict__.get(reg, {}).pop(name, None)
        self.__dict__.get("_non_persistent", set()).discard(name)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or ``None``, a declared-but-absent parameter) as ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"register_parameter({name!r}): expected a Parameter or None, got "
                f"{type(param).__name__}; wrap it with flowkit.nn.Parameter(...)"
            )
        self._registries(name)[0][name] = param
        self.__dict__[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register a tensor that is state but not a parameter (running means, masks...)."""
        _, buffers, _ = self._registries(name)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"register_buffer({name!r}): expected a flowkit tensor or None, got "
                f"{type(tensor).__name__}"
            )
        buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)
        self.__dict__[name] = tensor

    def add_module(self, name: str, module: Module | None) -> None:
        self._registries(name)[2][name] = module
        self.__dict__[name] = module

    register_module = add_module

    # ------------------------------------------------------------------ traversal
    def named_modules(
        self, memo=None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """``(name, module)`` for this module (name ``prefix``) and every sub-module, depth
        first; a module reached twice is listed once unless ``remove_duplicate=False``."""
        memo = set() if memo is None else memo
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(
                    memo, prefix + ("." if prefix else "") + name, remove_duplicate
                )

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """``(name, module)`` for each direct sub-module; one registered twice, once (as in
        PyTorch)."""
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ):
        """``(name, parameter)`` pairs, sub-modules' as ``"layer.weight"``; shared ones once
        (unless ``remove_duplicate=False``)."""
        seen = set()
        mods = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for mprefix, m in mods:
            for name, p in m._parameters.items():
                if p is None or remove_duplicate and id(p) in seen:
                    continue
                seen.add(id(p))
                yield mprefix + ("." if mprefix else "") + name, p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """``(name, buffer)`` pairs, non-persistent buffers included; shared ones once (unless
        ``remove_duplicate=False``)."""
        seen = set()
        mods = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for mprefix, m in mods:
            for name, b in m._buffers.items():
                if b is None or remove_duplicate and id(b) in seen:
                    continue
                seen.add(id(b))
                yield mprefix + ("." if mprefix else "") + name, b

    def buffers(self, recurse: bool = True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn) -> Module:
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes and devices
    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode) expects a bool, got {type(mode).__name__}")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            g = p.grad
            if g is not None:
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:  # (a create_graph gradient): out of the graph
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g.zero_()

    def to(self, *args, **kwargs) -> Module:
        """Move (or cast) every parameter and buffer in place; parameters keep their identity,
        so an optimizer built before ``to()`` still updates them."""
        from .. import autograd

        with autograd.no_grad():
            for m in self.modules():
                for p in m._parameters.values():
                    if p is not None:
                        p.data = p.data.to(*args, **kwargs)
                        if p.grad is not None:
                            p.grad = p.grad.to(*args, **kwargs)
                for name, b in list(m._buffers.items()):
                    if b is not None:
                        # integer buffers (num_batches_tracked) move but keep their dtype, as in
                        # PyTorch: .double() must not turn a counter into a float
                        b = (
                            b.to(*args, **kwargs)
                            if b.dtype.is_floating_point
                            else b.to(device=_device_of(args, kwargs))
                        )
                        m._buffers[name] = m.__dict__[name] = b
        return self

    def to_global(self, placement: Any = None, sbp: Any = None) -> Module:
        """Make every parameter and buffer a global tensor on ``placement`` with ``sbp``, in
        place (OneFlow's ``Module.to_global``); returns the module.

        Each process's values become its piece
        ([`flowkit.Tensor.to_global`][flowkit.Tensor.to_global] of a local tensor): with
        ``flowkit.sbp.broadcast`` the ranks must hold the same values, which they do when they
        built the module after the same ``manual_seed``. The data-parallel recipe
        is parameters ``broadcast`` and data ``split(0)``: the gradients then come out broadcast
        (summed over the ranks), so every rank's optimizer makes the same update. ``sbp`` may
        also be a function ``sbp(name, tensor)`` giving each tensor's SBP. Parameters are new
        Parameter objects (build the optimizer afterwards); gradients are dropped.

        Examples:
            >>> import flowkit as flow
            >>> m = flow.nn.Linear(2, 1).to_global(flow.placement("cpu", [0]), flow.sbp.broadcast)
            >>> m.weight.is_global, m.weight.sbp, isinstance(m.weight, flow.nn.Parameter)
            (True, (flowkit.sbp.broadcast,), True)
        """
        from .. import autograd

        with autograd.no_grad():
            for prefix, m in self.named_modules():
                for name, p in list(m._parameters.items()):
                    if p is None:
                        continue
                    s = sbp(f"{prefix}.{name}".lstrip("."), p) if callable(sbp) else sbp
                    new = Parameter(p.detach().to_global(placement, s), p.requires_grad)
                    m._parameters[name] = m.__dict__[name] = new
                for name, b in list(m._buffers.items()):
                    if b is not None:
                        s = sbp(f"{prefix}.{name}".lstrip("."), b) if callable(sbp) else sbp
                        b = b.to_global(placement, s)
                        m._buffers[name] = m.__dict__[name] = b
        return self

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self, device=None) -> Module:
        return self.to(
            "cuda" if device is None else f"cuda:{device}" if isinstance(device, int) else device
        )

    def float(self) -> Module:
        from .. import dtypes

        return self.to(dtypes.float32)

    def double(self) -> Module:
        from .. import dtypes

        return self.to(dtypes.float64)

    def half(self) -> Module:
        """Cast the floating-point parameters and buffers to ``float16`` (integer buffers keep
        their dtype), in place.

        Examples:
            >>> import flowkit as flow
            >>> flow.nn.Linear(2, 1).half().weight.dtype
            flowkit.float16
        """
        from .. import dtypes

        return self.to(dtypes.float16)

    # ------------------------------------------------------------------ state
    def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False):
        """Parameters and persistent buffers by dotted name (detached, sharing memory)."""
        out = OrderedDict() if destination is None else destination
        for mprefix, m in self.named_modules(prefix=prefix.rstrip(".")):
            dot = mprefix + ("." if mprefix else "")
            for name, p in m._parameters.items():
                if p is not None:
                    out[dot + name] = p if keep_vars else p.detach()
            for name, b in m._buffers.items():
                if b is not None and name not in m._non_persistent:
                    out[dot + name] = b if keep_vars else b.detach()
        return out

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy values from ``state_dict`` into this module's parameters and buffers.

        With ``strict=True`` (the default) missing or unexpected keys are an error that lists
        them; a shape mismatch is always an error. Returns ``(missing_keys, unexpected_keys)``.
        """
        from .. import autograd

        if not isinstance(state_dict, Mapping):
            raise ArgumentTypeError(
                f"load_state_dict into {type(self).__name__}: expected a dict of tensors (what "
                f"state_dict() or flowkit.load gives), got {type(state_dict).__name__}"
            )
        hooked = [
            (prefix, m, m.__dict__["_call_hooks"])
            for prefix, m in _prefixed_modules(self)
            if m.__dict__.get("_call_hooks") is not None
        ]
        if any(h.load_pre for _, _, h in hooked):  # they may rewrite the keys: on a copy
            state_dict = dict(state_dict)
            errors: list[str] = []
            for prefix, m, h in hooked:
                for hook in list(h.load_pre):
                    hook(m, state_dict, prefix, {}, strict, [], [], errors)
            if errors:
                raise StateDictError(
                    f"load_state_dict into {type(self).__name__}: " + "; ".join(errors)
                )
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        result = _IncompatibleKeys(missing, unexpected)
        post_ran = False
        if strict and (missing or unexpected) and any(h.load_post for _, _, h in hooked):
            for _, m, h in hooked:  # (they may clear the lists, as in PyTorch)
                for hook in list(h.load_post):
                    hook(m, result)
            post_ran = True
        mismatched = []
        for k, target in own.items():
            if k in state_dict:
                v = state_dict[k]
                if not isinstance(v, Tensor):
                    raise _state_value_error(self, k, v)
                vshape = tuple(v.shape)
                if tuple(target.shape) != vshape:
                    mismatched.append(
                        f"{k}: checkpoint {shape_str(vshape)}, model {shape_str(target.shape)}"
                    )
        if mismatched:
            raise ShapeError(
                "load_state_dict: shapes differ for "
                + "; ".join(mismatched)
                + ". Build the model with the checkpoint's sizes, or drop those keys "
                "from the state dict and load it with strict=False"
            )
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append("missing keys: " + ", ".join(missing))
            if unexpected:
                parts.append("unexpected keys: " + ", ".join(map(str, unexpected)))
            raise StateDictError(
                f"load_state_dict into {type(self).__name__}: "
                + "; ".join(parts)
                + ". Pass strict=False to load the matching keys only"
            )
        with autograd.no_grad():
            for k, target in own.items():
                if k in state_dict:
                    target.copy_(state_dict[k])
        if not post_ran:
            for _, m, h in hooked:
                for hook in list(h.load_post):
                    hook(m, result)
        return result

    def register_load_state_dict_pre_hook(self, hook):
        """Call ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` before ``load_state_dict`` (of this module or of one that
        contains it) reads the state dict, as PyTorch does: the hook may rename, add or drop
        keys of ``state_dict`` (a copy of the caller's), e.g. to load a checkpoint written
        before the module changed; ``prefix`` is this module's key prefix. Messages appended to
        ``error_msgs`` make the load fail with them. Returns a handle whose ``remove()`` takes
        the hook off.

        Examples:
            >>> import flowkit as flow
            >>> m = flow.nn.Linear(2, 1)
            >>> def rename(module, sd, prefix, *rest):  # an old checkpoint called it "w"
            ...     if prefix + "w" in sd:
            ...         sd[prefix + "weight"] = sd.pop(prefix + "w")
            >>> h = m.register_load_state_dict_pre_hook(rename)
            >>> m.load_state_dict({"w": flow.ones(1, 2), "bias": flow.zeros(1)})
            <All keys matched successfully>
            >>> m.weight.tolist()
            [[1.0, 1.0]]
        """
        entries = self._hooks().load_pre
        entries.append(hook)
        return _handle(entries, hook)

    def register_load_state_dict_post_hook(self, hook):
        """Call ``hook(module, incompatible_keys)`` after ``load_state_dict`` (of this module or
        of one that contains it), as PyTorch does; ``incompatible_keys.missing_keys`` and
        ``.unexpected_keys`` are lists the hook may change in place: with ``strict=True`` the
        load fails only on what they hold after the hooks ran. Returns a handle whose
        ``remove()`` takes the hook off.

        Examples:
            >>> import flowkit as flow
            >>> m = flow.nn.Linear(2, 1)
            >>> def ignore_extra(module, keys):  # tolerate a checkpoint's bookkeeping entries
            ...     keys.unexpected_keys[:] = [k for k in keys.unexpected_keys if k != "step"]
            >>> h = m.register_load_state_dict_post_hook(ignore_extra)
            >>> sd = {"weight": flow.ones(1, 2), "bias": flow.zeros(1), "step": flow.tensor(3)}
            >>> m.load_state_dict(sd)
            <All keys matched successfully>
        """
        entries = self._hooks().load_post
        entries.append(hook)
        return _handle(entries, hook)

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({k}): " + _addindent(repr(m), 2) for k, m in self._modules.items()]
        lines = extra_lines + child_lines
        s = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                s += extra_lines[0]
            else:
                s += "\n  " + "\n  ".join(lines) + "\n"
        return s + ")"

    def __dir__(self):
        return sorted(set(super().__dir__()))
