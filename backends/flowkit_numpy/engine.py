"""The numpy backend's reverse-mode autograd engine.

Each op on tensors that need gradients records one :class:`Node`: its VJP (from the table
:data:`VJP`, filled by the op families), the arrays it saved, and its inputs. ``backward``
orders the nodes reachable from the output with an iterative depth-first search (no recursion
limit on deep graphs; HIPS autograd made the same move from a tape in 2016), walks them in
reverse topological order, sums broadcast dimensions away once per input, and frees each node's
saved arrays as soon as it has run unless ``retain_graph`` is set, so a second backward through
a freed graph is a clear error rather than wrong numbers.

:func:`run_backward` is that hot path (one output, first order, into ``.grad``).
:func:`run_general` serves the rest: several outputs, ``flowkit.autograd.grad`` (gradients
returned, ``.grad`` untouched, branches no input needs skipped) and ``create_graph``, where the
same VJPs run on tensors (see :mod:`.numpy_api`), so the gradients have a graph of their own.
"""

from __future__ import annotations

import itertools
import os
import weakref
from collections import deque

import numpy as np

from flowkit import dtypes as _dt
from flowkit.autograd.anomaly_mode import forward_trace, nonfinite_gradient_error, with_trace
from flowkit.errors import AutogradError, ShapeError
from flowkit.ops.autograd import backward_name, freed_graph_error, modified_error

# The one VJP table: op name -> vjp(g, ctx, need), one gradient per input. The op families
# (arithmetic.py, reduction.py, ...) register each VJP beside its kernel (define.py's `op`).
VJP: dict[str, object] = {}
# op -> the role of each ctx entry, for create_graph (see numpy_api.py); absent: first order only
SAVES: dict[str, tuple] = {}


def vjp(name: str, saves=None):
    """Register the decorated function as ``name``'s VJP.

    A VJP gets the gradient ``g`` of the op's output, the values the forward pass saved
    (``ctx``) and the op's inputs (``None`` where an input needs no gradient, so its product is
    skipped) and returns one gradient per input, in the *broadcast* shape: the engine sums
    broadcast dimensions away once, for every op (MyGrad/tinygrad's rule). VJPs never write
    into ``g`` or ``ctx``: one gradient array may be read by several of them.

    ``saves`` declares what each ``ctx`` entry is, one role per entry: ``"in0"``/``"in1"``/
    ``"in2"`` (the value of that input), ``"out"`` (the op's output), ``"in0-in1"`` (their
    difference), ``"const"`` (an array no gradient flows through, e.g. a mask) or ``None``
    (not a tensor value: shapes, dims, indices, numbers). With it the same VJP runs on tensors
    under ``create_graph`` (second derivatives: see numpy_api.py), so it must use only numpy
    calls numpy_api maps (arithmetic, ``np.matmul``, ``np.where``, ``np.add.reduce`` rather than
    ``.sum(axis=...)``, ...). Without it the op works to first order only and raises a clear
    error under ``create_graph``.
    """

    def register(fn):
        VJP[name] = fn
        if saves is not None:
            SAVES[name] = tuple(saves)
        return fn

    return register


# ------------------------------------------------------------------ in-place writes (versions)
# PyTorch refuses a backward whose saved tensors were changed in place since the forward pass
# (its version counters); without the check the numpy backend would compute the gradient from the
# changed values, silently. The bookkeeping is arranged so that nothing is paid per op but one
# global read: a process-wide write clock ticks at every in-place write into a tensor's memory,
# each Node notes the clock when it is recorded, and backward looks closer only at nodes recorded
# before the last write (none, in a training step that writes after backward).
#
# A write is noted against the array that owns the memory (the root of numpy's view chain), so a
# write through a view counts for every tensor sharing the memory, as PyTorch's shared counter
# does. The record: [weak reference (its callback drops the record when the array dies, so ids
# are never stale), the version (writes so far), the clock of the last few writes].
_clock = itertools.count(1)
write_stamp = 0  # the clock at the last in-place write
WRITES: dict[int, list] = {}
_RECENT = 16  # writes remembered per array: enough to name the version a node saved

