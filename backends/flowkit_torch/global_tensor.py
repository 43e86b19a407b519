"""Global tensors on the torch backend: a ``TorchTensor`` whose ``_t`` is a DTensor.

flowkit's placement is a ``DeviceMesh`` (one per placement, built once, on every rank), its SBP
DTensor's placements (``split(d)`` ↔ ``Shard(d)``, ``broadcast`` ↔ ``Replicate()``,
``partial_sum`` ↔ ``Partial("sum")``). Ops on such tensors are DTensor's: its sharding
propagation picks each op's output placement and redistributes operands where a rule needs it,
and torch's autograd runs through all of it. flowkit adds what DTensor leaves out or words
differently:

* conversions *to* ``partial_sum`` (DTensor keeps them internal): the first rank of each group
  keeps the value, the others hold zeros; the gradient is passed through unchanged (the
  gradient of a partial tensor is the full one, as DTensor's ``from_local`` has it);
* DTensor's ``Partial("avg")`` (what ``mean`` gives) is shown as ``partial_sum``: its piece is
  divided by the group size when flowkit hands it out (``to_local``, ``to_global``);
* a leaf's gradient keeps the leaf's SBP, ``partial_sum`` becoming ``broadcast`` (DTensor leaves
  a replicated parameter's gradient partial; reading ``.grad`` all-reduces it), so the
  optimizers' local updates keep replicated parameters equal on every rank;
* ``numpy()``, ``item()`` and printing gather the whole value (a collective: every rank calls).
"""

from __future__ import annotations

import sys
from typing import Any

import torch

from flowkit import sbp as _sbp
from flowkit.distributed import _group
from flowkit.distributed.placement import placement as Placement
from flowkit.errors import ArgumentValueError
from flowkit.ops.global_tensor import global_repr, normalize

_MESHES: dict = {}  # placement -> DeviceMesh (built once per placement, on every rank)
_PLACEMENTS: dict = {}  # id(mesh) -> placement (the mesh is kept alive by _MESHES)


def _forget_meshes() -> None:  # (when the process group is left: meshes hold its groups)
    _MESHES.clear()
    _PLACEMENTS.clear()


_group.on_teardown(_forget_meshes)


def _dt():
    import torch.distributed.tensor as dt

    return dt


def is_dtensor(t: torch.Tensor) -> bool:
    """Whether ``t`` is a DTensor (without importing DTensor in a process that has none)."""
    mod = sys.modules.get("torch.distributed.tensor")
    return mod is not None and isinstance(t, mod.DTensor)


def mesh_of(p: Placement):
    m = _MESHES.get(p)
    if m is None:
        _group.ensure_initialized()
        from torch.distributed.device_mesh import DeviceMesh

        m = DeviceMesh(p.type, torch.tensor(p.ranks, dtype=torch.int64))
        _MESHES[p] = m
        _PLACEMENTS[id(m)] = p
    return m


def placement_of(mesh) -> Placement:
    p = _PLACEMENTS.get(id(mesh))
    if p is None:
        p = Placement(mesh.device_type, mesh.mesh.tolist())
    return p


def to_placements(sbps) -> tuple:
    dt = _dt()
    out = []
    for s in sbps:
        if s.is_split():
            out.append(dt.Shard(s.dim))
        elif s.is_broadcast():
            out.append(dt.Replicate())
        else:
            out.append(dt.Partial("sum"))
    return tuple(out)


def from_placements(pls) -> tuple:
    out = []
    for p in pls:
        if p.is_shard():
            out.append(_sbp.split(p.dim))
        elif p.is_replicate():
            out.append(_sbp.broadcast)
        else:
            out.append(_sbp.partial_sum)
    return tuple(out)


class _Relabel(torch.autograd.Function):
    """The same global value in another layout (a piece scaled, or zeroed): the gradient, which
    is the global one, passes through unchanged."""

    @staticmethod
    def forward(ctx, x, factor):
        if factor == 0:
            return torch.zeros_like(x)
        return x * factor if factor != 1 else x.clone()

    @staticmethod
    def backward(ctx, g):
        return g, None


def _contiguous_stride(shape) -> tuple:
    stride, acc = [], 1
    for s in reversed(shape):
        stride.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(stride))


