"""The mini backend's reverse-mode autograd: graph nodes, a topological sort, and backward.

What the contract asks for: ``Tensor.backward()`` fills the ``.grad`` of every leaf that requires
grad (accumulating, as PyTorch does), ``grad_fn`` / ``is_leaf`` describe the graph, a second
backward through a freed graph is an error, and ``no_grad`` stops recording. How a backend gets
there is its own business: the torch backend hands it all to ``torch.autograd``; this one, like
flowkit's numpy backend, records the graph itself.

How it works:

* Every op whose inputs need a gradient (while grad mode is on) makes one :class:`Node` for its
  output. The node holds the op's *vector-Jacobian product* (VJP): a function that, given
  ``g = d loss / d output``, returns ``d loss / d input`` for each input. The VJP is a closure
  over the arrays the forward pass saved for it.
* ``backward`` lists the nodes reachable from the output in topological order (an iterative
  depth-first search: no recursion limit on deep graphs), walks them consumers first, and sums
  the gradients arriving at each node before running its VJP, so a tensor used twice gets both
  contributions.
* Broadcasting is undone once, here, for every op: a VJP may return a gradient in the broadcast
  shape of its output, and :func:`unbroadcast` sums the stretched dimensions away.
* After a node has run its VJP is dropped (unless ``retain_graph``), freeing the saved arrays as
  backward proceeds; running it again is a clear error rather than wrong numbers.
* A node also notes the *version* of each array its VJP reads (how many in-place writes its
  memory has had: :func:`bump`); if one changed before backward, the VJP would compute from the
  new values, so backward refuses, with PyTorch's message. Which arrays an op's VJP reads is the
  op's to say (``record(..., saved=...)``): ``w * x`` reads ``x`` for ``w``'s gradient and ``w``
  only for ``x``'s, as PyTorch saves them.

What every backend must say the same way comes from :mod:`flowkit.ops.autograd`: the ``grad_fn``
names (:func:`~flowkit.ops.autograd.backward_name`: ``MseLossBackward`` on every backend, or a
docs page would print one text per backend) and the errors (``freed_graph_error``...).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import numpy as np

from flowkit import dtypes
from flowkit.errors import ShapeError, shape_str
from flowkit.ops.autograd import backward_name, freed_graph_error, modified_error

# ------------------------------------------------------------------------------ versions
# id(the array owning some memory) -> [weak reference, in-place writes so far]. Keyed by the owner
# so that a write through a view counts for every tensor sharing the memory; the weak reference's
# callback drops the entry when the array dies, so an id is never mistaken for a dead array's.
_VERSIONS: dict[int, list] = {}


def _owner(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def version(a: np.ndarray) -> int:
    """How many in-place writes ``a``'s memory has had."""
    entry = _VERSIONS.get(id(_owner(a)))
    return 0 if entry is None else entry[1]


def bump(a: np.ndarray) -> None:
    """Count an in-place write into ``a``'s memory (the in-place ops call it)."""
    owner = _owner(a)
    key = id(owner)
    entry = _VERSIONS.get(key)
    if entry is None:
        entry = _VERSIONS[key] = [weakref.ref(owner, lambda _, k=key: _VERSIONS.pop(k, None)), 0]
    entry[1] += 1


class Node:
    """One recorded op: the ``grad_fn`` of the tensor it produced.

    Attributes:
        name: the op's name (``"matmul"``), printed as ``MatmulBackward``.
        vjp: ``vjp(g) -> tuple``, one gradient per input (``None`` where there is none);
            ``None`` once backward has freed it.
        inputs: the op's tensor inputs that need a gradient, ``None`` for the others (numbers,
            constants), in the order the VJP returns their gradients.
        saved: ``(array, its version then)`` for each array the VJP reads.
    """

    __slots__ = ("name", "vjp", "inputs", "saved")

    def __init__(self, name: str, vjp: Callable, inputs: tuple, saved: tuple = ()):
        self.name = name
        self.vjp = vjp
        self.inputs = inputs
        self.saved = tuple((a, version(a)) for a in saved if isinstance(a, np.ndarray))

    def check_saved(self) -> None:
        """Refuse to run the VJP on arrays changed in place since the forward pass."""
        for a, then in self.saved:
            now = version(a)
            if now != then:
                dtype = dtypes.from_numpy_dtype(a.dtype)
                raise modified_error(backward_name(self.name), str(dtype), a.shape, now, then)

    def parents(self) -> list[Node]:
        """The nodes that produced this node's inputs (leaves have none)."""
        return [t._node for t in self.inputs if t is not None and t._node is not None]

    def __repr__(self) -> str:
        return f"<{backward_name(self.name)} object>"


