"""``flowkit.nn.utils.rnn``: batches of variable-length sequences for the recurrent layers
(``PackedSequence``, ``pack_padded_sequence``, ``pad_packed_sequence``, ``pad_sequence``), as in
``torch.nn.utils.rnn``.

Packing and unpacking are gathers over flowkit tensor ops, so gradients flow through them on
every backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ... import _creation
from ...errors import ArgumentValueError, ShapeError, shape_str
from ...tensor import Tensor

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence"]


class PackedSequence(NamedTuple):
    """A batch of variable-length sequences, packed time step by time step (PyTorch's layout).

    ``data`` ``(sum(lengths), *)``: step 0 of every sequence, then step 1 of those that are
    longer than 1, ...; ``batch_sizes`` (int64, CPU): how many sequences each step has;
    ``sorted_indices``/``unsorted_indices``: the batch order by decreasing length and back
    (``None`` when the batch was already sorted: ``enforce_sorted=True``). Made by
    `pack_padded_sequence`; the recurrent layers take it and return one.

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.nn.utils.rnn import pack_padded_sequence
        >>> x = flow.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 0.0]])
        >>> p = pack_padded_sequence(x, [3, 2], batch_first=True)
        >>> p.data.tolist(), p.batch_sizes.tolist()
        ([1.0, 4.0, 2.0, 5.0, 3.0], [2, 2, 1])
    """

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None


def _lengths_list(lengths) -> list[int]:
    if isinstance(lengths, Tensor):
        lengths = lengths.tolist()
    elif isinstance(lengths, np.ndarray):
        lengths = lengths.tolist()
    out = [int(v) for v in lengths]
    return out


def _packed_index(lens_sorted: list[int], order: list[int]):
    """(time, batch) index arrays of the packed rows, in PyTorch's packed order."""
    t_idx, b_idx = [], []
    for t in range(lens_sorted[0] if lens_sorted else 0):
        for j, n in enumerate(lens_sorted):
            if n <= t:
                break
            t_idx.append(t)
            b_idx.append(order[j])
    return np.asarray(t_idx, np.int64), np.asarray(b_idx, np.int64)


def _index(values, device) -> Tensor:
    return _creation.tensor(np.asarray(values, np.int64), device=device)


def pack_padded_sequence(
    input: Tensor, lengths, batch_first: bool = False, enforce_sorted: bool = True
) -> PackedSequence:
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) of sequences of
    the given ``lengths`` (a list or a 1-d integer tensor, each in ``[1, T]``).
    ``enforce_sorted=True`` requires the lengths in decreasing order; ``False`` sorts the batch
    and records the order in ``sorted_indices``.

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.nn.utils.rnn import pack_padded_sequence
        >>> x = flow.tensor([[1.0, 0.0], [2.0, 3.0]])  # (B=2, T=2), batch first
        >>> p = pack_padded_sequence(x, [1, 2], batch_first=True, enforce_sorted=False)
        >>> p.data.tolist(), p.batch_sizes.tolist(), p.sorted_indices.tolist()
        ([2.0, 1.0, 3.0], [2, 1], [1, 0])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"pack_padded_sequence: input must be a Tensor, got {type(input).__name__}")
    if input.dim() < 2:
        raise ShapeError(
            f"pack_padded_sequence: input of shape {shape_str(tuple(input.shape))} needs at "
            "least 2 dimensions (time and batch)"
        )
    lens = _lengths_list(lengths)
    t_dim, b_dim = (1, 0) if batch_first else (0, 1)
    t_len, batch = input.shape[t_dim], input.shape[b_dim]
    if len(lens) != batch:
        raise ShapeError(
            f"pack_padded_sequence: {len(lens)} lengths for a batch of {batch} sequences "
            f"(input of shape {shape_str(tuple(input.shape))}, batch_first={batch_first}); "
            "give one length per sequence"
        )
    bad = [n for n in lens if n < 1 or n > t_len]
    if bad:
        raise ArgumentValueError(
            f"pack_padded_sequence: length {bad[0]} is outside [1, {t_len}]: every sequence "
            f"needs at least one step and at most the padded length {t_len}"
        )
    if enforce_sorted:
        if any(lens[i] < lens[i + 1] for i in range(len(lens) - 1)):
            raise ArgumentValueError(
                f"pack_padded_sequence: lengths {lens} are not sorted in decreasing order; "
                "sort the batch by length, or pass enforce_sorted=False"
            )
        order = list(range(batch))
        sorted_indices = unsorted_indices = None
    else:
        order = sorted(range(batch), key=lambda i: -lens[i])  # stable, as torch.sort(stable)
        inverse = [0] * batch
        for j, i in enumerate(order):
            inverse[i] = j
        sorted_indices = _index(order, input.device)
        unsorted_indices = _index(inverse, input.device)
    lens_sorted = [lens[i] for i in order]
    t_idx, b_idx = _packed_index(lens_sorted, order)
    ti, bi = _index(t_idx, input.device), _index(b_idx, input.device)
    data = input[bi, ti] if batch_first else input[ti, bi]
    batch_sizes = _creation.tensor(
        np.asarray([sum(1 for n in lens_sorted if n > t) for t in range(lens_sorted[0])], np.int64)
    )
    return PackedSequence(data, batch_sizes, sorted_indices, unsorted_indices)


