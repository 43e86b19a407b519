"""``flowkit.nn.Graph``: OneFlow's static-graph interface.

A graph is written like a module: ``__init__`` sets its modules (and optimizers, with
[`Graph.add_optimizer`][flowkit.nn.Graph.add_optimizer]), ``build`` describes one step, calling
the graph runs it. A training graph's ``build`` computes the loss, calls ``loss.backward()``
itself and returns it; the graph then runs every optimizer's ``step()`` and ``zero_grad()`` and
every scheduler's ``step()``, so a call is one whole training step, and gives exactly the numbers
the same code gives eagerly.

How a call runs is a seam for backends: the first call asks the selected backend
([`flowkit.backend.Backend.compile_graph`][flowkit.backend.Backend.compile_graph]) for a compiled
runner, which must give what `Graph._run` (the eager step) gives. The numpy backend records the
first call of each argument signature and replays it as generated code
(``flowkit_numpy/replay.py``); the torch backend offers none, so its graphs run ``_run`` on every
call.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import _plugins
from ..autograd import no_grad
from ..errors import AutogradError, StateDictError
from ..tensor import Tensor
from .module import Module, _addindent

if TYPE_CHECKING:
    from ..optim.lr_scheduler import LRScheduler
    from ..optim.optimizer import Optimizer


class GraphConfig:
    """A graph's settings (OneFlow's ``nn.Graph.config``). The backend decides how a graph runs
    (see [`Graph.debug`][flowkit.nn.Graph.debug]), so only the mode is kept: ``training`` is true
    for a graph with an optimizer in train mode.

    Examples:
        >>> import flowkit as flow
        >>> class Forward(flow.nn.Graph):
        ...     def build(self, x):
        ...         return x * 2
        >>> Forward().config
        GraphConfig(training=False)
    """

    def __init__(self, graph: Graph):
        self._graph = graph

    @property
    def training(self) -> bool:
        g = self._graph
        return g.training and bool(g._optimizers)

    def __repr__(self) -> str:
        return f"GraphConfig(training={self.training})"


class Graph:
    """Base class of static graphs: OneFlow's ``nn.Graph``, run eagerly, step for step.

    Subclass it, call ``super().__init__()`` first in ``__init__``, set the modules the step uses
    as attributes, add optimizers with [`add_optimizer`][flowkit.nn.Graph.add_optimizer], and
    define [`build`][flowkit.nn.Graph.build]. Calling the graph runs ``build`` with the call's
    arguments and returns its outputs (detached: a graph's outputs are values, not part of an
    autograd graph). With an optimizer, ``build`` calls ``loss.backward()`` and the graph then steps
    the optimizers (and their schedulers) and clears the gradients. Without one (or after
    [`eval`][flowkit.nn.Graph.eval]), ``build`` runs without autograd.

    The numbers are exactly those of the same code run eagerly: a graph trains along the same
    trajectory, on every backend.

    Examples:
        >>> import flowkit as flow
        >>> flow.manual_seed(0)
        >>> model = flow.nn.Linear(2, 1)
        >>> loss_fn = flow.nn.MSELoss()
        >>> opt = flow.optim.SGD(model.parameters(), lr=0.02)
        >>> class TrainGraph(flow.nn.Graph):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.model = model
        ...         self.loss_fn = loss_fn
        ...         self.add_optimizer(opt)
        ...     def build(self, x, y):
        ...         loss = self.loss_fn(self.model(x), y)
        ...         loss.backward()
        ...         return loss
        >>> graph = TrainGraph()
        >>> x, y = flow.tensor([[1.0, 2.0], [3.0, 4.0]]), flow.tensor([[1.0], [2.0]])
        >>> losses = [graph(x, y).item() for _ in range(50)]
        >>> losses[-1] < losses[0]
        True
        >>> print(graph)  # doctest: +ELLIPSIS
        (GRAPH:TrainGraph:TrainGraph): (
          (CONFIG:config:GraphConfig(training=True))
          (INPUT:_TrainGraph_input.0.0:tensor(size=(2, 2), dtype=flowkit.float32))
          (INPUT:_TrainGraph_input.0.1:tensor(size=(2, 1), dtype=flowkit.float32))
          (MODULE:model:Linear(in_features=2, out_features=1, bias=True)): (
            (PARAMETER:model.weight:tensor(size=(1, 2), dtype=flowkit.float32, ...)): ()
            (PARAMETER:model.bias:tensor(size=(1,), dtype=flowkit.float32, ...)): ()
          )
          (MODULE:loss_fn:MSELoss()): ()
          (OUTPUT:_TrainGraph_output.0.0:tensor(size=(), dtype=flowkit.float32))
          (OPTIMIZER:_optimizer_0:SGD(lr=0.02, ...)): ()
        )
    """

    training: bool
    # set by __init__ through __dict__, past __setattr__ (which registers modules)
    _modules: OrderedDict[str, Module]
    _optimizers: list[tuple[Optimizer, LRScheduler | None]]
    _runner: Callable[..., Any] | None
    _debug_level: int
    config: GraphConfig

    def __init__(self) -> None:
        d = self.__dict__
        d["training"] = True
        d["_modules"] = OrderedDict()
        d["_optimizers"] = []  # (optimizer, lr scheduler or None), in the order added
        d["_runner"] = None  # what a call runs: chosen by _compile on the first call
        d["_debug_level"] = -1
        d["config"] = GraphConfig(self)

    # ------------------------------------------------------------------ definition
    def build(self, *args, **kwargs):
        """One step of the graph: override it (like ``Module.forward``).

        A training graph computes its loss here, calls ``loss.backward()`` and returns the loss
        (or anything else to report); the optimizers' ``step`` and ``zero_grad`` run after it.
        Inputs and outputs are tensors, or lists, tuples and dicts of them.

        Examples:
            >>> import flowkit as flow
            >>> class Double(flow.nn.Graph):
            ...     def build(self, x):
            ...         return x * 2
            >>> Double()(flow.ones(2))
            tensor([2., 2.], dtype=flowkit.float32)
        """
        raise NotImplementedError(
            f"{type(self).__name__} must define build(self, ...), the computation one call of "
            "the graph runs"
        )

    def _registries(self, name: str) -> OrderedDict:
        d = self.__dict__
        if "_modules" not in d:
            raise AttributeError(
                f"cannot assign {name!r} before Graph.__init__() was called; call "
                "super().__init__() first in your __init__"
            )
        return d["_modules"]

    def __setattr__(self, name: str, value: Any) -> None:
        from ..optim.optimizer import Optimizer

        modules = self._registries(name)
        if isinstance(value, Optimizer):
            raise TypeError(
                f"{type(self).__name__}.{name}: add an optimizer with "
                "self.add_optimizer(optimizer) (optionally lr_sch=...), so the graph steps it"
            )
        if isinstance(value, Module):
            modules[name] = value
        else:
            modules.pop(name, None)
        self.__dict__[name] = value
        self.__dict__["_runner"] = None  # what the graph runs changed: compile again

    def __delattr__(self, name: str) -> None:
        self.__dict__.get("_modules", {}).pop(name, None)
        object.__delattr__(self, name)

    def add_optimizer(self, optim, *, lr_sch=None, is_sparse: bool = False) -> None:
        """Train with ``optim``: after each ``build``, the graph runs ``optim.step()``,
        ``optim.zero_grad()`` and, with ``lr_sch``, ``lr_sch.step()``.

        ``build`` must call ``loss.backward()`` itself. Several optimizers may be added (for
        different parameters); they step in the order they were added.

        Args:
            optim (Optimizer): a [`flowkit.optim.Optimizer`][flowkit.optim.Optimizer].
            lr_sch (LRScheduler | None): a learning-rate scheduler of ``optim``, stepped once per
                call.
            is_sparse: OneFlow's sparse updates; not supported (must be ``False``).

        Examples:
            >>> import flowkit as flow
            >>> w = flow.nn.Parameter(flow.ones(1))
            >>> opt = flow.optim.SGD([w], lr=0.5)
            >>> class Step(flow.nn.Graph):
            ...     def __init__(self):
            ...         super().__init__()
            ...         self.add_optimizer(opt)
            ...     def build(self):
            ...         loss = (w * w).sum()
            ...         loss.backward()
            ...         return loss
            >>> Step()().item(), w.item(), w.grad is None
            (1.0, 0.0, True)
        """
        from ..optim.optimizer import Optimizer

        self._registries("add_optimizer")
        if not isinstance(optim, Optimizer):
            raise TypeError(
                f"add_optimizer: expected a flowkit optimizer (e.g. "
                f"flow.optim.SGD(...)), got {type(optim).__name__}"
            )
        if lr_sch is not None and getattr(lr_sch, "optimizer", optim) is not optim:
            raise ValueError(
                "add_optimizer: lr_sch schedules another optimizer; pass the "
                "scheduler built on this one"
            )
        if is_sparse:
            raise ValueError(
                "add_optimizer: is_sparse=True (OneFlow's sparse updates) is not "
                "supported by flowkit; leave it False"
            )
        self._optimizers.append((optim, lr_sch))
        self.__dict__["_runner"] = None

    # ------------------------------------------------------------------ running
    def __call__(self, *args, **kwargs):
        """Run one step: ``build(*args, **kwargs)`` (and the optimizer updates) and return the
        outputs of ``build``."""
        runner = self.__dict__.get("_runner")
        if runner is None:
            if "_modules" not in self.__dict__:
                raise RuntimeError(f"{type(self).__name__}.__init__ must call super().__init__()")
            runner = self.__dict__["_runner"] = self._compile(*args, **kwargs)
            outputs = runner(*args, **kwargs)
            # what the first call took and gave, for the repr (OneFlow's INPUT/OUTPUT entries)
            self.__dict__["_io"] = (
                [_meta(t) for t in _tensors((args, kwargs))],
                [_meta(t) for t in _tensors(outputs)],
            )
            return outputs
        return runner(*args, **kwargs)

    def _compile(self, *args, **kwargs):
        """Choose what a call runs, on the first call (and after a change of mode, modules or
        optimizers): the backend's compiled runner if it offers one, else `_run`.

        The arguments are the first call's, for a backend that traces the step with them.
        """
        if type(self).build is Graph.build:
            raise NotImplementedError(
                f"{type(self).__name__} must define build(self, ...), the computation one call "
                "of the graph runs"
            )
        for optim, _ in self._optimizers:  # start from clean gradients: the step sees only its own
            optim.zero_grad()
        runner = _plugins.get().compile_graph(self)
        return self._run if runner is None else runner

    def _run(self, *args, **kwargs):
        """The eager step: ``build``, then (training) the optimizer updates; the detached
        outputs. A compiled runner must give exactly this."""
        outputs = self._build(*args, **kwargs)
        if self.config.training:
            self._update()
        return _detach(outputs)

    def _build(self, *args, **kwargs):
        """``build`` as a step runs it: with autograd in training mode, without it otherwise.
        (A backend that records a step wraps this call.)"""
        if self.config.training:
            return self.build(*args, **kwargs)
        try:
            with no_grad():  # a graph without a training step records no autograd graph
                return self.build(*args, **kwargs)
        except AutogradError as exc:
            fix = (
                "is in eval mode: call .train() to train with it"
                if self._optimizers
                else "has no optimizer: add one with self.add_optimizer(...) to train with it"
            )
            raise AutogradError(
                f"{exc} ({type(self).__name__} {fix}; until then build() runs without autograd)"
            ) from exc

    @staticmethod
    def _detach_outputs(outputs):
        return _detach(outputs)

    def _update(self) -> None:
        """What follows ``build`` in a training step."""
        for update in self._update_steps():
            update()

    def _update_steps(self) -> list:
        """The calls that follow ``build`` in a training step, in OneFlow's order: every
        optimizer's ``step``, then every ``zero_grad``, then every scheduler's ``step``. (A
        compiled runner may keep this list: adding an optimizer makes a new runner.)"""
        steps: list[Callable[[], object]] = [optim.step for optim, _ in self._optimizers]
        steps += [optim.zero_grad for optim, _ in self._optimizers]
        steps += [sch.step for _, sch in self._optimizers if sch is not None]
        return steps

    # ------------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> Graph:
        """Set training mode: the graph's (its optimizers step only in training mode) and its
        modules' (dropout, batch norm), as ``Module.train`` does.

        Examples:
            >>> import flowkit as flow
            >>> class G(flow.nn.Graph):
            ...     def __init__(self):
            ...         super().__init__()
            ...         self.lin = flow.nn.Linear(2, 2)
            ...     def build(self, x):
            ...         return self.lin(x)
            >>> g = G().eval()
            >>> g.training, g.lin.training
            (False, False)
        """
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode) expects a bool, got {type(mode).__name__}")
        self.__dict__["training"] = mode
        for m in self._modules.values():
            m.train(mode)
        self.__dict__["_runner"] = None  # a compiled runner is for one mode
        return self

    def eval(self) -> Graph:
        """Evaluation mode: ``train(False)``. ``build`` runs without autograd and nothing steps."""
        return self.train(False)

    def debug(
        self,
        v_level: int = 0,
        *,
        ranks=None,
        max_py_stack_depth: int = 2,
        only_user_py_stack: bool = True,
        op_repr_with_py_stack: bool = False,
    ) -> None:
        """OneFlow's compile-time debug output switch. With ``v_level >= 1`` the backend reports
        how it runs the graph when it compiles a call: the numpy backend prints the code it
        replays, or why it runs ``build`` eagerly; a backend without a compiler (torch) prints
        nothing. The other arguments are accepted for compatibility with OneFlow.

        Examples:
            >>> import flowkit as flow
            >>> class G(flow.nn.Graph):
            ...     def build(self, x):
            ...         return x
            >>> G().debug(0)
        """
        self.__dict__["_debug_level"] = int(v_level)

    @property
    def name(self) -> str:
        """The graph's name in its repr: its class name."""
        return type(self).__name__

    # ------------------------------------------------------------------ state
    def _optimizer_keys(self):
        for i, (optim, sch) in enumerate(self._optimizers):
            yield f"_optimizer_{i}", optim
            if sch is not None:
                yield f"_lr_scheduler_{i}", sch

    def state_dict(self) -> OrderedDict:
        """The whole state of the graph: each module's ``state_dict()`` under its attribute name,
        then each optimizer's (``"_optimizer_0"``, ...) and scheduler's (``"_lr_scheduler_0"``).

        Examples:
            >>> import flowkit as flow
            >>> class G(flow.nn.Graph):
            ...     def __init__(self):
            ...         super().__init__()
            ...         self.lin = flow.nn.Linear(2, 1)
            ...         self.add_optimizer(flow.optim.SGD(self.lin.parameters(), lr=0.1))
            ...     def build(self, x):
            ...         return self.lin(x)
            >>> sd = G().state_dict()
            >>> list(sd), list(sd["lin"])
            (['lin', '_optimizer_0'], ['weight', 'bias'])
        """
        out = OrderedDict()
        for name, m in self._modules.items():
            out[name] = m.state_dict()
        for key, obj in self._optimizer_keys():
            out[key] = obj.state_dict()
        return out

    def load_state_dict(self, state_dict, strict: bool = True) -> None:
        """Load a [`state_dict`][flowkit.nn.Graph.state_dict] into the graph's modules, optimizers
        and schedulers.

        Args:
            state_dict (dict): a dict as [`state_dict`][flowkit.nn.Graph.state_dict] returns (e.g.
                from ``flow.load``).
            strict: missing or unexpected keys are an error (for the graph's keys and, passed
                on, for each module's).

        Examples:
            >>> import flowkit as flow
            >>> class G(flow.nn.Graph):
            ...     def __init__(self):
            ...         super().__init__()
            ...         self.lin = flow.nn.Linear(2, 1)
            ...     def build(self, x):
            ...         return self.lin(x)
            >>> a, b = G(), G()
            >>> b.load_state_dict(a.state_dict())
            >>> bool((a.lin.weight == b.lin.weight).all())
            True
        """
        own = dict(self._modules.items())
        own.update(self._optimizer_keys())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append("missing keys: " + ", ".join(missing))
            if unexpected:
                parts.append("unexpected keys: " + ", ".join(unexpected))
            raise StateDictError(
                f"load_state_dict into {type(self).__name__}: "
                + "; ".join(parts)
                + ". Pass strict=False to load the matching "
                "keys only"
            )
        for key, obj in own.items():
            if key in state_dict:
                if isinstance(obj, Module):
                    obj.load_state_dict(state_dict[key], strict=strict)
                else:
                    obj.load_state_dict(state_dict[key])

    # ------------------------------------------------------------------ printing
    def __repr__(self) -> str:
        lines = [f"(CONFIG:config:{self.config!r})"]
        inputs, outputs = self.__dict__.get("_io", ((), ()))
        for i, meta in enumerate(inputs):
            lines.append(f"(INPUT:_{self.name}_input.0.{i}:{meta})")
        for name, m in self._modules.items():
            lines.append(_module_repr(name, m))
        for i, meta in enumerate(outputs):
            lines.append(f"(OUTPUT:_{self.name}_output.0.{i}:{meta})")
        for key, obj in self._optimizer_keys():
            kind = "OPTIMIZER" if key.startswith("_optimizer") else "LR_SCHEDULER"
            lines.append(f"({kind}:{key}:{_optimizer_repr(obj)}): ()")
        return (
            f"(GRAPH:{self.name}:{type(self).__name__}): (\n"
            + "\n".join("  " + _addindent(line, 2) for line in lines)
            + "\n)"
        )