def topological_order(roots: list[Node]) -> list[Node]:
    """The nodes reachable from ``roots``, each one before the nodes that produced its inputs.

    An iterative post-order depth-first search, reversed. A node is marked when it is expanded,
    not when it is pushed: one pushed early by a near consumer may be reached again through a
    longer path, and must still come out after every consumer.
    """
    order: list[Node] = []
    visited: set[int] = set()
    stack = [(node, False) for node in roots]
    while stack:
        node, expanded = stack.pop()
        if expanded:  # every producer below it is in `order` already
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p in node.parents() if id(p) not in visited)
    order.reverse()  # post-order lists producers first; backward needs consumers first
    return order


def unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``g`` over the dimensions broadcasting added (leading) or stretched (size 1), so it
    has ``shape``: the gradient of a broadcast input is the sum over everywhere it was used."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    if lead < 0:  # a VJP's bug, not the user's: this engine's own message
        raise ShapeError(
            f"a gradient of shape {shape_str(g.shape)} cannot flow into a tensor of "
            f"shape {shape_str(shape)}"
        )
    stretched = tuple(lead + i for i, s in enumerate(shape) if s == 1 and g.shape[lead + i] != 1)
    g = g.sum(axis=tuple(range(lead)) + stretched, keepdims=True)
    return g.reshape(shape)


def run_backward(
    roots: list,
    seeds: list[np.ndarray],
    retain_graph: bool,
    deliver: Callable,
    capture: dict | None = None,
) -> None:
    """Propagate ``seeds[i]`` (d loss / d ``roots[i]``) back through the graph.

    Args:
        roots: the output tensors backward starts from.
        seeds: their gradients, arrays of their shapes.
        retain_graph: keep every node's VJP for another backward.
        deliver: ``deliver(leaf, g)`` receives each gradient arriving at a leaf tensor (the
            caller accumulates it into ``.grad``, or collects it for ``autograd.grad``).
        capture: optional ``{node: callback}``; ``callback(g)`` receives the total gradient of
            that node's output (``autograd.grad`` with respect to an intermediate tensor).
    """
    grads: dict[Node, np.ndarray] = {}  # node -> d loss / d (its output), summed so far
    starts = []
    for root, seed in zip(roots, seeds):
        if root._node is None:  # backward on a leaf: its gradient is the seed itself
            deliver(root, seed)
            continue
        node = root._node
        grads[node] = seed if node not in grads else np.asarray(grads[node] + seed)
        starts.append(node)
    for node in topological_order(starts):
        g = grads.pop(node, None)
        if g is None:  # no gradient reached this node (nothing downstream depends on it)
            continue
        if capture and node in capture:
            capture[node](g)
        if node.vjp is None:
            raise freed_graph_error()
        node.check_saved()
        for tensor, ig in zip(node.inputs, node.vjp(g)):
            if tensor is None or ig is None:  # an input that needs no gradient
                continue
            data = tensor._data
            # the engine, not each VJP, undoes broadcasting and casts to the input's dtype
            ig = unbroadcast(np.asarray(ig), data.shape).astype(data.dtype, copy=False)
            if tensor._node is None:
                deliver(tensor, ig)
            else:  # out of place: `ig` may be an array another VJP still reads
                prev = grads.get(tensor._node)
                grads[tensor._node] = ig if prev is None else np.asarray(prev + ig)
        if not retain_graph:
            node.vjp = None  # drops the closure, and with it the arrays saved for backward