# op -> needed(inputs, ctx) -> the indices of the ctx entries its VJP reads for the inputs that
# need a gradient (``inputs[i]`` is None where input i needs none). PyTorch saves only those
# (``w * x`` with only ``w`` requiring grad saves ``x``, so an optimizer step on ``w`` before
# backward is fine), and its version check follows; so does this one. An op not listed: every
# array in its ctx counts.
NEEDED: dict[str, object] = {}


def needs(name: str, fn) -> None:
    """Declare which ctx entries op ``name``'s VJP reads (see :data:`NEEDED`)."""
    NEEDED[name] = fn


def crosswise(inputs, ctx) -> tuple:
    """The ctx of a product (``mul``, ``matmul``, ``linear``): ``(a, b)``, where the gradient of
    ``a`` reads ``b`` and the gradient of ``b`` reads ``a``."""
    return ((1,) if inputs[0] is not None else ()) + ((0,) if inputs[1] is not None else ())


def _root(a: np.ndarray) -> np.ndarray:
    b = a.base
    while b is not None and b.__class__ is np.ndarray:
        a, b = b, b.base
    return a


def _record(root: np.ndarray, version: int) -> list:
    key = id(root)

    def forget(_ref: weakref.ref) -> None:  # the array died: its id may be reused
        WRITES.pop(key, None)

    rec = WRITES[key] = [weakref.ref(root, forget), version, deque(maxlen=_RECENT)]
    return rec


def bump(a: np.ndarray) -> None:
    """Note an in-place write into ``a``'s memory: one version more for every tensor sharing it."""
    global write_stamp
    root = a if a.base is None else _root(a)
    rec = WRITES.get(id(root))
    if rec is None:
        rec = _record(root, 0)
    write_stamp = stamp = next(_clock)
    rec[1] += 1
    rec[2].append(stamp)


def version(a: np.ndarray) -> int:
    """How many in-place writes ``a``'s memory has had (PyTorch's ``tensor._version``)."""
    rec = WRITES.get(id(_root(a)))
    return 0 if rec is None else rec[1]


def check_saved(n) -> None:
    """Raise PyTorch's error if an array node ``n`` saved was written in place after ``n`` was
    recorded (called only for nodes recorded before the last write)."""
    ctx = n.ctx
    needed = NEEDED.get(n.name) if n.__class__ is Node else None
    if needed is not None and ctx is not None:
        ctx = tuple(ctx[i] for i in needed(n.inputs, ctx))  # type: ignore[operator]
    for v in _saved_arrays(ctx):
        rec = WRITES.get(id(_root(v)))
        if rec is None or not rec[2] or rec[2][-1] <= n.stamp:
            continue
        later = sum(1 for s in rec[2] if s > n.stamp)
        saved = None if later == _RECENT else rec[1] - later
        err = modified_error(
            backward_name(n.name), str(_dt.from_numpy_dtype(v.dtype)), v.shape, rec[1], saved
        )
        if anomaly:  # name the forward line of the op too
            err = AutogradError(with_trace(str(err), getattr(n, "trace", None)))
        raise err


def _saved_arrays(ctx):
    if ctx is None:
        return
    for v in ctx if isinstance(ctx, (tuple, list)) else (ctx,):
        if v.__class__ is np.ndarray:
            yield v
        elif isinstance(v, (tuple, list)):  # (a few ops save a sequence of arrays: cat, stack)
            for w in v:
                if w.__class__ is np.ndarray:
                    yield w