def _packed_lengths(sequence: PackedSequence) -> list[int]:
    """The length of each sequence of a `PackedSequence`, in the batch's original order."""
    sizes = [int(v) for v in sequence.batch_sizes.tolist()]
    batch = sizes[0] if sizes else 0
    lens_sorted = [sum(1 for s in sizes if s > j) for j in range(batch)]
    if sequence.sorted_indices is None:
        return lens_sorted
    order = [int(v) for v in sequence.sorted_indices.tolist()]
    lens = [0] * batch
    for j, i in enumerate(order):
        lens[i] = lens_sorted[j]
    return lens


def _order(sequence: PackedSequence, batch: int) -> list[int]:
    if sequence.sorted_indices is None:
        return list(range(batch))
    return [int(v) for v in sequence.sorted_indices.tolist()]


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Unpack a `PackedSequence` into a padded batch ``(T, B, *)`` (``(B, T, *)`` with
    ``batch_first``), the batch in its original order, and the lengths (int64). ``T`` is the
    longest length, or ``total_length`` when given (it must not be shorter).

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
        >>> x = flow.tensor([[1.0, 0.0], [2.0, 3.0]])
        >>> p = pack_padded_sequence(x, [1, 2], batch_first=True, enforce_sorted=False)
        >>> y, lengths = pad_packed_sequence(p, batch_first=True, padding_value=-1.0)
        >>> y.tolist(), lengths.tolist()
        ([[1.0, -1.0], [2.0, 3.0]], [1, 2])
    """
    if not isinstance(sequence, PackedSequence):
        raise TypeError(
            f"pad_packed_sequence: expected a PackedSequence, got {type(sequence).__name__}"
        )
    import flowkit as flow

    data = sequence.data
    lens = _packed_lengths(sequence)
    batch = len(lens)
    t_len = max(lens) if lens else 0
    if total_length is not None:
        if total_length < t_len:
            raise ArgumentValueError(
                f"pad_packed_sequence: total_length={total_length} is shorter than the longest "
                f"sequence ({t_len}); pass at least {t_len}"
            )
        t_len = total_length
    order = _order(sequence, batch)
    t_idx, b_idx = _packed_index([lens[i] for i in order], order)
    # every padded position reads a packed row, or the padding row appended after them
    rows = np.full((t_len, batch), len(t_idx), np.int64)
    rows[t_idx, b_idx] = np.arange(len(t_idx))
    pad = flow.full(
        (1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype, device=data.device
    )
    src = flow.cat([data, pad], 0)
    index = rows.T if batch_first else rows
    out = src[_index(index, data.device)]
    return out, _creation.tensor(np.asarray(lens, np.int64))


def pad_sequence(
    sequences: Sequence[Tensor], batch_first: bool = False, padding_value: float = 0.0
) -> Tensor:
    """Stack tensors ``(L_i, *)`` of different lengths into ``(T, B, *)`` (``(B, T, *)`` with
    ``batch_first``), ``T = max(L_i)``, padding with ``padding_value``.

    Examples:
        >>> import flowkit as flow
        >>> from flowkit.nn.utils.rnn import pad_sequence
        >>> pad_sequence([flow.tensor([1.0, 2.0]), flow.tensor([3.0])], batch_first=True).tolist()
        [[1.0, 2.0], [3.0, 0.0]]
    """
    import flowkit as flow

    seqs = list(sequences)
    if not seqs:
        raise ArgumentValueError("pad_sequence: got no sequences; pass a non-empty list")
    trail: tuple[int, ...] = tuple(seqs[0].shape[1:]) if seqs[0].dim() else ()
    for s in seqs:
        if s.dim() == 0 or tuple(s.shape[1:]) != trail:
            raise ShapeError(
                f"pad_sequence: sequences of shapes {[tuple(q.shape) for q in seqs]} must all "
                "be (L, *) with the same trailing dimensions"
            )
    t_len = max(s.shape[0] for s in seqs)
    padded = []
    for s in seqs:
        n = s.shape[0]
        if n < t_len:
            fill = flow.full((t_len - n,) + trail, padding_value, dtype=s.dtype, device=s.device)
            s = flow.cat([s, fill], 0)
        padded.append(s)
    return flow.stack(padded, 0 if batch_first else 1)
