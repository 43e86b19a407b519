"""``nn.Graph`` on the numpy backend: record one call of ``build``, replay it as generated code.

The first call of a graph (for each signature of its arguments: shapes, dtypes, other values)
runs ``build`` eagerly while a :class:`Tracer` watches: every op that knows how to replay itself
calls :meth:`Tracer.record` with its array kernel, and ``backward()`` hands the tracer the
engine's own topological order. From that record, :func:`_generate` writes one Python function,
a straight line of kernel calls, VJP calls and gradient stores (``graph.debug(1)`` prints it), so
a replayed step runs no ``Module.__call__``, no functional checks, no ``Tensor`` or ``Node``
objects and no graph search: what is left is the numpy work and one call per op.

Replay gives exactly the eager result: the kernels are the ones the eager ops run, on the same
arrays, and the backward sums gradients in the engine's order with the engine's store rules.

What a recording cannot stand for makes the graph run eagerly instead (always correct), with the
reason kept for ``graph.debug(1)``: values read back into Python inside ``build`` (``item()``,
``numpy()``, printing: the next call could branch differently), tensors made inside ``build``
from Python values or random numbers (``flow.tensor``, dropout's mask), in-place writes other
than in-place arithmetic outside autograd (which is replayed: batch norm's counter), a second
``backward``, ``create_graph``/``autograd.grad``, ``retain_grad``. Every other public op records
itself (tests/test_graph_replay.py runs each in a graph). Like OneFlow's ``nn.Graph``, the Python
code of ``build`` runs once per signature: its side effects (prints, attribute assignments)
happen on the recording call only.
"""

from __future__ import annotations

import threading

import numpy as np

from . import define, engine
from .autograd import _ones_seed
from .define import make
from .tensor import NumpyTensor

_MISSING = object()
MAX_SIGNATURES = 8  # programs kept per graph (e.g. full batches and the last, smaller one)