class Node:
    """One recorded op: ``vjp(g, ctx, inputs)`` gives the gradients of ``inputs``."""

    # (`trace`: set only while anomaly detection is on, see below)
    __slots__ = ("name", "vjp", "ctx", "inputs", "edges", "retained", "stamp", "trace")

    def __init__(self, name, vjp, ctx, inputs):
        self.name = name
        self.vjp = vjp
        self.ctx = ctx
        self.stamp = write_stamp  # the write clock now: backward checks what ctx saved if it moved
        self.inputs = inputs  # tensors needing a gradient, None for the others
        # each input's node as it is *now*: an in-place op later moves the tensor onto a new
        # node, and this node must still send its gradient to the value it actually used
        n = len(inputs)  # unrolled for the usual one or two inputs: this runs on every op
        if n == 2:
            a, b = inputs
            self.edges = (None if a is None else a._node, None if b is None else b._node)
        elif n == 1:
            self.edges = (None if inputs[0] is None else inputs[0]._node,)
        else:
            self.edges = tuple([None if t is None else t._node for t in inputs])
        self.retained = None  # an _Extra: retain_grad() and register_hook() of the output

    def __repr__(self) -> str:
        return f"<{backward_name(self.name)} object>"


class FunctionNode(Node):
    """The node of a ``flowkit.autograd.Function`` (see autograd.py's ``apply_function``): its
    ``name`` is the user's class name, its ``ctx`` the arrays saved for backward (for the
    in-place check), and its VJP calls the user's ``backward``."""

    __slots__ = ("__weakref__",)

    def __repr__(self) -> str:
        return f"<{self.name}Backward object>"


# ------------------------------------------------------------------ anomaly detection
# flowkit.autograd.detect_anomaly(). Free when off: nothing on the hot path reads these flags.
# Switching it on swaps Node.__init__ for one that also records the forward call (so no op pays
# a test per node), and each backward call wraps the VJPs it will run in a checking one (arm).
anomaly = False
anomaly_check_nan = True
_plain_init = Node.__init__
_OWN_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep  # frames here are not the user's


def _traced_init(self, name, vjp, ctx, inputs):
    _plain_init(self, name, vjp, ctx, inputs)
    self.trace = forward_trace((_OWN_DIR,))


def set_detect_anomaly(mode: bool, check_nan: bool) -> None:
    global anomaly, anomaly_check_nan
    anomaly, anomaly_check_nan = mode, check_nan
    Node.__init__ = _traced_init if mode else _plain_init  # type: ignore[method-assign]


def arm(roots) -> None:
    """Anomaly detection, before a backward from ``roots`` (nodes): every VJP it will run
    checks what it returns and names its op's forward call in any error."""
    for n in _topological_order_many([r for r in roots if r is not None]):
        if n.vjp is not None and not isinstance(n.vjp, _Checked):
            n.vjp = _Checked(n, n.vjp)


class _Checked:
    """A node's VJP under anomaly detection."""

    __slots__ = ("node", "vjp")

    def __init__(self, node, vjp):
        self.node, self.vjp = node, vjp

    def __call__(self, g, ctx, need):
        n = self.node
        trace = getattr(n, "trace", None)
        try:
            grads = self.vjp(g, ctx, need)
        except AutogradError as exc:
            raise AutogradError(with_trace(str(exc), trace)) from exc
        if anomaly_check_nan:
            for i, gi in enumerate(grads):
                if gi is None:
                    continue
                a = gi._data if hasattr(gi, "_data") else np.asarray(gi)  # (create_graph: tensors)
                if a.dtype.kind in "fc" and not np.isfinite(a).all():
                    what = "nan" if np.isnan(a).any() else "inf"
                    shapes = [None if t is None else t._data.shape for t in need]
                    raise nonfinite_gradient_error(backward_name(n.name), what, i, shapes, trace)
        return grads


def unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``g`` over the dimensions that broadcasting added or stretched to reach ``shape``."""
    lead = g.ndim - len(shape)
    if lead < 0:
        raise ShapeError(f"gradient of shape {g.shape} cannot flow into a tensor of shape {shape}")
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and g.shape[i + lead] != 1
    )
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    if lead or g.shape != shape:
        g = g.reshape(shape)
    return g


def _topological_order(root: Node) -> list[Node]:
    """Nodes reachable from ``root``, each after every node that consumes its output."""
    return _topological_order_many((root,))


# ------------------------------------------------------------- post-accumulate-grad hooks
# id(leaf) -> (weak reference to the leaf, its hooks). Keyed by id: tensors compare
# elementwise, so they cannot be keys of a WeakKeyDictionary. Usually empty; DDP puts one hook
# on each parameter. A backward notes the leaves with hooks it gave a gradient to, and calls
# their hooks once each, when their gradient is complete: at the end of the pass (a leaf can
# receive several contributions, from every use of it).
POST_HOOKS: dict[int, tuple[weakref.ref, list]] = {}
_accumulated: dict[int, None] = {}


def add_post_hook(leaf, hook):
    """Call ``hook(leaf)`` after each backward that accumulates into ``leaf.grad``; returns the
    function that takes the hook off again."""
    key = id(leaf)
    entry = POST_HOOKS.get(key)
    if entry is None:
        ref = weakref.ref(leaf, lambda _r, k=key: POST_HOOKS.pop(k, None))
        entry = POST_HOOKS[key] = (ref, [])
    hooks = entry[1]
    hooks.append(hook)

    def remove() -> None:
        if hook in hooks:
            hooks.remove(hook)
        if not hooks and POST_HOOKS.get(key) is entry:
            del POST_HOOKS[key]

    return remove


def _note_accumulated(leaf) -> None:
    if id(leaf) in POST_HOOKS:
        _accumulated[id(leaf)] = None


def run_post_hooks() -> None:
    """Call the hooks of the leaves this backward accumulated into, in the order it reached them."""
    keys = list(_accumulated)
    _accumulated.clear()
    for key in keys:
        entry = POST_HOOKS.get(key)
        if entry is None:
            continue
        leaf = entry[0]()
        if leaf is not None:
            for hook in list(entry[1]):
                hook(leaf)


# ------------------------------------------------------------- tensor hooks (register_hook)
# A non-leaf's hooks live on the node that made it (its `retained` slot, which the backward
# walk reads anyway, so a node without hooks costs nothing more); a leaf's in LEAF_HOOKS, keyed
# by id as POST_HOOKS are. A leaf with hooks has its contributions summed during the pass
# (_pending) and its hooks called once, on the complete gradient, before it reaches .grad, as
# PyTorch calls them once on what its AccumulateGrad node receives.
LEAF_HOOKS: dict[int, tuple[weakref.ref, list]] = {}
_pending: dict[int, list] = {}  # id(leaf) -> [leaf, its gradient so far], during a backward


class _Extra:
    """What a node does with its output's gradient besides its VJP: the tensor's hooks (they
    may replace the gradient), then ``retain_grad()`` (``ref``: a weak reference to it)."""

    __slots__ = ("ref", "hooks")

    def __init__(self, ref=None, hooks=None):
        self.ref, self.hooks = ref, hooks


def add_hook(tensor, hook):
    """``tensor.register_hook(hook)``; returns the function that takes the hook off again."""
    n = tensor._node
    if n is None:
        key = id(tensor)
        entry = LEAF_HOOKS.get(key)
        if entry is None:
            ref = weakref.ref(tensor, lambda _r, k=key: LEAF_HOOKS.pop(k, None))
            entry = LEAF_HOOKS[key] = (ref, [])
        hooks = entry[1]
    else:
        ex = n.retained
        if ex is None:
            ex = n.retained = _Extra()
        if ex.hooks is None:
            ex.hooks = []
        hooks = ex.hooks
        entry = None
    hooks.append(hook)

    def remove() -> None:
        if hook in hooks:
            hooks.remove(hook)
        if entry is not None and not hooks and LEAF_HOOKS.get(id(tensor)) is entry:
            del LEAF_HOOKS[id(tensor)]

    return remove


def call_hooks(hooks, g, wrap, on_tensors: bool):
    """Run ``hooks`` on the gradient ``g`` (an array, or a tensor when ``on_tensors``: under
    create_graph); a hook returning a tensor replaces the gradient."""
    from flowkit.ops.autograd import hook_result_error

    for hook in list(hooks):
        t = g if on_tensors else wrap(g)
        r = hook(t)
        if r is None:
            continue
        shape = g.shape if not on_tensors else g._data.shape
        if not hasattr(r, "_data") or r._data.shape != shape:
            raise hook_result_error(hook, r, shape)
        if on_tensors:
            g = r
        else:
            g = r._data if r._data.dtype == g.dtype else r._data.astype(g.dtype)
    return g


def _defer(leaf, g) -> None:
    """A contribution to a hooked leaf's gradient: summed until the end of the pass."""
    p = _pending.get(id(leaf))
    if p is None:
        _pending[id(leaf)] = [leaf, g]
    else:
        p[1] = p[1] + g


