"""Global tensors (OneFlow's placement + SBP): ``to_global``, ``to_local``, ``placement``,
``sbp``, ``is_global``, and the rules both backends share.

A *global* tensor is one logical tensor spread over the processes of a
[`flowkit.placement`][flowkit.placement]; its SBP ([`flowkit.sbp`][flowkit.sbp], one per placement
dimension) says what each process holds: a piece (``split(dim)``), the whole (``broadcast``) or a
full-shape addend (``partial_sum``). ``shape`` is the logical (global) shape; ``to_local()`` is this
process's piece. A *local* tensor is an ordinary one: ``is_global`` is False and
``placement``/``sbp`` are ``None`` (OneFlow raises there instead; ``None`` lets code test for it).

Ops on global tensors follow the SBP rules (elementwise ops, ``matmul``, reductions, the
layers of a Linear/ReLU network), converting an operand's SBP ("boxing": all-gather,
reduce-scatter, all-reduce, slicing) where a rule needs it, and autograd runs through them. The
torch backend builds this on ``torch.distributed.tensor`` (DTensor); the numpy backend implements
the same rules for the ops it lists over [`flowkit.comm`][flowkit.comm].

Every rank must make the same global tensors and run the same ops on them, in the same order
(conversions and printing communicate), as in OneFlow.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _format
from ..errors import ArgumentTypeError, ArgumentValueError, ShapeError
from ._contract import backend_method

if TYPE_CHECKING:
    from ..distributed.placement import placement as Placement
    from ..sbp import sbp as SBP
    from ..tensor import Tensor

__all__: list[str] = []  # methods only


# ============================================================================ rules
def normalize(
    placement: Any, sbp: Any, ndim: int, op: str = "to_global"
) -> tuple[Placement, tuple[SBP, ...]]:
    """``(placement, sbp tuple)`` checked: a [`flowkit.placement`][flowkit.placement] holding this
    rank, one SBP per placement dimension (a single SBP is taken as a 1-tuple), split dims in range.

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.ops.global_tensor import normalize
        >>> normalize(flow.placement("cpu", [0]), flow.sbp.split(0), 2)[1]
        (flowkit.sbp.split(dim=0),)
    """
    from ..distributed import get_rank
    from ..distributed.placement import placement as Placement
    from ..sbp import sbp as SBP

    if not isinstance(placement, Placement):
        raise ArgumentTypeError(
            f"{op}: placement must be a flowkit.placement, e.g. flowkit.placement('cpu', [0, 1]),"
            f" got {type(placement).__name__}"
        )
    sbps = (
        (sbp,) if isinstance(sbp, SBP) else tuple(sbp) if isinstance(sbp, (list, tuple)) else None
    )
    if sbps is None or not all(isinstance(s, SBP) for s in sbps):
        raise ArgumentTypeError(
            f"{op}: sbp must be a flowkit.sbp (flowkit.sbp.split(0), flowkit.sbp.broadcast, "
            f"flowkit.sbp.partial_sum) or a tuple of them, got {sbp!r}"
        )
    if len(sbps) != placement.ndim:
        raise ArgumentValueError(
            f"{op}: the placement {placement!r} has {placement.ndim} dimension(s), so the sbp "
            f"needs {placement.ndim} entries (one per dimension), got {len(sbps)}: {sbps}"
        )
    for s in sbps:
        if s.is_split() and not (s.dim is not None and s.dim < ndim):
            raise ArgumentValueError(
                f"{op}: {s!r} is out of range for a {ndim}-d tensor (split dims are 0..{ndim - 1})"
            )
    if placement.coords(get_rank()) is None:
        raise ArgumentValueError(
            f"{op}: this process (rank {get_rank()}) is not in {placement!r}; flowkit needs "
            "every rank of the run in the placement of each global tensor"
        )
    return placement, sbps


def chunk_bounds(size: int, parts: int, index: int) -> tuple[int, int]:
    """``[start, stop)`` of piece ``index`` when ``size`` rows are cut into ``parts`` pieces
    (``torch.chunk``'s rule, as DTensor's ``Shard``: ``ceil(size / parts)`` each, the last
    ones fewer or empty).

    Examples:
        >>> from flowkit.ops.global_tensor import chunk_bounds
        >>> [chunk_bounds(5, 2, i) for i in range(2)]
        [(0, 3), (3, 5)]
    """
    c = -(-size // parts) if parts else size
    start = min(index * c, size)
    return start, min(start + c, size)


def piece_index(shape: Sequence[int], placement: Placement, sbps: Sequence[SBP], rank: int):
    """The index (a tuple of slices) of ``rank``'s piece of a tensor of global ``shape``: split
    dimensions of the placement cut in order, the first placement dimension outermost (as
    DTensor nests its shards).

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.ops.global_tensor import piece_index
        >>> piece_index((4, 2), flow.placement("cpu", [0, 1]), (flow.sbp.split(0),), 1)
        (slice(2, 4, None), slice(0, 2, None))
    """
    coords = placement.coords(rank)
    assert coords is not None
    bounds = [[0, s] for s in shape]
    hier = placement.hierarchy
    for d, s in enumerate(sbps):
        if s.dim is not None:  # a split
            lo, hi = bounds[s.dim]
            a, b = chunk_bounds(hi - lo, hier[d], coords[d])
            bounds[s.dim] = [lo + a, lo + b]
    return tuple(slice(lo, hi) for lo, hi in bounds)


def global_repr(
    values: np.ndarray,
    dtype: Any,
    placement: Placement,
    sbps: Sequence[SBP],
    grad_fn_name: str | None,
    requires_grad: bool,
) -> str:
    """A global tensor's repr, OneFlow's: the full value, then ``placement=`` and ``sbp=``."""
    extra = (f"placement={placement!r}", f"sbp={tuple(sbps)!r}")
    return _format.tensor_repr(values, dtype, None, grad_fn_name, requires_grad, extra)


def not_global_error(op: str) -> ArgumentValueError:
    """``to_local()`` or similar asked of a local tensor where only a global one makes sense."""
    return ArgumentValueError(f"{op}: the tensor is local (not global); make one with to_global")


def global_shape_error(op: str, shape, local_shape) -> ShapeError:
    return ShapeError(f"{op}: global shape {tuple(shape)} does not fit the piece {local_shape}")


# ============================================================================ the methods
class GlobalMethods:
    """Global-tensor methods of [`flowkit.Tensor`][flowkit.Tensor] (placement and SBP).

    ``to_global`` is the backend's to implement; the others have defaults that describe a local
    tensor, which a backend with global tensors overrides, so a backend without them (a plugin)
    still answers ``is_global`` (False) everywhere flowkit asks."""

    __slots__ = ()

    @backend_method
    def to_global(self, placement: Any = None, sbp: Any = None) -> Tensor:
        """This tensor as a global tensor on ``placement`` with ``sbp`` (OneFlow's ``to_global``).

        On a local tensor, each process's tensor is its piece (DTensor's ``from_local``): with
        ``split(d)`` the pieces are joined along ``d`` (all equal in size), with ``broadcast`` they
        must be equal, with ``partial_sum`` they are summed. On a global tensor it converts the
        SBP (all-gather, reduce-scatter, all-reduce or slicing, as needed); the placement must
        stay the same, and one left out is kept (``x.to_global(sbp=flow.sbp.broadcast)``).
        Gradients flow through.

        Raises:
            ArgumentTypeError: ``placement`` or ``sbp`` is not one.
            ArgumentValueError: the sbp does not fit the placement or the tensor, or this rank
                is not in the placement.

        Examples:
            >>> import flowkit as flow
            >>> p = flow.placement("cpu", [0])  # a single process is a placement of one
            >>> x = flow.tensor([1.0, 2.0]).to_global(p, flow.sbp.split(0))
            >>> x.is_global, x.sbp
            (True, (flowkit.sbp.split(dim=0),))
        """

    def to_local(self) -> Tensor:
        """This process's piece of a global tensor, as a local tensor (gradients flow back); a
        local tensor is returned as it is. (A backend with global tensors overrides this
        default, which serves local tensors.)

        Examples:
            >>> import flowkit as flow
            >>> x = flow.ones(2, 2, placement=flow.placement("cpu", [0]), sbp=flow.sbp.broadcast)
            >>> x.to_local().is_global, x.to_local().shape
            (False, flowkit.Size([2, 2]))
        """
        return self  # type: ignore[return-value]

    @property
    def is_global(self) -> builtins.bool:
        """Whether this is a global tensor (with a placement and an SBP).

        Examples:
            >>> import flowkit as flow
            >>> flow.zeros(2).is_global
            False
        """
        return False

    @property
    def placement(self) -> Placement | None:
        """The [`flowkit.placement`][flowkit.placement] of a global tensor; ``None`` for a local
        one.

        Examples:
            >>> import flowkit as flow
            >>> p = flow.placement("cpu", [0])
            >>> flow.zeros(2, placement=p, sbp=flow.sbp.broadcast).placement
            flowkit.placement(type="cpu", ranks=[0])
        """
        return None

    @property
    def sbp(self) -> tuple[SBP, ...] | None:
        """The SBP of a global tensor, one per placement dimension; ``None`` for a local one.

        Examples:
            >>> import flowkit as flow
            >>> p = flow.placement("cpu", [0])
            >>> flow.zeros(2, placement=p, sbp=flow.sbp.partial_sum).sbp
            (flowkit.sbp.partial_sum,)
        """
        return None