class Tracer:
    """What one eager call of ``build`` did, as far as it can be replayed."""

    def __init__(self, inputs):
        # the recording thread: `define.tracer` is one per process, and ops other threads run
        # meanwhile (a data-loading thread making tensors) are not part of this build()
        self.thread = threading.get_ident()
        self.problem: str | None = None  # why this call cannot be replayed (first reason)
        self.instrs: list = []  # (kernel, argument refs, name)
        self.ref: dict[int, tuple] = {}  # id(tensor) -> ("x", i) | ("e", j) | ("v", k)
        self.externals: list = []  # tensors build read that existed before the call
        self.consts: list = []
        self.node_instr: dict[int, int] = {}  # id(node) -> index of the op that made it
        self.made: dict[int, str] = {}  # id -> what made a tensor no op recorded
        self.keep: list = []  # every tensor seen, alive until the end: ids stay unique
        self.backward = None  # (root op, seed, steps) once build called backward()
        self.observed: dict[int, list] = {}  # op -> what its VJP returned in the eager backward
        for i, t in enumerate(inputs):
            if id(t) in self.ref:  # the next call may pass two different tensors there
                self.fail("the same tensor is passed as two arguments")
            self.ref[id(t)] = ("x", i)
            self.keep.append(t)

    # -- called by the backend while build runs
    def fail(self, why: str) -> None:
        if self.problem is None and threading.get_ident() == self.thread:
            self.problem = why

    def made_tensor(self, t) -> None:
        """Every new tensor passes here (``_make``); recorded ops then claim theirs."""
        if threading.get_ident() != self.thread:
            return
        self.keep.append(t)
        self.made[id(t)] = (
            f"the op {t._node.name!r}"
            if t._node is not None
            else "flow.tensor, a random draw or another creation from values"
        )

    def record(self, out, kernel, inputs, name: str, write: bool = False) -> None:
        """``out`` was made by ``kernel(*arrays)`` -> ``(array, ctx)``, from ``inputs`` (tensors,
        whose arrays are passed, and constants, passed as they are). ``write``: the kernel wrote
        into ``out``'s own array instead (no autograd involved); the replay makes the same
        write, and later readers of ``out`` read that array."""
        if self.problem is not None or threading.get_ident() != self.thread:
            return
        args = []
        for v in inputs:
            r = self._ref(v, name)
            if r is None:
                return
            args.append(r)
        k = len(self.instrs)
        self.instrs.append((kernel, tuple(args), name))
        self.ref[id(out)] = ("v", k)
        if out._node is not None and not write:  # (a written tensor keeps its earlier node)
            self.node_instr[id(out._node)] = k

    def _ref(self, v, user: str):
        if not isinstance(v, NumpyTensor):
            self.consts.append(v)
            return ("k", len(self.consts) - 1)
        r = self.ref.get(id(v))
        if r is not None:
            return r
        if id(v) in self.made:
            self.fail(
                f"{user} uses a tensor made inside build() by {self.made[id(v)]}: the "
                "recording would freeze its values (make it outside build and pass it in)"
            )
            return None
        # made before the call: a parameter, a buffer or a constant build captured. The replay
        # reads its array afresh each time (the optimizer updates it; load_state_dict may swap it)
        self.ref[id(v)] = r = ("e", len(self.externals))
        self.externals.append(v)
        self.keep.append(v)
        return r

    def record_backward(self, root, gradient, create_graph: bool) -> None:
        if self.problem is not None or threading.get_ident() != self.thread:
            return
        if self.backward is not None:
            return self.fail("build() calls backward() more than once")
        if gradient is not None or create_graph:
            return self.fail("backward(gradient=...) or create_graph=True inside build()")
        r = self.ref.get(id(root))
        if r is None or r[0] != "v" or root._node is None:
            return self.fail("backward() of a tensor no recorded op made")
        steps = []
        for n in engine._topological_order(root._node):
            k = self.node_instr.get(id(n))
            if k is None:
                return self.fail(
                    f"backward() reaches {n.name!r}, an op recorded outside build() "
                    "or one the numpy backend cannot replay yet"
                )
            if n.retained is not None:
                return self.fail("retain_grad() inside build()")
            targets: list = []
            for t, child in zip(n.inputs, n.edges):
                if t is None:
                    targets.append(None)
                    continue
                shape, dtype = t._data.shape, t._data.dtype
                if child is None:  # a leaf: its .grad
                    tr = self.ref.get(id(t))
                    if tr is None or tr[0] != "e":
                        return self.fail(
                            "a gradient flows into an argument of the graph or a "
                            "tensor made inside build()"
                        )
                    targets.append(("leaf", tr[1], shape, dtype))
                else:
                    kc = self.node_instr.get(id(child))
                    if kc is None:
                        return self.fail(
                            f"backward() reaches {child.name!r}, an op recorded outside build()"
                        )
                    targets.append(("op", kc, shape, dtype))
            need = tuple(None if t is None else True for t in n.inputs)
            steps.append((k, n.vjp, need, targets))
        # the engine now runs this backward eagerly; watch what each VJP returns (None, or a
        # gradient's shape and dtype: fixed for a signature), so the generated code sums
        # broadcast dimensions, casts and accumulates exactly where the engine did, and nowhere else
        for n in engine._topological_order(root._node):
            n.vjp = _watched(n.vjp, self.observed.setdefault(self.node_instr[id(n)], []))
        seed = _ones_seed(root._data.shape, root._data.dtype)
        self.backward = (self.ref[id(root)][1], seed, steps)

    # -- after build returned
    def output_refs(self, outputs):
        """The outputs as a template: tensors replaced by refs (``None`` if one can't be)."""
        if isinstance(outputs, NumpyTensor):
            return ("T", self._ref(outputs, "an output of build()"))
        if isinstance(outputs, (list, tuple)):
            return ("L", type(outputs), [self.output_refs(o) for o in outputs])
        if isinstance(outputs, dict):
            return ("D", type(outputs), [(k, self.output_refs(v)) for k, v in outputs.items()])
        return ("C", outputs)


def _watched(vjp, seen: list):
    def watching(g, ctx, need):
        grads = vjp(g, ctx, need)
        seen.append(tuple(None if i is None else (np.shape(i), np.result_type(i)) for i in grads))
        return grads

    return watching


def _rebuild(template, vals):
    kind = template[0]
    if kind == "T":
        return make(vals[template[1]])
    if kind == "L":
        items = [_rebuild(t, vals) for t in template[2]]
        cls = template[1]
        return cls(*items) if hasattr(cls, "_fields") else cls(items)
    if kind == "D":
        return template[1]((k, _rebuild(t, vals)) for k, t in template[2])
    return template[1]