def _flush(store, on_tensors: bool, wrap) -> None:
    """End of a pass: each hooked leaf's complete gradient through its hooks, then ``store``."""
    items = list(_pending.values())
    _pending.clear()
    for leaf, g in items:
        entry = LEAF_HOOKS.get(id(leaf))
        if entry is not None:
            g = call_hooks(entry[1], g, wrap, on_tensors)
        store(leaf, g)


def store_grad(leaf, g: np.ndarray, shared: set, wrap, hooks: str | None = "run") -> None:
    """Accumulate ``g`` into ``leaf.grad`` (a new ``.grad`` tensor the first time).

    ``shared`` holds the ids of arrays this backward already handed out (the caller's seed, and
    every array stored uncopied): they are copied rather than stored twice, and a ``.grad`` made
    of one is never written into, since a VJP still to run may read that very array.

    ``hooks`` (for a leaf with ``register_hook`` hooks): ``"defer"`` sums the contribution
    until the pass ends (:func:`_flush`), ``"run"`` calls the hooks on it now, ``None`` skips
    them (they have run).
    """
    if LEAF_HOOKS and hooks is not None and id(leaf) in LEAF_HOOKS:
        if hooks == "defer":  # (the engine's passes): the hooks see the complete gradient
            _defer(leaf, g)
            return
        # (a replayed nn.Graph step, which stores each contribution as it comes)
        g = call_hooks(LEAF_HOOKS[id(leaf)][1], g, wrap, False)
    if g.__class__ is not np.ndarray:  # 0-d results of numpy ops are numpy scalars
        g = np.array(g, dtype=leaf._data.dtype)
    elif g.dtype != leaf._data.dtype:
        g = g.astype(leaf._data.dtype)
    elif not g.flags.owndata or id(g) in shared or not g.flags.writeable:
        g = g.copy()  # never let two .grad tensors (or a view of another array) alias
    cur = leaf._grad
    if cur is None:
        leaf._grad = wrap(g)
    elif id(cur._data) in shared:
        total = cur._data + g
        # (0-d + 0-d is a numpy scalar, which the next accumulation could not write into)
        cur._data = total if total.__class__ is np.ndarray else np.array(total, cur._data.dtype)
    else:
        np.add(cur._data, g, out=cur._data)  # accumulate, as PyTorch does
    shared.add(id(g))
    if POST_HOOKS:
        _note_accumulated(leaf)