def _tensors(x) -> list:
    """The tensors in ``x`` (nested tuples, lists and dicts), in order."""
    if isinstance(x, Tensor):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for item in x for t in _tensors(item)]
    if isinstance(x, dict):
        return [t for item in x.values() for t in _tensors(item)]
    return []


def _meta(t: Tensor) -> str:
    rg = ", requires_grad=True" if t.requires_grad else ""
    return f"tensor(size={tuple(t.shape)}, dtype={t.dtype!r}{rg})"


def _module_repr(path: str, m: Module) -> str:
    extra = m.extra_repr()
    head = f"(MODULE:{path}:{m._get_name()}({extra if chr(10) not in extra else '...'}))"
    children = []
    for name, p in m._parameters.items():
        if p is not None:
            children.append(f"(PARAMETER:{path}.{name}:{_meta(p)}): ()")
    for name, b in m._buffers.items():
        if b is not None:
            children.append(f"(BUFFER:{path}.{name}:{_meta(b)}): ()")
    for name, c in m._modules.items():
        if c is not None:
            children.append(_module_repr(f"{path}.{name}", c))
    if not children:
        return head + ": ()"
    return head + ": (\n" + "\n".join("  " + _addindent(c, 2) for c in children) + "\n)"


def _optimizer_repr(obj) -> str:
    groups = getattr(obj, "param_groups", None)
    if not groups:
        return type(obj).__name__
    settings = ", ".join(
        f"{k}={v}" for k, v in groups[0].items() if k not in ("params", "initial_lr")
    )
    more = f", groups={len(groups)}" if len(groups) > 1 else ""
    return f"{type(obj).__name__}({settings}{more})"


def _detach(x):
    """A graph's outputs as values: tensors detached, containers rebuilt around them."""
    if isinstance(x, Tensor):
        return x.detach()
    if isinstance(x, (list, tuple)):
        items = [_detach(i) for i in x]
        return type(x)(*items) if hasattr(x, "_fields") else type(x)(items)
    if isinstance(x, dict):
        return type(x)((k, _detach(v)) for k, v in x.items())
    return x