def _template_refs(template, acc):
    kind = template[0]
    if kind == "T":
        acc.append(template[1])
    elif kind == "L":
        for t in template[2]:
            _template_refs(t, acc)
    elif kind == "D":
        for _, t in template[2]:
            _template_refs(t, acc)
    return acc


def _name(r) -> str:
    kind, i = r
    return {"x": "x{}", "e": "e{}", "v": "v{}", "k": "K[{}]"}[kind].format(i)


def _generate(tracer: Tracer, out_refs) -> tuple[str, dict]:
    """The source of ``replay(X)`` (``X``: the argument tensors) and its namespace."""
    lines = ["def replay(X):"]
    emit = lines.append
    for i in sorted(
        {r[1] for *_, args, _ in tracer.instrs for r in args if r[0] == "x"}
        | {r[1] for r in _template_refs(out_refs, []) if r[0] == "x"}
    ):
        emit(f"    x{i} = X[{i}]._data")
    for j in range(len(tracer.externals)):
        emit(f"    e{j} = E[{j}]._data")
    # each kernel, VJP and its need-tuple is a global of its own (F3, V3, N3): one lookup each
    ns = {
        "E": tracer.externals,
        "K": tracer.consts,
        "unbroadcast": engine.unbroadcast,
        "store_grad": engine.store_grad,
        "wrap": make,
    }
    for k, (kernel, args, name) in enumerate(tracer.instrs):
        ns[f"F{k}"] = kernel
        emit(f"    v{k}, c{k} = F{k}({', '.join(_name(a) for a in args)})  # {name}")
    if tracer.backward is not None:
        _generate_backward(tracer, ns, emit)
    outs = [_name(r) for r in _template_refs(out_refs, [])]
    emit(f"    return ({', '.join(outs)}{',' if len(outs) == 1 else ''})")
    return "\n".join(lines) + "\n", ns


def _generate_backward(tracer: Tracer, ns: dict, emit) -> None:
    """The backward pass as the engine ran it when the step was recorded: the same VJPs in the
    same order, each gradient sent where the engine sent it and summed in the same order, with
    the engine's unbroadcast/cast applied where the recorded shapes and dtypes called for it."""
    root, seed, steps = tracer.backward
    ns["SEED"] = seed
    emit("    # backward, in the engine's order")
    emit("    shared = set()")
    grad = {root: "SEED"}  # op -> the expression of its output's gradient so far
    fits: dict = {}
    for k, vjp, need, targets in steps:
        seen = tracer.observed.get(k)
        if not seen:  # no gradient reached this op in the eager backward: the engine skipped it
            continue
        (returned,) = seen
        ns[f"V{k}"], ns[f"N{k}"] = vjp, need
        emit(f"    r = V{k}({grad.pop(k)}, c{k}, N{k})  # {tracer.instrs[k][2]}")
        for pos, tgt in enumerate(targets):
            if tgt is None or returned[pos] is None:
                continue
            kind, idx, shape, dtype = tgt
            expr = f"r[{pos}]"
            got_shape, got_dtype = returned[pos]
            if got_shape != shape:  # the engine sums the broadcast dimensions away
                f = fits.setdefault(("S", shape), f"S{len(fits)}")
                ns[f] = shape
                expr = f"unbroadcast({expr}, {f})"
            if got_dtype != dtype:  # a gradient has its tensor's dtype
                f = fits.setdefault(("D", dtype), f"D{len(fits)}")
                ns[f] = dtype
                expr = f"{expr}.astype({f})"
            if kind == "leaf":
                emit(f"    store_grad(E[{idx}], {expr}, shared, wrap)")
            elif idx in grad:
                emit(f"    g{idx} = g{idx} + {expr}")
            else:
                emit(f"    g{idx} = {expr}")
                grad[idx] = f"g{idx}"


class Program:
    """One recorded call, compiled: ``run(arrays)`` is the replayed step."""

    def __init__(self, tracer: Tracer, out_template):
        refs = _template_refs(out_template, [])
        self.source, ns = _generate(tracer, out_template)
        exec(compile(self.source, "<flowkit nn.Graph replay>", "exec"), ns)  # noqa: S102
        self.fn = ns["replay"]
        # outputs in the template point at positions of the returned tuple
        self.template = _renumber(out_template, iter(range(len(refs))))
        self.single = self.template == ("T", 0)  # build returned one tensor (the usual loss)
        self.n_ops = len(tracer.instrs)