def run_backward(root, seed: np.ndarray, seed_owned: bool, retain_graph: bool, wrap) -> None:
    """Propagate ``seed`` (d out / d root) from ``root`` to every leaf's ``.grad``.

    ``wrap(array)`` makes a tensor for a leaf's new ``.grad``. ``seed_owned`` says whether the
    engine may store ``seed`` itself as a gradient (False for a gradient the caller passed in).
    """
    shared: set[int] = set() if seed_owned else {id(seed)}
    if _pending:  # (left by a pass that raised)
        _pending.clear()
    node = root._node
    if node is None:  # backward on a leaf: its gradient is the seed
        store_grad(root, seed, shared, wrap, "defer")
        if _pending:
            _flush(lambda t, gl: store_grad(t, gl, shared, wrap, None), False, wrap)
        if _accumulated:
            run_post_hooks()
        return
    grads = {node: seed}
    for n in _topological_order(node):
        g = grads.pop(n, None)
        if g is None:
            continue
        vjp = n.vjp
        if vjp is None:
            raise freed_graph_error()
        if n.stamp != write_stamp:  # something was written in place since n was recorded
            check_saved(n)
        ex = n.retained
        if ex is not None:
            if ex.hooks:
                g = call_hooks(ex.hooks, g, wrap, False)
            t = None if ex.ref is None else ex.ref()
            if t is not None:
                gc = g.copy()
                if t._grad is None:
                    t._grad = wrap(gc)
                else:
                    np.add(t._grad._data, gc, out=t._grad._data)
        in_grads = vjp(g, n.ctx, n.inputs)
        for t, child, ig in zip(n.inputs, n.edges, in_grads):
            if t is None or ig is None:
                continue
            data = t._data
            if ig.shape != data.shape:
                ig = unbroadcast(ig, data.shape)
            if ig.dtype != data.dtype:  # a tensor's gradient has its dtype (cast, promotion)
                ig = ig.astype(data.dtype)
            if child is None:
                store_grad(t, ig, shared, wrap, "defer")
            else:
                prev = grads.get(child)
                grads[child] = ig if prev is None else prev + ig
        if not retain_graph:  # free the saved arrays now: memory falls as backward proceeds
            n.vjp = None
            n.ctx = None
            n.inputs = n.edges = ()
    if _pending:
        _flush(lambda t, gl: store_grad(t, gl, shared, wrap, None), False, wrap)
    if _accumulated:
        run_post_hooks()


def retain(node: Node, tensor) -> None:
    ex = node.retained
    if ex is None:
        node.retained = _Extra(weakref.ref(tensor))
    else:
        ex.ref = weakref.ref(tensor)


# ------------------------------------------------------------------ the general engine
# run_backward above is the hot path (one output, first order, into .grad) and stays as lean as
# it is. run_general serves everything else: several outputs at once, gradients returned for
# chosen tensors (autograd.grad) instead of accumulated into .grad, and create_graph.


