"""``flowkit.optim.Optimizer``: parameter groups, per-parameter state, ``zero_grad``/``step``.

The class owns the state; the arithmetic is a kernel chosen once, at construction, through the
``flowkit_select_optimizer_kernel`` hook (a backend's fused/vectorised update), falling back to
the reference function in `flowkit.optim._functional`. ``step()`` never calls a hook.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from .. import _plugins
from ..autograd import no_grad
from ..errors import ArgumentTypeError, ArgumentValueError
from ..tensor import Tensor


def _without_graph(update: Callable) -> Callable:
    """The reference update, run under ``no_grad``: it updates leaves in place with tensor ops.
    (A backend's kernel works on raw arrays, or under its own no-grad, so ``step()`` pays for
    the grad-mode switch only on this path.)"""

    def reference(*args, **kwargs):
        with no_grad():
            return update(*args, **kwargs)

    # through __dict__: mypy does not model attributes set on a function
    reference.__dict__["__wrapped__"] = update
    return reference


class _Required:
    def __repr__(self) -> str:
        return "<required parameter>"


# the default of a setting the caller must give (here or in every group); typed Any so that a
# signature can say ``lr: float = required``
required: Any = _Required()


class Optimizer:
    """Base class of the optimizers (PyTorch's interface).

    A subclass sets ``algorithm`` (the name the ``flowkit_select_optimizer_kernel`` hook
    receives) and ``_reference`` (its pure update in `flowkit.optim._functional`), collects
    each group's parameters and state in ``step()`` and hands them to ``self._kernel``.

    Args:
        params: an iterable of tensors, or of dicts (parameter groups) with a ``"params"`` key and
            per-group settings.
        defaults: the default settings of a group.

    Attributes:
        param_groups: the groups, each a dict of ``"params"`` and settings (``lr``...).
        state: per-parameter state (momentum buffers, moment estimates, step counts).

    Examples:
        >>> import flowkit as flow
        >>> a, b = flow.nn.Parameter(flow.ones(1)), flow.nn.Parameter(flow.ones(1))
        >>> opt = flow.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
        >>> [group["lr"] for group in opt.param_groups]
        [0.1, 0.5]
    """

    algorithm: str = ""  # the name the kernel hook receives ("sgd", "adam", "adamw")

    def __init__(self, params: Iterable, defaults: dict[str, Any]):
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params must be an iterable of tensors (e.g. "
                "model.parameters() or [w]), got a single tensor; wrap it in a list"
            )
        self.defaults = defaults
        self.state: dict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        try:
            groups = list(params)
        except TypeError:
            raise ArgumentTypeError(
                f"{type(self).__name__}: params must be an iterable of tensors (e.g. "
                f"model.parameters() or [w]), got {type(params).__name__}"
            ) from None
        if not groups:
            raise ValueError(
                f"{type(self).__name__} got an empty parameter list: nothing to optimize. Did "
                "the model create its parameters (as nn.Parameter) before .parameters() was "
                "called, or was a generator used up already?"
            )
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)
        self._kernel = self._select_kernel()

    def _select_kernel(self) -> Callable:
        # asked of the selected backend's own plugin only: no other plugin can replace this
        # backend's update
        kernel = _plugins.optimizer_kernel(
            _plugins.get(),
            self.algorithm,
            {k: v for k, v in self.param_groups[0].items() if k != "params"},
        )
        return kernel or _without_graph(self._reference)

    _reference: Callable  # set by each optimizer class: its function in _functional

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group of parameters, e.g. layers unfrozen during fine-tuning. Settings the
        group leaves out take the optimizer's defaults; the update kernel stays the one chosen
        at construction (every kernel handles every setting).

        Args:
            group: a dict with a ``"params"`` key (a tensor or an iterable of tensors) and,
                optionally, settings such as ``"lr"``.

        Raises:
            ValueError: a parameter is already in a group, or is not a leaf.
            TypeError: ``group`` is not a dict, or a parameter is not a flowkit tensor.

        Examples:
            >>> import flowkit as flow
            >>> opt = flow.optim.SGD([flow.nn.Parameter(flow.ones(1))], lr=0.1, momentum=0.9)
            >>> opt.add_param_group({"params": [flow.nn.Parameter(flow.ones(2))], "lr": 0.01})
            >>> opt.param_groups[1]["lr"], opt.param_groups[1]["momentum"]
            (0.01, 0.9)
        """
        if not isinstance(group, dict):
            raise TypeError(f"a param group must be a dict, got {type(group).__name__}")
        if "params" not in group:
            raise ArgumentValueError(
                f"{type(self).__name__}: a parameter group needs a 'params' key, got the keys "
                f"{sorted(map(str, group))}; write {{'params': [w, b], 'lr': 0.01}}"
            )
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{type(self).__name__} can only optimize flowkit tensors, but parameter {i} "
                    f"is {type(p).__name__}; pass model.parameters() or a list of tensors"
                )
            if not p.is_leaf:
                raise ValueError(
                    f"{type(self).__name__}: parameter {i} is not a leaf tensor (it was computed "
                    "from others); optimize the leaves, e.g. a Parameter or tensor.detach()"
                    ".requires_grad_()"
                )
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        if len({id(p) for p in params}) != len(params):
            first: dict[int, int] = {}
            for i, p in enumerate(params):
                if id(p) in first:
                    raise ValueError(
                        f"{type(self).__name__}: parameters {first[id(p)]} and {i} are the same "
                        "tensor; list each parameter once (it would be updated twice per step)"
                    )
                first[id(p)] = i
        for k, v in self.defaults.items():
            if v is required and k not in group:
                raise ValueError(f"{type(self).__name__}: parameter group needs {k!r}")
            group.setdefault(k, v)
        group["params"] = params
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of every parameter (to ``None`` by default, as PyTorch does
        since 2.0).

        Args:
            set_to_none: set ``.grad`` to ``None`` rather than filling it with zeros.

        Examples:
            >>> import flowkit as flow
            >>> w = flow.nn.Parameter(flow.ones(2))
            >>> opt = flow.optim.SGD([w], lr=0.1)
            >>> (w * w).sum().backward()
            >>> opt.zero_grad()
            >>> w.grad is None
            True
        """
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        p.grad.zero_()

    def step(self, closure: Callable | None = None):
        """Update every parameter that has a gradient (each optimizer implements it).

        Args:
            closure: optional; re-evaluates the model and returns the loss (run with grad on).

        Returns:
            (Tensor | None): The closure's loss, or ``None``.

        Examples:
            >>> import flowkit as flow
            >>> w = flow.nn.Parameter(flow.ones(1))
            >>> opt = flow.optim.SGD([w], lr=0.5)
            >>> def closure():
            ...     opt.zero_grad()
            ...     loss = (w * w).sum()
            ...     loss.backward()
            ...     return loss
            >>> opt.step(closure).item(), w.item()
            (1.0, 0.0)
        """
        raise NotImplementedError

    def _closure_loss(self, closure):
        if closure is None:
            return None
        from .. import autograd

        with autograd.enable_grad():
            return closure()

    # ------------------------------------------------------------------ state dicts
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as ``{"state": {index: {...}}, "param_groups": [{...,
        "params": [index, ...]}]}``, parameters named by their position across the groups
        (PyTorch's layout). The state tensors are the live ones, not copies: save the dict
        (``flow.save``) or deep-copy it before training on.

        Examples:
            >>> import flowkit as flow
            >>> w = flow.nn.Parameter(flow.ones(2))
            >>> opt = flow.optim.Adam([w], lr=0.1)
            >>> (w * w).sum().backward()
            >>> opt.step()
            >>> sd = opt.state_dict()
            >>> sd["param_groups"][0]["params"], sorted(sd["state"][0])
            ([0], ['exp_avg', 'exp_avg_sq', 'step'])
        """
        index: dict[int, int] = {}
        groups = []
        for g in self.param_groups:
            ids = []
            for p in g["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in g.items() if k != "params"}, "params": ids})
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore settings and state saved by [`state_dict`][flowkit.optim.Optimizer.state_dict]
        into this optimizer, whose groups must hold the same numbers of parameters. State tensors
        are copied onto each parameter's device (floating-point ones in its dtype), so training
        resumes exactly.

        Args:
            state_dict: a dict returned by [`state_dict`][flowkit.optim.Optimizer.state_dict].

        Raises:
            ValueError: the numbers of groups or of parameters in a group differ.

        Examples:
            >>> import flowkit as flow
            >>> w = flow.nn.Parameter(flow.ones(2))
            >>> opt = flow.optim.SGD([w], lr=0.1, momentum=0.9)
            >>> (w * w).sum().backward()
            >>> opt.step()
            >>> resumed = flow.optim.SGD([w], lr=1.0, momentum=0.9)
            >>> resumed.load_state_dict(opt.state_dict())
            >>> resumed.param_groups[0]["lr"], resumed.state[w]["momentum_buffer"]
            (0.1, tensor([2., 2.], dtype=flowkit.float32))
        """
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(
                f"load_state_dict: the checkpoint has {len(groups)} parameter groups, this "
                f"optimizer has {len(self.param_groups)}"
            )
        by_index = {}
        for saved, own in zip(groups, self.param_groups):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError(
                    "load_state_dict: a parameter group's size differs from the checkpoint's "
                    f"({len(saved['params'])} saved, {len(own['params'])} here)"
                )
            for i, p in zip(saved["params"], own["params"]):
                by_index[i] = p
            own.update({k: v for k, v in saved.items() if k != "params"})
        self.state = defaultdict(dict)
        for i, s in state_dict["state"].items():
            p = by_index[int(i)]
            self.state[p] = {k: _state_value(k, v, p) for k, v in s.items()}

    def __repr__(self) -> str:
        """PyTorch's layout: each group's settings, sorted, one per line."""
        s = type(self).__name__ + " ("
        for i, g in enumerate(self.param_groups):
            s += f"\nParameter Group {i}"
            for k in sorted(g):
                if k != "params":
                    s += f"\n    {k}: {g[k]}"
        return s + "\n)"


def _state_value(key: str, v, p: Tensor):
    """A loaded state entry, copied: tensors onto ``p``'s device, floating ones in ``p``'s dtype
    (as PyTorch does; a ``step`` count keeps its own). Lists and tuples (LBFGS's history) are
    copied element by element, so the loaded state shares no list with the saved one."""
    if isinstance(v, (list, tuple)):
        return type(v)(_state_value(key, x, p) for x in v)
    if not isinstance(v, Tensor):
        return v
    if key != "step" and v.dtype.is_floating_point and p.dtype.is_floating_point:
        return v.to(p.device).to(p.dtype).clone()
    return v.to(p.device).clone()