def _renumber(template, counter):
    kind = template[0]
    if kind == "T":
        return ("T", next(counter))
    if kind == "L":
        return ("L", template[1], [_renumber(t, counter) for t in template[2]])
    if kind == "D":
        return ("D", template[1], [(k, _renumber(t, counter)) for k, t in template[2]])
    return template


def _flatten_args(value, tensors, key):
    """Append ``value``'s tensors to ``tensors`` and its signature parts to ``key``; False when
    a value can't be part of a signature (then the call runs eagerly)."""
    if isinstance(value, NumpyTensor):
        tensors.append(value)
        a = value._data
        key.append((a.shape, a.dtype, value._rg))
        return True
    if isinstance(value, (list, tuple)):
        key.append((type(value), len(value)))
        return all(_flatten_args(v, tensors, key) for v in value)
    if isinstance(value, dict):
        key.append((type(value), tuple(value)))
        return all(_flatten_args(v, tensors, key) for v in value.values())
    try:
        hash(value)
    except TypeError:
        return False
    key.append((type(value), value))
    return True


class GraphRunner:
    """What a numpy-backend ``nn.Graph`` call runs: a replayed program per signature, or eager."""

    def __init__(self, graph):
        self.graph = graph
        # a runner serves one mode and one set of optimizers (a change makes a new runner)
        self.updates = graph._update_steps() if graph.config.training else []
        self.programs: dict = {}  # signature -> Program, or a str: why it runs eagerly
        self.reported = set()

    def __call__(self, *args, **kwargs):
        # the signature: grad mode, then each tensor argument's shape, dtype and requires_grad
        # and other arguments' values. The usual call (tensors only, positional) in one line:
        # this runs at every step
        key = None
        if not kwargs:
            try:
                key = (
                    define.grad_enabled or define.STATE.grad_enabled,  # (this thread's mode)
                    *[(a._data.shape, a._data.dtype, a._rg) for a in args],
                )
                tensors = args
            except AttributeError:  # not all tensors
                pass
        if key is None:
            tensors, parts = [], [define.is_grad_enabled(), "any"]
            if not _flatten_args((args, kwargs), tensors, parts):
                return self.graph._run(*args, **kwargs)
            key = tuple(parts)
        prog = self.programs.get(key, _MISSING)
        if prog.__class__ is Program:
            vals = prog.fn(tensors)
            out = make(vals[0]) if prog.single else _rebuild(prog.template, vals)
            for update in self.updates:
                update()
            return out
        if prog is _MISSING and define.tracer is None:
            return self._record(key, tensors, args, kwargs)
        return self.graph._run(*args, **kwargs)  # not replayable (or inside another recording)

    def _record(self, key, tensors, args, kwargs):
        graph = self.graph
        tracer = Tracer(tensors)
        define.tracer = tracer
        try:
            outputs = graph._build(*args, **kwargs)
        finally:
            define.tracer = None
        template = tracer.output_refs(outputs)
        if len(self.programs) >= MAX_SIGNATURES:
            self.programs.clear()
        if tracer.problem is None:
            self.programs[key] = Program(tracer, template)
        else:
            self.programs[key] = tracer.problem
        self._report(key)
        for update in self.updates:
            update()
        return graph._detach_outputs(outputs)

    def _report(self, key) -> None:
        if self.graph._debug_level < 1:
            return
        prog = self.programs[key]
        name = type(self.graph).__name__
        if isinstance(prog, Program):
            print(f"{name}: numpy backend replays {prog.n_ops} recorded ops:\n{prog.source}")
        else:
            print(f"{name}: numpy backend runs build() eagerly: {prog}")

    def explain(self) -> list[str]:
        """One line per recorded signature: replayed (and how many ops) or why eager."""
        return [
            f"replayed, {p.n_ops} ops" if isinstance(p, Program) else f"eager: {p}"
            for p in self.programs.values()
        ]


def compile_graph(graph):
    return GraphRunner(graph)