def as_sum(t):
    """DTensor ``t`` with ``Partial("avg")`` (from ``mean``) as the same value with
    ``Partial("sum")``."""
    pls = t.placements
    avg = [d for d, p in enumerate(pls) if p.is_partial() and p.reduce_op == "avg"]
    if not avg:
        return t
    dt = _dt()
    n = 1
    for d in avg:
        n *= t.device_mesh.size(d)
    local = _Relabel.apply(t.to_local(), 1.0 / n)
    new = tuple(dt.Partial("sum") if d in avg else p for d, p in enumerate(pls))
    return dt.DTensor.from_local(
        local, t.device_mesh, new, run_check=False, shape=t.shape, stride=t.stride()
    )


def redistribute(t, sbps):
    """DTensor ``t`` converted to ``sbps`` (gradients flow through)."""
    dt = _dt()
    t = as_sum(t)
    mesh = t.device_mesh
    target = to_placements(sbps)
    cur = tuple(t.placements)
    if cur == target:
        return t
    to_p = [d for d, (c, s) in enumerate(zip(cur, target)) if s.is_partial() and not c.is_partial()]
    if not to_p:
        return t.redistribute(mesh, target)
    inter = tuple(dt.Replicate() if d in to_p else target[d] for d in range(len(target)))
    if inter != cur:
        t = t.redistribute(mesh, inter)
    coords = mesh.get_coordinate()
    keep = all(coords[d] == 0 for d in to_p)
    local = _Relabel.apply(t.to_local(), 1.0 if keep else 0.0)
    return dt.DTensor.from_local(
        local, mesh, target, run_check=False, shape=t.shape, stride=t.stride()
    )


def to_global(self, placement=None, sbp=None):
    from .define import _wrap

    t = self._t
    if not is_dtensor(t):
        if placement is None or sbp is None:
            raise ArgumentValueError(
                "to_global: a local tensor needs both placement and sbp, e.g. "
                "x.to_global(flowkit.placement('cpu', [0, 1]), flowkit.sbp.split(0))"
            )
        p, sbps = normalize(placement, sbp, t.dim())
        mesh = mesh_of(p)
        shape = list(t.shape)
        for d, s in enumerate(sbps):
            if s.is_split():
                shape[s.dim] *= mesh.size(d)  # pieces of equal size (OneFlow's rule too)
        out = _dt().DTensor.from_local(
            t,
            mesh,
            to_placements(sbps),
            run_check=False,
            shape=torch.Size(shape),
            stride=_contiguous_stride(shape),
        )
        return _wrap(out, "to_global")
    cur = placement_of(t.device_mesh)
    p, sbps = normalize(
        cur if placement is None else placement,
        from_placements(as_sum(t).placements) if sbp is None else sbp,
        t.dim(),
    )
    if p != cur:
        raise ArgumentValueError(
            f"to_global: moving a global tensor from {cur!r} to {p!r} is not supported; "
            "convert it with to_local() and build the new one, or keep the placement"
        )
    return _wrap(redistribute(t, sbps), "to_global")


def to_local(self):
    from .define import _wrap

    t = self._t
    if not is_dtensor(t):
        return self
    return _wrap(as_sum(t).to_local(), "to_local")


def full_value(t: Any) -> torch.Tensor:
    """The whole value of DTensor ``t`` on every rank (a collective), outside autograd."""
    with torch.no_grad():
        return t.full_tensor()


def sbp_of(t: Any) -> tuple:
    return from_placements(t.placements)


def fix_grad(t: Any, g: Any) -> Any:
    """A DTensor leaf's gradient in the leaf's SBP (``partial_sum`` as ``broadcast``)."""
    if not is_dtensor(g) or not is_dtensor(t):
        return g
    dt = _dt()
    want = tuple(dt.Replicate() if p.is_partial() else p for p in t.placements)
    if tuple(g.placements) != want:
        with torch.no_grad():
            g = as_sum(g).redistribute(g.device_mesh, want)
        t.grad = g
    return g


def repr_of(self) -> str:
    t = self._t
    return global_repr(
        full_value(t).numpy(force=True),
        self.dtype,
        placement_of(t.device_mesh),
        from_placements(t.placements),
        self._grad_fn_name(),
        self.requires_grad,
    )
