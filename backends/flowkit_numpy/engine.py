"""The numpy backend's reverse-mode autograd engine.

Each op on tensors that need gradients records one :class:`Node`: its VJP (from the table in
:mod:`.vjps`), the arrays it saved, and its inputs. ``backward`` orders the nodes reachable from
the output with an iterative depth-first search (no recursion limit on deep graphs; HIPS autograd
made the same move from a tape in 2016), walks them in reverse topological order, sums broadcast
dimensions away once per input, and frees each node's saved arrays as soon as it has run unless
``retain_graph`` is set, so a second backward through a freed graph is a clear error rather than
wrong numbers.
"""

from __future__ import annotations

import weakref

import numpy as np

from flowkit.errors import AutogradError, ShapeError


class Node:
    """One recorded op: ``vjp(g, ctx, inputs)`` gives the gradients of ``inputs``."""

    __slots__ = ("name", "vjp", "ctx", "inputs", "edges", "retained")

    def __init__(self, name, vjp, ctx, inputs):
        self.name = name
        self.vjp = vjp
        self.ctx = ctx
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
        self.retained = None  # weak reference to the output tensor, set by retain_grad()

    def __repr__(self) -> str:
        return f"<{backward_name(self.name)} object>"


def backward_name(op: str) -> str:
    """``"mse_loss"`` -> ``"MseLossBackward"``: the grad_fn name every backend prints."""
    return "".join(p[:1].upper() + p[1:] for p in op.split("_")) + "Backward"


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
    order: list[Node] = []
    visited = {id(root)}
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        stack.append((node, True))
        for child in node.edges:
            if child is not None and id(child) not in visited:
                visited.add(id(child))
                stack.append((child, False))
    order.reverse()  # post-order reversed: consumers first
    return order


def run_backward(root, seed: np.ndarray, seed_owned: bool, retain_graph: bool, wrap) -> None:
    """Propagate ``seed`` (d out / d root) from ``root`` to every leaf's ``.grad``.

    ``wrap(array)`` makes a tensor for a leaf's new ``.grad``. ``seed_owned`` says whether the
    engine may store ``seed`` itself as a gradient (False for a gradient the caller passed in).
    """
    shared: set[int] = set() if seed_owned else {id(seed)}

    def store(leaf, g):
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
            # stored uncopied by this backward: a VJP still to run may read that very array
            cur._data = cur._data + g
        else:
            np.add(cur._data, g, out=cur._data)  # accumulate, as PyTorch does
        shared.add(id(g))

    node = root._node
    if node is None:  # backward on a leaf: its gradient is the seed
        store(root, seed)
        return
    grads = {node: seed}
    for n in _topological_order(node):
        g = grads.pop(n, None)
        if g is None:
            continue
        vjp = n.vjp
        if vjp is None:
            raise AutogradError(
                "backward through the graph a second time: its saved values were freed after "
                "the first backward. Pass retain_graph=True to the first backward() if you "
                "need to call it again"
            )
        if n.retained is not None:
            t = n.retained()
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
                store(t, ig)
            else:
                prev = grads.get(child)
                grads[child] = ig if prev is None else prev + ig
        if not retain_graph:  # free the saved arrays now: memory falls as backward proceeds
            n.vjp = None
            n.ctx = None
            n.inputs = n.edges = ()


def retain(node: Node, tensor) -> None:
    node.retained = weakref.ref(tensor)
