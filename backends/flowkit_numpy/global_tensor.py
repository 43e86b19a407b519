"""Global tensors on the numpy backend: a local piece, a placement, an SBP and a global shape.

A :class:`NumpyGlobalTensor` holds this process's piece as an ordinary numpy-backend tensor
(``_local``), which flowkit's numpy autograd records as usual. The ops listed in
:data:`SUPPORTED` follow the SBP rules (the same output SBPs as DTensor gives on the torch
backend) and run on the pieces; where a rule needs an operand in another SBP it is converted
("boxing") by a differentiable collective over :mod:`flowkit.comm`, on the subgroup of each
placement dimension. Any other op raises an error that names the supported ones and the torch
backend, which runs every op on global tensors (DTensor).

Gradients keep the SBP of their tensor, except that a ``partial_sum`` tensor's gradient is
``broadcast`` (Megatron's f/g convention): all-reduce (partial → broadcast) passes the
gradient through, all-gather (split → broadcast) takes this rank's piece of it, slicing
(broadcast → split) and reduce-scatter (partial → split) all-gather it. Where a broadcast
operand meets split or partial ones in an op whose result is not broadcast, its local gradient
is only this rank's share, so it goes through an identity whose backward all-reduces ("f"). A
broadcast parameter's ``.grad`` thus comes out broadcast (the full gradient on every rank), and
an optimizer's local update keeps the parameter equal everywhere.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowkit import comm
from flowkit import sbp as _sbp
from flowkit.distributed import _group
from flowkit.errors import ArgumentValueError, BackendNotImplementedError
from flowkit.nn.parameter import Parameter
from flowkit.ops._contract import is_declaration
from flowkit.ops.global_tensor import chunk_bounds, global_repr, normalize
from flowkit.tensor import Size, Tensor, item_error

from . import define
from .define import CPU, make, op

B = _sbp.broadcast
P = _sbp.partial_sum

SUPPORTED = (
    "to_global, to_local, placement, sbp, is_global, shape, dtype, numpy, item, printing, "
    "+ - * / (with tensors or numbers), neg, pow (a number), relu, exp, tanh, sigmoid, matmul "
    "(@), sum, mean, detach, clone, requires_grad, grad, backward, zero_, "
    "flowkit.nn.functional.linear / relu / mse_loss, nn.Parameter, Module.to_global, SGD/Adam"
)


def unsupported(name: str) -> BackendNotImplementedError:
    return BackendNotImplementedError(
        f"{name} is not implemented for global tensors on the numpy backend, which supports: "
        f"{SUPPORTED}. Use the torch backend (FLOWKIT_BACKEND=torch: every op runs on global "
        "tensors through DTensor), or work on the piece with to_local()"
    )


# ============================================================================ groups
class _Axis:
    """One placement dimension as seen from this rank: its group, size and coordinate."""

    __slots__ = ("group", "n", "coord", "slot")

    def __init__(self, group: Any, ranks: list[int], coord: int) -> None:
        self.group = group
        self.n = len(ranks)
        self.coord = coord
        order = sorted(ranks)  # torch numbers a group's ranks in ascending order
        self.slot = [order.index(r) for r in ranks]  # coordinate -> index in a gathered list


_AXES: dict = {}  # placement -> its axes' groups (dropped when the group is left)
_group.on_teardown(_AXES.clear)


def axes(placement) -> list[_Axis]:
    """This rank's view of each placement dimension; the subgroups are made once per placement,
    on every rank, in the same order."""
    found = _AXES.get(placement)
    if found is None:
        dist = _group.ensure_initialized()
        rank = _group.get_rank()
        world = _group.get_world_size()
        coords = placement.coords(rank)
        found = []
        for d in range(placement.ndim):
            mine = None
            for ranks in placement.groups(d):
                if len(ranks) == 1:
                    g = None
                elif sorted(ranks) == list(range(world)):
                    g = dist.group.WORLD
                else:
                    from flowkit.distributed import new_group

                    g = new_group(ranks)
                if rank in ranks:
                    mine = _Axis(g, ranks, coords[d])
            found.append(mine)
        _AXES[placement] = found
    return found


# ============================================================================ array collectives
def _take(a: np.ndarray, dim: int, lo: int, hi: int) -> np.ndarray:
    idx = [slice(None)] * a.ndim
    idx[dim] = slice(lo, hi)
    return np.ascontiguousarray(a[tuple(idx)])


def _pad_to(a: np.ndarray, dim: int, size: int) -> np.ndarray:
    if a.shape[dim] == size:
        return np.ascontiguousarray(a)
    widths = [(0, 0)] * a.ndim
    widths[dim] = (0, size - a.shape[dim])
    return np.pad(a, widths)


def all_reduce(a: np.ndarray, ax: _Axis) -> np.ndarray:
    out = np.array(a, copy=True, order="C")
    if ax.n > 1:
        comm.all_reduce(make(out), group=ax.group)
    return out


def all_gather(a: np.ndarray, ax: _Axis, dim: int, size: int) -> np.ndarray:
    """The pieces of ``size`` rows along ``dim`` (this rank's is ``a``) joined again."""
    if ax.n == 1:
        return np.array(a, copy=True)
    c = -(-size // ax.n)
    mine = make(_pad_to(a, dim, c))
    slots = [make(np.zeros(mine._data.shape, a.dtype)) for _ in range(ax.n)]
    comm.all_gather(slots, mine, group=ax.group)
    parts = []
    for coord in range(ax.n):
        lo, hi = chunk_bounds(size, ax.n, coord)
        parts.append(_take(slots[ax.slot[coord]]._data, dim, 0, hi - lo))
    return np.concatenate(parts, axis=dim)


def piece(a: np.ndarray, ax: _Axis, dim: int) -> np.ndarray:
    lo, hi = chunk_bounds(a.shape[dim], ax.n, ax.coord)
    return _take(a, dim, lo, hi)


def reduce_scatter(a: np.ndarray, ax: _Axis, dim: int) -> np.ndarray:
    if ax.n == 1:
        return np.array(a, copy=True)
    size = a.shape[dim]
    c = -(-size // ax.n)
    chunks = []
    for coord in range(ax.n):
        lo, hi = chunk_bounds(size, ax.n, coord)
        chunks.append(_pad_to(_take(a, dim, lo, hi), dim, c))
    inputs = [make(chunks[ax.slot.index(i)]) for i in range(ax.n)]  # in group-rank order
    out = make(np.zeros(chunks[0].shape, a.dtype))
    comm.reduce_scatter(out, inputs, group=ax.group)
    lo, hi = chunk_bounds(size, ax.n, ax.coord)
    return _take(out._data, dim, 0, hi - lo)


def keep_first(a: np.ndarray, ax: _Axis) -> np.ndarray:
    return np.array(a, copy=True) if ax.coord == 0 else np.zeros_like(a)


def embed(a: np.ndarray, ax: _Axis, dim: int, size: int) -> np.ndarray:
    """This rank's piece placed in zeros of the whole ``size`` (split → partial_sum)."""
    shape = list(a.shape)
    shape[dim] = size
    out = np.zeros(shape, a.dtype)
    lo, hi = chunk_bounds(size, ax.n, ax.coord)
    idx = [slice(None)] * a.ndim
    idx[dim] = slice(lo, hi)
    out[tuple(idx)] = a
    return out


# ============================================================================ differentiable boxing
@op("global_gather")  # split -> broadcast
def _gather(a, ax, dim, size, grad):
    return all_gather(a, ax, dim, size), (ax, dim)


@_gather.defvjp
def _(g, ctx, need):
    ax, dim = ctx
    return (piece(g, ax, dim),)


@op("global_slice")  # broadcast -> split
def _slice(a, ax, dim, grad):
    return piece(a, ax, dim), (ax, dim, a.shape[dim])


@_slice.defvjp
def _(g, ctx, need):
    ax, dim, size = ctx
    return (all_gather(g, ax, dim, size),)


@op("global_all_reduce")  # partial_sum -> broadcast
def _reduce(a, ax, grad):
    return all_reduce(a, ax), None


@_reduce.defvjp
def _(g, ctx, need):
    return (g,)


@op("global_reduce_scatter")  # partial_sum -> split
def _rscatter(a, ax, dim, grad):
    return reduce_scatter(a, ax, dim), (ax, dim, a.shape[dim])


@_rscatter.defvjp
def _(g, ctx, need):
    ax, dim, size = ctx
    return (all_gather(g, ax, dim, size),)


@op("global_keep_first")  # broadcast -> partial_sum
def _keep(a, ax, grad):
    return keep_first(a, ax), None


@_keep.defvjp
def _(g, ctx, need):
    return (g,)


@op("global_embed")  # split -> partial_sum
def _embed(a, ax, dim, size, grad):
    return embed(a, ax, dim, size), (ax, dim)


@_embed.defvjp
def _(g, ctx, need):
    ax, dim = ctx
    return (piece(g, ax, dim),)


@op("global_f")  # identity; the gradient is summed over the group (Megatron's f)
def _f(a, ax, grad):
    return a, ax


@_f.defvjp
def _(g, ctx, need):
    return (all_reduce(g, ctx),)


@op("global_identity")  # a local tensor taken as a piece (to_global): identity both ways
def _ident(a, grad):
    return a, None


@_ident.defvjp
def _(g, ctx, need):
    return (g,)


# multi-process ops: their gradients are checked by tests/distributed/test_global_tensor.py, not
# by the one-process gradient cases that FORWARD_OPS lists
for _op in ("global_gather", "global_slice", "global_all_reduce", "global_reduce_scatter",
            "global_keep_first", "global_embed", "global_f", "global_identity"):  # fmt: skip
    define.FORWARD_OPS.pop(_op, None)


# ============================================================================ the tensor
class NumpyGlobalTensor(Tensor):
    """A global tensor of the numpy backend: this rank's piece (``_local``), the placement, the
    SBP tuple and the global shape."""

    __slots__ = ("_local", "_placement", "_sbp", "_gshape", "__weakref__")
    _local: Any
    _placement: Any
    _sbp: tuple
    _gshape: tuple

    # -- attributes
    @property
    def shape(self) -> Size:
        return Size(self._gshape)

    @property
    def dtype(self):
        return self._local.dtype

    @property
    def device(self):
        return CPU

    @property
    def is_global(self) -> bool:
        return True

    @property
    def placement(self):
        return self._placement

    @property
    def sbp(self):
        return self._sbp

    @property
    def _data(self):  # the piece's array: the optimizers' numpy kernels update it in place
        return self._local._data

    def numpy(self) -> np.ndarray:
        with _no_grad():
            full = box(self, (B,) * len(self._sbp))
        return full._local._data

    def item(self):
        if int(np.prod(self._gshape)) != 1:
            raise item_error(self._gshape)
        return self.numpy().item()

    def __repr__(self) -> str:
        return global_repr(
            self.numpy(),
            self.dtype,
            self._placement,
            self._sbp,
            self._grad_fn_name(),
            self.requires_grad,
        )

    __str__ = __repr__

    # -- conversions
    def to_global(self, placement=None, sbp=None):
        p, sbps = normalize(
            self._placement if placement is None else placement,
            self._sbp if sbp is None else sbp,
            len(self._gshape),
        )
        if p != self._placement:
            raise ArgumentValueError(
                f"to_global: moving a global tensor from {self._placement!r} to {p!r} is not "
                "supported; convert it with to_local() and build the new one, or keep the "
                "placement"
            )
        return box(self, sbps)

    def to_local(self):
        return self._local

    def to(self, *args, dtype=None, device=None, copy: bool = False):
        out = self._local.to(*args, dtype=dtype, device=device, copy=copy)
        return self if out is self._local else _like(self, out)

    def clone(self):
        return _like(self, self._local.clone())

    def detach(self):
        return _like(self, self._local.detach())

    def zero_(self):
        self._local.zero_()
        return self

    # -- autograd
    @property
    def requires_grad(self) -> bool:
        return self._local.requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self._local.requires_grad = value

    def requires_grad_(self, requires_grad: bool = True):
        self._local.requires_grad_(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self._local.is_leaf

    @property
    def grad_fn(self):
        return self._local.grad_fn

    def _grad_fn_name(self):
        return self._local._grad_fn_name()

    @property
    def grad(self):
        g = self._local.grad
        if g is None:
            return None
        return _make(g, self._placement, tuple(B if s == P else s for s in self._sbp), self._gshape)

    @grad.setter
    def grad(self, value) -> None:
        self._local.grad = None if value is None else value.to_local()

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False) -> None:
        if gradient is not None:
            grad_sbp = tuple(B if s == P else s for s in self._sbp)
            gradient = box(gradient, grad_sbp)._local if gradient.is_global else gradient
        self._local.backward(gradient, retain_graph, create_graph)

    # -- ops
    def __add__(self, other):
        return elementwise("add", self, other)

    def __radd__(self, other):
        return elementwise("add", other, self)

    def __sub__(self, other):
        return elementwise("sub", self, other)

    def __rsub__(self, other):
        return elementwise("sub", other, self)

    def __mul__(self, other):
        return elementwise("mul", self, other)

    def __rmul__(self, other):
        return elementwise("mul", other, self)

    def __truediv__(self, other):
        return elementwise("div", self, other)

    def __rtruediv__(self, other):
        return elementwise("div", other, self)

    def __pow__(self, other):
        if isinstance(other, Tensor):
            raise unsupported("pow with a tensor exponent")
        return unary(self, lambda t: t**other)

    def __neg__(self):
        return unary(self, lambda t: -t, linear=True)

    def neg(self):
        return self.__neg__()

    add, sub, mul, div, pow = __add__, __sub__, __mul__, __truediv__, __pow__
    true_divide = __truediv__

    def relu(self):
        return unary(self, lambda t: t.relu())

    def exp(self):
        return unary(self, lambda t: t.exp())

    def tanh(self):
        return unary(self, lambda t: t.tanh())

    def sigmoid(self):
        return unary(self, lambda t: t.sigmoid())

    def matmul(self, other):
        return matmul(self, other)

    __matmul__ = matmul

    def __rmatmul__(self, other):
        return matmul(other, self)

    def sum(self, dim=None, keepdim: bool = False, dtype=None):
        return reduce_sum(self, dim, keepdim, dtype)

    def mean(self, dim=None, keepdim: bool = False):
        s = reduce_sum(self, dim, keepdim, None)
        count = int(np.prod(self._gshape)) // max(1, int(np.prod(s._gshape)))
        return s / count


class NumpyGlobalParameter(NumpyGlobalTensor, Parameter):
    """A :class:`flowkit.nn.Parameter` that is a global tensor (numpy backend)."""

    __slots__ = ()


def _refuse(name: str):
    def method(self, *args, **kwargs):
        raise unsupported(f"Tensor.{name}")

    method.__name__ = name
    return method


# every declared tensor method this class does not implement raises the clear error
for _name in dir(Tensor):
    if _name not in vars(NumpyGlobalTensor) and is_declaration(getattr(Tensor, _name, None)):
        _attr = getattr(Tensor, _name)
        setattr(NumpyGlobalTensor, _name, _refuse(_name))
for _name in ("__getitem__", "__setitem__", "__iter__", "t", "transpose", "permute", "reshape"):
    if _name not in vars(NumpyGlobalTensor):
        setattr(NumpyGlobalTensor, _name, _refuse(_name))


def _make(local, placement, sbps, gshape) -> NumpyGlobalTensor:
    t = object.__new__(NumpyGlobalTensor)
    t._local, t._placement, t._sbp, t._gshape = local, placement, tuple(sbps), tuple(gshape)
    return t


def _like(g: NumpyGlobalTensor, local) -> NumpyGlobalTensor:
    return _make(local, g._placement, g._sbp, g._gshape)


class _no_grad:
    def __enter__(self):
        self.prev = define.is_grad_enabled()
        define.set_grad_enabled(False)

    def __exit__(self, *exc):
        define.set_grad_enabled(self.prev)


# ============================================================================ local <-> global
def from_local(local, placement=None, sbp=None):
    """``NumpyTensor.to_global``: the local tensor is this rank's piece (DTensor.from_local)."""
    if placement is None or sbp is None:
        raise ArgumentValueError(
            "to_global: a local tensor needs both placement and sbp, e.g. "
            "x.to_global(flowkit.placement('cpu', [0, 1]), flowkit.sbp.split(0))"
        )
    p, sbps = normalize(placement, sbp, local.ndim)
    install()
    shape = list(local.shape)
    for d, s in enumerate(sbps):
        if s.is_split():
            shape[s.dim] *= p.hierarchy[d]  # pieces of equal size (OneFlow's and DTensor's rule)
    if local._rg and (define.grad_enabled or define.STATE.grad_enabled):
        local = _ident((local,))
    return _make(local, p, sbps, shape)


def _level_size(g: NumpyGlobalTensor, sbps, upto: int, dim: int) -> int:
    """Rows of ``dim`` in the piece the placement dimensions before ``upto`` leave this rank."""
    lo, hi = 0, g._gshape[dim]
    axs = axes(g._placement)
    for d in range(upto):
        s = sbps[d]
        if s.is_split() and s.dim == dim:
            a, b = chunk_bounds(hi - lo, axs[d].n, axs[d].coord)
            lo, hi = lo + a, lo + b
    return hi - lo


def _box_dim(g, local, cur, d: int, dst) -> Any:
    """``local`` (g's piece, SBP ``cur``) with placement dimension ``d`` converted to ``dst``;
    every dimension after ``d`` is broadcast."""
    src = cur[d]
    if src == dst:
        return local
    ax = axes(g._placement)[d]
    if src.is_split() and dst.is_split():  # split(i) -> split(j): through broadcast
        local = _gather((local,), ax, src.dim, _level_size(g, cur, d, src.dim))
        return _slice((local,), ax, dst.dim)
    if src.is_split():  # to broadcast (all-gather); to partial_sum through broadcast, so the
        # pieces are DTensor's (the first rank holds the value, the others zeros)
        local = _gather((local,), ax, src.dim, _level_size(g, cur, d, src.dim))
        return local if dst == B else _keep((local,), ax)
    if src == B:
        return _slice((local,), ax, dst.dim) if dst.is_split() else _keep((local,), ax)
    # partial_sum
    return _reduce((local,), ax) if dst == B else _rscatter((local,), ax, dst.dim)


def box(g: NumpyGlobalTensor, dst) -> NumpyGlobalTensor:
    """``g`` converted to the SBP tuple ``dst`` (differentiable)."""
    src = g._sbp
    dst = tuple(dst)
    if src == dst:
        return g
    n = len(src)
    k = next(d for d in range(n) if src[d] != dst[d])
    cur = list(src)
    local = g._local
    for d in reversed(range(k + 1, n)):  # inner dimensions back to broadcast first
        if cur[d] != B:
            local = _box_dim(g, local, cur, d, B)
            cur[d] = B
    local = _box_dim(g, local, cur, k, dst[k])
    cur[k] = dst[k]
    for d in range(k + 1, n):
        if dst[d] != B:
            local = _box_dim(g, local, cur, d, dst[d])
            cur[d] = dst[d]
    return _make(local, g._placement, dst, g._gshape)


def _f_all(g: NumpyGlobalTensor, local, dims) -> Any:
    axs = axes(g._placement)
    for d in dims:
        if axs[d].n > 1:
            local = _f((local,), axs[d])
    return local


# ============================================================================ SBP rules
def _placement_of(*xs):
    p = None
    for x in xs:
        if isinstance(x, NumpyGlobalTensor):
            if p is not None and x._placement != p:
                raise ArgumentValueError(
                    f"global tensors on different placements ({p!r} and {x._placement!r}) "
                    "cannot be combined; convert one first"
                )
            p = x._placement
    return p


def _check_operand(x, name: str):
    if isinstance(x, NumpyGlobalTensor) or isinstance(x, (bool, int, float, np.number)):
        return
    if isinstance(x, Tensor):
        raise ArgumentValueError(
            f"{name}: a global tensor and a local tensor cannot be combined; make the local "
            "one global first (x.to_global(placement, flowkit.sbp.broadcast))"
        )
    raise unsupported(f"{name} with a {type(x).__name__}")


def _aligned_dim(x: NumpyGlobalTensor, s, out_ndim: int) -> int:
    return s.dim + out_ndim - len(x._gshape)


def _spans(x: NumpyGlobalTensor, out_dim: int, out_ndim: int) -> bool:
    """Whether ``x`` (broadcast against the output) has more than one row of ``out_dim``."""
    i = out_dim - (out_ndim - len(x._gshape))
    return i >= 0 and x._gshape[i] > 1


def elementwise(name: str, a, b):
    """``a <name> b`` for tensors and numbers, at least one a global tensor."""
    _check_operand(a, name)
    _check_operand(b, name)
    ops = [x for x in (a, b) if isinstance(x, NumpyGlobalTensor)]
    placement = _placement_of(*ops)
    out_shape = tuple(np.broadcast_shapes(*(x._gshape for x in ops)))
    nd = len(out_shape)
    n = placement.ndim
    want = {id(x): list(x._sbp) for x in ops}
    f_dims: dict[int, list[int]] = {id(x): [] for x in ops}
    out = []
    linear_in = {"add": (0, 1), "sub": (0, 1), "mul": (0, 1), "div": (0,)}[name]
    for d in range(n):
        ss = [want[id(x)][d] for x in ops]
        splits = [_aligned_dim(x, s, nd) for x, s in zip(ops, ss) if s.is_split()]
        if splits:
            od = splits[0]
            for x in ops:
                s = want[id(x)][d]
                if s.is_split() and _aligned_dim(x, s, nd) == od:
                    continue
                if _spans(x, od, nd):
                    want[id(x)][d] = _sbp.split(od - (nd - len(x._gshape)))
                else:
                    if s == P:
                        want[id(x)][d] = B
                    f_dims[id(x)].append(d)
            out.append(_sbp.split(od))
            continue
        partial = [x for x in ops if want[id(x)][d] == P]
        if not partial:
            out.append(B)
            continue
        if name in ("add", "sub"):
            if len(ops) == 2:  # P + P, P + B -> P (the broadcast one converted)
                for x in ops:
                    want[id(x)][d] = P
                out.append(P)
            else:  # P + number: not linear
                want[id(partial[0])][d] = B
                out.append(B)
            continue
        # mul / div: linear in one operand
        pos = {id(x): i for i, x in enumerate((a, b)) if isinstance(x, NumpyGlobalTensor)}
        keep = [x for x in partial if pos[id(x)] in linear_in]
        if len(partial) == 1 and keep:
            out.append(P)
            for x in ops:
                if x is not keep[0]:
                    f_dims[id(x)].append(d)
        else:
            for x in partial:
                want[id(x)][d] = B
            out.append(B)
    locals_ = {}
    for x in ops:
        y = box(x, tuple(want[id(x)]))
        locals_[id(x)] = _f_all(y, y._local, [d for d in f_dims[id(x)] if out[d] != B])
    la = locals_[id(a)] if isinstance(a, NumpyGlobalTensor) else a
    lb = locals_[id(b)] if isinstance(b, NumpyGlobalTensor) else b
    if name == "add":
        res = la + lb
    elif name == "sub":
        res = la - lb
    elif name == "mul":
        res = la * lb
    else:
        res = la / lb
    return _make(res, placement, out, out_shape)


def unary(x: NumpyGlobalTensor, fn, linear: bool = False):
    if not linear and P in x._sbp:
        x = box(x, tuple(B if s == P else s for s in x._sbp))
    return _like(x, fn(x._local))


def matmul(a, b):
    """``a @ b``: ``a`` n-d (n >= 2), ``b`` 2-d, both global."""
    for x in (a, b):
        if not isinstance(x, NumpyGlobalTensor):
            _check_operand(x, "matmul")
    if len(b._gshape) != 2 or len(a._gshape) < 2:
        raise unsupported(
            f"matmul of a {len(a._gshape)}-d and a {len(b._gshape)}-d global tensor (the numpy "
            "backend multiplies an n-d (n >= 2) by a 2-d one)"
        )
    placement = _placement_of(a, b)
    ka = len(a._gshape) - 1
    wa, wb = list(a._sbp), list(b._sbp)
    fa: list[int] = []
    fb: list[int] = []
    out = []
    for d in range(placement.ndim):
        sa, sb = wa[d], wb[d]
        if sa == P and sb == P:
            sa = sb = B
        elif sa == P and sb != B:
            sa = B
        elif sb == P and sa != B:
            sb = B
        if sa == B and sb == B:
            o = B
        elif sa == P:  # P x B
            o = P
            fb.append(d)
        elif sb == P:  # B x P
            o = P
            fa.append(d)
        elif sa.is_split() and sa.dim < ka:  # rows split: b whole
            sb, o = B, _sbp.split(sa.dim)
            fb.append(d)
        elif sa.is_split():  # a split along k: b split along k, the sum is partial
            sb, o = _sbp.split(0), P
        elif sb.is_split() and sb.dim == 1:  # B x S(1) -> S(last)
            o = _sbp.split(ka)
            fa.append(d)
        else:  # B x S(0): a split along k
            sa, o = _sbp.split(ka), P
        wa[d], wb[d] = sa, sb
        out.append(o)
    ga, gb = box(a, tuple(wa)), box(b, tuple(wb))
    la = _f_all(ga, ga._local, fa)
    lb = _f_all(gb, gb._local, fb)
    shape = (*a._gshape[:-1], b._gshape[1])
    return _make(la @ lb, placement, out, shape)


def transpose2d(x: NumpyGlobalTensor) -> NumpyGlobalTensor:
    swap = {0: 1, 1: 0}
    sbps = tuple(_sbp.split(swap[s.dim]) if s.is_split() else s for s in x._sbp)
    return _make(x._local.T, x._placement, sbps, x._gshape[::-1])


def reduce_sum(x: NumpyGlobalTensor, dim, keepdim: bool, dtype):
    nd = len(x._gshape)
    if dim is None:
        dims = tuple(range(nd))
    else:
        dims = tuple(sorted(d % nd for d in ((dim,) if isinstance(dim, int) else dim)))
    out = []
    for s in x._sbp:
        if s.is_split():
            if s.dim in dims:
                out.append(P)
            else:
                out.append(_sbp.split(s.dim if keepdim else s.dim - sum(d < s.dim for d in dims)))
        else:
            out.append(s)
    shape = tuple(
        1 if i in dims else n for i, n in enumerate(x._gshape) if keepdim or i not in dims
    )
    local = x._local.sum(dims if dim is not None else None, keepdim, dtype)
    return _make(local, x._placement, out, shape)


# ============================================================================ the op table
def _is_global(x) -> bool:
    return isinstance(x, NumpyGlobalTensor)


def _any_global(args) -> bool:
    for a in args:
        if isinstance(a, NumpyGlobalTensor):
            return True
        if isinstance(a, (list, tuple)) and any(isinstance(t, NumpyGlobalTensor) for t in a):
            return True
    return False


_installed = False


def install() -> None:
    """Route the backend's op table through the global-tensor rules, from the first global
    tensor on (a process that never makes one keeps the plain table, at no cost)."""
    global _installed
    if _installed:
        return
    from flowkit import _plugins

    backend = _plugins.get()
    cls = type(backend)

    def guard(name):
        plain = getattr(backend, name)

        def op(*args, **kwargs):
            if _any_global(args) or _any_global(tuple(kwargs.values())):
                raise unsupported(f"flowkit.{name}")
            return plain(*args, **kwargs)

        return op

    for name in (
        "cat", "stack", "where", "leaky_relu", "gelu", "softmax", "log_softmax", "dropout",
        "embedding", "layer_norm", "batch_norm", "conv2d", "max_pool2d", "cross_entropy",
        "nll_loss", "grad", "autograd_backward",
    ):  # fmt: skip
        if hasattr(cls, name):
            setattr(backend, name, guard(name))

    plain_matmul, plain_linear = backend.matmul, backend.linear
    plain_mse, plain_param = backend.mse_loss, backend.make_parameter

    def g_matmul(a, b):
        if _is_global(a) or _is_global(b):
            return matmul(a, b)
        return plain_matmul(a, b)

    def g_linear(x, weight, bias):
        if _is_global(x) or _is_global(weight) or _is_global(bias):
            if len(weight._gshape if _is_global(weight) else weight.shape) != 2:
                raise unsupported("linear with a weight that is not 2-d")
            y = matmul(x, transpose2d(weight))
            return y if bias is None else elementwise("add", y, bias)
        return plain_linear(x, weight, bias)

    def g_mse(input, target, reduction):
        if _is_global(input) or _is_global(target):
            diff = elementwise("sub", input, target)
            sq = elementwise("mul", diff, diff)
            if reduction == "none":
                return sq
            s = reduce_sum(sq, None, False, None)
            return s if reduction == "sum" else s / int(np.prod(sq._gshape))
        return plain_mse(input, target, reduction)

    def g_param(data, requires_grad):
        if _is_global(data):
            local = plain_param(data._local, requires_grad)
            p = object.__new__(NumpyGlobalParameter)
            p._local, p._placement, p._sbp, p._gshape = (
                local,
                data._placement,
                data._sbp,
                data._gshape,
            )
            return p
        return plain_param(data, requires_grad)

    backend.matmul, backend.linear = g_matmul, g_linear  # type: ignore[method-assign]
    backend.mse_loss, backend.make_parameter = g_mse, g_param  # type: ignore[method-assign]
    _installed = True