def _topological_order_many(roots) -> list[Node]:
    """Nodes reachable from any of ``roots``, each after every node that consumes its output."""
    order: list[Node] = []
    visited = set()
    stack = [(r, False) for r in reversed(roots)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        # marked when expanded, not when pushed: a node pushed early (by a near consumer) must
        # still finish after a far consumer reached through another path (h + f(h))
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for child in node.edges:
            if child is not None and id(child) not in visited:
                stack.append((child, False))
    order.reverse()  # post-order reversed: consumers first
    return order


def _needed(order, node_slots, leaf_slots) -> set[int]:
    """ids of the nodes whose backward leads to a wanted gradient (the others are skipped)."""
    needed: set[int] = set()
    for n in reversed(order):  # producers first: a node is needed if anything below it is
        if (
            n.vjp is None
            or n in node_slots
            or any(  # (a freed node: running it says so)
                (id(t) in leaf_slots if e is None else id(e) in needed)
                for t, e in zip(n.inputs, n.edges)
                if t is not None
            )
        ):
            needed.add(id(n))
    return needed


def _fit_array(g, data):
    """A VJP's gradient (an array) in the shape and dtype of the input it is for."""
    if g.shape != data.shape:
        g = unbroadcast(g, data.shape)
    if g.dtype != data.dtype:
        g = g.astype(data.dtype)
    return g


def _fit_tensor(g, data, wrap):
    """A VJP's gradient (a tensor: create_graph) in the shape and dtype of its input, by
    recorded ops, so the gradient stays differentiable."""
    if isinstance(g, (np.ndarray, np.generic)):  # a constant the VJP computed from constants
        g = wrap(np.asarray(g))
    shape = g._data.shape
    if shape != data.shape:
        lead = len(shape) - data.ndim
        if lead < 0:
            raise ShapeError(
                f"gradient of shape {shape} cannot flow into a tensor of shape {data.shape}"
            )
        axes = tuple(range(lead)) + tuple(
            i + lead for i, s in enumerate(data.shape) if s == 1 and shape[i + lead] != 1
        )
        if axes:
            g = g.sum(axes, True)
        if g._data.shape != data.shape:
            g = g.reshape(data.shape)
    if g._data.dtype != data.dtype:
        g = g.to(_dt.from_numpy_dtype(data.dtype))
    return g


def _linked(name: str, value, n: Node, slots, wrap):
    """A tensor holding ``value`` whose node ``name`` has the inputs ``slots`` of node ``n`` as
    they were when ``n`` was recorded (its edges), not as those tensors are now."""
    node = Node(name, VJP[name], None, tuple(n.inputs[i] for i in slots))
    node.edges = tuple(n.edges[i] for i in slots)
    return wrap(value, node)


def _tensor_ctx(n: Node, wrap):
    """``n.ctx`` with every saved value turned into a tensor wired into the graph (create_graph):
    an input's value gets the input's node, the output's value gets ``n`` itself, so
    differentiating the VJP's result reaches them. Roles come from ``@vjp(saves=...)``."""
    if n.__class__ is FunctionNode:  # the user's backward reads its ctx itself
        return n.ctx
    roles = SAVES.get(n.name)
    if roles is None:
        raise AutogradError(
            f"create_graph=True: the gradient of '{n.name}' ({backward_name(n.name)}) cannot be "
            "differentiated: its VJP does not declare what it saved (@vjp(..., saves=...) in "
            "flowkit_numpy's VJP table), so it is first order only on the numpy backend. Take "
            "this op out of the part you differentiate twice, or use the torch backend"
        )
    ctx = n.ctx
    if not roles or ctx is None:
        return ctx
    out = []
    for role, v in zip(roles, ctx):
        if role is None or not isinstance(v, (np.ndarray, np.generic)):
            out.append(v)  # shapes, dims, indices, Python numbers: as they are
        elif role == "out":
            out.append(wrap(np.asarray(v), n))
        elif role == "const":  # an array the op saved that no gradient flows through (a mask)
            out.append(wrap(np.asarray(v)))
        elif role == "in0-in1":
            out.append(_linked("sub", np.asarray(v), n, (0, 1), wrap))
        else:
            i = int(role[2:])
            t, e = n.inputs[i], n.edges[i]
            if t is None:
                out.append(wrap(np.asarray(v)))  # an input that needs no gradient: a constant
            elif e is None and v is t._data:
                out.append(t)  # the leaf itself
            elif e is not None and v.dtype == t._data.dtype:
                out.append(wrap(v, e))  # the input's value, as a tensor on the input's node
            else:  # saved after a type promotion (or a leaf whose data was swapped since)
                out.append(_linked("cast", np.asarray(v), n, (i,), wrap))
    return tuple(out)


def run_general(
    roots, seeds, targets, retain_graph: bool, create_graph: bool, wrap, seeds_owned: bool = True
):
    """Backward from every tensor of ``roots`` at once, ``seeds[i]`` being d out / d roots[i].

    With ``targets`` (a list of tensors) the gradients of those tensors are returned, one per
    target (``None`` where the outputs do not depend on it), and no ``.grad`` changes; nodes that
    lead to no target are not run. Without, gradients accumulate into the leaves' ``.grad`` (and
    retained tensors'), as ``backward`` does.

    With ``create_graph`` the seeds are tensors and every VJP runs on tensors inside
    :func:`numpy_api.differentiable` with grad mode on: the gradients come out as tensors with a
    graph of their own, differentiable again. Otherwise seeds and gradients are arrays.
    """
    capture = targets is not None
    results: list = [None] * len(targets) if capture else []
    node_slots: dict = {}
    leaf_slots: dict = {}
    if capture:
        for i, t in enumerate(targets):
            if t._node is None:
                leaf_slots.setdefault(id(t), []).append(i)
            else:
                node_slots.setdefault(t._node, []).append(i)
    # arrays or tensors that must be copied before anyone may keep them: the caller's seeds, and
    # whatever was already handed out once
    shared: set[int] = set() if seeds_owned and not create_graph else {id(s) for s in seeds}

    def own(g):
        if create_graph:
            if id(g) in shared:
                g = g.clone()
        elif g.__class__ is not np.ndarray:
            g = np.array(g)
        elif not g.flags.owndata or id(g) in shared or not g.flags.writeable:
            g = g.copy()
        shared.add(id(g))
        return g

    def deliver(t, g, hooked: bool = False):
        """``g`` is (part of) the gradient of the tensor ``t``, a leaf or a retained one."""
        if capture:
            for i in leaf_slots.get(id(t), ()):
                results[i] = g if results[i] is None else results[i] + g
            return
        if LEAF_HOOKS and not hooked and t._node is None and id(t) in LEAF_HOOKS:
            _defer(t, g)
            return
        if create_graph:
            cur = t._grad
            t._grad = own(g) if cur is None else cur + g  # out of place: keeps both graphs
        else:
            g = own(g)
            cur = t._grad
            if cur is None:
                t._grad = wrap(g)
            elif id(cur._data) in shared:
                cur._data = cur._data + g  # stored by this backward: a pending VJP may read it
            else:
                np.add(cur._data, g, out=cur._data)
        if POST_HOOKS:
            _note_accumulated(t)

    if _pending:  # (left by a pass that raised)
        _pending.clear()
    grads: dict = {}
    starts = []
    for r, s in zip(roots, seeds):
        if create_graph and s._data.dtype != r._data.dtype:
            s = s.to(_dt.from_numpy_dtype(r._data.dtype))
        n = r._node
        if n is None:  # an output that is a leaf: its gradient is the seed
            deliver(r, s)
            continue
        prev = grads.get(n)
        grads[n] = s if prev is None else prev + s
        starts.append(n)
    order = _topological_order_many(starts)
    needed = _needed(order, node_slots, leaf_slots) if capture else set()

    if create_graph:
        from . import define
        from .numpy_api import differentiable

        prev_mode = define.is_grad_enabled()
        define.set_grad_enabled(True)  # the gradient computation is recorded
        scope = differentiable()
        scope.__enter__()
    try:
        for n in order:
            g = grads.pop(n, None)
            if g is None:
                continue
            ex = n.retained
            if ex is not None and ex.hooks:
                g = call_hooks(ex.hooks, g, wrap, create_graph)
            if capture:
                for i in node_slots.get(n, ()):
                    results[i] = g
                if id(n) not in needed:
                    continue
            vjp = n.vjp
            if vjp is None:
                raise freed_graph_error()
            if n.stamp != write_stamp:
                check_saved(n)
            if not capture and ex is not None and ex.ref is not None:
                t = ex.ref()
                if t is not None:
                    deliver(t, g)
            if create_graph:
                ctx = _tensor_ctx(n, wrap)
                try:
                    in_grads = vjp(g, ctx, n.inputs)
                except (AutogradError, TypeError, AttributeError, ValueError) as exc:
                    raise AutogradError(
                        f"create_graph=True: the gradient of '{n.name}' "
                        f"({backward_name(n.name)}) cannot be differentiated: {exc}"
                    ) from exc
            else:
                in_grads = vjp(g, n.ctx, n.inputs)
            for t, child, ig in zip(n.inputs, n.edges, in_grads):
                if t is None or ig is None:
                    continue
                ig = _fit_tensor(ig, t._data, wrap) if create_graph else _fit_array(ig, t._data)
                if child is None:
                    deliver(t, ig)
                else:
                    prev = grads.get(child)
                    grads[child] = ig if prev is None else prev + ig
            if not retain_graph:
                n.vjp = None
                n.ctx = None
                n.inputs = n.edges = ()
        if _pending:
            _flush(lambda t, gl: deliver(t, gl, True), create_graph, wrap)
        if capture and LEAF_HOOKS:  # a hooked leaf's returned gradient goes through its hooks
            for key, slots in leaf_slots.items():
                entry = LEAF_HOOKS.get(key)
                if entry is not None and results[slots[0]] is not None:
                    g = call_hooks(entry[1], results[slots[0]], wrap, create_graph)
                    for i in slots:
                        results[i] = g
    finally:
        if create_graph:
            scope.__exit__(None, None, None)
            define.set_grad_enabled(prev_mode)
    if _accumulated:
        run_post_hooks()
    if capture:
        results = [None if r is None else own(r) for r in results]
    return results
